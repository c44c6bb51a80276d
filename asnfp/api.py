"""The Python API in a few calls: read a pool, make its associations, write them.

:func:`generate` is the reference's ``generate(pool, rules)`` and ``asn_generate`` in one
call: a pool (a file, a :class:`~asnfp.pool.Pool`, or rows as mappings), the JWST rules
and your own, the command's options as keywords; it returns the associations the command
writes, the orphans, and a way to write them as the command does.

>>> made = generate([{"filename": "jw_1_uncal.fits", "exp_type": "mir_image", "pntgtype": "science",
...                   "program": "1", "targetid": "1", "instrume": "miri", "detector": "mirimage",
...                   "filter": "f560w", "subarray": "full", "asn_candidate": "[('o001', 'observation')]"}])
>>> [a.rule.asn_type for a in made.associations], len(made.orphans)
(['image2', 'image3'], 0)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import msgspec

from asnfp.association import Association, is_valid, qualified
from asnfp.candidates import dms_ids, of_ids
from asnfp.fast.drivers import Options, Tally, generate_per_candidate, generate_per_pool
from asnfp.fast.write import taken_rows, write_outputs
from asnfp.io import file_name, serialize
from asnfp.pool import Pool, orphan_table, pool_from_rows, read_pool, require_columns
from asnfp.row import Row
from asnfp.rule import Rule, load_rule_files

__all__ = ("read_pool", "generate", "Generated", "associations", "to_bytes", "rule_name")

PoolSource = Pool | str | os.PathLike[str] | Iterable[Mapping[str, object]]
RuleSource = Rule | str | os.PathLike[str]


class Generated(msgspec.Struct, frozen=True):
    """What :func:`generate` made of a pool: the associations ``asnfp generate`` writes
    (finalized and valid, in the reference's order), and the pool they came from.

    >>> made = generate([])
    >>> made.associations, made.orphans
    ([], ())
    """

    pool: Pool
    associations: list[Association]

    @property
    def orphans(self) -> tuple[Row, ...]:
        """The pool's rows that no written association took (the reference's
        ``orphaned``: the true orphans, not the whole pool)."""
        taken = taken_rows(self.associations)
        return tuple(row for row in self.pool.rows if row.index not in taken)

    def orphan_table(self) -> str:
        """The orphans as the pool table ``--save-orphans`` writes (header, comments and
        the rows in the pool's format)."""
        return orphan_table(self.pool, taken_rows(self.associations))

    def write(self, folder: str | os.PathLike[str], *, fmt: str = "json", orphans: str | None = None,
              workers: int = 1) -> list[str]:
        """Write the association files (``json`` or ``yaml``) into ``folder``, and the
        orphan table as ``orphans`` (a name in the folder) when given, as ``asnfp
        generate -p FOLDER --save-orphans ORPHANS`` does: all the files at once, or on
        any failure none. Returns the association files' names, in order.

        >>> import os, tempfile
        >>> out = os.path.join(tempfile.mkdtemp(), "out")
        >>> generate([]).write(out, orphans="orphans.csv"), os.listdir(out)
        ([], ['orphans.csv'])
        """
        write_outputs(self.associations, self.pool, Path(folder), fmt, orphans, workers)
        return [file_name(a, fmt) for a in self.associations]


def generate(pool: PoolSource, rules: RuleSource | Iterable[RuleSource] | None = None, *,
             ignore_default: bool = False, ids: Sequence[str] | None = None, discover: bool = False,
             all_candidates: bool = False, version_id: str | bool | None = None, finalize: bool = True,
             merge: bool = False, per_pool: bool = False, debug: bool = False, dms: bool = False,
             workers: int = 1, progress: Callable[[Tally], None] | None = None) -> Generated:
    """Generate a pool's associations, as ``asnfp generate`` (the reference's
    ``asn_generate``) does.

    - ``pool``: a pool file's path (read as ``read_pool`` reads it), a :class:`Pool`, or
      rows as mappings (column name to value).
    - ``rules``: your rules (:class:`~asnfp.rule.Rule` values, or rule files' paths, as
      ``-r``), run after the JWST catalogue's, or instead of it with ``ignore_default``.
    - the options of the command: ``ids`` (``-i``), ``discover`` (``--discover``),
      ``all_candidates`` (``--all-candidates``; with none of these three, both
      discovery and every candidate run, as by default), ``version_id``
      (``--version-id``; ``True`` stamps the time), ``finalize`` (``--no-finalize``),
      ``merge``, ``per_pool`` (``--per-pool-algorithm``), ``debug`` (``-D``: pruned
      duplicates kept as ``dup`` files), ``dms`` (``--DMS``: with ``ids``, also the
      background candidates of their rows), ``workers`` (``-j``; 1 by default).
    - ``progress``: told a :class:`~asnfp.fast.drivers.Tally` as the run begins and as
      each fold ends (an exception it raises stops the run and is raised here).

    >>> from asnfp.constraints import attr
    >>> mine = Rule(name="Asn_ByFilter", asn_type="image3", level=3, constraint=attr("f", "filter"))
    >>> rows = [{"filename": f"jw_{i}_cal.fits", "exp_type": "mir_image", "pntgtype": "science", "program": "1",
    ...          "targetid": "1", "filter": "f560w", "asn_candidate": "[('o001', 'observation')]"} for i in (1, 2)]
    >>> made = generate(rows, [mine], ignore_default=True, discover=True)
    >>> [(a.rule.name, len(a.products[0].members)) for a in made.associations]
    [('Asn_ByFilter', 2)]
    """
    from asnfp.jwst.catalogue import REQUIRED_COLUMNS, run_registries

    user = _rules(rules)
    if ignore_default and not user:
        raise ValueError("ignore_default needs at least one rule of your own")
    read = _pool(pool)
    require_columns(read, REQUIRED_COLUMNS if per_pool else (*REQUIRED_COLUMNS, "asn_candidate"))
    given = ids is not None or discover or all_candidates
    run_ids = None if ids is None else tuple(dms_ids(read.rows, ids) if dms else ids)
    options = Options(ids=run_ids, discover=discover or not given,
                      all_candidates=all_candidates or not given, version_id=version_id,
                      finalize=finalize, merge=merge, workers=workers)
    driver = generate_per_pool if per_pool else generate_per_candidate
    made = driver(run_registries(user, ignore_default=ignore_default, keep_duplicates=debug), read.rows, options,
                  progress=progress)
    if dms and ids is not None:
        made = of_ids(made, ids)
    return Generated(read, [a for a in made if is_valid(a)])


def _pool(source: PoolSource) -> Pool:
    if isinstance(source, Pool):
        return source
    if isinstance(source, (str, os.PathLike)):
        return read_pool(source)
    return pool_from_rows(source)


def _rules(source: RuleSource | Iterable[RuleSource] | None) -> tuple[Rule, ...]:
    """The rules given, in order: each :class:`Rule` itself, each file's rules in turn."""
    if source is None:
        return ()
    items = [source] if isinstance(source, (Rule, str, os.PathLike)) else list(source)
    return tuple(rule for item in items
                 for rule in ((item,) if isinstance(item, Rule) else load_rule_files([item])))


def associations(
    pool: Pool,
    *,
    ids: tuple[str, ...] | None = None,
    discover: bool | None = None,
    all_candidates: bool | None = None,
    version_id: str | None = None,
    merge: bool = False,
) -> list[Association]:
    """Generate a pool's associations with the JWST rules, finalized, in the order the
    reference writes them; only valid ones (those ``asn_generate`` would write).

    With no ``ids``, ``discover`` or ``all_candidates`` given, both discovery and every
    candidate run, as ``asn_generate`` does by default.

    >>> from asnfp.pool import pool_from_rows
    >>> row = {"filename": "jw_1_uncal.fits", "exp_type": "mir_image", "pntgtype": "science", "program": "1",
    ...        "targetid": "1", "instrume": "miri", "detector": "mirimage", "filter": "f560w", "subarray": "full",
    ...        "asn_candidate": "[('o001', 'observation')]"}
    >>> (sorted((a.rule.asn_type, a.asn_id) for a in associations(pool_from_rows([row]))),
    ...  associations(pool_from_rows([row]), ids=("o002",)))
    ([('image2', 'o001'), ('image3', 'o001')], [])
    """
    from asnfp.jwst import default_registry

    given = ids is not None or discover or all_candidates
    options = Options(
        ids=ids,
        discover=bool(discover) or not given,
        all_candidates=bool(all_candidates) or not given,
        version_id=version_id,
        merge=merge,
    )
    return [a for a in generate_per_candidate(default_registry, pool.rows, options) if is_valid(a)]


def rule_name(asn: Association) -> str:
    """The name written as ``asn_rule``, e.g. ``candidate_Asn_Lv2Image``.

    >>> from asnfp.association import Association
    >>> from asnfp.jwst import RULES
    >>> rule_name(Association(rule=RULES[2], ruleset="candidate")), rule_name(Association(rule=RULES[2], ruleset=None))
    ('candidate_Asn_Lv2Image', 'Asn_Lv2Image')
    """
    return qualified(asn.ruleset, asn.rule)


def to_bytes(asn: Association, fmt: str = "json") -> tuple[str, bytes]:
    """Return an association's ``(file name, file bytes)`` in ``json`` or ``yaml``.

    >>> from asnfp.association import Association
    >>> from asnfp.jwst import RULES
    >>> name, data = to_bytes(Association(rule=RULES[2], ruleset="candidate", program="00001", asn_id="o001",
    ...                                   sequence=1))
    >>> name, b'"asn_rule": "candidate_Asn_Lv2Image"' in data
    ('jw00001-o001_image2_00001_asn.json', True)
    """
    return serialize(asn, rule_name(asn), fmt)


