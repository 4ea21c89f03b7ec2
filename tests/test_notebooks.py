"""The chapters' notebooks as files: how their checks are declared, and their figures.

nbval (with tests/nbval_tolerance.py) re-runs the notebooks; these tests read them as
stored, so that the rules of the scheme hold in every cell, not only in the ones that vary
on this machine:

- a cell declares a tolerance only in its metadata, with a reason the plugin accepts;
- nbval's markers are tags, never comments, and an ignored cell says why;
- no code cell talks about the checker or the CPUs (a reader runs every cell in Jupyter);
- every figure has alt text, a caption and a name, so that a screen reader can say what it
  shows and the prose can refer to it by number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nbval_tolerance import IGNORE_REASON_KEY, METADATA_KEY, Tolerance

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
#: Comment lines about the checker or the machine, which belong in cell metadata.
CHECKER_TALK = re.compile(r"NBVAL|\bAVX|\bCPUs?\b|round-off|\bvariants?\b|OpenBLAS|XLA|nbval", re.I)
FILE_NAME = re.compile(r"^\S+\.(png|jpe?g|svg|gif)$", re.I)


def code_cells(path: Path):
    nb = json.loads(path.read_text())
    index = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            yield index, cell
            index += 1  # as nbval numbers them: code cells only


def source(cell) -> str:
    return "".join(cell["source"])


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request) -> Path:
    return request.param


def test_the_chapters_are_found():
    assert len(NOTEBOOKS) >= 8


def test_declared_tolerances_parse_and_give_a_reason(notebook):
    for index, cell in code_cells(notebook):
        if METADATA_KEY in cell["metadata"]:
            try:
                Tolerance.from_metadata(cell["metadata"])
            except ValueError as err:
                pytest.fail(f"{notebook.name} cell {index}: {err}")


def test_nbval_markers_are_tags_and_an_ignored_cell_says_why(notebook):
    for index, cell in code_cells(notebook):
        assert "NBVAL_" not in source(cell), f"{notebook.name} cell {index}: an nbval comment marker"
        if "nbval-ignore-output" in cell["metadata"].get("tags", []):
            reason = cell["metadata"].get(IGNORE_REASON_KEY, "")
            assert reason.strip(), f"{notebook.name} cell {index}: ignored without {IGNORE_REASON_KEY!r}"
            assert METADATA_KEY not in cell["metadata"], (
                f"{notebook.name} cell {index}: ignored and a tolerance: one or the other"
            )


def test_no_code_cell_talks_about_the_checker_or_the_cpu(notebook):
    talk = [
        f"cell {index}: {line.strip()}"
        for index, cell in code_cells(notebook)
        for line in source(cell).splitlines()
        if line.strip().startswith("#") and CHECKER_TALK.search(line)
    ]
    assert not talk, f"{notebook.name}: " + "; ".join(talk)


def is_animation(out) -> bool:
    """An animation from ``plots.animation_html``: HTML with its frames and a slider."""
    return 'class="animation"' in "".join(out.get("data", {}).get("text/html", ""))


def test_every_figure_has_alt_text_a_caption_and_a_name(notebook):
    for index, cell in code_cells(notebook):
        outputs = cell.get("outputs", [])
        picture = any("image/png" in out.get("data", {}) for out in outputs)
        animation = any(is_animation(out) for out in outputs)
        if not (picture or animation):
            continue
        meta = cell["metadata"].get("mystnb", {})
        figure = meta.get("figure", {})
        where = f"{notebook.name} cell {index}"
        if picture:  # an animation's frames carry the alt text animation_html(alt=) gives them
            alt = str(meta.get("image", {}).get("alt", "")).strip()
            assert len(alt) >= 20 and not FILE_NAME.match(alt), f"{where}: alt text {alt!r}"
        assert str(figure.get("caption", "")).strip(), f"{where}: no caption"
        assert re.fullmatch(r"fig-[a-z0-9]+(-[a-z0-9]+)+", str(figure.get("name", ""))), (
            f"{where}: figure name {figure.get('name')!r} (fig-chNN-slug)"
        )


def figure_names() -> list[str]:
    """The names of the book's figures, as the cells' metadata give them."""
    return [
        cell["metadata"]["mystnb"]["figure"]["name"]
        for path in NOTEBOOKS
        for _, cell in code_cells(path)
        if "name" in cell["metadata"].get("mystnb", {}).get("figure", {})
    ]


def test_figure_names_are_unique_in_the_book():
    names = figure_names()
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_the_text_refers_to_every_figure_by_number():
    names = figure_names()
    text = "".join(
        "".join(cell["source"]) for path in NOTEBOOKS for cell in json.loads(path.read_text())["cells"]
    ) + "".join(path.read_text() for path in ROOT.glob("*.md"))
    unreferenced = [name for name in names if not re.search(rf"\{{numref\}}`([^`]*<)?{name}>?`", text)]
    assert not unreferenced, f"figures the text never refers to with {{numref}}: {unreferenced}"
