"""The worked synthetic examples A-G of ../shared/reference/rules.md §6, one test each.

Each pool is built in memory from one base row (program 99009, pntgtype science, every
flag ``f``, candidate ``o001``, full frame, target 1, a prime targeted visit) plus the
overrides the text lists; values the text leaves out are plausible ones (instrument,
detector, ``mostilno`` 1, ...). The expected associations are what the reference
(jwst 3.0.0 ``asn_generate``) wrote for the very same pool, written out as a ``|`` pool
file: every written file (name without ``_asn.json``), its ``asn_rule``, ``target``,
product name and members (``expname exptype``, in file order). Where the text says
less than the reference wrote (an association it does not mention), the reference's
files are what is asserted; nothing here disagrees with the text.
"""

from __future__ import annotations

import pytest

from synthetic import synthetic_pool, written


def pool(*overrides: dict[str, str]):
    """Rows ``jw_00001_uncal.fits``, ``jw_00002_uncal.fits``, ...: the base row, every
    other column ``null``, then the overrides of that row."""
    return synthetic_pool(*overrides, name="example.csv")


def test_a_the_stale_imprint_check_refuses_the_second_imprint():
    """A: three NIRSpec IFU background rows, the last two imprints. SpecSpecial takes
    row 1 as science and row 2 as its imprint, then refuses row 3 (the last exposure type
    it computed was an imprint), so row 3 makes its own SpecSpecial association (the
    identical SpecImprint ``[3]`` is pruned); row 2 gets SpecImprint."""
    ifu = dict(exp_type="nrs_ifu", instrume="nirspec", detector="nrs1", filter="f170lp",
               grating="g235h", mostilno="1")
    got = written(pool(dict(ifu, bkgdtarg="t"), dict(ifu, bkgdtarg="t", is_imprt="t"),
                       dict(ifu, bkgdtarg="t", is_imprt="t")))
    assert got == {
        "jw99009-o001_spec2_00001": ("candidate_Asn_Lv2SpecSpecial", "1", "jw_00003",
                                     ["jw_00003_rate.fits science"]),
        "jw99009-o001_spec2_00002": ("candidate_Asn_Lv2SpecImprint", "1", "jw_00002",
                                     ["jw_00002_rate.fits science"]),
        "jw99009-o001_spec2_00003": ("candidate_Asn_Lv2SpecSpecial", "1", "jw_00001",
                                     ["jw_00001_rate.fits science", "jw_00002_rate.fits imprint"]),
        "jw99009-o001_spec3_00001": ("candidate_Asn_Lv3NRSIFUBackground", "t001",
                                     "jw99009-o001_t001_nirspec_g235h", ["jw_00001_cal.fits science"]),
    }


def test_b_full_frame_nircam_coronagraphy():
    """B: occulted (nrca2) and unocculted (nrca1) full-frame coronagraphy, PSFs in o002,
    an acquisition; o001 and o002 are also in the coronagraphic candidate c1000. The nrca2
    rows get both ``_rateints`` (Lv2Image/ImageSpecial) and ``_rate`` (CoronAsRate); the
    c1000 coron3 drops the nrca1 rows; NRCCoronImage takes both detectors as ``_cal``; no
    o001 coron3 (no PSF)."""
    coron = dict(exp_type="nrc_coron", instrume="nircam", filter="f210m", pupil="maskrnd",
                 channel="short", asn_candidate="[('o001', 'observation'), ('c1000', 'coronographic')]")
    psf = dict(coron, obs_num="2", is_psf="t",
               asn_candidate="[('o002', 'observation'), ('c1000', 'coronographic')]")
    got = written(pool(dict(coron, detector="nrca2"), dict(coron, detector="nrca1"),
                       dict(psf, detector="nrca2"), dict(psf, detector="nrca1"),
                       dict(coron, detector="nrca2", exp_type="nrc_tacq", pntgtype="target_acquisition")))
    assert got == {
        "jw99009-c1000_coron3_00001": ("candidate_Asn_Lv3NRCCoron", "t001", "jw99009-c1000_t001_nircam_f210m-maskrnd",
                                       ["jw_00001_calints.fits science", "jw_00003_calints.fits psf",
                                        "jw_00005_cal.fits target_acquisition"]),
        "jw99009-o001_image2_00001": ("candidate_Asn_Lv2ImageNonScience", "1", "jw_00005",
                                      ["jw_00005_rate.fits science"]),
        "jw99009-o001_image2_00002": ("candidate_Asn_Lv2Image", "1", "jw_00002", ["jw_00002_rate.fits science"]),
        "jw99009-o001_image2_00003": ("candidate_Asn_Lv2Image", "1", "jw_00001", ["jw_00001_rateints.fits science"]),
        "jw99009-o001_image2_00004": ("candidate_Asn_Lv2CoronAsRate", "1", "jw_00001", ["jw_00001_rate.fits science"]),
        "jw99009-o001_image3_00001": ("candidate_Asn_Lv3NRCCoronImage", "t001",
                                      "jw99009-o001_t001_nircam_f210m-maskrnd-image3",
                                      ["jw_00001_cal.fits science", "jw_00002_cal.fits science",
                                       "jw_00005_cal.fits target_acquisition"]),
        "jw99009-o002_image2_00001": ("candidate_Asn_Lv2ImageSpecial", "1", "jw_00004", ["jw_00004_rate.fits science"]),
        "jw99009-o002_image2_00002": ("candidate_Asn_Lv2ImageSpecial", "1", "jw_00003",
                                      ["jw_00003_rateints.fits science"]),
        "jw99009-o002_image2_00003": ("candidate_Asn_Lv2CoronAsRate", "1", "jw_00003", ["jw_00003_rate.fits science"]),
    }


def test_c_miri_lrs_along_slit_nod():
    """C: two nod positions, a TA confirm and an acquisition. Each nod is science of its
    own FixedSlitNod association with the other nod as background (the exposure type
    read from ``is_current_patt_num``); SpectralTarget repeats each science as an ``_x1d``
    background at the end."""
    lrs = dict(exp_type="mir_lrs-fixedslit", instrume="miri", detector="mirimage", filter="p750l",
               patttype="along-slit-nod")
    got = written(pool(dict(lrs, patt_num="1"), dict(lrs, patt_num="2"),
                       dict(lrs, exp_type="mir_taconfirm", patttype="null"),
                       dict(lrs, exp_type="mir_tacq", pntgtype="target_acquisition", patttype="null")))
    assert got == {
        "jw99009-o001_image2_00001": ("candidate_Asn_Lv2ImageNonScience", "1", "jw_00004",
                                      ["jw_00004_rate.fits science"]),
        "jw99009-o001_image2_00002": ("candidate_Asn_Lv2ImageNonScience", "1", "jw_00003",
                                      ["jw_00003_rate.fits science"]),
        "jw99009-o001_spec2_00001": ("candidate_Asn_Lv2MIRLRSFixedSlitNod", "1", "jw_00002",
                                     ["jw_00002_rate.fits science", "jw_00003_rate.fits target_acquisition",
                                      "jw_00001_rate.fits background"]),
        "jw99009-o001_spec2_00002": ("candidate_Asn_Lv2MIRLRSFixedSlitNod", "1", "jw_00001",
                                     ["jw_00001_rate.fits science", "jw_00002_rate.fits background",
                                      "jw_00003_rate.fits target_acquisition"]),
        "jw99009-o001_spec3_00001": ("candidate_Asn_Lv3SpectralTarget", "t001", "jw99009-o001_t001_miri_p750l",
                                     ["jw_00001_cal.fits science", "jw_00002_cal.fits science",
                                      "jw_00003_cal.fits target_acquisition", "jw_00004_cal.fits target_acquisition",
                                      "jw_00001_x1d.fits background", "jw_00002_x1d.fits background"]),
    }


def _niriss_parallel():
    nis = dict(instrume="niriss", detector="nis", targetid="null", visitype="parallel_pure")

    def candidates(obs: str) -> str:
        return f"[('{obs}', 'observation'), ('c1000', 'direct_image')]"

    return pool(dict(nis, exp_type="nis_image", filter="clear", pupil="f150w", obs_num="1",
                     asn_candidate=candidates("o001")),
                dict(nis, exp_type="nis_wfss", filter="gr150r", pupil="f150w", obs_num="2",
                     asn_candidate=candidates("o002")),
                dict(nis, exp_type="nis_wfss", filter="gr150c", pupil="f150w", obs_num="3",
                     asn_candidate=candidates("o003")))


_NIRISS_ROOT = "jw99009-c1000_t000_niriss_clear-f150w"
_NIRISS = {
    "jw99009-c1000_image3_00001": ("candidate_Asn_Lv3Image", "t000", _NIRISS_ROOT, ["jw_00001_cal.fits science"]),
    "jw99009-c1000_spec2_00001": ("candidate_Asn_Lv2WFSSParallel", "null", "jw_00003", [
        "jw_00003_rate.fits science", f"{_NIRISS_ROOT}_i2d.fits direct_image",
        f"{_NIRISS_ROOT}_cat.ecsv sourcecat", f"{_NIRISS_ROOT}_segm.fits segmap"]),
    "jw99009-c1000_spec2_00002": ("candidate_Asn_Lv2WFSSParallel", "null", "jw_00002", [
        "jw_00002_rate.fits science", f"{_NIRISS_ROOT}_i2d.fits direct_image",
        f"{_NIRISS_ROOT}_cat.ecsv sourcecat", f"{_NIRISS_ROOT}_segm.fits segmap"]),
    "jw99009-c1000_spec3_00001": ("candidate_Asn_Lv3WFSSNIS", "t000", "jw99009-c1000_t000_niriss_f150w-gr150c",
                                  ["jw_00003_cal.fits science"]),
    "jw99009-c1000_spec3_00002": ("candidate_Asn_Lv3WFSSNIS", "t000", "jw99009-c1000_t000_niriss_f150w-gr150r",
                                  ["jw_00002_cal.fits science"]),
    # not in the text, written by the reference: the direct image's own observation
    "jw99009-o001_image2_00001": ("candidate_Asn_Lv2Image", "null", "jw_00001", ["jw_00001_rate.fits science"]),
}


def _nircam(first_direct_filter: str):
    nrc = dict(instrume="nircam", exp_type="nrc_image", detector="nrcalong", pupil="clear")
    grism = dict(nrc, exp_type="nrc_wfss", filter="f356w")
    return pool(dict(nrc, filter=first_direct_filter, expspcin="1"),
                dict(grism, pupil="grismr", expspcin="2"),
                dict(grism, pupil="grismr", expspcin="2"),
                dict(nrc, filter="f356w", expspcin="3"),
                dict(nrc, detector="nrca1", filter="f150w", expspcin="3"),
                dict(grism, pupil="grismc", expspcin="4"))


def _catalog(sci: str, root: str) -> list[str]:
    return [f"{sci}_rate.fits science", f"{root}_i2d.fits direct_image", f"{root}_cat.ecsv sourcecat",
            f"{root}_segm.fits segmap"]


def _nircam_expected(first: str) -> dict:
    """``first``: the first direct image's filter. The expspcin-2 grisms take direct 4
    (expspcin 3, the smallest positive difference), the expspcin-4 grism falls back to
    the first direct (no positive difference); the nrca1 direct is never attached."""
    root = "jw99009-o001_t001_nircam_clear-"
    image3 = {
        "jw99009-o001_image3_00001": ("candidate_Asn_Lv3Image", "t001", root + "f150w", ["jw_00005_cal.fits science"]),
    }
    if first == "f356w":
        image3["jw99009-o001_image3_00002"] = ("candidate_Asn_Lv3Image", "t001", root + "f356w",
                                               ["jw_00001_cal.fits science", "jw_00004_cal.fits science"])
    else:
        image3["jw99009-o001_image3_00002"] = ("candidate_Asn_Lv3Image", "t001", root + "f356w",
                                               ["jw_00004_cal.fits science"])
        image3["jw99009-o001_image3_00003"] = ("candidate_Asn_Lv3Image", "t001", root + first,
                                               ["jw_00001_cal.fits science"])
    return {
        "jw99009-o001_image2_00001": ("candidate_Asn_Lv2Image", "1", "jw_00005", ["jw_00005_rate.fits science"]),
        "jw99009-o001_image2_00002": ("candidate_Asn_Lv2Image", "1", "jw_00004", ["jw_00004_rate.fits science"]),
        "jw99009-o001_image2_00003": ("candidate_Asn_Lv2Image", "1", "jw_00001", ["jw_00001_rate.fits science"]),
        **image3,
        "jw99009-o001_spec2_00001": ("candidate_Asn_Lv2WFSSNRC", "1", "jw_00006", _catalog("jw_00006", root + first)),
        "jw99009-o001_spec2_00002": ("candidate_Asn_Lv2WFSSNRC", "1", "jw_00003", _catalog("jw_00003", root + "f356w")),
        "jw99009-o001_spec2_00003": ("candidate_Asn_Lv2WFSSNRC", "1", "jw_00002", _catalog("jw_00002", root + "f356w")),
        "jw99009-o001_spec3_00001": ("candidate_Asn_Lv3WFSSNRC", "t001", "jw99009-o001_t001_nircam_f356w-grismc",
                                     ["jw_00006_cal.fits science"]),
        "jw99009-o001_spec3_00002": ("candidate_Asn_Lv3WFSSNRC", "t001", "jw99009-o001_t001_nircam_f356w-grismr",
                                     ["jw_00002_cal.fits science", "jw_00003_cal.fits science"]),
    }


@pytest.mark.parametrize("case", ["niriss parallel", "nircam", "nircam, directs told apart"])
def test_d_wfss(case):
    """D: NIRISS pure parallel in a direct-image candidate (target ``t000``, catalogue
    ROOT from the c1000 direct), and NIRCam with directs on two detectors. In the text's
    NIRCam pool every direct on nrcalong is f356w, so which one is chosen cannot be seen;
    the third case gives the first direct f444w (checked with the reference) to show the
    expspcin-4 grism falling back to it while the expspcin-2 grisms take expspcin 3."""
    if case == "niriss parallel":
        assert written(_niriss_parallel()) == _NIRISS
    elif case == "nircam":
        assert written(_nircam("f356w")) == _nircam_expected("f356w")
    else:
        assert written(_nircam("f444w")) == _nircam_expected("f444w")


def test_e_imaging_with_a_background_candidate():
    """E: MIRI imaging, two science rows (o001) and two background-target rows (o002,
    target 2), all in background candidate c1000. c1000 Lv2Image takes each science with
    both backgrounds (the o001 ones are pruned as subsets); the backgrounds are their own
    ImageSpecial science; ImageBackground in c1000 sees one obs_num and is dropped."""
    mir = dict(exp_type="mir_image", instrume="miri", detector="mirimage", filter="f770w")
    sci = dict(mir, asn_candidate="[('o001', 'observation'), ('c1000', 'background')]")
    bkg = dict(mir, obs_num="2", targetid="2", bkgdtarg="t",
               asn_candidate="[('o002', 'observation'), ('c1000', 'background')]")
    got = written(pool(sci, sci, bkg, bkg))
    assert got == {
        "jw99009-c1000_image2_00001": ("candidate_Asn_Lv2Image", "1", "jw_00002", [
            "jw_00002_rate.fits science", "jw_00003_rate.fits background", "jw_00004_rate.fits background"]),
        "jw99009-c1000_image2_00002": ("candidate_Asn_Lv2Image", "1", "jw_00001", [
            "jw_00001_rate.fits science", "jw_00003_rate.fits background", "jw_00004_rate.fits background"]),
        "jw99009-o001_image3_00001": ("candidate_Asn_Lv3Image", "t001", "jw99009-o001_t001_miri_f770w",
                                      ["jw_00001_cal.fits science", "jw_00002_cal.fits science"]),
        "jw99009-o002_image2_00001": ("candidate_Asn_Lv2ImageSpecial", "2", "jw_00004", ["jw_00004_rate.fits science"]),
        "jw99009-o002_image2_00002": ("candidate_Asn_Lv2ImageSpecial", "2", "jw_00003", ["jw_00003_rate.fits science"]),
        "jw99009-o002_image3_00001": ("candidate_Asn_Lv3ImageBackground", "t002", "jw99009-o002_t002_miri_f770w",
                                      ["jw_00003_cal.fits science", "jw_00004_cal.fits science"]),
    }


_SOSS_NAME = "jw99009-o001_t001_niriss_clear-gr700xd-substrip256"
_SOSS = {
    "non-TSO": ({}, {
        "jw99009-o001_spec2_00001": ("candidate_Asn_Lv2Spec", "1", "jw_00001", ["jw_00001_rate.fits science"]),
        "jw99009-o001_spec3_00001": ("candidate_Asn_Lv3SlitlessSpectral", "t001", _SOSS_NAME,
                                     ["jw_00001_cal.fits science"]),
    }),
    "TSO": (dict(tsovisit="t"), {
        "jw99009-o001_tso-spec2_00001": ("candidate_Asn_Lv2SpecTSO", "1", "jw_00001",
                                         ["jw_00001_rateints.fits science"]),
        "jw99009-o001_tso3_00001": ("candidate_Asn_Lv3TSO", "t001", _SOSS_NAME, ["jw_00001_calints.fits science"]),
    }),
    "TSO, nints 1": (dict(tsovisit="t", nints="1"), {
        "jw99009-o001_tso-spec2_00001": ("candidate_Asn_Lv2SpecTSO", "1", "jw_00001",
                                         ["jw_00001_rateints.fits science"]),
    }),
    "TSO, f277w": (dict(tsovisit="t", filter="f277w"), {}),
    "non-TSO, nodded": (dict(patttype="2-point-nod"), {
        "jw99009-o001_spec3_00001": ("candidate_Asn_Lv3SpectralTarget", "t001", _SOSS_NAME,
                                     ["jw_00001_cal.fits science"]),
    }),
}


@pytest.mark.parametrize("case", list(_SOSS))
def test_f_niriss_soss(case):
    """F: one NIRISS SOSS exposure (clear/gr700xd, substrip256, 10 integrations) per
    pool. Non-TSO: Lv2Spec + SlitlessSpectral; TSO: SpecTSO + Lv3TSO; TSO with one
    integration: SpecTSO only; TSO through f277w: nothing; nodded non-TSO: only
    SpectralTarget (Lv2Spec leaves nodded exposures out)."""
    soss = dict(exp_type="nis_soss", instrume="niriss", detector="nis", filter="clear", pupil="gr700xd",
                subarray="substrip256", mostilno="1", nints="10")
    overrides, expected = _SOSS[case]
    assert written(pool(dict(soss, **overrides))) == expected


def test_g_nirspec_lamps():
    """G: NIRSpec lamp exposures (filter opaque). The mirror/image lamp is an image2;
    fixed-slit autoflat and lamp, MSA lamp with a metafile and IFU prism autowave on nrs1
    are nrslamp-spec2 each; g140h IFU flat4 on nrs2 and the MSA lamp without metafile
    make nothing."""
    lamp = dict(instrume="nirspec", detector="nrs1", filter="opaque", exp_type="nrs_lamp")
    got = written(pool(
        dict(lamp, grating="mirror", opmode="image", lamp="line1"),
        dict(lamp, exp_type="nrs_autoflat", grating="g140h", opmode="fixedslit", lamp="flat1"),
        dict(lamp, grating="g140h", opmode="fixedslit", lamp="line1"),
        dict(lamp, grating="g395m", opmode="msaspec", msametfl="jw99009001001_01_msa.fits", lamp="line3"),
        dict(lamp, exp_type="nrs_autowave", grating="prism", opmode="ifu", lamp="line4"),
        dict(lamp, detector="nrs2", grating="g140h", opmode="ifu", lamp="flat4"),
        dict(lamp, grating="g395m", opmode="msaspec", lamp="line3"),
    ))
    assert got == {
        "jw99009-o001_image2_00001": ("candidate_Asn_Lv2NRSLAMPImage", "1", "jw_00001", ["jw_00001_rate.fits science"]),
        **{f"jw99009-o001_nrslamp-spec2_0000{seq}": ("candidate_Asn_Lv2NRSLAMPSpectral", "1", f"jw_0000{row}",
                                                     [f"jw_0000{row}_rate.fits science"])
           for seq, row in ((1, 5), (2, 4), (3, 3), (4, 2))},
    }
