"""The work behind each endpoint, as plain functions of a request's typed value: the
library's public calls (:func:`asnfp.generate`, :func:`asnfp.tools.validate.check`,
:func:`asnfp.tools.explain.explain_rows`, the catalogue), their answers made into the
:mod:`~asnfp.serve.schema` types. Nothing here knows of HTTP; what a request may not do
raises :class:`~asnfp.serve.problems.Refused`.

>>> import msgspec
>>> request = msgspec.json.decode(b'{"pool": "filename|exp_type|pntgtype|program|targetid|asn_candidate\\\\n'
...                               b'jw_1_uncal.fits|nrc_dark|science|1|1|null\\\\n"}', type=GenerateRequest)
>>> made = generate(request, Settings(), Deadline(30))
>>> made.files, [(o.row, o.filename) for o in made.orphans]
([], [(1, 'jw_1_uncal.fits')])
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache

import msgspec

from asnfp.api import generate as generate_pool
from asnfp.api import to_bytes
from asnfp.candidates import dms_ids, unknown_ids
from asnfp.constraints import TreeNode, constraint_tree, describe_rule, summary
from asnfp.errors import MissingColumn, shown_path
from asnfp.fast.drivers import Options, Tally
from asnfp.pool import Pool, parse_pool, pool_from_rows, require_columns
from asnfp.row import PoolMeta
from asnfp.rule import Rule
from asnfp.serve.problems import Refused, key_of, problem
from asnfp.serve.schema import (
    AssociationFile,
    Explained,
    ExplainRequest,
    Generated,
    GenerateRequest,
    Orphan,
    PoolRows,
    RowExplained,
    RuleDetail,
    RuleVerdict,
    Tree,
    Validation,
    Verdict,
)
from asnfp.serve.settings import Settings
from asnfp.tools.explain import describe, explain_rows, rows_asked
from asnfp.tools.validate import Invalid, check, check_strict, is_document

__all__ = ("Deadline", "TimeLimit", "generate", "explain", "validate", "rule_details", "rule_detail",
           "request_pool")


class TimeLimit(Exception):
    """A generation ran past its request's time limit."""


class Deadline:
    """When a request's time is up (``seconds`` from now); :meth:`check` raises
    :class:`TimeLimit` past it. Given as a generation's ``progress``, it is checked as
    each fold ends.

    >>> Deadline(60).check()
    >>> Deadline(0.0).check()
    Traceback (most recent call last):
      ...
    asnfp.serve.work.TimeLimit: took longer than the time limit of 0 s (ASNFP_SERVE_TIME_LIMIT)
    """

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def check(self, _tally: Tally | None = None) -> None:
        if time.monotonic() > self.at:
            raise TimeLimit(f"took longer than the time limit of {self.seconds:g} s (ASNFP_SERVE_TIME_LIMIT)")


# --------------------------------------------------------------------------- pools


def _rows_pool(rows: PoolRows, name: str) -> Pool:
    """A pool given as JSON rows: column names compared as reading compares them (any
    case), a name given twice in one row refused."""
    for i, row in enumerate(rows):
        seen: dict[str, str] = {}
        for column in row:
            lowered = column.lower()
            if lowered in seen or not column.strip():
                why = "a blank column name" if not column.strip() else (
                    f"two columns have the same name ({seen[lowered]!r} and {column!r})")
                raise Refused(problem("bad-pool", f"{shown_path(name)}, row {i + 1}: {why}", row=i + 1, column=column,
                                      key=f"$.pool[{i}]"))
            seen[lowered] = column
    return pool_from_rows(rows, name=name)


def request_pool(request: GenerateRequest | ExplainRequest, settings: Settings) -> Pool:
    """The request's pool (its text, as :func:`asnfp.pool.parse_pool` reads a file of it,
    or its JSON rows), within ``settings.max_rows``.

    >>> request_pool(ExplainRequest(pool=[{"Filename": "A"}]), Settings()).rows[0]["filename"]
    'a'
    >>> [request_pool(ExplainRequest(pool=[], name=name), Settings()).meta.file
    ...  for name in ("/data/jw_pool.csv", "C:\\\\data\\\\jw_pool.csv", "/data/")]
    ['jw_pool.csv', 'jw_pool.csv', 'pool.csv']
    """
    name = PoolMeta(request.name).name or "pool.csv"  # (the base name, as asn_pool shows a file's)
    if isinstance(request.pool, str):
        pool = parse_pool(request.pool, name=name, fmt=request.pool_format, delimiter=request.delimiter)
    else:
        pool = _rows_pool(request.pool, name)
    if len(pool.rows) > settings.max_rows:
        raise Refused(problem("too-large", f"{shown_path(name)}: the pool has {len(pool.rows):,} rows (the service "
                                           f"takes at most {settings.max_rows:,}: ASNFP_SERVE_MAX_ROWS)", file=name))
    return pool


def _one_mode(ids: object, discover: bool, all_candidates: bool) -> None:
    given = [name for name, on in (("ids", ids is not None), ("discover", discover),
                                   ("all_candidates", all_candidates)) if on]
    if len(given) > 1:
        raise Refused(problem("bad-request", f"{given[0]} and {given[1]} cannot be given together (as "
                                             "-i, --discover and --all-candidates)", key=f"$.{given[1]}"))


def _pool_errors(pool: Pool, err: MissingColumn) -> Refused:
    return Refused(problem("bad-pool", f"{shown_path(pool.meta.file)}: {err}", row=err.index + 1, column=err.column,
                           file=pool.meta.file))


# --------------------------------------------------------------------------- generate


def generate(request: GenerateRequest, settings: Settings, deadline: Deadline) -> Generated:
    """``asnfp generate`` on the request's pool: the files it writes (names and text),
    the orphans and the orphan table, the warnings it prints."""
    deadline.check()
    _one_mode(request.ids, request.discover, request.all_candidates)
    pool = request_pool(request, settings)
    try:
        made = generate_pool(pool, ids=request.ids, discover=request.discover,
                             all_candidates=request.all_candidates, version_id=request.version_id,
                             finalize=not request.no_finalize, merge=request.merge,
                             per_pool=request.per_pool_algorithm, debug=request.debug, dms=request.dms,
                             progress=deadline.check)
        asked = request.ids or []
        missing = unknown_ids(pool.rows, dms_ids(pool.rows, asked) if request.dms else asked)
    except MissingColumn as err:
        raise _pool_errors(pool, err) from None
    files = [AssociationFile(name, data.decode("utf-8"))
             for name, data in (to_bytes(asn, request.format) for asn in made.associations)]
    orphans = [Orphan(row.index + 1, row.get("filename")) for row in made.orphans]
    return Generated(pool.meta.file, len(pool.rows), files, orphans, made.orphan_table(),
                     [f"candidate id {ident} not found in pool" for ident in missing])


# --------------------------------------------------------------------------- explain


def _checked_rules(names: Sequence[str] | None) -> None:
    known = {rule.name for rule in _catalogue()}
    for i, name in enumerate(names or ()):
        if name not in known:
            raise Refused(problem("bad-request", f"no rule {name!r} (GET /v1/rules lists them)", key=f"$.rule[{i}]"))


def explain(request: ExplainRequest, settings: Settings, deadline: Deadline) -> Explained:
    """``asnfp explain`` on the request's pool: for each row asked for (every orphan by
    default), the files that hold it and a verdict per rule.

    >>> pool = ("filename|exp_type|pntgtype|program|targetid|instrume|detector|filter|subarray|asn_candidate\\n"
    ...         "jw_1_uncal.fits|mir_image|science|1|1|miri|mirimage|f560w|full|[('o001', 'observation')]\\n")
    >>> found = explain(ExplainRequest(pool=pool, row=[1], rule=["Asn_Lv3Image"]), Settings(), Deadline(30))
    >>> [(v.rule, v.status, v.detail) for v in found.explained[0].verdicts]
    [('Asn_Lv3Image', 'joined', 'joined jw00001-o001_image3_00001_asn.json')]
    """
    from asnfp.jwst.catalogue import REQUIRED_COLUMNS, run_registries

    deadline.check()
    if request.row and request.file:
        raise Refused(problem("bad-request", "row and file cannot be given together (as --row and --file)",
                              key="$.file"))
    _checked_rules(request.rule)
    pool = request_pool(request, settings)
    require_columns(pool, (*REQUIRED_COLUMNS, "asn_candidate"))
    indexes = rows_asked(pool.rows, request.row, request.file, pool.meta.file)
    try:
        found = explain_rows(run_registries((), ignore_default=False, keep_duplicates=False), pool.rows,
                             indexes or None, Options(workers=1), rules=request.rule, progress=deadline.check)
    except MissingColumn as err:
        raise _pool_errors(pool, err) from None
    explained = [RowExplained(e.row.index + 1, e.row.get("filename"), list(e.files),
                              [RuleVerdict(v.rule, v.status, v.detail) for v in e.verdicts],  # type: ignore[arg-type]
                              describe(e))
                 for e in found]
    summary_line = None if indexes else (
        f"{len(found)} of {len(pool.rows)} rows of {pool.meta.file} are in no written association")
    return Explained(pool.meta.file, len(pool.rows), summary_line, explained)


# --------------------------------------------------------------------------- validate


def _verdict(data: bytes, strict: bool, is_yaml: bool) -> Verdict:
    found: Invalid | None
    if strict:
        result = check_strict(data, is_yaml=is_yaml)
        found = result if isinstance(result, Invalid) else None
    else:
        found = check(data)
    if found is None:
        return Verdict(True)
    return Verdict(False, found.message, key_of(found.message))


_BATCH = msgspec.json.Decoder(list[msgspec.Raw])
_TEXT = msgspec.json.Decoder(str)


def _batch(body: bytes, settings: Settings) -> list[bytes]:
    """The files of a batch: a JSON array, each file its text (a string) or an object."""
    try:
        items = _BATCH.decode(body)
    except msgspec.DecodeError as err:
        raise Refused(problem("malformed-body", f"a batch is a JSON array of association files: {err}")) from None
    except RecursionError:
        raise Refused(problem("malformed-body", "the batch nests deeper than can be read")) from None
    if len(items) > settings.max_files:
        raise Refused(problem("too-large", f"the batch holds {len(items):,} files (the service takes at most "
                                           f"{settings.max_files:,}: ASNFP_SERVE_MAX_FILES)"))
    files = []
    for i, item in enumerate(items):
        raw = bytes(item)
        if raw[:1] == b'"':
            files.append(_TEXT.decode(raw).encode("utf-8", "surrogatepass"))
        elif raw[:1] == b"{":
            files.append(raw)
        else:
            raise Refused(problem("invalid-field", "each file of a batch is its text (a string) or a JSON object",
                                  key=f"$[{i}]"))
    return files


def validate(body: bytes, settings: Settings, *, strict: bool = False, is_yaml: bool = False) -> Validation:
    """``asnfp validate`` on the body: one association file as it is on disk (JSON or
    YAML), or a JSON array of files (each its text, or an object). A single body that is
    no association file at all (not text, neither JSON nor YAML, not an object) is refused.

    >>> validate(b'{"products": []}', Settings()).valid
    True
    >>> [v.key for v in validate(b'[{"products": 3}, "products: []"]', Settings()).files]
    ['$.products', None]
    """
    if body.lstrip(b" \\t\\r\\n")[:1] == b"[":
        verdicts = [_verdict(data, strict, is_yaml) for data in _batch(body, settings)]
    else:
        verdict = _verdict(body, strict, is_yaml)
        if not verdict.valid and not is_document(body):
            raise Refused(problem("not-an-association", verdict.problem or "not an association file",
                                  key=verdict.key))
        verdicts = [verdict]
    invalid = sum(not v.valid for v in verdicts)
    return Validation(invalid == 0, invalid, verdicts)


# --------------------------------------------------------------------------- rules


@cache
def _catalogue() -> tuple[Rule, ...]:
    from asnfp.jwst import RULES

    return tuple(RULES)


def _tree(node: TreeNode) -> Tree:
    return Tree(node.text, [_tree(part) for part in node.parts])


@cache
def rule_details() -> tuple[RuleDetail, ...]:
    """The catalogue, one :class:`RuleDetail` a rule, in the order they run (made once:
    the catalogue is a constant).

    >>> rule_details()[0].name, rule_details()[0].constraint.text
    ('Asn_Lv2CoronAsRate', 'all_of')
    """
    return tuple(_detail(rule) for rule in _catalogue())


def rule_detail(name: str) -> RuleDetail | None:
    """One rule as data (its constraint's tree) and as text; ``None`` if there is none.

    >>> rule_detail("Asn_Lv3ImageMosaic").constraint.text, rule_detail("nothing")
    ('science(...)', None)
    """
    return next((detail for detail in rule_details() if detail.name == name), None)


def _detail(rule: Rule) -> RuleDetail:
    return RuleDetail(rule.name, rule.level, rule.asn_type, summary(rule.constraint, 1000),
                      _tree(constraint_tree(rule.constraint)), describe_rule(rule),
                      describe_rule(rule, expand=True))
