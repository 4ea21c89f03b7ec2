"""The buffered training step gives exactly the numbers of the plain, allocating one.

``fit`` runs every step through preallocated arrays (``l1reg.training.Step``). These
tests pin that down bit for bit against the readable path: a loop of ``sgd_step``
(which calls ``Network.forward`` and ``Network.backward``) for one network; for stacks,
rules and noise, the allocating loop ``fit`` replaced, written out below with
``forward``, ``backward``, ``add_penalty_gradients`` and the rule's hooks.
"""

import numpy as np
import pytest

from l1reg import L1, L1L2, L2, Network, Penalty, fit, sgd_step
from l1reg.constraints import MaxNorm
from l1reg.dropout import Dropout
from l1reg.jitter import Jitter
from l1reg.losses import Loss, SquaredError, squared_error
from l1reg.network import add_penalty_gradients, backward, forward, param_views
from l1reg.update_rules import (
    CumulativePenalty,
    Plain,
    Proximal,
    SubGradient,
    TackOn,
    rule_for_run,
    weight_slice,
)


class HalfL1(L1):
    """A subclass whose gradient differs from L1's: the step must call it, not assume L1."""

    def gradient(self, w):
        return 0.5 * self.lam * np.sign(w)


class Quartic:
    """A penalty of one's own, not an l1reg.Penalty: ``lam * sum(w**4)``."""

    lam = 0.01

    def __call__(self, w):
        return self.lam * float(np.sum(w**4))

    def gradient(self, w):
        return 4.0 * self.lam * w**3


PENALTIES = {
    "none": (None, None),
    "l1": (L1(0.01), None),
    "l2": (L2(0.005), None),
    "l1l2-and-biases": (L1L2(l1=0.01, l2=0.005), L1(0.002)),
    "subclass": (HalfL1(0.02), None),
    "duck-typed": (Quartic(), None),
}


def _net(shape, loss, penalty, seed=3, dtype=np.float64):
    weight_penalty, bias_penalty = PENALTIES[penalty]
    return Network(*shape, seed=seed, init_range=0.5, loss=loss, weight_penalty=weight_penalty,
                   bias_penalty=bias_penalty, dtype=dtype)


def _manual_fit(net, x, t, *, epochs, lr, seed, batch_size):
    """What fit does for one network, written with sgd_step and fresh arrays at every step."""
    x, t = net.check_inputs(x), net.check_targets(t, len(x))
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        xs, ts = x[order], t[order]
        for start in range(0, len(x), batch_size):
            sgd_step(net, xs[start : start + batch_size], ts[start : start + batch_size], lr)


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
@pytest.mark.parametrize("batch_size", [1, 4, 23, 100])  # per item, with a remainder, full, oversized
def test_fit_equals_a_loop_of_sgd_step_bit_for_bit(random_problem, loss, penalty, batch_size):
    x, t = random_problem(23, 5, 3, seed=1)
    fast, plain = _net((5, 4, 3), loss, penalty), _net((5, 4, 3), loss, penalty)
    fit(fast, x, t, epochs=6, lr=0.1, seed=7, batch_size=batch_size)
    _manual_fit(plain, x, t, epochs=6, lr=0.1, seed=7, batch_size=batch_size)
    assert _same_bits(fast.get_flat(), plain.get_flat())
    assert np.abs(fast.get_flat() - _net((5, 4, 3), loss, penalty).get_flat()).max() > 1e-3  # it trained


@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 1, 2), (2, 3, 2), (10, 8, 4), (64, 32, 10)])
@pytest.mark.parametrize("batch_size", [1, 2, 32])
def test_fit_equals_sgd_step_for_odd_and_large_shapes(random_problem, shape, batch_size):
    # one hidden unit or one output make NumPy's matmul take its special (non-BLAS) paths
    x, t = random_problem(40, shape[0], shape[2], seed=2)
    fast, plain = _net(shape, "squared", "l1"), _net(shape, "squared", "l1")
    fit(fast, x, t, epochs=3, lr=0.05, seed=5, batch_size=batch_size)
    _manual_fit(plain, x, t, epochs=3, lr=0.05, seed=5, batch_size=batch_size)
    assert _same_bits(fast.get_flat(), plain.get_flat())


@pytest.mark.parametrize("penalty", ["l1", "l1l2-and-biases"])
@pytest.mark.parametrize("batch_size", [1, 5])
def test_fit_equals_sgd_step_in_float32(random_problem, penalty, batch_size):
    x, t = random_problem(17, 4, 3, seed=3)
    fast = _net((4, 6, 3), "squared", penalty, dtype=np.float32)
    plain = _net((4, 6, 3), "squared", penalty, dtype=np.float32)
    fit(fast, x, t, epochs=4, lr=0.1, seed=9, batch_size=batch_size)
    _manual_fit(plain, x, t, epochs=4, lr=0.1, seed=9, batch_size=batch_size)
    assert _same_bits(fast.get_flat(), plain.get_flat())


def test_an_exactly_zero_weight_gets_no_l1_pull_in_the_fast_step():
    # sign(0) = 0: with lr * (data gradient) the only move, the buffered step must agree
    x, t = np.array([[1.0, -2.0]]), np.array([[0.0, 1.0]])
    fast, plain = (Network(2, 2, 2, seed=0, weight_penalty=L1(0.1)) for _ in range(2))
    for net in (fast, plain):
        flat = net.get_flat()
        flat[3] = 0.0
        net.set_flat(flat)
    fit(fast, x, t, epochs=1, lr=0.5, seed=0)
    sgd_step(plain, x, t, 0.5)
    assert _same_bits(fast.get_flat(), plain.get_flat())


class HalfSignal(SquaredError):
    """A subclass whose signal differs from the squared error's: the step must call it."""

    def signal(self, o, t):
        return 0.5 * (o - t) / o.shape[-2]


class DuckLoss:
    """A loss that is not an l1reg Loss at all: a name and two methods."""

    name = "duck"

    def error(self, o, t):
        return squared_error(o, t)

    def signal(self, o, t):
        return 0.25 * (o - t) / o.shape[-2]


@pytest.mark.parametrize(
    "loss",
    [HalfSignal(), Loss("quarter", squared_error, lambda o, t: 0.25 * (o - t) / o.shape[-2]), DuckLoss()],
    ids=["loss-subclass", "loss-of-two-functions", "duck-typed-loss"],
)
@pytest.mark.parametrize("batch_size", [1, 5])
def test_a_loss_of_ones_own_is_called_through_its_signal(random_problem, loss, batch_size):
    x, t = random_problem(12, 3, 2, seed=4)
    fast, plain = (Network(3, 4, 2, seed=3, init_range=0.5, loss=loss, weight_penalty=L1(0.01))
                   for _ in range(2))
    fit(fast, x, t, epochs=3, lr=0.1, seed=1, batch_size=batch_size)
    _manual_fit(plain, x, t, epochs=3, lr=0.1, seed=1, batch_size=batch_size)
    assert _same_bits(fast.get_flat(), plain.get_flat())


def _manual_stack(nets, x, t, *, epochs, lr, seeds, batch_size, rule=None, on=("ih_weights", "ho_weights"),
                  noise=None):
    """The allocating loop fit replaced, for a stack: fresh arrays at every step."""
    first = nets[0]
    x = np.stack([first.check_inputs(xi) for xi in x])
    t = np.stack([first.check_targets(ti, x.shape[1]) for ti in t])
    flat = np.stack([net.get_flat() for net in nets])
    return _manual_loop(first, flat, x, t, [np.random.default_rng(s) for s in seeds], epochs=epochs, lr=lr,
                        batch_size=batch_size, rule=rule_for_run(rule, first, len(nets)), on=on, noise=noise)


def _manual_one(net, x, t, *, epochs, lr, seed, batch_size, rule=None, on=("ih_weights", "ho_weights"),
                noise=None):
    """The allocating loop fit replaced, for one network."""
    x, t = net.check_inputs(x), net.check_targets(t, len(x))
    return _manual_loop(net, net.get_flat(), x, t, [np.random.default_rng(seed)], epochs=epochs, lr=lr,
                        batch_size=batch_size, rule=rule_for_run(rule, net), on=on, noise=noise)


def _manual_loop(first, flat, x, t, rngs, *, epochs, lr, batch_size, rule, on, noise):
    grad = np.empty_like(flat)
    p, g = param_views(flat, first.shapes), param_views(grad, first.shapes)
    part, names = weight_slice(first, on)
    w, gw = flat[..., part], grad[..., part]
    state = rule.start(w, [p[name] for name in names])
    rows = np.arange(len(rngs))[:, None]
    n = x.shape[-2]
    for _ in range(epochs):
        if flat.ndim == 2:
            order = np.stack([rng.permutation(n) for rng in rngs])
            xs, ts = x[rows, order], t[rows, order]
        else:
            order = rngs[0].permutation(n)
            xs, ts = x[order], t[order]
        for start in range(0, n, batch_size):
            xb, tb = xs[..., start : start + batch_size, :], ts[..., start : start + batch_size, :]
            if noise is None:
                h, o = forward(p, xb)
                backward(p, xb, h, o, first.loss.signal(o, tb), g)
            else:
                noise.data_gradient(p, xb, tb, first.loss, g)
            add_penalty_gradients(first, flat, grad)
            rule.adjust_gradient(w, gw)
            flat -= lr * grad
            rule.after_step(w, lr, state)
    return flat


def _stack(random_problem, n_rep=3, n_items=20):
    problems = [random_problem(n_items, 4, 3, seed=10 + r) for r in range(n_rep)]
    return np.stack([3 * p[0] for p in problems]), np.stack([p[1] for p in problems])


@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
@pytest.mark.parametrize("batch_size", [1, 7, 20])
def test_a_stack_equals_the_plain_stacked_loop_bit_for_bit(random_problem, loss, penalty, batch_size):
    x, t = _stack(random_problem)
    nets = [_net((4, 5, 3), loss, penalty, seed=s) for s in (1, 2, 3)]
    expected = _manual_stack(nets, x, t, epochs=3, lr=0.1, seeds=[4, 5, 6], batch_size=batch_size)
    fit(nets, x, t, epochs=3, lr=0.1, seed=[4, 5, 6], batch_size=batch_size)
    assert _same_bits(np.stack([net.get_flat() for net in nets]), expected)


RULES = {
    "plain": Plain(),
    "sub-gradient": SubGradient(0.01),
    "tack-on": TackOn(0.001),
    "proximal": Proximal(0.05),
    "cumulative": CumulativePenalty(0.05),
    "max-norm": MaxNorm(0.5),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("on", [("ih_weights", "ho_weights"), ("ho_weights",)])
@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("rule", list(RULES))
def test_every_rule_through_the_fast_step_equals_the_allocating_loop(random_problem, rule, batch_size, on,
                                                                     dtype):
    x, t = random_problem(23, 4, 3, seed=1)
    net = Network(4, 5, 3, seed=3, init_range=0.5, weight_penalty=L2(0.005), dtype=dtype)
    start = net.get_flat()
    settings = {"epochs": 3, "lr": 0.1, "seed": 7, "batch_size": batch_size, "rule": RULES[rule], "on": on}
    expected = _manual_one(net, 3 * x, t, **settings)
    fit(net, 3 * x, t, **settings)
    assert _same_bits(net.get_flat(), expected)
    assert not np.array_equal(net.get_flat(), start)


@pytest.mark.parametrize("batch_size", [1, 5])
def test_a_list_of_rules_of_mixed_kinds_equals_the_allocating_loop(random_problem, batch_size):
    rules = [Proximal(0.01), Proximal(0.05), CumulativePenalty(0.01), SubGradient(0.01), MaxNorm(0.3),
             TackOn(0.001)]
    x, t = _stack(random_problem, n_rep=len(rules))
    nets = [_net((4, 5, 3), "squared", "none", seed=s) for s in range(len(rules))]
    seeds = list(range(len(rules)))
    expected = _manual_stack(nets, x, t, epochs=3, lr=0.1, seeds=seeds, batch_size=batch_size, rule=rules)
    fit(nets, x, t, epochs=3, lr=0.1, seed=seeds, batch_size=batch_size, rule=rules)
    assert _same_bits(np.stack([net.get_flat() for net in nets]), expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make_noise", [lambda: Dropout(0.3, seed=5), lambda: Jitter(0.2, seed=5)],
                         ids=["dropout", "jitter"])
def test_noise_through_the_fast_step_equals_the_allocating_loop(random_problem, make_noise, dtype):
    # the noise's own pass allocates, and a float64 draw on a float32 network computes in
    # float64, as it always did: the fast step keeps both
    x, t = _stack(random_problem)
    nets = [Network(4, 5, 3, seed=s, init_range=0.5, weight_penalty=L2(0.01), dtype=dtype) for s in (1, 2, 3)]
    settings = {"epochs": 2, "lr": 0.1, "batch_size": 4, "rule": Proximal(0.01)}
    expected = _manual_stack(nets, x, t, seeds=[4, 5, 6], noise=make_noise(), **settings)
    fit(nets, x, t, seed=[4, 5, 6], noise=make_noise(), **settings)
    assert _same_bits(np.stack([net.get_flat() for net in nets]), expected)
    net = Network(4, 5, 3, seed=1, init_range=0.5, weight_penalty=L2(0.01), dtype=dtype)
    expected = _manual_one(net, x[0], t[0], seed=4, noise=make_noise(), **settings)
    fit(net, x[0], t[0], seed=4, noise=make_noise(), **settings)
    assert _same_bits(net.get_flat(), expected)


def test_penalty_add_gradient_is_its_gradient_added_bit_for_bit():
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        w = rng.normal(size=(3, 40)).astype(dtype)
        w[0, :5] = 0.0
        for penalty in (L1(0.01), L2(0.3), L1L2(0.02, 0.1), HalfL1(0.4)):
            grad = rng.normal(size=w.shape).astype(dtype)
            expected = grad.copy()
            expected += penalty.gradient(w)
            penalty.add_gradient(w, grad, penalty.gradient_scratch(w))
            assert _same_bits(grad, expected), repr(penalty)
    assert isinstance(HalfL1(0.1), Penalty)
