"""Keras (JAX backend) against l1reg: one epoch of the demo, step for step; the
SoftThreshold constraint against the proximal rule; the L1 share of an optimizer's step;
ProxAdam's step against Adam followed by a soft-threshold per weight.

Run alone with ``pytest -m keras``. If a Keras or JAX upgrade changes how a
regularizer, a loss or SGD is computed, the one-epoch equivalence fails here first.
"""

import numpy as np
import pytest

from l1reg import L1, L1L2, L2, Network, fit
from l1reg.core.update_rules import Proximal
from l1reg.reference import keras_bridge as kb
from l1reg.studies import demo

keras = kb.keras  # the module set the backend before its first import

pytestmark = pytest.mark.keras

N_ITEMS = 200  # the demo's training items: one epoch at batch size 1 is 200 SGD steps
EPS32 = float(np.finfo(np.float32).eps)


def _start(lam: float) -> Network:
    """The demo network, its start rounded to float32 so both frameworks begin equal."""
    net = demo.demo_network(lam)
    net.set_flat(net.get_flat().astype(np.float32))
    return net


def _keras_epoch(net: Network, *, loss, lr: float):
    """One epoch of Keras SGD from ``net``'s parameters, in l1reg's visiting order."""
    model = kb.to_keras(net)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=loss, steps_per_execution=N_ITEMS)
    data = demo.demo_data()
    kb.fit_in_order(model, data.x_train, data.t_train, epochs=1, seed=demo.demo_seeds()["order_seed"])
    return kb.keras_params(model)


def _largest_difference(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(a[name] - b[name]))) for name in a)


def _tolerance(params: dict) -> float:
    """Worst case of float32 round-off over one epoch: one unit of float32 precision
    (eps * largest |parameter|, about 7e-9) lost at each of the 200 steps, about 1.4e-6.
    The measured difference is about 1e-8, a hundredth of this bound; leaving the L1
    term out of the Keras run moves the weights by about 4e-3, three thousand times it."""
    return N_ITEMS * EPS32 * max(float(np.max(np.abs(p))) for p in params.values())


@pytest.fixture(scope="module")
def scratch_after_one_epoch() -> dict:
    net = _start(demo.LAM)
    data = demo.demo_data()
    fit(net, data.x_train, data.t_train, epochs=1, lr=demo.LR, seed=demo.demo_seeds()["order_seed"])
    return net.get_params()


@pytest.fixture(scope="module")
def keras_after_one_epoch() -> dict:
    return _keras_epoch(_start(demo.LAM), loss=kb.half_squared_error, lr=demo.LR)


# --- the equivalences ---------------------------------------------------------------------


def test_one_epoch_matches_l1reg_at_float32_round_off(scratch_after_one_epoch, keras_after_one_epoch):
    tol = _tolerance(scratch_after_one_epoch)
    assert 1e-7 < tol < 1e-5  # about 1.4e-6 for the demo's weights after one epoch
    assert _largest_difference(keras_after_one_epoch, scratch_after_one_epoch) < tol


def test_the_tolerance_catches_a_missing_penalty(scratch_after_one_epoch):
    # The same run without L1 in Keras: the test above must be able to fail.
    without = _keras_epoch(_start(0.0), loss=kb.half_squared_error, lr=demo.LR)
    gap = _largest_difference(without, scratch_after_one_epoch)
    assert gap > 100 * _tolerance(scratch_after_one_epoch)


def test_mse_with_converted_settings_matches_l1reg(scratch_after_one_epoch, keras_after_one_epoch):
    settings = kb.mse_settings(demo.LAM, demo.LR, demo.N_OUTPUT)
    start = _start(demo.LAM)
    twin = Network(10, 8, 4, seed=0, weight_penalty=L1(settings.l1))
    twin.set_flat(start.get_flat())
    after = _keras_epoch(twin, loss="mse", lr=settings.learning_rate)
    assert _largest_difference(after, scratch_after_one_epoch) < _tolerance(scratch_after_one_epoch)
    # With K = 4 every conversion factor is a power of two, exact in floating point.
    assert _largest_difference(after, keras_after_one_epoch) == 0.0


def test_soft_threshold_constraint_matches_the_proximal_rule():
    # SGD plus SoftThreshold(lr * lam) on the kernels is l1reg's Proximal(lam): the same
    # start, data and order for 5 epochs (1000 steps), float32 against float64.
    epochs = 5
    scratch = _start(0.0)
    data = demo.demo_data()
    seed = demo.demo_seeds()["order_seed"]
    model = kb.to_keras(scratch, kernel_constraint=kb.SoftThreshold(demo.LR * demo.LAM))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=demo.LR), loss=kb.half_squared_error,
                  steps_per_execution=N_ITEMS)
    kb.fit_in_order(model, data.x_train, data.t_train, epochs=epochs, seed=seed)
    fit(scratch, data.x_train, data.t_train, epochs=epochs, lr=demo.LR, seed=seed, rule=Proximal(demo.LAM))
    after = kb.keras_params(model)
    # The round-off bound of one epoch, once per epoch; measured about 2e-6.
    assert _largest_difference(after, scratch.get_params()) < epochs * _tolerance(scratch.get_params())
    w_keras = np.concatenate([after["ih_weights"].ravel(), after["ho_weights"].ravel()])
    zeros = scratch.weights() == 0.0
    np.testing.assert_array_equal(w_keras == 0.0, zeros)
    assert zeros.sum() >= 20  # 26 for the demo: the constraint acted (SGD alone gives none)
    assert not np.any(np.signbit(w_keras[w_keras == 0.0]))  # +0.0, never -0.0


def test_l1_share_of_step_under_sgd_is_lr_times_lam():
    net = _start(0.0)
    model = kb.to_keras(net)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=kb.half_squared_error)
    before = [np.asarray(v.value).copy() for v in model.trainable_variables]
    data = demo.demo_data()
    share = kb.l1_share_of_step(model, data.x_train[:3], data.t_train[:3], 0.001)
    # Exact up to the float32 rounding of the two steps: one spacing at the largest weight.
    ulp = float(np.spacing(np.float32(np.max(np.abs(net.weights())))))
    np.testing.assert_allclose(share, -1e-5 * np.sign(net.weights()), rtol=0, atol=2 * ulp)
    for v, old in zip(model.trainable_variables, before, strict=True):  # the model did not move
        np.testing.assert_array_equal(np.asarray(v.value), old)


def test_l1_share_of_step_under_rmsprop_matches_its_formula_on_l1reg_gradients():
    # A fresh RMSprop (velocity 0): v = (1 - rho) g^2, step = lr g / sqrt(v + eps), with g
    # the data gradient from l1reg's backprop, once with lam * sign(w) added and once without.
    net = _start(0.0)
    lr, lam, rho, eps = 0.01, 0.001, 0.9, 1e-7
    model = kb.to_keras(net)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=lr, rho=rho, epsilon=eps),
                  loss=kb.half_squared_error)
    data = demo.demo_data()
    x, t = data.x_train[:2], data.t_train[:2]
    g = net.gradient(x, t)[: net.n_weights]
    with_l1 = g + lam * np.sign(net.weights())

    def step(grad):
        return -lr * grad / np.sqrt((1 - rho) * grad**2 + eps)

    expected = step(with_l1) - step(g)
    np.testing.assert_allclose(kb.l1_share_of_step(model, x, t, lam), expected, rtol=1e-3, atol=1e-8)
    assert np.ptp(np.abs(expected)) > 1e-4  # rescaled weight by weight, unlike SGD's 1e-5 for all


# --- the pieces ---------------------------------------------------------------------------


def test_mse_settings_for_the_demo():
    assert kb.mse_settings(0.001, 0.01, 4) == pytest.approx((0.0005, 0.02), rel=1e-15)


def test_mse_settings_general_formula():
    # K outputs: l1 = 2 lam / K, learning rate = K lr / 2.
    settings = kb.mse_settings(0.003, 0.1, 10)
    assert settings.l1 == pytest.approx(0.0006, rel=1e-14)
    assert settings.learning_rate == pytest.approx(0.5, rel=1e-14)
    assert kb.mse_settings(0, 0.1, 2) == (0.0, 0.1)  # K = 2: mse is exactly E


def test_half_squared_error_is_the_demo_error():
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    o = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]], dtype=np.float32)
    # item 1: (0.04 + 0.25 + 0.09) / 2 = 0.19; item 2: (0.16 + 0.09 + 0.01) / 2 = 0.13
    np.testing.assert_allclose(np.asarray(kb.half_squared_error(t, o)), [0.19, 0.13], rtol=1e-6)


@pytest.mark.parametrize(
    ("penalty", "expected"),
    [(L1(0.10), 1.2), (L2(0.10), 5.6), (L1L2(l1=0.10, l2=0.10), 6.8)],
)
def test_keras_regularizer_has_the_same_formula(penalty, expected):
    w = np.array([6.0, -2.0, 4.0], dtype=np.float32)
    reg = kb.keras_regularizer(penalty)
    assert float(reg(w)) == pytest.approx(expected, rel=1e-6)
    assert penalty(w) == pytest.approx(expected, rel=1e-12)


def test_keras_regularizer_of_none_is_none():
    assert kb.keras_regularizer(None) is None


def test_to_keras_and_back_keeps_the_parameters():
    net = Network(3, 5, 2, seed=4, weight_penalty=L2(0.1), bias_penalty=L1(0.2))
    model = kb.to_keras(net)
    back = kb.keras_params(model)
    for name, value in net.get_params().items():
        np.testing.assert_array_equal(back[name], value.astype(np.float32))
    # The penalties became regularizers: model.losses sums to net.penalty().
    assert sum(float(p) for p in model.losses) == pytest.approx(net.penalty(), rel=1e-6)
    assert len(model.losses) == 4


def test_to_keras_computes_the_same_outputs():
    net = Network(3, 5, 2, seed=4)
    x = np.random.default_rng(0).uniform(-1, 1, size=(6, 3))
    o = kb.to_keras(net).predict(x.astype(np.float32), verbose=0)
    np.testing.assert_allclose(o, net.predict_proba(x), atol=1e-6)


def test_jax_takes_the_derivative_of_abs_at_zero_as_plus_one():
    # The zero case of the chapter: Keras's L1 pushes an exact zero, l1reg's does not.
    import jax

    grad = jax.grad(lambda w: kb.keras_regularizer(L1(0.5))(w))(np.zeros(3, dtype=np.float32))
    np.testing.assert_array_equal(np.asarray(grad), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(L1(0.5).gradient(np.zeros(3)), [0.0, 0.0, 0.0])


def test_visiting_order_is_train_s_order():
    rng = np.random.default_rng(7)
    expected = np.concatenate([rng.permutation(5), rng.permutation(5), rng.permutation(5)])
    np.testing.assert_array_equal(kb.visiting_order(5, 3, seed=7), expected)


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lam": -0.1, "lr": 0.01, "n_output": 4}, ValueError, "lam must be a finite number >= 0"),
        ({"lam": 0.1, "lr": 0.0, "n_output": 4}, ValueError, "lr must be a finite number > 0"),
        ({"lam": 0.1, "lr": 0.01, "n_output": 0}, ValueError, "n_output must be a positive int"),
        ({"lam": 0.1, "lr": 0.01, "n_output": 4.0}, TypeError, "n_output must be an int"),
        ({"lam": "0.1", "lr": 0.01, "n_output": 4}, TypeError, "lam must be a real number"),
    ],
)
def test_mse_settings_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        kb.mse_settings(**kwargs)


def test_keras_regularizer_rejects_other_objects():
    with pytest.raises(TypeError, match="penalty must be an l1reg.L1, L2 or L1L2 penalty or None, got str"):
        kb.keras_regularizer("l1")


def test_to_keras_rejects_a_non_network():
    with pytest.raises(TypeError, match="net must be an l1reg.Network, got dict"):
        kb.to_keras({})


def test_keras_params_rejects_a_non_model():
    with pytest.raises(TypeError, match="model must be a keras.Model, got Network"):
        kb.keras_params(Network(2, 2, 2, seed=0))


def test_keras_params_rejects_another_architecture():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, kernel_initializer="zeros")])
    with pytest.raises(ValueError, match="exactly two Dense layers .* got 1 Dense layers and 2 arrays"):
        kb.keras_params(model)


@pytest.mark.parametrize(
    ("n_items", "epochs", "seed", "error", "message"),
    [
        (0, 1, 0, ValueError, "n_items must be a positive int"),
        (5, 0, 0, ValueError, "epochs must be a positive int"),
        (5, 1, -1, ValueError, "seed must be a non-negative int"),
        (5, 1, None, TypeError, "seed must be an int or a numpy.random.Generator"),
    ],
)
def test_visiting_order_rejects_bad_input(n_items, epochs, seed, error, message):
    with pytest.raises(error, match=message):
        kb.visiting_order(n_items, epochs, seed)


@pytest.fixture
def compiled_small():
    model = kb.to_keras(Network(2, 2, 2, seed=0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=kb.half_squared_error)
    return model


X4 = np.zeros((4, 2))
T4 = np.eye(2)[[0, 1, 0, 1]]


def test_fit_in_order_needs_a_compiled_model():
    with pytest.raises(ValueError, match=r"model must be compiled"):
        kb.fit_in_order(kb.to_keras(Network(2, 2, 2, seed=0)), X4, T4, epochs=1, seed=0)


def test_fit_in_order_rejects_a_non_model():
    with pytest.raises(TypeError, match="model must be a keras.Model, got str"):
        kb.fit_in_order("model", X4, T4, epochs=1, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t_train": T4[:3]}, "x_train and t_train must have the same number of items"),
        ({"x_train": X4[0]}, r"x_train must be a 2-D array \(items x features\)"),
        ({"t_train": T4[:, :1]}, r"t_train must have 2 columns \(the model's output width\)"),
        ({"x_train": X4[:, :1]}, r"x_train must have 2 columns \(the model's input width\)"),
        ({"x_test": X4, "t_test": T4 * np.nan}, "t_test must hold only finite values"),
        ({"x_test": X4}, "x_test and t_test must be given together"),
        ({"batch_size": 3}, r"batch_size must divide the number of items \(4\), got 3"),
    ],
)
def test_fit_in_order_rejects_bad_input(compiled_small, kwargs, message):
    args = {"x_train": X4, "t_train": T4, **kwargs}
    with pytest.raises(ValueError, match=message):
        kb.fit_in_order(compiled_small, args.pop("x_train"), args.pop("t_train"), epochs=1, seed=0, **args)


def test_fit_in_order_with_batches_matches_train_with_batches():
    # Two items per step: Keras and fit both average the error over the batch.
    net = Network(2, 3, 2, seed=1, weight_penalty=L1(0.01))
    net.set_flat(net.get_flat().astype(np.float32))
    model = kb.to_keras(net)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss=kb.half_squared_error)
    x = np.random.default_rng(2).uniform(-1, 1, size=(4, 2))
    history = kb.fit_in_order(model, x, T4, epochs=3, seed=5, batch_size=2, x_test=x, t_test=T4)
    fit(net, x, T4, epochs=3, lr=0.5, seed=5, batch_size=2)
    assert _largest_difference(kb.keras_params(model), net.get_params()) < 1e-6
    assert len(history.history["val_loss"]) == 3


# --- SoftThreshold ------------------------------------------------------------------------


def test_soft_threshold_worked_example():
    shrink = kb.SoftThreshold(0.5)
    w = np.array([[-2.0, -0.25], [0.0, 0.5], [0.75, 1.5]], dtype=np.float32)
    out = np.asarray(shrink(w))
    np.testing.assert_array_equal(out, [[-1.5, 0.0], [0.0, 0.0], [0.25, 1.0]])
    assert out.dtype == np.float32
    assert not np.any(np.signbit(out[out == 0]))


def test_soft_threshold_is_l1reg_soft_threshold():
    from l1reg import soft_threshold

    w = np.random.default_rng(3).normal(scale=0.01, size=(6, 5)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(kb.SoftThreshold(0.004)(w)),
                                  soft_threshold(w, np.float32(0.004)).astype(np.float32))


def test_soft_threshold_config_round_trip():
    shrink = kb.SoftThreshold(1e-5)
    assert shrink.get_config() == {"threshold": 1e-5}
    again = kb.SoftThreshold.from_config(shrink.get_config())
    assert again.threshold == 1e-5
    assert repr(again) == "SoftThreshold(threshold=1e-05)"
    assert kb.SoftThreshold(0).threshold == 0.0


def test_soft_threshold_is_used_as_a_kernel_constraint():
    shrink = kb.SoftThreshold(0.1)
    model = kb.to_keras(Network(2, 3, 2, seed=0), kernel_constraint=shrink)
    assert [layer.kernel.constraint for layer in model.layers] == [shrink, shrink]
    assert all(layer.bias.constraint is None for layer in model.layers)


@pytest.mark.parametrize(
    ("threshold", "error", "message"),
    [
        (-0.1, ValueError, "threshold must be a finite number >= 0, got -0.1"),
        (float("nan"), ValueError, "threshold must be finite, got nan"),
        ("0.1", TypeError, "threshold must be a real number, got str"),
        (True, TypeError, "threshold must be a real number, got bool"),
    ],
)
def test_soft_threshold_rejects_bad_input(threshold, error, message):
    with pytest.raises(error, match=message):
        kb.SoftThreshold(threshold)


def test_to_keras_rejects_a_non_constraint():
    message = "kernel_constraint must be a keras.constraints.Constraint or None, got float"
    with pytest.raises(TypeError, match=message):
        kb.to_keras(Network(2, 2, 2, seed=0), kernel_constraint=0.1)


def test_l1_share_of_step_rejects_bad_input(compiled_small):
    with pytest.raises(TypeError, match="model must be a keras.Model, got str"):
        kb.l1_share_of_step("model", X4, T4, 0.1)
    with pytest.raises(ValueError, match="model must be compiled"):
        kb.l1_share_of_step(kb.to_keras(Network(2, 2, 2, seed=0)), X4, T4, 0.1)
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        kb.l1_share_of_step(compiled_small, X4, T4, -0.1)
    with pytest.raises(ValueError, match=r"t must have 2 columns"):
        kb.l1_share_of_step(compiled_small, X4, T4[:, :1], 0.1)


def _prox_adam_reference(w0, grads, *, lr, l1, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """Adam's step as Keras writes it, then the soft-threshold by lr * l1 / D (2-D arrays only)."""
    w = np.array(w0, dtype=np.float64)
    m, s = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m += (1 - beta_1) * (g - m)
        s += (1 - beta_2) * (g * g - s)
        correction = np.sqrt(1 - beta_2**t)
        w -= lr * correction / (1 - beta_1**t) * m / (np.sqrt(s) + eps)
        if w.ndim == 2:
            w = np.sign(w) * np.maximum(np.abs(w) - lr * correction * l1 / (np.sqrt(s) + eps), 0.0)
    return w


def test_prox_adam_is_adam_then_a_soft_threshold_per_weight():
    # If a Keras upgrade renames Adam's variables or changes its step, this fails.
    rng = np.random.default_rng(0)
    kernel0 = rng.normal(scale=0.01, size=(3, 4)).astype("float32")
    bias0 = rng.normal(scale=0.01, size=4).astype("float32")
    kernel_grads = rng.normal(scale=0.02, size=(6, 3, 4)).astype("float32")
    bias_grads = rng.normal(scale=0.02, size=(6, 4)).astype("float32")
    kernel, bias = keras.Variable(kernel0), keras.Variable(bias0)
    optimizer = kb.ProxAdam(0.01, learning_rate=0.003)
    for gk, gb in zip(kernel_grads, bias_grads, strict=True):
        optimizer.apply_gradients([(gk, kernel), (gb, bias)])
    want_kernel = _prox_adam_reference(kernel0, kernel_grads, lr=0.003, l1=0.01)
    want_bias = _prox_adam_reference(bias0, bias_grads, lr=0.003, l1=0.01)  # Adam only
    got_kernel = np.asarray(kernel.value, dtype=np.float64)
    np.testing.assert_allclose(got_kernel, want_kernel, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.asarray(bias.value), want_bias, rtol=0, atol=1e-6)
    # Some kernel weights were thresholded to zero, and exactly where the reference says.
    assert 0 < np.sum(got_kernel == 0) < got_kernel.size
    np.testing.assert_array_equal(got_kernel == 0, want_kernel == 0)


def test_prox_adam_keeps_a_zero_weight_exactly_while_its_gradient_is_at_most_l1():
    l1 = 0.01
    g = np.array([[0.004, -0.0099], [0.011, -0.03]], dtype="float32")  # |g| <= l1 in the first row
    kernel = keras.Variable(np.zeros((2, 2), dtype="float32"))
    optimizer = kb.ProxAdam(l1, learning_rate=0.01)
    for _ in range(50):
        optimizer.apply_gradients([(g, kernel)])
    w = np.asarray(kernel.value)
    np.testing.assert_array_equal(w[0], 0.0)
    assert np.all(w[1] != 0) and np.all(np.sign(w[1]) == -np.sign(g[1]))


# Keras's own Optimizer.get_config reads its learning rate through a NumPy 1 style __array__.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_prox_adam_config_round_trips_and_rejects_bad_input():
    optimizer = kb.ProxAdam(0.002, learning_rate=0.001)
    config = optimizer.get_config()
    assert config["l1"] == 0.002
    again = kb.ProxAdam.from_config(config)
    assert again.l1 == 0.002 and float(again.learning_rate) == pytest.approx(0.001)
    with pytest.raises(ValueError, match="l1 must be a finite number >= 0"):
        kb.ProxAdam(-0.1)
