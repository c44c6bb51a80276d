"""Odd but readable pool contents, through the command: quoted values holding ``|``,
double quotes or a newline, and a huge pool of one exposure repeated.

Each odd value sits in the ``pupil`` cell of a dark exposure, which no association
takes, so it lands in the orphan table; the run must exit 0 and the orphan table, read
back with ``read_pool``, must give the cell as the pool gave it (or, were the value
refused, the run must fail with one line and exit 2; today every case here generates).
Every pool is built in ``tmp_path``.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import pytest

from asnfp.pool import read_pool
from tests.test_bad_input import EXPECTED, HEADER, ROW, asn_files, one_line, run

DARK = ROW.replace("jw_00001_uncal.fits", "jw_00002_uncal.fits").replace("|mir_image|", "|mir_dark|")
PUPIL = HEADER.split("|").index("pupil")


def with_pupil(raw: str) -> str:
    """The good pool plus a dark row whose raw ``pupil`` field is ``raw``."""
    fields = DARK.split("|")
    return f"{HEADER}\n{ROW}\n" + "|".join(fields[:PUPIL] + [raw] + fields[PUPIL + 1:]) + "\n"


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        pytest.param('"a|b"', "a|b", id="quoted-pipe"),
        pytest.param('"say ""hi"""', 'say "hi"', id="doubled-quotes-in-quotes"),
        pytest.param('a"b', 'a"b', id="bare-quote-inside"),
        pytest.param('"abc', '"abc', id="unbalanced-quote"),
        pytest.param('"line1\nline2"', "line1\nline2", id="quoted-newline"),
        pytest.param('"a\nb|c"', "a\nb|c", id="quoted-newline-and-pipe"),
        pytest.param('""', "null", id="empty-quotes-read-as-null"),
    ],
)
def test_quoted_values_generate_and_round_trip_through_the_orphans(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        raw: str, cell: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pool.csv").write_text(with_pupil(raw))
    assert read_pool("pool.csv").rows[1]["pupil"] == cell
    status, out, err = run(["generate", "pool.csv", "-p", "out", "--save-orphans", "orphans.csv"], capsys)
    if status != 0:  # refusing is allowed, but only as one line and exit 2
        one_line(err)
        assert status == 2 and asn_files(tmp_path / "out") == []
        return
    assert (out, err) == ("", "")
    assert asn_files(tmp_path / "out") == EXPECTED
    orphans = read_pool(tmp_path / "out" / "orphans.csv").rows
    assert [(r["filename"], r["exp_type"], r["pupil"]) for r in orphans] == [
        ("jw_00002_uncal.fits", "mir_dark", cell)]


@pytest.mark.slow
def test_one_exposure_repeated_100000_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Every row has the same file name: the first row makes the image2 and image3
    associations, every later row is taken by them without a check (its file name is
    a member's) but is not added again (an equal member is already there). So each file
    holds one member, and the orphan table lists the 99,999 repeats: they are members of
    no written association. About 2 minutes here (measured 118 s); bounded at 600 s."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pool.csv").write_text(f"{HEADER}\n" + f"{ROW}\n" * 100_000)
    start = time.perf_counter()
    status, out, err = run(["generate", "pool.csv", "-p", "out", "--save-orphans", "orphans.csv"], capsys)
    elapsed = time.perf_counter() - start
    assert (status, out, err) == (0, "", "")
    assert elapsed < 600, elapsed
    assert asn_files(tmp_path / "out") == EXPECTED
    for name, product in zip(EXPECTED, ("jw_00001", "jw99009-o001_t001_miri_f560w"), strict=True):
        asn = json.loads((tmp_path / "out" / name).read_text())
        assert [(p["name"], [m["expname"] for m in p["members"]]) for p in asn["products"]] == [
            (product, ["jw_00001_rate.fits" if "image2" in name else "jw_00001_cal.fits"])]
    lines = (tmp_path / "out" / "orphans.csv").read_text().splitlines()
    assert lines[0] == HEADER and len(lines) == 1 + 99_999 and set(lines[1:]) == {ROW}


def test_a_cell_with_an_unknown_escape_reads_without_a_warning():
    """A candidate cell such as ``[('o\\p', ...)]`` is read as Python reads it, and says
    nothing on stderr (Python 3.12 prints a SyntaxWarning for an unknown escape)."""
    from asnfp.constraints import evaluate_cell, literal
    from asnfp.naming import _parse_acid

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert literal("'b\\q'") == "b\\q"
        assert evaluate_cell.__wrapped__("[('o\\p', 'observation')]") == [("o\\p", "observation")]
        assert _parse_acid.__wrapped__("('o\\r1', 'observation')") is not None
