"""The sweeps and the comparison of L1's rivals on the demo's data, and the digits run."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg import L1, Network, fit
from l1reg.book import plots
from l1reg.core.update_rules import Proximal, SubGradient
from l1reg.regularize.dropout import Dropout
from l1reg.regularize.early_stopping import EarlyStopping
from l1reg.regularize.jitter import Jitter
from l1reg.studies.comparison import (
    GridDropout,
    GridJitter,
    Method,
    WeightPath,
    compare,
    lam_sweep,
    seed_sets,
    sweep,
)
from l1reg.studies.demo import LAM, LR, demo_data, demo_large_test, demo_seeds, run_demo


def _names(name):
    return "^" + re.escape(name) + " "


def test_sweep_of_sub_gradient_rules_equals_the_demo():
    result = sweep([SubGradient(0.0), SubGradient(LAM)], epochs=2)
    for i, lam in enumerate((0.0, LAM)):
        demo_run = run_demo(lam, epochs=2)
        np.testing.assert_allclose(result.weights[i], demo_run.net.weights(), rtol=0, atol=1e-12)
        assert result.test_accuracy[i] == demo_run.test_accuracy
    assert result.path.shape == (2, 2, 112)
    np.testing.assert_array_equal(result.zeros, [0, 0])


def test_a_sweep_of_mixed_rules_splits_into_the_sweeps_of_each_kind():
    both = sweep([Proximal(0.001), Proximal(0.01), SubGradient(0.001)], epochs=2)
    prox = sweep([Proximal(0.001), Proximal(0.01)], epochs=2)
    part = both.part(0, 2)
    np.testing.assert_allclose(part.path, prox.path, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(part.zeros, prox.zeros)
    np.testing.assert_array_equal(part.test_accuracy, prox.test_accuracy)
    assert both.part(2, 3).path.shape == (2, 1, 112)


@pytest.fixture(scope="module")
def small_table():
    methods = {"none": Method(curve_every=1),
               "prox": Method(rules=[Proximal(0.001), Proximal(0.01)]),
               "dropout": Method(dropout=[0.1, 0.3]),
               "jitter": Method(jitter=[0.5, 1.0]),
               "stop": Method(early_stopping=True)}
    return compare(methods, n_runs=2, epochs=3, n_test=300)


def test_compare_scores_the_chosen_candidate_of_each_seed_set(small_table):
    for r in small_table.values():
        assert r.test_accuracy.shape == r.zeros.shape == r.largest.shape == r.chosen.shape == (2,)
        assert r.val_error.shape == (2, len(r.candidates))
        # the choice is the lowest validation error, never the test set
        np.testing.assert_array_equal(r.chosen, np.argmin(r.val_error, axis=1))
        assert r.seconds > 0
    assert small_table["prox"].candidates == ["Proximal(lam=0.001)", "Proximal(lam=0.01)"]
    assert small_table["dropout"].candidates == ["Dropout(rate=0.1)", "Dropout(rate=0.3)"]
    assert small_table["stop"].best_epoch.shape == (2,)
    assert small_table["none"].best_epoch is None


def test_a_chosen_candidate_is_the_network_trained_alone(small_table):
    # the stacked grid gives each seed set's chosen network what a fit of it alone gives
    data = seed_sets(2, n_test=300)
    prox = small_table["prox"]
    for run in range(2):
        lam = (0.001, 0.01)[prox.chosen[run]]
        net = Network(10, 8, 4, seed=demo_seeds(run)["init_seed"])
        fit(net, data.x[run], data.t[run], rule=Proximal(lam), epochs=3, lr=LR,
            seed=demo_seeds(run)["order_seed"])
        assert prox.test_accuracy[run] == net.accuracy(data.x_test[run], data.t_test[run])
        assert prox.zeros[run] == np.sum(net.weights() == 0.0)


def test_seed_sets_hold_out_validation_items_of_the_training_set():
    data = seed_sets(2, n_validation=40, n_test=50)
    assert data.x.shape == (2, 160, 10) and data.x_val.shape == (2, 40, 10)
    assert data.x_test.shape == (2, 50, 10)
    train = demo_data(1).x_train  # the two parts are the 200 training items, split
    np.testing.assert_array_equal(np.sort(np.concatenate([data.x[1], data.x_val[1]]), axis=0),
                                  np.sort(train, axis=0))
    np.testing.assert_array_equal(data.x_test[1], demo_large_test(1, 50)[0])


def test_the_plain_curve_ends_at_the_final_test_accuracy(small_table):
    none = small_table["none"]
    np.testing.assert_array_equal(none.curve_epochs, [1, 2, 3])
    assert none.curve.shape == (2, 3)
    np.testing.assert_array_equal(none.curve[:, -1], none.test_accuracy)


def test_early_stopping_keeps_the_best_validation_epoch():
    data = seed_sets(1, n_test=50)
    result = compare({"stop": Method(early_stopping=True)}, n_runs=1, epochs=4, n_test=50)
    net = Network(10, 8, 4, seed=demo_seeds(0)["init_seed"])
    stopper = EarlyStopping(data.x_val[0], data.t_val[0])
    fit(net, data.x[0], data.t[0], epochs=4, lr=LR, seed=demo_seeds(0)["order_seed"], callbacks=[stopper])
    assert result["stop"].best_epoch[0] == stopper.best_epoch[0]
    assert result["stop"].val_error[0, 0] == net.error(data.x_val[0], data.t_val[0])


NOISES = [
    pytest.param(lambda s: GridDropout([0.2, 0.2, 0.2], s), lambda s: Dropout(0.2, s), id="dropout"),
    pytest.param(lambda s: GridJitter([1.0, 1.0, 1.0], s), lambda s: Jitter(1.0, s), id="jitter"),
]


@pytest.mark.parametrize(("grid", "one"), NOISES)
def test_a_grid_of_equal_strengths_is_the_plain_noise(random_problem, grid, one):
    x, t = random_problem(12, 4, 3, seed=1)
    flats = []
    for noise in (grid(5), one(5)):
        nets = [Network(4, 5, 3, seed=0) for _ in range(3)]
        fit(nets, np.stack([x] * 3), np.stack([t] * 3), epochs=2, lr=0.1, seed=[2, 3, 4], noise=noise)
        flats.append(np.stack([n.flat for n in nets]))
    np.testing.assert_array_equal(flats[0], flats[1])


def test_a_grid_of_strengths_gives_each_network_its_own():
    mask = GridDropout([0.0, 0.5], seed=0).draw_mask((2, 1000, 8))
    assert np.all(mask[0] == 1.0)  # rate 0 drops nothing
    assert set(np.unique(mask[1]).tolist()) == {0.0, 2.0}
    noisy = GridJitter([0.0, 1.0], seed=0).perturb(np.zeros((2, 3, 4)))
    assert np.all(noisy[0] == 0.0) and np.all(noisy[1] != 0.0)


def test_weight_path_keeps_the_weights_after_every_epoch(random_problem):
    x, t = random_problem(12, 4, 3, seed=1)
    net, path = Network(4, 5, 3, seed=0), WeightPath()
    fit(net, x, t, epochs=3, lr=0.1, seed=2, callbacks=[path])
    assert [w.shape for w in path.weights] == [(35,)] * 3  # 4 x 5 + 5 x 3 weights
    np.testing.assert_array_equal(path.weights[-1], net.weights())


# --- the lam sweep -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_sweep():
    return lam_sweep([0.0, 0.001, 0.01], epochs=3)


def test_sweep_has_one_entry_per_lam(short_sweep):
    for name in ("lams", "train_accuracy", "test_accuracy", "sum_abs_w", "max_abs_w", "n_small"):
        assert getattr(short_sweep, name).shape == (3,)
    assert short_sweep.n_weights == 112
    assert short_sweep.epochs == 3
    assert short_sweep.tol == 1e-3


def test_sweep_entries_are_the_demo_runs_bit_for_bit(short_sweep):
    # the stacked sweep of SubGradient rules gives each network exactly what run_demo gives it
    for i, lam in enumerate((0.0, 0.001, 0.01)):
        run = run_demo(lam, epochs=3)
        w = np.abs(run.net.weights())
        assert short_sweep.test_accuracy[i] == run.test_accuracy
        assert short_sweep.train_accuracy[i] == run.train_accuracy
        assert short_sweep.sum_abs_w[i] == w.sum()
        assert short_sweep.max_abs_w[i] == w.max()
        assert short_sweep.n_small[i] == np.sum(w < 1e-3)


def test_sweep_is_deterministic(short_sweep):
    again = lam_sweep(np.array([0.0, 0.001, 0.01]), epochs=3)
    for name in ("train_accuracy", "test_accuracy", "sum_abs_w", "max_abs_w", "n_small"):
        np.testing.assert_array_equal(getattr(again, name), getattr(short_sweep, name))


def test_a_stronger_penalty_gives_smaller_weights(short_sweep):
    assert np.all(np.diff(short_sweep.sum_abs_w) < 0)


def test_sweep_plot_labels_all_three_panels(short_sweep):
    fig, axes = plt.subplots(3, 1, sharex=True)
    plots.plot_lam_sweep(axes, short_sweep, baseline=0.335)
    assert [ax.get_ylabel() for ax in axes] == ["accuracy (%)", "sum of |w|", "number of weights"]
    assert axes[2].get_xlabel() == "lam"
    assert [t.get_text() for t in axes[2].get_xticklabels()] == ["0", "0.001", "0.01"]
    plt.close(fig)


def test_sweep_plot_needs_three_axes(short_sweep):
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match=_names("axes")):
        plots.plot_lam_sweep(axes, short_sweep)
    plt.close(fig)


# --- bad input -------------------------------------------------------------------------------------


BAD = [
    pytest.param(lambda: Method(rules=[]), ValueError, "rules", id="method-no-rules"),
    pytest.param(lambda: Method(rules=[L1(0.1)]), TypeError, "rules[0]", id="method-rule-a-penalty"),
    pytest.param(lambda: Method(dropout=0.2), TypeError, "dropout", id="method-dropout-a-number"),
    pytest.param(lambda: Method(dropout=[0.2], jitter=[1.0]), ValueError, "dropout", id="method-two-noises"),
    pytest.param(lambda: Method(dropout=[1.0]), ValueError, "dropout[0]", id="method-dropout-one"),
    pytest.param(lambda: Method(jitter=[-1.0]), ValueError, "jitter[0]", id="method-jitter-negative"),
    pytest.param(lambda: Method(rules=[Proximal(0.1), Proximal(0.2)], dropout=[0.1]), ValueError, "rules",
                 id="method-two-grids"),
    pytest.param(lambda: Method(early_stopping=1), TypeError, "early_stopping", id="method-stop-not-bool"),
    pytest.param(lambda: Method(curve_every=-1), ValueError, "curve_every", id="method-curve-negative"),
    pytest.param(lambda: Method(jitter=[0.5, 1.0], curve_every=5), ValueError, "curve_every",
                 id="method-curve-of-a-grid"),
    pytest.param(lambda: compare({"a": Method()}, n_runs=1, epochs=1, n_validation=200), ValueError,
                 "n_validation", id="compare-validation-all-items"),
    pytest.param(lambda: compare({}, n_runs=1, epochs=1), ValueError, "methods", id="compare-empty"),
    pytest.param(lambda: compare({"a": "L1"}, n_runs=1, epochs=1), TypeError, "methods['a']",
                 id="compare-not-a-method"),
    pytest.param(lambda: sweep([], epochs=1), ValueError, "rules", id="sweep-no-rules"),
    pytest.param(lambda: lam_sweep([], epochs=1), ValueError, "lams", id="lam-sweep-no-lams"),
    pytest.param(lambda: lam_sweep(0.1, epochs=1), TypeError, "lams", id="lam-sweep-a-number"),
    pytest.param(lambda: lam_sweep([0.0, -0.1], epochs=1), ValueError, "lams[1]", id="lam-sweep-negative"),
    pytest.param(lambda: lam_sweep([0.0], epochs=1, tol=0.0), ValueError, "tol", id="lam-sweep-tol"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_input_is_refused_with_its_name(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()
