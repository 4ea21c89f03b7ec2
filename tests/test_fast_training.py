"""The buffered training loop gives exactly the numbers of the plain, allocating one.

``train`` and ``train_replicas`` run every step through preallocated arrays
(``l1reg.training._Step``). These tests pin that down bit for bit against the readable
path: a loop of ``sgd_step`` (which calls ``Network.forward`` and ``Network.backward``),
and, for replicas, the stacked ``forward``/``backward``/``add_penalty_gradients`` loop.
"""

import numpy as np
import pytest

from l1reg import L1, L1L2, L2, Network, sgd_step, train
from l1reg.network import add_penalty_gradients, backward, forward, param_views
from l1reg.training import train_replicas


class HalfL1(L1):
    """A subclass whose gradient differs from L1's: the loop must call it, not assume L1."""

    def gradient(self, w):
        return 0.5 * self.lam * np.sign(w)


PENALTIES = {
    "none": (None, None),
    "l1": (L1(0.01), None),
    "l2": (L2(0.005), None),
    "l1l2-and-biases": (L1L2(l1=0.01, l2=0.005), L1(0.002)),
    "subclass": (HalfL1(0.02), None),
}


def _net(shape, loss, penalty, seed=3, dtype=np.float64):
    weight_penalty, bias_penalty = PENALTIES[penalty]
    return Network(*shape, seed=seed, init_range=0.5, loss=loss, weight_penalty=weight_penalty,
                   bias_penalty=bias_penalty, dtype=dtype)


def _manual_train(net, x, t, *, epochs, lr, seed, batch_size):
    """What train does, written with sgd_step and fresh arrays at every step."""
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
def test_train_equals_a_loop_of_sgd_step_bit_for_bit(random_problem, loss, penalty, batch_size):
    x, t = random_problem(23, 5, 3, seed=1)
    fast, plain = _net((5, 4, 3), loss, penalty), _net((5, 4, 3), loss, penalty)
    train(fast, x, t, epochs=6, lr=0.1, seed=7, batch_size=batch_size)
    _manual_train(plain, x, t, epochs=6, lr=0.1, seed=7, batch_size=batch_size)
    assert _same_bits(fast.get_flat(), plain.get_flat())
    assert np.abs(fast.get_flat() - _net((5, 4, 3), loss, penalty).get_flat()).max() > 1e-3  # it trained


@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 1, 2), (2, 3, 1), (10, 8, 4), (64, 32, 10)])
@pytest.mark.parametrize("batch_size", [1, 2, 32])
def test_train_equals_sgd_step_for_odd_and_large_shapes(random_problem, shape, batch_size):
    # one hidden unit or one output make NumPy's matmul take its special (non-BLAS) paths
    x, t = random_problem(40, shape[0], shape[2], seed=2)
    fast, plain = _net(shape, "squared", "l1"), _net(shape, "squared", "l1")
    train(fast, x, t, epochs=3, lr=0.05, seed=5, batch_size=batch_size)
    _manual_train(plain, x, t, epochs=3, lr=0.05, seed=5, batch_size=batch_size)
    assert _same_bits(fast.get_flat(), plain.get_flat())


@pytest.mark.parametrize("batch_size", [1, 5])
def test_train_equals_sgd_step_in_float32(random_problem, batch_size):
    x, t = random_problem(17, 4, 3, seed=3)
    fast = _net((4, 6, 3), "squared", "l1", dtype=np.float32)
    plain = _net((4, 6, 3), "squared", "l1", dtype=np.float32)
    train(fast, x, t, epochs=4, lr=0.1, seed=9, batch_size=batch_size)
    _manual_train(plain, x, t, epochs=4, lr=0.1, seed=9, batch_size=batch_size)
    assert _same_bits(fast.get_flat(), plain.get_flat())


def test_an_exactly_zero_weight_gets_no_l1_pull_in_the_fast_loop():
    # sign(0) = 0: with lr * (data gradient) the only move, the buffered loop must agree
    x, t = np.array([[1.0, -2.0]]), np.array([[0.0, 1.0]])
    fast, plain = (Network(2, 2, 2, seed=0, weight_penalty=L1(0.1)) for _ in range(2))
    for net in (fast, plain):
        flat = net.get_flat()
        flat[3] = 0.0
        net.set_flat(flat)
    train(fast, x, t, epochs=1, lr=0.5, seed=0)
    sgd_step(plain, x, t, 0.5)
    assert _same_bits(fast.get_flat(), plain.get_flat())


def test_an_unknown_signal_is_called_as_it_is(random_problem):
    # the loop knows the two losses; anything else goes through the network's own signal
    x, t = random_problem(12, 3, 2, seed=4)
    fast, plain = _net((3, 4, 2), "squared", "l1"), _net((3, 4, 2), "squared", "l1")
    for net in (fast, plain):
        net._signal = lambda o, t: 0.5 * (o - t) / o.shape[-2]
    train(fast, x, t, epochs=3, lr=0.1, seed=1, batch_size=5)
    _manual_train(plain, x, t, epochs=3, lr=0.1, seed=1, batch_size=5)
    assert _same_bits(fast.get_flat(), plain.get_flat())


def _manual_replicas(nets, x, t, *, epochs, lr, seeds, batch_size):
    """train_replicas as written before the buffers: fresh arrays at every step."""
    first = nets[0]
    flat = np.stack([net.get_flat() for net in nets])
    grad = np.empty_like(flat)
    p, g = param_views(flat, first.shapes), param_views(grad, first.shapes)
    rngs = [np.random.default_rng(s) for s in seeds]
    rows = np.arange(len(nets))[:, None]
    for _ in range(epochs):
        order = np.stack([rng.permutation(x.shape[1]) for rng in rngs])
        xs, ts = x[rows, order], t[rows, order]
        for start in range(0, x.shape[1], batch_size):
            xb, tb = xs[:, start : start + batch_size], ts[:, start : start + batch_size]
            h, o = forward(p, xb)
            backward(p, xb, h, o, first._signal(o, tb), g)
            add_penalty_gradients(first, flat, grad)
            flat -= lr * grad
    return flat


@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
@pytest.mark.parametrize("batch_size", [1, 7, 20])
def test_train_replicas_equals_the_plain_stacked_loop_bit_for_bit(random_problem, loss, penalty, batch_size):
    problems = [random_problem(20, 4, 3, seed=10 + r) for r in range(3)]
    x, t = np.stack([p[0] for p in problems]), np.stack([p[1] for p in problems])
    nets = [_net((4, 5, 3), loss, penalty, seed=s) for s in (1, 2, 3)]
    expected = _manual_replicas(nets, x, t, epochs=3, lr=0.1, seeds=[4, 5, 6], batch_size=batch_size)
    train_replicas(nets, x, t, epochs=3, lr=0.1, seeds=[4, 5, 6], batch_size=batch_size)
    assert _same_bits(np.stack([net.get_flat() for net in nets]), expected)
