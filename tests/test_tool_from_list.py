"""``asnfp from-list``: the association of a list of files, as ``asn_from_list`` writes it.

The differential test runs the reference when ``ASNFP_REFERENCE`` names a Python with jwst
(e.g. ``ASNFP_REFERENCE=/tmp/refvenv/bin/python``) and compares the files byte for byte,
``code_version`` and ``constraints`` aside.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import msgspec
import pytest
import yaml

from asnfp.errors import AsnfpError
from asnfp.from_list import LEVEL2B, LEVEL3, add_parser, encode, from_list, product_name_of, run

EXCLUDED = ("code_version", "constraints")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="asnfp")
    add_parser(parser.add_subparsers(dest="name", required=True))
    return parser.parse_args(["from-list", *argv])


def _ours(out: Path, argv: list[str]) -> int:
    return run(_parse(["-o", str(out), *argv]))


# --- the function ------------------------------------------------------------------------

def test_level3_one_product_of_science_members() -> None:
    f = from_list(["a_uncal.fits", "d/b_rate.fits"], product_name="P")
    assert (f.asn_type, f.asn_rule, f.asn_id, f.program, f.target, f.asn_pool, f.version_id) == (
        "None", LEVEL3, "a3001", "noprogram", "none", "none", None)
    assert [p.name for p in f.products] == ["P"]
    members = msgspec.to_builtins(f.products[0].members)
    assert members == [{"expname": "a_uncal.fits", "exptype": "science"},
                       {"expname": "d/b_rate.fits", "exptype": "science"}]


def test_level3_ignores_the_id() -> None:
    assert from_list(["a.fits"], product_name="P", acid="x1") == from_list(["a.fits"], product_name="P")


def test_level2b_one_product_per_file_and_no_target() -> None:
    f = from_list(["a_uncal.fits", "d/b_rate.fits", "c.fits", "./e-cal.fits"], rule=LEVEL2B)
    assert [p.name for p in f.products] == ["a", "d/b", "c", "e"]
    assert all(len(p.members) == 1 for p in f.products)
    data = json.loads(encode(f))
    assert "target" not in data and data["asn_id"] == "a3001" and data["asn_rule"] == LEVEL2B
    assert list(data) == ["asn_type", "asn_rule", "version_id", "code_version", "degraded_status",
                          "program", "constraints", "asn_id", "asn_pool", "products"]


def test_level2b_id_is_checked_but_not_written() -> None:
    assert from_list(["a.fits"], rule=LEVEL2B, acid="o123") == from_list(["a.fits"], rule=LEVEL2B)


def test_product_names_strip_one_suffix_and_the_extension() -> None:
    assert product_name_of("jw1_01101_00001_nrca1_uncal.fits") == "jw1_01101_00001_nrca1"
    assert product_name_of("/abs/dir/x_cal.fits") == "/abs/dir/x"
    assert product_name_of("x_notasuffix.fits") == "x_notasuffix"


def test_json_layout_and_yaml_sorted() -> None:
    f = from_list(["a.fits"], product_name="P")
    text = encode(f)
    assert text.startswith(b'{\n    "asn_type": "None",') and text.endswith(b"}")
    assert b"exposerr" not in text and b"asn_candidate" not in text
    doc = encode(f, "yaml")
    assert doc.endswith(b"\n") and list(yaml.safe_load(doc)) == sorted(yaml.safe_load(doc))


def test_run_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "x.yaml"
    assert _ours(out, ["-f", "yaml", "--product-name", "P", "a.fits"]) == 0
    assert yaml.safe_load(out.read_bytes())["products"][0]["name"] == "P"


# --- bad input: one line, nothing written -------------------------------------------------

BAD = [
    (["--product-name", "P"], "no files given"),
    (["a.fits"], "DMS_Level3_Base needs a product name (--product-name)"),
    (["-r", LEVEL2B, "-i", "c1000", "a.fits"],
     "-i c1000: a background ('c') candidate makes a Level-2b association invalid "
     "(asn_from_list writes an empty file); use an observation id oNNN"),
    (["-r", LEVEL2B, "-i", "x1", "a.fits"],
     "-i x1: invalid association id (must be an observation id oNNN)"),
    (["-r", "Nope", "a.fits"], "unknown rule 'Nope' (use DMS_Level3_Base or DMSLevel2bBase)"),
    (["-r", "Asn_Lv3Image", "--product-name", "P", "a.fits"],
     "rule 'Asn_Lv3Image' is a pool rule, not supported by from-list (asn_from_list writes it "
     "as its base class); use DMS_Level3_Base or DMSLevel2bBase"),
    (["-f", "xml", "--product-name", "P", "a.fits"], "unknown format 'xml' (use json or yaml)"),
    (["--ruledefs", "r.py", "--product-name", "P", "a.fits"],
     "--ruledefs is not supported (from-list knows only the base rules "
     "DMS_Level3_Base or DMSLevel2bBase)"),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_one_line_and_no_file(tmp_path: Path, argv: list[str], message: str) -> None:
    out = tmp_path / "out.json"
    if "a.fits" not in argv:  # argparse itself refuses an empty file list; the function too
        with pytest.raises(AsnfpError) as caught:
            from_list([], product_name="P")
    else:
        with pytest.raises(AsnfpError) as caught:
            _ours(out, argv)
    assert str(caught.value) == message and "\n" not in message
    assert not out.exists()


def test_empty_file_list_is_a_usage_error_of_the_parser() -> None:
    with pytest.raises(SystemExit) as caught:
        _parse(["-o", "x.json"])
    assert caught.value.code == 2


def test_unwritable_output_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AsnfpError, match="cannot write") as caught:
        _ours(tmp_path / "missing" / "x.json", ["--product-name", "P", "a.fits"])
    assert "\n" not in str(caught.value)


# --- differential: the reference, when available ------------------------------------------

REFERENCE = os.environ.get("ASNFP_REFERENCE")
_MAIN = "import sys; from jwst.associations.asn_from_list import main; main(sys.argv[1:])"

FILES = ["jw01_uncal.fits", "sub/dir/jw02_rate.fits", "plain.fits", "/abs/jw03_cal.fits",
         "jw04-rate.fits", "./jw05_rate.fits", "x_notasuffix.fits"]
CASES = [
    (["--product-name", "mosaic"], "json"),
    (["--product-name", "mosaic"], "yaml"),
    (["--product-name", "mosaic", "-i", "o123"], "json"),
    (["-r", LEVEL2B], "json"),
    (["-r", LEVEL2B], "yaml"),
    (["-r", LEVEL2B, "-i", "o123"], "json"),
    (["-r", LEVEL2B, "--id", "o001"], "yaml"),
]


def _without_excluded_lines(data: bytes) -> list[bytes]:
    keys = tuple(f'    "{k}": '.encode() for k in EXCLUDED)
    return [line for line in data.split(b"\n") if not line.startswith(keys)]


def _without_excluded_keys(data: bytes) -> dict[str, object]:
    doc = yaml.safe_load(data)
    return {k: v for k, v in doc.items() if k not in EXCLUDED}


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@pytest.mark.parametrize(("argv", "fmt"), CASES)
@pytest.mark.parametrize("files", [FILES, FILES[:1], FILES[1:3]], ids=["all", "one", "dirs"])
def test_same_file_as_the_reference(tmp_path: Path, argv: list[str], fmt: str,
                                    files: list[str]) -> None:
    theirs, ours = tmp_path / f"ref.{fmt}", tmp_path / f"ours.{fmt}"
    full = [*argv, "-f", fmt, *files]
    done = subprocess.run([str(REFERENCE), "-c", _MAIN, "-o", str(theirs), *full],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert _ours(ours, full) == 0
    if fmt == "json":
        assert _without_excluded_lines(ours.read_bytes()) == _without_excluded_lines(theirs.read_bytes())
        assert ours.read_bytes().endswith(b"}") and theirs.read_bytes().endswith(b"}")
    else:
        assert _without_excluded_keys(ours.read_bytes()) == _without_excluded_keys(theirs.read_bytes())
        keys = tuple(f"{k}: ".encode() for k in EXCLUDED)  # one line each here: bytes agree too
        assert ([ln for ln in ours.read_bytes().split(b"\n") if not ln.startswith(keys)]
                == [ln for ln in theirs.read_bytes().split(b"\n") if not ln.startswith(keys)])


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@pytest.mark.parametrize("argv", [BAD[1][0], BAD[2][0], BAD[3][0], BAD[4][0], BAD[6][0]])
def test_reference_also_refuses(tmp_path: Path, argv: list[str]) -> None:
    """Where we refuse, the reference fails too (non-zero; it may leave an empty file)."""
    out = tmp_path / "ref.json"
    done = subprocess.run([str(REFERENCE), "-c", _MAIN, "-o", str(out), *argv],
                          capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert not out.exists() or out.read_bytes() == b""

