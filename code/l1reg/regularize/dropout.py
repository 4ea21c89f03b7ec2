"""Dropout on the hidden layer (Srivastava et al. 2014), from scratch.

At every training step each hidden unit is kept with probability ``1 - rate`` and
silenced otherwise; the kept values are divided by ``1 - rate`` ("inverted dropout",
as Keras does it), so a unit's expected value is unchanged and the trained network is
used as it is at test time, with every unit on.

The forward and backward passes with a mask are the network's own
(:func:`l1reg.core.model.forward` and ``backward`` with ``mask=``): ``h`` is replaced
by ``h * mask`` between the layers. Pass a :class:`Dropout` as ``noise=`` to
:func:`l1reg.fit`; the step draws a fresh mask for every batch.
"""

from __future__ import annotations

import numpy as np

from l1reg.core._validation import ListOf, Probability, Seed, validate_params


class Dropout:
    """Silence each hidden unit with probability ``rate`` at every training step.

    Parameters
    ----------
    rate : float
        The fraction of hidden units dropped, in [0, 1) (Keras's ``Dropout(rate)``;
        Srivastava et al. write ``p = 1 - rate`` for the probability of keeping).
    seed : int or numpy.random.Generator
        Source of the masks.

    Examples
    --------
    >>> Dropout(0.5, seed=0).draw_mask((2, 4))
    array([[0., 2., 2., 2.],
           [0., 0., 0., 0.]])
    """

    @validate_params(rate=Probability(), seed=Seed())
    def __init__(self, rate: float, seed: int | np.random.Generator) -> None:
        self.rate, self.rng = rate, seed

    def draw_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """A mask of 0 (dropped) and ``1 / (1 - rate)`` (kept): its mean is 1 on average."""
        keep = 1.0 - self.rate
        return (self.rng.random(shape) < keep) / keep

    def draw(self, x: np.ndarray, n_hidden: int) -> tuple[np.ndarray, np.ndarray]:
        """The batch ``x`` as it is and a fresh mask for it (items x hidden units), in x's dtype."""
        return x, self.draw_mask(x.shape[:-1] + (n_hidden,)).astype(x.dtype, copy=False)

    def get_config(self) -> dict:
        return {"rate": self.rate}

    def __repr__(self) -> str:
        return f"Dropout(rate={self.rate:g})"


class StackDropout(Dropout):
    """Dropout for a stack of networks: each network its own ``rate`` and its own source of masks.

    Network ``i`` of the stack draws its masks from ``seeds[i]`` alone, so its masks do
    not depend on which other networks share the stack: a network trained in a large
    stack trains exactly as it would in a stack of one (or with ``Dropout(rates[i],
    seeds[i])`` on its own). The study protocol passes one per stack
    (:class:`l1reg.studies.protocol.Method` with ``dropout=``).

    Examples
    --------
    >>> noise = StackDropout([0.0, 0.5], seeds=[0, 1])
    >>> noise.draw_mask((2, 1, 4))
    array([[[1., 1., 1., 1.]],
    <BLANKLINE>
           [[0., 0., 2., 0.]]])
    """

    @validate_params(rates=ListOf(Probability(), what="a list of dropout rates, one per network"),
                     seeds=ListOf(Seed(), what="a list of seeds (int or Generator), one per network"))
    def __init__(self, rates, seeds) -> None:
        if len(rates) != len(seeds):
            raise ValueError(f"seeds must hold one seed per rate ({len(rates)}), got {len(seeds)}")
        self.rates, self.rngs = np.array(rates, dtype=float), list(seeds)
        self.rate, self.rng = float(self.rates.max()), None

    def draw_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """One mask per network (the first axis of ``shape``), each from its own source."""
        if shape[0] != self.rates.size:
            raise ValueError(f"shape must start with the stack's {self.rates.size} networks, got {shape}")
        keep = 1.0 - self.rates.reshape((-1,) + (1,) * (len(shape) - 1))
        draws = np.stack([rng.random(shape[1:]) for rng in self.rngs])
        return (draws < keep) / keep

    def get_config(self) -> dict:
        return {"rates": self.rates.tolist()}

    def __repr__(self) -> str:
        return f"StackDropout(rates={self.rates.tolist()})"
