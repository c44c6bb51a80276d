"""asnfp as a service (``asnfp serve``; the extra ``asnfp[serve]``): typed HTTP on
msgspec, a thin edge over the library's public calls.

- :mod:`~asnfp.serve.schema`: what the service reads and answers;
- :mod:`~asnfp.serve.work`: each endpoint's work, plain functions of typed values;
- :mod:`~asnfp.serve.problems`: every refusal as an RFC 9457 problem document;
- :mod:`~asnfp.serve.settings`: the limits of a request;
- :mod:`~asnfp.serve.app`: the Litestar application;
- :mod:`~asnfp.serve.server`: the server (uvicorn) and its workers.

>>> from asnfp.serve.settings import Settings
>>> Settings().time_limit
30.0
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ("app", "problems", "schema", "server", "settings", "work")


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
