"""Where the tests' inputs are, and the markers that let a run leave out the expensive ones
(``pytest -m "not ocr"`` reads no scan; ``-m "not slow"`` skips what takes more than ~5 s)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"          # the committed reports: PDF, truth and block labels each
SCANNED = FIXTURES / "scanned"        # the committed scans

# The layout engines' fixtures (training/generate.py ENGINE_FIXTURES, e19-lo-… / e21-web-…) that
# nianbao does not read exactly yet, and what it misreads there. The general fixes are another
# engineer's work in flight on the `text` branch (reconstruct: a row broken by the page, the review
# table broken after its first header row, blank tables' cells, a unit stated in a note, the 二 part
# as one small table per item; report: a title over two lines, the issuer), which reads all twelve
# exactly. Until it lands they stay out of the exact-reading tests (EXACT); test_extract.py's
# test_engine_misreadings_are_flagged holds them to the one thing that must already hold: no wrong
# cell without a doubt or a failing check that names it.
ENGINE_PENDING = {
    "e19-lo-note-lead": "title (two lines) not read; the procurement amount's unit (in a note) not read",
    "e19-lo-review-split": "（二）部分公开 row broken by the page: its 7 cells blank at 0.7 (applications.total_row, "
                           "cells.confident); review table broken after its first header row: its 5 cells not found",
    "e19-lo-zero-blank": "tables printed blank: their cells not found (tables.complete fails)",
    "e19-web-row-split": "rows broken by the page: 7 right cells left at 0.5 (cells.confident fails)",
    "e19-web-zero-note": "tables printed blank: cells not found; the unit in a note not read",
    "e21-lo-blocks": "the 二 part as one table per item: its 10 cells not found (tables.complete); the fees' unit "
                     "in a note not read",
    "e21-lo-legacy-zero": "blank review table broken after its first header row: review.total not found, "
                          "blank cells not found",
    "e21-lo-row-split": "（二）部分公开 row broken by the page: its 7 cells blank at 0.7 (applications.total_row, "
                        "cells.confident); title (two lines) not read",
    "e21-web-cell-lead": "unruled 二 part: its 10 cells not found (tables.complete); title and year not read, the "
                         "issuer read as the page number '－3－'; the fees' unit in the cell's note not read",
    "e21-web-review-split": "review table broken after its first header row: its 5 cells not found; title not read; "
                            "the fees' unit in a note not read",
    "e21-web-zero-blank": "tables printed blank: their cells not found (tables.complete fails)",
}


def exact(names):
    """The fixtures of ``names`` (stems or paths) that nianbao reads exactly: all but ENGINE_PENDING."""
    return [n for n in names if getattr(n, "stem", n) not in ENGINE_PENDING]
