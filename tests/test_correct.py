"""Digits corrected only where the table's own sums confirm it (0/O, 1/l/I, 7/1), and doubtful
readings confirmed only where the sums vouch for them.

Reports are typeset afresh with a confusable character printed in one cell (as a typist or an OCR
pass leaves them: 1O, l2); the extraction must give the value the sums confirm, say so on the cell
and in the problems, and leave unconfirmed readings flagged.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from extractor.pipeline import extract
from extractor.spec.templates import get_value
from extractor.stages.classify import classify
from extractor.stages.correct import correct
from extractor.stages.ingest import ingest
from extractor.stages.reconstruct import reconstruct
from training.generate import report_for
from training.typeset import typeset

SEED = 910_003       # a report with consistent tables in either format, with the digits the tests reprint


def _own_failures(fmt: str) -> set[str]:
    """What the report fails of itself, apart from its tables (in 2021: fee notices in 表三 while
    第六部分 says 无, prose.fees): none of the sums."""
    return set(report_for(SEED, fmt)[0].expected_fail)


def _report(fmt: str, doctor) -> tuple[bytes, dict, tuple]:
    """A fresh report whose one cell ``doctor(content)`` reprints; (pdf, true tables, that cell)."""
    content, style = report_for(SEED, fmt)
    key, text = doctor(content)
    content.cell_text[key] = text
    return typeset(content, style).pdf, content.tables, key


def _with_digit(content, table: str, digit: str) -> tuple:
    return next(k for k, t in content.cell_text.items()
                if k[0] == table and t.isdigit() and len(t) >= 2 and digit in t)


def _cell(record: dict, key: tuple) -> dict:
    return next(c for c in record["cells"] if (c["table"], c["row"], c["column"]) == key)


def _failed(record: dict) -> dict:
    return {c["rule"]: c["cells"] for c in record["checks"] if c["status"] == "fail"}


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_letter_o_in_an_applications_cell_is_corrected_by_the_sums(fmt):
    def doctor(content):
        key = _with_digit(content, "applications", "0")
        return key, content.cell_text[key].replace("0", "O")
    pdf, truth, key = _report(fmt, doctor)
    record = extract(pdf)
    cell = _cell(record, key)
    assert cell["value"] == get_value(truth, *key)
    assert "O" in cell["text"]
    assert cell["confidence"] == 0.9
    assert "applications.total_column" in cell["corrected_by"]
    assert set(_failed(record)) == _own_failures(fmt)
    assert not any(rule.startswith(("applications.", "review_litigation.")) for rule in _own_failures(fmt))
    cell_named, printed, value = {
        "2019": ("表三 一、本年新收政府信息公开申请数量 · 其他（applications/new_received/other_org）", "5O", 50),
        "2021": ("表三 一、本年新收政府信息公开申请数量 · 商业企业（applications/new_received/commercial_enterprise）",
                 "1O", 10)}[fmt]
    assert record["problems"] == [f"第 2 页：{cell_named}：「{printed}」不是数字",
                                  f"{cell_named}：读作「{printed}」，改为 {value}，申请数量平衡、申请人合计随之成立"]


def test_letter_l_in_a_review_cell_is_corrected_by_its_group_total():
    def doctor(content):
        key = _with_digit(content, "review_litigation", "1")
        return key, content.cell_text[key].replace("1", "l")
    pdf, truth, key = _report("2021", doctor)
    cell = _cell(extract(pdf), key)
    assert cell["value"] == get_value(truth, *key)
    assert cell["corrected_by"] == ["review_litigation.totals"]


def test_a_letter_the_sums_do_not_confirm_stays_unread_and_flagged():
    def doctor(content):
        key = next(k for k, t in content.cell_text.items()
                   if k[0] == "applications" and t.isdigit() and int(t) > 0 and "0" not in t)
        return key, "1O"            # the true value is neither 10 nor 70
    pdf, truth, key = _report("2021", doctor)
    record = extract(pdf)
    cell = _cell(record, key)
    assert cell["value"] is None and "corrected_by" not in cell
    assert "/".join(k for k in key if k) in _failed(record)["cells.confident"]


def test_a_doubtful_seven_read_for_one_is_corrected_but_a_sure_one_is_not():
    """The reading an OCR pass gives when it takes a 1 for a 7 (doubtfully): the text-layer
    reading of a real PDF with one cell's reading replaced, as ocr.py would have left it."""
    content, style = report_for(SEED, "2019")
    doc = ingest(typeset(content, style).pdf)
    reading = reconstruct(doc.pages, classify(doc.pages))
    target = next(c for c in reading.cells
                  if c.table == "applications" and c.text.isdigit() and "1" in c.text and "7" not in c.text)
    misread = target.text.replace("1", "7", 1)

    def read_as(confidence: float):
        cells = [replace(c, text=misread, value=int(misread), confidence=confidence) if c is target else c
                 for c in reading.cells]
        tables = {t: {r: (dict(v) if isinstance(v, dict) else v) for r, v in part.items()}
                  for t, part in reading.tables.items()}
        tables["applications"][target.row][target.column] = int(misread)
        return correct(replace(reading, cells=cells, tables=tables))

    doubtful = read_as(0.6)
    fixed = next(c for c in doubtful.cells if c.id == target.id)
    assert (fixed.value, fixed.text, fixed.confidence) == (target.value, misread, 0.9)
    assert "applications.balance" in fixed.corrected_by or "applications.total_row" in fixed.corrected_by
    assert doubtful.tables["applications"][target.row][target.column] == target.value

    sure = read_as(1.0)     # read with confidence: the sums flag it, nothing corrects it
    assert next(c for c in sure.cells if c.id == target.id).value == int(misread)
    assert sure.tables["applications"][target.row][target.column] == int(misread)


def test_a_speck_read_as_a_full_stop_is_dropped_where_the_sums_confirm():
    def doctor(content):
        key = _with_digit(content, "applications", "3")
        return key, content.cell_text[key] + "."
    pdf, truth, key = _report("2021", doctor)
    record = extract(pdf)
    cell = _cell(record, key)
    assert cell["text"].endswith(".") and cell["value"] == get_value(truth, *key)
    assert cell["corrected_by"] and set(_failed(record)) == _own_failures("2021")


def test_a_doubtful_count_the_sums_vouch_for_is_confirmed_but_a_doubtful_zero_is_not():
    """The text-layer reading of a real PDF with two cells read doubtfully, as an OCR pass leaves
    a faint or stamped-over number: a count the sums fix is confirmed as read; a 0 is not, for a
    sum cannot tell a 0 from a blank."""
    content, style = report_for(SEED, "2021")
    doc = ingest(typeset(content, style).pdf)
    reading = reconstruct(doc.pages, classify(doc.pages))
    count = next(c for c in reading.cells if c.table == "applications" and isinstance(c.value, int) and c.value > 1)
    zero = next(c for c in reading.cells if c.table == "review_litigation" and c.value == 0)
    doubtful = replace(reading, cells=[replace(c, confidence=0.7) if c in (count, zero) else c for c in reading.cells])
    settled = {c.id: c for c in correct(doubtful).cells}
    assert (settled[count.id].value, settled[count.id].confidence) == (count.value, 0.9)
    assert "applications.total_column" in settled[count.id].confirmed_by
    assert settled[count.id].corrected_by == ()
    assert (settled[zero.id].confidence, settled[zero.id].confirmed_by) == (0.7, ())
