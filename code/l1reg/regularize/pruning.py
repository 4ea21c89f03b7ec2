"""Magnitude pruning: train without a penalty, then zero the smallest weights.

The practical rival of L1 for sparsity (Han et al. 2015): train the network plainly,
set the ``n`` weights with the smallest ``|w|`` to exactly zero, and optionally
fine-tune the rest with the pruned weights held at zero. :func:`magnitude_mask` picks
the weights to keep, :func:`prune_weights` zeroes the others in trained networks, and
:class:`KeepPruned` is the update rule that fine-tunes them::

    keep = prune_weights(nets, n_pruned=20)
    l1reg.fit(nets, x, t, rule=KeepPruned(keep), epochs=20, lr=0.01, seed=seeds)

Biases are never pruned (as L1 leaves them alone in this book).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from l1reg.core._validation import AnyOf, Array, Int, ListOf, Values, validate_params
from l1reg.core.network import Network, OneOrMoreNetworks
from l1reg.core.update_rules import UpdateRule

# How many to prune; whether a count fits the weights (and a list the rows) is asked in the body.
_COUNTS = AnyOf(Int(0), ListOf(Int(0), what="a list of counts, one per network"),
                what="an int >= 0, or a list of them with one per network")


@validate_params(w=Values(), n_pruned=_COUNTS)
def magnitude_mask(w, n_pruned) -> np.ndarray:
    """True for the weights to keep: all but the ``n_pruned`` with the smallest ``|w|``.

    ``w`` is one weight vector, or a stack of them (one row per network), and
    ``n_pruned`` one count, or one per row. Ties are broken by position (the earlier
    weight is pruned first), so exactly ``n_pruned`` weights per row are dropped.

    Examples
    --------
    >>> magnitude_mask([0.5, -0.1, 2.0, 0.2], 2)
    array([ True, False,  True, False])
    """
    if w.ndim not in (1, 2) or w.shape[-1] == 0:
        raise ValueError(f"w must be a non-empty weight vector or a stack of them (2-D), got shape {w.shape}")
    rows = np.atleast_2d(w)
    counts = _counts(n_pruned, len(rows), rows.shape[1])
    order = np.argsort(np.abs(rows), axis=1, kind="stable")  # smallest |w| first
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(rows.shape[1])[None, :].repeat(len(rows), 0), axis=1)
    keep = rank >= counts[:, None]
    return keep[0] if w.ndim == 1 else keep


def _counts(n_pruned: int | list[int], n_rows: int, n_weights: int) -> np.ndarray:
    """``n_pruned`` (as its table made it) as one int per row, each at most ``n_weights``."""
    values = n_pruned if isinstance(n_pruned, list) else [n_pruned] * n_rows
    if len(values) != n_rows:
        raise ValueError(f"n_pruned must be an int or one int per network ({n_rows}), got {n_pruned!r}")
    counts = np.asarray(values, dtype=np.int64)
    if np.any(counts > n_weights):
        raise ValueError(f"n_pruned must lie in [0, {n_weights}] (the number of weights), got {n_pruned!r}")
    return counts


@validate_params(nets=OneOrMoreNetworks(), n_pruned=_COUNTS)
def prune_weights(nets: Network | Sequence[Network], n_pruned) -> np.ndarray:
    """Zero, in place, the ``n_pruned`` smallest ``|w|`` of each network; return what is kept.

    ``nets`` is a network or a list of them, ``n_pruned`` one count or one per network.
    Returns the keep mask over each network's weights (``net.weights()`` order; one row
    per network for a list), ready for :class:`KeepPruned`.
    """
    stack = nets if isinstance(nets, list) else [nets]
    keep = np.atleast_2d(magnitude_mask(np.stack([net.weights() for net in stack]), n_pruned))
    for net, row in zip(stack, keep, strict=True):
        net.flat[: net.n_weights][~row] = 0.0  # exact +0.0 where pruned
    return keep[0] if isinstance(nets, Network) else keep


class KeepPruned(UpdateRule):
    """A plain step, then the pruned weights set back to exactly 0: fine-tuning after pruning.

    Parameters
    ----------
    keep : array of bool
        True for the weights that train, False for those held at zero; the shape of the
        weights the rule acts on (one row per network for a stack, as
        :func:`prune_weights` returns it). Pass one rule for the whole stack.

    Examples
    --------
    >>> from l1reg.core.update_rules import step_once
    >>> step_once(KeepPruned([True, False]), [1.0, 0.0], [1.0, 1.0], lr=0.1)
    array([0.9, 0. ])
    """

    @validate_params(keep=Array("bool"))
    def __init__(self, keep) -> None:
        if keep.ndim not in (1, 2):
            raise ValueError(f"keep must be 1-D (weights) or 2-D (networks x weights), "
                             f"got shape {keep.shape}")
        self.keep = keep

    def get_config(self) -> dict:
        return {"kept": int(self.keep.sum()), "pruned": int((~self.keep).sum())}

    @classmethod
    def stack(cls, rules: list[KeepPruned]) -> KeepPruned:
        """One rule per network, as one rule whose mask has one row per network."""
        if any(rule.keep.ndim != 1 for rule in rules):
            raise ValueError("with one KeepPruned per network, each keep must be 1-D (one network's weights)")
        return cls(np.stack([rule.keep for rule in rules]))

    def init(self, xp, w: dict) -> dict:
        """Each weight matrix's part of the mask (the matrices in the flat layout's order)."""
        lead = next(iter(w.values())).shape[:-2]
        n_weights = sum(m.shape[-2] * m.shape[-1] for m in w.values())
        if self.keep.shape != lead + (n_weights,):
            raise ValueError(f"keep must have the shape of the weights the rule acts on "
                             f"{lead + (n_weights,)}, got {self.keep.shape}")
        masks, start = {}, 0
        for name, m in w.items():
            size = m.shape[-2] * m.shape[-1]
            masks[name] = xp.asarray(self.keep[..., start:start + size].reshape(m.shape))
            start += size
        return masks

    def after_step(self, xp, s, w, lr, keep):
        return xp.where(keep, w, 0.0), keep
