"""asnfp: JWST associations as a fold over pool rows, with rules written as data.

The vocabulary of constraints is importable from here, and applies to a plain ``dict``
as well as to a pool row:

>>> from asnfp import all_of, any_of, attr, holds
>>> short_wave = all_of(attr("instrument", "instrume", "nircam"), any_of(attr("det", "detector", "nrc[ab][1-4]")))
>>> holds(short_wave, {"instrume": "NIRCam", "detector": "NRCA1"}), holds(short_wave, {"instrume": "nircam", "detector": "nrcalong"})
(True, False)
"""

__version__ = "0.1.0"

from asnfp.api import associations, read_pool, rule_name, to_bytes  # noqa: E402
from asnfp.constraints import (  # noqa: E402
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
from asnfp.rule import Registry, Rule, registry, replace  # noqa: E402

__all__ = (
    "__version__",
    "read_pool",
    "associations",
    "to_bytes",
    "rule_name",
    "all_of",
    "any_of",
    "not_any",
    "not_all",
    "attr",
    "value_leaf",
    "lift",
    "always",
    "check",
    "holds",
    "found_values",
    "NO_BINDINGS",
    "Match",
    "Miss",
    "Rule",
    "Registry",
    "registry",
    "replace",
)
