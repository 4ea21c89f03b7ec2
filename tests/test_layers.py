"""The library's layers: each imports only from the layers below it (CONVENTIONS.md, "Layout").

core <- regularize <- studies <- book, with reference beside them (it may use core and
regularize, and only book may use it). The package root and ``__main__`` sit above all.
The imports are read from the source, so a function-level import counts too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "code" / "l1reg"
#: What each layer may import from, besides itself.
ALLOWED = {
    "core": set(),
    "regularize": {"core"},
    "reference": {"core", "regularize"},
    "studies": {"core", "regularize"},
    "book": {"core", "regularize", "studies", "reference"},
}


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name inside l1reg (None for the package root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def imports_of(path: Path) -> list[str]:
    """The l1reg modules a source file imports (``from l1reg.x import y`` names l1reg.x and l1reg.x.y)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "l1reg"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "l1reg":
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def layer_files():
    return sorted(p for layer in ALLOWED for p in (PACKAGE / layer).rglob("*.py"))


def test_every_module_lives_in_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert loose == []
    assert all((PACKAGE / layer / "__init__.py").exists() for layer in ALLOWED)


@pytest.mark.parametrize("path", layer_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_layer_imports_only_the_layers_below_it(path):
    own = path.relative_to(PACKAGE).parts[0]
    for module in imports_of(path):
        target = layer_of(module)
        root = module == "l1reg" or (target is None and module.count(".") == 1)
        if root:
            pytest.fail(f"{path.relative_to(PACKAGE)} imports {module}: the root is above every layer")
        if target is not None and target != own:
            assert target in ALLOWED[own], f"{path.relative_to(PACKAGE)} ({own}) imports {module} ({target})"


def test_the_contract_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from l1reg.studies.demo import LAM\nimport l1reg.book.plots\n")
    assert [layer_of(m) for m in imports_of(bad)] == ["studies", "studies", "book"]
    assert "studies" not in ALLOWED["core"] and "book" not in ALLOWED["studies"]
