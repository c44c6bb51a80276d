"""Shared test fixtures: where the shared conformance data lives (skip when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("ASNFP_TRACEBACK", "1")  # in tests, a bug in asnfp shows its traceback

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = SHARED / "conformance"


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    if not (CONFORMANCE / "cases").is_dir():
        pytest.skip("../shared/conformance is absent")
    return CONFORMANCE


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The service, started once for the session on a free loopback port (skipped
    without the extra ``asnfp[serve]``), in an empty folder of its own, with its own empty
    temporary folder and home: it must write nothing in any of them."""
    pytest.importorskip("litestar")
    pytest.importorskip("httpx")
    from serving import started

    folder = tmp_path_factory.mktemp("serve-cwd")
    places = {name: tmp_path_factory.mktemp(f"serve-{name.lower()}") for name in ("TMPDIR", "HOME")}
    with started(cwd=folder, env={name: str(path) for name, path in places.items()}) as running:
        yield running
    for path in (folder, *places.values()):
        assert list(path.iterdir()) == [], f"the service wrote into {path}"
