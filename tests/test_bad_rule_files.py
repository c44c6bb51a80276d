"""Bad rule files (``-r FILE``): one line on stderr naming the file (and what it raised),
exit status 2, before any pool is read, and nothing written. Never a traceback, never
a silent exit.

Every file is written in ``tmp_path``, and the commands run there, so that the names in
the messages are the short ones given.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from asnfp.rule import RulesFileError, load_rule_files, load_rules
from tests.test_bad_input import EXPECTED, GOOD, IS_ROOT, asn_files, assert_nothing_written, one_line, pool, run

ROOT = Path(__file__).resolve().parents[1]
HEAD = "from asnfp.rule import Rule\nfrom asnfp.constraints import attr\n"


def rule(name: str, binding: str = "R") -> str:
    """A line binding a rule called ``name`` (Level 3, grouped by filter)."""
    return f"{binding} = Rule(name={name!r}, asn_type='image3', level=3, constraint=attr('f', 'filter'))\n"


def rules_file(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return name


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(here: Path, capsys: pytest.CaptureFixture[str], argv: list[str], *parts: str) -> str:
    """Run ``argv``: exit status 2, one line holding ``parts``, no ``out`` folder, no
    staging folder, nothing written beside the rules files (no ``__pycache__``)."""
    status, _, err = run(argv, capsys)
    line = one_line(err)
    assert status == 2, line
    assert line.startswith("asnfp: error: "), line
    for part in parts:
        assert part in line, (part, line)
    assert not (here / "out").exists()
    assert_nothing_written(here, here / "out")
    assert not (here / "__pycache__").exists()
    return line


def generate(rules: str, *more: str, pool_name: str = "pool.csv") -> list[str]:
    return ["generate", pool_name, "-p", "out", "-r", rules, *more]


# --- 1. a file that raises while it is loaded -------------------------------------------

RAISING = [
    pytest.param("x = 1\ny = 2\nz = 1 / 0\n",
                 "bad.py: cannot load the rules: ZeroDivisionError: division by zero (line 3)", id="zero-division"),
    pytest.param(HEAD + "\nR = Rule(name=undefined_name)\n",
                 "bad.py: cannot load the rules: NameError: name 'undefined_name' is not defined (line 4)",
                 id="name-error"),
    pytest.param("import asnfp_no_such_module\n",
                 "bad.py: cannot load the rules: ModuleNotFoundError: No module named 'asnfp_no_such_module' (line 1)",
                 id="module-not-found"),
    pytest.param("\n\nfrom asnfp.rule import no_such_name\n",
                 "bad.py: cannot load the rules: ImportError: cannot import name 'no_such_name' from 'asnfp.rule'...",
                 id="import-error"),
    pytest.param("x = 1\ndef broken(:\n", "bad.py: cannot load the rules: SyntaxError: invalid syntax (line 2)",
                 id="syntax-error"),
    pytest.param("x = 1\n  y = 2\n", "bad.py: cannot load the rules: IndentationError: unexpected indent (line 2)",
                 id="indentation-error"),
    pytest.param(b"x = '\xff\xfe'\n", "bad.py: cannot load the rules: SyntaxError: ...", id="not-utf8"),
    pytest.param(b"x = 1\x00\n", "bad.py: cannot load the rules: ...", id="nul-byte"),
    pytest.param("def f(n):\n    return f(n + 1)\n\nf(0)\n",
                 "bad.py: cannot load the rules: RecursionError: maximum recursion depth exceeded (line 2)",
                 id="recursion"),
    pytest.param("x = 1\nraise ValueError('first line\\nsecond line\\nthird line')\n",
                 "bad.py: cannot load the rules: ValueError: first line (line 2)", id="multi-line-message"),
    pytest.param("raise RuntimeError()\n", "bad.py: cannot load the rules: RuntimeError (line 1)", id="no-message"),
    pytest.param("class Odd(Exception):\n    def __str__(self):\n        raise TypeError('no')\n\nraise Odd()\n",
                 "bad.py: cannot load the rules: Odd (line 5)", id="str-raises"),
    pytest.param("import asyncio\nraise asyncio.CancelledError('gone')\n",
                 "bad.py: cannot load the rules: CancelledError: gone (line 2)", id="base-exception"),
    pytest.param("RULES = 5\n",
                 "bad.py: RULES is of type int, not a sequence of rules (a list or tuple: the order matters)",
                 id="rules-not-a-sequence"),
    pytest.param("RULES = [1]\n", "bad.py: RULES holds a value of type int, not a Rule", id="rules-not-rules"),
    pytest.param("def gen():\n    yield 1 / 0\n\nRULES = gen()\n",
                 "bad.py: cannot read its RULES: ZeroDivisionError: division by zero (line 2)",
                 id="rules-iterator-raises"),
    pytest.param("x = 1\n", "bad.py: defines no rules (a RULES sequence or Rule values)", id="no-rules"),
]


@pytest.mark.parametrize(("text", "expected"), RAISING)
def test_a_file_that_raises_is_one_line_naming_it_and_the_exception(
        here: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, expected: str) -> None:
    (here / "bad.py").write_bytes(text.encode() if isinstance(text, str) else text)
    pool(here, "pool.csv", GOOD)
    line = refused(here, capsys, generate("bad.py"))
    if expected.endswith("..."):  # (the rest is Python's wording)
        assert line.startswith(f"asnfp: error: {expected[:-3]}"), line
    else:
        assert line == f"asnfp: error: {expected}"


def test_a_syntax_error_in_a_file_it_runs_names_that_file_and_the_line_that_ran_it(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "helper.py").write_text("x = (\n")
    rules_file(here, "bad.py", "import runpy\n\nrunpy.run_path('helper.py')\n")
    pool(here, "pool.csv", GOOD)
    line = refused(here, capsys, generate("bad.py"))
    assert line == ("asnfp: error: bad.py: cannot load the rules: SyntaxError: '(' was never closed in helper.py, "
                    "line 1 (line 3)")


@pytest.mark.parametrize("command", [
    pytest.param(["generate", "pool.csv", "-p", "out"], id="generate"),
    pytest.param(["explain", "pool.csv"], id="explain"),
    pytest.param(["batch", "pool.csv", "-p", "out"], id="batch"),
])
def test_every_command_that_takes_rules_refuses_the_file_alike(
        here: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    rules_file(here, "bad.py", "1 / 0\n")
    pool(here, "pool.csv", GOOD)
    refused(here, capsys, [*command, "-r", "bad.py"],
            "asnfp: error: bad.py: cannot load the rules: ZeroDivisionError: division by zero (line 1)")


def test_the_rules_fail_before_the_pool_is_read(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The pool does not exist: the error is still the rules file's.
    rules_file(here, "bad.py", "1 / 0\n")
    refused(here, capsys, generate("bad.py", pool_name="no_such_pool.csv"), "bad.py: cannot load the rules")


def test_a_bad_file_after_a_good_one_is_the_one_named(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules_file(here, "good.py", HEAD + rule("Asn_Good"))
    rules_file(here, "bad.py", "1 / 0\n")
    pool(here, "pool.csv", GOOD)
    line = refused(here, capsys, generate("good.py", "-r", "bad.py"), "asnfp: error: bad.py: ")
    assert "good.py" not in line


def test_keyboard_interrupt_while_loading_stays_an_interrupt(
        here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules_file(here, "stop.py", "raise KeyboardInterrupt\n")
    pool(here, "pool.csv", GOOD)
    with pytest.raises(KeyboardInterrupt):
        load_rules("stop.py")
    status, _, err = run(generate("stop.py"), capsys)
    assert (status, err) == (130, "asnfp: interrupted\n")
    assert not (here / "out").exists()


def test_the_original_exception_is_kept_as_the_cause(here: Path) -> None:
    rules_file(here, "bad.py", "1 / 0\n")
    with pytest.raises(RulesFileError) as caught:
        load_rules("bad.py")
    assert caught.value.file == "bad.py"
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


# --- 2. a file that exits ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "call"), [
    pytest.param("import sys\nsys.exit(0)\n", "exit(0) (line 2)", id="sys.exit(0)"),
    pytest.param("import sys\n\nsys.exit('bye')\n", "exit('bye') (line 3)", id="sys.exit(message)"),
    pytest.param("raise SystemExit(3)\n", "exit(3) (line 1)", id="raise-SystemExit(3)"),
    pytest.param("x = 1\nraise SystemExit\n", "exit() (line 2)", id="raise-SystemExit"),
])
def test_a_file_that_exits_is_refused_in_one_line(
        here: Path, capsys: pytest.CaptureFixture[str], text: str, call: str) -> None:
    rules_file(here, "quits.py", text)
    pool(here, "pool.csv", GOOD)
    refused(here, capsys, generate("quits.py"),
            f"asnfp: error: quits.py: cannot load the rules: SystemExit: a rules file may not call {call}")


def test_sys_exit_0_in_a_rules_file_makes_the_process_exit_2(tmp_path: Path) -> None:
    (tmp_path / "quits.py").write_text("import sys\nsys.exit(0)\n")
    (tmp_path / "pool.csv").write_text(GOOD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ASNFP_TRACEBACK", None)
    done = subprocess.run([sys.executable, "-m", "asnfp.cli", "generate", "pool.csv", "-p", "out", "-r", "quits.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == ("asnfp: error: quits.py: cannot load the rules: SystemExit: a rules file may not "
                           "call exit(0) (line 2)\n")
    assert not (tmp_path / "out").exists()


# --- 3. two rules of one name -----------------------------------------------------------

def test_two_rules_of_one_name_in_one_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules_file(here, "twice.py", HEAD + rule("Asn_Mine", "A") + rule("Asn_Other", "B") + rule("Asn_Mine", "C"))
    pool(here, "pool.csv", GOOD)
    line = refused(here, capsys, generate("twice.py"))
    assert line == "asnfp: error: twice.py: two rules are named 'Asn_Mine' (a rule's name must be unique)"


def test_two_rules_of_one_name_in_one_files_rules_list(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules_file(here, "twice.py", HEAD + rule("Asn_Mine", "A") + rule("Asn_Mine", "B") + "RULES = [A, B]\n")
    pool(here, "pool.csv", GOOD)
    refused(here, capsys, generate("twice.py", "--ignore-default"), "twice.py: two rules are named 'Asn_Mine'")


def test_one_rule_bound_to_two_names_is_one_rule(here: Path) -> None:
    rules_file(here, "alias.py", HEAD + rule("Asn_Mine", "A") + "B = A\n")
    assert [r.name for r in load_rules("alias.py")] == ["Asn_Mine"]


@pytest.mark.parametrize("name", ["Asn_Mine", "Asn_Lv3Image"])
def test_two_files_defining_one_name_are_refused_naming_both(
        here: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    rules_file(here, "first.py", HEAD + rule(name))
    rules_file(here, "second.py", HEAD + rule("Asn_Else", "E") + rule(name))
    pool(here, "pool.csv", GOOD)
    expected = (f"asnfp: error: second.py: defines rule {name!r}, as first.py does (two rules files may not "
                "define one name)")
    assert refused(here, capsys, generate("first.py", "-r", "second.py")) == expected
    assert refused(here, capsys, ["explain", "pool.csv", "-r", "first.py", "-r", "second.py"]) == expected
    with pytest.raises(RulesFileError, match=r"second\.py: defines rule"):
        load_rule_files(["first.py", "second.py"])


def test_one_file_given_twice_is_refused(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules_file(here, "mine.py", HEAD + rule("Asn_Mine"))
    pool(here, "pool.csv", GOOD)
    refused(here, capsys, generate("mine.py", "-r", "mine.py"),
            "asnfp: error: mine.py: defines rule 'Asn_Mine' twice (is the file given twice?)")


def test_a_rule_with_a_catalogue_rules_name_replaces_it(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Documented (docs/rules.md, "Running your rules"; examples/image_long_wave.py): kept.
    # This Asn_Lv3Image takes no row, so the catalogue's image3 file is gone; image2 stays.
    rules_file(here, "none.py", "from asnfp import lift, replace\nfrom asnfp.jwst import catalogue_rule\n"
                                "base = catalogue_rule('Asn_Lv3Image')\n"
                                "NONE = replace(base, constraint=lift(lambda row: False))\n")
    pool(here, "pool.csv", GOOD)
    status, _, err = run(generate("none.py"), capsys)
    assert (status, err) == (0, "")
    assert asn_files(here / "out") == [name for name in EXPECTED if "image3" not in name]


def test_rules_keep_the_file_they_came_from(here: Path) -> None:
    rules_file(here, "a.py", HEAD + rule("Asn_A"))
    rules_file(here, "b.py", HEAD + rule("Asn_B"))
    assert [(r.name, r.origin) for r in load_rule_files(["a.py", "b.py"])] == [("Asn_A", "a.py"), ("Asn_B", "b.py")]


# --- a rules file that is not a file ----------------------------------------------------

@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail (instead of hanging) if the test blocks for 20 seconds."""
    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("blocked")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_folder(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (here / "rules.py").mkdir()
    pool(here, "pool.csv", GOOD)
    refused(here, capsys, generate("rules.py"), "asnfp: error: rules.py: is a folder, not a rules file")


def test_a_missing_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool(here, "pool.csv", GOOD)
    refused(here, capsys, generate("missing.py"), "asnfp: error: missing.py: no such rules file")
    refused(here, capsys, generate("pool.csv/rules.py"), "asnfp: error: pool.csv/rules.py: no such rules file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(here: Path, capsys: pytest.CaptureFixture[str], deadline: None) -> None:
    os.mkfifo(here / "rules.py")
    pool(here, "pool.csv", GOOD)
    refused(here, capsys, generate("rules.py"), "asnfp: error: rules.py: is a FIFO (named pipe), not a rules file")


@pytest.mark.skipif(IS_ROOT or not hasattr(os, "geteuid"), reason="root reads every file")
def test_an_unreadable_file(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = here / "rules.py"
    path.write_text(HEAD + rule("Asn_Mine"))
    path.chmod(0)
    pool(here, "pool.csv", GOOD)
    try:
        refused(here, capsys, generate("rules.py"),
                "asnfp: error: rules.py: cannot read the rules file (Permission denied)")
    finally:
        path.chmod(0o644)


def test_a_good_file_still_runs(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules_file(here, "good.py", HEAD + rule("Asn_Mine"))
    pool(here, "pool.csv", GOOD)
    status, _, err = run(generate("good.py"), capsys)
    assert (status, err) == (0, "")
    rules = {json.loads((here / "out" / name).read_text())["asn_rule"] for name in asn_files(here / "out")}
    assert rules == {"candidate_Asn_Lv2Image", "candidate_Asn_Lv3Image", "candidate_Asn_Mine"}
    assert not (here / "__pycache__").exists()  # loading writes nothing beside the file


def test_a_file_that_cannot_be_opened(here: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # (as root, chmod 0 does not stop a read: the refusal is made by os.open here)
    real_open = os.open

    def refusing_open(path: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        if os.fspath(path) == "rules.py":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)

    (here / "rules.py").write_text(HEAD + rule("Asn_Mine"))
    pool(here, "pool.csv", GOOD)
    monkeypatch.setattr(os, "open", refusing_open)
    refused(here, capsys, generate("rules.py"),
            "asnfp: error: rules.py: cannot read the rules file (Permission denied)")
