"""The Network's public API: parameters as one vector or named arrays, predictions."""

import copy
import pickle
import re

import numpy as np
import pytest

from l1reg import L1, L2, Network, fit
from l1reg.core import model
from l1reg.core.network import blocks


def test_sizes_and_shapes(small_net):
    assert small_net.n_params == 3 * 4 + 4 * 3 + 4 + 3
    assert small_net.shapes == {
        "ih_weights": (3, 4),
        "ho_weights": (4, 3),
        "h_biases": (4,),
        "o_biases": (3,),
    }


def test_initial_parameters_are_small_and_seeded():
    net = Network(10, 8, 4, seed=5)
    flat = net.get_flat()
    assert np.abs(flat).max() <= 0.01
    assert np.abs(flat).max() > 0.009  # drawn over the whole [-0.01, 0.01] range
    expected = np.random.default_rng(5).uniform(-0.01, 0.01, net.n_params)
    np.testing.assert_array_equal(flat, expected)
    np.testing.assert_array_equal(Network(10, 8, 4, seed=5).get_flat(), flat)
    assert not np.array_equal(Network(10, 8, 4, seed=6).get_flat(), flat)


def test_seed_may_be_a_generator():
    a = Network(3, 4, 3, seed=np.random.default_rng(9))
    b = Network(3, 4, 3, seed=9)
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())


def test_get_flat_set_flat_round_trip(small_net):
    values = np.random.default_rng(1).normal(size=small_net.n_params)
    small_net.set_flat(values)
    np.testing.assert_array_equal(small_net.get_flat(), values)
    # set_flat takes a copy: changing the caller's array later does not reach the network
    values[0] = 99.0
    assert small_net.get_flat()[0] != 99.0


def test_get_flat_returns_a_copy(small_net):
    flat = small_net.get_flat()
    flat[:] = 0.0
    assert np.any(small_net.get_flat() != 0.0)


def test_get_params_set_params_round_trip(small_net):
    rng = np.random.default_rng(2)
    new = {name: rng.normal(size=shape) for name, shape in small_net.shapes.items()}
    small_net.set_params(new)
    got = small_net.get_params()
    assert set(got) == {"ih_weights", "ho_weights", "h_biases", "o_biases"}
    for name in new:
        np.testing.assert_array_equal(got[name], new[name])
    # and back through the flat vector
    other = Network(3, 4, 3, seed=1)
    other.set_flat(small_net.get_flat())
    for name, arr in other.get_params().items():
        np.testing.assert_array_equal(arr, new[name])


def test_get_params_returns_copies(small_net):
    before = small_net.get_flat()
    params = small_net.get_params()
    params["ih_weights"][...] = 7.0
    np.testing.assert_array_equal(small_net.get_flat(), before)


def test_named_arrays_are_views_of_the_flat_vector(small_net):
    small_net.params["ho_weights"][1, 2] = 42.0
    small_net.params["o_biases"][0] = -5.0
    flat = small_net.get_flat()
    # ho_weights start after the 3x4 ih_weights; row-major (1, 2) of a 4x3 is offset 5.
    assert flat[12 + 5] == 42.0
    # o_biases come after both weight matrices and the 4 hidden biases.
    assert flat[12 + 12 + 4] == -5.0
    for name, view in small_net.params.items():
        assert np.shares_memory(view, small_net.flat), name


def test_layout_is_weights_first(small_net):
    small_net.set_flat(np.arange(small_net.n_params, dtype=float))
    p = small_net.get_params()
    np.testing.assert_array_equal(
        small_net.weights(), np.concatenate([p["ih_weights"].ravel(), p["ho_weights"].ravel()])
    )
    np.testing.assert_array_equal(
        small_net.get_flat(),
        np.concatenate([p["ih_weights"].ravel(), p["ho_weights"].ravel(), p["h_biases"], p["o_biases"]]),
    )
    np.testing.assert_array_equal(p["ih_weights"], np.arange(12.0).reshape(3, 4))


def test_forward_matches_the_formula(small_net, small_data):
    x, _ = small_data
    small_net.set_flat(np.random.default_rng(4).uniform(-1, 1, small_net.n_params))
    p = small_net.get_params()
    h_expected = np.tanh(x @ p["ih_weights"] + p["h_biases"])
    z = h_expected @ p["ho_weights"] + p["o_biases"]
    o_expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    h, o = small_net.forward(x)
    np.testing.assert_allclose(h, h_expected, rtol=1e-14)
    np.testing.assert_allclose(o, o_expected, rtol=1e-14)


def test_predict_proba_rows_sum_to_one(small_net, small_data):
    x, _ = small_data
    small_net.set_flat(np.random.default_rng(4).uniform(-3, 3, small_net.n_params))
    o = small_net.predict_proba(x)
    assert o.shape == (5, 3)
    assert np.all(o > 0)
    np.testing.assert_allclose(o.sum(axis=1), 1.0, rtol=1e-14)


def test_predict_returns_the_argmax_as_ints(small_net, small_data):
    x, _ = small_data
    small_net.set_flat(np.random.default_rng(4).uniform(-3, 3, small_net.n_params))
    classes = small_net.predict(x)
    assert classes.shape == (5,)
    assert np.issubdtype(classes.dtype, np.integer)
    np.testing.assert_array_equal(classes, np.argmax(small_net.predict_proba(x), axis=1))
    assert len(set(classes.tolist())) > 1  # the test data are not all one class


def test_predict_accepts_lists():
    net = Network(2, 2, 2, seed=0)
    assert net.predict([[0.5, -0.5]]).shape == (1,)


def test_accuracy_counts_matching_classes():
    net = Network(2, 3, 2, seed=0)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])
    predicted = net.predict(x)
    t = np.eye(2)[predicted]
    t[0] = t[0][::-1]  # one of four wrong
    assert net.accuracy(x, t) == 0.75
    assert net.accuracy(x, np.eye(2)[predicted]) == 1.0


def test_error_is_the_loss_of_the_outputs(small_net, small_data):
    x, t = small_data
    o = small_net.predict_proba(x)
    assert small_net.error(x, t) == pytest.approx(0.5 * np.sum((t - o) ** 2) / len(x), rel=1e-14)


def test_penalty_is_zero_without_penalties(small_net):
    assert small_net.penalty() == 0.0


def test_repr_names_sizes_loss_and_penalties():
    net = Network(10, 8, 4, seed=0, weight_penalty=L1(0.001))
    assert repr(net) == (
        "Network(10-8-4, loss='squared', weight_penalty=L1(lam=0.001), bias_penalty=None)"
    )


# --- the layers, the flat vector, the weights in words -----------------------------------------


def test_forward_and_backward_are_the_two_layers_composed(small_net, small_data):
    """The network's passes are core.model's layers, forward beside backward, composed."""
    x, t = small_data
    small_net.set_flat(np.random.default_rng(4).uniform(-1, 1, small_net.n_params))
    p = blocks(small_net.params)  # the biases as rows (1 x units)
    h = model.hidden_forward(np, p, x)
    o = model.output_forward(np, p, h)
    h_net, o_net = small_net.forward(x)
    np.testing.assert_array_equal(h, h_net)
    np.testing.assert_array_equal(o, o_net)
    z_signal = small_net.loss.signal(o, t)
    grads, h_grad = model.output_backward(np, p, h, z_signal)
    grads |= model.hidden_backward(np, p, x, h, h_grad)
    assert {name: g.shape for name, g in grads.items()} == {name: a.shape for name, a in p.items()}
    composed = model.backward(np, p, x, h, z_signal)
    for name in p:
        np.testing.assert_array_equal(grads[name], composed[name])
    # the network's backward (no penalty here) writes that data gradient into net.grads
    flat = small_net.backward(x, h, o, t)
    np.testing.assert_array_equal(flat, model.to_flat(np, grads))
    for name, g in small_net.grads.items():
        np.testing.assert_array_equal(g, grads[name].reshape(g.shape))


def test_the_layers_by_hand(small_net, small_data):
    """Each layer's backward pass against the chain rule written out for the tanh and linear layers."""
    x, t = small_data
    small_net.set_flat(np.random.default_rng(5).uniform(-1, 1, small_net.n_params))
    p = blocks(small_net.params)
    h = np.tanh(x @ p["ih_weights"] + p["h_biases"])
    z_signal = np.random.default_rng(6).normal(size=(len(x), 3))  # any dE/dz
    grads, h_grad = model.output_backward(np, p, h, z_signal)
    np.testing.assert_allclose(grads["ho_weights"], h.T @ z_signal, rtol=1e-14)
    np.testing.assert_allclose(grads["o_biases"], z_signal.sum(axis=0, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(h_grad, z_signal @ p["ho_weights"].T, rtol=1e-14)
    hidden = model.hidden_backward(np, p, x, h, h_grad)
    np.testing.assert_allclose(hidden["ih_weights"], x.T @ (h_grad * (1 - h**2)), rtol=1e-14)
    np.testing.assert_allclose(hidden["h_biases"], (h_grad * (1 - h**2)).sum(axis=0, keepdims=True),
                               rtol=1e-14)


def test_the_model_blocks_and_the_flat_vector_round_trip(small_net):
    """from_flat gives views with the biases as rows; to_flat puts them back in the same layout."""
    small_net.set_flat(np.arange(small_net.n_params, dtype=float))
    p = model.from_flat(small_net.flat, small_net.shapes)
    assert p["h_biases"].shape == (1, 4) and p["o_biases"].shape == (1, 3)
    for name, view in small_net.params.items():
        np.testing.assert_array_equal(p[name].reshape(view.shape), view)
        assert np.shares_memory(p[name], small_net.flat), name
    np.testing.assert_array_equal(model.to_flat(np, p), small_net.flat)
    stack = np.stack([small_net.flat, -small_net.flat])  # a leading replica axis
    stacked = model.from_flat(stack, small_net.shapes)
    assert stacked["ih_weights"].shape == (2, 3, 4) and stacked["o_biases"].shape == (2, 1, 3)
    np.testing.assert_array_equal(model.to_flat(np, stacked), stack)


def test_the_weights_come_first_in_the_flat_vector(small_net):
    assert small_net.n_weights == 3 * 4 + 4 * 3
    np.testing.assert_array_equal(small_net.flat[: small_net.n_weights], small_net.weights())
    small_net.flat[0] = 0.5  # flat is live: params are views into it
    assert small_net.params["ih_weights"][0, 0] == 0.5


def test_describe_weight_names_every_connection_in_the_order_of_weights():
    net = Network(10, 8, 4, seed=0)
    assert net.describe_weight(0) == "input 0 -> hidden unit 0"
    assert net.describe_weight(9) == "input 1 -> hidden unit 1"
    assert net.describe_weight(79) == "input 9 -> hidden unit 7"
    assert net.describe_weight(80) == "hidden unit 0 -> output 0"
    assert net.describe_weight(111) == "hidden unit 7 -> output 3"
    # the same numbering as weights(): W_ih row by row, then W_ho
    net.set_flat(np.arange(net.n_params, dtype=float))
    w_ih, w_ho = net.params["ih_weights"], net.params["ho_weights"]
    assert w_ih[1, 1] == net.weights()[9] and w_ho[7, 3] == net.weights()[111]


@pytest.mark.parametrize(("j", "error", "message"), [
    (-1, ValueError, r"j must be an int >= 0, got -1"), (112, ValueError, r"j must be an int in \[0, 112\)"),
    (1.0, TypeError, "j must be an int, got float"), (True, TypeError, "j must be an int, got bool"),
    ("3", TypeError, "j must be an int, got str")])
def test_describe_weight_refuses_what_is_not_a_weight_number(j, error, message):
    with pytest.raises(error, match="^" + message):
        Network(10, 8, 4, seed=0).describe_weight(j)




def test_locate_maps_every_flat_index_to_its_block_and_entry():
    net = Network(10, 8, 4, seed=0)
    net.set_flat(np.arange(net.n_params, dtype=float))  # each entry holds its own index
    seen = set()
    for k in range(net.n_params):
        block, index = net.locate(k)
        assert net.params[block][index] == k
        seen.add(block)
    assert seen == {"ih_weights", "ho_weights", "h_biases", "o_biases"}


@pytest.mark.parametrize(("k", "block", "index", "text"), [
    (0, "ih_weights", (0, 0), "ih_weights[0, 0]"),
    (79, "ih_weights", (9, 7), "ih_weights[9, 7]"),
    (80, "ho_weights", (0, 0), "ho_weights[0, 0]"),
    # the second block's first row: k - 80 = 3, not k % 80 read with the first block's shape
    (83, "ho_weights", (0, 3), "ho_weights[0, 3]"),
    (84, "ho_weights", (1, 0), "ho_weights[1, 0]"),
    (111, "ho_weights", (7, 3), "ho_weights[7, 3]"),
    (112, "h_biases", (0,), "h_biases[0]"),
    (119, "h_biases", (7,), "h_biases[7]"),
    (120, "o_biases", (0,), "o_biases[0]"),
    (123, "o_biases", (3,), "o_biases[3]"),
])
def test_locate_worked_examples_in_every_block(k, block, index, text):
    where = Network(10, 8, 4, seed=0).locate(k)
    assert (where.block, where.index) == (block, index)
    assert str(where) == text
    assert all(type(i) is int for i in where.index)


@pytest.mark.parametrize(("k", "error", "message"), [
    (-1, ValueError, r"k must be an int >= 0, got -1"), (124, ValueError, r"k must be an int in \[0, 124\)"),
    (1.0, TypeError, "k must be an int, got float"), (True, TypeError, "k must be an int, got bool"),
    ("3", TypeError, "k must be an int, got str"), (None, TypeError, "k must be an int, got NoneType")])
def test_locate_refuses_what_is_not_a_parameter_number(k, error, message):
    with pytest.raises(error, match="^" + message):
        Network(10, 8, 4, seed=0).locate(k)


def test_describe_weight_agrees_with_locate():
    net = Network(3, 4, 2, seed=0)
    for j in range(net.n_weights):
        block, (row, col) = net.locate(j)
        words = ("input {} -> hidden unit {}" if block == "ih_weights" else "hidden unit {} -> output {}")
        assert net.describe_weight(j) == words.format(row, col)


def test_without_penalties_gives_the_data_gradient_at_the_same_parameters(random_problem):
    net = Network(3, 4, 3, seed=1, init_range=0.5, weight_penalty=L1(0.01), bias_penalty=L2(0.1))
    x, t = random_problem(5, 3, 3, seed=2)
    plain = net.without_penalties()
    assert plain.weight_penalty is None and plain.bias_penalty is None
    assert net.weight_penalty == L1(0.01) and net.bias_penalty == L2(0.1)  # self unchanged
    np.testing.assert_array_equal(plain.get_flat(), net.get_flat())
    assert plain.objective(x, t) == plain.error(x, t) == net.error(x, t)
    w, flat = net.n_weights, net.get_flat()
    expected = net.gradient(x, t)
    expected[:w] -= 0.01 * np.sign(flat[:w])
    expected[w:] -= 2 * 0.1 * flat[w:]
    np.testing.assert_allclose(plain.gradient(x, t), expected, rtol=0, atol=1e-15)


def test_replace_copies_the_parameters_and_changes_only_the_settings_named():
    net = Network(3, 4, 3, seed=1, weight_penalty=L1(0.01))
    copy = net.replace(loss="cross_entropy")
    assert copy.loss.name == "cross_entropy" and net.loss.name == "squared"
    assert copy.weight_penalty == L1(0.01) and copy.dtype == net.dtype
    np.testing.assert_array_equal(copy.get_flat(), net.get_flat())
    copy.flat[0] += 1.0  # the copy owns its parameters
    assert copy.flat[0] != net.flat[0]
    single = net.replace(dtype=np.float32)
    assert single.dtype == np.float32
    np.testing.assert_array_equal(single.get_flat(), net.get_flat().astype(np.float32))


def test_replace_refuses_unknown_settings_and_validates_the_known_ones():
    net = Network(3, 4, 3, seed=1)
    with pytest.raises(TypeError, match=r"^replace\(\) accepts only the settings .*got \['n_hidden'\]"):
        net.replace(n_hidden=5)
    with pytest.raises(ValueError, match="^loss must be"):
        net.replace(loss="mse")
    with pytest.raises(TypeError, match="^weight_penalty must be"):
        net.replace(weight_penalty=0.01)


# --- the settings that define a network are read-only; its penalties are checked when set ----


@pytest.mark.parametrize(("name", "value", "how"), [
    ("n_input", 7, "Network(n_input, n_hidden, n_output, seed=...)"),
    ("n_hidden", 5, "Network(n_input, n_hidden, n_output, seed=...)"),
    ("n_output", 3, "Network(n_input, n_hidden, n_output, seed=...)"),
    ("shapes", {}, "Network(n_input, n_hidden, n_output, seed=...)"),
    ("n_params", 3, "Network(n_input, n_hidden, n_output, seed=...)"),
    ("n_weights", 3, "Network(n_input, n_hidden, n_output, seed=...)"),
    ("loss", "mse", "net.replace(loss=...)"),
    ("loss", "cross_entropy", "net.replace(loss=...)"),
    ("dtype", np.int32, "net.replace(dtype=...)"),
    ("dtype", np.float32, "net.replace(dtype=...)"),
])
def test_the_settings_that_define_a_network_are_read_only(name, value, how, random_problem):
    x, t = random_problem(6, 3, 2, seed=0)
    net, twin = Network(3, 4, 2, seed=0), Network(3, 4, 2, seed=0)
    before = getattr(net, name)
    message = f"{name} is read-only: it defines the network; build a new network instead, e.g. with {how}"
    with pytest.raises(AttributeError, match="^" + re.escape(message) + "$"):
        setattr(net, name, value)
    assert getattr(net, name) == before
    fit(net, x, t, epochs=2, lr=0.5, seed=1)  # and it trains as if nothing had been tried
    fit(twin, x, t, epochs=2, lr=0.5, seed=1)
    np.testing.assert_array_equal(net.flat, twin.flat)


@pytest.mark.parametrize(("name", "message"), [
    ("params", "net.params cannot be rebound (its arrays are views into net.flat"),
    ("grads", "net.grads cannot be rebound (its arrays are views into the gradient"),
])
def test_params_and_grads_cannot_be_rebound(name, message, random_problem):
    """A rebound ``params`` would no longer view ``flat``: training would leave it behind."""
    x, t = random_problem(6, 3, 2, seed=0)
    net, twin = Network(3, 4, 2, seed=0), Network(3, 4, 2, seed=0)
    with pytest.raises(AttributeError, match="^" + re.escape(message)):
        setattr(net, name, net.get_params())
    with pytest.raises(AttributeError, match="^" + re.escape(message)):
        setattr(net, name, {})
    fit(net, x, t, epochs=2, lr=0.5, seed=1)
    fit(twin, x, t, epochs=2, lr=0.5, seed=1)
    for block, view in net.params.items():
        assert np.shares_memory(view, net.flat)
        np.testing.assert_array_equal(view, twin.params[block])
    net.gradient(x, t)
    assert all(np.shares_memory(view, net.backward(x, *net.forward(x), t)) for view in net.grads.values())


def test_the_shapes_cannot_be_changed_in_place_either():
    net = Network(3, 4, 2, seed=0)
    with pytest.raises(TypeError):
        net.shapes["ih_weights"] = (7, 4)
    assert net.shapes == {"ih_weights": (3, 4), "ho_weights": (4, 2), "h_biases": (4,), "o_biases": (2,)}


def test_a_replaced_network_owns_the_penalties_it_keeps():
    """A schedule changing the copy's strength must leave the original's alone."""
    net = Network(3, 4, 2, seed=0, weight_penalty=L1(0.01), bias_penalty=L2(0.1))
    copy_ = net.replace(loss="cross_entropy")
    assert copy_.weight_penalty == net.weight_penalty and copy_.weight_penalty is not net.weight_penalty
    copy_.weight_penalty.lam, copy_.bias_penalty.lam = 0.5, 0.5
    assert net.weight_penalty == L1(0.01) and net.bias_penalty == L2(0.1)
    given = L1(0.2)
    assert net.replace(weight_penalty=given).weight_penalty is given  # a penalty given is used as it is


def test_replace_is_the_way_to_another_loss_or_dtype():
    net = Network(3, 4, 2, seed=0)
    other = net.replace(loss="cross_entropy", dtype=np.float32)
    assert other.loss.name == "cross_entropy" and other.dtype == np.float32
    assert net.loss.name == "squared" and net.dtype == np.float64


@pytest.mark.parametrize("name", ["weight_penalty", "bias_penalty"])
@pytest.mark.parametrize("bad", [0.01, "L1", L1, np.abs, object()], ids=["number", "string", "class",
                                                                         "no-gradient", "object"])
def test_a_penalty_set_later_is_checked_as_the_constructor_checks_it(name, bad):
    net = Network(3, 4, 2, seed=0, **{name: L1(0.01)})
    with pytest.raises(TypeError) as refused_by_the_constructor:
        Network(3, 4, 2, seed=0, **{name: bad})
    with pytest.raises(TypeError, match=f"^{name} must be a penalty such as l1reg.L1") as refused:
        setattr(net, name, bad)
    assert str(refused.value) == str(refused_by_the_constructor.value)
    assert getattr(net, name) == L1(0.01)  # the refused value was not kept


def test_a_penalty_set_later_trains_as_one_given_to_the_constructor(random_problem):
    x, t = random_problem(6, 3, 2, seed=0)
    later = Network(3, 4, 2, seed=0, init_range=0.5)
    later.weight_penalty, later.bias_penalty = L1(0.05), L2(0.1)
    given = Network(3, 4, 2, seed=0, init_range=0.5, weight_penalty=L1(0.05), bias_penalty=L2(0.1))
    assert repr(later) == repr(given)
    fit(later, x, t, epochs=3, lr=0.5, seed=1)
    fit(given, x, t, epochs=3, lr=0.5, seed=1)
    np.testing.assert_array_equal(later.flat, given.flat)
    later.weight_penalty = None  # None switches it off again
    assert later.weight_penalty is None
    assert later.penalty() == given.bias_penalty(later.flat[later.n_weights:])


@pytest.mark.parametrize("how", [lambda net: pickle.loads(pickle.dumps(net)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_a_copy_keeps_its_settings_read_only_and_its_penalties_checked(how):
    twin = how(Network(3, 4, 2, seed=0, weight_penalty=L1(0.01)))
    with pytest.raises(AttributeError, match="^n_input is read-only"):
        twin.n_input = 7
    with pytest.raises(TypeError, match="^weight_penalty must be a penalty"):
        twin.weight_penalty = 0.01
    assert twin.n_input == 3 and twin.weight_penalty == L1(0.01)
