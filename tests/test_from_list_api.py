"""``asnfp.tools.from_list.from_list`` from Python: its items as the reference's
``asn_from_list(items, rule=..., product_name=..., with_exptype=...)`` reads them.

How the reference reads an item depends on the rule's class (measured on jwst 3.0.0):
``DMS_Level3_Base`` takes a file name, or with ``with_exptype`` unpacks exactly two values;
``DMSLevel2bBase`` takes a file name or a tuple (its first element), and with
``with_exptype`` the tuple's second element as the exptype (``science`` when empty);
``Association`` writes the items as given. What it would write as an invalid file, crash
on, or split into characters is refused here in one line. The byte-for-byte comparison
with the reference is in ``test_tool_from_list.py`` (``ASNFP_REFERENCE``).
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from asnfp.errors import AsnfpError, UsageError
from asnfp.io import Level2File, Level3File
from asnfp.tools.from_list import BARE, LEVEL2B, LEVEL3, BareFile, encode, from_list, product_name_of

PSF_RULES = ["Asn_Lv3AMI", "Asn_Lv3MIRCoron", "Asn_Lv3NRCCoron"]


def _members(f: Level2File | Level3File | BareFile) -> list[tuple[str, str]]:
    assert not isinstance(f, BareFile)
    return [(m.expname, m.exptype) for p in f.products for m in p.members]


# --- Level 3 ------------------------------------------------------------------------------

def test_level3_pairs_become_members_of_their_type() -> None:
    pairs = [("a_cal.fits", "science"), ("d/b_cal.fits", "psf"), ("c.fits", ""), ("e.fits", "SCIENCE")]
    f = from_list(pairs, product_name="P", with_exptype=True)
    assert isinstance(f, Level3File) and [p.name for p in f.products] == ["P"]
    assert _members(f) == pairs  # the exptype as given: empty, or in capitals, too
    assert b'"exptype": "psf"' in encode(f)


def test_level3_takes_a_list_as_a_pair() -> None:
    as_tuples = from_list([("a.fits", "science"), ("b.fits", "psf")], product_name="P", with_exptype=True)
    as_lists = from_list([["a.fits", "science"], ["b.fits", "psf"]], product_name="P", with_exptype=True)
    assert as_lists == as_tuples


@pytest.mark.parametrize("rule", PSF_RULES)
def test_a_psf_member_makes_the_psf_rules_valid(rule: str) -> None:
    with pytest.raises(UsageError, match="validity check 'has_psf'"):
        from_list([("a.fits", "science")], rule=rule, product_name="P", with_exptype=True)
    f = from_list([("a.fits", "science"), ("b.fits", "psf")], rule=rule, product_name="P", with_exptype=True)
    assert f.asn_rule == rule


def test_level3_needs_a_science_member() -> None:
    with pytest.raises(UsageError, match="validity check 'has_science'"):
        from_list([("a.fits", "psf"), ("b.fits", "SCIENCE")], product_name="P", with_exptype=True)


def test_with_exptype_false_is_the_default_and_all_science() -> None:
    files = ["a.fits", "b.fits"]
    assert from_list(files, product_name="P", with_exptype=False) == from_list(files, product_name="P")
    assert from_list(files, product_name="P") == from_list(
        [(f, "science") for f in files], product_name="P", with_exptype=True)


# --- Level 2 ------------------------------------------------------------------------------

def test_level2_pairs_name_products_after_science_members() -> None:
    pairs = [("a_rate.fits", "science"), ("b_rate.fits", "psf"), ("c_rate.fits", "SCIENCE"), ("e_rate.fits", "")]
    f = from_list(pairs, rule=LEVEL2B, with_exptype=True)
    assert isinstance(f, Level2File)
    assert [p.name for p in f.products] == ["a", "undefined", "c", "e"]
    assert _members(f) == [("a_rate.fits", "science"), ("b_rate.fits", "psf"), ("c_rate.fits", "SCIENCE"),
                           ("e_rate.fits", "science")]  # an empty exptype is science


def test_level2_reads_the_first_two_values_of_a_longer_tuple() -> None:
    f = from_list([("a.fits", "science", "x", "y")], rule=LEVEL2B, with_exptype=True)
    assert _members(f) == [("a.fits", "science")]


def test_level2_reads_a_tuple_s_file_name_only_without_with_exptype() -> None:
    tuples = [("a_rate.fits", "psf"), ("b_rate.fits",), ("c_rate.fits", "background", "x")]
    assert from_list(tuples, rule=LEVEL2B) == from_list(["a_rate.fits", "b_rate.fits", "c_rate.fits"], rule=LEVEL2B)


def test_a_background_candidate_is_valid_with_a_background_member() -> None:
    with pytest.raises(UsageError, match="with -i c1000: no member passes its validity check 'allowed_candidates'"):
        from_list([("a.fits", "science")], rule=LEVEL2B, acid="c1000", with_exptype=True)
    f = from_list([("a.fits", "science"), ("b.fits", "BACKGROUND")], rule=LEVEL2B, acid="c1000", with_exptype=True)
    assert [p.name for p in f.products] == ["a", "undefined"]


def test_level2_needs_a_science_member() -> None:
    with pytest.raises(UsageError, match="validity check 'has_science'"):
        from_list([("a.fits", "SCIENCE")], rule=LEVEL2B, with_exptype=True)


# --- the bare association ---------------------------------------------------------------

def test_the_bare_association_writes_items_as_given() -> None:
    items = [("a.fits", "psf"), ["b.fits", "c.fits"], "d.fits", ()]
    f = from_list(items, rule=BARE, with_exptype=True)
    assert f == from_list(items, rule=BARE)  # with_exptype is not read
    assert json.loads(encode(f))["members"] == [["a.fits", "psf"], ["b.fits", "c.fits"], "d.fits", []]
    doc = encode(f, "yaml").decode()
    assert ("members:\n- !!python/tuple\n  - a.fits\n  - psf\n- - b.fits\n  - c.fits\n- d.fits\n"
            "- !!python/tuple []\n") in doc
    assert "members: !!python/tuple\n" in encode(from_list(tuple(items), rule=BARE), "yaml").decode()


# --- one line for each refusal ------------------------------------------------------------

ERRORS = [
    (LEVEL3, ["a.fits", ("b.fits", "psf")], False,
     "files[1] ('b.fits', 'psf'): a Level-3 rule takes a file name (str), not a tuple: pass with_exptype=True "
     "for (expname, exptype) pairs"),
    (LEVEL3, [["a.fits", "science"]], False,
     "files[0] ['a.fits', 'science']: a Level-3 rule takes a file name (str), not a list: pass with_exptype=True "
     "for (expname, exptype) pairs"),
    (LEVEL3, [3], False, "files[0] 3: an int, not a file name (str)"),
    (LEVEL3, [("a.fits", "science"), "ab"], True,
     "files[1] 'ab': with_exptype=True takes (expname, exptype) pairs, not a file name (the reference splits "
     "a string into characters here)"),
    (LEVEL3, [("a.fits",)], True, "files[0] ('a.fits',): with_exptype=True takes (expname, exptype) pairs; "
                                  "this tuple has 1 element"),
    (LEVEL3, [["a.fits", "science", "x"]], True,
     "files[0] ['a.fits', 'science', 'x']: with_exptype=True takes (expname, exptype) pairs; this list has 3 elements"),
    (LEVEL3, [("a.fits", None)], True,
     "files[0] ('a.fits', None): the exptype (second element) is a NoneType, not a str"),
    (LEVEL3, [(3, "science")], True, "files[0] (3, 'science'): the file name (first element) is an int, not a str"),
    (LEVEL3, [{"a.fits": "science"}], True, "files[0] {'a.fits': 'science'}: a dict, not an (expname, exptype) pair"),
    (LEVEL2B, [["a.fits", "science"]], False,
     "files[0] ['a.fits', 'science']: a Level-2 rule takes a file name (str) or a tuple, not a list"),
    (LEVEL2B, [("a.fits", "science"), ["b.fits", "psf"]], True,
     "files[1] ['b.fits', 'psf']: a Level-2 rule takes an (expname, exptype) tuple, not a list"),
    (LEVEL2B, ["a.fits", ()], False, "files[1] (): an empty tuple has no file name"),
    (LEVEL2B, [("a.fits",)], True,
     "files[0] ('a.fits',): a Level-2 rule takes (expname, exptype) tuples; this tuple has 1 element"),
    ("Asn_Lv2Image", ["a.fits"], True,
     "files[0] 'a.fits': with_exptype=True takes (expname, exptype) tuples, not a file name (the reference "
     "splits a string into characters here)"),
    (LEVEL2B, [("a.fits", 3)], True, "files[0] ('a.fits', 3): the exptype (second element) is an int, not a str"),
    (LEVEL2B, [(None, "science")], False,
     "files[0] (None, 'science'): the file name (first element) is a NoneType, not a str"),
    (BARE, ["a.fits", ("b.fits", 3)], False,
     "files[1] ('b.fits', 3): rule 'Association' writes file names (str), or tuples or lists of them, as given"),
    (BARE, [None], True, "files[0] None: rule 'Association' writes file names (str), or tuples or lists of them, "
                         "as given"),
]


@pytest.mark.parametrize(("rule", "items", "with_exptype", "message"), ERRORS)
def test_refusals_are_one_line_naming_the_item(rule: str, items: list[object], with_exptype: bool,
                                               message: str) -> None:
    with pytest.raises(AsnfpError) as caught:
        from_list(items, rule=rule, product_name="P", with_exptype=with_exptype)  # type: ignore[arg-type]
    assert isinstance(caught.value, UsageError)
    assert str(caught.value) == message and "\n" not in message


def test_a_long_or_odd_item_is_shortened_on_one_line() -> None:
    with pytest.raises(UsageError) as caught:
        from_list(["a\nb" * 100, ("x\u2028", "y", "z", "w", "v")], product_name="P", with_exptype=True)
    message = str(caught.value)
    assert message.startswith("files[0] 'a\\nb") and "..." in message and len(message) < 200
    assert "\n" not in message
    with pytest.raises(UsageError) as caught:
        from_list([("x\u2028", "y", "z", "w", "v")], product_name="P", with_exptype=True)
    assert str(caught.value) == ("files[0] ('x\\u2028', 'y', 'z', 'w', ...): with_exptype=True takes "
                                 "(expname, exptype) pairs; this tuple has 5 elements")


def test_rule_level_errors_come_before_the_items() -> None:
    with pytest.raises(UsageError, match=r"^DMS_Level3_Base needs a product name"):
        from_list([3], with_exptype=True)  # type: ignore[list-item]
    with pytest.raises(UsageError, match=r"^-i x1: invalid association id"):
        from_list([3], rule=LEVEL2B, acid="x1")  # type: ignore[list-item]


# --- laws ---------------------------------------------------------------------------------

NAME = st.text(st.characters(min_codepoint=0, max_codepoint=0x30FF, exclude_categories=()), max_size=8)
EXPTYPE = st.one_of(st.sampled_from(["science", "psf", "background", "SCIENCE", "Background", "", "imprint"]),
                    NAME)
PAIRS = st.lists(st.tuples(NAME, EXPTYPE), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(PAIRS, st.booleans())
def test_level3_members_are_the_pairs_when_one_is_science(pairs: list[tuple[str, str]], as_lists: bool) -> None:
    items = [list(pair) for pair in pairs] if as_lists else pairs
    if any(exptype == "science" for _, exptype in pairs):
        assert _members(from_list(items, product_name="P", with_exptype=True)) == pairs
    else:
        with pytest.raises(UsageError, match="validity check 'has_science'"):
            from_list(items, product_name="P", with_exptype=True)


@settings(max_examples=300, deadline=None)
@given(PAIRS)
def test_level2_products_follow_their_members(pairs: list[tuple[str, str]]) -> None:
    if any((exptype or "science") == "science" for _, exptype in pairs):
        f = from_list(pairs, rule=LEVEL2B, with_exptype=True)
        assert isinstance(f, Level2File)
        expected = [(product_name_of(e) if (t or "science").lower() == "science" else "undefined", e, t or "science")
                    for e, t in pairs]
        assert [(p.name, p.members[0].expname, p.members[0].exptype) for p in f.products] == expected
    else:
        with pytest.raises(UsageError, match="validity check 'has_science'"):
            from_list(pairs, rule=LEVEL2B, with_exptype=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(NAME).map(tuple) | st.tuples(NAME, EXPTYPE) | st.tuples(NAME, EXPTYPE, NAME),
                min_size=1, max_size=5))
def test_level2_without_with_exptype_reads_the_file_names_only(tuples: list[tuple[str, ...]]) -> None:
    assert from_list(tuples, rule=LEVEL2B) == from_list([t[0] for t in tuples], rule=LEVEL2B)


@settings(max_examples=200, deadline=None)
@given(st.lists(NAME | st.tuples(NAME, EXPTYPE) | st.lists(NAME, max_size=3), min_size=1, max_size=5),
       st.booleans())
def test_the_bare_association_round_trips_its_items(items: list[str | tuple[str, ...] | list[str]],
                                                    with_exptype: bool) -> None:
    f = from_list(items, rule=BARE, with_exptype=with_exptype)
    assert isinstance(f, BareFile) and list(f.members) == items
    as_lists = [item if isinstance(item, str) else list(item) for item in items]
    assert json.loads(encode(f))["members"] == as_lists
    assert len(yaml.unsafe_load(encode(f, "yaml"))["members"]) == len(items)
