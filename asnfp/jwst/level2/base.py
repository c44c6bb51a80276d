"""Level-2b base behaviour: member exposure types, the shared constraints, the base rule
:data:`LEVEL2` (members, product name, validity) and the builders the rules use.

Each concrete rule (:mod:`asnfp.jwst.level2.rules`) is ``replace(LEVEL2, name=..., constraint=...)``.

>>> LEVEL2.name, LEVEL2.asn_type, LEVEL2.level
('Level2', 'image2', 2)
"""

from __future__ import annotations

from pathlib import PurePosixPath

from msgspec.structs import replace

from asnfp.association import Association, Member, Product, current_product, is_valid
from asnfp.constraints import (
    Bindings,
    Category,
    Constraint,
    Leaf,
    Node,
    ValueLeaf,
    all_of,
    always,
    any_of,
    function_name,
    made_by,
    not_all,
    not_any,
    value_leaf,
)
from asnfp.jwst.dms import (
    EMPTY,
    IMAGE2_NONSCIENCE_EXP_TYPES,
    IMAGE2_SCIENCE_EXP_TYPES,
    SPEC2_SCIENCE_EXP_TYPES,
    cell,
    exposure_type,
    level2a_name,
    pad_program,
    valid,
)
from asnfp.jwst.level2.finalize import (
    closest_direct,
    if_valid,
    prune_imprints,
    then,
    with_catalog,
)
from asnfp.jwst.shared import (
    HAS_SCIENCE,
    Exptype,
    dms,
    integrations,
    joined,
    single_science,
    target,
    target_acq,
)
from asnfp.naming import acid_from, acid_in, remove_suffix
from asnfp.row import Row
from asnfp.rule import Check, Rule

__all__ = (
    "LEVEL2",
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
    "is_exptype",
    "spectral_science",
    "imprint",
    "imprint_special",
    "wfss_exptype",
    "ORIGINAL",
    "nrslamp_valid_detector",
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
    return made_by(all_of(dms("program", "program"), dms("is_tso", "tsovisit", required=False), name="base"),
                   "base")


def mode() -> Node:
    """Same instrument, detector and optical path; not a NIRSpec detector, an opaque
    filter, an NRC long-wave TSO grism, or a WFS&C visit.

    >>> row = {"instrume": "miri", "detector": "mirimage", "filter": "f560w"}
    >>> (mode()(NO_BINDINGS, make_row(0, row)).matched,
    ...  mode()(NO_BINDINGS, make_row(1, {**row, "filter": "opaque"})).matched)
    (True, False)
    """
    return made_by(all_of(
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
        name="mode",
    ), "mode")


def image_science() -> Leaf:
    """An imaging science exposure type (pins: one exp_type per association).

    >>> [image_science()(NO_BINDINGS, make_row(0, {"exp_type": e})).matched for e in ("nrc_image", "nrc_tacq")]
    [True, False]
    """
    return made_by(dms("exp_type", "exp_type", joined(IMAGE2_SCIENCE_EXP_TYPES)), "image_science")


def image_nonscience() -> Node:
    """Acquisitions, focus, coronagraphic calibration, NIRSpec images, MSA mirror images.

    >>> [image_nonscience()(NO_BINDINGS, make_row(0, {"pntgtype": "science", "exp_type": e})).matched
    ...  for e in ("nrc_focus", "nrc_image")]
    [True, False]
    """
    return made_by(any_of(
        target_acq(),
        dms("non_science", "exp_type", joined(IMAGE2_NONSCIENCE_EXP_TYPES)),
        all_of(
            dms("exp_type", "exp_type", "nrs_msaspec"),
            dms(None, "msastate", "primarypark_allopen"),
            dms(None, "grating", "mirror"),
        ),
    ), "image_nonscience")


def background() -> Leaf:
    """A background exposure; re-offered to the rule's existing associations.

    >>> out = background()(NO_BINDINGS, make_row(0, {"bkgdtarg": "t"}))
    >>> (out.matched, [r.work_over.name for r in out.reprocess],
    ...  background()(NO_BINDINGS, make_row(0, {"bkgdtarg": "f"})).matched)
    (True, ['EXISTING'], False)
    """
    return made_by(dms("background", "bkgdtarg", pins=False, reprocess=Category.EXISTING), "background")


def special() -> Leaf:
    """A background or PSF exposure (pins the flag's value and column).

    >>> [special()(NO_BINDINGS, make_row(0, {"bkgdtarg": b, "is_psf": p})).matched
    ...  for b, p in (("t", "f"), ("f", "t"), ("f", "f"))]
    [True, True, False]
    """
    return made_by(dms("is_special", ("bkgdtarg", "is_psf")), "special")


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
    return remove_suffix(_without_extension(science.expname))[0]


def _without_extension(name: str) -> str:
    """The path without its last suffix, as ``PurePosixPath`` reads it (a plain file name
    is read by hand: this runs once per Level-2 association).

    >>> [_without_extension(n) for n in ("a_rate.fits", "d/a.b.fits", ".fits", "a.", "x")]
    ['a_rate', 'd/a.b', '.fits', 'a.', 'x']
    """
    if "/" not in name and not name.startswith(".") and not name.endswith("."):
        dot = name.rfind(".")
        return name[:dot] if dot > 0 else name
    path = PurePosixPath(name)
    return str(path.parent / path.stem) if str(path.parent) != "." else path.stem


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
    # Members are only ever appended, one per call: what the earlier members told
    # (science yet, degraded, the first science member's name) is kept, and only the
    # new member is read.
    product = current_product(asn)
    member = product.members[-1]
    had_science = bool(asn.bindings.fact("has_science"))
    has_science = had_science or member.exptype == "science"
    degraded = asn.degraded or (isinstance(member.exposerr, str) and member.exposerr not in EMPTY)
    first_science = not had_science and member.exptype == "science"
    renamed = replace(product, name=product_name(asn)) if first_science else product
    bindings = asn.bindings.with_fact("has_science", has_science)
    if ORIGINAL in asn.rule.sticky:
        bindings = bindings.with_fact(ORIGINAL, level2_exptype(bindings, row))
    return replace(asn, products=(*asn.products[:-1], renamed), degraded=degraded,
                   bindings=bindings)


def allowed_candidates(asn: Association, member: Member) -> bool:
    """Observation candidates, or background candidates with a background member.

    >>> def asn(kind, exptype):
    ...     member = Member("x", exptype, None, None)
    ...     return Association(rule=LEVEL2, ruleset=None, acid_type=kind, products=(Product("p", (member,)),))
    >>> [allowed_candidates(a, a.products[0].members[0])
    ...  for a in (asn("observation", "science"), asn("background", "science"), asn("background", "background"))]
    [True, False, True]
    """
    # A validity check runs as each member comes, until it passes once; every earlier
    # run saw every earlier member, so only the newest member can change the answer.
    kind = asn.acid_type.lower()
    if kind == "observation":
        return True
    return kind == "background" and any(
        m.exptype.lower() == "background" for m in current_product(asn).members[-1:]
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
    validity=(HAS_SCIENCE, Check("allowed_candidates", allowed_candidates,
                                 passes_for=frozenset({"observation", "background"}).__contains__)),
)


def _rule(name: str, asn_type: str, exptype: Exptype, *parts: object, **extra: object) -> Rule:
    return replace(LEVEL2, name=name, asn_type=asn_type, exptype=exptype,
                   constraint=all_of(*parts), **extra)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- more constraints

ORIGINAL = "original_exposure_type"


def is_exptype(exptype: Exptype, kind: str, *, equal: bool = True) -> ValueLeaf:
    """The row's member exposure type (by the rule's ``exptype``) is (or is not) ``kind``.

    >>> is_exptype(level2_exptype, "science")(NO_BINDINGS, make_row(0, {"exp_type": "nrc_image"})).matched
    True
    """
    word = "==" if equal else "!="

    def exptype_test(bindings: Bindings, row: Row) -> bool:
        return (exptype(bindings, row) == kind) == equal

    exptype_test.__name__ = exptype_test.__qualname__ = f"{function_name(exptype)} {word} {kind!r}"
    leaf = value_leaf(None, exptype_test, True, pins=False, label=f"exptype {word} {kind}")
    return made_by(leaf, "is_exptype", exptype, kind) if equal else made_by(leaf, "is_exptype", exptype, kind,
                                                                            equal=False)


def spectral_science(exclude: tuple[str, ...] = ()) -> Node:
    """A spectroscopic science exposure type, but for ``exclude`` (list order kept).

    >>> spectral_science(("nis_wfss",))(NO_BINDINGS, make_row(0, {"exp_type": "nis_wfss"})).matched
    False
    """
    kinds = [k for k in SPEC2_SCIENCE_EXP_TYPES if k not in exclude]
    tree = any_of(dms("exp_type", "exp_type", joined(kinds)))
    return made_by(tree, "spectral_science", exclude) if exclude else made_by(tree, "spectral_science")


def imprint() -> Node:
    """An imprint exposure, re-offered to the rule's existing associations.

    >>> imprint()(NO_BINDINGS, make_row(0, {"is_imprt": "t"})).reprocess[0].work_over.name
    'EXISTING'
    """
    return made_by(all_of(dms("imprint", "is_imprt"), on_match=True, work_over=Category.EXISTING), "imprint")


def imprint_special() -> Node:
    """An imprint on the pinned mosaic tile, unless the last exposure type this
    association computed was an imprint (the reference's stale check, kept on purpose).

    >>> imprint_special()(NO_BINDINGS, make_row(0, {"is_imprt": "t", "mostilno": "1"})).matched
    True
    """
    return made_by(all_of(
        dms("imprint", "is_imprt", reprocess=Category.EXISTING),
        dms("mosaic_tile", "mostilno"),
        value_leaf(None, _last_exptype, "imprint", test=_differs, pins=False, label="last exptype != imprint"),
    ), "imprint_special")


def _last_exptype(bindings: Bindings, row: Row) -> object:
    """The exposure type the association noted last (:data:`ORIGINAL`)."""
    return bindings.fact(ORIGINAL)


def _differs(expected: object, got: object) -> bool:
    return expected != got


def wfss_exptype(bindings: Bindings, row: Row) -> str:
    """Level-2 WFSS: science imaging exposures are the direct images.

    >>> wfss_exptype(NO_BINDINGS, make_row(0, {"exp_type": "nis_image"}))
    'direct_image'
    """
    kind = level2_exptype(bindings, row)
    if kind == "science" and cell(row, "exp_type") in ("nis_image", "nrc_image", "mir_image"):
        return "direct_image"
    return kind


def _wfss_exposures() -> Node:
    return made_by(any_of(is_exptype(wfss_exptype, "science", equal=False), single_science(wfss_exptype)),
                   "_wfss_exposures")


def _grism_or_direct(grism: str, direct: str) -> Node:
    return made_by(any_of(dms("exp_type", "exp_type", grism),
                          dms("image_exp_type", "exp_type", direct, reprocess=Category.NONSCIENCE)),
                   "_grism_or_direct", grism, direct)


_FSS_LAMP_PATHS = frozenset(
    (grating, lamp, detector)
    for grating, lamps in (
        ("prism", ("line4", "flat5", "test")), ("g395h", ("flat3", "line3")),
        ("g235h", ("flat2", "line2")), ("g140h", ("flat1", "ref", "line1", "flat4")),
        ("g395m", ("flat3", "line3")), ("g235m", ("flat2", "line2")),
        ("g140m", ("flat1", "line1", "flat4")),
    )
    for lamp in lamps
    for detector in ("nrs1", "nrs2")
)


def nrslamp_valid_detector(row: Row) -> bool:
    """Whether a NIRSpec lamp exposure's grating, lamp and detector can be calibrated.

    >>> nrslamp_valid_detector(make_row(0, {"detector": "nrs2", "grating": "g140h", "opmode": "ifu", "lamp": "flat4"}))
    False
    """
    detector, grating, opmode = valid(row, "detector"), valid(row, "grating"), valid(row, "opmode")
    if detector is None or grating is None or opmode is None:
        return False
    if opmode == "msaspec":
        return True
    lamp = valid(row, "lamp")
    if opmode == "ifu":
        if lamp is None:
            return False
        if grating in ("g395h", "g235h"):
            return True
        if grating in ("g395m", "g235m", "g140m", "prism"):
            return detector == "nrs1"
        return grating == "g140h" and not (detector == "nrs2" and lamp == "flat4")
    if opmode == "fixedslit":
        return lamp is not None and (grating, lamp, detector) in _FSS_LAMP_PATHS
    return False


def _acid_is_not_background(bindings: Bindings, row: Row) -> bool:
    return acid_in(bindings).type != "background"


def _imprints_pruned(asn: Association) -> tuple[Association, ...] | None:
    return if_valid(prune_imprints(asn)) if is_valid(asn) else None


def _wfss(name: str, grism: str, direct: str, *extra: Constraint) -> Rule:
    """Build a WFSS rule named ``name`` (Lv2WFSSMIR/NIS/NRC): one ``grism`` exposure of a
    program and target, plus the ``direct`` images (re-offered, typed ``direct_image``)
    that also meet ``extra``; finalize swaps the directs for the closest one's catalogue
    members (``spec2``).

    >>> from asnfp.jwst.level2 import RULES
    >>> nis = next(rule for rule in RULES if rule.name == "Asn_Lv2WFSSNIS")
    >>> grism = dict(instrume="niriss", detector="nis", exp_type="nis_wfss", filter="gr150r", pupil="f150w")
    >>> direct = {**grism, "exp_type": "nis_image", "filter": "clear"}
    >>> _, asn, _ = create(nis, None, _demo_row(0, **grism))
    >>> _, asn, _ = offer(asn, _demo_row(1, **direct))
    >>> [(m.expname, m.exptype) for m in asn.products[0].members], asn.products[0].name
    ([('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'direct_image')], 'jw_1')
    >>> offer(asn, _demo_row(2, **{**direct, "pupil": "f200w"}))[0], offer(asn, _demo_row(3, **grism))[0]
    (False, False)
    """
    return _rule(
        name, "spec2", wfss_exptype,
        base(), target(), _grism_or_direct(grism, direct), *extra, _wfss_exposures(),
        finalize=then(with_catalog(closest_direct), if_valid),
    )


def _demo_row(index: int = 0, **cells: str) -> Row:
    """Doctest helper: a science row of program 1 and target 1, full frame, neither TSO nor
    a background, in candidate ``o001``, file ``jw_{index + 1}_uncal.fits``; ``cells`` on top.

    >>> _demo_row(1, exp_type="nrc_image")["filename"]
    'jw_2_uncal.fits'
    """
    return make_row(index, {"filename": f"jw_{index + 1}_uncal.fits", "program": "1", "pntgtype": "science",
                            "targetid": "1", "subarray": "full", "tsovisit": "f", "bkgdtarg": "f",
                            "asn_candidate": "[('o001', 'observation')]", **cells})


# the doctests' namespace (make_row: also the demo rows above)
from asnfp.association import create, offer  # noqa: E402,F401
from asnfp.constraints import NO_BINDINGS  # noqa: E402,F401
from asnfp.row import make_row  # noqa: E402
