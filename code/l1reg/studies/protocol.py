"""The study protocol: how the book compares ways to regularize, written once.

Every comparison of methods in the book follows these rules, and each rule is one
function here:

* **The same labelled items for every method.** The ``n`` training items are split
  into ``K`` folds (:func:`make_folds`, stratified by class, folds of equal size);
  every method is trained on the same folds and validated on the same held-out items.
  No method sees extra items drawn from a generator.
* **Wide, anchored grids.** A strength grid starts at the strength that silences the
  first layer (:func:`silencing_strength`, measured, because a network's is not a
  linear model's :func:`linear_lam_max`) and runs down at least 3 decades in at least 8
  log-spaced values (:func:`log_grid`). When the choice sits at the weak end of the
  grid in more than a stated share of seed sets, the grid is widened
  (:func:`widen_grid`) or the study fails loudly (:func:`check_grid_ends`).
* **Selection on validation loss.** The strength with the smallest mean validation
  cross-entropy wins (:func:`select`); the one-standard-error rule is a variant.
  Accuracy on a few validation items ties too often to choose anything.
* **Training length chosen on validation, for every method.** Each network trains in
  chunks of ``check_every`` epochs up to ``max_epochs``; the parameters of its best
  check on validation loss are kept (:func:`train_early_stopped`), "no penalty"
  included, so that no method is regularized by a fixed budget in disguise.
* **Collapses counted.** A network that predicts one class for every training item has
  learnt the prior only (:func:`is_collapsed`); studies report how often.
* **Baselines:** the majority class (:func:`majority_accuracy`) and, where inputs are
  the question, a supervised per-input filter (:func:`select_k_best`).

:func:`cross_validate` runs a method's whole grid, on every seed set and fold, as one
stack of networks: on the compiled engine that is one call per chunk of epochs for
all of them. The statistics of the comparison (paired differences, Holm's
adjustment, how many seed sets a precision needs) live in :mod:`l1reg.studies.stats`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    Flag,
    HasMethods,
    Instance,
    Int,
    ListOf,
    MappingOf,
    Optional,
    Options,
    Probability,
    Real,
    Seed,
    Text,
    Values,
    validate_fields,
    validate_params,
)
from l1reg.core.model import cross_entropy
from l1reg.core.network import NETWORK, WEIGHT_NAMES, Network, forward
from l1reg.core.training import fit
from l1reg.core.update_rules import RULE, Plain, Proximal, UpdateRule, WeightNames
from l1reg.regularize.dropout import StackDropout
from l1reg.regularize.jitter import StackJitter
from l1reg.studies.stats import standard_error

#: A grid has at least this many values ...
MIN_GRID_VALUES = 8
#: ... and spans at least this many decades.
MIN_GRID_DECADES = 3.0

# --- grids -----------------------------------------------------------------------------------


@validate_params(anchor=Real(0.0, strict=True), n_values=Int(MIN_GRID_VALUES), decades=Real(MIN_GRID_DECADES))
def log_grid(anchor: float, n_values: int = MIN_GRID_VALUES, decades: float = MIN_GRID_DECADES) -> np.ndarray:
    """``n_values`` strengths from ``anchor`` down ``decades`` decades, evenly spaced in log, strongest first.

    ``anchor * 10 ** -(decades * i / (n_values - 1))`` for ``i = 0 .. n_values - 1``.
    A grid of fewer than 8 values or fewer than 3 decades is refused: the protocol's
    grids are wide enough that a choice at an end is news, not a habit.

    Examples
    --------
    >>> log_grid(1.0, n_values=8, decades=3.5).round(4).tolist()
    [1.0, 0.3162, 0.1, 0.0316, 0.01, 0.0032, 0.001, 0.0003]
    """
    return anchor * 10.0 ** (-decades * np.arange(n_values) / (n_values - 1))


@validate_params(grids=MappingOf(Array(ndim=1, min_size=0), allow_empty=True,
                                 what="a dict of method name -> grid"), method=Text())
def grid_of(grids, method: str) -> np.ndarray:
    """``grids[method]``, the grid of a method that has one; refused, naming the ones that do, otherwise.

    Examples
    --------
    >>> grid_of({"none": np.zeros(0), "L1": np.array([0.1, 0.01])}, "L1").tolist()
    [0.1, 0.01]
    """
    if grids.get(method, np.zeros(0)).size == 0:
        raise ValueError(f"method must be one with a grid, one of "
                         f"{[m for m, g in grids.items() if g.size]}, got {method!r}")
    return grids[method]


@validate_params(grid=Array(ndim=1, min_size=2), end=Options("strong", "weak"), extra=Int())
def widen_grid(grid, end: str, extra: int = 3) -> np.ndarray:
    """The strongest-first log ``grid`` with ``extra`` more values beyond its ``end``, same spacing.

    Examples
    --------
    >>> widen_grid([1.0, 0.1, 0.01], "weak", extra=2).tolist()
    [1.0, 0.1, 0.01, 0.001, 0.0001]
    >>> widen_grid([1.0, 0.1, 0.01], "strong", extra=1).tolist()
    [10.0, 1.0, 0.1, 0.01]
    """
    if np.any(grid <= 0) or np.any(np.diff(grid) >= 0):
        raise ValueError(f"grid must be positive and strictly decreasing (strongest first), "
                         f"got {grid.tolist()}")
    if not np.allclose(np.diff(np.log(grid)), np.log(grid[1] / grid[0])):
        raise ValueError(f"grid must be evenly spaced in log, as log_grid makes it, got {grid.tolist()}")
    ratio = grid[1] / grid[0]  # < 1
    steps = np.arange(1, extra + 1)
    if end == "weak":
        return np.concatenate([grid, grid[-1] * ratio ** steps])
    return np.concatenate([grid[0] / ratio ** steps[::-1], grid])


@validate_params(x=Array(ndim=2), t=Array(ndim=2))
def linear_lam_max(x, t) -> float:
    """``max |x^T (t - mean(t))| / n``: the L1 strength that keeps a linear softmax model at zero.

    For multinomial logistic regression with an intercept and the mean cross-entropy,
    every weight stays at zero for ``lam`` at least this (the lasso's ``lambda_max``).
    A network's first layer is silenced by a much weaker penalty, since its gradient
    passes through small output weights: measure that one with :func:`silencing_strength`.

    Examples
    --------
    >>> linear_lam_max([[1.0], [-1.0]], [[1.0, 0.0], [0.0, 1.0]])
    0.5
    """
    if len(x) != len(t):
        raise ValueError(f"x and t must have the same number of items, got {len(x)} and {len(t)}")
    return float(np.abs(x.T @ (t - t.mean(axis=0))).max() / len(x))


# --- the training settings every method shares --------------------------------------------


@validate_fields(n_hidden=Int(), lr=Real(0.0, strict=True), batch_size=Int(), max_epochs=Int(),
                 check_every=Int(), patience=Int(0), engine=Options("numpy", "compiled"))
@dataclass(frozen=True)
class Training:
    """How every network of a comparison trains: the same for every method.

    Networks have ``n_hidden`` tanh units and the cross-entropy loss; SGD with
    learning rate ``lr`` on batches of ``batch_size``, checked on validation every
    ``check_every`` epochs up to ``max_epochs``. A network that has gone ``patience``
    checks without improving keeps its best check from then on, so its result does not
    depend on the other networks of its stack; the stack stops once every network has
    (0: never early).
    """

    n_hidden: int = 8
    lr: float = 0.05
    batch_size: int = 10
    max_epochs: int = 200
    check_every: int = 5
    patience: int = 4
    engine: str = "compiled"

    @validate_params(n_input=Int(), n_output=Int(2), seed=Seed())
    def network(self, n_input: int, n_output: int, seed) -> Network:
        """A fresh network of this training's shape."""
        return Network(n_input, self.n_hidden, n_output, seed=seed, loss="cross_entropy")


_TRAINING = Instance(Training, "an l1reg.studies.protocol.Training", example=Training)


# --- folds -----------------------------------------------------------------------------------


@validate_params(classes=Array("int", ndim=1), k=Int(2), seed=Seed())
def make_folds(classes, k: int, seed: int | np.random.Generator) -> np.ndarray:
    """Assign each item to one of ``k`` folds of equal size, stratified by class.

    Returns the fold of each item, ``0 .. k-1``, or ``-1`` for the ``n mod k`` items
    (drawn at random) that train in every fold and validate in none, so that every fold
    holds out exactly ``n // k`` items and the networks of all folds fit one stack.
    Within the others, items are shuffled within their class and dealt to the folds in
    turn, class after class, so each fold gets about the same share of every class.

    Examples
    --------
    >>> folds = make_folds([0, 0, 0, 0, 1, 1, 1, 1, 1], k=2, seed=0)
    >>> np.bincount(folds[folds >= 0]).tolist(), int(np.sum(folds == -1))
    ([4, 4], 1)
    """
    n = classes.size
    if n < 2 * k:
        raise ValueError(f"k must leave at least 2 items per fold: k={k} with {n} items")
    folds = np.full(n, -1)
    spare = seed.choice(n, size=n % k, replace=False)
    dealt = np.setdiff1d(np.arange(n), spare)
    order = dealt[np.lexsort((seed.random(dealt.size), classes[dealt]))]  # by class, shuffled within
    folds[order] = np.arange(order.size) % k
    return folds


@validate_params(folds=Array("int", ndim=1), k=Int(2))
def fold_items(folds, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation items of each fold: two (k x items) index arrays."""
    if set(np.unique(folds).tolist()) - set(range(-1, k)) or np.any(np.bincount(folds[folds >= 0],
                                                                                  minlength=k) == 0):
        raise ValueError(f"folds must hold fold numbers 0..{k - 1} (each used) or -1, as make_folds gives")
    sizes = np.bincount(folds[folds >= 0], minlength=k)
    if np.any(sizes != sizes[0]):
        raise ValueError(f"folds must be of equal size, got sizes {sizes.tolist()}")
    train = np.stack([np.flatnonzero(folds != i) for i in range(k)])
    val = np.stack([np.flatnonzero(folds == i) for i in range(k)])
    return train, val


# --- training with the length chosen on validation ----------------------------------------


@validate_params(a=Values(), n=Int())
def stack(a, n: int) -> np.ndarray:
    """``n`` copies of the array ``a`` along a new first axis (a read-only view): data for a stack."""
    return np.broadcast_to(a, (n,) + np.shape(a))


def _stacked(nets: list[Network]) -> dict:
    return {name: np.stack([net.params[name] for net in nets]) for name in nets[0].params}


_NETWORKS = ListOf(NETWORK, what="a list of networks of one shape")
_STACK_NOISE = Optional(Instance((StackDropout, StackJitter), "a StackDropout or StackJitter (one per stack)",
                                 example=lambda: StackDropout([0.5], seeds=[0])))
_ORDERS = ListOf(Seed(), what="a list of numpy.random.Generator, one per network")


@validate_params(nets=_NETWORKS, x=Array(ndim=3), t=Array(ndim=3))
def item_losses(nets: list[Network], x, t) -> np.ndarray:
    """Each network's cross-entropy on each of its items: (networks x items), from stacked ``x``, ``t``."""
    _, o = forward(_stacked(nets), x)
    return cross_entropy(np, o[..., None, :], t[..., None, :])  # one "batch" per item


@validate_params(nets=_NETWORKS, x=Array(ndim=3))
def is_collapsed(nets: list[Network], x) -> np.ndarray:
    """True for each network that gives every one of its items (stacked ``x``) the same class."""
    _, o = forward(_stacked(nets), x)
    guess = o.argmax(axis=-1)
    return np.all(guess == guess[..., :1], axis=-1)


@validate_fields(best_epoch=Array("int", ndim=1), item_loss=Array(ndim=2), collapsed=Array("bool", ndim=1))
@dataclass(frozen=True)
class EarlyStopped:
    """Per network of a stack: the epoch kept, its validation losses per item, and whether it collapsed."""

    best_epoch: np.ndarray
    item_loss: np.ndarray
    collapsed: np.ndarray


def _check_resumable(rules: list[UpdateRule]) -> None:
    for rule in rules:
        if type(rule).init is not UpdateRule.init:
            raise ValueError(f"rules must keep no state between steps to train in chunks, got {rule!r}: "
                             f"its state would restart at every check")


def _chunks(nets, x, t, rules, on, training: Training, orders, stop: int, noise=None):
    """Train in chunks of ``check_every`` epochs up to ``stop``, yielding the epoch after each.

    With ``noise`` (dropout or jitter, which the compiled engine does not run) the steps
    run on NumPy; the noise's sources continue from chunk to chunk, as the orders do.
    """
    _check_resumable(rules)
    engine = training.engine if noise is None else "numpy"
    epoch = 0
    while epoch < stop:
        fit(nets, x, t, epochs=training.check_every, lr=training.lr, seed=orders,
            batch_size=training.batch_size, rule=rules, on=on, noise=noise, engine=engine,
            record_history=False)
        epoch += training.check_every
        yield epoch


@validate_params(nets=_NETWORKS, x=Array(ndim=3), t=Array(ndim=3), x_val=Array(ndim=3), t_val=Array(ndim=3),
                 rules=ListOf(RULE, what="a list of update rules, one per network"), on=WeightNames(),
                 training=_TRAINING, orders=_ORDERS, noise=_STACK_NOISE)
def train_early_stopped(nets: list[Network], x, t, x_val, t_val, rules: list[UpdateRule], on,
                        training: Training, orders: list[np.random.Generator],
                        noise=None) -> EarlyStopped:
    """Train a stack, keeping each network's parameters from its best check on validation loss.

    ``x, t`` are stacked training items (networks x items x ...), ``x_val, t_val`` each
    network's validation items; ``rules`` one per network, acting on the matrices ``on``;
    ``orders`` one Generator per network for the visiting order (it continues from chunk
    to chunk); ``noise`` an optional dropout or jitter for the whole stack (a
    :class:`~l1reg.regularize.dropout.StackDropout` or
    :class:`~l1reg.regularize.jitter.StackJitter`). The networks end with their best
    parameters (ties keep the earlier check).
    """
    best_loss = np.full(len(nets), np.inf)
    best_epoch = np.zeros(len(nets), dtype=np.int64)
    best_flat = np.stack([net.flat for net in nets])
    best_items = np.full(t_val.shape[:2], np.nan)
    stale = np.zeros(len(nets), dtype=np.int64)
    for epoch in _chunks(nets, x, t, rules, on, training, orders, training.max_epochs, noise):
        losses = item_losses(nets, x_val, t_val)
        # a network out of patience keeps its best check, whatever the others of its stack still do
        active = stale < training.patience if training.patience else np.ones(len(nets), dtype=bool)
        better = active & (losses.mean(axis=1) < best_loss)
        best_loss[better], best_epoch[better] = losses[better].mean(axis=1), epoch
        best_items[better] = losses[better]
        best_flat[better] = np.stack([net.flat for net in nets])[better]
        stale = np.where(better, 0, stale + 1)
        if training.patience and np.all(stale >= training.patience):
            break
    for net, flat in zip(nets, best_flat, strict=True):
        net.flat[:] = flat
    return EarlyStopped(best_epoch, best_items, is_collapsed(nets, x))


@validate_params(best_epochs=Array("int"), training=_TRAINING)
def refit_epochs(best_epochs, training: Training) -> int:
    """How long a refit on all the items trains: the folds' median best epoch, up to a whole check.

    The same number of epochs, not of steps: on all ``n`` items an epoch has ``K/(K-1)``
    times the steps of a fold's, so the refit trains (and shrinks) a little longer.

    Examples
    --------
    >>> refit_epochs([10, 15, 40, 5], Training(check_every=5))
    15
    """
    median = float(np.median(best_epochs))
    return max(1, int(np.ceil(median / training.check_every))) * training.check_every


@validate_params(nets=_NETWORKS, x=Array(ndim=3), t=Array(ndim=3),
                 rules=ListOf(RULE, what="a list of update rules, one per network"), on=WeightNames(),
                 training=_TRAINING, orders=_ORDERS, epochs=Array("int", ndim=1), noise=_STACK_NOISE)
def train_for(nets: list[Network], x, t, rules: list[UpdateRule], on, training: Training,
              orders: list[np.random.Generator], epochs, noise=None) -> None:
    """Train a stack, each network for its own number of ``epochs`` (rounded up to a whole check).

    ``noise`` as for :func:`train_early_stopped`.
    """
    epochs = np.asarray(epochs)
    stop = -(-epochs // training.check_every) * training.check_every
    kept = np.stack([net.flat for net in nets])
    for epoch in _chunks(nets, x, t, rules, on, training, orders, int(stop.max()), noise):
        now = stop == epoch
        kept[now] = np.stack([net.flat for net in nets])[now]
    for net, flat in zip(nets, kept, strict=True):
        net.flat[:] = flat


# --- cross-validation of a method's grid ------------------------------------------------------


@validate_fields(name=Text(), rules=ListOf(RULE, what="a list of update rules"), on=WeightNames(),
                 dropout=ListOf(Probability(), allow_empty=True, what="a list of dropout rates"),
                 jitter=ListOf(Real(0.0), allow_empty=True, what="a list of jitter sigmas"))
@dataclass(frozen=True)
class Method:
    """A way to train: one rule per configuration of its grid (strongest first), acting on ``on``.

    ``Method("none", [Plain()])`` has a grid of one; ``Method("L1, first layer",
    [Proximal(lam) for lam in grid], on=("ih_weights",))`` a grid of strengths.
    A method that injects noise gives one ``dropout`` rate (or one ``jitter`` sigma) per
    configuration, beside its rules: ``Method("dropout", [Plain()] * 3, dropout=[0.2,
    0.4, 0.6])``. Such a method trains on NumPy (the compiled engine runs no noise).
    """

    name: str
    rules: list
    on: tuple = WEIGHT_NAMES
    dropout: tuple = ()
    jitter: tuple = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "dropout", tuple(self.dropout))
        object.__setattr__(self, "jitter", tuple(self.jitter))
        for name in ("dropout", "jitter"):
            if getattr(self, name) and len(getattr(self, name)) != len(self.rules):
                raise ValueError(f"{name} must give one value per configuration (rule), {len(self.rules)}, "
                                 f"got {len(getattr(self, name))}")
        if self.dropout and self.jitter:
            raise ValueError("dropout and jitter must not both be given: a method injects one kind of noise")

    @validate_params(configs=ListOf(Int(0), what="a list of configuration numbers"),
                     seeds=ListOf(Seed(), what="a list of seeds, one per network"))
    def noise(self, configs, seeds):
        """The noise for a stack whose network ``i`` trains configuration ``configs[i]``, or None.

        Network ``i`` draws from ``seeds[i]`` alone (:func:`noise_source`).
        """
        if self.dropout:
            return StackDropout([self.dropout[c] for c in configs], seeds)
        if self.jitter:
            return StackJitter([self.jitter[c] for c in configs], seeds)
        return None


@validate_fields(item_loss=Array(ndim=4), best_epoch=Array("int", ndim=3), collapsed=Array("bool", ndim=3))
@dataclass(frozen=True, eq=False)
class CrossValidation:
    """A method's grid cross-validated: per seed set, configuration and fold.

    ``item_loss`` is (seed sets x configurations x folds x validation items), the
    validation cross-entropy of each held-out item at the network's best check;
    ``best_epoch`` and ``collapsed`` are (seed sets x configurations x folds).
    """

    item_loss: np.ndarray
    best_epoch: np.ndarray
    collapsed: np.ndarray

    def mean_loss(self) -> np.ndarray:
        """Mean validation loss per seed set and configuration (over folds and items)."""
        return self.item_loss.mean(axis=(2, 3))


@validate_params(seed=Int(0), s=Int(0), k=Int(0))
def streams(seed: int, s: int, k: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The initial weights' and the visiting order's random streams of seed set ``s``, fold ``k``.

    Every configuration of every method trained on seed set ``s`` and fold ``k`` uses
    these two, so that their differences are paired.
    """
    return np.random.default_rng([seed, s, k, 0]), np.random.default_rng([seed, s, k, 1])


@validate_params(seed=Int(0), s=Int(0), k=Int(0))
def noise_source(seed: int, s: int, k: int) -> np.random.Generator:
    """The dropout masks' or the jitter's random stream of seed set ``s``, fold ``k``.

    Like :func:`streams`, the same for every configuration of seed set ``s`` and fold
    ``k``: two dropout rates draw the same uniform numbers and keep nested sets of units.
    """
    return np.random.default_rng([seed, s, k, 2])


@validate_params(x=Array(ndim=3), t=Array(ndim=3),
                 method=Instance(Method, "an l1reg.studies.protocol.Method",
                                 example=lambda: Method("none", [Plain()])),
                 folds=Array("int", ndim=2), training=_TRAINING, seed=Int(0),
                 masks=Optional(Array("bool")),
                 seed_sets=Optional(ListOf(Int(0), what="a list of seed-set numbers")))
def cross_validate(x, t, method: Method, folds, training: Training = Training(),
                   seed: int = 0, masks=None, seed_sets=None) -> CrossValidation:
    """K-fold cross-validation of every configuration of ``method``, on every seed set, as one stack.

    ``x`` (seed sets x items x inputs) and ``t`` (one-hot, seed sets x items x classes)
    are each seed set's labelled items, ``folds`` (seed sets x items) their folds from
    :func:`make_folds`. Network ``(c, s, k)`` trains configuration ``c`` on the items
    of seed set ``s`` outside fold ``k``, with training length chosen on fold ``k``
    (:func:`train_early_stopped`). Every configuration of seed set ``s`` and fold ``k``
    starts from the same weights and visits its items in the same order, drawn from
    ``seed``: differences between configurations (and between methods run with the same
    ``seed``) are paired.

    ``masks``, if given, says which inputs each network sees (True) and which it sees
    as 0: booleans broadcastable to (configurations x seed sets x folds x inputs). The
    oracle's mask is each seed set's true inputs, shaped (seed sets x 1 x inputs); a
    supervised filter's come from :func:`filter_masks`, one configuration per ``k``.

    ``seed_sets`` numbers the seed sets for their random streams (:func:`streams`);
    by default 0, 1, ... in order. A seed set's networks then do not depend on which
    other seed sets share the stack, so a subset can be recomputed on its own.
    """
    if x.shape[:2] != t.shape[:2] or folds.shape != x.shape[:2]:
        raise ValueError(f"x, t and folds must agree in seed sets and items, got shapes {x.shape}, "
                         f"{t.shape}, {folds.shape}")
    n_sets, k, n_conf = len(x), int(folds.max()) + 1, len(method.rules)
    ids = list(range(n_sets)) if seed_sets is None else list(seed_sets)
    if len(ids) != n_sets or len(set(ids)) != n_sets:
        raise ValueError(f"seed_sets must number the {n_sets} seed sets of x, each once, got {ids}")
    try:
        keep = np.broadcast_to(True if masks is None else masks, (n_conf, n_sets, k, x.shape[2]))
    except ValueError:
        raise ValueError(f"masks must broadcast to (configurations, seed sets, folds, inputs) = "
                         f"{(n_conf, n_sets, k, x.shape[2])}, got shape {np.shape(masks)}") from None
    items = [fold_items(f, k) for f in folds]
    grid = [(c, s, f) for c in range(n_conf) for s in range(n_sets) for f in range(k)]
    nets, orders = [], []
    for _, s, f in grid:
        init, order = streams(seed, ids[s], f)
        nets.append(training.network(x.shape[2], t.shape[2], init))
        orders.append(order)
    pick = lambda arr, part: np.stack([arr[s][items[s][part][f]] for _, s, f in grid])  # noqa: E731
    seen = lambda part: pick(x, part) * np.stack([keep[c, s, f] for c, s, f in grid])[:, None]  # noqa: E731
    noise = method.noise([c for c, _, _ in grid], [noise_source(seed, ids[s], f) for _, s, f in grid])
    result = train_early_stopped(nets, seen(0), pick(t, 0), seen(1), pick(t, 1),
                                 [method.rules[c] for c, _, _ in grid], method.on, training, orders, noise)
    shape = (n_conf, n_sets, k)
    move = lambda a: np.moveaxis(a.reshape(shape + a.shape[1:]), 0, 1)  # noqa: E731
    return CrossValidation(move(result.item_loss), move(result.best_epoch), move(result.collapsed))


@validate_params(x=Array(ndim=3), t=Array(ndim=3), folds=Array("int", ndim=2),
                 ks=ListOf(Int(), what="a list of how many inputs to keep"))
def filter_masks(x, t, folds, ks) -> np.ndarray:
    """The supervised per-input filter's masks for :func:`cross_validate`, one per ``k`` in ``ks``.

    Shaped (len(ks) x seed sets x folds x inputs). For each seed set and fold,
    :func:`select_k_best` ranks the inputs on the fold's training items only (the
    validation items play no part), and mask ``i`` keeps the best ``ks[i]`` of them.
    """
    if max(ks) > x.shape[2]:
        raise ValueError(f"ks must be at most the number of inputs ({x.shape[2]}), got {list(ks)}")
    k = int(folds.max()) + 1
    out = np.zeros((len(ks), len(x), k, x.shape[2]), dtype=bool)
    for s in range(len(x)):
        train, _ = fold_items(folds[s], k)
        for f in range(k):
            for i, kept in enumerate(ks):
                out[i, s, f] = select_k_best(x[s][train[f]], t[s][train[f]], kept)
    return out


# --- choosing a configuration -----------------------------------------------------------------


@validate_params(item_loss=Array(ndim=4), one_se=Flag())
def select(item_loss, one_se: bool = False) -> np.ndarray:
    """Per seed set, the configuration (strongest first) with the smallest mean validation loss.

    ``item_loss`` is :attr:`CrossValidation.item_loss` (seed sets x configurations x
    folds x items). Ties go to the weaker configuration (the later one). With
    ``one_se``, the one-standard-error rule: the strongest configuration whose mean is
    within one standard error of the smallest. The error is computed from the best
    configuration's item losses pooled over folds, not from the K fold means as in
    Hastie, Tibshirani and Friedman (2009, section 7.10): with folds of a few items, K
    means give an error with K - 1 degrees of freedom, too noisy to choose by; pooled
    items are steadier but ignore that a fold's items share one network, so the error
    runs small.

    The same validation items choose the training length, then the configuration (and
    in :func:`l1reg.tune` the method): the smallest mean is an optimistic estimate of
    the chosen network's loss, more so for a grid of many values than for one. Claims
    rest on test items that played no part in the choice.

    Examples
    --------
    >>> losses = np.array([0.9, 0.52, 0.5, 0.6])[None, :, None, None] + [0.0, 0.2]  # 1 seed set, 1 fold
    >>> select(losses).tolist(), select(losses, one_se=True).tolist()
    ([2], [1])
    """
    n_sets, n_conf = item_loss.shape[:2]
    pooled = item_loss.reshape(n_sets, n_conf, -1)
    mean = pooled.mean(axis=2)
    best = n_conf - 1 - np.argmin(mean[:, ::-1], axis=1)  # ties: the weaker
    if not one_se:
        return best
    rows = np.arange(n_sets)
    se = standard_error(pooled[rows, best], axis=1)
    return np.argmax(mean <= (mean[rows, best] + se)[:, None], axis=1)


class GridEndError(ValueError):
    """A grid's choice sat at one of its ends too often: the grid must be widened there."""


@validate_params(chosen=Array("int", ndim=1), n_values=Int(2))
def grid_ends(chosen, n_values: int) -> dict[str, int]:
    """How many seed sets chose the strongest (index 0) and the weakest value of a grid.

    Examples
    --------
    >>> grid_ends([0, 3, 7, 7], n_values=8)
    {'strong': 1, 'weak': 2}
    """
    if np.any((chosen < 0) | (chosen >= n_values)):
        raise ValueError(f"chosen must hold indices in [0, {n_values - 1}], got {chosen.tolist()}")
    return {"strong": int(np.sum(chosen == 0)), "weak": int(np.sum(chosen == n_values - 1))}


@validate_params(chosen=Array("int", ndim=1), n_values=Int(2), max_share=Probability(), what=Text(),
                 ends=ListOf(Options("strong", "weak"), what="a list of 'strong' and 'weak'"))
def check_grid_ends(chosen, n_values: int, max_share: float = 0.2, what: str = "the grid",
                    ends=("strong", "weak")) -> dict[str, int]:
    """:func:`grid_ends`, raising :class:`GridEndError` if an end in ``ends`` was chosen too often.

    Too often: in more than a share ``max_share`` of the seed sets.

    A grid anchored at the silencing strength may leave out ``"strong"``: choosing the
    silenced network is then a finding (the inputs do not help), not a short grid.
    """
    counts = grid_ends(chosen, n_values)
    for end in ends:
        if counts[end] > max_share * chosen.size:
            raise GridEndError(f"{what}: its {end} end was chosen in {counts[end]} of {chosen.size} "
                               f"seed sets, more than the {max_share:.0%} allowed; "
                               f"widen it at that end (widen_grid)")
    return counts


# --- the anchor: the strength that silences the first layer -------------------------------


@validate_params(x=Array(ndim=2), t=Array(ndim=2),
                 rule_for=HasMethods(("__call__",), "a function of lam returning an update rule",
                                     example=lambda: Proximal),
                 on=WeightNames(), training=_TRAINING, seed=Int(0),
                 top=Optional(Real(0.0, strict=True)), share=Probability(strict=True))
def silencing_strength(x, t, rule_for: Callable[[float], UpdateRule], on=WEIGHT_NAMES,
                       training: Training = Training(), seed: int = 0, top: float | None = None,
                       share: float = 0.01) -> float:
    """The weakest strength, on a ladder of quarter decades, that silences a trained first layer.

    Silenced means the first layer's weights end (after ``training.max_epochs``, no
    early stopping) at most ``share`` of the size (sum of absolute values) they reach
    with no penalty: exactly zero for an L1 proximal rule, nearly so for L2. The ladder
    runs from ``top`` (default ``10 * linear_lam_max(x, t)``, at most ``0.45 / lr``)
    down 6 decades; all its
    networks train as one stack, from the same weights and visiting order.

    The first run of silencing strengths counts: a strength so large that its step
    overshoots (an L2 step with ``lr * lam > 1/2``) may fail to silence above it.

    Raises
    ------
    ValueError
        If no strength of the ladder silences the layer (raise ``top``) or every one
        from the first that does down to the weakest does (lower ``top``).
    """
    # an L2 step scales a weight by 1 - 2 * lr * lam: beyond lr * lam = 1/2 it overshoots zero
    top = min(10.0 * linear_lam_max(x, t), 0.45 / training.lr) if top is None else top
    ladder = top * 10.0 ** (-np.arange(25) / 4)
    rules = [rule_for(0.0)] + [rule_for(float(lam)) for lam in ladder]
    nets = [training.network(x.shape[1], t.shape[1], streams(seed, 0, 0)[0]) for _ in rules]
    orders = [streams(seed, 0, 0)[1] for _ in rules]  # the same weights and order for every strength
    for _ in _chunks(nets, stack(x, len(nets)), stack(t, len(nets)), rules, on, training, orders,
                     training.max_epochs):
        pass
    size = np.array([np.abs(net.params["ih_weights"]).sum() for net in nets])
    silenced = size[1:] <= share * size[0]
    if not silenced.any():
        if top * training.lr >= 0.45:
            raise ValueError(f"top={top:g}, the strongest strength whose step still shrinks at "
                             f"lr={training.lr:g}, does not silence the first layer: lower training.lr")
        raise ValueError(f"top={top:g} does not silence the first layer: raise top")
    first = int(np.argmax(silenced))  # a stronger value may overshoot (an L2 step past lr * lam = 1/2)
    if silenced[first:].all():
        raise ValueError(f"every strength down to {ladder[-1]:g} silences the first layer: lower top")
    return float(ladder[first + np.argmin(silenced[first:]) - 1])


# --- baselines -------------------------------------------------------------------------------


@validate_params(t_train=Array(ndim=2), t_test=Array(ndim=2))
def majority_accuracy(t_train, t_test) -> float:
    """The accuracy on ``t_test`` of always guessing the most common class of ``t_train`` (one-hot both).

    Examples
    --------
    >>> majority_accuracy([[1, 0], [1, 0], [0, 1]], [[1, 0], [0, 1]])
    0.5
    """
    if t_train.shape[1] != t_test.shape[1]:
        raise ValueError(f"t_train and t_test must have the same classes, got {t_train.shape[1]} and "
                         f"{t_test.shape[1]} columns")
    return float(np.mean(t_test.argmax(axis=1) == t_train.sum(axis=0).argmax()))


@validate_params(t=Array(ndim=3), folds=Array("int", ndim=2))
def prior_item_losses(t, folds) -> np.ndarray:
    """The majority baseline's validation loss: each held-out item's ``-log`` share of its class.

    The share is that of the fold's training items (:func:`class_shares`): the
    cross-entropy of a network that has learnt the class frequencies and nothing else. Shaped like
    :attr:`CrossValidation.item_loss` without its configuration axis: (seed sets x
    folds x items).
    """
    k = int(folds.max()) + 1
    out = []
    for ts, f in zip(t, folds, strict=True):
        train, val = fold_items(f, k)
        shares = np.stack([class_shares(ts[tr]) for tr in train])  # (folds x classes)
        out.append(-np.log(np.einsum("kic,kc->ki", ts[val], shares)))
    return np.stack(out)


@validate_params(t=Array(ndim=2))
def class_shares(t) -> np.ndarray:
    """Each class's share of the one-hot targets ``t``, counted with one extra item per class.

    ``(count + 1) / (n + C)`` (Laplace's rule): a class absent from a few items still
    gets a small share, so the baseline's cross-entropy stays finite.

    Examples
    --------
    >>> class_shares([[1, 0, 0], [1, 0, 0], [0, 1, 0]]).round(3).tolist()
    [0.5, 0.333, 0.167]
    """
    return (t.sum(axis=0) + 1.0) / (len(t) + t.shape[1])


@validate_params(x=Array(ndim=2), t=Array(ndim=2), k=Int())
def select_k_best(x, t, k: int) -> np.ndarray:
    """The supervised per-input filter: a mask of the ``k`` inputs with the largest ANOVA F with the class.

    scikit-learn's ``SelectKBest(f_classif, k=k)`` on the training items; an input
    that is constant on them scores 0.
    """
    from sklearn.feature_selection import f_classif

    if k > x.shape[1]:
        raise ValueError(f"k must be at most the number of inputs ({x.shape[1]}), got {k}")
    if len(x) != len(t):
        raise ValueError(f"x and t must have the same number of items, got {len(x)} and {len(t)}")
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant input: its F is NaN, scored 0 below
        warnings.filterwarnings("ignore", "Features .* are constant", UserWarning)
        scores, _ = f_classif(x, t.argmax(axis=1))
    keep = np.zeros(x.shape[1], dtype=bool)
    keep[np.argsort(-np.nan_to_num(scores, nan=0.0), kind="stable")[:k]] = True
    return keep
