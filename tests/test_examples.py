"""The port of the reference's documented Python usage (``examples/port_from_jwst.py``)
runs, and each step finds what the reference's lines find."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_the_reference_usage_ported_line_by_line_runs() -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "port_from_jwst.py")], capture_output=True,
                          text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines == [
        "generate: 21 associations",
        "my rules: ['Asn_NRCShortByModule']",
        "Main: 21 associations, 0 orphans",
        "load_asn: image2 jw01234002001_02102_00004_mirimage_rate.fits",
        "indexed: True",
        "asn_from_list: [('a_cal.fits', 'science'), ('b_cal.fits', 'psf')]",
    ]
    assert done.stderr == ""
