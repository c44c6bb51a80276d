"""Association files decode into the typed Structs and encode back to the same bytes:
every JSON file the reference wrote in the conformance cases (but for ``code_version``,
which is ours when we encode)."""

from __future__ import annotations

import json

import msgspec

from asnfp.io import Level2File, Level3File, dumps_json


def _level_type(data: bytes) -> type:
    asn_type = json.loads(data)["asn_type"]
    return Level2File if asn_type.endswith("2") else Level3File


def test_every_reference_file_round_trips_through_the_structs(conformance_dir):
    checked = 0
    for path in sorted(conformance_dir.glob("cases/*/expected/*_asn.json")):
        data = path.read_bytes()
        decoded = msgspec.json.decode(data, type=_level_type(data))
        again = dumps_json(msgspec.structs.replace(decoded, code_version=json.loads(data)["code_version"]))
        assert again == data, path.name
        checked += 1
    assert checked > 1000
