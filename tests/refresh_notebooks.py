"""Re-execute notebooks and store their outputs, one notebook at a time, atomically.

``make refresh`` runs this script. Each notebook runs top to bottom in a fresh kernel,
in its own folder (as ``jupyter nbconvert --execute --inplace`` runs it), and the new
outputs become what nbval checks. The executed notebook is written to a temporary file
beside the original and then renamed over it, so an error, an interrupt or a full disk
never leaves a half-written ``.ipynb``: the notebook is either the old one or the new
one. A notebook whose cell fails keeps its old contents; the script names it, goes on
with the others and exits with status 1.

Usage: ``python tests/refresh_notebooks.py NOTEBOOK [NOTEBOOK ...] [--timeout SECONDS]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def write_atomically(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` to ``path`` through a temporary file in the same folder and a rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            nbformat.write(nb, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refresh(path: Path, timeout: int = 600) -> None:
    """Execute the notebook at ``path`` in its folder and store it with its new outputs."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    client = NotebookClient(
        nb,
        timeout=timeout,
        record_timing=False,
        coalesce_streams=True,  # one stdout output per cell, as nbconvert --execute stores it
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    write_atomically(nb, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    if args.timeout < 1:
        parser.error("--timeout must be a positive number of seconds")
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    failed = []
    for path in args.notebooks:
        print(f"refreshing {path}", flush=True)
        try:
            refresh(path, args.timeout)
        except Exception as error:  # a failing cell: keep the old notebook, report, go on
            failed.append(path)
            print(f"FAILED {path}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    if failed:
        names = ", ".join(str(p) for p in failed)
        print(f"{len(failed)} notebook(s) failed and were left as they were: {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
