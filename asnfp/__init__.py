"""asnfp: JWST associations as a fold over pool rows, with rules written as data.

The vocabulary of constraints is importable from here, and applies to a plain ``dict``
as well as to a pool row:

>>> from asnfp import all_of, any_of, attr, holds
>>> short_wave = all_of(attr("instrument", "instrume", "nircam"), any_of(attr("det", "detector", "nrc[ab][1-4]")))
>>> (holds(short_wave, {"instrume": "NIRCam", "detector": "NRCA1"}),
...  holds(short_wave, {"instrume": "nircam", "detector": "nrcalong"}))
(True, False)
"""

from asnfp.api import Generated, associations, generate, read_pool, rule_name, to_bytes
from asnfp.association import Association
from asnfp.constraints import (
    NO_BINDINGS,
    Match,
    Miss,
    all_of,
    always,
    any_of,
    attr,
    check,
    found_values,
    holds,
    lift,
    not_all,
    not_any,
    value_leaf,
)
from asnfp.io import LoadedAsn, load_asn
from asnfp.rule import Registry, Rule, registry, replace
from asnfp.version import __version__

__all__ = (
    "Association",
    "Generated",
    "LoadedAsn",
    "NO_BINDINGS",
    "Match",
    "Miss",
    "Registry",
    "Rule",
    "__version__",
    "all_of",
    "always",
    "any_of",
    "associations",
    "attr",
    "check",
    "found_values",
    "generate",
    "holds",
    "lift",
    "load_asn",
    "not_all",
    "not_any",
    "read_pool",
    "registry",
    "replace",
    "rule_name",
    "to_bytes",
    "value_leaf",
)
