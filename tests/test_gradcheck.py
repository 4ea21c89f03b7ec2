"""The finite-difference gradient checker, on functions whose gradient is known,
and the planted bugs and shortcut it must catch."""

import numpy as np
import pytest

from l1reg import L1, L2, Network, fit
from l1reg.core import model
from l1reg.core.losses import squared_error_diagonal_signal, squared_error_signal
from l1reg.core.network import PARAM_NAMES
from l1reg.reference.gradcheck import (
    TOLERANCE,
    analytic_gradient,
    check_network_gradient,
    network_numerical_gradient,
    norm_relative_error,
    numerical_gradient,
    relative_error,
    with_shortcut,
)


def _f(w):
    return np.sum(w**3) / 3 + np.sin(w[0]) + w[1] * w[2]


def _grad_f(w):
    g = w**2
    g[0] += np.cos(w[0])
    g[1] += w[2]
    g[2] += w[1]
    return g


def test_numerical_gradient_of_a_known_function():
    w = np.array([0.3, -1.2, 0.8, 2.0, -0.5])
    np.testing.assert_allclose(numerical_gradient(_f, w), _grad_f(w), rtol=0, atol=1e-8)


def test_numerical_gradient_of_a_quadratic_is_exact_to_round_off():
    a = np.array([[2.0, 0.5], [0.5, 1.0]])
    w = np.array([1.5, -0.7])
    numeric = numerical_gradient(lambda v: 0.5 * v @ a @ v, w)
    np.testing.assert_allclose(numeric, a @ w, rtol=0, atol=1e-9)


def test_numerical_gradient_does_not_modify_its_input():
    w = np.array([0.3, -1.2, 0.8])
    kept = w.copy()
    numerical_gradient(_f, w)
    np.testing.assert_array_equal(w, kept)


def test_numerical_gradient_accepts_a_list_and_passes_float_vectors():
    seen = []

    def f(v):
        seen.append((v.dtype, v.shape))
        return float(np.sum(v**2))

    np.testing.assert_allclose(numerical_gradient(f, [1, 2]), [2.0, 4.0], rtol=1e-8)
    assert set(seen) == {(np.dtype(np.float64), (2,))}
    assert len(seen) == 4  # two evaluations per entry


def test_larger_eps_gives_the_expected_truncation_error():
    # Central differences of w^3/3 are off by exactly eps^2 / 3.
    w = np.array([1.0])
    numeric = numerical_gradient(lambda v: float(v[0] ** 3 / 3), w, eps=1e-2)
    assert numeric[0] == pytest.approx(1.0 + 1e-4 / 3, rel=1e-10)


@pytest.mark.parametrize(
    ("w", "eps", "match"),
    [(np.ones((2, 2)), 1e-6, "^w must"), (np.ones(3), 0.0, "^eps must"), (np.ones(3), -1e-6, "^eps must")],
    ids=["2-D-w", "zero-eps", "negative-eps"],
)
def test_numerical_gradient_rejects_bad_arguments(w, eps, match):
    with pytest.raises(ValueError, match=match):
        numerical_gradient(_f, w, eps=eps)


def test_network_numerical_gradient_restores_the_parameters(random_problem):
    net = Network(3, 4, 3, seed=0, init_range=1.0, weight_penalty=L1(0.01))
    x, t = random_problem(4, 3, 3, seed=2)
    before = net.get_flat()
    numeric = network_numerical_gradient(net, x, t)
    np.testing.assert_array_equal(net.get_flat(), before)
    assert numeric.shape == (net.n_params,)
    assert np.abs(numeric).max() > 1e-3


def test_network_numerical_gradient_restores_the_parameters_after_an_error(random_problem):
    net = Network(3, 4, 3, seed=0, init_range=1.0)
    x, _ = random_problem(4, 3, 3, seed=2)
    before = net.get_flat()
    with pytest.raises(ValueError, match="^t must be one-hot"):
        network_numerical_gradient(net, x, np.zeros((4, 3)))
    np.testing.assert_array_equal(net.get_flat(), before)


def test_relative_error_basic_cases():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert relative_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(2.0)
    # entries where both are 0 are ignored; the others are scaled one by one
    assert relative_error(np.array([0.0, 1e-8]), np.array([0.0, 1.1e-8])) == pytest.approx(0.1 / 1.1)
    assert relative_error(np.array([1e3, 1.0]), np.array([1e3 + 1e-3, 1.0])) == pytest.approx(
        1e-3 / (1e3 + 1e-3), rel=1e-9
    )


def test_relative_error_is_symmetric():
    a, b = np.array([3.0, -1.0, 0.5]), np.array([2.5, -1.5, 0.0])
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(a, b) == pytest.approx(1.0)  # 0.5 vs 0.0


def test_relative_error_rejects_different_shapes():
    with pytest.raises(ValueError, match="^a and b must have the same shape"):
        relative_error(np.zeros(3), np.zeros(4))


# --- the per-block checker: check_network_gradient ----------------------------------------

BLOCKS = list(PARAM_NAMES)


def _checked_net(loss, lam, params_away_from_zero, seed=11):
    net = Network(3, 4, 3, seed=0, loss=loss, weight_penalty=L1(lam) if lam else None)
    net.set_flat(params_away_from_zero(net.n_params, seed=seed))
    return net


def test_norm_relative_error_worked_examples():
    assert norm_relative_error(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 0.0
    assert norm_relative_error(np.zeros(3), np.zeros(3)) == 0.0
    # ||(3, 4) - (0, 0)|| / 5 = 1; twice a vector: ||g|| / ||2g|| = 1/2; its negative: 2
    assert norm_relative_error(np.array([3.0, 4.0]), np.zeros(2)) == pytest.approx(1.0)
    assert norm_relative_error(np.array([3.0, 4.0]), np.array([6.0, 8.0])) == pytest.approx(0.5)
    assert norm_relative_error(np.array([3.0, 4.0]), np.array([-3.0, -4.0])) == pytest.approx(2.0)
    # one number per block: a tiny entry's large relative error barely counts
    a, b = np.array([1.0, 1e-9]), np.array([1.0, 2e-9])
    assert relative_error(a, b) == pytest.approx(0.5)
    assert norm_relative_error(a, b) == pytest.approx(1e-9, rel=1e-6)


def test_norm_relative_error_rejects_different_shapes():
    with pytest.raises(ValueError, match="^a and b must have the same shape"):
        norm_relative_error(np.zeros(3), np.zeros((3, 1)))


def test_checker_on_a_gradient_known_in_closed_form(random_problem):
    # With every parameter 0 the outputs are uniform, o = 1/K; for cross-entropy
    # dE/db_o = mean(o - t) = 1/K - (class frequencies), and every other entry is 0
    # (h = tanh(0) = 0 and W_ho = 0 cut every other path).
    net = Network(3, 4, 3, seed=0, loss="cross_entropy")
    net.set_flat(np.zeros(net.n_params))
    x, t = random_problem(6, 3, 3, seed=4)
    closed_form = np.zeros(net.n_params)
    closed_form[-3:] = 1.0 / 3.0 - t.mean(axis=0)

    report = check_network_gradient(net, x, t, gradient=lambda n, xx, tt: closed_form)
    assert list(report) == BLOCKS
    assert report["o_biases"] < 1e-8
    # finite differences of the other blocks are exactly 0 too, so the error is exactly 0
    assert report["ih_weights"] == report["ho_weights"] == report["h_biases"] == 0.0
    # and the closed form is what back-propagation gives
    np.testing.assert_allclose(net.gradient(x, t), closed_form, rtol=0, atol=1e-15)


@pytest.mark.parametrize("loss", ["squared", "cross_entropy"])
@pytest.mark.parametrize("lam", [0.0, 0.01], ids=["no-L1", "L1"])
def test_checker_passes_the_networks_own_gradient(loss, lam, params_away_from_zero, random_problem):
    net = _checked_net(loss, lam, params_away_from_zero)
    x, t = random_problem(5, 3, 3, seed=2)
    before = net.get_flat()
    report = check_network_gradient(net, x, t)
    assert list(report) == BLOCKS
    assert max(report.values()) < TOLERANCE
    np.testing.assert_array_equal(net.get_flat(), before)


def test_checker_measures_a_scaled_or_negated_gradient_exactly(params_away_from_zero, random_problem):
    net = _checked_net("squared", 0.01, params_away_from_zero)
    x, t = random_problem(5, 3, 3, seed=2)
    doubled = check_network_gradient(net, x, t, gradient=lambda n, xx, tt: 2.0 * n.gradient(xx, tt))
    negated = check_network_gradient(net, x, t, gradient=lambda n, xx, tt: -n.gradient(xx, tt))
    for name in BLOCKS:
        assert doubled[name] == pytest.approx(0.5, abs=1e-7)
        assert negated[name] == pytest.approx(2.0, abs=1e-7)


def test_checker_catches_a_planted_sign_error_in_the_l1_term(params_away_from_zero, random_problem):
    lam = 0.01
    net = _checked_net("cross_entropy", lam, params_away_from_zero)
    x, t = random_problem(5, 3, 3, seed=2)
    n_w = net.weights().size

    def buggy(n, xx, tt):  # "grad -= lam * sign(w)" instead of "+="
        g = n.gradient(xx, tt)
        g[:n_w] -= 2.0 * lam * np.sign(n.weights())
        return g

    report = check_network_gradient(net, x, t, gradient=buggy)
    # only the penalized blocks are wrong, by ||2 lam sign(w)|| / max(||true||, ||buggy||)
    true, bad = net.gradient(x, t), buggy(net, x, t)
    for name, sl in (("ih_weights", slice(0, 12)), ("ho_weights", slice(12, 24))):
        expected = 2 * lam * np.sqrt(12) / max(np.linalg.norm(true[sl]), np.linalg.norm(bad[sl]))
        assert report[name] == pytest.approx(expected, rel=1e-5)
        assert report[name] > 1e-3
    assert report["h_biases"] < TOLERANCE and report["o_biases"] < TOLERANCE


def test_checker_localizes_a_planted_bug_in_the_backward_pass(params_away_from_zero, random_problem):
    net = _checked_net("squared", 0.0, params_away_from_zero)
    x, t = random_problem(5, 3, 3, seed=2)

    def tanh_sign_bug(xp, p, xx, h, z_signal):
        grads, h_grad = model.output_backward(xp, p, h, z_signal)
        h_signal = h_grad * (1.0 + h * h)  # tanh' written 1 + h^2
        return grads | {"ih_weights": xx.T @ h_signal, "h_biases": h_signal.sum(axis=0, keepdims=True)}

    report = check_network_gradient(
        net, x, t, gradient=lambda n, xx, tt: analytic_gradient(n, xx, tt, backward=tanh_sign_bug)
    )
    assert report["ho_weights"] < TOLERANCE and report["o_biases"] < TOLERANCE
    assert report["ih_weights"] > 0.1 and report["h_biases"] > 0.1


def test_analytic_gradient_is_the_networks_gradient(params_away_from_zero, random_problem):
    net = Network(3, 4, 3, seed=0, loss="squared", weight_penalty=L1(0.01), bias_penalty=L2(0.02))
    net.set_flat(params_away_from_zero(net.n_params, seed=5))
    x, t = random_problem(5, 3, 3, seed=2)
    np.testing.assert_array_equal(analytic_gradient(net, x, t), net.gradient(x, t))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"net": "not a net"}, TypeError, "^net must be an l1reg.Network, got str"),
        ({"gradient": 3.0}, TypeError, "^gradient must be a callable"),
        ({"gradient": lambda n, x, t: np.zeros(5)}, ValueError,
         r"^gradient must return a vector of shape \(31,\), got \(5,\)"),
        ({"eps": 0.0}, ValueError, "^eps must"),
        ({"x": np.zeros((5, 2))}, ValueError, "^x must have 3 columns"),
        ({"t": np.zeros((5, 3))}, ValueError, "^t must be one-hot"),
    ],
    ids=["net", "gradient-type", "gradient-shape", "eps", "x-columns", "t-one-hot"],
)
def test_checker_rejects_bad_arguments(kwargs, error, match, random_problem):
    x, t = random_problem(5, 3, 3, seed=2)
    args = {"net": Network(3, 4, 3, seed=0), "x": x, "t": t} | kwargs
    net, x, t = args.pop("net"), args.pop("x"), args.pop("t")
    with pytest.raises(error, match=match):
        check_network_gradient(net, x, t, **args)


def test_analytic_gradient_rejects_a_backward_that_is_not_callable(small_net, small_data):
    with pytest.raises(TypeError, match="^backward must be a callable"):
        analytic_gradient(small_net, *small_data, backward="backward")


# --- the softmax shortcut --------------------------------------------------------------------


def test_shortcut_signal_is_the_diagonal_formula_and_not_the_true_signal():
    o = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    t = np.eye(3)[[0, 2]]
    np.testing.assert_allclose(squared_error_diagonal_signal(o, t), (o - t) * o * (1 - o) / 2, rtol=1e-15)
    # first item: diagonal (-0.5)(0.5)(0.5) = -0.125, full Jacobian 0.5 * (-0.5 - (-0.25 + 0.09 + 0.04))
    assert squared_error_diagonal_signal(o, t)[0, 0] == pytest.approx(-0.125 / 2)
    assert squared_error_signal(o, t)[0, 0] == pytest.approx(0.5 * (-0.5 + 0.12) / 2)


def test_shortcut_network_has_the_true_objective_and_the_shortcut_gradient(
    params_away_from_zero, random_problem
):
    net = _checked_net("squared", 0.01, params_away_from_zero)
    x, t = random_problem(5, 3, 3, seed=2)
    short = with_shortcut(net)
    assert short.loss.name == "squared_diagonal" and net.loss.name == "squared"
    assert repr(short).startswith("Network(3-4-3, loss='squared_diagonal', ")
    assert short is not net
    np.testing.assert_array_equal(short.get_flat(), net.get_flat())
    assert short.objective(x, t) == net.objective(x, t)
    # its gradient is back-propagation from the diagonal signal, plus the same penalty
    h, o = net.forward(x)
    g = model.backward(np, model.from_flat(net.flat, net.shapes), x, h, squared_error_diagonal_signal(o, t))
    expected = np.concatenate([g[name].ravel() for name in BLOCKS])
    expected[: net.weights().size] += 0.01 * np.sign(net.weights())
    np.testing.assert_allclose(short.gradient(x, t), expected, rtol=1e-13, atol=1e-16)
    # and the checker sees that it is wrong in every block
    report = check_network_gradient(short, x, t)
    assert min(report.values()) > 1e-2


def test_shortcut_is_exactly_half_the_gradient_for_two_classes(params_away_from_zero, random_problem):
    net = Network(3, 4, 2, seed=0, loss="squared")
    net.set_flat(params_away_from_zero(net.n_params, seed=3))
    x, t = random_problem(6, 3, 2, seed=8)
    np.testing.assert_allclose(with_shortcut(net).gradient(x, t), 0.5 * net.gradient(x, t), rtol=1e-12)
    report = check_network_gradient(with_shortcut(net), x, t)
    for name in BLOCKS:
        assert report[name] == pytest.approx(0.5, abs=1e-6)


def test_training_with_the_shortcut_differs_from_training_with_the_true_gradient(random_problem):
    x, t = random_problem(8, 3, 3, seed=6)
    exact = Network(3, 4, 3, seed=1, init_range=0.5, weight_penalty=L1(0.001))
    short = with_shortcut(exact)
    for net in (exact, short):
        fit(net, x, t, epochs=3, lr=0.1, seed=0)
    assert not np.allclose(exact.get_flat(), short.get_flat(), rtol=1e-3, atol=0)
    # the shortcut network's training was the shortcut's own sgd steps, step by step
    again = with_shortcut(Network(3, 4, 3, seed=1, init_range=0.5, weight_penalty=L1(0.001)))
    rng = np.random.default_rng(0)
    for _ in range(3):
        for i in rng.permutation(len(x)):
            again.set_flat(again.get_flat() - 0.1 * again.gradient(x[i : i + 1], t[i : i + 1]))
    np.testing.assert_allclose(short.get_flat(), again.get_flat(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("net", "shortcut", "error", "match"),
    [
        ("net", "squared_diagonal", TypeError, "^net must be an l1reg.Network"),
        (Network(3, 4, 3, seed=0), "diagonal", ValueError,
         r"^shortcut must be one of \['squared_diagonal'\], got 'diagonal'"),
        (Network(3, 4, 3, seed=0, loss="cross_entropy"), "squared_diagonal", ValueError,
         "^net must use loss='squared'"),
    ],
    ids=["not-a-network", "unknown-shortcut", "cross-entropy-net"],
)
def test_with_shortcut_rejects_bad_arguments(net, shortcut, error, match):
    with pytest.raises(error, match=match):
        with_shortcut(net, shortcut)


# --- the chapter's plots of these checks -------------------------------------------------------

#: A correct gradient's errors (round-off) and a planted bug's, with an exact zero among them.
PLOT_REPORTS = {
    "correct": dict.fromkeys(BLOCKS, 1e-9),
    "bug": {"ih_weights": 0.2, "ho_weights": 0.1, "h_biases": 0.0, "o_biases": 1e-9},
}


def test_plot_gradient_check_draws_one_bar_per_block_and_report():
    import matplotlib.pyplot as plt

    from l1reg.book import plots

    reports = PLOT_REPORTS
    fig, ax = plt.subplots()
    try:
        plots.plot_gradient_check(ax, reports, tolerance=1e-6)
        assert len(ax.patches) == 8
        tops = sorted(p.get_y() + p.get_height() for p in ax.patches)
        assert tops[0] == pytest.approx(1e-16)  # the exact 0 is drawn at the floor
        assert tops[-1] == pytest.approx(0.2)
        assert ax.get_ylim()[1] == pytest.approx(1e4)  # four decades above the tallest bar
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["tolerance 1e-06", "correct", "bug"]
        assert [t.get_text() for t in ax.get_xticklabels()] == BLOCKS
    finally:
        plt.close(fig)


def test_plot_gradient_errors_draws_one_dot_per_block_and_report():
    import matplotlib.pyplot as plt

    from l1reg.book import plots

    reports = PLOT_REPORTS
    fig, ax = plt.subplots()
    try:
        plots.plot_gradient_errors(ax, reports, tolerance=1e-6)
        correct, bug, line = ax.get_lines()
        np.testing.assert_allclose(correct.get_xdata(), [1e-9] * 4)
        np.testing.assert_allclose(bug.get_xdata(), [0.2, 0.1, 1e-16, 1e-9])  # the 0 at the floor
        # One row per block, the first on top; the two reports nudged apart within a row.
        np.testing.assert_allclose(correct.get_ydata(), [3.125, 2.125, 1.125, 0.125])
        np.testing.assert_allclose(bug.get_ydata(), [2.875, 1.875, 0.875, -0.125])
        assert list(line.get_xdata()) == [1e-6, 1e-6]  # the tolerance, a vertical line
        assert ax.get_xscale() == "log"
        assert ax.get_xlim() == pytest.approx((1e-17, 10.0))  # whole decades, one beyond the data
        ticks = zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True)
        top_down = sorted(ticks, reverse=True)
        assert [name for _, name in top_down] == BLOCKS
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["correct", "bug", "tolerance 1e-06"]
    finally:
        plt.close(fig)


def test_plot_gradient_errors_rejects_a_bad_tolerance():
    import matplotlib.pyplot as plt

    from l1reg.book import plots

    fig, ax = plt.subplots()
    try:
        with pytest.raises(ValueError, match="^tolerance must be a finite number > 0, got 0"):
            plots.plot_gradient_errors(ax, {"correct": dict.fromkeys(BLOCKS, 1e-9)}, tolerance=0.0)
    finally:
        plt.close(fig)


def test_plot_chattering_and_subgradient_show_their_data():
    import matplotlib.pyplot as plt

    from l1reg.book import plots

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3)
    try:
        trace = np.array([-1e-6, 9e-6, -1e-6])
        plots.plot_chattering(ax1, trace, step=1e-5)
        np.testing.assert_array_equal(ax1.lines[-1].get_ydata(), trace)
        plots.plot_abs_and_subgradient(ax2, ax3, {"NumPy": 0.0, "JAX": 1.0})
        markers = [line for line in ax3.lines if line.get_label() in ("NumPy", "JAX")]
        assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in markers] == [(0.0, 0.0), (0.0, 1.0)]
    finally:
        plt.close(fig)


def test_tolerance_sits_between_the_round_off_of_a_correct_gradient_and_a_bug(params_away_from_zero,
                                                                              random_problem):
    # the same gradient, off by one part in a million, fails; the correct one passes
    net = _checked_net("squared", 0.01, params_away_from_zero)
    x, t = random_problem(5, 3, 3, seed=2)
    assert max(check_network_gradient(net, x, t).values()) < TOLERANCE
    nudged = check_network_gradient(net, x, t, gradient=lambda n, xx, tt: (1 + 1e-6) * n.gradient(xx, tt))
    assert min(nudged.values()) > TOLERANCE


def test_the_float64_twin_of_a_float32_network_gives_the_same_differences(params_away_from_zero,
                                                                          random_problem):
    net = _checked_net("squared", 0.01, params_away_from_zero).replace(dtype=np.float32)
    x, t = random_problem(5, 3, 3, seed=2)
    twin = net.replace(dtype=np.float64)
    np.testing.assert_array_equal(network_numerical_gradient(net, x, t),
                                  network_numerical_gradient(twin, x, t))
    assert net.dtype == np.float32  # the check leaves the network as it was
