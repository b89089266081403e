"""The report's words: title, issuer, year, signing date and the six sections.

Reads only labelled blocks: headings split the report into its sections, prose fills them, and the
signature block (labelled other) at the end gives the issuer and the date.
"""

from __future__ import annotations

import re

from .data import LabelledBlock, ReportInfo, Section

SECTION_NUMBERS = "一二三四五六"
_SECTION = re.compile(r"^\s*([一二三四五六])\s*[、.．]\s*(.+?)\s*$")
_YEAR = re.compile(r"(20\d\d)\s*年")
_ANNOUNCED = re.compile(r"现(?:予)?公布(.{2,40}?)(20\d\d)年度?政府信息公开工作年度报告")
_ALIAS_NOTE = re.compile(r"[（(]以下简称[^）)]*[）)]")
_DATE = re.compile(r"(20\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def reading_order(labelled: list[LabelledBlock]) -> list[LabelledBlock]:
    """Top to bottom, left to right within a page; blocks on one line share a rounded y."""
    return sorted(labelled, key=lambda b: (b.block.page, round(b.block.bbox[1] / 3), b.block.bbox[0]))


def _join(texts) -> str:
    return "".join(t.strip() for t in texts)


def read_sections(ordered: list[LabelledBlock]) -> list[Section]:
    """Sections 一 … 六 in order; a heading out of sequence is not taken as a section."""
    sections: list[Section] = []
    lines: list[str] = []
    for lb in ordered:
        match = _SECTION.match(lb.block.text) if lb.label == "heading" else None
        if match and len(sections) < 6 and match.group(1) == SECTION_NUMBERS[len(sections)]:
            if sections:
                sections[-1].text = _join(lines)
            sections.append(Section(match.group(1), match.group(2), "", lb.block.page))
            lines = []
        elif sections and lb.label in ("prose", "heading"):
            lines.append(lb.block.text)
    if sections:
        sections[-1].text = _join(lines)
    return sections


def read_report_info(ordered: list[LabelledBlock]) -> ReportInfo:
    """Title from the headings before the first section; issuer and year from the title, else from
    the signature or the introduction (现公布XX2020年政府信息公开工作年度报告); the date from the
    signature after the last prose."""
    title_parts, intro = [], []
    for lb in ordered:
        if lb.label == "heading" and _SECTION.match(lb.block.text):
            break
        if lb.label == "heading" and not intro:
            title_parts.append(lb.block.text)
        elif lb.label == "prose":
            intro.append(lb.block.text)
    title = re.sub(r"\s+", "", _join(title_parts)) or None
    title_year = _YEAR.search(title or "")
    announced = _ANNOUNCED.search(re.sub(r"\s+", "", _join(intro)))

    issuer, date = _signature(ordered)
    candidates = [
        title[: title_year.start()] if title and title_year else None,
        issuer,
        _ALIAS_NOTE.sub("", announced.group(1)) if announced else None,
    ]
    issuer = next((c for c in candidates if c), None)
    if title_year:
        year = int(title_year.group(1))
    elif announced:
        year = int(announced.group(2))
    else:
        year = None
    return ReportInfo(title=title, issuer=issuer, year=year, format=None, date=date)


def _signature(ordered: list[LabelledBlock]) -> tuple[str | None, str | None]:
    """(issuer, ISO date) from the blocks after the last prose: the signing body above the date."""
    tail: list[LabelledBlock] = []
    for lb in reversed(ordered):
        if lb.label in ("prose", "table_cell", "heading"):
            break
        tail.insert(0, lb)
    for i, lb in enumerate(tail):
        m = _DATE.search(re.sub(r"\s+", "", lb.block.text))
        if m:
            y, mo, d = map(int, m.groups())
            before = [re.sub(r"\s+", "", t.block.text) for t in tail[:i] if not _DATE.search(t.block.text)]
            return (before[-1] if before else None), f"{y:04d}-{mo:02d}-{d:02d}"
    return None, None
