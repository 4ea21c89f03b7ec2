"""Property-based tests (Hypothesis) of l1reg's invariants on random valid input.

Random layer sizes, dtypes, losses, penalties and data; each test states one thing that
must hold for all of them. The profiles (how many examples) are set in conftest.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from l1reg import L1, L1L2, L2, Network, fit, soft_threshold, softmax
from l1reg.reference import gradcheck
from l1reg.studies import linear, shrinkage

SIZES = st.integers(1, 5)
LOSSES = st.sampled_from(["squared", "cross_entropy"])
DTYPES = st.sampled_from([np.float64, np.float32])
# 0 or >= 1e-4: a strength of 1e-87 on a weight with no data gradient makes a block
# gradient far below what central differences resolve (relative error 1.0, no bug)
STRENGTHS = st.one_of(st.just(0.0), st.floats(1e-4, 2.0))
PENALTIES = st.one_of(
    st.none(),
    STRENGTHS.map(L1),
    STRENGTHS.map(L2),
    st.builds(L1L2, STRENGTHS, STRENGTHS),
)
SMOOTH_PENALTIES = st.one_of(st.none(), STRENGTHS.map(L2))  # no kink: finite differences hold everywhere


# Inputs of 1e-25 make a gradient of 1e-27 that central differences cannot see (the
# objective moves by less than its round-off): not a bug, so inputs are 0 or >= 0.01.
INPUTS = st.one_of(st.just(0.0), st.floats(0.01, 3.0), st.floats(-3.0, -0.01))


@st.composite
def problems(draw, *, dtype=None, penalties=PENALTIES):
    """A network of random sizes, loss, penalty and dtype, and data for it."""
    n_input, n_hidden, n_output = draw(SIZES), draw(SIZES), draw(st.integers(2, 4))
    n_items = draw(st.integers(1, 6))
    net = Network(n_input, n_hidden, n_output, seed=draw(st.integers(0, 2**32)),
                  init_range=draw(st.floats(0.01, 2.0)), loss=draw(LOSSES),
                  weight_penalty=draw(penalties), bias_penalty=draw(penalties),
                  dtype=draw(DTYPES) if dtype is None else dtype)
    x = draw(hnp.arrays(np.float64, (n_items, n_input), elements=INPUTS))
    classes = draw(hnp.arrays(np.int64, n_items, elements=st.integers(0, n_output - 1)))
    return net, x, np.eye(n_output)[classes]


@given(problems(dtype=np.float64, penalties=SMOOTH_PENALTIES))
def test_back_propagation_matches_finite_differences(problem):
    net, x, t = problem
    errors = gradcheck.check_network_gradient(net, x, t)
    # A block whose whole gradient is tiny (x = 0 leaves only a small L2 pull on the
    # input weights) has a large *relative* error from the differences' round-off alone,
    # about ulp(F) / eps = 1e-10 absolute: there, the absolute error is what must be small.
    analytic = net.gradient(x, t)
    numeric = gradcheck.network_numerical_gradient(net, x, t)
    absolute = np.max(np.abs(analytic - numeric))
    assert max(errors.values()) < 1e-5 or absolute < 1e-8, (errors, absolute)


@given(problems(dtype=np.float32, penalties=SMOOTH_PENALTIES))
def test_a_float32_gradient_passes_the_float32_check(problem):
    net, x, t = problem
    errors = gradcheck.check_network_gradient(net, x, t)
    assert max(errors.values()) < 1e-3, errors


@given(problems(), st.integers(1, 4), st.integers(1, 3), st.integers(0, 1000))
def test_training_never_changes_the_callers_data_and_repeats_with_its_seed(problem, epochs, batch, seed):
    net, x, t = problem
    x_before, t_before = x.copy(), t.copy()
    twin = Network(net.n_input, net.n_hidden, net.n_output, seed=0, loss=net.loss,
                   weight_penalty=net.weight_penalty, bias_penalty=net.bias_penalty, dtype=net.dtype)
    twin.set_flat(net.get_flat())
    first = fit(net, x, t, epochs=epochs, lr=0.05, seed=seed, batch_size=batch)
    second = fit(twin, x, t, epochs=epochs, lr=0.05, seed=seed, batch_size=batch)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(t, t_before)
    assert net.flat.tobytes() == twin.flat.tobytes()
    assert first == second
    assert np.all(np.isfinite(net.flat))


@given(problems(), st.integers(0, 1000))
def test_a_stack_trains_each_network_as_one_fit_does(problem, seed):
    net, x, t = problem
    def copy():
        other = Network(net.n_input, net.n_hidden, net.n_output, seed=0, loss=net.loss,
                        weight_penalty=net.weight_penalty, bias_penalty=net.bias_penalty, dtype=net.dtype)
        other.set_flat(net.get_flat())
        return other
    alone, stacked = copy(), [copy(), copy()]
    xs, ts = np.stack([x, x]), np.stack([t, t])
    fit(alone, x, t, epochs=2, lr=0.05, seed=seed)
    fit(stacked, xs, ts, epochs=2, lr=0.05, seed=[seed, seed])
    np.testing.assert_array_equal(xs, np.stack([x, x]))
    tol = 1e-4 if net.dtype == np.float32 else 1e-10
    for one in stacked:
        np.testing.assert_allclose(one.flat, alone.flat, rtol=tol, atol=tol)


FINITE = st.floats(-1e6, 1e6, allow_nan=False)


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=5), elements=FINITE),
       st.floats(0.0, 1e6))
def test_soft_threshold_is_its_closed_form(w, threshold):
    out = soft_threshold(w, threshold)
    np.testing.assert_array_equal(out, np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0))
    assert np.all(np.abs(out) <= np.abs(w))
    assert np.all(out[np.abs(w) <= threshold] == 0.0)
    assert np.all(np.sign(out[out != 0]) == np.sign(w[out != 0]))


@given(st.floats(-50.0, 50.0), st.floats(0.1, 10.0), st.floats(0.0, 5.0))
def test_the_numerical_search_finds_the_l1_closed_form(w0, a, lam):
    found = shrinkage.minimize_one_weight(w0, a, L1(lam))
    # the objective is flat to round-off within sqrt(eps * f / a) of its minimum
    slack = 1e-6 * (1.0 + abs(w0))
    assert abs(found - float(shrinkage.l1_minimizer(w0, a, lam))) < slack


@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-10.0, 10.0)), STRENGTHS, STRENGTHS)
def test_penalties_values_and_gradients(w, l1, l2):
    assert np.isclose(L1(l1)(w), l1 * np.sum(np.abs(w)))
    assert np.isclose(L2(l2)(w), l2 * np.sum(w**2))
    assert np.isclose(L1L2(l1, l2)(w), L1(l1)(w) + L2(l2)(w))
    np.testing.assert_allclose(L1L2(l1, l2).gradient(w), L1(l1).gradient(w) + L2(l2).gradient(w))
    # away from the kink, the (sub)gradient is the derivative
    away = w[np.abs(w) > 1e-3]
    for penalty in (L1(l1), L2(l2), L1L2(l1, l2)):
        numeric = gradcheck.numerical_gradient(lambda v, p=penalty: p(v), away, eps=1e-6)
        np.testing.assert_allclose(penalty.gradient(away), numeric, rtol=1e-5, atol=1e-5)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-700.0, 700.0)))
def test_softmax_rows_are_probabilities(z):
    o = softmax(z)
    assert o.shape == z.shape
    assert np.all((o >= 0.0) & (o <= 1.0))
    np.testing.assert_allclose(o.sum(axis=-1), 1.0)


@given(st.integers(2, 30), st.integers(1, 4), st.floats(0.0, 1.0), st.integers(0, 1000))
def test_the_lasso_solver_converges_to_finite_weights_or_says_not(n, p, lam, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, p)), rng.normal(size=n)
    if np.all(np.ptp(x, axis=0) == 0):
        return
    result = linear.fit_lasso_proximal(x, y, lam, max_iter=20_000)
    assert np.all(np.isfinite(result.weights)) and np.isfinite(result.bias)
    start = linear.lasso_objective(x, y, np.zeros(p), float(np.mean(y)), lam)
    assert linear.lasso_objective(x, y, result.weights, result.bias, lam) <= start + 1e-12
