"""Chapter 09's whole study: its cells, the JSON round trip of a cell, the atomic write, the
subset a reader recomputes, the check of a recomputed study against the stored one, bad input
and the command line."""

from __future__ import annotations

import concurrent.futures
import copy
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from l1reg.studies import payoff_study, protocol
from l1reg.studies.payoff_map import MAP_SEED, CellDesign, CellResult, run_cell
from l1reg.studies.payoff_study import (
    CELLS,
    CHECK_POINTS,
    CHECK_SAME_CHOICES,
    CONTROLS,
    DESIGN,
    FORMAT,
    MAP,
    N_SEED_SETS,
    cell_design,
    cell_from_dict,
    cell_to_dict,
    compare_studies,
    load_study,
    main,
    recomputed_subset,
    run_study,
    study_seconds,
)

# A cell in under a second: the NumPy engine, few steps and test items, two L1 shares so
# that the elastic net has a mixing array. Seed sets 3 and 1, so their numbers are not rows.
TINY = CellDesign(engine="numpy", steps=100, checks=4, n_test=50, mixings=(0.2, 0.8))
TINY_SEED_SETS = [3, 1]
CONTROL_CHANGES = {  # name: (d, n, what changes)
    "rotated": (30, 100, {"rotate": True}),
    "correlated": (30, 100, {"correlation": 0.5}),
    "no label noise": (30, 100, {"flip": 0.0}),
    "20 % label noise": (30, 100, {"flip": 0.2}),
    "rotated, d=100 n=400": (100, 400, {"rotate": True}),
}
SMALL_CONTROLS = {name for name, (d, n, _) in CONTROL_CHANGES.items() if (d, n) == (30, 100)}
CHEAP = {"d=10 n=25", "d=30 n=25"}  # the map's cells at n = 25 with d <= 30
SEEDS = range(40)


@pytest.fixture(scope="module")
def tiny() -> CellResult:
    """A real cell, with one AUC made NaN (a collapsed refit) next to a number, whatever the CPU."""
    result = run_cell(6, 25, TINY_SEED_SETS, TINY)
    result.auc["none"] = np.array([np.nan, 0.625])
    return result


def _assert_same_cell(twin: CellResult, result: CellResult) -> None:
    """Every field of ``twin`` is ``result``'s: same keys in the same order, dtypes, shapes, values, NaNs."""
    for field in dataclasses.fields(CellResult):
        mine, theirs = getattr(twin, field.name), getattr(result, field.name)
        if isinstance(theirs, dict):
            assert list(mine) == list(theirs), field.name
            pairs = [(f"{field.name}[{method!r}]", mine[method], value) for method, value in theirs.items()]
        elif isinstance(theirs, np.ndarray):
            pairs = [(field.name, mine, theirs)]
        else:
            assert mine == theirs, field.name
            continue
        for what, a, b in pairs:
            assert isinstance(a, np.ndarray), what
            assert (a.dtype, a.shape) == (b.dtype, b.shape), what
            np.testing.assert_array_equal(a, b, err_msg=what)  # NaN matches NaN, in the same places


def _study(*records: dict) -> dict:
    """A study file's contents, laid out as run_study writes them."""
    return {"format": FORMAT, "map_seed": MAP_SEED, "n_seed_sets": 2, "cells": list(records)}


# CellResult's fields that hold one row per seed set (grid and mixing hold one per configuration).
_PER_SEED_SET = ("curve", "cv_collapsed", "chosen", "chosen_one_se", "epochs", "at_budget", "accuracy",
                 "accuracy_one_se", "loss", "collapsed", "auc")


def _rows(cell: CellResult, rows: list[int], seed_sets: list[int]) -> CellResult:
    """A copy of ``cell`` holding its ``rows``, in that order, numbered ``seed_sets`` (checked as new)."""
    changes = {key: {method: value[rows] for method, value in getattr(cell, key).items()}
               for key in _PER_SEED_SET}
    return dataclasses.replace(copy.deepcopy(cell), **changes, majority=cell.majority[rows],
                               majority_loss=cell.majority_loss[rows], seed_sets=np.array(seed_sets))


@pytest.fixture(scope="module")
def cell(tiny) -> CellResult:
    """The tiny cell with its seed sets in order, 1 then 3, as run_study numbers a file's rows."""
    return _rows(tiny, [1, 0], [1, 3])


@pytest.fixture(scope="module")
def wide(tiny) -> CellResult:
    """The tiny cell's two rows taken five times, as seed sets 0 to 9: a share of choices can be 9 in 10."""
    return _rows(tiny, [0, 1] * 5, list(range(10)))


def _write_study(path: Path, cells: dict[str, CellResult]) -> Path:
    path.write_text(json.dumps(_study(*(cell_to_dict(name, result, 1.0) for name, result in cells.items()))))
    return path


# --- the study's cells -----------------------------------------------------------------------


def test_the_study_is_a_map_of_9_cells_and_5_controls_on_a_wide_grid():
    assert list(MAP) == [f"d={d} n={n}" for n in (25, 100, 400) for d in (10, 30, 100)]
    assert list(CONTROLS) == list(CONTROL_CHANGES)
    assert CELLS == MAP | CONTROLS
    assert (DESIGN.n_values, DESIGN.decades, N_SEED_SETS) == (11, 5.0, 20)
    assert DESIGN.n_values >= protocol.MIN_GRID_VALUES and DESIGN.decades >= protocol.MIN_GRID_DECADES


@pytest.mark.parametrize("name", list(MAP))
def test_cell_design_gives_a_map_cell_its_d_and_n_and_the_studys_design(name):
    d, n, design = cell_design(name)
    assert name == f"d={d} n={n}"
    assert design == DESIGN


@pytest.mark.parametrize("name", list(CONTROLS))
def test_cell_design_gives_a_control_its_d_and_n_and_changes_one_field_of_the_design(name):
    d, n, design = cell_design(name)
    assert (d, n) == CONTROL_CHANGES[name][:2]
    changed = {f.name: getattr(design, f.name) for f in dataclasses.fields(CellDesign)
               if getattr(design, f.name) != getattr(DESIGN, f.name)}
    assert changed == CONTROL_CHANGES[name][2]


@pytest.mark.parametrize(("name", "error", "match"), [
    ("d=10 n=26", ValueError,
     r"^name must be one of the study's cells \['d=10 n=25', .*'rotated, d=100 n=400'\], got 'd=10 n=26'$"),
    ("Rotated", ValueError, r"^name must be one of the study's cells \[.*\], got 'Rotated'$"),
    (3, TypeError, r"^name must be a non-blank string, got int"),
])
def test_cell_design_refuses_a_name_that_is_not_a_cell_by_name(name, error, match):
    with pytest.raises(error, match=match):
        cell_design(name)


# --- a cell as JSON and back ------------------------------------------------------------------


def test_a_cell_survives_the_round_trip_through_json_text_nan_as_null(tiny):
    record = cell_to_dict("tiny", tiny, seconds=1.234)
    text = json.dumps(record, allow_nan=False)  # strict JSON: no NaN token
    assert '"values":[null,0.625]' in text.replace(" ", "")
    twin = cell_from_dict(json.loads(text))
    _assert_same_cell(twin, tiny)
    assert twin.seed_sets.tolist() == TINY_SEED_SETS
    assert np.isnan(twin.auc["none"][0]) and twin.auc["none"][1] == 0.625
    assert twin.design == TINY and isinstance(twin.design.mixings, tuple)
    np.testing.assert_array_equal(twin.chosen_strength("L1"), tiny.chosen_strength("L1"))


def test_a_cell_read_back_passes_the_results_own_checks(tiny):
    # rebuilding runs CellResult's field checks: int choices, bool collapses, NaN only in AUCs
    twin = dataclasses.replace(cell_from_dict(json.loads(json.dumps(cell_to_dict("tiny", tiny, 0.0)))))
    _assert_same_cell(twin, tiny)


def test_a_cells_record_names_it_and_says_how_long_it_took(tiny):
    record = cell_to_dict("d=10 n=25", tiny, seconds=83.26)
    assert (record["name"], record["d"], record["n"], record["seconds"]) == ("d=10 n=25", 6, 25, 83.3)
    assert CellDesign(**record["design"]) == TINY
    assert record["chosen"]["L1"]["kind"] == "i" and record["collapsed"]["L1"]["kind"] == "b"
    assert record["curve"]["L1"]["kind"] == "f"
    assert np.shape(record["curve"]["L1"]["values"]) == tiny.curve["L1"].shape  # rows stay rows


@pytest.mark.parametrize(("array", "values"), [
    (np.array([0.5, np.inf, np.nan, -np.inf]), [0.5, "inf", None, "-inf"]),
    (np.array([[1.0, np.inf], [np.nan, -np.inf]]), [[1.0, "inf"], [None, "-inf"]]),
    (np.zeros((2, 0)), [[], []]),
    (np.array([3, 1]), [3, 1]),
    (np.array([True, False]), [True, False]),
], ids=["floats", "rows of floats", "rows of nothing", "ints", "booleans"])
def test_to_json_writes_infinities_as_strings_and_nan_as_null_and_from_json_reads_them_back(array, values):
    assert payoff_study._to_json(array) == values
    text = json.dumps(payoff_study._to_json(array), allow_nan=False)  # strict JSON: no NaN or Infinity token
    back = payoff_study._from_json(json.loads(text), array.dtype.kind)
    assert (back.dtype, back.shape) == (array.dtype, array.shape)
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize("array", [np.array(["0.5"]), np.array([1j]), np.array([None])],
                         ids=["text", "complex", "objects"])
def test_to_json_refuses_an_array_that_is_not_floats_ints_or_booleans(array):
    match = rf"^a study holds arrays of floats, ints or booleans, got dtype {re.escape(str(array.dtype))}$"
    with pytest.raises(TypeError, match=match):
        payoff_study._to_json(array)


@pytest.mark.parametrize(("field", "value", "error", "match"), [
    ("accuracy", None, ValueError, r"^accuracy\['L1'\] must hold numbers \(no NaN\)$"),
    ("curve", None, ValueError, r"^curve\['L1'\] must hold numbers \(no NaN\)$"),
    ("auc", "inf", ValueError, r"^auc\['L1'\] must hold no infinite values$"),
    ("chosen", None, ValueError, r"^a study's int field must hold ints, got object values$"),
], ids=["NaN accuracy", "NaN in a curve", "infinite AUC", "null choice"])
def test_cell_from_dict_refuses_a_record_whose_cell_would_break_the_results_checks(field, value, error, match,
                                                                                    tiny):
    record = cell_to_dict("tiny", tiny, 0.0)
    values = record[field]["L1"]["values"]
    (values[0] if field == "curve" else values)[0] = value
    with pytest.raises(error, match=match):
        cell_from_dict(record)


def test_cell_from_dict_refuses_a_record_with_a_null_size_by_name(tiny):
    record = cell_to_dict("tiny", tiny, 0.0) | {"d": None}
    with pytest.raises(TypeError, match=r"^d must be an int, got NoneType"):
        cell_from_dict(record)


@pytest.mark.parametrize(("field", "value"), [("chosen", 1.5), ("collapsed", 2)],
                         ids=["int field", "bool field"])
def test_cell_from_dict_refuses_a_value_that_is_not_of_its_fields_kind(field, value, tiny):
    record = cell_to_dict("tiny", tiny, 0.0)
    record[field]["L1"]["values"][0] = value
    with pytest.raises((TypeError, ValueError)):
        cell_from_dict(record)


# --- reading a study file ---------------------------------------------------------------------


def test_load_study_and_study_seconds_read_what_a_study_file_holds(tiny, tmp_path):
    path = tmp_path / "study.json"
    records = cell_to_dict("d=10 n=25", tiny, 12.34), cell_to_dict("rotated", tiny, 5.0)
    path.write_text(json.dumps(_study(*records)))
    cells = load_study(path)
    assert list(cells) == ["d=10 n=25", "rotated"]
    for cell in cells.values():
        _assert_same_cell(cell, tiny)
    assert load_study(str(path)).keys() == cells.keys()
    assert study_seconds(path) == {"d=10 n=25": 12.3, "rotated": 5.0}


@pytest.mark.parametrize(("study", "got"), [
    ({"format": FORMAT + 1, "cells": []}, f"format {FORMAT + 1}"),
    ({"cells": []}, "format None"),
    ({"format": str(FORMAT), "cells": []}, f"format '{FORMAT}'"),
])
def test_load_study_refuses_a_file_of_another_format_naming_path(study, got, tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(study))
    expected = rf"^path must be a study file of format {FORMAT} \(make study writes one\), got {got} in "
    with pytest.raises(ValueError, match=expected + re.escape(str(path)) + "$"):
        load_study(path)


@pytest.mark.parametrize("read", [load_study, study_seconds])
@pytest.mark.parametrize("text", [
    pytest.param("[1, 2]", id="a JSON list"),
    pytest.param("not json", id="not JSON"),
    pytest.param('{"format": 0, "cells": []}', id="another format"),
])
def test_a_file_that_is_no_study_is_refused_naming_path(read, text, tmp_path):
    path = tmp_path / "notes.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"^path must be a study file .* in {re.escape(str(path))}$"):
        read(path)


@pytest.mark.parametrize("read", [load_study, study_seconds])
def test_a_binary_file_is_refused_as_no_study_naming_path(read, tmp_path):
    path = tmp_path / "figure.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match=rf"^path must be a study file .* in {re.escape(str(path))}$"):
        read(path)


def test_load_study_refuses_a_path_that_is_not_a_path_by_name():
    with pytest.raises(TypeError, match=r"^path must be a file path \(str or pathlib.Path\), got int"):
        load_study(3)


def _other_map_seed(map_seed) -> dict:
    study = {"format": FORMAT, "map_seed": map_seed, "cells": []}
    return {key: value for key, value in study.items() if value is not None}


@pytest.mark.parametrize("map_seed", [MAP_SEED + 1, None, str(MAP_SEED)], ids=["another", "none", "as text"])
@pytest.mark.parametrize("read", [load_study, study_seconds])
def test_a_file_of_another_map_seed_is_refused_naming_path(read, map_seed, tmp_path):
    path = tmp_path / "study.json"
    path.write_text(json.dumps(_other_map_seed(map_seed)))
    with pytest.raises(ValueError, match=rf"^path must be a study file .* in {re.escape(str(path))}$"):
        read(path)


def test_a_file_of_another_map_seed_is_refused_saying_which_map_seed(tmp_path):
    path = tmp_path / "study.json"
    path.write_text(json.dumps(_other_map_seed(MAP_SEED + 1)))
    with pytest.raises(ValueError, match=rf"map[_ ]seed.*{MAP_SEED + 1}"):
        load_study(path)


# --- writing a study file: whole or not at all ------------------------------------------------


def test_write_atomically_writes_the_text_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "study.json"
    payoff_study._write_atomically(path, '{"format": 1}\n')
    assert path.read_text() == '{"format": 1}\n'
    payoff_study._write_atomically(path, "{}\n")  # and replaces a file that is there
    assert path.read_text() == "{}\n"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("failure", ["writing fails", "renaming fails", "interrupted"])
def test_write_atomically_keeps_the_old_file_when_writing_fails_and_leaves_no_temporary(failure, tmp_path,
                                                                                        monkeypatch):
    path = tmp_path / "study.json"
    path.write_text("the old study\n")
    text = '{"cells": []}\n'
    error = {"renaming fails": OSError, "interrupted": KeyboardInterrupt}.get(failure)
    if failure == "writing fails":
        text, error = '{"cells": [' + "\ud800", UnicodeEncodeError  # a lone surrogate: no encoding writes it
    else:
        def replace(source, target):
            assert Path(source).parent == tmp_path  # the temporary is beside the file: a rename, not a copy
            raise error("stopped")
        monkeypatch.setattr(payoff_study.os, "replace", replace)
    with pytest.raises(error):
        payoff_study._write_atomically(path, text)
    assert path.read_text() == "the old study\n"
    assert list(tmp_path.iterdir()) == [path]


def test_write_atomically_keeps_the_mode_a_plain_write_gives(tmp_path):
    path = tmp_path / "study.json"
    path.write_text("the old study\n")
    mode = path.stat().st_mode & 0o777
    if mode == 0o600:
        pytest.skip("the umask already makes new files 0600")
    payoff_study._write_atomically(path, "{}\n")
    assert oct(path.stat().st_mode & 0o777) == oct(mode)


def test_dumps_writes_json_that_is_the_study_with_one_field_of_a_cell_per_line(tiny):
    records = [cell_to_dict("d=10 n=25", tiny, 1.0), cell_to_dict("rotated", tiny, 2.0)]
    study = _study(*records)
    text = payoff_study._dumps(study)
    as_json = json.loads(json.dumps(study))  # the design's tuple of mixings read back as a list
    assert json.loads(text) == as_json
    lines = text.splitlines()
    assert text.endswith("\n") and lines[:5] == ["{", f'"format":{FORMAT},', f'"map_seed":{MAP_SEED},',
                                                  '"n_seed_sets":2,', '"cells":[']
    assert lines[-1] == "]}"
    body = lines[5:-1]
    for i, record in enumerate(as_json["cells"]):
        cell_lines = body[i * (len(record) + 2):(i + 1) * (len(record) + 2)]
        assert (cell_lines[0], cell_lines[-1]) == ("{", "}," if i == 0 else "}")
        for (key, value), line in zip(record.items(), cell_lines[1:-1], strict=True):
            assert json.loads("{" + line.removesuffix(",") + "}") == {key: value}, key  # the field, whole
    assert len(body) == len(records) * (len(records[0]) + 2)


def test_dumps_refuses_a_nan_that_was_not_written_as_null():
    with pytest.raises(ValueError, match=r"^Out of range float values are not JSON compliant"):
        payoff_study._dumps(_study({"name": "rotated", "seconds": float("nan")}))


def test_a_cell_with_infinite_and_nan_values_survives_dumps_and_load_study(tiny, tmp_path):
    odd = copy.deepcopy(tiny)
    odd.curve["L1"][0, 0] = np.inf  # a validation loss that overflowed
    odd.curve["L2"][1, -1] = -np.inf
    assert np.isnan(odd.auc["none"][0])
    _assert_same_cell(dataclasses.replace(odd), odd)  # CellResult allows infinities in a curve
    path = tmp_path / "study.json"
    text = payoff_study._dumps(_study(cell_to_dict("d=10 n=25", odd, 1.0)))
    assert '"inf"' in text and '"-inf"' in text and "null" in text
    assert "Infinity" not in text and "NaN" not in text
    path.write_text(text)
    twin = load_study(path)["d=10 n=25"]
    _assert_same_cell(twin, odd)
    assert (twin.curve["L1"][0, 0], twin.curve["L2"][1, -1]) == (np.inf, -np.inf)


@pytest.fixture
def no_work(monkeypatch):
    """run_study may not start a process pool or run a cell."""
    def refuse(*args, **kwargs):
        raise AssertionError("run_study started work before checking its arguments")
    monkeypatch.setattr(payoff_study.concurrent.futures, "ProcessPoolExecutor", refuse)
    monkeypatch.setattr(payoff_study, "run_cell", refuse)


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize("names", [["d=10 n=26"], ["d=10 n=25", "rotatd"]], ids=["alone", "after a good one"])
def test_run_study_refuses_an_unknown_cell_before_any_work(names, tmp_path):
    match = r"^names must be distinct cells of the study \[.*\], got " + re.escape(repr(names)) + "$"
    with pytest.raises(ValueError, match=match):
        run_study(tmp_path / "study.json", names=names)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"jobs": 0}, r"^jobs must be a positive int, got 0"),
    ({"names": ["rotated", "d=10 n=25", "rotated"]}, r"^names must be distinct cells of the study \["),
    ({"n_seed_sets": 1}, r"^n_seed_sets must be an int >= 2, got 1"),
    ({"names": []}, r"^names must hold at least one item, got an empty list"),
    ({"names": "rotated"}, r"^names must be a list of cell names, got str"),
    ({"path": 3}, r"^path must be a file path \(str or pathlib.Path\), got int"),
])
def test_run_study_refuses_bad_arguments_by_name(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        run_study(**{"path": tmp_path / "study.json", **kwargs})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize("where", ["a missing folder", "a file", "a read-only folder"])
def test_run_study_refuses_a_path_whose_folder_cannot_be_written_before_any_work(where, tmp_path):
    folder = tmp_path / "out"
    if where == "a file":
        folder.write_text("not a folder\n")
    elif where == "a read-only folder":
        folder.mkdir(mode=0o500)
        if os.access(folder, os.W_OK):
            pytest.skip("this user can write to any folder (root)")
    path = folder / "study.json"
    match = rf"^path must be in a folder that exists and can be written, got {re.escape(str(path))}$"
    with pytest.raises(ValueError, match=match):
        run_study(path, names=["rotated"])
    assert not path.exists()


@pytest.fixture
def threads(monkeypatch):
    """run_study's process pool replaced by threads, which see a monkeypatched ``_run``.

    Records the multiprocessing context it was given; ``cancelled`` is set once the pool
    has been shut down with its waiting cells cancelled.
    """
    used = {"contexts": [], "cancelled": threading.Event()}

    class Threads(concurrent.futures.ThreadPoolExecutor):
        def __init__(self, max_workers, mp_context=None):
            used["contexts"].append(mp_context)
            super().__init__(max_workers)

        def shutdown(self, wait=True, *, cancel_futures=False):
            super().shutdown(wait=wait, cancel_futures=cancel_futures)
            if cancel_futures:
                used["cancelled"].set()

    monkeypatch.setattr(payoff_study.concurrent.futures, "ProcessPoolExecutor", Threads)
    return used


def test_run_study_stops_at_a_failing_cell_naming_it_keeping_its_cause_writing_nothing(threads, monkeypatch,
                                                                                       tmp_path, capsys):
    names = ["d=10 n=25", "correlated", "d=100 n=400"]  # run slowest first: d=100 n=400 first, d=10 n=25 last
    diverged = FloatingPointError("the refit diverged")
    ran = []

    def run(name, seed_sets):
        ran.append(name)
        if name == "d=100 n=400":
            raise diverged
        assert threads["cancelled"].wait(10)  # a cell that started runs on until the rest are cancelled
        return {"name": name, "seconds": 1.0}

    monkeypatch.setattr(payoff_study, "_run", run)
    path = tmp_path / "study.json"
    with pytest.raises(RuntimeError, match=r"^cell 'd=100 n=400' of the study failed$") as failure:
        run_study(path, jobs=1, names=names, n_seed_sets=2)
    assert failure.value.__cause__ is diverged
    assert threads["contexts"][0].get_start_method() == "spawn"
    assert ran in (["d=100 n=400"], ["d=100 n=400", "correlated"])  # d=10 n=25 was cancelled, never started
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""


def test_run_study_writes_the_cells_in_the_order_of_names_whatever_order_they_finish_in(threads, monkeypatch,
                                                                                      tmp_path, capsys):
    names = ["rotated", "d=10 n=25", "d=100 n=400", "correlated"]
    may_finish = {name: threading.Event() for name in names}
    may_finish[names[-1]].set()  # the last finishes first, then each lets the one before it finish
    calls, finished = [], []

    def run(name, seed_sets):
        calls.append((name, seed_sets))
        assert may_finish[name].wait(10)
        finished.append(name)
        if name != names[0]:
            may_finish[names[names.index(name) - 1]].set()
        return {"name": name, "seconds": float(names.index(name))}

    monkeypatch.setattr(payoff_study, "_run", run)
    path = tmp_path / "study.json"
    study = run_study(path, jobs=4, names=names, n_seed_sets=3)
    assert finished == names[::-1]
    records = [{"name": name, "seconds": float(i)} for i, name in enumerate(names)]
    assert study == {"format": FORMAT, "map_seed": MAP_SEED, "n_seed_sets": 3, "cells": records}
    assert path.read_text() == payoff_study._dumps(study) and json.loads(path.read_text()) == study
    assert sorted(calls) == sorted((name, [0, 1, 2]) for name in names)
    assert list(tmp_path.iterdir()) == [path]
    printed = sorted(capsys.readouterr().out.splitlines())  # as each finished
    assert printed == sorted(f"{name}: {i} s" for i, name in enumerate(names))


# --- the subset a reader recomputes -----------------------------------------------------------


def test_recomputed_subset_is_a_cheap_map_cell_and_a_control_each_with_distinct_sorted_seed_sets():
    for seed in SEEDS:
        subset = recomputed_subset(seed)
        assert recomputed_subset(seed) == subset, seed  # the same subset every time
        (cell, cell_sets), (control, control_sets) = subset.items()
        assert cell in CHEAP and control in SMALL_CONTROLS, (seed, subset)
        for sets in (cell_sets, control_sets):
            assert len(sets) == 3 and sets == sorted(set(sets)), (seed, subset)
            assert all(type(s) is int and 0 <= s < N_SEED_SETS for s in sets), (seed, subset)  # JSON-ready


def test_recomputed_subset_moves_with_the_seed():
    subsets = [recomputed_subset(seed) for seed in SEEDS]
    assert len({json.dumps(subset) for subset in subsets}) > len(SEEDS) // 2
    assert {list(subset)[0] for subset in subsets} == CHEAP  # every cheap cell is drawn for some seed
    assert {list(subset)[1] for subset in subsets} == SMALL_CONTROLS  # and every control at d = 30, n = 100


@pytest.mark.parametrize(("n_seed_sets", "size"), [(5, 5), (4, 2), (2, 1)])
def test_recomputed_subset_draws_size_of_the_n_seed_sets_the_file_holds(n_seed_sets, size):
    for seed in range(5):
        for sets in recomputed_subset(seed, n_seed_sets, size).values():
            assert len(sets) == size and sets == sorted(set(sets)) and set(sets) <= set(range(n_seed_sets))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"seed": -1}, r"^seed must be an int >= 0, got -1"),
    ({"seed": 0, "n_seed_sets": 1}, r"^n_seed_sets must be an int >= 2, got 1"),
    ({"seed": 0, "size": 0}, r"^size must be a positive int, got 0"),
])
def test_recomputed_subset_refuses_bad_arguments_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        recomputed_subset(**kwargs)


def test_recomputed_subset_refuses_more_seed_sets_than_the_file_holds_by_name():
    with pytest.raises(ValueError, match=r"^size must be at most n_seed_sets \(2\), got 3"):
        recomputed_subset(0, n_seed_sets=2, size=3)


# --- checking a recomputed study against the stored one ---------------------------------------


def test_compare_studies_gives_gap_0_and_all_choices_the_same_for_identical_studies(cell):
    stored = {"d=10 n=25": cell, "rotated": cell}
    assert compare_studies(stored, copy.deepcopy(stored)) == {"d=10 n=25": (0.0, 1.0), "rotated": (0.0, 1.0)}
    assert compare_studies(stored, {"rotated": copy.deepcopy(cell)}) == {"rotated": (0.0, 1.0)}


def test_compare_studies_gap_is_the_largest_move_of_a_methods_mean_accuracy_in_points(cell):
    fresh = copy.deepcopy(cell)
    fresh.accuracy["L1"][1] -= 0.06  # L1's mean falls by 3 points: down counts like up
    fresh.accuracy["L2"][0] += 0.02  # L2's rises by 1 point
    gap, same = compare_studies({"d=10 n=25": cell}, {"d=10 n=25": fresh})["d=10 n=25"]
    assert gap == pytest.approx(3.0)
    assert same == 1.0
    fresh.accuracy["oracle"] += 0.05  # every seed set: the mean moves by 5 points
    assert compare_studies({"d=10 n=25": cell}, {"d=10 n=25": fresh})["d=10 n=25"][0] == pytest.approx(5.0)


def test_compare_studies_share_is_the_smallest_share_of_a_methods_seed_sets_whose_choice_is_the_same(cell):
    fresh = copy.deepcopy(cell)
    fresh.chosen_one_se["L1"] += 1  # the one-SE rule's choice is not the validation choice
    fresh.accuracy_one_se["L1"] += 0.5
    assert compare_studies({"c": cell}, {"c": fresh}) == {"c": (0.0, 1.0)}
    fresh.chosen["filter"][0] -= 1  # 1 of the filter's 2 choices stays
    assert compare_studies({"c": cell}, {"c": fresh}) == {"c": (0.0, 0.5)}
    fresh.chosen["L1"][1] -= 1  # and 1 of L1's: the smallest share is still a half
    assert compare_studies({"c": cell}, {"c": fresh}) == {"c": (0.0, 0.5)}
    fresh.chosen["filter"][1] -= 1  # none of the filter's
    assert compare_studies({"c": cell}, {"c": fresh}) == {"c": (0.0, 0.0)}


def test_compare_studies_share_is_per_method_not_pooled_over_the_methods(wide):
    fresh = copy.deepcopy(wide)
    fresh.chosen["group lasso"][[0, 4, 9]] -= 1  # 3 of its 10 choices move, 57 of the 60 with a grid stay
    assert compare_studies({"c": wide}, {"c": fresh}) == {"c": (0.0, 7 / 10)}


@pytest.mark.parametrize("method", ["none", "oracle"])
def test_compare_studies_share_ignores_the_methods_without_a_grid(method, cell):
    assert cell.grid[method].size == 0
    fresh = copy.deepcopy(cell)
    fresh.chosen[method] += 1  # every seed set's "choice" moves
    assert compare_studies({"c": cell}, {"c": fresh}) == {"c": (0.0, 1.0)}


def test_compare_studies_compares_only_the_seed_sets_fresh_holds_matched_by_number(tiny):
    # stored holds seed sets 1, 3 and 4; seed set 4 is far off in accuracy and choices
    stored = _rows(tiny, [1, 0, 0], [1, 3, 4])
    for method in stored.accuracy:
        stored.accuracy[method][2] = 0.0
        stored.chosen[method][2] = stored.grid[method].size // 2  # mid-grid
    assert not np.array_equal(tiny.chosen["filter"][0], tiny.chosen["filter"][1])  # a swap would show
    for rows, seed_sets in [([0, 1], [3, 1]), ([1, 0], [1, 3]), ([0], [3]), ([1], [1])]:
        fresh = _rows(tiny, rows, seed_sets)
        assert compare_studies({"c": stored}, {"c": fresh}) == {"c": (0.0, 1.0)}, seed_sets
    fresh = _rows(tiny, [0, 1], [3, 1])
    fresh.accuracy["oracle"][1] += 0.1  # seed set 1: the mean of seed sets 3 and 1 moves by 5 points
    fresh.chosen["L2"][0] -= 1  # seed set 3: 1 of L2's 2 choices stays
    gap, same = compare_studies({"c": stored}, {"c": fresh})["c"]
    assert (gap, same) == (pytest.approx(5.0), 0.5)


@pytest.mark.parametrize(("rows", "seed_sets"), [([0, 1], [3, 1]), ([1], [1])],
                         ids=["identical", "seed set 1"])
def test_compare_studies_matches_seed_sets_by_number_also_when_stored_holds_them_unsorted(rows, seed_sets,
                                                                                          tiny):
    assert tiny.seed_sets.tolist() == [3, 1]
    assert compare_studies({"c": tiny}, {"c": _rows(tiny, rows, seed_sets)}) == {"c": (0.0, 1.0)}


def test_compare_studies_refuses_a_fresh_cell_that_stored_lacks(cell):
    with pytest.raises(ValueError, match=r"^fresh holds a cell 'rotated' that stored does not$"):
        compare_studies({"d=10 n=25": cell}, {"d=10 n=25": cell, "rotated": cell})


def test_compare_studies_refuses_a_fresh_cell_with_other_methods(cell):
    other = _rows(cell, [0, 1], cell.seed_sets.tolist())
    other.accuracy = {("L1 again" if m == "L1" else m): v for m, v in other.accuracy.items()}
    with pytest.raises(ValueError, match=r"^fresh cell 'c' has methods \[.*'L1 again'.*\], stored \[.*\]$"):
        compare_studies({"c": cell}, {"c": other})


def test_compare_studies_refuses_a_fresh_seed_set_that_stored_lacks(cell):
    with pytest.raises(ValueError, match=r"^fresh cell 'c' has seed sets \[7\] that stored lacks$"):
        compare_studies({"c": cell}, {"c": _rows(cell, [0], [7])})


def test_compare_studies_names_only_the_seed_sets_that_stored_lacks(cell):
    with pytest.raises(ValueError, match=r"^fresh cell 'c' has seed sets \[7\] that stored lacks$"):
        compare_studies({"c": cell}, {"c": _rows(cell, [0, 1], [1, 7])})


@pytest.mark.parametrize(("stored", "fresh", "match"), [
    ({"c": 3}, None, r"^stored\['c'\] must be a CellResult, got int"),
    (None, [], r"^fresh must be a dict of cell name -> CellResult, got list"),
])
def test_compare_studies_refuses_what_is_not_a_study_by_name(stored, fresh, match, cell):
    with pytest.raises(TypeError, match=match):
        compare_studies({"c": cell} if stored is None else stored, {"c": cell} if fresh is None else fresh)


_DESIGN_CHANGES = {
    "d": lambda cell: {"d": cell.d + 1},
    "n": lambda cell: {"n": cell.n + 1},
    "design": lambda cell: {"design": dataclasses.replace(cell.design, flip=0.2)},
    "a grid's values": lambda cell: {"grid": cell.grid | {"L1": cell.grid["L1"] * 1.001}},
    "a grid's length": lambda cell: {"grid": cell.grid | {"filter": cell.grid["filter"][:-1]}},
}


@pytest.mark.parametrize("change", list(_DESIGN_CHANGES))
@pytest.mark.parametrize("changed", ["fresh", "stored"])
def test_compare_studies_refuses_a_fresh_cell_of_another_design_than_the_stored_one(change, changed, cell):
    other = dataclasses.replace(cell, **_DESIGN_CHANGES[change](cell))
    stored, fresh = (cell, other) if changed == "fresh" else (other, cell)
    match = (r"^fresh cell 'c' is not the stored one's design: d, n, design or a grid differ "
             r"\(a stale file\? run make study\)$")
    with pytest.raises(ValueError, match=match):
        compare_studies({"c": stored}, {"c": fresh})


def test_compare_studies_accepts_grids_that_differ_by_round_off(cell):
    fresh = dataclasses.replace(cell, grid={method: grid * (1 + 1e-9) for method, grid in cell.grid.items()})
    assert compare_studies({"c": cell}, {"c": fresh}) == {"c": (0.0, 1.0)}


def test_compare_studies_refuses_a_grid_whose_smallest_strength_moved_by_30_percent(cell):
    grid = cell.grid["L1"] * (2e-8 / cell.grid["L1"].min())  # L1's grid at the study's d=100, n=400
    moved = grid.copy()
    moved[moved.argmin()] *= 1.3
    stored, fresh = (dataclasses.replace(cell, grid=cell.grid | {"L1": g}) for g in (grid, moved))
    with pytest.raises(ValueError, match=r"^fresh cell 'c' is not the stored one's design"):
        compare_studies({"c": stored}, {"c": fresh})


@pytest.mark.parametrize("side", ["stored", "fresh"])
def test_compare_studies_gap_is_nan_if_an_accuracy_is_even_after_a_method_that_moved(side, cell):
    stored, fresh = copy.deepcopy(cell), copy.deepcopy(cell)
    fresh.accuracy["L1"][1] -= 0.06  # 3 points
    assert list(cell.accuracy)[-1] == "oracle"  # the last: max() would pass over a NaN there
    {"stored": stored, "fresh": fresh}[side].accuracy["oracle"][0] = np.nan
    gap, same = compare_studies({"c": stored}, {"c": fresh})["c"]
    assert np.isnan(gap) and same == 1.0


def _check_line(name: str, gap: str, same: str) -> str:
    return f"{name:>18}: largest gap in a mean accuracy {gap} points, same choices {same}\n"


def _check_failure(fresh: Path, stored: Path, names: list[str]) -> str:
    return (f"^{re.escape(str(fresh))} differs from {re.escape(str(stored))} by more than 1.0 points or in "
            rf"more than 10% of the choices in {re.escape(repr(names))}: run make study and commit its file$")


def test_check_thresholds_are_a_point_and_nine_choices_in_ten():
    assert (CHECK_POINTS, CHECK_SAME_CHOICES) == (1.0, 0.9)


def test_check_passes_an_identical_recomputation_and_prints_a_line_per_cell(cell, tmp_path, capsys):
    stored = _write_study(tmp_path / "stored.json", {"rotated": cell, "d=10 n=25": cell})
    fresh = _write_study(tmp_path / "fresh.json", {"rotated": cell, "d=10 n=25": cell})
    assert payoff_study._check(stored, fresh) is None
    lines = _check_line("rotated", "0.00", "100%") + _check_line("d=10 n=25", "0.00", "100%")
    assert capsys.readouterr().out == lines  # in the files' order


def _check_one_moved_cell(tmp_path, cells: dict, name: str, moved, fails: bool) -> None:
    """_check of ``cells`` against a copy with cell ``name`` ``moved``: fails naming it, or passes."""
    stored = _write_study(tmp_path / "stored.json", cells)
    fresh = _write_study(tmp_path / "fresh.json", cells | {name: moved})
    if fails:
        with pytest.raises(SystemExit, match=_check_failure(fresh, stored, [name])):
            payoff_study._check(stored, fresh)
    else:
        payoff_study._check(stored, fresh)


@pytest.mark.parametrize(("points", "fails"), [(0.9, False), (1.1, True)])
def test_check_fails_naming_the_cell_whose_mean_accuracy_moved_more_than_check_points(points, fails, cell,
                                                                                      tmp_path, capsys):
    moved = copy.deepcopy(cell)
    moved.accuracy["group lasso"] += points / 100
    _check_one_moved_cell(tmp_path, {"d=10 n=25": cell, "rotated": cell}, "rotated", moved, fails)
    assert capsys.readouterr().out.splitlines()[1] == _check_line("rotated", f"{points:.2f}", "100%").rstrip()


@pytest.mark.parametrize(("moves", "same", "fails"), [
    ({"L1": 1}, "90%", False),  # 9 of L1's 10 choices stay
    ({"L1": 1, "L2": 1, "filter": 1}, "90%", False),  # 9 of each method's 10
    ({"L1": 2}, "80%", True),  # 8 of L1's 10 (58 of the 60 choices with a grid, pooled)
], ids=["one of a method's", "one of each of three methods'", "two of a method's"])
def test_check_fails_naming_the_cell_where_a_methods_share_of_same_choices_is_below_check_same_choices(
        moves, same, fails, wide, tmp_path, capsys):
    moved = copy.deepcopy(wide)
    for method, count in moves.items():
        moved.chosen[method][:count] -= 1
    _check_one_moved_cell(tmp_path, {"d=10 n=25": wide, "rotated": wide}, "d=10 n=25", moved, fails)
    assert capsys.readouterr().out.splitlines()[0] == _check_line("d=10 n=25", "0.00", same).rstrip()


def test_check_names_every_cell_that_moved(cell, tmp_path):
    moved = copy.deepcopy(cell)
    moved.accuracy["none"] -= 0.02
    moved.chosen["filter"] -= 1
    stored = _write_study(tmp_path / "stored.json", {"d=10 n=25": cell, "rotated": cell, "correlated": cell})
    fresh = _write_study(tmp_path / "fresh.json", {"d=10 n=25": moved, "rotated": cell, "correlated": moved})
    with pytest.raises(SystemExit, match=_check_failure(fresh, stored, ["d=10 n=25", "correlated"])):
        payoff_study._check(stored, fresh)


_OTHER_CELLS = {
    "another order": lambda cell: {"rotated": cell, "d=10 n=25": cell},
    "a subset": lambda cell: {"rotated": cell},
    "another cell too": lambda cell: {"d=10 n=25": cell, "rotated": cell, "correlated": cell},
    "fewer seed sets": lambda cell: {"d=10 n=25": cell, "rotated": _rows(cell, [0], [1])},
    "another seed set": lambda cell: {"d=10 n=25": cell, "rotated": _rows(cell, [0, 1], [1, 7])},
}


@pytest.mark.parametrize("other", list(_OTHER_CELLS))
def test_check_refuses_files_that_do_not_hold_the_same_cells_and_seed_sets(other, cell, tmp_path, capsys):
    stored = _write_study(tmp_path / "stored.json", {"d=10 n=25": cell, "rotated": cell})
    fresh = _write_study(tmp_path / "fresh.json", _OTHER_CELLS[other](cell))
    match = rf"^{re.escape(str(fresh))} and {re.escape(str(stored))} must hold the same cells and seed sets$"
    with pytest.raises(SystemExit, match=match):
        payoff_study._check(stored, fresh)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("row", "printed"), [
    ((np.nan, 1.0), ("nan", "100%")),
    ((0.0, np.nan), ("0.00", "nan%")),
], ids=["gap", "share"])
def test_check_fails_a_cell_whose_gap_or_share_is_nan(row, printed, cell, tmp_path, monkeypatch, capsys):
    stored = _write_study(tmp_path / "stored.json", {"d=10 n=25": cell, "rotated": cell})
    fresh = _write_study(tmp_path / "fresh.json", {"d=10 n=25": cell, "rotated": cell})
    monkeypatch.setattr(payoff_study, "compare_studies", lambda stored, fresh: {"d=10 n=25": (0.0, 1.0),
                                                                                "rotated": row})
    with pytest.raises(SystemExit, match=_check_failure(fresh, stored, ["rotated"])):
        payoff_study._check(stored, fresh)
    assert capsys.readouterr().out.splitlines()[1] == _check_line("rotated", *printed).rstrip()


def test_check_refuses_a_file_with_a_nan_accuracy_as_it_reads_it(cell, tmp_path):
    moved = copy.deepcopy(cell)
    moved.accuracy["L1"][0] = np.nan  # in place: the dict's array, unchecked
    stored = _write_study(tmp_path / "stored.json", {"rotated": cell})
    fresh = _write_study(tmp_path / "fresh.json", {"rotated": moved})
    with pytest.raises(ValueError, match=r"^accuracy\['L1'\] must hold numbers \(no NaN\)$"):
        payoff_study._check(stored, fresh)


# --- the command line ---------------------------------------------------------------------------


def test_main_help_describes_the_command_and_its_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m l1reg.studies.payoff_study")
    assert "Chapter 09's whole study" in out
    for option in ("path", "--jobs", "--cells", "--seed-sets", f"(default {N_SEED_SETS})", "--check STORED"):
        assert option in out, option
    check = " ".join(out.split("--check STORED")[-1].split())  # argparse wraps the lines
    assert ("moved more than 1.0 points in a cell, or fewer than 90 % of a method's choices are the same"
            in check)


def test_the_module_runs_as_a_command():
    done = subprocess.run([sys.executable, "-m", "l1reg.studies.payoff_study", "--help"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: python -m l1reg.studies.payoff_study")


@pytest.mark.parametrize(("argv", "expected"), [
    (["study.json"], ("study.json", 2, list(CELLS), N_SEED_SETS)),
    (["study.json", "--jobs", "3", "--cells", "rotated", "d=10 n=25", "--seed-sets", "4"],
     ("study.json", 3, ["rotated", "d=10 n=25"], 4)),
])
def test_main_hands_its_arguments_to_run_study(argv, expected, monkeypatch, capsys, tmp_path):
    calls = []
    monkeypatch.setattr(payoff_study, "run_study", lambda *args: calls.append(args))
    monkeypatch.chdir(tmp_path)
    main(argv)
    assert calls == [expected]
    assert re.fullmatch(r"wrote study\.json in \d+ s\n", capsys.readouterr().out)


@pytest.mark.parametrize(("stored", "error", "match"), [
    ("missing", FileNotFoundError, r"No such file or directory"),
    ("not JSON", ValueError, r"^path must be a study file \(JSON, which make study writes\): "),
    ("another map seed", ValueError, rf"^path must be a study file .* in .*{re.escape(os.sep)}stored\.json$"),
])
def test_main_with_check_reads_the_stored_file_before_running_the_study(stored, error, match, monkeypatch,
                                                                       tmp_path, capsys):
    calls = []
    monkeypatch.setattr(payoff_study, "run_study", lambda *args: calls.append(args))
    path = tmp_path / "stored.json"
    if stored == "not JSON":
        path.write_text("<<<<<<< HEAD\n")  # a merge conflict
    elif stored == "another map seed":
        path.write_text(json.dumps(_other_map_seed(MAP_SEED + 1)))
    new = tmp_path / "out" / "new.json"
    with pytest.raises(error, match=match):
        main([str(new), "--check", str(path)])
    assert calls == [] and not new.parent.exists()
    assert capsys.readouterr().out == ""


@pytest.fixture
def prepared(cell, tmp_path, monkeypatch):
    """A stored study of two cells, and run_study replaced by a copy of ``fresh.json`` to its path."""
    stored = _write_study(tmp_path / "stored.json", {"d=10 n=25": cell, "rotated": cell})
    calls = []

    def run_study(path, *args):
        calls.append((path, *args))
        shutil.copyfile(tmp_path / "fresh.json", path)

    monkeypatch.setattr(payoff_study, "run_study", run_study)
    return stored, calls


def test_main_with_check_compares_the_new_file_with_the_stored_one_and_passes(prepared, cell, tmp_path,
                                                                             capsys):
    stored, calls = prepared
    moved = copy.deepcopy(cell)
    moved.accuracy["L2"] += 0.005  # half a point, within CHECK_POINTS: stored and fresh the right way round
    _write_study(tmp_path / "fresh.json", {"d=10 n=25": cell, "rotated": moved})
    new = tmp_path / "out" / "new.json"
    main([str(new), "--cells", "d=10 n=25", "rotated", "--check", str(stored)])
    assert calls == [(str(new), 2, ["d=10 n=25", "rotated"], N_SEED_SETS)]
    wrote, *lines = capsys.readouterr().out.splitlines(keepends=True)
    assert re.fullmatch(rf"wrote {re.escape(str(new))} in \d+ s\n", wrote)
    assert lines == [_check_line("d=10 n=25", "0.00", "100%"), _check_line("rotated", "0.50", "100%")]


def test_main_with_check_fails_when_the_new_file_moved(prepared, cell, tmp_path):
    stored, _ = prepared
    moved = copy.deepcopy(cell)
    moved.accuracy["elastic net"] += 0.02
    _write_study(tmp_path / "fresh.json", {"d=10 n=25": cell, "rotated": moved})
    new = tmp_path / "new.json"
    with pytest.raises(SystemExit, match=_check_failure(new, stored, ["rotated"])):
        main([str(new), "--cells", "d=10 n=25", "rotated", "--check", str(stored)])
