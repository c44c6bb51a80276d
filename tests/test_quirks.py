"""The reference's quirks that shape output, each pinned on the asnfp function that
implements it (../shared/reference/rules.md §0.4, §1.6, §2.7, §1.10, §1.8, §0.2, §7).

Every expected value was checked against jwst 3.0.0 first: pool-level expectations are
what ``asn_generate`` wrote for the same pool written as a ``|`` file (file stem ->
``asn_rule``, ``target``, product name, members); leaf-level ones were checked against
the reference's own constraint classes (``Constraint_IFU``, ``Constraint_Image``,
``Constraint_Optical_Path``), its ``format_product``, ``compare_asns`` and
``AssociationPool.read``, and an ``Asn_Lv2MIRLRSFixedSlitNod`` fed rows one by one.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asnfp.api import associations, rule_name
from asnfp.association import Association, Member, Product, create, offer
from asnfp.constraints import NO_BINDINGS, attr, find, meets_conditions, pinned
from asnfp.finalize import same_association
from asnfp.jwst import RULES, level2, level3
from asnfp.jwst.dms import EMPTY
from asnfp.pool import pool_from_rows, read_pool
from asnfp.row import make_row

from synthetic import cells, synthetic_pool
from synthetic import written as written_for


def row(number: int, **overrides: str):
    return make_row(number - 1, cells(number, **overrides))


def written(*overrides: dict[str, str]) -> dict[str, tuple[str, str, str, list[str]]]:
    """What ``asn_generate`` would write for rows 1, 2, ... with these overrides."""
    return written_for(synthetic_pool(*overrides, name="quirk.csv"))


def by_name(name: str):
    return next(rule for rule in RULES if rule.name == name)


def kinds(asn: Association) -> list[str]:
    return [m.exptype for m in asn.products[0].members]


# ------------------------------------------------------------ (a) alternation anchoring


def test_every_alternative_but_the_last_is_a_prefix_match():
    assert meets_conditions("nrc_imagex", "nrc_image|mir_image")
    assert not meets_conditions("mir_imagex", "nrc_image|mir_image")
    assert meets_conditions("mir_imagex", "nrc_image|mir_image|nis_image")  # a middle one: prefix too
    assert not meets_conditions("xnrc_image", "nrc_image|mir_image")        # re.match: from the start
    assert meets_conditions("NRC_IMAGE", "nrc_image|mir_image")               # case-insensitive
    assert not meets_conditions("s200a1x", "(s200a1|s200a2)")                 # a group is fully anchored


_WORDS = st.text(alphabet="abx_", min_size=1, max_size=4)


@given(st.lists(_WORDS, min_size=1, max_size=4), _WORDS)
def test_alternation_law(alternatives, value):
    """``^a|b|c$`` under ``re.match``: a prefix of some alternative but the last, or
    exactly the last."""
    expected = any(value.startswith(a) for a in alternatives[:-1]) or value == alternatives[-1]
    assert meets_conditions(value, "|".join(alternatives)) == expected


@pytest.mark.parametrize(("leaf", "value", "matched"), [
    # checked with the reference's Constraint_Image and Constraint_IFU
    (level3.image, "nrc_imagex", True), (level3.image, "nrs_mimfx", False),
    (level3.image, "xnrc_image", False), (level3.ifu, "mir_flatmrs-ext", True),
    (level3.ifu, "mir_mrsx", True), (level3.ifu, "nrs_ifux", False), (level3.ifu, "nrc_imagex", False),
])
def test_the_exposure_type_leaves_inherit_the_prefix_matches(leaf, value, matched):
    assert leaf()(NO_BINDINGS, make_row(0, {"exp_type": value})).matched is matched


# ------------------------------------------------------------ (b) pins are re.escape'd


def test_a_pinned_value_is_escaped_and_matched_literally():
    leaf = attr("opt_elem", "filter", invalid=EMPTY)
    b = leaf(NO_BINDINGS, make_row(0, {"filter": "f560w-a.b"})).bindings
    assert b.state(leaf).value == re.escape("f560w-a.b") == r"f560w\-a\.b"
    assert b.state(leaf).found == (r"f560w\-a\.b",)
    assert pinned(b, leaf) == "f560w-a.b"
    assert leaf(b, make_row(1, {"filter": "F560W-A.B"})).matched
    assert not leaf(b, make_row(1, {"filter": "f560w-axb"})).matched  # '.' is no wildcard


def test_a_level3_product_name_shows_the_escaped_filter():
    mir = dict(exp_type="mir_image", instrume="miri", detector="mirimage", filter="f560w-a.b")
    got = written(mir, mir)
    assert got["jw99009-o001_image3_00001"] == (
        "candidate_Asn_Lv3Image", "t001", r"jw99009-o001_t001_miri_f560w\-a\.b",
        ["jw_00001_cal.fits science", "jw_00002_cal.fits science"])
    # Level-2 names come from file names, not from pins
    assert {v[2] for k, v in got.items() if "image2" in k} == {"jw_00001", "jw_00002"}


def test_the_default_product_name_function_reads_the_escaped_found_values():
    _, asn, _ = create(by_name("Asn_Lv3Image"), None, row(1, exp_type="mir_image", instrume="miri",
                                                          detector="mirimage", filter="f560w-a.b"))
    assert level3.product_name(asn) == r"jw99009-a3001_t001_miri_f560w\-a\.b"


# ------------------------------------------------------------ (c) optional leaves


def test_an_optional_leaf_accepts_invalid_values_and_pins_on_the_first_valid_one():
    path = level3.optical_path()
    pupil = find(path, "opt_elem2")
    b = NO_BINDINGS
    results = []
    for value in ("null", "clear", "null", "f162m", "CLEAR"):
        out = path(b, make_row(0, {"filter": "f150w", "pupil": value, "subarray": "full"}))
        results.append((out.matched, pinned(out.bindings, pupil) if out.matched else None))
        b = out.bindings if out.matched else b
    assert results == [(True, None), (True, "clear"), (True, "clear"), (False, None), (True, "clear")]


def test_rows_without_pupil_join_associations_pinned_to_either_pupil():
    """Lv3Image: pupils null, clear, null, f162m. Rows 1-3 make ``clear-f150w``; row 4
    makes ``f150w-f162m`` and the pupil-less rows 1 and 3 join it when re-offered."""
    nrc = dict(exp_type="nrc_image", instrume="nircam", detector="nrca1", filter="f150w")
    got = written(dict(nrc, pupil="null"), dict(nrc, pupil="clear"), dict(nrc, pupil="null"),
                  dict(nrc, pupil="f162m"))
    assert {k: v for k, v in got.items() if "image3" in k} == {
        "jw99009-o001_image3_00001": ("candidate_Asn_Lv3Image", "t001", "jw99009-o001_t001_nircam_f150w-f162m",
                                      ["jw_00004_cal.fits science", "jw_00001_cal.fits science",
                                       "jw_00003_cal.fits science"]),
        "jw99009-o001_image3_00002": ("candidate_Asn_Lv3Image", "t001", "jw99009-o001_t001_nircam_clear-f150w",
                                      ["jw_00001_cal.fits science", "jw_00002_cal.fits science",
                                       "jw_00003_cal.fits science"]),
    }


# ------------------------------------------------------------ (d) the stale imprint check

IFU = dict(exp_type="nrs_ifu", instrume="nirspec", detector="nrs1", filter="f170lp", grating="g235h",
           mostilno="1", bkgdtarg="t")
IMPRINT = dict(IFU, is_imprt="t")


def test_imprint_special_reads_the_last_computed_exposure_type():
    node = level2.imprint_special()
    imprint = row(2, **IMPRINT)
    assert node(NO_BINDINGS, imprint).matched  # a new association has computed nothing
    assert not node(NO_BINDINGS.with_fact(level2.ORIGINAL, "imprint"), imprint).matched
    assert node(NO_BINDINGS.with_fact(level2.ORIGINAL, "background"), imprint).matched


def test_spec_special_refuses_a_second_imprint_until_it_computes_another_type():
    """Example A, row by row; then the same association offered a non-imprint background
    first (refused: it has its science), after which the next imprint is taken."""
    rule = by_name("Asn_Lv2SpecSpecial")
    made, asn, _ = create(rule, "candidate", row(1, **IFU))
    assert made and asn.bindings.fact(level2.ORIGINAL) == "background"
    taken, asn, _ = offer(asn, row(2, **IMPRINT))
    assert taken and kinds(asn) == ["science", "imprint"]
    assert asn.bindings.fact(level2.ORIGINAL) == "imprint"
    taken, after, _ = offer(asn, row(3, **IMPRINT))
    assert not taken and kinds(after) == ["science", "imprint"]

    taken, after, _ = offer(asn, row(3, **IFU))
    assert not taken and kinds(after) == ["science", "imprint"]
    assert after.bindings.fact(level2.ORIGINAL) == "background"  # kept although refused
    taken, after, _ = offer(after, row(4, **IMPRINT))
    assert taken and kinds(after) == ["science", "imprint", "imprint"]


def test_the_stale_check_in_a_pool():
    """Rows: background, imprint, background, imprint. Association 1 takes imprint 2,
    and imprint 4 too, because row 3 was computed in between."""
    assert written(IFU, IMPRINT, IFU, IMPRINT) == {
        "jw99009-o001_spec2_00001": ("candidate_Asn_Lv2SpecImprint", "1", "jw_00004", ["jw_00004_rate.fits science"]),
        "jw99009-o001_spec2_00002": ("candidate_Asn_Lv2SpecSpecial", "1", "jw_00003",
                                     ["jw_00003_rate.fits science", "jw_00004_rate.fits imprint"]),
        "jw99009-o001_spec2_00003": ("candidate_Asn_Lv2SpecImprint", "1", "jw_00002", ["jw_00002_rate.fits science"]),
        "jw99009-o001_spec2_00004": ("candidate_Asn_Lv2SpecSpecial", "1", "jw_00001",
                                     ["jw_00001_rate.fits science", "jw_00002_rate.fits imprint",
                                      "jw_00004_rate.fits imprint"]),
        "jw99009-o001_spec3_00001": ("candidate_Asn_Lv3NRSIFUBackground", "t001", "jw99009-o001_t001_nirspec_g235h",
                                     ["jw_00001_cal.fits science", "jw_00003_cal.fits science"]),
    }


# ------------------------------------------------------------ (e) FixedSlitNod's exptype

LRS = dict(exp_type="mir_lrs-fixedslit", instrume="miri", detector="mirimage", filter="p750l",
           patttype="along-slit-nod")


def test_fixed_slit_nod_exptype_reads_is_current_patt_num_matched():
    rule = by_name("Asn_Lv2MIRLRSFixedSlitNod")
    current = find(rule.constraint, "is_current_patt_num")
    nod = row(1, **LRS, patt_num="1")
    state = NO_BINDINGS.state(current)
    assert rule.exptype(NO_BINDINGS, nod) == "science"
    assert rule.exptype(NO_BINDINGS.with_state(current, state._replace(matched=True)), nod) == "background"
    ta = row(3, **dict(LRS, exp_type="mir_taconfirm", patttype="null"))
    assert rule.exptype(NO_BINDINGS.with_state(current, state._replace(matched=True)), ta) == "target_acquisition"


def test_fixed_slit_nod_keeps_the_last_evaluation_of_is_current_patt_num():
    """Example C's rows fed to one association (as to the reference's class): nod 2 is
    taken as background, yet reported refused (force_match); the TA confirm never reaches
    ``is_current_patt_num``, which stays matched, so the association's own science now
    reads as background."""
    rule = by_name("Asn_Lv2MIRLRSFixedSlitNod")
    current = find(rule.constraint, "is_current_patt_num")
    nod1 = row(1, **LRS, patt_num="1")
    made, asn, _ = create(rule, "candidate", nod1)
    assert made and asn.bindings.state(current).matched is False
    taken, asn, _ = offer(asn, row(2, **LRS, patt_num="2"))
    assert (taken, kinds(asn), asn.bindings.state(current).matched) == (False, ["science", "background"], True)
    taken, asn, _ = offer(asn, row(3, **dict(LRS, exp_type="mir_taconfirm", patttype="null")))
    assert (taken, kinds(asn)) == (False, ["science", "background", "target_acquisition"])
    assert asn.bindings.state(current).matched is True
    assert rule.exptype(asn.bindings, nod1) == "background"


# ------------------------------------------------------------ (f) literal placeholders


@pytest.mark.parametrize(("template", "values", "expected"), [
    # each checked with the reference's rules_level3_base.format_product
    ("jw{program}_{source_id}", dict(program="00001"), "jw00001_{source_id}"),
    ("{a}", dict(a="x", m="3", z="1", b="2"), "x_2_3_1"),
    ("{a}-{b}", dict(a="x", b=None), "x-"),
    ("{a}", dict(a="x", z="1", m=None), "x_1"),
    ("{existing}-{detector}_{suffix}-{expspcin}", dict(existing="E", detector="nrca1", expspcin="5"),
     "E-nrca1_{suffix}-05"),
])
def test_fill_is_the_partial_formatter(template, values, expected):
    assert level3.fill(template, **values) == expected


NIRSPEC = dict(instrume="nirspec", detector="nrs1", filter="f290lp", grating="g395m")
WFSC = dict(instrume="nircam", detector="nrca1", exp_type="nrc_image", filter="f212n", pupil="wlp8",
            patttype="wfsc", visitype="prime_wfsc_sensing_only", act_id="5")


@pytest.mark.parametrize(("rows", "rule", "function", "name"), [
    ([dict(NIRSPEC, exp_type="nrs_msaspec", msametfl="jw99009001001_01_msa.fits", expspcin="1")],
     "Asn_Lv3SpectralSource", level3.product_name_sources, "jw99009-o001_{source_id}_nirspec_f290lp-g395m"),
    ([dict(NIRSPEC, exp_type="nrs_fixedslit", grating="g395h", fxd_slit="s200a1", subarray="subs200a1",
           expspcin="1", numdthpt="1", subpxpts="1", patt_num="1")],
     "Asn_Lv3NRSFSS", level3.product_name_nrsfs_sources,
     "jw99009-o001_t001-{source_id}_nirspec_f290lp-g395h-{slit_name}-subs200a1"),
    ([WFSC, WFSC], "Asn_Lv3WFSCMB", level3.product_name_wfscmb,
     "jw99009-o001_t001_nircam_f212n-wlp8-nrca1_{suffix}-05"),
], ids=["sources", "nrsfs_sources", "wfscmb"])
def test_product_names_keep_the_literal_placeholders(rows, rule, function, name):
    pool = pool_from_rows([cells(n, **o) for n, o in enumerate(rows, 1)], name="quirk.csv")
    (asn,) = [a for a in associations(pool) if a.rule.name == rule]
    assert asn.rule.product_name is function
    assert function(asn) == asn.products[0].name == name


# ------------------------------------------------------------ (g) a3001 and candidate letters


def test_every_discovered_association_is_a3001():
    mrs = dict(exp_type="mir_mrs", instrume="miri", detector="mirifushort", band="short", channel="12")
    got = written(mrs, dict(mrs, obs_num="2", asn_candidate="[('o002', 'observation')]"),
                  dict(mrs, targetid="2", obs_num="3", asn_candidate="[('o003', 'observation')]"),
                  dict(mrs, targetid="2", obs_num="4", asn_candidate="[('o004', 'observation')]"))
    assert {k: v for k, v in got.items() if "a3001" in k} == {
        "jw99009-a3001_spec3_00001": ("discover_Asn_Lv3MIRMRS", "t002", "jw99009-a3001_t002_miri",
                                      ["jw_00003_cal.fits science", "jw_00004_cal.fits science"]),
        "jw99009-a3001_spec3_00002": ("discover_Asn_Lv3MIRMRS", "t001", "jw99009-a3001_t001_miri",
                                      ["jw_00001_cal.fits science", "jw_00002_cal.fits science"]),
    }
    assert all(v[0].startswith("candidate_") for k, v in got.items() if "a3001" not in k)


def test_a_rule_without_its_candidate_leaf_makes_a3001():
    made, asn, _ = create(by_name("Asn_Lv3MIRMRS"), "discover", row(1, exp_type="mir_mrs", instrume="miri"))
    assert made and (asn.asn_id, asn.acid_type) == ("a3001", "DISCOVERED")
    assert asn.products[0].name == "jw99009-a3001_t001_miri"


def _level2(asn_id: str) -> Association:
    member = Member("jw_00001_rate.fits", "science", None, None)
    return Association(rule=by_name("Asn_Lv2Image"), ruleset=None, asn_id=asn_id,
                       products=(Product("jw_00001", (member,)),))


@pytest.mark.parametrize(("left", "right", "same"), [
    # as the reference's compare_asns: only the first letter of asn_id counts
    ("o001", "o001", True), ("o001", "o002", True), ("c1000", "c1001", True),
    ("o001", "a3001", False), ("c1000", "a3001", False), ("o001", "c1000", False),
])
def test_same_association_compares_the_first_letter_of_the_ids(left, right, same):
    assert same_association(_level2(left), _level2(right)) is same
    assert same_association(_level2(right), _level2(left)) is same


# ------------------------------------------------------------ (h) the truncated null fill


def test_reading_fills_empty_cells_with_null_cut_to_the_column_width(tmp_path):
    p = tmp_path / "pool.csv"
    p.write_text("filename|empty|two|abc|long\n"
                 "jw_1_uncal.fits||ab|xyz|abcdefgh\n"
                 "jw_2_uncal.fits||||\n")
    assert [dict(r) for r in read_pool(p).rows] == [
        {"filename": "jw_1_uncal.fits", "empty": "n", "two": "ab", "abc": "xyz", "long": "abcdefgh"},
        {"filename": "jw_2_uncal.fits", "empty": "n", "two": "nu", "abc": "nul", "long": "null"},
    ]


_PSF_POOL = """\
filename|program|obs_num|exp_type|pntgtype|instrume|detector|filter|subarray|targetid|visitype|is_psf|asn_candidate
jw_00001_uncal.fits|99009|1|mir_image|science|miri|mirimage|f560w|full|1|prime_targeted_fixed||[('o001', 'observation')]
jw_00002_uncal.fits|99009|1|mir_image|science|miri|mirimage|f560w|full|1|prime_targeted_fixed|{0}|[('o001', 'observation')]
jw_00003_uncal.fits|99009|1|mir_image|science|miri|mirimage|f560w|full|1|prime_targeted_fixed|{0}|[('o001', 'observation')]
"""  # noqa: E501  (the pool's lines as its file holds them)


@pytest.mark.parametrize(("others", "first"), [("n/a", "psf"), ("", "science")])
def test_an_empty_cell_in_a_width_3_column_reads_nul_which_is_a_value(tmp_path, others, first):
    """``is_psf`` empty in row 1: beside ``n/a`` cells it reads ``nul`` (valid: a PSF);
    in an all-empty column it reads ``n`` (absent)."""
    p = tmp_path / "pool.csv"
    p.write_text(_PSF_POOL.format(others))
    pool = read_pool(p)
    assert pool.rows[0]["is_psf"] == ("nul" if others else "n")
    (image3,) = [a for a in associations(pool) if a.rule.name == "Asn_Lv3Image"]
    assert [f"{m.expname} {m.exptype}" for m in image3.products[0].members] == [
        f"jw_00001_cal.fits {first}", "jw_00002_cal.fits science", "jw_00003_cal.fits science"]
    special = sorted(rule_name(a) for a in associations(pool) if a.rule.level == 2)
    assert special == (["candidate_Asn_Lv2Image"] * 2 + ["candidate_Asn_Lv2ImageSpecial"] if others
                       else ["candidate_Asn_Lv2Image"] * 3)


@given(st.lists(st.sampled_from(["science", "background", "imprint"]), min_size=1, max_size=8),
       st.sampled_from(["background", "observation"]), st.booleans())
def test_allowed_candidates_as_members_come_is_the_reference_full_scan(kinds, acid_type, before_append):
    """Level-2 ``allowed_candidates`` reads only the newest member: validity checks run as
    each member comes, until one passes, so every earlier member was seen already. The
    result must be the reference's scan of every member (or every earlier one, when the
    rule validates before appending)."""
    from msgspec.structs import replace as struct_replace

    from asnfp.association import is_valid
    from asnfp.constraints import always
    from asnfp.row import make_row
    from asnfp.rule import Check, Rule

    rule = Rule(name="R", asn_type="image2", level=2, constraint=always(),
                make_member=lambda asn, row: Member(row["filename"], row["kind"], None, None, row),
                on_create=lambda asn, row: struct_replace(asn, products=(Product("p"),), acid_type=acid_type),
                validity=(Check("allowed", level2.allowed_candidates),), check_before_append=before_append)
    rows = [make_row(i, {"filename": f"f{i}", "kind": kind}) for i, kind in enumerate(kinds)]
    _, asn, _ = create(rule, None, rows[0])
    for row in rows[1:]:
        _, asn, _ = offer(asn, row)
    seen = kinds[:-1] if before_append else kinds  # validated before it is appended: the last is unseen
    assert is_valid(asn) == (acid_type == "observation" or "background" in seen)


@given(st.text(alphabet="ab./_-", min_size=1, max_size=10))
def test_level2_product_names_cut_the_extension_as_a_posix_path_does(name):
    from pathlib import PurePosixPath

    from asnfp.jwst.level2 import _without_extension

    path = PurePosixPath(name)
    assert _without_extension(name) == (str(path.parent / path.stem) if str(path.parent) != "." else path.stem)
