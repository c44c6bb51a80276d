"""Laws of the spectroscopic rules, on random sub-pools of the real spectroscopic pools
(../shared/conformance/pools) and on each whole pool.

Both laws hold in every file the reference wrote for the conformance cases (86 Level-2
products with background members, 35 SpectralSource/NRSFSS associations):

* a Level-2 background member is never the association's own science exposure;
* every spec3 association made by Asn_Lv3SpectralSource or Asn_Lv3NRSFSS has a product
  name carrying the literal ``{source_id}`` (rules.md §1.10: the reference's partial
  formatter keeps a field it is given no value for).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asnfp.api import associations
from asnfp.association import Association
from asnfp.pool import Pool, read_pool
from asnfp.testing import subpools

POOLS = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "pools"
SPECTRA = ("pool_005_", "pool_006_", "pool_007_", "pool_010_", "pool_017_", "pool_019_", "pool_023_",
           "pool_024_", "pool_024b_", "pool_025_")
NAMES = sorted(p.name for p in POOLS.glob("*.csv") if p.name.startswith(SPECTRA))
pytestmark = pytest.mark.skipif(not NAMES, reason="../shared/conformance is absent")

SOURCE_RULES = ("Asn_Lv3SpectralSource", "Asn_Lv3NRSFSS")

_CACHE: dict[str, Pool] = {}


def _pool(name: str) -> Pool:
    if name not in _CACHE:
        _CACHE[name] = read_pool(POOLS / name)
    return _CACHE[name]


@st.composite
def spectral_subpools(draw) -> Pool:
    pool = _pool(draw(st.sampled_from(NAMES or ["none"])))
    return Pool(pool.columns, draw(subpools(pool.rows, max_rows=25)), pool.meta)


laws = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def background_is_never_own_science(asns: list[Association]) -> None:
    for asn in asns:
        if asn.rule.level != 2:
            continue
        for product in asn.products:
            science = {m.expname for m in product.members if m.exptype == "science"}
            background = {m.expname for m in product.members if m.exptype == "background"}
            assert not science & background, (asn.rule.name, product.name)


def source_names_keep_source_id(asns: list[Association]) -> None:
    for asn in asns:
        if asn.rule.name in SOURCE_RULES:
            assert asn.rule.asn_type == "spec3"
            assert all("{source_id}" in p.name for p in asn.products), (asn.rule.name, asn.products[0].name)


@laws
@given(spectral_subpools())
def test_a_level2_background_is_never_the_associations_own_science(pool):
    background_is_never_own_science(associations(pool))


@laws
@given(spectral_subpools())
def test_source_products_carry_the_literal_source_id(pool):
    source_names_keep_source_id(associations(pool))


@pytest.mark.parametrize("name", NAMES)
def test_both_laws_on_the_whole_pool(name):
    asns = associations(_pool(name))
    background_is_never_own_science(asns)
    source_names_keep_source_id(asns)
