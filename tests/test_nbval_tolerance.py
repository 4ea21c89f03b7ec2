"""The notebooks' checker compares numbers within each cell's declared tolerance.

The fixture notebooks below are run by nbval, with tests/nbval_tolerance.py loaded, in a
separate pytest process, exactly as ``make test`` runs the chapters: each notebook's
stored output differs from what its cell prints in one chosen way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from nbval_tolerance import Tolerance, numbers_outside

HERE = Path(__file__).resolve().parent
FRAME = '<script>frames[0] = "data:image/png;base64,{}";</script>'
WIDE = {"atol": 0.01, "reason": "a statistic over training runs, printed to 0.001"}


def notebook(source: str, stored: str, metadata: dict | None = None, output: str = "stream"):
    """One executed code cell: ``source`` runs, ``stored`` is the output nbval expects."""
    cell = nbformat.v4.new_code_cell(source, execution_count=1, metadata=metadata or {})
    if output == "stream":
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    else:  # what a bare expression (and a glued value) stores: ``output`` data
        data = {output: stored}
        if output == "text/html":
            data["text/plain"] = "<IPython.core.display.HTML object>"
        cell.outputs = [nbformat.v4.new_output("execute_result", data=data, execution_count=1)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


CASES = {
    # name: (notebook, passes?)
    "within": (notebook('print("sd 1.5512 over 30 sets, gain +0.93 [+0.11, +1.75]")',
                        "sd 1.5500 over 30 sets, gain +0.94 [+0.12, +1.74]\n", {"tolerance": WIDE}), True),
    "within_data": (notebook("0.3202", "0.3201", {"tolerance": WIDE}, output="text/plain"), True),
    "roundoff_by_default": (notebook("print(0.1 + 0.2)", "0.3\n"), True),
    "outside": (notebook('print("sd 1.5512 over 30 sets")', "sd 1.6000 over 30 sets\n",
                         {"tolerance": WIDE}), False),
    "default_is_exact": (notebook('print("mean 0.5501")', "mean 0.5500\n"), False),
    "words": (notebook('print("sd 1.5512 over 30 sets")', "median 1.5512 over 30 sets\n",
                       {"tolerance": WIDE}), False),
    "counts": (notebook('print("30 of 30 collapsed")', "29 of 30 collapsed\n",
                        {"tolerance": {"atol": 5, "reason": "wide"}}), False),
    "no_reason": (notebook('print("sd 1.5512")', "sd 1.5512\n", {"tolerance": {"atol": 0.1}}), False),
    "ignored": (notebook('print("took 1.2 s")', "took 3.4 s\n",
                         {"tags": ["nbval-ignore-output"], "ignore_reason": "a wall-clock time"}), True),
    "ignored_without_reason": (notebook('print("took 1.2 s")', "took 3.4 s\n",
                                        {"tags": ["nbval-ignore-output"]}), False),
    "embedded_png": (notebook(f"from IPython.display import HTML; HTML({FRAME.format('AAAA')!r})",
                              FRAME.format("BB\\\nCC=="), output="text/html"), True),
    "embedded_png_text": (notebook(f"from IPython.display import HTML; HTML({FRAME.format('AAAA')!r})",
                                   FRAME.format("AAAA").replace("frames", "pictures"),
                                   output="text/html"), False),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """``{case: failure text, or None if its cell passed}``, from one nbval run over all cases."""
    folder = tmp_path_factory.mktemp("nbval_tolerance")
    for name, (nb, _) in CASES.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    report = folder / "report.xml"
    path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "nbval_tolerance", "-p", "no:cacheprovider",
         "-p", "no:xdist", "--color=no", "--nbval", "--nbval-current-env", f"--junitxml={report}", "-q",
         "--rootdir", str(folder), *sorted(str(p) for p in folder.glob("*.ipynb"))],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )
    found = {}
    for case in ET.parse(report).iter("testcase"):
        failure = case.find("failure")
        text = None if failure is None else failure.get("message", "") + (failure.text or "")
        found[Path(case.get("classname")).stem] = text
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_fixture_notebook_passes_or_fails_as_declared(outcomes, case):
    assert case in outcomes, f"nbval did not run {case}.ipynb: {sorted(outcomes)}"
    passes = CASES[case][1]
    assert (outcomes[case] is None) == passes, outcomes[case]


def test_a_number_outside_the_tolerance_is_named_with_both_values_and_the_cell(outcomes):
    text = outcomes["outside"]
    assert "Cell 0" in text
    assert "stored 1.6000, got 1.5512" in text
    assert "the cell allows 0.01" in text
    assert "a statistic over training runs" in text


def test_other_words_fail_with_nbvals_own_diff(outcomes):
    text = outcomes["words"]
    assert "Cell outputs differ" in text and "median" in text
    assert "outside cell" not in text  # no numbers to blame


def test_a_declaration_without_a_reason_is_refused(outcomes):
    assert "needs a 'reason'" in outcomes["no_reason"]
    assert "no 'ignore_reason'" in outcomes["ignored_without_reason"]


@pytest.mark.parametrize("metadata, message", [
    ({"tolerance": [0.1]}, "must be a mapping"),
    ({"tolerance": {"atol": 0.1, "reason": "r", "rtoll": 1}}, "unknown keys ['rtoll']"),
    ({"tolerance": {"atol": -1, "reason": "r"}}, "atol must be a finite number >= 0"),
    ({"tolerance": {"rtol": "0.1", "reason": "r"}}, "rtol must be a finite number >= 0"),
    ({"tolerance": {"atol": float("nan"), "reason": "r"}}, "atol must be a finite number >= 0"),
    ({"tolerance": {"atol": True, "reason": "r"}}, "atol must be a finite number >= 0"),
    ({"tolerance": {"atol": 0.1, "reason": "  "}}, "needs a 'reason'"),
])
def test_bad_declarations_name_what_is_wrong(metadata, message):
    with pytest.raises(ValueError, match="tolerance") as err:
        Tolerance.from_metadata(metadata)
    assert message in str(err.value)


def test_the_default_is_round_off_only():
    tolerance = Tolerance.from_metadata({})
    assert (tolerance.rtol, tolerance.atol) == (1e-9, 1e-12)
    assert numbers_outside("0.30000000000000004", "0.3", tolerance) == []
    assert numbers_outside("0.3201", "0.3202", tolerance) == [
        "number 1: stored 0.3201, got 0.3202 (they differ by 0.0001; the cell allows 3.21e-10)"]


def test_numbers_outside_compares_the_words_and_the_count_of_numbers():
    wide = Tolerance(atol=1.0, reason="wide")
    assert numbers_outside("gain +1.2 [+0.1, +2.3]", "gain +1.3 [+0.2, +2.2]", wide) == []
    assert numbers_outside("gain +1.2", "loss +1.2", wide) is None
    assert numbers_outside("1.2 and 3.4", "1.2", wide) is None
    assert numbers_outside("7.5 items", "7.6 items", Tolerance(rtol=0.1, reason="r")) == []


@pytest.mark.parametrize(("stored", "got"), [
    ("largest |dE/dw| at W = 0: 0.07;  kappa 0.710", "largest |dE/dw| at W = 0: 0.08;  kappa 0.710"),
    ("accuracy 66.9%", "accuracy 66.8%"),
    ("ratio 1.5/2.5", "ratio 1.5/2.4"),
    ("the value '0.25'", "the value '0.26'"),
    ("first: 1.5: then", "first: 1.6: then"),
])
def test_numbers_that_end_a_clause_or_carry_a_unit_are_read_as_numbers(stored, got):
    assert numbers_outside(stored, got, Tolerance(atol=0.2, reason="r")) == []
    assert len(numbers_outside(stored, got, Tolerance(reason="round-off"))) == 1


def test_signs_and_exponents_stay_part_of_the_text():
    loose = Tolerance(atol=10.0, reason="r")
    assert numbers_outside("x1e-5", "x1e-6", loose) is None  # not a number: words differ
    assert numbers_outside("abc-1.5", "abc-1.6", loose) is None
    assert numbers_outside("a -1.5 b", "a +1.5 b", Tolerance(atol=0.1, reason="r")) != []


def test_the_project_loads_the_plugin_for_its_chapters():
    """``pytest --nbval chapters/...`` from the project root compares with tolerances (conftest.py)."""
    root = HERE.parent
    chapter = sorted((root / "chapters").glob("*.ipynb"))[0]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "--collect-only",
         "-p", "no:xdist", str(chapter.relative_to(root))],
        cwd=root, capture_output=True, text=True, timeout=120,
    )
    header = "nbval_tolerance: numbers compare within each cell's metadata 'tolerance'"
    assert header in out.stdout, out.stdout
