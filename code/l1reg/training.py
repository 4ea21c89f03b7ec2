"""Training by stochastic gradient descent: one entry point, :func:`fit`.

Each epoch visits the training items in a fresh random order (from an explicit seed)
and takes one step ``w <- w - lr * (dE/dw + lam * sign(w))`` per item, or per
mini-batch of items when ``batch_size > 1``.

:func:`fit` trains one network, or several networks of the same shape side by side,
each on its own data and visiting order, with the very same arithmetic stacked along a
leading axis: that is what makes a study over twenty seeds take seconds instead of
minutes. What varies plugs in as an argument: an update rule (``rule=Proximal(lam)``,
:mod:`l1reg.update_rules`), input noise (``noise=Dropout(rate, seed)``) and callbacks
(``callbacks=[EarlyStopping(x_val, t_val)]``), in the manner of Keras's ``fit``.

:func:`sgd_step` is the step to read: forward, backward, one vector update. ``fit``
runs the same operations in the same order through :class:`Step`, which writes every
intermediate result into arrays allocated once per training run instead of a few dozen
new ones per step; the parameters come out bit for bit the same
(``tests/test_fast_training.py``). ``l1reg.loops`` writes the step again with explicit
Python loops, the way the article does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from l1reg._validation import check_positive_int, check_real, check_rng
from l1reg.compiled import compiled_engine
from l1reg.losses import Loss
from l1reg.network import WEIGHT_NAMES, Network, check_network, forward, hit_rate, param_views
from l1reg.penalties import Penalty
from l1reg.update_rules import UpdateRule, rule_for_run, weight_slice


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
    net.flat -= lr * grad


# --- what fit hands to its engine and its callbacks ----------------------------------------


class Callback:
    """Hooks that :func:`fit` calls; a callback overrides those it needs.

    ``on_train_begin(run)`` once before the first epoch, ``on_epoch_end(epoch, run)``
    after each epoch (numbered from 1; the history already holds it), and
    ``on_train_end(run)`` once at the end, before the parameters go back into the
    networks. A true return value from ``on_epoch_end`` stops training after that
    epoch. ``run`` is the :class:`TrainingRun`; ``run.flat`` holds the live parameters.
    """

    def on_train_begin(self, run: TrainingRun) -> None:
        """Called once, before the first epoch (e.g. to check data against ``run.net``)."""

    def on_epoch_end(self, epoch: int, run: TrainingRun) -> bool | None:
        """Called after every epoch; return True to stop training."""

    def on_train_end(self, run: TrainingRun) -> None:
        """Called once, after the last epoch."""


@dataclass
class TrainingRun:
    """One checked training run: what :func:`fit` hands to its engine and its callbacks.

    ``flat`` holds the parameters being trained: the network's own vector for one
    network, a (replicas x n_params) copy of the stack's for several (copied back
    into the networks at the end); ``params`` are named views into it. ``x_train`` and
    ``t_train`` are 2-D for one network, 3-D (replicas first) for a stack; so are the
    test arrays, if any. The rule acts on ``flat[..., on_slice]``, the weight matrices
    named in ``on_names``. The other fields are :func:`fit`'s arguments, checked.
    """

    nets: list[Network]
    stacked: bool
    flat: np.ndarray
    x_train: np.ndarray
    t_train: np.ndarray
    test_data: tuple[np.ndarray, np.ndarray] | None
    rngs: list[np.random.Generator]
    epochs: int
    lr: float
    batch_size: int
    rule: UpdateRule
    on_slice: slice
    on_names: tuple[str, ...]
    noise: object | None
    callbacks: list[Callback]
    record_history: bool = True
    histories: list[History] = field(init=False)
    params: dict[str, np.ndarray] = field(init=False)
    last_finite: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.histories = [History() for _ in self.nets]
        self.params = param_views(self.flat, self.net.shapes)
        self.last_finite = self.flat.copy()  # the parameters at the end of the last finite epoch

    @property
    def net(self) -> Network:
        """The first network: its shapes, loss and penalties are the whole stack's."""
        return self.nets[0]

    def end_epoch(self, epoch: int, scores: dict | None = None) -> bool:
        """Check, record the epoch in the histories and call the callbacks; True if one says stop.

        Every engine calls this after each epoch. If a parameter became NaN or infinite,
        training has diverged: the parameters go back to those at the end of the last
        finite epoch (the initial ones if it was the first), in every network of a
        stack, and :class:`TrainingDiverged` is raised. ``scores`` are the epoch's errors
        and accuracies if the engine computed them itself, as :func:`epoch_scores` does
        (``{"train": (errors, accuracies), ...}``, one number per network); by default
        they are computed here, with NumPy.
        """
        self.check_finite(epoch)
        if not self.record_history:
            scores = {}
        elif scores is None:
            scores = epoch_scores(self.net, self.params, self.x_train, self.t_train, self.test_data)
        for which, (errors, hits) in scores.items():
            errors, hits = np.atleast_1d(errors), np.atleast_1d(hits)
            for history, err, acc in zip(self.histories, errors, hits, strict=True):
                getattr(history, f"{which}_error").append(float(err))
                getattr(history, f"{which}_accuracy").append(float(acc))
        stops = [bool(callback.on_epoch_end(epoch, self)) for callback in self.callbacks]
        return any(stops)

    def check_finite(self, epoch: int) -> None:
        """Remember the parameters if all are finite; otherwise restore them and raise."""
        finite = np.isfinite(self.flat).all(axis=-1)
        if np.all(finite):
            np.copyto(self.last_finite, self.flat)
            return
        self.flat[...] = self.last_finite
        if self.stacked:
            for one, row in zip(self.nets, self.flat, strict=True):
                one.flat[:] = row
        which = ""
        if self.stacked:
            bad = np.flatnonzero(~finite).tolist()
            which = f" in replica{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} of the stack"
        kept = f"the end of epoch {epoch - 1}" if epoch > 1 else "the start of training"
        raise TrainingDiverged(
            f"training diverged in epoch {epoch}{which}: a parameter became NaN or infinite "
            f"(lr={self.lr:g} is too large for this network and data; lower lr). "
            f"{'The networks hold their' if self.stacked else 'The network holds its'} "
            f"parameters from {kept}."
        )


class TrainingDiverged(FloatingPointError):
    """Raised by :func:`fit` when a parameter becomes NaN or infinite (a FloatingPointError).

    The networks are left with their parameters from the end of the last finite epoch.
    """


# --- the one entry point ---------------------------------------------------------------------


def fit(
    net: Network | Sequence[Network],
    x_train,
    t_train,
    *,
    epochs: int,
    lr: float,
    seed,
    batch_size: int = 1,
    rule: UpdateRule | Sequence[UpdateRule] | None = None,
    on: Sequence[str] = WEIGHT_NAMES,
    noise=None,
    callbacks: Sequence[Callback] = (),
    test_data: tuple | None = None,
    engine: str = "numpy",
    record_history: bool = True,
) -> History | list[History]:
    """Train one network, or several same-shaped networks side by side, by SGD.

    The parameters mirror Keras's ``Model.fit`` (data, epochs, batch size, callbacks,
    validation data) plus what this book varies (the update rule and the weights it
    acts on, input noise, the engine): more than eight, each with a default but the
    schedule, so that every way to train in the book is one call.

    Parameters
    ----------
    net : Network or list of Network
        One network, trained in place; or a list of networks with the same layer sizes,
        loss, penalties and dtype, trained side by side, replica ``i`` on
        ``x_train[i], t_train[i]``, exactly as one ``fit`` per network would (up to
        floating-point round-off). Penalties of the networks are part of every step.
    x_train, t_train : array-like
        Inputs (items x n_input) and one-hot targets (items x n_output); for a list of
        networks, stacked: (replicas x items x ...).
    epochs : int
        Passes over the training data, >= 1.
    lr : float
        Learning rate (eta), > 0.
    seed : int or numpy.random.Generator, or a list of them
        Source of the shuffled visiting order, drawn anew each epoch; one per network
        for a list of networks.
    batch_size : int, default 1
        Items per step; 1 is the demo's per-item SGD. The last batch of an epoch may be
        smaller.
    rule : UpdateRule or list of UpdateRule, optional
        How the weights named in ``on`` are updated (:mod:`l1reg.update_rules`), plain
        SGD by default; for a list of networks, one rule for all or one per network
        (e.g. ``[Proximal(lam) for lam in lams]``; the kinds may differ too).
    on : sequence of str, default ("ih_weights", "ho_weights")
        The weight matrices the rule acts on, e.g. ``("ih_weights",)``. Biases are never
        touched by the rule.
    noise : Dropout or Jitter, optional
        Noise injected into each step's forward pass (with its own seed). For a stack,
        its draws for replica ``i`` depend on how many replicas there are.
    callbacks : sequence of Callback, default ()
        Called after every epoch (:class:`Callback`), e.g.
        :class:`l1reg.early_stopping.EarlyStopping`.
    test_data : (x_test, t_test), optional
        Held-out data, evaluated after each epoch (never trained on); stacked like the
        training data for a list of networks.
    engine : {"numpy", "compiled"}, default "numpy"
        What computes the steps: NumPy (:func:`numpy_engine`), or the same arithmetic
        compiled by JAX, all the networks at once and all the epochs in one call
        unless a callback needs the parameters after each
        (:func:`l1reg.compiled.compiled_engine`): many times faster for a stack of
        small networks, but its first call for a configuration compiles (a few
        seconds), and it refuses noise, rules and penalties other than the book's
        (a ValueError saying so).
    record_history : bool, default True
        Evaluate every network on its training (and test) data after each epoch. A
        study that reads only the trained networks may pass False: the Histories come
        back empty, and each epoch saves a forward pass over the data (for a stack of
        small networks trained per item, about a fifth of the compiled engine's time).

    Returns
    -------
    History or list of History
        Training (and test) error without the penalty, and accuracy, per epoch; one
        History per network for a list of networks (empty with ``record_history=False``).

    Raises
    ------
    TrainingDiverged
        (a ``FloatingPointError``) if after some epoch a parameter of any network is NaN
        or infinite: the message names the epoch and, for a stack, the replicas, and the
        networks are left with their parameters from the end of the epoch before (their
        initial ones if the first epoch diverged). Lower ``lr``. A learning rate so large
        that tanh saturates while every number stays finite is not an error: the history
        shows the poor accuracy.

    Examples
    --------
    >>> from l1reg import L1, Network, make_demo_data
    >>> data = make_demo_data(n_train=20, n_test=10)
    >>> net = Network(10, 8, 4, seed=0, weight_penalty=L1(0.001))
    >>> history = fit(net, data.x_train, data.t_train, epochs=3, lr=0.01, seed=1,
    ...               test_data=(data.x_test, data.t_test))
    >>> len(history.train_accuracy), len(history.test_accuracy)
    (3, 3)
    """
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ValueError(f"engine must be one of {sorted(ENGINES)}, got {engine!r}")
    checked = _check_networks_and_data(net, x_train, t_train, seed, test_data)
    first, n_replicas = checked["nets"][0], len(checked["nets"]) if checked["stacked"] else None
    on_slice, on_names = weight_slice(first, on)
    run = TrainingRun(
        **checked,
        epochs=check_positive_int(epochs, "epochs"),
        lr=check_real(lr, "lr", minimum=0.0, strict=True),
        batch_size=check_positive_int(batch_size, "batch_size"),
        rule=rule_for_run(rule, first, n_replicas),
        on_slice=on_slice,
        on_names=on_names,
        noise=_check_noise(noise),
        callbacks=_check_callbacks(callbacks),
        record_history=_check_flag(record_history, "record_history"),
    )
    for callback in run.callbacks:
        callback.on_train_begin(run)
    # A step that overflows makes a parameter inf or NaN, which end_epoch reports as
    # TrainingDiverged after the epoch: NumPy's warnings would only say it earlier, vaguely.
    with np.errstate(over="ignore", invalid="ignore"):
        ENGINES[engine](run)
    for callback in run.callbacks:
        callback.on_train_end(run)
    if run.stacked:
        for one, row in zip(run.nets, run.flat, strict=True):
            one.flat[:] = row
    return run.histories if run.stacked else run.histories[0]


def numpy_engine(run: TrainingRun) -> None:
    """Train ``run`` with NumPy: each epoch a fresh visiting order, one :class:`Step` per batch.

    The visiting order is copied into the same two buffers every epoch, so the batches
    (and their transposes) are views made once.
    """
    xs, ts = np.empty_like(run.x_train), np.empty_like(run.t_train)
    steps = Steps(run, xs, ts)
    n = run.x_train.shape[-2]
    rows = np.arange(len(run.rngs))[:, None]
    for epoch in range(1, run.epochs + 1):
        if run.stacked:
            order = np.stack([rng.permutation(n) for rng in run.rngs])
            xs[...], ts[...] = run.x_train[rows, order], run.t_train[rows, order]
        else:
            order = run.rngs[0].permutation(n)
            np.take(run.x_train, order, axis=0, out=xs)
            np.take(run.t_train, order, axis=0, out=ts)
        steps.run()
        if run.end_epoch(epoch):
            break


#: The engines ``fit(engine=...)`` can run on (the compiled one imports JAX when it runs).
ENGINES: dict[str, Callable[[TrainingRun], None]] = {"numpy": numpy_engine, "compiled": compiled_engine}


# --- the buffered step -------------------------------------------------------------------------


class Steps:
    """All the SGD steps of one epoch over the batches of the buffers ``xs, ts``.

    The caller refills ``xs`` and ``ts`` with each epoch's visiting order; the batches
    are views into them, made once. Full batches come first and the smaller last batch
    (if any) at the end, as in ``range(0, n, batch_size)``; each size has its own
    :class:`Step` (its buffers have the batch's shape).
    """

    def __init__(self, run: TrainingRun, xs: np.ndarray, ts: np.ndarray) -> None:
        groups: dict[int, list] = {}
        size = run.batch_size
        for start in range(0, xs.shape[-2], size):
            xb, tb = xs[..., start : start + size, :], ts[..., start : start + size, :]
            groups.setdefault(xb.shape[-2], []).append((xb, np.swapaxes(xb, -1, -2), tb))
        grad = np.empty_like(run.flat)
        state = run.rule.start(run.flat[..., run.on_slice], [run.params[name] for name in run.on_names])
        self.runs = [(Step(run, grad, batches[0][0].shape, state), batches) for batches in groups.values()]

    def run(self) -> None:
        for step, batches in self.runs:
            take = step.take
            for x, x_t, t in batches:
                take(x, x_t, t)


# The step calls these a few dozen times per item: names bound once, here, instead of
# looked up as np.<name> at every call.
add, subtract, multiply, divide, tanh, exp = np.add, np.subtract, np.multiply, np.divide, np.tanh, np.exp
add_reduce, max_reduce = np.add.reduce, np.maximum.reduce


@dataclass(slots=True)
class StepArrays:
    """The arrays one :class:`Step` works on, named as in :mod:`l1reg.network`.

    Views into the parameters and the gradient (made once), and every intermediate
    array of a step on batches of one shape (allocated once), each (..., items, units)
    with a leading replica axis for a stack. ``z_max`` and ``e_sum`` are (..., items, 1);
    their ``*_rows`` are (..., items) views of them, where the reductions over units
    write (the same sums as ``keepdims=True``, without its extra work).
    """

    # parameters (views into flat): W_ih, W_ho, W_ho transposed, b_h and b_o as (..., 1, units)
    w_ih: np.ndarray
    w_ho: np.ndarray
    w_ho_t: np.ndarray
    b_h: np.ndarray
    b_o: np.ndarray
    # gradients (views into grad); *_row: (..., 1, units) views of the bias gradients
    g_ih: np.ndarray
    g_ho: np.ndarray
    g_bh: np.ndarray
    g_bo: np.ndarray
    g_bh_row: np.ndarray
    g_bo_row: np.ndarray
    # forward
    xw: np.ndarray  # x @ W_ih, then + b_h
    h: np.ndarray  # tanh(xw)
    h_t: np.ndarray  # h transposed: a view
    hw: np.ndarray  # h @ W_ho
    z: np.ndarray  # hw + b_o
    z_max: np.ndarray
    z_max_rows: np.ndarray
    shifted: np.ndarray  # z - max z
    e: np.ndarray  # exp(shifted)
    e_sum: np.ndarray
    e_sum_rows: np.ndarray
    o: np.ndarray  # e / sum e
    # backward
    z_signal: np.ndarray  # dE/dz
    h_grad: np.ndarray  # dE/dh = z_signal @ W_ho^T
    tanh_slope: np.ndarray  # 1 - h * h
    h_signal: np.ndarray  # dE/dh * (1 - h * h)

    @classmethod
    def allocate(cls, p: dict, g: dict, x_shape: tuple, dtype) -> StepArrays:
        """Views into the named parameters ``p`` and gradients ``g``, and new buffers."""
        lead, n = x_shape[:-2], x_shape[-2]
        n_hidden, n_output = p["h_biases"].shape[-1], p["o_biases"].shape[-1]

        def buf(units):
            return np.empty(lead + (n, units), dtype=dtype)

        def row(a):
            return a[..., None, :]

        h, z_max, e_sum = buf(n_hidden), buf(1), buf(1)
        return cls(
            w_ih=p["ih_weights"], w_ho=p["ho_weights"], w_ho_t=np.swapaxes(p["ho_weights"], -1, -2),
            b_h=row(p["h_biases"]), b_o=row(p["o_biases"]),
            g_ih=g["ih_weights"], g_ho=g["ho_weights"], g_bh=g["h_biases"], g_bo=g["o_biases"],
            g_bh_row=row(g["h_biases"]), g_bo_row=row(g["o_biases"]),
            xw=buf(n_hidden), h=h, h_t=np.swapaxes(h, -1, -2), hw=buf(n_output), z=buf(n_output),
            z_max=z_max, z_max_rows=z_max[..., 0], shifted=buf(n_output), e=buf(n_output),
            e_sum=e_sum, e_sum_rows=e_sum[..., 0], o=buf(n_output),
            z_signal=buf(n_output), h_grad=buf(n_hidden), tanh_slope=buf(n_hidden), h_signal=buf(n_hidden),
        )


class Step:
    """SGD steps on batches of one shape, with every intermediate array allocated once.

    :meth:`take` performs, operation for operation and in the same order, what
    :func:`sgd_step` does through :func:`~l1reg.network.forward`, the loss's signal,
    :func:`~l1reg.network.backward`, :func:`~l1reg.network.add_penalty_gradients` and
    ``flat -= lr * grad``, with the update rule's hooks around the update; but each
    NumPy call writes into a buffer (``out=``) instead of a new array. The parameters
    come out bit for bit the same. Where a cheaper call gives the same bits it is used
    instead: ``np.dot`` for one network's 2-D products (the same BLAS routines as
    ``@``, with less overhead), and, for a batch of one item, ``a + 0.0`` for the sum
    over that one item (which is what the sum computes).

    The loss and the penalties compute in place through their own ``signal_into`` and
    ``add_gradient``; an object without them is called through ``signal`` and
    ``gradient``. With ``noise``, the data gradient is the noise object's own
    (``noise.data_gradient``: the network's forward and backward on noisy inputs or
    with a dropout mask), which allocates: its draws, and the float64 arithmetic a
    float64 mask or noise brings into a float32 network, stay exactly as they are.
    """

    def __init__(self, run: TrainingRun, grad: np.ndarray, x_shape: tuple, rule_state) -> None:
        net, flat = run.net, run.flat
        lead, n = x_shape[:-2], x_shape[-2]
        self.one_item = n == 1
        self.flat, self.grad, self.update = flat, grad, np.empty_like(grad)
        self.p, self.g = run.params, param_views(grad, net.shapes)
        self.a = StepArrays.allocate(self.p, self.g, x_shape, flat.dtype)
        # matmul on a stack of networks; np.dot for one (2-D): the same BLAS calls. The
        # outer products of a one-item batch stay with matmul, whose loop computes
        # 0 + a * b exactly as sgd_step's matmul does.
        self.product = np.matmul if lead else np.dot
        self.outer = np.dot if not lead and n > 1 else np.matmul
        self.loss = net.loss
        self.signal_into, self.signal_scratch = _in_place(net.loss, Loss, "signal_into", "signal_scratch",
                                                          self.a.o)
        self.penalties = [
            (flat[..., part], grad[..., part],
             *_in_place(penalty, Penalty, "add_gradient", "gradient_scratch", flat[..., part]))
            for penalty, part in ((net.weight_penalty, slice(0, net.n_weights)),
                                  (net.bias_penalty, slice(net.n_weights, net.n_params)))
            if penalty is not None
        ]
        rule = run.rule
        self.noise, self.rule_state = run.noise, rule_state
        self.data_gradient = self.buffered_data_gradient if run.noise is None else self.noisy_data_gradient
        self.adjust_gradient = rule.adjust_gradient if rule.adjusts_gradient else None
        self.after_step = rule.after_step if rule.moves_after_step else None
        self.w, self.w_grad = flat[..., run.on_slice], grad[..., run.on_slice]  # what the rule acts on
        # the Python numbers as 0-d arrays of the parameters' dtype: the values NumPy would
        # convert them to anyway, without converting them at every call
        self.zero, self.one, self.lr = (np.array(v, dtype=flat.dtype) for v in (0.0, 1.0, run.lr))
        self.lr_number = run.lr  # the rule's hooks get the Python float, as they always did

    def take(self, x: np.ndarray, x_t: np.ndarray, t: np.ndarray) -> None:
        """One step on the items ``x`` (``x_t`` is ``x`` transposed) with targets ``t``."""
        self.data_gradient(x, x_t, t)
        for w, grad, add_gradient, scratch in self.penalties:  # as network.add_penalty_gradients
            add_gradient(w, grad, scratch)
        # flat -= lr * grad, with the rule's hooks before and after (l1reg.update_rules)
        if self.adjust_gradient is not None:
            self.adjust_gradient(self.w, self.w_grad)
        multiply(self.lr, self.grad, self.update)
        subtract(self.flat, self.update, self.flat)
        if self.after_step is not None:
            self.after_step(self.w, self.lr_number, self.rule_state)

    def buffered_data_gradient(self, x: np.ndarray, x_t: np.ndarray, t: np.ndarray) -> None:
        """The data gradient into ``grad``: forward, the loss's signal, backward, in buffers.

        One method rather than three: it runs once per item, and each further Python
        call would cost the demo's step a few per cent.
        """
        a, product, outer = self.a, self.product, self.outer
        # forward, as network.forward: h = tanh(x W_ih + b_h) (hidden_forward), then
        # o = softmax(h W_ho + b_o) (output_forward, with losses.softmax)
        product(x, a.w_ih, a.xw)
        add(a.xw, a.b_h, a.xw)
        tanh(a.xw, a.h)
        product(a.h, a.w_ho, a.hw)
        add(a.hw, a.b_o, a.z)
        max_reduce(a.z, -1, None, a.z_max_rows)
        subtract(a.z, a.z_max, a.shifted)
        exp(a.shifted, a.e)
        add_reduce(a.e, -1, None, a.e_sum_rows)
        divide(a.e, a.e_sum, a.o)
        # the loss's signal z_signal = dE/dz, as net.loss.signal(o, t)
        self.signal_into(a.o, t, a.z_signal, self.signal_scratch)
        # backward, as network.backward: output_backward (W_ho, b_o, dE/dh), then
        # hidden_backward (tanh' = 1 - h^2; W_ih, b_h)
        outer(a.h_t, a.z_signal, a.g_ho)
        if self.one_item:
            add(a.z_signal, self.zero, a.g_bo_row)
        else:
            add_reduce(a.z_signal, -2, None, a.g_bo)
        product(a.z_signal, a.w_ho_t, a.h_grad)
        multiply(a.h, a.h, a.tanh_slope)
        subtract(self.one, a.tanh_slope, a.tanh_slope)
        multiply(a.h_grad, a.tanh_slope, a.h_signal)
        outer(x_t, a.h_signal, a.g_ih)
        if self.one_item:
            add(a.h_signal, self.zero, a.g_bh_row)
        else:
            add_reduce(a.h_signal, -2, None, a.g_bh)

    def noisy_data_gradient(self, x: np.ndarray, x_t: np.ndarray, t: np.ndarray) -> None:
        """The data gradient into ``grad`` from the noise object's own pass (it allocates)."""
        self.noise.data_gradient(self.p, x, t, self.loss, self.g)


def _in_place(obj, base: type, method: str, scratch_method: str, like: np.ndarray) -> tuple:
    """``obj``'s in-place method and its scratch (made for arrays like ``like``).

    An object without the two methods (a loss or penalty of one's own, with only the
    plain ``signal`` or ``gradient``) gets those of ``base``, which call the plain one.
    """
    if not hasattr(obj, method):
        return partial(getattr(base, method), obj), None
    make_scratch = getattr(obj, scratch_method, None)
    return getattr(obj, method), None if make_scratch is None else make_scratch(like)


# --- recording and checking ----------------------------------------------------------------------


def epoch_scores(net: Network, p, x, t, test_data) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The data error and accuracy on the training (and test) items, one of each per replica."""
    sets = [(x, t, "train")] + ([(*test_data, "test")] if test_data is not None else [])
    scores = {}
    for xx, tt, which in sets:
        o = forward(p, xx)[1]
        scores[which] = (net.loss.error(o, tt), hit_rate(o, tt))
    return scores


def _check_networks_and_data(net, x_train, t_train, seed, test_data) -> dict:
    """The networks, their parameters, data and visiting-order generators, checked.

    Returns the fields of a :class:`TrainingRun` that depend on whether ``net`` is one
    network or a list of them.
    """
    if isinstance(test_data, (list, tuple)) and len(test_data) == 2:
        x_test, t_test = test_data
    elif test_data is None:
        x_test = t_test = None
    else:
        raise ValueError("test_data must be a pair (x_test, t_test) or None")
    if not isinstance(net, (list, tuple)):
        check_network(net)
        x, t = check_data(net, x_train, t_train, "x_train", "t_train")
        test = None if x_test is None else check_data(net, x_test, t_test, "x_test", "t_test")
        return {"nets": [net], "stacked": False, "flat": net.flat, "x_train": x, "t_train": t,
                "test_data": test, "rngs": [check_rng(seed)]}
    nets = list(net)
    first = check_replicas(nets)
    if not isinstance(seed, (list, tuple)) or len(seed) != len(nets):
        raise ValueError(f"seed must be a list with one seed per network ({len(nets)})")
    rngs = [check_rng(s, f"seed[{i}]") for i, s in enumerate(seed)]
    x, t = check_stack(first, x_train, t_train, len(nets), "x_train", "t_train")
    test = None if x_test is None else check_stack(first, x_test, t_test, len(nets), "x_test", "t_test")
    flat = np.stack([one.flat for one in nets])  # replicas x n_params
    return {"nets": nets, "stacked": True, "flat": flat, "x_train": x, "t_train": t, "test_data": test,
            "rngs": rngs}


def check_data(net: Network, x, t, x_name: str, t_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and one-hot targets for one network, checked, with the names given."""
    x = net.check_inputs(x, x_name)
    return x, net.check_targets(t, len(x), t_name)


def check_replicas(nets) -> Network:
    """Check a list of distinct networks of one configuration; return the first."""
    if not nets:
        raise ValueError("net must be an l1reg.Network or a non-empty list of them")
    first = nets[0]
    for i, net in enumerate(nets):
        check_network(net, f"net[{i}]")
        if any(net is other for other in nets[:i]):
            raise ValueError(f"net[{i}] is the same object as an earlier network; pass distinct networks")
        same = (
            net.shapes == first.shapes
            and net.loss == first.loss
            and net.dtype == first.dtype
            and net.weight_penalty == first.weight_penalty
            and net.bias_penalty == first.bias_penalty
        )
        if not same:
            raise ValueError(f"net[{i}] differs from net[0] in shape, loss, penalties or dtype")
    return first


def check_stack(net: Network, x, t, n_rep: int, x_name: str, t_name: str):
    """Check stacked data; an error names the replica, like ``x_train[3]``."""
    x, t = np.asarray(x), np.asarray(t)
    if x.ndim != 3 or len(x) != n_rep:
        raise ValueError(f"{x_name} must have shape (replicas={n_rep}, items, n_input), got {x.shape}")
    if t.ndim != 3 or len(t) != n_rep:
        raise ValueError(f"{t_name} must have shape (replicas={n_rep}, items, n_output), got {t.shape}")
    if x.shape[1] == t.shape[1]:
        # all replicas at once (a few calls instead of a few per replica); what fails is
        # checked again replica by replica below, for an error that names the replica
        try:
            xs, ts = check_data(net, x.reshape(-1, x.shape[-1]), t.reshape(-1, t.shape[-1]), x_name, t_name)
        except (TypeError, ValueError):
            pass
        else:
            return np.array(xs.reshape(x.shape)), np.array(ts.reshape(t.shape))  # copies, as np.stack
    checked = [check_data(net, xi, ti, f"{x_name}[{i}]", f"{t_name}[{i}]")
               for i, (xi, ti) in enumerate(zip(x, t, strict=True))]
    return np.stack([c[0] for c in checked]), np.stack([c[1] for c in checked])


def _check_noise(noise):
    if noise is not None and not callable(getattr(noise, "data_gradient", None)):
        raise TypeError(
            "noise must be a noise source such as l1reg.dropout.Dropout(rate, seed) or "
            f"l1reg.jitter.Jitter(sigma, seed), or None, got {type(noise).__name__}"
        )
    return noise


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _check_callbacks(callbacks) -> list[Callback]:
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of callbacks, got {type(callbacks).__name__}")
    for i, callback in enumerate(callbacks):
        hooks = ("on_train_begin", "on_epoch_end", "on_train_end")
        if not all(callable(getattr(callback, hook, None)) for hook in hooks):
            raise TypeError(f"callbacks[{i}] must be a callback (an l1reg.training.Callback), "
                            f"got {type(callback).__name__}")
    return list(callbacks)
