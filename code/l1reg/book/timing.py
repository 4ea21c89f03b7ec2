"""What a timing depends on, and the speed appendix's measurements.

The speed appendix and ``benchmarks/bench.py`` print :func:`describe_machine` beside
their timings, so that a reader can tell what kind of machine measured them, and the
appendix measures :func:`numpy_call_seconds` to say what a NumPy call costs before it
does any arithmetic. The appendix's timings are taken here too: :func:`step_times`
(microseconds per SGD step of several trainers on several network sizes),
:func:`stack_rates` (network updates per second of a stack of demo networks) and
:func:`demo_training_seconds` (the demo's whole training on one engine).
"""

from __future__ import annotations

import math
import os
import platform
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from l1reg.core._validation import (
    Flag,
    Instance,
    Int,
    ListOf,
    Matrix,
    Optional,
    Options,
    Real,
    Tuple,
    validate_params,
)
from l1reg.core.network import Network
from l1reg.core.penalties import L1
from l1reg.core.training import ENGINES, fit
from l1reg.core.update_rules import RULE, SubGradient, UpdateRule
from l1reg.studies.demo import EPOCHS, LAM, LR, demo_data, demo_network, demo_seeds, demo_stack


def processor_name() -> str:
    """The processor's model name as the operating system reports it (Linux: /proc/cpuinfo)."""
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown"


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def blas_threads() -> list[tuple[str, str, int]]:
    """Each BLAS library NumPy has loaded, as ``(name, version, threads it may use)``.

    Read with ``threadpoolctl`` (installed with scikit-learn); empty if it is missing.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [(pool.get("internal_api", "?"), pool.get("version") or "?", int(pool["num_threads"]))
            for pool in threadpool_info() if pool.get("user_api") == "blas"]


def describe_machine() -> str:
    """One line: processor, usable cores, load average, NumPy and its BLAS threads.

    Examples
    --------
    >>> line = describe_machine()
    >>> line.startswith("processor: ") and " cores" in line
    True
    """
    parts = [f"processor: {processor_name()}", f"{usable_cores()} cores"]
    if hasattr(os, "getloadavg"):
        parts.append(f"load average {os.getloadavg()[0]:.1f} (programs waiting for or using a core)")
    blas = ", ".join(f"{name} {version} on {threads} thread{'s' if threads != 1 else ''}"
                     for name, version, threads in blas_threads()) or "not reported"
    parts.append(f"NumPy {np.__version__}, BLAS: {blas}")
    return "; ".join(parts)


@validate_params(tries=Int(), number=Int())
def numpy_call_seconds(tries: int = 7, number: int = 20_000) -> dict[str, float]:
    """Seconds per call of a few NumPy calls an SGD step makes, on arrays of a 1-1-2 network.

    Each call writes into an existing array (``out=``), so nothing is allocated: with one
    or two numbers per array, what is timed is the fixed cost of a call alone (the
    step's own calls also allocate their results). The fastest of ``tries`` runs of
    ``number`` calls each.
    """
    a, b, out = np.full((1, 2), 0.5), np.full((1, 2), 0.25), np.empty((1, 2))
    x, w, rows = np.full((1, 1), 0.5), np.full((1, 2), 0.1), np.empty(1)
    names = {"add": np.add, "tanh": np.tanh, "dot": np.dot, "add_reduce": np.add.reduce,
             "a": a, "b": b, "out": out, "x": x, "w": w, "rows": rows}
    calls = {"an addition": "add(a, b, out)", "a tanh": "tanh(a, out)",
             "a matrix product": "dot(x, w, out)", "a sum over a row": "add_reduce(a, -1, None, rows)"}
    return {label: min(timeit.repeat(stmt, globals=names, number=number, repeat=tries)) / number
            for label, stmt in calls.items()}


# --- The speed appendix's timings ------------------------------------------------------


def _no_training(net, x, t, *, epochs, lr, seed) -> None:
    """A trainer that does nothing: the example value of a version's trainer."""


_ENGINE = Options(*sorted(ENGINES))
_VERSION = Tuple(Instance(Callable, "a function train(net, x, t, *, epochs, lr, seed)",
                          example=lambda: _no_training),
                 Int(), what="a pair (train, epochs)")
_SIZES = Tuple(Int(), Int(), Int(), what="layer sizes (n_input, n_hidden, n_output)")
_DATASET = Tuple(_SIZES, Matrix(), Matrix(), what="a triple (sizes, inputs, one-hot targets)")


@validate_params(versions=ListOf(_VERSION, what="a list of pairs (train, epochs)"),
                 datasets=ListOf(_DATASET, what="a list of triples (sizes, inputs, one-hot targets)"),
                 lam=Real(0.0), lr=Real(0.0, strict=True), tries=Int(), init_seed=Int(0),
                 order_seed=Int(0))
def step_times(versions, datasets, *, lam: float = LAM, lr: float = LR, tries: int = 7,
               init_seed: int = 1, order_seed: int = 2) -> np.ndarray:
    """Microseconds per SGD step of each version on each data set: the fastest of ``tries``.

    The tries are taken in turns: each times every version on every data set once, so
    that a slow moment on the machine falls on one try of them all, not on one size or
    one version only. Each timed call is ``train(net, x, t, epochs=epochs, lr=lr,
    seed=order_seed)`` on a fresh ``Network(*sizes, seed=init_seed,
    weight_penalty=L1(lam))``, and its seconds over ``epochs * len(x)`` are one step's.

    Parameters
    ----------
    versions : list of (callable, int)
        Each trainer, called as above (``l1reg.fit`` is one), and the epochs it runs.
    datasets : list of (sizes, x, t)
        Layer sizes ``(n_input, n_hidden, n_output)``, inputs and one-hot targets.
    lam, lr : float
        The L1 strength of every network (>= 0) and the learning rate (> 0); the demo's
        by default.
    tries : int
        Times each version is timed on each data set; the fastest counts.
    init_seed, order_seed : int
        The seed of every network's first weights, and of the visiting order.

    Returns
    -------
    numpy.ndarray
        ``(len(datasets), len(versions))``: row ``k`` is data set ``k``, column ``i`` version ``i``.

    Examples
    --------
    >>> from l1reg.core.training import fit
    >>> us = step_times([(fit, 1)], [((2, 2, 2), np.eye(2), np.eye(2))], tries=2)
    >>> us.shape, bool(us[0, 0] > 0)
    ((1, 1), True)
    """
    best = np.full((len(datasets), len(versions)), np.inf)
    for _ in range(tries):
        for k, (sizes, x, t) in enumerate(datasets):
            for i, (train, epochs) in enumerate(versions):
                net = Network(*sizes, seed=init_seed, weight_penalty=L1(lam))
                start = time.perf_counter()
                train(net, x, t, epochs=epochs, lr=lr, seed=order_seed)
                per_step = (time.perf_counter() - start) / (epochs * len(x))
                best[k, i] = min(best[k, i], 1e6 * per_step)
    return best


class StackRates(NamedTuple):
    """What :func:`stack_rates` measured."""

    #: Network updates per second in the fastest timed try (one step of one network is one update).
    updates: float
    #: Training items per second in that try, over all the networks.
    items: float
    #: Seconds of the first call: with ``warm_up``, the untimed one (with a compiled engine,
    #: most of it compiling); without, the first timed try.
    first_call: float


@validate_params(n=Int(), engine=_ENGINE, rule=Optional(RULE), epochs=Int(), batch_size=Int(),
                 tries=Int(), warm_up=Flag())
def stack_rates(n: int, *, engine: str = "numpy", rule: UpdateRule | None = None, epochs: int = 5,
                batch_size: int = 1, tries: int = 2, warm_up: bool = True) -> StackRates:
    """Network updates and items per second of ``fit`` on a stack of ``n`` demo networks.

    Each call trains a fresh :func:`~l1reg.studies.demo.demo_stack` of ``n`` networks on
    the demo's 200 items, network ``i`` in the visiting order of seed ``i``. The rates
    are those of the fastest of ``tries`` timed calls. With ``warm_up``, one call comes
    first and is kept out of the rates: a compiled engine compiles in its first call
    for a new stack size.

    Parameters
    ----------
    n : int
        Networks in the stack.
    engine : {"numpy", "compiled"}
        The engine ``fit`` trains with.
    rule : UpdateRule or None
        The update rule of every network; ``None`` is the sub-gradient rule at the
        demo's strength.
    epochs, batch_size : int
        Epochs of each call, and items per update.
    tries : int
        Timed calls; the fastest counts.
    warm_up : bool
        Whether one call comes first, kept out of the rates.

    Returns
    -------
    StackRates
        Network updates and items per second, and the first call's seconds.

    Examples
    --------
    >>> rates = stack_rates(1, epochs=1, tries=1)
    >>> rates.updates == rates.items, rates.first_call > 0  # per-item steps: an update is an item
    (True, True)
    """
    rule = SubGradient(LAM) if rule is None else rule
    seconds = []
    for _ in range(int(warm_up) + tries):
        nets, x, t = demo_stack(n)
        start = time.perf_counter()
        fit(nets, x, t, epochs=epochs, lr=LR, seed=list(range(n)), batch_size=batch_size,
            rule=rule, engine=engine)
        seconds.append(time.perf_counter() - start)
    fastest = min(seconds[int(warm_up):])
    n_items = x.shape[1]
    updates = n * epochs * math.ceil(n_items / batch_size)
    return StackRates(updates / fastest, n * epochs * n_items / fastest, seconds[0])


@validate_params(engine=_ENGINE, epochs=Int(), run=Int(0))
def demo_training_seconds(engine: str = "numpy", epochs: int = EPOCHS, run: int = 0) -> tuple[float, Network]:
    """Seconds of the demo's training with L1 by ``engine``, and the network it trained.

    The demo network of seed set ``run`` (:func:`~l1reg.studies.demo.demo_network`)
    trains as in chapter 4: per-item steps, its error and accuracy on the training and
    test items recorded after every epoch. Only ``fit`` is timed; a compiled engine's
    first call of a kind includes compiling.

    Parameters
    ----------
    engine : {"numpy", "compiled"}
        The engine ``fit`` trains with.
    epochs : int
        Epochs of training; the demo's 500 by default.
    run : int
        The demo's seed set (its data, first weights and visiting order).

    Returns
    -------
    tuple of (float, Network)
        The seconds ``fit`` took, and the trained network.

    Examples
    --------
    >>> seconds, net = demo_training_seconds("numpy", epochs=1)
    >>> seconds > 0, net.n_params
    (True, 124)
    """
    data, seeds = demo_data(run), demo_seeds(run)
    net = demo_network(LAM, run)
    start = time.perf_counter()
    fit(net, data.x_train, data.t_train, epochs=epochs, lr=LR, seed=seeds["order_seed"],
        test_data=(data.x_test, data.t_test), engine=engine)
    return time.perf_counter() - start, net
