"""The tools around the generator, one module each, as the reference has them: ``from_list``
(``asn_from_list``), ``edit`` (``asn_edit``), ``gather`` (``asn_gather``), ``mkpool``
(``asn_make_pool``), ``diff`` (``lib/diff.py``), ``validate`` (``load_asn``'s verdict) and
``explain`` (why a row joined or did not join each rule), and ``report`` (one HTML page
about a pool's associations).

Each has a pure core, ``add_parser`` and ``run`` for its sub-command. They use the model
(pools, rules, associations, the file encoding) and the safe writers; the model never
imports them. A submodule is imported when first named, so one tool does not load the
others:

>>> from asnfp import tools
>>> tools.validate.check(b'{"products": []}') is None
True
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ("diff", "edit", "explain", "from_list", "gather", "mkpool", "report", "validate")


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
