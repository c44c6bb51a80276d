"""The 22 Level-2b rules, each one value named after it, in the reference's registry order
(its ``rules.md``, section 2), and :data:`RULES`, the tuple of them.

Each rule is the base rule :data:`~asnfp.jwst.level2.base.LEVEL2` with its own name,
association type, member exposure type and constraint; the examples sit in ``__test__``
at the end, under each rule's name.

>>> len(RULES), RULES[0] is ASN_LV2_CORON_AS_RATE, RULES[-1].name
(22, True, 'Asn_MIRLRSTAConfirm')
"""

from __future__ import annotations

from asnfp.association import is_valid
from asnfp.constraints import Bindings, Category, all_of, any_of, lift, not_all, not_any, value_leaf
from asnfp.jwst.dms import (
    nissoss_calibrated_filter,
    nrccoron_valid_detector,
    nrsfss_valid_detector,
    nrsifu_valid_detector,
)
from asnfp.jwst.level2.base import (
    ORIGINAL,
    _acid_is_not_background,
    _grism_or_direct,
    _imprints_pruned,
    _rule,
    _wfss,
    _wfss_exposures,
    background,
    base,
    image_nonscience,
    image_science,
    imprint,
    imprint_special,
    is_exptype,
    level2_exptype,
    mode,
    nrslamp_valid_detector,
    special,
    special_exptype,
    spectral_science,
    wfss_exptype,
)
from asnfp.jwst.level2.finalize import first_long_direct, if_valid, prune_imprints, split_nods, then, with_catalog
from asnfp.jwst.shared import ACDIRECT, HAS_SCIENCE, dms, not_tso, single_science, target, tso, wfsc
from asnfp.row import Row
from asnfp.rule import Check, Rule

__all__ = (
    "RULES",
    "ASN_LV2_CORON_AS_RATE",
    "ASN_LV2_FGS",
    "ASN_LV2_IMAGE",
    "ASN_LV2_IMAGE_NON_SCIENCE",
    "ASN_LV2_IMAGE_SPECIAL",
    "ASN_LV2_IMAGE_TSO",
    "ASN_LV2_MIRLRS_FIXED_SLIT_NOD",
    "ASN_LV2_NRSFSS",
    "ASN_LV2_NRSIFU_NOD",
    "ASN_LV2_NRSLAMP_IMAGE",
    "ASN_LV2_NRSLAMP_SPECTRAL",
    "ASN_LV2_NRSMSA",
    "ASN_LV2_SPEC",
    "ASN_LV2_SPEC_IMPRINT",
    "ASN_LV2_SPEC_SPECIAL",
    "ASN_LV2_SPEC_TSO",
    "ASN_LV2_WFSC",
    "ASN_LV2_WFSSMIR",
    "ASN_LV2_WFSSNIS",
    "ASN_LV2_WFSSNRC",
    "ASN_LV2_WFSS_PARALLEL",
    "ASN_MIRLRS_TA_CONFIRM",
)


def _coron_detector(bindings: Bindings, row: Row) -> bool:
    """The detector sees the occulted target (:func:`~asnfp.jwst.dms.nrccoron_valid_detector`)."""
    return nrccoron_valid_detector(row)


#: Full-frame NIRCam coronagraphy on an occulter detector as a plain ``_rate`` exposure (``image2``).
ASN_LV2_CORON_AS_RATE = _rule(
    "Asn_Lv2CoronAsRate", "image2", level2_exptype,
    base(), mode(), dms("exp_type", "exp_type", "nrc_coron"),
    dms("subarray", "subarray", "full"),
    value_leaf(None, _coron_detector, True, label="coron detector"),
    any_of(background(), single_science(level2_exptype)),
    tags=frozenset({"no_coron"}),
)

#: FGS images and focus exposures, one science each, outside WFS&C visits (``image2``).
ASN_LV2_FGS = _rule(
    "Asn_Lv2FGS", "image2", level2_exptype,
    base(), single_science(level2_exptype), dms("exp_type", "exp_type", "fgs_image|fgs_focus"),
    not_any(wfsc()),
)

#: Imaging science, one non-TSO exposure per association, plus every background of the same mode (``image2``).
ASN_LV2_IMAGE = _rule(
    "Asn_Lv2Image", "image2", level2_exptype,
    base(), mode(), image_science(), not_tso(),
    any_of(background(), single_science(level2_exptype)),
)

#: Acquisitions, focus, coronagraphic calibration, NIRSpec and MSA mirror images, each as ``science`` (``image2``).
ASN_LV2_IMAGE_NON_SCIENCE = _rule(
    "Asn_Lv2ImageNonScience", "image2", special_exptype,
    base(), image_nonscience(), single_science(special_exptype),
)

#: Imaging backgrounds and PSFs, each processed as its own ``science`` (``image2``).
ASN_LV2_IMAGE_SPECIAL = _rule(
    "Asn_Lv2ImageSpecial", "image2", special_exptype,
    base(), mode(), image_science(), single_science(special_exptype), special(),
)

#: Time-series imaging (a TSO exposure type or a TSO visit), one exposure each, as ``_rateints`` (``tso-image2``).
ASN_LV2_IMAGE_TSO = _rule(
    "Asn_Lv2ImageTSO", "tso-image2", level2_exptype,
    base(), mode(), image_science(), single_science(level2_exptype), tso(),
)

# the MIRI LRS nods: the pinned patt_num, the nod test that reads it, and force_match
_PATT_NUM = dms("patt_num", "patt_num")


def _other_patt_num(bindings: Bindings) -> str:
    """A regex of every ``patt_num`` but the pinned one."""
    return f"((?!{bindings.state(_PATT_NUM).value}).)*"


def _false(bindings: Bindings, row: Row) -> bool:
    return False


def _passes(expected: object, got: object) -> bool:
    return True


_CURRENT_PATT_NUM = dms("is_current_patt_num", "patt_num", _other_patt_num, tracks=True)
_FORCE_MATCH = value_leaf("force_match", _false, None, test=_passes, label="force_match")


def _given(expected: object, ok: bool) -> bool:
    return ok


def _nod_exptype(bindings: Bindings, row: Row) -> str:
    """A science row is a ``background`` once the other-nod test has matched."""
    kind = level2_exptype(bindings, row)
    return "background" if kind == "science" and bindings.state(_CURRENT_PATT_NUM).matched else kind


_NOD_SCIENCE = all_of(
    dms("exp_type", "exp_type", "mir_lrs-fixedslit"), _PATT_NUM,
    single_science(_nod_exptype, on_match=True, work_over=Category.EXISTING),
    dms("patttype", "patttype", "along-slit-nod", pins=False),
)
_OTHER_NOD = all_of(dms("exp_type", "exp_type", "mir_lrs-fixedslit"), _CURRENT_PATT_NUM, _FORCE_MATCH,
                    dms("patttype", "patttype", "along-slit-nod", pins=False))

#: MIRI LRS fixed-slit along-slit nods, each the science of its own association with the other nods as background.
ASN_LV2_MIRLRS_FIXED_SLIT_NOD = _rule(
    "Asn_Lv2MIRLRSFixedSlitNod", "spec2", _nod_exptype,
    all_of(base(), value_leaf(None, _acid_is_not_background, True, test=_given,
                              pins=False, label="acid is not background")),
    any_of(_NOD_SCIENCE, _OTHER_NOD, dms("exp_type", "exp_type", "mir_taconfirm")),
    force_match=_FORCE_MATCH,
)

#: NIRSpec fixed-slit exposures on a detector their slit reaches, split at finalize per science (``spec2``).
ASN_LV2_NRSFSS = _rule(
    "Asn_Lv2NRSFSS", "spec2", level2_exptype,
    base(), mode(), dms("exp_type", "exp_type", "nrs_fixedslit"),
    lift(nrsfss_valid_detector, "fss detector"),
    any_of(is_exptype(level2_exptype, "science", equal=False),
           all_of(dms("expspcin", "expspcin"), dms("nods", "numdthpt"),
                  dms("subpxpts", ("subpxpns", "subpxpts")), is_exptype(level2_exptype, "science"))),
    finalize=split_nods,
)

#: NIRSpec IFU 2- or 4-point nods: everything on one mosaic tile, imprints pruned and split at finalize (``spec2``).
ASN_LV2_NRSIFU_NOD = _rule(
    "Asn_Lv2NRSIFUNod", "spec2", level2_exptype,
    base(), mode(), dms("exp_type", "exp_type", "nrs_ifu"),
    lift(nrsifu_valid_detector, "ifu detector"),
    dms("patttype", "patttype", "2-point-nod|4-point-nod"), dms("mosaic_tile", "mostilno"),
    finalize=lambda asn: split_nods(prune_imprints(asn)) if is_valid(asn) else None,
)

#: NIRSpec lamp exposures through the mirror (imaging mode), each on its own as ``science`` (``image2``).
ASN_LV2_NRSLAMP_IMAGE = _rule(
    "Asn_Lv2NRSLAMPImage", "image2", special_exptype,
    base(), single_science(special_exptype), dms("exp_type", "exp_type", "nrs_lamp"),
    dms(None, "grating", "mirror"), dms(None, "opmode", "image", required=False),
)

#: NIRSpec lamp, autoflat and autowave exposures behind the opaque filter, each as ``science`` (``nrslamp-spec2``).
ASN_LV2_NRSLAMP_SPECTRAL = _rule(
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

#: NIRSpec MSA spectroscopy with a metafile, split at finalize into one association per science (``spec2``).
ASN_LV2_NRSMSA = _rule(
    "Asn_Lv2NRSMSA", "spec2", level2_exptype,
    base(), mode(),
    all_of(dms("exp_type", "exp_type", "nrs_msaspec"), dms(None, "msametfl"),
           dms("expspcin", "expspcin")),
    finalize=split_nods,
)

#: Spectroscopy not handled elsewhere (MRS, IFU, SOSS, ...), neither TSO nor nodded (``spec2``).
ASN_LV2_SPEC = _rule(
    "Asn_Lv2Spec", "spec2", level2_exptype,
    base(), mode(),
    spectral_science(("nis_wfss", "nrc_wfss", "nrs_fixedslit", "nrs_msaspec", "mir_lrs-slitless",
                      "mir_lrs-fixedslit")),
    any_of(background(),
           all_of(any_of(imprint(), single_science(level2_exptype)), dms("mostilno", "mostilno"))),
    not_any(tso(), dms("patttype", "patttype", "2-point-nod|4-point-nod|along-slit-nod")),
    lift(nrsifu_valid_detector, "ifu detector"),
    finalize=_imprints_pruned,
)

#: Spectral imprint exposures, each processed as its own ``science`` (``spec2``).
ASN_LV2_SPEC_IMPRINT = _rule(
    "Asn_Lv2SpecImprint", "spec2", special_exptype,
    base(), mode(), spectral_science(), single_science(special_exptype),
    lift(nrsifu_valid_detector, "ifu detector"), dms("imprint", "is_imprt"),
)


def _noted(bindings: Bindings, row: Row) -> str:
    """The exposure type noted as the association's last one (:data:`ORIGINAL`)."""
    return level2_exptype(bindings, row)


def _special_science(bindings: Bindings, row: Row) -> bool:
    return special_exptype(bindings, row) == "science"


def _has_science(bindings: Bindings, row: Row) -> bool:
    return bool(bindings.fact("has_science"))


#: Spectral backgrounds and PSFs, each processed as its own ``science``, with their imprints (``spec2``).
ASN_LV2_SPEC_SPECIAL = _rule(
    "Asn_Lv2SpecSpecial", "spec2", special_exptype,
    base(), mode(), spectral_science(), special(), lift(nrsifu_valid_detector, "ifu detector"),
    any_of(imprint_special(), all_of(
        value_leaf(None, _special_science, True, note=(ORIGINAL, _noted), label="is_science"),
        value_leaf(None, _has_science, False, label="no_science_yet"),
    )),
    finalize=_imprints_pruned, sticky=(ORIGINAL,),
)

def _invalid_fss_detector(row: Row) -> bool:
    return not nrsfss_valid_detector(row)


def _uncalibrated_soss_filter(row: Row) -> bool:
    return not nissoss_calibrated_filter(row)


#: Time-series spectroscopy, one exposure each, as ``_rateints`` (``tso-spec2``).
ASN_LV2_SPEC_TSO = _rule(
    "Asn_Lv2SpecTSO", "tso-spec2", level2_exptype,
    all_of(base(), mode(),
           spectral_science(("nrs_msaspec", "nrs_fixedslit", "mir_lrs-slitless", "mir_lrs-fixedslit")),
           single_science(level2_exptype), tso()),
    not_any(all_of(dms("exp_type", "exp_type", "nrc_tsgrism"), dms("pupil", "pupil", "clear"))),
    not_any(all_of(dms("exp_type", "exp_type", "nrs_brightobj"),
                   lift(_invalid_fss_detector, "invalid fss detector"))),
    not_any(all_of(dms("exp_type", "exp_type", "nis_soss"),
                   lift(_uncalibrated_soss_filter, "uncalibrated soss filter"))),
)

#: Imaging in WFS&C visits, one exposure each, with no mode check (``image2``).
ASN_LV2_WFSC = _rule(
    "Asn_Lv2WFSC", "image2", level2_exptype,
    base(), image_science(), single_science(level2_exptype), wfsc(),
    not_all(dms("dms_note", "dms_note", "wfsc_los_jitter"), dms("exp_type", "exp_type", "nrc_image")),
)

#: MIRI WFSS: one grism exposure plus the direct images of its detector (``spec2``).
ASN_LV2_WFSSMIR = _wfss("Asn_Lv2WFSSMIR", "mir_wfss", "mir_image", dms("instrument", "instrume"),
                        dms("detector", "detector"))

#: NIRISS WFSS: one grism exposure plus the direct images of its pupil and subarray (``spec2``).
ASN_LV2_WFSSNIS = _wfss("Asn_Lv2WFSSNIS", "nis_wfss", "nis_image", dms("instrument", "instrume"),
                        dms("instrument", "instrume"), dms("pupil", "pupil"), dms("subarray", "subarray"))

#: NIRCam WFSS: one grism exposure plus the direct images of its detector (``spec2``).
ASN_LV2_WFSSNRC = _wfss("Asn_Lv2WFSSNRC", "nrc_wfss", "nrc_image", dms("instrument", "instrume"),
                        dms("detector", "detector"))

#: Pure-parallel WFSS, only in a ``direct_image`` candidate: one grism exposure plus direct images (``spec2``).
ASN_LV2_WFSS_PARALLEL = _rule(
    "Asn_Lv2WFSSParallel", "spec2", wfss_exptype,
    dms("acdirect", "asn_candidate", ACDIRECT),
    _grism_or_direct("nis_wfss|nrc_wfss|mir_wfss", "nis_image|nrc_image|mir_image"),
    _wfss_exposures(), target(), dms("instrument", "instrume"),
    validity=(HAS_SCIENCE, Check("allowed_candidates", lambda asn, member: True)),
    finalize=then(with_catalog(first_long_direct), if_valid),
)

# MIRI LRS science (used twice below: one node)
_LRS = "mir_lrs-slitless|mir_lrs-fixedslit"
_LRS_SCIENCE = all_of(single_science(level2_exptype), dms("exp_type", "exp_type", _LRS))

#: MIRI LRS science with its non-TSO backgrounds of the same mode and its TA confirms (``spec2``).
ASN_MIRLRS_TA_CONFIRM = _rule(
    "Asn_MIRLRSTAConfirm", "spec2", level2_exptype,
    base(),
    any_of(all_of(mode(), any_of(_LRS_SCIENCE, all_of(background(), not_tso(), dms("exp_type", "exp_type", _LRS)))),
           all_of(dms("obs_id", "obs_id"), any_of(_LRS_SCIENCE, dms("exp_type", "exp_type", "mir_taconfirm")))),
)

RULES: tuple[Rule, ...] = (
    ASN_LV2_CORON_AS_RATE, ASN_LV2_FGS, ASN_LV2_IMAGE, ASN_LV2_IMAGE_NON_SCIENCE, ASN_LV2_IMAGE_SPECIAL,
    ASN_LV2_IMAGE_TSO, ASN_LV2_MIRLRS_FIXED_SLIT_NOD, ASN_LV2_NRSFSS, ASN_LV2_NRSIFU_NOD, ASN_LV2_NRSLAMP_IMAGE,
    ASN_LV2_NRSLAMP_SPECTRAL, ASN_LV2_NRSMSA, ASN_LV2_SPEC, ASN_LV2_SPEC_IMPRINT, ASN_LV2_SPEC_SPECIAL,
    ASN_LV2_SPEC_TSO, ASN_LV2_WFSC, ASN_LV2_WFSSMIR, ASN_LV2_WFSSNIS, ASN_LV2_WFSSNRC, ASN_LV2_WFSS_PARALLEL,
    ASN_MIRLRS_TA_CONFIRM,
)


# each rule's description and examples, under its name (run by the doctests)
__test__ = {
    "ASN_LV2_CORON_AS_RATE": """Full-frame NIRCam coronagraphy on a detector that sees the occulter, one science
    (a PSF counts) plus backgrounds, as a plain ``_rate`` exposure (``image2``); Lv2Image
    takes the same row as ``_rateints``.

    >>> coron = dict(instrume="nircam", exp_type="nrc_coron", filter="f210m", pupil="maskrnd")
    >>> row = _demo_row(detector="nrca2", **coron)
    >>> [create(rule, None, row)[1].products[0].members[0].expname for rule in (ASN_LV2_CORON_AS_RATE, ASN_LV2_IMAGE)]
    ['jw_1_rate.fits', 'jw_1_rateints.fits']
    >>> create(ASN_LV2_CORON_AS_RATE, None, _demo_row(detector="nrca1", **coron))[0]
    False
    """,
    "ASN_LV2_FGS": """FGS images and focus exposures, one science each, outside WFS&C visits (``image2``).
    There is no optical-path check, so a row without a filter is taken (Lv2Image refuses it).

    >>> fgs = dict(instrume="fgs", detector="guider1", exp_type="fgs_image")
    >>> made, asn, _ = create(ASN_LV2_FGS, None, _demo_row(**fgs))
    >>> made, asn.products[0].members[0].expname, asn.products[0].name
    (True, 'jw_1_rate.fits', 'jw_1')
    >>> create(ASN_LV2_IMAGE, None, _demo_row(**fgs))[0]
    False
    >>> create(ASN_LV2_FGS, None, _demo_row(visitype="prime_wfsc_routine", **fgs))[0]
    False
    """,
    "ASN_LV2_IMAGE": """Imaging science, one non-TSO exposure per association, plus every background of the
    same mode (backgrounds are re-offered, so they join each association they fit) (``image2``).

    >>> mir = dict(instrume="miri", detector="mirimage", exp_type="mir_image", filter="f560w")
    >>> _, asn, _ = create(ASN_LV2_IMAGE, None, _demo_row(0, **mir))
    >>> _, asn, _ = offer(asn, _demo_row(1, bkgdtarg="t", **mir))
    >>> [(m.expname, m.exptype) for m in asn.products[0].members], asn.products[0].name
    ([('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'background')], 'jw_1')
    >>> offer(asn, _demo_row(2, **mir))[0], create(ASN_LV2_IMAGE, None, _demo_row(tsovisit="t", **mir))[0]
    (False, False)
    """,
    "ASN_LV2_IMAGE_NON_SCIENCE": """Acquisitions, focus, coronagraphic calibration, NIRSpec images and MSA mirror
    images, each on its own as ``science``; no mode or instrument check (``image2``).

    >>> acq = dict(instrume="nircam", detector="nrca1", exp_type="nrc_tacq", pntgtype="target_acquisition")
    >>> made, asn, _ = create(ASN_LV2_IMAGE_NON_SCIENCE, None, _demo_row(**acq))
    >>> made, asn.products[0].members[0].exptype, asn.products[0].name
    (True, 'science', 'jw_1')
    >>> create(ASN_LV2_IMAGE_NON_SCIENCE, None, _demo_row(instrume="nircam", detector="nrca1", exp_type="nrc_image",
    ...                                             filter="f212n"))[0]
    False
    """,
    "ASN_LV2_IMAGE_SPECIAL": """Imaging backgrounds and PSFs, each processed as its own ``science`` (``image2``);
    an ordinary science row is not special.

    >>> mir = dict(instrume="miri", detector="mirimage", exp_type="mir_image", filter="f560w")
    >>> [create(ASN_LV2_IMAGE_SPECIAL, None, _demo_row(**mir, **flag))[0]
    ...  for flag in ({"bkgdtarg": "t"}, {"is_psf": "t"}, {})]
    [True, True, False]
    >>> create(ASN_LV2_IMAGE_SPECIAL, None, _demo_row(bkgdtarg="t", **mir))[1].products[0].members[0].exptype
    'science'
    """,
    "ASN_LV2_IMAGE_TSO": """Time-series imaging (a TSO exposure type or a TSO visit), one exposure each, as
    ``_rateints`` (``tso-image2``).

    >>> nrc = dict(instrume="nircam", detector="nrca1", filter="f210m")
    >>> made, asn, _ = create(ASN_LV2_IMAGE_TSO, None, _demo_row(exp_type="nrc_tsimage", **nrc))
    >>> made, asn.rule.asn_type, asn.products[0].members[0].expname
    (True, 'tso-image2', 'jw_1_rateints.fits')
    >>> [create(ASN_LV2_IMAGE_TSO, None, _demo_row(exp_type="nrc_image", tsovisit=v, **nrc))[0] for v in ("t", "f")]
    [True, False]
    """,
    "ASN_LV2_MIRLRS_FIXED_SLIT_NOD": """MIRI LRS fixed-slit along-slit nods: each nod is the science of its own
    association and the other nod positions join it as ``background``; TA confirms join as
    acquisitions (``spec2``). A row taken as a background reads as refused (the reference's
    ``force_match``), so it still makes an association of its own.

    >>> lrs = dict(instrume="miri", detector="mirimage", exp_type="mir_lrs-fixedslit", filter="p750l",
    ...            patttype="along-slit-nod")
    >>> _, asn, _ = create(ASN_LV2_MIRLRS_FIXED_SLIT_NOD, None, _demo_row(0, patt_num="1", **lrs))
    >>> taken, asn, _ = offer(asn, _demo_row(1, patt_num="2", **lrs))
    >>> taken, [(m.expname, m.exptype) for m in asn.products[0].members]
    (False, [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'background')])
    >>> create(ASN_LV2_MIRLRS_FIXED_SLIT_NOD, None, _demo_row(patt_num="1", **{**lrs, "patttype": "none"}))[0]
    False
    """,
    "ASN_LV2_NRSFSS": """NIRSpec fixed-slit exposures on a detector their slit reaches: all the science
    sharing expspcin, numdthpt and subpixel count, with the mode's backgrounds, split at
    finalize into one association per science, the other nods as ``background`` (``spec2``).

    >>> fs = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_fixedslit", filter="f290lp",
    ...           grating="g395h", fxd_slit="s200a1", expspcin="1", numdthpt="3", subpxpts="1")
    >>> _, asn, _ = create(ASN_LV2_NRSFSS, None, _demo_row(0, patt_num="1", **fs))
    >>> [(m.expname, m.exptype) for m in offer(asn, _demo_row(1, patt_num="2", **fs))[1].products[0].members]
    [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'science')]
    >>> create(ASN_LV2_NRSFSS, None, _demo_row(**{**fs, "fxd_slit": "s200b1"}))[0]
    False
    """,
    "ASN_LV2_NRSIFU_NOD": """NIRSpec IFU 2- or 4-point nods: everything on one mosaic tile (science, imprints,
    backgrounds), imprints pruned and split at finalize, the other nods as ``background``
    (``spec2``).

    >>> ifu = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_ifu", filter="f170lp", grating="g235h",
    ...            patttype="2-point-nod", mostilno="1")
    >>> _, asn, _ = create(ASN_LV2_NRSIFU_NOD, None, _demo_row(0, **ifu))
    >>> _, asn, _ = offer(asn, _demo_row(1, **ifu))
    >>> _, asn, _ = offer(asn, _demo_row(2, is_imprt="t", **ifu))
    >>> [m.exptype for m in asn.products[0].members], offer(asn, _demo_row(3, **{**ifu, "mostilno": "2"}))[0]
    (['science', 'science', 'imprint'], False)
    """,
    "ASN_LV2_NRSLAMP_IMAGE": """NIRSpec lamp exposures through the mirror (imaging mode), each on its own as
    ``science``; no mode check, so the opaque filter passes (``image2``).

    >>> lamp = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_lamp", filter="opaque", grating="mirror",
    ...             opmode="image", lamp="line1")
    >>> made, asn, _ = create(ASN_LV2_NRSLAMP_IMAGE, None, _demo_row(**lamp))
    >>> made, asn.products[0].members[0].exptype, asn.products[0].name
    (True, 'science', 'jw_1')
    >>> create(ASN_LV2_NRSLAMP_IMAGE, None, _demo_row(**{**lamp, "grating": "g140h"}))[0]
    False
    """,
    "ASN_LV2_NRSLAMP_SPECTRAL": """NIRSpec lamp, autoflat and autowave exposures behind the opaque filter whose
    grating, lamp and detector can be calibrated, each on its own as ``science``; MSA
    ones need a metafile (``nrslamp-spec2``).

    >>> flat = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_autoflat", filter="opaque",
    ...             grating="g140h", opmode="fixedslit", lamp="flat1", fxd_slit="s200a1")
    >>> made, asn, _ = create(ASN_LV2_NRSLAMP_SPECTRAL, None, _demo_row(**flat))
    >>> made, asn.rule.asn_type, asn.products[0].members[0].exptype
    (True, 'nrslamp-spec2', 'science')
    >>> [create(ASN_LV2_NRSLAMP_SPECTRAL, None, _demo_row(**{**flat, **cells}))[0]
    ...  for cells in ({"lamp": "flat5"}, {"opmode": "msaspec"}, {"opmode": "msaspec", "msametfl": "m.fits"})]
    [False, False, True]
    """,
    "ASN_LV2_NRSMSA": """NIRSpec MSA spectroscopy with a metafile: all the exposures of one mode and
    expspcin, split at finalize into one association per science (``spec2``).

    >>> msa = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_msaspec", filter="f170lp",
    ...            grating="g235m", msametfl="m.fits", expspcin="1")
    >>> _, asn, _ = create(ASN_LV2_NRSMSA, None, _demo_row(0, **msa))
    >>> offer(asn, _demo_row(1, **msa))[0], offer(asn, _demo_row(2, **{**msa, "expspcin": "2"}))[0]
    (True, False)
    >>> create(ASN_LV2_NRSMSA, None, _demo_row(**{**msa, "msametfl": "null"}))[0]
    False
    """,
    "ASN_LV2_SPEC": """Spectroscopy not handled elsewhere (MRS, IFU, SOSS, ...), neither TSO nor nodded:
    one science on a mosaic tile, imprints on that tile, and backgrounds of any tile;
    imprints pruned at finalize (``spec2``).

    >>> mrs = dict(instrume="miri", detector="mirifushort", exp_type="mir_mrs", band="short", channel="12",
    ...            mostilno="1")
    >>> _, asn, _ = create(ASN_LV2_SPEC, None, _demo_row(0, **mrs))
    >>> _, asn, _ = offer(asn, _demo_row(1, bkgdtarg="t", **{**mrs, "mostilno": "2"}))
    >>> _, asn, _ = offer(asn, _demo_row(2, is_imprt="t", **mrs))
    >>> [(m.expname, m.exptype) for m in asn.products[0].members]
    [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'background'), ('jw_3_rate.fits', 'imprint')]
    >>> [create(ASN_LV2_SPEC, None, _demo_row(**{**mrs, **cells}))[0] for cells in ({"patttype": "2-point-nod"},
    ...                                                                        {"mostilno": "null"})]
    [False, False]
    """,
    "ASN_LV2_SPEC_IMPRINT": """Spectral imprint exposures, each processed as its own ``science`` (``spec2``).

    >>> ifu = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_ifu", filter="f170lp", grating="g235h",
    ...            mostilno="1")
    >>> made, asn, _ = create(ASN_LV2_SPEC_IMPRINT, None, _demo_row(is_imprt="t", **ifu))
    >>> made, asn.products[0].members[0].exptype, create(ASN_LV2_SPEC_IMPRINT, None, _demo_row(**ifu))[0]
    (True, 'science', False)
    """,
    "ASN_LV2_SPEC_SPECIAL": """Spectral backgrounds and PSFs, each processed as its own ``science``; background
    imprints on its tile join as ``imprint``, but the reference's stale check refuses the
    imprint that comes next after one has joined (``spec2``).

    >>> ifu = dict(instrume="nirspec", detector="nrs1", exp_type="nrs_ifu", filter="f170lp", grating="g235h",
    ...            mostilno="1", bkgdtarg="t")
    >>> _, asn, _ = create(ASN_LV2_SPEC_SPECIAL, None, _demo_row(0, **ifu))
    >>> _, asn, _ = offer(asn, _demo_row(1, is_imprt="t", **ifu))
    >>> [m.exptype for m in asn.products[0].members], offer(asn, _demo_row(2, is_imprt="t", **ifu))[0]
    (['science', 'imprint'], False)
    >>> create(ASN_LV2_SPEC_SPECIAL, None, _demo_row(**{**ifu, "bkgdtarg": "f"}))[0]
    False
    """,
    "ASN_LV2_SPEC_TSO": """Time-series spectroscopy, one exposure each, as ``_rateints``; not NIRCam grism
    time series with a clear pupil, BOTS on an unreachable detector or SOSS with an
    uncalibrated filter (``tso-spec2``).

    >>> soss = dict(instrume="niriss", detector="nis", exp_type="nis_soss", filter="clear", pupil="gr700xd",
    ...             subarray="substrip256", tsovisit="t")
    >>> made, asn, _ = create(ASN_LV2_SPEC_TSO, None, _demo_row(**soss))
    >>> made, asn.rule.asn_type, asn.products[0].members[0].expname
    (True, 'tso-spec2', 'jw_1_rateints.fits')
    >>> [create(ASN_LV2_SPEC_TSO, None, _demo_row(**{**soss, **cells}))[0] for cells in ({"filter": "f277w"},
    ...                                                                             {"tsovisit": "f"})]
    [False, False]
    """,
    "ASN_LV2_WFSC": """Imaging in WFS&C visits, one exposure each, with no mode check; NIRCam
    line-of-sight jitter images are left out (and Lv2Image, by its mode, takes no WFS&C
    row) (``image2``).

    >>> wfsc = dict(instrume="nircam", detector="nrca1", exp_type="nrc_image", filter="f212n", pupil="wlp8",
    ...             visitype="prime_wfsc_routine")
    >>> made, asn, _ = create(ASN_LV2_WFSC, None, _demo_row(**wfsc))
    >>> made, asn.products[0].members[0].expname, asn.products[0].name
    (True, 'jw_1_rate.fits', 'jw_1')
    >>> [create(rule, None, row)[0] for rule, row in ((ASN_LV2_WFSC, _demo_row(dms_note="wfsc_los_jitter", **wfsc)),
    ...                                                (ASN_LV2_IMAGE, _demo_row(**wfsc)))]
    [False, False]
    """,
    "ASN_LV2_WFSS_PARALLEL": """Pure-parallel WFSS, only in a ``direct_image`` candidate: one grism exposure plus
    the direct images of the same instrument, whatever their program or target id (the
    target leaf is ``000`` there) (``spec2``; every candidate type passes validity).

    >>> cand = "[('c1000', 'direct_image')]"
    >>> grism = dict(instrume="niriss", detector="nis", exp_type="nis_wfss", filter="gr150c", pupil="f150w",
    ...              asn_candidate=cand)
    >>> _, asn, _ = create(ASN_LV2_WFSS_PARALLEL, None, _demo_row(0, program="9", **grism))
    >>> direct = _demo_row(1, **{**grism, "exp_type": "nis_image", "filter": "clear", "program": "8",
    ...                         "targetid": "5"})
    >>> taken, asn, _ = offer(asn, direct)
    >>> taken, [(m.expname, m.exptype) for m in asn.products[0].members]
    (True, [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'direct_image')])
    >>> create(ASN_LV2_WFSS_PARALLEL, None, _demo_row(**{**grism, "asn_candidate": "[('o001', 'observation')]"}))[0]
    False
    """,
    "ASN_MIRLRS_TA_CONFIRM": """MIRI LRS (slit or slitless) science with its non-TSO backgrounds of the same mode
    and its TA-confirm images as ``target_acquisition`` (``spec2``). The obs_id is pinned
    by the first TA confirm, not by the science.

    >>> lrs = dict(instrume="miri", detector="mirimage", exp_type="mir_lrs-slitless", filter="p750l",
    ...            subarray="slitlessprism", obs_id="v1")
    >>> confirm = {**lrs, "exp_type": "mir_taconfirm", "filter": "f560w", "subarray": "full", "obs_id": "v2"}
    >>> _, asn, _ = create(ASN_MIRLRS_TA_CONFIRM, None, _demo_row(0, **lrs))
    >>> _, asn, _ = offer(asn, _demo_row(1, **confirm))
    >>> _, asn, _ = offer(asn, _demo_row(2, bkgdtarg="t", **lrs))
    >>> [(m.expname, m.exptype) for m in asn.products[0].members]
    [('jw_1_rate.fits', 'science'), ('jw_2_rate.fits', 'target_acquisition'), ('jw_3_rate.fits', 'background')]
    >>> offer(asn, _demo_row(3, **{**confirm, "obs_id": "v3"}))[0]
    False
    """,
}

# the examples' namespace
from asnfp.association import create, offer  # noqa: E402,F401
from asnfp.jwst.level2.base import _demo_row  # noqa: E402,F401
