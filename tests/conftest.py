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
