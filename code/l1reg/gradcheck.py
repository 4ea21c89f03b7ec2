"""Gradients by central finite differences, to check back-propagation against."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from l1reg._validation import check_real


def numerical_gradient(f: Callable[[np.ndarray], float], w, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(w + eps e_i) - f(w - eps e_i)) / (2 eps)`` for every i.

    ``f`` takes a flat float64 vector and returns a number; ``w`` is not modified.
    The error of each entry is O(eps^2) plus round-off of about 1e-16 * |f| / eps.
    """
    eps = check_real(eps, "eps", minimum=0.0, strict=True)
    w = np.array(w, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"w must be a 1-D vector, got shape {w.shape}")
    grad = np.empty_like(w)
    for i in range(w.size):
        saved = w[i]
        w[i] = saved + eps
        up = f(w)
        w[i] = saved - eps
        down = f(w)
        w[i] = saved
        grad[i] = (up - down) / (2.0 * eps)
    return grad


def network_numerical_gradient(net, x, t, eps: float = 1e-6) -> np.ndarray:
    """Finite-difference gradient of ``net.objective(x, t)`` (error + penalty)."""
    start = net.get_flat()

    def objective(flat: np.ndarray) -> float:
        net.set_flat(flat)
        return net.objective(x, t)

    try:
        return numerical_gradient(objective, start, eps)
    finally:
        net.set_flat(start)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / max(|a|, |b|)`` elementwise, ignoring entries where both are 0."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    scale = np.maximum(np.abs(a), np.abs(b))
    mask = scale > 0
    if not mask.any():
        return 0.0
    return float(np.max(np.abs(a - b)[mask] / scale[mask]))
