"""layoutparser interop: labelled blocks as lp.Layouts, and a detector's layout as labels."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES

lp = pytest.importorskip("layoutparser", reason="the layoutparser extra is not installed")

from extractor import interop  # noqa: E402
from extractor.labelfiles import SUFFIX, read_truth_blocks, write_label_file  # noqa: E402
from extractor.pipeline import extract, read  # noqa: E402
from extractor.stages.classify import classify  # noqa: E402

REPORT = FIXTURES / "f21-wps-hei.pdf"


def test_labelled_blocks_become_layouts_and_come_back_as_the_same_labels(tmp_path):
    doc = read(REPORT)
    labelled = classify(doc.pages)
    layouts = interop.to_layouts(labelled)
    # pages numbered as a PDF viewer numbers them, as in the label files
    assert [layout.page_data["page"] for layout in layouts] == sorted({lb.block.page + 1 for lb in labelled})
    blocks = [block for layout in layouts for block in layout]
    assert [(b.type, b.score, b.text) for b in blocks] == [(lb.label, lb.confidence, lb.block.text) for lb in labelled]
    assert blocks[0].coordinates == labelled[0].block.bbox

    rows = interop.label_rows(layouts, doc.sha256)
    path = write_label_file(rows, tmp_path / f"{REPORT.stem}{SUFFIX}")
    assert read_truth_blocks(path) == [{**r, "page": r["page"] - 1} for r in rows]   # read back as page indexes
    with_labels, without = extract(REPORT, labels=path, with_blocks=True), extract(REPORT, with_blocks=True)
    assert with_labels["tables"] == without["tables"]
    assert [b["label"] for b in with_labels["blocks"]] == [b["label"] for b in without["blocks"]]


def test_a_detectors_layout_in_pixels_decides_the_labels(tmp_path):
    """A PubLayNet-style detector run on 144-dpi page images: one box per title, paragraph and
    table, its classes named its way. Its labels win over the model's, and the tables read right."""
    truth = json.loads(REPORT.with_suffix(".truth.json").read_text("utf-8"))
    name = {"heading": "Title", "prose": "Text", "table_cell": "Table", "other": "Figure"}
    px = 144 / 72
    layouts = []
    truth_blocks = read_truth_blocks(FIXTURES / f"{REPORT.stem}.blocks.jsonl")
    for page in sorted({t["page"] for t in truth_blocks}):
        layouts.append(lp.Layout([lp.TextBlock(lp.Rectangle(*(v * px for v in t["bbox"])), type=name[t["label"]], score=0.8)
                                  for t in truth_blocks if t["page"] == page], page_data={"page": page + 1}))
    rows = interop.label_rows(layouts, read(REPORT).sha256, types=interop.PUBLAYNET, scale=1 / px)
    assert {r["label"] for r in rows} == {"heading", "prose", "table_cell", "other"}
    assert rows[0]["bbox"] == [round(v, 2) for v in truth_blocks[0]["bbox"]]
    record = extract(REPORT, labels=write_label_file(rows, tmp_path / f"{REPORT.stem}{SUFFIX}"))
    assert record["tables"] == truth["tables"]

    layouts[0][0].type = "Caption"
    with pytest.raises(ValueError, match=r"page 1: layout type 'Caption' maps to no label"):
        interop.label_rows(layouts, "0" * 64, types=interop.PUBLAYNET)
