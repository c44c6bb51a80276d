"""``asnfp serve``: the service (:mod:`asnfp.serve`) on a port, with its limits as flags.
The service's modules are imported only when it runs or its help is shown: every other
command builds this parser too.

>>> from asnfp.cli.command import build_parser
>>> args = build_parser().parse_args(["serve", "--port", "0", "--max-rows", "500"])
>>> args.port, args.workers, settings_of(args).max_rows
(0, 1, 500)
>>> from asnfp.serve.settings import VARIABLES
>>> tuple(VARIABLES) == _LIMITS  # (a flag for each setting)
True
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from typing import TYPE_CHECKING

from asnfp.cli.process import Terminated
from asnfp.errors import UsageError

if TYPE_CHECKING:
    from asnfp.serve.settings import Settings

__all__ = ("add_parser", "run", "settings_of")

#: The flags that set the service's limits (each named as the setting it sets).
_LIMITS = ("max_body_bytes", "max_rows", "max_files", "time_limit", "threads")


class _ServeHelp(argparse.HelpFormatter):
    """Help whose ``{setting}`` and ``{variables}`` are filled in when it is shown (the
    settings module is imported then, not when the parser is built)."""

    def _fields(self) -> dict[str, object]:
        from asnfp.serve.settings import VARIABLES, Settings

        defaults = Settings()
        return {**{name: getattr(defaults, name) for name in _LIMITS}, "variables": ", ".join(VARIABLES.values())}

    def _format_text(self, text: str) -> str:
        return super()._format_text(text.format(**self._fields()))

    def _expand_help(self, action: argparse.Action) -> str:
        return super()._expand_help(action).format(**self._fields())


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``asnfp serve``."""
    from asnfp.cli.generate import positive_count

    p = subparsers.add_parser(
        "serve", help="serve generate, validate, explain and the rules over HTTP (asnfp[serve])",
        formatter_class=_ServeHelp,
        description="Serve asnfp over HTTP: POST /v1/generate, /v1/validate and /v1/explain, GET "
                    "/v1/rules, /v1/rules/NAME and /v1/health; the OpenAPI document at "
                    "/schema/openapi.json. Every refusal is a problem document (RFC 9457). Nothing is "
                    "written to disk. Needs the extra: pip install 'asnfp[serve]'. Each limit may also be "
                    "set by its environment variable: {variables}.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: a free one, announced)")
    p.add_argument("--workers", type=positive_count, default=1, metavar="N",
                   help="server processes sharing the port (default: 1)")
    p.add_argument("--max-body-bytes", type=positive_count, default=None, metavar="N",
                   help="the largest request body (default: {max_body_bytes:,})")
    p.add_argument("--max-rows", type=positive_count, default=None, metavar="N",
                   help="the most rows of a pool (default: {max_rows:,})")
    p.add_argument("--max-files", type=positive_count, default=None, metavar="N",
                   help="the most files of a validate batch (default: {max_files:,})")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="the longest a generation may take (default: {time_limit:g})")
    p.add_argument("--threads", type=positive_count, default=None, metavar="N",
                   help="generations run at once in each worker (default: {threads})")
    p.set_defaults(command=run)
    return p


def settings_of(args: argparse.Namespace) -> Settings:
    """The environment's settings, with the flags given over them."""
    from msgspec.structs import replace

    from asnfp.serve.settings import Settings

    given = {field: getattr(args, field) for field in _LIMITS if getattr(args, field, None) is not None}
    if "time_limit" in given and not given["time_limit"] > 0:  # (the counts are checked as they are read)
        raise UsageError(f"--time-limit {given['time_limit']}: must be above 0")
    return replace(Settings.from_env(), **given)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped (SIGTERM or SIGINT: a normal stop, status 0)."""
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: must be 0 to 65535")
    settings = settings_of(args)
    try:
        import litestar  # noqa: F401

        from asnfp.serve import server
    except ImportError as err:
        raise UsageError(f"asnfp serve needs the extra: pip install 'asnfp[serve]' ({err.name} is missing)") from None

    def announce(line: str) -> None:
        print(line, flush=True)

    gc.enable()  # (the command turns the cycle collector off for a run; a server runs on)
    # (uvicorn finishes the requests under way, then raises again the signal that stopped it)
    with contextlib.suppress(Terminated, KeyboardInterrupt):
        server.run(args.host, args.port, args.workers, settings, announce)
    print("asnfp serve: stopped", file=sys.stderr)
    return 0
