"""_ext/execution.py: BOOK_EXECUTE chooses, for one build, whether the notebooks run."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("book_execution", ROOT / "_ext" / "execution.py")
execution = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execution)


def configured(monkeypatch, value: str | None) -> str:
    if value is None:
        monkeypatch.delenv("BOOK_EXECUTE", raising=False)
    else:
        monkeypatch.setenv("BOOK_EXECUTE", value)
    config = SimpleNamespace(nb_execution_mode="off")
    execution._apply(None, config)
    return config.nb_execution_mode


@pytest.mark.parametrize("value", [None, "", "  "])
def test_unset_or_empty_leaves_the_configuration_alone(monkeypatch, value):
    assert configured(monkeypatch, value) == "off"


@pytest.mark.parametrize("mode", execution.MODES)
def test_a_mode_of_myst_nb_is_applied(monkeypatch, mode):
    assert configured(monkeypatch, mode) == mode


@pytest.mark.parametrize("value", ["1", "0", "yes", "Force"])
def test_anything_else_is_refused_naming_the_variable(monkeypatch, value):
    with pytest.raises(ValueError, match=r"BOOK_EXECUTE must be one of off, auto, cache"):
        configured(monkeypatch, value)


@pytest.mark.parametrize(("execute", "expected"), [
    ("", "BOOK_EXECUTE= "), ("0", "BOOK_EXECUTE= "), ("1", "BOOK_EXECUTE=cache "),
    ("force", "BOOK_EXECUTE=force "),
])
def test_make_book_translates_execute(execute, expected):
    # make -n prints the build command without running it (and without making .venv:
    # the ready-file's rule is printed, not run).
    out = subprocess.run(["make", "-n", "book", f"EXECUTE={execute}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    builds = [line for line in out.splitlines() if "jupyter-book build" in line]
    assert builds and builds[0].startswith(expected), builds
