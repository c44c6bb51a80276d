#!/usr/bin/env python3
"""The reference's documented Python usage, line by line in asnfp.

Each step shows the lines a jwst 3.0.0 user writes (as comments) and asnfp's lines under
them. Run it from anywhere: ``python examples/port_from_jwst.py`` (with asnfp installed);
it writes into a temporary folder and prints what each step found.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import asnfp
from asnfp.io import dumps_json
from asnfp.tools.from_list import from_list

HERE = Path(__file__).resolve().parent
POOL = HERE / "jw01234_imaging_pool.csv"
MY_RULES = HERE / "nircam_short_by_module.py"


def main() -> None:
    out = Path(tempfile.mkdtemp())

    # from jwst.associations import AssociationPool, AssociationRegistry, generate
    # pool = AssociationPool.read(POOL)
    # rules = AssociationRegistry()
    # asns = generate(pool, rules)
    pool = asnfp.read_pool(POOL)
    asns = asnfp.generate(pool).associations
    print("generate:", len(asns), "associations")

    # rules = AssociationRegistry([MY_RULES], include_default=False)
    # asns = generate(pool, rules)
    mine = asnfp.generate(pool, [str(MY_RULES)], ignore_default=True).associations
    print("my rules:", sorted({a.rule.name for a in mine}))

    # from jwst.associations.main import Main
    # result = Main.cli([str(POOL), "-p", str(out), "--save-orphans", "orphans.csv"])
    # result.associations, result.orphaned
    result = asnfp.generate(POOL)
    result.write(out, orphans="orphans.csv")
    print("Main:", len(result.associations), "associations,", len(result.orphans), "orphans")

    # from jwst.associations import load_asn
    # with open(path) as fp:
    #     asn = load_asn(fp)
    # asn["products"][0]["members"][0]["expname"]
    path = out / asnfp.to_bytes(result.associations[0])[0]
    with open(path) as fp:
        asn = asnfp.load_asn(fp)
    print("load_asn:", asn["asn_type"], asn["products"][0]["members"][0]["expname"])

    # a generated association is indexed the same way, before it is written
    first = result.associations[0]
    same = first["products"][0]["members"][0]["expname"] == asn["products"][0]["members"][0]["expname"]
    print("indexed:", same)

    # from jwst.associations.asn_from_list import asn_from_list
    # asn = asn_from_list([("a_cal.fits", "science"), ("b_cal.fits", "psf")],
    #                     product_name="ami", with_exptype=True, rule=Asn_Lv3AMI)
    # name, serialized = asn.dump()
    made = from_list([("a_cal.fits", "science"), ("b_cal.fits", "psf")], product_name="ami",
                     with_exptype=True, rule="Asn_Lv3AMI")
    serialized = dumps_json(made)
    members = asnfp.load_asn(serialized)["products"][0]["members"]
    print("asn_from_list:", [(m["expname"], m["exptype"]) for m in members])


if __name__ == "__main__":
    main()
