"""Finalization: per-association hooks, duplicate and subset pruning, sequence numbers,
and merging, with the reference's ordering rules (they decide the file names).

* :func:`prune_duplicate_associations` sorts by ``asn_id`` (stable), then repeatedly keeps
  the *last* association and drops every other whose first product has the same members:
  observation candidates win over ``c``/``a`` ones, and among equals the one created last.
* :func:`prune_duplicate_products` drops, among associations sharing a product name, the
  smaller of two memberships where one is a subset of the other.
* :func:`resequence` numbers associations 1, 2, ... per ``(asn_id, asn_type)`` in order.

>>> from asnfp.association import Member
>>> a, b = Product("p", (Member("x", "science", None, None),)), Product("q", (Member("x", "science", None, None),))
>>> membership_diffs(a, b), membership_diffs(a, Product("p", ()))
([], ['length', 'unaccounted', 'subset'])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

from msgspec.structs import replace

from asnfp.association import Association, Product, is_valid
from asnfp.naming import DUPLICATE_PREFIX, association_file_stem, duplicate_stem, remove_suffix, sequence_numbers

__all__ = (
    "membership_diffs",
    "same_association",
    "prune_duplicate_associations",
    "prune_duplicate_products",
    "prune",
    "resequence",
    "finalize_level",
    "merge_by_id",
    "exposure_name",
    "is_duplicate",
    "prune_keeping_duplicates",
)


def exposure_name(expname: str) -> str:
    """The exposure a member file belongs to: its stem without a known suffix.

    >>> exposure_name("dir/jw_00001_cal.fits")
    'jw_00001'
    """
    return remove_suffix(PurePosixPath(expname).stem)[0]


def _has_duplicates(product: Product) -> bool:
    names = Counter(m.expname for m in product.members)
    return any(count > 1 for count in names.values())


def membership_diffs(left: Product, right: Product, strict: bool = True) -> list[str]:
    """List how two products' memberships differ (empty: the same), as the reference's
    product comparison does: ``duplicate``, ``length``, ``mismatch`` (same exposure,
    other exptype), ``unaccounted``, and ``subset`` when only length and unaccounted
    members differ. ``strict=False`` compares exposures, ignoring file suffixes.

    >>> from asnfp.association import Member
    >>> m = lambda name, kind="science": Member(name, kind, None, None)
    >>> membership_diffs(Product("a", (m("x_rate.fits"),)), Product("b", (m("x_rateints.fits"),)), strict=False)
    []
    """
    munge: Callable[[str], str] = (lambda name: name) if strict else exposure_name
    diffs: list[str] = []
    diffs += ["duplicate"] * (_has_duplicates(left) + _has_duplicates(right))
    if len(left.members) != len(right.members):
        diffs.append("length")
    remaining = list(right.members)
    unaccounted = 0
    for member in left.members:
        name = munge(member.expname)
        for other in remaining:
            if munge(other.expname) != name:
                continue
            if member.exptype != other.exptype:
                diffs.append("mismatch")
            remaining.remove(other)
            break
        else:
            unaccounted += 1
    if unaccounted or remaining:
        diffs.append("unaccounted")
    if len(diffs) == 2 and "length" in diffs and "unaccounted" in diffs:
        diffs.append("subset")
    return diffs


def _components(name: str) -> frozenset[str]:
    return frozenset(name.replace("-", "_").split("_"))


def same_association(left: Association, right: Association) -> bool:
    """The reference's association equality: same ``asn_type``, same first letter of
    ``asn_id``, and products paired by name tokens with the same exposures.

    >>> same_association(Association(rule=_R, ruleset=None), Association(rule=_R, ruleset=None))
    True
    """
    if left.rule.asn_type != right.rule.asn_type or left.asn_id[:1] != right.asn_id[:1]:
        return False
    if len(left.products) != len(right.products):
        return False
    remaining = list(right.products)
    for product in left.products:
        tokens = _components(product.name)
        match = next((p for p in remaining if _components(p.name) == tokens), None)
        if match is None or membership_diffs(product, match, strict=False):
            return False
        remaining.remove(match)
    return not remaining


def _by_id(asns: Iterable[Association]) -> list[Association]:
    return sorted(asns, key=lambda a: a.asn_id)


def _first(asn: Association) -> Product:
    return asn.products[0]


def prune_duplicate_associations(asns: Sequence[Association]) -> list[Association]:
    """Keep one association per first-product membership (see the module docstring).

    >>> from asnfp.association import Member
    >>> same = (Member("x", "science", None, None),)
    >>> asns = [Association(rule=_R, ruleset=None, asn_id=i, products=(Product(i, same),)) for i in ("o001", "c1000")]
    >>> [a.asn_id for a in prune_duplicate_associations(asns)]
    ['o001']
    """
    return _associations_pruned(asns)[0]


def _membership_key(product: Product) -> tuple[tuple[str, str], ...] | None:
    """What strict membership equality compares: the sorted (expname, exptype) pairs;
    ``None`` when a file repeats, since such a product equals nothing."""
    if _has_duplicates(product):
        return None
    return tuple(sorted(m.key for m in product.members))


def _associations_pruned(asns: Sequence[Association]) -> tuple[list[Association], list[Association]]:
    # Taken from the end of the id order, each association is kept and drops every
    # earlier one with its membership: the last of each membership stays, the earlier
    # ones go (in id order, after those of memberships kept before).
    ordered = [(a, _membership_key(_first(a))) for a in _by_id(asns)]
    last = {key: i for i, (_, key) in enumerate(ordered) if key is not None}
    earlier: dict[Any, list[Association]] = {}  # (a plain loop, not toolz: see asnfp.plumbing)
    for i, (asn, key) in enumerate(ordered):
        if key is not None and last[key] != i:
            earlier.setdefault(key, []).append(asn)
    kept: list[Association] = []
    dropped: list[Association] = []
    for i in reversed(range(len(ordered))):
        asn, key = ordered[i]
        if key is None:
            kept.append(asn)
        elif last[key] == i:
            kept.append(asn)
            dropped += earlier.get(key, ())
    return kept, dropped


def _remove_first_equal(items: list[Association], target: Association) -> None:
    for i, item in enumerate(items):
        if item is target or same_association(item, target):
            del items[i]
            return


def _prune_group(group: list[Association], already: list[Association]) -> list[Association]:
    keep = list(group)
    pruned: list[Association] = []
    for outer in group:
        if any(p is outer or same_association(outer, p) for p in already + pruned):
            continue
        current, dropped = outer, []
        for entrant in keep:
            if same_association(entrant, current):
                continue
            diffs = membership_diffs(_first(current), _first(entrant))
            if diffs and "subset" not in diffs:
                continue
            if diffs and len(_first(entrant).members) > len(_first(current).members):
                current, entrant = entrant, current
            dropped.append(entrant)
        pruned += dropped
        for asn in dropped:
            _remove_first_equal(keep, asn)
    return pruned


def prune_duplicate_products(asns: Sequence[Association]) -> list[Association]:
    """Among associations whose first products share a name, drop exact duplicates and
    the smaller of subset pairs. Unchanged (same order) when no name repeats; else the
    survivors come back sorted by ``asn_id``, as the reference returns them.

    >>> from asnfp.association import Member
    >>> x, y = Member("x", "science", None, None), Member("y", "science", None, None)
    >>> small, big = (Association(rule=_R, ruleset=None, asn_id=i, products=(Product("p", ms),))
    ...               for i, ms in (("o002", (x,)), ("o001", (x, y))))
    >>> ([a.asn_id for a in prune_duplicate_products([small, big])],
    ...  [a.asn_id for a in prune_duplicate_products([small])])
    (['o001'], ['o002'])
    """
    return _products_pruned(asns)[0]


def _products_pruned(asns: Sequence[Association]) -> tuple[list[Association], list[Association]]:
    names = Counter(_first(a).name for a in asns)
    repeated = [name for name, count in names.items() if count > 1]
    if not repeated:
        return list(asns), []
    ordered = _by_id(asns)
    by_name: dict[str, list[Association]] = {}  # (a plain loop: see asnfp.plumbing)
    for asn in ordered:
        by_name.setdefault(_first(asn).name, []).append(asn)
    pruned: list[Association] = []
    for name in repeated:
        pruned += _prune_group(by_name[name], pruned)
    dropped = {id(a) for a in pruned}
    return [a for a in ordered if id(a) not in dropped], pruned


def prune(asns: Sequence[Association]) -> list[Association]:
    """Prune duplicate associations first, then duplicate products.

    >>> from asnfp.association import Member
    >>> x, y = Member("x", "science", None, None), Member("y", "science", None, None)
    >>> asns = [Association(rule=_R, ruleset=None, asn_id=i, products=(Product("p", ms),))
    ...         for i, ms in (("o001", (x,)), ("c1000", (x,)), ("o002", (x, y)))]
    >>> [a.asn_id for a in prune(asns)], prune(asns) == prune_duplicate_products(prune_duplicate_associations(asns))
    (['o002'], True)
    """
    return prune_duplicate_products(prune_duplicate_associations(asns))


def resequence(asns: Sequence[Association]) -> list[Association]:
    """Number associations 1, 2, ... per ``(asn_id, asn_type)``, in list order.

    >>> asns = [Association(rule=_R, ruleset=None, asn_id=i) for i in ("o001", "o002", "o001")]
    >>> [a.sequence for a in resequence(asns)], [a.sequence for a in asns]
    ([1, 1, 2], [0, 0, 0])
    """
    numbers = sequence_numbers((a.asn_id, a.rule.asn_type) for a in asns)
    return [replace(a, sequence=n) for a, n in zip(asns, numbers, strict=True)]


def is_duplicate(asn: Association) -> bool:
    """Tell whether an association is a kept duplicate (debug runs name them ``dup...``)."""
    return bool(asn.name_override and asn.name_override.startswith(DUPLICATE_PREFIX))


def _as_duplicates(asns: Sequence[Association], start: int) -> list[Association]:
    return [
        replace(a, name_override=duplicate_stem(start + i, association_file_stem(
            a.program, a.asn_id, a.rule.asn_type, a.sequence, a.version_id)))
        for i, a in enumerate(asns, start=1)
    ]


def prune_keeping_duplicates(asns: Sequence[Association], done: int) -> list[Association]:
    """Prune as :func:`prune`, but keep what is pruned, renamed ``dup{n:05d}_{name}``
    (numbered on from ``done`` earlier duplicates) at the end, as a debug run does."""
    kept, dropped = _associations_pruned(asns)
    first = _as_duplicates(dropped, done)
    survivors, more = _products_pruned(kept)
    return survivors + first + _as_duplicates(more, done + len(first))


def finalize_level(level: int, keep_duplicates: bool = False) -> Callable[[list[Association]], list[Association]]:
    """Return the finalize callback of one level: drop the invalid associations, run
    each valid one's own finalize hook (in order), prune and resequence; associations
    of other levels come first.

    >>> finalize_level(2)([])
    []
    """

    def run(asns: list[Association]) -> list[Association]:
        others = [a for a in asns if a.rule.level != level or is_duplicate(a)]
        mine: list[Association] = []
        for asn in asns:
            if asn.rule.level == level and not is_duplicate(asn) and is_valid(asn):
                mine += asn.rule.finalize(asn) or ()
        if keep_duplicates:
            return others + resequence(prune_keeping_duplicates(mine, sum(map(is_duplicate, asns))))
        return others + resequence(prune(mine))

    run.__name__ = f"finalize_level{level}"
    return run


def _merge_into(target: Association, other: Association) -> Association:
    products = list(target.products)
    for product in other.products:
        for i, current in enumerate(products):
            if current.name == product.name:
                have = {m.expname for m in current.members}
                new = tuple(m for m in product.members if m.expname not in have)
                products[i] = replace(current, members=current.members + new)
                break
        else:
            products.append(product)
    return replace(target, products=tuple(products))


def merge_by_id(level: int) -> Callable[[list[Association]], list[Association]]:
    """Return the merge step: associations of ``level`` with the same type and id are
    folded into the first of them (products of one name share members).

    >>> merge_by_id(2)([])
    []
    """

    def run(asns: list[Association]) -> list[Association]:
        others = [a for a in asns if a.rule.level != level]
        merged: dict[str, Association] = {}
        for asn in (a for a in asns if a.rule.level == level):
            key = f"{asn.rule.asn_type}_{asn.asn_id}"
            merged[key] = _merge_into(merged[key], asn) if key in merged else asn
        return others + list(merged.values())

    return run


def _valid_only(asns: Iterable[Association]) -> list[Association]:
    return [a for a in asns if is_valid(a)]


from asnfp.constraints import always  # noqa: E402
from asnfp.rule import Rule  # noqa: E402

_R = Rule(name="R", asn_type="t", level=2, constraint=always())
