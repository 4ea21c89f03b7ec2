"""Choose, for one build, whether the notebooks are executed: ``BOOK_EXECUTE``.

The book is built from the outputs stored in the notebooks (``execute_notebooks: "off"``
in ``_config.yml``): ``make test`` re-executes every notebook and proves that those
outputs are what the code computes, so the build need not run them again. To build
from fresh outputs on purpose, set ``BOOK_EXECUTE`` to one of myst-nb's execution
modes, ``cache`` (execute what changed since the last executed build and keep the
results in ``_build/.jupyter_cache``) or ``force`` (execute everything);
``make book EXECUTE=1`` sets ``cache``. Unset or empty, the configuration decides.
"""

from __future__ import annotations

import os

from sphinx.util import logging

MODES = ("off", "auto", "cache", "force", "inline")
logger = logging.getLogger(__name__)


def _apply(app, config) -> None:
    mode = os.environ.get("BOOK_EXECUTE", "").strip()
    if not mode:
        return
    if mode not in MODES:
        raise ValueError(f"BOOK_EXECUTE must be one of {', '.join(MODES)} or empty, got {mode!r}")
    config.nb_execution_mode = mode
    logger.info(f"BOOK_EXECUTE={mode}: the notebooks' execution mode for this build")


def setup(app):
    # myst-nb reads its configuration when the builder starts, after config-inited.
    app.connect("config-inited", _apply, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
