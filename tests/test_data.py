"""The demo's synthetic data: the generator network, the inputs, the labels, the seeds."""

import numpy as np
import pytest

from l1reg import label_items, make_demo_data, make_generator, make_inputs, one_hot
from l1reg.studies.data import DemoData, add_noise_inputs, load_digits_data, standardize
from l1reg.studies.demo import demo_data, demo_seeds


@pytest.fixture(scope="module")
def demo():
    return make_demo_data()


@pytest.mark.parametrize("seed", [0, 1, 17])
def test_generator_parameters_fill_the_range(seed):
    gen = make_generator(seed)
    assert (gen.n_input, gen.n_hidden, gen.n_output) == (10, 15, 4)
    flat = gen.get_flat()
    assert flat.size == 10 * 15 + 15 * 4 + 15 + 4
    assert np.all(np.abs(flat) <= 9.9)
    assert np.abs(gen.weights()).max() > 8.0
    assert np.abs(flat[gen.weights().size :]).max() > 5.0  # biases too
    assert flat.min() < -8.0
    assert flat.max() > 8.0


def test_generator_is_seeded():
    np.testing.assert_array_equal(make_generator(3).get_flat(), make_generator(3).get_flat())
    assert not np.array_equal(make_generator(3).get_flat(), make_generator(4).get_flat())


def test_demo_data_shapes(demo):
    assert demo.x_train.shape == (200, 10)
    assert demo.t_train.shape == (200, 4)
    assert demo.x_test.shape == (40, 10)
    assert demo.t_test.shape == (40, 4)
    assert demo._fields == ("x_train", "t_train", "x_test", "t_test")


def test_demo_inputs_fill_minus_ten_to_ten(demo):
    for x in (demo.x_train, demo.x_test):
        assert np.all(np.abs(x) <= 10.0)
    assert demo.x_train.min() < -9.5
    assert demo.x_train.max() > 9.5


def test_demo_targets_are_one_hot(demo):
    for t in (demo.t_train, demo.t_test):
        assert set(np.unique(t).tolist()) == {0.0, 1.0}
        np.testing.assert_array_equal(t.sum(axis=1), 1.0)


def test_demo_targets_are_the_generators_argmax(demo):
    gen = make_generator(0)
    p = gen.get_params()
    for x, t in ((demo.x_train, demo.t_train), (demo.x_test, demo.t_test)):
        z = np.tanh(x @ p["ih_weights"] + p["h_biases"]) @ p["ho_weights"] + p["o_biases"]
        np.testing.assert_array_equal(np.argmax(t, axis=1), np.argmax(z, axis=1))
        np.testing.assert_array_equal(t, label_items(gen, x))


def test_demo_data_use_more_than_one_class(demo):
    counts = demo.t_train.sum(axis=0)
    assert np.count_nonzero(counts) >= 3


def test_training_and_test_inputs_differ(demo):
    assert not np.any(np.all(np.isclose(demo.x_train[:40], demo.x_test), axis=1))


def test_changing_test_seed_leaves_training_data_unchanged(demo):
    other = make_demo_data(test_seed=99)
    np.testing.assert_array_equal(other.x_train, demo.x_train)
    np.testing.assert_array_equal(other.t_train, demo.t_train)
    assert not np.array_equal(other.x_test, demo.x_test)


def test_changing_train_seed_leaves_test_data_unchanged(demo):
    other = make_demo_data(train_seed=99)
    np.testing.assert_array_equal(other.x_test, demo.x_test)
    assert not np.array_equal(other.x_train, demo.x_train)


def test_changing_generator_seed_changes_the_labels_only(demo):
    other = make_demo_data(generator_seed=99)
    np.testing.assert_array_equal(other.x_train, demo.x_train)
    assert not np.array_equal(other.t_train, demo.t_train)


def test_make_inputs_shape_range_and_seed():
    x = make_inputs(50, 3, seed=4, input_range=2.0)
    assert x.shape == (50, 3)
    assert np.all(np.abs(x) <= 2.0)
    np.testing.assert_array_equal(x, np.random.default_rng(4).uniform(-2.0, 2.0, size=(50, 3)))


def test_one_hot_encodes_classes():
    np.testing.assert_array_equal(
        one_hot(np.array([2, 0, 1, 2]), 3),
        [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
    )
    assert one_hot(np.array([1]), 4).dtype == np.float64


@pytest.mark.parametrize(
    ("classes", "n_classes", "error", "match"),
    [
        (np.array([0, 3]), 3, ValueError, "^classes must"),
        (np.array([-1, 0]), 3, ValueError, "^classes must"),
        (np.array([0.0, 1.0]), 3, ValueError, "^classes must"),
        (np.array([[0, 1]]), 3, ValueError, "^classes must"),
        (np.array([0, 1]), 0, ValueError, "^n_classes must"),
        (np.array([0, 1]), 2.0, TypeError, "^n_classes must"),
    ],
    ids=["too-large", "negative", "floats", "2-D", "zero-classes", "float-n-classes"],
)
def test_one_hot_rejects_bad_classes(classes, n_classes, error, match):
    with pytest.raises(error, match=match):
        one_hot(classes, n_classes)


def test_demo_seeds_are_five_distinct_ints():
    seeds = demo_seeds(0)
    assert list(seeds) == ["generator_seed", "train_seed", "test_seed", "init_seed", "order_seed"]
    assert len(set(seeds.values())) == 5
    assert all(type(s) is int for s in seeds.values())


def test_demo_seeds_are_distinct_across_runs():
    all_seeds = [s for r in range(20) for s in demo_seeds(r).values()]
    assert len(set(all_seeds)) == len(all_seeds) == 100
    assert demo_seeds(3) == demo_seeds(3)


def test_demo_data_of_run_zero_is_the_default_demo_data(demo):
    run0 = demo_data(0)
    for a, b in zip(run0, demo, strict=True):
        np.testing.assert_array_equal(a, b)
    run1 = demo_data(1)
    assert not np.array_equal(run1.x_train, demo.x_train)


@pytest.mark.parametrize(("run", "error"), [(-1, ValueError), (1.0, TypeError), (True, TypeError)])
def test_demo_seeds_rejects_bad_runs(run, error):
    with pytest.raises(error, match="^run must"):
        demo_seeds(run)


def test_demo_seeds_accepts_numpy_ints():
    assert demo_seeds(np.int64(2)) == demo_seeds(2)


def test_one_hot_of_no_items_is_empty():
    assert one_hot([], 4).shape == (0, 4)


# --- noise inputs for the digits (chapter 07, choosing inputs) -----------------------------------


def test_noise_inputs_copy_real_columns_shuffled_over_the_items():
    digits = load_digits_data(n_test=450, seed=0)
    noisy = add_noise_inputs(digits, 64, seed=5)
    x, xt = noisy.data.x_train, noisy.data.x_test
    assert noisy.n_real == 64 and x.shape == (1347, 128) and xt.shape == (450, 128)
    np.testing.assert_array_equal(x[:, :64], digits.x_train)  # the real inputs are untouched
    np.testing.assert_array_equal(noisy.data.t_train, digits.t_train)
    for j, c in enumerate(noisy.sources):  # the same values, in another order
        np.testing.assert_array_equal(np.sort(x[:, 64 + j]), np.sort(digits.x_train[:, c]))
        np.testing.assert_array_equal(np.sort(xt[:, 64 + j]), np.sort(digits.x_test[:, c]))
    assert np.all(np.ptp(digits.x_train[:, noisy.sources], axis=0) > 0)  # only columns that vary
    # shuffled: a noise column is nearly uncorrelated with the column it copies
    r = [np.corrcoef(x[:, 64 + j], digits.x_train[:, c])[0, 1] for j, c in enumerate(noisy.sources)]
    assert np.max(np.abs(r)) < 0.15
    again = add_noise_inputs(digits, 64, seed=5)
    np.testing.assert_array_equal(again.data.x_train, x)


def test_noise_inputs_refuse_bad_arguments():
    d = DemoData(np.ones((3, 2)), np.eye(2)[[0, 1, 0]], np.ones((1, 2)), np.eye(2)[[1]])
    with pytest.raises(ValueError, match="data.x_train must have a column that varies"):
        add_noise_inputs(d, 2, seed=0)
    with pytest.raises(TypeError, match="data must be a DemoData"):
        add_noise_inputs((d.x_train, d.t_train), 2, seed=0)
    with pytest.raises(ValueError, match="n_noise must be a positive int, got 0"):
        add_noise_inputs(d, 0, seed=0)


def test_standardize_uses_the_training_statistics_for_both_parts():
    digits = load_digits_data(n_test=450, seed=0)
    d = standardize(digits)
    varies = digits.x_train.std(axis=0) > 0
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(d.x_train.std(axis=0)[varies], 1.0, rtol=0, atol=1e-12)
    assert np.all(d.x_train[:, ~varies] == 0.0)  # constant columns: centred only
    mean, std = digits.x_train.mean(axis=0), digits.x_train.std(axis=0)
    scaled = (digits.x_test[:, varies] - mean[varies]) / std[varies]
    np.testing.assert_allclose(d.x_test[:, varies], scaled, rtol=0, atol=1e-12)
    with pytest.raises(TypeError, match="data must be a DemoData"):
        standardize(digits.x_train)
