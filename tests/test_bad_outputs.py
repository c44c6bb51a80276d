"""Bad outputs: a version id unsafe in a file name, a full disk, a failed move, a killed
run, a user rule that raises. Each gives one line on stderr and leaves no association
files (nor ``.asnfp-*`` staging folders) behind. Never a traceback.

The helpers are those of ``test_bad_input``; the one real pool used is skipped when absent.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asnfp import transaction
from asnfp.fast import write
from asnfp.fold import RuleFailed
from tests.test_bad_input import (
    EXPECTED,
    GOOD,
    asn_files,
    assert_error,
    assert_nothing_written,
    here,
    one_line,
    pool,
    run,
)

__all__ = ("here",)  # the fixture, imported so that pytest finds it here

ROOT = Path(__file__).resolve().parents[1]
MEGA_POOL = Path("/work/shared/conformance/pools/mega_pool.csv")
EXAMPLE_POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"


def _clean_env() -> dict[str, str]:
    """The environment a user has: no ASNFP_TRACEBACK (conftest sets it for in-process runs)."""
    env = {k: v for k, v in os.environ.items() if k != "ASNFP_TRACEBACK"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "asnfp.cli", *argv]


def _fail_on_call(n: int, error: OSError, real):  # type: ignore[no-untyped-def]
    """A stand-in for ``real`` that raises ``error`` on its ``n``-th call (1-based)."""
    calls = []

    def fake(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        if len(calls) == n:
            raise error
        return real(*args, **kwargs)

    fake.calls = calls  # type: ignore[attr-defined]
    return fake


# --- (a) --version-id that cannot be part of a file name ----------------------------------

@pytest.mark.parametrize(
    ("version_id", "message"),
    [
        pytest.param("a/b", "asnfp: error: --version-id 'a/b': only letters, digits and '._-' are "
                            "allowed, starting with a letter or digit", id="slash"),
        pytest.param("..", "asnfp: error: --version-id '..': only letters, digits", id="dot-dot"),
        pytest.param("../up", "asnfp: error: --version-id '../up': only letters", id="parent-path"),
        pytest.param("x" * 300, "asnfp: error: --version-id: too long (300 characters; at most 64)",
                     id="300-chars"),
    ],
)
def test_unsafe_version_id_is_refused_before_generating(here: Path, capsys: pytest.CaptureFixture[str],
                                                         version_id: str, message: str) -> None:
    """Decided: a one-line usage error naming the flag, exit 2, nothing written (the
    reference would write into a sub-folder, or fail part-way)."""
    name = pool(here, "pool.csv", GOOD)
    line = assert_error(run(["generate", name, "--version-id", version_id, "-p", "out"], capsys),
                        message)
    assert len(line) < 200
    assert_nothing_written(here, here / "out")
    assert sorted(p.name for p in here.iterdir()) == ["pool.csv"]


def test_safe_version_id_is_used(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = pool(here, "pool.csv", GOOD)
    status, _, err = run(["generate", name, "--version-id", "V1.2-rc_3", "-p", "out"], capsys)
    assert (status, err) == (0, "")
    assert asn_files(here / "out") == [n.replace("-o001_", "-o001_v1.2-rc_3_") for n in EXPECTED]


# --- (b) disk full while staging -----------------------------------------------------------

def test_disk_full_while_staging(here: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    name = pool(here, "pool.csv", GOOD)
    full = OSError(errno.ENOSPC, "No space left on device")
    fake = _fail_on_call(2, full, transaction._write_new)
    monkeypatch.setattr(transaction, "_write_new", fake)
    line = assert_error(run(["generate", name, "-p", "out"], capsys),
                        "asnfp: error: out/", ": cannot write (No space left on device)")
    assert line == f"asnfp: error: out/{EXPECTED[1]}: cannot write (No space left on device)"
    assert len(fake.calls) == 2  # it failed part-way, after one staged file
    assert_nothing_written(here, here / "out")
    assert not (here / "out").exists()


def _fail_on_files(names: set[str], error: OSError, real):  # type: ignore[no-untyped-def]
    """A stand-in for ``transaction._write_new`` that raises ``error`` for the files ``names`` (in
    whichever process writes them)."""
    def fake(path, data):  # type: ignore[no-untyped-def]
        if os.path.basename(path) in names:
            raise error
        return real(path, data)
    return fake


@pytest.mark.parametrize("failing", [{1}, {0}, {0, 1}, set()])
def test_files_written_by_two_processes_fail_at_the_first_failing_file(
        here: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, failing: set[int]) -> None:
    """With many files, each of two processes writes a share (here from 2 files on): the
    same files as one process, and a failure in either share names the first failing
    file in the files' order and leaves nothing."""
    name = pool(here, "pool.csv", GOOD)
    assert run(["generate", name, "-p", "one", "-j", "1"], capsys)[0] == 0
    monkeypatch.setattr(write, "PARALLEL_WRITES", 2)
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(transaction, "_write_new",
                        _fail_on_files({EXPECTED[i] for i in failing}, full, transaction._write_new))
    result = run(["generate", name, "-p", "two", "-j", "2"], capsys)
    if not failing:
        assert result[0] == 0
        assert {p.name: p.read_bytes() for p in (here / "two").iterdir()} == {
            p.name: p.read_bytes() for p in (here / "one").iterdir()}
        return
    line = assert_error(result)
    assert line == f"asnfp: error: two/{EXPECTED[min(failing)]}: cannot write (No space left on device)"
    assert_nothing_written(here, here / "two")
    assert not (here / "two").exists()


# --- (c) a failure part-way through the final move -----------------------------------------

def test_failed_move_rolls_back_the_files_already_moved(here: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The files moved before the failure are removed again ("no partial output"), a
    file that was there before and is not one of the outputs stays, and a file that one
    of them replaced is put back as it was."""
    name = pool(here, "pool.csv", GOOD)
    (here / "out").mkdir()
    (here / "out" / "keep.txt").write_text("mine\n")
    (here / "out" / EXPECTED[0]).write_text("old association\n")
    fake = _fail_on_call(3, OSError(errno.EIO, "Input/output error"), os.replace)
    monkeypatch.setattr(os, "replace", fake)
    assert_error(run(["generate", name, "-p", "out", "--save-orphans", "orphans.csv"], capsys),
                 "asnfp: error: out/orphans.csv: cannot write (Input/output error)")
    assert len(fake.calls) >= 3
    assert_nothing_written(here, here / "out", allowed={EXPECTED[0]})
    assert sorted(p.name for p in (here / "out").iterdir()) == sorted(["keep.txt", EXPECTED[0]])
    assert (here / "out" / "keep.txt").read_text() == "mine\n"
    assert (here / "out" / EXPECTED[0]).read_text() == "old association\n"


# --- (d) an interrupted run ------------------------------------------------------------------

@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_leaves_no_output_nor_staging(tmp_path: Path, workers: str) -> None:
    """With two workers, the child is stopped too (the parent waits for it)."""
    if not MEGA_POOL.is_file():
        pytest.skip(f"{MEGA_POOL} is absent")
    out = tmp_path / "out"
    proc = subprocess.Popen(_command("generate", str(MEGA_POOL), "-p", str(out), "-j", workers), cwd=tmp_path,
                            env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        assert proc.poll() is None, "it finished within 0.5 s: nothing was interrupted"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert one_line(stderr) == "asnfp: terminated"
    assert (proc.returncode, stdout) == (143, "")
    assert_nothing_written(tmp_path, out)


# --- (e) a user rule whose constraint raises -----------------------------------------------

BOOM_RULES = '''\
from asnfp.constraints import lift
from asnfp.rule import Rule

BOOM = Rule(name="Asn_Boom", asn_type="image3", level=3, constraint=lift(lambda row: 1 / 0))
'''


def test_user_rule_that_raises_is_named(tmp_path: Path) -> None:
    """Decided: not "internal error, please report it" (the bug is in the user's rule) but
    a one-line error naming the rule and the row, exit 2."""
    (tmp_path / "boom_rules.py").write_text(BOOM_RULES)
    done = subprocess.run(_command("generate", str(EXAMPLE_POOL), "-r", "boom_rules.py",
                                   "--ignore-default", "-p", "out"),
                          cwd=tmp_path, env=_clean_env(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert one_line(done.stderr) == ("asnfp: error: rule Asn_Boom, row 1: raised ZeroDivisionError: "
                                     "division by zero")
    assert (done.returncode, done.stdout) == (2, "")
    assert_nothing_written(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_user_rule_that_raises_keeps_its_traceback_when_asked(tmp_path: Path) -> None:
    """With ASNFP_TRACEBACK set (as in these tests), the error propagates, the cause kept."""
    from asnfp.cli import main

    (tmp_path / "boom_rules.py").write_text(BOOM_RULES)
    with pytest.raises(RuleFailed, match="rule Asn_Boom, row 1") as raised:
        main(["generate", str(EXAMPLE_POOL), "-r", str(tmp_path / "boom_rules.py"),
              "--ignore-default", "-p", str(tmp_path / "out")])
    assert isinstance(raised.value.__cause__, ZeroDivisionError)


# --- (f) the reader of the output goes away ---------------------------------------------------

def test_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """`asnfp rules | head -1`: no "internal error", no traceback, the status of SIGPIPE."""
    proc = subprocess.Popen(_command("rules"), cwd=tmp_path, env=_clean_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # before it writes anything: its first write fails
    err = proc.stderr.read()
    assert (proc.wait(timeout=60), err) == (141, "")
