"""Constraints shared by the JWST rules, each a small named function returning a fresh
tree (a leaf holds state per association, so two uses need two leaves).

>>> from asnfp.constraints import NO_BINDINGS
>>> row = make_row(0, {"pntgtype": "science", "exp_type": "nrc_tsimage"})
>>> tso()(NO_BINDINGS, row).matched, not_tso()(NO_BINDINGS, row).matched
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from asnfp.association import Association
from asnfp.constraints import (
    AttrLeaf,
    Bindings,
    Category,
    Condition,
    Leaf,
    Node,
    RowTest,
    ValueLeaf,
    all_of,
    any_of,
    attr,
    find,
    not_any,
    value_leaf,
)
from asnfp.jwst.dms import (
    EMPTY,
    EXPOSURE_TYPE_COLUMNS,
    TSO_EXP_TYPES,
    exposure_type,
    is_ami_row,
    is_coron_row,
    is_tso_row,
)
from asnfp.row import Row, make_row  # noqa: F401  (make_row: doctests)
from asnfp.rule import Check

__all__ = (
    "Exptype",
    "dms",
    "joined",
    "tso",
    "not_tso",
    "not_bkgd",
    "not_bkgd_or_tso",
    "wfsc",
    "target_acq",
    "single_science",
    "ACDIRECT",
    "target",
    "HAS_SCIENCE",
    "integrations",
)

Exptype = Callable[[Bindings, Row], str]

# Every association needs a science member (both levels' first validity check).
HAS_SCIENCE = Check("has_science", lambda asn, member: member.exptype == "science")

ACDIRECT = r"\[\('c\d{4}', 'direct_image'\)\]"


def _pinned_tso(asn: Association) -> bool:
    leaf = find(asn.rule.constraint, "is_tso")
    return isinstance(leaf, Leaf) and asn.bindings.state(leaf).value == "t"


def integrations(asn: Association, row: Row) -> bool:
    """Whether a member is an integrations product (coronagraphy, AMI, TSO): ``ints``.

    >>> from asnfp.rule import Rule
    >>> asn = Association(rule=Rule(name="R", asn_type="t", level=2, constraint=tso()), ruleset=None)
    >>> kinds = ("mir_lyot", "nis_ami", "nrc_tsimage", "mir_image")
    >>> [integrations(asn, make_row(0, {"pntgtype": "science", "exp_type": e})) for e in kinds]
    [True, True, True, False]
    """
    coron = "no_coron" not in asn.rule.tags and is_coron_row(row)
    return coron or is_ami_row(row) or is_tso_row(row, _pinned_tso(asn))



def dms(
    name: str | None,
    sources: str | Sequence[str],
    value: Condition = None,
    *,
    pins: bool = True,
    required: bool = True,
    force_undefined: bool = False,
    onlyif: RowTest | None = None,
    evaluate: bool = False,
    reprocess: Category | None = None,
    is_acid: bool = False,
    tracks: bool = False,
) -> AttrLeaf:
    """An attribute leaf for which the DMS empty values (``null``, ``f``, ...) mean absent.

    >>> dms("bkg", "bkgdtarg")(NO_BINDINGS, make_row(0, {"bkgdtarg": "f"})).matched
    False
    """
    return attr(name, sources, value, pins=pins, required=required,
                force_undefined=force_undefined, onlyif=onlyif, evaluate=evaluate,
                invalid=EMPTY, reprocess=reprocess, only_on_match=reprocess is not None,
                is_acid=is_acid, tracks=tracks)


def joined(values: Sequence[str]) -> str:
    """Join exposure types into the reference's un-grouped alternation.

    >>> joined(("a", "b"))
    'a|b'
    """
    return "|".join(values)


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


def tso() -> Node:
    """A time-series science exposure (named ``is_tso``); its leaves pin.

    >>> tso()(NO_BINDINGS, make_row(0, {"pntgtype": "science", "tsovisit": "t"})).matched
    True
    """
    return all_of(
        dms(None, "pntgtype", "science"),
        any_of(dms(None, "tsovisit", "t"), dms(None, "exp_type", joined(TSO_EXP_TYPES))),
        name="is_tso",
    )


def not_tso() -> Node:
    """Not a time-series exposure.

    >>> not_tso()(NO_BINDINGS, make_row(0, {"pntgtype": "science", "tsovisit": "f"})).matched
    True
    """
    return not_any(tso())


def not_bkgd() -> Node:
    """Not a background exposure (``bkgdtarg`` not set).

    >>> not_bkgd()(NO_BINDINGS, make_row(0, {"bkgdtarg": "t"})).matched
    False
    """
    return not_any(dms("bkgdtarg", "bkgdtarg", pins=False))


def not_bkgd_or_tso() -> Node:
    """Neither a background nor a time-series exposure.

    >>> not_bkgd_or_tso()(NO_BINDINGS, make_row(0, {"pntgtype": "science"})).matched
    True
    """
    return not_any(dms("bkgdtarg", "bkgdtarg"), tso())


def wfsc() -> Node:
    """A wavefront-sensing-and-control visit (``visitype`` contains ``wfsc`` inside).

    >>> wfsc()(NO_BINDINGS, make_row(0, {"visitype": "prime_wfsc_x"})).matched
    True
    """
    return all_of(all_of(dms("wfsc", "visitype", ".+wfsc.+")))


def target_acq() -> ValueLeaf:
    """The row is a target acquisition (by the base exposure type); pins, harmlessly.

    >>> target_acq()(NO_BINDINGS, make_row(0, {"pntgtype": "target_acquisition"})).matched
    True
    """
    return value_leaf("target_acq", lambda b, row: exposure_type(row), "target_acquisition",
                      label="target_acq", columns=EXPOSURE_TYPE_COLUMNS)


def single_science(exptype: Exptype, **options: object) -> Node:
    """The row is science (by the rule's own ``exptype``) and the association has no
    science member yet: one science exposure per Level-2 association.

    >>> ss = single_science(lambda b, row: exposure_type(row))
    >>> row = make_row(0, {"exp_type": "nrc_image"})
    >>> ss(NO_BINDINGS, row).matched, ss(NO_BINDINGS.with_fact("has_science", True), row).matched
    (True, False)
    """
    return all_of(
        value_leaf(None, lambda b, row: exptype(b, row) == "science", True, label="is_science"),
        value_leaf(None, lambda b, row: bool(b.fact("has_science")), False,
                   label="no_science_yet"),
        **options,  # type: ignore[arg-type]
    )


from asnfp.constraints import NO_BINDINGS  # noqa: E402,F401  (doctest namespace)
