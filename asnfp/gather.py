"""``asnfp gather``: copy an association and its member files into one folder (as ``asn_gather``).

:func:`gather_plan` is pure: it keeps the members whose exposure type passes the
filters (``-t`` keeps only the types listed, ``-x`` drops types), keeps the products
left with members (each as ``{name, members}``), rewrites each ``expname`` to its
basename, and says which file to copy under which name. :func:`run` copies them and
writes the association under its own file name, everything into a staging folder
inside DEST first and moved into place at the end, so a failure leaves DEST as it was.

Differences from the reference: the default copy is :func:`shutil.copy2` (the
reference runs ``rsync -urv --no-perms --chmod=ugo=rwX``, whose ``-u`` keeps a newer
file already in DEST; asnfp always replaces it); ``-c CMD`` runs ``CMD src dest`` as
the reference does, the command split as a shell would (:func:`shlex.split`), with
``dest`` in the staging folder. A missing member, a failing command, an unreadable
association or nothing left to gather is a one-line error, and DEST is left untouched.

>>> data = {"asn_id": "o001", "products": [
...     {"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"},
...                               {"expname": "/raw/b_cal.fits", "exptype": "background"}]}]}
>>> plan = gather_plan(data, Path("src"), exclude_types=("science",))
>>> list(plan.data)[:5], plan.data["products"], plan.copies
(['asn_type', 'asn_rule', 'version_id', 'code_version', 'asn_id'], [{'name': 'p', 'members': [{'expname': 'b_cal.fits', 'exptype': 'background'}]}], ((PosixPath('/raw/b_cal.fits'), 'b_cal.fits'),))
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from asnfp.edit import JsonObject, checked_object, dumps_object, read_object
from asnfp.errors import AsnfpError

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
            source = member_source(member["expname"], source_folder)
            copies.append((source, source.name))
            members.append({**member, "expname": source.name})
        if members:
            if "name" not in product:
                raise AsnfpError(f"product {i + 1} has no 'name'")
            products.append({"name": product["name"], "members": members})
    if not products:
        raise AsnfpError("no products could be gathered (no member passes the exposure-type filters)")
    return Plan({**_BASE, **data, "products": products}, tuple(copies))


def _read(path: Path) -> JsonObject:
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml  # here: its import takes 10 ms that JSON never needs

        try:
            data = yaml.safe_load(path.read_bytes())
        except OSError as err:
            raise AsnfpError(f"{path}: cannot read ({err.strerror})") from None
        except yaml.YAMLError as err:
            raise AsnfpError(f"{path}: not YAML ({err})") from None
        return checked_object(data, str(path))
    return read_object(path)


def _copy(command: list[str] | None, source: Path, target: Path) -> None:
    if command is None:
        shutil.copy2(source, target)
        return
    result = subprocess.run([*command, str(source), str(target)], stdout=subprocess.PIPE,  # noqa: S603
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
    p = subparsers.add_parser(
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
    p.add_argument("-v", "--verbose", action="count", default=0, help="name each file copied")
    p.set_defaults(command=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Gather the association as ``args`` ask."""
    asn_path = Path(args.association)
    dest = Path(args.destination)
    source_folder = Path(args.source_folder) if args.source_folder else asn_path.parent
    plan = gather_plan(_read(asn_path), source_folder, args.exp_types, args.exclude_types or ())
    if not dest.is_dir():
        raise AsnfpError(f"{dest}: no such folder")
    names = [name for _, name in plan.copies] + [asn_path.name]
    for name in names:
        if (dest / name).is_dir():
            raise AsnfpError(f"{dest / name}: exists and is a folder, not a file")
    command = shlex.split(args.shellcmd) if args.shellcmd else None
    if command is None:
        for source, _ in plan.copies:
            if not source.is_file():
                raise AsnfpError(f"{source}: member file not found")
    try:
        staging = Path(tempfile.mkdtemp(prefix=".asnfp-gather-", dir=dest))
    except OSError as err:
        raise AsnfpError(f"{dest}: cannot write there ({err.strerror})") from None
    try:
        for source, name in plan.copies:
            if args.verbose:
                print(f"asnfp: copying {source}", file=sys.stderr)
            _copy(command, source, staging / name)
        (staging / asn_path.name).write_bytes(dumps_object(plan.data))
        for name in dict.fromkeys(names):
            os.replace(staging / name, dest / name)
    except OSError as err:
        raise AsnfpError(f"{err.filename or dest}: cannot copy ({err.strerror})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return 0
