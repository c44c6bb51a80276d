"""Laws every written association keeps, shared by the generation and rule law tests."""

from __future__ import annotations

from asnfp.association import Association
from asnfp.constraints import AttrLeaf
from asnfp.fast.routes import index_leaves


def assert_members_share_pinned_values(asn: Association) -> None:
    """Every member row shows the value each pinned index leaf of the rule fixed."""
    for leaf in index_leaves(asn.rule.constraint):
        state = asn.bindings.state(leaf)
        if state.pins or not isinstance(leaf, AttrLeaf):
            continue
        (column,) = state.sources
        values = {m.row.cells.get(column) for p in asn.products for m in p.members if m.row is not None}
        assert len(values) <= 1, (asn.rule.name, leaf.name, values)


def assert_one_science_per_level2(asn: Association) -> None:
    """A Level-2 association holds exactly one science exposure."""
    if asn.rule.level == 2:
        assert [m.exptype for m in asn.products[0].members].count("science") == 1, asn.rule.name
