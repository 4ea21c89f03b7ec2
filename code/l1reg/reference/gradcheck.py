"""Gradients by central finite differences, to check back-propagation against.

:func:`check_network_gradient` is the reusable check: it compares a network's
analytic gradient (or any candidate you pass) with central differences of
``E + penalty`` and reports one relative error per parameter block, so a bug shows
up in the layer that has it. :func:`with_shortcut` builds a network whose gradient is
wrong on purpose (the softmax shortcut), to measure what a wrong gradient costs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from l1reg.core import model
from l1reg.core._validation import HasMethods, Optional, Options, Real, RealArray, Values, validate_params
from l1reg.core.losses import SHORTCUTS
from l1reg.core.network import NETWORK, PARAM_NAMES, Network, add_penalty_gradients, param_views
from l1reg.reference._arguments import INPUTS, TARGETS

#: The pass mark of :func:`check_network_gradient` (float64, default ``eps = 1e-6``):
#: a correct gradient of a network of moderate size and scale stays below it, the
#: finite differences' own truncation and round-off; a bug gives 1e-2 or more.
TOLERANCE = 1e-7

#: The step of the central differences: a finite number > 0.
_EPS = Real(0.0, strict=True)
#: What relative_error and norm_relative_error compare: NaN and inf pass (they give inf).
_COMPARED = RealArray()


@validate_params(f=HasMethods(("__call__",), "a callable f(w) -> number", example=lambda: np.sum),
                 w=Values(), eps=_EPS)
def numerical_gradient(f: Callable[[np.ndarray], float], w, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(w + eps e_i) - f(w - eps e_i)) / (2 eps)`` for every i.

    ``f`` takes a flat float64 vector and returns a number; ``w`` is not modified.
    The error of each entry is O(eps^2) plus round-off of about 1e-16 * |f| / eps.
    """
    if w.ndim != 1:  # the table made w a new array: the loop below may write into it
        raise ValueError(f"w must be a 1-D vector, got shape {w.shape}")
    lost = (w + eps == w) | (w - eps == w)
    if lost.any():
        i = int(np.flatnonzero(lost)[0])
        raise ValueError(f"eps={eps:g} is below the float spacing of w[{i}] = {w[i]:g} "
                         f"(w ± eps == w, so the difference would be 0); use a larger eps")
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


@validate_params(net=NETWORK, x=INPUTS, t=TARGETS, eps=_EPS)
def network_numerical_gradient(net: Network, x, t, eps: float = 1e-6) -> np.ndarray:
    """Finite-difference gradient of ``net.objective(x, t)`` (error + penalty).

    The differences are always taken in float64: for a float32 network, on a float64
    twin with the same parameters (float32 values are exact in float64). In float32
    itself, ``f(w + eps) - f(w - eps)`` would be mostly round-off (about 1e-7 * |f|)
    for any ``eps`` small enough to measure a derivative.
    """
    if net.dtype != np.float64:
        net = net.replace(dtype=np.float64)
    x = net.check_inputs(x)
    t = net.check_targets(t, len(x))
    start = net.get_flat()

    def objective(flat: np.ndarray) -> float:
        net.set_flat(flat)
        return net.objective(x, t)

    try:
        return numerical_gradient(objective, start, eps)
    finally:
        net.set_flat(start)


@validate_params(a=_COMPARED, b=_COMPARED)
def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``max |a - b| / max(|a|, |b|)`` elementwise, ignoring entries where both are 0.

    A NaN or an infinity in ``a`` or ``b`` gives ``inf``: never agreement.
    """
    a, b = _pair(a, b)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    scale = np.maximum(np.abs(a), np.abs(b))
    mask = scale > 0
    if not mask.any():
        return 0.0
    return float(np.max(np.abs(a - b)[mask] / scale[mask]))


@validate_params(a=_COMPARED, b=_COMPARED)
def norm_relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / max(||a||, ||b||)`` (Euclidean norms); 0 when both are all zeros.

    One number for a whole block of parameters. Unlike :func:`relative_error`, a few
    tiny entries whose finite differences are mostly round-off cannot dominate it.
    A NaN or an infinity in ``a`` or ``b`` gives ``inf``.
    """
    a, b = _pair(a, b)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / scale)


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` (arrays of reals) as float64, if they have one shape."""
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)


@validate_params(net=NETWORK, x=INPUTS, t=TARGETS,
                 backward=Optional(HasMethods(("__call__",), "a callable backward(xp, p, x, h, z_signal)")))
def analytic_gradient(net: Network, x, t, *, backward: Callable | None = None) -> np.ndarray:
    """The flat gradient of ``E + penalty`` by back-propagation, with a replaceable backward pass.

    Parameters
    ----------
    net : Network
        The network, at its current parameters (not modified).
    x, t : array-like
        Inputs (items x n_input) and one-hot targets (items x n_output).
    backward : callable, optional
        A function with the signature of :func:`l1reg.core.model.backward`,
        ``backward(xp, p, x, h, z_signal)``, that returns the data gradient of each block
        (the biases as rows). The default is the library's own; pass an edited copy of
        it to see how :func:`check_network_gradient` reports a bug.

    Returns
    -------
    numpy.ndarray
        A new vector of length ``net.n_params`` (layout as ``net.get_flat()``).
    """
    x = net.check_inputs(x)
    t = net.check_targets(t, len(x))
    if backward is None:
        backward = model.backward
    flat = net.get_flat()
    p = model.from_flat(flat, net.shapes)
    h, o = model.forward(np, p, x)
    grad = model.to_flat(np, backward(np, p, x, h, net.loss.signal(o, t)))
    add_penalty_gradients(net, flat, grad)
    return grad


@validate_params(net=NETWORK, x=INPUTS, t=TARGETS,
                 gradient=Optional(HasMethods(("__call__",), "a callable gradient(net, x, t)")), eps=_EPS)
def check_network_gradient(
    net: Network, x, t, *, gradient: Callable | None = None, eps: float = 1e-6
) -> dict[str, float]:
    """Relative error of an analytic gradient against central differences, per block.

    For each block ``B`` (ih_weights, ho_weights, h_biases, o_biases) the error is
    ``||g_B - n_B|| / max(||g_B||, ||n_B||)``, where ``g`` is the analytic gradient and
    ``n`` the central differences of ``net.objective(x, t)`` (error plus penalties).
    A correct gradient gives below :data:`TOLERANCE` = 1e-7 (about 1e-6 or less for a
    float32 network, whose analytic gradient carries float32 round-off; the differences
    are taken in float64 for both); a bug gives 1e-2 or more, in the blocks it touches.

    Parameters
    ----------
    net : Network
        The network, checked at its current parameters (restored afterwards).
    x, t : array-like
        Inputs (items x n_input) and one-hot targets (items x n_output).
    gradient : callable, optional
        ``gradient(net, x, t) -> flat vector`` to check; the default is
        ``net.gradient`` (the network's own back-propagation).
    eps : float, default 1e-6
        Step of the central differences, > 0.

    Returns
    -------
    dict
        Block name -> relative error, in the order of ``l1reg.core.network.PARAM_NAMES``.

    Notes
    -----
    ``|w|`` has a kink at 0, where central differences give ``lam * w / eps`` instead
    of ``lam * sign(w)``: a penalized parameter within ``eps`` of zero fails the check
    without any bug. Check at parameters away from zero (trained L1 weights are not).
    """
    x = net.check_inputs(x)
    t = net.check_targets(t, len(x))
    if gradient is None:
        analytic = net.gradient(x, t)
    else:
        analytic = np.array(gradient(net, x, t), dtype=np.float64)
        if analytic.shape != (net.n_params,):
            raise ValueError(
                f"gradient must return a vector of shape ({net.n_params},), got {analytic.shape}"
            )
    numeric = network_numerical_gradient(net, x, t, eps)
    a, n = param_views(analytic, net.shapes), param_views(numeric, net.shapes)
    return {name: norm_relative_error(a[name], n[name]) for name in PARAM_NAMES}


@validate_params(net=NETWORK, shortcut=Options(*sorted(SHORTCUTS)))
def with_shortcut(net: Network, shortcut: str = "squared_diagonal") -> Network:
    """A copy of ``net`` that back-propagates a shortcut signal instead of the true ``dE/dz``.

    The copy has the same sizes, parameters and penalties, and the same error ``E``
    (so its objective, and any finite-difference check of it, is the true one), but
    its loss is ``l1reg.core.losses.SHORTCUTS[shortcut]``, whose signal is the shortcut:
    its ``backward``, and :func:`l1reg.fit`, train with that wrong gradient. Its loss is
    named ``shortcut``, so it is never mixed with exact networks in one stack.

    Parameters
    ----------
    net : Network
        A network with ``loss="squared"`` (the shortcut is a squared-error shortcut).
    shortcut : str, default "squared_diagonal"
        A key of ``l1reg.core.losses.SHORTCUTS``.
    """
    if net.loss.name != "squared":
        raise ValueError(f"net must use loss='squared' for the {shortcut!r} shortcut, "
                         f"got loss={net.loss.name!r}")
    return net.replace(loss=SHORTCUTS[shortcut])


