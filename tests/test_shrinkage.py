"""One-weight minimizers, the two-weight constrained optima and their plots."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg import L1, L1L2, L2
from l1reg.book import plots
from l1reg.studies import shrinkage

W0 = np.linspace(-3.0, 3.0, 61)
# A numerical search can only be accurate to about sqrt(machine epsilon) ~ 1e-8: where
# |w0| = lam / a the objective is flat to second order next to its minimum.
SEARCH_TOL = 1e-7
CASES = [(1.0, 0.5), (2.0, 1.0), (0.5, 0.1), (3.0, 0.0)]  # (a, lam)


def _names(name: str) -> str:
    """A pattern for an error message that begins with ``name`` and a space."""
    return "^" + re.escape(name) + " "


def _numerical(w0s, a, penalty) -> np.ndarray:
    return np.array([shrinkage.minimize_one_weight(w0, a, penalty) for w0 in w0s])


# --- one weight -----------------------------------------------------------------------------


def test_golden_section_finds_a_smooth_and_a_kinked_minimum():
    smooth = shrinkage.golden_section_minimize(lambda x: (x - 0.3) ** 2, -2.0, 5.0)
    kinked = shrinkage.golden_section_minimize(lambda x: abs(x - 0.7), -2.0, 5.0)
    assert smooth == pytest.approx(0.3, abs=1e-7)  # flat at its minimum: ~sqrt(eps) accuracy
    assert kinked == pytest.approx(0.7, abs=1e-11)


@pytest.mark.parametrize(("a", "lam"), CASES)
def test_l1_closed_form_matches_a_numerical_minimization(a, lam):
    closed = shrinkage.l1_minimizer(W0, a, lam)
    np.testing.assert_allclose(closed, _numerical(W0, a, L1(lam)), atol=SEARCH_TOL)


@pytest.mark.parametrize(("a", "lam"), CASES)
def test_l2_closed_form_matches_a_numerical_minimization(a, lam):
    closed = shrinkage.l2_minimizer(W0, a, lam)
    np.testing.assert_allclose(closed, _numerical(W0, a, L2(lam)), atol=SEARCH_TOL)


@pytest.mark.parametrize(("a", "l1", "l2"), [(1.0, 0.5, 0.5), (2.0, 1.0, 0.25), (0.5, 0.0, 0.3)])
def test_elastic_net_closed_form_matches_a_numerical_minimization(a, l1, l2):
    np.testing.assert_allclose(
        shrinkage.elastic_net_minimizer(W0, a, l1, l2), _numerical(W0, a, L1L2(l1, l2)), atol=SEARCH_TOL
    )


def test_l1_closed_form_matches_a_brute_force_grid():
    # An independent check: the best of 600,001 grid points for each w0.
    grid = np.linspace(-3.0, 3.0, 600_001)
    for w0 in (-2.5, -0.4, 0.0, 0.7, 1.3):
        objective = 0.5 * 2.0 * (grid - w0) ** 2 + 1.0 * np.abs(grid)
        assert shrinkage.l1_minimizer(w0, 2.0, 1.0) == pytest.approx(grid[np.argmin(objective)], abs=1e-5)


def test_l1_gives_exact_zeros_inside_the_threshold_and_shifts_outside():
    # a = 2, lam = 1: threshold lam / a = 0.5
    w = shrinkage.l1_minimizer(np.array([-2.0, -0.5, -0.1, 0.0, 0.3, 0.5, 1.25]), 2.0, 1.0)
    np.testing.assert_array_equal(w, [-1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.75])


def test_l2_shrinks_by_a_constant_factor_and_never_to_zero():
    w0 = np.array([-2.0, -1e-3, 1e-3, 4.0])
    w = shrinkage.l2_minimizer(w0, 1.0, 1.5)  # factor a / (a + 2 lam) = 1 / 4
    np.testing.assert_allclose(w, w0 / 4.0, rtol=1e-15)
    assert np.all(w != 0.0)


def test_the_half_lam_convention_is_lam_over_two():
    # 1/2 a (w - w0)^2 + lam/2 w^2 has its minimum at w0 a / (a + lam).
    w0, a, lam = np.array([1.0, -3.0]), 2.0, 0.8
    np.testing.assert_allclose(shrinkage.l2_minimizer(w0, a, lam / 2), w0 * a / (a + lam), rtol=1e-15)


def test_elastic_net_reduces_to_l1_and_to_l2():
    np.testing.assert_array_equal(shrinkage.elastic_net_minimizer(W0, 2.0, 0.7, 0.0),
                                  shrinkage.l1_minimizer(W0, 2.0, 0.7))
    np.testing.assert_allclose(shrinkage.elastic_net_minimizer(W0, 2.0, 0.0, 0.7),
                               shrinkage.l2_minimizer(W0, 2.0, 0.7), rtol=1e-15)


def test_worked_example_penalty_through_the_one_weight_objective():
    # At w = w0 the data term is 0, so the objective is the penalty: 0.10 * (6 + 2 + 4) = 1.20.
    total = sum(shrinkage.one_weight_objective(w, w, 1.0, L1(0.10)) for w in (6.0, -2.0, 4.0))
    assert total == pytest.approx(1.20, abs=1e-12)


def test_minimizers_keep_the_shape():
    w0 = np.ones((3, 2))
    assert shrinkage.l1_minimizer(w0, 1.0, 0.1).shape == (3, 2)
    assert shrinkage.l2_minimizer(w0, 1.0, 0.1).shape == (3, 2)


# --- two weights ----------------------------------------------------------------------------

H = np.array([[1.0, 0.6], [0.6, 0.8]])
W_HAT = np.array([2.0, 0.8])


def _best_on(points: np.ndarray, w_hat, h) -> np.ndarray:
    return points[np.argmin(shrinkage.quadratic_error(points, w_hat, h))]


def test_quadratic_error_value():
    # 1/2 * (1, -1) H (1, -1)^T = 1/2 * (1 - 1.2 + 0.8) = 0.3
    assert shrinkage.quadratic_error(np.array([3.0, -0.2]), W_HAT, H) == pytest.approx(0.3, abs=1e-15)


def test_l1_optimum_of_the_chapter_example_is_an_exact_corner():
    w = shrinkage.l1_ball_optimum(W_HAT, H, 1.0)
    assert w[0] == 1.0
    assert w[1] == 0.0


def test_l1_optimum_matches_a_search_along_the_diamond():
    s = np.linspace(0.0, 1.0, 100_001)
    sides = [(1 - s, s), (-s, 1 - s), (s - 1, -s), (s, s - 1)]
    boundary = 1.5 * np.concatenate([np.stack(side, axis=1) for side in sides])
    for w_hat in (W_HAT, np.array([0.3, 1.5]), np.array([-2.0, 0.5]), np.array([2.0, 2.0])):
        np.testing.assert_allclose(
            shrinkage.l1_ball_optimum(w_hat, H, 1.5), _best_on(boundary, w_hat, H), atol=1e-4
        )


def test_l1_optimum_on_a_side_when_the_error_is_round():
    # H = I: the closest point of the diamond to (2, 2) is the middle of a side.
    np.testing.assert_allclose(shrinkage.l1_ball_optimum([2.0, 2.0], np.eye(2), 1.0), [0.5, 0.5], rtol=1e-15)


def test_l2_optimum_matches_a_search_along_the_circle():
    angle = np.linspace(0.0, 2 * np.pi, 200_001)
    circle = 1.5 * np.stack([np.cos(angle), np.sin(angle)], 1)
    for w_hat in (W_HAT, np.array([0.3, 1.5]), np.array([-2.0, 0.5])):
        w = shrinkage.l2_ball_optimum(w_hat, H, 1.5)
        assert np.linalg.norm(w) == pytest.approx(1.5, abs=1e-12)
        np.testing.assert_allclose(w, _best_on(circle, w_hat, H), atol=1e-4)


def test_l2_optimum_satisfies_the_lagrange_condition():
    # grad E = H (w - w_hat) = -mu w with mu > 0: the gradient points straight into the circle.
    w = shrinkage.l2_ball_optimum(W_HAT, H, 1.0)
    grad = H @ (w - W_HAT)
    assert grad[0] * w[1] - grad[1] * w[0] == pytest.approx(0.0, abs=1e-12)
    assert grad @ w < 0
    assert np.all(w != 0.0)


def test_a_minimum_inside_the_constraint_is_returned_unchanged():
    w_hat = np.array([0.2, -0.3])
    np.testing.assert_array_equal(shrinkage.l1_ball_optimum(w_hat, H, 1.0), w_hat)
    np.testing.assert_array_equal(shrinkage.l2_ball_optimum(w_hat, H, 1.0), w_hat)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: shrinkage.l1_minimizer([1.0, np.nan], 1.0, 0.1), ValueError, "w0"),
        (lambda: shrinkage.l1_minimizer("1.0", 1.0, 0.1), TypeError, "w0"),
        (lambda: shrinkage.l1_minimizer([True, False], 1.0, 0.1), TypeError, "w0"),
        (lambda: shrinkage.l1_minimizer([1.0, 1j], 1.0, 0.1), TypeError, "w0"),
        (lambda: shrinkage.l1_minimizer(1.0, 0.0, 0.1), ValueError, "a"),
        (lambda: shrinkage.l1_minimizer(1.0, 1.0, -0.1), ValueError, "lam"),
        (lambda: shrinkage.l2_minimizer(1.0, -1.0, 0.1), ValueError, "a"),
        (lambda: shrinkage.l2_minimizer(1.0, 1.0, np.inf), ValueError, "lam"),
        (lambda: shrinkage.elastic_net_minimizer(1.0, 1.0, -1.0, 0.1), ValueError, "l1"),
        (lambda: shrinkage.elastic_net_minimizer(1.0, 1.0, 0.1, "x"), TypeError, "l2"),
        (lambda: shrinkage.golden_section_minimize(3.0, 0.0, 1.0), TypeError, "f"),
        (lambda: shrinkage.golden_section_minimize(abs, 1.0, 0.0), ValueError, "high"),
        (lambda: shrinkage.golden_section_minimize(abs, 0.0, 1.0, tol=0.0), ValueError, "tol"),
        (lambda: shrinkage.minimize_one_weight(1.0, 1.0, 0.1), TypeError, "penalty"),
        (lambda: shrinkage.minimize_one_weight(1.0, 0.0, L1(0.1)), ValueError, "a"),
        (lambda: shrinkage.l1_ball_optimum([1.0, 2.0, 3.0], H, 1.0), ValueError, "w_hat"),
        (lambda: shrinkage.l1_ball_optimum(W_HAT, np.eye(3), 1.0), ValueError, "h"),
        (lambda: shrinkage.l2_ball_optimum(W_HAT, [[1.0, 2.0], [2.0, 1.0]], 1.0), ValueError, "h"),
        (lambda: shrinkage.l2_ball_optimum(W_HAT, [[1.0, 0.1], [0.2, 1.0]], 1.0), ValueError, "h"),
        (lambda: shrinkage.l2_ball_optimum(W_HAT, H, 0.0), ValueError, "radius"),
    ],
)
def test_bad_input_is_refused_by_name(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()


# --- plots ----------------------------------------------------------------------------------


def _labelled(ax) -> bool:
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def test_one_weight_plot_labels_its_axes_and_lines():
    fig, ax = plt.subplots()
    curves = {"L1": shrinkage.l1_minimizer(W0, 1.0, 0.5), "L2": shrinkage.l2_minimizer(W0, 1.0, 0.5)}
    plots.plot_one_weight_minimizers(ax, W0, curves, threshold=0.5)
    assert _labelled(ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["no penalty", "|w0| <= 0.5: L1 gives 0", "L1", "L2"]
    plt.close(fig)


def test_contour_plot_labels_its_axes_and_marks_both_optima():
    fig, ax = plt.subplots()
    optima = {"L1": shrinkage.l1_ball_optimum(W_HAT, H, 1.0), "L2": shrinkage.l2_ball_optimum(W_HAT, H, 1.0)}
    plots.plot_constrained_optima(ax, W_HAT, H, 1.0, optima)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("w1", "w2")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "L1 optimum (1.00, 0.00)" in labels
    assert "L2 optimum (0.83, 0.56)" in labels
    plt.close(fig)
