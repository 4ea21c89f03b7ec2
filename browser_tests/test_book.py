"""The built book, page by page, in a real browser (headless Chromium).

The book is served under a sub-path (``/l1reg/`` unless ``--site-path`` says otherwise),
as GitHub Pages serves a project's site, so a link from the server's root fails here too.
For every page in the table of contents: the page has its title; every image has
loaded and has alt text that describes it (not empty, not a file name); every figure in
a cell's output has a caption; every formula was typeset by MathJax (and no raw ``$$`` or
``$\\cmd`` is left in the text); no link or asset is addressed from the server's root; the
console has no errors; no request left localhost and none failed; the download menu
offers the page's source (the ``.ipynb`` for a chapter), and a chapter's first code cell
says how to run it locally. A screenshot of each page is saved. Then a search for
"lambda" on the book's search page must list results. Last, chapter 02's animation of
the demo network as lambda grows must answer its slider and step buttons, and work from
the keyboard: the slider has a name, Tab reaches it, and its keys change the frame.

Each failure names the page and every problem found on it.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# A page may build these without the network: inline data, blobs, the blank page.
LOCAL_SCHEMES = {"data", "blob", "about"}
MATHJAX_TIMEOUT_S = 20
IMAGE_TIMEOUT_MS = 10_000
SEARCH_TIMEOUT_S = 20
SCREENSHOT_MAX_HEIGHT = 30_000  # px: the screenshot of a longer page stops there

WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
const seconds = arguments[0];
const limit = Date.now() + seconds * 1000;
(function poll() {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done("ok"), (e) => done("MathJax failed: " + e));
  } else if (Date.now() > limit) {
    done("MathJax did not start within " + seconds + " s");
  } else {
    setTimeout(poll, 50);
  }
})();
"""

WAIT_FOR_IMAGES = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
for (const img of images) { if (img.loading === "lazy") img.loading = "eager"; }
Promise.all(images.map((img) => img.complete ? null : new Promise((resolve) => {
  img.addEventListener("load", resolve);
  img.addEventListener("error", resolve);
  setTimeout(resolve, arguments[0]);
}))).then(() => done(images.map((img) => ({
  src: img.getAttribute("src"), width: img.naturalWidth, complete: img.complete,
}))));
"""

PAGE_FACTS = """
const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "NOSCRIPT",
                      "MJX-CONTAINER", "MJX-ASSISTIVE-MML"]);
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
  acceptNode(node) {
    for (let e = node.parentElement; e; e = e.parentElement) {
      if (skip.has(e.tagName)) return NodeFilter.FILTER_REJECT;
    }
    return NodeFilter.FILTER_ACCEPT;
  },
});
const texts = [];
while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);
const article = document.querySelector("article") || document.body;
const h1s = Array.from(article.querySelectorAll("h1")).map((h) => {
  const copy = h.cloneNode(true);
  copy.querySelectorAll(".headerlink").forEach((a) => a.remove());
  return copy.textContent.trim();
});
const maths = Array.from(document.querySelectorAll("span.math, div.math"));
const firstCell = document.querySelector("div.cell div.cell_input");
function texErrors() {
  // MathJax marks a TeX error with merror, and an undefined macro (a typo, say)
  // with red text: find both in its internal tree of every typeset formula.
  const found = [];
  const doc = window.MathJax && MathJax.startup && MathJax.startup.document;
  if (!doc || !doc.math) return found;
  for (const item of doc.math) {
    if (!item.root) continue;
    item.root.walkTree((node) => {
      if (node.isKind("merror")) {
        found.push(node.attributes.get("data-mjx-error") || "error in " + item.math);
      } else if (node.isKind("mtext") && node.attributes.get("mathcolor") === "red") {
        found.push("undefined macro in " + item.math);
      }
    });
  }
  return found;
}
return {
  title: document.title,
  h1s: h1s,
  text: texts.join(" "),
  mathjaxScript: Array.from(document.scripts).some((s) => /mathjax/i.test(s.src)),
  maths: maths.length,
  untypeset: maths.filter((m) => !m.querySelector("mjx-container"))
                  .map((m) => m.textContent.trim().slice(0, 60)),
  texErrors: texErrors(),
  sourceLinks: Array.from(document.querySelectorAll("a.btn-download-source-button"))
                  .map((a) => a.href),
  pdfButton: !!document.querySelector(".btn-download-pdf-button"),
  firstCell: firstCell ? firstCell.textContent : null,
  images: Array.from(document.images).map((img) => {
    const figure = img.closest("figure");
    const caption = figure && figure.querySelector("figcaption");
    return {src: img.getAttribute("src") || "", alt: img.getAttribute("alt"),
            output: !!img.closest(".cell_output"), animation: !!img.closest("div.animation"),
            caption: caption ? caption.textContent.trim() : null};
  }),
  rootLinks: Array.from(document.querySelectorAll("[href], [src]"))
    .map((e) => e.getAttribute("href") || e.getAttribute("src") || "")
    .filter((url) => url.startsWith("/")),
};
"""


def drain_logs(browser) -> None:
    browser.get_log("browser")
    browser.get_log("performance")


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def network_problems(browser) -> list[str]:
    """Requests that left localhost, got an HTTP error, or failed, from Chromium's log."""
    problems, urls = [], {}
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message["method"], message.get("params", {})
        if method == "Network.requestWillBeSent":
            if params.get("documentURL", "").startswith("chrome"):
                continue  # the browser's own new-tab page, not the book
            url = params["request"]["url"]
            urls[params["requestId"]] = url
            parts = urlsplit(url)
            if parts.scheme not in LOCAL_SCHEMES and parts.hostname not in LOCAL_HOSTS:
                problems.append(f"request left localhost: {url}")
        elif method == "Network.responseReceived" and params["requestId"] in urls:
            status = params["response"]["status"]
            if status >= 400:
                problems.append(f"HTTP {status} for {params['response']['url']}")
        elif method == "Network.loadingFailed" and params["requestId"] in urls:
            if not params.get("canceled"):
                url = urls[params["requestId"]]
                problems.append(f"request failed ({params.get('errorText')}): {url}")
    return sorted(set(problems), key=problems.index)


def save_screenshot(browser, path) -> None:
    """A PNG of the whole page, not only the window.

    The window is made as tall as the page for the capture. (``captureBeyondViewport``
    alone renders long pages of this theme shifted to the left, sidebar cut off.)
    """
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width = int(browser.execute_script("return document.documentElement.clientWidth"))
    height = min(int(size["height"]), SCREENSHOT_MAX_HEIGHT)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.write_bytes(base64.b64decode(shot["data"]))


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def raw_math(text: str) -> list[str]:
    """Pieces of text that look like TeX the Markdown parser did not turn into math."""
    found = [m.group(0) for m in re.finditer(r".{0,30}\$\$.{0,30}", text)]
    found += [m.group(0) for m in re.finditer(r"\$\\[A-Za-z]+[^$]{0,30}", text)]
    return found


# An alt text that is a file name (what myst-nb writes when a cell gives none: the
# image's path), a path, or a bare hash says nothing about the picture.
FILE_NAME = re.compile(r"^\S*\.(png|jpe?g|gif|svg|webp|bmp|tiff?)$|^[0-9a-f]{16,}$", re.IGNORECASE)


def image_problems(images: list[dict]) -> list[str]:
    """Images without a useful alt text, and output figures without a caption."""
    problems = []
    for img in images:
        name = img["src"] if not img["src"].startswith("data:") else img["src"][:30] + "..."
        alt = img["alt"]
        if alt is None or not alt.strip():
            problems.append(f"image has {'no' if alt is None else 'an empty'} alt text: {name}")
        elif FILE_NAME.search(alt.strip()):
            problems.append(f"image's alt text is a file name, not a description: {alt!r}")
        if img["output"] and not img["caption"]:  # an animation's frame too: its cell is a figure
            problems.append(f"figure without a caption: {name}")
    return problems


def check_page(browser, base_url, page, book_title, screenshot_dir) -> list[str]:
    """Load one page and return its problems, each a sentence (empty if all is well)."""
    problems = []
    drain_logs(browser)
    browser.get(base_url + page.html)

    facts = browser.execute_script(PAGE_FACTS)
    if facts["maths"] or facts["mathjaxScript"]:
        state = browser.execute_async_script(WAIT_FOR_MATHJAX, MATHJAX_TIMEOUT_S)
        if state != "ok":
            problems.append(state)
    images = browser.execute_async_script(WAIT_FOR_IMAGES, IMAGE_TIMEOUT_MS)
    facts = browser.execute_script(PAGE_FACTS)  # again, now that math is typeset

    if len(facts["h1s"]) != 1 or not facts["h1s"][0]:
        problems.append(f"expected one non-empty <h1> heading, found {facts['h1s']}")
    else:
        expected = f"{facts['h1s'][0]} \N{EM DASH} {book_title}"
        if facts["title"] != expected:
            problems.append(f"title is {facts['title']!r}, expected {expected!r}")

    for img in images:
        if not (img["complete"] and img["width"] > 0):
            problems.append(f"image did not load: {img['src']}")
    problems += image_problems(facts["images"])
    problems += [f"link or asset addressed from the server's root: {url}" for url in facts["rootLinks"]]

    if facts["maths"]:
        if not facts["mathjaxScript"]:
            problems.append(f"{facts['maths']} formulas but no MathJax script on the page")
        if facts["untypeset"]:
            problems.append(
                f"{len(facts['untypeset'])} of {facts['maths']} formulas not typeset by MathJax, "
                f"first: {facts['untypeset'][0]!r}"
            )
    problems += [f"TeX error in a formula: {err}" for err in facts["texErrors"]]
    problems += [f"raw TeX left in the text: {piece!r}" for piece in raw_math(facts["text"])]

    sources = [link for link in facts["sourceLinks"] if link.endswith(page.source_suffix)]
    if not page.source_suffix:
        problems.append(f"no file to download: _sources/{page.doc}.* is missing from the build")
    elif not sources:
        problems.append(
            f"no download button for the page's {page.source_suffix} source "
            f"(found {facts['sourceLinks']})"
        )
    else:
        status = http_status(sources[0])
        if status != 200:
            problems.append(f"the download link {sources[0]} answers HTTP {status}")
    if not facts["pdfButton"]:
        problems.append("no 'print to PDF' download button")
    if page.source_suffix == ".ipynb" and "locally" not in (facts["firstCell"] or ""):
        problems.append("the first code cell does not say how to run the notebook locally")

    save_screenshot(browser, screenshot_dir / (page.doc.replace("/", "-") + ".png"))
    problems += [f"console error: {message}" for message in console_errors(browser)]
    problems += network_problems(browser)
    return problems


def report(where: str, problems: list[str]) -> str:
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{where}: {len(problems)} problem(s)\n{lines}"


def test_page(browser, server, page, book_title, screenshot_dir):
    problems = check_page(browser, server, page, book_title, screenshot_dir)
    if problems:
        pytest.fail(report(page.html, problems), pytrace=False)


def test_search_finds_lambda(browser, server, screenshot_dir):
    drain_logs(browser)
    browser.get(server + "search.html")
    # Poll: on a busy machine the theme's scripts may still be settling the page.
    field, limit = None, time.monotonic() + SEARCH_TIMEOUT_S
    while field is None and time.monotonic() < limit:
        field = browser.execute_script(
            "const r = document.getElementById('search-results');"
            "return r && r.parentElement.querySelector('input[name=q]');"
        )
        if field is None:
            time.sleep(0.2)
    if field is None:
        pytest.fail(report("search.html", ["no search field next to #search-results"]), pytrace=False)
    field.send_keys("lambda\n")

    problems, summary, hits = [], "", []
    limit = time.monotonic() + SEARCH_TIMEOUT_S
    while time.monotonic() < limit:
        summary, hits = browser.execute_script(
            "const s = document.querySelector('#search-results .search-summary');"
            "const hits = Array.from(document.querySelectorAll('#search-results ul.search li a'));"
            "return [s ? s.textContent : '', hits.map((a) => a.textContent)];"
        )
        if hits or "did not match" in summary:
            break
        time.sleep(0.2)
    if not hits:
        problems.append(f"searching for 'lambda' listed no results (summary: {summary!r})")
    save_screenshot(browser, screenshot_dir / "search.png")
    problems += [f"console error: {message}" for message in console_errors(browser)]
    problems += network_problems(browser)
    if problems:
        pytest.fail(report("search.html?q=lambda", problems), pytrace=False)



# --- the animation of chapter 02 -------------------------------------------------------------

ANIMATION_PAGE = "chapters/02-l1-penalty.html"
ANIMATION_TIMEOUT_S = 10

ANIMATION_STATE = """
const div = document.querySelector("div.animation");
if (!div) return {found: false};
const slider = div.querySelector("input[type=range]");
const img = div.querySelector("img");
return {found: true, slider: !!slider, max: slider ? Number(slider.max) : null,
        value: slider ? Number(slider.value) : null,
        src: img ? img.getAttribute("src") || "" : null};
"""

MOVE_SLIDER = """
const slider = document.querySelector("div.animation input[type=range]");
slider.value = arguments[0];
slider.dispatchEvent(new Event("input", {bubbles: true}));
slider.dispatchEvent(new Event("change", {bubbles: true}));
"""


def animation_state(browser, ready) -> dict:
    """The animation's state once ``ready(state)`` holds, or as it is after the timeout."""
    limit = time.monotonic() + ANIMATION_TIMEOUT_S
    while True:
        state = browser.execute_script(ANIMATION_STATE)
        if ready(state) or time.monotonic() > limit:
            return state
        time.sleep(0.1)


def open_animation(browser, server, book_html) -> dict:
    """Open chapter 02 and wait for its animation's first frame; its state (fails if none)."""
    if not (book_html / ANIMATION_PAGE).is_file():
        pytest.fail(f"{ANIMATION_PAGE} is not in the build", pytrace=False)
    drain_logs(browser)
    browser.get(server + ANIMATION_PAGE)
    # The animation sets its first frame from a timeout after the page has loaded.
    start = animation_state(browser, lambda s: bool(s.get("found") and s.get("src")))
    if not start["found"] or not start["slider"]:
        pytest.fail(report(ANIMATION_PAGE, ["no div.animation with an input[type=range]"]),
                    pytrace=False)
    return start


def test_chapter02_animation_slider_changes_the_frame(browser, server, book_html):
    """Chapter 02's lam animation: moving its slider (or a step button) shows another frame."""
    start = open_animation(browser, server, book_html)
    problems = []
    if not start["src"].startswith("data:image/png;base64,"):
        problems.append(f"the first frame is not an embedded PNG: {start['src'][:60]!r}")
    if start["max"] < 2:
        problems.append(f"the slider has {start['max'] + 1} frames, expected several")
    last = start["max"]
    browser.execute_script(MOVE_SLIDER, last)
    moved = animation_state(browser, lambda s: s["src"] != start["src"])
    if moved["src"] == start["src"]:
        problems.append(f"moving the slider to {last} did not change the frame's image")
    if moved["value"] != last:
        problems.append(f"the slider reads {moved['value']} after moving it to {last}")
    browser.find_element("css selector", "div.animation button[title='Previous frame']").click()
    back = animation_state(browser, lambda s: s["src"] != moved["src"])
    if back["src"] == moved["src"] or back["value"] != last - 1:
        problems.append(f"'Previous frame' did not step back to frame {last - 1} (at {back['value']})")
    problems += [f"console error: {message}" for message in console_errors(browser)]
    problems += network_problems(browser)
    if problems:
        pytest.fail(report(ANIMATION_PAGE, problems), pytrace=False)


FOCUS_BEFORE_SLIDER = """
// Focus the start of the animation (made focusable for this), so that the next Tab
// goes to the first control in it: what a keyboard user meets on arriving there.
const div = document.querySelector("div.animation");
div.setAttribute("tabindex", "-1");
div.focus();
return document.activeElement === div;
"""

FOCUSED = """
const slider = document.querySelector("div.animation input[type=range]");
return {slider: document.activeElement === slider,
        focused: document.activeElement ? document.activeElement.outerHTML.slice(0, 80) : null};
"""


def test_chapter02_slider_works_by_keyboard(browser, server, book_html):
    """Chapter 02's lam slider: it has a name, Tab reaches it, and its keys change the frame."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    start = open_animation(browser, server, book_html)
    problems = []
    slider = browser.find_element("css selector", "div.animation input[type=range]")
    name = (slider.accessible_name or "").strip()
    if not name:
        problems.append("the slider has no accessible name (a <label> or aria-label)")

    keys = ActionChains(browser)
    browser.execute_script(FOCUS_BEFORE_SLIDER)
    keys.send_keys(Keys.TAB).perform()
    focus = browser.execute_script(FOCUSED)
    if not focus["slider"]:
        problems.append(f"Tab from the animation's start does not reach the slider (focus on "
                        f"{focus['focused']!r})")
        slider.click()  # go on with the keys from the slider all the same
    last = start["max"]
    seen = {start["src"]}
    for key, value, key_name in ((Keys.END, last, "End"), (Keys.HOME, 0, "Home"),
                                 (Keys.ARROW_RIGHT, 1, "Right arrow"), (Keys.ARROW_LEFT, 0, "Left arrow")):
        before = browser.execute_script(ANIMATION_STATE)
        keys.send_keys(key).perform()
        moved = lambda s, v=value, old=before["src"]: s["value"] == v and s["src"] != old  # noqa: E731
        after = animation_state(browser, moved)
        if after["value"] != value:
            problems.append(f"{key_name} moved the slider to {after['value']}, expected {value}")
        elif after["src"] == before["src"]:
            problems.append(f"{key_name} moved the slider to {value} but the frame stayed the same")
        seen.add(after["src"])
    if len(seen) < 3:
        problems.append(f"the keys showed {len(seen)} different frames, expected at least 3")
    problems += [f"console error: {message}" for message in console_errors(browser)]
    problems += network_problems(browser)
    if problems:
        pytest.fail(report(ANIMATION_PAGE + " (keyboard)", problems), pytrace=False)
