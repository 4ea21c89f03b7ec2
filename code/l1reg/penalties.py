"""Weight penalties: a small object you call on a weight array to get the penalty.

Like a Keras regularizer, ``L1(lam)(w)`` is the penalty's value and ``get_config()``
shows its settings; unlike Keras, the object also gives the (sub)gradient, because the
from-scratch network adds it to the data gradient by hand.

The strengths follow Keras's conventions: ``L1(lam)`` is ``lam * sum(|w|)``,
``L2(lam)`` is ``lam * sum(w**2)`` (no factor 1/2), and ``L1L2(l1, l2)`` is their sum,
the elastic net. ``soft_threshold`` is the proximal step of the L1 penalty.
"""

from __future__ import annotations

import numpy as np

from l1reg._validation import check_real


class L1:
    """The L1 penalty ``lam * sum(|w|)`` and its sub-gradient ``lam * sign(w)``.

    Parameters
    ----------
    lam : float
        The penalty strength (lambda), >= 0. ``lam = 0`` switches the penalty off.

    Notes
    -----
    ``|w|`` has no derivative at ``w = 0``; any value in ``[-lam, lam]`` is a
    sub-gradient there. We take 0, as ``np.sign(0) = 0`` does: a weight that is
    exactly zero cannot get any smaller, so the penalty leaves it alone.

    Examples
    --------
    >>> round(L1(0.10)(np.array([6.0, -2.0, 4.0])), 4)
    1.2
    """

    def __init__(self, lam: float) -> None:
        self.lam = check_real(lam, "lam", minimum=0.0)

    def __call__(self, w: np.ndarray) -> float:
        """Penalty value: ``lam * sum(|w|)``."""
        return self.lam * float(np.sum(np.abs(w)))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """Sub-gradient: ``lam * sign(w)``, 0 where ``w`` is exactly 0."""
        return self.lam * np.sign(w)

    def get_config(self) -> dict:
        return {"lam": self.lam}

    def __repr__(self) -> str:
        return f"L1(lam={self.lam:g})"


class L2:
    """The L2 penalty ``lam * sum(w**2)`` and its gradient ``2 * lam * w``.

    Parameters
    ----------
    lam : float
        The penalty strength, >= 0. This is Keras's convention; texts that write the
        penalty as ``lam/2 * sum(w**2)`` mean half of this ``lam``'s strength by the same
        number.

    Examples
    --------
    >>> round(L2(0.10)(np.array([6.0, -2.0, 4.0])), 4)
    5.6
    """

    def __init__(self, lam: float) -> None:
        self.lam = check_real(lam, "lam", minimum=0.0)

    def __call__(self, w: np.ndarray) -> float:
        """Penalty value: ``lam * sum(w**2)``."""
        return self.lam * float(np.sum(np.square(w)))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """Gradient: ``2 * lam * w``."""
        return 2.0 * self.lam * w

    def get_config(self) -> dict:
        return {"lam": self.lam}

    def __repr__(self) -> str:
        return f"L2(lam={self.lam:g})"


class L1L2:
    """The elastic net ``l1 * sum(|w|) + l2 * sum(w**2)``, as Keras's ``L1L2``.

    Parameters
    ----------
    l1, l2 : float
        The L1 and L2 strengths, each >= 0, with the conventions of :class:`L1` and
        :class:`L2`.

    Examples
    --------
    >>> round(L1L2(l1=0.10, l2=0.10)(np.array([6.0, -2.0, 4.0])), 4)
    6.8
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = check_real(l1, "l1", minimum=0.0)
        self.l2 = check_real(l2, "l2", minimum=0.0)

    def __call__(self, w: np.ndarray) -> float:
        """Penalty value: ``l1 * sum(|w|) + l2 * sum(w**2)``."""
        return self.l1 * float(np.sum(np.abs(w))) + self.l2 * float(np.sum(np.square(w)))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """(Sub-)gradient: ``l1 * sign(w) + 2 * l2 * w``, with ``sign(0) = 0``."""
        return self.l1 * np.sign(w) + 2.0 * self.l2 * w

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"L1L2(l1={self.l1:g}, l2={self.l2:g})"


PENALTY_TYPES = (L1, L2, L1L2)


def soft_threshold(w, threshold: float) -> np.ndarray:
    """The proximal step of ``threshold * |w|``: ``sign(w) * max(|w| - threshold, 0)``.

    It moves each entry of ``w`` toward zero by ``threshold`` and stops at zero instead
    of crossing it, so entries with ``|w| <= threshold`` become exactly 0.

    Parameters
    ----------
    w : array_like of float
        The values to shrink.
    threshold : float
        How far to move toward zero, >= 0 (``lr * lam`` after a gradient step).

    Examples
    --------
    >>> soft_threshold(np.array([3.0, -0.5, 0.2]), 1.0)
    array([ 2., -0.,  0.])
    """
    threshold = check_real(threshold, "threshold", minimum=0.0)
    w = np.asarray(w)
    if not np.issubdtype(w.dtype, np.floating) and not np.issubdtype(w.dtype, np.integer):
        raise TypeError(f"w must be an array of real numbers, got dtype {w.dtype}")
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)
