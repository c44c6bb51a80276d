"""Rules as values: a frozen spec per association rule, and an ordered :class:`Registry`.

A rule says which rows it accepts (its constraint), what kind of association it makes
(``asn_type``, the file ``level``), how a row becomes a member, how the product is named,
which validity checks the association must pass, and how it is finalized. Variants are
made with :func:`msgspec.structs.replace`, never by subclassing:

>>> from asnfp.constraints import attr
>>> base = Rule(name="Asn_Base", asn_type="image2", level=2, constraint=attr("p", "program"))
>>> variant = replace(base, name="Asn_Variant")
>>> base.name, variant.name, variant.asn_type
('Asn_Base', 'Asn_Variant', 'image2')
"""

from __future__ import annotations

import os
import sys
import types
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from msgspec.structs import replace

from asnfp.constraints import Bindings, Constraint, Leaf, Node, all_of, describe_rule, find  # noqa: F401  (all_of: doctests)
from asnfp.errors import AsnfpError, shown_path
from asnfp.product import Member, Product
from asnfp.row import Row

if TYPE_CHECKING:  # the association's own type: a rule's hooks take one (no arrow at run time)
    from asnfp.association import Association

__all__ = ("Rule", "Check", "is_valid", "candidate_type_check", "Registry", "replace", "with_global", "registry",
           "lookup", "load_rules", "load_rule_files", "RulesFileError")

_T = TypeVar("_T")


class RulesFileError(AsnfpError):
    """A rules file (``-r``) that cannot be used: ``file``, and ``message``, what is wrong
    (one line).

    >>> str(RulesFileError("my_rules.py", "defines no rules"))
    'my_rules.py: defines no rules'
    """

    def __init__(self, file: str, message: str) -> None:
        self.file, self.message = file, message
        super().__init__(f"{shown_path(file)}: {message}")


class Check(msgspec.Struct, frozen=True):
    """A validity check: once ``test(association, member)`` is true for some added
    member, it stays true (the reference's sticky validity tests).

    ``passes_for(kind)``, when given, tells whether the check can pass at all for an
    association whose candidate type (lower case: ``observation``, ``discovered``, ...)
    is ``kind``. Where it cannot, every association of the rule is invalid, and a run
    whose associations all have that type may leave the rule out (:mod:`asnfp.fast.futile`).
    It must never say no where ``test`` could say yes (a law test checks the catalogue's).
    """

    name: str
    test: Callable[[Association, Member], bool]
    passes_for: Callable[[str], bool] | None = None


def candidate_type_check(name: str, allowed: Callable[[str], bool]) -> Check:
    """A check on the association's candidate type alone (lower case), which says so.

    >>> from asnfp.association import Association
    >>> from asnfp.constraints import attr
    >>> c = candidate_type_check("is_mosaic", lambda kind: kind == "mosaic")
    >>> r = Rule(name="R", asn_type="t", level=3, constraint=attr("a", "a"), validity=(c,))
    >>> c.test(Association(rule=r, ruleset=None, acid_type="MOSAIC"), None), c.passes_for("discovered")
    (True, False)
    """
    return Check(name, lambda asn, member: allowed(asn.acid_type.lower()), passes_for=allowed)


def _plain_member(asn: Association, row: Row) -> Member:
    name = row.get("filename") or f"row{row.index}"
    return Member(name, asn.rule.exptype(asn.bindings, row), row.get("exposerr"), None, row)


def _one_product(asn: Association, row: Row) -> Association:
    from asnfp.naming import acid_from

    acid = acid_from(asn.bindings, asn.rule.constraint)
    asn = replace(asn, asn_id=acid.id, acid_type=acid.type)
    return replace(asn, products=(Product(asn.rule.product_name(asn)),))


def _unchanged(asn: Association, row: Row) -> Association:
    return asn


def _science(bindings: Bindings, row: Row) -> str:
    return "science"


def _unnamed(asn: Association) -> str:
    return "undefined"


def is_valid(asn: Association) -> bool:
    """Tell whether an association may be written: it has been started (so it has its
    products) and each of its rule's validity checks has passed for some member.

    >>> from asnfp.association import Association
    >>> from asnfp.constraints import always
    >>> is_valid(Association(rule=Rule(name="R", asn_type="t", level=2, constraint=always()), ruleset=None))
    False
    """
    return asn.started and all(asn.validity)


def _keep_valid(asn: Association) -> tuple[Association, ...] | None:
    return (asn,) if is_valid(asn) else None


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    """An association rule, as data.

    Fields: ``name`` (the reference's class name), ``asn_type``, ``level`` (2 or 3: the
    file layout), ``constraint``; the hooks ``exptype(bindings, row)`` (a member's
    exposure type), ``make_member(asn, row)``,
    ``on_create(asn, row)`` (first row), ``on_add(asn, row)`` (after each member),
    ``product_name(asn)``, ``finalize(asn)`` (run on valid associations only, since an
    invalid one is dropped; ``None`` drops it too, else the associations that replace
    it); ``validity`` checks; ``check_before_append``
    (Level 3 runs validity before appending the member, Level 2 after); ``tags``;
    ``force_match``, a leaf whose value, once set, replaces the "taken" answer of a
    check (the reference's ``force_match`` leaf); ``sticky``, association facts that a
    missed check still updates (the reference keeps them on the association object);
    ``origin``, the rules file the rule was loaded from (set by :func:`load_rules`;
    ``None`` for a rule made in code, such as the catalogue's).
    """

    name: str
    asn_type: str
    level: int
    constraint: Constraint
    exptype: Callable[[Bindings, Row], str] = _science
    make_member: Callable[[Association, Row], Member] = _plain_member
    on_create: Callable[[Association, Row], Association] = _one_product
    on_add: Callable[[Association, Row], Association] = _unchanged
    product_name: Callable[[Association], str] = _unnamed
    validity: tuple[Check, ...] = ()
    finalize: Callable[[Association], tuple[Association, ...] | None] = _keep_valid
    check_before_append: bool = False
    tags: frozenset[str] = frozenset()
    force_match: Leaf | None = None
    sticky: tuple[str, ...] = ()
    creation: Constraint | None = None
    origin: str | None = None

    def describe(self, width: int = 100, *, expand: bool = False) -> str:
        """The rule as ``asnfp rules -k NAME`` prints it: name, level and ``asn_type``,
        then its constraint as an indented tree, in the words of the blocks that made it
        (``expand``: what each block is made of too), lines at most ``width`` wide.

        >>> from asnfp.constraints import attr
        >>> print(Rule(name="Asn_Mine", asn_type="image3", level=3, constraint=attr("f", "filter")).describe())
        Asn_Mine  level 3  image3
          attr(f: filter)
        """
        return describe_rule(self, width, expand=expand)


def with_global(rule: Rule, leaf: Leaf) -> Rule:
    """Return ``rule`` with ``leaf`` appended as the last part of its top node, as the
    reference appends its global (candidate) constraint.

    >>> from asnfp.constraints import attr
    >>> r = Rule(name="R", asn_type="t", level=2, constraint=all_of(attr("a", "a"), attr("b", "b")))
    >>> [part.name for part in with_global(r, attr("asn_candidate", "asn_candidate")).constraint.parts]
    ['a', 'b', 'asn_candidate']
    """
    top = rule.constraint
    if isinstance(top, Node) and top.kind == "all":
        new_top: Constraint = Node(
            "all",
            top.parts + (leaf,),
            name=top.name,
            on_match=top.on_match,
            on_fail=top.on_fail,
            work_over=top.work_over,
            rules=top.rules,
        )
    else:
        new_top = Node("all", (top, leaf))
    return replace(rule, constraint=new_top)


class Registry(msgspec.Struct, frozen=True):
    """An ordered, immutable collection of rules, with the finalize callbacks that run
    over the associations they made, the ruleset name (``candidate``, ``discover``)
    that prefixes each rule's name in ``asn_rule``, the cell values that mean "absent"
    to the leaves the drivers add (the candidate constraint), ``number``, which
    gives associations their numbers in creation order (before any finalization), and
    ``shows_creation_numbers``: the finalizers write some associations under those
    numbers (a debug run's duplicate files), so a run may not leave out the rules
    whose associations finalization drops (:mod:`asnfp.fast.futile`), since they count."""

    rules: tuple[Rule, ...]
    finalizers: tuple[Callable[[list[Association]], list[Association]], ...] = ()
    merge: Callable[[list[Association]], list[Association]] | None = None
    name: str | None = None
    empty: frozenset[str] = frozenset()
    number: Callable[[list[Association]], list[Association]] | None = None
    shows_creation_numbers: bool = False

    def rule_name(self, rule: Rule) -> str:
        """Return the name written as ``asn_rule``: ``{ruleset}_{rule}`` or the bare name.

        >>> from asnfp.constraints import attr
        >>> r = Rule(name="Asn_X", asn_type="t", level=2, constraint=attr("a", "a"))
        >>> Registry((r,), name="candidate").rule_name(r)
        'candidate_Asn_X'
        """
        return f"{self.name}_{rule.name}" if self.name else rule.name


def registry(
    rules: Iterable[Rule],
    *,
    finalizers: Sequence[Callable[[list[Association]], list[Association]]] = (),
    merge: Callable[[list[Association]], list[Association]] | None = None,
    name: str | None = None,
    empty: frozenset[str] = frozenset(),
    number: Callable[[list[Association]], list[Association]] | None = None,
    shows_creation_numbers: bool = False,
) -> Registry:
    """Build a registry, keeping the rules' order; a later rule of the same name
    replaces an earlier one in place (as the reference's registry does), unless both
    come from rules files (see :func:`load_rule_files`): that is a :class:`RulesFileError`.

    >>> from asnfp.constraints import attr
    >>> a = Rule(name="A", asn_type="t", level=2, constraint=attr("a", "a"))
    >>> b = Rule(name="B", asn_type="t", level=2, constraint=attr("b", "b"))
    >>> [r.name for r in registry([a, b, replace(a, asn_type="u")]).rules]
    ['A', 'B']
    >>> registry([replace(a, origin="one.py"), replace(a, origin="two.py")])
    Traceback (most recent call last):
    asnfp.rule.RulesFileError: two.py: defines rule 'A', as one.py does (two rules files may not define one name)
    """
    by_name = _by_name(rules)
    return Registry(tuple(by_name.values()), tuple(finalizers), merge, name, empty, number,
                    shows_creation_numbers)


def _by_name(rules: Iterable[Rule]) -> dict[str, Rule]:
    """The rules by name, in order, a later one replacing an earlier one of its name in
    place; but two rules of one name that both come from rules files are an error."""
    by_name: dict[str, Rule] = {}
    for rule in rules:
        earlier = by_name.get(rule.name)
        if earlier is not None and earlier.origin is not None and rule.origin is not None:
            raise _clash(rule.name, earlier.origin, rule.origin)
        by_name[rule.name] = rule
    return by_name


def _clash(name: str, first: str, second: str) -> RulesFileError:
    if first == second:
        return RulesFileError(second, f"defines rule {name!r} twice (is the file given twice?)")
    return RulesFileError(second, f"defines rule {name!r}, as {first} does (two rules files may "
                                  "not define one name)")


def lookup(rule: Rule, name: str) -> Constraint | None:
    """Return the first part of ``rule``'s constraint called ``name`` (depth first).

    >>> from asnfp.constraints import attr
    >>> lookup(Rule(name="R", asn_type="t", level=2, constraint=all_of(attr("x", "a"))), "x")
    attr(x: a)
    """
    return find(rule.constraint, name)


def _asnfp_rule_ids() -> set[int]:
    """The rules asnfp's own modules define: bound at their top level, or in a tuple or
    list there (a catalogue's ``RULES``)."""
    ids = set()
    for name, module in list(sys.modules.items()):
        if name == "asnfp" or name.startswith("asnfp."):
            for value in vars(module).values():
                if isinstance(value, Rule):
                    ids.add(id(value))
                elif isinstance(value, (tuple, list)):
                    ids.update(id(v) for v in value if isinstance(v, Rule))
    return ids


def load_rules(path: str | os.PathLike[str]) -> tuple[Rule, ...]:
    """Load the rules a Python file defines: its ``RULES`` sequence if it has one, else
    every :class:`Rule` value at its top level that asnfp itself does not define (so an
    imported base such as ``LEVEL3``, or a catalogue rule bound to derive another from
    it, is not a rule of the file), in the order they were bound; each gets the file as
    its ``origin``. The file is run as a fresh module (nothing is registered anywhere,
    and nothing is written beside it).

    Whatever goes wrong is a :class:`RulesFileError`, one line naming the file: not a
    regular file, an exception (even ``SystemExit``) while it runs (its type, message
    and line in the file; a ``KeyboardInterrupt`` stays one), no rules, or two
    rules of one name.

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "my_rules.py"
    >>> _ = f.write_text("from asnfp.rule import Rule\\nfrom asnfp.constraints import attr\\n"
    ...                  "BY_FILTER = Rule(name='Asn_ByFilter', asn_type='image3', level=3, "
    ...                  "constraint=attr('f', 'filter'))\\n")
    >>> [(r.name, r.origin == str(f)) for r in load_rules(f)]
    [('Asn_ByFilter', True)]
    >>> _ = f.write_text("x = 1\\ny = 1 / 0\\n")
    >>> load_rules(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    asnfp.rule.RulesFileError: .../my_rules.py: cannot load the rules: ZeroDivisionError: division by zero (line 2)
    """
    file = Path(os.path.expandvars(os.path.expanduser(os.fspath(path))))
    where = str(file)
    source = _read_regular(where)
    module = types.ModuleType(f"asnfp_user_rules_{file.stem}")
    module.__file__ = where
    _run_user_code(where, "cannot load the rules",
                   lambda: exec(compile(source, where, "exec", dont_inherit=True), vars(module)))
    rules = _unique(where, _rules_of(where, vars(module)))
    return tuple(replace(rule, origin=where) for rule in rules)


def load_rule_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[Rule, ...]:
    """Load the rules of each file in order (:func:`load_rules`), refusing a name that two
    of the files define (a catalogue rule's name is allowed: it replaces that rule). The
    rules of ``-r`` files, checked as :func:`registry` will check them.

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> text = "from asnfp.jwst import catalogue_rule\\nIMAGE = catalogue_rule('Asn_Lv3Image')\\nRULES = [IMAGE]\\n"
    >>> _ = (d / "a.py").write_text(text), (d / "b.py").write_text(text)
    >>> [r.name for r in load_rule_files([d / "a.py"])]
    ['Asn_Lv3Image']
    >>> load_rule_files([d / "a.py", d / "b.py"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    asnfp.rule.RulesFileError: .../b.py: defines rule 'Asn_Lv3Image', as .../a.py does
        (two rules files may not define one name)
    """
    rules = tuple(rule for path in paths for rule in load_rules(path))
    _by_name(rules)
    return rules


def _read_regular(file: str) -> bytes:
    """The bytes of ``file``, which must be a regular file (never blocking: a FIFO is
    refused, not read) of a bounded size."""
    from asnfp.reading import RULES_BYTES, read_bounded

    try:
        return read_bounded(file, RULES_BYTES, what="rules file", error=RulesFileError)
    except (FileNotFoundError, NotADirectoryError):
        raise RulesFileError(file, "no such rules file") from None
    except OSError as err:
        raise RulesFileError(file, f"cannot read the rules file ({err.strerror or type(err).__name__})") from None


def _run_user_code(file: str, doing: str, call: Callable[[], _T]) -> _T:
    """``call()``, which runs the code of a rules file: whatever it raises (even
    ``SystemExit``), but ``KeyboardInterrupt`` and ``GeneratorExit``, becomes one line
    naming the file, with the original exception as the ``__cause__``."""
    try:
        return call()
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as err:  # (the rules file is the user's code: anything may come)
        raise RulesFileError(file, f"{doing}: {_described(err, file)}") from err


def _described(err: BaseException, file: str) -> str:
    """``Type: first line of the message (line N)``: N is the line of ``file`` where it
    was raised (the innermost frame in it; a syntax error's own line)."""
    line = _line_in(err, file)
    text = _message(err, file)
    return "".join((type(err).__name__, f": {text}" if text else "", f" (line {line})" if line else ""))


def _message(err: BaseException, file: str) -> str:
    """The first line of what ``err`` says (a syntax error in another file names it)."""
    try:
        if isinstance(err, SystemExit):
            text = f"a rules file may not call exit({'' if err.code is None else repr(err.code)})"
        elif isinstance(err, SyntaxError) and err.filename == file:
            text = str(err.msg)  # (its line is given apart)
        elif isinstance(err, SyntaxError) and err.filename and err.lineno:
            text = f"{err.msg} in {err.filename}, line {err.lineno}"
        else:
            text = str(err)
    except Exception:  # (an exception whose str() fails: its type says enough)
        return ""
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _line_in(err: BaseException, file: str) -> int | None:
    if isinstance(err, SyntaxError) and err.filename == file:
        return err.lineno
    line: int | None = None
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _rules_of(file: str, names: dict[str, Any]) -> tuple[Rule, ...]:
    """The rules a module's namespace ``names`` defines (see :func:`load_rules`), each
    once (a rule bound to two names, or listed twice, is one rule)."""
    found = names.get("RULES")
    if found is None:
        ours = _asnfp_rule_ids()
        found = [v for v in names.values() if isinstance(v, Rule) and id(v) not in ours]
    elif isinstance(found, (str, bytes, Mapping, AbstractSet)) or not isinstance(found, Iterable):
        raise RulesFileError(file, f"RULES is of type {type(found).__name__}, not a sequence of rules "
                                   "(a list or tuple: the order matters)")
    items = _run_user_code(file, "cannot read its RULES", lambda: tuple(found))
    rules = tuple({id(item): item for item in items}.values())
    odd = next((item for item in rules if not isinstance(item, Rule)), None)
    if odd is not None:
        raise RulesFileError(file, f"RULES holds a value of type {type(odd).__name__}, not a Rule")
    if not rules:
        raise RulesFileError(file, "defines no rules (a RULES sequence or Rule values)")
    return rules


def _unique(file: str, rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """``rules``, unless two have one name (the second would silently replace the first)."""
    unnamed = next((rule for rule in rules if not isinstance(rule.name, str)), None)
    if unnamed is not None:
        raise RulesFileError(file, f"a rule's name must be a string, not {type(unnamed.name).__name__}")
    twice = [name for name, count in Counter(rule.name for rule in rules).items() if count > 1]
    if twice:
        raise RulesFileError(file, f"two rules are named {twice[0]!r} (a rule's name must be unique)")
    return rules
