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
    without the extra ``asnfp[serve]``), in an empty folder of its own (it must write
    nothing there)."""
    pytest.importorskip("litestar")
    pytest.importorskip("httpx")
    from serving import started

    folder = tmp_path_factory.mktemp("serve-cwd")
    with started(cwd=folder) as running:
        yield running
    assert list(folder.iterdir()) == [], "the service wrote into its working folder"
