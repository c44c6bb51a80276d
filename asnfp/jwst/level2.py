"""Level-2b rules: one science exposure per association (``image2``, ``spec2``, ...).

The base rule :data:`LEVEL2` holds how a Level-2 association behaves (members, product
name, validity, finalize); each concrete rule is ``replace(LEVEL2, name=..., constraint=...)``.

>>> [r.name for r in RULES]
['Asn_Lv2Image', 'Asn_Lv2ImageNonScience', 'Asn_Lv2ImageSpecial']
"""

from __future__ import annotations

from pathlib import PurePosixPath

from msgspec.structs import replace

from asnfp.association import Association, Member, Product, current_product
from asnfp.constraints import (
    Bindings,
    Category,
    Leaf,
    Node,
    all_of,
    always,
    any_of,
    find,
    not_all,
    not_any,
)
from asnfp.jwst.dms import (
    EMPTY,
    IMAGE2_NONSCIENCE_EXP_TYPES,
    IMAGE2_SCIENCE_EXP_TYPES,
    cell,
    exposure_type,
    is_ami_row,
    is_coron_row,
    is_tso_row,
    level2a_name,
    pad_program,
)
from asnfp.jwst.shared import (
    HAS_SCIENCE,
    Exptype,
    dms,
    joined,
    not_tso,
    single_science,
    target_acq,
)
from asnfp.naming import acid_from, remove_suffix
from asnfp.row import Row
from asnfp.rule import Check, Rule

__all__ = (
    "LEVEL2",
    "RULES",
    "level2_exptype",
    "special_exptype",
    "base",
    "mode",
    "image_science",
    "image_nonscience",
    "background",
    "special",
    "product_name",
    "allowed_candidates",
    "integrations",
)


# --------------------------------------------------------------------------- exposure types


def level2_exptype(bindings: Bindings, row: Row) -> str:
    """The Level-2 member exposure type: the DMS one, with ``psf`` processed as science.

    >>> level2_exptype(NO_BINDINGS, make_row(0, {"exp_type": "nrc_image", "is_psf": "t"}))
    'science'
    """
    kind = exposure_type(row)
    return "science" if kind == "psf" else kind


def special_exptype(bindings: Bindings, row: Row) -> str:
    """Special exposures (backgrounds, PSFs, acquisitions) are their own science; an
    imprint stays an imprint once the association has its science.

    >>> special_exptype(NO_BINDINGS, make_row(0, {"exp_type": "nrc_image", "bkgdtarg": "t"}))
    'science'
    """
    if bindings.fact("has_science") and level2_exptype(bindings, row) == "imprint":
        return "imprint"
    return "science"


# --------------------------------------------------------------------------- constraints


def base() -> Node:
    """Same program; ``tsovisit``, when valid, pins (named ``is_tso``).

    >>> b = base()
    >>> first = b(NO_BINDINGS, make_row(0, {"program": "1", "tsovisit": "f"}))
    >>> first.matched, [b(first.bindings, make_row(1, {"program": p})).matched for p in ("1", "2")]
    (True, [True, False])
    """
    return all_of(dms("program", "program"), dms("is_tso", "tsovisit", required=False))


def mode() -> Node:
    """Same instrument, detector and optical path; not a NIRSpec detector, an opaque
    filter, an NRC long-wave TSO grism, or a WFS&C visit.

    >>> row = {"instrume": "miri", "detector": "mirimage", "filter": "f560w"}
    >>> mode()(NO_BINDINGS, make_row(0, row)).matched, mode()(NO_BINDINGS, make_row(1, {**row, "filter": "opaque"})).matched
    (True, False)
    """
    return all_of(
        dms("instrument", "instrume"),
        dms("detector", "detector"),
        dms("opt_elem", ("filter", "band")),
        dms("opt_elem2", ("pupil", "grating"), required=False),
        dms("fxd_slit", "fxd_slit", required=False),
        dms("subarray", "subarray", required=False),
        dms("channel", "channel", required=False),
        not_any(dms(None, "detector", "nirspec"), dms(None, "filter", "opaque")),
        not_all(dms(None, "detector", "nrcblong"), dms(None, "exp_type", "nrc_tsgrism")),
        not_any(dms(None, "visitype", ".+wfsc.+")),
        dms("slit", "fxd_slit", required=False),
    )


def image_science() -> Leaf:
    """An imaging science exposure type (pins: one exp_type per association).

    >>> [image_science()(NO_BINDINGS, make_row(0, {"exp_type": e})).matched for e in ("nrc_image", "nrc_tacq")]
    [True, False]
    """
    return dms("exp_type", "exp_type", joined(IMAGE2_SCIENCE_EXP_TYPES))


def image_nonscience() -> Node:
    """Acquisitions, focus, coronagraphic calibration, NIRSpec images, MSA mirror images.

    >>> [image_nonscience()(NO_BINDINGS, make_row(0, {"pntgtype": "science", "exp_type": e})).matched
    ...  for e in ("nrc_focus", "nrc_image")]
    [True, False]
    """
    return any_of(
        target_acq(),
        dms("non_science", "exp_type", joined(IMAGE2_NONSCIENCE_EXP_TYPES)),
        all_of(
            dms("exp_type", "exp_type", "nrs_msaspec"),
            dms(None, "msastate", "primarypark_allopen"),
            dms(None, "grating", "mirror"),
        ),
    )


def background() -> Leaf:
    """A background exposure; re-offered to the rule's existing associations.

    >>> out = background()(NO_BINDINGS, make_row(0, {"bkgdtarg": "t"}))
    >>> (out.matched, [r.work_over.name for r in out.reprocess],
    ...  background()(NO_BINDINGS, make_row(0, {"bkgdtarg": "f"})).matched)
    (True, ['EXISTING'], False)
    """
    return dms("background", "bkgdtarg", pins=False, reprocess=Category.EXISTING)


def special() -> Leaf:
    """A background or PSF exposure (pins the flag's value and column).

    >>> [special()(NO_BINDINGS, make_row(0, {"bkgdtarg": b, "is_psf": p})).matched
    ...  for b, p in (("t", "f"), ("f", "t"), ("f", "f"))]
    [True, True, False]
    """
    return dms("is_special", ("bkgdtarg", "is_psf"))


# --------------------------------------------------------------------------- behaviour


def product_name(asn: Association) -> str:
    """The first science member's file name without extension and known suffix.

    >>> asn = Association(rule=LEVEL2, ruleset=None, products=(Product("x", (
    ...     Member("jw_00002_rate.fits", "science", None, None),)),))
    >>> product_name(asn)
    'jw_00002'
    """
    science = next((m for m in current_product(asn).members if m.exptype == "science"), None)
    if science is None:
        return "undefined"
    path = PurePosixPath(science.expname)
    root = str(path.parent / path.stem) if str(path.parent) != "." else path.stem
    return remove_suffix(root)[0]


def _pinned_tso(asn: Association) -> bool:
    leaf = find(asn.rule.constraint, "is_tso")
    return isinstance(leaf, Leaf) and asn.bindings.state(leaf).value == "t"


def integrations(asn: Association, row: Row) -> bool:
    """Whether a member is an integrations product (coronagraphy, AMI, TSO): ``ints``.

    >>> asn, kinds = Association(rule=LEVEL2, ruleset=None), ("mir_lyot", "nis_ami", "nrc_tsimage", "mir_image")
    >>> [integrations(asn, make_row(0, {"pntgtype": "science", "exp_type": e})) for e in kinds]
    [True, True, True, False]
    """
    coron = "no_coron" not in asn.rule.tags and is_coron_row(row)
    return coron or is_ami_row(row) or is_tso_row(row, _pinned_tso(asn))


def _make_member(asn: Association, row: Row) -> Member:
    exptype = asn.rule.exptype(asn.bindings, row)
    name = level2a_name(cell(row, "filename"), integrations=integrations(asn, row))
    return Member(name, exptype, row.cells.get("exposerr"), None, row)


def _on_create(asn: Association, row: Row) -> Association:
    acid = acid_from(asn.bindings, asn.rule.constraint)
    return replace(
        asn,
        target=cell(row, "targetid"),
        program=pad_program(cell(row, "program")),
        asn_pool=row.meta.name,
        asn_id=acid.id,
        acid_type=acid.type,
        products=(Product("undefined"),),
    )


def _on_add(asn: Association, row: Row) -> Association:
    product = current_product(asn)
    has_science = any(m.exptype == "science" for m in product.members)
    degraded = asn.degraded or any(
        m.exposerr is not None and m.exposerr not in EMPTY for m in product.members
    )
    renamed = replace(product, name=product_name(asn))
    return replace(
        asn,
        products=(*asn.products[:-1], renamed),
        degraded=degraded,
        bindings=asn.bindings.with_fact("has_science", has_science),
    )


def allowed_candidates(asn: Association, member: Member) -> bool:
    """Observation candidates, or background candidates with a background member.

    >>> def asn(kind, exptype):
    ...     member = Member("x", exptype, None, None)
    ...     return Association(rule=LEVEL2, ruleset=None, acid_type=kind, products=(Product("p", (member,)),))
    >>> [allowed_candidates(a, a.products[0].members[0])
    ...  for a in (asn("observation", "science"), asn("background", "science"), asn("background", "background"))]
    [True, False, True]
    """
    kind = asn.acid_type.lower()
    if kind == "observation":
        return True
    return kind == "background" and any(
        m.exptype.lower() == "background" for m in current_product(asn).members
    )


LEVEL2 = Rule(
    name="Level2",
    asn_type="image2",
    level=2,
    constraint=always(),
    exptype=level2_exptype,
    make_member=_make_member,
    on_create=_on_create,
    on_add=_on_add,
    validity=(HAS_SCIENCE, Check("allowed_candidates", allowed_candidates)),
)


def _rule(name: str, asn_type: str, exptype: Exptype, *parts: object, **extra: object) -> Rule:
    return replace(LEVEL2, name=name, asn_type=asn_type, exptype=exptype,
                   constraint=all_of(*parts), **extra)  # type: ignore[arg-type]


def _image() -> Rule:
    return _rule(
        "Asn_Lv2Image", "image2", level2_exptype,
        base(), mode(), image_science(), not_tso(),
        any_of(background(), single_science(level2_exptype)),
    )


def _image_nonscience() -> Rule:
    return _rule(
        "Asn_Lv2ImageNonScience", "image2", special_exptype,
        base(), image_nonscience(), single_science(special_exptype),
    )


def _image_special() -> Rule:
    return _rule(
        "Asn_Lv2ImageSpecial", "image2", special_exptype,
        base(), mode(), image_science(), single_science(special_exptype), special(),
    )


RULES: tuple[Rule, ...] = (_image(), _image_nonscience(), _image_special())

from asnfp.constraints import NO_BINDINGS  # noqa: E402  (doctest namespace)
from asnfp.row import make_row  # noqa: E402,F401
