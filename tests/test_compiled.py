"""The compiled engine (``fit(..., engine="compiled")``) against the NumPy engine.

Both engines take the one step :func:`l1reg.core.step.sgd_step`, NumPy in a Python loop
and JAX under ``lax.scan``: with the same visiting orders, after a few hundred steps the
parameters agree to 1e-12 in float64 for every update rule, and so do the per-epoch
histories. Each case compiles once (about a second), so the cases are few and each
covers several settings.
"""

import numpy as np
import pytest

pytest.importorskip("jax")

from test_penalties import NumpyQuartic  # noqa: E402  (a penalty of one's own, for NumPy only)

from l1reg import L1, L1L2, L2, Network, fit
from l1reg.core import compiled  # noqa: E402
from l1reg.core.losses import Loss, squared_error, squared_error_signal  # noqa: E402
from l1reg.core.training import Callback  # noqa: E402
from l1reg.core.update_rules import (  # noqa: E402
    CumulativePenalty,
    ElasticNetGradient,
    ElasticNetProximal,
    GroupProximal,
    L2Gradient,
    Plain,
    Proximal,
    SubGradient,
    TackOn,
    TruncatedGradient,
)
from l1reg.regularize.constraints import MaxNorm  # noqa: E402
from l1reg.regularize.dropout import Dropout  # noqa: E402
from l1reg.regularize.early_stopping import EarlyStopping  # noqa: E402
from l1reg.regularize.pruning import KeepPruned  # noqa: E402

N_ITEMS, SIZES = 40, (5, 4, 3)


def _stack(n_rep, *, loss="squared", weight_penalty=None, bias_penalty=None, dtype=np.float64, seed=0):
    nets = [Network(*SIZES, seed=seed + i, init_range=0.5, loss=loss, weight_penalty=weight_penalty,
                    bias_penalty=bias_penalty, dtype=dtype) for i in range(n_rep)]
    rng = np.random.default_rng(seed + 100)
    x = rng.uniform(-1.0, 1.0, (n_rep, N_ITEMS, SIZES[0]))
    t = np.eye(SIZES[2])[rng.integers(0, SIZES[2], (n_rep, N_ITEMS))]
    return nets, x, t


def _both(make, **settings):
    """Train two identical stacks, one per engine; return (nets, histories) of each."""
    results = []
    for engine in ("numpy", "compiled"):
        nets, x, t = make()
        seeds = [np.random.default_rng(7 + i) for i in range(len(nets))]
        histories = fit(nets, x, t, seed=seeds, engine=engine, **settings)
        results.append((nets, histories))
    return results


def _max_difference(results) -> float:
    (a, _), (b, _) = results
    return max(float(np.abs(p.flat - q.flat).max()) for p, q in zip(a, b, strict=True))


CASES = [
    pytest.param({"rule": [SubGradient(lam) for lam in (0.0, 0.01, 0.03)], "batch_size": 1}, {},
                 id="subgradient-per-item"),
    pytest.param({"rule": [Proximal(lam) for lam in (0.001, 0.01, 0.05)], "batch_size": 7,
                  "on": ("ih_weights",)}, {"loss": "cross_entropy"}, id="proximal-ih-batches-of-7"),
    pytest.param({"rule": [L2Gradient(0.01), L2Gradient(0.02), L2Gradient(0.0)], "batch_size": 40}, {},
                 id="l2-full-batch"),
    pytest.param({"rule": [ElasticNetGradient(0.01, l2) for l2 in (0.0, 0.01, 0.1)], "batch_size": 3},
                 {"loss": "cross_entropy", "bias_penalty": L2(0.01)}, id="elastic-net-batches-of-3"),
    pytest.param({"rule": [ElasticNetProximal(l1, l2) for l1, l2 in ((0.01, 0.0), (0.0, 0.01), (0.02, 0.1))],
                  "batch_size": 2}, {"bias_penalty": L2(0.01)}, id="elastic-net-proximal-batches-of-2"),
    pytest.param({"rule": [Plain(), SubGradient(0.02), Proximal(0.02), L2Gradient(0.02),
                           ElasticNetGradient(0.01, 0.01), ElasticNetProximal(0.01, 0.01)],
                  "batch_size": 1}, {},
                 id="a-mix-of-kinds"),
    pytest.param({"batch_size": 6, "on": ("ho_weights",)},
                 {"loss": "cross_entropy", "weight_penalty": L1L2(0.01, 0.02), "bias_penalty": L1(0.01)},
                 id="network-penalties-plain-rule"),
    pytest.param({"rule": [TackOn(c) for c in (0.0, 0.001, 0.003)], "batch_size": 1}, {},
                 id="tack-on-per-item"),
    pytest.param({"rule": [CumulativePenalty(lam) for lam in (0.001, 0.01, 0.03)], "batch_size": 4},
                 {"loss": "cross_entropy"}, id="cumulative-batches-of-4"),
    pytest.param({"rule": [TruncatedGradient(0.01, theta=theta, k=k) for theta, k in ((np.inf, 1), (0.3, 2),
                                                                                      (0.1, 5))],
                  "batch_size": 1}, {}, id="truncated-per-item"),
    pytest.param({"rule": [GroupProximal(lam) for lam in (0.01, 0.05, 0.2)], "batch_size": 5,
                  "on": ("ih_weights",)}, {}, id="group-proximal-ih"),
    pytest.param({"rule": [MaxNorm(c) for c in (0.3, 1.0, 5.0)], "batch_size": 2},
                 {"weight_penalty": L2(0.01)}, id="max-norm-with-l2"),
    pytest.param({"rule": KeepPruned(np.arange(3 * 32).reshape(3, 32) % 3 > 0), "batch_size": 3}, {},
                 id="keep-pruned"),
    pytest.param({"rule": [TackOn(0.001), CumulativePenalty(0.01), TruncatedGradient(0.01, k=3),
                           GroupProximal(0.05), MaxNorm(0.5), Plain()], "batch_size": 1}, {},
                 id="a-mix-of-the-other-kinds"),
]


@pytest.mark.parametrize(("settings", "net_settings"), CASES)
def test_a_stack_ends_where_the_numpy_engine_ends_and_records_the_same_history(settings, net_settings):
    n_rep = len(settings["rule"]) if isinstance(settings.get("rule"), list) else 3
    results = _both(lambda: _stack(n_rep, **net_settings), epochs=5, lr=0.1, **settings)
    assert _max_difference(results) < 1e-12
    moved = max(float(np.abs(n.flat - m.flat).max())
                for n, m in zip(results[1][0], _stack(n_rep, **net_settings)[0], strict=True))
    assert moved > 0.01  # the networks did train (5 steps at full batch, 200 per item)
    (_, ha), (_, hb) = results
    for one, other in zip(ha, hb, strict=True):
        np.testing.assert_allclose(one.train_error, other.train_error, rtol=0, atol=1e-12)
        assert one.train_accuracy == other.train_accuracy


def test_one_network_with_its_own_l1_penalty_matches_the_numpy_engine():
    def make():
        nets, x, t = _stack(1, weight_penalty=L1(0.01))
        return nets[0], x[0], t[0]

    flats, histories = [], []
    for engine in ("numpy", "compiled"):
        net, x, t = make()
        histories.append(fit(net, x, t, epochs=5, lr=0.1, seed=3, engine=engine, test_data=(x[:9], t[:9])))
        flats.append(net.flat)
    assert np.abs(flats[0] - flats[1]).max() < 1e-12
    assert histories[0].test_accuracy == histories[1].test_accuracy
    np.testing.assert_allclose(histories[0].test_error, histories[1].test_error, rtol=0, atol=1e-12)


def test_float32_networks_train_in_float32_close_to_the_numpy_engine():
    results = _both(lambda: _stack(2, weight_penalty=L1(0.01), dtype=np.float32), epochs=2, lr=0.1,
                    batch_size=4)
    assert all(net.flat.dtype == np.float32 for net in results[1][0])
    assert _max_difference(results) < 1e-5


def test_early_stopping_stops_and_restores_as_with_numpy():
    stops = []

    def make():
        nets, x, t = _stack(2, weight_penalty=L1(0.01))
        _, x_val, t_val = _stack(2, seed=50)  # other random labels: fitting x, t makes them worse
        stops.append(EarlyStopping(x_val[:, :10], t_val[:, :10], patience=2))
        return nets, x, t

    results = []
    for engine in ("numpy", "compiled"):
        nets, x, t = make()
        fit(nets, x, t, epochs=30, lr=0.5, seed=[1, 2], engine=engine, batch_size=10, callbacks=[stops[-1]])
        results.append((nets, None))
    assert stops[0].best_epoch == stops[1].best_epoch
    assert len(stops[0].val_error[0]) == len(stops[1].val_error[0]) < 30  # it did stop early
    assert _max_difference(results) < 1e-12


def test_a_second_fit_of_the_same_configuration_does_not_compile_again():
    """The strengths are arguments of the compiled functions: a new strength reuses them."""
    nets, x, t = _stack(2, weight_penalty=L2(0.01))
    fit(nets, x, t, epochs=4, lr=0.1, seed=[1, 2], engine="compiled", batch_size=8, rule=Proximal(0.01))
    keys, sizes = len(compiled._CACHE), _compiled_sizes()
    nets, x, t = _stack(2, weight_penalty=L2(0.02), seed=5)  # other strengths: the same compiled epochs
    fit(nets, x, t, epochs=3, lr=0.2, seed=[1, 2], engine="compiled", batch_size=8,  # 3 epochs: padded to 4
        rule=[Proximal(0.02), Proximal(0.05)])
    assert (len(compiled._CACHE), _compiled_sizes()) == (keys, sizes)
    for _ in range(2):  # with a callback: one compiled epoch per call, compiled once
        fit(nets, x, t, epochs=1, lr=0.2, seed=[1, 2], engine="compiled", batch_size=8, callbacks=[_Watch()])
    sizes = _compiled_sizes()
    fit(nets, x, t, epochs=2, lr=0.3, seed=[1, 2], engine="compiled", batch_size=8, callbacks=[_Watch()])
    assert _compiled_sizes() == sizes


def _compiled_sizes() -> int:
    """How many compiled versions all the engine's jitted functions hold."""
    return sum(f._cache_size() for functions in compiled._CACHE.values() for f in functions.values())


class _Watch(Callback):
    """A callback that only looks: it sends the engine down the one-epoch-per-call path."""

    def __init__(self):
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append((epoch, self.model.get_weights()))


@pytest.mark.parametrize(("per_call", "budget"), [(8, None), (4, None), (8, 2 * 3 * 40)],
                         ids=["one-call-3-padded", "calls-of-4-last-padded", "budget-calls-of-2-last-padded"])
def test_epochs_in_few_calls_give_what_one_epoch_per_call_gives(monkeypatch, per_call, budget):
    """No callback: the 5 epochs in one compiled call, or in calls of 4 or (past the
    orders budget) of 2, the last padded; with one, a call per epoch. The same
    parameters and histories, exactly."""
    monkeypatch.setattr(compiled, "EPOCHS_PER_CALL", per_call)
    if budget is not None:
        monkeypatch.setattr(compiled, "ORDERS_BUDGET", budget)  # calls of 2 epochs: 2, 2, 1 + padding
    results, watch = [], _Watch()
    for callbacks in ([], [watch]):
        nets, x, t = _stack(3, loss="cross_entropy", bias_penalty=L2(0.01))
        histories = fit(nets, x, t, epochs=5, lr=0.1, seed=[4, 5, 6], engine="compiled", batch_size=3,
                        rule=[SubGradient(0.01), Proximal(0.02), Plain()], callbacks=callbacks,
                        test_data=(x[:, :9], t[:, :9]))
        results.append((np.stack([net.flat for net in nets]), histories))
    (flat_all, h_all), (flat_each, h_each) = results
    assert [epoch for epoch, _ in watch.seen] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(flat_all, flat_each)
    assert h_all == h_each  # train and test errors and accuracies, every epoch, every network
    assert len(h_all[0].test_error) == 5


def test_epochs_per_call_are_a_power_of_two_within_the_budget(monkeypatch):
    per_call = compiled.EPOCHS_PER_CALL
    assert per_call >= 1 and per_call & (per_call - 1) == 0  # a power of two: few call lengths
    monkeypatch.setattr(compiled, "EPOCHS_PER_CALL", 4)
    assert [compiled._chunk_epochs(e, 64 * 200) for e in (1, 2, 3, 5, 500)] == [1, 2, 4, 4, 4]
    monkeypatch.setattr(compiled, "EPOCHS_PER_CALL", 1024)
    assert [compiled._chunk_epochs(e, 64 * 200) for e in (1, 2, 3, 5, 8, 9, 500)] == [1, 2, 4, 8, 8, 16, 256]
    assert compiled._chunk_epochs(500, 256 * 200) == 64  # 64 x 256 x 200 <= 2**22 entries
    assert compiled._chunk_epochs(7, 10 * compiled.ORDERS_BUDGET) == 1


def test_jax_default_precision_is_left_as_it_was():
    import jax

    before = jax.config.jax_enable_x64
    nets, x, t = _stack(2, weight_penalty=L1(0.01))
    fit(nets, x, t, epochs=1, lr=0.1, seed=[1, 2], engine="compiled", batch_size=8)
    assert jax.config.jax_enable_x64 == before


@pytest.mark.parametrize(
    ("net_settings", "settings", "message"),
    [
        ({}, {"noise": Dropout(0.5, seed=0)}, "noise=Dropout"),
        ({"weight_penalty": NumpyQuartic(0.1)}, {}, "weight_penalty=NumpyQuartic"),
        ({"bias_penalty": NumpyQuartic(0.1)}, {}, "bias_penalty=NumpyQuartic"),
        ({"loss": Loss("quartic", squared_error, squared_error_signal)}, {}, "loss Loss"),
    ],
)
def test_what_the_compiled_engine_does_not_compute_is_refused_naming_it(net_settings, settings, message):
    nets, x, t = _stack(2, **net_settings)
    before = [net.flat.copy() for net in nets]
    with pytest.raises(ValueError, match=message) as error:
        fit(nets, x, t, epochs=1, lr=0.1, seed=[1, 2], engine="compiled", **settings)
    assert 'use engine="numpy"' in str(error.value)
    assert all(np.array_equal(net.flat, b) for net, b in zip(nets, before, strict=True))


def test_an_unknown_engine_is_refused_listing_both():
    nets, x, t = _stack(1)
    with pytest.raises(ValueError, match=r"engine must be one of \['compiled', 'numpy'\], got 'xla'"):
        fit(nets[0], x[0], t[0], epochs=1, lr=0.1, seed=1, engine="xla")


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_without_a_history_the_parameters_are_the_same_and_the_histories_empty(engine):
    recorded, _, _ = _stack(3)
    bare, x, t = _stack(3)
    rule = [SubGradient(0.01), Proximal(0.02), L2Gradient(0.01)]
    settings = dict(epochs=3, lr=0.1, seed=[0, 1, 2], rule=rule, engine=engine, test_data=(x, t))
    full = fit(recorded, x, t, **settings)
    empty = fit(bare, x, t, record_history=False, **settings)
    assert len(full[0].train_error) == 3 and len(full[0].test_accuracy) == 3
    assert all(h.train_error == [] and h.test_accuracy == [] for h in empty)
    for a, b in zip(recorded, bare, strict=True):
        np.testing.assert_array_equal(a.flat, b.flat)


def test_record_history_must_be_a_flag():
    nets, x, t = _stack(1)
    with pytest.raises(TypeError, match="record_history must be True or False"):
        fit(nets[0], x[0], t[0], epochs=1, lr=0.1, seed=0, record_history="no")


class _SetFirstPenalty(Callback):
    """After epoch 1, give the stack's first network a penalty of another kind."""

    def __init__(self, net, penalty) -> None:
        self.net, self.penalty = net, penalty

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            self.net.weight_penalty = self.penalty


@pytest.mark.parametrize(("penalty", "change"), [(L2(0.5), "L1 to L2"), (None, "L1 to NoneType")],
                         ids=["l1-to-l2", "l1-to-none"])
def test_a_penalty_of_another_kind_set_by_a_callback_is_refused_as_with_numpy(penalty, change):
    """The compiled step is the one training began with, as the NumPy engine's: refused alike, and
    the networks hold epoch 1's parameters on both engines."""
    held = {}
    for engine in ("numpy", "compiled"):
        nets, x, t = _stack(2, weight_penalty=L1(0.01))
        with pytest.raises(ValueError, match=rf"^net\.weight_penalty changed from {change} after epoch 1"):
            fit(nets, x, t, epochs=3, lr=0.1, seed=[7, 8], batch_size=10, engine=engine,
                callbacks=[_SetFirstPenalty(nets[0], penalty)])
        held[engine] = np.stack([net.flat for net in nets])
    np.testing.assert_allclose(held["compiled"], held["numpy"], rtol=0, atol=1e-12)


def test_a_strength_set_by_a_callback_keeps_working_with_a_penalty_of_the_same_kind():
    trained = {}
    for engine in ("numpy", "compiled"):
        nets, x, t = _stack(2, weight_penalty=L1(0.01))
        fit(nets, x, t, epochs=3, lr=0.1, seed=[7, 8], batch_size=10, engine=engine,
            callbacks=[_SetFirstPenalty(nets[0], L1(0.3))])
        trained[engine] = np.stack([net.flat for net in nets])
    np.testing.assert_allclose(trained["compiled"], trained["numpy"], rtol=0, atol=1e-12)
