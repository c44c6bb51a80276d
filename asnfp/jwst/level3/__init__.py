"""Level-3 rules: exposures combined into one product (``image3``, ``spec3``, ...).

The base behaviour every Level-3 rule shares (exposure types, constraints, product
names, hooks, :data:`LEVEL3` and :func:`science_rule`) is in
:mod:`asnfp.jwst.level3.base`; the rules, one value each, are in
:mod:`asnfp.jwst.level3.rules`. Every science rule wraps its own constraint ``R`` in
:func:`science`: same program and instrument, no imprints, and either ``R`` (collecting
the observation numbers) or a target acquisition of an observation the association
already holds.

>>> [r.name for r in RULES][:4]
['Asn_Lv3ACQ_Reprocess', 'Asn_Lv3AMI', 'Asn_Lv3Image', 'Asn_Lv3ImageBackground']
>>> sorted({r.asn_type for r in RULES})
['ami3', 'coron3', 'image3', 'spec3', 'tso3', 'wfs-image3']
>>> mine = science_rule("Asn_Mine", "image3", all_of(optical_path(), image()))
>>> mine.level, mine.product_name is product_name
(3, True)
"""

from asnfp.jwst.level3.base import (
    HAS_PAIR,
    HAS_PSF,
    IS_NOT_GROUP,
    IS_TYPE_OBSERVATION,
    LEVEL3,
    MULTI_OBS_AC_TYPES,
    aux_exptype,
    fill,
    fixedslit_background,
    ifu,
    image,
    level3_exptype,
    msa,
    name_parts,
    opt_element,
    optical_path,
    product_name,
    product_name_coronimage,
    product_name_noopt,
    product_name_nrsfs_sources,
    product_name_sources,
    product_name_wfscmb,
    product_name_wfss,
    science,
    science_finalize,
    science_rule,
    science_target,
    slit_name,
    subarray,
    target_name,
    wfs_visit,
)
from asnfp.jwst.level3.rules import RULES

__all__ = (
    "LEVEL3",
    "RULES",
    "science",
    "optical_path",
    "image",
    "wfs_visit",
    "aux_exptype",
    "product_name",
    "opt_element",
    "MULTI_OBS_AC_TYPES",
    "science_target",
    "ifu",
    "msa",
    "fill",
    "product_name_noopt",
    "product_name_sources",
    "product_name_nrsfs_sources",
    "product_name_coronimage",
    "product_name_wfss",
    "product_name_wfscmb",
    "HAS_PSF",
    "IS_TYPE_OBSERVATION",
    "HAS_PAIR",
    "IS_NOT_GROUP",
    "fixedslit_background",
    "science_rule",
    "name_parts",
    # also used by other modules (Level 2's finalization, the rules)
    "level3_exptype",
    "science_finalize",
    "slit_name",
    "subarray",
    "target_name",
)

# the doctests' namespace
from asnfp.constraints import all_of  # noqa: F401
