"""``asnfp explain``: why a row joined, or did not join, each rule.

The public pools' answers are checked against the reference's own outputs (the files in
``../shared/conformance/cases/*/expected``): a member's files are the reference's files
that hold it, and the orphans are the rows of the reference's orphan table.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings

from asnfp.cli import main
from asnfp.constraints import (
    NO_BINDINGS,
    AttrLeaf,
    all_of,
    any_of,
    attr,
    leaves,
    not_any,
)
from asnfp.row import make_row
from asnfp.testing import constraint_trees, rows
from asnfp.tools.explain import why_missed

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CASES = ("pool_007_spec_miri", "pool_010_spec_nirspec_lv2bkg", "pool_013_coron_nircam", "pool_021_tso")
MISS = re.compile(r"miss at (?P<leaf>[^:]+): (?P<value>'[^']*'|\"[^\"]*\")")


def _explain(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["explain", *args, "-j", "1"])
    return status, out.getvalue()


# --------------------------------------------------------------------------- laws


@settings(max_examples=200, deadline=None)
@given(constraint_trees(), rows())
def test_a_reason_is_given_exactly_when_the_row_misses(tree, row):
    reason = why_missed(tree, row)
    assert (reason is None) == tree(NO_BINDINGS, row).matched
    if reason is not None:
        assert reason.startswith("miss at ")


@settings(max_examples=200, deadline=None)
@given(constraint_trees(), rows())
def test_a_quoted_value_is_the_rows_value_at_a_leaf_of_the_tree(tree, row):
    reason = why_missed(tree, row)
    found = MISS.match(reason or "")
    if found is None:
        return
    value = found["value"][1:-1]
    named = [leaf for leaf in leaves(tree) if isinstance(leaf, AttrLeaf)
             and (leaf.name or "|".join(leaf.initial.sources)) == found["leaf"]]
    assert named, reason
    assert any(row.get(source) == value for leaf in named for source in leaf.initial.sources), reason


def test_the_branch_that_came_nearest_is_told():
    row = make_row(0, {"exp_type": "nrs_msaspec", "filter": "f290lp", "pntgtype": "science"})
    acquisition = attr("target_acq", "pntgtype", "target_acquisition")
    science = all_of(attr("opt_elem", "filter"), attr("exp_type", "exp_type", "nrc_image|mir_image"))
    assert why_missed(any_of(science, acquisition), row) == (
        "miss at exp_type: 'nrs_msaspec' does not match 'nrc_image|mir_image'")
    assert why_missed(any_of(acquisition, attr("x", "exp_type", "x")), row) == (
        "miss at x: 'nrs_msaspec' does not match 'x'")


def test_a_negation_names_what_matched():
    row = make_row(0, {"tsovisit": "t", "bkgdtarg": "f"})
    assert why_missed(not_any(attr("bkg", "bkgdtarg", "t"), attr("tso", "tsovisit", "t")), row) == (
        "miss at not_any: it matched tso (tsovisit='t')")


def test_a_pinned_value_is_named_as_such():
    leaf = attr("opt_elem", "filter")
    pinned = leaf(NO_BINDINGS, make_row(0, {"filter": "f150w"})).bindings
    assert why_missed(leaf, make_row(1, {"filter": "f200w"}), pinned) == (
        "miss at opt_elem: 'f200w' is not the value it pinned, 'f150w'")


# --------------------------------------------------------------------------- public pools


def _case(name: str) -> dict:
    path = CONFORMANCE / "cases" / name / "case.json"
    if not path.exists():
        pytest.skip("the conformance cases (../shared/conformance) are not here")
    return json.loads(path.read_text())


def _pool(name: str) -> Path:
    return CONFORMANCE / _case(name)["pool"]


def _pool_rows(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [{k.lower(): v.lower() for k, v in row.items()} for row in csv.DictReader(lines, delimiter="|")]


def _expected_files(name: str) -> dict[str, dict]:
    folder = CONFORMANCE / "cases" / name / "expected"
    return {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*_asn.json"))}


def _holding(files: dict[str, dict], filename: str) -> list[str]:
    stem = filename.rsplit("_uncal", 1)[0]
    return sorted(name for name, asn in files.items()
                  if any(m["expname"].rsplit("_", 1)[0] == stem for p in asn["products"] for m in p["members"]))


def _expected_orphans(name: str) -> list[str]:
    text = (CONFORMANCE / "cases" / name / "expected" / "orphans.csv").read_text()
    return sorted(_pool_rows_text(text))


def _pool_rows_text(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [row["filename"].lower() for row in csv.DictReader(lines, delimiter="|")]


def _blocks(text: str) -> dict[str, list[str]]:
    """Each explained row's head line -> its rule lines."""
    blocks: dict[str, list[str]] = {}
    head = ""
    for line in text.splitlines():
        if line.startswith("row "):
            head = line
            blocks[head] = []
        elif line.startswith("  ") and head:
            blocks[head].append(line.strip())
    return blocks


@pytest.mark.parametrize("name", CASES)
def test_the_orphans_explained_are_the_references_orphans(name):
    status, text = _explain(str(_pool(name)))
    assert status == 0
    heads = list(_blocks(text))
    explained = sorted(re.match(r"row \d+ \(([^)]*)\)", h)[1] for h in heads)
    assert explained == _expected_orphans(name)
    assert all(h.endswith("in no written association") for h in heads)


@pytest.mark.parametrize("name", CASES)
def test_an_orphan_is_told_why_no_rule_took_it(name):
    pool = _pool(name)
    rows = _pool_rows(pool)
    orphan = _expected_orphans(name)[0]
    number = next(i for i, r in enumerate(rows, 1) if r["filename"] == orphan)
    status, text = _explain(str(pool), "--row", str(number))
    assert status == 0
    ((head, lines),) = _blocks(text).items()
    assert head == f"row {number} ({orphan}): in no written association"
    from asnfp.jwst import RULES

    assert [line.split(":", 1)[0] for line in lines] == [r.name for r in RULES]
    assert not any(": joined " in line for line in lines)
    values = set(rows[number - 1].values())
    for line in lines:
        found = MISS.search(line)
        if found:
            assert found["value"][1:-1] in values, line
    exp_type = rows[number - 1]["exp_type"]
    assert any(f"miss at exp_type: '{exp_type}' does not match" in line for line in lines)


@pytest.mark.parametrize("name", CASES)
def test_a_member_is_told_the_files_that_hold_it(name):
    pool = _pool(name)
    rows = _pool_rows(pool)
    files = _expected_files(name)
    number, holding = next((i, h) for i, r in enumerate(rows, 1) if (h := _holding(files, r["filename"])))
    status, text = _explain(str(pool), "--file", rows[number - 1]["filename"])
    assert status == 0
    ((head, lines),) = _blocks(text).items()
    assert head.endswith(": " + ", ".join(holding))
    joined = {line.split(":", 1)[0]: line.split(": joined ", 1)[1].split(", ") for line in lines if ": joined " in line}
    assert sorted(f for fs in joined.values() for f in fs) == holding
    for rule, names in joined.items():
        assert all(files[f]["asn_rule"].endswith("_" + rule) for f in names)


def test_one_rule_can_be_asked_for():
    status, text = _explain(str(_pool("pool_021_tso")), "--row", "2", "--rule", "Asn_Lv3TSO")
    assert status == 0
    ((_, lines),) = _blocks(text).items()
    assert [line.split(":", 1)[0] for line in lines] == ["Asn_Lv3TSO"]


@pytest.mark.parametrize("args, message", [
    (["--row", "0"], "no row 0 (the pool has rows 1 to 7)"),
    (["--file", "jw_nothing_uncal.fits"], "no row with file name 'jw_nothing_uncal.fits'"),
    (["--rule", "Asn_Nothing"], "no rule 'Asn_Nothing'"),
])
def test_bad_requests_get_one_line(args, message, capsys):
    status, _ = _explain(str(_pool("pool_021_tso")), *args)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and message in err[0]


def test_a_cell_of_several_values_is_named_as_such():
    row = make_row(0, {"grating": "['g140m', 'g235m']"})
    assert why_missed(attr("grating", "grating", evaluate=True), row) == (
        "miss at grating: grating holds several values, \"['g140m', 'g235m']\"")
    assert why_missed(attr("grating", "grating", "g395m", evaluate=True), row) == (
        "miss at grating: \"['g140m', 'g235m']\" does not match 'g395m'")
