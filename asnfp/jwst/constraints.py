"""The JWST building blocks, with names a reader understands: what a row *is* (``is_image``,
``is_tso``, ``is_background``...) and what the rows of one association *share*
(``same_target``, ``same_optical_path``...).

Each is a function that returns a fresh constraint (a leaf keeps its state per
association, so two uses need two calls), to combine with ``all_of``, ``any_of``,
``not_any`` and ``not_all``. They read pool columns as the catalogue's rules do: the DMS
empty values (``null``, ``none``, ``f``...) mean "absent", and a ``same_*`` block pins
the first value it meets, so that later rows must show the same.

>>> from asnfp.constraints import all_of, holds
>>> nircam_images = all_of(is_image(), is_instrument("nircam"), not_any(is_tso()))
>>> holds(nircam_images, {"exp_type": "nrc_image", "instrume": "nircam", "pntgtype": "science"})
True
>>> holds(nircam_images, {"exp_type": "nrc_image", "instrume": "nircam", "pntgtype": "science",
...                       "tsovisit": "t"})
False

A constraint's tree (:meth:`~asnfp.constraints.Constraint.describe`) shows each block as
the call that made it:

>>> print(nircam_images.describe())
all_of
  is_image()
  is_instrument('nircam')
  not_any
    is_tso()
"""

from __future__ import annotations

from asnfp.constraints import AttrLeaf, Bindings, Node, ValueLeaf, made_by, not_any, value_leaf  # noqa: F401  (not_any: doctests)
from asnfp.jwst import level3, shared
from asnfp.jwst.dms import (
    EXPOSURE_TYPE_COLUMNS,
    exposure_type,
    is_ami_row,
    is_coron_row,
)
from asnfp.jwst.shared import dms
from asnfp.row import Row

__all__ = (
    "exp_type_is",
    "is_image",
    "is_ifu",
    "is_msa",
    "is_tso",
    "is_background",
    "is_science",
    "is_target_acquisition",
    "is_coronagraphy",
    "is_ami",
    "is_wfsc",
    "is_instrument",
    "same_program",
    "same_instrument",
    "same_target",
    "same_optical_path",
    "same_filter",
    "same_slit",
    "same_exp_type",
    "same_observation",
    "same_detector",
)


def exp_type_is(pattern: str) -> AttrLeaf:
    """The exposure type matches ``pattern`` (a regex, anchored at both ends as the
    reference anchors it), pinned: later rows must have the first row's type.

    >>> from asnfp.constraints import holds
    >>> [holds(exp_type_is("nrs_fixedslit|nrs_brightobj"), {"exp_type": e}) for e in ("nrs_brightobj", "nrs_ifu")]
    [True, False]
    """
    return made_by(dms("exp_type", "exp_type", pattern), "exp_type_is", pattern)


def is_image() -> AttrLeaf:
    """An imaging exposure: ``nrc_image``, ``mir_image``, ``nis_image``, ``fgs_image`` or
    ``nrs_mimf`` (pinned).

    >>> from asnfp.constraints import holds
    >>> [holds(is_image(), {"exp_type": e}) for e in ("mir_image", "nrc_tacq", "mir_lrs-fixedslit")]
    [True, False, False]
    """
    return made_by(level3.image(), "is_image")


def is_ifu() -> AttrLeaf:
    """An integral-field spectroscopy exposure (``mir_mrs``, ``nrs_ifu``).

    >>> from asnfp.constraints import holds
    >>> [holds(is_ifu(), {"exp_type": e}) for e in ("nrs_ifu", "mir_mrs", "nrs_msaspec")]
    [True, True, False]
    """
    return made_by(level3.ifu(), "is_ifu")


def is_msa() -> Node:
    """A NIRSpec multi-object (micro-shutter) spectroscopy exposure, with its shutter
    configuration file (``msametfl``).

    >>> from asnfp.constraints import holds
    >>> [holds(is_msa(), {"exp_type": e, "msametfl": m})
    ...  for e, m in (("nrs_msaspec", "jw_msa.fits"), ("nrs_msaspec", "null"), ("nrs_fixedslit", "null"))]
    [True, False, False]
    """
    return made_by(level3.msa(), "is_msa")


def is_tso() -> Node:
    """A time-series science exposure: ``tsovisit`` set, or a TSO exposure type.

    >>> from asnfp.constraints import holds
    >>> [holds(is_tso(), {"pntgtype": "science", **more}) for more in ({"tsovisit": "t"}, {"exp_type": "nrc_tsimage"},
    ...                                                               {"exp_type": "nrc_image"})]
    [True, True, False]
    """
    return made_by(shared.tso(), "is_tso")


def is_background() -> AttrLeaf:
    """A background exposure (``bkgdtarg`` set).

    >>> from asnfp.constraints import holds
    >>> [holds(is_background(), {"bkgdtarg": b}) for b in ("t", "f", "null")]
    [True, False, False]
    """
    return made_by(dms("bkgdtarg", "bkgdtarg", pins=False), "is_background")


def _exposure_type(bindings: Bindings, row: Row) -> str:
    return exposure_type(row)


def _exposure_type_is(kind: str) -> ValueLeaf:
    return value_leaf(f"is_{kind}", _exposure_type, kind, pins=False,
                      label=f"exposure type == {kind!r}", columns=EXPOSURE_TYPE_COLUMNS)


def is_science() -> ValueLeaf:
    """A science exposure, by the DMS exposure type the rules read (not a background,
    PSF, imprint, acquisition or calibration exposure).

    >>> from asnfp.constraints import holds
    >>> [holds(is_science(), {"exp_type": "nrc_image", **more}) for more in ({}, {"is_psf": "t"}, {"bkgdtarg": "t"})]
    [True, False, False]
    """
    return made_by(_exposure_type_is("science"), "is_science")


def is_target_acquisition() -> ValueLeaf:
    """A target acquisition, by the DMS exposure type (``*_tacq``, ``*_taconfirm``...).

    >>> from asnfp.constraints import holds
    >>> [holds(is_target_acquisition(), {"exp_type": e}) for e in ("nrc_tacq", "nrc_image")]
    [True, False]
    """
    return made_by(shared.target_acq(), "is_target_acquisition")


def is_coronagraphy() -> ValueLeaf:
    """A coronagraphic science exposure (NIRCam coronagraphy, MIRI Lyot or 4QPM), but not
    a full-frame NIRCam exposure on a detector the occulter does not cover.

    >>> from asnfp.constraints import holds
    >>> row = {"pntgtype": "science", "subarray": "sub320a335r"}
    >>> [holds(is_coronagraphy(), {**row, "exp_type": e}) for e in ("nrc_coron", "mir_lyot", "mir_image")]
    [True, True, False]
    """
    return made_by(value_leaf("is_coronagraphy", _coronagraphic, True, pins=False, label="is_coronagraphy"),
                   "is_coronagraphy")


def _coronagraphic(bindings: Bindings, row: Row) -> bool:
    return is_coron_row(row)


def is_ami() -> ValueLeaf:
    """A NIRISS aperture-masking interferometry exposure.

    >>> from asnfp.constraints import holds
    >>> [holds(is_ami(), {"exp_type": e, "pntgtype": "science"}) for e in ("nis_ami", "nis_image")]
    [True, False]
    """
    return made_by(value_leaf("is_ami", _ami, True, pins=False, label="is_ami"), "is_ami")


def _ami(bindings: Bindings, row: Row) -> bool:
    return is_ami_row(row)


def is_wfsc() -> Node:
    """Part of a wavefront-sensing-and-control visit (``visitype`` has ``wfsc`` inside).

    >>> from asnfp.constraints import holds
    >>> [holds(is_wfsc(), {"visitype": v}) for v in ("prime_wfsc_sensing_only", "prime_targeted_fixed")]
    [True, False]
    """
    return made_by(shared.wfsc(), "is_wfsc")


def is_instrument(name: str) -> AttrLeaf:
    """The instrument is ``name`` (``nircam``, ``miri``, ``nirspec``, ``niriss``, ``fgs``).

    >>> from asnfp.constraints import holds
    >>> [holds(is_instrument("miri"), {"instrume": i}) for i in ("miri", "nircam")]
    [True, False]
    """
    return made_by(dms("instrument", "instrume", name), "is_instrument", name)


def same_program() -> AttrLeaf:
    """Every row has the first row's program.

    >>> from asnfp.constraints import check, holds
    >>> c = same_program()
    >>> b = check(c, {"program": "1234"}).bindings
    >>> [holds(c, {"program": p}, b) for p in ("1234", "4321")]
    [True, False]
    """
    return made_by(dms("program", "program"), "same_program")


def same_instrument() -> AttrLeaf:
    """Every row has the first row's instrument (named ``instrument``, as product names
    read it).

    >>> from asnfp.constraints import check, holds
    >>> c = same_instrument()
    >>> b = check(c, {"instrume": "miri"}).bindings
    >>> [holds(c, {"instrume": i}, b) for i in ("miri", "nircam")]
    [True, False]
    """
    return made_by(dms("instrument", "instrume"), "same_instrument")


def same_target() -> Node:
    """Every row has the first row's target (``targetid``); inside a direct-image
    candidate the target is ``000``. Named ``target``, as product names read it.

    >>> from asnfp.constraints import check, holds
    >>> c = same_target()
    >>> b = check(c, {"targetid": "1"}).bindings
    >>> [holds(c, {"targetid": t}, b) for t in ("1", "2")]
    [True, False]
    """
    return made_by(shared.target(), "same_target")


def same_optical_path() -> Node:
    """Every row has the first row's filter, pupil or grating, fixed slit (``s200a1`` and
    ``s200a2`` may mix) and subarray: the optical elements product names show.

    >>> from asnfp.constraints import check, holds
    >>> c = same_optical_path()
    >>> b = check(c, {"filter": "f150w", "pupil": "clear", "subarray": "full"}).bindings
    >>> [holds(c, {"filter": f, "pupil": "clear", "subarray": "full"}, b) for f in ("f150w", "f200w")]
    [True, False]
    """
    return made_by(level3.optical_path(), "same_optical_path")


def same_filter() -> AttrLeaf:
    """Every row has the first row's filter, whatever its pupil or grating (named
    ``filter``, so a product-name template can show it as ``{filter}``).

    >>> from asnfp.constraints import check, holds
    >>> c = same_filter()
    >>> b = check(c, {"filter": "f150w", "pupil": "clear"}).bindings
    >>> [holds(c, {"filter": f, "pupil": "f164n"}, b) for f in ("f150w", "f200w")]
    [True, False]
    """
    return made_by(dms("filter", "filter"), "same_filter")


def same_slit() -> AttrLeaf:
    """Every row has the first row's fixed slit, exactly: unlike
    :func:`same_optical_path`, ``s200a1`` and ``s200a2`` do not mix (named ``slit``,
    shown by ``{slit}`` in a product-name template).

    >>> from asnfp.constraints import check, holds
    >>> c = same_slit()
    >>> b = check(c, {"fxd_slit": "s200a1"}).bindings
    >>> [holds(c, {"fxd_slit": s}, b) for s in ("s200a1", "s200a2")]
    [True, False]
    """
    return made_by(dms("slit", "fxd_slit"), "same_slit")


def same_exp_type() -> AttrLeaf:
    """Every row has the first row's exposure type.

    >>> from asnfp.constraints import check, holds
    >>> c = same_exp_type()
    >>> b = check(c, {"exp_type": "nrs_ifu"}).bindings
    >>> [holds(c, {"exp_type": e}, b) for e in ("nrs_ifu", "nrs_msaspec")]
    [True, False]
    """
    return made_by(dms("exp_type", "exp_type"), "same_exp_type")


def same_observation() -> AttrLeaf:
    """Every row has the first row's observation number (``obs_num``).

    >>> from asnfp.constraints import check, holds
    >>> c = same_observation()
    >>> b = check(c, {"obs_num": "3"}).bindings
    >>> [holds(c, {"obs_num": n}, b) for n in ("3", "4")]
    [True, False]
    """
    return made_by(dms("obs_num", "obs_num"), "same_observation")


def same_detector() -> AttrLeaf:
    """Every row has the first row's detector.

    >>> from asnfp.constraints import check, holds
    >>> c = same_detector()
    >>> b = check(c, {"detector": "nrca1"}).bindings
    >>> [holds(c, {"detector": d}, b) for d in ("nrca1", "nrcb1")]
    [True, False]
    """
    return made_by(dms("detector", "detector"), "same_detector")

