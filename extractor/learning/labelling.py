"""Label files a person corrects, the page images that show what to correct, and the person's
labels taking precedence over the model's when a report is extracted again.

``nianbao label REPORT.pdf -o DIR`` writes, per report:

- ``DIR/REPORT.labels.jsonl``: one line per block the extractor reads, in reading order::

      {"page": 1, "bbox": [x0, y0, x1, y1], "text": "一、总体情况", "label": "heading",
       "confidence": 0.412, "sha256": "<of the PDF>"}

  ``page`` is numbered from 1 as in a PDF viewer (and the images below), ``bbox`` in PDF points (origin top left). A person edits ``label`` (one of
  heading, table_cell, prose, other) and nothing else; deleting a line leaves that block out of
  training and to the model when extracting. The block a line stands for is found again by its
  page and box (the block whose centre lies in the box: ``labelfiles.match_truth``, the same matching as
  the typesetter's truth blocks), ``sha256`` ties the file to the exact PDF.
- ``DIR/REPORT.pdf``: a copy of the report, so that DIR alone is training data for ``nianbao train``.
- ``DIR/REPORT.pN.png``: page N (1-based) with every block boxed in its label's colour, blocks the
  model is unsure of (confidence below ``--below``) in a thick dashed red frame, and a legend.

The images are drawn with PyMuPDF on the page itself (vector boxes, then rasterised): no extra
package. layoutparser's ``draw_box`` was the candidate, but 0.3.4 calls Pillow's ``getsize``, which
Pillow 10 removed, and it draws neither dashed frames nor a legend.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from extractor.labelfiles import SUFFIX, label_rows, write_label_file
from extractor.settings import REVIEW
from extractor.types import LABELS, LabelledBlock

# RGB 0..1; colour-blind-safe Okabe-Ito hues, red kept for the unsure frame
COLOURS = {"heading": (0.0, 0.45, 0.70), "table_cell": (0.0, 0.62, 0.45),
           "prose": (0.90, 0.62, 0.0), "other": (0.80, 0.47, 0.74)}
UNSURE_COLOUR = (0.84, 0.0, 0.0)


def draw_pages(pdf: bytes | Path, labelled: list[LabelledBlock], stem: Path,
               below: float = REVIEW.confident, dpi: int = 100) -> list[Path]:
    """``STEM.pN.png`` per page: the page with its blocks boxed per label, a legend underneath."""
    import pymupdf

    src = pymupdf.open(stream=pdf) if isinstance(pdf, bytes) else pymupdf.open(pdf)
    legend_h = 22.0
    paths = []
    for n in range(src.page_count):
        page = src.load_page(n)
        w, h = page.rect.width, page.rect.height
        out = pymupdf.open()
        canvas = out.new_page(width=w, height=h + legend_h)
        canvas.show_pdf_page(pymupdf.Rect(0, 0, w, h), src, n)
        for lb in labelled:
            if lb.block.page != n:
                continue
            rect = pymupdf.Rect(lb.block.bbox) + (-1, -1, 1, 1)
            if lb.confidence < below:
                canvas.draw_rect(rect + (-1.5, -1.5, 1.5, 1.5), color=UNSURE_COLOUR, width=2.2, dashes="[3 2] 0")
            canvas.draw_rect(rect, color=COLOURS[lb.label], width=0.8)
        x = 8.0
        for label in LABELS:
            canvas.draw_rect(pymupdf.Rect(x, h + 6, x + 14, h + 16), color=COLOURS[label], width=1.2)
            canvas.insert_text((x + 18, h + 15), label, fontsize=9, fontname="helv")
            x += 30 + pymupdf.get_text_length(label, fontname="helv", fontsize=9)
        canvas.draw_rect(pymupdf.Rect(x, h + 5, x + 14, h + 17), color=UNSURE_COLOUR, width=2.2,
                         dashes="[3 2] 0")
        canvas.insert_text((x + 18, h + 15), f"model unsure (confidence < {below:g}): check this label",
                           fontsize=9, fontname="helv")
        path = stem.with_name(f"{stem.name}.p{n + 1}.png")
        canvas.get_pixmap(dpi=dpi).save(path)
        paths.append(path)
    return paths


def label_report(pdf: Path, out: Path, model=None, below: float = REVIEW.confident) -> tuple[Path, list[Path]]:
    """Write ``OUT/NAME.labels.jsonl``, a copy of the PDF and the page images for one report."""
    from extractor.pipeline import read
    from extractor.stages.classify import classify

    doc = read(pdf)
    labelled = classify(doc.pages, model)
    out.mkdir(parents=True, exist_ok=True)
    copy = out / f"{pdf.stem}.pdf"
    if not copy.exists() or not copy.samefile(pdf):
        shutil.copyfile(pdf, copy)
    labels = write_label_file(label_rows(labelled, doc.sha256), out / f"{pdf.stem}{SUFFIX}")
    return labels, draw_pages(pdf, labelled, out / pdf.stem, below)
