"""Set-up for the browser test of the built book and of its PDF: the pages, a local
server, Chromium (``start_chromium``, which ``print_pdf.py`` uses too).

Run it with ``make test-html`` (which builds the book first), or by hand on any build:

    .venv/bin/python -m pytest browser_tests/test_book.py --book-html=_build/html

``make pdf`` runs ``test_pdf.py`` on the printed book.

Options (each also read from an environment variable):

``--book-html`` / ``BOOK_HTML``
    The built HTML book to test (default ``_build/html``).
``--book-toc`` / ``BOOK_TOC``
    The table of contents whose pages are tested (default ``_toc.yml``).
``--screenshots`` / ``BOOK_SCREENSHOTS``
    Where each page's screenshot goes (default: ``screenshots`` beside the HTML
    folder, that is ``_build/screenshots``).
``--book-pdf`` / ``BOOK_PDF`` and ``--book-singlehtml`` / ``BOOK_SINGLEHTML``
    For ``test_pdf.py`` (``make pdf``): the printed book (default
    ``_build/pdf/l1reg-book.pdf``) and the one-page build it was printed from (default
    ``_build/singlehtml``), against which it is checked.
``--site-path`` / ``BOOK_SITE_PATH``
    The sub-path the book is served under (default ``/l1reg/``), as GitHub Pages serves
    a project's site at ``https://OWNER.github.io/REPO/``: a link or an asset addressed
    from the server's root (``/_static/...``) then fails, as it would there. ``/`` serves
    the book at the root.

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
    group.addoption("--site-path", default=os.environ.get("BOOK_SITE_PATH", "/l1reg/"))
    group.addoption("--book-pdf",
                    default=os.environ.get("BOOK_PDF", str(ROOT / "_build" / "pdf" / "l1reg-book.pdf")))
    group.addoption("--book-singlehtml",
                    default=os.environ.get("BOOK_SINGLEHTML", str(ROOT / "_build" / "singlehtml")))


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


def site_path(config) -> str:
    """The ``--site-path`` as ``/name/`` (or ``/``)."""
    parts = [part for part in str(config.getoption("--site-path")).split("/") if part]
    return "/" + "".join(part + "/" for part in parts)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves ``directory`` under ``prefix`` only; any other path answers 404."""

    def __init__(self, *args, prefix: str = "/", **kwargs):
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def translate_path(self, path):
        bare = path.split("?", 1)[0].split("#", 1)[0]
        if not bare.startswith(self.prefix):
            return os.path.join(self.directory, "_outside_the_site_path_", "none")  # 404
        return super().translate_path("/" + path[len(self.prefix):])

    def log_message(self, format, *args):  # the browser's log reports failures instead
        pass


def serve(directory: Path, prefix: str = "/"):
    """A server for ``directory`` under ``prefix`` on 127.0.0.1 at a free port, in a thread.

    Returns ``(base_url, stop)``; call ``stop()`` to shut it down.
    """
    handler = functools.partial(_QuietHandler, directory=str(directory), prefix=prefix)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def stop():
        httpd.shutdown()
        httpd.server_close()

    return f"http://127.0.0.1:{httpd.server_address[1]}{prefix}", stop


@pytest.fixture(scope="session")
def server(pytestconfig, book_html):
    """The book served on 127.0.0.1 under the site path; yields its base URL."""
    base_url, stop = serve(book_html, site_path(pytestconfig))
    yield base_url
    stop()


def _find(env: str, names: tuple[str, ...]) -> str:
    for name in (os.environ.get(env), *names):
        if name and shutil.which(name):
            return shutil.which(name)
    raise pytest.UsageError(
        f"none of {', '.join(names)} is on the PATH (or set {env}): on Debian, "
        "`apt-get install chromium chromium-driver`"
    )


def start_chromium(window: str = "1280,900"):
    """Headless Chromium that logs the console and every network request, and reaches
    no host but this one. Returns the selenium driver; ``driver.quit()`` ends it (the
    temporary profile is then left for the caller to remove: ``driver.profile_dir``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _find("CHROME", ("chromium", "chromium-browser", "google-chrome"))
    profile = tempfile.mkdtemp(prefix="book-browser-test-")
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        # In a container /dev/shm is small (64 MB in Docker); the whole book on one page
        # for the PDF would exhaust it. Temporary files instead.
        "--disable-dev-shm-usage",
        f"--window-size={window}",
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
    driver.profile_dir = profile
    return driver


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium that logs the console and every network request."""
    driver = start_chromium()
    yield driver
    driver.quit()
    shutil.rmtree(driver.profile_dir, ignore_errors=True)
