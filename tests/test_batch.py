"""``asnfp batch``: many pools on a Dask cluster, each written as ``asnfp generate`` writes
it alone; a broken pool reported in one line and the others written.

The cluster tests run a local cluster of two worker processes over public pools (from
``../shared``, skipped when absent) and the shipped example pools, with a broken pool
among them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import sys
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asnfp import batch
from asnfp.batch import Outcome, progress_line, run_batch, summary_csv
from asnfp.cli import main
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
    (["{d}/a/jw1_pool.csv", "-j", "2", "--scheduler", "tcp://127.0.0.1:8786"], "-j sets the workers of the local cluster"),
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
    def __init__(self, key: str, result: Outcome | BaseException) -> None:
        self.key, self._result = key, result

    def result(self) -> Outcome:
        if isinstance(self._result, BaseException):
            raise self._result
        return self._result

    def release(self) -> None:
        pass


class _Cluster:
    """A fake client of ``threads`` threads: records how many tasks it held at once."""

    def __init__(self, threads: int, crash: str) -> None:
        self.threads, self.crash, self.held, self.most = threads, crash, 0, 0

    def nthreads(self) -> dict[str, int]:
        return {"w": self.threads}

    def submit(self, fn: object, pool: str, folder: str, flags: object, key: str, pure: bool) -> _Future:
        self.held += 1
        self.most = max(self.most, self.held)
        return _Future(key, KilledWorker("worker died\nmore") if self.crash in pool else Outcome(pool, "ok", 1))


class KilledWorker(Exception):
    pass


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_a_task_lost_with_its_worker_is_a_failed_pool_and_the_cluster_holds_a_pool_per_thread(threads: int) -> None:
    cluster = _Cluster(threads, crash="c.csv")
    pools = [f"{name}.csv" for name in "abcdefg"]
    dask = SimpleNamespace(as_completed=lambda futures: _Counting(futures, cluster))
    outcomes = run_batch(batch._on_cluster(dask, cluster, SimpleNamespace()), pools, [f"o/{p}" for p in pools])
    assert [o.status for o in outcomes] == ["ok", "ok", "failed", "ok", "ok", "ok", "ok"]
    assert outcomes[2] == Outcome("c.csv", "failed", message=(
        "the Dask worker that ran it died (the process crashed or ran out of memory)"))
    assert cluster.most == threads


class _Counting:
    """``as_completed`` of the fake cluster: the newest first, telling the cluster when
    it gives a task back."""

    def __init__(self, futures: list[_Future], cluster: _Cluster) -> None:
        self.futures, self.cluster = list(futures), cluster

    def add(self, future: _Future) -> None:
        self.futures.append(future)

    def __iter__(self) -> Iterator[_Future]:
        while self.futures:
            self.cluster.held -= 1
            yield self.futures.pop()


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
    assert err.splitlines() == [f"asnfp: warning: {pool}: candidate id o999 not found in pool" for pool in EXAMPLE_POOLS]


def test_verbose_tells_what_each_pool_made(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, stdout, _ = _run(["batch", *EXAMPLE_POOLS, "-p", str(out), "-j", "1", "-v", "--save-orphans", "o.csv"])
    assert status == 0
    lines = stdout.splitlines()
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
