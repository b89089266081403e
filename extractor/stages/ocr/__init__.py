"""Stage 2: pages without a usable text layer, and pictures that no text lies over, read from
their image.

Ingest leaves such a page empty with ``needs_ocr`` saying why (a scan, text drawn as outlines, a
garbage text layer) and lists a text page's bare ``pictures`` (a table pasted as a screenshot).
The reader (``reader.py``: OpenCV and PP-OCRv4 on onnxruntime) is imported only when a page needs
it, so text-layer runs never load onnxruntime and an install without the ``ocr`` extra still reads
text-layer reports.
"""

from __future__ import annotations

import re
from dataclasses import replace
from types import ModuleType

import pymupdf

from extractor.errors import InputError, SetupError
from extractor.geometry.grid import page_grids
from extractor.limits import Limits, exceeded, is_out_of_memory, out_of_memory
from extractor.sanitize import clean_message
from extractor.types import Document, Page


def ocr(doc: Document, limits: Limits | None = None) -> Document:
    """The document with every page that needs it read by OCR (``text_layer`` "ocr", or "mixed"
    for a text page whose pictures were read). Raises ``SetupError`` for a page without a usable
    text layer when OCR is not installed, ``LimitExceeded`` for a page whose image would be larger
    than ``limits`` allow (default ``Limits()``); unread pictures are only reported."""
    limits = limits if limits is not None else Limits()
    todo = [page for page in doc.pages if page.needs_ocr or page.pictures]
    if not todo:
        return doc
    pages, problems = list(doc.pages), list(doc.problems)
    open_below = []     # scanned pages read with a row without dividers at their foot
    with pymupdf.open(stream=doc.pdf, filetype="pdf") as pdf:
        for page in todo:
            n = page.number
            if page.needs_ocr:
                reader = _reader("a page has no usable text layer")
                scan = _read(reader, pdf, n, limits, (_edges(pages, n - 1, -1), _edges(pages, n + 1, 0)))
                pages[n] = scan.page
                if scan.open_below and n + 1 < len(pages) and pages[n + 1].needs_ocr:
                    open_below.append(n)
                problems.append(f"第 {n + 1} 页：{page.needs_ocr}，已用 OCR 识别")
                continue
            pictures = f"第 {n + 1} 页：{len(page.pictures)} 张图片上没有文字层"
            try:
                reader = _reader(f"page {n + 1}: its pictures are not read")
            except SetupError:     # the text layer is still worth reading
                problems.append(f"{pictures}，需要 OCR 识别，但未安装 OCR：pip install 'nianbao[ocr]'")
                continue
            try:
                read = _read(reader, pdf, n, limits)
            except InputError as error:     # too large to render: the text layer is still worth reading
                problems.append(f"{pictures}，需要 OCR 识别，但页面超出限制或无法渲染，未能识别（{error}）")
                continue
            pages[n] = with_pictures(page, read.page)
            problems.append(f"{pictures}，已用 OCR 识别")
        for n in open_below:
            # the row at its foot may be the table that goes on over the page: read again with
            # the columns that page, read since, opens with
            below = _edges(pages, n + 1, 0)
            if below is not None:
                pages[n] = _read(_reader("a page has no usable text layer"), pdf, n, limits,
                                 (_edges(pages, n - 1, -1), below)).page
    return replace(doc, pages=pages, problems=problems)


def _edges(pages: list[Page], n: int, which: int) -> list[float] | None:
    """The column edges of page ``n``'s first (``which`` 0) or last (-1) ruled grid, once the page is
    read (None before, or where there is none)."""
    if not 0 <= n < len(pages) or pages[n].needs_ocr:
        return None
    grids = [g for g in page_grids(pages[n], []) if g.ruled]
    return grids[which].xs if grids else None


def _read(reader: ModuleType, pdf: pymupdf.Document, n: int, limits: Limits,
          carried: tuple[list[float] | None, list[float] | None] = (None, None)):
    """Page ``n`` read from its image (a ``reader.Scan``), once that image is known to be within
    ``limits``; ``carried`` as ``reader.Carried``."""
    page = pdf.load_page(n)
    zoom = reader.DPI / 72
    width, height = round(page.rect.width * zoom), round(page.rect.height * zoom)
    if limits.max_image_mp is not None and width * height > limits.max_image_mp * 1e6:
        raise exceeded(limits, "max_image_mp",
                       f"page {n + 1} is {page.rect.width:.0f} × {page.rect.height:.0f} pt, an image of "
                       f"{width} × {height} px ({width * height / 1e6:.0f} megapixels) to read by OCR at "
                       f"{reader.DPI} dpi", width * height / 1e6)
    try:
        return reader.ocr_page(page, n, carried)
    except pymupdf.mupdf.FzErrorBase as error:   # e.g. "Overly large image", a broken image stream
        if is_out_of_memory(error):
            raise out_of_memory(limits) from None
        message = clean_message(re.sub(r"^code=\d+: ", "", next((ln for ln in str(error).splitlines() if ln.strip()), "").strip()))
        raise InputError(f"page {n + 1} cannot be rendered to read by OCR: {message}") from None


def with_pictures(page: Page, read: Page) -> Page:
    """The text layer's blocks and rulings, and what OCR read inside the page's pictures."""
    def inside(x: float, y: float) -> bool:
        return any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in page.pictures)
    blocks = [b for b in read.blocks if inside((b.bbox[0] + b.bbox[2]) / 2, (b.bbox[1] + b.bbox[3]) / 2)]
    rulings = [r for r in read.rulings if inside((r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2)]
    return Page(page.number, page.width, page.height, page.blocks + blocks, page.rulings + rulings, "mixed")


def _reader(need: str) -> ModuleType:
    try:
        from extractor.stages.ocr import reader
    except ImportError as error:
        if "failed to map segment" in str(error) or "annot allocate memory" in str(error):
            raise MemoryError(str(error)) from None   # installed, but beyond the worker's memory limit
        raise SetupError(f"{need} and OCR is not installed ({error.name} is missing): "
                         "pip install 'nianbao[ocr]'") from None
    return reader
