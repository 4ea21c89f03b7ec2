"""L1's rivals from scratch: dropout, max-norm, early stopping, jitter, and the comparison."""

import re

import numpy as np
import pytest

from l1reg import L1, L2, Network
from l1reg.comparison import Method, compare, sweep
from l1reg.constraints import MaxNorm, cap_column_norms
from l1reg.demo import LAM, run_demo
from l1reg.dropout import Dropout, backward_with_mask, forward_with_mask
from l1reg.early_stopping import train_early_stopping, train_replicas_early_stopping
from l1reg.gradcheck import numerical_gradient
from l1reg.jitter import Jitter
from l1reg.losses import LOSSES
from l1reg.network import param_views
from l1reg.update_rules import Plain, Proximal, SubGradient, train_replicas_with_rule, train_with_rule


def _names(name):
    return "^" + re.escape(name) + " "


@pytest.fixture
def problem(random_problem):
    x, t = random_problem(30, 4, 3, seed=10)
    x_val, t_val = random_problem(15, 4, 3, seed=12)
    x_test, t_test = random_problem(12, 4, 3, seed=11)
    return 3.0 * x, t, 3.0 * x_val, t_val, 3.0 * x_test, t_test


def _net(penalty=None, seed=5, init_range=0.01):
    return Network(4, 5, 3, seed=seed, weight_penalty=penalty, init_range=init_range)


# --- dropout ---------------------------------------------------------------------------------


def test_dropout_masks_are_zero_or_scaled_and_keep_the_mean():
    mask = Dropout(0.25, seed=0).draw_mask((400, 250))
    assert set(np.unique(mask).tolist()) == {0.0, 1.0 / 0.75}
    assert np.mean(mask == 0.0) == pytest.approx(0.25, abs=0.005)
    assert mask.mean() == pytest.approx(1.0, abs=0.01)


def test_dropout_masks_are_seeded():
    first, again, other = (Dropout(0.5, seed=s).draw_mask((5, 8)) for s in (3, 3, 4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_masked_backward_matches_finite_differences(random_problem, loss):
    x, t = random_problem(6, 4, 3, seed=1)
    net = Network(4, 5, 3, seed=2, init_range=0.8, loss=loss)
    mask = Dropout(0.4, seed=9).draw_mask((6, 5))
    error, signal = LOSSES[loss]

    def masked_error(flat):
        o = forward_with_mask(param_views(flat, net.shapes), x, mask)[1]
        return float(error(o, t))

    flat = net.get_flat()
    grad = np.empty_like(flat)
    p = param_views(flat, net.shapes)
    h, o = forward_with_mask(p, x, mask)
    backward_with_mask(p, x, h, mask, signal(o, t), param_views(grad, net.shapes))
    np.testing.assert_allclose(grad, numerical_gradient(masked_error, flat), rtol=1e-6, atol=1e-9)


def test_dropout_with_rate_zero_is_plain_training(problem):
    x, t, *_ = problem
    plain, dropped = _net(), _net()
    train_with_rule(plain, x, t, rule=Plain(), epochs=3, lr=0.1, seed=1)
    train_with_rule(dropped, x, t, rule=Plain(), epochs=3, lr=0.1, seed=1, noise=Dropout(0.0, seed=7))
    np.testing.assert_array_equal(plain.get_flat(), dropped.get_flat())


def test_dropout_training_is_seeded(problem):
    x, t, *_ = problem
    runs = []
    for seed in (7, 7, 8):
        net = _net()
        train_with_rule(net, x, t, rule=Plain(), epochs=2, lr=0.1, seed=1, noise=Dropout(0.5, seed=seed))
        runs.append(net.get_flat())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


# --- max-norm --------------------------------------------------------------------------------


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


def test_max_norm_training_keeps_every_unit_inside_the_ball(problem):
    x, t, *_ = problem
    free, capped = _net(init_range=0.5), _net(init_range=0.5)
    train_with_rule(free, x, t, rule=Plain(), epochs=20, lr=0.2, seed=1)
    train_with_rule(capped, x, t, rule=MaxNorm(1.0), epochs=20, lr=0.2, seed=1)
    assert np.linalg.norm(free.params["ih_weights"], axis=0).max() > 1.5  # the cap binds
    for name in ("ih_weights", "ho_weights"):
        assert np.linalg.norm(capped.params[name], axis=0).max() <= 1.0 + 1e-12


# --- early stopping ---------------------------------------------------------------------------


def test_early_stopping_restores_the_best_epoch(problem):
    x, t, x_val, t_val, x_test, t_test = problem
    net = _net(init_range=0.5)
    run = train_early_stopping(net, x, t, x_val, t_val, epochs=40, lr=0.5, seed=1,
                               x_test=x_test, t_test=t_test)
    assert run.epochs_run == 40
    assert run.best_epoch == int(np.argmin(run.val_error)) + 1
    assert 1 < run.best_epoch < 40  # the validation error turned up: the test means something
    assert net.error(x_val, t_val) == pytest.approx(min(run.val_error), abs=1e-15)
    assert net.accuracy(x_test, t_test) == run.history.test_accuracy[run.best_epoch - 1]
    # the restored network is the one a run of best_epoch epochs ends with
    again = _net(init_range=0.5)
    train_with_rule(again, x, t, rule=Plain(), epochs=run.best_epoch, lr=0.5, seed=1)
    np.testing.assert_array_equal(net.get_flat(), again.get_flat())


def test_patience_stops_training(problem):
    x, t, x_val, t_val, *_ = problem
    run = train_early_stopping(_net(init_range=0.5), x, t, x_val, t_val, epochs=40, lr=0.5, seed=1,
                               patience=3)
    assert run.epochs_run == run.best_epoch + 3


def test_early_stopping_replicas_equal_single_runs(problem):
    x, t, x_val, t_val, *_ = problem
    nets = [_net(init_range=0.5, seed=s) for s in (5, 6)]
    runs = train_replicas_early_stopping(nets, np.stack([x, x]), np.stack([t, t]), np.stack([x_val, x_val]),
                                         np.stack([t_val, t_val]), epochs=15, lr=0.5, seeds=[1, 2],
                                         rule=Proximal(0.001))
    for net, run, seed, order in zip(nets, runs, (5, 6), (1, 2), strict=True):
        single = _net(init_range=0.5, seed=seed)
        ref = train_early_stopping(single, x, t, x_val, t_val, epochs=15, lr=0.5, seed=order,
                                   rule=Proximal(0.001))
        assert run.best_epoch == ref.best_epoch
        np.testing.assert_allclose(net.get_flat(), single.get_flat(), rtol=0, atol=1e-12)


# --- jitter ------------------------------------------------------------------------------------


def test_jitter_noise_is_seeded_and_scaled():
    x = np.zeros((4, 3))
    np.testing.assert_array_equal(Jitter(0.5, seed=3).perturb(x),
                                  0.5 * np.random.default_rng(3).standard_normal((4, 3)))
    assert not np.array_equal(Jitter(0.5, seed=3).perturb(x), Jitter(0.5, seed=4).perturb(x))


def test_jitter_with_sigma_zero_is_plain_training(problem):
    x, t, *_ = problem
    plain, jittered = _net(), _net()
    train_with_rule(plain, x, t, rule=Plain(), epochs=3, lr=0.1, seed=1)
    train_with_rule(jittered, x, t, rule=Plain(), epochs=3, lr=0.1, seed=1, noise=Jitter(0.0, seed=7))
    np.testing.assert_array_equal(plain.get_flat(), jittered.get_flat())


def test_jitter_training_is_seeded(problem):
    x, t, *_ = problem
    runs = []
    for seed in (7, 7, 8):
        net = _net()
        train_with_rule(net, x, t, rule=Plain(), epochs=2, lr=0.1, seed=1, noise=Jitter(0.3, seed=seed))
        runs.append(net.get_flat())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


# --- the comparison on the demo's data --------------------------------------------------------


def test_sweep_of_sub_gradient_rules_equals_the_demo():
    result = sweep([SubGradient(0.0), SubGradient(LAM)], epochs=2)
    for i, lam in enumerate((0.0, LAM)):
        demo_run = run_demo(lam, epochs=2)
        np.testing.assert_allclose(result.weights[i], demo_run.net.weights(), rtol=0, atol=1e-12)
        assert result.test_accuracy[i] == demo_run.test_accuracy
    assert result.path.shape == (2, 2, 112)
    np.testing.assert_array_equal(result.zeros, [0, 0])


def test_a_sweep_of_mixed_rules_splits_into_the_sweeps_of_each_kind():
    both = sweep([Proximal(0.001), Proximal(0.01), SubGradient(0.001)], epochs=2)
    prox = sweep([Proximal(0.001), Proximal(0.01)], epochs=2)
    part = both.part(0, 2)
    np.testing.assert_allclose(part.path, prox.path, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(part.zeros, prox.zeros)
    np.testing.assert_array_equal(part.test_accuracy, prox.test_accuracy)
    assert both.part(2, 3).path.shape == (2, 1, 112)


def test_compare_scores_each_method_on_each_seed_set():
    methods = {"none": Method(), "L2": Method(penalty=L2(0.001)), "stop": Method(validation=40),
               "max-norm": Method(rule=MaxNorm(0.5))}
    results = compare(methods, n_runs=2, epochs=2)
    for r in results.values():
        assert r.test_accuracy.shape == r.zeros.shape == r.largest.shape == (2,)
        assert r.seconds > 0
    for run in range(2):  # "none" is the demo without L1, trained side by side
        assert results["none"].test_accuracy[run] == run_demo(0.0, run=run, epochs=2).test_accuracy
    assert results["stop"].best_epoch.shape == (2,)
    assert results["none"].best_epoch is None


def test_compare_with_the_proximal_rule_matches_replicas_of_it():
    results = compare({"prox": Method(rule=Proximal(0.01))}, n_runs=1, epochs=3)
    swept = sweep([Proximal(0.01)], epochs=3)
    assert results["prox"].zeros[0] == swept.zeros[0]
    assert results["prox"].largest[0] == pytest.approx(np.abs(swept.weights[0]).max(), abs=1e-12)


def test_compare_agrees_with_train_for_l1_in_the_gradient():
    results = compare({"L1": Method(penalty=L1(LAM))}, n_runs=1, epochs=2)
    assert results["L1"].test_accuracy[0] == run_demo(LAM, epochs=2).test_accuracy


# --- bad input -----------------------------------------------------------------------------------


def _replicas_stop(problem, **changes):
    x, t, x_val, t_val, *_ = problem
    kwargs = {"epochs": 1, "lr": 0.1, "seeds": [0]} | changes
    return train_replicas_early_stopping([_net()], x[None], t[None], kwargs.pop("x_val", x_val[None]),
                                         t_val[None], **kwargs)


BAD = [
    pytest.param(lambda p: Dropout(1.0, seed=0), ValueError, "rate", id="dropout-rate-one"),
    pytest.param(lambda p: Dropout(-0.1, seed=0), ValueError, "rate", id="dropout-rate-negative"),
    pytest.param(lambda p: Dropout(0.5, seed=None), TypeError, "seed", id="dropout-no-seed"),
    pytest.param(lambda p: Jitter(-1.0, seed=0), ValueError, "sigma", id="jitter-sigma-negative"),
    pytest.param(lambda p: MaxNorm(0.0), ValueError, "max_norm", id="max-norm-zero"),
    pytest.param(lambda p: train_early_stopping(_net(), p[0], p[1], p[2][:, :3], p[3], epochs=1, lr=0.1,
                                                seed=0), ValueError, "x_val", id="x-val-columns"),
    pytest.param(lambda p: train_early_stopping(_net(), p[0], p[1], p[2], p[3][:-1], epochs=1, lr=0.1,
                                                seed=0), ValueError, "t_val", id="t-val-rows"),
    pytest.param(lambda p: train_early_stopping(_net(), p[0], p[1], p[2], p[3], epochs=1, lr=0.1, seed=0,
                                                patience=0), ValueError, "patience", id="patience-zero"),
    pytest.param(lambda p: _replicas_stop(p, x_val=p[2]), ValueError, "x_val", id="replicas-x-val-2-D"),
    pytest.param(lambda p: Method(penalty="L1"), TypeError, "penalty", id="method-penalty-string"),
    pytest.param(lambda p: Method(rule=L1(0.1)), TypeError, "rule", id="method-rule-a-penalty"),
    pytest.param(lambda p: Method(dropout=0.2, jitter=1.0), ValueError, "dropout", id="method-two-noises"),
    pytest.param(lambda p: Method(validation=-1), ValueError, "validation", id="method-validation"),
    pytest.param(lambda p: compare({}, n_runs=1, epochs=1), ValueError, "methods", id="compare-empty"),
    pytest.param(lambda p: compare({"a": "L1"}, n_runs=1, epochs=1), TypeError, "methods['a']",
                 id="compare-not-a-method"),
    pytest.param(lambda p: sweep([], epochs=1), ValueError, "rules", id="sweep-no-rules"),
    pytest.param(lambda p: train_replicas_with_rule([_net()], p[0][None], p[1][None], rule=Plain(), epochs=1,
                                                    lr=0.1, seeds=[0], noise="dropout"), TypeError, "noise",
                 id="noise-a-string"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD)
def test_bad_input_is_refused_with_its_name(problem, call, error, name):
    with pytest.raises(error, match=_names(name)):
        call(problem)

