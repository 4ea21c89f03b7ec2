"""Chapter 09's sparse truth: a generator that reads only a few of its inputs, and its helpers.

The truth is a generator network that sees only ``n_relevant`` of the ``n_input``
inputs (:func:`make_sparse_generator`); the other inputs are drawn like the relevant
ones but cannot change a label (:func:`sparse_classes`). Training and validation labels
may be noisy: :func:`flip_labels` moves a share ``flip`` of them to a random *other*
class. :func:`input_relevance` measures how much a trained network listens to each input.

The study built on them, every penalty tuned on the study protocol, is in
:mod:`l1reg.studies.payoff_map` (one cell of the map) and
:mod:`l1reg.studies.payoff_study` (the whole map).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from l1reg.core._validation import (
    Array,
    Instance,
    Int,
    Matrix,
    Probability,
    Seed,
    Values,
    validate_fields,
    validate_params,
)
from l1reg.core.network import NETWORK, Network
from l1reg.studies.data import make_generator


@validate_fields(network=NETWORK, relevant=Array("int", ndim=1), n_input=Int())
@dataclass(frozen=True)
class SparseGenerator:
    """The truth: a ``network`` that reads only the inputs listed in ``relevant``."""

    network: Network
    relevant: np.ndarray
    n_input: int

    @property
    def n_classes(self) -> int:
        """The number of classes (the generator's outputs)."""
        return self.network.n_output


@validate_params(seed=Seed(), n_input=Int(), n_relevant=Int(), n_hidden=Int(), n_output=Int(2))
def make_sparse_generator(
    seed: int | np.random.Generator, n_input: int, n_relevant: int = 5,
    n_hidden: int = 10, n_output: int = 4,
) -> SparseGenerator:
    """A random generator network that reads ``n_relevant`` of the ``n_input`` inputs.

    Which inputs are relevant is drawn from ``seed``, then the generator's weights
    (uniform in [-9.9, 9.9], as :func:`l1reg.studies.data.make_generator`).

    Examples
    --------
    >>> truth = make_sparse_generator(0, n_input=30, n_relevant=5)
    >>> truth.relevant.size, truth.network.n_input, truth.n_classes
    (5, 5, 4)
    """
    if n_relevant > n_input:
        raise ValueError(f"n_relevant must be at most n_input ({n_input}), got {n_relevant}")
    relevant = np.sort(seed.choice(n_input, size=n_relevant, replace=False))
    network = make_generator(seed, n_relevant, n_hidden, n_output)
    return SparseGenerator(network, relevant, n_input)


_GENERATOR = Instance(SparseGenerator, "a SparseGenerator", example=lambda: make_sparse_generator(0, 3, 2))


@validate_params(generator=_GENERATOR, x=Matrix())
def sparse_classes(generator: SparseGenerator, x) -> np.ndarray:
    """The true class of each item: the generator's arg-max on the relevant inputs only."""
    if x.shape[1] != generator.n_input:
        raise ValueError(f"x must have shape (items, {generator.n_input}), got {x.shape}")
    return generator.network.predict(x[:, generator.relevant])


@validate_params(classes=Array("int", ndim=1, min_size=0), n_classes=Int(2), flip=Probability(), seed=Seed())
def flip_labels(classes, n_classes: int, flip: float, seed: int | np.random.Generator):
    """Move each label, with probability ``flip``, to one of the other classes at random.

    Returns ``(noisy_classes, flipped)``; a flipped label never keeps its class.

    Examples
    --------
    >>> noisy, flipped = flip_labels(np.zeros(10_000, dtype=int), 4, 0.2, seed=0)
    >>> round(float(flipped.mean()), 2), bool(np.all(noisy[flipped] != 0))
    (0.2, True)
    """
    flipped = seed.random(classes.size) < flip
    shift = seed.integers(1, n_classes, size=classes.size)  # 1..C-1: never the same class
    return np.where(flipped, (classes + shift) % n_classes, classes), flipped


# --- did the network find the inputs that matter? ----------------------------------------


@validate_params(ih_weights=Values())
def input_relevance(ih_weights) -> np.ndarray:
    """Per input, the size of its outgoing weights: ``sum_j |W_ih[i, j]|`` (last axis summed).

    Examples
    --------
    >>> input_relevance([[1.0, -2.0], [0.0, 0.0]]).tolist()
    [3.0, 0.0]
    """
    return np.abs(ih_weights).sum(axis=-1)
