"""One body's report compared with its report of the year before: ``compare``; and every report of
a batch given its checks across years (``series_checks``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from extractor.series.copying import SectionCopy, Standard, copied_check, copied_sections
from extractor.series.figures import Figure, carry_over_check, changes_check, in_force_check, side_by_side
from extractor.series.issuers import Expected, Filed, by_issuer_year, year_before
from extractor.types import Check

# the batch's rules across years, in the order of a report's checks
SERIES_RULES = ("series.in_force", "series.change", "series.copied_prose", "series.carry_over")


@dataclass(slots=True)
class Comparison:
    old_file: str
    new_file: str
    old: dict = field(repr=False)          # the two records
    new: dict = field(repr=False)
    figures: list[Figure] = field(default_factory=list)
    sections: list[SectionCopy] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)    # SERIES_RULES, for the new report

    @property
    def issuer(self) -> str | None:
        return self.new["report"]["issuer"]

    @property
    def years(self) -> tuple[int | None, int | None]:
        return self.old["report"]["year"], self.new["report"]["year"]

    def check(self, rule: str) -> Check:
        return next(c for c in self.checks if c.rule == rule)


@dataclass(slots=True)
class BatchSeries:
    """What a run finds across reports: its own checks per report (``SERIES_RULES`` then
    ``batch.duplicate`` in a batch), the comparisons of consecutive years, the names taken as one
    body, and, given the expected units, who is missing and who is not on the list."""
    checks: dict[str, list[Check]]
    comparisons: list[Comparison]
    merged: list[list[str]]
    expected: Expected | None = None


def compare(old_file: str, old: dict, new_file: str, new: dict, standard: Standard) -> Comparison:
    """``new`` (a record) against ``old``, the same body's report of the year before."""
    before = f"上一年度报告 {old_file} "
    figures = side_by_side(old, new)
    sections = copied_sections(old, new, standard)
    checks = {c.rule: c for c in (in_force_check(old, new, before), changes_check(figures, before),
                                  copied_check(sections, before), carry_over_check(old, new, before))}
    for c in checks.values():
        c.detail += f" (the year before: {old_file})"
    return Comparison(old_file, new_file, old, new, figures, sections, [checks[r] for r in SERIES_RULES])


def not_compared(message: str, detail: str) -> list[Check]:
    return [Check(rule, "not_applicable", message, [], [], detail) for rule in SERIES_RULES]


def series_checks(reports: list[Filed], read: Callable[[str], dict],
                  standard: Standard) -> tuple[dict[str, list[Check]], list[Comparison]]:
    """The checks across years of every report (by file), against the same body's report of the
    year before when the batch has exactly one, ``not_applicable`` (saying why) otherwise; and the
    comparisons made. ``read``: a file's record (read when a pair needs it, so that records are not
    all held at once)."""
    groups = by_issuer_year(reports)
    checks, comparisons = {}, []
    for r in reports:
        before, message, detail = year_before(r, groups)
        if before is None:
            checks[r.file] = not_compared(message, detail)
            continue
        c = compare(before.file, read(before.file), r.file, read(r.file), standard)
        c.old, c.new = _slim(c.old), _slim(c.new)
        checks[r.file] = list(c.checks)
        comparisons.append(c)
    return checks, comparisons


def _slim(record: dict) -> dict:
    """What a comparison keeps of a record once compared: not its cells."""
    return {k: record[k] for k in ("source", "report", "sections", "tables")}
