#!/usr/bin/env python3
"""Many pools at once: ``asnfp batch`` against the same pools one after the other (issue 11).

usage: bench_batch.py [--pools N] [--rows R] [--workers N] [--repeat N]
                      [--skip-per-process] [--timeout S] [--out DIR]

``--pools`` pools of about ``--rows`` rows each are made once with ``make_pool.py``
(beside this script) in a temporary folder (``TMPDIR`` is honoured): pool ``i`` is of
program 2000+i, seed ``i``, kind ``multi`` for even ``i`` and ``nircam`` for odd ``i``,
named ``jw{program:05d}_{kind}_pool.csv``. Then each way below is timed as a whole
process (wall time, start-up included), ``--repeat`` times, interleaved, each run into
a fresh output folder where every pool goes to ``OUT/<pool stem>/``:

- serial, one process: one ``python -c`` child (this script's Python) that imports
  asnfp and calls ``asnfp.cli.batch.generate_one`` for each pool in turn, the task that
  ``asnfp batch`` gives a Dask worker: the serial baseline;
- serial, ``asnfp generate -j 1`` per pool: one ``asnfp generate POOL -p OUT/<stem> -j 1``
  process after the other, what an operator does without ``batch``
  (``--skip-per-process`` leaves it out: it is the longest);
- batch, N workers: ``asnfp batch POOL... -p OUT -j N``, the start-up and shutdown of
  its local Dask cluster included; it must exit 0 with every pool ``ok`` in
  ``OUT/summary.csv``.

Before the timed runs, one untimed ``asnfp batch`` of the first pool warms the caches
and checks that Dask is installed; Dask's scratch folder goes into the temporary
folder, which is removed at the end. After them, the files of the last run of each
serial way must be byte-identical to those of the last batch run, pool by pool (same
names, same bytes). The table gives each way's median, smallest and largest wall
seconds, pools per second (of the median), the speed-up against both serial ways
(their median over this one's), the median CPU seconds (user + system, every child
process included) and the peak resident memory of the largest single process.

Exit status: 0 when every run succeeded and the files are identical, 1 otherwise. When
``asnfp`` is not on PATH, cannot be imported by this Python, or has no Dask, one line
says so and the exit status is 0. Only the standard library is used; asnfp runs only
in child processes.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import filecmp
import importlib.util
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

__all__ = ("BenchError", "Missing", "Run", "Way", "Workspace", "compare_outputs", "main",
           "make_pools", "run_process", "time_batch", "time_per_process", "time_serial")

HERE = Path(__file__).resolve().parent
DASK_HINT = "needs Dask"  # in the one line asnfp batch prints when Dask is not installed

#: The serial baseline, run as ``python -c SERIAL_SCRIPT OUT POOL...``.
SERIAL_SCRIPT = r"""
import sys
from pathlib import Path
from asnfp.cli.batch import generate_one
from asnfp.cli import build_parser

out, pools = sys.argv[1], sys.argv[2:]
args = build_parser().parse_args(["batch", pools[0], "-p", out])
failed = 0
for pool in pools:
    outcome = generate_one(pool, str(Path(out) / Path(pool).stem), args)
    if outcome.status != "ok":
        failed += 1
        print(f"{pool}: {outcome.status}: {outcome.message}", file=sys.stderr)
sys.exit(1 if failed else 0)
"""

#: Run by this script's Python before anything: asnfp's version, and Dask's (or "-").
PREFLIGHT_SCRIPT = r"""
import asnfp, asnfp.cli.batch
try:
    import distributed
    dask = distributed.__version__
except ImportError:
    dask = "-"
print(asnfp.__version__, dask)
"""


class BenchError(Exception):
    """A run failed or the outputs differ: the message says which, in one line."""


class Missing(Exception):
    """Something needed is not there (asnfp, Dask): nothing to time."""


@dataclass
class Run:
    """One timed run of a way: wall and CPU seconds, peak RSS of its largest process."""

    wall: float
    cpu: float
    max_rss_mb: float


@dataclass
class Way:
    """One way of generating every pool, and its runs."""

    key: str
    label: str
    runs: list[Run] = field(default_factory=list)

    def median(self) -> float:
        """Median wall seconds."""
        return statistics.median(r.wall for r in self.runs)

    def summary(self, pools: int, bases: dict[str, float]) -> dict:
        """Figures for the table and the JSON file; BASES: median seconds by way key."""
        walls = [r.wall for r in self.runs]
        med = self.median()
        return {"label": self.label, "min": min(walls), "median": med, "max": max(walls),
                "pools_per_s": pools / med,
                "speedup": {key: base / med for key, base in bases.items()},
                "cpu_median": statistics.median(r.cpu for r in self.runs),
                "max_rss_mb": max(r.max_rss_mb for r in self.runs),
                "runs": [asdict(r) for r in self.runs]}


@dataclass
class Workspace:
    """The temporary folder: the pools, and an output folder per way."""

    root: Path
    pools: list[Path] = field(default_factory=list)
    rows: int = 0

    def out(self, key: str) -> Path:
        """The output folder of way KEY (removed by :meth:`fresh`)."""
        return self.root / "out" / key

    def fresh(self, key: str) -> Path:
        """The output folder of way KEY, emptied of the previous run (not timed)."""
        shutil.rmtree(self.out(key), ignore_errors=True)
        self.out(key).parent.mkdir(parents=True, exist_ok=True)
        return self.out(key)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pools", type=int, default=200, metavar="N", help="pools to make (200)")
    ap.add_argument("--rows", type=int, default=300, metavar="R", help="about how many rows each (300)")
    ap.add_argument("--workers", type=int, default=2, metavar="N",
                    help="worker processes of asnfp batch, its -j (2)")
    ap.add_argument("--repeat", type=int, default=3, metavar="N", help="timed runs of each way (3)")
    ap.add_argument("--skip-per-process", action="store_true",
                    help="leave out the asnfp generate -j 1 per pool way (the longest)")
    ap.add_argument("--timeout", type=float, default=1800, metavar="S",
                    help="seconds per process before it is killed, with its children (1800)")
    ap.add_argument("--out", type=Path, metavar="DIR", help="also write the figures to DIR/batch.json")
    opts = ap.parse_args(argv)
    if min(opts.pools, opts.rows, opts.workers, opts.repeat) < 1:
        ap.error("--pools, --rows, --workers and --repeat must be at least 1")
    if opts.pools > 97_999:
        ap.error("--pools: at most 97999 (the programs are 2000 + i, up to 99999)")
    return opts


def load_make_pool() -> ModuleType:
    """make_pool.py from this folder, whatever the current directory."""
    spec = importlib.util.spec_from_file_location("make_pool", HERE / "make_pool.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_pools(space: Workspace, count: int, rows: int) -> None:
    """Write COUNT pools of about ROWS rows into SPACE/pools (see the docstring)."""
    make_pool = load_make_pool()
    folder = space.root / "pools"
    folder.mkdir()
    for i in range(count):
        program, kind = 2000 + i, "multi" if i % 2 == 0 else "nircam"
        path = folder / f"jw{program:05d}_{kind}_pool.csv"
        space.rows += make_pool.write_pool(path, rows, kind, i, program)
        space.pools.append(path)


def preflight() -> tuple[str, str]:
    """asnfp's and Dask's versions as this Python sees them; :class:`Missing` when asnfp
    is not on PATH or this Python cannot import it."""
    if shutil.which("asnfp") is None:
        raise Missing("asnfp is not on PATH")
    proc = subprocess.run([sys.executable, "-c", PREFLIGHT_SCRIPT], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode:
        raise Missing(f"{sys.executable} cannot import asnfp.cli.batch ({_last_line(proc.stderr)})")
    asnfp, dask = proc.stdout.split()
    return asnfp, dask


def _kill(pid: int, killed: threading.Event) -> None:
    """Kill the process group of PID (a process and its workers)."""
    killed.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_process(argv: list[str], timeout: float,
                env: dict[str, str] | None = None) -> tuple[Run, int, str, str]:
    """Run ARGV as a whole process in a session of its own, and time it: the run (CPU
    and peak RSS from ``os.wait4``, every reaped child included), the exit status (-9
    when it was killed after TIMEOUT seconds), its stdout and its stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        killed = threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=env, start_new_session=True)
        timer = threading.Timer(timeout, _kill, (proc.pid, killed))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): leave no process behind
            _kill(proc.pid, killed)
            os.waitpid(proc.pid, 0)
            proc.returncode = -9
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = code = -9 if killed.is_set() else os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        texts = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    return run, code, *texts


def _last_line(text: str) -> str:
    """The last non-blank line of TEXT, shortened."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "(no message)"


def _checked(what: str, code: int, err: str, timeout: float) -> None:
    """Raise :class:`BenchError` when a process of WHAT did not exit 0."""
    if code == -9:
        raise BenchError(f"{what}: killed after {timeout:g} s (--timeout)")
    if code:
        raise BenchError(f"{what}: exit {code}: {_last_line(err)}")


def time_serial(space: Workspace, timeout: float) -> Run:
    """(a) Every pool through ``generate_one``, in one child process of this Python."""
    out = space.fresh("serial")
    run, code, _, err = run_process([sys.executable, "-c", SERIAL_SCRIPT, str(out),
                                     *map(str, space.pools)], timeout)
    _checked("serial, one process", code, err, timeout)
    return run


def time_per_process(space: Workspace, timeout: float) -> Run:
    """(b) ``asnfp generate POOL -p OUT/<stem> -j 1``, one process after the other."""
    out = space.fresh("per_process")
    total = Run(0.0, 0.0, 0.0)
    start = time.perf_counter()
    for pool in space.pools:
        run, code, _, err = run_process(["asnfp", "generate", str(pool), "-p", str(out / pool.stem),
                                         "-j", "1"], timeout)
        _checked(f"asnfp generate {pool.name}", code, err, timeout)
        total.cpu += run.cpu
        total.max_rss_mb = max(total.max_rss_mb, run.max_rss_mb)
    total.wall = time.perf_counter() - start
    return total


def time_batch(space: Workspace, workers: int, timeout: float,
               pools: list[Path] | None = None, key: str = "batch") -> tuple[Run, str, str]:
    """(c) ``asnfp batch POOL... -p OUT -j WORKERS``; checks its summary. Returns the run,
    and its stdout and stderr. :class:`Missing` when asnfp's Python has no Dask."""
    pools = space.pools if pools is None else pools
    out = space.fresh(key)
    env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(space.root / "dask")}  # cleaned up with it
    run, code, stdout, err = run_process(["asnfp", "batch", *map(str, pools), "-p", str(out),
                                          "-j", str(workers)], timeout, env)
    if code == 2 and DASK_HINT in err:
        raise Missing(_last_line(err).removeprefix("asnfp: error: "))
    _checked("asnfp batch", code, err, timeout)
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        rows = {Path(row["pool"]).name: row["status"] for row in csv.DictReader(fh)}
    bad = [p.name for p in pools if rows.get(p.name) != "ok"]
    if bad or len(rows) != len(pools):
        raise BenchError(f"asnfp batch: summary.csv has {len(rows)} rows; not ok: {', '.join(bad[:5]) or '-'}")
    return run, stdout, err


def _files(folder: Path) -> list[str]:
    """The files under FOLDER, as sorted relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def compare_outputs(space: Workspace, key: str, other: str = "batch") -> int:
    """Check that way KEY and way OTHER wrote the same files, pool by pool, byte for
    byte; return how many files were compared, or raise :class:`BenchError` with the
    first difference."""
    count = 0
    for pool in space.pools:
        mine, theirs = space.out(key) / pool.stem, space.out(other) / pool.stem
        names, other_names = _files(mine), _files(theirs)
        if names != other_names:
            extra = sorted(set(names) ^ set(other_names))[:1] or ["(order)"]
            raise BenchError(f"{pool.stem}: {key} wrote {len(names)} files, {other} "
                             f"{len(other_names)}; e.g. {extra[0]} is in only one")
        for name in names:
            if not filecmp.cmp(mine / name, theirs / name, shallow=False):
                raise BenchError(f"{pool.stem}/{name}: {key} and {other} wrote different bytes")
        count += len(names)
    return count


def bench(space: Workspace, opts: argparse.Namespace) -> tuple[list[Way], str, str]:
    """Time every way, ``--repeat`` rounds, the ways interleaved; print a line per round.
    Returns the ways, and the last batch's stdout and stderr."""
    ways = [Way("serial", "serial, one process")]
    if not opts.skip_per_process:
        ways.append(Way("per_process", "serial, asnfp generate -j 1 per pool"))
    ways.append(Way("batch", f"batch, {opts.workers} worker{'s' * (opts.workers > 1)}"))
    stdout = stderr = ""
    for i in range(opts.repeat):
        for way in ways:
            if way.key == "serial":
                way.runs.append(time_serial(space, opts.timeout))
            elif way.key == "per_process":
                way.runs.append(time_per_process(space, opts.timeout))
            else:
                run, stdout, stderr = time_batch(space, opts.workers, opts.timeout)
                way.runs.append(run)
        print(f"round {i + 1}/{opts.repeat}: "
              + ", ".join(f"{w.key} {w.runs[-1].wall:.2f} s" for w in ways), flush=True)
    return ways, stdout, stderr


HEADER = (f"{'way':38s} {'median_s':>8s} {'min_s':>7s} {'max_s':>7s} {'pools/s':>8s} "
          f"{'x_serial':>8s} {'x_per_proc':>10s} {'cpu_s':>7s} {'rss_MB':>7s}")


def format_row(fig: dict) -> str:
    """One line of the table, from :meth:`Way.summary`'s figures."""
    up = fig["speedup"]
    per = f"{up['per_process']:.2f}x" if "per_process" in up else "-"
    return (f"{fig['label']:38s} {fig['median']:8.2f} {fig['min']:7.2f} {fig['max']:7.2f} "
            f"{fig['pools_per_s']:8.2f} {up['serial']:7.2f}x {per:>10s} "
            f"{fig['cpu_median']:7.1f} {fig['max_rss_mb']:7.0f}")


def machine_line(opts: argparse.Namespace, asnfp: str, dask: str) -> str:
    """One line about the machine and the run."""
    return (f"# {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()} "
            f"asnfp={asnfp} dask={dask} pools={opts.pools} rows={opts.rows} "
            f"workers={opts.workers} repeat={opts.repeat}")


def identical(space: Workspace, ways: list[Way]) -> tuple[str, int]:
    """Compare each serial way's last output with the last batch's; the line to print
    and the number of files per way."""
    files = 0
    for way in ways[:-1]:
        files = compare_outputs(space, way.key)
    names = " and ".join(w.key for w in ways[:-1])
    line = (f"identical: yes ({files:,} files of {len(space.pools)} pools; {names} = batch, "
            "byte for byte)")
    return line, files


def stderr_line(text: str) -> str:
    """What the last batch run printed on stderr, in one line."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return "batch stderr: nothing"
    return f"batch stderr: {len(lines)} line(s), the first: {lines[0][:200]}"


def report(opts: argparse.Namespace, space: Workspace, ways: list[Way], texts: tuple[str, str],
           versions: tuple[str, str]) -> None:
    """Compare the outputs, print the table and the closing lines, write the JSON file."""
    same, files = identical(space, ways)
    bases = {w.key: w.median() for w in ways if w.key != "batch"}
    figures = {w.key: w.summary(len(space.pools), bases) for w in ways}
    print(HEADER)
    for fig in figures.values():
        print(format_row(fig))
    print(same)
    print(f"batch stdout (last run): {_last_line(texts[0])}")
    print(stderr_line(texts[1]))
    if opts.out:
        write_json(opts, space, versions, figures, files, texts)


def write_json(opts: argparse.Namespace, space: Workspace, versions: tuple[str, str],
               figures: dict, files: int, texts: tuple[str, str]) -> None:
    """Every figure, to ``--out``/batch.json."""
    data = {
        "machine": {"machine": platform.machine(), "cpus": os.cpu_count(),
                    "platform": platform.platform(), "python": platform.python_version()},
        "asnfp": versions[0], "dask": versions[1], "pools": len(space.pools), "rows": space.rows,
        "rows_requested": opts.rows, "workers": opts.workers, "repeat": opts.repeat,
        "identical": True, "files_per_way": files, "ways": figures,
        "batch_stdout": texts[0], "batch_stderr": texts[1],
    }
    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / "batch.json").write_text(json.dumps(data, indent=2) + "\n")


def prepare(opts: argparse.Namespace, space: Workspace) -> str:
    """Make the pools and warm up with one untimed batch of the first (which also tells
    whether asnfp's Python has Dask); return the line that says what was made."""
    start = time.perf_counter()
    make_pools(space, opts.pools, opts.rows)
    seconds = time.perf_counter() - start
    time_batch(space, 1, opts.timeout, space.pools[:1], key="warm-up")
    kinds = [p.stem.split("_")[1] for p in space.pools]
    return (f"# {len(space.pools)} pools ({kinds.count('multi')} multi, {kinds.count('nircam')} "
            f"nircam), {space.rows:,} rows, made in {seconds:.1f} s in {space.root}")


def main(argv: list[str] | None = None) -> int:
    """Make the pools, time every way, print the table."""
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill, as on Ctrl-C
    space = Workspace(Path(tempfile.mkdtemp(prefix="asnfp-bench-batch-")))
    try:
        versions = preflight()
        made = prepare(opts, space)
        print(machine_line(opts, *versions), made, sep="\n", flush=True)
        ways, stdout, stderr = bench(space, opts)
        report(opts, space, ways, (stdout, stderr), versions)
    except Missing as exc:
        print(f"{exc}; nothing to time")
        return 0
    except BenchError as exc:
        print(f"bench_batch.py: error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(space.root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
