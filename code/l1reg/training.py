"""Training by stochastic gradient descent, as the demo does it.

Each epoch visits the training items in a fresh random order (from an explicit seed)
and takes one step ``w <- w - lr * (dE/dw + lam * sign(w))`` per item, or per
mini-batch of items when ``batch_size > 1``.

:func:`train` trains one network. :func:`train_replicas` trains several networks of
the same shape side by side, each on its own data and visiting order, with the very
same arithmetic stacked along a leading axis: that is what makes a study over twenty
seeds take seconds instead of minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from l1reg._validation import check_positive_int, check_real, check_rng
from l1reg.network import Network, add_penalty_gradients, backward, forward, hit_rate, param_views


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

    ``x`` and ``t`` must already be float64 arrays of the right shapes: this is
    the inner loop, checked once by :func:`train`.
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
    if not isinstance(net, Network):
        raise TypeError(f"net must be an l1reg.Network, got {type(net).__name__}")
    x, t, x_test, t_test = _check_data(net, x_train, t_train, x_test, t_test)
    epochs, lr, batch_size = _check_schedule(epochs, lr, batch_size)
    rng = check_rng(seed)

    history = History()
    n = len(x)
    for _ in range(epochs):
        order = rng.permutation(n)
        xs, ts = x[order], t[order]  # one copy per epoch; the batches below are views
        for start in range(0, n, batch_size):
            sgd_step(net, xs[start : start + batch_size], ts[start : start + batch_size], lr)
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

    flat = np.stack([net._flat for net in nets])  # replicas x n_params
    grad = np.empty_like(flat)
    p, g = param_views(flat, first.shapes), param_views(grad, first.shapes)
    histories = [History() for _ in nets]
    rows = np.arange(n_rep)[:, None]
    n = x.shape[1]
    for _ in range(epochs):
        order = np.stack([rng.permutation(n) for rng in rngs])
        xs, ts = x[rows, order], t[rows, order]
        for start in range(0, n, batch_size):
            xb, tb = xs[:, start : start + batch_size], ts[:, start : start + batch_size]
            h, o = forward(p, xb)
            backward(p, xb, h, o, first._signal(o, tb), g)
            add_penalty_gradients(first, flat, grad)
            flat -= lr * grad
        _record(histories, first, p, x, t, x_test, t_test)
    for net, row in zip(nets, flat, strict=True):
        net._flat[:] = row
    return histories


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


def _check_replicas(nets) -> Network:
    if not isinstance(nets, (list, tuple)) or not nets:
        raise ValueError("nets must be a non-empty list of l1reg.Network")
    first = nets[0]
    for i, net in enumerate(nets):
        if not isinstance(net, Network):
            raise TypeError(f"nets[{i}] must be an l1reg.Network, got {type(net).__name__}")
        if any(net is other for other in nets[:i]):
            raise ValueError(f"nets[{i}] is the same object as an earlier network; pass distinct networks")
        same = (
            net.shapes == first.shapes
            and net.loss == first.loss
            and _penalty_config(net.weight_penalty) == _penalty_config(first.weight_penalty)
            and _penalty_config(net.bias_penalty) == _penalty_config(first.bias_penalty)
        )
        if not same:
            raise ValueError(f"nets[{i}] differs from nets[0] in shape, loss or penalties")
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
