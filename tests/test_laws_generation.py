"""Laws of generation: determinism, unread columns, the indexed fold agrees with the
simple model, every row is placed exactly once, and the laws every rule keeps."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from asnfp.association import is_valid
from asnfp.fast.drivers import Options, generate_per_candidate
from asnfp.io import serialize
from asnfp.jwst import RULES, default_registry
from asnfp.pool import Pool, orphan_table
from asnfp.row import PoolMeta, Row
from asnfp.testing import attr_leaves, constraint_trees, imaging_pools, rows

from laws import assert_members_share_pinned_values, assert_one_science_per_level2

slow = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(rows, **options):
    asns = generate_per_candidate(default_registry, rows, Options(**options))
    return [a for a in asns if is_valid(a)]


def files(rows, **options):
    return dict(serialize(a, f"{a.ruleset}_{a.rule.name}") for a in run(rows, **options))


@slow
@given(imaging_pools())
def test_two_runs_give_identical_bytes(rows):
    assert files(rows) == files(rows)


@slow
@given(imaging_pools(), st.text("abcxyz", min_size=1, max_size=5))
def test_a_column_no_rule_reads_changes_nothing(rows, value):
    extra = tuple(Row(r.index, {**r.cells, "zz_unread": value}, r.meta) for r in rows)
    assert files(rows) == files(extra)


@slow
@given(imaging_pools())
def test_the_indexed_fold_agrees_with_offering_every_row_everywhere(rows):
    assert files(rows) == files(rows, indexed=False)


@slow
@given(imaging_pools())
def test_every_row_is_in_an_association_or_an_orphan_never_both(rows):
    asns = run(rows)
    taken = {m.row.index for a in asns for p in a.products for m in p.members if m.row is not None}
    pool = Pool(tuple(rows[0].cells), rows, PoolMeta("p.csv"))
    table = orphan_table(pool, taken).splitlines()
    orphans = {line.split("|")[0] for line in table[1:]}
    names = {r.cells["filename"] for r in rows}
    member_files = {r.cells["filename"] for r in rows if r.index in taken}
    assert orphans | member_files == names
    assert not orphans & member_files


@slow
@given(imaging_pools())
def test_level2_associations_hold_one_science_exposure(rows):
    for asn in run(rows):
        assert_one_science_per_level2(asn)


@slow
@given(imaging_pools())
def test_members_share_every_pinned_value_of_their_rule(rows):
    for asn in run(rows):
        assert_members_share_pinned_values(asn)


@slow
@given(imaging_pools())
def test_sequence_numbers_count_from_one_per_id_and_type(rows):
    groups: dict[tuple[str, str], list[int]] = {}
    for asn in run(rows):
        groups.setdefault((asn.asn_id, asn.rule.asn_type), []).append(asn.sequence)
    for numbers in groups.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_replace_of_a_rule_is_the_rule():
    for rule in RULES:
        assert replace(rule) == rule


def test_every_rule_has_a_one_line_expression():
    for rule in RULES:
        text = rule.constraint.expression()
        assert text and "\n" not in text


_IDS = st.sampled_from(["o001", "o0011", "o002", "c1000", "c10001"])


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.one_of(st.just("null"), st.lists(st.tuples(_IDS, st.sampled_from(["observation", "mosaic"])),
                                                             min_size=1, max_size=3).map(str)), max_size=12),
       pairs=st.lists(st.tuples(_IDS, st.sampled_from(["observation", "mosaic"])), max_size=4))
def test_candidate_pools_read_once_are_the_pools_read_row_by_row(texts, pairs):
    from asnfp.candidates import candidate_pool, candidate_pools
    from asnfp.row import make_row

    rows = [make_row(i, {"asn_candidate": t, "filename": f"f{i}"}) for i, t in enumerate(texts)]
    assert candidate_pools(rows, pairs) == [candidate_pool(rows, ident, kind) for ident, kind in pairs]


def _asking_leaves():
    from asnfp.constraints import Category, attr
    from asnfp.testing import COLUMNS

    return st.builds(lambda column, value, pins: attr("ask", column, value, pins=pins, reprocess=Category.EXISTING),
                     st.sampled_from(COLUMNS), st.sampled_from((None, "a.*", "b")), st.booleans())


def _parts():
    from asnfp.constraints import Node

    flagged = st.builds(lambda c, on_match, on_fail: Node("any", (c,), on_match=on_match, on_fail=on_fail),
                        constraint_trees(max_leaves=4), st.booleans(), st.booleans())
    return st.one_of(constraint_trees(max_leaves=4), flagged, _asking_leaves(), attr_leaves())


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_parts(), min_size=1, max_size=4), flags=st.sampled_from([{}, {}, {"on_fail": True}]),
       wrap=st.booleans(), leaf=st.one_of(_asking_leaves(), attr_leaves()), row=rows())
def test_a_rule_with_a_global_leaf_checks_as_its_base_then_the_leaf(parts, flags, wrap, leaf, row):
    """The split fresh check of a candidate run (generate._fresh_outcome): the base's
    outcome, then the global leaf, gives what the whole tree gives."""
    from asnfp.constraints import NO_BINDINGS, all_of, any_of
    from asnfp.fast.machine import splits as _splits
    from asnfp.fast.machine import then_leaf
    from asnfp.rule import Rule, with_global

    top = any_of(*parts) if wrap else all_of(*parts, **flags)
    base = Rule(name="R", asn_type="t", level=2, constraint=top)
    run = with_global(base, leaf)
    whole = run.constraint(NO_BINDINGS, row)
    if not _splits(base, run, leaf):
        assert flags or not top.parts
        return
    first = top(NO_BINDINGS, row)
    if not first.matched and not first.reprocess:
        assert not whole.matched and not whole.reprocess
    else:
        assert then_leaf(first, leaf, row) == whole
