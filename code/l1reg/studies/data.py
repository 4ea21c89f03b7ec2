"""The demo's synthetic data: items labelled by a random "generator" network.

A 10-15-4 tanh/softmax network with weights and biases drawn uniformly from
``[-9.9, 9.9]`` plays the unknown truth. Inputs are drawn uniformly from
``[-input_range, input_range]`` (default ``[-10, 10]``), and each item's class is the
generator's arg-max output, one-hot encoded. With weights this large the generator's
hidden units are nearly always saturated, so the classes are regions cut out by
fifteen hyperplanes: learnable, but not by a linear model.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from l1reg.core._validation import (
    Array,
    Instance,
    Int,
    ListOf,
    Matrix,
    Real,
    Seed,
    Values,
    validate_params,
)
from l1reg.core.network import NETWORK, Network

GENERATOR_WEIGHT_RANGE = 9.9
# The article does not publish its input range. With [-10, 10] a learner whose first
# weights start in [-0.01, 0.01] still gets hidden sums large enough for the data
# gradient to beat a lam = 0.001 penalty from the first epoch; with [-1, 1] that
# penalty zeroes every weight before the data can speak (the chapter's exercise).
DEMO_INPUT_RANGE = 10.0


class DemoData(NamedTuple):
    """Training and test inputs with their one-hot targets."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray


@validate_params(seed=Seed(), n_input=Int(), n_hidden=Int(), n_output=Int(2))
def make_generator(
    seed: int | np.random.Generator, n_input: int = 10, n_hidden: int = 15, n_output: int = 4
) -> Network:
    """A random network whose weights and biases are uniform in [-9.9, 9.9]."""
    return Network(n_input, n_hidden, n_output, seed=seed, init_range=GENERATOR_WEIGHT_RANGE)


@validate_params(n_items=Int(), n_input=Int(), seed=Seed(), input_range=Real(0.0, strict=True))
def make_inputs(
    n_items: int,
    n_input: int,
    seed: int | np.random.Generator,
    input_range: float = DEMO_INPUT_RANGE,
) -> np.ndarray:
    """``n_items`` input vectors, each value uniform in ``[-input_range, input_range]``."""
    return seed.uniform(-input_range, input_range, size=(n_items, n_input))


@validate_params(classes=Array("int", ndim=1, min_size=0), n_classes=Int())
def one_hot(classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Encode integer class labels as rows of a one-hot matrix."""
    if classes.size and (classes.min() < 0 or classes.max() >= n_classes):
        raise ValueError(f"classes must lie in [0, {n_classes - 1}]")
    return np.eye(n_classes)[classes]


@validate_params(generator=NETWORK, x=Matrix())
def label_items(generator: Network, x) -> np.ndarray:
    """One-hot targets: each item's class is the generator's arg-max output."""
    return one_hot(generator.predict(x), generator.n_output)


@validate_params(n_train=Int(), n_test=Int(), generator_seed=Seed(), train_seed=Seed(), test_seed=Seed(),
                 input_range=Real(0.0, strict=True))
def make_demo_data(
    n_train: int = 200,
    n_test: int = 40,
    *,
    generator_seed: int = 0,
    train_seed: int = 1,
    test_seed: int = 2,
    input_range: float = DEMO_INPUT_RANGE,
) -> DemoData:
    """The demo's data: 200 training and 40 test items from one 10-15-4 generator.

    The generator, the training inputs and the test inputs each have their own seed,
    so changing one leaves the other two as they were.
    """
    generator = make_generator(generator_seed)
    x_train = make_inputs(n_train, generator.n_input, train_seed, input_range)
    x_test = make_inputs(n_test, generator.n_input, test_seed, input_range)
    return DemoData(x_train, label_items(generator, x_train), x_test, label_items(generator, x_test))


# --- The loan data of the overfitting chapter -------------------------------------------

# A made-up bank approves a loan when the applicant's debt is low for their income.
# Both inputs are normalized to [-1, 1]; the true boundary is the straight line
# debt = LOAN_SLOPE * income + LOAN_INTERCEPT, with approvals below it.
LOAN_SLOPE = 0.8
LOAN_INTERCEPT = 0.1
LOAN_INPUT_RANGE = 1.0
LOAN_CLASSES = ("rejected", "approved")


class LoanData(NamedTuple):
    """Loan applications: inputs, noisy one-hot targets, and which labels noise flipped.

    ``x`` holds (income, debt) per item, ``t`` the recorded decision (column 0
    rejected, column 1 approved), ``flipped`` is True where ``t`` disagrees with the
    true boundary. With a leading replica axis when made by :func:`make_loan_replicas`.
    """

    x: np.ndarray
    t: np.ndarray
    flipped: np.ndarray


@validate_params(income=Values())
def loan_boundary(income) -> np.ndarray:
    """The debt on the true boundary for a given income: ``0.8 * income + 0.1``."""
    return LOAN_SLOPE * income + LOAN_INTERCEPT


@validate_params(x=Matrix())
def loan_true_classes(x) -> np.ndarray:
    """The noise-free decision: 1 (approved) where ``debt < 0.8 * income + 0.1``, else 0."""
    if x.shape[1] != 2:
        raise ValueError(f"x must have 2 columns (income, debt), got shape {x.shape}")
    return (x[:, 1] < loan_boundary(x[:, 0])).astype(np.int64)


@validate_params(n_items=Int(), seed=Seed(), flip=Real(0.0, maximum=0.5))
def make_loan_data(n_items: int, seed: int | np.random.Generator, *, flip: float = 0.1) -> LoanData:
    """``n_items`` loan applications with a fraction ``flip`` of the labels flipped.

    Income and debt are uniform in ``[-1, 1]``; each item's class comes from the true
    boundary (:func:`loan_true_classes`) and is then flipped, independently, with
    probability ``flip``. So even the true boundary is right on only about
    ``1 - flip`` of the items: that is the best accuracy any model can expect.

    Parameters
    ----------
    n_items : int
        Number of items, >= 1.
    seed : int or numpy.random.Generator
        Source of the inputs and of the flips (drawn in that order).
    flip : float, default 0.1
        Probability that an item's label is flipped, in ``[0, 0.5]`` (at 0.5 the
        labels carry no information; above it they would point the wrong way).
    """
    x = seed.uniform(-LOAN_INPUT_RANGE, LOAN_INPUT_RANGE, size=(n_items, 2))
    flipped = seed.random(n_items) < flip
    classes = np.where(flipped, 1 - loan_true_classes(x), loan_true_classes(x))
    return LoanData(x, one_hot(classes, 2), flipped)


@validate_params(n_items=Int(), seeds=ListOf(Seed(), what="a list of seeds, one per replica"),
                 flip=Real(0.0, maximum=0.5))
def make_loan_replicas(n_items: int, seeds, *, flip: float = 0.1) -> LoanData:
    """One :func:`make_loan_data` set per seed, stacked for :func:`l1reg.fit` on a list of networks.

    Returns arrays of shapes (replicas x n_items x 2) for ``x`` and ``t`` and
    (replicas x n_items) for ``flipped``.
    """
    sets = [make_loan_data(n_items, seed, flip=flip) for seed in seeds]
    return LoanData(*(np.stack(parts) for parts in zip(*sets, strict=True)))


# --- Real data bundled with scikit-learn, and a validation split (chapter 07, choosing inputs) --

DIGITS_SIDE = 8  # load_digits: 8 x 8 images, pixel values 0..16


@validate_params(n_test=Int(), seed=Seed())
def load_digits_data(n_test: int = 450, seed: int | np.random.Generator = 0) -> DemoData:
    """scikit-learn's bundled handwritten digits, split into training and test items.

    1,797 images of 8 x 8 pixels (Alpaydin and Kaynak 1998), read from the copy that
    ships with scikit-learn (no download). Pixels are scaled from 0..16 to [0, 1] and
    flattened row by row into 64 inputs; targets are one-hot over the 10 digits. The
    ``n_test`` test items are a random choice drawn from ``seed``.
    """
    from sklearn.datasets import load_digits  # optional dependency: only this loader needs it

    digits = load_digits()
    n_items = len(digits.target)
    if n_test >= n_items:
        raise ValueError(f"n_test must be smaller than the {n_items} images, got {n_test}")
    order = seed.permutation(n_items)
    x = digits.data / 16.0
    t = one_hot(digits.target.astype(np.int64), 10)
    test, train = order[:n_test], order[n_test:]
    return DemoData(x[train], t[train], x[test], t[test])


class NoisyInputs(NamedTuple):
    """Data with noise inputs appended: the data, and where each noise column came from.

    ``data`` holds the original inputs followed by the noise columns; ``sources[j]``
    is the original column that noise column ``j`` (input ``n_real + j``) copies.
    """

    data: DemoData
    sources: np.ndarray
    n_real: int


_DEMO_DATA = Instance(
    DemoData, "a DemoData (x_train, t_train, x_test, t_test)",
    example=lambda: DemoData(np.arange(4.0).reshape(2, 2), np.eye(2), np.ones((1, 2)), np.eye(2)[:1]))


@validate_params(data=_DEMO_DATA, n_noise=Int(), seed=Seed())
def add_noise_inputs(data: DemoData, n_noise: int, seed: int | np.random.Generator) -> NoisyInputs:
    """Append ``n_noise`` inputs that look like real ones but carry no information.

    Each noise column copies an original column that varies over the training items
    (drawn at random, with replacement) and shuffles its values over the items,
    training and test items separately. So every noise input has exactly the mean,
    variance and distribution of a real input on the training items, and no relation
    to the targets (a "shadow" or permuted copy): no filter that looks at the inputs
    alone, such as a variance threshold, can tell it from the input it copies.

    Examples
    --------
    >>> d = DemoData(np.arange(8.0).reshape(4, 2), np.eye(2)[[0, 1, 0, 1]],
    ...              np.ones((2, 2)), np.eye(2)[[0, 1]])
    >>> noisy = add_noise_inputs(d, 3, seed=0)
    >>> noisy.data.x_train.shape, noisy.n_real
    ((4, 5), 2)
    >>> bool(np.allclose(noisy.data.x_train.var(axis=0)[2:], d.x_train.var(axis=0)[noisy.sources]))
    True
    """
    varies = np.flatnonzero(np.ptp(data.x_train, axis=0) > 0)
    if varies.size == 0:
        raise ValueError("data.x_train must have a column that varies to copy; all are constant")
    sources = seed.choice(varies, size=n_noise)

    def shuffled(x: np.ndarray) -> np.ndarray:
        # each noise column gets its own permutation of the items
        return np.stack([x[seed.permutation(len(x)), c] for c in sources], axis=1)

    x_train = np.hstack([data.x_train, shuffled(data.x_train)])
    x_test = np.hstack([data.x_test, shuffled(data.x_test)])
    noisy = DemoData(x_train, data.t_train, x_test, data.t_test)
    return NoisyInputs(noisy, sources, data.x_train.shape[1])


@validate_params(data=_DEMO_DATA)
def standardize(data: DemoData) -> DemoData:
    """Centre and scale every input by its training mean and standard deviation.

    ``x <- (x - mean) / std`` with the statistics of the training items only (the test
    items are scaled with them too, never with their own). A column that is constant
    on the training items is only centred: it becomes 0. L1 pulls every weight alike,
    so an input on a small scale, which needs a large weight to matter, is cut first;
    on a common scale the inputs compete on what they tell about the targets.

    Examples
    --------
    >>> d = standardize(DemoData(np.array([[1.0, 5.0], [3.0, 5.0]]), np.eye(2),
    ...                          np.array([[2.0, 6.0]]), np.eye(2)[:1]))
    >>> d.x_train.tolist(), d.x_test.tolist()
    ([[-1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0]])
    """
    mean, std = data.x_train.mean(axis=0), data.x_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return DemoData((data.x_train - mean) / std, data.t_train, (data.x_test - mean) / std, data.t_test)


def load_diabetes_data() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled diabetes data: inputs (442 x 10) and targets (442,).

    Ten baseline measurements of 442 patients (age, sex, body mass index, blood
    pressure and six blood serum values), each column centred and scaled to unit
    Euclidean length as scikit-learn ships them; the target is a measure of disease
    progression one year later. No download.
    """
    from sklearn.datasets import load_diabetes  # optional dependency: only this loader needs it

    x, y = load_diabetes(return_X_y=True)
    return x, y


@validate_params(x=Matrix(), t=Matrix(), n_validation=Int(), seed=Seed())
def split_validation(x, t, n_validation: int, seed: int | np.random.Generator):
    """Split items at random into training and validation parts.

    Returns ``(x_train, t_train, x_val, t_val)``; the ``n_validation`` validation
    items are drawn from ``seed``, and both parts keep the items' original order.
    """
    if len(x) != len(t):
        raise ValueError(f"x and t must have one row per item each, got shapes {x.shape} and {t.shape}")
    if n_validation >= len(x):
        raise ValueError(f"n_validation must be smaller than the {len(x)} items, got {n_validation}")
    held_out = np.zeros(len(x), dtype=bool)
    held_out[seed.choice(len(x), size=n_validation, replace=False)] = True
    return x[~held_out], t[~held_out], x[held_out], t[held_out]
