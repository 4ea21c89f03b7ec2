"""Early stopping as a callback: the best epoch restored, patience, stacks."""

import re

import numpy as np
import pytest

from l1reg import Network, fit
from l1reg.core.update_rules import Proximal
from l1reg.regularize.early_stopping import EarlyStopping


def _net(seed=5):
    return Network(4, 5, 3, seed=seed, init_range=0.5)


def _names(name):
    return "^" + re.escape(name) + " "


def test_early_stopping_restores_the_best_epoch(three_sets):
    x, t, x_val, t_val, x_test, t_test = three_sets
    net, stopper = _net(), EarlyStopping(x_val, t_val)
    history = fit(net, x, t, epochs=40, lr=0.5, seed=1, test_data=(x_test, t_test), callbacks=[stopper])
    (val_error,), (best,) = stopper.val_error, stopper.best_epoch
    assert len(val_error) == len(history.train_error) == 40
    assert best == int(np.argmin(val_error)) + 1
    assert 1 < best < 40  # the validation error turned up: the test means something
    assert net.error(x_val, t_val) == pytest.approx(min(val_error), abs=1e-15)
    assert net.accuracy(x_test, t_test) == history.test_accuracy[best - 1]
    # the restored network is the one a run of best epochs ends with
    again = _net()
    fit(again, x, t, epochs=best, lr=0.5, seed=1)
    np.testing.assert_array_equal(net.get_flat(), again.get_flat())


def test_without_restore_best_the_network_keeps_its_last_epoch(three_sets):
    x, t, x_val, t_val, *_ = three_sets
    net, stopper = _net(), EarlyStopping(x_val, t_val, restore_best=False)
    fit(net, x, t, epochs=40, lr=0.5, seed=1, callbacks=[stopper])
    last = _net()
    fit(last, x, t, epochs=40, lr=0.5, seed=1)
    np.testing.assert_array_equal(net.get_flat(), last.get_flat())
    (val_error,), (best,) = stopper.val_error, stopper.best_epoch
    assert best == int(np.argmin(val_error)) + 1 < 40  # still recorded, not restored
    assert net.error(x_val, t_val) == pytest.approx(val_error[-1], abs=1e-15)


def test_patience_stops_training(three_sets):
    x, t, x_val, t_val, *_ = three_sets
    stopper = EarlyStopping(x_val, t_val, patience=3)
    history = fit(_net(), x, t, epochs=40, lr=0.5, seed=1, callbacks=[stopper])
    assert len(history.train_error) == len(stopper.val_error[0]) == stopper.best_epoch[0] + 3
    (run,) = stopper.runs(history)
    assert run.epochs_run == stopper.best_epoch[0] + 3
    assert run.best_val_error == min(stopper.val_error[0])


def test_early_stopping_on_a_stack_equals_single_runs(three_sets):
    x, t, x_val, t_val, *_ = three_sets
    nets = [_net(seed=s) for s in (5, 6)]
    stopper = EarlyStopping(np.stack([x_val, x_val]), np.stack([t_val, t_val]))
    fit(nets, np.stack([x, x]), np.stack([t, t]), epochs=15, lr=0.5, seed=[1, 2], rule=Proximal(0.001),
        callbacks=[stopper])
    for i, (net, seed, order) in enumerate(zip(nets, (5, 6), (1, 2), strict=True)):
        single, alone = _net(seed=seed), EarlyStopping(x_val, t_val)
        fit(single, x, t, epochs=15, lr=0.5, seed=order, rule=Proximal(0.001), callbacks=[alone])
        assert stopper.best_epoch[i] == alone.best_epoch[0]
        np.testing.assert_allclose(net.get_flat(), single.get_flat(), rtol=0, atol=1e-12)


BAD = [
    pytest.param(lambda p: fit(_net(), p[0], p[1], epochs=1, lr=0.1, seed=0,
                               callbacks=[EarlyStopping(p[2][:, :3], p[3])]), ValueError, "x_val",
                 id="x-val-columns"),
    pytest.param(lambda p: fit(_net(), p[0], p[1], epochs=1, lr=0.1, seed=0,
                               callbacks=[EarlyStopping(p[2], p[3][:-1])]), ValueError, "t_val",
                 id="t-val-rows"),
    pytest.param(lambda p: EarlyStopping(p[2], p[3], patience=0), ValueError, "patience", id="patience-zero"),
    pytest.param(lambda p: EarlyStopping(p[2], p[3], restore_best="yes"), TypeError, "restore_best",
                 id="restore-best-not-a-bool"),
    pytest.param(lambda p: fit([_net()], p[0][None], p[1][None], epochs=1, lr=0.1, seed=[0],
                               callbacks=[EarlyStopping(p[2], p[3])]), ValueError, "x_val",
                 id="stack-with-2-D-validation-data"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_input_is_refused_with_its_name(three_sets, call, error, name):
    with pytest.raises(error, match=_names(name)):
        call(three_sets)


def test_the_records_accept_an_infinite_error_as_training_can_write_one():
    """A loss of one's own may give inf: fit records it, and the records take it back."""
    import dataclasses

    from l1reg import History
    from l1reg.regularize.early_stopping import EarlyStoppingRun

    history = History(train_error=[0.5, np.inf], train_accuracy=[0.5, 0.25])
    assert dataclasses.replace(history, test_error=[np.inf]).test_error == [np.inf]
    assert EarlyStoppingRun(history, val_error=[np.inf, 0.3], best_epoch=2).best_val_error == 0.3
    with pytest.raises(ValueError, match=r"^train_error\[0\] must be a number \(not NaN\)"):
        History(train_error=[np.nan])
