"""Hypothesis strategies for rows, pools, constraint trees and JWST-like imaging pools.

Public, for users who property-test their own rules. Every strategy shrinks towards
the simplest value first (``null`` cells, short pools, single leaves).

>>> from hypothesis import given, settings
>>> @settings(max_examples=5)
... @given(rows())
... def check(row):
...     assert set(row) == set(COLUMNS)
>>> check()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from asnfp.constraints import (
    AttrLeaf,
    Constraint,
    all_of,
    any_of,
    attr,
    not_all,
    not_any,
)
from asnfp.row import PoolMeta, Row

__all__ = (
    "COLUMNS",
    "VALUES",
    "cells",
    "rows",
    "pools",
    "attr_leaves",
    "constraint_trees",
    "imaging_rows",
    "imaging_pools",
    "subpools",
)

COLUMNS: tuple[str, ...] = ("a", "b", "c", "d")
VALUES: tuple[str, ...] = ("null", "x", "y", "xy", "t", "f")
_PATTERNS: tuple[str | None, ...] = (None, "x", "y", "x|y", "xy", "x.*", "t")


def cells(values: Sequence[str] = VALUES) -> st.SearchStrategy[str]:
    """A cell value, ``null`` first (the simplest).

    >>> from hypothesis import find, settings
    >>> once = settings(database=None)  # no example database: the simplest value, every run
    >>> find(cells(), lambda v: True, settings=once), find(cells(("a", "b")), lambda v: v != "a", settings=once)
    ('null', 'b')
    """
    return st.sampled_from(tuple(values))


@st.composite
def rows(draw: Any, *, columns: Sequence[str] = COLUMNS, values: Sequence[str] = VALUES,
         index: int = 0) -> Row:
    """A row with every column of ``columns``.

    >>> from hypothesis import find, settings
    >>> find(rows(columns=("a", "b"), index=2), lambda r: r["b"] == "x", settings=settings(database=None))
    Row(2, {'a': 'null', 'b': 'x'})
    """
    return Row(index, {c: draw(cells(values)) for c in columns})


@st.composite
def pools(draw: Any, *, columns: Sequence[str] = COLUMNS, values: Sequence[str] = VALUES,
          min_rows: int = 0, max_rows: int = 12) -> tuple[Row, ...]:
    """A tuple of rows, indexed 0, 1, ... in order.

    >>> from hypothesis import find, settings
    >>> find(pools(columns=("a",)), lambda p: len(p) >= 2, settings=settings(database=None))
    (Row(0, {'a': 'null'}), Row(1, {'a': 'null'}))
    """
    dicts = draw(st.lists(st.fixed_dictionaries({c: cells(values) for c in columns}),
                          min_size=min_rows, max_size=max_rows))
    return tuple(Row(i, d) for i, d in enumerate(dicts))


@st.composite
def attr_leaves(draw: Any, *, columns: Sequence[str] = COLUMNS) -> AttrLeaf:
    """A fresh attribute leaf over ``columns`` with drawn options (never dynamic).

    >>> from hypothesis import find, settings
    >>> once = settings(database=None)  # no example database: the simplest value, every run
    >>> leaf = find(attr_leaves(columns=("a", "b")), lambda leaf: len(leaf.initial.sources) == 2, settings=once)
    >>> sorted(leaf.initial.sources), sorted(leaf.invalid), find(attr_leaves(columns=("a",)), lambda leaf: True, settings=once)
    (['a', 'b'], ['f', 'null'], attr(-: a; keep; opt))
    """
    sources = draw(st.lists(st.sampled_from(tuple(columns)), min_size=1, max_size=2, unique=True))
    return attr(
        draw(st.sampled_from((None, "n1", "n2"))),
        tuple(sources),
        draw(st.sampled_from(_PATTERNS)),
        pins=draw(st.booleans()),
        required=draw(st.booleans()),
        force_undefined=draw(st.sampled_from((False, False, True))),
        invalid=frozenset({"null", "f"}),
    )


def constraint_trees(*, columns: Sequence[str] = COLUMNS, max_leaves: int = 8) -> st.SearchStrategy[Constraint]:
    """A constraint tree of fresh leaves under all/any/notany/notall nodes.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(constraint_trees(), rows())
    ... def check(tree, row):  # not_any is exactly the negation of any_of
    ...     assert not_any(tree)(NO_BINDINGS, row).matched != any_of(tree)(NO_BINDINGS, row).matched
    >>> check()
    """
    combinators = st.sampled_from((all_of, any_of, not_any, not_all))

    def extend(children: st.SearchStrategy[Constraint]) -> st.SearchStrategy[Constraint]:
        return st.tuples(combinators, st.lists(children, max_size=3)).map(lambda t: t[0](*t[1]))

    return st.recursive(attr_leaves(columns=columns), extend, max_leaves=max_leaves)


_IMAGING = {
    "nircam": (("nrca1", "nrca2", "nrcalong"), ("f150w", "f200w", "f444w"), ("clear", "f162m"),
               "nrc_image"),
    "miri": (("mirimage",), ("f560w", "f770w"), ("null",), "mir_image"),
}


@st.composite
def imaging_rows(draw: Any, *, index: int = 0, program: str = "99009",
                 candidates: Sequence[str] = ("o001", "o002")) -> Row:
    """A NIRCam or MIRI imaging exposure as a pool row, with a few special cases
    (backgrounds, TSO, acquisitions, sub-arrays, exposure errors) drawn rarely.

    >>> from hypothesis import find, settings
    >>> row = find(imaging_rows(index=3), lambda r: r["instrume"] == "miri", settings=settings(database=None))
    >>> row["filename"].split("_")[2], row["exp_type"], row.meta.name
    ('00003', 'mir_image', 'hypothesis_pool.csv')
    """
    instrument = draw(st.sampled_from(tuple(_IMAGING)))
    detectors, filters, pupils, exp_type = _IMAGING[instrument]
    obs = draw(st.sampled_from(tuple(candidates)))
    acquisition = draw(st.sampled_from((False, False, False, True)))
    detector = draw(st.sampled_from(detectors))
    cells_ = {
        "filename": f"jw{program}{obs[1:]}001_02101_{index:05d}_{detector}_uncal.fits",
        "program": program,
        "obs_num": str(int(obs[1:])),
        "exp_type": "nrc_tacq" if acquisition and instrument == "nircam" else exp_type,
        "instrume": instrument,
        "detector": detector,
        "targetid": draw(st.sampled_from(("1", "2"))),
        "pntgtype": "target_acquisition" if acquisition else "science",
        "filter": draw(st.sampled_from(filters)),
        "pupil": draw(st.sampled_from(pupils)),
        "subarray": draw(st.sampled_from(("full", "full", "sub64"))),
        "visitype": "prime_targeted_fixed",
        "bkgdtarg": draw(st.sampled_from(("f", "f", "f", "t"))),
        "tsovisit": draw(st.sampled_from(("f", "f", "f", "t"))),
        "exposerr": draw(st.sampled_from(("null", "null", "null", "bad"))),
        "asn_candidate": f"[('{obs}', 'observation')]",
    }
    return Row(index, cells_, PoolMeta("hypothesis_pool.csv"))


def _reindexed(drawn: list[Row]) -> tuple[Row, ...]:
    out = []
    for i, row in enumerate(drawn):
        cells_ = dict(row.cells)
        head, _, tail = cells_["filename"].partition("_02101_")
        cells_["filename"] = f"{head}_02101_{i:05d}_{tail.split('_', 1)[1]}"
        out.append(Row(i, cells_, row.meta))
    return tuple(out)


def imaging_pools(*, min_rows: int = 1, max_rows: int = 10) -> st.SearchStrategy[tuple[Row, ...]]:
    """A pool of imaging rows (see :func:`imaging_rows`), indexed and named in order.

    >>> from hypothesis import find, settings
    >>> pool = find(imaging_pools(), lambda p: len(p) >= 3, settings=settings(database=None))
    >>> [r.index for r in pool], [r["filename"].split("_")[2] for r in pool]
    ([0, 1, 2], ['00000', '00001', '00002'])
    """
    return st.lists(imaging_rows(), min_size=min_rows, max_size=max_rows).map(_reindexed)


from asnfp.constraints import NO_BINDINGS  # noqa: E402,F401  (doctest namespace)


def subpools(rows: Sequence[Row], *, min_rows: int = 1, max_rows: int = 30) -> st.SearchStrategy[tuple[Row, ...]]:
    """Sub-pools of a real pool: some of its rows, in pool order, re-indexed from 0.
    Shrinks towards fewer and earlier rows.

    >>> from hypothesis import find, settings
    >>> pool = tuple(Row(i, {"n": str(i)}) for i in range(5))
    >>> [dict(r) for r in find(subpools(pool, min_rows=2), lambda p: True, settings=settings(database=None))]
    [{'n': '0'}, {'n': '1'}]
    """
    indexes = st.lists(st.integers(0, len(rows) - 1), unique=True, min_size=min_rows,
                       max_size=min(max_rows, len(rows)))
    return indexes.map(sorted).map(
        lambda picked: tuple(Row(i, rows[j].cells, rows[j].meta) for i, j in enumerate(picked)))
