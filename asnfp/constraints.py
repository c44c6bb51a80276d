"""Constraints: pure functions ``(Bindings, Row) -> Outcome`` that combine with all/any.

A constraint never changes anything: checking one returns an :data:`Outcome`, either a
:class:`Match` carrying the new :class:`Bindings` (what the association has fixed so far,
e.g. "the filter is f560w") or a :class:`Miss` naming the leaf that missed. Both may carry
re-process :class:`Request` values, asking the engine to offer the row again later.

The semantics are those of the reference generator's constraint trees, quirks included:

* an attribute leaf reads the first *valid* column of its ``sources``; on its first
  match it *pins*: later rows must then show the same value in the same column;
* regex conditions are anchored as ``^`` + pattern + ``$`` without a group, so in
  ``a|b|c`` every alternative but the last is a prefix match (:func:`meets_conditions`);
* ``all_of`` and ``any_of`` with no children miss; ``all_of`` stops at the first miss that
  asks for no re-processing; ``any_of`` keeps the first match;
* what a losing branch fixed stays fixed when the whole check matches (a :class:`Miss`
  carries bindings too); the engine discards everything when the whole check misses.

A constraint prints two ways: ``repr`` (:meth:`~Constraint.expression`), one line with
every leaf spelled out, and :meth:`~Constraint.describe`, an indented tree in the words
of the source, where a constraint a named block made (:func:`made_by`) is that block's
call and a function its name (:func:`describe_rule` prints a rule so).

>>> row = make_row(0, {"filter": "f560w", "pupil": "null"})
>>> c = all_of(attr("opt_elem", ("filter",)), attr("opt_elem2", ("pupil",), required=False))
>>> out = c(NO_BINDINGS, row)
>>> out.matched, found_values(out.bindings, c, "opt_elem")
(True, ('f560w',))
>>> c(out.bindings, make_row(1, {"filter": "f770w"})).matched
False
"""

from __future__ import annotations

import os
import re
from ast import literal_eval
from collections.abc import Callable, Iterator, Sequence
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, Protocol, TypeAlias, TypeVar, Union, cast

from asnfp.caches import forgettable
from asnfp.row import Row, RowLike, as_row, make_row, with_cell  # noqa: F401  (make_row: doctests)

__all__ = (
    "Category",
    "literal",
    "Request",
    "Bindings",
    "NO_BINDINGS",
    "LeafState",
    "described",
    "Match",
    "Miss",
    "Outcome",
    "Constraint",
    "Leaf",
    "AttrLeaf",
    "ValueLeaf",
    "Node",
    "attr",
    "value_leaf",
    "lift",
    "always",
    "all_of",
    "any_of",
    "not_any",
    "not_all",
    "as_constraint",
    "check",
    "holds",
    "meets_conditions",
    "first_valid",
    "find",
    "leaves",
    "found_values",
    "pinned",
    "is_iterable",
    "evaluate_cell",
    "NO_INVALID",
    "Block",
    "labelled",
    "made_by",
    "function_name",
    "summary",
    "TreeNode",
    "constraint_tree",
    "RuleLike",
    "describe_rule",
)


class Category(IntEnum):
    """Where a re-processed row goes: the reference's ``ListCategory``.

    >>> [c.name for c in Category]
    ['RULES', 'BOTH', 'EXISTING', 'NONSCIENCE']
    """

    RULES = 0
    BOTH = 1
    EXISTING = 2
    NONSCIENCE = 3


class Request(NamedTuple):
    """A request to offer ``rows`` again: to existing associations, rules, or both.

    ``rules`` is ``None`` for "the rule that asked", ``()`` for "every rule", or rule names.

    >>> Request((), Category.EXISTING).key
    (None, <Category.EXISTING: 2>, False)
    """

    rows: tuple[Row, ...]
    work_over: Category
    rules: tuple[str, ...] | None = None
    only_on_match: bool = False

    @property
    def key(self) -> tuple[tuple[str, ...] | None, Category, bool]:
        """What the work queue merges waiting requests on (rules, category, flag)."""
        return (self.rules, self.work_over, self.only_on_match)


class LeafState(NamedTuple):
    """What one leaf has fixed: its condition, the columns it reads, and values seen.

    >>> LeafState(None, ("filter",), True, ()).pins
    True
    """

    value: object  # (a condition, or a pinned value: any value a value leaf's test takes)
    sources: tuple[str, ...]
    pins: bool
    found: tuple[object, ...]  # (what the sources gave: text, or any value of a value leaf's source)
    matched: bool = False


class Bindings:
    """An immutable map ``leaf -> LeafState`` plus named facts about the association.

    Facts (string keys, e.g. ``"has_science"``) are what rules read of the association
    itself; leaf states are what the constraint tree fixed.

    >>> b = NO_BINDINGS.with_fact("has_science", True)
    >>> b.fact("has_science"), NO_BINDINGS.fact("has_science")
    (True, None)
    """

    __slots__ = ("_map", "_hash")

    def __init__(self, mapping: dict[Leaf | str, object] | None = None) -> None:
        # (a leaf's state under the leaf, a fact's value, of any type, under its name)
        self._map: dict[Leaf | str, LeafState | object] = mapping if mapping is not None else {}
        self._hash: int | None = None

    def state(self, leaf: Leaf) -> LeafState:
        """Return the state of ``leaf``: its own initial state until it first matches."""
        return self._map.get(leaf, leaf.initial)  # type: ignore[return-value]  # (a leaf's key holds its LeafState)

    def with_state(self, leaf: Leaf, state: LeafState) -> Bindings:
        """Return new bindings where ``leaf`` has ``state``; ``self`` is left as it was."""
        return Bindings({**self._map, leaf: state})

    def items(self) -> Iterator[tuple[Leaf | str, LeafState | object]]:
        """Iterate over ``(leaf or fact name, state or value)`` pairs: a leaf's
        :class:`LeafState`, a fact's value of any type (a caller's ``isinstance`` of the
        key tells which)."""
        return iter(self._map.items())

    def fact(self, name: str, default: object = None) -> object:
        """Return the association fact ``name`` (``default`` when not set)."""
        return self._map.get(name, default)

    def with_fact(self, name: str, value: object) -> Bindings:
        """Return new bindings with the fact ``name`` set to ``value``."""
        if self._map.get(name, _NOTHING) == value and name in self._map:
            return self
        return Bindings({**self._map, name: value})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Bindings):
            return self._map == other._map
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._map.items()))
        return self._hash

    def __repr__(self) -> str:
        parts = [
            f"{getattr(k, 'name', None) or k}={v.value!r}" if isinstance(v, LeafState) else f"{k}={v!r}"
            for k, v in self._map.items()
        ]
        return "Bindings(" + ", ".join(parts) + ")"


_NOTHING: Final = object()
NO_BINDINGS: Final = Bindings()


if TYPE_CHECKING:  # what mypy reads: ``matched`` a literal, so that testing it narrows an Outcome

    class Match(NamedTuple):
        bindings: Bindings
        reprocess: tuple[Request, ...] = ()

        @property
        def matched(self) -> Literal[True]: ...

        @property
        def leaf(self) -> None: ...

    class Miss(NamedTuple):
        bindings: Bindings
        leaf: Constraint
        reprocess: tuple[Request, ...] = ()

        @property
        def matched(self) -> Literal[False]: ...

else:  # what runs: the same fields, and class attributes (no property: outcomes are read in the innermost loops)

    class Match(NamedTuple):
        """A matched check: the bindings after it, and the re-process requests it made.

        ``matched`` is ``True`` and ``leaf`` is ``None``, both class attributes (nothing
        more to build per outcome): so ``check(...).leaf`` reads, and type-checks, on
        either outcome (``Constraint | None``), and ``if not out.matched:`` narrows an
        :data:`Outcome` to a :class:`Miss` for a type checker (``matched`` is typed
        ``Literal[True]`` here, ``Literal[False]`` on a miss).

        >>> Match._fields, Match.matched, Match.leaf
        (('bindings', 'reprocess'), True, None)
        """

        bindings: Bindings
        reprocess: tuple[Request, ...] = ()

        #: Always ``True``; lets callers test ``outcome.matched``.
        matched = True
        #: Always ``None``: no leaf missed.
        leaf = None

    class Miss(NamedTuple):
        """A missed check: the leaf (or node) that missed, the bindings the evaluated
        branches left, and any re-process requests (the reference keeps those even on a
        miss). ``repr(miss.leaf)`` reads like the call that built it.

        >>> Miss._fields, Miss.matched
        (('bindings', 'leaf', 'reprocess'), False)
        """

        bindings: Bindings
        leaf: Constraint
        reprocess: tuple[Request, ...] = ()

        #: Always ``False``.
        matched = False


Outcome: TypeAlias = Union[Match, Miss]  # noqa: UP007  (a run-time alias, a typing.Union object as written: hot module, left as is)

# Outcomes are made once per leaf checked: the hot paths build them with the tuple's own
# constructor, ``_new(Match, (bindings, reprocess))``, not the named tuple's ``__new__``.
_new: Final = tuple.__new__

# (a run-time alias, a typing.Union object as written: hot module, left as is)
Condition: TypeAlias = Union[None, str, Sequence[str], Callable[[Bindings], Union[str, Sequence[str]]]]  # noqa: UP007, RUF036
RowTest: TypeAlias = Callable[[Bindings, Row], bool]

NO_INVALID: Final[frozenset[str]] = frozenset()


# --------------------------------------------------------------------------- helpers


_escape: Final = lru_cache(maxsize=65536)(re.escape)


#: The most conditions whose regex or matcher is kept (pinned conditions hold a row's
#: values: a long-lived process, such as the service, meets ever new ones).
_CONDITIONS_KEPT: Final = 1 << 16


@lru_cache(maxsize=_CONDITIONS_KEPT)
def _anchored(condition: str) -> re.Pattern[str]:
    return re.compile("^" + condition + "$", re.IGNORECASE)


#: ``condition -> match`` of the anchored regex, for the conditions met so far (a dict
#: look-up is cheaper than the call of a cached function); emptied when it holds
#: :data:`_CONDITIONS_KEPT`.
_MATCHERS: Final[dict[str, Callable[[str], object]]] = {}


_ESCAPED: Final = re.compile(r"\\(.)")


def _literal(condition: str) -> str | None:
    """The lower-case text that an ASCII condition without any regex syntax (a plain
    word, or a pinned value, which is escaped) stands for; ``None`` for any other."""
    if not condition.isascii():
        return None
    text = _ESCAPED.sub(r"\1", condition)
    return text.lower() if re.escape(text) == condition else None


def _literal_matcher(literal: str, condition: str) -> Callable[[str], object]:
    """The anchored regex's ``match`` for a literal, without compiling it: for ASCII text,
    ``^literal$`` with ``IGNORECASE`` matches exactly the literal in any case, with or
    without one trailing newline (``$`` matches before it); other text goes to the regex.

    >>> match = _literal_matcher("f150w", "f150w")
    >>> [match(t) is not None for t in ("f150w", "F150W", "f150w\\n", "f150wx", "f15", "f150w\\n\\n")]
    [True, True, True, False, False, False]
    """
    size = len(literal)

    def match(text: str) -> object:
        if text == literal:
            return True
        if not text.isascii():
            return _anchored(condition).match(text)
        if len(text) == size:
            return True if text.lower() == literal else None
        if len(text) == size + 1 and text[-1] == "\n":
            return True if text[:-1].lower() == literal else None
        return None

    return match


def _matcher(condition: str) -> Callable[[str], object]:
    if len(_MATCHERS) >= _CONDITIONS_KEPT:
        _MATCHERS.clear()
    literal = _literal(condition)
    found = _MATCHERS[condition] = (_anchored(condition).match if literal is None
                                    else _literal_matcher(literal, condition))
    return found


def meets_conditions(value: str, conditions: str | Sequence[str]) -> bool:
    """Tell whether ``value`` matches one of the regex ``conditions``, anchored as the
    reference anchors them: ``^`` + condition + ``$`` with no group around it.

    >>> meets_conditions("nrc_imagex", "nrc_image|mir_image")   # a prefix match
    True
    >>> meets_conditions("mir_imagex", "nrc_image|mir_image")   # the last alternative is anchored
    False
    >>> meets_conditions("F560W", ["f770w", "f560w"])
    True
    """
    if isinstance(conditions, str):
        return (_MATCHERS.get(conditions) or _matcher(conditions))(value) is not None
    return any(_anchored(c).match(value) is not None for c in conditions)


def is_iterable(value: object) -> bool:
    """Tell whether a cell value holds several values (lists, sets; not str or tuple).

    >>> is_iterable([1]), is_iterable("ab"), is_iterable(("a", "b"))
    (True, False, False)
    """
    return not isinstance(value, (str, tuple)) and hasattr(value, "__iter__")


def literal(text: str) -> object:
    """``ast.literal_eval(text)``, without the warning Python gives for an unknown escape
    in a string (a cell such as ``'a\\p'``: a ``DeprecationWarning``, printed as a
    ``SyntaxWarning`` from Python 3.12 on); the same value and the same errors.

    >>> literal("[('o001', 'observation')]"), literal("'a\\\\p'")
    ([('o001', 'observation')], 'a\\\\p')
    """
    if "\\" not in text:
        return literal_eval(text)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return literal_eval(text)


@lru_cache(maxsize=65536)
def evaluate_cell(text: str) -> object:
    """Evaluate a cell as a Python literal, or give the text back when it is not one.
    Cached: the value given back is shared, never to be changed.

    >>> evaluate_cell("[('o001', 'observation')]"), evaluate_cell("null")
    ([('o001', 'observation')], 'null')
    """
    try:
        return literal_eval(text) if "\\" not in text else literal(text)  # (no call more per cell)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def first_valid(row: Row, sources: Sequence[str], invalid: frozenset[str]) -> tuple[str, str] | None:
    """Return ``(column, value)`` of the first column of ``sources`` that the row has
    with a value not in ``invalid``; ``None`` when there is none.

    >>> first_valid(make_row(0, {"filter": "null", "band": "short"}), ("filter", "band"), frozenset({"null"}))
    ('band', 'short')
    """
    cells = row.cells
    for column in sources:
        value = cells.get(column)
        if value is not None and value not in invalid:
            return column, value
    return None


# --------------------------------------------------------------------------- constraints


class Constraint:
    """Base of every constraint: a name, ``__call__``, a one-line :meth:`expression`
    and a :meth:`describe` that prints it as a tree.

    Constraints hash by identity: a leaf *is* the key of its own state in
    :class:`Bindings`, so building a leaf twice gives two independent leaves. The
    ``block`` slot (see :func:`labelled`) says which named block made a constraint; it
    is read only to print the constraint, and it is left unset (no cost to build) on
    the constraints no block made.
    """

    __slots__ = ("name", "block")
    name: str | None
    block: Block

    def __call__(self, bindings: Bindings, row: Row) -> Outcome:
        raise NotImplementedError

    def expression(self) -> str:
        """Return the whole constraint as one line, every leaf spelled out (what an
        association file's ``constraints`` holds, and ``repr``); a subclass that does
        not say more prints as its class and name."""
        return f"{type(self).__name__}({getattr(self, 'name', None) or ''})"

    def describe(self, width: int = 100, *, expand: bool = False) -> str:
        """Return the constraint as an indented tree, one line per node or leaf (two
        spaces a level), in the words of the source: a constraint a named block made
        (:func:`labelled`) prints as that block's call, ``is_image()``, and a function
        by its name. A line longer than ``width`` goes on in lines four spaces deeper.
        ``expand`` prints what each block is made of, after its call and `` = ``.

        >>> print(all_of(attr("a", "a"), not_any(attr("b", "b", "x|y")), name="top").describe())
        all_of name=top
          attr(a: a)
          not_any
            attr(b: b ~ 'x|y')
        """
        return "\n".join(_tree_lines(self, width, expand))

    def __repr__(self) -> str:
        return self.expression()

    def children(self) -> tuple[Constraint, ...]:
        """Return the direct sub-constraints (none for a leaf)."""
        return ()


@lru_cache(maxsize=65536)
def described(constraint: Constraint) -> str:
    """``constraint.expression()``, once per tree: trees never change, and every file an
    association writes spells its rule's tree out.

    >>> described(attr("f", "filter", "f150w"))
    "attr(f: filter ~ 'f150w')"
    """
    return constraint.expression()


class Leaf(Constraint):
    """A constraint with state of its own (kept in :class:`Bindings`)."""

    __slots__ = ("initial",)
    initial: LeafState


def _flags(**flags: object) -> str:
    return "".join(f"; {k}" if v is True else f"; {k}={v}" for k, v in flags.items() if v)


class AttrLeaf(Leaf):
    """The reference's attribute leaf (``AttrConstraint``). Build it with :func:`attr`."""

    __slots__ = (
        "evaluate",
        "required",
        "force_undefined",
        "onlyif",
        "invalid",
        "reprocess",
        "only_on_match",
        "is_acid",
        "tracks",
    )

    def __init__(
        self,
        name: str | None,
        sources: tuple[str, ...],
        value: Condition,
        *,
        evaluate: bool,
        pins: bool,
        required: bool,
        force_undefined: bool,
        onlyif: RowTest | None,
        invalid: frozenset[str],
        reprocess: Category | None,
        only_on_match: bool,
        is_acid: bool,
        tracks: bool = False,
    ) -> None:
        self.name = name
        self.initial = LeafState(value, sources, pins, ())
        self.tracks = tracks
        self.evaluate = evaluate
        self.required = required
        self.force_undefined = force_undefined
        self.onlyif = onlyif
        self.invalid = invalid
        self.reprocess = reprocess
        self.only_on_match = only_on_match
        self.is_acid = is_acid

    def expression(self) -> str:
        value = self.initial.value
        cond = "" if value is None else (f" ~ {function_name(value)}(...)" if callable(value) else f" ~ {value!r}")
        flags = _flags(
            keep=not self.initial.pins,
            opt=not self.required,
            undef=self.force_undefined,
            onlyif=self.onlyif is not None and function_name(self.onlyif),
            rp=self.reprocess is not None and self.reprocess.name,
            eval=self.evaluate,
        )
        return f"attr({self.name or '-'}: {'|'.join(self.initial.sources)}{cond}{flags})"

    def _again(self, row: Row) -> tuple[Request, ...]:
        if self.reprocess is None:
            return ()
        return (_new(Request, ((row,), self.reprocess, None, self.only_on_match)),)

    def __call__(self, bindings: Bindings, row: Row) -> Outcome:
        # (the check itself: a leaf that tracks its last answer is a _TrackingLeaf)
        if self.onlyif is not None and not self.onlyif(bindings, row):
            return _new(Match, (bindings, self._again(row)))
        state: LeafState = bindings._map.get(self) or self.initial  # type: ignore[assignment]  # (a leaf's key holds its LeafState)
        cells = row.cells
        invalid = self.invalid
        for source in state.sources:  # the first valid column
            text = cells.get(source)
            if text is not None and text not in invalid:
                break
        else:
            if self.required and not self.force_undefined:
                return _new(Miss, (bindings, self, ()))
            return _new(Match, (bindings, ()))
        if self.force_undefined:
            return _new(Miss, (bindings, self, ()))
        if self.evaluate:
            return self._evaluated(bindings, row, state, source, evaluate_cell(text))
        condition: Condition = state.value  # type: ignore[assignment]  # (an attribute leaf's value is a Condition)
        if condition is not None:
            if type(condition) is str:  # the common case: one regex (a pinned value too)
                match = _MATCHERS.get(condition) or _matcher(condition)
                if match(text) is None:
                    return _new(Miss, (bindings, self, ()))
            else:
                if callable(condition):
                    condition = condition(bindings)
                if not meets_conditions(text, condition):
                    return _new(Miss, (bindings, self, ()))
        return self._matched(bindings, row, state, source, text, ())

    def _evaluated(self, bindings: Bindings, row: Row, state: LeafState, source: str, evaled: object) -> Outcome:
        """The check of a cell read as a Python literal (it may hold several values)."""
        again: tuple[Request, ...] = ()
        condition: Condition = state.value  # type: ignore[assignment]  # (an attribute leaf's value is a Condition)
        if condition is None:
            if is_iterable(evaled):
                return Miss(bindings, self, (_multivalue(row, source, evaled),))  # type: ignore[arg-type]  # (is_iterable: a list or set)
            value = str(evaled)
        else:
            if callable(condition):
                condition = condition(bindings)
            candidates = list(evaled) if is_iterable(evaled) else [evaled]  # type: ignore[call-overload]  # (is_iterable: a list or set)
            for candidate in candidates:
                value = str(candidate)
                if meets_conditions(value, condition):
                    break
            else:
                return _new(Miss, (bindings, self, ()))
            rest = [other for other in candidates if other != candidate]
            if rest:
                again = (_multivalue(row, source, rest),)
        return self._matched(bindings, row, state, source, value, again)

    def _matched(self, bindings: Bindings, row: Row, state: LeafState, source: str, value: str,
                 again: tuple[Request, ...]) -> Outcome:
        """A match on ``value`` (read from ``source``): pin it, or note it as found."""
        escaped = _escape(value)
        found = state.found
        new_found = found if escaped in found else found + (escaped,)
        if state.pins:
            new_state = _new(LeafState, (escaped, (source,), False, new_found, False))
        elif new_found is found:
            new_state = state
        else:
            new_state = _new(LeafState, (state.value, state.sources, state.pins, new_found, state.matched))
        if new_state is not state:
            bindings = bindings.with_state(self, new_state)
        if self.reprocess is not None:
            again += self._again(row)
        return _new(Match, (bindings, again))


class _TrackingLeaf(AttrLeaf):
    """An attribute leaf that keeps, in its state, whether its last check matched."""

    __slots__ = ()

    def __call__(self, bindings: Bindings, row: Row) -> Outcome:
        out = AttrLeaf.__call__(self, bindings, row)
        state = out.bindings.state(self)
        return out._replace(bindings=out.bindings.with_state(self, state._replace(matched=out.matched)))


def _multivalue(row: Row, source: str, values: Sequence[object]) -> Request:
    return Request(tuple(with_cell(row, source, str(v)) for v in values), Category.BOTH)


class ValueLeaf(Leaf):
    """The reference's simple value leaf (``SimpleConstraint``). Build it with
    :func:`value_leaf` or :func:`lift`."""

    __slots__ = ("source", "test", "on_match", "on_fail", "work_over", "rules", "label", "note", "columns")

    def __init__(
        self,
        name: str | None,
        value: object,
        source: Callable[[Bindings, Row], object],
        test: Callable[[object, object], bool],  # (takes the value and what the source gave: value_leaf types them)
        *,
        pins: bool,
        on_match: bool,
        on_fail: bool,
        work_over: Category,
        rules: tuple[str, ...] | None,
        label: str,
        note: tuple[str, Callable[[Bindings, Row], object]] | None = None,
        columns: tuple[str, ...] | None = None,
    ) -> None:
        self.name = name
        self.initial = LeafState(value, (), pins, ())
        self.note = note
        self.columns = columns
        self.source = source
        self.test = test
        self.on_match = on_match
        self.on_fail = on_fail
        self.work_over = work_over
        self.rules = rules
        self.label = label

    def expression(self) -> str:
        return self.label

    def __call__(self, bindings: Bindings, row: Row) -> Outcome:
        if self.note is not None:
            fact, compute = self.note
            bindings = bindings.with_fact(fact, compute(bindings, row))
        state = bindings.state(self)
        got = self.source(bindings, row)
        satisfied = state.value is None or self.test(state.value, got)
        again: tuple[Request, ...] = ()
        if (satisfied and self.on_match) or (not satisfied and self.on_fail):
            again = (_new(Request, ((row,), self.work_over, self.rules, False)),)
        if not satisfied:
            return _new(Miss, (bindings, self, again))
        value = got if state.pins else state.value
        if value != state.value or value not in state.found:
            found = state.found if value in state.found else state.found + (value,)
            bindings = bindings.with_state(self, _new(LeafState, (value, (), state.pins, found, False)))
        return _new(Match, (bindings, again))


_REDUCERS: Final = ("all", "any", "notany", "notall")


class Node(Constraint):
    """An inner node: ``all``, ``any``, ``notany`` or ``notall`` over its parts, with an
    optional name and the reference's node-level re-process flags."""

    __slots__ = ("kind", "parts", "on_match", "on_fail", "work_over", "rules", "_reduce", "written")
    #: The parts as the source wrote them, when they differ from ``parts``: a node a
    #: named block made and :func:`all_of` flattened stays one part here, to print.
    #: Unset (nothing to build) when they are the parts; read only to print.
    written: tuple[Constraint, ...]

    def __init__(
        self,
        kind: str,
        parts: tuple[Constraint, ...],
        *,
        name: str | None = None,
        on_match: bool = False,
        on_fail: bool = False,
        work_over: Category = Category.BOTH,
        rules: tuple[str, ...] | None = None,
    ) -> None:
        if kind not in _REDUCERS:
            raise ValueError(f"unknown reducer {kind!r}")
        self.name = name
        self.kind = kind
        self.parts = parts
        self.on_match = on_match
        self.on_fail = on_fail
        self.work_over = work_over
        self.rules = rules
        self._reduce = _reduce_all if kind == "all" else _reduce_any if kind == "any" else _reduce_not

    @property
    def plain(self) -> bool:
        """True when the node has no name and no flags, so it may be flattened."""
        return self.name is None and not (self.on_match or self.on_fail)

    def children(self) -> tuple[Constraint, ...]:
        return self.parts

    def expression(self) -> str:
        label = f"{self.name}=" if self.name else ""
        inner = ", ".join(described(p) for p in self.parts)
        return f"{label}{self.kind}({inner}{self._flags()})"

    def _flags(self) -> str:
        return _flags(rp_on_match=self.on_match and self.work_over.name,
                      rp_on_fail=self.on_fail and self.work_over.name)

    def __call__(self, bindings: Bindings, row: Row) -> Outcome:
        out = self._reduce(self, bindings, row)
        if not (self.on_match or self.on_fail):
            return out
        if (out.matched and self.on_match) or (not out.matched and self.on_fail):
            extra = Request((row,), self.work_over, self.rules)
            return out._replace(reprocess=out.reprocess + (extra,))
        return out


def _reduce_all(node: Node, bindings: Bindings, row: Row) -> Outcome:
    if not node.parts:
        return _new(Miss, (bindings, node, ()))
    collected: tuple[Request, ...] = ()
    first_miss: Miss | None = None
    for part in node.parts:
        out = part(bindings, row)
        bindings = out.bindings
        if out.matched:
            if first_miss is None and out.reprocess:
                collected += out.reprocess
        elif not out.reprocess:
            return _new(Miss, (bindings, out.leaf, ()))
        elif first_miss is None:
            first_miss = out
    if first_miss is None:
        return _new(Match, (bindings, collected))
    return Miss(bindings, first_miss.leaf, first_miss.reprocess)


def _reduce_any(node: Node, bindings: Bindings, row: Row) -> Outcome:
    if not node.parts:
        return _new(Miss, (bindings, node, ()))
    collected: tuple[Request, ...] = ()
    leaf: Constraint = node
    for part in node.parts:
        out = part(bindings, row)
        bindings = out.bindings
        if out.matched:
            return _new(Match, (bindings, out.reprocess))
        if out.reprocess:
            collected += out.reprocess
        leaf = out.leaf
    return _new(Miss, (bindings, leaf, collected))


def _reduce_not(node: Node, bindings: Bindings, row: Row) -> Outcome:
    """``notany`` and ``notall``: the other answer of ``any`` and ``all``."""
    inner = (_reduce_any if node.kind == "notany" else _reduce_all)(node, bindings, row)
    if not inner.matched:
        return Match(inner.bindings, inner.reprocess)
    return Miss(inner.bindings, node, inner.reprocess)


# --------------------------------------------------------------------------- constructors


def attr(
    name: str | None,
    sources: str | Sequence[str],
    value: Condition = None,
    *,
    pins: bool = True,
    required: bool = True,
    force_undefined: bool = False,
    onlyif: RowTest | None = None,
    evaluate: bool = False,
    invalid: frozenset[str] = NO_INVALID,
    reprocess: Category | None = None,
    only_on_match: bool = False,
    is_acid: bool = False,
    tracks: bool = False,
) -> AttrLeaf:
    """Build an attribute leaf: the first valid column of ``sources`` must meet ``value``.

    ``value`` is ``None`` (any valid value), a regex, a list of regexes, or a function of
    the bindings giving one. ``pins`` fixes the first matched value and column (the
    reference's ``force_unique``); ``required=False`` lets a missing value pass;
    ``force_undefined`` matches only when no valid value exists; ``onlyif(b, row)`` false
    makes the leaf match without reading the row; ``reprocess`` asks for the row again;
    ``tracks`` keeps, in its state, whether its last check matched (``state.matched``).

    >>> leaf = attr("instrument", "instrume")
    >>> b = leaf(NO_BINDINGS, make_row(0, {"instrume": "miri"})).bindings
    >>> pinned(b, leaf), leaf(b, make_row(1, {"instrume": "nircam"})).matched
    ('miri', False)
    >>> attr("imprint", "is_imprt", force_undefined=True)(NO_BINDINGS, make_row(0, {})).matched
    True
    """
    columns = (sources,) if isinstance(sources, str) else tuple(sources)
    if isinstance(value, list):
        value = tuple(value)
    return (_TrackingLeaf if tracks else AttrLeaf)(
        name,
        columns,
        value,
        evaluate=evaluate,
        pins=pins,
        required=required,
        force_undefined=force_undefined,
        onlyif=onlyif,
        invalid=invalid,
        reprocess=reprocess,
        only_on_match=only_on_match,
        is_acid=is_acid,
        tracks=tracks,
    )


_Wanted = TypeVar("_Wanted")
_Got = TypeVar("_Got")


def _equal(expected: object, got: object) -> bool:
    return bool(expected == got)


def value_leaf(
    name: str | None,
    source: Callable[[Bindings, Row], _Got],
    value: _Wanted | None = None,
    *,
    test: Callable[[_Wanted, _Got], bool] = _equal,
    pins: bool = True,
    on_match: bool = False,
    on_fail: bool = False,
    work_over: Category = Category.BOTH,
    rules: tuple[str, ...] | None = None,
    label: str | None = None,
    note: tuple[str, Callable[[Bindings, Row], object]] | None = None,
    columns: tuple[str, ...] | None = None,
) -> ValueLeaf:
    """Build a simple value leaf: ``test(value, source(b, row))``, any value when
    ``value`` is ``None``; on a match it pins ``value`` to what the source gave.
    ``note=(fact, f)`` records ``f(b, row)`` as an association fact at every check.
    ``columns`` declares that the source reads only these cells of the row (never the
    bindings): with the default test, the leaf can then be tested on its own (see
    :mod:`asnfp.fast.gates`).

    >>> leaf = value_leaf("target", lambda b, row: "000")
    >>> b = leaf(NO_BINDINGS, make_row(0, {})).bindings
    >>> b.state(leaf).found
    ('000',)
    """
    reads = "" if _is_lambda(source) else f": {function_name(source)}"
    text = label or f"value({name or '-'}{reads}{'' if value is None else ' == ' + repr(value)})"
    return ValueLeaf(
        name,
        value,
        source,
        # (the leaf calls the test with its value, or the value it pinned, and what the source gave)
        cast("Callable[[object, object], bool]", test),
        pins=pins,
        on_match=on_match,
        on_fail=on_fail,
        work_over=work_over,
        rules=rules,
        label=text,
        note=note,
        columns=columns,
    )


def lift(predicate: Callable[[Row], bool], name: str | None = None) -> ValueLeaf:
    """Make a stateless leaf from a plain ``Row -> bool`` predicate.

    >>> is_nircam = lift(lambda row: row.get("instrume") == "nircam", "is_nircam")
    >>> is_nircam(NO_BINDINGS, make_row(0, {"instrume": "nircam"})).matched
    True
    >>> is_nircam, lift(is_iterable)
    (is_nircam, is_iterable)
    """
    label = name or function_name(predicate)
    return value_leaf(name, lambda b, row: row, True, test=lambda _v, row: bool(predicate(row)),
                      pins=False, label=label)


def always(name: str | None = None) -> ValueLeaf:
    """A leaf that always matches.

    >>> always()(NO_BINDINGS, make_row(0, {})).matched
    True
    """
    return value_leaf(name, lambda b, row: True, None, pins=False, label=name or "always")


def as_constraint(x: Constraint | Callable[[Row], bool]) -> Constraint:
    """Coerce a constraint or a ``Row -> bool`` predicate into a constraint.

    >>> as_constraint(lambda row: True)(NO_BINDINGS, make_row(0, {})).matched
    True
    >>> as_constraint(3)
    Traceback (most recent call last):
    TypeError: cannot make a constraint from int
    """
    if isinstance(x, Constraint):
        return x
    if callable(x):
        return lift(x)
    raise TypeError(f"cannot make a constraint from {type(x).__name__}")


def check(constraint: Constraint | Callable[[Row], bool], row: RowLike,
          bindings: Bindings | None = None) -> Outcome:
    """Check one row against a constraint and return the :data:`Outcome`; ``row`` may be
    a pool row or any mapping (a plain ``dict``: names and cells are lower-cased as a
    pool's are), ``bindings`` what an association has fixed so far (none by default).
    ``check(...).leaf`` is the leaf (or node) that missed, ``None`` on a match; after
    ``if not out.matched:`` a type checker knows ``out`` is a :class:`Miss`.

    >>> is_f150w = attr("filter", "filter", "f150w")
    >>> out = check(is_f150w, {"FILTER": "F150W"})
    >>> out.matched, found_values(out.bindings, is_f150w, "filter")
    (True, ('f150w',))
    >>> check(is_f150w, {"filter": "f444w"}).leaf, check(is_f150w, {"filter": "f150w"}).leaf
    (attr(filter: filter ~ 'f150w'), None)
    """
    return as_constraint(constraint)(NO_BINDINGS if bindings is None else bindings, as_row(row))


def holds(constraint: Constraint | Callable[[Row], bool], row: RowLike,
          bindings: Bindings | None = None) -> bool:
    """Tell whether ``row`` (a pool row or a plain mapping) satisfies ``constraint``:
    ``check(constraint, row, bindings).matched``.

    >>> nircam_image = all_of(attr("instrument", "instrume", "nircam"), attr("exp_type", "exp_type", "nrc_image"))
    >>> holds(nircam_image, {"instrume": "NIRCAM", "exp_type": "NRC_IMAGE"}), holds(nircam_image, {"instrume": "miri"})
    (True, False)
    """
    return check(constraint, row, bindings).matched


def _combine(kind: str, parts: Sequence[Constraint | Callable[[Row], bool]], name: str | None, on_match: bool,
             on_fail: bool, work_over: Category, rules: tuple[str, ...] | None) -> Node:
    flat: list[Constraint] = []
    written: list[Constraint] = []  # (what to print: a flattened block stays one part)
    for part in map(as_constraint, parts):
        if kind == "all" and isinstance(part, Node) and part.kind == "all" and part.plain and part.parts:
            flat.extend(part.parts)
            written.extend((part,) if hasattr(part, "block") else getattr(part, "written", part.parts))
        else:
            flat.append(part)
            written.append(part)
    node = Node(kind, tuple(flat), name=name, on_match=on_match, on_fail=on_fail, work_over=work_over, rules=rules)
    if len(written) != len(flat) or any(w is not f for w, f in zip(written, flat)):
        node.written = tuple(written)
    return node


def all_of(*parts: Constraint | Callable[[Row], bool], name: str | None = None, on_match: bool = False,
           on_fail: bool = False, work_over: Category = Category.BOTH,
           rules: tuple[str, ...] | None = None) -> Node:
    """Match when every part matches, each under the bindings its predecessors left.

    Misses when empty; stops at the first miss that asks for no re-processing. Nested
    plain, non-empty ``all_of`` nodes are flattened (which changes nothing; an empty one
    misses, so it stays). The keywords: ``name``, and
    ``on_match``/``on_fail`` with ``work_over`` and ``rules`` (node re-process flags).

    >>> row = make_row(0, {"a": "1", "b": "2"})
    >>> all_of(attr("a", "a"), attr("b", "b"))(NO_BINDINGS, row).matched
    True
    >>> all_of()(NO_BINDINGS, row).matched
    False
    >>> all_of(attr("a", "a", "2"), attr("b", "b"))(NO_BINDINGS, row).leaf
    attr(a: a ~ '2')
    """
    return _combine("all", parts, name, on_match, on_fail, work_over, rules)


def any_of(*parts: Constraint | Callable[[Row], bool], name: str | None = None, on_match: bool = False,
           on_fail: bool = False, work_over: Category = Category.BOTH,
           rules: tuple[str, ...] | None = None) -> Node:
    """Match when some part matches, keeping the first match; misses when empty.

    >>> row = make_row(0, {"a": "1"})
    >>> any_of(attr("x", "a", "2"), attr("y", "a", "1"))(NO_BINDINGS, row).matched
    True
    >>> any_of()(NO_BINDINGS, row).matched
    False
    """
    return _combine("any", parts, name, on_match, on_fail, work_over, rules)


def not_any(*parts: Constraint | Callable[[Row], bool], name: str | None = None, on_match: bool = False,
            on_fail: bool = False, work_over: Category = Category.BOTH,
            rules: tuple[str, ...] | None = None) -> Node:
    """Match exactly when :func:`any_of` over the same parts misses.

    >>> not_any(attr("bkg", "bkgdtarg"))(NO_BINDINGS, make_row(0, {"bkgdtarg": "t"})).matched
    False
    """
    return _combine("notany", parts, name, on_match, on_fail, work_over, rules)


def not_all(*parts: Constraint | Callable[[Row], bool], name: str | None = None, on_match: bool = False,
            on_fail: bool = False, work_over: Category = Category.BOTH,
            rules: tuple[str, ...] | None = None) -> Node:
    """Match exactly when :func:`all_of` over the same parts misses.

    >>> not_all(attr("a", "a"), attr("b", "b"))(NO_BINDINGS, make_row(0, {"a": "1"})).matched
    True
    """
    return _combine("notall", parts, name, on_match, on_fail, work_over, rules)


# --------------------------------------------------------------------------- inspection


@lru_cache(maxsize=4096)
def _walked(constraint: Constraint) -> tuple[Constraint, ...]:
    """The tree in depth-first order, a node before its parts (trees never change, so
    each tree is walked once)."""
    return (constraint, *(c for part in constraint.children() for c in _walked(part)))


@lru_cache(maxsize=65536)
def _named(constraint: Constraint, name: str) -> Constraint | None:
    return next((c for c in _walked(constraint) if c.name == name), None)


def _walk(constraint: Constraint) -> Iterator[Constraint]:
    return iter(_walked(constraint))


def leaves(constraint: Constraint) -> Iterator[Leaf]:
    """Yield the leaves of a constraint tree, depth first, left to right.

    >>> [leaf.name for leaf in leaves(all_of(attr("a", "a"), any_of(attr("b", "b"))))]
    ['a', 'b']
    """
    return (c for c in _walk(constraint) if isinstance(c, Leaf))


def find(constraint: Constraint, name: str) -> Constraint | None:
    """Return the first node or leaf called ``name``, depth first (a node before its
    parts), as the reference's ``tree[name]`` does; ``None`` when there is none.

    >>> find(all_of(attr("a", "x"), attr("b", "y")), "b")
    attr(b: y)
    """
    return _named(constraint, name)


def found_values(bindings: Bindings, constraint: Constraint, name: str) -> tuple[object, ...]:
    """Return the values that the first leaf called ``name`` has seen (``()`` if none).

    >>> c = attr("f", "filter", pins=False)
    >>> b = c(c(NO_BINDINGS, make_row(0, {"filter": "a"})).bindings, make_row(1, {"filter": "b"})).bindings
    >>> found_values(b, c, "f")
    ('a', 'b')
    """
    leaf = find(constraint, name)
    if not isinstance(leaf, Leaf):
        return ()
    return tuple(bindings.state(leaf).found)


def pinned(bindings: Bindings, leaf: Leaf) -> object:
    """Return the value ``leaf`` is pinned to (unescaped), or ``None`` when not pinned.

    >>> leaf = attr("slit", "fxd_slit")
    >>> pinned(leaf(NO_BINDINGS, make_row(0, {"fxd_slit": "s200a1"})).bindings, leaf)
    's200a1'
    """
    state = bindings.state(leaf)
    if not leaf.initial.pins or state.pins or state.value is None or callable(state.value):
        return None
    value = state.value
    return _unescape(value) if isinstance(value, str) and isinstance(leaf, AttrLeaf) else value


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)




# --------------------------------------------------------------------------- printing


class Block:
    """The named block that made a constraint, as :meth:`Constraint.describe` prints it:
    ``call``, the block's call as the source writes it (``same_target()``,
    ``target(level3_exptype)``), and ``shown``, the constraints the block was given,
    printed under it (``science(...)`` over a rule's own constraint). The call of a block
    marked by :func:`made_by` is written when first read (catalogues mark hundreds of
    constraints when they are imported, and print few).

    >>> Block("same_target()").call, Block.of("is_filter", ("f150w",), {}).call
    ('same_target()', "is_filter('f150w')")
    """

    __slots__ = ("_args", "_call", "_name", "_options", "shown")

    def __init__(self, call: str, shown: tuple[Constraint, ...] = ()) -> None:
        self._call: str | None = call
        self._name = call
        self._args: tuple[object, ...] = ()
        self._options: dict[str, object] = {}
        self.shown = shown

    @classmethod
    def of(cls, name: str, args: tuple[object, ...], options: dict[str, object]) -> Block:
        """The block of a call of ``name`` with ``args`` and ``options`` (the constraints
        among the ``args`` shown under it)."""
        block = cls(name, tuple(a for a in args if isinstance(a, Constraint)))
        block._call, block._args, block._options = None, args, options
        return block

    @property
    def call(self) -> str:
        """The call as the source writes it."""
        if self._call is None:
            words = [*map(_argument, self._args), *(f"{k}={_argument(v)}" for k, v in self._options.items())]
            self._call = f"{self._name}({', '.join(words)})"
        return self._call


_C = TypeVar("_C", bound=Constraint)


def labelled(constraint: _C, call: str, *shown: Constraint) -> _C:
    """Mark ``constraint`` as made by the block whose call is ``call`` (given the
    constraints ``shown``), for :meth:`~Constraint.describe` to print; the constraint
    itself, which checks rows as before, is returned. :func:`made_by` writes the call.

    >>> print(labelled(attr("instrument", "instrume", "miri"), "is_miri()").describe())
    is_miri()
    """
    constraint.block = Block(call, shown)
    return constraint


def made_by(constraint: _C, block: str, *args: object, **options: object) -> _C:
    """Mark ``constraint`` as made by calling the block function named ``block`` with
    ``args`` and ``options``: it prints as that call (``same_target()``,
    ``exp_type_is('nrc_image')``, a function by its name); a constraint among the
    ``args`` prints as ``...`` in the call and in full under it. Return the constraint,
    marked (as a leaf holds state, a block makes a fresh constraint at each call).

    >>> def is_filter(value):
    ...     return made_by(attr("filter", "filter", value), "is_filter", value)
    >>> print(all_of(is_filter("f150w"), lift(is_iterable)).describe())
    all_of
      is_filter('f150w')
      is_iterable
    >>> print(made_by(all_of(attr("p", "program"), is_filter("f150w")), "mine", is_filter("f200w")).describe())
    mine(...)
      is_filter('f200w')
    """
    constraint.block = Block.of(block, args, options)
    return constraint


def _argument(value: object) -> str:
    if isinstance(value, Constraint):
        return "..."
    if isinstance(value, Category):
        return f"{type(value).__name__}.{value.name}"
    if callable(value) and not isinstance(value, type):
        return function_name(value)
    return repr(value)


def _is_lambda(function: object) -> bool:
    return getattr(function, "__name__", None) == "<lambda>"


def function_name(function: object) -> str:
    """The name a function prints by: its ``__qualname__`` (its ``__name__`` when it was
    made inside another function), and for a lambda, ``lambda at FILE:LINE``.

    >>> function_name(attr), function_name(Bindings.fact), function_name(lambda row: True)[:10]
    ('attr', 'Bindings.fact', 'lambda at ')
    """
    if _is_lambda(function):
        code = getattr(function, "__code__", None)
        return "lambda" if code is None else f"lambda at {os.path.basename(code.co_filename)}:{code.co_firstlineno}"
    name = getattr(function, "__qualname__", None)
    if not isinstance(name, str) or "<locals>" in name:
        name = getattr(function, "__name__", None)
    if isinstance(name, str):
        return name
    inner = getattr(function, "func", None)  # (a functools.partial)
    return f"partial({function_name(inner)})" if inner is not None else type(function).__name__


_KIND_WORDS: Final = {"all": "all_of", "any": "any_of", "notany": "not_any", "notall": "not_all"}


def _head(constraint: Constraint, expand: bool) -> tuple[str, tuple[Constraint, ...]]:
    """The line of one constraint in its tree, and the constraints printed under it."""
    block: Block | None = getattr(constraint, "block", None)
    if block is not None and not expand:
        return block.call, block.shown
    if isinstance(constraint, Node):
        name = f" name={constraint.name}" if constraint.name else ""
        text = _KIND_WORDS.get(constraint.kind, constraint.kind) + name + constraint._flags().replace(";", "")
        parts: tuple[Constraint, ...] = getattr(constraint, "written", constraint.parts)
    else:
        text, parts = described(constraint), constraint.children()
    return (text if block is None else f"{block.call} = {text}"), parts


def _tree_lines(constraint: Constraint, width: int, expand: bool, depth: int = 0) -> list[str]:
    text, under = _head(constraint, expand)
    lines = _wrapped("  " * depth, text, width)
    for part in under:
        lines += _tree_lines(part, width, expand, depth + 1)
    return lines


class TreeNode(NamedTuple):
    """One line of a constraint's tree (:meth:`Constraint.describe`) and the nodes under
    it: the tree as data."""

    text: str
    parts: tuple[TreeNode, ...]


def constraint_tree(constraint: Constraint, *, expand: bool = False) -> TreeNode:
    """The constraint's tree as :meth:`Constraint.describe` prints it (a block by its
    call; ``expand``: also what each block is made of), as nested :class:`TreeNode`.

    >>> tree = constraint_tree(all_of(attr("f", "filter"), lift(is_iterable)))
    >>> tree.text, [part.text for part in tree.parts]
    ('all_of', ['attr(f: filter)', 'is_iterable'])
    """
    text, under = _head(constraint, expand)
    return TreeNode(text, tuple(constraint_tree(part, expand=expand) for part in under))


def _wrapped(indent: str, text: str, width: int) -> list[str]:
    """``indent + text``, cut into lines of at most ``width`` (at least 20 characters of
    text a line) after a ``, ``, a ``|`` or a space where there is one, each line after
    the first four spaces deeper than the first.

    >>> _wrapped("  ", "attr(e: exp_type ~ 'nrc_image|mir_image|nis_image')", 34)
    ["  attr(e: exp_type ~ 'nrc_image|", "      mir_image|nis_image')"]
    """
    lines: list[str] = []
    lead = indent
    while len(text) > (room := max(width - len(lead), 20)):
        cut = max(text.rfind(", ", 0, room - 1) + 2, text.rfind("|", 0, room) + 1, text.rfind(" ", 0, room + 1))
        if cut < room // 2:
            cut = room
        lines.append(lead + text[:cut].rstrip())
        text = text[cut:].lstrip()
        lead = indent + "    "
    lines.append(lead + text)
    return lines


def _inline(constraint: Constraint) -> str:
    """A constraint on one line, short: blocks by their call, an attribute leaf by its
    name (or columns) and condition.

    >>> _inline(made_by(all_of(attr("p", "program")), "wrap", any_of(attr("a", "a", "x"), attr("b", "b"))))
    "wrap(any_of(a ~ 'x', b))"
    """
    block: Block | None = getattr(constraint, "block", None)
    if block is not None:
        text = block.call
        for part in block.shown:
            text = text.replace("...", _inline(part), 1)
        return text
    if isinstance(constraint, Node):
        parts: tuple[Constraint, ...] = getattr(constraint, "written", constraint.parts)
        return f"{_KIND_WORDS.get(constraint.kind, constraint.kind)}({', '.join(map(_inline, parts))})"
    if isinstance(constraint, AttrLeaf):
        value = constraint.initial.value
        cond = "" if value is None else f" ~ {function_name(value) if callable(value) else repr(value)}"
        return f"{constraint.name or '|'.join(constraint.initial.sources)}{cond}"
    return described(constraint)


def summary(constraint: Constraint, width: int = 60) -> str:
    """The constraint in one line of at most ``width`` characters (cut, with ``...``):
    the parts of its top node, a block by its call; a block given a constraint (as
    ``science(...)`` is given a Level-3 rule's own) is summed up by that constraint.

    >>> summary(all_of(labelled(attr("f", "filter"), "same_filter()"), any_of(attr("p", "pupil", "clear"))))
    "same_filter(), any_of(p ~ 'clear')"
    >>> summary(all_of(attr("filter", "filter"), attr("pupil", "pupil", "clear")), 18)
    'filter, pupil ~...'
    """
    top = constraint
    block: Block | None = getattr(top, "block", None)
    while block is not None and len(block.shown) == 1:
        top = block.shown[0]
        block = getattr(top, "block", None)
    if block is None and isinstance(top, Node) and top.kind == "all" and top.parts:
        text = ", ".join(map(_inline, getattr(top, "written", top.parts)))
    else:
        text = _inline(top)
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


class RuleLike(Protocol):
    """What :func:`describe_rule` reads of a rule (an :class:`asnfp.rule.Rule`)."""

    @property
    def name(self) -> str: ...

    @property
    def level(self) -> int: ...

    @property
    def asn_type(self) -> str: ...

    @property
    def constraint(self) -> Constraint: ...


def describe_rule(rule: RuleLike, width: int = 100, *, expand: bool = False) -> str:
    """A rule as ``asnfp rules -k NAME`` prints it: its name, level and ``asn_type``, then
    its constraint's tree (:meth:`Constraint.describe`) two spaces in.

    >>> from asnfp.rule import Rule
    >>> print(describe_rule(Rule(name="Asn_Mine", asn_type="image3", level=3,
    ...                          constraint=all_of(attr("f", "filter"), lift(is_iterable)))))
    Asn_Mine  level 3  image3
      all_of
        attr(f: filter)
        is_iterable
    """
    tree = _tree_lines(rule.constraint, width, expand, 1)
    return "\n".join([f"{rule.name}  level {rule.level}  {rule.asn_type}", *tree])


forgettable(described, _walked, _named)  # (see asnfp.caches)
