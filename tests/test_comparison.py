"""The sweeps of update rules on the demo's data, the weight path and the sweep over lam."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg import L1, Network, fit
from l1reg.book import plots
from l1reg.core.update_rules import Proximal, SubGradient
from l1reg.studies.comparison import WeightPath, lam_sweep, sweep
from l1reg.studies.demo import LAM, run_demo


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
    pytest.param(lambda: sweep([], epochs=1), ValueError, "rules", id="sweep-no-rules"),
    pytest.param(lambda: sweep([L1(0.1)], epochs=1), TypeError, "rules[0]", id="sweep-rule-a-penalty"),
    pytest.param(lambda: lam_sweep([], epochs=1), ValueError, "lams", id="lam-sweep-no-lams"),
    pytest.param(lambda: lam_sweep(0.1, epochs=1), TypeError, "lams", id="lam-sweep-a-number"),
    pytest.param(lambda: lam_sweep([0.0, -0.1], epochs=1), ValueError, "lams[1]", id="lam-sweep-negative"),
    pytest.param(lambda: lam_sweep([0.0], epochs=1, tol=0.0), ValueError, "tol", id="lam-sweep-tol"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_input_is_refused_with_its_name(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()
