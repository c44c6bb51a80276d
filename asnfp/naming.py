"""Names: candidate ids (ACIDs), pipeline file-name suffixes, and association file names.

>>> remove_suffix("jw_00001_rate")
('jw_00001', '_')
>>> association_file_stem("99009", "o001", "image2", 3)
'jw99009-o001_image2_00003_asn'
"""

from __future__ import annotations

from ast import literal_eval
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, NamedTuple

from asnfp.constraints import AttrLeaf, Bindings, Constraint, LeafState, leaves, literal
from asnfp.errors import UnsafeName

__all__ = (
    "ACID",
    "DISCOVERED",
    "acid_from",
    "acid_in",
    "KNOWN_SUFFIXES",
    "remove_suffix",
    "association_file_stem",
    "DUPLICATE_PREFIX",
    "duplicate_stem",
    "plain_name",
    "NAME_MAX_BYTES",
    "timestamp",
    "sequence_numbers",
    "first_found",
)

# The pipeline's known file-name suffixes (a fact of the JWST pipeline, sorted).
KNOWN_SUFFIXES: Final[frozenset[str]] = frozenset(
    """
    adaptive_trace_model adaptivetracemodelstep align_refs alignrefsstep ami ami-oi
    ami3pipeline ami_analyze ami_normalize amianalyzestep aminorm aminorm-oi
    aminormalizestep assign_mtwcs assign_wcs assignmtwcsstep assignwcsstep
    backgroundstep badpixselfcalstep barshadowstep bkg_subtract blot bsub bsubints c1d
    cal calints cat chargemigrationstep clean_flicker_noise cleanflickernoisestep
    combine1dstep combine_1d coron3pipeline crf crfints cube_build cubebuildstep dark
    dark_current darkcurrentstep darkpipeline detector1pipeline dq_init dqinitstep
    emicorr emicorrstep engdblog extract1dstep extract2dstep extract_1d extract_2d
    firstframe firstframestep flat_field flatfieldstep fringe fringestep gain_scale
    gainscalestep group_scale groupscalestep guider_cds guidercdsstep guiderpipeline
    hlsp hlspstep i2d image2pipeline image3pipeline imprint imprintstep ipc ipcstep jump
    jumpstep klip klipstep lastframe lastframestep linearity linearitystep
    master_background masterbackgroundmosstep masterbackgroundstep mbsub median
    msaflagopenstep outlier_detection outlierdetectionstep pathloss pathlossstep
    persistence persistencestep phot photom photomstep picture_frame pictureframestep
    pixelreplacestep psfalign psfstack psfsub ramp ramp_fit rampfitstep rate rateints
    refpix refpixstep resample resample_spec resamplespecstep resamplestep reset
    resetstep residual_fringe residualfringestep rscd rscdstep s2d s3d saturation
    saturationstep skymatch skymatchstep snr source_catalog sourcecatalogstep
    sourcetypestep spec2nrslamp spec2pipeline spec3pipeline spectral_leak
    spectralleakstep srctype stackrefs stackrefsstep straylight straylightstep superbias
    superbiasstep targ_centroid targcentroidstep tso3pipeline tsophotometrystep tweakreg
    tweakregstep uncal wavecorrstep wfscmb wfscombine wfscombinestep wfsscontamstep
    white_light whitelightstep whtlt x1d x1dints
    """.split()  # noqa: SIM905  (a word list reads best as a block of words)
)


class ACID(NamedTuple):
    """An association candidate id and its type, e.g. ``("o001", "observation")``."""

    id: str
    type: str


DISCOVERED: Final = ACID("a3001", "DISCOVERED")


@lru_cache(maxsize=65536)
def _parse_acid(text: str) -> ACID | None:
    try:
        value: Any = literal_eval(text) if "\\" not in text else literal(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        value = text
    try:
        ident, kind = value
    except (ValueError, TypeError):
        return None
    return ACID(ident, kind)


def acid_from(bindings: Bindings, constraint: Constraint) -> ACID:
    """Read the candidate id from the first candidate leaf (``is_acid``) that has found a
    parsable value: its found values joined with ``-``, backslashes removed, evaluated as
    ``(id, type)``. Without one, the association is discovered: ``a3001``.

    >>> from asnfp.constraints import attr, NO_BINDINGS
    >>> from asnfp.row import make_row
    >>> leaf = attr("asn_candidate", "asn_candidate", ".+(o001).+", evaluate=True, is_acid=True)
    >>> b = leaf(NO_BINDINGS, make_row(0, {"asn_candidate": "[('o001', 'observation')]"})).bindings
    >>> acid_from(b, leaf), acid_from(NO_BINDINGS, leaf)
    (ACID(id='o001', type='observation'), ACID(id='a3001', type='DISCOVERED'))
    """
    for leaf in leaves(constraint):
        if isinstance(leaf, AttrLeaf) and leaf.is_acid:
            text = "-".join(str(v) for v in bindings.state(leaf).found).replace("\\", "")
            acid = _parse_acid(text)
            if acid is not None:
                return acid
    return DISCOVERED


def acid_in(bindings: Bindings) -> ACID:
    """Read the candidate id from whatever candidate leaf the bindings hold, as a check
    in progress sees it: a new association has not reached its candidate leaf yet, so
    it reads as discovered.

    >>> from asnfp.constraints import NO_BINDINGS
    >>> acid_in(NO_BINDINGS)
    ACID(id='a3001', type='DISCOVERED')
    """
    for leaf, state in bindings.items():
        if isinstance(leaf, AttrLeaf) and leaf.is_acid and isinstance(state, LeafState) and state.found:
            acid = _parse_acid("-".join(str(v) for v in state.found).replace("\\", ""))
            if acid is not None:
                return acid
    return DISCOVERED


def first_found(bindings: Bindings, constraint: Constraint, name: str) -> tuple[object, ...]:
    """Return the found values of the first leaf called ``name`` that has found any
    (the reference's ``get_all_attr("found_values", name=...)[0]``).

    >>> from asnfp.constraints import attr, value_leaf, any_of, NO_BINDINGS
    >>> from asnfp.row import make_row
    >>> c = any_of(value_leaf("target", lambda b, r: "000", "x"), attr("target", "targetid"))
    >>> first_found(c(NO_BINDINGS, make_row(0, {"targetid": "1"})).bindings, c, "target")
    ('1',)
    """
    for leaf in leaves(constraint):
        if leaf.name == name:
            found = bindings.state(leaf).found
            if found:
                return tuple(found)
    return ()


def remove_suffix(name: str) -> tuple[str, str]:
    """Strip one known pipeline suffix: the shortest root such that the rest is ``_`` or
    ``-`` and a known suffix; returns ``(root, separator)`` (``"_"`` when none).

    >>> remove_suffix("jw00001001001_01101_00001_nrca1_cal")
    ('jw00001001001_01101_00001_nrca1', '_')
    >>> remove_suffix("image-rate"), remove_suffix("plain")
    (('image', '-'), ('plain', '_'))
    """
    for at in range(1, len(name)):
        if name[at] in "_-" and name[at + 1 :] in KNOWN_SUFFIXES:
            return name[:at], name[at]
    return name, "_"


def association_file_stem(program: str, acid: str, asn_type: str, sequence: int,
                          version_id: str | None = None) -> str:
    """Return the association's file name without extension, lower-cased, as
    ``jw{program}-{acid}[_{version_id}]_{type}_{sequence:05d}_asn``.

    >>> association_file_stem("99009", "o001", "image3", 1, "Test_V1")
    'jw99009-o001_test_v1_image3_00001_asn'
    """
    stamp = f"_{version_id}" if version_id else ""
    return f"jw{program}-{acid}{stamp}_{asn_type}_{sequence:05d}_asn".lower()


#: What the name of a duplicate that a debug run keeps starts with.
DUPLICATE_PREFIX = "dup"


def duplicate_stem(number: int, stem: str) -> str:
    """The name a debug run keeps the ``number``-th pruned duplicate under, before its
    file extension: ``dup{number:05d}_{stem}``.

    >>> duplicate_stem(3, "jw99009-o001_image3_00001_asn")
    'dup00003_jw99009-o001_image3_00001_asn'
    """
    return f"{DUPLICATE_PREFIX}{number:05d}_{stem}"


#: The longest file name asnfp writes, in bytes of UTF-8 (what Linux and macOS allow).
NAME_MAX_BYTES: Final = 255


def plain_name(name: str) -> str:
    """Return ``name`` if it is a plain file name, one that can only mean a file directly
    in the folder it is written to; else raise :class:`~asnfp.errors.UnsafeName` saying
    why. A plain name is not empty, not ``.`` or ``..``, holds no ``..``, no path
    separator (``/`` or ``\\``), no control or other unprintable character (a space is
    fine), and is at most :data:`NAME_MAX_BYTES` bytes long. Every file name asnfp
    writes passes here.

    >>> plain_name("jw01234-o001_image2_00001_asn.json")
    'jw01234-o001_image2_00001_asn.json'
    >>> plain_name("jw/../../tmp/x_asn.json")
    Traceback (most recent call last):
    asnfp.errors.UnsafeName: 'jw/../../tmp/x_asn.json' is not a plain file name: it holds a path separator '/'
    """
    reason = _impurity(name)
    if reason is not None:
        raise UnsafeName(name, reason)
    return name


def _impurity(name: str) -> str | None:
    """Why ``name`` is not a plain file name, or ``None``."""
    if (name.isprintable() and name.isascii() and 0 < len(name) <= NAME_MAX_BYTES and ".." not in name
            and "/" not in name and "\\" not in name and name != "."):
        return None  # (the usual name, found plain by the string's own C methods)
    if not name:
        return "it is empty"
    separator = next((c for c in "/\\" if c in name), None)
    if separator is not None:
        return f"it holds a path separator {separator!r}"
    if ".." in name:
        return "it holds '..'"
    if name == ".":
        return "it is '.'"
    odd = next((c for c in name if not c.isprintable() and c != " "), None)
    if odd is not None:
        return f"it holds the unprintable character {odd!r}"
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > NAME_MAX_BYTES:
        return f"it is {size} bytes long (at most {NAME_MAX_BYTES})"
    return None


def timestamp(now: datetime | None = None) -> str:
    """Return the UTC time stamp that a bare ``--version-id`` uses.

    >>> timestamp(datetime(2026, 11, 24, 7, 49, 1, tzinfo=UTC))
    '20261124t074901'
    """
    return (now or datetime.now(UTC)).strftime("%Y%m%dt%H%M%S")


def sequence_numbers(keys: Iterable[tuple[str, str]]) -> list[int]:
    """Number items 1, 2, ... per key, in order (the reference's ``resequence``).

    >>> sequence_numbers([("o001", "image2"), ("o001", "image3"), ("o001", "image2")])
    [1, 1, 2]
    """
    counters: dict[tuple[str, str], int] = {}
    numbers = []
    for key in keys:
        counters[key] = counters.get(key, 0) + 1
        numbers.append(counters[key])
    return numbers


