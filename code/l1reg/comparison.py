"""L1's update rules and its rivals, measured side by side on the demo's data.

:func:`sweep` trains the demo network once per update rule setting (say, one
:class:`~l1reg.update_rules.Proximal` rule per ``lam``) on one seed set, all side by side,
and keeps every weight's value after each epoch; :func:`lam_sweep` summarizes a sweep
over the L1 strength (accuracies, weight sizes). :func:`compare` trains every method of
a table (L1, L2, elastic net, dropout, early stopping, max-norm, jitter, ...) on the same
seed sets, each method with all seed sets side by side, through the same training loop,
so that their accuracies, weights and times can be compared. :func:`train_digits` is
the alternatives chapter's run on real data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from l1reg._validation import check_positive_int, check_real
from l1reg.data import DemoData, split_validation
from l1reg.demo import EPOCHS, LR, N_HIDDEN, N_INPUT, N_OUTPUT, demo_data, demo_seeds
from l1reg.dropout import Dropout
from l1reg.early_stopping import EarlyStopping
from l1reg.jitter import Jitter
from l1reg.network import Network
from l1reg.penalties import Penalty, check_penalty
from l1reg.training import Callback, History, TrainingRun, fit
from l1reg.update_rules import Plain, Proximal, SubGradient, UpdateRule

# Seeds of the comparison's own randomness, apart from the demo's five per run:
# the dropout masks and the jitter noise (one stream per method), and the choice of
# validation items for run r (VALIDATION_SEED + r).
NOISE_SEED = 1000
VALIDATION_SEED = 2000


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

    def part(self, start: int, stop: int) -> Sweep:
        """The results of rules ``start`` to ``stop - 1`` only."""
        rows = slice(start, stop)
        return Sweep(self.train_accuracy[rows], self.test_accuracy[rows], self.zeros[rows],
                     self.path[:, rows])


def sweep(rules: list[UpdateRule], *, epochs: int, run: int = 0, batch_size: int = 1) -> Sweep:
    """Train the demo network on seed set ``run`` once per rule, side by side.

    Every replica starts from the same weights and visits the items in the same
    order (the demo's seeds), so the rules are the only difference, e.g.
    ``[Proximal(lam) for lam in lams]``; rules of different kinds may share a sweep.
    ``batch_size`` is 1 (per-item SGD, the demo's) unless given.
    """
    if not isinstance(rules, (list, tuple)) or not rules:
        raise ValueError("rules must be a non-empty list of update rules")
    epochs = check_positive_int(epochs, "epochs")
    data, seeds = demo_data(run), demo_seeds(run)
    nets = [_network(None, seeds["init_seed"]) for _ in rules]
    path = WeightPath()
    reps = len(rules)
    histories = fit(
        nets, _repeat(data.x_train, reps), _repeat(data.t_train, reps), rule=list(rules),
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

    def on_epoch_end(self, epoch: int, run: TrainingRun) -> None:
        self.weights.append(run.flat[..., : run.net.n_weights].copy())  # the weights come first


@dataclass(frozen=True)
class Method:
    """One way to regularize the demo network (all off by default: plain SGD).

    Parameters
    ----------
    penalty : Penalty or None
        The network's weight penalty, in the gradient, e.g. ``L1(lam)``.
    rule : UpdateRule
        The update rule, e.g. ``Proximal(lam)`` or ``MaxNorm(c)``.
    dropout : float
        Dropout rate of the hidden units (0: none).
    jitter : float
        Standard deviation of the input noise (0: none).
    validation : int
        If > 0, early stopping: this many of the training items are held out for
        validation, and each network ends at its best validation epoch.
    """

    penalty: Penalty | None = None
    rule: UpdateRule = field(default_factory=Plain)
    dropout: float = 0.0
    jitter: float = 0.0
    validation: int = 0

    def __post_init__(self) -> None:
        check_penalty(self.penalty, "penalty")
        if not isinstance(self.rule, UpdateRule):
            raise TypeError(f"rule must be an update rule, got {type(self.rule).__name__}")
        check_real(self.dropout, "dropout", minimum=0.0)
        check_real(self.jitter, "jitter", minimum=0.0)
        if self.dropout and self.jitter:
            raise ValueError("dropout and jitter cannot be combined here: give one of them")
        if isinstance(self.validation, bool) or not isinstance(self.validation, int) or self.validation < 0:
            raise ValueError(f"validation must be an int >= 0, got {self.validation!r}")


@dataclass
class Result:
    """One method's results, one entry per seed set, and its training time."""

    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    zeros: np.ndarray
    largest: np.ndarray
    best_epoch: np.ndarray | None
    seconds: float


def compare(methods: dict[str, Method], *, n_runs: int, epochs: int) -> dict[str, Result]:
    """Train every method on seed sets ``0 .. n_runs - 1`` of the demo and score it.

    Within a seed set all methods share the data, the initial weights and the
    visiting order. The training accuracy is measured on the items a method trained
    on (for early stopping, the items not held out for validation); ``zeros`` counts
    weights that are exactly 0 and ``largest`` is the largest ``|w|``.
    """
    if not isinstance(methods, dict) or not methods:
        raise ValueError("methods must be a non-empty dict of name -> Method")
    for name, method in methods.items():
        if not isinstance(method, Method):
            raise TypeError(f"methods[{name!r}] must be an l1reg.comparison.Method, "
                            f"got {type(method).__name__}")
    n_runs = check_positive_int(n_runs, "n_runs")
    epochs = check_positive_int(epochs, "epochs")
    datas = [demo_data(r) for r in range(n_runs)]
    return {name: _run_method(method, datas, epochs) for name, method in methods.items()}


def _run_method(method: Method, datas: list[DemoData], epochs: int) -> Result:
    runs = range(len(datas))
    nets = [_network(method.penalty, demo_seeds(r)["init_seed"]) for r in runs]
    seeds = [demo_seeds(r)["order_seed"] for r in runs]
    x_test, t_test = _stack(d.x_test for d in datas), _stack(d.t_test for d in datas)
    noise = None
    if method.dropout:
        noise = Dropout(method.dropout, seed=NOISE_SEED)
    elif method.jitter:
        noise = Jitter(method.jitter, seed=NOISE_SEED)
    stopper = None
    start = time.perf_counter()
    if method.validation:
        parts = [split_validation(d.x_train, d.t_train, method.validation, VALIDATION_SEED + r)
                 for r, d in zip(runs, datas, strict=True)]
        x, t, x_val, t_val = (_stack(p[i] for p in parts) for i in range(4))
        stopper = EarlyStopping(x_val, t_val)
    else:
        x, t = _stack(d.x_train for d in datas), _stack(d.t_train for d in datas)
    fit(nets, x, t, rule=method.rule, epochs=epochs, lr=LR, seed=seeds, noise=noise,
        callbacks=[] if stopper is None else [stopper])
    seconds = time.perf_counter() - start
    weights = np.stack([net.weights() for net in nets])
    return Result(
        train_accuracy=np.array([net.accuracy(xi, ti) for net, xi, ti in zip(nets, x, t, strict=True)]),
        test_accuracy=np.array([net.accuracy(xi, ti) for net, xi, ti in zip(nets, x_test, t_test,
                                                                             strict=True)]),
        zeros=np.sum(weights == 0.0, axis=1),
        largest=np.abs(weights).max(axis=1),
        best_epoch=None if stopper is None else np.array(stopper.best_epoch),
        seconds=seconds,
    )


def _network(penalty, init_seed: int) -> Network:
    """The demo's 10-8-4 network with its initial weights, and the given weight penalty."""
    return Network(N_INPUT, N_HIDDEN, N_OUTPUT, seed=init_seed, weight_penalty=penalty)


def _repeat(a: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(a, (n,) + a.shape)


def _stack(arrays) -> np.ndarray:
    return np.stack(list(arrays))


# --- the demo: a sweep over lam -----------------------------------------------------------


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


def lam_sweep(lams, run: int = 0, epochs: int = EPOCHS, tol: float = 1e-3) -> LamSweep:
    """Train the demo network once per ``lam`` on seed set ``run``; see :class:`LamSweep`.

    A :func:`sweep` of :class:`~l1reg.update_rules.SubGradient` rules, L1 in the
    gradient, which gives each network exactly what :func:`l1reg.demo.run_demo` gives
    (``tests/test_comparison.py`` checks it bit for bit): every run starts from the same
    data, weights and visiting order, so ``lam`` is the only thing that changes.
    """
    if isinstance(lams, np.ndarray) and lams.ndim == 1:
        lams = lams.tolist()
    if isinstance(lams, (str, bytes)) or not isinstance(lams, Sequence):
        raise TypeError(f"lams must be a list of penalty strengths, got {type(lams).__name__}")
    if len(lams) == 0:
        raise ValueError("lams must hold at least one penalty strength, got an empty list")
    lams = [check_real(lam, f"lams[{i}]", minimum=0.0) for i, lam in enumerate(lams)]
    tol = check_real(tol, "tol", minimum=0.0, strict=True)
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


# --- real data: the digits ------------------------------------------------------------------

# The alternatives chapter's digits run: a 64-16-10 cross-entropy network, the proximal
# rule on its first layer (which pixels it reads), mini-batches.
DIGITS_LR, DIGITS_EPOCHS, DIGITS_BATCH = 0.1, 40, 32
DIGITS_ORDER_OFFSET = 10  # the visiting order's seed is the weights' seed + 10


def train_digits(lam: float, seed: int, digits: DemoData) -> tuple[Network, History]:
    """Train a 64-16-10 network on the digits with ``Proximal(lam)`` on its input weights.

    Initial weights from ``seed``, visiting order from ``seed + 10``; cross-entropy,
    ``lr = 0.1``, 40 epochs in batches of 32, the rule acting on ``ih_weights`` only
    (``lam = 0``: plain SGD). ``digits`` is :func:`l1reg.data.load_digits_data`'s split;
    its test items are scored after every epoch. Returns the network and its history.
    """
    lam = check_real(lam, "lam", minimum=0.0)
    net = Network(64, 16, 10, seed=seed, loss="cross_entropy")
    rule = Proximal(lam) if lam > 0 else Plain()
    history = fit(net, digits.x_train, digits.t_train, rule=rule, on=("ih_weights",), epochs=DIGITS_EPOCHS,
                  lr=DIGITS_LR, seed=seed + DIGITS_ORDER_OFFSET, batch_size=DIGITS_BATCH,
                  test_data=(digits.x_test, digits.t_test))
    return net, history

