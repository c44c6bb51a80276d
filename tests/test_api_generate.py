"""``asnfp.generate``, the one call: the same files as ``asnfp generate`` with the same
options, on every conformance case and on user rules; its orphans are the rows no written
association took."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import asnfp
from asnfp.cli.command import build_parser, main
from asnfp.constraints import attr
from asnfp.rule import Rule
from tests.conftest import CONFORMANCE


def _cases() -> list[str]:
    if not (CONFORMANCE / "cases").is_dir():
        return []
    return sorted(p.name for p in (CONFORMANCE / "cases").iterdir() if (p / "case.json").exists())


def _keywords(args: list[str]) -> dict[str, object]:
    """The keywords of ``asnfp.generate`` that say what the command's ``args`` say."""
    ns = build_parser().parse_args(["generate", "pool.csv", *args])
    return {"ids": ns.ids, "discover": ns.discover, "all_candidates": ns.all_candidates,
            "version_id": ns.version_id, "finalize": not ns.no_finalize, "merge": ns.merge,
            "per_pool": ns.per_pool_algorithm, "debug": bool(ns.debug)}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("case", _cases() or [pytest.param("", marks=pytest.mark.skip(reason="no conformance"))])
def test_the_call_writes_what_the_command_writes(case: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    spec = json.loads((CONFORMANCE / "cases" / case / "case.json").read_text())
    pool = str(CONFORMANCE / spec["pool"])
    args = [a for a in spec["args"] if a not in ("--format", "yaml")]
    fmt = "yaml" if "yaml" in spec["args"] else "json"
    assert main(["generate", pool, "-p", str(tmp_path / "command"), "-j", "1", "--format", fmt,
                 "--save-orphans", "orphans.csv", *args]) == 0
    capsys.readouterr()
    made = asnfp.generate(pool, **_keywords(args))  # type: ignore[arg-type]
    names = made.write(tmp_path / "call", fmt=fmt, orphans="orphans.csv")
    assert _files(tmp_path / "call") == _files(tmp_path / "command")
    assert sorted(names) == sorted(n for n in _files(tmp_path / "call") if n != "orphans.csv")


def test_the_orphans_are_the_rows_no_written_association_took() -> None:
    mine = Rule(name="Asn_OnlyF560w", asn_type="image3", level=3, constraint=attr("f", "filter", "f560w"))
    rows = [{"filename": f"jw_{i}_cal.fits", "exp_type": "mir_image", "pntgtype": "science", "program": "1",
             "targetid": "1", "filter": f, "asn_candidate": "[('o001', 'observation')]"}
            for i, f in enumerate(["f560w", "f770w", "f560w"])]
    made = asnfp.generate(rows, mine, ignore_default=True)
    taken = {m.row.index for a in made.associations for p in a.products for m in p.members if m.row}
    assert taken == {0, 2}
    assert [r.index for r in made.orphans] == [1]
    assert made.orphan_table().splitlines()[1:] == [
        "jw_1_cal.fits|mir_image|science|1|1|f770w|[('o001', 'observation')]"]


def test_rule_files_are_taken_as_minus_r_takes_them(tmp_path: Path) -> None:
    rules = Path(__file__).resolve().parents[1] / "examples" / "nircam_short_by_module.py"
    pool = Path(__file__).resolve().parents[1] / "examples" / "jw01234_imaging_pool.csv"
    assert main(["generate", str(pool), "-r", str(rules), "--ignore-default", "-p", str(tmp_path / "a")]) == 0
    asnfp.generate(str(pool), [str(rules)], ignore_default=True).write(tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_ignoring_the_catalogue_needs_rules_of_ones_own() -> None:
    with pytest.raises(ValueError, match="ignore_default needs at least one rule"):
        asnfp.generate([], ignore_default=True)
