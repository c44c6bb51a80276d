"""``asnfp gather``: the plan, the one-line errors (nothing left in DEST), and (with
``ASNFP_REFERENCE`` naming a Python that has jwst) the same files as ``asn_gather -c cp``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from asnfp.tools.edit import dumps_object
from asnfp.tools.gather import gather_plan
from tests.test_tool_edit import IMAGE2, IMAGE3, REFERENCE, generated, tool  # noqa: F401 (fixture)

MIXED = {"asn_type": "image3", "asn_rule": "R", "code_version": "9", "asn_id": "o001", "extra": [1],
         "products": [
             {"name": "p1", "kind": "x", "members": [
                 {"expname": "a_cal.fits", "exptype": "science", "exposerr": None},
                 {"expname": "b_cal.fits", "exptype": "background"}]},
             {"name": "p2", "members": [{"expname": "c_cal.fits", "exptype": "background"}]}]}


def _members(data: dict) -> list[str]:
    return [m["expname"] for p in data["products"] for m in p["members"]]


# --- the plan ------------------------------------------------------------------------------

def test_plan_puts_the_base_keys_first_and_keeps_the_rest_in_order():
    plan = gather_plan(MIXED, Path("src"))
    assert list(plan.data) == ["asn_type", "asn_rule", "version_id", "code_version", "asn_id", "extra",
                               "products"]
    assert plan.data["version_id"] is None and plan.data["code_version"] == "9"
    assert list(plan.data["products"][0]) == ["name", "members"]  # other product fields dropped
    assert plan.copies == ((Path("src/a_cal.fits"), "a_cal.fits"), (Path("src/b_cal.fits"), "b_cal.fits"),
                           (Path("src/c_cal.fits"), "c_cal.fits"))


def test_plan_filters_types_and_drops_products_left_empty():
    assert _members(gather_plan(MIXED, Path("."), exclude_types=["background"]).data) == ["a_cal.fits"]
    plan = gather_plan(MIXED, Path("."), exp_types=["background"])
    assert [p["name"] for p in plan.data["products"]] == ["p1", "p2"]
    assert _members(plan.data) == ["b_cal.fits", "c_cal.fits"]


def test_plan_rewrites_paths_to_basenames():
    data = {"products": [{"name": "p", "members": [{"expname": "/abs/a.fits", "exptype": "science"},
                                                   {"expname": "../up/b.fits", "exptype": "science"}]}]}
    plan = gather_plan(data, Path("s"))
    assert _members(plan.data) == ["a.fits", "b.fits"]
    assert [src for src, _ in plan.copies] == [Path("/abs/a.fits"), Path("s/../up/b.fits")]


# --- the command ---------------------------------------------------------------------------

def _setup(tmp_path: Path, data: dict = MIXED, skip: str = "") -> tuple[Path, Path]:
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir(parents=True)
    dest.mkdir()
    (src / "a_asn.json").write_bytes(dumps_object(data))
    for name in _members(data):
        if name != skip:
            (src / name).write_text(f"data of {name}")
    return src / "a_asn.json", dest


def test_gather_copies_members_and_the_association(tmp_path):
    asn, dest = _setup(tmp_path)
    assert tool(["gather", str(asn), str(dest), "-x", "science"]) == 0
    assert sorted(os.listdir(dest)) == ["a_asn.json", "b_cal.fits", "c_cal.fits"]
    assert (dest / "b_cal.fits").read_text() == "data of b_cal.fits"
    assert _members(json.loads((dest / "a_asn.json").read_bytes())) == ["b_cal.fits", "c_cal.fits"]


def test_gather_with_a_command_and_a_source_folder(tmp_path):
    asn, dest = _setup(tmp_path)
    other = tmp_path / "other"
    shutil.move(tmp_path / "src", other)
    (tmp_path / "src").mkdir()
    shutil.copy(other / "a_asn.json", asn)
    assert tool(["gather", str(asn), str(dest), "-s", str(other), "-c", "cp -p"]) == 0
    assert sorted(os.listdir(dest)) == ["a_asn.json", "a_cal.fits", "b_cal.fits", "c_cal.fits"]


@pytest.mark.parametrize(("argv", "skip", "message"), [
    (["-t", "science"], "a_cal.fits", "src/a_cal.fits: member file not found"),
    (["-t", "science", "-c", "cp"], "a_cal.fits", "cp failed for "),
    (["-t", "nothing"], "", "no products could be gathered"),
    (["-c", "false"], "", "false failed for "),
])
def test_bad_input_gives_one_line_and_leaves_dest_alone(tmp_path, capsys, argv, skip, message):
    asn, dest = _setup(tmp_path, skip=skip)
    (dest / "keep.txt").write_text("x")
    assert tool(["gather", str(asn), str(dest), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("asnfp: error: ") and message in err
    assert os.listdir(dest) == ["keep.txt"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read (No such file or directory)"),
    (b"{nope", "not JSON ("),
    (b'{"products": [{"name": "p", "members": [{"expname": "a"}]}]}', "a member lacks 'expname' or 'exptype'"),
])
def test_bad_association_gives_one_line(tmp_path, capsys, content, message):
    asn = tmp_path / "a_asn.json"
    if content is not None:
        asn.write_bytes(content)
    assert tool(["gather", str(asn), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_missing_destination_gives_one_line(tmp_path, capsys):
    asn, _ = _setup(tmp_path)
    assert tool(["gather", str(asn), str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == f"asnfp: error: {tmp_path / 'nowhere'}: no such folder\n"
    assert not (tmp_path / "nowhere").exists()


# --- differential: the reference's asn_gather (with -c cp: no rsync here) ------------------

GATHERS = [
    ("mixed_all", "mixed", []),
    ("mixed_exclude", "mixed", ["-x", "science"]),
    ("mixed_types", "mixed", ["-t", "background", "-t", "science"]),
    ("mixed_only_bg", "mixed", ["-t", "background"]),
    ("image3", IMAGE3, []),
    ("image2", IMAGE2, []),
]


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@pytest.mark.parametrize(("case", "source", "flags"), GATHERS, ids=[g[0] for g in GATHERS])
@pytest.mark.parametrize("copier", [[], ["-c", "cp"]], ids=["copy2", "cp"])
def test_same_files_as_asn_gather(generated, tmp_path, case, source, flags, copier):  # noqa: F811
    data = MIXED if source == "mixed" else json.loads((generated / source).read_bytes())
    results = {}
    for side in ("ours", "theirs"):
        asn, dest = _setup(tmp_path / side, data)
        if source != "mixed":
            shutil.copy(generated / source, asn)  # the generated bytes themselves
        if side == "theirs":
            code = "from jwst.scripts.asn_gather import main; main()"
            run = subprocess.run([REFERENCE, "-c", code, str(asn), str(dest), "-c", "cp", *flags],
                                 capture_output=True, text=True)
            assert run.returncode == 0, run.stderr
        else:
            assert tool(["gather", str(asn), str(dest), *copier, *flags]) == 0
        results[side] = {name: (dest / name).read_bytes() for name in sorted(os.listdir(dest))}
    assert results["ours"] == results["theirs"]


# --- nothing lost ---------------------------------------------------------------------------

def test_a_newer_file_in_dest_is_kept_as_rsync_u_keeps_it(tmp_path, capsys):
    asn, dest = _setup(tmp_path)
    (dest / "b_cal.fits").write_text("my newer b")
    os.utime(asn.parent / "b_cal.fits", (1_000_000, 1_000_000))  # the member is older
    (dest / "c_cal.fits").write_text("my older c")
    os.utime(dest / "c_cal.fits", (1_000, 1_000))
    assert tool(["gather", str(asn), str(dest), "-v"]) == 0
    assert (dest / "b_cal.fits").read_text() == "my newer b"
    assert (dest / "c_cal.fits").read_text() == "data of c_cal.fits"
    assert f"asnfp: kept {dest / 'b_cal.fits'} (it is newer than the member)" in capsys.readouterr().err
    assert sorted(os.listdir(dest)) == ["a_asn.json", "a_cal.fits", "b_cal.fits", "c_cal.fits"]


def test_overwrite_replaces_a_newer_file(tmp_path):
    asn, dest = _setup(tmp_path)
    (dest / "b_cal.fits").write_text("my newer b")
    os.utime(asn.parent / "b_cal.fits", (1_000_000, 1_000_000))
    assert tool(["gather", str(asn), str(dest), "--overwrite"]) == 0
    assert (dest / "b_cal.fits").read_text() == "data of b_cal.fits"


def test_two_members_of_one_name_are_refused_before_anything_is_copied(tmp_path, capsys):
    data = {"products": [{"name": "p", "members": [
        {"expname": "one/x_cal.fits", "exptype": "science"},
        {"expname": "two/x_cal.fits", "exptype": "science"}]}]}
    src, dest = tmp_path / "src", tmp_path / "dest"
    for folder in ("one", "two"):
        (src / folder).mkdir(parents=True)
        (src / folder / "x_cal.fits").write_text(folder)
    dest.mkdir()
    asn = src / "a_asn.json"
    asn.write_bytes(dumps_object(data))
    assert tool(["gather", str(asn), str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "one/x_cal.fits and " in err and "two/x_cal.fits have one file name" in err
    assert os.listdir(dest) == []


def test_one_member_in_two_products_is_copied_once(tmp_path):
    data = {"products": [{"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]},
                         {"name": "q", "members": [{"expname": "./a_cal.fits", "exptype": "science"}]}]}
    asn, dest = _setup(tmp_path, data=data)
    assert tool(["gather", str(asn), str(dest)]) == 0
    assert sorted(os.listdir(dest)) == ["a_asn.json", "a_cal.fits"]


@pytest.mark.parametrize("expname", ["..", "/", "sub/..", "x\ny_cal.fits"])
def test_a_member_name_that_is_not_plain_is_refused(tmp_path, capsys, expname):
    data = {"products": [{"name": "p", "members": [{"expname": expname, "exptype": "science"}]}]}
    asn, dest = _setup(tmp_path, data=data, skip=expname)
    assert tool(["gather", str(asn), str(dest), "-c", "cp"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a plain file name" in err
    assert os.listdir(dest) == [] and sorted(os.listdir(tmp_path)) == ["dest", "src"]


def test_the_association_is_never_written_over_itself(tmp_path, capsys):
    asn, _ = _setup(tmp_path)
    before = asn.read_bytes()
    assert tool(["gather", str(asn), str(asn.parent), "-x", "science"]) == 2
    assert "would replace an input of this run" in capsys.readouterr().err
    assert asn.read_bytes() == before


def test_a_command_that_cannot_be_split_is_one_line(tmp_path, capsys):
    asn, dest = _setup(tmp_path)
    assert tool(["gather", str(asn), str(dest), "-c", 'cp "']) == 2
    assert capsys.readouterr().err == ("asnfp: error: -c 'cp \"': cannot be split into words as a shell would "
                                       "(No closing quotation)\n")
    assert os.listdir(dest) == []
