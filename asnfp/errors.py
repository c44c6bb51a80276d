"""Errors that reach the user: each says in one line what is wrong and where.

>>> str(PoolError("pool.csv", "no such file"))
'pool.csv: no such file'
>>> str(MissingColumn("filename", 2))
"row 3: no column 'filename'"
>>> print(InputError("pool\\n.csv", "is a FIFO (named pipe), not a pool file"))
pool\\n.csv: is a FIFO (named pipe), not a pool file
"""

from __future__ import annotations

__all__ = ("AsnfpError", "PoolError", "MissingColumn", "UsageError", "OutputError", "UnsafeName",
           "InputError", "shown_path", "first_line", "on_one_line")


class AsnfpError(Exception):
    """Base of asnfp's user-facing errors; ``str()`` is the one-line message."""


def first_line(err: BaseException) -> str:
    """The first line of what ``err`` says; its type's name when it says nothing (or its
    message cannot be had: a ``__str__`` that raises).

    >>> first_line(ValueError(" bad\\nmore ")), first_line(KeyError()), first_line(SystemExit(0))
    ('bad', 'KeyError', '0')
    """
    try:
        lines = str(err).strip().splitlines()
    except Exception:  # (its type says enough)
        lines = []
    return lines[0] if lines else type(err).__name__


def on_one_line(what: object) -> str:
    """All that ``what`` (an error, or text) says, its lines and runs of white space
    joined by single spaces: for a library's message of several lines (a YAML parser's).

    >>> on_one_line(ValueError("while parsing\\n  in line 2\\nexpected ']'"))
    "while parsing in line 2 expected ']'"
    """
    return " ".join(str(what).split())


def shown_path(path: str) -> str:
    """``path`` as a message shows it: every character that is not printable (a newline,
    an escape, a byte that is not UTF-8) written as its backslash escape, so that the
    message stays on one line.

    >>> print(shown_path("pool.csv"), shown_path("a\\nb\\x1b.csv"), shown_path("caf\\xe9 \\udcff.csv"))
    pool.csv a\\nb\\x1b.csv café \\udcff.csv
    """
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in path)


class InputError(AsnfpError):
    """An input file that is not read: ``file`` (as given; shown escaped) and ``message``,
    what it is or why not (see :mod:`asnfp.reading`)."""

    def __init__(self, file: str, message: str) -> None:
        self.file, self.message = file, message
        super().__init__(f"{shown_path(file)}: {message}")


class PoolError(AsnfpError):
    """A pool that cannot be read or used: the file, and the row and column if known."""

    def __init__(self, file: str, message: str, *, row: int | None = None,
                 column: str | None = None) -> None:
        self.file, self.row, self.column, self.message = file, row, column, message
        where = "".join(
            (f", row {row}" if row is not None else "", f", column '{shown_path(column)}'" if column else "")
        )
        super().__init__(f"{shown_path(file)}{where}: {message}")


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
