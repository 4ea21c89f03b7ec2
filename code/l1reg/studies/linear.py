"""A linear model with squared error and L1, trained by the proximal rule: the Lasso.

The model is ``o = x @ w + b`` and training minimizes

    1/(2n) * sum_i (y_i - o_i)^2 + lam * sum_j |w_j|,

the network's error convention (the mean over items of ``1/2 (t - o)^2``) with the
L1 penalty on the weights and none on the bias. scikit-learn's ``Lasso`` minimizes
``1/(2n) * ||y - Xw - b||^2 + alpha * ||w||_1``: the same function, so ``lam = alpha``.

:func:`fit_lasso_proximal` takes full-batch steps of the
:class:`l1reg.core.update_rules.Proximal` rule (ISTA: a gradient step on the error, then
the soft-threshold) until the weights stop moving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    Flag,
    Int,
    Matrix,
    Optional,
    Real,
    check_matrix,
    validate_fields,
    validate_params,
)
from l1reg.core.update_rules import Proximal


@validate_fields(weights=Array(ndim=1), bias=Real(), n_iter=Int(0), converged=Flag())
@dataclass
class LinearFit:
    """Weights and bias of a fitted linear model, and how the fit went."""

    weights: np.ndarray
    bias: float
    n_iter: int
    converged: bool

    def predict(self, x) -> np.ndarray:
        """``o = x @ w + b`` for each item."""
        return check_matrix(x, "x", n_columns=self.weights.size) @ self.weights + self.bias


@validate_params(x=Matrix(), y=Array(ndim=1), weights=Array(ndim=1), bias=Real(), lam=Real(0.0))
def lasso_objective(x, y, weights, bias: float, lam: float) -> float:
    """``1/(2n) * sum_i (y_i - x_i @ w - b)^2 + lam * sum_j |w_j|``."""
    _check_rows(x, y)
    if weights.shape != (x.shape[1],):
        raise ValueError(f"weights must be a 1-D array with one weight per column of x ({x.shape[1]}), "
                         f"got shape {weights.shape}")
    residual = y - x @ weights - bias
    return float(0.5 * np.mean(residual**2) + lam * np.sum(np.abs(weights)))


@validate_params(x=Matrix(), y=Array(ndim=1), lam=Real(0.0), lr=Optional(Real(0.0, strict=True)),
                 max_iter=Int(), tol=Real(0.0, strict=True))
def fit_lasso_proximal(
    x, y, lam: float, *, lr: float | None = None, max_iter: int = 200_000, tol: float = 1e-12
) -> LinearFit:
    """Minimize :func:`lasso_objective` by full-batch proximal gradient steps (ISTA).

    The bias is not penalized, so for any ``w`` the best bias is
    ``mean(y) - mean(x) @ w``; substituting it leaves the same problem on centred
    inputs and targets. We fit ``w`` there, step by step
    ``w <- soft_threshold(w - lr * xc.T @ (xc @ w - yc) / n, lr * lam)``, and read off
    the bias at the end (scikit-learn centres the same way).

    Parameters
    ----------
    x : array-like, items x features
    y : array-like, items
    lam : float
        The L1 strength, >= 0; equal to scikit-learn's ``alpha``.
    lr : float, optional
        Step size; by default ``1 / L`` with ``L`` the largest eigenvalue of
        ``xc.T @ xc / n``, the largest step with which ISTA is sure to converge.
    max_iter : int, default 200_000
        Most steps to take.
    tol : float, default 1e-12
        Stop when no weight moved by more than ``tol * max(1, max |w|)`` in a step.

    Raises
    ------
    FloatingPointError
        If a weight becomes NaN or infinite (``lr`` far above ``1 / L``): the fit has
        diverged and there is nothing to report as converged.
    """
    _check_rows(x, y)
    rule = Proximal(lam)
    x_mean, y_mean = x.mean(axis=0), y.mean()
    xc, yc = x - x_mean, y - y_mean
    n = len(x)
    if lr is None:
        curvature = np.linalg.eigvalsh(xc.T @ xc / n)[-1]
        if curvature <= 0:
            raise ValueError("x must have at least one column that is not constant")
        lr = 1.0 / curvature

    w, s = np.zeros(x.shape[1]), rule.strengths(np.float64)
    n_iter, converged = 0, False
    while n_iter < max_iter and not converged:
        before = w.copy()
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
            w = w - lr * (xc.T @ (xc @ w - yc)) / n
            w, _ = rule.after_step(np, s, w, lr, ())  # the soft-threshold: w <- soft_threshold(w, lr * lam)
        n_iter += 1
        change = np.max(np.abs(w - before))
        if not np.isfinite(change):
            raise FloatingPointError(
                f"fit_lasso_proximal diverged at step {n_iter}: a weight became NaN or infinite; "
                f"lr={lr:g} is too large (leave lr=None for the safe step 1 / L)"
            )
        converged = bool(change <= tol * max(1.0, np.max(np.abs(w))))
    return LinearFit(weights=w, bias=float(y_mean - x_mean @ w), n_iter=n_iter, converged=converged)


def _check_rows(x: np.ndarray, y: np.ndarray) -> None:
    if len(y) != len(x):
        raise ValueError(f"y must be a 1-D array with one target per row of x ({len(x)}), "
                         f"got shape {y.shape}")
