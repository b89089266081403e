"""An issuer's consecutive annual reports, for comparing a series (``nianbao compare``, ``batch``).

``issuer_series(seed, years)`` writes one body's reports of consecutive years whose figures carry
on as a real body's do: this year's 上年结转 is last year's 结转下年度 (per applicant column), the
现行有效件数 of 规章 and 规范性文件 is last year's plus this year's 制发 minus 废止, and every count
drifts from last year's by at most about a fifth plus the noise of a count, never doubling. The
first year is ``content.make_content``'s report; each later year is that seed's report with its
tables evolved from the year before and its prose written again over them (so that what the prose
states still matches). Each report also carries sentences of the body's own (``own_sentences``:
drawn from enough combinations that two bodies, or two years, practically never share one), as
real reports do beside the sentences every report uses.

``faults`` puts in, on purpose, in the years given, what comparing a series must find:

- ``carry_over``: 上年结转 of 自然人 is last year's 结转下年度 plus 2 (the report's own balance holds);
- ``in_force``: 规范性文件 现行有效件数 is 3 more than last year's + 制发 − 废止;
- ``copied``: 第五部分 is last year's, with the year changed and one phrase altered;
- ``jump``: 本年新收 of 自然人 is five times last year's plus 20;
- ``renamed``: the issuer signs 人民政府 as 政府 (连州市政府办公室): one body under two names.

Every report still passes its own rules as ``content.check`` requires; the faults are only visible
across years. ``province`` draws many issuers' series, with faults, a list of the units a superior
office expects (some with no report, one report from a unit not on it).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from extractor.spec.templates import APPLICANT_COLUMNS, outcome_rows

from . import prose
from .content import OUTCOME_WEIGHTS, Paragraph, ReportContent, check, make_content, report_faults
from .generate import style_seed, write_report
from .typeset import style_for

FAULTS = ("carry_over", "in_force", "copied", "jump", "renamed")


@dataclass
class Series:
    issuer: str                                   # the name as signed in the first year
    reports: list[ReportContent]
    faults: dict[int, tuple[str, ...]] = field(default_factory=dict)   # year → faults put in that year


def renamed(issuer: str) -> str:
    """The same body under its short name: 人民政府 → 政府."""
    return issuer.replace("人民政府", "政府")


def issuer_series(seed: int, years: list[int], issuer: str | None = None,
                  faults: dict[int, tuple[str, ...]] | None = None, name: str | None = None) -> Series:
    """One body's reports on ``years`` (consecutive), deterministic from ``seed``."""
    faults = {y: tuple(f) for y, f in (faults or {}).items() if f}
    for y, fs in faults.items():
        unknown = set(fs) - set(FAULTS)
        if unknown or y not in years[1:]:
            raise ValueError(f"faults {fs} in {y}: choose from {FAULTS}, in a year after the first of {years}")
    rng = random.Random(seed)
    if issuer is None:
        issuer = prose.issuer_for(rng).issuer
        assert issuer is not None
    if "renamed" in sum(faults.values(), ()) and renamed(issuer) == issuer:
        raise ValueError(f"{issuer} has no other way of writing 人民政府")
    profile = rng.choice(("small", "medium", "medium", "large"))
    stem = name or f"s{seed:05d}"
    reports: list[ReportContent] = []
    for k, year in enumerate(years):
        fs = faults.get(year, ())
        signed_as = renamed(issuer) if "renamed" in fs else issuer
        content = make_content(seed * 10 + k, year=year, issuer=signed_as, inject=None, cell_traits=(),
                               profile=profile, name=f"{stem}-{year}")
        if reports:
            _evolve(content, reports[-1], rng, fs)
        _rewrite_prose(content, rng, signed_as)
        if "copied" in fs:
            _copy_problems(content, reports[-1])
        content.traits += [f"series_{f}" for f in fs]
        content.expected_fail, content.expected_warn = report_faults(content)
        check(content)
        reports.append(content)
    return Series(issuer, reports, faults)


# --- figures carried on from the year before ---------------------------------------------------------

def _drift(rng: random.Random, last: int) -> int:
    """This year's count from last year's: the body's work varies by up to 15% either way, plus half
    the spread of a count (a Poisson count's standard deviation is its square root)."""
    if not last:
        return rng.choice((0, 0, 0, 1))
    mean = last * rng.uniform(0.85, 1.15)
    return max(0, round(rng.gauss(mean, 0.5 * math.sqrt(mean))))


AMOUNTS = {("fees", "amount_wan"), ("procurement", "procurement_amount")}
# a 2021 column's counterpart in a 2019 report of the year before (the format changed in 2021)
_IN_2019 = {"issued": "new_made", "in_force": "total_published"}


def _last(cells: dict, column: str) -> int:
    """Last year's count of ``column`` (of its 2019 counterpart across the change of format)."""
    value = cells.get(column, cells.get(_IN_2019.get(column, ""), 0))
    return value or 0


def _evolve(content: ReportContent, before: ReportContent, rng: random.Random, faults: tuple[str, ...]) -> None:
    a, last = content.tables["applications"], before.tables["applications"]
    rows = [r for (t, r) in content.row_labels if t == "applications"]
    # no fee notice left unpaid: the prose written over the tables would have to report it (prose.fees)
    outcomes = [r for r in outcome_rows(rows) if r != "other_handling.fee_unpaid"]
    weights = [OUTCOME_WEIGHTS[r] for r in outcomes]
    for col in APPLICANT_COLUMNS:
        new = _drift(rng, last["new_received"][col] or 0)
        if "jump" in faults and col == "natural_person":
            new = 5 * (last["new_received"][col] or 0) + 20
        carried = (last["carried_forward"][col] or 0) + (2 if "carry_over" in faults and col == "natural_person" else 0)
        forward = rng.randint(0, max(1, (new + carried) // 8)) if new + carried and rng.random() < 0.3 else 0
        forward = min(forward, new + carried)
        handled = Counter(rng.choices(outcomes, weights, k=new + carried - forward))
        a["new_received"][col], a["carried_over"][col], a["carried_forward"][col] = new, carried, forward
        for r in outcome_rows(rows):
            a[r][col] = handled[r]
        a["total"][col] = new + carried - forward
    for row in a:
        if a[row]["natural_person"] is not None:
            a[row]["total"] = sum(a[row][c] for c in APPLICANT_COLUMNS)

    ad, ad_last = content.tables["active_disclosure"], before.tables["active_disclosure"]
    for row, cells in ad.items():
        last = ad_last.get(row, {})
        for column in cells:
            if (row, column) in AMOUNTS:
                continue           # an amount, drawn as make_content drew it
            if column == "prev_year_items":       # 2019: last year's items and their change
                cells[column] = max(0, (last.get("prev_year_items") or 0) + (last.get("change") or 0)) \
                    if "prev_year_items" in last else _drift(rng, _last(last, column))
            elif column == "change":
                held = cells.get("prev_year_items") or 0
                cells[column] = rng.randint(-held // 4, held // 3) if held else 0
            elif column not in ("in_force", "total_published", "new_published"):
                cells[column] = _drift(rng, _last(last, column))
        if "new_published" in cells:              # 2019: what was made is published, and adds up
            cells["new_published"] = cells["new_made"]
            cells["total_published"] = (_last(last, "total_published") + cells["new_made"]) if (
                _last(last, "total_published") or cells["new_made"]) else 0
    for row in ("rules", "normative_documents"):
        if "in_force" not in ad[row]:
            continue
        held = _last(ad_last[row], "in_force")
        ad[row]["repealed"] = min(ad[row]["repealed"], held + ad[row]["issued"])
        ad[row]["in_force"] = held + ad[row]["issued"] - ad[row]["repealed"] + (
            3 if "in_force" in faults and row == "normative_documents" else 0)

    rl, rl_last = content.tables["review_litigation"], before.tables["review_litigation"]
    for key in rl:
        group, column = key.split(".")
        if column != "total":
            rl[key] = _drift(rng, rl_last.get(key) or 0)
    for key in [k for k in rl if k.endswith(".total")]:
        group = key.split(".")[0]
        rl[key] = sum(rl[f"{group}.{c}"] for c in ("upheld", "corrected", "other", "pending"))

    for table, row, column in list(content.cell_text):
        if table == "active_disclosure" and (row, column) in AMOUNTS:
            continue
        value = content.tables[table][row] if column is None else content.tables[table][row][column]
        content.cell_text[(table, row, column)] = "" if value is None else str(value)


# --- prose -------------------------------------------------------------------------------------------

def _rewrite_prose(content: ReportContent, rng: random.Random, issuer: str) -> None:
    """The prose written again over the evolved tables, the issuer named in the title and signed,
    with sentences of the body's own in 第一 and 第五部分."""
    content.traits = [t for t in content.traits if not t.startswith(("prose_", "title_without", "unsigned"))]
    received = content.tables["applications"]["new_received"]["total"] or 0
    body = prose.body_for(issuer)
    prose.write(content, rng, body, received if rng.random() < 0.8 else None, identified=True)
    for number, count in (("一", 3), ("五", 3)):
        section = next(s for s in content.sections if s.number == number)
        section.paragraphs.append(Paragraph("".join(own_sentences(rng, body, content.year, count))))


THEMES = ("优化营商环境", "乡村振兴", "城市更新", "生态环境保护", "安全生产", "教育均衡发展", "医疗卫生改革",
          "养老服务体系", "就业创业", "粮食安全", "防汛防旱", "文旅融合", "数字政府建设", "基层治理",
          "民生实事", "重大项目建设", "财政资金监管", "食品药品安全")
WHERE = ("各镇街", "各村（社区）", "政务服务大厅", "行政服务中心", "便民服务站", "重点企业", "各中小学",
         "产业园区", "政府门户网站专栏", "政务新媒体平台", "公共资源交易中心", "各职能部门")
DID = ("组织专题培训", "开展现场检查", "召开政务公开推进会", "开展政策宣讲", "组织政府开放日活动",
       "开展满意度调查", "梳理公开事项清单", "核查公开内容", "开展业务指导", "收集意见建议")
SO = ("群众满意度明显提升", "公开内容更加规范", "办事指南更加清晰", "信息发布更加及时", "政策知晓率持续提高",
      "意见建议得到及时回应", "栏目维护责任进一步压实", "公开质量得到有效提升", "基层公开标准化水平不断提高",
      "企业办事更加便利")
GAPS = ("栏目信息更新不够及时", "解读材料形式较为单一", "公开目录编制不够细化", "基层人员力量相对薄弱",
        "公开内容与群众需求契合度不高", "部分数据发布口径不一致", "互动回应时效有待提升", "档案归集不够完整")


def own_sentences(rng: random.Random, body: prose.Body, year: int, count: int) -> list[str]:
    """``count`` sentences of the body's own work: a theme, a place, an action and its effect drawn
    from some 20,000 combinations, with figures, so that they are not shared by chance."""
    out = []
    for _ in range(count):
        if rng.random() < 0.5:
            out.append(f"{year}年，{body.we}围绕{rng.choice(THEMES)}，在{rng.choice(WHERE)}{rng.choice(DID)}"
                       f"{rng.randint(2, 40)}次，{rng.choice(SO)}。")
        else:
            out.append(f"针对{rng.choice(THEMES)}领域{rng.choice(GAPS)}的问题，{body.we}在{rng.choice(WHERE)}"
                       f"{rng.choice(DID)}，{rng.choice(SO)}。")
    return out


def _copy_problems(content: ReportContent, before: ReportContent) -> None:
    """第五部分 copied from last year's report: the year changed, one phrase altered."""
    mine = next(s for s in content.sections if s.number == "五")
    theirs = next(s for s in before.sections if s.number == "五")
    mine.title = theirs.title
    mine.paragraphs = [Paragraph(p.text.replace(str(before.year), str(content.year)), p.heading)
                       for p in theirs.paragraphs]
    for p in mine.paragraphs:
        if "进一步" in p.text:
            p.text = p.text.replace("进一步", "继续", 1)
            break


# --- writing them -------------------------------------------------------------------------------------

def write_series(out: Path, series: Series) -> list[Path]:
    """Each report of ``series`` as NAME.pdf, NAME.truth.json and NAME.blocks.jsonl (typeset.py)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for content in series.reports:
        write_report(out, content, style_for(style_seed(content.seed)))
        paths.append(out / f"{content.name}.pdf")
    return paths


@dataclass
class Province:
    series: list[Series]
    expected: list[str]          # the units the superior office expects a report from, as they sign
    withheld: dict[str, int]     # issuer → the year whose report is not in the province (a missing unit)
    unlisted: str                # an issuer with reports but not on the expected list


def province(seed: int, issuers: int, years: list[int]) -> Province:
    """``issuers`` bodies, each with a report for every year of ``years``, all names distinct. One
    issuer in seven has a fault in its last year (the faults in turn); the last issuer is not on the
    expected list, and the last year's report of two issuers is withheld (dropped from the series)."""
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < issuers:
        name = prose.issuer_for(rng).issuer
        assert name is not None
        if all(name != n and renamed(name) != renamed(n) for n in names):
            names.append(name)
    out, withheld = [], {}
    for i, name in enumerate(names):
        fault = FAULTS[(i // 7) % len(FAULTS)] if i % 7 == 3 else None
        if fault == "renamed" and renamed(name) == name:
            fault = "copied"
        s = issuer_series(seed * 1000 + i, years, name, {years[-1]: (fault,)} if fault else None,
                          name=f"p{i:03d}")
        if i in (5, 11):
            withheld[name] = years[-1]
            s.reports = s.reports[:-1]
        out.append(s)
    return Province(out, names[:-1], withheld, names[-1])


# --- CLI --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """python -m training.series -o DIR [--seed S] [--issuer NAME] [--years Y …] [--fault YEAR:FAULT …]
    python -m training.series -o DIR --province N [--years Y …]     # and DIR/units.csv, the expected units
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.series", description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--issuer", help="the issuer as it signs (default: drawn from the seed)")
    parser.add_argument("--years", type=int, nargs="+", default=[2021, 2022, 2023])
    parser.add_argument("--fault", action="append", default=[], metavar="YEAR:FAULT",
                        help=f"a fault put in that year: {', '.join(FAULTS)}")
    parser.add_argument("--province", type=int, metavar="N", help="N issuers instead (with faults, units.csv)")
    args = parser.parse_args(argv)
    if args.province:
        p = province(args.seed, args.province, args.years)
        for s in p.series:
            write_series(args.out, s)
        (args.out / "units.csv").write_text("发布机关\n" + "\n".join(p.expected) + "\n", "utf-8")
        print(f"{sum(len(s.reports) for s in p.series)} reports of {args.province} issuers → {args.out}; "
              f"withheld: {', '.join(f'{n} {y}' for n, y in p.withheld.items())}; not on units.csv: {p.unlisted}")
        return
    faults: dict[int, tuple[str, ...]] = {}
    for spec in args.fault:
        year, _, fault = spec.partition(":")
        faults[int(year)] = (*faults.get(int(year), ()), fault)
    s = issuer_series(args.seed, args.years, args.issuer, faults)
    for path in write_series(args.out, s):
        print(path)


if __name__ == "__main__":
    main()
