"""Safe by construction: every file asnfp writes lies directly in the folder asked for,
an output never replaces an input or another output, and a failure or a signal leaves
the folder with its old files or its new ones, never a mix, and no staging folder.

The helpers are those of ``test_bad_input``.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from asnfp import transaction
from asnfp.cli import main
from asnfp.cli.generate import worker_count
from asnfp.fast.workers import available_workers
from asnfp.transaction import STAGING_PREFIX, Output, Transaction, sweep
from tests.test_bad_input import (
    EXPECTED,
    GOOD,
    HEADER,
    ROW,
    assert_error,
    here,
    one_line,
    pool,
    run,
)
from tests.test_bad_outputs import _clean_env as _env

__all__ = ("here",)  # the fixture, imported so that pytest finds it here

ROOT = Path(__file__).resolve().parents[1]
ASNFP = [sys.executable, "-m", "asnfp.cli"]


def _staging(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(STAGING_PREFIX)] if folder.is_dir() else []


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its path relative to it (staging folders left out)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).parts[0].startswith(STAGING_PREFIX)}


# --- names made from a pool's cells -----------------------------------------------------------

HOSTILE = st.text(st.one_of(st.sampled_from(["/", "\\", ".", "\x00", "\x01", "\x7f", "\u2028", " ", "~"]),
                            st.characters(codec="utf-8", exclude_characters="|\n\r")), min_size=1, max_size=12)


def _pool_with(program: str, candidate: str) -> str:
    header = HEADER.split("|")
    cells = ROW.split("|")
    cells[header.index("program")] = program
    cells[header.index("asn_candidate")] = f"[('{candidate}', 'observation')]"
    return f"{HEADER}\n{'|'.join(cells)}\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.one_of(st.just("99009"), HOSTILE), candidate=st.one_of(st.just("o001"), HOSTILE))
@example(program="/../../../../../../../../tmp/escaped", candidate="o001")
@example(program="99009", candidate="o001/../../x")
@example(program="..", candidate="o001")
@example(program="9" * 300, candidate="o001")
def test_every_file_written_lies_directly_in_the_output_folder(program: str, candidate: str) -> None:
    """Whatever the cells hold: the run writes plain files directly into ``out`` (exit 0)
    or nothing at all (one line, exit 2); never anything beside or above ``out``."""
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp) / "top"
        top.mkdir()
        (top / "pool.csv").write_text(_pool_with(program, candidate), encoding="utf-8")
        out = top / "out"
        status = main(["generate", str(top / "pool.csv"), "-p", str(out), "--save-orphans"])
        assert status in (0, 2)
        assert sorted(os.listdir(tmp)) == ["top"]
        assert set(os.listdir(top)) <= {"pool.csv", "out"}
        if status == 0:
            assert all(p.is_file() and not p.is_symlink() for p in out.iterdir())
            assert "orphaned.csv" in os.listdir(out)
        else:
            assert not out.exists()


def test_a_program_that_climbs_out_is_one_line_naming_row_and_column(here: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "t.csv", _pool_with("/../../tmp/escaped", "o001"))
    line = assert_error(run(["generate", name, "-p", "out"], capsys))
    assert line == ("asnfp: error: t.csv, row 1, column 'program': '/../../tmp/escaped' cannot be part of a "
                    "file name: it holds a path separator '/'")
    assert sorted(os.listdir(here)) == ["t.csv"]


def test_a_candidate_id_that_climbs_out_is_one_line_naming_row_and_column(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "c.csv", _pool_with("99009", "o001/../../x"))
    line = assert_error(run(["generate", name, "-p", "out"], capsys))
    assert line.startswith("asnfp: error: c.csv, row 1, column 'asn_candidate': 'o001/../../x' cannot be part")
    assert sorted(os.listdir(here)) == ["c.csv"]


# --- an output never replaces an input or another output --------------------------------------

def test_orphans_named_as_an_association_file_are_refused(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    assert_error(run(["generate", name, "-p", "out", "--save-orphans", EXPECTED[0]], capsys),
                 f"--save-orphans {EXPECTED[0]}: the name of an association file of this run")
    assert not (here / "out").exists()


def test_orphans_named_as_the_pool_are_refused_and_the_pool_is_kept(here: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (here / "d").mkdir()
    (here / "d" / "pool.csv").write_text(GOOD)
    assert_error(run(["generate", "d/pool.csv", "-p", "d", "--save-orphans", "pool.csv"], capsys),
                 "d/pool.csv: would replace an input of this run")
    assert (here / "d" / "pool.csv").read_text() == GOOD
    assert sorted(os.listdir(here / "d")) == ["pool.csv"]


def test_a_hard_link_to_the_pool_is_the_pool(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    (here / "out").mkdir()
    os.link(here / name, here / "out" / "orphaned.csv")
    assert_error(run(["generate", name, "-p", "out", "--save-orphans"], capsys), "would replace an input")
    assert (here / "pool.csv").read_text() == GOOD


def test_two_outputs_of_one_name_are_refused_before_staging(tmp_path: Path) -> None:
    with pytest.raises(transaction.OutputError, match="two outputs of this run have this name"):
        Transaction([Output(tmp_path, "a"), Output(tmp_path / "." , "a")])
    assert os.listdir(tmp_path) == []


# --- one transaction: the old files or the new ones ---------------------------------------------

def _fill(folder: Path, names: list[str]) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"OLD " + name.encode())
    (folder / "mine.txt").write_bytes(b"the user's")
    return _tree(folder)


@pytest.mark.parametrize("failing_move", [1, 2, 3])
def test_a_failed_commit_puts_every_old_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  failing_move: int) -> None:
    names = ["a.json", "b.json", "c.json"]
    before = _fill(tmp_path / "out", names[:2])
    real, calls = os.replace, []

    def fail(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == failing_move:
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", fail)
    outputs = [Output(tmp_path / "out", n) for n in names]
    with (pytest.raises(transaction.OutputError, match=r"cannot write .Input/output error."),
          Transaction(outputs) as staged):
        for output in outputs:
            staged.write(output, b"NEW")
    monkeypatch.setattr(os, "replace", real)
    assert _tree(tmp_path / "out") == before
    assert _staging(tmp_path / "out") == []


def test_a_stale_half_commit_is_undone_by_the_next_run(tmp_path: Path) -> None:
    """A run killed in the middle of its commit left: one file moved in (it replaced an
    old one, kept in ``old/``), one not yet moved; the next run into the folder puts the
    old one back and removes the staging folder before it writes."""
    out = tmp_path / "out"
    before = _fill(out, ["a.json", "b.json"])
    stage = out / f"{STAGING_PREFIX}0123456789ab"
    (stage / "new").mkdir(parents=True)
    (stage / "old").mkdir()
    (stage / "lock").write_bytes(b"")
    (stage / "journal").write_text("=a.json\n=b.json\n+c.json\n")
    os.link(out / "a.json", stage / "old" / "a.json")
    (stage / "new" / "a.json").write_bytes(b"NEW")
    os.replace(stage / "new" / "a.json", out / "a.json")
    (stage / "new" / "b.json").write_bytes(b"NEW")
    (stage / "new" / "c.json").write_bytes(b"NEW")
    assert [p.name for p in sweep(out)] == [stage.name]
    assert _tree(out) == before and _staging(out) == []


def test_undoing_twice_changes_nothing_more(tmp_path: Path) -> None:
    """A run killed after its whole commit but its journal, then a sweep killed part-way
    (here: run twice over the same folder): the old files, every one of them."""
    out = tmp_path / "out"
    before = _fill(out, ["a.json"])
    stage = out / f"{STAGING_PREFIX}0123456789ab"
    for part in ("new", "old"):
        (stage / part).mkdir(parents=True)
    (stage / "lock").write_bytes(b"")
    (stage / "journal").write_text("=a.json\n+b.json\n")
    os.link(out / "a.json", stage / "old" / "a.json")
    (out / "a.json").unlink()
    (out / "a.json").write_bytes(b"NEW")
    (out / "b.json").write_bytes(b"NEW")
    transaction._undo(stage)
    (stage / "journal").write_text("=a.json\n+b.json\n")  # (as if killed before it went)
    transaction._undo(stage)
    sweep(out)
    assert _tree(out) == before and _staging(out) == []


def test_a_live_run_s_staging_folder_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    staged = Transaction([Output(out, "a.json")])
    try:
        assert sweep(out) == [] and len(_staging(out)) == 1
    finally:
        staged.abort()
    assert _staging(out) == []


def test_from_list_on_a_full_disk_keeps_the_old_file(here: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "asn.json").write_text("old content")

    def full(path: Path, data: bytes) -> None:
        with open(path, "wb") as handle:
            handle.write(data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(transaction, "_write_new", full)
    assert_error(run(["from-list", "-o", "asn.json", "--product-name", "p", "a_cal.fits"], capsys),
                 "asn.json: cannot write (No space left on device)")
    assert (here / "asn.json").read_text() == "old content"
    assert sorted(os.listdir(here)) == ["asn.json"]


# --- signals in the writing phase -------------------------------------------------------------

@pytest.fixture(scope="module")
def many_files_pool(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """A generated pool that makes about 1,500 files, and those files."""
    folder = tmp_path_factory.mktemp("signals")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_pool.py"), "1500", "-o", str(folder / "p.csv")],
                   check=True, capture_output=True)
    subprocess.run([*ASNFP, "generate", str(folder / "p.csv"), "-p", str(folder / "new"), "-j", "1"],
                   check=True, env=_env(), capture_output=True)
    return folder / "p.csv", _tree(folder / "new")


def _interrupted_run(pool_file: Path, out: Path, number: signal.Signals, delay: float) -> int:
    """Start a run into ``out``, wait for its staging folder, then ``delay`` seconds, and
    send it ``number``; return its exit status."""
    proc = subprocess.Popen([*ASNFP, "generate", str(pool_file), "-p", str(out), "-j", "1"], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and not _staging(out) and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(number)
        err = proc.communicate(timeout=120)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert err.count("\n") <= 1 and "Traceback" not in err, err
    return proc.returncode


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_a_run_killed_while_writing_leaves_the_old_files_or_the_new_ones(
        tmp_path: Path, many_files_pool: tuple[Path, dict[str, bytes]], number: signal.Signals) -> None:
    """Killed at random points of its writing phase (after the staging folder appears),
    many times: the folder then holds exactly the old files or exactly the new ones (for
    ``kill -9``, once the next run into it has undone the half-done commit), and no
    staging folder."""
    pool_file, new = many_files_pool
    draws = random.Random(f"{number.name}-2026")
    seen: dict[str, int] = {}
    for _ in range(8):
        out = tmp_path / "out"
        subprocess.run(["rm", "-rf", str(out)], check=True)
        old = _fill(out, sorted(new)[::2])  # half the names exist, with other content
        status = _interrupted_run(pool_file, out, number, draws.uniform(0.0, 0.25))
        if number == signal.SIGKILL:
            sweep(out)  # (what the next run into the folder does first)
        now = _tree(out)
        state = "old" if now == old else "new" if now == {**new, "mine.txt": b"the user's"} else "mixed"
        assert state != "mixed", (status, sorted(set(now.items()) ^ set(old.items()))[:4])
        assert _staging(out) == []
        seen[state] = seen.get(state, 0) + 1
    assert sum(seen.values()) == 8


def test_the_next_run_after_kill_9_writes_cleanly(tmp_path: Path,
                                                   many_files_pool: tuple[Path, dict[str, bytes]]) -> None:
    pool_file, new = many_files_pool
    out = tmp_path / "out"
    _fill(out, sorted(new)[:10])
    _interrupted_run(pool_file, out, signal.SIGKILL, 0.05)
    done = subprocess.run([*ASNFP, "generate", str(pool_file), "-p", str(out), "-j", "1"], env=_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert _tree(out) == {**new, "mine.txt": b"the user's"} and _staging(out) == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or available_workers() < 2,
                    reason="needs /proc and two cores")
def test_forked_workers_die_with_their_parent(tmp_path: Path,
                                              many_files_pool: tuple[Path, dict[str, bytes]]) -> None:
    pool_file, _ = many_files_pool
    proc = subprocess.Popen([*ASNFP, "generate", str(pool_file), "-p", str(tmp_path / "out"), "-j", "2"],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    deadline = time.monotonic() + 60
    while not children and proc.poll() is None and time.monotonic() < deadline:
        children = _children(proc.pid)
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    assert children, "no child process was seen"
    time.sleep(0.5)
    assert [c for c in children if Path(f"/proc/{c}").exists()
            and Path(f"/proc/{c}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"] == []


# --- -j: no more processes than the machine has cores ------------------------------------------

def test_workers_are_capped_at_the_cores() -> None:
    assert worker_count(100_000) == available_workers()
    assert worker_count(1) == 1


def test_a_huge_j_runs_as_the_cores_allow(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    status, _, err = run(["generate", name, "-p", "out", "-j", "100000"], capsys)
    assert (status, err) == (0, "")
    assert sorted(os.listdir(here / "out")) == EXPECTED


# --- standard output ----------------------------------------------------------------------------

@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("argv", [["rules"], ["rules", "-k", "Lv3Image"]])
def test_a_full_standard_output_is_one_line(tmp_path: Path, argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([*ASNFP, *argv], stdout=full, stderr=subprocess.PIPE, text=True, env=_env(),
                              timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done.stderr) == "asnfp: error: cannot write to standard output (No space left on device)"


def test_an_output_that_is_a_fifo_or_a_device_is_never_replaced(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(here / "asn.json")
    assert_error(run(["from-list", "-o", "asn.json", "--product-name", "p", "a_cal.fits"], capsys),
                 "asn.json: exists and is not a regular file")
    assert Path(here / "asn.json").is_fifo() and sorted(os.listdir(here)) == ["asn.json"]
    if Path("/dev/null").is_char_device():
        assert_error(run(["from-list", "-o", "/dev/null", "--product-name", "p", "a_cal.fits"], capsys),
                     "/dev/null: exists and is not a regular file")
        assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize("line", ["+../victim.txt", "+/tmp/victim.txt", "=..", "+sub/x", "+.asnfp-0123"])
def test_a_journal_never_reaches_outside_its_folder(tmp_path: Path, line: str) -> None:
    """A journal names files of the folder that holds its staging folder, by plain names
    only: a planted one cannot make a sweep delete anything elsewhere."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "x").write_text("keep")
    stage = out / f"{STAGING_PREFIX}0123456789ab"
    (stage / "new").mkdir(parents=True)
    (stage / "lock").write_bytes(b"")
    (stage / "journal").write_text(line + "\n")
    sweep(out)
    assert victim.read_text() == "keep" and (out / "sub" / "x").read_text() == "keep"
    assert _staging(out) == []


def test_a_killed_run_s_staging_folder_for_a_new_folder_goes_with_the_next_run(tmp_path: Path) -> None:
    """A run into a new folder stages beside it; killed, it leaves that staging folder in
    the parent, which the next run into the (now made) folder removes."""
    stale = tmp_path / f"{STAGING_PREFIX}0123456789ab"
    (stale / "new").mkdir(parents=True)
    (stale / "lock").write_bytes(b"")
    (tmp_path / "out").mkdir()
    with Transaction([Output(tmp_path / "out", "a.json")]) as staged:
        staged.write(Output(tmp_path / "out", "a.json"), b"{}")
    assert sorted(os.listdir(tmp_path)) == ["out"] and os.listdir(tmp_path / "out") == ["a.json"]


def test_a_staging_name_is_never_an_output(tmp_path: Path) -> None:
    with pytest.raises(transaction.OutputError, match="staging folders"):
        Transaction([Output(tmp_path, f"{STAGING_PREFIX}x")])


@pytest.mark.skipif(sys.platform != "linux", reason="file names of any bytes")
def test_a_folder_whose_name_is_not_utf8_is_written_and_rewritten(tmp_path: Path) -> None:
    out = Path(os.fsdecode(os.fsencode(tmp_path) + b"/out\xff"))
    for content in (b"one", b"two"):
        with Transaction([Output(out, "a.json")]) as staged:
            staged.write(Output(out, "a.json"), content)
    assert (out / "a.json").read_bytes() == b"two" and _staging(out) == []


# --- what an adversarial sweep found ------------------------------------------------------------

def _cards(*cards: str) -> bytes:
    data = "".join(card.ljust(80) for card in ("SIMPLE  =                    T", *cards, "END")).encode("latin-1")
    return data + b" " * (-len(data) % 2880)


@pytest.mark.parametrize("card", ["OBSERVTN=   nan", "OBSERVTN= 'abc"])
def test_make_pool_on_an_unparsable_card_is_one_line(here: Path, capsys: pytest.CaptureFixture[str], card: str) -> None:
    (here / "x.fits").write_bytes(_cards("PROGRAM = '01234'", "X       = 1",
                                         card))
    assert_error(run(["make-pool", "pool.csv", "x.fits"], capsys), "x.fits: not a FITS file (unparsable card")
    assert sorted(os.listdir(here)) == ["x.fits"]


def test_make_pool_on_a_header_past_its_bound_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "x.fits").write_bytes(_cards(*(f"K{i:<7d}= {i}" for i in range(100))))  # 3 blocks
    monkeypatch.setenv("ASNFP_MAX_FITS_HEADER_BYTES", str(2 * 2880))
    assert_error(run(["make-pool", "pool.csv", "x.fits"], capsys),
                 "x.fits: its primary header is larger than the 5,760-byte bound (set ASNFP_MAX_FITS_HEADER_BYTES")
    assert sorted(os.listdir(here)) == ["x.fits"]


@pytest.mark.parametrize("argv", [["validate", "big.yaml"], ["diff", "big.yaml", "big.yaml"],
                                  ["gather", "big.yaml", "dest"]])
def test_a_yaml_number_of_5000_digits_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                  argv: list[str]) -> None:
    (here / "big.yaml").write_text("asn_id: " + "9" * 5000 + "\n")
    (here / "dest").mkdir()
    status, _, err = run(argv, capsys)
    assert status == 2 and err.count("\n") == 1 and "a value cannot be read" in err
    assert os.listdir(here / "dest") == []


def test_from_list_never_writes_over_a_file_it_lists(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "a_cal.fits").write_bytes(b"FITS")
    assert_error(run(["from-list", "-o", "a_cal.fits", "--product-name", "p", "a_cal.fits"], capsys),
                 "a_cal.fits: would replace an input of this run")
    assert (here / "a_cal.fits").read_bytes() == b"FITS"


def test_a_warning_is_never_a_second_line_of_a_failed_run(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_error(run(["generate", "nosuch.csv", "--no-merge"], capsys), "nosuch.csv: no such file")
    name = pool(here, "pool.csv", GOOD)
    status, _, err = run(["generate", name, "-p", "out", "--no-merge"], capsys)
    assert status == 0 and err == "asnfp: warning: --no-merge is deprecated: not merging is the default\n"


def test_a_name_given_with_a_newline_cannot_forge_a_line(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    status, _, err = run(["generate", name, "-p", "out", "-i", "o001", "o9\nasnfp: error: FAKE"], capsys)
    assert status == 0 and err.count("\n") == 1 and "o9\\nasnfp: error: FAKE" in err


@pytest.mark.parametrize(("argv", "closed", "status"), [
    (["rules"], 1, 141),
    (["generate", "nosuch.csv"], 2, 2),
    (["generate", "nosuch.csv"], 1, 2),
])
def test_a_closed_standard_stream_is_no_traceback(tmp_path: Path, argv: list[str], closed: int, status: int) -> None:
    """Started with stdout or stderr closed (``>&-``, ``2>&-``): the status says what
    happened, and nothing lands on the other stream."""
    done = subprocess.run([*ASNFP, *argv], env=_env(), cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False, **{"stdout" if closed == 1 else "stderr": None},
                          pass_fds=(), close_fds=True, preexec_fn=lambda: os.close(closed))
    assert done.returncode == status
    other = done.stderr if closed == 1 else done.stdout
    assert "Traceback" not in (other or "") and "internal error" not in (other or "")
    assert (other or "") in ("", "asnfp: error: nosuch.csv: no such file\n")


def test_a_commit_waits_for_another_run_s_commit_into_the_same_folder(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import threading

    out = tmp_path / "out"
    out.mkdir()
    holder = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # (another run, committing)
    monkeypatch.setattr(transaction, "FOLDER_WAIT_SECONDS", 0.2)
    staged = Transaction([Output(out, "a.json")])
    staged.write(Output(out, "a.json"), b"{}")
    with pytest.raises(transaction.OutputError, match="another run has been writing into it"):
        staged.commit()
    assert os.listdir(out) == []
    monkeypatch.setattr(transaction, "FOLDER_WAIT_SECONDS", 30.0)
    staged = Transaction([Output(out, "a.json")])
    staged.write(Output(out, "a.json"), b"{}")
    threading.Timer(0.2, lambda: os.close(holder)).start()
    staged.commit()
    assert os.listdir(out) == ["a.json"]


def test_a_staging_folder_killed_before_its_lock_goes_when_its_process_is_gone(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    dead = tmp_path / f"{STAGING_PREFIX}{gone}-0123456789ab"
    live = tmp_path / f"{STAGING_PREFIX}{os.getpid()}-0123456789ab"
    for folder in (dead, live):
        folder.mkdir()
    assert sweep(tmp_path) == [dead] and _staging(tmp_path) == [live.name]


# --- what a second sweep found ----------------------------------------------------------------

MUTE = '''
class Mute(Exception):
    def __str__(self):
        raise ValueError("no str")
'''


@pytest.mark.parametrize(("body", "said"), [
    ("raise GeneratorExit", "raised GeneratorExit"),
    ("import sys; sys.exit(0)", "raised SystemExit: 0"),
    ("raise Mute()", "raised Mute"),
])
def test_a_rule_that_raises_anything_while_matching_is_one_line(tmp_path: Path, body: str, said: str) -> None:
    (tmp_path / "r.py").write_text(
        "from asnfp import all_of\nfrom asnfp.constraints import lift\nfrom asnfp.jwst import rule\n"
        f"from asnfp.jwst.constraints import is_image\n{MUTE}\ndef boom(row):\n    {body}\n"
        "RULES = [rule('Asn_Boom', 'image3', 'jw{program}-{acid}_boom', all_of(is_image(), lift(boom)))]\n")
    (tmp_path / "pool.csv").write_text(GOOD)
    done = subprocess.run([*ASNFP, "generate", "pool.csv", "-r", "r.py", "-p", "out"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"asnfp: error: rule Asn_Boom, row 1: {said}\n"
    assert not (tmp_path / "out").exists()


def test_a_batch_never_writes_over_one_of_its_pools(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "out" / "b").mkdir(parents=True)
    (here / "out" / "b" / "orphaned.csv").write_text(GOOD)
    (here / "b.csv").write_text(GOOD)
    assert_error(run(["batch", "b.csv", "out/b/orphaned.csv", "-p", "out", "--save-orphans"], capsys),
                 "out/b/orphaned.csv: a pool inside out/b, a folder this batch writes")
    assert (here / "out" / "b" / "orphaned.csv").read_text() == GOOD


def test_a_yaml_file_of_too_many_nodes_is_one_line(here: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from asnfp import reading

    monkeypatch.setattr(reading, "MAX_YAML_NODES", 1000)
    (here / "flat.yaml").write_text("[" + ",".join(["a"] * 2000) + "]\n")
    status, _, err = run(["validate", "flat.yaml"], capsys)
    assert status == 2 and err.count("\n") == 1 and "more than 1,000 YAML nodes" in err


def test_a_path_the_system_refuses_is_one_line(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    line = assert_error(run(["generate", name, "-p", "a" * 300], capsys))
    assert line.endswith("File name too long") and "internal error" not in line


def test_a_killed_run_s_staging_folder_far_above_a_new_folder_goes_with_the_next_run(tmp_path: Path) -> None:
    stale = tmp_path / f"{STAGING_PREFIX}0123456789ab"
    (stale / "new").mkdir(parents=True)
    (stale / "lock").write_bytes(b"")
    out = tmp_path / "a" / "b" / "c"
    out.mkdir(parents=True)
    with Transaction([Output(out, "x.json")]) as staged:
        staged.write(Output(out, "x.json"), b"{}")
    assert _staging(tmp_path) == [] and os.listdir(out) == ["x.json"]


def test_gather_refuses_a_member_named_as_the_association_even_when_dest_has_a_newer_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from asnfp.tools.edit import dumps_object

    (tmp_path / "src").mkdir()
    (tmp_path / "dest").mkdir()
    data = {"products": [{"name": "p", "members": [{"expname": "x_asn.json", "exptype": "science"}]}]}
    (tmp_path / "src" / "x_asn.json").write_bytes(dumps_object(data))
    (tmp_path / "dest" / "x_asn.json").write_text("NEWER")
    os.utime(tmp_path / "dest" / "x_asn.json", (4_000_000_000, 4_000_000_000))
    status, _, err = run(["gather", str(tmp_path / "src" / "x_asn.json"), str(tmp_path / "dest"), "-v"], capsys)
    assert status == 2 and err == "asnfp: error: x_asn.json: a member has the association's own file name\n"
    assert (tmp_path / "dest" / "x_asn.json").read_text() == "NEWER"
