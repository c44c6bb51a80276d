"""The public toolkit of ``asnfp.testing``: mode pools look like their instrument mode,
and the law checks hold for rules that keep them and fail for rules that break them
(generic random rules, JWST catalogue rules, and rules broken on purpose)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asnfp.association import Member, Product, member_rows
from asnfp.constraints import NO_BINDINGS, Category, all_of, any_of, attr, value_leaf
from asnfp.jwst import catalogue_rule
from asnfp.jwst import rule as jwst_rule
from asnfp.jwst.constraints import (
    is_image,
    is_instrument,
    same_optical_path,
    same_target,
)
from asnfp.jwst.dms import (
    nrccoron_valid_detector,
    nrsfss_valid_detector,
    nrsifu_valid_detector,
)
from asnfp.row import make_row
from asnfp.rule import Rule, replace
from asnfp.testing import (
    COLUMNS,
    MODE_COLUMNS,
    MODES,
    assert_members_satisfy,
    assert_unrelated_row_changes_nothing,
    constraint_trees,
    imaging_pools,
    is_unrelated,
    mode_pools,
    mode_rows,
    pools,
    rows,
    rule_associations,
)

laws = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
few = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def generic(constraint) -> Rule:
    return Rule(name="Generic", asn_type="demo", level=2, constraint=constraint)


# --------------------------------------------------------------------------- mode pools

# What each mode must look like, written from the JWST keyword conventions (not read
# from the strategy's tables): instrument, science exposure type, the acquisition
# types allowed, a detector pattern, and the columns its rules read.
_COMMON = {"filename", "program", "obs_num", "visitype", "exp_type", "instrume", "pntgtype", "targetid",
           "detector", "subarray", "bkgdtarg", "tsovisit", "exposerr", "asn_candidate"}
_FAMILY = {"nircam": "nrc", "miri": "mir", "nirspec": "nrs", "niriss": "nis"}  # detector names
EXPECTED = {
    "nircam_image": ("nircam", "nrc_image", {"nrc_tacq"}, r"nrc[ab]([1-4]|long)", {"filter", "pupil", "channel"}),
    "miri_image": ("miri", "mir_image", {"mir_tacq"}, r"mirimage", {"filter"}),
    "niriss_image": ("niriss", "nis_image", {"nis_tacq"}, r"nis", {"filter", "pupil"}),
    "nirspec_fixed_slit": ("nirspec", "nrs_fixedslit", {"nrs_wata", "nrs_taconfirm", "nrs_tacq", "nrs_taslit"},
                           r"nrs[12]", {"filter", "grating", "fxd_slit", "numdthpt", "patt_num", "expspcin"}),
    "nirspec_ifu": ("nirspec", "nrs_ifu", {"nrs_msata", "nrs_wata", "nrs_taconfirm"}, r"nrs[12]",
                    {"filter", "grating", "is_imprt", "mostilno", "patttype"}),
    "nirspec_msa": ("nirspec", "nrs_msaspec", {"nrs_msata", "nrs_taconfirm"}, r"nrs[12]",
                    {"filter", "grating", "msametfl", "is_imprt", "expspcin"}),
    "miri_mrs": ("miri", "mir_mrs", {"mir_tacq"}, r"mirifu(short|long)", {"band", "channel", "mostilno"}),
    "miri_lrs": ("miri", "mir_lrs-fixedslit", {"mir_tacq", "mir_taconfirm"}, r"mirimage",
                 {"filter", "patttype", "patt_num"}),
    "nircam_coron": ("nircam", "nrc_coron", {"nrc_tacq", "nrc_taconfirm"}, r"nrca([1-4]|long)",
                     {"filter", "pupil", "is_psf"}),
}


def test_every_mode_is_described_and_listed():
    assert set(EXPECTED) == set(MODES) and len(MODES) == len(set(MODES))
    with pytest.raises(ValueError, match="unknown mode 'nircam_grism'; the modes are nircam_image"):
        mode_pools("nircam_grism")


@few
@given(st.sampled_from(MODES).flatmap(lambda mode: st.tuples(st.just(mode), mode_pools(mode, max_rows=6))))
def test_a_mode_pool_has_the_columns_and_values_of_its_mode(drawn):
    mode, pool = drawn
    instrument, science, acquisitions, detector, columns = EXPECTED[mode]
    for i, row in enumerate(pool):
        assert row.index == i and set(row) == set(MODE_COLUMNS) and set(row) >= _COMMON | columns
        assert row["instrume"] == instrument and row["detector"].startswith(_FAMILY[instrument]), (mode, dict(row))
        is_science = row["exp_type"] == science
        assert not is_science or re.fullmatch(detector, row["detector"]), (mode, dict(row))
        assert is_science or row["exp_type"] in acquisitions, (mode, row["exp_type"])
        assert row["pntgtype"] == ("science" if is_science else "target_acquisition")
        obs = f"{int(row['obs_num']):03d}"
        assert row["filename"] == f"jw{row['program']}{obs}001_02101_{i:05d}_{row['detector']}_uncal.fits"
        assert row["asn_candidate"] == f"[('o{obs}', 'observation')]"
        if is_science:
            _assert_mode_optics(mode, row)


def _assert_mode_optics(mode: str, row) -> None:
    """Optical paths the reference accepts, and the special columns only where they belong."""
    if mode == "nirspec_fixed_slit":
        assert nrsfss_valid_detector(row), dict(row)
    if mode == "nirspec_ifu":
        assert nrsifu_valid_detector(row), dict(row)
    if mode == "nircam_coron":
        assert nrccoron_valid_detector(row) and row["pupil"].startswith("mask"), dict(row)
    if mode == "nirspec_msa":
        assert row["msametfl"].endswith("_msa.fits")
    if mode == "miri_mrs":
        assert row["band"] in ("short", "medium", "long") and row["channel"] in ("12", "34")
    assert row["is_psf"] == "null" or mode == "nircam_coron"
    assert row["is_imprt"] == "f" or mode in ("nirspec_ifu", "nirspec_msa")


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_draws_its_special_cases(mode):
    from hypothesis import find

    once = settings(database=None, max_examples=500)
    assert find(mode_rows(mode), lambda r: r["pntgtype"] == "target_acquisition", settings=once)
    assert find(mode_rows(mode), lambda r: r["bkgdtarg"] == "t", settings=once)
    simplest = find(mode_rows(mode), lambda r: True, settings=once)
    assert simplest["pntgtype"] == "science" and simplest["bkgdtarg"] == "f" and simplest["exposerr"] == "null"


def test_imaging_rows_keep_their_columns():
    from hypothesis import find

    pool = find(imaging_pools(min_rows=2), lambda p: True, settings=settings(database=None))
    assert set(pool[0]) == {"filename", "program", "obs_num", "exp_type", "instrume", "detector", "targetid",
                            "pntgtype", "filter", "pupil", "subarray", "visitype", "bkgdtarg", "tsovisit",
                            "exposerr", "asn_candidate"}


# --------------------------------------------------------------------------- generic rules


_ASKING = st.builds(lambda column, value: attr("ask", column, value, reprocess=Category.EXISTING),
                    st.sampled_from(COLUMNS), st.sampled_from((None, "x", "x|y")))


@laws
@given(constraint_trees(max_leaves=6), pools(max_rows=8))
def test_the_members_of_a_generic_rule_satisfy_it(tree, pool):
    assert_members_satisfy(generic(tree), pool)


@laws
@given(constraint_trees(max_leaves=4), _ASKING, pools(max_rows=8))
def test_the_members_satisfy_a_rule_whose_rows_ask_to_be_offered_again(tree, asking, pool):
    assert_members_satisfy(generic(any_of(all_of(asking, tree), asking)), pool)


@laws
@given(constraint_trees(max_leaves=6), pools(max_rows=8), rows(), st.integers(0, 8))
def test_an_unrelated_row_changes_nothing_for_a_generic_rule(tree, pool, row, at):
    rule = generic(tree)
    assume(is_unrelated(rule, pool, row))
    assert_unrelated_row_changes_nothing(rule, pool, row, at=at)


@laws
@given(pools(max_rows=6))
def test_rule_associations_are_the_fold_of_the_rule_alone(pool):
    by_a = generic(attr("a", "a"))
    made = rule_associations(by_a, pool)
    groups = [[r["a"] for r in member_rows(asn)] for asn in made]
    assert all(len(set(group)) == 1 for group in groups)
    assert len({group[0] for group in groups}) == len(groups)
    assert sorted(r.index for asn in made for r in member_rows(asn)) == [r.index for r in pool]  # all valid


def test_rule_associations_keep_invalid_ones_unless_asked():
    from asnfp.rule import Check

    rule = replace(generic(attr("a", "a")), validity=(Check("two", lambda asn, m: len(asn.products[0].members) > 1),))
    pool = [make_row(i, {"a": a}) for i, a in enumerate("xyx")]
    assert len(rule_associations(rule, pool)) == 2
    assert [[r.index for r in member_rows(a)] for a in rule_associations(rule, pool, valid_only=True)] == [[0, 2]]


def test_a_row_that_misses_a_new_association_may_still_be_related():
    either = generic(attr("v", ("a", "b"), "x"))
    first, second = make_row(0, {"b": "x"}), make_row(1, {"a": "y", "b": "x"})
    assert not either.constraint(NO_BINDINGS, second).matched
    assert not is_unrelated(either, [first], second)
    with pytest.raises(ValueError, match=r"is not unrelated to Generic: association 0 of Generic after 1"):
        assert_unrelated_row_changes_nothing(either, [first], second)


# --------------------------------------------------------------------------- broken on purpose


def _stray_hook(stray):
    def with_stray(asn, row):
        return replace(asn, products=(Product("p", (Member("stray", "science", None, None, stray),)),))
    return with_stray


def test_members_fail_when_a_hook_adds_a_row_the_constraint_misses():
    rule = replace(generic(attr("a", "a", "x")), name="Broken", on_create=_stray_hook(make_row(7, {"a": "z"})))
    pool = [make_row(i, {"a": "x"}) for i in range(3)]
    with pytest.raises(AssertionError, match=r"^association 0 of Broken: member Row\(7, \{'a': 'z'\}\) misses "):
        assert_members_satisfy(rule, pool)


def test_members_fail_when_a_refused_row_changes_how_a_member_is_taken():
    """A sticky fact, set by a missed check, changes a later member's exposure type: the
    members alone do not rebuild the association."""
    noted = value_leaf(None, lambda b, row: row["a"] != "z", True, pins=False, label="not z",
                       note=("bad", lambda b, row: bool(b.fact("bad")) or row["a"] == "z"))
    rule = Rule(name="Sticky", asn_type="demo", level=2, constraint=noted, sticky=("bad",),
                exptype=lambda b, row: "background" if b.fact("bad") else "science")
    pool = [make_row(i, {"a": a}) for i, a in enumerate("xzx")]
    with pytest.raises(AssertionError, match=r"^association 0 of Sticky: replaying its members in order gives"):
        assert_members_satisfy(rule, pool)
    assert_members_satisfy(replace(rule, sticky=()), pool)  # without the sticky fact: no trace


def _poisoned() -> Rule:
    clean = value_leaf(None, lambda b, row: bool(b.fact("bad")), False, pins=False, label="clean",
                       note=("bad", lambda b, row: bool(b.fact("bad")) or row["a"] == "z"))
    return Rule(name="Poisoned", asn_type="demo", level=2, constraint=clean, sticky=("bad",))


@pytest.mark.parametrize("at", [0, 1, 2, 3])
def test_an_unrelated_row_changes_a_rule_with_sticky_facts(at):
    pool = [make_row(i, {"a": "x"}) for i in range(3)]
    z = make_row(0, {"a": "z"})
    assert is_unrelated(_poisoned(), pool, z)
    if at in (1, 2):  # a later row meets the poisoned association
        with pytest.raises(AssertionError, match=r"^adding Row\(\d, \{'a': 'z'\}\) changes association 0 of Poisoned"):
            assert_unrelated_row_changes_nothing(_poisoned(), pool, z, at=at)
    else:  # first (no association yet) or last (nothing after it): no trace
        assert_unrelated_row_changes_nothing(_poisoned(), pool, z, at=at)
    assert_unrelated_row_changes_nothing(replace(_poisoned(), sticky=()), pool, z, at=at)


# --------------------------------------------------------------------------- catalogue rules

CATALOGUE = [
    ("nircam_image", "Asn_Lv2Image"), ("nircam_image", "Asn_Lv3Image"), ("miri_image", "Asn_Lv3Image"),
    ("niriss_image", "Asn_Lv2Image"), ("nirspec_fixed_slit", "Asn_Lv2NRSFSS"),
    ("nirspec_fixed_slit", "Asn_Lv3NRSFSS"), ("nirspec_ifu", "Asn_Lv2Spec"), ("nirspec_ifu", "Asn_Lv3NRSIFU"),
    ("nirspec_msa", "Asn_Lv2NRSMSA"), ("nirspec_msa", "Asn_Lv3SpectralSource"), ("miri_mrs", "Asn_Lv2Spec"),
    ("miri_mrs", "Asn_Lv3MIRMRS"), ("miri_lrs", "Asn_Lv2MIRLRSFixedSlitNod"),
    ("miri_lrs", "Asn_Lv3SpectralTarget"), ("nircam_coron", "Asn_Lv3NRCCoron"),
    ("nircam_coron", "Asn_Lv2Image"),
]


@pytest.mark.parametrize(("mode", "name"), CATALOGUE)
def test_catalogue_members_satisfy_their_rule(mode, name):
    rule = catalogue_rule(name)

    @few
    @given(mode_pools(mode, max_rows=8))
    def check(pool):
        assert_members_satisfy(rule, pool)

    check()


@pytest.mark.parametrize(("mode", "name"), CATALOGUE)
def test_an_unrelated_row_changes_no_catalogue_association(mode, name):
    rule = catalogue_rule(name)
    any_row = st.sampled_from(MODES).flatmap(lambda other: mode_rows(other, candidates=("o001", "o002", "o003")))

    @few
    @given(mode_pools(mode, max_rows=6), any_row, st.integers(0, 6))
    def check(pool, row, at):
        assume(is_unrelated(rule, pool, row))
        assert_unrelated_row_changes_nothing(rule, pool, row, at=at)

    check()


_PLAIN, _BACKGROUND, _IMPRINT = ({"bkgdtarg": "f", "is_imprt": "f"}, {"bkgdtarg": "t", "is_imprt": "f"},
                                 {"bkgdtarg": "t", "is_imprt": "t"})


def _ifu_rows(base, *specials: dict) -> list:
    """Copies of the NIRSpec IFU exposure ``base``, special as told (backgrounds, imprints)."""
    from asnfp.row import Row

    stem = base["filename"].split("_02101_")[0]
    return [Row(i, {**base.cells, **cells, "filename": f"{stem}_02101_{i:05d}_{base['detector']}_uncal.fits"},
                base.meta) for i, cells in enumerate(specials)]


def _simplest_ifu_row():
    from hypothesis import find

    return find(mode_rows("nirspec_ifu"), lambda r: True, settings=settings(database=None))


def test_the_stale_imprint_check_of_spec_special_breaks_the_members_law():
    """The reference quirk documented in ``assert_members_satisfy``: imprint 3 joins
    association 0 only because background 2, refused, reset the stale exposure type
    that imprint 1 had left; its members alone do not let it in."""
    pool = _ifu_rows(_simplest_ifu_row(), _BACKGROUND, _IMPRINT, _BACKGROUND, _IMPRINT)
    rule = catalogue_rule("Asn_Lv2SpecSpecial")
    assert [[r.index for r in member_rows(a)] for a in rule_associations(rule, pool)] == [[0, 1, 3], [2, 3]]
    with pytest.raises(AssertionError, match=r"^association 0 of Asn_Lv2SpecSpecial: member Row\(3, filename="):
        assert_members_satisfy(rule, pool)
    assert_members_satisfy(rule, pool[:3])  # (no imprint after the refused background: it holds)


@laws
@given(mode_rows("nirspec_ifu").filter(lambda r: r["pntgtype"] == "science"),
       st.lists(st.sampled_from((_BACKGROUND, _IMPRINT, _PLAIN)), max_size=6),
       st.sampled_from(("nirspec_ifu", "nirspec_ifu", *MODES)).flatmap(mode_rows), st.integers(0, 6))
def test_spec_special_keeps_the_unrelated_row_law(base, specials, row, at):
    """Its sticky fact is noted only by rows a new association would take."""
    rule, pool = catalogue_rule("Asn_Lv2SpecSpecial"), _ifu_rows(base, *specials)
    assume(is_unrelated(rule, pool, row))
    assert_unrelated_row_changes_nothing(rule, pool, row, at=at)


def test_catalogue_rules_make_associations_on_their_mode_pools():
    """The laws above are not checked on empty lists: each pair makes associations."""
    from hypothesis import find

    for mode, name in CATALOGUE:
        found = find(mode_pools(mode, max_rows=6), lambda p, n=name: bool(rule_associations(catalogue_rule(n), p)),
                     settings=settings(database=None, max_examples=300))
        assert found, (mode, name)


def test_a_one_line_rule_keeps_the_laws_on_nircam_images():
    by_filter = jwst_rule("Asn_NircamByFilter", "image3", "jw{program}-{acid}_{target}_{instrument}_{opt_elem}",
                          all_of(is_image(), is_instrument("nircam"), same_optical_path(), same_target()))

    @few
    @given(mode_pools("nircam_image", max_rows=8), mode_rows("miri_image"))
    def check(pool, row):
        assert_members_satisfy(by_filter, pool)
        assume(is_unrelated(by_filter, pool, row))
        assert_unrelated_row_changes_nothing(by_filter, pool, row)

    check()
