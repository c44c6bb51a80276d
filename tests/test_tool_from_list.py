"""``asnfp from-list``: the association of a list of files, as ``asn_from_list`` writes it.

The differential tests run the reference when ``ASNFP_REFERENCE`` names a Python with jwst
(e.g. ``ASNFP_REFERENCE=/tmp/refvenv/bin/python``): each starts it once, for a whole batch
of argument lists (fixed ones, or drawn by hypothesis), and compares the files byte for
byte, ``code_version`` and ``constraints`` aside. Where the reference fails (an exception,
an argparse exit, or an emptied output file), asnfp must refuse in one line and write
nothing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

import msgspec
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from asnfp.errors import AsnfpError, UsageError
from asnfp.io import Level2File, Level3File
from asnfp.jwst import RULES
from asnfp.naming import KNOWN_SUFFIXES
from asnfp.tools.from_list import (
    BARE,
    LEVEL2B,
    LEVEL3,
    BareFile,
    add_parser,
    encode,
    from_list,
    product_name_of,
    rule_names,
    run,
)

EXCLUDED = ("code_version", "constraints")
LEVEL2_NAMES = [LEVEL2B, "AsnMixin_Lv2Spectral", *(r.name for r in RULES if r.level == 2)]
LEVEL3_NAMES = [LEVEL3, *(r.name for r in RULES if r.level == 3)]
#: Level-3 rules whose validity checks no list of files passes (measured on the reference:
#: it empties the output file and raises): a PSF member, or a mosaic or observation candidate.
NEVER_VALID = {"Asn_Lv3AMI": "has_psf", "Asn_Lv3MIRCoron": "has_psf", "Asn_Lv3NRCCoron": "has_psf",
               "Asn_Lv3ImageMosaic": "is_type_mosaic", "Asn_Lv3TSO": "is_type_observation"}
#: Names the reference's registry holds (with its bases) that are no rule: it crashes on them.
NOT_RULES = ["AsnMixin_AuxData", "AsnMixin_Coronagraphy", "AsnMixin_Lv2Image", "AsnMixin_Science",
             "AsnMixin_Spectrum", "Constraint", "Constraint_Base", "Constraint_Single_Science",
             "DMSAttrConstraint", "RegistryMarker", "SimpleConstraint", "Utility"]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="asnfp")
    add_parser(parser.add_subparsers(dest="name", required=True))
    return parser.parse_args(["from-list", *argv])


def _ours(out: Path, argv: list[str]) -> int:
    return run(_parse(["-o", str(out), *argv]))


# --- the function ------------------------------------------------------------------------

def test_level3_one_product_of_science_members() -> None:
    f = from_list(["a_uncal.fits", "d/b_rate.fits"], product_name="P")
    assert isinstance(f, Level3File)
    assert (f.asn_type, f.asn_rule, f.asn_id, f.program, f.target, f.asn_pool, f.version_id) == (
        "None", LEVEL3, "a3001", "noprogram", "none", "none", None)
    assert [p.name for p in f.products] == ["P"]
    members = msgspec.to_builtins(f.products[0].members)
    assert members == [{"expname": "a_uncal.fits", "exptype": "science"},
                       {"expname": "d/b_rate.fits", "exptype": "science"}]


def test_level3_ignores_the_id() -> None:
    assert from_list(["a.fits"], product_name="P", acid="x1") == from_list(["a.fits"], product_name="P")


def test_level2b_one_product_per_file_and_no_target() -> None:
    f = from_list(["a_uncal.fits", "d/b_rate.fits", "c.fits", "./e-cal.fits"], rule=LEVEL2B)
    assert isinstance(f, Level2File)
    assert [p.name for p in f.products] == ["a", "d/b", "c", "e"]
    assert all(len(p.members) == 1 for p in f.products)
    data = json.loads(encode(f))
    assert "target" not in data and data["asn_id"] == "a3001" and data["asn_rule"] == LEVEL2B
    assert list(data) == ["asn_type", "asn_rule", "version_id", "code_version", "degraded_status",
                          "program", "constraints", "asn_id", "asn_pool", "products"]


def test_level2b_id_is_checked_but_not_written() -> None:
    assert from_list(["a.fits"], rule=LEVEL2B, acid="o123") == from_list(["a.fits"], rule=LEVEL2B)


def test_json_layout_and_yaml_sorted() -> None:
    f = from_list(["a.fits"], product_name="P")
    text = encode(f)
    assert text.startswith(b'{\n    "asn_type": "None",') and text.endswith(b"}")
    assert b"exposerr" not in text and b"asn_candidate" not in text
    doc = encode(f, "yaml")
    assert doc.endswith(b"\n") and list(yaml.safe_load(doc)) == sorted(yaml.safe_load(doc))


def test_run_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "x.yaml"
    assert _ours(out, ["-f", "yaml", "--product-name", "P", "a.fits"]) == 0
    assert yaml.safe_load(out.read_bytes())["products"][0]["name"] == "P"


# --- 1. Level-2 product names: the reference's suffix rule -------------------------------

@pytest.mark.parametrize(("expname", "name"), [
    ("jw01101_00001_nrca1_uncal.fits", "jw01101_00001_nrca1"),  # one suffix and the extension
    ("/abs/dir/x_cal.fits", "/abs/dir/x"), ("d//./x_cal.fits", "d/x"), ("../x_cal.fits", "../x"),
    ("a/../b_cal.fits", "a/../b"), ("//a_cal.fits", "//a"), ("///a_cal.fits", "/a"),
    ("a_cal/", "a"), ("", "."), (".", "."), ("/", "/"), ("..", ".."), ("..x", "."), (".x", ".x"),
    ("x.", "x."), ("a.b.c_cal.d", "a.b.c"), ("x_cal.fits.gz", "x_cal.fits"),
    ("x_notasuffix.fits", "x_notasuffix"), ("x_cal_rate.fits", "x_cal"), ("x_CAL.fits", "x_CAL"),
    ("x-rate.fits", "x"), ("x_ami-oi.fits", "x"), ("_cal.fits", "_cal"), ("x__cal.fits", "x_"),
    ("x/_cal", "x/"), ("a b_cal.fits", "a b"), ("x\t_cal", "x\t"), ("x_cal\t", "x_cal\t"),
    ("x_cal\r", "x_cal\r"), ("x\x00_cal", "x\x00"), ("x\u2028_cal", "x\u2028"), ("x\udcff_cal", "x\udcff"),
    ("a\nb_cal.fits", "a\nb_cal"), ("x_cal\n", "x"), ("x\n", "x"), ("\n", "\n"), ("x\n\n", "x\n\n"),
    ("x_cal\n.fits", "x"), ("x_cal.fits\n", "x"), ("\n_cal", "\n_cal"), ("x_cal\n\n", "x_cal\n\n"),
])
def test_product_names(expname: str, name: str) -> None:
    assert product_name_of(expname) == name


#: The reference's rule, written from its description: pathlib's parent and stem, then
#: its suffix expression (no flags), matched at the start.
SUFFIX_EXPRESSION = re.compile("^(?P<root>.+?)((?P<separator>_|-)(" + "|".join(KNOWN_SUFFIXES) + "))?$")


def _as_the_reference_names(expname: str) -> str:
    path = PurePosixPath(expname)
    name = str(path.parent / path.stem)
    match = SUFFIX_EXPRESSION.match(name)
    return match.group("root") if match else name


#: Every code point below U+3100, controls and lone surrogates included.
CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x30FF, exclude_categories=())
PIECES = ["_cal", "-rate", "_CAL", "_uncal", "_cal_rate", "_ami-oi", "_i2d", ".fits", ".", "..",
          "/", "//", "\n", "\n\n", "_", "-", " ", "\t", "\r", "jw01", "x"]
NAMES = st.lists(st.one_of(st.sampled_from(PIECES), CHARACTER), max_size=8).map("".join)
ON_THE_REFERENCE_PYTHON = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="pathlib's reading of a name is Python 3.11's (the reference's)")


@ON_THE_REFERENCE_PYTHON
@settings(max_examples=3000, deadline=None)
@given(NAMES)
def test_product_names_follow_the_reference_rule(expname: str) -> None:
    assert product_name_of(expname) == _as_the_reference_names(expname)


@ON_THE_REFERENCE_PYTHON
def test_product_names_for_every_code_point_below_u3100() -> None:
    for code in range(0x3100):
        c = chr(code)
        for expname in (f"a{c}b_cal.fits", f"x_cal{c}", f"{c}_rate", f"x{c}", f"x_cal{c}.fits"):
            assert product_name_of(expname) == _as_the_reference_names(expname), (code, expname)


# --- 2. -r: every rule the reference can write ---------------------------------------------

@pytest.mark.parametrize("rule", LEVEL3_NAMES)
def test_level3_rules_write_their_name_on_the_base_layout(rule: str) -> None:
    files = ["a_cal.fits", "b_cal.fits"]
    if rule in NEVER_VALID:
        with pytest.raises(UsageError, match=f"no member passes its validity check '{NEVER_VALID[rule]}'"):
            from_list(files, rule=rule, product_name="P")
        return
    got = from_list(files, rule=rule, product_name="P", acid="c1000")  # the id is ignored
    assert got == Level3File(asn_type="None", asn_rule=rule, products=from_list(files, product_name="P").products)


@pytest.mark.parametrize("rule", LEVEL2_NAMES)
def test_level2_rules_write_their_name_on_the_base_layout(rule: str) -> None:
    got = from_list(["d/a_rate.fits"], rule=rule, product_name="ignored", acid="o7")
    base = from_list(["d/a_rate.fits"], rule=LEVEL2B)
    assert isinstance(got, Level2File) and got == msgspec.structs.replace(base, asn_rule=rule)


@pytest.mark.parametrize("rule", LEVEL2_NAMES)
def test_a_background_candidate_is_valid_for_wfss_parallel_only(rule: str) -> None:
    if rule == "Asn_Lv2WFSSParallel":
        assert from_list(["a.fits"], rule=rule, acid="c1000").asn_rule == rule
        return
    with pytest.raises(UsageError, match="with -i c1000: no member passes its validity check 'allowed_candidates'"):
        from_list(["a.fits"], rule=rule, acid="c1000")


def test_wfscmb_needs_two_members() -> None:
    with pytest.raises(UsageError, match="its validity check 'has_pair'"):
        from_list(["a.fits"], rule="Asn_Lv3WFSCMB", product_name="P")
    assert from_list(["a.fits", "a.fits"], rule="Asn_Lv3WFSCMB", product_name="P").asn_rule == "Asn_Lv3WFSCMB"


def test_every_level3_rule_needs_a_product_name() -> None:
    for rule in LEVEL3_NAMES:
        with pytest.raises(UsageError, match=f"^{rule} needs a product name"):
            from_list(["a.fits"], rule=rule)


def test_the_bare_association_lists_the_files() -> None:
    f = from_list(["b.fits", "a.fits", "b.fits"], rule=BARE, product_name="P", acid="x")
    assert f == BareFile(members=["b.fits", "a.fits", "b.fits"])
    text = encode(f).replace(f.code_version.encode(), b"V")
    assert text == (b'{\n    "asn_type": "None",\n    "asn_rule": "Association",\n    "version_id": null,\n'
                    b'    "code_version": "V",\n    "members": [\n        "b.fits",\n        "a.fits",\n'
                    b'        "b.fits"\n    ]\n}')
    assert yaml.safe_load(encode(f, "yaml"))["members"] == ["b.fits", "a.fits", "b.fits"]


def test_rule_names_are_the_bases_and_the_catalogue() -> None:
    assert set(rule_names()) == {BARE, LEVEL3, LEVEL2B, "AsnMixin_Lv2Spectral", *(r.name for r in RULES)}
    assert sorted(rule_names()) == sorted(set(rule_names())) and len(rule_names()) == 48


@pytest.mark.parametrize("rule", [*NOT_RULES, "Nope", "", "asn_lv3image", "candidate_Asn_Lv3Image", "x\ny"])
def test_names_that_are_no_rule_are_refused(rule: str) -> None:
    with pytest.raises(UsageError, match=r"^unknown rule") as caught:
        from_list(["a.fits"], rule=rule, product_name="P")
    assert "\n" not in str(caught.value)


# --- bad input: one line, nothing written -------------------------------------------------

BAD = [
    (["--product-name", "P"], "no files given"),
    (["a.fits"], "DMS_Level3_Base needs a product name (--product-name)"),
    (["-r", "Asn_Lv3Image", "a.fits"], "Asn_Lv3Image needs a product name (--product-name)"),
    (["-r", LEVEL2B, "-i", "c1000", "a.fits"],
     ("rule 'DMSLevel2bBase' makes an invalid association of these files with -i c1000: no member "
      "passes its validity check 'allowed_candidates' (asn_from_list writes an empty file)")),
    (["-r", LEVEL2B, "-i", "x1", "a.fits"],
     "-i x1: invalid association id (must start with o, an observation, or c, a background candidate)"),
    (["-r", LEVEL2B, "-i", "x\n1", "a.fits"],
     "-i x\\n1: invalid association id (must start with o, an observation, or c, a background candidate)"),
    (["-r", "Nope", "a.fits"],
     ("unknown rule 'Nope': use DMS_Level3_Base, DMSLevel2bBase, AsnMixin_Lv2Spectral, Association "
      "or a rule that asnfp rules lists")),
    (["-r", "Asn_Lv3TSO", "--product-name", "P", "a.fits"],
     ("rule 'Asn_Lv3TSO' makes an invalid association of these files: no member passes its "
      "validity check 'is_type_observation' (asn_from_list writes an empty file)")),
    (["-f", "xml", "--product-name", "P", "a.fits"], "unknown format 'xml' (use json or yaml)"),
    (["--ruledefs", "r.py", "--product-name", "P", "a.fits"],
     ("--ruledefs is not supported: asnfp cannot run the reference's Python rule files; -r takes "
      "DMS_Level3_Base, DMSLevel2bBase, AsnMixin_Lv2Spectral, Association or a rule that asnfp rules lists")),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_one_line_and_no_file(tmp_path: Path, argv: list[str], message: str) -> None:
    out = tmp_path / "out.json"
    if "a.fits" not in argv:  # argparse itself refuses an empty file list; the function too
        with pytest.raises(AsnfpError) as caught:
            from_list([], product_name="P")
    else:
        with pytest.raises(AsnfpError) as caught:
            _ours(out, argv)
    assert str(caught.value) == message and "\n" not in message
    assert not out.exists()


def test_empty_file_list_is_a_usage_error_of_the_parser() -> None:
    with pytest.raises(SystemExit) as caught, contextlib.redirect_stderr(io.StringIO()):
        _parse(["-o", "x.json"])
    assert caught.value.code == 2


def test_unwritable_output_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AsnfpError, match="cannot write") as caught:
        _ours(tmp_path / "missing" / "x.json", ["--product-name", "P", "a.fits"])
    assert "\n" not in str(caught.value)


# --- differential: the reference, when available ------------------------------------------

REFERENCE = os.environ.get("ASNFP_REFERENCE")
needs_reference = pytest.mark.skipif(not REFERENCE, reason="ASNFP_REFERENCE (a Python with jwst) is not set")

#: Run in the reference's Python: read a JSON list of argument lists on stdin, call
#: asn_from_list's main on each (output to a fresh file), and print for each the error
#: (None, an exception's type, or the argparse exit) and the file's bytes (base64) if any.
_BATCH = r"""
import base64, json, logging, os, sys, tempfile, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from jwst.associations.asn_from_list import main
results = []
with tempfile.TemporaryDirectory() as folder:
    for number, argv in enumerate(json.loads(sys.stdin.read())):
        path = os.path.join(folder, str(number))
        try:
            main(["-o", path, *argv])
            error = None
        except SystemExit as exc:
            error = f"exit {exc.code}"
        except BaseException as exc:
            error = type(exc).__name__
        data = None
        if os.path.exists(path):
            with open(path, "rb") as written:
                data = base64.b64encode(written.read()).decode("ascii")
            os.remove(path)
        results.append({"error": error, "data": data})
print(json.dumps(results))
"""

Outcome = tuple[str | None, bytes | None]  # (error or None, the file's bytes or None)


def _reference_outcomes(cases: list[list[str]]) -> list[Outcome]:
    done = subprocess.run([str(REFERENCE), "-c", _BATCH], input=json.dumps(cases), capture_output=True,
                          text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    return [(r["error"], None if r["data"] is None else base64.b64decode(r["data"])) for r in results]


def _our_outcome(out: Path, argv: list[str]) -> Outcome:
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = _parse(["-o", str(out), *argv])
        run(args)
        error = None
    except SystemExit as exc:
        error = f"exit {exc.code}"
    except UsageError as exc:
        error = f"exit 2: {exc}"
    data = out.read_bytes() if out.exists() else None
    out.unlink(missing_ok=True)
    return error, data


def _compared(data: bytes) -> list[bytes]:
    """The file's lines but the excluded values' (one line each, in JSON and in YAML)."""
    indent = b"    " if data.startswith(b"{") else b""
    keys = tuple(indent + (f'"{k}": ' if indent else f"{k}: ").encode() for k in EXCLUDED)
    return [line for line in data.split(b"\n") if not line.startswith(keys)]


def _disagreement(argv: list[str], theirs: Outcome, ours: Outcome) -> str | None:
    (their_error, their_data), (our_error, our_data) = theirs, ours
    if their_error is None and their_data is not None:
        if our_error is not None or our_data is None:
            return f"{argv!r}: the reference writes a file, asnfp refuses: {our_error}"
        if _compared(our_data) != _compared(their_data):
            return f"{argv!r}: the files differ:\n{our_data[:800]!r}\n{their_data[:800]!r}"
        return None
    if our_error is None or our_data is not None:
        return f"{argv!r}: the reference fails ({their_error}), asnfp writes a file"
    if not our_error.startswith("exit 2") or "\n" in our_error:
        return f"{argv!r}: asnfp's refusal is not one line with exit 2: {our_error!r}"
    return None


def _compare_with_the_reference(tmp_path: Path, cases: list[list[str]]) -> tuple[int, int]:
    """Compare every case; return (files compared, refusals compared)."""
    theirs = _reference_outcomes(cases)
    assert len(theirs) == len(cases)
    outcomes = [(argv, t, _our_outcome(tmp_path / "ours", argv)) for argv, t in zip(cases, theirs, strict=True)]
    problems = [p for p in (_disagreement(*o) for o in outcomes) if p is not None]
    assert not problems, f"{len(problems)} of {len(cases)} cases disagree:\n" + "\n".join(problems[:20])
    written = sum(1 for _, (error, _data), _ in outcomes if error is None)
    print(f"{len(cases)} cases agree with the reference: {written} files, {len(cases) - written} refusals")
    return written, len(cases) - written


FILES = ["jw01_uncal.fits", "sub/dir/jw02_rate.fits", "plain.fits", "/abs/jw03_cal.fits",
         "jw04-rate.fits", "./jw05_rate.fits", "x_notasuffix.fits"]
ODD_FILES = ["a b_cal.fits", "\u00e9t\u00e9_cal.fits", "\u65e5\u672c_rate.fits", "../x_cal.fits",
             "a/../b_cal.fits", "", " ", "x_cal.", "..x", ".", "/", "//a_cal.fits", "a\nb_cal.fits",
             "x_cal\n", "x\udcff_cal", "\U0001f600_i2d.fits", "x\x7f\x00_cal"]
MANY_FILES = [f"d/jw{n:05d}_cal.fits" for n in range(1000)]
OPTIONS = [["--product-name", "mosaic"], ["--product-name", "mosaic", "-i", "o123"], ["-r", LEVEL2B],
           ["-r", LEVEL2B, "--id", "o001"], ["-r", "Asn_Lv3Image", "--product-name", "p\nq"],
           ["-r", "Asn_Lv2Spec", "-i", "o1"], ["-r", "Asn_Lv2WFSSParallel", "-i", "c1000"], ["-r", BARE]]
FIXED = [
    *([*options, "-f", fmt, *files] for options in OPTIONS for fmt in ("json", "yaml")
      for files in (FILES, FILES[:1], ["--", *ODD_FILES], MANY_FILES)),
    *(argv for argv, _ in BAD if "a.fits" in argv),
    *(["-r", rule, "--product-name", "P", "a.fits"] for rule in NOT_RULES),
    ["-r", "Asn_Lv3WFSCMB", "--product-name", "P", "a.fits"],
    ["-r", "Asn_Lv3WFSCMB", "--product-name", "P", "a.fits", "a.fits"],
]


@needs_reference
def test_fixed_cases_agree_with_the_reference(tmp_path: Path) -> None:
    written, refused = _compare_with_the_reference(tmp_path, FIXED)
    assert written >= 60 and refused >= 20


def _options(rule: str, product: str | None, acid: str | None, fmt: str | None) -> list[str]:
    """Options as ``--flag=value``, so that a value may start with ``-``."""
    given = {"--rule": rule, "--product-name": product, "--id": acid, "--format": fmt}
    return [f"{flag}={value}" for flag, value in given.items() if value is not None]


NO_RULES = st.one_of(st.sampled_from(NOT_RULES), st.text(max_size=8))
ACIDS = st.one_of(st.none(), st.sampled_from(["o1", "o999", "c1000", "c", "a3001", "x1", "", "O1", " o1"]),
                  st.text(max_size=4))
FORMATS = st.sampled_from([None, None, "json", "yaml", "xml"])


@st.composite
def file_name_cases(draw: st.DrawFn) -> list[str]:
    """Names of every character below U+3100, newlines and controls included, under a
    Level-2 rule (their product names), a Level-3 one (a drawn product name) or the bare one."""
    rule = draw(st.sampled_from([*LEVEL2_NAMES, LEVEL3, "Asn_Lv3Image", BARE]))
    product = draw(NAMES) if rule in LEVEL3_NAMES else None
    fmt = draw(st.sampled_from(["json", "json", "yaml"]))
    return [*_options(rule, product, None, fmt), "--", *draw(st.lists(NAMES, min_size=1, max_size=4))]


@st.composite
def rule_cases(draw: st.DrawFn) -> list[str]:
    """A rule name of the catalogue, the bases, the registry's other names or drawn text,
    with or without a product name, a drawn id and format, and one to three files."""
    rule = draw(st.sampled_from(rule_names()) if draw(st.integers(0, 4)) else NO_RULES)  # four in five
    product = draw(NAMES) if draw(st.integers(0, 3)) else None  # three times in four
    options = _options(rule, product, draw(ACIDS), draw(FORMATS))
    return [*options, "--", *draw(st.lists(NAMES, min_size=1, max_size=3))]


def _drawn(cases: st.SearchStrategy[list[str]], count: int) -> list[list[str]]:
    """``count`` argument lists drawn by hypothesis (collected first, so that the reference
    starts once for all of them)."""
    found: list[list[str]] = []

    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases)
    def collect(case: list[str]) -> None:
        found.append(case)

    collect()
    return found


@needs_reference
def test_drawn_file_names_agree_with_the_reference(tmp_path: Path) -> None:
    _, refused = _compare_with_the_reference(tmp_path, _drawn(file_name_cases(), 400))
    assert refused == 0  # every drawn case is one the reference writes


@needs_reference
def test_drawn_rules_agree_with_the_reference(tmp_path: Path) -> None:
    written, refused = _compare_with_the_reference(tmp_path, _drawn(rule_cases(), 400))
    assert written >= 80 and refused >= 80


# --- differential: the Python API, its items and with_exptype -------------------------------
#
# Each case calls the reference's ``asn_from_list(items, rule=..., product_name=..., acid=...)``
# (with ``with_exptype=True`` when asked; its Level-2 rules read an exptype whenever the
# keyword is there) and ``asn.dump(format=...)``, and asnfp's ``encode(from_list(...))``.
# Items cross to the reference's Python as JSON, a tuple or list marked as such.

#: Run in the reference's Python: read the cases on stdin, print each outcome (the error's
#: type, or the dump's text in base64, and whether the file, read back, passes the rule's
#: own ``validate``: its schema wants strings where asn_from_list writes any value).
_API_BATCH = r"""
import base64, json, logging, sys, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from jwst.associations import AssociationRegistry
from jwst.associations.asn_from_list import asn_from_list
registry = AssociationRegistry(None, include_bases=True)

def decoded(value):
    if isinstance(value, dict):
        ((kind, parts),) = value.items()
        return (tuple if kind == "tuple" else list)(decoded(part) for part in parts)
    return value

results = []
for case in json.loads(sys.stdin.read()):
    kwargs = {"product_name": case["product_name"], "acid": case["acid"]}
    if case["with_exptype"]:
        kwargs["with_exptype"] = True
    try:
        asn = asn_from_list(decoded(case["items"]), rule=registry[case["rule"]], **kwargs)
        text = asn.dump(format=case["format"])[1]
    except BaseException as exc:
        results.append({"error": type(exc).__name__, "data": None, "reloads": False})
        continue
    try:
        reloads = bool(type(asn).validate(json.loads(asn.dump(format="json")[1])))
    except Exception:
        reloads = False
    data = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()
    results.append({"error": None, "data": data, "reloads": reloads})
print(json.dumps(results))
"""


class ApiCase(msgspec.Struct, frozen=True):
    """One call of ``from_list`` and of the reference's ``asn_from_list``."""

    items: tuple[object, ...] | list[object]
    rule: str
    product_name: str | None = "P"
    acid: str = "o999"
    with_exptype: bool = False
    format: str = "json"


def _marked(value: object) -> object:
    if isinstance(value, (tuple, list)):
        return {"tuple" if isinstance(value, tuple) else "list": [_marked(part) for part in value]}
    return value


def _their_api_outcomes(cases: list[ApiCase]) -> list[tuple[Outcome, bool]]:
    """The reference's outcome of each case, and whether its file (if any) reloads."""
    payload = [{**msgspec.to_builtins(case), "items": _marked(case.items)} for case in cases]
    done = subprocess.run([str(REFERENCE), "-c", _API_BATCH], input=json.dumps(payload), capture_output=True,
                          text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return [((r["error"], None if r["data"] is None else base64.b64decode(r["data"])), r["reloads"])
            for r in json.loads(done.stdout)]


def _our_api_outcome(case: ApiCase) -> Outcome:
    try:
        asn_file = from_list(case.items, rule=case.rule, product_name=case.product_name,  # type: ignore[arg-type]
                             acid=case.acid, with_exptype=case.with_exptype)
        return None, encode(asn_file, case.format)
    except UsageError as exc:
        return f"refused: {exc}", None


def _refused_on_purpose(case: ApiCase, message: str, their_file_reloads: bool) -> bool:
    """The refusals where the reference writes a file, which asnfp refuses on purpose: a
    file the reference's own ``validate`` rejects when read back (a value that is not a
    string as an exptype); a string where ``with_exptype`` wants a pair (the reference
    splits it into characters); a value that is not a string in an item of the bare
    ``Association`` (outside the type ``from_list`` takes)."""
    if not message.startswith("refused: files["):
        return False
    if not their_file_reloads:
        return True
    item = case.items[int(message.removeprefix("refused: files[").split("]")[0])]
    if case.rule == BARE:
        return not isinstance(item, str) and not all(isinstance(part, str) for part in item)  # type: ignore[attr-defined]
    return case.with_exptype and isinstance(item, str)


def _api_disagreement(case: ApiCase, theirs: tuple[Outcome, bool], ours: Outcome, strict: bool) -> str | None:
    ((their_error, their_data), their_file_reloads), (our_error, our_data) = theirs, ours
    if our_error is not None and "\n" in our_error:
        return f"{case!r}: asnfp's refusal is not one line: {our_error!r}"
    if their_data is not None:
        if our_data is None:
            assert our_error is not None
            if not strict and _refused_on_purpose(case, our_error, their_file_reloads):
                return None
            return f"{case!r}: the reference writes a file, asnfp refuses: {our_error}"
        if _compared(our_data) != _compared(their_data):
            return f"{case!r}: the files differ:\n{our_data[:800]!r}\n{their_data[:800]!r}"
        return None
    if our_data is not None:
        return f"{case!r}: the reference fails ({their_error}), asnfp writes a file"
    return None


def _compare_api_with_the_reference(cases: list[ApiCase], *, strict: bool = False) -> tuple[int, int, int]:
    """Compare every case; return (files compared, refusals compared, refusals where the
    reference writes a file). ``strict``: no refusal of asnfp's own is allowed."""
    theirs = _their_api_outcomes(cases)
    assert len(theirs) == len(cases)
    outcomes = [(case, t, _our_api_outcome(case)) for case, t in zip(cases, theirs, strict=True)]
    problems = [p for p in (_api_disagreement(*o, strict) for o in outcomes) if p is not None]
    assert not problems, f"{len(problems)} of {len(cases)} cases disagree:\n" + "\n".join(problems[:20])
    written = sum(1 for _, _t, (error, _data) in outcomes if error is None)
    own = sum(1 for _, ((_e, data), _r), (error, _d) in outcomes if error is not None and data is not None)
    print(f"{len(cases)} API cases agree with the reference: {written} files, {len(cases) - written - own} "
          f"refusals of both, {own} refusals of asnfp's own")
    return written, len(cases) - written - own, own


SCIENCE_PSF = [("jw01_cal.fits", "science"), ("d/jw02_cal.fits", "psf")]
API_FIXED = [
    # Level 3: pairs (tuples or lists) with with_exptype; anything else refused by both
    *(ApiCase(items, rule, with_exptype=True, format=fmt)
      for rule in (LEVEL3, "Asn_Lv3Image", "Asn_Lv3AMI", "Asn_Lv3NRCCoron", "Asn_Lv3WFSCMB") for fmt in ("json", "yaml")
      for items in (SCIENCE_PSF, [list(p) for p in SCIENCE_PSF], SCIENCE_PSF[:1], SCIENCE_PSF[1:],
                    [("a.fits", "science"), ("b.fits", "")], [("a.fits", "science"), ("b.fits", "SCIENCE")])),
    ApiCase([("a.fits", "science"), ("b.fits",)], LEVEL3, with_exptype=True),
    ApiCase([("a.fits", "science"), ("b.fits", "psf", "x")], LEVEL3, with_exptype=True),
    ApiCase([("a.fits", "science"), "b.fits"], LEVEL3, with_exptype=True),
    ApiCase([("a.fits", "science"), (3, "psf")], LEVEL3, with_exptype=True),
    ApiCase([("a.fits", "science")], LEVEL3, product_name=None, with_exptype=True),
    ApiCase(["a.fits", ("b.fits", "science")], LEVEL3),
    ApiCase(["a.fits", ["b.fits", "science"]], LEVEL3),
    ApiCase(["a.fits", "b.fits"], LEVEL3),
    # Level 2: tuples (the first element, and with with_exptype the second), no lists
    *(ApiCase(items, rule, acid=acid, with_exptype=with_exptype, format=fmt)
      for rule in (LEVEL2B, "Asn_Lv2Image", "Asn_Lv2WFSSParallel") for acid in ("o1", "c1000")
      for fmt in ("json", "yaml") for with_exptype in (False, True)
      for items in (SCIENCE_PSF, [("a_rate.fits", "science"), ("b_rate.fits", "BACKGROUND")],
                    [("a_rate.fits", "science", "x"), ("b_rate.fits", "")], [("a_rate.fits", None)],
                    [("a_rate.fits", "SCIENCE"), ("b_rate.fits", "Science")], ["a_rate.fits", ("b.fits", "psf")])),
    ApiCase([("a.fits",)], LEVEL2B), ApiCase([("a.fits",)], LEVEL2B, with_exptype=True),
    ApiCase([()], LEVEL2B), ApiCase([["a.fits", "science"]], LEVEL2B),
    ApiCase([["a.fits", "science"]], LEVEL2B, with_exptype=True),
    ApiCase([("a.fits", 3)], LEVEL2B, with_exptype=True), ApiCase([("a.fits", 3)], LEVEL2B),
    ApiCase([(3, "science")], LEVEL2B, with_exptype=True),
    # the bare association: items as given (a tuple stays a tuple in YAML)
    *(ApiCase(items, BARE, with_exptype=with_exptype, format=fmt)
      for fmt in ("json", "yaml") for with_exptype in (False, True)
      for items in (SCIENCE_PSF, tuple(SCIENCE_PSF), ["a.fits", ["b.fits", "c.fits"], (), []], ["ab", "c"])),
]
#: Cases the reference writes and asnfp refuses on purpose: strings split into characters,
#: files the reference's own validate rejects when read back, a bare item with a ``None``.
API_OWN_REFUSALS = [
    ApiCase([("a.fits", "science"), ("b.fits", None)], LEVEL3, with_exptype=True),
    ApiCase([("a.fits", "science"), ("b.fits", 3)], "Asn_Lv3Image", with_exptype=True, format="yaml"),
    ApiCase([("a.fits", "science"), ("b.fits", None)], BARE),
    ApiCase([("a.fits", "science"), "xy"], LEVEL3, with_exptype=True),
    ApiCase([("a.fits", "science"), "b.fits"], LEVEL2B, with_exptype=True),
    ApiCase(["a.fits", ("b.fits", "science")], LEVEL2B, with_exptype=True),
]


@needs_reference
def test_fixed_api_cases_agree_with_the_reference() -> None:
    written, refused, own = _compare_api_with_the_reference(API_FIXED, strict=True)
    assert written >= 100 and refused >= 60 and own == 0


@needs_reference
def test_asnfp_refuses_what_the_reference_writes_as_garbage() -> None:
    written, refused, own = _compare_api_with_the_reference(API_OWN_REFUSALS)
    assert (written, refused, own) == (0, 0, len(API_OWN_REFUSALS))


#: One exptype in three is ``science`` (most lists of pairs are then valid), one in three
#: another known one or a case variant, one in three drawn text.
EXPTYPES = st.one_of(st.just("science"), st.sampled_from(["psf", "psf", "background", "BACKGROUND", "SCIENCE",
                                                          "Science", "", "imprint", "target_acquisition"]), NAMES)
API_RULES = st.sampled_from([*rule_names(), LEVEL3, LEVEL2B, LEVEL2B])  # every rule, the bases more often
#: Half the time a rule whose validity reads the exptype: the PSF rules, the Level-2 ones.
EXPTYPE_RULES = st.one_of(API_RULES, st.sampled_from(["Asn_Lv3AMI", "Asn_Lv3MIRCoron", "Asn_Lv3NRCCoron",
                                                      *LEVEL2_NAMES]))
API_ACIDS = st.sampled_from(["o1", "o999", "c1000"])


@st.composite
def pair_cases(draw: st.DrawFn) -> ApiCase:
    """``with_exptype=True`` and (expname, exptype) tuples of drawn strings (lists too, for a
    Level-3 rule, which unpacks any pair), under any rule."""
    rule = draw(EXPTYPE_RULES)
    pairs = draw(st.lists(st.tuples(NAMES, EXPTYPES), min_size=1, max_size=4))
    items = [list(p) for p in pairs] if rule in LEVEL3_NAMES and draw(st.booleans()) else pairs
    return ApiCase(items, rule, product_name=draw(NAMES), acid=draw(API_ACIDS), with_exptype=True,
                   format=draw(st.sampled_from(["json", "json", "yaml"])))


ITEM = st.one_of(
    NAMES, st.tuples(NAMES, EXPTYPES), st.tuples(NAMES, EXPTYPES), st.lists(st.one_of(NAMES, EXPTYPES), max_size=3),
    st.lists(NAMES, max_size=3).map(tuple), st.tuples(NAMES, st.none()), st.tuples(st.none(), NAMES),
)


@st.composite
def item_cases(draw: st.DrawFn) -> ApiCase:
    """Items of every shape (file names, tuples and lists of 0 to 3 strings, a ``None``
    here and there), with or without ``with_exptype``, under any rule."""
    items = draw(st.lists(ITEM, min_size=1, max_size=4))
    return ApiCase(tuple(items) if draw(st.booleans()) else items, draw(API_RULES),
                   product_name=draw(st.none() | NAMES), acid=draw(API_ACIDS), with_exptype=draw(st.booleans()),
                   format=draw(st.sampled_from(["json", "yaml"])))


@needs_reference
def test_drawn_pairs_agree_with_the_reference() -> None:
    """For every list of drawn (expname, exptype) pairs, under every rule: the same file
    as the reference, or both refuse."""
    written, refused, own = _compare_api_with_the_reference(_drawn(pair_cases(), 600), strict=True)
    assert written >= 200 and refused >= 150 and own == 0


@needs_reference
def test_drawn_items_agree_with_the_reference() -> None:
    """Items of every shape: the same file, or both refuse, or asnfp refuses a string
    where a pair is wanted (or a value that is not a string, for ``Association``)."""
    written, refused, own = _compare_api_with_the_reference(_drawn(item_cases(), 600))
    assert written >= 80 and refused >= 250 and own >= 10
