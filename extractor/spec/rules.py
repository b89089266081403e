"""The format's own 勾稽关系 as equations over the tables: which cells must sum to which.

Validation checks them and correction uses them to settle a doubtful digit, so they are stated
here once. A cell the document leaves blank counts as 0; a cell that was not found at all makes an
equation undecidable (``Missing``), never true.
"""

from __future__ import annotations

from extractor.spec.templates import (
    APPLICANT_COLUMNS,
    APPLICATION_COLUMNS,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    cell_id,
    get_value,
    outcome_rows,
)

Equation = tuple[str, list, list]     # (what, left cells, right cells): sum(left) = sum(right)


class Missing(Exception):
    """A cell the sum needs was not found in the document."""


def cell_value(tables: dict, found: set[str], table: str, row: str, column: str | None):
    if cell_id(table, row, column) not in found:
        raise Missing
    value = get_value(tables, table, row, column)
    return 0 if value is None else value


def _balance(tables: dict, found: set[str]) -> list[Equation]:
    a = "applications"
    return [(col, [(a, "new_received", col), (a, "carried_over", col)],
                  [(a, "total", col), (a, "carried_forward", col)])
            for col in APPLICATION_COLUMNS]


def _outcome_rows(tables: dict, found: set[str]) -> list[str]:
    """The rows that （七）总计 sums: the （六） rows the report has, whichever format they follow."""
    rows = outcome_rows(tables.get("applications", {}))
    has = {r for r in rows if any(cell_id("applications", r, c) in found for c in APPLICATION_COLUMNS)}
    other = [r for r in rows if r.startswith("other_handling")]
    keep = [r for r in other if r in has] or other
    return [r for r in rows if not r.startswith("other_handling") or r in keep]


def _total_row(tables: dict, found: set[str]) -> list[Equation]:
    a, rows = "applications", _outcome_rows(tables, found)
    return [(col, [(a, "total", col)], [(a, r, col) for r in rows]) for col in APPLICATION_COLUMNS]


def _total_column(tables: dict, found: set[str]) -> list[Equation]:
    a = "applications"
    return [(row, [(a, row, "total")], [(a, row, c) for c in APPLICANT_COLUMNS]) for row in tables.get(a, {})]


def _review_totals(tables: dict, found: set[str]) -> list[Equation]:
    r = "review_litigation"
    return [(g, [(r, f"{g}.total", None)], [(r, f"{g}.{c}", None) for c in REVIEW_COLUMNS[:-1]])
            for g in REVIEW_GROUPS]


# The format's own 勾稽关系: each rule's sums, over the tables as read.
SUMS = {
    "applications.balance": _balance,
    "applications.total_row": _total_row,
    "applications.total_column": _total_column,
    "review_litigation.totals": _review_totals,
}


def equation_holds(equation: Equation, tables: dict, found: set[str]) -> bool | None:
    """Whether the sums are equal; None when a cell they need was not found."""
    _, left, right = equation
    try:
        return sum(cell_value(tables, found, *c) for c in left) == sum(cell_value(tables, found, *c) for c in right)
    except Missing:
        return None
