"""Level-3 rules: exposures combined into one product (``image3``, ``spec3``, ...).

Every science rule wraps its own constraint ``R`` in :func:`science`: same program and
instrument, no imprints, and either ``R`` (collecting the observation numbers) or a
target acquisition of an observation the association already holds.

>>> [r.name for r in RULES]
['Asn_Lv3ACQ_Reprocess', 'Asn_Lv3Image', 'Asn_Lv3ImageBackground', 'Asn_Lv3ImageMosaic']
"""

from __future__ import annotations

from msgspec.structs import replace

from asnfp.association import Association, Member, Product, current_product, is_valid
from asnfp.constraints import (
    Bindings,
    Category,
    Constraint,
    Leaf,
    Node,
    all_of,
    always,
    any_of,
    find,
    value_leaf,
)
from asnfp.jwst.dms import EMPTY, cell, exposure_type, level2b_name, pad_program
from asnfp.jwst.level2 import integrations
from asnfp.jwst.shared import (
    HAS_SCIENCE,
    ACDIRECT,
    Exptype,
    dms,
    not_bkgd_or_tso,
    not_tso,
    target_acq,
)
from asnfp.naming import acid_from, first_found
from asnfp.row import Row
from asnfp.rule import Check, Rule

__all__ = (
    "LEVEL3",
    "RULES",
    "science",
    "optical_path",
    "target",
    "image",
    "wfs_visit",
    "aux_exptype",
    "product_name",
    "opt_element",
    "MULTI_OBS_AC_TYPES",
)

MULTI_OBS_AC_TYPES = ("group", "background", "mosaic")


# --------------------------------------------------------------------------- exposure types


def level3_exptype(bindings: Bindings, row: Row) -> str:
    """The DMS exposure type as it is (psf, background, autoflat... stay)."""
    return exposure_type(row)


def aux_exptype(bindings: Bindings, row: Row) -> str:
    """Auxiliary data (backgrounds combined on their own): all science but acquisitions.

    >>> aux_exptype(NO_BINDINGS, make_row(0, {"exp_type": "mir_image", "bkgdtarg": "t"}))
    'science'
    """
    kind = exposure_type(row)
    return kind if kind == "target_acquisition" else "science"


# --------------------------------------------------------------------------- constraints


def optical_path() -> Node:
    """Same filter, pupil/grating and fixed slit (each pinned when valid) and subarray;
    ``s200a1`` and ``s200a2`` slits may mix.

    >>> op = optical_path()
    >>> first = op(NO_BINDINGS, make_row(0, {"filter": "f560w", "fxd_slit": "s200a1", "subarray": "full"}))
    >>> [op(first.bindings, make_row(1, {"filter": f, "fxd_slit": s, "subarray": "full"})).matched
    ...  for f, s in (("f560w", "s200a2"), ("f770w", "s200a1"))]
    [True, False]
    """
    return all_of(
        dms("opt_elem", "filter", required=False),
        dms("opt_elem2", ("pupil", "grating"), required=False),
        any_of(
            dms("fxd_slit2", "fxd_slit", ["s200a1|s200a2"], pins=False, required=False),
            dms("fxd_slit", "fxd_slit", required=False),
        ),
        dms("subarray", "subarray"),
    )


def target(exptype: Exptype | None = None) -> Node:
    """Same target; ``000`` inside a direct-image candidate. Given the rule's
    ``exptype``, background rows skip the check and matches are re-offered to the rule's
    existing associations.

    >>> t = target()
    >>> first = t(NO_BINDINGS, make_row(0, {"targetid": "1"}))
    >>> [t(first.bindings, make_row(1, {"targetid": i})).matched for i in ("1", "2")]
    [True, False]
    """
    if exptype is None:
        by_id = dms("target", "targetid")
    else:
        by_id = dms("target", "targetid",
                    onlyif=lambda b, row: exptype(b, row) != "background",
                    reprocess=Category.EXISTING)
    return any_of(
        all_of(dms("acdirect", "asn_candidate", ACDIRECT),
               value_leaf("target", lambda b, row: "000", label="target=000")),
        by_id,
    )


def image() -> Leaf:
    """An imaging exposure type (pins).

    >>> i = image()
    >>> first = i(NO_BINDINGS, make_row(0, {"exp_type": "mir_image"}))
    >>> first.matched, [i(first.bindings, make_row(1, {"exp_type": e})).matched for e in ("mir_image", "nrc_image", "mir_mrs")]
    (True, [True, False, False])
    """
    return dms("exp_type", "exp_type", "nrc_image|mir_image|nis_image|fgs_image|nrs_mimf")


def wfs_visit() -> Leaf:
    """A visit type without ``wfsc`` (pins: prime and parallel visits do not mix).

    >>> [wfs_visit()(NO_BINDINGS, make_row(0, {"visitype": v})).matched
    ...  for v in ("prime_targeted_fixed", "prime_wfsc_sensing")]
    [True, False]
    """
    return dms("wfsvisit", "visitype", "((?!wfsc).)*", required=False)


def science(rule_constraint: Constraint) -> Node:
    """Wrap a rule's own constraint as every Level-3 science rule is wrapped.

    >>> s = science(dms("opt_elem", "filter"))
    >>> row = {"program": "1", "instrume": "miri", "exp_type": "mir_image", "filter": "f560w"}
    >>> [s(NO_BINDINGS, make_row(0, {**row, **more})).matched for more in ({}, {"is_imprt": "t"}, {"filter": "null"})]
    [True, False, False]
    """
    obs_num = dms("obs_num", "obs_num", pins=False, required=False)

    def obs_nums_seen(bindings: Bindings) -> str:
        return "(" + "|".join(bindings.state(obs_num).found) + ")"

    return all_of(
        all_of(dms("program", "program"), dms("instrument", "instrume"), name="base"),
        dms(None, "is_imprt", force_undefined=True),
        any_of(
            all_of(rule_constraint, obs_num, name="rule"),
            all_of(target_acq(), dms("acq_obsnum", "obs_num", obs_nums_seen, pins=False),
                   name="acq_constraint"),
            name="acq_check",
        ),
        name="dmsbase_top",
    )


# --------------------------------------------------------------------------- names


def _found(asn: Association, name: str) -> list[str]:
    leaf = find(asn.rule.constraint, name)
    if not isinstance(leaf, Leaf):
        return []
    return [str(v) for v in asn.bindings.state(leaf).found]


def _present(asn: Association, name: str) -> bool:
    return isinstance(find(asn.rule.constraint, name), Leaf)


def opt_element(asn: Association) -> str:
    """The optical elements' found values, each group sorted, joined with ``-``;
    ``clear`` when there are none.

    >>> from asnfp.association import create
    >>> row = make_row(0, dict(filename="jw_1_uncal.fits", program="1", instrume="nircam", exp_type="nrc_image",
    ...                        pntgtype="science", targetid="1", filter="f150w", pupil="clear", subarray="full",
    ...                        asn_candidate="null"))
    >>> opt_element(create(RULES[1], "candidate", row)[1]), opt_element(Association(rule=LEVEL3, ruleset=None))
    ('clear-f150w', 'clear')
    """
    parts = []
    for name in ("opt_elem", "opt_elem2"):
        if _present(asn, name):
            value = "-".join(sorted(_found(asn, name), key=str.lower))
            if value not in EMPTY:
                parts.append(value)
    return "-".join(sorted(parts, key=str.lower)) or "clear"


def slit_name(asn: Association) -> str:
    """The fixed slits' found values, sorted and joined with ``-`` (empty if none)."""
    parts: list[str] = []
    for name in ("fxd_slit", "fxd_slit2"):
        if _present(asn, name):
            value = "-".join(sorted(_found(asn, name), key=str.lower))
            if value not in EMPTY and value not in parts:
                parts.append(value)
    return "-".join(sorted(parts, key=str.lower))


def subarray(asn: Association) -> str:
    """The subarray found, unless it is ``full`` (empty then)."""
    if not _present(asn, "subarray"):
        return ""
    value = "-".join(_found(asn, "subarray"))
    return "" if value == "full" else value


def target_name(asn: Association) -> str:
    """``t`` and the target id padded to three digits (``t000`` when none was found)."""
    found = first_found(asn.bindings, asn.rule.constraint, "target")
    return f"t{'-'.join(str(v) for v in found):0>3s}"


def product_name(asn: Association) -> str:
    """``jw{program}-{acid}_{target}_{instrument}_{opt_elem}[-{slit}][-{subarray}]``.

    >>> from asnfp.association import create
    >>> row = make_row(0, dict(filename="jw_1_uncal.fits", program="1", instrume="miri", exp_type="mir_image",
    ...                        pntgtype="science", targetid="1", filter="f560w", subarray="sub64", asn_candidate="null"))
    >>> made, asn, _ = create(RULES[1], "candidate", row)
    >>> made, product_name(asn)
    (True, 'jw00001-a3001_t001_miri_f560w-sub64')
    """
    slit, sub = slit_name(asn), subarray(asn)
    instrument = "-".join(_found(asn, "instrument"))
    return (
        f"jw{asn.program}-{asn.asn_id}_{target_name(asn)}_{instrument}_{opt_element(asn)}"
        f"{'-' + slit if slit else ''}{'-' + sub if sub else ''}"
    ).lower()


# --------------------------------------------------------------------------- behaviour


def _refresh(asn: Association) -> Association:
    acid = acid_from(asn.bindings, asn.rule.constraint)
    asn = replace(asn, asn_id=acid.id, acid_type=acid.type, target=target_name(asn))
    product = current_product(asn)
    named = replace(product, name=asn.rule.product_name(asn))
    return replace(asn, products=(*asn.products[:-1], named))


def _on_create(asn: Association, row: Row) -> Association:
    asn = replace(asn, program=pad_program(cell(row, "program")), asn_pool=row.meta.name,
                  products=(Product(""),))
    return _refresh(asn)


def _on_add(asn: Association, row: Row) -> Association:
    member = current_product(asn).members[-1]
    degraded = asn.degraded or (member.exposerr is not None and member.exposerr not in EMPTY)
    return _refresh(replace(asn, degraded=degraded))


def _make_member(asn: Association, row: Row) -> Member:
    exptype = asn.rule.exptype(asn.bindings, row)
    name = level2b_name(cell(row, "filename"), cell(row, "exp_type"), exptype,
                        integrations=integrations(asn, row))
    return Member(name, exptype, row.cells.get("exposerr"), cell(row, "asn_candidate"), row)


def _is_type_mosaic(asn: Association, member: Member) -> bool:
    return asn.acid_type.lower() == "mosaic"


def science_finalize(asn: Association) -> tuple[Association, ...] | None:
    """Drop group, background and mosaic candidates that saw a single observation;
    keep valid associations."""
    if asn.acid_type.lower() in MULTI_OBS_AC_TYPES and len(_found(asn, "obs_num")) <= 1:
        return None
    return (asn,) if is_valid(asn) else None


LEVEL3 = Rule(
    name="Level3",
    asn_type="image3",
    level=3,
    constraint=always(),
    exptype=level3_exptype,
    make_member=_make_member,
    on_create=_on_create,
    on_add=_on_add,
    product_name=product_name,
    validity=(HAS_SCIENCE,),
    finalize=science_finalize,
    check_before_append=True,
)


def _science_rule(name: str, asn_type: str, own: Constraint, *,
                  exptype: Exptype = level3_exptype, checks: tuple[Check, ...] = ()) -> Rule:
    return replace(LEVEL3, name=name, asn_type=asn_type, exptype=exptype,
                   constraint=science(own), validity=LEVEL3.validity + checks)


def _acq_reprocess() -> Rule:
    never = value_leaf("force_fail", lambda b, row: row, "anything but None",
                       test=lambda _a, _b: False, on_fail=True,
                       work_over=Category.NONSCIENCE, rules=(), label="force_fail")
    return replace(LEVEL3, name="Asn_Lv3ACQ_Reprocess", constraint=all_of(target_acq(), never))


def _image() -> Rule:
    return _science_rule("Asn_Lv3Image", "image3", all_of(
        optical_path(), target(level3_exptype), image(), wfs_visit(), not_bkgd_or_tso()))


def _image_background() -> Rule:
    return _science_rule("Asn_Lv3ImageBackground", "image3", all_of(
        optical_path(), target(aux_exptype), image(), wfs_visit(),
        dms("bkgdtarg", "bkgdtarg"), not_tso()), exptype=aux_exptype)


def _image_mosaic() -> Rule:
    return _science_rule("Asn_Lv3ImageMosaic", "image3", all_of(
        optical_path(), image(), wfs_visit(), not_bkgd_or_tso()),
        checks=(Check("is_type_mosaic", _is_type_mosaic),))


RULES: tuple[Rule, ...] = (_acq_reprocess(), _image(), _image_background(), _image_mosaic())

from asnfp.constraints import NO_BINDINGS  # noqa: E402  (doctest namespace)
from asnfp.row import make_row  # noqa: E402,F401
