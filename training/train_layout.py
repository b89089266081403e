"""Train the layout classifier on labelled reports and write it with its model card.

    python -m training.train_layout DIR [DIR …] -o models/layout [--held-out fixtures]

Each ``NAME.pdf`` in a DIR that has a ``NAME.blocks.jsonl`` beside it is a labelled report: it
is ingested exactly as ``extract`` would, and each block takes its label from the truth block
it lies in (``extractor.learning.training``). Cross-validation folds are grouped by report, so no report
has blocks on both sides; the held-out reports (the committed fixtures) are never trained on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from extractor.learning.training import (
    cross_validate,
    evaluate,
    fit,
    format_scores,
    labelled_pdfs,
    load_reports,
    model_card,
    ms_per_page,
)
from extractor.stages.classify import save_model


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
    model = fit(train_reports)
    held_scores = evaluate(model, held_out) if held_out else None
    if held_scores:
        print("\nheld out:\n" + format_scores(held_scores))
    speed = ms_per_page(model, held_pdfs or labelled_pdfs(args.dirs)[:10])
    print(f"\n{speed:.2f} ms of CPU per page (featurize + predict)")

    path = save_model(model, args.out)
    sources = [str(d) for d in args.dirs] + (["--held-out", *map(str, args.held_out)] if args.held_out else [])
    (args.out / "MODEL_CARD.md").write_text(
        model_card(model, train_reports, held_out, cv, held_scores,
                   " ".join(["python -m training.train_layout", *sources, "-o", str(args.out)]), speed),
        encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) and {args.out / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
