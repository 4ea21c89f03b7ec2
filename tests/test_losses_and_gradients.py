"""Losses, their dE/dz signals, and the network's back-propagated gradient.

Every analytic gradient is checked against central finite differences.
"""

import numpy as np
import pytest

from l1reg import L1, L1L2, L2, Network, cross_entropy, softmax, squared_error
from l1reg.core import model
from l1reg.core.losses import (
    LOSSES,
    SHORTCUTS,
    CrossEntropy,
    IsLoss,
    Loss,
    SquaredError,
    cross_entropy_signal,
    squared_error_signal,
)
from l1reg.core.numpy_namespace import xp as numpy_xp
from l1reg.reference.gradcheck import network_numerical_gradient, numerical_gradient

# --- softmax and the losses' values -------------------------------------------------------


def test_softmax_of_a_known_row():
    z = np.array([[0.0, np.log(2.0), np.log(3.0)]])
    np.testing.assert_allclose(softmax(z), [[1 / 6, 2 / 6, 3 / 6]], rtol=1e-14)


def test_softmax_rows_sum_to_one_and_ignore_a_shift():
    z = np.random.default_rng(0).normal(size=(6, 4))
    o = softmax(z)
    np.testing.assert_allclose(o.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(softmax(z + 123.0), o, rtol=1e-12)


def test_softmax_of_huge_sums_does_not_overflow():
    o = softmax(np.array([[1000.0, 0.0, -1000.0]]))  # filterwarnings=error: no overflow warning
    np.testing.assert_allclose(o, [[1.0, 0.0, 0.0]], atol=1e-300)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_softmax_refuses_sums_that_are_not_finite(bad):
    with pytest.raises(ValueError, match="^z must hold only finite values"):
        softmax(np.array([[bad, 0.0, 1.0]]))


@pytest.mark.parametrize("loss", [SquaredError(), CrossEntropy()])
def test_losses_take_whole_number_arrays_as_floats(loss):
    o_int, t_int = np.array([[1, 0], [0, 1]]), np.array([[1, 0], [0, 1]])
    o, t = o_int.astype(float), t_int.astype(float)
    assert loss.error(o_int, t_int) == loss.error(o, t)
    np.testing.assert_array_equal(loss.signal(o_int, t_int), loss.signal(o, t))


def test_squared_error_of_a_worked_example():
    o = np.array([[0.7, 0.2, 0.1]])
    t = np.array([[1.0, 0.0, 0.0]])
    # 1/2 * (0.3^2 + 0.2^2 + 0.1^2) = 0.07
    assert squared_error(o, t) == pytest.approx(0.07, abs=1e-15)


def test_cross_entropy_of_a_worked_example():
    o = np.array([[0.7, 0.2, 0.1]])
    t = np.array([[1.0, 0.0, 0.0]])
    assert cross_entropy(o, t) == pytest.approx(-np.log(0.7), rel=1e-14)


@pytest.mark.parametrize("error", [squared_error, cross_entropy])
def test_losses_are_the_mean_over_items(error):
    rng = np.random.default_rng(1)
    o = softmax(rng.normal(size=(4, 3)))
    t = np.eye(3)[[0, 2, 1, 1]]
    per_item = [error(o[i : i + 1], t[i : i + 1]) for i in range(4)]
    assert error(o, t) == pytest.approx(np.mean(per_item), rel=1e-14)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_on_a_stack_give_one_value_per_replica(name):
    error, signal = LOSSES[name].error, LOSSES[name].signal
    rng = np.random.default_rng(2)
    o = softmax(rng.normal(size=(3, 5, 4)))
    t = np.eye(4)[rng.integers(0, 4, size=(3, 5))]
    stacked = error(o, t)
    assert stacked.shape == (3,)
    for r in range(3):
        assert stacked[r] == pytest.approx(error(o[r], t[r]), rel=1e-14)
        np.testing.assert_allclose(signal(o, t)[r], signal(o[r], t[r]), rtol=1e-14)


# --- dE/dz signals against finite differences in z ----------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_signal_is_the_gradient_with_respect_to_z(name):
    error, signal = LOSSES[name].error, LOSSES[name].signal
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 3))
    t = np.eye(3)[[0, 1, 2, 0]]

    def e_of_z(flat):
        return float(error(softmax(flat.reshape(z.shape)), t))

    numeric = numerical_gradient(e_of_z, z.ravel()).reshape(z.shape)
    np.testing.assert_allclose(signal(softmax(z), t), numeric, rtol=1e-6, atol=1e-10)


def test_squared_signal_is_not_the_diagonal_shortcut():
    o = softmax(np.array([[0.3, -0.2, 0.5], [1.0, 0.0, -1.0]]))
    t = np.eye(3)[[0, 2]]
    shortcut = (o - t) * o * (1 - o) / len(o)
    assert not np.allclose(squared_error_signal(o, t), shortcut, rtol=1e-3, atol=0)


def test_squared_signal_of_a_worked_two_class_item():
    # For two classes with o = (a, 1 - a) and t = (1, 0) the full Jacobian gives
    # dE/dz_0 = -2 a (1 - a)^2, twice the diagonal shortcut's -a (1 - a)^2.
    a = 0.3
    o = np.array([[a, 1 - a]])
    t = np.array([[1.0, 0.0]])
    expected = -2 * a * (1 - a) ** 2
    np.testing.assert_allclose(squared_error_signal(o, t), [[expected, -expected]], rtol=1e-14)


def test_cross_entropy_signal_is_o_minus_t_over_items():
    o = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    t = np.eye(3)[[0, 1]]
    np.testing.assert_allclose(cross_entropy_signal(o, t), (o - t) / 2, rtol=1e-15)




# --- the loss objects ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LOSSES))
# one item, a batch, stacks, and one class (a sum over an axis of length 1: the fast sum's shortcut)
@pytest.mark.parametrize("shape", [(1, 4), (7, 4), (3, 1, 4), (3, 5, 4), (4, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_formulas_training_runs_are_the_checked_functions_bit_for_bit(name, shape, dtype):
    """``loss.formulas`` with the NumPy engine's namespace (fast sum and max) give the same bits
    as ``loss.error`` and ``loss.signal``, which call them with NumPy itself."""
    rng = np.random.default_rng(5)
    o = softmax(rng.normal(size=shape)).astype(dtype)
    t = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])].astype(dtype)
    loss = LOSSES[name]
    error, signal = loss.formulas
    pairs = ((error(numpy_xp, o, t), loss.error(o, t)), (signal(numpy_xp, o, t), loss.signal(o, t)))
    for got, expected in pairs:
        got, expected = np.asarray(got), np.asarray(expected)
        assert got.dtype == expected.dtype == dtype and got.tobytes() == expected.tobytes()


def test_a_loss_of_ones_own_has_no_formulas_and_the_librarys_have_theirs():
    mine = Loss("mine", squared_error, squared_error_signal)
    assert mine.formulas is None  # NumPy functions of (o, t): the NumPy engine only
    assert LOSSES["squared"].formulas == (model.squared_error, model.squared_error_signal)
    assert LOSSES["cross_entropy"].formulas == (model.cross_entropy, model.cross_entropy_signal)


def test_loss_objects_compare_by_kind_and_print_their_kind():
    assert LOSSES["squared"] == SquaredError() and LOSSES["cross_entropy"] == CrossEntropy()
    assert LOSSES["squared"] != LOSSES["cross_entropy"]
    assert LOSSES["squared"] != SHORTCUTS["squared_diagonal"]  # same error, another signal
    assert repr(LOSSES["cross_entropy"]) == "CrossEntropy()"
    assert repr(SHORTCUTS["squared_diagonal"]) == "Loss('squared_diagonal')"
    assert len({SquaredError(), SquaredError(), CrossEntropy()}) == 2


def test_a_network_takes_a_loss_by_name_or_as_an_object():
    by_name, by_object = Network(3, 4, 2, seed=0), Network(3, 4, 2, seed=0, loss=SquaredError())
    assert by_name.loss == by_object.loss
    assert repr(by_name) == repr(by_object)
    assert Network(3, 4, 2, seed=0, loss="cross_entropy").loss is LOSSES["cross_entropy"]
    assert IsLoss()("cross_entropy", "loss") is LOSSES["cross_entropy"]
    assert IsLoss()(SHORTCUTS["squared_diagonal"], "loss") is SHORTCUTS["squared_diagonal"]


@pytest.mark.parametrize("loss", ["hinge", None, 3, object()])
def test_anything_else_is_not_a_loss(loss):
    with pytest.raises(ValueError, match="^loss must be one of"):
        IsLoss()(loss, "loss")
    with pytest.raises(ValueError, match="^loss must be one of"):
        Network(3, 4, 2, seed=0, loss=loss)

# --- the network's gradient against finite differences ------------------------------------

GRADIENT_CASES = [
    pytest.param("squared", None, None, id="squared"),
    pytest.param("squared", 0.01, None, id="squared-L1"),
    pytest.param("cross_entropy", None, None, id="cross_entropy"),
    pytest.param("cross_entropy", 0.01, None, id="cross_entropy-L1"),
    pytest.param("squared", 0.01, 0.02, id="squared-L1-weights-and-biases"),
    pytest.param("cross_entropy", 0.01, 0.02, id="cross_entropy-L1-weights-and-biases"),
    pytest.param("squared", L2(0.03), None, id="squared-L2"),
    pytest.param("cross_entropy", L1L2(l1=0.01, l2=0.03), L2(0.02), id="cross_entropy-elastic-net"),
]


def _as_penalty(lam):
    """A float means L1 of that strength; a penalty object is used as it is."""
    return L1(lam) if isinstance(lam, float) else lam


def _gradient_net(loss, lam_w, lam_b, params_away_from_zero):
    net = Network(
        3, 4, 3, seed=0, loss=loss,
        weight_penalty=_as_penalty(lam_w),
        bias_penalty=_as_penalty(lam_b),
    )
    net.set_flat(params_away_from_zero(net.n_params, seed=11))
    return net


@pytest.mark.parametrize(("loss", "lam_w", "lam_b"), GRADIENT_CASES)
def test_network_gradient_matches_finite_differences(
    loss, lam_w, lam_b, params_away_from_zero, random_problem
):
    net = _gradient_net(loss, lam_w, lam_b, params_away_from_zero)
    x, t = random_problem(4, 3, 3, seed=12)
    # |w| has a kink at 0: every parameter must be far from it compared with eps = 1e-6.
    assert np.abs(net.get_flat()).min() > 1e-4

    analytic = net.gradient(x, t)
    numeric = network_numerical_gradient(net, x, t)

    # A relative error is only meaningful where the gradient is not itself ~0.
    assert np.abs(analytic).min() > 1e-4
    rel = np.abs(analytic - numeric) / np.maximum(np.abs(analytic), np.abs(numeric))
    assert rel.max() < 1e-6, f"worst parameter {rel.argmax()}: relative error {rel.max():.2e}"


def test_the_penalty_adds_lam_sign_w_on_weights_only(params_away_from_zero, random_problem):
    x, t = random_problem(4, 3, 3, seed=12)
    plain = _gradient_net("squared", None, None, params_away_from_zero)
    penalized = _gradient_net("squared", 0.05, None, params_away_from_zero)
    w = plain.weights()
    n_w = w.size
    diff = penalized.gradient(x, t) - plain.gradient(x, t)
    np.testing.assert_allclose(diff[:n_w], 0.05 * np.sign(w), rtol=0, atol=1e-15)
    np.testing.assert_allclose(diff[n_w:], 0.0, rtol=0, atol=0)


def test_objective_is_error_plus_penalty(params_away_from_zero, random_problem):
    x, t = random_problem(4, 3, 3, seed=12)
    net = _gradient_net("squared", 0.01, 0.02, params_away_from_zero)
    flat = net.get_flat()
    n_w = net.weights().size
    expected_penalty = 0.01 * np.abs(flat[:n_w]).sum() + 0.02 * np.abs(flat[n_w:]).sum()
    assert net.penalty() == pytest.approx(expected_penalty, rel=1e-14)
    assert net.objective(x, t) == pytest.approx(net.error(x, t) + expected_penalty, rel=1e-14)


def test_gradient_returns_a_copy(small_net, small_data):
    x, t = small_data
    g = small_net.gradient(x, t)
    kept = g.copy()
    small_net.gradient(x[:2], t[:2])  # overwrites the network's internal buffer
    np.testing.assert_array_equal(g, kept)
