"""Chapter 09's whole study: the map of (d, n) cells and the controls, written to one file.

The study is too slow for a notebook (about 45 minutes on two cores), so ``make study``
runs it (``python -m l1reg.studies.payoff_study FILE``) and writes every cell's
:class:`~l1reg.studies.payoff_map.CellResult` to a JSON file committed beside the
chapter; the chapter reads it with :func:`load_study` and recomputes a subset chosen by
:func:`recomputed_subset` to show that the file is what the code computes.

* :data:`MAP`: ``d`` in {10, 30, 100} inputs x ``n`` in {25, 100, 400} labelled items,
  with 10 % label noise;
* :data:`CONTROLS`, at d = 30, n = 100: inputs rotated by a random orthogonal matrix
  (L1's prior made wrong), correlated inputs, and label noise of 0 % and 20 %; and the
  rotation again at d = 100, n = 400, where L1 gains most;
* :data:`DESIGN`: grids of 11 strengths over 5 decades below the silencing strength,
  and :data:`N_SEED_SETS` seed sets per cell.

The file holds one field of a cell per line (NaN as null, infinities as "inf"), so that a
change reads as a diff. ``make study-check`` (CI) recomputes the study elsewhere and
compares it with the committed file (:func:`compare_studies`).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from l1reg.core._validation import Instance, Int, ListOf, MappingOf, Optional, Real, Text, validate_params
from l1reg.studies.payoff_map import MAP_SEED, CellDesign, CellResult, run_cell

#: The design every cell shares (a control changes one field of it).
DESIGN = CellDesign(n_values=11, decades=5.0)
#: How many seed sets each cell runs.
N_SEED_SETS = 20
D_VALUES = (10, 30, 100)
N_VALUES = (25, 100, 400)
#: The map's cells, by name.
MAP = {f"d={d} n={n}": (d, n, {}) for n in N_VALUES for d in D_VALUES}
#: The controls, each changing one field of :data:`DESIGN`: four at d = 30, n = 100, and the
#: rotation again where L1 gains most, at d = 100, n = 400.
CONTROLS = {
    "rotated": (30, 100, {"rotate": True}),
    "correlated": (30, 100, {"correlation": 0.5}),
    "no label noise": (30, 100, {"flip": 0.0}),
    "20 % label noise": (30, 100, {"flip": 0.2}),
    "rotated, d=100 n=400": (100, 400, {"rotate": True}),
}
CELLS = MAP | CONTROLS
_CELL = Instance(CellResult, "a CellResult", example=lambda: CellResult(10, 25, DESIGN))
_PATH = Instance((str, os.PathLike), "a file path (str or pathlib.Path)", example=lambda: "study.json")
#: Bumped when the file's layout changes.
FORMAT = 1

_ARRAYS = ("majority", "majority_loss", "seed_sets")
_PER_METHOD = ("grid", "mixing", "curve", "cv_collapsed", "chosen", "chosen_one_se", "epochs", "at_budget",
               "accuracy", "accuracy_one_se", "loss", "collapsed", "auc")


@validate_params(name=Text())
def cell_design(name: str) -> tuple[int, int, CellDesign]:
    """The ``d``, ``n`` and design of the cell called ``name`` (a key of :data:`CELLS`)."""
    if name not in CELLS:
        raise ValueError(f"name must be one of the study's cells {list(CELLS)}, got {name!r}")
    d, n, change = CELLS[name]
    return d, n, dataclasses.replace(DESIGN, **change)


#: JSON has no NaN or infinity: null and these strings stand for them.
_NON_FINITE = {"inf": np.inf, "-inf": -np.inf}


def _to_json(value):
    array = np.asarray(value)
    if array.dtype.kind not in "fib":
        raise TypeError(f"a study holds arrays of floats, ints or booleans, got dtype {array.dtype}")
    if array.dtype.kind != "f":
        return array.tolist()
    if array.ndim > 1:
        return [_to_json(row) for row in array]
    return [float(v) if np.isfinite(v) else None if np.isnan(v) else ("inf" if v > 0 else "-inf")
            for v in array.ravel()]


def _from_json(value, kind: str) -> np.ndarray:
    if kind == "f":
        if not value:
            return np.zeros(0)

        def number(v):
            return np.nan if v is None else _NON_FINITE.get(v, v) if isinstance(v, str) else v

        return np.array([[number(v) for v in row] if isinstance(row, list) else number(row) for row in value],
                        dtype=float)
    array = np.array(value)
    if array.size and (kind not in "ib" or array.dtype.kind != kind):
        raise ValueError(f"a study's {'int' if kind == 'i' else 'bool'} field must hold "
                         f"{'ints' if kind == 'i' else 'booleans'}, got {array.dtype} values")
    return array.astype({"i": int, "b": bool}[kind])


@validate_params(name=Text(), result=_CELL, seconds=Real(0.0))
def cell_to_dict(name: str, result: CellResult, seconds: float) -> dict:
    """One cell as JSON-ready lists, with its name, design and the seconds it took."""
    out = {"name": name, "d": result.d, "n": result.n, "seconds": round(seconds, 1),
           "design": dataclasses.asdict(result.design)}
    out |= {key: _to_json(getattr(result, key)) for key in _ARRAYS}
    for key in _PER_METHOD:
        out[key] = {method: {"kind": np.asarray(v).dtype.kind, "values": _to_json(v)}
                    for method, v in getattr(result, key).items()}
    return out


@validate_params(record=Instance(dict, "a study record (a dict, as cell_to_dict makes it)",
                                 example=lambda: cell_to_dict("cell", CellResult(10, 25, DESIGN), 0.0)))
def cell_from_dict(record: dict) -> CellResult:
    """The :class:`CellResult` a record of :func:`cell_to_dict` holds."""
    fields = {key: {method: _from_json(v["values"], v["kind"]) for method, v in record[key].items()}
              for key in _PER_METHOD}
    return CellResult(record["d"], record["n"], CellDesign(**record["design"]),  # checked as it is built
                      majority=_from_json(record["majority"], "f"),
                      majority_loss=_from_json(record["majority_loss"], "f"),
                      seed_sets=_from_json(record["seed_sets"], "i"), **fields)


def _run(name: str, seed_sets: list[int]) -> dict:
    d, n, design = cell_design(name)
    start = time.perf_counter()
    result = run_cell(d, n, seed_sets, design)
    return cell_to_dict(name, result, time.perf_counter() - start)


@validate_params(path=_PATH, jobs=Int(), names=ListOf(Text(), what="a list of cell names"),
                 n_seed_sets=Int(2))
def run_study(path, jobs: int = 2, names=tuple(CELLS), n_seed_sets: int = N_SEED_SETS) -> dict:
    """Run the cells ``names`` (all by default), ``jobs`` at a time, and write them to ``path``.

    The file is written whole or not at all (a temporary file beside it, then renamed),
    so an interrupted run leaves the previous file in place; a cell that fails stops
    the run at once, naming the cell. Returns what it wrote.
    """
    unknown = [name for name in names if name not in CELLS]  # fail before half an hour of work
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"names must be distinct cells of the study {list(CELLS)}, got {list(names)}")
    path = Path(path)
    if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
        raise ValueError(f"path must be in a folder that exists and can be written, got {path}")
    seed_sets = list(range(n_seed_sets))
    by_cost = sorted(names, key=lambda name: -CELLS[name][0] * CELLS[name][1] ** 0.3)  # slowest first
    context = multiprocessing.get_context("spawn")  # no fork of a process that has started XLA
    records = {}
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {pool.submit(_run, name, seed_sets): name for name in by_cost}
        for done in concurrent.futures.as_completed(futures):
            name = futures[done]
            try:
                records[name] = done.result()
            except Exception as err:
                pool.shutdown(wait=False, cancel_futures=True)
                raise RuntimeError(f"cell {name!r} of the study failed") from err
            print(f"{name}: {records[name]['seconds']:.0f} s", flush=True)
    study = {"format": FORMAT, "map_seed": MAP_SEED, "n_seed_sets": n_seed_sets,
             "cells": [records[name] for name in names]}
    _write_atomically(path, _dumps(study))
    return study


def _dumps(study: dict) -> str:
    """The study as JSON, one field of a cell per line, so that a change reads as a diff."""
    def line(value):
        return json.dumps(value, allow_nan=False, separators=(",", ":"))

    head = ",\n".join(f"{line(key)}:{line(value)}" for key, value in study.items() if key != "cells")
    cells = ",\n".join("{\n" + ",\n".join(f"{line(key)}:{line(value)}" for key, value in cell.items()) + "\n}"
                       for cell in study["cells"])
    return "{\n" + head + ',\n"cells":[\n' + cells + "\n]}\n"


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # as open() would make it, not mkstemp's owner-only
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


@validate_params(path=_PATH)
def load_study(path) -> dict[str, CellResult]:
    """The cells of a study file written by :func:`run_study`, by name."""
    return {record["name"]: cell_from_dict(record) for record in _read(path)["cells"]}


def _read(path) -> dict:
    """A study file's contents, refused unless it is one (JSON, an object, this format)."""
    try:
        study = json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        why = f"path must be a study file (JSON, which make study writes): {err} in {path}"
        raise ValueError(why) from None
    if not isinstance(study, dict) or study.get("format") != FORMAT:
        found = study.get("format") if isinstance(study, dict) else type(study).__name__
        raise ValueError(f"path must be a study file of format {FORMAT} (make study writes one), "
                         f"got format {found!r} in {path}")
    if study.get("map_seed") != MAP_SEED:
        raise ValueError(f"path must be a study file of the map seed {MAP_SEED} (make study writes one), "
                         f"got map seed {study.get('map_seed')!r} in {path}")
    return study


@validate_params(path=_PATH)
def study_seconds(path) -> dict[str, float]:
    """The seconds each cell of a study file took."""
    return {record["name"]: record["seconds"] for record in _read(path)["cells"]}


@validate_params(seed=Int(0), n_seed_sets=Int(2), size=Int())
def recomputed_subset(seed: int, n_seed_sets: int = N_SEED_SETS, size: int = 3) -> dict[str, list[int]]:
    """The subset a reader's run recomputes: one cell of the map at n = 25 and one control.

    Drawn from ``seed`` (the chapter passes a number computed from the file, so the
    subset moves when the data do): a map cell with d <= 30 and a control at d = 30,
    n = 100, each with
    ``size`` seed sets of the ``n_seed_sets`` the file holds.
    """
    if size > n_seed_sets:
        raise ValueError(f"size must be at most n_seed_sets ({n_seed_sets}), got {size}")
    rng = np.random.default_rng([MAP_SEED, seed])
    cheap = [name for name, (d, n, _) in MAP.items() if n == N_VALUES[0] and d <= 30]
    controls = [name for name, (d, n, _) in CONTROLS.items() if (d, n) == (30, 100)]
    picks = [cheap[rng.integers(len(cheap))], controls[rng.integers(len(controls))]]
    return {name: sorted(rng.choice(n_seed_sets, size, replace=False).tolist()) for name in picks}


_STUDY = MappingOf(_CELL, what="a dict of cell name -> CellResult")
#: How far a method's mean test accuracy (points, over a cell's 20 seed sets) may move when
#: the study is recomputed on another CPU: round-off can flip a near-tied validation
#: choice, which moves that seed set's score by a few points and the mean by a fraction.
CHECK_POINTS = 1.0
#: The smallest share of a method's choices (of the methods with a grid) that must stay the same.
CHECK_SAME_CHOICES = 0.9


@validate_params(stored=_STUDY, fresh=_STUDY)
def compare_studies(stored: dict, fresh: dict) -> dict[str, tuple[float, float]]:
    """Per cell of ``fresh``: the largest gap in a mean accuracy, and the smallest share of same choices.

    The gap is in points, over the seed sets ``fresh`` holds (NaN if an accuracy is).
    The share is, for each method with more than one configuration, the share of seed
    sets whose configuration chosen on validation is the same in both; the smallest
    over the methods is reported. Each fresh cell must be in ``stored``, with the same
    ``d``, ``n``, design, methods and grids, and the seed sets it holds.
    """
    out = {}
    for name, new in fresh.items():
        if name not in stored:
            raise ValueError(f"fresh holds a cell {name!r} that stored does not")
        old = stored[name]
        row_of = {int(s): row for row, s in enumerate(old.seed_sets)}
        lacking = [int(s) for s in new.seed_sets if int(s) not in row_of]
        if lacking:
            raise ValueError(f"fresh cell {name!r} has seed sets {lacking} that stored lacks")
        if set(new.accuracy) != set(old.accuracy):
            raise ValueError(f"fresh cell {name!r} has methods {sorted(new.accuracy)}, stored "
                             f"{sorted(old.accuracy)}")
        same_grids = all(new.grid[m].shape == old.grid[m].shape
                         and np.allclose(new.grid[m], old.grid[m], rtol=1e-6, atol=0.0) for m in new.grid)
        if (new.d, new.n, new.design) != (old.d, old.n, old.design) or not same_grids:
            raise ValueError(f"fresh cell {name!r} is not the stored one's design: d, n, design or a grid "
                             "differ (a stale file? run make study)")
        rows = np.array([row_of[int(s)] for s in new.seed_sets])
        gaps = [abs(100 * (new.accuracy[m].mean() - old.accuracy[m][rows].mean())) for m in new.accuracy]
        gap = np.nan if np.isnan(gaps).any() else max(gaps)
        same = min(np.mean(new.chosen[m] == old.chosen[m][rows]) for m in new.chosen if new.grid[m].size > 1)
        out[name] = (float(gap), float(same))
    return out


def _check(stored_path, fresh_path) -> None:
    """Compare a recomputed study with the stored one; raise if a cell moved more than allowed."""
    stored, fresh = load_study(stored_path), load_study(fresh_path)
    if list(stored) != list(fresh) or any(stored[name].seed_sets.tolist() != fresh[name].seed_sets.tolist()
                                          for name in fresh):
        raise SystemExit(f"{fresh_path} and {stored_path} must hold the same cells and seed sets")
    report = compare_studies(stored, fresh)
    bad = []
    for name, (gap, same) in report.items():
        print(f"{name:>18}: largest gap in a mean accuracy {gap:.2f} points, same choices {same:.0%}")
        if not (gap <= CHECK_POINTS and same >= CHECK_SAME_CHOICES):  # a NaN fails too
            bad.append(name)
    if bad:
        raise SystemExit(f"{fresh_path} differs from {stored_path} by more than {CHECK_POINTS} points or in "
                         f"more than {1 - CHECK_SAME_CHOICES:.0%} of the choices in {bad}: run make study "
                         "and commit its file")


@validate_params(argv=Optional(ListOf(Text(), allow_empty=True, what="a list of command-line arguments")))
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m l1reg.studies.payoff_study",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("path", help="the JSON file to write (chapters/09-payoff-study.json for the book)")
    parser.add_argument("--jobs", type=int, default=2, help="cells run at a time (default 2)")
    parser.add_argument("--cells", nargs="*", default=list(CELLS), help="only these cells (default all)")
    parser.add_argument("--seed-sets", type=int, default=N_SEED_SETS,
                        help=f"per cell (default {N_SEED_SETS})")
    parser.add_argument("--check", metavar="STORED",
                        help="then compare the new file with this stored one and fail if a method's mean "
                        f"accuracy moved more than {CHECK_POINTS} points in a cell, or fewer than "
                        f"{100 * CHECK_SAME_CHOICES:.0f} %% of a method's choices are the same")
    args = parser.parse_args(argv)
    if args.check:
        _read(args.check)  # a missing or broken stored file fails now, not after the study
    start = time.perf_counter()
    Path(args.path).parent.mkdir(parents=True, exist_ok=True)
    run_study(args.path, args.jobs, args.cells, args.seed_sets)
    print(f"wrote {args.path} in {time.perf_counter() - start:.0f} s")
    if args.check:
        _check(args.check, args.path)


if __name__ == "__main__":
    main()
