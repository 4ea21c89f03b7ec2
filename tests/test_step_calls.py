"""How many NumPy calls a training step makes: the counts the speed appendix states.

The appendix explains the NumPy engine's speed at the demo's size by counting calls: one
``sgd_step`` of one network on one item, with L1 by the network's penalty, makes 38 (10 in
the forward pass, 6 for the squared error's signal, 8 in the backward pass, 3 for the L1
gradient of each weight matrix, 2 for the update of each of the four blocks); with the
cumulative penalty as the update rule its hook makes 14 per weight matrix where the
sub-gradient rule's makes 3, 60 a step instead of 38; the hand-written step that
``make bench`` compares with makes 28. The step is captured as ``fit`` calls it, with
``fit``'s own arguments, and called again on arrays that count every NumPy call made on
them: each ufunc (operators, ``np.tanh``, ``@``, ``np.add.reduce`` ...) and each function
that dispatches on its arguments (``np.where`` ...).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from l1reg import L1, Network, fit, make_demo_data
from l1reg.core import model, training
from l1reg.core.numpy_namespace import xp
from l1reg.core.update_rules import CumulativePenalty, SubGradient

FROZEN_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "frozen_step.py"


class Counted(np.ndarray):
    """An array that counts the NumPy calls made on it, in ``Counted.calls``."""

    calls = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        Counted.calls += 1
        kwargs = {k: _plain(v) for k, v in kwargs.items()}
        return _counted(getattr(ufunc, method)(*_plain(inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        Counted.calls += 1
        return _counted(func(*_plain(args), **_plain(kwargs)))


def _plain(value):
    """``value`` with every Counted array in it as a plain ndarray (the call is counted once)."""
    if isinstance(value, Counted):
        return value.view(np.ndarray)
    if type(value) in (tuple, list):  # not a NamedTuple such as the step's spec
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _counted(value):
    """``value`` with every array (or NumPy scalar) in it as a Counted array."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value).view(Counted)
    if type(value) in (tuple, list):  # not a NamedTuple such as the step's spec
        return type(value)(_counted(v) for v in value)
    if isinstance(value, dict):
        return {k: _counted(v) for k, v in value.items()}
    return value


def calls_of(function, *args, **kwargs) -> int:
    """How many NumPy calls ``function`` makes on ``args``, every array in them counted."""
    args, kwargs = _counted(args), _counted(kwargs)
    Counted.calls = 0
    function(*args, **kwargs)
    return Counted.calls


def fits_step(net, x, t, seed=0, **settings) -> tuple:
    """The arguments of the first ``core.step.sgd_step`` that ``fit`` takes (one epoch, no history)."""
    taken = []

    def record(*args):
        taken.append(args)
        return step(*args)

    step = training.core_step
    training.core_step = record
    try:
        fit(net, x, t, epochs=1, lr=0.01, seed=seed, record_history=False, **settings)
    finally:
        training.core_step = step
    return taken[0]


@pytest.fixture(scope="module")
def demo_items():
    data = make_demo_data(n_train=2, n_test=1)
    return data.x_train, data.t_train


@pytest.fixture(scope="module")
def one_network_step(demo_items):
    """fit's step on one demo network, one item, with L1 by the network's penalty."""
    x, t = demo_items
    return fits_step(Network(10, 8, 4, seed=0, weight_penalty=L1(0.005)), x[:1], t[:1])


def stack_step(demo_items, rule) -> tuple:
    """fit's step on a stack of two demo networks, one item each, with ``rule`` and no penalty."""
    x, t = demo_items
    nets = [Network(10, 8, 4, seed=i) for i in range(2)]
    return fits_step(nets, np.stack([x[:1]] * 2), np.stack([t[:1]] * 2), seed=[0, 1], rule=rule)


def test_the_counter_counts_each_call_once():
    a = np.ones((1, 2))
    assert calls_of(lambda a: a + 1.0, a) == 1
    assert calls_of(lambda a: np.add.reduce(a * a, axis=-1), a) == 2
    assert calls_of(lambda a: np.where(a > 0, a, -a), a) == 3
    assert calls_of(lambda a: (a.mT @ a, a.shape), a) == 1  # a view and a shape are no calls
    assert calls_of(lambda a: np.tanh(a.view(np.ndarray)), a) == 0  # a plain array is not counted


def test_the_step_fit_takes_is_the_library_step(one_network_step):
    xp_passed, p, x, t, lr, spec, s, state, mask = one_network_step
    assert xp_passed is xp and mask is None and x.shape == (1, 10)
    assert spec.penalties == dict.fromkeys(model.WEIGHT_NAMES, L1.grad)
    assert not spec.adjusts and not spec.moves


def test_one_step_of_one_network_makes_38_numpy_calls(one_network_step):
    assert calls_of(training.core_step, *one_network_step) == 38


def test_the_38_calls_part_by_part(one_network_step):
    _, p, x, t, lr, spec, s, _, _ = one_network_step
    h, o = model.forward(xp, p, x)
    z_signal = model.squared_error_signal(xp, o, t)
    assert spec.signal is model.squared_error_signal
    assert calls_of(model.forward, xp, p, x) == 10
    assert calls_of(model.squared_error_signal, xp, o, t) == 6
    assert calls_of(model.backward, xp, p, x, h, z_signal) == 8
    w = p["ih_weights"]
    assert calls_of(lambda g, w, s: g + L1.grad(xp, s, w), w, w, s["ih_weights"]) == 3
    assert calls_of(lambda w, g, lr: w - lr * g, w, w, lr) == 2
    assert 10 + 6 + 8 + 2 * 3 + 4 * 2 == 38


def test_a_stack_with_the_sub_gradient_rule_makes_the_same_38(demo_items):
    args = stack_step(demo_items, SubGradient(0.005))
    _, p, _, _, _, spec, s, _, _ = args
    assert spec.adjusts and not spec.moves and not spec.penalties
    w = p["ho_weights"]
    assert calls_of(spec.rule.adjust_gradient, xp, s["rule"], w, w) == 3
    assert calls_of(training.core_step, *args) == 38


def test_the_cumulative_penalty_makes_14_calls_per_weight_matrix_and_60_a_step(demo_items):
    args = stack_step(demo_items, CumulativePenalty(0.005))
    _, p, _, _, lr, spec, s, state, _ = args
    assert spec.moves and not spec.adjusts
    for name in model.WEIGHT_NAMES:
        assert calls_of(spec.rule.after_step, xp, s["rule"], p[name], lr, state[name]) == 14
    assert calls_of(training.core_step, *args) == 38 - 2 * 3 + 2 * 14 == 60


def test_the_frozen_step_makes_28_calls(demo_items, monkeypatch):
    spec = importlib.util.spec_from_file_location("frozen_step", FROZEN_PATH)
    frozen_step = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(frozen_step)
    calls = []

    def counting(function):
        def call(*args, **kwargs):
            calls.append(function)
            return function(*args, **kwargs)
        return call

    for name in ("add", "subtract", "multiply", "divide", "tanh", "exp", "sign", "add_reduce", "max_reduce"):
        monkeypatch.setattr(frozen_step, name, counting(getattr(frozen_step, name)))
    x, t = demo_items
    step = frozen_step.FrozenStep(Network(10, 8, 4, seed=0), lam=0.005, lr=0.01, n=1)
    step.outer = counting(step.outer)  # np.matmul, chosen when the step was made
    monkeypatch.setattr(frozen_step, "np", SimpleNamespace(dot=counting(np.dot)))  # all take() uses of np
    step.take(x[:1], x[:1].T, t[:1])
    assert len(calls) == 28
