"""Weight penalties: a small object you call on a weight array to get the penalty.

Like a Keras regularizer, ``L1(lam)(w)`` is the penalty's value and ``get_config()``
shows its settings; unlike Keras, the object also gives the (sub)gradient, because the
from-scratch network adds it to the data gradient by hand.

:class:`Penalty` is the family's base: it owns the settings (``get_config``), the
``repr`` and equality, so each concrete penalty is its formula and its (sub)gradient,
a few lines, written once for NumPy and ``jax.numpy`` alike. Anything with the same
methods (``__call__`` and ``gradient``) works as a penalty too, on the NumPy engine.

The strengths follow Keras's conventions: ``L1(lam)`` is ``lam * sum(|w|)``,
``L2(lam)`` is ``lam * sum(w**2)`` (no factor 1/2), and ``L1L2(l1, l2)`` is their sum,
the elastic net. :func:`soft_threshold` is the proximal step of the L1 penalty
(:meth:`L1.shrink` its formula, for any array namespace).

:class:`IsPenalty` is the rule a penalty argument obeys, in the argument tables of
:func:`~l1reg.core._validation.validate_params`.
"""

from __future__ import annotations

import numpy as np

from l1reg.core._validation import Constraint, Real, RealArray, Strength, validate_params


class Penalty:
    """The base of the penalties: settings, ``repr``, equality, and the formulas' calling convention.

    A subclass sets ``settings`` (the names of its constructor's arguments, stored as
    attributes of the same names) and writes its formulas once, as static functions of
    an array namespace ``xp``, the settings ``s`` (a dict of numbers or arrays) and the
    weights ``w``: ``value(xp, s, w)``, the penalty, and ``grad(xp, s, w)``, its
    (sub)gradient. NumPy calls them through ``penalty(w)`` and ``penalty.gradient(w)``;
    the compiled engine calls the very same functions with ``jax.numpy``, its settings
    as arrays (so a new strength does not compile again). The base gives it
    ``get_config``, a ``repr`` such as ``L1(lam=0.001)``, and equality of two penalties
    of one class with equal settings.

    Examples
    --------
    >>> L1(0.001) == L1(0.001), L1(0.001) == L2(0.001)
    (True, False)
    """

    #: The names of the settings, in the order ``repr`` shows them.
    settings: tuple[str, ...] = ()

    @staticmethod
    def value(xp, s: dict, w):
        raise NotImplementedError

    @staticmethod
    def grad(xp, s: dict, w):
        raise NotImplementedError

    def __call__(self, w: np.ndarray) -> float:
        """The penalty's value at the weights ``w`` (the settings in float64, as Python's floats)."""
        settings = {name: np.float64(value) for name, value in self.get_config().items()}
        return float(self.value(np, settings, np.asarray(w)))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """The penalty's (sub)gradient at the weights ``w``."""
        return self.grad(np, self.get_config(), np.asarray(w))

    @property
    def has_formulas(self) -> bool:
        """True if training may call :meth:`grad` with any array namespace.

        False for a penalty whose class does not write ``grad``, or overrides
        ``gradient(w)`` below the class that does: training then calls ``gradient``,
        with NumPy only.
        """
        for cls in type(self).__mro__:
            if "gradient" in vars(cls):
                return cls is Penalty and type(self).grad is not Penalty.grad
            if "grad" in vars(cls):
                return True
        return False  # pragma: no cover (Penalty defines both)

    @property
    def applies_l1(self) -> bool:
        """True if the penalty has an L1 part (an update rule must not apply L1 again)."""
        return False

    def get_config(self) -> dict:
        return {name: getattr(self, name) for name in self.settings}

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value:g}" for name, value in self.get_config().items())
        return f"{type(self).__name__}({settings})"

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.get_config() == other.get_config()

    # Settings can change (a schedule may set ``penalty.lam``), so a penalty is not hashable.
    __hash__ = None


class _OneStrength(Penalty):
    """A penalty with one setting, its strength ``lam`` (>= 0)."""

    settings = ("lam",)
    lam = Strength()

    @validate_params(lam=Real(0.0))
    def __init__(self, lam: float) -> None:
        self._lam = lam  # checked by the table; a later ``penalty.lam = ...`` by the Strength


class L1(_OneStrength):
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
    >>> L1(0.001)
    L1(lam=0.001)
    """

    @staticmethod
    def value(xp, s, w):
        """``lam * sum(|w|)``."""
        return s["lam"] * xp.sum(xp.abs(w))

    @staticmethod
    def grad(xp, s, w):
        """``lam * sign(w)``, 0 where ``w`` is exactly 0."""
        return s["lam"] * xp.sign(w)

    @staticmethod
    def shrink(xp, w, threshold):
        """The proximal step of ``threshold * |w|``: ``sign(w) * max(|w| - threshold, 0)``."""
        return xp.sign(w) * xp.maximum(xp.abs(w) - threshold, 0.0)

    @property
    def applies_l1(self) -> bool:
        return self.lam > 0


class L2(_OneStrength):
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

    @staticmethod
    def value(xp, s, w):
        """``lam * sum(w**2)``."""
        return s["lam"] * xp.sum(w * w)

    @staticmethod
    def grad(xp, s, w):
        """``2 * lam * w``."""
        return (2.0 * s["lam"]) * w


class L1L2(Penalty):
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
    >>> L1L2(l1=0.1, l2=0.1)
    L1L2(l1=0.1, l2=0.1)
    """

    settings = ("l1", "l2")
    l1, l2 = Strength(), Strength()

    @validate_params(l1=Real(0.0), l2=Real(0.0))
    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self._l1, self._l2 = l1, l2  # checked by the table; later settings by the Strengths

    @staticmethod
    def value(xp, s, w):
        """``l1 * sum(|w|) + l2 * sum(w**2)``: the two penalties' values added."""
        return L1.value(xp, {"lam": s["l1"]}, w) + L2.value(xp, {"lam": s["l2"]}, w)

    @staticmethod
    def grad(xp, s, w):
        """``l1 * sign(w) + 2 * l2 * w``: the two penalties' gradients added."""
        return L1.grad(xp, {"lam": s["l1"]}, w) + L2.grad(xp, {"lam": s["l2"]}, w)

    @property
    def applies_l1(self) -> bool:
        return self.l1 > 0


class IsPenalty(Constraint):
    """A penalty argument: anything callable on a weight array with a ``gradient`` method.

    An :class:`L1`, :class:`L2`, :class:`L1L2`, another :class:`Penalty`, or an object
    of one's own with those two methods; a class (``L1`` instead of ``L1(lam)``) is
    refused. ``Optional(IsPenalty())`` admits ``None`` too.
    """

    def check(self, value, name):
        if isinstance(value, type) or not callable(value) or not callable(getattr(value, "gradient", None)):
            raise TypeError(f"{name} must be a penalty such as l1reg.L1(lam) (callable on the weights, "
                            f"with a gradient method), got {type(value).__name__}")
        return value

    def example(self):
        return L1(0.01)

    def bad_values(self):
        return [0.1, "L1", L1, np.abs, None]


@validate_params(w=RealArray(allow_empty=True), threshold=Real(0.0))
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
    return L1.shrink(np, w, threshold)
