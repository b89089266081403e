"""What a synthetic report says: its words, its numbers and how each is printed.

``ReportContent`` is the contract between the content generator (this module) and the typesetter
(``typeset.py``): the content decides *what* is printed (values, the exact text of every cell,
label variants, prose, deliberate inconsistencies); the typesetter decides *where and how*
(fonts, column widths, wrapping, page breaks, WPS- or Word-style glyph placement).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CellKey = tuple[str, str, str | None]   # (table, row, column); column None for review_litigation


@dataclass
class Paragraph:
    text: str
    heading: bool = False      # a numbered sub-heading on a line of its own: （一）主动公开方面。


@dataclass
class SectionContent:
    number: str                # 一 … 六
    title: str                 # 总体情况
    paragraphs: list[Paragraph]
    # Sections 二, 三 and 四 carry the tables: the typesetter places the section's table(s)
    # (active_disclosure, applications, review_litigation) after the heading and before
    # the paragraphs, which then follow the table on the same page when there is room.


@dataclass
class ReportContent:
    seed: int
    name: str                  # file stem: e.g. "r2021-0007-wps"
    title: str                 # 连州市人民政府办公室2023年政府信息公开工作年度报告
    issuer: str                # 连州市人民政府办公室
    year: int
    format: str                # "2019" | "2021"
    date: str | None           # ISO signing date, or None when the report is unsigned
    date_text: str | None      # as printed: 2024 年 1 月 12 日
    intro: list[Paragraph]     # paragraphs before 一、总体情况
    sections: list[SectionContent]

    tables: dict               # truth values in SCHEMA.md shape; null for blank cells
    units: dict                # SCHEMA.md units, e.g. {"active_disclosure.fees.amount_wan": "万元"}
    cell_text: dict[CellKey, str]            # exactly what is printed in each cell ("" blank, "/", "+453", "22（其中修订16件）")
    row_labels: dict[tuple[str, str], str]   # (table, row) -> printed label, variants included
    column_labels: dict[tuple[str, str], str]  # (table, column) -> printed header, e.g. 社会组织
    notes: dict[str, str] = field(default_factory=dict)   # table -> 注：… printed under it
    legacy_other_handling: bool = False      # a 2021-format report printing the single 2019-style （六） row
    expected_fail: list[str] = field(default_factory=list)  # rule ids that must fail, and why
    injected: str | None = None              # what inconsistency was put in, for people
