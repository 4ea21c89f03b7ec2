"""Dropout on the hidden layer (Srivastava et al. 2014), from scratch.

At every training step each hidden unit is kept with probability ``1 - rate`` and
silenced otherwise; the kept values are divided by ``1 - rate`` ("inverted dropout",
as Keras does it), so a unit's expected value is unchanged and the trained network is
used as it is at test time, with every unit on.

The forward and backward passes with a mask are the network's own layers
(:mod:`l1reg.network`) with ``h`` replaced by ``h * mask`` between them. Pass a
:class:`Dropout` as ``noise=`` to :func:`l1reg.fit`.
"""

from __future__ import annotations

import numpy as np

from l1reg._validation import check_real, check_rng
from l1reg.network import hidden_backward, hidden_forward, output_backward, output_forward


def forward_with_mask(p: dict[str, np.ndarray], x: np.ndarray, mask: np.ndarray):
    """``h = tanh(x @ W_ih + b_h)``, ``o = softmax((h * mask) @ W_ho + b_o)``; returns (h, o)."""
    h = hidden_forward(p, x)
    return h, output_forward(p, h * mask)


def backward_with_mask(p, x, h, mask, z_signal, g) -> None:
    """Back-propagate ``z_signal = dE/dz`` through the masked hidden layer into ``g``."""
    h_grad = output_backward(p, h * mask, z_signal, g)
    # A silenced unit passes no signal back: the mask multiplies the hidden signal too.
    hidden_backward(p, x, h, h_grad * mask, g)


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

    def __init__(self, rate: float, seed: int | np.random.Generator) -> None:
        self.rate = check_real(rate, "rate", minimum=0.0)
        if self.rate >= 1.0:
            raise ValueError(f"rate must be a finite number in [0, 1), got {self.rate:g}")
        self.rng = check_rng(seed)

    def draw_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """A mask of 0 (dropped) and ``1 / (1 - rate)`` (kept): its mean is 1 on average."""
        keep = 1.0 - self.rate
        return (self.rng.random(shape) < keep) / keep

    def data_gradient(self, p, x, t, loss, g) -> None:
        """Write the data gradient of ``loss`` on the items ``x`` under a fresh mask into ``g``."""
        # One mask row per item (and per replica): items x hidden units.
        mask = self.draw_mask(x.shape[:-1] + p["h_biases"].shape[-1:])
        h, o = forward_with_mask(p, x, mask)
        backward_with_mask(p, x, h, mask, loss.signal(o, t), g)

    def get_config(self) -> dict:
        return {"rate": self.rate}

    def __repr__(self) -> str:
        return f"Dropout(rate={self.rate:g})"
