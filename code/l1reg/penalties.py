"""Weight penalties: a small object you call on a weight array to get the penalty.

Like a Keras regularizer, ``L1(lam)(w)`` is the penalty's value and ``get_config()``
shows its settings; unlike Keras, the object also gives the (sub)gradient, because the
from-scratch network adds it to the data gradient by hand.

:class:`Penalty` is the family's base: it owns the settings (``get_config``), the
``repr`` and equality, and an in-place ``add_gradient`` for the training loop, so each
concrete penalty is its formula and its (sub)gradient, a few lines. Anything with the
same methods (``__call__`` and ``gradient``) works as a penalty too.

The strengths follow Keras's conventions: ``L1(lam)`` is ``lam * sum(|w|)``,
``L2(lam)`` is ``lam * sum(w**2)`` (no factor 1/2), and ``L1L2(l1, l2)`` is their sum,
the elastic net. ``soft_threshold`` is the proximal step of the L1 penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l1reg._validation import Strength, check_real


class Penalty:
    """The base of the penalties: settings, ``repr``, equality, and an in-place gradient.

    A subclass sets ``settings`` (the names of its constructor's arguments, stored as
    attributes of the same names) and defines ``__call__(w)``, the penalty's value, and
    ``gradient(w)``, its (sub)gradient. The base gives it ``get_config``, a ``repr`` such
    as ``L1(lam=0.001)``, equality of two penalties of one class with equal settings,
    and ``add_gradient``, which the training loop calls.

    Examples
    --------
    >>> L1(0.001) == L1(0.001), L1(0.001) == L2(0.001)
    (True, False)
    """

    #: The names of the settings, in the order ``repr`` shows them.
    settings: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that changes the gradient without writing its in-place twin gets the
        # base's, which calls the new gradient: the two can never disagree.
        if "gradient" in vars(cls) and "add_gradient" not in vars(cls):
            cls.add_gradient = Penalty.add_gradient
            cls.gradient_scratch = Penalty.gradient_scratch

    def __call__(self, w: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def applies_l1(self) -> bool:
        """True if the penalty has an L1 part (an update rule must not apply L1 again)."""
        return False

    def gradient_scratch(self, w: np.ndarray) -> GradientScratch | None:
        """The arrays :meth:`add_gradient` works in, for weights shaped and typed like ``w``."""
        return None

    def add_gradient(self, w: np.ndarray, grad: np.ndarray, scratch: GradientScratch | None) -> None:
        """``grad += self.gradient(w)``; ``scratch`` from :meth:`gradient_scratch`.

        L1, L2 and L1L2 do it with the same operations into ``scratch``, allocating
        nothing; this base version calls :meth:`gradient`.
        """
        grad += self.gradient(w)

    def get_config(self) -> dict:
        return {name: getattr(self, name) for name in self.settings}

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={value:g}" for name, value in self.get_config().items())
        return f"{type(self).__name__}({settings})"

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.get_config().items())))


@dataclass(slots=True)
class GradientScratch:
    """Arrays allocated once per training run for a penalty's in-place gradient.

    ``buffer`` (and ``second``, for a penalty of two terms) are shaped like the weights;
    ``strengths`` holds the penalty's numbers as 0-d arrays of the weights' dtype: the
    values NumPy would convert the Python floats to at every call anyway.
    """

    buffer: np.ndarray
    strengths: tuple[np.ndarray, ...] = ()
    second: np.ndarray | None = None


def _as_dtype_of(w: np.ndarray, *values: float) -> tuple[np.ndarray, ...]:
    return tuple(np.array(v, dtype=w.dtype) for v in values)


class L1(Penalty):
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

    settings = ("lam",)
    lam = Strength()

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def __call__(self, w: np.ndarray) -> float:
        """Penalty value: ``lam * sum(|w|)``."""
        return self.lam * float(np.sum(np.abs(w)))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """Sub-gradient: ``lam * sign(w)``, 0 where ``w`` is exactly 0."""
        return self.lam * np.sign(w)

    @property
    def applies_l1(self) -> bool:
        return self.lam > 0

    def gradient_scratch(self, w: np.ndarray) -> GradientScratch:
        return GradientScratch(np.empty_like(w), _as_dtype_of(w, self.lam))

    def add_gradient(self, w: np.ndarray, grad: np.ndarray, scratch: GradientScratch) -> None:
        """``grad += lam * sign(w)``, in place: the operations of :meth:`gradient`."""
        (lam,), buffer = scratch.strengths, scratch.buffer
        np.sign(w, buffer)
        np.multiply(lam, buffer, buffer)
        np.add(grad, buffer, grad)


class L2(Penalty):
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

    settings = ("lam",)
    lam = Strength()

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def __call__(self, w: np.ndarray) -> float:
        """Penalty value: ``lam * sum(w**2)``."""
        return self.lam * float(np.sum(np.square(w)))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """Gradient: ``2 * lam * w``."""
        return 2.0 * self.lam * w

    def gradient_scratch(self, w: np.ndarray) -> GradientScratch:
        # (2 * lam) first, in Python, as in gradient
        return GradientScratch(np.empty_like(w), _as_dtype_of(w, 2.0 * self.lam))

    def add_gradient(self, w: np.ndarray, grad: np.ndarray, scratch: GradientScratch) -> None:
        """``grad += 2 * lam * w``, in place: the operations of :meth:`gradient`."""
        (twice_lam,), buffer = scratch.strengths, scratch.buffer
        np.multiply(twice_lam, w, buffer)
        np.add(grad, buffer, grad)


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

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = l1, l2

    def __call__(self, w: np.ndarray) -> float:
        """Penalty value: ``l1 * sum(|w|) + l2 * sum(w**2)``."""
        return self.l1 * float(np.sum(np.abs(w))) + self.l2 * float(np.sum(np.square(w)))

    def gradient(self, w: np.ndarray) -> np.ndarray:
        """(Sub-)gradient: ``l1 * sign(w) + 2 * l2 * w``, with ``sign(0) = 0``."""
        return self.l1 * np.sign(w) + 2.0 * self.l2 * w

    @property
    def applies_l1(self) -> bool:
        return self.l1 > 0

    def gradient_scratch(self, w: np.ndarray) -> GradientScratch:
        return GradientScratch(np.empty_like(w), _as_dtype_of(w, self.l1, 2.0 * self.l2), np.empty_like(w))

    def add_gradient(self, w: np.ndarray, grad: np.ndarray, scratch: GradientScratch) -> None:
        """``grad += l1 * sign(w) + 2 * l2 * w``, in place: the operations of :meth:`gradient`."""
        (l1, twice_l2), buffer, second = scratch.strengths, scratch.buffer, scratch.second
        np.sign(w, buffer)
        np.multiply(l1, buffer, buffer)
        np.multiply(twice_l2, w, second)
        np.add(buffer, second, buffer)
        np.add(grad, buffer, grad)


def check_penalty(penalty, name: str, *, allow_none: bool = True):
    """Return ``penalty`` if it can serve as one (``None`` too, by default), or raise naming ``name``.

    A penalty is anything callable on a weight array with a ``gradient`` method: an
    :class:`L1`, :class:`L2`, :class:`L1L2`, another :class:`Penalty`, or an object of
    one's own with those two methods.
    """
    if penalty is None and allow_none:
        return None
    if isinstance(penalty, type) or not callable(penalty) or not callable(getattr(penalty, "gradient", None)):
        expected = "a penalty such as l1reg.L1(lam)" + (" or None" if allow_none else "")
        raise TypeError(f"{name} must be {expected} (callable on the weights, with a gradient "
                        f"method), got {type(penalty).__name__}")
    return penalty


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
