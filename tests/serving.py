"""The real server for the service's tests: ``asnfp serve --port 0`` started in a
subprocess on loopback (the port it announces), stopped at the end. Imported by the
tests' conftest as the ``server`` fixture; :func:`started` serves other settings."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

READY_SECONDS = 60


class Server:
    """A running ``asnfp serve``: its base ``url`` and process."""

    def __init__(self, url: str, process: subprocess.Popen[str]) -> None:
        self.url, self.process = url, process

    def client(self, timeout: float = 60) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)


def _announced(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        err = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"asnfp serve did not start: {line!r} {err[-2000:]}")
    return line.split("listening on ", 1)[1].split()[0]


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/v1/health", timeout=5).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"asnfp serve at {url} did not answer /v1/health in {READY_SECONDS} s")


@contextlib.contextmanager
def started(*flags: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Iterator[Server]:
    """``asnfp serve --port 0 FLAGS`` in a subprocess (``python -m asnfp``, so the
    installed package is the one tested), until the block ends."""
    process = subprocess.Popen([sys.executable, "-m", "asnfp", "serve", "--port", "0", *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})}, cwd=cwd)
    try:
        url = _announced(process)
        _wait_ready(url)
        yield Server(url, process)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
