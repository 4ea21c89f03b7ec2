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

from l1reg.core._validation import ListOf, Real, Seed, validate_params


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


class StackJitter(Jitter):
    """Jitter for a stack of networks: each network its own ``sigma`` and its own source of noise.

    As :class:`l1reg.regularize.dropout.StackDropout`: network ``i`` draws from
    ``seeds[i]`` alone, so it trains as it would on its own.

    Examples
    --------
    >>> noise = StackJitter([0.0, 1.0], seeds=[0, 1])
    >>> noise.perturb(np.zeros((2, 1, 3))).round(2)
    array([[[0.  , 0.  , 0.  ]],
    <BLANKLINE>
           [[0.35, 0.82, 0.33]]])
    """

    @validate_params(sigmas=ListOf(Real(0.0), what="a list of noise strengths, one per network"),
                     seeds=ListOf(Seed(), what="a list of seeds (int or Generator), one per network"))
    def __init__(self, sigmas, seeds) -> None:
        if len(sigmas) != len(seeds):
            raise ValueError(f"seeds must hold one seed per sigma ({len(sigmas)}), got {len(seeds)}")
        self.sigmas, self.rngs = np.array(sigmas, dtype=float), list(seeds)
        self.sigma, self.rng = float(self.sigmas.min()), None

    def perturb(self, x: np.ndarray) -> np.ndarray:
        """``x`` plus each network's noise (the first axis of ``x``), each from its own source."""
        if x.shape[0] != self.sigmas.size:
            raise ValueError(f"x must hold the stack's {self.sigmas.size} networks on its first axis, "
                             f"got shape {x.shape}")
        noise = np.stack([rng.standard_normal(x.shape[1:]) for rng in self.rngs])
        return x + self.sigmas.reshape((-1,) + (1,) * (x.ndim - 1)) * noise

    def get_config(self) -> dict:
        return {"sigmas": self.sigmas.tolist()}

    def __repr__(self) -> str:
        return f"StackJitter(sigmas={self.sigmas.tolist()})"
