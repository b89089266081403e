"""The four stages, composed: PDF → pages → labelled blocks → tables (digits confirmed by their sums)
→ checks → record."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractor.labelfiles import apply_labels, labels_for
from extractor.limits import Limits
from extractor.stages.classify import classify
from extractor.stages.correct import correct
from extractor.stages.ingest import ingest
from extractor.stages.ocr import ocr
from extractor.stages.reconstruct import reconstruct
from extractor.stages.record import build_record
from extractor.stages.report import read_report, read_sections, reading_order, unsure_numbers
from extractor.stages.validate import validate
from extractor.types import Document

__all__ = ["extract", "read"]


def read(source: str | Path | bytes, name: str | None = None, limits: Limits | None = None) -> Document:
    """Stages 1 and 2: the report's pages, from its text layer or, where it has none, its image."""
    return ocr(ingest(source, name, limits), limits)


def extract(source: str | Path | bytes, name: str | None = None, model=None,
            with_blocks: bool = False, labels: str | Path | None = None,
            limits: Limits | None = None) -> dict:
    """Read one report into a ``nianbao/2`` record. Raises ``InputError`` for a file that is not a
    readable PDF; everything the report itself gets wrong is reported in the record's checks.
    ``with_blocks`` adds ``"blocks"``: every text block with its layout label, for callers that
    want to see why a cell was or was not found. ``labels``: a person's label file or folder of
    them (``nianbao label``); their labels win over the model's for this report's blocks.
    ``limits``: what the report may cost (default ``Limits()``); beyond them, ``LimitExceeded``."""
    with _uncollected():
        return _extract(source, name, model, with_blocks, labels, limits)


@contextmanager
def _uncollected() -> Iterator[None]:
    """No cyclic garbage collection while a report is read. Its tens of thousands of objects
    (characters, blocks, cells, the record) hold no cycles (a collection after any devset report,
    text or scan, finds nothing) and are freed by their reference counts; the collector, due every 700 of them, would only walk them again and again (about
    0.4 of a text page's 8 CPU ms). Left as it was found."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _extract(source: str | Path | bytes, name: str | None, model, with_blocks: bool,
             labels: str | Path | None, limits: Limits | None) -> dict:
    doc = read(source, name, limits)
    labelled = classify(doc.pages, model)
    if labels is not None:
        labelled = apply_labels(doc.pages, labelled, labels_for(Path(labels), doc.sha256))
    reading = correct(reconstruct(doc.pages, labelled))
    ordered = reading_order(labelled)
    info, info_problems = read_report(ordered, reading.format)
    info.format = reading.format
    sections = read_sections(ordered)
    checks = validate(info, reading.tables, reading.cells, sections, repaired=doc.repaired, damaged=doc.damaged)
    record = build_record(file=doc.file, sha256=doc.sha256, pages=len(doc.pages),
                          text_layer=doc.text_layer, info=info, sections=sections,
                          tables=reading.tables, units=reading.units, cells=reading.cells,
                          checks=checks, problems=doc.problems + reading.problems + info_problems + unsure_numbers(ordered),
                          upright={p.number: p.upright for p in doc.pages if p.upright})
    if with_blocks:
        record["blocks"] = [{"page": lb.block.page + 1, "bbox": [round(v, 2) for v in lb.block.bbox],
                             "text": lb.block.text, "label": lb.label,
                             "confidence": round(lb.confidence, 3)} for lb in labelled]
    return record
