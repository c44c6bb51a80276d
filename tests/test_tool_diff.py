"""``asnfp diff``: each kind of difference on association files made from the example pool and
then modified, folders, one-line errors, and (with ``ASNFP_REFERENCE`` naming a Python that has
jwst) the same verdict and kinds as the reference's ``compare_asn_files``."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from asnfp import api
from asnfp.cli import main as cli_main
from asnfp.tools import diff

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
REFERENCE = os.environ.get("ASNFP_REFERENCE")
IMAGE3 = "jw01234-o001_image3_00002_asn.json"  # one product, 6 members


def tool(argv: list[str]) -> int:
    """Run an ``asnfp`` sub-command as the command line does (one line, exit 2 on bad input)."""
    return cli_main(argv)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    asns = api.associations(api.read_pool(str(POOL)))
    return dict(api.to_bytes(a) for a in asns)


@pytest.fixture(scope="module")
def base(files) -> dict:
    return json.loads(files[IMAGE3])


def _members(d: dict) -> list[dict]:
    return d["products"][0]["members"]


def remove_member(d):      _members(d).pop()
def change_exptype(d):     _members(d)[0]["exptype"] = "background"
def rename_product(d):     d["products"][0]["name"] += "x"
def duplicate_member(d):   _members(d).append(dict(_members(d)[0]))
def change_type(d):        d["asn_type"] = "coron3"
def change_level(d):       d["asn_id"] = "c1000"
def rate_suffix(d):        _members(d)[0]["expname"] = _members(d)[0]["expname"].replace("_cal", "_rate")
def duplicate_product(d):  d["products"].append(copy.deepcopy(d["products"][0]))


def subset_product(d):
    d["products"].append(copy.deepcopy(d["products"][0]))
    d["products"][1]["members"].pop()


def nothing(d): pass


# (change to the right file, strict_expname, the kinds asnfp reports)
CASES: dict[str, tuple[Callable[[dict], None], bool, set[str]]] = {
    "equal": (nothing, False, set()),
    "member removed": (remove_member, False, {"member-length", "unaccounted-members", "subset"}),
    "exptype changed": (change_exptype, False, {"member-mismatch"}),
    "product renamed": (rename_product, False, {"different-products"}),
    "member duplicated": (duplicate_member, False, {"duplicate-members", "member-length", "unaccounted-members"}),
    "asn_type changed": (change_type, False, {"type-mismatch"}),
    "candidate level changed": (change_level, False, {"candidate-level"}),
    "suffix changed": (rate_suffix, False, set()),
    "suffix changed, strict": (rate_suffix, True, {"unaccounted-members"}),
    "duplicate product": (duplicate_product, False, {"duplicate-product"}),
    "duplicate product, subset": (subset_product, False, {"member-length", "unaccounted-members", "subset"}),
}


def _pair(tmp_path: Path, base: dict, change: Callable[[dict], None]) -> tuple[Path, Path]:
    right = copy.deepcopy(base)
    change(right)
    a, b = tmp_path / "a_asn.json", tmp_path / "b_asn.json"
    a.write_text(json.dumps(base, indent=4))
    b.write_text(json.dumps(right, indent=4))
    return a, b


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_difference(case, base, tmp_path, capsys):
    change, strict, kinds = CASES[case]
    a, b = _pair(tmp_path, base, change)
    status = tool(["diff", str(a), str(b), *(["--strict-expname"] if strict else [])])
    lines = capsys.readouterr().out.splitlines()
    assert status == (1 if kinds else 0)
    assert {line.split(":", 1)[0] for line in lines} == kinds
    assert all(line.split(":", 1)[0] in diff.KINDS for line in lines)


def test_messages_name_what_differs(base, tmp_path, capsys):
    a, b = _pair(tmp_path, base, change_exptype)
    tool(["diff", str(a), str(b)])
    name = _members(base)[0]["expname"]
    assert capsys.readouterr().out == (f"member-mismatch: product {base['products'][0]['name']}: {name} is science "
                                       f"in left, {name} is background in right\n")
    a, b = _pair(tmp_path, base, rename_product)
    tool(["diff", str(a), str(b)])
    assert "only in right (b_asn.json)" in capsys.readouterr().out


def test_top_level_checks_stop_after_first_differing_pair(base):
    from asnfp.io import decode_json
    two = copy.deepcopy(base)
    two["products"].append({**copy.deepcopy(base["products"][0]), "name": "zz"})
    other = copy.deepcopy(two)
    other["asn_type"] = "coron3"
    got = diff.diff_files([("a", decode_json(json.dumps(two)))], [("b", decode_json(json.dumps(other)))])
    assert [d.kind for d in got] == ["type-mismatch"]  # reported once, for the first product only


def test_folders_pair_products_across_files(files, tmp_path, capsys):
    left, right = tmp_path / "l", tmp_path / "r"
    left.mkdir(), right.mkdir()
    for name, data in files.items():
        (left / name).write_bytes(data)
        (right / name).write_bytes(data)
    # a file holding two products on the left matches two single-product files on the right
    one, two = (json.loads(files[n]) for n in ("jw01234-o001_image3_00001_asn.json", IMAGE3))
    (left / IMAGE3).unlink()
    (left / "jw01234-o001_image3_00001_asn.json").write_text(
        json.dumps({**one, "products": one["products"] + two["products"]}))
    assert tool(["diff", str(left), str(right)]) == 0
    (right / "jw01234-o002_image2_00001_asn.json").unlink()
    assert tool(["diff", str(left), str(right)]) == 1
    assert capsys.readouterr().out == ("different-products: product jw01234002001_02102_00004_mirimage only in "
                                       "left (jw01234-o002_image2_00001_asn.json)\n")


@pytest.mark.parametrize("setup, message", [
    (lambda d: (d / "missing.json", d / "a.json"), "missing.json: no such file or folder"),
    (lambda d: (d / "bad.json", d / "a.json"), "bad.json: invalid association: not JSON"),
    (lambda d: (d / "noprod.json", d / "a.json"),
     "noprod.json: invalid association: Object missing required field `products`"),
    (lambda d: (d, d / "a.json"), "compare two files or two folders, not one of each"),
])
def test_bad_input_is_one_line_and_status_2(setup, message, files, tmp_path, capsys):
    (tmp_path / "a.json").write_bytes(files[IMAGE3])
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "noprod.json").write_text('{"asn_type": "image3", "asn_rule": "R"}')
    left, right = setup(tmp_path)
    assert tool(["diff", str(left), str(right)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


# --- against the reference ---------------------------------------------------------------------

_REFERENCE_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
from jwst.associations.lib.diff import compare_asn_files, MultiDiffError
try:
    compare_asn_files([sys.argv[1]], [sys.argv[2]], strict_expname=sys.argv[3] == "1")
except MultiDiffError as err:
    print(json.dumps(sorted({type(e).__name__ for e in err})))
else:
    print("[]")
"""


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@pytest.mark.parametrize("case", CASES)
def test_same_verdict_and_kinds_as_the_reference(case, base, tmp_path):
    change, strict, _ = CASES[case]
    a, b = _pair(tmp_path, base, change)
    done = subprocess.run([REFERENCE, "-c", _REFERENCE_SCRIPT, str(a), str(b), "1" if strict else "0"],
                          capture_output=True, text=True, check=True)
    reference = set(json.loads(done.stdout.splitlines()[-1]))
    ours = {diff.KINDS[d.kind] for d in diff.diff_files(
        [(a.name, diff.read_side(a)[0][1])], [(b.name, diff.read_side(b)[0][1])], strict)}
    assert ours == reference
