"""The demo's lam path (l1reg.studies.path) and the chapter 02 plots drawn from it (l1reg.book.plots)."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from l1reg.book import plots
from l1reg.core.update_rules import Plain, Proximal
from l1reg.studies.comparison import sweep
from l1reg.studies.demo import run_demo
from l1reg.studies.path import LamPath, demo_lam_path


def _names(name):
    return "^" + re.escape(name) + " "


@pytest.fixture(scope="module")
def short_path():
    return demo_lam_path([0.0, 0.001, 0.05], epochs=3, engine="numpy")


def test_path_of_the_subgradient_rule_is_the_demo_bit_for_bit():
    path = demo_lam_path([0.0, 0.001], rule="subgradient", epochs=2, engine="numpy")
    for i, lam in enumerate((0.0, 0.001)):
        net = run_demo(lam, epochs=2).net
        np.testing.assert_array_equal(path.ih_weights[i], net.params["ih_weights"])
        np.testing.assert_array_equal(path.ho_weights[i], net.params["ho_weights"])
        np.testing.assert_array_equal(path.weights[i], net.weights())


def test_proximal_path_equals_the_proximal_sweep(short_path):
    # the same training as comparison.sweep, which records every epoch
    swept = sweep([Plain(), Proximal(0.001), Proximal(0.05)], epochs=3)
    np.testing.assert_allclose(short_path.weights, swept.weights, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(short_path.zeros, swept.zeros)
    np.testing.assert_array_equal(short_path.train_accuracy, swept.train_accuracy)
    np.testing.assert_array_equal(short_path.test_accuracy, swept.test_accuracy)


def test_compiled_engine_gives_the_numpy_path(short_path):
    compiled = demo_lam_path([0.0, 0.001, 0.05], epochs=3, engine="compiled")
    np.testing.assert_allclose(compiled.weights, short_path.weights, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(compiled.zeros, short_path.zeros)


def test_a_strong_proximal_penalty_zeroes_every_weight_exactly(short_path):
    assert short_path.zeros.tolist()[0] == 0
    assert short_path.zeros[-1] == 112
    assert short_path.dead_hidden[-1] == 8 and short_path.dead_inputs[-1] == 10
    assert short_path.sum_abs_w[-1] == 0.0
    assert np.all(np.diff(short_path.sum_abs_w) < 0)


def test_the_l2_path_shrinks_without_zeros():
    path = demo_lam_path([0.0, 0.05], rule="l2", epochs=3, engine="numpy")
    assert path.zeros.tolist() == [0, 0]
    assert path.sum_abs_w[1] < path.sum_abs_w[0]


def test_dead_units_and_inputs_by_hand():
    ih = np.ones((1, 3, 2))
    ho = np.ones((1, 2, 2))
    ih[0, :, 0] = 0.0  # hidden unit 0: no input left
    ho[0, 1, :] = 0.0  # hidden unit 1: nothing reads it
    ih[0, 2, :] = 0.0  # input 2: no weight left
    path = LamPath(np.array([0.1]), "proximal", ih, ho, np.array([1.0]), np.array([1.0]))
    assert path.dead_hidden.tolist() == [2]
    assert path.dead_inputs.tolist() == [1]
    assert path.zeros.tolist() == [3 + 1 + 2]  # ih: column 0, and row 2's other weight; ho: row 1
    assert path.weights.shape == (1, 10)


@pytest.mark.parametrize("call, error, name", [
    pytest.param(lambda: demo_lam_path([], epochs=1), ValueError, "lams", id="no-lams"),
    pytest.param(lambda: demo_lam_path(0.1, epochs=1), TypeError, "lams", id="a-number"),
    pytest.param(lambda: demo_lam_path([0.0, -0.1], epochs=1), ValueError, "lams[1]", id="negative"),
    pytest.param(lambda: demo_lam_path([0.1], rule="lasso", epochs=1), ValueError, "rule", id="rule"),
    pytest.param(lambda: demo_lam_path([0.1], epochs=0), ValueError, "epochs", id="epochs"),
])
def test_bad_arguments_are_refused(call, error, name):
    with pytest.raises(error, match=_names(name)):
        call()


# --- the plots ------------------------------------------------------------------------------


def test_animation_draws_the_path_and_its_html_is_offline(short_path):
    fig, anim, drawn = plots.animate_lam_path(short_path, dpi=30)
    html = plots.animation_html(anim, "testanim1")
    plt.close(fig)
    assert sorted(drawn) == [0, 1, 2]
    for i, (ih, ho) in drawn.items():
        np.testing.assert_array_equal(ih, short_path.ih_weights[i])
        np.testing.assert_array_equal(ho, short_path.ho_weights[i])
    assert "http://" not in html and "https://" not in html
    assert 'id="_anim_slidertestanim1"' in html and "animtestanim1 = new Animation" in html
    assert html.count("data:image/png;base64,") == 3
    assert re.search(r"[0-9a-f]{32}", html.split("frames[0]")[0]) is None  # no random id left


def test_animation_html_is_the_same_twice(short_path):
    pages = []
    for _ in range(2):
        fig, anim, _ = plots.animate_lam_path(short_path, dpi=30)
        pages.append(plots.animation_html(anim, "same"))
        plt.close(fig)
    assert pages[0] == pages[1]


@pytest.mark.parametrize("bad", ["", "has space", "a-b", 3])
def test_animation_html_refuses_a_bad_id(short_path, bad):
    fig, anim, _ = plots.animate_lam_path(short_path, dpi=30)
    with pytest.raises(ValueError, match=_names("anim_id")):
        plots.animation_html(anim, bad)
    anim.to_jshtml()  # rendered, so matplotlib does not warn that it never was
    plt.close(fig)


def test_animation_html_names_its_slider_and_image(short_path):
    fig, anim, _ = plots.animate_lam_path(short_path, dpi=30)
    html = plots.animation_html(anim, "named")
    plt.close(fig)
    slider = re.search(r'<input id="_anim_slidernamed" type="range"[^>]*>', html).group(0)
    assert 'aria-label="Frame of the animation"' in slider
    assert re.search(r'<img id="_anim_imgnamed" alt="One frame of the animation[^"]+">', html)
    assert "data-key-frame" not in html
    fig, anim, _ = plots.animate_lam_path(short_path, dpi=30)
    html = plots.animation_html(anim, "own", label='lam <"path">', alt="The weights & zeros", key_frame=2)
    plt.close(fig)
    assert 'aria-label="lam &lt;&quot;path&quot;&gt;"' in html  # escaped for an attribute
    assert 'alt="The weights &amp; zeros"' in html
    assert '<div class="animation" data-key-frame="2">' in html


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"label": " "}, ValueError, "label"),
    ({"alt": ""}, ValueError, "alt"),
    ({"alt": None}, ValueError, "alt"),
    ({"key_frame": 3}, ValueError, "key_frame"),  # short_path has 3 frames: 0, 1, 2
    ({"key_frame": -1}, ValueError, "key_frame"),
    ({"key_frame": 1.0}, TypeError, "key_frame"),
    ({"key_frame": True}, TypeError, "key_frame"),
])
def test_animation_html_refuses_bad_accessibility_arguments(short_path, kwargs, error, name):
    fig, anim, _ = plots.animate_lam_path(short_path, dpi=30)
    with pytest.raises(error, match=_names(name)):
        plots.animation_html(anim, "bad", **kwargs)
    anim.to_jshtml()  # rendered, so matplotlib does not warn that it never was
    plt.close(fig)


def test_lam_path_plot_leaves_out_lam_zero(short_path):
    fig, (ax_w, ax_zeros) = plt.subplots(2, 1)
    plots.plot_lam_path(ax_w, ax_zeros, short_path)
    assert ax_w.get_xscale() == "log"
    xs = ax_zeros.get_lines()[0].get_xdata()
    assert xs.tolist() == [0.001, 0.05]
    assert ax_zeros.get_lines()[0].get_ydata().tolist() == short_path.zeros[1:].tolist()
    assert len(ax_w.get_lines()) == 112 + 1  # every weight, and the zero line
    plt.close(fig)


def test_penalty_sweeps_plot_refuses_lam_zero_and_needs_three_axes():
    good = {"lam": np.array([0.1, 1.0]), "train": np.ones(2), "test": np.ones(2),
            "sum_abs_w": np.ones(2), "n_small": np.zeros(2)}
    fig, axes = plt.subplots(3, 1)
    plots.plot_penalty_sweeps(axes, {"L1": good}, tol=1e-3, n_weights=112,
                              plain={"train": 1.0, "sum_abs_w": 2.0}, baseline=0.3)
    assert [ax.get_xscale() for ax in axes] == ["log"] * 3
    assert axes[2].get_xlabel() == r"penalty strength $\lambda$ (log scale)"
    with pytest.raises(ValueError, match=re.escape("sweeps['L1']['lam'] must be > 0")):
        plots.plot_penalty_sweeps(axes, {"L1": {**good, "lam": np.array([0.0, 1.0])}}, tol=1e-3,
                                  n_weights=112)
    with pytest.raises(ValueError, match=_names("axes")):
        plots.plot_penalty_sweeps(axes[:2], {"L1": good}, tol=1e-3, n_weights=112)
    plt.close(fig)


def test_one_weight_objectives_mark_the_minima():
    fig, ax = plt.subplots()
    plots.plot_one_weight_objectives(ax, np.linspace(-1, 3, 41), 2.0, 1.0, [0.25, 2.0], [0.0, 1.5])
    markers = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [float(m.get_xdata()[0]) for m in markers] == [0.0, 1.5]
    assert [float(m.get_ydata()[0]) for m in markers] == [0.0, 0.0]
    plt.close(fig)


def test_penalty_gradients_are_constant_and_proportional():
    fig, (ax_v, ax_s) = plt.subplots(1, 2)
    plots.plot_penalties_and_gradients(ax_v, ax_s, lam=0.5, span=1.0)
    l1_right = ax_s.get_lines()[1]  # the positive half of lam * sign(w)
    assert set(np.asarray(l1_right.get_ydata()).tolist()) == {0.5}
    l2 = [line for line in ax_s.get_lines() if line.get_label() == r"L2: $2 \lambda w$"][0]
    np.testing.assert_allclose(l2.get_ydata(), 2 * 0.5 * l2.get_xdata())
    plt.close(fig)


def test_priors_have_the_same_variance_and_their_logs_are_the_penalties():
    fig, (ax_d, ax_n) = plt.subplots(1, 2)
    plots.plot_priors(ax_d, ax_n, beta=0.5, span=30.0)
    for line in ax_d.get_lines():
        w, p = line.get_xdata(), line.get_ydata()
        dw = w[1] - w[0]
        assert abs(np.sum(p) * dw - 1.0) < 5e-3  # a density (a Riemann sum over the grid)
        assert abs(np.sum(w**2 * p) * dw - 2 * 0.5**2) < 5e-3  # variance 2 beta^2
    laplace = ax_n.get_lines()[0]
    np.testing.assert_allclose(laplace.get_ydata(), np.abs(laplace.get_xdata()) / 0.5)
    plt.close(fig)
