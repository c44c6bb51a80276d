"""``asnfp validate``: the reference's verdict by default, asnfp's stricter one with ``--strict``.

- Generated files (JSON and YAML), and every file asnfp writes, are valid in both modes.
- Each kind of file the reference refuses gives one line naming the file and the key.
- Each kind of file the reference accepts but ``--strict`` refuses: valid by default, one
  ``strict:`` line naming the key with ``--strict``.
- Laws (hypothesis, over mutated association files, :func:`mutated_files`): strict-valid
  implies default-valid; asnfp's JSON reading is Python's ``json``'s.
- A missing file is a one-line error with status 2, before any output.

:func:`mutated_files` is also what ``test_validate_reference.py`` draws to compare the
verdict with the reference's.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from asnfp import api
from asnfp.cli import main as cli_main
from asnfp.io import Level3File, _Failed, _json_reading, _schema_problem, _text, _yaml_reading
from asnfp.tools.validate import Invalid, check, check_strict

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
IMAGE3 = "jw01234-o001_image3_00002_asn.json"


def tool(argv: list[str]) -> int:
    """Run an ``asnfp`` sub-command as the command line does (one line, exit 2 on bad input)."""
    return cli_main(argv)


def generated_files(out: Path) -> Path:
    """Write the example pool's association files, JSON and YAML, into ``out``."""
    for asn in api.associations(api.read_pool(str(POOL))):
        for fmt in ("json", "yaml"):
            name, data = api.to_bytes(asn, fmt)
            (out / name).write_bytes(data)
    return out


@functools.cache
def example_files() -> tuple[bytes, ...]:
    """The example pool's association files as asnfp writes them (JSON)."""
    return tuple(api.to_bytes(asn, "json")[1] for asn in api.associations(api.read_pool(str(POOL))))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_files(tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="module")
def image3(generated: Path) -> dict[str, Any]:
    return json.loads((generated / IMAGE3).read_bytes())


def errors(capsys: pytest.CaptureFixture[str]) -> list[str]:
    out, err = capsys.readouterr()
    assert out == ""
    return err.splitlines()


# --- every file asnfp writes is valid in both modes ---------------------------------------


@pytest.mark.parametrize("strict", [[], ["--strict"]], ids=["default", "strict"])
def test_generated_files_are_valid(generated: Path, capsys: pytest.CaptureFixture[str], strict: list[str]) -> None:
    paths = sorted(str(p) for p in generated.iterdir())
    assert len(paths) == 42
    assert tool(["validate", *strict, *paths]) == 0
    assert errors(capsys) == []


def test_files_from_list_edit_and_generate_are_valid_in_both_modes(tmp_path: Path) -> None:
    made, edited = tmp_path / "made.json", tmp_path / "edited.json"
    assert tool(["from-list", "-o", str(made), "--product-name", "p", "a_cal.fits", "b_cal.fits"]) == 0
    assert tool(["edit", str(made), "-a", "c_cal.fits", "-o", str(edited)]) == 0
    assert tool(["generate", str(POOL), "-p", str(tmp_path / "out"), "--format", "yaml"]) == 0
    written = [made, edited, *sorted((tmp_path / "out").iterdir())]
    assert len(written) > 10
    for path in written:
        data = path.read_bytes()
        assert check(data) is None, path
        assert isinstance(check_strict(data, is_yaml=path.suffix == ".yaml"), Level3File), path


# --- files both verdicts refuse --------------------------------------------------------------


def _changed(data: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    change(data)
    return data


def _members(d: dict[str, Any]) -> list[Any]:
    members: list[Any] = d["products"][0]["members"]
    return members


BOTH_REFUSE = {
    "no products": (lambda d: d.pop("products"), "Object missing required field `products`"),
    "member without expname": (lambda d: _members(d)[1].pop("expname"),
                               "Object missing required field `expname` - at `$.products[0].members[1]`"),
    "member without exptype": (lambda d: _members(d)[0].pop("exptype"),
                               "Object missing required field `exptype` - at `$.products[0].members[0]`"),
    "expname not a string": (lambda d: _members(d)[2].update(expname=3),
                             "Expected `str`, got `int` - at `$.products[0].members[2].expname`"),
    "exptype null": (lambda d: _members(d)[0].update(exptype=None),
                     "Expected `str`, got `null` - at `$.products[0].members[0].exptype`"),
    "product without members": (lambda d: d["products"][0].pop("members"),
                                "Object missing required field `members` - at `$.products[0]`"),
    "products an object": (lambda d: d.update(products={}), "Expected `array`, got `object` - at `$.products`"),
    "product a string": (lambda d: d["products"].append("p"), "Expected `object`, got `str` - at `$.products[1]`"),
    "members null": (lambda d: d["products"][0].update(members=None),
                     "Expected `array`, got `null` - at `$.products[0].members`"),
    "member a string": (lambda d: _members(d).insert(1, "x_cal.fits"),
                        "Expected `object`, got `str` - at `$.products[0].members[1]`"),
    "member a list": (lambda d: _members(d).insert(2, []),
                      "Expected `object`, got `array` - at `$.products[0].members[2]`"),
    "member null": (lambda d: _members(d).insert(0, None),
                    "Expected `object`, got `null` - at `$.products[0].members[0]`"),
    "asn_type true": (lambda d: d.update(asn_type=True), "Expected `str`, got `bool` - at `$.asn_type`"),
    "asn_rule a list": (lambda d: d.update(asn_rule=[]), "Expected `str`, got `array` - at `$.asn_rule`"),
    "program null": (lambda d: d.update(program=None), "Expected `str`, got `null` - at `$.program`"),
    "asn_pool a number": (lambda d: d.update(asn_pool=1.5), "Expected `str`, got `float` - at `$.asn_pool`"),
    "product name an object": (lambda d: d["products"][0].update(name={}),
                               "Expected `str`, got `object` - at `$.products[0].name`"),
}


@pytest.mark.parametrize("case", BOTH_REFUSE)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("strict", [[], ["--strict"]], ids=["default", "strict"])
def test_each_broken_file_gives_one_line_naming_the_key(case: str, fmt: str, strict: list[str], image3: dict[str, Any],
                                                        generated: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    change, message = BOTH_REFUSE[case]
    data = _changed(image3, change)
    bad = tmp_path / f"bad.{fmt}"
    text = json.dumps(data, indent=4) if fmt == "json" else yaml.safe_dump(data)
    bad.write_text(text)
    assert tool(["validate", *strict, str(generated / IMAGE3), str(bad)]) == 2
    [line] = errors(capsys)
    assert line.startswith(f"{bad}: {message}")


@pytest.mark.parametrize("text, message", [
    ("[1]", "Expected `object`, got `array`"),
    ("", "Expected `object`, got `null` (read as YAML; not JSON: Expecting value: line 1 column 1 (char 0))"),
    ("{", "not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)) nor YAML ("),
    ("products: [\n", "not JSON (Expecting value: line 1 column 1 (char 0)) nor YAML (while parsing"),
    ("products:\n\t- members: []\n", "not JSON (Expecting value: line 1 column 1 (char 0)) nor YAML (while scanning"),
    ('{"products": [{"members": []}], "a": 0}\n---\n{}\n', ("not JSON (Extra data: line 2 column 1 (char 40)) nor YAML "
                                                            "(expected a single document")),
])
def test_text_that_is_no_association(text: str, message: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(text)
    assert tool(["validate", str(bad)]) == 2
    [line] = errors(capsys)
    assert line.startswith(f"{bad}: {message}")


OK = b'{"asn_type": "image3", "asn_rule": "R", "products": [{"name": "p", "members": []}]}'


@pytest.mark.parametrize("data, message", [
    (b"\xff" + OK, "not UTF-8 text (invalid start byte at byte 0)"),
    (OK.replace(b'"p"', b'"p\xed\xa0\x80"'), "not UTF-8 text (invalid continuation byte at byte 64)"),
    (OK.replace(b'"p"', b'"p\x01"'), ("not JSON (Invalid control character at: line 1 column 65 (char 64)) nor YAML "
                                      "(unacceptable character #x0001")),
    (OK.replace(b"[]", b"[" + b"1" * 4301 + b"]"), ("not JSON (Exceeds the limit (4300 digits) for integer string "
                                                    "conversion: value has 4301 digits; use "
                                                    "sys.set_int_max_str_digits")),
])
def test_bytes_python_cannot_read_are_refused(data: bytes, message: str) -> None:
    problem = check(data)
    assert problem is not None and problem.message.startswith(message)


def test_a_yaml_reading_past_the_nesting_bound_is_refused_where_the_reference_reads_it() -> None:
    """The one kind of difference: the reference's YAML reading follows 100 levels."""
    deep = "[" * 100 + "]" * 100
    assert check(b"products: []\nx: " + deep.encode() + b"\n") == Invalid(
        "nests deeper than 64 levels (an association file nests 5)")
    assert check(b'{"products": [], "x": ' + deep.encode() + b"}") is None  # JSON: Python's json follows it


# --- files the reference accepts and --strict refuses ----------------------------------------

STRICT_ONLY = {
    "no asn_type": (lambda d: d.pop("asn_type"), "Object missing required field `asn_type`"),
    "no asn_rule": (lambda d: d.pop("asn_rule"), "Object missing required field `asn_rule`"),
    "product without name": (lambda d: d["products"][0].pop("name"),
                             "Object missing required field `name` - at `$.products[0]`"),
    "unknown asn_type": (lambda d: d.update(asn_type="foo"), ("asn_type 'foo' is not an association type "
                                                              "(e.g. image2, image3, spec3) - at `$.asn_type`")),
    "asn_type in capitals": (lambda d: d.update(asn_type="IMAGE3"), "asn_type 'IMAGE3' is not"),
    "target a number": (lambda d: d.update(target=5), "Expected `str`, got `int` - at `$.target`"),
    "asn_id null": (lambda d: d.update(asn_id=None), "Expected `str`, got `null` - at `$.asn_id`"),
    "version_id a number": (lambda d: d.update(version_id=1), "Expected `str | null`, got `int` - at `$.version_id`"),
    "constraints a list": (lambda d: d.update(constraints=[]), "Expected `str`, got `array` - at `$.constraints`"),
    "degraded_status null": (lambda d: d.update(degraded_status=None),
                             "Expected `str`, got `null` - at `$.degraded_status`"),
    "code_version a number": (lambda d: d.update(code_version=3.0),
                              "Expected `str`, got `float` - at `$.code_version`"),
    "exposerr a number": (lambda d: _members(d)[0].update(exposerr=1),
                          "Expected `str | null`, got `int` - at `$.products[0].members[0].exposerr`"),
    "asn_candidate null": (lambda d: _members(d)[1].update(asn_candidate=None),
                           "Expected `str`, got `null` - at `$.products[0].members[1].asn_candidate`"),
    "expname in a folder": (lambda d: _members(d)[2].update(expname="raw/c_cal.fits"),
                            ("expname 'raw/c_cal.fits' names a folder (the reference warns: path information) - at "
                             "`$.products[0].members[2].expname`")),
}


@pytest.mark.parametrize("case", STRICT_ONLY)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_what_only_strict_refuses_names_the_key(case: str, fmt: str, image3: dict[str, Any], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    change, message = STRICT_ONLY[case]
    bad = tmp_path / f"bad.{fmt}"
    data = _changed(image3, change)
    bad.write_text(json.dumps(data, indent=4) if fmt == "json" else yaml.safe_dump(data))
    assert tool(["validate", str(bad)]) == 0
    assert errors(capsys) == []
    assert tool(["validate", "--strict", str(bad)]) == 2
    [line] = errors(capsys)
    assert line.startswith(f"{bad}: strict: {message}")


GOOD = json.dumps({"asn_type": "image3", "asn_rule": "R", "asn_id": "o001", "products": [
    {"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]}]}, indent=4)

TEXT_ONLY_THE_REFERENCE_READS = {
    "NaN": (GOOD.replace('"o001"', "NaN"), "not standard JSON (JSON is malformed: invalid character"),
    "Infinity": (GOOD.replace('"o001"', "-Infinity"), "not standard JSON (JSON is malformed: invalid character"),
    "1e400": (GOOD.replace('"o001"', "1e400"), "not standard JSON (Number out of range"),
    "asn_type 1e5 (YAML reads a string)": (GOOD.replace('"image3"', "1e5"), ("Expected `str`, got `float` - at "
                                                                             "`$.asn_type`")),
    "lone surrogate": (GOOD.replace('"o001"', '"\\ud800"'),
                       "not standard JSON (JSON is malformed: unexpected end of escaped utf-16 surrogate pair"),
    "a raw CR in a string (YAML folds it)": (GOOD.replace('"p"', '"p\r"'),
                                             "not standard JSON (JSON is malformed: invalid character"),
    "BOM": ("\ufeff" + GOOD, "not standard JSON (JSON is malformed: invalid character (byte 0))"),
    "trailing comma": (GOOD.replace('"science"\n', '"science",\n'),
                       "not standard JSON (JSON is malformed: trailing comma"),
    "comment": (GOOD + "\n# a comment\n", "not standard JSON (JSON is malformed: trailing characters"),
    "YAML text": (yaml.safe_dump(json.loads(GOOD)),
                  "not standard JSON (JSON is malformed: invalid character (byte 0))"),
}


@pytest.mark.parametrize("case", TEXT_ONLY_THE_REFERENCE_READS)
def test_text_only_the_reference_reads_is_refused_by_strict_as_json(case: str, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    text, message = TEXT_ONLY_THE_REFERENCE_READS[case]
    bad = tmp_path / "a.json"
    bad.write_bytes(text.encode("utf-8"))
    assert tool(["validate", str(bad)]) == 0
    assert tool(["validate", "--strict", str(bad)]) == 2
    [line] = errors(capsys)
    assert line.startswith(f"{bad}: strict: {message}")


def test_json_with_tabs_in_a_yaml_file_is_read_as_json_and_refused_by_strict(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text(json.dumps(json.loads(GOOD), indent="\t"))
    assert tool(["validate", str(bad)]) == 0
    assert tool(["validate", "--strict", str(bad)]) == 2
    [line] = errors(capsys)
    assert line.startswith(f"{bad}: strict: not YAML (while scanning")


@pytest.mark.parametrize("name", ["./a_cal.fits", "a_cal.fits/", "a_cal.fits"])
def test_a_name_the_reference_finds_no_folder_in_passes_strict(name: str) -> None:
    data = GOOD.replace("a_cal.fits", name).encode()
    assert isinstance(check_strict(data), Level3File)


# --- laws ---------------------------------------------------------------------------------

#: Text a mutation puts in place of a value: what JSON and YAML read differently.
RAW_LITERALS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e5", "1.5e5", "1.0e+5", "1_000", "010",
                "0x1F", "+1", "-0", ".inf", ".nan", "yes", "off", "~", "2001-01-01", "12:30:00", "'single'",
                '"\\ud800"', '"\\udc00x"', '"a\\/b"', '"\\u0000"', "!!binary aGk=", "!!set {a: 1}", "[1, 2,]",
                "{a: 1,}", "null", "true", "[]", "{}", "1" * 4301, "1" * 40, "&a x", "*a", "0o17", "1e-5")
SENTINEL = "@@raw{}@@"
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.sampled_from(["", "image3", "a_cal.fits", "raw/a_cal.fits", "1e5", "NaN", "yes", "\ud800", "é", "#"])
           | st.text(max_size=6))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(["expname", "exptype", "members", "name", "x"]), inner,
                                        max_size=3), max_leaves=6)
STRUCTURAL = ("delete", "replace", "raw", "rename", "add")
TEXTUAL = ("bom", "trailing comma", "comment", "crlf", "cr", "bad byte", "truncate", "control", "duplicate key", "tab")


def _paths(value: object, here: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every key path in a decoded file, the root first."""
    found = [here]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.extend(_paths(child, (*here, key)))
    return found


def _parent(doc: Any, path: tuple[object, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def _structural(draw: st.DrawFn, doc: Any, raws: list[str]) -> Any:
    """The decoded file changed once: a key deleted, renamed or added, a value replaced
    (by a drawn value, or by text put in after serializing: :data:`RAW_LITERALS`), often
    where the schema looks (``products``, a product, its ``members``, a member)."""
    paths = _paths(doc)
    shaped = [p for p in paths if p[:1] == ("products",) and len(p) <= 4]
    path = draw(st.sampled_from(shaped if shaped and draw(st.booleans()) else paths))
    kind = draw(st.sampled_from(STRUCTURAL))
    value: object = draw(VALUES)
    if kind == "raw":
        raws.append(draw(st.sampled_from(RAW_LITERALS)))
        value = SENTINEL.format(len(raws) - 1)
    if not path:
        return value if kind in ("replace", "raw") else doc
    parent, key = _parent(doc, path), path[-1]
    if kind == "delete":
        del parent[key]
    elif kind in ("replace", "raw"):
        parent[key] = value
    elif kind == "rename" and isinstance(parent, dict):
        parent[f"{key}{draw(st.sampled_from(['_', 'S', ' ']))}"] = parent.pop(key)
    elif kind == "add" and isinstance(parent, dict):
        parent[draw(st.text(max_size=4))] = value
    return doc


def _serialized(doc: Any, how: str) -> str:
    if how == "yaml":
        return yaml.safe_dump(doc)
    if how == "yaml flow":
        return yaml.safe_dump(doc, default_flow_style=True)
    if how == "json tabs":
        return json.dumps(doc, indent="\t")
    if how == "json compact":
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(doc, indent=4)


def _with_raws(text: str, raws: list[str]) -> str:
    for i, raw in enumerate(raws):
        mark = SENTINEL.format(i)
        text = text.replace(f'"{mark}"', raw).replace(f"'{mark}'", raw).replace(mark, raw)
    return text


@st.composite
def _textual(draw: st.DrawFn, data: bytes) -> bytes:
    """The file's bytes changed once: a BOM, a trailing comma, a comment, other newlines,
    a byte that is not UTF-8, cut short, a control character, a repeated key, tabs."""
    kind = draw(st.sampled_from(TEXTUAL))
    at = draw(st.integers(0, len(data)))
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "trailing comma":
        closes = [i for i, byte in enumerate(data) if byte in b"]}"]
        i = draw(st.sampled_from(closes)) if closes else at
        return data[:i].rstrip() + b"," + data[i:]
    if kind == "comment":
        return data[:at] + b"\n# note\n" + data[at:]
    if kind in ("crlf", "cr"):
        return data.replace(b"\n", b"\r\n" if kind == "crlf" else b"\r")
    if kind == "bad byte":
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + data[at:]
    if kind == "truncate":
        return data[:at]
    if kind == "control":
        return data[:at] + draw(st.sampled_from([b"\x00", b"\x01", b"\t", b"\x7f", b"\x85", b"\xc2\x85"])) + data[at:]
    if kind == "duplicate key":
        return data.replace(b"{", b'{"products": 1, ', 1)
    return data.replace(b"    ", b"\t")


@st.composite
def mutated_files(draw: st.DrawFn, bases: Sequence[bytes]) -> bytes:
    """A file made from one of ``bases`` (JSON association files): 0-3 changes to its
    decoded value, serialized as JSON (indented, tabs, compact) or YAML (block, flow),
    then 0-2 changes to its bytes. About half are still valid."""
    doc = json.loads(draw(st.sampled_from(bases)))
    raws: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        doc = draw(_structural(doc, raws))
    how = draw(st.sampled_from(["json", "json", "json tabs", "json compact", "yaml", "yaml flow"]))
    data = _with_raws(_serialized(doc, how), raws).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        data = draw(_textual(data))
    return data


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_strict_valid_implies_valid(data: st.DataObject) -> None:
    file = data.draw(mutated_files(example_files()))
    is_yaml = data.draw(st.booleans())
    if isinstance(check_strict(file, is_yaml=is_yaml), Level3File):
        assert check(file) is None


NOT_READ = object()


def _reading(data: bytes) -> object:
    """``check``'s JSON reading of a file's bytes (its text, or why there is none)."""
    text = _text(data)
    return text if isinstance(text, _Failed) else _json_reading(data, text, bounded=False)


def _python_reading(data: bytes) -> object:
    """What a pipeline's ``json.load`` makes of the bytes (:data:`NOT_READ` when it fails)."""
    try:
        text = data.decode("utf-8")
        return json.loads(text.replace("\r\n", "\n").replace("\r", "\n"))
    except (ValueError, RecursionError):
        return NOT_READ


JSON_BYTES = st.one_of(
    st.binary(max_size=40),
    st.lists(st.sampled_from(['{', '}', '[', ']', ',', ':', ' ', '\t', '\r', '\n', '"', '"a"', '\\', '\\u', 'd800',
                              '1', '0', '-', '.', 'e', 'E', '+', 'NaN', 'Infinity', 'null', 'true', '\x00', '\x1f',
                              '\x7f', 'é', '\ufeff', '\u2028', '1' * 30]), max_size=20).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
)


@settings(max_examples=1500, deadline=None)
@given(JSON_BYTES)
def test_the_json_reading_is_pythons(data: bytes) -> None:
    """msgspec reads first; whatever it accepts, Python's ``json`` reads as the same value."""
    mine, python = _reading(data), _python_reading(data)
    assert isinstance(mine, _Failed) if python is NOT_READ else repr(mine) == repr(python)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_json_reading_of_mutated_files_is_pythons(data: st.DataObject) -> None:
    file = data.draw(mutated_files(example_files()))
    python = _python_reading(file)
    mine = _reading(file)
    assert isinstance(mine, _Failed) if python is NOT_READ else repr(mine) == repr(python)


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_yaml_reads_json_alike_but_for_floats(data: st.DataObject) -> None:
    """Why ``check`` may skip the YAML reading: a JSON reading that fails the schema for
    a value other than a float, YAML's reading of the same text fails too."""
    file = data.draw(mutated_files(example_files()))
    reading = _reading(file)
    problem = None if isinstance(reading, _Failed) else _schema_problem(reading)
    if problem is not None and "got `float`" not in problem:
        text = _text(file)  # (text: the JSON reading read it)
        assert isinstance(text, str)
        yaml_reading = _yaml_reading(text)
        assert isinstance(yaml_reading, _Failed) or _schema_problem(yaml_reading) is not None


# --- files and the command line --------------------------------------------------------------


def test_missing_file_is_status_2_before_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{")
    assert tool(["validate", str(bad), str(tmp_path / "none.json")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"asnfp: error: {tmp_path / 'none.json'}: cannot read (No such file or directory)\n"


def test_help_does_not_claim_a_known_asn_type_is_a_schema_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        tool(["validate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    schema = text[text.index("reference's association schema"):text.index("--strict")]
    assert "known" not in schema and "--strict" in text and "an asn_type asnfp or the reference writes" in text
