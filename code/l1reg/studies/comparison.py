"""L1's update rules and its rivals, measured side by side on the demo's data.

:func:`sweep` trains the demo network once per update rule setting (say, one
:class:`~l1reg.core.update_rules.Proximal` rule per ``lam``) on one seed set, all side by side,
and keeps every weight's value after each epoch; :func:`lam_sweep` summarizes a sweep
over the L1 strength (accuracies, weight sizes). :func:`compare` trains every method of
a table (L1, L2, elastic net, dropout, early stopping, max-norm, jitter, ...) on the same
seed sets, each method with a small grid of strengths, all its seed sets and strengths
side by side in one stack, through the same training loop; per seed set it keeps the
strength with the lowest error on held-out validation items and scores that network on
a large test set, so that accuracies, weights and times can be compared (chapter 06).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    Flag,
    Instance,
    Int,
    ListOf,
    MappingOf,
    Optional,
    Probability,
    Real,
    Seed,
    Text,
    validate_fields,
    validate_params,
)
from l1reg.core.network import Network
from l1reg.core.training import Callback, fit
from l1reg.core.update_rules import RULE, Plain, SubGradient, UpdateRule
from l1reg.regularize.dropout import Dropout
from l1reg.regularize.early_stopping import EarlyStopping
from l1reg.regularize.jitter import Jitter
from l1reg.studies.data import split_validation
from l1reg.studies.demo import (
    EPOCHS,
    LARGE_TEST_ITEMS,
    LR,
    N_HIDDEN,
    N_INPUT,
    N_OUTPUT,
    demo_data,
    demo_large_test,
    demo_seeds,
)

# Seeds of the comparison's own randomness, apart from the demo's five per run:
# the dropout masks and the jitter noise (one stream per method), and the choice of
# validation items for run r (VALIDATION_SEED + r).
NOISE_SEED = 1000
VALIDATION_SEED = 2000
#: Items held out of each seed set's 200 training items to choose strengths (and epochs).
VALIDATION_ITEMS = 40

_RULES = ListOf(RULE, what="a list of update rules")
_VECTOR, _COUNTS = Array(ndim=1), Array("int", ndim=1)


@validate_fields(train_accuracy=_VECTOR, test_accuracy=_VECTOR, zeros=_COUNTS, path=Array(ndim=3))
@dataclass
class Sweep:
    """Final results of a sweep, one entry per rule, and every weight's path.

    ``path[e, i, j]`` is weight ``j`` (the order of ``net.weights()``) after epoch
    ``e + 1`` under rule ``i``.
    """

    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    zeros: np.ndarray
    path: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        """The weights after training, rules x weights."""
        return self.path[-1]

    @validate_params(start=Int(0), stop=Int(0))
    def part(self, start: int, stop: int) -> Sweep:
        """The results of rules ``start`` to ``stop - 1`` only."""
        rows = slice(start, stop)
        return Sweep(self.train_accuracy[rows], self.test_accuracy[rows], self.zeros[rows],
                     self.path[:, rows])


@validate_params(rules=_RULES, epochs=Int(), run=Int(0), batch_size=Int())
def sweep(rules: list[UpdateRule], *, epochs: int, run: int = 0, batch_size: int = 1) -> Sweep:
    """Train the demo network on seed set ``run`` once per rule, side by side.

    Every replica starts from the same weights and visits the items in the same
    order (the demo's seeds), so the rules are the only difference, e.g.
    ``[Proximal(lam) for lam in lams]``; rules of different kinds may share a sweep.
    ``batch_size`` is 1 (per-item SGD, the demo's) unless given.
    """
    data, seeds = demo_data(run), demo_seeds(run)
    nets = [_network(seeds["init_seed"]) for _ in rules]
    path = WeightPath()
    reps = len(rules)
    histories = fit(
        nets, _repeat(data.x_train, reps), _repeat(data.t_train, reps), rule=rules,
        epochs=epochs, lr=LR, seed=[seeds["order_seed"]] * reps, batch_size=batch_size,
        test_data=(_repeat(data.x_test, reps), _repeat(data.t_test, reps)), callbacks=[path],
    )
    weights = np.stack([net.weights() for net in nets])
    return Sweep(
        train_accuracy=np.array([h.train_accuracy[-1] for h in histories]),
        test_accuracy=np.array([h.test_accuracy[-1] for h in histories]),
        zeros=np.sum(weights == 0.0, axis=1),
        path=np.array(path.weights),
    )


class WeightPath(Callback):
    """A callback that keeps a copy of the weights (not the biases) after every epoch.

    ``weights[e]`` is a (replicas x n_weights) array after epoch ``e + 1`` for a stack
    of networks, an (n_weights,) array for one network.
    """

    def __init__(self) -> None:
        self.weights: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.weights.append(self.model.weights())


@validate_fields(rules=_RULES,
                 dropout=ListOf(Probability(), what="a list of dropout rates", allow_empty=True),
                 jitter=ListOf(Real(0.0), what="a list of noise strengths", allow_empty=True),
                 early_stopping=Flag(), curve_every=Int(0))
@dataclass(frozen=True)
class Method:
    """One way to regularize the demo network, with the strengths to choose from.

    Each candidate (one strength) trains on every seed set; per seed set, the candidate
    with the lowest validation error is the method's network there. All off by
    default: one candidate, plain SGD.

    Parameters
    ----------
    rules : sequence of UpdateRule
        The update rules to choose from, one per strength, e.g.
        ``[Proximal(lam) for lam in (1e-4, 3e-4, 1e-3)]`` or ``[MaxNorm(c) ...]``.
    dropout : sequence of float
        Dropout rates of the hidden units to choose from (empty: no dropout).
    jitter : sequence of float
        Standard deviations of the input noise to choose from (empty: no noise).
    early_stopping : bool
        If true, each network ends at its epoch with the lowest validation error.
    curve_every : int
        If > 0, score the large test set every this many epochs (a method with one
        candidate only: for a grid it would cost a test pass per network).

    Only one of ``rules`` (more than one), ``dropout`` and ``jitter`` may be a grid;
    a single rule combines with a dropout or jitter grid.
    """

    rules: Sequence[UpdateRule] = (Plain(),)
    dropout: Sequence[float] = ()
    jitter: Sequence[float] = ()
    early_stopping: bool = False
    curve_every: int = 0

    def __post_init__(self) -> None:
        for name in ("rules", "dropout", "jitter"):  # the table gives lists; a frozen Method keeps tuples
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.dropout and self.jitter:
            raise ValueError("dropout and jitter cannot be combined here: give one of them")
        if len(self.rules) > 1 and (self.dropout or self.jitter):
            raise ValueError("rules must be a single rule when dropout or jitter is a grid")
        if self.curve_every and self.n_candidates > 1:
            raise ValueError("curve_every needs a method with one candidate, got "
                             f"{self.n_candidates}")

    @property
    def n_candidates(self) -> int:
        """How many strengths the method chooses from."""
        return max(len(self.rules), len(self.dropout), len(self.jitter))

    @property
    def candidates(self) -> list[str]:
        """A label per candidate, e.g. ``'Proximal(lam=0.001)'`` or ``'Dropout(rate=0.2)'``."""
        if self.dropout:
            return [f"Dropout(rate={v:g})" for v in self.dropout]
        if self.jitter:
            return [f"Jitter(sigma={v:g})" for v in self.jitter]
        return [repr(rule) for rule in self.rules]


@validate_fields(candidates=ListOf(Text(what="a candidate's label", example="Plain()"),
                                  what="a list of labels"),
                 chosen=_COUNTS, val_error=Array(ndim=2, allow_inf=True), train_accuracy=_VECTOR,
                 test_accuracy=_VECTOR, zeros=_COUNTS, largest=_VECTOR, best_epoch=Optional(_COUNTS),
                 seconds=Real(0.0),
                 curve=Optional(Array(ndim=2)), curve_epochs=Optional(_COUNTS))
@dataclass
class Result:
    """One method's results, one entry per seed set (its chosen candidate), and its time.

    ``chosen[r]`` is the index (into ``candidates``) of the candidate with the lowest
    validation error on seed set ``r``, and ``val_error[r, c]`` candidate ``c``'s
    validation error there. The test accuracy is measured on the large test set;
    ``curve[r, k]`` is the plain-grid method's test accuracy after epoch
    ``curve_epochs[k]`` (``None`` unless the method asked for it).
    """

    candidates: list[str]
    chosen: np.ndarray
    val_error: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    zeros: np.ndarray
    largest: np.ndarray
    best_epoch: np.ndarray | None
    seconds: float
    curve: np.ndarray | None = None
    curve_epochs: np.ndarray | None = None


@validate_fields(**dict.fromkeys(("x", "t", "x_val", "t_val", "x_test", "t_test"), Array(ndim=3)))
@dataclass(frozen=True)
class SeedSets:
    """Each seed set's data, stacked: training part, validation part, large test set."""

    x: np.ndarray
    t: np.ndarray
    x_val: np.ndarray
    t_val: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray

    @validate_params(n=Int())
    def repeat(self, n: int) -> SeedSets:
        """Every seed set ``n`` times in a row (run-major), for ``n`` candidates each."""
        return SeedSets(*(np.repeat(a, n, axis=0) for a in
                          (self.x, self.t, self.x_val, self.t_val, self.x_test, self.t_test)))


@validate_params(n_runs=Int(), n_validation=Int(), n_test=Int())
def seed_sets(n_runs: int, n_validation: int = VALIDATION_ITEMS,
              n_test: int = LARGE_TEST_ITEMS) -> SeedSets:
    """The data of seed sets ``0 .. n_runs - 1``: the 200 training items split in two.

    ``n_validation`` of each seed set's 200 training items are held out for validation
    (drawn with seed ``VALIDATION_SEED + r``), the rest are trained on; the test set is
    :func:`l1reg.studies.demo.demo_large_test` with ``n_test`` items.
    """
    parts = []
    for r in range(n_runs):
        d = demo_data(r)
        parts.append((*split_validation(d.x_train, d.t_train, n_validation, VALIDATION_SEED + r),
                      *demo_large_test(r, n_test)))
    return SeedSets(*(_stack(p[i] for p in parts) for i in range(6)))


@validate_params(methods=MappingOf(Instance(Method, "an l1reg.studies.comparison.Method", example=Method),
                                what="a dict of name -> Method"),
                 n_runs=Int(), epochs=Int(), n_validation=Int(), n_test=Int())
def compare(methods: dict[str, Method], *, n_runs: int, epochs: int,
            n_validation: int = VALIDATION_ITEMS, n_test: int = LARGE_TEST_ITEMS) -> dict[str, Result]:
    """Train every method on seed sets ``0 .. n_runs - 1`` of the demo, choose, and score it.

    Every method, the plain network included, trains on the same items of a seed set:
    its 200 training items less ``n_validation`` held out (:func:`seed_sets`). All of a
    method's candidates train in one stack (seed sets x candidates), from the seed set's
    initial weights and visiting order. Per seed set, the candidate with the lowest
    validation error ``E`` (less tie-prone than the accuracy on a few items) is chosen
    and scored on the large test set; the test set plays no part in the choice. The
    training accuracy is measured on the items trained on; ``zeros`` counts weights
    that are exactly 0 and ``largest`` is the largest ``|w|``.
    """
    data = seed_sets(n_runs, n_validation, n_test)
    return {name: _run_method(method, data, n_runs, epochs) for name, method in methods.items()}


def _run_method(method: Method, data: SeedSets, n_runs: int, epochs: int) -> Result:
    n_cand = method.n_candidates
    stack = data.repeat(n_cand)  # row r * n_cand + c: seed set r, candidate c
    nets = [_network(demo_seeds(r)["init_seed"]) for r in range(n_runs) for _ in range(n_cand)]
    seeds = [demo_seeds(r)["order_seed"] for r in range(n_runs) for _ in range(n_cand)]
    rules = list(method.rules) * (n_runs * n_cand // len(method.rules))
    stopper = EarlyStopping(stack.x_val, stack.t_val) if method.early_stopping else None
    curve = _TestCurve(stack.x_test, stack.t_test, method.curve_every) if method.curve_every else None
    callbacks = [c for c in (stopper, curve) if c is not None]
    start = time.perf_counter()
    fit(nets, stack.x, stack.t, rule=rules, epochs=epochs, lr=LR, seed=seeds,
        noise=_noise(method, n_runs), callbacks=callbacks, record_history=False)  # scored below
    seconds = time.perf_counter() - start
    val_error = np.array([net.error(x, t) for net, x, t in zip(nets, stack.x_val, stack.t_val,
                                                                  strict=True)]).reshape(n_runs, n_cand)
    chosen = np.argmin(val_error, axis=1)  # ties: the first candidate
    picked = [r * n_cand + c for r, c in enumerate(chosen)]
    weights = np.stack([nets[i].weights() for i in picked])
    return Result(
        candidates=method.candidates,
        chosen=chosen,
        val_error=val_error,
        train_accuracy=np.array([nets[i].accuracy(stack.x[i], stack.t[i]) for i in picked]),
        test_accuracy=np.array([nets[i].accuracy(stack.x_test[i], stack.t_test[i]) for i in picked]),
        zeros=np.sum(weights == 0.0, axis=1),
        largest=np.abs(weights).max(axis=1),
        best_epoch=None if stopper is None else np.array(stopper.best_epoch)[picked],
        seconds=seconds,
        curve=None if curve is None else np.array(curve.accuracy).T,
        curve_epochs=None if curve is None else np.array(curve.epochs),
    )


def _noise(method: Method, n_runs: int):
    """The method's noise for the stack (seed sets x candidates), one strength per row."""
    if method.dropout:
        return GridDropout(np.tile(method.dropout, n_runs), seed=NOISE_SEED)
    if method.jitter:
        return GridJitter(np.tile(method.jitter, n_runs), seed=NOISE_SEED)
    return None


class GridDropout(Dropout):
    """Dropout with its own rate for each network of a stack: a grid of rates in one ``fit``.

    With every rate equal it draws and trains exactly as ``Dropout(rate, seed)``.
    """

    @validate_params(rates=ListOf(Probability(), what="a list of dropout rates, one per network"),
                     seed=Seed())
    def __init__(self, rates, seed) -> None:
        Dropout.__init__.__wrapped__(self, max(rates), seed)  # the table above checked both
        self.rates = np.array(rates)

    def draw_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        keep = 1.0 - self.rates.reshape((-1,) + (1,) * (len(shape) - 1))  # one row per network
        return (self.rng.random(shape) < keep) / keep


class GridJitter(Jitter):
    """Input noise with its own ``sigma`` for each network of a stack (see :class:`GridDropout`)."""

    @validate_params(sigmas=ListOf(Real(0.0), what="a list of noise strengths, one per network"), seed=Seed())
    def __init__(self, sigmas, seed) -> None:
        Jitter.__init__.__wrapped__(self, min(sigmas), seed)  # the table above checked both
        self.sigmas = np.array(sigmas)

    def perturb(self, x: np.ndarray) -> np.ndarray:
        sigma = self.sigmas.reshape((-1,) + (1,) * (x.ndim - 1))
        return x + sigma * self.rng.standard_normal(x.shape)


class _TestCurve(Callback):
    """A callback that scores the test items every ``every`` epochs (test accuracy).

    ``accuracy[k]`` holds one accuracy per network after epoch ``epochs[k]``; cheaper
    than ``fit``'s ``test_data``, which scores every epoch.
    """

    def __init__(self, x_test, t_test, every: int) -> None:
        self.x_test, self.t_test = x_test, t_test
        self.every = every
        self.epochs: list[int] = []
        self.accuracy: list[np.ndarray] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if epoch % self.every == 0:
            self.epochs.append(epoch)
            self.accuracy.append(np.atleast_1d(self.model.evaluate(self.x_test, self.t_test)["accuracy"]))


def _network(init_seed: int) -> Network:
    """The demo's 10-8-4 network with its initial weights, without a penalty (rules apply it)."""
    return Network(N_INPUT, N_HIDDEN, N_OUTPUT, seed=init_seed)


def _repeat(a: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(a, (n,) + a.shape)


def _stack(arrays) -> np.ndarray:
    return np.stack(list(arrays))


# --- the demo: a sweep over lam -----------------------------------------------------------


@validate_fields(lams=_VECTOR, train_accuracy=_VECTOR, test_accuracy=_VECTOR, sum_abs_w=_VECTOR,
                 max_abs_w=_VECTOR, n_small=_COUNTS, n_weights=Int(), tol=Real(0.0, strict=True),
                 epochs=Int())
@dataclass(frozen=True)
class LamSweep:
    """What training the demo with each ``lam`` gave: one entry per ``lam``.

    Accuracies are fractions; ``n_small`` counts the weights with ``|w| < tol``.
    """

    lams: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    sum_abs_w: np.ndarray
    max_abs_w: np.ndarray
    n_small: np.ndarray
    n_weights: int
    tol: float
    epochs: int


@validate_params(lams=ListOf(Real(0.0), what="a list of penalty strengths"), run=Int(0), epochs=Int(),
                 tol=Real(0.0, strict=True))
def lam_sweep(lams, run: int = 0, epochs: int = EPOCHS, tol: float = 1e-3) -> LamSweep:
    """Train the demo network once per ``lam`` on seed set ``run``; see :class:`LamSweep`.

    A :func:`sweep` of :class:`~l1reg.core.update_rules.SubGradient` rules, L1 in the
    gradient, which gives each network exactly what :func:`l1reg.studies.demo.run_demo` gives
    (``tests/test_comparison.py`` checks it bit for bit): every run starts from the same
    data, weights and visiting order, so ``lam`` is the only thing that changes.
    """
    swept = sweep([SubGradient(lam) for lam in lams], epochs=epochs, run=run)
    abs_w = [np.abs(w) for w in swept.weights]
    return LamSweep(
        lams=np.array(lams),
        train_accuracy=swept.train_accuracy,
        test_accuracy=swept.test_accuracy,
        sum_abs_w=np.array([a.sum() for a in abs_w]),
        max_abs_w=np.array([a.max() for a in abs_w]),
        n_small=np.array([int(np.sum(a < tol)) for a in abs_w]),
        n_weights=int(abs_w[0].size),
        tol=tol,
        epochs=len(swept.path),
    )
