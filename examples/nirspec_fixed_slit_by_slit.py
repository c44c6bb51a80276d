"""A user rule file for ``asnfp generate -r``: NIRSpec fixed-slit spectra, one Level-3
``spec3`` association per observation, grating, filter and slit. The catalogue's
``Asn_Lv3NRSFSS`` lets slits S200A1 and S200A2 share a product; this rule keeps them
apart and writes the slit in the product name (``..._nirspec_f170lp-g235h_s200a1``).

    asnfp generate examples/jw01235_spectra_pool.csv -r examples/nirspec_fixed_slit_by_slit.py \\
        --ignore-default -p out
"""

from asnfp import all_of, not_any
from asnfp.jwst import rule
from asnfp.jwst.constraints import (
                                    exp_type_is,
                                    is_background,
                                    is_tso,
                                    same_optical_path,
                                    same_slit,
                                    same_target,
)

FIXED_SLIT_BY_SLIT = rule(
    "Asn_NRSFSSBySlit", "spec3", "jw{program}-{acid}_{target}_{instrument}_{opt_elem}_{slit}",
    all_of(exp_type_is("nrs_fixedslit"), same_optical_path(), same_slit(), same_target(),
           not_any(is_tso(), is_background())),
)
