"""Training errors and their gradients with respect to the output layer's sums.

Each loss is the mean, over the items in ``o`` and ``t``, of one item's error, so a
batch of one item gives exactly that item's error and gradient (the demo's per-item
SGD). ``o`` holds softmax outputs and ``t`` one-hot targets, both (items x classes).

The ``*_signal`` functions return ``dE/dz``, where ``z`` is the output layer's sums
before softmax (``o = softmax(z)``): back-propagation starts from there.

All functions also accept a stack of such arrays (a leading replica axis); the error
is then one number per replica.

The formulas are written once, for any array namespace, in :mod:`l1reg.core.model`;
the functions here check their arguments and call them with NumPy. A network holds its
loss as an object (:class:`Loss`): ``loss.error(o, t)`` and ``loss.signal(o, t)`` are
the two checked functions, and ``loss.formulas`` the unchecked pair the training
engines call. ``LOSSES`` maps the names a :class:`~l1reg.Network` accepts
(``loss="squared"``) to these objects, and :class:`IsLoss` is the rule a loss argument
obeys in an argument table.

``SHORTCUTS`` holds one deliberately wrong signal, the "softmax shortcut" some
from-scratch code uses with squared error; it is kept apart from ``LOSSES`` so that no
network uses it by accident (``l1reg.reference.gradcheck.with_shortcut`` opts in).
"""

from __future__ import annotations

import numpy as np

from l1reg.core import model
from l1reg.core._validation import Constraint, HasMethods, ListOf, Optional, RealArray, Text, validate_params

# Outputs ``o``: items x classes (a leading replica axis too), float64 or float32 as given.
# Targets ``t`` must have o's shape, which each function's body checks.
#: The rule of an argument that is outputs ``o`` (or targets of their shape), for argument tables.
OUTPUTS = RealArray(2, what="a 2-D array (items x classes) with at least one item",
                    why="for one item use o[None, :]")
_TARGETS = RealArray()


@validate_params(z=RealArray(1, finite=True))
def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``exp(z_k) / sum_j exp(z_j)``, shifted by the row max for safety.

    ``z`` is one row of sums (1-D) or items x classes (a leading replica axis too);
    a list is taken as an array. Infinite sums are refused: ``inf / inf`` is NaN.
    """
    return model.softmax(np, z)


def _same_shape(o: np.ndarray, t: np.ndarray) -> None:
    if t.shape != o.shape:
        raise ValueError(f"t must have the shape of o {o.shape}, got {t.shape}")


@validate_params(o=OUTPUTS, t=_TARGETS)
def squared_error(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mean over items of ``E = 1/2 * sum_k (t_k - o_k)^2``."""
    _same_shape(o, t)
    return model.squared_error(np, o, t)


@validate_params(o=OUTPUTS, t=_TARGETS)
def squared_error_signal(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``dE/dz`` for squared error through the full softmax Jacobian.

    ``dE/do = o - t`` and ``do_k/dz_j = o_k * (delta_kj - o_j)``, so
    ``dE/dz_j = o_j * ((o_j - t_j) - sum_k (o_k - t_k) * o_k)``.
    The shortcut ``(o - t) * o * (1 - o)`` keeps only the Jacobian's diagonal.
    """
    _same_shape(o, t)
    return model.squared_error_signal(np, o, t)


@validate_params(o=OUTPUTS, t=_TARGETS)
def cross_entropy(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mean over items of ``E = -sum_k t_k * log(o_k)``."""
    _same_shape(o, t)
    return model.cross_entropy(np, o, t)


@validate_params(o=OUTPUTS, t=_TARGETS)
def cross_entropy_signal(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``dE/dz = o - t``: softmax and cross-entropy together simplify to this."""
    _same_shape(o, t)
    return model.cross_entropy_signal(np, o, t)


@validate_params(o=OUTPUTS, t=_TARGETS)
def squared_error_diagonal_signal(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The softmax shortcut ``(o - t) * o * (1 - o)``: NOT the gradient of squared error.

    It back-propagates ``dE/do = o - t`` through the diagonal ``do_k/dz_k = o_k (1 - o_k)``
    of the softmax Jacobian only, dropping the off-diagonal terms ``-o_k o_j``; that
    is the right derivative for independent sigmoid outputs, not for softmax. The true
    signal is :func:`squared_error_signal`. With two classes the shortcut is exactly
    half of it; with more classes it also points in another direction.
    """
    _same_shape(o, t)
    return model.squared_error_diagonal_signal(np, o, t)


class Loss:
    """A training error and its signal: ``error(o, t)`` and ``signal(o, t) = dE/dz``.

    ``name`` is what ``repr(network)`` shows (``loss='squared'``). ``formulas`` is the
    pair ``(error, signal)`` of unchecked functions of ``(xp, o, t)`` that the training
    engines call (:mod:`l1reg.core.model`); a loss made from two NumPy functions of
    ``(o, t)`` (``Loss(name, error, signal)``) has ``formulas = None`` and trains on the
    NumPy engine only. Two losses are equal if they are of one class and have one name.

    Examples
    --------
    >>> LOSSES["squared"]
    SquaredError()
    >>> LOSSES["squared"] == SquaredError(), LOSSES["squared"] == LOSSES["cross_entropy"]
    (True, False)
    """

    formulas = None

    @validate_params(
        name=Text(example="squared"),
        error=HasMethods(("__call__",), "a function of (o, t)", example=lambda: squared_error),
        signal=HasMethods(("__call__",), "a function of (o, t)", example=lambda: squared_error_signal),
        formulas=Optional(ListOf(HasMethods(("__call__",), "a function of (xp, o, t)"),
                                 what="a pair (error, signal) of functions of (xp, o, t)")),
    )
    def __init__(self, name: str, error, signal, *, formulas=None) -> None:
        self.name, self._error, self._signal = name, error, signal
        if formulas is not None:
            if len(formulas) != 2:
                raise ValueError(f"formulas must be a pair (error, signal), got {len(formulas)} functions")
            self.formulas = tuple(formulas)

    def error(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The mean error over the items (one number per replica for a stack)."""
        return self._error(o, t)

    def signal(self, o: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``dE/dz``, where ``o = softmax(z)``, as a new array."""
        return self._signal(o, t)

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.name == other.name

    def __hash__(self) -> int:
        return hash((type(self), self.name))

    def __repr__(self) -> str:
        if type(self) is Loss:
            return f"Loss({self.name!r})"
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    """``E = 1/2 * sum_k (t_k - o_k)^2`` (mean over items), through the full softmax Jacobian."""

    formulas = (model.squared_error, model.squared_error_signal)

    def __init__(self) -> None:
        super().__init__("squared", squared_error, squared_error_signal)


class CrossEntropy(Loss):
    """``E = -sum_k t_k log(o_k)`` (mean over items); with softmax, ``dE/dz = o - t``."""

    formulas = (model.cross_entropy, model.cross_entropy_signal)

    def __init__(self) -> None:
        super().__init__("cross_entropy", cross_entropy, cross_entropy_signal)


LOSSES = {"squared": SquaredError(), "cross_entropy": CrossEntropy()}


class IsLoss(Constraint):
    """A loss argument: a name in ``LOSSES`` (returned as its object) or a loss object.

    Anything with a string ``name`` and ``error`` and ``signal`` methods serves as a loss.
    """

    def check(self, value, name):
        if isinstance(value, str):
            if value not in LOSSES:
                raise ValueError(f"{name} must be one of {sorted(LOSSES)}, got {value!r}")
            return LOSSES[value]
        methods = all(callable(getattr(value, method, None)) for method in ("error", "signal"))
        if not methods or not isinstance(getattr(value, "name", None), str):
            raise ValueError(f"{name} must be one of {sorted(LOSSES)} or a loss object "
                             f"(name, error, signal), got {value!r}")
        return value

    def example(self):
        return "squared"

    def bad_values(self):
        return ["hinge", "Squared", None, 3]


# Wrong on purpose, for measuring what a wrong gradient costs: the error is the true
# squared error, the signal is the shortcut.
SHORTCUTS = {
    "squared_diagonal": Loss("squared_diagonal", squared_error, squared_error_diagonal_signal,
                             formulas=(model.squared_error, model.squared_error_diagonal_signal)),
}
