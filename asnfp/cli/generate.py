"""``asnfp generate POOL``: every flag of ``asn_generate``, the pool read, the rules'
registry made, the associations generated and written (in one transaction: all the files
or none), with a progress line on a terminal (:func:`folding_line`). ``asnfp batch``
shares its flags and :func:`generate_files`.

>>> from asnfp.cli.command import build_parser
>>> build_parser().parse_args(["generate", "pool.csv", "-i", "o001", "--merge"]).ids
['o001']
"""

from __future__ import annotations

import argparse
import os  # noqa: F401  (doctests)
import re
import sys
import tempfile  # noqa: F401  (doctests)
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, NamedTuple, TextIO

from msgspec.structs import replace

from asnfp.association import is_valid
from asnfp.candidates import dms_ids, of_ids, unknown_ids
from asnfp.cli.process import ProgressLine
from asnfp.errors import (
    AsnfpError,
    MissingColumn,
    UsageError,
    shown_path,
)
from asnfp.fast.drivers import Options, Tally, generate_per_candidate, generate_per_pool
from asnfp.fast.workers import available_workers
from asnfp.fast.write import taken_rows, write_outputs
from asnfp.pool import Pool, read_pool, require_columns
from asnfp.rule import Registry, load_rule_files
from asnfp.version import REFERENCE_VERSION, __version__

__all__ = (
    "REFERENCE_VERSION",
    "ROW_NUMBERS",
    "PROGRESS",
    "Generated",
    "add_generate_command",
    "add_generate_flags",
    "check_columns",
    "check_version_id",
    "folding_line",
    "generate_files",
    "positive_count",
    "registries",
    "run_generate",
    "worker_count",
)



#: ``-j`` by default: one process per core, at most this many (each child copies the
#: pages of the pool it touches, so more would cost memory for little speed).
DEFAULT_WORKERS_MAX = 4


VERSION_ID_MAX = 64


_VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


#: How rows are numbered, wherever a person reads a number (``--help`` says it).
ROW_NUMBERS: Final = (
    "Row numbers: a pool's rows are numbered from 1, in the order of its data rows, as a person "
    "reading the file counts them (the header, comment lines and blank lines are not rows). Error "
    "messages ('POOL, row 3: ...') and asnfp explain (--row N, and the 'row N' it prints) count so; "
    "in Python, Row.index is the row's 0-based position (row N has index N-1).")

#: What the progress line of ``asnfp generate`` shows, and when (``--help`` says it).
PROGRESS: Final = (
    "Progress: on a terminal, a run that lasts over a second shows a line on stderr, redrawn in "
    "place and cleared at the end: the rows folded of all (a row counts once in each fold that "
    "holds it: each of its candidates', and discovery's) and their rate, the time, the associations "
    "made so far (before finalization) and the folds finished. Nothing is shown when stderr is not "
    "a terminal, nor by asnfp batch.")


def add_generate_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("generate", help="generate associations from a pool (as asn_generate)",
                       description="Generate association files from a pool, as asn_generate does.",
                       epilog="\n\n".join(textwrap.fill(text, 79) for text in (ROW_NUMBERS, PROGRESS)),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pool", help="association pool file")
    p.add_argument("-p", "--path", default=".", help="output folder (created if missing; default: .)")
    add_generate_flags(p)
    p.add_argument("--version", action="version",
                   version=f"asnfp generate {__version__} (asn_generate {REFERENCE_VERSION})")
    p.add_argument("-j", "--workers", type=positive_count, default=None, metavar="N",
                   help="processes to share the candidate runs among (default: one per core, at "
                        f"most {DEFAULT_WORKERS_MAX}; never more than the cores; 1: one process)")
    p.set_defaults(command=run_generate)


def add_generate_flags(p: argparse.ArgumentParser) -> None:
    """Add the flags of ``asnfp generate`` that say how one pool is made into files (all
    but the pool, ``-p``, ``-j`` and ``--version``): ``asnfp batch`` takes them too.

    >>> p = argparse.ArgumentParser(); add_generate_flags(p)
    >>> a = p.parse_args(["--merge", "-i", "o001", "--save-orphans"])
    >>> a.merge, a.ids, a.save_orphans, a.format
    (True, ['o001'], 'orphaned.csv', 'json')
    """
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-i", "--ids", nargs="+", help="only these candidate ids (e.g. o001 c1000)")
    mode.add_argument("--discover", action="store_true", help="only discovered associations")
    mode.add_argument("--all-candidates", action="store_true", dest="all_candidates",
                      help="only candidate associations (no discovery)")
    p.add_argument("--save-orphans", nargs="?", const="orphaned.csv", default=None, dest="save_orphans",
                   help="write rows no association took to this table, relative to -p "
                        "(default name: orphaned.csv)")
    p.add_argument("--version-id", nargs="?", const=True, default=None, dest="version_id",
                   help="version tag in file names; bare: the current UTC time")
    p.add_argument("-r", "--rules", action="append",
                   help="a Python file of asnfp rules, added to the JWST rules (repeatable)")
    p.add_argument("--ignore-default", action="store_true",
                   help="do not use the JWST rules (only those of -r)")
    p.add_argument("--dry-run", action="store_true", help="generate, but write nothing")
    p.add_argument("-d", "--delimiter", default="|", help="pool column delimiter (default: |)")
    p.add_argument("--pool-format", default="ascii", help="astropy table format (default: ascii)")
    p.add_argument("-v", "--verbose", action="store_true", help="report progress and results")
    p.add_argument("-D", "--debug", action="store_true",
                   help="debug: also write the duplicates that pruning removed (dup*_asn files)")
    p.add_argument("--DMS", action="store_true", dest="dms",
                   help="DMS conditions: with -i, also the background candidates of those rows")
    p.add_argument("--format", default="json", choices=("json", "yaml"), help="file format")
    p.add_argument("--no-finalize", action="store_true", help="skip finalization")
    p.add_argument("--merge", action="store_true", help="merge Level-2 associations of one id")
    p.add_argument("--no-merge", action="store_true",
                   help="deprecated: not merging is the default")
    p.add_argument("--per-pool-algorithm", action="store_true", help="the per-pool algorithm")


def _options(args: argparse.Namespace) -> Options:
    given = args.ids is not None or args.discover or args.all_candidates
    return Options(
        ids=tuple(args.ids) if args.ids is not None else None,
        all_candidates=args.all_candidates or not given,
        discover=args.discover or not given,
        version_id=args.version_id,
        finalize=not args.no_finalize,
        merge=args.merge,
        workers=worker_count(args.workers),
    )


def worker_count(asked: int | None) -> int:
    """The processes a run uses for ``-j``: by default one per core, at most
    ``DEFAULT_WORKERS_MAX``; never more than the cores this process may run on (each
    more is a process that only waits, and ``-j 100000`` would fork until the machine
    runs out). The folds and the writes take fewer still when they have less work.

    >>> worker_count(1), worker_count(100_000) == available_workers(), worker_count(None) >= 1
    (1, True, True)
    """
    if asked is None:
        return min(available_workers(), DEFAULT_WORKERS_MAX)
    return max(1, min(asked, available_workers()))


def positive_count(text: str) -> int:
    """Read ``--workers``: a whole number of processes, at least 1.

    >>> positive_count("2")
    2
    >>> positive_count("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: must be a whole number, at least 1: '0'
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1: {text!r}")
    return value


def check_version_id(version_id: str | bool | None) -> None:
    """Refuse a ``--version-id`` that is not safe inside a file name: only letters, digits
    and ``._-``, starting with a letter or digit, at most ``VERSION_ID_MAX`` characters.

    >>> check_version_id("Test_V1.2"), check_version_id(True), check_version_id(None)
    (None, None, None)
    >>> check_version_id("a/b")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    asnfp.errors.UsageError: --version-id 'a/b': only letters, digits and '._-' are allowed,
        starting with a letter or digit
    """
    if not isinstance(version_id, str) or not version_id:  # "" stamps nothing, as before
        return
    if len(version_id) > VERSION_ID_MAX:
        raise UsageError(f"--version-id: too long ({len(version_id)} characters; "
                         f"at most {VERSION_ID_MAX})")
    if not _VERSION_ID.fullmatch(version_id):
        raise UsageError(f"--version-id {version_id!r}: only letters, digits and '._-' are "
                         "allowed, starting with a letter or digit")


def check_columns(pool: Pool, needed: Sequence[str]) -> None:
    """The pool's columns checked as the library checks them (:func:`asnfp.pool.require_columns`).

    >>> from asnfp.pool import pool_from_rows
    >>> check_columns(pool_from_rows([]), ["filename"])
    """
    require_columns(pool, needed)


def registries(args: argparse.Namespace) -> Callable[[str | None], Registry]:
    """The registry factory of a run: the JWST rules and those of ``-r`` files (loaded
    now, so that a rule file that does not load fails before any pool is read).

    >>> from asnfp.cli.command import build_parser

    >>> make = registries(build_parser().parse_args(["generate", "pool.csv"]))
    >>> "Asn_Lv3Image" in {rule.name for rule in make(None).rules}
    True
    >>> registries(build_parser().parse_args(["generate", "pool.csv", "--ignore-default"]))
    Traceback (most recent call last):
    asnfp.errors.UsageError: --ignore-default needs the rules of at least one -r file
    """
    from asnfp.jwst.catalogue import run_registries

    user = load_rule_files(args.rules or ())
    if args.ignore_default and not user:
        raise UsageError("--ignore-default needs the rules of at least one -r file")
    return run_registries(user, ignore_default=args.ignore_default, keep_duplicates=bool(args.debug))


def run_generate(args: argparse.Namespace) -> int:
    """Run ``asnfp generate``: read, generate, write. Returns the exit status.

    >>> from asnfp.cli.command import build_parser

    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "pool.csv").write_text("filename|exp_type|pntgtype|program|targetid|asn_candidate\\n"
    ...                                 "jw_1_uncal.fits|nrc_dark|science|1|1|null\\n")
    >>> run_generate(build_parser().parse_args(["generate", str(d / "pool.csv"), "-p", str(d / "out"),
    ...                                         "--save-orphans"]))
    0
    >>> sorted(os.listdir(d / "out")), (d / "out" / "orphaned.csv").read_text().splitlines()[1]
    (['orphaned.csv'], 'jw_1_uncal.fits|nrc_dark|science|1|1|null')
    """
    made = generate_files(args, progress=sys.stderr)
    if args.verbose or args.debug:
        print(f"{made.associations} associations from {made.rows} rows of {made.pool}")
    return 0


class Generated(NamedTuple):
    """What one ``generate`` made of a pool: its file, its rows, the associations written
    and the orphans (the rows that none of them took)."""

    pool: str
    rows: int
    associations: int
    orphans: int


def generate_files(args: argparse.Namespace, warn: Callable[[str], None] | None = None, *,
                   progress: TextIO | None = None) -> Generated:
    """Read the pool of ``args``, generate, and write the files (unless ``--dry-run``):
    what ``asnfp generate`` does, without printing. Errors raise :class:`AsnfpError`;
    warnings go to ``warn`` (by default, a line on stderr). While the folds run, a
    progress line (:func:`folding_line`) is drawn on ``progress`` if it is a terminal
    (``asnfp generate`` gives stderr; a batch's task gives none), and cleared before
    anything is written.

    >>> from asnfp.cli.command import build_parser

    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "pool.csv").write_text("filename|exp_type|pntgtype|program|targetid|asn_candidate\\n"
    ...                                 "jw_1_uncal.fits|nrc_dark|science|1|1|null\\n")
    >>> generate_files(build_parser().parse_args(["generate", str(d / "pool.csv"), "-p", str(d / "out")]))[1:]
    (1, 0, 1)
    """
    from asnfp.jwst import REQUIRED_COLUMNS

    check_version_id(args.version_id)
    make_registry = registries(args)
    pool = read_pool(args.pool, fmt=args.pool_format, delimiter=args.delimiter)
    per_pool = args.per_pool_algorithm
    check_columns(pool, REQUIRED_COLUMNS if per_pool else (*REQUIRED_COLUMNS, "asn_candidate"))
    options = _options(args)
    try:
        if args.dms and options.ids is not None:
            options = replace(options, ids=dms_ids(pool.rows, options.ids))
        for ident in unknown_ids(pool.rows, options.ids or ()):
            (warn or _warn)(f"candidate id {shown_path(ident)} not found in pool")
        driver = generate_per_pool if per_pool else generate_per_candidate
        with ProgressLine(progress, folding_line) as line:  # (closed before the writers fork)
            asns = driver(make_registry, pool.rows, options, progress=line.tell if line.shown else None)
    except MissingColumn as err:
        raise AsnfpError(f"{shown_path(pool.meta.file)}: {err}") from None
    if args.dms and args.ids is not None:
        asns = of_ids(asns, args.ids)
    written = [a for a in asns if is_valid(a)]
    if not args.dry_run:
        write_outputs(written, pool, Path(args.path), args.format, args.save_orphans, options.workers,
                      inputs=[args.pool, *(args.rules or ())])
    orphans = len(pool.rows) - len(taken_rows(written))
    return Generated(pool.meta.file, len(pool.rows), len(written), orphans)


def folding_line(tally: Tally, seconds: float, columns: int = 100) -> str:
    """The progress line of a generation ``seconds`` after it began, in fewer than
    ``columns`` characters: a bar of the rows folded, then what fits beside a bar of 10
    of the rows folded of all (and their rate), the time, the associations made so far
    and the folds finished (when more than one: the per-pool driver is one fold).

    >>> folding_line(Tally(folds_done=120, folds=326, rows_done=9012, rows=19724, associations=1234), 3.1)
    '[#########-----------] 9,012/19,724 rows folded (2,907/s), 3.1 s, 1,234 associations, 120/326 folds'
    >>> folding_line(Tally(120, 326, 9012, 19724, 1234), 3.1, columns=80)
    '[######---------] 9,012/19,724 rows folded (2,907/s), 3.1 s, 1,234 associations'
    >>> folding_line(Tally(0, 1, 0, 19724, 0), 4.25, columns=30)
    '[------] 0/19,724 rows folded'
    """
    done, total = tally.rows_done, tally.rows
    rate = f" ({done / seconds:,.0f}/s)" if done and seconds > 0 else ""
    parts = [f"{done:,}/{total:,} rows folded{rate}", f"{seconds:.1f} s", f"{tally.associations:,} associations"]
    if tally.folds > 1:
        parts.append(f"{tally.folds_done:,}/{tally.folds:,} folds")
    room = columns - 1
    while len(parts) > 1 and len(", ".join(parts)) + 13 > room:  # (room for a bar of 10, if the last goes)
        parts.pop()
    text = ", ".join(parts)[:room]
    width = min(20, room - len(text) - 3)  # (what is left for the bar, at most 20)
    if width < 5:
        return text
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'-' * (width - filled)}] {text}"


def _warn(text: str) -> None:
    print(f"asnfp: warning: {text}", file=sys.stderr)
