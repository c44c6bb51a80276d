#!/usr/bin/env python3
"""Every benchmark of issues 7 and 11 in one command: side by side with the reference,
scaling, memory, serialization, many pools with ``asnfp batch``.

usage: bench_all.py [--quick] [--out DIR]

    ASNFP_REFERENCE=/tmp/refvenv/bin/python python benchmarks/bench_all.py --out /tmp/bench

runs, one after the other (each prints its own table; the figures also go to DIR as JSON):

1. ``bench_generate.py`` on mega_pool, pool_004_wfs, pool_013_coron_nircam and a generated
   multi-instrument pool of about 300 rows: asnfp (5 runs) and the reference (1 run),
   medians and ratios;
2. ``bench_scaling.py``: generated NIRCam-mosaic and multi-instrument pools of 1k, 10k and
   100k rows: seconds, seconds per 1k rows, peak RSS;
3. ``bench_serialize.py``: decode+validate and encode of the 858 mega_pool files, against
   the reference's ``load_asn``;
4. ``bench_batch.py``: 200 generated pools of about 300 rows, serial against
   ``asnfp batch -j 2`` (3 runs each): seconds, pools per second, speed-ups.

``--quick`` leaves out the 100k-row pools and mega_pool's reference run (which alone
takes about 3 minutes), and times 50 pools once instead of 200 three times. The whole
run takes about 15 minutes on a 2-core machine, and ``bench_batch.py`` about 6 more
(40 s with ``--quick``).
Set ``TMPDIR`` to a RAM-backed folder (``/dev/shm``) to time the generators without
the machine's file-creation cost (it is the same for both); see README.md.
Only the standard library is used; ``asnfp`` must be on PATH.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _steps(out: Path, quick: bool) -> list[list[str]]:
    cases = "pool_004_wfs,pool_013_coron_nircam,generated"  # "generated": the --generated pool
    if not quick:
        cases = "mega_pool," + cases
    return [
        [sys.executable, str(HERE / "bench_generate.py"), "-k", cases, "--generated", "300",
         "--repeat", "5", "--reference-repeat", "1", "--json", str(out / "side_by_side.json")],
        [sys.executable, str(HERE / "bench_scaling.py"),
         "--sizes", "1000,10000" if quick else "1000,10000,100000",
         "--timeout", "1800", "--json", str(out / "scaling.json")],
        [sys.executable, str(HERE / "bench_serialize.py"), "--json", str(out / "serialize.json")],
        [sys.executable, str(HERE / "bench_batch.py"), *(["--pools", "50", "--repeat", "1"] if quick else []),
         "--out", str(out)],  # writes out/batch.json
    ]


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark; the exit status is the worst of theirs."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="no 100k-row pools, no mega_pool, 50 pools once for batch")
    ap.add_argument("--out", type=Path, help="where the JSON figures go (a new temporary folder)")
    opts = ap.parse_args(argv)
    out = opts.out or Path(tempfile.mkdtemp(prefix="asnfp-bench-all-"))
    out.mkdir(parents=True, exist_ok=True)
    worst = 0
    for step in _steps(out, opts.quick):
        print(f"\n$ {' '.join(Path(a).name if a.endswith('.py') else a for a in step[1:])}", flush=True)
        worst = max(worst, subprocess.run(step, check=False).returncode)
    print(f"\nfigures: {out}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
