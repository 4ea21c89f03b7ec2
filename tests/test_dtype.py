"""float64 by default, float32 on request: parameters, arithmetic and inputs follow ``dtype``."""

import re

import numpy as np
import pytest

from l1reg import L1, Network, cross_entropy, fit
from l1reg.studies.demo import demo_data


def _names(name):
    return "^" + re.escape(name) + " "


def test_float64_is_the_default():
    net = Network(3, 4, 2, seed=0)
    assert net.dtype == np.float64
    assert net.get_flat().dtype == np.float64
    assert repr(net) == "Network(3-4-2, loss='squared', weight_penalty=None, bias_penalty=None)"


@pytest.mark.parametrize("dtype", [np.float32, "float32", np.dtype("float32")])
def test_float32_parameters_gradients_and_outputs(dtype, random_problem):
    net = Network(3, 4, 2, seed=0, dtype=dtype)
    x, t = random_problem(5, 3, 2, seed=1)
    assert net.dtype == np.float32
    assert net.get_flat().dtype == np.float32
    assert all(p.dtype == np.float32 for p in net.get_params().values())
    assert net.predict_proba(x).dtype == np.float32
    assert net.gradient(x, t).dtype == np.float32
    assert net.check_inputs(x).dtype == np.float32
    assert repr(net).endswith("bias_penalty=None, dtype=float32)")


def test_float32_starts_from_the_float64_draw_rounded():
    net64, net32 = Network(10, 8, 4, seed=5), Network(10, 8, 4, seed=5, dtype=np.float32)
    np.testing.assert_array_equal(net32.get_flat(), net64.get_flat().astype(np.float32))


def test_float32_gradient_is_the_float64_gradient_to_float32_precision(random_problem):
    x, t = random_problem(6, 3, 2, seed=2)
    net64 = Network(3, 4, 2, seed=0, init_range=1.0, weight_penalty=L1(0.01))
    net32 = Network(3, 4, 2, seed=0, init_range=1.0, weight_penalty=L1(0.01), dtype=np.float32)
    net64.set_flat(net32.get_flat())  # the same (float32-representable) parameters
    g64, g32 = net64.gradient(x, t), net32.gradient(x, t)
    np.testing.assert_allclose(g32, g64, rtol=0, atol=1e-6 * np.abs(g64).max())
    assert np.abs(g32 - g64).max() > 0  # it really computed in float32


def test_float32_training_follows_float64_training():
    data = demo_data()
    runs = {}
    for dtype in (np.float64, np.float32):
        net = Network(10, 8, 4, seed=3, weight_penalty=L1(0.001), dtype=dtype)
        history = fit(net, data.x_train, data.t_train, epochs=20, lr=0.01, seed=4)
        runs[dtype] = (net.get_flat(), history)
    (flat64, hist64), (flat32, hist32) = runs[np.float64], runs[np.float32]
    assert flat32.dtype == np.float32
    # 4,000 steps of round-off at 1e-7 per operation: close, but not equal
    np.testing.assert_allclose(flat32, flat64, rtol=0, atol=1e-3)
    assert np.abs(flat32 - flat64).max() > 1e-8
    assert hist32.train_accuracy[-1] == pytest.approx(hist64.train_accuracy[-1], abs=0.011)


def test_a_stack_in_float32_matches_one_network():
    data = demo_data()
    single = Network(10, 8, 4, seed=1, dtype=np.float32, weight_penalty=L1(0.001))
    fit(single, data.x_train, data.t_train, epochs=3, lr=0.01, seed=7)
    nets = [Network(10, 8, 4, seed=1, dtype=np.float32, weight_penalty=L1(0.001))]
    fit(nets, data.x_train[None], data.t_train[None], epochs=3, lr=0.01, seed=[7])
    assert nets[0].get_flat().dtype == np.float32
    np.testing.assert_allclose(nets[0].get_flat(), single.get_flat(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, np.complex128, "double precision", None, object])
def test_network_refuses_other_dtypes(dtype):
    with pytest.raises(ValueError, match=_names("dtype")):
        Network(3, 4, 2, seed=0, dtype=dtype)


def test_values_beyond_float32_range_are_refused_not_turned_into_inf():
    net = Network(3, 4, 2, seed=0, dtype=np.float32)
    x = np.ones((2, 3))
    x[1, 2] = 1e39
    with pytest.raises(ValueError, match=_names("x")):
        net.predict(x)
    with pytest.raises(ValueError, match=_names("x_train")):
        fit(net, x, np.eye(2), epochs=1, lr=0.1, seed=0)
    before = net.get_flat()
    with pytest.raises(ValueError, match=_names("values")):
        net.set_flat(np.full(net.n_params, 1e39))
    with pytest.raises(ValueError, match=_names("params['h_biases']")):
        net.set_params({**net.get_params(), "h_biases": np.full(4, -1e39)})
    np.testing.assert_array_equal(net.get_flat(), before)
    with pytest.raises(ValueError, match=_names("init_range")):
        Network(3, 4, 2, seed=0, init_range=1e39, dtype=np.float32)


def test_a_stack_of_mixed_dtypes_is_refused():
    data = demo_data()
    nets = [Network(10, 8, 4, seed=0), Network(10, 8, 4, seed=1, dtype=np.float32)]
    x, t = np.stack([data.x_train] * 2), np.stack([data.t_train] * 2)
    with pytest.raises(ValueError, match=_names("net[1]")):
        fit(nets, x, t, epochs=1, lr=0.1, seed=[0, 1])


def test_cross_entropy_of_an_underflowed_float32_output_is_finite():
    # A confident wrong answer: the true class's output is exactly 0 in float32. The floor
    # must be a float32 number > 0 (1e-300 would round to 0 and log(0) would warn).
    o = np.array([[1.0, 0.0]], dtype=np.float32)
    t = np.array([[0.0, 1.0]], dtype=np.float32)
    error = cross_entropy(o, t)
    assert np.isfinite(error)
    assert error == pytest.approx(-np.log(np.finfo(np.float32).tiny), rel=1e-6)
