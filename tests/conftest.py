"""Where the tests' inputs are, and the markers that let a run leave out the expensive ones
(``pytest -m "not ocr"`` reads no scan; ``-m "not slow"`` skips what takes more than ~5 s)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"          # the committed reports: PDF, truth and block labels each
SCANNED = FIXTURES / "scanned"        # the committed scans

# The layout engines' fixtures (training/generate.py ENGINE_FIXTURES, e19-lo-… / e21-web-…) that
# nianbao does not read exactly yet, and what it misreads there. Their general fixes are another
# engineer's work in flight on the `text` branch (9edd44b: a row broken by the page read whole, its
# cells sure; 20ee35d: "all 12 read exactly"). Until it lands they stay out of the exact-reading tests
# (``exact``); test_extract.py's test_engine_misreadings_are_flagged holds them to what must already
# hold: no wrong cell without a doubt or a failing check that names it.
ENGINE_PENDING = {
    "e19-web-row-split": "rows broken by the page: 7 right cells of not_processed.petition_complaint … left at 0.5, "
                         "so cells.confident fails",
    "e21-lo-legacy-zero": "tables printed blank, the review table broken after its first header row: values right, "
                          "but 161 blank cells have no box (reconstruct finds no cell for them)",
}


def exact(names):
    """The fixtures of ``names`` (stems or paths) that nianbao reads exactly: all but ENGINE_PENDING."""
    return [n for n in names if getattr(n, "stem", n) not in ENGINE_PENDING]
