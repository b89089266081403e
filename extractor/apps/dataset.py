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
detail (English) — including the batch's own rules: the rules across years of ``extractor.series``
(``series.in_force``, ``series.change``, ``series.copied_prose``, ``series.carry_over``), which
compare a report with the same issuer's report of the year before, and ``batch.duplicate``, two
reports of one issuer and year.
``series``: one row per issuer, year and indicator (``write_series``), the panel over the years.

Both are written as Parquet and as CSV. The CSV is UTF-8 with a byte-order mark: Excel, which
most analysts of these reports open CSVs with, reads a CSV without one in the local code page and
garbles every Chinese character; pandas and pyarrow read the mark transparently.

Records are read again where needed (once for the issuers, years and sentences the series needs,
two at a time for each pair compared, once to write rows) and cells are written in batches, so that
memory holds what the comparisons keep of each record (no cells), not every record.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from extractor.series.compare import BatchSeries, series_checks
from extractor.series.copying import shipped_corpus, standard_sentences
from extractor.series.figures import indicators, value_of
from extractor.series.issuers import (
    Filed,
    by_issuer_year,
    expected_units,
    issuer_key,
    issuer_level,
    names_taken_as_one,
)
from extractor.spec import messages as zh
from extractor.spec.templates import cell_id
from extractor.stages.validate import duplicate
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
SERIES = pa.schema([("issuer", _text), ("issuer_key", _text), ("level", _text), ("year", pa.int32()),
                    ("file", _text), ("format", _text), ("indicator", _text), ("table_label", _text),
                    ("label", _text), ("value", pa.float64()), ("previous", pa.float64()),
                    ("change", pa.float64()), ("ratio", pa.float64()), ("large", pa.bool_()),
                    ("follows", _text)])


def _read(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def _filed(file: str, record: dict) -> Filed:
    return Filed(file, record["report"]["issuer"], record["report"]["year"])


def _sections(record: dict) -> tuple[str | None, list[str]]:
    return record["report"]["issuer"], [s["text"] or "" for s in record["sections"]]


def batch_series(records: list[tuple[str, Path]], expected: list[str] | None = None) -> BatchSeries:
    """``BatchSeries`` of ``records`` (pairs of the report's file as the user named it and its record).

    Records are read once for the issuers, years and sentences, and again two at a time for each
    pair compared, so that memory does not hold every record at once."""
    filed, corpus = [], []
    for file, path in records:
        record = _read(path)
        filed.append(_filed(file, record))
        corpus.append(_sections(record))
    paths = dict(records)
    standard = standard_sentences([*corpus, *shipped_corpus()])
    checks, comparisons = series_checks(filed, lambda f: _read(paths[f]), standard)
    groups = by_issuer_year(filed)
    for r in filed:
        if not r.issuer or r.year is None:
            checks[r.file].append(Check("batch.duplicate", "not_applicable", "报告的发布机关或年度未能读出", [], [],
                                        "the report's issuer or year is unknown"))
            continue
        others = [o.file for o in groups[issuer_key(r.issuer), r.year] if o.file != r.file]
        checks[r.file].append(duplicate(r.issuer, r.year, others))
    return BatchSeries(checks, comparisons, names_taken_as_one(filed),
                       None if expected is None else expected_units(expected, filed))


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


def write_dataset(out: Path, records: list[tuple[str, Path]], series: BatchSeries) -> dict:
    """Write OUTDIR/cells, OUTDIR/checks and OUTDIR/series (each .parquet and .csv) for ``records``
    (pairs of the report's file as the user named it and its record) with the batch's ``series``;
    return the dataset part of summary.json."""
    cells = _TableWriter(out, "cells", CELLS)
    checks = _TableWriter(out, "checks", CHECKS)
    failing: dict[str, list[str]] = defaultdict(list)
    warned: dict[str, list[str]] = defaultdict(list)
    formats: Counter[str] = Counter()
    years: Counter[str] = Counter()
    with_findings = 0
    for file, path in records:
        record = _read(path)
        info = record["report"]
        fmt = info["format"]
        formats[fmt or "unknown"] += 1
        years[str(info["year"]) if info["year"] is not None else "unknown"] += 1
        report_checks = record["checks"] + [asdict(c) for c in series.checks[file]]
        flagged = {c for check in report_checks if check["status"] == "fail" for c in check["cells"]}
        for c in record["cells"]:
            value = c["value"]
            cid = cell_id(c["table"], c["row"], c["column"])
            table_label, row_label, column_label = zh.labels(cid, fmt)
            box = c["bbox"] or (None, None, None, None)
            cells.add(file=file, issuer=info["issuer"], year=info["year"], format=fmt,
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
            elif check["status"] == "warn":
                warned[check["rule"]].append(file)
        with_findings += any(check["status"] == "fail" for check in report_checks)
    cells.close()
    checks.close()
    write_series(out, records, series)

    summary = {
        "reports_with_findings": with_findings,
        "failed_checks_by_rule": {rule: len(files) for rule, files in sorted(failing.items())},
        "reports_by_failing_rule": dict(sorted(failing.items())),
        "warnings_by_rule": {rule: len(files) for rule, files in sorted(warned.items())},
        "reports_by_warning_rule": dict(sorted(warned.items())),
        "reports_by_format": dict(sorted(formats.items())),
        "reports_by_year": dict(sorted(years.items())),
        "compared": len(series.comparisons),
        "names_taken_as_one": series.merged,
    }
    if series.expected is not None:
        summary["expected"] = {"missing": {str(y): names for y, names in series.expected.missing.items()},
                               "unlisted": series.expected.unlisted}
    return summary


def write_series(out: Path, records: list[tuple[str, Path]], series: BatchSeries) -> None:
    """OUTDIR/series.{parquet,csv}: one row per issuer, year and indicator, the panel a researcher
    wants: the issuer as it signed that year, ``issuer_key`` (the body, across spellings), its level
    (省/市/县/乡镇/部门, where the name says it), the file and format, the indicator's id and official
    label, its value, and where the batch has the body's report of the year before, last year's
    value, the change, its ratio, whether the large-change rule flags it and, for a large change
    that follows a larger one feeding it, that one's indicator (``follows``). Rows are sorted by body,
    year and indicator, so that the same records give the same bytes however they were read."""
    compared = {c.new_file: {f.indicator.id: f for f in c.figures} for c in series.comparisons}
    rows = []
    for file, path in records:
        record = _read(path)
        info = record["report"]
        found = {cell_id(c["table"], c["row"], c["column"]) for c in record["cells"]}
        figures = compared.get(file, {})
        for order, indicator in enumerate(indicators()):
            value = value_of(record, indicator, found)
            if value is None:
                continue
            f = figures.get(indicator.id)
            rows.append((issuer_key(info["issuer"]) if info["issuer"] else "", info["year"] or 0, order, file, dict(
                issuer=info["issuer"], issuer_key=issuer_key(info["issuer"]) if info["issuer"] else None,
                level=issuer_level(info["issuer"]), year=info["year"], file=file, format=info["format"],
                indicator=indicator.id, table_label=zh.table_name(indicator.table), label=indicator.label,
                value=value, previous=f.old if f else None, change=f.change if f else None,
                ratio=f.ratio if f else None, large=f.large if f else None, follows=f.follows if f else None)))
    table = _TableWriter(out, "series", SERIES)
    for *_, row in sorted(rows, key=lambda r: r[:4]):
        table.add(**row)
    table.close()
