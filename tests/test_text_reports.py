"""Text-layer reports typeset the ways real reports are (a title over the whole line or wrapped, a unit
alone in its brackets, a table broken by the page with no header repeated), read end to end."""

from __future__ import annotations

import json
import re

import pymupdf
import pytest

from conftest import UNSEEN
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
    assert [p for p in record["problems"] if p.startswith(("未读到", "年度读作", "发布机关读作"))] == []


def test_signals_that_disagree_or_a_year_not_read_are_said():
    intro = "本报告中所列数据的统计期限自2021年1月1日起至2021年12月31日止。"
    record = extract(_words_report(_split_title("临朐县林业局2020年政府信息公开工作年度报告", 20), [intro] + SECTIONS),
                     name="t.pdf")
    assert (record["report"]["year"], record["report"]["confidence"]["year"]) == (2020, 0.095)
    assert "年度读作 2020（标题），但统计期限为 2021" in record["problems"]

    record = extract(_words_report([("政府信息公开工作年度报告", 22)], SECTIONS), name="t.pdf")
    assert (record["report"]["year"], record["report"]["issuer"]) == (None, None)
    assert record["report"]["confidence"] == {"title": 0.7, "issuer": 0.0, "year": 0.0, "date": 0.0}
    assert [p for p in record["problems"] if p.startswith("未读到")] == [
        "未读到年度：标题、“现公布……年度报告”一句、统计期限、成文日期都没有写明",
        "未读到发布机关：标题、“现公布……”一句、“由……编制”一句、落款都没有写明"]


# --- a table the page breaks inside its header, the header not repeated ---------------------------------

REVIEW_VALUES = [3, 1, 0, 2, 6, 4, 0, 1, 0, 5, 1, 1, 0, 0, 2]
LEAVES = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
TSIZE = 10.5
NO_FORMAT = "未识别出表格格式（2019 或 2021 格式）"   # a review table alone


def _review_table_pdf(break_at: float, note: str | None = None, values: list[str] | None = None) -> bytes:
    """The review/litigation table as a browser prints a <table> with rowspan and colspan: 15
    columns too narrow for a leaf label on one line (结果 / 维持), every cell ruled on its own. The
    page ends ``break_at`` points into the table (Word and Chromium break a row across pages by
    default): each cell is ruled where it stands on either page, each text line printed on the
    page its top falls on. ``note``: a row across the table between its header and its values."""
    x0, width = 80.0, 444.0
    xs = [x0 + width * i / 15 for i in range(16)]
    heights = [18.0, 18.0, 32.0] + ([18.0] if note else []) + [18.0]
    ys = [0.0]
    for h in heights:
        ys.append(ys[-1] + h)
    # (row, col, rowspan, colspan, text)
    cells = [(0, 0, 1, 5, "行政复议"), (0, 5, 1, 10, "行政诉讼"),
             (1, 5, 1, 5, "未经复议直接起诉"), (1, 10, 1, 5, "复议后起诉")]
    cells += [(1, c, 2, 1, LEAVES[c]) for c in range(5)]
    cells += [(2, 5 + c, 1, 1, LEAVES[c % 5]) for c in range(10)]
    values = values or [str(v) for v in REVIEW_VALUES]
    cells += [(len(heights) - 1, c, 1, 1, v) for c, v in enumerate(values)]
    if note:
        cells.append((3, 0, 1, 15, note))
    doc = pymupdf.open()
    for _ in range(2):
        doc.new_page(width=595, height=842)
    pages = [doc[0], doc[1]]
    tops = [842 - 72 - break_at, 72.0 - break_at]     # page y of the table's top, on either page
    lh = TSIZE * 1.25
    for row, col, rowspan, colspan, text in cells:
        left, right = xs[col], xs[col + colspan]
        top, bottom = ys[row], ys[row + rowspan]
        for p, (lo, hi) in enumerate(((0.0, break_at), (break_at, ys[-1]))):
            a, b = max(top, lo), min(bottom, hi)
            if a < b:
                pages[p].draw_rect(pymupdf.Rect(left, tops[p] + a, right, tops[p] + b), color=(0, 0, 0), width=0.5)
        per_line = max(1, int((right - left - 4) // TSIZE))
        lines = [text[i:i + per_line] for i in range(0, len(text), per_line)]
        start = (top + bottom - len(lines) * lh) / 2
        for i, line in enumerate(lines):
            ty = start + i * lh
            p = 0 if ty + lh <= break_at else 1
            ty = max(ty, break_at + 2) if p == 1 else ty
            lw = pymupdf.get_text_length(line, fontname="china-ss", fontsize=TSIZE)
            pages[p].insert_text(((left + right - lw) / 2, tops[p] + ty + TSIZE), line,
                                 fontname="china-ss", fontsize=TSIZE)
    doc.subset_fonts()
    return doc.tobytes()


def _review_read(pdf: bytes) -> tuple[dict, list[str]]:
    from extractor.stages.classify import classify
    from extractor.stages.ingest import ingest
    from extractor.stages.reconstruct import reconstruct

    doc = ingest(pdf)
    reading = reconstruct(doc.pages, classify(doc.pages))
    return {c.row: c.value for c in reading.cells if c.table == "review_litigation"}, reading.problems


def _review_truth() -> dict:
    groups = ("review", "litigation_direct", "litigation_after_review")
    cols = ("upheld", "corrected", "other", "pending", "total")
    return {f"{g}.{c}": REVIEW_VALUES[5 * i + j] for i, g in enumerate(groups) for j, c in enumerate(cols)}


def test_a_review_header_broken_after_its_first_or_second_row_keeps_its_groups():
    # the page ends under 行政复议 | 行政诉讼 (the leaves of 行政复议 then have no group above them on
    # their page), or under 未经复议直接起诉 | 复议后起诉 with 行政复议's leaves cut in their tops
    for break_at in (18.0, 36.0):
        values, problems = _review_read(_review_table_pdf(break_at))
        assert values == _review_truth(), break_at
        assert problems == [NO_FORMAT]


def test_a_review_leaf_row_broken_by_the_page_is_joined():
    # 结果 | 尚未 … at the foot of the page, 维持 | 审结 … at the head of the next
    values, problems = _review_read(_review_table_pdf(52.0))
    assert values == _review_truth()
    assert problems == [NO_FORMAT]


def _unseen(name: str) -> tuple[dict, dict]:
    """A committed report of an engine no model learns from, read, with its truth: every template
    cell, the report's identity, its units and its failing rules as the truth has them."""
    from extractor.spec.templates import get_value, template_cells

    pdf = UNSEEN / f"{name}.pdf"
    truth = json.loads(pdf.with_suffix(".truth.json").read_text("utf-8"))
    record = extract(pdf)
    fmt = truth["report"]["format"]
    assert [k for k in template_cells(fmt) if get_value(record["tables"], *k) != get_value(truth["tables"], *k)] == []
    assert {k: record["report"][k] for k in truth["report"]} == truth["report"]
    assert record["units"] == truth["units"]
    assert sorted(c["rule"] for c in record["checks"] if c["status"] == "fail") == sorted(truth["expected_fail"])
    return record, truth


def test_a_row_whose_values_the_page_moved_on_is_read_with_them():
    # wkhtmltopdf (Qt WebKit) cut the applications table inside 7.属于行政执法案卷: the label's first
    # line stands at the foot of page 1, under rulings it drew on past the cut and clipped, and
    # the line with 案卷 and every value of the row opens page 2. Read as the row's blanks, the
    # zeros would be lost with no check failing; they are read where they stand
    record, _ = _unseen("e21-wk-cut-row")
    assert record["tables"]["applications"]["denied.enforcement_files"] == dict.fromkeys(
        ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
         "legal_service_org", "other_org", "total"], 0)
    assert {(c["page"], c["text"]) for c in record["cells"] if c["row"] == "denied.enforcement_files"} == {(2, "0")}
    assert record["problems"] == []


def test_the_review_values_the_page_moved_on_are_read_there():
    # wkhtmltopdf cut the review table under its header: blank cells at the foot of page 2, the row
    # of values at the head of page 3, with no header over it
    record, _ = _unseen("e21-wk-review-cut")
    assert record["tables"]["review_litigation"] == dict.fromkeys(record["tables"]["review_litigation"], 0)
    assert len(record["tables"]["review_litigation"]) == 15
    assert {c["page"] for c in record["cells"] if c["table"] == "review_litigation"} == {3}
    assert record["problems"] == []


def test_a_review_header_cut_inside_its_leaves_keeps_their_names():
    # 结果 | 结果 | 其他 | 尚未 at the foot of page 2, 维持 | 纠正 | 结果 | 审结 | 总计 at the head of page 3:
    # each leaf is its two halves (其他结果, not 结果), the halves standing in a cell merged down
    # over the rows below; and （二）部分公开's 3s moved on to page 2 with the rest of its label
    record, _ = _unseen("e21-wk-review-header")
    assert record["tables"]["review_litigation"] == {
        "review.upheld": 0, "review.corrected": 0, "review.other": 0, "review.pending": 0, "review.total": 0,
        "litigation_direct.upheld": 0, "litigation_direct.corrected": 0, "litigation_direct.other": 1,
        "litigation_direct.pending": 0, "litigation_direct.total": 1, "litigation_after_review.upheld": 2,
        "litigation_after_review.corrected": 0, "litigation_after_review.other": 0,
        "litigation_after_review.pending": 0, "litigation_after_review.total": 2}
    assert record["tables"]["applications"]["partially_granted"] == {
        "natural_person": 3, "commercial_enterprise": None, "research_institution": None, "social_welfare_org": None,
        "legal_service_org": None, "other_org": None, "total": 3}
    assert record["problems"] == []


def test_a_row_whose_label_the_page_cut_to_its_opening_is_read_with_its_rest():
    # WeasyPrint cut 1.申请人无正当理由逾期不补正… at the foot of page 4: its zeros there beside （
    # (all of （六）其他处理 the page left) and 1.申请人, too little to name a row; the rest of the label
    # and blank cells on page 5 under the repeated header. Read alone, the rest named the row and
    # gave it blanks, with no check failing
    record, _ = _unseen("e21-wp-group-cut")
    assert record["tables"]["applications"]["other_handling.no_correction"] == dict.fromkeys(
        ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
         "legal_service_org", "other_org", "total"], 0)
    assert {(c["page"], c["text"]) for c in record["cells"] if c["row"] == "other_handling.no_correction"} \
        == {(4, "0")}
    assert record["problems"] == []


def test_columns_whose_merged_header_the_page_left_behind_keep_their_names():
    # WeasyPrint cut the applications header between its rows: 自然人 and 总计 (merged down over
    # three rows) stand at the foot of page 1, and page 2 opens with 商业企业 … 其他 and nothing
    # printed above the 自然人 and 总计 columns: 50 cells were not found
    record, _ = _unseen("e21-wp-header-cut")
    assert record["tables"]["applications"]["granted"] == {
        "natural_person": 0, "commercial_enterprise": 0, "research_institution": 0, "social_welfare_org": 0,
        "legal_service_org": 0, "other_org": 0, "total": 0}
    assert {c["page"] for c in record["cells"] if c["table"] == "applications"} == {2, 3}
    assert record["problems"] == []


def test_an_all_zero_applications_table_printed_blank_is_read_blank():
    # every applications cell blank, （七）总计 too: its row is a row of blanks, not a header (总计 is
    # a column's word), and 四、结转下年度继续办理 below it keeps its label
    seed = 4301
    content = _content(seed, "2021", profile="zero", cell_traits=())
    for key in [k for k in content.cell_text if k[0] == "applications"]:
        content.cell_text[key] = ""
        content.tables["applications"][key[1]][key[2]] = None
    record = _record(content, style_for(seed))
    assert record["tables"]["applications"] == content.tables["applications"]
    complete = next(c for c in record["checks"] if c["rule"] == "tables.complete")
    assert complete["status"] == "pass"
    assert not [p for p in record["problems"] if "applications" in p or "未采用" in p]


def test_words_where_the_review_values_stand_are_no_row_of_values():
    # （单位：件） in a row of its own under the header: not read as values, so the values below
    # it are the only reading of each cell
    values, problems = _review_read(_review_table_pdf(200.0, note="（单位：件）"))
    assert values == _review_truth()
    assert problems == ["第 1 页：表格中的文字未采用：「（单位：件）」", NO_FORMAT]


def test_a_unit_stated_in_a_note_under_the_table():
    # the header and the cell say nothing; the note printed under the table does (4414: a table
    # without rulings, whose alignment grid takes the note in as a row)
    for seed, note, unit in ((4401, "注：采购总金额单位为万元。", "万元"), (4414, "注：金额单位：元", "元")):
        content = _content(seed, "2019", amount_unit="none", note=False)
        content.notes["active_disclosure"] = note
        content.units["active_disclosure.procurement.procurement_amount"] = unit
        record = _record(content, style_for(seed))
        assert record["units"] == {"active_disclosure.procurement.procurement_amount": unit}
        assert record["tables"]["active_disclosure"] == content.tables["active_disclosure"]


def test_look_alike_letters_where_the_review_values_stand_are_still_read():
    # O for 0 (a scan's or a careless typist's): no number in the row, but not words either; each
    # cell is read, unparseable and flagged, for the sums or a person to settle
    from extractor.stages.classify import classify
    from extractor.stages.ingest import ingest
    from extractor.stages.reconstruct import reconstruct

    doc = ingest(_review_table_pdf(200.0, values=["O"] * 15))
    reading = reconstruct(doc.pages, classify(doc.pages))
    assert sorted((c.row, c.value, c.text, c.confidence) for c in reading.cells) == \
        sorted((row, None, "O", 0.3) for row in _review_truth())


# --- reports laid out by real engines (training/engines.py), read end to end ----------------------------

# The engine fixtures that show the classes read here: a review table broken after its first header
# row, a row of the applications table broken by the page (its label's opening on one page, the rest
# on the next), units in a note, tables printed blank, titles over two lines, lead-in sentences, and
# disclosure tables without rulings whose caption, header and row labels stand in one column
# (e21-lo-blocks left-aligned, e21-web-cell-lead centred).
ENGINE_CASES = {
    "e19-lo-review-split": "libreoffice", "e21-lo-row-split": "libreoffice", "e19-lo-zero-blank": "libreoffice",
    "e19-lo-note-lead": "libreoffice", "e21-lo-blocks": "libreoffice", "e21-web-review-split": "chromium",
    "e19-web-zero-note": "chromium", "e21-web-cell-lead": "chromium",
}


def _engine_case(name: str, engine: str):
    from training.engines import missing
    reason = missing(engine)
    return pytest.param(name, engine, id=name, marks=[getattr(pytest.mark, engine), pytest.mark.slow,
                                                      pytest.mark.skipif(reason is not None, reason=reason or "")])


@pytest.mark.parametrize("name,engine", [_engine_case(n, e) for n, e in ENGINE_CASES.items()])
def test_engine_reports_read_exactly(name, engine):
    from extractor.spec.templates import get_value, template_cells
    from training.engines import render
    from training.generate import engine_fixture_reports, truth_of

    content, style = next((c, s) for c, s in engine_fixture_reports([engine]) if c.name == name)
    ts = render(content, style)
    truth = truth_of(content, style, ts)
    record = extract(ts.pdf, name=f"{name}.pdf")
    fmt = truth["report"]["format"]
    assert {k: record["report"][k] for k in truth["report"]} == truth["report"]
    assert record["units"] == truth["units"]
    assert [k for k in template_cells(fmt) if get_value(record["tables"], *k) != get_value(truth["tables"], *k)] == []
    assert sorted(c["rule"] for c in record["checks"] if c["status"] == "fail") \
        == sorted(truth["expected_fail"])
