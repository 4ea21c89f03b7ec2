"""The max-norm constraint: cap the length of each unit's incoming weight vector.

After every gradient step, each column ``W[:, j]`` of a weight matrix (the weights
into unit ``j``) longer than ``c`` is scaled back to length ``c``; shorter columns are
left alone. The weights stay free inside the ball and cannot grow past it. Srebro and
Shraibman (2005) studied the max-norm as a measure of complexity; Srivastava et al.
(2014) found the constraint works well with dropout.
"""

from __future__ import annotations

import numpy as np

from l1reg.core._validation import Instance, Real, Strength, Values, validate_params
from l1reg.core.update_rules import TINY, UpdateRule


@validate_params(
    w=Instance(np.ndarray, "a float array (inputs x units) to scale in place",
               example=lambda: np.ones((2, 2))),
    max_norm=Values(minimum=0.0, strict=True),
)
def cap_column_norms(w: np.ndarray, max_norm) -> None:
    """Scale in place each column longer than ``max_norm``: ``W[:, j] *= min(1, c / |W[:, j]|)``.

    Works on one matrix (inputs x units) or a stack of them (a leading replica axis);
    ``max_norm`` is a number or one number per replica (a column, replicas x 1), each
    finite and > 0.
    """
    if w.dtype.kind != "f" or w.ndim < 2:
        raise TypeError(f"w must be a float array (inputs x units) to scale in place, "
                        f"got {w.dtype} array of shape {w.shape}")
    w[...] = _cap(np, w, max_norm[..., None])


def _cap(xp, w, c):
    """:func:`cap_column_norms`'s formula for any array namespace, unchecked: a new array.

    ``c`` broadcasts against ``w`` over its rows and columns (0-d, or one per replica).
    """
    norms = xp.sqrt(xp.sum(w * w, axis=-2, keepdims=True))
    # A zero column needs no scaling; the floor only avoids dividing by zero.
    return w * xp.minimum(1.0, c / xp.maximum(norms, TINY))


class MaxNorm(UpdateRule):
    """A plain step, then every unit's incoming weights capped at length ``max_norm``.

    Parameters
    ----------
    max_norm : float
        The largest Euclidean length ``c`` of a column of each weight matrix, > 0.

    Examples
    --------
    >>> w = np.array([[3.0, 0.3], [4.0, 0.4]])
    >>> cap_column_norms(w, 1.0)
    >>> w
    array([[0.6, 0.3],
           [0.8, 0.4]])
    """

    settings = ("max_norm",)
    max_norm = Strength(strict=True, columns=True)

    @validate_params(max_norm=Real(0.0, strict=True))
    def __init__(self, max_norm: float) -> None:
        self._max_norm = max_norm  # checked by the table; a later ``rule.max_norm = ...`` by the Strength

    def after_step(self, xp, s, w, lr, state):
        return _cap(xp, w, s["max_norm"]), state
