"""End to end: every committed text-layer fixture through ``extract``, compared with its truth.

Cell-by-cell comparisons of the tables are in test_reconstruct.py; here the whole record: report
info, the six sections, units, exactly the expected failing rules, and the command's behaviour on
good and bad files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pymupdf
import pytest

from conftest import FIXTURES
from extractor.errors import InputError
from extractor.pipeline import extract
from extractor.spec.templates import get_value, template_cells

PDFS = sorted(FIXTURES.glob("*.pdf"))


def _expected_fail(pdf: Path) -> list[str]:
    return json.loads(pdf.with_suffix(".truth.json").read_text("utf-8"))["expected_fail"]


CLEAN = next(p for p in PDFS if not _expected_fail(p))
INCONSISTENT = next(p for p in PDFS if _expected_fail(p))


@cache
def _run(name: str) -> tuple[dict, dict]:
    pdf = FIXTURES / f"{name}.pdf"
    truth = json.loads(pdf.with_suffix(".truth.json").read_text("utf-8"))
    return extract(pdf), truth


@pytest.mark.parametrize("name", [p.stem for p in PDFS])
def test_record_matches_truth(name):
    record, truth = _run(name)
    assert record["schema"] == "nianbao/2"
    assert record["source"]["text_layer"] == "full"
    assert {k: record["report"][k] for k in truth["report"]} == truth["report"]
    assert record["units"] == truth["units"]
    wrong = [f"{t}/{r}/{c}: {get_value(record['tables'], t, r, c)!r} ≠ {get_value(truth['tables'], t, r, c)!r}"
             for t, r, c in template_cells(truth["report"]["format"])
             if get_value(record["tables"], t, r, c) != get_value(truth["tables"], t, r, c)]
    assert wrong == []
    assert [(s["number"], s["title"]) for s in record["sections"]] == \
        [(s["number"], s["title"]) for s in truth["sections"]]


@pytest.mark.parametrize("name", [p.stem for p in PDFS])
def test_exactly_the_injected_inconsistencies_fail(name):
    record, truth = _run(name)
    failed = sorted(c["rule"] for c in record["checks"] if c["status"] == "fail")
    assert failed == sorted(truth["expected_fail"])


def test_every_rule_is_reported_once():
    record, _ = _run(CLEAN.stem)
    assert sorted(c["rule"] for c in record["checks"]) == sorted([
        "applications.balance", "applications.total_row", "applications.total_column",
        "review_litigation.totals", "cells.valid_numbers", "tables.complete", "format.matches_year",
        "prose.matches_tables", "prose.fees", "sections.complete", "report.identified", "cells.confident", "source.intact"])
    # sections numbered as a PDF viewer numbers pages, like the cells
    assert [s["page"] for s in record["sections"]] == [s["page"] + 1 for s in _run(CLEAN.stem)[1]["sections"]]


def test_problems_are_said_in_chinese():
    # the review page lists them under 读取备注, for a person
    record, _ = _run("seed-004-bureau-2020")
    assert record["problems"] == ["未读到发布机关：标题、“现公布……”一句、“由……编制”一句、落款都没有写明"]


def test_cells_have_provenance():
    record, truth = _run(CLEAN.stem)
    where = {(c["table"], c["row"], c["column"]): c for c in truth["cells"]}
    for cell in record["cells"]:
        t = where[(cell["table"], cell["row"], cell["column"])]
        assert cell["page"] == t["page"] + 1     # the record numbers pages from 1, the truth file from 0
        x = (cell["bbox"][0] + cell["bbox"][2]) / 2
        y = (cell["bbox"][1] + cell["bbox"][3]) / 2
        assert t["bbox"][0] <= x <= t["bbox"][2] and t["bbox"][1] <= y <= t["bbox"][3]


# --- bad input ------------------------------------------------------------------------------------

def _bad_files(tmp: Path) -> dict[str, Path]:
    good = CLEAN.read_bytes()
    files = {
        "empty": tmp / "empty.pdf",
        "not_pdf": tmp / "notes.pdf",
        "truncated": tmp / "truncated.pdf",
        "encrypted": tmp / "locked.pdf",
    }
    files["empty"].write_bytes(b"")
    files["not_pdf"].write_text("这不是PDF文件\n", "utf-8")
    files["truncated"].write_bytes(good[: len(good) // 3])
    doc = pymupdf.open(stream=good, filetype="pdf")
    doc.save(files["encrypted"], encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    return files


def test_a_pdf_without_tables_passes_no_rule_of_the_tables(tmp_path):
    """Plain text, no table: the sums and the cells' rules have nothing to hold on, so they are not
    applicable (never "0 sums hold: pass"); the missing tables and parts fail."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 90), "某县人民政府2022年政府信息公开工作年度报告", fontname="china-s", fontsize=16)
    page.insert_text((72, 130), "本年度我县认真贯彻落实《中华人民共和国政府信息公开条例》。", fontname="china-s", fontsize=11)
    path = tmp_path / "plain.pdf"
    doc.save(path)
    status = {c["rule"]: c["status"] for c in extract(path)["checks"]}
    for rule in ("applications.balance", "applications.total_row", "applications.total_column",
                 "review_litigation.totals", "cells.valid_numbers", "cells.confident", "prose.fees",
                 "prose.matches_tables"):
        assert status[rule] == "not_applicable", rule
    assert status["tables.complete"] == status["sections.complete"] == "fail"


def test_bad_input_is_a_one_line_reason(tmp_path):
    for kind, path in _bad_files(tmp_path).items():
        with pytest.raises(InputError) as e:
            extract(path)
        assert "\n" not in str(e.value) and str(e.value), kind


def test_command_reads_the_good_reports_and_reports_the_bad(tmp_path):
    bad = _bad_files(tmp_path)
    good = [CLEAN, INCONSISTENT]
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "extractor.apps.command", "extract", *map(str, good), *map(str, bad.values()),
                          "-o", str(out), "--review"], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == len(good) + len(bad) + 1
    assert lines[-1] == f"findings: {out / 'findings.xlsx'}, review pages: {out / 'review' / 'index.html'}"
    assert "Traceback" not in run.stdout + run.stderr
    assert sorted(p.name for p in out.glob("*.json")) == sorted(f"{p.stem}.json" for p in good)
    assert sum(line.startswith("error") for line in lines) == len(bad)
    assert any(line.startswith("checks failed") for line in lines)
    # the workbook lists every file, the unreadable ones with their reason, and the findings
    import openpyxl
    book = openpyxl.load_workbook(out / "findings.xlsx")
    reports = {r[0]: r for r in book["报告"].iter_rows(min_row=2, values_only=True)}
    assert set(reports) == {str(p) for p in good + list(bad.values())}
    assert [reports[str(p)][6] for p in bad.values()] == ["未能读取"] * len(bad)
    assert (reports[str(good[0])][6], reports[str(good[1])][6]) == ("通过", "有问题")
    rules = {r[5] for r in book["问题清单"].iter_rows(min_row=2, values_only=True) if r[1] == str(good[1])}
    assert rules == set(_expected_fail(good[1]))
    assert (out / "review" / f"{good[1].stem}.html").is_file() and (out / "review" / "index.html").is_file()

    strict = subprocess.run([sys.executable, "-m", "extractor.apps.command", "extract", str(good[1]), "-o", str(out), "--strict"],
                            capture_output=True, text=True)
    assert strict.returncode == 1
    clean = subprocess.run([sys.executable, "-m", "extractor.apps.command", "extract", str(good[0]), "-o", str(out), "--strict"],
                           capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout
    # without --review, the records alone: the workbook and the review pages are for a person to ask for
    bare = tmp_path / "bare"
    alone = subprocess.run([sys.executable, "-m", "extractor.apps.command", "extract", str(good[0]), "-o", str(bare)],
                           capture_output=True, text=True)
    [line] = alone.stdout.splitlines()
    assert line.startswith("ok (") and line.endswith(f"  {good[0]} → {bare / (good[0].stem + '.json')}")
    assert sorted(p.name for p in bare.iterdir()) == [f"{good[0].stem}.json"]
