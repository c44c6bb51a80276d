"""The Level-3 base behaviour: exposure types, the constraints rules share, product
names, the hooks and checks, :data:`LEVEL3` and :func:`science_rule` (the rules
themselves are values in :mod:`asnfp.jwst.level3.rules`).

Every science rule wraps its own constraint ``R`` in :func:`science`: same program and
instrument, no imprints, and either ``R`` (collecting the observation numbers) or a
target acquisition of an observation the association already holds.

>>> LEVEL3.name, LEVEL3.level, [c.name for c in LEVEL3.validity]
('Level3', 3, ['has_science'])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from msgspec.structs import replace

from asnfp.association import Association, Member, Product, current_product, is_valid
from asnfp.caches import forgettable
from asnfp.constraints import (
    AttrLeaf,
    Bindings,
    Category,
    Constraint,
    Leaf,
    Node,
    all_of,
    always,
    any_of,
    find,
    made_by,
)
from asnfp.finalize import exposure_name
from asnfp.jwst.dms import EMPTY, cell, exposure_type, level2b_name, pad_program
from asnfp.jwst.shared import HAS_SCIENCE, Exptype, dms, exptype_is_science, integrations, target_acq
from asnfp.naming import acid_from, first_found
from asnfp.row import Row
from asnfp.rule import Check, Rule, candidate_type_check

__all__ = (
    "LEVEL3",
    "science",
    "optical_path",
    "image",
    "wfs_visit",
    "level3_exptype",
    "aux_exptype",
    "product_name",
    "opt_element",
    "slit_name",
    "subarray",
    "target_name",
    "MULTI_OBS_AC_TYPES",
    "science_target",
    "ifu",
    "msa",
    "fill",
    "product_name_noopt",
    "product_name_sources",
    "product_name_nrsfs_sources",
    "product_name_coronimage",
    "product_name_wfss",
    "product_name_wfscmb",
    "HAS_PSF",
    "IS_TYPE_OBSERVATION",
    "HAS_PAIR",
    "IS_NOT_GROUP",
    "science_finalize",
    "fixedslit_background",
    "science_rule",
    "name_parts",
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
    return made_by(all_of(
        dms("opt_elem", "filter", required=False),
        dms("opt_elem2", ("pupil", "grating"), required=False),
        any_of(
            dms("fxd_slit2", "fxd_slit", ["s200a1|s200a2"], pins=False, required=False),
            dms("fxd_slit", "fxd_slit", required=False),
        ),
        dms("subarray", "subarray"),
    ), "optical_path")


def image() -> AttrLeaf:
    """An imaging exposure type (pins).

    >>> i = image()
    >>> first = i(NO_BINDINGS, make_row(0, {"exp_type": "mir_image"}))
    >>> first.matched, [i(first.bindings, make_row(1, {"exp_type": e})).matched
    ...                 for e in ("mir_image", "nrc_image", "mir_mrs")]
    (True, [True, False, False])
    """
    return made_by(dms("exp_type", "exp_type", "nrc_image|mir_image|nis_image|fgs_image|nrs_mimf"), "image")


def wfs_visit() -> AttrLeaf:
    """A visit type without ``wfsc`` (pins: prime and parallel visits do not mix).

    >>> [wfs_visit()(NO_BINDINGS, make_row(0, {"visitype": v})).matched
    ...  for v in ("prime_targeted_fixed", "prime_wfsc_sensing")]
    [True, False]
    """
    return made_by(dms("wfsvisit", "visitype", "((?!wfsc).)*", required=False), "wfs_visit")


def science(rule_constraint: Constraint) -> Node:
    """Wrap a rule's own constraint as every Level-3 science rule is wrapped.

    >>> s = science(dms("opt_elem", "filter"))
    >>> row = {"program": "1", "instrume": "miri", "exp_type": "mir_image", "filter": "f560w"}
    >>> [s(NO_BINDINGS, make_row(0, {**row, **more})).matched for more in ({}, {"is_imprt": "t"}, {"filter": "null"})]
    [True, False, False]
    """
    obs_num = dms("obs_num", "obs_num", pins=False, required=False)

    def obs_nums_seen(bindings: Bindings) -> str:
        return "(" + "|".join(bindings.state(obs_num).found) + ")"  # type: ignore[arg-type]  # (an attribute leaf finds texts)

    return made_by(all_of(
        all_of(dms("program", "program"), dms("instrument", "instrume"), name="base"),
        dms(None, "is_imprt", force_undefined=True),
        any_of(
            all_of(rule_constraint, obs_num, name="rule"),
            all_of(target_acq(), dms("acq_obsnum", "obs_num", obs_nums_seen, pins=False),
                   name="acq_constraint"),
            name="acq_check",
        ),
        name="dmsbase_top",
    ), "science", rule_constraint)


def science_target(exptype: Exptype) -> AttrLeaf:
    """Same target for science rows (by the rule's ``exptype``); PSFs and other rows
    skip the check. Matches are re-offered to the rule's existing associations.

    >>> t = science_target(level3_exptype)
    >>> first = t(NO_BINDINGS, make_row(0, {"exp_type": "nis_ami", "targetid": "1"}))
    >>> [t(first.bindings, make_row(1, {"exp_type": "nis_ami", "targetid": "2", **more})).matched
    ...  for more in ({}, {"is_psf": "t"})]
    [False, True]
    """
    return made_by(dms("target", "targetid", onlyif=exptype_is_science(exptype), reprocess=Category.EXISTING),
                   "science_target", exptype)


def ifu() -> AttrLeaf:
    """An integral-field exposure type (never pins).

    >>> [ifu()(NO_BINDINGS, make_row(0, {"exp_type": e})).matched
    ...  for e in ("nrs_ifu", "mir_flatmrs-ext", "nrs_msaspec")]
    [True, True, False]
    """
    return made_by(dms("exp_type", "exp_type", "mir_mrs|mir_flatmrs|nrs_autowave|nrs_ifu", pins=False), "ifu")


def msa() -> Node:
    """NIRSpec MSA spectroscopy with a metafile (named ``msa_spectral``; never pins).

    >>> [msa()(NO_BINDINGS, make_row(0, {"exp_type": "nrs_msaspec", "msametfl": m})).matched
    ...  for m in ("x.fits", "null")]
    [True, False]
    """
    return made_by(all_of(dms("exp_type", "exp_type", "nrs_msaspec", pins=False),
                          dms("is_msa", "msametfl", pins=False), name="msa_spectral"), "msa")


def _negated(predicate: Callable[[Row], bool]) -> Callable[[Row], bool]:
    def negation(row: Row) -> bool:
        return not predicate(row)

    negation.__name__ = f"not_{predicate.__name__}"
    return negation


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
    >>> from asnfp.jwst.level3.rules import ASN_LV3_IMAGE
    >>> row = make_row(0, dict(filename="jw_1_uncal.fits", program="1", instrume="nircam", exp_type="nrc_image",
    ...                        pntgtype="science", targetid="1", filter="f150w", pupil="clear", subarray="full",
    ...                        asn_candidate="null"))
    >>> (opt_element(create(ASN_LV3_IMAGE, "candidate", row)[1]),
    ...  opt_element(Association(rule=LEVEL3, ruleset=None)))
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


def name_parts(asn: Association, *names: str) -> dict[str, str]:
    """The product-name fields ``names`` of an association (``program``, ``acid``,
    ``target``, ``instrument``, ``opt_elem``, ``slit_name``, ``subarray``).

    >>> from asnfp.association import create
    >>> from asnfp.jwst.level3.rules import ASN_LV3_IMAGE
    >>> asn = create(ASN_LV3_IMAGE, None, _demo(instrume="miri", exp_type="mir_image", filter="f560w"))[1]
    >>> name_parts(asn, "target", "opt_elem", "subarray")
    {'target': 't001', 'opt_elem': 'f560w', 'subarray': ''}
    """
    slit, sub = slit_name(asn), subarray(asn)
    every = {
        "program": asn.program,
        "acid": asn.asn_id,
        "target": target_name(asn),
        "instrument": "-".join(_found(asn, "instrument")),
        "opt_elem": opt_element(asn),
        "slit_name": "-" + slit if slit else "",
        "subarray": "-" + sub if sub else "",
    }
    return {name: every[name] for name in names}


_DEFAULT = "jw{program}-{acid}_{target}_{instrument}_{opt_elem}{slit_name}{subarray}"
_FIELD = re.compile(r"\{(\w+)\}")
_PREFORMAT: dict[str, Callable[[str], str]] = {"expspcin": lambda v: f"{v:0>2s}"}


def fill(template: str, **values: str | None) -> str:
    """Fill the ``{name}`` fields of ``template`` as the reference's partial formatter
    does: a field given no value stays as it is, a ``None`` value gives nothing, values
    without a field are appended (sorted by name, each after ``_``), and ``expspcin`` is
    zero-padded to two characters.

    >>> fill("jw{program}_{source_id}", program="00001")
    'jw00001_{source_id}'
    >>> fill("{a}", a="x", z="1", expspcin="5")
    'x_05_1'
    """
    given = {k: (v if v is None or k not in _PREFORMAT else _PREFORMAT[k](v)) for k, v in values.items()}
    used: set[str] = set()

    def one(match: re.Match[str]) -> str:
        used.add(match.group(1))
        value = given.get(match.group(1), match.group(0))
        return "" if value is None else value

    text = _FIELD.sub(one, template)
    extra = [v for k, v in sorted(given.items()) if k not in used and v is not None]
    return "_".join([text, *extra])


def product_name(asn: Association) -> str:
    """``jw{program}-{acid}_{target}_{instrument}_{opt_elem}[-{slit}][-{subarray}]``.

    >>> from asnfp.association import create
    >>> from asnfp.jwst.level3.rules import ASN_LV3_IMAGE
    >>> row = make_row(0, dict(filename="jw_1_uncal.fits", program="1", instrume="miri", exp_type="mir_image",
    ...                        pntgtype="science", targetid="1", filter="f560w", subarray="sub64",
    ...                        asn_candidate="null"))
    >>> made, asn, _ = create(ASN_LV3_IMAGE, "candidate", row)
    >>> made, product_name(asn)
    (True, 'jw00001-a3001_t001_miri_f560w-sub64')
    """
    return _DEFAULT.format(**name_parts(asn, "program", "acid", "target", "instrument", "opt_elem",
                                     "slit_name", "subarray")).lower()


def product_name_noopt(asn: Association) -> str:
    """``jw{program}-{acid}_{target}_{instrument}``: no optical elements (MIRI MRS).

    >>> from asnfp.jwst.level3.rules import ASN_LV3_MIR_MRS
    >>> _, asn, _ = create(ASN_LV3_MIR_MRS, "candidate",
    ...                    _demo(instrume="miri", exp_type="mir_mrs", band="short"))
    >>> product_name_noopt(asn)
    'jw00001-a3001_t001_miri'
    """
    return "jw{program}-{acid}_{target}_{instrument}".format(
        **name_parts(asn, "program", "acid", "target", "instrument")).lower()


def product_name_sources(asn: Association) -> str:
    """The default name with the literal ``{source_id}`` in place of the target.

    >>> from asnfp.jwst.level3.rules import ASN_LV3_SPECTRAL_SOURCE
    >>> row = _demo(instrume="nirspec", exp_type="nrs_msaspec", msametfl="m.fits", filter="f290lp", grating="g395m")
    >>> product_name_sources(create(ASN_LV3_SPECTRAL_SOURCE, "candidate", row)[1])
    'jw00001-a3001_{source_id}_nirspec_f290lp-g395m'
    """
    return fill("jw{program}-{acid}_{source_id}_{instrument}_{opt_elem}{slit_name}{subarray}",
                **name_parts(asn, "program", "acid", "instrument", "opt_elem", "slit_name",
                         "subarray")).lower()


def product_name_nrsfs_sources(asn: Association) -> str:
    """``jw{program}-{acid}_{target}-{source_id}_{instrument}_{opt_elem}-{slit_name}[-{subarray}]``
    with the literals ``{source_id}`` and ``{slit_name}`` (fixed slits).

    >>> from asnfp.jwst.level3.rules import ASN_LV3_NRS_FSS
    >>> row = _demo(instrume="nirspec", exp_type="nrs_fixedslit", filter="f290lp", grating="g395h",
    ...             fxd_slit="s200a1", detector="nrs1", subarray="subs200a1")
    >>> product_name_nrsfs_sources(create(ASN_LV3_NRS_FSS, "candidate", row)[1])
    'jw00001-a3001_t001-{source_id}_nirspec_f290lp-g395h-{slit_name}-subs200a1'
    """
    return fill("jw{program}-{acid}_{target}-{source_id}_{instrument}_{opt_elem}-{slit_name}{subarray}",
                **name_parts(asn, "program", "acid", "target", "instrument", "opt_elem",
                         "subarray")).lower()


def product_name_coronimage(asn: Association) -> str:
    """``jw{program}-{acid}_{target}_{instrument}_{opt_elem}[-{subarray}]-image3`` (no slit).

    >>> from asnfp.jwst.level3.rules import ASN_LV3_NRC_CORON_IMAGE
    >>> row = _demo(instrume="nircam", exp_type="nrc_coron", filter="f210m", pupil="maskrnd", channel="short",
    ...             detector="nrca1")
    >>> product_name_coronimage(create(ASN_LV3_NRC_CORON_IMAGE, "candidate", row)[1])
    'jw00001-a3001_t001_nircam_f210m-maskrnd-image3'
    """
    return "jw{program}-{acid}_{target}_{instrument}_{opt_elem}{subarray}-image3".format(
        **name_parts(asn, "program", "acid", "target", "instrument", "opt_elem", "subarray")).lower()


def product_name_wfss(asn: Association) -> str:
    """The default name, through the partial formatter (the same text).

    >>> from asnfp.jwst.level3.rules import ASN_LV3_WFSS_NIS
    >>> row = _demo(instrume="niriss", exp_type="nis_wfss", filter="gr150r", pupil="f140m")
    >>> product_name_wfss(create(ASN_LV3_WFSS_NIS, "candidate", row)[1])
    'jw00001-a3001_t001_niriss_f140m-gr150r'
    """
    return fill(_DEFAULT, **name_parts(asn, "program", "acid", "target", "instrument", "opt_elem",
                                   "slit_name", "subarray")).lower()


def _pinned_text(asn: Association, name: str) -> str | None:
    leaf = find(asn.rule.constraint, name)
    if not isinstance(leaf, Leaf):
        return None
    value = asn.bindings.state(leaf).value
    return value if isinstance(value, str) else None


def product_name_wfscmb(asn: Association) -> str:
    """``{default}-{detector}_{suffix}-{act_id}``: the pinned detector and activity
    (zero-padded to two), with the literal ``{suffix}``.

    >>> from asnfp.jwst.level3.rules import ASN_LV3_WFSCMB
    >>> row = _demo(instrume="nircam", exp_type="nrc_image", filter="f212n", pupil="wlp8", patttype="wfsc",
    ...             detector="nrca1", obs_id="v1", act_id="5")
    >>> product_name_wfscmb(create(ASN_LV3_WFSCMB, "candidate", row)[1])
    'jw00001-a3001_t001_nircam_f212n-wlp8-nrca1_{suffix}-05'
    """
    return fill("{existing}-{detector}_{suffix}-{expspcin}", existing=product_name(asn),
                detector=_pinned_text(asn, "detector"),
                expspcin=_pinned_text(asn, "act_id")).lower()


# Product names that read only the rule, the bindings, the program and the id (a user's
# own may read more, and is then worked out at every member).
_NAMES_OF_BINDINGS: frozenset[Callable[[Association], str]] = frozenset({
    product_name, product_name_noopt, product_name_sources, product_name_nrsfs_sources,
    product_name_coronimage, product_name_wfss, product_name_wfscmb,
})


# --------------------------------------------------------------------------- behaviour


class _Derived(NamedTuple):
    asn_id: str
    acid_type: str
    target: str
    product: str


@lru_cache(maxsize=1 << 16)
def _derived_from(constraint: Constraint, product_name: Callable[[Association], str], bindings: Bindings,
                  program: str) -> _Derived:
    """Id, target and product name of an association of a rule with ``constraint`` and
    one of the product names that read nothing else (:data:`_NAMES_OF_BINDINGS`): a pure
    function of its arguments, so each is worked out once (a memo, as ``lru_cache`` keeps)."""
    acid = acid_from(bindings, constraint)
    probe = Association(rule=Rule(name="", asn_type="", level=3, constraint=constraint), ruleset=None,
                        bindings=bindings, program=program, asn_id=acid.id, acid_type=acid.type)
    return _Derived(acid.id, acid.type, target_name(probe), product_name(probe))


def _derive(asn: Association) -> _Derived:
    """Id, target and product name of ``asn`` as it stands."""
    if asn.rule.product_name in _NAMES_OF_BINDINGS:
        try:
            return _derived_from(asn.rule.constraint, asn.rule.product_name, asn.bindings, asn.program)
        except TypeError:  # bindings that cannot be hashed: worked out below
            pass
    acid = acid_from(asn.bindings, asn.rule.constraint)
    probe = replace(asn, asn_id=acid.id, acid_type=acid.type)
    return _Derived(acid.id, acid.type, target_name(probe), asn.rule.product_name(probe))


def _refresh(asn: Association) -> Association:
    derived = _derive(asn)
    product = current_product(asn)
    named = product if product.name == derived.product else replace(product, name=derived.product)
    return replace(asn, asn_id=derived.asn_id, acid_type=derived.acid_type, target=derived.target,
                   products=(*asn.products[:-1], named))


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


HAS_PSF = Check("has_psf", lambda asn, member: member.exptype == "psf")
IS_TYPE_OBSERVATION = candidate_type_check("is_type_observation", lambda kind: kind == "observation")
# Level 3 checks run before the member is appended: one member already there means a pair.
HAS_PAIR = Check("has_pair", lambda asn, member: len(current_product(asn).members) == 1)
IS_NOT_GROUP = candidate_type_check("is_not_group", lambda kind: kind != "group")


def science_finalize(asn: Association) -> tuple[Association, ...] | None:
    """Drop group, background and mosaic candidates that saw a single observation;
    keep valid associations."""
    if asn.acid_type.lower() in MULTI_OBS_AC_TYPES and len(_found(asn, "obs_num")) <= 1:
        return None
    return (asn,) if is_valid(asn) else None


def fixedslit_background(asn: Association) -> tuple[Association, ...] | None:
    """Keep a valid nodded association, each science member repeated at the end of the
    product as a ``background`` ``_x1d`` member once there are two or more; no
    multi-observation check.

    >>> from asnfp.jwst.level3.rules import ASN_LV3_SPECTRAL_TARGET
    >>> rows = [_demo(i, instrume="miri", exp_type="mir_lrs-fixedslit", filter="p750l",
    ...               patttype="along-slit-nod", filename=f"jw_{i}_uncal.fits") for i in (1, 2)]
    >>> asn = offer(create(ASN_LV3_SPECTRAL_TARGET, None, rows[0])[1], rows[1])[1]
    >>> kept = fixedslit_background(asn)[0].products[0].members
    >>> [(m.expname, m.exptype) for m in kept]  # doctest: +NORMALIZE_WHITESPACE
    [('jw_1_cal.fits', 'science'), ('jw_2_cal.fits', 'science'),
     ('jw_1_x1d.fits', 'background'), ('jw_2_x1d.fits', 'background')]
    """
    if not is_valid(asn):
        return None
    if "nod" not in "".join(_found(asn, "patttype_spectarg")[:1]):
        return (asn,)
    product = asn.products[0]
    sciences = [m for m in product.members if m.exptype == "science"]
    if len(sciences) < 2:
        return (asn,)
    backgrounds = tuple(replace(m, expname=exposure_name(m.expname) + "_x1d.fits", exptype="background")
                        for m in sciences)
    product = replace(product, members=product.members + backgrounds)
    return (replace(asn, products=(product, *asn.products[1:])),)


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


def science_rule(name: str, asn_type: str, own: Constraint, *,
                 exptype: Exptype = level3_exptype, checks: tuple[Check, ...] = (),
                 **hooks: object) -> Rule:
    """A Level-3 science rule: ``own`` wrapped by :func:`science`, the Level-3 members,
    names and finalization, and ``checks`` beside "has a science member".

    >>> r = science_rule("Asn_Mine", "image3", image())
    >>> r.level, r.creation.name, [c.name for c in r.validity]
    (3, 'rule', ['has_science'])
    """
    tree = science(own)
    # A new association has no observation yet, so no acquisition can start it: only
    # the rule's own branch can match (its fixed conditions gate creation).
    return replace(LEVEL3, name=name, asn_type=asn_type, exptype=exptype,
                   constraint=tree, creation=find(tree, "rule"),
                   validity=LEVEL3.validity + checks, **hooks)


_DEMO_ROW = dict(filename="jw_1_uncal.fits", program="1", pntgtype="science", targetid="1",
                 subarray="full", asn_candidate="null", obs_num="1")


def _demo(index: int = 0, **cells: str) -> Row:
    """A science row for the examples: program 1, target 1, full frame, no candidate."""
    return make_row(index, {**_DEMO_ROW, **cells})


# the doctests' namespace (make_row: also the demo rows above)
from asnfp.association import create, offer  # noqa: E402,F401
from asnfp.constraints import NO_BINDINGS  # noqa: E402,F401
from asnfp.row import make_row  # noqa: E402

forgettable(_derived_from)  # (see asnfp.caches)
