"""The drivers: how a pool becomes runs of the fold, as the reference's ``asn_generate``
runs them. Per candidate (the default): one fold for each candidate's rows with the
candidate rules, then one for discovery, shared out among processes; or per pool, one
fold over every row. Then finalization, the discovered duplicates dropped, and the
numbers the files are named with. Either driver may tell a ``progress`` callback how far
it is (a :class:`Tally`): once when the folds begin, then once per fold finished.

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

from collections.abc import Callable, Sequence
from functools import partial, reduce
from typing import NamedTuple

import msgspec

from asnfp.association import Association
from asnfp.caches import trim
from asnfp.candidates import (
    CANDIDATE_COLUMN,
    candidate_ids,
    candidate_leaf,
    candidate_pools,
    candidate_text,
    filter_discovered,
)
from asnfp.constraints import NO_BINDINGS, Leaf
from asnfp.fast.futile import has_own_candidate_leaf, without_futile
from asnfp.fast.machine import indexed, run_indexed
from asnfp.fast.memo import Memo
from asnfp.fast.run import Run
from asnfp.fast.workers import Shared, run_folds
from asnfp.finalize import is_duplicate, resequence
from asnfp.fold import Fold, PlainMachine, generate, plan, run_fold, version_stamp
from asnfp.naming import DISCOVERED, acid_from
from asnfp.row import Row, make_row
from asnfp.rule import Registry, Rule

__all__ = (
    "Options",
    "Tally",
    "generate_per_candidate",
    "generate_per_pool",
    "run_folds_of",
)


def _shared(folds: Sequence[Fold], run: Run) -> Shared:
    """What the folds' results may hold that exists before they run: the run's tables,
    the rules, their trees, the rows (a rule the run makes after is sent as the run's
    call that makes it: :meth:`asnfp.fast.run.Run.derivation`)."""
    shared = Shared(run.derivation)
    shared.add(run)
    rules: dict[int, Rule] = {}  # (the same few in every plan)
    for fold in folds:
        for registry, leaf in fold.plan.parts:
            rules.update((id(rule), rule) for rule in registry.rules)
            shared.add_tree(leaf)
        shared.add(*fold.rows)
    shared.add(*rules.values())
    for rule in rules.values():
        shared.add_tree(rule.constraint)
        shared.add_tree(rule.creation)
    return shared


def _plain(run: Run, fold: Fold, memo: Memo) -> list[Association]:
    """The associations of ``fold`` on the plain machine (``memo`` unused)."""
    return run_fold(fold, PlainMachine(fold.plan, run.run_rule))


class Tally(NamedTuple):
    """How far a generation is: ``folds_done`` of its ``folds`` finished, holding
    ``rows_done`` of the ``rows`` of all its folds (a row counts once in each fold that
    holds it: one per candidate it lists, and discovery), and the ``associations`` they
    made so far (before finalization).

    >>> Tally(folds_done=1, folds=3, rows_done=40, rows=100, associations=7).rows_done
    40
    """

    folds_done: int
    folds: int
    rows_done: int
    rows: int
    associations: int


class _Counter:
    """The tally of a run of ``folds``, told to ``progress`` when they begin and as each
    ends (:func:`asnfp.fast.workers.run_folds` never calls it from two threads at once)."""

    __slots__ = ("_progress", "_rows", "_tally")

    def __init__(self, folds: Sequence[Fold], progress: Callable[[Tally], None]) -> None:
        self._rows = [len(fold.rows) for fold in folds]
        self._progress = progress
        self._tally = Tally(0, len(folds), 0, sum(self._rows), 0)

    def begun(self) -> None:
        self._progress(self._tally)

    def finished(self, i: int, asns: list[Association]) -> None:
        t = self._tally
        self._tally = t._replace(folds_done=t.folds_done + 1, rows_done=t.rows_done + self._rows[i],
                                 associations=t.associations + len(asns))
        self._progress(self._tally)


def run_folds_of(folds: Sequence[Fold], workers: int, run: Run | None = None,
                 plain: bool = False, *, progress: Callable[[Tally], None] | None = None,
                 ) -> list[list[Association]]:
    """The associations of each fold, on the indexed machine (the plain one with
    ``plain``), with the tables of ``run`` (see :mod:`asnfp.fast.workers`): the folds are
    shared out among ``workers`` processes, by their numbers of rows. ``progress``, when
    given, is told a :class:`Tally` when the folds begin and as each fold ends, in this
    process (from the thread that reads a child's results too; never two at once).

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))]))
    >>> folds = [Fold(p, [make_row(0, {"filter": "a"})]), Fold(p, [make_row(1, {"filter": "b"})])]
    >>> [[a.bindings for a in asns] for asns in run_folds_of(folds, workers=2)]
    [[Bindings(f='a')], [Bindings(f='b')]]
    >>> told = []
    >>> _ = run_folds_of(folds, workers=1, progress=told.append)
    >>> [(t.folds_done, t.rows_done, t.associations) for t in told], told[-1].rows
    ([(0, 0, 0), (1, 1, 1), (2, 2, 2)], 2)
    """
    run = Run() if run is None else run
    counter = None if progress is None else _Counter(folds, progress)
    return run_folds(folds, partial(_plain if plain else run_indexed, run), weights=[len(f.rows) for f in folds],
                     workers=workers, shared=lambda: _shared(folds, run),
                     finished=None if counter is None else counter.finished,
                     begun=None if counter is None else counter.begun)


class Options(msgspec.Struct, frozen=True, kw_only=True):
    """How to run: candidate ids (``None``: all), all candidates, discovery, version id,
    finalize, merge; ``indexed=False`` runs the simple model (every row offered to every
    association); ``workers``: how many processes the per-candidate driver's folds may
    be shared out among (:mod:`asnfp.fast.workers`)."""

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


def _finalized(registry: Registry, asns: list[Association]) -> list[Association]:
    """``asns`` through each of the registry's finalizers in turn: ``toolz.pipe``, written
    as ``functools.reduce`` since the generation path does not import toolz (its import is
    1.3% of a mega_pool run's instructions: see :mod:`asnfp.plumbing`)."""
    return reduce(lambda acc, finalize: finalize(acc), registry.finalizers, asns)


def _finish(registry: Registry, asns: list[Association], options: Options) -> list[Association]:
    if options.finalize and asns:
        asns = _finalized(registry, asns)
    if options.merge and registry.merge is not None:
        asns = registry.merge(asns)
    return asns


def _run_registries(candidates: Registry, discovery: Registry | None,
                    options: Options) -> Callable[[Leaf | None, str, str], Registry]:
    """The registry each run of the per-candidate driver uses: without the rules that are
    futile for the candidate type of the run's associations (:mod:`asnfp.fast.futile`), when
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
                           options: Options = Options(), *,
                           progress: Callable[[Tally], None] | None = None) -> list[Association]:
    """The reference's default driver: one run per candidate on that candidate's rows,
    then (with ``discover``) one run over the whole pool with no candidate constraint.
    ``progress`` is told how far the folds are (:func:`run_folds_of`).

    >>> from asnfp.constraints import attr
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
    run = Run()  # (the tables every fold of this run shares)
    folds = []
    registry = make_registry("candidate")  # (one for every candidate run: registries are values)
    discover_registry = make_registry("discover")
    run_registry = _run_registries(registry, discover_registry if options.discover else None, options)
    for (ident, kind), pool in zip(pairs, candidate_pools(rows, pairs), strict=True):
        leaf = candidate_leaf([ident], registry.empty)
        folds.append(Fold(plan(run_registry(leaf, ident, kind), vid, leaf), pool))
    if options.discover:
        folds.append(Fold(plan(run_registry(None, "", DISCOVERED.type), vid, None), rows))
    results = run_folds_of(folds, options.workers, run, plain=not options.indexed, progress=progress)
    found = [asn for asns in results[:len(pairs)] for asn in asns]
    discovered = results[len(pairs)] if options.discover else []
    numbered = _numbered(discover_registry, found + discovered)
    found, discovered = numbered[:len(found)], numbered[len(found):]
    if options.discover:
        found = resequence(filter_discovered(discovered, found, options.all_candidates))
    trim()  # (the answers about this run's own constraints, once they pile up: asnfp.caches)
    return _finish(discover_registry, found, options)


def generate_per_pool(make_registry: Callable[[str | None], Registry], rows: Sequence[Row],
                      options: Options = Options(), *,
                      progress: Callable[[Tally], None] | None = None) -> list[Association]:
    """Run the reference's per-pool driver: one fold over the whole pool with the
    candidate rules (whose candidate constraint expands every row into one copy per
    candidate it lists) followed, with ``discover``, by the discovery rules; finalize,
    then drop discovered duplicates and renumber. ``progress`` is told a :class:`Tally`
    of the one fold when it begins and when it ends.

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
    machine = indexed() if options.indexed else PlainMachine
    if progress is not None:
        progress(Tally(0, 1, 0, len(rows), 0))
    made = generate(parts, rows, version_id=options.version_id, machine=machine)
    if progress is not None:
        progress(Tally(1, 1, len(rows), len(rows), len(made)))
    found = _numbered(candidates, made)
    if options.finalize:
        found = _finalized(candidates, found)
    if options.discover:
        dups = [a for a in found if is_duplicate(a)]
        discovered = [a for a in found if a.ruleset == "discover" and not is_duplicate(a)]
        chosen = [a for a in found if a.ruleset != "discover" and not is_duplicate(a)]
        found = resequence(filter_discovered(discovered, chosen, options.all_candidates)) + dups
    if options.merge and candidates.merge is not None:
        found = candidates.merge(found)
    trim()
    return found


