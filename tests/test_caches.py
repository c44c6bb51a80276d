"""A process that lives on keeps its memory: the answers cached about each run's own
constraints are emptied once they pile up, and what a run makes does not depend on
what the caches hold."""

from __future__ import annotations

from itertools import pairwise

import asnfp
from asnfp import caches

POOL = [{"filename": f"jw_{i}_uncal.fits", "exp_type": "mir_image", "pntgtype": "science", "program": "1",
         "targetid": "1", "instrume": "miri", "detector": "mirimage", "filter": f"f{560 + i % 3}w",
         "subarray": "full", "asn_candidate": f"[('o00{i % 4 + 1}', 'observation')]"} for i in range(12)]


def _files() -> dict[str, bytes]:
    return dict(asnfp.to_bytes(a) for a in asnfp.generate(POOL).associations)


def _growth(runs: int) -> list[int]:
    sizes = []
    for _ in range(runs):
        _files()
        sizes.append(caches.held())
    return sizes


def test_the_caches_stay_bounded_over_many_runs(monkeypatch):
    caches.forget()
    _files()
    base = caches.held()
    monkeypatch.setattr(caches, "MOST_ENTRIES", 10**9)
    unbounded = _growth(20)
    step = max(b - a for a, b in pairwise(unbounded))
    assert step > 0  # (each run adds answers about its own constraints: what is to be bounded)
    caches.forget()
    monkeypatch.setattr(caches, "MOST_ENTRIES", base + 3 * step)
    bounded = _growth(20)
    # (a run trims as its driver ends; encoding its files may add a run's answers again)
    assert max(bounded) <= caches.MOST_ENTRIES + step
    assert any(b < a for a, b in pairwise(bounded))  # (trimmed on the way)
    assert max(unbounded) > caches.MOST_ENTRIES + step  # (and it had to be)


def test_runs_make_the_same_files_whatever_the_caches_hold():
    warm = _files()
    caches.forget()
    assert caches.held() == 0
    assert _files() == warm
    caches.trim(most=0)
    assert _files() == warm and warm


def test_every_cache_keyed_by_constraints_is_listed():
    """The functions that cache answers by a constraint are all forgettable."""
    from asnfp import constraints
    from asnfp.fast import futile, gates, routes
    from asnfp.jwst.level3 import base

    listed = set(map(id, caches._LISTED))
    for function in (constraints.described, constraints._walked, constraints._named, gates.fixed,
                     gates._compiled, gates.compile_gate, gates.gate_columns, futile.keeps_requests_home,
                     routes.index_routes, routes.index_leaves, base._derived_from):
        assert id(function) in listed, function
