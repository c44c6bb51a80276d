"""``asnfp report``: the data the page embeds agree with ``asnfp generate`` and ``asnfp
explain`` on every public conformance case (no browser: the JSON of
``<script id="report-data">`` is read back).

Run time: the explain part compares every orphan of every case, and the verdicts of
every row but on mega_pool, where a sample of rows (every 25th, and every orphan) is
compared (the page itself holds every row's verdicts).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from asnfp.api import generate, to_bytes
from asnfp.cli import main
from asnfp.fast.drivers import Options
from asnfp.jwst.catalogue import run_registries
from asnfp.tools.explain import explain_rows
from asnfp.tools.report import embedded_data, report_html
from tests.conftest import CONFORMANCE

MISS = re.compile(r"miss at (?P<leaf>[^:]+): (?P<value>'[^']*'|\"[^\"]*\")?")
SAMPLED = {"mega_pool"}


def _cases() -> list[Any]:
    found = sorted(p.parent.name for p in (CONFORMANCE / "cases").glob("*/case.json"))
    return found or [pytest.param(None, marks=pytest.mark.skip(reason="../shared/conformance is absent"))]


def _keywords(args: list[str]) -> dict[str, Any]:
    """The case's ``asnfp generate`` flags as :func:`asnfp.api.generate` keywords."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        flag = args[i]
        if flag == "-i":
            ids = []
            while i + 1 < len(args) and not args[i + 1].startswith("-"):
                i += 1
                ids.append(args[i])
            out["ids"] = ids
        elif flag in ("--version-id", "--format"):
            i += 1
            out["version_id" if flag == "--version-id" else "fmt"] = args[i]
        else:
            out[{"--per-pool-algorithm": "per_pool", "--all-candidates": "all_candidates",
                 "--discover": "discover", "--merge": "merge"}[flag]] = True
        i += 1
    return out


def _explained_orphans(pool: Path) -> dict[int, dict[str, str]]:
    """``asnfp explain POOL``'s answer: per orphan (0-based index), rule -> detail."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["explain", str(pool), "-j", "1"]) == 0
    found: dict[int, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in out.getvalue().splitlines()[1:]:
        head = re.match(r"row (\d+) ", line)
        if head:
            current = found.setdefault(int(head[1]) - 1, {})
        elif line.startswith("  "):
            rule, _, detail = line.strip().partition(": ")
            current[rule] = detail
    return found


@pytest.mark.parametrize("case", _cases())
def test_the_page_agrees_with_generate_and_explain(case: str, tmp_path: Path) -> None:
    meta = json.loads((CONFORMANCE / "cases" / case / "case.json").read_text())
    pool = CONFORMANCE / meta["pool"]
    args = list(meta["args"])
    page_file = tmp_path / "report.html"
    assert main(["report", str(pool), "-o", str(page_file), "-j", "1", *args]) == 0
    data: Any = embedded_data(page_file.read_text(encoding="utf-8"))

    # the associations: what asnfp generate writes, byte for byte
    out = tmp_path / "out"
    assert main(["generate", str(pool), "-p", str(out), "-j", "1", *args]) == 0
    written = {p.name: p.read_bytes() for p in out.iterdir()} if out.is_dir() else {}
    asns = data["associations"]
    assert isinstance(asns, list)
    shown = {a["file"]: a["text"].encode("utf-8") for a in asns}
    assert shown == written

    keywords = _keywords(args)
    fmt = str(keywords.pop("fmt", "json"))
    made = generate(pool, **keywords)
    expected = dict(to_bytes(a, fmt) for a in made.associations)
    assert shown == expected
    members = {a["file"]: sorted(m[0] for m in a["members"]) for a in asns}
    assert members == {to_bytes(a, fmt)[0]: sorted(m.row.index for p in a.products for m in p.members if m.row)
                       for a in made.associations}

    # the rows: every pool row once, grouped; the orphans: generate's
    rows = data["rows"]
    assert isinstance(rows, list)
    assert sorted(r["index"] for r in rows) == list(range(len(made.pool.rows)))
    orphans = data["orphans"]
    assert isinstance(orphans, list)
    assert [o["index"] for o in orphans] == [r.index for r in made.orphans]
    assert {r["index"] for r in rows if r["orphan"]} == {r.index for r in made.orphans}

    # the verdicts: explain's (asnfp explain itself for the default options)
    given = "ids" in keywords or keywords.get("discover") or keywords.get("all_candidates")
    options = Options(ids=tuple(keywords["ids"]) if "ids" in keywords else None,
                      discover=bool(keywords.get("discover")) or not given,
                      all_candidates=bool(keywords.get("all_candidates")) or not given,
                      version_id=keywords.get("version_id"), merge=bool(keywords.get("merge")))
    table = data["verdicts"]
    names = data["rules"]
    assert isinstance(table, list) and isinstance(names, list)
    by_index = {r["index"]: r for r in rows}
    step = 25 if case in SAMPLED else 1
    sample = sorted({*range(0, len(made.pool.rows), step), *(r.index for r in made.orphans)})
    if data["explain_note"] is not None:  # (a per-pool pool without candidates: explain cannot run)
        assert "asn_candidate" in str(data["explain_note"]) and keywords.get("per_pool")
        assert all(o["rule"] is None for o in orphans)
        return
    for e in explain_rows(run_registries(), made.pool.rows, sample, options, fmt=fmt):
        page_verdicts = [table[k] for k in by_index[e.row.index]["verdicts"]]
        assert page_verdicts == [[v.status, v.detail] for v in e.verdicts], e.row.index
        assert names == [v.rule for v in e.verdicts]
    cli = _explained_orphans(pool) if not args else None
    for o in orphans:
        assert isinstance(o, dict)
        if o["status"] == "miss":
            found = MISS.match(str(o["detail"]))
            assert found is not None and found["leaf"] == o["leaf"]
        if cli is not None:
            said = cli[int(str(o["index"]))]
            assert said[str(o["rule"])] == o["detail"]


def _pool_row(filename: str) -> dict[str, str]:
    return {"filename": filename, "exp_type": "mir_image", "pntgtype": "science", "program": "1", "targetid": "1",
            "instrume": "miri", "detector": "mirimage", "filter": "f560w", "subarray": "full",
            "asn_candidate": "[('o001', 'observation')]"}


def test_a_file_name_cannot_close_the_data_script() -> None:
    evil = "jw_</script><script>alert(1)</script><!--_uncal.fits"
    page = report_html([_pool_row(evil), {**_pool_row("jw_2_uncal.fits"), "exp_type": "nrc_dark"}])
    assert page.count("</script>") == 2  # the data's and the code's, nothing else
    opener = '<script type="application/json" id="report-data">'
    inside = page[page.index(opener) + len(opener):page.index("</script>")]
    assert "</" not in inside and "<!--" not in inside  # (nothing can end the script, nor escape it)
    assert page.count("<script") - inside.count("<script") == 2
    data: Any = embedded_data(page)
    rows = data["rows"]
    assert isinstance(rows, list)
    assert evil in {r["file"] for r in rows}
    made = generate([_pool_row(evil), {**_pool_row("jw_2_uncal.fits"), "exp_type": "nrc_dark"}])
    texts = [a["text"] for a in data["associations"]]
    assert texts == [to_bytes(a)[1].decode() for a in made.associations] and any("</script>" in t for t in texts)


def test_the_page_refers_to_nothing_outside() -> None:
    page = report_html(CONFORMANCE / "pools" / "pool_002_image_miri.csv"
                       if (CONFORMANCE / "pools").is_dir() else [_pool_row("jw_1_uncal.fits")])
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", page, re.I)
    assert "@import" not in page and "url(" not in page


def test_the_structure_the_browser_tests_rely_on() -> None:
    page = report_html([_pool_row("jw_1_uncal.fits")])
    for needle in ('<section id="summary">', '<table id="matrix">', '<section id="detail"', '<table id="orphans">',
                   '<input id="filter" type="search"', '<script type="application/json" id="report-data">',
                   "@media print"):
        assert needle in page
    data: Any = embedded_data(page)
    assert data["reference_version"] == "3.0.0"


def test_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "r.html")]) == 2
    assert main(["report", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "no" / "r.html")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("asnfp: error: ") for line in err)
    assert not (tmp_path / "r.html").exists()
