"""The drivers: how a pool becomes runs of the fold, as the reference's ``asn_generate``
runs them. Per candidate (the default): one fold for each candidate's rows with the
candidate rules, then one for discovery, shared out among processes; or per pool, one
fold over every row. Then finalization, the discovered duplicates dropped, and the
numbers the files are named with.

>>> from asnfp.constraints import attr
>>> from asnfp.row import make_row
>>> from asnfp.rule import Rule, registry
>>> rule = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))
>>> rows = [make_row(0, {"filter": "a", "asn_candidate": "[('o001', 'observation')]"})]
>>> rules = lambda name: registry([rule], name=name)
>>> [a.asn_id for a in generate_per_candidate(rules, rows)]
['a3001', 'o001']
>>> [a.asn_id for a in generate_per_candidate(rules, rows, Options(discover=False))]
['o001']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import reduce

import msgspec

from asnfp.association import Association
from asnfp.constraints import (
    NO_BINDINGS,
    AttrLeaf,
    Leaf,
    attr,
    evaluate_cell,
)
from asnfp.errors import MissingColumn, PoolError
from asnfp.finalize import is_duplicate, resequence, same_association
from asnfp.futile import has_own_candidate_leaf, without_futile
from asnfp.generate import CANDIDATE_COLUMN, Fold, derivation, generate, plan, run_fold, version_stamp
from asnfp.naming import DISCOVERED, acid_from
from asnfp.row import Row, make_row, with_cell
from asnfp.rule import Registry, Rule
from asnfp.workers import Shared, run_folds

__all__ = (
    "Options",
    "generate_per_candidate",
    "generate_per_pool",
    "candidate_ids",
    "candidate_pool",
    "candidate_pools",
    "candidate_text",
    "candidate_leaf",
    "filter_discovered",
    "run_folds_of",
)


def _shared(folds: Sequence[Fold]) -> Shared:
    """What the folds' results may hold that exists before they run: the rules, their
    trees, the rows."""
    shared = Shared(derivation)
    rules: dict[int, Rule] = {}  # (the same few in every plan)
    for fold in folds:
        for _, _, base, leaf, _ in fold.plan.recipes:
            rules[id(base)] = base
            shared.add_tree(leaf)
        for entry in fold.plan.rules:  # (made already: a plan that is not indexed)
            if entry is not None:
                rules[id(entry[2])] = entry[2]
        shared.add(*fold.rows)
    shared.add(*rules.values())
    for rule in rules.values():
        shared.add_tree(rule.constraint)
        shared.add_tree(rule.creation)
    return shared


def run_folds_of(folds: Sequence[Fold], workers: int) -> list[list[Association]]:
    """The associations of each fold (see :mod:`asnfp.workers`): the folds are shared
    out among ``workers`` processes, by their numbers of rows.

    >>> from asnfp.row import make_row
    >>> from asnfp.rule import registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))]))
    >>> folds = [Fold(p, [make_row(0, {"filter": "a"})]), Fold(p, [make_row(1, {"filter": "b"})])]
    >>> [[a.bindings for a in asns] for asns in run_folds_of(folds, workers=2)]
    [[Bindings(f='a')], [Bindings(f='b')]]
    """
    return run_folds(folds, run_fold, weights=[len(f.rows) for f in folds], workers=workers,
                     shared=lambda: _shared(folds))


# --------------------------------------------------------------------------- candidates


def _candidate_pairs(row: Row) -> Iterator[tuple[str, str]]:
    text = row.cells.get(CANDIDATE_COLUMN)
    if text is None:
        raise MissingColumn(CANDIDATE_COLUMN, row.index, "needed to find the candidates")
    value = evaluate_cell(text)
    if isinstance(value, int) and not isinstance(value, bool):
        yield str(value), "unknown"
        return
    if not hasattr(value, "__iter__"):
        raise MissingColumn(CANDIDATE_COLUMN, row.index, f"cannot read the candidates {text!r}")
    for pair in value:
        try:
            ident, kind = pair
        except ValueError:
            return
        except TypeError:
            raise MissingColumn(CANDIDATE_COLUMN, row.index,
                                f"cannot read the candidates {text!r}") from None
        yield ident, kind


def candidate_ids(rows: Iterable[Row]) -> list[tuple[str, str]]:
    """List every ``(id, type)`` of the pool's candidates: types in first-seen order,
    ids in first-seen order within a type (the reference's ``ids_by_ctype``).

    >>> from asnfp.row import make_row
    >>> rows = [make_row(0, {"asn_candidate": "[('o001', 'observation'), ('c1000', 'background')]"}),
    ...         make_row(1, {"asn_candidate": "[('o002', 'observation')]"}), make_row(2, {"asn_candidate": "null"})]
    >>> candidate_ids(rows)
    [('o001', 'observation'), ('o002', 'observation'), ('c1000', 'background')]
    """
    by_type: dict[str, dict[str, Row]] = {}
    for row in rows:
        for ident, kind in _candidate_pairs(row):
            by_type.setdefault(str(kind), {}).setdefault(str(ident), row)
    for ids in by_type.values():
        for ident, row in ids.items():
            _check_usable(ident, row)
    return [(ident, kind) for kind, ids in by_type.items() for ident in ids]


def _check_usable(ident: str, row: Row) -> None:
    """Refuse a candidate id that the per-candidate run cannot use: the reference
    matches a candidate's rows with its id as a regular expression (and crashes on one
    that is not), so one that does not compile is named with its row."""
    if ident.isalnum():  # (the usual id, o001 or c1000: nothing a pattern reads specially)
        return
    try:
        re.compile(ident)
    except re.error as err:
        raise PoolError(row.meta.file, f"candidate id {ident!r} cannot be used: it is read as a regular "
                                       f"expression ({err})", row=row.index + 1, column=CANDIDATE_COLUMN) from None


def candidate_pool(rows: Iterable[Row], ident: str, kind: str) -> list[Row]:
    """The rows whose candidate text contains ``ident``, each with its candidate column
    rewritten to that single candidate.

    >>> from asnfp.row import make_row
    >>> rows = [make_row(0, {"asn_candidate": "[('o001', 'observation')]"})]
    >>> [r["asn_candidate"] for r in candidate_pool(rows, "o001", "observation")]
    ["[('o001', 'observation')]"]
    """
    return candidate_pools(list(rows), [(ident, kind)])[0]


def candidate_text(ident: str, kind: str) -> str:
    """The candidate column of a row in the run of the candidate ``(ident, kind)``.

    >>> candidate_text("o001", "observation")
    "[('o001', 'observation')]"
    """
    return f"[('{ident}', '{kind}')]"


def candidate_pools(rows: Sequence[Row], pairs: Sequence[tuple[str, str]]) -> list[list[Row]]:
    """:func:`candidate_pool` of every ``(id, type)`` pair, each candidate's text read
    once per distinct text (rows of one observation share theirs) rather than once per
    row and candidate.

    >>> from asnfp.row import make_row
    >>> rows = [make_row(i, {"asn_candidate": t}) for i, t in enumerate(["[('o001', 'observation')]", "null",
    ...         "[('o001', 'observation'), ('c1000', 'mosaic')]"])]
    >>> pairs = [("o001", "observation"), ("c1000", "mosaic")]
    >>> [[r.index for r in pool] for pool in candidate_pools(rows, pairs)] == [
    ...     [r.index for r in candidate_pool(rows, *pair)] for pair in pairs]
    True
    """
    by_text: dict[str, list[int]] = {}  # (a plain loop, not toolz: see asnfp.plumbing)
    for position, row in enumerate(rows):
        by_text.setdefault(row.cells.get(CANDIDATE_COLUMN, ""), []).append(position)
    pools = []
    for ident, kind in pairs:
        text = candidate_text(ident, kind)
        positions = sorted(p for found, at in by_text.items() if ident in found for p in at)
        pools.append([with_cell(rows[p], CANDIDATE_COLUMN, text) for p in positions])
    return pools


def candidate_leaf(ids: Sequence[str] | None, empty: frozenset[str] = frozenset()) -> AttrLeaf:
    """The global constraint of a candidate run: the row belongs to one of ``ids``
    (any candidate when ``None``); it pins, and the association's id is read from it.

    >>> candidate_leaf(["o001"])
    attr(asn_candidate: asn_candidate ~ '.+(o001).+'; eval)
    """
    value = ".+(" + "|".join(ids) + ").+" if ids else None
    return attr(CANDIDATE_COLUMN, CANDIDATE_COLUMN, value, evaluate=True, is_acid=True,
                invalid=empty)


def filter_discovered(discovered: list[Association], candidates: list[Association],
                      keep_candidates: bool = True) -> list[Association]:
    """Drop discovered associations equal to a candidate one; then the candidates.

    (Equality compares the first letter of the ids, so in practice nothing is dropped.)

    >>> from asnfp.association import Association
    >>> r = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))
    >>> d, c = (Association(rule=r, ruleset=None, asn_id=i) for i in ("a3001", "o001"))
    >>> [a.asn_id for a in filter_discovered([d], [c])], filter_discovered([d], [c, d], keep_candidates=False)
    (['a3001', 'o001'], [])
    """
    by_kind: dict[tuple[str, str], list[Association]] = {}  # (a plain loop: see asnfp.plumbing)
    for c in candidates:  # equal associations share asn_type and the id's first letter
        by_kind.setdefault((c.rule.asn_type, c.asn_id[:1]), []).append(c)
    kept = [d for d in discovered
            if not any(same_association(d, c) for c in by_kind.get((d.rule.asn_type, d.asn_id[:1]), ()))]
    return kept + (candidates if keep_candidates else [])


class Options(msgspec.Struct, frozen=True, kw_only=True):
    """How to run: candidate ids (``None``: all), all candidates, discovery, version id,
    finalize, merge; ``indexed=False`` runs the simple model (every row offered to every
    association); ``workers``: how many processes the per-candidate driver's folds may
    be shared out among (:mod:`asnfp.workers`)."""

    ids: tuple[str, ...] | None = None
    all_candidates: bool = True
    discover: bool = True
    version_id: str | bool | None = None
    finalize: bool = True
    merge: bool = False
    indexed: bool = True
    workers: int = 1


def _numbered(registry: Registry, asns: list[Association]) -> list[Association]:
    return registry.number(asns) if registry.number is not None else asns


def _finish(registry: Registry, asns: list[Association], options: Options) -> list[Association]:
    if options.finalize and asns:
        asns = reduce(lambda acc, f: f(acc), registry.finalizers, asns)
    if options.merge and registry.merge is not None:
        asns = registry.merge(asns)
    return asns


def _run_registries(candidates: Registry, discovery: Registry | None,
                    options: Options) -> Callable[[Leaf | None, str, str], Registry]:
    """The registry each run of the per-candidate driver uses: without the rules that are
    futile for the candidate type of the run's associations (:mod:`asnfp.futile`), when
    the associations are finalized and their creation numbers are not shown.

    A candidate run's rows all carry the text of its one candidate, so the candidate type
    is the one its leaf reads from that text. Its associations are compared with the
    discovered ones before finalizing (:func:`filter_discovered`), by the first letter of
    their ids too: a run whose id may share that letter with a discovered id (``a3001``,
    unless a discovery rule has a candidate leaf of its own) keeps every rule.
    """
    found: dict[tuple[str, str | None], Registry] = {}
    own_ids = discovery is not None and any(map(has_own_candidate_leaf, discovery.rules))

    def trimmed(registry: Registry, kind: str | None) -> Registry:
        if kind is None or not options.finalize or registry.shows_creation_numbers:
            return registry
        if (registry.name or "", kind) not in found:
            found[registry.name or "", kind] = without_futile(registry, kind)
        return found[registry.name or "", kind]

    def run_registry(leaf: Leaf | None, ident: str, kind: str) -> Registry:
        if leaf is None:
            return trimmed(discovery, kind) if discovery is not None else candidates
        if discovery is not None and (own_ids or ident[:1] == DISCOVERED.id[:1]):
            return candidates  # (it may be equal to a discovered association)
        out = leaf(NO_BINDINGS, make_row(-1, {CANDIDATE_COLUMN: candidate_text(ident, kind)}))
        return trimmed(candidates, acid_from(out.bindings, leaf).type if out.matched else None)

    return run_registry


def generate_per_candidate(make_registry: Callable[[str | None], Registry], rows: Sequence[Row],
                           options: Options = Options()) -> list[Association]:
    """The reference's default driver: one run per candidate on that candidate's rows,
    then (with ``discover``) one run over the whole pool with no candidate constraint.

    >>> from asnfp.row import make_row
    >>> from asnfp.rule import registry
    >>> rules = lambda name: registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))],
    ...                               name=name)
    >>> rows = [make_row(i, {"filter": "x", "asn_candidate": f"[('o00{i}', 'observation')]"}) for i in (0, 1)]
    >>> [(a.ruleset, [m.row.index for m in a.products[0].members]) for a in generate_per_candidate(rules, rows)]
    [('discover', [0, 1]), ('candidate', [0]), ('candidate', [1])]
    """
    pairs = candidate_ids(rows)
    if options.ids is not None:
        known: dict[str, str] = {}
        for ident, kind in pairs:
            known.setdefault(ident, kind)
        pairs = [(i, known[i]) for i in options.ids if i in known]
    vid = version_stamp(options.version_id)
    folds = []
    registry = make_registry("candidate")  # (one for every candidate run: registries are values)
    discover_registry = make_registry("discover")
    run_registry = _run_registries(registry, discover_registry if options.discover else None, options)
    for (ident, kind), pool in zip(pairs, candidate_pools(rows, pairs), strict=True):
        leaf = candidate_leaf([ident], registry.empty)
        folds.append(Fold(plan(run_registry(leaf, ident, kind), vid, leaf, options.indexed), pool))
    if options.discover:
        folds.append(Fold(plan(run_registry(None, "", DISCOVERED.type), vid, None, options.indexed), rows))
    results = run_folds_of(folds, options.workers)
    found = [asn for asns in results[:len(pairs)] for asn in asns]
    discovered = results[len(pairs)] if options.discover else []
    numbered = _numbered(discover_registry, found + discovered)
    found, discovered = numbered[:len(found)], numbered[len(found):]
    if options.discover:
        found = resequence(filter_discovered(discovered, found, options.all_candidates))
    return _finish(discover_registry, found, options)


def generate_per_pool(make_registry: Callable[[str | None], Registry], rows: Sequence[Row],
                      options: Options = Options()) -> list[Association]:
    """Run the reference's per-pool driver: one fold over the whole pool with the
    candidate rules (whose candidate constraint expands every row into one copy per
    candidate it lists) followed, with ``discover``, by the discovery rules; finalize,
    then drop discovered duplicates and renumber.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import Rule, registry
    >>> rule = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))
    >>> rows = [make_row(0, {"filter": "a", "asn_candidate": "[('o001', 'observation'), ('c1000', 'background')]"})]
    >>> rules = lambda name: registry([rule], name=name)
    >>> sorted(a.asn_id for a in generate_per_pool(rules, rows, Options(discover=False)))
    ['c1000', 'o001']
    """
    candidates = make_registry("candidate")
    if options.discover or options.all_candidates:
        leaf = candidate_leaf(None, candidates.empty)
    else:
        leaf = candidate_leaf(options.ids, candidates.empty)
    parts: list[tuple[Registry, Leaf | None]] = [(candidates, leaf)]
    if options.discover:
        parts.append((make_registry("discover"), None))
    found = _numbered(candidates, generate(parts, rows, version_id=options.version_id,
                                           indexed=options.indexed))
    if options.finalize:
        found = reduce(lambda acc, f: f(acc), candidates.finalizers, found)
    if options.discover:
        dups = [a for a in found if is_duplicate(a)]
        discovered = [a for a in found if a.ruleset == "discover" and not is_duplicate(a)]
        chosen = [a for a in found if a.ruleset != "discover" and not is_duplicate(a)]
        found = resequence(filter_discovered(discovered, chosen, options.all_candidates)) + dups
    if options.merge and candidates.merge is not None:
        found = candidates.merge(found)
    return found


