"""``nianbao batch`` over committed fixtures salted with bad files: killed midway, resumed.

The bad files are real: a truncated PDF, an encrypted one, a text file named .pdf, a FIFO (whose
open() would block for ever) and a PDF bomb (form XObjects nested twelve deep, each drawing the
next eight times: 8¹¹ forms to interpret, so reading it never ends, the way real PDF bombs hang a
reader inside MuPDF where no Python signal reaches).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pymupdf
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from extractor import batch as batch_module
from extractor.batch import extract_in_child, find_reports
from extractor.dataset import issuer_key
from extractor.validate import carry_over

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# 德庆县人民政府办公室 reports for 2020 and 2021: the pair that series.carry_over compares.
GOOD = ("f19-inject-prose", "f21-zero", "seed-002-lianzhou-2023", "f21-labels")
TIMEOUT = 8
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
    good = (FIXTURES / f"{GOOD[0]}.pdf").read_bytes()
    record, reason = extract_in_child(good, "good.pdf", MODEL, 60)
    assert reason is None and record["source"]["file"] == "good.pdf"
    child = batch_module._local.child
    killer = threading.Timer(1.0, os.kill, (child.proc.pid, signal.SIGKILL))
    killer.start()
    try:
        assert extract_in_child(pdf_bomb(), "bomb.pdf", MODEL, 60) == (
            None, "the worker process died (SIGKILL)")
    finally:
        killer.cancel()
    again, reason = extract_in_child(good, "good.pdf", MODEL, 60)
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
    return [sys.executable, "-m", "extractor.cli", "batch", str(inputs), "-o", str(out),
            "--workers", "2", "--timeout", str(TIMEOUT), "--executor", executor, *extra]


def _stamps(records: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in records.glob("*.json")}


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_killed_run_resumes_without_redoing_work(inputs, tmp_path, executor):
    out, records = tmp_path / "out", tmp_path / "out" / "records"
    with open(tmp_path / "first.log", "w") as log:
        first = subprocess.Popen(_command(inputs, out, executor), stdout=log, stderr=log,
                                 start_new_session=True)
    try:
        while not _stamps(records):
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            time.sleep(0.05)
        first.kill()   # the batch process only: whatever it started must go with it
        first.wait()
        deadline = time.monotonic() + 30
        while _session(first.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session(first.pid) == [], "a killed run left processes behind"
    finally:
        for pid in _session(first.pid):
            os.kill(pid, signal.SIGKILL)
    written = _stamps(records)

    second = subprocess.run(_command(inputs, out, executor, "--resume"), capture_output=True,
                            text=True)
    assert second.returncode == 2, second.stderr
    summary = json.loads((out / "summary.json").read_text("utf-8"))

    # every good report has exactly one record; those of the killed run were not redone
    assert sorted(_stamps(records)) == sorted(f"{n}.json" for n in GOOD)
    assert {k: v for k, v in _stamps(records).items() if k in written} == written
    assert summary["files"] == {"ok": len(GOOD), "failed": len(BAD), "duplicates": 1,
                                "extracted": len(GOOD) - len(written), "resumed": len(written)}
    assert {Path(r["record"]).name for r in summary["ok"] if r["resumed"]} == set(written)
    assert [r["file"] for r in summary["ok"]] == sorted(str(inputs / f"{n}.pdf") for n in GOOD)

    # the bad ones, each with its reason; the copy as a duplicate
    reasons = {Path(f["file"]).name: f["reason"] for f in summary["failed"]}
    assert reasons.keys() == BAD.keys()
    for name, reason in BAD.items():
        assert reasons[name].startswith(reason), (name, reasons[name])
    assert summary["duplicates"] == [{"file": str(inputs / "sub" / "COPY.PDF"),
                                      "duplicate_of": str(inputs / f"{GOOD[1]}.pdf")}]

    _check_dataset(out, inputs, summary)


def _check_dataset(out: Path, inputs: Path, summary: dict) -> None:
    record = {n: json.loads((out / "records" / f"{n}.json").read_text("utf-8")) for n in GOOD}
    cells, checks = pq.read_table(out / "cells.parquet"), pq.read_table(out / "checks.parquet")
    for name in ("cells", "checks"):
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith("\ufeff".encode()), "Excel needs the byte-order mark"
        assert pcsv.read_csv(out / f"{name}.csv").num_rows == pq.read_table(out / f"{name}.parquet").num_rows
    assert cells.column_names == ["file", "issuer", "year", "format", "table", "row", "column",
                                  "value", "page", "confidence", "flagged"]
    assert cells.num_rows == sum(len(r["cells"]) for r in record.values())
    rows = cells.to_pylist()
    for name, r in record.items():
        file = str(inputs / f"{name}.pdf")
        mine = [c for c in rows if c["file"] == file]
        assert [(c["table"], c["row"], c["column"], c["value"], c["page"]) for c in mine] == [
            (c["table"], c["row"], c["column"], c["value"], c["page"]) for c in r["cells"]]
        assert {(c["issuer"], c["year"], c["format"]) for c in mine} == {
            (r["report"]["issuer"], r["report"]["year"], r["report"]["format"])}
        assert [(c["file"], c["rule"], c["status"]) for c in checks.to_pylist() if c["file"] == file] == [
            (file, c["rule"], c["status"]) for c in r["checks"]] + [(file, "series.carry_over", _series(name))]

    # 德庆县人民政府办公室: 2020 carried forward what its truth says, 2021 carried over nothing
    before, after = (json.loads((FIXTURES / f"{n}.truth.json").read_text("utf-8"))["tables"]
                     for n in GOOD[:2])
    expected = carry_over(before, after)
    series = [c for c in checks.to_pylist() if c["rule"] == "series.carry_over"
              and c["file"] == str(inputs / f"{GOOD[1]}.pdf")]
    assert [(c["status"], c["message"]) for c in series] == [
        (expected.status, f"{expected.message} (the year before: {inputs / f'{GOOD[0]}.pdf'})")]
    flagged = {f"{c['table']}/{c['row']}/{c['column']}" for c in rows
               if c["flagged"] and c["file"] == str(inputs / f"{GOOD[1]}.pdf")}
    assert set(expected.cells) <= flagged
    assert summary["failed_checks_by_rule"]["series.carry_over"] == 1
    assert summary["reports_by_format"] == {"2019": 1, "2021": 3}
    assert summary["reports_by_year"] == {"2020": 1, "2021": 1, "2023": 1, "2024": 1}


def _series(name: str) -> str:
    return {GOOD[1]: "fail"}.get(name, "not_applicable")
