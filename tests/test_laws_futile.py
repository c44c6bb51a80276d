"""Laws of leaving futile rules out of a run (asnfp.futile): a rule whose requests all
go back to it changes no other rule's associations; the catalogue's checks never say a
candidate type cannot pass where their test passes; and the per-candidate driver,
which leaves such rules out, writes what it writes with every rule in."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from asnfp.association import Association, Member, Product
from asnfp.constraints import AttrLeaf, Category, Node, all_of, any_of, attr, value_leaf
from asnfp.fast.drivers import Options, generate_per_candidate
from asnfp.fast.futile import futile, keeps_requests_home
from asnfp.fold import generate
from asnfp.io import serialize
from asnfp.jwst import RULES, default_registry
from asnfp.pool import read_pool
from asnfp.row import make_row
from asnfp.rule import Registry, Rule, registry
from asnfp.testing import (
    COLUMNS,
    attr_leaves,
    constraint_trees,
    imaging_pools,
    pools,
    subpools,
)

MEGA = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "pools" / "mega_pool.csv"
_NAMES = ("R0", "R1", "R2")


def _asking_leaves() -> st.SearchStrategy:
    return st.builds(lambda column, value: attr("ask", column, value, reprocess=Category.EXISTING),
                     st.sampled_from(COLUMNS), st.sampled_from((None, "x.*", "y")))


def _flagged() -> st.SearchStrategy:
    """A node asking for re-processing: for its own rule (``rules=None``), for every rule
    (``()``), or for named ones; over existing associations only (a request to run the
    rules again on a row that asks again each time would never end, in the reference too)."""
    return st.builds(lambda tree, on_match, work_over, rules: Node("any", (tree,), on_match=on_match,
                                                                  on_fail=not on_match, work_over=work_over,
                                                                  rules=rules),
                     constraint_trees(max_leaves=3), st.booleans(),
                     st.sampled_from((Category.EXISTING, Category.NONSCIENCE)),
                     st.sampled_from((None, None, (), ("R0",), ("R1", "R2"))))


def _joins_after(first: AttrLeaf, then: AttrLeaf) -> Node:
    """Rows meeting ``first``, or meeting ``then`` once a row has met ``first``: a row of
    the second kind joins only associations made before it comes again."""
    seen = value_leaf("seen", lambda b, row: bool(b.state(first).found), True, pins=False)
    return any_of(first, all_of(then, seen))


def _rules() -> st.SearchStrategy:
    waiting = st.builds(_joins_after, attr_leaves(), attr_leaves())
    parts = st.one_of(constraint_trees(max_leaves=3), attr_leaves(), _asking_leaves(), _flagged(), waiting)
    trees = st.lists(parts, min_size=1, max_size=3).map(lambda ps: all_of(*ps))
    return st.lists(trees, min_size=2, max_size=3).map(
        lambda ts: [Rule(name=_NAMES[i], asn_type="t", level=2, constraint=t) for i, t in enumerate(ts)])


def _shape(asn: Association) -> tuple:
    return (asn.rule.name, asn.asn_id, asn.validity, asn.bindings,
            tuple((p.name, tuple(m.row.index for m in p.members)) for p in asn.products))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(rules=_rules(), out=st.integers(0, 2), rows=pools(columns=(*COLUMNS, "filename"), max_rows=8))
def test_a_rule_whose_requests_go_back_to_it_leaves_the_other_rules_as_they_were(rules, out, rows):
    left_out = rules[out % len(rules)]
    assume(keeps_requests_home(left_out.constraint))
    whole = generate(registry(rules), rows)
    without = generate(registry([r for r in rules if r is not left_out]), rows)
    assert [_shape(a) for a in whole if a.rule is not left_out] == [_shape(a) for a in without]


@pytest.mark.parametrize(("asked", "joined"), [(None, [[1]]), ((), [[1, 0]])])
def test_only_a_request_naming_rules_reaches_another_rule(asked, joined):
    """Why the law needs its condition, and why it holds: a request for every rule
    (``rules=()``) offers the row again to the associations other rules made after it;
    one naming no rules goes back to the rule that made it. Here an acquisition joins
    only an association that holds a science row already, and it comes first."""
    science = attr("science", "kind", "sci")
    joins_later = Rule(name="S", asn_type="t", level=2, constraint=all_of(
        attr("f", "filter"), _joins_after(science, attr("acq", "kind", "acq"))))
    asks = Rule(name="R", asn_type="t", level=2, constraint=all_of(
        attr("g", "filter"), value_leaf("ask", lambda b, row: 1, on_match=True, rules=asked,
                                        work_over=Category.EXISTING, pins=False)))
    rows = [make_row(0, {"filter": "a", "kind": "acq", "filename": "f0"}),
            make_row(1, {"filter": "a", "kind": "sci", "filename": "f1"})]

    def members(rules):
        return [[m.row.index for m in a.products[0].members] for a in generate(registry(rules), rows)
                if a.rule is joins_later]

    assert keeps_requests_home(asks.constraint) == (asked is None)
    assert members([joins_later]) == [[1]]
    assert members([joins_later, asks]) == joined


_KINDS = st.one_of(st.sampled_from(("observation", "OBSERVATION", "background", "group", "mosaic", "DISCOVERED",
                                    "discovered", "coronographic", "ami", "direct_image")), st.text(max_size=8))
_CHECKS = [(rule, check) for rule in RULES for check in rule.validity if check.passes_for is not None]


def test_the_catalogue_declares_candidate_types_its_checks_need():
    assert {check.name for _, check in _CHECKS} >= {"allowed_candidates", "is_type_observation",
                                                   "is_type_mosaic", "is_not_group"}


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, len(_CHECKS) - 1), kind=_KINDS,
       exptypes=st.lists(st.sampled_from(("science", "background", "psf", "imprint", "target_acquisition")),
                         min_size=1, max_size=3))
def test_a_check_that_cannot_pass_for_a_type_never_passes_for_it(which, kind, exptypes):
    rule, check = _CHECKS[which]
    members = tuple(Member(f"m{i}", e, None, None) for i, e in enumerate(exptypes))
    asn = Association(rule=rule, ruleset=None, acid_type=kind, started=True,
                      products=(Product("p", members),))
    if not check.passes_for(kind.lower()):
        assert not any(check.test(asn, m) for m in members)


def test_level2_rules_are_futile_in_discovery_and_mosaics_outside_mosaic_candidates():
    by_name = {rule.name: rule for rule in RULES}
    assert futile(by_name["Asn_Lv2Image"], "DISCOVERED")
    assert not futile(by_name["Asn_Lv2Image"], "observation")
    assert not futile(by_name["Asn_Lv2Image"], "background")  # valid with a background member
    assert not futile(by_name["Asn_Lv2WFSSParallel"], "discovered")  # always allowed
    assert futile(by_name["Asn_Lv3ImageMosaic"], "observation")
    assert not futile(by_name["Asn_Lv3ImageMosaic"], "mosaic")
    assert not futile(by_name["Asn_Lv3ACQ_Reprocess"], "discovered")  # asks for every rule


def _unpruned(name: str | None, keep_duplicates: bool = False) -> Registry:
    """The JWST registry with no check declaring what it needs: no rule is ever futile."""
    reg = default_registry(name, keep_duplicates=keep_duplicates)
    return replace(reg, rules=tuple(replace(r, validity=tuple(replace(c, passes_for=None) for c in r.validity))
                                    for r in reg.rules))


def _written(make_registry, rows, **options) -> list[tuple[str, bytes]]:
    return [serialize(a, f"{a.ruleset}_{a.rule.name}") for a in
            generate_per_candidate(make_registry, rows, Options(**options))]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(imaging_pools())
def test_the_driver_writes_what_every_rule_in_every_run_writes(rows):
    assert _written(default_registry, rows) == _written(_unpruned, rows)


@pytest.fixture(scope="module")
def mega_rows():
    if not MEGA.is_file():
        pytest.skip("the conformance pools (../shared) are absent")
    return read_pool(MEGA).rows


def test_on_mega_pool_the_driver_writes_what_every_rule_writes(mega_rows):
    assert _written(default_registry, mega_rows) == _written(_unpruned, mega_rows)
    for options in ({"discover": True, "all_candidates": False}, {"discover": False}, {"ids": ("o001", "c1000")}):
        assert _written(default_registry, mega_rows, **options) == _written(_unpruned, mega_rows, **options)


def test_unfinalized_and_debug_runs_keep_every_rule(mega_rows):
    """Creation numbers show there: leaving rules out would shift them."""
    def debug(name):
        return default_registry(name, keep_duplicates=True)

    assert _written(default_registry, mega_rows, finalize=False) == _written(_unpruned, mega_rows, finalize=False)
    assert _written(debug, mega_rows) == _written(lambda n: _unpruned(n, True), mega_rows)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_on_parts_of_mega_pool_the_driver_writes_what_every_rule_writes(mega_rows, data):
    rows = data.draw(subpools(mega_rows, max_rows=60))
    assert _written(default_registry, rows) == _written(_unpruned, rows)
