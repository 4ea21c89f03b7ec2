"""One cell of the map "when does L1 pay off?", measured by the study protocol.

A cell is a number of inputs ``d`` and of labelled items ``n``, with a :class:`CellDesign`
(label noise, and two controls). For each seed set the truth is a generator network that
reads 5 of the ``d`` inputs (:mod:`l1reg.studies.payoff`); the ``n`` items, with noisy
labels, are all a method sees, and a large test set scores the result. The controls:

* ``rotate``: the learner sees the inputs times a random orthogonal matrix. The truth
  is then dense in the learner's coordinates, so L1's prior (few inputs matter) is
  wrong, while no penalty and L2 are unaffected (Ng 2004's argument).
* ``correlation``: every input shares a common factor. The truth is still sparse, but
  relevant and irrelevant inputs are harder to tell apart.

:func:`run_cell` tunes every method with equal effort on the same folds of the same
items (:mod:`l1reg.studies.protocol`): no penalty, L2 and L1 on both layers, and on the
first layer only L1, the group lasso on the input rows and the elastic net (one grid of
L1 share x strength). Each penalty's grid is anchored at the strength that silences
the first layer on seed set 0; training length is chosen on validation for all. Beside
them: the majority class, an oracle network on the true inputs, and a network on the
inputs a supervised filter keeps (``SelectKBest``, ``k`` chosen on validation). Each
choice (smallest validation loss, and the one-SE variant) is refit on all ``n`` items
and scored on the test items; the size of each input's first-layer weights is scored
against the true inputs by the area under the ROC curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from l1reg.core._validation import (
    AnyOf,
    Array,
    Flag,
    Instance,
    Int,
    ListOf,
    MappingOf,
    Matrix,
    Options,
    Probability,
    Real,
    Text,
    validate_fields,
    validate_params,
)
from l1reg.core.model import cross_entropy
from l1reg.core.network import WEIGHT_NAMES, forward, hit_rate
from l1reg.core.update_rules import ElasticNetProximal, GroupProximal, L2Gradient, Plain, Proximal
from l1reg.studies import protocol
from l1reg.studies.data import make_inputs, one_hot
from l1reg.studies.payoff import flip_labels, input_relevance, make_sparse_generator, sparse_classes
from l1reg.studies.protocol import Method, Training

#: Base of the map's seeds: seed set ``s`` of cell ``(d, n)`` draws from
#: ``np.random.default_rng([MAP_SEED, s, d, n, purpose])``; its truth from ``[MAP_SEED, s, d]``.
MAP_SEED = 7070
FIRST = ("ih_weights",)
#: The truth reads inputs uniform in [-10, 10]; the learner sees them divided by their sd.
INPUT_RANGE = 10.0
INPUT_SD = INPUT_RANGE / np.sqrt(3.0)


@validate_fields(n_relevant=Int(), n_classes=Int(2), truth_hidden=Int(), flip=Probability(), n_test=Int(),
                 k=Int(2), steps=Int(), checks=Int(), lr=Real(0.0, strict=True), batch_size=Int(),
                 n_hidden=Int(), mixings=ListOf(Probability(strict=True), what="a list of L1 shares"),
                 n_values=Int(8), decades=Real(3.0), rotate=Flag(), correlation=Probability(),
                 engine=Options("numpy", "compiled"))
@dataclass(frozen=True)
class CellDesign:
    """Everything the cells of the map share, apart from ``d`` and ``n``.

    Training: SGD at ``lr`` on batches of ``batch_size``, at most ``steps`` steps (so
    more epochs for fewer items), checked on validation ``checks`` times, each network
    keeping its best check and stopping after 8 checks without improving. Grids have
    ``n_values`` strengths over ``decades`` decades. ``rotate`` and ``correlation`` are
    the controls (see the module's docstring).
    """

    n_relevant: int = 5
    n_classes: int = 4
    truth_hidden: int = 10
    flip: float = 0.1
    n_test: int = 2000
    k: int = 5
    steps: int = 3000
    checks: int = 40
    lr: float = 0.05
    batch_size: int = 10
    n_hidden: int = 8
    mixings: tuple = (0.2, 0.5, 0.8)
    n_values: int = 8
    decades: float = 3.0
    rotate: bool = False
    correlation: float = 0.0
    engine: str = "compiled"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mixings", tuple(self.mixings))  # hashable, as a frozen design should be

    @validate_params(n=Int())
    def training(self, n: int) -> Training:
        """The training every method shares on ``n`` items (folds hold out ``n // k``)."""
        per_epoch = -(-(n - n // self.k) // self.batch_size)
        check_every = max(1, -(-self.steps // (per_epoch * self.checks)))
        return Training(n_hidden=self.n_hidden, lr=self.lr, batch_size=self.batch_size,
                        max_epochs=check_every * self.checks, check_every=check_every, patience=8,
                        engine=self.engine)


@validate_fields(x=Matrix(), t=Matrix(), x_test=Matrix(), t_test=Matrix(), rotation=Matrix(),
                 relevant=Array("int", ndim=1))
@dataclass(frozen=True)
class SeedSetData:
    """One seed set's items as the learner sees them, the ``rotation`` applied, and the true inputs.

    ``x @ rotation.T`` are the standardized inputs the truth reads (``rotation`` is the
    identity unless the design rotates); ``relevant`` lists the ones it reads.
    """

    x: np.ndarray
    t: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    rotation: np.ndarray
    relevant: np.ndarray


def _rng(s: int, d: int, n: int, purpose: int) -> np.random.Generator:
    return np.random.default_rng([MAP_SEED, s, d, n, purpose])


def _inputs(n_items: int, d: int, rng, design: CellDesign) -> np.ndarray:
    """Inputs on the truth's scale: uniform in [-10, 10], mixed with a shared factor if correlated."""
    x = make_inputs(n_items, d, rng, INPUT_RANGE)
    if design.correlation:
        shared = make_inputs(n_items, 1, rng, INPUT_RANGE)
        x = np.sqrt(1.0 - design.correlation) * x + np.sqrt(design.correlation) * shared
    return x


@validate_params(s=Int(0), d=Int(), n=Int(), design=Instance(CellDesign, "a CellDesign", example=CellDesign))
def seed_set_data(s: int, d: int, n: int, design: CellDesign) -> SeedSetData:
    """Seed set ``s`` of cell ``(d, n)``: ``n`` training items with noisy labels, and the test items.

    Test labels are clean; :func:`run_cell` scores its test loss against the noisy
    labels' expected value, so that a network is not rewarded for overconfidence.
    """
    if d < design.n_relevant:
        raise ValueError(f"d must be at least the design's n_relevant ({design.n_relevant}), got {d}")
    truth = make_sparse_generator(np.random.default_rng([MAP_SEED, s, d]), d, design.n_relevant,
                                  design.truth_hidden, design.n_classes)
    x, x_test = _inputs(n, d, _rng(s, d, n, 0), design), _inputs(design.n_test, d, _rng(s, d, n, 1), design)
    classes, _ = flip_labels(sparse_classes(truth, x), design.n_classes, design.flip, _rng(s, d, n, 2))
    rotation = np.eye(d)
    if design.rotate:
        q, r = np.linalg.qr(_rng(s, d, n, 3).normal(size=(d, d)))
        rotation = q * np.sign(np.diag(r))  # a uniformly random orthogonal matrix
    return SeedSetData(x / INPUT_SD @ rotation, one_hot(classes, design.n_classes),
                       x_test / INPUT_SD @ rotation, one_hot(sparse_classes(truth, x_test), design.n_classes),
                       rotation, truth.relevant)


class _Method(NamedTuple):
    """A method of the map: its rules (strongest first), the matrices they act on, its grid and masks."""

    rules: list
    on: tuple
    grid: np.ndarray
    mixing: np.ndarray | None = None
    masks: np.ndarray | bool = True


def _penalties(data: SeedSetData, design: CellDesign, training: Training) -> dict[str, _Method]:
    """Each penalty's rules on its grid, anchored on ``data`` (seed set 0)."""
    rule_fors = {"L2": (L2Gradient, WEIGHT_NAMES), "L1": (Proximal, WEIGHT_NAMES),
                 "L1, first layer": (Proximal, FIRST), "group lasso": (GroupProximal, FIRST)}
    grid_of = lambda rule_for, on: protocol.log_grid(  # noqa: E731
        protocol.silencing_strength(data.x, data.t, rule_for, on, training), design.n_values, design.decades)
    out = {"none": _Method([Plain()], WEIGHT_NAMES, np.zeros(0))}
    for name, (rule_for, on) in rule_fors.items():
        grid = grid_of(rule_for, on)
        out[name] = _Method([rule_for(float(lam)) for lam in grid], on, grid)
    rules, grid, mixing = [], [], []  # the elastic net: one grid of L1 share x strength
    for a in design.mixings:
        lams = grid_of(lambda lam, a=a: ElasticNetProximal(a * lam, (1.0 - a) * lam), FIRST)
        rules += [ElasticNetProximal(a * lam, (1.0 - a) * lam) for lam in lams]
        grid, mixing = grid + list(lams), mixing + [a] * lams.size
    out["elastic net"] = _Method(rules, FIRST, np.array(grid), np.array(mixing))
    return out


def _filter(x, t, folds, d: int) -> _Method:
    """The supervised filter: ``k`` on a log ladder from 1 to ``d`` inputs, fewest first."""
    ks = sorted({int(k) for k in np.round(np.geomspace(1, d, 10))})
    return _Method([Plain()] * len(ks), WEIGHT_NAMES, np.array(ks, dtype=float),
                   masks=protocol.filter_masks(x, t, folds, ks))


_PER_METHOD = MappingOf(Array(ndim=None, min_size=0, allow_inf=True), what="a dict of method name -> array")
_INDICES = MappingOf(Array("int", ndim=1, min_size=0), what="a dict of method name -> array of ints")
_FLAGS = MappingOf(Array("bool", ndim=1, min_size=0), what="a dict of method name -> array of booleans")
_AUCS = MappingOf(Array(ndim=1, min_size=0, allow_nan=True), what="a dict of method name -> AUCs")


@validate_fields(d=Int(), n=Int(), design=Instance(CellDesign, "a CellDesign", example=CellDesign),
                 **{name: _PER_METHOD for name in ("grid", "mixing", "curve", "cv_collapsed", "accuracy",
                                                   "accuracy_one_se", "loss")},
                 **{name: _INDICES for name in ("chosen", "chosen_one_se", "epochs")},
                 at_budget=_FLAGS, collapsed=_FLAGS, auc=_AUCS,
                 majority=Array(ndim=1, min_size=0), majority_loss=Array(ndim=1, min_size=0),
                 seed_sets=Array("int", ndim=1, min_size=0))
@dataclass(eq=False)
class CellResult:
    """One cell, per method: its grid and, per seed set, the choice and how it scored.

    ``grid[m]`` holds method ``m``'s strengths (``k`` for the filter; empty for "none"
    and the oracle), ``mixing["elastic net"]`` the L1 share of each of its values.
    Per seed set (rows): ``curve[m]`` the mean validation loss of every configuration
    and ``cv_collapsed[m]`` the share of its folds that collapsed to one class;
    ``chosen[m]`` the configuration with the smallest validation loss and
    ``chosen_one_se[m]`` the one-SE rule's; ``epochs[m]`` the refit's length and
    ``at_budget[m]`` whether it is the training budget (the budget, not validation,
    stopped it); after the refit on all items, ``accuracy[m]`` and ``loss[m]`` on the
    test items (the loss against the noisy labels' expected value),
    ``accuracy_one_se[m]`` for the one-SE choice, ``collapsed[m]`` and ``auc[m]``
    (first-layer weight size against the true inputs, the weights mapped back through
    the rotation; NaN for a collapsed refit; 1 for the oracle by construction).
    ``majority`` and ``majority_loss`` score the training majority class and the
    training class shares on the test items. ``seed_sets`` numbers the rows.
    """

    d: int
    n: int
    design: CellDesign
    grid: dict = field(default_factory=dict)
    mixing: dict = field(default_factory=dict)
    curve: dict = field(default_factory=dict)
    cv_collapsed: dict = field(default_factory=dict)
    chosen: dict = field(default_factory=dict)
    chosen_one_se: dict = field(default_factory=dict)
    epochs: dict = field(default_factory=dict)
    at_budget: dict = field(default_factory=dict)
    accuracy: dict = field(default_factory=dict)
    accuracy_one_se: dict = field(default_factory=dict)
    loss: dict = field(default_factory=dict)
    collapsed: dict = field(default_factory=dict)
    auc: dict = field(default_factory=dict)
    majority: np.ndarray = field(default_factory=lambda: np.zeros(0))
    majority_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seed_sets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @validate_params(method=Text())
    def chosen_strength(self, method: str) -> np.ndarray:
        """The strength chosen on each seed set (its grid's value at ``chosen``)."""
        return protocol.grid_of(self.grid, method)[self.chosen[method]]

    @validate_params(method=Text())
    def grid_ends(self, method: str) -> dict[str, int]:
        """How many seed sets chose each end of ``method``'s grid (:func:`~l1reg.studies.protocol.grid_ends`).

        For the elastic net, the ends of the strength grid of the chosen L1 share.
        """
        if method in self.mixing:
            return protocol.grid_ends(self.chosen[method] % self.design.n_values, self.design.n_values)
        return protocol.grid_ends(self.chosen[method], self.grid[method].size)


_SEED_SETS = AnyOf(Int(2), ListOf(Int(0), what="a list of seed-set numbers"),
                   what="a number of seed sets (at least 2) or a list of seed-set numbers")


@validate_params(d=Int(), n=Int(), seed_sets=_SEED_SETS,
                 design=Instance(CellDesign, "a CellDesign", example=CellDesign))
def run_cell(d: int, n: int, seed_sets, design: CellDesign = CellDesign()) -> CellResult:
    """Tune and score every method, the oracle and the filter, on the seed sets of ``(d, n)``.

    ``seed_sets``: a number (the first ones, 0, 1, ...) or a list of seed-set numbers.
    A seed set's results do not depend on which others are run with it: its items,
    folds, initial weights and visiting orders are drawn from its own number, and the
    grids are anchored on seed set 0 whether or not it is in the list. So a subset of a
    study can be recomputed on its own and compared.

    One stack per set of matrices a rule acts on (both layers; the first layer), each
    holding every configuration x seed set x fold
    (:func:`l1reg.studies.protocol.cross_validate`), and one for the oracle, whose inputs
    are the true ones; then refit stacks. Every method of seed set ``s`` and fold ``f``
    starts from the same weights and visits its items in the same order.
    """
    ids = list(range(seed_sets)) if isinstance(seed_sets, int) else list(seed_sets)
    if len(set(ids)) != len(ids):
        raise ValueError(f"seed_sets must not repeat a seed set, got {ids}")
    sets = [seed_set_data(s, d, n, design) for s in ids]
    training = design.training(n)
    x, t = np.stack([one.x for one in sets]), np.stack([one.t for one in sets])
    folds = np.stack([protocol.make_folds(one.t.argmax(axis=1), design.k, _rng(s, d, n, 4))
                      for s, one in zip(ids, sets, strict=True)])
    result = CellResult(d, n, design, seed_sets=np.array(ids))
    _baseline_scores(result, sets)
    anchor = sets[ids.index(0)] if 0 in ids else seed_set_data(0, d, n, design)
    methods = _penalties(anchor, design, training) | {"filter": _filter(x, t, folds, d)}
    for on in (WEIGHT_NAMES, FIRST):
        _tune_stack(result, {m: v for m, v in methods.items() if v.on == on}, x, t, folds, training, sets)
    true_x = np.stack([one.x @ one.rotation.T for one in sets])  # the oracle reads the true inputs
    oracle = np.zeros((1, len(sets), 1, d), dtype=bool)
    for s, one in enumerate(sets):
        oracle[0, s, 0, one.relevant] = True
    _tune_stack(result, {"oracle": _Method([Plain()], WEIGHT_NAMES, np.zeros(0), masks=oracle)}, true_x, t,
                folds, training, sets, true_inputs=True)
    return result


def _baseline_scores(result: CellResult, sets: list[SeedSetData]) -> None:
    """The majority class's test accuracy and the class shares' test loss, per seed set."""
    result.majority = np.array([protocol.majority_accuracy(one.t, one.t_test) for one in sets])
    shares = np.stack([protocol.class_shares(one.t) for one in sets])[:, None, :]
    expected = np.stack([_expected_labels(one.t_test, result.design) for one in sets])
    result.majority_loss = cross_entropy(np, np.broadcast_to(shares, expected.shape), expected)


def _expected_labels(t_test, design: CellDesign) -> np.ndarray:
    """The expected one-hot of a noisy label, given the clean one: the targets the test loss scores."""
    return (1.0 - design.flip) * t_test + design.flip / (design.n_classes - 1) * (1.0 - t_test)


def _tune_stack(result: CellResult, methods: dict[str, _Method], x, t, folds, training, sets,
                true_inputs: bool = False) -> None:
    """Cross-validate ``methods`` (all acting on the same matrices) as one stack; choose; refit; score."""
    on = next(iter(methods.values())).on
    n_sets, k, d = len(sets), result.design.k, x.shape[2]
    rules = [rule for m in methods.values() for rule in m.rules]
    masks = np.concatenate([np.broadcast_to(m.masks, (len(m.rules), n_sets, k, d)) for m in methods.values()])
    cv = protocol.cross_validate(x, t, Method("stack", rules, on), folds, training, masks=masks,
                                 seed_sets=result.seed_sets.tolist())
    start, picks = 0, {"": [], "one_se": []}
    for name, m in methods.items():
        part = slice(start, start + len(m.rules))
        result.grid[name] = m.grid
        if m.mixing is not None:
            result.mixing[name] = m.mixing
        result.curve[name] = cv.mean_loss()[:, part]
        result.cv_collapsed[name] = cv.collapsed[:, part].mean(axis=2)
        for which, one_se in (("", False), ("one_se", True)):
            chosen = protocol.select(cv.item_loss[:, part], one_se)
            (result.chosen_one_se if one_se else result.chosen)[name] = chosen
            picks[which] += [_Pick(name, s, start + c, protocol.refit_epochs(cv.best_epoch[s, start + c],
                                                                             training),
                                   _refit_mask(name, m, s, c, x, t), int(result.seed_sets[s]))
                               for s, c in enumerate(chosen)]
        start += len(m.rules)
    for which, chosen_picks in picks.items():
        _refit_and_score(result, chosen_picks, rules, on, x, training, sets, which, true_inputs)


class _Pick(NamedTuple):
    """One refit: a method's choice on one seed set, its length and the inputs it sees."""

    name: str
    s: int
    config: int
    epochs: int
    keep: np.ndarray
    seed_set: int


def _refit_mask(name: str, method: _Method, s: int, config: int, x, t) -> np.ndarray:
    """The inputs a refit on all the items sees: the filter ranks them again on all the items."""
    if name == "filter":
        return protocol.select_k_best(x[s], t[s], int(method.grid[config]))
    return np.broadcast_to(method.masks, (len(method.rules), len(x), 1, x.shape[2]))[config, s, 0]


def _refit_and_score(result: CellResult, picks: list[_Pick], rules, on, x, training, sets, which: str,
                     true_inputs: bool) -> None:
    """Train each pick on all its seed set's items for its epochs; score it on the test items."""
    k = result.design.k  # the refit's streams follow the folds' 0 .. k-1
    keep = np.stack([p.keep for p in picks])[:, None]
    nets = [training.network(x.shape[2], sets[0].t.shape[1], protocol.streams(0, p.seed_set, k)[0])
            for p in picks]
    xs = np.stack([x[p.s] for p in picks]) * keep
    orders = [protocol.streams(0, p.seed_set, k)[1] for p in picks]
    protocol.train_for(nets, xs, np.stack([sets[p.s].t for p in picks]), [rules[p.config] for p in picks], on,
                       training, orders, [p.epochs for p in picks])
    test = [sets[p.s].x_test @ (sets[p.s].rotation.T if true_inputs else np.eye(x.shape[2])) for p in picks]
    _, o = forward({name: np.stack([net.params[name] for net in nets]) for name in nets[0].params},
                   np.stack(test) * keep)
    accuracy = hit_rate(o, np.stack([sets[p.s].t_test for p in picks]))
    if which:
        for i, p in enumerate(picks):
            result.accuracy_one_se.setdefault(p.name, np.zeros(len(sets)))[p.s] = accuracy[i]
        return
    expected = np.stack([_expected_labels(sets[p.s].t_test, result.design) for p in picks])
    losses = cross_entropy(np, o, expected)  # soft targets: the mean over items of -sum t log o
    collapsed = protocol.is_collapsed(nets, xs)
    for i, p in enumerate(picks):
        weights = nets[i].params["ih_weights"] * keep[i, 0][:, None]  # a masked input's weights are unused
        back = weights if true_inputs else sets[p.s].rotation @ weights  # on the true inputs
        scores = {"accuracy": accuracy[i], "loss": losses[i], "collapsed": collapsed[i], "epochs": p.epochs,
                  "at_budget": p.epochs >= training.max_epochs,
                  "auc": np.nan if collapsed[i] else input_auc(back, sets[p.s].relevant)}
        for key, value in scores.items():
            empty = np.zeros(len(sets), dtype=np.asarray(value).dtype)
            getattr(result, key).setdefault(p.name, empty)[p.s] = value


@validate_params(ih_weights=Array(ndim=2), relevant=Array("int", ndim=1))
def input_auc(ih_weights, relevant) -> float:
    """The area under the ROC curve of input-weight size (:func:`input_relevance`) for ``relevant`` inputs.

    The chance that a relevant input's outgoing weights are larger than an irrelevant
    one's (ties count half): 1 is a perfect ranking, 0.5 chance, with no threshold to choose.

    Examples
    --------
    >>> input_auc([[3.0], [0.0], [1.0], [1.0]], relevant=[0, 2])
    0.875
    """
    score = input_relevance(ih_weights)
    if relevant.min() < 0 or relevant.max() >= score.size or np.unique(relevant).size in (0, score.size):
        raise ValueError(f"relevant must list some, not all, of the {score.size} inputs, "
                         f"got {relevant.tolist()}")
    truth = np.zeros(score.size, dtype=bool)
    truth[relevant] = True
    pos, neg = score[truth][:, None], score[~truth][None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))
