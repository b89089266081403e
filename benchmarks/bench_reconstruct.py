"""Reconstruct: median milliseconds per page, and how many template cells it reads right.

    python benchmarks/bench_reconstruct.py [PDF ...] [--repeat N] [--model DIR | --truth-labels]

Without arguments: every PDF in fixtures/. Each PDF is ingested and classified once; only
``reconstruct`` is timed, ``repeat`` times, in CPU time of this process (``time.process_time``)
so that other work on a shared machine does not inflate it. The first run of the whole set is
reported apart: it fills the label-matching caches that later documents reuse.

Where ``NAME.truth.json`` lies beside a PDF, every template cell is compared with it (value and
type, null where the truth is null) and the wrong ones are split into *flagged* (confidence below
0.9, which validate's cells.confident names) and *unflagged*. ``--truth-labels`` takes the block
labels from ``NAME.blocks.jsonl`` instead of the classifier, to tell reconstruct's own errors from
the classifier's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.settings import REVIEW  # noqa: E402
from extractor.spec.templates import get_value, template_cells  # noqa: E402
from extractor.stages.ingest import ingest  # noqa: E402
from extractor.stages.reconstruct import reconstruct  # noqa: E402
from extractor.types import LABELS, LabelledBlock  # noqa: E402


def truth_labels(pages, blocks_jsonl: Path) -> list[LabelledBlock]:
    from extractor.labelfiles import read_truth_blocks
    from extractor.learning.training import match_labels

    labels = match_labels(pages, read_truth_blocks(blocks_jsonl))
    blocks = [b for p in pages for b in p.blocks]
    return [LabelledBlock(b, LABELS[k] if k >= 0 else "other", 1.0) for b, k in zip(blocks, labels)]


def score(truth: dict, reading) -> tuple[int, int, list[str], list[str]]:
    """(cells, right, flagged wrong, unflagged wrong) over every template cell of the truth."""
    keys = list(template_cells(truth["report"]["format"]))
    keys += sorted({(c["table"], c["row"], c["column"]) for c in truth["cells"]} - set(keys))
    got = {(c.table, c.row, c.column): c for c in reading.cells}
    flagged, unflagged = [], []
    for key in keys:
        want, have = get_value(truth["tables"], *key), get_value(reading.tables, *key)
        if want == have and type(want) is type(have):
            continue
        cell = got.get(key)
        name = "/".join(k for k in key if k)
        (flagged if cell is None or cell.confidence < REVIEW.confident else unflagged).append(
            f"{name} = {have!r} (truth {want!r})")
    return len(keys), len(keys) - len(flagged) - len(unflagged), flagged, unflagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--model", type=Path, help="layout model directory (default: the shipped one)")
    parser.add_argument("--truth-labels", action="store_true")
    args = parser.parse_args()
    pdfs = args.pdfs or sorted((ROOT / "fixtures").glob("*.pdf"))
    if not pdfs:
        sys.exit("no PDFs given and none in fixtures/")
    if not args.truth_labels:
        from extractor.stages.classify import classify, load_model
        model = load_model(args.model)

    inputs = []
    for pdf in pdfs:
        doc = ingest(pdf)
        labelled = (truth_labels(doc.pages, pdf.with_suffix(".blocks.jsonl")) if args.truth_labels
                    else classify(doc.pages, model))
        inputs.append((pdf, doc.pages, labelled))

    cold, warm, pages = [], [], 0
    all_right = cells = right = flagged = unflagged = 0
    for pdf, doc_pages, labelled in inputs:
        n = max(len(doc_pages), 1)
        pages += n
        start = time.process_time()
        reading = reconstruct(doc_pages, labelled)
        cold.append((time.process_time() - start) * 1000 / n)
        for _ in range(args.repeat):
            start = time.process_time()
            reconstruct(doc_pages, labelled)
            warm.append((time.process_time() - start) * 1000 / n)
        truth_file = pdf.with_suffix(".truth.json")
        if truth_file.exists():
            truth = json.loads(truth_file.read_text("utf-8"))
            c, r, f, u = score(truth, reading)
            fmt_ok = reading.format == truth["report"]["format"] and reading.units == truth["units"]
            cells, right, flagged, unflagged = cells + c, right + r, flagged + len(f), unflagged + len(u)
            all_right += r == c and fmt_ok
            status = "ok" if r == c and fmt_ok else "WRONG"
            print(f"{pdf.stem:32s} {r:4d}/{c} cells right  {status}"
                  + ("" if fmt_ok else f"  format {reading.format} units {reading.units}"))
            for line in f[:5]:
                print(f"    flagged   {line}")
            for line in u[:5]:
                print(f"    UNFLAGGED {line}")
    print(f"\n{len(inputs)} PDFs, {pages} pages, labels from "
          f"{'the truth' if args.truth_labels else 'the classifier'}")
    print(f"reconstruct  median {statistics.median(warm):6.2f} ms/page (p90 "
          f"{max(warm) if len(warm) < 2 else statistics.quantiles(warm, n=10)[-1]:.2f}); first run {statistics.median(cold):.2f} ms/page")
    if cells:
        print(f"cells right  {right}/{cells} ({100 * right / cells:.2f}%); reports with every cell right "
              f"{all_right}/{len(inputs)}; wrong cells flagged {flagged}, unflagged {unflagged}")


if __name__ == "__main__":
    main()
