"""The max-norm constraint: capping each unit's incoming weights, as an update rule."""

import re

import numpy as np
import pytest

from l1reg import Network, fit
from l1reg.regularize.constraints import MaxNorm, cap_column_norms


def _net(penalty=None, seed=5, init_range=0.01):
    return Network(4, 5, 3, seed=seed, weight_penalty=penalty, init_range=init_range)


def _names(name):
    return "^" + re.escape(name) + " "


def test_cap_column_norms_caps_long_columns_and_leaves_short_ones():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(6, 10)) * rng.uniform(0.1, 3.0, size=10)
    before = w.copy()
    cap_column_norms(w, 1.5)
    norms, old = np.linalg.norm(w, axis=0), np.linalg.norm(before, axis=0)
    long = old > 1.5
    assert long.any() and (~long).any()
    np.testing.assert_allclose(norms[long], 1.5, rtol=1e-14)
    np.testing.assert_array_equal(w[:, ~long], before[:, ~long])
    np.testing.assert_allclose(w[:, long] * old[long] / 1.5, before[:, long], rtol=1e-14)  # same direction


def test_cap_column_norms_per_replica():
    w = np.ones((2, 4, 3))  # every column has length 2
    cap_column_norms(w, np.array([[1.0], [3.0]]))
    np.testing.assert_allclose(np.linalg.norm(w[0], axis=0), 1.0)
    np.testing.assert_array_equal(w[1], 1.0)


def test_max_norm_training_keeps_every_unit_inside_the_ball(three_sets):
    x, t, *_ = three_sets
    free, capped = _net(init_range=0.5), _net(init_range=0.5)
    fit(free, x, t, epochs=20, lr=0.2, seed=1)
    fit(capped, x, t, rule=MaxNorm(1.0), epochs=20, lr=0.2, seed=1)
    assert np.linalg.norm(free.params["ih_weights"], axis=0).max() > 1.5  # the cap binds
    for name in ("ih_weights", "ho_weights"):
        assert np.linalg.norm(capped.params[name], axis=0).max() <= 1.0 + 1e-12


def test_max_norm_must_be_positive():
    with pytest.raises(ValueError, match=_names("max_norm")):
        MaxNorm(0.0)
