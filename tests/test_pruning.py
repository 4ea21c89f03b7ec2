"""Magnitude pruning: which weights go, pruning networks in place, fine-tuning with them held at 0."""

import re

import numpy as np
import pytest

from l1reg import Network, fit
from l1reg.core.update_rules import Plain, step_once
from l1reg.regularize.pruning import KeepPruned, magnitude_mask, prune_weights


def test_magnitude_mask_drops_the_smallest_absolute_values():
    keep = magnitude_mask([0.5, -0.1, 2.0, 0.2, -3.0], 3)
    np.testing.assert_array_equal(keep, [False, False, True, False, True])


def test_magnitude_mask_breaks_ties_by_position_and_counts_per_row():
    keep = magnitude_mask([[1.0, -1.0, 1.0], [0.0, 5.0, 0.0]], [1, 2])
    np.testing.assert_array_equal(keep, [[False, True, True], [False, True, False]])
    assert magnitude_mask([1.0, 2.0], 0).all() and not magnitude_mask([1.0, 2.0], 2).any()


@pytest.mark.parametrize(("w", "n", "error", "message"), [
    ([1.0, 2.0], 3, ValueError, "n_pruned must lie in [0, 2] (the number of weights), got 3"),
    ([1.0, 2.0], -1, ValueError, "n_pruned must be an int >= 0, or a list of them with one per network, "
                                 "got -1"),
    ([1.0, 2.0], 1.5, TypeError, "n_pruned must be an int >= 0, or a list of them with one per network, "
                                 "got 1.5"),
    ([[1.0, 2.0]] * 2, [1], ValueError, "n_pruned must be an int or one int per network (2)"),
    ([[1.0, 2.0]] * 2, [1, -1], ValueError, "n_pruned[1] must be an int >= 0, got -1"),
    ([1.0, 2.0], True, TypeError, "n_pruned must be an int"),
    (np.ones((2, 2, 2)), 1, ValueError, "w must be a non-empty weight vector or a stack of them"),
    ([1.0, np.inf], 1, ValueError, "w must hold only finite values"),
])
def test_magnitude_mask_refuses_bad_input(w, n, error, message):
    with pytest.raises(error, match=re.escape(message)):
        magnitude_mask(w, n)


def test_prune_weights_zeroes_the_smallest_weights_in_place_and_leaves_the_biases():
    nets = [Network(3, 4, 2, seed=s, init_range=1.0) for s in (0, 1)]
    before = [net.get_flat() for net in nets]
    keep = prune_weights(nets, [5, 10])
    assert keep.shape == (2, nets[0].n_weights)
    for net, flat, row, n in zip(nets, before, keep, (5, 10), strict=True):
        w = net.weights()
        assert np.sum(w == 0) == n and np.all(np.signbit(w[w == 0]) == 0)  # +0.0, not -0.0
        np.testing.assert_array_equal(w[row], flat[: net.n_weights][row])
        dropped = np.abs(flat[: net.n_weights][~row])
        assert dropped.max() <= np.abs(w[row]).min()
        np.testing.assert_array_equal(net.get_flat()[net.n_weights:], flat[net.n_weights:])
    one = Network(3, 4, 2, seed=0, init_range=1.0)
    np.testing.assert_array_equal(prune_weights(one, 5), keep[0])


def test_prune_weights_refuses_what_is_not_a_network():
    with pytest.raises(TypeError, match=re.escape("nets[0] must be an l1reg.Network, got ndarray")):
        prune_weights([np.zeros(3)], 1)
    with pytest.raises(ValueError, match="^nets must be an l1reg.Network or a non-empty list of them"):
        prune_weights([], 1)


def test_keep_pruned_holds_the_pruned_weights_at_zero():
    np.testing.assert_allclose(step_once(KeepPruned(np.array([True, False, True])), [1.0, 0.0, -1.0],
                                         [1.0, 1.0, 1.0], 0.1), [0.9, 0.0, -1.1], rtol=0, atol=1e-15)


def test_fine_tuning_a_stack_trains_the_kept_weights_as_plain_sgd_does():
    rng = np.random.default_rng(0)
    x, t = rng.uniform(-1, 1, (2, 10, 3)), np.eye(2)[rng.integers(0, 2, (2, 10))]
    nets = [Network(3, 4, 2, seed=s, init_range=0.5) for s in (0, 1)]
    keep = prune_weights(nets, [0, 6])
    fit(nets, x, t, rule=KeepPruned(keep), epochs=3, lr=0.2, seed=[7, 8])
    assert np.sum(nets[1].weights() == 0) >= 6 and np.all(nets[1].weights()[~keep[1]] == 0)
    plain = Network(3, 4, 2, seed=0, init_range=0.5)  # nothing pruned: plain SGD, bit for bit
    fit(plain, x[0], t[0], rule=Plain(), epochs=3, lr=0.2, seed=7)
    np.testing.assert_allclose(nets[0].flat, plain.flat, rtol=0, atol=1e-14)


def test_one_keep_pruned_per_network_trains_like_one_rule_for_the_stack():
    rng = np.random.default_rng(1)
    x, t = rng.uniform(-1, 1, (2, 10, 3)), np.eye(2)[rng.integers(0, 2, (2, 10))]
    results = []
    for per_network in (False, True):
        nets = [Network(3, 4, 2, seed=s, init_range=0.5) for s in (0, 1)]
        keep = prune_weights(nets, [2, 6])
        rule = [KeepPruned(row) for row in keep] if per_network else KeepPruned(keep)
        fit(nets, x, t, rule=rule, epochs=3, lr=0.2, seed=[7, 8])
        assert np.all(nets[1].weights()[~keep[1]] == 0)
        results.append(np.stack([net.flat for net in nets]))
    np.testing.assert_array_equal(results[1], results[0])


@pytest.mark.parametrize(("keep", "error", "message"), [
    ([1, 0], TypeError, "keep must be an array of booleans, got dtype int64"),
    (np.ones((2, 2, 2), dtype=bool), ValueError, "keep must be 1-D (weights) or 2-D (networks x weights)"),
])
def test_keep_pruned_refuses_bad_masks(keep, error, message):
    with pytest.raises(error, match=re.escape(message)):
        KeepPruned(keep)


def test_keep_pruned_refuses_a_mask_of_the_wrong_shape_when_training_starts():
    net = Network(3, 2, 2, seed=0)
    message = "keep must have the shape of the weights the rule acts on (10,), got (5,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        fit(net, np.zeros((2, 3)), np.eye(2), rule=KeepPruned(np.ones(5, dtype=bool)), epochs=1, lr=0.1,
            seed=0)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_fine_tuning_trains_alike_on_both_engines(batch_size):
    """KeepPruned's mask lives in the rule's state, so the compiled engine runs it too (float64)."""
    rng = np.random.default_rng(2)
    x, t = rng.uniform(-1, 1, (2, 10, 3)), np.eye(2)[rng.integers(0, 2, (2, 10))]
    trained = {}
    for engine in ("numpy", "compiled"):
        nets = [Network(3, 4, 2, seed=s, init_range=0.5) for s in (0, 1)]
        keep = prune_weights(nets, [3, 6])
        fit(nets, x, t, rule=KeepPruned(keep), epochs=3, lr=0.2, seed=[7, 8], batch_size=batch_size,
            engine=engine)
        for net, row in zip(nets, keep, strict=True):
            assert np.all(net.weights()[~row] == 0.0), engine
        trained[engine] = np.stack([net.flat for net in nets])
    np.testing.assert_allclose(trained["compiled"], trained["numpy"], rtol=0, atol=1e-12)


def test_keep_pruned_on_one_matrix_splits_its_mask_to_that_matrix():
    """With on=("ho_weights",) the mask covers ho_weights only; ih_weights train freely."""
    rng = np.random.default_rng(3)
    x, t = rng.uniform(-1, 1, (10, 3)), np.eye(2)[rng.integers(0, 2, 10)]
    keep = np.ones(8, dtype=bool)  # ho_weights of a 3-4-2 network: 4 x 2
    keep[[1, 6]] = False
    trained = {}
    for engine in ("numpy", "compiled"):
        net = Network(3, 4, 2, seed=0, init_range=0.5)
        start = net.get_params()["ih_weights"]
        fit(net, x, t, rule=KeepPruned(keep), on=("ho_weights",), epochs=2, lr=0.2, seed=7, engine=engine)
        assert np.all(net.params["ih_weights"] != start)
        assert np.all(net.params["ho_weights"].ravel()[~keep] == 0.0)
        assert np.all(net.params["ho_weights"].ravel()[keep] != 0.0)
        trained[engine] = net.get_flat()
    np.testing.assert_allclose(trained["compiled"], trained["numpy"], rtol=0, atol=1e-12)
