"""Median milliseconds per page of ``ingest``, next to bare PyMuPDF text extraction.

    python benchmarks/bench_ingest.py [PDF ...] [--repeat N]

Without arguments: every PDF in fixtures/ (or /work/notes/samples/ while fixtures/ is empty).
Each file is read ``repeat`` times; the median is over all (file, run) timings per page.
Timings are CPU time of this process (``time.process_time``), so that other work on a shared
machine does not inflate them; on an idle machine wall time is the same.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.stages.ingest import ingest  # noqa: E402


def per_page_ms(read, data: bytes, pages: int, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        start = time.process_time()
        read(data)
        timings.append((time.process_time() - start) * 1000 / pages)
    return timings


def bare_text(data: bytes) -> None:
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            page.get_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pdfs = args.pdfs or sorted((ROOT / "fixtures").glob("*.pdf")) or sorted(Path("/work/notes/samples").glob("*.pdf"))
    if not pdfs:
        sys.exit("no PDFs given and none in fixtures/")

    ours, bare, pages = [], [], 0
    for pdf in pdfs:
        data = pdf.read_bytes()
        count = len(ingest(data).pages)   # also warms up
        pages += count
        ours += per_page_ms(ingest, data, count, args.repeat)
        bare += per_page_ms(bare_text, data, count, args.repeat)
    print(f"{len(pdfs)} PDFs, {pages} pages, {args.repeat} runs each")
    print(f"ingest                      median {statistics.median(ours):6.2f} ms/page   "
          f"p90 {statistics.quantiles(ours, n=10)[-1]:6.2f}")
    print(f"PyMuPDF page.get_text()     median {statistics.median(bare):6.2f} ms/page   "
          f"p90 {statistics.quantiles(bare, n=10)[-1]:6.2f}")


if __name__ == "__main__":
    main()
