"""Text-layer reports typeset the ways real reports are (a title over the whole line or wrapped, a unit
alone in its brackets, a table broken by the page with no header repeated), read end to end."""

from __future__ import annotations

from dataclasses import replace

from extractor.pipeline import extract
from training.content import make_content
from training.typeset import style_for, typeset


def _record(content, style) -> dict:
    return extract(typeset(content, style).pdf, name=f"{content.name}.pdf")


def _content(seed: int, fmt: str, **options):
    return make_content(seed, fmt=fmt, inject=None, **options)


def test_a_unit_alone_in_its_brackets_is_the_amounts_unit():
    # 采购总金额（万元） / 采购总金额 (元): the unit without the word 单位
    for seed, header, unit in ((4101, "采购总金额（万元）", "万元"), (4102, "采购总金额 (元)", "元")):
        content = _content(seed, "2019", amount_unit="none")
        content.column_labels[("active_disclosure", "procurement_amount")] = header
        content.units["active_disclosure.procurement.procurement_amount"] = unit
        record = _record(content, style_for(seed))
        assert record["units"] == {"active_disclosure.procurement.procurement_amount": unit}
        assert record["tables"]["active_disclosure"] == content.tables["active_disclosure"]
