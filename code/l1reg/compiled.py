"""A compiled engine for :func:`l1reg.fit`: many same-shaped networks at once, in JAX.

``fit(nets, ..., engine="compiled")`` trains with the same forward pass, backward pass,
penalties and update rules as the NumPy engine, written again by hand in
``jax.numpy`` (no automatic differentiation), compiled by XLA. One compiled function
runs one epoch: ``lax.scan`` over that epoch's batches, ``vmap`` over the networks.
Python loops over the epochs, so the visiting orders come from the very same NumPy
generators as in :func:`l1reg.training.numpy_engine` (one ``permutation(n)`` per
network per epoch), and after every epoch the parameters go back into ``run.flat``
and ``run.end_epoch`` records the histories and calls the callbacks, unchanged.

What it buys: NumPy pays a fixed cost of about a microsecond per call, a few dozen
calls per step, whatever the network's size; the compiled epoch pays it once. What it
costs: the first call for a new configuration compiles (a second or so); later calls
with the same shapes, loss, batch size and kinds of rule reuse the compiled function.

Supported: rules :class:`~l1reg.update_rules.Plain`, ``SubGradient``, ``Proximal``,
``L2Gradient`` and ``ElasticNetGradient`` (one for all networks, one per network, or a
mix of these kinds), a network's own ``L1``, ``L2`` or ``L1L2`` penalties, the squared
error and cross-entropy losses, any ``on=``, any batch size, float64 (exact to
round-off) and float32. Anything else (input noise, the other rules, a penalty or loss
of one's own) raises a ValueError that says to use ``engine="numpy"``.

Float64 is switched on only while the engine runs (``jax.enable_x64``), as in
:mod:`l1reg.autodiff`, so JAX's global default (float32, which Keras uses) is left
as it was. JAX is imported when the engine first runs, not by ``import l1reg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from l1reg.losses import CrossEntropy, SquaredError
from l1reg.penalties import L1, L1L2, L2
from l1reg.update_rules import ElasticNetGradient, L2Gradient, Plain, Proximal, SubGradient, rule_groups

USE_NUMPY = 'use engine="numpy"'


@dataclass(frozen=True)
class Terms:
    """Which terms the compiled step computes: its static shape, the compile cache's key.

    A penalty or rule in the gradient adds ``l1 * sign(w) + twice_l2 * w`` (the terms
    present only); ``prox`` soft-thresholds the rule's weights after the step.
    """

    loss: str  # "squared" or "cross_entropy"
    shapes: tuple  # ((n_input, n_hidden), (n_hidden, n_output), ...) in flat order
    n_weights: int
    on: tuple[int, int]  # the rule's slice of flat
    batch_size: int
    weights: tuple[bool, bool]  # the weight penalty's (sign, linear) terms
    biases: tuple[bool, bool]  # the bias penalty's
    rule: tuple[bool, bool]  # the rule's gradient terms
    prox: bool


def compiled_engine(run) -> None:
    """Train ``run`` (a :class:`~l1reg.training.TrainingRun`) with one compiled epoch at a time.

    The first call for a configuration compiles the epoch (about a second); later calls
    with the same shapes, loss, batch size and kinds of rule and penalty reuse it.
    """
    terms, strengths = _check_and_describe(run)
    import jax

    with jax.enable_x64(True):
        import jax.numpy as jnp

        epoch_fn = _compiled_epoch(terms)
        dtype = run.flat.dtype
        flat_rows = np.atleast_2d(run.flat)  # a view: one network's flat is net.flat itself
        x = jnp.asarray(run.x_train.reshape((-1,) + run.x_train.shape[-2:]))
        t = jnp.asarray(run.t_train.reshape((-1,) + run.t_train.shape[-2:]))
        settings = {key: jnp.asarray(value, dtype=dtype) for key, value in strengths.items()}
        lr = jnp.asarray(run.lr, dtype=dtype)
        n = run.x_train.shape[-2]
        for epoch in range(1, run.epochs + 1):
            order = np.stack([rng.permutation(n) for rng in run.rngs])  # as numpy_engine draws them
            # the parameters go up and come back every epoch: a callback may change them
            done = epoch_fn(jnp.asarray(flat_rows), settings, lr, x, t, jnp.asarray(order))
            flat_rows[...] = np.asarray(done)
            if run.end_epoch(epoch):
                break


# --- what the engine supports ------------------------------------------------------------------


def _penalty_terms(penalty, name: str, n_rows: int) -> tuple[tuple[bool, bool], np.ndarray, np.ndarray]:
    """A network penalty as its (sign, linear) terms and their per-row strengths."""
    zeros = np.zeros(n_rows)
    if penalty is None:
        return (False, False), zeros, zeros
    if type(penalty) is L1:
        return (True, False), zeros + penalty.lam, zeros
    if type(penalty) is L2:
        return (False, True), zeros, zeros + 2.0 * penalty.lam
    if type(penalty) is L1L2:
        return (True, True), zeros + penalty.l1, zeros + 2.0 * penalty.l2
    raise ValueError(f"{name}={penalty!r} is not supported by engine='compiled' (only L1, L2 and L1L2); "
                     f"{USE_NUMPY}")


def _rule_rows(rule, rows: slice, n_rows: int, name: str, out: dict, kinds: set) -> None:
    """Write one rule's per-row strengths into ``out`` (rows ``rows``); note its kind."""

    def column(value):
        return np.broadcast_to(np.asarray(value, dtype=np.float64).reshape(-1), (rows.stop - rows.start,))

    kind = type(rule)
    if kind is Plain:
        return
    if kind is SubGradient:
        out["rule_l1"][rows] = column(rule.lam)
        kinds.add("sign")
    elif kind is L2Gradient:
        out["rule_l2"][rows] = column(2.0 * np.asarray(rule.lam))
        kinds.add("linear")
    elif kind is ElasticNetGradient:
        out["rule_l1"][rows] = column(rule.l1)
        out["rule_l2"][rows] = column(2.0 * np.asarray(rule.l2))
        kinds.update(("sign", "linear"))
    elif kind is Proximal:
        out["prox"][rows] = column(rule.lam)
        out["is_prox"][rows] = 1.0
        kinds.add("prox")
    else:
        # the type's name: a rule stacked from several (settings as columns) has no repr
        raise ValueError(f"{name}={kind.__name__} is not supported by engine='compiled' (only Plain, "
                         f"SubGradient, Proximal, L2Gradient and ElasticNetGradient); {USE_NUMPY}")


def _check_and_describe(run) -> tuple[Terms, dict[str, np.ndarray]]:
    """The static :class:`Terms` of ``run`` and its per-network strengths, or a ValueError."""
    net, n_rows = run.net, len(run.nets)
    if run.noise is not None:
        raise ValueError(f"noise={run.noise!r} is not supported by engine='compiled'; {USE_NUMPY}")
    losses = {SquaredError: "squared", CrossEntropy: "cross_entropy"}
    if type(net.loss) not in losses:
        raise ValueError(f"the network's loss {net.loss!r} is not supported by engine='compiled' "
                         f"(only 'squared' and 'cross_entropy'); {USE_NUMPY}")
    weights, w_l1, w_l2 = _penalty_terms(net.weight_penalty, "weight_penalty", n_rows)
    biases, b_l1, b_l2 = _penalty_terms(net.bias_penalty, "bias_penalty", n_rows)
    strengths = {"w_l1": w_l1, "w_l2": w_l2, "b_l1": b_l1, "b_l2": b_l2}
    strengths.update({key: np.zeros(n_rows) for key in ("rule_l1", "rule_l2", "prox", "is_prox")})
    kinds: set[str] = set()
    groups = rule_groups(run.rule, n_rows)
    for rows, rule in groups:
        name = "rule" if len(groups) == 1 else f"rule[{rows.start}]"
        _rule_rows(rule, rows, n_rows, name, strengths, kinds)
    terms = Terms(
        loss=losses[type(net.loss)],
        shapes=tuple(net.shapes[name] for name in ("ih_weights", "ho_weights", "h_biases", "o_biases")),
        n_weights=net.n_weights,
        on=(run.on_slice.start, run.on_slice.stop),
        batch_size=run.batch_size,
        weights=weights,
        biases=biases,
        rule=("sign" in kinds, "linear" in kinds),
        prox="prox" in kinds,
    )
    return terms, strengths


# --- the step and the epoch, in jax.numpy ---------------------------------------------------------


def _penalty_gradient(jnp, w, l1, twice_l2, terms: tuple[bool, bool]):
    """``l1 * sign(w) + twice_l2 * w``, the terms present only (as the NumPy penalties compute it)."""
    sign, linear = terms
    if sign and linear:
        return l1 * jnp.sign(w) + twice_l2 * w
    return l1 * jnp.sign(w) if sign else twice_l2 * w


@lru_cache(maxsize=32)
def _compiled_epoch(terms: Terms):
    """One epoch for a stack of networks, jitted: ``vmap`` over networks of a ``scan`` over batches.

    Cached on ``terms``; jax.jit caches again on the array shapes (networks, items).
    """
    import jax
    import jax.numpy as jnp

    (n_in, n_hidden), (_, n_out) = terms.shapes[0], terms.shapes[1]
    n_ih = n_in * n_hidden
    n_w, (on_start, on_stop) = terms.n_weights, terms.on

    def data_gradient(flat, x, t):
        """Forward, the loss's signal, backward (network.py, losses.py), as one flat gradient."""
        w_ih = flat[:n_ih].reshape(n_in, n_hidden)
        w_ho = flat[n_ih:n_w].reshape(n_hidden, n_out)
        b_h, b_o = flat[n_w : n_w + n_hidden], flat[n_w + n_hidden :]
        h = jnp.tanh(x @ w_ih + b_h)
        z = h @ w_ho + b_o
        e = jnp.exp(z - z.max(axis=-1, keepdims=True))
        o = e / e.sum(axis=-1, keepdims=True)
        if terms.loss == "squared":  # through the full softmax Jacobian
            g = o - t
            z_signal = o * (g - jnp.sum(g * o, axis=-1, keepdims=True)) / x.shape[0]
        else:
            z_signal = (o - t) / x.shape[0]
        h_signal = (z_signal @ w_ho.T) * (1.0 - h * h)
        return jnp.concatenate([(x.T @ h_signal).ravel(), (h.T @ z_signal).ravel(),
                                h_signal.sum(axis=0), z_signal.sum(axis=0)])

    def step(flat, s, lr, x, t):
        """One update: data gradient, penalties, the rule's hooks around ``flat - lr * grad``."""
        grad = data_gradient(flat, x, t)
        if any(terms.weights):
            grad = grad.at[:n_w].add(_penalty_gradient(jnp, flat[:n_w], s["w_l1"], s["w_l2"], terms.weights))
        if any(terms.biases):
            grad = grad.at[n_w:].add(_penalty_gradient(jnp, flat[n_w:], s["b_l1"], s["b_l2"], terms.biases))
        if any(terms.rule):
            w = flat[on_start:on_stop]
            grad = grad.at[on_start:on_stop].add(_penalty_gradient(jnp, w, s["rule_l1"], s["rule_l2"],
                                                                   terms.rule))
        flat = flat - lr * grad
        if terms.prox:  # soft_threshold(w, lr * lam), on the Proximal networks only
            w = flat[on_start:on_stop]
            shrunk = jnp.sign(w) * jnp.maximum(jnp.abs(w) - lr * s["prox"], 0.0)
            flat = flat.at[on_start:on_stop].set(jnp.where(s["is_prox"] > 0, shrunk, w))
        return flat

    def epoch(flat, s, lr, x, t, order):
        """One network's epoch: its items in ``order``, full batches first, then the rest."""
        xs, ts = x[order], t[order]
        size = terms.batch_size
        n_full = xs.shape[0] // size
        full = n_full * size
        batches = (xs[:full].reshape(n_full, size, -1), ts[:full].reshape(n_full, size, -1))
        if n_full:
            flat, _ = jax.lax.scan(lambda f, b: (step(f, s, lr, *b), None), flat, batches)
        if xs.shape[0] > full:
            flat = step(flat, s, lr, xs[full:], ts[full:])
        return flat

    return jax.jit(jax.vmap(epoch, in_axes=(0, 0, None, 0, 0, 0)))
