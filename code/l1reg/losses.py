"""Training errors and their gradients with respect to the output layer's sums.

Each loss is the mean, over the items in ``o`` and ``t``, of one item's error, so a
batch of one item gives exactly that item's error and gradient (the demo's per-item
SGD). ``o`` holds softmax outputs and ``t`` one-hot targets, both (items x classes).

The ``*_signal`` functions return ``dE/dz``, where ``z`` is the output layer's sums
before softmax (``o = softmax(z)``): back-propagation starts from there.

All functions also accept a stack of such arrays (a leading replica axis); the error
is then one number per replica.

``SHORTCUTS`` holds one deliberately wrong signal, the "softmax shortcut" some
from-scratch code uses with squared error; it is kept apart from ``LOSSES`` so that no
network uses it by accident (``l1reg.gradcheck.with_shortcut`` opts in).
"""

from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``exp(z_k) / sum_j exp(z_j)``, shifted by the row max for safety."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def squared_error(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mean over items of ``E = 1/2 * sum_k (t_k - o_k)^2``."""
    return 0.5 * np.sum((t - o) ** 2, axis=(-2, -1)) / o.shape[-2]


def squared_error_signal(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``dE/dz`` for squared error through the full softmax Jacobian.

    ``dE/do = o - t`` and ``do_k/dz_j = o_k * (delta_kj - o_j)``, so
    ``dE/dz_j = o_j * ((o_j - t_j) - sum_k (o_k - t_k) * o_k)``.
    The shortcut ``(o - t) * o * (1 - o)`` keeps only the Jacobian's diagonal.
    """
    g = o - t
    return o * (g - np.sum(g * o, axis=-1, keepdims=True)) / o.shape[-2]


def cross_entropy(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mean over items of ``E = -sum_k t_k * log(o_k)``."""
    # o can underflow to 0 for a confident wrong answer; the floor keeps E finite. It is
    # 1e-300 in float64 and the smallest normal number in a narrower float (in float32,
    # 1e-300 would itself round to 0).
    floor = 1e-300 if o.dtype == np.float64 else np.finfo(o.dtype).tiny
    return -np.sum(t * np.log(np.maximum(o, floor)), axis=(-2, -1)) / o.shape[-2]


def cross_entropy_signal(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``dE/dz = o - t``: softmax and cross-entropy together simplify to this."""
    return (o - t) / o.shape[-2]


LOSSES = {
    "squared": (squared_error, squared_error_signal),
    "cross_entropy": (cross_entropy, cross_entropy_signal),
}


def squared_error_diagonal_signal(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The softmax shortcut ``(o - t) * o * (1 - o)``: NOT the gradient of squared error.

    It back-propagates ``dE/do = o - t`` through the diagonal ``do_k/dz_k = o_k (1 - o_k)``
    of the softmax Jacobian only, dropping the off-diagonal terms ``-o_k o_j``; that
    is the right derivative for independent sigmoid outputs, not for softmax. The true
    signal is :func:`squared_error_signal`. With two classes the shortcut is exactly
    half of it; with more classes it also points in another direction.
    """
    return (o - t) * o * (1.0 - o) / o.shape[-2]


# Wrong on purpose, for measuring what a wrong gradient costs: the error is the true
# squared error, the signal is the shortcut. Same (error, signal) layout as LOSSES.
SHORTCUTS = {
    "squared_diagonal": (squared_error, squared_error_diagonal_signal),
}
