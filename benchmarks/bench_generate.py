#!/usr/bin/env python3
"""Time ``asnfp generate`` as a whole process on the conformance pools.

usage: bench_generate.py [-k TEXT] [--repeat N] [--timeout S] [--cmd "asnfp generate"]
                         [--reference-repeat N] [--skip-slow SECONDS] [--json FILE]
                         [--example] [--generated N]

Every run is ``CMD POOL -p OUT --save-orphans orphans.csv ARGS...`` with a fresh
temporary OUT and the case's ARGS from ``case.json``.  The cases are read from
``../shared/conformance`` beside the repository root; when that folder is absent the
script says so in one line and exits 0.

When the environment variable ASNFP_REFERENCE names a Python executable with jwst
3.0.0, the reference generator is timed on the same pool with the same arguments,
interleaved with the asnfp runs, and the ratio reference_median / asnfp_median is
printed (above 1 means asnfp is faster).  ``--example`` times the shipped example
pool ``examples/jw01234_imaging_pool.csv`` instead of the conformance cases.
``--generated N`` adds a case ``generated_multi_N``: a pool of about N rows of several
instruments and modes, made by ``make_pool.py`` beside this script (seed 0).

Exit status: 0 when every asnfp run exited 0, 1 when one did not, 2 when no case
matched ``-k``.  Only the standard library is used.
"""
from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import math
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO.parent / "shared" / "conformance"
EXAMPLE_POOL = REPO / "examples" / "jw01234_imaging_pool.csv"
REFERENCE_SNIPPET = "import sys; from jwst.associations.main import main; main(sys.argv[1:])"
NOT_MEASURED = "*"


@dataclass
class Case:
    """One pool to time: a name, the pool path, extra arguments and the case.json time."""

    name: str
    pool: Path
    args: list[str]
    reference_seconds: float | None = None


@dataclass
class Run:
    """One finished (or killed) process: wall and CPU seconds, exit code, last error line."""

    wall: float
    cpu: float
    returncode: int
    error: str = ""


@dataclass
class Series:
    """The runs of one command on one case."""

    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every run exited 0 (and there was at least one)."""
        return bool(self.runs) and all(r.returncode == 0 for r in self.runs)

    def walls(self) -> list[float]:
        """Wall seconds of every run."""
        return [r.wall for r in self.runs]

    def median(self) -> float | None:
        """Median wall seconds, or None without runs."""
        return statistics.median(self.walls()) if self.runs else None

    def summary(self) -> dict:
        """Figures for the JSON file."""
        walls = self.walls()
        return {
            "ok": self.ok,
            "seconds": walls,
            "cpu_seconds": [r.cpu for r in self.runs],
            "returncodes": [r.returncode for r in self.runs],
            "errors": [r.error for r in self.runs if r.error],
            "min": min(walls, default=None),
            "median": self.median(),
            "max": max(walls, default=None),
        }


@dataclass
class Result:
    """What was measured for one case."""

    case: Case
    asnfp: Series
    reference: Series | None = None  # None: the reference was not run in this run
    skipped_slow: bool = False  # reference skipped by --skip-slow: show case.json's figure

    def reference_median(self) -> tuple[float | None, bool]:
        """(reference seconds, measured in this run?); case.json's figure if skipped."""
        if self.reference is not None and self.reference.ok:
            return self.reference.median(), True
        if self.skipped_slow and self.case.reference_seconds:
            return self.case.reference_seconds, False
        return None, False

    def ratio(self) -> tuple[float | None, bool]:
        """(reference median / asnfp median, measured in this run?)."""
        ref, measured = self.reference_median()
        mine = self.asnfp.median()
        if ref is None or not mine or not self.asnfp.ok:
            return None, measured
        return ref / mine, measured


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", default="", metavar="TEXT",
                    help="only cases whose name contains TEXT (several: TEXT,TEXT,...)")
    ap.add_argument("--repeat", type=int, default=3, metavar="N", help="asnfp runs per case (3)")
    ap.add_argument("--reference-repeat", type=int, default=1, metavar="N",
                    help="reference runs per case when ASNFP_REFERENCE is set (1)")
    ap.add_argument("--skip-slow", type=float, metavar="SECONDS",
                    help="do not run the reference where case.json's reference_seconds "
                         "exceeds SECONDS; its case.json figure is shown instead")
    ap.add_argument("--timeout", type=float, default=600, metavar="S",
                    help="seconds per run before it is killed (600)")
    ap.add_argument("--cmd", default="asnfp generate", metavar="CMD",
                    help='asnfp command, e.g. "python -m asnfp.cli generate"')
    ap.add_argument("--cases", type=Path, default=CONFORMANCE, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    ap.add_argument("--example", action="store_true",
                    help=f"time {EXAMPLE_POOL.relative_to(REPO)} instead of the cases")
    ap.add_argument("--generated", type=int, metavar="N",
                    help="also time a generated multi-instrument pool of about N rows "
                         "(benchmarks/make_pool.py); its case name is generated_multi_N")
    opts = ap.parse_args(argv)
    if opts.repeat < 1 or opts.reference_repeat < 0:
        ap.error("--repeat must be >= 1 and --reference-repeat >= 0")
    return opts


def _selected(name: str, needle: str) -> bool:
    return any(part in name for part in needle.split(","))


def load_cases(root: Path, needle: str) -> list[Case]:
    """The conformance cases under ROOT/cases whose folder name contains NEEDLE (or one
    of its comma-separated parts)."""
    cases = []
    for path in sorted(root.glob("cases/*/case.json")):
        if not _selected(path.parent.name, needle):
            continue
        meta = json.loads(path.read_text())
        cases.append(Case(path.parent.name, root / meta["pool"], list(meta.get("args", [])),
                          meta.get("reference_seconds")))
    return cases


def reference_command() -> tuple[list[str] | None, str]:
    """The reference command from ASNFP_REFERENCE, and a line describing it."""
    python = os.environ.get("ASNFP_REFERENCE", "")
    if not python:
        return None, "reference: not run (set ASNFP_REFERENCE to a Python with jwst 3.0.0)"
    try:
        proc = subprocess.run([python, "-c", "import jwst; print(jwst.__version__)"],
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"reference: not run ({python}: {exc})"
    version = proc.stdout.strip()
    if proc.returncode or not version:
        return None, f"reference: not run ({python} cannot import jwst)"
    note = "" if version == "3.0.0" else " (WARNING: not 3.0.0)"
    return [python, "-c", REFERENCE_SNIPPET], f"reference: jwst {version}{note} via {python}"


def run_once(cmd: list[str], case: Case, timeout: float) -> Run:
    """Run CMD once on CASE into a fresh temporary folder and time it."""
    with tempfile.TemporaryDirectory(prefix="asnfp-bench-") as out:
        argv = [*cmd, str(case.pool), "-p", out, "--save-orphans", "orphans.csv", *case.args]
        cpu0 = _children_cpu()
        start = time.perf_counter()
        try:
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, errors="replace", timeout=timeout)
            code = proc.returncode
            err = f"exit {code}: {_last_line(proc.stderr)}" if code else ""
        except subprocess.TimeoutExpired:
            code, err = -9, f"timed out after {timeout:g} s"
        except OSError as exc:
            code, err = 127, f"cannot start {cmd[0]!r}: {exc.strerror or exc}"
        wall = time.perf_counter() - start
        return Run(wall, _children_cpu() - cpu0, code, err)


def _children_cpu() -> float:
    """User plus system CPU seconds of every reaped child so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _last_line(text: str) -> str:
    """The last non-blank line of TEXT, shortened."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "(no message)"


def bench_case(case: Case, opts: argparse.Namespace, ref_cmd: list[str] | None) -> Result:
    """Time asnfp (and the reference, interleaved) on one case."""
    result = Result(case, Series())
    slow = opts.skip_slow is not None and (case.reference_seconds or 0) > opts.skip_slow
    if ref_cmd and opts.reference_repeat:
        result.skipped_slow = slow
        result.reference = None if slow else Series()
    mine = shlex.split(opts.cmd)
    for i in range(max(opts.repeat, opts.reference_repeat if result.reference else 0)):
        if i < opts.repeat:
            result.asnfp.runs.append(run_once(mine, case, opts.timeout))
            if result.asnfp.runs[-1].returncode:
                break  # a failing asnfp makes further timing pointless
        if result.reference is not None and i < opts.reference_repeat:
            result.reference.runs.append(run_once(ref_cmd, case, opts.timeout))
    return result


def fmt(value: float | None, width: int = 8, mark: str = "") -> str:
    """A right-aligned figure, or '-' when there is none."""
    text = "-" if value is None else f"{value:.2f}{mark}"
    return text.rjust(width)


HEADER = (f"{'case':34s} {'asnfp_min':>9s} {'asnfp_med':>9s} {'asnfp_max':>9s} "
          f"{'ref_med':>9s} {'ratio':>8s}  exit0")


def format_row(res: Result) -> str:
    """One line for one case."""
    walls = res.asnfp.walls()
    ref, ref_measured = res.reference_median()
    ratio, _ = res.ratio()
    mark = "" if ref_measured else NOT_MEASURED
    line = (f"{res.case.name:34s} {fmt(min(walls, default=None), 9)} "
            f"{fmt(res.asnfp.median(), 9)} {fmt(max(walls, default=None), 9)} "
            f"{fmt(ref, 9, mark if ref else '')} "
            f"{fmt(ratio, 8, mark if ratio else '')}  {'yes' if res.asnfp.ok else 'NO'}")
    for run in res.asnfp.runs:
        if run.error:
            return f"{line}\n    asnfp: {run.error}"
    if res.reference is not None and not res.reference.ok and res.reference.runs:
        line += f"\n    reference failed: {res.reference.runs[-1].error}"
    return line


def geomean(values: list[float]) -> float | None:
    """Geometric mean of positive VALUES, or None when empty."""
    values = [v for v in values if v and v > 0]
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def summary(results: list[Result]) -> tuple[str, dict]:
    """The closing line and its figures."""
    measured = [r for r, m in (res.ratio() for res in results) if r is not None and m]
    indicated = [r for r, m in (res.ratio() for res in results) if r is not None and not m]
    failed = sum(not res.asnfp.ok for res in results)
    gm, gm_all = geomean(measured), geomean(measured + indicated)
    text = (f"geomean ratio (reference/asnfp, measured in this run): {fmt(gm, 0)} "
            f"over {len(measured)} case(s)")
    if indicated:
        text += (f"; with case.json figures{NOT_MEASURED}: {fmt(gm_all, 0)} "
                 f"over {len(measured) + len(indicated)}")
    text += f"; asnfp failed on {failed}/{len(results)} case(s)"
    figures = {"geomean_measured": gm, "cases_measured": len(measured),
               "geomean_with_case_json": gm_all,
               "cases_with_case_json": len(measured) + len(indicated),
               "asnfp_failed": failed, "cases": len(results)}
    return text, figures


def machine_line(opts: argparse.Namespace) -> str:
    """One line about the machine and the asnfp command."""
    return (f"# {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
            f"python={platform.python_version()} cmd={opts.cmd!r} repeat={opts.repeat}")


def write_json(path: Path, opts: argparse.Namespace, ref_line: str,
               results: list[Result], figures: dict) -> None:
    """Write every figure to PATH."""
    data = {
        "machine": {"node": platform.node(), "machine": platform.machine(),
                    "cpus": os.cpu_count(), "platform": platform.platform()},
        "cmd": opts.cmd, "repeat": opts.repeat, "reference_repeat": opts.reference_repeat,
        "reference": ref_line, "skip_slow": opts.skip_slow, "summary": figures,
        "cases": [{
            **{k: str(v) if isinstance(v, Path) else v for k, v in asdict(res.case).items()},
            "asnfp": res.asnfp.summary(),
            "reference": None if res.reference is None else res.reference.summary(),
            "ratio": res.ratio()[0], "ratio_measured": res.ratio()[1],
        } for res in results],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def generated_cases(opts: argparse.Namespace) -> list[Case]:
    """With --generated N (and -k matching its name): the generated pool's case."""
    if not opts.generated or not _selected(name := f"generated_multi_{opts.generated}", opts.k):
        return []
    spec = importlib.util.spec_from_file_location("make_pool", Path(__file__).with_name("make_pool.py"))
    make_pool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_pool)
    folder = tempfile.mkdtemp(prefix="asnfp-bench-pool-")
    atexit.register(shutil.rmtree, folder, True)
    pool = Path(folder) / f"{name}.csv"
    make_pool.write_pool(pool, opts.generated, "multi", 0)
    return [Case(name, pool, [])]


def select_cases(opts: argparse.Namespace) -> list[Case] | None:
    """The cases to time; None (after a message) when there is nothing to time."""
    generated = generated_cases(opts)
    if opts.example:
        if not EXAMPLE_POOL.is_file():
            print(f"example pool {EXAMPLE_POOL} not found; nothing to time")
            return generated or None
        return [Case(f"example:{EXAMPLE_POOL.stem}", EXAMPLE_POOL, []), *generated]
    if not opts.cases.is_dir():
        print(f"no conformance cases at {opts.cases}" + ("" if generated else "; nothing to time"))
        return generated or None
    return load_cases(opts.cases, opts.k) + generated


def main(argv: list[str] | None = None) -> int:
    """Time every selected case and print one line each, then the summary."""
    opts = parse_args(argv)
    cases = select_cases(opts)
    if cases is None:
        return 0
    if not cases:
        print(f"no case under {opts.cases}/cases matches -k {opts.k!r}")
        return 2
    ref_cmd, ref_line = reference_command()
    print(machine_line(opts))
    print(f"# {ref_line}")
    print(HEADER, flush=True)
    results = []
    for case in cases:
        results.append(bench_case(case, opts, ref_cmd))
        print(format_row(results[-1]), flush=True)
    text, figures = summary(results)
    if any(not res.reference_median()[1] and res.reference_median()[0] for res in results):
        print(f"{NOT_MEASURED} reference_seconds from case.json (one 2-core machine), "
              "not measured in this run")
    print(text)
    if opts.json:
        write_json(opts.json, opts, ref_line, results, figures)
    return 1 if figures["asnfp_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
