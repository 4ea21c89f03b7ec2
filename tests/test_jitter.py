"""Jitter: fresh Gaussian noise on the inputs of every step."""

import re

import numpy as np
import pytest

from l1reg import Network, fit
from l1reg.regularize.jitter import Jitter, StackJitter


def _net(penalty=None, seed=5, init_range=0.01):
    return Network(4, 5, 3, seed=seed, weight_penalty=penalty, init_range=init_range)


def _names(name):
    return "^" + re.escape(name) + " "


def test_jitter_noise_is_seeded_and_scaled():
    x = np.zeros((4, 3))
    np.testing.assert_array_equal(Jitter(0.5, seed=3).perturb(x),
                                  0.5 * np.random.default_rng(3).standard_normal((4, 3)))
    assert not np.array_equal(Jitter(0.5, seed=3).perturb(x), Jitter(0.5, seed=4).perturb(x))


def test_jitter_with_sigma_zero_is_plain_training(three_sets):
    x, t, *_ = three_sets
    plain, jittered = _net(), _net()
    fit(plain, x, t, epochs=3, lr=0.1, seed=1)
    fit(jittered, x, t, epochs=3, lr=0.1, seed=1, noise=Jitter(0.0, seed=7))
    np.testing.assert_array_equal(plain.get_flat(), jittered.get_flat())


def test_jitter_training_is_seeded(three_sets):
    x, t, *_ = three_sets
    runs = []
    for seed in (7, 7, 8):
        net = _net()
        fit(net, x, t, epochs=2, lr=0.1, seed=1, noise=Jitter(0.3, seed=seed))
        runs.append(net.get_flat())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_jitter_sigma_must_not_be_negative():
    with pytest.raises(ValueError, match=_names("sigma")):
        Jitter(-1.0, seed=0)


def test_noise_must_have_a_data_gradient(three_sets):
    x, t, *_ = three_sets
    with pytest.raises(TypeError, match=_names("noise")):
        fit([_net()], x[None], t[None], epochs=1, lr=0.1, seed=[0], noise="dropout")


def test_stack_jitter_draws_each_networks_noise_from_its_own_source_at_its_own_sigma():
    x = np.ones((2, 5, 3))
    stack = StackJitter([0.5, 2.0], seeds=[3, 4]).perturb(x)
    for i, (sigma, seed) in enumerate([(0.5, 3), (2.0, 4)]):
        np.testing.assert_allclose(stack[i], Jitter(sigma, seed).perturb(x[i]), rtol=1e-15)


@pytest.mark.parametrize(("make", "match"), [
    (lambda S: S([0.5, 2.0], seeds=[3]), r"^seeds must hold one seed per sigma \(2\), got 1$"),
    (lambda S: S([0.5, -2.0], seeds=[3, 4]), r"^sigmas\[1\] must be"),
    (lambda S: S([0.5, 2.0], seeds=[3, 4]).perturb(np.ones((3, 5, 2))),
     r"^x must hold the stack's 2 networks on its first axis, got shape \(3, 5, 2\)$"),
])
def test_stack_jitter_refuses_sigmas_seeds_or_shapes_that_do_not_fit_by_name(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make(StackJitter)
