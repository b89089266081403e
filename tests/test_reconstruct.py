"""Reconstruct on the committed fixtures: ingest → classify → reconstruct, cell by cell against
the truth the generator wrote beside each PDF."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

import pytest

from conftest import FIXTURES
from extractor.errors import ModelError
from extractor.spec.templates import get_value, template_cells
from extractor.spec.values import parse_value
from extractor.stages.classify import classify
from extractor.stages.ingest import ingest
from extractor.stages.reconstruct import reconstruct
from extractor.types import TableReading

NAMES = sorted(p.stem for p in FIXTURES.glob("*.pdf"))


@cache
def truth(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.truth.json").read_text("utf-8"))


@cache
def read(name: str):
    doc = ingest(FIXTURES / f"{name}.pdf")
    try:
        labelled = classify(doc.pages)
    except ModelError as e:   # until the layout model is trained and shipped in models/
        pytest.skip(str(e))
    return doc, labelled, reconstruct(doc.pages, labelled)


def expected_cells(t: dict) -> list[tuple]:
    """Every template cell of the truth's format, plus the legacy （六）其他处理 row where printed."""
    keys = list(template_cells(t["report"]["format"]))
    keys += sorted({(c["table"], c["row"], c["column"]) for c in t["cells"]} - set(keys))
    return keys


def wrong_cells(t: dict, reading: TableReading) -> list[str]:
    where = {(c["table"], c["row"], c["column"]): c for c in t["cells"]}
    got = {(c.table, c.row, c.column): c for c in reading.cells}
    wrong = []
    for key in expected_cells(t):
        want, have = get_value(t["tables"], *key), get_value(reading.tables, *key)
        cell, printed = got.get(key), where.get(key)
        if want != have or type(want) is not type(have):
            wrong.append(f"{key}: {have!r}, truth {want!r}")
        elif printed is None:
            if cell is not None:
                wrong.append(f"{key}: read {cell.text!r} where the report prints no cell")
        elif cell is None:
            wrong.append(f"{key}: not found, truth {printed['text']!r}")
        elif "".join(cell.text.split()) != "".join(printed["text"].split()):
            wrong.append(f"{key}: text {cell.text!r}, printed {printed['text']!r}")
        else:
            x0, y0, x1, y1 = printed["bbox"]
            cx, cy = (cell.bbox[0] + cell.bbox[2]) / 2, (cell.bbox[1] + cell.bbox[3]) / 2
            if cell.page != printed["page"] or not (x0 <= cx <= x1 and y0 <= cy <= y1):
                wrong.append(f"{key}: read on page {cell.page} at {cell.bbox}, truth page "
                             f"{printed['page']} in {printed['bbox']}")
    return wrong


@pytest.mark.parametrize("name", NAMES)
def test_every_cell(name):
    t = truth(name)
    _, _, reading = read(name)
    assert reading.format == t["report"]["format"]
    assert reading.units == t["units"]
    assert wrong_cells(t, reading) == []


@pytest.mark.parametrize("name", NAMES)
def test_clean_reading_is_confident(name):
    """A fixture printed as the template prescribes is read with no doubt left: cells.confident
    would otherwise fail on a report that has nothing wrong."""
    if "cells.confident" in truth(name)["expected_fail"]:
        pytest.skip("this fixture is meant to leave doubt")
    _, _, reading = read(name)
    assert [(c.id, c.text, c.confidence) for c in reading.cells if c.confidence < 0.9] == []


def _misfile(name: str, pick) -> tuple[TableReading, tuple]:
    """Read the fixture after the classifier's label of one value block is turned to prose."""
    doc, labelled, _ = read(name)
    t = truth(name)
    cell = next(c for c in t["cells"] if pick(c))
    x0, y0, x1, y1 = cell["bbox"]

    def inside(lb):
        b = lb.block
        cx, cy = (b.bbox[0] + b.bbox[2]) / 2, (b.bbox[1] + b.bbox[3]) / 2
        return b.page == cell["page"] and x0 <= cx <= x1 and y0 <= cy <= y1

    relabelled = [replace(lb, label="prose") if inside(lb) else lb for lb in labelled]
    assert relabelled != labelled
    return reconstruct(doc.pages, relabelled), (cell["table"], cell["row"], cell["column"], cell["value"])


def _with_trait(trait: str, table: str | None = None) -> str:
    """The first clean fixture with ``trait`` (and a number printed in ``table``: not one printed blank)."""
    return next(n for n in NAMES if trait in truth(n)["traits"] and not truth(n)["expected_fail"] and (
        table is None or any(c["table"] == table and c["value"] not in (None, 0) and c["text"].isdigit()
                             for c in truth(n)["cells"])))


@pytest.mark.parametrize("trait, table", [("word_runs", "applications"),
                                          ("unruled_disclosure", "active_disclosure")])
def test_misfiled_cell_is_read_but_unsure(trait, table):
    """A number the classifier did not call a table cell keeps its value and loses confidence,
    in a ruled table and in one rebuilt from alignment."""
    name = _with_trait(trait, table)
    reading, (table, row, column, value) = _misfile(
        name, lambda c: c["table"] == table and c["value"] not in (None, 0) and c["text"].isdigit())
    cell = next(c for c in reading.cells if (c.table, c.row, c.column) == (table, row, column))
    assert cell.value == value
    assert cell.confidence < 0.9


def test_continuation_without_repeated_header_and_cut_group_label():
    """The applications table broken across pages: rows on the next page keep their columns and
    their group, even where the group's merged label was cut by the break."""
    names = [n for n in NAMES if {"table_split", "group_label_cut"} <= set(truth(n)["traits"])
             and "repeated_header" not in truth(n)["traits"]]
    assert names
    for name in names:
        assert wrong_cells(truth(name), read(name)[2]) == []


@pytest.mark.parametrize("text, amount, value, confident", [
    ("0", False, 0, True), ("+453", False, 453, True), ("-207", False, -207, True),
    ("－207", False, -207, True), ("73674121.03", True, 73674121.03, True),
    ("51447.2 万元", True, 51447.2, True), ("0", True, 0.0, True), ("", False, None, True),
    ("/", False, None, True), ("22（其中修订16件）", False, 22, True), ("3 5", False, None, False),
    ("约20", False, None, False), ("- 327", False, -327, True), ("2089. 5906", True, 2089.5906, True),
])
def test_values(text, amount, value, confident):
    parsed = parse_value(text, amount)
    assert parsed.value == value and type(parsed.value) is type(value)
    assert (parsed.confidence >= 0.9) == confident


def test_page_frame_is_not_a_table():
    """A box drawn round every page (some reports frame their pages) holds no table: the tables
    inside it, ruled or not, read as before."""
    import pymupdf

    name = _with_trait("unruled_disclosure")
    pdf = pymupdf.open(FIXTURES / f"{name}.pdf")
    for page in pdf:
        page.draw_rect(pymupdf.Rect(30, 30, page.rect.width - 30, page.rect.height - 30), width=1)
    doc = ingest(pdf.tobytes())
    try:
        labelled = classify(doc.pages)
    except ModelError as e:
        pytest.skip(str(e))
    reading = reconstruct(doc.pages, labelled)
    assert reading.format == truth(name)["report"]["format"]
    assert wrong_cells(truth(name), reading) == []


@pytest.mark.ocr
def test_a_blank_of_an_unruled_table_on_a_scan_is_unsure():
    """Without rulings a blank cell is only a column with no text in the row. In a text layer that
    is sure enough; on a scan faint ink may have read as nothing, so the blank is left unsure."""
    import numpy as np
    import pymupdf

    from extractor.stages.ocr.reader import DPI, read_image

    name = "f19-split-repeat"       # unruled active-disclosure table with two blank cells, page 2
    pix = pymupdf.open(FIXTURES / f"{name}.pdf")[1].get_pixmap(dpi=DPI, alpha=False)
    page = read_image(np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3), DPI, 1).page
    reading = reconstruct([page], classify([page]))
    blanks = {c.row + "/" + c.column: c.confidence for c in reading.cells
              if c.table == "active_disclosure" and c.value is None}
    assert blanks == {"rules/new_made": 0.8, "rules/new_published": 0.8}
    text_layer = read(name)[2]
    assert {c.confidence for c in text_layer.cells if c.table == "active_disclosure" and c.value is None} == {0.9}


def test_values_under_the_headers_of_a_tight_unruled_table_are_a_row():
    """A table without rulings set as tight as LibreOffice sets it: a "/" or a signed number (-13)
    centred under its header (本年新制作数量, 本年增/减) is a value of the row below, never the
    header's second line, like an unsigned number."""
    from extractor.geometry.grid import alignment_grids
    from extractor.types import Block, LabelledBlock

    def cell(text, x0, y0, x1, y1):
        return LabelledBlock(Block(1, (x0, y0, x1, y1), text, 10.5, False, "SimSun"), "table_cell", 1.0)

    blocks = [cell("信息内容", 120.0, 134.0, 162.0, 144.5), cell("本年新制作数量", 227.0, 134.0, 300.5, 144.5),
              cell("本年增/减", 390.0, 134.0, 437.0, 144.5),
              cell("规章", 90.0, 147.2, 111.0, 157.7), cell("/", 261.0, 147.2, 266.5, 157.7),
              cell("-13", 405.9, 147.2, 421.6, 157.7)]
    grids = alignment_grids(1, blocks)
    for g in grids:
        for c in g.cells:
            c.finish()
    assert [[c.text for c in row] for g in grids for row in g.rows()] == \
        [["信息内容", "本年新制作数量", "本年增/减"], ["规章", "/", "-13"]]


def test_a_header_under_its_tables_caption_is_named_by_its_own_words():
    """Without rulings the caption 第二十条第（八）项, centred over 上一年项目数量, is read as that
    header's first line; the column is still named surely by the header's own words."""
    from extractor.stages.reconstruct import _name_column

    assert _name_column(["第二十条第（八）项上一年项目数量"]) == _name_column(["上一年项目数量"])
    assert _name_column(["第二十条第（八）项上一年项目数量"]).score == 1.0


def test_a_speck_beside_the_review_table_is_no_row_of_it():
    """A mark under none of 表四's columns, standing alone just below its row of values (a speck
    of a scan that OCR read as "." and the classifier called a table cell), is no second row of
    values: without rulings a blank is a column with no text in the row, and each of the 15
    columns was "read twice", blank, and its value made doubtful."""
    from extractor.types import Block, LabelledBlock

    name = "e19-web-unruled"
    doc, labelled, _ = read(name)
    values = [c for c in truth(name)["cells"] if c["table"] == "review_litigation"]
    page = values[-1]["page"]
    x1 = max(c["bbox"][2] for c in values if c["page"] == page)
    y1 = max(c["bbox"][3] for c in values if c["page"] == page)
    speck = LabelledBlock(Block(page, (x1 + 20, y1 + 2, x1 + 22, y1 + 4), ".", 10.5, False, "OCR"), "table_cell", 1.0)
    reading = reconstruct(doc.pages, [*labelled, speck])
    assert reading.problems == []
    assert wrong_cells(truth(name), reading) == []
    assert min(c.confidence for c in reading.cells if c.table == "review_litigation") == 1.0
