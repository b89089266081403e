"""A cell's printed text as a value: counts, amounts with their unit, blanks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from extractor.settings import DOUBT

# a space after the sign or beside the decimal point (OCR reads "- 327", "2089. 5906") is no gap
# between two numbers
_NUMBER = re.compile(r"([+-]?)\s*(\d+(?:,\d{3})*(?:\s?\.\s?\d+)?)\s*(万元|元)?")
_COUNTERS = {"件", "个", "项", "条", "宗", "次", "份"}     # 5件: a count with its measure word
_DASHES = str.maketrans({c: "-" for c in "－−–—"})
_BLANKS = {"", "/", "\\", "-", "--", "无"}


@dataclass(frozen=True)
class Value:
    value: int | float | None
    unit: str | None
    confidence: float
    problem: str | None = None


@lru_cache(maxsize=4096)
def parse_value(text: str, amount: bool = False) -> Value:
    """"0" → 0, "+453" → 453, "-207" → -207, "51447.2 万元" → 51447.2 (万元), "/" → None,
    "22（其中修订16件）" → 22 (less sure). Anything else → None, unsure, with a problem."""
    t = unicodedata.normalize("NFKC", text).strip().translate(_DASHES)
    if t in _BLANKS:
        return Value(None, None, DOUBT.sure)
    m = _NUMBER.match(t)
    if not m:
        return Value(None, None, DOUBT.unparseable, f"「{text}」不是数字")
    sign, digits, unit = m.groups()
    rest = t[m.end():].strip()
    number = re.sub(r"[,\s]", "", digits)
    value: int | float = float(number) if ("." in number or amount) else int(number)
    if sign == "-":
        value = -value
    if not rest:
        return Value(value, unit, DOUBT.sure)
    if rest[0] == "(" and rest[-1] == ")" or rest in _COUNTERS:
        return Value(value, unit, DOUBT.extra_text)
    return Value(None, None, DOUBT.unparseable, f"「{text}」不是数字")


@lru_cache(maxsize=4096)
def looks_numeric(text: str) -> bool:
    """A data cell's text: a number, possibly with a unit or a bracketed note."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return bool(t) and bool(re.match(r"[+\-]?\d", t)) and not re.match(r"\d+[.、]\D", t)


# 单位：万元 anywhere (（单位：万元，保留4位小数）, 注：金额单位为万元), or a unit alone in its brackets:
# 采购总金额（万元）
_UNIT = re.compile(r"单位\s*(?:[:：]|为|是)?\s*(万元|元)|\(\s*(万元|元)\s*[),，;；]")


def stated_unit(text: str) -> str | None:
    """The unit a header or a note states: 采购总金额（单位：万元） and 采购总金额（万元） → 万元."""
    m = _UNIT.search(unicodedata.normalize("NFKC", text))
    return (m.group(1) or m.group(2)) if m else None
