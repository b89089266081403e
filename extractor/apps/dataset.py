"""The dataset analysts want from a batch: every cell and every check of every report, in tables.

``cells``: one row per report and cell read — file, issuer, year, format, table, row, column, value,
page (1-based, as a PDF viewer numbers it), and two columns that keep a wrong value from passing
silently into a spreadsheet: the reader's ``confidence`` and ``flagged`` (a failing check of that
report names the cell); ``corrected_by``, the rules that confirmed a corrected digit, and
``confirmed_by``, the rules whose sums vouch for a doubtful reading as read (space-separated; null
when none); then what a person needs to find the cell: the ``text`` printed (null: nothing), the official labels
``table_label``, ``row_label``, ``column_label`` and the box ``x0, y0, x1, y1`` (PDF points, origin
top left).
``checks``: one row per report and rule — file, rule, status, message (Chinese, for a person),
detail (English) — including the batch's own rules: ``series.carry_over``, which compares a report
with the same issuer's report of the year before, and ``batch.duplicate``, two reports of one
issuer and year.

Both are written as Parquet and as CSV. The CSV is UTF-8 with a byte-order mark: Excel, which
most analysts of these reports open CSVs with, reads a CSV without one in the local code page and
garbles every Chinese character; pandas and pyarrow read the mark transparently.

Records are read twice (once for the issuers and years the series needs, once to write rows) and
rows are written in batches, so memory does not grow with the number of reports.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from extractor.spec import messages as zh
from extractor.spec.templates import APPLICATION_COLUMNS, cell_id
from extractor.stages.validate import carry_over, duplicate
from extractor.types import Check

ROWS_PER_BATCH = 20_000

_text = pa.string()
CELLS = pa.schema([("file", _text), ("issuer", _text), ("year", pa.int32()), ("format", _text),
                   ("table", _text), ("row", _text), ("column", _text), ("value", pa.float64()),
                   ("page", pa.int32()), ("confidence", pa.float64()), ("flagged", pa.bool_()),
                   ("corrected_by", _text), ("confirmed_by", _text), ("text", _text),
                   ("table_label", _text), ("row_label", _text), ("column_label", _text),
                   ("x0", pa.float64()), ("y0", pa.float64()), ("x1", pa.float64()), ("y1", pa.float64())])
CHECKS = pa.schema([("file", _text), ("rule", _text), ("status", _text), ("message", _text),
                    ("detail", _text)])


def issuer_key(issuer: str) -> str:
    """The body an issuer name designates: 连州市人民政府办公室 and 连州市政府办公室 are one body.

    Full-width letters, digits and brackets become half-width (NFKC), whitespace goes, and so
    does 人民 (人民政府 is the formal name of 政府).
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", issuer)).replace("人民", "")


@dataclass(slots=True)
class _Report:
    """What the series and the summary need of one record, without its cells."""
    file: str
    issuer: str | None
    year: int | None
    format: str | None
    carried_over: dict | None      # the row, or None when not all of its cells were found
    carried_forward: dict | None
    failed: list[str]


def _row_if_found(record: dict, row: str) -> dict | None:
    found = {(c["table"], c["row"], c["column"]) for c in record["cells"]}
    if all(("applications", row, col) in found for col in APPLICATION_COLUMNS):
        return record["tables"]["applications"][row]
    return None


def _read(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def _summarise(file: str, record: dict) -> _Report:
    info = record["report"]
    return _Report(file, info["issuer"], info["year"], info["format"],
                   _row_if_found(record, "carried_over"), _row_if_found(record, "carried_forward"),
                   [c["rule"] for c in record["checks"] if c["status"] == "fail"])


def series_checks(reports: list[_Report]) -> dict[str, Check]:
    """``series.carry_over`` for every report: against the same issuer's report of the year before
    when the batch has exactly one, ``not_applicable`` (saying why) otherwise."""
    by_year = _by_issuer_year(reports)
    rule = "series.carry_over"
    checks = {}
    for r in reports:
        if not r.issuer or r.year is None:
            checks[r.file] = Check(rule, "not_applicable", "报告的发布机关或年度未能读出", [], [],
                                   "the report's issuer or year is unknown")
            continue
        before = by_year.get((issuer_key(r.issuer), r.year - 1), [])
        if not before:
            check = Check(rule, "not_applicable", f"本批中没有{r.issuer} {r.year - 1} 年度的报告", [], [],
                          f"no report of {r.issuer} for {r.year - 1} in this batch")
        elif len(before) > 1:
            files = ", ".join(p.file for p in before)
            check = Check(rule, "not_applicable", f"本批中{r.issuer} {r.year - 1} 年度有 {len(before)} 份报告："
                          + "、".join(p.file for p in before), [], [],
                          f"{len(before)} reports of {r.issuer} for {r.year - 1}: {files}")
        elif before[0].carried_forward is None:
            check = Check(rule, "not_applicable",
                          f"{before[0].file}（{r.year - 1} 年度）的“结转下年度继续办理”未找到", [], [],
                          f"the carried_forward row of {before[0].file} ({r.year - 1}) was not found")
        elif r.carried_over is None:
            check = Check(rule, "not_applicable", "本报告的“上年结转”未找到", [], [],
                          "this report's carried_over row was not found")
        else:
            check = carry_over({"applications": {"carried_forward": before[0].carried_forward}},
                               {"applications": {"carried_over": r.carried_over}},
                               before=f"上一年度报告 {before[0].file} ")
            check.detail += f" (the year before: {before[0].file})"
        checks[r.file] = check
    return checks


def duplicate_checks(reports: list[_Report]) -> dict[str, Check]:
    """``batch.duplicate`` for every report: fails when the batch holds another report of the same
    issuer (as ``issuer_key`` reads it) and year; files of the same content were dropped before."""
    by_year = _by_issuer_year(reports)
    checks = {}
    for r in reports:
        if not r.issuer or r.year is None:
            checks[r.file] = Check("batch.duplicate", "not_applicable", "报告的发布机关或年度未能读出", [], [],
                                   "the report's issuer or year is unknown")
            continue
        others = [o.file for o in by_year[issuer_key(r.issuer), r.year] if o.file != r.file]
        checks[r.file] = duplicate(r.issuer, r.year, others)
    return checks


def _by_issuer_year(reports: list[_Report]) -> dict[tuple[str, int], list[_Report]]:
    by_year = defaultdict(list)
    for r in reports:
        if r.issuer and r.year is not None:
            by_year[issuer_key(r.issuer), r.year].append(r)
    return by_year


def batch_checks(reports: list[_Report]) -> dict[str, list[Check]]:
    """The batch's own rules for every report, by file."""
    series, duplicates = series_checks(reports), duplicate_checks(reports)
    return {r.file: [series[r.file], duplicates[r.file]] for r in reports}


class _TableWriter:
    """One table written as NAME.parquet and NAME.csv, in batches, each file replaced atomically."""

    def __init__(self, out: Path, name: str, schema: pa.Schema):
        self.schema = schema
        self.targets = [out / f"{name}.parquet", out / f"{name}.csv"]
        self.temps = [t.with_name(f".{t.name}.tmp") for t in self.targets]
        self.parquet = pq.ParquetWriter(self.temps[0], schema)
        self.csv_file = open(self.temps[1], "wb")
        self.csv_file.write("\ufeff".encode("utf-8"))
        self.csv = pcsv.CSVWriter(self.csv_file, schema)
        self.rows: dict[str, list] = {f: [] for f in schema.names}

    def add(self, **row) -> None:
        for k, v in row.items():
            self.rows[k].append(v)
        if len(self.rows["file"]) >= ROWS_PER_BATCH:
            self.flush()

    def flush(self) -> None:
        batch = pa.record_batch(self.rows, schema=self.schema)
        self.parquet.write_batch(batch)
        self.csv.write_batch(batch)
        self.rows = {f: [] for f in self.schema.names}

    def close(self) -> None:
        self.flush()
        self.parquet.close()
        self.csv.close()
        self.csv_file.close()
        for tmp, target in zip(self.temps, self.targets):
            os.replace(tmp, target)


def write_dataset(out: Path, records: list[tuple[str, Path]]) -> dict:
    """Write OUTDIR/cells.{parquet,csv} and OUTDIR/checks.{parquet,csv} for ``records`` (pairs of
    the report's file as the user named it and its record); return the dataset part of summary.json."""
    reports = [_summarise(file, _read(path)) for file, path in records]
    extra = batch_checks(reports)
    cells = _TableWriter(out, "cells", CELLS)
    checks = _TableWriter(out, "checks", CHECKS)
    failing: dict[str, list[str]] = defaultdict(list)
    with_findings = 0
    for (file, path), report in zip(records, reports):
        record = _read(path)
        report_checks = record["checks"] + [asdict(c) for c in extra[file]]
        flagged = {c for check in report_checks if check["status"] == "fail" for c in check["cells"]}
        fmt = report.format
        for c in record["cells"]:
            value = c["value"]
            cid = cell_id(c["table"], c["row"], c["column"])
            table_label, row_label, column_label = zh.labels(cid, fmt)
            box = c["bbox"] or (None, None, None, None)
            cells.add(file=file, issuer=report.issuer, year=report.year, format=fmt,
                      table=c["table"], row=c["row"], column=c["column"],
                      value=None if value is None else float(value), page=c["page"],
                      confidence=c["confidence"], flagged=cid in flagged,
                      corrected_by=" ".join(c.get("corrected_by", ())) or None,
                      confirmed_by=" ".join(c.get("confirmed_by", ())) or None,
                      text=c["text"] or None, table_label=table_label, row_label=row_label,
                      column_label=column_label, x0=box[0], y0=box[1], x1=box[2], y1=box[3])
        for check in report_checks:
            checks.add(file=file, rule=check["rule"], status=check["status"], message=check["message"],
                       detail=check.get("detail"))
            if check["status"] == "fail":
                failing[check["rule"]].append(file)
        with_findings += any(check["status"] == "fail" for check in report_checks)
    cells.close()
    checks.close()

    return {
        "reports_with_findings": with_findings,
        "failed_checks_by_rule": {rule: len(files) for rule, files in sorted(failing.items())},
        "reports_by_failing_rule": dict(sorted(failing.items())),
        "reports_by_format": dict(sorted(Counter(r.format or "unknown" for r in reports).items())),
        "reports_by_year": dict(sorted(Counter(str(r.year) if r.year is not None else "unknown"
                                               for r in reports).items())),
    }
