"""The NumPy training step as it was before the model was written once (kept for ``make bench``).

Until December 2026 ``l1reg.fit`` trained with a hand-written copy of the step that
wrote every intermediate array into buffers allocated once per run (``out=``), instead
of the pure functions of :mod:`l1reg.core`. This is that step, frozen, cut down to what
the bench's demo row times: one network, the squared error, ``L1`` on the weights by
the sub-gradient, per-item or mini-batch SGD, the same visiting order as ``fit``. It
exists so that the bench (and the speed appendix) can say what writing the model once
costs. ``tests/test_bench.py`` checks that it still ends where ``fit`` ends, bit for bit.
"""

from __future__ import annotations

import numpy as np

add, subtract, multiply, divide, tanh, exp, sign = (np.add, np.subtract, np.multiply, np.divide, np.tanh,
                                                    np.exp, np.sign)
add_reduce, max_reduce = np.add.reduce, np.maximum.reduce


class FrozenStep:
    """SGD steps on batches of one shape for one network, with every array allocated once."""

    def __init__(self, net, lam: float, lr: float, n: int) -> None:
        flat, shapes, dtype = net.flat, net.shapes, net.dtype
        self.flat, self.grad = flat, np.empty_like(flat)
        self.update, self.penalty = np.empty_like(flat), np.empty(net.n_weights, dtype=dtype)
        sizes = [int(np.prod(shapes[k])) for k in ("ih_weights", "ho_weights", "h_biases", "o_biases")]
        cuts = np.cumsum([0] + sizes)

        def block(a, i, shape):
            return a[cuts[i]:cuts[i + 1]].reshape(shape)

        n_in, n_hid = shapes["ih_weights"]
        n_out = shapes["ho_weights"][1]
        self.w_ih, self.w_ho = block(flat, 0, (n_in, n_hid)), block(flat, 1, (n_hid, n_out))
        self.w_ho_t = self.w_ho.T
        self.b_h, self.b_o = block(flat, 2, (1, n_hid)), block(flat, 3, (1, n_out))
        self.g_ih, self.g_ho = block(self.grad, 0, (n_in, n_hid)), block(self.grad, 1, (n_hid, n_out))
        self.g_bh, self.g_bo = block(self.grad, 2, (n_hid,)), block(self.grad, 3, (n_out,))
        self.g_bh_row, self.g_bo_row = self.g_bh[None, :], self.g_bo[None, :]
        self.one_item = n == 1
        self.outer = np.matmul if self.one_item else np.dot
        self.xw, self.h, self.h_grad = (np.empty((n, n_hid), dtype) for _ in range(3))
        self.slope, self.h_signal = np.empty((n, n_hid), dtype), np.empty((n, n_hid), dtype)
        self.h_t = self.h.T
        self.hw, self.z, self.shifted, self.e, self.o = (np.empty((n, n_out), dtype) for _ in range(5))
        self.diff, self.diff_o, self.centred, self.z_signal = (np.empty((n, n_out), dtype) for _ in range(4))
        self.z_max, self.e_sum, self.inner = (np.empty((n, 1), dtype) for _ in range(3))
        self.items = np.array(n, dtype=dtype)
        self.zero, self.one = np.array(0.0, dtype=dtype), np.array(1.0, dtype=dtype)
        self.lam, self.lr = np.array(lam, dtype=dtype), np.array(lr, dtype=dtype)
        self.weights = flat[: net.n_weights]
        self.weight_grad = self.grad[: net.n_weights]

    def take(self, x, x_t, t) -> None:
        """One step on the items ``x`` (``x_t`` is ``x`` transposed) with one-hot targets ``t``."""
        s = self
        np.dot(x, s.w_ih, s.xw)
        add(s.xw, s.b_h, s.xw)
        tanh(s.xw, s.h)
        np.dot(s.h, s.w_ho, s.hw)
        add(s.hw, s.b_o, s.z)
        max_reduce(s.z, -1, None, s.z_max[:, 0])
        subtract(s.z, s.z_max, s.shifted)
        exp(s.shifted, s.e)
        add_reduce(s.e, -1, None, s.e_sum[:, 0])
        divide(s.e, s.e_sum, s.o)
        subtract(s.o, t, s.diff)  # the squared error's signal through the softmax Jacobian
        multiply(s.diff, s.o, s.diff_o)
        add_reduce(s.diff_o, -1, None, s.inner[:, 0])
        subtract(s.diff, s.inner, s.centred)
        multiply(s.o, s.centred, s.z_signal)
        if not s.one_item:
            divide(s.z_signal, s.items, s.z_signal)
        s.outer(s.h_t, s.z_signal, s.g_ho)
        if s.one_item:
            add(s.z_signal, s.zero, s.g_bo_row)
        else:
            add_reduce(s.z_signal, -2, None, s.g_bo)
        np.dot(s.z_signal, s.w_ho_t, s.h_grad)
        multiply(s.h, s.h, s.slope)
        subtract(s.one, s.slope, s.slope)
        multiply(s.h_grad, s.slope, s.h_signal)
        s.outer(x_t, s.h_signal, s.g_ih)
        if s.one_item:
            add(s.h_signal, s.zero, s.g_bh_row)
        else:
            add_reduce(s.h_signal, -2, None, s.g_bh)
        sign(s.weights, s.penalty)  # + lam * sign(w), in place
        multiply(s.lam, s.penalty, s.penalty)
        add(s.weight_grad, s.penalty, s.weight_grad)
        multiply(s.lr, s.grad, s.update)
        subtract(s.flat, s.update, s.flat)


def train(net, x, t, *, epochs: int, lr: float, seed: int, lam: float, batch_size: int = 1) -> None:
    """Train ``net`` (no penalty of its own) with L1(lam) as ``fit`` did, in the same visiting order."""
    rng, n = np.random.default_rng(seed), len(x)
    xs, ts = np.empty_like(x), np.empty_like(t)
    groups: dict[int, list] = {}
    for start in range(0, n, batch_size):
        xb, tb = xs[start:start + batch_size], ts[start:start + batch_size]
        groups.setdefault(len(xb), []).append((xb, xb.T, tb))
    steps = [(FrozenStep(net, lam, lr, size), batches) for size, batches in groups.items()]
    for _ in range(epochs):
        order = rng.permutation(n)
        np.take(x, order, axis=0, out=xs)
        np.take(t, order, axis=0, out=ts)
        for step, batches in steps:
            for xb, x_t, tb in batches:
                step.take(xb, x_t, tb)


# --- the same step allocating, inlined: what purity costs, apart from the layer functions ----


def inlined_step(p: dict, x, t, lr, lam) -> dict:
    """``core.step.sgd_step``'s arithmetic for this case, in one function: new arrays, no calls.

    Pure, as a step that JAX can run must be (its arrays cannot be written in place), but
    without the layer functions, the namespace and the per-block loop the book shows: the
    same 38 NumPy calls as ``fit``'s step. Comparing it with the frozen step measures
    what allocating and the ten calls more cost; comparing ``fit`` with it, what the
    readable structure costs.
    """
    w_ih, w_ho, b_h, b_o = p["ih_weights"], p["ho_weights"], p["h_biases"], p["o_biases"]
    h = tanh(x @ w_ih + b_h)
    z = h @ w_ho + b_o
    e = exp(z - max_reduce(z, axis=-1, keepdims=True))
    o = e / add_reduce(e, axis=-1, keepdims=True)
    diff = o - t
    z_signal = o * (diff - add_reduce(diff * o, axis=-1, keepdims=True)) / o.shape[-2]
    g_ho = h.mT @ z_signal
    g_bo = z_signal + 0.0 if len(x) == 1 else add_reduce(z_signal, axis=-2, keepdims=True)
    h_signal = (z_signal @ w_ho.mT) * (1.0 - h * h)
    g_ih = x.mT @ h_signal
    g_bh = h_signal + 0.0 if len(x) == 1 else add_reduce(h_signal, axis=-2, keepdims=True)
    g_ih = g_ih + lam * sign(w_ih)
    g_ho = g_ho + lam * sign(w_ho)
    return {"ih_weights": w_ih - lr * g_ih, "ho_weights": w_ho - lr * g_ho,
            "h_biases": b_h - lr * g_bh, "o_biases": b_o - lr * g_bo}


def train_inlined(net, x, t, *, epochs: int, lr: float, seed: int, lam: float, batch_size: int = 1) -> None:
    """Train ``net`` (no penalty of its own) with L1(lam) by :func:`inlined_step`, in fit's order."""
    from l1reg.core import model

    rng, n, dtype = np.random.default_rng(seed), len(x), net.dtype
    lr, lam = np.asarray(lr, dtype=dtype), np.asarray(lam, dtype=dtype)
    p = model.from_flat(net.flat, net.shapes)
    for _ in range(epochs):
        order = rng.permutation(n)
        xs, ts = x[order], t[order]
        for start in range(0, n, batch_size):
            p = inlined_step(p, xs[start:start + batch_size], ts[start:start + batch_size], lr, lam)
    net.flat[...] = model.to_flat(np, p)
