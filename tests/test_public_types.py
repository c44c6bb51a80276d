"""Types a user's code can trust: no ``Any`` in a public signature (but the documented
few), and the README's and the user documents' examples pass ``mypy --strict`` written
as a user's script."""

from __future__ import annotations

import doctest
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "asnfp"

#: The public annotations that may say ``Any``, and why (none left: a literal, a pinned or
#: found value, a fact, are ``object``; a value leaf's test takes ``(object, object)``).
ALLOWED_ANY: set[str] = set()


def _public_annotations() -> dict[str, str]:
    """``module.name[.member]: parameter`` -> the annotation, of every public function,
    class, method and field."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for public in getattr(module, "__all__", ()):
            obj = getattr(module, public, None)
            if inspect.ismodule(obj) or getattr(obj, "__module__", name) != name:
                continue
            targets = [(public, obj)]
            if inspect.isclass(obj):
                for member, value in vars(obj).items():
                    function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
                    if inspect.isfunction(function) and (not member.startswith("_") or member == "__init__"):
                        targets.append((f"{public}.{member}", function))
            for qualified, target in targets:
                for parameter, annotation in (getattr(target, "__annotations__", None) or {}).items():
                    found[f"{name}.{qualified}: {parameter}"] = str(annotation)
    return found


def test_no_public_signature_says_any_but_the_documented_few() -> None:
    saying = {key for key, text in _public_annotations().items() if re.search(r"\bAny\b", text)}
    assert saying - ALLOWED_ANY == set()
    assert ALLOWED_ANY - saying == set()  # (an entry that no longer says Any leaves the list)


def _user_script(document: Path) -> str:
    """The document's Python blocks and ``>>>`` examples, in order, as one script."""
    text = document.read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if ">>>" not in b]
    examples = [e.source for e in doctest.DocTestParser().get_examples(text)]
    return "from __future__ import annotations\n" + "\n".join(blocks + examples)


USER_DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("document", USER_DOCUMENTS, ids=lambda p: p.name)
def test_the_examples_of_a_user_document_pass_mypy_strict(document: Path, tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    script = tmp_path / f"{document.stem}_user.py"
    script.write_text(_user_script(document))
    # --allow-redefinition: the examples are many small ones, which reuse names
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--allow-redefinition", "--no-error-summary",
                           "--cache-dir", str(tmp_path / "cache"), str(script)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
