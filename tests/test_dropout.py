"""Dropout from scratch: the masks, the masked pass, training with it."""

import re

import numpy as np
import pytest

from l1reg import Network, fit
from l1reg.core import model
from l1reg.core.losses import LOSSES
from l1reg.core.network import blocks
from l1reg.reference.gradcheck import numerical_gradient
from l1reg.regularize.dropout import Dropout, StackDropout


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
    """core.model.backward with a mask is the gradient of the masked network's error."""
    x, t = random_problem(6, 4, 3, seed=1)
    net = Network(4, 5, 3, seed=2, init_range=0.8, loss=loss)
    mask = Dropout(0.4, seed=9).draw_mask((6, 5))
    assert np.any(mask == 0.0) and np.any(mask != 0.0)
    loss_ = LOSSES[loss]

    def masked_error(flat):
        o = model.forward(np, model.from_flat(flat, net.shapes), x, mask)[1]
        return float(loss_.error(o, t))

    flat = net.get_flat()
    p = model.from_flat(flat, net.shapes)
    h, o = model.forward(np, p, x, mask)
    grad = model.to_flat(np, model.backward(np, p, x, h, loss_.signal(o, t), mask))
    np.testing.assert_allclose(grad, numerical_gradient(masked_error, flat), rtol=1e-6, atol=1e-9)


def test_a_silenced_unit_gets_no_gradient_on_its_outgoing_weights(random_problem):
    """With unit 2 dropped for every item, its row of ho_weights has a zero gradient."""
    x, t = random_problem(6, 4, 3, seed=1)
    net = Network(4, 5, 3, seed=2, init_range=0.8)
    mask = np.full((6, 5), 2.0)
    mask[:, 2] = 0.0
    p = model.from_flat(net.get_flat(), net.shapes)
    h, o = model.forward(np, p, x, mask)
    g = model.backward(np, p, x, h, net.loss.signal(o, t), mask)
    np.testing.assert_array_equal(g["ho_weights"][2], 0.0)
    np.testing.assert_array_equal(g["ih_weights"][:, 2], 0.0)
    assert np.all(g["ho_weights"][[0, 1, 3, 4]] != 0.0)


def test_draw_gives_the_batch_as_it_is_and_a_mask_per_item_and_hidden_unit():
    x = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    same, mask = Dropout(0.5, seed=0).draw(x, 4)
    assert same is x
    assert mask.shape == (3, 4) and mask.dtype == np.float32
    np.testing.assert_array_equal(mask, Dropout(0.5, seed=0).draw_mask((3, 4)))


def test_training_with_dropout_is_the_step_with_a_fresh_mask_per_item(three_sets):
    """fit with noise=Dropout against a hand loop: one mask per step, from the dropout's generator."""
    x, t, *_ = three_sets
    net = _net(init_range=0.5)
    start = net.get_flat()
    fit(net, x, t, epochs=2, lr=0.1, seed=1, noise=Dropout(0.4, seed=7))
    orders, masks, lr = np.random.default_rng(1), Dropout(0.4, seed=7), 0.1
    p = model.from_flat(start, net.shapes)
    for _ in range(2):
        for i in orders.permutation(len(x)):
            xi, ti = x[i : i + 1], t[i : i + 1]
            g = model.data_gradient(np, p, xi, ti, model.squared_error_signal, masks.draw_mask((1, 5)))
            p = {name: p[name] - lr * g[name] for name in p}
    np.testing.assert_allclose(net.get_flat(), model.to_flat(np, p), rtol=0, atol=1e-14)
    plain = _net(init_range=0.5)
    fit(plain, x, t, epochs=2, lr=0.1, seed=1)
    assert not np.allclose(net.get_flat(), plain.get_flat(), rtol=0, atol=1e-6)  # the masks acted


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
    """A mask of ones changes nothing; any mask multiplies h on its way to the output layer."""
    x, t = random_problem(6, 4, 3, seed=1)
    net = Network(4, 5, 3, seed=2, init_range=0.8)
    p = blocks(net.params)
    h, o = model.forward(np, p, x, np.ones((6, 5)))
    h_net, o_net = net.forward(x)
    np.testing.assert_array_equal(h, h_net)
    np.testing.assert_array_equal(o, o_net)
    mask = Dropout(0.4, seed=9).draw_mask((6, 5))
    h_masked, o_masked = model.forward(np, p, x, mask)
    np.testing.assert_array_equal(h_masked, h_net)  # h itself is returned unmasked
    np.testing.assert_array_equal(o_masked, model.output_forward(np, p, h_net * mask))


class _NoNoise:
    """A noise source of one's own: anything with draw(x, n_hidden) -> (x, mask or None)."""

    def draw(self, x, n_hidden):
        return x, None


def test_a_noise_source_is_anything_with_draw(three_sets):
    x, t, *_ = three_sets
    plain, quiet = _net(), _net()
    fit(plain, x, t, epochs=2, lr=0.1, seed=1)
    fit(quiet, x, t, epochs=2, lr=0.1, seed=1, noise=_NoNoise())
    np.testing.assert_array_equal(quiet.get_flat(), plain.get_flat())


def test_noise_without_draw_is_refused_by_name():
    class OldNoise:  # the former interface
        def data_gradient(self, *args):
            raise AssertionError("never called")

    with pytest.raises(TypeError, match="^noise must be a noise source"):
        fit(_net(), np.zeros((2, 4)), np.eye(3)[[0, 1]], epochs=1, lr=0.1, seed=0, noise=OldNoise())


BAD = [
    pytest.param(lambda: Dropout(1.0, seed=0), ValueError, "rate", id="dropout-rate-one"),
    pytest.param(lambda: Dropout(-0.1, seed=0), ValueError, "rate", id="dropout-rate-negative"),
    pytest.param(lambda: Dropout(0.5, seed=None), TypeError, "seed", id="dropout-no-seed"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_input_is_refused_with_its_name(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()


def test_stack_dropout_draws_each_networks_masks_from_its_own_source_at_its_own_rate():
    stack = StackDropout([0.2, 0.5], seeds=[3, 4]).draw_mask((2, 6, 8))
    for i, (rate, seed) in enumerate([(0.2, 3), (0.5, 4)]):
        np.testing.assert_array_equal(stack[i], Dropout(rate, seed).draw_mask((6, 8)))


@pytest.mark.parametrize(("make", "match"), [
    (lambda S: S([0.2, 0.5], seeds=[3]), r"^seeds must hold one seed per rate \(2\), got 1$"),
    (lambda S: S([0.2, 1.5], seeds=[3, 4]), r"^rates\[1\] must be"),
    (lambda S: S([0.2, 0.5], seeds=[3, 4]).draw_mask((3, 6, 8)),
     r"^shape must start with the stack's 2 networks, got \(3, 6, 8\)$"),
])
def test_stack_dropout_refuses_rates_seeds_or_shapes_that_do_not_fit_by_name(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make(StackDropout)
