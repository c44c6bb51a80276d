"""The service's limits: what one request may ask of it. Each is a setting with a
default, read from an environment variable (``asnfp serve`` sets them from its flags, so
that every worker process reads the same).

>>> Settings().max_rows, Settings.from_env({"ASNFP_SERVE_MAX_ROWS": "500"}).max_rows
(20000, 500)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

import msgspec

from asnfp.errors import UsageError

__all__ = ("Settings", "VARIABLES")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """The limits of a request and of the work it starts.

    - ``max_body_bytes``: the largest body read (a larger one is refused, 413);
    - ``max_rows``: the most rows a pool may have (``generate``, ``explain``; 413);
    - ``max_files``: the most files one ``validate`` batch may hold (413);
    - ``time_limit``: the seconds a generation may run, waiting included (422 when over;
      checked as each fold ends);
    - ``threads``: the generations one worker process runs at once, off its event loop
      (more wait their turn).
    """

    max_body_bytes: int = 32 << 20
    max_rows: int = 20_000
    max_files: int = 10_000
    time_limit: float = 30.0
    threads: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment gives (:data:`VARIABLES`), the defaults for the rest.

        >>> Settings.from_env({"ASNFP_SERVE_TIME_LIMIT": "2.5"}).time_limit
        2.5
        >>> Settings.from_env({"ASNFP_SERVE_THREADS": "0"})
        Traceback (most recent call last):
          ...
        asnfp.errors.UsageError: ASNFP_SERVE_THREADS='0': must be a number above 0
        """
        env = os.environ if env is None else env
        given = {field: _positive(variable, env[variable], float if field == "time_limit" else int)
                 for field, variable in VARIABLES.items() if variable in env}
        return msgspec.structs.replace(cls(), **given)

    def to_env(self) -> dict[str, str]:
        """The environment variables that give these settings (for worker processes).

        >>> Settings.from_env(Settings(max_rows=7).to_env()).max_rows
        7
        """
        return {variable: str(getattr(self, field)) for field, variable in VARIABLES.items()}


#: Each setting's environment variable.
VARIABLES: Final = {
    "max_body_bytes": "ASNFP_SERVE_MAX_BODY_BYTES",
    "max_rows": "ASNFP_SERVE_MAX_ROWS",
    "max_files": "ASNFP_SERVE_MAX_FILES",
    "time_limit": "ASNFP_SERVE_TIME_LIMIT",
    "threads": "ASNFP_SERVE_THREADS",
}


def _positive(variable: str, text: str, kind: type[int] | type[float]) -> int | float:
    try:
        value = kind(text.strip().replace("_", ""))
    except ValueError:
        value = 0
    if not value > 0:
        raise UsageError(f"{variable}={text!r}: must be a number above 0")
    return value
