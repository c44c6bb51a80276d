"""Rules that read: a constraint, a rule and ``asnfp rules -k NAME`` print as an indented
tree in the words of the source (the named blocks by their call, functions by their
name, never ``<lambda>``), every line at most 100 columns; ``asnfp rules`` is a table
of one line per rule; a bare ``asnfp`` prints its usage and its commands."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from asnfp.cli.command import build_parser, main
from asnfp.constraints import (
    NO_BINDINGS,
    Constraint,
    all_of,
    any_of,
    attr,
    check,
    describe_rule,
    lift,
    made_by,
    not_all,
    not_any,
    value_leaf,
)
from asnfp.jwst import RULES, catalogue_rule, rule
from asnfp.jwst.constraints import is_background, is_image, is_tso, same_optical_path, same_target
from asnfp.row import Row, make_row
from asnfp.testing import rows

WIDTH = 100
KIND_WORDS = ("all_of", "any_of", "not_any", "not_all")


def _too_wide(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > WIDTH]


def _out(capsys, argv: list[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- the catalogue ------------------------------------------------------------------------------


def test_every_catalogue_rule_prints_in_lines_of_at_most_100_columns_without_a_lambda():
    for each in RULES:
        for text in (each.constraint.describe(), each.constraint.describe(expand=True), describe_rule(each)):
            assert text and not _too_wide(text), (each.name, _too_wide(text))
            assert "<lambda>" not in text and "lambda at" not in text, each.name


def test_asnfp_rules_k_prints_each_rule_as_a_tree(capsys):
    status, out, err = _out(capsys, ["rules", "-k", "Lv3Image"])
    assert (status, err) == (0, "")
    assert out.split("\n\n")[0] == (
        "Asn_Lv3Image  level 3  image3\n"
        "  science(...)\n"
        "    all_of\n"
        "      optical_path()\n"
        "      target(level3_exptype)\n"
        "      image()\n"
        "      wfs_visit()\n"
        "      not_bkgd_or_tso()"
    )
    headers = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert headers == [f"{r.name}  level 3  image3" for r in RULES if "Lv3Image" in r.name]
    for flag in ([], ["--expand"]):
        status, out, _ = _out(capsys, ["rules", "-k", "", *flag])
        assert status == 0 and not _too_wide(out) and "lambda" not in out


def test_a_catalogue_rule_built_from_named_blocks_names_them():
    text = catalogue_rule("Asn_Lv2Image").constraint.describe()
    assert [line.strip() for line in text.splitlines()[1:5]] == ["base()", "mode()", "image_science()", "not_tso()"]
    expanded = catalogue_rule("Asn_Lv3Image").constraint.describe(expand=True)
    assert "optical_path() = all_of" in expanded and "science(...) = all_of name=dmsbase_top" in expanded


def test_the_table_has_one_line_per_rule(capsys):
    status, out, err = _out(capsys, ["rules"])
    lines = out.splitlines()
    assert (status, err) == (0, "")
    assert lines[0].split() == ["rule", "level", "asn_type", "constraint"]
    assert [line.split()[:3] for line in lines[1:]] == [[r.name, str(r.level), r.asn_type] for r in RULES]
    assert not _too_wide(out)
    assert "optical_path(), target(level3_exptype), image()" in next(
        line for line in lines if line.startswith("Asn_Lv3Image "))


def test_a_name_no_rule_has_is_a_usage_error(capsys):
    status, out, err = _out(capsys, ["rules", "-k", "Asn_Nothing"])
    assert (status, out) == (2, "")
    assert err == "asnfp: error: no rule has 'Asn_Nothing' in its name (asnfp rules lists them)\n"


# --- a user's rules -----------------------------------------------------------------------------


def beyond_2_5_microns(row: Row) -> bool:
    return row.get("filter", "").startswith(("f277", "f356", "f444"))


def module_of(bindings, row) -> str:  # (a user's source, as examples/ writes one)
    return row["detector"][3:4]


def test_a_users_one_liner_prints_its_own_function_names():
    mine = rule("Asn_LongWave", "image3", "jw{program}-{acid}_{target}_{opt_elem}",
                all_of(is_image(), same_optical_path(), same_target(), beyond_2_5_microns,
                       value_leaf("module", module_of), not_any(is_tso(), is_background())))
    assert describe_rule(mine) == (
        "Asn_LongWave  level 3  image3\n"
        "  science(...)\n"
        "    all_of\n"
        "      is_image()\n"
        "      same_optical_path()\n"
        "      same_target()\n"
        "      beyond_2_5_microns\n"
        "      value(module: module_of)\n"
        "      not_any\n"
        "        is_tso()\n"
        "        is_background()"
    )


def test_a_users_lambda_prints_where_it_was_written_never_as_lambda_in_brackets():
    line = sys._getframe().f_lineno + 1
    text = all_of(lambda row: True, value_leaf("v", lambda b, row: 1, 1), attr("a", "a", lambda b: "x")).describe()
    assert "<lambda>" not in text
    assert text.splitlines()[1] == f"  lambda at test_rules_read.py:{line}"
    assert text.splitlines()[2:] == ["  value(v == 1)", f"  attr(a: a ~ lambda at test_rules_read.py:{line}(...))"]


def test_a_users_block_prints_as_its_call_and_what_it_was_given_under_it():
    def wide(constraint: Constraint) -> Constraint:
        return made_by(all_of(constraint, attr("filter", "filter", ".*w")), "wide", constraint)

    assert wide(is_image()).describe() == "wide(...)\n  is_image()"


def test_check_gives_a_leaf_on_either_outcome():
    assert check(is_image(), {"exp_type": "nrc_image"}).leaf is None
    assert check(is_image(), {"exp_type": "nrs_msaspec"}).leaf is not None


# --- laws of the printed tree -------------------------------------------------------------------

COMBINATORS: dict[str, Callable[..., Constraint]] = {
    "all_of": all_of, "any_of": any_of, "not_any": not_any, "not_all": not_all}

# A tree as written: ("leaf", attr arguments), ("node", combinator, parts) or
# ("block", block name, what the block builds).
leaf_specs = st.tuples(st.just("leaf"), st.tuples(
    st.sampled_from((None, "n1", "n2")), st.sampled_from((("a",), ("b",), ("a", "c"))),
    st.sampled_from((None, "x", "x|y", "t", "x.*")), st.booleans(), st.booleans()))


def _extend(parts: st.SearchStrategy[tuple]) -> st.SearchStrategy[tuple]:
    return st.one_of(
        st.tuples(st.just("node"), st.sampled_from(tuple(COMBINATORS)), st.lists(parts, max_size=3)),
        st.tuples(st.just("block"), st.sampled_from(("same_thing", "is_this", "block_3")), parts))


specs = st.recursive(leaf_specs, _extend, max_leaves=10)


def build(spec: tuple, blocks: bool = True) -> Constraint:
    """The constraint a spec writes (fresh leaves; ``blocks=False``: no block named)."""
    if spec[0] == "leaf":
        name, sources, value, pins, required = spec[1]
        return attr(name, sources, value, pins=pins, required=required, invalid=frozenset({"null", "f"}))
    if spec[0] == "node":
        return COMBINATORS[spec[1]](*(build(part, blocks) for part in spec[2]))
    inner = build(spec[2], blocks)
    return made_by(inner, spec[1]) if blocks else inner


def written(spec: tuple) -> tuple[str, list]:
    """The tree a spec should print as: a block as its call alone; a plain, non-empty
    ``all_of`` that is a part of an ``all_of`` is flattened into it (as checking sees it)."""
    if spec[0] == "leaf":
        return (repr(build(spec)), [])
    if spec[0] == "block":
        return (f"{spec[1]}()", [])
    shown: list = []
    for part in spec[2]:
        flattened = spec[1] == "all_of" and part[0] == "node" and part[1] == "all_of" and part[2]
        shown += written(part)[1] if flattened else [written(part)]
    return (spec[1], shown)


def parsed(text: str) -> tuple[str, list]:
    """Read a printed tree back: two spaces a level, a line four spaces deeper than the
    line before it goes on that line."""
    root: list = []
    stack: list[tuple[int, list]] = [(-2, root)]
    last: list | None = None
    last_indent = 0
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if last is not None and indent >= last_indent + 4:
            last[0] += line.strip()
            continue
        while stack[-1][0] >= indent:
            stack.pop()
        node = [line.strip(), []]
        stack[-1][1].append(node)
        stack.append((indent, node[1]))
        last, last_indent = node, indent
    assert len(root) == 1
    return _tupled(root[0])


def _tupled(node: list) -> tuple[str, list]:
    return (node[0], [_tupled(child) for child in node[1]])


def _size(tree: tuple[str, list]) -> int:
    return 1 + sum(map(_size, tree[1]))


_A, _B = ("leaf", ("n1", ("a",), "x", True, True)), ("leaf", (None, ("b",), None, False, False))


@settings(max_examples=300, deadline=None)
@given(specs)
@example(("node", "all_of", [("block", "is_this", ("node", "all_of", [_A, _B])), _B]))  # a block flattened
@example(("node", "all_of", [("node", "all_of", [("node", "all_of", [_A, ("block", "is_this", _B)])]), _A]))
@example(("node", "all_of", [("node", "all_of", []), ("block", "same_thing", ("node", "any_of", [_A]))]))
def test_a_tree_prints_one_line_per_node_or_leaf_and_reads_back_as_written(spec):
    text = build(spec).describe()
    assert parsed(text) == written(spec)
    assert len(text.splitlines()) == _size(written(spec))


@settings(max_examples=200, deadline=None)
@given(specs)
def test_without_blocks_a_tree_prints_one_line_per_node_and_leaf_checking_sees(spec):
    constraint = build(spec, blocks=False)
    lines = constraint.describe().splitlines()

    def count(c: Constraint) -> int:
        return 1 + sum(map(count, c.children()))

    assert len(lines) == count(constraint)
    assert all(line.strip().split()[0] in KIND_WORDS or line.strip().startswith("attr(") for line in lines)


@settings(max_examples=200, deadline=None)
@given(specs, rows())
def test_naming_a_block_changes_no_outcome(spec, row):
    with_blocks, without = build(spec), build(spec, blocks=False)
    assert with_blocks(NO_BINDINGS, row).matched == without(NO_BINDINGS, row).matched
    assert repr(with_blocks) == repr(without)  # (what a file writes: every leaf spelled out)


@given(st.lists(st.sampled_from(("nrc_image", "mir_image", "x", "nis_wfss", "a-b.c")), min_size=1, max_size=40),
       st.integers(min_value=40, max_value=120), st.integers(min_value=0, max_value=6))
def test_a_long_line_goes_on_in_lines_four_spaces_deeper_within_the_width(values, width, depth):
    leaf = attr("exp_type", "exp_type", "|".join(values))
    tree: Constraint = leaf
    for _ in range(depth):
        tree = any_of(tree)
    lines = tree.describe(width).splitlines()
    assert all(len(line) <= width for line in lines)
    own = lines[depth:]
    assert own[0].startswith("  " * depth + "attr(") and all(line.startswith("  " * depth + "    ") for line in own[1:])
    assert "".join(line.strip() for line in own).replace(" ", "") == repr(leaf).replace(" ", "")


def test_lift_names_a_predicate_by_its_function():
    assert lift(beyond_2_5_microns).describe() == "beyond_2_5_microns"
    assert check(lift(beyond_2_5_microns), make_row(0, {"filter": "f444w"})).matched


# --- the bare command ---------------------------------------------------------------------------


def _commands() -> list[str]:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


def test_a_bare_asnfp_prints_its_usage_and_commands(capsys):
    status, out, err = _out(capsys, [])
    assert (status, out) == (2, "")
    assert err.startswith("usage: asnfp ")
    listed = [line.split()[0] for line in err.splitlines() if line[:4] == "    " and line[4:5] != " "]
    assert listed == _commands() and "rules" in listed and "generate" in listed
    assert err.endswith("asnfp: error: a command is required (asnfp COMMAND -h tells its options)\n")


def test_the_bare_command_line_exits_with_the_status_of_a_usage_error():
    done = subprocess.run([sys.executable, "-m", "asnfp.cli"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert all(name in done.stderr for name in _commands())
