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

from l1reg.core._validation import Probability, Seed, validate_params


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
