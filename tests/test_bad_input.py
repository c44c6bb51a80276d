"""Bad input: one clear line on stderr naming the file (row, column where known), exit
status 2, and no association files (nor staging folders) left behind. Never a traceback.

Every pool is built in ``tmp_path``; the one real pool used is skipped when absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asnfp.cli import main

HEADER = ("filename|program|obs_num|exp_type|instrume|detector|targetid|pntgtype|filter|pupil|"
          "subarray|visitype|bkgdtarg|tsovisit|asn_candidate")
ROW = ("jw_00001_uncal.fits|99009|1|mir_image|miri|mirimage|1|science|f560w|null|full|"
       "prime_targeted_fixed|f|f|[('o001', 'observation')]")
GOOD = f"{HEADER}\n{ROW}\n"
EXPECTED = ["jw99009-o001_image2_00001_asn.json", "jw99009-o001_image3_00001_asn.json"]
REAL_POOL = Path("/work/shared/conformance/pools/jw93060_20150312T160130_pool.csv")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# --- helpers ----------------------------------------------------------------------------

@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in ``tmp_path`` so that the file names in messages are the short ones given."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pool(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return name


def without(column: str) -> str:
    header, row = HEADER.split("|"), ROW.split("|")
    i = header.index(column)
    return "|".join(header[:i] + header[i + 1:]) + "\n" + "|".join(row[:i] + row[i + 1:]) + "\n"


def with_candidate(cell: str, *, row: int = 1) -> str:
    """A pool of ``row`` rows whose last row's ``asn_candidate`` cell is ``cell``."""
    bad = ROW.replace("[('o001', 'observation')]", cell)
    return HEADER + "\n" + "".join(f"{ROW}\n" for _ in range(row - 1)) + bad + "\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``asnfp`` in-process: (status, stdout, stderr). argparse errors exit by raising."""
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err: str) -> str:
    """The single line on stderr (asserts there is exactly one, non-empty, no traceback)."""
    assert err.endswith("\n"), repr(err)
    lines = err[:-1].split("\n")
    assert len(lines) == 1 and lines[0].strip(), repr(err)
    assert "Traceback" not in err
    return lines[0]


def asn_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*_asn.*")) if folder.is_dir() else []


def assert_nothing_written(root: Path, out: Path, allowed: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """No association files in ``out`` (but the ``allowed`` ones that were there before),
    and no staging folder in ``out`` or ``root``."""
    assert [name for name in asn_files(out) if name not in allowed] == []
    for folder in (root, out):
        if folder.is_dir():
            assert not [p.name for p in folder.iterdir() if p.name.startswith(".asnfp-")]


def assert_error(result: tuple[int, str, str], *parts: str, status: int = 2) -> str:
    code, _, err = result
    line = one_line(err)
    assert code == status, line
    for part in parts:
        assert part in line, (part, line)
    return line


# --- the pool file itself ---------------------------------------------------------------

def test_good_pool_is_the_baseline(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    status, _, err = run(["generate", name, "-p", "out"], capsys)
    assert (status, err) == (0, "")
    assert asn_files(here / "out") == EXPECTED
    assert_nothing_written(here, here / "nowhere")


@pytest.mark.parametrize(
    ("name", "content", "parts"),
    [
        pytest.param("junk.csv", b"\xff\xfe\x00\x81junk\n\x80\n", ("asnfp: error: junk.csv: ",
                     "is not a text table", "offset 0"), id="binary-junk"),
        pytest.param("empty.csv", b"", ("asnfp: error: empty.csv: is empty",), id="empty-file"),
        pytest.param("blank.csv", "\n  \n\n", ("blank.csv: has no header line",), id="blank-lines-only"),
        pytest.param("comments.csv", "# only a comment\n", ("comments.csv: has no header line",),
                     id="comments-only"),
        pytest.param("ragged.csv", f"{HEADER}\n{ROW}|extra\n",
                     ("asnfp: error: ragged.csv, row 1: has a different number of fields from the "
                      "header (15, split on '|')",), id="ragged-more-fields"),
        pytest.param("short.csv", f"{HEADER}\n{ROW}\njw_2_uncal.fits|99009\n",
                     ("short.csv, row 2: has a different number of fields",), id="ragged-fewer-fields"),
        pytest.param("ragged3.csv", f"# c\n\n{HEADER}\n{ROW}\n\n# c2\n{ROW}\n{ROW}|x\n",
                     ("ragged3.csv, row 3: ",), id="ragged-row-counts-data-rows-only"),
        pytest.param("dup.csv", "A|a\n1|2\n",
                     ("asnfp: error: dup.csv, column 'a': two columns have the same name",),
                     id="duplicate-columns-after-lower-casing"),
        pytest.param("cand35.csv", with_candidate("3.5"),
                     ("asnfp: error: cand35.csv: row 1, column 'asn_candidate': "
                      "cannot read the candidates '3.5'",), id="asn_candidate-float"),
        pytest.param("cand1.csv", with_candidate("[1]", row=2),
                     ("cand1.csv: row 2, column 'asn_candidate': cannot read the candidates '[1]'",),
                     id="asn_candidate-list-of-int-on-row-2"),
    ],
)
def test_unreadable_pool_content(here: Path, capsys: pytest.CaptureFixture[str], name: str,
                                 content: str | bytes, parts: tuple[str, ...]) -> None:
    pool(here, name, content)
    assert_error(run(["generate", name, "-p", "out"], capsys), *parts)
    assert_nothing_written(here, here / "out")


@pytest.mark.parametrize("column", ["filename", "exp_type", "pntgtype", "program", "targetid",
                                    "asn_candidate"])
def test_missing_column(here: Path, capsys: pytest.CaptureFixture[str], column: str) -> None:
    name = pool(here, f"no_{column}.csv", without(column))
    assert_error(run(["generate", name, "-p", "out"], capsys),
                 f"asnfp: error: no_{column}.csv, column '{column}': the pool has no such column")
    assert_nothing_written(here, here / "out")


def test_missing_pool_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_error(run(["generate", "missing.csv", "-p", "out"], capsys),
                 "asnfp: error: missing.csv: no such file")
    assert_nothing_written(here, here / "out")


def test_folder_given_as_pool(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "adir").mkdir()
    assert_error(run(["generate", "adir", "-p", "out"], capsys),
                 "asnfp: error: adir: is a folder, not a pool file")
    assert_nothing_written(here, here / "out")


@pytest.mark.skipif(IS_ROOT, reason="root can read a chmod 000 file")
def test_unreadable_pool(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "locked.csv", GOOD)
    (here / name).chmod(0)
    try:
        assert_error(run(["generate", name, "-p", "out"], capsys),
                     "asnfp: error: locked.csv: cannot be read (permission denied)")
    finally:
        (here / name).chmod(0o644)
    assert_nothing_written(here, here / "out")


def test_header_only_pool_succeeds_with_no_files(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Decided: a pool with no rows is not an error (the reference crashes on ``pool[0]``);
    it makes no associations, prints nothing, exits 0."""
    name = pool(here, "header.csv", f"{HEADER}\n")
    status, out, err = run(["generate", name, "-p", "out"], capsys)
    assert (status, out, err) == (0, "", "")
    assert_nothing_written(here, here / "out")


def test_wrong_delimiter_names_the_first_bad_row(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``-d ,`` on a ``|`` pool: the header is one field, the row (commas in its candidate
    list) is two, so the row is named."""
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "-d", ",", "-p", "out"], capsys),
                 "asnfp: error: pool.csv, row 1: has a different number of fields from the header "
                 "(1, split on ',')")
    assert_nothing_written(here, here / "out")


def test_wrong_delimiter_one_big_column(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A delimiter found nowhere reads one big column; the error says so."""
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "-d", ";", "-p", "out"], capsys),
                 "pool.csv, column 'filename': the pool has no such column",
                 "only one column was read: is -d right?")
    assert_nothing_written(here, here / "out")


@pytest.mark.parametrize("delimiter", ["", "||"])
def test_impossible_delimiter(here: Path, capsys: pytest.CaptureFixture[str], delimiter: str) -> None:
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "-d", delimiter, "-p", "out"], capsys),
                 f"asnfp: error: pool.csv: cannot be read as a 'ascii' table with delimiter {delimiter!r}")
    assert_nothing_written(here, here / "out")


def test_unknown_pool_format(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "--pool-format", "bogus", "-p", "out"], capsys),
                 "asnfp: error: pool.csv: no reader for the pool format 'bogus'")
    assert_nothing_written(here, here / "out")


def test_real_pool_without_asn_candidate(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not REAL_POOL.is_file():
        pytest.skip(f"{REAL_POOL} is absent")
    assert_error(run(["generate", str(REAL_POOL), "-p", "out"], capsys),
                 f"asnfp: error: {REAL_POOL}, column 'asn_candidate': the pool has no such column")
    assert_nothing_written(here, here / "out")


# --- the output folder --------------------------------------------------------------------

def test_output_path_is_an_existing_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    (here / "afile").write_text("keep me\n")
    assert_error(run(["generate", name, "-p", "afile"], capsys),
                 "asnfp: error: afile: exists and is not a folder")
    assert (here / "afile").read_text() == "keep me\n"
    assert_nothing_written(here, here / "afile")


def test_output_path_below_a_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    (here / "afile").write_text("keep me\n")
    assert_error(run(["generate", name, "-p", "afile/sub"], capsys),
                 "asnfp: error: afile/sub: cannot write there")
    assert_nothing_written(here, here / "afile")


@pytest.mark.skipif(IS_ROOT, reason="root can write into a read-only folder")
@pytest.mark.parametrize("sub", [".", "new/deeper"])
def test_output_path_in_read_only_folder(here: Path, capsys: pytest.CaptureFixture[str], sub: str) -> None:
    name = pool(here, "pool.csv", GOOD)
    ro = here / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    target = "ro" if sub == "." else f"ro/{sub}"
    try:
        assert_error(run(["generate", name, "-p", target], capsys),
                     f"asnfp: error: {target}: cannot write there (Permission denied)")
    finally:
        ro.chmod(0o755)
    assert_nothing_written(here, ro)
    assert list(ro.iterdir()) == []


def test_output_path_nested_and_missing_is_created(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    status, _, err = run(["generate", name, "-p", "a/b/c"], capsys)
    assert (status, err) == (0, "")
    assert asn_files(here / "a" / "b" / "c") == EXPECTED
    for folder in (here, here / "a", here / "a" / "b", here / "a" / "b" / "c"):
        assert not [p for p in folder.iterdir() if p.name.startswith(".asnfp-")]


def test_orphan_table_onto_a_folder_writes_nothing(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The clash is found before any file moves in: no association files either."""
    name = pool(here, "pool.csv", GOOD)
    (here / "out" / "orphans.csv").mkdir(parents=True)
    assert_error(run(["generate", name, "-p", "out", "--save-orphans", "orphans.csv"], capsys),
                 "asnfp: error: out/orphans.csv: exists and is a folder, not a file")
    assert_nothing_written(here, here / "out")


def test_orphan_table_named_inside_a_new_output_folder(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An absolute orphan path inside the new ``-p`` folder is a name in it (as the
    reference writes it when the folder exists); one outside goes there."""
    name = pool(here, "pool.csv", GOOD)
    status, _, err = run(["generate", name, "-p", "out", "--save-orphans", str(here / "out" / "orphans.csv")], capsys)
    assert (status, err) == (0, "")
    assert asn_files(here / "out") == EXPECTED and (here / "out" / "orphans.csv").is_file()
    assert_error(run(["generate", name, "-p", "out2", "--save-orphans", str(here / "elsewhere" / "o.csv")], capsys),
                 "--save-orphans", "no such folder")  # (no writer makes a folder that a name implies)
    assert not (here / "out2").exists() and not (here / "elsewhere").exists()
    (here / "elsewhere").mkdir()
    status, _, err = run(["generate", name, "-p", "out2", "--save-orphans", str(here / "elsewhere" / "o.csv")], capsys)
    assert (status, err) == (0, "")
    assert asn_files(here / "out2") == EXPECTED and (here / "elsewhere" / "o.csv").read_text().startswith("filename")
    assert_nothing_written(here, here / "nowhere")
    assert_nothing_written(here / "elsewhere", here / "nowhere")


def test_orphan_table_that_cannot_be_written_outside_writes_nothing(here: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    (here / "file").write_text("a file, not a folder")
    assert_error(run(["generate", name, "-p", "out", "--save-orphans", str(here / "file" / "o.csv")], capsys),
                 "asnfp: error: ", "file")
    assert not (here / "out").exists()
    assert_nothing_written(here, here / "out")


# --- flags ------------------------------------------------------------------------------

def test_bogus_output_format(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "--format", "bogus", "-p", "out"], capsys),
                 "asnfp generate: error: argument --format: invalid choice: 'bogus'")
    assert_nothing_written(here, here / "out")


def test_conflicting_ids_and_discover(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "-i", "o001", "--discover", "-p", "out"], capsys),
                 "asnfp generate: error: argument --discover: not allowed with argument -i/--ids")
    assert_nothing_written(here, here / "out")


def test_unknown_candidate_id_warns_and_writes_nothing(here: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    status, out, err = run(["generate", name, "-i", "o999", "-p", "out"], capsys)
    assert one_line(err) == "asnfp: warning: candidate id o999 not found in pool"
    assert (status, out) == (0, "")
    assert_nothing_written(here, here / "out")


# --- as the user sees it: a real process, no traceback ----------------------------------

def _process(here: Path, *argv: str, setpriv: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*setpriv, sys.executable, "-m", "asnfp.cli", *argv], cwd=here,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(
    ("files", "argv", "part"),
    [
        ({}, ["generate", "missing.csv", "-p", "out"], "missing.csv: no such file"),
        ({"junk.csv": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"}, ["generate", "junk.csv", "-p", "out"],
         "junk.csv: is not a text table"),
        ({"ragged.csv": f"{HEADER}\n{ROW}|extra\n"}, ["generate", "ragged.csv", "-p", "out"],
         "ragged.csv, row 1: "),
        ({"pool.csv": without("asn_candidate")}, ["generate", "pool.csv", "-p", "out"],
         "pool.csv, column 'asn_candidate': "),
        ({"pool.csv": GOOD}, ["generate", "pool.csv", "--pool-format", "bogus", "-p", "out"],
         "pool.csv: no reader for the pool format 'bogus'"),
        ({"pool.csv": GOOD}, ["generate", "pool.csv", "--format", "bogus", "-p", "out"],
         "argument --format: invalid choice"),
        ({"pool.csv": GOOD}, ["generate", "pool.csv", "-i", "o001", "--discover", "-p", "out"],
         "not allowed with argument -i/--ids"),
    ],
    ids=["missing", "junk", "ragged", "no-asn_candidate", "pool-format", "format", "ids-and-discover"],
)
def test_no_traceback_reaches_the_user(here: Path, files: dict[str, str | bytes], argv: list[str],
                                       part: str) -> None:
    for name, content in files.items():
        pool(here, name, content)
    done = _process(here, *argv)
    line = one_line(done.stderr)
    assert done.returncode == 2, done.stderr
    assert part in line and done.stdout == ""
    assert_nothing_written(here, here / "out")


def _cap_dropper(here: Path) -> tuple[str, ...]:
    """As root, a prefix that drops the capabilities to bypass file permissions, if that
    works here; as anyone else, nothing."""
    if not IS_ROOT:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be tested")
    prefix = (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--")
    probe = here / "probe"
    probe.write_text("x")
    probe.chmod(0)
    denied = subprocess.run([*prefix, "cat", str(probe)], capture_output=True, check=False).returncode
    probe.chmod(0o644)
    if denied == 0:
        pytest.skip("cannot drop root's file-permission capabilities here")
    return prefix


def test_unreadable_pool_as_a_process(here: Path) -> None:
    prefix = _cap_dropper(here)
    name = pool(here, "locked.csv", GOOD)
    (here / name).chmod(0)
    try:
        done = _process(here, "generate", name, "-p", "out", setpriv=prefix)
    finally:
        (here / name).chmod(0o644)
    assert one_line(done.stderr) == "asnfp: error: locked.csv: cannot be read (permission denied)"
    assert done.returncode == 2
    assert_nothing_written(here, here / "out")


@pytest.mark.parametrize("target", ["ro", "ro/new/deeper"])
def test_read_only_output_as_a_process(here: Path, target: str) -> None:
    prefix = _cap_dropper(here)
    name = pool(here, "pool.csv", GOOD)
    ro = here / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        done = _process(here, "generate", name, "-p", target, setpriv=prefix)
    finally:
        ro.chmod(0o755)
    assert one_line(done.stderr) == f"asnfp: error: {target}: cannot write there (Permission denied)"
    assert done.returncode == 2
    assert list(ro.iterdir()) == []
    assert_nothing_written(here, ro)


def test_an_unknown_flag_is_one_line(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "--no-such-flag", "-p", "out"], capsys),
                 "asnfp: error: unrecognized arguments: --no-such-flag")
    assert_nothing_written(here, here / "out")
