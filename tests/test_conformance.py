"""Conformance: every case in ../shared/conformance, byte for byte, with the ratchet.

Cases listed in ``conformance_xfail.txt`` run as strict xfail: they may differ, and one
that starts to match fails the run until it is taken off the list.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from asnfp.association import is_valid
from asnfp.cli import main
from asnfp.fast.drivers import Options, generate_per_candidate
from asnfp.io import serialize
from asnfp.jwst import default_registry
from asnfp.pool import read_pool

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONFORMANCE = SHARED / "conformance"
RATCHET = Path(__file__).with_name("conformance_xfail.txt")


def _listed() -> set[str]:
    lines = RATCHET.read_text().splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def _cases() -> list[object]:
    cases = sorted(p.parent.name for p in (CONFORMANCE / "cases").glob("*/case.json"))
    if not cases:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/conformance is absent"))]
    listed = _listed()
    return [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason="listed in the ratchet"))
        if c in listed else c
        for c in cases
    ]


def _scorer():
    spec = importlib.util.spec_from_file_location("asn_conform", SHARED / "tools" / "asn_conform.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score


def test_the_ratchet_names_only_real_cases(conformance_dir):
    known = {p.parent.name for p in (conformance_dir / "cases").glob("*/case.json")}
    assert _listed() <= known


@pytest.mark.parametrize("case", _cases())
def test_case_matches_the_reference(case, tmp_path):
    meta = json.loads((CONFORMANCE / "cases" / case / "case.json").read_text())
    out = tmp_path / "out"
    status = main(["generate", str(CONFORMANCE / meta["pool"]), "-p", str(out),
                   "--save-orphans", "orphans.csv", *meta["args"]])
    notes: list[str] = []
    ok, line, _ = _scorer()(CONFORMANCE / "cases" / case / "expected", out, True, notes.append)
    assert status == 0 and ok, "\n".join([line, *notes[:20]])


def _pools() -> list[str]:
    names = sorted(p.name for p in (CONFORMANCE / "pools").glob("*.csv"))
    return [n for n in names if "jw93060" not in n] or [
        pytest.param(None, marks=pytest.mark.skip(reason="../shared/conformance is absent"))]


@pytest.mark.parametrize("pool_name", _pools())
def test_the_index_agrees_with_the_simple_model_on_real_pools(pool_name):
    pool = read_pool(CONFORMANCE / "pools" / pool_name)

    def files(indexed: bool) -> dict[str, bytes]:
        asns = generate_per_candidate(default_registry, pool.rows, Options(indexed=indexed))
        return dict(serialize(a, a.rule.name) for a in asns if is_valid(a))

    assert files(True) == files(False)
