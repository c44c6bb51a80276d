#!/usr/bin/env python3
"""Time decoding, validating and encoding association files (asnfp's msgspec Structs).

usage: bench_serialize.py [--files DIR] [--pool POOL] [--repeat N] [--yaml-repeat N]
                          [--reference-files N] [--reference-repeat N] [--json FILE]

The files are the 858 that ``asnfp generate`` makes of the conformance ``mega_pool``
(written to a temporary folder, or taken from ``--files DIR``, a folder made earlier
from the same pool).  All their bytes are read into memory first; then each operation
runs over every file, ``--repeat`` times, and the median is shown:

- decode+validate: ``asnfp.tools.validate.check(bytes)`` -- the reference's verdict (the
  bytes read as Python's ``json`` reads them, then YAML, against the reference's
  association schema), the check ``asnfp validate`` makes; and
  ``asnfp.tools.validate.check_strict(bytes)`` -- that and the bytes to a typed ``Level3File``
  (every field's type, required ``asn_type``/``asn_rule``), a known ``asn_type``, no
  folder in an ``expname``: ``asnfp validate --strict``.  ``asnfp.io.decode_json``
  alone types the fields but lets ``products`` default to ``[]``, so it is shown on its
  own line.
- encode: ``asnfp.io.dumps_json`` of the Structs that asnfp writes (made in this process
  from the same pool); every result must equal the file's bytes, else exit 1.
- from disk: the bounded read (``asnfp.reading.read_bounded``) and ``check``, as
  ``asnfp validate`` reads a file; ``asnfp.tools.validate.read_checked(path)`` (read + typed
  decode, for ``asnfp diff``); and ``asnfp.io.load_asn(path)``.  The files were just read, so
  they come from the page cache.
- YAML: ``check`` (the JSON reading fails first, as the reference's does) and
  ``check_strict(..., is_yaml=True)`` on the files as ``asnfp.io.dumps_yaml`` writes them.

When the environment variable ASNFP_REFERENCE names a Python with jwst 3.0.0, the
reference's ``load_asn`` (it parses the JSON and validates it against the association
schema) is timed in a subprocess on ``--reference-files`` of the files, spread evenly
over the sorted names, three ways: from an open file object with the default registry
(as ``jwst.datamodels.ModelContainer`` calls it), from the string, and from the string
with a registry built once.  asnfp is timed on the same files for the ratios.

Exit status 0; 1 when an encoded file differs from the file written.  When
``../shared/conformance`` (beside the repository root) is absent, one line is printed
and the exit status is 0.  Needs asnfp and msgspec; the rest is the standard library.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import msgspec

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO.parent / "shared" / "conformance"
POOL = CONFORMANCE / "pools" / "mega_pool.csv"
TARGET = 10_000.0  # files per second, decode + validate

REFERENCE_SCRIPT = r"""
import json, logging, sys, time, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import jwst
from jwst.associations import AssociationRegistry, load_asn

job = json.load(sys.stdin)
paths, repeat = job["files"], job["repeat"]
texts = []
for path in paths:
    with open(path) as fh:
        texts.append(fh.read())
registry = AssociationRegistry()

def from_file():
    out = []
    for path in paths:
        with open(path) as fh:
            out.append(load_asn(fh))
    return out

def from_text():
    return [load_asn(text) for text in texts]

def from_text_shared():
    return [load_asn(text, registry=registry) for text in texts]

modes = {"file": from_file, "text": from_text, "text_shared": from_text_shared}
loaded = {}
for name, run in modes.items():  # warm-up, and every file must load with its products
    loaded[name] = sum(1 for asn in run() if asn["products"])
seconds = {name: [] for name in modes}
for _ in range(repeat):
    for name, run in modes.items():
        start = time.perf_counter()
        run()
        seconds[name].append(time.perf_counter() - start)
json.dump({"jwst": jwst.__version__, "files": len(paths), "loaded": loaded,
           "seconds": seconds}, sys.stdout)
"""

REFERENCE_MODES = {
    "file": "reference load_asn(open file)",
    "text": "reference load_asn(str)",
    "text_shared": "reference load_asn(str, registry once)",
}


@dataclass
class Row:
    """One timed operation: files per pass and the seconds of every pass."""

    operation: str
    files: int
    samples: list[float]

    @property
    def seconds(self) -> float:
        return statistics.median(self.samples)

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else math.inf

    def summary(self) -> dict[str, Any]:
        return {**asdict(self), "median_seconds": self.seconds, "files_per_second": self.rate}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=Path, metavar="DIR",
                    help="use the *_asn.json files in DIR (made from --pool) instead of generating")
    ap.add_argument("--pool", type=Path, default=POOL, help="pool to generate from (mega_pool)")
    ap.add_argument("--repeat", type=int, default=7, metavar="N", help="timed passes per operation (7)")
    ap.add_argument("--min-seconds", type=float, default=0.1, metavar="S",
                    help="a pass loops over the files until it takes about S seconds (0.1)")
    ap.add_argument("--yaml-repeat", type=int, default=3, metavar="N",
                    help="timed passes of the YAML decode; 0 leaves it out (3)")
    ap.add_argument("--reference-files", type=int, default=100, metavar="N",
                    help="files the reference loads, spread over the sorted names (100)")
    ap.add_argument("--reference-repeat", type=int, default=3, metavar="N",
                    help="timed reference passes over those files (3)")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    ap.add_argument("--conformance", type=Path, default=CONFORMANCE, help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if min(opts.repeat, opts.reference_files, opts.reference_repeat) < 1 or opts.yaml_repeat < 0:
        ap.error("--repeat, --reference-files and --reference-repeat must be >= 1")
    return opts


def generate(pool: Path, out: Path) -> None:
    """Write the pool's association files into OUT with ``asnfp generate``."""
    cmd = [sys.executable, "-c", "from asnfp.cli import main; raise SystemExit(main())",
           "generate", str(pool), "-p", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"asnfp generate failed (exit {done.returncode}): {tail}")


def generated_structs(pool: Path) -> dict[str, Any]:
    """The file Structs asnfp writes for the pool, by file name (made in this process)."""
    from asnfp import api, io

    asns = api.associations(api.read_pool(pool))
    return {io.file_name(a): io.to_file(a, api.rule_name(a)) for a in asns}


def timed(operation: str, fn: Callable[[Any], object], items: Sequence[Any], repeat: int,
          min_seconds: float) -> Row:
    """Time ``fn`` over every item; each sample is the seconds of one pass over ``items``
    (a sample loops over them as often as it takes to last about ``min_seconds``)."""
    start = time.perf_counter()
    for item in items:
        fn(item)
    once = time.perf_counter() - start
    loops = max(1, math.ceil(min_seconds / once)) if once > 0 else 1000
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            for item in items:
                fn(item)
        samples.append((time.perf_counter() - start) / loops)
    return Row(operation, len(items), samples)


def spread(items: Sequence[Any], n: int) -> list[Any]:
    """N items spread evenly over ``items`` (all of them when N is not smaller)."""
    if n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def run_reference(python: str, paths: Sequence[Path], repeat: int) -> dict[str, Any]:
    """Time jwst's ``load_asn`` on PATHS in a subprocess of PYTHON."""
    job = json.dumps({"files": [str(p) for p in paths], "repeat": repeat})
    done = subprocess.run([python, "-c", REFERENCE_SCRIPT], input=job, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SystemExit(f"reference failed (exit {done.returncode}): {tail}")
    return json.loads(done.stdout)


def level_classes() -> dict[str, type]:
    """The file Struct of each ``asn_type`` asnfp writes (Level2File or Level3File)."""
    from asnfp.io import Level2File, Level3File
    from asnfp.jwst import RULES

    return {rule.asn_type: Level2File if rule.level == 2 else Level3File for rule in RULES}


def round_trip(data: Sequence[bytes]) -> tuple[int, list[int]]:
    """Decode each file into its level's Struct and encode it again: how many come back
    byte-identical, and the indices of those that do not."""
    from asnfp.io import Level3File, decode_json, dumps_json

    decoders = {cls: msgspec.json.Decoder(cls) for cls in set(level_classes().values())}
    classes = level_classes()
    differ = []
    for i, raw in enumerate(data):
        cls = classes.get(decode_json(raw).asn_type, Level3File)
        if dumps_json(decoders[cls].decode(raw)) != raw:
            differ.append(i)
    return len(data) - len(differ), differ


def fmt_row(row: Row) -> str:
    return f"{row.operation:<44} {row.files:>6} {row.seconds:>10.6f} {row.rate:>12,.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Make or find the files, time every operation, print the table."""
    opts = parse_args(argv)
    if not opts.conformance.is_dir():
        print(f"no conformance data at {opts.conformance}; nothing to time")
        return 0
    from asnfp import __version__
    from asnfp.io import decode_json, dumps_json, dumps_yaml, load_asn
    from asnfp.reading import ASN_BYTES, read_bounded
    from asnfp.tools.validate import Invalid, check, check_strict, read_checked

    def read_and_check(path: Path) -> object:
        return check(read_bounded(path, ASN_BYTES, what="association file"))

    with tempfile.TemporaryDirectory(prefix="bench-serialize-") as tmp:
        folder = opts.files
        if folder is None:
            folder = Path(tmp) / "out"
            generate(opts.pool, folder)
        paths = sorted(folder.glob("*_asn.json"))
        if not paths:
            raise SystemExit(f"no *_asn.json files in {folder}")
        data = [p.read_bytes() for p in paths]
        total_bytes = sum(map(len, data))

        # Correctness first: every file validates, and asnfp encodes it to the same bytes.
        results = [check_strict(raw) for raw in data]
        bad = [(p, r) for p, r in zip(paths, results, strict=True) if isinstance(r, Invalid)]
        if bad:
            raise SystemExit(f"{len(bad)} file(s) do not validate, e.g. {bad[0][0]}: {bad[0][1]}")
        structs = generated_structs(opts.pool)
        missing = [p.name for p in paths if p.name not in structs]
        if missing or len(structs) != len(paths):
            print(f"the files differ from what asnfp makes of {opts.pool}: {len(paths)} files, "
                  f"{len(structs)} made, e.g. {missing[:1]}", file=sys.stderr)
            return 1
        objects = [structs[p.name] for p in paths]
        differ = [p.name for p, obj, raw in zip(paths, objects, data, strict=True) if dumps_json(obj) != raw]
        if differ:
            print(f"encode: {len(differ)}/{len(paths)} file(s) not byte-identical, e.g. {differ[0]}",
                  file=sys.stderr)
            return 1
        same, not_same = round_trip(data)

        print(f"# {platform.machine()} cpus={os.cpu_count()} python={platform.python_version()} "
              f"asnfp={__version__} msgspec={msgspec.__version__} repeat={opts.repeat}")
        print(f"# {len(paths)} files from {folder if opts.files else opts.pool.name}, "
              f"{total_bytes / len(paths):,.0f} bytes each on average (largest {max(map(len, data)):,})")
        reps, least = opts.repeat, opts.min_seconds

        rows = [
            timed("asnfp decode+validate (check = validate)", check, data, reps, least),
            timed("asnfp strict (check_strict = --strict)", check_strict, data, reps, least),
            timed("asnfp typed decode (io.decode_json)", decode_json, data, reps, least),
            timed("asnfp untyped JSON parse (msgspec)", msgspec.json.decode, data, reps, least),
            timed("asnfp encode (io.dumps_json)", dumps_json, objects, reps, least),
            timed("asnfp disk: read+decode+validate (= validate)", read_and_check, paths, reps, least),
            timed("asnfp disk: io.load_asn", load_asn, paths, reps, least),
            timed("asnfp disk: read+typed decode (read_checked)", read_checked, paths, reps, least),
        ]
        if opts.yaml_repeat:
            yaml_data = [dumps_yaml(obj) for obj in objects]
            rows.append(timed("asnfp YAML decode+validate (check)", check, yaml_data, opts.yaml_repeat, 0))
            rows.append(timed("asnfp YAML strict (check_strict)", lambda raw: check_strict(raw, is_yaml=True),
                              yaml_data, opts.yaml_repeat, 0))

        python = os.environ.get("ASNFP_REFERENCE", "")
        reference: dict[str, Any] | None = None
        ref_rows: list[Row] = []
        subset_rows: list[Row] = []
        if python:
            ref_paths = spread(paths, opts.reference_files)
            reference = run_reference(python, ref_paths, opts.reference_repeat)
            for mode, label in REFERENCE_MODES.items():
                ref_rows.append(Row(label, reference["files"], reference["seconds"][mode]))
            ref_data = [p.read_bytes() for p in ref_paths]
            subset_rows = [
                timed(f"asnfp decode+validate, those {len(ref_paths)} files", check, ref_data, reps, least),
                timed(f"asnfp disk: read+decode+validate, {len(ref_paths)}", read_and_check, ref_paths,
                      reps, least),
            ]

    print(f"{'operation':<44} {'files':>6} {'seconds':>10} {'files/s':>12}")
    for row in rows + subset_rows + ref_rows:
        print(fmt_row(row))
    print(f"encode: {len(paths)}/{len(paths)} files byte-identical to the files written")
    print(f"decode->encode round trip (Level2File/Level3File by asn_type): {same}/{len(paths)} "
          f"byte-identical" + (f"; differs e.g. {paths[not_same[0]].name}" if not_same else ""))
    headline, disk = rows[0], rows[5]
    figures: dict[str, Any] = {"target_files_per_second": TARGET}
    for label, row in (("in memory", headline), ("from disk", disk)):
        met = row.rate >= TARGET
        figures[f"target_met_{label.replace(' ', '_')}"] = met
        print(f"target {TARGET:,.0f} files/s decode+validate {label}: "
              f"{'met' if met else 'NOT met'} ({row.rate:,.0f} files/s)")
    if reference is None:
        print("reference: not run (set ASNFP_REFERENCE to a Python with jwst 3.0.0)")
    else:
        n = reference["files"]
        print(f"reference: jwst {reference['jwst']} via {python}; {n} of {len(paths)} files timed "
              f"(spread over the sorted names, {sum(len(d) for d in ref_data) / n:,.0f} bytes each "
              f"on average), {opts.reference_repeat} passes, per-file rate from those")
        loaded = reference["loaded"]
        if any(count != n for count in loaded.values()):
            print(f"reference: WARNING not every file loaded with products: {loaded}")
        pairs = (("in memory", subset_rows[0], ref_rows[1]),
                 ("in memory, registry once", subset_rows[0], ref_rows[2]),
                 ("from disk", subset_rows[1], ref_rows[0]))
        figures["ratios"] = {}
        for label, mine, theirs in pairs:
            ratio = mine.rate / theirs.rate
            figures["ratios"][label] = ratio
            print(f"ratio asnfp/reference decode+validate {label}: {ratio:,.0f}x "
                  f"({mine.rate:,.0f} vs {theirs.rate:,.0f} files/s, same {n} files)")
    if opts.json:
        opts.json.write_text(json.dumps({
            "machine": {"machine": platform.machine(), "cpus": os.cpu_count(),
                        "platform": platform.platform(), "python": platform.python_version()},
            "asnfp": __version__, "msgspec": msgspec.__version__, "files": len(paths),
            "bytes": total_bytes, "repeat": opts.repeat, "encode_identical": len(paths),
            "round_trip_identical": same,
            "round_trip_differ": [paths[i].name for i in not_same],
            "rows": [row.summary() for row in rows + subset_rows],
            "reference": None if reference is None else {
                "python": python, "jwst": reference["jwst"], "files": reference["files"],
                "loaded": reference["loaded"], "repeat": opts.reference_repeat,
                "rows": [row.summary() for row in ref_rows]},
            "summary": figures,
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
