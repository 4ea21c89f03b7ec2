"""scikit-learn's bundled digits and diabetes data, the validation split, the pixel map."""

import re

import matplotlib
import numpy as np
import pytest

from l1reg.studies.data import load_diabetes_data, load_digits_data, split_validation

matplotlib.use("Agg")
pytest.importorskip("sklearn")


def _names(name):
    return "^" + re.escape(name) + " "


def test_digits_are_scaled_one_hot_and_split_by_seed():
    d = load_digits_data(n_test=450, seed=0)
    assert d.x_train.shape == (1347, 64) and d.x_test.shape == (450, 64)
    assert d.t_train.shape == (1347, 10) and d.t_test.shape == (450, 10)
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    np.testing.assert_array_equal(d.t_train.sum(axis=1), 1.0)
    assert set(np.argmax(d.t_test, axis=1).tolist()) == set(range(10))
    again = load_digits_data(n_test=450, seed=0)
    np.testing.assert_array_equal(d.x_test, again.x_test)
    other = load_digits_data(n_test=450, seed=1)
    assert not np.array_equal(d.x_test, other.x_test)
    # the split is a partition: every image once (scikit-learn's class counts, summed back)
    labels = np.argmax(np.concatenate([d.t_train, d.t_test]), axis=1)
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    pixel_sums = np.concatenate([d.x_train, d.x_test]).sum()
    assert pixel_sums == pytest.approx(np.concatenate([other.x_train, other.x_test]).sum(), rel=1e-14)


def test_digits_with_the_default_seed_are_the_split_of_seed_0():
    """The default seed (an int) reaches the loader as a Generator, as a given seed does."""
    default, given = load_digits_data(), load_digits_data(n_test=450, seed=0)
    np.testing.assert_array_equal(default.x_test, given.x_test)
    np.testing.assert_array_equal(default.t_train, given.t_train)

def test_diabetes_is_scikit_learns_scaled_copy():
    x, y = load_diabetes_data()
    assert x.shape == (442, 10) and y.shape == (442,)
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(x, axis=0), 1.0, rtol=1e-12)


def test_split_validation_holds_out_a_seeded_subset_in_order():
    x = np.arange(20.0).reshape(10, 2)
    t = np.eye(2)[[0, 1] * 5]
    x_tr, t_tr, x_val, t_val = split_validation(x, t, 3, seed=4)
    assert len(x_tr) == 7 and len(x_val) == 3
    assert sorted(x_tr[:, 0].tolist() + x_val[:, 0].tolist()) == x[:, 0].tolist()
    assert np.all(np.diff(x_tr[:, 0]) > 0) and np.all(np.diff(x_val[:, 0]) > 0)
    np.testing.assert_array_equal(t_val, t[(x_val[:, 0] / 2).astype(int)])
    np.testing.assert_array_equal(split_validation(x, t, 3, seed=4)[2], x_val)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: load_digits_data(n_test=1797), ValueError, "n_test"),
        (lambda: load_digits_data(n_test=0), ValueError, "n_test"),
        (lambda: split_validation(np.ones((5, 2)), np.ones((5, 2)), 5, seed=0), ValueError, "n_validation"),
        (lambda: split_validation(np.ones((5, 2)), np.ones((4, 2)), 2, seed=0), ValueError, "x"),
        (lambda: split_validation(np.ones((5, 2)), np.ones((5, 2)), 2, seed=None), TypeError, "seed"),
    ],
    ids=["n-test-all", "n-test-zero", "n-validation-all", "t-rows", "no-seed"],
)
def test_bad_input_is_refused_with_its_name(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()
