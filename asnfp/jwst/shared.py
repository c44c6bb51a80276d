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
    function_name,
    made_by,
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
    "exptype_not_background",
    "exptype_is_science",
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
        by_id = dms("target", "targetid", onlyif=exptype_not_background(exptype),
                    reprocess=Category.EXISTING)
    tree = any_of(
        all_of(dms("acdirect", "asn_candidate", ACDIRECT),
               value_leaf("target", _no_target, label="target=000")),
        by_id,
    )
    return made_by(tree, "target") if exptype is None else made_by(tree, "target", exptype)


def _no_target(bindings: Bindings, row: Row) -> str:
    return "000"


def exptype_not_background(exptype: Exptype) -> RowTest:
    """A row test, a leaf's ``onlyif``: the rule's ``exptype`` of the row is not
    ``background`` (named for what it tests).

    >>> test = exptype_not_background(lambda b, row: row["exp_type"])
    >>> test.__name__, test(NO_BINDINGS, make_row(0, {"exp_type": "background"}))
    ("exptype != 'background'", False)
    """
    def test(bindings: Bindings, row: Row) -> bool:
        return exptype(bindings, row) != "background"

    test.__name__ = test.__qualname__ = f"{_exptype_name(exptype)} != 'background'"
    return test


def exptype_is_science(exptype: Exptype) -> RowTest:
    """A row test, a leaf's ``onlyif``: the rule's ``exptype`` of the row is ``science``.

    >>> from asnfp.jwst.level3.base import level3_exptype
    >>> test = exptype_is_science(level3_exptype)
    >>> test.__name__, test(NO_BINDINGS, make_row(0, {"exp_type": "nis_ami"}))
    ("level3_exptype == 'science'", True)
    """
    def test(bindings: Bindings, row: Row) -> bool:
        return exptype(bindings, row) == "science"

    test.__name__ = test.__qualname__ = f"{_exptype_name(exptype)} == 'science'"
    return test


def _exptype_name(exptype: Exptype) -> str:
    name = function_name(exptype)
    return "exptype" if name.startswith("lambda") else name


def tso() -> Node:
    """A time-series science exposure (named ``is_tso``); its leaves pin.

    >>> tso()(NO_BINDINGS, make_row(0, {"pntgtype": "science", "tsovisit": "t"})).matched
    True
    """
    return made_by(all_of(
        dms(None, "pntgtype", "science"),
        any_of(dms(None, "tsovisit", "t"), dms(None, "exp_type", joined(TSO_EXP_TYPES))),
        name="is_tso",
    ), "tso")


def not_tso() -> Node:
    """Not a time-series exposure.

    >>> not_tso()(NO_BINDINGS, make_row(0, {"pntgtype": "science", "tsovisit": "f"})).matched
    True
    """
    return made_by(not_any(tso()), "not_tso")


def not_bkgd() -> Node:
    """Not a background exposure (``bkgdtarg`` not set).

    >>> not_bkgd()(NO_BINDINGS, make_row(0, {"bkgdtarg": "t"})).matched
    False
    """
    return made_by(not_any(dms("bkgdtarg", "bkgdtarg", pins=False)), "not_bkgd")


def not_bkgd_or_tso() -> Node:
    """Neither a background nor a time-series exposure.

    >>> not_bkgd_or_tso()(NO_BINDINGS, make_row(0, {"pntgtype": "science"})).matched
    True
    """
    return made_by(not_any(dms("bkgdtarg", "bkgdtarg"), tso()), "not_bkgd_or_tso")


def wfsc() -> Node:
    """A wavefront-sensing-and-control visit (``visitype`` contains ``wfsc`` inside).

    >>> wfsc()(NO_BINDINGS, make_row(0, {"visitype": "prime_wfsc_x"})).matched
    True
    """
    return made_by(all_of(all_of(dms("wfsc", "visitype", ".+wfsc.+"))), "wfsc")


def target_acq() -> ValueLeaf:
    """The row is a target acquisition (by the base exposure type); pins, harmlessly.

    >>> target_acq()(NO_BINDINGS, make_row(0, {"pntgtype": "target_acquisition"})).matched
    True
    """
    return made_by(value_leaf("target_acq", _exposure_type, "target_acquisition",
                              label="target_acq", columns=EXPOSURE_TYPE_COLUMNS), "target_acq")


def _exposure_type(bindings: Bindings, row: Row) -> str:
    return exposure_type(row)


def single_science(exptype: Exptype, *, on_match: bool = False, work_over: Category = Category.BOTH) -> Node:
    """The row is science (by the rule's own ``exptype``) and the association has no
    science member yet: one science exposure per Level-2 association. ``on_match`` and
    ``work_over``: the node's re-process flag (see :func:`~asnfp.constraints.all_of`).

    >>> ss = single_science(lambda b, row: exposure_type(row))
    >>> row = make_row(0, {"exp_type": "nrc_image"})
    >>> ss(NO_BINDINGS, row).matched, ss(NO_BINDINGS.with_fact("has_science", True), row).matched
    (True, False)
    """
    def is_science(bindings: Bindings, row: Row) -> bool:
        return exptype(bindings, row) == "science"

    tree = all_of(value_leaf(None, is_science, True, label="is_science"),
                  value_leaf(None, _has_science, False, label="no_science_yet"),
                  on_match=on_match, work_over=work_over)
    if not on_match:
        return made_by(tree, "single_science", exptype)
    return made_by(tree, "single_science", exptype, on_match=on_match, work_over=work_over)


def _has_science(bindings: Bindings, row: Row) -> bool:
    return bool(bindings.fact("has_science"))


from asnfp.constraints import NO_BINDINGS  # noqa: E402,F401  (doctest namespace)
