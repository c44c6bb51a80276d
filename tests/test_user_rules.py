"""User rule files: ``asnfp generate -r FILE [--ignore-default]`` end to end."""

from __future__ import annotations

import json
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
        ("def broken(:\n", "syntax error"),
        ("x = 1\n", "defines no rules"),
        ("import asnfp_no_such_module\n", "cannot import"),
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
