"""The L1 penalty: its value, its sub-gradient, its settings."""

import numpy as np
import pytest

from l1reg import L1


def test_value_of_the_worked_example():
    # lam * (|6| + |-2| + |4|) = 0.10 * 12 = 1.20
    assert L1(0.10)(np.array([6.0, -2.0, 4.0])) == pytest.approx(1.20, abs=1e-12)


def test_value_is_lam_times_sum_of_absolute_values():
    w = np.random.default_rng(3).normal(size=(4, 5))
    assert L1(0.25)(w) == pytest.approx(0.25 * np.abs(w).sum(), rel=1e-14)


def test_value_is_a_python_float():
    assert type(L1(0.5)(np.array([1.0, -1.0]))) is float


def test_gradient_is_lam_times_sign():
    w = np.array([6.0, -2.0, 4.0, -1e-9, 3e-7])
    np.testing.assert_array_equal(L1(0.10).gradient(w), [0.10, -0.10, 0.10, -0.10, 0.10])


def test_gradient_is_exactly_zero_at_zero():
    g = L1(0.10).gradient(np.array([0.0, -0.0, 1.0]))
    assert g[0] == 0.0
    assert g[1] == 0.0
    assert g[2] == 0.10


def test_gradient_keeps_the_shape():
    w = np.ones((3, 2))
    assert L1(1.0).gradient(w).shape == (3, 2)


def test_get_config_and_repr():
    assert L1(0.001).get_config() == {"lam": 0.001}
    assert repr(L1(0.001)) == "L1(lam=0.001)"


def test_lam_is_stored_as_float():
    penalty = L1(2)
    assert type(penalty.lam) is float
    assert penalty.lam == 2.0


def test_zero_lam_is_allowed_and_switches_the_penalty_off():
    w = np.array([6.0, -2.0, 4.0])
    penalty = L1(0)
    assert penalty(w) == 0.0
    np.testing.assert_array_equal(penalty.gradient(w), np.zeros(3))
