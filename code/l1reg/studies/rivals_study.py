"""Chapter 06's study: L1 against its rivals on the demo's problem, by the study protocol.

Each seed set is the demo's problem (:mod:`l1reg.studies.demo`): 200 labelled items
from a random 10-15-4 generator, inputs divided by their known standard deviation, and
5,000 test items from the same generator. Every method is tuned with equal effort on
the same 5 folds of the same 200 items (:mod:`l1reg.studies.protocol`):

* ``none``; L1 (the proximal rule) and L2 on both weight matrices; the elastic net on a
  2-D grid (L1 share x strength); dropout on the hidden units; a max-norm constraint on
  every unit; input jitter. Each grid has :data:`N_VALUES` values over
  :data:`DECADES` decades (dropout: rates from 0.8 down, evenly spaced), its strong end
  anchored where the method silences or drowns the network, its weak end where it
  barely acts; penalty grids are anchored on seed set 0
  (:func:`~l1reg.studies.protocol.silencing_strength`).
* Training length is chosen on validation for every method (the early stopping of the
  protocol); the choice is the configuration with the smallest validation loss, refit
  on all 200 items for as many steps as the folds' median best epoch
  (:func:`refit_length`), and scored on the test items.
* The same again with every network trained for the whole budget (:data:`WHOLE_BUDGET`),
  as a fixed-length study trains: what early stopping does, for every method. And the
  majority class.
* Magnitude pruning, Han et al.'s way round: the early-stopped L2, L1 and plain networks
  pruned to a share of their weights, scored before and after retraining the survivors.

The study takes minutes, too long for a notebook, so ``make rivals-study`` writes it to
a JSON file committed beside the chapter (:func:`run_rivals`, :func:`write_study`); the
chapter reads it (:func:`load_study`) and recomputes a few seed sets to check it
(:func:`compare_rivals`).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from l1reg.core._validation import (
    AnyOf,
    Array,
    Instance,
    Int,
    ListOf,
    MappingOf,
    Matrix,
    Optional,
    Text,
    validate_fields,
    validate_params,
)
from l1reg.core.model import cross_entropy
from l1reg.core.network import WEIGHT_NAMES, forward, hit_rate
from l1reg.core.training import fit
from l1reg.core.update_rules import ElasticNetProximal, L2Gradient, Plain, Proximal
from l1reg.regularize.constraints import MaxNorm
from l1reg.regularize.pruning import KeepPruned, prune_weights
from l1reg.studies import demo, protocol
from l1reg.studies.data import DEMO_INPUT_RANGE
from l1reg.studies.payoff_study import _dumps, _from_json, _to_json, _write_atomically
from l1reg.studies.protocol import Method, Training

#: Base of the study's random streams (initial weights, visiting orders, noise, folds).
RIVALS_SEED = 6060
N_SEED_SETS = 30
K = 5
#: Every one-parameter grid: this many values over this many decades.
N_VALUES = 10
DECADES = 4.0
#: The elastic net's L1 shares: its grid is these x a strength grid of N_VALUES.
MIXINGS = (0.01, 0.1, 0.5, 0.9)
#: Dropout rates, strongest first: 0.8 down to 0.08.
DROPOUT_RATES = tuple(float(r) for r in np.round(np.linspace(0.8, 0.08, N_VALUES), 2))
#: Jitter's strongest sigma, in the standardized inputs' units (noise 3 sd wide drowns them).
JITTER_TOP = 3.0
#: The demo's inputs are uniform in [-10, 10]; the learner sees them divided by their sd.
INPUT_SD = DEMO_INPUT_RANGE / np.sqrt(3.0)
TRAINING = Training(n_hidden=demo.N_HIDDEN, lr=0.1, batch_size=10, max_epochs=400, check_every=2,
                    patience=10)
#: The second regime, a fixed-length study's: every network trains the whole budget (one
#: check, at its end); the configuration is still chosen on validation loss. Its methods'
#: names end in :data:`BUDGET`.
WHOLE_BUDGET = dataclasses.replace(TRAINING, check_every=TRAINING.max_epochs, patience=0)
BUDGET = ", whole budget"
#: The networks magnitude pruning starts from (the early-stopped refits), and the shares it removes.
PRUNED = ("none", "L1", "L2")
PRUNE_SHARES = (0.5, 0.8)
FORMAT = 1

_PER_METHOD = MappingOf(Array(ndim=None, min_size=0), allow_empty=True, what="a dict of method name -> array")


_INDICES = MappingOf(Array("int", ndim=1, min_size=0), allow_empty=True, what="a dict of method name -> ints")
_FLAGS = MappingOf(Array("bool", ndim=1, min_size=0), allow_empty=True,
                   what="a dict of method name -> booleans")


@validate_fields(grid=_PER_METHOD, mixing=_PER_METHOD, curve=_PER_METHOD, chosen=_INDICES,
                 epochs=_INDICES, accuracy=_PER_METHOD, loss=_PER_METHOD, zeros=_INDICES,
                 largest=_PER_METHOD, collapsed=_FLAGS, pruned=_PER_METHOD,
                 majority=Array(ndim=1, min_size=0), seed_sets=Array("int", ndim=1, min_size=0))
@dataclass(eq=False)
class RivalsResult:
    """The study, per method: its grid and, per seed set, the choice and how it scored.

    ``grid[m]`` holds method ``m``'s values, strongest first (strengths, dropout rates,
    max-norm radii or jitter sigmas; empty for "none"), ``mixing["elastic net"]`` the
    L1 share of each. Per seed set (rows): ``curve[m]`` the mean validation loss of
    every configuration, ``chosen[m]`` the one with the smallest, ``epochs[m]`` the
    refit's length; after the refit on all 200 items, ``accuracy[m]`` and ``loss[m]``
    on the test items, ``zeros[m]`` the weights exactly 0, ``largest[m]`` the largest
    ``|w|`` and ``collapsed[m]`` whether it gives every item one class. ``pruned`` holds,
    per ``"L2 50 %, retrained"``-like key, the pruned networks' test accuracy.
    ``majority`` scores the majority class; ``seed_sets`` numbers the rows.
    """

    grid: dict = field(default_factory=dict)
    mixing: dict = field(default_factory=dict)
    curve: dict = field(default_factory=dict)
    chosen: dict = field(default_factory=dict)
    epochs: dict = field(default_factory=dict)
    accuracy: dict = field(default_factory=dict)
    loss: dict = field(default_factory=dict)
    zeros: dict = field(default_factory=dict)
    largest: dict = field(default_factory=dict)
    collapsed: dict = field(default_factory=dict)
    pruned: dict = field(default_factory=dict)
    majority: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seed_sets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @validate_params(method=Text())
    def chosen_value(self, method: str) -> np.ndarray:
        """The grid value chosen on each seed set (for the elastic net, its strength)."""
        return protocol.grid_of(self.grid, method)[self.chosen[method]]

    @validate_params(method=Text())
    def grid_ends(self, method: str) -> dict[str, int]:
        """How many seed sets chose each end of ``method``'s grid (per L1 share for the elastic net)."""
        size = protocol.grid_of(self.grid, method).size
        if method in self.mixing:
            return protocol.grid_ends(self.chosen[method] % N_VALUES, N_VALUES)
        return protocol.grid_ends(self.chosen[method], size)


_RESULT = Instance(RivalsResult, "an l1reg.studies.rivals_study.RivalsResult", example=RivalsResult)
_SEED_SETS = AnyOf(Int(2), ListOf(Int(0), what="a list of seed-set numbers"),
                   what="a number of seed sets (at least 2) or a list of seed-set numbers")


@validate_fields(x=Matrix(), t=Matrix(), x_test=Matrix(), t_test=Matrix())
@dataclass(frozen=True)
class SeedSet:
    """One seed set's 200 labelled items and 5,000 test items, inputs standardized."""

    x: np.ndarray
    t: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray


@validate_params(s=Int(0))
def seed_set(s: int) -> SeedSet:
    """The items of seed set ``s``: the demo's seed set ``s`` (its 40 small-test items unused).

    Examples
    --------
    >>> one = seed_set(0)
    >>> one.x.shape, one.x_test.shape, round(float(one.x.std()), 1)
    ((200, 10), (5000, 10), 1.0)
    """
    data = demo.demo_data(s)
    x_test, t_test = demo.demo_large_test(s)
    return SeedSet(data.x_train / INPUT_SD, data.t_train, x_test / INPUT_SD, t_test)


@validate_params(anchor=Instance(SeedSet, "a SeedSet", example=lambda: seed_set(0)))
def methods(anchor: SeedSet) -> dict[str, Method]:
    """Every method of the study with its grid, strongest first, anchored on the items of ``anchor``.

    The penalties' grids start at the strength that silences the first layer
    (:func:`~l1reg.studies.protocol.silencing_strength`); max-norm's radii run up from
    a ten-thousandth to the largest unit length the plain network reaches (where the
    cap no longer acts); jitter's sigmas down from :data:`JITTER_TOP`.
    """
    x, t = anchor.x, anchor.t
    top = lambda rule_for: protocol.silencing_strength(x, t, rule_for, WEIGHT_NAMES, TRAINING)  # noqa: E731
    grid = lambda value: protocol.log_grid(value, N_VALUES, DECADES)  # noqa: E731
    out = {"none": Method("none", [Plain()])}
    out["L1"] = Method("L1", [Proximal(float(lam)) for lam in grid(top(Proximal))])
    out["L2"] = Method("L2", [L2Gradient(float(lam)) for lam in grid(top(L2Gradient))])
    rules = []
    for a in MIXINGS:
        lams = grid(top(lambda lam, a=a: ElasticNetProximal(a * lam, (1.0 - a) * lam)))
        rules += [ElasticNetProximal(float(a * lam), float((1.0 - a) * lam)) for lam in lams]
    out["elastic net"] = Method("elastic net", rules)
    out["dropout"] = Method("dropout", [Plain()] * N_VALUES, dropout=DROPOUT_RATES)
    out["max-norm"] = Method("max-norm", [MaxNorm(float(r)) for r in grid(_largest_unit(x, t))[::-1]])
    out["jitter"] = Method("jitter", [Plain()] * N_VALUES, jitter=tuple(grid(JITTER_TOP).tolist()))
    return out


def _largest_unit(x, t) -> float:
    """The largest incoming-weight length of any unit of the plain network trained the whole budget."""
    init, order = protocol.streams(RIVALS_SEED, 0, 0)
    net = TRAINING.network(x.shape[1], t.shape[1], init)
    protocol.train_for([net], x[None], t[None], [Plain()], WEIGHT_NAMES, TRAINING, [order],
                       [TRAINING.max_epochs])
    return float(max(np.linalg.norm(net.params[name], axis=0).max() for name in WEIGHT_NAMES))


def _values(name: str, method: Method) -> tuple[np.ndarray, np.ndarray | None]:
    """A method's grid values (strongest first) and, for the elastic net, each value's L1 share."""
    if method.dropout:
        return np.array(method.dropout), None
    if method.jitter:
        return np.array(method.jitter), None
    configs = [rule.get_config() for rule in method.rules]
    if name == "elastic net":
        strength = np.array([c["l1"] + c["l2"] for c in configs])
        return strength, np.array([c["l1"] for c in configs]) / strength
    key = {"L1": "lam", "L2": "lam", "max-norm": "max_norm"}.get(name)
    return (np.array([c[key] for c in configs]) if key else np.zeros(0)), None


@validate_params(seed_sets=_SEED_SETS, names=Optional(ListOf(Text(), what="a list of method names")))
def run_rivals(seed_sets, names=None) -> RivalsResult:
    """Tune, refit and score every method (or ``names``) on ``seed_sets``; prune L1 and L2.

    ``seed_sets``: a number (the first ones, 0, 1, ...) or a list of seed-set numbers.
    A seed set's results do not depend on which others are run with it: its items,
    folds, initial weights, visiting orders and noise are drawn from its own number,
    and the grids are anchored on seed set 0. So a subset can be recomputed and compared.
    """
    ids = list(range(seed_sets)) if isinstance(seed_sets, int) else list(seed_sets)
    if len(set(ids)) != len(ids):
        raise ValueError(f"seed_sets must not repeat a seed set, got {ids}")
    every = methods(seed_set(0))
    chosen_names = list(every) if names is None else list(names)
    unknown = [name for name in chosen_names if name not in every]
    if unknown:
        raise ValueError(f"names must be methods of the study {list(every)}, got {unknown}")
    sets = [seed_set(s) for s in ids]
    x, t = np.stack([one.x for one in sets]), np.stack([one.t for one in sets])
    folds = np.stack([protocol.make_folds(one.t.argmax(axis=1), K, np.random.default_rng([RIVALS_SEED, s, 9]))
                      for s, one in zip(ids, sets, strict=True)])
    result = RivalsResult(seed_sets=np.array(ids))
    result.majority = np.array([protocol.majority_accuracy(one.t, one.t_test) for one in sets])
    nets = {}
    for suffix, training in (("", TRAINING), (BUDGET, WHOLE_BUDGET)):
        for name in chosen_names:
            method, key = every[name], name + suffix
            cv = protocol.cross_validate(x, t, method, folds, training, seed=RIVALS_SEED, seed_sets=ids)
            result.grid[key], mixing = _values(name, method)
            if mixing is not None:
                result.mixing[key] = mixing
            result.curve[key] = cv.mean_loss()
            chosen = protocol.select(cv.item_loss)
            result.chosen[key] = chosen
            epochs = [refit_length(cv.best_epoch[s, c], training) for s, c in enumerate(chosen)]
            nets[key] = _refit(result, key, method, chosen.tolist(), epochs, sets, training)
    for name in PRUNED:
        if name in nets:
            _prune(result, name, nets[name], sets)
    return result


@validate_params(best_epochs=Array("int"), training=Instance(Training, "an l1reg.studies.protocol.Training",
                                                              example=lambda: TRAINING))
def refit_length(best_epochs, training: Training) -> int:
    """How long a refit on all the items trains: the folds' median best epoch in steps, up to a whole check.

    A fold trains on ``(K-1)/K`` of the items, so an epoch on all of them takes
    ``K/(K-1)`` times its steps; the refit trains the folds' median number of *steps*
    (a penalty's pull, like the data's, acts per step), rounded up to a whole check.
    (:func:`l1reg.studies.protocol.refit_epochs` keeps the epochs instead.)

    Examples
    --------
    >>> refit_length([20, 30, 30, 40, 10], TRAINING)  # 30 epochs of 160 items: 24 of 200
    24
    """
    steps = float(np.median(best_epochs)) * (K - 1) / K
    return max(1, int(np.ceil(steps / training.check_every))) * training.check_every


def _refit(result: RivalsResult, name: str, method: Method, configs: list[int], epochs, sets,
           training: Training) -> list:
    """Train each seed set's choice on all its items for ``epochs``; score it on the test items."""
    ids = result.seed_sets.tolist()
    nets = [TRAINING.network(sets[0].x.shape[1], sets[0].t.shape[1], protocol.streams(RIVALS_SEED, s, K)[0])
            for s in ids]
    orders = [protocol.streams(RIVALS_SEED, s, K)[1] for s in ids]
    noise = method.noise(configs, [protocol.noise_source(RIVALS_SEED, s, K) for s in ids])
    x, t = np.stack([one.x for one in sets]), np.stack([one.t for one in sets])
    protocol.train_for(nets, x, t, [method.rules[c] for c in configs], method.on, training, orders,
                       epochs, noise)
    result.epochs[name] = np.asarray(epochs)
    _score(result, name, nets, sets)
    result.collapsed[name] = protocol.is_collapsed(nets, x)
    return nets


def _score(result: RivalsResult, name: str, nets: list, sets) -> None:
    """Test accuracy and loss, exact zeros and the largest weight of each network."""
    params = {key: np.stack([net.params[key] for net in nets]) for key in nets[0].params}
    _, o = forward(params, np.stack([one.x_test for one in sets]))
    t_test = np.stack([one.t_test for one in sets])
    result.accuracy[name] = hit_rate(o, t_test)
    result.loss[name] = cross_entropy(np, o, t_test)
    weights = np.stack([net.weights() for net in nets])
    result.zeros[name] = np.sum(weights == 0.0, axis=1)
    result.largest[name] = np.abs(weights).max(axis=1)


def _prune(result: RivalsResult, name: str, nets: list, sets) -> None:
    """Prune copies of the refit networks to each share; score them, then retrain the rest and score again.

    Retraining is plain SGD on all the items, the pruned weights held at 0
    (:class:`~l1reg.regularize.pruning.KeepPruned`), for the refit's own length.
    """
    x, t = np.stack([one.x for one in sets]), np.stack([one.t for one in sets])
    ids = result.seed_sets.tolist()
    n_weights = nets[0].n_weights
    for share in PRUNE_SHARES:
        copies = [copy.deepcopy(net) for net in nets]
        keep = prune_weights(copies, int(round(share * n_weights)))
        label = f"{name} {100 * share:.0f} %"
        scored = RivalsResult(seed_sets=result.seed_sets)
        _score(scored, label, copies, sets)
        result.pruned[label] = scored.accuracy[label]
        epochs = result.epochs[name]
        for length in np.unique(epochs):  # one stack per length: each network retrains for its refit's
            group = np.flatnonzero(epochs == length)
            fit([copies[i] for i in group], x[group], t[group], epochs=int(length), lr=TRAINING.lr,
                seed=[np.random.default_rng([RIVALS_SEED, ids[i], K, 3]) for i in group],
                batch_size=TRAINING.batch_size, rule=KeepPruned(keep[group]), engine=TRAINING.engine,
                record_history=False)
        _score(scored, label, copies, sets)
        result.pruned[f"{label}, retrained"] = scored.accuracy[label]


_FIELDS = ("grid", "mixing", "curve", "chosen", "epochs", "accuracy", "loss", "zeros", "largest", "collapsed",
           "pruned")
_PATH = Instance((str, Path), "a file path (str or pathlib.Path)", example=lambda: "rivals.json")


@validate_params(result=_RESULT)
def to_dict(result: RivalsResult) -> dict:
    """The study as JSON-ready lists (each array with its kind: float, int or bool)."""
    out = {"format": FORMAT, "seed": RIVALS_SEED, "majority": _to_json(result.majority),
           "seed_sets": _to_json(result.seed_sets)}
    for key in _FIELDS:
        out[key] = {m: {"kind": np.asarray(v).dtype.kind, "values": _to_json(v)}
                    for m, v in getattr(result, key).items()}
    return out


@validate_params(record=Instance(dict, "a study record (a dict, as to_dict makes it)",
                                 example=lambda: to_dict(RivalsResult())))
def from_dict(record: dict) -> RivalsResult:
    """The :class:`RivalsResult` a record of :func:`to_dict` holds; refused unless it is one."""
    if record.get("format") != FORMAT or record.get("seed") != RIVALS_SEED:
        raise ValueError(f"record must be a rivals study of format {FORMAT} and seed {RIVALS_SEED} "
                         f"(make rivals-study writes one), got format {record.get('format')!r}, "
                         f"seed {record.get('seed')!r}")
    fields = {key: {m: _from_json(v["values"], v["kind"]) for m, v in record[key].items()} for key in _FIELDS}
    return RivalsResult(majority=_from_json(record["majority"], "f"),
                        seed_sets=_from_json(record["seed_sets"], "i"), **fields)


@validate_params(path=_PATH, result=_RESULT)
def write_study(path, result: RivalsResult) -> None:
    """Write ``result`` to ``path`` whole or not at all (a temporary file beside it, then renamed)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path must be in a folder that exists, got {path}")
    record = to_dict(result)
    study = {key: record[key] for key in ("format", "seed")}
    study["cells"] = [{key: value for key, value in record.items() if key not in study}]
    _write_atomically(path, _dumps(study))


@validate_params(path=_PATH)
def load_study(path) -> RivalsResult:
    """The study in a file :func:`write_study` wrote."""
    try:
        study = json.loads(Path(path).read_text())
        record = {key: study[key] for key in ("format", "seed")} | study["cells"][0]
        if (record["format"], record["seed"]) != (FORMAT, RIVALS_SEED):
            raise ValueError(f"format {record['format']!r} and seed {record['seed']!r}, not {FORMAT} and "
                             f"{RIVALS_SEED}")
        return from_dict(record)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError, TypeError, ValueError) as err:
        raise ValueError(f"path must be a rivals study file (make rivals-study writes one): {err} "
                         f"in {path}") from None


@validate_params(seed=Int(0), n_seed_sets=Int(2), size=Int())
def recomputed_subset(seed: int, n_seed_sets: int = N_SEED_SETS, size: int = 2) -> list[int]:
    """The seed sets a reader's run recomputes: ``size`` of the ``n_seed_sets``, drawn from ``seed``.

    The chapter passes a number computed from the file's data, so that the subset moves
    when the data do.

    Examples
    --------
    >>> recomputed_subset(0) == recomputed_subset(0), len(recomputed_subset(5, size=3))
    (True, 3)
    """
    if size > n_seed_sets:
        raise ValueError(f"size must be at most n_seed_sets ({n_seed_sets}), got {size}")
    rng = np.random.default_rng([RIVALS_SEED, seed])
    return sorted(rng.choice(n_seed_sets, size, replace=False).tolist())


#: How far a method's mean test accuracy over the recomputed seed sets may move (points)
#: when the study is recomputed on another CPU: round-off can flip a near-tied choice on
#: validation, which moves that seed set's score by a few points and the mean by less.
CHECK_POINTS = 1.0
#: The smallest share of a method's choices that must stay the same in a whole recomputation.
CHECK_SAME_CHOICES = 0.9


@validate_params(stored=_RESULT, fresh=_RESULT)
def compare_rivals(stored: RivalsResult, fresh: RivalsResult) -> dict[str, tuple[float, float]]:
    """Per method of ``fresh``: the gap in mean test accuracy (points) and the share of the same choices.

    Over the seed sets ``fresh`` holds, which ``stored`` must hold too, with the same
    grids (the share is 1 for a method without a grid).
    """
    row_of = {int(s): row for row, s in enumerate(stored.seed_sets)}
    lacking = [int(s) for s in fresh.seed_sets if int(s) not in row_of]
    if lacking:
        raise ValueError(f"fresh has seed sets {lacking} that stored lacks")
    rows = np.array([row_of[int(s)] for s in fresh.seed_sets])
    out = {}
    for name, accuracy in fresh.accuracy.items():
        if name not in stored.accuracy:
            raise ValueError(f"fresh has a method {name!r} that stored lacks")
        if name in fresh.grid and not np.allclose(fresh.grid[name], stored.grid[name], rtol=1e-6, atol=0.0):
            raise ValueError(f"fresh's grid of {name!r} is not stored's "
                             "(a stale file? run make rivals-study)")
        gap = abs(100 * (accuracy.mean() - stored.accuracy[name][rows].mean()))
        same = (float(np.mean(fresh.chosen[name] == stored.chosen[name][rows])) if name in fresh.chosen
                else 1.0)
        out[name] = (float(gap), same)
    return out


@validate_params(argv=Optional(ListOf(Text(), allow_empty=True, what="a list of command-line arguments")))
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m l1reg.studies.rivals_study",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("path", help="the JSON file to write (chapters/06-rivals-study.json for the book)")
    parser.add_argument("--seed-sets", type=int, default=N_SEED_SETS, help=f"default {N_SEED_SETS}")
    parser.add_argument("--check", metavar="STORED",
                        help="then compare the new file with this stored one and fail if a method's mean "
                        f"accuracy moved more than {CHECK_POINTS} points, or fewer than "
                        f"{100 * CHECK_SAME_CHOICES:.0f} %% of a method's choices are the same")
    args = parser.parse_args(argv)
    stored = load_study(args.check) if args.check else None  # a broken stored file fails now
    start = time.perf_counter()
    Path(args.path).parent.mkdir(parents=True, exist_ok=True)
    write_study(args.path, run_rivals(args.seed_sets))
    print(f"wrote {args.path} in {time.perf_counter() - start:.0f} s")
    if stored is not None:
        report = compare_rivals(stored, load_study(args.path))
        for name, (gap, same) in report.items():
            print(f"{name:>20}: gap in mean accuracy {gap:.2f} points, same choices {same:.0%}")
        bad = [name for name, (gap, same) in report.items()
               if not (gap <= CHECK_POINTS and same >= CHECK_SAME_CHOICES)]
        if bad:
            raise SystemExit(f"{args.path} differs from {args.check} by more than {CHECK_POINTS} points "
                             f"or in more than {1 - CHECK_SAME_CHOICES:.0%} of the choices for {bad}: run "
                             "make rivals-study and commit its file")


if __name__ == "__main__":
    main()
