"""``asnfp report``'s page, in a real browser: what a user sees and can do.

The page :func:`asnfp.tools.report.report_html` makes for the example pool (17 rows,
21 written associations, no orphan) and for that pool plus a dark exposure no rule
takes (one orphan) is opened from a file in headless chromium (``tests/browser.py``):
the matrix holds a row per pool row and a column per written association, a cell's role
is the member's ``exptype`` in the association's file, the filter hides what does not
match, a click (or Tab and Enter) shows an association's file or why an orphan missed
each rule, and the page makes no network request at all.

The tests skip (one line saying why) without the report module, playwright or a system
chromium; no browser is ever downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import asnfp
from asnfp.association import member_rows, members
from asnfp.jwst.catalogue import run_registries
from asnfp.tools.explain import explain_rows

import browser

report = pytest.importorskip("asnfp.tools.report", reason="asnfp.tools.report is not there yet")

if browser.skip_reason() is not None:
    pytest.skip(browser.skip_reason(), allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "jw01234_imaging_pool.csv"
DARK = "jw01234001001_03101_00001_nrca1_uncal.fits"  # the orphan: a dark exposure no rule takes
CODES = {"science": "S", "background": "B", "imprint": "I", "psf": "P", "target_acquisition": "T"}


def code(exptype: str) -> str:
    """The one-letter text of a member's cell."""
    return CODES.get(exptype, exptype[:1].upper())


def orphan_pool(folder: Path) -> Path:
    """The example pool plus a dark exposure of observation 1, which no rule takes."""
    text = EXAMPLE.read_text()
    first = next(line for line in text.splitlines() if line.startswith("jw01234001001_02101_00001_nrca1"))
    dark = first.replace("02101_00001_nrca1", "03101_00001_nrca1").replace("|nrc_image|", "|nrc_dark|")
    path = folder / "jw01234_with_dark_pool.csv"
    path.write_text(text + ("" if text.endswith("\n") else "\n") + dark + "\n")
    return path


class Case:
    """A pool, what ``asnfp.generate`` makes of it, and its report as a file."""

    def __init__(self, pool: Path, folder: Path) -> None:
        self.pool = pool
        self.made = asnfp.generate(str(pool))
        self.rows = self.made.pool.rows
        self.files = dict(map(asnfp.to_bytes, self.made.associations))
        self.names = list(self.files)
        self.html = folder / f"{pool.stem}_report.html"
        self.html.write_text(report.report_html(str(pool)), encoding="utf-8")


@pytest.fixture(scope="module")
def chromium() -> Any:
    with browser.browser() as running:
        yield running


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Case:
    return Case(EXAMPLE, tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def with_orphan(tmp_path_factory: pytest.TempPathFactory) -> Case:
    folder = tmp_path_factory.mktemp("orphan")
    return Case(orphan_pool(folder), folder)


@pytest.fixture(params=["example", "with_orphan"])
def case(request: pytest.FixtureRequest) -> Case:
    return request.getfixturevalue(request.param)


def opened(case: Case, chromium: Any) -> Any:
    return browser.open_page(case.html, running=chromium)


def visible(page: Any, selector: str, attribute: str) -> list[str]:
    """The ``attribute`` of each element matching ``selector`` not hidden by the filter."""
    return page.eval_on_selector_all(
        selector, f"els => els.filter(e => !e.closest('[hidden]')).map(e => e.getAttribute('{attribute}'))")


def column(page: Any, name: str) -> list[dict[str, str]]:
    """The member cells of association ``name``'s column: each row's index, role, text, title."""
    return page.evaluate(
        """name => {
            const th = [...document.querySelectorAll('#matrix thead th[data-asn]')]
                .find(h => h.getAttribute('data-asn') === name);
            const at = th.cellIndex;
            return [...document.querySelectorAll('#matrix tbody tr[data-row]')]
                .map(tr => [tr, tr.cells[at]])
                .filter(([tr, td]) => td && td.hasAttribute('data-role'))
                .map(([tr, td]) => ({row: tr.getAttribute('data-row'), role: td.getAttribute('data-role'),
                                     text: td.textContent.trim(), title: td.getAttribute('title') || ''}));
        }""", name)


def detail_pre(page: Any) -> str:
    pre = page.locator("#detail pre")
    pre.wait_for(state="visible")
    return str(pre.text_content())


def typed(page: Any, text: str) -> None:
    """Type ``text`` into the filter, as a user does (a key at a time)."""
    box = page.locator("#filter")
    box.fill("")
    box.press_sequentially(text)


# --------------------------------------------------------------------------- the matrix


def test_the_page_carries_its_data_and_summary(case: Case, chromium: Any) -> None:
    with opened(case, chromium) as o:
        data = json.loads(str(o.page.locator("script#report-data[type='application/json']").text_content()))
        assert data
        assert o.page.locator("#summary").is_visible()
        assert o.page.locator("#filter[type='search']").count() == 1


def test_a_matrix_row_per_pool_row_and_a_column_per_written_association(case: Case, chromium: Any) -> None:
    with opened(case, chromium) as o:
        rows = o.page.eval_on_selector_all("#matrix tbody tr[data-row]", "els => els.map(e => e.dataset.row)")
        heads = o.page.eval_on_selector_all("#matrix thead th[data-asn]", "els => els.map(e => e.dataset.asn)")
        assert sorted(map(int, rows)) == [r.index for r in case.rows]
        assert len(heads) == len(case.made.associations)
        assert sorted(heads) == sorted(case.names)
        # a row's header is its file name
        for row in case.rows:
            th = o.page.locator(f"#matrix tbody tr[data-row='{row.index}'] th[scope='row']")
            assert row.get("filename") in str(th.text_content())
        # group header rows carry no data-row
        assert o.page.locator("#matrix tbody tr.group[data-row]").count() == 0


def test_example_counts(example: Case, with_orphan: Case) -> None:
    assert (len(example.rows), len(example.names), len(example.made.orphans)) == (17, 21, 0)
    assert (len(with_orphan.rows), len(with_orphan.names), len(with_orphan.made.orphans)) == (18, 21, 1)


def test_each_cell_is_the_members_role_in_the_file(example: Case, chromium: Any) -> None:
    with opened(example, chromium) as o:
        for asn in example.made.associations:
            name, data = asnfp.to_bytes(asn)
            in_file = [(m["expname"], m["exptype"]) for p in json.loads(data)["products"] for m in p["members"]]
            cells = column(o.page, name)
            assert len(cells) == len(in_file), name
            assert sorted((c["title"], c["role"]) for c in cells) == sorted(
                (f"{expname} \N{EM DASH} {exptype}", exptype) for expname, exptype in in_file), name
            assert all(c["text"] == code(c["role"]) for c in cells), name
            # the cells sit in the rows the members came from
            assert sorted(int(c["row"]) for c in cells) == sorted(r.index for r in member_rows(asn)), name
            assert len(members(asn)) == len(in_file)


# --------------------------------------------------------------------------- the filter


def test_typing_a_file_name_fragment_leaves_its_rows(example: Case, chromium: Any) -> None:
    fragment = "00004_mirimage"  # MIRI's fourth dither, in both filters
    wanted = sorted(str(r.index) for r in example.rows if fragment in (r.get("filename") or ""))
    assert len(wanted) == 2
    with opened(example, chromium) as o:
        typed(o.page, fragment)
        assert sorted(visible(o.page, "#matrix tbody tr[data-row]", "data-row")) == wanted
        typed(o.page, "")
        assert len(visible(o.page, "#matrix tbody tr[data-row]", "data-row")) == len(example.rows)
        assert len(visible(o.page, "#matrix thead th[data-asn]", "data-asn")) == len(example.names)


def test_typing_image3_leaves_the_image3_columns(example: Case, chromium: Any) -> None:
    wanted = sorted(n for n in example.names if "image3" in n)
    assert len(wanted) == 4
    with opened(example, chromium) as o:
        typed(o.page, "image3")
        assert sorted(visible(o.page, "#matrix thead th[data-asn]", "data-asn")) == wanted


def test_the_filter_hides_an_orphan_that_does_not_match(with_orphan: Case, chromium: Any) -> None:
    (orphan,) = with_orphan.made.orphans
    with opened(with_orphan, chromium) as o:
        assert visible(o.page, "#orphans tr[data-row]", "data-row") == [str(orphan.index)]
        typed(o.page, "03101")
        assert visible(o.page, "#orphans tr[data-row]", "data-row") == [str(orphan.index)]
        assert visible(o.page, "#matrix tbody tr[data-row]", "data-row") == [str(orphan.index)]
        typed(o.page, "mirimage")
        assert visible(o.page, "#orphans tr[data-row]", "data-row") == []


# --------------------------------------------------------------------------- details


def test_clicking_a_header_shows_the_association_file(case: Case, chromium: Any) -> None:
    with opened(case, chromium) as o:
        for name in (case.names[0], case.names[-1]):
            o.page.locator(f"#matrix thead th[data-asn='{name}']").click()
            assert detail_pre(o.page) == case.files[name].decode("utf-8")


def _misses(case: Case, index: int) -> list[tuple[str, str]]:
    (explained,) = explain_rows(run_registries(), case.rows, [index])
    return [(v.rule, v.detail) for v in explained.verdicts]


def _shown_verdicts(page: Any) -> str:
    items = page.locator("#detail ul li")
    items.first.wait_for(state="visible")
    return " \n".join(" ".join(str(t).split()) for t in items.all_text_contents())


def test_clicking_an_orphans_row_header_shows_the_leaf_that_missed(with_orphan: Case, chromium: Any) -> None:
    (orphan,) = with_orphan.made.orphans
    assert orphan.get("filename") == DARK
    verdicts = _misses(with_orphan, orphan.index)
    leaf = "miss at exp_type: 'nrc_dark' does not match 'nrc_image|mir_image|nis_image|fgs_image|...'"
    assert ("Asn_Lv3Image", leaf) in verdicts
    with opened(with_orphan, chromium) as o:
        o.page.locator(f"#matrix tbody tr[data-row='{orphan.index}'] th[scope='row']").click()
        shown = _shown_verdicts(o.page)
        assert o.page.locator("#detail ul li").count() == len(verdicts)
        for rule, detail in verdicts:
            assert rule in shown
            assert " ".join(detail.split()) in shown, (rule, detail)


def test_the_orphans_table_shows_the_nearest_miss(with_orphan: Case, chromium: Any) -> None:
    (orphan,) = with_orphan.made.orphans
    verdicts = _misses(with_orphan, orphan.index)
    with opened(with_orphan, chromium) as o:
        row = o.page.locator(f"#orphans tr[data-row='{orphan.index}']")
        text = " ".join(str(row.text_content()).split())
        assert DARK in text
        assert any(rule in text and " ".join(detail.split()) in text for rule, detail in verdicts), text


def test_clicking_an_orphan_in_the_orphans_table_shows_its_verdicts(with_orphan: Case, chromium: Any) -> None:
    (orphan,) = with_orphan.made.orphans
    verdicts = _misses(with_orphan, orphan.index)
    with opened(with_orphan, chromium) as o:
        o.page.locator(f"#orphans tr[data-row='{orphan.index}']").click()
        shown = _shown_verdicts(o.page)
        assert DARK in str(o.page.locator("#detail h2").text_content())
        assert all(" ".join(detail.split()) in shown for _, detail in verdicts)


def test_tab_reaches_a_header_and_enter_opens_it(example: Case, chromium: Any) -> None:
    with opened(example, chromium) as o:
        page = o.page
        page.locator("body").click(position={"x": 1, "y": 1})
        reached = None
        for _ in range(40 + len(example.rows) + len(example.names)):
            page.keyboard.press("Tab")
            reached = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-asn')")
            if reached:
                break
        assert reached in example.files, "Tab never reached an association header"
        page.keyboard.press("Enter")
        assert detail_pre(page) == example.files[reached].decode("utf-8")


def test_row_headers_can_take_the_focus(example: Case, chromium: Any) -> None:
    with opened(example, chromium) as o:
        focusable = o.page.eval_on_selector_all("#matrix tbody tr[data-row] th[scope='row']",
                                                "els => els.map(e => e.tabIndex >= 0)")
        assert focusable and all(focusable)


# --------------------------------------------------------------------------- offline, a picture


def test_the_page_makes_no_network_request(case: Case, chromium: Any) -> None:
    with opened(case, chromium) as o:
        page = o.page
        page.locator("#matrix thead th[data-asn]").first.click()
        page.locator("#matrix tbody tr[data-row] th[scope='row']").first.click()
        if case.made.orphans:
            page.locator("#orphans tr[data-row]").first.click()
        typed(page, "image2")
        page.wait_for_timeout(200)
        assert o.network() == []


def test_a_member_cell_takes_the_focus_and_names_its_file_and_role(example: Case, chromium: Any) -> None:
    with opened(example, chromium) as o:
        cell = o.page.locator("#matrix td[data-role]").first
        cell.focus()
        label = str(o.page.evaluate("document.activeElement.getAttribute('aria-label')"))
        role = str(cell.get_attribute("data-role"))
        assert role in label and str(cell.get_attribute("title")).split(" \u2014 ")[0] in label


def test_printed_the_page_shows_every_row_and_no_filter(example: Case, chromium: Any) -> None:
    """Printing shows the whole matrix (what a filter hid too) and leaves the filter out."""
    with opened(example, chromium) as o:
        o.page.fill("#filter", "image3")
        o.page.emulate_media(media="print")
        assert not o.page.locator("#filter").is_visible()
        shown = [r for r in o.page.locator("#matrix tbody tr[data-row]").all() if r.is_visible()]
        assert len(shown) == len(example.made.pool.rows)
        assert len(o.page.pdf()) > 1000


def test_a_screenshot_of_the_example_report(example: Case, chromium: Any, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    data = browser.screenshot(example.html, png, running=chromium)
    width, height = browser.png_size(png.read_bytes())
    assert png.read_bytes() == data
    assert len(data) > 5_000
    assert width > 800 and height > 100
