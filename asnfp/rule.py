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

import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec.structs import replace

from asnfp.constraints import Constraint, Leaf, Node, all_of, find  # noqa: F401  (all_of: doctests)

if TYPE_CHECKING:
    from asnfp.association import Association, Member

__all__ = ("Rule", "Check", "candidate_type_check", "Registry", "replace", "with_global", "registry", "lookup",
           "load_rules")


class Check(msgspec.Struct, frozen=True):
    """A validity check: once ``test(association, member)`` is true for some added
    member, it stays true (the reference's sticky validity tests).

    ``passes_for(kind)``, when given, tells whether the check can pass at all for an
    association whose candidate type (lower case: ``observation``, ``discovered``, ...)
    is ``kind``. Where it cannot, every association of the rule is invalid, and a run
    whose associations all have that type may leave the rule out (:mod:`asnfp.futile`).
    It must never say no where ``test`` could say yes (a law test checks the catalogue's).
    """

    name: str
    test: Callable[[Any, Any], bool]
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


def _plain_member(asn: Association, row: Any) -> Member:
    from asnfp.association import Member

    name = row.get("filename") or f"row{row.index}"
    return Member(name, asn.rule.exptype(asn.bindings, row), row.get("exposerr"), None, row)


def _one_product(asn: Association, row: Any) -> Association:
    from asnfp.association import Product
    from asnfp.naming import acid_from

    acid = acid_from(asn.bindings, asn.rule.constraint)
    asn = replace(asn, asn_id=acid.id, acid_type=acid.type)
    return replace(asn, products=(Product(asn.rule.product_name(asn)),))


def _unchanged(asn: Association, row: Any) -> Association:
    return asn


def _science(bindings: Any, row: Any) -> str:
    return "science"


def _unnamed(asn: Association) -> str:
    return "undefined"


def _keep_valid(asn: Association) -> tuple[Association, ...] | None:
    from asnfp.association import is_valid

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
    missed check still updates (the reference keeps them on the association object).
    """

    name: str
    asn_type: str
    level: int
    constraint: Constraint
    exptype: Callable[[Any, Any], str] = _science
    make_member: Callable[[Any, Any], Any] = _plain_member
    on_create: Callable[[Any, Any], Any] = _one_product
    on_add: Callable[[Any, Any], Any] = _unchanged
    product_name: Callable[[Any], str] = _unnamed
    validity: tuple[Check, ...] = ()
    finalize: Callable[[Any], Any] = _keep_valid
    check_before_append: bool = False
    tags: frozenset[str] = frozenset()
    force_match: Any = None
    sticky: tuple[str, ...] = ()
    creation: Constraint | None = None


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
    whose associations finalization drops (:mod:`asnfp.futile`), since they count."""

    rules: tuple[Rule, ...]
    finalizers: tuple[Callable[[list[Any]], list[Any]], ...] = ()
    merge: Callable[[list[Any]], list[Any]] | None = None
    name: str | None = None
    empty: frozenset[str] = frozenset()
    number: Callable[[list[Any]], list[Any]] | None = None
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
    finalizers: Sequence[Callable[[list[Any]], list[Any]]] = (),
    merge: Callable[[list[Any]], list[Any]] | None = None,
    name: str | None = None,
    empty: frozenset[str] = frozenset(),
    number: Callable[[list[Any]], list[Any]] | None = None,
    shows_creation_numbers: bool = False,
) -> Registry:
    """Build a registry, keeping the rules' order; a later rule of the same name
    replaces an earlier one in place (as the reference's registry does).

    >>> from asnfp.constraints import attr
    >>> a = Rule(name="A", asn_type="t", level=2, constraint=attr("a", "a"))
    >>> b = Rule(name="B", asn_type="t", level=2, constraint=attr("b", "b"))
    >>> [r.name for r in registry([a, b, replace(a, asn_type="u")]).rules]
    ['A', 'B']
    """
    by_name: dict[str, Rule] = {}
    for rule in rules:
        by_name[rule.name] = rule
    return Registry(tuple(by_name.values()), tuple(finalizers), merge, name, empty, number,
                    shows_creation_numbers)


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
    it, is not a rule of the file), in the order they were bound. The
    file is run as a fresh module (nothing is registered anywhere); errors are one line.

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "my_rules.py"
    >>> _ = f.write_text("from asnfp.rule import Rule\\nfrom asnfp.constraints import attr\\n"
    ...                  "BY_FILTER = Rule(name='Asn_ByFilter', asn_type='image3', level=3, constraint=attr('f', 'filter'))\\n")
    >>> [r.name for r in load_rules(f)]
    ['Asn_ByFilter']
    """
    from asnfp.errors import AsnfpError

    file = Path(os.path.expandvars(os.path.expanduser(os.fspath(path))))
    if not file.is_file():
        raise AsnfpError(f"{file}: no such rules file")
    spec = importlib.util.spec_from_file_location(f"asnfp_user_rules_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise AsnfpError(f"{file}: cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        raise AsnfpError(f"{file}, line {err.lineno}: syntax error: {err.msg}") from None
    except ImportError as err:
        raise AsnfpError(f"{file}: cannot import what it needs: {err}") from None
    found = getattr(module, "RULES", None)
    if found is None:
        ours = _asnfp_rule_ids()
        found = [v for v in vars(module).values() if isinstance(v, Rule) and id(v) not in ours]
    rules = tuple(found)
    if not rules or not all(isinstance(r, Rule) for r in rules):
        raise AsnfpError(f"{file}: defines no rules (a RULES sequence or Rule values)")
    return rules
