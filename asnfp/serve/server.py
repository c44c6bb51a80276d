"""The server: uvicorn (with uvloop and httptools where installed) running the
application on a socket bound here, with one process or several workers sharing it.

The socket is bound before the workers start, so that ``--port 0`` takes a free port
that can be announced, and a port in use is one line, not a worker's traceback. The
settings reach every worker through the environment (:meth:`Settings.to_env`).

>>> sock = bind("127.0.0.1", 0)
>>> address(sock).startswith("http://127.0.0.1:")
True
>>> sock.close()
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from asnfp.errors import UsageError
from asnfp.serve.settings import Settings

__all__ = ("bind", "address", "run")

#: The application factory every worker imports.
_FACTORY = "asnfp.serve.app:create_app_from_env"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (``0``: a free port), or a
    :class:`UsageError` in one line saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as err:
        raise UsageError(f"--host {host!r}: not an address this machine can listen on ({err})") from None
    family, kind, proto, _, where = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(where)
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port} ({err.strerror or err})") from None
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket) -> str:
    """The ``http://HOST:PORT`` a bound socket answers on."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(host: str, port: int, workers: int, settings: Settings, announce: Callable[[str], None]) -> None:
    """Serve until stopped (SIGINT or SIGTERM: requests under way are finished first).
    ``announce`` is told the address once the socket listens."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    sock = bind(host, port)
    os.environ.update(settings.to_env())
    config = uvicorn.Config(_FACTORY, factory=True, workers=workers, access_log=False, log_level="warning",
                            server_header=False, date_header=True, lifespan="on", timeout_graceful_shutdown=10)
    announce(f"asnfp serve: listening on {address(sock)} ({workers} worker{'s' if workers != 1 else ''}); "
             f"the API is under /v1, its OpenAPI document at /schema/openapi.json")
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
