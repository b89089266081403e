"""Sections from labelled blocks: the reading order, and headings as scans and Word tabs leave them."""

from __future__ import annotations

from extractor.stages.report import read_report_info, read_sections, reading_order
from extractor.types import Block, LabelledBlock


def _lb(page, bbox, text, label):
    return LabelledBlock(Block(page, bbox, text, 12.0, False, "OCR"), label, 1.0)


def test_a_heading_cut_at_a_wide_gap_is_one_heading():
    # a scan leaves the space after 、 wide enough to cut the line in two, and the title's top
    # sits a point above the number's
    blocks = [
        _lb(0, (90, 100, 300, 112), "一、总体情况", "heading"),
        _lb(0, (80, 120, 500, 132), "正文。", "prose"),
        _lb(0, (145, 139, 383, 151), "收到和处理政府信息公开申请情况", "heading"),
        _lb(0, (112, 140, 132, 151), "二、", "heading"),
        _lb(0, (80, 160, 500, 172), "本年度收到申请4件。", "prose"),
    ]
    ordered = reading_order(blocks)
    assert [lb.block.text for lb in ordered] == \
        ["一、总体情况", "正文。", "二、收到和处理政府信息公开申请情况", "本年度收到申请4件。"]
    assert ordered[2].block.bbox == (112, 139, 383, 151)
    sections = read_sections(ordered)
    assert [(s.number, s.title, s.text) for s in sections] == \
        [("一", "总体情况", "正文。"), ("二", "收到和处理政府信息公开申请情况", "本年度收到申请4件。")]


def test_a_section_number_without_its_comma_still_opens_the_section():
    blocks = [
        _lb(0, (90, 80, 500, 92), "五华县人民政府2020年政府信息公开工作年度报告", "heading"),   # the title
        _lb(0, (90, 100, 300, 112), "一、总体情况", "heading"),
        _lb(0, (90, 120, 300, 132), "二是加强培训", "heading"),      # an enumeration, not section 二
        _lb(0, (90, 140, 300, 152), "二主动公开政府信息情况", "heading"),   # the scan lost the 、
    ]
    ordered = reading_order(blocks)
    assert read_report_info(ordered).title == "五华县人民政府2020年政府信息公开工作年度报告"
    assert [(s.number, s.title, s.text) for s in read_sections(ordered)] == \
        [("一", "总体情况", "二是加强培训"), ("二", "主动公开政府信息情况", "")]
