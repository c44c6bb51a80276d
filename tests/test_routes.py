"""The law of routes (asnfp.routes): when a check does anything but miss purely, some
route is open for the row, and the row shows, in every leaf of that route the bindings
pinned, the pinned value (or, for an optional leaf, no valid value at all). The index
files associations by route, so this law is what makes it exact."""

from __future__ import annotations

import re

from hypothesis import given, settings

from asnfp.constraints import NO_BINDINGS, all_of, any_of, attr
from asnfp.fast.routes import index_routes, is_open
from asnfp.jwst import RULES
from asnfp.row import make_row
from asnfp.testing import constraint_trees, imaging_pools, pools, rows


def _shows(row, bindings, leaf) -> bool:
    state = bindings.state(leaf)
    if state.pins or not isinstance(state.value, str):
        return True  # not pinned yet: any value will do
    value = row.cells.get(state.sources[0])
    if value is None or value in leaf.invalid:
        return not leaf.required
    return value.lower() == re.sub(r"\\(.)", r"\1", state.value).lower()


def _reachable(tree, bindings, row) -> bool:
    return any(is_open(route, row) and all(_shows(row, bindings, leaf) for leaf in route.leaves)
               for route in index_routes(tree))


def _law_holds(tree, shown, asked) -> None:
    bindings = NO_BINDINGS
    for row in shown:  # bindings as an association that took these rows has them
        out = tree(bindings, row)
        if out.matched:
            bindings = out.bindings
    out = tree(bindings, asked)
    if out.matched or out.reprocess:
        assert _reachable(tree, bindings, asked), (tree, bindings, asked)


@settings(max_examples=400, deadline=None)
@given(tree=constraint_trees(), shown=pools(max_rows=3), asked=rows(index=9))
def test_a_row_that_does_more_than_miss_purely_is_reachable(tree, shown, asked):
    _law_holds(tree, shown, asked)


@settings(max_examples=60, deadline=None)
@given(pool=imaging_pools(min_rows=2, max_rows=5))
def test_every_catalogue_rule_keeps_the_law_of_routes(pool):
    *shown, asked = pool
    for rule in RULES:
        if not rule.sticky:  # rules with sticky facts are indexed by their plain index leaves
            _law_holds(rule.constraint, shown, asked)


def test_a_science_branch_and_an_acquisition_branch_are_two_routes():
    science = all_of(attr("filter", "filter"), attr("sci", "exp_type", "nrc_image"))
    tree = all_of(attr("program", "program"), any_of(science, attr("acq", "exp_type", "nrc_taconfirm")))
    first, second = index_routes(tree)
    assert [leaf.name for leaf in first.leaves] == ["program", "filter", "sci"]
    assert [leaf.name for leaf in second.leaves] == ["program", "acq"]
    image = make_row(0, {"program": "1", "filter": "f150w", "exp_type": "nrc_image"})
    assert is_open(first, image) and not is_open(second, image)


def test_only_the_outermost_any_splits():
    inner = any_of(attr("a", "a", "x"), attr("b", "b", "y"))
    tree = any_of(all_of(attr("f", "filter"), inner), attr("acq", "exp_type", "nrc_taconfirm"))
    routes = index_routes(tree)
    assert len(routes) == 2 and [leaf.name for leaf in routes[0].leaves] == ["f"]
    closed = make_row(0, {"a": "no", "b": "no", "exp_type": "nrc_image"})
    assert not is_open(routes[0], closed)  # the merged inner any still closes its route
