"""Laws of constraints: combinators, negation, flattening, pinning, anchoring."""

from __future__ import annotations

import re

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from asnfp.constraints import (
    NO_BINDINGS,
    Node,
    all_of,
    any_of,
    attr,
    meets_conditions,
    not_all,
    not_any,
    pinned,
)
from asnfp.row import Row
from asnfp.testing import COLUMNS, constraint_trees, rows

trees = st.lists(constraint_trees(), max_size=4)


def matched(c, row, bindings=NO_BINDINGS):
    return c(bindings, row).matched


@given(trees, rows())
@example([all_of(), not_any()], Row(0, {"a": "null"}))
def test_all_of_matches_iff_every_part_matches(parts, row):
    assert matched(all_of(*parts), row) == (bool(parts) and all(matched(p, row) for p in parts))


@given(trees, rows())
def test_any_of_matches_iff_some_part_matches(parts, row):
    assert matched(any_of(*parts), row) == any(matched(p, row) for p in parts)


@given(trees, rows())
def test_not_any_is_the_negation_of_any_of(parts, row):
    positive, negative = any_of(*parts)(NO_BINDINGS, row), not_any(*parts)(NO_BINDINGS, row)
    assert negative.matched is not positive.matched
    assert negative.reprocess == positive.reprocess


@given(trees, rows())
def test_not_all_is_the_negation_of_all_of(parts, row):
    positive, negative = all_of(*parts)(NO_BINDINGS, row), not_all(*parts)(NO_BINDINGS, row)
    assert negative.matched is not positive.matched
    assert negative.reprocess == positive.reprocess


@given(constraint_trees(), constraint_trees(), constraint_trees(), rows())
@example(all_of(), all_of(), all_of(), Row(0, {"a": "x"}))
def test_flattening_nested_all_changes_nothing(a, b, c, row):
    nested = Node("all", (Node("all", (a, b)), c))
    flat = all_of(all_of(a, b), c)
    left, right = nested(NO_BINDINGS, row), flat(NO_BINDINGS, row)
    assert (left.matched, left.bindings, left.reprocess) == (right.matched, right.bindings, right.reprocess)


@given(trees, rows())
def test_any_of_keeps_the_bindings_of_the_first_match(parts, row):
    out = any_of(*parts)(NO_BINDINGS, row)
    bindings = NO_BINDINGS
    for part in parts:
        result = part(bindings, row)
        bindings = result.bindings
        if result.matched:
            assert out.bindings == bindings
            return
    assert not out.matched


required_pinning_leaves = st.builds(
    lambda sources, pattern: attr("p", tuple(sources), pattern, invalid=frozenset({"null", "f"})),
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=2, unique=True),
    st.sampled_from((None, "x", "x|y", "x.*")),
)


@given(required_pinning_leaves, rows(), rows())
@example(attr("p", ("a", "b"), "x|y", invalid=frozenset({"null"})),
         Row(0, {"a": "null", "b": "xy"}), Row(1, {"a": "xy", "b": "x"}))
def test_a_pinned_leaf_takes_only_its_value_in_its_column(leaf, first, second):
    out = leaf(NO_BINDINGS, first)
    value = pinned(out.bindings, leaf)
    assume(value is not None)
    (column,) = out.bindings.state(leaf).sources
    cell = second.get(column)
    valid = cell is not None and cell not in leaf.invalid
    assert leaf(out.bindings, second).matched == (valid and cell == value)


@given(trees, rows())
def test_checking_is_pure(parts, row):
    c = all_of(*parts)
    assert c(NO_BINDINGS, row) == c(NO_BINDINGS, row)
    assert type(NO_BINDINGS)() == NO_BINDINGS


@given(constraint_trees())
def test_every_constraint_has_a_one_line_expression_and_a_tree(c):
    assert "\n" not in c.expression() and c.expression() and repr(c) == c.expression()
    assert all(line.strip() for line in c.describe().splitlines()) and c.describe()


@given(st.sampled_from(["nrc_image", "mir_image", "nis_image"]), st.text("abc_", min_size=1, max_size=4))
@example("nrc_image", "x")
def test_alternation_is_a_prefix_match_except_the_last(head, tail):
    conditions = "nrc_image|mir_image|nis_image"
    assert meets_conditions(head, conditions)
    assert meets_conditions(head + tail, conditions) == (head != "nis_image")


def test_empty_all_and_any_miss():
    row = Row(0, {"a": "x"})
    assert not matched(all_of(), row) and not matched(any_of(), row)
    assert matched(not_any(), row) and matched(not_all(), row)


def test_all_of_stops_at_the_first_hard_miss():
    row = Row(0, {"a": "x", "b": "y"})
    later = attr("later", "b")
    out = all_of(attr("first", "a", "z"), later)(NO_BINDINGS, row)
    assert not out.matched and repr(out.leaf) == "attr(first: a ~ 'z')"
    assert out.bindings.state(later).found == ()


def test_a_soft_miss_keeps_its_reprocess_and_later_parts_still_run():
    from asnfp.constraints import Category, value_leaf

    soft = value_leaf("soft", lambda b, r: r, "never", test=lambda _a, _b: False, on_fail=True,
                      work_over=Category.NONSCIENCE, rules=())
    later = attr("later", "a")
    out = all_of(soft, later)(NO_BINDINGS, Row(0, {"a": "x"}))
    assert not out.matched
    assert [r.work_over for r in out.reprocess] == [Category.NONSCIENCE]
    assert out.bindings.state(later).found == ("x",)


def test_losing_branch_bindings_survive_a_later_match():
    row = Row(0, {"a": "x", "b": "y"})
    fixed = attr("fixed", "a")
    tree = any_of(all_of(fixed, attr("no", "b", "z")), attr("yes", "b"))
    out = tree(NO_BINDINGS, row)
    assert out.matched and pinned(out.bindings, fixed) == "x"


def test_reprs_read_like_the_call():
    assert repr(attr("instrument", "instrume")) == "attr(instrument: instrume)"
    assert repr(all_of(attr("a", "a"), not_any(attr("b", "b", "t")))) == "all(attr(a: a), notany(attr(b: b ~ 't')))"


def test_public_modules_declare_all():
    import asnfp.constraints as c

    for name in ("all_of", "any_of", "not_any", "not_all", "attr", "value_leaf", "lift"):
        assert name in c.__all__


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 3), st.booleans()), max_size=12))
def test_bindings_hash_as_their_items_do_however_they_were_built(changes):
    from asnfp.constraints import NO_BINDINGS, Bindings, attr

    leaves = {name: attr(name, name) for name in "abcd"}
    built = NO_BINDINGS
    for name, value, is_fact in changes:
        built = built.with_fact(name, value) if is_fact else built.with_state(leaves[name], value)
    fresh = Bindings(dict(reversed(list(built.items()))))  # the same items, in another order
    assert built == fresh and hash(built) == hash(fresh)


_CHARS = st.sampled_from(list("abcxyzABCXYZ019_-.|*()[]\\ \n") + ["ſ", "K", "é", "İ"])  # noqa: RUF001  (long s, Kelvin sign: case-folding traps)


@settings(max_examples=400, deadline=None)
@given(st.text(_CHARS, max_size=6), st.text(_CHARS, max_size=7), st.sampled_from(("same", "upper", "newline", "other")))
@example("s", "ſ", "other")  # noqa: RUF001  (long s: the same letter to a case-blind regex, not to lower())
@example("k", "K", "other")  # (Kelvin sign)
@example("ab", "ab\n", "other")
@example("ab", "AB\n\n", "other")
def test_a_literal_condition_matches_as_its_regex_does(value, other, variant):
    """A plain condition (a pinned value is escaped) is matched without its regex: the
    answer is the anchored, case-blind regex's, for any text."""
    condition = re.escape(value)
    text = {"same": value, "upper": value.upper(), "newline": value + "\n", "other": other}[variant]
    expected = re.compile("^" + condition + "$", re.IGNORECASE).match(text) is not None
    assert meets_conditions(text, condition) is expected
