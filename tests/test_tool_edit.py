"""``asnfp edit``: the pure edits, the one-line errors, and (with ``ASNFP_REFERENCE`` naming a
Python that has jwst) the same bytes as ``asn_edit`` on the same inputs."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import NamedTuple, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from asnfp.cli import main as cli_main
from asnfp.errors import shown_path
from asnfp.tools import edit

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
REFERENCE = os.environ.get("ASNFP_REFERENCE")
IMAGE3 = "jw01234-o001_image3_00001_asn.json"
IMAGE2 = "jw01234-o001_image2_00001_asn.json"
CAL = "jw01234001001_02101_0000{}_nrcalong_cal.fits"
T = TypeVar("T")


def tool(argv: list[str]) -> int:
    """Run an ``asnfp`` sub-command as the command line does (one line, exit 2 on bad input)."""
    return cli_main(argv)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    assert cli_main(["generate", str(POOL), "-p", str(out)]) == 0
    return out


def _data() -> dict:
    return {"zeta": 1, "asn_id": "o001", "products": [
        {"name": "p", "extra": True, "members": [
            {"expname": "a_cal.fits", "exptype": "science", "exposerr": None},
            {"expname": "b_cal.fits", "exptype": "science"}]},
        {"name": "q", "members": [{"expname": "a_cal.fits", "exptype": "science"}]}]}


# --- the pure edits ------------------------------------------------------------------------

def test_add_appends_to_every_product_and_keeps_everything_else():
    data = _data()
    out = edit.add_members(data, ["/some/where/c_cal.fits"], "background")
    assert data == _data()  # input untouched
    assert list(out) == ["zeta", "asn_id", "products"]
    assert list(out["products"][0]) == ["name", "extra", "members"]
    for product in out["products"]:
        assert product["members"][-1] == {"expname": "c_cal.fits", "exptype": "background"}


def test_remove_drops_every_match_and_emptied_products():
    out, missing = edit.remove_members(_data(), ["a_cal.fits"])
    assert missing == ()
    assert [p["name"] for p in out["products"]] == ["p"]
    assert [m["expname"] for m in out["products"][0]["members"]] == ["b_cal.fits"]


def test_remove_keeps_products_that_were_already_empty():
    data = {"products": [{"name": "e", "members": []}, {"name": "p", "members": [{"expname": "a"}]}]}
    assert edit.remove_members(data, ["a"])[0]["products"] == [{"name": "e", "members": []}]


def test_remove_ignoring_suffixes_matches_on_the_root():
    assert edit.remove_members(_data(), ["b_rate.fits"])[1] == ("b_rate.fits",)
    out, missing = edit.remove_members(_data(), ["b_rate.fits"], ignore_suffix=True)
    assert missing == () and len(out["products"][0]["members"]) == 1


def test_remove_reports_names_not_found_in_order():
    assert edit.remove_members(_data(), ["x.fits", "a_cal.fits", "y.fits"])[1] == ("x.fits", "y.fits")


def test_remove_matches_the_whole_expname_not_its_basename():
    data = {"products": [{"name": "p", "members": [{"expname": "dir/a.fits", "exptype": "science"}]}]}
    assert edit.remove_members(data, ["a.fits"])[1] == ("a.fits",)


# --- the command ---------------------------------------------------------------------------

def _write(path: Path, data: dict) -> Path:
    path.write_bytes(edit.dumps_object(data))
    return path


def test_edit_in_place_keeps_key_order_and_leaves_no_backup(tmp_path):
    asn = _write(tmp_path / "a_asn.json", _data())
    assert tool(["edit", str(asn), "-a", str(tmp_path / "c_cal.fits"), "-t", "background"]) == 0
    assert os.listdir(tmp_path) == ["a_asn.json"]
    text = asn.read_bytes()
    assert not text.endswith(b"\n") and list(json.loads(text)) == ["zeta", "asn_id", "products"]
    assert json.loads(text)["products"][1]["members"][-1] == {"expname": "c_cal.fits", "exptype": "background"}


def test_edit_output_leaves_the_input_alone(tmp_path):
    asn = _write(tmp_path / "a_asn.json", _data())
    before = asn.read_bytes()
    assert tool(["edit", str(asn), "-r", "a_cal.fits", "-o", str(tmp_path / "b.json")]) == 0
    assert asn.read_bytes() == before
    assert [p["name"] for p in json.loads((tmp_path / "b.json").read_bytes())["products"]] == ["p"]


def test_edit_unknown_name_warns_in_one_line_and_still_writes(tmp_path, capsys):
    asn = _write(tmp_path / "a_asn.json", _data())
    assert tool(["edit", str(asn), "-r", "nope.fits", "a_cal.fits", "also.fits"]) == 0
    err = capsys.readouterr().err
    assert err == "asnfp: warning: not in the association, nothing removed for: nope.fits,also.fits\n"
    assert len(json.loads(asn.read_bytes())["products"]) == 1


def test_edit_keeps_non_ascii_escaped(tmp_path):
    asn = _write(tmp_path / "a_asn.json", {**_data(), "target": "caf\u00e9"})
    assert tool(["edit", str(asn), "-a", "x.fits"]) == 0
    assert b'"target": "caf\\u00e9"' in asn.read_bytes()


@pytest.mark.parametrize(("setup", "argv", "message"), [
    (None, ["missing.json", "-a", "x.fits"], "missing.json: cannot read (No such file or directory)"),
    ("{not json", ["a.json", "-a", "x.fits"], "a.json: not JSON ("),
    ("[1, 2]", ["a.json", "-a", "x.fits"], "a.json: not an association (a JSON object is needed)"),
    ('{"asn_id": "o001"}', ["a.json", "-r", "x.fits"], "a.json: not an association (no 'products' list)"),
    ("{}", ["a.yaml", "-a", "x.fits"], "a.yaml: not an association file (a .json name is needed)"),
    ('{"products": []}', ["a.json", "-a", "x.fits", "-o", "b.yaml"],
     "b.yaml: only .json output is supported"),
])
def test_bad_input_gives_one_line(tmp_path, capsys, monkeypatch, setup, argv, message):
    monkeypatch.chdir(tmp_path)
    if setup is not None:
        Path(argv[0]).write_text(setup)
    assert tool(["edit", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("asnfp: error: ")
    assert message in err
    assert sorted(os.listdir(tmp_path)) == ([argv[0]] if setup is not None else [])


# --- odd files: the same bytes as asn_edit, or one line ----------------------------------

def _edit_bytes(tmp_path: Path, text: bytes, *flags: str) -> bytes:
    """Edit ``text`` (as ``in.json``) into ``out.json``; the bytes written."""
    (tmp_path / "in.json").write_bytes(text)
    assert tool(["edit", str(tmp_path / "in.json"), *flags, "-o", str(tmp_path / "out.json")]) == 0
    return (tmp_path / "out.json").read_bytes()


EMPTY_PRODUCT = b'{"products": [{"members": []}], "x": %s}'


#: Numbers as a file gives them, and as the reference writes them back.
NUMBERS = [
    (b"1e16", b"1e+16"), (b"1E16", b"1e+16"), (b"1.5E-7", b"1.5e-07"), (b"100e-2", b"1.0"),
    (b"-0", b"0"), (b"-0.0", b"-0.0"), (b"0e0", b"0.0"), (b"1E5", b"100000.0"), (b"1e22", b"1e+22"),
    (b"1.0000000000000001", b"1.0"), (b"0.1000", b"0.1"), (b"5e-324", b"5e-324"), (b"2e-324", b"0.0"),
    (b"123456789012345678901234567890", b"123456789012345678901234567890"),
    (b"-98765432109876543210", b"-98765432109876543210"),
    (b"NaN", b"NaN"), (b"Infinity", b"Infinity"), (b"-Infinity", b"-Infinity"),
    (b"1e400", b"Infinity"), (b"-1e400", b"-Infinity"), (b"1.7976931348623159e308", b"Infinity"),
    (b"9" * 4300, b"9" * 4300),
]


@pytest.mark.parametrize(("given", "written"), NUMBERS)
def test_numbers_are_written_as_python_writes_them(tmp_path, given, written):
    out = _edit_bytes(tmp_path, EMPTY_PRODUCT % given, "-a", "n.fits")
    assert out.endswith(b'\n    ],\n    "x": ' + written + b"\n}")


STRINGS = (b'{"products": [], "s": "\\ud800|\\udc00\\ud800|\\ud83d\\ude00|\\u007f\x7f|\\u0000\\u001f\\b\\f\\n\\r\\t'
           b'|\\/\\"\\\\|\xc3\xa9\\u00E9|\xf0\x9f\x98\x80"}')


def test_strings_keep_every_character_escaped_as_the_reference_escapes_it(tmp_path):
    out = _edit_bytes(tmp_path, STRINGS, "x.fits")
    assert out == (b'{\n    "products": [],\n    "s": "\\ud800|\\udc00\\ud800|\\ud83d\\ude00|\\u007f\\u007f|'
                   b'\\u0000\\u001f\\b\\f\\n\\r\\t|/\\"\\\\|\\u00e9\\u00e9|\\ud83d\\ude00"\n}')


#: Odd files asn_edit writes back sensibly, the flags, and the bytes it writes.
HARMLESS = [
    pytest.param(b'{"a": 1, "products": [], "a": [2]}', ["x.fits"],
                 b'{\n    "a": [\n        2\n    ],\n    "products": []\n}', id="duplicate_keys"),
    pytest.param(b'{"products": [], "products": []}', ["-a", "x.fits"], b'{\n    "products": []\n}',
                 id="duplicate_products"),
    pytest.param(b'\r\n{ "z":{}, "products" :[ ]\t}\r\n ', ["-a", "x.fits"],
                 b'{\n    "z": {},\n    "products": []\n}', id="whitespace_and_crlf"),
    pytest.param(b'{"products": [{"members": [{"expname": "a.fits"}, {"exptype": "science"}]}]}',
                 ["-r", "a.fits"], b'{\n    "products": [\n        {\n            "members": [\n'
                 b'                {\n                    "exptype": "science"\n                }\n'
                 b'            ]\n        }\n    ]\n}', id="members_without_expname_or_exptype"),
    pytest.param(b'{"products": [{"members": [7, "s", null, [], {}]}]}', ["-a", "x.fits"],
                 b'{\n    "products": [\n        {\n            "members": [\n                7,\n'
                 b'                "s",\n                null,\n                [],\n                {},\n'
                 b'                {\n                    "expname": "x.fits",\n'
                 b'                    "exptype": "science"\n                }\n            ]\n        }\n'
                 b'    ]\n}', id="members_that_are_not_objects_added_to"),
    pytest.param(b'{"products": [{"members": [7]}]}', ["x.fits"],
                 b'{\n    "products": [\n        {\n            "members": [\n                7\n'
                 b'            ]\n        }\n    ]\n}', id="members_that_are_not_objects_no_edit"),
]


@pytest.mark.parametrize(("given", "flags", "written"), HARMLESS)
def test_odd_but_harmless_files_are_written_as_asn_edit_writes_them(tmp_path, given, flags, written):
    assert _edit_bytes(tmp_path, given, *flags) == written


DEEP = b'{"products": [], "x": ' + b"[" * 64 + b"]" * 64 + b"}"


#: Odd files asnfp refuses: the file's name and bytes, the flags, asnfp's line, and what the
#: reference does ("crashes" or, where asnfp refuses by decision, "writes").
REFUSED = [
    ("a.json", b'\xef\xbb\xbf{"products": []}', ["-a"],
     "a.json: not JSON (it starts with a UTF-8 byte-order mark)", "crashes"),
    ("a.json", b'{"products": [], "x": "\xff"}', ["-a"],
     "a.json: not JSON (not UTF-8 text: byte 0xff at offset 23)", "crashes"),
    ("a.json", b'{"products": [], "x": "\xed\xa0\x80"}', ["-a"], "a.json: not JSON (not UTF-8 text: byte 0xed",
     "crashes"),
    ("a.json", b"products:\n- members: []\n", ["-a"], "a.json: not JSON (Expecting value: line 1 column 1", "crashes"),
    ("a.json", b'{"products": [],}', ["-a"], "a.json: not JSON (Expecting property name enclosed in double quotes",
     "crashes"),
    ("a.json", b'# c\n{"products": []}', ["-a"], "a.json: not JSON (Expecting value", "crashes"),
    ("a.json", b"", ["-a"], "a.json: not JSON (Expecting value: line 1 column 1 (char 0))", "crashes"),
    ("a.json", b'{"products": []} {}', ["-a"], "a.json: not JSON (Extra data", "crashes"),
    ("a.json", b'{"products": [], "x": "\n"}', ["-a"], "a.json: not JSON (Invalid control character", "crashes"),
    ("a.json", b'{"products": [], "x": ' + b"9" * 4301 + b"}", ["-a"],
     "a.json: holds an integer of more than 4300 digits, more than Python's JSON reader takes", "crashes"),
    ("a.json", DEEP, ["-a"], "a.json: nests deeper than 64 levels", "writes"),
    ("a.json", b"[1, 2]", [], "a.json: not an association (a JSON object is needed)", "writes"),
    ("a.json", b'{"asn_id": "o001"}', [], "a.json: not an association (no 'products' list)", "writes"),
    ("a.json", b'{"products": {}}', ["-a"], "a.json: not an association (no 'products' list)", "writes"),
    ("a.json", b'{"products": ""}', ["-r"], "a.json: not an association (no 'products' list)", "writes"),
    ("a.json", b'{"products": [1]}', [], "a.json: product 1 has no 'members' list", "writes"),
    ("a.json", b'{"products": [{"members": {}}]}', ["-a"], "a.json: product 1 has no 'members' list", "crashes"),
    ("a.json", b'{"products": [{"members": [{"expname": "a"}, 7]}]}', ["-r"],
     "a.json: product 1, member 2 is not an object (it is 7)", "crashes"),
    ("a.json", b'{"products": [{"members": [{"expname": 7}]}]}', ["-r", "-i"],
     "a.json: product 1, member 1: 'expname' is not a string (it is 7)", "crashes"),
    ("a.json", b'{"products": [{"members": [{"exptype": NaN}]}]}', ["-a"],
     "a.json: product 1, member 1: 'exptype' is not a string (it is NaN)", "writes"),
    ("a.yaml", b'{"products": []}', ["-a"], "a.yaml: not an association file (a .json name is needed)", "crashes"),
    ("a.JSON", b'{"products": []}', ["-a"], "a.JSON: not an association file (a .json name is needed)", "crashes"),
    ("a.json", b'{"products": []}', ["-a", "-o", "b.yaml"], "b.yaml: only .json output is supported", "crashes"),
    ("a.json", b'{"products": []}', ["-a", "a.json"], "a.json: would replace an input of this run", "writes"),
]


@pytest.mark.parametrize(("name", "given", "flags", "message", "reference"), REFUSED)
def test_odd_files_refused_in_one_line(tmp_path, capsys, monkeypatch, name, given, flags, message, reference):
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(given)
    assert tool(["edit", name, *flags, "x.fits"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("asnfp: error: ") and message in err
    assert os.listdir(tmp_path) == [name] and Path(name).read_bytes() == given


@pytest.mark.parametrize("looped", ["a.json", "x.fits"])
def test_a_loop_of_symbolic_links_is_one_line(tmp_path, capsys, monkeypatch, looped):
    monkeypatch.chdir(tmp_path)
    Path("a.json").write_bytes(b'{"products": []}')
    Path("b.json").write_bytes(b'{"products": []}')
    names = ["a.json", "b.json"] if looped == "a.json" else ["x.fits", "y.fits"]
    for link, target in (names, names[::-1]):
        Path(link).unlink(missing_ok=True)
        Path(link).symlink_to(target)
    assert tool(["edit", "a.json", "-a", "x.fits", "-o", "c.json"]) == 2
    err = capsys.readouterr().err
    assert err == f"asnfp: error: {looped}: cannot resolve (a loop of symbolic links)\n"
    assert not Path("c.json").exists()


def test_the_warning_names_each_name_as_given(tmp_path, capsys):
    asn = _write(tmp_path / "a_asn.json", _data())
    plain = str(tmp_path / "x.fits")
    dotted = str(tmp_path / "." / "x.fits")
    assert tool(["edit", str(asn), "-r", plain, dotted, "a_cal.fits", "./a_cal.fits"]) == 0
    assert capsys.readouterr().err == ("asnfp: warning: not in the association, nothing removed for: "
                                       f"{plain},{dotted},./a_cal.fits\n")


# --- differential: the reference's asn_edit on the same inputs -----------------------------

EDITS = [
    ("add", IMAGE3, ["-a", "new_cal.fits", "other_cal.fits"]),
    ("add_type", IMAGE3, ["-a", "-t", "background", "bg_cal.fits"]),
    ("remove", IMAGE3, ["-r", CAL.format(2)]),
    ("remove_ignore", IMAGE3, ["-r", "-i", CAL.format(1).replace("_cal", "_rate")]),
    ("remove_unknown", IMAGE3, ["-r", "nothere_cal.fits", CAL.format(3)]),
    ("remove_all", IMAGE2, ["-r", "jw01234001001_02101_00003_nrcalong_rate.fits"]),
    ("nothing", IMAGE2, ["x_cal.fits"]),
    ("odd_keys", "odd", ["-r", "b_cal.fits"]),
]


def _reference_edit(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    code = "from jwst.scripts.asn_edit import main; main()"
    return subprocess.run([REFERENCE, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@pytest.mark.parametrize(("case", "source", "flags"), EDITS, ids=[e[0] for e in EDITS])
@pytest.mark.parametrize("in_place", [False, True], ids=["output", "in_place"])
def test_same_bytes_as_asn_edit(generated, tmp_path, monkeypatch, case, source, flags, in_place):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for folder in (ours, theirs):
        folder.mkdir()
        if source == "odd":
            _write(folder / "odd_asn.json", {**_data(), "target": "caf\u00e9", "n": [1, 2.5, None, False]})
        else:
            shutil.copy(generated / source, folder / "in_asn.json")
    name = "odd_asn.json" if source == "odd" else "in_asn.json"
    out = name if in_place else "out.json"
    argv = [name, *flags] + ([] if in_place else ["-o", out])
    result = _reference_edit(argv, theirs)
    assert result.returncode == 0, result.stderr
    monkeypatch.chdir(ours)
    assert tool(["edit", *argv]) == 0
    assert (ours / out).read_bytes() == (theirs / out).read_bytes()
    assert sorted(os.listdir(ours)) == sorted(os.listdir(theirs))
    if case == "remove_unknown":
        assert "Filenames not found: nothere_cal.fits" in result.stderr


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@pytest.mark.parametrize(("setup", "argv"), [
    (None, ["missing.json", "-a", "x.fits"]),
    ("{not json", ["a.json", "-a", "x.fits"]),
    ("{}", ["a.yaml", "-a", "x.fits"]),
    ('{"products": []}', ["a.json", "-a", "x.fits", "-o", "b.yaml"]),
])
def test_the_reference_also_refuses(tmp_path, setup, argv):
    if setup is not None:
        (tmp_path / argv[0]).write_text(setup)
    result = _reference_edit(argv, tmp_path)
    assert result.returncode != 0 and "Traceback" in result.stderr


# --- drawn odd files: edited as asn_edit edits them, or refused in one line ------------------

def _json_string(parts: list[str]) -> str:
    return '"' + "".join(parts) + '"'


def _pair_escape(code: int) -> str:
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04X}"


#: Raw characters a JSON string may hold (every one but the controls, ``"`` and ``\``; DEL too).
RAW_CHARACTER = st.characters(min_codepoint=0x20, blacklist_categories=("Cs",), blacklist_characters='"\\')
ESCAPE = st.one_of(
    st.sampled_from(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\x7f", "\\u007f", "\\u007F"]),
    st.integers(0, 0xFFFF).map(lambda c: f"\\u{c:04x}"),  # every BMP code: controls, lone surrogates
    st.integers(0x10000, 0x10FFFF).map(_pair_escape),
    st.sampled_from(["\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud83d\\ude00"]),
)
STRING = st.lists(st.one_of(RAW_CHARACTER, ESCAPE), max_size=8).map(_json_string)
NUMBER = st.one_of(
    st.from_regex(r"-?(0|[1-9][0-9]{0,30})", fullmatch=True),
    st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.floats(allow_nan=False).map(repr).filter(lambda t: "inf" not in t),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "-0", "-0.0", "0e0", "1E16", "5e-324",
                     "2e-324", "1.7976931348623159e308", "1.0000000000000001", "9" * 4300]),
)
SCALAR = st.one_of(NUMBER, STRING, st.sampled_from(["true", "false", "null"]))


def _rarely(common: st.SearchStrategy[T], rare: st.SearchStrategy[T], one_in: int = 15) -> st.SearchStrategy[T]:
    """``common``, but ``rare`` one time in ``one_in`` or so."""
    return _one_in(one_in).flatmap(lambda now: rare if now else common)


def _one_in(count: int) -> st.SearchStrategy[bool]:
    """True one time in ``count`` or so (hypothesis draws small integers far more often)."""
    return st.sampled_from([False] * (count - 1) + [True])
SPACE = st.sampled_from(["", " ", "\n", "\r\n", "\t", "\n    "])
#: Member names on the command line and in files (so that some removals find theirs).
NAMES = ["a_cal.fits", "a_rate.fits", "b_cal.fits", "c.fits", "c_i2d.fits", "sub/c.fits", "caf\u00e9_cal.fits", "d"]
NAME = st.sampled_from(NAMES).flatmap(lambda n: st.sampled_from([
    json.dumps(n), json.dumps(n, ensure_ascii=False), _json_string([f"\\u{ord(c):04x}" for c in n])]))


def _array(items: list[str], space: str) -> str:
    return "[" + ",".join(f"{space}{item}{space}" for item in items) + "]"


def _object(pairs: list[tuple[str, str]], space: str) -> str:
    return "{" + ",".join(f"{space}{key}{space}:{space}{value}{space}" for key, value in pairs) + "}"


def _arrays_and_objects(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    items = st.lists(inner, max_size=3)
    pairs = st.lists(st.tuples(STRING, inner), max_size=3)
    return st.builds(_array, items, SPACE) | st.builds(_object, pairs, SPACE)


VALUE = st.recursive(SCALAR, _arrays_and_objects, max_leaves=6)
EXTRA = st.tuples(st.one_of(st.sampled_from(['"x"', '"asn_id"', '"\\u00e9"', '"name"']), STRING), VALUE)


def _keyed(required: list[tuple[str, str | None]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(f'"{key}"', value) for key, value in required if value is not None] + extra


@st.composite
def _members(draw: st.DrawFn) -> str:
    """A ``members`` list: objects with (mostly) a name and a type, some without, some not objects."""
    members = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(_one_in(15)):
            members.append(draw(VALUE))
            continue
        expname = draw(_rarely(NAME | NAME | STRING, SCALAR | st.none()))
        exptype = draw(_rarely(st.just('"science"') | STRING, SCALAR | st.none()))
        pairs = _keyed([("expname", expname), ("exptype", exptype)], draw(st.lists(EXTRA, max_size=2)))
        members.append(_object(draw(st.permutations(pairs)), draw(SPACE)))
    return _array(members, draw(SPACE))


@st.composite
def _products(draw: st.DrawFn) -> str:
    """A ``products`` list (now and then something else)."""
    if draw(_one_in(20)):
        return draw(st.sampled_from(["{}", '""', "null", "[1]", '[{"name": "p"}]', '[{"members": {}}]']))
    products = []
    for _ in range(draw(st.integers(0, 3))):
        pairs = _keyed([("name", draw(STRING | st.none())), ("members", draw(_members()))],
                       draw(st.lists(EXTRA, max_size=2)))
        products.append(_object(draw(st.permutations(pairs)), draw(SPACE)))
    return _array(products, draw(SPACE))


#: Whole-file damage now and then: what asn_edit cannot read (or reads anyway: trailing space).
DAMAGE = st.sampled_from([(b"", b"")] * 50 + [(b"\xef\xbb\xbf", b""), (b"# c\n", b""), (b"", b","), (b"", b"\n"),
                                              (b"", b"\xff"), (b"", b" {}"), (b"\x00", b"")])


@st.composite
def _file(draw: st.DrawFn) -> bytes:
    """An association file's bytes; the rare oddities drawn first (a long draw ends in its
    simplest values)."""
    before, after = draw(DAMAGE)
    deep, big = draw(_one_in(40)), draw(_one_in(40))
    pairs = _keyed([("asn_id", draw(STRING | st.none())), ("products", draw(_products()))],
                   draw(st.lists(EXTRA, max_size=3)))
    if deep:
        pairs = [("\"products\"", '[{"members": [' + "[" * 64 + "]" * 64 + "]}]")]  # too deep for asnfp
    if big:
        pairs.append(('"big"', "9" * 4301))  # more digits than Python reads
    text = _object(draw(st.permutations(pairs)), draw(SPACE))
    return before + text.encode("utf-8") + after


ARGUMENT = st.sampled_from([*NAMES, "x.fits", "./a_cal.fits", "nowhere/../b_cal.fits", "\u00e9.fits", "\udcff.fits"])
MODE = st.sampled_from([["-a"], ["-a", "-t", "background"], ["-a", "-t", "\x7f\u00e9\udcff"], ["-r"], ["-r", "-i"],
                        []])
OUTPUT = st.sampled_from([["-o", "out.json"]] * 10 + [[]] * 5 + [["-o", "out.yaml"]])
FILE_NAME = st.sampled_from(["in_asn.json"] * 30 + ["in_asn.yaml", "in_asn.JSON"])


@st.composite
def _case(draw: st.DrawFn) -> dict[str, object]:
    name = draw(FILE_NAME)
    argv = [name, *draw(MODE), *draw(st.lists(ARGUMENT, min_size=1, max_size=3)), *draw(OUTPUT)]
    return {"name": name, "data": draw(_file()), "argv": argv}


def _draw_cases(count: int) -> list[dict[str, object]]:
    """``count`` cases drawn by hypothesis (one batch, so that the reference starts once)."""
    drawn: list[dict[str, object]] = []

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(_case())
    def collect(case: dict[str, object]) -> None:
        drawn.append(case)

    collect()
    return drawn


def _lay_out(root: Path, cases: list[dict[str, object]]) -> list[Path]:
    folders = []
    for n, case in enumerate(cases):
        folder = root / f"case{n:04d}"
        folder.mkdir(parents=True)
        (folder / str(case["name"])).write_bytes(case["data"])  # type: ignore[arg-type]
        folders.append(folder)
    return folders


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _ours(folder: Path, argv: list[str]) -> tuple[int, str]:
    """Run ``asnfp edit`` in ``folder``: its status and what it said on stderr."""
    err = io.StringIO()
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stderr(err):
            status = tool(["edit", *argv])
    finally:
        os.chdir(here)
    return status, err.getvalue()


def _check_ours(folder: Path, before: dict[str, bytes], status: int, err: str) -> None:
    """The bad-input guarantees: a refusal is one line, status 2, nothing written."""
    assert status in (0, 2), (status, err)
    if status == 2:
        assert err.count("\n") == 1 and err.startswith("asnfp: error: "), err
        assert _files(folder) == before
    else:
        assert err == "" or (err.count("\n") == 1 and err.startswith("asnfp: warning: ")), err


def test_drawn_odd_files_are_edited_or_refused_in_one_line(tmp_path):
    cases = _draw_cases(120)
    for folder, case in zip(_lay_out(tmp_path, cases), cases, strict=True):
        before = _files(folder)
        status, err = _ours(folder, case["argv"])  # type: ignore[arg-type]
        _check_ours(folder, before, status, err)
        assert set(_files(folder)) - {"out.json"} == set(before), (case, err)  # (nothing else left)


_BATCH_SCRIPT = r"""
import json, logging, os, sys, warnings
logging.disable(logging.CRITICAL)
from jwst.scripts.asn_edit import main

listing, results = sys.argv[1:3]
outcomes = []
for folder, argv in json.load(open(listing)):
    os.chdir(folder)
    sys.argv = ["asn_edit", *argv]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            main()
            outcome = "ok"
        except BaseException as err:
            outcome = type(err).__name__
    said = [str(w.message) for w in seen if str(w.message).startswith("Filenames not found: ")]
    outcomes.append([outcome, said])
json.dump(outcomes, open(results, "w"))
"""


def _reference_batch(folders: list[Path], argvs: list[list[str]], work: Path) -> list[tuple[str, list[str]]]:
    """Run the reference's ``asn_edit`` over every case in one process: each outcome
    (``ok`` or the exception's name) and the not-found warnings it gave."""
    listing, outcomes = work / "cases.json", work / "outcomes.json"
    listing.write_text(json.dumps([[str(f), a] for f, a in zip(folders, argvs, strict=True)]))
    done = subprocess.run([str(REFERENCE), "-c", _BATCH_SCRIPT, str(listing), str(outcomes)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [(outcome, said) for outcome, said in json.loads(outcomes.read_text())]


#: What asnfp refuses by decision where asn_edit writes a file (see asnfp.tools.edit).
DECIDED_REFUSALS = ("not an association", "has no 'members' list", "is not a string", "nests deeper than")


def _warned(said: list[str]) -> str:
    names = ",".join(shown_path(n) for s in said for n in [s.removeprefix("Filenames not found: ")])
    return f"asnfp: warning: not in the association, nothing removed for: {names}\n" if said else ""


def _compare(case: dict[str, object], ours: Path, theirs: Path, mine: tuple[int, str],
             reference: tuple[str, list[str]]) -> str:
    """How a case came out beside the reference: ``same bytes``, ``both refuse`` or
    ``decided refusal``; anything else fails."""
    (status, err), (outcome, said) = mine, reference
    if outcome == "ok":
        if status == 2:
            assert any(reason in err for reason in DECIDED_REFUSALS), (case, err)
            return "decided refusal"
        assert _files(ours) == _files(theirs), case
        assert err == _warned(said), (case, err, said)
        return "same bytes"
    assert status == 2, (case, outcome)
    return "both refuse"


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
def test_drawn_odd_files_as_asn_edit(tmp_path):
    cases = _draw_cases(300)
    ours, theirs = _lay_out(tmp_path / "ours", cases), _lay_out(tmp_path / "theirs", cases)
    argvs: list[list[str]] = [case["argv"] for case in cases]  # type: ignore[misc]
    outcomes = _reference_batch(theirs, argvs, tmp_path)
    tally: Counter[str] = Counter()
    for case, mine, their, argv, outcome in zip(cases, ours, theirs, argvs, outcomes, strict=True):
        before = _files(mine)
        result = _ours(mine, argv)
        _check_ours(mine, before, *result)
        tally[_compare(case, mine, their, result, outcome)] += 1
    print(f"\nasn_edit beside asnfp edit, {len(cases)} drawn cases: {dict(tally)}")
    assert tally["same bytes"] >= len(cases) // 3, tally


class Decided(NamedTuple):
    """A hand-picked odd file as a drawn-style case; what the reference does with it
    (``writes``/``crashes``), the bytes it writes where known, whether asnfp refuses it."""

    case: dict[str, object]
    reference: str
    written: bytes | None
    refused: bool


def _decided_cases() -> list[Decided]:
    """The hand-picked odd files above."""
    to_out = ["-o", "out.json"]
    cases = [Decided({"name": "in.json", "data": EMPTY_PRODUCT % given, "argv": ["in.json", "-a", "n.fits", *to_out]},
                     "writes", None, False) for given, _ in NUMBERS]
    cases.append(Decided({"name": "in.json", "data": STRINGS, "argv": ["in.json", "x.fits", *to_out]},
                         "writes", None, False))
    for param in HARMLESS:
        given, flags, written = param.values
        cases.append(Decided({"name": "in.json", "data": given, "argv": ["in.json", *flags, *to_out]},
                             "writes", written, False))
    for name, given, flags, _, reference in REFUSED:
        cases.append(Decided({"name": name, "data": given, "argv": [name, *flags, "x.fits"]}, reference, None, True))
    return cases


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
def test_the_decided_cases_beside_asn_edit(tmp_path):
    decided = _decided_cases()
    cases = [d.case for d in decided]
    theirs, ours = _lay_out(tmp_path / "theirs", cases), _lay_out(tmp_path / "ours", cases)
    outcomes = _reference_batch(theirs, [case["argv"] for case in cases], tmp_path)  # type: ignore[misc]
    for d, mine, their, (outcome, _) in zip(decided, ours, theirs, outcomes, strict=True):
        assert (outcome == "ok") == (d.reference == "writes"), (d.case, outcome)
        status, _ = _ours(mine, d.case["argv"])  # type: ignore[arg-type]
        assert status == (2 if d.refused else 0), d.case
        if not d.refused:
            assert _files(mine) == _files(their), d.case
            assert d.written is None or (their / "out.json").read_bytes() == d.written
