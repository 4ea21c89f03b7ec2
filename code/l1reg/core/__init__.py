"""The core: the model and how it trains.

:mod:`~l1reg.core.model` holds the network's maths as pure functions of an array
namespace (forward and backward layer by layer, the losses), written once for NumPy
and ``jax.numpy``; :mod:`~l1reg.core.penalties` and :mod:`~l1reg.core.update_rules`
the penalties' and rules' formulas, the same way; :mod:`~l1reg.core.step` the one
training step every engine takes. :mod:`~l1reg.core.training` is ``fit``, with its
NumPy engine, and :mod:`~l1reg.core.compiled` the engine that runs the same step under
JAX; :mod:`~l1reg.core.network`, :mod:`~l1reg.core.losses` and the penalties are the
checked objects a user holds.
"""
