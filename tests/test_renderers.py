"""Reports laid out by real engines (LibreOffice from a Word document, headless Chromium from a web
page): their truth is exact. Every template cell is located, and the characters whose centres lie
in its box on its page are exactly its text (none for a blank cell); the rules fail as the content
says; every glyph of the PDF lies in exactly one labelled block; the failure classes asked for are
in the PDF; the same input gives the same bytes; scans of the pages work; a PDF that does not hold
what the renderer printed raises instead of giving a wrong truth.

Each engine's tests are marked (``-m libreoffice``, ``-m chromium``) and skipped where the engine
or the CJK fonts are not installed (README, "Generating more reports").
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache

import pymupdf
import pytest

from extractor.stages.validate import validate
from training.engines import LocateError, missing, render
from training.generate import (
    ENGINE_FIXTURES,
    UNSEEN_FIXTURES,
    UNSEEN_FIXTURES_DIR,
    engine_fixture_reports,
    load_truth,
    main,
    truth_of,
    write_report,
    write_unseen_fixtures,
)
from training.layout import build_document
from training.locate import locate

# One report per engine and format, each with forced placements and failure classes to check.
CASES = {
    ("libreoffice", "2019"): "e19-lo-review-split",      # review split after row 0; blocks; a row split
    ("libreoffice", "2021"): "e21-lo-row-split",         # a row broken by the page; header repeated
    ("chromium", "2019"): "e19-web-row-split",           # a row broken by the page; thead repeated
    ("chromium", "2021"): "e21-web-review-split",        # review split after row 0; blocks; units in a note
}


def _param(engine: str, fmt: str):
    reason = missing(engine)
    return pytest.param(engine, fmt, id=f"{engine}-{fmt}", marks=[
        getattr(pytest.mark, engine), pytest.mark.skipif(reason is not None, reason=reason or "")])


PARAMS = [_param(e, f) for e, f in CASES]
ENGINE_PARAMS = [pytest.param(e, id=e, marks=[getattr(pytest.mark, e),
                                              pytest.mark.skipif(missing(e) is not None, reason=missing(e) or "")])
                 for e in ENGINE_FIXTURES]


@cache
def _report(engine: str, fmt: str):
    name = CASES[(engine, fmt)]
    content, style = next((c, s) for c, s in engine_fixture_reports([engine]) if c.name == name)
    ts = render(content, style)
    return content, style, ts, truth_of(content, style, ts)


def _glyphs(doc: pymupdf.Document) -> dict[int, list[tuple[float, float, str, int]]]:
    out: dict[int, list] = {}
    for page in doc:
        for block in page.get_text("rawdict")["blocks"]:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    for ch in span["chars"]:
                        if ch["c"] != " ":                  # as test_corpus_truth: any other glyph counts
                            x0, y0, x1, y1 = ch["bbox"]
                            out.setdefault(page.number, []).append(
                                ((x0 + x1) / 2, (y0 + y1) / 2, ch["c"], round(ch["origin"][1])))
    return out


@pytest.mark.parametrize("engine,fmt", PARAMS)
def test_every_template_cell_is_located_at_its_text(engine, fmt):
    content, style, ts, truth = _report(engine, fmt)
    assert truth["report"]["format"] == fmt and truth["style"]["engine"] == engine
    assert {(c["table"], c["row"], c["column"]) for c in truth["cells"]} == set(content.cell_text)
    doc = pymupdf.open(stream=ts.pdf, filetype="pdf")
    glyphs = _glyphs(doc)
    for c in truth["cells"]:
        x0, y0, x1, y1 = c["bbox"]
        assert 0 <= x0 < x1 <= doc[c["page"]].rect.width and 0 <= y0 < y1 <= doc[c["page"]].rect.height, c
        # in reading order: by baseline (Type 3 glyph boxes differ in height), then left to right
        inside = sorted((base, x, ch) for x, y, ch, base in glyphs[c["page"]] if x0 < x < x1 and y0 < y < y1)
        assert "".join(ch for *_, ch in inside) == c["text"].replace(" ", ""), c
        part = truth["tables"][c["table"]][c["row"]]
        assert (part if c["column"] is None else part[c["column"]]) == c["value"]
    assert any(c["text"] == "" for c in truth["cells"]) == ("blank_cells" in truth["traits"])


@pytest.mark.parametrize("engine,fmt", PARAMS)
def test_rules_fail_as_the_content_says(engine, fmt, tmp_path):
    content, style, ts, truth = _report(engine, fmt)
    path = tmp_path / "r.truth.json"
    path.write_text(json.dumps(truth, ensure_ascii=False), "utf-8")
    info, tables, cells, sections, expected_fail = load_truth(path)
    assert sorted(c.rule for c in validate(info, tables, cells, sections) if c.status == "fail") == expected_fail
    assert all(s["page"] is not None for s in truth["sections"])


@pytest.mark.parametrize("engine,fmt", PARAMS)
def test_every_glyph_is_in_one_labelled_block(engine, fmt):
    content, style, ts, truth = _report(engine, fmt)
    doc = pymupdf.open(stream=ts.pdf, filetype="pdf")
    by_page: dict[int, list[dict]] = {}
    for b in ts.blocks:
        assert b["label"] in ("heading", "table_cell", "prose", "other")
        by_page.setdefault(b["page"], []).append(b)
    for page, gs in _glyphs(doc).items():
        for x, y, ch, _ in gs:
            holding = [b for b in by_page.get(page, []) if b["bbox"][0] - 0.5 <= x <= b["bbox"][2] + 0.5
                       and b["bbox"][1] - 0.5 <= y <= b["bbox"][3] + 0.5]
            assert len(holding) == 1, (page, ch, x, y, [b["text"] for b in holding])
    headings = [b["text"] for b in ts.blocks if b["label"] == "heading"]
    for s in content.sections:
        assert any(h.startswith(f"{s.number}、") for h in headings), s.number
    cells = "".join(b["text"] for b in ts.blocks if b["label"] == "table_cell")
    assert "申请人情况" in cells and "行政复议" in cells
    assert sum(b["label"] == "other" for b in ts.blocks) >= doc.page_count     # a page number on every page


@pytest.mark.parametrize("engine,fmt", PARAMS)
def test_the_failure_classes_asked_for_are_in_the_pdf(engine, fmt):
    content, style, ts, truth = _report(engine, fmt)
    doc = pymupdf.open(stream=ts.pdf, filetype="pdf")
    review = [c for c in truth["cells"] if c["table"] == "review_litigation"]
    if style.force == "review_split":
        assert "review_split_after_first_header" in truth["traits"]
        first = [b for b in ts.blocks if b["label"] == "table_cell" and b["text"] == "行政复议"]
        assert len(first) == 1                                  # printed once: the header is not repeated
        assert {c["page"] for c in review} == {first[0]["page"] + 1}
        assert first[0]["bbox"][3] > doc[first[0]["page"]].rect.height - style.margin_bottom - 40
    if style.force == "row_split":
        assert "row_split" in truth["traits"]
        # a row label's text printed in two parts, the second on the next page
        apps = next(t for t in build_document(content, style).tables() if t.name == "applications")
        labels = {re.sub(r"\s", "", c.text) for c in apps.cells if c.role == "label" and c.rowspan == 1}
        cells = [b for b in ts.blocks if b["label"] == "table_cell"]
        assert any(b["page"] == a["page"] + 1 and a["text"] + b["text"] in labels for a in cells for b in cells)
    if style.disclosure_blocks:
        assert "disclosure_blocks" in truth["traits"]
        captions = [b for b in ts.blocks if b["text"].startswith("第二十条")]
        assert len(captions) == 5 if fmt == "2019" else 4
    if style.repeat_header and "table_split" in truth["traits"]:
        assert sum(b["text"] == "申请人情况" for b in ts.blocks) >= 2
    if content.notes.get("active_disclosure", "").find("单位") >= 0:
        assert "amount_unit_in_note" in truth["traits"]
        assert any(re.match(r"注：.*单位为万?元", b["text"]) for b in ts.blocks if b["label"] == "other")


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_the_same_report_gives_the_same_bytes(engine):
    fmt = "2021" if engine == "chromium" else "2019"
    content, style, ts, truth = _report(engine, fmt)
    again = render(content, style)
    assert again.pdf == ts.pdf and again.cells == ts.cells and again.blocks == ts.blocks


@pytest.mark.parametrize("engine", [pytest.param(e, id=e, marks=[getattr(pytest.mark, e), pytest.mark.skipif(
    missing(e) is not None, reason=missing(e) or "")]) for e in UNSEEN_FIXTURES])
def test_an_unseen_engine_s_fixture_is_made_again_byte_for_byte(engine, tmp_path):
    # the engines kept for measuring write their files as they please (Qt orders the fonts by a hash
    # seeded per process): their fixtures are made again alike all the same
    write_unseen_fixtures(tmp_path, [engine])
    for f in UNSEEN_FIXTURES[engine]:
        for suffix in (".pdf", ".truth.json", ".blocks.jsonl"):
            assert (tmp_path / f"{f.name}{suffix}").read_bytes() == (UNSEEN_FIXTURES_DIR / f"{f.name}{suffix}").read_bytes()


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_scans_of_their_pages(engine):
    from training.scan import scan_report

    content, style, ts, truth = _report(engine, "2019")
    pdf, scanned = scan_report(ts.pdf, truth, 7, dpi=72, noise=0.0, blur=0.0)
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    assert doc.page_count == pymupdf.open(stream=ts.pdf, filetype="pdf").page_count
    assert not doc[0].get_text().strip() and doc[0].get_images()
    assert len(scanned["scan"]["pages"]) == doc.page_count and scanned["cells"] == truth["cells"]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_a_pdf_that_does_not_hold_what_was_printed_raises(engine):
    content, style, ts, truth = _report(engine, "2021")
    doc = build_document(content, style)
    assert len(locate(ts.pdf, doc, style).items) >= len(content.cell_text)     # as printed: found
    table = doc.tables()[-1]
    value = next(i for i, c in enumerate(table.cells) if c.key is not None)
    table.cells[value] = replace(table.cells[value], text="98765")
    with pytest.raises(LocateError):
        locate(ts.pdf, doc, style)


@pytest.mark.chromium
@pytest.mark.skipif(missing("chromium") is not None, reason=missing("chromium") or "")
def test_generate_cli_with_an_engine(tmp_path):
    main(["-o", str(tmp_path), "--count", "1", "--seed", "3", "--engine", "chromium"])
    truth = next(tmp_path.glob("*.truth.json"))
    data = json.loads(truth.read_text("utf-8"))
    assert truth.name.endswith("-chromium.truth.json") and data["style"]["engine"] == "chromium"
    assert "engine_chromium" in data["traits"]
    assert (tmp_path / truth.name.replace(".truth.json", ".blocks.jsonl")).exists()


def test_default_engine_is_typeset(tmp_path):
    """No engine asked for: typeset.py, as before (its determinism is test_corpus_truth's)."""
    from training.generate import report_for

    content, style = report_for(3)
    assert type(style).__name__ == "Style" and content.name.endswith(("-word", "-wps"))
    write_report(tmp_path, content, style)
    assert json.loads((tmp_path / f"{content.name}.truth.json").read_text("utf-8"))["style"].get("engine") is None


@pytest.mark.chromium
@pytest.mark.skipif(missing("chromium") is not None, reason=missing("chromium") or "")
def test_a_page_number_under_a_row_the_page_broke_is_no_cells_content():
    """Chromium breaks 表三's （六）1. row at the foot of page 3 and leaves its cells open over the
    page number (第 3 页): every cell is read right, none with the page number in it."""
    import sys
    from pathlib import Path

    from extractor.pipeline import extract
    from training.generate import report_for

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from scoring import score

    content, style = report_for(400002, "2021", "chromium")
    ts = render(content, style)
    record = extract(ts.pdf)
    assert score(record, truth_of(content, style, ts)).wrong == []
    assert not any("页" in c["text"] for c in record["cells"])
