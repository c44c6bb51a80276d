"""The ``asnfp`` command: its parser (every sub-command), :func:`main` and the console
script's :func:`entry`. Errors become one line on stderr with exit status 2; nothing here
is imported by another module but the package's face.

>>> build_parser().parse_args(["rules", "-k", "Image"]).k
'Image'
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile  # noqa: F401  (doctests)
import textwrap
from collections.abc import Sequence
from pathlib import Path  # noqa: F401  (doctests)
from typing import NoReturn

from asnfp.cli import batch, serve
from asnfp.cli.generate import (  # noqa: F401
    ROW_NUMBERS,
    add_generate_command,
    check_columns,
    positive_count,
    registries,
    run_generate,
    worker_count,
)
from asnfp.cli.process import (
    TERMINATING_SIGNALS,
    GuardedStdout,
    StdoutClosed,
    StdoutFailed,
    Terminated,
    cycle_collector_off,
    internal_error,
    one_line,
    say,
    silence_stdout,
    terminate,
)
from asnfp.errors import (
    AsnfpError,
    MissingColumn,
    UsageError,
    shown_path,
)
from asnfp.fast.drivers import Options
from asnfp.fold import RuleFailed
from asnfp.pool import read_pool
from asnfp.rule import Rule
from asnfp.signals import handled
from asnfp.tools import diff, edit, from_list, gather, mkpool, report, validate
from asnfp.version import __version__

__all__ = ("build_parser", "entry", "main", "run_explain", "run_rules")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_rules(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rules", help="list the rule catalogue, or print rules as trees",
                       description="List the JWST rules in the order they run, one line each: name, "
                                   "level, asn_type and the constraint's top-level blocks. With -k, "
                                   "print each rule whose name contains the text as an indented tree "
                                   "of all_of / any_of / not_any / not_all and leaves, in the words of "
                                   "the catalogue's source.")
    p.add_argument("-k", default=None, metavar="TEXT",
                   help="print the rules whose name contains TEXT, each as a tree")
    p.add_argument("--expand", action="store_true",
                   help="with -k: print what each named block is made of, after its call")
    p.set_defaults(command=run_rules)


#: The width ``asnfp rules`` keeps to.
_WIDTH = 100


def run_rules(args: argparse.Namespace) -> int:
    """Print the catalogue as a table, one line per rule (``name  level  asn_type``
    and a summary of the constraint); with ``-k TEXT``, the rules whose name contains
    ``TEXT``, each as a tree (:func:`~asnfp.constraints.describe_rule`).

    >>> import io, contextlib
    >>> out = io.StringIO()
    >>> with contextlib.redirect_stdout(out):
    ...     status = main(["rules", "-k", "Lv3ImageMosaic"])
    >>> print(out.getvalue().rstrip())
    Asn_Lv3ImageMosaic  level 3  image3
      science(...)
        all_of
          optical_path()
          image()
          wfs_visit()
          not_bkgd_or_tso()
    """
    from asnfp.constraints import describe_rule
    from asnfp.jwst import RULES

    if args.k is None:
        print("\n".join(_table(RULES)))
        return 0
    found = [rule for rule in RULES if args.k in rule.name]
    if not found:
        raise UsageError(f"no rule has {args.k!r} in its name (asnfp rules lists them)")
    print("\n\n".join(describe_rule(rule, _WIDTH, expand=args.expand) for rule in found))
    return 0


def _table(rules: Sequence[Rule]) -> list[str]:
    """The lines of the ``asnfp rules`` table: a header, then one line per rule.

    >>> from asnfp.jwst import RULES
    >>> print("\\n".join(_table(RULES[:2])))
    rule                level  asn_type  constraint
    Asn_Lv2CoronAsRate  2      image2    base(), mode(), exp_type ~ 'nrc_coron', subarray ~ 'full', c...
    Asn_Lv2FGS          2      image2    base(), single_science(level2_exptype), exp_type ~ 'fgs_imag...
    """
    from asnfp.constraints import summary

    names = max(len("rule"), *(len(r.name) for r in rules))
    kinds = max(len("asn_type"), *(len(r.asn_type) for r in rules))
    room = _WIDTH - names - kinds - len("level") - 6
    lines = [f"{'rule':{names}}  level  {'asn_type':{kinds}}  constraint"]
    lines += [f"{r.name:{names}}  {r.level:<5}  {r.asn_type:{kinds}}  {summary(r.constraint, room)}" for r in rules]
    return lines


def _add_explain(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("explain", help="why a row joined, or did not join, each rule",
                       description="For a row of the pool (or, by default, for every row that no "
                                   "written association holds): the associations that hold it, "
                                   "and for each rule whether the row joined it, and if not, the "
                                   "leaf that missed with the value the row has there.",
                       epilog=textwrap.fill(ROW_NUMBERS, 79))
    p.add_argument("pool", help="association pool file")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--row", type=int, action="append", metavar="N",
                       help="the pool's row N, counted from 1 as the file is read (see below); may be repeated")
    which.add_argument("--file", action="append", metavar="NAME",
                       help="the rows whose file name is NAME (or contains it); may be repeated")
    p.add_argument("--rule", action="append", metavar="NAME", help="only this rule (may be repeated)")
    p.add_argument("-r", "--rules", action="append", help="a Python file of rules to add (may be repeated)")
    p.add_argument("--ignore-default", action="store_true", help="only the rules of the -r files")
    p.add_argument("-d", "--delimiter", default="|", help="pool column delimiter (default: |)")
    p.add_argument("--pool-format", default="ascii", help="astropy table format (default: ascii)")
    p.add_argument("-j", "--workers", type=positive_count, default=None, metavar="N",
                   help="processes to share the candidate runs among (default: one per core; "
                        "never more than the cores)")
    p.set_defaults(command=run_explain, debug=False)


def run_explain(args: argparse.Namespace) -> int:
    """Run ``asnfp explain``: print, for each row asked for (every orphan by default),
    the associations that hold it and a line per rule.

    >>> import io, contextlib
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "pool.csv").write_text("filename|exp_type|pntgtype|program|targetid|instrume|detector|filter|"
    ...                                 "subarray|asn_candidate\\n"
    ...                                 "jw_1_uncal.fits|mir_image|science|1|1|miri|mirimage|f560w|full|"
    ...                                 "[('o001', 'observation')]\\n")
    >>> out = io.StringIO()
    >>> with contextlib.redirect_stdout(out):
    ...     status = main(["explain", str(d / "pool.csv"), "--row", "1", "--rule", "Asn_Lv3Image"])
    >>> status, out.getvalue().splitlines()[1]
    (0, '  Asn_Lv3Image: joined jw00001-o001_image3_00001_asn.json')
    """
    from asnfp.jwst import REQUIRED_COLUMNS
    from asnfp.tools.explain import describe, explain_rows, rows_asked

    make_registry = registries(args)
    known = {r.name for r in make_registry(None).rules}
    unknown = [name for name in args.rule or () if name not in known]
    if unknown:
        raise UsageError(f"no rule {unknown[0]!r} (asnfp rules lists them)")
    pool = read_pool(args.pool, fmt=args.pool_format, delimiter=args.delimiter)
    check_columns(pool, (*REQUIRED_COLUMNS, "asn_candidate"))
    workers = worker_count(args.workers)
    options = Options(workers=workers)
    indexes = rows_asked(pool.rows, args.row, args.file, pool.meta.file)
    try:
        found = explain_rows(make_registry, pool.rows, indexes or None, options, rules=args.rule)
    except MissingColumn as err:
        raise AsnfpError(f"{shown_path(pool.meta.file)}: {err}") from None
    if not indexes:
        print(f"{len(found)} of {len(pool.rows)} rows of {pool.meta.file} are in no written association")
    if found:
        print("\n".join(describe(e) for e in found))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the ``asnfp`` argument parser (sub-command ``generate``).

    >>> args = build_parser().parse_args(["generate", "pool.csv"])
    >>> args.pool, args.path, args.format, args.ids, args.command is run_generate
    ('pool.csv', '.', 'json', None, True)
    """
    parser = _Parser(prog="asnfp", description="JWST associations, as a functional fold.")
    parser.add_argument("--version", action="version", version=f"asnfp {__version__}")
    sub = parser.add_subparsers(dest="name", title="commands", parser_class=_Parser)
    add_generate_command(sub)
    _add_rules(sub)
    _add_explain(sub)
    for tool in (from_list, edit, gather, mkpool, diff, validate, report, batch, serve):
        tool.add_parser(sub)
    return parser


def _no_command(parser: argparse.ArgumentParser) -> int:
    """A bare ``asnfp``: the usage and the commands, on stderr, and the status of a usage
    error (2, as argparse gives, and as the reference's tools give when called bare).

    >>> import io, contextlib
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     status = main([])
    >>> lines = err.getvalue().splitlines()
    >>> status, lines[0], lines[-1]
    (2, 'usage: asnfp [-h] [--version]', 'asnfp: error: a command is required (asnfp COMMAND -h tells its options)')
    >>> [line.split()[0] for line in lines if line[:4] == "    " and line[4] != " "][:4]
    ['generate', 'rules', 'explain', 'from-list']
    """
    with contextlib.suppress(OSError, ValueError):
        parser.print_help(sys.stderr)
        print(file=sys.stderr)
    say("asnfp: error: a command is required (asnfp COMMAND -h tells its options)")
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``asnfp`` command; returns (and exits with) the status.

    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "pool.csv").write_text("filename|exp_type|pntgtype|program|targetid|instrume|detector|filter|"
    ...                                 "subarray|asn_candidate\\n"
    ...                                 "jw_1_uncal.fits|mir_image|science|1|1|miri|mirimage|f560w|full|"
    ...                                 "[('o001', 'observation')]\\n")
    >>> main(["generate", str(d / "pool.csv"), "-p", str(d / "out")]), sorted(os.listdir(d / "out"))
    (0, ['jw00001-o001_image2_00001_asn.json', 'jw00001-o001_image3_00001_asn.json'])
    >>> main(["generate", str(d / "missing.csv")])  # one line on stderr: "asnfp: error: ...: no such file"
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if sys.stderr is None:  # (started with stderr closed: there is no one to tell)
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    if getattr(args, "command", None) is None:
        return _no_command(parser)
    stdout = GuardedStdout(sys.stdout)
    try:
        with handled(TERMINATING_SIGNALS, terminate), contextlib.redirect_stdout(stdout), cycle_collector_off():
            status: int = args.command(args)
            stdout.flush()
    except StdoutClosed:  # whoever read the output stopped reading (asnfp rules | head): stop quietly
        silence_stdout()
        status = 141
    except (AsnfpError, StdoutFailed) as err:
        say(f"asnfp: error: {one_line(err)}")
        status = 2
    except RuleFailed as err:  # the user's rule code raised: name it, unless debugging
        if os.environ.get("ASNFP_TRACEBACK"):
            raise
        say(f"asnfp: error: {one_line(err)}")
        status = 2
    except Terminated:
        say("asnfp: terminated")
        status = 143
    except KeyboardInterrupt:
        say("asnfp: interrupted")
        status = 130
    except OSError as err:  # a path the user gave that the system refuses (ENAMETOOLONG, ELOOP...)
        where = f"{shown_path(os.fsdecode(err.filename))}: " if err.filename else ""
        say(f"asnfp: error: {where}{err.strerror or one_line(err)}")
        status = 2
    except Exception as err:  # the one broad catch: a bug in asnfp, never a bare traceback
        if os.environ.get("ASNFP_TRACEBACK"):
            raise
        say(f"asnfp: {internal_error(err)} (set ASNFP_TRACEBACK=1 to see where; please report it)")
        status = 1
    if status == 0 and getattr(args, "no_merge", False):  # (after: a failed run says one line)
        say("asnfp: warning: --no-merge is deprecated: not merging is the default")
    return status


def entry() -> NoReturn:
    """The ``asnfp`` console script: :func:`main`, then leave at once. The files are
    written and closed by then; freeing a run's objects one by one would only add to the
    wait (60 ms after mega_pool, seconds after 100k rows)."""
    status = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # (closed, or None)
            stream.flush()
    os._exit(status)

