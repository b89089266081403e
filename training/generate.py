"""Write synthetic reports: ``NAME.pdf``, ``NAME.truth.json`` and ``NAME.blocks.jsonl``.

    python -m training.generate -o DIR [--count N] [--seed S] [--format 2019|2021] [--scanned]
                                [--engine typeset|libreoffice|chromium]
    python -m training.generate --fixtures          # regenerate the committed set in fixtures/
    python -m training.generate --fixtures --fixture-engines libreoffice chromium   # and the engines' few
    python -m training.generate -o DIR --defect missing_parts|empty_problems|fees_unreported
    python -m training.generate -o DIR --no-issuer | --issuer 某县人民政府 --year 2022

The truth is what a perfect extraction of the PDF would give (SCHEMA.md shape), plus what was
put in on purpose: ``expected_fail`` (the rules that must fail), ``injected``, ``traits``, the
``style`` and the ``seed``. Everything is deterministic: the same seed gives the same bytes.

``--engine`` picks who lays the report out: ``typeset`` (``typeset.py``, the default), or a real
layout engine, ``libreoffice`` (a Word document converted by LibreOffice) or ``chromium`` (a web
page printed by headless Chromium): see ``layout.py`` and ``engines.py``. Their output is
byte-stable for the same seed on one machine; the truth is read back from the PDF they wrote.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from extractor.types import CellReading, ReportInfo, Section

from .content import DEFECTS, ReportContent, make_content
from .layout import ENGINES, TRAINING_ENGINES, EngineStyle, content_options, engine_style_for
from .seeds import seed_contents
from .typeset import Style, Typeset, style_for, typeset

SCHEMA = "nianbao/1"
FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


def style_seed(seed: int) -> int:
    """The style's seed, apart from the content's so that the two draws do not correlate."""
    return seed + 7_000_003


# --- one report -----------------------------------------------------------------------------------

def truth_of(content: ReportContent, style: Style | EngineStyle, ts: Typeset) -> dict:
    heading_pages = {}
    for b in ts.blocks:
        if b["label"] == "heading":
            heading_pages.setdefault(b["text"].split("、")[0], b["page"])
    cells = []
    for key in content.cell_text:
        where = ts.cells.get(key)
        if where is None:
            continue
        table, row, column = key
        value = content.tables[table][row] if column is None else content.tables[table][row][column]
        cells.append({"table": table, "row": row, "column": column, "value": value,
                      "text": content.cell_text[key], "page": where["page"], "bbox": where["bbox"]})
    return {
        "schema": SCHEMA,
        "report": {"title": content.title, "issuer": content.issuer, "year": content.year,
                   "format": content.format, "date": content.date},
        "sections": [{"number": s.number, "title": s.title,
                      "text": "".join(p.text for p in s.paragraphs),
                      "page": heading_pages.get(s.number)} for s in content.sections],
        "tables": content.tables,
        "units": content.units,
        "cells": cells,
        "expected_fail": content.expected_fail,
        "expected_warn": content.expected_warn,
        "injected": content.injected,
        "traits": sorted(set(content.traits) | set(ts.traits)),
        "style": {f.name: getattr(style, f.name) for f in fields(style)
                  if f.default is MISSING or getattr(style, f.name) != f.default},
        "seed": content.seed,
        "notes": content.truth_notes,
    }


def lay_out(content: ReportContent, style: Style | EngineStyle) -> Typeset:
    """The report printed by ``typeset.py`` (a ``Style``) or by a layout engine (an ``EngineStyle``)."""
    if isinstance(style, EngineStyle):
        from .engines import render

        return render(content, style)
    return typeset(content, style)


def write_report(out: Path, content: ReportContent, style: Style | EngineStyle) -> dict:
    ts = lay_out(content, style)
    truth = truth_of(content, style, ts)
    name = content.name
    (out / f"{name}.pdf").write_bytes(ts.pdf)
    (out / f"{name}.truth.json").write_text(dump_truth(truth), "utf-8")
    write_blocks(out / f"{name}.blocks.jsonl", ts.blocks)
    return truth


def write_blocks(path: Path, blocks: list[dict]) -> None:
    path.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in blocks), "utf-8")


def dump_truth(truth: dict) -> str:
    """Indented JSON with one cell per line: readable in a diff, a third of the size."""
    parts = []
    for key, value in truth.items():
        if key == "cells":
            body = ",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in value)
            text = f"[\n{body}\n ]"
        else:
            text = json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n ")
        parts.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def report_for(seed: int, fmt: str | None = None, engine: str = "typeset", **options
               ) -> tuple[ReportContent, Style | EngineStyle]:
    """Report ``seed`` laid out by ``engine``; ``options``: ``make_content`` keywords (a defect,
    an issuer, a year) over what the seed draws."""
    if engine == "typeset":
        style = style_for(style_seed(seed))
        content = make_content(seed, fmt=fmt, **options)
        content.name = f"r{content.year}-{seed:05d}-{style.glyphs}"
        return content, style
    style = engine_style_for(style_seed(seed), engine)
    content = make_content(seed, fmt=fmt, **{**content_options(seed), **options})
    content.name = f"r{content.year}-{seed:05d}-{engine}"
    return content, style


# --- truth back into the extractor's types --------------------------------------------------------

def load_truth(path) -> tuple[ReportInfo, dict, list[CellReading], list[Section], list[str]]:
    """A truth file as the extractor's dataclasses (every cell read with confidence 1.0)."""
    truth = json.loads(Path(path).read_text("utf-8"))
    r = truth["report"]
    info = ReportInfo(r["title"], r["issuer"], r["year"], r["format"], r["date"])
    cells = [CellReading(c["table"], c["row"], c["column"], c["value"], c["text"], c["page"],
                         tuple(c["bbox"]), 1.0) for c in truth["cells"]]
    sections = [Section(s["number"], s["title"], s["text"], s["page"]) for s in truth["sections"]]
    return info, truth["tables"], cells, sections, truth["expected_fail"]


# --- the committed fixtures -----------------------------------------------------------------------

@dataclass(frozen=True)
class Fixture:
    """One committed report: its seed, the content options and the style overrides that give it
    the traits it is there for."""
    name: str
    seed: int
    why: str
    content: dict = field(default_factory=dict)
    style: dict = field(default_factory=dict)


NO = {"inject": None}
FIXTURES = (
    # --- 2019 format (reports on 2019 and 2020) ---
    Fixture("f19-word-song", 101, "Word runs, Song, narrow columns: stacked and wrapped headers",
            {**NO, "year": 2019, "profile": "small", "cell_traits": (), "label_variants": ()},
            {"glyphs": "word", "font": "song", "narrow_columns": True, "break_applications_at": None}),
    Fixture("f19-wps-hei", 102, "WPS glyph-by-glyph, Hei (sans); blank cells; 1、 numbering",
            {**NO, "year": 2020, "profile": "medium", "cell_traits": ("blank_cells",),
             "label_variants": ("dun_numbering",)},
            {"glyphs": "wps", "font": "hei", "narrow_columns": True}),
    Fixture("f19-uming-large", 103, "embedded AR PL UMing; large numbers; +453 changes; amount unit in cell",
            {**NO, "year": 2020, "profile": "large", "cell_traits": ("plus_sign",), "amount_unit": "cell"},
            {"glyphs": "word", "font": "uming", "table_size": 9.0, "narrow_columns": False}),
    Fixture("f19-split-repeat", 117, "applications table broken inside （五）不予处理 with a repeated header",
            {**NO, "year": 2019, "profile": "medium", "amount_unit": "header"},
            {"glyphs": "wps", "font": "song", "repeat_header": True, "footer": "- {n} -"}),
    Fixture("f19-split-shuffled", 143, "broken inside 三、本年度办理结果, no repeated header; continuation drawn "
            "after the prose", {**NO, "year": 2020, "profile": "small", "note": True},
            {"glyphs": "word", "font": "song", "repeat_header": False, "stream_order_shuffled": True,
             "footer": "— {n} —"}),
    Fixture("f19-slash-annotated", 106, "\"/\" cells, 22（其中修订16件）, amount unit in header, a note",
            {**NO, "year": 2019, "profile": "medium", "cell_traits": ("slash_cells", "annotated_cell"),
             "amount_unit": "header", "note": True},
            {"glyphs": "wps", "font": "uming"}),
    Fixture("f19-zero", 107, "everything zero; prose says none received; unruled disclosure table",
            {**NO, "year": 2020, "profile": "zero", "statement": "stated", "cell_traits": ()},
            {"glyphs": "word", "font": "hei", "ruled_disclosure": False}),
    Fixture("f19-labels", 108, "社会组织, 行政事业性费, a typo, half-width brackets; ruled by filled rectangles",
            {**NO, "year": 2019, "profile": "small",
             "label_variants": ("shehui_zuzhi", "shiyexing_fei", "typo", "halfwidth_brackets")},
            {"glyphs": "wps", "font": "song", "rule_fill": True}),
    Fixture("f19-bigtype", 109, "16pt body, 12pt table: long labels wrap over three lines",
            {**NO, "year": 2020, "profile": "medium", "cell_traits": ("blank_cells", "plus_sign")},
            {"glyphs": "word", "font": "song", "body_size": 16.0, "table_size": 12.0, "narrow_columns": True}),
    Fixture("f19-inject-total-row", 110, "injected: an outcome cell off by one, （七）总计 unchanged",
            {"year": 2020, "profile": "medium", "inject": "total_row"}, {"glyphs": "wps"}),
    Fixture("f19-inject-balance", 111, "injected: 结转下年度 off by one",
            {"year": 2019, "profile": "small", "inject": "balance"}, {"glyphs": "word"}),
    Fixture("f19-inject-prose", 112, "injected: prose states another number of applications",
            {"year": 2020, "profile": "small", "inject": "prose", "statement": "stated"}, {"glyphs": "word"}),
    Fixture("f19-inject-review", 113, "injected: a review/litigation total wrong",
            {"year": 2019, "profile": "large", "inject": "review_totals"}, {"glyphs": "wps"}),
    # --- 2021 format (reports on 2021 and later) ---
    Fixture("f21-word-song", 201, "Word runs, Song, narrow columns",
            {**NO, "year": 2023, "profile": "small", "cell_traits": (), "label_variants": ()},
            {"glyphs": "word", "font": "song", "narrow_columns": True, "break_applications_at": None}),
    Fixture("f21-wps-hei", 202, "WPS glyph-by-glyph, Hei; blank cells; 1、 numbering",
            {**NO, "year": 2022, "profile": "medium", "cell_traits": ("blank_cells",),
             "label_variants": ("dun_numbering",)},
            {"glyphs": "wps", "font": "hei", "narrow_columns": True}),
    Fixture("f21-uming-large", 203, "embedded UMing; large numbers; decimal 万元 fees",
            {**NO, "year": 2024, "profile": "large"},
            {"glyphs": "word", "font": "uming", "table_size": 9.0, "narrow_columns": False}),
    Fixture("f21-split-repeat", 251, "applications table broken inside （四）无法提供 with a repeated header",
            {**NO, "year": 2021, "profile": "medium"},
            {"glyphs": "wps", "font": "song", "repeat_header": True, "footer": "- {n} -"}),
    Fixture("f21-split-shuffled", 219, "broken inside （四）无法提供, no repeated header; continuation drawn "
            "after the prose", {**NO, "year": 2022, "profile": "small", "note": True},
            {"glyphs": "word", "font": "song", "repeat_header": False, "stream_order_shuffled": True,
             "footer": "— {n} —"}),
    Fixture("f21-slash-annotated", 206, "\"/\" cells, 22（其中修订16件）, a note under a table",
            {**NO, "year": 2023, "profile": "medium", "cell_traits": ("slash_cells", "annotated_cell"),
             "note": True},
            {"glyphs": "wps", "font": "uming"}),
    Fixture("f21-zero", 207, "everything zero; unruled disclosure table",
            {**NO, "year": 2021, "profile": "zero", "statement": "stated", "cell_traits": ()},
            {"glyphs": "word", "font": "hei", "ruled_disclosure": False}),
    Fixture("f21-labels", 208, "社会组织, 行政事业性费, a typo, half-width brackets; filled-rectangle rules",
            {**NO, "year": 2024, "profile": "small",
             "label_variants": ("shehui_zuzhi", "shiyexing_fei", "typo", "halfwidth_brackets")},
            {"glyphs": "wps", "font": "song", "rule_fill": True}),
    Fixture("f21-bigtype", 209, "16pt body, 12pt table: long labels wrap over three lines",
            {**NO, "year": 2022, "profile": "medium", "cell_traits": ("blank_cells",)},
            {"glyphs": "word", "font": "song", "body_size": 16.0, "table_size": 12.0, "narrow_columns": True}),
    Fixture("f21-legacy-other", 210, "2021 format printing the single 2019-style （六）其他处理 row",
            {**NO, "year": 2021, "profile": "medium", "legacy_other_handling": True},
            {"glyphs": "wps", "font": "song"}),
    Fixture("f21-inject-total-column", 211, "injected: a row total off by one",
            {"year": 2023, "profile": "medium", "inject": "total_column"}, {"glyphs": "word"}),
    Fixture("f21-inject-total-row", 212, "injected: an outcome cell off by one, （七）总计 unchanged",
            {"year": 2022, "profile": "small", "inject": "total_row"}, {"glyphs": "wps"}),
    Fixture("f21-inject-prose", 213, "injected: prose states another number of applications",
            {"year": 2024, "profile": "medium", "inject": "prose", "statement": "stated"}, {"glyphs": "wps"}),
    Fixture("f21-inject-balance", 214, "injected: 结转下年度 off by one",
            {"year": 2021, "profile": "small", "inject": "balance"}, {"glyphs": "word"}),
    Fixture("f21-inject-review", 215, "injected: a review/litigation total wrong",
            {"year": 2023, "profile": "medium", "inject": "review_totals"}, {"glyphs": "word"}),
)

# Seeds re-typeset: Word-like for the Word exports, WPS for the one whose text came glyph by glyph.
SEED_STYLES = {
    "seed-000-liannan-2020": {"glyphs": "word", "font": "song", "narrow_columns": True},
    "seed-001-wuhua-2020": {"glyphs": "word", "font": "song", "narrow_columns": False},
    "seed-002-lianzhou-2023": {"glyphs": "word", "font": "song", "narrow_columns": True,
                               "break_applications_at": "other_handling.no_correction"},
    "seed-003-liansheng-2020": {"glyphs": "wps", "font": "song", "narrow_columns": True},
    "seed-004-bureau-2020": {"glyphs": "word", "font": "song", "narrow_columns": True},
}


# A few reports per layout engine, chosen so that each engine shows in both formats the traits
# typeset.py's fixtures show (bar stream_order_shuffled, which only a hand-made content stream has)
# and the failure classes the engines add. Committed: ``--fixtures`` includes those of
# FIXTURE_ENGINES (both engines, so it needs them installed) or of ``--fixture-engines``.
FIXTURE_ENGINES: tuple[str, ...] = TRAINING_ENGINES
ENGINE_FIXTURES = {
    "libreoffice": (
        Fixture("e19-lo-review-split", 401, "LibreOffice: review table broken after its first header row; "
                "large numbers, unit in the cell; one table per 第二十条 item; stacked headers",
                {**NO, "year": 2020, "profile": "large", "amount_unit": "cell",
                 "cell_traits": ("annotated_cell", "plus_sign"),
                 "label_variants": ("typo", "shehui_zuzhi", "halfwidth_brackets")},
                {"force": "review_split", "disclosure_blocks": True, "repeat_header": True, "font": "song",
                 "body_face": "AR PL UMing CN", "table_face": "AR PL UMing CN", "narrow_columns": True,
                 "cell_pad": 5.4, "table_size": 10.5}),
        Fixture("e19-lo-zero-blank", 402, "LibreOffice: every table zero and printed blank; unruled disclosure; "
                "two-line title; running header; 黑体; 1、 numbering",
                {**NO, "year": 2019, "profile": "zero", "blank_zero_tables": True, "statement": "stated",
                 "amount_unit": "header", "label_variants": ("dun_numbering", "shiyexing_fei")},
                {"ruled_disclosure": False, "title_break": True, "running_header": True, "font": "hei",
                 "body_face": "WenQuanYi Zen Hei", "table_face": "Noto Sans CJK SC", "force": None}),
        Fixture("e19-lo-note-lead", 405, "LibreOffice: unit in a note; lead-in sentences; blank and \"/\" cells; "
                "16pt 仿宋 on 公文 margins",
                {**NO, "year": 2020, "profile": "medium", "amount_unit": "note", "lead_in": True,
                 "cell_traits": ("blank_cells", "slash_cells")},
                {"font": "fangsong", "body_size": 16.0, "line_pitch": 28.0, "margin_top": 104.9,
                 "margin_bottom": 99.2, "margin_left": 79.4, "margin_right": 73.7, "force": None}),
        Fixture("e21-lo-row-split", 408, "LibreOffice: a row of the applications table broken by the page; "
                "fees in 万元 in the cell; header repeated; 22（其中修订16件）; 黑体",
                {**NO, "year": 2022, "profile": "large", "amount_unit": "cell", "cell_traits": ("annotated_cell",),
                 "label_variants": ("shehui_zuzhi", "halfwidth_brackets")},
                {"force": "row_split", "repeat_header": True, "rows_can_split": True, "narrow_columns": True,
                 "font": "hei"}),
        Fixture("e21-lo-blocks", 404, "LibreOffice: one table per 第二十条 item; review table all zero and "
                "blank; a lead-in; unit in a note; 仿宋; heavy frame; injected total",
                {"year": 2023, "profile": "small", "inject": "total_row", "lead_in": True, "blank_zero_tables": True,
                 "amount_unit": "note", "note": True, "cell_traits": ("blank_cells",), "label_variants": ("typo",)},
                {"disclosure_blocks": True, "font": "fangsong", "outer_rule_width": 2.25, "title_break": True,
                 "force": None}),
        Fixture("e21-lo-legacy-zero", 406, "LibreOffice: legacy （六）其他处理 row; everything zero, \"/\" in the "
                "rules row, the other tables blank; the blank review table broken after its first header row",
                {**NO, "year": 2021, "profile": "zero", "legacy_other_handling": True, "blank_zero_tables": True,
                 "cell_traits": ("slash_cells",), "statement": "stated",
                 "label_variants": ("dun_numbering", "shiyexing_fei")},
                {"font": "song", "force": "review_split"}),
    ),
    "chromium": (
        Fixture("e19-web-row-split", 501, "Chromium: a row broken by the page, and 三、本年度办理结果; thead "
                "repeated; unit in the cell; large numbers; Noto Serif printed as Type 3 glyphs",
                {**NO, "year": 2020, "profile": "large", "amount_unit": "cell",
                 "cell_traits": ("plus_sign", "annotated_cell"), "label_variants": ("shehui_zuzhi", "halfwidth_brackets")},
                {"force": "row_split", "repeat_header": True, "rows_can_split": True, "narrow_columns": True,
                 "font": "song", "body_face": "Noto Serif CJK SC", "outer_rule_width": 1.0, "body_size": 14.0,
                 "line_pitch": 24.5}),
        Fixture("e19-web-unruled", 502, "Chromium: unruled disclosure; blank and \"/\" cells; a lead-in; 黑体 "
                "(TrueType); two-line title; running header",
                {**NO, "year": 2019, "profile": "small", "cell_traits": ("blank_cells", "slash_cells"), "lead_in": True,
                 "amount_unit": "header", "label_variants": ("dun_numbering", "typo", "shiyexing_fei")},
                {"ruled_disclosure": False, "font": "hei", "body_face": "WenQuanYi Zen Hei",
                 "table_face": "WenQuanYi Zen Hei", "heading_face": "WenQuanYi Zen Hei",
                 "title_face": "WenQuanYi Zen Hei", "title_break": True, "running_header": True,
                 "outer_rule_width": 0.5, "rule_width": 0.5, "force": None}),
        Fixture("e19-web-zero-note", 505, "Chromium: everything zero and printed blank; the blank review "
                "table broken after its first header row; unit in a note; stacked headers",
                {**NO, "year": 2020, "profile": "zero", "blank_zero_tables": True, "amount_unit": "note",
                 "statement": "stated"},
                {"cell_pad": 5.4, "table_size": 10.5, "narrow_columns": True, "outer_rule_width": 1.0,
                 "force": "review_split"}),
        Fixture("e21-web-review-split", 503, "Chromium: review table broken after its first header row; "
                "one table per item; units in a note; large numbers (TrueType UMing)",
                {**NO, "year": 2021, "profile": "large", "amount_unit": "note", "note": True,
                 "cell_traits": ("slash_cells", "annotated_cell"), "label_variants": ("typo", "shiyexing_fei")},
                {"force": "review_split", "disclosure_blocks": True, "ruled_disclosure": True, "font": "song",
                 "body_face": "AR PL UMing CN", "table_face": "AR PL UMing CN", "title_face": "AR PL UMing CN",
                 "heading_face": "WenQuanYi Zen Hei", "outer_rule_width": 0.75, "rule_width": 0.5}),
        Fixture("e21-web-zero-blank", 504, "Chromium: every table zero and printed blank; legacy （六）其他处理; "
                "黑体; thin rules; 社会组织, half-width brackets",
                {**NO, "year": 2024, "profile": "zero", "blank_zero_tables": True, "statement": "stated",
                 "legacy_other_handling": True, "label_variants": ("shehui_zuzhi", "halfwidth_brackets")},
                {"rule_width": 0.25, "outer_rule_width": 0.5, "title_break": True, "font": "hei", "running_header": True,
                 "cell_pad": 5.4, "table_size": 10.5, "narrow_columns": True, "force": None}),
        Fixture("e21-web-cell-lead", 507, "Chromium: fees in 万元 in the cell; a lead-in; blank cells; "
                "unruled disclosure; a row may break",
                {**NO, "year": 2023, "profile": "medium", "amount_unit": "cell", "lead_in": True,
                 "cell_traits": ("blank_cells",), "label_variants": ("dun_numbering",)},
                {"rows_can_split": True, "outer_rule_width": 1.0, "ruled_disclosure": False, "force": None}),
    ),
}
# Reports of the engines kept for measuring (layout.ENGINES beyond TRAINING_ENGINES), each showing a
# failure they showed and the extractor now reads. Apart in fixtures/unseen/, as the scans are in
# fixtures/scanned/: nothing that trains or checks the training set reads them.
UNSEEN_FIXTURES_DIR = FIXTURES_DIR / "unseen"
UNSEEN_FIXTURES = {
    "wkhtmltopdf": (
        Fixture("e21-wk-cut-row", 730004, "wkhtmltopdf: the applications table cut by the page inside "
                "7.属于行政执法案卷, whose line of values went on to the next page with the rest of its "
                "label, under rulings drawn past the cut and clipped; no page numbers; unit in a note",
                {"fmt": "2021", "amount_unit": "note", "lead_in": True, "blank_zero_tables": False}),
        Fixture("e21-wk-review-cut", 730010, "wkhtmltopdf: the review table cut under its header, its row "
                "of values opening the next page, blank cells left above the cut; an injected total",
                {"fmt": "2021", **content_options(730010)}),
        Fixture("e21-wk-review-header", 730000, "wkhtmltopdf: the review table's header cut inside its "
                "leaves (其他 | 尚未 above the cut, 结果 | 审结 below, 总计 moved whole to the next page); the "
                "values of （二）部分公开 moved to the next page; blank cells for zeros",
                {"fmt": "2021", **content_options(730000)}),
    ),
    "weasyprint": (
        Fixture("e21-wp-header-cut", 730004, "WeasyPrint: the applications header cut by the page between "
                "its rows, 自然人 and 总计 printed at the foot of page 1 and the columns under them open "
                "on page 2 with 商业企业 … 其他; unit in a note",
                {"fmt": "2021", "amount_unit": "note", "lead_in": True, "blank_zero_tables": False}),
        Fixture("e21-wp-group-cut", 750016, "WeasyPrint: the applications table cut inside 1.申请人无正当理由"
                "逾期不补正…, its values and （ of （六）其他处理 on page 4, the rest of the label and blank cells "
                "under the repeated header on page 5",
                {"fmt": "2021", **content_options(750016)}),
    ),
}


def engine_fixture_reports(engines=TRAINING_ENGINES, fixtures=ENGINE_FIXTURES
                           ) -> list[tuple[ReportContent, EngineStyle]]:
    """The fixtures of the layout engines ``engines``: content and engine style of each."""
    reports = []
    for engine in engines:
        for f in fixtures.get(engine, ()):
            content = make_content(f.seed, name=f.name, **f.content)
            content.truth_notes = f.why
            reports.append((content, engine_style_for(style_seed(f.seed), engine, **f.style)))
    return reports


def fixture_reports(engines=None) -> list[tuple[ReportContent, Style | EngineStyle]]:
    # Tables break where the page is full (the split fixtures' seeds were chosen so that the break
    # cuts a group label); a forced break row is used only where the real report shows one.
    natural = {"break_applications_at": None}
    reports = []
    for f in FIXTURES:
        content = make_content(f.seed, name=f.name, **f.content)
        content.truth_notes = f.why
        reports.append((content, style_for(style_seed(f.seed), **{**natural, **f.style})))
    for i, content in enumerate(seed_contents()):
        reports.append((content, style_for(style_seed(i), **{**natural, **SEED_STYLES[content.name]})))
    return reports + engine_fixture_reports(FIXTURE_ENGINES if engines is None else engines)


# --- CLI ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.generate", description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", type=Path, help="output directory")
    parser.add_argument("--count", type=int, default=1, help="how many reports")
    parser.add_argument("--seed", type=int, default=0, help="first seed; report i uses seed S+i")
    parser.add_argument("--format", choices=("2019", "2021"), help="only this table format")
    parser.add_argument("--fixtures", action="store_true", help="regenerate the committed set into fixtures/")
    parser.add_argument("--defect", choices=DEFECTS,
                        help="a fault of the report itself in every report (and no injected inconsistency)")
    parser.add_argument("--no-issuer", action="store_true", help="reports that never name their issuer")
    parser.add_argument("--issuer", help="every report of this issuer (with --year: two reports of one "
                                         "issuer and year fail batch.duplicate)")
    parser.add_argument("--year", type=int, help="every report on this year")
    parser.add_argument("--scanned", action="store_true",
                        help="also write NAME-scan.pdf and its truth: the report printed, stamped and scanned")
    parser.add_argument("--engine", choices=("typeset",) + ENGINES, default="typeset",
                        help="who lays the reports out: typeset.py (default), LibreOffice from a Word "
                             "document, or headless Chromium from a web page")
    parser.add_argument("--fixture-engines", nargs="*", choices=TRAINING_ENGINES, default=None, metavar="ENGINE",
                        help=f"with --fixtures: also the few reports of these engines (default: "
                             f"{' '.join(FIXTURE_ENGINES) or 'none'})")
    args = parser.parse_args(argv)
    if args.engine != "typeset":
        from .engines import missing

        reason = missing(args.engine)
        if reason:
            parser.error(reason)
    if args.fixtures:
        out, reports = args.out or FIXTURES_DIR, fixture_reports(args.fixture_engines)
    elif args.out is None:
        parser.error("-o DIR is required unless --fixtures")
    else:
        out = args.out
        options = {}
        if args.defect:
            options.update(defect=args.defect, inject=None)
        if args.no_issuer or args.issuer:
            options["issuer"] = None if args.no_issuer else args.issuer
        if args.year:
            options["year"] = args.year
        reports = (report_for(s, args.format, args.engine, **options) for s in range(args.seed, args.seed + args.count))
    out.mkdir(parents=True, exist_ok=True)
    from tqdm import tqdm

    if args.fixtures:
        reports = list(reports)
    total = len(reports) if args.fixtures else args.count
    names = set()
    for content, style in tqdm(reports, total=total, unit="report"):
        write_report(out, content, style)
        if args.scanned:
            from .scan import write_scanned

            write_scanned(out, content.name, content.seed)
        names.add(content.name)
    if args.fixtures:      # a fixture dropped from the table leaves no stale files behind
        for path in out.iterdir():
            if path.name.endswith((".pdf", ".truth.json", ".blocks.jsonl")) and \
                    path.name.split(".")[0] not in names:
                path.unlink()
        write_unseen_fixtures(out / UNSEEN_FIXTURES_DIR.name)


def write_unseen_fixtures(out: Path = UNSEEN_FIXTURES_DIR, engines=tuple(UNSEEN_FIXTURES)) -> None:
    """The committed reports of the engines kept for measuring (of ``engines``); one whose engine
    is not installed is left as it is."""
    from .engines import missing

    out.mkdir(parents=True, exist_ok=True)
    for content, style in engine_fixture_reports(engines, UNSEEN_FIXTURES):
        reason = missing(style.engine)
        if reason:
            print(f"{content.name} not made: {reason}")
            continue
        write_report(out, content, style)


if __name__ == "__main__":
    main()
