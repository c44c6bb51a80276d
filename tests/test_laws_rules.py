"""Laws every JWST rule keeps, checked on sub-pools of the real pools (../shared).

Each law is stated for every association written from a random sub-pool (some rows of
a real pool, in pool order): the indexed fold agrees with the simple model, Level-2
associations hold one science exposure, coronagraphy and AMI hold a PSF, members share
the values their rule pins, TSO and WFS combinations have their shape, and file names
never collide.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asnfp.api import rule_name
from asnfp.association import Association, is_valid
from asnfp.fast.drivers import Options, generate_per_candidate
from asnfp.io import serialize
from asnfp.jwst import default_registry
from asnfp.pool import read_pool
from asnfp.testing import subpools

from laws import assert_members_share_pinned_values, assert_one_science_per_level2

POOLS = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "pools"
NAMES = sorted(p.name for p in POOLS.glob("*.csv") if "jw93060" not in p.name)
pytestmark = pytest.mark.skipif(not NAMES, reason="../shared/conformance is absent")

_CACHE: dict[str, tuple] = {}


def _rows(name: str) -> tuple:
    if name not in _CACHE:
        _CACHE[name] = read_pool(POOLS / name).rows
    return _CACHE[name]


@st.composite
def real_subpools(draw) -> tuple:
    name = draw(st.sampled_from(NAMES or ["none"]))
    return draw(subpools(_rows(name), max_rows=25))


laws = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(rows, indexed: bool = True) -> list[Association]:
    asns = generate_per_candidate(default_registry, rows, Options(indexed=indexed))
    return [a for a in asns if is_valid(a)]


def _types(asn: Association) -> list[str]:
    return [m.exptype for m in asn.products[0].members]


@laws
@given(real_subpools())
def test_the_indexed_fold_agrees_with_the_simple_model(rows):
    fast = [serialize(a, rule_name(a)) for a in run(rows)]
    simple = [serialize(a, rule_name(a)) for a in run(rows, indexed=False)]
    assert fast == simple


@laws
@given(real_subpools())
def test_file_names_never_collide(rows):
    names = Counter(serialize(a, rule_name(a))[0] for a in run(rows))
    assert all(count == 1 for count in names.values())


@laws
@given(real_subpools())
def test_level2_associations_hold_exactly_one_science_exposure(rows):
    for asn in run(rows):
        assert_one_science_per_level2(asn)


@laws
@given(real_subpools())
def test_level3_associations_hold_science(rows):
    for asn in run(rows):
        if asn.rule.level == 3:
            assert "science" in _types(asn), asn.rule.name


@laws
@given(real_subpools())
def test_coronagraphy_and_ami_hold_a_psf(rows):
    for asn in run(rows):
        if asn.rule.asn_type in ("coron3", "ami3"):
            assert "psf" in _types(asn) and "science" in _types(asn)


@laws
@given(real_subpools())
def test_tso_associations_never_mix_exposure_types_and_read_integrations(rows):
    for asn in run(rows):
        if asn.rule.asn_type == "tso3":
            kinds = {m.row.cells["exp_type"] for m in asn.products[0].members
                     if m.row is not None and m.exptype != "target_acquisition"}
            assert len(kinds) == 1
        if asn.rule.asn_type in ("tso-image2", "tso-spec2"):
            assert all("_rateints" in m.expname for m in asn.products[0].members)


@laws
@given(real_subpools())
def test_wavefront_combinations_hold_a_pair(rows):
    for asn in run(rows):
        if asn.rule.asn_type == "wfs-image3":
            assert len(asn.products[0].members) >= 2


@laws
@given(real_subpools())
def test_mosaics_span_several_observations(rows):
    for asn in run(rows):
        if asn.rule.name == "Asn_Lv3ImageMosaic":
            assert len({m.row.cells["obs_num"] for m in asn.products[0].members if m.row}) >= 2


@laws
@given(real_subpools())
def test_members_share_the_values_their_rule_pins(rows):
    for asn in run(rows):
        assert_members_share_pinned_values(asn)
