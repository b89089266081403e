"""The report's words: title, issuer, year, signing date and the six sections.

Reads only labelled blocks: headings split the report into its sections, prose fills them, and the
signature block (labelled other) at the end gives the issuer and the date.
"""

from __future__ import annotations

import re
from dataclasses import replace

from extractor.types import LabelledBlock, ReportInfo, Section

SECTION_NUMBERS = "一二三四五六"
# a scan may lose the 、 after the number; then only the standard titles' openings count, for a
# line may open with 五华县 or 二是 too
_SECTION = re.compile(r"^\s*([一二三四五六])\s*(?:[、.．]\s*|(?=总体|主动公开|收到和处理|政府信息公开行政|存在的?主要问题|其他需要报告))"
                      r"(.+?)\s*$")
_YEAR = re.compile(r"(20\d\d)\s*年")
_ANNOUNCED = re.compile(r"现(?:予)?公布(.{2,40}?)(20\d\d)年度?政府信息公开工作年度报告")
_ALIAS_NOTE = re.compile(r"[（(]以下简称[^）)]*[）)]")
_DATE = re.compile(r"(20\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def reading_order(labelled: list[LabelledBlock]) -> list[LabelledBlock]:
    """Page by page, line by line, left to right. A block joins the line being gathered when its
    middle lies within that line's height (tops differ by a point or two on a scan). Headings side by side on a line are one heading: a wide gap
    (一、 then a tab, or the space a scan leaves after 、) must not cut the number from its title."""
    lines: list[list[LabelledBlock]] = []
    top = bottom = 0.0
    for lb in sorted(labelled, key=lambda b: (b.block.page, b.block.bbox[1] + b.block.bbox[3])):
        x0, y0, x1, y1 = lb.block.bbox
        if lines and lines[-1][0].block.page == lb.block.page and top <= (y0 + y1) / 2 <= bottom:
            lines[-1].append(lb)
            bottom = max(bottom, y1)
        else:
            lines.append([lb])
            top, bottom = y0, y1
    ordered: list[LabelledBlock] = []
    for line in lines:
        here: list[LabelledBlock] = []
        for lb in sorted(line, key=lambda b: b.block.bbox[0]):
            if here and lb.label == here[-1].label == "heading":
                here[-1] = _joined(here[-1], lb)
            else:
                here.append(lb)
        ordered += here
    return ordered


def _joined(left: LabelledBlock, right: LabelledBlock) -> LabelledBlock:
    a, b = left.block, right.block
    block = replace(a, bbox=(a.bbox[0], min(a.bbox[1], b.bbox[1]), b.bbox[2], max(a.bbox[3], b.bbox[3])),
                    text=a.text + b.text, char_boxes=a.char_boxes + b.char_boxes,
                    confidence=min(a.confidence, b.confidence))
    return LabelledBlock(block, "heading", min(left.confidence, right.confidence))


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
    title_parts: list[str] = []
    intro: list[str] = []
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
