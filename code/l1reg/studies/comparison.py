"""L1's update rules side by side on the demo's data, and the sweep over the L1 strength.

:func:`sweep` trains the demo network once per update rule setting (say, one
:class:`~l1reg.core.update_rules.Proximal` rule per ``lam``) on one seed set, all side by side
in one stack through the same training loop, and keeps every weight's value after each epoch
(:class:`WeightPath`); :func:`lam_sweep` summarizes a sweep over the L1 strength (accuracies,
weight sizes). The module also holds the seeds the chapters use for randomness of their own,
apart from the demo's seed sets: noise, and the choice of validation items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    Int,
    ListOf,
    Real,
    validate_fields,
    validate_params,
)
from l1reg.core.network import Network
from l1reg.core.training import Callback, fit
from l1reg.core.update_rules import RULE, SubGradient, UpdateRule
from l1reg.studies.demo import (
    EPOCHS,
    LR,
    N_HIDDEN,
    N_INPUT,
    N_OUTPUT,
    demo_data,
    demo_seeds,
)

# Seeds of randomness apart from the demo's five per run: noise such as dropout masks
# and jitter (NOISE_SEED), and the choice of validation items for seed set r
# (VALIDATION_SEED + r, e.g. with l1reg.studies.data.split_validation).
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


def _network(init_seed: int) -> Network:
    """The demo's 10-8-4 network with its initial weights, without a penalty (rules apply it)."""
    return Network(N_INPUT, N_HIDDEN, N_OUTPUT, seed=init_seed)


def _repeat(a: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(a, (n,) + a.shape)


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
