"""What an auditor works from: the findings workbook, the marked page of every finding, and a review
page per report (``extractor.apps.review``).

``write_outputs(OUT, reports)`` writes, for the reports of one ``extract`` or ``batch`` run:

- ``OUT/findings.xlsx``: sheet 报告 (a row per report: file, issuer, year, format, pages, status,
  number of findings), sheet 问题清单 (a row per finding: a failing check's equation, an unsure
  cell, a missing part … with the rule in Chinese, the 表/行/列 labels, the values as printed, what
  they should satisfy, 左值/右值/差值, the sentence of the prose, the page, and links to the marked
  page image and to the review page), sheet 数据 (every template cell of every report: labels, value,
  printed text, page, confidence, flags), sheet 读取备注 (a row per note of the reader, the record's
  ``problems``: a page read by OCR, a damaged page, a cell read twice, a digit corrected, a number
  of the prose read unsurely …). Each sheet has a frozen header row, filters and set
  column widths; the text is Chinese, which Excel and WPS read from an .xlsx whatever the locale
  (unlike a CSV). 问题清单 has two empty columns for the reviewer, 复核结论 (确认 / 驳回, from a
  list) and 复核意见. With comparisons across years (``batch``, ``compare``), sheet 比对: a row per
  figure of each pair (上年值, 本年值, 增减值, 增减率, 大幅变化) and per section (重复率, 照抄); with
  expected units (``batch --expect``), sheet 报送情况: who has no report for a year, who is not listed.
- ``OUT/review/compare-NAME.html``: the 比对 page of report NAME against the year before
  (``extractor.apps.review.compare_html``).
- ``OUT/review/NAME/finding-NN.png``: the page (or pages) of finding NN, with the cells it names
  boxed in red and their printed values written beside them, under the finding's message.
- ``OUT/review/NAME.html`` and ``OUT/review/index.html``: see ``extractor.apps.review``.

All pages are 1-based, as in the record.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

from extractor.sanitize import clean_text
from extractor.series.compare import BatchSeries, Comparison
from extractor.series.figures import change_kind, change_note
from extractor.spec import messages as zh
from extractor.spec.templates import cell_id, template_cells

RED = (0.86, 0.08, 0.08)
FINDING_ZOOM = 1.5          # 108 dpi: a cell's digits are legible, a page stays near 150 KB
FONT = "china-s"            # PyMuPDF's built-in CJK font: no font file needed


# --- the findings of one report -------------------------------------------------------------------

def report_findings(record: dict, extra_checks: Iterable[dict] = ()) -> list[dict]:
    """Every finding of a record (and of the batch's own checks for it), numbered from 1: a failing
    or warning check's findings, or the check itself when it has none; each with the ``status``
    of its check."""
    rows: list[dict] = []
    for check in [*record["checks"], *extra_checks]:
        if check["status"] not in ("fail", "warn"):
            continue
        for f in check.get("findings") or [{"message": check["message"], "cells": check["cells"], "pages": []}]:
            rows.append({"number": len(rows) + 1, "rule": check["rule"], "rule_name": zh.rule_name(check["rule"]),
                         "status": check["status"], **f})
    return rows


def status_of(findings: list[dict]) -> str:
    """有问题 when a check failed, 有提示 when checks only warned, else 通过."""
    if any(f["status"] == "fail" for f in findings):
        return "有问题"
    return "有提示" if findings else "通过"


def _cells_by_id(record: dict) -> dict[str, dict]:
    return {cell_id(c["table"], c["row"], c["column"]): c for c in record["cells"]}


def _joined(values: Iterable[str | None]) -> str:
    return "、".join(dict.fromkeys(v for v in values if v))


def printed_values(record: dict, cells: list[str]) -> str:
    """本年新收「0」；上年结转「0」… : each cell's printed text, named as briefly as its neighbours allow."""
    fmt = record["report"]["format"]
    read = _cells_by_id(record)
    parts = [zh.split_id(c) for c in cells]
    same_column = len({(t, col) for t, _, col in parts}) == 1 and parts[0][2] is not None
    same_row = len({(t, r) for t, r, _ in parts}) == 1
    same_group = all(t == "review_litigation" for t, _, _ in parts) and len({r.split(".")[0] for _, r, _ in parts}) == 1
    out, quiet = [], 0
    for i, (c, (t, r, col)) in enumerate(zip(cells, parts)):
        if same_column:
            name = zh.short_row(t, r)
        elif same_row or same_group:
            name = zh.column_label(t, r, col, fmt) or ""
        else:
            name = zh.cell_label(c, fmt)
        text = read[c]["text"] if c in read else None
        if len(cells) > 6 and i and c in read and (text or "").strip() in ("", "0", "/"):
            quiet += 1        # a long sum: its zeros and blanks are counted, not listed
            continue
        out.append(f"{name}{zh.quoted(text)}" if c in read else f"{name}（未找到）")
    if quiet:
        out.append(f"其余 {quiet} 项为 0 或空")
    return "；".join(out)


def _brief(labels: list[str | None]) -> str:
    """The labels of a finding's rows (or columns); a long sum's are its first and how many more."""
    unique = list(dict.fromkeys(v for v in labels if v))
    return "、".join(unique) if len(unique) <= 4 else f"{unique[0]} 及其余 {len(unique) - 1} 项"


# --- the marked page of a finding ------------------------------------------------------------------

def draw_finding(pdf, record: dict, finding: dict, path: Path, zoom: float = FINDING_ZOOM) -> Path | None:
    """``path``: the finding's pages stacked, its cells boxed in red with their printed values beside
    them, its message above. None when the finding has no page (an issuer not found)."""
    import pymupdf

    read = _cells_by_id(record)
    pages = sorted({p for p in finding.get("pages") or [] if p is not None})
    if not pages:
        return None
    from extractor.apps.review import page_view, upright_of

    views = {p: (page_view(pdf, record, p, zoom, grey=False) if upright_of(record, p) else
                 (None, pdf[p - 1].rect.width, pdf[p - 1].rect.height)) for p in pages}
    width = max(w for _, w, _ in views.values())
    header = _header_height(finding["message"], width)
    height = header + sum(h for _, _, h in views.values())
    out = pymupdf.open()
    canvas = out.new_page(width=width, height=height)
    canvas.draw_rect(pymupdf.Rect(0, 0, width, header), color=None, fill=(1, 0.95, 0.95))
    canvas.insert_htmlbox(pymupdf.Rect(10, 5, width - 10, header - 2),
                          html.escape(f"{finding['number']}. {finding['rule_name']}：{finding['message']}"),
                          css="*{font-family:sans-serif;font-size:10px;color:#d01414;line-height:1.3}")
    top = header
    for p in pages:
        png, w, h = views[p]
        rect = pymupdf.Rect(0, top, w, top + h)
        if png is None:
            canvas.show_pdf_page(rect, pdf, p - 1)
        else:                    # a scan, set upright as it was read
            canvas.insert_image(rect, stream=png)
        canvas.insert_htmlbox(pymupdf.Rect(6, top + 2, 120, top + 20), f"第 {p} 页",
                              css="*{font-family:sans-serif;font-size:10px;color:#d01414}")
        for c in finding["cells"]:
            cell = read.get(c)
            if cell is None or cell["page"] != p or not cell["bbox"]:
                continue
            x0, y0, x1, y1 = cell["bbox"]
            box = pymupdf.Rect(x0 - 2, top + y0 - 2, x1 + 2, top + y1 + 2)
            canvas.draw_rect(box, color=RED, width=1.6)
            label = cell["text"] or "空"
            size = 9
            font = "helv" if label.isascii() else FONT
            tw = pymupdf.get_text_length(label, fontname=font, fontsize=size) + 4
            # beside the box, on the right where the page margin usually is, else on the left
            bx = box.x1 + 2 if box.x1 + 2 + tw < width else box.x0 - 2 - tw
            tag = pymupdf.Rect(bx, box.y0, bx + tw, box.y0 + size + 3)
            canvas.draw_rect(tag, color=RED, fill=(1, 1, 1), width=0.6)
            canvas.insert_text((tag.x0 + 2, tag.y1 - 2.5), label, fontsize=size, fontname=font, color=RED)
        top += h
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom)).save(path)
    return path


def _header_height(message: str, width: float) -> float:
    per_line = max(20, int((width - 20) / 10))     # 10 pt CJK glyphs
    lines = 1 + (len(message) + 12) // per_line
    return 12 + 13.5 * lines


# --- one report's pictures and page ----------------------------------------------------------------

def _report_outputs(args) -> tuple[str, list[str | None], str | None]:
    """(name, PNG per finding relative to OUT, review page relative to OUT) for one report; runs in
    a worker process (rendering holds the GIL)."""
    pdf_path, record_path, name, review_dir, extra = args
    import pymupdf

    from extractor.apps.review import write_review

    record = json.loads(Path(record_path).read_text("utf-8"))
    findings = report_findings(record, extra)
    if Path(pdf_path).suffix.lower() == ".json":   # compare given a record: no PDF to draw on
        return name, [None] * len(findings), None
    pngs: list[str | None] = []
    # MuPDF would print its complaints about a damaged file to the terminal, raw bytes and all
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        pdf = pymupdf.open(pdf_path)
    except Exception:   # the PDF moved or changed since it was read: the workbook still lists it
        return name, [None] * len(findings), None
    with pdf:
        folder = Path(review_dir) / name
        for stale in folder.glob("finding-*.png"):
            stale.unlink()
        try:
            for f in findings:
                drawn = draw_finding(pdf, record, f, folder / f"finding-{f['number']:02d}.png")
                pngs.append(None if drawn is None else f"review/{name}/{drawn.name}")
            for f, png in zip(findings, pngs):
                f["image"] = None if png is None else png.removeprefix("review/")
            review = write_review(pdf, record, findings, Path(review_dir) / f"{name}.html")
        except Exception:   # a page too large (or too damaged) to render: the workbook still lists the report
            return name, [*pngs, *[None] * (len(findings) - len(pngs))], None
    return name, pngs, f"review/{review.name}"


# --- the workbook ---------------------------------------------------------------------------------

REPORT_COLUMNS = [("文件", 36), ("发布机关", 28), ("年度", 7), ("格式", 7), ("页数", 6), ("文字层", 8),
                  ("状态", 9), ("问题数", 8), ("未通过的规则", 40), ("复核页面", 12), ("记录", 30)]
FINDING_COLUMNS = [("序号", 6), ("文件", 30), ("发布机关", 24), ("年度", 7), ("规则", 18), ("规则编号", 24),
                   ("级别", 8), ("表", 8), ("行", 30), ("列", 20), ("印刷值", 40), ("应满足", 36), ("左值", 8),
                   ("右值", 8), ("差值", 8), ("正文原句", 36), ("说明", 60), ("页码", 8), ("标注页", 10),
                   ("复核页面", 10), ("复核结论", 10), ("复核意见", 24)]
DATA_COLUMNS = [("文件", 30), ("发布机关", 24), ("年度", 7), ("表", 6), ("行", 36), ("列", 22),
                ("单元格编号", 36), ("值", 10), ("印刷文字", 12), ("页码", 6), ("可信度", 8), ("标记", 30)]
COMPARE_COLUMNS = [("发布机关", 24), ("项目", 44), ("上年度", 7), ("本年度", 7), ("上年值", 10), ("本年值", 10),
                   ("增减值", 10), ("增减率", 9), ("标记", 10), ("说明", 60), ("上年文件", 28), ("本年文件", 28),
                   ("比对页面", 10)]
EXPECT_COLUMNS = [("年度", 7), ("发布机关", 30), ("情况", 12), ("文件", 40)]
NOTE_COLUMNS = [("文件", 30), ("发布机关", 24), ("年度", 7), ("备注", 90), ("复核页", 8)]
LARGE = 100_000   # data rows past which the workbook is streamed (XlsxWriter's constant_memory)


def write_workbook(path: Path, reports: list[dict], series: BatchSeries | None = None,
                   pages: dict[str, str] | None = None) -> Path:
    """``reports``: per report ``file``, ``record`` (or None with ``reason`` when it could not be
    read), ``findings`` (from ``report_findings``, with ``image``) and ``review`` (relative to
    the workbook's folder). ``series``: the sheet 比对 (a row per figure and per section of each
    comparison, ``pages`` its 比对 page by the new report's file) and, with expected units, 报送情况."""
    import xlsxwriter

    rows = sum(len(r["record"]["cells"]) + 220 for r in reports if r["record"]) if reports else 0
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    book = xlsxwriter.Workbook(tmp, {"strings_to_urls": False, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "constant_memory": rows > LARGE})
    try:
        head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1, "text_wrap": True,
                                "valign": "top", "font_name": "等线"})
        text = book.add_format({"text_wrap": True, "valign": "top", "font_name": "等线"})
        link = book.add_format({"font_color": "blue", "underline": 1, "valign": "top", "font_name": "等线"})
        bad = book.add_format({"font_color": "#C00000", "valign": "top", "font_name": "等线"})
        sheets = {}
        layout = [("报告", REPORT_COLUMNS), ("问题清单", FINDING_COLUMNS), ("数据", DATA_COLUMNS),
                  ("读取备注", NOTE_COLUMNS)]
        if series is not None and series.comparisons:
            layout.append(("比对", COMPARE_COLUMNS))
        if series is not None and series.expected is not None:
            layout.append(("报送情况", EXPECT_COLUMNS))
        for name, columns in layout:
            sheet = book.add_worksheet(name)
            for i, (title, width) in enumerate(columns):
                sheet.set_column(i, i, width)
                sheet.write(0, i, title, head)
            sheet.freeze_panes(1, 0)
            sheets[name] = [sheet, 0]

        def put(name: str, values: list, formats: dict | None = None) -> int:
            sheet, row = sheets[name]
            row += 1
            for col, v in enumerate(values):
                fmt = (formats or {}).get(col, text)
                if isinstance(v, tuple):          # (url, shown text)
                    if v[0]:
                        sheet.write_url(row, col, f"external:{v[0]}", link, v[1])
                elif v is None or v == "":
                    sheet.write_blank(row, col, None, fmt)
                else:
                    sheet.write(row, col, v, fmt)
            sheets[name][1] = row
            return row

        for r in reports:
            record = r["record"]
            if record is None:
                put("报告", [r["file"], None, None, None, None, None, "未能读取", None, r.get("reason"), None, None],
                    {6: bad})
                continue
            info, findings = record["report"], r["findings"]
            failed_rules = _joined(zh.rule_name(f["rule"]) for f in findings if f["status"] == "fail")
            put("报告", [r["file"], info["issuer"], info["year"], info["format"], record["source"]["pages"],
                        record["source"]["text_layer"], status_of(findings), len(findings), failed_rules,
                        (r.get("review"), "打开"), r.get("record_path")],
                {6: bad} if failed_rules else None)
            for f in findings:
                cells = f.get("cells") or []
                labels = [zh.labels(c, info["format"]) for c in cells]
                put("问题清单", [
                    f["number"], r["file"], info["issuer"], info["year"], f["rule_name"], f["rule"],
                    zh.STATUS[f["status"]], _joined(t for t, _, _ in labels), _brief([row for _, row, _ in labels]),
                    _brief([col for _, _, col in labels]), printed_values(record, cells) if cells else None,
                    f.get("expected") or zh.RULE_MEANING.get(f["rule"]), f.get("left"), f.get("right"),
                    f.get("difference"), f.get("sentence"), f["message"], "、".join(map(str, f.get("pages") or [])),
                    (f"review/{f['image']}" if f.get("image") else None, "标注页"),
                    (f"{r['review']}#finding-{f['number']}" if r.get("review") else None, "复核"), None, None])
            _data_rows(put, r["file"], record)
            for note in record["problems"]:
                put("读取备注", [r["file"], info["issuer"], info["year"], note,
                              (r.get("review"), "复核") if r.get("review") else None])
        for c in series.comparisons if series is not None else []:
            _compare_rows(put, c, (pages or {}).get(c.new_file), bad)
        expected = series.expected if series is not None else None
        if expected is not None:
            for year, names in expected.missing.items():
                for n in names:
                    put("报送情况", [year, n, "未报送", None], {2: bad})
            for u in expected.unlisted:
                put("报送情况", ["、".join(map(str, u["years"])), u["issuer"], "不在名单内", "、".join(u["files"])])
        for name, columns in layout:
            sheet, last = sheets[name]
            sheet.autofilter(0, 0, max(last, 1), len(columns) - 1)
        decision = [t for t, _ in FINDING_COLUMNS].index("复核结论")
        sheets["问题清单"][0].data_validation(1, decision, max(sheets["问题清单"][1], 1), decision,
                                            {"validate": "list", "source": ["确认", "驳回"]})
        book.close()
        os.chmod(tmp, 0o644)   # mkstemp makes 0600; the workbook is for others to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _compare_rows(put, c: Comparison, page: str | None, bad) -> None:
    """A row per figure (changed ones first marked 大幅变化 or 随之变化 where the rule flags them), then per
    section with its 重复率."""
    issuer, (old_year, new_year) = c.issuer, c.years
    link = (page, "比对")
    for f in c.figures:
        put("比对", [issuer, f.indicator.label, old_year, new_year, f.old, f.new, f.change,
                   None if f.ratio is None else round(f.ratio, 4), change_kind(f),
                   change_note(f), c.old_file, c.new_file, link], {8: bad} if f.large else None)
    for s in c.sections:
        if s.share is None:
            continue
        put("比对", [issuer, f"第{s.number}部分 {s.title} · 重复率", old_year, new_year, None, round(s.share, 4),
                   None, None, "照抄" if s.finding else None,
                   f"{s.considered} 句非通用表述中 {len(s.copied)} 句与上年相同或几乎相同", c.old_file, c.new_file, link],
            {8: bad} if s.finding else None)


def _data_rows(put, file: str, record: dict) -> None:
    """Every template cell of the report's format (a cell not found included), with its flags."""
    info = record["report"]
    fmt = info["format"]
    read = _cells_by_id(record)
    failing: dict[str, list[str]] = {}
    for check in record["checks"]:
        if check["status"] == "fail":
            for c in check["cells"]:
                failing.setdefault(c, []).append(zh.rule_name(check["rule"]))
    ids = [cell_id(*c) for c in template_cells(fmt)] if fmt else []
    ids += [c for c in read if c not in set(ids)]
    for c in ids:
        t, r, col = zh.labels(c, fmt)
        cell = read.get(c)
        flags = list(dict.fromkeys(failing.get(c, [])))
        if cell is None:
            flags.append("未找到")
        else:
            if cell.get("corrected_by"):
                flags.append("已按勾稽关系校正")
            if cell.get("confirmed_by"):
                flags.append("勾稽关系确认")
        value = cell["value"] if cell else None
        put("数据", [file, info["issuer"], info["year"], t, r, col, c, value, cell["text"] if cell else None,
                    cell["page"] if cell else None, cell["confidence"] if cell else None, "；".join(flags)])


# --- a run's outputs ------------------------------------------------------------------------------

def write_outputs(out: Path, reports: Sequence[tuple[Path | str, Path]], *, workers: int = 1,
                  failed: Sequence[dict] = (), series: BatchSeries | None = None) -> Path:
    """findings.xlsx, the marked pages and the review pages for ``reports`` (pairs of the PDF and
    its record); ``failed``: files that could not be read ({"file", "reason"}), listed in 报告.
    ``series``: the batch's own checks (by the file as ``clean_text`` writes it), its comparisons
    (a 比对 page each and the sheet 比对) and the expected units (the sheet 报送情况)."""
    from extractor.apps.review import write_compare, write_index

    out = Path(out)
    review_dir = out / "review"
    review_dir.mkdir(parents=True, exist_ok=True)
    records = {str(pdf): json.loads(Path(path).read_text("utf-8")) for pdf, path in reports}
    extra = {file: [asdict(c) for c in checks] for file, checks in series.checks.items()} if series else {}
    names = _names(reports)
    jobs = [(str(pdf), str(path), names[str(pdf)], str(review_dir), extra.get(clean_text(str(pdf)), []))
            for pdf, path in reports]
    if workers > 1 and len(jobs) > 2:
        with ProcessPoolExecutor(min(workers, len(jobs))) as pool:
            done = {name: (pngs, review) for name, pngs, review in pool.map(_report_outputs, jobs, chunksize=2)}
    else:
        done = {name: (pngs, review) for name, pngs, review in map(_report_outputs, jobs)}
    rows = []
    for (pdf, path), job in zip(reports, jobs):
        record = records[str(pdf)]
        findings = report_findings(record, job[4])
        pngs, review = done[job[2]]
        for f, png in zip(findings, pngs):
            f["image"] = None if png is None else png.removeprefix("review/")
        rows.append({"file": clean_text(str(pdf)), "record": record, "findings": findings, "review": review,
                     "record_path": clean_text(os.path.relpath(path, out))})
    rows += [{"file": clean_text(f["file"]), "record": None, "reason": f["reason"], "findings": []} for f in failed]
    rows.sort(key=lambda r: r["file"])
    by_file = {clean_text(str(pdf)): names[str(pdf)] for pdf, _ in reports}
    pages = {}
    for c in series.comparisons if series else []:
        page = write_compare(review_dir / f"compare-{by_file[c.new_file]}.html", c)
        pages[c.new_file] = f"review/{page.name}"
    for r in rows:
        r["compare"] = pages.get(r["file"])
    write_index(review_dir / "index.html", rows, series)
    return write_workbook(out / "findings.xlsx", rows, series, pages)


def _names(reports: Sequence[tuple[Path | str, Path]]) -> dict[str, str]:
    """Each report's folder name under review/: its record's name (unique in the run), made
    encodable (a file name can hold bytes that are not UTF-8, which an HTML link cannot)."""
    return {str(pdf): clean_text(Path(path).stem) for pdf, path in reports}
