"""A real browser for the tests: Debian's headless chromium, driven by Playwright.

Nothing here downloads a browser (``playwright install`` is never run): the chromium
used is the system's (``/usr/bin/chromium``, or ``ASNFP_CHROMIUM``), and a test that
needs it skips, with one line saying why, when it or the ``playwright`` package is
absent.

:func:`open_page` opens a local HTML file (a ``file://`` URL) and records every request
the page makes: anything but the file itself and ``data:`` URLs counts as network.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TIMEOUT_MS = 5_000  # every wait of a page (load, a click, a locator): a local page needs far less


def chromium_path() -> str | None:
    """The system chromium to drive, or ``None`` when there is none."""
    wanted = os.environ.get("ASNFP_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def skip_reason() -> str | None:
    """Why the browser tests cannot run here (one line), or ``None`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no system chromium (apt-get install chromium); playwright's own browsers are never downloaded"
    return None


def require_browser() -> None:
    """Skip the calling test when there is no browser to drive."""
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)


@dataclass
class Opened:
    """A page opened by :func:`open_page`, and the network requests it made."""

    page: Any  # playwright.sync_api.Page
    url: str
    requests: list[str] = field(default_factory=list)

    def network(self) -> list[str]:
        """The requests that went (or tried to go) beyond the file itself."""
        return list(self.requests)


def _is_network(url: str, own: str) -> bool:
    return not (url == own or url.split("#", 1)[0] == own or url.startswith("data:"))


@contextmanager
def browser() -> Iterator[Any]:
    """A headless system chromium (a Playwright ``Browser``); skips when there is none."""
    require_browser()
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=args,
                                      timeout=30_000)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def open_page(path: str | os.PathLike[str], *, width: int = 1280, height: int = 800,
              running: Any = None) -> Iterator[Opened]:
    """Open the local HTML file ``path`` in headless chromium, recording each request
    the page makes (:meth:`Opened.network`). ``running``: a browser from
    :func:`browser` to open it in (else one is launched for this page)."""
    url = Path(path).resolve().as_uri()
    with (browser() if running is None else _given(running)) as launched:
        context = launched.new_context(viewport={"width": width, "height": height}, offline=True,
                                       service_workers="block")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        opened = Opened(page, url)
        page.on("request", lambda request: opened.requests.append(request.url)
                if _is_network(request.url, url) else None)
        try:
            page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
            yield opened
        finally:
            context.close()


@contextmanager
def _given(running: Any) -> Iterator[Any]:
    yield running


def screenshot(html: str | os.PathLike[str], png: str | os.PathLike[str], *, width: int = 1280,
               running: Any = None) -> bytes:
    """Save a full-page PNG screenshot of the local HTML file ``html`` as ``png`` (in
    the browser ``running``, else in one launched for it)."""
    with open_page(html, width=width, running=running) as opened:
        return bytes(opened.page.screenshot(path=str(png), full_page=True))


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, read from its header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
