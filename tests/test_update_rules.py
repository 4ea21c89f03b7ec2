"""Ways to apply L1: the worked example, the lr * lam link, exact zeros, the cumulative penalty."""

import copy
import pickle
import re

import numpy as np
import pytest

from l1reg import L1, L1L2, L2, Network, fit, soft_threshold
from l1reg.core.network import WEIGHT_NAMES
from l1reg.core.training import Callback
from l1reg.core.update_rules import (
    CumulativePenalty,
    ElasticNetGradient,
    ElasticNetProximal,
    GroupProximal,
    L2Gradient,
    Plain,
    Proximal,
    SubGradient,
    TackOn,
    TruncatedGradient,
    UpdateRule,
    group_soft_threshold,
    stack_rules,
    step_once,
)
from l1reg.regularize.constraints import MaxNorm

_step = step_once  # one update by hand, as the training loop does it


# --- the worked example: weight 8.0, lr 0.05, lam 0.01, data gradient 9.0 -----------------


def test_worked_example_with_the_penalty_in_the_gradient():
    # 8.0 - 0.05 * (9.0 + 0.01 * sign(8.0)) = 8.0 - 0.4505 = 7.5495
    assert _step(SubGradient(0.01), [8.0], [9.0], 0.05)[0] == 7.5495


def test_worked_example_with_the_tack_on_decay():
    # 8.0 - 0.05 * 9.0 = 7.55, then 7.55 - 0.01 * sign(7.55) = 7.54
    assert _step(TackOn(0.01), [8.0], [9.0], 0.05)[0] == 7.54


def test_the_tack_on_constant_is_lr_times_lam():
    # TackOn(lr * lam) moves the worked example's weight exactly as SubGradient(lam) does.
    assert _step(TackOn(0.05 * 0.01), [8.0], [9.0], 0.05)[0] == pytest.approx(7.5495, abs=1e-15)
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 2.0, 50) * rng.choice([-1.0, 1.0], 50)
    g = rng.uniform(-1.0, 1.0, 50)  # lr * |g| < |w|: no step flips a sign
    lr, lam = 0.1, 0.03
    np.testing.assert_allclose(_step(TackOn(lr * lam), w, g, lr), _step(SubGradient(lam), w, g, lr),
                               rtol=0, atol=1e-15)
    # The same number as the tack-on constant is a pull 1 / lr = 10 times as strong.
    gap = _step(SubGradient(lam), w, g, lr) - _step(TackOn(lam), w, g, lr)
    np.testing.assert_allclose(gap, np.sign(w) * (1 - lr) * lam, rtol=0, atol=1e-15)


def test_plain_rule_is_a_plain_step():
    np.testing.assert_array_equal(_step(Plain(), [8.0, -1.0], [9.0, 2.0], 0.05), [8.0 - 0.45, -1.1])


def test_the_sub_gradient_leaves_an_exact_zero_to_its_data_gradient():
    assert _step(SubGradient(0.5), [0.0], [2.0], 0.1)[0] == -0.2


# --- proximal: exact zeros, never across zero -----------------------------------------------


def test_proximal_step_is_the_soft_threshold_of_the_plain_step():
    rng = np.random.default_rng(1)
    w, g = rng.normal(size=200), rng.normal(size=200)
    lr, lam = 0.1, 2.0
    np.testing.assert_array_equal(_step(Proximal(lam), w, g, lr), soft_threshold(w - lr * g, lr * lam))


def test_proximal_gives_exact_zeros_and_never_crosses_zero():
    rng = np.random.default_rng(2)
    w, g = rng.normal(size=500), rng.normal(size=500)
    lr, lam = 0.5, 0.6
    plain = w - lr * g
    new = _step(Proximal(lam), w, g, lr)
    small = np.abs(plain) <= lr * lam
    assert small.sum() > 50
    assert np.all(new[small] == 0.0)
    assert np.all(new * plain >= 0.0)  # same sign as the plain step's result, or zero
    np.testing.assert_allclose(np.abs(new[~small]), np.abs(plain[~small]) - lr * lam, atol=1e-15)


def test_the_sub_gradient_crosses_zero_where_the_proximal_step_stops():
    # w = 0.004, a pull of lr * lam = 0.01: the sub-gradient lands at -0.006, proximal at 0.
    assert _step(SubGradient(0.1), [0.004], [0.0], 0.1)[0] == pytest.approx(-0.006, abs=1e-15)
    assert _step(Proximal(0.1), [0.004], [0.0], 0.1)[0] == 0.0


def test_stacked_proximal_uses_each_replicas_threshold():
    """A stack's settings are one per replica, shaped (replicas, 1, 1) against its matrices."""
    rng = np.random.default_rng(3)
    w = rng.normal(size=(3, 5, 8))  # three networks' 5 x 8 weight matrices
    before = w.copy()
    lams = [0.0, 1.0, 3.0]
    nets = [Network(2, 2, 2, seed=0) for _ in lams]
    stacked = stack_rules([Proximal(lam) for lam in lams], 3, nets[0])
    s = stacked.strengths(np.float64, n_rows=3)
    assert s["lam"].shape == (3, 1, 1)
    out, _ = stacked.after_step(np, s, w, 0.25, ())
    for row, lam in enumerate(lams):
        np.testing.assert_array_equal(out[row], soft_threshold(w[row], 0.25 * lam))
    np.testing.assert_array_equal(w, before)  # the hook returns new weights, leaves its input


# --- the elastic net's proximal step: L2 in the gradient, L1 by the soft threshold ---------------


def test_elastic_net_proximal_is_the_soft_threshold_of_the_step_with_the_l2_gradient():
    rng = np.random.default_rng(7)
    w, g = rng.normal(size=200), rng.normal(size=200)
    lr, l1, l2 = 0.1, 2.0, 0.5
    np.testing.assert_array_equal(_step(ElasticNetProximal(l1, l2), w, g, lr),
                                  soft_threshold(w - lr * (g + 2 * l2 * w), lr * l1))


@pytest.mark.parametrize(("rule", "same"), [
    (ElasticNetProximal(0.6, 0.0), Proximal(0.6)),
    (ElasticNetProximal(0.0, 0.6), L2Gradient(0.6)),
], ids=["l2-0-is-Proximal", "l1-0-is-L2Gradient"])
def test_elastic_net_proximal_with_one_strength_0_is_the_other_rule_step_for_step(rule, same):
    rng = np.random.default_rng(8)
    w = ours = rng.normal(size=50)
    for _ in range(10):
        g = rng.normal(size=50)
        ours, w = _step(rule, ours, g, 0.5), _step(same, w, g, 0.5)
        np.testing.assert_array_equal(ours, w)
    if isinstance(same, Proximal):
        assert np.sum(w == 0.0) > 5  # the steps did reach zero


@pytest.mark.parametrize(("rule", "same"), [
    (ElasticNetProximal(0.02, 0.0), Proximal(0.02)),
    (ElasticNetProximal(0.0, 0.02), L2Gradient(0.02)),
], ids=["l2-0-is-Proximal", "l1-0-is-L2Gradient"])
def test_elastic_net_proximal_with_one_strength_0_trains_as_the_other_rule_bit_for_bit(problem, rule, same):
    x, t, _, _ = problem
    reference, net = _net(), _net()
    fit(reference, x, t, rule=same, epochs=4, lr=0.05, seed=3, batch_size=7)
    fit(net, x, t, rule=rule, epochs=4, lr=0.05, seed=3, batch_size=7)
    np.testing.assert_array_equal(net.get_flat(), reference.get_flat())


# --- the cumulative penalty (Tsuruoka et al. 2009), by hand -----------------------------------


def test_cumulative_penalty_against_a_hand_computation():
    lr, lam = 0.5, 0.0625  # lr * lam = 1/32: every number below is exact in binary
    rule = CumulativePenalty(lam)
    w = np.array([3.0, -2.0]) / 32
    state = {}  # filled by the first step; step_once keeps the matrix's state under "w"
    # Five steps with no data gradient, then a kick of lr * g = (+4/32, -3/32).
    grads = [[0.0, 0.0]] * 5 + [[-0.25, 0.1875]]
    # In 32nds. u (what every weight could have received) grows by 1 a step; q is what
    # each weight did receive. Weight 0 pays 1 a step down to 0, then sits there while u
    # grows; the kick lifts it to 4, but it still owes u + q = 6 - 3 = 3, so it ends at 1.
    # Weight 1 reaches 0 after two steps; the kick takes it to -3, and it owes
    # u - q = 6 - 2 = 4, more than 3: it is clipped back to 0.
    expected = [[2, -1], [1, 0], [0, 0], [0, 0], [0, 0], [1, 0]]
    expected_q = [[-1, 1], [-2, 2], [-3, 2], [-3, 2], [-3, 2], [-6, 5]]
    for g, want, want_q in zip(grads, expected, expected_q, strict=True):
        w = _step(rule, w, g, lr, state)
        np.testing.assert_array_equal(w, np.array(want) / 32)
        np.testing.assert_array_equal(state["w"]["q"], [np.array(want_q) / 32])  # one row: w as a matrix
    np.testing.assert_array_equal(state["w"]["u"], [[6 / 32]])  # one u per matrix


def test_cumulative_penalty_and_proximal_part_only_after_a_weight_sat_at_zero():
    lr, lam = 0.5, 0.0625
    grads = [[0.0, 0.0]] * 5 + [[-0.25, 0.1875]]
    paths = {}
    for rule in (CumulativePenalty(lam), Proximal(lam)):
        w, path, state = np.array([3.0, -2.0]) / 32, [], {}
        for g in grads:
            w = _step(rule, w, g, lr, state)
            path.append(w)
        paths[type(rule).__name__] = path
    cum, prox = paths["CumulativePenalty"], paths["Proximal"]
    for step in range(5):
        np.testing.assert_array_equal(cum[step], prox[step])
    # the kick: the proximal step charges one step's penalty, 1/32; the cumulative one the debt
    np.testing.assert_array_equal(prox[5], np.array([3.0, -2.0]) / 32)
    np.testing.assert_array_equal(cum[5], np.array([1.0, 0.0]) / 32)


# --- the training loop -------------------------------------------------------------------------


@pytest.fixture
def problem(random_problem):
    x, t = random_problem(30, 4, 3, seed=10)
    x_test, t_test = random_problem(12, 4, 3, seed=11)
    return 10.0 * x, t, 10.0 * x_test, t_test  # large inputs: strong data gradients


def _net(penalty=None, seed=5):
    return Network(4, 5, 3, seed=seed, weight_penalty=penalty)


@pytest.mark.parametrize("batch_size", [1, 7])
def test_sub_gradient_rule_equals_an_l1_penalty_bit_for_bit(problem, batch_size):
    x, t, x_test, t_test = problem
    reference = _net(L1(0.01))
    h_ref = fit(reference, x, t, epochs=4, lr=0.05, seed=3, batch_size=batch_size,
                test_data=(x_test, t_test))
    net = _net()
    h = fit(net, x, t, rule=SubGradient(0.01), epochs=4, lr=0.05, seed=3,
            batch_size=batch_size, test_data=(x_test, t_test))
    np.testing.assert_array_equal(net.get_flat(), reference.get_flat())
    assert h == h_ref


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize(("rule", "penalty"), [
    (L2Gradient(0.01), L2(0.01)),
    (ElasticNetGradient(0.01, 0.02), L1L2(l1=0.01, l2=0.02)),
])
def test_l2_and_elastic_net_rules_equal_their_penalties_bit_for_bit(problem, batch_size, rule, penalty):
    x, t, _, _ = problem
    reference = _net(penalty)
    fit(reference, x, t, epochs=4, lr=0.05, seed=3, batch_size=batch_size)
    net = _net()
    fit(net, x, t, rule=rule, epochs=4, lr=0.05, seed=3, batch_size=batch_size)
    np.testing.assert_array_equal(net.get_flat(), reference.get_flat())


def test_a_stack_sweeps_the_l2_and_elastic_net_strengths_one_per_network(problem):
    x, t, _, _ = problem
    penalties = [L2(0.0), L2(0.03), L1L2(l1=0.01, l2=0.0), L1L2(l1=0.02, l2=0.01)]
    rules = [L2Gradient(0.0), L2Gradient(0.03), ElasticNetGradient(0.01, 0.0), ElasticNetGradient(0.02, 0.01)]
    stack = [_net() for _ in rules]
    fit(stack, np.stack([x] * 4), np.stack([t] * 4), rule=rules, epochs=3, lr=0.05, seed=[3] * 4)
    for net, penalty in zip(stack, penalties, strict=True):
        alone = _net(penalty)
        fit(alone, x, t, epochs=3, lr=0.05, seed=3)
        np.testing.assert_allclose(net.get_flat(), alone.get_flat(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", [ElasticNetGradient, ElasticNetProximal])
def test_elastic_net_rule_refuses_a_network_that_applies_l1_already(kind):
    with pytest.raises(ValueError, match="applies L1"):
        fit(_net(L1(0.01)), np.zeros((2, 4)), np.eye(3)[[0, 1]], rule=kind(0.01, 0.0),
            epochs=1, lr=0.1, seed=0)


def test_plain_rule_keeps_the_networks_own_penalty(problem):
    x, t, _, _ = problem
    reference = _net(L2(0.01))
    fit(reference, x, t, epochs=3, lr=0.05, seed=3)
    net = _net(L2(0.01))
    fit(net, x, t, rule=Plain(), epochs=3, lr=0.05, seed=3)
    np.testing.assert_array_equal(net.get_flat(), reference.get_flat())


def test_proximal_training_gives_exact_zeros_the_sub_gradient_does_not(problem):
    x, t, _, _ = problem
    zeros = {}
    for rule in (SubGradient(0.02), Proximal(0.02)):
        net = _net()
        fit(net, x, t, rule=rule, epochs=20, lr=0.05, seed=3)
        zeros[type(rule).__name__] = int(np.sum(net.weights() == 0.0))
    assert zeros["SubGradient"] == 0
    assert zeros["Proximal"] >= 5


def test_the_elastic_net_gives_exact_zeros_by_the_proximal_step_not_in_the_gradient(problem):
    x, t, _, _ = problem
    zeros = {}
    for rule in (ElasticNetGradient(0.02, 0.01), ElasticNetProximal(0.02, 0.01)):
        net = _net()
        fit(net, x, t, rule=rule, epochs=20, lr=0.05, seed=3)
        zeros[type(rule).__name__] = int(np.sum(net.weights() == 0.0))
    assert zeros["ElasticNetGradient"] == 0
    assert zeros["ElasticNetProximal"] >= 5


def test_rule_on_the_first_layer_only(problem):
    x, t, _, _ = problem
    net = _net()
    fit(net, x, t, rule=Proximal(100.0), on=("ih_weights",), epochs=2, lr=0.05, seed=3)
    assert np.all(net.params["ih_weights"] == 0.0)
    assert np.all(net.params["ho_weights"] != 0.0)
    net = _net()
    fit(net, x, t, rule=Proximal(100.0), on="ho_weights", epochs=2, lr=0.05, seed=3)
    assert np.all(net.params["ho_weights"] == 0.0)
    assert np.all(net.params["ih_weights"] != 0.0)


@pytest.mark.parametrize("kind", [SubGradient, TackOn, Proximal, CumulativePenalty])
def test_replicas_with_a_lam_each_equal_separate_runs(problem, kind):
    x, t, x_test, t_test = problem
    lams = [0.0, 0.001, 0.01, 0.05]
    nets = [_net() for _ in lams]
    histories = fit(
        nets, np.stack([x] * 4), np.stack([t] * 4), rule=[kind(lam) for lam in lams], epochs=3, lr=0.05,
        seed=[3] * 4, test_data=(np.stack([x_test] * 4), np.stack([t_test] * 4)))
    for net, history, lam in zip(nets, histories, lams, strict=True):
        single = _net()
        h = fit(single, x, t, rule=kind(lam), epochs=3, lr=0.05, seed=3,
                            test_data=(x_test, t_test))
        np.testing.assert_allclose(net.get_flat(), single.get_flat(), rtol=0, atol=1e-12)
        assert history.test_accuracy == h.test_accuracy


def test_replicas_with_rules_of_different_kinds_equal_separate_runs(problem):
    x, t, _, _ = problem
    # interleaved kinds: each run of neighbours acts on its own rows
    kinds = [Proximal(0.01), Proximal(0.05), CumulativePenalty(0.01), SubGradient(0.01), Proximal(0.02),
             ElasticNetProximal(0.01, 0.02), ElasticNetProximal(0.02, 0.0), MaxNorm(0.3)]
    nets = [_net() for _ in kinds]
    n = len(kinds)
    fit(nets, np.stack([x] * n), np.stack([t] * n), rule=kinds, epochs=3, lr=0.05, seed=[3] * n)
    for net, rule in zip(nets, kinds, strict=True):
        single = _net()
        fit(single, x, t, rule=rule, epochs=3, lr=0.05, seed=3)
        np.testing.assert_allclose(net.get_flat(), single.get_flat(), rtol=0, atol=1e-12)
    assert np.linalg.norm(nets[-1].params["ih_weights"], axis=0).max() <= 0.3 + 1e-12


class HalveSmallWeights(UpdateRule):
    """A rule of one's own: after each step, halve every weight smaller than ``threshold``.

    Its formula is written with ``xp`` and reads its setting from ``s``, as the
    library's rules do; nothing else in the library knows about it.
    """

    settings = ("threshold",)

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def after_step(self, xp, s, w, lr, state):
        return xp.where(xp.abs(w) < s["threshold"], 0.5 * w, w), state


def test_a_new_rule_plugs_in_without_a_new_trainer(problem):
    """The toy rule trains through fit and does what it says: more weights near zero."""
    x, t, _, _ = problem
    net = _net()
    fit(net, x, t, rule=HalveSmallWeights(0.01), epochs=3, lr=0.05, seed=3)
    plain = _net()
    fit(plain, x, t, epochs=3, lr=0.05, seed=3)
    assert np.sum(np.abs(net.weights()) < 1e-3) > np.sum(np.abs(plain.weights()) < 1e-3)
    assert repr(HalveSmallWeights(0.01)) == "HalveSmallWeights(threshold=0.01)"
    # one step by hand: 0.004 is halved, 0.5 is not
    np.testing.assert_array_equal(step_once(HalveSmallWeights(0.01), [0.004, 0.5], [0.0, 0.0], 0.1),
                                  [0.002, 0.5])


@pytest.mark.parametrize("batch_size", [1, 7])
def test_a_new_rule_trains_on_both_engines_and_they_agree(problem, batch_size):
    """A rule written once with xp runs on the compiled engine too, to round-off (float64)."""
    x, t, x_test, t_test = problem
    trained, histories = {}, {}
    for engine in ("numpy", "compiled"):
        net = _net()
        histories[engine] = fit(net, x, t, rule=HalveSmallWeights(0.01), epochs=3, lr=0.05, seed=3,
                                batch_size=batch_size, test_data=(x_test, t_test), engine=engine)
        trained[engine] = net.get_flat()
    np.testing.assert_allclose(trained["compiled"], trained["numpy"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(histories["compiled"].test_error, histories["numpy"].test_error,
                               rtol=0, atol=1e-12)
    plain = _net()
    fit(plain, x, t, epochs=3, lr=0.05, seed=3, batch_size=batch_size)
    assert not np.allclose(trained["compiled"], plain.get_flat(), rtol=0, atol=1e-6)  # the rule acted


def test_only_the_hooks_a_rule_overrides_are_called():
    assert not Plain().adjusts_gradient and not Plain().moves_after_step
    assert SubGradient(0.1).adjusts_gradient and not SubGradient(0.1).moves_after_step
    assert Proximal(0.1).moves_after_step and not Proximal(0.1).adjusts_gradient
    assert ElasticNetProximal(0.1, 0.1).adjusts_gradient and ElasticNetProximal(0.1, 0.1).moves_after_step
    assert MaxNorm(1.0).moves_after_step


def test_rule_settings_and_repr():
    assert Proximal(0.001).get_config() == {"lam": 0.001}
    assert repr(CumulativePenalty(0.5)) == "CumulativePenalty(lam=0.5)"
    assert repr(Plain()) == "Plain()"


def test_a_stacked_rule_shows_its_settings_one_per_replica():
    net = Network(3, 2, 2, seed=0)
    two = stack_rules([SubGradient(0.01), SubGradient(0.02)], 2, net)
    assert repr(two) == "SubGradient(lam=[0.01, 0.02])"
    elastic = stack_rules([ElasticNetGradient(0.01, 0.5), ElasticNetGradient(0.02, 1.0)], 2, net)
    assert repr(elastic) == "ElasticNetGradient(l1=[0.01, 0.02], l2=[0.5, 1])"
    assert repr(ElasticNetProximal(0.01, 0.5)) == "ElasticNetProximal(l1=0.01, l2=0.5)"
    mixed = stack_rules([Plain(), SubGradient(0.02), Proximal(0.1), Proximal(1e-5)], 4, net)
    assert repr(mixed) == ("_PerReplica(0:1=Plain(), 1:2=SubGradient(lam=[0.02]), "
                           "2:4=Proximal(lam=[0.1, 1e-05]))")
    many = repr(stack_rules([SubGradient(0.001 * i) for i in range(30)], 30, net))
    assert many == "SubGradient(lam=[0, 0.001, 0.002, ..., 0.027, 0.028, 0.029])"  # summarized


# --- bad input -------------------------------------------------------------------------------


def _names(name):
    return "^" + re.escape(name) + " "


BAD = [
    pytest.param(lambda x, t: fit(_net(), x, t, rule="proximal", epochs=1, lr=0.1, seed=0),
                 TypeError, "rule", id="rule-a-string"),
    pytest.param(lambda x, t: fit(_net(L1(0.01)), x, t, rule=Proximal(0.01), epochs=1,
                                  lr=0.1, seed=0), ValueError, "rule", id="l1-twice"),
    pytest.param(lambda x, t: fit(_net(L1L2(0.01, 0.01)), x, t, rule=TackOn(0.01), epochs=1,
                                  lr=0.1, seed=0), ValueError, "rule", id="l1l2-and-l1-rule"),
    pytest.param(lambda x, t: fit(_net(), x, t, rule=Plain(), on=("h_biases",), epochs=1,
                                  lr=0.1, seed=0), ValueError, "on", id="on-biases"),
    pytest.param(lambda x, t: fit(_net(), x, t, rule=Plain(), on=(), epochs=1, lr=0.1,
                                  seed=0), ValueError, "on", id="on-empty"),
    pytest.param(lambda x, t: fit(_net(), x, t, rule=Plain(), noise=0.1, epochs=1, lr=0.1,
                                  seed=0), TypeError, "noise", id="noise-a-number"),
    pytest.param(lambda x, t: fit(_net(), x, t, rule=Plain(), callbacks=[3], epochs=1, lr=0.1,
                                  seed=0), TypeError, "callbacks[0]", id="callback-not-a-callback"),
    pytest.param(lambda x, t: fit(_net(), x, t, rule=[Plain()], epochs=1, lr=0.1, seed=0),
                 TypeError, "rule", id="a-list-of-rules-for-one-network"),
    pytest.param(lambda x, t: fit(_net(), x, t, rule=Plain(), epochs=0, lr=0.1, seed=0),
                 ValueError, "epochs", id="epochs-zero"),
    pytest.param(lambda x, t: fit(_net(), x[:, :3], t, rule=Plain(), epochs=1, lr=0.1,
                                  seed=0), ValueError, "x_train", id="x-columns"),
    pytest.param(lambda x, t: fit("net", x, t, rule=Plain(), epochs=1, lr=0.1, seed=0),
                 TypeError, "net", id="net-a-string"),
    pytest.param(lambda x, t: fit(
        [_net(), _net()], np.stack([x, x]), np.stack([t, t]), rule=[Proximal(0.1), "tack-on"],
        epochs=1, lr=0.1, seed=[0, 1]), TypeError, "rule[1]", id="second-rule-a-string"),
    pytest.param(lambda x, t: fit(
        [_net(), _net()], np.stack([x, x]), np.stack([t, t]), rule=[Proximal(0.1)],
        epochs=1, lr=0.1, seed=[0, 1]), ValueError, "rule", id="one-rule-too-few"),
    pytest.param(lambda x, t: fit(
        [_net(), _net()], np.stack([x, x]), np.stack([t, t]), rule=Plain(),
        epochs=1, lr=0.1, seed=[0]), ValueError, "seed", id="seeds-too-few"),
    pytest.param(lambda x, t: Proximal(-0.1), ValueError, "lam", id="lam-negative"),
    pytest.param(lambda x, t: SubGradient("0.1"), TypeError, "lam", id="lam-a-string"),
    pytest.param(lambda x, t: step_once(L1(0.1), [1.0], [1.0], 0.1), TypeError, "rule", id="step-a-penalty"),
    pytest.param(lambda x, t: step_once(Plain(), [1.0, 2.0], [1.0], 0.1), ValueError, "g", id="step-g-shape"),
    pytest.param(lambda x, t: step_once(Plain(), [1.0], [1.0], -0.1), ValueError, "lr", id="step-lr"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_input_is_refused_with_its_name(problem, call, error, name):
    x, t, _, _ = problem
    with pytest.raises(error, match=_names(name)):
        call(x, t)


# --- the truncated gradient (Langford, Li and Zhang 2009) ----------------------------------


def test_truncated_gradient_with_k_1_and_no_theta_is_the_proximal_step():
    rng = np.random.default_rng(3)
    w, g = rng.normal(size=40), rng.normal(size=40)
    np.testing.assert_array_equal(_step(TruncatedGradient(0.7), w, g, 0.1), _step(Proximal(0.7), w, g, 0.1))


def test_truncated_gradient_truncates_every_k_steps_by_k_lr_lam():
    rule = TruncatedGradient(0.5, k=3)
    state = {}  # the step count, kept across the calls
    w = [1.0, -0.1]
    seen = []
    for _ in range(3):
        w = _step(rule, w, [0.0, 0.0], 0.1, state)
        seen.append(w.tolist())
    # steps 1 and 2 are plain; step 3 moves 3 * 0.1 * 0.5 = 0.15 toward zero and stops at 0
    assert seen == [[1.0, -0.1], [1.0, -0.1], [0.85, 0.0]]


def test_truncated_gradient_leaves_weights_above_theta_alone():
    got = _step(TruncatedGradient(1.0, theta=0.5), [0.4, 0.6, -2.0, -0.45], [0.0] * 4, 0.1)
    np.testing.assert_allclose(got, [0.3, 0.6, -2.0, -0.35], rtol=0, atol=1e-15)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"k": 0}, ValueError, "k must be a positive int, got 0"),
    ({"k": 2.0}, TypeError, "k must be an int, got float"),
    ({"theta": 0.0}, ValueError, "theta must be a number > 0, got 0"),
    ({"theta": -np.inf}, ValueError, "theta must be a number > 0, got -inf"),
    ({"theta": np.nan}, ValueError, "theta must be a number (not NaN), got nan"),
])
def test_truncated_gradient_refuses_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        TruncatedGradient(0.1, **kwargs)


def test_truncated_gradient_stacks_one_setting_per_network():
    nets = [Network(2, 2, 2, seed=0) for _ in range(3)]
    x = np.random.default_rng(0).uniform(-1, 1, (3, 6, 2))
    t = np.eye(2)[np.random.default_rng(1).integers(0, 2, (3, 6))]
    rules = [TruncatedGradient(0.3, k=2), TruncatedGradient(0.1, k=1, theta=0.005), TruncatedGradient(0.0)]
    fit(nets, x, t, rule=rules, epochs=3, lr=0.5, seed=[5, 5, 5])
    for i, rule in enumerate(rules):
        alone = Network(2, 2, 2, seed=0)
        fit(alone, x[i], t[i], rule=rule, epochs=3, lr=0.5, seed=5)
        np.testing.assert_allclose(nets[i].flat, alone.flat, rtol=0, atol=1e-14)


# --- the group lasso's proximal step (Yuan and Lin 2006) -----------------------------------


def test_group_soft_threshold_worked_example():
    # the row (3, 4) has length 5: scaled by 1 - 1/5 = 0.8; the row (0.3, 0.4) is shorter than 1
    np.testing.assert_allclose(group_soft_threshold([[3.0, 4.0], [0.3, 0.4]], 1.0),
                               [[2.4, 3.2], [0.0, 0.0]], rtol=0, atol=1e-15)


def test_group_soft_threshold_with_groups_of_one_is_the_soft_threshold():
    w = np.random.default_rng(4).normal(size=(7, 1))
    np.testing.assert_allclose(group_soft_threshold(w, 0.4), soft_threshold(w, 0.4), rtol=0, atol=1e-15)


def test_group_soft_threshold_minimizes_its_proximal_objective():
    # prox(v) = argmin_w 0.5 * ||w - v||^2 + tau * ||w||: no nearby point does better
    rng = np.random.default_rng(5)
    v, tau = rng.normal(size=(1, 5)), 0.6

    def objective(w):
        return 0.5 * np.sum((w - v) ** 2) + tau * np.linalg.norm(w)

    best = group_soft_threshold(v, tau)
    for _ in range(200):
        assert objective(best) <= objective(best + 1e-3 * rng.normal(size=v.shape)) + 1e-15


@pytest.mark.parametrize(("w", "threshold", "error", "message"), [
    (3.0, 1.0, ValueError, "w must be an array with at least one axis"),
    ([[1.0, np.nan]], 1.0, ValueError, "w must hold only finite values"),
    ([[1.0, 2.0]], -0.1, ValueError, "threshold must hold numbers >= 0, got -0.1"),
    ([["a"]], 1.0, TypeError, "w must be a real number or an array of real numbers"),
])
def test_group_soft_threshold_refuses_bad_input(w, threshold, error, message):
    with pytest.raises(error, match=re.escape(message)):
        group_soft_threshold(w, threshold)


def test_group_proximal_removes_whole_inputs_of_a_network():
    """On ih_weights a group is a row: all the weights out of one input."""
    net = Network(4, 3, 2, seed=0, init_range=1.0)
    w_ih = net.get_params()["ih_weights"]
    w_ih[1] *= 1e-3  # input 1's weights are short: it goes; the others shrink as rows
    rule = GroupProximal(0.5)
    state = rule.init(np, {"ih_weights": w_ih})["ih_weights"]
    new, _ = rule.after_step(np, rule.strengths(np.float64), w_ih, 0.1, state)
    np.testing.assert_array_equal(new[1], 0.0)
    np.testing.assert_allclose(new[[0, 2, 3]], group_soft_threshold(w_ih[[0, 2, 3]], 0.05),
                               rtol=0, atol=1e-15)
    assert np.all(new[[0, 2, 3]] != 0.0)


def test_group_proximal_stacks_one_lam_per_network():
    nets = [Network(3, 2, 2, seed=1, init_range=0.5) for _ in range(2)]
    x = np.random.default_rng(2).uniform(-1, 1, (2, 8, 3))
    t = np.eye(2)[np.random.default_rng(3).integers(0, 2, (2, 8))]
    rules = [GroupProximal(0.05), GroupProximal(0.2)]
    fit(nets, x, t, rule=rules, on=("ih_weights",), epochs=2, lr=0.3, seed=[4, 4])
    for i, rule in enumerate(rules):
        alone = Network(3, 2, 2, seed=1, init_range=0.5)
        fit(alone, x[i], t[i], rule=rule, on=("ih_weights",), epochs=2, lr=0.3, seed=4)
        np.testing.assert_allclose(nets[i].flat, alone.flat, rtol=0, atol=1e-14)


def test_group_proximal_refuses_a_network_that_already_applies_l1():
    net = Network(3, 2, 2, seed=0, weight_penalty=L1(0.1))
    with pytest.raises(ValueError, match="rule applies L1 and the network already has"):
        fit(net, np.zeros((2, 3)), np.eye(2), rule=GroupProximal(0.1), epochs=1, lr=0.1, seed=0)


# --- both engines: every rule, written once with xp, gives the same numbers ------------------

RULES = [
    pytest.param(Plain(), WEIGHT_NAMES, id="Plain"),
    pytest.param(SubGradient(0.01), WEIGHT_NAMES, id="SubGradient"),
    pytest.param(L2Gradient(0.03), WEIGHT_NAMES, id="L2Gradient"),
    pytest.param(ElasticNetGradient(0.01, 0.02), WEIGHT_NAMES, id="ElasticNetGradient"),
    pytest.param(ElasticNetProximal(0.02, 0.01), WEIGHT_NAMES, id="ElasticNetProximal"),
    pytest.param(TackOn(0.0005), WEIGHT_NAMES, id="TackOn"),
    pytest.param(Proximal(0.02), WEIGHT_NAMES, id="Proximal"),
    pytest.param(CumulativePenalty(0.02), WEIGHT_NAMES, id="CumulativePenalty"),
    pytest.param(TruncatedGradient(0.05, theta=0.05, k=2), WEIGHT_NAMES, id="TruncatedGradient"),
    pytest.param(GroupProximal(0.3), ("ih_weights",), id="GroupProximal-ih"),
    pytest.param(MaxNorm(0.3), WEIGHT_NAMES, id="MaxNorm"),
    pytest.param(Proximal(0.02), ("ho_weights",), id="Proximal-ho"),
]


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize(("rule", "on"), RULES)
def test_every_rule_trains_on_the_compiled_engine_as_on_numpy(problem, rule, on, batch_size):
    """The compiled engine runs the same hooks with jax.numpy: float64 agrees to round-off."""
    x, t, x_test, t_test = problem
    trained, histories = {}, {}
    for engine in ("numpy", "compiled"):
        net = _net()
        histories[engine] = fit(net, x, t, rule=rule, on=on, epochs=3, lr=0.05, seed=3,
                                batch_size=batch_size, test_data=(x_test, t_test), engine=engine)
        trained[engine] = net.get_flat()
    np.testing.assert_allclose(trained["compiled"], trained["numpy"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(histories["compiled"].train_error, histories["numpy"].train_error,
                               rtol=0, atol=1e-12)
    assert histories["compiled"].test_accuracy == histories["numpy"].test_accuracy


@pytest.mark.parametrize("batch_size", [1, 7])
def test_a_stack_of_rules_of_several_kinds_trains_alike_on_both_engines(problem, batch_size):
    """Per-replica rules of different kinds (and strengths) on one stack, both engines."""
    x, t, _, _ = problem
    rules = [Proximal(0.01), Proximal(0.05), CumulativePenalty(0.02), TruncatedGradient(0.05, k=2),
             SubGradient(0.01), ElasticNetProximal(0.02, 0.01), MaxNorm(0.3), Plain()]
    n = len(rules)
    trained = {}
    for engine in ("numpy", "compiled"):
        nets = [_net(seed=i) for i in range(n)]
        fit(nets, np.stack([x] * n), np.stack([t] * n), rule=rules, epochs=3, lr=0.05, seed=list(range(n)),
            batch_size=batch_size, engine=engine)
        trained[engine] = np.stack([net.flat for net in nets])
    np.testing.assert_allclose(trained["compiled"], trained["numpy"], rtol=0, atol=1e-12)


class _SetLam(Callback):
    """After epoch ``after``, set the rule's strength to ``lam``, as a schedule would."""

    def __init__(self, after: int, lam: float) -> None:
        self.after, self.lam = after, lam

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after:
            self.model.rule.lam = self.lam


def test_a_strength_changed_by_a_callback_is_honoured_alike_by_both_engines(problem):
    """lam 0.001 for two epochs, then 0.05 for two: both engines read the new strength.

    The reference trains two epochs with one strength, then two with the other, from one
    generator (so the visiting orders continue); Proximal has no state to carry over.
    """
    x, t, _, _ = problem
    reference, orders = _net(), np.random.default_rng(3)
    fit(reference, x, t, rule=Proximal(0.001), epochs=2, lr=0.05, seed=orders)
    fit(reference, x, t, rule=Proximal(0.05), epochs=2, lr=0.05, seed=orders)
    unchanged = _net()
    fit(unchanged, x, t, rule=Proximal(0.001), epochs=4, lr=0.05, seed=3)
    assert not np.allclose(reference.flat, unchanged.flat, rtol=0, atol=1e-6)  # the change matters
    for engine in ("numpy", "compiled"):
        net = _net()
        fit(net, x, t, rule=Proximal(0.001), epochs=4, lr=0.05, seed=3, callbacks=[_SetLam(2, 0.05)],
            engine=engine)
        np.testing.assert_allclose(net.flat, reference.flat, rtol=0, atol=1e-12, err_msg=engine)


@pytest.mark.parametrize(("rule", "on"), RULES)
def test_the_hooks_are_pure_they_leave_their_inputs_as_they_were(rule, on):
    """A hook returns new arrays (what lets jax.jit compile it); w, g and the state are untouched."""
    rng = np.random.default_rng(6)
    w, g = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    w_before, g_before = w.copy(), g.copy()
    s = rule.strengths(np.float64)
    state = rule.init(np, {"ih_weights": w})["ih_weights"]
    state_before = copy.deepcopy(state)
    rule.adjust_gradient(np, s, w, g)
    rule.after_step(np, s, w, 0.1, state)
    np.testing.assert_array_equal(w, w_before)
    np.testing.assert_array_equal(g, g_before)
    assert _leaves(state) == _leaves(state_before)


@pytest.mark.parametrize("how", [lambda r: pickle.loads(pickle.dumps(r)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
@pytest.mark.parametrize(("rule", "on"), RULES)
def test_a_copied_rule_has_the_settings_and_steps_of_the_original(rule, on, how):
    twin = how(rule)
    assert type(twin) is type(rule) and repr(twin) == repr(rule)
    w = ours = np.random.default_rng(9).normal(size=(4, 5))
    state, twin_state = {}, {}
    for g in np.random.default_rng(10).normal(size=(3, 4, 5)):  # three steps, the state carried
        ours, w = _step(twin, ours, g, 0.1, twin_state), _step(rule, w, g, 0.1, state)
        np.testing.assert_array_equal(ours, w)


def _leaves(state) -> list:
    """A rule's state (nested dicts, tuples and arrays) as a flat list of plain numbers."""
    if isinstance(state, dict):
        return [leaf for key in sorted(state) for leaf in _leaves(state[key])]
    if isinstance(state, (list, tuple)):
        return [leaf for item in state for leaf in _leaves(item)]
    return np.asarray(state).ravel().tolist()
