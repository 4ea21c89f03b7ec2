"""Run nbval over every notebook once per CPU variant: the stored outputs must hold on all.

``make test-portable`` runs this script. The notebooks' stored outputs were made on one
machine; a reader's laptop runs other SIMD code paths in NumPy, other OpenBLAS kernels
and other XLA code, which round differently. This script re-runs nbval, one variant after
the other on this machine and against the *same* stored outputs, with the wider paths
switched off:

1. ``machine``: the machine as it is;
2. ``avx2``: an AVX2 laptop, NumPy's AVX-512 dispatch groups off, OpenBLAS's Haswell
   kernels, XLA limited to AVX2;
3. ``avx``: an older AVX machine, NumPy's AVX2 and AVX-512 groups off, OpenBLAS's
   Sandybridge kernels, XLA limited to AVX;
4. ``sse``: a machine older still, without AVX: NumPy on its SSE4.2 baseline (as for
   ``avx``: NumPy has no AVX-only group), OpenBLAS's Nehalem kernels, XLA limited to SSE4.2.

NumPy 2 ignores single feature names such as ``AVX512F`` in ``NPY_DISABLE_CPU_FEATURES``
without a word; the group names (``X86_V3``, ``X86_V4``, ``AVX512_ICL``, ``AVX512_SPR``)
take effect, so those are used, and only the groups this CPU has (NumPy refuses to
disable a feature the CPU lacks). Before each run the script starts a Python with the
variant's environment and prints what NumPy and OpenBLAS then use, so a variant that does
not take effect is seen, not assumed.

Some machines set ``OPENBLAS_CORETYPE`` (and ``OPENBLAS_L2_SIZE``) on purpose, because
older OpenBLAS builds compute wrong results or crash on their processors. Where either is
set, both are left exactly as they are, only NumPy's and XLA's paths vary, and the script
says so. On a CPU that is not x86-64 (Apple silicon, say) there are no such variants
here: the script runs the machine as it is and says so.

Usage: ``python tests/run_portable.py [--variants machine,avx2,avx,sse] [NOTEBOOK ...] [pytest args]``;
the exit status is 1 if any cell differed in any variant.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass(frozen=True)
class Variant:
    """A CPU the reader may have: what NumPy, OpenBLAS and XLA may not use on it."""

    name: str
    description: str
    numpy_groups: tuple[str, ...] = ()  # NumPy dispatch groups switched off
    openblas_core: str | None = None  # OPENBLAS_CORETYPE, the kernels OpenBLAS uses
    openblas_needs: str | None = None  # CPU flag those kernels need (in /proc/cpuinfo)
    xla_isa: str | None = None  # --xla_cpu_max_isa


VARIANTS = (
    Variant("machine", "the machine as it is"),
    Variant(
        "avx2", "an AVX2 laptop",
        numpy_groups=("AVX512_SPR", "AVX512_ICL", "X86_V4"),
        openblas_core="Haswell", openblas_needs="avx2", xla_isa="AVX2",
    ),
    Variant(
        "avx", "an older AVX machine",
        numpy_groups=("AVX512_SPR", "AVX512_ICL", "X86_V4", "X86_V3"),
        openblas_core="Sandybridge", openblas_needs="avx", xla_isa="AVX",
    ),
    Variant(
        "sse", "an older SSE4.2 machine",
        numpy_groups=("AVX512_SPR", "AVX512_ICL", "X86_V4", "X86_V3"),
        openblas_core="Nehalem", openblas_needs="sse4_2", xla_isa="SSE4_2",
    ),
)


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux lists them (empty where there is no /proc/cpuinfo)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _extended(base: dict[str, str], name: str, *values: str) -> str:
    """``base[name]`` with ``values`` after it, space-separated: added to, never replaced."""
    return " ".join(filter(None, [base.get(name), *values]))


def variant_environment(
    variant: Variant, base: dict[str, str], numpy_has: set[str], flags: set[str]
) -> tuple[dict[str, str], list[str]]:
    """The environment for one variant, and what the reader should know about it.

    ``numpy_has`` is the set of NumPy dispatch groups this CPU supports (NumPy refuses
    to disable one it does not); ``flags`` the CPU's flags, for the OpenBLAS kernels.
    """
    env, notes = dict(base), []
    groups = [g for g in variant.numpy_groups if g in numpy_has]
    if groups:
        env["NPY_DISABLE_CPU_FEATURES"] = _extended(base, "NPY_DISABLE_CPU_FEATURES", *groups)
    elif variant.numpy_groups:
        notes.append("this CPU has none of NumPy's groups to switch off: NumPy runs as on the machine")
    if variant.openblas_core:
        preset = [name for name in OPENBLAS_VARS if name in base]
        if preset:
            notes.append(
                f"{' and '.join(preset)} already set here ({', '.join(f'{n}={base[n]}' for n in preset)}): "
                "left as they are, OpenBLAS's kernels are not varied"
            )
        elif variant.openblas_needs not in flags:
            notes.append(f"this CPU lacks {variant.openblas_needs}: OpenBLAS's kernels are not varied")
        else:
            env["OPENBLAS_CORETYPE"] = variant.openblas_core
    if variant.xla_isa:
        env["XLA_FLAGS"] = _extended(base, "XLA_FLAGS", f"--xla_cpu_max_isa={variant.xla_isa}")
    return env, notes


PROBE = """
import json
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__ as features
from threadpoolctl import threadpool_info
blas = [i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"]
groups = [g for g in ("X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR") if g in features]
print(json.dumps({"groups": {g: bool(features[g]) for g in groups}, "openblas": blas}))
"""


def probe(env: dict[str, str]) -> dict:
    """What NumPy and OpenBLAS use in a fresh Python started with ``env``."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def describe(env: dict[str, str], seen: dict) -> str:
    on = [g for g, enabled in seen["groups"].items() if enabled]
    off = [g for g, enabled in seen["groups"].items() if not enabled]
    blas = ", ".join(a or "?" for a in seen["openblas"]) or "no OpenBLAS found"
    names = ("NPY_DISABLE_CPU_FEATURES", *OPENBLAS_VARS, "XLA_FLAGS")
    settings = [f"{n}={env[n]}" for n in names if n in env]
    return (
        f"  settings: {' '.join(settings) or '(none)'}\n"
        f"  NumPy groups on: {' '.join(on) or '(none)'}; off: {' '.join(off) or '(none)'}\n"
        f"  OpenBLAS kernels: {blas}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default=",".join(v.name for v in VARIANTS),
                        help="comma-separated names from: " + ", ".join(v.name for v in VARIANTS))
    parser.add_argument("notebooks", nargs="*", default=["chapters"],
                        help="notebooks or folders to check (default: chapters)")
    args, pytest_args = parser.parse_known_args(argv)
    wanted = args.variants.split(",")
    unknown = sorted(set(wanted) - {v.name for v in VARIANTS})
    if unknown:
        parser.error(f"unknown variants {unknown}")
    variants = [v for v in VARIANTS if v.name in wanted]

    x86 = platform.machine().lower() in ("x86_64", "amd64")
    if not x86:
        print(f"This CPU is {platform.machine()}, not x86-64: only the machine as it is can be run here.")
        variants = [v for v in variants if v.name == "machine"]
    base = dict(os.environ)
    seen_machine = probe(base)
    numpy_has = {g for g, enabled in seen_machine["groups"].items() if enabled}
    flags = cpu_flags()

    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
               "--nbval-cell-timeout=600", "-q", *args.notebooks, *pytest_args]
    results = []
    for i, variant in enumerate(variants, 1):
        env, notes = variant_environment(variant, base, numpy_has, flags)
        print(f"\n=== variant {i}/{len(variants)}: {variant.name}, {variant.description} ===", flush=True)
        print(describe(env, probe(env)))
        for note in notes:
            print(f"  note: {note}")
        print(f"  running: {' '.join(command[2:])}", flush=True)
        start = time.monotonic()
        code = subprocess.run(command, env=env, cwd=ROOT).returncode
        results.append((variant.name, code, time.monotonic() - start))

    print("\n=== nbval on every variant ===")
    for name, code, seconds in results:
        print(f"  {name:<8} {'PASS' if code == 0 else 'FAIL'}  ({seconds:.0f} s)")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
