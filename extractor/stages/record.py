"""The ``nianbao/2`` record: the stages' results put into the shape of SCHEMA.md, and written safely.

The stages number pages from 0 (PyMuPDF's index); every output numbers them as a PDF viewer does,
from 1. This is where the one turns into the other: ``page`` of cells and sections here, and of
``blocks`` in ``pipeline.extract``."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from extractor.sanitize import clean_tree, fields_of
from extractor.types import CellReading, Check, ReportInfo, Section, Upright

SCHEMA = "nianbao/2"
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def build_record(*, file: str | None, sha256: str, pages: int, text_layer: str, info: ReportInfo,
                 sections: list[Section], tables: dict, units: dict, cells: list[CellReading],
                 checks: list[Check], problems: list[str],
                 upright: dict[int, Upright] | None = None) -> dict:
    source: dict = {"file": file, "sha256": sha256, "pages": pages, "text_layer": text_layer}
    if upright:
        # beyond SCHEMA.md's minimum: how each page read from its image was set upright, so that
        # a box can be drawn on the page as the reader saw it (the review page does)
        source["upright"] = [{"page": viewer_page(n), "rotation": u.rotation, "skew": u.skew,
                              **({"squared": [float(f"{v:.6g}") for v in u.squared]} if u.squared else {})}
                             for n, u in sorted(upright.items())]
    # every string made encodable: text and messages from the PDF library can hold lone surrogates
    return clean_tree({
        "schema": SCHEMA,
        "source": source,
        "report": info,
        "sections": [{**fields_of(s), "page": viewer_page(s.page),
                      "unsure": [{**fields_of(u), "page": viewer_page(u.page)} for u in s.unsure]} for s in sections],
        "tables": tables,
        "units": units,
        "cells": [_cell(c) for c in cells],
        "checks": checks,
        # Beyond SCHEMA.md: what the reader noticed and could not use (a repaired file, a page
        # without a usable text layer, text in a table that fits no cell), for a person to look at.
        # Each said once, in the order noticed (the same cell read twice on three empty rows of a
        # scan said it three times).
        "problems": list(dict.fromkeys(problems)),
    })


def viewer_page(index: int | None) -> int | None:
    """A stage's 0-based page index as a PDF viewer numbers the page (1-based)."""
    return None if index is None else index + 1


def _cell(c: CellReading) -> dict:
    d = fields_of(c)
    d["page"] = viewer_page(c.page)
    d["bbox"] = None if c.bbox is None else [round(v, 2) for v in c.bbox]
    d["confidence"] = round(c.confidence, 3)
    # beyond SCHEMA.md, and only where set: ``corrected_by`` on a cell whose ``value`` is not what
    # ``text`` says, ``confirmed_by`` on a doubtful reading that the table's sums vouch for
    for key in ("corrected_by", "confirmed_by"):
        if not d[key]:
            del d[key]
    return d


def output_name(stem: str, sha256: str, owners: dict[str, str | None]) -> str:
    """The name a report's record is written under: its file's stem or, when a report of other
    content (or a file that is not a readable record) already has that name, the stem with the
    start of its sha256 added. ``owners`` (name → sha256 or None) is updated."""
    name = stem if owners.get(stem, sha256) == sha256 else f"{stem}-{sha256[:8]}"
    owners[name] = sha256
    return name


def failed_rules(record: dict) -> list[str]:
    return [c["rule"] for c in record["checks"] if c["status"] == "fail"]


def write_json(data: dict, path: Path) -> Path:
    """Write atomically: a reader (or a killed run) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(clean_tree(data), f, ensure_ascii=False, indent=1)   # file names may hold undecodable bytes
        os.chmod(tmp, 0o666 & ~_UMASK)   # mkstemp makes 0600; a record is for others to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
