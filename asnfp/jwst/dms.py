"""JWST DMS facts: exposure-type lists, empty values, member exposure types and names.

These are facts of the observatory's data-management system as the reference encodes
them (lists in the reference's order, because some are joined into regexes).

>>> exposure_type(make_row(0, {"pntgtype": "science", "exp_type": "mir_image", "bkgdtarg": "t"}))
'background'
>>> level2a_name("jw_00001_uncal.fits", integrations=True)
'jw_00001_rateints.fits'
"""

from __future__ import annotations

import re
from typing import Final

from asnfp.errors import MissingColumn
from asnfp.row import Row, make_row  # noqa: F401  (make_row: doctests)

__all__ = (
    "EMPTY",
    "ACQ_EXP_TYPES",
    "EXPTYPE_MAP",
    "CORON_EXP_TYPES",
    "IMAGE2_SCIENCE_EXP_TYPES",
    "IMAGE2_NONSCIENCE_EXP_TYPES",
    "SPEC2_SCIENCE_EXP_TYPES",
    "TSO_EXP_TYPES",
    "LEVEL2B_EXPTYPES",
    "SPECIAL_EXPOSURE_MODIFIERS",
    "EXPOSURE_TYPE_COLUMNS",
    "valid",
    "exposure_type",
    "cell",
    "is_tso_row",
    "is_coron_row",
    "is_ami_row",
    "level2a_name",
    "level2b_name",
    "pad_program",
    "DEGRADED_OK",
    "DEGRADED_NOT_OK",
    "NRS_FSS_VALID_OPTICAL_PATHS",
    "NRS_IFU_VALID_OPTICAL_PATHS",
    "NIS_SOSS_UNCALIBRATED_FILTERS",
    "nrsfss_valid_detector",
    "nrsifu_valid_detector",
    "nrccoron_valid_detector",
    "nissoss_calibrated_filter",
)

# Values that mean "not given" to every DMS constraint (lower-cased pools leave
# "", "null", "--", "n", "f", "false", "n/a").
EMPTY: Final[frozenset[str]] = frozenset(
    ("", "NULL", "Null", "null", "--", "N", "n", "F", "f", "FALSE", "false", "False", "N/A", "n/a")
)

ACQ_EXP_TYPES: Final = (
    "mir_tacq", "mir_taconfirm", "nis_taconfirm", "nis_tacq", "nrc_taconfirm", "nrc_tacq",
    "nrs_confirm", "nrs_msata", "nrs_taconfirm", "nrs_tacq", "nrs_taslit", "nrs_verify",
    "nrs_wata",
)

EXPTYPE_MAP: Final[dict[str, str]] = {
    **dict.fromkeys(("mir_darkall", "mir_darkimg", "mir_darkmrs", "nis_dark", "nrc_dark",
                     "nrs_dark"), "dark"),
    **dict.fromkeys(("mir_flatimage", "mir_flatmrs", "mir_flatimage-ext", "mir_flatmrs-ext",
                     "nrc_flat"), "flat"),
    **dict.fromkeys(("mir_tacq", "mir_taconfirm", "nis_tacq", "nis_taconfirm", "nrc_tacq",
                     "nrc_taconfirm", "nrs_confirm", "nrs_msata", "nrs_tacq", "nrs_taconfirm",
                     "nrs_taslit", "nrs_wata"), "target_acquisition"),
    **dict.fromkeys(("nis_focus", "nis_lamp", "nrc_focus", "nrc_led", "nrs_focus", "nrs_image",
                     "nrs_lamp"), "engineering"),
    "nrs_autoflat": "autoflat",
    "nrs_autowave": "autowave",
}

CORON_EXP_TYPES: Final = ("mir_4qpm", "mir_lyot", "nrc_coron")

IMAGE2_SCIENCE_EXP_TYPES: Final = (
    "fgs_image", "mir_4qpm", "mir_image", "mir_lyot", "nis_ami", "nis_image", "nrc_coron",
    "nrc_image", "nrs_mimf", "nrc_tsimage",
)

IMAGE2_NONSCIENCE_EXP_TYPES: Final = (
    "mir_coroncal", "nis_focus", "nrc_focus", "nrs_focus", "nrs_image", *ACQ_EXP_TYPES,
)

SPEC2_SCIENCE_EXP_TYPES: Final = (
    "mir_lrs-fixedslit", "mir_lrs-slitless", "mir_mrs", "mir_wfss", "nis_soss", "nis_wfss",
    "nrc_tsgrism", "nrc_wfss", "nrs_fixedslit", "nrs_ifu", "nrs_msaspec", "nrs_brightobj",
)

TSO_EXP_TYPES: Final = ("nrc_tsimage", "nrc_tsgrism", "nrs_brightobj")

LEVEL2B_EXPTYPES: Final = frozenset(
    IMAGE2_SCIENCE_EXP_TYPES + IMAGE2_NONSCIENCE_EXP_TYPES + SPEC2_SCIENCE_EXP_TYPES
)

# Special exposures, in precedence order: (member exptype, column that flags it).
SPECIAL_EXPOSURE_MODIFIERS: Final = (("psf", "is_psf"), ("imprint", "is_imprt"),
                                     ("background", "bkgdtarg"))

#: The columns :func:`exposure_type` reads.
EXPOSURE_TYPE_COLUMNS: Final = ("pntgtype", "exp_type", *(column for _, column in SPECIAL_EXPOSURE_MODIFIERS))

DEGRADED_OK: Final = "No known degraded exposures in association."
DEGRADED_NOT_OK: Final = (
    "One or more members have an error associated with them."
    "\nDetails can be found in the member.exposerr attribute."
)


def valid(row: Row, column: str) -> str | None:
    """Return the row's value of ``column`` unless it is absent or empty (``EMPTY``).

    >>> valid(make_row(0, {"bkgdtarg": "f"}), "bkgdtarg") is None, valid(make_row(0, {"a": "t"}), "a")
    (True, 't')
    """
    value = row.cells.get(column)
    return None if value is None or value in EMPTY else value


def cell(row: Row, column: str) -> str:
    """Return the row's raw cell, or fail with a one-line error naming the column.

    >>> cell(make_row(4, {}), "pntgtype")
    Traceback (most recent call last):
    asnfp.errors.MissingColumn: row 5: no column 'pntgtype'
    """
    value = row.cells.get(column)
    if value is None:
        raise MissingColumn(column, row.index)
    return value


def exposure_type(row: Row) -> str:
    """Return a row's member exposure type, as the DMS base rules compute it.

    A valid ``pntgtype`` other than ``science`` is returned as it is; else the exp_type
    decides (``dark``, ``flat``, ``target_acquisition``, ...), and science rows are
    refined by ``is_psf``, ``is_imprt`` and ``bkgdtarg``, in that order.

    >>> exposure_type(make_row(0, {"pntgtype": "target_acquisition", "exp_type": "nrc_tacq"}))
    'target_acquisition'
    >>> exposure_type(make_row(0, {"exp_type": "nrc_image", "is_psf": "t"}))
    'psf'
    """
    get = row.cells.get  # (valid(), written out: this runs for every member and many checks)
    pointing = get("pntgtype")
    if pointing is not None and pointing not in EMPTY and pointing != "science":
        return pointing
    exp_type = get("exp_type")
    if exp_type is None or exp_type in EMPTY:
        raise MissingColumn("exp_type", row.index, "exposure type cannot be determined")
    result = EXPTYPE_MAP.get(exp_type, "science")
    if result != "science":
        return result
    for special, column in SPECIAL_EXPOSURE_MODIFIERS:
        value = get(column)
        if value is not None and value not in EMPTY:
            return special
    return result


def _science_pointing(row: Row) -> bool:
    return cell(row, "pntgtype") == "science" and cell(row, "exp_type") not in ACQ_EXP_TYPES


def is_tso_row(row: Row, pinned_tso: bool = False) -> bool:
    """Tell whether a row is a time-series exposure (for the ``ints`` file suffix).

    ``pinned_tso`` is whether the association's ``is_tso`` leaf is pinned to ``t``.

    >>> is_tso_row(make_row(0, {"pntgtype": "science", "exp_type": "nrc_tsimage"}))
    True
    """
    if not _science_pointing(row):
        return False
    return pinned_tso or valid(row, "tsovisit") == "t" or valid(row, "exp_type") in TSO_EXP_TYPES


def is_coron_row(row: Row) -> bool:
    """Tell whether a row is coronagraphic (full-frame NIRCam without the occulter is not).

    >>> is_coron_row(make_row(0, {"pntgtype": "science", "exp_type": "mir_lyot"}))
    True
    """
    if not _science_pointing(row):
        return False
    if valid(row, "exp_type") not in CORON_EXP_TYPES:
        return False
    if row["exp_type"] == "nrc_coron" and cell(row, "subarray") == "full":
        pupil, detector = cell(row, "pupil"), cell(row, "detector")
        if pupil == "maskbar" and detector in ("nrca1", "nrca2", "nrca3"):
            return False
        if pupil == "maskrnd" and detector in ("nrca1", "nrca3", "nrca4"):
            return False
    return True


def is_ami_row(row: Row) -> bool:
    """Tell whether a row is NIRISS aperture-masking interferometry.

    >>> is_ami_row(make_row(0, {"pntgtype": "science", "exp_type": "nis_ami"}))
    True
    """
    return _science_pointing(row) and valid(row, "exp_type") == "nis_ami"


_LEVEL1B: Final = re.compile(r"(?P<path>.+)(?P<type>_uncal)(?P<extension>\..+)")


def _renamed(filename: str, suffix: str) -> str:
    match = _LEVEL1B.match(filename)
    if match is None:
        return filename
    return f"{match.group('path')}_{suffix}{match.group('extension')}"


def level2a_name(filename: str, *, integrations: bool = False) -> str:
    """Return the Level-2a (``rate``/``rateints``) name of an ``_uncal`` file; other
    names are kept as they are.

    >>> level2a_name("jw_00001_uncal.fits"), level2a_name("odd.fits")
    ('jw_00001_rate.fits', 'odd.fits')
    """
    return _renamed(filename, "rateints" if integrations else "rate")


def level2b_name(filename: str, exp_type: str, member_exptype: str, *,
                 integrations: bool = False) -> str:
    """Return the Level-2b name a Level-3 member reads: ``x1d`` for backgrounds, ``cal``
    for the Level-2b exposure types, else ``rate``; ``ints`` for integrations.

    >>> level2b_name("a_uncal.fits", "mir_image", "science"), level2b_name("a_uncal.fits", "nrs_lamp", "science")
    ('a_cal.fits', 'a_rate.fits')
    """
    suffix = "x1d" if member_exptype == "background" else ("cal" if exp_type in LEVEL2B_EXPTYPES else "rate")
    return _renamed(filename, suffix + ("ints" if integrations else ""))


def pad_program(program: str) -> str:
    """Left-pad a program id with zeros to five characters.

    >>> pad_program("9"), pad_program("123456")
    ('00009', '123456')
    """
    return f"{program:0>5s}"


# --------------------------------------------------------------------------- optical-path validity

# NIRSpec fixed-slit science: (slit, grating, filter, detector) that put light on the
# detector; every slit but s200b1 is folded into "a".
NRS_FSS_VALID_OPTICAL_PATHS: Final[frozenset[tuple[str, str, str, str]]] = frozenset(
    [("a", grating, filt, det) for grating, filt, dets in (
        ("prism", "clear", ("nrs1",)),
        ("g395h", "f290lp", ("nrs1", "nrs2")),
        ("g235h", "f170lp", ("nrs1", "nrs2")),
        ("g140h", "f100lp", ("nrs1", "nrs2")),
        ("g140h", "f070lp", ("nrs1",)),
        ("g395m", "f290lp", ("nrs1",)),
        ("g235m", "f170lp", ("nrs1",)),
        ("g140m", "f100lp", ("nrs1",)),
        ("g140m", "f070lp", ("nrs1",)),
    ) for det in dets]
    + [("s200b1", grating, filt, det) for grating, filt, dets in (
        ("prism", "clear", ("nrs2",)),
        ("g395h", "f290lp", ("nrs2",)),
        ("g235h", "f170lp", ("nrs2",)),
        ("g140h", "f100lp", ("nrs2",)),
        ("g140h", "f070lp", ("nrs1", "nrs2")),
        ("g395m", "f290lp", ("nrs2",)),
        ("g235m", "f170lp", ("nrs2",)),
        ("g140m", "f100lp", ("nrs2",)),
        ("g140m", "f070lp", ("nrs1", "nrs2")),
    ) for det in dets]
)

# NIRSpec IFU science: (grating, filter, detector) that put light on the detector (only
# the high-resolution long-wave settings and g140h/f100lp reach nrs2).
NRS_IFU_VALID_OPTICAL_PATHS: Final[frozenset[tuple[str, str, str]]] = frozenset(
    (grating, filt, det) for grating, filt, dets in (
        ("prism", "clear", ("nrs1",)),
        ("g140m", "f070lp", ("nrs1",)),
        ("g140m", "f100lp", ("nrs1",)),
        ("g235m", "f170lp", ("nrs1",)),
        ("g395m", "f290lp", ("nrs1",)),
        ("g140h", "f070lp", ("nrs1",)),
        ("g140h", "f100lp", ("nrs1", "nrs2")),
        ("g235h", "f170lp", ("nrs1", "nrs2")),
        ("g395h", "f290lp", ("nrs1", "nrs2")),
    ) for det in dets
)

# NIRISS SOSS filters that are not calibrated beyond Level 2a.
NIS_SOSS_UNCALIBRATED_FILTERS: Final = ("f277w",)

# NIRCam full-frame coronagraphic detectors that do not see the occulted target.
_NRC_CORON_UNOCCULTED: Final = {"maskbar": ("nrca1", "nrca2", "nrca3"),
                                "maskrnd": ("nrca1", "nrca3", "nrca4")}


def _required_exp_type(row: Row) -> str:
    exp_type = valid(row, "exp_type")
    if exp_type is None:
        raise MissingColumn("exp_type", row.index, "exposure type cannot be determined")
    return exp_type


def nrsfss_valid_detector(row: Row) -> bool:
    """Tell whether a fixed-slit row's slit, grating and filter put light on its detector
    (``False`` when any of detector, filter, grating, fxd_slit is missing).

    >>> fs = {"detector": "nrs2", "filter": "f290lp", "grating": "g395m"}
    >>> [nrsfss_valid_detector(make_row(0, {**fs, "fxd_slit": s})) for s in ("s200a1", "s200b1")]
    [False, True]
    """
    values = [valid(row, column) for column in ("fxd_slit", "grating", "filter", "detector")]
    if None in values:
        return False
    slit, grating, filt, detector = values
    return ("s200b1" if slit == "s200b1" else "a", grating, filt, detector) in NRS_FSS_VALID_OPTICAL_PATHS


def nrsifu_valid_detector(row: Row) -> bool:
    """Tell whether an IFU row's grating and filter put light on its detector; rows that
    are not ``nrs_ifu`` are valid (an exposure type is needed).

    >>> ifu = {"exp_type": "nrs_ifu", "grating": "g140m", "filter": "f100lp"}
    >>> [nrsifu_valid_detector(make_row(0, {**ifu, "detector": d})) for d in ("nrs1", "nrs2")]
    [True, False]
    >>> nrsifu_valid_detector(make_row(0, {"exp_type": "nrs_fixedslit"}))
    True
    """
    if _required_exp_type(row) != "nrs_ifu":
        return True
    values = [valid(row, column) for column in ("grating", "filter", "detector")]
    return None not in values and tuple(values) in NRS_IFU_VALID_OPTICAL_PATHS


def nrccoron_valid_detector(row: Row) -> bool:
    """Tell whether a NIRCam coronagraphic row's detector sees the occulted target (only
    full frame can miss it; ``False`` when detector, subarray or pupil is missing).

    >>> full = {"subarray": "full", "pupil": "maskrnd"}
    >>> [nrccoron_valid_detector(make_row(0, {**full, "detector": d})) for d in ("nrca2", "nrca1")]
    [True, False]
    """
    detector, subarray, pupil = (valid(row, c) for c in ("detector", "subarray", "pupil"))
    if detector is None or subarray is None or pupil is None:
        return False
    return subarray != "full" or detector not in _NRC_CORON_UNOCCULTED.get(pupil, ())


def nissoss_calibrated_filter(row: Row) -> bool:
    """Tell whether a SOSS row's filter is calibrated; rows that are not ``nis_soss`` are
    (an exposure type is needed), SOSS rows without a filter are not.

    >>> [nissoss_calibrated_filter(make_row(0, {"exp_type": "nis_soss", "filter": f}))
    ...  for f in ("clear", "f277w", "null")]
    [True, False, False]
    """
    if _required_exp_type(row) != "nis_soss":
        return True
    filt = valid(row, "filter")
    return filt is not None and filt not in NIS_SOSS_UNCALIBRATED_FILTERS
