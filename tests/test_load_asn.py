"""``io.load_asn`` reads an association file as the reference's ``load_asn`` does (its
text as JSON, else YAML) from a path, a file object, bytes or a string, and gives the
``dict`` of the file as written, read-only, with typed attributes (issue 23, item 2).

Laws: every file the reference wrote in the conformance cases loads as ``json.load`` (or
``yaml.safe_load``) reads it, from every kind of source, and encodes back to its bytes;
drawn association documents load as ``json.loads`` / ``yaml.safe_load`` read them; the
files ``asnfp generate`` writes index as the associations they were written from."""

from __future__ import annotations

import io
import json
import math
import os
import pickle
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from asnfp.api import associations, read_pool, to_bytes
from asnfp.association import Association
from asnfp.cli import main
from asnfp.errors import AsnfpError
from asnfp.io import Level3File, LoadedAsn, dumps_json, load_asn

EXAMPLE_POOL = Path(__file__).resolve().parents[1] / "examples" / "jw01234_imaging_pool.csv"

#: The documented line, on whatever indexes as an association file.
def first_expname(asn: Any) -> object:
    return asn["products"][0]["members"][0]["expname"]


def has_a_member(d: dict[str, Any]) -> bool:
    return bool(d["products"]) and bool(d["products"][0]["members"])


class Unseekable:
    """A stream: it reads, it cannot seek."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._stream.read(size)


def every_source(path: Path) -> list[object]:
    """The sources ``load_asn`` reads the same file from (file objects at their end: they
    are read from their start, as the reference reads them)."""
    data = path.read_bytes()
    binary, text = io.BytesIO(data), io.StringIO(data.decode("utf-8"))
    binary.read(), text.read()
    return [path, str(path), data, bytearray(data), data.decode("utf-8") + "\n", binary, text, Unseekable(data)]


# --- the reference's files ------------------------------------------------------------------------


def reference_files(conformance_dir: Path) -> list[Path]:
    return sorted(p for p in conformance_dir.glob("cases/*/expected/*") if p.suffix in (".json", ".yaml"))


def test_every_reference_file_loads_as_json_load_reads_it(conformance_dir: Path) -> None:
    checked = indexed = 0
    for path in reference_files(conformance_dir):
        with path.open(encoding="utf-8") as fh:
            expected = json.load(fh) if path.suffix == ".json" else yaml.safe_load(fh)
        asn = load_asn(path)
        assert dict(asn) == expected and list(asn) == list(expected), path
        assert asn == expected and isinstance(asn.file, Level3File), path
        assert (asn.asn_type, asn.asn_id, [p.name for p in asn.products]) == (
            expected["asn_type"], expected["asn_id"], [p["name"] for p in expected["products"]]), path
        if has_a_member(expected):
            assert first_expname(asn) == first_expname(expected), path
            indexed += 1
        if path.suffix == ".json":
            assert dumps_json(asn) == path.read_bytes(), path  # as it was written, code_version and all
        checked += 1
    yaml_files = sum(p.suffix == ".yaml" for p in reference_files(conformance_dir))
    assert checked > 1700 and indexed > 1700 and yaml_files >= 10


def test_every_kind_of_source_reads_the_same(conformance_dir: Path) -> None:
    paths = reference_files(conformance_dir)
    sample = paths[:: max(1, len(paths) // 150)] + [p for p in paths if p.suffix == ".yaml"]
    for path in sample:
        expected = dict(load_asn(path))
        for source in every_source(path):
            assert dict(load_asn(source)) == expected, (path, type(source))  # type: ignore[arg-type]
    assert len(sample) > 150


# --- files asnfp generate writes ------------------------------------------------------------------


def test_files_asnfp_generate_writes_index_as_their_associations(tmp_path: Path) -> None:
    assert main(["generate", str(EXAMPLE_POOL), "-p", str(tmp_path)]) == 0
    made = {name: asn for asn in associations(read_pool(EXAMPLE_POOL)) for name in [to_bytes(asn)[0]]}
    written = sorted(tmp_path.glob("*_asn.json"))
    assert written and {p.name for p in written} == set(made)
    for path in written:
        with path.open() as fh:
            expected = json.load(fh)
        asn = load_asn(path)
        assert dict(asn) == expected and list(asn) == list(expected)
        assert dict(made[path.name]) == expected and list(made[path.name]) == list(expected)
        assert first_expname(asn) == first_expname(made[path.name]) == first_expname(expected)
        assert asn["asn_type"] == made[path.name]["asn_type"] == asn.asn_type


# --- drawn documents ------------------------------------------------------------------------------


def texts(surrogates: bool = False) -> st.SearchStrategy[str]:
    blacklist: tuple[str, ...] = () if surrogates else ("Cs",)
    return st.text(st.characters(blacklist_categories=blacklist), max_size=12)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts(), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def association_documents(draw: Any, surrogates: bool = False) -> dict[str, object]:
    """An association file's value: the typed fields (those that may be absent now and
    then), unknown keys, products of members that may carry ``exposerr``,
    ``asn_candidate`` and keys of their own."""
    text = texts(surrogates)
    doc: dict[str, object] = {"asn_type": draw(text), "asn_rule": draw(text)}
    for key in ("version_id", "code_version", "degraded_status", "program", "constraints", "asn_id", "target",
                "asn_pool"):
        if draw(st.booleans()):
            doc[key] = draw(st.none() | text) if key == "version_id" else draw(text)
    for key in draw(st.lists(st.text("abcxyz_", min_size=1, max_size=6), max_size=2)):
        doc[f"x_{key}"] = draw(json_values)

    def member() -> dict[str, object]:
        m: dict[str, object] = {"expname": draw(text), "exptype": draw(text)}
        if draw(st.booleans()):
            m["exposerr"] = draw(st.none() | text)
        if draw(st.booleans()):
            m["asn_candidate"] = draw(text)
        if draw(st.integers(0, 4)) == 0:
            m["x_extra"] = draw(json_values)
        return m

    doc["products"] = [{"name": draw(text), "members": [member() for _ in range(draw(st.integers(0, 3)))]}
                       for _ in range(draw(st.integers(0, 3)))]
    return doc


@settings(max_examples=200, deadline=None)
@given(association_documents(surrogates=True), st.sampled_from([None, 0, 4]))
def test_json_loads_and_load_asn_read_a_document_alike(doc: dict[str, object], indent: int | None) -> None:
    text = json.dumps(doc, indent=indent)  # ASCII escapes: lone surrogates are \\udxxx, Python's json reads them
    for source in (text.encode("ascii"), text, io.BytesIO(text.encode("ascii")), io.StringIO(text)):
        asn = load_asn(source)  # type: ignore[arg-type]
        assert dict(asn) == doc and list(asn) == list(doc) and asn == doc
    assert load_asn(text)["products"] == doc["products"]


@settings(max_examples=100, deadline=None)
@given(association_documents(), st.booleans())
def test_utf8_json_reads_alike(doc: dict[str, object], ascii_only: bool) -> None:
    data = json.dumps(doc, ensure_ascii=ascii_only, indent=1).encode("utf-8")
    assert dict(load_asn(data)) == doc == json.loads(data)


@settings(max_examples=60, deadline=None)
@given(association_documents(), st.booleans())
def test_yaml_loads_as_safe_load_reads_it(doc: dict[str, object], flow: bool) -> None:
    data = yaml.dump(doc, default_flow_style=flow, allow_unicode=True).encode("utf-8")
    expected = yaml.safe_load(data)
    asn = load_asn(data)
    assert dict(asn) == expected and list(asn) == list(expected)


# --- JSON first, then YAML, as the reference decides -----------------------------------------------

ASN = '{"asn_type": "image2", "asn_rule": "R", "products": [{"name": "p", "members": []}]}'


@pytest.mark.parametrize("name", ["a.json", "a.yaml", "a.yml", "a.txt", "a"])
def test_the_content_decides_not_the_name(tmp_path: Path, name: str) -> None:
    json_doc = ASN.replace('"R"', '"R", "x": NaN')  # JSON that YAML would read otherwise
    yaml_doc = "asn_type: image2\nasn_rule: R\nproducts: [{name: p, members: []}]\n"
    path = tmp_path / name
    path.write_text(json_doc)
    assert math.isnan(load_asn(path)["x"])  # type: ignore[arg-type]
    path.write_text(yaml_doc)
    assert dict(load_asn(path)) == yaml.safe_load(yaml_doc)


@pytest.mark.parametrize(("doc", "expected"), [
    # each as jwst 3.0.0's load_asn reads it (a file opened as text), checked by hand
    (ASN.replace("]}]}", "]},]}"), {"asn_type": "image2", "asn_rule": "R", "products": [{"name": "p", "members": []}]}),
    ("\ufeff" + ASN, json.loads(ASN)),  # a BOM: Python's json refuses it, YAML skips it
    ('{"asn_type": 1e5, "asn_rule": "R", "products": []}', {"asn_type": "1e5", "asn_rule": "R", "products": []}),
    ('{"asn_type": "a", "asn_type": "b", "asn_rule": "R", "products": []}', {"asn_type": "b", "asn_rule": "R",
                                                                              "products": []}),
    ("asn_type: a\r\nasn_rule: R\rproducts: []\r\n", {"asn_type": "a", "asn_rule": "R", "products": []}),
])
def test_documents_read_as_the_reference_reads_them(doc: str, expected: dict[str, object]) -> None:
    assert dict(load_asn(doc.encode("utf-8"))) == expected


# --- sources --------------------------------------------------------------------------------------


def test_a_str_is_a_document_when_it_holds_a_line_break_or_starts_with_a_brace(tmp_path: Path) -> None:
    assert load_asn(" \n" + ASN)["asn_rule"] == "R" and load_asn(ASN)["asn_rule"] == "R"
    assert load_asn("asn_type: a\nasn_rule: R\nproducts: []")["asn_type"] == "a"
    (tmp_path / "products: []").write_text(ASN)  # a one-line str is a path
    assert load_asn(str(tmp_path / "products: []"))["asn_type"] == "image2"
    with pytest.raises(AsnfpError, match=r"^products: \[\]: cannot read \(No such file or directory\)$"):
        load_asn("products: []")


def test_a_file_object_is_read_from_its_start_and_named_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "a_asn.json"
    path.write_text(ASN)
    with path.open() as fh:
        fh.read(5)
        assert load_asn(fh) == json.loads(ASN)
    path.write_text(ASN[:-1])
    with path.open("rb") as fh, pytest.raises(AsnfpError, match=r"a_asn\.json: not an association file \(not JSON"):
        load_asn(fh)
    with pytest.raises(AsnfpError, match=r"^<Unseekable>: not an association file"):
        load_asn(Unseekable(b"[]"))


def test_what_cannot_be_read_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^load_asn reads a path, a file object, bytes or a str, not int$"):
        load_asn(1)  # type: ignore[arg-type]


def test_a_file_object_is_read_within_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASNFP_MAX_ASN_BYTES", "20")
    with pytest.raises(AsnfpError, match=r"more bytes than the 20-byte bound .* ASNFP_MAX_ASN_BYTES"):
        load_asn(io.BytesIO(ASN.encode()))


@pytest.mark.parametrize(("source", "message"), [
    (b"\xff" + ASN.encode(), r"^<bytes>: not an association file \(not UTF-8 text \(invalid start byte at byte 0\)\)$"),
    (b"hello", r"^<bytes>: not an association file \(Expected `object`, got `str` \(read as YAML; not JSON"),
    (b'{"products": [', r"^<bytes>: not an association file \(not JSON \(.*\) nor YAML \(.*\)\)$"),
    (b'{"asn_type": "a", "products": []}', r"Object missing required field `asn_rule`\)$"),
    (b'{"asn_type": "a", "asn_rule": "R"}', r"Object missing required field `products`\)$"),
    (b'{"asn_type": "a", "asn_rule": "R", "products": [{"name": "p", "members": ["a_cal.fits"]}]}',
     r"Expected `object`, got `str` - at `\$.products\[0\].members\[0\]`\)$"),
    (b'{"asn_type": "a", "asn_rule": "R", "target": 1e5, "products": []}',  # the reference takes it
     r"Expected `str`, got `float` - at `\$.target`\)$"),
    (b'asn_type: a\nasn_rule: r\n"\\ud800": 1\nproducts: []\n', r"a key holds a lone surrogate, which is not text\)$"),
    (b"[" * 100 + b"]" * 100, r"nests deeper than 64 levels"),
    ('{"asn_type": 1}', r"^<string>: not an association file \(Expected `str`, got `int` - at `\$.asn_type`\)$"),
    ("/dev/null", r"^/dev/null: is a character device, not an association file$"),
    ("/", r"^/: is a folder, not an association file$"),
])
def test_what_is_not_an_association_is_one_line(source: str | bytes, message: str) -> None:
    with pytest.raises(AsnfpError, match=message) as caught:
        load_asn(source)
    assert "\n" not in str(caught.value)


# --- what load_asn gives --------------------------------------------------------------------------


def test_a_loaded_file_is_a_read_only_value() -> None:
    doc = json.loads(ASN.replace('"R"', '"R", "x": {"y": [1, 2]}'))
    asn = load_asn(json.dumps(doc))
    asn["products"][0]["members"].append("junk")  # type: ignore[index]
    asn["x"]["y"].clear()  # type: ignore[index]
    assert dict(asn) == doc
    assert pickle.loads(pickle.dumps(asn)) == asn == doc
    assert asn == load_asn(json.dumps(doc)) and asn != {**doc, "x": 1} and asn != [doc]
    with pytest.raises(TypeError):
        hash(asn)
    with pytest.raises(TypeError):
        asn["x"] = 1  # type: ignore[index]
    assert repr(asn).startswith("LoadedAsn({'asn_type': 'image2'")
    assert isinstance(asn, LoadedAsn) and asn.target == "none" and "target" not in asn  # typed: its default


def test_a_loaded_file_never_equals_a_generated_association() -> None:
    """A generated association is a value of its own fields (rule, bindings, ...): it
    equals no mapping. Compare ``dict(asn)``."""
    asn = associations(read_pool(EXAMPLE_POOL))[0]
    loaded = load_asn(to_bytes(asn)[1])
    assert isinstance(asn, Association) and dict(loaded) == dict(asn)
    assert loaded != asn and asn != loaded and asn != dict(asn)


def test_existing_callers_keep_their_typed_attributes(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("asn_type: image3\nasn_rule: R\nasn_id: o001\nproducts:\n"
                    "- name: p\n  members:\n  - &m {expname: a_cal.fits, exptype: science}\n"
                    "- name: q\n  members: [*m]\n")
    asn = load_asn(os.fspath(path))
    assert [p.members[0].expname for p in asn.products] == ["a_cal.fits", "a_cal.fits"]
    assert asn.file == msgspec.convert(yaml.safe_load(path.read_text()), Level3File)
