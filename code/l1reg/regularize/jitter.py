"""Jitter: train on inputs with fresh Gaussian noise added at every step.

Each step sees ``x + sigma * n`` with ``n`` drawn from a standard normal distribution,
a new draw every time, so the network never sees the same item twice and cannot fit
any one item's exact position. For small noise this is equivalent to adding a
penalty on the network's sensitivity to its inputs (Bishop 1995); Reed and Marks
(1999) treat it as a regularizer in its own right. Evaluation uses the clean inputs.
Pass a :class:`Jitter` as ``noise=`` to :func:`l1reg.fit`.
"""

from __future__ import annotations

import numpy as np

from l1reg.core._validation import Real, Seed, validate_params


class Jitter:
    """Add ``sigma * N(0, 1)`` noise to the inputs of every training step.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise, >= 0, in the inputs' units.
    seed : int or numpy.random.Generator
        Source of the noise.
    """

    @validate_params(sigma=Real(0.0), seed=Seed())
    def __init__(self, sigma: float, seed: int | np.random.Generator) -> None:
        self.sigma, self.rng = sigma, seed

    def perturb(self, x: np.ndarray) -> np.ndarray:
        """``x + sigma * n``, with ``n`` a fresh standard normal draw of x's shape."""
        return x + self.sigma * self.rng.standard_normal(x.shape)

    def draw(self, x: np.ndarray, n_hidden: int) -> tuple[np.ndarray, None]:
        """Noisy copies of the batch ``x`` (in x's dtype), and no mask."""
        return self.perturb(x).astype(x.dtype, copy=False), None

    def get_config(self) -> dict:
        return {"sigma": self.sigma}

    def __repr__(self) -> str:
        return f"Jitter(sigma={self.sigma:g})"
