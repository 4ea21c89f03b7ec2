"""THE OLD TRAINING FUNCTIONS, kept only until the chapters call :func:`l1reg.fit`.

Delete this module, ``tests/test_legacy.py``, the ``__getattr__`` hooks that point here
(in ``training.py``, ``update_rules.py``, ``early_stopping.py`` and ``shrinkage.py``)
and ``train`` in ``__init__.py`` once no notebook calls the names in ``OLD_NAMES``.
Each trainer is a thin wrapper over ``fit`` that gives the very numbers it gave before
``fit`` existed, with its old signature (up to 14 parameters, as they were); the
library, its tests and the benchmark do not use them.

=====================================================  ==============================================
old call                                               new call
=====================================================  ==============================================
``train(net, x, t, seed=s, x_test=xt, t_test=tt)``     ``fit(net, x, t, seed=s, test_data=(xt, tt))``
``train_replicas(nets, x, t, seeds=ss, ...)``          ``fit(nets, x, t, seed=ss, ...)``
``train_with_rule(net, x, t, rule=r, ...)``            ``fit(net, x, t, rule=r, ...)``
``train_replicas_with_rule(nets, ..., rule=rs)``       ``fit(nets, ..., rule=rs)``
``train_early_stopping(net, x, t, xv, tv, ...)``       ``fit(..., callbacks=[EarlyStopping(xv, tv)])``
``train_replicas_early_stopping(nets, ...)``           the same, with stacked data
=====================================================  ==============================================
"""

from __future__ import annotations

from l1reg.early_stopping import EarlyStopping, EarlyStoppingRun
from l1reg.network import WEIGHT_NAMES
from l1reg.training import History, fit
from l1reg.update_rules import Plain

# Where each old name used to live (and is still found, through that module's __getattr__).
OLD_NAMES = {
    "l1reg.training": ("train", "train_replicas"),
    "l1reg.update_rules": ("train_with_rule", "train_replicas_with_rule"),
    "l1reg.early_stopping": ("train_early_stopping", "train_replicas_early_stopping"),
    "l1reg.shrinkage": ("lam_sweep", "LamSweep"),  # now in l1reg.comparison
}


def old_name(module: str, name: str):
    """The object an old ``module.name`` stands for, or the AttributeError Python expects."""
    if name in OLD_NAMES.get(module, ()):
        if module == "l1reg.shrinkage":
            from l1reg import comparison  # imported here: comparison imports most of l1reg

            return getattr(comparison, name)
        return globals()[name]
    raise AttributeError(f"module {module!r} has no attribute {name!r}")


def _test_data(x_test, t_test):
    if (x_test is None) != (t_test is None):
        raise ValueError("x_test and t_test must be given together")
    return None if x_test is None else (x_test, t_test)


def train(net, x_train, t_train, *, epochs, lr, seed, batch_size=1, x_test=None, t_test=None) -> History:
    """Old name of ``fit(net, ...)`` for one network (``test_data=(x_test, t_test)``)."""
    return fit(net, x_train, t_train, epochs=epochs, lr=lr, seed=seed, batch_size=batch_size,
               test_data=_test_data(x_test, t_test))


def train_replicas(nets, x_train, t_train, *, epochs, lr, seeds, batch_size=1, x_test=None,
                   t_test=None) -> list[History]:
    """Old name of ``fit(nets, ..., seed=seeds)`` for a list of networks."""
    return fit(list(nets), x_train, t_train, epochs=epochs, lr=lr, seed=seeds, batch_size=batch_size,
               test_data=_test_data(x_test, t_test))


def train_with_rule(net, x_train, t_train, *, rule, epochs, lr, seed, batch_size=1, x_test=None,
                    t_test=None, on=WEIGHT_NAMES, noise=None, callback=None) -> History:
    """Old name of ``fit(net, ..., rule=rule)``; ``callback(epoch, flat)`` is wrapped as a Callback."""
    return fit(net, x_train, t_train, epochs=epochs, lr=lr, seed=seed, batch_size=batch_size, rule=rule,
               on=on, noise=noise, callbacks=_callbacks(callback), test_data=_test_data(x_test, t_test))


def train_replicas_with_rule(nets, x_train, t_train, *, rule, epochs, lr, seeds, batch_size=1, x_test=None,
                             t_test=None, on=WEIGHT_NAMES, noise=None, callback=None) -> list[History]:
    """Old name of ``fit(nets, ..., seed=seeds, rule=rule)``."""
    return fit(list(nets), x_train, t_train, epochs=epochs, lr=lr, seed=seeds, batch_size=batch_size,
               rule=rule, on=on, noise=noise, callbacks=_callbacks(callback),
               test_data=_test_data(x_test, t_test))


def train_early_stopping(net, x_train, t_train, x_val, t_val, *, epochs, lr, seed, patience=None, rule=None,
                         batch_size=1, x_test=None, t_test=None, noise=None) -> EarlyStoppingRun:
    """Old name of ``fit(net, ..., callbacks=[EarlyStopping(x_val, t_val, patience=...)])``."""
    stopper = EarlyStopping(x_val, t_val, patience=patience)
    history = fit(net, x_train, t_train, epochs=epochs, lr=lr, seed=seed, batch_size=batch_size,
                  rule=Plain() if rule is None else rule, noise=noise, callbacks=[stopper],
                  test_data=_test_data(x_test, t_test))
    return stopper.runs(history)[0]


def train_replicas_early_stopping(nets, x_train, t_train, x_val, t_val, *, epochs, lr, seeds, patience=None,
                                  rule=None, batch_size=1, x_test=None, t_test=None,
                                  noise=None) -> list[EarlyStoppingRun]:
    """Old name of ``fit(nets, ..., callbacks=[EarlyStopping(x_val, t_val, ...)])`` on stacked data."""
    stopper = EarlyStopping(x_val, t_val, patience=patience)
    histories = fit(list(nets), x_train, t_train, epochs=epochs, lr=lr, seed=seeds, batch_size=batch_size,
                    rule=Plain() if rule is None else rule, noise=noise, callbacks=[stopper],
                    test_data=_test_data(x_test, t_test))
    return stopper.runs(histories)


class _FunctionCallback:
    """The old ``callback(epoch, flat)`` as a callback object."""

    def __init__(self, function) -> None:
        if not callable(function):
            raise TypeError(f"callback must be callable or None, got {type(function).__name__}")
        self.function = function

    def on_train_begin(self, run) -> None:
        pass

    def on_epoch_end(self, epoch, run):
        return self.function(epoch, run.flat)

    def on_train_end(self, run) -> None:
        pass


def _callbacks(callback) -> list:
    return [] if callback is None else [_FunctionCallback(callback)]
