"""Errors that reach the user: each says in one line what is wrong and where.

>>> str(PoolError("pool.csv", "no such file"))
'pool.csv: no such file'
>>> str(MissingColumn("filename", 2))
"row 3: no column 'filename'"
"""

from __future__ import annotations

__all__ = ("AsnfpError", "PoolError", "MissingColumn", "UsageError", "OutputError", "UnsafeName")


class AsnfpError(Exception):
    """Base of asnfp's user-facing errors; ``str()`` is the one-line message."""


class PoolError(AsnfpError):
    """A pool that cannot be read or used: the file, and the row and column if known."""

    def __init__(self, file: str, message: str, *, row: int | None = None,
                 column: str | None = None) -> None:
        self.file, self.row, self.column, self.message = file, row, column, message
        where = "".join(
            (f", row {row}" if row is not None else "", f", column '{column}'" if column else "")
        )
        super().__init__(f"{file}{where}: {message}")


class MissingColumn(AsnfpError):
    """A row lacks a column that the rules must read. ``index`` is 0-based; the message
    counts data rows from 1."""

    def __init__(self, column: str, index: int, reason: str = "") -> None:
        self.column, self.index = column, index
        text = f"row {index + 1}: no column '{column}'" if not reason else (
            f"row {index + 1}, column '{column}': {reason}")
        super().__init__(text)


class UsageError(AsnfpError):
    """A command-line request that cannot be honoured (exit status 2)."""


class OutputError(AsnfpError):
    """Association files that cannot be written."""


class UnsafeName(AsnfpError):
    """A file name that is not plain (see :func:`asnfp.naming.plain_name`): ``name``, and
    ``reason``, why not.

    >>> str(UnsafeName("a/b", "it holds a path separator '/'"))
    "'a/b' is not a plain file name: it holds a path separator '/'"
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(f"{name!r} is not a plain file name: {reason}")
