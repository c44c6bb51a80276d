"""Reading pools: the direct reader of plain ``|`` tables agrees with astropy's guessing
reader (what the reference uses) on every table it accepts."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from asnfp.errors import PoolError
from asnfp.pool import read_pool

POOLS = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "pools"
NAMES = sorted(p.name for p in POOLS.glob("*.csv"))

names = st.sampled_from(["filename", "exp_type", "a", "B", "col_1", "x2", "Program"])
cells = st.sampled_from(["", " ", "null", "x", "X y", "--", "007", "1.5", "[('o001', 'observation')]",
                         "a#b", "#c", " padded ", "n/a", "-", "==", "f"])


def _same(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pool.csv"
        path.write_text(text)
        results = []
        for fast in (True, False):
            try:
                pool = read_pool(path, fast=fast)
                results.append((pool.columns, [dict(r) for r in pool.rows], pool.meta.comments))
            except PoolError:
                results.append("error")
    direct, reference = results
    assert direct == reference or (direct != "error" and reference == "error")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(names, min_size=2, max_size=4, unique_by=str.lower), st.data(),
       st.lists(st.sampled_from(["# note", "#", "  # indented", ""]), max_size=3))
@example(["a", "b"], None, [])
def test_the_direct_reader_agrees_with_astropy(header, data, comments):
    rows = [] if data is None else data.draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)),
                                                      max_size=4))
    text = "\n".join([*comments, "|".join(header), *("|".join(r) for r in rows)]) + "\n"
    _same(text)


@pytest.mark.skipif(not NAMES, reason="../shared/conformance is absent")
@pytest.mark.parametrize("name", NAMES)
def test_every_real_pool_reads_the_same_both_ways(name):
    _same((POOLS / name).read_text())


@pytest.mark.skipif(not NAMES, reason="../shared/conformance is absent")
@settings(max_examples=40, deadline=None)
@given(st.sampled_from(NAMES or ["none"]), st.data())
def test_the_direct_orphan_writer_agrees_with_astropy(name, data):
    from asnfp.pool import orphan_table

    pool = read_pool(POOLS / name)
    taken = set(data.draw(st.lists(st.integers(0, max(len(pool.rows) - 1, 0)), max_size=len(pool.rows))))
    assert orphan_table(pool, taken) == orphan_table(pool, taken, fast=False)
