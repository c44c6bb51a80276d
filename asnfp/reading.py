"""Bounded reads: an input is read only when it is a regular file of bounded size, and a
decoded association is used only when its nesting (and a YAML file's aliases) are bounded.

Files are opened with ``O_RDONLY | O_NONBLOCK | O_CLOEXEC`` (so a FIFO with no writer
never blocks) and checked with ``fstat`` on the open descriptor: a folder, FIFO, device
or socket is refused in one line saying what it is. The size bounds are
:data:`POOL_BYTES` (default 1 GiB, environment variable ``ASNFP_MAX_POOL_BYTES``) and
:data:`ASN_BYTES` (default 64 MiB, ``ASNFP_MAX_ASN_BYTES``); a FITS primary header read
by ``make-pool`` may be :data:`FITS_HEADER_BYTES` long (2 MiB,
``ASNFP_MAX_FITS_HEADER_BYTES``). Each variable holds a number of bytes. Compressed
pools (gzip, bzip2, xz) are decompressed up to the same bound.

Decoded values may nest :data:`MAX_DEPTH` containers deep (an association file nests 5);
a YAML file's aliases may add :data:`MAX_ALIAS_NODES` nodes to those written in it, so
a "billion laughs" file is refused, in time linear in its size, before it is built.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
>>> _ = p.write_bytes(b'{"products": []}')
>>> read_bounded(p, ASN_BYTES, what="association file")
b'{"products": []}'
>>> read_bounded("/dev/null", ASN_BYTES, what="association file")
Traceback (most recent call last):
  ...
asnfp.errors.InputError: /dev/null: is a character device, not an association file
>>> load_yaml(b"a: &a [x, x]\\nb: [*a, *a]\\n")
{'a': ['x', 'x'], 'b': [['x', 'x'], ['x', 'x']]}
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import stat
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

import msgspec

from asnfp.errors import AsnfpError, InputError, UsageError, first_line

if TYPE_CHECKING:
    import yaml

__all__ = (
    "ASN_BYTES",
    "FITS_HEADER_BYTES",
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "POOL_BYTES",
    "TOO_DEEP",
    "BoundExceeded",
    "SizeBound",
    "bound_bytes",
    "check_depth",
    "check_regular",
    "check_yaml_graph",
    "decode_json",
    "decompressed",
    "load_yaml",
    "open_regular",
    "read_bounded",
)

#: The deepest nesting of containers (objects, arrays, mappings, sequences) a decoded
#: association may have; association files nest 5 deep.
MAX_DEPTH: Final = 64
#: How many nodes a YAML file's aliases may add to the nodes written in it.
MAX_ALIAS_NODES: Final = 1_000_000
#: The nodes a YAML file may hold as written.
MAX_YAML_NODES: Final = 500_000
#: The one line for a value nested deeper than :data:`MAX_DEPTH`.
TOO_DEEP: Final = f"nests deeper than {MAX_DEPTH} levels (an association file nests 5)"

MakeError = Callable[[str, str], AsnfpError]


class SizeBound(msgspec.Struct, frozen=True):
    """A size bound: the environment variable that sets it, and its default in bytes."""

    variable: str
    default: int


POOL_BYTES: Final = SizeBound("ASNFP_MAX_POOL_BYTES", 1 << 30)
ASN_BYTES: Final = SizeBound("ASNFP_MAX_ASN_BYTES", 64 << 20)
#: A FITS primary header: every card becomes a pool column, and astropy takes ~30 µs a
#: card (a JWST exposure's has a few hundred; 2 MiB is 26,214 cards, about a second).
FITS_HEADER_BYTES: Final = SizeBound("ASNFP_MAX_FITS_HEADER_BYTES", 2 << 20)
RULES_BYTES: Final = SizeBound("ASNFP_MAX_RULES_BYTES", 16 << 20)


class BoundExceeded(AsnfpError):
    """A decoded value beyond a bound (nesting depth, YAML alias expansion). The message
    names the bound, not the file: the caller adds where."""


def bound_bytes(bound: SizeBound) -> int:
    """The bound in bytes: its environment variable's value when set, else its default.

    >>> bound_bytes(SizeBound("ASNFP_NOT_SET_ANYWHERE", 10))
    10
    >>> os.environ["ASNFP_TEST_BOUND"] = "ten"
    >>> bound_bytes(SizeBound("ASNFP_TEST_BOUND", 10))
    Traceback (most recent call last):
      ...
    asnfp.errors.UsageError: ASNFP_TEST_BOUND='ten': not a number of bytes
    >>> del os.environ["ASNFP_TEST_BOUND"]
    """
    text = os.environ.get(bound.variable)
    if text is None:
        return bound.default
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise UsageError(f"{bound.variable}={text!r}: not a number of bytes")
    return value


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "folder"), (stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISCHR, "character device"),
             (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"))
    return next((name for test, name in kinds if test(mode)), "special file")


def _article(what: str) -> str:
    return f"an {what}" if what[:1] in "aeiou" else f"a {what}"


def _not_regular(name: str, mode: int, what: str, error: MakeError) -> AsnfpError:
    return error(name, f"is {_article(_kind(mode))}, not {_article(what)}")


def open_regular(path: str | os.PathLike[str], *, what: str = "file", error: MakeError = InputError) -> io.FileIO:
    """Open ``path`` for reading if it is a regular file, without ever blocking.

    Anything else is ``error(path, "is a <kind>, not a <what>")``; a failure to open
    raises the :class:`OSError` (the caller words it).

    >>> with open_regular(__file__) as fh: fh.read(3) == open(__file__, "rb").read(3)
    True
    >>> open_regular("/", what="pool file")
    Traceback (most recent call last):
      ...
    asnfp.errors.InputError: /: is a folder, not a pool file
    """
    fd, _ = _open_regular(os.fspath(path), what, error)
    try:
        return io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_regular(name: str, what: str, error: MakeError) -> tuple[int, int]:
    """A descriptor open on ``name``, a regular file, and its size (see :func:`open_regular`)."""
    try:
        fd = os.open(name, _FLAGS)
    except OSError as err:
        if err.errno == errno.ENXIO:  # a socket (or a device with nothing behind it)
            with contextlib.suppress(OSError):
                raise _not_regular(name, os.stat(name).st_mode, what, error) from None
        raise
    except ValueError as err:  # a NUL character in the name
        raise error(name, f"is not a file name ({err})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(name, st.st_mode, what, error)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _too_large(name: str, size: int | None, limit: int, bound: SizeBound, what: str,
               error: MakeError) -> AsnfpError:
    shown = f"is {size:,} bytes, more than" if size is not None else "has more bytes than"
    return error(name, f"{shown} the {limit:,}-byte bound for {_article(what)} (set {bound.variable} to change it)")


def check_regular(path: str | os.PathLike[str], bound: SizeBound, *, what: str = "file",
                  error: MakeError = InputError) -> int:
    """Check, without reading, that ``path`` is a regular file within ``bound``; return
    its size. For readers (astropy's FITS) that must open the path themselves.

    >>> check_regular(__file__, SizeBound("ASNFP_NOT_SET_ANYWHERE", 10),
    ...               what="module")  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.errors.InputError: ...reading.py: is ... bytes, more than the 10-byte bound for a module
        (set ASNFP_NOT_SET_ANYWHERE to change it)
    """
    name = os.fspath(path)
    limit = bound_bytes(bound)
    fd, size = _open_regular(name, what, error)
    os.close(fd)
    if size > limit:
        raise _too_large(name, size, limit, bound, what, error)
    return size


def _chunks(read: Callable[[int], bytes | None], first: int, most: int) -> Iterator[bytes]:
    """The bytes ``read`` gives: ``first`` of them (a file's size + 1) asked for at once,
    then one byte (the end, as a rule), then 64 KiB at a time, until the end or more than
    ``most`` (a file that grows, a /proc file of size 0, a decompressed stream: all stay
    bounded).

    >>> [len(c) for c in _chunks(io.BytesIO(bytes(100_000)).read, 10, 10**6)]
    [10, 65536, 34454]
    """
    total, want = 0, first
    while total <= most:
        chunk = read(max(min(want, most + 1 - total), 1))
        if not chunk:
            return
        total += len(chunk)
        yield chunk
        want = first - total if total < first else 1 << 16


def read_bounded(path: str | os.PathLike[str], bound: SizeBound, *, what: str = "file",
                 error: MakeError = InputError) -> bytes:
    """The bytes of ``path`` if it is a regular file (see :func:`open_regular`) of at
    most ``bound`` bytes; else ``error(path, message)``. An :class:`OSError` (no such
    file, permission denied) is raised as it is, for the caller to word.

    >>> read_bounded("/dev/zero", POOL_BYTES, what="pool file")
    Traceback (most recent call last):
      ...
    asnfp.errors.InputError: /dev/zero: is a character device, not a pool file
    """
    name = os.fspath(path)
    limit = bound_bytes(bound)
    fd, size = _open_regular(name, what, error)
    try:
        if size > limit:
            raise _too_large(name, size, limit, bound, what, error)
        data = os.read(fd, size + 1)
        if len(data) != size or os.read(fd, 1):  # not the usual whole file at once: go on
            os.lseek(fd, 0, os.SEEK_SET)
            data = b"".join(_chunks(functools.partial(os.read, fd), size + 1, limit))
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _too_large(name, None, limit, bound, what, error)
    return data


#: How compressed data starts, and its kind (the module that reads it is imported when used).
_MAGIC: Final = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))


def _opener(kind: str) -> Callable[[io.BytesIO], io.BufferedIOBase]:
    if kind == "gzip":
        import gzip

        return lambda f: gzip.GzipFile(fileobj=f)
    if kind == "bzip2":
        import bz2

        return bz2.BZ2File
    import lzma

    return lzma.LZMAFile


def decompressed(data: bytes, limit: int) -> bytes | None:
    """``data`` decompressed when it starts as a gzip, bzip2 or xz stream does (``None``
    when it does not), at most ``limit`` bytes of it: raises :class:`BoundExceeded`
    beyond, and :class:`ValueError` (one line) for a broken stream.

    >>> import gzip
    >>> decompressed(gzip.compress(b"a|b\\n"), 100), decompressed(b"a|b\\n", 100)
    (b'a|b\\n', None)
    >>> decompressed(gzip.compress(bytes(1000)), 100)
    Traceback (most recent call last):
      ...
    asnfp.reading.BoundExceeded: decompresses to more than 100 bytes
    >>> decompressed(gzip.compress(b"a|b\\n")[:-9], 100)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    ValueError: starts as a gzip file does but cannot be decompressed
        (Compressed file ended before the end-of-stream marker was reached)
    """
    kind = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
    if kind is None:
        return None
    import lzma
    import zlib

    try:
        with _opener(kind)(io.BytesIO(data)) as stream:
            out = b"".join(_chunks(stream.read, 1 << 20, limit))
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as err:
        detail = first_line(err)
        raise ValueError(f"starts as a {kind} file does but cannot be decompressed ({detail})") from None
    if len(out) > limit:
        raise BoundExceeded(f"decompresses to more than {limit:,} bytes")
    return out


def check_depth(value: object, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`BoundExceeded` if ``value`` nests more than ``limit`` lists or
    dicts deep; walked with a stack of its own, so any depth is safe to check.

    >>> check_depth({"products": [{"members": []}]}, limit=4)
    >>> check_depth([[[[[]]]]], limit=4)
    Traceback (most recent call last):
      ...
    asnfp.reading.BoundExceeded: nests deeper than 4 levels
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            raise BoundExceeded(TOO_DEEP if limit == MAX_DEPTH else f"nests deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def decode_json(data: bytes) -> object:
    """Decode JSON into plain values nested at most :data:`MAX_DEPTH` deep (raises
    :class:`BoundExceeded`, or :class:`msgspec.DecodeError` for what is not JSON).

    >>> decode_json(b'{"products": []}')
    {'products': []}
    >>> decode_json(b"[" * 100_000)
    Traceback (most recent call last):
      ...
    asnfp.reading.BoundExceeded: nests deeper than 64 levels (an association file nests 5)
    """
    try:
        value: object = msgspec.json.decode(data)
    except RecursionError:
        raise BoundExceeded(TOO_DEEP) from None
    check_depth(value)
    return value


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml  # (imported already by whoever composed the node)

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_yaml_graph(root: yaml.Node, extra: int = MAX_ALIAS_NODES) -> None:
    """Refuse a composed YAML node graph whose aliases, expanded, add more than
    ``extra`` nodes, or nest deeper than :data:`MAX_DEPTH` collections, or refer to a
    node that holds them. Each node's expanded size and depth are computed once
    (memoised, with a stack of its own), so the time is linear in the graph.

    >>> import yaml
    >>> check_yaml_graph(yaml.compose("a: &a [x, x]\\nb: [*a, *a, *a]\\n"), extra=9)
    >>> check_yaml_graph(yaml.compose("a: &a [x, x]\\nb: [*a, *a, *a, *a]\\n"), extra=9)
    Traceback (most recent call last):
      ...
    asnfp.reading.BoundExceeded: its aliases expand to more than 9 nodes beyond those written (a 'billion laughs')
    """
    import yaml  # (imported already by whoever composed the graph)

    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:  # every node below is finished: len(sizes) >= the distinct nodes below
            kids = _children(node)
            sizes[key] = 1 + sum([sizes[id(k)] for k in kids])
            depths[key] = 0 if isinstance(node, yaml.ScalarNode) else 1 + max([depths[id(k)] for k in kids], default=0)
            open_nodes.discard(key)
            if depths[key] > MAX_DEPTH:
                raise BoundExceeded(TOO_DEEP)
            if sizes[key] > extra + len(sizes):
                raise BoundExceeded(f"its aliases expand to more than {extra:,} nodes beyond those written "
                                    "(a 'billion laughs')")
            continue
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key], depths[key] = 1, 0
            continue
        if key in open_nodes:
            raise BoundExceeded("an alias refers to a collection that holds it (a recursive structure)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend([(kid, False) for kid in _children(node)])


@functools.cache
def _loader() -> type[Any]:
    import yaml

    class BoundedLoader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]
        """``yaml.SafeLoader`` that counts the nodes it composes (PyYAML takes ~8 µs and
        ~0.4 kB a node: 16 MB of ``[a,a,...]`` took minutes and gigabytes) and checks the
        composed graph before building it."""

        composed = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self.composed += 1
            if self.composed > MAX_YAML_NODES:
                raise BoundExceeded(f"holds more than {MAX_YAML_NODES:,} YAML nodes (an association "
                                    "file of a thousand members holds a few thousand)")
            return super().compose_node(parent, index)

        def get_single_data(self) -> Any:
            node = self.get_single_node()
            if node is None:
                return None
            check_yaml_graph(node)
            return self.construct_document(node)

    return BoundedLoader


def load_yaml(data: bytes | str) -> object:
    """Load one YAML document, as ``yaml.safe_load`` does, within the bounds: raises
    :class:`BoundExceeded` (alias expansion, nesting, a recursive alias) or
    ``yaml.YAMLError`` for what is not YAML.

    >>> laughs = "a: &a [x, x, x]\\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}]\\n"
    ...                                          for p, c in zip("abcdefghijklmnopq", "bcdefghijklmnopqr"))
    >>> load_yaml(laughs)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.reading.BoundExceeded: its aliases expand to more than 1,000,000 nodes beyond those written
        (a 'billion laughs')
    >>> load_yaml("[" * 100_000)
    Traceback (most recent call last):
      ...
    asnfp.reading.BoundExceeded: nests deeper than 64 levels (an association file nests 5)
    """
    loader = _loader()(data)
    try:
        value: object = loader.get_single_data()
        return value
    except RecursionError:
        raise BoundExceeded(TOO_DEEP) from None
    except (ValueError, OverflowError) as err:  # a value YAML's constructors cannot make (an int of 5,000 digits)
        import yaml

        lines = str(err).strip().splitlines()
        raise yaml.YAMLError(f"a value cannot be read: {lines[0] if lines else type(err).__name__}") from None
    finally:
        loader.dispose()
