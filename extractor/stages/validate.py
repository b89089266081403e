"""The rules of SCHEMA.md, run over the tables a report states.

Every rule returns one ``Check``. A failing check names its cells (``applications/granted/total``)
and the values it saw, so that a person can find them. A cell that the document leaves blank is
null in ``tables`` and counts as 0 in sums; a cell that was not found at all makes the rules that
need it ``not_applicable``: a rule never passes on cells it could not see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from extractor.settings import REVIEW
from extractor.spec.rules import SUMS, Equation, Missing, cell_value
from extractor.spec.templates import (
    AMOUNT_CELLS,
    APPLICATION_COLUMNS,
    FORMATS,
    cell_id,
    format_for_year,
    get_value,
    template_cells,
)
from extractor.types import CellReading, Check, ReportInfo, Section


def validate(report: ReportInfo, tables: dict, cells: list[CellReading],
             sections: list[Section]) -> list[Check]:
    found = {c.id for c in cells}
    return [
        *(_sum_check(rule, equations(tables, found), tables, found) for rule, equations in SUMS.items()),
        valid_numbers(tables),
        tables_complete(report.format, found, report.year),
        format_matches_year(report),
        prose_matches_tables(tables, found, sections),
        cells_confident(cells),
    ]


# --- sums -----------------------------------------------------------------------------------------

def _sum_check(rule: str, equations: Iterable[Equation], tables: dict, found: set[str]) -> Check:
    failures, names, missing, evaluated = [], [], 0, 0
    for what, left, right in equations:
        try:
            lv = [cell_value(tables, found, *c) for c in left]
            rv = [cell_value(tables, found, *c) for c in right]
        except Missing:
            missing += 1
            continue
        evaluated += 1
        if sum(lv) != sum(rv):
            failures.append(f"{what}: {' + '.join(map(str, lv))} = {sum(lv)} "
                            f"≠ {' + '.join(map(str, rv))} = {sum(rv)}")
            names += [cell_id(*c) for c in left + right]
    if failures:
        return Check(rule, "fail", "; ".join(failures), names)
    if missing:
        return Check(rule, "not_applicable",
                     f"{missing} of {missing + evaluated} sums need cells that were not found")
    return Check(rule, "pass", f"{evaluated} sums hold")


# --- formats and completeness ---------------------------------------------------------------------

def _all_values(tables: dict):
    for table, part in tables.items():
        for row, value in part.items():
            if isinstance(value, dict):
                for column, v in value.items():
                    yield table, row, column, v
            else:
                yield table, row, None, value


def valid_numbers(tables: dict) -> Check:
    amounts = {cell for cells in AMOUNT_CELLS.values() for cell in cells}
    bad = []
    for table, row, column, v in _all_values(tables):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            ok = False
        elif column == "change":
            ok = isinstance(v, int)
        elif (row, column) in amounts:
            ok = v >= 0
        else:
            ok = isinstance(v, int) and v >= 0
        if not ok:
            bad.append((cell_id(table, row, column), v))
    if bad:
        return Check("cells.valid_numbers", "fail",
                     "not a valid number: " + ", ".join(f"{c} = {v!r}" for c, v in bad),
                     [c for c, _ in bad])
    return Check("cells.valid_numbers", "pass", "every value is a valid number")


def tables_complete(fmt: str | None, found: set[str], year: int | None = None) -> Check:
    """With no format recognised, the tables were not read at all: that fails, naming every cell of
    the format the year calls for (of both formats, the year unknown too), for every report of
    this kind has the tables, and a record without them must not pass as read."""
    if fmt is None:
        formats = (format_for_year(year),) if year else FORMATS
        missing = list(dict.fromkeys(cell_id(*c) for f in formats for c in template_cells(f)))
        return Check("tables.complete", "fail",
                     f"no table of the {' or '.join(formats)} format was recognised", missing)
    missing = [cell_id(*c) for c in template_cells(fmt) if cell_id(*c) not in found]
    if missing:
        return Check("tables.complete", "fail",
                     f"{len(missing)} cells of the {fmt} format were not found", missing)
    return Check("tables.complete", "pass", f"all {len(template_cells(fmt))} cells of the {fmt} format were found")


def format_matches_year(report: ReportInfo) -> Check:
    rule = "format.matches_year"
    if report.year is None:
        return Check(rule, "not_applicable", "the report's year is unknown")
    expected = format_for_year(report.year)
    if report.format is None:
        return Check(rule, "fail", f"a report on {report.year} should follow the {expected} format; "
                                   "no format was recognised")
    if report.format != expected:
        return Check(rule, "fail", f"a report on {report.year} should follow the {expected} format, "
                                   f"its tables follow the {report.format} format")
    return Check(rule, "pass", f"{report.year} report in the {expected} format")


# --- prose against tables -------------------------------------------------------------------------

# 共收到政府信息公开申请 36 件 / 全年收到政府信息依申请公开 11 宗 / 共收到 2条依申请公开信息
_RECEIVED = re.compile(r"(?:收到|受理|接收|接到)([^。；;\d]{0,30}?)(\d+)\s*(?:件|宗|条|个|份)([^。；;，,\d]{0,12})")
# 本机关未收到政府信息公开申请
_NONE_RECEIVED = re.compile(r"(?:未|没有)(?:收到|受理|接到)[^。；;\d]{0,12}申请")


def stated_applications(text: str) -> list[int]:
    """Numbers of new applications that the prose states."""
    text = re.sub(r"\s+", "", text)
    stated = [int(m.group(2)) for m in _RECEIVED.finditer(text)
              if "申请" in m.group(1) or "申请" in m.group(3)]
    stated += [0 for _ in _NONE_RECEIVED.finditer(text)]
    return stated


def prose_matches_tables(tables: dict, found: set[str], sections: list[Section]) -> Check:
    rule, target = "prose.matches_tables", ("applications", "new_received", "total")
    stated = [n for s in sections for n in stated_applications(s.text)]
    if not stated:
        return Check(rule, "not_applicable", "the prose states no number of applications")
    try:
        value = cell_value(tables, found, *target)
    except Missing:
        return Check(rule, "not_applicable", "the table's count of new applications was not found")
    wrong = sorted({n for n in stated if n != value})
    if wrong:
        return Check(rule, "fail", f"the prose states {', '.join(map(str, wrong))} applications received, "
                                   f"the table {value}", [cell_id(*target)])
    return Check(rule, "pass", f"the prose and the table agree: {value} applications received")


# --- confidence -----------------------------------------------------------------------------------

def cells_confident(cells: list[CellReading]) -> Check:
    rule = "cells.confident"
    if not cells:
        return Check(rule, "not_applicable", "no cells were read")
    unsure = [c for c in cells if c.confidence < REVIEW.confident]
    if unsure:
        return Check(rule, "fail", f"{len(unsure)} cells were read with confidence below {REVIEW.confident}: "
                     + ", ".join(f"{c.id} = {c.text!r} ({c.confidence:.2f})" for c in unsure[:20]),
                     [c.id for c in unsure])
    return Check(rule, "pass", f"all {len(cells)} cells read with confidence ≥ {REVIEW.confident}")


# --- across years (batch) -------------------------------------------------------------------------

def carry_over(previous: dict, current: dict) -> Check:
    """This year's carried_over equals the same issuer's carried_forward of the year before."""
    rule, pairs = "series.carry_over", []
    for col in APPLICATION_COLUMNS:
        before = get_value(previous, "applications", "carried_forward", col)
        now = get_value(current, "applications", "carried_over", col)
        pairs.append((col, 0 if before is None else before, 0 if now is None else now))
    wrong = [(c, b, n) for c, b, n in pairs if b != n]
    if wrong:
        return Check(rule, "fail", "; ".join(f"{c}: carried forward {b} last year, carried over {n}"
                                             for c, b, n in wrong),
                     [cell_id("applications", "carried_over", c) for c, _, _ in wrong])
    return Check(rule, "pass", "carried_over matches last year's carried_forward")
