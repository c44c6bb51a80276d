"""The layout keeps the architecture: the engine never imports the JWST catalogue, and
every public module declares ``__all__`` with names that exist."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "asnfp"
ENGINE = ("row", "pool", "constraints", "rule", "association", "generate", "finalize", "naming",
          "io", "errors", "testing")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", ENGINE)
def test_the_engine_never_imports_the_catalogue(module):
    assert not any(name.startswith("asnfp.jwst") for name in _imports(PACKAGE / f"{module}.py"))


def _public_modules() -> list[str]:
    files = sorted(PACKAGE.rglob("*.py"))
    return [".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
            for f in files]


@pytest.mark.parametrize("name", _public_modules())
def test_every_module_declares_all(name):
    module = importlib.import_module(name)
    assert isinstance(module.__all__, tuple) and module.__all__
    for exported in module.__all__:
        assert hasattr(module, exported), exported


def test_the_package_is_typed():
    assert (PACKAGE / "py.typed").exists()
