"""The penalties: their values, (sub)gradients and settings, and the family they form."""

import numpy as np
import pytest

from l1reg import L1, L1L2, L2, Network, Penalty, fit, soft_threshold
from l1reg.core.penalties import IsPenalty


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


# --- L2, the elastic net, and the soft-threshold ------------------------------------------


def test_l2_value_of_the_worked_weights():
    # 0.10 * (36 + 4 + 16) = 5.6: Keras's convention, no factor 1/2.
    assert L2(0.10)(np.array([6.0, -2.0, 4.0])) == pytest.approx(5.6, abs=1e-12)


def test_l2_gradient_is_two_lam_w():
    w = np.array([6.0, -2.0, 0.0])
    np.testing.assert_allclose(L2(0.10).gradient(w), [1.2, -0.4, 0.0], rtol=1e-15)


def test_l1l2_is_the_sum_of_l1_and_l2():
    w = np.random.default_rng(4).normal(size=(3, 4))
    both = L1L2(l1=0.2, l2=0.3)
    assert both(w) == pytest.approx(L1(0.2)(w) + L2(0.3)(w), rel=1e-14)
    np.testing.assert_allclose(both.gradient(w), L1(0.2).gradient(w) + L2(0.3).gradient(w), rtol=1e-14)


def test_l1l2_defaults_to_no_penalty_like_keras():
    assert L1L2()(np.array([1.0, -2.0])) == 0.0


def test_configs_and_reprs_of_l2_and_l1l2():
    assert L2(0.01).get_config() == {"lam": 0.01}
    assert repr(L2(0.01)) == "L2(lam=0.01)"
    assert L1L2(l1=0.01, l2=0.02).get_config() == {"l1": 0.01, "l2": 0.02}
    assert repr(L1L2(l1=0.01, l2=0.02)) == "L1L2(l1=0.01, l2=0.02)"


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: L2(-0.1), "lam"),
        (lambda: L1L2(l1=-0.1), "l1"),
        (lambda: L1L2(l2=float("nan")), "l2"),
    ],
)
def test_negative_or_nan_strengths_are_refused(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_soft_threshold_shrinks_and_stops_at_zero():
    w = np.array([3.0, -3.0, 0.5, -0.5, 1.0, 0.0])
    np.testing.assert_array_equal(soft_threshold(w, 1.0), [2.0, -2.0, 0.0, 0.0, 0.0, 0.0])


def test_soft_threshold_of_no_values_is_no_values():
    for w in (np.array([]), [], np.zeros((0, 3))):
        shrunk = soft_threshold(w, 1.0)
        assert shrunk.shape == np.shape(w) and shrunk.dtype == np.float64


def test_soft_threshold_with_zero_threshold_is_the_identity():
    w = np.random.default_rng(5).normal(size=7)
    np.testing.assert_array_equal(soft_threshold(w, 0.0), w)


def test_soft_threshold_minimizes_the_one_weight_problem():
    # argmin_w 1/2 (w - w0)^2 + c |w| is soft_threshold(w0, c): check on a fine grid.
    grid = np.linspace(-5, 5, 200_001)
    for w0, c in [(3.0, 1.0), (-2.5, 0.7), (0.4, 1.0), (-0.2, 0.3)]:
        objective = 0.5 * (grid - w0) ** 2 + c * np.abs(grid)
        assert soft_threshold(np.array([w0]), c)[0] == pytest.approx(grid[objective.argmin()], abs=1e-4)


def test_soft_threshold_refuses_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        soft_threshold(np.ones(2), -1.0)
    with pytest.raises(TypeError, match="w must be an array of real numbers"):
        soft_threshold(np.array(["a", "b"]), 1.0)


# --- the family: a base class owns the settings, repr and equality ----------------------------


def test_penalties_are_equal_when_their_kind_and_settings_are():
    assert L1(0.01) == L1(0.01) and L1L2(0.1, 0.2) == L1L2(l1=0.1, l2=0.2)
    assert L1(0.01) != L1(0.02)
    assert L1(0.01) != L2(0.01)  # same settings, another formula
    assert L1(0.01) != L1L2(l1=0.01)


def test_penalties_are_not_hashable_since_their_settings_can_change():
    # a schedule may set penalty.lam during training: a hash taken before would go stale
    penalty = L1(0.01)
    with pytest.raises(TypeError, match="unhashable"):
        hash(penalty)
    penalty.lam = 0.02
    assert penalty == L1(0.02) and repr(penalty) == "L1(lam=0.02)"


def test_every_penalty_is_a_penalty_with_its_settings_in_order():
    for penalty, settings in ((L1(0.5), ("lam",)), (L2(0.5), ("lam",)), (L1L2(0.5, 0.25), ("l1", "l2"))):
        assert isinstance(penalty, Penalty)
        assert tuple(penalty.get_config()) == settings


def test_applies_l1_says_whether_there_is_an_l1_part():
    assert L1(0.1).applies_l1 and L1L2(l1=0.1).applies_l1
    assert not L1(0.0).applies_l1 and not L2(0.1).applies_l1 and not L1L2(l2=0.1).applies_l1


class Quartic(Penalty):
    """A new member of the family: its formula and its gradient, written with ``xp``, nothing else."""

    settings = ("lam",)

    def __init__(self, lam):
        self.lam = lam

    @staticmethod
    def value(xp, s, w):
        return s["lam"] * xp.sum(w**4)

    @staticmethod
    def grad(xp, s, w):
        return 4.0 * s["lam"] * w**3


class NumpyQuartic(Penalty):
    """The same penalty written the NumPy way: ``__call__`` and ``gradient`` only, no formulas."""

    settings = ("lam",)

    def __init__(self, lam):
        self.lam = lam

    def __call__(self, w):
        return self.lam * float(np.sum(w**4))

    def gradient(self, w):
        return 4.0 * self.lam * w**3


def test_a_new_penalty_gets_repr_equality_value_and_gradient_from_the_base():
    assert repr(Quartic(0.5)) == "Quartic(lam=0.5)"
    assert Quartic(0.5) == Quartic(0.5) != Quartic(0.25)
    assert Quartic(0.5) != NumpyQuartic(0.5)  # equal settings, another class
    w = np.array([1.0, -2.0])
    assert Quartic(0.5)(w) == 0.5 * (1.0 + 16.0)  # the base calls the formula with NumPy
    assert type(Quartic(0.5)(w)) is float
    np.testing.assert_array_equal(Quartic(0.5).gradient(w), [2.0, -16.0])


def test_a_new_penalty_with_formulas_trains_alike_on_both_engines(random_problem):
    """The compiled engine calls the very formulas with jax.numpy: float64 agrees to round-off."""
    x, t = random_problem(12, 3, 2, seed=1)
    trained = {}
    for engine in ("numpy", "compiled"):
        net = Network(3, 4, 2, seed=0, init_range=1.0, weight_penalty=Quartic(0.05))
        fit(net, x, t, epochs=3, lr=0.1, seed=2, batch_size=5, engine=engine)
        trained[engine] = net.get_flat()
    np.testing.assert_allclose(trained["compiled"], trained["numpy"], rtol=0, atol=1e-12)
    plain = Network(3, 4, 2, seed=0, init_range=1.0)
    fit(plain, x, t, epochs=3, lr=0.1, seed=2, batch_size=5)
    assert not np.allclose(trained["numpy"], plain.get_flat(), rtol=0, atol=1e-6)  # the penalty acted


def test_a_penalty_with_only_a_gradient_method_trains_as_the_one_with_formulas(random_problem):
    """On the NumPy engine, a penalty of one's own needs only gradient(w)."""
    x, t = random_problem(12, 3, 2, seed=1)
    trained = {}
    for penalty in (Quartic(0.05), NumpyQuartic(0.05)):
        net = Network(3, 4, 2, seed=0, init_range=1.0, weight_penalty=penalty)
        fit(net, x, t, epochs=3, lr=0.1, seed=2, batch_size=5)
        trained[type(penalty).__name__] = net.get_flat()
    np.testing.assert_array_equal(trained["NumpyQuartic"], trained["Quartic"])


def test_a_subclass_that_overrides_only_the_gradient_trains_with_its_gradient(random_problem):
    """HalfL1(0.2) pulls with 0.5 * 0.2 * sign(w): in the gradient and in training it is L1(0.1)."""

    class HalfL1(L1):
        def gradient(self, w):
            return 0.5 * self.lam * np.sign(w)

    w = np.array([1.0, -2.0, 0.0])
    np.testing.assert_array_equal(HalfL1(0.2).gradient(w), [0.1, -0.1, 0.0])
    x, t = random_problem(12, 3, 2, seed=1)
    nets = {}
    for name, penalty in (("half", HalfL1(0.2)), ("l1", L1(0.1))):
        nets[name] = Network(3, 4, 2, seed=0, init_range=1.0, weight_penalty=penalty)
    np.testing.assert_array_equal(nets["half"].gradient(x, t), nets["l1"].gradient(x, t))
    for net in nets.values():
        fit(net, x, t, epochs=3, lr=0.1, seed=2, batch_size=5)
    np.testing.assert_array_equal(nets["half"].get_flat(), nets["l1"].get_flat())


def test_a_network_takes_any_object_with_the_penalty_methods(random_problem):
    x, t = random_problem(5, 3, 2, seed=1)
    net = Network(3, 4, 2, seed=0, init_range=1.0, weight_penalty=NumpyQuartic(0.01))
    assert net.penalty() == pytest.approx(0.01 * np.sum(net.weights() ** 4), rel=1e-14)
    assert "weight_penalty=NumpyQuartic(lam=0.01)" in repr(net)
    data_only = Network(3, 4, 2, seed=0, init_range=1.0)
    gap = net.gradient(x, t) - data_only.gradient(x, t)
    np.testing.assert_allclose(gap[: net.n_weights], 0.04 * net.weights() ** 3, rtol=1e-12)


@pytest.mark.parametrize("penalty", [0.1, "L1", L1, np.abs, object()], ids=["number", "string", "class",
                                                                                "no-gradient", "object"])
def test_anything_else_is_not_a_penalty(penalty):
    with pytest.raises(TypeError, match="^weight_penalty must be a penalty such as l1reg.L1"):
        IsPenalty()(penalty, "weight_penalty")
    with pytest.raises(TypeError, match="^weight_penalty must be a penalty such as l1reg.L1"):
        Network(3, 4, 2, seed=0, weight_penalty=penalty)
    assert Network(3, 4, 2, seed=0, weight_penalty=None).weight_penalty is None
    with pytest.raises(TypeError, match="^penalty "):
        IsPenalty()(None, "penalty")
