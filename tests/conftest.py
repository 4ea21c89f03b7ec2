"""Shared fixtures for the l1reg tests: small networks and random one-hot data."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from l1reg import Network

# Hypothesis profiles: "ci" (CI=true, as .ci/run has it) draws few examples from a fixed
# seed, so that CI is repeatable and short; "dev", the default, a few more from fresh
# seeds; "thorough" many (HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py).
# The deadline is per example; 2 s is generous on a busy 2-core machine.
_QUIET = [HealthCheck.too_slow]
settings.register_profile("ci", max_examples=20, deadline=2000, derandomize=True, database=None,
                          suppress_health_check=_QUIET)
settings.register_profile("dev", max_examples=40, deadline=2000, suppress_health_check=_QUIET)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _random_problem(n_items: int, n_input: int, n_output: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs uniform in [-1, 1] and one-hot targets with random classes."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n_items, n_input))
    t = np.eye(n_output)[rng.integers(0, n_output, size=n_items)]
    return x, t


def _params_away_from_zero(n: int, seed: int, low: float = 0.1) -> np.ndarray:
    """Magnitudes uniform in [low, 1] with random signs: no parameter near the kink of |w|."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, 1.0, size=n) * rng.choice([-1.0, 1.0], size=n)


@pytest.fixture
def random_problem():
    """``random_problem(n_items, n_input, n_output, seed) -> (x, t)``."""
    return _random_problem


@pytest.fixture
def params_away_from_zero():
    """``params_away_from_zero(n, seed, low=0.1)`` -> a parameter vector with all |p| >= low."""
    return _params_away_from_zero


@pytest.fixture
def small_net() -> Network:
    """A 3-4-3 network with the library's default (tiny) initial weights."""
    return Network(3, 4, 3, seed=0)


@pytest.fixture
def small_data() -> tuple[np.ndarray, np.ndarray]:
    """Five items for a 3-input, 3-class network."""
    return _random_problem(5, 3, 3, seed=1)


@pytest.fixture
def three_sets(random_problem):
    """Training, validation and test items (30, 15, 12) for a 4-input, 3-class network,
    inputs spread over [-3, 3] so that a few epochs overfit: ``x, t, x_val, t_val, x_test, t_test``."""
    x, t = random_problem(30, 4, 3, seed=10)
    x_val, t_val = random_problem(15, 4, 3, seed=12)
    x_test, t_test = random_problem(12, 4, 3, seed=11)
    return 3.0 * x, t, 3.0 * x_val, t_val, 3.0 * x_test, t_test
