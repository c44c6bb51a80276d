"""``asnfp make-pool``: the pure table, the TARGNAME counting quirk, the one-line errors,
that ``generate`` takes the pool it makes, how a header is read (a keyword on several
cards, in several cases, with odd values; the primary header only), how a file name is
written (trailing whitespace dropped, non-ASCII kept, not-UTF-8 refused), and (with
``ASNFP_REFERENCE`` naming a Python with jwst, e.g. ``ASNFP_REFERENCE=/tmp/refvenv/bin/python``)
the same bytes as ``asn_make_pool`` on the same FITS files, written here and drawn by
hypothesis (one reference process for the whole drawn batch).

Every FITS file is written here, in ``tmp_path``: a primary header (and at most an
extension header) and no data.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import subprocess
import warnings
from pathlib import Path

import pytest
from astropy.io import fits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asnfp.api import associations
from asnfp.cli import main as cli_main
from asnfp.errors import AsnfpError
from asnfp.pool import read_pool
from asnfp.tools.mkpool import (
    EXTRA_COLUMNS,
    HeaderCard,
    add_parser,
    candidates_text,
    pool_bytes,
    pool_table,
    read_header,
    run,
)

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
    return [dict(zip(columns, row, strict=True)) for row in rows]


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
    with pytest.raises(AsnfpError, match=r"^out: is a folder, not a pool file$"):
        run(parse(["out", exposures[0]]))


def test_pool_in_a_missing_folder_is_refused(exposures: list[str]) -> None:
    with pytest.raises(AsnfpError, match=r"^no/such/pool\.csv: cannot write there"):
        run(parse(["no/such/pool.csv", exposures[0]]))


# --- how a header is read ---------------------------------------------------------------------

_PRIMARY = ("SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0")
_SCI = ("XTENSION= 'IMAGE   '", "BITPIX  =                    8", "NAXIS   =                    0",
        "PCOUNT  =                    0", "GCOUNT  =                    1", "EXTNAME = 'SCI     '")


def card_image(keyword: str, value: object) -> str:
    """The card astropy writes for ``keyword = value`` (several 80-byte cards for a long
    string: the CONTINUE convention)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(fits.Card(keyword, value).image)


def _block(cards: list[str]) -> bytes:
    text = "".join(card if len(card) % 80 == 0 and card else card.ljust(80) for card in [*cards, "END"])
    return (text + " " * (-len(text) % 2880)).encode("ascii")


def fits_bytes(cards: list[str], extension: list[str] | None = None) -> bytes:
    """A FITS file of raw cards (as written, so a keyword may repeat or be lower case): a
    primary header and, when given, a SCI extension header; no data."""
    if extension is None:
        return _block([*_PRIMARY, *cards])
    return _block([*_PRIMARY, "EXTEND  =                    T", *cards]) + _block([*_SCI, *extension])


def one_row(folder: Path, cards: list[str], name: str = "x.fits",
            extension: list[str] | None = None) -> dict[str, str]:
    """The pool row make-pool makes of one file of these cards."""
    (folder / name).write_bytes(fits_bytes(cards, extension))
    columns, rows = pool_table([read_header(str(folder / name))])
    return as_dicts(columns, rows)[0]


def test_a_repeated_keyword_names_the_observation_by_its_first_card_and_fills_its_column_from_its_last(
        tmp_path: Path) -> None:
    row = one_row(tmp_path, ["OBSERVTN= '001'", "TARGNAME= 'T1'", "OBSERVTN= '002'", "TARGNAME= 'T2'"])
    assert (row["asn_candidate"], row["observtn"], row["targname"]) == (
        "[('o001', 'observation')]", "002", "T2")


def test_a_keyword_in_several_cases_is_one_column(tmp_path: Path) -> None:
    """A standard keyword written in lower case is read upper case; a HIERARCH one keeps
    its case, is found by ``header["observtn"]`` and is the same column once lower-cased."""
    row = one_row(tmp_path, ["HIERARCH ObsErvtn = '007'", "observtn= '001'", "TARGNAME= 'T'",
                             "filter  = 'F200W'", "HIERARCH Mixed Key = 'mk'"])
    assert (row["asn_candidate"], row["observtn"], row["filter"], row["mixed key"]) == (
        "[('o007', 'observation')]", "001", "F200W", "mk")


def test_a_record_valued_observtn_is_found_only_when_no_plain_one_is(tmp_path: Path) -> None:
    row = one_row(tmp_path, ["OBSERVTN= 'AXIS.1: 7'", "TARGNAME= 'T'"])
    assert (row["asn_candidate"], row["observtn.axis.1"]) == ("[('o7.0', 'observation')]", "7.0")
    row = one_row(tmp_path, ["OBSERVTN= 'AXIS.1: 7'", "TARGNAME= 'T'", "OBSERVTN= '003'"], "y.fits")
    assert row["asn_candidate"] == "[('o003', 'observation')]"
    # a HIERARCH keyword with a dot is not a record: astropy's header["observtn"] does not find it
    (tmp_path / "z.fits").write_bytes(fits_bytes(["HIERARCH OBSERVTN.AXIS = 7.0", "TARGNAME= 'T'"]))
    with pytest.raises(AsnfpError, match=r"z\.fits: no OBSERVTN keyword in the primary header$"):
        pool_table([read_header(str(tmp_path / "z.fits"))])


@pytest.mark.parametrize(("cards", "expected"), [
    ([], "n.fits"),
    ([("FILENAME", "other")], "n.fits"),
    ([("FILENAME", "first"), ("FILENAME", "second")], "second"),  # the name went into the first
    ([("FILENAME", "first"), ("FileName", "hierarch")], "hierarch"),
    ([("FileName", "hierarch")], "n.fits"),
    ([("FILENAME", None), ("FILENAME", True)], "True"),
], ids=["none", "one", "two", "then-hierarch", "hierarch", "odd-values"])
def test_the_file_name_goes_into_the_first_filename_card(cards: list[tuple[str, object]], expected: str) -> None:
    header = [("OBSERVTN", "001"), ("TARGNAME", "T"), *cards]
    assert as_dicts(*pool_table([("n.fits ", header)]))[0]["filename"] == expected


def test_values_are_as_astropy_reads_them(tmp_path: Path) -> None:
    long = "a long value | with a bar, " * 4
    row = one_row(tmp_path, [
        "OBSERVTN=", "TARGNAME= 'T   '", "BLANK   =", "BOOL    = F", "INT     = 00012", "FD      = 1.5D3",
        "CPLX    = (1.0, 2.0)", "LEAD    = '  lead'", "EMPTY   = ''", "SPACES  = '    '", "QUOTE   = 'it''s'",
        card_image("LONG", long), "COMMENT a comment", "HISTORY a history", "        a blank keyword"])
    assert row["asn_candidate"] == "[('oNone', 'observation')]"
    assert {k: row[k] for k in ("observtn", "targname", "blank", "bool", "int", "fd", "cplx", "lead", "empty",
                                "spaces", "quote")} == {
        "observtn": "None", "targname": "T", "blank": "None", "bool": "False", "int": "12", "fd": "1500.0",
        "cplx": "(1+2j)", "lead": "  lead", "empty": "", "spaces": "", "quote": "it's"}
    assert row["long"] == long.rstrip()
    assert not {"comment", "history", ""} & set(row)


def test_only_the_primary_header_is_read(tmp_path: Path) -> None:
    row = one_row(tmp_path, ["OBSERVTN= '001'", "TARGNAME= 'T'"],
                  extension=["OBSERVTN= '999'", "SCIONLY = 'x'", "TARGNAME= 'U'"])
    assert (row["observtn"], row["targname"], "sciOnly".lower() in row) == ("001", "T", False)


def test_an_unparsable_card_is_one_line(exposures: list[str], tmp_path: Path) -> None:
    (tmp_path / "nan.fits").write_bytes(fits_bytes(["OBSERVTN= '001'", "TARGNAME= 'T'", "NANV    = NAN"]))
    with pytest.raises(AsnfpError) as err:
        run(parse(["pool.csv", exposures[0], "nan.fits"]))
    assert str(err.value).startswith("nan.fits: ") and "NANV" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "pool.csv").exists()


def test_header_cards_in_order() -> None:
    """A header is its cards in order; a mapping is taken as such a list."""
    cards = [HeaderCard("OBSERVTN", "001"), ("TARGNAME", "T"), HeaderCard("DP1.AXIS.1", 1.0, "DP1")]
    assert as_dicts(*pool_table([("a", cards)]))[0]["dp1.axis.1"] == "1.0"
    assert pool_table([("a", {"OBSERVTN": "001", "TARGNAME": "T"})]) == pool_table([("a", cards[:2])])


# --- how a file name is written -----------------------------------------------------------------

def test_trailing_whitespace_leaves_the_cell_not_the_file_opened(exposures: list[str], tmp_path: Path) -> None:
    for name in ("a.fits ", " b.fits", "c d.fits  "):
        write_fits(tmp_path, name, {"OBSERVTN": "001", "TARGNAME": "T"})
    assert run(parse(["pool.csv", "a.fits ", " b.fits", "c d.fits  ", "./a.fits "])) == 0
    lines = (tmp_path / "pool.csv").read_text().splitlines()
    column = lines[0].split("|").index("filename")
    assert [line.split("|")[column] for line in lines[1:]] == ["a.fits", " b.fits", "c d.fits", "./a.fits"]
    # the name is opened as given: the name less its space is another file
    with pytest.raises(AsnfpError, match=r"^a\.fits: no such file$"):
        run(parse(["pool2.csv", "a.fits"]))
    with pytest.raises(AsnfpError, match=f"^{exposures[0]} : no such file$"):
        run(parse(["pool2.csv", exposures[0] + " "]))
    assert not (tmp_path / "pool2.csv").exists()


def test_any_trailing_whitespace_is_dropped() -> None:
    """The reference refuses a tab or a newline in a name (a FITS card holds printable
    ASCII); asnfp drops it at the end of the name, as astropy drops trailing spaces."""
    header = {"OBSERVTN": "001", "TARGNAME": "T"}
    assert as_dicts(*pool_table([("a.fits \t\n", header)]))[0]["filename"] == "a.fits"
    assert as_dicts(*pool_table([(" a\tb.fits", header)]))[0]["filename"] == " a\tb.fits"


def test_a_non_ascii_name_is_written_as_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference stops with a traceback (ValueError: a FITS card holds printable ASCII)."""
    monkeypatch.chdir(tmp_path)
    name = "café ☃ ñ.fits "
    write_fits(tmp_path, name, {"OBSERVTN": "001", "TARGNAME": "T"})
    assert cli_main(["make-pool", "pool.csv", name]) == 0
    assert "café ☃ ñ.fits|".encode() in (tmp_path / "pool.csv").read_bytes()
    assert read_pool(tmp_path / "pool.csv").rows[0]["filename"] == name.rstrip()


def test_a_name_that_is_not_utf8_is_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    name = os.fsdecode(b"bad\xff.fits")
    try:
        write_fits(tmp_path, name, {"OBSERVTN": "001", "TARGNAME": "T"})
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take a name that is not UTF-8")
    assert cli_main(["make-pool", "pool.csv", name]) == 2
    assert capsys.readouterr().err == (
        "asnfp: error: bad\\udcff.fits: the name is not UTF-8 text, which a pool file must be\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


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


# --- differential, drawn: headers and names from hypothesis, one reference process ------------

#: How a keyword is spelled on its card: as FITS has it, in lower case (astropy reads it
#: upper case), or HIERARCH in a mixed case (astropy keeps the case).
_SPELLINGS = ("upper", "lower", "hierarch")
_KEYWORDS = ("OBSERVTN", "TARGNAME", "FILENAME", "FILTER", "EXP_TYPE", "DMS_NOTE", "TARGETID", "NOTE")
_PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)
_VALUES = st.one_of(
    st.text(_PRINTABLE, max_size=20),
    st.text(_PRINTABLE, min_size=60, max_size=200),  # past 68 characters: CONTINUE cards
    st.sampled_from(["", " ", "  lead", "trail  ", "a|b", "|", "'", '"q"', "it's", "None", "null"]),
    st.booleans(), st.none(), st.integers(-10**25, 10**25),
    st.floats(allow_nan=False, allow_infinity=False),
    st.complex_numbers(max_magnitude=1e10, allow_nan=False, allow_infinity=False),
)
#: Raw cards astropy reads in odd ways: record-valued keywords, a HIERARCH keyword with a
#: dot, a keyword that reads as "HIERARCH FILENAME", cards with no value.
_ODD_CARDS = st.sampled_from([
    "DP1     = 'AXIS.1: 1'", "OBSERVTN= 'AXIS.1: 7'", "HIERARCH OBSERVTN.AXIS = 7.0",
    "HIERARCH HIERARCH FILENAME = 'hh'", "OBSERVTN=", "TARGNAME=", "FILENAME= T", "HIERARCH filename = 'h'",
    "FILENAME= 'A.B: 2'", "HIERARCH COMMENT = 'c'", "HIERARCH history = 'h'", "HIERARCH targname = 'lower'",
    "HIERARCH A|B = 1", "HIERARCH Two Words = 'x'", 'HIERARCH Q"T = 2',
])
#: Cards astropy cannot parse (a file holding one is refused by both).
_BAD_CARDS = st.sampled_from(["NANV    = NAN", "BADSTR  = 'abc", "CONTINUE  'orphan'"])
_NAME_CHARACTERS = "abcxyzABC0189_.+-=,;()#|'\"&"


def _rarely(one_in: int) -> st.SearchStrategy[bool]:
    """True about once in ``one_in`` draws (hypothesis draws a small integer's 0 far more often)."""
    return st.sampled_from([False] * (one_in - 1) + [True])


def _spelled(keyword: str, value: object, spelling: str) -> str:
    if spelling == "hierarch":
        try:
            return card_image(f"HIERARCH {keyword.capitalize()}", value)
        except ValueError:  # too long for a HIERARCH card
            spelling = "upper"
    image = card_image(keyword, value)
    return image[:8].lower() + image[8:] if spelling == "lower" else image


@st.composite
def _cards(draw: st.DrawFn) -> list[str]:
    """A primary header's cards: drawn ones (now and then one astropy cannot parse), and
    OBSERVTN and TARGNAME (nearly always)."""
    card = st.one_of(
        st.builds(_spelled, st.sampled_from(_KEYWORDS), _VALUES, st.sampled_from(_SPELLINGS)),
        st.builds(card_image, st.sampled_from(["COMMENT", "HISTORY", ""]), st.text(_PRINTABLE, max_size=100)),
        _ODD_CARDS,
    )
    cards = draw(st.lists(card, max_size=8))
    if draw(_rarely(30)):
        cards.insert(draw(st.integers(0, len(cards))), draw(_BAD_CARDS))
    for keyword, value in (("OBSERVTN", "001"), ("TARGNAME", "NGC 1")):
        if not draw(_rarely(20)):
            spelling = draw(st.sampled_from(_SPELLINGS))
            cards.insert(draw(st.integers(0, len(cards))),
                         _spelled(keyword, draw(st.sampled_from([value, 2])), spelling))
    return cards


@st.composite
def _names(draw: st.DrawFn) -> str:
    """A file name: leading or trailing spaces, now and then a character that is not ASCII."""
    base = draw(st.text(st.sampled_from(_NAME_CHARACTERS), min_size=1, max_size=8))
    middle = draw(st.sampled_from(["", "", "", "", "", " ", "é", "☃"]))
    lead, trail = draw(st.sampled_from(["", "", "", " ", "  "])), draw(st.sampled_from(["", "", " ", "  "]))
    return f"{lead}f{base}{middle}.fits{trail}"


@st.composite
def _cases(draw: st.DrawFn) -> dict[str, object]:
    names = draw(st.lists(_names(), min_size=1, max_size=3, unique=True))
    files = [{"name": name, "cards": draw(_cards()), "gzip": draw(_rarely(10)),
              "extension": draw(st.none() | st.lists(st.builds(card_image, st.sampled_from(_KEYWORDS), _VALUES),
                                                     max_size=3))} for name in names]
    # mostly the files, sometimes one of them twice, rarely a name less or more a space (another file)
    argv = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4))
    if draw(_rarely(30)):
        argv[0] = argv[0].rstrip() if argv[0] != argv[0].rstrip() else argv[0] + " "
    flags = draw(st.sampled_from([[], ["--asn-candidate", "[('c1000', 'background')]"],
                                  ["--dms-note", "n|1", "--is-imprt", "t", "--pntgtype", "target_acquisition"]]))
    return {"files": files, "argv": [*flags, *argv]}


def _ascii_twin(name: str) -> str:
    """The name with each character that is not ASCII spelled out, as the reference can take it."""
    return "".join(c if c.isascii() else f"~{ord(c):x}~" for c in name)


def _drawn_cases(count: int) -> list[dict[str, object]]:
    """``count`` cases drawn by hypothesis (collected, then run as one batch)."""
    drawn: list[dict[str, object]] = []

    @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_cases())
    def collect(case: dict[str, object]) -> None:
        drawn.append(case)

    collect()
    return drawn


def _write_case(folder: Path, case: dict[str, object]) -> None:
    """The case's files in ``folder``, each also under its ASCII twin's name for the reference."""
    folder.mkdir()
    for spec in case["files"]:  # type: ignore[attr-defined]
        data = fits_bytes(spec["cards"], spec["extension"])
        data = gzip.compress(data, mtime=0) if spec["gzip"] else data
        for name in {spec["name"], _ascii_twin(spec["name"])}:
            (folder / name).write_bytes(data)


_REFERENCE_BATCH = r"""
import contextlib, io, json, logging, os, sys, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from jwst.scripts.asn_make_pool import main

runs, results = sys.argv[1:3]
outcomes = []
for folder, argv in json.loads(open(runs, encoding="utf-8").read()):
    os.chdir(folder)
    sys.argv = ["asn_make_pool", *argv]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main()
        outcomes.append("ok")
    except BaseException as err:  # an argparse exit too
        outcomes.append(type(err).__name__)
with open(results, "w", encoding="utf-8") as out:
    json.dump(outcomes, out)
"""


def _reference_batch(folder: Path, runs: list[tuple[str, list[str]]]) -> list[str]:
    """Each run's outcome in one reference process: ``ok`` or the exception's type name."""
    (folder / "runs.json").write_text(json.dumps(runs), encoding="utf-8")
    done = subprocess.run([str(REFERENCE), "-c", _REFERENCE_BATCH, str(folder / "runs.json"),
                           str(folder / "outcomes.json")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    outcomes: list[str] = json.loads((folder / "outcomes.json").read_text(encoding="utf-8"))
    return outcomes


def _ours(folder: Path, argv: list[str]) -> tuple[int, str]:
    """asnfp's status and standard error for the run, in ``folder``."""
    err = io.StringIO()
    with contextlib.chdir(folder), contextlib.redirect_stderr(err):
        status = cli_main(["make-pool", "ours.csv", *argv])
    return status, err.getvalue()


def _expected(case_folder: Path, argv: list[str]) -> bytes:
    """The reference's pool for the ASCII twins of the names, the names put back."""
    data = (case_folder / "ref.csv").read_bytes()
    for name in set(argv) - {_ascii_twin(name) for name in argv}:
        twin, name = _ascii_twin(name).rstrip(), name.rstrip()
        for quoted in (True, False):  # in a quoted cell (a name with a "|" or a '"'), '"' is doubled
            data = data.replace(_doubled(twin, quoted).encode(), _doubled(name, quoted).encode())
    return data


def _doubled(text: str, quoted: bool) -> str:
    return text.replace('"', '""') if quoted else text


def _compare(folder: Path, case: dict[str, object], outcome: str, outcome_as_given: str | None) -> None:
    argv: list[str] = case["argv"]  # type: ignore[assignment]
    status, err = _ours(folder, argv)
    shown = json.dumps(case)
    if outcome_as_given is not None:  # a name not ASCII: the reference stops (a FITS card is ASCII)
        assert outcome_as_given != "ok", shown
    if outcome == "ok":
        assert status == 0, f"{err}\n{shown}"
        assert (folder / "ours.csv").read_bytes() == _expected(folder, argv), shown
    else:
        assert status == 2 and err.startswith("asnfp: error: ") and err.count("\n") == 1, f"{err}\n{shown}"
        assert not (folder / "ours.csv").exists() and not (folder / "ref.csv").exists(), shown
        assert not [p for p in folder.iterdir() if p.name.startswith(".asnfp")], shown


@pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")
def test_drawn_headers_and_names_give_the_same_bytes_as_the_reference(tmp_path: Path) -> None:
    """Drawn cases (1-3 files of drawn cards, 1-4 names given, one of three flag sets), each
    run by asnfp and, in one process for them all, by the reference: the same pool bytes,
    or both refuse (asnfp in one line, exit 2, no file). A name that is not ASCII stops the
    reference: it runs on the name's ASCII twin, and asnfp's pool must be that one, the
    name put back."""
    cases = _drawn_cases(int(os.environ.get("ASNFP_MKPOOL_CASES", "250")))
    runs: list[tuple[str, list[str]]] = []
    for n, case in enumerate(cases):
        folder = tmp_path / f"case{n}"
        _write_case(folder, case)
        argv: list[str] = case["argv"]  # type: ignore[assignment]
        runs.append((str(folder), ["ref.csv", *(_ascii_twin(a) for a in argv)]))
        if any(not a.isascii() for a in argv):
            runs.append((str(folder), ["given.csv", *argv]))
    outcomes = iter(_reference_batch(tmp_path, runs))
    tally: dict[str, int] = {}
    for n, case in enumerate(cases):
        outcome = next(outcomes)
        as_given = next(outcomes) if any(not a.isascii() for a in case["argv"]) else None  # type: ignore[attr-defined]
        _compare(tmp_path / f"case{n}", case, outcome, as_given)
        kind = ("same bytes" if outcome == "ok" else "both refuse") + (", name not ASCII" if as_given else "")
        tally[kind] = tally.get(kind, 0) + 1
    print(f"\n{len(cases)} drawn cases agree with the reference: {tally}")
