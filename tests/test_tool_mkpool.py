"""``asnfp make-pool``: the pure table, the TARGNAME counting quirk, the one-line errors,
that ``generate`` takes the pool it makes, and (with ``ASNFP_REFERENCE`` naming a Python
with jwst, e.g. ``ASNFP_REFERENCE=/tmp/refvenv/bin/python``) the same bytes as
``asn_make_pool`` on the same FITS files.

Every FITS file is written here, in ``tmp_path``: a primary header and no data.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import pytest
from astropy.io import fits

from asnfp.api import associations
from asnfp.errors import AsnfpError
from asnfp.mkpool import (
    EXTRA_COLUMNS,
    add_parser,
    candidates_text,
    pool_bytes,
    pool_table,
    run,
)
from asnfp.pool import read_pool

REFERENCE = os.environ.get("ASNFP_REFERENCE")
# the console script ``asn_make_pool = jwst.scripts.asn_make_pool:main`` reads sys.argv
_MAIN = "from jwst.scripts.asn_make_pool import main; main()"

COMMON = {"PROGRAM": "01234", "SUBARRAY": "FULL", "PNTGTYPE": "science", "VISITYPE": "PRIME_TARGETED_FIXED"}
EXPOSURES = {
    "jw01234001001_01101_00001_nrca1_uncal.fits": {
        "OBSERVTN": "001", "TARGNAME": "NGC 1234", "EXP_TYPE": "NRC_IMAGE", "INSTRUME": "NIRCAM",
        "DETECTOR": "NRCA1", "FILTER": "F200W", "PUPIL": "CLEAR", "NINTS": 2, "TSOVISIT": False},
    "jw01234001001_01101_00002_nrca1_uncal.fits": {
        "OBSERVTN": "001", "TARGNAME": "NGC 1234", "EXP_TYPE": "NRC_IMAGE", "INSTRUME": "NIRCAM",
        "DETECTOR": "NRCA1", "FILTER": "F200W", "PUPIL": "CLEAR", "XOFFSET": 1.5},
    "jw01234002001_01101_00001_mirimage_uncal.fits": {
        "OBSERVTN": "002", "TARGNAME": "M 31", "EXP_TYPE": "MIR_IMAGE", "INSTRUME": "MIRI",
        "DETECTOR": "MIRIMAGE", "FILTER": "F560W", "DMS_NOTE": "from header", "MOSTILNO": 7},
    "jw01234003001_01101_00001_nrcb1_uncal.fits": {
        "OBSERVTN": "003", "TARGNAME": "NGC 1234", "EXP_TYPE": "NRC_IMAGE", "INSTRUME": "NIRCAM",
        "DETECTOR": "NRCB1", "FILTER": "F150W", "PUPIL": "CLEAR"},
}


def write_fits(folder: Path, name: str, keywords: dict[str, object]) -> str:
    header = fits.Header()
    for key, value in {**COMMON, **keywords}.items():
        header[key] = value
    header["COMMENT"] = "a comment card"
    header["HISTORY"] = "a history card"
    fits.PrimaryHDU(header=header).writeto(folder / name)
    return name


@pytest.fixture
def exposures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The FITS files, written in ``tmp_path``, which is the working folder."""
    monkeypatch.chdir(tmp_path)
    return [write_fits(tmp_path, name, kw) for name, kw in EXPOSURES.items()]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="asnfp")
    add_parser(parser.add_subparsers())
    return parser.parse_args(["make-pool", *argv])


def as_dicts(columns: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> list[dict[str, str]]:
    return [dict(zip(columns, row)) for row in rows]


# --- the pure table ------------------------------------------------------------------------

def test_columns_are_keywords_plus_extras_lower_cased_and_sorted() -> None:
    columns, rows = pool_table([("a.fits", {"OBSERVTN": "001", "TARGNAME": "T", "Exp_Type": "X",
                                            "COMMENT": "c", "HISTORY": "h", "": "blank"})])
    assert list(columns) == sorted(columns)
    assert set(columns) == {"observtn", "targname", "exp_type", "filename", *EXTRA_COLUMNS}
    assert len(rows) == 1 and len(rows[0]) == len(columns)


def test_values_are_str_of_the_header_value_not_lower_cased() -> None:
    columns, rows = pool_table([("Dir/A_uncal.fits", {"OBSERVTN": 7, "TARGNAME": "NGC 1", "FLAG": True,
                                                      "X": 1.5, "EXP_TYPE": "NRC_IMAGE"})])
    row = as_dicts(columns, rows)[0]
    assert (row["flag"], row["x"], row["observtn"], row["exp_type"], row["targname"]) == (
        "True", "1.5", "7", "NRC_IMAGE", "NGC 1")
    assert row["filename"] == "Dir/A_uncal.fits"
    assert row["asn_candidate"] == "[('o7', 'observation')]"


def test_missing_keywords_are_null_and_extras_override_the_header() -> None:
    columns, rows = pool_table(
        [("a", {"OBSERVTN": "001", "TARGNAME": "T", "PUPIL": "CLEAR", "DMS_NOTE": "h", "MOSTILNO": 5,
                "TARGETID": 9, "FILENAME": "other", "ASN_CANDIDATE": "x"}),
         ("b", {"OBSERVTN": "002", "TARGNAME": "U"})],
        dms_note="wfsc_los_jitter", is_imprt="t", pntgtype="target_acquisition")
    a, b = as_dicts(columns, rows)
    assert b["pupil"] == "null" and a["pupil"] == "CLEAR"
    for row in (a, b):
        assert (row["dms_note"], row["is_imprt"], row["pntgtype"], row["mostilno"], row["dithptin"]) == (
            "wfsc_los_jitter", "t", "target_acquisition", "1", "1")
    assert (a["filename"], a["targetid"], a["asn_candidate"]) == ("a", "1", "[('o001', 'observation')]")


def test_defaults() -> None:
    columns, rows = pool_table([("a", {"OBSERVTN": "001", "TARGNAME": "T"})])
    row = as_dicts(columns, rows)[0]
    assert {k: row[k] for k in ("dms_note", "is_imprt", "pntgtype", "mostilno", "dithptin")} == {
        "dms_note": "", "is_imprt": "f", "pntgtype": "science", "mostilno": "1", "dithptin": "1"}


def test_no_headers_gives_the_extra_columns_and_no_rows() -> None:
    assert pool_table([]) == (tuple(sorted(EXTRA_COLUMNS)), ())


def test_extra_candidates_follow_the_observation() -> None:
    extra = [("c1000", "background"), ("c1001", "coronographic")]
    columns, rows = pool_table([("a", {"OBSERVTN": "005", "TARGNAME": "T"})], asn_candidate=extra)
    assert as_dicts(columns, rows)[0]["asn_candidate"] == (
        "[('o005', 'observation'), ('c1000', 'background'), ('c1001', 'coronographic')]")
    # the text form (as --asn-candidate gives it) is spliced in as the reference does
    assert candidates_text("005", str(extra)) == candidates_text("005", extra)
    assert candidates_text("005", "[]") == "[('o005', 'observation'), ]"


def test_targetid_counts_distinct_names_so_far_a_reference_quirk() -> None:
    """A name seen before gets the running count, not the id it got first: A B A C A -> 1 2 2 3 3."""
    names = ["A", "B", "A", "C", "A"]
    columns, rows = pool_table([(f"f{i}", {"OBSERVTN": "001", "TARGNAME": n}) for i, n in enumerate(names)])
    assert [row["targetid"] for row in as_dicts(columns, rows)] == ["1", "2", "2", "3", "3"]


def test_pool_bytes_quotes_the_delimiter_and_keeps_empty_cells() -> None:
    assert pool_bytes(("a", "b"), (('x|"y"', ""),)) == b'a|b\n"x|""y"""|\n'


# --- the command -------------------------------------------------------------------------

def test_run_writes_the_pool_and_generate_reads_it(exposures: list[str], tmp_path: Path) -> None:
    assert run(parse(["pool.csv", *exposures])) == 0
    text = (tmp_path / "pool.csv").read_text()
    assert text.splitlines()[0].split("|") == sorted(text.splitlines()[0].split("|"))
    assert len(text.splitlines()) == 1 + len(exposures)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".asnfp")]

    pool = read_pool(tmp_path / "pool.csv")
    assert [row["targetid"] for row in pool.rows] == ["1", "1", "2", "2"]
    asns = associations(pool)
    image2 = sorted(a.asn_id for a in asns if a.rule.asn_type == "image2")
    assert image2 == ["o001", "o001", "o002", "o003"]  # one image2 per exposure
    assert {a.rule.asn_type for a in asns} >= {"image2", "image3"}


def test_run_replaces_an_existing_pool(exposures: list[str], tmp_path: Path) -> None:
    (tmp_path / "pool.csv").write_text("old\n" * 100)
    assert run(parse(["pool.csv", exposures[0]])) == 0
    assert len((tmp_path / "pool.csv").read_text().splitlines()) == 2


def test_flags(exposures: list[str], tmp_path: Path) -> None:
    argv = ["pool.csv", "--asn-candidate", "[('c1000', 'background')]", "--dms-note", "n1",
            "--is-imprt", "t", "--pntgtype", "target_acquisition", exposures[0]]
    assert run(parse(argv)) == 0
    row = read_pool(tmp_path / "pool.csv").rows[0]  # read_pool lower-cases
    assert (row["asn_candidate"], row["dms_note"], row["is_imprt"], row["pntgtype"]) == (
        "[('o001', 'observation'), ('c1000', 'background')]", "n1", "t", "target_acquisition")


# --- bad input: one line, nothing written ----------------------------------------------------

@pytest.mark.parametrize(("make", "expected"), [
    (lambda d: "nope_uncal.fits", "nope_uncal.fits: no such file"),
    (lambda d: (d / "text.fits").write_text("hello\n") and "text.fits",
     "text.fits: not a FITS file (no SIMPLE card found, this file does not appear to be a valid FITS file)"),
    (lambda d: (d / "empty.fits").write_bytes(b"") or "empty.fits",
     "empty.fits: not a FITS file (empty or corrupt FITS file)"),
    (lambda d: (d / "sub").mkdir() or "sub", "sub: is a folder, not a FITS file"),
    (lambda d: write_fits(d, "noobs.fits", {"TARGNAME": "T"}),
     "noobs.fits: no OBSERVTN keyword in the primary header"),
    (lambda d: write_fits(d, "notarg.fits", {"OBSERVTN": "001"}),
     "notarg.fits: no TARGNAME keyword in the primary header"),
], ids=["missing", "text", "empty", "folder", "no-observtn", "no-targname"])
def test_bad_input_is_one_line_and_writes_nothing(exposures: list[str], tmp_path: Path,
                                                  make: object, expected: str) -> None:
    bad = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(AsnfpError) as err:
        run(parse(["pool.csv", exposures[0], bad]))
    assert str(err.value) == expected
    assert "\n" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".fits")) in ([], ["sub"])


def test_pool_that_is_a_folder_is_refused(exposures: list[str], tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(AsnfpError, match="^out: is a folder, not a pool file$"):
        run(parse(["out", exposures[0]]))


def test_pool_in_a_missing_folder_is_refused(exposures: list[str]) -> None:
    with pytest.raises(AsnfpError, match="^no/such/pool.csv: cannot write there"):
        run(parse(["no/such/pool.csv", exposures[0]]))


# --- differential: the same bytes as asn_make_pool ----------------------------------------

def _reference(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REFERENCE), "-c", _MAIN, *argv], cwd=cwd,
                          capture_output=True, text=True, check=False)


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
@pytest.mark.parametrize("flags", [
    [],
    ["--asn-candidate", "[('c1000', 'background'), ('c1001', 'coronographic')]"],
    ["--asn-candidate", "[]", "--dms-note", "wfsc_los_jitter", "--is-imprt", "t",
     "--pntgtype", "target_acquisition"],
], ids=["defaults", "candidates", "all-flags"])
@pytest.mark.parametrize("order", ["given", "reversed", "one", "dotted"])
def test_same_bytes_as_the_reference(exposures: list[str], tmp_path: Path, flags: list[str],
                                     order: str) -> None:
    files = {"given": exposures, "reversed": exposures[::-1], "one": exposures[2:3],
             "dotted": [f"./{name}" for name in exposures]}[order]
    odd = write_fits(tmp_path, "odd_uncal.fits", {
        "OBSERVTN": "004", "TARGNAME": 'a|b "q"', "NOTE": "  lead", "EMPTY": "", "NUM": 1e-20,
        "HIERARCH ESO LONG KEY": 3})
    files = [*files, odd] if order != "one" else files
    done = _reference(["ref.csv", *flags, *files], tmp_path)
    assert done.returncode == 0, done.stderr
    assert run(parse(["ours.csv", *flags, *files])) == 0
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
def test_reference_also_refuses_a_missing_file(exposures: list[str], tmp_path: Path) -> None:
    done = _reference(["ref.csv", exposures[0], "nope_uncal.fits"], tmp_path)
    assert done.returncode != 0 and not (tmp_path / "ref.csv").exists()
