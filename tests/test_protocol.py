"""The study protocol: anchored grids, stratified folds, early stopping for every method,
paired cross-validation, selection on validation loss, grid-end checks and baselines."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from l1reg.core._validation import InvalidParameterError
from l1reg.core.network import WEIGHT_NAMES
from l1reg.core.training import fit
from l1reg.core.update_rules import (
    CumulativePenalty,
    ElasticNetProximal,
    GroupProximal,
    L2Gradient,
    Plain,
    Proximal,
    TruncatedGradient,
)
from l1reg.regularize.dropout import Dropout
from l1reg.studies import protocol
from l1reg.studies.protocol import (
    CrossValidation,
    GridEndError,
    Method,
    Training,
    check_grid_ends,
    cross_validate,
    filter_masks,
    fold_items,
    grid_ends,
    is_collapsed,
    item_losses,
    linear_lam_max,
    log_grid,
    majority_accuracy,
    make_folds,
    select,
    select_k_best,
    silencing_strength,
    streams,
    train_early_stopped,
    train_for,
    widen_grid,
)
from l1reg.studies.stats import holm

# Small and on the NumPy engine (no compilation): every network here trains in milliseconds.
FAST = Training(n_hidden=4, lr=0.1, batch_size=8, max_epochs=20, check_every=5, patience=0, engine="numpy")
FIRST = ("ih_weights",)
COPIES = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "deepcopy": copy.deepcopy,
}


def _labelled(n: int, d: int = 5, seed: int = 0, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal inputs and one-hot classes: the sign of ``x0 + x1`` (plus ``noise``)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    classes = (x[:, 0] + x[:, 1] + noise * rng.normal(size=n) > 0).astype(int)
    return x, np.eye(2)[classes]


def _seed_sets(n_sets: int, n: int, k: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_sets`` data sets of ``n`` items each, stacked, with their ``k`` folds."""
    x, t = zip(*[_labelled(n, seed=s, noise=noise) for s in range(n_sets)], strict=True)
    folds = [make_folds(ti.argmax(axis=1), k, seed=s) for s, ti in enumerate(t)]
    return np.stack(x), np.stack(t), np.stack(folds)


def _fit_alone(rule, x, t, epochs: int, training: Training = FAST, on=WEIGHT_NAMES, stream=(0, 0, 0)):
    """One network trained by ``fit`` itself, from the weights and order of ``streams(*stream)``."""
    init, order = streams(*stream)
    net = training.network(x.shape[1], t.shape[1], init)
    fit(net, x, t, epochs=epochs, lr=training.lr, seed=order, batch_size=training.batch_size, rule=rule,
        on=on, engine=training.engine, record_history=False)
    return net


def _stack(array: np.ndarray, n: int) -> np.ndarray:
    return np.stack([array] * n)


# --- grids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("anchor", "n_values", "decades"), [(1.0, 8, 3.0), (0.37, 9, 4.0), (2e-3, 13, 3.5)])
def test_log_grid_starts_at_the_anchor_and_steps_evenly_in_log_over_its_decades(anchor, n_values, decades):
    grid = log_grid(anchor, n_values=n_values, decades=decades)
    assert grid.shape == (n_values,)
    assert grid[0] == anchor
    assert np.all(np.diff(grid) < 0)  # strongest first
    steps = np.diff(np.log10(grid))
    np.testing.assert_allclose(steps, -decades / (n_values - 1), rtol=1e-12)
    assert np.log10(grid[0] / grid[-1]) == pytest.approx(decades, rel=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_values": 7}, "^n_values must be an int >= 8, got 7"),
    ({"decades": 2.9}, "^decades must be a finite number >= 3"),
    ({"anchor": 0.0}, "^anchor must be a finite number > 0"),
])
def test_log_grid_refuses_a_short_or_narrow_grid_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        log_grid(**{"anchor": 1.0, **kwargs})


@pytest.mark.parametrize("end", ["weak", "strong"])
def test_widen_grid_keeps_the_old_values_and_the_ratio_at_either_end(end):
    grid = log_grid(0.5, n_values=8, decades=3.5)
    wide = widen_grid(grid, end, extra=3)
    assert wide.shape == (11,)
    old = wide[:8] if end == "weak" else wide[3:]
    np.testing.assert_array_equal(old, grid)
    np.testing.assert_allclose(wide[1:] / wide[:-1], grid[1] / grid[0], rtol=1e-12)
    assert (wide[-1] < grid[-1]) if end == "weak" else (wide[0] > grid[0])


@pytest.mark.parametrize("grid", [[1.0, 1.0, 0.1], [0.1, 1.0], [1.0, 0.1, -0.01]])
def test_widen_grid_refuses_a_grid_that_is_not_positive_and_strictly_decreasing(grid):
    with pytest.raises(ValueError, match=r"^grid must be positive and strictly decreasing \(strongest"):
        widen_grid(grid, "weak")


# --- the anchor ------------------------------------------------------------------------------


def test_linear_lam_max_is_the_lasso_threshold_of_a_multinomial_logistic_model():
    # scikit-learn minimizes C * sum_i CE_i + sum |W| (multinomial for 3 classes, with an
    # intercept); dividing by C * n gives mean CE + lam * sum |W| with lam = 1 / (C * n).
    # At W = 0 and the best intercept the mean CE's gradient is x^T (mean(t) - t) / n, so
    # every weight stays at zero exactly when lam >= its largest entry: linear_lam_max.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    classes = (x[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int) + (x[:, 1] > 0.5)
    lam_max = linear_lam_max(x, np.eye(3)[classes])

    def weights(lam):
        lasso = LogisticRegression(l1_ratio=1.0, solver="saga", C=1.0 / (60 * lam), tol=1e-10, max_iter=10**5)
        return lasso.fit(x, classes).coef_

    assert weights(1.01 * lam_max).shape == (3, 4)
    assert not weights(1.01 * lam_max).any()
    assert weights(0.95 * lam_max).any()


def test_silencing_strength_is_the_weakest_ladder_value_that_zeroes_the_first_layer():
    x, t = _labelled(48)
    lam = silencing_strength(x, t, Proximal, on=FIRST, training=FAST, seed=0)
    top = min(10 * linear_lam_max(x, t), 0.45 / FAST.lr)  # the default top
    rung = 4 * np.log10(top / lam)  # quarter decades below it
    assert rung == pytest.approx(round(rung), abs=1e-9)
    at = _fit_alone(Proximal(lam), x, t, FAST.max_epochs, on=FIRST)
    below = _fit_alone(Proximal(lam * 10 ** -0.25), x, t, FAST.max_epochs, on=FIRST)
    assert not at.params["ih_weights"].any()
    assert below.params["ih_weights"].any()


@pytest.mark.parametrize(("top", "match"), [(1e-6, "does not silence the first layer: raise top"),
                                            (1e6, "silences the first layer: lower top")])
def test_silencing_strength_refuses_a_ladder_that_misses_the_threshold(top, match):
    x, t = _labelled(48)
    with pytest.raises(ValueError, match=match):
        silencing_strength(x, t, Proximal, on=FIRST, training=FAST, top=top)


# --- folds -----------------------------------------------------------------------------------


@given(classes=st.lists(st.integers(0, 3), min_size=10, max_size=60), k=st.integers(2, 5),
       seed=st.integers(0, 2**32 - 1))
def test_make_folds_deals_equal_stratified_folds_and_leaves_n_mod_k_spare(classes, k, seed):
    classes = np.array(classes)
    folds = make_folds(classes, k, seed)
    assert set(folds.tolist()) <= set(range(-1, k))
    assert np.sum(folds == -1) == classes.size % k
    assert np.bincount(folds[folds >= 0], minlength=k).tolist() == [classes.size // k] * k
    for c in np.unique(classes):
        per_fold = np.bincount(folds[(classes == c) & (folds >= 0)], minlength=k)
        assert per_fold.max() - per_fold.min() <= 1, f"class {c} dealt {per_fold.tolist()}"
    np.testing.assert_array_equal(make_folds(classes, k, seed), folds)


def test_make_folds_differ_from_seed_to_seed():
    classes = np.arange(40) % 3
    drawn = {tuple(make_folds(classes, 4, seed).tolist()) for seed in range(5)}
    assert len(drawn) == 5


def test_fold_items_split_every_fold_into_disjoint_training_and_validation_items():
    folds = make_folds(np.arange(23) % 2, 4, seed=0)  # 3 spare items
    train, val = fold_items(folds, 4)
    assert train.shape == (4, 18) and val.shape == (4, 5)
    for k in range(4):
        np.testing.assert_array_equal(val[k], np.flatnonzero(folds == k))
        assert not set(train[k]) & set(val[k])
        assert sorted(set(train[k]) | set(val[k])) == list(range(23))
        assert set(np.flatnonzero(folds == -1)) <= set(train[k])  # the spare items always train


@pytest.mark.parametrize(("folds", "match"), [
    ([0, 0, 1, 2], r"^folds must hold fold numbers 0\.\.1 \(each used\) or -1"),
    ([0, 0, 0, -1], r"^folds must hold fold numbers 0\.\.1 \(each used\) or -1"),
    ([0, 0, 1], r"^folds must be of equal size, got sizes \[2, 1\]"),
])
def test_fold_items_refuses_folds_make_folds_would_not_give(folds, match):
    with pytest.raises(ValueError, match=match):
        fold_items(np.array(folds), 2)


def test_make_folds_refuses_fewer_than_two_items_per_fold():
    with pytest.raises(ValueError, match="^k must leave at least 2 items per fold: k=2 with 3 items"):
        make_folds([0, 1, 0], 2, seed=0)


# --- training length chosen on validation ------------------------------------------------


EVERY_METHOD = [Plain(), L2Gradient(0.01), Proximal(0.01), ElasticNetProximal(0.01, 0.01),
                GroupProximal(0.01)]


def test_early_stopping_keeps_the_best_check_for_every_method():
    x, t = _labelled(48, seed=1, noise=1.0)  # noisy labels: validation loss turns up
    training = dataclasses.replace(FAST, lr=0.3, max_epochs=30)
    n = len(EVERY_METHOD)
    nets = [training.network(5, 2, streams(0, 0, 0)[0]) for _ in EVERY_METHOD]
    orders = [streams(0, 0, 0)[1] for _ in EVERY_METHOD]
    result = train_early_stopped(nets, _stack(x[:32], n), _stack(t[:32], n), _stack(x[32:], n),
                                 _stack(t[32:], n), EVERY_METHOD, WEIGHT_NAMES, training, orders)
    checks = range(5, 31, 5)
    for i, rule in enumerate(EVERY_METHOD):
        alone = {epoch: _fit_alone(rule, x[:32], t[:32], epoch, training) for epoch in checks}
        loss = {epoch: item_losses([net], x[None, 32:], t[None, 32:])[0] for epoch, net in alone.items()}
        best = min(checks, key=lambda epoch: loss[epoch].mean())  # the first of equal checks
        assert result.best_epoch[i] == best, f"{rule!r}"
        np.testing.assert_allclose(result.item_loss[i], loss[best], rtol=0, atol=1e-12)
        np.testing.assert_allclose(nets[i].flat, alone[best].flat, rtol=0, atol=1e-12)
    assert result.best_epoch.min() < training.max_epochs  # some network did stop early


def _counting_fit(monkeypatch) -> list[int]:
    """Patch the protocol's ``fit`` to record the epochs of each call; returns the record."""
    epochs = []

    def counting(*args, **kwargs):
        epochs.append(kwargs["epochs"])
        return fit(*args, **kwargs)

    monkeypatch.setattr(protocol, "fit", counting)
    return epochs


def test_early_stopping_stops_after_patience_checks_without_improvement(monkeypatch):
    x, t = _labelled(48)
    wrong = 1.0 - t[36:]  # validated on the other class: worse at every check after the first
    epochs = _counting_fit(monkeypatch)
    training = dataclasses.replace(FAST, max_epochs=40, patience=2)
    init, order = streams(0, 0, 0)
    result = train_early_stopped([training.network(5, 2, init)], x[None, :36], t[None, :36], x[None, 36:],
                                 wrong[None], [Plain()], WEIGHT_NAMES, training, [order])
    assert result.best_epoch.tolist() == [5]
    assert sum(epochs) == 15  # the best check, then 2 without improvement


def test_early_stopping_goes_on_while_any_network_of_the_stack_improves(monkeypatch):
    x, t = _labelled(48)
    epochs = _counting_fit(monkeypatch)
    training = dataclasses.replace(FAST, max_epochs=40, patience=2)
    nets = [training.network(5, 2, streams(0, 0, 0)[0]) for _ in range(2)]
    orders = [streams(0, 0, 0)[1] for _ in range(2)]
    t_val = np.stack([1.0 - t[36:], t[36:]])  # the first gets worse, the second better
    result = train_early_stopped(nets, _stack(x[:36], 2), _stack(t[:36], 2), _stack(x[36:], 2), t_val,
                                 [Plain(), Plain()], WEIGHT_NAMES, training, orders)
    assert result.best_epoch[0] == 5
    assert sum(epochs) > 15


@pytest.mark.parametrize("rule", [CumulativePenalty(0.01), TruncatedGradient(0.01, k=2)])
def test_early_stopping_refuses_a_rule_that_keeps_state_between_steps(rule):
    x, t = _labelled(20)
    init, order = streams(0, 0, 0)
    with pytest.raises(ValueError, match="^rules must keep no state between steps to train in chunks"):
        train_early_stopped([FAST.network(5, 2, init)], x[None, :12], t[None, :12], x[None, 12:],
                            t[None, 12:], [rule], WEIGHT_NAMES, FAST, [order])


def test_train_for_gives_each_network_of_a_stack_what_fit_gives_it_alone():
    x, t = _labelled(40)
    asked, trained = [3, 10, 20], [5, 10, 20]  # rounded up to a whole check of 5 epochs
    nets = [FAST.network(5, 2, streams(0, 0, i)[0]) for i in range(3)]
    orders = [streams(0, 0, i)[1] for i in range(3)]
    train_for(nets, _stack(x, 3), _stack(t, 3), [Proximal(0.01)] * 3, FIRST, FAST, orders, asked)
    for i, epochs in enumerate(trained):
        alone = _fit_alone(Proximal(0.01), x, t, epochs, on=FIRST, stream=(0, 0, i))
        np.testing.assert_allclose(nets[i].flat, alone.flat, rtol=0, atol=1e-12, err_msg=f"{epochs} epochs")


# --- cross-validation: the same items, weights and orders for every method ----------------


def test_cross_validate_trains_outside_fold_k_and_validates_on_fold_k():
    x, t, folds = _seed_sets(2, 40, k=3)  # 40 = 3 x 13 + 1 spare item
    method = Method("L1", [Proximal(0.01), Plain()], on=FIRST)
    cv = cross_validate(x, t, method, folds, FAST, seed=3)
    assert cv.item_loss.shape == (2, 2, 3, 13)
    assert cv.best_epoch.shape == cv.collapsed.shape == (2, 2, 3)
    for s in range(2):
        for c, rule in enumerate(method.rules):
            for k in range(3):
                train, val = folds[s] != k, folds[s] == k
                init, order = streams(3, s, k)
                alone = train_early_stopped([FAST.network(5, 2, init)], x[s, train][None], t[s, train][None],
                                            x[s, val][None], t[s, val][None], [rule], FIRST, FAST, [order])
                np.testing.assert_allclose(cv.item_loss[s, c, k], alone.item_loss[0], rtol=0, atol=1e-12)
                assert cv.best_epoch[s, c, k] == alone.best_epoch[0]


def test_cross_validate_gives_identical_configurations_identical_results():
    x, t, folds = _seed_sets(2, 30, k=3)
    cv = cross_validate(x, t, Method("twice", [Proximal(0.01), Proximal(0.01)], on=FIRST), folds, FAST)
    np.testing.assert_array_equal(cv.item_loss[:, 0], cv.item_loss[:, 1])
    np.testing.assert_array_equal(cv.best_epoch[:, 0], cv.best_epoch[:, 1])


def test_cross_validate_pairs_methods_run_separately_with_one_seed():
    x, t, folds = _seed_sets(2, 30, k=3)
    alone = cross_validate(x, t, Method("none", [Plain()]), folds, FAST, seed=5)
    together = cross_validate(x, t, Method("grid", [Proximal(0.01), Plain()]), folds, FAST, seed=5)
    np.testing.assert_array_equal(alone.item_loss[:, 0], together.item_loss[:, 1])
    np.testing.assert_array_equal(alone.best_epoch[:, 0], together.best_epoch[:, 1])


def test_cross_validate_pairs_methods_also_when_stopping_early():
    x, t = _labelled(48)
    folds = np.stack([make_folds(t.argmax(axis=1), 3, seed=s) for s in range(3)])
    x, t = _stack(x, 3), _stack(t, 3)
    training = dataclasses.replace(FAST, lr=0.3, max_epochs=60, patience=1)
    alone = cross_validate(x, t, Method("none", [Plain()]), folds, training)
    grid = Method("mix", [Plain(), Proximal(0.001), L2Gradient(0.01)])
    together = cross_validate(x, t, grid, folds, training)
    assert np.array_equal(alone.best_epoch[:, 0], together.best_epoch[:, 0]), (
        "BUG in train_early_stopped: with patience > 0 a network's kept check depends on the other networks "
        f"of its stack (alone: {alone.best_epoch[:, 0].ravel().tolist()}, in a grid of three: "
        f"{together.best_epoch[:, 0].ravel().tolist()}); a network should stop counting once it has gone "
        "`patience` checks without improving, whatever its neighbours do")
    np.testing.assert_array_equal(alone.item_loss[:, 0], together.item_loss[:, 0])


# --- numbered seed sets: a subset recomputed on its own -----------------------------------

L1_GRID = Method("L1", [Proximal(0.01), Plain()], on=FIRST)
EARLY = dataclasses.replace(FAST, lr=0.3, max_epochs=60, patience=1)  # networks of a stack stop apart


def _assert_same_cv(mine: CrossValidation, theirs: CrossValidation) -> None:
    for field in ("item_loss", "best_epoch", "collapsed"):
        assert getattr(mine, field).dtype == getattr(theirs, field).dtype, field
        np.testing.assert_array_equal(getattr(mine, field), getattr(theirs, field), err_msg=field)


def test_cross_validate_numbers_the_seed_sets_0_1_2_by_default():
    x, t, folds = _seed_sets(3, 30, k=3)
    default = cross_validate(x, t, L1_GRID, folds, FAST, seed=3)
    _assert_same_cv(cross_validate(x, t, L1_GRID, folds, FAST, seed=3, seed_sets=[0, 1, 2]), default)
    # the numbers pick the streams: other numbers, other initial weights and orders
    other = cross_validate(x, t, L1_GRID, folds, FAST, seed=3, seed_sets=[5, 1, 2])
    assert not np.array_equal(other.item_loss[0], default.item_loss[0])
    np.testing.assert_array_equal(other.item_loss[1:], default.item_loss[1:])


@pytest.mark.parametrize("training", [FAST, EARLY], ids=["full length", "stopping early"])
def test_a_seed_set_cross_validates_alike_alone_with_its_number_and_inside_a_stack(training):
    x, t, folds = _seed_sets(3, 30, k=3)
    stacked = cross_validate(x, t, L1_GRID, folds, training, seed=3)
    alone = cross_validate(x[2:], t[2:], L1_GRID, folds[2:], training, seed=3, seed_sets=[2])
    _assert_same_cv(alone, CrossValidation(*(a[2:] for a in (stacked.item_loss, stacked.best_epoch,
                                                               stacked.collapsed))))
    # alone without its number it would be seed set 0: other streams, other networks
    unnumbered = cross_validate(x[2:], t[2:], L1_GRID, folds[2:], training, seed=3)
    assert not np.array_equal(unnumbered.item_loss, alone.item_loss)


@pytest.mark.parametrize(("seed_sets", "error", "match"), [
    ([0, 1], ValueError, r"^seed_sets must number the 3 seed sets of x, each once, got \[0, 1\]$"),
    ([0, 1, 2, 3], ValueError,
     r"^seed_sets must number the 3 seed sets of x, each once, got \[0, 1, 2, 3\]$"),
    ([0, 2, 0], ValueError, r"^seed_sets must number the 3 seed sets of x, each once, got \[0, 2, 0\]$"),
    ([0, -1, 2], ValueError, r"^seed_sets\[1\] must be an int >= 0, got -1"),
    ("012", TypeError, r"^seed_sets must be a list of seed-set numbers, got str"),
])
def test_cross_validate_refuses_seed_set_numbers_that_do_not_fit_by_name(seed_sets, error, match):
    x, t, folds = _seed_sets(3, 30, k=3)
    with pytest.raises(error, match=match):
        cross_validate(x, t, L1_GRID, folds, FAST, seed_sets=seed_sets)


# --- collapse -------------------------------------------------------------------------------


def test_is_collapsed_for_a_silent_first_layer_and_not_for_a_trained_network():
    x, t = _labelled(48)
    trained = _fit_alone(Plain(), x, t, 20)
    silent = copy.deepcopy(trained)
    silent.params["ih_weights"][...] = 0.0  # every item gets the same hidden values
    assert is_collapsed([trained, silent], _stack(x, 2)).tolist() == [False, True]


def test_cross_validate_counts_the_collapses_at_the_silencing_strength():
    x, t, folds = _seed_sets(2, 48, k=3, noise=0.0)
    training = dataclasses.replace(FAST, lr=0.3)  # long enough that no plain network predicts one class
    lam = max(silencing_strength(x[s], t[s], Proximal, on=FIRST, training=training, seed=s) for s in range(2))
    cv = cross_validate(x, t, Method("L1", [Proximal(lam), Plain()], on=FIRST), folds, training)
    assert cv.collapsed[:, 0].all()
    assert not cv.collapsed[:, 1].any()


# --- selection on validation loss ---------------------------------------------------------


def test_select_picks_the_smallest_mean_loss_not_the_best_accuracy():
    # Two classes: an item is right when its cross-entropy is below ln 2 = 0.69.
    all_right = [0.6, 0.6, 0.6, 0.6]  # accuracy 1, mean loss 0.6
    one_wrong = [0.01, 0.01, 0.01, 1.0]  # accuracy 0.75, mean loss 0.26
    assert select(np.array([all_right, one_wrong])[None, :, None, :]).tolist() == [1]
    assert select(np.array([one_wrong, all_right])[None, :, None, :]).tolist() == [0]


def test_select_breaks_a_tie_toward_the_weaker_configuration():
    means = np.array([0.5, 0.7, 0.5, 0.9])  # strongest first: 0 and 2 tie
    assert select(means[None, :, None, None]).tolist() == [2]


def test_select_one_se_picks_the_strongest_configuration_within_one_standard_error():
    item_loss = np.empty((1, 4, 2, 2))  # 1 seed set, 4 configurations, 2 folds, 2 items
    item_loss[0, 0] = 0.9
    item_loss[0, 1] = 0.555
    item_loss[0, 2] = [[0.4, 0.6], [0.4, 0.6]]  # the best: mean 0.5
    item_loss[0, 3] = 0.7
    # SE of the best, pooled over folds: sd([0.4, 0.6, 0.4, 0.6], ddof=1) / sqrt(4) = 0.0577,
    # so 0.555 is within it (it would not be with ddof=0: 0.05) and 0.9 is not.
    assert select(item_loss).tolist() == [2]
    assert select(item_loss, one_se=True).tolist() == [1]


def test_select_chooses_per_seed_set():
    means = np.array([[0.3, 0.5, 0.9], [0.9, 0.5, 0.3], [0.9, 0.2, 0.3]])
    item_loss = means[:, :, None, None] + np.array([[0.0, 0.1], [0.1, 0.0]])  # 2 folds x 2 items
    assert select(item_loss).tolist() == [0, 2, 1]


# --- grid ends ------------------------------------------------------------------------------


def test_grid_ends_counts_the_choices_at_either_end():
    assert grid_ends(np.array([0, 0, 3, 7, 7, 7, 5]), 8) == {"strong": 2, "weak": 3}
    with pytest.raises(ValueError, match=r"^chosen must hold indices in \[0, 7\], got \[8\]"):
        grid_ends(np.array([8]), 8)


def test_check_grid_ends_fails_loudly_when_an_end_is_chosen_too_often():
    assert check_grid_ends(np.array([7, 3, 2, 1, 4]), 8, max_share=0.2) == {"strong": 0, "weak": 1}  # 20 %
    with pytest.raises(GridEndError, match=r"^L1 grid: its weak end was chosen in 2 of 5 seed sets, "
                                           r"more than the 20% allowed"):
        check_grid_ends(np.array([7, 7, 3, 2, 1]), 8, max_share=0.2, what="L1 grid")
    assert issubclass(GridEndError, ValueError)


def test_check_grid_ends_ignores_an_end_it_is_not_asked_about():
    chosen = np.array([0, 0, 0, 3])  # the silenced network chosen: a finding, not a short grid
    assert check_grid_ends(chosen, 8, ends=("weak",)) == {"strong": 3, "weak": 0}
    with pytest.raises(GridEndError, match="its strong end was chosen in 3 of 4 seed sets"):
        check_grid_ends(chosen, 8)


# --- baselines ------------------------------------------------------------------------------


def test_majority_accuracy_guesses_the_most_common_training_class():
    t_train = np.eye(3)[[2, 2, 0, 1, 2]]
    t_test = np.eye(3)[[2, 0, 2, 1]]
    assert majority_accuracy(t_train, t_test) == 0.5
    with pytest.raises(ValueError, match="^t_train and t_test must have the same classes, got 3 and 2"):
        majority_accuracy(t_train, np.eye(2))


def test_select_k_best_keeps_the_informative_inputs():
    rng = np.random.default_rng(0)
    classes = rng.integers(0, 2, size=100)
    x = rng.normal(size=(100, 10))
    x[:, [2, 5, 7]] += 1.5 * classes[:, None]  # three inputs move with the class, seven are noise
    keep = select_k_best(x, np.eye(2)[classes], k=3)
    assert np.flatnonzero(keep).tolist() == [2, 5, 7]


def test_select_k_best_scores_a_constant_input_zero_without_a_warning():
    rng = np.random.default_rng(1)
    classes = rng.integers(0, 2, size=40)
    x = np.column_stack([np.full(40, 3.0), classes + rng.normal(size=40), rng.normal(size=40)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keep = select_k_best(x, np.eye(2)[classes], k=1)
    assert not caught, ("BUG in select_k_best: a constant input must score 0 silently, but it warned "
                        f"{[f'{w.category.__name__}: {w.message}' for w in caught]}")
    assert keep.tolist() == [False, True, False]


def test_select_k_best_refuses_more_inputs_than_there_are():
    with pytest.raises(ValueError, match=r"^k must be at most the number of inputs \(3\), got 4"):
        select_k_best(np.zeros((4, 3)), np.eye(2)[[0, 1, 0, 1]], k=4)


# --- multiplicity: Holm ---------------------------------------------------------------------


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12))
def test_holm_never_lowers_a_p_value_and_keeps_their_order(p_values):
    raw = np.array(p_values)
    adjusted = np.asarray(holm(p_values))
    assert np.all(adjusted >= raw) and np.all(adjusted <= 1.0)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adjusted[order]) >= 0)


# --- copies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", COPIES)
def test_training_survives_a_copy(how):
    twin = COPIES[how](FAST)
    assert twin == FAST
    np.testing.assert_array_equal(twin.network(5, 2, 0).flat, FAST.network(5, 2, 0).flat)


@pytest.mark.parametrize("how", COPIES)
def test_method_survives_a_copy_and_cross_validates_like_the_original(how):
    method = Method("L1", [Proximal(0.01), Plain()], on=FIRST)
    twin = COPIES[how](method)
    assert (twin.name, twin.on) == (method.name, method.on)
    # update rules compare by identity, so the rules are compared by kind and settings
    assert [(type(r), r.get_config()) for r in twin.rules] == [(Proximal, {"lam": 0.01}), (Plain, {})]
    x, t, folds = _seed_sets(1, 30, k=3)
    np.testing.assert_array_equal(cross_validate(x, t, twin, folds, FAST).item_loss,
                                  cross_validate(x, t, method, folds, FAST).item_loss)


@pytest.mark.parametrize("how", COPIES)
def test_cross_validation_survives_a_copy(how):
    rng = np.random.default_rng(0)
    cv = CrossValidation(rng.random((2, 3, 4, 5)), rng.integers(0, 20, (2, 3, 4)),
                         rng.random((2, 3, 4)) < 0.5)
    twin = COPIES[how](cv)
    for field in ("item_loss", "best_epoch", "collapsed"):
        assert getattr(twin, field).dtype == getattr(cv, field).dtype
        np.testing.assert_array_equal(getattr(twin, field), getattr(cv, field))
    np.testing.assert_array_equal(twin.mean_loss(), cv.mean_loss())


# --- masks: the oracle and the supervised filter ------------------------------------------


def test_a_mask_hides_inputs_exactly_as_zeroed_inputs_do():
    x, t, folds = _seed_sets(2, 30, 3)
    keep = np.zeros((2, 1, 5), dtype=bool)
    keep[:, :, :2] = True  # the oracle: the two inputs the classes depend on
    masked = cross_validate(x, t, Method("oracle", [Plain()]), folds, FAST, masks=keep)
    zeroed = x.copy()
    zeroed[..., 2:] = 0.0
    plain = cross_validate(zeroed, t, Method("none", [Plain()]), folds, FAST)
    np.testing.assert_array_equal(masked.item_loss, plain.item_loss)
    assert not np.array_equal(masked.item_loss, cross_validate(x, t, Method("none", [Plain()]), folds,
                                                               FAST).item_loss)


def test_masks_that_do_not_broadcast_are_refused_by_name():
    x, t, folds = _seed_sets(2, 30, 3)
    with pytest.raises(ValueError, match="^masks must broadcast to"):
        cross_validate(x, t, Method("oracle", [Plain()]), folds, FAST, masks=np.ones((4, 5), dtype=bool))


def test_filter_masks_rank_inputs_on_each_folds_training_items_only():
    x, t, folds = _seed_sets(2, 30, 3)
    masks = filter_masks(x, t, folds, [1, 2, 5])
    assert masks.shape == (3, 2, 3, 5)
    np.testing.assert_array_equal(masks.sum(axis=-1), np.broadcast_to(np.array([1, 2, 5])[:, None, None],
                                                                      (3, 2, 3)))
    train, _ = fold_items(folds[1], 3)
    np.testing.assert_array_equal(masks[1, 1, 2], select_k_best(x[1][train[2]], t[1][train[2]], 2))
    assert masks[1, :, :, :2].mean() >= 0.75  # x0 and x1 decide the class: the filter mostly finds them
    with pytest.raises(ValueError, match="^ks must be at most the number of inputs"):
        filter_masks(x, t, folds, [6])


def test_the_majority_baseline_loss_is_minus_log_the_training_share_of_each_class():
    classes = np.array([0, 0, 0, 1, 0, 0, 1, 1, 0])
    t = np.eye(2)[classes][None]
    folds = np.array([[0, 1, 2, 0, 1, 2, 0, 1, 2]])
    losses = protocol.prior_item_losses(t, folds)
    assert losses.shape == (1, 3, 3)
    train, val = fold_items(folds[0], 3)
    for k in range(3):
        share = (np.bincount(classes[train[k]], minlength=2) + 1) / (train[k].size + 2)  # one more per class
        np.testing.assert_allclose(losses[0, k], -np.log(share[classes[val[k]]]))


def test_refit_epochs_round_the_median_up_to_a_whole_check():
    assert protocol.refit_epochs([5, 10, 10, 20], Training(check_every=5)) == 10
    assert protocol.refit_epochs([5, 10, 15, 20], Training(check_every=5)) == 15  # median 12.5
    assert protocol.refit_epochs([3], Training(check_every=4)) == 4


def test_silencing_an_l2_layer_at_a_large_learning_rate_does_not_overshoot():
    x, t = _labelled(48)
    lam = silencing_strength(x, t, L2Gradient, on=FIRST, training=dataclasses.replace(FAST, lr=0.2))
    assert 0 < lam <= 0.45 / 0.2  # the ladder starts where an L2 step still shrinks
    with pytest.raises(ValueError, match="does not silence the first layer: lower training.lr"):
        silencing_strength(x, t, L2Gradient, on=FIRST, training=dataclasses.replace(FAST, lr=0.5))


# --- methods that inject noise: dropout and jitter ------------------------------------------

NOISY = {"dropout": Method("dropout", [Plain()] * 3, dropout=[0.6, 0.3, 0.0]),
         "jitter": Method("jitter", [Plain()] * 3, jitter=[1.0, 0.3, 0.0])}


@pytest.mark.parametrize("name", NOISY)
@pytest.mark.parametrize("training", [FAST, EARLY], ids=["full length", "stopping early"])
def test_a_noisy_methods_seed_set_cross_validates_alike_alone_and_inside_a_stack(name, training):
    x, t, folds = _seed_sets(3, 30, k=3)
    stacked = cross_validate(x, t, NOISY[name], folds, training, seed=3)
    alone = cross_validate(x[1:2], t[1:2], NOISY[name], folds[1:2], training, seed=3, seed_sets=[1])
    np.testing.assert_allclose(alone.item_loss, stacked.item_loss[1:2], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(alone.best_epoch, stacked.best_epoch[1:2])


@pytest.mark.parametrize("name", NOISY)
def test_a_noisy_method_with_no_noise_trains_exactly_as_plain_training(name):
    x, t, folds = _seed_sets(2, 30, k=3)
    noisy = cross_validate(x, t, NOISY[name], folds, FAST, seed=3)
    plain = cross_validate(x, t, Method("none", [Plain()]), folds, FAST, seed=3)
    np.testing.assert_allclose(noisy.item_loss[:, 2], plain.item_loss[:, 0], rtol=1e-10, atol=1e-12)
    # and the noise does act: the strongest configuration ends elsewhere
    assert not np.allclose(noisy.item_loss[:, 0], plain.item_loss[:, 0])


def test_a_noisy_network_trains_in_chunks_as_in_one_call_to_fit():
    x, t = _labelled(30)
    training = dataclasses.replace(FAST, check_every=4)
    net = training.network(5, 2, streams(0, 0, 0)[0])
    train_for([net], x[None], t[None], [Plain()], WEIGHT_NAMES, training, [streams(0, 0, 0)[1]], [20],
              Method("d", [Plain()], dropout=[0.5]).noise([0], [protocol.noise_source(0, 0, 0)]))
    alone = training.network(5, 2, streams(0, 0, 0)[0])
    fit(alone, x, t, epochs=20, lr=training.lr, seed=streams(0, 0, 0)[1], batch_size=training.batch_size,
        noise=Dropout(0.5, protocol.noise_source(0, 0, 0)), record_history=False)
    np.testing.assert_allclose(net.flat, alone.flat, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"dropout": [0.5]}, ValueError, r"^dropout must give one value per configuration \(rule\), 2, got 1$"),
    ({"jitter": [1.0, 2.0, 3.0]}, ValueError, r"^jitter must give one value per configuration"),
    ({"dropout": [0.5, 0.2], "jitter": [1.0, 2.0]}, ValueError,
     r"^dropout and jitter must not both be given"),
    ({"dropout": [1.5, 0.2]}, InvalidParameterError, r"^dropout\[0\] must be"),
    ({"jitter": [-1.0, 0.2]}, InvalidParameterError, r"^jitter\[0\] must be"),
])
def test_method_refuses_noise_that_does_not_fit_its_grid_by_name(kwargs, error, match):
    with pytest.raises(error, match=match):
        Method("noisy", [Plain(), Plain()], **kwargs)


@pytest.mark.parametrize("how", COPIES)
def test_a_noisy_method_survives_a_copy(how):
    twin = COPIES[how](NOISY["dropout"])
    assert twin.dropout == (0.6, 0.3, 0.0) and twin.jitter == ()
    assert twin.noise([0, 2], [0, 1]).rates.tolist() == [0.6, 0.0]


def test_grid_of_gives_a_methods_grid_and_refuses_one_without_naming_those_with():
    grids = {"none": np.zeros(0), "L1": np.array([0.1, 0.01]), "L2": np.array([1.0, 0.1])}
    np.testing.assert_array_equal(protocol.grid_of(grids, "L2"), [1.0, 0.1])
    for method in ("none", "L3"):
        with pytest.raises(ValueError, match=rf"^method must be one with a grid, one of \['L1', 'L2'\], "
                                             rf"got '{method}'$"):
            protocol.grid_of(grids, method)
