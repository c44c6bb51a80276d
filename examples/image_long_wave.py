"""A user rule file for ``asnfp generate -r``: the catalogue's ``Asn_Lv3Image``, kept
to filters beyond 2.5 microns (NIRCam long wave and MIRI). It keeps the catalogue
rule's name, so it replaces that rule: every other rule runs as usual, and the
short-wave images get their Level-2 associations but no Level-3 one. ``base``, the
catalogue's rule, is bound here to derive from it; it is not one of the file's rules.

    asnfp generate examples/jw01234_imaging_pool.csv -r examples/image_long_wave.py -p out
"""

import re

from asnfp import all_of, lift, replace
from asnfp.jwst import catalogue_rule


def beyond_2_5_microns(row):
    """The filter's wavelength, the digits of its name in hundredths of a micron
    (``f444w``: 4.44, ``f1800w``: 18.0), is over 2.5 microns."""
    digits = re.match(r"f(\d+)", row.get("filter", ""))
    return digits is not None and int(digits.group(1)) > 250


base = catalogue_rule("Asn_Lv3Image")
LONG_WAVE_IMAGE = replace(base, name="Asn_Lv3Image",
                          constraint=all_of(base.constraint, lift(beyond_2_5_microns)))
