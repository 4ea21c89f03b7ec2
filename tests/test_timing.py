"""l1reg.book.timing: the machine's description, the fixed cost of a NumPy call, and the
speed appendix's timings (on a fake clock, where the numbers must be exact)."""

import math
import os
from types import SimpleNamespace

import numpy as np
import pytest

from l1reg.book import timing
from l1reg.core._validation import InvalidParameterError
from l1reg.core.network import Network
from l1reg.core.training import fit
from l1reg.core.update_rules import Plain, SubGradient
from l1reg.studies import demo


def test_the_processor_name_is_read_from_the_system(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: X\nmodel name\t: Example Chip 9000\n")
    monkeypatch.setattr(timing, "Path", lambda _: cpuinfo)
    assert timing.processor_name() == "Example Chip 9000"
    monkeypatch.setattr(timing, "Path", lambda _: tmp_path / "missing")
    monkeypatch.setattr(timing.platform, "processor", lambda: "")
    monkeypatch.setattr(timing.platform, "machine", lambda: "x86_64")
    assert timing.processor_name() == "x86_64"


def test_the_usable_cores_are_the_affinity(monkeypatch):
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(timing.os, "sched_getaffinity", lambda pid: {0, 3, 5})
        assert timing.usable_cores() == 3
    assert timing.usable_cores() >= 1


def test_the_blas_threads_are_threadpoolctls(monkeypatch):
    pytest.importorskip("threadpoolctl")
    import threadpoolctl

    info = [{"user_api": "blas", "internal_api": "openblas", "version": "0.3", "num_threads": 4},
            {"user_api": "openmp", "internal_api": "openmp", "version": None, "num_threads": 8}]
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: info)
    assert timing.blas_threads() == [("openblas", "0.3", 4)]


def test_the_description_names_processor_cores_numpy_and_blas(monkeypatch):
    monkeypatch.setattr(timing, "processor_name", lambda: "Example Chip")
    monkeypatch.setattr(timing, "usable_cores", lambda: 2)
    monkeypatch.setattr(timing, "blas_threads", lambda: [("openblas", "0.3", 1)])
    line = timing.describe_machine()
    assert line.startswith("processor: Example Chip; 2 cores; ")
    assert line.endswith(f"NumPy {timing.np.__version__}, BLAS: openblas 0.3 on 1 thread")
    monkeypatch.setattr(timing, "blas_threads", lambda: [])
    assert timing.describe_machine().endswith("BLAS: not reported")


def test_a_numpy_call_costs_a_positive_time_well_under_a_millisecond():
    costs = timing.numpy_call_seconds(tries=2, number=200)
    assert list(costs) == ["an addition", "a tanh", "a matrix product", "a sum over a row"]
    assert all(0.0 < seconds < 1e-3 for seconds in costs.values())


# --- The appendix's timings --------------------------------------------------------------


class FakeClock:
    """``perf_counter`` that moves only when a fake trainer says how long it took."""

    def __init__(self, durations):
        self.now, self.durations = 0.0, list(durations)

    def perf_counter(self):
        return self.now

    def spend(self):
        self.now += self.durations.pop(0)


@pytest.fixture
def clock(monkeypatch):
    def install(durations):
        fake = FakeClock(durations)
        monkeypatch.setattr(timing, "time", SimpleNamespace(perf_counter=fake.perf_counter))
        return fake
    return install


def _problem(sizes, n_items, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n_items, sizes[0]))
    return sizes, x, np.eye(sizes[2])[rng.integers(0, sizes[2], n_items)]


def test_step_times_keeps_the_fastest_of_tries_taken_in_turns(clock):
    datasets = [_problem((2, 3, 2), 4), _problem((3, 2, 2), 5, seed=1)]
    # 3 tries x 2 data sets x 2 versions, in the order they are called; the fastest
    # try differs from entry to entry, so keeping the first or the last would fail
    durations = [8.0, 6.0, 10.0, 30.0,
                 4.0, 9.0, 20.0, 60.0,
                 5.0, 3.0, 40.0, 15.0]
    fake = clock(durations)
    calls = []

    def trainer(name):
        def train(net, x, t, *, epochs, lr, seed):
            fresh = Network(net.n_input, net.n_hidden, net.n_output, seed=7, weight_penalty=timing.L1(0.5))
            calls.append((name, len(x), epochs, lr, seed, net.weight_penalty.lam,
                          np.array_equal(net.get_flat(), fresh.get_flat())))
            net.flat[...] += 1.0  # a network handed on to the next call would show it
            fake.spend()
        return train

    us = timing.step_times([(trainer("a"), 1), (trainer("b"), 2)], datasets, lam=0.5, lr=0.25,
                           tries=3, init_seed=7, order_seed=9)
    order = [(name, n) for name, n, *_ in calls]
    assert order == [("a", 4), ("b", 4), ("a", 5), ("b", 5)] * 3
    assert all(c[2:] == ((1 if c[0] == "a" else 2), 0.25, 9, 0.5, True) for c in calls)
    steps = np.array([[1 * 4, 2 * 4], [1 * 5, 2 * 5]])
    expected = 1e6 * np.array([[4.0, 3.0], [10.0, 15.0]]) / steps
    np.testing.assert_allclose(us, expected, rtol=1e-15)
    assert fake.durations == []


def test_step_times_of_real_trainers_are_positive_microseconds():
    us = timing.step_times([(fit, 1), (fit, 2)], [_problem((2, 2, 2), 6)], tries=1)
    assert us.shape == (1, 2) and np.all((us > 0) & (us < 1e5))


def test_step_times_refuses_a_version_without_epochs():
    with pytest.raises(InvalidParameterError, match=r"^versions\[0\] must be a pair \(train, epochs\)"):
        timing.step_times([fit], [_problem((2, 2, 2), 3)])
    with pytest.raises(InvalidParameterError, match=r"^versions\[0\]\[1\] must be a positive int"):
        timing.step_times([(fit, 0)], [_problem((2, 2, 2), 3)])
    with pytest.raises(InvalidParameterError, match=r"^datasets\[0\]\[0\] must be layer sizes"):
        timing.step_times([(fit, 1)], [((2, 2), np.eye(2), np.eye(2))])


def _fake_fit(fake, calls):
    def fake_fit(nets, x, t, **settings):
        calls.append((nets, x.shape, settings))
        fake.spend()
    return fake_fit


@pytest.mark.parametrize(("warm_up", "durations", "fastest", "first"),
                         [(True, [0.5, 4.0, 2.0], 2.0, 0.5),  # the fast first call is kept out
                          (False, [0.5, 4.0], 0.5, 0.5)])
def test_stack_rates_are_those_of_the_fastest_timed_try(clock, monkeypatch, warm_up, durations, fastest,
                                                        first):
    fake = clock(durations)
    calls = []
    monkeypatch.setattr(timing, "fit", _fake_fit(fake, calls))
    rule = Plain()
    rates = timing.stack_rates(3, engine="compiled", rule=rule, epochs=4, batch_size=3, tries=2,
                               warm_up=warm_up)
    updates = 3 * 4 * math.ceil(200 / 3)  # 67 batches an epoch, the last of two items
    assert rates == timing.StackRates(updates / fastest, 3 * 4 * 200 / fastest, first)
    assert len(calls) == len(durations) and fake.durations == []
    stacks = [c[0] for c in calls]
    assert len({id(net) for stack in stacks for net in stack}) == 3 * len(calls)  # a fresh stack each call
    for _, shape, settings in calls:
        assert shape == (3, 200, 10)
        assert settings == {"epochs": 4, "lr": demo.LR, "seed": [0, 1, 2], "batch_size": 3,
                            "rule": rule, "engine": "compiled"}


def test_stack_rates_train_with_the_demos_sub_gradient_rule_by_default(clock, monkeypatch):
    fake = clock([1.0, 1.0])
    calls = []
    monkeypatch.setattr(timing, "fit", _fake_fit(fake, calls))
    rates = timing.stack_rates(2, tries=1)
    rule = calls[0][2]["rule"]
    assert isinstance(rule, SubGradient) and rule.lam == demo.LAM
    assert calls[0][2]["engine"] == "numpy" and calls[0][2]["epochs"] == 5
    assert rates.updates == rates.items == 2 * 5 * 200 and rates.first_call == 1.0


def test_stack_rates_time_real_training():
    rates = timing.stack_rates(2, epochs=1, batch_size=10, tries=1, warm_up=False)
    assert rates.items == pytest.approx(10 * rates.updates) and rates.updates > 0
    assert rates.first_call == pytest.approx(2 * 20 / rates.updates)


def test_demo_stack_is_n_demo_shaped_networks_on_the_demo_items():
    nets, x, t = demo.demo_stack(3, run=1)
    data = demo.demo_data(1)
    assert x.shape == (3, 200, 10) and t.shape == (3, 200, 4)
    np.testing.assert_array_equal(x[2], data.x_train)
    np.testing.assert_array_equal(t[1], data.t_train)
    for i, net in enumerate(nets):
        assert (net.n_input, net.n_hidden, net.n_output) == (10, 8, 4) and net.weight_penalty is None
        np.testing.assert_array_equal(net.get_flat(), Network(10, 8, 4, seed=i).get_flat())


def test_demo_training_seconds_times_fit_alone_and_trains_as_the_demo(clock, monkeypatch):
    fake = clock([2.5])
    calls = []

    def fake_fit(net, x, t, **settings):
        calls.append(settings)
        fake.spend()

    monkeypatch.setattr(timing, "fit", fake_fit)
    seconds, net = timing.demo_training_seconds("compiled", epochs=3)
    assert seconds == 2.5 and net.weight_penalty.lam == demo.LAM
    assert calls[0]["engine"] == "compiled" and calls[0]["epochs"] == 3
    assert calls[0]["seed"] == demo.demo_seeds(0)["order_seed"] and len(calls[0]["test_data"][0]) == 40


def test_demo_training_seconds_trains_the_demo_network_as_fit_does():
    seconds, net = timing.demo_training_seconds("numpy", epochs=2)
    data, by_hand = demo.demo_data(), demo.demo_network(demo.LAM)
    fit(by_hand, data.x_train, data.t_train, epochs=2, lr=demo.LR, seed=demo.demo_seeds()["order_seed"])
    assert seconds > 0
    np.testing.assert_array_equal(net.get_flat(), by_hand.get_flat())
