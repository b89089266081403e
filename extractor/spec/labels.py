"""The official labels of the templates, and how a printed label is matched to one.

A label is compared after ``norm``: width, spacing and punctuation removed and the variants real
reports print mapped to the official wording, so （三）不予公开 and (三)不予公开 are one label. A
printed label that is none of them exactly is matched by similarity (``best_match``), less surely.
The indexes below map each table's normalised row and column labels to their template ids.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from extractor.settings import DOUBT
from extractor.spec.templates import FORMATS, application_column_labels, application_labels, disclosure_groups, spec

# Variants real reports print, mapped to the official wording before matching.
ALIASES = {"社会组织": "社会公益组织", "行政事业性费": "行政事业性收费"}
_PUNCT = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff]")
_BRACKETED = re.compile(r"\([^()]*\)")


# a page number as printed at a page's foot or head: - 3 -, 第 3 页, 第 3 页 共 5 页, 3/5
PAGE_NUMBER = re.compile(
    r"[-—–－~·]+\s*\d{1,3}\s*[-—–－~·]+"
    r"|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3}"
)


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """What a label says, without width, spacing or punctuation: （三）不予公开 → 三不予公开."""
    text = unicodedata.normalize("NFKC", text)
    for variant, official in ALIASES.items():
        if variant in text and official not in text:
            text = text.replace(variant, official)
    return _PUNCT.sub("", text)


@lru_cache(maxsize=4096)
def norm_header(text: str) -> str:
    """A column header without its bracketed notes: 采购总金额（单位：万元） → 采购总金额."""
    return norm(_BRACKETED.sub("", unicodedata.normalize("NFKC", text)))


@dataclass(frozen=True)
class Match:
    key: Any       # a template id, or a (table, column) pair: whatever the candidates map to
    confidence: float
    score: float
    cut: bool = False       # the text is the opening of the label only (a row the page broke)


class Labels(dict):
    """Normalised label → key (several labels may share a key); built once, hashed by identity so
    that matches are cached."""
    __hash__ = object.__hash__  # type: ignore[assignment]


@lru_cache(maxsize=8192)
def best_match(text: str, candidates: Labels) -> Match | None:
    """The candidate whose normalised label ``text`` is, exactly or by similarity.

    A fuzzy match needs a ratio of 0.6 and is sure only with a lead of 0.15 over the best other
    key."""
    if not text:
        return None
    if text in candidates:
        return Match(candidates[text], DOUBT.sure, 1.0)
    scored: dict[object, float] = {}
    sm = difflib.SequenceMatcher(autojunk=False)
    sm.set_seq2(text)
    for label, key in candidates.items():
        sm.set_seq1(label)
        if sm.real_quick_ratio() < 0.6 or sm.quick_ratio() < 0.6:
            continue
        scored[key] = max(scored.get(key, 0.0), sm.ratio())
    if not scored:
        return None
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    key, score = ranked[0]
    if score < 0.6:
        return None
    lead = score - (ranked[1][1] if len(ranked) > 1 else 0.0)
    return Match(key, DOUBT.fuzzy_label if score >= 0.75 and lead >= 0.15 else DOUBT.weak_label, score)


# A column of the document, named: ("applications", "natural_person"), ("review_litigation",
# "review.upheld"), ("active_disclosure", "new_made").
ColumnKey = tuple[str, str]


@cache
def disclosure_columns() -> Labels:
    return Labels({norm_header(label): ("active_disclosure", col)
                   for fmt in FORMATS for g in disclosure_groups(fmt) for col, label in g.columns.items()})


@cache
def disclosure_rows() -> Labels:
    return Labels({norm(label): row
                   for fmt in FORMATS for g in disclosure_groups(fmt) for row, label in g.rows.items()})


@cache
def application_columns() -> Labels:
    return Labels({norm_header(label): ("applications", col)
                   for col, label in application_column_labels().items()})


@cache
def any_column() -> Labels:
    return Labels({**application_columns(), **disclosure_columns()})


@cache
def review_columns() -> Labels:
    return Labels({norm_header(label): col for col, label in spec()["review_litigation"]["columns"].items()})


@cache
def review_groups() -> Labels:
    groups = spec()["review_litigation"]["groups"]
    return Labels({norm(label.split("·")[-1]): g for g, label in groups.items()})


@dataclass(frozen=True)
class AppRow:
    row: str
    group: str          # normalised group label, "" for a row without one
    own: str            # normalised label of the row itself


@cache
def application_rows() -> tuple[AppRow, ...]:
    out = []
    for row, label in application_labels().items():
        head, _, item = label.partition(" ")
        out.append(AppRow(row, norm(head), norm(item)) if item else AppRow(row, "", norm(head)))
    return tuple(out)


@cache
def application_groups() -> Labels:
    """Normalised group label → group id (denied, unable, not_processed, other_handling)."""
    return Labels({r.group: r.row.split(".")[0] for r in application_rows() if r.group})


@cache
def application_items(group: str | None) -> Labels:
    """The rows of one group by their own label; group "*": the rows of every group; None: the
    rows without a group (一、 … （七）总计)."""
    return Labels({r.own: r.row for r in application_rows()
                   if (r.group and group in ("*", r.row.split(".")[0])) or (not r.group and group is None)})


@cache
def application_full() -> Labels:
    return Labels({r.group + r.own: r.row for r in application_rows()})
