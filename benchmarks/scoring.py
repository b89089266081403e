"""A record held against the generator's truth, cell by cell: what the benchmarks count."""

from __future__ import annotations

from dataclasses import dataclass

from extractor.spec.templates import cell_id, get_value, template_cells


@dataclass
class Score:
    cells: int                 # template cells of the report's format
    wrong: list[str]           # cells whose value is not the truth's, or that were not found
    unflagged: list[str]       # wrong cells that no failing check names: silent errors
    alarms: list[str]          # right cells that a failing check names, where the truth expects
                               # none to fail: work for a person the report did not call for


def score(record: dict, truth: dict) -> Score:
    """A cell not found is wrong (tables.complete names it); a report whose format was taken for
    the other one is wrong as a whole ("report/format", never flagged). A format not recognised
    at all is no wrong value: the record says so, and tables.complete names every cell."""
    fmt = truth["report"]["format"]
    failed = [check for check in record["checks"] if check["status"] == "fail"]
    flagged = {c for check in failed for c in check["cells"]}
    # an injected inconsistency rightly names right cells (a total and the rows it sums)
    unexpected = {c for check in failed if check["rule"] not in truth.get("expected_fail", ())
                  for c in check["cells"]}
    found = {cell_id(c["table"], c["row"], c["column"]) for c in record["cells"]}
    keys = template_cells(fmt)
    wrong = [cell_id(*k) for k in keys
             if cell_id(*k) not in found or get_value(record["tables"], *k) != get_value(truth["tables"], *k)]
    alarms = [cell_id(*k) for k in keys if cell_id(*k) in unexpected and cell_id(*k) not in wrong]
    if record["report"]["format"] not in (None, fmt):
        wrong.append("report/format")
    return Score(len(keys), wrong, [c for c in wrong if c not in flagged], alarms)
