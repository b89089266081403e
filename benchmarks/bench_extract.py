"""Accuracy and speed of ``nianbao extract`` on reports generated afresh, against what a user would try.

    python benchmarks/bench_extract.py [--count 200] [--seed 100000] [--engines typeset libreoffice chromium]

Generates ``--count`` reports per layout engine (both formats, seeds the fixtures do not use; the
engines ``typeset.py``, LibreOffice from a Word document, headless Chromium from a web page, and
the same page printed by wkhtmltopdf and by WeasyPrint, which no model learns from),
extracts each and prints, per engine:
- the share of reports with every template cell right, and the wrong cells no failing check names
  (silent errors — the target is none);
- whether every injected inconsistency was reported and clean reports had no failing rule;
- median milliseconds per page (one core, everything included) for nianbao, for bare PyMuPDF text
  extraction (``page.get_text()``) and for ``pymupdf4llm.to_markdown``;
- how many rows of the applications and review/litigation tables each gets exactly right (label
  found and every printed number equal, in order).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pymupdf  # noqa: E402
from scoring import score  # noqa: E402

from extractor.pipeline import extract  # noqa: E402
from extractor.stages.classify import load_model  # noqa: E402
from training.generate import lay_out, report_for, truth_of  # noqa: E402
from training.layout import ENGINES  # noqa: E402

NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def printed_rows(content) -> dict[str, tuple[str, list[str]]]:
    """Row id -> (a distinctive piece of its printed label, the numbers printed in it, in order)."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for (table, row), label in content.row_labels.items():
        if table != "applications":
            continue
        sub = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[)）、.．]?", "", label.split(" ")[-1])
        nums = [content.cell_text.get(("applications", row, c), "") for c in
                ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
                 "legal_service_org", "other_org", "total")]
        rows[f"applications/{row}"] = (sub[:5], [n for t in nums for n in NUMBER.findall(t)])
    review = [content.cell_text.get(("review_litigation", k, None), "") for k in
              sorted({k[1] for k in content.cell_text if k[0] == "review_litigation"},
                     key=lambda k: list(content.cell_text).index(("review_litigation", k, None)))]
    rows["review_litigation"] = ("", [n for t in review for n in NUMBER.findall(t)])
    return rows


def rows_right_in_text(text: str, rows) -> int:
    """Rows a reader of plain text gets right: a line holding the label, then exactly its numbers."""
    lines = [re.sub(r"\s+", " ", ln) for ln in text.splitlines()]
    right = 0
    for label, numbers in rows.values():
        for ln in lines:
            flat = ln.replace(" ", "").replace("|", "")
            if label and label not in flat:
                continue
            tail = ln[ln.find(label[-1]) + 1:] if label else ln
            if NUMBER.findall(tail.replace("|", " ")) == numbers and numbers:
                right += 1
                break
    return right


def rows_right_in_record(record: dict, content) -> int:
    right = 0
    app = record["tables"]["applications"]
    for (table, row) in content.row_labels:
        if table == "applications" and row in app:
            if all(app[row].get(c) == content.tables["applications"][row][c] for c in app[row]):
                right += 1
    rl = record["tables"]["review_litigation"]
    right += all(rl.get(k) == v for k, v in content.tables["review_litigation"].items())
    return right


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=100_000)
    ap.add_argument("--no-baselines", action="store_true", help="skip PyMuPDF and pymupdf4llm")
    ap.add_argument("--engines", nargs="+", default=["typeset"], choices=("typeset", *ENGINES))
    args = ap.parse_args()
    model = load_model()
    try:
        import pymupdf4llm
    except ImportError:
        pymupdf4llm = None
    for engine in args.engines:
        bench(engine, args, model, pymupdf4llm)


def bench(engine: str, args, model, pymupdf4llm) -> None:
    all_right = silent = injected_missed = clean_failed = pages_total = 0
    ms_ours, ms_bare, ms_llm = [], [], []
    rows_total = rows_ours = rows_bare = rows_llm = 0
    wrong_examples = []
    for i in range(args.count):
        seed = args.seed + i
        content, style = report_for(seed, "2019" if i % 2 else "2021", engine=engine)
        ts = lay_out(content, style)
        truth = truth_of(content, style, ts)

        t = time.process_time()
        record = extract(ts.pdf, name=f"{content.name}.pdf", model=model)
        pages = record["source"]["pages"]
        ms_ours.append((time.process_time() - t) * 1000 / pages)
        pages_total += pages

        result = score(record, truth)
        wrong, unflagged = result.wrong, result.unflagged
        all_right += not wrong
        silent += len(unflagged)
        if wrong and len(wrong_examples) < 10:
            wrong_examples.append(f"  seed {seed} {content.name}: {len(wrong)} wrong "
                                  f"({len(unflagged)} unflagged): {', '.join(wrong[:4])}")
        failed = {c["rule"] for c in record["checks"] if c["status"] == "fail"}
        expected = set(truth["expected_fail"])
        injected_missed += not expected <= failed
        clean_failed += bool(not expected and failed - {"cells.confident"})

        rows = printed_rows(content)
        rows_total += len(rows)
        rows_ours += rows_right_in_record(record, content)
        if not args.no_baselines:
            doc = pymupdf.open(stream=ts.pdf, filetype="pdf")
            t = time.process_time()
            text = "\n".join(p.get_text() for p in doc)
            ms_bare.append((time.process_time() - t) * 1000 / pages)
            rows_bare += rows_right_in_text(text, rows)
            if pymupdf4llm is not None:
                t = time.process_time()
                md = pymupdf4llm.to_markdown(doc, show_progress=False)
                ms_llm.append((time.process_time() - t) * 1000 / pages)
                rows_llm += rows_right_in_text(md, rows)
            doc.close()
        print(f"\r{engine} {i + 1}/{args.count}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    n = args.count
    print(f"\n== {engine}: {n} reports ({pages_total} pages), seeds {args.seed}–{args.seed + n - 1}, both formats")
    print(f"every cell right:       {all_right}/{n} = {100 * all_right / n:.1f}%  (target ≥ 99.5%)")
    print(f"silent wrong cells:     {silent}  (wrong and named by no failing check; target 0)")
    print(f"injected inconsistency not reported: {injected_missed}")
    print(f"clean reports with a failing rule:   {clean_failed}")
    for line in wrong_examples:
        print(line)
    print(f"\nmedian ms per page (CPU, one core) and table rows exactly right (of {rows_total}):")
    print(f"  nianbao extract      {statistics.median(ms_ours):7.1f} ms   {rows_ours} rows")
    if ms_bare:
        print(f"  PyMuPDF get_text     {statistics.median(ms_bare):7.1f} ms   {rows_bare} rows")
    if ms_llm:
        print(f"  pymupdf4llm          {statistics.median(ms_llm):7.1f} ms   {rows_llm} rows")


if __name__ == "__main__":
    main()
