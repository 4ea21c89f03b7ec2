"""When does L1 pay off? Sparse-truth data and a study of penalties chosen on validation data.

The truth is a generator network that sees only ``n_relevant`` of the ``n_input``
inputs (:func:`make_sparse_generator`); the other inputs are drawn like the relevant
ones but cannot change a label (:func:`sparse_classes`). Training and validation labels
may be noisy: :func:`flip_labels` moves a share ``flip`` of them to a random *other*
class. :func:`make_sparse_data` draws items and labels for one seed set.

:func:`run_setting` is one cell of the chapter's map: for one ``(n_input, n_train)`` it
trains, for every seed set, one network per method and strength, all side by side in
one :func:`l1reg.fit` call, evaluates each once on validation and test items, and keeps
per method the strength with the best validation accuracy (:func:`select_on_validation`;
the test items play no part in the choice). :func:`input_relevance` and
:func:`recovery` ask whether a trained network found the inputs that matter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    Instance,
    Int,
    ListOf,
    MappingOf,
    Matrix,
    Options,
    Probability,
    Real,
    Seed,
    Values,
    validate_fields,
    validate_params,
)
from l1reg.core.losses import LOSSES
from l1reg.core.network import NETWORK, Network, forward, hit_rate
from l1reg.core.training import fit
from l1reg.core.update_rules import RULE, UpdateRule
from l1reg.studies.data import make_generator, make_inputs, one_hot

#: Base of every seed of the study: seed set ``s`` of setting ``(d, n)`` draws its
#: streams from ``np.random.default_rng([STUDY_SEED, s, d, n, purpose])``.
STUDY_SEED = 707
_PURPOSES = {"train": 0, "validation": 1, "test": 2, "init": 3, "order": 4, "flip": 5}


@validate_fields(network=NETWORK, relevant=Array("int", ndim=1), n_input=Int())
@dataclass(frozen=True)
class SparseGenerator:
    """The truth: a ``network`` that reads only the inputs listed in ``relevant``."""

    network: Network
    relevant: np.ndarray
    n_input: int

    @property
    def n_classes(self) -> int:
        """The number of classes (the generator's outputs)."""
        return self.network.n_output


@validate_fields(x=Matrix(), t=Matrix(), flipped=Array("bool", ndim=1))
@dataclass(frozen=True)
class SparseData:
    """Inputs ``x``, one-hot recorded targets ``t``, and where noise ``flipped`` a label."""

    x: np.ndarray
    t: np.ndarray
    flipped: np.ndarray


@validate_params(seed=Seed(), n_input=Int(), n_relevant=Int(), n_hidden=Int(), n_output=Int(2))
def make_sparse_generator(
    seed: int | np.random.Generator, n_input: int, n_relevant: int = 5,
    n_hidden: int = 10, n_output: int = 4,
) -> SparseGenerator:
    """A random generator network that reads ``n_relevant`` of the ``n_input`` inputs.

    Which inputs are relevant is drawn from ``seed``, then the generator's weights
    (uniform in [-9.9, 9.9], as :func:`l1reg.studies.data.make_generator`).

    Examples
    --------
    >>> truth = make_sparse_generator(0, n_input=30, n_relevant=5)
    >>> truth.relevant.size, truth.network.n_input, truth.n_classes
    (5, 5, 4)
    """
    if n_relevant > n_input:
        raise ValueError(f"n_relevant must be at most n_input ({n_input}), got {n_relevant}")
    relevant = np.sort(seed.choice(n_input, size=n_relevant, replace=False))
    network = make_generator(seed, n_relevant, n_hidden, n_output)
    return SparseGenerator(network, relevant, n_input)


_GENERATOR = Instance(SparseGenerator, "a SparseGenerator", example=lambda: make_sparse_generator(0, 3, 2))


@validate_params(generator=_GENERATOR, x=Matrix())
def sparse_classes(generator: SparseGenerator, x) -> np.ndarray:
    """The true class of each item: the generator's arg-max on the relevant inputs only."""
    if x.shape[1] != generator.n_input:
        raise ValueError(f"x must have shape (items, {generator.n_input}), got {x.shape}")
    return generator.network.predict(x[:, generator.relevant])


@validate_params(classes=Array("int", ndim=1, min_size=0), n_classes=Int(2), flip=Probability(), seed=Seed())
def flip_labels(classes, n_classes: int, flip: float, seed: int | np.random.Generator):
    """Move each label, with probability ``flip``, to one of the other classes at random.

    Returns ``(noisy_classes, flipped)``; a flipped label never keeps its class.

    Examples
    --------
    >>> noisy, flipped = flip_labels(np.zeros(10_000, dtype=int), 4, 0.2, seed=0)
    >>> round(float(flipped.mean()), 2), bool(np.all(noisy[flipped] != 0))
    (0.2, True)
    """
    flipped = seed.random(classes.size) < flip
    shift = seed.integers(1, n_classes, size=classes.size)  # 1..C-1: never the same class
    return np.where(flipped, (classes + shift) % n_classes, classes), flipped


@validate_params(generator=_GENERATOR, n_items=Int(), seed=Seed(), flip=Probability(),
                 input_range=Real(0.0, strict=True))
def make_sparse_data(
    generator: SparseGenerator, n_items: int, seed: int | np.random.Generator,
    flip: float = 0.0, input_range: float = 10.0,
) -> SparseData:
    """``n_items`` items, inputs uniform in ``[-input_range, input_range]``, labels flipped at rate ``flip``.

    Examples
    --------
    >>> truth = make_sparse_generator(0, n_input=10)
    >>> items = make_sparse_data(truth, 50, seed=1, flip=0.1)
    >>> items.x.shape, items.t.shape, items.flipped.dtype
    ((50, 10), (50, 4), dtype('bool'))
    """
    x = make_inputs(n_items, generator.n_input, seed, input_range)
    classes, flipped = flip_labels(sparse_classes(generator, x), generator.n_classes, flip, seed)
    return SparseData(x, one_hot(classes, generator.n_classes), flipped)


# --- the study ---------------------------------------------------------------------------


@validate_fields(n_relevant=Int(), n_classes=Int(2), truth_hidden=Int(), n_hidden=Int(), flip=Probability(),
                 n_test=Int(), steps=Int(), lr=Real(0.0, strict=True), batch_size=Int(),
                 loss=Options(*LOSSES))
@dataclass(frozen=True)
class Design:
    """Everything one cell of the map shares, apart from ``n_input`` and ``n_train``.

    ``n_validation`` defaults to half of ``n_train``; ``steps`` is the number of SGD
    steps, the same for every training-set size (epochs = steps * batch / n_train).
    """

    n_relevant: int = 5
    n_classes: int = 4
    truth_hidden: int = 10
    n_hidden: int = 8
    flip: float = 0.1
    n_test: int = 2000
    steps: int = 1500
    lr: float = 0.01
    batch_size: int = 10
    loss: str = "squared"

    @validate_params(n_train=Int())
    def epochs(self, n_train: int) -> int:
        """Epochs that make about ``steps`` steps on ``n_train`` items."""
        per_epoch = -(-n_train // self.batch_size)
        return max(1, round(self.steps / per_epoch))


@validate_fields(n_input=Int(), n_train=Int(), relevant=Array("int", ndim=2),
                 validation=MappingOf(Array(ndim=2)), test=MappingOf(Array(ndim=2)),
                 chosen=MappingOf(Array("int", ndim=1)),
                 test_chosen=MappingOf(Array(ndim=1)), ih_weights=MappingOf(Array(ndim=3)), n_networks=Int())
@dataclass
class SettingResult:
    """One cell of the map: per method, a row per seed set.

    ``validation`` and ``test`` are accuracies (seed sets x strengths); ``chosen`` the
    index of the strength picked on validation, ``test_chosen`` its test accuracy and
    ``ih_weights`` its first-layer weights (seed sets x n_input x n_hidden).
    """

    n_input: int
    n_train: int
    relevant: np.ndarray
    validation: dict[str, np.ndarray]
    test: dict[str, np.ndarray]
    chosen: dict[str, np.ndarray]
    test_chosen: dict[str, np.ndarray]
    ih_weights: dict[str, np.ndarray]
    n_networks: int


def _rng(seed_set: int, n_input: int, n_train: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([STUDY_SEED, seed_set, n_input, n_train, _PURPOSES[purpose]])


@validate_params(n_input=Int(), n_train=Int(), seed_sets=ListOf(Int(0), what="a list of seed set numbers"),
                 grids=MappingOf(ListOf(RULE, what="a list of rules"), what="a dict of method name -> rules"),
                 design=Instance(Design, "an l1reg.studies.payoff.Design", example=Design))
def run_setting(n_input: int, n_train: int, seed_sets, grids: dict[str, list[UpdateRule]],
                design: Design = Design()) -> SettingResult:
    """Train every method at every strength on every seed set of one ``(n_input, n_train)``.

    ``grids`` maps a method's name to its rules, one per strength (``[Plain()]`` for no
    penalty). Seed set ``s`` has its own generator (drawn from ``s`` and ``n_input``),
    training, validation and test items, initial weights and visiting order, shared by
    all methods: the comparisons are paired. Training and validation labels carry the
    design's label noise; test labels are noise-free. All networks train in one stack.
    """
    n_val = max(1, n_train // 2)
    sets = [_seed_set_data(s, n_input, n_train, n_val, design) for s in seed_sets]
    rules = [rule for method in grids.values() for rule in method for _ in seed_sets]
    n_copies = len(rules) // len(seed_sets)
    # every copy of seed set s starts from the same weights and visits in the same order
    nets = [Network(n_input, design.n_hidden, design.n_classes, loss=design.loss,
                    seed=_rng(s, n_input, n_train, "init"))
            for _ in range(n_copies) for s in seed_sets]
    x = np.tile(np.stack([one["train"].x for one in sets]), (n_copies, 1, 1))
    t = np.tile(np.stack([one["train"].t for one in sets]), (n_copies, 1, 1))
    orders = [_rng(s, n_input, n_train, "order") for _ in range(n_copies) for s in seed_sets]
    fit(nets, x, t, epochs=design.epochs(n_train), lr=design.lr, seed=orders,
        batch_size=design.batch_size, rule=rules, record_history=False)  # only the trained networks count
    params = {name: np.stack([net.params[name] for net in nets]) for name in nets[0].params}
    accuracy = {part: _accuracies(params, sets, part, len(seed_sets)) for part in ("validation", "test")}
    return _summarize(n_input, n_train, sets, grids, accuracy, params, len(nets))


def _seed_set_data(s: int, n_input: int, n_train: int, n_val: int, design: Design) -> dict:
    truth = make_sparse_generator(np.random.default_rng([STUDY_SEED, s, n_input]), n_input,
                                  design.n_relevant, design.truth_hidden, design.n_classes)
    draw = lambda part, n, flip: make_sparse_data(  # noqa: E731
        truth, n, _rng(s, n_input, n_train, part), flip=flip)
    return {"truth": truth, "train": draw("train", n_train, design.flip),
            "validation": draw("validation", n_val, design.flip),
            "test": draw("test", design.n_test, 0.0)}


def _accuracies(params: dict, sets: list, part: str, n_sets: int) -> np.ndarray:
    """Accuracy of every network on its own seed set's ``part`` items (one forward per seed set)."""
    acc = np.empty(len(params["ih_weights"]))
    for i, one in enumerate(sets):
        rows = slice(i, None, n_sets)  # the networks of seed set i, one per method and strength
        _, o = forward({k: v[rows] for k, v in params.items()}, one[part].x)
        acc[rows] = hit_rate(o, np.broadcast_to(one[part].t, o.shape))
    return acc


@validate_params(validation=Array(ndim=2))
def select_on_validation(validation) -> np.ndarray:
    """Per seed set (row), the index of the strength (column) with the best validation accuracy.

    Ties go to the first of the tied columns, so list a grid from strong to weak to
    prefer the stronger penalty when validation cannot tell.

    Examples
    --------
    >>> select_on_validation([[0.5, 0.7, 0.7], [0.9, 0.1, 0.2]]).tolist()
    [1, 0]
    """
    return np.argmax(validation, axis=1)


def _summarize(n_input, n_train, sets, grids, accuracy, params, n_networks) -> SettingResult:
    n_sets, start = len(sets), 0
    out = {key: {} for key in ("validation", "test", "chosen", "test_chosen", "ih_weights")}
    rows = np.arange(n_sets)
    for name, rules in grids.items():
        block = slice(start * n_sets, (start + len(rules)) * n_sets)
        start += len(rules)
        val, test = (accuracy[part][block].reshape(len(rules), n_sets).T for part in ("validation", "test"))
        chosen = select_on_validation(val)
        w = params["ih_weights"][block].reshape((len(rules), n_sets) + params["ih_weights"].shape[1:])
        out["validation"][name], out["test"][name], out["chosen"][name] = val, test, chosen
        out["test_chosen"][name] = test[rows, chosen]
        out["ih_weights"][name] = w[chosen, rows]
    relevant = np.stack([one["truth"].relevant for one in sets])
    return SettingResult(n_input, n_train, relevant, **out, n_networks=n_networks)


# --- did the network find the inputs that matter? ----------------------------------------


@validate_params(ih_weights=Values())
def input_relevance(ih_weights) -> np.ndarray:
    """Per input, the size of its outgoing weights: ``sum_j |W_ih[i, j]|`` (last axis summed).

    Examples
    --------
    >>> input_relevance([[1.0, -2.0], [0.0, 0.0]]).tolist()
    [3.0, 0.0]
    """
    return np.abs(ih_weights).sum(axis=-1)


@validate_params(kept=Array("bool", ndim=1), relevant=Array("int", ndim=1))
def recovery(kept, relevant) -> tuple[float, float]:
    """Precision and recall of the inputs ``kept`` (booleans per input) against the ``relevant`` indices.

    Precision is the share of kept inputs that are relevant (1.0 if none is kept),
    recall the share of relevant inputs that are kept.

    Examples
    --------
    >>> recovery([True, True, False, False], [0, 2])
    (0.5, 0.5)
    """
    if relevant.min() < 0 or relevant.max() >= kept.size:
        raise ValueError(f"relevant must hold indices of kept, in [0, {kept.size - 1}], "
                         f"got {relevant.tolist()}")
    truth = np.zeros(kept.shape, dtype=bool)
    truth[relevant] = True
    hits = int(np.sum(kept & truth))
    return (hits / int(kept.sum()) if kept.any() else 1.0), hits / int(truth.sum())
