"""Prose copied from last year's report (照抄照搬), per section.

A section's sentences are cut at 。！？； and line ends. Each is compared in a normalised form: NFKC,
no whitespace, every run of digits one ``#`` (the year and the figures change when a report is
copied), the issuer's own name and places (连州市人民政府办公室, 连州市) and its ways of saying
"we" (我市, 我县, 本机关 …) one ``〇``, and a leading enumeration (（一）, 一是, 1、) dropped. A
sentence of this year is *copied* when last year's report has one whose normalised form is the
same or nearly: ``difflib``'s ratio (twice the characters in common over the characters of both)
at least ``NEAR`` = 0.9, so about one character in ten may differ.

Sentences every report uses (the wording of the regulation, the stock phrases of the genre) are
left out: a normalised sentence that the reports of at least ``STANDARD_ISSUERS`` different
bodies contain is standard, and so is one that is a standard sentence with at most ``HEADING``
characters more (a sub-heading the text layer ran into it: 平台建设情况加强政务新媒体管理…). Which sentences those are is learned from the records at hand
(``standard_sentences``): a batch's own, plus whatever corpus the caller adds; nothing is listed
by hand. So is every sentence shorter than ``MIN_CHARS`` (无。, 详见下表：).

A section is a finding (``series.copied_prose``) when at least ``MIN_SENTENCES`` of its sentences
remain and at least ``SHARE`` = half of them are copied.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from importlib.resources import files
from pathlib import Path

from extractor.series.issuers import issuer_key
from extractor.spec import messages as zh
from extractor.types import Check

NEAR = 0.9
STANDARD_ISSUERS = 3
MIN_CHARS = 10
HEADING = 12
MIN_SENTENCES = 2
SHARE = 0.5

_END = re.compile(r"(?<=[。！？；!?;])|\n")
_WE = re.compile(r"我(?:省|市|州|县|区|旗|镇|乡|局|委|办|厅|院|中心|单位|部门)|本(?:机关|单位|部门|局|委|办)")
_ENUM = re.compile(r"^(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+是|[一二三四五六七八九十\d]+[、.．])")
_PLACE_END = "省市州盟县区旗镇乡"


def sentences(text: str | None) -> list[str]:
    return [s.strip() for s in _END.split(text or "") if s and s.strip()]


def own_names(issuer: str | None) -> list[str]:
    """The issuer's name and the places in it, longest first: 五华县华城镇人民政府 → itself,
    五华县华城镇, 五华县, 华城镇 (and 政府 for 人民政府)."""
    if not issuer:
        return []
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", issuer))
    names = {name, name.replace("人民政府", "政府")}
    cuts = [i + 1 for i, ch in enumerate(name) if ch in _PLACE_END and i > 0]
    for k, end in enumerate(cuts):
        names.add(name[:end])
        if k:
            names.add(name[cuts[k - 1]:end])
    return sorted((n for n in names if len(n) >= 2), key=len, reverse=True)


def normalise(sentence: str, names: list[str]) -> str:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", sentence))
    for n in names:
        s = s.replace(n, "〇")
    s = _WE.sub("〇", s)
    s = _ENUM.sub("", s)
    return re.sub(r"\d+(?:\.\d+)?", "#", s)


@cache
def shipped_corpus() -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    """(issuer, section texts) of the labelled reports shipped with nianbao (their truth files): the
    corpus the sentences every report uses are learned from, beside the records at hand."""
    corpus = []
    for path in sorted(Path(str(files("extractor").joinpath("learning/shipped"))).glob("*.truth.json")):
        truth = json.loads(path.read_text("utf-8"))
        corpus.append((truth["report"]["issuer"], tuple(s["text"] or "" for s in truth["sections"])))
    return tuple(corpus)


def standard_sentences(corpus: Iterable[tuple[str | None, Iterable[str]]],
                       min_issuers: int = STANDARD_ISSUERS) -> Standard:
    """The normalised sentences that the reports of at least ``min_issuers`` bodies contain;
    ``corpus``: (issuer, section texts) per report."""
    bodies: dict[str, set[str]] = defaultdict(set)
    for i, (issuer, texts) in enumerate(corpus):
        body = issuer_key(issuer) if issuer else f"?{i}"     # an unknown issuer counts as its own body
        names = own_names(issuer)
        for text in texts:
            for s in sentences(text):
                bodies[normalise(s, names)].add(body)
    return Standard(s for s, who in bodies.items() if len(who) >= min_issuers)


@dataclass(slots=True)
class SectionCopy:
    number: str
    title: str
    old_text: str | None               # last year's section of the same number
    new_text: str
    considered: int                    # sentences left once standard and short ones are out
    copied: list[tuple[str, str, float]] = field(default_factory=list)   # (this year's, last year's, ratio)
    share: float | None = None
    finding: bool = False


class Standard:
    """The standard sentences, and whether a sentence is one (``in``)."""

    def __init__(self, sentences: Iterable[str]):
        self.exact = frozenset(sentences)
        self.by_length = sorted(self.exact, key=len)
        self.lengths = [len(s) for s in self.by_length]

    def __len__(self) -> int:
        return len(self.exact)

    def __contains__(self, s: object) -> bool:
        if s in self.exact:
            return True
        assert isinstance(s, str)
        shorter = self.by_length[bisect_left(self.lengths, len(s) - HEADING):bisect_left(self.lengths, len(s))]
        return any(std in s for std in shorter)


def _match(s: str, candidates: list[tuple[str, str]]) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for raw, other in candidates:
        if other == s:
            return raw, 1.0
        if min(len(s), len(other)) < NEAR * max(len(s), len(other)):
            continue
        m = SequenceMatcher(None, s, other, autojunk=False)
        if m.real_quick_ratio() < NEAR or m.quick_ratio() < NEAR:
            continue
        r = m.ratio()
        if r >= NEAR and (best is None or r > best[1]):
            best = (raw, r)
    return best


def copied_sections(old: dict, new: dict, standard: Standard) -> list[SectionCopy]:
    """Per section of ``new``, its own sentences found (nearly) verbatim anywhere in ``old``."""
    old_names, new_names = own_names(old["report"]["issuer"]), own_names(new["report"]["issuer"])
    last = [(s, normalise(s, old_names)) for sec in old["sections"] for s in sentences(sec["text"])]
    old_by_number = {sec["number"]: sec["text"] for sec in old["sections"]}
    out = []
    for sec in new["sections"]:
        mine = [s for s in sentences(sec["text"])]
        own = [(s, n) for s, n in ((s, normalise(s, new_names)) for s in mine)
               if len(n) >= MIN_CHARS and n not in standard]
        copy = SectionCopy(sec["number"], sec.get("title") or zh.SECTION_TITLES.get(sec["number"], ""),
                           old_by_number.get(sec["number"]), sec["text"] or "", len(own))
        for s, n in own:
            hit = _match(n, last)
            if hit is not None:
                copy.copied.append((s, hit[0], hit[1]))
        if own:
            copy.share = len(copy.copied) / len(own)
            copy.finding = len(own) >= MIN_SENTENCES and copy.share >= SHARE
        out.append(copy)
    return out


def copied_check(sections: list[SectionCopy], before: str) -> Check:
    rule = "series.copied_prose"
    found = [s for s in sections if s.finding]
    if not found:
        return Check(rule, "pass", f"各部分正文未发现照抄{before}的情况", [], [],
                     "no section repeats the year before's own sentences")
    findings: list[dict] = []
    for s in found:
        example = s.copied[0][0]
        findings.append({"message": f"第{s.number}部分（{s.title}）{s.considered} 句非通用表述中有 {len(s.copied)} 句"
                                    f"与{before}相同或几乎相同（重复率 {s.share:.0%}），如：「{example}」",
                         "cells": [], "pages": [], "sentence": example, "expected": zh.RULE_MEANING[rule]})
    return Check(rule, "fail", "；".join(str(f["message"]) for f in findings), [], findings,
                 "; ".join(f"section {s.number}: {len(s.copied)} of {s.considered} own sentences as the year "
                           f"before ({s.share:.0%})" for s in found))
