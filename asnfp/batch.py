"""Many pools at once: ``asnfp batch``, every pool generated into ``OUT/<pool stem>/``
on a Dask cluster (a local one by default), with a summary table ``OUT/summary.csv``.

Each pool is one task: :func:`generate_one` runs what ``asnfp generate`` runs, in one
process, and returns an :class:`Outcome` instead of raising. So a failing pool is one
row of the summary and the others go on, and the files of a pool are those that
``asnfp generate`` writes for it alone. Dask (``asnfp[batch]``) is imported only here,
and only when a batch runs.

>>> progress_line(50, 200, 1, 4.0, width=10)
'[##--------] 50/200 pools, 12.5 pools/s, 1 failed'
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import glob
import io
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, Final, TextIO

import msgspec

from asnfp.errors import AsnfpError, OutputError, UsageError

__all__ = (
    "Outcome",
    "SUMMARY_FIELDS",
    "INSTALL_HINT",
    "add_parser",
    "pool_paths",
    "pool_folders",
    "generate_one",
    "run_batch",
    "summary_csv",
    "progress_line",
    "run",
)

INSTALL_HINT: Final = "asnfp batch needs Dask: pip install 'asnfp[batch]'"
SUMMARY_FIELDS: Final = ("pool", "status", "associations", "orphans", "seconds", "message")
#: Exit status when some pools failed (the others were written): 1. A request that
#: cannot run at all exits with 2, as every asnfp command does.
SOME_FAILED: Final = 1


#: Dask settings of the local cluster: the workers' sampling profiler is off (nobody
#: reads it, and it costs CPU beside the pools).
LOCAL_CLUSTER_CONFIG: Final = {"distributed.worker.profile.enabled": False}


class Outcome(msgspec.Struct, frozen=True):
    """What became of one pool: ``status`` is ``ok`` or ``failed``; a failure's
    ``message`` is one line. ``warnings`` are those ``asnfp generate`` would print."""

    pool: str
    status: str
    associations: int = 0
    orphans: int = 0
    seconds: float = 0.0
    message: str = ""
    warnings: tuple[str, ...] = ()


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``asnfp batch``: pools (or glob patterns), ``-p OUT``, the cluster's
    flags, and every flag of ``asnfp generate`` that says how a pool is made.

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> a = p.parse_args(["batch", "a.csv", "pools/*.csv", "-p", "out", "-j", "2", "--merge"])
    >>> a.pools, a.path, a.workers, a.scheduler, a.merge
    (['a.csv', 'pools/*.csv'], 'out', 2, None, True)
    """
    from asnfp.cli import add_generate_flags, positive_count

    p = subparsers.add_parser(
        "batch", help="generate many pools at once, on a Dask cluster",
        description="Generate every pool into OUT/<pool stem>/, as 'asnfp generate' would "
                    "one by one, on a local Dask cluster (or the one at --scheduler, which "
                    "must see the same files). A pool that fails is reported and the others "
                    "go on. OUT/summary.csv has a row per pool.",
        epilog="Exit status: 0 when every pool was generated, 1 when some failed (the others "
               "are written), 2 when the request cannot run.")
    p.add_argument("pools", nargs="+", metavar="POOL", help="pool files, or glob patterns such as 'pools/*.csv'")
    p.add_argument("-p", "--path", required=True, metavar="OUT",
                   help="output folder: each pool goes to OUT/<pool stem>/")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="the address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("-j", "--workers", type=positive_count, default=None, metavar="N",
                   help="worker processes of the local cluster (default: one per core)")
    add_generate_flags(p)
    p.set_defaults(command=run)
    return p


def pool_paths(patterns: Sequence[str]) -> list[str]:
    """The pools named: each argument a file, or a glob pattern (sorted matches); each
    pool once, in the order given.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("b.csv", "a.csv"):
    ...     _ = (d / name).write_text("x\\n")
    >>> [Path(p).name for p in pool_paths([str(d / "b.csv"), str(d / "*.csv")])]
    ['b.csv', 'a.csv']
    >>> pool_paths([str(d / "*.fits")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    asnfp.errors.UsageError: no pool matches '.../*.fits'
    """
    found: dict[str, str] = {}
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) and not os.path.exists(pattern) else [pattern]
        if not matches:
            raise UsageError(f"no pool matches {pattern!r}")
        for path in matches:
            found.setdefault(os.path.abspath(path), path)
    return list(found.values())


def pool_folders(pools: Sequence[str], out: str | os.PathLike[str]) -> list[str]:
    """Where each pool's files go: ``OUT/<pool stem>``. Two pools of one stem are
    refused (one would overwrite the other).

    >>> pool_folders(["p/jw1_pool.csv", "q/jw2_pool.csv"], "out")
    ['out/jw1_pool', 'out/jw2_pool']
    >>> pool_folders(["p/jw1_pool.csv", "q/jw1_pool.csv"], "out")
    Traceback (most recent call last):
    asnfp.errors.UsageError: p/jw1_pool.csv and q/jw1_pool.csv would both be written to out/jw1_pool: rename one
    """
    seen: dict[str, str] = {}
    for pool in pools:
        folder = os.path.join(out, Path(pool).stem)
        if folder in seen:
            raise UsageError(f"{seen[folder]} and {pool} would both be written to {folder}: rename one")
        seen[folder] = pool
    return list(seen)


def generate_one(pool: str, folder: str, args: argparse.Namespace) -> Outcome:
    """Generate one pool into ``folder`` with the flags of ``args``, in this process (a
    Dask task): the files ``asnfp generate POOL -p FOLDER`` writes, and its outcome. It
    never raises for the pool's sake: a failure is an :class:`Outcome` with the one-line
    message ``asnfp generate`` would print.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "p.csv").write_text("filename|exp_type|pntgtype|program|targetid|asn_candidate\\n"
    ...                              "jw_1_uncal.fits|nrc_dark|science|1|1|null\\n")
    >>> args = argparse.ArgumentParser(); sub = args.add_subparsers(); _ = add_parser(sub)
    >>> flags = args.parse_args(["batch", "p.csv", "-p", str(d / "out")])
    >>> done = generate_one(str(d / "p.csv"), str(d / "out" / "p"), flags)
    >>> done.pool, done.status, done.associations, done.orphans, os.listdir(d / "out" / "p")
    ('p.csv', 'ok', 0, 1, [])
    >>> generate_one(str(d / "none.csv"), str(d / "out" / "none"), flags).message  # doctest: +ELLIPSIS
    '.../none.csv: no such file'
    """
    from asnfp.cli import cycle_collector_off, generate_files, internal_error, one_line
    from asnfp.generate import RuleFailed

    job = copy.copy(args)
    job.pool, job.path, job.workers = pool, folder, 1  # (a Dask worker is one process)
    start = time.perf_counter()
    warned: list[str] = []
    try:
        with cycle_collector_off():
            made = generate_files(job, warned.append)
    except (AsnfpError, RuleFailed) as err:
        return _failed(pool, one_line(err), start, warned)
    except Exception as err:  # noqa: BLE001  (a bug in asnfp: this pool fails, the others go on)
        return _failed(pool, internal_error(err), start, warned)
    return Outcome(Path(pool).name, "ok", made.associations, made.orphans, _since(start), warnings=tuple(warned))


def _failed(pool: str, message: str, start: float, warned: Sequence[str]) -> Outcome:
    return Outcome(Path(pool).name, "failed", seconds=_since(start), message=message, warnings=tuple(warned))


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 3)


def run_batch(submit: Callable[[list[str], list[str]], Iterator[tuple[int, Outcome]]],
              pools: Sequence[str], folders: Sequence[str],
              progress: Callable[[int, int], None] = lambda done, failed: None) -> list[Outcome]:
    """Run every pool through ``submit`` (which yields ``(index, outcome)`` as pools end,
    in any order) and return the outcomes in the pools' order; ``progress(done, failed)``
    is told after each.

    >>> def serial(pools, folders):
    ...     for i, pool in reversed(list(enumerate(pools))):
    ...         yield i, Outcome(pool, "ok" if "good" in pool else "failed")
    >>> [o.status for o in run_batch(serial, ["good.csv", "bad.csv"], ["o/good", "o/bad"])]
    ['ok', 'failed']
    """
    outcomes: dict[int, Outcome] = {}
    failed = 0
    for index, outcome in submit(list(pools), list(folders)):
        outcomes[index] = outcome
        failed += outcome.status != "ok"
        progress(len(outcomes), failed)
    return [outcomes[i] for i in range(len(pools))]


def summary_csv(outcomes: Sequence[Outcome]) -> str:
    """The summary table: a header, then a row per pool (``SUMMARY_FIELDS``).

    >>> print(summary_csv([Outcome("a.csv", "ok", 3, 1, 0.25), Outcome("b.csv", "failed", message="b.csv: no such file")]), end="")
    pool,status,associations,orphans,seconds,message
    a.csv,ok,3,1,0.250,
    b.csv,failed,0,0,0.000,b.csv: no such file
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(SUMMARY_FIELDS)
    for o in outcomes:
        writer.writerow((o.pool, o.status, o.associations, o.orphans, f"{o.seconds:.3f}", o.message))
    return text.getvalue()


def progress_line(done: int, total: int, failed: int, seconds: float, width: int = 30) -> str:
    """One line of progress: a bar, pools done of all, the rate, and the failures.

    >>> progress_line(0, 4, 0, 0.0, width=4)
    '[----] 0/4 pools'
    >>> progress_line(4, 4, 0, 2.0, width=4)
    '[####] 4/4 pools, 2.0 pools/s'
    """
    filled = width * done // total if total else width
    line = f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} pools"
    if done and seconds > 0:
        line += f", {done / seconds:.1f} pools/s"
    return line + (f", {failed} failed" if failed else "")


def _progress_printer(total: int, stream: TextIO, start: float) -> Callable[[int, int], None]:
    """``progress(done, failed)``: rewrite the line on a terminal; say nothing otherwise."""
    if not stream.isatty():
        return lambda done, failed: None

    def show(done: int, failed: int) -> None:
        end = "\n" if done == total else ""
        stream.write(f"\r{progress_line(done, total, failed, time.perf_counter() - start)}{end}")
        stream.flush()

    show(0, 0)
    return show


def _dask() -> Any:
    """The ``distributed`` module, or a one-line error that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return distributed


@contextlib.contextmanager
def _client(distributed: Any, scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``scheduler``, or of a new local cluster of
    ``workers`` processes (one thread each), closed on the way out."""
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as err:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
        with contextlib.closing(client):
            yield client
        return
    import dask.config

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.CRITICAL)
    with contextlib.closing(cluster), contextlib.closing(distributed.Client(cluster)) as client:
        yield client


def _on_cluster(distributed: Any, client: Any, args: argparse.Namespace
                ) -> Callable[[list[str], list[str]], Iterator[tuple[int, Outcome]]]:
    """``submit`` for :func:`run_batch`: a task per pool on ``client``, as they end.

    Only as many pools are given to the cluster at a time as it has threads, the next
    as one ends: so a worker holds one pool, and when a pool kills its worker no other
    pool dies with it (Dask would count it as a suspect, and gives up on a task after
    a few). The scheduler also never holds more than that, however many pools there are.
    """

    def submit(pools: list[str], folders: list[str]) -> Iterator[tuple[int, Outcome]]:
        waiting = iter(range(len(pools)))

        def start(i: int) -> Any:
            return client.submit(generate_one, os.path.abspath(pools[i]), os.path.abspath(folders[i]), args,
                                 key=f"asnfp-{i}-{Path(pools[i]).stem}", pure=False)

        slots = max(1, sum(client.nthreads().values()))
        running = {start(i): i for i in islice(waiting, slots)}
        ended = distributed.as_completed(list(running))
        for future in ended:
            i = running.pop(future)
            following = next(waiting, None)
            if following is not None:
                task = start(following)
                running[task] = following
                ended.add(task)
            yield i, msgspec.structs.replace(_outcome(future, pools[i]), pool=pools[i])
            future.release()

    return submit


def _outcome(future: Any, pool: str) -> Outcome:
    """What a task returned, or a failed outcome if the task could not end."""
    try:
        return future.result()
    except Exception as err:  # noqa: BLE001  (the task, not the pool, failed: a worker died)
        return Outcome(Path(pool).name, "failed", message=_task_failure(err))


def _task_failure(err: Exception) -> str:
    """The one line for a task that Dask could not run to its end.

    >>> class KilledWorker(Exception): pass
    >>> _task_failure(KilledWorker("Attempted to run task 'asnfp-1' on 4 different workers..."))
    'the Dask worker that ran it died (the process crashed or ran out of memory)'
    >>> _task_failure(OSError("connection lost\\nmore"))
    'the Dask task failed: OSError: connection lost'
    """
    if type(err).__name__ == "KilledWorker":
        return "the Dask worker that ran it died (the process crashed or ran out of memory)"
    lines = str(err).splitlines()
    return f"the Dask task failed: {type(err).__name__}: {lines[0] if lines else ''}"


def _checked(args: argparse.Namespace) -> argparse.Namespace:
    """The flags every pool gets, checked once before any pool runs: the version id (a
    bare one stamped once, for all), the orphan table's name, the rule files."""
    from asnfp.cli import check_version_id, registries
    from asnfp.naming import timestamp

    check_version_id(args.version_id)
    orphans = args.save_orphans
    if orphans and (os.path.isabs(orphans) or ".." in Path(orphans).parts):
        raise UsageError(f"--save-orphans {orphans}: in a batch, give a name inside each pool's folder")
    if args.scheduler and args.workers is not None:
        raise UsageError("-j sets the workers of the local cluster: not with --scheduler")
    registries(args)  # a rule file that does not load stops the batch before it starts
    flags = copy.copy(args)
    flags.pools = None  # (every task gets the flags: not the list of every pool)
    if args.version_id is True:
        flags.version_id = timestamp()
    flags.rules = [os.path.abspath(path) for path in args.rules or ()]
    return flags


def run(args: argparse.Namespace) -> int:
    """Run ``asnfp batch``: every pool on the cluster, the summary table written, one
    line of totals on stdout and one per failed pool on stderr. Returns the exit status.

    >>> import tempfile
    >>> from asnfp.cli import main
    >>> main(["batch", "no-such-folder/*.csv", "-p", tempfile.mkdtemp()])  # "asnfp: error: no pool matches ..."
    2
    """
    from asnfp.workers import available_workers

    pools = pool_paths(args.pools)
    out = Path(args.path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    folders = pool_folders(pools, out)
    flags = _checked(args)
    distributed = _dask()
    start = time.perf_counter()
    progress = _progress_printer(len(pools), sys.stderr, start)
    with _client(distributed, args.scheduler, args.workers or available_workers()) as client:
        outcomes = run_batch(_on_cluster(distributed, client, flags), pools, folders, progress)
    seconds = time.perf_counter() - start
    summary = None if args.dry_run else out / "summary.csv"
    if summary is not None:
        _write_summary(summary, summary_csv(outcomes))
    _report(outcomes, seconds, summary, verbose=args.verbose or args.debug)
    return SOME_FAILED if any(o.status != "ok" for o in outcomes) else 0


def _report(outcomes: Sequence[Outcome], seconds: float, summary: Path | None, *, verbose: bool) -> None:
    """Print, in the pools' order, their warnings and failures (stderr) and, when
    ``verbose``, what each made (stdout, as ``generate -v`` says it); then the totals."""
    for o in outcomes:
        for warning in o.warnings:
            print(f"asnfp: warning: {o.pool}: {warning}", file=sys.stderr)
        if o.status != "ok":
            print(f"asnfp: error: {_naming(o.pool, o.message)}", file=sys.stderr)
        elif verbose:
            print(f"{o.associations} associations and {o.orphans} orphans from {o.pool} in {o.seconds:.2f} s")
    failed = sum(o.status != "ok" for o in outcomes)
    print(f"{len(outcomes)} pools in {seconds:.1f} s ({len(outcomes) / seconds:.1f} pools/s): "
          f"{len(outcomes) - failed} generated, {failed} failed"
          + ("" if summary is None else f"; summary in {summary}"))


def _naming(pool: str, message: str) -> str:
    """A failure's message, led by the pool's file unless it names it already.

    >>> _naming("p/a.csv", "p/a.csv, row 2: bad"), _naming("p/a.csv", "the Dask task failed")
    ('p/a.csv, row 2: bad', 'p/a.csv: the Dask task failed')
    """
    return message if Path(pool).name in message else f"{pool}: {message}"


def _write_summary(path: Path, text: str) -> None:
    """Write the summary table whole (a temporary file moved into place)."""
    part = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            part.unlink()
        raise OutputError(f"{path}: cannot write ({err.strerror})") from None
