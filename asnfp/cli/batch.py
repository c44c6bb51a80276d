"""Many pools at once: ``asnfp batch``, every pool generated into ``OUT/<pool stem>/``
on a Dask cluster (a local one by default), with a summary table ``OUT/summary.csv``.

Each pool is one task: :func:`generate_one` runs what ``asnfp generate`` runs, in one
process, and returns an :class:`Outcome` instead of raising. So a failing pool is one
row of the summary and the others go on, and the files of a pool are those that
``asnfp generate`` writes for it alone. Dask (``asnfp[batch]``) is imported only here,
and only when a batch runs.

A batch is safe by construction: each pool's folder is named by a plain file name (a
pool whose stem is not one is refused before anything runs); a pool that runs longer
than ``--timeout`` fails alone and its worker process is restarted; Ctrl-C ends the
batch with one line, the local cluster's processes never seeing the signal; and ``-j``
starts no more processes than there are cores and pools.

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
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple, TextIO

import msgspec

from asnfp.errors import AsnfpError, OutputError, UnsafeName, UsageError
from asnfp.naming import plain_name
from asnfp.signals import handled

__all__ = (
    "INSTALL_HINT",
    "SUMMARY_FIELDS",
    "Outcome",
    "add_parser",
    "cluster_size",
    "generate_one",
    "pool_folders",
    "pool_paths",
    "positive_seconds",
    "progress_line",
    "run",
    "run_batch",
    "summary_csv",
    "timed_out",
)

INSTALL_HINT: Final = "asnfp batch needs Dask: pip install 'asnfp[batch]'"
SUMMARY_FIELDS: Final = ("pool", "status", "associations", "orphans", "seconds", "message")
#: Exit status when some pools failed (the others were written): 1. A request that
#: cannot run at all exits with 2, as every asnfp command does.
SOME_FAILED: Final = 1


#: Dask settings of the local cluster: the workers' sampling profiler is off (nobody
#: reads it, and it costs CPU beside the pools).
LOCAL_CLUSTER_CONFIG: Final = {"distributed.worker.profile.enabled": False}
#: The local scheduler's options: no dashboard, and its small HTTP server (health and
#: metrics) on a free port of this host only, not 8787 (where another Dask cluster
#: makes Dask warn on stderr that it took another).
LOCAL_SCHEDULER_OPTIONS: Final = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
#: ``--timeout`` when not given: a pool may run this many seconds.
DEFAULT_TIMEOUT: Final = 600.0
#: Names a pool's stem may not have: they are the batch's own files in ``OUT``.
RESERVED_NAMES: Final = ("summary.csv",)
#: ... nor start with: the writer's staging folders.
RESERVED_PREFIXES: Final = (".asnfp-",)
#: How long a local worker killed for its pool's ``--timeout`` may take to be back.
RESTART_SECONDS: Final = 30.0
#: The message of the pools left when every worker was lost to pools that took too long.
NO_WORKER_LEFT: Final = "not run: every Dask worker is still held by a pool that took longer than --timeout"


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
    >>> a.pools, a.path, a.workers, a.scheduler, a.merge, a.timeout
    (['a.csv', 'pools/*.csv'], 'out', 2, None, True, 600.0)
    """
    from asnfp.cli.generate import add_generate_flags, positive_count

    p: argparse.ArgumentParser = subparsers.add_parser(
        "batch", help="generate many pools at once, on a Dask cluster",
        description="Generate every pool into OUT/<pool stem>/, as 'asnfp generate' would "
                    "one by one, on a local Dask cluster (or the one at --scheduler, which "
                    "must see the same files). A pool that fails is reported and the others "
                    "go on. OUT/summary.csv has a row per pool.",
        epilog="Exit status: 0 when every pool was generated, 1 when some failed (the others "
               "are written), 2 when the request cannot run, 130 when interrupted (Ctrl-C: the "
               "pools done are written, the others not).")
    p.add_argument("pools", nargs="+", metavar="POOL", help="pool files, or glob patterns such as 'pools/*.csv'")
    p.add_argument("-p", "--path", required=True, metavar="OUT",
                   help="output folder: each pool goes to OUT/<pool stem>/")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="the address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("-j", "--workers", type=positive_count, default=None, metavar="N",
                   help="worker processes of the local cluster (default, and at most: one per "
                        "core this process may use, and no more than there are pools)")
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help="a pool not done SECONDS after it started fails alone ('took longer than "
                        "SECONDS s'), and its worker process is restarted (with --scheduler: by its "
                        "nanny, if it has one and runs nothing else); the others go on "
                        f"(default: {DEFAULT_TIMEOUT:g})")
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
    """Where each pool's files go: ``OUT/<pool stem>``. A stem that is not a plain file
    name (:func:`asnfp.naming.plain_name`), or is one of the batch's own names in
    ``OUT``, is refused; so are two pools of one stem (one would overwrite the other).

    >>> pool_folders(["p/jw1_pool.csv", "q/jw2_pool.csv"], "out")
    ['out/jw1_pool', 'out/jw2_pool']
    >>> pool_folders(["p/jw1_pool.csv", "q/jw1_pool.csv"], "out")
    Traceback (most recent call last):
    asnfp.errors.UsageError: p/jw1_pool.csv and q/jw1_pool.csv would both be written to out/jw1_pool: rename one
    >>> pool_folders(["p/...csv"], "out")
    Traceback (most recent call last):
    asnfp.errors.UsageError: p/...csv: its stem cannot name a folder: '..' is not a plain file name: it holds '..'
    """
    seen: dict[str, str] = {}
    for pool in pools:
        folder = os.path.join(out, _stem(pool))
        if folder in seen:
            raise UsageError(f"{seen[folder]} and {pool} would both be written to {folder}: rename one")
        seen[folder] = pool
    return list(seen)


def _stem(pool: str) -> str:
    """The pool's stem, the name of its folder: a plain file name, none of the batch's.

    >>> _stem("p/summary.csv.csv")
    Traceback (most recent call last):
    asnfp.errors.UsageError: p/summary.csv.csv: its stem cannot name a folder: 'summary.csv' is the batch's own
    """
    stem = Path(pool).stem
    try:
        plain_name(stem)
    except UnsafeName as err:
        raise UsageError(f"{_shown(pool)}: its stem cannot name a folder: {err}") from None
    if stem in RESERVED_NAMES or stem.startswith(RESERVED_PREFIXES):
        raise UsageError(f"{_shown(pool)}: its stem cannot name a folder: {stem!r} is the batch's own")
    return stem


def _shown(path: str) -> str:
    """``path`` as a message shows it: quoted and escaped if it holds what cannot be printed.

    >>> print(_shown("p/a.csv"), _shown("p/a\\nb.csv"))
    p/a.csv 'p/a\\nb.csv'
    """
    return path if path.isprintable() else repr(path)


def cluster_size(requested: int | None, pools: int, cores: int) -> int:
    """How many worker processes the local cluster has: ``-j`` (else one per core),
    but no more than ``cores``, nor than ``pools``, and at least one.

    >>> cluster_size(None, 50, 8), cluster_size(100000, 50, 8), cluster_size(3, 2, 8), cluster_size(None, 0, 8)
    (8, 8, 2, 1)
    """
    return max(1, min(requested or cores, cores, pools))


def positive_seconds(text: str) -> float:
    """Read ``--timeout``: a positive, finite number of seconds.

    >>> positive_seconds("2.5"), positive_seconds("600")
    (2.5, 600.0)
    >>> positive_seconds("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: must be a positive number of seconds: '0'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


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
    >>> done.pool, done.status, done.associations, done.orphans, (d / "out" / "p").exists()  # nothing to write
    ('p.csv', 'ok', 0, 1, False)
    >>> generate_one(str(d / "none.csv"), str(d / "out" / "none"), flags).message  # doctest: +ELLIPSIS
    '.../none.csv: no such file'
    """
    from asnfp.cli.generate import generate_files
    from asnfp.cli.process import cycle_collector_off, internal_error, one_line
    from asnfp.fold import RuleFailed

    job = copy.copy(args)
    job.pool, job.path, job.workers = pool, folder, 1  # (a Dask worker is one process)
    start = time.perf_counter()
    warned: list[str] = []
    try:
        with cycle_collector_off():
            made = generate_files(job, warned.append)
    except (AsnfpError, RuleFailed) as err:
        return _failed(pool, one_line(err), start, warned)
    except Exception as err:  # (a bug in asnfp: this pool fails, the others go on)
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

    >>> print(summary_csv([Outcome("a.csv", "ok", 3, 1, 0.25),
    ...                    Outcome("b.csv", "failed", message="b.csv: no such file")]), end="")
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


class _Cluster(NamedTuple):
    """A Dask client; what it is a client of (for ``-v``); and ``stop(address)``, which
    stops the worker at ``address`` (it runs nothing but a pool that took too long) and
    returns once the cluster has a worker in its place, or says why it could not."""

    client: Any
    name: str
    stop: Callable[[str], str | None]


@contextlib.contextmanager
def _cluster(distributed: Any, scheduler: str | None, workers: int) -> Iterator[_Cluster]:
    """The cluster the pools run on: the one at ``scheduler``, or a new local one of
    ``workers`` processes (one thread each), closed on the way out."""
    with _remote(distributed, scheduler) if scheduler else _local(distributed, workers) as cluster:
        yield cluster


@contextlib.contextmanager
def _remote(distributed: Any, scheduler: str) -> Iterator[_Cluster]:
    """A client of the scheduler at ``scheduler``. A worker held by a pool that took too
    long is restarted by its nanny (``Client.restart_workers``); one without a nanny
    cannot be restarted (Dask would shut it down for good), so it is left alone. On
    Ctrl-C the client closes, which cancels the pools: those already running there end
    on their own (Dask stops a running task only with its worker, and these workers
    are not the batch's own)."""
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
    with contextlib.closing(client):
        yield _Cluster(client, f"the Dask cluster at {scheduler}", lambda address: _restart(client, address))


def _restart(client: Any, address: str) -> str | None:
    """Restart the worker at ``address`` through its nanny (back when this returns), or
    say why it cannot be."""
    nanny = client.scheduler_info(n_workers=-1)["workers"].get(address, {}).get("nanny")
    if not nanny:
        return f"its Dask worker {address} has no nanny to restart it"
    try:
        said = client.restart_workers([address], raise_for_error=False).get(address)
    except (OSError, TimeoutError, ValueError) as err:  # (the scheduler, or the nanny, is gone)
        said = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return None if said == "OK" else f"its Dask worker {address} could not be restarted ({said})"


@contextlib.contextmanager
def _local(distributed: Any, workers: int) -> Iterator[_Cluster]:
    """A client of a new local cluster of ``workers`` processes. Its processes ignore
    SIGINT (see :func:`_start_forkserver`): a terminal's Ctrl-C is this process's alone.
    When a pool takes too long, its worker process is killed (its nanny starts another).
    On the way out by an exception (Ctrl-C), every worker process is killed first (a
    running pool cannot be stopped otherwise); the cluster closes with the loggers
    silenced."""
    import dask.config

    with contextlib.ExitStack() as stack:
        stack.enter_context(dask.config.set(_local_config()))  # (for the cluster's life: workers restart)
        with _signals_deferred():
            _start_forkserver(distributed)
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None, silence_logs=logging.CRITICAL,
                                               scheduler_kwargs=LOCAL_SCHEDULER_OPTIONS)
            stack.callback(_quietly, cluster.close)
            client = distributed.Client(cluster)
            stack.callback(_quietly, client.close)
        try:
            yield _Cluster(client, "a local Dask cluster", lambda address: _kill_worker(cluster, client, address))
        except BaseException:
            for pid in _worker_pids(cluster).values():
                _kill(pid)
            raise


def _local_config() -> dict[str, object]:
    """:data:`LOCAL_CLUSTER_CONFIG`, and worker processes forked from multiprocessing's
    fork server where there is one (POSIX)."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return dict(LOCAL_CLUSTER_CONFIG)
    return {**LOCAL_CLUSTER_CONFIG, "distributed.worker.multiprocessing-method": "forkserver"}


def _start_forkserver(distributed: Any) -> None:
    """Start multiprocessing's fork server, if it is not running yet, with SIGINT
    ignored. Every local worker process, first or restarted, is forked from it, and
    gets its signal handlers as the server had them at its start: SIGINT ignored. (A
    process started while SIGINT is ignored keeps it so, and Python then installs no
    KeyboardInterrupt handler; a worker spawned while this process has its handler
    would print a traceback on Ctrl-C, which a terminal sends to the whole process
    group.) It is ignored here for the instant of the start only, so no Ctrl-C is lost."""
    import multiprocessing.forkserver

    if distributed.utils.get_mp_context().get_start_method() != "forkserver":
        return
    with _sigint_ignored(), _environment(_forkserver_environment()):
        multiprocessing.forkserver.ensure_running()


def _forkserver_environment() -> dict[str, str]:
    """The environment the fork server starts in, so that the workers forked from it
    are as Dask's spawned ones: Dask's variables for a new worker process
    (``distributed.nanny.pre-spawn-environ``), this process's module path (Python
    3.11's server does not take it), and not the current folder first
    (``PYTHONSAFEPATH``: a ``.py`` file there would hide a module of the same name).

    >>> env = _forkserver_environment()
    >>> env["PYTHONSAFEPATH"], env["PYTHONPATH"].split(os.pathsep) == [p for p in sys.path if p]
    ('1', True)
    """
    import dask.config

    dask_env = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    return {**{name: str(value) for name, value in dask_env.items()},
            "PYTHONPATH": os.pathsep.join(path for path in sys.path if path), "PYTHONSAFEPATH": "1"}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Run a block with these environment variables set, then as they were.

    >>> with _environment({"ASNFP_EXAMPLE": "1"}):
    ...     os.environ["ASNFP_EXAMPLE"]
    '1'
    >>> "ASNFP_EXAMPLE" in os.environ
    False
    """
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Run a block that a signal must not cut short (a cluster half made could not be
    closed, and its processes and semaphores would be left): a Ctrl-C, SIGTERM or
    SIGHUP meanwhile is raised again as the block ends, to its own handler (outside the
    main thread, the block runs as it is).

    >>> try:
    ...     with _signals_deferred():
    ...         signal.raise_signal(signal.SIGINT)
    ...         print("not cut short")
    ... except KeyboardInterrupt:
    ...     print("then interrupted")
    not cut short
    then interrupted
    """
    caught: list[int] = []
    with handled(DEFERRED, lambda signum, frame: caught.append(signum)):
        yield
    if caught:
        signal.raise_signal(caught[0])


#: The signals that wait while a cluster starts.
DEFERRED: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Run a block with SIGINT ignored (outside the main thread, as it was).

    >>> with _sigint_ignored():
    ...     signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    True
    >>> signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    False
    """
    with handled((signal.SIGINT,), signal.SIG_IGN):
        yield


def _quietly(close: Callable[[], object]) -> None:
    """Call ``close`` with every logger silenced: Dask's would print warnings and
    tracebacks while a cluster whose workers were killed closes. A close that times
    out, or finds a connection gone, is as good as done (the processes end with this one)."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        close()
    except (OSError, TimeoutError):
        pass
    finally:
        logging.disable(previous)


def _kill_worker(cluster: Any, client: Any, address: str) -> str | None:
    """Kill the local worker process at ``address``; return once its nanny has started
    another and the scheduler knows it (at most :data:`RESTART_SECONDS`)."""
    pid = _worker_pids(cluster).get(address)
    if pid is None:
        return f"its Dask worker {address} is not one of the local cluster's"
    _kill(pid)
    end = time.monotonic() + RESTART_SECONDS
    while time.monotonic() < end:
        workers = client.nthreads()
        if address not in workers and len(workers) >= len(cluster.workers):
            break
        time.sleep(0.05)
    return None


def _worker_pids(cluster: Any) -> dict[str, int]:
    """The process id of each worker of a local cluster, by address."""
    nannies = list(cluster.workers.values())
    return {n.worker_address: n.pid for n in nannies if n.worker_address and n.pid}


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _on_cluster(distributed: Any, cluster: _Cluster, args: argparse.Namespace
                ) -> Callable[[list[str], list[str]], Iterator[tuple[int, Outcome]]]:
    """``submit`` for :func:`run_batch`: a task per pool on ``cluster``, as they end.

    Only as many pools are given to the cluster at a time as it has threads, the next
    as one ends: so a worker holds one pool, and when a pool kills its worker no other
    pool dies with it (Dask would count it as a suspect, and gives up on a task after
    a few). The scheduler also never holds more than that, however many pools there are.

    A pool not ended ``args.timeout`` seconds after it was given to the cluster (when a
    thread was free for it) is cancelled and fails. Dask cannot interrupt the thread
    that runs it, so its worker is stopped, and is back before the next pool is given.
    A worker that cannot be stopped (it runs other tasks too, or has no nanny) is left
    running the pool, and gets no more pools of the batch.
    """

    def submit(pools: list[str], folders: list[str]) -> Iterator[tuple[int, Outcome]]:
        return _Dispatch(distributed, cluster, args, pools, folders).run()

    return submit


class _Dispatch:
    """One batch on a cluster (see :func:`_on_cluster`): the pools waiting, those given
    to the cluster (and when), and the workers lost to a pool that could not be stopped."""

    def __init__(self, distributed: Any, cluster: _Cluster, args: argparse.Namespace,
                 pools: list[str], folders: list[str]) -> None:
        self.distributed, self.cluster, self.client, self.args = distributed, cluster, cluster.client, args
        self.pools, self.folders = pools, folders
        self.limit: float = args.timeout
        self.token = os.urandom(4).hex()  # (two batches on one scheduler share no task)
        self.waiting = iter(range(len(pools)))
        self.running: dict[Any, tuple[int, float]] = {}  # future: (pool index, when given)
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.lost: set[str] = set()

    def run(self) -> Iterator[tuple[int, Outcome]]:
        """``(index, outcome)`` of each pool as it ends (the next given to the cluster
        before it is told)."""
        yield from self._top_up()
        while self.running:
            ended = [self._ended(future) for future in self._wait()] or self._stop_late()
            refused = self._top_up()
            yield from ended
            yield from refused

    def _top_up(self) -> list[tuple[int, Outcome]]:
        """Give the cluster pools while it has a free thread; when it has no worker left
        and runs nothing, the pools waiting fail."""
        while len(self.running) < self.slots:
            index = next(self.waiting, None)
            if index is None:
                return []
            self._start(index)
        if self.running or self.slots > 0:
            return []
        return [(i, Outcome(self.pools[i], "failed", message=NO_WORKER_LEFT)) for i in self.waiting]

    def _start(self, i: int) -> None:
        workers = [w for w in self.client.nthreads() if w not in self.lost] if self.lost else None
        future = self.client.submit(generate_one, os.path.abspath(self.pools[i]), os.path.abspath(self.folders[i]),
                                    self.args, key=f"asnfp-{self.token}-{i}-{Path(self.pools[i]).stem}",
                                    pure=False, workers=workers)
        self.running[future] = (i, time.monotonic())

    def _wait(self) -> list[Any]:
        """The pools that end before the first one running is due (none if it is)."""
        finished = [future for future in self.running if future.done()]
        if finished:  # (one that ended after its time but before it was stopped: it ended)
            return finished
        due = min(given for _, given in self.running.values()) + self.limit
        try:
            done = self.distributed.wait(list(self.running), timeout=max(0.0, due - time.monotonic()),
                                         return_when="FIRST_COMPLETED").done
        except TimeoutError:
            return []
        return list(done)

    def _ended(self, future: Any) -> tuple[int, Outcome]:
        i, _ = self.running.pop(future)
        outcome = msgspec.structs.replace(_outcome(future, self.pools[i]), pool=self.pools[i])
        future.release()
        return i, outcome

    def _stop_late(self) -> list[tuple[int, Outcome]]:
        """Cancel the pools given ``limit`` seconds ago or more, and stop their workers."""
        now = time.monotonic()
        late = [f for f, (_, given) in self.running.items() if now - given >= self.limit and not f.done()]
        if not late:
            return []
        held = {worker: set(keys) for worker, keys in self.client.processing().items()}  # (the cancel frees them)
        self.client.cancel(late)
        keys = {f.key for f in late}
        said = {worker: self._stopped(worker, on - keys) for worker, on in held.items() if on & keys}
        where = {key: worker for worker, on in held.items() for key in on}
        return [self._timed_out(f, now, said.get(where.get(f.key, ""))) for f in late]

    def _stopped(self, worker: str, others: set[str]) -> str | None:
        """Stop ``worker``, unless it runs ``others`` too; else why not, and it is lost."""
        why = f"its Dask worker {worker} runs other tasks too" if others else self.cluster.stop(worker)
        if why is None:
            return None
        self.slots -= self.client.nthreads().get(worker, 1)
        self.lost.add(worker)
        return f"{why}: it was left running the pool, and gets no more pools of this batch"

    def _timed_out(self, future: Any, now: float, warning: str | None) -> tuple[int, Outcome]:
        i, given = self.running.pop(future)
        future.release()
        return i, Outcome(self.pools[i], "failed", seconds=round(now - given, 3), message=timed_out(self.limit),
                          warnings=(warning,) if warning else ())


def timed_out(limit: float) -> str:
    """The message of a pool that ran longer than ``--timeout``.

    >>> timed_out(600.0), timed_out(2.5)
    ('took longer than 600 s (--timeout)', 'took longer than 2.5 s (--timeout)')
    """
    return f"took longer than {limit:g} s (--timeout)"


def _outcome(future: Any, pool: str) -> Outcome:
    """What a task returned, or a failed outcome if the task could not end."""
    try:
        outcome: Outcome = future.result()
    except Exception as err:  # (the task, not the pool, failed: a worker died)
        return Outcome(Path(pool).name, "failed", message=_task_failure(err))
    return outcome


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
    from asnfp.cli.generate import check_version_id, registries
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
    from asnfp.fast.workers import available_workers

    pools = pool_paths(args.pools)
    out = Path(args.path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    folders = pool_folders(pools, out)
    _check_pools_outside(pools, folders)
    flags = _checked(args)
    distributed = _dask()
    start = time.perf_counter()
    progress = _progress_printer(len(pools), sys.stderr, start)
    verbose = args.verbose or args.debug
    with _cluster(distributed, args.scheduler, cluster_size(args.workers, len(pools), available_workers())) as cluster:
        if verbose:
            print(_cluster_line(len(pools), cluster), flush=True)
        outcomes = run_batch(_on_cluster(distributed, cluster, flags), pools, folders, progress)
    seconds = time.perf_counter() - start
    summary = None if args.dry_run else out / "summary.csv"
    if summary is not None:
        _write_summary(summary, summary_csv(outcomes), pools)
    _report(outcomes, seconds, summary, verbose=verbose)
    return SOME_FAILED if any(o.status != "ok" for o in outcomes) else 0


def _cluster_line(pools: int, cluster: _Cluster) -> str:
    """What ``-v`` says first: the pools, and the cluster's workers and threads as its
    scheduler counts them."""
    threads = cluster.client.nthreads()
    return f"{pools} pools on {cluster.name} of {len(threads)} workers ({sum(threads.values())} threads)"


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


def _check_pools_outside(pools: Sequence[str], folders: Sequence[str]) -> None:
    """Refuse a pool inside a folder the batch writes: another pool's files could replace
    it while the batch runs.

    >>> _check_pools_outside(["p/a.csv"], ["out/a"])
    >>> _check_pools_outside(["out/b/x.csv", "b.csv"], ["out/x", "out/b"])
    Traceback (most recent call last):
    asnfp.errors.UsageError: out/b/x.csv: a pool inside out/b, a folder this batch writes (move it out)
    """
    written = {os.path.abspath(folder): folder for folder in folders}
    for pool in pools:
        folder = os.path.dirname(os.path.abspath(pool))
        if folder in written:
            raise UsageError(f"{_shown(pool)}: a pool inside {_shown(written[folder])}, a folder this batch "
                             "writes (move it out)")


def _write_summary(path: Path, text: str, pools: Sequence[str]) -> None:
    """Write the summary table whole, through a :class:`~asnfp.transaction.Transaction`
    (OUT is made if no pool made it)."""
    from asnfp.transaction import write_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err.strerror})") from None
    write_file(path, text.encode("utf-8"), inputs=pools)  # (never over a pool of the batch)
