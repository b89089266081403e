"""layoutparser interop: nianbao's labelled blocks as ``lp.Layout``s, and a layoutparser
detector's ``lp.Layout`` as labels that ``nianbao extract --labels`` accepts.

nianbao's own blocks are plain dataclasses (building a layoutparser ``TextBlock`` costs 43 µs, a
text-layer page's whole budget), so layoutparser is met at the edges, for those who already work
with it: to look at, draw or evaluate nianbao's labels with its tools, or to let a layout
detector (PubLayNet, PrimaLayout, a model of one's own) decide the labels instead of nianbao's
model. Needs the ``layoutparser`` extra (``pip install 'nianbao[layoutparser]'``).

A layout block is a ``TextBlock`` whose ``type`` is the label (heading, table_cell, prose,
other), ``score`` the confidence and ``text`` the block's text; one ``Layout`` per page, with
``page_data = {"page": N}`` (numbered from 1 as a PDF viewer numbers pages, as the label files
do), in PDF points, origin top left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import layoutparser as lp

from extractor.types import LABELS, Label, LabelledBlock

# PubLayNet's classes, the layout most detectors are trained on, as nianbao's labels
PUBLAYNET: Mapping[str, Label] = {"Title": "heading", "Text": "prose", "List": "prose",
                                  "Table": "table_cell", "Figure": "other"}


def to_layouts(labelled: Iterable[LabelledBlock]) -> list[lp.Layout]:
    """One ``lp.Layout`` per page that has blocks, in page order."""
    pages: dict[int, list[lp.TextBlock]] = {}
    for i, lb in enumerate(labelled):
        x0, y0, x1, y1 = lb.block.bbox
        pages.setdefault(lb.block.page, []).append(
            lp.TextBlock(lp.Rectangle(x0, y0, x1, y1), text=lb.block.text, id=i, type=lb.label,
                         score=lb.confidence))
    return [lp.Layout(blocks, page_data={"page": page + 1}) for page, blocks in sorted(pages.items())]


def label_rows(layouts: Iterable[lp.Layout], sha256: str, types: Mapping[str, Label] | None = None,
               scale: float = 1.0) -> list[dict]:
    """Label-file rows (``labelfiles``) from layouts, for the PDF with this ``sha256``.

    ``types`` maps a detector's class names to labels (the label names themselves always map to
    themselves; PUBLAYNET for PubLayNet models); ``scale`` turns the layout's coordinates into PDF
    points (72 / dpi for a detector run on page images). A block whose type maps to no label is
    refused: it would silently leave its blocks to the model."""
    names: dict[str, Label] = {label: label for label in LABELS} | dict(types or {})
    rows = []
    for layout in layouts:
        page = (layout.page_data or {}).get("page")
        if not isinstance(page, int) or page < 1:
            raise ValueError('every layout needs page_data={"page": N}, N from 1 as a PDF viewer numbers pages')
        for block in layout:
            if block.type not in names:
                raise ValueError(f"page {page}: layout type {block.type!r} maps to no label "
                                 f"(give types=..., e.g. interop.PUBLAYNET)")
            x0, y0, x1, y1 = (v * scale for v in block.coordinates)
            rows.append({"page": page, "bbox": [round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)],
                         "text": block.text or "", "label": names[block.type],
                         "confidence": 1.0 if block.score is None else round(float(block.score), 3),
                         "sha256": sha256})
    return rows
