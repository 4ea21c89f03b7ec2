"""The trap at W = 0: zero slopes, E's curvature, and where F stops rising."""

import re

import numpy as np
import pytest

import l1reg
from l1reg.studies import trap


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(30, 3))
    t = np.eye(3)[np.arange(30) % 3]
    return l1reg.Network(3, 2, 3, seed=seed), x, t


def test_zero_weights_makes_every_weight_slope_zero_and_outputs_the_shares():
    net, x, t = _problem()
    at_zero = trap.zero_weights(net, t)
    assert np.all(at_zero.weights() == 0.0) and np.any(net.weights() != 0.0)
    np.testing.assert_allclose(at_zero.predict_proba(x), np.tile(t.mean(axis=0), (30, 1)))
    assert np.abs(at_zero.gradient(x, t)).max() < 1e-15


def test_weight_hessian_matches_second_differences_of_the_error():
    net, x, t = _problem(1)
    hessian = trap.weight_hessian(net, x, t)
    direction = np.random.default_rng(5).normal(size=net.n_weights)
    flat, h = net.get_flat(), 1e-4

    def error(s):
        probe = l1reg.Network(3, 2, 3, seed=1)
        probe.set_flat(np.concatenate([flat[: net.n_weights] + s * direction, flat[net.n_weights:]]))
        return probe.error(x, t)

    second = (error(h) - 2 * error(0.0) + error(-h)) / h**2
    assert direction @ hessian @ direction == pytest.approx(second, rel=1e-4)
    np.testing.assert_array_equal(hessian, hessian.T)


def test_zero_trap_edge_is_where_f_turns_down_and_lies_beyond_the_radius():
    net, x, t = _problem()
    found = trap.zero_trap(net, x, t, lam=0.001, high=1.0)
    assert found.slope < 1e-15 and found.kappa > 0.0
    assert np.linalg.norm(found.direction) == pytest.approx(1.0)
    assert found.radius == pytest.approx(2 * 0.001 / found.kappa)
    assert sum(found.changes(0.99 * found.edge)) > 0.0 > sum(found.changes(1.01 * found.edge))
    # to second order F rises up to the radius; the quartic terms here only widen it
    assert found.radius < found.edge
    # the edge grows with lam
    assert trap.zero_trap(net, x, t, lam=0.002, high=1.0).edge > found.edge


def test_bad_input_is_named():
    net, x, t = _problem()
    with pytest.raises(ValueError, match="lam must be a finite number > 0"):
        trap.zero_trap(net, x, t, lam=0.0)
    with pytest.raises(ValueError, match=re.escape("every class present")):
        trap.zero_weights(net, t[:, [0, 1, 1]] * [1, 1, 0])
    penalized = l1reg.Network(3, 2, 3, seed=0, weight_penalty=l1reg.L1(0.1))
    with pytest.raises(ValueError, match="net must carry no penalty"):
        trap.weight_hessian(penalized, x, t)
    with pytest.raises(ValueError, match="f must be > 0 at low"):
        trap.sign_change(lambda s: -1.0, 0.0, 1.0)


@pytest.mark.parametrize("measure", [lambda net, x, t: trap.zero_weights(net, t),
                                     lambda net, x, t: trap.zero_trap(net, x, t, 0.1),
                                     lambda net, x, t: trap.weight_hessian(net, x, t)],
                         ids=["zero_weights", "zero_trap", "weight_hessian"])
def test_a_network_holding_a_nan_is_refused_naming_where(measure):
    net, x, t = _problem()
    net.flat[4] = np.nan
    with pytest.raises(ValueError, match=re.escape("net already holds 1 NaN or infinite parameter(s) "
                                                   "(first at flat index 4)")):
        measure(net, x, t)
