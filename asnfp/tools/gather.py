"""``asnfp gather``: copy an association and its member files into one folder (as ``asn_gather``).

:func:`gather_plan` is pure: it keeps the members whose exposure type passes the
filters (``-t`` keeps only the types listed, ``-x`` drops types), keeps the products
left with members (each as ``{name, members}``), rewrites each ``expname`` to its
basename, and says which file to copy under which name. :func:`run` copies them and
writes the association under its own file name, all in one
:class:`~asnfp.transaction.Transaction`, so a failure leaves DEST as it was.

A file already in DEST that is newer than its member is kept, as the reference's
``rsync -u`` keeps it (``--overwrite`` replaces it); two members of one file name from
different folders are an error naming both, before anything is copied; the
association is never written over itself. The default copy is :func:`shutil.copy2` (the
reference runs ``rsync -urv --no-perms --chmod=ugo=rwX``); ``-c CMD`` runs ``CMD src
dest`` as the reference does, the command split as a shell would (:func:`shlex.split`),
with ``dest`` in the staging folder. A missing member, a failing command, an unreadable
association or nothing left to gather is a one-line error, and DEST is left untouched.

>>> data = {"asn_id": "o001", "products": [
...     {"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"},
...                               {"expname": "/raw/b_cal.fits", "exptype": "background"}]}]}
>>> plan = gather_plan(data, Path("src"), exclude_types=("science",))
>>> list(plan.data)[:5]
['asn_type', 'asn_rule', 'version_id', 'code_version', 'asn_id']
>>> plan.data["products"]
[{'name': 'p', 'members': [{'expname': 'b_cal.fits', 'exptype': 'background'}]}]
>>> plan.copies
((PosixPath('/raw/b_cal.fits'), 'b_cal.fits'),)
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from asnfp.errors import AsnfpError, UnsafeName, UsageError, on_one_line, shown_path
from asnfp.naming import plain_name
from asnfp.tools.edit import JsonObject, checked_object, dumps_object, read_object
from asnfp.transaction import Output, Transaction

__all__ = ("Plan", "gather_plan", "member_source", "add_parser", "run")

# What the reference's base Association holds before the file's fields are laid over it:
# these four keys come first in the written file, with these values when the file lacks them.
_BASE: dict[str, Any] = {"asn_type": "None", "asn_rule": "Association", "version_id": None,
                         "code_version": "3.0.0"}


class Plan(msgspec.Struct, frozen=True):
    """The association to write (``data``) and the files to copy as ``(source, name)``."""

    data: JsonObject
    copies: tuple[tuple[Path, str], ...]


def member_source(expname: str, source_folder: Path) -> Path:
    """Where the reference looks for a member: in ``source_folder`` when the name's folder
    starts with ``.`` (a bare name, ``./x``, ``../x``), else the name as it is.

    >>> member_source("a.fits", Path("s")), member_source("../a.fits", Path("s"))
    (PosixPath('s/a.fits'), PosixPath('s/../a.fits'))
    >>> member_source("/d/a.fits", Path("s")), member_source("sub/a.fits", Path("s"))
    (PosixPath('/d/a.fits'), PosixPath('sub/a.fits'))
    """
    path = Path(expname)
    return source_folder / path if str(path.parent).startswith(".") else path


def gather_plan(data: JsonObject, source_folder: Path, exp_types: Sequence[str] | None = None,
                exclude_types: Sequence[str] = ()) -> Plan:
    """Plan the gathering of ``data``'s members found from ``source_folder``.

    Raises :class:`AsnfpError` when no member passes the filters.

    >>> gather_plan({"products": [{"name": "p", "members": [{"expname": "a", "exptype": "science"}]}]},
    ...             Path("."), exp_types=["background"])
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: no products could be gathered (no member passes the exposure-type filters)
    """
    products, copies = [], []
    for i, product in enumerate(data["products"]):
        members = []
        for member in product["members"]:
            if "exptype" not in member or "expname" not in member:
                raise AsnfpError(f"product {i + 1}: a member lacks 'expname' or 'exptype'")
            exptype = member["exptype"]
            if exptype in exclude_types or (exp_types is not None and exptype not in exp_types):
                continue
            source = member_source(str(member["expname"]), source_folder)
            copies.append((source, source.name))
            members.append({**member, "expname": source.name})
        if members:
            if "name" not in product:
                raise AsnfpError(f"product {i + 1} has no 'name'")
            products.append({"name": product["name"], "members": members})
    if not products:
        raise AsnfpError("no products could be gathered (no member passes the exposure-type filters)")
    return Plan({**_BASE, **data, "products": products}, _distinct(copies))


def _distinct(copies: Sequence[tuple[Path, str]]) -> tuple[tuple[Path, str], ...]:
    """The copies, each once; two different files under one name are an error naming
    both (one would be lost), and so is a name that is not a plain file name."""
    by_name: dict[str, Path] = {}
    for source, name in copies:
        try:
            plain_name(name)
        except UnsafeName as err:
            raise AsnfpError(f"member {shown_path(str(source))}: {err}") from None
        first = by_name.setdefault(name, source)
        if os.path.normpath(first) != os.path.normpath(source):
            raise AsnfpError(f"members {shown_path(str(first))} and {shown_path(str(source))} have one "
                             f"file name {name!r}: "
                             "gathered into one folder, one would be lost")
    return tuple((source, name) for name, source in by_name.items())


def _read(path: Path) -> JsonObject:
    """The association at ``path`` (YAML for ``.yaml``/``.yml`` names, else JSON), read
    within the bounds of :mod:`asnfp.reading` (size, nesting, YAML aliases)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml  # here: its import takes 10 ms that JSON never needs

        from asnfp.reading import ASN_BYTES, BoundExceeded, load_yaml, read_bounded

        where = shown_path(str(path))
        try:
            data = load_yaml(read_bounded(path, ASN_BYTES, what="association file"))
        except OSError as err:
            raise AsnfpError(f"{where}: cannot read ({err.strerror})") from None
        except yaml.YAMLError as err:
            raise AsnfpError(f"{where}: not YAML ({on_one_line(err)})") from None
        except BoundExceeded as err:
            raise AsnfpError(f"{where}: {err}") from None
        return checked_object(data, str(path))
    return read_object(path)


def _copy(command: list[str] | None, source: Path, target: Path) -> None:
    if command is None:
        shutil.copy2(source, target)
        return
    import subprocess  # here: its import is 2% of every asnfp start (callgrind), and only -c needs it

    result = subprocess.run([*command, str(source), str(target)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        output = result.stdout.decode(errors="replace").strip().splitlines()
        detail = f": {output[-1]}" if output else ""
        raise AsnfpError(f"{shlex.join(command)} failed for {source} (exit {result.returncode}){detail}")
    if not target.exists():
        raise AsnfpError(f"{shlex.join(command)} did not create {target.name} for {source}")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``asnfp gather`` (the flags of ``asn_gather``).

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> a = p.parse_args(["gather", "a.json", "d", "-t", "science", "-t", "background"])
    >>> a.exp_types, a.exclude_types, a.source_folder, a.shellcmd
    (['science', 'background'], None, None, None)
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "gather", help="copy an association and its members into a folder (as asn_gather)",
        description="Copy the member files of an association, and the association rewritten "
                    "to name them by their basenames, into an existing folder, as asn_gather "
                    "does. Nothing is left in DEST if any copy fails.")
    p.add_argument("association", help="the association file")
    p.add_argument("destination", help="the folder to copy into (must exist)")
    p.add_argument("-s", "--source", dest="source_folder",
                   help="where the members are (default: the association's folder)")
    p.add_argument("-t", "--exp-types", dest="exp_types", action="append", default=None,
                   help="only members of this exposure type (repeatable; default: all)")
    p.add_argument("-x", "--exclude-types", dest="exclude_types", action="append", default=None,
                   help="leave out members of this exposure type (repeatable)")
    p.add_argument("-c", "--cmd", dest="shellcmd", default=None,
                   help="copy with this command, run as CMD SRC DEST (the reference's default is "
                        "'rsync -urv --no-perms --chmod=ugo=rwX'; asnfp's is a Python copy "
                        "keeping times and permissions)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a file in DEST even when it is newer than the member (by "
                        "default it is kept, as rsync -u keeps it)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="name each file copied or kept")
    p.set_defaults(command=run)
    return p


def _split_command(text: str | None) -> list[str] | None:
    """``-c CMD`` split as a shell would; one line when it cannot be.

    >>> _split_command("rsync -u --chmod='ugo=rwX'"), _split_command(None)
    (['rsync', '-u', '--chmod=ugo=rwX'], None)
    >>> _split_command('cp "')
    Traceback (most recent call last):
    asnfp.errors.UsageError: -c 'cp "': cannot be split into words as a shell would (No closing quotation)
    """
    if not text:
        return None
    try:
        words = shlex.split(text)
    except ValueError as err:
        raise UsageError(f"-c {text!r}: cannot be split into words as a shell would ({err})") from None
    if not words:
        raise UsageError("-c: the command is empty")
    return words


def _kept(source: Path, target: Path, overwrite: bool) -> str | None:
    """Why the file ``target`` already in DEST stays as it is (``None``: it is replaced):
    it is ``source`` itself, or newer than it (as ``rsync -u`` keeps it) unless
    ``overwrite``."""
    try:
        there = target.stat()
    except OSError:
        return None
    try:
        if os.path.samefile(source, target):
            return "it is the member file itself"
        newer = there.st_mtime > source.stat().st_mtime
    except OSError:
        return None
    return "it is newer than the member" if newer and not overwrite else None


def run(args: argparse.Namespace) -> int:
    """Gather the association as ``args`` ask: every file staged, then moved into DEST
    in one :class:`~asnfp.transaction.Transaction` (all, or none)."""
    asn_path = Path(args.association)
    dest = Path(args.destination)
    source_folder = Path(args.source_folder) if args.source_folder else asn_path.parent
    command = _split_command(args.shellcmd)
    plan = gather_plan(_read(asn_path), source_folder, args.exp_types, args.exclude_types or ())
    if not dest.is_dir():
        raise AsnfpError(f"{shown_path(str(dest))}: no such folder")
    if asn_path.name in {name for _, name in plan.copies}:
        raise AsnfpError(f"{shown_path(asn_path.name)}: a member has the association's own file name")
    if command is None:
        for source, _ in plan.copies:
            if not source.is_file():
                raise AsnfpError(f"{shown_path(str(source))}: member file not found")
    copies = []
    for source, name in plan.copies:
        reason = _kept(source, dest / name, getattr(args, "overwrite", False))
        if reason is None:
            copies.append((source, name))
        elif args.verbose:
            print(f"asnfp: kept {dest / name} ({reason})", file=sys.stderr)
    outputs = [Output(dest, name) for _, name in copies]
    asn_output = Output(dest, asn_path.name)
    with Transaction([*outputs, asn_output], inputs=[asn_path, *(s for s, _ in plan.copies)]) as staged:
        for (source, _), output in zip(copies, outputs, strict=True):
            if args.verbose:
                print(f"asnfp: copying {source}", file=sys.stderr)
            _copied(command, source, staged.path(output))
        staged.write(asn_output, dumps_object(plan.data))
    return 0


def _copied(command: list[str] | None, source: Path, target: Path) -> None:
    try:
        _copy(command, source, target)
    except OSError as err:
        raise AsnfpError(f"{shown_path(str(err.filename or source))}: cannot copy ({err.strerror})") from None
