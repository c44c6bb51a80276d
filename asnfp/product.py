"""What an association holds: products, each a name and its members, as values.

A member is one exposure in a product: its file name and role (``exptype``), the error
its row carried, the candidate it came from (written by Level-3 files only) and the pool
row itself (never written). Two members are equal in a product when their ``key``s are.

>>> m = Member("jw1_cal.fits", "science", None, "o001")
>>> Product("p", (m,)).members[0].key
('jw1_cal.fits', 'science')
"""

from __future__ import annotations

import msgspec

from asnfp.row import Row

__all__ = ("Member", "Product")


class Member(msgspec.Struct, frozen=True):
    """One member of a product. ``asn_candidate`` is written by Level-3 files only;
    ``exposerr`` is ``UNSET`` for members made at finalization (not written);
    ``row`` is the pool row the member came from (never written)."""

    expname: str
    exptype: str
    exposerr: str | msgspec.UnsetType | None
    asn_candidate: str | None
    row: Row | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What makes two members equal: ``(expname, exptype)``."""
        return (self.expname, self.exptype)


class Product(msgspec.Struct, frozen=True):
    """A product: its name and its members, in the order they were added."""

    name: str
    members: tuple[Member, ...] = ()
