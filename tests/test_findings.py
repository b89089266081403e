"""What an auditor gets from ``nianbao batch``: the findings workbook, the marked pages, the review
pages, and the checks of the report's own structure.

One batch runs over the committed fixtures with injected inconsistencies, some clean ones, and
reports the generator writes here to break the auditor's checks (parts 五 and 六 missing, 第五部分
only 无, fee notices with 第六部分 无, no issuer, two reports of one issuer and year). What the
workbook must say is worked out from the truth files, not from the extractor: the sums are redone
here on the truth's values, and pages are the truth's page indexes plus one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.apps.dataset import issuer_key
from extractor.spec.templates import (
    APPLICANT_COLUMNS,
    APPLICATION_COLUMNS,
    REVIEW_GROUPS,
    application_column_labels,
    application_labels,
    outcome_rows,
    template_cells,
)
from training.generate import FIXTURES_DIR, report_for, write_report

openpyxl = pytest.importorskip("openpyxl")

INJECTED = sorted(p.name.removesuffix(".truth.json") for p in FIXTURES_DIR.glob("*inject*.truth.json"))
CLEAN = ["f21-zero", "f19-zero", "seed-002-lianzhou-2023", "seed-004-bureau-2020", "f21-word-song"]
# name → (seed, content options): each breaks one of the auditor's checks, or, the last two, together
GENERATED = {
    "missing-parts": (500, {"defect": "missing_parts", "inject": None}),
    "empty-problems": (502, {"defect": "empty_problems", "inject": None}),
    "fees-unreported": (504, {"fmt": "2021", "defect": "fees_unreported", "inject": None}),
    "no-issuer": (503, {"issuer": None, "inject": None}),
    "twin-a": (506, {"issuer": "某某县人民政府", "year": 2022, "inject": None}),
    "twin-b": (508, {"issuer": "某某县人民政府", "year": 2022, "inject": None}),
}
RULE_NAMES = {"applications.balance": "申请数量平衡", "applications.total_row": "办理结果总计",
              "applications.total_column": "申请人合计", "review_litigation.totals": "复议诉讼合计",
              "prose.matches_tables": "正文与表格一致"}


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    base = tmp_path_factory.mktemp("audit")
    inputs, out = base / "inputs", base / "out"
    inputs.mkdir()
    truths = {}
    for name in INJECTED + CLEAN:
        shutil.copy(FIXTURES_DIR / f"{name}.pdf", inputs)
        truths[name] = json.loads((FIXTURES_DIR / f"{name}.truth.json").read_text("utf-8"))
    for name, (seed, options) in GENERATED.items():
        fmt = options.pop("fmt", None)
        content, style = report_for(seed, fmt, **options)
        content.name = name
        truths[name] = write_report(inputs, content, style)
        (inputs / f"{name}.blocks.jsonl").unlink()
    done = subprocess.run([sys.executable, "-m", "extractor.apps.command", "batch", str(inputs), "-o", str(out),
                           "--workers", "2"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return inputs, out, truths, done


def _expected_failures(truths: dict) -> dict[str, set[str]]:
    """Per report, the rules that must fail: its truth's, and batch.duplicate for one issuer and year twice."""
    expected = {name: set(t["expected_fail"]) for name, t in truths.items()}
    by_year: dict = {}
    for name, t in truths.items():
        if t["report"]["issuer"]:
            by_year.setdefault((issuer_key(t["report"]["issuer"]), t["report"]["year"]), []).append(name)
    for names in by_year.values():
        if len(names) > 1:
            for name in names:
                expected[name].add("batch.duplicate")
    return expected


# The warnings across years (series.*): 德庆县人民政府办公室 2020 → 2021, an all-zero report after a year
# of 647 licensing decisions and 18 applications (series.change).
WARNED = {"f21-zero": {"series.change"}}


def test_the_last_line_and_the_summary_count_reports_with_findings(audit):
    inputs, out, truths, done = audit
    expected = _expected_failures(truths)
    assert expected["twin-a"] == expected["twin-b"] == {"batch.duplicate"}
    assert expected["missing-parts"] == expected["empty-problems"] == {"sections.complete"}
    assert "report.identified" in expected["no-issuer"]
    assert not expected["fees-unreported"] and truths["fees-unreported"]["expected_warn"] == ["prose.fees"]
    with_findings = sum(1 for rules in expected.values() if rules)
    last = done.stdout.strip().splitlines()[-1]
    assert re.match(rf"{len(truths)} read \(0 from an earlier run\), {with_findings} with findings, 0 failed, "
                    r"0 duplicates → ", last), last
    # the progress bar counts the reports whose own checks fail (the batch's come at the end)
    own = sum(1 for rules in expected.values() if rules - {"batch.duplicate"})
    assert f"with findings {own}, failed 0]" in done.stderr.splitlines()[-1]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["reports_with_findings"] == with_findings
    by_rule: dict[str, list[str]] = {}
    for name, rules in sorted(expected.items()):
        for rule in rules:
            by_rule.setdefault(rule, []).append(str(inputs / f"{name}.pdf"))
    assert summary["reports_by_failing_rule"] == {rule: sorted(files) for rule, files in sorted(by_rule.items())}
    warned: dict[str, list[str]] = {}
    for name, truth in sorted(truths.items()):
        for rule in set(truth["expected_warn"]) | WARNED.get(name, set()):
            warned.setdefault(rule, []).append(str(inputs / f"{name}.pdf"))
    assert summary["reports_by_warning_rule"] == dict(sorted(warned.items()))


# --- the workbook ----------------------------------------------------------------------------------

def _value(tables, table, row, column=None):
    v = tables[table][row] if column is None else tables[table][row][column]
    return 0 if v is None else v


def _broken_sums(truth: dict) -> list[tuple[str, list[tuple], int, int]]:
    """(rule, cells, left, right) of every sum the truth's own values break, done here by hand."""
    t, a, out = truth["tables"], "applications", []
    for col in APPLICATION_COLUMNS:
        left = [(a, "new_received", col), (a, "carried_over", col)]
        right = [(a, "total", col), (a, "carried_forward", col)]
        out.append(("applications.balance", left + right, left, right))
        right = [(a, r, col) for r in outcome_rows(t[a])]
        out.append(("applications.total_row", [(a, "total", col)] + right, [(a, "total", col)], right))
    for row in t[a]:
        right = [(a, row, c) for c in APPLICANT_COLUMNS]
        out.append(("applications.total_column", [(a, row, "total")] + right, [(a, row, "total")], right))
    for g in REVIEW_GROUPS:
        r = "review_litigation"
        right = [(r, f"{g}.{c}", None) for c in ("upheld", "corrected", "other", "pending")]
        out.append(("review_litigation.totals", [(r, f"{g}.total", None)] + right, [(r, f"{g}.total", None)], right))
    broken = []
    for rule, cells, left, right in out:
        lv, rv = sum(_value(t, *c) for c in left), sum(_value(t, *c) for c in right)
        if lv != rv:
            broken.append((rule, cells, lv, rv))
    return broken


def _sheet(book, name: str) -> list[dict]:
    """The sheet's rows by header; a link cell gives its target (a path relative to the workbook,
    which XlsxWriter writes with backslashes, as Excel on Windows wants them)."""
    rows = [[c.hyperlink.target.replace("\\", "/") if c.hyperlink else c.value for c in r]
            for r in book[name].iter_rows()]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _page(truth: dict, cell: tuple) -> int:
    table, row, column = cell
    return next(c["page"] for c in truth["cells"] if (c["table"], c["row"], c["column"]) == cell) + 1


def test_the_findings_workbook_lists_every_injected_error_with_labels_values_and_page(audit):
    inputs, out, truths, _ = audit
    book = openpyxl.load_workbook(out / "findings.xlsx")
    assert book.sheetnames == ["报告", "问题清单", "数据", "读取备注", "比对"]   # 比对: 德庆县人民政府办公室 2020 and 2021
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.column_dimensions["A"].width >= 6 and sheet.column_dimensions["B"].width >= 20
    findings = _sheet(book, "问题清单")
    labels = application_labels()
    columns = application_column_labels()
    checked = 0
    for name in INJECTED:
        truth = truths[name]
        mine = [f for f in findings if f["文件"] == str(inputs / f"{name}.pdf")]
        sums = _broken_sums(truth)
        assert sums or "prose.matches_tables" in truth["expected_fail"], name
        for rule, cells, left, right in sums:
            rows = [f for f in mine if f["规则编号"] == rule and f["左值"] == left and f["右值"] == right]
            assert len(rows) == 1, (name, rule, left, right, [(f["规则编号"], f["左值"], f["右值"]) for f in mine])
            row = rows[0]
            assert row["规则"] == RULE_NAMES[rule] and row["差值"] == left - right
            assert row["表"] == ("表四" if rule.startswith("review") else "表三")
            assert row["发布机关"] == truth["report"]["issuer"] and row["年度"] == truth["report"]["year"]
            table, first_row, column = cells[0]
            if rule in ("applications.balance", "applications.total_row"):
                assert row["列"] == columns[column]            # one column: its official label
                if rule.endswith("balance"):     # its four rows, by their official labels
                    assert row["行"] == "、".join(labels[r] for r in ("new_received", "carried_over", "total",
                                                                       "carried_forward"))
                else:                            # （七）总计 and the twenty-odd outcome rows, counted
                    assert row["行"] == f"{labels['total']} 及其余 {len(cells) - 1} 项"
            elif rule == "applications.total_column":
                assert row["行"] == labels[first_row]
            pages = {_page(truth, c) for c in cells}
            assert row["页码"] == "、".join(map(str, sorted(pages)))
            printed = {(c["table"], c["row"], c["column"]): c["text"] for c in truth["cells"]}
            # every value as printed; a long sum lists its first cell and those not 0 or blank
            shown = [c for i, c in enumerate(cells) if len(cells) <= 6 or not i or printed[c] not in ("", "0", "/")]
            assert all(f"「{printed[c]}」" in row["印刷值"] for c in shown)
            assert (len(shown) < len(cells)) == (f"其余 {len(cells) - len(shown)} 项为 0 或空" in row["印刷值"])
            assert f"相差 {abs(left - right)}" in row["说明"] and f"第 {min(pages)}" in row["说明"]
            assert row["标注页"] and (out / row["标注页"]).is_file()
            checked += 1
        if "prose.matches_tables" in truth["expected_fail"]:
            stated, table = map(int, re.search(r"states (\d+) applications received, the table (\d+)",
                                               truth["injected"]).groups())
            row = next(f for f in mine if f["规则编号"] == "prose.matches_tables")
            assert (row["规则"], row["左值"], row["右值"], row["差值"]) == ("正文与表格一致", stated, table, stated - table)
            assert str(stated) in row["正文原句"] and "申请" in row["正文原句"]
            assert str(_page(truth, ("applications", "new_received", "total"))) in row["页码"].split("、")
            checked += 1
    assert checked >= len(INJECTED)

    reports = {r["文件"]: r for r in _sheet(book, "报告")}
    expected = _expected_failures(truths)
    assert len(reports) == len(truths)
    for name, truth in truths.items():
        r = reports[str(inputs / f"{name}.pdf")]
        warned = set(truth["expected_warn"]) | WARNED.get(name, set())
        assert r["状态"] == ("有问题" if expected[name] else "有提示" if warned else "通过"), name
        assert {f["规则编号"] for f in findings if f["文件"] == r["文件"] and f["级别"] == "提示"} == warned, name
        assert r["问题数"] == sum(1 for f in findings if f["文件"] == str(inputs / f"{name}.pdf"))
        record = json.loads((out / r["记录"]).read_text("utf-8"))
        assert (r["年度"], r["格式"], r["页数"]) == (truth["report"]["year"], truth["report"]["format"],
                                                  record["source"]["pages"])
    data = _sheet(book, "数据")
    for name in ("f21-zero", "seed-002-lianzhou-2023"):
        mine = [d for d in data if d["文件"] == str(inputs / f"{name}.pdf")]
        assert len(mine) == len(template_cells(truths[name]["report"]["format"]))
        printed = {f"{c['table']}/{c['row']}/{c['column']}" if c["column"] else f"{c['table']}/{c['row']}":
                   (c["text"], c["page"] + 1) for c in truths[name]["cells"]}
        assert all((d["印刷文字"] or "", d["页码"]) == printed[d["单元格编号"]] for d in mine
                   if d["单元格编号"] in printed)


def test_the_reader_s_notes_are_a_sheet_of_their_own(audit):
    """读取备注: every note of every record (its problems), in order, with the report it is of."""
    inputs, out, truths, _ = audit
    notes = _sheet(openpyxl.load_workbook(out / "findings.xlsx"), "读取备注")
    expected = []
    for name in sorted(truths):
        record = json.loads((out / "records" / f"{name}.json").read_text("utf-8"))
        expected += [(str(inputs / f"{name}.pdf"), record["report"]["issuer"], note) for note in record["problems"]]
    assert expected, "the audit's reports have notes (a repaired file, a digit corrected …)"
    assert sorted((n["文件"], n["发布机关"], n["备注"]) for n in notes) == sorted(expected)
    assert all(n["复核页"].startswith("review/") for n in notes)


def test_the_new_checks_fail_on_reports_that_break_them_and_pass_on_clean_ones(audit):
    _, out, truths, _ = audit

    def checks(name):
        return {c["rule"]: c for c in json.loads((out / "records" / f"{name}.json").read_text("utf-8"))["checks"]}

    missing = checks("missing-parts")["sections.complete"]
    assert missing["status"] == "fail"
    assert missing["message"].startswith("缺少第五部分（存在的主要问题及改进情况）、第六部分（其他需要报告的事项）")
    empty = checks("empty-problems")["sections.complete"]
    assert empty["status"] == "fail" and "第五部分" in empty["message"] and "只有「无。」" in empty["message"]
    fees = checks("fees-unreported")["prose.fees"]
    # 无 leaves out what the format asks for: a warning; it contradicts no figure
    assert fees["status"] == "warn" and fees["cells"] == ["applications/other_handling.fee_unpaid/total"]
    assert "第六部分（其他需要报告的事项）却称「无。」，未报告收费情况" in fees["message"]
    unnamed = checks("no-issuer")["report.identified"]
    assert unnamed["status"] == "fail" and unnamed["message"].startswith("未找到发布机关")
    for name in ("f21-zero", "seed-002-lianzhou-2023", "f21-word-song", "twin-a"):
        c = checks(name)
        assert [c[r]["status"] for r in ("sections.complete", "report.identified", "prose.fees")] == ["pass"] * 3, name
    assert checks("f19-zero")["prose.fees"]["status"] == "not_applicable"      # the 2019 format has no fee row


def test_two_reports_of_one_issuer_and_year_fail_batch_duplicate(audit):
    inputs, out, _, _ = audit
    import pyarrow.parquet as pq

    rows = [r for r in pq.read_table(out / "checks.parquet").to_pylist() if r["rule"] == "batch.duplicate"]
    status = {Path(r["file"]).stem: r for r in rows}
    for me, other in (("twin-a", "twin-b"), ("twin-b", "twin-a")):
        assert status[me]["status"] == "fail"
        assert status[me]["message"] == f"本批中某某县人民政府 2022 年度还有 1 份报告：{inputs / f'{other}.pdf'}"
    assert status["seed-002-lianzhou-2023"]["status"] == "pass"
    assert status["seed-004-bureau-2020"]["status"] == "not_applicable"        # no issuer to compare


# --- the marked pages and the review pages -----------------------------------------------------------

def test_every_finding_with_a_page_has_its_page_marked(audit):
    import pymupdf

    _, out, _, _ = audit
    book = openpyxl.load_workbook(out / "findings.xlsx")
    rows = [f for f in _sheet(book, "问题清单") if f["规则编号"] == "applications.balance"]
    assert rows and all(f["标注页"] for f in rows)
    pix = pymupdf.Pixmap(str(out / rows[0]["标注页"]))
    red = sum(1 for y in range(0, pix.h, 2) for x in range(0, pix.w, 2)
              if (lambda p: p[0] > 180 and p[1] < 80 and p[2] < 80)(pix.pixel(x, y)))
    assert red > 50          # the boxes and the values beside them


def test_review_pages_and_the_index_load_nothing_from_elsewhere(audit):
    inputs, out, truths, _ = audit
    index = (out / "review" / "index.html").read_text("utf-8")
    for name in truths:
        page = out / "review" / f"{name}.html"
        assert f'href="{name}.html"' in index
        text = page.read_text("utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", text)
        assert "default-src 'none'" in text


CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install -y chromium); "
                                                  "no browser is downloaded")
def test_the_review_page_in_a_browser_marks_every_cell_and_lists_the_findings(audit):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (the test extra)")
    _, out, _, _ = audit
    name = "f21-inject-balance"
    record = json.loads((out / "records" / f"{name}.json").read_text("utf-8"))
    failing = [c for c in record["checks"] if c["status"] == "fail"]
    flagged = {cell for c in failing for cell in c["cells"]}
    messages = [f["message"] for c in failing for f in c["findings"]]
    requests = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.goto((out / "review" / f"{name}.html").as_uri())
            page.wait_for_load_state("load")
            cells = page.eval_on_selector_all(".cell", "els => els.map(e => [e.dataset.cell, e.className, "
                                                       "e.closest('figure').dataset.page])")
            assert sorted((c, int(p)) for c, _, p in cells) == sorted(
                (f"{c['table']}/{c['row']}/{c['column']}" if c["column"] else f"{c['table']}/{c['row']}", c["page"])
                for c in record["cells"])
            assert {c for c, cls, _ in cells if "fail" in cls.split()} == flagged
            assert all(page.locator(f'.cell[data-cell="{c}"]').first.bounding_box()["width"] > 3 for c in flagged)
            shown = page.eval_on_selector_all("#findings li a.go", "els => els.map(e => e.textContent)")
            assert shown == messages
            # a finding jumps to its page and lights its cells up
            first = failing[0]["findings"][0]
            page.click("#finding-1 a.go")
            assert page.evaluate("location.hash") == f"#page-{first['pages'][0]}"
            lit = page.eval_on_selector_all(".cell.focus", "els => els.map(e => e.dataset.cell)")
            assert set(lit) == set(first["cells"])
            # hovering a cell tells its official label, value and confidence
            page.hover(f'.cell[data-cell="{first["cells"][0]}"]')
            tip = page.inner_text("#tip")
            assert "表三" in tip and "可信度" in tip and "值：" in tip
            page.goto((out / "review" / "index.html").as_uri())
            assert page.locator(f'a[href="{name}.html"]').count() == 1
        finally:
            browser.close()
    assert requests and all(u.startswith(("file:", "data:")) for u in requests), requests
