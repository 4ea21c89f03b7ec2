"""Weight penalties: a small object you call on a weight array to get the penalty.

Like a Keras regularizer, ``L1(lam)(w)`` is the penalty's value and ``get_config()``
shows its settings; unlike Keras, the object also gives the (sub)gradient, because the
from-scratch network adds it to the data gradient by hand.
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
