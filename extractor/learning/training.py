"""Train and score the layout classifier on labelled reports; write its model card.

A labelled report is a ``NAME.pdf`` with its block labels beside it: ``NAME.blocks.jsonl`` (the
typesetter's truth, one box per printed line or table cell) or ``NAME.labels.jsonl`` (a file
written by ``nianbao label`` and corrected by a person, one box per extracted block). Both are
lines of ``{"page", "bbox", "text", "label"}`` and are matched to the blocks ``ingest`` rebuilds the
same way: a block takes the label of the box that contains its centre, the one it overlaps most
when several do; a block inside none has no label and is left out of training and scoring.

Used by ``nianbao train`` / ``evaluate`` and by ``python -m training.train_layout``.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from extractor.labelfiles import LABEL_FILES, match_truth, read_truth_blocks
from extractor.pipeline import read
from extractor.stages.classify import FEATURE_VERSION, FEATURES, featurize
from extractor.stages.classify.model import LayoutModel
from extractor.types import LABELS, Page

# The shipped labelled reports, inside the package (so offline, from a wheel too): the committed
# fixtures, PDFs with the typesetter's truth blocks; features are recomputed from the PDFs,
# so they always match this code's FEATURE_VERSION. The scans are among them so that a model
# retrained for a new layout still reads scans (read by OCR: some seconds a page).
_SHIPPED = Path(__file__).resolve().parent / "shipped"   # a link to fixtures/, carried by the wheel
SHIPPED_DATA = (_SHIPPED, _SHIPPED / "scanned")

UNLABELLED = ""   # a block no label line holds: left out of training and scoring


def match_labels(pages: list[Page], truth: list[dict]) -> np.ndarray:
    """One label per block of ``pages``, ``UNLABELLED`` where no line of ``truth`` holds it."""
    found = match_truth(pages, truth)
    labels = np.array([t["label"] for t in truth] + [UNLABELLED])
    return labels[found]    # UNMATCHED (-1) picks the sentinel at the end


# --- labelled reports -------------------------------------------------------------------------

@dataclass
class Report:
    name: str
    X: np.ndarray
    y: np.ndarray          # the label of each row of X
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


def label_file(pdf: Path) -> Path | None:
    """The labels beside ``pdf``: a person's ``NAME.labels.jsonl`` first, else the typesetter's."""
    return next((p for p in (pdf.with_name(pdf.stem + s) for s in LABEL_FILES) if p.exists()), None)


def labelled_pdfs(dirs: list[Path]) -> list[Path]:
    return sorted(p for d in dirs for p in Path(d).glob("*.pdf") if label_file(p) is not None)


def load_reports(pdfs: list[Path]) -> list[Report]:
    from concurrent.futures import ProcessPoolExecutor

    if len(pdfs) < 4:   # starting processes costs more than reading a few reports
        return [load_report(p) for p in pdfs]
    with ProcessPoolExecutor() as pool:
        return list(pool.map(load_report, pdfs, chunksize=4))


def load_report(pdf: Path) -> Report:
    labels_path = label_file(pdf)
    if labels_path is None:
        raise FileNotFoundError(f"{pdf} has no label file beside it ({' or '.join(LABEL_FILES)})")
    doc = read(pdf)     # a scanned report is labelled and read from its image
    y = match_labels(doc.pages, read_truth_blocks(labels_path))
    keep = y != UNLABELLED
    digest = hashlib.sha256(pdf.read_bytes() + labels_path.read_bytes()).hexdigest()
    truth = pdf.with_suffix(".truth.json")
    seed = json.loads(truth.read_text("utf-8")).get("seed") if truth.exists() else None
    return Report(pdf.stem, featurize(doc.pages)[keep], y[keep], len(doc.pages),
                  int((~keep).sum()), digest, seed)


def fit(reports: list[Report]) -> LayoutModel:
    return LayoutModel().fit(np.concatenate([r.X for r in reports]), np.concatenate([r.y for r in reports]))


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> Scores:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(LABELS), zero_division=0)
    return Scores(s, p, r, f, float((y_true == y_pred).mean()))


def cross_validate(reports: list[Report], folds: int = 5) -> Scores:
    """Scores of predictions made by models that never saw the report a block comes from."""
    from sklearn.model_selection import GroupKFold, cross_val_predict

    X, y = np.concatenate([r.X for r in reports]), np.concatenate([r.y for r in reports])
    groups = np.concatenate([np.full(len(r.y), i) for i, r in enumerate(reports)])
    pred = cross_val_predict(LayoutModel(), X, y, groups=groups, cv=GroupKFold(n_splits=min(folds, len(reports))))
    return scores(y, pred)


def evaluate(model, reports: list[Report]) -> Scores:
    return scores(np.concatenate([r.y for r in reports]), model.predict(np.concatenate([r.X for r in reports])))


def format_scores(s: Scores) -> str:
    lines = ["| label | precision | recall | F1 | blocks |", "|---|---|---|---|---|"]
    for i, label in enumerate(LABELS):
        lines.append(f"| {label} | {s.precision[i]:.4f} | {s.recall[i]:.4f} | {s.f1[i]:.4f} | {s.support[i]} |")
    lines.append(f"\naccuracy {s.accuracy:.4f} over {int(s.support.sum())} blocks")
    return "\n".join(lines)


# --- the model card ---------------------------------------------------------------------------

def _data_table(reports: list[Report]) -> str:
    combined = hashlib.sha256("".join(r.sha256 for r in reports).encode()).hexdigest()
    labels = np.concatenate([r.y for r in reports])
    counts = [int((labels == label).sum()) for label in LABELS]
    lines = [_provenance(reports), "",
             f"{len(reports)} reports, {sum(r.pages for r in reports)} pages, "
             + ", ".join(f"{n} {label}" for label, n in zip(LABELS, counts))
             + f" blocks ({sum(r.unmatched for r in reports)} unmatched blocks left out); "
             f"sha256 of the set `{combined}`.", "",
             "<details><summary>per report: name, pages, blocks, sha256 of PDF + labels</summary>", ""]
    lines += [f"- {r.name} {r.pages} {len(r.y)} `{r.sha256[:16]}`" for r in reports]
    return "\n".join(lines + ["", "</details>"])


# the generator's layout engines (training.layout.ENGINES), as its report names end
LAYOUT_ENGINES = ("libreoffice", "chromium", "wkhtmltopdf", "weasyprint")


def _provenance(reports: list[Report]) -> str:
    """How to generate the training set again: one generator command per run of seeds."""
    if any(r.seed is None or r.seed < 0 for r in reports):     # -1: a real report re-typeset
        seeds = sorted(r.seed for r in reports if r.seed is not None and r.seed >= 0)
        return (f"Generator seeds: {', '.join(map(str, seeds)) or 'none'}; the other reports are real "
                "ones re-typeset or labelled by hand.")

    def kind(r: Report) -> tuple[bool, str]:    # scanned, and the layout engine its name ends with
        scanned = r.name.endswith("-scan")
        engine = r.name.removesuffix("-scan").rsplit("-", 1)[-1]
        return scanned, engine if engine in LAYOUT_ENGINES else "typeset"

    runs: list[list] = []      # [first seed, count, scanned, engine]
    for r in sorted(reports, key=lambda r: (kind(r)[0], kind(r)[1] != "typeset", kind(r)[1], r.seed)):
        scanned, engine = kind(r)
        if runs and runs[-1][2:] == [scanned, engine] and runs[-1][0] + runs[-1][1] == r.seed:
            runs[-1][1] += 1
        else:
            runs.append([r.seed, 1, scanned, engine])
    return "Generated with " + "; ".join(
        f"`python -m training.generate -o DIR --count {n} --seed {first}"
        f"{f' --engine {engine}' if engine != 'typeset' else ''}{' --scanned' if scanned else ''}`"
        + (" (its `-scan.pdf` reports)" if scanned else "") for first, n, scanned, engine in runs) + "."


def model_card(model, train_reports: list[Report], held_out: list[Report], cv: Scores,
               held_out_scores: Scores | None, command: str, ms_per_page: float, folds: int = 5) -> str:
    import sklearn
    import skops

    held = (format_scores(held_out_scores) if held_out_scores else "(no held-out reports given)")
    return f"""# Layout classifier (heading / table_cell / prose / other)

Labels every block that `extractor.stages.ingest` produces so that the reconstructor builds grids from
`table_cell` blocks, headings split the report into its sections, and the prose check reads
`prose`. Loaded by `extractor.stages.classify.load_model` (skops, trusted types only).

- feature version: **{FEATURE_VERSION}** (`extractor.stages.classify.FEATURE_VERSION`; a model with another
  version is refused)
- estimator: `{model!r}`
- trained {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} with
  `{command}`
- libraries: Python {platform.python_version()}, scikit-learn {sklearn.__version__},
  numpy {np.__version__}, skops {skops.__version__}
- labels come from `NAME.labels.jsonl` (a person's, from `nianbao label`) or the typesetter's truth
  blocks (`NAME.blocks.jsonl`): a block takes the label of the box containing its centre (most
  overlap wins); blocks inside none are left out
- cost: featurize + predict {ms_per_page:.2f} ms of CPU per page (median over the held-out reports, one thread)

## Per-class scores on held-out reports

Reports never seen in training ({len(held_out)} reports):

{held}

## Cross-validation on the training data

{min(folds, len(train_reports))}-fold, grouped by report (no report in both train and test folds):

{format_scores(cv)}

## Features ({len(FEATURES)})

{", ".join(f"`{f}`" for f in FEATURES)}

Geometry is relative to the page and to the document's text column, sizes to the document's
body size, distances in body-text heights (clipped at 40 = nothing near). See
`extractor/stages/classify/`.

## Training data

{_data_table(train_reports)}

## Held-out data

{_data_table(held_out) if held_out else "(none)"}

## Known limits

Trained only on the reports listed above. A layout family they lack (e.g. tables without rulings
in every table, two-column pages) may be misread; label a few such reports with `nianbao label`,
correct them and retrain with `nianbao train` (README: "Teaching nianbao a new layout").
"""


def ms_per_page(model, pdfs: list[Path]) -> float:
    from extractor.stages.classify import classify

    times = []
    for pdf in pdfs:
        pages = read(pdf).pages
        classify(pages, model)
        start = time.process_time()   # CPU time: other work on a shared machine does not count
        for _ in range(5):
            classify(pages, model)
        times.append((time.process_time() - start) / 5 / max(len(pages), 1) * 1000)
    return float(np.median(times)) if times else float("nan")
