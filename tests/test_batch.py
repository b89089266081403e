"""``nianbao batch`` over committed fixtures salted with bad files: killed midway, resumed.

The bad files are real: a truncated PDF, an encrypted one, a text file named .pdf, a FIFO (whose
open() would block for ever) and a PDF bomb (form XObjects nested twelve deep, each drawing the
next eight times: 8¹¹ forms to interpret, so reading it never ends, the way real PDF bombs hang a
reader inside MuPDF where no Python signal reaches).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pymupdf
import pytest

from conftest import FIXTURES
from extractor.apps import batch as batch_module
from extractor.apps.batch import extract_in_child, find_reports
from extractor.apps.dataset import issuer_key
from extractor.stages.classify import load_model
from extractor.stages.validate import carry_over

# 德庆县人民政府办公室 reports for 2020 and 2021: the pair that series.carry_over compares.
GOOD = ("f19-inject-prose", "f21-zero", "seed-002-lianzhou-2023", "f21-labels")
TIMEOUT = 6
MODEL = os.environ.get("NIANBAO_MODEL")   # as the CLI: that model, or the shipped one

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="FIFOs and /proc sessions")


def pdf_bomb(depth: int = 12, fan: int = 8) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    inner = None
    for _ in range(depth):
        xref = doc.get_new_xref()
        if inner is None:   # a path that paints nothing: the reader's memory stays flat
            resources, content = "<< >>", b"0 0 m 595 842 l n"
        else:
            resources = f"<< /XObject << /X {inner} 0 R >> >>"
            content = b" ".join([b"q /X Do Q"] * fan)
        doc.update_object(xref, f"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                                f"/Resources {resources} >>")
        doc.update_stream(xref, content)
        inner = xref
    contents = doc.get_new_xref()
    doc.update_object(contents, "<< >>")
    doc.update_stream(contents, b"q /X Do Q")
    doc.xref_set_key(page.xref, "Contents", f"{contents} 0 R")
    doc.xref_set_key(page.xref, "Resources", f"<< /XObject << /X {inner} 0 R >> >>")
    return doc.tobytes()


BAD = {
    "corrupt.pdf": "truncated or corrupt PDF",
    "encrypted.pdf": "encrypted (password required)",
    "notes.pdf": "not a PDF",
    "hang.pdf": f"timed out after {TIMEOUT} s (the worker was stopped)",
    "pipe.pdf": "cannot read the file: not a regular file",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    for name in GOOD:
        shutil.copy(FIXTURES / f"{name}.pdf", folder)
    (folder / "sub").mkdir()
    shutil.copy(FIXTURES / f"{GOOD[1]}.pdf", folder / "sub" / "COPY.PDF")
    data = (FIXTURES / f"{GOOD[0]}.pdf").read_bytes()
    (folder / "corrupt.pdf").write_bytes(data[:len(data) // 2])
    (folder / "encrypted.pdf").write_bytes(pymupdf.open(FIXTURES / f"{GOOD[3]}.pdf").tobytes(
        encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner"))
    (folder / "notes.pdf").write_text("会议纪要，不是 PDF\n", "utf-8")
    (folder / "hang.pdf").write_bytes(pdf_bomb())
    os.mkfifo(folder / "pipe.pdf")
    return folder


def test_issuer_names_normalised():
    assert issuer_key("连州市人民政府办公室") == issuer_key("连州市政府办公室") == "连州市政府办公室"
    assert issuer_key("连南瑶族自治县 人民政府\u3000") == issuer_key("连南瑶族自治县政府")
    assert issuer_key("广州市（黄埔区）人民政府") == issuer_key("广州市(黄埔区)政府")


def test_inputs_from_folders_globs_and_lists(inputs, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text(f"# reports\n{inputs / 'notes.pdf'}\n\n{inputs / 'sub' / 'COPY.PDF'}\n", "utf-8")
    files, missing = find_reports([str(inputs / "f21-*.pdf"), str(listing), str(inputs),
                                   str(tmp_path / "absent.pdf")])
    names = [p.relative_to(inputs).as_posix() for p in files]
    assert names == ["f21-labels.pdf", "f21-zero.pdf", "notes.pdf", "sub/COPY.PDF", "corrupt.pdf",
                     "encrypted.pdf", "f19-inject-prose.pdf", "hang.pdf", "pipe.pdf",
                     "seed-002-lianzhou-2023.pdf"]
    assert missing == [{"file": str(tmp_path / "absent.pdf"), "reason": "no such file or folder"}]


def test_a_worker_that_dies_costs_one_report():
    model = pickle.dumps(load_model(MODEL))
    good = (FIXTURES / f"{GOOD[0]}.pdf").read_bytes()
    record, reason = extract_in_child(good, "good.pdf", model, 60)
    assert reason is None and record["source"]["file"] == "good.pdf"
    child = batch_module._local.child
    killer = threading.Timer(1.0, os.kill, (child.proc.pid, signal.SIGKILL))
    killer.start()
    try:
        assert extract_in_child(pdf_bomb(), "bomb.pdf", model, 60) == (
            None, "the worker process died (SIGKILL)")
    finally:
        killer.cancel()
    again, reason = extract_in_child(good, "good.pdf", model, 60)
    assert reason is None and again["cells"] == record["cells"]
    assert batch_module._local.child.proc.pid != child.proc.pid
    batch_module.close_children()


def _session(sid: int) -> list[int]:
    """The processes still alive in session ``sid`` (the batch run and whatever it started)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _command(inputs: Path, out: Path, executor: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "extractor.apps.command", "batch", str(inputs), "-o", str(out),
            "--workers", "2", "--timeout", str(TIMEOUT), "--executor", executor, *extra]


def _stamps(records: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in records.glob("*.json")}


@dataclass
class Run:
    inputs: Path
    out: Path
    written: dict[str, tuple[int, int]]   # the records the killed run left, with inode and mtime
    left_behind: list[int]                # processes of the killed run still alive after 30 s
    returncode: int
    summary: dict


@pytest.fixture(scope="module", params=["local", "dask"])
def run(request, inputs, tmp_path_factory) -> Run:
    """A batch run killed as soon as its first record appears, then resumed."""
    tmp = tmp_path_factory.mktemp(request.param)
    out, records = tmp / "out", tmp / "out" / "records"
    with open(tmp / "first.log", "w") as log:
        first = subprocess.Popen(_command(inputs, out, request.param), stdout=log, stderr=log,
                                 start_new_session=True)
    try:
        deadline = time.monotonic() + 300   # not a speed limit: a run that never writes fails
        while not _stamps(records):
            assert first.poll() is None and time.monotonic() < deadline, (tmp / "first.log").read_text()
            time.sleep(0.05)
        first.kill()   # the batch process only: whatever it started must go with it
        first.wait()
        deadline = time.monotonic() + 30
        while (left_behind := _session(first.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for pid in _session(first.pid):
            os.kill(pid, signal.SIGKILL)
    written = _stamps(records)
    second = subprocess.run(_command(inputs, out, request.param, "--resume"), capture_output=True,
                            text=True)
    summary = json.loads((out / "summary.json").read_text("utf-8")) if second.returncode in (0, 2) else {}
    assert summary, second.stderr
    return Run(inputs, out, written, left_behind, second.returncode, summary)


def test_a_killed_run_leaves_no_process_behind(run):
    assert run.left_behind == []


def test_resume_writes_every_good_record_exactly_once(run):
    records, summary = run.out / "records", run.summary
    assert run.written, "the killed run wrote a record"
    assert sorted(_stamps(records)) == sorted(f"{n}.json" for n in GOOD)
    assert {k: v for k, v in _stamps(records).items() if k in run.written} == run.written
    assert summary["files"] == {"ok": len(GOOD), "failed": len(BAD), "duplicates": 1,
                                "extracted": len(GOOD) - len(run.written), "resumed": len(run.written)}
    assert {Path(r["record"]).name for r in summary["ok"] if r["resumed"]} == set(run.written)
    assert [r["file"] for r in summary["ok"]] == sorted(str(run.inputs / f"{n}.pdf") for n in GOOD)


def test_bad_files_are_reported_with_their_reasons(run):
    assert run.returncode == 2
    reasons = {Path(f["file"]).name: f["reason"] for f in run.summary["failed"]}
    assert reasons.keys() == BAD.keys()
    for name, reason in BAD.items():
        assert reasons[name].startswith(reason), (name, reasons[name])
    assert run.summary["duplicates"] == [{"file": str(run.inputs / "sub" / "COPY.PDF"),
                                          "duplicate_of": str(run.inputs / f"{GOOD[1]}.pdf")}]


def _tables(run: Run):
    return pq.read_table(run.out / "cells.parquet").to_pylist(), pq.read_table(run.out / "checks.parquet").to_pylist()


def test_dataset_holds_every_cell_and_check_of_the_records(run):
    out = run.out
    for name in ("cells", "checks"):
        assert (out / f"{name}.csv").read_bytes().startswith("\ufeff".encode()), "Excel needs the BOM"
        table = pq.read_table(out / f"{name}.parquet")
        as_typed = pcsv.ConvertOptions(column_types=table.schema, strings_can_be_null=True)
        assert pcsv.read_csv(out / f"{name}.csv", convert_options=as_typed).equals(table)
    assert pq.read_table(out / "cells.parquet").column_names == [
        "file", "issuer", "year", "format", "table", "row", "column", "value", "page", "confidence", "flagged",
        "corrected_by", "confirmed_by", "text", "table_label", "row_label", "column_label", "x0", "y0", "x1", "y1"]
    cells, checks = _tables(run)
    for name in GOOD:
        record = json.loads((out / "records" / f"{name}.json").read_text("utf-8"))
        file = str(run.inputs / f"{name}.pdf")
        mine = [c for c in cells if c["file"] == file]
        assert [(c["table"], c["row"], c["column"], c["value"], c["page"], c["confidence"], c["text"],
                 [c["x0"], c["y0"], c["x1"], c["y1"]]) for c in mine] == [
            (c["table"], c["row"], c["column"], c["value"], c["page"], c["confidence"], c["text"] or None,
             c["bbox"]) for c in record["cells"]]
        assert all(c["page"] >= 1 and c["table_label"] in ("表二", "表三", "表四") and c["row_label"] for c in mine)
        assert {(c["issuer"], c["year"], c["format"]) for c in mine} == {
            (record["report"]["issuer"], record["report"]["year"], record["report"]["format"])}
        assert [(c["rule"], c["status"], c["message"], c["detail"]) for c in checks if c["file"] == file][:-5] == [
            (c["rule"], c["status"], c["message"], c["detail"]) for c in record["checks"]]
        assert [c["rule"] for c in checks if c["file"] == file][-5:] == [
            "series.in_force", "series.change", "series.copied_prose", "series.carry_over", "batch.duplicate"]
    assert len(cells) == sum(1 for n in GOOD for _ in json.loads(
        (out / "records" / f"{n}.json").read_text("utf-8"))["cells"])


def test_series_carry_over_across_an_issuers_years(run):
    """德庆县人民政府办公室 2020 and 2021: checked against what their truth says; the others have no
    report of the year before in the batch."""
    before, after = (json.loads((FIXTURES / f"{n}.truth.json").read_text("utf-8"))["tables"]
                     for n in GOOD[:2])
    expected = carry_over(before, after)
    cells, checks = _tables(run)
    series = {Path(c["file"]).stem: (c["status"], c["detail"]) for c in checks if c["rule"] == "series.carry_over"}
    assert series[GOOD[1]] == (expected.status, f"{expected.detail} (the year before: {run.inputs / f'{GOOD[0]}.pdf'})")
    message = next(c["message"] for c in checks if c["rule"] == "series.carry_over" and Path(c["file"]).stem == GOOD[1])
    assert f"上一年度报告 {run.inputs / f'{GOOD[0]}.pdf'}" in message
    assert [status for name, (status, _) in series.items() if name != GOOD[1]] == ["not_applicable"] * 3
    flagged = {f"{c['table']}/{c['row']}/{c['column']}" for c in cells
               if c["flagged"] and c["file"] == str(run.inputs / f"{GOOD[1]}.pdf")}
    assert set(expected.cells) <= flagged
    assert run.summary["failed_checks_by_rule"].get("series.carry_over", 0) == (expected.status == "fail")
    assert run.summary["reports_by_format"] == {"2019": 1, "2021": 3}
    assert run.summary["reports_by_year"] == {"2020": 1, "2021": 1, "2023": 1, "2024": 1}
