"""A user rule file for ``asnfp generate -r``: one Level-3 image association per
observation, instrument and filter, whatever the pupil or detector, named after the
filter alone (``jw01234-o001_t001_nircam_f150w``).

    asnfp generate examples/jw01234_imaging_pool.csv -r examples/imaging_by_filter.py \\
        --ignore-default -p out

``asnfp.jwst.rule`` gives the rule the catalogue's Level-3 behaviour (same program and
instrument, ``_cal`` members, a science member needed); the constraint says the rest.
"""

from asnfp import all_of, not_any
from asnfp.jwst import rule
from asnfp.jwst.constraints import (
    is_background,
    is_image,
    is_tso,
    same_filter,
    same_target,
)

IMAGE_BY_FILTER = rule(
    "Asn_ImageByFilter", "image3", "jw{program}-{acid}_{target}_{instrument}_{filter}",
    all_of(is_image(), same_filter(), same_target(), not_any(is_tso(), is_background())),
)
