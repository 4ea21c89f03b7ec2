"""Issue 19: l1reg under bad input. No hangs, no silent wrong numbers.

First one test per case the issue reports, then a Hypothesis fuzz: each public
function gets valid arguments but one, which is drawn from values that argument must
refuse; the call must raise ValueError or TypeError (never return a number) within a
time limit.
"""

from __future__ import annotations

import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l1reg import L1, L1L2, L2, Network, fit, make_demo_data, make_inputs, one_hot, soft_threshold
from l1reg.core import losses, update_rules
from l1reg.core._validation import InvalidParameterError
from l1reg.core.training import Callback, TrainingDiverged
from l1reg.reference import gradcheck
from l1reg.regularize import constraints
from l1reg.regularize.early_stopping import EarlyStopping
from l1reg.studies import linear, shrinkage


@contextmanager
def time_limit(seconds: float):
    """Fail the test instead of hanging (SIGALRM: Unix, main thread)."""
    def stop(signum, frame):
        raise TimeoutError(f"did not return within {seconds} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def demo():
    return make_demo_data()


# --- the two hangs -------------------------------------------------------------------------------


def test_one_weight_far_from_zero_is_found_instead_of_hanging():
    with time_limit(5):
        found = shrinkage.minimize_one_weight(9000.0, 1.0, L1(0.1))
    assert found == pytest.approx(8999.9, abs=1e-5)


@pytest.mark.parametrize("tol", [1e-300, 5e-324])
def test_golden_section_with_a_tol_below_float_spacing_stops(tol):
    with time_limit(5):
        found = shrinkage.golden_section_minimize(lambda w: (w - 0.3) ** 2, -2.0, 5.0, tol=tol)
    assert found == pytest.approx(0.3, abs=1e-7)


def test_golden_section_refuses_nan_from_f_and_an_infinite_width():
    with pytest.raises(ValueError, match="f must return a finite real number"):
        shrinkage.golden_section_minimize(lambda w: float("nan"), 0.0, 1.0)
    with pytest.raises(ValueError, match="high - low must be a finite width"):
        shrinkage.golden_section_minimize(abs, -1e308, 1e308)


# --- divergence ----------------------------------------------------------------------------------


def test_divergence_raises_naming_the_epoch_and_keeps_the_last_finite_parameters(demo):
    net = Network(10, 8, 4, seed=3, weight_penalty=L2(0.2))
    reference = Network(10, 8, 4, seed=3, weight_penalty=L2(0.2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning reaches the user
        with pytest.raises(TrainingDiverged, match=r"diverged in epoch 4.*lower lr") as caught:
            fit(net, demo.x_train, demo.t_train, epochs=30, lr=10.0, seed=0)
    assert isinstance(caught.value, FloatingPointError)
    assert "end of epoch 3" in str(caught.value)
    fit(reference, demo.x_train, demo.t_train, epochs=3, lr=10.0, seed=0)
    assert net.flat.tobytes() == reference.flat.tobytes()


def test_divergence_in_a_stack_names_the_replica_and_fills_every_network(demo):
    nets = [Network(10, 8, 4, seed=3) for _ in range(2)]
    rule = [update_rules.Plain(), update_rules.L2Gradient(0.2)]  # lr * 2 * lam = 4: replica 1 blows up
    starts = [n.get_flat() for n in nets]
    xs, ts = np.stack([demo.x_train] * 2), np.stack([demo.t_train] * 2)
    with pytest.raises(TrainingDiverged, match=r"in replica 1 of the stack"):
        fit(nets, xs, ts, epochs=30, lr=10.0, seed=[0, 0], rule=rule)
    assert all(np.all(np.isfinite(n.flat)) for n in nets)
    assert not np.array_equal(nets[0].flat, starts[0])  # the networks hold the last finite epoch


@pytest.mark.parametrize("with_callback", [False, True])
def test_the_compiled_engine_reports_divergence_as_the_numpy_engine_does(demo, with_callback):
    # Without callbacks the compiled engine runs several epochs per call; a divergence
    # sends it back to train epoch by epoch, so it names the same epoch and keeps the
    # same last finite parameters as the NumPy engine.
    class Nothing(Callback):
        pass

    callbacks = [Nothing()] if with_callback else []
    found = {}
    for engine in ("numpy", "compiled"):
        net = Network(10, 8, 4, seed=3, weight_penalty=L2(0.2))
        with pytest.raises(TrainingDiverged, match=r"diverged in epoch 4") as caught:
            fit(net, demo.x_train, demo.t_train, epochs=30, lr=10.0, seed=0, engine=engine,
                callbacks=callbacks)
        found[engine] = (str(caught.value), net.get_flat())
    assert found["numpy"][0] == found["compiled"][0]
    np.testing.assert_allclose(found["compiled"][1], found["numpy"][1], rtol=1e-9)  # weights near 1e286


def test_nan_already_in_the_parameters_is_reported_as_such_not_blamed_on_lr(demo):
    net = Network(10, 8, 4, seed=3)
    net.flat[5] = np.nan
    with pytest.raises(ValueError, match=r"net already holds 1 NaN or infinite parameter.*flat index 5"):
        fit(net, demo.x_train, demo.t_train, epochs=1, lr=0.01, seed=0)
    nets = [Network(10, 8, 4, seed=s) for s in (1, 2)]
    nets[1].flat[0] = np.inf
    with pytest.raises(ValueError, match=r"net\[1\] already holds"):
        fit(nets, [demo.x_train] * 2, [demo.t_train] * 2, epochs=1, lr=0.01, seed=[0, 1])


@pytest.mark.parametrize("eps", [1e-20, 1e-17])
def test_a_gradient_check_step_below_float_spacing_is_refused(eps):
    from l1reg.reference.gradcheck import numerical_gradient
    with pytest.raises(ValueError, match=r"eps=.* is below the float spacing of w\[1\] = 1"):
        numerical_gradient(lambda w: float(w @ w), np.array([0.0, 1.0]), eps=eps)
    assert numerical_gradient(lambda w: float(w @ w), np.array([0.0, 1.0]), eps=1e-6) == pytest.approx([0, 2])


def test_a_first_epoch_that_diverges_leaves_the_initial_parameters(demo):
    net = Network(10, 8, 4, seed=3, weight_penalty=L2(1.0))
    start = net.get_flat()
    with pytest.raises(TrainingDiverged, match="in epoch 1.*from the start of training"):
        fit(net, demo.x_train, demo.t_train, epochs=2, lr=1e300, seed=0)
    np.testing.assert_array_equal(net.flat, start)


def test_early_stopping_does_not_restore_nan_parameters(demo):
    net = Network(10, 8, 4, seed=3, weight_penalty=L2(0.2))
    stopper = EarlyStopping(demo.x_test, demo.t_test)
    with pytest.raises(TrainingDiverged):
        fit(net, demo.x_train, demo.t_train, epochs=30, lr=10.0, seed=0, callbacks=[stopper])
    assert np.all(np.isfinite(net.flat))
    assert stopper.best_epoch == []  # never reported: training did not end


def test_a_huge_lr_that_saturates_without_nan_is_reported_by_the_history(demo):
    net = Network(10, 8, 4, seed=3)
    history = fit(net, demo.x_train, demo.t_train, epochs=2, lr=1e4, seed=0)
    assert np.all(np.isfinite(net.flat)) and history.train_accuracy[-1] < 0.5


def test_the_lasso_solver_with_a_far_too_large_step_raises():
    x = np.random.default_rng(0).normal(size=(20, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FloatingPointError, match=r"diverged at step \d+.*lr=100 is too large"):
            linear.fit_lasso_proximal(x, x @ [1.0, 2.0, 3.0], 0.1, lr=100.0)


# --- gradient checks -----------------------------------------------------------------------------


def test_a_float32_network_passes_its_gradient_check(demo):
    net = Network(10, 8, 4, seed=0, dtype=np.float32)
    errors = gradcheck.check_network_gradient(net, demo.x_train[:5], demo.t_train[:5])
    assert max(errors.values()) < 1e-5


@pytest.mark.parametrize("function", [gradcheck.relative_error, gradcheck.norm_relative_error])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_nan_or_inf_is_never_agreement(function, bad):
    assert function([1.0, bad], [1.0, 2.0]) == np.inf
    assert function([1.0, 2.0], [1.0, bad]) == np.inf


# --- constraints, losses, softmax ---------------------------------------------------------------


@pytest.mark.parametrize("limit", [-1.0, 0.0, np.nan, np.inf, "1", [1, [2, 3]]])  # the last found by Hypothesis
def test_cap_column_norms_refuses_a_bad_limit(limit):
    w = np.array([[3.0, 0.3], [4.0, 0.4]])
    with pytest.raises((ValueError, TypeError), match="max_norm"):
        constraints.cap_column_norms(w, limit)
    np.testing.assert_array_equal(w, [[3.0, 0.3], [4.0, 0.4]])


def test_losses_refuse_mismatched_shapes_and_take_lists():
    with pytest.raises(ValueError, match=r"t must have the shape of o \(3, 4\)"):
        losses.squared_error(np.ones((3, 4)), np.ones(4))
    with pytest.raises(ValueError, match="o must be a 2-D array"):
        losses.cross_entropy(np.ones(4) / 4, np.eye(4)[0])
    assert losses.squared_error([[0.5, 0.5]], [[1.0, 0.0]]) == pytest.approx(0.25)
    np.testing.assert_allclose(losses.softmax([0.0, 0.0]), [0.5, 0.5])
    with pytest.raises(TypeError, match="z must be an array of real numbers"):
        losses.softmax(["a", "b"])


# --- state that could be broken from outside ----------------------------------------------------


def test_params_cannot_be_rebound_but_can_be_written_in_place():
    net = Network(3, 2, 2, seed=0)
    with pytest.raises(TypeError, match=r"net.params\['ih_weights'\] cannot be replaced.*in place"):
        net.params["ih_weights"] = np.zeros((3, 2))
    net.params["ih_weights"][...] = 0.5
    assert np.all(net.flat[:6] == 0.5)
    with pytest.raises(AttributeError, match="net.flat cannot be rebound"):
        net.flat = np.zeros(net.n_params)
    net.flat -= 0.5  # in place, as sgd_step does
    assert np.all(net.flat[:6] == 0.0)
    other = Network(3, 2, 2, seed=1)
    other.set_params(net.params)
    np.testing.assert_array_equal(other.flat, net.flat)


@pytest.mark.parametrize("make", [lambda: L1(0.1), lambda: L2(0.1), lambda: update_rules.Proximal(0.1),
                                  lambda: update_rules.L2Gradient(0.1)])
@pytest.mark.parametrize("value", [-5, np.nan, "0.1", None])
def test_strengths_are_checked_on_assignment(make, value):
    thing = make()
    with pytest.raises(InvalidParameterError, match="^lam must be "):  # as the constructor's table says
        thing.lam = value
    assert thing.lam == 0.1
    thing.lam = 0.2
    assert thing.lam == 0.2


@pytest.mark.parametrize("kind", [update_rules.ElasticNetGradient, update_rules.ElasticNetProximal])
def test_elastic_net_rules_check_their_strengths_on_assignment(kind):
    rule = kind(0.1, 0.2)
    with pytest.raises(InvalidParameterError, match="^l1 must be a finite number >= 0"):
        rule.l1 = -1.0
    with pytest.raises(InvalidParameterError, match="^l2 must be finite, got nan"):
        rule.l2 = np.nan
    assert (rule.l1, rule.l2) == (0.1, 0.2)
    rule.l2 = 0.3
    assert rule.get_config() == {"l1": 0.1, "l2": 0.3}


def test_l1l2_and_max_norm_check_on_assignment():
    penalty, cap = L1L2(0.1, 0.1), constraints.MaxNorm(1.0)
    with pytest.raises(InvalidParameterError, match="^l2 must be a finite number >= 0"):
        penalty.l2 = -1.0
    with pytest.raises(InvalidParameterError, match="^max_norm must be a finite number > 0"):
        cap.max_norm = 0.0


def test_a_network_with_one_output_is_refused():
    with pytest.raises(ValueError, match=r"^n_output must be an int >= 2 \(softmax needs two classes to choose between\), got 1"):
        Network(10, 8, 1, seed=0)


def test_make_demo_data_names_its_own_arguments():
    with pytest.raises(ValueError, match="n_train must be a positive int, got -5"):
        make_demo_data(n_train=-5)
    with pytest.raises(ValueError, match="n_test must be a positive int, got 0"):
        make_demo_data(n_test=0)


def test_lasso_objective_checks_the_weights():
    x, y = np.eye(3), np.ones(3)
    with pytest.raises(ValueError, match=r"weights must be a 1-D array with one weight per column of x \(3\)"):
        linear.lasso_objective(x, y, np.ones(2), 0.0, 0.1)
    with pytest.raises(ValueError, match="weights must hold only finite values"):
        linear.lasso_objective(x, y, [1.0, np.nan, 0.0], 0.0, 0.1)


# --- the fuzz: one invalid argument at a time ----------------------------------------------------

NAN, INF = float("nan"), float("inf")
JUNK = [None, "3", b"x", [1, [2, 3]], {"a": 1}, complex(1, 1), object()]
BAD_COUNT = JUNK + [0, -1, -(10**30), 10**400, NAN, INF, 2.5, True]  # for an int >= 1 (10**400: too big)
BAD_STRENGTH = JUNK + [-1e-3, -5, NAN, INF, -INF, 10**400, True]  # for a real >= 0
BAD_RATE = BAD_STRENGTH + [0.0, 0]  # for a real > 0
BAD_SEED = [None, "3", 2.5, NAN, -1, True, [1, [2]]]
BAD_MATRIX = JUNK + [1.0, [1.0, 2.0], [[1.0, 2.0], [3.0]], [[NAN] * 10], [[INF] * 10], np.zeros((0, 10)),
                     np.zeros((2, 3)), np.zeros((2, 10, 1)), [["a"] * 10]]
BAD_ONE_HOT = JUNK + [np.zeros((40, 4)), np.full((40, 4), 0.25), np.ones((40, 5)), np.eye(4)[:3],
                      np.eye(4)[np.zeros(40, dtype=int)] * NAN, np.eye(4)[np.zeros(40, dtype=int)] * 2]
BAD_VECTOR = JUNK + [[NAN], [INF, 1.0], [["a"]], [1.0, [2.0]]]
BAD_PENALTY = ["L1", 0.1, L1, object(), np.array([0.1])]

DATA = make_demo_data(n_train=40, n_test=40)
NET = Network(10, 8, 4, seed=0)


def _fit(**changes):
    kwargs = {"net": Network(10, 8, 4, seed=0), "x_train": DATA.x_train, "t_train": DATA.t_train,
              "epochs": 1, "lr": 0.01, "seed": 0}
    kwargs.update(changes)
    return fit(kwargs.pop("net"), kwargs.pop("x_train"), kwargs.pop("t_train"), **kwargs)


# (name, call taking the bad value, the bad values)
CASES = [
    ("Network.n_input", lambda v: Network(v, 8, 4, seed=0), BAD_COUNT),
    ("Network.n_hidden", lambda v: Network(10, v, 4, seed=0), BAD_COUNT),
    ("Network.n_output", lambda v: Network(10, 8, v, seed=0), BAD_COUNT + [1]),
    ("Network.seed", lambda v: Network(10, 8, 4, seed=v), BAD_SEED),
    ("Network.init_range", lambda v: Network(10, 8, 4, seed=0, init_range=v), BAD_RATE),
    ("Network.loss", lambda v: Network(10, 8, 4, seed=0, loss=v), JUNK + ["mse"]),
    ("Network.weight_penalty", lambda v: Network(10, 8, 4, seed=0, weight_penalty=v), BAD_PENALTY),
    ("Network.dtype", lambda v: Network(10, 8, 4, seed=0, dtype=v), JUNK + [np.int64, "float16"]),
    ("Network.predict.x", NET.predict, BAD_MATRIX),
    ("Network.accuracy.t", lambda v: NET.accuracy(DATA.x_train, v), BAD_ONE_HOT),
    ("Network.error.x", lambda v: NET.error(v, DATA.t_train), BAD_MATRIX),
    ("Network.set_flat", lambda v: Network(10, 8, 4, seed=0).set_flat(v), BAD_VECTOR + [np.zeros(3)]),
    ("Network.set_params", lambda v: Network(10, 8, 4, seed=0).set_params(v), JUNK + [{}]),
    ("Network.describe_weight", NET.describe_weight, JUNK + [-1, 2.5, NAN, True, 10**6]),
    ("fit.x_train", lambda v: _fit(x_train=v), BAD_MATRIX),
    ("fit.t_train", lambda v: _fit(t_train=v), BAD_ONE_HOT),
    ("fit.epochs", lambda v: _fit(epochs=v), BAD_COUNT),
    ("fit.lr", lambda v: _fit(lr=v), BAD_RATE),
    ("fit.seed", lambda v: _fit(seed=v), BAD_SEED),
    ("fit.batch_size", lambda v: _fit(batch_size=v), BAD_COUNT),
    ("fit.net", lambda v: _fit(net=v), JUNK + [[], "net"]),
    ("fit.rule", lambda v: _fit(rule=v), JUNK[1:] + [L1(0.1)]),
    ("fit.on", lambda v: _fit(on=v), JUNK + [(), ["h_biases"]]),
    ("fit.test_data", lambda v: _fit(test_data=v), JUNK[1:] + [(DATA.x_test,), (DATA.x_test, DATA.t_test[:, :2])]),
    ("fit.callbacks", lambda v: _fit(callbacks=v), JUNK + [[1]]),
    ("fit.engine", lambda v: _fit(engine=v), JUNK + ["jax"]),
    ("make_demo_data.n_train", lambda v: make_demo_data(n_train=v), BAD_COUNT),
    ("make_demo_data.n_test", lambda v: make_demo_data(n_test=v), BAD_COUNT),
    ("make_demo_data.input_range", lambda v: make_demo_data(input_range=v), BAD_RATE),
    ("make_inputs.n_items", lambda v: make_inputs(v, 3, 0), BAD_COUNT),
    ("one_hot.classes", lambda v: one_hot(v, 3), JUNK + [[3], [-1], [0.5], [[0]]]),
    ("one_hot.n_classes", lambda v: one_hot([0, 1], v), BAD_COUNT),
    ("L1.lam", L1, BAD_STRENGTH),
    ("L2.lam", L2, BAD_STRENGTH),
    ("L1L2.l1", lambda v: L1L2(v, 0.1), BAD_STRENGTH),
    ("soft_threshold.w", lambda v: soft_threshold(v, 0.1), JUNK),
    ("soft_threshold.threshold", lambda v: soft_threshold([1.0], v), BAD_STRENGTH),
    ("softmax.z", losses.softmax, JUNK + [[["a"]], []]),
    ("squared_error.t", lambda v: losses.squared_error(np.full((2, 4), 0.25), v), JUNK + [np.ones(4), np.ones((3, 4))]),
    ("cross_entropy.o", lambda v: losses.cross_entropy(v, np.eye(4)[:2]), JUNK + [np.ones(4), np.ones((2, 3))]),
    ("l1_minimizer.w0", lambda v: shrinkage.l1_minimizer(v, 1.0, 0.1), BAD_VECTOR),
    ("l1_minimizer.a", lambda v: shrinkage.l1_minimizer(1.0, v, 0.1), BAD_RATE),
    ("minimize_one_weight.w0", lambda v: shrinkage.minimize_one_weight(v, 1.0, L1(0.1)), JUNK + [NAN, INF, 10**400]),
    ("minimize_one_weight.penalty", lambda v: shrinkage.minimize_one_weight(1.0, 1.0, v), BAD_PENALTY + [None]),
    ("golden_section_minimize.tol", lambda v: shrinkage.golden_section_minimize(abs, -1.0, 1.0, v), BAD_RATE),
    ("golden_section_minimize.f", lambda v: shrinkage.golden_section_minimize(v, -1.0, 1.0), JUNK[:-1]
     + [lambda w: "x", lambda w: NAN, lambda w: [w, w]]),
    ("l1_ball_optimum.h", lambda v: shrinkage.l1_ball_optimum([1.0, 1.0], v, 1.0), BAD_VECTOR
     + [np.eye(3), [[1.0, 2.0], [0.0, 1.0]], -np.eye(2)]),
    ("l2_ball_optimum.radius", lambda v: shrinkage.l2_ball_optimum([1.0, 1.0], np.eye(2), v), BAD_RATE),
    ("fit_lasso_proximal.x", lambda v: linear.fit_lasso_proximal(v, np.ones(2), 0.1), [v for v in BAD_MATRIX if not (
     isinstance(v, np.ndarray) and v.shape == (2, 3))] + [np.ones((2, 2))]),
    ("fit_lasso_proximal.y", lambda v: linear.fit_lasso_proximal(np.eye(2), v, 0.1), BAD_VECTOR + [np.ones(3)]),
    ("fit_lasso_proximal.lam", lambda v: linear.fit_lasso_proximal(np.eye(2), np.ones(2), v), BAD_STRENGTH),
        ("fit_lasso_proximal.max_iter", lambda v: linear.fit_lasso_proximal(np.eye(2), np.ones(2), 0.1,
                                                                       max_iter=v), BAD_COUNT),
    ("fit_lasso_proximal.lr", lambda v: linear.fit_lasso_proximal(np.eye(2), np.ones(2), 0.1, lr=v),
     BAD_RATE[1:]),
    ("lasso_objective.weights", lambda v: linear.lasso_objective(np.eye(2), np.ones(2), v, 0.0, 0.1),
     BAD_VECTOR + [np.ones(3), np.ones((2, 1))]),
    ("lasso_objective.bias", lambda v: linear.lasso_objective(np.eye(2), np.ones(2), [1.0, 1.0], v, 0.1),
     JUNK + [NAN, INF]),
    ("relative_error.a", lambda v: gradcheck.relative_error(v, [1.0, 2.0]), JUNK[:-2] + [[1.0, 2.0, 3.0]]),
    ("check_network_gradient.eps", lambda v: gradcheck.check_network_gradient(NET, DATA.x_test[:2],
                                                                              DATA.t_test[:2], eps=v), BAD_RATE),
    ("numerical_gradient.w", lambda v: gradcheck.numerical_gradient(np.sum, v), JUNK[:3] + [[[1.0]]]),
    ("cap_column_norms.w", lambda v: constraints.cap_column_norms(v, 1.0), JUNK + [[[1.0]], np.ones(3)]),
    ("cap_column_norms.max_norm", lambda v: constraints.cap_column_norms(np.ones((2, 2)), v), BAD_RATE),
    ("MaxNorm.max_norm", constraints.MaxNorm, BAD_RATE),
    ("Proximal.lam", update_rules.Proximal, BAD_STRENGTH),
    ("ElasticNetProximal.l1", lambda v: update_rules.ElasticNetProximal(v, 0.1), BAD_STRENGTH),
    ("ElasticNetProximal.l2", lambda v: update_rules.ElasticNetProximal(0.1, v), BAD_STRENGTH),
    ("step_once.rule", lambda v: update_rules.step_once(v, [1.0], [1.0], 0.1), JUNK + [L1(0.1)]),
    ("step_once.g", lambda v: update_rules.step_once(update_rules.Plain(), [1.0], v, 0.1), JUNK[:-2]
     + [[1.0, 2.0]]),
    ("EarlyStopping.patience", lambda v: EarlyStopping(DATA.x_test, DATA.t_test, patience=v), BAD_COUNT[1:]),
    ("EarlyStopping.x_val", lambda v: _fit(callbacks=[EarlyStopping(v, DATA.t_test)]), BAD_MATRIX),
]


@st.composite
def bad_calls(draw):
    name, call, values = draw(st.sampled_from(CASES))
    return name, call, draw(st.sampled_from(values))


@given(bad_calls())
def test_an_invalid_argument_raises_value_or_type_error_quickly(case):
    name, call, value = case
    argument = name.rsplit(".", 1)[-1]
    with time_limit(10), warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = call(value)
        except (ValueError, TypeError) as err:
            message = str(err)
        else:
            raise AssertionError(f"{name}={value!r} returned {result!r} instead of raising")
    assert message, f"{name}={value!r}: empty message"
    # the message names the argument, or the argument's own parts (x_train[0], t_val, ...)
    named = argument in message or name.split(".")[0] in ("Network", "fit", "step_once")
    assert named, f"{name}={value!r}: the message {message!r} does not name {argument}"


@pytest.mark.parametrize(("name", "call", "values"), CASES, ids=[c[0] for c in CASES])
def test_every_listed_invalid_value_is_refused(name, call, values):
    accepted = []
    for value in values:
        with time_limit(10), warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                call(value)
            except (ValueError, TypeError):
                continue
        accepted.append(value)
    assert not accepted, f"{name} accepted {accepted!r}"
