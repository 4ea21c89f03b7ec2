"""The demo network's weights along a path of penalty strengths, as in a lasso path.

:func:`demo_lam_path` trains the demo network (:mod:`l1reg.studies.demo`) once per ``lam``, all
the networks side by side in one stack, every one from the same data, initial weights
and visiting order, so ``lam`` is the only difference; only the trained weights are kept
(no per-epoch history). With the proximal rule the small weights end *exactly* at zero,
so the path shows which connections L1 removes as ``lam`` grows, and when a whole unit
goes with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import Array, Int, ListOf, Options, Real, validate_fields, validate_params
from l1reg.core.network import Network
from l1reg.core.training import ENGINES, fit
from l1reg.core.update_rules import L2Gradient, Plain, Proximal, SubGradient, UpdateRule
from l1reg.studies.demo import EPOCHS, LR, N_HIDDEN, N_INPUT, N_OUTPUT, demo_data, demo_seeds

#: The rules a path can use, by name: L1 as a proximal step (exact zeros), L1 in the
#: gradient (the demo's own arithmetic), and L2 in the gradient.
RULES = {"proximal": Proximal, "subgradient": SubGradient, "l2": L2Gradient}


@validate_fields(lams=Array(ndim=1), rule=Options(*RULES), ih_weights=Array(ndim=3), ho_weights=Array(ndim=3),
                 train_accuracy=Array(ndim=1), test_accuracy=Array(ndim=1))
@dataclass(frozen=True)
class LamPath:
    """The trained demo networks of a path, one row per ``lam``.

    ``ih_weights[i]`` (inputs x hidden) and ``ho_weights[i]`` (hidden x outputs) are the
    weights trained with ``lams[i]``; accuracies are fractions on the demo's 200
    training and 40 test items.
    """

    lams: np.ndarray
    rule: str
    ih_weights: np.ndarray
    ho_weights: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray

    @property
    def weights(self) -> np.ndarray:
        """All weights, ``lams`` x 112, in the order of ``Network.weights()``."""
        n = len(self.lams)
        return np.concatenate([self.ih_weights.reshape(n, -1), self.ho_weights.reshape(n, -1)], axis=1)

    @property
    def zeros(self) -> np.ndarray:
        """How many weights are exactly 0, per ``lam``."""
        return np.sum(self.weights == 0.0, axis=1)

    @property
    def sum_abs_w(self) -> np.ndarray:
        """``sum |w|`` per ``lam``."""
        return np.abs(self.weights).sum(axis=1)

    @property
    def dead_hidden(self) -> np.ndarray:
        """Hidden units with all incoming or all outgoing weights exactly 0, per ``lam``.

        Such a unit is gone: its value is the same for every item (its bias only), or
        nothing reads it.
        """
        no_in = np.all(self.ih_weights == 0.0, axis=1)  # lams x hidden
        no_out = np.all(self.ho_weights == 0.0, axis=2)
        return np.sum(no_in | no_out, axis=1)

    @property
    def dead_inputs(self) -> np.ndarray:
        """Inputs whose weights to every hidden unit are exactly 0, per ``lam``."""
        return np.sum(np.all(self.ih_weights == 0.0, axis=2), axis=1)


@validate_params(lams=ListOf(Real(0.0), what="a list of penalty strengths"), rule=Options(*RULES), run=Int(0),
                 epochs=Int(), engine=Options(*sorted(ENGINES)))
def demo_lam_path(lams: Sequence[float], *, rule: str = "proximal", run: int = 0,
                  epochs: int = EPOCHS, engine: str = "compiled") -> LamPath:
    """Train the demo network once per ``lam`` with ``rule``, side by side; see :class:`LamPath`.

    Parameters
    ----------
    lams : sequence of float
        Penalty strengths, each >= 0; ``lam = 0`` trains with plain SGD.
    rule : {"proximal", "subgradient", "l2"}
        ``Proximal(lam)`` (L1, exact zeros), ``SubGradient(lam)`` (L1 in the gradient,
        as ``demo.run_demo``) or ``L2Gradient(lam)`` (``lam * sum w^2``).
    run : int
        The demo's seed set (data, initial weights, visiting order).
    epochs : int
        Passes over the 200 training items, per-item SGD with the demo's ``lr``.
    engine : {"compiled", "numpy"}
        Passed to :func:`l1reg.fit`; both give the same weights up to round-off.

    Examples
    --------
    >>> path = demo_lam_path([0.0, 0.5], epochs=2, engine="numpy")
    >>> path.ih_weights.shape, path.ho_weights.shape
    ((2, 10, 8), (2, 8, 4))
    >>> path.zeros.tolist()  # lam = 0.5 removes every weight in two epochs
    [0, 112]
    """
    data, seeds = demo_data(run), demo_seeds(run)
    rules: list[UpdateRule] = [RULES[rule](lam) if lam > 0 else Plain() for lam in lams]
    nets = [Network(N_INPUT, N_HIDDEN, N_OUTPUT, seed=seeds["init_seed"]) for _ in lams]
    n = len(nets)
    fit(nets, np.broadcast_to(data.x_train, (n, *data.x_train.shape)),
        np.broadcast_to(data.t_train, (n, *data.t_train.shape)), rule=rules, epochs=epochs, lr=LR,
        seed=[seeds["order_seed"]] * n, engine=engine, record_history=False)
    return LamPath(
        lams=np.array(lams),
        rule=rule,
        ih_weights=np.stack([net.params["ih_weights"].copy() for net in nets]),
        ho_weights=np.stack([net.params["ho_weights"].copy() for net in nets]),
        train_accuracy=np.array([net.accuracy(data.x_train, data.t_train) for net in nets]),
        test_accuracy=np.array([net.accuracy(data.x_test, data.t_test) for net in nets]),
    )
