"""``asnfp edit``: the pure edits, the one-line errors, and (with ``ASNFP_REFERENCE`` naming a
Python that has jwst) the same bytes as ``asn_edit`` on the same inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from asnfp.cli import main as cli_main

from asnfp import edit
from asnfp.cli import main as asnfp_main

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
REFERENCE = os.environ.get("ASNFP_REFERENCE")
IMAGE3 = "jw01234-o001_image3_00001_asn.json"
IMAGE2 = "jw01234-o001_image2_00001_asn.json"
CAL = "jw01234001001_02101_0000{}_nrcalong_cal.fits"


def tool(argv: list[str]) -> int:
    """Run an ``asnfp`` sub-command as the command line does (one line, exit 2 on bad input)."""
    return cli_main(argv)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    assert asnfp_main(["generate", str(POOL), "-p", str(out)]) == 0
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
    return subprocess.run([REFERENCE, "-c", code, *argv], cwd=cwd, capture_output=True, text=True)


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
