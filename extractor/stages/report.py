"""The report's words: title, issuer, year, signing date and the six sections.

Reads only labelled blocks: headings split the report into its sections, prose fills them, and the
signature block (labelled other) at the end gives the issuer and the date.
"""

from __future__ import annotations

import re
from dataclasses import replace

from extractor.settings import REVIEW
from extractor.spec import messages as zh
from extractor.types import Block, LabelledBlock, ReportInfo, Section, UnsureNumber

SECTION_NUMBERS = "一二三四五六"
# a scan may lose the 、 after the number; then only the standard titles' openings count, for a
# line may open with 五华县 or 二是 too
_SECTION = re.compile(r"^\s*([一二三四五六])\s*(?:[、.．]\s*|(?=总体|主动公开|收到和处理|政府信息公开行政|存在的?主要问题|其他需要报告))"
                      r"(.+?)\s*$")
_YEAR = re.compile(r"(20\d\d)\s*年")
_ANNOUNCED = re.compile(r"现(?:予)?公布(.{2,40}?)(20\d\d)年度?政府信息公开工作年度报告")
_ALIAS_NOTE = re.compile(r"[（(]以下简称[^）)]*[）)]")
_FOOTER = re.compile(r"^[\s\-—－–第页·.]*\d{1,3}[\s\-—－–页/共·.\d]*$")
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
                    confidence=min(a.confidence, b.confidence),
                    char_confidences=_sureness(a) + _sureness(b))
    return LabelledBlock(block, "heading", min(left.confidence, right.confidence))


def _sureness(block: Block) -> tuple[float, ...]:
    """Each character's confidence (a text layer's are sure)."""
    return block.char_confidences or (1.0,) * len(block.text)


def _join(texts) -> str:
    return "".join(t.strip() for t in texts)


_NUMBER = re.compile(r"\d(?:[\d,，.．]*\d)?")


def _unsure_numbers(block: Block) -> list[UnsureNumber]:
    """The numbers of a line read with a character less sure than ``REVIEW.confident``."""
    sure = block.char_confidences
    if len(sure) != len(block.text):
        return []
    return [UnsureNumber(m.group(), block.text[max(0, m.start() - 8):m.end() + 4].strip(), block.page,
                         round(min(sure[m.start():m.end()]), 3))
            for m in _NUMBER.finditer(block.text) if min(sure[m.start():m.end()]) < REVIEW.confident]


def unsure_numbers(ordered: list[LabelledBlock]) -> list[str]:
    """What a person should check in the prose, the lines before the first section (the
    contacts) too: each number OCR read unsurely, where it is."""
    return [f"第 {u.page + 1} 页：正文「{u.context}」中的 {u.text} 识别不确定（可信度 {u.confidence:.2f}），请核对原文"
            for lb in ordered if lb.label in ("prose", "heading") for u in _unsure_numbers(lb.block)]


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
            sections[-1].unsure += _unsure_numbers(lb.block)
    if sections:
        sections[-1].text = _join(lines)
    return sections


_PERIOD = re.compile(r"(20\d\d)年\s*1月\s*1日\s*(?:起)?\s*(?:至|到|-|—|－|~)\s*(?:(20\d\d)年)?\s*12月\s*31日")
_COMPILED = re.compile(r"由(.{2,40}?)(?:牵头|负责|组织)?编制")
_SENTENCE_YEAR = re.compile(r"^\s*(20\d\d)\s*年")
_TITLE_TYPE = 1.08          # a title's type is at least this much larger than the body's
# how far one signal alone is believed; agreeing signals add up (1 - Π(1 - c))
_WEIGHT = {"title": 0.95, "announced": 0.9, "statistics_period": 0.9, "signature": 0.85,
           "compiled_by": 0.8, "first_sentence": 0.6, "signing_date": 0.4}


def read_report_info(ordered: list[LabelledBlock], fmt: str | None = None) -> ReportInfo:
    return read_report(ordered, fmt)[0]


def read_report(ordered: list[LabelledBlock], fmt: str | None = None) -> tuple[ReportInfo, list[str]]:
    """The title, issuer, year and signing date, each from every signal the report gives, and
    what a person should know about them (a year or issuer not read, signals that disagree).

    The title is the large type at the head of the first page (whatever the classifier called its
    lines: a title filling the line looks like prose to it), else the headings before the first
    section. The year comes from the title, the 现公布…年度报告 sentence, the 统计期限 (1月1日至12月31日),
    the first sentence (2020年，…), the signing date (January of the next year) and is held
    against the tables' format; the issuer from the title, the 现公布… and 由…编制 sentences and
    the signature."""
    title = _title(ordered)
    intro: list[str] = []
    prose: list[str] = []
    for lb in ordered:
        if lb.label == "heading" and _SECTION.match(lb.block.text):
            break
        if lb.label == "prose":
            intro.append(lb.block.text)
    seen_section = False
    first_of_section = ""
    for lb in ordered:
        if lb.label == "heading" and _SECTION.match(lb.block.text):
            seen_section = True
        elif lb.label in ("prose", "other"):
            prose.append(lb.block.text)
            if seen_section and lb.label == "prose" and not first_of_section:
                first_of_section = lb.block.text
    intro_text = re.sub(r"\s+", "", _join(intro))
    all_text = re.sub(r"\s+", "", _join(prose))
    announced = _ANNOUNCED.search(intro_text) or _ANNOUNCED.search(all_text)
    compiled = _COMPILED.search(intro_text)
    period = _PERIOD.search(all_text)
    signer, date, date_conf = _signature(ordered)

    years: list[tuple[str, int]] = []
    title_year = _YEAR.search(title or "")
    if title_year:
        years.append(("title", int(title_year.group(1))))
    if announced:
        years.append(("announced", int(announced.group(2))))
    if period and (period.group(2) is None or period.group(2) == period.group(1)):
        years.append(("statistics_period", int(period.group(1))))
    for sentence in (intro_text.split("。")[0], re.sub(r"\s+", "", first_of_section)):
        m = _SENTENCE_YEAR.match(sentence)
        if m:
            years.append(("first_sentence", int(m.group(1))))
            break
    if date and int(date[5:7]) <= 3:
        years.append(("signing_date", int(date[:4]) - 1))

    issuers: list[tuple[str, str]] = []
    from_title = _title_issuer(title) if title else None
    if from_title:
        issuers.append(("title", from_title))
    if announced:
        body = _ALIAS_NOTE.sub("", announced.group(1))
        if body:
            issuers.append(("announced", body))
    if signer:
        issuers.append(("signature", signer))
    if compiled:
        issuers.append(("compiled_by", _ALIAS_NOTE.sub("", compiled.group(1))))

    problems: list[str] = []
    year, year_conf, year_from = _settle("年度", years, problems)
    if year is not None and fmt is not None and (fmt == "2021") != (year >= 2021):
        year_conf = min(year_conf, 0.5)
    issuer, issuer_conf, issuer_from = _settle("发布机关", issuers, problems, _same_body)
    if year is None:
        problems.append("未读到年度：标题、“现公布……年度报告”一句、统计期限、成文日期都没有写明")
    if issuer is None:
        problems.append("未读到发布机关：标题、“现公布……”一句、“由……编制”一句、落款都没有写明")
    confidence = {"title": 0.95 if title and title_year and "报告" in title else 0.7 if title else 0.0,
                  "issuer": issuer_conf, "year": year_conf, "date": date_conf}
    sources = {"issuer": issuer_from, "year": year_from}
    return ReportInfo(title=title, issuer=issuer, year=year, format=None, date=date,
                      confidence=confidence, sources=sources), problems


def _settle(what: str, signals: list, problems: list[str], same=lambda a, b: a == b):
    """The value most signals stand behind (the first signal breaking a tie), its confidence and
    the signals that gave it; a signal naming another value lowers the confidence and is said
    (of ``what``, as a person calls it: 年度)."""
    if not signals:
        return None, 0.0, []
    groups: list[tuple[object, list[str]]] = []
    for source, value in signals:
        for v, names in groups:
            if same(v, value):
                names.append(source)
                break
        else:
            groups.append((value, [source]))

    def belief(names: list[str]) -> float:
        doubt = 1.0
        for n in names:
            doubt *= 1 - _WEIGHT[n]
        return 1 - doubt

    value, names = max(groups, key=lambda g: belief(g[1]))
    confidence = belief(names)
    others = [(v, n) for v, n in groups if v is not value]
    if others:
        confidence *= 1 - max(belief(n) for _, n in others)
        said = "；".join(f"{'、'.join(zh.SOURCES[s] for s in n)}为 {v}" for v, n in others)
        problems.append(f"{what}读作 {value}（{'、'.join(zh.SOURCES[s] for s in names)}），但{said}")
    return value, round(confidence, 3), names


def _same_body(a: str, b: str) -> bool:
    """连州市人民政府办公室 compiles the report of 连州市人民政府: the same body for the record's
    purpose, the first named kept."""
    return a == b or a.startswith(b) or b.startswith(a)


def _title(ordered: list[LabelledBlock]) -> str | None:
    """The lines of the largest type before the first section on the first page, when they are
    larger than the body and read as a report's title; else the headings before the first section
    and its introduction."""
    head: list[LabelledBlock] = []
    for lb in ordered:
        if lb.label == "heading" and _SECTION.match(lb.block.text) or head and lb.block.page != head[0].block.page:
            break
        head.append(lb)
    sizes = sorted(lb.block.size for lb in ordered if lb.label == "prose") or \
        sorted(lb.block.size for lb in ordered)
    body = sizes[len(sizes) // 2] if sizes else 0.0
    for size in sorted({round(lb.block.size, 1) for lb in head}, reverse=True):
        if size < body * _TITLE_TYPE:
            break
        run: list[LabelledBlock] = []
        for lb in head:
            if lb.block.size >= 0.95 * size:
                run.append(lb)
            elif run:
                break
        text = re.sub(r"\s+", "", _join(lb.block.text for lb in run))
        if "报告" in text or "信息公开" in text:
            return text
    parts, intro = [], False
    for lb in head:
        if lb.label == "heading" and not intro:
            parts.append(lb.block.text)
        elif lb.label == "prose":
            intro = True
    return re.sub(r"\s+", "", _join(parts)) or None


_REPORT_NAME = re.compile(r"(?<!人民)政府信息公开|信息公开")


def _title_issuer(title: str) -> str | None:
    """The body a title names: 连州市人民政府2023年政府信息公开工作年度报告 → 连州市人民政府;
    a title that opens with the year names it after the year, sharing 政府 with 政府信息公开 when it
    is a 人民政府 (2020年吉水县杨柳镇人民政府信息公开工作年度报告 → 吉水县杨柳镇人民政府)."""
    year = re.search(r"(20\d\d)\s*年度?", title)
    if year is None:
        return None
    before = title[: year.start()]
    if before:
        return before
    rest = title[year.end():]
    m = _REPORT_NAME.search(rest)
    return (rest[: m.start()] if m else None) or None


def _signature(ordered: list[LabelledBlock]) -> tuple[str | None, str | None, float]:
    """(issuer, ISO date, the date's confidence) from the blocks after the last prose: the signing
    body above the date, where it reads surely. The date is as sure as the reading of its line (1
    on a text layer, the OCR's score on a scan), at most 0.9, for it is the signature's.

    A seal stamped over the signature leaves specks and stroke fragments that OCR reads as a dot,
    a star or a stray character or two, unsurely, and it makes the layout model unsure of the
    signature's own lines: none of these ends the signature, and the specks are not part of it."""
    tail: list[LabelledBlock] = []
    for lb in reversed(ordered):
        if _speck(lb.block.text):
            continue
        if lb.label in ("prose", "table_cell", "heading") and min(lb.confidence, lb.block.confidence) >= REVIEW.confident:
            break
        if not _FOOTER.match(lb.block.text):      # a page number is no signing body
            tail.insert(0, lb)
    lines = _lines(tail)
    for i, (text, sure) in enumerate(lines):
        m = _DATE.search(text)
        if m:
            y, mo, d = map(int, m.groups())
            # the signing body only as read surely: under a seal OCR reads 人民政府 as 美民政府 at 0.4,
            # and that is no second name of the issuer to be held against the title's
            before = [(t, line_sure) for t, line_sure in lines[:i] if not _DATE.search(t)]
            signer = before[-1][0] if before and before[-1][1] >= REVIEW.confident else None
            return signer, f"{y:04d}-{mo:02d}-{d:02d}", min(round(sure, 3), 0.9)
    return None, None, 0.0


def _lines(blocks: list[LabelledBlock]) -> list[tuple[str, float]]:
    """(text without spaces, its least sure block's confidence) of ``blocks`` (in reading order)
    joined line by line: a date OCR read in two pieces (2021年2月 | 18日, the gap widened where a
    seal's marks were lifted) is one line."""
    lines: list[tuple[LabelledBlock, list[LabelledBlock]]] = []
    for lb in blocks:
        if lines:
            first, parts = lines[-1]
            (_, a0, _, a1), (_, b0, _, b1) = first.block.bbox, lb.block.bbox
            if first.block.page == lb.block.page and min(a1, b1) - max(a0, b0) > 0.5 * min(a1 - a0, b1 - b0):
                parts.append(lb)
                continue
        lines.append((lb, [lb]))
    return [(re.sub(r"\s+", "", "".join(p.block.text for p in parts)), min(p.block.confidence for p in parts))
            for _, parts in lines]


def _speck(text: str) -> bool:
    """No word: fewer than two characters that are letters or digits (·, *, a lone 的)."""
    return sum(ch.isalnum() for ch in text) < 2
