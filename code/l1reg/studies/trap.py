"""Why ``W = 0`` traps a network trained with a strong L1 penalty, measured.

Put every weight at zero and the output biases at their best values (the log of each
class's share, up to a common constant). Every hidden unit then gives the same value
for every item, the data error ``E`` has zero slope along every weight, and near
``W = 0`` it changes only at second order while the penalty ``lam * sum|w|`` rises at
first order. :func:`zero_trap` measures this on a network: the largest slope of ``E``
at ``W = 0``, its largest downward curvature ``kappa`` (from a Hessian over the weights
by central differences of the gradient), and how far along ``E``'s steepest way down
``F = E + lam * sum|w|`` still rises.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    HasMethods,
    Int,
    Matrix,
    Real,
    validate_fields,
    validate_params,
)
from l1reg.core.network import NETWORK, Network

_POSITIVE = Real(0.0, strict=True)


@validate_params(net=NETWORK, t=Matrix())
def zero_weights(net: Network, t) -> Network:
    """A copy of ``net`` with every weight 0 and each output bias ``log`` of its class's share.

    The hidden biases keep their values: with no weights out of the hidden units they
    change nothing. With these output biases the softmax outputs are the class shares of
    ``t``, the best constant outputs.
    """
    shares = t.mean(axis=0)
    if t.shape[1] != net.n_output or np.any(shares <= 0.0):
        raise ValueError(f"t must be one-hot targets of shape (n, {net.n_output}) with every "
                         f"class present, got shape {t.shape}")
    at_zero = copy.deepcopy(net)
    at_zero.params["ih_weights"][...] = 0.0
    at_zero.params["ho_weights"][...] = 0.0
    at_zero.params["o_biases"][...] = np.log(shares)
    return at_zero


@validate_params(net=NETWORK, x=Matrix(), t=Matrix(), step=_POSITIVE)
def weight_hessian(net: Network, x, t, step: float = 1e-5) -> np.ndarray:
    """The Hessian of ``E`` over the weights at ``net``'s parameters, symmetrized.

    Column ``j`` is ``(grad(w + step e_j) - grad(w - step e_j)) / (2 step)``: two
    gradients per weight. ``net`` must carry no penalty, so that its gradient is ``E``'s.
    """
    if net.weight_penalty is not None or net.bias_penalty is not None:
        raise ValueError("net must carry no penalty: the Hessian is the data error's")
    probe, n_w = copy.deepcopy(net), net.n_weights
    centre = net.get_flat()
    hessian = np.empty((n_w, n_w))
    for j in range(n_w):
        shift = np.zeros(net.n_params)
        shift[j] = step
        probe.set_flat(centre + shift)
        plus = probe.gradient(x, t)[:n_w]
        probe.set_flat(centre - shift)
        hessian[:, j] = (plus - probe.gradient(x, t)[:n_w]) / (2 * step)
    return (hessian + hessian.T) / 2


@validate_params(f=HasMethods(("__call__",), "callable: a function of one float", example=lambda: abs),
                 low=Real(), high=Real(), iterations=Int())
def sign_change(f: Callable[[float], float], low: float, high: float,
                iterations: int = 60) -> float:
    """Where ``f`` turns from positive (at ``low``) to not positive (at ``high``), by bisection."""
    if not (f(low) > 0.0 and f(high) <= 0.0):
        raise ValueError(f"f must be > 0 at low = {low:g} and <= 0 at high = {high:g}")
    for _ in range(iterations):
        mid = (low + high) / 2
        low, high = (mid, high) if f(mid) > 0.0 else (low, mid)
    return (low + high) / 2


@validate_fields(lam=_POSITIVE, slope=Real(0.0), kappa=_POSITIVE, direction=Array(ndim=1), edge=_POSITIVE,
                 net=NETWORK, x=Matrix(), t=Matrix())
@dataclass(frozen=True)
class ZeroTrap:
    """What :func:`zero_trap` measured at ``W = 0``.

    ``slope`` is the largest ``|dE/dw|``; ``kappa`` the largest downward curvature of
    ``E``; ``direction`` a unit vector over the weights along which ``E`` curves down by
    ``kappa``; ``edge`` the step along it beyond which ``F - F(0)`` turns negative.
    """

    lam: float
    slope: float
    kappa: float
    direction: np.ndarray
    edge: float
    net: Network
    x: np.ndarray
    t: np.ndarray

    @property
    def radius(self) -> float:
        """``2 lam / kappa``: to second order, how far ``F`` rises in every direction."""
        return 2 * self.lam / self.kappa

    @validate_params(step=Real())
    def changes(self, step: float) -> tuple[float, float]:
        """The changes of ``E`` and of ``lam * sum|w|`` a ``step`` along ``direction``."""
        return _changes(self.net, self.x, self.t, self.lam, self.direction, step)


def _changes(at_zero: Network, x, t, lam: float, direction: np.ndarray, step: float) -> tuple[float, float]:
    probe = copy.deepcopy(at_zero)
    flat = probe.get_flat()
    flat[: probe.n_weights] = step * direction
    probe.set_flat(flat)
    d_error = probe.error(x, t) - at_zero.error(x, t)
    return d_error, lam * step * float(np.abs(direction).sum())


@validate_params(net=NETWORK, x=Matrix(), t=Matrix(), lam=_POSITIVE, high=_POSITIVE)
def zero_trap(net: Network, x, t, lam: float, *, high: float = 0.02) -> ZeroTrap:
    """Measure the trap at ``W = 0`` for the network ``net`` and the items ``x``, ``t``.

    ``E``'s most negative curvature may be shared by several directions; the one taken
    is the projection of ``net``'s own weights on them (the way training would leave
    ``W = 0``). ``edge`` is searched in ``(0, high]``.
    """
    at_zero = zero_weights(net, t)
    n_w = net.n_weights
    slope = float(np.abs(at_zero.gradient(x, t)[:n_w]).max())
    curvatures, directions = np.linalg.eigh(weight_hessian(at_zero, x, t))
    if curvatures[0] >= 0.0:
        raise ValueError("E does not curve down anywhere at W = 0: no edge to find")
    steepest = directions[:, curvatures < curvatures[0] + 1e-6]
    down = steepest @ (steepest.T @ net.get_flat()[:n_w])
    down /= np.linalg.norm(down)
    edge = sign_change(lambda s: sum(_changes(at_zero, x, t, lam, down, s)), 1e-3 * high, high)
    return ZeroTrap(lam=lam, slope=slope, kappa=float(-curvatures[0]), direction=down, edge=edge,
                    net=at_zero, x=x, t=t)
