"""The old training names, kept for the chapters until they call fit (delete with l1reg/_legacy.py)."""

import numpy as np
import pytest

from l1reg import L1, L2, Network, fit
from l1reg.comparison import lam_sweep
from l1reg.dropout import Dropout
from l1reg.early_stopping import EarlyStopping
from l1reg.update_rules import Proximal


def _net(seed=3, penalty=None):
    return Network(4, 5, 3, seed=seed, init_range=0.5, weight_penalty=penalty)


@pytest.fixture
def data(random_problem):
    x, t = random_problem(20, 4, 3, seed=1)
    x_val, t_val = random_problem(8, 4, 3, seed=2)
    return 3 * x, t, 3 * x_val, t_val


def _same(nets_a, nets_b):
    return all(np.array_equal(a.get_flat(), b.get_flat()) for a, b in zip(nets_a, nets_b, strict=True))


def test_the_old_names_are_found_where_the_chapters_import_them():
    import l1reg
    from l1reg import _legacy, early_stopping, shrinkage, training, update_rules

    assert l1reg.train is training.train is _legacy.train
    assert training.train_replicas is _legacy.train_replicas
    assert update_rules.train_with_rule is _legacy.train_with_rule
    assert update_rules.train_replicas_with_rule is _legacy.train_replicas_with_rule
    assert early_stopping.train_early_stopping is _legacy.train_early_stopping
    assert early_stopping.train_replicas_early_stopping is _legacy.train_replicas_early_stopping
    assert shrinkage.lam_sweep is lam_sweep
    with pytest.raises(AttributeError, match="has no attribute 'train_with_rule'"):
        _ = training.train_with_rule


def test_each_old_trainer_is_fit(data):
    from l1reg._legacy import (
        train,
        train_early_stopping,
        train_replicas,
        train_replicas_early_stopping,
        train_replicas_with_rule,
        train_with_rule,
    )

    x, t, x_val, t_val = data
    old, new = _net(penalty=L1(0.01)), _net(penalty=L1(0.01))
    assert train(old, x, t, epochs=2, lr=0.1, seed=4, batch_size=3, x_test=x_val, t_test=t_val) == fit(
        new, x, t, epochs=2, lr=0.1, seed=4, batch_size=3, test_data=(x_val, t_val))
    assert _same([old], [new])

    old, new = [_net(s) for s in (1, 2)], [_net(s) for s in (1, 2)]
    xs, ts = np.stack([x, x]), np.stack([t, t])
    assert train_replicas(old, xs, ts, epochs=2, lr=0.1, seeds=[4, 5]) == fit(new, xs, ts, epochs=2, lr=0.1,
                                                                               seed=[4, 5])
    assert _same(old, new)

    seen = []
    old, new = _net(penalty=L2(0.01)), _net(penalty=L2(0.01))
    train_with_rule(old, x, t, rule=Proximal(0.01), on=("ih_weights",), epochs=3, lr=0.1, seed=4,
                    noise=Dropout(0.2, seed=1), callback=lambda epoch, flat: seen.append(epoch) or epoch == 2)
    fit(new, x, t, rule=Proximal(0.01), on=("ih_weights",), epochs=2, lr=0.1, seed=4,
        noise=Dropout(0.2, seed=1))
    assert seen == [1, 2] and _same([old], [new])

    old, new = [_net(s) for s in (1, 2)], [_net(s) for s in (1, 2)]
    rules = [Proximal(0.01), Proximal(0.1)]
    train_replicas_with_rule(old, xs, ts, rule=rules, epochs=2, lr=0.1, seeds=[4, 5])
    fit(new, xs, ts, rule=rules, epochs=2, lr=0.1, seed=[4, 5])
    assert _same(old, new)

    old, new, stopper = _net(), _net(), EarlyStopping(x_val, t_val, patience=2)
    run = train_early_stopping(old, x, t, x_val, t_val, epochs=8, lr=0.5, seed=4, patience=2)
    history = fit(new, x, t, epochs=8, lr=0.5, seed=4, callbacks=[stopper])
    assert (run.history, run.val_error) == (history, stopper.val_error[0])
    assert run.best_epoch == stopper.best_epoch[0]
    assert _same([old], [new])

    old, new = [_net(s) for s in (1, 2)], [_net(s) for s in (1, 2)]
    vs = (np.stack([x_val, x_val]), np.stack([t_val, t_val]))
    stopper = EarlyStopping(*vs)
    runs = train_replicas_early_stopping(old, xs, ts, *vs, epochs=5, lr=0.5, seeds=[4, 5])
    fit(new, xs, ts, epochs=5, lr=0.5, seed=[4, 5], callbacks=[stopper])
    assert [r.best_epoch for r in runs] == stopper.best_epoch and _same(old, new)


def test_the_old_test_arguments_come_in_pairs(data):
    from l1reg._legacy import train

    x, t, x_val, _ = data
    with pytest.raises(ValueError, match="^x_test and t_test must be given together"):
        train(_net(), x, t, epochs=1, lr=0.1, seed=0, x_test=x_val)
