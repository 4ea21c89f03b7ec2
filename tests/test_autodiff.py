"""JAX's automatic differentiation against l1reg's back-propagation.

JAX is imported only by ``l1reg.reference.autodiff``; these tests also check that ``import
l1reg`` does not pull it in and that importing the module writes nothing to stderr.
"""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("jax")

from l1reg import L1, L1L2, L2, Network  # noqa: E402
from l1reg.reference.autodiff import jax_gradient, jax_objective  # noqa: E402
from l1reg.reference.gradcheck import with_shortcut  # noqa: E402

CASES = [
    pytest.param("squared", None, None, id="squared"),
    pytest.param("squared", L1(0.01), None, id="squared-L1"),
    pytest.param("cross_entropy", None, None, id="cross_entropy"),
    pytest.param("cross_entropy", L1(0.01), None, id="cross_entropy-L1"),
    pytest.param("squared", L1(0.01), L1(0.02), id="squared-L1-weights-and-biases"),
    pytest.param("cross_entropy", L2(0.03), L1L2(l1=0.01, l2=0.02), id="cross_entropy-L2-elastic-net"),
]


def _net(loss, weight_penalty, bias_penalty, params_away_from_zero):
    net = Network(3, 4, 3, seed=0, loss=loss, weight_penalty=weight_penalty, bias_penalty=bias_penalty)
    net.set_flat(params_away_from_zero(net.n_params, seed=11))
    return net


@pytest.mark.parametrize(("loss", "weight_penalty", "bias_penalty"), CASES)
def test_jax_gradient_equals_backpropagation_to_round_off(
    loss, weight_penalty, bias_penalty, params_away_from_zero, random_problem
):
    net = _net(loss, weight_penalty, bias_penalty, params_away_from_zero)
    x, t = random_problem(6, 3, 3, seed=2)
    grad = jax_gradient(net, x, t)
    assert grad.dtype == np.float64 and grad.shape == (net.n_params,)
    np.testing.assert_allclose(grad, net.gradient(x, t), rtol=1e-12, atol=1e-15)
    assert jax_objective(net, x, t) == pytest.approx(net.objective(x, t), rel=1e-13)


def test_jax_gradient_on_the_demo_sized_network(random_problem):
    net = Network(10, 8, 4, seed=3, init_range=0.1, weight_penalty=L1(0.001))
    x, t = random_problem(50, 10, 4, seed=5)
    x = 10.0 * x  # the demo's input range
    np.testing.assert_allclose(jax_gradient(net, x, t), net.gradient(x, t), rtol=1e-11, atol=1e-16)


def test_jax_differs_by_lam_at_a_weight_that_is_exactly_zero(params_away_from_zero, random_problem):
    # JAX's d|w|/dw at 0 is 1; l1reg's sign(0) is 0. Nowhere else do they differ.
    lam = 0.01
    net = _net("squared", L1(lam), None, params_away_from_zero)
    net.params["ih_weights"][1, 2] = 0.0
    x, t = random_problem(6, 3, 3, seed=2)
    diff = jax_gradient(net, x, t) - net.gradient(x, t)
    k = 1 * 4 + 2  # flat index of ih_weights[1, 2]
    assert diff[k] == pytest.approx(lam, rel=1e-10)
    np.testing.assert_allclose(np.delete(diff, k), 0.0, atol=1e-15)


def test_jax_gives_the_shortcut_network_the_true_gradient(params_away_from_zero, random_problem):
    net = _net("squared", L1(0.01), None, params_away_from_zero)
    short = with_shortcut(net)
    x, t = random_problem(6, 3, 3, seed=2)
    true = jax_gradient(short, x, t)
    np.testing.assert_allclose(true, net.gradient(x, t), rtol=1e-12, atol=1e-15)
    # the shortcut's own gradient is far from it
    assert np.linalg.norm(short.gradient(x, t) - true) > 1e-2 * np.linalg.norm(true)


def test_jax_float64_is_switched_on_only_inside_the_call(small_net, small_data):
    import jax
    import jax.numpy as jnp

    jax_gradient(small_net, *small_data)
    assert not jax.config.jax_enable_x64
    assert jnp.zeros(1).dtype == np.float32


@pytest.mark.parametrize(
    ("net", "x", "t", "error", "match"),
    [
        ("net", None, None, TypeError, "^net must be an l1reg.Network, got str"),
        (None, np.zeros((5, 4)), None, ValueError, r"^x must have 3 columns, got shape \(5, 4\)"),
        (None, None, np.zeros((5, 3)), ValueError, "^t must be one-hot"),
        (None, None, np.eye(3)[[0, 1]], ValueError, r"^t must have 5 rows"),
    ],
    ids=["not-a-network", "x-columns", "t-not-one-hot", "t-rows"],
)
def test_jax_gradient_rejects_bad_input(net, x, t, error, match, small_net, small_data):
    args = (small_net if net is None else net,
            small_data[0] if x is None else x,
            small_data[1] if t is None else t)
    with pytest.raises(error, match=match):
        jax_gradient(*args)
    with pytest.raises(error, match=match):
        jax_objective(*args)


def test_import_l1reg_does_not_import_jax_and_autodiff_is_silent():
    code = (
        "import sys, l1reg, l1reg.reference.gradcheck, l1reg.book.plots\n"
        "assert 'jax' not in sys.modules, 'import l1reg pulled in jax'\n"
        "import numpy as np\n"
        "from l1reg.reference.autodiff import jax_gradient\n"
        "net = l1reg.Network(2, 2, 2, seed=0)\n"
        "jax_gradient(net, np.ones((1, 2)), np.eye(2)[:1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_loss_of_ones_own_under_a_known_name_is_refused():
    # named "squared" but computing cross-entropy: the JAX twin would differentiate
    # the squared error and disagree with net.objective without a word
    from l1reg.core.losses import Loss, cross_entropy, cross_entropy_signal

    impostor = Loss("squared", cross_entropy, cross_entropy_signal)
    net = Network(3, 4, 2, seed=0, init_range=1.0, loss=impostor)
    x, t = np.ones((2, 3)), np.eye(2)
    with pytest.raises(ValueError, match=r"^net\.loss must be one of l1reg's losses"):
        jax_objective(net, x, t)


def test_a_penalty_subclass_is_refused_by_name():
    class Doubled(L1):
        def __call__(self, w):
            return 2.0 * super().__call__(w)

    net = Network(3, 4, 2, seed=0, weight_penalty=Doubled(0.1))
    with pytest.raises(TypeError, match=r"^net\.weight_penalty must be an l1reg L1, L2 or L1L2"):
        jax_gradient(net, np.ones((2, 3)), np.eye(2))
