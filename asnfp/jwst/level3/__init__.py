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
>>> from asnfp.constraints import all_of
>>> mine = science_rule("Asn_Mine", "image3", all_of(optical_path(), image()))
>>> mine.level, mine.product_name is product_name
(3, True)
"""

from asnfp.jwst.level3 import base as _base
from asnfp.jwst.level3.base import *  # noqa: F403  (the face hands on every name of the base)
from asnfp.jwst.level3.rules import RULES

__all__ = ("RULES", *_base.__all__)
