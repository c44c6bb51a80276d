"""The machinery that makes generation fast, behind one seam.

The fold (:mod:`asnfp.fold`) asks a *machine* where each row goes. The plain
machine beside the fold offers every row everywhere and is the specification; the
indexed machine here (:mod:`asnfp.fast.machine`) finds the same associations with far
less work, from:

- ``routes`` and ``index``: which associations a row could join, by the values their
  rules pinned;
- ``gates``: misses proved without a check;
- ``memo``: answers remembered by what a check read, shared by every fold of a process;
- ``futile``: rules a candidate run may leave out, since finalization drops all they make;
- ``run``: what one run makes once (rules with their global leaf, gates);
- ``workers``: folds shared out among processor cores;
- ``drivers``: the reference's two drivers, on this machine.

Nothing here changes what is made: the fold-machine, law and conformance tests run both
machines and compare. The machinery imports the model only; the model never imports it.
A submodule is imported when first named:

>>> from asnfp import fast
>>> from asnfp.constraints import attr
>>> from asnfp.row import make_row
>>> from asnfp.rule import Rule, registry
>>> rules = registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])
>>> [len(a.products[0].members) for a in fast.generate(rules, [make_row(0, {"filter": "x"})])]
[1]
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ("drivers", "futile", "gates", "generate", "index", "machine", "memo", "routes", "run", "workers")

_SUBMODULES = frozenset(__all__) - {"generate"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "generate":
        return importlib.import_module(f"{__name__}.machine").generate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
