#!/usr/bin/env python3
"""Load the running ``asnfp serve`` over loopback with wrk: requests per second, latency, errors.

usage: bench_serve.py [--seconds S] [--workers 1,2] [--only NAME ...] [--rss-seconds S]
                      [--threads NAME=N] [--connections NAME=N] [--warmup S]
                      [--conformance PATH] [--json FILE]

For each worker count of ``--workers`` a server is started as
``python -m asnfp serve --port 0 --workers N`` (this script's Python); the port is taken
from the one line it prints on stdout, and the server counts as up once
``GET /v1/health`` answers 200.  Then each scenario is loaded by wrk, a second process,
for ``--seconds``:

- ``validate-one``: ``POST /v1/validate``, body one association file as it is on disk
  (``cases/mega_pool/expected/jw00009-o167_image2_00001_asn.json``);
- ``validate-batch``: ``POST /v1/validate``, body a JSON array of 100 of the
  ``cases/mega_pool/expected/*_asn.json`` files (spread evenly over the sorted names),
  each element the file's text as it is, joined with commas inside ``[ ]``;
- ``generate-pool_002``: ``POST /v1/generate`` with ``{"pool": TEXT, "name": NAME}`` of
  ``pools/pool_002_image_miri.csv``;
- ``generate-mega``: the same of ``pools/mega_pool.csv`` (about 1 s a request; wrk's
  ``--timeout`` is 60 s for it, 10 s for the others).

Every scenario's request is sent once before it is loaded, and must answer 200 with the
expected shape (``{"valid": true, ...}`` with one verdict a file; ``files`` holding 9
files for pool_002 and 858 for mega_pool); a scenario that does not is reported and
not loaded, so that no error answer is ever timed.  The fast scenarios then get an
untimed wrk run of ``--warmup`` seconds (every worker's first requests); generate-mega
does not (the check warmed it, and a warm-up would leave requests running into the
timed run).  wrk runs with ``--latency`` and a Lua script (written to a temporary file)
that posts the body read from a file with ``Content-Type: application/json``.  The
table gives, per worker count and scenario: wrk's threads and connections, requests,
requests per second, p50 and p99 latency, socket errors (connect + read + write +
timeout) and responses that were not 2xx or 3xx, and the targets (on a 2-core machine):

- validate-one: at least 3,000 requests/s, with p99 under 20 ms;
- generate-pool_002: at least 50 requests/s;
- no socket error and no non-2xx answer in any run.

Memory (``--rss-seconds``, 0 leaves it out): a 1-worker server gets one request of
validate-one and one of generate-pool_002, and its resident memory is read (VmRSS of
``/proc/PID/status``, with every descendant process added, found through
``/proc/PID/task/*/children``; psutil where ``/proc`` is not there). Two wrk processes
load validate-one and generate-pool_002 at once, first for ``--rss-warmup`` seconds
(untimed: the process grows to its working size, its caches and allocator arenas
filled), then for ``--rss-seconds``; the memory is read as that window starts, every
second, and at its end. The target: under 10% growth from the window's start to its end
("flat"); the reading after one request is printed beside them.

Each server is stopped with SIGTERM and waited for.  The last lines give each target
with pass or fail.  Exit status 0 (a benchmark reports, it does not fail); 2 when wrk is
not installed.  When ``../shared/conformance`` (beside the repository root) is absent,
one line is printed and the exit status is 0.  Only the standard library is used (and
psutil, if installed, where ``/proc`` is missing); asnfp runs only in the server.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO.parent / "shared" / "conformance"
ONE_FILE = "jw00009-o167_image2_00001_asn.json"
BATCH = 100

TARGET_VALIDATE_RPS = 3_000.0
TARGET_VALIDATE_P99_MS = 20.0
TARGET_GENERATE_RPS = 50.0
TARGET_RSS_GROWTH = 10.0  # percent

#: Each scenario: its wrk threads, connections and --timeout seconds.
LOAD = {
    "validate-one": (2, 32, 10),
    "validate-batch": (1, 8, 10),
    "generate-pool_002": (1, 8, 10),
    "generate-mega": (1, 2, 60),
}

LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open([==[{path}]==], "rb"))
wrk.body = f:read("*a")
f:close()
"""


@dataclass
class Scenario:
    """One request to load: where it goes, its body, and how to tell a good answer."""

    name: str
    path: str
    body: bytes
    check: Callable[[Any], str | None]  # the decoded answer -> None, or what is wrong
    note: str
    threads: int = 1
    connections: int = 1
    timeout: int = 10
    body_file: Path | None = None
    script: Path | None = None


@dataclass
class Load:
    """What one wrk run reported."""

    scenario: str
    workers: int
    threads: int
    connections: int
    seconds: float = 0.0
    requests: int = 0
    rps: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("connect", "read", "write", "timeout"), 0))
    non2xx: int = 0
    failed: str | None = None  # when wrk itself did not run

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10, metavar="S", help="timed wrk seconds per scenario (10)")
    ap.add_argument("--workers", default="1,2", metavar="N,N",
                    help="server worker counts, comma-separated; each gets its own server (1,2)")
    ap.add_argument("--only", nargs="+", choices=list(LOAD), metavar="NAME",
                    help=f"only these scenarios ({', '.join(LOAD)}); all by default")
    ap.add_argument("--rss-seconds", type=int, default=60, metavar="S",
                    help="seconds of the mixed load of the memory step; 0 leaves it out (60)")
    ap.add_argument("--rss-warmup", type=int, default=10, metavar="S",
                    help="seconds of the same mixed load before the memory step's start is read (10)")
    ap.add_argument("--threads", action="append", default=[], metavar="NAME=N",
                    help="wrk threads of a scenario (validate-one=2, others 1); repeatable")
    ap.add_argument("--connections", action="append", default=[], metavar="NAME=N",
                    help="wrk connections of a scenario (validate-one=32, validate-batch=8, "
                         "generate-pool_002=8, generate-mega=2); repeatable")
    ap.add_argument("--warmup", type=int, default=1, metavar="S",
                    help="untimed wrk seconds before each fast scenario; 0: none (1)")
    ap.add_argument("--conformance", type=Path, default=CONFORMANCE, metavar="PATH",
                    help="the conformance folder (../shared/conformance beside the repository)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every figure here")
    opts = ap.parse_args(argv)
    try:
        opts.worker_counts = [int(w) for w in opts.workers.split(",") if w.strip()]
    except ValueError:
        ap.error(f"--workers {opts.workers!r}: comma-separated numbers expected")
    if not opts.worker_counts or min(opts.worker_counts) < 1:
        ap.error("--workers: each count must be >= 1")
    if opts.seconds < 1 or opts.rss_seconds < 0 or opts.rss_warmup < 0 or opts.warmup < 0:
        ap.error("--seconds must be >= 1, --rss-seconds and --warmup >= 0")
    opts.load = {name: list(load) for name, load in LOAD.items()}
    for flag, index in (("threads", 0), ("connections", 1)):
        for given in getattr(opts, flag):
            name, _, value = given.partition("=")
            if name not in LOAD or not value.isdigit() or int(value) < 1:
                ap.error(f"--{flag} {given!r}: NAME=N expected, NAME one of {', '.join(LOAD)}")
            opts.load[name][index] = int(value)
    for name, (threads, connections, _) in opts.load.items():
        if connections < threads:
            ap.error(f"{name}: wrk needs at least as many connections ({connections}) as threads ({threads})")
    opts.only = opts.only or list(LOAD)
    return opts


# --------------------------------------------------------------------------- scenarios


def _validation(files: int) -> Callable[[Any], str | None]:
    def check(answer: Any) -> str | None:
        if not isinstance(answer, dict) or answer.get("valid") is not True:
            return f"expected {{\"valid\": true, ...}}, got {str(answer)[:200]}"
        if len(answer.get("files") or []) != files:
            return f"expected {files} verdict(s), got {len(answer.get('files') or [])}"
        return None
    return check


def _generation(files: int) -> Callable[[Any], str | None]:
    def check(answer: Any) -> str | None:
        if not isinstance(answer, dict) or not isinstance(answer.get("files"), list):
            return f"expected an object with \"files\", got {str(answer)[:200]}"
        if len(answer["files"]) != files:
            return f"expected {files} files, got {len(answer['files'])}"
        return None
    return check


def spread(items: Sequence[Any], n: int) -> list[Any]:
    """N items spread evenly over ``items`` (all of them when N is not smaller)."""
    if n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def scenarios(conformance: Path, load: dict[str, list[int]]) -> dict[str, Scenario]:
    """The four scenarios, their bodies read from the conformance folder."""
    expected = conformance / "cases" / "mega_pool" / "expected"
    pools = conformance / "pools"
    one = (expected / ONE_FILE).read_bytes()
    batch_paths = spread(sorted(expected.glob("*_asn.json")), BATCH)
    batch = b"[" + b",".join(p.read_bytes().strip() for p in batch_paths) + b"]"
    out = {
        "validate-one": Scenario("validate-one", "/v1/validate", one, _validation(1),
                                 f"{ONE_FILE}, {len(one):,} bytes"),
        "validate-batch": Scenario("validate-batch", "/v1/validate", batch, _validation(len(batch_paths)),
                                   f"{len(batch_paths)} mega_pool files, {len(batch):,} bytes"),
    }
    for name, pool, files in (("generate-pool_002", "pool_002_image_miri.csv", 9),
                              ("generate-mega", "mega_pool.csv", 858)):
        body = json.dumps({"pool": (pools / pool).read_text(), "name": pool}).encode()
        out[name] = Scenario(name, "/v1/generate", body, _generation(files),
                             f"{pool}, {len(body):,} bytes, {files} files")
    for name, scenario in out.items():
        scenario.threads, scenario.connections, scenario.timeout = load[name]
    return out


def write_scripts(items: Sequence[Scenario], folder: Path) -> None:
    """Each scenario's body and wrk Lua script, as files in FOLDER."""
    for scenario in items:
        scenario.body_file = folder / f"{scenario.name}.json"
        scenario.body_file.write_bytes(scenario.body)
        scenario.script = folder / f"{scenario.name}.lua"
        scenario.script.write_text(LUA.format(path=scenario.body_file))


# --------------------------------------------------------------------------- the server


def request(url: str, body: bytes | None = None, timeout: float = 120) -> tuple[int, bytes]:
    """The status and body of a GET (or a POST of ``body``, as JSON)."""
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                 headers={"Content-Type": "application/json"} if body is not None else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class Server:
    """``python -m asnfp serve --port 0 --workers N``, up until :meth:`stop`."""

    def __init__(self, workers: int, log: Path) -> None:
        self.workers = workers
        self.log = log
        self.url = ""
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "1")}
        with open(log, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "asnfp", "serve", "--port", "0", "--workers", str(workers)],
                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO, env=env,
                start_new_session=True)

    def start(self, timeout: float = 60) -> None:
        """Wait for the announced address, then for ``GET /v1/health`` to answer 200."""
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        found = re.search(rb"listening on (http://\S+)", line[0]) if line else None
        if not found:
            raise RuntimeError(f"asnfp serve announced no address: {self.tail()}")
        self.url = found.group(1).decode()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"asnfp serve exited {self.proc.returncode}: {self.tail()}")
            try:
                if request(self.url + "/v1/health", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"GET /v1/health did not answer 200 within {timeout:g} s: {self.tail()}")
        while self.workers > 1 and len(descendants(self.proc.pid)) < self.workers and time.monotonic() < end:
            time.sleep(0.1)  # (every worker process started)

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines() if self.log.exists() else []
        return lines[-1] if lines else "(nothing on stderr)"

    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, and wait (SIGKILL to its process group after ``timeout``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def descendants(pid: int) -> list[int]:
    """Every process below PID (``/proc/PID/task/*/children``, or psutil)."""
    if not Path("/proc/self/task").is_dir():
        try:
            import psutil
        except ImportError:
            return []
        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return []
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(k) for k in children.read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def rss_bytes(pid: int) -> int:
    """The resident memory of PID and every process below it, in bytes."""
    if not Path("/proc/self/status").exists():
        try:
            import psutil
        except ImportError:
            return 0
        try:
            top = psutil.Process(pid)
            return sum(p.memory_info().rss for p in [top, *top.children(recursive=True)])
        except psutil.Error:
            return 0
    total = 0
    for one in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.M)
        total += int(found.group(1)) * 1024 if found else 0
    return total


# --------------------------------------------------------------------------- wrk

_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def wrk_command(url: str, scenario: Scenario, seconds: int) -> list[str]:
    return ["wrk", "-t", str(scenario.threads), "-c", str(scenario.connections), "-d", f"{seconds}s",
            "--timeout", f"{scenario.timeout}s", "--latency", "-s", str(scenario.script), url + scenario.path]


def parse_wrk(text: str, load: Load) -> Load:
    """Fill ``load`` from wrk's printed report."""
    found = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+)", text, re.M)
    if found:
        load.requests = int(found.group(1))
        load.seconds = _ms(found.group(2), found.group(3)) / 1e3
    found = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    load.rps = float(found.group(1)) if found else 0.0
    for key, pct in (("p50_ms", "50"), ("p99_ms", "99")):
        found = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
        setattr(load, key, _ms(found.group(1), found.group(2)) if found else None)
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if found:
        load.errors = dict(zip(("connect", "read", "write", "timeout"), map(int, found.groups()), strict=True))
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    load.non2xx = int(found.group(1)) if found else 0
    return load


def start_wrk(url: str, scenario: Scenario, seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(wrk_command(url, scenario, seconds), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)


def finish_wrk(proc: subprocess.Popen[str], load: Load, limit: float) -> Load:
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        load.failed = f"wrk did not end within {limit:g} s"
        return load
    if proc.returncode != 0 or "Requests/sec" not in out:
        tail = (out.strip().splitlines() or ["(no output)"])[-1]
        load.failed = f"wrk exited {proc.returncode}: {tail}"
        return load
    return parse_wrk(out, load)


def run_wrk(url: str, scenario: Scenario, seconds: int, workers: int) -> Load:
    load = Load(scenario.name, workers, scenario.threads, scenario.connections)
    return finish_wrk(start_wrk(url, scenario, seconds), load, seconds + scenario.timeout + 60)


def check_once(url: str, scenario: Scenario) -> str | None:
    """Send the scenario's request once: None when it answers 200 with the expected shape."""
    try:
        status, body = request(url + scenario.path, scenario.body)
    except OSError as err:
        return f"no answer ({err})"
    if status != 200:
        return f"status {status}: {body[:200].decode(errors='replace')}"
    try:
        answer = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200].decode(errors='replace')}"
    return scenario.check(answer)


# --------------------------------------------------------------------------- report


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def verdicts(load: Load, rates: bool = True) -> list[str]:
    """The targets of one run beside its figures: pass/fail of each (``rates``: the
    request-rate and latency targets too, which apply to a scenario loaded alone)."""
    if load.failed:
        return ["fail (wrk)"]
    out = []
    if rates and load.scenario == "validate-one":
        out.append(f"rps>={TARGET_VALIDATE_RPS:,.0f} {'pass' if load.rps >= TARGET_VALIDATE_RPS else 'fail'}")
        good = load.p99_ms is not None and load.p99_ms < TARGET_VALIDATE_P99_MS
        out.append(f"p99<{TARGET_VALIDATE_P99_MS:g}ms {'pass' if good else 'fail'}")
    if rates and load.scenario == "generate-pool_002":
        out.append(f"rps>={TARGET_GENERATE_RPS:g} {'pass' if load.rps >= TARGET_GENERATE_RPS else 'fail'}")
    out.append(f"clean {'pass' if load.error_count == 0 and load.non2xx == 0 else 'fail'}")
    return out


HEADER = (f"{'workers':>7} {'scenario':<18} {'t/c':>5} {'requests':>9} {'req/s':>9} {'p50_ms':>8} "
          f"{'p99_ms':>8} {'errors':>6} {'non2xx':>6}  targets")


def row(load: Load, rates: bool = True) -> str:
    if load.failed:
        return f"{load.workers:>7} {load.scenario:<18} {load.threads}/{load.connections:<3} {load.failed}"
    tc = f"{load.threads}/{load.connections}"
    return (f"{load.workers:>7} {load.scenario:<18} {tc:>5} {load.requests:>9,} {load.rps:>9,.1f} "
            f"{_fmt_ms(load.p50_ms):>8} {_fmt_ms(load.p99_ms):>8} {load.error_count:>6} {load.non2xx:>6}  "
            + ", ".join(verdicts(load, rates)))


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def memory_step(opts: argparse.Namespace, items: dict[str, Scenario], tmp: Path,
                problems: list[str]) -> dict[str, Any] | None:
    """The mixed load against a 1-worker server, its memory at the start and the end."""
    mixed = [items["validate-one"], items["generate-pool_002"]]
    print(f"# memory: 1 worker, validate-one ({mixed[0].threads}/{mixed[0].connections}) and "
          f"generate-pool_002 ({mixed[1].threads}/{mixed[1].connections}) at once for {opts.rss_seconds} s")
    server = Server(1, tmp / "serve-rss.log")
    try:
        server.start()
        for scenario in mixed:  # one warm-up request of each kind
            wrong = check_once(server.url, scenario)
            if wrong:
                problems.append(f"memory step, {scenario.name}: {wrong}")
                print(f"memory step: {scenario.name} check failed, not loaded: {wrong}")
                return None
        cold = server.rss()
        if opts.rss_warmup:  # the same load, untimed: the process reaches its working size
            warm = [start_wrk(server.url, s, opts.rss_warmup) for s in mixed]
            for p, s in zip(warm, mixed, strict=True):
                finish_wrk(p, Load(s.name, 1, s.threads, s.connections), opts.rss_warmup + 120)
        start = server.rss()
        procs = [start_wrk(server.url, s, opts.rss_seconds) for s in mixed]
        samples = [start]
        while any(p.poll() is None for p in procs):
            time.sleep(1)
            samples.append(server.rss())  # (about one a second)
        loads = [finish_wrk(p, Load(s.name, 1, s.threads, s.connections), opts.rss_seconds + 120)
                 for p, s in zip(procs, mixed, strict=True)]
        end = server.rss()
        samples.append(end)
    finally:
        server.stop()
    growth = (end - start) / start * 100 if start else float("nan")
    for load in loads:
        print(row(load, rates=False))
    marks = [samples[min(len(samples) - 1, round(len(samples) * q))] for q in (0.25, 0.5, 0.75)]
    print(f"{'':>7} server RSS under load, at 25%, 50%, 75% of the time: {', '.join(_mb(m) for m in marks)}")
    flat = growth < TARGET_RSS_GROWTH
    print(f"{'':>7} server RSS: after one request of each {_mb(cold)}; start {_mb(start)} (after "
          f"{opts.rss_warmup} s of the same load), end {_mb(end)}, "
          f"peak {_mb(max(samples))}, growth {growth:+.1f}% -> "
          f"{'flat' if flat else 'not flat'} (<{TARGET_RSS_GROWTH:g}%): {'pass' if flat else 'fail'}")
    return {"seconds": opts.rss_seconds, "warmup_seconds": opts.rss_warmup, "cold_bytes": cold,
            "start_bytes": start, "end_bytes": end, "peak_bytes": max(samples),
            "growth_percent": growth, "flat": flat, "samples_bytes": samples,
            "loads": [asdict(load) for load in loads]}


def summary(loads: list[Load], memory: dict[str, Any] | None, opts: argparse.Namespace,
            problems: list[str]) -> list[str]:
    """One line per target, pass or fail."""
    def by(name: str) -> list[Load]:
        return [load for load in loads if load.scenario == name and not load.failed]

    def per_worker(rows: list[Load], fmt: Callable[[Load], str]) -> str:
        return "; ".join(f"{r.workers} worker{'s' if r.workers != 1 else ''}: {fmt(r)}" for r in rows)

    lines = []
    one, gen = by("validate-one"), by("generate-pool_002")
    if one:
        ok = all(r.rps >= TARGET_VALIDATE_RPS for r in one)
        lines.append(f"target validate-one >= {TARGET_VALIDATE_RPS:,.0f} requests/s: {'pass' if ok else 'fail'} "
                     f"({per_worker(one, lambda r: f'{r.rps:,.0f}')})")
        ok = all(r.p99_ms is not None and r.p99_ms < TARGET_VALIDATE_P99_MS for r in one)
        lines.append(f"target validate-one p99 < {TARGET_VALIDATE_P99_MS:g} ms: {'pass' if ok else 'fail'} "
                     f"({per_worker(one, lambda r: f'{_fmt_ms(r.p99_ms)} ms')})")
    else:
        lines.append("target validate-one >= 3,000 requests/s, p99 < 20 ms: not measured")
    if gen:
        ok = all(r.rps >= TARGET_GENERATE_RPS for r in gen)
        lines.append(f"target generate-pool_002 >= {TARGET_GENERATE_RPS:g} requests/s: {'pass' if ok else 'fail'} "
                     f"({per_worker(gen, lambda r: f'{r.rps:,.1f}')})")
    else:
        lines.append("target generate-pool_002 >= 50 requests/s: not measured")
    every = loads + [Load(**d) for d in (memory or {}).get("loads", [])]
    failed = [load for load in every if load.failed]
    errors = sum(load.error_count for load in every)
    non2xx = sum(load.non2xx for load in every)
    runs = f"{len(every)} wrk run(s)"
    lines.append(f"target zero socket errors: {'pass' if errors == 0 and not failed else 'fail'} "
                 f"({errors} over {runs}{f', {len(failed)} wrk run(s) failed' if failed else ''})")
    lines.append(f"target zero non-2xx answers: {'pass' if non2xx == 0 and not problems else 'fail'} "
                 f"({non2xx} over {runs}" + (f"; {len(problems)} check(s) failed before loading" if problems
                                             else "; every check answered 200 as expected") + ")")
    if memory:
        lines.append(f"target RSS flat (< {TARGET_RSS_GROWTH:g}% growth over {memory['seconds']} s mixed load): "
                     f"{'pass' if memory['flat'] else 'fail'} ({_mb(memory['start_bytes'])} -> "
                     f"{_mb(memory['end_bytes'])}, {memory['growth_percent']:+.1f}%)")
    elif opts.rss_seconds:
        lines.append("target RSS flat: not measured (the memory step failed)")
    else:
        lines.append("target RSS flat: not measured (--rss-seconds 0)")
    return lines


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk")
        return 2
    if not (opts.conformance / "cases" / "mega_pool" / "expected").is_dir():
        print(f"no conformance cases at {opts.conformance}; nothing to load")
        return 0
    items = scenarios(opts.conformance, opts.load)
    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout
    print(f"# {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()} "
          f"wrk={(version.split() or ['?'])[1]} seconds={opts.seconds} warmup={opts.warmup} "
          f"workers={','.join(map(str, opts.worker_counts))}")
    for name in opts.only:
        s = items[name]
        print(f"# {name:<18} POST {s.path:<13} {s.note}; wrk -t{s.threads} -c{s.connections} "
              f"--timeout {s.timeout}s")
    loads: list[Load] = []
    problems: list[str] = []
    memory = None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="asnfp-bench-serve-") as name:
        tmp = Path(name)
        write_scripts(list(items.values()), tmp)
        print(HEADER)
        for workers in opts.worker_counts:
            server = Server(workers, tmp / f"serve-{workers}.log")
            try:
                server.start()
                for scenario_name in opts.only:
                    scenario = items[scenario_name]
                    wrong = check_once(server.url, scenario)
                    if wrong:
                        problems.append(f"{workers} worker(s), {scenario_name}: {wrong}")
                        print(f"{workers:>7} {scenario_name:<18} check failed, not loaded: {wrong}")
                        continue
                    if opts.warmup and scenario_name != "generate-mega":
                        run_wrk(server.url, scenario, opts.warmup, workers)
                    load = run_wrk(server.url, scenario, opts.seconds, workers)
                    loads.append(load)
                    print(row(load), flush=True)
                print(f"{'':>7} (server RSS after the runs: {_mb(server.rss())}, "
                      f"{1 + len(descendants(server.proc.pid))} process(es))")
            except RuntimeError as err:
                problems.append(f"{workers} worker(s): {err}")
                print(f"{workers:>7} server did not start: {err}")
            finally:
                server.stop()
        if opts.rss_seconds:
            try:
                memory = memory_step(opts, items, tmp, problems)
            except RuntimeError as err:
                problems.append(f"memory step: {err}")
                print(f"memory step: server did not start: {err}")
    for line in summary(loads, memory, opts, problems):
        print(line)
    for problem in problems:
        print(f"problem: {problem}")
    print(f"# took {time.monotonic() - started:.0f} s")
    if opts.json:
        opts.json.write_text(json.dumps({
            "machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "seconds": opts.seconds, "workers": opts.worker_counts,
            "loads": [asdict(load) for load in loads], "memory": memory, "problems": problems,
            "summary": summary(loads, memory, opts, problems)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
