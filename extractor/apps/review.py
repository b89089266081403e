"""The review page of a report, and a batch's index of them: one self-contained HTML file each.

A review page shows every page of the report as an image with every cell that was read boxed and
coloured by what the checks say of it (red: a failing check names it; orange: read unsure; yellow:
a warning names it; blue: corrected or confirmed by the table's sums; green: read and consistent). Hovering a box shows the
cell's official label, its value, the text printed and the reader's confidence. Beside the pages,
the findings (the same as the workbook's 问题清单, numbered alike), each a link to its page that
also lights up its cells; then every check with its status, and the reader's notes (``problems``).

The 比对 page (``compare_html``) puts one body's two years side by side: the checks across years,
every figure with its change (the large ones red), each section with the sentences found in both
years marked.

Offline by construction: the page images are inlined as ``data:`` URIs, the style and the few
lines of script are inline, and a Content-Security-Policy forbids loading anything else, so the
file works from a USB stick, an e-mail attachment or an intranet without internet.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from extractor.series.compare import BatchSeries, Comparison
from extractor.spec import messages as zh
from extractor.spec.templates import cell_id

ZOOM = 1.5   # 108 dpi: digits legible, a text page ~150 KB as PNG

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
 color:#222;background:#eef0f3}
header{padding:10px 18px;background:#fff;border-bottom:1px solid #ccd}
header h1{font-size:18px;margin:0 0 4px}
header p{margin:0;font-size:13px;color:#555}
.status-fail{color:#c00000;font-weight:bold}.status-pass{color:#1a7f37;font-weight:bold}
.status-warn{color:#9c6500;font-weight:bold}
main{display:grid;grid-template-columns:minmax(0,1fr) 420px;gap:14px;padding:14px}
#pages figure{margin:0 0 18px;background:#fff;box-shadow:0 1px 3px #0003}
#pages figcaption{font-size:13px;padding:4px 8px;color:#555;border-bottom:1px solid #eee}
.sheet{position:relative}
.sheet img{display:block;width:100%;height:auto}
.cell{position:absolute;border:1.5px solid #1a7f37;background:#1a7f3712;cursor:help}
.cell.fail{border:2px solid #d00000;background:#d0000022}
.cell.unsure{border:2px solid #e67700;background:#e6770022}
.cell.warn{border:2px solid #c99a00;background:#c99a0022}
.cell.fixed{border:1.5px solid #1864ab;background:#1864ab18}
.cell.focus{outline:3px solid #ffd400;outline-offset:2px;z-index:2}
aside{position:sticky;top:10px;align-self:start;max-height:calc(100vh - 20px);overflow:auto;background:#fff;
 padding:10px 14px;box-shadow:0 1px 3px #0003;font-size:13px}
aside h2{font-size:15px;margin:12px 0 6px}
#findings li{margin:0 0 8px;line-height:1.5}
#findings li.active{background:#fff3bf}
#findings .rule{display:inline-block;background:#d00000;color:#fff;border-radius:3px;padding:0 5px;margin-right:4px;
 font-size:12px}
#findings li.warn .rule{background:#9c6500}
#checks td{padding:2px 6px;border-bottom:1px solid #eee;vertical-align:top}
.legend span{display:inline-block;margin-right:10px}
.legend i{display:inline-block;width:12px;height:10px;margin-right:3px;vertical-align:middle;border:2px solid}
#tip{position:fixed;display:none;z-index:10;background:#222;color:#fff;font-size:12px;padding:6px 8px;
 border-radius:4px;max-width:360px;pointer-events:none;line-height:1.5}
"""

SCRIPT = """
(function(){
 var tip=document.getElementById('tip');
 document.querySelectorAll('.cell').forEach(function(el){
  el.addEventListener('mousemove',function(e){
   var d=el.dataset;
   tip.textContent='';
   [d.label,'值：'+d.value+'　印刷：「'+d.text+'」','可信度：'+d.confidence].concat(d.findings?['问题：'+d.findings]:[])
    .forEach(function(line){var div=document.createElement('div');div.textContent=line;tip.appendChild(div);});
   tip.style.display='block';tip.style.left=(e.clientX+14)+'px';tip.style.top=(e.clientY+14)+'px';});
  el.addEventListener('mouseleave',function(){tip.style.display='none';});
 });
 function focus(li){
  document.querySelectorAll('.cell.focus').forEach(function(c){c.classList.remove('focus');});
  document.querySelectorAll('#findings li.active').forEach(function(c){c.classList.remove('active');});
  li.classList.add('active');
  (li.dataset.cells||'').split(' ').forEach(function(id){
   if(id)document.querySelectorAll('.cell[data-cell="'+id+'"]').forEach(function(c){c.classList.add('focus');});});
 }
 document.querySelectorAll('#findings li').forEach(function(li){
  li.querySelector('a.go').addEventListener('click',function(){focus(li);});});
 var m=location.hash.match(/^#finding-(\\d+)$/);
 if(m){var li=document.getElementById('finding-'+m[1]);if(li){focus(li);
  var p=document.getElementById('page-'+li.dataset.page);if(p)p.scrollIntoView();}}
})();
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def upright_of(record: dict, number: int) -> dict | None:
    """How page ``number`` (1-based) was set upright to be read from its image (its
    ``source.upright`` entry), if that moved it."""
    for u in record["source"].get("upright") or ():
        if u["page"] == number and (u["rotation"] or abs(u["skew"]) >= 0.02 or u.get("squared")):
            return u
    return None


def page_view(pdf, record: dict, number: int, zoom: float = ZOOM,
              grey: bool = True) -> tuple[bytes, float, float]:
    """(PNG, width, height in points) of page ``number`` as the reader saw it, so that the boxes of
    the record fall where they belong: a scanned page turned and levelled as OCR set it upright."""
    import pymupdf

    # grey: a third of the time to encode and half the bytes of colour, and the coloured boxes
    # stand out on it
    pix = pdf[number - 1].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False,
                                     colorspace=pymupdf.csGRAY if grey else pymupdf.csRGB)
    turned = upright_of(record, number)
    if turned is None:
        return pix.tobytes("png"), pdf[number - 1].rect.width, pdf[number - 1].rect.height
    import numpy as np

    from extractor.stages.ocr.raster import squared, turn

    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, pix.n)
    paper = (255,) * pix.n if pix.n > 1 else 255
    # as ocr.read_image: quarter turns counter-clockwise undo the sheet's clockwise turn, then
    # levelled, then squared
    image = turn(rgb if pix.n > 1 else rgb[:, :, 0], turned["rotation"] // 90, -turned["skew"], fill=paper)
    if turned.get("squared"):
        scale = np.diag([zoom, zoom, 1.0])   # the homography is in points, the image in zoomed pixels
        image = squared(image, scale @ np.reshape(turned["squared"], (3, 3)) @ np.linalg.inv(scale), fill=paper)
    image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    out = pymupdf.Pixmap(pymupdf.csRGB if pix.n > 1 else pymupdf.csGRAY, w, h, image.tobytes(), False)
    return out.tobytes("png"), w / zoom, h / zoom


_STATUS_CSS = {"有问题": "fail", "有提示": "warn", "通过": "pass"}
_SEVERITY = ("fail", "unsure", "warn")   # a cell named by several findings shows the gravest


def cell_status(record: dict) -> dict[str, tuple[str, list[int]]]:
    """cell id → (class, numbers of the findings naming it)."""
    from extractor.apps.findings import report_findings

    status: dict[str, tuple[str, list[int]]] = {}
    for f in report_findings(record):
        kind = "unsure" if f["rule"] == "cells.confident" else f["status"]
        for c in f.get("cells") or []:
            old, numbers = status.get(c, ("", []))
            status[c] = (min(old or kind, kind, key=_SEVERITY.index), numbers + [f["number"]])
    for c in record["cells"]:
        key = cell_id(c["table"], c["row"], c["column"])
        if key not in status and (c.get("corrected_by") or c.get("confirmed_by")):
            status[key] = ("fixed", [])
    return status


def review_html(pdf, record: dict, findings: list[dict]) -> str:
    """The review page of one report; ``pdf`` an open PyMuPDF document of it."""
    info, source = record["report"], record["source"]
    fmt = info["format"]
    status = cell_status(record)
    by_page: dict[int, list[dict]] = {}
    for c in record["cells"]:
        if c["page"] is not None and c["bbox"]:
            by_page.setdefault(c["page"], []).append(c)
    from extractor.apps.findings import status_of

    title = info["title"] or source.get("file") or "年度报告"
    fails = sum(1 for f in findings if f["status"] == "fail")
    warns = len(findings) - fails
    said = "、".join(([f"{fails} 个问题"] if fails else []) + ([f"{warns} 条提示"] if warns else []))
    css = _STATUS_CSS[status_of(findings)]
    parts = [f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
             f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>复核：{_e(title)}</title><style>{STYLE}</style></head><body>",
             f"<header><h1>{_e(title)}</h1><p>发布机关：{_e(info['issuer'] or '未找到')}　年度：{_e(info['year'] or '未找到')}"
             f"　格式：{_e(fmt or '未识别')}　成文日期：{_e(info['date'] or '未找到')}　页数：{source['pages']}"
             f"　文件：{_e(source.get('file'))}　<span class=\"status-{css}\">"
             f"{'有 ' + said if findings else '通过'}</span></p></header><main>",
             "<section id=\"pages\">"]
    for index in range(len(pdf)):
        number = index + 1
        png, w, h = page_view(pdf, record, number)
        image = base64.b64encode(png).decode()
        parts.append(f"<figure class=\"page\" id=\"page-{number}\" data-page=\"{number}\">"
                     f"<figcaption>第 {number} 页</figcaption><div class=\"sheet\">"
                     f"<img src=\"data:image/png;base64,{image}\" alt=\"第 {number} 页\">")
        for c in by_page.get(number, []):
            key = cell_id(c["table"], c["row"], c["column"])
            kind, numbers = status.get(key, ("ok", []))
            x0, y0, x1, y1 = c["bbox"]
            style = (f"left:{100 * (x0 - 1) / w:.3f}%;top:{100 * (y0 - 1) / h:.3f}%;"
                     f"width:{100 * (x1 - x0 + 2) / w:.3f}%;height:{100 * (y1 - y0 + 2) / h:.3f}%")
            value = zh.value_text(c["value"])
            parts.append(f"<div class=\"cell {kind}\" style=\"{style}\" data-cell=\"{_e(key)}\" "
                         f"data-label=\"{_e(zh.cell_label(key, fmt))}\" data-value=\"{_e(value)}\" "
                         f"data-text=\"{_e(c['text'])}\" data-confidence=\"{c['confidence']:.3f}\" "
                         f"data-findings=\"{_e('、'.join(f'#{n}' for n in numbers))}\" "
                         f"aria-label=\"{_e(zh.cell_label(key, fmt))}：{_e(value)}\"></div>")
        parts.append("</div></figure>")
    parts.append("</section><aside>")
    parts.append("<div class=\"legend\"><span><i style=\"border-color:#d00000\"></i>检查未通过</span>"
                 "<span><i style=\"border-color:#e67700\"></i>识别不确定</span>"
                 "<span><i style=\"border-color:#c99a00\"></i>提示</span>"
                 "<span><i style=\"border-color:#1864ab\"></i>已按勾稽关系校正/确认</span>"
                 "<span><i style=\"border-color:#1a7f37\"></i>已读取</span></div>")
    parts.append(f"<h2>问题清单（{len(findings)}）</h2><ol id=\"findings\">")
    for f in findings:
        pages = f.get("pages") or []
        target = f"#page-{pages[0]}" if pages else "#pages"
        image = (f" <a class=\"image\" href=\"{_e(f['image'])}\">标注页</a>" if f.get("image") else "")
        parts.append(f"<li id=\"finding-{f['number']}\" class=\"{f['status']}\" data-rule=\"{_e(f['rule'])}\" "
                     f"data-cells=\"{_e(' '.join(f.get('cells') or []))}\" data-page=\"{pages[0] if pages else ''}\">"
                     f"<span class=\"rule\">{_e(f['rule_name'])}</span>"
                     f"<a class=\"go\" href=\"{target}\">{_e(f['message'])}</a>{image}</li>")
    if not findings:
        parts.append("<li>没有发现问题。</li>")
    parts.append("</ol><h2>检查结果</h2><table id=\"checks\">")
    for check in record["checks"]:
        parts.append(f"<tr data-rule=\"{_e(check['rule'])}\"><td>{_e(zh.rule_name(check['rule']))}</td>"
                     f"<td class=\"status-{check['status'] if check['status'] in ('fail', 'warn') else 'pass'}\">"
                     f"{_e(zh.STATUS.get(check['status'], check['status']))}</td>"
                     f"<td>{_e('见问题清单' if check['status'] in ('fail', 'warn') else check['message'])}</td></tr>")
    parts.append("</table>")
    if record.get("problems"):
        parts.append("<h2>读取备注</h2><ul id=\"problems\">"
                     + "".join(f"<li>{_e(p)}</li>" for p in record["problems"]) + "</ul>")
    parts.append(f"</aside></main><div id=\"tip\"></div><script>{SCRIPT}</script></body></html>")
    return "".join(parts)


def write_review(pdf, record: dict, findings: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(review_html(pdf, record, findings), "utf-8")
    tmp.replace(path)
    return path


def review_bytes(data: bytes, record: dict) -> bytes:
    """The review page of a report given as bytes (the service)."""
    import pymupdf

    from extractor.apps.findings import report_findings

    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        return review_html(pdf, record, report_findings(record)).encode("utf-8")


def index_html(rows: list[dict], series: BatchSeries | None = None) -> str:
    """A batch's reports, each with its status, findings and a link to its review page (and its
    比对 page, against the year before); the names taken as one body, and with expected units, who
    has no report and who is not on the list."""
    from extractor.apps.findings import status_of

    read = [r for r in rows if r.get("record") is not None]
    with_findings = sum(1 for r in read if status_of(r["findings"]) == "有问题")
    parts = ["<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
             f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
             f"<title>年度报告复核</title><style>{STYLE}"
             "table.reports{border-collapse:collapse;background:#fff;margin:14px;font-size:13px}"
             ".reports th,.reports td{border:1px solid #ccd;padding:4px 8px;text-align:left;vertical-align:top}"
             ".reports th{background:#f2dcdb}</style></head><body>",
             f"<header><h1>年度报告复核</h1><p>共 {len(rows)} 份：读取 {len(read)} 份，其中有问题 {with_findings} 份，"
             f"未能读取 {len(rows) - len(read)} 份　<input id=\"filter\" placeholder=\"筛选（机关、年度、规则…）\">"
             "</p></header>",
             "<table class=\"reports\"><thead><tr><th>文件</th><th>发布机关</th><th>年度</th><th>格式</th><th>状态</th>"
             "<th>问题数</th><th>未通过的规则</th><th>比对</th></tr></thead><tbody>"]
    for r in rows:
        record = r.get("record")
        if record is None:
            parts.append(f"<tr class=\"unreadable\"><td>{_e(r['file'])}</td><td></td><td></td><td></td>"
                         f"<td class=\"status-fail\">未能读取</td><td></td><td>{_e(r.get('reason'))}</td></tr>")
            continue
        info, findings = record["report"], r["findings"]
        name = Path(r["review"]).name if r.get("review") else None
        file = f"<a href=\"{_e(name)}\">{_e(r['file'])}</a>" if name else _e(r["file"])
        rules = "、".join(dict.fromkeys(f["rule_name"] for f in findings if f["status"] == "fail"))
        shown = status_of(findings)
        css = _STATUS_CSS[shown]
        compare = (f"<a class=\"compare\" href=\"{_e(Path(r['compare']).name)}\">与上年比对</a>"
                   if r.get("compare") else "")
        parts.append(f"<tr data-findings=\"{len(findings)}\"><td>{file}</td><td>{_e(info['issuer'])}</td>"
                     f"<td>{_e(info['year'])}</td><td>{_e(info['format'])}</td>"
                     f"<td class=\"status-{css}\">{shown}</td>"
                     f"<td>{len(findings)}</td><td>{_e(rules)}</td><td>{compare}</td></tr>")
    parts.append("</tbody></table>")
    if series is not None and series.merged:
        parts.append("<section class=\"merged\" style=\"margin:14px;font-size:13px\"><h2>视为同一机关的名称</h2><ul>"
                     + "".join(f"<li>{_e('、'.join(names))}</li>" for names in series.merged) + "</ul></section>")
    if series is not None and series.expected is not None:
        parts.append("<section id=\"expected\" style=\"margin:14px;font-size:13px\"><h2>报送情况</h2><ul>")
        for year, names in series.expected.missing.items():
            parts.append(f"<li class=\"missing\">{_e(year)} 年度未报送（{len(names)}）：{_e('、'.join(names) or '无')}</li>")
        unlisted = series.expected.unlisted
        parts.append(f"<li class=\"unlisted\">不在名单内（{len(unlisted)}）："
                     + _e("、".join(u["issuer"] for u in unlisted) or "无") + "</li></ul></section>")
    parts.append("<script>"
                 "document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value;"
                 "document.querySelectorAll('.reports tbody tr').forEach(function(tr){"
                 "tr.style.display=tr.textContent.indexOf(q)>=0?'':'none';});});</script></body></html>")
    return "".join(parts)


def write_index(path: Path, rows: list[dict], series: BatchSeries | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(index_html(rows, series), "utf-8")
    return path


COMPARE_STYLE = """
main.compare{display:block;padding:14px}
.compare section{background:#fff;box-shadow:0 1px 3px #0003;margin:0 0 14px;padding:10px 14px}
.compare h2{font-size:15px;margin:4px 0 8px}
table.figures{border-collapse:collapse;font-size:13px;width:100%}
.figures th,.figures td{border:1px solid #dde;padding:3px 6px;text-align:right}
.figures th{background:#f2dcdb}.figures td:first-child,.figures th:first-child{text-align:left}
.figures tr.changed td{background:#fff8e1}
.figures tr.large td{background:#ffe3e3;color:#a00000;font-weight:bold}
.figures tr.large.follows td{font-weight:normal}
.sections{display:grid;grid-template-columns:1fr 1fr;gap:0 14px;font-size:13px;line-height:1.7}
.sections h3{grid-column:1 / 3;font-size:14px;margin:12px 0 4px;border-bottom:1px solid #eee}
.sections h3 .share{font-weight:normal;color:#555;margin-left:8px}.sections h3 .share.copied{color:#c00000;font-weight:bold}
.sections div{white-space:pre-wrap}.sections div.year{font-weight:bold;color:#555}
mark{background:#ffc9c9}
.compare #checks{border-collapse:collapse;width:100%}
.compare #checks td:nth-child(-n+2){white-space:nowrap}
.compare #checks ul{margin:0;padding-left:18px}
.figures td:last-child{text-align:left}
"""


def _marked(text: str, sentences: set[str]) -> str:
    """``text`` with each of ``sentences`` in it marked."""
    from extractor.series.copying import sentences as split

    parts, at = [], 0
    for s in split(text):
        i = text.find(s, at)
        if i < 0:
            continue
        parts.append(_e(text[at:i]))
        parts.append(f"<mark>{_e(s)}</mark>" if s in sentences else _e(s))
        at = i + len(s)
    parts.append(_e(text[at:]))
    return "".join(parts)


def _said(check) -> str:
    """A check's findings as a list, or its message."""
    if not check.findings:
        return _e(check.message)
    return "<ul>" + "".join(f"<li>{_e(f['message'])}</li>" for f in check.findings) + "</ul>"


def compare_html(c: Comparison) -> str:
    """The 比对 page of one body's two years: the checks across years, every figure of both years
    side by side (changed ones shaded, the large changes red), and each section of both years side
    by side with the sentences found in both marked and the section's 重复率."""
    from extractor.series.figures import change_kind, change_note

    (old_year, new_year), issuer = c.years, c.issuer or "发布机关未找到"
    names = list(dict.fromkeys(n for n in (c.old["report"]["issuer"], c.new["report"]["issuer"]) if n))
    same = f"（{'、'.join(names)} 视为同一机关）" if len(names) > 1 else ""
    parts = [f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
             f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
             f"<title>比对：{_e(issuer)} {_e(old_year)}—{_e(new_year)} 年度</title>"
             f"<style>{STYLE}{COMPARE_STYLE}</style></head><body>",
             f"<header><h1>比对：{_e(issuer)} {_e(old_year)} 年度与 {_e(new_year)} 年度报告</h1>"
             f"<p>上年：{_e(c.old_file)}　本年：{_e(c.new_file)}{_e(same)}</p></header><main class=\"compare\">",
             "<section><h2>跨年度检查</h2><table id=\"checks\">"]
    for check in c.checks:
        status = check.status if check.status in ("fail", "warn") else "pass"
        parts.append(f"<tr data-rule=\"{_e(check.rule)}\" data-status=\"{_e(check.status)}\">"
                     f"<td>{_e(zh.rule_name(check.rule))}</td>"
                     f"<td class=\"status-{status}\">{_e(zh.STATUS.get(check.status, check.status))}</td>"
                     f"<td>{_said(check)}</td></tr>")
    parts.append("</table></section><section><h2>主要数据</h2><table class=\"figures\"><thead><tr><th>项目</th>"
                 f"<th>{_e(old_year)} 年度</th><th>{_e(new_year)} 年度</th><th>增减值</th><th>增减率</th><th>说明</th>"
                 "</tr></thead><tbody>")
    for f in c.figures:
        kind = "large follows" if f.follows else "large" if f.large else "changed" if f.change else ""
        ratio = "" if f.ratio is None else f"{f.ratio:+.1%}"
        change = "" if f.change is None else zh.value_text(f.change)
        parts.append(f"<tr class=\"{kind}\" data-indicator=\"{_e(f.indicator.id)}\"><td>{_e(f.indicator.label)}</td>"
                     f"<td>{_e(zh.value_text(f.old) if f.old is not None else '—')}</td>"
                     f"<td>{_e(zh.value_text(f.new) if f.new is not None else '—')}</td><td>{_e(change)}</td>"
                     f"<td>{_e(ratio)}</td><td>{_e(f'{change_kind(f)}：{change_note(f)}' if f.large else '')}</td></tr>")
    parts.append("</tbody></table></section><section><h2>正文</h2><div class=\"sections\">"
                 f"<div class=\"year\">{_e(old_year)} 年度</div><div class=\"year\">{_e(new_year)} 年度</div>")
    for s in c.sections:
        share = ("" if s.share is None else
                 f"<span class=\"share{' copied' if s.finding else ''}\">重复率 {s.share:.0%}"
                 f"（{s.considered} 句非通用表述中 {len(s.copied)} 句与上年相同或几乎相同）</span>")
        parts.append(f"<h3 id=\"section-{_e(s.number)}\" data-share=\"{'' if s.share is None else f'{s.share:.4f}'}\">"
                     f"第{_e(s.number)}部分 {_e(s.title)}{share}</h3>"
                     f"<div class=\"old\">{_marked(s.old_text or '', {o for _, o, _ in s.copied})}</div>"
                     f"<div class=\"new\">{_marked(s.new_text, {n for n, _, _ in s.copied})}</div>")
    parts.append("</div></section></main></body></html>")
    return "".join(parts)


def write_compare(path: Path, c: Comparison) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(compare_html(c), "utf-8")
    tmp.replace(path)
    return path
