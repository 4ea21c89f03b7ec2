"""Set-up for the browser test of the built book: the pages, a local server, Chromium.

Run it with ``make test-html`` (which builds the book first), or by hand on any build:

    .venv/bin/python -m pytest browser_tests --book-html=_build/html

Options (each also read from an environment variable):

``--book-html`` / ``BOOK_HTML``
    The built HTML book to test (default ``_build/html``).
``--book-toc`` / ``BOOK_TOC``
    The table of contents whose pages are tested (default ``_toc.yml``).
``--screenshots`` / ``BOOK_SCREENSHOTS``
    Where each page's screenshot goes (default: ``screenshots`` beside the HTML
    folder, that is ``_build/screenshots``).

The browser is the Chromium (or Chrome) on the PATH, driven by the chromedriver on the
PATH (Debian: ``apt-get install chromium chromium-driver``); ``CHROME`` and
``CHROMEDRIVER`` name other binaries. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    group = parser.getgroup("book", "browser test of the built book")
    group.addoption("--book-html", default=os.environ.get("BOOK_HTML", str(ROOT / "_build" / "html")))
    group.addoption("--book-toc", default=os.environ.get("BOOK_TOC", str(ROOT / "_toc.yml")))
    group.addoption("--screenshots", default=os.environ.get("BOOK_SCREENSHOTS"))


@dataclass(frozen=True)
class Page:
    """One page of the table of contents."""

    doc: str  # the docname, e.g. "chapters/04-implementation"
    source_suffix: str  # ".ipynb", ".md", ... as found in the build's _sources

    @property
    def html(self) -> str:
        return self.doc + ".html"


def toc_docs(toc_path: Path) -> list[str]:
    """The docnames of a jb-book table of contents, root first, in reading order."""
    toc = yaml.safe_load(toc_path.read_text())
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "glob" in entry:
                raise pytest.UsageError(f"{toc_path}: glob entries are not supported: {entry}")
            if "file" in entry:
                docs.append(str(entry["file"]).removesuffix(".md").removesuffix(".ipynb"))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    walk(toc.get("sections"))
    return docs


def html_dir(config) -> Path:
    path = Path(config.getoption("--book-html")).resolve()
    if not (path / "index.html").is_file():
        raise pytest.UsageError(
            f"no built book in {path} (index.html is missing): run `make book` first, "
            "or point --book-html / BOOK_HTML at a build"
        )
    return path


def pages(config) -> list[Page]:
    html = html_dir(config)
    found = []
    for doc in toc_docs(Path(config.getoption("--book-toc"))):
        sources = sorted((html / "_sources").glob(f"{doc}.*"))
        suffix = sources[0].name[len(Path(doc).name) :] if sources else ""
        found.append(Page(doc, suffix))
    return found


def pytest_generate_tests(metafunc):
    if "page" in metafunc.fixturenames:
        book_pages = pages(metafunc.config)
        metafunc.parametrize("page", book_pages, ids=[p.doc for p in book_pages])


@pytest.fixture(scope="session")
def book_html(pytestconfig) -> Path:
    return html_dir(pytestconfig)


@pytest.fixture(scope="session")
def book_title() -> str:
    return str(yaml.safe_load((ROOT / "_config.yml").read_text())["title"])


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig, book_html) -> Path:
    path = Path(pytestconfig.getoption("--screenshots") or book_html.parent / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the browser's log reports failures instead
        pass


@pytest.fixture(scope="session")
def server(book_html):
    """The book served on 127.0.0.1 at a free port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _find(env: str, names: tuple[str, ...]) -> str:
    for name in (os.environ.get(env), *names):
        if name and shutil.which(name):
            return shutil.which(name)
    raise pytest.UsageError(
        f"none of {', '.join(names)} is on the PATH (or set {env}): on Debian, "
        "`apt-get install chromium chromium-driver`"
    )


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium that logs the console and every network request."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _find("CHROME", ("chromium", "chromium-browser", "google-chrome"))
    profile = tempfile.mkdtemp(prefix="book-browser-test-")
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,900",
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        # Any host name other than localhost resolves to nothing, so a page that
        # asks for an outside resource fails fast here and never reaches the network;
        # the request itself is still logged, and the test reports it.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    service = Service(executable_path=_find("CHROMEDRIVER", ("chromedriver",)))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
