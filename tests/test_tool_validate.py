"""``asnfp validate``: generated files (JSON and YAML) pass; each kind of broken file gives one
line naming the file and the field; a missing file is a one-line error with status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asnfp.cli import main as cli_main

from asnfp import api

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
IMAGE3 = "jw01234-o001_image3_00002_asn.json"


def tool(argv: list[str]) -> int:
    """Run an ``asnfp`` sub-command as the command line does (one line, exit 2 on bad input)."""
    return cli_main(argv)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    for asn in api.associations(api.read_pool(str(POOL))):
        for fmt in ("json", "yaml"):
            name, data = api.to_bytes(asn, fmt)
            (out / name).write_bytes(data)
    return out


def test_generated_files_are_valid(generated, capsys):
    paths = sorted(str(p) for p in generated.iterdir())
    assert len(paths) == 42
    assert tool(["validate", *paths]) == 0
    assert capsys.readouterr().out == ""


def _broken(data: dict, change) -> dict:
    data = json.loads(json.dumps(data))
    change(data)
    return data


BROKEN = {
    "no products": (lambda d: d.pop("products"), "missing required field `products`"),
    "member without expname": (lambda d: d["products"][0]["members"][1].pop("expname"),
                               "missing required field `expname` - at `$.products[0].members[1]`"),
    "member without exptype": (lambda d: d["products"][0]["members"][0].pop("exptype"),
                               "missing required field `exptype` - at `$.products[0].members[0]`"),
    "expname not a string": (lambda d: d["products"][0]["members"][2].update(expname=3),
                             "Expected `str`, got `int` - at `$.products[0].members[2].expname`"),
    "exptype null": (lambda d: d["products"][0]["members"][0].update(exptype=None),
                     "Expected `str`, got `null` - at `$.products[0].members[0].exptype`"),
    "product without members": (lambda d: d["products"][0].pop("members"),
                                "missing required field `members` - at `$.products[0]`"),
    "no asn_type": (lambda d: d.pop("asn_type"), "missing required field `asn_type`"),
}


@pytest.mark.parametrize("case", BROKEN)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_each_broken_file_gives_one_line_naming_the_field(case, fmt, generated, tmp_path, capsys):
    change, field = BROKEN[case]
    data = _broken(json.loads((generated / IMAGE3).read_bytes()), change)
    bad = tmp_path / f"bad.{fmt}"
    bad.write_text(json.dumps(data))  # JSON is YAML too
    assert tool(["validate", str(generated / IMAGE3), str(bad)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{bad}: " + (field if field[0].isupper() else
                                                                  "Object " + field)]


@pytest.mark.parametrize("text, start", [("{", "not JSON"), ("[1]", "Expected `object`, got `array`")])
def test_not_an_association_object(text, start, tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text(text)
    assert tool(["validate", str(bad)]) == 2
    out = capsys.readouterr().err
    assert out.startswith(f"{bad}: {start}") and out.count("\n") == 1


def test_bad_yaml(tmp_path, capsys):
    bad = tmp_path / "x.yaml"
    bad.write_text("products: [\n")
    assert tool(["validate", str(bad)]) == 2
    out = capsys.readouterr().err
    assert out.startswith(f"{bad}: not YAML") and out.count("\n") == 1


def test_missing_file_is_status_2_before_any_output(generated, tmp_path, capsys):
    bad = tmp_path / "broken.json"
    bad.write_text("{")
    assert tool(["validate", str(bad), str(tmp_path / "none.json")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"asnfp: error: {tmp_path / 'none.json'}: cannot read (No such file or directory)\n"


def test_an_unknown_asn_type_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad_asn.json"
    bad.write_text('{"asn_type": "bogus", "asn_rule": "R", "products": [{"name": "p", "members": []}]}')
    assert tool(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"{bad}: asn_type 'bogus'")
