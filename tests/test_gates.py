"""Laws of gates (asnfp.gates): a gate that says "miss" is a proof that the whole check,
on the same bindings and row, misses and asks for nothing; and every catalogue rule
has a gate for fresh checks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from asnfp.constraints import NO_BINDINGS, all_of, any_of, attr, value_leaf
from asnfp.fast.gates import compile_gate, fixed, gate_columns, leaf_gate
from asnfp.jwst import RULES
from asnfp.row import make_row
from asnfp.testing import attr_leaves, constraint_trees, rows


@settings(max_examples=300, deadline=None)
@given(tree=constraint_trees(), first=rows(), second=rows(index=1))
def test_a_gate_that_says_miss_proves_a_pure_miss(tree, first, second):
    gate = compile_gate(tree)
    start = tree(NO_BINDINGS, first)
    for bindings in (NO_BINDINGS, start.bindings):
        if gate is not None and gate(bindings, second):
            out = tree(bindings, second)
            assert not out.matched and not out.reprocess


@settings(max_examples=300, deadline=None)
@given(leaf=attr_leaves(), first=rows(), second=rows(index=1), tracks=st.booleans())
def test_a_fixed_attribute_leafs_gate_says_miss_exactly_when_its_check_misses(leaf, first, second, tracks):
    """The gate of a fixed attribute leaf reads the cells as the leaf's check does (on no
    bindings, and on bindings the leaf has pinned), without making the outcome."""
    if tracks:
        leaf = attr(leaf.name, leaf.initial.sources, leaf.initial.value, pins=leaf.initial.pins,
                    required=leaf.required, force_undefined=leaf.force_undefined, invalid=leaf.invalid, tracks=True)
    gate = leaf_gate(leaf)
    if gate is None:
        assert not fixed(leaf) or leaf.initial.value is None
        return
    for bindings in (NO_BINDINGS, leaf(NO_BINDINGS, first).bindings):
        assert gate(bindings, second) == (not leaf(bindings, second).matched)


@settings(max_examples=150, deadline=None)
@given(first=rows(), second=rows(index=1))
def test_catalogue_gates_prove_only_pure_misses(first, second):
    for rule in RULES:
        gate = compile_gate(rule.constraint)
        if gate is not None and gate(NO_BINDINGS, second):
            out = rule.constraint(NO_BINDINGS, second)
            assert not out.matched and not out.reprocess, rule.name


def test_a_gate_sees_through_all_and_any_but_not_a_leaf_seen_twice():
    kind = attr("exp_type", "exp_type", "nrc_image|mir_image")
    acq = attr("acq", "pntgtype", "target_acquisition")
    gate = compile_gate(all_of(attr("program", "program"), any_of(kind, acq)))
    assert gate(NO_BINDINGS, make_row(0, {"program": "1", "exp_type": "nis_soss", "pntgtype": "science"}))
    assert not gate(NO_BINDINGS,
                    make_row(0, {"program": "1", "exp_type": "nis_soss", "pntgtype": "target_acquisition"}))
    assert compile_gate(all_of(kind, any_of(kind, acq))) is None


def test_every_catalogue_rule_but_three_has_a_gate_for_fresh_checks():
    ungated = [rule.name for rule in RULES if compile_gate(rule.constraint) is None
               and (rule.creation is None or compile_gate(rule.creation) is None)]
    # it starts with an `any` that holds a dynamic leaf (target acquisitions, which read
    # declared columns only, have gates: see the value-leaf tests below)
    assert sorted(ungated) == ["Asn_MIRLRSTAConfirm"]


def _exposure_kind(b, row):
    return {"nrc_taacq": "target_acquisition"}.get(row["exp_type"], "science")


@settings(max_examples=300, deadline=None)
@given(first=rows(), second=rows(index=1))
def test_a_value_leaf_of_declared_columns_gates_only_pure_misses(first, second):
    acq = value_leaf("acq", _exposure_kind, "target_acquisition", columns=("exp_type",))
    tree = all_of(attr("program", "program"), any_of(attr("f", "filter", "f150w|f200w"), acq))
    gate = compile_gate(tree)
    assert gate is not None and gate_columns(tree) == {"filter", "exp_type"}
    start = tree(NO_BINDINGS, first)
    for bindings in (NO_BINDINGS, start.bindings):
        if gate(bindings, second):
            out = tree(bindings, second)
            assert not out.matched and not out.reprocess


def test_a_value_leaf_gates_only_with_declared_columns_and_its_own_test():
    kind = {"exp_type": "nrc_taacq"}
    declared = value_leaf("acq", _exposure_kind, "target_acquisition", columns=("exp_type",))
    assert compile_gate(declared)(NO_BINDINGS, make_row(0, {"exp_type": "nrc_image"}))
    assert not compile_gate(declared)(NO_BINDINGS, make_row(0, kind))
    assert compile_gate(value_leaf("acq", _exposure_kind, "target_acquisition")) is None
    assert compile_gate(value_leaf("acq", _exposure_kind, "target_acquisition", columns=("exp_type",),
                                   test=lambda a, b: a != b)) is None


def test_a_value_leaf_whose_source_fails_proves_nothing():
    declared = value_leaf("acq", _exposure_kind, "target_acquisition", columns=("exp_type",))
    assert compile_gate(declared)(NO_BINDINGS, make_row(0, {})) is False  # no exp_type: KeyError
