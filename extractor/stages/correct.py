"""Between reconstruct and validate: the table's own sums settle doubtful readings. A doubtful
reading whose characters a reader may have confused (0/O, 1/l/I, 7/1, a speck read as a full stop)
is corrected only where the sums confirm the correction; a doubtful count the sums vouch for as it
was read is confirmed.

Only sums whose other cells were all read with confidence count. A correction is confirmed when
exactly one way of swapping the confusable characters gives a value for which every such sum holds:
the cell takes that value with the lowest passing confidence, keeps the text it was read as, and
names the rules (``corrected_by``); the record's problems say so too. A doubtful count other than 0
for which every such sum already holds takes the lowest passing confidence and names the rules
(``confirmed_by``): any other value would break them. A 0 or a blank is not confirmed, for a sum
cannot tell a blank from a 0. Anything else stays as read, and flagged: a cell whose sums share
another doubtful cell, one that two swaps would fit equally.
"""

from __future__ import annotations

import copy
import itertools
import unicodedata
from dataclasses import replace

from extractor.settings import REVIEW
from extractor.spec import messages as zh
from extractor.spec.rules import SUMS, Equation, equation_holds
from extractor.spec.templates import cell_id, set_value
from extractor.spec.values import parse_value
from extractor.types import CellReading, TableReading

CONFUSED = {"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "7": "1", "1": "7"}
MAX_SWAPS = 4       # confusable characters tried in one cell (2**4 readings)
SPECKS = ".,'`·"


def correct(reading: TableReading) -> TableReading:
    cells = {c.id: c for c in reading.cells}
    found = set(cells)
    trusted = {i for i, c in cells.items() if c.confidence >= REVIEW.confident}
    equations = [(rule, eq, [cell_id(*c) for c in eq[1] + eq[2]])
                 for rule, sums in SUMS.items() for eq in sums(reading.tables, found)]
    corrected, confirmed, problems = {}, {}, []
    for name, cell in cells.items():
        if name in trusted:
            continue
        # only sums whose other cells were all read with confidence can vouch for this one
        mine = [(rule, eq) for rule, eq, ids in equations
                if name in ids and all(i in trusted for i in ids if i != name)]
        if not mine:
            continue
        rules = tuple(dict.fromkeys(rule for rule, _ in mine))
        as_read = parse_value(cell.text)
        if not as_read.problem and all(_holds(eq, reading.tables, found, cell, cell.value) for _, eq in mine):
            if cell.value:
                confirmed[name] = replace(cell, confidence=REVIEW.confident, confirmed_by=rules)
            continue
        fits = [v for v in _alternatives(cell.text, cell.value)
                if all(_holds(eq, reading.tables, found, cell, v) for _, eq in mine)]
        if len(fits) == 1:
            corrected[name] = replace(cell, value=fits[0], confidence=REVIEW.confident, corrected_by=rules)
            problems.append(f"{zh.cell_reference(name, reading.format)}：读作{zh.quoted(cell.text)}，改为 {fits[0]}，"
                            f"{'、'.join(map(zh.rule_name, rules))}随之成立")
    if not corrected and not confirmed:
        return reading
    tables = copy.deepcopy(reading.tables)
    for c in corrected.values():
        set_value(tables, c.table, c.row, c.column, c.value)
    settled = corrected | confirmed
    return replace(reading, tables=tables, cells=[settled.get(c.id, c) for c in reading.cells],
                   problems=reading.problems + problems)


def _alternatives(text: str, value) -> set[int]:
    """The counts the text could say with some of its confusable characters swapped, or without
    the specks a scan leaves beside a number (37. for 37)."""
    read = unicodedata.normalize("NFKC", text).strip()
    out = set()
    for t in {read, read.strip(SPECKS)}:
        spots = [i for i, ch in enumerate(t) if ch in CONFUSED]
        if len(spots) > MAX_SWAPS:
            continue
        for swaps in itertools.product((False, True), repeat=len(spots)):
            chars = list(t)
            for i, swap in zip(spots, swaps):
                if swap:
                    chars[i] = CONFUSED[chars[i]]
            parsed = parse_value("".join(chars))
            if isinstance(parsed.value, int) and parsed.value >= 0 and not parsed.problem:
                out.add(parsed.value)
    return out - {value}


def _holds(equation: Equation, tables: dict, found: set[str], cell: CellReading, value) -> bool:
    trial = copy.deepcopy(tables)
    set_value(trial, cell.table, cell.row, cell.column, value)
    return equation_holds(equation, trial, found) is True
