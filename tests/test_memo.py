"""Laws of the memo of pure misses (asnfp.memo): it only ever answers "miss" for a row
that a real check misses purely, it learns what it was shown, and it never stores a
check that read more than cells."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from asnfp.constraints import NO_BINDINGS, all_of, attr, lift
from asnfp.fast.memo import PURE_MISS, Memo, answer, tracing
from asnfp.row import make_row
from asnfp.testing import constraint_trees, pools, rows


def _pure_miss(constraint, row) -> bool:
    out = constraint(NO_BINDINGS, row)
    return not out.matched and not out.reprocess


@settings(max_examples=150, deadline=None)
@given(tree=constraint_trees(), shown=pools(max_rows=6), asked=rows())
def test_the_memo_answers_miss_only_for_rows_that_really_miss_purely(tree, shown, asked):
    memo = Memo()
    for row in shown:
        traced = tracing(row)
        out = tree(NO_BINDINGS, traced)
        if not out.matched and not out.reprocess:
            memo.remember("k", traced)
    if memo.misses("k", asked):
        assert _pure_miss(tree, asked)


@settings(max_examples=100, deadline=None)
@given(tree=constraint_trees(), shown=pools(max_rows=6))
def test_the_memo_knows_every_pure_miss_it_was_shown(tree, shown):
    memo = Memo()
    remembered = []
    for row in shown:
        traced = tracing(row)
        out = tree(NO_BINDINGS, traced)
        if not out.matched and not out.reprocess:
            memo.remember("k", traced)
            remembered.append(row)
    assert all(memo.misses("k", row) for row in remembered)
    assert not memo.misses("other key", shown[0]) if shown else True


def test_a_check_that_reads_the_whole_row_is_never_stored():
    reads_everything = all_of(attr("a", "a"), lift(lambda row: len(dict(row)) > 5, "wide"))
    row = make_row(0, {"a": "x", "b": "y"})
    traced = tracing(row)
    assert not reads_everything(NO_BINDINGS, traced).matched
    memo = Memo()
    memo.remember("k", traced)
    assert traced.reads.opaque and memo.size == 0
    assert not memo.misses("k", make_row(1, {"a": "x", "b": "y", "c": "1", "d": "2", "e": "3", "f": "4"}))


def test_a_check_that_reads_the_row_position_is_never_stored():
    first_row_only = lift(lambda row: row.index == 0, "first")
    traced = tracing(make_row(3, {}))
    assert not first_row_only(NO_BINDINGS, traced).matched
    memo = Memo()
    memo.remember("k", traced)
    assert memo.size == 0 and not memo.misses("k", make_row(0, {}))


def test_rows_that_differ_only_in_unread_columns_share_the_answer():
    check = attr("exp_type", "exp_type", "nrc_image")
    traced = tracing(make_row(0, {"exp_type": "mir_image", "filename": "a"}))
    assert not check(NO_BINDINGS, traced).matched
    memo = Memo()
    memo.remember("k", traced)
    assert memo.misses("k", make_row(1, {"exp_type": "mir_image", "filename": "b"}))
    assert not memo.misses("k", make_row(2, {"exp_type": "nrc_image", "filename": "a"}))


@given(st.dictionaries(st.sampled_from("abc"), st.sampled_from(["x", "y", "null"])))
def test_a_tracing_row_reads_like_the_row(cells):
    row = make_row(0, cells)
    traced = tracing(row)
    assert [traced.get(c) for c in "abcd"] == [row.get(c) for c in "abcd"]
    assert [c in traced for c in "abcd"] == [c in row for c in "abcd"]
    assert list(traced.reads.trace) == list("abcd")


@settings(max_examples=200, deadline=None)
@given(tree=constraint_trees(), first=rows(), shown=pools(max_rows=6), asked=rows(index=9))
def test_a_remembered_answer_is_what_the_check_gives(tree, first, shown, asked):
    """Every outcome whose requests only re-offer the row itself is remembered by what
    it read; a row that agrees on those cells gets exactly that outcome from the check."""
    bindings = tree(NO_BINDINGS, first).bindings
    memo = Memo()
    for row in shown:
        traced = tracing(row)
        out = tree(bindings, traced)
        kept = answer(out, traced)
        if kept is not None:
            memo.remember("k", traced, kept)
    known = memo.lookup("k", asked)
    if known is not None and known is not PURE_MISS:
        assert known.for_row(asked) == tree(bindings, asked)
