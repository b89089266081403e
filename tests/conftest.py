"""Where the tests' inputs are, and the markers that let a run leave out the expensive ones
(``pytest -m "not ocr"`` reads no scan; ``-m "not slow"`` skips what takes more than ~5 s)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"          # the committed reports: PDF, truth and block labels each
SCANNED = FIXTURES / "scanned"        # the committed scans
UNSEEN = FIXTURES / "unseen"          # reports of the engines no model learns from
