"""Train the layout classifier on labelled reports and write it with its model card.

    python -m training.train_layout DIR [DIR …] -o models/layout [--held-out fixtures]

Each ``NAME.pdf`` in a DIR that has a ``NAME.blocks.jsonl`` beside it is a labelled report: it
is ingested exactly as ``extract`` would, and each block takes its label from the truth block
it lies in (``training.labels``). Cross-validation folds are grouped by report, so no report
has blocks on both sides; the held-out reports (the committed fixtures) are never trained on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from extractor.classify import FEATURE_VERSION, FEATURES, featurize, predict_proba, save_model, train
from extractor.data import LABELS
from extractor.ingest import ingest
from training.labels import UNMATCHED, match_labels, read_truth_blocks


@dataclass
class Report:
    name: str
    X: np.ndarray
    y: np.ndarray
    pages: int
    unmatched: int
    sha256: str            # of the PDF and its labels together
    seed: int | None       # the generator's seed, from NAME.truth.json when there is one


@dataclass
class Scores:
    support: np.ndarray    # per label, in LABELS order
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    accuracy: float


def labelled_pdfs(dirs: list[Path]) -> list[Path]:
    return sorted(p for d in dirs for p in Path(d).glob("*.pdf") if p.with_suffix(".blocks.jsonl").exists())


def load_reports(pdfs: list[Path]) -> list[Report]:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor() as pool:
        return list(pool.map(load_report, pdfs, chunksize=4))


def load_report(pdf: Path) -> Report:
    labels_path = pdf.with_suffix(".blocks.jsonl")
    doc = ingest(pdf)
    y = match_labels(doc.pages, read_truth_blocks(labels_path))
    keep = y != UNMATCHED
    digest = hashlib.sha256(pdf.read_bytes() + labels_path.read_bytes()).hexdigest()
    truth = pdf.with_suffix(".truth.json")
    seed = json.loads(truth.read_text("utf-8")).get("seed") if truth.exists() else None
    return Report(pdf.stem, featurize(doc.pages)[keep], y[keep], len(doc.pages),
                  int((~keep).sum()), digest, seed)


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> Scores:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=range(len(LABELS)), zero_division=0)
    return Scores(s, p, r, f, float((y_true == y_pred).mean()))


def cross_validate(reports: list[Report], folds: int = 5) -> Scores:
    """Scores of predictions made by models that never saw the report a block comes from."""
    from sklearn.model_selection import GroupKFold

    X, y = np.concatenate([r.X for r in reports]), np.concatenate([r.y for r in reports])
    groups = np.concatenate([np.full(len(r.y), i) for i, r in enumerate(reports)])
    pred = np.empty_like(y)
    for train_idx, test_idx in GroupKFold(n_splits=min(folds, len(reports))).split(X, y, groups):
        model = train(X[train_idx], y[train_idx])
        pred[test_idx] = model.classes_[predict_proba(model, X[test_idx]).argmax(axis=1)]
    return scores(y, pred)


def evaluate(model, reports: list[Report]) -> Scores:
    y = np.concatenate([r.y for r in reports])
    proba = predict_proba(model, np.concatenate([r.X for r in reports]))
    return scores(y, model.classes_[proba.argmax(axis=1)])


def format_scores(s: Scores) -> str:
    lines = ["| label | precision | recall | F1 | blocks |", "|---|---|---|---|---|"]
    for i, label in enumerate(LABELS):
        lines.append(f"| {label} | {s.precision[i]:.4f} | {s.recall[i]:.4f} | {s.f1[i]:.4f} | {s.support[i]} |")
    lines.append(f"\naccuracy {s.accuracy:.4f} over {int(s.support.sum())} blocks")
    return "\n".join(lines)


def _data_table(reports: list[Report]) -> str:
    combined = hashlib.sha256("".join(r.sha256 for r in reports).encode()).hexdigest()
    counts = np.bincount(np.concatenate([r.y for r in reports]), minlength=len(LABELS))
    seeds = sorted(r.seed for r in reports if r.seed is not None)
    contiguous = len(seeds) == len(reports) and seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    lines = [f"Generated with `python -m training.generate -o DIR --count {len(seeds)} --seed {seeds[0]}`."
             if contiguous else f"Generator seeds: {', '.join(map(str, seeds)) or 'none'}.", "",
             f"{len(reports)} reports, {sum(r.pages for r in reports)} pages, "
             + ", ".join(f"{n} {label}" for label, n in zip(LABELS, counts))
             + f" blocks ({sum(r.unmatched for r in reports)} unmatched blocks left out); "
             f"sha256 of the set `{combined}`.", "",
             "<details><summary>per report: name, pages, blocks, sha256 of PDF + labels</summary>", ""]
    lines += [f"- {r.name} {r.pages} {len(r.y)} `{r.sha256[:16]}`" for r in reports]
    return "\n".join(lines + ["", "</details>"])


def model_card(model, train_reports: list[Report], held_out: list[Report], cv: Scores,
               held_out_scores: Scores | None, sources: list[str], ms_per_page: float) -> str:
    import sklearn
    import skops

    held = (format_scores(held_out_scores) if held_out_scores else "(no held-out reports given)")
    return f"""# Layout classifier (heading / table_cell / prose / other)

Labels every block that `extractor.ingest` produces so that the reconstructor builds grids from
`table_cell` blocks, headings split the report into its sections, and the prose check reads
`prose`. Loaded by `extractor.classify.load_model` (skops, trusted types only).

- feature version: **{FEATURE_VERSION}** (`extractor.classify.FEATURE_VERSION`; a model with another
  version is refused)
- estimator: `{model!r}`
- trained {datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")} with
  `python -m training.train_layout {' '.join(sources)}`
- libraries: Python {platform.python_version()}, scikit-learn {sklearn.__version__},
  numpy {np.__version__}, skops {skops.__version__}
- labels come from the typesetter's truth blocks (`NAME.blocks.jsonl`): a block takes the label of
  the truth block containing its centre (most overlap wins); blocks inside none are left out
- cost: featurize + predict {ms_per_page:.2f} ms of CPU per page (median over the held-out reports, one thread)

## Per-class scores on held-out fixtures

Reports never seen in training ({len(held_out)} reports):

{held}

## Cross-validation on the training data

{min(5, len(train_reports))}-fold, grouped by report (no report in both train and test folds):

{format_scores(cv)}

## Features ({len(FEATURES)})

{", ".join(f"`{f}`" for f in FEATURES)}

Geometry is relative to the page and to the document's text column, sizes to the document's
body size, distances in body-text heights (clipped at 40 = nothing near). See
`extractor/classify.py`.

## Training data

{_data_table(train_reports)}

## Held-out data

{_data_table(held_out) if held_out else "(none)"}

## Known limits

Trained only on generated reports (`training.generate`): the layouts the typesetter can draw.
A layout family it lacks (e.g. tables without rulings in every table, two-column pages) may be
misread; label a few such reports and retrain (issue 5).
"""


def ms_per_page(model, pdfs: list[Path]) -> float:
    from extractor.classify import classify

    times = []
    for pdf in pdfs:
        pages = ingest(pdf).pages
        classify(pages, model)
        start = time.process_time()   # CPU time: other work on a shared machine does not count
        for _ in range(5):
            classify(pages, model)
        times.append((time.process_time() - start) / 5 / max(len(pages), 1) * 1000)
    return float(np.median(times)) if times else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path, help="directories of NAME.pdf + NAME.blocks.jsonl")
    parser.add_argument("-o", "--out", type=Path, required=True, help="model directory to write")
    parser.add_argument("--held-out", type=Path, nargs="*", default=[],
                        help="directories of labelled reports to score on and never train on")
    args = parser.parse_args(argv)

    held_pdfs = labelled_pdfs(args.held_out)
    held_names = {p.stem for p in held_pdfs}
    train_reports = load_reports([p for p in labelled_pdfs(args.dirs) if p.stem not in held_names])
    held_out = load_reports(held_pdfs)
    if len(train_reports) < 2:
        raise SystemExit("need at least two labelled reports to train and cross-validate")

    cv = cross_validate(train_reports)
    print("cross-validation, grouped by report:\n" + format_scores(cv))
    model = train(np.concatenate([r.X for r in train_reports]), np.concatenate([r.y for r in train_reports]))
    held_scores = evaluate(model, held_out) if held_out else None
    if held_scores:
        print("\nheld out:\n" + format_scores(held_scores))
    speed = ms_per_page(model, held_pdfs or labelled_pdfs(args.dirs)[:10])
    print(f"\n{speed:.2f} ms of CPU per page (featurize + predict)")

    path = save_model(model, args.out)
    sources = [str(d) for d in args.dirs] + (["--held-out", *map(str, args.held_out)] if args.held_out else [])
    (args.out / "MODEL_CARD.md").write_text(
        model_card(model, train_reports, held_out, cv, held_scores, sources + ["-o", str(args.out)], speed),
        encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) and {args.out / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
