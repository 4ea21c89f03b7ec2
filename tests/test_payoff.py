"""The sparse-truth data and the study runner of the chapter "When does L1 pay off?"."""

import numpy as np
import pytest

from l1reg.core.update_rules import L2Gradient, Plain, Proximal, SubGradient
from l1reg.studies import payoff


@pytest.fixture(scope="module")
def truth():
    return payoff.make_sparse_generator(3, n_input=30, n_relevant=5)


def test_generator_reads_only_its_relevant_inputs(truth):
    assert truth.relevant.tolist() == sorted(set(truth.relevant.tolist()))
    assert truth.relevant.size == 5 and truth.relevant.max() < 30
    x = payoff.make_sparse_data(truth, 500, seed=0).x
    other = np.random.default_rng(1).uniform(-10, 10, size=x.shape)
    irrelevant = np.setdiff1d(np.arange(30), truth.relevant)
    changed = x.copy()
    changed[:, irrelevant] = other[:, irrelevant]  # redraw every irrelevant input
    np.testing.assert_array_equal(payoff.sparse_classes(truth, changed), payoff.sparse_classes(truth, x))
    moved = x.copy()
    moved[:, truth.relevant] = other[:, truth.relevant]  # redraw the relevant ones instead
    assert np.mean(payoff.sparse_classes(truth, moved) != payoff.sparse_classes(truth, x)) > 0.2


def test_generator_uses_several_classes(truth):
    classes = payoff.sparse_classes(truth, payoff.make_sparse_data(truth, 2000, seed=0).x)
    assert np.bincount(classes, minlength=4).min() > 0


@pytest.mark.parametrize("flip", [0.0, 0.1, 0.3])
def test_flip_rate_and_flipped_labels_change_class(flip):
    classes = np.random.default_rng(0).integers(0, 4, size=20_000)
    noisy, flipped = payoff.flip_labels(classes, 4, flip, seed=5)
    assert abs(flipped.mean() - flip) < 0.01
    np.testing.assert_array_equal(noisy != classes, flipped)  # flipped <=> class changed
    if flip:  # a flipped label goes to each other class about equally often
        shifts = np.bincount((noisy[flipped] - classes[flipped]) % 4, minlength=4)
        assert shifts[0] == 0 and shifts[1:].min() > 0.28 * flipped.sum()


def test_make_sparse_data_flags_the_noisy_labels(truth):
    items = payoff.make_sparse_data(truth, 3000, seed=2, flip=0.2)
    clean = payoff.sparse_classes(truth, items.x)
    np.testing.assert_array_equal(np.argmax(items.t, axis=1) != clean, items.flipped)
    assert abs(items.flipped.mean() - 0.2) < 0.03
    assert np.abs(items.x).max() <= 10.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: payoff.make_sparse_generator(0, n_input=4, n_relevant=5), ValueError,
         "n_relevant must be at most"),
        (lambda: payoff.make_sparse_generator(0, n_input=0), ValueError, "n_input must be a positive int"),
        (lambda: payoff.flip_labels([0, 1], 4, 1.0, 0), ValueError, "flip must be a probability"),
        (lambda: payoff.flip_labels([0, 1], 4, -0.1, 0), ValueError, "flip must be a finite number >= 0"),
        (lambda: payoff.flip_labels([0, 1], 1, 0.1, 0), ValueError, "n_classes must be an int >= 2"),
        (lambda: payoff.flip_labels([0.5], 4, 0.1, 0), TypeError, "classes must be an array of ints"),
        (lambda: payoff.select_on_validation([0.1, 0.2]), ValueError, "validation must be 2-D"),
        (lambda: payoff.run_setting(5, 10, [], {"none": [Plain()]}), ValueError,
         "seed_sets must hold at least one"),
        (lambda: payoff.run_setting(5, 10, [0], {"none": []}), ValueError,
         r"grids\['none'\] must hold at least one item"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sparse_classes_checks_the_width(truth):
    with pytest.raises(ValueError, match=r"x must have shape \(items, 30\)"):
        payoff.sparse_classes(truth, np.zeros((3, 5)))


SMALL = payoff.Design(n_test=60, steps=40, lr=0.01, loss="cross_entropy")
GRIDS = {"none": [Plain()], "L1": [SubGradient(0.03), SubGradient(0.003)],
         "prox": [Proximal(0.03), Proximal(0.003)], "L2": [L2Gradient(0.3), L2Gradient(0.03)]}


@pytest.fixture(scope="module")
def small_run():
    return payoff.run_setting(8, 20, [0, 1, 2], GRIDS, SMALL)


def test_runner_picks_the_best_validation_strength(small_run):
    r = small_run
    assert r.n_networks == 3 * 7
    for name, rules in GRIDS.items():
        assert r.validation[name].shape == r.test[name].shape == (3, len(rules))
        np.testing.assert_array_equal(r.chosen[name], np.argmax(r.validation[name], axis=1))
        np.testing.assert_array_equal(r.test_chosen[name], r.test[name][np.arange(3), r.chosen[name]])
        assert r.ih_weights[name].shape == (3, 8, SMALL.n_hidden)


def test_runner_choice_ignores_the_test_items(small_run):
    # Another test set (more items) must leave validation and the choice as they were.
    other = payoff.run_setting(8, 20, [0, 1, 2], GRIDS, payoff.Design(**{**SMALL.__dict__, "n_test": 90}))
    for name in GRIDS:
        np.testing.assert_array_equal(other.validation[name], small_run.validation[name])
        np.testing.assert_array_equal(other.chosen[name], small_run.chosen[name])
    assert any(not np.array_equal(other.test[name], small_run.test[name]) for name in GRIDS)


def test_runner_matches_one_network_trained_alone(small_run):
    # The stack is only a speed-up: seed set 1 under Proximal(0.03) alone gives the same weights.
    alone = payoff.run_setting(8, 20, [1], {"prox": [Proximal(0.03)]}, SMALL)
    np.testing.assert_allclose(alone.test["prox"][0, 0], small_run.test["prox"][1, 0])
    if small_run.chosen["prox"][1] == 0:
        np.testing.assert_allclose(alone.ih_weights["prox"][0], small_run.ih_weights["prox"][1], atol=1e-12)


def test_proximal_makes_exact_zeros_and_recovery_counts_them():
    w = np.array([[0.0, 0.0], [0.5, -0.1], [0.0, 0.0], [0.0, 2.0]])
    kept = payoff.input_relevance(w) > 0
    assert kept.tolist() == [False, True, False, True]
    assert payoff.recovery(kept, [1, 2]) == (0.5, 0.5)
    assert payoff.recovery(np.zeros(4, dtype=bool), [1]) == (1.0, 0.0)


def test_epochs_keep_the_number_of_steps():
    design = payoff.Design(steps=1500, batch_size=10)
    assert design.epochs(400) == 38 and design.epochs(25) == 500 and design.epochs(100_000) == 1
