"""The rules of SCHEMA.md, run over the tables a report states.

Every rule returns one ``Check``. A failing check names its cells (``applications/granted/total``)
and, for a person, says in Chinese with the official labels what was printed, what should hold and
on which page (``message``, and one ``findings`` entry per thing to look at); ``detail`` says it in
English for logs. A cell that the document leaves blank is null in ``tables`` and counts as 0 in
sums; a cell that was not found at all makes the rules that need it ``not_applicable``: a rule
never passes on cells it could not see, nor on none at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from extractor.settings import REVIEW
from extractor.spec import messages as zh
from extractor.spec.rules import SUMS, Equation, Missing, cell_value
from extractor.spec.templates import (
    AMOUNT_CELLS,
    APPLICATION_COLUMNS,
    FORMATS,
    cell_id,
    format_for_year,
    get_value,
    template_cells,
)
from extractor.types import CellReading, Check, ReportInfo, Section


def validate(report: ReportInfo, tables: dict, cells: list[CellReading],
             sections: list[Section], *, repaired: bool | None = None,
             damaged: list[int] | None = None) -> list[Check]:
    """Every rule of SCHEMA.md. ``source.intact`` is among them when the reader says what the
    file's state was (``repaired``, ``damaged`` pages); the pipeline always does."""
    found = {c.id for c in cells}
    where = _Where(cells, report.format)
    intact = [] if repaired is None and damaged is None else [source_intact(bool(repaired), damaged or [], cells)]
    return [
        *(_sum_check(rule, equations(tables, found), tables, found, where)
          for rule, equations in SUMS.items()),
        valid_numbers(tables, found, where),
        tables_complete(report.format, found, report.year, where),
        format_matches_year(report),
        prose_matches_tables(tables, found, sections, where),
        prose_fees(tables, found, sections, report.format, where),
        sections_complete(sections),
        report_identified(report),
        cells_confident(cells, where),
        *intact,
    ]


class _Where:
    """Where each cell read stands (its 1-based page, the text printed), to tell a person."""

    def __init__(self, cells: list[CellReading], fmt: str | None):
        self.cells = {c.id: c for c in cells}
        self.format = fmt

    def page(self, cell: str) -> int | None:
        c = self.cells.get(cell)
        return None if c is None or c.page is None else c.page + 1

    def pages(self, cells: Iterable[str]) -> list[int]:
        return sorted({p for p in map(self.page, cells) if p is not None})

    def label(self, cell: str) -> str:
        return zh.cell_label(cell, self.format)

    def finding(self, message: str, cells: list[str], **extra) -> dict:
        pages = self.pages(cells)
        return {"message": zh.with_pages(message, pages), "cells": cells, "pages": pages, **extra}


# --- sums -----------------------------------------------------------------------------------------

def _sum_check(rule: str, equations: Iterable[Equation], tables: dict, found: set[str],
               where: _Where | None = None) -> Check:
    where = where or _Where([], None)
    failures, names, findings, missing, evaluated = [], [], [], 0, 0
    for what, left, right in equations:
        try:
            lv = [cell_value(tables, found, *c) for c in left]
            rv = [cell_value(tables, found, *c) for c in right]
        except Missing:
            missing += 1
            continue
        evaluated += 1
        if sum(lv) != sum(rv):
            failures.append(f"{what}: {' + '.join(map(str, lv))} = {sum(lv)} "
                            f"≠ {' + '.join(map(str, rv))} = {sum(rv)}")
            ids = [cell_id(*c) for c in left + right]
            names += ids
            findings.append(where.finding(_equation_text(rule, what, left, right, tables, where.format),
                                          ids, left=_plain(sum(lv)), right=_plain(sum(rv)),
                                          difference=_plain(sum(lv) - sum(rv)),
                                          expected=zh.RULE_MEANING[rule]))
    if failures:
        return Check(rule, "fail", "；".join(f["message"] for f in findings), names, findings,
                     "; ".join(failures))
    if missing:
        return Check(rule, "not_applicable",
                     f"{missing} 处勾稽关系所需的单元格未找到，无法核对（共 {missing + evaluated} 处）", [], [],
                     f"{missing} of {missing + evaluated} sums need cells that were not found")
    if not evaluated:
        return Check(rule, "not_applicable", "未找到表格，没有可核对的勾稽关系", [], [],
                     "no table was found: no sum to check")
    return Check(rule, "pass", f"{evaluated} 处勾稽关系均成立", [], [], f"{evaluated} sums hold")


def _plain(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _terms(cells: list, tables: dict, word) -> str:
    """本年新收 0 + 上年结转 0; a long side lists only its non-zero terms."""
    values = [(word(c), get_value(tables, *c)) for c in cells]
    shown = values if len(values) <= 4 else [(w, v) for w, v in values if v]
    text = " + ".join(f"{w} {zh.value_text(v)}" for w, v in shown) or "各项均为 0 或空"
    if len(shown) < len(values) and shown:
        text += "，其余为 0 或空"
    return text


def _equation_text(rule: str, what: str, left: list, right: list, tables: dict, fmt: str | None) -> str:
    """表三 法律服务机构列：本年新收 0 + 上年结转 0 = 0，办理结果总计 0 + 结转下年度 1 = 1，相差 1"""
    total = lambda cells: sum(0 if (v := get_value(tables, *c)) is None else v for c in cells)  # noqa: E731
    lsum, rsum = _plain(total(left)), _plain(total(right))
    diff = zh.value_text(_plain(abs(lsum - rsum)))
    if rule == "applications.balance":
        head = f"表三 {zh.column_label('applications', '', what)}列"
        word = lambda c: zh.short_row(c[0], c[1])  # noqa: E731
        return (f"{head}：{_terms(left, tables, word)} = {zh.value_text(lsum)}，"
                f"{_terms(right, tables, word)} = {zh.value_text(rsum)}，相差 {diff}")
    if rule == "applications.total_row":
        head = f"表三 {zh.column_label('applications', '', what)}列"
        word = lambda c: zh.short_row(c[0], c[1])  # noqa: E731
        return (f"{head}：（七）总计 {zh.value_text(lsum)}，各项办理结果之和 {zh.value_text(rsum)}"
                f"（{_terms(right, tables, word)}），相差 {diff}")
    if rule == "applications.total_column":
        head = f"表三 {zh.row_label('applications', what)}"
        word = lambda c: zh.column_label(c[0], c[1], c[2]) or ""  # noqa: E731
        return (f"{head}：总计 {zh.value_text(lsum)}，各申请人之和 {zh.value_text(rsum)}"
                f"（{_terms(right, tables, word)}），相差 {diff}")
    if rule == "review_litigation.totals":
        head = f"表四 {zh.review_group_label(what)}"
        word = lambda c: zh.column_label(c[0], c[1], c[2]) or ""  # noqa: E731
        return (f"{head}：总计 {zh.value_text(lsum)}，{_terms(right, tables, word)} = {zh.value_text(rsum)}，"
                f"相差 {diff}")
    return f"{what}：{zh.value_text(lsum)} ≠ {zh.value_text(rsum)}"


# --- formats and completeness ---------------------------------------------------------------------

def _all_values(tables: dict):
    for table, part in tables.items():
        for row, value in part.items():
            if isinstance(value, dict):
                for column, v in value.items():
                    yield table, row, column, v
            else:
                yield table, row, None, value


def valid_numbers(tables: dict, found: set[str] | None = None, where: _Where | None = None) -> Check:
    where = where or _Where([], None)
    rule = "cells.valid_numbers"
    amounts = {cell for cells in AMOUNT_CELLS.values() for cell in cells}
    bad, seen = [], 0
    for table, row, column, v in _all_values(tables):
        if found is not None and cell_id(table, row, column) not in found:
            continue
        seen += 1
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            ok = False
        elif column == "change":
            ok = isinstance(v, int)
        elif (row, column) in amounts:
            ok = v >= 0
        else:
            ok = isinstance(v, int) and v >= 0
        if not ok:
            bad.append((cell_id(table, row, column), v))
    if bad:
        findings = [where.finding(f"{where.label(c)}：{_printed(where, c, v)}不是有效数值"
                                  f"（{'金额应为非负数' if _is_amount(c, amounts) else '件数应为非负整数'}）", [c])
                    for c, v in bad]
        return Check(rule, "fail", "；".join(f["message"] for f in findings), [c for c, _ in bad], findings,
                     "not a valid number: " + ", ".join(f"{c} = 「{v}」" for c, v in bad))
    if not seen:
        return Check(rule, "not_applicable", "没有读到任何单元格", [], [], "no cell was read")
    return Check(rule, "pass", f"{seen} 个单元格的数值均有效", [], [], "every value is a valid number")


def _is_amount(cell: str, amounts) -> bool:
    parts = cell.split("/")
    return len(parts) == 3 and (parts[1], parts[2]) in amounts


def _printed(where: _Where, cell: str, value=None) -> str:
    c = where.cells.get(cell)
    return f"印作{zh.quoted(c.text)}" if c is not None else f"值为 {zh.value_text(value)}"


def tables_complete(fmt: str | None, found: set[str], year: int | None = None,
                    where: _Where | None = None) -> Check:
    """With no format recognised, the tables were not read at all: that fails, naming every cell of
    the format the year calls for (of both formats, the year unknown too), for every report of
    this kind has the tables, and a record without them must not pass as read."""
    where = where or _Where([], fmt)
    rule = "tables.complete"
    if fmt is None:
        formats = (format_for_year(year),) if year else FORMATS
        missing = list(dict.fromkeys(cell_id(*c) for f in formats for c in template_cells(f)))
        message = f"未识别出 {' 或 '.join(formats)} 格式的表格（表二、表三、表四均未读到）"
        return Check(rule, "fail", message, missing,
                     [{"message": message, "cells": missing, "pages": []}],
                     f"no table of the {' or '.join(formats)} format was recognised")
    missing = [cell_id(*c) for c in template_cells(fmt) if cell_id(*c) not in found]
    if missing:
        findings = _missing_findings(fmt, missing, found, where)
        return Check(rule, "fail", f"{fmt} 格式有 {len(missing)} 个单元格未找到：" + "；".join(
                         f["message"] for f in findings), missing, findings,
                     f"{len(missing)} cells of the {fmt} format were not found")
    return Check(rule, "pass", f"{fmt} 格式的 {len(template_cells(fmt))} 个单元格均已找到", [], [],
                 f"all {len(template_cells(fmt))} cells of the {fmt} format were found")


def _missing_findings(fmt: str, missing: list[str], found: set[str], where: _Where) -> list[dict]:
    """One finding per table wholly missing, else per row with cells missing; the pages are where
    the rest of that row (or table) was read, to look for it there."""
    by_table: dict[str, list[str]] = {}
    for c in missing:
        by_table.setdefault(c.split("/")[0], []).append(c)
    findings: list[dict] = []
    for table, cells in by_table.items():
        everything = [cell_id(*c) for c in template_cells(fmt) if c[0] == table]
        if len(cells) == len(everything):
            findings.append({"message": f"{zh.table_name(table)}（{zh.table_title(table)}）整张表未找到"
                                        f"（{len(cells)} 个单元格）", "cells": cells, "pages": []})
            continue
        rows: dict[str, list[str]] = {}
        for c in cells:
            t, r, col = zh.split_id(c)
            rows.setdefault(r.split(".")[0] if t == "review_litigation" else r, []).append(c)
        for row, ids in rows.items():
            t, r, _ = zh.split_id(ids[0])
            near = [c for c in found if c.startswith(f"{t}/{row}")] or [c for c in found if c.startswith(t)]
            names = "、".join(filter(None, (zh.column_label(*zh.split_id(c), fmt) for c in ids)))
            row_name = zh.row_label(t, r)
            pages = where.pages(near)
            findings.append({"message": zh.with_pages(f"{zh.table_name(t)} {row_name}：未找到 {names}"
                                                      f"（{len(ids)} 个单元格）", pages),
                             "cells": ids, "pages": pages})
    return findings


def format_matches_year(report: ReportInfo) -> Check:
    rule = "format.matches_year"
    if report.year is None:
        return Check(rule, "not_applicable", "报告年度未能读出", [], [], "the report's year is unknown")
    expected = format_for_year(report.year)
    if report.format is None:
        message = f"{report.year} 年度报告应使用 {expected} 格式，但未识别出表格格式"
        return Check(rule, "fail", message, [], [{"message": message, "cells": [], "pages": []}],
                     f"a report on {report.year} should follow the {expected} format; no format was recognised")
    if report.format != expected:
        message = f"{report.year} 年度报告应使用 {expected} 格式，表格却是 {report.format} 格式"
        return Check(rule, "fail", message, [], [{"message": message, "cells": [], "pages": []}],
                     f"a report on {report.year} should follow the {expected} format, "
                     f"its tables follow the {report.format} format")
    return Check(rule, "pass", f"{report.year} 年度报告，{expected} 格式", [], [],
                 f"{report.year} report in the {expected} format")


# --- prose against tables -------------------------------------------------------------------------

# 共收到政府信息公开申请 36 件 / 全年收到政府信息依申请公开 11 宗 / 共收到 2条依申请公开信息
_RECEIVED = re.compile(r"(?:收到|受理|接收|接到)([^。；;\d]{0,30}?)(\d+)\s*(?:件|宗|条|个|份)([^。；;，,\d]{0,12})")
# 本机关未收到政府信息公开申请
_NONE_RECEIVED = re.compile(r"(?:未|没有)(?:收到|受理|接到)[^。；;\d]{0,12}申请")


def stated_applications(text: str) -> list[int]:
    """Numbers of new applications that the prose states."""
    return [n for n, _ in stated_sentences(text)]


def stated_sentences(text: str) -> list[tuple[int, str]]:
    """(number of new applications stated, the sentence that states it) in the prose."""
    text = re.sub(r"\s+", "", text)
    found = [(m.start(), int(m.group(2))) for m in _RECEIVED.finditer(text)
             if "申请" in m.group(1) or "申请" in m.group(3)]
    found += [(m.start(), 0) for m in _NONE_RECEIVED.finditer(text)]
    return [(n, _sentence(text, at)) for at, n in sorted(found, key=lambda f: f[0])]


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind(p, 0, at) for p in "。；;！？") + 1
    ends = [i for i in (text.find(p, at) for p in "。；;！？") if i >= 0]
    return text[start:(min(ends) + 1 if ends else len(text))]


def _section_name(s: Section) -> str:
    return f"第{s.number}部分（{s.title}）"


def prose_matches_tables(tables: dict, found: set[str], sections: list[Section],
                         where: _Where | None = None) -> Check:
    where = where or _Where([], None)
    rule, target = "prose.matches_tables", ("applications", "new_received", "total")
    stated = [(n, sentence, s) for s in sections for n, sentence in stated_sentences(s.text)]
    if not stated:
        return Check(rule, "not_applicable", "正文未说明收到申请的件数", [], [],
                     "the prose states no number of applications")
    try:
        value = cell_value(tables, found, *target)
    except Missing:
        return Check(rule, "not_applicable", "未找到表三“本年新收”的总计", [], [],
                     "the table's count of new applications was not found")
    wrong = [(n, sentence, s) for n, sentence, s in stated if n != value]
    if wrong:
        cell = cell_id(*target)
        findings = []
        for n, sentence, s in wrong:
            pages = sorted({s.page + 1, *where.pages([cell])})
            findings.append({
                "message": zh.with_pages(f"{_section_name(s)}称收到申请 {n} 件：{zh.quoted(sentence)}；"
                                         f"{where.label(cell)}为 {zh.value_text(value)}，相差 {abs(n - value)}",
                                         pages),
                "cells": [cell], "pages": pages, "left": n, "right": value, "difference": n - value,
                "sentence": sentence, "expected": zh.RULE_MEANING[rule]})
        numbers = sorted({n for n, _, _ in wrong})
        return Check(rule, "fail", "；".join(f["message"] for f in findings), [cell], findings,
                     f"the prose states {', '.join(map(str, numbers))} applications received, the table {value}")
    return Check(rule, "pass", f"正文与表格一致：收到申请 {value} 件", [], [],
                 f"the prose and the table agree: {value} applications received")


# --- fees: the table against 第六部分 --------------------------------------------------------------

FEE_NOTICES = ("applications", "other_handling.fee_unpaid", "total")
# 第六部分 that reports nothing: 无 / 暂无 / 本年度无其他需要报告的事项, or that says no fee notice went out
_NOTHING = re.compile(r"^(?:本(?:年度?|机关))?(?:无|暂无|没有)(?:其他)?(?:需要|需)?(?:报告的?)?(?:事项)?$")
_NO_NOTICE = re.compile(r"(?:无|未|没有)(?:发出|开具|出具|发放)(?:过)?(?:任何)?收费通知")


def _plain_text(text: str) -> str:
    return re.sub(r"[\s。，、；;：:.,!！（）()“”\"]+", "", text)


def prose_fees(tables: dict, found: set[str], sections: list[Section], fmt: str | None,
               where: _Where | None = None) -> Check:
    """A 2021-format table that counts applications closed because the applicant did not pay as a
    fee notice asked (（六）其他处理 2.) shows fee notices were sent; then 第六部分 must report the
    fees (《政府信息公开信息处理费管理办法》), not say 无 or that no fee notice was sent.

    Only the information-processing fee is meant: 表二's 行政事业性收费 is the body's own
    administrative fees, which 第六部分 does not report."""
    where = where or _Where([], fmt)
    rule = "prose.fees"
    if fmt != "2021":
        return Check(rule, "not_applicable",
                     "只有 2021 格式的表三单列“申请人逾期未按收费通知要求缴纳费用”" if fmt else "未识别出表格格式",
                     [], [], "only the 2021 format counts applications closed for an unpaid fee")
    cell = cell_id(*FEE_NOTICES)
    if cell not in found:
        return Check(rule, "not_applicable", f"未找到{where.label(cell)}", [], [],
                     "the count of applications closed for an unpaid fee was not found")
    six = next((s for s in sections if s.number == "六"), None)
    if six is None:
        return Check(rule, "not_applicable", "未找到第六部分（其他需要报告的事项）", [], [],
                     "part six was not found")
    n = get_value(tables, *FEE_NOTICES) or 0
    text = _plain_text(six.text)
    denies = bool(_NO_NOTICE.search(text))
    if n and (denies or not text or _NOTHING.match(text)):
        pages = sorted({six.page + 1, *where.pages([cell])})
        said = zh.quoted(six.text.strip()[:60]) if six.text.strip() else "为空"
        # A 第六部分 that says no fee notice was sent contradicts the table: one of the two is
        # wrong. One that says only 无 leaves out what the format asks it to report, which casts
        # no doubt on a figure: a warning for the person, not a failed check.
        message = zh.with_pages(f"{where.label(cell)}为 {zh.value_text(n)} 件，说明本年发出过收费通知；"
                                f"{_section_name(six)}却{'称' if six.text.strip() else ''}{said}，"
                                f"{'与表格矛盾' if denies else '未报告收费情况'}", pages)
        return Check(rule, "fail" if denies else "warn", message, [cell],
                     [{"message": message, "cells": [cell], "pages": pages, "sentence": six.text.strip(),
                       "expected": zh.RULE_MEANING[rule]}],
                     f"{n} applications closed for an unpaid fee notice, but part six "
                     + ("says no fee notice was sent" if denies else "reports no fee"))
    if n:
        return Check(rule, "pass", f"本年发出过收费通知（逾期未缴费 {zh.value_text(n)} 件），第六部分报告了收费情况",
                     [], [], "fee notices were sent and part six reports on fees")
    return Check(rule, "pass", "表三未见逾期未缴费的申请，与第六部分不矛盾", [], [],
                 "no application was closed for an unpaid fee")


# --- the report's own structure and identity ------------------------------------------------------

# What a part's title must hold to be that part: the official titles and the variants in use
# (政府信息公开工作存在的主要问题及改进情况, 存在问题及下一步工作, 存在的主要问题及改进措施).
_TITLE_KEYS = {
    "一": ("总体情况", "概述", "总体"),
    "二": ("主动公开",),
    "三": ("申请",),
    "四": ("行政复议", "行政诉讼"),
    "五": ("问题",),
    "六": ("其他", "需要报告"),
}
# the parts that must say something of their own (二 to 四 hold tables, 六 may be 无)
_CONTENT_REQUIRED = ("一", "五")
MIN_CONTENT = 10   # characters (not counting punctuation and spaces)


def _titled(number: str, title: str) -> bool:
    """The title holds a key of its part, or is the official title but for one character: a typo,
    or a scan's one misread glyph (公于 for 公开), leaves the part the same part."""
    official = zh.SECTION_TITLES[number]
    return (any(k in title for k in _TITLE_KEYS[number])
            or (len(title) == len(official) and sum(a != b for a, b in zip(title, official)) <= 1))


def sections_complete(sections: list[Section]) -> Check:
    rule = "sections.complete"
    if not sections:
        message = "未找到一至六部分的标题（一、总体情况 …… 六、其他需要报告的事项）"
        return Check(rule, "fail", message, [], [{"message": message, "cells": [], "pages": []}],
                     "no part of the six was found")
    findings: list[dict] = []
    details: list[str] = []
    got = {s.number: s for s in sections}
    missing = [n for n in zh.SECTION_NUMBERS if n not in got]
    if missing:
        after = sections[-1]
        message = ("缺少" + "、".join(f"第{n}部分（{zh.SECTION_TITLES[n]}）" for n in missing)
                   + f"：{_section_name(after)}之后未按顺序找到")
        findings.append({"message": zh.with_pages(message, [after.page + 1]), "cells": [],
                         "pages": [after.page + 1]})
        details.append(f"parts {', '.join(missing)} not found in order")
    for s in sections:
        if not _titled(s.number, _plain_text(s.title)):
            findings.append({"message": zh.with_pages(f"第{s.number}部分标题{zh.quoted(s.title)}不是规定的"
                                                      f"{zh.quoted(zh.SECTION_TITLES[s.number])}", [s.page + 1]),
                             "cells": [], "pages": [s.page + 1]})
            details.append(f"part {s.number} is titled 「{s.title}」")
        if s.number in _CONTENT_REQUIRED:
            text = _plain_text(s.text)
            if len(text) < MIN_CONTENT or _NOTHING.match(text):
                said = f"只有{zh.quoted(s.text.strip())}" if text else "为空"
                findings.append({"message": zh.with_pages(f"{_section_name(s)}{said}，没有实际内容",
                                                          [s.page + 1]),
                                 "cells": [], "pages": [s.page + 1]})
                details.append(f"part {s.number} has no content ({len(text)} characters)")
    if findings:
        return Check(rule, "fail", "；".join(f["message"] for f in findings), [], findings, "; ".join(details))
    return Check(rule, "pass", "一至六部分齐全、按序，标题规范", [], [], "the six parts are there, in order")


DATE_SURE = 0.9   # the signature's own ceiling (report.py): below it, the date's line was read unsurely


def report_identified(report: ReportInfo) -> Check:
    """The issuer and the year name the record: without either it cannot be placed in a series,
    so that fails. A missing signing date is a fault of the report a person should see, but it
    leaves the record placed and every figure as trustworthy: a warning."""
    rule = "report.identified"
    missing = [name for name, value in (("发布机关", report.issuer), ("年度", report.year),
                                        ("成文日期", report.date)) if not value]
    if missing:
        message = "未找到" + "、".join(missing) + (f"（标题：{zh.quoted(report.title)}）" if report.title else "（未找到标题）")
        english = {"发布机关": "issuer", "年度": "year", "成文日期": "signing date"}
        return Check(rule, "warn" if missing == ["成文日期"] else "fail", message, [],
                     [{"message": message, "cells": [], "pages": []}],
                     "not found: " + ", ".join(english[m] for m in missing))
    date_sure = report.confidence.get("date", 0.9)
    if date_sure < DATE_SURE:
        # a date read off a scan unsurely (under a seal, say) may be a digit off: a person looks
        message = f"成文日期读作 {report.date}，识别可信度 {date_sure:.2f}，请核对原文"
        return Check(rule, "warn", message, [], [{"message": message, "cells": [], "pages": []}],
                     f"signing date read as {report.date} with confidence {date_sure:.2f}")
    return Check(rule, "pass", f"发布机关：{report.issuer}；年度：{report.year}；成文日期：{report.date}", [], [],
                 "issuer, year and signing date found")


# --- confidence -----------------------------------------------------------------------------------

def cells_confident(cells: list[CellReading], where: _Where | None = None) -> Check:
    where = where or _Where(cells, None)
    rule = "cells.confident"
    if not cells:
        return Check(rule, "not_applicable", "没有读到任何单元格", [], [], "no cells were read")
    unsure = [c for c in cells if c.confidence < REVIEW.confident]
    if unsure:
        findings = [where.finding(f"{where.label(c.id)}：读作{zh.quoted(c.text)}，可信度 {c.confidence:.2f}，"
                                  f"请核对原文", [c.id], confidence=round(c.confidence, 3)) for c in unsure]
        return Check(rule, "fail", f"{len(unsure)} 个单元格识别可信度低于 {REVIEW.confident}：" + "；".join(
                         f["message"] for f in findings[:20]) + ("……" if len(unsure) > 20 else ""),
                     [c.id for c in unsure], findings,
                     f"{len(unsure)} cells were read with confidence below {REVIEW.confident}: "
                     + ", ".join(f"{c.id} = 「{c.text}」 ({c.confidence:.2f})" for c in unsure[:20]))
    return Check(rule, "pass", f"{len(cells)} 个单元格的识别可信度均不低于 {REVIEW.confident}", [], [],
                 f"all {len(cells)} cells read with confidence ≥ {REVIEW.confident}")


# --- the file itself -------------------------------------------------------------------------------

def _pages_en(numbers: list[int]) -> str:
    shown = [str(n) for n in numbers[:20]]
    more = f" and {len(numbers) - 20} more" if len(numbers) > 20 else ""
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(shown) + more


def source_intact(repaired: bool, damaged: list[int], cells: list[CellReading]) -> Check:
    """A file MuPDF had to repair, or whose pages' content is damaged (MuPDF complained while
    reading it, or it holds zeroed bytes), may show other values than were printed (a damaged
    byte can turn 846 into 84): that fails, with a finding per damaged page naming every cell read
    there, and one for the cells of the other pages (damage elsewhere can change a value without an
    error), so that no cell of it passes silently. ``damaged`` holds
    0-based page indexes, as the stages do."""
    rule = "source.intact"
    by_page: dict[int, list[str]] = {}
    for c in cells:
        if c.page is not None:
            by_page.setdefault(c.page + 1, []).append(c.id)
    if repaired:
        pages = sorted(by_page)
        findings = [{"message": f"PDF 文件经 MuPDF 修复，第 {p} 页读到的数值可能与原件不同，请对照原件核对",
                     "cells": by_page[p], "pages": [p]} for p in pages]
        return Check(rule, "fail", "PDF 文件已损坏，经 MuPDF 修复（交叉引用表损坏）：各页读到的数值都可能与原件不同，"
                     f"请对照原件核对{'；' + zh.pages_text(pages) if pages else ''}",
                     [c.id for c in cells], findings,
                     "MuPDF had to repair the file (its cross-reference table is broken): any page may differ "
                     f"from the original; cells were read on {_pages_en(pages) if pages else 'no page'}")
    if damaged:
        pages = sorted(n + 1 for n in set(damaged))
        said = [f"第 {p} 页内容损坏（MuPDF 读取时报错，或有字节被清零），该页读到的数值可能与原件不同，请核对"
                for p in pages]
        findings = [{"message": m, "cells": by_page.get(p, []), "pages": [p]} for m, p in zip(said, pages)]
        # Damage seldom stays where it shows: a flipped byte elsewhere can lose a number without an
        # error (0 Tc read as 0/Tc), so the other pages' cells are named too.
        others = sorted(p for p in by_page if p not in pages)
        if others:
            findings.append({"message": "文件其他部分已损坏，其余各页读到的数值也可能与原件不同，请核对",
                             "cells": [cid for p in others for cid in by_page[p]], "pages": others})
        return Check(rule, "fail", "；".join(said), [c.id for c in cells], findings,
                     f"the content of {_pages_en(pages)} is damaged (MuPDF reported errors, or bytes were "
                     "zeroed): what is read there, and on the other pages of the damaged file, may differ "
                     "from what was printed")
    return Check(rule, "pass", "MuPDF 读取文件及各页内容均未报错", [], [],
                 "MuPDF read the file and every page without an error")


# --- across reports (batch) -----------------------------------------------------------------------

def carry_over(previous: dict, current: dict, before: str = "上一年度报告") -> Check:
    """This year's carried_over equals the same issuer's carried_forward of the year before."""
    rule, pairs = "series.carry_over", []
    for col in APPLICATION_COLUMNS:
        last = get_value(previous, "applications", "carried_forward", col)
        now = get_value(current, "applications", "carried_over", col)
        pairs.append((col, 0 if last is None else last, 0 if now is None else now))
    wrong = [(c, b, n) for c, b, n in pairs if b != n]
    if wrong:
        findings: list[dict] = [{"message": f"表三 二、上年结转政府信息公开申请数量 · {zh.column_label('applications', '', c)}"
                                f"为 {n}，{before}“结转下年度继续办理”为 {b}，相差 {abs(n - b)}",
                     "cells": [cell_id("applications", "carried_over", c)], "pages": [], "left": n, "right": b,
                     "difference": n - b, "expected": zh.RULE_MEANING[rule]} for c, b, n in wrong]
        return Check(rule, "fail", "；".join(f["message"] for f in findings),
                     [cell_id("applications", "carried_over", c) for c, _, _ in wrong], findings,
                     "; ".join(f"{c}: carried forward {b} last year, carried over {n}" for c, b, n in wrong))
    return Check(rule, "pass", f"上年结转与{before}的结转下年度一致", [], [],
                 "carried_over matches last year's carried_forward")


def duplicate(issuer: str, year: int, others: list[str]) -> Check:
    """``batch.duplicate``: this report and ``others`` (their files) are of one issuer and year."""
    rule = "batch.duplicate"
    if others:
        message = f"本批中{issuer} {year} 年度还有 {len(others)} 份报告：" + "、".join(others)
        return Check(rule, "fail", message, [], [{"message": message, "cells": [], "pages": [],
                                                  "others": others}],
                     f"{len(others)} other reports of this issuer and year: {', '.join(others)}")
    return Check(rule, "pass", f"本批中{issuer} {year} 年度仅此一份报告", [], [],
                 "the only report of this issuer and year in the batch")
