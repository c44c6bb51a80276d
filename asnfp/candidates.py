"""Association candidates: the pool's ``asn_candidate`` column, read as the reference's
``asn_generate`` reads it. Each row lists the candidates (``('o001', 'observation')``)
it belongs to; the per-candidate driver runs one fold per candidate on that candidate's
rows, each row's column rewritten to that one candidate, and a *candidate leaf* appended
to every rule keeps only them. Discovered associations equal to a candidate's are then
dropped.

>>> from asnfp.row import make_row
>>> rows = [make_row(0, {"asn_candidate": "[('o001', 'observation'), ('c1000', 'background')]"})]
>>> candidate_ids(rows), [r["asn_candidate"] for r in candidate_pool(rows, "c1000", "background")]
([('o001', 'observation'), ('c1000', 'background')], ["[('c1000', 'background')]"])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from asnfp.association import Association
from asnfp.constraints import AttrLeaf, attr, evaluate_cell
from asnfp.errors import MissingColumn, PoolError
from asnfp.finalize import same_association
from asnfp.row import Row, with_cell

__all__ = (
    "CANDIDATE_COLUMN",
    "candidate_ids",
    "candidate_pool",
    "candidate_pools",
    "candidate_text",
    "candidate_leaf",
    "filter_discovered",
    "dms_ids",
    "of_ids",
    "unknown_ids",
)

#: The column that lists each row's candidates (rewritten for every candidate run).
CANDIDATE_COLUMN: Final = "asn_candidate"



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

    >>> from asnfp.rule import Rule
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




def dms_ids(rows: Sequence[Row], ids: Sequence[str]) -> tuple[str, ...]:
    """The candidate ids a ``--DMS`` run with ``-i IDS`` runs: ``ids``, then the
    background candidates of the rows that list one of them (as DMS runs them).

    >>> from asnfp.row import make_row
    >>> rows = [make_row(0, {"asn_candidate": "[('o001', 'observation'), ('c1000', 'background')]"}),
    ...         make_row(1, {"asn_candidate": "[('o002', 'observation'), ('c1001', 'background')]"})]
    >>> dms_ids(rows, ["o001"])
    ('o001', 'c1000')
    """
    chosen = [r for r in rows if any(i in r.cells.get(CANDIDATE_COLUMN, "") for i in ids)]
    extra = [i for i, kind in candidate_ids(chosen) if kind == "background" and i not in ids]
    return tuple(ids) + tuple(dict.fromkeys(extra))


def of_ids(asns: Sequence[Association], ids: Sequence[str]) -> list[Association]:
    """The associations of the ``ids`` asked for (an id in the ACID): what a ``--DMS``
    run keeps of what it made with the background candidates added.

    >>> from asnfp.jwst import RULES
    >>> made = [Association(rule=RULES[2], ruleset="candidate", asn_id=i) for i in ("o001", "c1000")]
    >>> [a.asn_id for a in of_ids(made, ["o001"])]
    ['o001']
    """
    return [a for a in asns if any(i in a.asn_id for i in ids)]


def unknown_ids(rows: Sequence[Row], ids: Sequence[str]) -> list[str]:
    """The ``ids`` that no row lists as a candidate (``asn_generate`` warns of each).

    >>> from asnfp.row import make_row
    >>> unknown_ids([make_row(0, {"asn_candidate": "[('o001', 'observation')]"})], ["o001", "o009"])
    ['o009']
    """
    if not ids:  # (no candidates to read: a per-pool run's pool may have no column of them)
        return []
    known = {ident for ident, _ in candidate_ids(rows)}
    return [ident for ident in ids if ident not in known]
