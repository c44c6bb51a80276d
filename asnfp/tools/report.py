"""One self-contained HTML page about a pool's associations: ``asnfp report POOL -o FILE``.

The page needs no network: its data are embedded as JSON in
``<script type="application/json" id="report-data">`` (every ``</`` written ``<\\/``, so
no file name can close the script), with a little inline JavaScript and CSS. It shows:

- ``#summary``: counts by level and ``asn_type``, the orphans, the options used, asnfp's
  version and the reference's;
- ``#matrix``: one row per pool row (ordered by observation, visit, pool order, a
  ``tr.group`` header between groups), one column per written association (grouped by
  level, then ``asn_type``), each member cell a letter for its role; clicking a column's
  header shows the association's file text (the bytes ``asnfp generate`` writes) in
  ``#detail``, clicking a row's header the row's verdicts from :mod:`asnfp.tools.explain`;
- ``#orphans``: each orphan, its nearest rule, the leaf that missed and the row's value;
- ``#filter``: narrows the rows, columns and orphans shown.

**Size limit**: when rows x associations exceeds :data:`CELL_LIMIT` (1,000,000 cells),
the matrix is drawn in chunks of about :data:`CHUNK` cells (as many rows as fit, at least
one; a button draws the next chunk) and the page says so; below it, the whole matrix is
drawn when the page loads. The data are embedded whole either way (every association's
file). Measured in headless Chromium on 2 cores: mega_pool (837 rows x 858 associations,
a 2.4 MB page) loads in about 6 s; a generated 10k-row pool (9,808 x 10,652, a 30 MB
page) draws its first chunk of 23 rows.

The verdicts are those of ``asnfp explain`` (per-candidate runs with the same options);
with ``per_pool=True`` the matrix is the per-pool run's while the verdicts stay
per-candidate, and a pool without ``asn_candidate`` gets none (``explain_note`` says why,
and the page shows it in place of a row's verdicts).

>>> page = report_html([{"filename": "jw_1_uncal.fits", "exp_type": "mir_image", "pntgtype": "science",
...                      "program": "1", "targetid": "1", "instrume": "miri", "detector": "mirimage",
...                      "filter": "f560w", "subarray": "full", "asn_candidate": "[('o001', 'observation')]"}])
>>> [a["file"] for a in embedded_data(page)["associations"]]
['jw00001-o001_image2_00001_asn.json', 'jw00001-o001_image3_00001_asn.json']
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
from collections.abc import Iterable, Sequence
from typing import Final, TypeAlias

from asnfp.api import PoolSource, RuleSource, generate, to_bytes
from asnfp.association import Association, members
from asnfp.errors import MissingColumn, UsageError
from asnfp.fast.drivers import Options
from asnfp.jwst.catalogue import run_registries
from asnfp.pool import Pool, read_pool
from asnfp.row import Row
from asnfp.rule import Rule, load_rule_files
from asnfp.tools.explain import Explanation, Verdict, explain_rows, nearness
from asnfp.transaction import write_file
from asnfp.version import REFERENCE_VERSION, __version__

__all__ = ("CELL_LIMIT", "CHUNK", "REFERENCE_VERSION", "JSON", "add_parser", "embedded_data", "report_data",
           "report_html", "role_code", "run")

#: Past this many matrix cells (rows x associations), the matrix is drawn in chunks.
CELL_LIMIT: Final = 1_000_000
#: About how many cells a chunk draws past :data:`CELL_LIMIT` (as many rows as fit).
CHUNK: Final = 250_000
#: The version of the reference (``jwst``'s ``asn_generate``) asnfp follows.

#: The embedded data: JSON values.
JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | bool | None"

_CODES: Final = {"science": "S", "background": "B", "imprint": "I", "psf": "P", "target_acquisition": "T"}
_MISS: Final = re.compile(r"miss at (?P<leaf>[^:]+): (?P<value>'[^']*'|\"[^\"]*\")?")
_DATA: Final = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def role_code(exptype: str) -> str:
    """The letter a member cell shows for its role.

    >>> role_code("science"), role_code("target_acquisition"), role_code("dark"), role_code("")
    ('S', 'T', 'D', '?')
    """
    return _CODES.get(exptype, exptype[:1].upper() or "?")


def _group_key(row: Row) -> tuple[tuple[int, str], tuple[int, str]]:
    def part(column: str) -> tuple[int, str]:
        text = row.get(column) or ""
        return (int(text), text) if text.isdigit() else (1 << 62, text)

    return part("obs_num"), part("visit")


def _nearest(explanation: Explanation, rules: Sequence[Rule]) -> Verdict | None:
    """The verdict of the rule the row came nearest to joining: one it matched (but was
    not written), else the miss whose leaves matched furthest (the first such rule)."""
    matched = [v for v in explanation.verdicts if v.status in ("dropped", "matched")]
    if matched:
        return matched[0]
    by_name = {r.name: r for r in rules}
    best: tuple[int, Verdict] | None = None
    for verdict in explanation.verdicts:
        if verdict.status == "miss" and verdict.rule in by_name:
            progress = nearness(by_name[verdict.rule].constraint, explanation.row)
            if best is None or progress > best[0]:
                best = (progress, verdict)
    return best[1] if best else None


def _leaf(detail: str) -> tuple[str | None, str | None]:
    found = _MISS.match(detail)
    if found is None:
        return None, None
    value = found["value"]
    return found["leaf"], value[1:-1] if value else None


def _asn_entry(asn: Association, fmt: str) -> dict[str, JSON]:
    name, data = to_bytes(asn, fmt)
    cells: list[JSON] = [[m.row.index, m.expname, m.exptype] for m in members(asn) if m.row is not None]
    instruments = sorted({m.row.get("instrume") or "" for m in members(asn) if m.row is not None} - {""})
    return {"file": name, "rule": asn.rule.name, "asn_type": asn.rule.asn_type, "level": asn.rule.level,
            "instrument": " ".join(instruments), "text": data.decode("utf-8", "replace"), "members": cells}


def report_data(pool: PoolSource, rules: RuleSource | Iterable[RuleSource] | None = None, *,
                ignore_default: bool = False, ids: Sequence[str] | None = None, discover: bool = False,
                all_candidates: bool = False, version_id: str | None = None, finalize: bool = True,
                merge: bool = False, per_pool: bool = False, debug: bool = False, workers: int = 1,
                fmt: str = "json") -> dict[str, JSON]:
    """The data a report embeds: what :func:`asnfp.api.generate` makes of the pool (with
    the same options), each association's file as ``asnfp generate`` writes it (``fmt``),
    and each row's verdicts from :func:`asnfp.tools.explain.explain_rows`.

    >>> data = report_data([{"filename": "jw_1_uncal.fits", "exp_type": "nrc_dark", "pntgtype": "science",
    ...                      "program": "1", "targetid": "1", "asn_candidate": "null"}])
    >>> data["associations"], [(o["file"], o["index"]) for o in data["orphans"]]  # type: ignore[union-attr,index]
    ([], [('jw_1_uncal.fits', 0)])
    """
    user: tuple[Rule, ...] = ()
    if rules is not None:
        items = [rules] if isinstance(rules, (Rule, str, os.PathLike)) else list(rules)
        user = tuple(r for item in items for r in ((item,) if isinstance(item, Rule) else load_rule_files([item])))
    try:
        made = generate(pool, user, ignore_default=ignore_default, ids=ids, discover=discover,
                        all_candidates=all_candidates, version_id=version_id, finalize=finalize, merge=merge,
                        per_pool=per_pool, debug=debug, workers=workers)
    except ValueError as err:
        raise UsageError(str(err)) from None
    rows = made.pool.rows
    given = ids is not None or discover or all_candidates
    options = Options(ids=None if ids is None else tuple(ids), discover=discover or not given,
                      all_candidates=all_candidates or not given, version_id=version_id,
                      finalize=finalize, merge=merge, workers=workers)
    make_registry = run_registries(user, ignore_default=ignore_default, keep_duplicates=debug)
    chosen = list(make_registry(None).rules)
    note = None
    try:
        explained = explain_rows(make_registry, rows, range(len(rows)), options, fmt=fmt) if rows else []
    except MissingColumn as err:  # (a per-pool pool without asn_candidate: explain runs per candidate)
        explained, note = [], f"no verdicts: explain runs the candidates, and {err}"
    strings: dict[tuple[str, str], int] = {}
    verdicts = [[strings.setdefault((v.status, v.detail), len(strings)) for v in e.verdicts] for e in explained]
    orphan_set = {r.index for r in made.orphans}
    order = sorted(range(len(rows)), key=lambda i: (_group_key(rows[i]), i))
    groups: list[tuple[tuple[int, str], tuple[int, str]]] = []
    row_entries: list[JSON] = []
    for i in order:
        key = _group_key(rows[i])
        if not groups or groups[-1] != key:
            groups.append(key)
        row_entries.append({"index": i, "file": rows[i].get("filename") or "", "group": len(groups) - 1,
                            "instrument": rows[i].get("instrume") or "", "orphan": i in orphan_set,
                            "verdicts": list(verdicts[i]) if explained else []})
    asns = sorted(made.associations, key=lambda a: (a.rule.level, a.rule.asn_type))  # (stable: generate's order within)
    orphans: list[JSON] = []
    for e in explained:
        if e.row.index not in orphan_set:
            continue
        near = _nearest(e, chosen)
        leaf, value = _leaf(near.detail) if near else (None, None)
        orphans.append({"index": e.row.index, "file": e.row.get("filename") or "",
                        "instrument": e.row.get("instrume") or "",
                        "rule": near.rule if near else None, "status": near.status if near else None,
                        "detail": near.detail if near else None, "leaf": leaf, "value": value})
    if not explained:
        orphans = [{"index": r.index, "file": r.get("filename") or "", "instrument": r.get("instrume") or "",
                    "rule": None, "status": None, "detail": None, "leaf": None, "value": None} for r in made.orphans]
    by_level: dict[str, JSON] = {}
    by_type: dict[str, JSON] = {}
    for a in asns:
        by_level[str(a.rule.level)] = int(str(by_level.get(str(a.rule.level), 0))) + 1
        by_type[a.rule.asn_type] = int(str(by_type.get(a.rule.asn_type, 0))) + 1
    used: dict[str, JSON] = {"ids": list(ids) if ids is not None else None, "discover": discover,
                             "all_candidates": all_candidates, "version_id": version_id, "finalize": finalize,
                             "merge": merge, "per_pool": per_pool, "debug": debug, "format": fmt,
                             "ignore_default": ignore_default, "rules": [r.name for r in user]}
    return {
        "pool": made.pool.meta.file, "version": __version__, "reference_version": REFERENCE_VERSION,
        "options": used, "limit": {"cells": CELL_LIMIT, "chunk": max(1, CHUNK // max(1, len(asns)))},
        "summary": {"rows": len(rows), "associations": len(asns), "orphans": len(made.orphans),
                    "by_level": by_level, "by_asn_type": by_type},
        "rules": [r.name for r in chosen], "explain_note": note,
        "verdicts": [[s, d] for s, d in strings],
        "groups": [f"observation {o[1] or '?'}, visit {v[1] or '?'}" for o, v in groups],
        "rows": row_entries,
        "associations": [_asn_entry(a, fmt) for a in asns],
        "orphans": orphans,
    }


def _script_json(data: JSON) -> str:
    """JSON safe inside a ``<script>``: no ``</`` (nor ``<!--``) can end or bend it.

    >>> _script_json(["</script>", "<!--"])
    '["<\\\\/script>", "<\\\\u0021--"]'
    """
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\u0021--")


def embedded_data(page: str) -> dict[str, JSON]:
    """The data a report page embeds (what :func:`report_data` gave).

    >>> embedded_data(report_html([]))["summary"]
    {'rows': 0, 'associations': 0, 'orphans': 0, 'by_level': {}, 'by_asn_type': {}}
    """
    found = _DATA.search(page)
    if found is None:
        raise ValueError("no report data in the page")
    data: dict[str, JSON] = json.loads(found.group(1))
    return data


def _summary(data: dict[str, JSON]) -> str:
    e = html.escape
    summary = data["summary"]
    assert isinstance(summary, dict)
    counts = [("rows", summary["rows"]), ("associations", summary["associations"]), ("orphans", summary["orphans"])]
    levels = summary["by_level"]
    types = summary["by_asn_type"]
    assert isinstance(levels, dict) and isinstance(types, dict)
    options = data["options"]
    assert isinstance(options, dict)
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in counts)
    items += "".join(f"<dt>level {e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in sorted(levels.items()))
    items += "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in sorted(types.items()))
    used = ", ".join(f"{k}={json.dumps(v)}" for k, v in options.items())
    return (f'<section id="summary"><h2>Summary</h2><p>Pool <code>{e(str(data["pool"]))}</code>; '
            f'asnfp <span id="asnfp-version">{e(str(data["version"]))}</span>, reference '
            f'<span id="reference-version">{e(str(data["reference_version"]))}</span> (jwst asn_generate).</p>'
            f'<dl class="counts">{items}</dl><p id="options">Options: <code>{e(used)}</code></p>'
            f'<p id="limit-note">Matrices over {CELL_LIMIT:,} cells (rows &times; associations) are drawn '
            f'in chunks of about {CHUNK:,} cells.</p></section>')


def _orphans(data: dict[str, JSON]) -> str:
    e = html.escape
    rows = []
    orphans = data["orphans"]
    assert isinstance(orphans, list)
    for o in orphans:
        assert isinstance(o, dict)
        text = " ".join(str(o[k] or "") for k in ("file", "rule", "instrument")).lower()
        rows.append(f'<tr data-row="{o["index"]}" data-text="{e(text)}" tabindex="0"><td>{e(str(o["file"]))}</td>'
                    f'<td>{e(str(o["rule"] or ""))}</td><td>{e(str(o["leaf"] or ""))}</td>'
                    f'<td>{e(str(o["value"] if o["value"] is not None else ""))}</td>'
                    f'<td>{e(str(o["detail"] or ""))}</td></tr>')
    return ('<section id="orphan-section"><h2>Orphans</h2><table id="orphans"><thead><tr><th scope="col">file</th>'
            '<th scope="col">nearest rule</th><th scope="col">leaf</th><th scope="col">value</th>'
            f'<th scope="col">explain</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>')


_CSS: Final = """
body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#111}
table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:1px 4px;text-align:center}
#matrix thead th{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;max-height:22em;cursor:pointer}
#matrix th[scope=row]{text-align:left;white-space:nowrap;cursor:pointer;position:sticky;left:0;background:#fff}
#matrix tr.group th{text-align:left;background:#eee;font-weight:bold}
#matrix tr.orphan th[scope=row]{background:#fee;font-style:italic}
[tabindex]:focus{outline:3px solid #1a4fd6;outline-offset:-3px}
.selected{background:#ffd!important}
td.role-science{background:#b8e0b8}td.role-background{background:#c8d4f0}td.role-imprint{background:#f0dcb0}
td.role-psf{background:#e4c4ec}td.role-target_acquisition{background:#f6c0c0}td.role-other{background:#ddd}
#detail pre{white-space:pre-wrap;border:1px solid #ccc;padding:.5em;max-height:40em;overflow:auto}
#detail li[data-status=joined]{color:#064}
.wrap{overflow:auto;max-height:70vh}
[hidden]{display:none!important}
@media print{#filter,#filter-label,#more{display:none!important}.wrap{overflow:visible;max-height:none}
 [hidden]{display:revert!important}#matrix th[scope=row]{position:static}}
"""

_JS: Final = r"""
(function(){
var D=JSON.parse(document.getElementById('report-data').textContent);
var table=document.getElementById('matrix'),head=table.tHead.rows[0],body=table.tBodies[0];
var detail=document.getElementById('detail'),filter=document.getElementById('filter');
var A=D.associations,R=D.rows,cellsOf={},colText=[],rowCols={};
var KNOWN={science:1,background:1,imprint:1,psf:1,target_acquisition:1};
var CODES={science:'S',background:'B',imprint:'I',psf:'P',target_acquisition:'T'};
function code(t){return CODES[t]||(t?t.charAt(0).toUpperCase():'?');}
A.forEach(function(a,j){
  var th=document.createElement('th');th.scope='col';th.tabIndex=0;th.setAttribute('role','button');
  th.setAttribute('data-asn',a.file);th.textContent=a.file;th.title=a.rule+' ('+a.asn_type+')';
  head.appendChild(th);
  colText.push((a.file+' '+a.rule+' '+a.asn_type+' '+a.instrument).toLowerCase());
  a.members.forEach(function(m){var k=m[0];(cellsOf[k]=cellsOf[k]||{});
    if(!(j in cellsOf[k]))cellsOf[k][j]=m;(rowCols[k]=rowCols[k]||[]).push(j);});
});
var limit=R.length*A.length>D.limit.cells,drawn=0,lastGroup=-1;
function drawRows(n){
  var frag=document.createDocumentFragment(),end=Math.min(R.length,drawn+n);
  for(var i=drawn;i<end;i++){var r=R[i];
    if(r.group!==lastGroup){lastGroup=r.group;var g=document.createElement('tr');g.className='group';
      var gh=document.createElement('th');gh.colSpan=A.length+1;gh.textContent=D.groups[r.group];
      g.appendChild(gh);frag.appendChild(g);}
    var tr=document.createElement('tr');tr.setAttribute('data-row',r.index);if(r.orphan)tr.className='orphan';
    var th=document.createElement('th');th.scope='row';th.tabIndex=0;th.setAttribute('role','button');
    th.textContent=r.file||('row '+(r.index+1));tr.appendChild(th);
    var cells=cellsOf[r.index]||{};
    for(var j=0;j<A.length;j++){var td=document.createElement('td'),m=cells[j];
      if(m){td.setAttribute('data-role',m[2]);td.textContent=code(m[2]);td.title=m[1]+' \u2014 '+m[2];
        td.tabIndex=0;td.setAttribute('aria-label',m[1]+', '+m[2]+', in '+A[j].file);
        td.className='role-'+(KNOWN[m[2]]?m[2]:'other');}
      tr.appendChild(td);}
    frag.appendChild(tr);}
  body.appendChild(frag);drawn=end;
  var more=document.getElementById('more');
  if(more){more.hidden=drawn>=R.length;
  more.textContent='Draw the next '+Math.min(D.limit.chunk,R.length-drawn)+' rows ('+drawn+' of '+R.length+' drawn)';
  }
  applyFilter();
}
function select(el){var s=table.querySelectorAll('.selected');for(var i=0;i<s.length;
  i++)s[i].classList.remove('selected');el.classList.add('selected');}
function showAsn(th){var a=A[th.cellIndex-1];select(th);detail.innerHTML='';
  var h=document.createElement('h2');h.textContent=a.file;var p=document.createElement('pre');p.textContent=a.text;
  detail.appendChild(h);detail.appendChild(p);}
function showRow(th){var k=+th.parentNode.getAttribute('data-row'),r=null;select(th);
  for(var i=0;i<R.length;i++)if(R[i].index===k){r=R[i];break;}
  detail.innerHTML='';if(D.explain_note){var n=document.createElement('p');n.textContent=D.explain_note;
  detail.appendChild(n);}
  var h=document.createElement('h2');h.textContent='row '+(k+1)+' ('+(r.file||'no file name')+')';
  var ul=document.createElement('ul');
  r.verdicts.forEach(function(v,i){var li=document.createElement('li'),s=D.verdicts[v];
    li.setAttribute('data-status',s[0]);li.setAttribute('data-rule',D.rules[i]);
  li.textContent=D.rules[i]+': '+s[1];ul.appendChild(li);});
  detail.appendChild(h);detail.appendChild(ul);}
function activate(t){if(t.tagName!=='TH')return;
  if(t.hasAttribute('data-asn'))showAsn(t);else if(t.scope==='row'&&t.parentNode.hasAttribute('data-row'))showRow(t);}
table.addEventListener('click',function(e){activate(e.target);});
table.addEventListener('keydown',function(e){
  if((e.key==='Enter'||e.key===' ')&&e.target.tagName==='TH'){e.preventDefault();activate(e.target);}});
function applyFilter(){var q=filter.value.trim().toLowerCase(),colOn=[],rowOn={},i,j;
  var rowHit=function(r){return !q||(r.file+' '+r.instrument).toLowerCase().indexOf(q)>=0;};
  for(j=0;j<A.length;j++)colOn.push(!q||colText[j].indexOf(q)>=0);
  R.forEach(function(r){var on=rowHit(r);
  if(!on)(rowCols[r.index]||[]).forEach(function(j){if(q&&colText[j].indexOf(q)>=0)on=true;});
  rowOn[r.index]=on;});
  if(q)R.forEach(function(r){if(rowHit(r))(rowCols[r.index]||[]).forEach(function(j){colOn[j]=true;});});
  for(j=0;j<A.length;j++){var hide=!colOn[j];head.cells[j+1].hidden=hide;}
  var trs=body.rows,groupRow=null,groupShown=false;
  for(i=0;i<trs.length;i++){var tr=trs[i];
    if(tr.className==='group'){if(groupRow)groupRow.hidden=!groupShown;groupRow=tr;groupShown=false;continue;}
    var on=!!rowOn[+tr.getAttribute('data-row')];tr.hidden=!on;if(on)groupShown=true;
    for(j=0;j<A.length;j++)tr.cells[j+1].hidden=!colOn[j];}
  if(groupRow)groupRow.hidden=!groupShown;
  var os=document.getElementById('orphans').tBodies[0].rows;
  for(i=0;i<os.length;i++)os[i].hidden=!!q&&os[i].getAttribute('data-text').indexOf(q)<0;}
filter.addEventListener('input',applyFilter);
var orphanRows=document.getElementById('orphans').tBodies[0];
function openOrphan(tr){if(!tr||!tr.hasAttribute('data-row'))return;
  var th=body.querySelector('tr[data-row="'+tr.getAttribute('data-row')+'"] th');if(th)showRow(th);}
orphanRows.addEventListener('click',function(e){openOrphan(e.target.closest('tr'));});
orphanRows.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();
  openOrphan(e.target.closest('tr'));}});
var more=document.getElementById('more');
if(limit){more.hidden=false;more.addEventListener('click',function(){drawRows(D.limit.chunk);});
  document.getElementById('chunked').hidden=false;drawRows(D.limit.chunk);}
else drawRows(R.length);
})();
"""


def _page(data: dict[str, JSON]) -> str:
    title = html.escape(f"asnfp report: {data['pool']}")
    summary = data["summary"]
    assert isinstance(summary, dict)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{title}</h1>\n{_summary(data)}\n"
        '<p><label id="filter-label" for="filter">Filter (file name, rule, asn_type, instrument): </label>'
        '<input id="filter" type="search" autocomplete="off"></p>\n'
        '<section id="matrix-section"><h2>Membership</h2>'
        '<p>Letters: S science, B background, I imprint, P psf, T target_acquisition, others their first '
        'letter. Click (or Enter/Space on) a header for details.</p>'
        f'<p id="chunked" hidden>This matrix has over {CELL_LIMIT:,} cells: its rows are drawn in chunks of '
        f'about {CHUNK:,} cells.</p>'
        '<div class="wrap"><table id="matrix"><thead><tr><th scope="col">file</th></tr></thead>'
        '<tbody></tbody></table></div><button id="more" type="button" hidden>Draw more rows</button></section>\n'
        '<section id="detail" aria-live="polite"><p>Select an association or a row.</p></section>\n'
        f"{_orphans(data)}\n"
        f'<script type="application/json" id="report-data">{_script_json(data)}</script>\n'
        f"<script>{_JS}</script>\n</body></html>\n"
    )


def report_html(pool: PoolSource, rules: RuleSource | Iterable[RuleSource] | None = None, *,
                ignore_default: bool = False, ids: Sequence[str] | None = None, discover: bool = False,
                all_candidates: bool = False, version_id: str | None = None, finalize: bool = True,
                merge: bool = False, per_pool: bool = False, debug: bool = False, workers: int = 1,
                fmt: str = "json") -> str:
    """The report page of a pool, as one HTML text; the options are those of
    :func:`asnfp.api.generate` (and ``fmt``, the file format shown).

    >>> page = report_html([])
    >>> page.startswith("<!DOCTYPE html>"), 'id="matrix"' in page, "http" in page
    (True, True, False)
    """
    return _page(report_data(pool, rules, ignore_default=ignore_default, ids=ids, discover=discover,
                             all_candidates=all_candidates, version_id=version_id, finalize=finalize,
                             merge=merge, per_pool=per_pool, debug=debug, workers=workers, fmt=fmt))


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register the ``report`` sub-command; returns it.

    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> args = add_parser(sub).parse_args(["pool.csv", "-o", "r.html", "--merge"])
    >>> args.pool, args.output_file, args.merge, args.command is run
    ('pool.csv', 'r.html', True, True)
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="one HTML page: the associations, their members, the orphans and why",
        description="Generate a pool's associations (as asnfp generate, with its flags) and write one "
                    "self-contained HTML page: a membership matrix, each file's text, each row's "
                    f"verdicts (as asnfp explain) and the orphans. Past {CELL_LIMIT:,} cells the matrix "
                    f"is drawn in chunks of about {CHUNK:,} cells.")
    p.add_argument("pool", help="association pool file")
    p.add_argument("-o", "--output-file", required=True, help="the HTML file to write")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-i", "--ids", nargs="+", help="only these candidate ids (e.g. o001 c1000)")
    mode.add_argument("--discover", action="store_true", help="only discovered associations")
    mode.add_argument("--all-candidates", action="store_true", dest="all_candidates",
                      help="only candidate associations (no discovery)")
    p.add_argument("--version-id", default=None, dest="version_id", help="version tag in file names")
    p.add_argument("-r", "--rules", action="append", help="a Python file of asnfp rules (repeatable)")
    p.add_argument("--ignore-default", action="store_true", help="do not use the JWST rules (only those of -r)")
    p.add_argument("-d", "--delimiter", default="|", help="pool column delimiter (default: |)")
    p.add_argument("--pool-format", default="ascii", help="astropy table format (default: ascii)")
    p.add_argument("-D", "--debug", action="store_true", help="also the duplicates pruning removed")
    p.add_argument("--format", default="json", choices=("json", "yaml"), help="file format shown")
    p.add_argument("--no-finalize", action="store_true", help="skip finalization")
    p.add_argument("--merge", action="store_true", help="merge Level-2 associations of one id")
    p.add_argument("--per-pool-algorithm", action="store_true", help="the per-pool algorithm")
    p.add_argument("-j", "--workers", type=int, default=1, metavar="N", help="processes (default: 1)")
    p.set_defaults(command=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Write the report of ``args`` (from :func:`add_parser`) to ``-o``; returns 0.

    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "pool.csv").write_text("filename|exp_type|pntgtype|program|targetid|asn_candidate\\n"
    ...                                 "jw_1_uncal.fits|nrc_dark|science|1|1|null\\n")
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> run(add_parser(sub).parse_args([str(d / "pool.csv"), "-o", str(d / "r.html")]))
    0
    >>> embedded_data((d / "r.html").read_text())["summary"]["orphans"]  # type: ignore[index,call-overload]
    1
    """
    if args.workers < 1:
        raise UsageError(f"-j {args.workers}: must be a whole number, at least 1")
    if args.version_id is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", args.version_id):
        raise UsageError(f"--version-id {args.version_id!r}: only letters, digits and '._-' are allowed")
    pool: Pool = read_pool(args.pool, fmt=args.pool_format, delimiter=args.delimiter)
    page = report_html(pool, args.rules or None, ignore_default=args.ignore_default, ids=args.ids,
                       discover=args.discover, all_candidates=args.all_candidates, version_id=args.version_id,
                       finalize=not args.no_finalize, merge=args.merge, per_pool=args.per_pool_algorithm,
                       debug=args.debug, workers=args.workers, fmt=args.format)
    write_file(args.output_file, page.encode("utf-8"), inputs=[args.pool, *(args.rules or ())])
    return 0
