"""The Level-3 rules, each one value, in the order of the reference's documentation
(``rules.md`` §3, the registry's), and :data:`RULES`: them all, sorted by name.

Every science rule is :func:`~asnfp.jwst.level3.base.science_rule` over its own
constraint; the base behaviour is in :mod:`asnfp.jwst.level3.base`.

>>> [r.name for r in RULES][:4]
['Asn_Lv3ACQ_Reprocess', 'Asn_Lv3AMI', 'Asn_Lv3Image', 'Asn_Lv3ImageBackground']

Examples, rule by rule. AMI:

>>> made, asn, _ = create(ASN_LV3_AMI, None, _demo(instrume="niriss", exp_type="nis_ami", filter="f480m",
...                                                pupil="nrm"))
>>> made, asn.products[0].name, asn.products[0].members[0].expname
(True, 'jw00001-a3001_t001_niriss_f480m-nrm', 'jw_1_calints.fits')

MIRI coronagraphy (a PSF alone names no target):

>>> row = _demo(instrume="miri", exp_type="mir_4qpm", filter="f1065c", subarray="mask1065", is_psf="t")
>>> made, asn, _ = create(ASN_LV3_MIR_CORON, None, row)
>>> made, asn.products[0].members[0].exptype, asn.products[0].name
(True, 'psf', 'jw00001-a3001_t000_miri_f1065c-mask1065')

MIRI MRS, and its backgrounds:

>>> create(ASN_LV3_MIR_MRS, None, _demo(instrume="miri", exp_type="mir_mrs", band="long"))[1].products[0].name
'jw00001-a3001_t001_miri'
>>> row = _demo(instrume="miri", exp_type="mir_mrs", bkgdtarg="t")
>>> [create(ASN_LV3_MIR_MRS_BACKGROUND, None, row)[1].products[0].members[0].exptype,
...  create(ASN_LV3_MIR_MRS_BACKGROUND, None, _demo(**{**row.cells, "bkgdtarg": "y"}))[0]]
['science', False]

NIRCam coronagraphy, and its short-wave full-frame science as imaging:

>>> row = _demo(instrume="nircam", exp_type="nrc_coron", filter="f210m", pupil="maskrnd", detector="nrca2")
>>> [create(ASN_LV3_NRC_CORON, None, _demo(**{**row.cells, "detector": d}))[0] for d in ("nrca2", "nrca1")]
[True, False]
>>> row = _demo(instrume="nircam", exp_type="nrc_coron", filter="f210m", pupil="maskrnd", channel="short",
...             detector="nrca2")
>>> made, asn, _ = create(ASN_LV3_NRC_CORON_IMAGE, None, row)
>>> made, asn.products[0].members[0].expname
(True, 'jw_1_cal.fits')

NIRSpec fixed slits, IFU and IFU backgrounds:

>>> row = _demo(instrume="nirspec", exp_type="nrs_fixedslit", filter="f290lp", grating="g395h",
...             fxd_slit="s200a1", detector="nrs1")
>>> [create(ASN_LV3_NRS_FSS, None, _demo(**{**row.cells, "fxd_slit": s}))[0] for s in ("s200a1", "s200b1")]
[True, False]
>>> row = _demo(instrume="nirspec", exp_type="nrs_ifu", filter="f170lp", grating="g235h", detector="nrs2",
...             patttype="4-point-nod")
>>> create(ASN_LV3_NRS_IFU, None, row)[1].products[0].name
'jw00001-a3001_t001_nirspec_g235h'
>>> row = _demo(instrume="nirspec", exp_type="nrs_ifu", filter="f170lp", grating="g235h", detector="nrs1",
...             bkgdtarg="t")
>>> [m.exptype for m in create(ASN_LV3_NRS_IFU_BACKGROUND, None, row)[1].products[0].members]
['science']

NIRISS SOSS neither TSO nor nodded:

>>> row = _demo(instrume="niriss", exp_type="nis_soss", filter="clear", pupil="gr700xd", subarray="substrip256")
>>> [create(ASN_LV3_SLITLESS_SPECTRAL, None, _demo(**{**row.cells, "patttype": p}))[0] for p in ("null", "none")]
[True, False]

Slit-spectroscopy backgrounds, MSA sources, nodded targets:

>>> row = _demo(instrume="nirspec", exp_type="nrs_fixedslit", filter="f100lp", grating="g140m",
...             fxd_slit="s200a2", subarray="s200a2", detector="nrs2", bkgdtarg="t")
>>> create(ASN_LV3_SPEC_AUX, None, row)[1].products[0].name
'jw00001-a3001_t001_nirspec_f100lp-g140m-s200a2-s200a2'
>>> row = _demo(instrume="nirspec", exp_type="nrs_msaspec", filter="f290lp", grating="g395m")
>>> [create(ASN_LV3_SPECTRAL_SOURCE, None, _demo(**{**row.cells, "msametfl": m}))[0] for m in ("m.fits", "null")]
[True, False]
>>> row = _demo(instrume="miri", exp_type="mir_lrs-fixedslit", filter="p750l", patttype="along-slit-nod")
>>> create(ASN_LV3_SPECTRAL_TARGET, None, row)[1].products[0].name
'jw00001-a3001_t001_miri_p750l'

Time series:

>>> row = _demo(instrume="nircam", exp_type="nrc_tsgrism", filter="f444w", pupil="grismr", detector="nrcalong",
...             subarray="subgrism64")
>>> [create(ASN_LV3_TSO, None, _demo(**{**row.cells, "pupil": p}))[0] for p in ("grismr", "clear")]
[True, False]

Wavefront-sensing pairs:

>>> row = _demo(instrume="nircam", exp_type="nrc_image", filter="f212n", pupil="wlp8", patttype="wfsc",
...             detector="nrca1", obs_id="v1", act_id="5")
>>> create(ASN_LV3_WFSCMB, None, row)[1].products[0].name
'jw00001-a3001_t001_nircam_f212n-wlp8-nrca1_{suffix}-05'

Wide-field slitless spectroscopy (MIRI, NIRISS, NIRCam):

>>> create(ASN_LV3_WFSS_MIR, None, _demo(instrume="miri", exp_type="mir_wfss", filter="p750l")
...        )[1].products[0].name
'jw00001-a3001_t001_miri_p750l'
>>> row = _demo(instrume="niriss", exp_type="nis_wfss", filter="gr150c", pupil="f140m")
>>> create(ASN_LV3_WFSS_NIS, None, row)[1].products[0].name
'jw00001-a3001_t001_niriss_f140m-gr150c'
>>> row = _demo(instrume="nircam", exp_type="nrc_wfss", filter="f356w", pupil="grismr")
>>> create(ASN_LV3_WFSS_NRC, None, row)[1].products[0].name
'jw00001-a3001_t001_nircam_f356w-grismr'
"""

from __future__ import annotations

from msgspec.structs import replace

from asnfp.constraints import Bindings, Category, all_of, any_of, lift, not_any, value_leaf
from asnfp.jwst.dms import (
    nissoss_calibrated_filter,
    nrccoron_valid_detector,
    nrsfss_valid_detector,
    nrsifu_valid_detector,
)
from asnfp.jwst.level3.base import (
    HAS_PAIR,
    HAS_PSF,
    IS_NOT_GROUP,
    IS_TYPE_OBSERVATION,
    LEVEL3,
    _negated,
    aux_exptype,
    fixedslit_background,
    ifu,
    image,
    level3_exptype,
    msa,
    optical_path,
    product_name_coronimage,
    product_name_noopt,
    product_name_nrsfs_sources,
    product_name_sources,
    product_name_wfscmb,
    product_name_wfss,
    science_rule,
    science_target,
    wfs_visit,
)
from asnfp.jwst.shared import dms, not_bkgd, not_bkgd_or_tso, not_tso, target, target_acq, tso
from asnfp.row import Row
from asnfp.rule import Rule, candidate_type_check

__all__ = (
    "ASN_LV3_ACQ_REPROCESS",
    "ASN_LV3_AMI",
    "ASN_LV3_IMAGE",
    "ASN_LV3_IMAGE_BACKGROUND",
    "ASN_LV3_IMAGE_MOSAIC",
    "ASN_LV3_MIR_CORON",
    "ASN_LV3_MIR_MRS",
    "ASN_LV3_MIR_MRS_BACKGROUND",
    "ASN_LV3_NRC_CORON",
    "ASN_LV3_NRC_CORON_IMAGE",
    "ASN_LV3_NRS_FSS",
    "ASN_LV3_NRS_IFU",
    "ASN_LV3_NRS_IFU_BACKGROUND",
    "ASN_LV3_SLITLESS_SPECTRAL",
    "ASN_LV3_SPEC_AUX",
    "ASN_LV3_SPECTRAL_SOURCE",
    "ASN_LV3_SPECTRAL_TARGET",
    "ASN_LV3_TSO",
    "ASN_LV3_WFSCMB",
    "ASN_LV3_WFSS_MIR",
    "ASN_LV3_WFSS_NIS",
    "ASN_LV3_WFSS_NRC",
    "RULES",
)


def _the_row(bindings: Bindings, row: Row) -> Row:
    return row


def _fails(expected: object, got: object) -> bool:
    return False


# A leaf that never matches: the acquisition is re-offered to every rule's associations.
_NEVER = value_leaf("force_fail", _the_row, "anything but None",
                    test=_fails, on_fail=True,
                    work_over=Category.NONSCIENCE, rules=(), label="force_fail")

#: Target acquisitions, re-offered at the lowest priority to every association of every rule (never produces).
ASN_LV3_ACQ_REPROCESS = replace(LEVEL3, name="Asn_Lv3ACQ_Reprocess", constraint=all_of(target_acq(), _NEVER))

#: NIRISS aperture-masking interferometry, science and PSFs on one optical path (``ami3``; valid once it has a PSF).
ASN_LV3_AMI = science_rule("Asn_Lv3AMI", "ami3", all_of(
    optical_path(), dms("exp_type", "exp_type", "nis_ami"), science_target(level3_exptype)),
    checks=(HAS_PSF,))

#: Non-TSO, non-background, non-WFSC imaging of one target and optical path, prime and parallel apart (``image3``).
ASN_LV3_IMAGE = science_rule("Asn_Lv3Image", "image3", all_of(
    optical_path(), target(level3_exptype), image(), wfs_visit(), not_bkgd_or_tso()))

#: Background-target imaging combined on its own, every member ``science`` (``image3``).
ASN_LV3_IMAGE_BACKGROUND = science_rule("Asn_Lv3ImageBackground", "image3", all_of(
    optical_path(), target(aux_exptype), image(), wfs_visit(),
    dms("bkgdtarg", "bkgdtarg"), not_tso()), exptype=aux_exptype)

#: Imaging of one optical path in a mosaic candidate, any target (``image3``; mosaic candidates only).
ASN_LV3_IMAGE_MOSAIC = science_rule("Asn_Lv3ImageMosaic", "image3", all_of(
    optical_path(), image(), wfs_visit(), not_bkgd_or_tso()),
    checks=(candidate_type_check("is_type_mosaic", lambda kind: kind == "mosaic"),))

#: MIRI coronagraphy (Lyot, 4QPM), science and PSFs (``coron3``; needs a PSF).
ASN_LV3_MIR_CORON = science_rule("Asn_Lv3MIRCoron", "coron3", all_of(
    optical_path(), dms("exp_type", "exp_type", "mir_lyot|mir_4qpm"),
    science_target(level3_exptype), not_bkgd(), name="asn_coron"), checks=(HAS_PSF,))

#: MIRI MRS, every channel and band of one target (``spec3``, no optical elements).
ASN_LV3_MIR_MRS = science_rule("Asn_Lv3MIRMRS", "spec3", all_of(
    target(level3_exptype), dms("exp_type", "exp_type", "mir_mrs"), not_tso()),
    product_name=product_name_noopt)

#: MIRI MRS background targets (``bkgdtarg`` exactly ``t``), combined as science.
ASN_LV3_MIR_MRS_BACKGROUND = science_rule("Asn_Lv3MIRMRSBackground", "spec3", all_of(
    target(), dms("exp_type", "exp_type", "mir_mrs"), not_tso(),
    dms("bkgdtarg", "bkgdtarg", "T")),
    exptype=aux_exptype, product_name=product_name_noopt)

#: NIRCam coronagraphy on a detector that sees the occulted target, science and PSFs (``coron3``; needs a PSF).
ASN_LV3_NRC_CORON = science_rule("Asn_Lv3NRCCoron", "coron3", all_of(
    optical_path(), dms("exp_type", "exp_type", "nrc_coron"),
    science_target(level3_exptype), not_bkgd(), lift(nrccoron_valid_detector),
    name="asn_coron"), checks=(HAS_PSF,))

_NOT_BKGD_OR_PSF = not_any(dms("bkgdtarg", "bkgdtarg", pins=False),
                           dms("is_psf", "is_psf", "T"))

#: NIRCam short-wave full-frame coronagraphic science (no PSFs, no backgrounds) processed as imaging: ``image3``,
#: ``_cal`` members, name ending in ``-image3``.
ASN_LV3_NRC_CORON_IMAGE = science_rule("Asn_Lv3NRCCoronImage", "image3", all_of(
    optical_path(), dms("exp_type", "exp_type", "nrc_coron"),
    science_target(level3_exptype), _NOT_BKGD_OR_PSF,
    dms("channel", "channel", "short"), dms("subarray", "subarray", "full")),
    product_name=product_name_coronimage, tags=frozenset({"no_coron"}))

#: NIRSpec fixed slits (with autoflats and autowaves) on a detector the slit, grating and filter reach, all nods
#: and detectors together (``spec3``).
ASN_LV3_NRS_FSS = science_rule("Asn_Lv3NRSFSS", "spec3", all_of(
    not_tso(), dms("exp_type", "exp_type", "nrs_autoflat|nrs_autowave|nrs_fixedslit", pins=False),
    lift(nrsfss_valid_detector), optical_path(), target(level3_exptype)),
    product_name=product_name_nrsfs_sources)

#: NIRSpec IFU (and autowaves) with a pattern type, on a valid detector, by grating.
ASN_LV3_NRS_IFU = science_rule("Asn_Lv3NRSIFU", "spec3", all_of(
    target(level3_exptype), dms("exp_type", "exp_type", "nrs_autowave|nrs_ifu", pins=False),
    lift(nrsifu_valid_detector), dms("patttype", "patttype"), not_tso(),
    dms("opt_elem", "grating")))

#: NIRSpec IFU background targets (``bkgdtarg`` exactly ``t``) combined as science.
ASN_LV3_NRS_IFU_BACKGROUND = science_rule("Asn_Lv3NRSIFUBackground", "spec3", all_of(
    target(aux_exptype), not_tso(), dms("bkgdtarg", "bkgdtarg", "T"),
    dms("allowed_bkgdtarg", "exp_type", "nrs_ifu"), lift(nrsifu_valid_detector),
    dms("opt_elem", "grating")), exptype=aux_exptype)

#: NIRISS SOSS that is neither TSO nor nodded (no valid ``patttype``).
ASN_LV3_SLITLESS_SPECTRAL = science_rule("Asn_Lv3SlitlessSpectral", "spec3", all_of(
    not_tso(), optical_path(), target(level3_exptype),
    dms("exp_type", "exp_type", "nis_soss", pins=False),
    not_any(dms("patttype_spectarg", "patttype")),
    not_any(dms("restricted_slitless", "exp_type", "mir_lrs-slitless"), tso())))

#: Slit-spectroscopy background targets (MIRI LRS, NIRSpec fixed slits; ``bkgdtarg`` exactly ``t``) combined as
#: science; no detector check.
ASN_LV3_SPEC_AUX = science_rule("Asn_Lv3SpecAux", "spec3", all_of(
    target(aux_exptype), not_tso(), dms("bkgdtarg", "bkgdtarg", "T"),
    dms("allowed_bkgdtarg", "exp_type", "mir_lrs-fixedslit|nrs_fixedslit"), optical_path()),
    exptype=aux_exptype)

#: NIRSpec MSA spectra with a metafile, and autoflats/autowaves (names by source).
ASN_LV3_SPECTRAL_SOURCE = science_rule("Asn_Lv3SpectralSource", "spec3", all_of(
    not_tso(), optical_path(), target(level3_exptype),
    any_of(dms("exp_type", "exp_type", "nrs_autoflat|nrs_autowave", pins=False), msa())),
    product_name=product_name_sources)

#: Nodded MIRI LRS fixed-slit and NIRISS SOSS spectra of one target; the nods become each other's backgrounds at
#: finalize (:func:`~asnfp.jwst.level3.base.fixedslit_background`).
ASN_LV3_SPECTRAL_TARGET = science_rule("Asn_Lv3SpectralTarget", "spec3", all_of(
    not_tso(), optical_path(), target(level3_exptype),
    dms("exp_type", "exp_type", "mir_lrs-fixedslit|nis_soss", pins=False),
    any_of(dms("patttype_spectarg", "patttype", "2-point-nod|4-point-nod|along-slit-nod"))),
    finalize=fixedslit_background)

_DHS_SUBARRAYS = "sub260stripe4_dhs|sub41stripe1_dhs|sub82stripe2_dhs|sub164stripe4_dhs"

#: Time series of one exposure type, but IFUs, NIRCam grism engineering and DHS modes, single-integration or
#: uncalibrated SOSS, and NIRSpec bright objects on a detector the slit misses (``tso3``; observation candidates).
ASN_LV3_TSO = science_rule("Asn_Lv3TSO", "tso3", all_of(
    target(level3_exptype), optical_path(), tso(), dms("exp_type", "exp_type"),
    not_any(ifu()),
    not_any(all_of(dms("restricted_grism", "exp_type", "nrc_tsgrism"),
                   dms("grism_clear", "pupil", "clear|gdhs0|gdhs60")),
            all_of(dms("restricted_ts", "exp_type", "nrc_tsgrism"),
                   dms("module", "detector", "nrcblong")),
            dms("subarray", "subarray", _DHS_SUBARRAYS)),
    not_any(all_of(dms("exp_type", "exp_type", "nis_soss"), dms("nints", "nints", "1")),
            all_of(dms("exp_type", "exp_type", "nis_soss"),
                   lift(_negated(nissoss_calibrated_filter)))),
    not_any(all_of(dms("exp_type", "exp_type", "nrs_brightobj"),
                   lift(_negated(nrsfss_valid_detector))))),
    checks=(IS_TYPE_OBSERVATION,))

#: Wavefront-sensing dither pairs: imaging with ``patttype`` wfsc on one detector, observation and activity, no
#: line-of-sight jitter (``wfs-image3``; needs two members, never a group candidate).
ASN_LV3_WFSCMB = science_rule("Asn_Lv3WFSCMB", "wfs-image3", all_of(
    optical_path(), target(level3_exptype), image(), dms("patttype", "patttype", "wfsc"),
    dms("detector", "detector"), dms("obs_id", "obs_id"), dms("act_id", "act_id"),
    not_any(dms("dms_note", "dms_note", "wfsc_los_jitter"))),
    checks=(HAS_PAIR, IS_NOT_GROUP), product_name=product_name_wfscmb)

#: MIRI slitless prism (``mir_wfss``) of one target.
ASN_LV3_WFSS_MIR = science_rule("Asn_Lv3WFSSMIR", "spec3", all_of(
    target(level3_exptype), dms("exp_type", "exp_type", "mir_wfss"),
    all_of(dms("opt_elem", "filter", "P750L"))),
    product_name=product_name_wfss)

#: NIRISS grism exposures of one target, grism orientation and blocking filter.
ASN_LV3_WFSS_NIS = science_rule("Asn_Lv3WFSSNIS", "spec3", all_of(
    target(level3_exptype), dms("exp_type", "exp_type", "nis_wfss"),
    all_of(dms("opt_elem", "filter", "gr150r|gr150c"), dms("opt_elem2", "pupil"))),
    product_name=product_name_wfss)

#: NIRCam grism exposures of one target, grism orientation and filter.
ASN_LV3_WFSS_NRC = science_rule("Asn_Lv3WFSSNRC", "spec3", all_of(
    target(level3_exptype), dms("exp_type", "exp_type", "nrc_wfss"),
    all_of(dms("opt_elem", "pupil", "GRISMR|GRISMC"), dms("opt_elem2", "filter"))),
    product_name=product_name_wfss)

#: The Level-3 rules, sorted by name (the catalogue's order).
RULES: tuple[Rule, ...] = tuple(sorted((
    ASN_LV3_ACQ_REPROCESS, ASN_LV3_AMI, ASN_LV3_IMAGE, ASN_LV3_IMAGE_BACKGROUND, ASN_LV3_IMAGE_MOSAIC,
    ASN_LV3_MIR_CORON, ASN_LV3_MIR_MRS, ASN_LV3_MIR_MRS_BACKGROUND, ASN_LV3_NRC_CORON, ASN_LV3_NRC_CORON_IMAGE,
    ASN_LV3_NRS_FSS, ASN_LV3_NRS_IFU, ASN_LV3_NRS_IFU_BACKGROUND, ASN_LV3_SLITLESS_SPECTRAL, ASN_LV3_SPEC_AUX,
    ASN_LV3_SPECTRAL_SOURCE, ASN_LV3_SPECTRAL_TARGET, ASN_LV3_TSO, ASN_LV3_WFSCMB, ASN_LV3_WFSS_MIR,
    ASN_LV3_WFSS_NIS, ASN_LV3_WFSS_NRC,
), key=lambda rule: rule.name))


# the doctests' namespace
from asnfp.association import create  # noqa: E402,F401
from asnfp.jwst.level3.base import _demo  # noqa: E402,F401
