"""l1reg.book.timing: the machine's description and the fixed cost of a NumPy call."""

import os

import pytest

from l1reg.book import timing


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
