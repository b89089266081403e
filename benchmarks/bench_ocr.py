"""Accuracy and speed of nianbao on scanned reports, against RapidOCR's own full-page run.

    python benchmarks/bench_ocr.py [--pages 100] [--seed 400000] [--model DIR] [--engines typeset libreoffice chromium]

Generates reports afresh (both formats, seeds the fixtures do not use; laid out by each of
``--engines``: typeset.py, LibreOffice from a Word document, headless Chromium), scans every page with
random degradations (training/scan.py: 150–300 dpi, turned 0/90/180/270°, skewed ±5°, noise, blur,
uneven lighting, JPEG, a red seal over the numbers), until ``--pages`` pages, and prints:
(each report is also photographed or faxed, ``--kinds``, and those figures printed per kind)
- cell accuracy: template cells whose value is right, of all template cells (and the same for the
  text-layer PDF the scan was made from, so that OCR's own share of the errors shows);
- wrong cells left unflagged: wrong, yet no failing check names them (target: none);
- right cells flagged: right, yet a failing check names them, so a person will look at them (the
  cells an injected inconsistency names are not counted: the report asks for that look);
- seconds per scanned page on one core: nianbao's whole extraction (render, clean, deskew, rulings,
  recognition, classify, reconstruct, validate; the recogniser's share and the rest apart)
  against RapidOCR's full-page detection + classification + recognition alone on the same pages
  rendered at 200 dpi, both with one onnxruntime thread. CPU seconds (process time) are the
  figure to quote on a shared machine; wall-clock seconds are printed beside them. The figure to
  hold is the ratio of the two medians.
- onnxruntime calls per scanned page: nianbao's recogniser runs (and the lines and columns they
  are given, and the CPU seconds they take) and line-classifier runs, against RapidOCR's detector,
  classifier and recogniser runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pymupdf  # noqa: E402
from scoring import score  # noqa: E402

from extractor.pipeline import extract  # noqa: E402
from extractor.stages.classify import load_model  # noqa: E402
from extractor.stages.ocr import reader as ocr  # noqa: E402
from training.engines import missing  # noqa: E402
from training.generate import lay_out, report_for, truth_of  # noqa: E402
from training.layout import ENGINES  # noqa: E402
from training.scan import KINDS, scan_report  # noqa: E402


def timed(run) -> tuple[object, float, float]:
    """What ``run()`` returns, its CPU seconds and its wall-clock seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    out = run()
    return out, time.process_time() - cpu, time.perf_counter() - wall


class Counted:
    """An onnxruntime session (or a RapidOCR model wrapping one) that counts its runs, and the
    lines and columns of the batches it is given."""

    def __init__(self, session, name: str, counts: Counter):
        self.session, self.name, self.counts = session, name, counts

    def __call__(self, x, *args, **kwargs):
        self.counts[self.name] += 1
        if getattr(x, "ndim", 0) == 4:      # a batch of lines: (lines, channels, height, columns)
            self.counts[f"{self.name} lines"] += x.shape[0]
            self.counts[f"{self.name} columns"] += x.shape[0] * x.shape[3]
        cpu = time.process_time()
        out = self.session(x, *args, **kwargs)
        self.counts[f"{self.name} CPU s"] += time.process_time() - cpu
        return out

    def __getattr__(self, name):
        return getattr(self.session, name)


def rapidocr_seconds(engine, pdf: bytes) -> list[tuple[float, float]]:
    """RapidOCR's full-page run on each page rendered at ocr.DPI: (CPU, wall) seconds."""
    out = []
    for page in pymupdf.open(stream=pdf, filetype="pdf"):
        pix = page.get_pixmap(dpi=ocr.DPI, alpha=False)
        image = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3)
        out.append(timed(lambda image=image: engine(image))[1:])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=100, help="scanned pages to run (at least)")
    parser.add_argument("--seed", type=int, default=400_000, help="first report seed")
    parser.add_argument("--model", type=Path, help="layout model directory (default: the shipped one)")
    parser.add_argument("--no-rapidocr", action="store_true", help="skip RapidOCR's full-page run")
    parser.add_argument("--engines", nargs="+", default=["typeset"], choices=("typeset", *ENGINES),
                        help="who lays the reports out before they are printed and scanned, figures per "
                             "engine (default: %(default)s)")
    parser.add_argument("--kinds", default="scan,photo,fax",
                        help="besides the plain scans, each report also photographed, faxed or scanned in black "
                             f"and white (in turn), figures per kind (of {','.join(KINDS)}; default: %(default)s, "
                             "the kinds earlier figures were measured on; 'scan' alone as before)")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    engine = None
    if not args.no_rapidocr:
        from rapidocr_onnxruntime import RapidOCR
        engine = RapidOCR(intra_op_num_threads=ocr.THREADS, inter_op_num_threads=1)
    ours_calls: Counter = Counter()      # every run, the other kinds' too …
    scanned_calls: Counter = Counter()   # … and those of the plain scans, the pages timed
    theirs_calls: Counter = Counter()
    recogniser = ocr.recogniser()   # loaded once, as a long-running service would
    recogniser.session = Counted(recogniser.session, "recogniser", ours_calls)
    recogniser.classifier.infer = Counted(recogniser.classifier.infer, "line classifier", ours_calls)
    if engine is not None:
        for part, attribute, name in ((engine.text_det, "infer", "detector"), (engine.text_cls, "infer", "line classifier"),
                                      (engine.text_rec, "session", "recogniser")):
            setattr(part, attribute, Counted(getattr(part, attribute), name, theirs_calls))

    for engine_name in args.engines:
        reason = missing(engine_name) if engine_name != "typeset" else None
        if reason:
            print(f"\n== scans of {engine_name} reports: not run ({reason})")
            continue
        for counts in (ours_calls, scanned_calls, theirs_calls):
            counts.clear()
        cells = text_wrong = alarms = 0
        wrong, silent, ours, theirs = [], [], [], []
        pages, seed = 0, args.seed
        kinds: dict[str, dict] = {}
        while pages < args.pages:
            content, style = report_for(seed, "2019" if seed % 2 else "2021", engine_name)
            ts = lay_out(content, style)
            truth = truth_of(content, style, ts)
            pdf, _ = scan_report(ts.pdf, truth, seed)
            n = pymupdf.open(stream=pdf, filetype="pdf").page_count

            before = ours_calls.copy()
            record, cpu, wall = timed(lambda pdf=pdf, name=content.name: extract(pdf, name=name, model=model))
            scanned_calls.update(ours_calls - before)
            ours += [(cpu / n, wall / n)] * n
            result = score(record, truth)
            bad, unflagged = result.wrong, result.unflagged
            cells += result.cells
            wrong += [f"{content.name}: {c}" for c in bad]
            silent += [f"{content.name}: {c}" for c in unflagged]
            alarms += len(result.alarms)
            text_wrong += len(score(extract(ts.pdf, model=model), truth).wrong)
            if engine is not None:
                theirs += rapidocr_seconds(engine, pdf)
            # the same report photographed or faxed (alternately): a figure of its own per kind
            others = [k for k in args.kinds.split(",") if k != "scan"]
            if others:
                kind = others[seed % len(others)]
                other, _ = scan_report(ts.pdf, truth, seed, kind=kind)
                result = score(extract(other, name=content.name, model=model), truth)
                tally = kinds.setdefault(kind, {"pages": 0, "cells": 0, "wrong": 0, "silent": []})
                tally["pages"] += n
                tally["cells"] += result.cells
                tally["wrong"] += len(result.wrong)
                tally["silent"] += [f"{content.name} ({kind}): {c}" for c in result.unflagged]
                print(f"{content.name} {kind}: {len(result.wrong)} wrong ({len(result.unflagged)} unflagged)", file=sys.stderr)
            pages += n
            seed += 1
            print(f"{content.name}: {n} pages, {len(bad)} wrong ({len(unflagged)} unflagged), "
                  f"{ours[-1][0]:.2f} CPU s/page", file=sys.stderr)

        print(f"\n== scans of {engine_name} reports")
        print(f"scanned pages: {pages} ({seed - args.seed} reports)")
        print(f"cell accuracy: {1 - len(wrong) / cells:.2%} of {cells} cells "
              f"(text layer of the same reports: {1 - text_wrong / cells:.2%})")
        print(f"wrong cells left unflagged: {len(silent)} ({len(silent) / cells:.3%} of cells, "
              f"{len(silent) / max(len(wrong), 1):.1%} of wrong cells)")
        for c in silent[:20]:
            print(f"  unflagged: {c}")
        print(f"right cells flagged for a person to check: {alarms} ({alarms / cells:.2%} of cells; "
              "not counting those an injected inconsistency names)")
        for kind, tally in kinds.items():
            print(f"{kind} (the same reports): {tally['pages']} pages, cell accuracy "
                  f"{1 - tally['wrong'] / max(tally['cells'], 1):.2%} of {tally['cells']} cells, "
                  f"wrong cells left unflagged: {len(tally['silent'])}")
            for c in tally["silent"][:10]:
                print(f"  unflagged: {c}")
        medians = {}
        for who, runs in (("nianbao (everything)", ours), ("RapidOCR full page", theirs)):
            if runs:
                cpu, wall = [statistics.median(r[k] for r in runs) for k in (0, 1)]
                medians[who] = cpu
                mean = statistics.fmean(r[0] for r in runs)
                print(f"seconds per page at {ocr.DPI} dpi, {who}: CPU median {cpu:.2f} (mean {mean:.2f}), wall median {wall:.2f}")
                if runs is ours:
                    # the recogniser's own CPU is counted inside it: the rest is everything else a page costs
                    recognising = scanned_calls["recogniser CPU s"] / pages
                    print(f"  of which the recogniser {recognising:.3f} (mean), everything else (render, cleaning, "
                          f"turning, levelling, rulings, lines, line classifier, classify, reconstruct, validate) "
                          f"{mean - recognising:.3f}")
        if len(medians) == 2:
            ratio = medians["nianbao (everything)"] / medians["RapidOCR full page"]
            print(f"CPU per scanned page, nianbao / RapidOCR full page: {ratio:.3f} "
                  f"({medians['nianbao (everything)']:.2f} s against {medians['RapidOCR full page']:.2f} s, same pages, one run)")
        for who, counts in (("nianbao", scanned_calls), ("RapidOCR full page", theirs_calls)):
            if counts:
                print(f"onnxruntime runs per page, {who}: "
                      + ", ".join(f"{name} {count / pages:.{2 if name.endswith('CPU s') else 1}f}"
                                  for name, count in sorted(counts.items())))

if __name__ == "__main__":
    main()
