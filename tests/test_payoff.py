"""Chapter 09's sparse truth: a generator that reads a few inputs, its label noise and input relevance."""

import copy
import pickle

import numpy as np
import pytest

from l1reg.studies import payoff
from l1reg.studies.data import make_inputs


@pytest.fixture(scope="module")
def truth():
    return payoff.make_sparse_generator(3, n_input=30, n_relevant=5)


def test_generator_draws_distinct_sorted_relevant_inputs_from_its_seed(truth):
    assert truth.relevant.tolist() == sorted(set(truth.relevant.tolist()))
    assert truth.relevant.size == 5 and 0 <= truth.relevant.min() and truth.relevant.max() < 30
    assert (truth.network.n_input, truth.network.n_hidden, truth.n_classes) == (5, 10, 4)
    again = payoff.make_sparse_generator(np.random.default_rng(3), n_input=30, n_relevant=5)
    np.testing.assert_array_equal(again.relevant, truth.relevant)
    np.testing.assert_array_equal(again.network.flat, truth.network.flat)
    every = payoff.make_sparse_generator(0, n_input=4, n_relevant=4)
    assert every.relevant.tolist() == [0, 1, 2, 3]


def test_generator_reads_only_its_relevant_inputs(truth):
    x = make_inputs(500, 30, seed=0)
    other = make_inputs(500, 30, seed=1)
    irrelevant = np.setdiff1d(np.arange(30), truth.relevant)
    changed = x.copy()
    changed[:, irrelevant] = other[:, irrelevant]  # redraw every irrelevant input
    np.testing.assert_array_equal(payoff.sparse_classes(truth, changed), payoff.sparse_classes(truth, x))
    moved = x.copy()
    moved[:, truth.relevant] = other[:, truth.relevant]  # redraw the relevant ones instead
    assert np.mean(payoff.sparse_classes(truth, moved) != payoff.sparse_classes(truth, x)) > 0.2


def test_sparse_classes_are_the_generator_on_the_relevant_columns(truth):
    x = make_inputs(200, 30, seed=4)
    classes = payoff.sparse_classes(truth, x)
    np.testing.assert_array_equal(classes, truth.network.predict(x[:, truth.relevant]))
    assert np.bincount(payoff.sparse_classes(truth, make_inputs(2000, 30, seed=0)), minlength=4).min() > 0


@pytest.mark.parametrize("flip", [0.0, 0.1, 0.3])
def test_flip_rate_and_flipped_labels_change_class(flip):
    classes = np.random.default_rng(0).integers(0, 4, size=20_000)
    noisy, flipped = payoff.flip_labels(classes, 4, flip, seed=5)
    assert abs(flipped.mean() - flip) < 0.01
    np.testing.assert_array_equal(noisy != classes, flipped)  # flipped <=> class changed
    if flip:  # a flipped label goes to each other class about equally often
        shifts = np.bincount((noisy[flipped] - classes[flipped]) % 4, minlength=4)
        assert shifts[0] == 0 and shifts[1:].min() > 0.28 * flipped.sum()


def test_flip_labels_on_the_truths_classes_is_reproducible_and_takes_no_items(truth):
    clean = payoff.sparse_classes(truth, make_inputs(3000, 30, seed=2))
    noisy, flipped = payoff.flip_labels(clean, truth.n_classes, 0.2, seed=2)
    again, flipped_again = payoff.flip_labels(clean, truth.n_classes, 0.2, seed=np.random.default_rng(2))
    np.testing.assert_array_equal(again, noisy)
    np.testing.assert_array_equal(flipped_again, flipped)
    np.testing.assert_array_equal(noisy != clean, flipped)
    assert noisy.min() >= 0 and noisy.max() < truth.n_classes
    empty, none = payoff.flip_labels(np.zeros(0, dtype=int), 4, 0.5, seed=0)
    assert empty.shape == none.shape == (0,) and none.dtype == bool


def test_input_relevance_sums_each_inputs_outgoing_weights_over_a_stack():
    w = np.array([[[0.0, 0.0], [0.5, -0.1], [0.0, 0.0], [0.0, 2.0]],
                  [[1.0, -1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]])  # 2 networks x 4 inputs x 2 hidden
    np.testing.assert_allclose(payoff.input_relevance(w), [[0.0, 0.6, 0.0, 2.0], [2.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(payoff.input_relevance(w[0]), payoff.input_relevance(w)[0])


@pytest.mark.parametrize("how", [lambda g: pickle.loads(pickle.dumps(g)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_a_copied_generator_labels_exactly_like_the_original(truth, how):
    twin = how(truth)
    x = make_inputs(300, 30, seed=6)
    np.testing.assert_array_equal(twin.relevant, truth.relevant)
    np.testing.assert_array_equal(payoff.sparse_classes(twin, x), payoff.sparse_classes(truth, x))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: payoff.make_sparse_generator(0, n_input=4, n_relevant=5), ValueError,
         "n_relevant must be at most"),
        (lambda: payoff.make_sparse_generator(0, n_input=0), ValueError, "n_input must be a positive int"),
        (lambda: payoff.make_sparse_generator(0, n_input=5, n_output=1), ValueError,
         "n_output must be an int >= 2"),
        (lambda: payoff.flip_labels([0, 1], 4, 1.0, 0), ValueError, "flip must be a probability"),
        (lambda: payoff.flip_labels([0, 1], 4, -0.1, 0), ValueError, "flip must be a finite number >= 0"),
        (lambda: payoff.flip_labels([0, 1], 1, 0.1, 0), ValueError, "n_classes must be an int >= 2"),
        (lambda: payoff.flip_labels([0.5], 4, 0.1, 0), TypeError, "classes must be an array of ints"),
        (lambda: payoff.sparse_classes("truth", np.zeros((3, 30))), TypeError,
         "generator must be a SparseGenerator"),
        (lambda: payoff.input_relevance([[1.0, np.nan]]), ValueError,
         "ih_weights must hold only finite values"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sparse_classes_checks_the_width(truth):
    with pytest.raises(ValueError, match=r"x must have shape \(items, 30\)"):
        payoff.sparse_classes(truth, np.zeros((3, 5)))
