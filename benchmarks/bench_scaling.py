#!/usr/bin/env python3
"""How ``asnfp generate`` scales with the size of the pool: time and peak memory.

usage: bench_scaling.py [--kinds nircam,multi] [--sizes 1000,10000,100000] [--repeat N]
                        [--repeat-large N] [--large ROWS] [--seed S] [--timeout S]
                        [--cmd "asnfp generate"] [--json FILE] [--keep DIR]

For every kind and size a pool of about that many rows is made with ``make_pool.py``
(beside this script, run as its own process) in a temporary folder, then ``CMD POOL -p
OUT --save-orphans orphans.csv`` is run as a whole process, with a fresh OUT each run.
Each run's wall seconds and the peak resident memory of the child process (its
``ru_maxrss`` from ``os.wait4``) are measured. Linux counts in a child's peak the
memory of this script at the moment it starts the child, so this script never holds a
pool in memory: its own 20-odd MB are the floor of the figure.
The median wall time over the runs is shown with seconds per 1000 rows; the
closing lines give, for each kind, the spread of the per-1000-row times (largest /
smallest; flat within 2x is the target) and whether the largest size ran under
30 s and 2 GB. The targets are reported, never enforced.

Exit status: 0 when every run exited 0, 1 when one failed or timed out. Only the
standard library is used.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shlex
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

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 30.0  # at 100k rows
TARGET_RSS_MB = 2048.0  # at 100k rows
TARGET_FLATNESS = 2.0  # largest / smallest seconds per 1000 rows, per kind
TARGET_ROWS = 100_000


def load_make_pool():
    """make_pool.py from this folder, whatever the current directory."""
    spec = importlib.util.spec_from_file_location("make_pool", HERE / "make_pool.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@dataclass
class Run:
    """One finished (or killed) process."""

    wall: float
    user: float
    system: float
    max_rss_mb: float
    returncode: int
    files: int = 0
    orphans: int | None = None
    error: str = ""


@dataclass
class Case:
    """One kind and size, with its runs."""

    kind: str
    requested: int
    rows: int
    seed: int
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there were runs and every one exited 0."""
        return bool(self.runs) and all(r.returncode == 0 for r in self.runs)

    def median(self) -> float | None:
        """Median wall seconds of the runs that exited 0."""
        walls = [r.wall for r in self.runs if r.returncode == 0]
        return statistics.median(walls) if walls else None

    def per_1k(self) -> float | None:
        """Median seconds per 1000 rows."""
        med = self.median()
        return None if med is None or not self.rows else med / (self.rows / 1000)

    def max_rss_mb(self) -> float | None:
        """Largest peak RSS over the runs that exited 0."""
        values = [r.max_rss_mb for r in self.runs if r.returncode == 0]
        return max(values) if values else None

    def last(self) -> Run | None:
        """The last run that exited 0 (for the file and orphan counts), else the last."""
        good = [r for r in self.runs if r.returncode == 0]
        return (good or self.runs or [None])[-1]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kinds", default="nircam,multi", help="comma-separated kinds (nircam,multi)")
    ap.add_argument("--sizes", default="1000,10000,100000",
                    help="comma-separated row counts (1000,10000,100000); 10k and 1e5 are understood")
    ap.add_argument("--repeat", type=int, default=3, metavar="N",
                    help="runs per case below --large rows (3)")
    ap.add_argument("--repeat-large", type=int, default=1, metavar="N",
                    help="runs per case of --large rows or more (1)")
    ap.add_argument("--large", type=int, default=50_000, metavar="ROWS",
                    help="size from which --repeat-large applies (50000)")
    ap.add_argument("--seed", type=int, default=0, help="seed for make_pool (0)")
    ap.add_argument("--timeout", type=float, default=600, metavar="S",
                    help="seconds per run before it is killed (600)")
    ap.add_argument("--cmd", default="asnfp generate", metavar="CMD",
                    help='the command, split as a shell would (default "asnfp generate")')
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every figure here")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="also keep the generated pools in DIR (KIND-ROWS.csv)")
    opts = ap.parse_args(argv)
    kinds = [k.strip() for k in opts.kinds.split(",") if k.strip()]
    make_pool = load_make_pool()
    for kind in kinds:
        if kind not in make_pool.KINDS:
            ap.error(f"unknown kind {kind!r}; use {', '.join(make_pool.KINDS)}")
    try:
        sizes = [_size(s) for s in opts.sizes.split(",") if s.strip()]
    except ValueError as exc:
        ap.error(f"--sizes: {exc}")
    if not kinds or not sizes or min(sizes) < 1:
        ap.error("give at least one kind and sizes of at least 1 row")
    if opts.repeat < 1 or opts.repeat_large < 1:
        ap.error("--repeat and --repeat-large must be at least 1")
    opts.kind_list, opts.size_list = kinds, sizes
    return opts


def _size(text: str) -> int:
    """'10000', '10k', '1e5', '100_000' -> an int."""
    text = text.strip().lower().replace("_", "")
    if text.endswith("k"):
        return int(float(text[:-1]) * 1000)
    return int(float(text))


def run_once(cmd: list[str], pool: Path, timeout: float) -> Run:
    """Run CMD on POOL into a fresh folder; wall time and the child's own rusage."""
    with tempfile.TemporaryDirectory(prefix="asnfp-scale-") as tmp:
        out, log = Path(tmp) / "out", Path(tmp) / "stderr.txt"
        out.mkdir()
        argv = [*cmd, str(pool), "-p", str(out), "--save-orphans", "orphans.csv"]
        with open(log, "wb") as err:
            start = time.perf_counter()
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=err, start_new_session=True)
            except OSError as exc:
                return Run(0.0, 0.0, 0.0, 0.0, 127, error=f"cannot start {cmd[0]!r}: {exc.strerror or exc}")
            killed = threading.Event()

            def kill() -> None:
                killed.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:  # interrupted (Ctrl-C, SIGTERM): leave no child behind
                kill()
                os.waitpid(proc.pid, 0)
                proc.returncode = -9
                raise
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
            proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: tell Popen
        run = Run(wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024, code)
        if killed.is_set():
            run.returncode, run.error = -9, f"timed out after {timeout:g} s"
        elif code:
            run.error = f"exit {code}: {_last_line(log.read_text(errors='replace'))}"
        else:
            run.files = sum(1 for p in out.iterdir() if p.name.endswith(("_asn.json", "_asn.yaml")))
            orphans = out / "orphans.csv"
            if orphans.is_file():
                with open(orphans, errors="replace") as fh:
                    run.orphans = max(0, sum(1 for ln in fh if ln.strip() and not ln.startswith("#")) - 1)
        return run


def write_pool(path: Path, size: int, kind: str, seed: int) -> int:
    """Write the pool with make_pool.py in a process of its own (see the docstring: a big
    pool held here would count in the peak memory of every later run); return its rows."""
    subprocess.run([sys.executable, str(HERE / "make_pool.py"), str(size), "--kind", kind,
                    "--seed", str(seed), "-o", str(path)], check=True, stdin=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(path) as fh:
        return sum(1 for line in fh if line.strip() and not line.startswith("#")) - 1


def _last_line(text: str) -> str:
    """The last non-blank line of TEXT, shortened."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "(no message)"


def bench(opts: argparse.Namespace) -> list[Case]:
    """Make each pool and time the command on it; print a line per case as it ends."""
    cmd = shlex.split(opts.cmd)
    cases = []
    print(HEADER, flush=True)
    for kind in opts.kind_list:
        for size in opts.size_list:
            with tempfile.TemporaryDirectory(prefix="asnfp-pool-") as tmp:
                pool = Path(tmp) / f"{kind}-{size}.csv"
                rows = write_pool(pool, size, kind, opts.seed)
                if opts.keep:
                    opts.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(pool, opts.keep / pool.name)
                case = Case(kind, size, rows, opts.seed)
                repeat = opts.repeat_large if size >= opts.large else opts.repeat
                for _ in range(repeat):
                    case.runs.append(run_once(cmd, pool, opts.timeout))
                    if case.runs[-1].returncode:
                        break  # a failure (or timeout) makes more runs pointless
            cases.append(case)
            print(format_row(case), flush=True)
    return cases


HEADER = (f"{'kind':8s} {'rows':>8s} {'files':>8s} {'orphans':>8s} {'seconds':>9s} "
          f"{'s/1k_rows':>9s} {'rss_MB':>8s} {'runs':>4s}  exit0")


def _fmt(value: float | None, width: int, digits: int = 2) -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, int):
        return str(value).rjust(width)
    return f"{value:.{digits}f}".rjust(width)


def format_row(case: Case) -> str:
    """One table line (and the error of a failed run under it)."""
    last = case.last()
    line = (f"{case.kind:8s} {case.rows:8d} {_fmt(last.files if last and last.returncode == 0 else None, 8)} "
            f"{_fmt(last.orphans if last else None, 8)} {_fmt(case.median(), 9)} "
            f"{_fmt(case.per_1k(), 9, 3)} {_fmt(case.max_rss_mb(), 8, 0)} {len(case.runs):4d}  "
            f"{'yes' if case.ok else 'NO'}")
    for run in case.runs:
        if run.error:
            return f"{line}\n    {run.error}"
    return line


def summarize(cases: list[Case]) -> tuple[list[str], dict]:
    """The closing lines: flatness per kind, and the 100k targets."""
    lines, figures = [], {"kinds": {}}
    for kind in dict.fromkeys(c.kind for c in cases):
        mine = [c for c in cases if c.kind == kind]
        per = [c.per_1k() for c in mine if c.per_1k() is not None]
        ratio = max(per) / min(per) if len(per) > 1 and min(per) > 0 else None
        largest = max(mine, key=lambda c: c.rows)
        entry = {"per_1k_max_over_min": ratio,
                 "flat_within_2x": None if ratio is None else ratio <= TARGET_FLATNESS}
        text = f"{kind}: seconds per 1k rows max/min = {_fmt(ratio, 0)}"
        if ratio is not None:
            text += f" ({'flat within 2x' if ratio <= TARGET_FLATNESS else 'NOT flat within 2x'})"
        if largest.requested >= TARGET_ROWS:
            sec, rss = largest.median(), largest.max_rss_mb()
            met = sec is not None and rss is not None and sec < TARGET_SECONDS and rss < TARGET_RSS_MB
            text += (f"; {largest.rows} rows: {_fmt(sec, 0)} s (target < {TARGET_SECONDS:g} s), "
                     f"{_fmt(rss, 0, 0)} MB (target < {TARGET_RSS_MB:g} MB): "
                     f"{'target met' if met else 'target missed'}")
            entry.update(large_rows=largest.rows, large_seconds=sec, large_rss_mb=rss, target_met=met)
        else:
            text += f"; no {TARGET_ROWS // 1000}k case run, time and memory targets not checked"
        figures["kinds"][kind] = entry
        lines.append(text)
    failed = sum(not c.ok for c in cases)
    figures["failed_cases"] = failed
    lines.append(f"failed: {failed}/{len(cases)} case(s)")
    return lines, figures


def machine_line(opts: argparse.Namespace) -> str:
    """One line about the machine and the command."""
    return (f"# {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()} "
            f"cmd={opts.cmd!r} repeat={opts.repeat} (>= {opts.large} rows: {opts.repeat_large}) "
            f"seed={opts.seed}")


def write_json(path: Path, opts: argparse.Namespace, cases: list[Case], figures: dict) -> None:
    """Every figure, to PATH."""
    data = {
        "machine": {"machine": platform.machine(), "cpus": os.cpu_count(),
                    "platform": platform.platform(), "python": platform.python_version()},
        "cmd": opts.cmd, "seed": opts.seed, "timeout": opts.timeout,
        "targets": {"seconds": TARGET_SECONDS, "rss_mb": TARGET_RSS_MB,
                    "flatness": TARGET_FLATNESS, "rows": TARGET_ROWS},
        "summary": figures,
        "cases": [{"kind": c.kind, "requested_rows": c.requested, "rows": c.rows, "seed": c.seed,
                   "ok": c.ok, "median_seconds": c.median(), "seconds_per_1k_rows": c.per_1k(),
                   "max_rss_mb": c.max_rss_mb(), "runs": [asdict(r) for r in c.runs]}
                  for c in cases],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run every kind and size; print the table and the closing lines."""
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill, as on Ctrl-C
    print(machine_line(opts), flush=True)
    cases = bench(opts)
    lines, figures = summarize(cases)
    for line in lines:
        print(line)
    if opts.json:
        write_json(opts.json, opts, cases, figures)
    return 1 if figures["failed_cases"] else 0


if __name__ == "__main__":
    sys.exit(main())
