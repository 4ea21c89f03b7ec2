"""A compiled engine for :func:`l1reg.fit`: the same step, compiled by JAX for many networks at once.

``fit(nets, ..., engine="compiled")`` trains with the very step the NumPy engine takes,
:func:`l1reg.core.step.sgd_step`, called with ``jax.numpy`` instead of NumPy: the
model's maths, the penalties and the update rules are the same Python functions, and
only the loop differs. ``lax.scan`` runs an epoch's batches; a stack of networks is
the same arrays with a leading replica axis. The visiting orders come from the very
same NumPy generators as in :func:`l1reg.core.training.numpy_engine` (one
``permutation(n)`` per network per epoch, in the same sequence). Without callbacks,
a compiled call runs several epochs (a ``scan`` over epochs; their orders drawn
before the call, each epoch's scores computed in it and recorded by ``run.end_epoch``
after the last call), so nothing goes back to Python between epochs; while one call
trains, the host draws the next call's orders. With callbacks, one call
per epoch: after every epoch the parameters go back into ``run.flat``, and
``run.end_epoch`` records the histories and calls the callbacks; the strengths are
read again before the next epoch, as the NumPy engine reads them.

What it buys: NumPy pays a fixed cost of about a microsecond per call, a few dozen
calls per step, whatever the network's size; the compiled run pays it once. What it
costs: the first call for a new configuration compiles (a few seconds); later calls
with the same shapes, loss, batch size and kinds of rule and penalty reuse the
compiled function, whatever their strengths.

Supported: every update rule whose hooks follow :class:`~l1reg.core.update_rules.UpdateRule`'s
contract (all of the library's), every :class:`~l1reg.core.penalties.Penalty` with formulas,
the library's losses, any ``on=``, any batch size, float64 (the NumPy engine's numbers
to round-off) and float32. Input noise, and a loss or penalty of one's own written
for NumPy only, raise a ValueError that says to use ``engine="numpy"``.

Float64 is switched on only while the engine runs (``jax.enable_x64``), as in
:mod:`l1reg.reference.autodiff`, so JAX's global default (float32, which Keras uses) is left
as it was. JAX is imported when the engine first runs, not by ``import l1reg``.
"""

from __future__ import annotations

import numpy as np

from l1reg.core import model
from l1reg.core._validation import HasMethods, validate_params
from l1reg.core.penalties import Penalty
from l1reg.core.step import sgd_step

USE_NUMPY = 'use engine="numpy"'

#: The most visiting-order entries (epochs x networks x items, int32) one call of the
#: all-epochs function takes: 4M entries, 16 MB. It cuts a run into calls of fewer epochs
#: than :data:`EPOCHS_PER_CALL` only for a stack of more than 2**20 items in all
#: (networks x items); the last call is padded with epochs that are skipped.
ORDERS_BUDGET = 1 << 22

#: The most epochs one call of the all-epochs function runs; a power of two, so that the
#: calls have few lengths and each compiles once. A JAX call returns before the work is
#: done, so the host draws the next call's visiting orders while the last call trains.
#: Drawing them (a NumPy permutation per network per epoch) is about 5 % of fit's time
#: at 64 networks; with a single call for all the epochs it came first, unhidden.
EPOCHS_PER_CALL = 4

#: Steps per iteration of the ``scan`` over an epoch's batches (``lax.scan``'s ``unroll``):
#: 2 saves a few per cent of the loop's cost per step for a few hundredths of a second
#: more compiling; 4 saves little more and compiles about a quarter of a second longer.
UNROLL = 2

_CACHE: dict = {}

#: The rule of an engine's argument, a :class:`~l1reg.core.training.TrainingRun` (the
#: object an engine trains: it reads the step's numbers and reports each epoch), for
#: both engines' tables.
RUN = HasMethods(("strengths", "end_epoch"), "a TrainingRun, as l1reg.fit makes it")


@validate_params(run=RUN)
def compiled_engine(run) -> None:
    """Train ``run`` (a :class:`~l1reg.core.training.TrainingRun`) with compiled epochs.

    Without callbacks the epochs run in calls of up to :data:`EPOCHS_PER_CALL` epochs
    (fewer for a very large stack, see :data:`ORDERS_BUDGET`), each call's visiting
    orders drawn while the last call trains, the scores recorded after the last; with
    callbacks, one compiled epoch per call, the parameters back in ``run.flat`` before
    each ``run.end_epoch``. The two give the same numbers (``tests/test_compiled.py``).
    """
    _check(run)
    import jax

    with jax.enable_x64(True):
        import jax.numpy as jnp

        lr = np.asarray(run.lr, dtype=run.flat.dtype)
        x, t, lr, test = jax.device_put((run.x_train, run.t_train, lr, run.test_data))
        sizes = {"train": run.x_train.shape[-2], "test": None if test is None else test[0].shape[-2]}

        def host_scores(scores, index=()):
            return {which: (np.asarray(errors)[index], np.asarray(hits)[index] / sizes[which])
                    for which, (errors, hits) in scores.items()}

        def start():
            p = jax.device_put(model.from_flat(run.flat, run.net.shapes))
            return p, run.rule.init(jnp, {name: p[name] for name in run.on_names})

        functions = _functions(run)
        if not run.callbacks:
            before, states = run.flat.copy(), [rng.bit_generator.state for rng in run.rngs]
            if _all_epochs(run, functions["epochs"], *start(), (x, t, lr, test), host_scores):
                return
            # Diverged somewhere: train again epoch by epoch from the same start, so that
            # run.end_epoch sees each epoch's parameters and names the epoch that failed.
            run.flat[...] = before
            for rng, state in zip(run.rngs, states, strict=True):
                rng.bit_generator.state = state
        state = start()[1]
        for epoch in range(1, run.epochs + 1):
            order = _draw_orders(run)
            p = start()[0]  # a callback may have changed the parameters
            p, state, scores = functions["epoch"](p, state, run.strengths(), lr, x, t, order, test)
            run.flat[...] = model.to_flat(np, jax.device_get(p))
            if run.end_epoch(epoch, host_scores(scores)):
                break


def _check(run) -> None:
    """Raise a ValueError naming what the engine cannot compile, if anything."""
    net = run.net
    if run.noise is not None:
        raise ValueError(f"noise={run.noise!r} is not supported by engine='compiled'; {USE_NUMPY}")
    if net.loss.formulas is None:
        raise ValueError(f"the network's loss {net.loss!r} is not supported by engine='compiled' "
                         f"(it has no formulas for jax.numpy); {USE_NUMPY}")
    for name in ("weight_penalty", "bias_penalty"):
        penalty = getattr(net, name)
        if penalty is not None and not (isinstance(penalty, Penalty) and penalty.has_formulas):
            raise ValueError(f"{name}={penalty!r} is not supported by engine='compiled' (only a Penalty "
                             f"with formulas, such as L1, L2 and L1L2); {USE_NUMPY}")


def _draw_orders(run) -> np.ndarray:
    """One epoch's visiting orders, drawn as :func:`l1reg.core.training.numpy_engine` draws them."""
    n = run.x_train.shape[-2]
    if run.stacked:
        return np.stack([rng.permutation(n) for rng in run.rngs])
    return run.rngs[0].permutation(n)


def _chunk_epochs(epochs: int, per_epoch: int) -> int:
    """Epochs per call: the power of two >= ``epochs`` (so that few lengths ever compile),
    at most :data:`EPOCHS_PER_CALL` and what :data:`ORDERS_BUDGET` allows (and at least 1)."""
    cap = 1 << max((ORDERS_BUDGET // max(per_epoch, 1)).bit_length() - 1, 0)
    return min(1 << (epochs - 1).bit_length(), cap, EPOCHS_PER_CALL)


def _all_epochs(run, train, p, state, data: tuple, host_scores) -> bool:
    """All of ``run``'s epochs in calls of :func:`_chunk_epochs` epochs; then the histories.

    Each call's orders are drawn epoch by epoch, network by network, as numpy_engine
    draws them (the same numbers, since nothing else draws from those generators),
    while the previous call, dispatched without waiting, trains.
    Returns False, recording nothing, if the final parameters are not all finite (the
    caller then trains epoch by epoch to find where it diverged).
    """
    import jax

    x, t, lr, test = data
    per_epoch = int(np.prod(run.x_train.shape[:-1]))
    chunk = _chunk_epochs(run.epochs, per_epoch)
    s, scores = run.strengths(), []
    for first in range(0, run.epochs, chunk):
        count = min(chunk, run.epochs - first)
        # a new array for every call: the call may still be reading the last one
        orders = np.empty((chunk,) + run.x_train.shape[:-1], dtype=np.int32)
        for epoch in range(count):
            orders[epoch] = _draw_orders(run)
        orders[count:] = 0  # padding: epochs that are skipped
        p, state, done = train(p, state, s, lr, np.asarray(count), x, t, orders, test)
        scores.append((count, done))
    final = model.to_flat(np, jax.device_get(p))
    if not np.isfinite(final).all():
        return False
    run.flat[...] = final
    epoch = 0
    for count, done in scores:
        for i in range(count):
            epoch += 1
            run.end_epoch(epoch, host_scores(done, i))  # no callbacks: it records the histories
    return True


# --- the compiled functions: the one step, looped by lax.scan -------------------------------------


def _functions(run) -> dict:
    """The jitted epoch and all-epochs functions for ``run``, cached on what they depend on.

    The key is the step's structure (loss, penalty and rule kinds, the matrices the
    rule acts on), the batch size and whether scores are kept; jax.jit caches again on
    the arrays' shapes. The strengths are arguments, so a new strength reuses them.
    """
    spec = run.spec
    key = (spec.signal, tuple(sorted(spec.penalties.items())), run.rule.signature(), spec.on,
           spec.adjusts, spec.moves, run.net.loss.formulas[0], run.batch_size, run.record_history)
    if key not in _CACHE:
        _CACHE[key] = _compile(spec, run.net.loss.formulas[0], run.batch_size, run.record_history)
    return _CACHE[key]


def _compile(spec, error, batch_size: int, keep_scores: bool) -> dict:
    """Jit one epoch, and a ``scan`` over epochs of it, around :func:`l1reg.core.step.sgd_step`."""
    import jax
    import jax.numpy as jnp

    def scores(p, x, t):
        """The data error and the number of hits (the host divides, as NumPy does)."""
        o = model.forward(jnp, p, x)[1]
        return error(jnp, o, t), model.hits(jnp, o, t)

    def epoch(p, state, s, lr, x, t, order, test):
        """One epoch: the items in ``order``, full batches first (one scan), then the rest."""
        xs = jnp.take_along_axis(x, order[..., None], axis=-2)
        ts = jnp.take_along_axis(t, order[..., None], axis=-2)
        n = xs.shape[-2]
        n_full = n // batch_size
        full = n_full * batch_size

        def batches(a):  # (..., n, units) -> (batches, ..., batch_size, units)
            a = a[..., :full, :].reshape(a.shape[:-2] + (n_full, batch_size, a.shape[-1]))
            return jnp.moveaxis(a, -3, 0)

        def one(carry, batch):
            (p, state), (x_b, t_b) = carry, batch
            return sgd_step(jnp, p, x_b, t_b, lr, spec, s, state), None

        if n_full:
            (p, state), _ = jax.lax.scan(one, (p, state), (batches(xs), batches(ts)),
                                         unroll=min(UNROLL, n_full))
        if n > full:
            p, state = sgd_step(jnp, p, xs[..., full:, :], ts[..., full:, :], lr, spec, s, state)
        done = {}
        if keep_scores:
            done["train"] = scores(p, x, t)
            if test is not None:
                done["test"] = scores(p, *test)
        return p, state, done

    def epochs(p, state, s, lr, count, x, t, orders, test):
        """The epochs of ``orders`` (epochs x ... x items); those from ``count`` on are skipped."""

        def one(carry, index_and_order):
            index, order = index_and_order

            def train(c):
                p, state, done = epoch(*c, s, lr, x, t, order, test)
                return (p, state), done

            def skip(c):
                return c, jax.tree.map(jnp.zeros_like, jax.eval_shape(train, c)[1])

            return jax.lax.cond(index < count, train, skip, carry)

        (p, state), done = jax.lax.scan(one, (p, state), (jnp.arange(orders.shape[0]), orders))
        return p, state, done

    return {"epoch": jax.jit(epoch, donate_argnums=0), "epochs": jax.jit(epochs, donate_argnums=0)}
