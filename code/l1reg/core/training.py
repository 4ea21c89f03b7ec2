"""Training by stochastic gradient descent: one entry point, :func:`fit`.

Each epoch visits the training items in a fresh random order (from an explicit seed)
and takes one step ``w <- w - lr * (dE/dw + lam * sign(w))`` per item, or per
mini-batch of items when ``batch_size > 1``.

:func:`fit` trains one network, or several networks of the same shape side by side,
each on its own data and visiting order, with the very same arithmetic stacked along a
leading axis: that is what makes a study over twenty seeds take seconds instead of
minutes. What varies plugs in as an argument: an update rule (``rule=Proximal(lam)``,
:mod:`l1reg.core.update_rules`), input noise (``noise=Dropout(rate, seed)``) and callbacks
(``callbacks=[EarlyStopping(x_val, t_val)]``), in the manner of Keras's ``fit``.

Every engine takes the one step :func:`l1reg.core.step.sgd_step` (forward, the loss's
signal, backward, the penalties, the rule's update), written once for NumPy and
``jax.numpy``: :func:`numpy_engine` calls it in a Python loop over the batches, the
compiled engine (:mod:`l1reg.core.compiled`) inside ``lax.scan``. :func:`sgd_step` here
takes that step on one network, in place. ``l1reg.reference.loops`` writes the step again with
explicit Python loops, one per sum, for reading beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from l1reg.core import model
from l1reg.core._validation import (
    AnyOf,
    Anything,
    Array,
    Flag,
    HasMethods,
    Instance,
    Int,
    ListOf,
    Optional,
    Options,
    Real,
    Seed,
    Tuple,
    unchecked,
    validate_fields,
    validate_params,
)
from l1reg.core.compiled import RUN, compiled_engine
from l1reg.core.network import BIAS_NAMES, NETWORK, WEIGHT_NAMES, Network, OneOrMoreNetworks
from l1reg.core.numpy_namespace import xp as numpy_xp
from l1reg.core.penalties import Penalty
from l1reg.core.step import StepSpec
from l1reg.core.step import sgd_step as core_step
from l1reg.core.update_rules import (
    RULE,
    RULE_OR_RULES,
    Plain,
    UpdateRule,
    WeightNames,
    check_settings,
    rule_for_run,
    weight_slice,
)

# The rules of fit's arguments that a training run keeps, shared by both tables.
_NOISE = Optional(HasMethods(
    ("draw",), "a noise source such as l1reg.regularize.dropout.Dropout(rate, seed) or "
    "l1reg.regularize.jitter.Jitter(sigma, seed) (an object with a draw(x, n_hidden) method), or None"))
_CALLBACK_HOOKS = ("on_train_begin", "on_epoch_end", "on_train_end")
_CALLBACKS = ListOf(HasMethods(_CALLBACK_HOOKS, "a callback (an l1reg.core.training.Callback)"),
                    what="a list of callbacks", allow_empty=True)


# A record holds what training gave: an error may be infinite (a loss of one's own can say so).
_ERRORS = ListOf(Real(allow_inf=True), what="a list of errors", allow_empty=True)
_ACCURACIES = ListOf(Real(0.0, maximum=1.0), what="a list of accuracies", allow_empty=True)


@validate_fields(train_error=_ERRORS, train_accuracy=_ACCURACIES,
                 test_error=_ERRORS, test_accuracy=_ACCURACIES)
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


@validate_params(
    net=NETWORK,
    x=Anything("inputs for net: checked against it in the body", example=lambda: np.ones((1, 3))),
    t=Anything("one-hot targets, one per item of x: checked against net in the body",
               example=lambda: np.eye(2)[:1]),
    lr=Real(0.0, strict=True),
)
def sgd_step(net: Network, x, t, lr: float) -> None:
    """One update ``w <- w - lr * grad(E + penalty)`` of ``net`` on the items ``x``.

    The very step :func:`fit` takes (:func:`l1reg.core.step.sgd_step`), on the network's
    parameters, in place; ``x`` (items x n_input) and ``t`` (one-hot, items x n_output)
    are checked against the network and converted to its dtype first.
    """
    x = net.check_inputs(x)
    t = net.check_targets(t, len(x))
    spec = _step_spec(net, Plain(), WEIGHT_NAMES)
    p = model.from_flat(net.flat, net.shapes)
    new, _ = core_step(numpy_xp, p, x, t, np.asarray(lr, dtype=net.dtype), spec, _strengths(net, Plain()), {})
    net.flat[...] = model.to_flat(np, new)


@validate_params(net=NETWORK, rule=RULE, on=WeightNames())
def step_spec(net: Network, rule: UpdateRule, on: tuple[str, ...]) -> StepSpec:
    """What ``net``'s training step computes with ``rule`` acting on the matrices ``on``."""
    penalties = {}
    for names, penalty in ((WEIGHT_NAMES, net.weight_penalty), (BIAS_NAMES, net.bias_penalty)):
        if penalty is not None:
            grad = penalty.grad if _has_formulas(penalty) else _numpy_gradient
            penalties.update(dict.fromkeys(names, grad))
    signal = net.loss.formulas[1] if net.loss.formulas is not None else _numpy_signal(net.loss)
    return StepSpec(signal, penalties, rule, tuple(on), rule.adjusts_gradient, rule.moves_after_step)


_step_spec = step_spec.__wrapped__  # for fit and its run, which have checked the arguments


@validate_params(net=NETWORK, rule=RULE, n_rows=Optional(Int()))
def strengths(net: Network, rule: UpdateRule, n_rows: int | None = None) -> dict:
    """The numbers the step's formulas read: each penalized block's settings and the rule's.

    Arrays of the network's dtype, read afresh at every epoch (a callback may change a
    strength between epochs); the rule's are one per replica for a stack of ``n_rows``.
    A penalty of one's own without formulas is read as its ``gradient`` method.
    """
    s = {"rule": rule.strengths(net.dtype, n_rows)}
    for names, penalty in ((WEIGHT_NAMES, net.weight_penalty), (BIAS_NAMES, net.bias_penalty)):
        if penalty is None:
            continue
        if _has_formulas(penalty):
            config = {k: np.asarray(v, dtype=net.dtype) for k, v in penalty.get_config().items()}
        else:
            config = {"gradient": penalty.gradient}
        s.update(dict.fromkeys(names, config))
    return s


_strengths = strengths.__wrapped__  # read by the engines at every epoch: no table there


def _has_formulas(penalty) -> bool:
    """True for a :class:`Penalty` whose gradient training may call as ``grad(xp, s, w)``."""
    return isinstance(penalty, Penalty) and penalty.has_formulas


def _numpy_gradient(xp, s, w):
    """The gradient of a penalty of one's own (only ``gradient(w)``), read from ``s``: NumPy only.

    Through ``s``, not the penalty object, so that a penalty set between epochs is the one used.
    """
    return s["gradient"](w)


def _numpy_signal(loss):
    """A loss object of one's own (only ``signal(o, t)``) as a formula, for NumPy only."""
    return lambda xp, o, t: loss.signal(o, t)


def _scores(loss, p: dict, x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The data error and the accuracy of the model blocks ``p`` on the items ``x`` (per replica).

    The loss's formula when it has one, as the step takes its signal; its ``error``
    method otherwise.
    """
    o = model.forward(np, p, x)[1]
    error = loss.formulas[0](np, o, t) if loss.formulas is not None else loss.error(o, t)
    return error, model.hits(np, o, t) / o.shape[-2]


# --- what fit hands to its engine and its callbacks ----------------------------------------


class Callback:
    """Hooks that :func:`fit` calls, as Keras's callbacks; a callback overrides those it needs.

    Before training, ``fit`` sets ``callback.model``, a :class:`TrainingModel`: the
    networks being trained, with their current parameters, to ``evaluate(x, t)``,
    ``predict(x)`` or ``get_weights()``. Then it calls ``on_train_begin(logs)`` once,
    ``on_epoch_end(epoch, logs)`` after each epoch (numbered from 1) and
    ``on_train_end(logs)`` once at the end. ``logs`` holds the epoch's scores as the
    history records them (``"train_error"``, ``"train_accuracy"`` and, with test data,
    ``"test_error"``, ``"test_accuracy"``: a number for one network, an array with one
    per network for a stack; empty with ``record_history=False``). A true return value
    from ``on_epoch_end``, or ``self.model.stop_training = True``, stops training after
    that epoch.
    """

    model: TrainingModel | None = None

    def set_model(self, model: TrainingModel) -> None:
        """Called by :func:`fit` before training: the model this callback watches."""
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once, before the first epoch (e.g. to check data with ``self.model``)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> bool | None:
        """Called after every epoch; return True to stop training."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once, after the last epoch."""


@validate_fields(
    nets=ListOf(NETWORK, what="a list of networks"),
    stacked=Flag(),
    flat=Instance(np.ndarray, "the parameters being trained", example=lambda: np.zeros(26)),
    x_train=Instance(np.ndarray, "inputs checked against the networks (by fit)",
                     example=lambda: np.ones((2, 3))),
    t_train=Instance(np.ndarray, "one-hot targets checked against the networks (by fit)",
                     example=lambda: np.eye(2)),
    test_data=Optional(Tuple(*[Instance(np.ndarray, "an array checked against the networks (by fit)",
                                        example=lambda: np.ones((1, 2)))] * 2,
                             what="a pair (x_test, t_test)")),
    rngs=ListOf(Instance(np.random.Generator, "a numpy.random.Generator",
                         example=lambda: np.random.default_rng(0)), what="a list of generators"),
    epochs=Int(),
    lr=Real(0.0, strict=True),
    batch_size=Int(),
    rule=RULE,
    on_slice=Instance(slice, "a slice of the flat vector", example=lambda: slice(0, 20)),
    on_names=WeightNames(),
    noise=_NOISE,
    callbacks=_CALLBACKS,
    record_history=Flag(),
)
@dataclass
class TrainingRun:
    """One checked training run: what :func:`fit` hands to its engine.

    ``flat`` holds the parameters being trained: the network's own vector for one
    network, a (replicas x n_params) copy of the stack's for several (copied back
    into the networks at the end); ``params`` are the model's blocks, views into it. ``x_train`` and
    ``t_train`` are 2-D for one network, 3-D (replicas first) for a stack; so are the
    test arrays, if any. The rule acts on ``flat[..., on_slice]``, the weight matrices
    named in ``on_names``; ``spec`` is the step they take and ``penalty_kinds`` the classes
    of the penalties it was built for. The other fields are :func:`fit`'s arguments, checked.
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
    noise: object | None = None
    callbacks: list[Callback] = field(default_factory=list)
    record_history: bool = True
    histories: list[History] = field(init=False)
    params: dict = field(init=False)
    last_finite: np.ndarray = field(init=False)
    spec: StepSpec = field(init=False)
    penalty_kinds: tuple[type, type] = field(init=False)
    model: TrainingModel = field(init=False)

    def __post_init__(self) -> None:
        self.histories = [History() for _ in self.nets]
        self.params = model.from_flat(self.flat, self.net.shapes)
        self.last_finite = self.flat.copy()  # the parameters at the end of the last finite epoch
        self.spec = _step_spec(self.net, self.rule, self.on_names)
        self.penalty_kinds = _penalty_kinds(self.net)
        self.model = unchecked(TrainingModel, self)

    def strengths(self) -> dict:
        """The numbers the step reads this epoch (:func:`strengths`)."""
        return _strengths(self.net, self.rule, len(self.nets) if self.stacked else None)

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
        and accuracies if the engine computed them itself (``{"train": (errors,
        accuracies), "test": ...}``, one number per network); by default they are
        computed here, with NumPy.

        A callback may change a penalty's or the rule's strengths for the next epoch,
        not what the step computes: a penalty of another kind (or one added or taken
        away), or an array of strengths where the run has no row for each, raises a
        ValueError after the callbacks, the networks holding this epoch's parameters.
        """
        self.check_finite(epoch)
        if not self.record_history:
            scores = {}
        elif scores is None:
            scores = _epoch_scores(self.net.loss, self.params, self.x_train, self.t_train, self.test_data)
        logs = {}
        for which, (errors, hits) in scores.items():
            errors, hits = np.atleast_1d(errors), np.atleast_1d(hits)
            for history, err, acc in zip(self.histories, errors, hits, strict=True):
                getattr(history, f"{which}_error").append(float(err))
                getattr(history, f"{which}_accuracy").append(float(acc))
            logs[f"{which}_error"] = errors.astype(float) if self.stacked else float(errors[0])
            logs[f"{which}_accuracy"] = hits.astype(float) if self.stacked else float(hits[0])
        stops = [bool(callback.on_epoch_end(epoch, logs)) for callback in self.callbacks]
        if self.callbacks:
            self._check_changes(epoch)
        return any(stops) or self.model.stop_training

    def _check_changes(self, epoch: int) -> None:
        """Raise if a callback changed what the step computes (see :meth:`end_epoch`)."""
        try:
            kinds = _penalty_kinds(self.net)
            for name, before, now in zip(("weight_penalty", "bias_penalty"), self.penalty_kinds, kinds,
                                         strict=True):
                if before is not now:
                    raise ValueError(
                        f"net.{name} changed from {before.__name__} to {now.__name__} after epoch {epoch}: "
                        f"a run trains with the kinds of penalty it started with; change a penalty's "
                        f"strength (net.{name}.lam = ...) between epochs, or call fit again")
            check_settings(self.rule, len(self.nets) if self.stacked else None, "rule")
        except ValueError:
            self._copy_back()
            raise

    def _copy_back(self) -> None:
        """Put the run's parameters into the networks of a stack (one network trains in place)."""
        if self.stacked:
            for one, row in zip(self.nets, self.flat, strict=True):
                one.flat[:] = row

    def check_finite(self, epoch: int) -> None:
        """Remember the parameters if all are finite; otherwise restore them and raise."""
        finite = np.isfinite(self.flat).all(axis=-1)
        if np.all(finite):
            np.copyto(self.last_finite, self.flat)
            return
        self.flat[...] = self.last_finite
        self._copy_back()
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


def _penalty_kinds(net: Network) -> tuple[type, type]:
    """The classes of ``net``'s weight and bias penalties (``NoneType`` for none)."""
    return type(net.weight_penalty), type(net.bias_penalty)


class TrainingModel:
    """What a callback sees of a training run: the networks at their current parameters.

    The methods follow :class:`~l1reg.Network`'s: for a stack of networks, ``x`` is
    stacked (replicas x items x n_input) and each answer has one entry per network.
    ``rule`` is the run's update rule and ``weight_penalty``, ``bias_penalty`` the
    networks' penalties: a strength set on them between epochs takes effect from the
    next epoch, on either engine.
    """

    @validate_params(run=RUN)
    def __init__(self, run: TrainingRun) -> None:
        self._run = run
        self.stop_training = False

    @property
    def stacked(self) -> bool:
        """True when training a list of networks side by side."""
        return self._run.stacked

    @property
    def rule(self) -> UpdateRule:
        return self._run.rule

    @property
    def weight_penalty(self):
        return self._run.net.weight_penalty

    @property
    def bias_penalty(self):
        return self._run.net.bias_penalty

    def check_data(self, x, t, x_name: str = "x", t_name: str = "t") -> tuple[np.ndarray, np.ndarray]:
        """Inputs and one-hot targets for these networks, checked (stacked for a stack)."""
        run = self._run
        if run.stacked:
            return _check_stack(run.net, x, t, len(run.nets), x_name, t_name)
        return _check_data(run.net, x, t, x_name, t_name)

    def predict_proba(self, x) -> np.ndarray:
        """The softmax outputs for the items ``x`` (one set per network for a stack)."""
        run = self._run
        x = _check_stack_inputs(run.net, x, len(run.nets)) if run.stacked else run.net.check_inputs(x)
        return model.forward(np, run.params, x)[1]

    def predict(self, x) -> np.ndarray:
        """The predicted class of each item: the index of its largest output."""
        return np.argmax(self.predict_proba(x), axis=-1)

    def evaluate(self, x, t) -> dict[str, float | np.ndarray]:
        """The data error ``E`` (without the penalty) and the accuracy on the items ``x``."""
        x, t = self.check_data(x, t)
        error, accuracy = _scores(self._run.net.loss, self._run.params, x, t)
        if not self.stacked:
            return {"error": float(error), "accuracy": float(accuracy)}
        return {"error": np.asarray(error), "accuracy": np.asarray(accuracy)}

    def weights(self) -> np.ndarray:
        """A copy of the weights (not the biases), as :meth:`Network.weights`; one row per network."""
        return self._run.flat[..., : self._run.net.n_weights].copy()

    def get_weights(self) -> np.ndarray:
        """A copy of all parameters (the flat layout; one row per network for a stack)."""
        return self._run.flat.copy()

    @validate_params(values=Array())
    def set_weights(self, values) -> None:
        """Set all parameters from :meth:`get_weights`'s layout (finite numbers only)."""
        if values.shape != self._run.flat.shape:
            raise ValueError(f"values must have shape {self._run.flat.shape}, got {values.shape}")
        self._run.flat[...] = values


class TrainingDiverged(FloatingPointError):
    """Raised by :func:`fit` when a parameter becomes NaN or infinite (a FloatingPointError).

    The networks are left with their parameters from the end of the last finite epoch.
    """


@validate_params(run=RUN)
def numpy_engine(run: TrainingRun) -> None:
    """Train ``run`` with NumPy: each epoch a fresh visiting order, one step per batch.

    The step is :func:`l1reg.core.step.sgd_step`; its parameters are the blocks of
    ``run.flat``, read at the start of each epoch and written back at its end (a
    callback may read or change them in between).
    """
    x, t, n, size = run.x_train, run.t_train, run.x_train.shape[-2], run.batch_size
    lr = np.asarray(run.lr, dtype=run.flat.dtype)
    n_hidden = run.net.n_hidden
    state = None
    for epoch in range(1, run.epochs + 1):
        if run.stacked:
            order = np.stack([rng.permutation(n) for rng in run.rngs])
            xs, ts = np.take_along_axis(x, order[..., None], -2), np.take_along_axis(t, order[..., None], -2)
        else:
            order = run.rngs[0].permutation(n)
            xs, ts = x[order], t[order]
        p, s = model.from_flat(run.flat, run.net.shapes), run.strengths()
        if state is None:
            state = run.rule.init(numpy_xp, {name: p[name] for name in run.on_names})
        for start in range(0, n, size):
            xb, tb, mask = xs[..., start:start + size, :], ts[..., start:start + size, :], None
            if run.noise is not None:
                xb, mask = run.noise.draw(xb, n_hidden)
            p, state = core_step(numpy_xp, p, xb, tb, lr, run.spec, s, state, mask)
        run.flat[...] = model.to_flat(np, p)
        if run.end_epoch(epoch):
            break

#: The engines ``fit(engine=...)`` can run on (the compiled one imports JAX when it runs).
ENGINES: dict[str, Callable[[TrainingRun], None]] = {"numpy": numpy_engine, "compiled": compiled_engine}


# --- the one entry point ---------------------------------------------------------------------


@validate_params(
    net=OneOrMoreNetworks(),
    x_train=Anything("checked against net in the body: its inputs (stacked for a list)",
                     example=lambda: np.ones((2, 3))),
    t_train=Anything("checked against net and x_train in the body: one-hot (stacked for a list)",
                     example=lambda: np.eye(2)),
    epochs=Int(),
    lr=Real(0.0, strict=True),
    seed=AnyOf(Seed(), ListOf(Seed(), what="a list of seeds, one per network"),
               what="an int >= 0 or a numpy.random.Generator, or a list of them (one per network)"),
    batch_size=Int(),
    rule=Optional(RULE_OR_RULES),
    on=WeightNames(),
    noise=_NOISE,
    callbacks=_CALLBACKS,
    test_data=Optional(Tuple(
        Anything("test inputs: checked against net in the body", example=lambda: np.ones((1, 3))),
        Anything("one-hot test targets: checked against net and x_test in the body",
                 example=lambda: np.eye(2)[:1]),
        what="a pair (x_test, t_test)")),
    engine=Options(*sorted(ENGINES)),
    record_history=Flag(),
)
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
        How the weights named in ``on`` are updated (:mod:`l1reg.core.update_rules`), plain
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
        :class:`l1reg.regularize.early_stopping.EarlyStopping`.
    test_data : (x_test, t_test), optional
        Held-out data, evaluated after each epoch (never trained on); stacked like the
        training data for a list of networks.
    engine : {"numpy", "compiled"}, default "numpy"
        What runs the steps: NumPy (:func:`numpy_engine`), or JAX running the same
        step compiled, all the networks at once and a few epochs per call
        unless a callback needs the parameters after each
        (:func:`l1reg.core.compiled.compiled_engine`): many times faster for a stack of
        small networks, but its first call for a configuration compiles (a few
        seconds). It runs every update rule; it refuses input noise, and a loss or
        penalty of one's own written for NumPy only (a ValueError saying so).
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
    checked = _check_networks_and_data(net, x_train, t_train, seed, test_data)
    first, n_replicas = checked["nets"][0], len(checked["nets"]) if checked["stacked"] else None
    on_slice, on_names = _weight_slice(first, on)
    run = unchecked(  # every field is checked above, by fit's table and its body
        TrainingRun,
        **checked,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        rule=_rule_for_run(rule, first, n_replicas),
        on_slice=on_slice,
        on_names=on_names,
        noise=noise,
        callbacks=callbacks,
        record_history=record_history,
    )
    for callback in run.callbacks:
        if callable(getattr(callback, "set_model", None)):
            callback.set_model(run.model)
        else:
            callback.model = run.model
        callback.on_train_begin({})
    # A step that overflows makes a parameter inf or NaN, which end_epoch reports as
    # TrainingDiverged after the epoch: NumPy's warnings would only say it earlier, vaguely.
    with np.errstate(over="ignore", invalid="ignore"):
        ENGINES[engine](run)
    for callback in run.callbacks:
        callback.on_train_end({})
    run._copy_back()
    return run.histories if run.stacked else run.histories[0]


# --- recording and checking ----------------------------------------------------------------------

# fit has checked what it passes them: their tables are not run again
_rule_for_run, _weight_slice = rule_for_run.__wrapped__, weight_slice.__wrapped__


def _epoch_scores(loss, p: dict, x, t, test_data) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The data error and accuracy on the training (and test) items, one of each per replica."""
    sets = [(x, t, "train")] + ([(*test_data, "test")] if test_data is not None else [])
    return {which: _scores(loss, p, xx, tt) for xx, tt, which in sets}


def _check_networks_and_data(net, x_train, t_train, seed, test_data) -> dict:
    """The networks' parameters, data and visiting-order generators, checked against them.

    ``net`` is one network or a list of them, ``seed`` one Generator or a list of them
    and ``test_data`` None or a pair, as fit's table made them. Returns the fields of a
    :class:`TrainingRun` that depend on which.
    """
    x_test, t_test = (None, None) if test_data is None else test_data
    if not isinstance(net, list):
        x, t = _check_data(net, x_train, t_train, "x_train", "t_train")
        test = None if x_test is None else _check_data(net, x_test, t_test, "x_test", "t_test")
        if isinstance(seed, list):
            raise ValueError("seed must be one seed for one network, got a list")
        return {"nets": [net], "stacked": False, "flat": net.flat, "x_train": x, "t_train": t,
                "test_data": test, "rngs": [seed]}
    first = _check_replicas(net)
    if not isinstance(seed, list) or len(seed) != len(net):
        raise ValueError(f"seed must be a list with one seed per network ({len(net)})")
    rngs = seed
    x, t = _check_stack(first, x_train, t_train, len(net), "x_train", "t_train")
    test = None if x_test is None else _check_stack(first, x_test, t_test, len(net), "x_test", "t_test")
    flat = np.stack([one.flat for one in net])  # replicas x n_params
    return {"nets": net, "stacked": True, "flat": flat, "x_train": x, "t_train": t, "test_data": test,
            "rngs": rngs}


def _check_data(net: Network, x, t, x_name: str, t_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and one-hot targets for one network, checked, with the names given."""
    x = net.check_inputs(x, x_name)
    return x, net.check_targets(t, len(x), t_name)


def _check_replicas(nets: list[Network]) -> Network:
    """Check that distinct networks have one configuration; return the first."""
    first = nets[0]
    for i, net in enumerate(nets):
        same = (
            (net.n_input, net.n_hidden, net.n_output) == (first.n_input, first.n_hidden, first.n_output)
            and net.loss == first.loss
            and net.dtype == first.dtype
            and net.weight_penalty == first.weight_penalty
            and net.bias_penalty == first.bias_penalty
        )
        if not same:
            raise ValueError(f"net[{i}] differs from net[0] in shape, loss, penalties or dtype")
    return first


def _check_stack(net: Network, x, t, n_rep: int, x_name: str, t_name: str):
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
            xs, ts = _check_data(net, x.reshape(-1, x.shape[-1]), t.reshape(-1, t.shape[-1]), x_name, t_name)
        except (TypeError, ValueError):
            pass
        else:
            return np.array(xs.reshape(x.shape)), np.array(ts.reshape(t.shape))  # copies, as np.stack
    checked = [_check_data(net, xi, ti, f"{x_name}[{i}]", f"{t_name}[{i}]")
               for i, (xi, ti) in enumerate(zip(x, t, strict=True))]
    return np.stack([c[0] for c in checked]), np.stack([c[1] for c in checked])


def _check_stack_inputs(net: Network, x, n_rep: int, name: str = "x") -> np.ndarray:
    """Check stacked inputs (replicas x items x n_input) for ``n_rep`` networks like ``net``."""
    x = np.asarray(x)
    if x.ndim != 3 or len(x) != n_rep:
        raise ValueError(f"{name} must have shape (replicas={n_rep}, items, n_input), got {x.shape}")
    return net.check_inputs(x.reshape(-1, x.shape[-1]), name).reshape(x.shape)
