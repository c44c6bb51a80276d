"""Hypothesis strategies and law checks for users who property-test their own rules.

Strategies: generic rows, pools and constraint trees (:func:`rows`, :func:`pools`,
:func:`constraint_trees`), and pools of one JWST instrument mode (:func:`mode_pools`,
one of :data:`MODES`). Every strategy shrinks towards the simplest value first
(``null`` cells, short pools, single leaves, a mode's first set-up, no special rows).

Law checks, for any rule (this module never reads the JWST catalogue: pass the rule):
:func:`rule_associations` runs one rule alone, :func:`assert_members_satisfy` checks
that every association is rebuilt by its own members, and
:func:`assert_unrelated_row_changes_nothing` that a row the rule never takes leaves its
associations as they were. ``docs/testing.md`` shows a whole test.

Rows here are Python values, named as Python names them: by ``Row.index``, their 0-based
position (a message shows ``Row(3, filename='...')``), never as ``row N``, which in
asnfp's errors and in ``asnfp explain`` counts a pool file's rows from 1.

It needs hypothesis, which a plain install of asnfp does not bring: without it, the
import fails with one line that says what to install (``pip install 'asnfp[testing]'``).

>>> from hypothesis import given, settings
>>> @settings(max_examples=5)
... @given(rows())
... def check(row):
...     assert set(row) == set(COLUMNS)
>>> check()
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

try:
    from hypothesis import strategies as st
except ImportError:  # (one line, which says what to install)
    raise ImportError("asnfp.testing needs hypothesis: pip install 'asnfp[testing]'", name="hypothesis") from None

from asnfp.association import Association, is_valid, member_rows, members, offer
from asnfp.constraints import (
    NO_BINDINGS,
    AttrLeaf,
    Bindings,
    Constraint,
    Outcome,
    all_of,
    any_of,
    attr,
    not_all,
    not_any,
)
from asnfp.fold import generate
from asnfp.row import PoolMeta, Row, make_row  # noqa: F401  (make_row: doctests)
from asnfp.rule import Rule, registry

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
    "MODES",
    "MODE_COLUMNS",
    "mode_rows",
    "mode_pools",
    "rule_associations",
    "assert_members_satisfy",
    "is_unrelated",
    "assert_unrelated_row_changes_nothing",
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
def rows(draw: st.DrawFn, *, columns: Sequence[str] = COLUMNS, values: Sequence[str] = VALUES,
         index: int = 0) -> Row:
    """A row with every column of ``columns``.

    >>> from hypothesis import find, settings
    >>> find(rows(columns=("a", "b"), index=2), lambda r: r["b"] == "x", settings=settings(database=None))
    Row(2, {'a': 'null', 'b': 'x'})
    """
    return Row(index, {c: draw(cells(values)) for c in columns})


@st.composite
def pools(draw: st.DrawFn, *, columns: Sequence[str] = COLUMNS, values: Sequence[str] = VALUES,
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
def attr_leaves(draw: st.DrawFn, *, columns: Sequence[str] = COLUMNS) -> AttrLeaf:
    """A fresh attribute leaf over ``columns`` with drawn options (never dynamic).

    >>> from hypothesis import find, settings
    >>> once = settings(database=None)  # no example database: the simplest value, every run
    >>> leaf = find(attr_leaves(columns=("a", "b")), lambda leaf: len(leaf.initial.sources) == 2, settings=once)
    >>> sorted(leaf.initial.sources), sorted(leaf.invalid)
    (['a', 'b'], ['f', 'null'])
    >>> find(attr_leaves(columns=("a",)), lambda leaf: True, settings=once)
    attr(-: a; keep; opt)
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


#: The optical columns of a set-up, in the order the mode tables list them.
_OPTICS: tuple[str, ...] = ("detector", "channel", "filter", "pupil", "grating", "fxd_slit", "band",
                            "subarray")

#: The special-exposure columns a mode may set, with their "off" and "on" values.
_FLAGS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {"bkgdtarg": ("f", "t"), "is_psf": ("null", "t"), "is_imprt": ("f", "t"), "tsovisit": ("f", "t")})

#: The columns of every row that :func:`mode_rows` draws, whatever its mode.
MODE_COLUMNS: tuple[str, ...] = (
    "filename", "program", "obs_num", "visitype", "exp_type", "instrume", "pntgtype", "targetid",
    *_OPTICS, *_FLAGS, "msametfl", "patttype", "numdthpt", "patt_num", "subpxpts", "expspcin", "mostilno",
    "exposerr", "asn_candidate",
)


def _setup(detector: str, filter_: str, *, channel: str = "null", pupil: str = "null", grating: str = "null",
           fxd_slit: str = "null", band: str = "null", subarray: str = "full") -> tuple[str, ...]:
    """One optical set-up: the values of :data:`_OPTICS`, ``null`` where a mode has none."""
    return (detector, channel, filter_, pupil, grating, fxd_slit, band, subarray)


class _Mode(NamedTuple):
    """An instrument mode as a table: its science exposure type, its optical set-ups
    (simplest first), the exposure types and set-up of its target acquisitions, the
    special columns it may set, its dither or nod patterns ``(patttype, points)``, and
    whether its visits may be time series."""

    instrument: str
    exp_type: str
    setups: tuple[tuple[str, ...], ...]
    acquisitions: tuple[str, ...]
    acquisition_setup: tuple[str, ...]
    flags: tuple[str, ...] = ("bkgdtarg",)
    patterns: tuple[tuple[str, int], ...] = (("none", 1),)
    tso: bool = False


_NRS_TA = _setup("nrs1", "f110w", grating="mirror", subarray="sub32")
_MIRI_TA = _setup("mirimage", "f560w", subarray="sub64")

# Facts from the JWST keyword conventions and the public pools: NIRCam short-wave
# detectors take short-wave filters, NIRSpec slits, gratings and detectors combine as
# the reference's valid-detector tables allow, MIRI MRS detectors serve channel pairs.
_MODES: Mapping[str, _Mode] = MappingProxyType({
    "nircam_image": _Mode(
        "nircam", "nrc_image",
        (_setup("nrca1", "f150w", channel="short", pupil="clear"),
         _setup("nrca2", "f200w", channel="short", pupil="clear"),
         _setup("nrcb1", "f090w", channel="short", pupil="clear"),
         _setup("nrcalong", "f444w", channel="long", pupil="clear"),
         _setup("nrcblong", "f277w", channel="long", pupil="clear"),
         _setup("nrca1", "f150w2", channel="short", pupil="f162m"),
         _setup("nrca1", "f150w", channel="short", pupil="clear", subarray="sub64p")),
        ("nrc_tacq",), _setup("nrca1", "f335m", channel="short", pupil="clear", subarray="sub32"),
        patterns=(("none", 1), ("full", 3), ("intramodule", 4)), tso=True),
    "miri_image": _Mode(
        "miri", "mir_image",
        (_setup("mirimage", "f560w"), _setup("mirimage", "f770w"), _setup("mirimage", "f1800w"),
         _setup("mirimage", "f560w", subarray="sub256")),
        ("mir_tacq",), _MIRI_TA, patterns=(("none", 1), ("cycling", 4)), tso=True),
    "niriss_image": _Mode(
        "niriss", "nis_image",
        (_setup("nis", "clear", pupil="f150w"), _setup("nis", "clear", pupil="f200w"),
         _setup("nis", "f430m", pupil="clearp"), _setup("nis", "f480m", pupil="clearp")),
        ("nis_tacq",), _setup("nis", "f480m", pupil="clearp", subarray="subtasoss"),
        patterns=(("none", 1), ("medium", 4))),
    "nirspec_fixed_slit": _Mode(
        "nirspec", "nrs_fixedslit",
        (_setup("nrs1", "f290lp", grating="g395h", fxd_slit="s200a1", subarray="subs200a1"),
         _setup("nrs2", "f290lp", grating="g395h", fxd_slit="s200a1", subarray="subs200a1"),
         _setup("nrs1", "clear", grating="prism", fxd_slit="s200a1", subarray="subs200a1"),
         _setup("nrs1", "f170lp", grating="g235h", fxd_slit="s200a2", subarray="subs200a2"),
         _setup("nrs1", "f100lp", grating="g140m", fxd_slit="s1600a1", subarray="subs1600a1"),
         _setup("nrs2", "f290lp", grating="g395h", fxd_slit="s200b1", subarray="subs200b1")),
        ("nrs_wata", "nrs_taconfirm"), _NRS_TA,
        patterns=(("none", 1), ("3-point-nod", 3), ("2-point-nod", 2))),
    "nirspec_ifu": _Mode(
        "nirspec", "nrs_ifu",
        (_setup("nrs1", "f290lp", grating="g395h"), _setup("nrs2", "f290lp", grating="g395h"),
         _setup("nrs1", "clear", grating="prism"), _setup("nrs1", "f170lp", grating="g235m"),
         _setup("nrs1", "f100lp", grating="g140h"), _setup("nrs2", "f100lp", grating="g140h")),
        ("nrs_msata", "nrs_wata"), _NRS_TA, flags=("bkgdtarg", "is_imprt"),
        patterns=(("none", 1), ("4-point-dither", 4), ("2-point-nod", 2))),
    "nirspec_msa": _Mode(
        "nirspec", "nrs_msaspec",
        (_setup("nrs1", "f290lp", grating="g395m"), _setup("nrs2", "f290lp", grating="g395m"),
         _setup("nrs1", "clear", grating="prism"), _setup("nrs2", "clear", grating="prism"),
         _setup("nrs1", "f170lp", grating="g235m"), _setup("nrs1", "f100lp", grating="g140m")),
        ("nrs_msata", "nrs_taconfirm"), _NRS_TA, flags=("bkgdtarg", "is_imprt"),
        patterns=(("none", 1), ("3-shutter-slitlet", 3))),
    "miri_mrs": _Mode(
        "miri", "mir_mrs",
        (_setup("mirifushort", "null", channel="12", band="short"),
         _setup("mirifulong", "null", channel="34", band="short"),
         _setup("mirifushort", "null", channel="12", band="medium"),
         _setup("mirifulong", "null", channel="34", band="medium"),
         _setup("mirifushort", "null", channel="12", band="long"),
         _setup("mirifulong", "null", channel="34", band="long")),
        ("mir_tacq",), _MIRI_TA, patterns=(("none", 1), ("4-point", 4), ("2-point", 2))),
    "miri_lrs": _Mode(
        "miri", "mir_lrs-fixedslit",
        (_setup("mirimage", "p750l"),),
        ("mir_tacq", "mir_taconfirm"), _MIRI_TA, patterns=(("none", 1), ("along-slit-nod", 2))),
    "nircam_coron": _Mode(
        "nircam", "nrc_coron",
        (_setup("nrca2", "f210m", channel="short", pupil="maskrnd", subarray="maska210r"),
         _setup("nrcalong", "f430m", channel="long", pupil="maskrnd", subarray="maska430r"),
         _setup("nrcalong", "f335m", channel="long", pupil="maskrnd", subarray="maska335r"),
         _setup("nrcalong", "f444w", channel="long", pupil="maskbar", subarray="masklwb")),
        ("nrc_tacq", "nrc_taconfirm"), _setup("nrca2", "f210m", channel="short", pupil="maskrnd",
                                              subarray="subndsa210r"),
        flags=("bkgdtarg", "is_psf")),
})

#: The instrument modes :func:`mode_rows` and :func:`mode_pools` know, by name.
MODES: tuple[str, ...] = tuple(_MODES)

_RARELY: tuple[bool, ...] = (False, False, False, True)  # off first: shrinks to an ordinary row


def _mode(name: str) -> _Mode:
    if name not in _MODES:
        raise ValueError(f"unknown mode {name!r}; the modes are {', '.join(MODES)}")
    return _MODES[name]


def _flag_cells(draw: st.DrawFn, mode: _Mode) -> dict[str, str]:
    """The special columns: off, or rarely on where the mode has them."""
    drawn = {flag: draw(st.sampled_from(_RARELY)) for flag in mode.flags}
    tso = mode.tso and draw(st.sampled_from(_RARELY))
    cells = {flag: values[int(drawn.get(flag, False))] for flag, values in _FLAGS.items()}
    return {**cells, "tsovisit": _FLAGS["tsovisit"][int(tso)]}


def _pattern_cells(draw: st.DrawFn, mode: _Mode) -> dict[str, str]:
    """The dither or nod pattern, its number of points and this exposure's point."""
    patttype, points = draw(st.sampled_from(mode.patterns))
    return {"patttype": patttype, "numdthpt": str(points), "patt_num": str(draw(st.integers(1, points))),
            "subpxpts": "1"}


@st.composite
def _mode_row(draw: st.DrawFn, mode: _Mode, index: int, program: str, candidates: tuple[str, ...]) -> Row:
    obs = draw(st.sampled_from(candidates))
    acquisition = draw(st.sampled_from(_RARELY))
    acquisition_type, science_setup = draw(st.sampled_from(mode.acquisitions)), draw(st.sampled_from(mode.setups))
    setup = mode.acquisition_setup if acquisition else science_setup  # (drawn either way: shrinks well)
    msa_file = f"jw{program}{obs[1:]}001_01_msa.fits" if mode.exp_type == "nrs_msaspec" else "null"
    cells = {
        "filename": f"jw{program}{obs[1:]}001_02101_{index:05d}_{setup[0]}_uncal.fits",
        "program": program,
        "obs_num": str(int(obs[1:])),
        "visitype": "prime_targeted_fixed",
        "exp_type": acquisition_type if acquisition else mode.exp_type,
        "instrume": mode.instrument,
        "pntgtype": "target_acquisition" if acquisition else "science",
        "targetid": draw(st.sampled_from(("1", "2"))),
        **dict(zip(_OPTICS, setup, strict=True)),
        **_flag_cells(draw, mode),
        "msametfl": msa_file,
        **_pattern_cells(draw, mode),
        "expspcin": draw(st.sampled_from(("1", "1", "2"))),
        "mostilno": draw(st.sampled_from(("1", "1", "2"))),
        "exposerr": draw(st.sampled_from(("null", "null", "null", "bad"))),
        "asn_candidate": f"[('{obs}', 'observation')]",
    }
    return Row(index, cells, PoolMeta("hypothesis_pool.csv"))


def mode_rows(mode: str, *, index: int = 0, program: str = "99009",
              candidates: Sequence[str] = ("o001", "o002")) -> st.SearchStrategy[Row]:
    """An exposure of one instrument ``mode`` (one of :data:`MODES`) as a pool row with
    every column of :data:`MODE_COLUMNS`: a realistic optical set-up of the mode (its
    detector, filter, pupil, grating, slit, band and channel, sub-array), the program,
    an observation of ``candidates`` (its ``asn_candidate``, ``obs_num`` and file name
    ``jw{program}{obs}001_02101_{index:05d}_{detector}_uncal.fits``), a dither or nod
    pattern, and, rarely, the mode's special cases: target acquisitions, backgrounds,
    PSF references (coronagraphy), imprints (NIRSpec IFU and MSA), time series
    (imaging), exposure errors. NIRSpec MSA rows name their MSA file in ``msametfl``.
    Shrinks towards the mode's first set-up, science, and no special case.

    >>> from hypothesis import find, settings
    >>> row = find(mode_rows("nirspec_msa", index=2), lambda r: r["detector"] == "nrs2",
    ...            settings=settings(database=None))
    >>> row["exp_type"], row["grating"], row["filter"], row["msametfl"], row["filename"]
    ('nrs_msaspec', 'g395m', 'f290lp', 'jw99009001001_01_msa.fits', 'jw99009001001_02101_00002_nrs2_uncal.fits')
    >>> mode_rows("nircam_grism")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: unknown mode 'nircam_grism'; the modes are nircam_image, miri_image, ..., nircam_coron
    """
    return _mode_row(_mode(mode), index, program, tuple(candidates))


def mode_pools(mode: str, *, min_rows: int = 1, max_rows: int = 10, program: str = "99009",
               candidates: Sequence[str] = ("o001", "o002")) -> st.SearchStrategy[tuple[Row, ...]]:
    """A pool of rows of one instrument ``mode`` (see :func:`mode_rows`), indexed and
    named in order. For pools of any mode: ``st.sampled_from(MODES).flatmap(mode_pools)``.

    >>> from hypothesis import find, settings
    >>> pool = find(mode_pools("miri_mrs", min_rows=2), lambda p: True, settings=settings(database=None))
    >>> [(r.index, r["exp_type"], r["detector"], r["band"], r["filename"].split("_")[2]) for r in pool]
    [(0, 'mir_mrs', 'mirifushort', 'short', '00000'), (1, 'mir_mrs', 'mirifushort', 'short', '00001')]
    """
    rows_ = mode_rows(mode, program=program, candidates=candidates)
    return st.lists(rows_, min_size=min_rows, max_size=max_rows).map(_reindexed)


#: The columns of :func:`imaging_rows` (those of its first version, kept).
_IMAGING_COLUMNS: tuple[str, ...] = (
    "filename", "program", "obs_num", "exp_type", "instrume", "detector", "targetid", "pntgtype", "filter",
    "pupil", "subarray", "visitype", "bkgdtarg", "tsovisit", "exposerr", "asn_candidate",
)


@st.composite
def imaging_rows(draw: st.DrawFn, *, index: int = 0, program: str = "99009",
                 candidates: Sequence[str] = ("o001", "o002")) -> Row:
    """A NIRCam or MIRI imaging exposure as a pool row, with a few special cases
    (backgrounds, TSO, acquisitions, sub-arrays, exposure errors) drawn rarely: a row of
    :func:`mode_rows` for ``nircam_image`` or ``miri_image``, on the imaging columns only.

    >>> from hypothesis import find, settings
    >>> row = find(imaging_rows(index=3), lambda r: r["instrume"] == "miri", settings=settings(database=None))
    >>> row["filename"].split("_")[2], row["exp_type"], row.meta.name
    ('00003', 'mir_image', 'hypothesis_pool.csv')
    """
    mode = draw(st.sampled_from(("nircam_image", "miri_image")))
    row = draw(mode_rows(mode, index=index, program=program, candidates=candidates))
    return Row(index, {column: row.cells[column] for column in _IMAGING_COLUMNS}, row.meta)


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


# --------------------------------------------------------------------------- law checks


def rule_associations(rule: Rule, rows: Sequence[Row], *, valid_only: bool = False) -> list[Association]:
    """The associations ``rule`` alone makes on ``rows``, in creation order: one fold of
    the generator over the rows as one list (``generate(registry([rule]), rows)``: no
    association candidates, no global candidate leaf), before any finalization. Invalid
    associations (a validity check never passed) are kept, since the laws below are
    about how associations are built, and an association must not escape them by being
    invalid; ``valid_only=True`` keeps only those that would be written.

    >>> from asnfp.rule import Check, replace
    >>> by_a = Rule(name="ByA", asn_type="demo", level=3, constraint=attr("a", "a"))
    >>> rows_ = [make_row(i, {"a": a}) for i, a in enumerate("xyx")]
    >>> [[r.index for r in member_rows(asn)] for asn in rule_associations(by_a, rows_)]
    [[0, 2], [1]]
    >>> needs_two = Check("two", lambda asn, member: len(members(asn)) >= 2)
    >>> len(rule_associations(replace(by_a, validity=(needs_two,)), rows_, valid_only=True))
    1
    """
    made = generate(registry([rule]), rows)
    return [asn for asn in made if is_valid(asn)] if valid_only else made


def _replay(asn: Association) -> Iterator[tuple[Row, Outcome, Association]]:
    """Offer ``asn``'s member rows, in member order, to a fresh association of its rule:
    yield each row, what the constraint made of it, and the association after it;
    stop after the first miss."""
    again = Association(rule=asn.rule, ruleset=asn.ruleset)
    for row in member_rows(asn):
        out = asn.rule.constraint(again.bindings, row)
        if out.matched:
            again = offer(again, row, out)[1]
        yield row, out, again
        if not out.matched:
            return


def _row_text(row: Row) -> str:
    """A row as a message names it: by its 0-based ``Row.index``, as Python shows it.

    >>> _row_text(make_row(3, {"filename": "jw_4_uncal.fits", "a": "x"})), _row_text(make_row(3, {"a": "x"}))
    ("Row(3, filename='jw_4_uncal.fits')", "Row(3, {'a': 'x'})")
    """
    name = row.get("filename")
    return f"Row({row.index}, filename={name!r})" if name else repr(row)


def _asn_text(asn: Association) -> str:
    return f"association {asn.slot} of {asn.rule.name}"


def _keys(asn: Association) -> list[tuple[str, str]]:
    return [m.key for m in members(asn)]


def _check_replay(asn: Association) -> None:
    again = Association(rule=asn.rule, ruleset=asn.ruleset)
    for row, out, again in _replay(asn):  # noqa: B007  (again: the last replayed, read after the loop)
        if not out.matched:
            raise AssertionError(f"{_asn_text(asn)}: member {_row_text(row)} misses {out.leaf!r} "
                                 f"when its members are replayed in order")
    if _keys(again) != _keys(asn):
        raise AssertionError(f"{_asn_text(asn)}: replaying its members in order gives the members "
                             f"{_keys(again)}, not {_keys(asn)}")


def assert_members_satisfy(rule: Rule, rows: Sequence[Row]) -> None:
    """Check that every association ``rule`` makes on ``rows`` (:func:`rule_associations`,
    invalid ones included) is rebuilt by its own members.

    The law: offer the association's member rows, in member order (the order they were
    taken), to a fresh association of the rule, whose bindings start as
    ``NO_BINDINGS``. At every step, ``rule.constraint`` checked on the bindings that
    the replay holds so far and the row matches; the row is then taken as the
    generator takes it (``offer``: the rule's hooks run, so facts such as "has a
    science member" are set as in the run); and the replay ends with the same members
    (``expname``, ``exptype``), in the same order. So no member got in through a row
    that is not a member (a row another association took, or one that missed), or
    through a hook adding a row the constraint refuses. Re-processing changes nothing
    here: a re-offered row joins at the time it is taken, and member order records
    exactly that.

    Where it may fail without a bug: a rule whose ``sticky`` facts a *missed* check
    updates, and a matched row that is not added because an equal member (same
    ``expname`` and ``exptype``) is there already, whose bindings are kept. Either lets
    a row that is not a member change the bindings. The catalogue's
    ``Asn_Lv2SpecSpecial`` is the first kind, on purpose: it copies the reference's
    stale imprint check, which reads the exposure type of the last row the association
    *checked* (a sticky fact), so an imprint that follows an imprint member joins only
    because a background the association refused came in between; replayed without
    that background, the imprint misses.

    Raises ``AssertionError`` naming the association (its creation number and rule)
    and the member row (by its ``Row.index``).

    >>> by_a = Rule(name="ByA", asn_type="demo", level=2, constraint=attr("a", "a", "x"))
    >>> rows_ = [make_row(i, {"a": a}) for i, a in enumerate("xyx")]
    >>> assert_members_satisfy(by_a, rows_)
    >>> from asnfp.association import Member, Product
    >>> from asnfp.rule import replace
    >>> stray = make_row(9, {"a": "z"})
    >>> def with_stray(asn, row):  # a hook that adds a row the constraint refuses
    ...     return replace(asn, products=(Product("p", (Member("stray", "science", None, None, stray),)),))
    >>> broken = replace(by_a, name="Broken", on_create=with_stray)
    >>> assert_members_satisfy(broken, rows_)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    AssertionError: association 0 of Broken: member Row(9, {'a': 'z'}) misses attr(a: a ~ 'x')
        when its members are replayed in order
    """
    for asn in rule_associations(rule, rows):
        _check_replay(asn)


def _states(asn: Association) -> Iterator[Bindings]:
    """The bindings ``asn`` held after each of its members, as the replay rebuilds them."""
    return (again.bindings for _, out, again in _replay(asn) if out.matched)


def _relation(rule: Rule, asns: list[Association], row: Row) -> str | None:
    """How ``row`` relates to ``rule`` and the associations ``asns`` it made (``None``:
    it does not)."""
    checks = [("a new association", rule.constraint, NO_BINDINGS)] + [
        (f"{_asn_text(asn)} after {k + 1} member(s)", asn.rule.constraint, state)
        for asn in asns for k, state in enumerate(_states(asn))]
    for where, constraint, bindings in checks:
        out = constraint(bindings, row)
        if out.matched:
            return f"{where} takes it"
        if out.reprocess:
            return f"it asks {where} for re-processing"
    return None


def is_unrelated(rule: Rule, rows: Sequence[Row], row: Row) -> bool:
    """Tell whether ``rule`` can never take ``row`` alongside ``rows``: its constraint
    misses ``row``, asking for no re-processing, both on ``NO_BINDINGS`` (a new
    association) and on the bindings every association the rule makes on ``rows``
    holds after each of its members (replayed as :func:`assert_members_satisfy` does).
    Missing on ``NO_BINDINGS`` alone is not enough: what an association has fixed can
    make a row match that a new one misses (below, a leaf pinned to the second of its
    columns; or a ``not_any`` over a pinned leaf). Use it to ``assume`` the precondition of
    :func:`assert_unrelated_row_changes_nothing`.

    >>> by_a = Rule(name="ByA", asn_type="demo", level=2, constraint=attr("a", "a", "x"))
    >>> rows_ = [make_row(0, {"a": "x"})]
    >>> is_unrelated(by_a, rows_, make_row(1, {"a": "z"})), is_unrelated(by_a, rows_, make_row(1, {"a": "x"}))
    (True, False)
    >>> either = Rule(name="Either", asn_type="demo", level=2, constraint=attr("v", ("a", "b"), "x"))
    >>> first, second = make_row(0, {"b": "x"}), make_row(1, {"a": "y", "b": "x"})
    >>> either.constraint(NO_BINDINGS, second).matched, is_unrelated(either, [first], second)
    (False, False)
    """
    return _relation(rule, rule_associations(rule, rows), row) is None


def _with_row(rows: Sequence[Row], row: Row, at: int) -> tuple[Row, ...]:
    """``rows`` with ``row`` inserted at position ``at``, every row indexed by position."""
    placed = (*rows[:at], row, *rows[at:])
    return tuple(Row(i, r.cells, r.meta) for i, r in enumerate(placed))


def _shape(asns: list[Association], original: Mapping[int, int | str]) -> list[list[tuple[int | str, str]]]:
    """Each association's members as (index in the original pool, or ``"new"``; exptype)."""
    return [[(original.get(m.row.index, m.expname) if m.row is not None else m.expname, m.exptype)
             for m in members(asn)]
            for asn in asns]


def assert_unrelated_row_changes_nothing(rule: Rule, rows: Sequence[Row], row: Row, *,
                                         at: int | None = None) -> None:
    """Check that adding ``row`` to ``rows`` (at position ``at``, the end by default;
    the rows are indexed by position) leaves the associations ``rule`` makes
    (:func:`rule_associations`) as they were: the same associations, in the same
    order, with the same member rows and exposure types.

    The law holds for a row that :func:`is_unrelated` to the rule: a ``ValueError``
    says so otherwise (so that a test cannot pass without checking anything; draw rows
    and ``assume(is_unrelated(rule, rows, row))``). It is then a law of the engine and
    the rule together: a row that every check misses creates nothing, joins nothing and
    asks for nothing, so it must leave no trace. Where it fails without a bug in the
    engine: a rule with ``sticky`` facts that a missed check updates (the reference
    keeps them on the association object), so a row it refuses can change what it
    takes next (below). The catalogue's one such rule, ``Asn_Lv2SpecSpecial``, keeps
    the law: only a row that a new association would take gets as far as the leaf that
    notes its fact, and such a row is not unrelated.

    Raises ``AssertionError`` naming the row and the first association that changed.

    >>> by_a = Rule(name="ByA", asn_type="demo", level=2, constraint=attr("a", "a", "x"))
    >>> rows_ = [make_row(i, {"a": "x"}) for i in range(3)]
    >>> assert_unrelated_row_changes_nothing(by_a, rows_, make_row(0, {"a": "z"}), at=1)
    >>> from asnfp.constraints import value_leaf
    >>> clean = value_leaf(None, lambda b, row: bool(b.fact("bad")), False, pins=False, label="clean",
    ...                    note=("bad", lambda b, row: bool(b.fact("bad")) or row["a"] == "z"))
    >>> sticky = Rule(name="Sticky", asn_type="demo", level=2, constraint=clean, sticky=("bad",))
    >>> assert_unrelated_row_changes_nothing(sticky, rows_, make_row(0, {"a": "z"}),
    ...                                      at=1)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    AssertionError: adding Row(1, {'a': 'z'}) changes association 0 of Sticky: its members,
        at indexes [0, 1, 2] of the pool, become those at [0]
    >>> assert_unrelated_row_changes_nothing(by_a, rows_, make_row(0, {"a": "x"}))
    Traceback (most recent call last):
    ValueError: Row(3, {'a': 'x'}) is not unrelated to ByA: a new association takes it
    """
    at = len(rows) if at is None else max(0, min(at, len(rows)))
    base = _with_row(rows, row, len(rows))[:-1]
    added = _with_row(rows, row, at)
    made = rule_associations(rule, base)
    reason = _relation(rule, made, added[at])
    if reason is not None:
        raise ValueError(f"{_row_text(added[at])} is not unrelated to {rule.name}: {reason}")
    before = _shape(made, {i: i for i in range(len(base))})
    original: dict[int, int | str] = {i: i if i < at else i - 1 for i in range(len(added))}
    original[at] = "new"
    after = _shape(rule_associations(rule, added), original)
    _compare(before, after, f"adding {_row_text(added[at])}", rule)


def _rows_of(shape: list[tuple[int | str, str]]) -> list[int | str]:
    return [number for number, _ in shape]


def _compare(before: list[list[tuple[int | str, str]]], after: list[list[tuple[int | str, str]]], what: str,
             rule: Rule) -> None:
    for k, (old, new) in enumerate(zip(before, after, strict=False)):
        if old != new:
            change = (f"its members, at indexes {_rows_of(old)} of the pool, become those at {_rows_of(new)}"
                      if _rows_of(old) != _rows_of(new) else f"its members {old} become {new}")
            raise AssertionError(f"{what} changes association {k} of {rule.name}: {change}")
    if len(before) != len(after):
        raise AssertionError(f"{what} makes {len(after)} associations of {rule.name}, not {len(before)}")

