"""Early stopping: watch the error on held-out validation items, keep the best epoch.

The training items are split in two: the network trains on one part and, after every
epoch, is scored on the other (the validation items, never trained on). Training keeps
a copy of the parameters with the lowest validation error so far and, at the end,
puts them back. The test items stay untouched for the final, honest score: three
sets, not two (Prechelt 1998). With ``patience`` training also stops early, once the
validation error has not improved for that many epochs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from l1reg._validation import check_positive_int
from l1reg.dropout import Dropout
from l1reg.jitter import Jitter
from l1reg.network import Network, check_network, param_views
from l1reg.network import forward as _forward
from l1reg.training import History, _check_replicas, _check_stack
from l1reg.update_rules import Plain, UpdateRule, train_replicas_with_rule, train_with_rule


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


class _Monitor:
    """The callback: validation error each epoch, a copy of the best parameters."""

    def __init__(self, net: Network, x_val, t_val, n_rep: int, patience: int | None) -> None:
        self.net, self.x_val, self.t_val, self.patience = net, x_val, t_val, patience
        self.errors: list[np.ndarray] = []
        self.best_error = np.full(n_rep, np.inf)
        self.best_epoch = np.zeros(n_rep, dtype=int)
        self.best_params: np.ndarray | None = None

    def __call__(self, epoch: int, flat: np.ndarray) -> bool:
        o = _forward(param_views(flat, self.net.shapes), self.x_val)[1]
        error = np.atleast_1d(self.net._error(o, self.t_val))
        self.errors.append(error)
        better = error < self.best_error  # strictly lower: ties keep the earlier epoch
        if self.best_params is None:
            self.best_params = np.atleast_2d(flat).copy()
        self.best_params[better] = np.atleast_2d(flat)[better]
        self.best_error[better] = error[better]
        self.best_epoch[better] = epoch
        if self.patience is None:
            return False
        return bool(np.all(epoch - self.best_epoch >= self.patience))


def train_early_stopping(
    net: Network,
    x_train,
    t_train,
    x_val,
    t_val,
    *,
    epochs: int,
    lr: float,
    seed: int | np.random.Generator,
    patience: int | None = None,
    rule: UpdateRule | None = None,
    batch_size: int = 1,
    x_test=None,
    t_test=None,
    noise: Dropout | Jitter | None = None,
) -> EarlyStoppingRun:
    """Train ``net`` as :func:`l1reg.update_rules.train_with_rule` does, and restore its best epoch.

    Parameters
    ----------
    x_val, t_val : array-like
        Validation items (never trained on), scored after every epoch by the data
        error ``E``; the parameters of the epoch with the lowest ``E`` are put back.
    patience : int, optional
        Stop once the validation error has not improved for this many epochs; by
        default train all ``epochs``.
    rule : UpdateRule, optional
        The update rule, :class:`l1reg.update_rules.Plain` by default.
    noise : Dropout or Jitter, optional
        As for :func:`l1reg.update_rules.train_with_rule`.
    net, x_train, t_train, epochs, lr, seed, batch_size, x_test, t_test
        As for :func:`l1reg.train`.

    Returns
    -------
    EarlyStoppingRun
        The per-epoch history (of the epochs run, not cut back), the validation
        errors and the best epoch; ``net`` holds the best epoch's parameters.
    """
    check_network(net)
    x_val = net.check_inputs(x_val, "x_val")
    t_val = net.check_targets(t_val, len(x_val), "t_val")
    monitor = _Monitor(net, x_val, t_val, 1, _check_patience(patience))
    history = train_with_rule(
        net, x_train, t_train, rule=Plain() if rule is None else rule, epochs=epochs, lr=lr,
        seed=seed, batch_size=batch_size, x_test=x_test, t_test=t_test, noise=noise, callback=monitor,
    )
    net._flat[:] = monitor.best_params[0]
    return EarlyStoppingRun(history, [float(e[0]) for e in monitor.errors], int(monitor.best_epoch[0]))


def train_replicas_early_stopping(
    nets: list[Network],
    x_train,
    t_train,
    x_val,
    t_val,
    *,
    epochs: int,
    lr: float,
    seeds: list,
    patience: int | None = None,
    rule: UpdateRule | None = None,
    batch_size: int = 1,
    x_test=None,
    t_test=None,
    noise: Dropout | Jitter | None = None,
) -> list[EarlyStoppingRun]:
    """:func:`train_early_stopping` for same-shaped networks side by side (data stacked).

    Each replica keeps its own best epoch; with ``patience``, training stops when no
    replica has improved for that many epochs.
    """
    first = _check_replicas(nets)
    x_val, t_val = _check_stack(first, x_val, t_val, len(nets), "x_val", "t_val")
    monitor = _Monitor(first, x_val, t_val, len(nets), _check_patience(patience))
    histories = train_replicas_with_rule(
        nets, x_train, t_train, rule=Plain() if rule is None else rule, epochs=epochs, lr=lr,
        seeds=seeds, batch_size=batch_size, x_test=x_test, t_test=t_test, noise=noise, callback=monitor,
    )
    errors = np.array(monitor.errors)  # epochs x replicas
    runs = []
    for i, (net, history) in enumerate(zip(nets, histories, strict=True)):
        net._flat[:] = monitor.best_params[i]
        runs.append(EarlyStoppingRun(history, errors[:, i].tolist(), int(monitor.best_epoch[i])))
    return runs


def _check_patience(patience) -> int | None:
    return None if patience is None else check_positive_int(patience, "patience")
