"""Level-2 finalize hooks: nod splitting, imprint pruning, and WFSS catalogue members.

Each is a function ``Association -> tuple[Association, ...] | None`` (``None`` drops the
association), composed per rule in :mod:`asnfp.jwst.level2`.

>>> nod_background_overlap(make_row(0, {"exp_type": "nrs_ifu"}), make_row(1, {}))
False
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec
from msgspec.structs import replace

from asnfp.association import Association, Member, Product, is_valid
from asnfp.constraints import found_values
from asnfp.finalize import exposure_name
from asnfp.jwst.dms import EMPTY, valid
from asnfp.jwst.level3 import slit_name, subarray, target_name
from asnfp.row import Row, make_row

__all__ = (
    "Finalize",
    "nod_background_overlap",
    "split_nods",
    "prune_imprints",
    "with_catalog",
    "closest_direct",
    "first_long_direct",
    "then",
    "if_valid",
)

Finalize = Callable[[Association], "tuple[Association, ...] | None"]


def if_valid(asn: Association) -> tuple[Association, ...] | None:
    """Keep a valid association, drop an invalid one (the default finalize)."""
    return (asn,) if is_valid(asn) else None


def then(first: Callable[[Association], Association | None], after: Finalize) -> Finalize:
    """Compose: rewrite an association with ``first`` (``None`` drops it), then ``after``.

    >>> then(lambda a: None, if_valid)(None) is None
    True
    """

    def run(asn: Association) -> tuple[Association, ...] | None:
        rewritten = first(asn)
        return None if rewritten is None else after(rewritten)

    return run


# --------------------------------------------------------------------------- nods


def _int(row: Row, column: str) -> int | None:
    value = row.cells.get(column)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _subpixels(row: Row) -> int | None:
    count = _int(row, "subpxpts")
    return _int(row, "subpxpns") if count is None else count


def nod_background_overlap(science: Row, other: Row) -> bool:
    """Tell whether another nod of a NIRSpec fixed-slit or MSA exposure overlaps the
    science position (then it cannot serve as its background). Other modes never do.

    >>> sci = make_row(0, {"exp_type": "nrs_msaspec", "targetid": "1", "numdthpt": "3",
    ...                    "patt_num": "1", "subpxpts": "1"})
    >>> nod_background_overlap(sci, make_row(1, {**sci.cells, "patt_num": "2"}))
    False
    """
    kind = str(science.cells.get("exp_type", "")).lower() if "exp_type" in science else None
    if kind not in ("nrs_fixedslit", "nrs_msaspec"):
        return False
    if ("targetid" in science and "targetid" in other
            and str(science["targetid"]).lower() != str(other["targetid"]).lower()):
        return True
    numdthpt, patt, other_patt = _int(science, "numdthpt"), _int(science, "patt_num"), _int(other, "patt_num")
    if numdthpt is None or patt is None or other_patt is None:
        numdthpt, patt, other_patt = 0, None, None
    sub, other_sub = _subpixels(science), _subpixels(other)
    if None in (patt, other_patt, sub, other_sub) or sub == 0 or other_sub == 0:
        return kind == "nrs_fixedslit"
    assert patt is not None and other_patt is not None and sub and other_sub
    here, there = (patt - 1) // sub, (other_patt - 1) // other_sub
    if here == there:
        return True
    if kind == "nrs_msaspec":
        return False
    slit = str(science.cells.get("fxd_slit")).lower() if "fxd_slit" in science else None
    return slit == "s1600a1" and numdthpt // sub == 5 and abs(here - there) <= 1


def split_nods(asn: Association) -> tuple[Association, ...] | None:
    """Split a valid nod association: one association per science member, holding it,
    the other science members that do not overlap it (as ``background``), then every
    non-science member. Only the first product is split."""
    if not is_valid(asn) or not asn.products:
        return None
    members = asn.products[0].members
    science = [m for m in members if m.exptype == "science"]
    others = [m for m in members if m.exptype != "science"]
    results = []
    for sci in science:
        backgrounds = [
            replace(o, exptype="background") for o in science
            if o.expname != sci.expname and not nod_background_overlap(_row(sci), _row(o))
        ]
        product = Product(exposure_name(sci.expname), (sci, *backgrounds, *others))
        copy = replace(asn, products=(product,))
        if is_valid(copy):
            results.append(copy)
    return tuple(results)


def _row(member: Member) -> Row:
    return member.row if member.row is not None else make_row(0, {})


# --------------------------------------------------------------------------- imprints


def prune_imprints(asn: Association) -> Association:
    """Keep only the imprints that belong with the science: those of its target (when
    any matches), then those of its dither positions (when there are more imprints than
    science exposures). Imprints of the other background status are left alone."""
    product = asn.products[0]
    members = list(product.members)
    science: list[Member] = []
    imprint_sci: list[Member] = []
    imprint_bkg: list[Member] = []
    targets: set[str] = set()
    science_is_background = False
    for member in members:
        row = member.row
        if row is None or "targetid" not in row or "bkgdtarg" not in row:
            continue
        if member.exptype == "science":
            science.append(member)
            targets.add(str(row["targetid"]))
            science_is_background = science_is_background or row["bkgdtarg"] == "t"
        elif member.exptype == "imprint":
            (imprint_bkg if row["bkgdtarg"] == "t" else imprint_sci).append(member)
    checked = imprint_bkg if science_is_background else imprint_sci
    same_target = [m for m in checked if m.row is not None and "targetid" in m.row
                   and str(m.row["targetid"]) in targets]
    if same_target:
        for member in checked:
            if member not in same_target:
                members.remove(member)
        checked = same_target
    if 1 <= len(science) < len(checked):
        keep = {
            imprint.expname
            for sci in science if sci.row is not None and "dithptin" in sci.row
            for imprint in checked if imprint.row is not None and "dithptin" in imprint.row
            and imprint.row["dithptin"] == sci.row["dithptin"]
        }
        if keep:
            for member in checked:
                if member.expname not in keep:
                    members.remove(member)
    return replace(asn, products=(replace(product, members=tuple(members)), *asn.products[1:]))


# --------------------------------------------------------------------------- WFSS


def _expspcin(member: Member) -> int | None:
    row = member.row
    value = None if row is None else valid(row, "expspcin")
    return None if value is None else int(value)


def closest_direct(science: Member, directs: Sequence[Member]) -> Member:
    """The direct image taken soonest after the science (smallest positive ``expspcin``
    difference); the first one when none is after it or the science has no ``expspcin``."""
    closest = directs[0]
    here = _expspcin(science)
    if here is None:
        return closest
    best = 9999
    for direct in directs:
        there = _expspcin(direct)
        if there is None:
            continue
        diff = there - here
        if 0 < diff < best:
            best, closest = diff, direct
    return closest


def first_long_direct(science: Member, directs: Sequence[Member]) -> Member:
    """The first direct image whose name contains ``long`` (else the first)."""
    return next((d for d in directs if "long" in d.expname), directs[0])


def _direct_opt_elem(row: Row) -> str:
    parts: list[str] = []
    if str(row.cells.get("instrume", "UNKNOWN")).lower() == "miri":
        if "filter" in row:
            parts.append(str(row["filter"]))
    else:
        for columns in (("filter", "band"), ("pupil", "grating")):
            value = next((row[c] for c in columns if c in row and row[c] not in EMPTY), None)
            if value:
                parts.append(value)
    return "-".join(sorted(parts, key=str.lower)) or "clear"


def _catalog_root(asn: Association, direct: Member) -> str:
    instrument = "-".join(str(v) for v in found_values(asn.bindings, asn.rule.constraint, "instrument"))
    slit, sub = slit_name(asn), subarray(asn)
    opt = _direct_opt_elem(_row(direct))
    return (f"jw{asn.program}-{asn.asn_id}_{target_name(asn)}_{instrument}_{opt}"
            f"{'-' + slit if slit else ''}{'-' + sub if sub else ''}").lower()


def with_catalog(choose: Callable[[Member, Sequence[Member]], Member]) -> Callable[[Association], Association | None]:
    """Replace the direct images by the catalogue members of the chosen one: its
    ``_i2d.fits`` image, ``_cat.ecsv`` source catalogue and ``_segm.fits`` map. Needs a
    direct image and a science exposure; ``None`` without them."""

    def run(asn: Association) -> Association | None:
        product = asn.products[-1]
        directs = [m for m in product.members if m.exptype == "direct_image"]
        sciences = [m for m in product.members if m.exptype == "science"]
        if not directs or not sciences:
            return None
        root = _catalog_root(asn, choose(sciences[0], directs))
        kept = tuple(m for m in product.members if m.exptype != "direct_image")
        catalog = tuple(Member(root + suffix, kind, msgspec.UNSET, None)
                        for suffix, kind in (("_i2d.fits", "direct_image"), ("_cat.ecsv", "sourcecat"),
                                             ("_segm.fits", "segmap")))
        return replace(asn, products=(*asn.products[:-1], replace(product, members=kept + catalog)))

    return run

