"""``asnfp batch``: many pools on a Dask cluster, each written as ``asnfp generate`` writes
it alone; a broken pool reported in one line and the others written.

The cluster tests run a local cluster of two worker processes over public pools (from
``../shared``, skipped when absent) and the shipped example pools, with a broken pool
among them. The last ones check that a batch is safe: a pool whose stem cannot name a
folder is refused, a pool that hangs (a rule file that sleeps) fails alone after
``--timeout``, Ctrl-C ends it with one line and no process left, and ``-j`` is capped.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asnfp.cli import batch, main
from asnfp.cli.batch import Outcome, progress_line, run_batch, summary_csv
from asnfp.fast.workers import available_workers
from tests.conftest import CONFORMANCE

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_POOLS = sorted(str(p) for p in EXAMPLES.glob("jw*_pool.csv"))
PUBLIC_POOLS = ("pool_002_image_miri", "pool_005_spec_niriss", "pool_007_spec_miri",
                "pool_021_tso", "jw00632_dups")


def _run(argv: Sequence[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _alone(pool: str, folder: Path, flags: Sequence[str]) -> dict[str, bytes]:
    status, _, err = _run(["generate", pool, "-p", str(folder), *flags])
    assert status == 0, err
    return _files(folder)


def _orphan_rows(table: bytes) -> int:
    lines = [line for line in table.decode().splitlines() if not line.startswith("#")]
    return len(lines) - 1


@pytest.fixture(scope="module")
def broken_pool(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A pool without the ``exp_type`` column the rules read."""
    path = tmp_path_factory.mktemp("broken") / "jw09999_broken_pool.csv"
    path.write_text("filename|program|asn_candidate\njw_1_uncal.fits|1|null\n")
    return str(path)


@pytest.fixture(scope="module")
def public_run(tmp_path_factory: pytest.TempPathFactory, broken_pool: str
               ) -> tuple[list[str], Path, tuple[int, str, str]]:
    if not (CONFORMANCE / "pools").is_dir():
        pytest.skip("../shared/conformance is absent")
    pools = [str(CONFORMANCE / "pools" / f"{name}.csv") for name in PUBLIC_POOLS]
    pools.insert(2, broken_pool)
    out = tmp_path_factory.mktemp("batch") / "out"
    return pools, out, _run(["batch", *pools, "-p", str(out), "-j", "2", "--save-orphans"])


def test_a_failed_pool_gives_status_one_and_the_others_are_written(public_run: tuple) -> None:
    pools, out, (status, stdout, _) = public_run
    assert status == 1
    assert sorted(os.listdir(out)) == sorted([Path(p).stem for p in pools if "broken" not in p] + ["summary.csv"])
    assert stdout.startswith(f"{len(pools)} pools in ")
    assert f"{len(pools) - 1} generated, 1 failed" in stdout


def test_the_broken_pool_is_one_line_naming_its_file_and_column(public_run: tuple, broken_pool: str) -> None:
    _, out, (_, _, stderr) = public_run
    assert stderr.splitlines() == [(f"asnfp: error: {broken_pool}, column 'exp_type': the pool has no such "
                                    "column (the rules need it)")]
    assert not (out / Path(broken_pool).stem).exists()


def test_every_pool_is_written_as_generate_writes_it_alone(public_run: tuple, tmp_path: Path) -> None:
    pools, out, _ = public_run
    for pool in pools:
        if "broken" in pool:
            continue
        stem = Path(pool).stem
        assert _files(out / stem) == _alone(pool, tmp_path / stem, ["--save-orphans"]), stem


def test_the_summary_has_a_row_per_pool_in_their_order_with_what_was_written(public_run: tuple) -> None:
    pools, out, _ = public_run
    header, *rows = csv.reader(io.StringIO((out / "summary.csv").read_text()))
    assert header == ["pool", "status", "associations", "orphans", "seconds", "message"]
    assert [row[0] for row in rows] == pools
    for pool, row in zip(pools, rows, strict=True):
        _, status, associations, orphans, seconds, message = row
        assert float(seconds) >= 0
        if "broken" in pool:
            assert (status, associations, orphans) == ("failed", "0", "0")
            assert message.startswith(f"{pool}, column 'exp_type'")
            continue
        files = _files(out / Path(pool).stem)
        assert status == "ok" and message == ""
        assert int(associations) == len([name for name in files if name.endswith("_asn.json")])
        assert int(orphans) == _orphan_rows(files["orphaned.csv"])


def test_flags_apply_to_every_pool(tmp_path: Path) -> None:
    flags = ["--format", "yaml", "--version-id", "v7", "--save-orphans", "left.csv"]
    out = tmp_path / "out"
    status, _, err = _run(["batch", str(EXAMPLES / "jw*_pool.csv"), "-p", str(out), "-j", "2", *flags])
    assert (status, err) == (0, "")
    assert sorted(os.listdir(out)) == sorted([Path(p).stem for p in EXAMPLE_POOLS] + ["summary.csv"])
    for pool in EXAMPLE_POOLS:
        written = _files(out / Path(pool).stem)
        assert "left.csv" in written and any("_v7_" in name and name.endswith("_asn.yaml") for name in written)
        assert written == _alone(pool, tmp_path / "alone" / Path(pool).stem, flags)


def test_an_existing_cluster_is_used_when_its_scheduler_is_given(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        status, _, err = _run(["batch", *EXAMPLE_POOLS, "-p", str(tmp_path / "out"),
                               "--scheduler", cluster.scheduler_address])
        assert (status, err) == (0, "")
        with distributed.Client(cluster) as client:  # the cluster is still there, and ran the pools
            assert len(client.scheduler_info()["workers"]) == 1
    for pool in EXAMPLE_POOLS:
        stem = Path(pool).stem
        assert _files(tmp_path / "out" / stem) == _alone(pool, tmp_path / "alone" / stem, [])


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    status, stdout, err = _run(["batch", *EXAMPLE_POOLS, "-p", str(tmp_path / "out"), "--dry-run", "-j", "1"])
    assert (status, err) == (0, "")
    assert f"{len(EXAMPLE_POOLS)} generated, 0 failed" in stdout
    assert not (tmp_path / "out").exists()


def test_without_dask_one_line_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed: ImportError
    status, stdout, err = _run(["batch", *EXAMPLE_POOLS, "-p", str(tmp_path / "out")])
    assert (status, stdout) == (2, "")
    assert err == "asnfp: error: asnfp batch needs Dask: pip install 'asnfp[batch]'\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("argv", "says"), [
    (["{d}/a/jw1_pool.csv", "{d}/b/jw1_pool.csv"], "would both be written to {d}/out/jw1_pool: rename one"),
    (["{d}/none/*.csv"], "no pool matches '{d}/none/*.csv'"),
    (["{d}/a/jw1_pool.csv", "--save-orphans", "/tmp/orphans.csv"], "in a batch, give a name inside each pool's folder"),
    (["{d}/a/jw1_pool.csv", "--save-orphans", "../orphans.csv"], "in a batch, give a name inside each pool's folder"),
    (["{d}/a/jw1_pool.csv", "-j", "2", "--scheduler", "tcp://127.0.0.1:8786"],
     "-j sets the workers of the local cluster"),
    (["{d}/a/jw1_pool.csv", "--scheduler", "nonsense"], "cannot reach the Dask scheduler at nonsense"),
    (["{d}/a/jw1_pool.csv", "--version-id", "a/b"], "--version-id 'a/b': only letters"),
    (["{d}/a/jw1_pool.csv", "-r", "{d}/none.py"], "none.py"),
])
def test_a_request_that_cannot_run_is_one_line_and_writes_nothing(tmp_path: Path, argv: list[str], says: str) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "jw1_pool.csv").write_text((EXAMPLES / "jw01234_imaging_pool.csv").read_text())
    d = str(tmp_path)
    status, stdout, err = _run(["batch", *(a.format(d=d) for a in argv), "-p", f"{d}/out"])
    assert (status, stdout) == (2, "")
    assert err.startswith("asnfp: error: ") and err.count("\n") == 1
    assert says.format(d=d) in err
    assert not (tmp_path / "out").exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    status, _, err = _run(["batch", *EXAMPLE_POOLS, "-p", str(tmp_path / "out")])
    assert status == 2 and err == f"asnfp: error: {tmp_path / 'out'}: exists and is not a folder\n"


# ---------------------------------------------------------------- the parts, without a cluster


class _Future:
    def __init__(self, key: str, result: Outcome | BaseException | None,
                 released: Callable[[_Future], None] = lambda future: None) -> None:
        self.key, self._result = key, result  # (None: the task never ends)
        self._released = released

    def done(self) -> bool:
        return self._result is not None

    def result(self) -> Outcome:
        if isinstance(self._result, BaseException):
            raise self._result
        assert self._result is not None
        return self._result

    def release(self) -> None:
        self._released(self)


class _Client:
    """A fake client of ``threads`` workers of one thread: a pool whose name holds
    ``crash`` loses its worker, one whose name holds ``hang`` never ends. A task takes a
    free worker (none free: a failure of the batch's one-pool-per-thread rule); its
    worker is free again when the batch has seen it end (``release``), or when the worker
    is stopped."""

    def __init__(self, threads: int, crash: str = "-", hang: str = "-", stoppable: bool = True) -> None:
        self.on: dict[str, _Future | None] = {f"w{i}": None for i in range(threads)}
        self.crash, self.hang, self.stoppable = crash, hang, stoppable
        self.most = 0
        self.stopped: list[str] = []
        self.cancelled: list[str] = []

    def nthreads(self) -> dict[str, int]:
        return dict.fromkeys(self.on, 1)

    def submit(self, fn: object, pool: str, folder: str, flags: object, *, key: str, pure: bool,
               workers: list[str] | None) -> _Future:
        free = [w for w, task in self.on.items() if task is None and (workers is None or w in workers)]
        assert free, "a pool was given to a cluster with no free thread"
        result = (None if self.hang in pool else
                  KilledWorker("worker died\nmore") if self.crash in pool else Outcome(pool, "ok", 1))
        self.on[free[0]] = future = _Future(key, result, self._free)
        self.most = max(self.most, sum(task is not None for task in self.on.values()))
        return future

    def _free(self, future: _Future) -> None:
        self.on = {w: None if task is future else task for w, task in self.on.items()}

    def processing(self) -> dict[str, list[str]]:
        return {w: [task.key] for w, task in self.on.items() if task is not None}

    def cancel(self, futures: list[_Future]) -> None:
        self.cancelled += [f.key for f in futures]

    def wait(self, futures: list[_Future], timeout: float, return_when: str) -> SimpleNamespace:
        """``distributed.wait``: the newest task that ends, or TimeoutError after ``timeout``
        (at once when ``timeout`` is 0, ended tasks or not, as Dask may)."""
        assert return_when == "FIRST_COMPLETED"
        if timeout <= 0:
            raise TimeoutError
        ending = [f for f in futures if f.done()]
        if not ending:
            time.sleep(timeout)
            raise TimeoutError
        return SimpleNamespace(done={ending[-1]})

    def stop(self, worker: str) -> str | None:
        if not self.stoppable:
            return f"its Dask worker {worker} has no nanny to restart it"
        self.stopped.append(worker)
        self.on[worker] = None
        return None


class KilledWorker(Exception):
    pass


def _on_fake(client: _Client, pools: list[str], timeout: float = 600.0) -> list[Outcome]:
    cluster = batch._Cluster(client, "a fake cluster", client.stop)
    submit = batch._on_cluster(SimpleNamespace(wait=client.wait), cluster, argparse.Namespace(timeout=timeout))
    return run_batch(submit, pools, [f"o/{p}" for p in pools])


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_a_task_lost_with_its_worker_is_a_failed_pool_and_the_cluster_holds_a_pool_per_thread(threads: int) -> None:
    client = _Client(threads, crash="c.csv")
    outcomes = _on_fake(client, [f"{name}.csv" for name in "abcdefg"])
    assert [o.status for o in outcomes] == ["ok", "ok", "failed", "ok", "ok", "ok", "ok"]
    assert outcomes[2] == Outcome("c.csv", "failed", message=(
        "the Dask worker that ran it died (the process crashed or ran out of memory)"))
    assert client.most == threads


@pytest.mark.parametrize("threads", [1, 2])
def test_a_pool_past_its_time_is_cancelled_and_its_worker_alone_stopped(threads: int) -> None:
    client = _Client(threads, hang="c.csv")
    outcomes = _on_fake(client, [f"{name}.csv" for name in "abcde"], timeout=0.05)
    assert [o.status for o in outcomes] == ["ok", "ok", "failed", "ok", "ok"]
    hung = outcomes[2]
    assert (hung.message, hung.warnings) == ("took longer than 0.05 s (--timeout)", ())
    assert hung.seconds >= 0.05
    assert len(client.stopped) == 1 and [key.rsplit("-", 1)[1] for key in client.cancelled] == ["c"]
    assert client.most <= threads


def test_a_pool_that_ends_after_its_time_but_before_it_is_stopped_is_taken_as_ended() -> None:
    """Every pool is past its (tiny) time when it is looked at, and has ended by then: the
    batch takes each as it ended (it once waited again and again, for ever)."""
    def too_long(signum: int, frame: object) -> None:
        raise AssertionError("the batch did not end")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(20)
    try:
        outcomes = _on_fake(_Client(2), [f"{name}.csv" for name in "abcd"], timeout=1e-9)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [o.status for o in outcomes] == ["ok"] * 4


def test_a_worker_that_cannot_be_stopped_gets_no_more_pools() -> None:
    client = _Client(2, hang="a.csv", stoppable=False)
    outcomes = _on_fake(client, [f"{name}.csv" for name in "abcd"], timeout=0.05)
    assert [o.status for o in outcomes] == ["failed", "ok", "ok", "ok"]  # (on the other worker, one at a time)
    assert outcomes[0].warnings == ("its Dask worker w0 has no nanny to restart it: it was left running the "
                                    "pool, and gets no more pools of this batch",)
    client = _Client(1, hang="a.csv", stoppable=False)
    outcomes = _on_fake(client, [f"{name}.csv" for name in "abc"], timeout=0.05)
    assert [o.message for o in outcomes[1:]] == [batch.NO_WORKER_LEFT] * 2


def test_the_local_cluster_has_no_more_workers_than_cores_and_pools(tmp_path: Path) -> None:
    status, stdout, err = _run(["batch", EXAMPLE_POOLS[0], "-p", str(tmp_path / "out"), "-j", "100000", "-v"])
    assert (status, err) == (0, "")
    assert stdout.splitlines()[0] == "1 pools on a local Dask cluster of 1 workers (1 threads)"
    cores = available_workers()
    assert batch.cluster_size(100000, 500, cores) == cores and batch.cluster_size(None, 500, cores) == cores
    assert batch.cluster_size(100000, 3, 10**6) == 3


@given(st.lists(st.booleans(), min_size=1, max_size=20).flatmap(
    lambda oks: st.tuples(st.just(oks), st.permutations(range(len(oks))))))
def test_outcomes_come_back_in_the_pools_order_whatever_the_order_they_end(case: tuple) -> None:
    oks, order = case
    pools = [f"p{i}.csv" for i in range(len(oks))]
    told: list[tuple[int, int]] = []

    def submit(pools_: list[str], folders: list[str]) -> Iterator[tuple[int, Outcome]]:
        for i in order:
            yield i, Outcome(pools_[i], "ok" if oks[i] else "failed")

    outcomes = run_batch(submit, pools, pools, lambda done, failed: told.append((done, failed)))
    assert [o.pool for o in outcomes] == pools
    assert [o.status == "ok" for o in outcomes] == oks
    assert [done for done, _ in told] == list(range(1, len(oks) + 1))
    assert told[-1][1] == oks.count(False)
    assert all(a <= b for (_, a), (_, b) in pairwise(told))


@given(st.integers(0, 500).flatmap(lambda total: st.tuples(st.just(total), st.integers(0, total))),
       st.integers(0, 50), st.floats(0, 1e4), st.integers(1, 60))
def test_a_progress_line_has_a_bar_of_its_width_and_the_counts(counts: tuple, failed: int, seconds: float,
                                                               width: int) -> None:
    total, done = counts
    line = progress_line(done, total, failed, seconds, width)
    bar, _, rest = line.partition("] ")
    assert len(bar) == width + 1 and set(bar[1:]) <= {"#", "-"}
    assert bar.count("#") == (width * done // total if total else width)
    assert rest.startswith(f"{done}/{total} pools")
    assert ("failed" in rest) == (failed > 0)
    assert ("pools/s" in rest) == (done > 0 and seconds > 0)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only() -> None:
    quiet = io.StringIO()
    batch._progress_printer(2, quiet, 0.0)(1, 0)
    assert quiet.getvalue() == ""
    terminal = _Terminal()
    show = batch._progress_printer(2, terminal, 0.0)
    show(1, 0)
    show(2, 1)
    lines = terminal.getvalue().split("\r")[1:]
    assert [line.split("] ")[1].split(" pools")[0] for line in lines] == ["0/2", "1/2", "2/2"]
    assert lines[-1].endswith(", 1 failed\n") and not lines[1].endswith("\n")


def test_the_summary_quotes_what_csv_must_quote() -> None:
    text = summary_csv([Outcome("a,b.csv", "failed", message='a,b.csv: "odd", really')])
    assert text.splitlines()[1] == '"a,b.csv",failed,0,0,0.000,"a,b.csv: ""odd"", really"'


def test_warnings_name_their_pool(tmp_path: Path) -> None:
    status, _, err = _run(["batch", *EXAMPLE_POOLS, "-p", str(tmp_path / "out"), "-j", "1", "-i", "o999"])
    assert status == 0
    assert err.splitlines() == [f"asnfp: warning: {pool}: candidate id o999 not found in pool"
                                for pool in EXAMPLE_POOLS]


def test_verbose_tells_what_each_pool_made(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, stdout, _ = _run(["batch", *EXAMPLE_POOLS, "-p", str(out), "-j", "1", "-v", "--save-orphans", "o.csv"])
    assert status == 0
    first, *lines = stdout.splitlines()
    assert first == f"{len(EXAMPLE_POOLS)} pools on a local Dask cluster of 1 workers (1 threads)"
    assert len(lines) == len(EXAMPLE_POOLS) + 1
    for pool, line in zip(EXAMPLE_POOLS, lines, strict=False):
        files = _files(out / Path(pool).stem)
        orphans = _orphan_rows(files.pop("o.csv"))
        assert line.startswith(f"{len(files)} associations and {orphans} orphans from {pool} in ")


CRASHING_RULE = '''
import os
from asnfp import lift
from asnfp.jwst import rule

def _crash_in_program_1235(row):
    if row.get("filename", "").startswith("jw01235"):
        os._exit(3)  # the worker process dies in the middle of the pool
    return False

CRASH = rule("Asn_Crash", "image3", None, lift(_crash_in_program_1235, "crash"))
'''


@pytest.mark.parametrize("workers", ["1", "2"])  # one worker: the other pool waits at the scheduler, not there
def test_a_pool_that_kills_its_worker_fails_alone(tmp_path: Path, workers: str) -> None:
    pytest.importorskip("distributed")  # (its settings are Dask's once it is imported)
    import dask.config

    rules = tmp_path / "crash.py"
    rules.write_text(CRASHING_RULE)
    out = tmp_path / "out"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # no second try on another worker
        pools = sorted(EXAMPLE_POOLS, key=lambda p: "jw01235" not in p)  # the crash first: others wait behind it
        status, stdout, err = _run(["batch", *pools, "-p", str(out), "-j", workers, "-r", str(rules)])
    crashed = [p for p in EXAMPLE_POOLS if "jw01235" in p]
    assert len(crashed) == 1 and status == 1
    assert err.splitlines() == [(f"asnfp: error: {crashed[0]}: the Dask worker that ran it died (the process "
                                 "crashed or ran out of memory)")]
    assert f"{len(EXAMPLE_POOLS) - 1} generated, 1 failed" in stdout
    for pool in EXAMPLE_POOLS:
        stem = Path(pool).stem
        if pool in crashed:
            assert not (out / stem).exists()
        else:
            assert _files(out / stem) == _alone(pool, tmp_path / "alone" / stem, ["-r", str(rules)])


# ---------------------------------------------------------------- safe by construction


@pytest.mark.parametrize(("name", "why"), [
    ("...csv", "'..' is not a plain file name: it holds '..'"),
    ("a\nb_pool.csv", "'a\\nb_pool' is not a plain file name: it holds the unprintable character '\\n'"),
    ("x" * 300 + ".csv", "is not a plain file name: it is 300 bytes long (at most 255)"),  # (no file can have it)
    ("summary.csv.csv", "'summary.csv' is the batch's own"),
])
def test_a_pool_whose_stem_cannot_name_a_folder_is_refused_before_anything_runs(tmp_path: Path, name: str,
                                                                                  why: str) -> None:
    pool = tmp_path / "pools" / name
    pool.parent.mkdir()
    with contextlib.suppress(OSError):  # (a name too long for any file system: refused all the same)
        pool.write_text((EXAMPLES / "jw01234_imaging_pool.csv").read_text())
    before = sorted(tmp_path.rglob("*"))
    status, stdout, err = _run(["batch", *EXAMPLE_POOLS, str(pool), "-p", str(tmp_path / "out")])
    assert (status, stdout) == (2, "")
    shown = str(pool) if str(pool).isprintable() else repr(str(pool))
    assert err.startswith(f"asnfp: error: {shown}: its stem cannot name a folder: ") and err.endswith(why + "\n")
    assert err.count("\n") == 1
    assert sorted(tmp_path.rglob("*")) == before  # nothing written: not OUT, not beside it


HANGING_RULE = '''
import os, time
from asnfp import lift
from asnfp.jwst import rule

def _hang_in_program_1235(row):
    if row.get("filename", "").startswith("jw01235"):
        with open({marks!r}, "a") as marks:  # a line per pool that hangs, as it begins to
            marks.write(f"{{os.getpid()}}\\n")
        time.sleep(60)
    return False

HANG = rule("Asn_Hang", "image3", None, lift(_hang_in_program_1235, "hang"))
'''


def _hanging_rule(folder: Path) -> tuple[Path, Path]:
    rules, marks = folder / "hang.py", folder / "hanging.txt"
    rules.write_text(HANGING_RULE.format(marks=str(marks)))
    return rules, marks


def test_a_pool_past_its_timeout_fails_alone_and_the_others_are_written(tmp_path: Path) -> None:
    rules, _ = _hanging_rule(tmp_path)
    copy = tmp_path / "jw01234_copy_pool.csv"
    copy.write_text((EXAMPLES / "jw01234_imaging_pool.csv").read_text())
    hanging = str(EXAMPLES / "jw01235_spectra_pool.csv")
    pools, out = [hanging, EXAMPLE_POOLS[0], str(copy)], tmp_path / "out"
    start = time.monotonic()
    status, stdout, err = _run(["batch", *pools, "-p", str(out), "-j", "2", "-r", str(rules), "--timeout", "3"])
    took = time.monotonic() - start
    assert status == 1 and "2 generated, 1 failed" in stdout
    assert err.splitlines() == [f"asnfp: error: {hanging}: took longer than 3 s (--timeout)"]
    _, *rows = csv.reader(io.StringIO((out / "summary.csv").read_text()))
    assert [row[:2] for row in rows] == [[hanging, "failed"], [pools[1], "ok"], [pools[2], "ok"]]
    assert rows[0][5] == "took longer than 3 s (--timeout)" and float(rows[0][4]) >= 3
    assert sorted(os.listdir(out)) == ["jw01234_copy_pool", "jw01234_imaging_pool", "summary.csv"]
    for pool in pools[1:]:
        stem = Path(pool).stem
        assert _files(out / stem) == _alone(pool, tmp_path / "alone" / stem, ["-r", str(rules)])
    assert took < 30  # (3 s, a worker restarted, the cluster started and closed: not the 60 s of the hang)


def test_ctrl_c_ends_the_batch_with_one_line_and_leaves_no_process(tmp_path: Path) -> None:
    rules, marks = _hanging_rule(tmp_path)
    hanging = []
    for name in ("jw01235_a_pool.csv", "jw01235_b_pool.csv"):
        (tmp_path / name).write_text((EXAMPLES / "jw01235_spectra_pool.csv").read_text())
        hanging.append(str(tmp_path / name))
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "ASNFP_TRACEBACK"}
    argv = [sys.executable, "-m", "asnfp.cli", "batch", EXAMPLE_POOLS[0], *hanging, "-p", str(out), "-j", "2",
            "-r", str(rules)]
    run = subprocess.Popen(argv, cwd=Path(__file__).resolve().parents[1], env=env, start_new_session=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: marks.exists() and len(marks.read_text().split()) == 2, run)  # both workers hang
        os.killpg(run.pid, signal.SIGINT)  # as a terminal sends Ctrl-C: to every process of the group
        stdout, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert (run.returncode, stdout, stderr) == (130, "", "asnfp: interrupted\n")
    _wait_for(lambda: not _alive_in_group(run.pid), None)
    workers = [int(pid) for pid in marks.read_text().split()]
    assert not [pid for pid in workers if _alive(pid)]
    stem = Path(EXAMPLE_POOLS[0]).stem  # it ended before the Ctrl-C: written whole
    assert sorted(os.listdir(out)) == [stem]
    assert _files(out / stem) == _alone(EXAMPLE_POOLS[0], tmp_path / "alone", ["-r", str(rules)])


def _wait_for(condition: Callable[[], bool], run: subprocess.Popen[str] | None, within: float = 30) -> None:
    end = time.monotonic() + within
    while not condition():
        assert time.monotonic() < end, "waited too long"
        assert run is None or run.poll() is None, run.communicate()
        time.sleep(0.05)


def _alive_in_group(group: int) -> list[int]:
    """The processes of ``group`` that are alive (not zombies, which nobody reaps here)."""
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _group(p) == group]


def _group(proc: Path) -> int | None:
    """The process group of a process that is alive, else None."""
    try:
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[2])


def _alive(pid: int) -> bool:
    return _group(Path(f"/proc/{pid}")) is not None
