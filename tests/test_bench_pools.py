"""The benchmark pool generator (benchmarks/make_pool.py): deterministic, about the size
asked for, the public pools' columns, consistent and unique file names, and pools that
the rules mostly associate (image3, and spec3 for the multi-instrument kind)."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest

from asnfp.api import associations, read_pool

REPO = Path(__file__).resolve().parents[1]
POOLS = REPO.parent / "shared" / "conformance" / "pools"
KINDS = ("nircam", "multi")

#: Columns the JWST rules read: a pool without one of them is not a realistic pool.
RULE_COLUMNS = (
    "filename", "program", "obs_num", "obs_id", "visit", "visitype", "act_id", "exposure",
    "exp_type", "pntgtype", "instrume", "detector", "channel", "filter", "pupil", "grating",
    "band", "fxd_slit", "subarray", "targetid", "asn_candidate", "is_psf", "is_imprt",
    "bkgdtarg", "tsovisit", "expspcin", "mostilno", "dithptin", "patttype", "patt_num",
    "numdthpt", "subpxpns", "msametfl", "msastate", "lamp", "opmode", "exposerr", "dms_note",
)
FILENAME = re.compile(
    r"jw(?P<program>\d{5})(?P<obs>\d{3})(?P<visit>\d{3})_(?P<visitgrp>\d{2})(?P<seq>\d)(?P<act>\d{2})"
    r"_(?P<exposure>\d{5})_(?P<detector>[a-z0-9]+)_uncal\.fits")


def _load_make_pool():
    spec = importlib.util.spec_from_file_location("make_pool", REPO / "benchmarks" / "make_pool.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_pool = _load_make_pool()


def parse(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a pool's text."""
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split("|")
    rows = []
    for line in lines[1:]:
        cells = line.split("|")
        assert len(cells) == len(header), line
        rows.append(dict(zip(header, cells, strict=True)))
    return header, rows


@pytest.fixture(scope="module")
def pools() -> dict[str, str]:
    """A 300-row pool of each kind (seed 0)."""
    return {kind: make_pool.make_pool(300, kind, seed=0) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_text_other_seed_other_text(kind: str) -> None:
    first = make_pool.make_pool(400, kind, seed=7)
    assert make_pool.make_pool(400, kind, seed=7) == first
    assert parse(make_pool.make_pool(400, kind, seed=8))[1] != parse(first)[1]  # rows, not only the comment


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_rows", [300, 1000, 10000])
def test_about_the_size_asked_for(kind: str, n_rows: int) -> None:
    _, rows = parse(make_pool.make_pool(n_rows, kind))
    assert 0.8 * n_rows <= len(rows) <= 1.2 * n_rows


def test_command_line_writes_the_pool(tmp_path: Path) -> None:
    out = tmp_path / "pool.csv"
    assert make_pool.main(["300", "--kind", "multi", "--seed", "2", "-o", str(out)]) == 0
    assert out.read_text() == make_pool.make_pool(300, "multi", seed=2)
    assert make_pool.write_pool(tmp_path / "again.csv", 300, "multi", 2) == len(parse(out.read_text())[1])


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_column_and_every_public_pool_column(kind: str, pools: dict[str, str]) -> None:
    text = pools[kind]
    assert text.startswith("# Pool.")
    header, rows = parse(text)
    assert len(set(header)) == len(header)
    assert set(RULE_COLUMNS) <= set(header)
    if POOLS.is_dir():
        public = set()
        for pool in POOLS.glob("*.csv"):
            with open(pool) as fh:
                public.update(next(ln for ln in fh if not ln.startswith("#")).strip().split("|"))
        assert public <= set(header), sorted(public - set(header))
    for row in rows:
        assert all(value and value == value.lower() and value.strip() == value for value in row.values())
        assert row["pntgtype"] in ("science", "target_acquisition")
        assert re.fullmatch(r"\[\('o\d{3}', 'observation'\)(, \('c1\d{3}', '(mosaic|background)'\))*\]",
                            row["asn_candidate"])


@pytest.mark.parametrize("kind", KINDS)
def test_file_names_unique_and_consistent_with_their_row(kind: str, pools: dict[str, str]) -> None:
    _, rows = parse(pools[kind])
    names = [row["filename"] for row in rows]
    assert len(set(names)) == len(names)
    for row in rows:
        m = FILENAME.fullmatch(row["filename"])
        assert m, row["filename"]
        assert m["program"] == row["program"]
        assert int(m["obs"]) == int(row["obs_num"]) and int(m["visit"]) == int(row["visit"])
        assert int(m["visitgrp"]) == int(row["visitgrp"]) and int(m["seq"]) == int(row["seq_id"])
        assert m["act"] == row["act_id"] and int(m["exposure"]) == int(row["exposure"])
        det = row["detector"]
        assert m["detector"] == det
        assert row["obs_id"] == f"v{m['program']}{m['obs']}{m['visit']}p00000000{m['visitgrp']}{m['seq']}{m['act']}"
        assert row["visit_id"] == f"{m['program']}{m['obs']}{m['visit']}"
        assert f"('o{m['obs']}', 'observation')" in row["asn_candidate"]


def test_nircam_pairs_short_and_long_wavelength_detectors(pools: dict[str, str]) -> None:
    _, rows = parse(pools["nircam"])
    exposures: dict[tuple[str, str, str, str], set[str]] = {}
    for row in rows:
        assert row["exp_type"] == "nrc_image" and row["instrume"] == "nircam"
        assert row["channel"] == ("long" if row["detector"].endswith("long") else "short")
        exposures.setdefault((row["obs_num"], row["visit"], row["act_id"], row["exposure"]), set()).add(
            row["detector"])
    ten = {f"nrc{m}{n}" for m in "ab" for n in (1, 2, 3, 4, "long")}
    assert all(detectors == ten for detectors in exposures.values())
    assert any("c1000" in row["asn_candidate"] for row in rows)


def test_multi_mixes_instruments_and_modes(pools: dict[str, str]) -> None:
    _, rows = parse(pools["multi"])
    kinds = Counter(row["exp_type"] for row in rows)
    assert {"nrc_image", "mir_image", "nrs_msaspec", "nrs_fixedslit", "nis_wfss", "nis_image",
            "nis_soss"} <= set(kinds)
    assert {row["instrume"] for row in rows} == {"nircam", "miri", "nirspec", "niriss"}
    assert len({row["program"] for row in rows}) == 1
    assert {"nrs_msata", "nrs_wata", "nis_tacq"} <= set(kinds)
    assert all(row["pntgtype"] == "target_acquisition" for row in rows if row["exp_type"].endswith(("ta", "tacq")))
    assert any(row["bkgdtarg"] == "t" and "'background')" in row["asn_candidate"] for row in rows)
    assert any(row["is_imprt"] == "t" for row in rows)
    assert {row["tsovisit"] for row in rows if row["exp_type"] == "nis_soss"} == {"t"}


@pytest.mark.parametrize("kind", KINDS)
def test_asnfp_associates_the_rows(kind: str, pools: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text(pools[kind])
    asns = associations(read_pool(path))
    taken = {m.expname.rsplit("_", 1)[0] for a in asns for p in a.products for m in p.members}
    _, rows = parse(pools[kind])
    associated = [row for row in rows if row["filename"].rsplit("_", 1)[0] in taken]
    assert len(associated) >= 0.9 * len(rows)
    types = Counter(a.rule.asn_type for a in asns)
    assert types["image2"] and types["image3"]
    if kind == "nircam":  # the mosaic candidate of two observations makes its own image3
        assert any(a.rule.asn_type == "image3" and a.asn_id.startswith("c1") for a in asns)
    else:
        assert types["spec2"] and types["spec3"] and types["tso3"]
