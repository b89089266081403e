"""The two official table formats, as ids and official labels.

Everything here is read from ``spec/templates.json`` (the project's copy of the shared spec), so
that ids are spelled in exactly one place. A *cell id* is how SCHEMA.md names a cell in checks:
``applications/granted/total``, ``active_disclosure/fees/amount_wan``,
``review_litigation/review.total``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from extractor.types import Format

FORMATS: tuple[Format, ...] = ("2019", "2021")
TABLES = ("active_disclosure", "applications", "review_litigation")


@cache
def spec() -> dict:
    return json.loads(files("extractor").joinpath("spec/templates.json").read_text("utf-8"))


def format_for_year(year: int) -> str:
    """The format the State Council prescribes for a report on ``year``."""
    return "2019" if year <= 2020 else "2021"


# --- active disclosure (二、主动公开政府信息情况) -------------------------------------------------

@dataclass(frozen=True)
class DisclosureGroup:
    item: str                      # 第二十条第（一）项
    rows: dict[str, str]           # id -> official label
    columns: dict[str, str]        # id -> official label


@cache
def disclosure_groups(fmt: str) -> tuple[DisclosureGroup, ...]:
    return tuple(
        DisclosureGroup(g["item"], dict(g["rows"]), dict(g["columns"]))
        for g in spec()["formats"][fmt]["active_disclosure"]["groups"]
    )


# Amount cells: their unit is whatever the document states, recorded in ``units``.
AMOUNT_CELLS = {
    "2019": (("procurement", "procurement_amount"),),
    "2021": (("fees", "amount_wan"),),
}


def unit_key(row: str, column: str) -> str:
    return f"active_disclosure.{row}.{column}"


# --- applications (三、收到和处理政府信息公开申请情况) ---------------------------------------------

APPLICANT_COLUMNS = (
    "natural_person", "commercial_enterprise", "research_institution",
    "social_welfare_org", "legal_service_org", "other_org",
)
APPLICATION_COLUMNS = APPLICANT_COLUMNS + ("total",)

OTHER_HANDLING_2019 = ("other_handling",)
OTHER_HANDLING_2021 = ("other_handling.no_correction", "other_handling.fee_unpaid", "other_handling.other")


def application_labels() -> dict[str, str]:
    """Row id -> official label (with the template's bracketed notes removed)."""
    return {k: v.split("  [")[0] for k, v in spec()["applications"]["rows"].items()}


def application_column_labels() -> dict[str, str]:
    return dict(spec()["applications"]["columns"])


@cache
def application_rows(fmt: str) -> tuple[str, ...]:
    """The template's rows of the applications table, in document order."""
    drop = OTHER_HANDLING_2021 if fmt == "2019" else OTHER_HANDLING_2019
    return tuple(r for r in spec()["applications"]["rows"] if r not in drop)


def outcome_rows(rows) -> tuple[str, ...]:
    """The rows summed into （七）总计: granted … other_handling[.*], of those given."""
    order = list(spec()["applications"]["rows"])
    first, last = order.index("granted"), order.index("total")
    return tuple(r for r in order[first:last] if r in rows)


# --- review and litigation (四、政府信息公开行政复议、行政诉讼情况) --------------------------------

REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")
REVIEW_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
REVIEW_CELLS = tuple(f"{g}.{c}" for g in REVIEW_GROUPS for c in REVIEW_COLUMNS)


# --- all cells ------------------------------------------------------------------------------------

def cell_id(table: str, row: str, column: str | None = None) -> str:
    """How SCHEMA.md names a cell: review/litigation cells have no row/column split."""
    return f"{table}/{row}" if column is None else f"{table}/{row}/{column}"


@cache
def template_cells(fmt: str) -> tuple[tuple[str, str, str | None], ...]:
    """Every (table, row, column) of the format, in document order; column None for review cells."""
    cells: list[tuple[str, str, str | None]] = []
    for g in disclosure_groups(fmt):
        cells += [("active_disclosure", r, c) for r in g.rows for c in g.columns]
    cells += [("applications", r, c) for r in application_rows(fmt) for c in APPLICATION_COLUMNS]
    cells += [("review_litigation", k, None) for k in REVIEW_CELLS]
    return tuple(cells)


def empty_tables(fmt: str) -> dict:
    """``tables`` in the shape of SCHEMA.md with every template cell of ``fmt`` set to null."""
    tables: dict = {"active_disclosure": {}, "applications": {}, "review_litigation": {}}
    for table, row, column in template_cells(fmt):
        if column is None:
            tables[table][row] = None
        else:
            tables[table].setdefault(row, {})[column] = None
    return tables


def get_value(tables: dict, table: str, row: str, column: str | None):
    part = tables.get(table, {})
    if column is None:
        return part.get(row)
    return part.get(row, {}).get(column)


def set_value(tables: dict, table: str, row: str, column: str | None, value) -> None:
    if column is None:
        tables.setdefault(table, {})[row] = value
    else:
        tables.setdefault(table, {}).setdefault(row, {})[column] = value
