"""Why a row joined, or did not join, each rule: the answer ``asnfp explain`` prints.

A row is offered to every rule of the registry (in every candidate run that holds it,
and in discovery). For each rule the explanation says one of:

* ``joined``: a written association of the rule holds the row (the files are named);
* ``miss``: the row, on its own, misses the rule's constraint, at the leaf named, with
  the value the row has there (:func:`why_missed`);
* ``dropped``: the row matches the rule and was in one of its associations, but
  finalization did not write that association: it was not valid (the checks that never
  passed are named), the rule's finalization dropped it, or its members were those of a
  written association;
* ``matched``: the row matches the rule on its own but was in none of its associations
  (another association of the run took it, or the rule's associations needed more).

The text names a row as asnfp's errors do: ``row N`` counts the pool's rows from 1, as a
person reading the file counts them (the header, comment lines and blank lines are not
rows). The functions take and give ``Row.index``, the 0-based position: row N is
``rows[N - 1]`` (below, index 1 is ``row 2``).

>>> from asnfp.constraints import attr, all_of
>>> from asnfp.row import make_row
>>> from asnfp.rule import Rule, registry
>>> images = Rule(name="Images", asn_type="image3", level=3,
...               constraint=all_of(attr("exp_type", "exp_type", "nrc_image|mir_image"), attr("opt_elem", "filter")))
>>> rows = [make_row(i, {"exp_type": e, "filter": f, "asn_candidate": "null"})
...         for i, (e, f) in enumerate((("mir_image", "f560w"), ("nrs_msaspec", "f290lp")))]
>>> print(describe(explain_rows(lambda name: registry([images], name=name), rows, [1])[0]))
row 2 (no file name): in no written association
  Images: miss at exp_type: 'nrs_msaspec' does not match 'nrc_image|mir_image'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from typing import NamedTuple, cast

from asnfp.association import Association, is_valid, member_rows, members
from asnfp.constraints import (
    NO_BINDINGS,
    AttrLeaf,
    Bindings,
    Condition,
    Constraint,
    Node,
    ValueLeaf,
    described,
    first_valid,
    leaves,
)
from asnfp.errors import UsageError, shown_path
from asnfp.fast.drivers import Options, Tally, generate_per_candidate
from asnfp.io import file_name
from asnfp.plumbing import unique
from asnfp.row import Row
from asnfp.rule import Registry, Rule, replace

__all__ = ("Verdict", "Explanation", "why_missed", "nearness", "explain_rows", "describe", "rows_named",
           "rows_asked")

_WIDTH = 40  # a condition longer than this is cut at an alternative and shown with "..."


class Verdict(NamedTuple):
    """What became of a row with one rule: ``status`` is ``joined``, ``miss``,
    ``dropped`` or ``matched``, ``detail`` the one-line reason (or the files)."""

    rule: str
    status: str
    detail: str


class Explanation(NamedTuple):
    """A row, the written association files that hold it, and a verdict per rule."""

    row: Row
    files: tuple[str, ...]
    verdicts: tuple[Verdict, ...]


# --------------------------------------------------------------------------- misses


def _short(condition: str | Iterable[object], pinned: bool = False) -> str:
    text = condition if isinstance(condition, str) else "|".join(map(str, condition))
    text = re.sub(r"\\(.)", r"\1", text) if pinned else text  # a pinned value is kept escaped
    if len(text) <= _WIDTH:
        return text
    head = text[:_WIDTH]
    return (head[: head.rfind("|")] if "|" in head else head) + "|..."


def _quoted(text: str) -> str:
    """A value in quotes, as written (``repr`` would double every backslash)."""
    return f'"{text}"' if "'" in text else f"'{text}'"


def _attr_miss(leaf: AttrLeaf, bindings: Bindings, row: Row) -> str | None:
    if leaf.onlyif is not None and not leaf.onlyif(bindings, row):
        return None
    state = bindings.state(leaf)
    label = leaf.name or "|".join(state.sources)
    found = first_valid(row, tuple(state.sources), leaf.invalid)
    if found is None:
        if not leaf.required or leaf.force_undefined:
            return None
        seen = [f"{c}={_quoted(str(row.get(c)))}" for c in state.sources if row.get(c) is not None]
        return f"miss at {label}: no value in {'|'.join(state.sources)}" + (f" ({', '.join(seen)})" if seen else "")
    column, value = found
    if leaf.force_undefined:
        return f"miss at {label}: {column} is {_quoted(value)}, and must be absent"
    condition = cast(Condition, state.value)  # (an attribute leaf's value: a condition, or the text it pinned)
    if callable(condition):
        condition = condition(bindings)
    if condition is None:  # (a cell of several values, read as a literal: each is offered again)
        return f"miss at {label}: {column} holds several values, {_quoted(value)}"
    if state.value is not leaf.initial.value:
        return f"miss at {label}: {_quoted(value)} is not the value it pinned, {_quoted(_short(condition, True))}"
    return f"miss at {label}: {_quoted(value)} does not match {_quoted(_short(condition))}"


def _value_miss(leaf: ValueLeaf, bindings: Bindings, row: Row) -> str:
    got = leaf.source(bindings, row)
    wanted = bindings.state(leaf).value
    if got is row or (wanted is True and got is False):
        return f"miss at {leaf.describe()}: false for this row"
    return f"miss at {leaf.describe()}: got {got!r}, wants {wanted!r}"


def _label(constraint: Constraint, bindings: Bindings, row: Row) -> str:
    if isinstance(constraint, AttrLeaf):
        found = first_valid(row, tuple(bindings.state(constraint).sources), constraint.invalid)
        name = constraint.name or "|".join(constraint.initial.sources)
        return f"{name} ({found[0]}={_quoted(found[1])})" if found else name
    text = constraint.name or described(constraint)
    return text if len(text) <= 2 * _WIDTH else text[: 2 * _WIDTH] + "..."


def _count(constraint: Constraint) -> int:
    return sum(1 for _ in leaves(constraint))


def _why(constraint: Constraint, bindings: Bindings, row: Row) -> tuple[str | None, int]:
    """The reason ``constraint`` misses (``None`` when it matches) and how many leaves
    matched before the miss (to tell the branch of an ``any`` that came nearest)."""
    if constraint(bindings, row).matched:
        return None, _count(constraint)
    if isinstance(constraint, AttrLeaf):
        return _attr_miss(constraint, bindings, row) or f"miss at {_label(constraint, bindings, row)}", 0
    if isinstance(constraint, ValueLeaf):
        return _value_miss(constraint, bindings, row), 0
    if not isinstance(constraint, Node):
        return f"miss at {_label(constraint, bindings, row)}", 0
    if not constraint.parts:
        return f"miss at {_label(constraint, bindings, row)}: it has no parts", 0
    if constraint.kind in ("notany", "notall"):
        return _negated_miss(constraint, bindings, row), 0
    if constraint.kind == "all":
        return _all_miss(constraint, bindings, row)
    return _any_miss(constraint, bindings, row)


def _all_miss(node: Node, bindings: Bindings, row: Row) -> tuple[str | None, int]:
    progress = 0
    for part in node.parts:
        out = part(bindings, row)
        if not out.matched:
            reason, more = _why(part, bindings, row)
            return reason, progress + more
        bindings = out.bindings
        progress += _count(part)
    return f"miss at {_label(node, bindings, row)}", progress


def _any_miss(node: Node, bindings: Bindings, row: Row) -> tuple[str | None, int]:
    best: tuple[str | None, int] = (None, -1)
    for part in node.parts:
        reason, progress = _why(part, bindings, row)
        if progress >= best[1]:
            best = (reason, progress)
        bindings = part(bindings, row).bindings
    return best


def _negated_miss(node: Node, bindings: Bindings, row: Row) -> str:
    matched = [p for p in node.parts if p(bindings, row).matched]
    what = ", ".join(_label(p, bindings, row) for p in matched[:1] or node.parts)
    return f"miss at {node.name or 'not_' + node.kind[3:]}: it matched {what}"


def why_missed(constraint: Constraint, row: Row, bindings: Bindings = NO_BINDINGS) -> str | None:
    """Say why ``row`` misses ``constraint`` (under ``bindings``), in one line: the leaf
    that missed and the value the row has there; ``None`` when it matches. Under an
    ``any``, the branch whose leaves matched furthest is the one told.

    >>> from asnfp.constraints import all_of, any_of, attr, not_any
    >>> from asnfp.row import make_row
    >>> row = make_row(0, {"exp_type": "nrs_msaspec", "filter": "null", "tsovisit": "t"})
    >>> why_missed(attr("exp_type", "exp_type", "nrc_image|mir_image"), row)
    "miss at exp_type: 'nrs_msaspec' does not match 'nrc_image|mir_image'"
    >>> why_missed(attr("opt_elem", "filter", invalid=frozenset({"null"})), row)
    "miss at opt_elem: no value in filter (filter='null')"
    >>> why_missed(not_any(attr("tso", "tsovisit", "t")), row)
    "miss at not_any: it matched tso (tsovisit='t')"
    >>> why_missed(any_of(attr("a", "exp_type", "x"), all_of(attr("b", "exp_type"), attr("c", "filter", "f.*"))), row)
    "miss at c: 'null' does not match 'f.*'"
    >>> why_missed(attr("exp_type", "exp_type"), row) is None
    True
    """
    return _why(constraint, bindings, row)[0]


def nearness(constraint: Constraint, row: Row, bindings: Bindings = NO_BINDINGS) -> int:
    """How many leaves of ``constraint`` matched ``row`` before it missed (all of them
    when it matches): of several rules that miss a row, the one that came nearest.

    >>> from asnfp.constraints import all_of, attr
    >>> from asnfp.row import make_row
    >>> row = make_row(0, {"exp_type": "nrc_image", "filter": "f150w"})
    >>> nearness(all_of(attr("e", "exp_type", "nrc_image"), attr("f", "filter", "f200w")), row)
    1
    """
    return _why(constraint, bindings, row)[1]


# --------------------------------------------------------------------------- runs


def _holding(asns: Iterable[Association]) -> dict[int, list[Association]]:
    by_row: dict[int, list[Association]] = {}
    for asn in asns:
        for index in unique(row.index for row in member_rows(asn)):
            by_row.setdefault(index, []).append(asn)
    return by_row


def _expnames(asn: Association) -> frozenset[str]:
    return frozenset(m.expname for m in members(asn))


def _why_dropped(asn: Association, written: Sequence[tuple[Association, str]]) -> str:
    if not is_valid(asn):
        failed = [check.name for ok, check in zip(asn.validity, asn.rule.validity, strict=False) if not ok]
        return f"not valid ({', '.join(failed)} never passed)" if failed else "never started"
    if asn.rule.finalize(asn) is None:
        return "dropped by the rule's finalization"
    names = _expnames(asn)
    same = next((name for other, name in written if _expnames(other) == names), None)
    if same is not None:
        return f"the same members as {same}"
    within = next((name for other, name in written if names <= _expnames(other)), None)
    if within is not None:
        return f"only members of {within}"
    return "left out by finalization"


def _dropped(asns: Sequence[Association], written: Sequence[tuple[Association, str]]) -> str:
    """``matched, but not written: REASON (ids); ...``, one group per reason."""
    by_reason: dict[str, list[str]] = {}
    for asn in asns:
        label = f"{asn.asn_id} {asn.rule.asn_type}"
        ids = by_reason.setdefault(_why_dropped(asn, written), [])
        if label not in ids:
            ids.append(label)
    return "matched, but not written: " + "; ".join(f"{why} ({', '.join(ids)})" for why, ids in by_reason.items())


def _verdict(rule: Rule, row: Row, written: Sequence[tuple[Association, str]],
             made: Callable[[], Sequence[Association]]) -> Verdict:
    files = tuple(unique(name for asn, name in written if asn.rule.name == rule.name))
    if files:
        return Verdict(rule.name, "joined", "joined " + ", ".join(files))
    reason = why_missed(rule.constraint, row)
    if reason is not None:
        return Verdict(rule.name, "miss", reason)
    dropped = [asn for asn in made() if asn.rule.name == rule.name]
    if dropped:
        return Verdict(rule.name, "dropped", _dropped(dropped, written))
    return Verdict(rule.name, "matched", "matches on its own, but none of its associations took it")


def explain_rows(make_registry: Callable[[str | None], Registry], rows: Sequence[Row],
                 indexes: Iterable[int] | None, options: Options = Options(), *,
                 rules: Sequence[str] | None = None, fmt: str = "json",
                 progress: Callable[[Tally], None] | None = None) -> list[Explanation]:
    """Explain the rows at ``indexes`` (0-based; ``None``: every row that no written
    association holds) of a pool generated with ``make_registry`` and ``options``: each
    row gets a :class:`Verdict` for every rule (or for the rules named in ``rules``).
    The pool is generated as written, and once more without finalization only when a
    row matches a rule that wrote no association holding it. ``progress`` is told how far
    each generation is (:func:`asnfp.fast.drivers.run_folds_of`; what it raises stops it).

    >>> from functools import partial
    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import Rule, registry
    >>> by_filter = Rule(name="ByFilter", asn_type="image3", level=3, constraint=attr("f", "filter"))
    >>> rows = [make_row(i, cells) for i, cells in enumerate(({"filter": "f560w", "asn_candidate": "null"},) * 2
    ...                                                       + ({"asn_candidate": "null"},))]
    >>> explain = partial(explain_rows, lambda name: registry([by_filter], name=name), rows)
    >>> [e.verdicts[0].status for e in explain([0, 1])], [e.row.index for e in explain(None)]
    (['joined', 'joined'], [2])
    """
    finished = [a for a in generate_per_candidate(make_registry, rows, options, progress=progress) if is_valid(a)]
    names = {id(asn): file_name(asn, fmt) for asn in finished}
    written_by_row = _holding(finished)

    @cache
    def made_by_row() -> dict[int, list[Association]]:
        return _holding(generate_per_candidate(make_registry, rows, replace(options, finalize=False),
                                               progress=progress))

    def made_at(index: int) -> Sequence[Association]:
        return made_by_row().get(index, [])

    chosen = [r for r in make_registry(None).rules if rules is None or r.name in rules]
    if indexes is None:
        indexes = [i for i in range(len(rows)) if i not in written_by_row]
    out = []
    for index in indexes:
        row = rows[index]
        holding = sorted(((asn, names[id(asn)]) for asn in written_by_row.get(index, [])), key=lambda w: w[1])
        verdicts = tuple(_verdict(rule, row, holding, partial(made_at, index)) for rule in chosen)
        out.append(Explanation(row, tuple(name for _, name in holding), verdicts))
    return out


def rows_named(rows: Sequence[Row], name: str) -> list[int]:
    """The 0-based indexes of the rows whose ``filename`` is ``name`` (any case), or,
    when none is, of those whose file name contains it.

    >>> from asnfp.row import make_row
    >>> rows = [make_row(i, {"filename": f"jw_{i}_uncal.fits"}) for i in range(3)]
    >>> rows_named(rows, "JW_1_UNCAL.FITS"), rows_named(rows, "_2_"), rows_named(rows, "nothing")
    ([1], [2], [])
    """
    wanted = name.lower()
    exact = [r.index for r in rows if r.get("filename") == wanted]
    return exact or [r.index for r in rows if wanted in (r.get("filename") or "")]


def rows_asked(rows: Sequence[Row], numbers: Sequence[int] | None, names: Sequence[str] | None,
               pool: str = "pool") -> list[int]:
    """The 0-based indexes of the rows asked for: by number (counted from 1) or by file
    name (:func:`rows_named`, each name's rows in turn, once each); ``[]`` when neither
    is given (every orphan is meant). A number with no row, or a name no row has, is a
    :class:`~asnfp.errors.UsageError` naming the ``pool``.

    >>> from asnfp.row import make_row
    >>> rows = [make_row(i, {"filename": f"jw_{i}_uncal.fits"}) for i in range(3)]
    >>> rows_asked(rows, [3, 1], None), rows_asked(rows, None, ["_2_", "jw_2"]), rows_asked(rows, None, None)
    ([2, 0], [2], [])
    >>> rows_asked(rows, [4], None, "p.csv")
    Traceback (most recent call last):
      ...
    asnfp.errors.UsageError: p.csv: no row 4 (the pool has rows 1 to 3)
    """
    if numbers:
        bad = [n for n in numbers if not 1 <= n <= len(rows)]
        if bad:
            raise UsageError(f"{shown_path(pool)}: no row {bad[0]} (the pool has rows 1 to {len(rows)})")
        return [n - 1 for n in numbers]
    if names:
        found = {name: rows_named(rows, name) for name in names}
        missing = [name for name, hits in found.items() if not hits]
        if missing:
            raise UsageError(f"{shown_path(pool)}: no row with file name {missing[0]!r}")
        return list(unique(index for hits in found.values() for index in hits))
    return []


# --------------------------------------------------------------------------- text


def describe(explanation: Explanation) -> str:
    """The explanation as text: a line for the row (``row N``, counted from 1 as in
    asnfp's errors: ``Row.index`` 4 is row 5) and the files holding it, then a line per
    rule.

    >>> from asnfp.row import make_row
    >>> print(describe(Explanation(make_row(4, {"filename": "jw_5_uncal.fits"}), ("a_asn.json",),
    ...                            (Verdict("R", "joined", "joined a_asn.json"),))))
    row 5 (jw_5_uncal.fits): in 1 written association: a_asn.json
      R: joined a_asn.json
    """
    row = explanation.row
    head = f"row {row.index + 1} ({row.get('filename') or 'no file name'})"
    files = explanation.files
    where = (f"in {len(files)} written association{'s' if len(files) != 1 else ''}: {', '.join(files)}"
             if files else "in no written association")
    return "\n".join([f"{head}: {where}", *(f"  {v.rule}: {v.detail}" for v in explanation.verdicts)])
