"""What a timing depends on: the machine it ran on, and the fixed cost of one NumPy call.

The speed appendix and ``benchmarks/bench.py`` print :func:`describe_machine` beside
their timings, so that a reader can tell what kind of machine measured them, and the
appendix measures :func:`numpy_call_seconds` to say what a NumPy call costs before it
does any arithmetic.
"""

from __future__ import annotations

import os
import platform
import timeit
from pathlib import Path

import numpy as np

from l1reg.core._validation import Int, validate_params


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
