"""Label files: a block's layout label as a person (``nianbao label``) or the corpus generator
(``NAME.blocks.jsonl``) wrote it, and how a line of such a file is matched to its block again.

A line is ``{"page", "bbox", "text", "label"}`` (plus ``confidence`` and ``sha256`` in a person's
file, whose pages count from 1 as a PDF viewer's do; the generator's count from 0). A block takes the label of the line whose box contains its centre, the one it overlaps most
when several do; a block inside none has no label. Used by extraction (a person's labels win over
the model's) and by training, which both sit above this module.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from extractor.errors import LabelError
from extractor.types import LABELS, LabelledBlock, Page

SUFFIX = ".labels.jsonl"
LABEL_FILES = (SUFFIX, ".blocks.jsonl")   # a person's corrections win over the generator's truth
UNMATCHED = -1


def label_rows(labelled: list[LabelledBlock], sha256: str) -> list[dict]:
    return [{"page": lb.block.page + 1, "bbox": [round(v, 2) for v in lb.block.bbox], "text": lb.block.text,
             "label": lb.label, "confidence": round(lb.confidence, 3), "sha256": sha256}
            for lb in labelled]


def write_label_file(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def read_truth_blocks(path: str | Path) -> list[dict]:
    """The label lines of a ``.labels.jsonl`` / ``.blocks.jsonl`` file, each ``page`` a 0-based page
    index; a label that is not one of ``LABELS`` is refused with its line number (a typo must not
    become a class).

    A person's ``.labels.jsonl`` numbers pages as a PDF viewer does (1-based, like its page images
    ``NAME.pN.png``); the generator's ``.blocks.jsonl`` keeps PyMuPDF's 0-based index, like its
    truth files. A label file with a page 0 was written before labels were 1-based: refused, for
    every box in it would land one page off."""
    person = str(path).endswith(SUFFIX)
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("label") not in LABELS:
                raise ValueError(f"{path}:{n}: label {row.get('label')!r} is not one of {', '.join(LABELS)}")
            if person:
                if not isinstance(row.get("page"), int) or row["page"] < 1:
                    raise ValueError(f"{path}:{n}: page {row.get('page')!r}: pages are numbered from 1 "
                                     "(a label file from before nianbao numbered pages from 1: label the "
                                     "report again)")
                row["page"] -= 1
            rows.append(row)
    return rows


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


def labels_for(source: Path, sha256: str) -> list[dict]:
    """A person's labels for the PDF with this ``sha256``: the label file ``source``, or the one in
    the folder ``source`` written for it (none there: no labels, the model decides). A label file
    written for another PDF raises ``LabelError``: its boxes would land on the wrong blocks."""
    files = sorted(source.glob(f"*{SUFFIX}")) if source.is_dir() else [source]
    for path in files:
        with open(path, encoding="utf-8") as f:
            first = json.loads(f.readline() or "{}")
        if first.get("sha256") == sha256:
            return read_truth_blocks(path)
    if not source.is_dir():
        raise LabelError(f"{source} labels another PDF (sha256 {first.get('sha256')}, not {sha256})")
    return []


def apply_labels(pages: list[Page], labelled: list[LabelledBlock], rows: list[dict]) -> list[LabelledBlock]:
    """The model's labels with a person's put in their place (confidence 1): a block takes the label
    of the row whose box holds its centre; blocks with no row keep the model's label."""
    found = match_truth(pages, rows)
    return [lb if i == UNMATCHED else replace(lb, label=rows[i]["label"], confidence=1.0)
            for lb, i in zip(labelled, found)]
