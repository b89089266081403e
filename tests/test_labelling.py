"""The labelling loop on a layout family the shipped model never saw: section headings set inside
a ruled box. The shipped model reads some of them as table cells, which loses sections of the
report; a clerk corrects the label files of five such reports (played here from the
typesetter's truth), a model is retrained on them with the shipped data, and other reports of the
family read right. Also: a person's labels win in ``extract``, and the label files' format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.apps.cli import app
from extractor.labelfiles import UNMATCHED, match_truth
from extractor.pipeline import extract
from extractor.stages.classify import load_model
from extractor.stages.ingest import ingest
from extractor.types import LABELS
from training import typeset as T
from training.generate import report_for, truth_of

SECTION = re.compile(r"[一二三四五六]、")


class BoxedHeadings(T._Writer):
    """The typesetter with each section heading framed by four rulings across the text column."""

    def paragraph(self, text, font, size, *, label, **kw):
        if not (label == "heading" and SECTION.match(text)):
            return super().paragraph(text, font, size, label=label, **kw)
        self.need(self.style.line_pitch + 8)
        self.y += 4
        page, top = self.page, self.y
        super().paragraph(text, font, size, label=label, **kw)
        x0, x1, y0, y1 = self.left, self.right, top - 2, self.y + 2
        for rule in ((x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)):
            self.rule(page, *rule)
        self.y += 4


def boxed_reports(out: Path, seeds, monkeypatch) -> dict[str, dict]:
    """NAME.pdf per seed in ``out``; returns per name the truth blocks and sections."""
    out.mkdir()
    monkeypatch.setattr(T, "_Writer", BoxedHeadings)
    truths = {}
    for seed in seeds:
        content, style = report_for(seed)
        ts = T.typeset(content, style)
        (out / f"{content.name}.pdf").write_bytes(ts.pdf)
        truths[content.name] = {"blocks": ts.blocks, "sections": truth_of(content, style, ts)["sections"]}
    monkeypatch.undo()
    return truths


def block_errors(pdf: Path, truth: list[dict], model) -> list[tuple[str, str, str]]:
    """(text, true label, predicted label) of every block the model labels wrongly."""
    from extractor.stages.classify import classify

    doc = ingest(pdf)
    found = match_truth(doc.pages, truth)
    assert (found == UNMATCHED).sum() == 0
    return [(lb.block.text, truth[i]["label"], lb.label)
            for lb, i in zip(classify(doc.pages, model), found) if truth[i]["label"] != lb.label]


def wrong_sections(pdf: Path, sections: list[dict], model=None, labels=None) -> int:
    got = extract(pdf, model=model, labels=labels)["sections"]
    key = lambda s: (s["number"], s["title"], s["text"])   # noqa: E731
    return sum(1 for i, s in enumerate(sections) if i >= len(got) or key(got[i]) != key(s))


def clerk_corrects(labels: Path, truth: list[dict]) -> int:
    """Set each line's label to the truth block's holding its centre; returns lines changed."""
    rows = [json.loads(line) for line in labels.read_text("utf-8").splitlines()]
    fixed = 0
    for row in rows:
        x0, y0, x1, y1 = row["bbox"]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        # label files number pages from 1, the generator's truth blocks from 0
        true = next(t["label"] for t in truth if t["page"] + 1 == row["page"]
                    and t["bbox"][0] - 1 <= cx <= t["bbox"][2] + 1 and t["bbox"][1] - 1 <= cy <= t["bbox"][3] + 1)
        fixed += row["label"] != true
        row["label"] = true
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return fixed


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("boxed")
    train_truth = boxed_reports(base / "train", range(6000, 6005), mp)
    other_truth = boxed_reports(base / "other", range(6100, 6105), mp)
    runner = CliRunner()
    labelled = runner.invoke(app, ["label", *map(str, sorted((base / "train").glob("*.pdf"))),
                                   "-o", str(base / "labels")])
    assert labelled.exit_code == 0, labelled.output
    fixed = {name: clerk_corrects(base / "labels" / f"{name}.labels.jsonl", t["blocks"])
             for name, t in train_truth.items()}
    trained = runner.invoke(app, ["train", str(base / "labels"), "--with-shipped", "-o", str(base / "model")])
    assert trained.exit_code == 0, trained.output
    print(trained.output)
    return base, train_truth, other_truth, fixed, trained.output


def test_label_files_and_images(loop):
    base, train_truth, _, fixed, _ = loop
    name = sorted(train_truth)[0]
    rows = [json.loads(line) for line in (base / "labels" / f"{name}.labels.jsonl").read_text("utf-8").splitlines()]
    assert set(rows[0]) == {"page", "bbox", "text", "label", "confidence", "sha256"}
    assert rows[0]["sha256"] == ingest(base / "train" / f"{name}.pdf").sha256
    assert rows[0]["page"] == 1 and {r["page"] for r in rows} >= {1, 2}    # as the images number them
    pages = len(ingest(base / "train" / f"{name}.pdf").pages)
    assert sorted(p.name for p in (base / "labels").glob(f"{name}.p*.png")) == \
        sorted(f"{name}.p{n}.png" for n in range(1, pages + 1))
    assert (base / "labels" / f"{name}.pdf").read_bytes() == (base / "train" / f"{name}.pdf").read_bytes()
    assert sum(fixed.values()) > 0


def test_retrained_model_reads_the_new_family(loop):
    base, _, other_truth, fixed, output = loop
    assert "cross-validation over 55 reports" in output     # 5 labelled + 33 typeset, 12 engine and 5 scans shipped
    shipped, retrained = load_model(), load_model(base / "model")
    before = {n: block_errors(base / "other" / f"{n}.pdf", t["blocks"], shipped) for n, t in other_truth.items()}
    after = {n: block_errors(base / "other" / f"{n}.pdf", t["blocks"], retrained) for n, t in other_truth.items()}
    sections_before = {n: wrong_sections(base / "other" / f"{n}.pdf", t["sections"], shipped)
                       for n, t in other_truth.items()}
    sections_after = {n: wrong_sections(base / "other" / f"{n}.pdf", t["sections"], retrained)
                      for n, t in other_truth.items()}
    print("\nlines the clerk corrected:", fixed)
    for n in other_truth:
        print(f"{n}: shipped model {len(before[n])} block errors, {sections_before[n]} of 6 sections wrong; "
              f"retrained {len(after[n])} block errors, {sections_after[n]} sections wrong")
        for text, true, got in before[n]:
            print(f"    {text!r}: {true} read as {got}")
    errors = [e for es in before.values() for e in es]
    assert errors and all(true == "heading" and got == "table_cell" and SECTION.match(text)
                          for text, true, got in errors)
    assert sum(sections_before.values()) > 0
    assert sum(map(len, after.values())) == 0
    assert sum(sections_after.values()) == 0
    card = (base / "model" / "MODEL_CARD.md").read_text("utf-8")
    assert "feature version: **1**" in card and "sha256 of the set" in card and "scikit-learn" in card


def test_a_persons_labels_win_in_extract(loop):
    base, train_truth, _, fixed, _ = loop
    name = max(sorted(fixed), key=fixed.get)     # the report whose labels the clerk corrected most
    pdf, truth = base / "train" / f"{name}.pdf", train_truth[name]
    assert wrong_sections(pdf, truth["sections"]) > 0
    assert wrong_sections(pdf, truth["sections"], labels=base / "labels") == 0
    assert wrong_sections(pdf, truth["sections"], labels=base / "labels" / f"{name}.labels.jsonl") == 0
    other = next(n for n in sorted(train_truth) if n != name)
    result = CliRunner().invoke(app, ["extract", str(pdf), "-o", str(base / "out"),
                                      "--labels", str(base / "labels" / f"{other}.labels.jsonl")])
    assert result.exit_code == 2 and "labels another PDF" in result.output


@pytest.mark.ocr
@pytest.mark.slow
def test_a_labelled_scan_is_trained_on_what_ocr_reads():
    # a person labels a scanned report as they do a text one; training must see its blocks
    from extractor.learning.training import load_report
    from training.scan import FIXTURES_DIR

    report = load_report(FIXTURES_DIR / "s21-scan.pdf")
    # every line and cell of its 4 pages (376 blocks here; the count may move by one with the CPU's
    # arithmetic, which can tip a doubtful piece's reading)
    assert len(report.y) > 350 and report.unmatched <= 5
    assert sorted(set(report.y.tolist())) == sorted(LABELS)       # all four labels among them


def test_model_card_says_how_to_generate_its_data_again():
    """One generator command per run of seeds, with the layout engine and --scanned it needs."""
    from extractor.learning.training import Report, _provenance
    from training.layout import ENGINES

    def report(name, seed):
        return Report(name, None, None, 1, 0, "", seed)

    reports = ([report(f"r2020-{s:05d}-wps", s) for s in (1000, 1001, 1003)]
               + [report(f"r2020-{s:05d}-word-scan", s) for s in (3000, 3001)]
               + [report(f"r2021-{s:05d}-{engine}", s) for engine, first in zip(ENGINES, (20000, 21000))
                  for s in (first, first + 1)])
    assert _provenance(reports) == "Generated with " + "; ".join(
        f"`python -m training.generate -o DIR --count {n} --seed {s}{extra}`" for n, s, extra in [
            (2, 1000, ""), (1, 1003, ""), (2, 21000, " --engine chromium"), (2, 20000, " --engine libreoffice"),
            (2, 3000, " --scanned")]) + " (its `-scan.pdf` reports)."
