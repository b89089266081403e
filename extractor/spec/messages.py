"""What a person reads, in Chinese, with the official labels of ``templates.json``.

Ids (``applications/carried_forward/legal_service_org``, ``applications.balance``) are for machines;
a person auditing a report reads 表三 四、结转下年度继续办理 · 法律服务机构 and 申请数量平衡. Every
label here comes from the spec (``templates.json``); only the rules' names and the short words of
the equations are written here, once.

Pages given to these functions are as a PDF viewer numbers them (1-based), as in every output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from extractor.spec.templates import (
    APPLICANT_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    application_column_labels,
    application_labels,
    disclosure_groups,
    spec,
)

# rule id → what a person calls it
RULES = {
    "applications.balance": "申请数量平衡",
    "applications.total_row": "办理结果总计",
    "applications.total_column": "申请人合计",
    "review_litigation.totals": "复议诉讼合计",
    "cells.valid_numbers": "数值有效",
    "tables.complete": "表格完整",
    "format.matches_year": "表格格式与年度相符",
    "prose.matches_tables": "正文与表格一致",
    "prose.fees": "收费情况与第六部分一致",
    "sections.complete": "六个部分齐全",
    "report.identified": "报告要素齐全",
    "cells.confident": "识别可信",
    "series.carry_over": "上年结转与上年度报告一致",
    "series.in_force": "现行有效件数与上年度相接",
    "series.change": "数据较上年度大幅变化",
    "series.copied_prose": "正文照抄上年度报告",
    "batch.duplicate": "同一机关同一年度仅一份报告",
    "source.intact": "文件完好",
}

# rule id → what holds when it passes, in the words of the format
RULE_MEANING = {
    "applications.balance": "各申请人列：本年新收＋上年结转＝办理结果总计＋结转下年度继续办理",
    "applications.total_row": "各列：（七）总计＝（一）至（六）各项办理结果之和",
    "applications.total_column": "各行：总计＝自然人＋法人或其他组织各列之和",
    "review_litigation.totals": "行政复议、行政诉讼各组：总计＝结果维持＋结果纠正＋其他结果＋尚未审结",
    "cells.valid_numbers": "件数为非负整数，只有“本年增/减”可带符号",
    "tables.complete": "所用格式的每个单元格都找到（空白单元格也算找到）",
    "format.matches_year": "2020 年及以前的年度报告用 2019 格式，2021 年起用 2021 格式",
    "prose.matches_tables": "正文所述收到申请件数与表三“本年新收”总计一致",
    "prose.fees": "表三有申请人逾期未按收费通知缴费的，第六部分应报告收费情况，而不是“无”",
    "sections.complete": "一至六部分齐全、按序、标题规范；第一、第五部分有实际内容",
    "report.identified": "找到发布机关、年度和成文日期",
    "cells.confident": "每个单元格的识别可信度不低于 0.9",
    "series.carry_over": "本年“上年结转”等于同一机关上一年度报告的“结转下年度继续办理”",
    "series.in_force": "规章、规范性文件：本年现行有效件数＝上年现行有效件数＋本年制发件数－本年废止件数",
    "series.change": "与上年相比：变化超过计数波动的 4 倍标准差（4·√(上年＋本年)），至少翻倍或减半，且不小于同表最大数值的 5%",
    "series.copied_prose": "各部分非通用表述中与上年度报告相同或几乎相同的句子不超过一半",
    "batch.duplicate": "一批报告中同一机关同一年度只有一份",
    "source.intact": "PDF 文件未损坏",
}

STATUS = {"pass": "通过", "fail": "未通过", "not_applicable": "不适用", "warn": "提示"}

# the six parts of every report, in order, with their official titles
SECTION_NUMBERS = "一二三四五六"
SECTION_TITLES = {
    "一": "总体情况",
    "二": "主动公开政府信息情况",
    "三": "收到和处理政府信息公开申请情况",
    "四": "政府信息公开行政复议、行政诉讼情况",
    "五": "存在的主要问题及改进情况",
    "六": "其他需要报告的事项",
}

# report signal (``report.sources``) → what a person calls it
SOURCES = {"title": "标题", "announced": "“现公布……”一句", "statistics_period": "统计期限",
           "first_sentence": "正文首句", "signing_date": "成文日期", "signature": "落款",
           "compiled_by": "“由……编制”一句"}

TABLE_NUMBERS = {"active_disclosure": "二", "applications": "三", "review_litigation": "四"}

# the short words for a row inside an equation (the full label names the cells elsewhere)
SHORT_ROWS = {"new_received": "本年新收", "carried_over": "上年结转", "total": "办理结果总计",
              "carried_forward": "结转下年度"}


def rule_name(rule: str) -> str:
    return RULES.get(rule, rule)


def table_name(table: str) -> str:
    """表二 / 表三 / 表四: the table of the report's part 二, 三 or 四."""
    return f"表{TABLE_NUMBERS[table]}" if table in TABLE_NUMBERS else table


def table_title(table: str) -> str:
    if table == "active_disclosure":
        return spec()["formats"]["2021"]["active_disclosure"]["title"]
    return spec()[table]["title"] if table in spec() else table


@cache
def _disclosure_labels() -> tuple[dict, dict]:
    rows: dict[str, str] = {}
    columns: dict = {}
    for fmt in ("2019", "2021"):
        for g in disclosure_groups(fmt):
            for r, label in g.rows.items():
                rows.setdefault(r, label)
            for c, label in g.columns.items():
                columns.setdefault((fmt, c), label)
                columns.setdefault(c, label)
    return rows, columns


def review_group_label(group: str) -> str:
    """行政复议, 行政诉讼（未经复议直接起诉）"""
    label = spec()["review_litigation"]["groups"][group]
    head, _, tail = label.partition(" · ")
    return f"{head}（{tail}）" if tail else head


def row_label(table: str, row: str) -> str:
    if table == "applications":
        return application_labels().get(row, row)
    if table == "active_disclosure":
        return _disclosure_labels()[0].get(row, row)
    if table == "review_litigation":
        return review_group_label(row.split(".")[0]) if row.split(".")[0] in REVIEW_GROUPS else row
    return row


def column_label(table: str, row: str, column: str | None, fmt: str | None = None) -> str | None:
    if table == "applications":
        return application_column_labels().get(column or "", column)
    if table == "active_disclosure":
        labels = _disclosure_labels()[1]
        return labels.get((fmt, column)) or labels.get(column, column)
    if table == "review_litigation":
        col = row.split(".", 1)[1] if "." in row else None
        return spec()["review_litigation"]["columns"].get(col, col)
    return column


def split_id(cell: str) -> tuple[str, str, str | None]:
    """``applications/granted/total`` → (table, row, column); review cells have no column."""
    parts = cell.split("/")
    return parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else None


def labels(cell: str, fmt: str | None = None) -> tuple[str, str, str | None]:
    """(表, 行, 列) of a cell id, in the official words: (表三, （一）予以公开, 自然人)."""
    table, row, column = split_id(cell)
    return table_name(table), row_label(table, row), column_label(table, row, column, fmt)


def cell_label(cell: str, fmt: str | None = None) -> str:
    """表三 （一）予以公开 · 自然人; 表四 行政复议 · 结果维持"""
    t, r, c = labels(cell, fmt)
    return f"{t} {r}" + (f" · {c}" if c else "")


def cell_reference(cell: str, fmt: str | None = None) -> str:
    """表三 （一）予以公开 · 自然人（applications/granted/natural_person）: how a record's ``problems``
    name a cell (or a row), the official words for a person and the id for a machine."""
    return f"{cell_label(cell, fmt).strip()}（{cell}）"


def value_text(value) -> str:
    """A value as a person reads it in a message: a blank cell is 空 (it counts as 0 in sums)."""
    if value is None:
        return "空"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def quoted(text: str | None) -> str:
    """What was printed, in Chinese quotes: 「1O」 (an empty cell: 「」)."""
    return f"「{text or ''}」"


def pages_text(pages: Iterable[int | None]) -> str:
    """第 3 页, 第 3、4 页; '' when no page is known."""
    known = sorted({p for p in pages if p is not None})
    if not known:
        return ""
    return "第 " + "、".join(map(str, known)) + " 页"


def with_pages(text: str, pages: Iterable[int | None]) -> str:
    where = pages_text(pages)
    return f"{text}；{where}" if where else text


def short_row(table: str, row: str) -> str:
    """The words for a row inside an equation: 本年新收, （一）予以公开, 1.属于国家秘密."""
    if table == "applications" and row in SHORT_ROWS:
        return SHORT_ROWS[row]
    label = row_label(table, row)
    # （三）不予公开 1.属于国家秘密 → （三）1.属于国家秘密: the group's number is enough
    m = re.match(r"^(（[一二三四五六七]）)\S*\s+(\d.*)$", label)
    return f"{m.group(1)}{m.group(2)}" if m else label


def applicant_columns_text() -> str:
    return "、".join(application_column_labels()[c] for c in APPLICANT_COLUMNS)


def review_columns() -> dict[str, str]:
    return {c: spec()["review_litigation"]["columns"][c] for c in REVIEW_COLUMNS}
