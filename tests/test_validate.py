"""The rules' own semantics: blanks count as zero, missing cells make a rule not applicable, a
2021 report with the single 2019-style （六） row sums that row. End-to-end behaviour on real PDFs is
in the corpus and extraction tests."""

from extractor.spec import messages as zh
from extractor.spec.templates import empty_tables, set_value, template_cells
from extractor.stages.validate import stated_applications, validate
from extractor.types import CellReading, ReportInfo, Section


def _found(fmt, drop=()):
    return [CellReading(t, r, c, None, "", 0, None, 1.0) for t, r, c in template_cells(fmt)
            if (t, r, c) not in drop]


def _status(checks):
    return {c.rule: c.status for c in checks}


def test_blank_cells_count_as_zero_and_all_sums_hold():
    tables = empty_tables("2021")
    for row in ("new_received", "granted", "total"):
        set_value(tables, "applications", row, "natural_person", 3)
        set_value(tables, "applications", row, "total", 3)
    info = ReportInfo("t", "i", 2022, "2021", None)
    checks = validate(info, tables, _found("2021"), [Section("一", "总体情况", "共收到政府信息公开申请3件。", 0)])
    status = _status(checks)
    assert status.pop("sections.complete") == "fail"      # parts 二 … 六 are not there
    assert status.pop("report.identified") == "warn"      # nor is the signing date
    assert status.pop("prose.fees") == "not_applicable"   # nor part 六 to read the fees in
    assert set(status.values()) == {"pass"}


def test_a_wrong_total_names_its_cells_and_values():
    tables = empty_tables("2019")
    set_value(tables, "applications", "new_received", "natural_person", 2)
    set_value(tables, "applications", "new_received", "total", 3)
    checks = {c.rule: c for c in validate(ReportInfo(None, None, 2020, "2019", None), tables, _found("2019"), [])}
    tc = checks["applications.total_column"]
    assert tc.status == "fail"
    assert "applications/new_received/total" in tc.cells and "3" in tc.detail
    # for a person: the official labels, the values and the difference
    assert tc.message == "表三 一、本年新收政府信息公开申请数量：总计 3，各申请人之和 2（自然人 2，其余为 0 或空），相差 1；第 1 页"
    assert tc.findings[0]["left"] == 3 and tc.findings[0]["right"] == 2 and tc.findings[0]["difference"] == 1
    assert checks["prose.matches_tables"].status == "not_applicable"


def test_missing_cells_make_a_sum_not_applicable_never_pass():
    drop = {("review_litigation", "review.total", None)}
    checks = _status(validate(ReportInfo(None, None, 2021, "2021", None), empty_tables("2021"),
                              _found("2021", drop), []))
    assert checks["review_litigation.totals"] == "not_applicable"
    assert checks["tables.complete"] == "fail"


def test_legacy_other_handling_row_is_summed_in_a_2021_report():
    tables = empty_tables("2021")
    set_value(tables, "applications", "other_handling", "natural_person", 2)
    set_value(tables, "applications", "other_handling", "total", 2)
    for row in ("new_received", "total"):
        set_value(tables, "applications", row, "natural_person", 2)
        set_value(tables, "applications", row, "total", 2)
    legacy = {("applications", r, c) for r in ("other_handling.no_correction", "other_handling.fee_unpaid",
                                               "other_handling.other")
              for c in tables["applications"]["total"]}
    cells = _found("2021", legacy) + [CellReading("applications", "other_handling", c, None, "", 0, None, 1.0)
                                      for c in tables["applications"]["total"]]
    checks = {c.rule: c for c in validate(ReportInfo(None, None, 2021, "2021", None), tables, cells, [])}
    assert checks["applications.total_row"].status == "pass"
    assert checks["tables.complete"].status == "fail"
    assert len(checks["tables.complete"].cells) == 21


def test_prose_statements_of_applications_received():
    assert stated_applications("2020 年共收到 2条依申请公开信息，网上收到信访件共计 71 件") == [2]
    assert stated_applications("全年收到政府信息依申请公开 11 宗。") == [11]
    assert stated_applications("五华县受理依申请公开36件，全部为自然人提出申请") == [36]
    assert stated_applications("本机关未收到政府信息公开申请。") == [0]
    assert stated_applications("办理省长信箱留言 11 条，处理率达 100%。") == []


def test_no_table_recognised_fails_naming_the_cells_the_year_calls_for():
    # a page too skewed to read, a report whose tables are images: nothing read must not pass as ok
    checks = {c.rule: c for c in validate(ReportInfo(None, None, 2022, None, None), {}, [], [])}
    assert checks["tables.complete"].status == "fail"
    assert checks["tables.complete"].cells == [f"{t}/{r}/{c}" if c else f"{t}/{r}"
                                               for t, r, c in template_cells("2021")]
    unknown = {c.rule: c for c in validate(ReportInfo(None, None, None, None, None), {}, [], [])}
    assert unknown["tables.complete"].status == "fail"
    assert len(unknown["tables.complete"].cells) == len({*template_cells("2019"), *template_cells("2021")})
    assert unknown["tables.complete"].detail == "no table of the 2019 or 2021 format was recognised"
    assert unknown["tables.complete"].message == "未识别出 2019 或 2021 格式的表格（表二、表三、表四均未读到）"
    # with no table, no rule of the tables passes on the cells it could not see
    for rule in ("applications.balance", "applications.total_row", "applications.total_column",
                 "review_litigation.totals", "cells.valid_numbers", "cells.confident", "prose.fees"):
        assert checks[rule].status == "not_applicable", rule


def _six_parts(**titles):
    return [Section(n, titles.get(n, zh.SECTION_TITLES[n]), "本机关认真落实政府信息公开工作各项要求，取得实效。", i)
            for i, n in enumerate(zh.SECTION_NUMBERS)]


def test_a_part_titled_but_for_one_character_is_that_part_and_another_title_is_not():
    """公于 for 公开 (a scan's one misread glyph, or a typo) leaves 第二部分 what it is; a title of
    another part, or one that is two characters off, is a finding."""
    from extractor.stages.validate import sections_complete

    assert sections_complete(_six_parts()).status == "pass"
    assert sections_complete(_six_parts(二="主动公于政府信息情况")).status == "pass"
    off = sections_complete(_six_parts(二="主动公于政府信息情形"))
    assert off.status == "fail" and off.message == "第二部分标题「主动公于政府信息情形」不是规定的「主动公开政府信息情况」；第 2 页"
    assert sections_complete(_six_parts(二="工作要点")).status == "fail"
