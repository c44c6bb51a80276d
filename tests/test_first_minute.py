"""The first minute with asnfp (issue 23, item 6): ``python -m asnfp`` is the command;
``import asnfp.testing`` without hypothesis says what to install; rows are numbered one
way wherever a person reads a number; a long ``asnfp generate`` on a terminal shows a
progress line on stderr, and nothing anywhere else."""

from __future__ import annotations

import doctest
import io
import os
import re
import subprocess
import sys
import tomllib
from itertools import pairwise
from pathlib import Path

import pytest

from asnfp.cli import main
from asnfp.cli.batch import add_parser, generate_one
from asnfp.cli.generate import PROGRESS, ROW_NUMBERS, folding_line
from asnfp.cli.process import ProgressLine
from asnfp.fast.drivers import Options, Tally, generate_per_candidate, generate_per_pool
from asnfp.jwst.catalogue import default_registry
from asnfp.pool import read_pool

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
forking = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _asnfp(*args: str, module: bool) -> subprocess.CompletedProcess[str]:
    """Run ``python -m asnfp ARGS`` (``module``) or the console script ``asnfp ARGS``."""
    script = Path(sys.executable).parent / "asnfp"
    command = [sys.executable, "-m", "asnfp", *args] if module else [str(script), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)


# --- python -m asnfp -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], [], ["generate", str(POOL), "--dry-run", "-v", "-j", "1"],
                                  ["generate", "no-such-pool.csv"]], ids=["version", "bare", "generate", "error"])
def test_python_m_asnfp_is_the_console_script(args):
    if not (Path(sys.executable).parent / "asnfp").exists():
        pytest.skip("the console script is not installed beside this Python")
    by_module, by_script = _asnfp(*args, module=True), _asnfp(*args, module=False)
    assert (by_module.returncode, by_module.stdout, by_module.stderr) == (
        by_script.returncode, by_script.stdout, by_script.stderr)


def test_python_m_asnfp_writes_what_the_command_writes(tmp_path):
    done = _asnfp("generate", str(POOL), "-p", str(tmp_path / "m"), module=True)
    assert done.returncode == 0 and done.stderr == ""
    assert main(["generate", str(POOL), "-p", str(tmp_path / "c")]) == 0
    names = sorted(os.listdir(tmp_path / "c"))
    assert names and sorted(os.listdir(tmp_path / "m")) == names
    assert all((tmp_path / "m" / n).read_bytes() == (tmp_path / "c" / n).read_bytes() for n in names)


def test_the_examples_of_asnfp_main_run():
    import asnfp.__main__

    # (pytest's --doctest-modules leaves every __main__.py out)
    assert doctest.testmod(asnfp.__main__).failed == 0


# --- asnfp.testing without hypothesis -------------------------------------------------------


def test_asnfp_testing_without_hypothesis_says_what_to_install_in_one_line():
    shim = "import sys; sys.modules['hypothesis'] = None; import asnfp.testing"
    done = subprocess.run([sys.executable, "-c", shim], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "ImportError: asnfp.testing needs hypothesis: pip install 'asnfp[testing]'"
    assert "During handling" not in done.stderr  # (one error: the missing module's own is not chained)


def test_the_testing_extra_brings_hypothesis():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(re.match(r"hypothesis\b", requirement) for requirement in extras["testing"])


# --- row numbers -----------------------------------------------------------------------------


def test_generate_help_says_how_rows_are_numbered_and_what_progress_shows(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert " ".join(ROW_NUMBERS.split()) in text and " ".join(PROGRESS.split()) in text
    assert "numbered from 1" in ROW_NUMBERS and "Row.index is the row's 0-based position" in ROW_NUMBERS


def _pool_with_a_comment_and_a_short_row(folder: Path) -> Path:
    """Row 2 (the third line of data text, after a comment and a blank line) has too few cells."""
    path = folder / "pool.csv"
    path.write_text("# a comment\n"
                    "filename|exp_type|pntgtype|program|targetid|asn_candidate\n"
                    "# another\n"
                    "jw_1_uncal.fits|nrc_dark|science|1|1|null\n"
                    "\n"
                    "jw_2_uncal.fits|nrc_dark|science|1\n")
    return path


def test_an_error_and_explain_count_rows_the_same_way(tmp_path, capsys):
    bad = _pool_with_a_comment_and_a_short_row(tmp_path)
    assert main(["generate", str(bad), "--dry-run"]) == 2
    assert re.search(r", row 2: has a different number of fields", capsys.readouterr().err)
    good = tmp_path / "good.csv"
    good.write_text(bad.read_text().replace("science|1\n", "science|1|1|null\n"))
    assert main(["explain", str(good), "--row", "2"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert head.startswith("row 2 (jw_2_uncal.fits): ")
    assert read_pool(str(good)).rows[2 - 1].index == 1  # (row N is Row.index N-1)


# --- progress --------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _lines(screen: str) -> list[str]:
    """What was drawn, line after line (each rewrite begins with a carriage return)."""
    return [part.rstrip() for part in screen.split("\r") if part.strip()]


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=forking)])
def test_the_drivers_tell_each_fold_once_and_the_line_says_it(workers):
    pool = read_pool(str(POOL))
    screen = _Terminal()
    told: list[Tally] = []
    with ProgressLine(screen, folding_line, after=0, every=0) as line:
        def progress(tally: Tally) -> None:
            told.append(tally)
            line.tell(tally)

        made = generate_per_candidate(default_registry, pool.rows, Options(workers=workers), progress=progress)
    folds = told[0].folds
    assert told[0] == Tally(0, folds, 0, told[0].rows, 0) and len(told) == folds + 1
    assert [t.folds_done for t in told] == list(range(folds + 1))
    assert all(a.rows_done < b.rows_done and a.associations <= b.associations for a, b in pairwise(told))
    assert told[-1].rows_done == told[-1].rows >= len(pool.rows) and told[-1].associations >= len(made)
    drawn = _lines(screen.getvalue())
    last = f"{told[-1].rows:,}/{told[-1].rows:,} rows folded"
    assert re.match(rf"\[-+\] 0/{told[0].rows:,} rows folded, ", drawn[0])
    assert re.match(rf"\[#+\] {last} ", drawn[-1])  # (the bar full)
    assert f", {told[-1].associations:,} associations, {folds}/{folds} folds" in drawn[-1]
    assert screen.getvalue().endswith("\r")  # (cleared at the end: the last thing written is blank)
    assert screen.getvalue().rsplit("\r", 2)[-2].strip() == ""


def test_the_per_pool_driver_is_one_fold_told_twice():
    pool = read_pool(str(POOL))
    told: list[Tally] = []
    generate_per_pool(default_registry, pool.rows, progress=told.append)
    assert [(t.folds_done, t.folds, t.rows_done, t.rows) for t in told] == [(0, 1, 0, 17), (1, 1, 17, 17)]
    assert "folds" not in folding_line(told[0], 2.5)  # (one fold: the time and the rows say it)


def test_a_stream_that_is_not_a_terminal_gets_nothing():
    quiet = io.StringIO()
    with ProgressLine(quiet, folding_line, after=0, every=0) as line:
        line.tell(Tally(1, 2, 5, 10, 3))
    assert not line.shown and quiet.getvalue() == ""


def test_nothing_is_drawn_before_a_second(capsys):
    screen = _Terminal()
    now = [0.0]
    with ProgressLine(screen, folding_line, every=60, clock=lambda: now[0]) as line:  # (no redraw by the clock)
        line.tell(Tally(0, 2, 0, 10, 0))
        now[0] = 0.9
        line.tell(Tally(1, 2, 5, 10, 3))
        assert screen.getvalue() == ""
        now[0] = 1.2
        line.tell(Tally(2, 2, 10, 10, 4))
    assert _lines(screen.getvalue()) == [folding_line(Tally(2, 2, 10, 10, 4), 1.2, columns=80)]  # (80: no width known)
    assert _lines(screen.getvalue())[0].endswith("] 10/10 rows folded (8/s), 1.2 s, 4 associations, 2/2 folds")


@pytest.fixture
def drawn_at_once(monkeypatch):
    """Every progress line of this test is due at once (not after a second)."""
    monkeypatch.setitem(ProgressLine.__init__.__kwdefaults__, "after", 0.0)


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=forking)])
def test_generate_draws_on_a_terminals_stderr_only(drawn_at_once, monkeypatch, capsys, tmp_path, workers):
    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert main(["generate", str(POOL), "-p", str(tmp_path), "-j", workers, "-v"]) == 0
    drawn = _lines(screen.getvalue())
    assert drawn and all("rows folded" in line for line in drawn)
    assert screen.getvalue().endswith("\r")  # (cleared before the files were written and -v spoke)
    out = capsys.readouterr().out
    assert "\r" not in out and "rows folded" not in out


def test_generate_draws_nothing_on_a_stderr_that_is_not_a_terminal(drawn_at_once, capsys, tmp_path):
    assert main(["generate", str(POOL), "-p", str(tmp_path), "-j", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_batch_task_draws_nothing_even_on_a_terminal(drawn_at_once, monkeypatch, tmp_path):
    import argparse

    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    flags = parser.parse_args(["batch", str(POOL), "-p", str(tmp_path)])
    assert generate_one(str(POOL), str(tmp_path / "pool"), flags).status == "ok"
    assert screen.getvalue() == ""
