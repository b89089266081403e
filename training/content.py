"""What a synthetic report says: its words, its numbers and how each is printed.

``ReportContent`` is the contract between the content generator (this module) and the typesetter
(``typeset.py``): the content decides *what* is printed (values, the exact text of every cell,
label variants, prose, deliberate inconsistencies); the typesetter decides *where and how*
(fonts, column widths, wrapping, page breaks, WPS- or Word-style glyph placement).

Notes for the typesetter (fields added to the original contract):
- ``row_labels`` lists the printed rows of each table in document order; a row missing from it is
  not printed (the legacy 2021 report prints ``other_handling`` instead of the three
  ``other_handling.*`` rows). A sub-row's label is "GROUP SUB" split at the first space, exactly
  like ``templates.application_labels()``: "（三）不予公开 1、属于国家秘密".
- ``group_labels``: the printed spanning labels: "applicant" 申请人情况, "legal_persons"
  法人或其他组织, "balance_note" （本列数据的勾稽关系为…）, "outcomes" 三、本年度办理结果,
  "review" 行政复议, "litigation" 行政诉讼, "litigation_direct" 未经复议直接起诉,
  "litigation_after_review" 复议后起诉, "item_label" 信息内容, and for active disclosure one key
  per group "item:N" (N = index in ``disclosure_groups``) -> 第二十条第（一）项.
- ``column_labels[("active_disclosure", column)]`` may carry the amount's unit in the header:
  采购总金额（单位：万元，保留4位小数）.
- ``issuer`` may be None (a report that never names itself, like seed 004); ``title`` never is.
- ``traits``: what the content deliberately contains (blank_cells, slash_cells, annotated_cell, …);
  the truth lists them together with the typesetter's traits.
- ``truth_notes``: a sentence for people (why a seed's layout was chosen), written into the truth.
- ``table_after``: table -> section number after whose paragraphs the table is drawn instead of
  under its own heading. Seed 004 draws its review table after 六: {"review_litigation": "六"}.
  (Requested from typeset; not yet honoured there.)
- ``SectionContent.before_table``: how many of the section's first paragraphs stand between its
  heading and its table (a lead-in sentence: 具体情况见下表：). They are part of the section's text
  like any other paragraph. The layout engines (``layout.py``) honour it; ``typeset.py`` prints
  them after the table.

Options only the layout engines ask for (never drawn at random, so that a seed's report under
``typeset.py`` stays as it was): ``amount_unit="note"`` (the unit stated in a 注 under the
table), ``amount_unit="cell"`` for a 2021 report (本年收费金额 with 12.5万元 in the cell),
``lead_in=True`` and ``blank_zero_tables=True`` (a table whose every value is 0 printed blank).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from extractor.spec.templates import (
    AMOUNT_CELLS,
    APPLICANT_COLUMNS,
    APPLICATION_COLUMNS,
    OTHER_HANDLING_2021,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    application_column_labels,
    application_labels,
    application_rows,
    disclosure_groups,
    empty_tables,
    format_for_year,
    outcome_rows,
    set_value,
    spec,
    template_cells,
    unit_key,
)

from . import prose

CellKey = tuple[str, str, str | None]   # (table, row, column); column None for review_litigation


@dataclass
class Paragraph:
    text: str
    heading: bool = False      # a numbered sub-heading on a line of its own: （一）主动公开方面。


@dataclass
class SectionContent:
    number: str                # 一 … 六
    title: str                 # 总体情况
    paragraphs: list[Paragraph]
    before_table: int = 0      # the first paragraphs printed between the heading and the table
    # Sections 二, 三 and 四 carry the tables: the typesetter places the section's table(s)
    # (active_disclosure, applications, review_litigation) after the heading and before
    # the paragraphs, which then follow the table on the same page when there is room.


@dataclass
class ReportContent:
    seed: int
    name: str                  # file stem: e.g. "r2021-0007-wps"
    title: str                 # 连州市人民政府办公室2023年政府信息公开工作年度报告
    issuer: str | None         # 连州市人民政府办公室; None when the report never names itself
    year: int
    format: str                # "2019" | "2021"
    date: str | None           # ISO signing date, or None when the report is unsigned
    date_text: str | None      # as printed: 2024 年 1 月 12 日
    intro: list[Paragraph]     # paragraphs before 一、总体情况
    sections: list[SectionContent]

    tables: dict               # truth values in SCHEMA.md shape; null for blank cells
    units: dict                # SCHEMA.md units, e.g. {"active_disclosure.fees.amount_wan": "万元"}
    cell_text: dict[CellKey, str]            # exactly what is printed in each cell ("" blank, "/", "+453", "22（其中修订16件）")
    row_labels: dict[tuple[str, str], str]   # (table, row) -> printed label, variants included; document order
    column_labels: dict[tuple[str, str], str]  # (table, column) -> printed header, e.g. 社会组织
    notes: dict[str, str] = field(default_factory=dict)   # table -> 注：… printed under it
    legacy_other_handling: bool = False      # a 2021-format report printing the single 2019-style （六） row
    expected_fail: list[str] = field(default_factory=list)  # rule ids that must fail, and why
    expected_warn: list[str] = field(default_factory=list)  # rule ids that must warn
    injected: str | None = None              # what inconsistency was put in, for people
    group_labels: dict[str, str] = field(default_factory=dict)
    signer: str | None = None                # the name printed above the date; None: no signature
    traits: list[str] = field(default_factory=list)
    truth_notes: str = ""
    table_after: dict[str, str] = field(default_factory=dict)


# --- options --------------------------------------------------------------------------------------

PROFILES = ("zero", "small", "medium", "large")
CELL_TRAITS = ("blank_cells", "slash_cells", "annotated_cell", "plus_sign")
LABEL_VARIANTS = ("dun_numbering", "shehui_zuzhi", "shiyexing_fei", "typo", "halfwidth_brackets")
AMOUNT_UNITS = ("none", "header", "cell")      # drawn at random; "note" only when asked
INJECTIONS = ("total_row", "total_column", "balance", "review_totals", "prose")

# The rules each injection breaks (content.py checks this against extractor.stages.validate).
INJECTION_FAILS = {
    "total_row": ["applications.total_row"],
    "total_column": ["applications.total_column", "applications.total_row"],
    "balance": ["applications.balance"],
    "review_totals": ["review_litigation.totals"],
    "prose": ["prose.matches_tables"],
}


def make_content(seed: int, *, year: int | None = None, fmt: str | None = None,
                 inject: str | None = "random", legacy_other_handling: bool = False,
                 profile: str | None = None, cell_traits=None, label_variants=None,
                 amount_unit: str | None = None, note: bool | None = None,
                 statement: str | None = None, issuer: str | None = "random",
                 name: str | None = None, lead_in: bool = False,
                 blank_zero_tables: bool = False, defect: str | None = None) -> ReportContent:
    """A report, deterministic from ``seed``; each keyword forces one choice, None/"random" draws it.

    ``inject``: "random" (one report in four), None (consistent) or one of ``INJECTIONS``.
    ``statement``: how the prose states the applications received: "stated", "none".
    ``cell_traits`` / ``label_variants``: iterables of names from ``CELL_TRAITS`` / ``LABEL_VARIANTS``.
    ``amount_unit``: "none", "header", "cell" or "note" (2019); None, "cell" or "note" (2021, where
    None keeps the template's 本年收费金额（单位：万元）).
    ``lead_in``: a sentence between the heading and the table of one to three of 二, 三, 四.
    ``blank_zero_tables``: every table whose values are all 0 is printed with its cells blank.
    ``defect``: one of ``DEFECTS``, a fault of the report itself rather than of its tables (an
    auditor's findings): parts 五 and 六 missing, 第五部分 only 无, or, in the 2021 format, fee
    notices counted in the table while 第六部分 says 无. (A report without issuer: ``issuer=None``.)
    """
    if defect is not None and defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect!r}; choose from {DEFECTS}")
    rng = random.Random(seed)
    if year is None:
        year = rng.choice([y for y in range(2019, 2025) if fmt is None or format_for_year(y) == fmt])
    fmt = fmt or format_for_year(year)
    if legacy_other_handling and fmt != "2021":
        raise ValueError("a legacy （六）其他处理 row only departs from the 2021 format")
    body = prose.issuer_for(rng) if issuer == "random" else prose.body_for(issuer)
    profile = profile or rng.choices(PROFILES, weights=(2, 5, 3, 1))[0]
    cell_traits = _pick(rng, cell_traits, CELL_TRAITS, 0.35)
    label_variants = _pick(rng, label_variants, LABEL_VARIANTS, 0.25)
    if fmt == "2021":
        amount_unit = amount_unit if amount_unit in ("cell", "note") else None
    elif amount_unit is None:
        amount_unit = rng.choice(AMOUNT_UNITS)
    if inject == "random":
        inject = rng.choice(INJECTIONS) if rng.random() < 0.25 else None
    statement = statement or rng.choices(("stated", "none"), weights=(4, 1))[0]

    tables = _tables(rng, fmt, profile, body.scale, legacy_other_handling)
    applications_rows = application_rows("2019") if legacy_other_handling else application_rows(fmt)
    content = ReportContent(
        seed=seed, name=name or f"r{year}-{seed:04d}", title="", issuer=body.issuer, year=year,
        format=fmt, date=None, date_text=None, intro=[], sections=[], tables=tables, units={},
        cell_text={}, row_labels={}, column_labels={},
        legacy_other_handling=legacy_other_handling,
    )
    content.traits += [f"profile_{profile}"] + (["legacy_other_handling"] if legacy_other_handling else [])
    _labels(content, rng, applications_rows, label_variants)
    _cell_text(content, rng, cell_traits, amount_unit)
    if note if note is not None else rng.random() < 0.3:
        _note(content, rng)
    if defect == "fees_unreported":
        if fmt != "2021" or legacy_other_handling:
            raise ValueError("fees_unreported needs the 2021 format's （六）其他处理 2. row")
        a = "applications"
        if not (content.tables[a]["other_handling.fee_unpaid"]["total"] or 0):
            # one more application received and closed unpaid: every sum still holds
            for row in ("new_received", "other_handling.fee_unpaid", "total"):
                for col in ("natural_person", "total"):
                    _bump(content, (a, row, col), 1)
    received = get_received(content.tables)
    stated = None
    if inject is not None:
        stated = _inject(content, rng, inject)
    if statement == "stated" and stated is None:
        stated = received
    if blank_zero_tables:
        _blank_zero_tables(content)
    prose.write(content, rng, body, stated)
    if lead_in:
        _lead_in(content, rng)
    if defect is not None:
        _defect(content, defect)
    if legacy_other_handling:
        content.expected_fail.append("tables.complete")
    if fmt != format_for_year(year):          # asked for: a report printing the other year's tables
        content.expected_fail.append("format.matches_year")
        content.traits.append("format_not_of_year")
    fails, content.expected_warn = report_faults(content)
    content.expected_fail = sorted(set(content.expected_fail) | set(fails))
    check(content)
    return content


DEFECTS = ("missing_parts", "empty_problems", "fees_unreported")


def _defect(content: ReportContent, defect: str) -> None:
    if defect == "missing_parts":
        content.sections = [s for s in content.sections if s.number not in "五六"]
        content.expected_fail.append("sections.complete")
    elif defect == "empty_problems":
        five = next(s for s in content.sections if s.number == "五")
        five.paragraphs = [Paragraph("无。")]
        content.expected_fail.append("sections.complete")
    elif defect == "fees_unreported":
        six = next(s for s in content.sections if s.number == "六")
        six.paragraphs = [Paragraph("无。")]
    content.traits.append(f"defect_{defect}")


def report_faults(content: ReportContent) -> tuple[list[str], list[str]]:
    """(the rules that fail, the rules that warn) for the report's own parts, as written. No issuer
    fails report.identified, no signing date (with an issuer) warns it. Fee notices counted in a
    2021 table warn prose.fees where 第六部分 reports no fee, and fail it where it says no fee notice
    was sent."""
    fails, warns = [], []
    if not content.issuer:
        fails.append("report.identified")
    elif not content.date:
        warns.append("report.identified")
    unpaid = content.tables["applications"].get("other_handling.fee_unpaid") or {}
    six = "".join(p.text for s in content.sections if s.number == "六" for p in s.paragraphs)
    if content.format == "2021" and unpaid.get("total"):
        if six in prose.DENIES_FEE_NOTICE:
            fails.append("prose.fees")
        elif six in prose.REPORTS_NO_FEE:
            warns.append("prose.fees")
    return sorted(fails), sorted(warns)


def _pick(rng: random.Random, chosen, names: tuple[str, ...], p: float) -> list[str]:
    if chosen is not None:
        unknown = set(chosen) - set(names)
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}; choose from {names}")
        return [n for n in names if n in chosen]
    return [n for n in names if rng.random() < p]


def get_received(tables: dict) -> int:
    value = tables["applications"]["new_received"]["total"]
    return 0 if value is None else value


# --- values ---------------------------------------------------------------------------------------

# How the year's outcomes spread over the outcome rows (real reports: mostly granted or not held).
OUTCOME_WEIGHTS = {
    "granted": 40, "partially_granted": 8, "denied.state_secret": 0.5,
    "denied.prohibited_by_law": 0.5, "denied.security_stability": 0.5,
    "denied.third_party_rights": 1, "denied.internal_affairs": 1, "denied.process_information": 2,
    "denied.enforcement_files": 0.5, "denied.administrative_query": 2, "unable.not_held": 22,
    "unable.needs_creation": 3, "unable.still_unclear": 3, "not_processed.petition_complaint": 4,
    "not_processed.duplicate": 4, "not_processed.publication": 0.5, "not_processed.excessive": 1,
    "not_processed.confirmation": 2, "other_handling": 6, "other_handling.no_correction": 3,
    "other_handling.fee_unpaid": 0.3, "other_handling.other": 3,
}

# New applications per applicant column for each profile: (natural persons, each legal-person column).
APPLICANT_RANGES = {"small": ((0, 40), (0, 2)), "medium": ((20, 400), (0, 25)),
                    "large": ((400, 6000), (0, 300))}


def _tables(rng: random.Random, fmt: str, profile: str, scale: float, legacy: bool) -> dict:
    tables = empty_tables(fmt)
    if legacy:
        apps = tables["applications"]
        tables["applications"] = {}
        for row in spec()["applications"]["rows"]:
            if row in apps or row == "other_handling":
                tables["applications"][row] = apps.get(row) or dict.fromkeys(APPLICATION_COLUMNS)
    _active_disclosure(rng, fmt, profile, scale, tables)
    rows = application_rows("2019") if legacy else application_rows(fmt)
    _applications(rng, profile, min(2.0, max(0.1, scale / 3)), rows, tables)
    _review(rng, profile, tables)
    return tables


def _count(rng: random.Random, profile: str, scale: float, low: int, high: int) -> int:
    if profile == "zero":
        return 0
    factor = {"small": 0.15, "medium": 1.0, "large": 3.0}[profile] * scale
    return max(0, int(rng.randint(low, high) * factor))


def _active_disclosure(rng, fmt, profile, scale, tables):
    ad = tables["active_disclosure"]
    c = lambda lo, hi: _count(rng, profile, scale, lo, hi)   # noqa: E731
    makes_rules = scale >= 6 and rng.random() < 0.6      # only prefecture-level governments make 规章
    if fmt == "2019":
        for row, active in (("rules", makes_rules), ("normative_documents", True)):
            made = c(0, 6 if row == "rules" else 30) if active else 0
            ad[row] = {"new_made": made, "new_published": made,
                       "total_published": made + c(0, 80) if active else 0}
        for row in ("licensing", "other_management_services", "penalty", "enforcement"):
            prev = c(0, 900)
            change = 0 if prev == 0 else rng.randint(-prev // 4, prev // 3)
            ad[row] = {"prev_year_items": prev, "change": change, "decisions": c(0, 4000)}
        prev = c(0, 60)
        ad["fees"] = {"prev_year_items": prev, "change": 0 if prev == 0 else rng.randint(-prev // 5, 3)}
        items = c(0, 700)
        ad["procurement"] = {"procurement_items": items, "procurement_amount": None}
    else:
        for row, active in (("rules", makes_rules), ("normative_documents", True)):
            issued = c(0, 5 if row == "rules" else 30) if active else 0
            ad[row] = {"issued": issued, "repealed": min(issued, c(0, 6)) if active else 0,
                       "in_force": issued + c(0, 90) if active else 0}
        for row in ("licensing", "penalty", "enforcement"):
            ad[row] = {"decisions": c(0, 3000)}
        ad["fees"] = {"amount_wan": None}


def _applications(rng, profile, scale, rows, tables):
    apps = tables["applications"]
    outcomes = outcome_rows(rows)
    weights = [OUTCOME_WEIGHTS[r] for r in outcomes]
    for col in APPLICANT_COLUMNS:
        if profile == "zero":
            new = carried = forward = 0
        else:
            natural, legal = APPLICANT_RANGES[profile]
            low, high = natural if col == "natural_person" else legal
            # research institutions, social organisations and law firms apply far less than companies
            rare = 1.0 if col in ("natural_person", "commercial_enterprise") else 0.3
            new = int(rng.randint(low, high) * scale * rare) if rare == 1.0 or rng.random() < 0.25 else 0
            carried = rng.randint(0, max(1, new // 10)) if new and rng.random() < 0.3 else 0
            forward = rng.randint(0, max(1, (new + carried) // 8)) if new and rng.random() < 0.3 else 0
        handled = Counter(rng.choices(outcomes, weights, k=new + carried - forward))
        apps["new_received"][col] = new
        apps["carried_over"][col] = carried
        apps["carried_forward"][col] = forward
        for r in outcomes:
            apps[r][col] = handled[r]
        apps["total"][col] = new + carried - forward
    for row in apps:
        if apps[row]["natural_person"] is not None:
            apps[row]["total"] = sum(apps[row][c] for c in APPLICANT_COLUMNS)


def _review(rng, profile, tables):
    rl = tables["review_litigation"]
    busy = {"zero": 0, "small": 0.3, "medium": 0.7, "large": 1.0}[profile]
    high = {"zero": 0, "small": 2, "medium": 8, "large": 40}[profile]
    for group in REVIEW_GROUPS:
        values = [rng.randint(0, high) if rng.random() < busy else 0 for _ in REVIEW_COLUMNS[:-1]]
        for column, v in zip(REVIEW_COLUMNS, values + [sum(values)]):
            rl[f"{group}.{column}"] = v


# --- labels ---------------------------------------------------------------------------------------

def _labels(content: ReportContent, rng: random.Random, rows, variants: list[str]) -> None:
    fmt, official = content.format, application_labels()

    def vary(text: str) -> str:
        if "halfwidth_brackets" in variants:
            text = text.replace("（", "(").replace("）", ")")
        return text

    groups = disclosure_groups(fmt)
    content.group_labels = {"item_label": "信息内容"}
    for i, g in enumerate(groups):
        content.group_labels[f"item:{i}"] = g.item
        for row, label in g.rows.items():
            if row == "fees" and "shiyexing_fei" in variants:
                label = "行政事业性费"
            content.row_labels[("active_disclosure", row)] = label
        for column, label in g.columns.items():
            content.column_labels[("active_disclosure", column)] = label
    content.group_labels.update({
        "applicant": "申请人情况", "legal_persons": "法人或其他组织",
        "balance_note": vary("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"),
        "outcomes": "三、本年度办理结果",
        "review": "行政复议", "litigation": "行政诉讼",
        "litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉",
    })
    for row in rows:
        label = official[row]
        if "dun_numbering" in variants:
            label = re.sub(r" (\d)\.", r" \1、", label)
        content.row_labels[("applications", row)] = vary(label)
    for column, label in application_column_labels().items():
        if column == "social_welfare_org" and "shehui_zuzhi" in variants:
            label = "社会组织"
        content.column_labels[("applications", column)] = label
    for column, label in zip(REVIEW_COLUMNS, ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")):
        content.column_labels[("review_litigation", column)] = label
    if "typo" in variants:
        _typo(content, rng)
    content.traits += [f"label_{v}" for v in variants]


def _typo(content: ReportContent, rng: random.Random) -> None:
    """One character swapped with its neighbour, or dropped, in one long sub-row label."""
    long = [k for k, v in content.row_labels.items() if k[0] == "applications" and len(v.split(" ")[-1]) >= 10]
    key = rng.choice(long)
    group, _, sub = content.row_labels[key].rpartition(" ")
    i = rng.randrange(3, len(sub) - 2)       # keep the numbering and the last character
    sub = sub[:i] + sub[i + 1] + sub[i] + sub[i + 2:] if rng.random() < 0.5 else sub[:i] + sub[i + 1:]
    content.row_labels[key] = f"{group} {sub}" if group else sub


# --- printed text of cells ------------------------------------------------------------------------

def _cell_text(content: ReportContent, rng: random.Random, traits: list[str], amount_unit) -> None:
    tables, fmt = content.tables, content.format
    printed_rows = {r for (t, r) in content.row_labels if t == "applications"}
    for table, row, column in _printed_template_cells(fmt, content.legacy_other_handling):
        if table == "applications" and row not in printed_rows:
            continue
        value = tables[table][row] if column is None else tables[table][row][column]
        content.cell_text[(table, row, column)] = "" if value is None else str(value)
    _amounts(content, rng, amount_unit)
    if "plus_sign" in traits and fmt == "2019":
        for (table, row, column), text in content.cell_text.items():
            if column == "change" and text not in ("", "0"):
                content.cell_text[(table, row, column)] = text if text.startswith("-") else f"+{text}"
        content.traits.append("signed_change_plus")
    if fmt == "2019" and any(tables["active_disclosure"][r]["change"] < 0 for r in tables["active_disclosure"]
                             if "change" in tables["active_disclosure"][r]):
        content.traits.append("signed_change_minus")
    if "annotated_cell" in traits:
        _annotate(content, rng)
    if "slash_cells" in traits:
        _slashes(content, rng)
    if "blank_cells" in traits:
        _blanks(content, rng)


def _printed_template_cells(fmt: str, legacy: bool):
    cells = list(template_cells(fmt))
    if legacy:
        at = next(i for i, c in enumerate(cells) if c[1] == OTHER_HANDLING_2021[0])
        cells = [c for c in cells if c[1] not in OTHER_HANDLING_2021]
        cells[at:at] = [("applications", "other_handling", col) for col in APPLICATION_COLUMNS]
    return cells


def _set(content: ReportContent, key: CellKey, value, text: str) -> None:
    set_value(content.tables, *key, value)
    content.cell_text[key] = text


def _amounts(content: ReportContent, rng: random.Random, how) -> None:
    """Amounts are decimals in the unit the report states; 2019 reports state it anywhere or nowhere."""
    ad = content.tables["active_disclosure"]
    (row, column), = AMOUNT_CELLS[content.format]
    key = ("active_disclosure", row, column)
    if content.format == "2021":
        busy = any(ad[r]["decisions"] for r in ("licensing", "penalty", "enforcement"))
        digits = rng.choice((0, 1, 2, 2, 4))
        value = round(rng.uniform(0.5, 3000), digits) if busy and rng.random() < 0.4 else 0.0
        text = _decimal(value, digits if value else 0)
        if how == "cell" and not value:
            how = None                # a bare 0 states no unit: the header keeps it
        if how is not None:           # the header loses its （单位：万元）, the cell or a note states it
            content.column_labels[("active_disclosure", column)] = "本年收费金额"
        if how == "cell":
            text = f"{text}万元" if rng.random() < 0.6 else f"{text} 万元"
        elif how == "note":
            _unit_note(content, "本年收费金额", "万元")
        _set(content, key, float(value), text)
        content.units[unit_key(row, column)] = "万元"
        content.traits.append("amount_wan_decimal" if value else "amount_zero")
        if how is not None:
            content.traits.append(f"amount_unit_{how}")
        return
    items = ad["procurement"]["procurement_items"]
    unit = None if how == "none" else rng.choice(("元", "万元", "万元"))
    digits = 2 if unit in (None, "元") else rng.choice((1, 2, 4))
    value = round(items * rng.uniform(2000, 80000) / (10000 if unit == "万元" else 1), digits) if items else 0.0
    text = _decimal(value, digits if value else 0)
    if how == "header":
        note = "，保留4位小数" if digits == 4 else ""
        content.column_labels[("active_disclosure", column)] = f"采购总金额（单位：{unit}{note}）"
    elif how == "cell" and value:
        text = f"{text} {unit}" if rng.random() < 0.6 else f"{text}{unit}"
    elif how == "cell":
        unit = None               # a bare "0" in the cell states no unit
    elif how == "note":
        _unit_note(content, "采购总金额", unit)
    _set(content, key, float(value), text)
    content.units[unit_key(row, column)] = unit
    content.traits.append(f"amount_unit_{how if unit else 'none'}")


def _unit_note(content: ReportContent, label: str, unit: str) -> None:
    content.notes["active_disclosure"] = f"注：{label}单位为{unit}。"


def _decimal(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if digits else str(int(value))


def _annotate(content: ReportContent, rng: random.Random) -> None:
    """22（其中修订16件）: text beside the number in a disclosure cell; the value is the number."""
    candidates = [k for k, t in content.cell_text.items()
                  if k[0] == "active_disclosure" and k[1] == "normative_documents" and t.isdigit() and int(t) >= 2]
    if not candidates:
        return
    key = candidates[0]           # 本年制发件数 / 本年新制作数量: where reports say how many were revisions
    n = int(content.cell_text[key])
    k = rng.randint(1, n - 1)
    form = rng.choice(("{n}（其中修订{k}件）", "{n}（含修订{k}件）", "{n}(其中废止{k}件)"))
    content.cell_text[key] = form.format(n=n, k=k)
    content.traits.append("annotated_cell")


def _slashes(content: ReportContent, rng: random.Random) -> None:
    """"/" where a body has nothing to report: the rules row of a body that makes no rules, or zero review cells."""
    rules = [k for k in content.cell_text if k[:2] == ("active_disclosure", "rules")]
    zero_review = [k for k, t in content.cell_text.items() if k[0] == "review_litigation" and t == "0"]
    if all(content.cell_text[k] == "0" for k in rules) and rng.random() < 0.7:
        chosen = rules
    else:
        chosen = [k for k in zero_review if not k[1].endswith(".total")]
    for key in chosen:
        _set(content, key, None, "/")
    if chosen:
        content.traits.append("slash_cells")


def _blanks(content: ReportContent, rng: random.Random) -> None:
    """Blank cells mean zero in real reports; the truth records them as null."""
    apps = [k for k in content.cell_text if k[0] == "applications"]
    modes = {
        "legal_persons": [k for k in apps if k[2] not in ("natural_person", "total")],
        "zero_rows": [k for k in apps if k[2] != "total"
                      and all(content.cell_text[(k[0], k[1], c)] == "0" for c in APPLICANT_COLUMNS)],
        "disclosure": [k for k in content.cell_text if k[0] == "active_disclosure" and rng.random() < 0.5],
    }
    for mode in rng.sample(list(modes), len(modes)):
        chosen = [k for k in modes[mode] if content.cell_text[k] == "0"]
        if chosen:
            for key in chosen:
                _set(content, key, None, "")
            content.traits.append(f"blank_cells_{mode}")
            return


def _note(content: ReportContent, rng: random.Random) -> None:
    table = rng.choice(("active_disclosure", "applications", "review_litigation"))
    blank = any(t == "" for t in content.cell_text.values())
    unit_note = content.notes.get(table)         # the amount's unit, stated in a note already
    content.notes[table] = rng.choice({
        "active_disclosure": [f"注：“现行有效件数”为截至{content.year}年12月31日的数量。",
                              "注：本表数据来源于各业务科室统计。"],
        "applications": ["注：表中空白处表示数量为0。" if blank else "注：本表统计口径为本年度新收及上年结转的申请。",
                         f"注：本表统计时间为{content.year}年1月1日至12月31日。"],
        "review_litigation": ["注：本年度无政府信息公开行政复议、行政诉讼案件的，相应栏目填0。",
                              f"注：本表统计时间为{content.year}年1月1日至12月31日。"],
    }[table])
    if unit_note:
        content.notes[table] = unit_note + content.notes[table].removeprefix("注：")
    content.traits.append(f"note_{table}")


def _blank_zero_tables(content: ReportContent) -> None:
    """A table whose every value is 0 printed with all its cells blank (the truth: null)."""
    for table in ("active_disclosure", "applications", "review_litigation"):
        keys = [k for k in content.cell_text if k[0] == table]
        if keys and all(content.cell_text[k] in ("0", "") for k in keys) and \
                any(content.cell_text[k] == "0" for k in keys):
            for key in keys:
                _set(content, key, None, "")
            content.traits.append(f"blank_zero_table_{table}")
    if any(t.startswith("blank_zero_table_") for t in content.traits):
        content.traits.append("blank_zero_table")


LEAD_INS = {
    "二": ("本年度主动公开政府信息情况如下：", "主动公开政府信息情况统计如下表：", "具体情况见下表："),
    "三": ("本年度收到和处理政府信息公开申请情况如下：", "依申请公开政府信息情况统计如下：", "详见下表："),
    "四": ("本年度政府信息公开行政复议、行政诉讼情况如下：", "具体情况如下表所示：", "详见下表："),
}


def _lead_in(content: ReportContent, rng: random.Random) -> None:
    """A sentence between a table's section heading and the table, in one to three sections."""
    tables = [s for s in content.sections if s.number in LEAD_INS]
    for sec in rng.sample(tables, rng.randint(1, len(tables))):
        sec.paragraphs.insert(0, Paragraph(rng.choice(LEAD_INS[sec.number])))
        sec.before_table = 1
        content.traits.append(f"lead_in_{sec.number}")
    content.traits.append("lead_in")


# --- inconsistencies ------------------------------------------------------------------------------

def _bump(content: ReportContent, key: CellKey, delta: int) -> tuple[int, int]:
    old = content.tables[key[0]][key[1]] if key[2] is None else content.tables[key[0]][key[1]][key[2]]
    old = old or 0
    _set(content, key, old + delta, str(old + delta))
    return old, old + delta


def _inject(content: ReportContent, rng: random.Random, kind: str) -> int | None:
    """Put one inconsistency in; returns the number of applications the prose must state, if any."""
    a = "applications"
    label = lambda row: content.row_labels[(a, row)].replace(" ", "")   # noqa: E731
    rows = [r for (t, r) in content.row_labels if t == a]
    outcomes = list(outcome_rows(rows))
    if kind == "total_row":
        row, col = rng.choice(outcomes), rng.choice(("natural_person", "commercial_enterprise"))
        old, new = _bump(content, (a, row, col), 1)
        _bump(content, (a, row, "total"), 1)
        what = f"{label(row)} {col} {old} → {new} with its row total: （七）总计 no longer sums the outcomes"
    elif kind == "total_column":
        row = rng.choice(outcomes)
        total = content.tables[a][row]["total"] or 0
        old, new = _bump(content, (a, row, "total"), -1 if total else 1)
        what = f"{label(row)} 总计 {old} → {new}: no longer the sum of its row"
    elif kind == "balance":
        col = rng.choice(APPLICANT_COLUMNS)
        old, new = _bump(content, (a, "carried_forward", col), 1)
        _bump(content, (a, "carried_forward", "total"), 1)
        what = f"四、结转下年度继续办理 {col} {old} → {new} with its row total: the balance breaks"
    elif kind == "review_totals":
        group = rng.choice(REVIEW_GROUPS)
        total = content.tables["review_litigation"][f"{group}.total"] or 0
        old, new = _bump(content, ("review_litigation", f"{group}.total", None), -1 if total else 1)
        what = f"review_litigation {group}.total {old} → {new}: not the sum of its group"
    elif kind == "prose":
        received = get_received(content.tables)
        stated = max(0, received + rng.choice((-3, -2, -1, 1, 1, 2, 5)))
        stated = stated if stated != received else received + 1
        content.injected = f"the prose states {stated} applications received, the table {received}"
        content.expected_fail += INJECTION_FAILS[kind]
        content.traits.append("injected_prose")
        return stated
    else:
        raise ValueError(f"unknown injection {kind!r}; choose from {INJECTIONS}")
    content.injected = what
    content.expected_fail += INJECTION_FAILS[kind]
    content.traits.append(f"injected_{kind}")
    return None


# --- self-check -----------------------------------------------------------------------------------

def check(content: ReportContent) -> None:
    """The content's own truth must fail exactly the rules it says it fails."""
    from extractor.stages.validate import validate
    from extractor.types import CellReading, ReportInfo, Section

    info = ReportInfo(content.title, content.issuer, content.year, content.format, content.date)
    cells = [CellReading(t, r, c, None, text, None, None, 1.0) for (t, r, c), text in content.cell_text.items()]
    sections = [Section(s.number, s.title, "".join(p.text for p in s.paragraphs), 0) for s in content.sections]
    checks = validate(info, content.tables, cells, sections)
    failing = sorted(c.rule for c in checks if c.status == "fail")
    warning = sorted(c.rule for c in checks if c.status == "warn")
    if (failing, warning) != (content.expected_fail, content.expected_warn):
        raise AssertionError(f"{content.name}: rules failing {failing}, expected {content.expected_fail}; "
                             f"warning {warning}, expected {content.expected_warn} ({content.injected})")
