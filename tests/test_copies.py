"""Objects survive pickle and copy.deepcopy and behave exactly like the original."""

import copy
import pickle

import numpy as np
import pytest

import l1reg
from l1reg.studies.data import make_demo_data

COPIES = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "deepcopy": copy.deepcopy,
}


@pytest.fixture(scope="module")
def data():
    return make_demo_data()


@pytest.mark.parametrize("how", COPIES)
def test_a_copied_network_trains_and_predicts_exactly_like_the_original(how, data):
    x, t = data.x_train[:60], data.t_train[:60]
    net = l1reg.Network(10, 8, 4, seed=1, weight_penalty=l1reg.L1(0.001))
    twin = COPIES[how](net)
    for name, view in twin.params.items():
        assert np.shares_memory(view, twin.flat), f"{name} no longer views flat"
        assert not np.shares_memory(view, net.flat)
    l1reg.fit(net, x, t, epochs=3, lr=0.01, seed=7)
    l1reg.fit(twin, x, t, epochs=3, lr=0.01, seed=7)
    assert not np.array_equal(net.flat, COPIES[how](l1reg.Network(10, 8, 4, seed=1)).flat)  # it learned
    np.testing.assert_array_equal(twin.flat, net.flat)
    np.testing.assert_array_equal(twin.predict_proba(data.x_test), net.predict_proba(data.x_test))


@pytest.mark.parametrize("how", COPIES)
def test_a_copy_is_independent_of_the_original(how):
    net = l1reg.Network(3, 2, 2, seed=0)
    twin = COPIES[how](net)
    twin.params["ih_weights"][0, 0] = 5.0
    assert twin.flat[0] == 5.0
    assert net.flat[0] != 5.0
    np.testing.assert_array_equal(twin.gradient(np.ones((1, 3)), np.array([[1.0, 0.0]])),
                                  twin.gradient(np.ones((1, 3)), np.array([[1.0, 0.0]])))


@pytest.mark.parametrize("how", COPIES)
def test_a_networks_shapes_copy_and_stay_read_only(how):
    net = l1reg.Network(3, 4, 2, seed=0)
    shapes = COPIES[how](net.shapes)
    assert shapes == net.shapes
    assert shapes == {"ih_weights": (3, 4), "ho_weights": (4, 2), "h_biases": (4,), "o_biases": (2,)}
    with pytest.raises(TypeError):
        shapes["ih_weights"] = (7, 4)
