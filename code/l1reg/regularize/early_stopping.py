"""Early stopping: watch the error on held-out validation items, keep the best epoch.

The training items are split in two: the network trains on one part and, after every
epoch, is scored on the other (the validation items, never trained on). Training keeps
a copy of the parameters with the lowest validation error so far and, at the end,
puts them back. The test items stay untouched for the final, honest score: three
sets, not two (Prechelt 1998). With ``patience`` training also stops early, once the
validation error has not improved for that many epochs.

:class:`EarlyStopping` is a callback for :func:`l1reg.fit`, as in Keras::

    stopper = EarlyStopping(x_val, t_val, patience=10)
    history = l1reg.fit(net, x_train, t_train, epochs=500, lr=0.01, seed=4, callbacks=[stopper])
    stopper.best_epoch[0]  # the epoch whose parameters net now holds
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from l1reg.core._validation import (
    AnyOf,
    Anything,
    Flag,
    Instance,
    Int,
    ListOf,
    Optional,
    Real,
    validate_fields,
    validate_params,
)
from l1reg.core.training import Callback, History

_HISTORY = Instance(History, "an l1reg.History", example=History)


@validate_fields(history=_HISTORY,
                 val_error=ListOf(Real(allow_inf=True), what="a list of errors", allow_empty=True),
                 best_epoch=Int(0))
@dataclass
class EarlyStoppingRun:
    """One network's run: its history, its validation error per epoch, its best epoch."""

    history: History
    val_error: list[float] = field(default_factory=list)
    best_epoch: int = 0

    @property
    def best_val_error(self) -> float:
        """The lowest validation error, reached at ``best_epoch``."""
        return self.val_error[self.best_epoch - 1]

    @property
    def epochs_run(self) -> int:
        return len(self.val_error)


class EarlyStopping(Callback):
    """Score every epoch on validation items; at the end, restore each network's best epoch.

    Parameters
    ----------
    x_val, t_val : array-like
        Validation items (never trained on), scored after every epoch by the data error
        ``E``; stacked (replicas x items x ...) when training a list of networks. The
        parameters of the epoch with the lowest ``E`` are put back at the end (ties
        keep the earlier epoch).
    patience : int, optional
        Stop once the validation error has not improved for this many epochs (for a
        stack: for no network); by default train all epochs.
    restore_best : bool, default True
        Put each network's best epoch back at the end. With False the networks keep
        their last epoch and the callback only records the validation curve (as Keras's
        ``EarlyStopping(restore_best_weights=False)``).

    Attributes
    ----------
    val_error : list of list of float
        Per network (one list for one network), the validation error after each epoch.
    best_epoch : list of int
        Per network, the epoch (from 1) whose parameters it holds after training.
    """

    @validate_params(
        x_val=Anything("checked against the networks when training begins", example=lambda: np.ones((2, 3))),
        t_val=Anything("checked against the networks and x_val when training begins",
                       example=lambda: np.eye(2)),
        patience=Optional(Int()),
        restore_best=Flag(),
    )
    def __init__(self, x_val, t_val, *, patience: int | None = None, restore_best: bool = True) -> None:
        self.x_val, self.t_val = x_val, t_val
        self.patience, self.restore_best = patience, restore_best
        self.val_error: list[list[float]] = []
        self.best_epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._x, self._t = self.model.check_data(self.x_val, self.t_val, "x_val", "t_val")
        n_rep = len(self._x) if self.model.stacked else 1
        self._errors: list[np.ndarray] = []
        self._best_error = np.full(n_rep, np.inf)
        self._best_epoch = np.zeros(n_rep, dtype=int)
        self._best_params: np.ndarray | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> bool:
        error = np.atleast_1d(self.model.evaluate(self._x, self._t)["error"])
        self._errors.append(error)
        better = error < self._best_error  # strictly lower: ties keep the earlier epoch
        params = np.atleast_2d(self.model.get_weights())
        if self._best_params is None:
            self._best_params = params
        self._best_params[better] = params[better]
        self._best_error[better] = error[better]
        self._best_epoch[better] = epoch
        if self.patience is None:
            return False
        return bool(np.all(epoch - self._best_epoch >= self.patience))

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.restore_best:
            self.model.set_weights(self._best_params if self.model.stacked else self._best_params[0])
        self.val_error = np.array(self._errors).T.tolist()  # networks x epochs
        self.best_epoch = self._best_epoch.tolist()

    @validate_params(histories=AnyOf(_HISTORY, ListOf(_HISTORY, what="a list of Histories"),
                                     what="an l1reg.History, or a list of them (what fit returned)"))
    def runs(self, histories: History | list[History]) -> list[EarlyStoppingRun]:
        """Each network's history, validation errors and best epoch, together."""
        histories = histories if isinstance(histories, list) else [histories]
        return [EarlyStoppingRun(h, errors, best)
                for h, errors, best in zip(histories, self.val_error, self.best_epoch, strict=True)]
