"""Level-2b rules: one science exposure per association (``image2``, ``spec2``, ...).

The base rule :data:`LEVEL2` holds how a Level-2 association behaves (members, product
name, validity, finalize); each concrete rule is ``replace(LEVEL2, name=..., constraint=...)``.

>>> len(RULES), RULES[0].name, RULES[-1].name
(22, 'Asn_Lv2CoronAsRate', 'Asn_MIRLRSTAConfirm')
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
    lift,
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
    nissoss_calibrated_filter,
    nrccoron_valid_detector,
    nrsfss_valid_detector,
    nrsifu_valid_detector,
    pad_program,
    valid,
)
from asnfp.jwst.level2_finalize import (
    closest_direct,
    first_long_direct,
    if_valid,
    prune_imprints,
    split_nods,
    then,
    with_catalog,
)
from asnfp.jwst.shared import (
    ACDIRECT,
    HAS_SCIENCE,
    Exptype,
    dms,
    integrations,
    joined,
    not_tso,
    single_science,
    target,
    target_acq,
    tso,
    wfsc,
)
from asnfp.naming import acid_from, acid_in, remove_suffix
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
    return all_of(dms("program", "program"), dms("is_tso", "tsovisit", required=False), name="base")


def mode() -> Node:
    """Same instrument, detector and optical path; not a NIRSpec detector, an opaque
    filter, an NRC long-wave TSO grism, or a WFS&C visit.

    >>> row = {"instrume": "miri", "detector": "mirimage", "filter": "f560w"}
    >>> (mode()(NO_BINDINGS, make_row(0, row)).matched,
    ...  mode()(NO_BINDINGS, make_row(1, {**row, "filter": "opaque"})).matched)
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
        name="mode",
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
    return value_leaf(None, lambda b, row: (exptype(b, row) == kind) == equal, True, pins=False,
                      label=f"exptype {word} {kind}")


def spectral_science(exclude: tuple[str, ...] = ()) -> Node:
    """A spectroscopic science exposure type, but for ``exclude`` (list order kept).

    >>> spectral_science(("nis_wfss",))(NO_BINDINGS, make_row(0, {"exp_type": "nis_wfss"})).matched
    False
    """
    kinds = [k for k in SPEC2_SCIENCE_EXP_TYPES if k not in exclude]
    return any_of(dms("exp_type", "exp_type", joined(kinds)))


def imprint() -> Node:
    """An imprint exposure, re-offered to the rule's existing associations.

    >>> imprint()(NO_BINDINGS, make_row(0, {"is_imprt": "t"})).reprocess[0].work_over.name
    'EXISTING'
    """
    return all_of(dms("imprint", "is_imprt"), on_match=True, work_over=Category.EXISTING)


def imprint_special() -> Node:
    """An imprint on the pinned mosaic tile, unless the last exposure type this
    association computed was an imprint (the reference's stale check, kept on purpose).

    >>> imprint_special()(NO_BINDINGS, make_row(0, {"is_imprt": "t", "mostilno": "1"})).matched
    True
    """
    return all_of(
        dms("imprint", "is_imprt", reprocess=Category.EXISTING),
        dms("mosaic_tile", "mostilno"),
        value_leaf(None, lambda b, row: b.fact(ORIGINAL), "imprint", test=lambda v, got: v != got,
                   pins=False, label="last exptype != imprint"),
    )


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
    return any_of(is_exptype(wfss_exptype, "science", equal=False), single_science(wfss_exptype))


def _grism_or_direct(grism: str, direct: str) -> Node:
    return any_of(dms("exp_type", "exp_type", grism),
                  dms("image_exp_type", "exp_type", direct, reprocess=Category.NONSCIENCE))


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


# --------------------------------------------------------------------------- the rules


def _coron_as_rate() -> Rule:
    """Full-frame NIRCam coronagraphy on a detector that sees the occulter, one science
    (a PSF counts) plus backgrounds, as a plain ``_rate`` exposure (``image2``); Lv2Image
    takes the same row as ``_rateints``.

    >>> coron = dict(instrume="nircam", exp_type="nrc_coron", filter="f210m", pupil="maskrnd")
    >>> row = _demo_row(detector="nrca2", **coron)
    >>> [create(rule, None, row)[1].products[0].members[0].expname for rule in (_coron_as_rate(), _image())]
    ['jw_1_rate.fits', 'jw_1_rateints.fits']
    >>> create(_coron_as_rate(), None, _demo_row(detector="nrca1", **coron))[0]
    False
    """
    return _rule(
        "Asn_Lv2CoronAsRate", "image2", level2_exptype,
        base(), mode(), dms("exp_type", "exp_type", "nrc_coron"),
        dms("subarray", "subarray", "full"),
        value_leaf(None, lambda b, row: nrccoron_valid_detector(row), True, label="coron detector"),
        any_of(background(), single_science(level2_exptype)),
        tags=frozenset({"no_coron"}),
    )


def _fgs() -> Rule:
    """FGS images and focus exposures, one science each, outside WFS&C visits (``image2``).
    There is no optical-path check, so a row without a filter is taken (Lv2Image refuses it).

    >>> fgs = dict(instrume="fgs", detector="guider1", exp_type="fgs_image")
    >>> made, asn, _ = create(_fgs(), None, _demo_row(**fgs))
    >>> made, asn.products[0].members[0].expname, asn.products[0].name
    (True, 'jw_1_rate.fits', 'jw_1')
    >>> create(_image(), None, _demo_row(**fgs))[0]
    False
    >>> create(_fgs(), None, _demo_row(visitype="prime_wfsc_routine", **fgs))[0]
    False
    """
    return _rule(
        "Asn_Lv2FGS", "image2", level2_exptype,
        base(), single_science(level2_exptype), dms("exp_type", "exp_type", "fgs_image|fgs_focus"),
        not_any(wfsc()),
    )


def _image() -> Rule:
    """Imaging science, one non-TSO exposure per association, plus every background of the
    same mode (backgrounds are re-offered, so they join each association they fit) (``image2``).

    >>> mir = dict(instrume="miri", detector="mirimage", exp_type="mir_image", filter="f560w")
    >>> _, asn, _ = create(_image(), None, _demo_row(0, **mir))
    >>> _, asn, _ = offer(asn, _demo_row(1, bkgdtarg="t", **mir))
    >>> [(m.expname, m.exptype) for m in asn.products[0].members], asn.products[0].name
    ([('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'background')], 'jw_1')
    >>> offer(asn, _demo_row(2, **mir))[0], create(_image(), None, _demo_row(tsovisit="t", **mir))[0]
    (False, False)
    """
    return _rule(
        "Asn_Lv2Image", "image2", level2_exptype,
        base(), mode(), image_science(), not_tso(),
        any_of(background(), single_science(level2_exptype)),
    )


def _image_nonscience() -> Rule:
    """Acquisitions, focus, coronagraphic calibration, NIRSpec images and MSA mirror
    images, each on its own as ``science``; no mode or instrument check (``image2``).

    >>> acq = dict(instrume="nircam", detector="nrca1", exp_type="nrc_tacq", pntgtype="target_acquisition")
    >>> made, asn, _ = create(_image_nonscience(), None, _demo_row(**acq))
    >>> made, asn.products[0].members[0].exptype, asn.products[0].name
    (True, 'science', 'jw_1')
    >>> create(_image_nonscience(), None, _demo_row(instrume="nircam", detector="nrca1", exp_type="nrc_image",
    ...                                             filter="f212n"))[0]
    False
    """
    return _rule(
        "Asn_Lv2ImageNonScience", "image2", special_exptype,
        base(), image_nonscience(), single_science(special_exptype),
    )


def _image_special() -> Rule:
    """Imaging backgrounds and PSFs, each processed as its own ``science`` (``image2``);
    an ordinary science row is not special.

    >>> mir = dict(instrume="miri", detector="mirimage", exp_type="mir_image", filter="f560w")
    >>> [create(_image_special(), None, _demo_row(**mir, **flag))[0]
    ...  for flag in ({"bkgdtarg": "t"}, {"is_psf": "t"}, {})]
    [True, True, False]
    >>> create(_image_special(), None, _demo_row(bkgdtarg="t", **mir))[1].products[0].members[0].exptype
    'science'
    """
    return _rule(
        "Asn_Lv2ImageSpecial", "image2", special_exptype,
        base(), mode(), image_science(), single_science(special_exptype), special(),
    )


def _image_tso() -> Rule:
    """Time-series imaging (a TSO exposure type or a TSO visit), one exposure each, as
    ``_rateints`` (``tso-image2``).

    >>> nrc = dict(instrume="nircam", detector="nrca1", filter="f210m")
    >>> made, asn, _ = create(_image_tso(), None, _demo_row(exp_type="nrc_tsimage", **nrc))
    >>> made, asn.rule.asn_type, asn.products[0].members[0].expname
    (True, 'tso-image2', 'jw_1_rateints.fits')
    >>> [create(_image_tso(), None, _demo_row(exp_type="nrc_image", tsovisit=v, **nrc))[0] for v in ("t", "f")]
    [True, False]
    """
    return _rule(
        "Asn_Lv2ImageTSO", "tso-image2", level2_exptype,
        base(), mode(), image_science(), single_science(level2_exptype), tso(),
    )


def _mirlrs_fixed_slit_nod() -> Rule:
    """MIRI LRS fixed-slit along-slit nods: each nod is the science of its own association
    and the other nod positions join it as ``background``; TA confirms join as
    acquisitions (``spec2``). A row taken as a background reads as refused (the reference's
    ``force_match``), so it still makes an association of its own.

    >>> lrs = dict(instrume="miri", detector="mirimage", exp_type="mir_lrs-fixedslit", filter="p750l",
    ...            patttype="along-slit-nod")
    >>> _, asn, _ = create(_mirlrs_fixed_slit_nod(), None, _demo_row(0, patt_num="1", **lrs))
    >>> taken, asn, _ = offer(asn, _demo_row(1, patt_num="2", **lrs))
    >>> taken, [(m.expname, m.exptype) for m in asn.products[0].members]
    (False, [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'background')])
    >>> create(_mirlrs_fixed_slit_nod(), None, _demo_row(patt_num="1", **{**lrs, "patttype": "none"}))[0]
    False
    """
    patt_num = dms("patt_num", "patt_num")
    current = dms("is_current_patt_num", "patt_num",
                  lambda b: f"((?!{b.state(patt_num).value}).)*", tracks=True)
    force = value_leaf("force_match", lambda b, row: False, None, test=lambda _a, _b: True,
                       label="force_match")

    def exptype(bindings: Bindings, row: Row) -> str:
        kind = level2_exptype(bindings, row)
        return "background" if kind == "science" and bindings.state(current).matched else kind

    along_slit = dms("patttype", "patttype", "along-slit-nod", pins=False)
    science = all_of(
        dms("exp_type", "exp_type", "mir_lrs-fixedslit"), patt_num,
        single_science(exptype, on_match=True, work_over=Category.EXISTING), along_slit,
    )
    nod = all_of(dms("exp_type", "exp_type", "mir_lrs-fixedslit"), current, force,
                 dms("patttype", "patttype", "along-slit-nod", pins=False))
    return _rule(
        "Asn_Lv2MIRLRSFixedSlitNod", "spec2", exptype,
        all_of(base(), value_leaf(None, _acid_is_not_background, True, test=lambda _v, ok: ok,
                                  pins=False, label="acid is not background")),
        any_of(science, nod, dms("exp_type", "exp_type", "mir_taconfirm")),
        force_match=force,
    )


def _nrs_fss() -> Rule:
    """NIRSpec fixed-slit exposures on a detector their slit reaches: all the science
    sharing expspcin, numdthpt and subpixel count, with the mode's backgrounds, split at
    finalize into one association per science, the other nods as ``background`` (``spec2``).

    >>> fs = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_fixedslit", filter="f290lp",
    ...           grating="g395h", fxd_slit="s200a1", expspcin="1", numdthpt="3", subpxpts="1")
    >>> _, asn, _ = create(_nrs_fss(), None, _demo_row(0, patt_num="1", **fs))
    >>> [(m.expname, m.exptype) for m in offer(asn, _demo_row(1, patt_num="2", **fs))[1].products[0].members]
    [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'science')]
    >>> create(_nrs_fss(), None, _demo_row(**{**fs, "fxd_slit": "s200b1"}))[0]
    False
    """
    nod_science = all_of(
        dms("expspcin", "expspcin"), dms("nods", "numdthpt"),
        dms("subpxpts", ("subpxpns", "subpxpts")), is_exptype(level2_exptype, "science"),
    )
    return _rule(
        "Asn_Lv2NRSFSS", "spec2", level2_exptype,
        base(), mode(), dms("exp_type", "exp_type", "nrs_fixedslit"),
        lift(nrsfss_valid_detector, "fss detector"),
        any_of(is_exptype(level2_exptype, "science", equal=False), nod_science),
        finalize=split_nods,
    )


def _nrs_ifu_nod() -> Rule:
    """NIRSpec IFU 2- or 4-point nods: everything on one mosaic tile (science, imprints,
    backgrounds), imprints pruned and split at finalize, the other nods as ``background``
    (``spec2``).

    >>> ifu = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_ifu", filter="f170lp", grating="g235h",
    ...            patttype="2-point-nod", mostilno="1")
    >>> _, asn, _ = create(_nrs_ifu_nod(), None, _demo_row(0, **ifu))
    >>> _, asn, _ = offer(asn, _demo_row(1, **ifu))
    >>> _, asn, _ = offer(asn, _demo_row(2, is_imprt="t", **ifu))
    >>> [m.exptype for m in asn.products[0].members], offer(asn, _demo_row(3, **{**ifu, "mostilno": "2"}))[0]
    (['science', 'science', 'imprint'], False)
    """
    return _rule(
        "Asn_Lv2NRSIFUNod", "spec2", level2_exptype,
        base(), mode(), dms("exp_type", "exp_type", "nrs_ifu"),
        lift(nrsifu_valid_detector, "ifu detector"),
        dms("patttype", "patttype", "2-point-nod|4-point-nod"), dms("mosaic_tile", "mostilno"),
        finalize=lambda asn: split_nods(prune_imprints(asn)) if is_valid(asn) else None,
    )


def _nrs_lamp_image() -> Rule:
    """NIRSpec lamp exposures through the mirror (imaging mode), each on its own as
    ``science``; no mode check, so the opaque filter passes (``image2``).

    >>> lamp = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_lamp", filter="opaque", grating="mirror",
    ...             opmode="image", lamp="line1")
    >>> made, asn, _ = create(_nrs_lamp_image(), None, _demo_row(**lamp))
    >>> made, asn.products[0].members[0].exptype, asn.products[0].name
    (True, 'science', 'jw_1')
    >>> create(_nrs_lamp_image(), None, _demo_row(**{**lamp, "grating": "g140h"}))[0]
    False
    """
    return _rule(
        "Asn_Lv2NRSLAMPImage", "image2", special_exptype,
        base(), single_science(special_exptype), dms("exp_type", "exp_type", "nrs_lamp"),
        dms(None, "grating", "mirror"), dms(None, "opmode", "image", required=False),
    )


def _nrs_lamp_spectral() -> Rule:
    """NIRSpec lamp, autoflat and autowave exposures behind the opaque filter whose
    grating, lamp and detector can be calibrated, each on its own as ``science``; MSA
    ones need a metafile (``nrslamp-spec2``).

    >>> flat = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_autoflat", filter="opaque",
    ...             grating="g140h", opmode="fixedslit", lamp="flat1", fxd_slit="s200a1")
    >>> made, asn, _ = create(_nrs_lamp_spectral(), None, _demo_row(**flat))
    >>> made, asn.rule.asn_type, asn.products[0].members[0].exptype
    (True, 'nrslamp-spec2', 'science')
    >>> [create(_nrs_lamp_spectral(), None, _demo_row(**{**flat, **cells}))[0]
    ...  for cells in ({"lamp": "flat5"}, {"opmode": "msaspec"}, {"opmode": "msaspec", "msametfl": "m.fits"})]
    [False, False, True]
    """
    return _rule(
        "Asn_Lv2NRSLAMPSpectral", "nrslamp-spec2", special_exptype,
        base(), single_science(special_exptype),
        dms("exp_type", "exp_type", "nrs_autoflat|nrs_autowave|nrs_lamp"),
        dms("opt_elem", "filter", "opaque"), lift(nrslamp_valid_detector, "lamp detector"),
        any_of(not_any(dms("opmode", "opmode", "msaspec")),
               all_of(dms(None, "opmode", "msaspec"), dms(None, "msametfl"))),
        dms("lamp", "lamp"),
        not_any(dms(None, "grating", "mirror", pins=False), dms(None, "opmode", "grating-only", pins=False),
                dms(None, "lamp", "nolamp", pins=False)),
    )


def _nrs_msa() -> Rule:
    """NIRSpec MSA spectroscopy with a metafile: all the exposures of one mode and
    expspcin, split at finalize into one association per science (``spec2``).

    >>> msa = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_msaspec", filter="f170lp",
    ...            grating="g235m", msametfl="m.fits", expspcin="1")
    >>> _, asn, _ = create(_nrs_msa(), None, _demo_row(0, **msa))
    >>> offer(asn, _demo_row(1, **msa))[0], offer(asn, _demo_row(2, **{**msa, "expspcin": "2"}))[0]
    (True, False)
    >>> create(_nrs_msa(), None, _demo_row(**{**msa, "msametfl": "null"}))[0]
    False
    """
    return _rule(
        "Asn_Lv2NRSMSA", "spec2", level2_exptype,
        base(), mode(),
        all_of(dms("exp_type", "exp_type", "nrs_msaspec"), dms(None, "msametfl"),
               dms("expspcin", "expspcin")),
        finalize=split_nods,
    )


def _imprints_pruned(asn: Association) -> tuple[Association, ...] | None:
    return if_valid(prune_imprints(asn)) if is_valid(asn) else None


def _spec() -> Rule:
    """Spectroscopy not handled elsewhere (MRS, IFU, SOSS, ...), neither TSO nor nodded:
    one science on a mosaic tile, imprints on that tile, and backgrounds of any tile;
    imprints pruned at finalize (``spec2``).

    >>> mrs = dict(instrume="miri", detector="mirifushort", exp_type="mir_mrs", band="short", channel="12",
    ...            mostilno="1")
    >>> _, asn, _ = create(_spec(), None, _demo_row(0, **mrs))
    >>> _, asn, _ = offer(asn, _demo_row(1, bkgdtarg="t", **{**mrs, "mostilno": "2"}))
    >>> _, asn, _ = offer(asn, _demo_row(2, is_imprt="t", **mrs))
    >>> [(m.expname, m.exptype) for m in asn.products[0].members]
    [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'background'), ('jw_3_rate.fits', 'imprint')]
    >>> [create(_spec(), None, _demo_row(**{**mrs, **cells}))[0] for cells in ({"patttype": "2-point-nod"},
    ...                                                                        {"mostilno": "null"})]
    [False, False]
    """
    excluded = ("nis_wfss", "nrc_wfss", "nrs_fixedslit", "nrs_msaspec", "mir_lrs-slitless",
                "mir_lrs-fixedslit")
    return _rule(
        "Asn_Lv2Spec", "spec2", level2_exptype,
        base(), mode(), spectral_science(excluded),
        any_of(background(),
               all_of(any_of(imprint(), single_science(level2_exptype)), dms("mostilno", "mostilno"))),
        not_any(tso(), dms("patttype", "patttype", "2-point-nod|4-point-nod|along-slit-nod")),
        lift(nrsifu_valid_detector, "ifu detector"),
        finalize=_imprints_pruned,
    )


def _spec_imprint() -> Rule:
    """Spectral imprint exposures, each processed as its own ``science`` (``spec2``).

    >>> ifu = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_ifu", filter="f170lp", grating="g235h",
    ...            mostilno="1")
    >>> made, asn, _ = create(_spec_imprint(), None, _demo_row(is_imprt="t", **ifu))
    >>> made, asn.products[0].members[0].exptype, create(_spec_imprint(), None, _demo_row(**ifu))[0]
    (True, 'science', False)
    """
    return _rule(
        "Asn_Lv2SpecImprint", "spec2", special_exptype,
        base(), mode(), spectral_science(), single_science(special_exptype),
        lift(nrsifu_valid_detector, "ifu detector"), dms("imprint", "is_imprt"),
    )


def _spec_special() -> Rule:
    """Spectral backgrounds and PSFs, each processed as its own ``science``; background
    imprints on its tile join as ``imprint``, but the reference's stale check refuses the
    imprint that comes next after one has joined (``spec2``).

    >>> ifu = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_ifu", filter="f170lp", grating="g235h",
    ...            mostilno="1", bkgdtarg="t")
    >>> _, asn, _ = create(_spec_special(), None, _demo_row(0, **ifu))
    >>> _, asn, _ = offer(asn, _demo_row(1, is_imprt="t", **ifu))
    >>> [m.exptype for m in asn.products[0].members], offer(asn, _demo_row(2, is_imprt="t", **ifu))[0]
    (['science', 'imprint'], False)
    >>> create(_spec_special(), None, _demo_row(**{**ifu, "bkgdtarg": "f"}))[0]
    False
    """
    def noted(bindings: Bindings, row: Row) -> str:
        return level2_exptype(bindings, row)

    science = all_of(
        value_leaf(None, lambda b, row: special_exptype(b, row) == "science", True,
                   note=(ORIGINAL, noted), label="is_science"),
        value_leaf(None, lambda b, row: bool(b.fact("has_science")), False, label="no_science_yet"),
    )
    return _rule(
        "Asn_Lv2SpecSpecial", "spec2", special_exptype,
        base(), mode(), spectral_science(), special(), lift(nrsifu_valid_detector, "ifu detector"),
        any_of(imprint_special(), science),
        finalize=_imprints_pruned, sticky=(ORIGINAL,),
    )


def _spec_tso() -> Rule:
    """Time-series spectroscopy, one exposure each, as ``_rateints``; not NIRCam grism
    time series with a clear pupil, BOTS on an unreachable detector or SOSS with an
    uncalibrated filter (``tso-spec2``).

    >>> soss = dict(instrume="niriss", detector="nis", exp_type="nis_soss", filter="clear", pupil="gr700xd",
    ...             subarray="substrip256", tsovisit="t")
    >>> made, asn, _ = create(_spec_tso(), None, _demo_row(**soss))
    >>> made, asn.rule.asn_type, asn.products[0].members[0].expname
    (True, 'tso-spec2', 'jw_1_rateints.fits')
    >>> [create(_spec_tso(), None, _demo_row(**{**soss, **cells}))[0] for cells in ({"filter": "f277w"},
    ...                                                                             {"tsovisit": "f"})]
    [False, False]
    """
    return _rule(
        "Asn_Lv2SpecTSO", "tso-spec2", level2_exptype,
        all_of(base(), mode(),
               spectral_science(("nrs_msaspec", "nrs_fixedslit", "mir_lrs-slitless", "mir_lrs-fixedslit")),
               single_science(level2_exptype), tso()),
        not_any(all_of(dms("exp_type", "exp_type", "nrc_tsgrism"), dms("pupil", "pupil", "clear"))),
        not_any(all_of(dms("exp_type", "exp_type", "nrs_brightobj"),
                       lift(lambda row: not nrsfss_valid_detector(row), "invalid fss detector"))),
        not_any(all_of(dms("exp_type", "exp_type", "nis_soss"),
                       lift(lambda row: not nissoss_calibrated_filter(row), "uncalibrated soss filter"))),
    )


def _wfsc() -> Rule:
    """Imaging in WFS&C visits, one exposure each, with no mode check; NIRCam
    line-of-sight jitter images are left out (and Lv2Image, by its mode, takes no WFS&C
    row) (``image2``).

    >>> wfsc = dict(instrume="nircam", detector="nrca1", exp_type="nrc_image", filter="f212n", pupil="wlp8",
    ...             visitype="prime_wfsc_routine")
    >>> made, asn, _ = create(_wfsc(), None, _demo_row(**wfsc))
    >>> made, asn.products[0].members[0].expname, asn.products[0].name
    (True, 'jw_1_rate.fits', 'jw_1')
    >>> [create(rule, None, row)[0] for rule, row in ((_wfsc(), _demo_row(dms_note="wfsc_los_jitter", **wfsc)),
    ...                                                (_image(), _demo_row(**wfsc)))]
    [False, False]
    """
    return _rule(
        "Asn_Lv2WFSC", "image2", level2_exptype,
        base(), image_science(), single_science(level2_exptype), wfsc(),
        not_all(dms("dms_note", "dms_note", "wfsc_los_jitter"), dms("exp_type", "exp_type", "nrc_image")),
    )


def _wfss(name: str, grism: str, direct: str, *extra: Constraint) -> Rule:
    """Build a WFSS rule named ``name`` (Lv2WFSSMIR/NIS/NRC): one ``grism`` exposure of a
    program and target, plus the ``direct`` images (re-offered, typed ``direct_image``)
    that also meet ``extra``; finalize swaps the directs for the closest one's catalogue
    members (``spec2``).

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


def _wfss_parallel() -> Rule:
    """Pure-parallel WFSS, only in a ``direct_image`` candidate: one grism exposure plus
    the direct images of the same instrument, whatever their program or target id (the
    target leaf is ``000`` there) (``spec2``; every candidate type passes validity).

    >>> cand = "[('c1000', 'direct_image')]"
    >>> grism = dict(instrume="niriss", detector="nis", exp_type="nis_wfss", filter="gr150c", pupil="f150w",
    ...              asn_candidate=cand)
    >>> _, asn, _ = create(_wfss_parallel(), None, _demo_row(0, program="9", **grism))
    >>> direct = _demo_row(1, **{**grism, "exp_type": "nis_image", "filter": "clear", "program": "8",
    ...                         "targetid": "5"})
    >>> taken, asn, _ = offer(asn, direct)
    >>> taken, [(m.expname, m.exptype) for m in asn.products[0].members]
    (True, [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'direct_image')])
    >>> create(_wfss_parallel(), None, _demo_row(**{**grism, "asn_candidate": "[('o001', 'observation')]"}))[0]
    False
    """
    return _rule(
        "Asn_Lv2WFSSParallel", "spec2", wfss_exptype,
        dms("acdirect", "asn_candidate", ACDIRECT),
        _grism_or_direct("nis_wfss|nrc_wfss|mir_wfss", "nis_image|nrc_image|mir_image"),
        _wfss_exposures(), target(), dms("instrument", "instrume"),
        validity=(HAS_SCIENCE, Check("allowed_candidates", lambda asn, member: True)),
        finalize=then(with_catalog(first_long_direct), if_valid),
    )


def _mirlrs_ta_confirm() -> Rule:
    """MIRI LRS (slit or slitless) science with its non-TSO backgrounds of the same mode
    and its TA-confirm images as ``target_acquisition`` (``spec2``). The obs_id is pinned
    by the first TA confirm, not by the science.

    >>> lrs = dict(instrume="miri", detector="mirimage", exp_type="mir_lrs-slitless", filter="p750l",
    ...            subarray="slitlessprism", obs_id="v1")
    >>> confirm = {**lrs, "exp_type": "mir_taconfirm", "filter": "f560w", "subarray": "full", "obs_id": "v2"}
    >>> _, asn, _ = create(_mirlrs_ta_confirm(), None, _demo_row(0, **lrs))
    >>> _, asn, _ = offer(asn, _demo_row(1, **confirm))
    >>> _, asn, _ = offer(asn, _demo_row(2, bkgdtarg="t", **lrs))
    >>> [(m.expname, m.exptype) for m in asn.products[0].members]
    [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'target_acquisition'), ('jw_3_rate.fits', 'background')]
    >>> offer(asn, _demo_row(3, **{**confirm, "obs_id": "v3"}))[0]
    False
    """
    lrs = "mir_lrs-slitless|mir_lrs-fixedslit"
    science = all_of(single_science(level2_exptype), dms("exp_type", "exp_type", lrs))
    nod_background = all_of(background(), not_tso(), dms("exp_type", "exp_type", lrs))
    with_background = all_of(mode(), any_of(science, nod_background))
    with_confirm = all_of(dms("obs_id", "obs_id"),
                          any_of(science, dms("exp_type", "exp_type", "mir_taconfirm")))
    return _rule(
        "Asn_MIRLRSTAConfirm", "spec2", level2_exptype,
        base(), any_of(with_background, with_confirm),
    )


RULES: tuple[Rule, ...] = (
    _coron_as_rate(), _fgs(), _image(), _image_nonscience(), _image_special(), _image_tso(),
    _mirlrs_fixed_slit_nod(), _nrs_fss(), _nrs_ifu_nod(), _nrs_lamp_image(), _nrs_lamp_spectral(),
    _nrs_msa(), _spec(), _spec_imprint(), _spec_special(), _spec_tso(), _wfsc(),
    _wfss("Asn_Lv2WFSSMIR", "mir_wfss", "mir_image", dms("instrument", "instrume"),
          dms("detector", "detector")),
    _wfss("Asn_Lv2WFSSNIS", "nis_wfss", "nis_image", dms("instrument", "instrume"),
          dms("instrument", "instrume"), dms("pupil", "pupil"), dms("subarray", "subarray")),
    _wfss("Asn_Lv2WFSSNRC", "nrc_wfss", "nrc_image", dms("instrument", "instrume"),
          dms("detector", "detector")),
    _wfss_parallel(), _mirlrs_ta_confirm(),
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
