"""Print the book to one PDF with headless Chromium: ``make pdf``.

    .venv/bin/python browser_tests/print_pdf.py [--html _build/singlehtml] [--out FILE]

The input is Jupyter Book's ``singlehtml`` build, the whole book on one page. The page
is served on 127.0.0.1 and opened in the same headless Chromium the browser test
drives (nothing is downloaded, no request leaves this machine); once MathJax has typeset
every formula and every image has loaded, the page is made ready for paper:

* the exercises' solutions (``sphinx-exercise`` dropdowns) and any other folded block
  are opened, so the PDF prints them;
* an animation (chapter 02's lambda path, matplotlib's ``to_jshtml``) becomes one static
  frame, its ``data-key-frame`` or else the middle one, with a line saying which; its
  controls are not printed;
* the parts of ``_toc.yml`` (Chapters, Appendix, Reference) become headings, so that the
  PDF's outline follows the table of contents; each part and chapter starts a page;
* code and outputs wrap instead of being cut at the page's edge;
* the footer every HTML page carries (``_config.yml``'s ``html.extra_footer``: the
  version and the licences) is printed once, under the book's title, as a colophon.

Then DevTools' ``Page.printToPDF`` writes an A4 PDF with the outline as bookmarks
(``generateDocumentOutline``, from a tagged PDF) and page numbers in the footer.
``browser_tests/test_pdf.py`` checks the result with poppler's tools.
"""

from __future__ import annotations

import argparse
import base64
import html
import re
import shutil
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from test_book import WAIT_FOR_IMAGES, WAIT_FOR_MATHJAX  # noqa: E402

from conftest import serve, start_chromium, toc_docs  # noqa: E402

MATHJAX_TIMEOUT_S = 120  # the whole book's formulas, on one page
IMAGE_TIMEOUT_MS = 30_000
A4_INCHES = (8.27, 11.69)

PRINT_CSS = """
@media print {
  .bd-main .bd-content .bd-article h1.print-part {
    display: block !important; break-before: page; font-size: 2.2em; margin: 0 0 1em 0;
  }
  .print-chapter { break-before: page; }
  pre, .output pre, div.highlight pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
  div.cell_output, div.highlight, div.output, .table-wrapper, .bd-article-container,
  mjx-container[display="true"] { overflow: visible !important; max-height: none !important; }
  .animation .anim-controls, .toggle-button, button.copybtn, a.headerlink { display: none !important; }
  .print-frame-note { font-size: 0.9em; font-style: italic; }
  .print-colophon { font-size: 0.85em; color: #444; margin: 0.5em 0 1.5em 0; }
  img, figure, div.animation, div.cell_input, div.cell_output { break-inside: avoid; }
  /* Chromium prints a shadow as an image, a page wide: the theme's shadows go. */
  html { --pst-color-shadow: transparent !important; }
  * { box-shadow: none !important; text-shadow: none !important; }
  h1, h2, h3, h4, .admonition-title { break-after: avoid; }
}
"""

# Run in the page: open what is folded, freeze the animations, add the parts' headings.
PREPARE = """
const parts = arguments[0], css = arguments[1], title = arguments[2], colophon = arguments[3];
const style = document.createElement("style");
style.textContent = css;
document.head.appendChild(style);
document.title = title;
// sphinx-togglebutton folds admonitions (the solutions) with a class, and other blocks
// in <details>: unfold both.
document.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
document.querySelectorAll("details").forEach((d) => { d.open = true; });
// The contents list the theme prints first names the parts; they are not headings there.
document.querySelectorAll("#jb-print-toc [role=heading]").forEach((e) => e.removeAttribute("role"));
// The HTML pages' footer (version, licences), once, under the book's title.
const firstTitle = document.querySelector(".bd-article h1, article h1, h1");
if (colophon && firstTitle) {
  const note = document.createElement("div");
  note.className = "print-colophon";
  note.innerHTML = colophon;
  firstTitle.insertAdjacentElement("afterend", note);
}
const frames = [];
document.querySelectorAll("div.animation").forEach((div) => {
  const slider = div.querySelector("input[type=range]");
  const max = Number(slider.max);
  const wanted = div.dataset.keyFrame !== undefined ? Number(div.dataset.keyFrame) : Math.floor(max / 2);
  slider.value = wanted;
  slider.dispatchEvent(new Event("input", {bubbles: true}));
  const note = document.createElement("p");
  note.className = "print-frame-note";
  note.textContent = "Frame " + (wanted + 1) + " of " + (max + 1) +
    " of an animation: the HTML version of the book has a slider through all of them.";
  div.insertAdjacentElement("afterend", note);
  frames.push([wanted, max + 1, div.querySelector("img").src.length]);
});
const missing = [];
for (const [caption, doc] of parts) {
  const anchor = document.getElementById("document-" + doc);
  if (!anchor) { missing.push(doc); continue; }
  const heading = document.createElement("h1");
  heading.className = "print-part";
  heading.textContent = caption;
  anchor.insertAdjacentElement("beforebegin", heading);
}
// Every document after the first starts a page, unless a part's heading just did.
document.querySelectorAll("span[id^='document-']").forEach((anchor) => {
  const section = anchor.nextElementSibling;
  const before = anchor.previousElementSibling;
  if (section && !(before && before.classList.contains("print-part"))) {
    section.classList.add("print-chapter");
  }
});
return {frames: frames, missing: missing};
"""

# The headings Chromium turns into the outline (those printed, with text), in order, as
# plain text: its own titles join a heading's pieces without spaces, repeat some, and
# drop the mathematics (MathJax's assistive MathML gives it as text here).
HEADINGS = """
const found = [];
for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6, [role=heading]")) {
  if (!h.getClientRects().length || getComputedStyle(h).visibility === "hidden"
      || h.closest("[aria-hidden=true]")) continue;
  const copy = h.cloneNode(true);
  copy.querySelectorAll(".headerlink, .toggle-button").forEach((e) => e.remove());
  copy.querySelectorAll("mjx-container").forEach((m) => {
    const mml = m.querySelector("mjx-assistive-mml");
    m.replaceWith(mml ? mml.textContent : "");
  });
  const text = copy.textContent.replace(/\\s+/g, " ").trim();
  if (text) found.push(text);
}
return found;
"""

WAIT_FOR_FRAMES = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.querySelectorAll("div.animation img"));
Promise.all(imgs.map((img) => img.decode().catch(() => null)))
  .then(() => document.fonts.ready).then(() => done(imgs.length));
"""


# --- the outline's titles, rewritten in an incremental update of the PDF -----------------
#
# Chromium (Skia) writes a classic PDF 1.4: an uncompressed cross-reference table, every
# dictionary in the clear. An incremental update appends new versions of the outline's
# items, with the headings' own text as titles, and a cross-reference section for them.


def _object(pdf: bytes, offsets: dict[int, int], number: int) -> bytes:
    """The dictionary of object ``number`` (the bytes between ``obj`` and ``endobj``)."""
    start = offsets[number]
    match = re.compile(rb"\d+ 0 obj\s*(.*?)\s*endobj", re.S).match(pdf, start)
    if not match:
        raise ValueError(f"object {number} not found at byte {start}")
    return match.group(1)


def _ref(dictionary: bytes, key: bytes) -> int | None:
    match = re.search(rb"/" + key + rb"\s+(\d+)\s+0\s+R", dictionary)
    return int(match.group(1)) if match else None


def _xref(pdf: bytes) -> tuple[dict[int, int], bytes, int]:
    """Object offsets, the trailer dictionary and the offset of the cross-reference table."""
    start = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    match = re.compile(rb"xref\s+0\s+(\d+)\s+").match(pdf, start)
    if not match:
        raise ValueError("not a classic cross-reference table (one section from object 0)")
    count, at = int(match.group(1)), match.end()
    offsets = {}
    for number in range(count):
        entry = pdf[at + 20 * number: at + 20 * number + 18].split()
        if entry[2] == b"n":
            offsets[number] = int(entry[0])
    trailer = re.compile(rb"\s*trailer\s*<<(.*?)>>\s*startxref", re.S).match(pdf, at + 20 * count)
    if not trailer:
        raise ValueError("no trailer after the cross-reference table")
    return offsets, trailer.group(1), start


def _string_end(dictionary: bytes, start: int) -> int:
    """The end of the PDF string token (literal or hexadecimal) starting at ``start``."""
    if dictionary[start:start + 1] == b"<":
        return dictionary.index(b">", start) + 1
    depth, i = 0, start
    while True:
        char = dictionary[i:i + 1]
        if char == b"\\":
            i += 2
            continue
        depth += {b"(": 1, b")": -1}.get(char, 0)
        i += 1
        if depth == 0:
            return i


def outline_items(pdf: bytes) -> list[tuple[int, bytes]]:
    """The outline's items in reading order (each item before its children): (number, dict)."""
    offsets, trailer, _ = _xref(pdf)
    catalog = _object(pdf, offsets, _ref(trailer, b"Root"))
    outlines = _ref(catalog, b"Outlines")
    if outlines is None:
        return []
    items, stack = [], [_ref(_object(pdf, offsets, outlines), b"First")]
    while stack:
        number = stack.pop()
        if number is None:
            continue
        item = _object(pdf, offsets, number)
        items.append((number, item))
        stack += [_ref(item, b"Next"), _ref(item, b"First")]  # children first, then siblings
    return items


def retitle_outline(pdf: bytes, titles: list[str]) -> bytes:
    """``pdf`` with its outline's items titled ``titles``, in order, by an incremental update.

    Raises ValueError if the outline has another number of items, or if an item's title
    does not hold the first letters and digits of its new one (so the two lists are not
    the same headings).
    """
    items = outline_items(pdf)
    if len(items) != len(titles):
        raise ValueError(f"the PDF's outline has {len(items)} items, the page {len(titles)} headings")
    offsets, trailer, previous = _xref(pdf)
    update, entries = bytearray(b"\n"), []
    for (number, item), title in zip(items, titles, strict=True):
        at = item.index(b"/Title") + len(b"/Title")
        while item[at:at + 1].isspace():
            at += 1
        end = _string_end(item, at)
        old = re.sub(r"\W", "", _pdf_text(item[at:end]))
        if re.sub(r"\W", "", title)[:6] not in old:
            raise ValueError(f"outline item {number}, {old[:40]!r}, is not the heading {title!r}")
        encoded = b"<FEFF" + title.encode("utf-16-be").hex().upper().encode() + b">"
        entries.append((number, len(pdf) + len(update)))
        update += b"%d 0 obj\n" % number + item[:at] + encoded + item[end:] + b"\nendobj\n"
    xref_at = len(pdf) + len(update)
    update += b"xref\n"
    for number, offset in entries:
        update += b"%d 1\n%010d 00000 n \n" % (number, offset)
    kept = re.finditer(rb"/(Size|Root|Info|ID)\s+(\[[^\]]*\]|\d+ \d+ R|\d+)", trailer)
    keep = b"".join(m.group(0) + b"\n" for m in kept)
    update += b"trailer\n<<" + keep + b"/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (previous, xref_at)
    return pdf + bytes(update)


def _pdf_text(token: bytes) -> str:
    """A PDF string token as text (UTF-16 with a byte-order mark, or PDFDocEncoding ~ Latin-1)."""
    if token.startswith(b"<"):
        raw = bytes.fromhex(token[1:-1].decode())
    else:
        raw = re.sub(rb"\\([()\\])", rb"\1", token[1:-1])
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def parts(toc_path: Path) -> list[tuple[str, str]]:
    """``(caption, first docname)`` for each captioned part of a jb-book table of contents."""
    toc = yaml.safe_load(toc_path.read_text())
    found = []
    for part in toc.get("parts") or []:
        chapters = part.get("chapters") or []
        if part.get("caption") and chapters:
            first = str(chapters[0]["file"]).removesuffix(".md").removesuffix(".ipynb")
            found.append((str(part["caption"]), first))
    return found


def root_page(html_dir: Path) -> str:
    """The page that holds the book: singlehtml's index.html only redirects to it."""
    index = (html_dir / "index.html").read_text()
    match = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index)
    return match.group(1) if match else "index.html"


def footer(title: str) -> str:
    """Chromium's footer template: the book's title and the page number of the total."""
    return (
        '<div style="font-size: 8px; width: 100%; margin: 0 0.6in; display: flex; '
        'justify-content: space-between; color: #555; font-family: sans-serif;">'
        f"<span>{html.escape(title)}</span>"
        '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
    )


def print_book(html_dir: Path, out: Path, toc: Path, title: str, colophon: str = "") -> dict:
    """Print ``html_dir`` (a singlehtml build) to ``out``; returns what was done, for the log.

    ``colophon`` is HTML printed under the book's title (the HTML pages' footer).
    """
    if not (html_dir / "index.html").is_file():
        raise SystemExit(f"no singlehtml build in {html_dir}: run `make pdf`, which builds it first")
    base_url, stop = serve(html_dir)
    driver = start_chromium()
    try:
        start = time.monotonic()
        driver.get(base_url + root_page(html_dir))
        state = driver.execute_async_script(WAIT_FOR_MATHJAX, MATHJAX_TIMEOUT_S)
        if state != "ok":
            raise SystemExit(f"MathJax did not finish: {state}")
        images = driver.execute_async_script(WAIT_FOR_IMAGES, IMAGE_TIMEOUT_MS)
        broken = [img["src"] for img in images if not (img["complete"] and img["width"] > 0)]
        if broken:
            raise SystemExit(f"{len(broken)} image(s) did not load, first: {broken[0]}")
        done = driver.execute_script(PREPARE, parts(toc), PRINT_CSS, title, colophon)
        if done["missing"]:
            raise SystemExit(f"parts of {toc} not found in the page: {done['missing']}")
        driver.execute_async_script(WAIT_FOR_FRAMES)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        headings = driver.execute_script(HEADINGS)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        pdf = driver.execute_cdp_cmd("Page.printToPDF", {
            "paperWidth": A4_INCHES[0], "paperHeight": A4_INCHES[1],
            "marginTop": 0.6, "marginBottom": 0.7, "marginLeft": 0.6, "marginRight": 0.6,
            "printBackground": True,
            "displayHeaderFooter": True,
            "headerTemplate": "<span></span>",
            "footerTemplate": footer(title),
            "generateTaggedPDF": True,
            "generateDocumentOutline": True,
        })
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(retitle_outline(base64.b64decode(pdf["data"]), headings))
        return {"images": len(images), "animations": done["frames"], "headings": len(headings),
                "seconds": time.monotonic() - start}
    finally:
        driver.quit()
        shutil.rmtree(driver.profile_dir, ignore_errors=True)
        stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "singlehtml",
                        help="the singlehtml build (default _build/singlehtml)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf" / "l1reg-book.pdf",
                        help="the PDF to write (default _build/pdf/l1reg-book.pdf)")
    parser.add_argument("--toc", type=Path, default=ROOT / "_toc.yml")
    parser.add_argument("--config", type=Path, default=ROOT / "_config.yml")
    args = parser.parse_args(argv)
    config = yaml.safe_load(args.config.read_text())
    title = str(config["title"])
    colophon = str((config.get("html") or {}).get("extra_footer") or "")
    toc_docs(args.toc)  # refuses a table of contents the tests could not read either
    done = print_book(args.html.resolve(), args.out, args.toc, title, colophon)
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {size:.1f} MB, {done['images']} images, {done['headings']} bookmarks, "
          f"animations at frames "
          f"{[f'{k + 1} of {n}' for k, n, _ in done['animations']]}, printed in {done['seconds']:.0f} s")


if __name__ == "__main__":
    main()
