"""Dropout from scratch: the masks, the masked pass, training with it."""

import re

import numpy as np
import pytest

from l1reg import Network, fit
from l1reg.dropout import Dropout, backward_with_mask, forward_with_mask
from l1reg.gradcheck import numerical_gradient
from l1reg.losses import LOSSES
from l1reg.network import param_views


def _net(penalty=None, seed=5, init_range=0.01):
    return Network(4, 5, 3, seed=seed, weight_penalty=penalty, init_range=init_range)


def _names(name):
    return "^" + re.escape(name) + " "


def test_dropout_masks_are_zero_or_scaled_and_keep_the_mean():
    mask = Dropout(0.25, seed=0).draw_mask((400, 250))
    assert set(np.unique(mask).tolist()) == {0.0, 1.0 / 0.75}
    assert np.mean(mask == 0.0) == pytest.approx(0.25, abs=0.005)
    assert mask.mean() == pytest.approx(1.0, abs=0.01)


def test_dropout_masks_are_seeded():
    first, again, other = (Dropout(0.5, seed=s).draw_mask((5, 8)) for s in (3, 3, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_masked_backward_matches_finite_differences(random_problem, loss):
    x, t = random_problem(6, 4, 3, seed=1)
    net = Network(4, 5, 3, seed=2, init_range=0.8, loss=loss)
    mask = Dropout(0.4, seed=9).draw_mask((6, 5))
    loss_ = LOSSES[loss]

    def masked_error(flat):
        o = forward_with_mask(param_views(flat, net.shapes), x, mask)[1]
        return float(loss_.error(o, t))

    flat = net.get_flat()
    grad = np.empty_like(flat)
    p = param_views(flat, net.shapes)
    h, o = forward_with_mask(p, x, mask)
    backward_with_mask(p, x, h, mask, loss_.signal(o, t), param_views(grad, net.shapes))
    np.testing.assert_allclose(grad, numerical_gradient(masked_error, flat), rtol=1e-6, atol=1e-9)


def test_dropout_with_rate_zero_is_plain_training(three_sets):
    x, t, *_ = three_sets
    plain, dropped = _net(), _net()
    fit(plain, x, t, epochs=3, lr=0.1, seed=1)
    fit(dropped, x, t, epochs=3, lr=0.1, seed=1, noise=Dropout(0.0, seed=7))
    np.testing.assert_array_equal(plain.get_flat(), dropped.get_flat())


def test_dropout_training_is_seeded(three_sets):
    x, t, *_ = three_sets
    runs = []
    for seed in (7, 7, 8):
        net = _net()
        fit(net, x, t, epochs=2, lr=0.1, seed=1, noise=Dropout(0.5, seed=seed))
        runs.append(net.get_flat())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_the_masked_pass_is_the_networks_pass_with_h_times_mask(random_problem):
    x, t = random_problem(6, 4, 3, seed=1)
    net = Network(4, 5, 3, seed=2, init_range=0.8)
    ones = np.ones((6, 5))
    h, o = forward_with_mask(net.params, x, ones)
    h_net, o_net = net.forward(x)
    np.testing.assert_array_equal(h, h_net)
    np.testing.assert_array_equal(o, o_net)


BAD = [
    pytest.param(lambda: Dropout(1.0, seed=0), ValueError, "rate", id="dropout-rate-one"),
    pytest.param(lambda: Dropout(-0.1, seed=0), ValueError, "rate", id="dropout-rate-negative"),
    pytest.param(lambda: Dropout(0.5, seed=None), TypeError, "seed", id="dropout-no-seed"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_input_is_refused_with_its_name(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()
