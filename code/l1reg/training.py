"""Training by stochastic gradient descent, as the demo does it.

Each epoch visits the training items in a fresh random order (from an explicit seed)
and takes one step ``w <- w - lr * (dE/dw + lam * sign(w))`` per item, or per
mini-batch of items when ``batch_size > 1``.

:func:`train` trains one network. :func:`train_replicas` trains several networks of
the same shape side by side, each on its own data and visiting order, with the very
same arithmetic stacked along a leading axis: that is what makes a study over twenty
seeds take seconds instead of minutes.

:func:`sgd_step` is the step to read: forward, backward, one vector update. ``train``
and ``train_replicas`` run the same operations in the same order through ``_Step``,
which writes every intermediate result into arrays allocated once per training run
instead of a few dozen new ones per step; the parameters come out bit for bit the
same (``tests/test_fast_training.py``). ``l1reg.loops`` writes the step again with
explicit Python loops, the way the article does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from l1reg._validation import check_positive_int, check_real, check_rng
from l1reg.losses import cross_entropy_signal, squared_error_signal
from l1reg.network import Network, check_network, forward, hit_rate, param_views
from l1reg.penalties import L1, L2


@dataclass
class History:
    """Per-epoch record of a training run (index 0 is after the first epoch)."""

    train_error: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_error: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> np.ndarray:
        """Epoch numbers 1, 2, ..., for plotting."""
        return np.arange(1, len(self.train_error) + 1)


def sgd_step(net: Network, x: np.ndarray, t: np.ndarray, lr: float) -> None:
    """One update ``w <- w - lr * grad(E + penalty)`` on the items ``x`` (unchecked).

    ``x`` and ``t`` must already be arrays of the network's dtype and the right
    shapes: nothing is checked here.
    """
    h, o = net.forward(x)
    grad = net.backward(x, h, o, t)
    net._flat -= lr * grad


def train(
    net: Network,
    x_train,
    t_train,
    *,
    epochs: int,
    lr: float,
    seed: int | np.random.Generator,
    batch_size: int = 1,
    x_test=None,
    t_test=None,
) -> History:
    """Train ``net`` in place by SGD and return its per-epoch history.

    Parameters
    ----------
    net : Network
        The network to train; its penalties (if any) are part of every step.
    x_train, t_train : array-like
        Training inputs (items x n_input) and one-hot targets (items x n_output).
    epochs : int
        Passes over the training data, >= 1.
    lr : float
        Learning rate (eta), > 0.
    seed : int or numpy.random.Generator
        Source of the shuffled visiting order, drawn anew each epoch.
    batch_size : int, default 1
        Items per step; 1 is the demo's per-item SGD. The last batch of an epoch
        may be smaller.
    x_test, t_test : array-like, optional
        Held-out data, evaluated after each epoch (never trained on).

    Returns
    -------
    History
        Training (and test) error without the penalty, and accuracy, per epoch.
    """
    check_network(net)
    x, t, x_test, t_test = _check_data(net, x_train, t_train, x_test, t_test)
    epochs, lr, batch_size = _check_schedule(epochs, lr, batch_size)
    rng = check_rng(seed)

    history = History()
    n = len(x)
    # The visiting order is copied into the same two buffers every epoch, so the
    # batches (and their transposes) are views made once; _Steps does the arithmetic
    # of sgd_step without allocating.
    xs, ts = np.empty_like(x), np.empty_like(t)
    steps = _Steps(net, net.params, net.grads, net._flat, net._grad, xs, ts, batch_size)
    for _ in range(epochs):
        order = rng.permutation(n)
        np.take(x, order, axis=0, out=xs)
        np.take(t, order, axis=0, out=ts)
        steps.run(lr)
        _record([history], net, net.params, x, t, x_test, t_test)
    return history


def train_replicas(
    nets: list[Network],
    x_train,
    t_train,
    *,
    epochs: int,
    lr: float,
    seeds: list,
    batch_size: int = 1,
    x_test=None,
    t_test=None,
) -> list[History]:
    """Train several same-shaped networks at once; same result as :func:`train` on each.

    Replica ``i`` trains ``nets[i]`` on ``x_train[i], t_train[i]`` with visiting
    orders drawn from ``seeds[i]``, exactly as ``train(nets[i], x_train[i],
    t_train[i], seed=seeds[i], ...)`` would (up to floating-point round-off).

    Parameters
    ----------
    nets : list of Network
        At least one network; all must share layer sizes, loss and penalties.
    x_train, t_train : array-like
        Stacked data, shapes (replicas x items x n_input) and
        (replicas x items x n_output).
    seeds : list of int or numpy.random.Generator
        One per replica.
    epochs, lr, batch_size, x_test, t_test
        As for :func:`train` (``x_test``, ``t_test`` stacked like the training data).

    Returns
    -------
    list of History
        One per replica; the networks are trained in place.
    """
    first, rngs, x, t, x_test, t_test, epochs, lr, batch_size = _check_replica_run(
        nets, x_train, t_train, seeds, epochs, lr, batch_size, x_test, t_test
    )
    n_rep = len(nets)

    flat = np.stack([net._flat for net in nets])  # replicas x n_params
    grad = np.empty_like(flat)
    p, g = param_views(flat, first.shapes), param_views(grad, first.shapes)
    histories = [History() for _ in nets]
    rows = np.arange(n_rep)[:, None]
    n = x.shape[1]
    xs, ts = np.empty_like(x), np.empty_like(t)
    steps = _Steps(first, p, g, flat, grad, xs, ts, batch_size)
    for _ in range(epochs):
        order = np.stack([rng.permutation(n) for rng in rngs])
        xs[...], ts[...] = x[rows, order], t[rows, order]
        steps.run(lr)
        _record(histories, first, p, x, t, x_test, t_test)
    for net, row in zip(nets, flat, strict=True):
        net._flat[:] = row
    return histories


class _Steps:
    """All the SGD steps of one epoch over the batches of the buffers ``xs, ts``.

    The caller refills ``xs`` and ``ts`` with each epoch's visiting order; the batches
    are views into them, made once. Full batches come first and the smaller last batch
    (if any) at the end, as in ``range(0, n, batch_size)``.
    """

    def __init__(self, net: Network, p, g, flat, grad, xs, ts, batch_size: int) -> None:
        groups: dict[int, list] = {}
        for start in range(0, xs.shape[-2], batch_size):
            xb, tb = xs[..., start : start + batch_size, :], ts[..., start : start + batch_size, :]
            groups.setdefault(xb.shape[-2], []).append((xb, np.swapaxes(xb, -1, -2), tb))
        self.runs = [
            (_Step(net, p, g, flat, grad, batches[0][0].shape), batches) for batches in groups.values()
        ]

    def run(self, lr: float) -> None:
        for step, batches in self.runs:
            step.run(batches, lr)


class _Step:
    """SGD steps on batches of one shape, with every intermediate array allocated once.

    ``run`` performs, operation for operation and in the same order, what
    :func:`sgd_step` does through :func:`~l1reg.network.forward`, the loss's signal,
    :func:`~l1reg.network.backward`, :func:`~l1reg.network.add_penalty_gradients` and
    ``flat -= lr * grad``, but each NumPy call writes into a buffer (``out=``) instead
    of a new array. The parameters come out bit-for-bit the same; the tests check
    that ``train`` equals a loop of ``sgd_step`` exactly. Where a cheaper call gives
    the same bits it is used instead: ``np.dot`` for one network's 2-D products (the
    same BLAS routines as ``@``, with less overhead), and, for a batch of one item,
    ``a + 0.0`` for the sum over that one item (which is what the sum computes). A
    loss or penalty it does not know falls back to the object's own method.
    """

    def __init__(self, net: Network, p, g, flat, grad, x_shape: tuple) -> None:
        lead, n = x_shape[:-2], x_shape[-2]
        dtype = flat.dtype

        def buf(*units):
            return np.empty(lead + (n,) + units, dtype=dtype)

        n_h, n_o = net.n_hidden, net.n_output
        self.n = n
        self.flat, self.grad, self.update = flat, grad, np.empty_like(grad)
        self.p = (p["ih_weights"], p["ho_weights"], np.swapaxes(p["ho_weights"], -1, -2),
                  p["h_biases"][..., None, :], p["o_biases"][..., None, :])
        h = buf(n_h)
        self.hidden = (buf(n_h), h, np.swapaxes(h, -1, -2), buf(n_h), buf(n_h), buf(n_h))
        self.output = (buf(n_o), buf(n_o), buf(1), buf(n_o), buf(n_o), buf(1), buf(n_o))
        self.signal = (buf(n_o), buf(n_o), buf(1), buf(n_o), buf(n_o))
        self.loss = {squared_error_signal: "squared", cross_entropy_signal: "cross_entropy"}.get(net._signal)
        self.custom_signal = net._signal
        # matmul on a stack of networks; np.dot for one (2-D): the same BLAS calls. The
        # outer products of a one-item batch stay with matmul, whose loop computes
        # 0 + a * b exactly as sgd_step's matmul does.
        single = not lead
        self.product = np.dot if single else np.matmul
        self.outer = np.dot if single and n > 1 else np.matmul
        # Gradients are written straight into the views g (backward computes them into
        # new arrays and copies them in: the same numbers). For a batch of one item the
        # bias gradients, sums over that one item (0.0 + item), are written as
        # item + 0.0 into a (..., 1, units) view.
        self.g = tuple(g[name] for name in ("ih_weights", "ho_weights", "h_biases", "o_biases"))
        self.bias_rows = tuple(g[name][..., None, :] for name in ("h_biases", "o_biases"))
        w, b = net._n_weights, net.n_params
        self.penalties = [
            _Penalty(penalty, flat[..., lo:hi], grad[..., lo:hi])
            for penalty, lo, hi in ((net.weight_penalty, 0, w), (net.bias_penalty, w, b))
            if penalty is not None
        ]

    def run(self, batches: list, lr: float) -> None:
        """One step per ``(x, x transposed, t)`` in ``batches``, in order."""
        add, subtract, multiply, divide = np.add, np.subtract, np.multiply, np.divide
        add_reduce, max_reduce = np.add.reduce, np.maximum.reduce
        tanh, exp, copyto = np.tanh, np.exp, np.copyto
        product, outer = self.product, self.outer
        w_ih, w_ho, w_ho_t, b_h, b_o = self.p
        xw, h, h_t, back, hh, h_signal = self.hidden
        hw, z, z_max, shifted, e, e_sum, o = self.output
        diff, diff_o, inner, centred, z_signal = self.signal
        # the sums and maxima over units go into (..., items) views of their (..., items, 1)
        # buffers: the same reductions, without keepdims's extra work
        z_max_flat, e_sum_flat, inner_flat = (a[..., 0] for a in (z_max, e_sum, inner))
        g_ih, g_ho, g_bh, g_bo = self.g
        row_bh, row_bo = self.bias_rows
        flat, grad, update, penalties, loss, n = (
            self.flat, self.grad, self.update, self.penalties, self.loss, self.n
        )
        # The Python numbers as 0-d arrays of the parameters' dtype: the values NumPy
        # would convert them to anyway, without converting them at every call.
        zero, one, items, lr = (np.array(v, dtype=flat.dtype) for v in (0.0, 1.0, n, lr))
        for x, x_t, t in batches:
            # forward: h = tanh(x W_ih + b_h), o = softmax(h W_ho + b_o)
            product(x, w_ih, xw)
            add(xw, b_h, xw)
            tanh(xw, h)
            product(h, w_ho, hw)
            add(hw, b_o, z)
            max_reduce(z, -1, None, z_max_flat)
            subtract(z, z_max, shifted)
            exp(shifted, e)
            add_reduce(e, -1, None, e_sum_flat)
            divide(e, e_sum, o)
            # z_signal = dE/dz, as in l1reg.losses (x / 1 is x, so a batch of one skips it)
            if loss == "squared":
                subtract(o, t, diff)
                multiply(diff, o, diff_o)
                add_reduce(diff_o, -1, None, inner_flat)  # sum_k (o_k - t_k) o_k
                subtract(diff, inner, centred)
                multiply(o, centred, z_signal)
            elif loss == "cross_entropy":
                subtract(o, t, z_signal)
            else:
                copyto(z_signal, self.custom_signal(o, t))
            if n != 1 and loss is not None:
                divide(z_signal, items, z_signal)
            # backward, as l1reg.network.backward
            outer(h_t, z_signal, g_ho)
            if n == 1:
                add(z_signal, zero, row_bo)
            else:
                add_reduce(z_signal, -2, None, g_bo)
            product(z_signal, w_ho_t, back)
            multiply(h, h, hh)
            subtract(one, hh, hh)
            multiply(back, hh, h_signal)
            outer(x_t, h_signal, g_ih)
            if n == 1:
                add(h_signal, zero, row_bh)
            else:
                add_reduce(h_signal, -2, None, g_bh)
            for penalty in penalties:
                penalty.add_gradient()
            # the step: flat -= lr * grad
            multiply(lr, grad, update)
            subtract(flat, update, flat)


class _Penalty:
    """``grad += penalty.gradient(flat)`` on fixed views, without allocating for L1 and L2."""

    def __init__(self, penalty, flat: np.ndarray, grad: np.ndarray) -> None:
        self.penalty, self.flat, self.grad = penalty, flat, grad
        self.buffer = np.empty_like(flat)
        # exact types only: a subclass may compute its gradient differently
        self.kind = {L1: "l1", L2: "l2"}.get(type(penalty))
        if self.kind == "l1":
            self.lam = np.array(penalty.lam, dtype=flat.dtype)
        elif self.kind == "l2":
            self.twice_lam = np.array(2.0 * penalty.lam, dtype=flat.dtype)

    def add_gradient(self) -> None:
        if self.kind == "l1":  # lam * sign(w), as L1.gradient
            np.sign(self.flat, self.buffer)
            np.multiply(self.lam, self.buffer, self.buffer)
        elif self.kind == "l2":  # 2 * lam * w, as L2.gradient: (2 * lam) first, in Python
            np.multiply(self.twice_lam, self.flat, self.buffer)
        else:
            self.buffer[...] = self.penalty.gradient(self.flat)
        np.add(self.grad, self.buffer, self.grad)


def _record(histories: list[History], net: Network, p, x, t, x_test, t_test) -> None:
    """Append this epoch's errors and accuracies (one history per replica)."""
    sets = [(x, t, "train")] + ([(x_test, t_test, "test")] if x_test is not None else [])
    for xx, tt, which in sets:
        o = forward(p, xx)[1]
        errors = np.atleast_1d(net._error(o, tt))
        hits = np.atleast_1d(hit_rate(o, tt))
        for history, err, acc in zip(histories, errors, hits, strict=True):
            getattr(history, f"{which}_error").append(float(err))
            getattr(history, f"{which}_accuracy").append(float(acc))


def _check_schedule(epochs, lr, batch_size) -> tuple[int, float, int]:
    return (
        check_positive_int(epochs, "epochs"),
        check_real(lr, "lr", minimum=0.0, strict=True),
        check_positive_int(batch_size, "batch_size"),
    )


def _check_data(net: Network, x_train, t_train, x_test, t_test):
    x = net.check_inputs(x_train, "x_train")
    t = net.check_targets(t_train, len(x), "t_train")
    _check_test_pair(x_test, t_test)
    if x_test is not None:
        x_test = net.check_inputs(x_test, "x_test")
        t_test = net.check_targets(t_test, len(x_test), "t_test")
    return x, t, x_test, t_test


def _check_test_pair(x_test, t_test) -> None:
    if (x_test is None) != (t_test is None):
        raise ValueError("x_test and t_test must be given together")



def _check_replica_run(nets, x_train, t_train, seeds, epochs, lr, batch_size, x_test, t_test):
    """The checks every side-by-side trainer makes, in one place; returns the checked values."""
    first = _check_replicas(nets)
    n_rep = len(nets)
    if not isinstance(seeds, (list, tuple)) or len(seeds) != n_rep:
        raise ValueError(f"seeds must be a list with one seed per network ({n_rep})")
    rngs = [check_rng(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    x, t = _check_stack(first, x_train, t_train, n_rep, "x_train", "t_train")
    _check_test_pair(x_test, t_test)
    if x_test is not None:
        x_test, t_test = _check_stack(first, x_test, t_test, n_rep, "x_test", "t_test")
    epochs, lr, batch_size = _check_schedule(epochs, lr, batch_size)
    return first, rngs, x, t, x_test, t_test, epochs, lr, batch_size

def _check_replicas(nets) -> Network:
    if not isinstance(nets, (list, tuple)) or not nets:
        raise ValueError("nets must be a non-empty list of l1reg.Network")
    first = nets[0]
    for i, net in enumerate(nets):
        check_network(net, f"nets[{i}]")
        if any(net is other for other in nets[:i]):
            raise ValueError(f"nets[{i}] is the same object as an earlier network; pass distinct networks")
        same = (
            net.shapes == first.shapes
            and net.loss == first.loss
            and net.dtype == first.dtype
            and _penalty_config(net.weight_penalty) == _penalty_config(first.weight_penalty)
            and _penalty_config(net.bias_penalty) == _penalty_config(first.bias_penalty)
        )
        if not same:
            raise ValueError(f"nets[{i}] differs from nets[0] in shape, loss, penalties or dtype")
    return first


def _penalty_config(penalty) -> tuple | None:
    """What makes two penalties the same: their class and exact settings."""
    return None if penalty is None else (type(penalty), tuple(sorted(penalty.get_config().items())))


def _check_stack(net: Network, x, t, n_rep: int, x_name: str, t_name: str):
    """Check stacked data replica by replica, with names like ``x_train[3]``."""
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim != 3 or len(x) != n_rep:
        raise ValueError(f"{x_name} must have shape (replicas={n_rep}, items, n_input), got {x.shape}")
    if t.ndim != 3 or len(t) != n_rep:
        raise ValueError(f"{t_name} must have shape (replicas={n_rep}, items, n_output), got {t.shape}")
    checked = [
        (net.check_inputs(xi, f"{x_name}[{i}]"), net.check_targets(ti, len(xi), f"{t_name}[{i}]"))
        for i, (xi, ti) in enumerate(zip(x, t, strict=True))
    ]
    return np.stack([c[0] for c in checked]), np.stack([c[1] for c in checked])
