"""The files of a run, written at once: every association file and the orphan table
staged in one :class:`~asnfp.transaction.Transaction` (all of them, or on any failure
none, never over an input), and, when there are many, made and staged by several
processes, each a share of them (:func:`asnfp.fast.workers.run_parts`).

>>> import os, tempfile
>>> from asnfp.association import Association
>>> from asnfp.jwst import RULES
>>> from asnfp.pool import pool_from_rows
>>> out = Path(tempfile.mkdtemp()) / "out"
>>> write_outputs([Association(rule=RULES[0], ruleset=None, program="00001", asn_id="o001", sequence=1)],
...               pool_from_rows([{"a": "x"}]), out, "json", str(out / "orphans.csv"))
>>> sorted(os.listdir(out)), os.listdir(out.parent)
(['jw00001-o001_image2_00001_asn.json', 'orphans.csv'], ['out'])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Final

from asnfp.association import Association, qualified
from asnfp.errors import AsnfpError, OutputError, UsageError, shown_path
from asnfp.fast.workers import ChildFailed, available_workers, run_parts
from asnfp.io import encode, file_name
from asnfp.pool import Pool, orphan_table
from asnfp.transaction import Output, Transaction

__all__ = ("PARALLEL_WRITES", "taken_rows", "write_outputs")


def taken_rows(asns: Sequence[Association]) -> set[int]:
    """The indexes of the pool rows that ``asns`` hold (the others are the orphans).

    >>> taken_rows([])
    set()
    """
    return {m.row.index for a in asns for p in a.products for m in p.members if m.row is not None}


def _orphans_output(target: Path, orphans: str | None) -> Output | None:
    """Where the orphan table goes: ``orphans`` relative to ``target`` (as in the
    reference; an absolute path may name another folder, which must exist)."""
    if not orphans:
        return None
    path = Path(os.path.abspath(target / orphans))
    if orphans.endswith(("/", os.sep)) or not path.name:
        raise UsageError(f"--save-orphans {shown_path(orphans)}: a file name is needed")
    folder = path.parent
    if folder != Path(os.path.abspath(target)) and not folder.is_dir():
        raise UsageError(f"--save-orphans {shown_path(orphans)}: no such folder {shown_path(str(folder))}")
    return Output(folder, path.name)


def write_outputs(asns: Sequence[Association], pool: Pool, target: Path, fmt: str,
                  orphans: str | None, workers: int = 1,
                  inputs: Sequence[str | os.PathLike[str]] = ()) -> None:
    """Write the association files (and the orphan table) into ``target`` in one
    :class:`~asnfp.transaction.Transaction`: all of them or, on any failure, none, and
    never over one of ``inputs``. Many files are written by up to ``workers``
    processes, each a share of them.

    >>> import tempfile
    >>> from asnfp.pool import pool_from_rows
    >>> out = Path(tempfile.mkdtemp()) / "out"
    >>> write_outputs([], pool_from_rows([]), out, "json", "orphans.csv")
    >>> os.listdir(out)
    ['orphans.csv']
    """
    if fmt not in ("json", "yaml"):
        raise AsnfpError(f"unknown association format {fmt!r} (use json or yaml)")
    files = [Output(target, file_name(a, fmt)) for a in asns]
    table = _orphans_output(target, orphans)
    if table is not None and table.folder == Path(os.path.abspath(target)) and table.name in {f.name for f in files}:
        raise UsageError(f"--save-orphans {shown_path(orphans or '')}: the name of an association file of this run")
    with Transaction([*files, *([table] if table else [])], inputs=inputs) as staged:
        shares = min(workers, available_workers()) if len(asns) >= PARALLEL_WRITES else 1
        cut = [len(asns) * i // shares for i in range(shares + 1)]
        parts = [partial(_written_share, asns[a:b], files[a:b], fmt, staged) for a, b in pairwise(cut)]
        try:
            failure = next((message for message in run_parts(parts) if message is not None), None)
        except ChildFailed:
            raise OutputError(f"{shown_path(str(target))}: cannot write (a process writing files stopped)") from None
        if failure is not None:  # (the first in the files' order: each share stops at its first)
            raise OutputError(failure)
        if table is not None:
            staged.write(table, orphan_table(pool, taken_rows(asns)).encode("utf-8"))


#: With this many association files or more, making and writing them is shared among
#: the ``-j`` processes (a file costs about 30 µs: below this, a fork costs more than it
#: saves).
PARALLEL_WRITES: Final = 4096


def _written_share(asns: Sequence[Association], files: Sequence[Output], fmt: str,
                   staged: Transaction) -> str | None:
    """Stage the files of ``asns`` (named ``files``): ``None``, or the one-line message of
    the first that fails."""
    for asn, output in zip(asns, files, strict=True):
        try:
            staged.write(output, encode(asn, qualified(asn.ruleset, asn.rule), fmt))
        except AsnfpError as err:
            return str(err)
    return None

