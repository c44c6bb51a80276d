"""Bounded, safe reads of every input (issue 20): what is not a regular file, a file past
its size bound, a YAML "billion laughs", nesting 100,000 deep, a member whose ``expname``
is a number, a pool format whose reader is missing, a byte-order mark, blank and
repeated column names, and a path holding a newline. Each is one line on stderr naming
the file, exit status 2, no traceback and nothing written; and pools in every format
astropy writes read as their text pool does.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

from asnfp.errors import AsnfpError, InputError, PoolError
from asnfp.io import load_asn
from asnfp.pool import read_pool
from asnfp.reading import MAX_DEPTH, check_depth, decode_json, load_yaml, open_regular
from tests.test_bad_input import (
    EXPECTED,
    GOOD,
    HEADER,
    ROW,
    assert_error,
    assert_nothing_written,
    one_line,
    pool,
    run,
)

ASN = {"asn_type": "image3", "asn_rule": "R", "asn_id": "o001", "products": [
    {"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"},
                              {"expname": "b_cal.fits", "exptype": "science"}]}]}
DEEP = "nests deeper than 64 levels"
LAUGHS = "its aliases expand to more than"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in ``tmp_path`` so that the file names in messages are the short ones given."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def laughs(levels: int = 9) -> str:
    """A YAML association whose aliases expand ``9 ** levels`` times (a billion at 9)."""
    names = "abcdefghijklmnopqrstuvwxyz"
    lines = ["asn_type: image3", "asn_rule: R", "a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in pairwise(names[:levels])]
    lines.append("products: [{name: p, members: [{expname: a_cal.fits, exptype: science}]}]")
    return "\n".join(lines) + "\n"


def nested(depth: int, yaml: bool = False) -> str:
    """A valid association but for a field nested ``depth`` lists deep."""
    deep = "[" * depth + "]" * depth
    if yaml:
        return f"asn_type: image3\nasn_rule: R\nproducts: []\nx: {deep}\n"
    return f'{{"asn_type": "image3", "asn_rule": "R", "products": [], "x": {deep}}}'


def write(folder: Path, name: str, text: str | bytes | dict) -> Path:
    path = folder / name
    data = json.dumps(text) if isinstance(text, dict) else text
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def process(folder: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``asnfp`` as a real process; it must end well within the timeout (a read that
    blocks would raise :class:`subprocess.TimeoutExpired`)."""
    return subprocess.run([sys.executable, "-m", "asnfp.cli", *argv], cwd=folder, capture_output=True,
                          text=True, timeout=60, check=False, env={**os.environ, **(env or {})})


# --- not a regular file -------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["generate", "/dev/zero", "-p", "out"],
    ["explain", "/dev/zero"],
    ["diff", "/dev/zero", "x.json"],
    ["validate", "/dev/zero"],
    ["make-pool", "out.csv", "/dev/zero"],
], ids=["generate", "explain", "diff", "validate", "make-pool"])
def test_a_device_is_refused_without_being_read(here: Path, capsys: pytest.CaptureFixture[str],
                                                argv: list[str]) -> None:
    write(here, "x.json", ASN)
    line = assert_error(run(argv, capsys), "asnfp: error: /dev/zero: is a character device, not a")
    assert line.endswith(("pool file", "association file", "FITS file")), line
    assert sorted(p.name for p in here.iterdir()) == ["x.json"]  # no out, no out.csv


def test_a_device_as_association_to_gather(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(``edit`` resolves links first, so a link to a device is no ``.json`` name for it;
    the FIFO test below reaches its reading.)"""
    (here / "dest").mkdir()
    for name in ("zero.json", "zero.yaml"):
        os.symlink("/dev/zero", here / name)
        assert_error(run(["gather", name, "dest"], capsys),
                     f"asnfp: error: {name}: is a character device, not an association file")
    assert files_in(here / "dest") == {}


@pytest.mark.parametrize("argv", [
    ["generate", "fifo", "-p", "out"],
    ["explain", "fifo"],
    ["generate", "fifo", "--pool-format", "fits", "-p", "out"],
    ["validate", "fifo.json"],
    ["validate", "fifo.yaml"],
    ["diff", "fifo.json", "x.json"],
    ["edit", "fifo.json", "-a", "x.fits"],
    ["gather", "fifo.yaml", "dest"],
    ["make-pool", "out.csv", "fifo"],
], ids=lambda argv: "-".join(argv[:2]) + ("-fits" if "fits" in argv else ""))
def test_a_fifo_without_a_writer_never_blocks(here: Path, argv: list[str]) -> None:
    for name in ("fifo", "fifo.json", "fifo.yaml"):
        os.mkfifo(here / name)
    write(here, "x.json", ASN)
    (here / "dest").mkdir()
    start = time.monotonic()
    done = process(here, *argv)
    assert time.monotonic() - start < 30
    line = one_line(done.stderr)
    assert done.returncode == 2, done.stderr
    name = argv[2] if argv[0] == "make-pool" else argv[1]
    shown = str(here / name) if argv[0] == "edit" else name  # edit names the resolved path
    assert line.startswith(f"asnfp: error: {shown}: is a FIFO (named pipe), not a"), line
    assert sorted(p.name for p in here.iterdir()) == ["dest", "fifo", "fifo.json", "fifo.yaml", "x.json"]
    assert files_in(here / "dest") == {}


def test_a_folder_or_a_socket_says_what_it_is(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "a.json").mkdir()
    assert_error(run(["validate", "a.json"], capsys), "asnfp: error: a.json: is a folder, not an association file")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(here / "sock.csv"))
        assert_error(run(["generate", "sock.csv", "-p", "out"], capsys),
                     "asnfp: error: sock.csv: is a socket, not a pool file")
    assert_nothing_written(here, here / "out")
    assert not (here / "out").exists()


def test_open_regular_opens_regular_files_only(here: Path) -> None:
    write(here, "a.txt", "abc")
    with open_regular(here / "a.txt") as handle:
        assert handle.read() == b"abc"
    with pytest.raises(InputError, match=r"is a folder, not a file$"):
        open_regular(here)
    with pytest.raises(FileNotFoundError):
        open_regular(here / "missing")


# --- size bounds --------------------------------------------------------------------------

def test_a_pool_past_its_bound_is_refused(here: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    name = pool(here, "pool.csv", GOOD)
    size = (here / name).stat().st_size
    monkeypatch.setenv("ASNFP_MAX_POOL_BYTES", str(size - 1))
    assert_error(run(["generate", name, "-p", "out"], capsys),
                 f"asnfp: error: pool.csv: is {size:,} bytes, more than the {size - 1:,}-byte bound for a pool "
                 "file (set ASNFP_MAX_POOL_BYTES to change it)")
    assert not (here / "out").exists()
    monkeypatch.setenv("ASNFP_MAX_POOL_BYTES", str(size))
    status, _, err = run(["generate", name, "-p", "out"], capsys)
    assert (status, err) == (0, "") and sorted(files_in(here / "out")) == EXPECTED


@pytest.mark.parametrize("argv", [["validate", "a.json"], ["diff", "a.json", "a.json"],
                                  ["edit", "a.json", "-a", "x.fits"], ["gather", "a.json", "dest"]],
                         ids=lambda argv: argv[0])
def test_an_association_past_its_bound_is_refused(here: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    path = write(here, "a.json", ASN)
    before, size = path.read_bytes(), path.stat().st_size
    (here / "dest").mkdir()
    monkeypatch.setenv("ASNFP_MAX_ASN_BYTES", "100")
    assert_error(run(argv, capsys), f"asnfp: error: {path if argv[0] == 'edit' else 'a.json'}: is {size:,} bytes, "
                                    "more than the 100-byte bound for an association file (set ASNFP_MAX_ASN_BYTES")
    assert path.read_bytes() == before and files_in(here / "dest") == {}


def test_a_bound_that_is_not_a_number_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    name = pool(here, "pool.csv", GOOD)
    monkeypatch.setenv("ASNFP_MAX_POOL_BYTES", "1 GiB")
    assert_error(run(["generate", name, "-p", "out"], capsys),
                 "asnfp: error: ASNFP_MAX_POOL_BYTES='1 GiB': not a number of bytes")
    assert not (here / "out").exists()


def test_a_compressed_pool_reads_as_its_text_and_is_bounded_decompressed(
        here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    plain, packed = pool(here, "pool.csv", GOOD), pool(here, "pool.csv.gz", gzip.compress(GOOD.encode()))
    assert read_pool(here / packed).rows == read_pool(here / plain).rows
    status, _, err = run(["generate", packed, "-p", "out"], capsys)
    assert (status, err) == (0, "") and sorted(files_in(here / "out")) == EXPECTED
    bomb = pool(here, "bomb.csv.gz", gzip.compress(GOOD.encode() + b"\n" * 10_000_000))
    assert (here / bomb).stat().st_size < 100_000
    monkeypatch.setenv("ASNFP_MAX_POOL_BYTES", "1000000")
    assert_error(run(["generate", bomb, "-p", "out2"], capsys),
                 "asnfp: error: bomb.csv.gz: decompresses to more than 1,000,000 bytes")
    assert not (here / "out2").exists()


# --- YAML aliases and deep nesting ----------------------------------------------------------

def test_billion_laughs_is_refused_everywhere(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, "laughs.yaml", laughs())
    write(here, "a_cal.fits", "")  # the member is there: gather would go on to write the expansion
    (here / "dest").mkdir()
    for argv in (["gather", "laughs.yaml", "dest"], ["validate", "laughs.yaml"],
                 ["diff", "laughs.yaml", "laughs.yaml"]):
        start = time.monotonic()
        assert_error(run(argv, capsys), "laughs.yaml", LAUGHS)
        assert time.monotonic() - start < 5, argv
    with pytest.raises(AsnfpError, match=LAUGHS):
        load_asn(here / "laughs.yaml")
    assert files_in(here / "dest") == {}


def test_billion_laughs_as_a_process_is_one_line(here: Path) -> None:
    """The reference's loader would build it; asnfp's gather used to crash (exit 139)."""
    write(here, "laughs.yaml", laughs())
    write(here, "a_cal.fits", "")
    (here / "dest").mkdir()
    done = process(here, "gather", "laughs.yaml", "dest")
    assert (done.returncode, done.stdout) == (2, "")
    assert LAUGHS in one_line(done.stderr) and files_in(here / "dest") == {}


def test_a_few_aliases_still_load(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("asn_type: image3\nasn_rule: R\nasn_id: o001\nproducts:\n"
            "- name: p\n  members:\n  - &m {expname: a_cal.fits, exptype: science}\n"
            "- name: q\n  members: [*m]\n")
    write(here, "a.yaml", text)
    status, _, err = run(["validate", "a.yaml"], capsys)
    assert (status, err) == (0, "")
    assert [p.members[0].expname for p in load_asn(here / "a.yaml").products] == ["a_cal.fits", "a_cal.fits"]
    assert load_yaml(laughs(levels=5)) is not None  # 9**5 nodes: within the bound


def test_a_yaml_key_holding_a_lone_surrogate_is_one_line(here: Path) -> None:
    """msgspec cannot take such a key: load_asn raised UnicodeEncodeError."""
    write(here, "s.yaml", 'asn_type: a\nasn_rule: r\n"\\ud800": 1\nproducts: []\n')
    with pytest.raises(AsnfpError, match="lone surrogate") as caught:
        load_asn(here / "s.yaml")
    assert "\n" not in str(caught.value)


def test_a_recursive_alias_is_refused(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, "loop.yaml", "products: &p [{name: p, members: *p}]\n")
    assert_error(run(["validate", "loop.yaml"], capsys), "loop.yaml", "an alias refers to a collection that holds it")


UNTYPED = [["edit", "deep.json", "-a", "x.fits"], ["gather", "deep.json", "dest"], ["gather", "deep.yaml", "dest"],
           ["validate", "deep.yaml"], ["diff", "deep.yaml", "deep.yaml"]]
TYPED = [["validate", "deep.json"], ["diff", "deep.json", "deep.json"]]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 2_000, 100_000])
@pytest.mark.parametrize("argv", UNTYPED + TYPED, ids=lambda argv: f"{argv[0]}-{argv[1]}")
def test_deep_nesting_is_refused(here: Path, capsys: pytest.CaptureFixture[str], argv: list[str], depth: int) -> None:
    """Values used as plain data (edit, gather, YAML) are refused past the bound; a typed
    JSON decode (validate, diff) skips an unknown field without building it, so only
    nesting its decoder cannot follow is refused there."""
    before = {name: write(here, name, nested(depth, name.endswith(".yaml"))).read_bytes()
              for name in ("deep.json", "deep.yaml")}
    (here / "dest").mkdir()
    if argv in TYPED and depth == MAX_DEPTH + 1:
        assert run(argv, capsys)[::2] == (0, "")
    else:
        assert_error(run(argv, capsys), "deep.", DEEP)
    assert {name: (here / name).read_bytes() for name in before} == before and files_in(here / "dest") == {}


def test_nesting_up_to_the_bound_is_read(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(here, "ok.json", nested(MAX_DEPTH - 1))
    status, _, err = run(["edit", "ok.json", "-a", "x.fits"], capsys)
    assert (status, err) == (0, "")
    assert json.loads((here / "ok.json").read_bytes())["products"] == []
    check_depth(decode_json(nested(MAX_DEPTH - 1).encode()))


# --- members that are not strings -----------------------------------------------------------

@pytest.mark.parametrize(("key", "value"), [("expname", 5), ("expname", None), ("exptype", ["science"])])
def test_edit_names_a_member_that_is_not_a_string(here: Path, capsys: pytest.CaptureFixture[str],
                                                  key: str, value: object) -> None:
    data = json.loads(json.dumps(ASN))
    data["products"][0]["members"][1][key] = value
    path = write(here, "x.json", data)
    before = path.read_bytes()
    assert_error(run(["edit", "x.json", "-r", "-i", "x_cal.fits"], capsys),
                 f"x.json: product 1, member 2: {key!r} is not a string")
    assert path.read_bytes() == before


# --- pool formats ---------------------------------------------------------------------------

def _text_pool() -> str:
    """A pool with upper-case values, an empty cell (the null fill) and two exposures."""
    second = ROW.replace("jw_00001_uncal", "JW_00002_UNCAL").replace("|null|", "||").replace("f560w", "F560W")
    return f"{HEADER}\n{ROW}\n{second}\n"


def _write_as(source: Path, target: Path, fmt: str) -> None:
    from astropy.io.ascii import convert_numpy
    from astropy.table import Table

    table = Table.read(source, format="ascii", delimiter="|", converters={"*": [convert_numpy(str)]})
    table.write(target, format=fmt, **({"path": "pool", "serialize_meta": True} if fmt == "hdf5" else {}))


FORMATS = [pytest.param(fmt, marks=pytest.mark.skipif(importlib.util.find_spec(module) is None,
                                                       reason=f"{module} is not installed"), id=fmt)
           for fmt, module in (("fits", "astropy"), ("ascii.ecsv", "astropy"), ("votable", "astropy"),
                               ("hdf5", "h5py"))]
REAL_POOL = Path("/work/shared/conformance/pools/pool_002_image_miri.csv")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", ["synthetic", "real"])
def test_a_pool_in_another_format_reads_and_generates_as_its_text(here: Path, capsys: pytest.CaptureFixture[str],
                                                                  fmt: str, source: str) -> None:
    if source == "real" and not REAL_POOL.is_file():
        pytest.skip(f"{REAL_POOL} is absent")
    (here / "text").mkdir()
    (here / "other").mkdir()
    text = here / "text" / "pool"
    text.write_bytes(REAL_POOL.read_bytes() if source == "real" else _text_pool().encode())
    other = here / "other" / "pool"  # the same name: asn_pool is written in every file
    _write_as(text, other, fmt)
    assert other.read_bytes() != text.read_bytes()
    want, got = read_pool(text), read_pool(other, fmt=fmt)
    assert got.columns == want.columns
    assert [dict(r) for r in got.rows] == [dict(r) for r in want.rows]
    for folder, args in (("text", []), ("other", ["--pool-format", fmt])):
        status, _, err = run(["generate", f"{folder}/pool", "-p", f"out_{folder}", *args], capsys)
        assert (status, err) == (0, "")
    assert files_in(here / "out_other") == files_in(here / "out_text") != {}


def test_a_missing_reader_package_is_one_line(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = [(fmt, module) for fmt, module in (("ascii.html", "bs4"), ("hdf5", "h5py"), ("parquet", "pyarrow"))
               if importlib.util.find_spec(module) is None]
    if not missing:
        pytest.skip("every optional reader is installed")
    name = pool(here, "pool.csv", GOOD)
    for fmt, _ in missing:
        line = assert_error(run(["generate", name, "--pool-format", fmt, "-p", "out"], capsys),
                            f"asnfp: error: pool.csv: cannot be read as {fmt!r}: a Python package its reader "
                            "needs is not installed (")
        assert line.endswith(")")
    assert not (here / "out").exists()


# --- byte-order mark and column names -----------------------------------------------------

@pytest.mark.parametrize("fast", [True, False])
def test_a_byte_order_mark_is_dropped(here: Path, fast: bool) -> None:
    plain, marked = pool(here, "plain.csv", GOOD), pool(here, "bom.csv", "\ufeff" + GOOD)
    got, want = read_pool(here / marked, fast=fast), read_pool(here / plain, fast=fast)
    assert got.columns[0] == "filename" and (got.columns, got.rows) == (want.columns, want.rows)


def test_a_pool_with_a_byte_order_mark_generates(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "bom.csv", "\ufeff" + GOOD.replace("\n", "\r\n"))  # CRLF: astropy's path
    status, _, err = run(["generate", name, "-p", "out"], capsys)
    assert (status, err) == (0, "") and sorted(files_in(here / "out")) == EXPECTED


@pytest.mark.parametrize("blank", [1, 3, 15])
def test_a_blank_column_name_is_named(here: Path, capsys: pytest.CaptureFixture[str], blank: int) -> None:
    names = HEADER.split("|")
    names[blank - 1] = " " if blank == 3 else ""
    name = pool(here, "pool.csv", "|".join(names) + f"\n{ROW}\n")
    assert_error(run(["generate", name, "-p", "out"], capsys), f"asnfp: error: pool.csv: column {blank} has no name")
    assert not (here / "out").exists()


@pytest.mark.parametrize(("first", "second"), [("program", "program"), ("program", "Program"), ("PROGRAM", "program")])
@pytest.mark.parametrize("fast", [True, False])
def test_two_columns_of_one_name_are_refused_naming_both(here: Path, first: str, second: str, fast: bool) -> None:
    names = HEADER.split("|")
    i = names.index("program")
    names[i] = first
    text = "|".join([*names, second]) + f"\n{ROW}|7\n"
    with pytest.raises(PoolError) as err:
        read_pool(pool(here, "pool.csv", text), fast=fast)
    assert str(err.value) == (f"pool.csv, column 'program': two columns have the same name "
                              f"(columns {i + 1} and {len(names) + 1}: {first!r} and {second!r})")


@pytest.mark.parametrize("fast", [True, False])
def test_a_column_named_like_a_renamed_one_is_kept(here: Path, fast: bool) -> None:
    """``program_1`` written in the header is a column of its own, not a renamed duplicate."""
    got = read_pool(here / pool(here, "pool.csv", f"{HEADER}|program_1\n{ROW}|7\n"), fast=fast)
    assert got.columns[-1] == "program_1" and got.rows[0]["program_1"] == "7"


# --- paths holding control characters -----------------------------------------------------

@pytest.mark.parametrize("content", [None, "A|a\n1|2\n", "x|y|\n1|2|3\n"], ids=["missing", "duplicate", "ragged"])
def test_a_path_with_a_newline_stays_on_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                 content: str | None) -> None:
    name = "bad\npool\x1b.csv"
    if content is not None:
        pool(here, name, content)
    line = assert_error(run(["generate", name, "-p", "out"], capsys), "asnfp: error: bad\\npool\\x1b.csv")
    assert "\x1b" not in line
    assert not (here / "out").exists()


@pytest.mark.parametrize("argv", [["validate", "a\nb.json"], ["diff", "a\nb.json", "a\nb.json"],
                                  ["edit", "a\nb.json", "-a", "x.fits"], ["gather", "a\nb.yaml", "dest"]],
                         ids=lambda argv: argv[0])
def test_an_association_path_with_a_newline_stays_on_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                              argv: list[str]) -> None:
    write(here, "a\nb.json", "[1]")
    write(here, "a\nb.yaml", "[1]")
    (here / "dest").mkdir()
    assert_error(run(argv, capsys), "a\\nb.")
