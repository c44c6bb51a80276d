"""User rule files: ``asnfp generate -r FILE [--ignore-default]`` end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from asnfp.cli import main
from asnfp.rule import load_rules

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
RULES_FILE = ROOT / "examples" / "nircam_short_by_module.py"


def _files(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*_asn.json"))}


def test_the_example_rule_groups_short_wave_images_by_filter_and_module(tmp_path):
    assert main(["generate", str(POOL), "-r", str(RULES_FILE), "--ignore-default", "-p", str(tmp_path)]) == 0
    files = _files(tmp_path)
    assert list(files) == ["jw01234-o001_image3_00001_asn.json"]
    (asn,) = files.values()
    assert asn["asn_rule"] == "candidate_Asn_NRCShortByModule"
    (product,) = asn["products"]
    assert product["name"] == "jw01234-o001_t001_nircam_f150w-moda"
    names = [m["expname"] for m in product["members"]]
    assert len(names) == 6 and all("_nrca1_" in n or "_nrca2_" in n for n in names)


def test_user_rules_run_beside_the_jwst_rules(tmp_path):
    assert main(["generate", str(POOL), "-r", str(RULES_FILE), "-p", str(tmp_path)]) == 0
    rules = {asn["asn_rule"] for asn in _files(tmp_path).values()}
    assert {"candidate_Asn_Lv2Image", "candidate_Asn_Lv3Image", "candidate_Asn_NRCShortByModule"} <= rules


def test_imported_bases_are_not_rules():
    assert [r.name for r in load_rules(RULES_FILE)] == ["Asn_NRCShortByModule"]


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "no such rules file"),
        ("def broken(:\n", "cannot load the rules: SyntaxError:"),
        ("x = 1\n", "defines no rules"),
        ("import asnfp_no_such_module\n", "cannot load the rules: ModuleNotFoundError:"),
    ],
)
def test_bad_rule_files_get_one_line(tmp_path, capsys, text, message):
    path = tmp_path / "rules.py"
    if text is not None:
        path.write_text(text)
    out = tmp_path / "out"
    assert main(["generate", str(POOL), "-r", str(path), "--ignore-default", "-p", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "rules.py" in err[0]
    assert not out.exists() or not list(out.glob("*_asn.*"))


def test_ignore_default_needs_a_rules_file(tmp_path, capsys):
    assert main(["generate", str(POOL), "--ignore-default", "-p", str(tmp_path)]) == 2
    assert "--ignore-default" in capsys.readouterr().err


# --------------------------------------------------------------------------- the example rule files
#
# Each expectation below is derived from the pool's rows (grouped as the rule must group
# them), never pasted from a run. Level-3 files of one candidate are numbered in reverse
# creation order, and an association is created by the first row of its group, so the
# group met first in the pool gets the highest number.

EXAMPLES = ROOT / "examples"
SPECTRA_POOL = EXAMPLES / "jw01235_spectra_pool.csv"


def _pool_rows(pool: Path) -> list[dict[str, str]]:
    lines = [line for line in pool.read_text().splitlines() if line and not line.startswith("#")]
    header, *body = (line.split("|") for line in lines)
    return [dict(zip(header, (cell.lower() for cell in cells), strict=True)) for cells in body]


def _cal(row: dict[str, str]) -> str:
    return row["filename"].replace("_uncal.fits", "_cal.fits")


def _obs(row: dict[str, str]) -> str:
    return f"o{int(row['obs_num']):03d}"


def _grouped(rows: list[dict[str, str]], key: Callable[[dict[str, str]], tuple]
             ) -> dict[tuple, list[dict[str, str]]]:
    """Rows by ``(observation, *key(row))``, groups and rows in pool order."""
    groups: dict[tuple, list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault((_obs(row), *key(row)), []).append(row)
    return groups


def _numbered(groups: dict[tuple, list], program: str, asn_type: str) -> dict[str, tuple]:
    """``file name -> group key``: per observation, the last group met is ``00001``."""
    names = {}
    for obs in dict.fromkeys(key[0] for key in groups):
        keys = [key for key in groups if key[0] == obs]
        for number, key in enumerate(reversed(keys), start=1):
            names[f"jw{program}-{obs}_{asn_type}_{number:05d}_asn.json"] = key
    return dict(sorted(names.items()))


def _members(asn: dict) -> list[tuple[str, str]]:
    (product,) = asn["products"]
    return [(m["expname"], m["exptype"]) for m in product["members"]]


def _run(tmp_path: Path, name: str, *args: str) -> dict[str, dict]:
    out = tmp_path / name
    assert main(["generate", *args, "-p", str(out)]) == 0
    return _files(out)


def test_imaging_by_filter_makes_one_image3_per_observation_and_filter(tmp_path):
    rows = _pool_rows(POOL)
    groups = _grouped(rows, lambda row: (row["instrume"], row["filter"]))
    expected = _numbered(groups, "01234", "image3")
    assert len(expected) == 4  # the pool's construction: 2 filters in each of 2 observations
    files = _run(tmp_path, "out", str(POOL), "-r", str(EXAMPLES / "imaging_by_filter.py"), "--ignore-default")
    assert list(files) == list(expected)
    for name, (obs, instrument, filt) in expected.items():
        asn = files[name]
        assert asn["asn_rule"] == "candidate_Asn_ImageByFilter"
        assert asn["asn_type"] == "image3"
        assert asn["products"][0]["name"] == f"jw01234-{obs}_t001_{instrument}_{filt}"
        assert _members(asn) == [(_cal(row), "science") for row in groups[obs, instrument, filt]]


def test_fixed_slit_by_slit_keeps_the_slits_apart(tmp_path):
    rows = _pool_rows(SPECTRA_POOL)
    groups = _grouped(rows, lambda row: (row["grating"], row["filter"], row["fxd_slit"]))
    expected = _numbered(groups, "01235", "spec3")
    assert len(expected) == 3  # two slits in observation 1, one in observation 2
    files = _run(tmp_path, "out", str(SPECTRA_POOL), "-r", str(EXAMPLES / "nirspec_fixed_slit_by_slit.py"),
                 "--ignore-default")
    assert list(files) == list(expected)
    for name, (obs, grating, filt, slit) in expected.items():
        asn = files[name]
        assert asn["asn_rule"] == "candidate_Asn_NRSFSSBySlit"
        assert asn["asn_type"] == "spec3"
        assert asn["products"][0]["name"] == f"jw01235-{obs}_t001_nirspec_{filt}-{grating}_{slit}"
        members = _members(asn)
        assert members == [(_cal(row), "science") for row in groups[obs, grating, filt, slit]]
        assert {row["detector"] for row in groups[obs, grating, filt, slit]} == {"nrs1", "nrs2"}


def test_the_catalogue_lets_s200a1_and_s200a2_share_a_product(tmp_path):
    # What the user rule above changes: the catalogue's fixed-slit rule groups by
    # observation, grating and filter only (for these two slits).
    rows = _pool_rows(SPECTRA_POOL)
    groups = _grouped(rows, lambda row: (row["grating"], row["filter"]))
    files = _run(tmp_path, "out", str(SPECTRA_POOL))
    spec3 = {name: asn for name, asn in files.items() if asn["asn_type"] == "spec3"}
    assert list(spec3) == list(_numbered(groups, "01235", "spec3"))
    for name, (obs, grating, filt) in _numbered(groups, "01235", "spec3").items():
        assert spec3[name]["asn_rule"] == "candidate_Asn_Lv3NRSFSS"
        assert _members(spec3[name]) == [(_cal(row), "science") for row in groups[obs, grating, filt]]
    # Level 2: one spec2 per exposure, the other nods of its detector and slit as backgrounds.
    spec2 = [asn for asn in files.values() if asn["asn_type"] == "spec2"]
    assert len(spec2) == len(rows)
    for asn in spec2:
        (science, *backgrounds) = _members(asn)
        row = next(r for r in rows if r["filename"].replace("_uncal", "_rate") == science[0])
        nods = [r for r in rows
                if r is not row and all(r[c] == row[c] for c in ("obs_num", "detector", "fxd_slit"))]
        assert science[1] == "science"
        assert backgrounds == [(r["filename"].replace("_uncal", "_rate"), "background") for r in nods]


def _wavelength(row: dict[str, str]) -> float:
    return int(row["filter"][1:-1]) / 100


def test_the_derived_rule_is_the_catalogue_rule_restricted_to_long_waves(tmp_path):
    rows = _pool_rows(POOL)
    by_name = {row["filename"].replace("_uncal.fits", ""): row for row in rows}
    catalogue = _run(tmp_path, "catalogue", str(POOL))
    derived = _run(tmp_path, "derived", str(POOL), "-r", str(EXAMPLES / "image_long_wave.py"))

    def image3(files: dict[str, dict]) -> dict[str, dict]:
        return {name: asn for name, asn in files.items() if asn["asn_type"] == "image3"}

    def long_wave(asn: dict) -> bool:
        return all(_wavelength(by_name[expname.replace("_cal.fits", "")]) > 2.5 for expname, _ in _members(asn))

    # Exactly the catalogue rule's associations whose rows pass the extra condition...
    kept = [asn for asn in image3(catalogue).values() if long_wave(asn)]
    assert 0 < len(kept) < len(image3(catalogue))
    assert sorted(map(frozenset, map(_members, image3(derived).values()))) == sorted(
        map(frozenset, map(_members, kept)))
    assert {asn["products"][0]["name"] for asn in image3(derived).values()} == {
        asn["products"][0]["name"] for asn in kept}
    assert {asn["asn_rule"] for asn in image3(derived).values()} == {"candidate_Asn_Lv3Image"}
    # ... and, from the pool: one per observation and filter beyond 2.5 microns, renumbered.
    groups = _grouped([row for row in rows if _wavelength(row) > 2.5],
                      lambda row: (row["instrume"], row["filter"], row["pupil"]))
    expected = _numbered(groups, "01234", "image3")
    assert list(image3(derived)) == list(expected)
    for name, (obs, instrument, filt, pupil) in expected.items():
        elements = "-".join(sorted(e for e in (filt, pupil) if e != "null"))
        assert image3(derived)[name]["products"][0]["name"] == f"jw01234-{obs}_t001_{instrument}_{elements}"
        members = [(_cal(row), "science") for row in groups[obs, instrument, filt, pupil]]
        assert _members(image3(derived)[name]) == members
    # The rule it replaced is the only difference: every other file is the same.
    others = {name: asn for name, asn in catalogue.items() if asn["asn_type"] != "image3"}
    assert {name: asn for name, asn in derived.items() if asn["asn_type"] != "image3"} == others


@pytest.mark.parametrize("name, rules", [
    ("imaging_by_filter.py", ["Asn_ImageByFilter"]),
    ("nirspec_fixed_slit_by_slit.py", ["Asn_NRSFSSBySlit"]),
    ("image_long_wave.py", ["Asn_Lv3Image"]),
])
def test_each_example_file_defines_its_rules(name, rules):
    assert [r.name for r in load_rules(EXAMPLES / name)] == rules


def test_the_spectra_pool_is_what_its_script_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_spectra_pool", EXAMPLES / "make_spectra_pool.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() == SPECTRA_POOL.read_text()
