"""What a penalty does to the weights it is added to: shrinkage, exact zeros, and lam.

Three views of the same question, from the smallest to the demo:

* **One weight.** Near a minimum ``w0`` of the data error with curvature ``a``, the
  error is ``1/2 * a * (w - w0)**2``. Adding a penalty moves the minimum, and for
  each penalty the new minimum has a closed form (:func:`l1_minimizer`,
  :func:`l2_minimizer`, :func:`elastic_net_minimizer`) that
  :func:`minimize_one_weight` checks by a plain numerical search.
* **Two weights.** :func:`l1_ball_optimum` and :func:`l2_ball_optimum` minimize a
  quadratic error inside the L1 diamond ``|w1| + |w2| <= radius`` and the L2 circle
  ``w1**2 + w2**2 <= radius**2``: the picture behind L1's exact zeros.

What a penalty does to the demo network, trained once per ``lam``, is measured in
:func:`l1reg.studies.comparison.lam_sweep`, beside the other sweeps.

Strengths follow :mod:`l1reg.core.penalties` (Keras's conventions): the L2 penalty is
``lam * sum(w**2)``, without a factor 1/2.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from l1reg.core._validation import Array, HasMethods, Real, Values, validate_params
from l1reg.core.penalties import IsPenalty, Penalty, soft_threshold

# The golden ratio's conjugate: each step of the search keeps this share of the bracket.
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0

_CURVATURE = Real(0.0, strict=True)
_STRENGTH = Real(0.0)


# --- one weight: closed forms ------------------------------------------------------------


@validate_params(w0=Values(), a=_CURVATURE, lam=_STRENGTH)
def l1_minimizer(w0, a: float, lam: float) -> np.ndarray:
    """Minimizer of ``1/2*a*(w - w0)**2 + lam*|w|``: ``sign(w0) * max(|w0| - lam/a, 0)``.

    The soft-threshold of ``w0`` at ``lam / a``: every ``|w0| <= lam / a`` gives
    exactly 0, and larger ones move toward 0 by ``lam / a``.

    Parameters
    ----------
    w0 : float or array_like of float
        The unpenalized minimum (one value per weight).
    a : float
        The curvature of the data error at ``w0``, > 0.
    lam : float
        The L1 strength, >= 0.
    """
    return soft_threshold(w0, lam / a)


@validate_params(w0=Values(), a=_CURVATURE, lam=_STRENGTH)
def l2_minimizer(w0, a: float, lam: float) -> np.ndarray:
    """Minimizer of ``1/2*a*(w - w0)**2 + lam*w**2``: ``w0 * a / (a + 2*lam)``.

    Every weight shrinks by the same factor; none becomes 0 unless ``w0`` is 0.
    For the ``lam/2 * w**2`` convention, pass ``lam / 2``.

    Parameters
    ----------
    w0 : float or array_like of float
        The unpenalized minimum.
    a : float
        The curvature of the data error at ``w0``, > 0.
    lam : float
        The L2 strength (Keras's convention), >= 0.
    """
    return w0 * (a / (a + 2.0 * lam))


@validate_params(w0=Values(), a=_CURVATURE, l1=_STRENGTH, l2=_STRENGTH)
def elastic_net_minimizer(w0, a: float, l1: float, l2: float) -> np.ndarray:
    """Minimizer of ``1/2*a*(w - w0)**2 + l1*|w| + l2*w**2``.

    ``soft_threshold(w0, l1/a) * a / (a + 2*l2)``: the L1 step zeroes the small
    values, then the L2 factor shrinks what is left.

    Parameters
    ----------
    w0 : float or array_like of float
        The unpenalized minimum.
    a : float
        The curvature of the data error at ``w0``, > 0.
    l1, l2 : float
        The L1 and L2 strengths, each >= 0 (as in :class:`l1reg.L1L2`).
    """
    return soft_threshold(w0, l1 / a) * (a / (a + 2.0 * l2))


# --- one weight: a numerical check -----------------------------------------------------


_FUNCTION = HasMethods(("__call__",), "callable: a function of one float", example=lambda: abs)


@validate_params(f=_FUNCTION, low=Real(), high=Real(), tol=Real(0.0, strict=True))
def golden_section_minimize(
    f: Callable[[float], float], low: float, high: float, tol: float = 1e-12
) -> float:
    """The minimizer of a unimodal ``f`` on ``[low, high]``, by golden-section search.

    Each step drops the part of the bracket that cannot hold the minimum, keeping
    0.618 of it, until the bracket is narrower than ``tol``. It needs no
    derivative, so the kink of ``|w|`` at 0 does not bother it.

    A bracket cannot get narrower than a few float spacings at its ends (about
    ``2e-16 * |high|``): the search also stops when a step no longer shrinks it, so a
    ``tol`` finer than that means "as fine as float64 allows" and the search always
    ends (after at most 2,000 steps). ``f`` must return finite numbers: a NaN
    or an infinity raises a ValueError naming the point.
    """
    if high < low:
        raise ValueError(f"high must be >= low, got low={low:g}, high={high:g}")
    if not math.isfinite(high - low):
        raise ValueError(f"high - low must be a finite width, got low={low:g}, high={high:g}")
    c, d = high - _GOLDEN * (high - low), low + _GOLDEN * (high - low)
    fc, fd = _finite_value(f, c), _finite_value(f, d)
    width = math.inf
    for _ in range(_MAX_STEPS):
        # narrow enough, or stalled at float spacing (the bracket stopped shrinking)
        if high - low <= tol or high - low >= width:
            break
        width = high - low
        if fc <= fd:  # the minimum is not right of d
            high, d, fd = d, c, fc
            c = high - _GOLDEN * (high - low)
            fc = _finite_value(f, c)
        else:  # the minimum is not left of c
            low, c, fc = c, d, fd
            d = low + _GOLDEN * (high - low)
            fd = _finite_value(f, d)
    return (low + high) / 2.0


# Enough steps to shrink the widest finite bracket (about 3.6e308) to the spacing of
# the smallest subnormal float: 0.618**2000 is about 1e-418.
_MAX_STEPS = 2000


def _finite_value(f: Callable[[float], float], w: float):
    """``f(w)``, refused unless it is a finite real number (a NaN would steer the search blindly)."""
    value = f(w)
    real = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not real or not math.isfinite(value):
        raise ValueError(f"f must return a finite real number, got {value!r} at {w!r}")
    return value


_PENALTY = IsPenalty()


@validate_params(w=Real(), w0=Real(), a=_CURVATURE, penalty=_PENALTY)
def one_weight_objective(w: float, w0: float, a: float, penalty: Penalty) -> float:
    """The penalized error of one weight: ``1/2*a*(w - w0)**2 + penalty(w)``."""
    return 0.5 * a * (w - w0) ** 2 + penalty(np.array([w]))


_one_weight_objective = one_weight_objective.__wrapped__  # the search calls it unchecked, many times


@validate_params(w0=Real(), a=_CURVATURE, penalty=_PENALTY, tol=Real(0.0, strict=True))
def minimize_one_weight(w0: float, a: float, penalty: Penalty, tol: float = 1e-12) -> float:
    """Minimize :func:`one_weight_objective` numerically, knowing no closed form.

    All three penalties pull toward 0 and are convex, so the minimizer lies between
    0 and ``w0``; the search brackets that interval, widened by 1 on each side.
    """
    return golden_section_minimize(
        lambda w: _one_weight_objective(w, w0, a, penalty), min(w0, 0.0) - 1.0, max(w0, 0.0) + 1.0, tol
    )


# --- two weights: the constrained optimum -----------------------------------------------


def _check_problem(w_hat: np.ndarray, h: np.ndarray) -> None:
    if w_hat.shape != (2,):
        raise ValueError(f"w_hat must have shape (2,), got {w_hat.shape}")
    if h.shape != (2, 2):
        raise ValueError(f"h must have shape (2, 2), got {h.shape}")
    if h[0, 1] != h[1, 0] or np.any(np.linalg.eigvalsh(h) <= 0.0):
        raise ValueError("h must be symmetric positive definite")


@validate_params(w=Values(), w_hat=Array(ndim=1), h=Array(ndim=2))
def quadratic_error(w, w_hat, h) -> np.ndarray:
    """``1/2 * (w - w_hat)^T h (w - w_hat)`` for each vector along the last axis of ``w``."""
    if w.shape[-1:] != w_hat.shape:
        raise ValueError(f"w must end in an axis of w_hat's length {w_hat.size}, got shape {w.shape}")
    if h.shape != (w_hat.size, w_hat.size):
        raise ValueError(f"h must be a {w_hat.size} x {w_hat.size} matrix (w_hat's length), "
                         f"got shape {h.shape}")
    d = w - w_hat
    return 0.5 * np.einsum("...i,ij,...j->...", d, h, d)


_BALL = {"w_hat": Array(ndim=1), "h": Array(ndim=2), "radius": Real(0.0, strict=True)}


@validate_params(**_BALL)
def l1_ball_optimum(w_hat, h, radius: float) -> np.ndarray:
    """Minimize ``quadratic_error(w, w_hat, h)`` subject to ``|w1| + |w2| <= radius``.

    If ``w_hat`` is inside the diamond it is the answer. Otherwise the answer is on
    the diamond's edge: on each of its four sides the error is a parabola in the
    position along the side, minimized in closed form and clipped to the side; the
    best of the four wins. A clip to a side's end is a corner, where a weight is 0.
    """
    _check_problem(w_hat, h)
    if np.abs(w_hat).sum() <= radius:
        return w_hat.copy()
    corners = radius * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    best, best_error = None, np.inf
    for p, q in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        d = q - p
        tau = float(np.clip(d @ h @ (w_hat - p) / (d @ h @ d), 0.0, 1.0))
        if min(tau, 1.0 - tau) < 1e-12:  # a corner up to round-off: make its zero exact
            tau = round(tau)
        w = p + tau * d  # tau = 0 or 1 gives a corner exactly: p or p + (q - p) = q
        error = quadratic_error(w, w_hat, h)
        if error < best_error:
            best, best_error = w, error
    return best


@validate_params(**_BALL)
def l2_ball_optimum(w_hat, h, radius: float) -> np.ndarray:
    """Minimize ``quadratic_error(w, w_hat, h)`` subject to ``w1**2 + w2**2 <= radius**2``.

    Outside the circle, the optimum is ``w(mu) = (h + mu*I)^-1 h w_hat`` for the
    ``mu >= 0`` that puts it on the circle (a Lagrange multiplier); ``|w(mu)|`` falls
    as ``mu`` grows, so bisection finds ``mu``.
    """
    _check_problem(w_hat, h)
    if np.linalg.norm(w_hat) <= radius:
        return w_hat.copy()
    d, q = np.linalg.eigh(h)
    c = q.T @ w_hat

    def w_of(mu: float) -> np.ndarray:
        return q @ (d * c / (d + mu))

    low, high = 0.0, 1.0
    while np.linalg.norm(w_of(high)) > radius:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if np.linalg.norm(w_of(mid)) > radius:
            low = mid
        else:
            high = mid
    return w_of(high)
