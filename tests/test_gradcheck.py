"""The finite-difference gradient checker, on functions whose gradient is known."""

import numpy as np
import pytest

from l1reg import L1, Network
from l1reg.gradcheck import network_numerical_gradient, numerical_gradient, relative_error


def _f(w):
    return np.sum(w**3) / 3 + np.sin(w[0]) + w[1] * w[2]


def _grad_f(w):
    g = w**2
    g[0] += np.cos(w[0])
    g[1] += w[2]
    g[2] += w[1]
    return g


def test_numerical_gradient_of_a_known_function():
    w = np.array([0.3, -1.2, 0.8, 2.0, -0.5])
    np.testing.assert_allclose(numerical_gradient(_f, w), _grad_f(w), rtol=0, atol=1e-8)


def test_numerical_gradient_of_a_quadratic_is_exact_to_round_off():
    a = np.array([[2.0, 0.5], [0.5, 1.0]])
    w = np.array([1.5, -0.7])
    numeric = numerical_gradient(lambda v: 0.5 * v @ a @ v, w)
    np.testing.assert_allclose(numeric, a @ w, rtol=0, atol=1e-9)


def test_numerical_gradient_does_not_modify_its_input():
    w = np.array([0.3, -1.2, 0.8])
    kept = w.copy()
    numerical_gradient(_f, w)
    np.testing.assert_array_equal(w, kept)


def test_numerical_gradient_accepts_a_list_and_passes_float_vectors():
    seen = []

    def f(v):
        seen.append((v.dtype, v.shape))
        return float(np.sum(v**2))

    np.testing.assert_allclose(numerical_gradient(f, [1, 2]), [2.0, 4.0], rtol=1e-8)
    assert set(seen) == {(np.dtype(np.float64), (2,))}
    assert len(seen) == 4  # two evaluations per entry


def test_larger_eps_gives_the_expected_truncation_error():
    # Central differences of w^3/3 are off by exactly eps^2 / 3.
    w = np.array([1.0])
    numeric = numerical_gradient(lambda v: float(v[0] ** 3 / 3), w, eps=1e-2)
    assert numeric[0] == pytest.approx(1.0 + 1e-4 / 3, rel=1e-10)


@pytest.mark.parametrize(
    ("w", "eps", "match"),
    [(np.ones((2, 2)), 1e-6, "^w must"), (np.ones(3), 0.0, "^eps must"), (np.ones(3), -1e-6, "^eps must")],
    ids=["2-D-w", "zero-eps", "negative-eps"],
)
def test_numerical_gradient_rejects_bad_arguments(w, eps, match):
    with pytest.raises(ValueError, match=match):
        numerical_gradient(_f, w, eps=eps)


def test_network_numerical_gradient_restores_the_parameters(random_problem):
    net = Network(3, 4, 3, seed=0, init_range=1.0, weight_penalty=L1(0.01))
    x, t = random_problem(4, 3, 3, seed=2)
    before = net.get_flat()
    numeric = network_numerical_gradient(net, x, t)
    np.testing.assert_array_equal(net.get_flat(), before)
    assert numeric.shape == (net.n_params,)
    assert np.abs(numeric).max() > 1e-3


def test_network_numerical_gradient_restores_the_parameters_after_an_error(random_problem):
    net = Network(3, 4, 3, seed=0, init_range=1.0)
    x, _ = random_problem(4, 3, 3, seed=2)
    before = net.get_flat()
    with pytest.raises(ValueError, match="^t must be one-hot"):
        network_numerical_gradient(net, x, np.zeros((4, 3)))
    np.testing.assert_array_equal(net.get_flat(), before)


def test_relative_error_basic_cases():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert relative_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(2.0)
    # entries where both are 0 are ignored; the others are scaled one by one
    assert relative_error(np.array([0.0, 1e-8]), np.array([0.0, 1.1e-8])) == pytest.approx(0.1 / 1.1)
    assert relative_error(np.array([1e3, 1.0]), np.array([1e3 + 1e-3, 1.0])) == pytest.approx(
        1e-3 / (1e3 + 1e-3), rel=1e-9
    )


def test_relative_error_is_symmetric():
    a, b = np.array([3.0, -1.0, 0.5]), np.array([2.5, -1.5, 0.0])
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(a, b) == pytest.approx(1.0)  # 0.5 vs 0.0


def test_relative_error_rejects_different_shapes():
    with pytest.raises(ValueError, match="^a and b must have the same shape"):
        relative_error(np.zeros(3), np.zeros(4))
