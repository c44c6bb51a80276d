"""What the service reads and answers, as typed msgspec structs: the OpenAPI document is
made from these. Field names are the command's long flags (``--all-candidates`` is
``all_candidates``); a field not named here is refused.

>>> import msgspec
>>> msgspec.json.decode(b'{"pool": "filename|exp_type\\\\nA|B\\\\n", "ids": ["o001"]}', type=GenerateRequest).ids
['o001']
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

import msgspec

__all__ = (
    "Cell",
    "PoolRows",
    "GenerateRequest",
    "AssociationFile",
    "Orphan",
    "Generated",
    "Verdict",
    "Validation",
    "ExplainRequest",
    "RuleVerdict",
    "RowExplained",
    "Explained",
    "Tree",
    "RuleDetail",
    "Health",
)

#: A cell of a pool given as JSON rows: read as its text (``str(value)``, lower-cased).
Cell: TypeAlias = str | int | float | bool | None
#: A pool as JSON rows: column name to value.
PoolRows: TypeAlias = list[dict[str, Cell]]

_POOL_DOC = ("The pool: its text, as the file is (pipe-delimited by default, comment lines "
             "starting with #), or its rows as JSON objects (column name to value).")
_NAME_DOC = "The pool file's name, written as each association's asn_pool (and named in errors)."


class _PoolFields(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pool: Annotated[str | PoolRows, msgspec.Meta(description=_POOL_DOC)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255, description=_NAME_DOC)] = "pool.csv"
    delimiter: Annotated[str, msgspec.Meta(min_length=1, max_length=8,
                                           description="The pool's column delimiter (-d).")] = "|"
    pool_format: Annotated[str, msgspec.Meta(
        min_length=1, max_length=64, pattern=r"^ascii(\.[a-z_]+)?$",
        description="astropy's text table format (--pool-format): ascii or ascii.*.")] = "ascii"


class GenerateRequest(_PoolFields, forbid_unknown_fields=True, kw_only=True):
    """A pool and ``asnfp generate``'s options (those that say how a pool is made into
    files; the service writes no file, and runs no rule file)."""

    ids: list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]] | None = None
    discover: bool = False
    all_candidates: bool = False
    version_id: Annotated[str, msgspec.Meta(max_length=64)] | bool | None = None
    format: Literal["json", "yaml"] = "json"
    no_finalize: bool = False
    merge: bool = False
    per_pool_algorithm: bool = False
    debug: bool = False
    dms: bool = False


class AssociationFile(msgspec.Struct):
    """An association file: its name and its text (the bytes ``asnfp generate`` writes,
    as UTF-8)."""

    name: str
    content: str


class Orphan(msgspec.Struct):
    """A pool row no written association took: its number (counted from 1) and file name."""

    row: int
    filename: str | None


class Generated(msgspec.Struct):
    """What ``generate`` made: the files (in the order the reference writes them), the
    orphans, the orphan table ``--save-orphans`` writes, and the command's warnings."""

    pool: str
    rows: int
    files: list[AssociationFile]
    orphans: list[Orphan]
    orphan_table: str
    warnings: list[str]


class Verdict(msgspec.Struct, omit_defaults=True):
    """One file's verdict, as ``asnfp validate`` gives it: ``problem`` is its line (with
    ``key``, the field's ``$`` path, where known)."""

    valid: bool
    problem: str | None = None
    key: str | None = None


class Validation(msgspec.Struct):
    """The verdicts on the files of a ``validate`` request, in order."""

    valid: bool
    invalid: int
    files: list[Verdict]


class ExplainRequest(_PoolFields, forbid_unknown_fields=True, kw_only=True):
    """A pool and the rows to explain: by number (``row``, counted from 1) or by file name
    (``file``); neither: every row no written association holds. ``rule``: only these."""

    row: list[Annotated[int, msgspec.Meta(ge=1)]] | None = None
    file: list[Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]] | None = None
    rule: list[Annotated[str, msgspec.Meta(min_length=1, max_length=128)]] | None = None


class RuleVerdict(msgspec.Struct):
    """What became of a row with one rule: ``joined``, ``miss``, ``dropped`` or ``matched``."""

    rule: str
    status: Literal["joined", "miss", "dropped", "matched"]
    detail: str


class RowExplained(msgspec.Struct):
    """A row (counted from 1), the written files that hold it, a verdict per rule, and
    the lines ``asnfp explain`` prints for it."""

    row: int
    filename: str | None
    files: list[str]
    verdicts: list[RuleVerdict]
    text: str


class Explained(msgspec.Struct):
    """``asnfp explain``'s answer: the rows explained (``summary``: the line it prints
    first when no row was named)."""

    pool: str
    rows: int
    summary: str | None
    explained: list[RowExplained]


class Tree(msgspec.Struct):
    """A line of a rule's constraint tree and the lines under it."""

    text: str
    parts: list[Tree]


class RuleDetail(msgspec.Struct):
    """A rule: its line of ``asnfp rules`` (``name``, ``level``, ``asn_type``,
    ``summary``), its constraint as data (a :class:`Tree`), and as ``asnfp rules -k NAME``
    prints it (``text``; ``expanded``: with ``--expand``)."""

    name: str
    level: int
    asn_type: str
    summary: str
    constraint: Tree
    text: str
    expanded: str


class Health(msgspec.Struct):
    """The service is up: asnfp's version and the reference's it matches."""

    status: Literal["ok"]
    version: str
    reference: str
