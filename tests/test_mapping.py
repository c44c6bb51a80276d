"""Associations you can index: a generated association, and the file Structs, read as the
``dict`` of the file asnfp writes for them (issue 23, item 2).

The laws, on associations generated from drawn pools of every instrument mode: the
mapping is the file's JSON (keys, order, values), what ``load_asn`` reads back from its
bytes (JSON and YAML), and what ``to_file`` builds; the ``dict`` protocol agrees with
itself; indexing builds fresh values and changes nothing of the association's equality,
hash or pickling."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asnfp.api import associations, rule_name, to_bytes
from asnfp.association import Association, Indexable, Members, Product, create, offer, settled
from asnfp.constraints import attr
from asnfp.io import FileMember, FileProduct, Level2File, Level3File, load_asn, to_file
from asnfp.pool import pool_from_rows
from asnfp.product import Member
from asnfp.row import Row, make_row
from asnfp.rule import Rule
from asnfp.testing import MODES, mode_pools

drawn = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Pools of any one instrument mode, small enough to generate quickly.
any_mode_pools = st.sampled_from(MODES).flatmap(lambda mode: mode_pools(mode, max_rows=8))


def generated(rows: tuple[Row, ...]) -> list[Association]:
    """The pool's associations (a pool that makes none is not a case: rare, all its rows
    acquisitions or the like)."""
    asns = associations(pool_from_rows(rows))
    assume(asns)
    return asns


def written(asn: Association, fmt: str = "json") -> bytes:
    return to_bytes(asn, fmt)[1]


def assert_dict_protocol(asn: Indexable | Level3File | Level2File) -> None:
    """Every way of reading the mapping agrees with ``dict(asn)``."""
    as_dict = dict(asn)
    assert list(asn) == list(as_dict) == list(asn.keys())
    assert len(asn) == len(as_dict) and bool(asn)
    assert list(asn.items()) == list(as_dict.items())
    assert list(asn.values()) == list(as_dict.values())
    for key, value in as_dict.items():
        assert key in asn and key in asn.keys()  # noqa: SIM118 (the view's own test)
        assert asn[key] == value and asn.get(key) == value
    assert "no_such_key" not in asn and asn.get("no_such_key") is None and asn.get("no_such_key", 1) == 1
    with pytest.raises(KeyError):
        asn["no_such_key"]


# --- the laws, on generated associations ------------------------------------------------------


@drawn
@given(any_mode_pools)
def test_an_association_indexes_as_its_written_json(rows: tuple[Row, ...]) -> None:
    for asn in generated(rows):
        from_file = json.loads(written(asn))
        assert dict(asn) == from_file
        assert list(asn) == list(from_file)  # the file's key order
        assert asn["products"][0]["members"][0]["expname"] == from_file["products"][0]["members"][0]["expname"]
        assert_dict_protocol(asn)


@drawn
@given(any_mode_pools)
def test_load_asn_of_the_written_bytes_equals_the_association(rows: tuple[Row, ...]) -> None:
    for asn in generated(rows):
        loaded = load_asn(written(asn))
        assert dict(loaded) == dict(asn) and list(loaded) == list(asn)
        assert loaded.asn_type == asn.rule.asn_type and loaded.asn_id == asn.asn_id
        assert [p.name for p in loaded.products] == [p.name for p in asn.products]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_mode_pools)
def test_load_asn_of_the_written_yaml_equals_the_association(rows: tuple[Row, ...]) -> None:
    for asn in generated(rows):
        assert dict(load_asn(written(asn, "yaml"))) == dict(asn)  # (YAML's keys are sorted)


@drawn
@given(any_mode_pools)
def test_the_mapping_is_what_to_file_builds(rows: tuple[Row, ...]) -> None:
    """The mapping and the encoder's Structs are built apart (the encoder's way is the
    faster): they agree, key order and all, and the Struct indexes alike."""
    for asn in generated(rows):
        asn_file = to_file(asn, rule_name(asn))
        assert msgspec.to_builtins(asn_file) == dict(asn)
        assert list(msgspec.to_builtins(asn_file)) == list(asn)
        assert dict(asn_file) == dict(asn) and list(asn_file) == list(asn)
        assert_dict_protocol(asn_file)


@drawn
@given(any_mode_pools)
def test_indexing_changes_nothing(rows: tuple[Row, ...]) -> None:
    """Each access builds its values afresh; equality and hashing are the association's
    own (of its fields), the same before and after it is indexed."""
    for asn in generated(rows):
        hashed = hash(asn)
        before = dict(asn)
        products = asn["products"]
        products[0]["members"].clear()
        products.append("junk")
        assert dict(asn) == before and hash(asn) == hashed
        assert msgspec.structs.replace(asn) == asn
        assert asn != before and before != asn  # an association equals no dict: compare dict(asn)


# --- cases -------------------------------------------------------------------------------------


def make_member(asn: Association, row: Row) -> Member:
    return Member(row["filename"], "science", row.get("exposerr"), "o001")


def one_product(asn: Association, row: Row) -> Association:
    return msgspec.structs.replace(asn, products=(Product("p"),))


def _rule(level: int) -> Rule:
    """A rule of one product that takes every row (and pickles: no lambda in it)."""
    return Rule(name="R", asn_type=f"t{level}", level=level, constraint=attr("p", "program"),
                make_member=make_member, on_create=one_product)


def test_an_indexed_association_pickles_as_before() -> None:
    """The worker processes pickle associations (their rules by reference): indexing
    leaves nothing behind to pickle."""
    _, asn, _ = create(_rule(3), "candidate", make_row(0, {"filename": "f0", "program": "1"}))
    asn = settled(offer(asn, make_row(1, {"filename": "f1", "program": "1"}))[1])
    fresh = pickle.dumps(asn)
    assert dict(asn)["products"][0]["members"][1]["expname"] == "f1"
    assert pickle.dumps(asn) == fresh
    again = pickle.loads(fresh)  # (its rule and bindings are copies: the workers send rules by reference)
    assert again.products == asn.products and hash(again.products) == hash(asn.products)
    assert dict(again) == dict(asn)


@pytest.mark.parametrize("level", [2, 3])
def test_a_product_grown_past_a_chunk_indexes_whole(level: int) -> None:
    """A product of more than :data:`Members.CHUNK` members holds a growing ``Members``."""
    count = Members.CHUNK * 2 + 5
    _, asn, _ = create(_rule(level), "candidate", make_row(0, {"filename": "f0", "program": "1"}))
    for i in range(1, count):
        asn = offer(asn, make_row(i, {"filename": f"f{i}", "program": "1"}))[1]
    assert isinstance(asn.products[0].members, Members)
    members = asn["products"][0]["members"]
    assert [m["expname"] for m in members] == [f"f{i}" for i in range(count)]
    assert ("asn_candidate" in members[0]) == (level == 3)
    assert dict(load_asn(written(asn))) == dict(asn)


def test_the_written_fields_and_their_order_by_level() -> None:
    level2 = Association(rule=_rule(2), ruleset=None)
    level3 = Association(rule=_rule(3), ruleset="candidate", degraded=True, version_id="v1")
    assert list(level2)[-3:] == ["asn_pool", "target", "products"]
    assert list(level3)[-3:] == ["target", "asn_pool", "products"]
    assert level3["asn_rule"] == "candidate_R" and level3["version_id"] == "v1"
    assert level3["degraded_status"].startswith("One or more members")
    assert len(level2) == len(level3) == 11


@pytest.mark.parametrize("exposerr", [None, "bad", msgspec.UNSET])
def test_a_member_s_exposerr_is_written_unless_unset(exposerr: object) -> None:
    member = Member("x", "science", exposerr, None)  # type: ignore[arg-type]
    asn = Association(rule=_rule(2), ruleset=None, products=(Product("p", (member,)),))
    got = asn["products"][0]["members"][0]
    assert got == ({"expname": "x", "exptype": "science"} if exposerr is msgspec.UNSET
                   else {"expname": "x", "exptype": "science", "exposerr": exposerr})
    assert got == json.loads(written(asn))["products"][0]["members"][0]


def test_an_association_is_true_without_building_anything() -> None:
    built: list[str] = []

    class Counting(Association, frozen=True, kw_only=True):
        def _file_value(self, key: str) -> object:
            built.append(key)
            return super()._file_value(key)

    asn = Counting(rule=_rule(2), ruleset=None)
    assert asn and bool(asn) and "asn_id" in asn and len(asn) == 11 and next(iter(asn)) == "asn_type"
    assert built == []
    assert asn["asn_id"] == "a3001" and built == ["asn_id"]


@pytest.mark.parametrize("make", [
    lambda: Level3File(asn_type="image3", asn_rule="R", products=[FileProduct("p", [FileMember("a", "science")])]),
    lambda: Level2File(asn_type="image2", asn_rule="R", target=msgspec.UNSET, products=[]),
])
def test_a_file_struct_indexes_as_the_file_it_encodes_to(make: Callable[[], Level2File | Level3File]) -> None:
    from asnfp.io import dumps_json

    asn_file = make()
    from_file = json.loads(dumps_json(asn_file))
    assert dict(asn_file) == from_file and list(asn_file) == list(from_file)
    assert_dict_protocol(asn_file)
    assert dict(load_asn(dumps_json(asn_file))) == dict(asn_file)
