"""Text-layer reports typeset the ways real reports are (a title over the whole line or wrapped, a unit
alone in its brackets, a table broken by the page with no header repeated), read end to end."""

from __future__ import annotations

import re
from dataclasses import replace

import pymupdf

from extractor.pipeline import extract
from training.content import make_content
from training.typeset import style_for, typeset


def _record(content, style) -> dict:
    return extract(typeset(content, style).pdf, name=f"{content.name}.pdf")


def _content(seed: int, fmt: str, **options):
    return make_content(seed, fmt=fmt, inject=None, **options)


def test_a_unit_alone_in_its_brackets_is_the_amounts_unit():
    # 采购总金额（万元） / 采购总金额 (元): the unit without the word 单位
    for seed, header, unit in ((4101, "采购总金额（万元）", "万元"), (4102, "采购总金额 (元)", "元")):
        content = _content(seed, "2019", amount_unit="none")
        content.column_labels[("active_disclosure", "procurement_amount")] = header
        content.units["active_disclosure.procurement.procurement_amount"] = unit
        record = _record(content, style_for(seed))
        assert record["units"] == {"active_disclosure.procurement.procurement_amount": unit}
        assert record["tables"]["active_disclosure"] == content.tables["active_disclosure"]


# --- the report's title, issuer and year, from a page set as Word or a browser sets it --------------

LEFT, RIGHT, BODY = 72.0, 523.0, 12.0


def _words_report(title_lines: list[tuple[str, float]], paragraphs: list[str], signature: list[str] = ()) -> bytes:
    """A report's words without its tables, typeset with PyMuPDF: each title line centred (a line
    as wide as the text column fills it, as a browser or Word sets a long title), then paragraphs
    of 12 pt body wrapped at the margins ("一、…" ones set bold as section headings), then the
    signature right-aligned."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 90.0
    for text, size in title_lines:
        width = pymupdf.get_text_length(text, fontname="china-ss", fontsize=size)
        page.insert_text(((LEFT + RIGHT - width) / 2, y + size), text, fontname="china-ss", fontsize=size,
                         render_mode=2, border_width=size * 0.035)
        y += size * 1.5
    y += BODY
    per_line = int((RIGHT - LEFT) // BODY)
    for para in paragraphs:
        heading = re.match(r"[一二三四五六]、", para) is not None
        first, lines = True, []
        rest = para
        while rest:
            n = per_line - (0 if heading or not first else 2)
            lines.append(rest[:n])
            rest, first = rest[n:], False
        for i, line in enumerate(lines):
            if y > 842 - 90:
                page, y = doc.new_page(width=595, height=842), 90.0
            x = LEFT + (2 * BODY if i == 0 and not heading else 0)
            page.insert_text((x, y + BODY), line, fontname="china-ss", fontsize=BODY,
                             render_mode=2 if heading else 0, border_width=BODY * 0.035)
            y += BODY * 1.8
    y += BODY
    for line in signature:
        width = pymupdf.get_text_length(line, fontname="china-ss", fontsize=BODY)
        page.insert_text((RIGHT - 2 * BODY - width, y + BODY), line, fontname="china-ss", fontsize=BODY)
        y += BODY * 1.8
    doc.subset_fonts()
    return doc.tobytes()


SECTIONS = [
    "一、总体情况",
    "一年来，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，把政府信息公开作为转变职能、提高工作透明度的重要抓手，"
    "不断完善工作机制，规范公开内容，拓宽公开渠道，较好地保障了人民群众的知情权、参与权和监督权。",
    "二、主动公开政府信息情况",
    "本年度主动公开政府信息的数量与上年相当，详见下表所列各项。",
    "三、收到和处理政府信息公开申请情况",
    "本年度收到和处理的政府信息公开申请均在法定期限内答复。",
    "四、政府信息公开行政复议、行政诉讼情况",
    "本年度未发生因政府信息公开引起的行政复议和行政诉讼。",
    "五、存在的主要问题及改进情况",
    "公开内容还不够全面，下一步将进一步规范公开流程，提升公开质量。",
    "六、其他需要报告的事项",
    "本年度无其他需要报告的事项。",
]


def _split_title(title: str, size: float) -> list[tuple[str, float]]:
    """A title as wide as the column: the first line takes what fits, the rest goes below."""
    n = len(title)
    while pymupdf.get_text_length(title[:n], fontname="china-ss", fontsize=size) > RIGHT - LEFT:
        n -= 1
    return [(title[:n], size)] + ([(title[n:], size)] if n < len(title) else [])


def test_a_title_that_fills_its_line_and_wraps_gives_the_year_and_issuer():
    title = "遂昌县白石乡人民政府2019年政府信息公开工作年度报告"
    lines = _split_title(title, 20)
    assert [t for t, _ in lines] == ["遂昌县白石乡人民政府2019年政府信息公开工", "作年度报告"]
    pdf = _words_report(lines, ["本报告的电子版可在本机关门户网站查阅和下载。如对本报告有任何疑问，请与本机关办公室联系。"] + SECTIONS)
    report = extract(pdf, name="t.pdf")["report"]
    assert (report["title"], report["issuer"], report["year"]) == (title, "遂昌县白石乡人民政府", 2019)
    assert report["sources"] == {"issuer": ["title"], "year": ["title"]}
    assert report["confidence"] == {"title": 0.95, "issuer": 0.95, "year": 0.95, "date": 0.0}


def test_a_title_that_opens_with_the_year_names_its_issuer_after_it():
    # no signature and no sentence naming the body: the title is all there is
    for title, issuer in (("2020年吉水县杨柳镇人民政府信息公开工作年度报告", "吉水县杨柳镇人民政府"),
                          ("2022年邵阳市教育局政府信息公开工作年度报告", "邵阳市教育局")):
        report = extract(_words_report(_split_title(title, 18), SECTIONS), name="t.pdf")["report"]
        assert (report["title"], report["issuer"], report["year"]) == (title, issuer, int(title[:4]))


def test_the_year_and_issuer_from_every_signal_with_their_confidence():
    # a title naming neither: the year from the 统计期限 and the first sentence, the issuer from
    # 由…编制 and the signature, the signing date (January) agreeing
    intro = ("本报告根据《中华人民共和国政府信息公开条例》要求，由井冈山市人民政府办公室编制。本报告中所列数据的统计期限"
             "自2019年1月1日起至2019年12月31日止。")
    sections = [SECTIONS[0], "2019年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》。"] + SECTIONS[2:]
    record = extract(_words_report([("政府信息公开工作年度报告", 22)], [intro] + sections,
                                   ["井冈山市人民政府", "2020年1月15日"]), name="t.pdf")
    report = record["report"]
    assert (report["title"], report["issuer"], report["year"], report["date"]) == \
        ("政府信息公开工作年度报告", "井冈山市人民政府", 2019, "2020-01-15")
    assert report["sources"] == {"issuer": ["signature", "compiled_by"],
                                 "year": ["statistics_period", "first_sentence", "signing_date"]}
    assert report["confidence"] == {"title": 0.7, "issuer": 0.97, "year": 0.976, "date": 0.9}
    assert [p for p in record["problems"] if "report's" in p] == []


def test_signals_that_disagree_or_a_year_not_read_are_said():
    intro = "本报告中所列数据的统计期限自2021年1月1日起至2021年12月31日止。"
    record = extract(_words_report(_split_title("临朐县林业局2020年政府信息公开工作年度报告", 20), [intro] + SECTIONS),
                     name="t.pdf")
    assert (record["report"]["year"], record["report"]["confidence"]["year"]) == (2020, 0.095)
    assert "the report's year is read as 2020 (title), but statistics_period: 2021" in record["problems"]

    record = extract(_words_report([("政府信息公开工作年度报告", 22)], SECTIONS), name="t.pdf")
    assert (record["report"]["year"], record["report"]["issuer"]) == (None, None)
    assert record["report"]["confidence"] == {"title": 0.7, "issuer": 0.0, "year": 0.0, "date": 0.0}
    assert [p for p in record["problems"] if "report's" in p] == [
        "the report's year was not read: neither the title, nor a 现公布…年度报告 or 统计期限 sentence, "
        "nor the signing date states it",
        "the report's issuer was not read: neither the title, nor a 现公布… or 由…编制 sentence, "
        "nor a signature names it"]
