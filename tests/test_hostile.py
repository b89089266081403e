"""Hostile and damaged input (issue 17): every defect found, each with its test.

Bad text from the PDF library, limits that name themselves, memory and time bounded by the worker
process, bad input reported as bad input (never "internal error"), model files checked before use,
damage that fails ``source.intact``, and ``batch --resume`` that does not pay for a hopeless file
twice. The service's share is in test_service.py, the fuzz set in test_fuzz.py.
"""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pymupdf
import pytest
import skops.io as sio

import extractor.stages.classify as cl
import extractor.stages.ingest as ingest_stage
from benchmarks.fuzz import hostile
from extractor.apps import workers
from extractor.apps.batch import run_batch
from extractor.errors import InputError, LimitExceeded, ModelError
from extractor.limits import Limits
from extractor.pipeline import extract, read
from extractor.stages.classify import load_model
from extractor.stages.ingest import ingest
from extractor.types import LABELS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = FIXTURES / "seed-002-lianzhou-2023.pdf"
CLI = [sys.executable, "-m", "extractor.apps.command"]


def stray_surrogate(source: Path = GOOD, page: int = 1) -> bytes:
    """The issue's case: a byte that is not UTF-8 inside a keyword of a content stream, which MuPDF
    quotes in its warning (``unknown keyword: '574\\udcae60'``)."""
    with pymupdf.open(source) as doc:
        xref = doc[page].get_contents()[0]
        doc.update_stream(xref, doc.xref_stream(xref) + b" 574\xae60 ", compress=False)
        return doc.tobytes()


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    return pickle.dumps(load_model(), protocol=pickle.HIGHEST_PROTOCOL)


# --- text from the PDF library ----------------------------------------------------------------------

def test_a_surrogate_in_a_mupdf_warning_is_made_safe():
    record = extract(stray_surrogate(), "stray.pdf")
    assert "第 2 页：内容损坏（MuPDF 提示：syntax error: unknown keyword: '574\ufffd60'）" in record["problems"]
    json.dumps(record, ensure_ascii=False).encode("utf-8")   # the record is UTF-8 JSON
    intact = next(c for c in record["checks"] if c["rule"] == "source.intact")
    assert intact["status"] == "fail"
    assert intact["detail"] == ("the content of page 2 is damaged (MuPDF reported errors, or bytes were "
                                "zeroed): what is read there, and on the other pages of the damaged file, may "
                                "differ from what was printed")
    ids = {c["page"]: [] for c in record["cells"]}
    for c in record["cells"]:
        ids[c["page"]].append(c["table"] + "/" + c["row"] + ("/" + c["column"] if c["column"] else ""))
    assert intact["cells"] == [cid for page in ids.values() for cid in page]
    assert intact["findings"] == [
        {"message": "第 2 页内容损坏（MuPDF 读取时报错，或有字节被清零），该页读到的数值可能与原件不同，请核对",
         "cells": ids[2], "pages": [2]},
        {"message": "文件其他部分已损坏，其余各页读到的数值也可能与原件不同，请核对",
         "cells": ids[3] + ids[4], "pages": [3, 4]}]


def test_a_glyph_mapped_to_a_surrogate_reads_as_unreadable():
    case = hostile.make("cid_garbage", 0)
    doc = ingest(case.data)
    text = "".join(b.text for p in doc.pages for b in p.blocks)
    assert not any("\ud800" <= c <= "\udfff" for c in text)


def test_extract_reads_every_file_whatever_the_others_do(tmp_path):
    """A surrogate, a report that hangs the reader, a missing file and a file the record cannot be
    written for, between good reports: each costs its own line, none stops the others."""
    stray = tmp_path / "stray.pdf"
    stray.write_bytes(stray_surrogate())
    hang = tmp_path / "hang.pdf"
    hang.write_bytes(hostile.nested_forms(random.Random(0), draws=False))
    odd = tmp_path / "o\udcffdd.pdf"   # a file name that is not UTF-8
    odd.write_bytes(GOOD.read_bytes())
    out = tmp_path / "out"
    run = subprocess.run([*CLI, "extract", str(stray), str(hang), str(tmp_path / "absent.pdf"), str(odd),
                          str(GOOD), "-o", str(out), "--timeout", "3", "--review"],
                         capture_output=True, text=True, errors="strict")
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines == [
        f"checks failed: source.intact  {stray} → {out / 'stray.json'}",
        f"error  {hang}: timed out after 3 s (the worker was stopped); nianbao reads at most 3 s per report "
        "(--timeout, NIANBAO_TIMEOUT)",
        f"error  {tmp_path / 'absent.pdf'}: cannot read file: No such file or directory",
        f"ok (2021 format, 200 cells)  {tmp_path / 'o�dd.pdf'} → {out / 'o�dd.json'}",
        f"ok (2021 format, 200 cells)  {GOOD} → {out / (GOOD.stem + '.json')}",
        f"findings: {out / 'findings.xlsx'}, review pages: {out / 'review' / 'index.html'}",
    ]
    record = json.loads((out / "o\udcffdd.json").read_text("utf-8"))
    assert record["source"]["file"] == str(tmp_path / "o\ufffddd.pdf")


# --- limits -----------------------------------------------------------------------------------------

LIMITED = {   # case → (limit, its exact refusal)
    "blank_pages": ("max_pages", "the PDF has 201 pages; nianbao reads at most 200 pages (--max-pages, "
                                 "NIANBAO_MAX_PAGES)"),
    "many_drawings": ("max_page_drawings", "page 1 has more than 50000 drawing operations; nianbao reads at "
                                           "most 50000 drawing operations per page (--max-page-drawings, "
                                           "NIANBAO_MAX_PAGE_DRAWINGS)"),
    "many_text_runs": ("max_page_chars", "page 1 has more than 20000 characters; nianbao reads at most 20000 "
                                         "characters per page (--max-page-chars, NIANBAO_MAX_PAGE_CHARS)"),
    "huge_image": ("max_image_mp", "page 1 has a 20000 × 20000 px image (400 megapixels); nianbao reads at "
                                   "most 50 megapixels per image (--max-image-mp, NIANBAO_MAX_IMAGE_MP)"),
}


@pytest.mark.parametrize("kind", sorted(LIMITED))
def test_each_refusal_names_its_limit(kind):
    case = hostile.make(kind, 0, **hostile.SMALL[kind])
    with pytest.raises(LimitExceeded) as refused:
        extract(case.data)
    assert (refused.value.limit, str(refused.value)) == LIMITED[kind]


def _counted(page: pymupdf.Page) -> tuple[int, int]:
    """The drawing operations and characters the counting device finds on the page, no limit set."""
    cookie = pymupdf.mupdf.FzCookie()
    tally = ingest_stage._Tally(cookie, Limits(max_page_drawings=0, max_page_chars=0, max_image_mp=0))
    pymupdf.mupdf.fz_run_page(page.this, tally, pymupdf.mupdf.FzMatrix(), cookie)
    return tally.drawings, tally.chars


def _bounds(page: pymupdf.Page, limits: Limits | None = None) -> tuple[int, int] | None:
    """What ingest bounds the page's drawing operations and characters by (within ``limits``, the
    tighter bound where the first is beyond them), None where it cannot."""
    if not ingest_stage.small_contents(page):
        return None
    return ingest_stage.content_bounds(page, page.read_contents(), limits or Limits())


def test_a_page_bounded_by_its_bytes_draws_no_more_than_they_allow():
    """The pages the counting device is spared (their content's bytes bound what they draw) are
    counted here: none draws more than its bound, and every committed report's page is spared,
    those drawn with Chromium's Type 3 fonts among them."""
    bounded = unbounded = within = tightened = 0
    for path in sorted(FIXTURES.glob("*.pdf")):
        with pymupdf.open(path) as doc:
            for page in doc:
                bounds = _bounds(page)
                if bounds is None:
                    unbounded += 1
                    continue
                bounded += 1
                tight = _bounds(page, TIGHT)   # the hex strings' own bytes, wherever a bound is beyond a limit
                drawings, chars = _counted(page)
                assert drawings <= tight[0] <= bounds[0] and chars <= tight[1] <= bounds[1], (path.name, page.number)
                within += ingest_stage._within(bounds, Limits())
                tightened += tight != bounds
    assert (bounded, unbounded, within, tightened) == (186, 0, 186, 153)


TIGHT = Limits(max_page_drawings=1, max_page_chars=1)


def test_a_hostile_page_bounded_by_its_bytes_draws_no_more_than_they_allow():
    bounded = 0
    for case in hostile.one_of_each():
        try:
            doc = pymupdf.open(stream=case.data, filetype="pdf")
            pages = list(doc.pages(0, min(doc.page_count, 3)))
        except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):
            continue   # refused as bad input before a page is read
        for page in pages:
            try:
                bounds = _bounds(page, TIGHT)
                counted = _counted(page) if bounds is not None else None
            except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):
                continue
            if bounds is not None:
                bounded += 1
                assert counted[0] <= bounds[0] and counted[1] <= bounds[1], (case.kind, page.number)
    assert bounded > 20


@pytest.mark.parametrize("content, resources", [
    (b"q /X Do Q", "form"),                                   # a form's operators are elsewhere
    (b"BT /F1 12 Tf 6 Tr 72 700 Td (clipped) Tj ET", "font"),  # filled, stroked and clipped
    (b"/P cs /P scn 0 0 595 842 re f", "pattern"),             # a tile drawn over and over
    (b"BT /F1 12 Tf 72 700 Td (x) Tj ET", "guessed type3"),    # no subtype: MuPDF guesses Type 3
    (b"q /X\x0bY Do Q", "vertical tab"),                       # a name with a vertical tab in it
])
def test_what_the_bytes_cannot_bound_is_counted(content, resources):
    doc, page_xref = hostile._single_page(content)
    inner = doc.get_new_xref()
    doc.update_object(inner, "<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /PatternType 1 /PaintType 1 "
                             "/TilingType 1 /XStep 1 /YStep 1 /Resources << >> >>")
    doc.update_stream(inner, b"0 0 1 1 re f")
    doc.xref_set_key(page_xref, "Resources", {
        "form": f"<< /XObject << /X {inner} 0 R >> >>",
        "font": "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
        "pattern": f"<< /Pattern << /P {inner} 0 R >> >>",
        "guessed type3": f"<< /Font << /F1 << /Type /Font /FontBBox [0 0 1 1] /FontMatrix [1 0 0 1 0 0] "
                         f"/CharProcs << /x {inner} 0 R >> /Encoding << /Differences [120 /x] >> /FirstChar 120 "
                         f"/LastChar 120 /Widths [1] >> >> >>",
        "vertical tab": f"<< /XObject << /X#0BY {inner} 0 R >> >>"}[resources])
    page = doc[0]
    bounds = _bounds(page)
    if resources == "font":   # the text itself is bounded, three times over
        assert bounds is not None and bounds[1] == 3 * len(page.read_contents()) and _counted(page)[1] == 3 * len("clipped")
    else:
        assert bounds is None
    if resources == "vertical tab":   # MuPDF ran the form: the name is the vertical tab's too
        assert _counted(page)[0] == 1


@pytest.mark.parametrize("content", [
    b"BT /F1 12 Tf 72 700 Td <414243> Tj ET",
    b"BT /F1 12 Tf 72 700 Td [<41> 100 <4243>] TJ ET",
    b"BT /F1 12 Tf 72 700 Td <41<42 43> Tj ET",            # a "<" inside a hex string
    b"BT /F1 12 Tf 72 700 Td <4 1 4 2 4 3 x y z> Tj ET",   # stray characters, read as digits
    b"BT /F1 12 Tf 72 700 Td % < >\n<414243> Tj ET",       # a comment's "<" and ">"
    b"BT /F1 12 Tf 72 700 Td % <\n<414243> Tj ET",
    b"/P <</MCID 0>> BDC BT /F1 12 Tf 72 700 Td <414243> Tj ET EMC",   # a dictionary
    b"BT /F1 12 Tf 72 700 Td <414243",                     # not closed
])
def test_hex_strings_are_bounded_by_their_runs(content):
    """Where the first bound is beyond a limit, a page of hex strings is bounded by the bytes from
    each "<" to the next ">": never below what the device counts."""
    doc, _ = hostile._single_page(content, hostile._FONT)
    page = doc[0]
    bounds, counted = _bounds(page, TIGHT), _counted(page)
    assert bounds is not None and counted[1] <= bounds[1] < len(content) // 2


def _type3_page(procedure: bytes, content: bytes = b"BT /F1 12 Tf 72 700 Td (%s) Tj ET" % (b"x" * 300),
                compress: bool = False) -> bytes:
    """A page showing the glyph ``x`` of a Type 3 font (300 times), ``procedure`` drawing it."""
    doc, page_xref = hostile._single_page(content)
    glyph = doc.get_new_xref()
    doc.update_object(glyph, "<< >>")
    doc.update_stream(glyph, procedure, compress=compress)
    doc.xref_set_key(page_xref, "Resources", (
        f"<< /Font << /F1 << /Type /Font /Subtype /Type3 /FontBBox [0 0 1 1] /FontMatrix [1 0 0 1 0 0] "
        f"/CharProcs << /x {glyph} 0 R >> /Encoding << /Differences [120 /x] >> /FirstChar 120 /LastChar 120 "
        f"/Widths [1] >> >> /XObject << /X {glyph} 0 R >> >>"))
    return doc.tobytes()


def _refusal(data: bytes, limits: Limits) -> str | None:
    try:
        ingest(data, limits=limits)
    except LimitExceeded as refused:
        return str(refused)
    return None


@pytest.mark.parametrize("procedure, content, drawings", [
    # d0 and no colour of its own: the glyph inherits the page's, is not cached, and is run on the
    # page's device for every x shown (200 paths each)
    (b"0 0 d0 " + b"0 0 1 1 re f " * 200, None, 300 * 200),
    (b"0 0 d0 0 0 1 1 re B b* 0 0 1 1 re S", None, 300 * 5),           # filled and stroked: two each
    (b"0 0 d0 0 0 1 1 re f", b"BT /F1 12 Tf 2 Tr 72 700 Td <%s> Tj ET" % (b"78" * 300), 300),   # hex strings
    (b"0 0 0 0 1 1 d1 " + b"0 0 1 1 re f " * 200, None, 0),            # d1: a mask, cached, never run here
    (b"0 0 d0 1 0 0 rg " + b"0 0 1 1 re f " * 200, None, 0),          # its own colour: cached too
])
def test_a_type3_glyph_is_bounded_by_its_procedure(procedure, content, drawings, monkeypatch):
    """A Type 3 glyph's procedure draws at most its painting operators each time a byte shows
    it, and a limit set about what the device counts trips exactly as it does without the bound."""
    for compress in (False, True):
        data = _type3_page(procedure, *([content] if content else []), compress=compress)
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            bounds, counted = _bounds(doc[0]), _counted(doc[0])
        assert counted == (drawings, 300) and bounds is not None
        assert counted[0] <= bounds[0] and counted[1] <= bounds[1]
        limits = [Limits(max_page_drawings=n) for n in (max(1, drawings - 1), max(1, drawings), bounds[0])]
        bounded = [_refusal(data, limit) for limit in limits]
        assert bounded[0] == (f"page 1 has more than {drawings - 1} drawing operations; nianbao reads at most "
                              f"{drawings - 1} drawing operations per page (--max-page-drawings, "
                              f"NIANBAO_MAX_PAGE_DRAWINGS)" if drawings > 1 else None)
        with monkeypatch.context() as unbounded:
            unbounded.setattr(ingest_stage, "content_bounds", lambda *_: None)
            assert [_refusal(data, limit) for limit in limits] == bounded


@pytest.mark.parametrize("procedure", [
    b"0 0 d0 /X Do",                                       # a form (itself, here)
    b"0 0 d0 /S sh",                                       # a shading
    b"0 0 d0 BT (x) Tj ET",                                # text, of the glyph's own font
    b"0 0 d0 BI /W 1 /H 1 /BPC 1 /CS /G ID \x00 EI",       # an inline image
    b"0 0 d0 BI W 1 H 1 BPC 1 ID \x00 EI",                 # … even one without names
    b"0 0 d0 <</MCID 0>> BDC 0 0 1 1 re f EMC",            # a dictionary
    b"0 0 d0 " + b"0 0 1 1 re f\n" * 3000,                 # a procedure beyond SMALL_CONTENTS
])
def test_a_type3_glyph_doing_more_than_painting_paths_is_counted(procedure):
    data = _type3_page(procedure)
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        assert _bounds(doc[0]) is None


@pytest.mark.parametrize("limit, refusal", [
    ("max_page_chars", "page 1 has more than 100 characters; nianbao reads at most 100 characters per page "
                       "(--max-page-chars, NIANBAO_MAX_PAGE_CHARS)"),
    ("max_page_drawings", "page 2 has more than 10 drawing operations; nianbao reads at most 10 drawing "
                          "operations per page (--max-page-drawings, NIANBAO_MAX_PAGE_DRAWINGS)"),
])
def test_a_page_beyond_its_bound_is_counted_and_refused(limit, refusal):
    """A report's page whose bytes do not prove it within a limit set low is counted by the device."""
    with pytest.raises(LimitExceeded) as refused:
        ingest(GOOD.read_bytes(), limits=Limits(**{limit: {"max_page_chars": 100, "max_page_drawings": 10}[limit]}))
    assert (refused.value.limit, str(refused.value)) == (limit, refusal)


def test_a_page_too_large_to_render_for_ocr_is_refused_before_rendering():
    tall = hostile.huge_page(random.Random(1), picture=True, tall=200_000)
    with pytest.raises(LimitExceeded) as refused:
        read(tall)
    assert str(refused.value) == (
        "page 1 is 595 × 200000 pt, an image of 1653 × 555556 px (918 megapixels) to read by OCR at 200 dpi; "
        "nianbao reads at most 50 megapixels per image (--max-image-mp, NIANBAO_MAX_IMAGE_MP)")
    with pytest.raises(InputError) as unreadable:   # no limit: MuPDF's own refusal, as bad input
        read(tall, limits=Limits(max_image_mp=0))
    assert str(unreadable.value) == "page 1 cannot be rendered to read by OCR: Overly large image"


def test_limits_are_options_and_variables_of_extract(tmp_path):
    base = [*CLI, "extract", str(GOOD), "-o", str(tmp_path)]
    expected = f"error  {GOOD}: the PDF has 5 pages; nianbao reads at most 3 pages (--max-pages, NIANBAO_MAX_PAGES)\n"
    by_option = subprocess.run([*base, "--max-pages", "3"], capture_output=True, text=True)
    by_variable = subprocess.run(base, capture_output=True, text=True,
                                 env={**__import__("os").environ, "NIANBAO_MAX_PAGES": "3"})
    assert (by_option.returncode, by_option.stdout.splitlines(keepends=True)[0]) == (2, expected)
    assert (by_variable.returncode, by_variable.stdout.splitlines(keepends=True)[0]) == (2, expected)


def test_limits_zero_means_none():
    assert Limits(max_pages=0, timeout=0, max_memory_mb=0) == Limits(max_pages=None, timeout=None, max_memory_mb=None)


def test_a_page_count_mupdf_rejects_is_bad_input():
    content = b"BT /F1 12 Tf 72 700 Td (x) Tj ET"
    data = hostile.raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count -5 >>",
                            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"])
    with pytest.raises(InputError) as e:
        extract(data)
    assert str(e.value) == "truncated or corrupt PDF: the page tree cannot be read: Invalid number of pages"


def test_memory_is_bounded_by_the_worker_and_named(model_bytes):
    """A page rendered for OCR with no pixel limit, in a worker allowed 600 MiB: an allocation
    (the OCR libraries' or the page image's) fails in the kernel's limit, and the report is
    refused naming the memory limit."""
    tall = hostile._single_page(b"q 595 0 0 14400 0 0 cm /I Do Q", media="[0 0 595 14400]")
    doc, page = tall
    image = doc.get_new_xref()
    doc.update_object(image, "<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
                             "/BitsPerComponent 8 >>")
    doc.update_stream(image, bytes(range(64)))
    doc.xref_set_key(page, "Resources", f"<< /XObject << /I {image} 0 R >> >>")
    limits = Limits(max_image_mp=0, max_memory_mb=600, timeout=60)
    worker = workers.Worker(model_bytes, limits)
    try:
        outcome = worker.run(workers.Job(doc.tobytes(), "tall.pdf"), limits.timeout)
    finally:
        worker.close()
    assert (outcome.kind, outcome.reason) == (
        "limit", "the report needs more memory than a worker may use; nianbao reads at most 600 MiB of memory "
                 "per report (--max-memory-mb, NIANBAO_MAX_MEMORY_MB)")


def test_a_memory_error_anywhere_is_the_memory_limit(monkeypatch):
    def greedy(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr("extractor.pipeline.extract", greedy)
    outcome = workers.run_job(workers.Job(GOOD.read_bytes()), None, Limits(max_memory_mb=1024))
    assert (outcome.kind, outcome.detail["limit"]) == ("limit", "max_memory_mb")
    assert outcome.reason.endswith("nianbao reads at most 1024 MiB of memory per report (--max-memory-mb, "
                                   "NIANBAO_MAX_MEMORY_MB)")


# --- nothing quadratic in a page's blocks ------------------------------------------------------------

def test_neighbour_features_are_compared_in_chunks(monkeypatch):
    rng = np.random.default_rng(0)
    n = 700
    x0, y0 = rng.uniform(0, 500, n), rng.uniform(0, 800, n)
    box = np.stack([x0, y0, x0 + rng.uniform(2, 80, n), y0 + rng.uniform(5, 12, n)], axis=1)
    size = rng.uniform(8, 16, n)
    whole = np.zeros((n, len(cl.FEATURES)))
    cl._neighbour_features(box, size, 10.5, whole)
    monkeypatch.setattr(cl, "PAIRS_PER_CHUNK", 1000)   # 1 row at a time
    chunked = np.zeros((n, len(cl.FEATURES)))
    cl._neighbour_features(box, size, 10.5, chunked)
    assert np.array_equal(whole, chunked)


def test_a_page_of_eight_thousand_blocks_needs_megabytes():
    n = 8_000
    rng = np.random.default_rng(1)
    x0, y0 = rng.uniform(0, 590, n), rng.uniform(0, 840, n)
    box = np.stack([x0, y0, x0 + 3, y0 + 6], axis=1)
    tracemalloc.start()
    cl._neighbour_features(box, np.full(n, 6.0), 6.0, np.zeros((n, len(cl.FEATURES))))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 160 * 2**20   # unchunked: 8,000² pairs, 512 MB a float matrix, and a dozen of them


# --- model files ------------------------------------------------------------------------------------

def _stored(tmp_path: Path, estimator) -> Path:
    sio.dump({"feature_version": cl.FEATURE_VERSION, "features": list(cl.FEATURES), "labels": list(LABELS),
              "estimator": estimator}, tmp_path / cl.MODEL_FILE)
    return tmp_path


def test_a_model_that_is_not_a_classifier_is_refused(tmp_path):
    """The issue's skops node disguised as builtins.dict: trusted types, but not a model."""
    with pytest.raises(ModelError, match="does not hold a fitted layout model"):
        load_model(_stored(tmp_path, {"classes_": [0, 1, 2, 3]}))


def test_a_classifier_of_other_features_is_refused(tmp_path):
    from extractor.stages.classify.model import LayoutModel
    other = LayoutModel(max_iter=2).fit(np.random.default_rng(0).random((40, 5)), np.array(LABELS * 10))
    with pytest.raises(ModelError, match="does not hold a fitted layout model"):
        load_model(_stored(tmp_path, other))


def test_a_zip_bomb_in_a_model_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / cl.MODEL_FILE
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("schema.json", "w", force_zip64=True) as f:
            for _ in range(128):
                f.write(bytes(2**20))   # 128 MiB of zeros, 128 KB compressed
    tracemalloc.start()
    with pytest.raises(ModelError, match="would inflate to 128 MiB; a layout model is at most 64 MiB"):
        load_model(path)
    assert tracemalloc.get_traced_memory()[1] < 16 * 2**20
    tracemalloc.stop()


@pytest.mark.parametrize("command", ["serve", "extract", "batch"])
def test_a_bad_model_ends_the_command_with_one_line(tmp_path, command):
    bad = tmp_path / "model"
    bad.mkdir()
    (bad / cl.MODEL_FILE).write_bytes(b"PK\x03\x04 not a model")
    args = {"serve": ["serve"], "extract": ["extract", str(GOOD)], "batch": ["batch", str(GOOD), "-o", str(tmp_path)]}
    run = subprocess.run([*CLI, *args[command], "--model", str(bad)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"error  --model: {bad / cl.MODEL_FILE} is not "
                                                                 "a readable layout model: "), run.stderr


# --- damage that MuPDF repaired or complained about ---------------------------------------------------

def test_a_repaired_report_fails_source_intact_naming_every_cell():
    case = hostile.Case("broken_xref", "x", hostile.broken_xref(random.Random(3), GOOD.stem))
    record = extract(case.data)
    intact = next(c for c in record["checks"] if c["rule"] == "source.intact")
    assert "PDF 文件已损坏，经 MuPDF 修复" in record["problems"]
    assert intact["status"] == "fail"
    assert intact["detail"] == ("MuPDF had to repair the file (its cross-reference table is broken): any page "
                                "may differ from the original; cells were read on pages 2, 3, 4")
    assert intact["message"] == ("PDF 文件已损坏，经 MuPDF 修复（交叉引用表损坏）：各页读到的数值都可能与原件不同，"
                                 "请对照原件核对；第 2、3、4 页")
    assert len(intact["cells"]) == len(record["cells"]) == 200
    assert [f["pages"] for f in intact["findings"]] == [[2], [3], [4]]


def test_an_undamaged_report_passes_source_intact():
    record = extract(GOOD)
    assert [c for c in record["checks"] if c["rule"] == "source.intact"] == [
        {"rule": "source.intact", "status": "pass", "message": "MuPDF 读取文件及各页内容均未报错", "cells": [],
         "findings": [], "detail": "MuPDF read the file and every page without an error"}]


# --- batch --resume and failures that cannot change ---------------------------------------------------

def test_resume_does_not_read_again_what_cannot_change(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "good.pdf").write_bytes(GOOD.read_bytes())
    (reports / "notes.pdf").write_text("不是 PDF\n", "utf-8")
    (reports / "long.pdf").write_bytes(hostile.blank_pages(random.Random(0), pages=201))
    (reports / "stray.pdf").write_bytes(stray_surrogate())   # the issue's batch that died, and died again
    out = tmp_path / "out"

    def failed(**options) -> dict[str, str]:
        summary = run_batch([str(reports)], out, workers=1, **options)
        read.append(sorted(Path(r["file"]).name for r in summary["ok"]))
        return {Path(f["file"]).name: f["reason"] for f in summary["failed"]}

    read: list[list[str]] = []
    pages = "the PDF has 201 pages; nianbao reads at most 200 pages (--max-pages, NIANBAO_MAX_PAGES)"
    again = " (in an earlier run; --retry-failed reads it again)"
    assert failed() == {"notes.pdf": "not a PDF", "long.pdf": pages}
    assert read == [["good.pdf", "stray.pdf"]]
    assert (out / "cells.csv").read_text("utf-8-sig").count("stray.pdf") == 200
    assert failed(resume=True) == {"notes.pdf": "not a PDF" + again, "long.pdf": pages + again}
    assert failed(resume=True, retry_failed=True) == {"notes.pdf": "not a PDF", "long.pdf": pages}
    # a limit raised since: that report is read again (and now it is read)
    assert failed(resume=True, limits=Limits(max_pages=300)) == {"notes.pdf": "not a PDF" + again}
    lines = (out / "failed.jsonl").read_text("utf-8").splitlines()
    assert sorted((Path(e["file"]).name, e["kind"], e["limit"], e["allowed"]) for e in map(json.loads, lines)) == [
        ("long.pdf", "limit", "max_pages", 200), ("long.pdf", "limit", "max_pages", 200),
        ("notes.pdf", "unreadable", None, None), ("notes.pdf", "unreadable", None, None)]
