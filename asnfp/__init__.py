"""asnfp: JWST associations as a fold over pool rows, with rules written as data.

>>> from asnfp import read_pool, associations, to_bytes
>>> callable(associations)
True
"""

__version__ = "0.1.0"

from asnfp.api import associations, read_pool, rule_name, to_bytes  # noqa: E402

__all__ = ("__version__", "read_pool", "associations", "to_bytes", "rule_name")
