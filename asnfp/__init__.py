"""asnfp: JWST associations as a fold over pool rows, with rules written as data.

>>> __version__
'0.1.0'
"""

__version__ = "0.1.0"

__all__ = ("__version__",)
