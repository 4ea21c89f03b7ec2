"""Keep every page of the built book self-contained, with a clean browser console.

Jupyter Book 1 always loads sphinx-thebe (code cells that run live on Binder), even
with its launch buttons off, as they are in this book. sphinx-thebe then writes its
configuration script, which names thebe's address on a CDN, into every page twice,
and the browser rejects the second copy ("Identifier 'THEBE_JS_URL' has already been
declared"). While ``launch_buttons.thebe`` is off, this extension drops sphinx-thebe's
scripts and style sheet from every page; in any case it drops duplicate inline scripts.
The browser test (``make test-html``) checks the result on every page.
"""

from __future__ import annotations

from pathlib import PurePosixPath


def _is_thebe(asset) -> bool:
    name = PurePosixPath(str(asset.filename or "")).name
    return name.startswith("sphinx-thebe") or "THEBE_JS_URL" in asset.attributes.get("body", "")


def _clean_assets(app, pagename, templatename, context, doctree) -> None:
    launch = app.config.html_theme_options.get("launch_buttons", {})
    keep_thebe = bool(launch.get("thebe"))
    scripts, seen = [], set()
    for js in context.get("script_files", []):
        key = (str(js.filename), js.attributes.get("body"))
        if key in seen or (_is_thebe(js) and not keep_thebe):
            continue
        seen.add(key)
        scripts.append(js)
    context["script_files"] = scripts
    if not keep_thebe:
        context["css_files"] = [css for css in context.get("css_files", []) if not _is_thebe(css)]


def setup(app):
    app.connect("html-page-context", _clean_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
