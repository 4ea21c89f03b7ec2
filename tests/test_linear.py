"""The Lasso by the proximal rule, against scikit-learn's coordinate descent."""

import re

import numpy as np
import pytest

from l1reg import soft_threshold
from l1reg.studies.data import load_diabetes_data
from l1reg.studies.linear import fit_lasso_proximal, lasso_objective

sklearn_linear = pytest.importorskip("sklearn.linear_model")


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes_data()


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.5, 1.0, 5.0])
def test_proximal_rule_reproduces_sklearn_lasso_with_lam_equal_to_alpha(diabetes, alpha):
    x, y = diabetes
    ours = fit_lasso_proximal(x, y, lam=alpha)
    theirs = sklearn_linear.Lasso(alpha=alpha, tol=1e-12, max_iter=1_000_000).fit(x, y)
    assert ours.converged
    np.testing.assert_allclose(ours.weights, theirs.coef_, rtol=0, atol=1e-4)
    assert ours.bias == pytest.approx(theirs.intercept_, abs=1e-4)
    np.testing.assert_array_equal(ours.weights == 0.0, theirs.coef_ == 0.0)  # the same weights are 0


def test_a_different_error_convention_needs_a_different_lam(diabetes):
    # With the error summed over items instead of averaged, the same fit needs lam = n * alpha;
    # with our mean convention, lam = n * alpha is a far stronger penalty.
    x, y = diabetes
    alpha = 0.1
    theirs = sklearn_linear.Lasso(alpha=alpha, tol=1e-12, max_iter=1_000_000).fit(x, y)
    too_strong = fit_lasso_proximal(x, y, lam=len(y) * alpha)
    assert np.all(too_strong.weights == 0.0)
    assert np.sum(theirs.coef_ != 0.0) >= 5


def test_the_solution_satisfies_the_lasso_optimality_conditions(diabetes):
    # At the minimum, a nonzero weight's error gradient is -lam * sign(w); a zero weight's
    # gradient lies in [-lam, lam] (0 is in the sub-differential of the objective).
    x, y = diabetes
    lam = 0.3
    fit = fit_lasso_proximal(x, y, lam)
    grad = -(x.T @ (y - x @ fit.weights - fit.bias)) / len(y)
    nonzero = fit.weights != 0.0
    assert nonzero.any() and (~nonzero).any()
    np.testing.assert_allclose(grad[nonzero], -lam * np.sign(fit.weights[nonzero]), rtol=0, atol=1e-8)
    assert np.all(np.abs(grad[~nonzero]) <= lam + 1e-8)
    best = lasso_objective(x, y, fit.weights, fit.bias, lam)
    rng = np.random.default_rng(0)
    for _ in range(20):
        nudged = fit.weights + rng.normal(scale=0.5, size=fit.weights.size)
        assert lasso_objective(x, y, nudged, fit.bias, lam) > best


def test_lam_zero_is_least_squares(diabetes):
    x, y = diabetes
    fit = fit_lasso_proximal(x, y, lam=0.0, tol=1e-14)
    design = np.column_stack([x, np.ones(len(x))])
    exact = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(fit.weights, exact[:-1], rtol=0, atol=1e-5)
    assert fit.bias == pytest.approx(exact[-1], abs=1e-6)


def test_one_step_is_a_gradient_step_and_a_soft_threshold():
    x = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, -2.0]])
    y = np.array([1.0, 3.0, -4.0])
    lr, lam = 0.1, 0.5
    fit = fit_lasso_proximal(x, y, lam, lr=lr, max_iter=1)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    expected = soft_threshold(lr * xc.T @ yc / 3, lr * lam)  # from w = 0
    np.testing.assert_allclose(fit.weights, expected, rtol=0, atol=1e-15)
    assert fit.n_iter == 1
    assert not fit.converged
    np.testing.assert_allclose(fit.predict(x), x @ fit.weights + fit.bias, rtol=0, atol=1e-15)


def test_objective_value_by_hand():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    y = np.array([1.0, 0.0])
    # residuals 1 - (1*1 + 2*-1 + 0.5) = 1.5 and 0 - (3 + 1 + 0.5) = -4.5
    value = lasso_objective(x, y, np.array([1.0, -1.0]), 0.5, lam=0.2)
    assert value == pytest.approx((1.5**2 + 4.5**2) / 4 + 0.2 * 2, abs=1e-14)


def _names(name):
    return "^" + re.escape(name) + " "


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"y": np.ones(3)}, ValueError, "y"),
        ({"y": np.ones((4, 1))}, ValueError, "y"),
        ({"y": np.array([1.0, np.nan, 0.0, 1.0])}, ValueError, "y"),
        ({"lam": -1.0}, ValueError, "lam"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"tol": 0.0}, ValueError, "tol"),
        ({"x": np.ones((4, 2))}, ValueError, "x"),
        ({"x": np.ones(4)}, ValueError, "x"),
    ],
    ids=["y-short", "y-2-D", "y-nan", "lam-negative", "lr-zero", "max-iter-zero", "tol-zero",
         "x-constant", "x-1-D"],
)
def test_bad_input_is_refused_with_its_name(kwargs, error, name):
    args = {"x": np.arange(8.0).reshape(4, 2) ** 2, "y": np.arange(4.0), "lam": 0.1} | kwargs
    with pytest.raises(error, match=_names(name)):
        fit_lasso_proximal(args.pop("x"), args.pop("y"), args.pop("lam"), **args)
