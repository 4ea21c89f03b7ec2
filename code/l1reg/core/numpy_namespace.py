"""NumPy as the array namespace ``xp`` that the NumPy engine passes to the model's functions.

Every name is NumPy's own, except two that the model calls at every step, on arrays
of a few dozen numbers, where NumPy's fixed cost per call is most of the time:

* ``sum`` and ``max`` call ``np.add.reduce`` and ``np.maximum.reduce`` directly: what
  ``np.sum`` and ``np.max`` compute, without their Python-level argument handling; and
  a sum over an axis of length 1 (the bias gradients of a one-item step) is that one
  number plus 0.0.
"""

from __future__ import annotations

import types

import numpy as np


def _sum(a, axis=None, keepdims=False):
    if keepdims and type(axis) is int and a.shape[axis] == 1:
        return a + 0.0  # the sum of one number: the number (+0.0 for -0.0, as the sum gives)
    return np.add.reduce(a, axis=axis, keepdims=keepdims)


xp = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np) if not name.startswith("_")})
xp.sum, xp.max = _sum, np.maximum.reduce
