"""make refresh: a notebook is stored with its new outputs, or left exactly as it was."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import refresh_notebooks

SCRIPT = Path(__file__).with_name("refresh_notebooks.py")


def notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def run(*args: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True)


def test_stores_outputs_run_in_the_notebooks_folder(tmp_path):
    (tmp_path / "data.txt").write_text("from the folder")
    path = notebook(tmp_path / "ok.ipynb", "print(open('data.txt').read(), end='')\nimport sys\n"
                    "sys.stdout.flush()\nprint()\nsys.stdout.flush()\nprint('again')")
    assert run(path).returncode == 0
    cell = nbformat.read(path, as_version=4).cells[0]
    assert [o["text"] for o in cell.outputs] == ["from the folder\nagain\n"]  # one stream, as stored
    assert "execution" not in cell.metadata  # no timings stored
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_failing_notebook_is_left_as_it_was_and_named(tmp_path):
    bad = notebook(tmp_path / "bad.ipynb", "print('new')", "raise ValueError('broken cell')")
    good = notebook(tmp_path / "good.ipynb", "print(2 + 2)")
    before = bad.read_bytes()
    result = run(bad, good)
    assert result.returncode == 1
    assert bad.read_bytes() == before
    assert f"FAILED {bad}" in result.stderr and "broken cell" in result.stderr
    assert "1 notebook(s) failed" in result.stderr
    assert nbformat.read(good, as_version=4).cells[0].outputs[0]["text"] == "4\n"


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = notebook(tmp_path / "nb.ipynb", "1")
    before = path.read_bytes()

    def write_half(nb, stream):
        stream.write('{"cells": [')
        raise KeyboardInterrupt

    monkeypatch.setattr(refresh_notebooks.nbformat, "write", write_half)
    with pytest.raises(KeyboardInterrupt):
        refresh_notebooks.write_atomically(nbformat.read(path, as_version=4), path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_usage_errors(tmp_path):
    result = run(tmp_path / "missing.ipynb")
    assert result.returncode == 2 and "no such notebook" in result.stderr
