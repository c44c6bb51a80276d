"""``python -m asnfp``: the ``asnfp`` command, as the console script runs it (where the
script is not on ``PATH``, or to run the ``asnfp`` of one Python among several).

It runs the command line's own ``__main__`` (``python -m asnfp.cli``) rather than
importing it: the rest of asnfp never imports the command line, and this module is an
entry point, not a part of the library.

>>> import subprocess, sys
>>> done = subprocess.run([sys.executable, "-m", "asnfp", "--version"], capture_output=True, text=True)
>>> done.returncode, done.stdout.startswith("asnfp ")
(0, True)
"""

from __future__ import annotations

import runpy
from typing import NoReturn

__all__ = ("run",)


def run() -> NoReturn:
    """Run the ``asnfp`` command with this process's arguments and leave with its status:
    ``python -m asnfp.cli``, which is the console script's ``entry``.

    >>> import subprocess, sys
    >>> done = subprocess.run([sys.executable, "-c", "import sys; sys.argv[1:] = ['generate', 'no-such-pool.csv'];"
    ...                        "from asnfp.__main__ import run; run()"], capture_output=True, text=True)
    >>> done.returncode, done.stderr
    (2, 'asnfp: error: no-such-pool.csv: no such file\\n')
    """
    runpy.run_module("asnfp.cli", run_name="__main__", alter_sys=True)
    raise SystemExit(0)  # (not reached: the command leaves with its status)


if __name__ == "__main__":
    run()
