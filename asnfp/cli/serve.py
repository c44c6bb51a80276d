"""``asnfp serve``: the service (:mod:`asnfp.serve`) on a port, with its limits as flags.

>>> from asnfp.cli.command import build_parser
>>> args = build_parser().parse_args(["serve", "--port", "0", "--max-rows", "500"])
>>> args.port, args.workers, settings_of(args).max_rows
(0, 1, 500)
"""

from __future__ import annotations

import argparse
import gc
import sys

from asnfp.errors import UsageError
from asnfp.serve.settings import VARIABLES, Settings

__all__ = ("add_parser", "run", "settings_of")

_DEFAULTS = Settings()


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``asnfp serve``."""
    from asnfp.cli.generate import positive_count

    p = subparsers.add_parser(
        "serve", help="serve generate, validate, explain and the rules over HTTP (asnfp[serve])",
        description="Serve asnfp over HTTP: POST /v1/generate, /v1/validate and /v1/explain, GET "
                    "/v1/rules, /v1/rules/NAME and /v1/health; the OpenAPI document at "
                    "/schema/openapi.json. Every refusal is a problem document (RFC 9457). Nothing is "
                    "written to disk. Needs the extra: pip install 'asnfp[serve]'. Each limit may also be "
                    "set by its environment variable: " + ", ".join(VARIABLES.values()) + ".")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: a free one, announced)")
    p.add_argument("--workers", type=positive_count, default=1, metavar="N",
                   help="server processes sharing the port (default: 1)")
    p.add_argument("--max-body-bytes", type=positive_count, default=None, metavar="N",
                   help=f"the largest request body (default: {_DEFAULTS.max_body_bytes:,})")
    p.add_argument("--max-rows", type=positive_count, default=None, metavar="N",
                   help=f"the most rows of a pool (default: {_DEFAULTS.max_rows:,})")
    p.add_argument("--max-files", type=positive_count, default=None, metavar="N",
                   help=f"the most files of a validate batch (default: {_DEFAULTS.max_files:,})")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help=f"the longest a generation may take (default: {_DEFAULTS.time_limit:g})")
    p.add_argument("--threads", type=positive_count, default=None, metavar="N",
                   help=f"generations run at once in each worker (default: {_DEFAULTS.threads})")
    p.set_defaults(command=run)
    return p


def settings_of(args: argparse.Namespace) -> Settings:
    """The environment's settings, with the flags given over them."""
    given = {field: getattr(args, field) for field in VARIABLES if getattr(args, field, None) is not None}
    if "time_limit" in given and not given["time_limit"] > 0:
        raise UsageError(f"--time-limit {given['time_limit']}: must be above 0")
    return Settings.from_env({**Settings.from_env().to_env(), **{VARIABLES[k]: str(v) for k, v in given.items()}})


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; status 0."""
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
    server.run(args.host, args.port, args.workers, settings, announce)
    print("asnfp serve: stopped", file=sys.stderr)
    return 0
