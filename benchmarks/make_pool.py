#!/usr/bin/env python3
"""Write a realistic, single-program association pool of about N rows, for benchmarks.

usage: make_pool.py N [--kind nircam|multi] [-o FILE] [--seed S] [--program P]

The pool has the format of the public conformance pools: ``#`` comment lines, one
``|``-separated header line, then one row per exposure (per detector), every value
lower-case, ``null`` for no value, ``t``/``f`` flags and candidates such as
``[('o001', 'observation'), ('c1000', 'mosaic')]``. The columns are every column of the
public pools (and ``dms_note``).

Kinds:

- ``nircam``: a NIRCam imaging mosaic. Observations of several visits (mosaic tiles),
  each visit one activity per filter pair (a short-wavelength filter on NRCA1-4 and
  NRCB1-4 with a long-wavelength filter on NRCALONG and NRCBLONG) with 3 to 6 dithers,
  10 rows per dither. Two consecutive observations with the same filters share a
  ``mosaic`` candidate (``c1000``, ``c1001``, ...).
- ``multi``: the same program with its modes mixed, in a repeating cycle of
  observations: NIRCam imaging (as above, without mosaic candidates), MIRI imaging and
  its dedicated background observation (``bkgdtarg`` t, sharing a ``background``
  candidate), NIRSpec MSA spectroscopy (an MSA target acquisition, 3-shutter nods and an
  imprint exposure per grating), NIRSpec fixed-slit spectroscopy (a WATA, then 3-point
  nods on S200A1), NIRISS WFSS (direct images around each grism sequence) and a NIRISS
  SOSS time series (with its target acquisition). The cycle repeats until N rows; the
  NIRCam observations also get more visits with N, so that 100k rows stay under 999
  observations. Each observation keeps its size, but discovery mixes them: in the
  discovery run every NIRISS direct image joins every WFSS association of its mode
  (the reference's rule; finalization keeps the closest), so that work grows with the
  square of the number of WFSS observations.

The size is reached by adding observations (and, for the NIRCam mosaics, visits)
until there are at least N rows less a few percent; the result is within a few percent
of N (a tiny N gives at least one observation). Everything drawn at random comes from
``random.Random(seed)``, so a seed and a size always give the same text. Only the
standard library is used.

As a module: ``make_pool(n_rows, kind="nircam", seed=0) -> str`` returns the text and
``write_pool(path, n_rows, kind, seed)`` writes it (returning the number of rows).
"""
from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ("COLUMNS", "KINDS", "count_rows", "make_pool", "make_rows", "write_pool")

#: The columns, in order: those of a DMS pool (jw87800_20180412T163456_pool.csv), then
#: the other columns found in the public pools, then ``dms_note``.
COLUMNS = (
    "filename", "obs_id", "program", "obs_num", "visit", "visit_id", "visitgrp", "visitype",
    "seq_id", "act_id", "exposure", "exp_type", "nexposur", "expcount", "instrume",
    "detector", "channel", "targetid", "targprop", "targname", "targtype", "template",
    "pntgtype", "pntg_seq", "targordn", "expspcin", "dithptin", "mostilno", "module",
    "filter", "pupil", "ditherid", "patttype", "pattstrt", "numdthpt", "pattsize",
    "subpxpns", "patt_num", "subpxnum", "subpixel", "apername", "sdp_ver", "subarray",
    "grating", "fxd_slit", "band", "gwa_xtil", "gwa_ytil", "asn_candidate", "exposerr",
    "is_psf", "is_imprt", "bkgdtarg", "tsovisit",
    "msastate", "msametfl", "opmode", "lamp", "subpxpts", "wfsvisit", "spat_num", "spec_num",
    "dms_note",
)

KINDS = ("nircam", "multi")

NRC_SW = ("nrca1", "nrca2", "nrca3", "nrca4", "nrcb1", "nrcb2", "nrcb3", "nrcb4")
NRC_LW = ("nrcalong", "nrcblong")
NRC_PAIRS = (("f090w", "f277w"), ("f115w", "f356w"), ("f150w", "f444w"),
             ("f200w", "f410m"), ("f182m", "f335m"), ("f210m", "f360m"))
NRC_ROWS_PER_DITHER = len(NRC_SW) + len(NRC_LW)
MIRI_FILTERS = ("f560w", "f770w", "f1000w", "f1280w", "f1500w", "f1800w", "f2100w")
NRS_MSA_SETUPS = (("g140m", "f100lp", "0.3597", "0.1325"), ("g235m", "f170lp", "0.3198", "0.1395"),
                  ("g395m", "f290lp", "0.2866", "0.1786"), ("prism", "clear", "0.4417", "0.1117"))
NIS_FILTERS = ("f115w", "f150w", "f200w")

Row = dict[str, str]


class Program:
    """What every row of the pool shares, and the running numbers of one pool."""

    def __init__(self, number: int, rng: random.Random) -> None:
        self.number = number
        self.rng = rng
        self.c_candidates = 0  # c-candidates used so far (c1000, c1001, ...)

    def candidate(self, kind: str) -> tuple[tuple[str, str]]:
        """A new c-candidate of KIND (mosaic, background), for the rows of 2+ observations."""
        self.c_candidates += 1
        return ((f"c{999 + self.c_candidates}", kind),)

    def row(self, *, obs: int, visit: int, visitgrp: int, act: int, exposure: int,
            detector: str, file_detector: str | None = None, seq: int = 1,
            candidates: tuple[tuple[str, str], ...] = (), **values: str) -> Row:
        """One row: the identifiers (filename, obs_id, ...) made consistent, the
        observation candidate first, then CANDIDATES, every other column ``null`` unless
        given in VALUES."""
        p = self.number
        stem = f"jw{p:05d}{obs:03d}{visit:03d}_{visitgrp:02d}{seq:1d}{act:02d}_{exposure:05d}"
        row = dict.fromkeys(COLUMNS, "null")
        row.update(
            filename=f"{stem}_{file_detector or detector}_uncal.fits",
            obs_id=f"v{p:05d}{obs:03d}{visit:03d}p{0:08d}{visitgrp:02d}{seq:1d}{act:02d}",
            program=f"{p:05d}", obs_num=str(obs), visit=str(visit),
            visit_id=f"{p:05d}{obs:03d}{visit:03d}", visitgrp=str(visitgrp),
            visitype="prime_targeted_fixed", seq_id=str(seq), act_id=f"{act:02d}",
            exposure=str(exposure), detector=detector, targtype="fixed",
            pntgtype="science", sdp_ver="2025_3", subarray="full", targordn="1",
            asn_candidate=candidate_text(obs, candidates), exposerr="null",
            is_psf="f", is_imprt="f", bkgdtarg="f", tsovisit="f",
        )
        row.update(values)
        return row


def candidate_text(obs: int, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """The asn_candidate cell: ``[('o001', 'observation'), ('c1000', 'mosaic')]``."""
    items = [f"('o{obs:03d}', 'observation')", *(f"('{c}', '{kind}')" for c, kind in extra)]
    return "[" + ", ".join(items) + "]"


# --------------------------------------------------------------------------- modes
def nircam_imaging(prog: Program, obs: int, visits: int, *, pairs: tuple[tuple[str, str], ...],
                   dithers: int, target: int, mosaic: tuple[tuple[str, str], ...] = ()) -> list[Row]:
    """A NIRCam imaging mosaic observation: VISITS tiles, one activity per filter pair."""
    rows = []
    for visit in range(1, visits + 1):
        for act, (sw, lw) in enumerate(pairs, 1):
            for exp in range(1, dithers + 1):
                for det in NRC_SW + NRC_LW:
                    long = det in NRC_LW
                    rows.append(prog.row(
                        obs=obs, visit=visit, visitgrp=2, act=act, exposure=exp, detector=det,
                        candidates=mosaic, exp_type="nrc_image", instrume="nircam",
                        channel="long" if long else "short", module=det[3],
                        filter=lw if long else sw, pupil="clear",
                        targetid=str(target), targprop=f"field-{target}",
                        targname=f"deep-field-{target}", template="nircam imaging",
                        nexposur=str(dithers * len(pairs)),
                        expcount=str((act - 1) * dithers + exp), pntg_seq=str(exp),
                        expspcin=str(act), dithptin=str(exp), mostilno=str(visit),
                        ditherid="1", patttype="intramodulex", pattstrt="1",
                        numdthpt=str(dithers), pattsize="medium", subpxpns="1",
                        subpxpts="1", patt_num=str(exp), subpxnum="1", subpixel="1",
                        apername="nrcall_full", opmode="null"))
    return rows


def miri_imaging(prog: Program, obs: int, visits: int, *, filters: tuple[str, ...],
                 dithers: int, target: int, background: bool = False,
                 candidates: tuple[tuple[str, str], ...] = ()) -> list[Row]:
    """A MIRI imaging observation: per visit one activity per filter, DITHERS each; with
    BACKGROUND, a dedicated background observation (``bkgdtarg`` t)."""
    rows = []
    name = f"background-{target}" if background else f"deep-field-{target}"
    for visit in range(1, visits + 1):
        for act, flt in enumerate(filters, 1):
            for exp in range(1, dithers + 1):
                rows.append(prog.row(
                    obs=obs, visit=visit, visitgrp=3, act=act, exposure=exp, detector="mirimage",
                    candidates=candidates, exp_type="mir_image", instrume="miri", filter=flt,
                    targetid=str(target), targprop=name, targname=name, template="miri imaging",
                    bkgdtarg="t" if background else "f",
                    nexposur=str(dithers * len(filters)), expcount=str((act - 1) * dithers + exp),
                    pntg_seq=str(exp), expspcin=str(act), dithptin=str(exp), mostilno=str(visit),
                    ditherid="1", patttype="4-point-sets", pattstrt="1", numdthpt=str(dithers),
                    pattsize="medium", subpxpns="1", subpxpts="1", patt_num=str(exp),
                    subpxnum="1", subpixel="1", apername="mirim_full"))
    return rows


def nirspec_msa(prog: Program, obs: int, *, setups: tuple[tuple[str, str, str, str], ...],
                target: int) -> list[Row]:
    """A NIRSpec MOS observation: an MSA target acquisition, then per grating an activity
    of 3-shutter slitlet nods and one of an imprint (leakcal) exposure, on NRS1 and NRS2."""
    common = {"instrume": "nirspec", "targetid": str(target), "targprop": f"mos-field-{target}",
              "targname": f"mos-field-{target}", "template": "nirspec multiobject spectroscopy"}
    rows = [prog.row(obs=obs, visit=1, visitgrp=2, act=1, exposure=1, detector="nrs1",
                     exp_type="nrs_msata", pntgtype="target_acquisition", filter="f140x",
                     grating="mirror", apername="nrs_full_msa", nexposur="1", expcount="1",
                     pntg_seq="1", expspcin="1", dithptin="1", mostilno="1",
                     msastate="primarypark_configured", **common)]
    msa_file = f"jw{prog.number:05d}{obs:03d}001_01_msa.fits"
    count = 0
    for i, (grating, flt, xtil, ytil) in enumerate(setups):
        for imprint, act, n in (("f", 2 * i + 1, 3), ("t", 2 * i + 2, 1)):
            for exp in range(1, n + 1):
                count += 1
                for det in ("nrs1", "nrs2"):
                    rows.append(prog.row(
                        obs=obs, visit=1, visitgrp=3, act=act, exposure=exp, detector=det,
                        exp_type="nrs_msaspec", filter=flt, grating=grating, gwa_xtil=xtil,
                        gwa_ytil=ytil, nexposur=str(4 * len(setups)), expcount=str(count),
                        pntg_seq=str(count), expspcin=str(act), dithptin="1", mostilno="1",
                        patttype="3-shutter-slitlet" if imprint == "f" else "none",
                        pattstrt="1", numdthpt=str(n), patt_num=str(exp), subpxpns="1",
                        subpxpts="1", subpxnum="1", apername="nrs_full_msa", is_imprt=imprint,
                        msastate="primarypark_configured" if imprint == "f" else "primarypark_allclosed",
                        msametfl=msa_file, **common))
    return rows


def nirspec_fs(prog: Program, obs: int, *, target: int) -> list[Row]:
    """A NIRSpec fixed-slit observation: a WATA, then G395H/F290LP on S200A1 with a
    3-point nod, on NRS1 and NRS2."""
    common = {"instrume": "nirspec", "targetid": str(target), "targprop": f"star-{target}",
              "targname": f"star-{target}", "template": "nirspec fixed-slit spectroscopy"}
    rows = [prog.row(obs=obs, visit=1, visitgrp=2, act=1, exposure=1, detector="nrs1",
                     exp_type="nrs_wata", pntgtype="target_acquisition", filter="clear",
                     grating="mirror", subarray="sub2048", apername="nrs_s1600a1_slit",
                     nexposur="1", expcount="1", pntg_seq="1", expspcin="1", dithptin="1",
                     mostilno="1", **common)]
    for exp in range(1, 4):
        for det in ("nrs1", "nrs2"):
            rows.append(prog.row(
                obs=obs, visit=1, visitgrp=3, act=1, exposure=exp, detector=det,
                exp_type="nrs_fixedslit", filter="f290lp", grating="g395h", fxd_slit="s200a1",
                subarray="subs200a1", gwa_xtil="0.2866", gwa_ytil="0.1786", nexposur="3",
                expcount=str(exp), pntg_seq=str(exp), expspcin="1", dithptin="1", mostilno="1",
                patttype="3-point-nod", pattstrt="1", numdthpt="3", patt_num=str(exp),
                subpxpns="1", subpxpts="1", subpxnum="1", apername="nrs_s200a1_slit",
                spat_num=str(exp), spec_num="1", **common))
    return rows


def niriss_wfss(prog: Program, obs: int, *, filters: tuple[str, ...], dithers: int,
                target: int) -> list[Row]:
    """A NIRISS WFSS observation: per filter and grism (GR150R, GR150C) a direct image,
    DITHERS grism exposures and a direct image, each its own activity."""
    common = {"instrume": "niriss", "targetid": str(target), "targprop": f"wfss-field-{target}",
              "targname": f"wfss-field-{target}", "template": "niriss wide field slitless spectroscopy",
              "apername": "nis_cen"}
    rows, act, count = [], 0, 0
    total = len(filters) * 2 * (dithers + 2)
    for flt in filters:
        for grism in ("gr150r", "gr150c"):
            for kind, n in (("image", 1), ("wfss", dithers), ("image", 1)):
                act += 1
                for exp in range(1, n + 1):
                    count += 1
                    rows.append(prog.row(
                        obs=obs, visit=1, visitgrp=2, act=act, exposure=exp, detector="nis",
                        exp_type=f"nis_{kind}", filter="clear" if kind == "image" else grism,
                        pupil=flt, nexposur=str(total), expcount=str(count), pntg_seq=str(count),
                        expspcin=str(act), dithptin=str(exp), mostilno="1",
                        patttype="null" if kind == "image" else "wfss-dithers",
                        numdthpt=str(n), patt_num=str(exp), **common))
    return rows


def niriss_soss(prog: Program, obs: int, *, target: int) -> list[Row]:
    """A NIRISS SOSS time series: a target acquisition and one SOSS exposure."""
    common = {"instrume": "niriss", "targetid": str(target), "targprop": f"host-star-{target}",
              "targname": f"host-star-{target}", "template": "niriss single object slitless spectroscopy",
              "tsovisit": "t", "visitype": "prime_targeted_fixed"}
    return [
        prog.row(obs=obs, visit=1, visitgrp=2, act=1, exposure=1, detector="nis",
                 exp_type="nis_tacq", pntgtype="target_acquisition", filter="clear", pupil="f480m",
                 subarray="subtasoss", apername="nis_soss_ta", nexposur="1", expcount="1",
                 pntg_seq="1", expspcin="1", dithptin="1", mostilno="1", **common),
        prog.row(obs=obs, visit=1, visitgrp=3, act=1, exposure=1, detector="nis",
                 exp_type="nis_soss", filter="clear", pupil="gr700xd", subarray="substrip256",
                 apername="nis_substrip256", nexposur="1", expcount="1", pntg_seq="1",
                 expspcin="1", dithptin="1", mostilno="1", **common),
    ]


# --------------------------------------------------------------------------- plans
def _nircam_plan(prog: Program, n_rows: int) -> Iterator[Callable[[int, int], list[Row]]]:
    """NIRCam mosaic observations in pairs sharing filters and a mosaic candidate."""
    rng = prog.rng
    visits = max(1, min(8, round((n_rows / 400) ** 0.5)))  # tiles per observation
    while True:
        pairs = tuple(rng.sample(NRC_PAIRS, rng.choice((1, 2, 2, 3))))
        dithers = rng.choice((3, 4, 4, 6))
        mosaic = prog.candidate("mosaic")
        for _ in range(2):
            yield lambda obs, left, p=pairs, d=dithers, m=mosaic: nircam_imaging(
                prog, obs, _visits_for(left, visits, len(p) * d * NRC_ROWS_PER_DITHER),
                pairs=p, dithers=d, target=1, mosaic=m)


def _multi_plan(prog: Program, n_rows: int) -> Iterator[Callable[[int, int], list[Row]]]:
    """The cycle of modes; the NIRCam mosaics grow with N to keep under 999 observations."""
    rng = prog.rng
    visits = max(1, min(20, round(n_rows / 10000) + 1))
    cycle = 0
    while True:
        cycle += 1
        pairs = tuple(rng.sample(NRC_PAIRS, 2))
        yield lambda obs, left, p=pairs: nircam_imaging(
            prog, obs, _visits_for(left, visits, len(p) * 4 * NRC_ROWS_PER_DITHER),
            pairs=p, dithers=4, target=1)
        filters = tuple(sorted(rng.sample(MIRI_FILTERS, rng.choice((2, 3))), key=MIRI_FILTERS.index))
        bkg = prog.candidate("background")
        yield lambda obs, left, f=filters, c=bkg: miri_imaging(prog, obs, 1, filters=f, dithers=4,
                                                                target=1, candidates=c)
        yield lambda obs, left, f=filters, c=bkg, t=100 + cycle: miri_imaging(
            prog, obs, 1, filters=f, dithers=2, target=t, background=True, candidates=c)
        setups = tuple(rng.sample(NRS_MSA_SETUPS, 2))
        yield lambda obs, left, s=setups: nirspec_msa(prog, obs, setups=s, target=2)
        yield lambda obs, left, t=2 + cycle: nirspec_fs(prog, obs, target=t)
        nis = tuple(sorted(rng.sample(NIS_FILTERS, 2), key=NIS_FILTERS.index))
        yield lambda obs, left, f=nis: niriss_wfss(prog, obs, filters=f, dithers=4, target=1)
        yield lambda obs, left, t=2 + cycle: niriss_soss(prog, obs, target=t)


def _visits_for(left: int, visits: int, rows_per_visit: int) -> int:
    """VISITS, or fewer when fewer rows are LEFT to reach the size (at least one)."""
    return max(1, min(visits, round(left / rows_per_visit)))


PLANS = {"nircam": _nircam_plan, "multi": _multi_plan}


def make_rows(n_rows: int, kind: str = "nircam", seed: int = 0, program: int = 1234) -> list[Row]:
    """The rows of a pool of about N_ROWS rows (see the module docstring)."""
    if kind not in PLANS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if not 1 <= program <= 99999:
        raise ValueError("program must be 1..99999")
    prog = Program(program, random.Random(f"{kind}:{seed}"))
    rows: list[Row] = []
    slack = max(1, n_rows // 50)  # stop within 2% below the size
    obs, skipped = 1, 0
    for make in PLANS[kind](prog, n_rows):
        if obs > 999:
            raise ValueError(f"{n_rows} rows of kind {kind!r} need more than 999 observations")
        left = n_rows - len(rows)
        new = make(obs, left)
        if rows and len(new) - left > left:  # further from the size with it than without
            skipped += 1
            if skipped > 6:  # nothing in a whole cycle fits: stop below the size
                break
            continue
        rows.extend(new)
        obs += 1
        if len(rows) >= n_rows - slack:
            break
    return rows


def make_pool(n_rows: int, kind: str = "nircam", seed: int = 0, program: int = 1234) -> str:
    """The text of a pool of about N_ROWS rows: comments, header, rows."""
    rows = make_rows(n_rows, kind, seed, program)
    observations = len({r["obs_num"] for r in rows})
    modes = sorted({r["exp_type"] for r in rows})
    head = [
        f"# Pool.Generated.{kind}: program {program:05d}, made by benchmarks/make_pool.py",
        "# ",
        f"# kind={kind} seed={seed} requested_rows={n_rows} rows={len(rows)} observations={observations}",
        f"# exp_types: {', '.join(modes)}",
        "# Synthetic, for benchmarks: realistic shape, not real data.",
        "|".join(COLUMNS),
    ]
    body = ("|".join(row[c] for c in COLUMNS) for row in rows)
    return "\n".join([*head, *body]) + "\n"


def write_pool(path: str | Path, n_rows: int, kind: str = "nircam", seed: int = 0,
               program: int = 1234) -> int:
    """Write a pool to PATH; return its number of rows."""
    text = make_pool(n_rows, kind, seed, program)
    Path(path).write_text(text)
    return count_rows(text)


def count_rows(text: str) -> int:
    """The number of rows of a pool's TEXT (lines that are not comments, less the header)."""
    return sum(1 for line in text.splitlines() if line and not line.startswith("#")) - 1


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n_rows", type=int, metavar="N", help="about how many rows")
    ap.add_argument("--kind", choices=KINDS, default="nircam", help="nircam (default) or multi")
    ap.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (0)")
    ap.add_argument("--program", type=int, default=1234, help="program number (1234)")
    opts = ap.parse_args(argv)
    if opts.n_rows < 1:
        ap.error("N must be at least 1")
    try:
        text = make_pool(opts.n_rows, opts.kind, opts.seed, opts.program)
    except ValueError as exc:
        ap.error(str(exc))
    if opts.output:
        Path(opts.output).write_text(text)
        print(f"{opts.output}: {count_rows(text)} rows ({opts.kind}, seed {opts.seed})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
