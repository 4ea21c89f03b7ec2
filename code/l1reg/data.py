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

from l1reg._validation import check_positive_int, check_real, check_rng
from l1reg.network import Network

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


def make_generator(
    seed: int | np.random.Generator, n_input: int = 10, n_hidden: int = 15, n_output: int = 4
) -> Network:
    """A random network whose weights and biases are uniform in [-9.9, 9.9]."""
    return Network(n_input, n_hidden, n_output, seed=seed, init_range=GENERATOR_WEIGHT_RANGE)


def make_inputs(
    n_items: int,
    n_input: int,
    seed: int | np.random.Generator,
    input_range: float = DEMO_INPUT_RANGE,
) -> np.ndarray:
    """``n_items`` input vectors, each value uniform in ``[-input_range, input_range]``."""
    n_items = check_positive_int(n_items, "n_items")
    n_input = check_positive_int(n_input, "n_input")
    input_range = check_real(input_range, "input_range", minimum=0.0, strict=True)
    return check_rng(seed).uniform(-input_range, input_range, size=(n_items, n_input))


def one_hot(classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Encode integer class labels as rows of a one-hot matrix."""
    n_classes = check_positive_int(n_classes, "n_classes")
    classes = np.asarray(classes)
    if classes.size == 0:
        classes = classes.astype(np.int64)  # np.asarray([]) is float; an empty list is fine
    if classes.ndim != 1 or not np.issubdtype(classes.dtype, np.integer):
        raise ValueError("classes must be a 1-D array of ints")
    if classes.size and (classes.min() < 0 or classes.max() >= n_classes):
        raise ValueError(f"classes must lie in [0, {n_classes - 1}]")
    return np.eye(n_classes)[classes]


def label_items(generator: Network, x) -> np.ndarray:
    """One-hot targets: each item's class is the generator's arg-max output."""
    return one_hot(generator.predict(x), generator.n_output)


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
