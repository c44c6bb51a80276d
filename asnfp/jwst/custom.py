"""One-line JWST rules: a name, an ``asn_type``, a product-name template and a constraint.

A rule made by :func:`rule` behaves as the catalogue's rules of its level do: at Level 3
its constraint is wrapped as every science rule's is (same program and instrument, no
imprints, and the target acquisitions of its observations), members are named
``<stem>_cal.fits`` (or ``_calints``), the association needs a science member, and the
product name is filled from the template; at Level 2 it makes one association per
science exposure, named after it. A rule derived from a catalogue rule is
``replace(catalogue_rule(name), ...)``.

>>> from asnfp.constraints import all_of
>>> from asnfp.jwst.constraints import is_image, same_optical_path, same_target
>>> by_filter = rule("Asn_ImageByFilter", "image3", "jw{program}-{acid}_{target}_{instrument}_{opt_elem}",
...                  all_of(is_image(), same_optical_path(), same_target()))
>>> by_filter.name, by_filter.level, by_filter.asn_type
('Asn_ImageByFilter', 3, 'image3')
"""

from __future__ import annotations

import re
from collections.abc import Callable

from asnfp.association import Association
from asnfp.constraints import Constraint, all_of, find, found_values  # noqa: F401  (all_of: doctests)
from asnfp.jwst import level2, level3
from asnfp.jwst.catalogue import RULES
from asnfp.plumbing import unique
from asnfp.rule import Check, Rule, replace

__all__ = ("rule", "catalogue_rule", "product_template", "STANDARD_FIELDS")

#: The fields every Level-3 product-name template may use, as the catalogue fills them:
#: the zero-padded program, the association id (``o001``, ``c1000``, ``a3001``...),
#: ``t`` and the target id, the instrument, the optical elements (``clear-f150w``), and
#: ``-`` and the fixed slit or the subarray (empty when there is none or it is full).
STANDARD_FIELDS: tuple[str, ...] = ("program", "acid", "target", "instrument", "opt_elem",
                                    "slit_name", "subarray")
_FIELD = re.compile(r"\{(\w+)\}")


def _field_values(asn: Association, fields: tuple[str, ...]) -> dict[str, str]:
    standard = [f for f in fields if f in STANDARD_FIELDS]
    values = level3.name_parts(asn, *standard) if standard else {}
    for field in fields:
        if field not in values and find(asn.rule.constraint, field) is not None:
            values[field] = "-".join(str(v) for v in found_values(asn.bindings, asn.rule.constraint, field))
    return values


def product_template(template: str) -> Callable[[Association], str]:
    """Make a product-name function from a template of ``{field}`` names: the
    :data:`STANDARD_FIELDS`, or the name of any leaf of the rule's constraint (the
    values it found, joined with ``-``); the name is lower-cased, and a field that is
    neither stays as it is written.

    >>> from asnfp.association import create
    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> r = rule("Asn_ByReadout", "image3", "jw{program}_{readpatt}_{opt_elem}_{unknown}",
    ...          all_of(attr("exp_type", "exp_type", "mir_image"), attr("readpatt", "readpatt"),
    ...                 attr("opt_elem", "filter")))
    >>> row = make_row(0, dict(filename="jw_1_uncal.fits", program="1", instrume="miri", exp_type="mir_image",
    ...                        pntgtype="science", targetid="1", filter="f560w", readpatt="fastr1",
    ...                        asn_candidate="null"))
    >>> create(r, None, row)[1].products[0].name
    'jw00001_fastr1_f560w_{unknown}'
    """
    fields = tuple(unique(_FIELD.findall(template)))

    def name(asn: Association) -> str:
        values = _field_values(asn, fields)
        return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template).lower()

    name.__name__ = name.__qualname__ = f"product_template({template!r})"
    return name


def rule(name: str, asn_type: str, product: str | Callable[[Association], str] | None,
         constraint: Constraint, *, level: int = 3, checks: tuple[Check, ...] = ()) -> Rule:
    """Build a JWST rule in one expression: ``name`` (written as ``asn_rule``, after the
    ruleset), ``asn_type`` (``image3``, ``spec3``, ``image2``...), the product name (a
    template for :func:`product_template`, a function of the association, or ``None``
    for the catalogue's usual name), and the rule's own ``constraint``; ``checks`` are
    more validity checks, beside "has a science member".

    >>> from asnfp.association import create
    >>> from asnfp.jwst.constraints import is_image, same_optical_path, same_target
    >>> from asnfp.row import make_row
    >>> r = rule("Asn_ImageByFilter", "image3", "jw{program}-{acid}_{target}_{opt_elem}",
    ...          all_of(is_image(), same_optical_path(), same_target()))
    >>> row = make_row(0, dict(filename="jw01234001001_02101_00001_nrca1_uncal.fits", program="1234",
    ...                        instrume="nircam", exp_type="nrc_image", pntgtype="science", targetid="1",
    ...                        filter="f150w", pupil="clear", subarray="full", asn_candidate="null"))
    >>> asn = create(r, "candidate", row)[1]
    >>> asn.products[0].name, asn.products[0].members[0].expname
    ('jw01234-a3001_t001_clear-f150w', 'jw01234001001_02101_00001_nrca1_cal.fits')

    It prints as it was written, inside the Level-3 wrapping (``asnfp rules -k`` prints
    the catalogue's so):

    >>> from asnfp.constraints import describe_rule
    >>> print(describe_rule(r))
    Asn_ImageByFilter  level 3  image3
      science(...)
        all_of
          is_image()
          same_optical_path()
          same_target()
    """
    if level == 3:
        made = level3.science_rule(name, asn_type, constraint, checks=checks)
    elif level == 2:
        made = replace(level2.LEVEL2, name=name, asn_type=asn_type, constraint=constraint,
                       validity=level2.LEVEL2.validity + checks)
    else:
        raise ValueError(f"level must be 2 or 3, not {level!r}")
    if product is None:  # (the level's own naming, as the base rule has it)
        return made
    return replace(made, product_name=product_template(product) if isinstance(product, str) else product)


def catalogue_rule(name: str) -> Rule:
    """Return the catalogue's rule called ``name``, to derive a rule from it with
    ``replace``; a name the catalogue does not have is a ``KeyError`` that lists them.

    >>> from asnfp.constraints import attr
    >>> image = catalogue_rule("Asn_Lv3Image")
    >>> wide = replace(image, name="Asn_Lv3ImageWide", constraint=all_of(image.constraint, attr("w", "filter", ".*w")))
    >>> wide.name, wide.product_name is image.product_name
    ('Asn_Lv3ImageWide', True)
    >>> try:
    ...     catalogue_rule("Asn_Lv3Nothing")
    ... except KeyError as err:
    ...     print(str(err)[:56])
    "no catalogue rule 'Asn_Lv3Nothing'; it has Asn_Lv2Coron
    """
    for known in RULES:
        if known.name == name:
            return known
    raise KeyError(f"no catalogue rule {name!r}; it has {', '.join(r.name for r in RULES)}")
