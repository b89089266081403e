"""Key figures of one body's two years side by side, the change and its ratio, and the figures whose
change is large; ``series.carry_over`` and ``series.in_force`` over the two records.

The large-change rule. A figure is flagged when its change is large on three counts at once:

1. against the noise of a count: |new − old| ≥ 4·√(old + new). Two counts of a body doing the same
   work each year (Poisson counts of one rate) differ by more than that less than once in 15,000
   pairs, so a flagged change is not chance;
2. against its own size: the larger year is at least twice the smaller (doubled or halved), so
   that a 10% change of a figure in the thousands, however sure, is not called a jump;
3. against the body's scale: the change is at least 5% of the largest figure of the same table in
   either year, so that a column that goes from 0 to 9 beside 3,000 applications is not one.

Amounts (万元, 元) and the 2019 format's 本年增/减 (itself a change, with a sign) are not counts, and 上年结转 and 结转下年度 are what happens to be open at a
year's end (a matter of timing, and ``series.carry_over`` checks the one against the other): their
change is shown and never flagged. ``tests/test_series.py``
runs the rule over generated series (every count drifting by up to 15% plus count noise, as
``training/series.py`` makes them) and asserts no flag there and a flag on every jump put in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from extractor.spec import messages as zh
from extractor.spec.templates import (
    AMOUNT_CELLS,
    APPLICATION_COLUMNS,
    REVIEW_GROUPS,
    application_labels,
    cell_id,
    disclosure_groups,
    get_value,
    spec,
)
from extractor.stages.validate import carry_over
from extractor.types import Check

NOISE_SDS = 4.0       # rule 1
FACTOR = 2.0          # rule 2
SCALE_SHARE = 0.05    # rule 3


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str                  # applications/denied/total: a cell id, or a group of rows summed
    table: str
    label: str               # 表三 （三）不予公开 · 总计
    cells: tuple[str, ...]   # the cells summed (one for a cell)
    judged: bool             # whether the large-change rule applies (not to an amount, 本年增/减 or the carried rows)
    formats: tuple[str, ...]


# the outcome groups the applications table is compared by: 予以公开, 部分公开, then each reason group
_APPLICATION_ROWS = ("new_received", "carried_over", "granted", "partially_granted", "denied", "unable",
                     "not_processed", "other_handling", "total", "carried_forward")


@cache
def indicators() -> tuple[Indicator, ...]:
    """Every figure compared, in the order of the report: active disclosure per item and column,
    the applications per row group and applicant column, the review and litigation totals."""
    out: list[Indicator] = []
    seen: dict[str, int] = {}
    amounts = {cell_id("active_disclosure", r, c) for cells in AMOUNT_CELLS.values() for r, c in cells}
    for fmt in ("2021", "2019"):
        for g in disclosure_groups(fmt):
            for row in g.rows:
                for column in g.columns:
                    cid = cell_id("active_disclosure", row, column)
                    if cid in seen:
                        i = seen[cid]
                        out[i] = Indicator(cid, out[i].table, out[i].label, out[i].cells, out[i].judged,
                                           out[i].formats + (fmt,))
                        continue
                    seen[cid] = len(out)
                    out.append(Indicator(cid, "active_disclosure", zh.cell_label(cid, fmt), (cid,),
                                         cid not in amounts and column != "change", (fmt,)))
    labels = application_labels()
    rows = list(spec()["applications"]["rows"])
    for group in _APPLICATION_ROWS:
        members = [r for r in rows if r == group or r.startswith(group + ".")]
        label = labels[members[0]].split(" ")[0]
        for column in APPLICATION_COLUMNS:
            cells = tuple(cell_id("applications", r, column) for r in members)
            out.append(Indicator(f"applications/{group}/{column}", "applications",
                                 f"表三 {label} · {zh.column_label('applications', group, column)}", cells,
                                 group not in ("carried_over", "carried_forward"),
                                 ("2019", "2021")))
    for group in REVIEW_GROUPS:
        cid = cell_id("review_litigation", f"{group}.total")
        out.append(Indicator(cid, "review_litigation", zh.cell_label(cid), (cid,), True, ("2019", "2021")))
    return tuple(out)


def found_cells(record: dict) -> set[str]:
    return {cell_id(c["table"], c["row"], c["column"]) for c in record["cells"]}


def value_of(record: dict, indicator: Indicator, found: set[str] | None = None) -> float | None:
    """The figure in ``record``: the sum of its cells (a blank counts 0), None when one of them was
    not found or the report's format has no such figure."""
    found = found_cells(record) if found is None else found
    if record["report"]["format"] not in indicator.formats:
        return None
    cells = [c for c in indicator.cells if c in found or _in_format(record, c)]
    if not cells or any(c not in found for c in cells):
        return None
    total = 0.0
    for c in cells:
        table, row, column = zh.split_id(c)
        total += get_value(record["tables"], table, row, column) or 0
    return total


def _in_format(record: dict, cell: str) -> bool:
    """Whether the report's own table has ``cell`` (a 2019 report has no （六） 1.–3. rows)."""
    table, row, column = zh.split_id(cell)
    part = record["tables"].get(table, {})
    return row in part if column is None else column in (part.get(row) or {})


@dataclass(slots=True)
class Figure:
    indicator: Indicator
    old: float | None
    new: float | None
    change: float | None       # new − old
    ratio: float | None        # change / old; None when old is 0 or unknown
    large: bool
    follows: str | None = None   # a large change that moves with a larger one feeding it: that one's indicator id


def is_large(old: float, new: float, scale: float) -> bool:
    """The large-change rule of the module docstring."""
    if old < 0 or new < 0:   # a signed figure is not a count
        return False
    change = abs(new - old)
    return (change > 0 and change >= NOISE_SDS * math.sqrt(old + new)
            and max(old, new) >= FACTOR * min(old, new) and change >= SCALE_SHARE * scale)


def side_by_side(old: dict, new: dict) -> list[Figure]:
    """Every indicator either report has, old and new with the change; ``large`` by the rule."""
    found_old, found_new = found_cells(old), found_cells(new)
    pairs = [(i, value_of(old, i, found_old), value_of(new, i, found_new)) for i in indicators()]
    pairs = [(i, a, b) for i, a, b in pairs if a is not None or b is not None]
    scale: dict[str, float] = {}
    for i, a, b in pairs:
        if i.judged:
            scale[i.table] = max(scale.get(i.table, 0.0), a or 0.0, b or 0.0)
    figures = []
    for i, a, b in pairs:
        change = None if a is None or b is None else b - a
        ratio = None if change is None or not a else change / a
        large = i.judged and a is not None and b is not None and is_large(a, b, scale[i.table])
        figures.append(Figure(i, a, b, change, ratio, large))
    _mark_followers(figures)
    return figures


# 表三's figures move together: 本年新收 feeds every 办理结果 row and the 总计 row of its column, and
# the applicant columns feed the 总计 column of their row. A large change that goes the same way
# as a large change feeding it is that one's consequence: said with it, not as a jump of its own
# (one jump in 本年新收 · 自然人 otherwise flags 14 figures).
_FED_ROWS = ("granted", "partially_granted", "denied", "unable", "not_processed", "other_handling", "total")


def _feeders(indicator: str) -> list[str]:
    table, group, column = indicator.split("/") if indicator.count("/") == 2 else ("", "", "")
    if table != "applications":
        return []
    feeding = [f"applications/{group}/{c}" for c in APPLICATION_COLUMNS if c != "total"] if column == "total" else []
    return feeding + ([f"applications/new_received/{column}"] if group in _FED_ROWS else [])


def _mark_followers(figures: list[Figure]) -> None:
    """Set ``follows`` of each large change fed by a larger one that goes the same way, to the
    indicator at the head of that chain."""
    large = {f.indicator.id: f for f in figures if f.large}

    def source(f: Figure) -> Figure | None:
        feeding = [large[i] for i in _feeders(f.indicator.id)
                   if i in large and (large[i].change or 0) * (f.change or 0) > 0]
        return max(feeding, key=lambda g: abs(g.change or 0), default=None)

    for f in large.values():
        head = source(f)
        while head is not None and (up := source(head)) is not None:
            head = up
        f.follows = None if head is None else head.indicator.id


def change_kind(f: Figure) -> str | None:
    """How the comparison marks a figure: 大幅变化, 随之变化 (a large change following a larger one
    that feeds it), or None."""
    return None if not f.large else "随之变化" if f.follows else "大幅变化"


def change_note(f: Figure) -> str | None:
    """A large change: 由 30 增至 170（…）, and what it follows: …（随 表三 一、本年新收… · 自然人）"""
    if not f.large:
        return None
    return change_text(f) + (f"（随 {_by_id()[f.follows].label}）" if f.follows else "")


@cache
def _by_id() -> dict[str, Indicator]:
    return {i.id: i for i in indicators()}


def change_text(f: Figure) -> str:
    """由 30 增至 170（增加 140，+466.7%）"""
    old, new = zh.value_text(f.old), zh.value_text(f.new)
    if f.change is None:
        return f"{old} → {new}"
    word = "增至" if f.change > 0 else "减至" if f.change < 0 else "持平于"
    if not f.change:
        return f"{word} {new}"
    ratio = f"，{f.ratio:+.1%}" if f.ratio is not None else ""
    return f"由 {old} {word} {new}（{'增加' if f.change > 0 else '减少'} {zh.value_text(abs(f.change))}{ratio}）"


def changes_check(figures: Iterable[Figure], before: str) -> Check:
    """``series.change``: a warning with a finding per large change that follows from no other,
    naming the large changes that follow from it."""
    rule = "series.change"
    figures = list(figures)
    heads = [f for f in figures if f.large and f.follows is None]
    if not heads:
        return Check(rule, "pass", f"与{before}相比，各项数据没有大幅变化", [], [],
                     "no figure changed by much against the year before")
    findings: list[dict] = []
    for head in heads:
        moved = [f for f in figures if f.follows == head.indicator.id]
        also = (f"，随之同向大幅变化的还有 {len(moved)} 项："
                + "、".join(f"{f.indicator.label.removeprefix('表三 ')} {change_text(f)}" for f in moved)
                if moved else "")
        findings.append({"message": f"{head.indicator.label} {change_text(head)}，与{before}相比变化较大，请核实{also}",
                         "cells": [c for f in (head, *moved) for c in f.indicator.cells], "pages": [],
                         "left": head.new, "right": head.old, "difference": head.change,
                         "expected": zh.RULE_MEANING[rule]})
    return Check(rule, "warn", "；".join(f["message"] for f in findings),
                 [c for f in findings for c in f["cells"]], findings,
                 "; ".join(f"{f.indicator.id}: {zh.value_text(f.old)} → {zh.value_text(f.new)}"
                           + (f" (and {n} that follow it)" if (n := sum(g.follows == f.indicator.id for g in figures)) else "")
                           for f in heads))


def carry_over_check(old: dict, new: dict, before: str) -> Check:
    """``series.carry_over`` (``validate.carry_over``) when both rows were found."""
    rule = "series.carry_over"
    found_old, found_new = found_cells(old), found_cells(new)
    if not all(cell_id("applications", "carried_forward", c) in found_old for c in APPLICATION_COLUMNS):
        return Check(rule, "not_applicable", f"{before}的“结转下年度继续办理”未找到", [], [],
                     "the carried_forward row of the year before was not found")
    if not all(cell_id("applications", "carried_over", c) in found_new for c in APPLICATION_COLUMNS):
        return Check(rule, "not_applicable", "本报告的“上年结转”未找到", [], [],
                     "this report's carried_over row was not found")
    return carry_over(old["tables"], new["tables"], before=before)


def in_force_check(old: dict, new: dict, before: str) -> Check:
    """``series.in_force`` (2021 format): this year's 现行有效件数 of 规章 and of 规范性文件 equals
    last year's plus this year's 制发 minus 废止; a warning with the arithmetic where it does not
    (documents can also lapse without being repealed, so it is for a person to look at)."""
    rule = "series.in_force"
    if old["report"]["format"] != "2021" or new["report"]["format"] != "2021":
        return Check(rule, "not_applicable", "两年均为 2021 格式时才有“现行有效件数”可比", [], [],
                     "both years must use the 2021 format, which has in_force")
    found_old, found_new = found_cells(old), found_cells(new)
    findings: list[dict] = []
    compared: list[str] = []
    for row in ("rules", "normative_documents"):
        last = cell_id("active_disclosure", row, "in_force")
        ids = {c: cell_id("active_disclosure", row, c) for c in ("issued", "repealed", "in_force")}
        if last not in found_old or any(i not in found_new for i in ids.values()):
            continue
        held = get_value(old["tables"], "active_disclosure", row, "in_force") or 0
        issued, repealed, now = (get_value(new["tables"], "active_disclosure", row, c) or 0
                                 for c in ("issued", "repealed", "in_force"))
        name = zh.row_label("active_disclosure", row)
        compared.append(name)
        expected = held + issued - repealed
        if now != expected:
            v = zh.value_text
            findings.append({
                "message": f"表二 {name} 现行有效件数为 {v(now)}，{before}为 {v(held)}，本年制发 {v(issued)}、"
                           f"废止 {v(repealed)}：{v(held)} + {v(issued)} − {v(repealed)} = {v(expected)}，相差 {v(now - expected)}",
                "cells": list(ids.values()), "pages": [], "left": now, "right": expected,
                "difference": now - expected, "expected": zh.RULE_MEANING[rule]})
    if not compared:
        return Check(rule, "not_applicable", "规章、规范性文件的件数未找到", [], [],
                     "the rules and normative documents rows were not found")
    if findings:
        return Check(rule, "warn", "；".join(f["message"] for f in findings),
                     [c for f in findings for c in f["cells"]], findings,
                     "; ".join(f"in_force {f['left']} != last year's + issued - repealed = {f['right']}" for f in findings))
    return Check(rule, "pass", f"{'、'.join(compared)}现行有效件数与{before}相接", [], [],
                 "in_force = last year's in_force + issued - repealed")
