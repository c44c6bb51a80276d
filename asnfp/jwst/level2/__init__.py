"""Level-2b rules: one science exposure per association (``image2``, ``spec2``, ...).

The base rule :data:`LEVEL2` holds how a Level-2 association behaves (members, product
name, validity, finalize) and lives in :mod:`~asnfp.jwst.level2.base` with the shared
constraints; each concrete rule in :mod:`~asnfp.jwst.level2.rules` is
``replace(LEVEL2, name=..., constraint=...)``; the finalize hooks are in
:mod:`~asnfp.jwst.level2.finalize`.

>>> from asnfp.jwst import level2
>>> len(level2.RULES), level2.RULES[0].name, level2.RULES[-1].name
(22, 'Asn_Lv2CoronAsRate', 'Asn_MIRLRSTAConfirm')
>>> all(rule.level == level2.LEVEL2.level for rule in level2.RULES)
True
"""

from asnfp.jwst.level2 import base as _base
from asnfp.jwst.level2.base import *  # noqa: F403  (the face hands on every name of the base)
from asnfp.jwst.level2.base import (
    _without_extension as _without_extension,  # (tests read it)
)
from asnfp.jwst.level2.rules import RULES

__all__ = ("RULES", *_base.__all__)
