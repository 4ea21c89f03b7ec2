"""The loan data of the overfitting chapter, and the plots that show it."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg import Network
from l1reg.book import plots
from l1reg.core.training import History
from l1reg.studies.data import (
    LOAN_INTERCEPT,
    LOAN_SLOPE,
    LoanData,
    loan_boundary,
    loan_true_classes,
    make_loan_data,
    make_loan_replicas,
)


def _names(name: str) -> str:
    """A pattern for an error message that begins with ``name`` and a space."""
    return "^" + re.escape(name) + " "


# --- the true boundary ----------------------------------------------------------------------


def test_boundary_is_the_line_debt_equals_0_8_income_plus_0_1():
    assert (LOAN_SLOPE, LOAN_INTERCEPT) == (0.8, 0.1)
    np.testing.assert_allclose(loan_boundary([-1.0, 0.0, 0.5, 1.0]), [-0.7, 0.1, 0.5, 0.9])


def test_true_classes_of_hand_picked_applicants():
    x = np.array([
        [0.5, 0.4],    # boundary at 0.5: debt below it, approved
        [0.5, 0.6],    # debt above it, rejected
        [-1.0, -0.8],  # boundary at -0.7: approved
        [-1.0, -0.6],  # rejected
        [0.0, 0.1],    # exactly on the line: not below it, rejected
    ])
    np.testing.assert_array_equal(loan_true_classes(x), [1, 0, 1, 0, 0])


# --- make_loan_data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loans() -> LoanData:
    return make_loan_data(500, seed=7, flip=0.1)


def test_shapes_and_types(loans):
    assert loans._fields == ("x", "t", "flipped")
    assert loans.x.shape == (500, 2)
    assert loans.t.shape == (500, 2)
    assert loans.flipped.shape == (500,)
    assert loans.flipped.dtype == bool
    np.testing.assert_array_equal(loans.t.sum(axis=1), 1.0)
    assert set(np.unique(loans.t).tolist()) == {0.0, 1.0}


def test_inputs_fill_minus_one_to_one(loans):
    assert np.all(np.abs(loans.x) <= 1.0)
    assert loans.x.min() < -0.98
    assert loans.x.max() > 0.98


def test_labels_are_the_true_classes_except_where_flipped(loans):
    recorded = np.argmax(loans.t, axis=1)
    true = loan_true_classes(loans.x)
    np.testing.assert_array_equal(recorded != true, loans.flipped)
    assert 0 < loans.flipped.sum() < 500


def test_both_classes_are_common(loans):
    share = loans.t[:, 1].mean()
    assert 0.4 < share < 0.65  # the line cuts the square a little below its middle


def test_same_seed_same_data_and_a_generator_works_like_its_int():
    a = make_loan_data(30, seed=3, flip=0.2)
    b = make_loan_data(30, seed=3, flip=0.2)
    c = make_loan_data(30, seed=np.random.default_rng(3), flip=0.2)
    for u, v, w in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(u, w)


def test_another_seed_gives_other_data():
    a, b = make_loan_data(30, seed=3), make_loan_data(30, seed=4)
    assert not np.array_equal(a.x, b.x)


def test_the_flip_rate_changes_the_labels_but_not_the_inputs():
    clean = make_loan_data(200, seed=5, flip=0.0)
    noisy = make_loan_data(200, seed=5, flip=0.3)
    np.testing.assert_array_equal(clean.x, noisy.x)
    assert not clean.flipped.any()
    np.testing.assert_array_equal(np.argmax(clean.t, axis=1), loan_true_classes(clean.x))
    assert noisy.flipped.any()


@pytest.mark.parametrize("flip", [0.05, 0.1, 0.3, 0.5])
def test_the_flip_rate_is_what_was_asked(flip):
    n = 20_000
    flipped = make_loan_data(n, seed=11, flip=flip).flipped
    sd = np.sqrt(flip * (1 - flip) / n)  # binomial standard deviation of the rate
    assert abs(flipped.mean() - flip) < 4 * sd


def test_flips_do_not_depend_on_the_class():
    loans = make_loan_data(20_000, seed=12, flip=0.2)
    true = loan_true_classes(loans.x)
    rates = [loans.flipped[true == k].mean() for k in (0, 1)]
    assert abs(rates[0] - rates[1]) < 0.02


BAD_DATA = [
    pytest.param(lambda: make_loan_data(0, seed=0), ValueError, "n_items", id="no-items"),
    pytest.param(lambda: make_loan_data(2.5, seed=0), TypeError, "n_items", id="float-items"),
    pytest.param(lambda: make_loan_data(5, seed=0, flip=-0.1), ValueError, "flip", id="negative-flip"),
    pytest.param(lambda: make_loan_data(5, seed=0, flip=0.6), ValueError, "flip", id="flip-above-half"),
    pytest.param(lambda: make_loan_data(5, seed=0, flip=float("nan")), ValueError, "flip", id="nan-flip"),
    pytest.param(lambda: make_loan_data(5, seed=0, flip="0.1"), TypeError, "flip", id="string-flip"),
    pytest.param(lambda: make_loan_data(5, seed=-1), ValueError, "seed", id="negative-seed"),
    pytest.param(lambda: make_loan_data(5, seed=None), TypeError, "seed", id="no-seed"),
    pytest.param(lambda: loan_true_classes(np.zeros(2)), ValueError, "x", id="x-1-D"),
    pytest.param(lambda: loan_true_classes(np.zeros((3, 3))), ValueError, "x", id="x-three-columns"),
    pytest.param(lambda: make_loan_replicas(5, []), ValueError, "seeds", id="no-seeds"),
    pytest.param(lambda: make_loan_replicas(5, 3), ValueError, "seeds", id="seeds-not-a-list"),
    pytest.param(lambda: make_loan_replicas(5, [0, 1], flip=0.9), ValueError, "flip", id="replica-flip"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD_DATA)
def test_bad_input_is_refused_by_name(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()


def test_flip_of_exactly_one_half_is_allowed():
    assert make_loan_data(10, seed=0, flip=0.5).x.shape == (10, 2)


# --- make_loan_replicas ---------------------------------------------------------------------


def test_replicas_stack_one_data_set_per_seed():
    stacked = make_loan_replicas(40, [3, 8, 9], flip=0.2)
    assert stacked.x.shape == (3, 40, 2)
    assert stacked.t.shape == (3, 40, 2)
    assert stacked.flipped.shape == (3, 40)
    for i, seed in enumerate([3, 8, 9]):
        single = make_loan_data(40, seed=seed, flip=0.2)
        for part, whole in zip(single, stacked, strict=True):
            np.testing.assert_array_equal(whole[i], part)


# --- plots ----------------------------------------------------------------------------------


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_data_plot_labels_its_axes_and_marks_the_flipped_items(ax):
    loans = make_loan_data(60, seed=1, flip=0.2)
    plots.plot_loan_data(ax, loans.x, loans.t, loans.flipped)
    plots.plot_true_boundary(ax)
    ax.legend()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("income (normalized)", "debt (normalized)")
    assert _legend(ax) == [
        "recorded rejected", "recorded approved", "label flipped by noise", "true boundary",
    ]
    ringed = ax.collections[2].get_offsets()
    np.testing.assert_array_equal(ringed, loans.x[loans.flipped])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [-0.7, 0.9])


def test_decision_boundary_plot_draws_the_half_way_contour(ax):
    net = Network(2, 3, 2, seed=0, init_range=1.0)
    plots.plot_decision_boundary(ax, net, plots.MODEL_COLORS["with L1"], "with L1", resolution=41)
    ax.legend()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("income (normalized)", "debt (normalized)")
    assert _legend(ax) == ["with L1"]
    segments = [s for s in ax.collections[0].allsegs[0] if len(s)]
    assert segments  # this network does switch class somewhere in the square
    points = np.concatenate(segments)
    np.testing.assert_allclose(net.predict_proba(points)[:, 1], 0.5, atol=0.02)


def test_shading_tints_the_two_predicted_regions(ax):
    net = Network(2, 3, 2, seed=0, init_range=1.0)
    plots.plot_decision_boundary(ax, net, "k", "net", resolution=21, shade=True)
    tint, line = ax.collections
    assert list(tint.levels) == [0.0, 0.5, 1.0]
    assert list(line.levels) == [0.5]
    # rejected stays clear, approved is grey: colour is left to the models
    assert tint.get_facecolor()[0][3] == 0.0
    np.testing.assert_allclose(tint.get_facecolor()[1], plots.APPROVED_TINT)
    ax.legend()
    assert _legend(ax)[0] == "predicted approved"


def test_true_boundary_plot_alone_labels_its_axes(ax):
    plots.plot_true_boundary(ax)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("income (normalized)", "debt (normalized)")


def test_a_network_with_one_class_everywhere_gets_no_line_and_says_so(ax):
    net = Network(2, 3, 2, seed=0)
    net.params["o_biases"][:] = [0.0, 5.0]  # approves everyone, by far
    plots.plot_decision_boundary(ax, net, "k", "net", resolution=11)  # warnings are errors here
    ax.legend()
    assert not ax.collections
    plots.plot_decision_boundary(ax, net, "k", "net", resolution=11, shade=True)
    assert len(ax.collections) == 1  # the tint, and still no line
    assert _legend(ax) == ["net (one class everywhere)"]


def test_decision_boundary_plot_refuses_a_one_point_grid(ax):
    with pytest.raises(ValueError, match=_names("resolution")):
        plots.plot_decision_boundary(ax, Network(2, 3, 2, seed=0), "k", "net", resolution=1)


def test_error_curves_plot_labels_its_axes_and_lines(ax):
    histories = {label: History([0.5, 0.4], [0.8, 0.9], [0.6, 0.7], [0.7, 0.6])
                 for label in ("without L1", "with L1")}
    plots.plot_error_curves(ax, histories)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "error E (mean per item)")
    assert _legend(ax) == [
        "without L1, training", "without L1, test", "with L1, training", "with L1, test",
    ]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.6, 0.7])


def test_sorted_weights_plot_draws_every_magnitude_largest_first_with_zeros_at_the_floor(ax):
    weights = {"without L1": np.array([0.5, -3.0, 2.0, 0.1]), "with L1": np.array([0.0, 1.0, -0.2, 0.0])}
    plots.plot_sorted_weights(ax, weights, floor=1e-6)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("rank of the weight (1 = largest |w|)", "|w| (log scale)")
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [3.0, 2.0, 0.5, 0.1])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1.0, 0.2, 1e-6, 1e-6])
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [1, 2, 3, 4])
    assert [line.get_linestyle() for line in ax.lines] == ["-", "-."]
    assert _legend(ax) == ["without L1", "with L1"]


def test_sorted_weights_plot_refuses_a_bad_floor(ax):
    with pytest.raises(ValueError, match=_names("floor")):
        plots.plot_sorted_weights(ax, {"with L1": np.ones(3)}, floor=0.0)


def test_learning_curve_plot_shows_means_in_percent(ax):
    acc = {"without L1": np.array([[0.7, 0.8], [0.85, 0.87]]), "with L1": np.array([[0.8, 0.8], [0.88, 0.9]])}
    plots.plot_learning_curve(ax, [25, 50], acc, ceiling=0.9)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("training items", "test accuracy (%)")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [75.0, 86.0])
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [25, 50], rtol=0.03)  # nudged, not moved
    assert [t.get_text() for t in ax.get_xticklabels()] == ["25", "50"]
    assert _legend(ax) == ["best possible", "without L1", "with L1"]


def test_legend_below_lists_each_label_once():
    fig, axes = plt.subplots(1, 2)
    for ax, label in zip(axes, ("without L1", "with L1"), strict=True):
        ax.plot([0, 1], [0, 1], label=label)
        plots.plot_true_boundary(ax)
    plots.legend_below(fig, axes, ncol=3)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["without L1", "true boundary", "with L1"]
    with pytest.raises(ValueError, match=_names("ncol")):
        plots.legend_below(fig, axes, ncol=0)
    plt.close(fig)
