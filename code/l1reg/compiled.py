"""A compiled engine for :func:`l1reg.fit`: many same-shaped networks at once, in JAX.

``fit(nets, ..., engine="compiled")`` trains with the same forward pass, backward pass,
penalties and update rules as the NumPy engine, written again by hand in
``jax.numpy`` (no automatic differentiation), compiled by XLA: ``lax.scan`` over an
epoch's batches, ``vmap`` over the networks. The visiting orders come from the very
same NumPy generators as in :func:`l1reg.training.numpy_engine` (one
``permutation(n)`` per network per epoch, in the same sequence). Without callbacks,
one compiled call runs all the epochs (a ``scan`` over epochs; its orders drawn up
front, each epoch's scores computed in it and recorded by ``run.end_epoch``
afterwards), so nothing goes back to Python between epochs. With callbacks, one call
per epoch: after every epoch the parameters go back into ``run.flat`` and
``run.end_epoch`` records the histories and calls the callbacks, unchanged. Both
give the same numbers.

What it buys: NumPy pays a fixed cost of about a microsecond per call, a few dozen
calls per step, whatever the network's size; the compiled run pays it once. What it
costs: the first call for a new configuration compiles (a few seconds); later calls
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
    scores: bool = True  # each epoch's errors and hit counts (fit's record_history)


def compiled_engine(run) -> None:
    """Train ``run`` (a :class:`~l1reg.training.TrainingRun`) with compiled epochs.

    Without callbacks nothing needs the parameters between epochs, so all the epochs
    run in one compiled call (:func:`_compiled_epochs`; a few calls for a long run of
    many networks, see :data:`ORDERS_BUDGET`), their visiting orders drawn up front and
    their scores recorded afterwards; with callbacks, one compiled epoch per call
    (:func:`_compiled_epoch`), the parameters back in ``run.flat`` before each
    ``run.end_epoch``. The two give the same numbers (``tests/test_compiled.py``).
    The first call for a configuration compiles (a few seconds); later calls with
    the same shapes, loss, batch size and kinds of rule and penalty reuse it.
    """
    terms, strengths = _check_and_describe(run)
    import jax

    with jax.enable_x64(True):
        import jax.numpy as jnp

        dtype = run.flat.dtype
        flat_rows = np.atleast_2d(run.flat)  # a view: one network's flat is net.flat itself
        # One batched transfer of everything the calls read (one jnp.asarray each costs more).
        test = None
        if run.test_data is not None:
            test = tuple(a.reshape((-1,) + a.shape[-2:]) for a in run.test_data)
        x, t, settings, lr, test = jax.device_put((
            run.x_train.reshape((-1,) + run.x_train.shape[-2:]),
            run.t_train.reshape((-1,) + run.t_train.shape[-2:]),
            {key: np.asarray(value, dtype=dtype) for key, value in strengths.items()},
            np.asarray(run.lr, dtype=dtype),
            test,
        ))
        n = run.x_train.shape[-2]
        sizes = {"train": n, "test": None if test is None else test[0].shape[-2]}

        def host_scores(scores, index=()):
            return {which: (np.asarray(errors)[index], np.asarray(hits)[index] / sizes[which])
                    for which, (errors, hits) in scores.items()}

        if not run.callbacks:
            start, states = flat_rows.copy(), [rng.bit_generator.state for rng in run.rngs]
            if _all_epochs(run, terms, flat_rows, (settings, lr, x, t, test), host_scores):
                return
            # Diverged somewhere: train again epoch by epoch from the same start, so that
            # run.end_epoch sees each epoch's parameters and names the epoch that failed.
            flat_rows[...] = start
            for rng, state in zip(run.rngs, states, strict=True):
                rng.bit_generator.state = state
        epoch_fn = _compiled_epoch(terms)
        for epoch in range(1, run.epochs + 1):
            order = np.stack([rng.permutation(n) for rng in run.rngs])  # as numpy_engine draws them
            # the parameters go up and come back every epoch: a callback may change them
            done, scores = epoch_fn(jnp.asarray(flat_rows), settings, lr, x, t, jnp.asarray(order), test)
            flat_rows[...] = np.asarray(done)
            if run.end_epoch(epoch, host_scores(scores)):
                break


#: The most visiting-order entries (epochs x networks x items, int32) one call of
#: :func:`_compiled_epochs` takes: 4M entries, 16 MB. A longer run is cut into calls
#: of a power-of-two number of epochs; the last is padded with epochs that are skipped.
ORDERS_BUDGET = 1 << 22


def _chunk_epochs(epochs: int, per_epoch: int) -> int:
    """Epochs per call: the power of two >= ``epochs`` (so that few lengths ever compile),
    at most what :data:`ORDERS_BUDGET` allows (and at least 1)."""
    cap = 1 << max((ORDERS_BUDGET // max(per_epoch, 1)).bit_length() - 1, 0)
    return min(1 << (epochs - 1).bit_length(), cap)


def _all_epochs(run, terms: Terms, flat_rows: np.ndarray, data: tuple, host_scores) -> bool:
    """All of ``run``'s epochs in as few compiled calls as the budget allows; then the histories.

    The orders are drawn up front epoch by epoch, network by network, as numpy_engine
    draws them: the same numbers, since nothing else draws from those generators.
    Returns False, recording nothing, if the final parameters are not all finite (the
    caller then trains epoch by epoch to find where it diverged).
    """
    import jax.numpy as jnp

    n_rows, n = flat_rows.shape[0], run.x_train.shape[-2]
    chunk = _chunk_epochs(run.epochs, n_rows * n)
    train = _compiled_epochs(terms)
    params = jnp.asarray(flat_rows)
    scores = []
    for first in range(0, run.epochs, chunk):
        count = min(chunk, run.epochs - first)
        orders = np.zeros((chunk, n_rows, n), dtype=np.int32)  # padding: epochs that are skipped
        for epoch in range(count):
            orders[epoch] = np.stack([rng.permutation(n) for rng in run.rngs])
        params, done = train(params, *data[:2], np.asarray(count), *data[2:4], orders, data[4])
        scores.append((count, done))
    final = np.asarray(params)
    if not np.isfinite(final).all():
        return False
    flat_rows[...] = final
    epoch = 0
    for count, done in scores:
        for i in range(count):
            epoch += 1
            run.end_epoch(epoch, host_scores(done, i))  # no callbacks: it records the histories
    return True


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
        # the type's name: the settings (for a stacked rule, one per network) would say little
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
        scores=run.record_history,
    )
    return terms, strengths


# --- the step and the epoch, in jax.numpy ---------------------------------------------------------


def _penalty_gradient(jnp, w, l1, twice_l2, terms: tuple[bool, bool]):
    """``l1 * sign(w) + twice_l2 * w``, the terms present only (as the NumPy penalties compute it)."""
    sign, linear = terms
    if sign and linear:
        return l1 * jnp.sign(w) + twice_l2 * w
    return l1 * jnp.sign(w) if sign else twice_l2 * w


def _epoch_function(terms: Terms):
    """One network's epoch in jax.numpy, ``epoch(p, s, lr, x, t, order, test) -> (p, scores)``.

    ``p`` is the four parameter arrays: the scan over batches carries them, not the flat
    vector (slicing and re-joining it at every step would cost more than the step).
    Also returns ``unflatten`` (flat vector to the four arrays).
    """
    import jax
    import jax.numpy as jnp

    shapes = terms.shapes
    sizes = [int(np.prod(shape)) for shape in shapes]
    bounds = np.cumsum([0] + sizes)
    # which weight matrices the rule acts on: on is one of the slices weight_slice gives
    on_ih, on_ho = terms.on[0] == 0, terms.on[1] == terms.n_weights

    def unflatten(flat):
        pieces = zip(bounds[:-1], bounds[1:], shapes, strict=True)
        return tuple(flat[a:b].reshape(shape) for a, b, shape in pieces)

    def forward(p, x):
        w_ih, w_ho, b_h, b_o = p
        h = jnp.tanh(x @ w_ih + b_h)
        z = h @ w_ho + b_o
        e = jnp.exp(z - z.max(axis=-1, keepdims=True))
        return h, e / e.sum(axis=-1, keepdims=True)

    def data_gradient(p, x, t):
        """Forward, the loss's signal, backward (network.py, losses.py): the four gradients."""
        h, o = forward(p, x)
        if terms.loss == "squared":  # through the full softmax Jacobian
            g = o - t
            z_signal = o * (g - jnp.sum(g * o, axis=-1, keepdims=True)) / x.shape[0]
        else:
            z_signal = (o - t) / x.shape[0]
        h_signal = (z_signal @ p[1].T) * (1.0 - h * h)
        return [x.T @ h_signal, h.T @ z_signal, h_signal.sum(axis=0), z_signal.sum(axis=0)]

    def step(p, s, lr, x, t):
        """One update: data gradient, penalties, the rule's hooks around ``p - lr * grad``."""
        grad = data_gradient(p, x, t)
        for i, (l1, l2, present) in enumerate([("w_l1", "w_l2", terms.weights)] * 2
                                              + [("b_l1", "b_l2", terms.biases)] * 2):
            if any(present):
                grad[i] = grad[i] + _penalty_gradient(jnp, p[i], s[l1], s[l2], present)
        for i in [i for i, on in enumerate((on_ih, on_ho)) if on and any(terms.rule)]:
            grad[i] = grad[i] + _penalty_gradient(jnp, p[i], s["rule_l1"], s["rule_l2"], terms.rule)
        p = [a - lr * g for a, g in zip(p, grad, strict=True)]
        for i in [i for i, on in enumerate((on_ih, on_ho)) if on and terms.prox]:
            # soft_threshold(w, lr * lam), on the Proximal networks only
            shrunk = jnp.sign(p[i]) * jnp.maximum(jnp.abs(p[i]) - lr * s["prox"], 0.0)
            p[i] = jnp.where(s["is_prox"] > 0, shrunk, p[i])
        return tuple(p)

    def scores(p, x, t):
        """The data error and the hit rate, as losses.py and network.hit_rate compute them."""
        o = forward(p, x)[1]
        if terms.loss == "squared":
            error = 0.5 * jnp.sum((t - o) ** 2) / x.shape[0]
        else:
            floor = 1e-300 if o.dtype == jnp.float64 else jnp.finfo(o.dtype).tiny
            error = -jnp.sum(t * jnp.log(jnp.maximum(o, floor))) / x.shape[0]
        # the number of hits; the engine divides, as NumPy does (XLA would multiply by 1/n)
        return error, jnp.sum(jnp.argmax(o, axis=-1) == jnp.argmax(t, axis=-1))

    def epoch(p, s, lr, x, t, order, test):
        """One network's epoch: its items in ``order``, full batches first, then the rest."""
        xs, ts = x[order], t[order]
        size = terms.batch_size
        n_full = xs.shape[0] // size
        full = n_full * size
        batches = (xs[:full].reshape(n_full, size, -1), ts[:full].reshape(n_full, size, -1))
        if n_full:
            p, _ = jax.lax.scan(lambda q, b: (step(q, s, lr, *b), None), p, batches)
        if xs.shape[0] > full:
            p = step(p, s, lr, xs[full:], ts[full:])
        if not terms.scores:
            return p, {}
        done = {"train": scores(p, x, t)}
        if test is not None:
            done["test"] = scores(p, *test)
        return p, done

    return epoch, unflatten


@lru_cache(maxsize=32)
def _compiled_epoch(terms: Terms):
    """One epoch for a stack of networks, jitted: ``vmap`` over networks of a ``scan`` over batches.

    Takes and returns the flat parameters (one row per network; the input's buffer is
    donated) with the epoch's scores. Cached on ``terms``; jax.jit caches again on the
    array shapes (networks, items).
    """
    import jax
    import jax.numpy as jnp

    epoch, unflatten = _epoch_function(terms)

    def one(flat, s, lr, x, t, order, test):
        p, done = epoch(unflatten(flat), s, lr, x, t, order, test)
        return jnp.concatenate([a.ravel() for a in p]), done

    return jax.jit(jax.vmap(one, in_axes=(0, 0, None, 0, 0, 0, 0)), donate_argnums=0)


@lru_cache(maxsize=32)
def _compiled_epochs(terms: Terms):
    """Many epochs for a stack of networks, jitted: a ``scan`` over epochs of the vmapped epoch.

    ``train(flat, s, lr, count, x, t, orders, test)``: ``orders`` is (epochs x networks x
    items); epochs from ``count`` on are padding and skipped (``lax.cond`` on one flag
    for the whole stack: no work). Returns the flat parameters (the input's buffer is
    donated) and each epoch's scores, stacked (epochs x networks). Cached on ``terms``;
    jax.jit caches again on the shapes (epochs per call, networks, items).
    """
    import jax
    import jax.numpy as jnp

    epoch, unflatten = _epoch_function(terms)
    stack_epoch = jax.vmap(epoch, in_axes=(0, 0, None, 0, 0, 0, 0))

    def train(flat, s, lr, count, x, t, orders, test):
        p = jax.vmap(unflatten)(flat)

        def one_epoch(p, index_and_order):
            index, order = index_and_order

            def skip(p):
                return p, jax.tree.map(jnp.zeros_like, jax.eval_shape(stack_epoch, p, s, lr, x, t, order,
                                                                       test)[1])
            return jax.lax.cond(index < count, lambda p: stack_epoch(p, s, lr, x, t, order, test), skip, p)

        p, scores = jax.lax.scan(one_epoch, p, (jnp.arange(orders.shape[0]), orders))
        return jnp.concatenate([a.reshape(a.shape[0], -1) for a in p], axis=1), scores

    return jax.jit(train, donate_argnums=0)
