"""``asnfp validate``'s default verdict is the reference's, on mutated association files.

Skipped unless the environment variable ``ASNFP_REFERENCE`` names a Python that has
jwst 3.0.0. Hypothesis draws :data:`FILES` mutated files
(``test_tool_validate.mutated_files``: keys deleted, renamed or added, values replaced by
drawn values of any type or by text JSON and YAML read differently, serialized as JSON or
YAML, then a BOM, trailing comma, comment, other newlines, a byte that is not UTF-8, a cut,
a control character, a repeated key, tabs) from the example pool's files and, when
``../shared/conformance`` is there, some of its expected files. asnfp's :func:`check`
judges each; the reference judges them as a pipeline reads a file (open as UTF-8 text,
``load_asn`` with the default registry, built once per process), all of them in one
process per CPU (at most 4); the verdicts (valid or not) must agree.

    ASNFP_REFERENCE=/tmp/refvenv/bin/python .venv/bin/python -m pytest -q -s tests/test_validate_reference.py

prints the figures (files drawn, valid, invalid, disagreements).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from test_tool_validate import example_files, mutated_files

from asnfp.tools.validate import check

REFERENCE = os.environ.get("ASNFP_REFERENCE")
CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
#: Files drawn per run (the reference takes ~50 ms a file; set ASNFP_REFERENCE_FILES for more).
FILES = int(os.environ.get("ASNFP_REFERENCE_FILES", "300"))
#: Conformance files added to the example pool's as bases, spread over their sorted names.
CONFORMANCE_BASES = 40
SUFFIXES = (".json", ".json", ".yaml", ".txt")

pytestmark = pytest.mark.skipif(not REFERENCE, reason="set ASNFP_REFERENCE to a Python that has jwst")

#: As a pipeline reads an association: the file opened as UTF-8 text, then ``load_asn``.
#: One verdict a line, as JSON: "valid", or the exception's type and first line.
JUDGE = r"""
import json, logging, sys, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from jwst.associations import AssociationRegistry, load_asn

registry = AssociationRegistry()  # what load_asn builds on each call, built once
for path in json.load(sys.stdin):
    try:
        with open(path, encoding="utf-8") as fh:
            load_asn(fh, registry=registry)
        verdict = "valid"
    except Exception as err:
        verdict = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]
    print(json.dumps(verdict), flush=True)
"""


def _judged(paths: list[Path]) -> list[str]:
    """The reference's verdict on each file, from one process."""
    done = subprocess.run([str(REFERENCE), "-c", JUDGE], input=json.dumps([str(p) for p in paths]),
                          capture_output=True, text=True, timeout=600, check=False)
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and len(verdicts) == len(paths), done.stderr[-2000:]
    return verdicts


def reference_verdicts(paths: list[Path]) -> list[str]:
    """The reference's verdict on each file, the files split over a few processes at once
    (each starts jwst once, in about a second)."""
    parts = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(parts) as pool:
        verdicts = list(pool.map(_judged, [paths[i::parts] for i in range(parts)]))
    return [verdicts[i % parts][i // parts] for i in range(len(paths))]


def bases() -> list[bytes]:
    """The example pool's files and, when present, some of the conformance expected files."""
    found = sorted(CONFORMANCE.glob("cases/*/expected/*.json"))
    picked = [found[i * len(found) // CONFORMANCE_BASES] for i in range(CONFORMANCE_BASES)] if found else []
    return [*example_files(), *(p.read_bytes() for p in picked)]


def draw_files(folder: Path, count: int) -> list[Path]:
    """Write ``count`` mutated files drawn by hypothesis into ``folder``."""
    written: list[Path] = []
    strategy = st.tuples(mutated_files(bases()), st.sampled_from(SUFFIXES))

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate])
    @given(strategy)
    def write(drawn: tuple[bytes, str]) -> None:
        data, suffix = drawn
        path = folder / f"f{len(written):04d}{suffix}"
        path.write_bytes(data)
        written.append(path)

    write()
    return written


def test_the_default_verdict_is_the_references(tmp_path: Path) -> None:
    paths = draw_files(tmp_path, FILES)
    theirs = reference_verdicts(paths)
    mine = [check(p.read_bytes()) for p in paths]
    disagree = [(p.name, t, None if m is None else m.message) for p, t, m in zip(paths, theirs, mine, strict=True)
                if (t == "valid") != (m is None)]
    valid = sum(t == "valid" for t in theirs)
    kinds = Counter(t.split(":")[0] for t in theirs if t != "valid")
    print(f"\n{len(paths)} files drawn: {valid} valid, {len(paths) - valid} invalid {dict(kinds)}; "
          f"{len(disagree)} disagreements")
    assert not disagree, "\n".join(f"{name}: reference {t!r}, asnfp {m!r}" for name, t, m in disagree[:10])
    assert 0.2 < valid / len(paths) < 0.8  # the draws exercise both verdicts
