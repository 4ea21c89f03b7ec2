"""The printed book (``make pdf``), checked offline with poppler's tools.

The PDF is compared with the one-page HTML build it was printed from
(``_build/singlehtml``): every page of ``_toc.yml`` is in it, by its title, in the text
and in the outline (the PDF's bookmarks), in reading order, under its part; the pages are
numbered; every figure is printed (an image of the same size in pixels); every glued
number is printed where the prose quotes it; every exercise and its solution are printed,
the solutions unfolded; the animation is one static frame; and no raw TeX, no unresolved
reference (``??``) and no Python repr such as ``<IPython.core.display.HTML object>``
is left in the text, other than what the code shown in the book itself contains.

Run it with ``make pdf``, which builds and prints the book first, or by hand:

    .venv/bin/python -m pytest browser_tests/test_pdf.py --book-pdf=FILE --book-singlehtml=DIR

Needs ``pdfinfo``, ``pdftotext``, ``pdftohtml`` and ``pdfimages`` (Debian: poppler-utils).
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import struct
import subprocess
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml
from print_pdf import parts, root_page

from conftest import ROOT, toc_docs

MATH = re.compile(r'<(span|div) class="math[^"]*"[^>]*>.*?</\1>', re.S)
HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
PASTED = re.compile(r'<span class="pasted-text">(.*?)</span>', re.S)
# Tokens that betray TeX the page did not typeset, a broken reference, or a Python repr.
SUSPECTS = {
    "a dollar sign": r"\$",
    "a TeX command": r"\\[A-Za-z]+",
    "a TeX delimiter": r"\\[()\[\]]",
    "an unresolved reference (??)": r"\?\?",
}
NEVER = ("<IPython.core.display", "<Figure size", "<matplotlib.")


def run(*command: str) -> str:
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is not on the PATH: on Debian, `apt-get install poppler-utils`",
                    pytrace=False)
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def norm(text: str) -> str:
    """Text as compared: Unicode compatibility forms (ligatures apart), one space for any run."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def squeeze(text: str) -> str:
    """Text without whitespace and hyphens: neither a line break, a word wrapped in code,
    nor pdftotext's joining of a word hyphenated at a line's end can split it."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", unicodedata.normalize("NFKC", text))


def plain(fragment: str, math: str = " ") -> str:
    """The text of an HTML fragment; each formula becomes ``math``."""
    fragment = MATH.sub(math, HEADERLINK.sub("", fragment))
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# --- what the PDF holds ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(pytestconfig) -> Path:
    path = Path(pytestconfig.getoption("--book-pdf")).resolve()
    if not path.is_file():
        pytest.fail(f"no PDF at {path}: run `make pdf`", pytrace=False)
    return path


@pytest.fixture(scope="module")
def info(pdf) -> dict[str, str]:
    return dict(line.split(":", 1) for line in run("pdfinfo", str(pdf)).splitlines() if ":" in line)


@pytest.fixture(scope="module")
def n_pages(info) -> int:
    return int(info["Pages"])


@pytest.fixture(scope="module")
def pages(pdf) -> list[str]:
    """The text of each page, in reading order."""
    return run("pdftotext", "-enc", "UTF-8", str(pdf), "-").split("\f")[:-1]


@pytest.fixture(scope="module")
def title() -> str:
    return str(yaml.safe_load((ROOT / "_config.yml").read_text())["title"])


@pytest.fixture(scope="module")
def body(pages, title) -> str:
    """The whole text without the page footers (the title and "page / pages")."""
    footer = re.compile(rf"^\s*({re.escape(title)}|\d+ / \d+)\s*$")
    return "\n".join(line for page in pages for line in page.splitlines() if not footer.match(line))


@pytest.fixture(scope="module")
def outline(pdf) -> list[tuple[int, int, str]]:
    """The PDF's bookmarks as ``(depth, page, title)``, depth 1 at the top, in order."""
    xml = run("pdftohtml", "-xml", "-i", "-q", "-stdout", "-enc", "UTF-8", str(pdf), "/dev/null")
    items, depth = [], 0
    for match in re.finditer(r'<outline>|</outline>|<item page="(\d+)">(.*?)</item>', xml, re.S):
        if match.group(0) == "<outline>":
            depth += 1
        elif match.group(0) == "</outline>":
            depth -= 1
        else:
            items.append((depth, int(match.group(1)), norm(html.unescape(match.group(2)))))
    return items


# --- what the book holds ------------------------------------------------------------------


@pytest.fixture(scope="module")
def single(pytestconfig) -> Path:
    path = Path(pytestconfig.getoption("--book-singlehtml")).resolve()
    if not (path / "index.html").is_file():
        pytest.fail(f"no singlehtml build in {path}: run `make pdf`", pytrace=False)
    return path


@pytest.fixture(scope="module")
def article(single) -> str:
    """The HTML of the book's one page, its article only (no navigation)."""
    page = (single / root_page(single)).read_text()
    return page[page.index("<article"): page.rindex("</article>")]


@pytest.fixture(scope="module")
def code_text(article) -> str:
    """All the code the book shows: its blocks, its outputs and its inline code."""
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", article, re.S)
    blocks += re.findall(r"<code[^>]*>(.*?)</code>", article, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", "\n".join(blocks)))


@pytest.fixture(scope="module")
def doc_titles(article) -> dict[str, str]:
    """Each page of the table of contents, by its title in the book (section number apart)."""
    docs = toc_docs(ROOT / "_toc.yml")
    titles = {}
    for doc in docs:
        if doc == docs[0]:
            match = re.search(r"<h1>(.*?)</h1>", article, re.S)
        else:
            match = re.search(rf'<span id="document-{re.escape(doc)}"></span>\s*<section[^>]*>\s*'
                              r'(?:<span id="[^"]*"></span>\s*)*<h\d[^>]*>(.*?)</h\d>', article, re.S)
        assert match, f"{doc} is not in the singlehtml build"
        heading = re.sub(r'<span class="section-number">.*?</span>', "", match.group(1))
        titles[doc] = norm(plain(heading))
    return titles


# --- the checks -----------------------------------------------------------------------------


def test_the_pdf_is_one_a4_book_with_its_title(info, n_pages, pages, title, doc_titles):
    assert info["Title"].strip() == title
    assert "(A4)" in info["Page size"]
    assert len(pages) == n_pages
    # each chapter and reference page starts a page of its own
    assert n_pages >= 2 * len(doc_titles), f"only {n_pages} pages"


def test_the_first_page_says_the_version_and_the_licences(pages):
    """The HTML footer's colophon, printed under the title: a PDF travels without the site."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    first = " ".join(pages[0].split())
    for words in (f"Version {version}.", "CC BY 4.0", "MIT licence", "LICENSE"):
        assert words in first, f"the first page lacks {words!r}"


def bookmark(outline, doc_titles, doc) -> tuple[int, str] | None:
    """``(page, title)`` of the bookmark of ``doc``: the root at the top, a page under its part."""
    depth = 1 if doc == next(iter(doc_titles)) else 2
    hits = [(page, name) for d, page, name in outline if d == depth and name.endswith(doc_titles[doc])]
    return hits[0] if hits else None


def test_every_page_of_the_table_of_contents_is_printed(pages, outline, doc_titles):
    """Each title in the text of the page its bookmark points to (not only in the contents)."""
    missing = []
    for doc, name in doc_titles.items():
        found = bookmark(outline, doc_titles, doc)
        if found is None or squeeze(name) not in squeeze(pages[found[0] - 1]):
            missing.append(f"{doc}: {name!r} (bookmark: {found})")
    assert not missing, "titles not printed where their bookmarks point:\n" + "\n".join(missing)


def test_the_outline_follows_the_table_of_contents(outline, doc_titles, title):
    top = [name for depth, _, name in outline if depth == 1]
    captions = [caption for caption, _ in parts(ROOT / "_toc.yml")]
    assert top == [title, *captions], f"the outline's top level is {top}"
    found = {doc: bookmark(outline, doc_titles, doc) for doc in doc_titles}
    missing = [f"{doc} ({doc_titles[doc]!r})" for doc, hit in found.items() if hit is None]
    assert not missing, f"no bookmark for {missing}"
    pages_at = [page for page, _ in found.values()]
    assert pages_at == sorted(pages_at), f"bookmarks out of the table of contents' order: {found}"
    assert len(outline) > 3 * len(doc_titles), "the outline should reach the sections too"


def test_the_pages_are_numbered(pdf, n_pages):
    for number in sorted({1, 2, n_pages // 2, n_pages}):
        text = run("pdftotext", "-f", str(number), "-l", str(number), "-enc", "UTF-8", str(pdf), "-")
        assert f"{number} / {n_pages}" in text, f"page {number} has no number '{number} / {n_pages}'"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_every_figure_is_printed(pdf, single, article):
    """An image of each figure's size in pixels, as many times as the book shows it."""
    sizes = Counter(png_size((single / src).read_bytes())
                    for src in re.findall(r'<img[^>]*\bsrc="([^"]+\.png)"', article))
    # an animation prints one of its frames, all of one size
    for frame in re.findall(r'frames\[0\] = "data:image/png;base64,([A-Za-z0-9+/]{32})', article):
        sizes[png_size(base64.b64decode(frame))] += 1
    assert sum(sizes.values()) == len(re.findall(r"<img\b", article)), "an image that is not a PNG"
    listed = [row.split() for row in run("pdfimages", "-list", str(pdf)).splitlines()[2:]]
    printed = Counter((int(row[3]), int(row[4])) for row in listed if row[2] == "image")
    missing = sizes - printed
    assert not missing, f"figures not in the PDF (width x height: times): {dict(missing)}"


def test_glued_numbers_are_printed_in_their_sentences(body, article):
    """Each glued number with the words just before it, as the prose has them."""
    marked = PASTED.sub(lambda m: "\x01" + m.group(1) + "\x02", article)
    text = squeeze(body)
    checked, missing = 0, []
    for match in re.finditer(r"([^\x00\x01\x02]{12})\x01([^\x02]*)\x02", plain(marked, math="\x00")):
        value = squeeze(match.group(2))
        if not re.search(r"\d", value):
            continue
        quoted = squeeze(match.group(1))[-8:] + value
        checked += 1
        if quoted not in text:
            missing.append(repr(match.group(1)[-20:] + match.group(2)))
    assert checked >= 50, f"only {checked} glued numbers found in the book"
    assert not missing, f"{len(missing)} of {checked} glued numbers not printed so:\n" + "\n".join(missing)


def test_exercises_and_their_solutions_are_printed(body, article):
    squeezed = squeeze(body)
    exercises = [norm(plain(t)) for t in re.findall(
        r'<div class="exercise[^"]*"[^>]*>\s*<p class="admonition-title">(.*?)</p>', article, re.S)]
    solutions = re.findall(r'<div class="solution[^"]*"[^>]*>\s*<p class="admonition-title">(.*?)</p>'
                           r"(.*?)</section>", article, re.S)
    assert len(exercises) >= 10 and len(solutions) >= 10, (len(exercises), len(solutions))
    missing = [name for name in exercises if squeeze(name) not in squeezed]
    for heading, content in solutions:
        name = norm(plain(heading))
        if squeeze(name) not in squeezed:
            missing.append(name)
        # the first run of 30 characters without a formula: the solution's own words
        runs = [squeeze(r) for r in plain(content, math="\x00").split("\x00")]
        start = next((r[:30] for r in runs if len(r) >= 30), None)
        if start and start not in squeezed:
            missing.append(f"{name}: its text ({start!r}...)")
    assert not missing, "not printed:\n" + "\n".join(missing)


def test_each_animation_is_one_frame(body, article):
    animations = len(re.findall(r'<div class="animation"', article))
    notes = re.findall(r"Frame (\d+) of (\d+) of an animation", norm(body))
    assert len(notes) == animations >= 1
    for shown, total in notes:
        assert 1 <= int(shown) <= int(total)


def test_no_raw_tex_references_or_reprs(body, code_text):
    """None beyond what the code shown in the book contains (a label's $\\lambda$, say)."""
    problems = []
    for what, pattern in SUSPECTS.items():
        printed, in_code = len(re.findall(pattern, body)), len(re.findall(pattern, code_text))
        if printed > in_code:
            sample = [m.group(0) for m in re.finditer(r".{0,30}" + pattern + r".{0,30}", body)][:3]
            problems.append(f"{what}: {printed} in the PDF, {in_code} in the book's code; {sample}")
    problems += [f"{repr_!r} in the PDF" for repr_ in NEVER if repr_ in body]
    assert not problems, "\n".join(problems)
