"""asnfp's version, in a module of its own so that any module can name it without
importing the package's face (and, through it, the whole API).

>>> from asnfp.version import __version__
>>> __version__.count(".")
2
"""

__all__ = ("__version__", "REFERENCE_VERSION")

__version__ = "0.1.0"

#: The reference whose behaviour asnfp matches: jwst's association generator.
REFERENCE_VERSION = "3.0.0"
