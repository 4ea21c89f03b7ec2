"""Bad input: each public function refuses it with an error naming the argument.

Every message must *start* with the argument's name (``lr must be ...``), so a match on a
short name such as ``t`` or ``x`` cannot be satisfied by some other word in the message.
"""

import re
from types import SimpleNamespace

import numpy as np
import pytest

from l1reg import L1, Network, fit, make_inputs
from l1reg.studies.demo import demo_network

N_IN, N_HID, N_OUT, N_ITEMS = 3, 4, 2, 6


def _names(name: str) -> str:
    """A pattern for an error message that begins with ``name`` and a space."""
    return "^" + re.escape(name) + " "


def _good() -> SimpleNamespace:
    """Fresh valid arguments; each case below spoils exactly one of them."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(N_ITEMS, N_IN))
    t = np.eye(N_OUT)[[0, 1, 0, 1, 1, 0]]
    return SimpleNamespace(
        net=Network(N_IN, N_HID, N_OUT, seed=0),
        x=x,
        t=t,
        run={"epochs": 1, "lr": 0.1, "seed": 0},
    )


def _with(t: np.ndarray, row: int, values) -> np.ndarray:
    t = t.copy()
    t[row] = values
    return t


def _nan_at(x: np.ndarray, value: float) -> np.ndarray:
    x = x.copy()
    x[2, 1] = value
    return x


def _train(g, **changes):
    kwargs = {"x_train": g.x, "t_train": g.t, **g.run, **changes}
    return fit(g.net, kwargs.pop("x_train"), kwargs.pop("t_train"), **kwargs)


BAD_TRAIN = [
    # inputs
    pytest.param(lambda g: _train(g, x_train=g.x[:, :2]), ValueError, "x_train", id="x-too-few-columns"),
    pytest.param(lambda g: _train(g, x_train=np.ones((N_ITEMS, 4))), ValueError, "x_train",
                 id="x-too-many-columns"),
    pytest.param(lambda g: _train(g, x_train=g.x[0]), ValueError, "x_train", id="x-1-D"),
    pytest.param(lambda g: _train(g, x_train=g.x[None]), ValueError, "x_train", id="x-3-D"),
    pytest.param(lambda g: _train(g, x_train=g.x[:0]), ValueError, "x_train", id="x-no-items"),
    pytest.param(lambda g: _train(g, x_train=_nan_at(g.x, np.nan)), ValueError, "x_train", id="x-nan"),
    pytest.param(lambda g: _train(g, x_train=_nan_at(g.x, np.inf)), ValueError, "x_train", id="x-inf"),
    pytest.param(lambda g: _train(g, x_train=_nan_at(g.x, -np.inf)), ValueError, "x_train", id="x-minus-inf"),
    pytest.param(lambda g: _train(g, x_train=[["a", "b", "c"]] * N_ITEMS), TypeError, "x_train",
                 id="x-strings"),
    # targets
    pytest.param(lambda g: _train(g, t_train=g.t[:-1]), ValueError, "t_train", id="t-fewer-rows-than-x"),
    pytest.param(lambda g: _train(g, t_train=np.eye(3)[[0, 1, 2, 0, 1, 2]]), ValueError, "t_train",
                 id="t-wrong-columns"),
    pytest.param(lambda g: _train(g, t_train=g.t[:, 0]), ValueError, "t_train", id="t-1-D"),
    pytest.param(lambda g: _train(g, t_train=_with(g.t, 1, [0, 2])), ValueError, "t_train", id="t-a-two"),
    pytest.param(lambda g: _train(g, t_train=_with(g.t, 1, [0, 0])), ValueError, "t_train",
                 id="t-all-zero-row"),
    pytest.param(lambda g: _train(g, t_train=_with(g.t, 1, [0.5, 0.5])), ValueError, "t_train",
                 id="t-halves"),
    pytest.param(lambda g: _train(g, t_train=_with(g.t, 1, [1, 1])), ValueError, "t_train", id="t-two-ones"),
    pytest.param(lambda g: _train(g, t_train=_with(g.t, 1, [-1, 2])), ValueError, "t_train",
                 id="t-sums-to-one-not-binary"),
    pytest.param(lambda g: _train(g, t_train=_nan_at(g.t, np.nan)), ValueError, "t_train", id="t-nan"),
    # schedule
    pytest.param(lambda g: _train(g, lr=0.0), ValueError, "lr", id="lr-zero"),
    pytest.param(lambda g: _train(g, lr=-0.01), ValueError, "lr", id="lr-negative"),
    pytest.param(lambda g: _train(g, lr=np.inf), ValueError, "lr", id="lr-inf"),
    pytest.param(lambda g: _train(g, lr=np.nan), ValueError, "lr", id="lr-nan"),
    pytest.param(lambda g: _train(g, lr="0.1"), TypeError, "lr", id="lr-string"),
    pytest.param(lambda g: _train(g, epochs=0), ValueError, "epochs", id="epochs-zero"),
    pytest.param(lambda g: _train(g, epochs=-3), ValueError, "epochs", id="epochs-negative"),
    pytest.param(lambda g: _train(g, epochs=2.5), TypeError, "epochs", id="epochs-float"),
    pytest.param(lambda g: _train(g, epochs=True), TypeError, "epochs", id="epochs-bool"),
    pytest.param(lambda g: _train(g, batch_size=0), ValueError, "batch_size", id="batch-size-zero"),
    pytest.param(lambda g: _train(g, batch_size=2.0), TypeError, "batch_size", id="batch-size-float"),
    pytest.param(lambda g: _train(g, seed=None), TypeError, "seed", id="seed-none"),
    pytest.param(lambda g: _train(g, seed=1.5), TypeError, "seed", id="seed-float"),
    pytest.param(lambda g: _train(g, seed=-1), ValueError, "seed", id="seed-negative"),
    # held-out data
    pytest.param(lambda g: _train(g, test_data=g.x), ValueError, "test_data", id="test-data-not-a-pair"),
    pytest.param(lambda g: _train(g, test_data=(g.x,)), ValueError, "test_data", id="test-data-one-array"),
    pytest.param(lambda g: _train(g, test_data=(g.x[:, :2], g.t)), ValueError, "x_test",
                 id="x-test-columns"),
    pytest.param(lambda g: _train(g, test_data=(g.x, _with(g.t, 0, [0, 0]))), ValueError, "t_test",
                 id="t-test-not-one-hot"),
    pytest.param(lambda g: _train(g, test_data=(g.x, g.t[:3])), ValueError, "t_test", id="t-test-rows"),
    # the network itself, and the engine
    pytest.param(lambda g: fit("net", g.x, g.t, **g.run), TypeError, "net", id="net-not-a-network"),
    pytest.param(lambda g: _train(g, engine=None), ValueError, "engine", id="engine-none"),
    pytest.param(lambda g: _train(g, callbacks=None), TypeError, "callbacks", id="callbacks-none"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD_TRAIN)
def test_fit_rejects(call, error, name):
    g = _good()
    before = g.net.get_flat()
    with pytest.raises(error, match=_names(name)):
        call(g)
    np.testing.assert_array_equal(g.net.get_flat(), before)  # refused before any step


BAD_NETWORK = [
    pytest.param({"n_input": 0}, ValueError, "n_input", id="n-input-zero"),
    pytest.param({"n_hidden": 0}, ValueError, "n_hidden", id="n-hidden-zero"),
    pytest.param({"n_hidden": -2}, ValueError, "n_hidden", id="n-hidden-negative"),
    pytest.param({"n_output": 2.5}, TypeError, "n_output", id="n-output-float"),
    pytest.param({"seed": None}, TypeError, "seed", id="seed-none"),
    pytest.param({"seed": 0.5}, TypeError, "seed", id="seed-float"),
    pytest.param({"seed": "0"}, TypeError, "seed", id="seed-string"),
    pytest.param({"seed": -1}, ValueError, "seed", id="seed-negative"),
    pytest.param({"init_range": 0.0}, ValueError, "init_range", id="init-range-zero"),
    pytest.param({"init_range": np.nan}, ValueError, "init_range", id="init-range-nan"),
    pytest.param({"loss": "hinge"}, ValueError, "loss", id="loss-unknown"),
    pytest.param({"loss": "Squared"}, ValueError, "loss", id="loss-wrong-case"),
    pytest.param({"loss": None}, ValueError, "loss", id="loss-none"),
    pytest.param({"weight_penalty": 0.001}, TypeError, "weight_penalty", id="weight-penalty-float"),
    pytest.param({"weight_penalty": "L1"}, TypeError, "weight_penalty", id="weight-penalty-string"),
    pytest.param({"bias_penalty": L1}, TypeError, "bias_penalty", id="bias-penalty-class-not-instance"),
    pytest.param({"weight_penalty": np.abs}, TypeError, "weight_penalty", id="weight-penalty-no-gradient"),
]


@pytest.mark.parametrize(("changes", "error", "name"), BAD_NETWORK)
def test_network_rejects(changes, error, name):
    kwargs = {"n_input": 3, "n_hidden": 4, "n_output": 2, "seed": 0, **changes}
    with pytest.raises(error, match=_names(name)):
        Network(**kwargs)


@pytest.mark.parametrize(
    ("lam", "error"),
    [(-0.1, ValueError), (np.nan, ValueError), (np.inf, ValueError), ("0.1", TypeError),
     (None, TypeError), (True, TypeError), ([0.1], TypeError)],
    ids=["negative", "nan", "inf", "string", "none", "bool", "list"],
)
def test_l1_rejects_bad_lam(lam, error):
    with pytest.raises(error, match=_names("lam")):
        L1(lam)


def test_demo_network_rejects_a_negative_lam():
    with pytest.raises(ValueError, match=_names("lam")):
        demo_network(-0.001)


BAD_NETWORK_CALLS = [
    pytest.param(lambda g: g.net.predict(g.x[:, :2]), ValueError, "x", id="predict-columns"),
    pytest.param(lambda g: g.net.predict(g.x[0]), ValueError, "x", id="predict-1-D"),
    pytest.param(lambda g: g.net.predict(_nan_at(g.x, np.nan)), ValueError, "x", id="predict-nan"),
    pytest.param(lambda g: g.net.predict_proba(_nan_at(g.x, np.inf)), ValueError, "x",
                 id="predict-proba-inf"),
    pytest.param(lambda g: g.net.gradient(g.x, g.t[:-1]), ValueError, "t", id="gradient-rows"),
    pytest.param(lambda g: g.net.gradient(g.x, _with(g.t, 0, [0, 0])), ValueError, "t",
                 id="gradient-t-zeros"),
    pytest.param(lambda g: g.net.accuracy(g.x, _with(g.t, 0, [0.5, 0.5])), ValueError, "t",
                 id="accuracy-halves"),
    pytest.param(lambda g: g.net.error(g.x[:, :1], g.t), ValueError, "x", id="error-columns"),
    pytest.param(lambda g: g.net.set_flat(np.zeros(g.net.n_params - 1)), ValueError, "values",
                 id="set-flat-short"),
    pytest.param(lambda g: g.net.set_flat(np.zeros(g.net.n_params + 1)), ValueError, "values",
                 id="set-flat-long"),
    pytest.param(lambda g: g.net.set_flat(np.zeros((1, g.net.n_params))), ValueError, "values",
                 id="set-flat-2-D"),
    pytest.param(lambda g: g.net.set_flat(np.r_[np.nan, np.zeros(g.net.n_params - 1)]), ValueError, "values",
                 id="set-flat-nan"),
    pytest.param(lambda g: g.net.set_params({k: v for k, v in g.net.get_params().items() if k != "o_biases"}),
                 ValueError, "params", id="set-params-missing-key"),
    pytest.param(lambda g: g.net.set_params({**g.net.get_params(), "extra": np.zeros(1)}),
                 ValueError, "params", id="set-params-extra-key"),
    pytest.param(lambda g: g.net.set_params({**g.net.get_params(), "ih_weights": np.zeros((N_HID, N_IN))}),
                 ValueError, "params['ih_weights']", id="set-params-transposed"),
    pytest.param(lambda g: g.net.set_params({**g.net.get_params(), "h_biases": np.zeros(N_HID + 1)}),
                 ValueError, "params['h_biases']", id="set-params-wrong-length"),
    pytest.param(lambda g: g.net.set_params({**g.net.get_params(), "o_biases": np.array([0.0, np.nan])}),
                 ValueError, "params['o_biases']", id="set-params-nan"),
    pytest.param(lambda g: g.net.set_params(list(g.net.get_params().values())), ValueError, "params",
                 id="set-params-not-a-dict"),
]


@pytest.mark.parametrize(("call", "error", "name"), BAD_NETWORK_CALLS)
def test_network_methods_reject(call, error, name):
    g = _good()
    before = g.net.get_flat()
    with pytest.raises(error, match=_names(name)):
        call(g)
    np.testing.assert_array_equal(g.net.get_flat(), before)  # a refused set leaves nothing half-set


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [({"n_items": 0}, ValueError, "n_items"), ({"n_input": 2.0}, TypeError, "n_input"),
     ({"seed": None}, TypeError, "seed"), ({"input_range": 0.0}, ValueError, "input_range"),
     ({"input_range": np.inf}, ValueError, "input_range")],
    ids=["no-items", "float-n-input", "seed-none", "zero-range", "inf-range"],
)
def test_make_inputs_rejects(kwargs, error, name):
    with pytest.raises(error, match=_names(name)):
        make_inputs(**{"n_items": 5, "n_input": 3, "seed": 0, **kwargs})


# --- fit on a list of networks -------------------------------------------------------------


def _replica_args(n_rep: int = 2) -> dict:
    rng = np.random.default_rng(1)
    return {
        "nets": [Network(N_IN, N_HID, N_OUT, seed=i, weight_penalty=L1(0.01)) for i in range(n_rep)],
        "x_train": rng.uniform(-1, 1, size=(n_rep, N_ITEMS, N_IN)),
        "t_train": np.eye(N_OUT)[rng.integers(0, N_OUT, size=(n_rep, N_ITEMS))],
        "epochs": 1,
        "lr": 0.1,
        "seed": list(range(n_rep)),
    }


def _replicas(**changes):
    kwargs = {**_replica_args(), **changes}
    return fit(kwargs.pop("nets"), kwargs.pop("x_train"), kwargs.pop("t_train"), **kwargs)


def _t_stack_with_bad_row() -> np.ndarray:
    t = _replica_args()["t_train"].copy()
    t[1, 3] = [1.0, 1.0]
    return t


BAD_REPLICAS = [
    pytest.param({"nets": []}, ValueError, "net", id="no-nets"),
    pytest.param({"nets": Network(N_IN, N_HID, N_OUT, seed=0)}, ValueError, "x_train",
                 id="one-net-stacked-data"),
    pytest.param({"nets": [Network(N_IN, N_HID, N_OUT, seed=0, weight_penalty=L1(0.01)), "net"]},
                 TypeError, "net[1]", id="nets-1-not-a-network"),
    pytest.param({"nets": [Network(N_IN, N_HID, N_OUT, seed=0, weight_penalty=L1(0.01)),
                           Network(N_IN, N_HID + 1, N_OUT, seed=1, weight_penalty=L1(0.01))]},
                 ValueError, "net[1]", id="nets-different-shape"),
    pytest.param({"nets": [Network(N_IN, N_HID, N_OUT, seed=0, weight_penalty=L1(0.01)),
                           Network(N_IN, N_HID, N_OUT, seed=1, weight_penalty=L1(0.01),
                                   loss="cross_entropy")]},
                 ValueError, "net[1]", id="nets-different-loss"),
    pytest.param({"nets": [Network(N_IN, N_HID, N_OUT, seed=0, weight_penalty=L1(0.01)),
                           Network(N_IN, N_HID, N_OUT, seed=1, weight_penalty=L1(0.02))]},
                 ValueError, "net[1]", id="nets-different-lam"),
    pytest.param({"nets": [Network(N_IN, N_HID, N_OUT, seed=0, weight_penalty=L1(0.01)),
                           Network(N_IN, N_HID, N_OUT, seed=1)]},
                 ValueError, "net[1]", id="nets-penalty-and-none"),
    pytest.param({"nets": [Network(N_IN, N_HID, N_OUT, seed=0, weight_penalty=L1(0.01)),
                           Network(N_IN, N_HID, N_OUT, seed=1, weight_penalty=L1(0.01),
                                   bias_penalty=L1(0.01))]},
                 ValueError, "net[1]", id="nets-different-bias-penalty"),
    pytest.param({"seed": [0]}, ValueError, "seed", id="too-few-seeds"),
    pytest.param({"seed": [0, 1, 2]}, ValueError, "seed", id="too-many-seeds"),
    pytest.param({"seed": 0}, ValueError, "seed", id="seeds-not-a-list"),
    pytest.param({"seed": [0, None]}, TypeError, "seed[1]", id="seed-1-none"),
    pytest.param({"seed": [0, 1.5]}, TypeError, "seed[1]", id="seed-1-float"),
    pytest.param({"x_train": np.zeros((N_ITEMS, N_IN))}, ValueError, "x_train", id="x-not-stacked"),
    pytest.param({"x_train": np.zeros((3, N_ITEMS, N_IN))}, ValueError, "x_train", id="x-wrong-replicas"),
    pytest.param({"x_train": np.zeros((2, N_ITEMS, N_IN + 1))}, ValueError, "x_train[0]", id="x-columns"),
    pytest.param({"t_train": np.zeros((2, N_ITEMS))}, ValueError, "t_train", id="t-not-stacked"),
    pytest.param({"t_train": _t_stack_with_bad_row()}, ValueError, "t_train[1]", id="t-1-not-one-hot"),
    pytest.param({"test_data": (np.zeros((2, 3, N_IN)), np.zeros((2, 3, N_OUT)))}, ValueError, "t_test[0]",
                 id="t-test-not-one-hot"),
    pytest.param({"test_data": (np.zeros((3, N_IN)), np.eye(N_OUT)[[0, 1, 0]])}, ValueError, "x_test",
                 id="x-test-not-stacked"),
    pytest.param({"epochs": 0}, ValueError, "epochs", id="epochs-zero"),
    pytest.param({"lr": -1.0}, ValueError, "lr", id="lr-negative"),
    pytest.param({"batch_size": 0}, ValueError, "batch_size", id="batch-size-zero"),
]


@pytest.mark.parametrize(("changes", "error", "name"), BAD_REPLICAS)
def test_fit_on_a_list_rejects(changes, error, name):
    with pytest.raises(error, match=_names(name)):
        _replicas(**changes)


def test_a_list_with_penalties_that_differ_beyond_six_digits_is_refused():
    nets = [
        Network(N_IN, N_HID, N_OUT, seed=0, weight_penalty=L1(0.1)),
        Network(N_IN, N_HID, N_OUT, seed=1, weight_penalty=L1(0.1000004)),
    ]
    args = _replica_args()
    with pytest.raises(ValueError, match=_names("net[1]")):
        fit(nets, args["x_train"], args["t_train"], epochs=1, lr=0.1, seed=[0, 1])


def test_a_list_with_the_same_network_twice_is_refused():
    with pytest.raises(ValueError, match=_names("net[1]")):
        _replicas(nets=[_replica_args()["nets"][0]] * 2)


def test_complex_inputs_are_refused():
    net = Network(N_IN, N_HID, N_OUT, seed=0)
    with pytest.raises(TypeError, match="^x "):
        net.predict(np.ones((2, N_IN)) * (1 + 1j))
