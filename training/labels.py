"""Give each extracted block the label of the truth block it lies in.

Truth blocks (``NAME.blocks.jsonl``: page, bbox, text, label) are what the typesetter printed, one
per table cell or printed line; extracted blocks are what ``ingest`` rebuilt, which may split a
truth block in two (a wide gap) or, rarely, straddle two. A block takes the label of the truth
block that contains its centre, the one it overlaps most when several do; a block whose centre
lies in no truth block has no label and is left out of training and scoring.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from extractor.data import LABELS, Page

UNMATCHED = -1


def read_truth_blocks(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def match_labels(pages: list[Page], truth: list[dict]) -> np.ndarray:
    """One label index (position in ``LABELS``) per block of ``pages``, ``UNMATCHED`` where none."""
    found = match_truth(pages, truth)
    labels = np.array([LABELS.index(t["label"]) for t in truth] + [UNMATCHED])
    return labels[found]    # UNMATCHED (-1) picks the sentinel at the end


def match_truth(pages: list[Page], truth: list[dict], slack: float = 1.0) -> np.ndarray:
    """Per block of ``pages``, the index in ``truth`` of the truth block it lies in, or ``UNMATCHED``.

    ``slack`` (points) widens truth boxes: a glyph's box and the box the typesetter reports for
    its line differ by rounding and ascender/descender conventions.
    """
    by_page: dict[int, list[int]] = {}
    for i, t in enumerate(truth):
        by_page.setdefault(t["page"], []).append(i)
    out = []
    for page in pages:
        n = len(page.blocks)
        found = np.full(n, UNMATCHED)
        ts = np.array(by_page.get(page.number, []), dtype=int)
        if n and len(ts):
            tb = np.array([truth[i]["bbox"] for i in ts], dtype=float)
            b = np.array([blk.bbox for blk in page.blocks], dtype=float)
            cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
            contains = ((tb[None, :, 0] - slack <= cx[:, None]) & (cx[:, None] <= tb[None, :, 2] + slack)
                        & (tb[None, :, 1] - slack <= cy[:, None]) & (cy[:, None] <= tb[None, :, 3] + slack))
            ox = np.minimum(b[:, None, 2], tb[None, :, 2]) - np.maximum(b[:, None, 0], tb[None, :, 0])
            oy = np.minimum(b[:, None, 3], tb[None, :, 3]) - np.maximum(b[:, None, 1], tb[None, :, 1])
            overlap = np.where(contains, np.clip(ox, 0, None) * np.clip(oy, 0, None), -1.0)
            best = overlap.argmax(axis=1)
            found = np.where(contains.any(axis=1), ts[best], UNMATCHED)
        out.append(found)
    return np.concatenate(out) if out else np.zeros(0, dtype=int)
