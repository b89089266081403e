"""Who issued a report: the body a name designates, its level, its report of the year before, and
the units a superior office expects a report from."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


def issuer_key(issuer: str) -> str:
    """The body an issuer name designates: 连州市人民政府办公室 and 连州市政府办公室 are one body.

    Full-width letters, digits and brackets become half-width (NFKC), whitespace goes, and so
    does 人民 (人民政府 is the formal name of 政府).
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", issuer)).replace("人民", "")


# a body of a government (局, 委员会, 中心 …), not the government or its general office
_DEPARTMENT = re.compile(r"(局|委员会|委|署|中心|馆|院|所|站|队|会|办)$")
_GOVERNMENT = re.compile(r"^(.*?)(?:人民)?政府(?:办公厅|办公室)?$")
_LEVELS = (("自治区", "省"), ("省", "省"), ("自治州", "市"), ("地区", "市"), ("盟", "市"), ("市", "市"),
           ("州", "市"), ("自治县", "县"), ("自治旗", "县"), ("县", "县"), ("区", "县"), ("旗", "县"),
           ("镇", "乡镇"), ("乡", "乡镇"), ("街道", "乡镇"), ("苏木", "乡镇"))


def issuer_level(issuer: str | None) -> str | None:
    """省 / 市 / 县 / 乡镇 for a people's government or its general office, by the last unit its
    name gives (连州市 is a county-level city, but its name says 市); 部门 for a government's
    department or body (民政局, 发展和改革委员会); None when the name says neither."""
    if not issuer:
        return None
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", issuer))
    if name.endswith("街道办事处"):
        return "乡镇"
    government = _GOVERNMENT.match(name)
    if government and government.group(1):
        place = government.group(1)
        for suffix, level in _LEVELS:
            if place.endswith(suffix):
                return level
        return None
    if _DEPARTMENT.search(name):
        return "部门"
    return None


@dataclass(frozen=True, slots=True)
class Filed:
    """One report as the series needs it: its file, issuer and year."""
    file: str
    issuer: str | None
    year: int | None


def by_issuer_year(reports: Iterable[Filed]) -> dict[tuple[str, int], list[Filed]]:
    groups: dict[tuple[str, int], list[Filed]] = defaultdict(list)
    for r in reports:
        if r.issuer and r.year is not None:
            groups[issuer_key(r.issuer), r.year].append(r)
    return groups


def year_before(report: Filed, groups: dict[tuple[str, int], list[Filed]]) -> tuple[Filed | None, str, str]:
    """(the report of the same body for the year before, "", "") when there is exactly one; else
    (None, why in Chinese, why in English)."""
    if not report.issuer or report.year is None:
        return None, "报告的发布机关或年度未能读出", "the report's issuer or year is unknown"
    before = groups.get((issuer_key(report.issuer), report.year - 1), [])
    if not before:
        return (None, f"本批中没有{report.issuer} {report.year - 1} 年度的报告",
                f"no report of {report.issuer} for {report.year - 1} in this batch")
    if len(before) > 1:
        return (None, f"本批中{report.issuer} {report.year - 1} 年度有 {len(before)} 份报告："
                + "、".join(p.file for p in before),
                f"{len(before)} reports of {report.issuer} for {report.year - 1}: " + ", ".join(p.file for p in before))
    return before[0], "", ""


def names_taken_as_one(reports: Iterable[Filed]) -> list[list[str]]:
    """The spellings of one body that ``issuer_key`` took as one, where there are several."""
    spellings: dict[str, dict[str, None]] = defaultdict(dict)
    for r in reports:
        if r.issuer:
            spellings[issuer_key(r.issuer)][r.issuer] = None
    return sorted(sorted(names) for names in spellings.values() if len(names) > 1)


def read_expected(text: str) -> list[str]:
    """The units of an expected-units file: one a line (the first field of a CSV row), blank lines,
    ``#`` comments and a header line (发布机关, 单位, 名称, issuer, name …) skipped."""
    units = []
    for i, line in enumerate(text.splitlines()):
        name = line.split(",")[0].strip().strip('"').strip()
        if not name or name.startswith("#"):
            continue
        if i == 0 and name.lower() in ("发布机关", "单位", "单位名称", "名称", "机关", "issuer", "name", "unit"):
            continue
        units.append(name)
    return units


@dataclass(slots=True)
class Expected:
    missing: dict[int, list[str]]      # year → expected units with no report of that year
    unlisted: list[dict]               # {"issuer", "years", "files"}: reports of units not expected


def expected_units(expected: list[str], reports: Iterable[Filed]) -> Expected:
    """Per year of the reports, the expected units that have no report of it, and the issuers with a
    report that are not on the list (names compared as ``issuer_key`` reads them)."""
    reports = [r for r in reports if r.issuer and r.year is not None]
    keys = {issuer_key(u): u for u in expected}
    filed = by_issuer_year(reports)
    years = sorted({r.year for r in reports if r.year is not None})
    missing = {y: [u for k, u in keys.items() if (k, y) not in filed] for y in years}
    unlisted: dict[str, dict] = {}
    for r in reports:
        assert r.issuer is not None
        k = issuer_key(r.issuer)
        if k not in keys:
            entry = unlisted.setdefault(k, {"issuer": r.issuer, "years": [], "files": []})
            entry["years"] = sorted({*entry["years"], r.year})
            entry["files"].append(r.file)
    return Expected(missing, sorted(unlisted.values(), key=lambda e: e["issuer"]))
