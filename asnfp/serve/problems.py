"""Problem documents (RFC 9457): every refusal the service makes is one, with ``type``,
``title``, ``status``, ``detail`` and, where known, the ``row`` (counted from 1),
``column``, ``key`` (a field's ``$`` path) or ``file``. asnfp's own errors become one here
(:func:`problem_of`); the framework's are made so by :mod:`asnfp.serve.app`.

>>> from asnfp.errors import PoolError
>>> p = problem_of(PoolError("pool.csv", "has a different number of fields", row=3))
>>> p.status, p.type, p.row, p.detail
(422, 'urn:asnfp:problem:bad-pool', 3, 'pool.csv, row 3: has a different number of fields')
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

from asnfp.errors import AsnfpError, MissingColumn, PoolError, first_line

__all__ = ("Problem", "Refused", "KINDS", "problem", "problem_of", "key_of", "MEDIA_TYPE")

#: The media type of a problem document.
MEDIA_TYPE: Final = "application/problem+json"


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    row: int | None = None
    column: str | None = None
    key: str | None = None
    file: str | None = None


#: Each kind of problem: its status and title (its ``type`` is ``urn:asnfp:problem:KIND``).
KINDS: Final = {
    "malformed-body": (400, "The body cannot be read"),
    "invalid-field": (422, "A field is missing, unknown or of the wrong type"),
    "bad-pool": (422, "The pool cannot be read or used"),
    "bad-request": (422, "The request cannot be honoured"),
    "not-an-association": (422, "The body is not an association file"),
    "time-limit": (422, "The work took longer than the service's time limit"),
    "too-large": (413, "The request is larger than the service's limits"),
    "not-found": (404, "Nothing is here"),
    "method-not-allowed": (405, "This path does not take this method"),
    "unsupported-media-type": (415, "The body's media type is not one this endpoint reads"),
    "http": (400, "The request is not one this service answers"),
    "internal": (500, "asnfp failed (a bug: please report it)"),
}


class Refused(Exception):
    """A request refused: raising one answers with its :class:`Problem`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def problem(kind: str, detail: str, *, status: int | None = None, **where: int | str | None) -> Problem:
    """The problem of ``kind`` (:data:`KINDS`) with its ``detail`` and where it is.

    >>> problem("too-large", "the pool has 30,000 rows (at most 20,000)").status
    413
    """
    code, title = KINDS[kind]
    return Problem(f"urn:asnfp:problem:{kind}", title, status or code, detail, **where)  # type: ignore[arg-type]


_AT: Final = re.compile(r" - at `(\$[^`]*)`")


def key_of(message: str) -> str | None:
    """The ``$`` path a one-line message names (msgspec's and asnfp's ``- at `$...```).

    >>> key_of("Expected `str`, got `int` - at `$.ids[0]`"), key_of("no key")
    ('$.ids[0]', None)
    """
    found = _AT.search(message)
    return found[1] if found else None


def problem_of(err: AsnfpError) -> Problem:
    """asnfp's error as a problem: a pool's names its file, row and column.

    >>> problem_of(MissingColumn("exp_type", 4)).detail
    "row 5: no column 'exp_type'"
    """
    if isinstance(err, PoolError):
        return problem("bad-pool", first_line(err), row=err.row, column=err.column, file=err.file)
    if isinstance(err, MissingColumn):
        return problem("bad-pool", first_line(err), row=err.index + 1, column=err.column)
    return problem("bad-request", first_line(err), key=key_of(str(err)))
