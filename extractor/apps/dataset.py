"""The dataset analysts want from a batch: every cell and every check of every report, in tables.

``cells``: one row per report and cell read — file, issuer, year, format, table, row, column, value,
page, and two columns that keep a wrong value from passing silently into a spreadsheet: the
reader's ``confidence`` and ``flagged`` (a failing check of that report names the cell); and
``corrected_by``, the rules that confirmed a corrected digit, and ``confirmed_by``, the rules whose
sums vouch for a doubtful reading as read (space-separated; null when none).
``checks``: one row per report and rule — file, rule, status, message — including
``series.carry_over``, which compares a report with the same issuer's report of the year before.

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

from extractor.spec.templates import APPLICATION_COLUMNS, cell_id
from extractor.stages.validate import carry_over
from extractor.types import Check

ROWS_PER_BATCH = 20_000

_text = pa.string()
CELLS = pa.schema([("file", _text), ("issuer", _text), ("year", pa.int32()), ("format", _text),
                   ("table", _text), ("row", _text), ("column", _text), ("value", pa.float64()),
                   ("page", pa.int32()), ("confidence", pa.float64()), ("flagged", pa.bool_()),
                   ("corrected_by", _text), ("confirmed_by", _text)])
CHECKS = pa.schema([("file", _text), ("rule", _text), ("status", _text), ("message", _text)])


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
    by_year = defaultdict(list)
    for r in reports:
        if r.issuer and r.year is not None:
            by_year[issuer_key(r.issuer), r.year].append(r)
    rule = "series.carry_over"
    checks = {}
    for r in reports:
        if not r.issuer or r.year is None:
            checks[r.file] = Check(rule, "not_applicable", "the report's issuer or year is unknown")
            continue
        before = by_year.get((issuer_key(r.issuer), r.year - 1), [])
        if not before:
            check = Check(rule, "not_applicable", f"no report of {r.issuer} for {r.year - 1} in this batch")
        elif len(before) > 1:
            check = Check(rule, "not_applicable", f"{len(before)} reports of {r.issuer} for {r.year - 1}: "
                          + ", ".join(p.file for p in before))
        elif before[0].carried_forward is None:
            check = Check(rule, "not_applicable",
                          f"the carried_forward row of {before[0].file} ({r.year - 1}) was not found")
        elif r.carried_over is None:
            check = Check(rule, "not_applicable", "this report's carried_over row was not found")
        else:
            check = carry_over({"applications": {"carried_forward": before[0].carried_forward}},
                               {"applications": {"carried_over": r.carried_over}})
            check.message += f" (the year before: {before[0].file})"
        checks[r.file] = check
    return checks


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
    series = series_checks(reports)
    cells = _TableWriter(out, "cells", CELLS)
    checks = _TableWriter(out, "checks", CHECKS)
    for (file, path), report in zip(records, reports):
        record = _read(path)
        report_checks = record["checks"] + [asdict(series[file])]
        flagged = {c for check in report_checks if check["status"] == "fail" for c in check["cells"]}
        for c in record["cells"]:
            value = c["value"]
            cells.add(file=file, issuer=report.issuer, year=report.year, format=report.format,
                      table=c["table"], row=c["row"], column=c["column"],
                      value=None if value is None else float(value), page=c["page"],
                      confidence=c["confidence"],
                      flagged=cell_id(c["table"], c["row"], c["column"]) in flagged,
                      corrected_by=" ".join(c.get("corrected_by", ())) or None,
                      confirmed_by=" ".join(c.get("confirmed_by", ())) or None)
        for check in report_checks:
            checks.add(file=file, rule=check["rule"], status=check["status"], message=check["message"])
    cells.close()
    checks.close()

    failed_by_rule = Counter(rule for r in reports for rule in r.failed)
    failed_by_rule.update(c.rule for c in series.values() if c.status == "fail")
    return {
        "failed_checks_by_rule": dict(sorted(failed_by_rule.items())),
        "reports_by_format": dict(sorted(Counter(r.format or "unknown" for r in reports).items())),
        "reports_by_year": dict(sorted(Counter(str(r.year) if r.year is not None else "unknown"
                                               for r in reports).items())),
    }
