"""The JWST association rules as data, and the registry that runs them: the catalogue
(:mod:`asnfp.jwst.catalogue`) and one-line rules derived from it (:mod:`asnfp.jwst.custom`).

>>> len(RULES), RULES[0].name, RULES[-1].name
(44, 'Asn_Lv2CoronAsRate', 'Asn_Lv3WFSSNRC')
"""

from asnfp.jwst.catalogue import (
    REQUIRED_COLUMNS,
    RULES,
    creation_numbers,
    default_registry,
)
from asnfp.jwst.custom import catalogue_rule, rule

__all__ = ("RULES", "REQUIRED_COLUMNS", "default_registry", "creation_numbers", "rule", "catalogue_rule")
