"""A user rule file for ``asnfp generate -r``: NIRCam short-wave images, one Level-3
product per target, filter and module (A or B).

    asnfp generate examples/jw01234_imaging_pool.csv -r examples/nircam_short_by_module.py \\
        --ignore-default -p out

A rule is a value: the JWST Level-3 behaviour (``LEVEL3``) with our own constraint and
product name. ``load_rules`` takes every ``Rule`` this file binds at its top level.
"""

from asnfp.constraints import all_of, found_values, value_leaf
from asnfp.jwst.level3 import LEVEL3, product_name, science
from asnfp.jwst.shared import dms, target
from asnfp.rule import replace


def module_of(bindings, row):
    """The NIRCam module of a short-wave detector: ``a`` for nrca1-4, ``b`` for nrcb1-4."""
    return row["detector"][3:4]


def by_module_name(asn):
    """The usual Level-3 product name, then the module: ``..._nircam_f150w-moda``."""
    module = "".join(found_values(asn.bindings, asn.rule.constraint, "module"))
    return f"{product_name(asn)}-mod{module}"


NRC_SHORT_BY_MODULE = replace(
    LEVEL3,
    name="Asn_NRCShortByModule",
    asn_type="image3",
    product_name=by_module_name,
    constraint=science(all_of(
        dms("exp_type", "exp_type", "nrc_image"),
        dms("channel", "channel", "short"),
        dms("opt_elem", "filter"),
        target(),
        value_leaf("module", module_of),
    )),
)
