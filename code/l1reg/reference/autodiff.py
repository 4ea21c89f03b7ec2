"""The network's objective in ``jax.numpy``, differentiated by ``jax.grad``.

An independent second check of the back-propagation in :mod:`l1reg.core.model`: the
objective ``E + penalty`` is written again, plainly, with ``jax.numpy``, and JAX
differentiates it by reverse-mode automatic differentiation, in float64. Nothing here
shares code with the NumPy gradient but the parameter layout.

It imports JAX when it is imported (``import l1reg`` does not import JAX).
Float64 is switched on only inside :func:`jax_gradient` and :func:`jax_objective`
(``jax.enable_x64``), so JAX's global default (float32) is left as it was.

One difference is by design: JAX's derivative of ``|w|`` at exactly ``w = 0`` is 1,
while ``l1reg`` uses ``sign(0) = 0``. At a penalized parameter that is exactly zero
the two gradients differ by the penalty's strength; everywhere else they agree to
round-off.
"""

from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from l1reg.core._validation import validate_params
from l1reg.core.losses import LOSSES, SHORTCUTS
from l1reg.core.network import NETWORK, PARAM_NAMES, WEIGHT_NAMES, Network
from l1reg.core.penalties import L1, L1L2, L2
from l1reg.reference._arguments import INPUTS, TARGETS

# The error each network loss minimizes; a shortcut network minimizes squared error
# too (only its backward pass is wrong), so JAX gives it the true gradient.
_ERRORS = {"squared": "squared", "squared_diagonal": "squared", "cross_entropy": "cross_entropy"}


def _penalty_strengths(penalty, name: str) -> tuple[float, float]:
    """``(l1, l2)`` such that the penalty is ``l1 * sum|w| + l2 * sum w^2``.

    Exact types only: a penalty of one's own (or a subclass) may compute another
    formula, which the JAX twin would not know.
    """
    if penalty is None:
        return 0.0, 0.0
    if type(penalty) is L1:
        return penalty.lam, 0.0
    if type(penalty) is L2:
        return 0.0, penalty.lam
    if type(penalty) is L1L2:
        return penalty.l1, penalty.l2
    raise TypeError(f"{name} must be an l1reg L1, L2 or L1L2 penalty or None for the JAX check, "
                    f"got {type(penalty).__name__}")


def _penalty(l1, l2, values):
    return l1 * jnp.sum(jnp.abs(values)) + l2 * jnp.sum(values**2)


@lru_cache(maxsize=16)
def _compiled(shapes: tuple, error: str):
    """Jitted ``E + penalty`` and its ``jax.grad`` for one network shape and error.

    Compiling the whole function once is much faster than JAX's op-by-op default.
    The penalty strengths are an argument, so one compilation serves every penalty;
    a strength of 0 adds exactly 0 to the value and the gradient.
    """

    def objective(flat, x, t, strengths):
        p, start = {}, 0
        for name, shape in zip(PARAM_NAMES, shapes, strict=True):
            size = int(np.prod(shape))
            p[name] = flat[start : start + size].reshape(shape)
            start += size
        h = jnp.tanh(x @ p["ih_weights"] + p["h_biases"])
        o = jax.nn.softmax(h @ p["ho_weights"] + p["o_biases"], axis=-1)
        if error == "squared":
            e = 0.5 * jnp.sum((t - o) ** 2) / x.shape[0]
        else:
            e = -jnp.sum(t * jnp.log(o)) / x.shape[0]
        weights = jnp.concatenate([p[name].ravel() for name in WEIGHT_NAMES])
        biases = jnp.concatenate([p["h_biases"], p["o_biases"]])
        w_l1, w_l2, b_l1, b_l2 = strengths
        return e + _penalty(w_l1, w_l2, weights) + _penalty(b_l1, b_l2, biases)

    return jax.jit(objective), jax.jit(jax.grad(objective))


def _prepare(net, x, t):
    """Checked arguments (``net`` is already a checked Network), and the compiled functions for it."""
    # the library's own loss objects only: a loss of one's own may carry a known name
    # with another formula, which the JAX twin would not compute
    known = {**LOSSES, **SHORTCUTS}
    if net.loss.name not in _ERRORS or known.get(net.loss.name) is not net.loss:
        raise ValueError(f"net.loss must be one of l1reg's losses {sorted(_ERRORS)}, got {net.loss!r}")
    x = net.check_inputs(x)
    t = net.check_targets(t, len(x))
    functions = _compiled(tuple(net.shapes[name] for name in PARAM_NAMES), _ERRORS[net.loss.name])
    strengths = (_penalty_strengths(net.weight_penalty, "net.weight_penalty")
                 + _penalty_strengths(net.bias_penalty, "net.bias_penalty"))
    return x, t, strengths, functions


@validate_params(net=NETWORK, x=INPUTS, t=TARGETS)
def jax_objective(net: Network, x, t) -> float:
    """``E + penalty`` computed by JAX in float64; equals ``net.objective(x, t)`` to round-off."""
    x, t, strengths, (objective, _) = _prepare(net, x, t)
    with jax.enable_x64(True):
        args = (jnp.asarray(net.get_flat()), jnp.asarray(x), jnp.asarray(t), jnp.asarray(strengths))
        return float(objective(*args))


@validate_params(net=NETWORK, x=INPUTS, t=TARGETS)
def jax_gradient(net: Network, x, t) -> np.ndarray:
    """``jax.grad`` of ``E + penalty`` at the network's parameters, as a flat float64 vector.

    Parameters
    ----------
    net : Network
        Any ``l1reg`` network (squared error or cross-entropy; L1, L2 or L1L2
        penalties on weights and biases). A shortcut network from
        ``l1reg.reference.gradcheck.with_shortcut`` gets the true squared-error gradient.
    x, t : array-like
        Inputs (items x n_input) and one-hot targets (items x n_output).

    Returns
    -------
    numpy.ndarray
        The gradient, in the layout of ``net.get_flat()``; compare it with
        ``net.gradient(x, t)``.
    """
    x, t, strengths, (_, gradient) = _prepare(net, x, t)
    with jax.enable_x64(True):
        args = (jnp.asarray(net.get_flat()), jnp.asarray(x), jnp.asarray(t), jnp.asarray(strengths))
        return np.array(gradient(*args), dtype=np.float64)
