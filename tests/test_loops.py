"""The article-style loop step computes the vectorized step's update, number by number."""

import re

import numpy as np
import pytest

from l1reg import L1, L2, Network, fit, sgd_step
from l1reg.reference import loops
from l1reg.reference.gradcheck import with_shortcut
from l1reg.studies.demo import demo_data


def _pair(loss, lam_w, lam_b=None, seed=3):
    """Two identical networks (same start) for the two versions to train."""
    def make():
        return Network(
            10, 8, 4, seed=seed, init_range=0.3, loss=loss,
            weight_penalty=None if lam_w is None else L1(lam_w),
            bias_penalty=None if lam_b is None else L1(lam_b),
        )
    return make(), make()


@pytest.mark.parametrize(
    ("lam_w", "lam_b"), [(None, None), (0.001, None), (0.01, 0.005)], ids=["no-L1", "L1", "L1-biases-too"]
)
@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
def test_loops_and_vectorized_agree_after_400_steps(loss, lam_w, lam_b):
    data = demo_data()
    by_loops, vectorized = _pair(loss, lam_w, lam_b)
    start = by_loops.get_flat()
    loops.train(by_loops, data.x_train, data.t_train, epochs=2, lr=0.01, seed=4)  # 2 x 200 items
    fit(vectorized, data.x_train, data.t_train, epochs=2, lr=0.01, seed=4)
    np.testing.assert_allclose(by_loops.get_flat(), vectorized.get_flat(), rtol=0, atol=1e-12)
    assert np.abs(vectorized.get_flat() - start).max() > 0.1  # the parameters really moved


def test_one_loop_step_equals_one_vectorized_step():
    data = demo_data()
    by_loops, vectorized = _pair("squared", 0.001)
    loops.sgd_step(by_loops, data.x_train[0], data.t_train[0], lr=0.5)  # a 1-D item
    sgd_step(vectorized, data.x_train[:1], data.t_train[:1], 0.5)
    np.testing.assert_allclose(by_loops.get_flat(), vectorized.get_flat(), rtol=0, atol=1e-15)


def test_a_one_row_item_is_the_same_as_a_vector():
    data = demo_data()
    a, b = _pair("squared", 0.001)
    loops.sgd_step(a, data.x_train[0], data.t_train[0], lr=0.1)
    loops.sgd_step(b, data.x_train[:1], data.t_train[:1], lr=0.1)
    np.testing.assert_array_equal(a.get_flat(), b.get_flat())


def test_the_loop_l1_term_leaves_an_exactly_zero_weight_to_its_data_gradient():
    x, t = np.array([1.0, -2.0]), np.array([0.0, 1.0])
    net = Network(2, 2, 2, seed=0, weight_penalty=L1(0.1))
    plain = Network(2, 2, 2, seed=0)
    flat = net.get_flat()
    flat[3] = 0.0
    net.set_flat(flat)
    plain.set_flat(flat)
    data_gradient = plain.gradient(x[None], t[None])[3]
    loops.sgd_step(net, x, t, lr=0.5)
    assert net.get_flat()[3] == pytest.approx(-0.5 * data_gradient, abs=1e-15)
    assert data_gradient != 0.0




def _names(name):
    return "^" + re.escape(name) + " "


@pytest.mark.parametrize(
    ("make_net", "error", "name"),
    [
        (lambda: Network(3, 2, 2, seed=0, weight_penalty=L2(0.1)), ValueError, "net.weight_penalty"),
        (lambda: Network(3, 2, 2, seed=0, bias_penalty=L2(0.1)), ValueError, "net.bias_penalty"),
        (lambda: Network(3, 2, 2, seed=0, dtype=np.float32), ValueError, "net.dtype"),
        (lambda: "net", TypeError, "net"),
        (lambda: with_shortcut(Network(3, 2, 2, seed=0)), ValueError, "net.loss"),
    ],
    ids=["l2-weights", "l2-biases", "float32", "not-a-network", "shortcut-signal"],
)
def test_loop_version_refuses_what_it_does_not_implement(make_net, error, name):
    with pytest.raises(error, match=_names(name)):
        loops.sgd_step(make_net(), np.zeros(3), np.array([1.0, 0.0]), lr=0.1)


@pytest.mark.parametrize(
    ("x", "t", "lr", "error", "name"),
    [
        (np.zeros((2, 3)), np.eye(2), 0.1, ValueError, "x"),
        (np.zeros(4), np.array([1.0, 0.0]), 0.1, ValueError, "x"),
        (np.zeros(3), np.array([0.5, 0.5]), 0.1, ValueError, "t"),
        (np.zeros(3), np.array([1.0, 0.0]), 0.0, ValueError, "lr"),
    ],
    ids=["two-items", "wrong-width", "t-not-one-hot", "lr-zero"],
)
def test_loop_step_refuses_bad_items(x, t, lr, error, name):
    net = Network(3, 2, 2, seed=0)
    before = net.get_flat()
    with pytest.raises(error, match=_names(name)):
        loops.sgd_step(net, x, t, lr=lr)
    np.testing.assert_array_equal(net.get_flat(), before)


def test_loop_train_refuses_bad_arguments():
    net = Network(3, 2, 2, seed=0)
    x, t = np.zeros((4, 3)), np.eye(2)[[0, 1, 0, 1]]
    with pytest.raises(ValueError, match=_names("epochs")):
        loops.train(net, x, t, epochs=0, lr=0.1, seed=0)
    with pytest.raises(ValueError, match=_names("t_train")):
        loops.train(net, x, t[:3], epochs=1, lr=0.1, seed=0)
    with pytest.raises(TypeError, match=_names("seed")):
        loops.train(net, x, t, epochs=1, lr=0.1, seed=None)


def test_plot_step_times_draws_both_versions_on_log_axes():
    import matplotlib.pyplot as plt

    from l1reg.book import plots

    fig, ax = plt.subplots()
    try:
        plots.plot_step_times(ax, [8, 124], [14.0, 150.0], [15.0, 16.0])
        assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
        loops_line, arrays_line = ax.lines
        np.testing.assert_array_equal(loops_line.get_ydata(), [14.0, 150.0])
        np.testing.assert_array_equal(arrays_line.get_xdata(), [8, 124])
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["loops (l1reg.reference.loops)", "arrays (l1reg.fit)"]
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("n_params", "loop_us", "array_us", "message"),
    [
        ([8, 124], [14.0], [15.0, 16.0], "n_params, loop_us and array_us must have the same length"),
        ([], [], [], "n_params must hold at least one item"),
        ([[8, 124]], [[1.0, 2.0]], [[1.0, 2.0]], "n_params[0] must be a real number"),
        ([8, 124], [0.0, 150.0], [15.0, 16.0], "loop_us[0] must be a finite number > 0"),
        ([8, 124], [14.0, 150.0], [15.0, np.nan], "array_us[1] must be finite"),
    ],
)
def test_plot_step_times_refuses_what_it_cannot_draw(n_params, loop_us, array_us, message):
    import matplotlib.pyplot as plt

    from l1reg.book import plots

    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match=re.escape(message)):
            plots.plot_step_times(ax, n_params, loop_us, array_us)
    finally:
        plt.close(fig)
