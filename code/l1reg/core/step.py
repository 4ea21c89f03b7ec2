"""One training step, written once: every engine takes exactly this step.

:func:`sgd_step` is forward, the loss's signal and backward
(:func:`l1reg.core.model.data_gradient`), the network's own penalties added to their
blocks' gradients, and the update: the plain step ``w - lr * g`` on every block, with
the update rule's two hooks around it on the weight matrices it acts on. The NumPy
engine calls it in a Python loop over the batches; the compiled engine calls the same
function with ``jax.numpy`` inside ``lax.scan``.
"""

from __future__ import annotations

from typing import NamedTuple

from l1reg.core import model


class StepSpec(NamedTuple):
    """What a training run's step computes, apart from the numbers it computes with.

    ``signal(xp, o, t)`` is the loss's ``dE/dz``; ``penalties`` maps a block's name to
    the gradient formula ``grad(xp, s, w)`` of the network's penalty on it (blocks
    without a penalty are absent); ``rule`` is the update rule and ``on`` the weight
    matrices it acts on; ``adjusts`` and ``moves`` say whether the rule has each hook.
    """

    signal: object
    penalties: dict
    rule: object
    on: tuple[str, ...]
    adjusts: bool
    moves: bool


def sgd_step(xp, p: dict, x, t, lr, spec: StepSpec, s: dict, state: dict, mask=None) -> tuple[dict, dict]:
    """One step on the items ``x``: returns the new parameters and the rule's new state.

    ``s`` holds the numbers the formulas read (``s[name]`` the settings of the penalty
    on a block, ``s["rule"]`` the rule's), ``state`` the rule's state for each matrix
    it acts on, ``mask`` an optional dropout mask of the hidden units.
    """
    g = model.data_gradient(xp, p, x, t, spec.signal, mask)
    new, state, rule, penalties, on = {}, dict(state), spec.rule, spec.penalties, spec.on
    for name, w in p.items():
        grad = g[name]
        if name in penalties:  # the network's penalty: + lam * sign(w) for L1(lam)
            grad = grad + penalties[name](xp, s[name], w)
        if name not in on:
            new[name] = w - lr * grad
            continue
        if spec.adjusts:
            grad = rule.adjust_gradient(xp, s["rule"], w, grad)
        w = w - lr * grad
        if spec.moves:
            w, state[name] = rule.after_step(xp, s["rule"], w, lr, state[name])
        new[name] = w
    return new, state
