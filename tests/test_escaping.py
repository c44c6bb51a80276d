"""The escaping law: every character a name holds comes out of ``from-list``, ``validate``,
``edit`` and ``generate`` as the reference writes it.

The reference writes association JSON with Python's ``json.dumps(data, indent=4,
separators=(",", ": "))``: ASCII only, ``\\u007f`` for DEL, ``\\n``-style escapes and
``\\u00XX`` for the other controls, ``\\udcff`` for a lone surrogate. So, without the
reference, the law is checked against that writer: asnfp's bytes are the ``json.dumps`` of
what they decode to, and the name decodes back to the characters given. With
``ASNFP_REFERENCE`` naming a Python that has jwst, the same names go through the reference's
``asn_from_list`` and ``asn_edit`` (one process for the whole batch) and the bytes are
compared, ``code_version`` and ``constraints`` aside.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asnfp.cli import main as cli_main

REFERENCE = os.environ.get("ASNFP_REFERENCE")
EXCLUDED = ("code_version", "constraints")  # what the conformance comparison ignores

#: Every code point, surrogates included (a name that was not UTF-8 reaches Python as one).
ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=())
#: What a file name in a folder may hold and ``edit`` keeps as given: no NUL or ``/``, no
#: ``$`` or ``~`` (expanded, as the reference expands them), encodable as a file name.
FILE_CHARACTER = ANY_CHARACTER.filter(lambda c: c not in "\x00/$~" and _encodable(c))
#: Every code point below U+3100, in names of 64 characters: the range the tools were
#: scanned over beside the reference, in ~200 names.
SCANNED = ["".join(map(chr, range(start, min(start + 64, 0x3100)))) for start in range(0, 0x3100, 64)]


def _encodable(text: str) -> bool:
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return True


def _as_reference_writes(data: bytes) -> bytes:
    """The bytes the reference's writer makes of what ``data`` decodes to."""
    return json.dumps(json.loads(data), indent=4, separators=(",", ": ")).encode("ascii")


def _from_list(out: Path, product: str, member: str) -> None:
    assert cli_main(["from-list", "-o", str(out), "--product-name", product, member]) == 0


def _edit_add(source: Path, out: Path, name: str) -> None:
    assert cli_main(["edit", str(source), "-a", name, "-o", str(out)]) == 0


def _names(text: str) -> tuple[str, str]:
    """A product name and a member name holding ``text``."""
    return f"P{text}", f"a{text}_cal.fits"


def _file_name(text: str) -> str:
    kept = "".join(c for c in text if c not in "\x00/$~" and _encodable(c))
    return f"b{kept[:60]}.fits"


def _check_law(folder: Path, text: str) -> None:
    product, member = _names(text)
    made, edited, back = folder / "made.json", folder / "edited.json", folder / "back.json"
    _from_list(made, product, member)
    written = made.read_bytes()
    assert written == _as_reference_writes(written) and written.isascii()
    decoded = json.loads(written)
    assert decoded["products"][0]["name"] == product
    assert decoded["products"][0]["members"][0]["expname"] == member
    assert cli_main(["validate", str(made)]) == 0
    added = _file_name(text)
    _edit_add(made, edited, added)
    assert edited.read_bytes() == _as_reference_writes(edited.read_bytes())
    assert json.loads(edited.read_bytes())["products"][0]["members"][-1]["expname"] == added
    assert cli_main(["edit", str(edited), "-r", added, "-o", str(back)]) == 0
    assert back.read_bytes() == written  # add then remove: the same bytes


@pytest.mark.parametrize("start", range(0, len(SCANNED), 16))
def test_every_code_point_below_u3100_is_written_as_the_reference_writes_it(tmp_path, start):
    for text in SCANNED[start:start + 16]:
        _check_law(tmp_path, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(ANY_CHARACTER, min_size=1, max_size=20))
def test_any_text_survives_from_list_validate_and_edit(tmp_path, text):
    _check_law(tmp_path, text)


GENERATE_POOL = Path(__file__).resolve().parents[1] / "examples" / "jw01234_imaging_pool.csv"


@pytest.mark.parametrize("value", ["del\x7fhere", "caf\u00e9", 'q"b\\s', "sur\U0001f600x"])
def test_generate_writes_a_pool_value_as_the_reference_writes_it(tmp_path, value):
    lines = GENERATE_POOL.read_text().splitlines()
    header = next(n for n, line in enumerate(lines) if not line.startswith("#"))
    column = lines[header].split("|").index("exposerr")  # written in every member
    rows = [line.split("|") for line in lines[header + 1:]]
    for row in rows:
        row[column] = value
    pool = tmp_path / "pool.csv"
    pool.write_text("\n".join([*lines[:header + 1], *("|".join(r) for r in rows)]) + "\n")
    out = tmp_path / "out"
    assert cli_main(["generate", str(pool), "-p", str(out)]) == 0
    files = sorted(out.glob("*_asn.json"))
    assert files
    for file in files:
        written = file.read_bytes()
        assert written == _as_reference_writes(written)
        members = [m for p in json.loads(written)["products"] for m in p["members"]]
        assert {m["exposerr"] for m in members} == {value}


# --- beside the reference ---------------------------------------------------------------

_REFERENCE_SCRIPT = r"""
import json, logging, sys, warnings
from pathlib import Path
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from jwst.associations import asn_edit
from jwst.associations.asn_from_list import main as from_list

folder = Path(sys.argv[1])
cases = json.loads(Path(sys.argv[2]).read_text())
for n, (product, member, added) in enumerate(cases):
    made, edited = folder / f"made{n}.json", folder / f"edited{n}.json"
    from_list(["-o", str(made), "--product-name", product, member])
    asn = asn_edit.reader(str(made))
    asn_edit.add(asn, [added], "science")
    asn_edit.writer(asn, str(edited))
"""


def _without_excluded(data: bytes) -> list[bytes]:
    keys = tuple(f'    "{k}": '.encode() for k in EXCLUDED)
    return [line for line in data.split(b"\n") if not line.startswith(keys)]


def _reference_files(folder: Path, cases: list[tuple[str, str, str]]) -> None:
    listing = folder / "cases.json"
    listing.write_text(json.dumps(cases))
    done = subprocess.run([str(REFERENCE), "-c", _REFERENCE_SCRIPT, str(folder), str(listing)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(ANY_CHARACTER, min_size=1, max_size=12), min_size=50, max_size=150))
def test_the_same_bytes_as_the_reference(tmp_path_factory, drawn):
    texts = SCANNED + drawn
    theirs, ours = tmp_path_factory.mktemp("theirs"), tmp_path_factory.mktemp("ours")
    cases = [(*_names(text), _file_name(text)) for text in texts]
    _reference_files(theirs, cases)
    for n, (product, member, added) in enumerate(cases):
        made, edited = ours / f"made{n}.json", ours / f"edited{n}.json"
        _from_list(made, product, member)
        _edit_add(made, edited, added)
        for name in (made.name, edited.name):
            assert _without_excluded((ours / name).read_bytes()) == _without_excluded((theirs / name).read_bytes()), (
                n, repr(texts[n]))
