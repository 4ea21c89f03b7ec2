"""The portability runner: which settings each CPU variant gets, and when it leaves them alone."""

import importlib.util
import sys
from pathlib import Path

import pytest

RUNNER_PATH = Path(__file__).resolve().parent / "run_portable.py"
ALL_GROUPS = {"X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"}
AVX512_FLAGS = {"avx", "avx2", "avx512f"}


@pytest.fixture(scope="module")
def runner():
    spec = importlib.util.spec_from_file_location("run_portable", RUNNER_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_portable"] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["run_portable"]


def variant(runner, name):
    return next(v for v in runner.VARIANTS if v.name == name)


def test_the_machine_variant_changes_nothing(runner):
    base = {"PATH": "/bin"}
    env, notes = runner.variant_environment(variant(runner, "machine"), base, ALL_GROUPS, AVX512_FLAGS)
    assert env == base
    assert notes == []


def test_the_avx2_variant_switches_off_avx512_everywhere(runner):
    env, notes = runner.variant_environment(variant(runner, "avx2"), {}, ALL_GROUPS, AVX512_FLAGS)
    assert env["NPY_DISABLE_CPU_FEATURES"].split() == ["AVX512_SPR", "AVX512_ICL", "X86_V4"]
    assert env["OPENBLAS_CORETYPE"] == "Haswell"
    assert env["XLA_FLAGS"] == "--xla_cpu_max_isa=AVX2"
    assert notes == []


def test_the_avx_variant_also_switches_off_avx2(runner):
    env, _ = runner.variant_environment(variant(runner, "avx"), {}, ALL_GROUPS, AVX512_FLAGS)
    assert "X86_V3" in env["NPY_DISABLE_CPU_FEATURES"].split()
    assert env["OPENBLAS_CORETYPE"] == "Sandybridge"
    assert env["XLA_FLAGS"] == "--xla_cpu_max_isa=AVX"


def test_the_sse_variant_is_a_machine_without_avx(runner):
    env, notes = runner.variant_environment(variant(runner, "sse"), {}, ALL_GROUPS, AVX512_FLAGS | {"sse4_2"})
    assert {"X86_V3", "X86_V4"} <= set(env["NPY_DISABLE_CPU_FEATURES"].split())
    assert env["OPENBLAS_CORETYPE"] == "Nehalem"
    assert env["XLA_FLAGS"] == "--xla_cpu_max_isa=SSE4_2"
    assert notes == []


@pytest.mark.parametrize("preset", [{"OPENBLAS_CORETYPE": "Zen"}, {"OPENBLAS_L2_SIZE": "1048576"}])
def test_a_preset_openblas_setting_is_left_exactly_as_it_is(runner, preset):
    env, notes = runner.variant_environment(variant(runner, "avx2"), preset, ALL_GROUPS, AVX512_FLAGS)
    for name in runner.OPENBLAS_VARS:
        assert env.get(name) == preset.get(name)
    assert "NPY_DISABLE_CPU_FEATURES" in env and "XLA_FLAGS" in env  # the rest still varies
    assert any("left as they are" in note for note in notes)


def test_only_the_groups_this_cpu_has_are_switched_off(runner):
    env, _ = runner.variant_environment(variant(runner, "avx"), {}, {"X86_V3"}, {"avx", "avx2"})
    assert env["NPY_DISABLE_CPU_FEATURES"] == "X86_V3"
    env, notes = runner.variant_environment(variant(runner, "avx2"), {}, {"X86_V3"}, {"avx", "avx2"})
    assert "NPY_DISABLE_CPU_FEATURES" not in env
    assert any("NumPy runs as on the machine" in note for note in notes)


def test_openblas_kernels_the_cpu_cannot_run_are_not_forced(runner):
    env, notes = runner.variant_environment(variant(runner, "avx2"), {}, ALL_GROUPS, {"avx"})
    assert "OPENBLAS_CORETYPE" not in env
    assert any("lacks avx2" in note for note in notes)


def test_existing_settings_are_extended_not_replaced(runner):
    base = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2", "NPY_DISABLE_CPU_FEATURES": "AVX512_SPR"}
    has = ALL_GROUPS - {"AVX512_SPR"}
    env, _ = runner.variant_environment(variant(runner, "avx2"), base, has, AVX512_FLAGS)
    assert env["XLA_FLAGS"].split() == ["--xla_force_host_platform_device_count=2", "--xla_cpu_max_isa=AVX2"]
    assert env["NPY_DISABLE_CPU_FEATURES"].split() == ["AVX512_SPR", "AVX512_ICL", "X86_V4"]


def test_the_probe_sees_a_variant_take_effect(runner):
    base = {k: v for k, v in __import__("os").environ.items() if k not in runner.OPENBLAS_VARS}
    machine = runner.probe(base)
    has = {g for g, on in machine["groups"].items() if on}
    if "X86_V4" not in has:
        pytest.skip("this CPU has no AVX-512 group to switch off")
    env, _ = runner.variant_environment(variant(runner, "avx2"), base, has, runner.cpu_flags())
    seen = runner.probe(env)
    assert seen["groups"]["X86_V4"] is False
    assert seen["openblas"] == ["Haswell"]


def test_an_unknown_variant_is_refused(runner):
    with pytest.raises(SystemExit):
        runner.main(["--variants", "machine,pentium"])
