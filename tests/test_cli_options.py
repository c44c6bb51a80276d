"""Options of ``asnfp generate`` that change what is written (on the shipped example)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from asnfp.cli import main

POOL = Path(__file__).resolve().parents[1] / "examples" / "jw01234_imaging_pool.csv"


def _run(tmp_path: Path, *flags: str) -> list[str]:
    assert main(["generate", str(POOL), "-p", str(tmp_path), *flags]) == 0
    return sorted(p.name for p in tmp_path.iterdir())


def test_dry_run_writes_nothing(tmp_path):
    out = tmp_path / "out"
    assert main(["generate", str(POOL), "-p", str(out), "--dry-run", "--save-orphans"]) == 0
    assert not out.exists() or not list(out.iterdir())


def test_a_bare_version_id_stamps_the_utc_time(tmp_path):
    names = _run(tmp_path, "--version-id")
    assert names and all(re.fullmatch(r"jw01234-o00[12]_\d{8}t\d{6}_image[23]_\d{5}_asn\.json", n) for n in names)
    stamp = names[0].split("_")[1]
    assert json.loads((tmp_path / names[0]).read_text())["version_id"] == stamp


def test_a_given_version_id_is_lower_cased_in_names_only(tmp_path):
    names = _run(tmp_path, "--version-id", "Test_V1")
    assert all("_test_v1_" in n for n in names)
    assert json.loads((tmp_path / names[0]).read_text())["version_id"] == "Test_V1"


def test_yaml_files_have_sorted_keys_and_the_same_content(tmp_path):
    json_dir, yaml_dir = tmp_path / "j", tmp_path / "y"
    json_names, yaml_names = _run(json_dir), _run(yaml_dir, "--format", "yaml")
    assert [n.replace(".json", ".yaml") for n in json_names] == yaml_names
    for name in json_names:
        text = (yaml_dir / name.replace(".json", ".yaml")).read_text()
        keys = [line.split(":")[0] for line in text.splitlines() if re.match(r"[a-z_]+:", line)]
        assert keys == sorted(keys) and text.endswith("\n")
        assert yaml.safe_load(text) == json.loads((json_dir / name).read_text())


def test_save_orphans_without_a_name_writes_orphaned_csv(tmp_path):
    assert "orphaned.csv" in _run(tmp_path, "--save-orphans")


def test_merge_puts_each_candidate_level2_products_into_one_file(tmp_path):
    names = _run(tmp_path, "--merge")
    image2 = [n for n in names if "_image2_" in n]
    assert image2 == ["jw01234-o001_image2_00001_asn.json", "jw01234-o002_image2_00001_asn.json"]
    products = json.loads((tmp_path / image2[0]).read_text())["products"]
    assert len(products) == 9


def test_no_merge_is_accepted_with_a_warning(tmp_path, capsys):
    assert len(_run(tmp_path, "--no-merge")) == 21
    assert "deprecated" in capsys.readouterr().err
