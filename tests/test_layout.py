"""The layout keeps the architecture, read off the imports: the rooms (the model at the
top of ``asnfp/``, the machinery in ``fast/``, the tools, the command line, the JWST
catalogue) and the arrows allowed between them, no cycles, and every public module
declaring ``__all__`` with names that exist."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "asnfp"
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


# --- the rooms and the arrows between them ---------------------------------------------------

def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_module(name: str) -> bool:
    """Whether the dotted ``name`` is an asnfp module: a file, or a package's face."""
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _run_time_imports(path: Path) -> set[str]:
    """The asnfp modules ``path`` imports when it runs (anywhere in it, functions too),
    leaving out what it imports only for type checking."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("asnfp"):
            found.add(node.module)  # (not when every name is a submodule: see below)
            found.update(f"{node.module}.{a.name}" for a in node.names)
            if all(_is_module(f"{node.module}.{a.name}") for a in node.names):
                found.discard(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("asnfp"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _graph() -> dict[str, set[str]]:
    """Each asnfp module and the asnfp modules it imports at run time (a name imported
    from a package counts as its submodule when it is one)."""
    files = {_module_name(f): f for f in sorted(PACKAGE.rglob("*.py"))}
    return {name: {m for m in _run_time_imports(path) if m in files and m != name}
            for name, path in files.items()}


#: The package's faces: they hand on names from every room (but the command line).
FACES = frozenset({"asnfp", "asnfp.api"})


def _room(module: str) -> str:
    """``fast``, ``tools``, ``cli``, ``serve`` or ``jwst`` for a module of that subpackage, ``face``
    for the package's faces, ``model`` for any other module at the top of ``asnfp/``."""
    if module in FACES:
        return "face"
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or parts[1:] in (["fast"], ["tools"], ["cli"], ["serve"], ["jwst"]) else "model"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports, if there is one (the package's face, ``asnfp``, aside: it only
    hands names on)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == "asnfp":
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start != "asnfp" and start not in state and (found := visit(start)):
            return found
    return None


def test_no_module_imports_another_that_imports_it_back():
    assert _cycle(_graph()) is None


def test_a_cycle_is_found_where_there_is_one():
    assert _cycle({"asnfp.a": {"asnfp.b"}, "asnfp.b": {"asnfp.c"}, "asnfp.c": {"asnfp.a"}}) == [
        "asnfp.a", "asnfp.b", "asnfp.c", "asnfp.a"]
    assert _cycle({"asnfp.a": {"asnfp.b"}, "asnfp.b": set()}) is None


@pytest.mark.parametrize(("module", "imports"), sorted(_graph().items()))
def test_the_model_imports_no_other_room(module, imports):
    """The model reads alone: not the machinery, the tools, the command line or the
    JWST catalogue."""
    if _room(module) == "model":
        assert not {m for m in imports if _room(m) != "model"}, module


@pytest.mark.parametrize(("module", "imports"), sorted(_graph().items()))
def test_the_machinery_imports_only_the_model(module, imports):
    if _room(module) == "fast":
        assert not {m for m in imports if _room(m) not in ("model", "fast")}, module


@pytest.mark.parametrize(("module", "imports"), sorted(_graph().items()))
def test_only_the_command_line_imports_the_command_line(module, imports):
    if _room(module) != "cli":
        assert not {m for m in imports if _room(m) == "cli"}, module


@pytest.mark.parametrize(("module", "imports"), sorted(_graph().items()))
def test_only_the_command_line_starts_the_service(module, imports):
    """The service is an edge: no room but the command line (``asnfp serve``) imports it."""
    if _room(module) not in ("serve", "cli"):
        assert not {m for m in imports if _room(m) == "serve"}, module


def test_the_service_calls_the_library_not_the_command_line():
    served = {m for module, imports in _graph().items() if _room(module) == "serve" for m in imports}
    assert "asnfp.api" in served and not {m for m in served if _room(m) == "cli"}


def test_every_module_is_in_a_room():
    rooms = {_room(m) for m in _graph()}
    assert rooms == {"face", "model", "fast", "tools", "cli", "serve", "jwst"}
