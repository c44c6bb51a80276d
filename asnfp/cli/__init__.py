"""The command line: ``asnfp`` and its sub-commands.

``command`` holds the parser, :func:`main` and the console script's :func:`entry`;
``generate`` the ``generate`` sub-command (and what ``batch`` shares of it); ``batch`` many
pools at once; ``process`` what a run needs of its process (one-line errors, the guarded
stdout, signals). The rest of asnfp never imports this package. Its face hands on
``main``, ``entry`` and ``build_parser``, importing ``command`` when first asked:

>>> from asnfp.cli import main
>>> main(["rules", "-k", "Lv3Image"])  # doctest: +ELLIPSIS
Asn_Lv3Image  level 3  image3
...
0
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ("build_parser", "entry", "main")


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("asnfp.cli.command"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
