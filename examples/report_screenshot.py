#!/usr/bin/env python3
"""Write the example pool's report page and a screenshot of it, ``docs/report.png``.

The page is what ``asnfp report examples/jw01234_imaging_pool.csv -o report.html``
writes; the picture is taken by Debian's chromium (``apt-get install chromium``) driven
by Playwright for Python (``pip install -e ".[test]"``), headless, as the browser tests
do (``tests/browser.py``). No browser is downloaded: ``playwright install`` is not
needed. Re-run it (from anywhere) whenever the page changes::

    .venv/bin/python examples/report_screenshot.py [--html report.html] [--png docs/report.png]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POOL = ROOT / "examples" / "jw01234_imaging_pool.csv"
PNG = ROOT / "docs" / "report.png"
WIDTH, HEIGHT = 1280, 1100  # tall enough that the matrix (70% of the window at most) shows all 17 rows


def chromium() -> str:
    """The system chromium (``ASNFP_CHROMIUM`` overrides), or exit saying how to get one."""
    for candidate in (os.environ.get("ASNFP_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    sys.exit("no chromium: apt-get install chromium (or set ASNFP_CHROMIUM to a chromium binary)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, help="also keep the page here (default: a temporary file)")
    parser.add_argument("--png", type=Path, default=PNG, help=f"the screenshot (default: {PNG.relative_to(ROOT)})")
    args = parser.parse_args(argv)

    from asnfp.tools.report import report_html

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit("no playwright: pip install -e '.[test]' (its browsers are not needed)")

    with tempfile.TemporaryDirectory() as scratch:
        page_file = (args.html or Path(scratch) / "report.html").resolve()
        args.png = args.png.resolve()
        os.chdir(ROOT)  # the page names the pool as given: the path from the repository's top folder
        page_file.write_text(report_html(str(POOL.relative_to(ROOT))), encoding="utf-8")
        args.png.parent.mkdir(parents=True, exist_ok=True)
        sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), headless=True, args=sandbox)
            try:
                context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, offline=True)
                page = context.new_page()
                page.goto(page_file.resolve().as_uri(), wait_until="load", timeout=10_000)
                page.screenshot(path=str(args.png), full_page=True)
            finally:
                browser.close()
    print(f"{args.png}: {args.png.stat().st_size:,} bytes" + (f"; page: {args.html}" if args.html else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
