"""``asnfp diff``: how two association files, or two folders of them, differ.

The comparison is the reference's (``lib/diff.py``): every association is split into
one single-product association per product, the two sides are paired by product name,
and each pair is compared on ``asn_type``, the candidate level (first letter of
``asn_id``) and membership (:func:`asnfp.finalize.membership_diffs`, the engine's own
comparison). Product names repeated on one side are checked as the reference checks
duplicates. Each difference is a :class:`Difference` value; :func:`run` prints them.

>>> from asnfp.io import FileMember, FileProduct, Level3File
>>> f = lambda *names: Level3File(asn_type="image3", asn_rule="R", asn_id="o001",
...                              products=[FileProduct("p", [FileMember(n, "science") for n in names])])
>>> diff_files([("a", f("x_cal.fits", "y_cal.fits"))], [("b", f("x_cal.fits"))])  # doctest: +NORMALIZE_WHITESPACE
(Difference(kind='member-length', message='product p: 2 members in left, 1 in right'),
 Difference(kind='unaccounted-members', message='product p: left has 1 unaccounted: y_cal.fits (science)'),
 Difference(kind='subset', message='product p: right is a subset of left'))
>>> diff_files([("a", f("x_cal.fits"))], [("b", f("x_cal.fits"))])
()
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Final

import msgspec

from asnfp.association import Member, Product
from asnfp.errors import AsnfpError, shown_path
from asnfp.finalize import exposure_name, membership_diffs
from asnfp.io import FileProduct, Level3File
from asnfp.plumbing import groupby
from asnfp.tools.validate import read_checked

__all__ = (
    "KINDS",
    "Difference",
    "SingleProduct",
    "add_parser",
    "diff_files",
    "diff_singles",
    "duplicate_products",
    "product_diffs",
    "read_side",
    "run",
    "separate_products",
)

#: The kinds of difference, with the reference's exception class for each.
KINDS: Final = {
    "type-mismatch": "TypeMismatchError",
    "candidate-level": "CandidateLevelError",
    "different-products": "DifferentProductSetsError",
    "member-length": "MemberLengthDifferenceError",
    "member-mismatch": "MemberMismatchError",
    "unaccounted-members": "UnaccountedMembersError",
    "subset": "SubsetError",
    "duplicate-members": "DuplicateMembersError",
    "duplicate-product": "DuplicateProductError",
}

_SUFFIXES: Final = (".json", ".yaml", ".yml")


class Difference(msgspec.Struct, frozen=True):
    """One difference: its ``kind`` (a key of :data:`KINDS`) and a one-line message."""

    kind: str
    message: str


class SingleProduct(msgspec.Struct, frozen=True):
    """One product of an association file, with what is compared of its association."""

    source: str
    asn_type: str
    asn_id: str
    product: Product


def _product(product: FileProduct) -> Product:
    return Product(product.name, tuple(Member(m.expname, m.exptype, None, None) for m in product.members))


def separate_products(source: str, asn: Level3File) -> tuple[SingleProduct, ...]:
    """Split an association file into one :class:`SingleProduct` per product.

    >>> from asnfp.io import FileProduct
    >>> asn = Level3File(asn_type="image2", asn_rule="R", products=[FileProduct("p", []), FileProduct("q", [])])
    >>> [(s.source, s.asn_id, s.product.name) for s in separate_products("f.json", asn)]
    [('f.json', 'a3001', 'p'), ('f.json', 'a3001', 'q')]
    """
    return tuple(SingleProduct(source, asn.asn_type, asn.asn_id, _product(p)) for p in asn.products)


def _duplicated(product: Product) -> list[str]:
    counts = Counter(m.expname for m in product.members)
    return sorted(name for name, count in counts.items() if count > 1)


def _describe(members: Iterable[Member]) -> str:
    return ", ".join(f"{m.expname} ({m.exptype})" for m in members)


def _unaccounted(left: Product, right: Product, munge: Callable[[str], str]) -> list[Member]:
    """Members of ``left`` left over once each is paired with an equal-named one of ``right``."""
    spare = Counter(munge(m.expname) for m in right.members)
    out = []
    for member in left.members:
        name = munge(member.expname)
        if spare[name]:
            spare[name] -= 1
        else:
            out.append(member)
    return out


def _mismatched(left: Product, right: Product, munge: Callable[[str], str]) -> list[tuple[Member, Member]]:
    """Pairs of members (paired first come, first served by name) whose exptypes differ."""
    remaining = list(right.members)
    pairs = []
    for member in left.members:
        other = next((m for m in remaining if munge(m.expname) == munge(member.expname)), None)
        if other is not None:
            remaining.remove(other)
            if other.exptype != member.exptype:
                pairs.append((member, other))
    return pairs


def product_diffs(left: Product, right: Product, strict_expname: bool = False,
                  sides: tuple[str, str] = ("left", "right")) -> tuple[Difference, ...]:
    """The differences between two products' memberships, in the reference's order.

    The kinds are those :func:`~asnfp.finalize.membership_diffs` finds; this adds the
    messages. Without ``strict_expname`` members are paired by exposure (the file name
    without its pipeline suffix).

    >>> m = lambda name, kind="science": Member(name, kind, None, None)
    >>> product_diffs(Product("p", (m("x_cal.fits"),)),
    ...               Product("p", (m("x_i2d.fits", "background"),)))  # doctest: +NORMALIZE_WHITESPACE
    (Difference(kind='member-mismatch',
                message='product p: x_cal.fits is science in left, x_i2d.fits is background in right'),)
    >>> product_diffs(Product("p", (m("x_cal.fits"),)), Product("p", (m("x_i2d.fits"),)), strict_expname=True)[0].kind
    'unaccounted-members'
    """
    kinds = membership_diffs(left, right, strict=strict_expname)
    if not kinds:
        return ()
    munge: Callable[[str], str] = (lambda name: name) if strict_expname else exposure_name
    lname, rname = sides
    name = left.name if left.name == right.name else f"{left.name} / {right.name}"
    out: list[Difference] = []
    for side, product in ((lname, left), (rname, right)):
        if dups := _duplicated(product):
            out.append(Difference("duplicate-members",
                                  f"product {product.name} ({side}) has duplicate members: {', '.join(dups)}"))
    if "length" in kinds:
        out.append(Difference("member-length", f"product {name}: {len(left.members)} members in {lname}, "
                                               f"{len(right.members)} in {rname}"))
    for a, b in _mismatched(left, right, munge):
        out.append(Difference("member-mismatch", f"product {name}: {a.expname} is {a.exptype} in {lname}, "
                                                 f"{b.expname} is {b.exptype} in {rname}"))
    left_over, right_over = _unaccounted(left, right, munge), _unaccounted(right, left, munge)
    if "unaccounted" in kinds:
        parts = [f"{side} has {len(ms)} unaccounted: {_describe(ms)}"
                 for side, ms in ((lname, left_over), (rname, right_over)) if ms]
        out.append(Difference("unaccounted-members", f"product {name}: {'; '.join(parts)}"))
    if "subset" in kinds:
        small, big = (rname, lname) if left_over else (lname, rname)
        out.append(Difference("subset", f"product {name}: {small} is a subset of {big}"))
    return tuple(out)


def duplicate_products(singles: Sequence[SingleProduct], side: str) -> tuple[Difference, ...]:
    """The differences among products that share a name on one side, as the reference's
    duplicate-product check: sorted by ``asn_id``, the last is compared with each other;
    equal memberships are a ``duplicate-product``; memberships equal once file suffixes are
    ignored are not reported; others give their (exact-name) membership differences.

    >>> m = Member("x_cal.fits", "science", None, None)
    >>> s = SingleProduct("f.json", "image3", "o001", Product("p", (m,)))
    >>> duplicate_products([s, s], "left")
    (Difference(kind='duplicate-product', message='left: product name p repeated (f.json, f.json)'),)
    """
    counts = Counter(s.product.name for s in singles)
    by_name = groupby(lambda s: s.product.name, sorted(singles, key=lambda s: s.asn_id))
    out: list[Difference] = []
    for name in (n for n, count in counts.items() if count > 1):
        *others, current = by_name[name]
        for other in others:
            exact = product_diffs(current.product, other.product, strict_expname=True,
                                  sides=(f"{side} {current.source}", f"{side} {other.source}"))
            if not exact:
                out.append(Difference("duplicate-product",
                                      f"{side}: product name {name} repeated ({current.source}, {other.source})"))
            elif membership_diffs(current.product, other.product, strict=False):
                out.extend(exact)
    return tuple(out)


def diff_singles(left: Sequence[SingleProduct], right: Sequence[SingleProduct],
                 strict_expname: bool = False) -> tuple[Difference, ...]:
    """Compare two lists of single-product associations (the reference's
    ``compare_asn_lists``): duplicates on each side, products on one side only, then each
    product name present on both sides, in name order. ``asn_type`` and candidate level
    are compared until a pair first differs (the reference's ``skip_top_level_checks``).
    """
    out = [*duplicate_products(left, "left"), *duplicate_products(right, "right")]
    left_by = {s.product.name: s for s in left}
    right_by = {s.product.name: s for s in right}
    for side, mine, theirs in (("left", left, right_by), ("right", right, left_by)):
        for name in sorted({s.product.name for s in mine} - theirs.keys()):
            sources = ", ".join(sorted({s.source for s in mine if s.product.name == name}))
            out.append(Difference("different-products", f"product {name} only in {side} ({sources})"))
    top_level = True
    for name in sorted(left_by.keys() & right_by.keys()):
        a, b = left_by[name], right_by[name]
        found: list[Difference] = []
        if top_level and a.asn_type != b.asn_type:
            found.append(Difference("type-mismatch", f"product {name}: asn_type {a.asn_type} != {b.asn_type}"))
        if top_level and a.asn_id[:1] != b.asn_id[:1]:
            found.append(Difference("candidate-level",
                                    f"product {name}: candidate level {a.asn_id[:1]} != {b.asn_id[:1]}"))
        found += product_diffs(a.product, b.product, strict_expname)
        out += found
        top_level = top_level and not found
    return tuple(out)


def diff_files(left: Sequence[tuple[str, Level3File]], right: Sequence[tuple[str, Level3File]],
               strict_expname: bool = False) -> tuple[Difference, ...]:
    """Compare two lists of ``(source, association file)`` (the reference's
    ``compare_asn_files``): equal to :func:`diff_singles` of their separated products."""
    def split(files: Sequence[tuple[str, Level3File]]) -> list[SingleProduct]:
        return [s for source, asn in files for s in separate_products(source, asn)]
    return diff_singles(split(left), split(right), strict_expname)


def read_side(path: Path) -> list[tuple[str, Level3File]]:
    """Read one side: a file, or every ``.json``/``.yaml``/``.yml`` regular file of a folder
    (by name), each bounded as :func:`~asnfp.tools.validate.read_checked` reads it.

    >>> read_side(Path("/no/such"))
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: /no/such: no such file or folder
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES and p.is_file())
        return [(p.name, read_checked(p)) for p in files]
    if not path.exists():
        raise AsnfpError(f"{shown_path(str(path))}: no such file or folder")
    return [(path.name, read_checked(path))]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``asnfp diff A B [--strict-expname]``.

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> a = p.parse_args(["diff", "a.json", "b.json", "--strict-expname"]); a.left, a.right, a.strict_expname
    ('a.json', 'b.json', True)
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "diff", help="compare two association files or folders (as lib/diff.py)",
        description="Compare two association files, or two folders of association files, as the "
                    "reference's compare_asn_files does: products paired by name, then asn_type, "
                    "candidate level and membership. One line per difference; exit status 1 when "
                    "they differ, 0 when they do not, 2 on bad input.")
    p.add_argument("left", help="association file or folder")
    p.add_argument("right", help="association file or folder")
    p.add_argument("--strict-expname", action="store_true",
                   help="pair members by exact file name (default: by exposure, ignoring the suffix)")
    p.set_defaults(command=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print ``KIND: MESSAGE`` per difference; 1 if any, else 0."""
    left, right = Path(args.left), Path(args.right)
    if left.is_dir() != right.is_dir() and left.exists() and right.exists():
        raise AsnfpError(f"{left}, {right}: compare two files or two folders, not one of each")
    diffs = diff_files(read_side(left), read_side(right), args.strict_expname)
    for d in diffs:
        print(f"{d.kind}: {d.message}")
    return 1 if diffs else 0
