"""The network as pure functions of its parameters, written once for any array namespace.

``xp`` is the array namespace the functions compute with: ``numpy`` runs them as they
are, and the compiled engine runs the very same functions with ``jax.numpy`` under
``jax.jit`` and ``lax.scan``. Nothing here checks its input; the public entry points
(:class:`l1reg.Network`, :func:`l1reg.fit`) do that once, at the boundary.

The parameters ``p`` are a dict of four blocks: the weight matrices ``ih_weights``
(inputs x hidden) and ``ho_weights`` (hidden x outputs), and the biases as rows,
``h_biases`` (1 x hidden) and ``o_biases`` (1 x outputs), which broadcast over the
items. A stack of networks is the same model with a leading replica axis on every
array (``x`` too); the functions do not mind which.

Each layer's backward pass sits next to its forward pass (:func:`hidden_forward`,
:func:`hidden_backward`, :func:`output_forward`, :func:`output_backward`);
:func:`forward` and :func:`backward` compose them, and :func:`data_gradient` is
forward, the loss's signal and backward in one call.
"""

from __future__ import annotations

PARAM_NAMES = ("ih_weights", "ho_weights", "h_biases", "o_biases")
WEIGHT_NAMES = ("ih_weights", "ho_weights")
BIAS_NAMES = ("h_biases", "o_biases")


# --- the two layers, each forward beside its backward ---------------------------------------


def hidden_forward(xp, p: dict, x):
    """``h = tanh(x @ W_ih + b_h)``."""
    return xp.tanh(x @ p["ih_weights"] + p["h_biases"])


def hidden_backward(xp, p: dict, x, h, h_grad) -> dict:
    """From ``h_grad = dE/dh``: the gradients of ``W_ih`` and ``b_h``."""
    h_signal = h_grad * (1.0 - h * h)  # tanh' = 1 - h^2
    return {"ih_weights": x.mT @ h_signal, "h_biases": xp.sum(h_signal, axis=-2, keepdims=True)}


def output_forward(xp, p: dict, h):
    """``o = softmax(h @ W_ho + b_o)``."""
    return softmax(xp, h @ p["ho_weights"] + p["o_biases"])


def output_backward(xp, p: dict, h, z_signal) -> tuple[dict, object]:
    """From ``z_signal = dE/dz``: the gradients of ``W_ho`` and ``b_o``, and ``dE/dh``."""
    grads = {"ho_weights": h.mT @ z_signal, "o_biases": xp.sum(z_signal, axis=-2, keepdims=True)}
    return grads, z_signal @ p["ho_weights"].mT


def softmax(xp, z):
    """Row-wise ``exp(z_k) / sum_j exp(z_j)``, shifted by the row's largest sum."""
    e = xp.exp(z - xp.max(z, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


# --- the whole network ----------------------------------------------------------------------


def forward(xp, p: dict, x, mask=None):
    """Hidden values ``h`` and outputs ``o`` for the items ``x``.

    ``mask``, if given, multiplies the hidden values on their way to the output layer
    (dropout: 0 for a silenced unit, ``1 / (1 - rate)`` for a kept one).
    """
    h = hidden_forward(xp, p, x)
    o = output_forward(xp, p, h if mask is None else h * mask)
    return h, o


def backward(xp, p: dict, x, h, z_signal, mask=None) -> dict:
    """The data gradient of every block, back-propagated from ``z_signal = dE/dz``."""
    grads, h_grad = output_backward(xp, p, h if mask is None else h * mask, z_signal)
    if mask is not None:  # a silenced unit passes no signal back
        h_grad = h_grad * mask
    return grads | hidden_backward(xp, p, x, h, h_grad)


def data_gradient(xp, p: dict, x, t, signal, mask=None) -> dict:
    """The gradient of the mean data error over the items ``x``: forward, signal, backward.

    ``signal(xp, o, t)`` is the loss's ``dE/dz`` (:func:`squared_error_signal` or
    :func:`cross_entropy_signal`).
    """
    h, o = forward(xp, p, x, mask)
    return backward(xp, p, x, h, signal(xp, o, t), mask)


# --- the losses: each error beside its signal dE/dz (mean over the items) --------------------


def squared_error(xp, o, t):
    """Mean over items of ``E = 1/2 * sum_k (t_k - o_k)^2`` (one number per replica)."""
    return 0.5 * xp.sum((t - o) ** 2, axis=(-2, -1)) / o.shape[-2]


def squared_error_signal(xp, o, t):
    """``dE/dz`` of the squared error through the full softmax Jacobian.

    ``dE/do = o - t`` and ``do_k/dz_j = o_k * ([k = j] - o_j)``, so
    ``dE/dz_j = o_j * ((o_j - t_j) - sum_k (o_k - t_k) * o_k)``.
    """
    g = o - t
    return o * (g - xp.sum(g * o, axis=-1, keepdims=True)) / o.shape[-2]


def cross_entropy(xp, o, t):
    """Mean over items of ``E = -sum_k t_k * log(o_k)`` (one number per replica).

    ``o`` can underflow to 0 for a confident wrong answer; a floor keeps ``E`` finite:
    1e-300 in float64, the smallest normal number in a narrower float.
    """
    floor = 1e-300 if o.dtype == xp.float64 else xp.finfo(o.dtype).tiny
    return -xp.sum(t * xp.log(xp.maximum(o, floor)), axis=(-2, -1)) / o.shape[-2]


def cross_entropy_signal(xp, o, t):
    """``dE/dz = (o - t) / n``: softmax and the cross-entropy's log cancel."""
    return (o - t) / o.shape[-2]


def squared_error_diagonal_signal(xp, o, t):
    """The softmax shortcut ``(o - t) * o * (1 - o)``: NOT the gradient of the squared error.

    It keeps only the diagonal ``do_k/dz_k = o_k (1 - o_k)`` of the softmax Jacobian,
    the right derivative for independent sigmoid outputs, not for softmax.
    """
    return (o - t) * o * (1.0 - o) / o.shape[-2]


def hits(xp, o, t):
    """How many items' largest output is their target's class (one count per replica)."""
    return xp.sum(xp.argmax(o, axis=-1) == xp.argmax(t, axis=-1), axis=-1)


# --- blocks and the flat vector -----------------------------------------------------------


def block_shapes(shapes: dict) -> dict:
    """The blocks' shapes for a network's ``shapes``: the biases as rows (1 x units)."""
    return {name: shapes[name] if name in WEIGHT_NAMES else (1,) + tuple(shapes[name])
            for name in PARAM_NAMES}


def from_flat(flat, shapes: dict) -> dict:
    """The blocks of a flat parameter vector (``l1reg.Network``'s layout), as views if it can.

    ``flat`` may have leading replica axes; so do the blocks.
    """
    blocks, start, lead = {}, 0, flat.shape[:-1]
    for name, shape in block_shapes(shapes).items():
        size = 1
        for s in shape:
            size *= s
        blocks[name] = flat[..., start:start + size].reshape(lead + shape)
        start += size
    return blocks


def to_flat(xp, blocks: dict):
    """The blocks as one flat vector per replica, in ``l1reg.Network``'s layout."""
    lead = blocks["ih_weights"].shape[:-2]
    return xp.concat([xp.reshape(blocks[name], lead + (-1,)) for name in PARAM_NAMES], axis=-1)
