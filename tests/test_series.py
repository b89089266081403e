"""One body's years compared: generated series (``training/series.py``) with faults put in on
purpose, each finding asserted where it was put and its absence everywhere else.

The pure logic is run on the generator's truth (many series, no PDF); the front ends on a few
series typeset into PDFs once per session, read by ``nianbao batch`` with ``--expect`` and by
``nianbao compare`` (a PDF and a record).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from extractor.series.compare import SERIES_RULES, compare
from extractor.series.copying import normalise, own_names, sentences, shipped_corpus, standard_sentences
from extractor.series.figures import is_large, side_by_side
from extractor.series.issuers import Filed, expected_units, issuer_level, read_expected
from training.content import ReportContent
from training.series import FAULTS, issuer_series, province, write_series

YEARS = [2021, 2022, 2023]


def record_of(content: ReportContent) -> dict:
    """A content's truth as the record a perfect reading gives (the fields the comparison reads)."""
    return {"report": {"title": content.title, "issuer": content.issuer, "year": content.year,
                       "format": content.format, "date": content.date},
            "sections": [{"number": s.number, "title": s.title, "text": "".join(p.text for p in s.paragraphs)}
                         for s in content.sections],
            "tables": content.tables,
            "cells": [{"table": t, "row": r, "column": c} for t, r, c in content.cell_text]}


@pytest.fixture(scope="module")
def many():
    """40 generated bodies over three years, one fault in turn in the last year of one in four."""
    out = []
    for i in range(40):
        fault = FAULTS[(i // 4) % len(FAULTS)] if i % 4 == 3 else None
        issuer = "连州市人民政府办公室" if fault == "renamed" else None
        out.append(issuer_series(500 + i, YEARS, issuer, {2023: (fault,)} if fault else None))
    return out


@pytest.fixture(scope="module")
def standard(many):
    corpus = [(c.issuer, ["".join(p.text for p in s.paragraphs) for s in c.sections]) for s in many for c in s.reports]
    return standard_sentences([*corpus, *shipped_corpus()])


def _faults(series, year) -> tuple[str, ...]:
    return series.faults.get(year, ())


# --- the generator ---------------------------------------------------------------------------------

def test_generated_series_carry_over_unless_a_fault_is_put_in(many):
    for s in many:
        for before, now in zip(s.reports, s.reports[1:]):
            a, b = before.tables, now.tables
            faults = _faults(s, now.year)
            last = a["applications"]["carried_forward"]
            this = b["applications"]["carried_over"]
            wrong = {c for c in this if this[c] != last[c]}
            assert wrong == ({"natural_person", "total"} if "carry_over" in faults else set()), (now.name, wrong)
            for row in ("rules", "normative_documents"):
                d = b["active_disclosure"][row]
                held = a["active_disclosure"][row]["in_force"]
                off = d["in_force"] - (held + d["issued"] - d["repealed"])
                assert off == (3 if "in_force" in faults and row == "normative_documents" else 0), now.name
            assert (now.issuer != s.issuer) == ("renamed" in faults)
            assert sorted(t for t in now.traits if t.startswith("series_")) == sorted(f"series_{f}" for f in faults)


# --- the rules, on the generator's truth -------------------------------------------------------------

def test_large_change_rule():
    assert is_large(30, 170, 200) and is_large(0, 20, 40) and is_large(400, 100, 500)
    assert not is_large(400, 460, 500)      # sure, but not doubled
    assert not is_large(1, 3, 10)           # tripled, but within the noise of a count
    assert not is_large(0, 9, 3000)         # doubled and beyond the noise, but 9 beside 3,000
    assert not is_large(0, 0, 0)
    assert not is_large(-40, 60, 100)       # 本年增/减 (2019 format) is signed, not a count


def test_a_jump_is_flagged_and_nothing_else_in_generated_series(many):
    flagged = 0
    for s in many:
        for before, now in zip(s.reports, s.reports[1:]):
            figures = {f.indicator.id: f for f in side_by_side(record_of(before), record_of(now))}
            large = {i for i, f in figures.items() if f.large}
            if "jump" in _faults(s, now.year):
                assert "applications/new_received/natural_person" in large, now.name
                assert figures["applications/new_received/natural_person"].ratio > 1
                # the jump is said once: the outcomes and totals it feeds move with it
                assert {i for i in large if figures[i].follows is None} == {"applications/new_received/natural_person"}
                assert {figures[i].follows for i in large} - {None} == {"applications/new_received/natural_person"}
                flagged += 1
            else:
                assert large == set(), (now.name, large)
    assert flagged == 2


def test_each_finding_where_it_was_put_and_none_elsewhere(many, standard):
    seen = set()
    for s in many:
        for before, now in zip(s.reports, s.reports[1:]):
            c = compare(before.name, record_of(before), now.name, record_of(now), standard)
            status = {k.rule: k.status for k in c.checks}
            faults = _faults(s, now.year)
            assert [k.rule for k in c.checks] == list(SERIES_RULES)
            assert status["series.carry_over"] == ("fail" if "carry_over" in faults else "pass"), now.name
            assert status["series.in_force"] == ("warn" if "in_force" in faults else "pass"), now.name
            assert status["series.change"] == ("warn" if "jump" in faults else "pass"), now.name
            if "jump" in faults:
                (jump,) = c.check("series.change").findings
                assert jump["message"].startswith("表三 一、本年新收政府信息公开申请数量 · 自然人 由 ")
                assert "随之同向大幅变化的还有" in jump["message"]
            assert status["series.copied_prose"] == ("fail" if "copied" in faults else "pass"), (
                now.name, [(x.number, x.share) for x in c.sections])
            copied = [x.number for x in c.sections if x.finding]
            assert copied == (["五"] if "copied" in faults else [])
            seen |= set(faults)
            if "in_force" in faults:
                message = c.check("series.in_force").message
                d = now.tables["active_disclosure"]["normative_documents"]
                held = before.tables["active_disclosure"]["normative_documents"]["in_force"]
                assert f"{held} + {d['issued']} − {d['repealed']} = {held + d['issued'] - d['repealed']}，相差 3" in message
    assert seen == set(FAULTS)


@pytest.mark.parametrize("years", [[2019, 2020], [2020, 2021]])
def test_series_in_the_2019_format_and_across_the_change_of_format(years, standard):
    """本年增/减 is signed and not judged; 现行有效 is compared only between two 2021 reports."""
    for seed in range(600, 620):
        before, now = issuer_series(seed, years).reports
        c = compare("a", record_of(before), "b", record_of(now), standard)
        assert {k.rule: k.status for k in c.checks} == {
            "series.in_force": "not_applicable", "series.change": "pass", "series.copied_prose": "pass",
            "series.carry_over": "pass"}, (seed, years)


def test_copied_sentences_are_matched_nearly_and_standard_ones_are_left_out(many, standard):
    s = next(s for s in many if "copied" in _faults(s, 2023))
    before, now = s.reports[1], s.reports[2]
    c = compare("a", record_of(before), "b", record_of(now), standard)
    five = next(x for x in c.sections if x.number == "五")
    assert five.share == 1.0 and five.considered >= 3
    assert any(r < 1.0 for _, _, r in five.copied), "the altered phrase is matched nearly, not exactly"
    # a sentence the generator writes for every body (its stock phrases) is learned as standard
    stock = "加大政务公开培训力度，切实增强工作人员专业素养，提高政务公开工作的能力和水平。"
    assert normalise(stock, []) in standard
    names = own_names("五华县华城镇人民政府")
    assert {"五华县华城镇人民政府", "五华县", "华城镇", "五华县华城镇"} <= set(names)
    assert normalise("2023年，我镇在华城镇开展检查12次。", names) == normalise("2022年，我县在五华县开展检查3次。",
                                                                     own_names("五华县人民政府"))
    assert sentences("一是甲；二是乙。三\n四") == ["一是甲；", "二是乙。", "三", "四"]


def test_issuer_level_and_expected_units():
    assert [issuer_level(n) for n in ("广东省人民政府办公厅", "连州市人民政府办公室", "连南瑶族自治县人民政府",
                                      "五华县华城镇人民政府", "连州市民政局", "天河区人民政府", "某某街道办事处",
                                      "清远市发展和改革委员会", "连州市")] == \
        ["省", "市", "县", "乡镇", "部门", "县", "乡镇", "部门", None]
    assert read_expected("发布机关,备注\n连州市人民政府办公室,\n\n# 注释\n英德市民政局\n") == ["连州市人民政府办公室", "英德市民政局"]
    e = expected_units(["连州市人民政府办公室", "英德市民政局"],
                       [Filed("a.pdf", "连州市政府办公室", 2023), Filed("b.pdf", "乐昌市民政局", 2023)])
    assert e.missing == {2023: ["英德市民政局"]}
    assert e.unlisted == [{"issuer": "乐昌市民政局", "years": [2023], "files": ["b.pdf"]}]


# --- the front ends, on PDFs -------------------------------------------------------------------------

SERIES = {   # name → (seed, issuer, faults)
    "clean": (11, "英德市人民政府办公室", {}),
    "broken": (12, "南雄市交通运输局", {2022: ("carry_over",), 2023: ("in_force",)}),
    "copied": (13, "连州市人民政府办公室", {2022: ("copied",), 2023: ("jump", "renamed")}),
}
MISSING, UNLISTED = "乐昌市人民政府办公室", "四会市民政局"


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("series")
    made = {}
    for name, (seed, issuer, faults) in SERIES.items():
        s = issuer_series(seed, YEARS, issuer, faults, name=name)
        write_series(folder, s)
        made[name] = s
    extra = issuer_series(14, [2023], UNLISTED, name="unlisted")
    write_series(folder, extra)
    for p in folder.glob("*.blocks.jsonl"):
        p.unlink()
    return folder, made


@pytest.fixture(scope="module")
def batch(pdfs, tmp_path_factory):
    folder, made = pdfs
    out = tmp_path_factory.mktemp("batch")
    units = out.parent / "units.csv"
    units.write_text("发布机关\n" + "\n".join([*(s.issuer for s in made.values()), MISSING]) + "\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "extractor.apps.command", "batch", str(folder), "-o", str(out),
                           "--workers", "2", "--expect", str(units)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return folder, out, done


def _statuses(out: Path) -> dict[tuple[str, str], str]:
    return {(Path(c["file"]).stem, c["rule"]): c["status"] for c in pq.read_table(out / "checks.parquet").to_pylist()}


def test_batch_finds_each_fault_in_its_year_and_nothing_in_clean_series(batch):
    folder, out, _ = batch
    status = _statuses(out)
    expected = {("broken-2022", "series.carry_over"): "fail", ("broken-2023", "series.in_force"): "warn",
                ("copied-2022", "series.copied_prose"): "fail", ("copied-2023", "series.change"): "warn"}
    for name in [f"{s}-{y}" for s in SERIES for y in YEARS[1:]]:
        for rule in SERIES_RULES:
            assert status[name, rule] == expected.get((name, rule), "pass"), (name, rule)
    for name in [f"{s}-2021" for s in SERIES] + ["unlisted-2023"]:
        assert {status[name, rule] for rule in SERIES_RULES} == {"not_applicable"}, name


def test_batch_names_taken_as_one_and_expected_units(batch):
    folder, out, done = batch
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["names_taken_as_one"] == [["连州市人民政府办公室", "连州市政府办公室"]]
    assert "taken as one issuer: 连州市人民政府办公室、连州市政府办公室" in done.stdout
    assert summary["expected"]["missing"] == {"2021": [MISSING], "2022": [MISSING], "2023": [MISSING]}
    assert summary["expected"]["unlisted"] == [{"issuer": UNLISTED, "years": [2023],
                                                "files": [str(folder / "unlisted-2023.pdf")]}]
    assert f"2023: 1 expected units without a report: {MISSING}" in done.stdout
    assert f"1 issuers not on the expected list: {UNLISTED}" in done.stdout
    assert summary["compared"] == 6
    assert "6 reports compared with the same issuer's report of the year before" in done.stdout
    book = openpyxl.load_workbook(out / "findings.xlsx")
    assert book.sheetnames == ["报告", "问题清单", "数据", "读取备注", "比对", "报送情况"]
    sent = [[c.value for c in r] for r in book["报送情况"].iter_rows(min_row=2)]
    assert sent == [[2021, MISSING, "未报送", None], [2022, MISSING, "未报送", None], [2023, MISSING, "未报送", None],
                    ["2023", UNLISTED, "不在名单内", str(folder / "unlisted-2023.pdf")]]
    index = (out / "review" / "index.html").read_text("utf-8")
    assert "连州市人民政府办公室、连州市政府办公室" in index and f"2023 年度未报送（1）：{MISSING}" in index


def test_the_compare_sheet_and_pages(batch, pdfs):
    folder, out, _ = batch
    _, made = pdfs
    book = openpyxl.load_workbook(out / "findings.xlsx")
    rows = [[c.value for c in r] for r in book["比对"].iter_rows()]
    head = rows[0]
    assert head[:4] == ["发布机关", "项目", "上年度", "本年度"]
    rows = [dict(zip(head, r)) for r in rows[1:]]
    jumps = [r for r in rows if r["标记"] == "大幅变化"]
    assert jumps and {r["本年文件"] for r in jumps} == {str(folder / "copied-2023.pdf")}
    before = made["copied"].reports[1].tables["applications"]["new_received"]["natural_person"]
    row = next(r for r in jumps if r["项目"] == "表三 一、本年新收政府信息公开申请数量 · 自然人")
    assert (row["上年值"], row["本年值"], row["增减值"]) == (before, 5 * before + 20, 4 * before + 20)
    assert row["增减率"] == round((4 * before + 20) / before, 4)
    copied = [r for r in rows if r["标记"] == "照抄"]
    assert [(r["本年文件"], r["项目"]) for r in copied] == [
        (str(folder / "copied-2022.pdf"), "第五部分 存在的主要问题及改进情况 · 重复率")]
    page = (out / "review" / "compare-copied-2022.html").read_text("utf-8")
    assert "<mark>" in page and "default-src 'none'" in page
    assert re.search(r'id="section-五" data-share="1\.0000"', page)
    assert "<mark>" not in (out / "review" / "compare-clean-2023.html").read_text("utf-8")
    jump_page = (out / "review" / "compare-copied-2023.html").read_text("utf-8")
    assert re.findall(r'<tr data-rule="([^"]+)"', jump_page) == list(SERIES_RULES)
    assert 'class="large" data-indicator="applications/new_received/natural_person"' in jump_page
    index = (out / "review" / "index.html").read_text("utf-8")
    assert 'href="compare-copied-2023.html"' in index


def test_the_series_panel(batch):
    folder, out, _ = batch
    table = pq.read_table(out / "series.parquet")
    as_typed = pcsv.ConvertOptions(column_types=table.schema, strings_can_be_null=True)
    assert pcsv.read_csv(out / "series.csv", convert_options=as_typed).equals(table)
    rows = table.to_pylist()
    assert {(r["issuer_key"], r["level"]) for r in rows} == {
        ("英德市政府办公室", "市"), ("南雄市交通运输局", "部门"), ("连州市政府办公室", "市"), (UNLISTED, "部门")}
    received = [(r["issuer"], r["year"], r["value"], r["previous"]) for r in rows
                if r["indicator"] == "applications/new_received/natural_person" and r["issuer_key"] == "连州市政府办公室"]
    assert [(i, y) for i, y, _, _ in received] == [("连州市人民政府办公室", 2021), ("连州市人民政府办公室", 2022),
                                                  ("连州市政府办公室", 2023)]
    assert received[0][3] is None and received[1][3] == received[0][2] and received[2][2] == 5 * received[1][2] + 20
    assert len({(r["file"], r["indicator"]) for r in rows}) == len(rows)


def test_compare_command_with_a_pdf_and_a_record(batch, tmp_path):
    folder, out, _ = batch
    done = subprocess.run([sys.executable, "-m", "extractor.apps.command", "compare", str(folder / "copied-2022.pdf"),
                           str(out / "records" / "copied-2023.json"), "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "连州市政府办公室 2022 → 2023 年度（连州市人民政府办公室、连州市政府办公室 视为同一机关）"
    assert any(line.startswith("  大幅变化  表三 一、本年新收政府信息公开申请数量 · 自然人 由 ") for line in lines)
    assert "  通过  上年结转与上年度报告一致：上年结转与上一年度报告" in done.stdout
    assert "  通过  现行有效件数与上年度相接" in done.stdout
    assert (tmp_path / "review" / "compare-copied-2023.html").exists()
    assert "比对" in openpyxl.load_workbook(tmp_path / "findings.xlsx").sheetnames
    strict = subprocess.run([sys.executable, "-m", "extractor.apps.command", "compare", str(folder / "clean-2022.pdf"),
                             str(folder / "clean-2023.pdf"), "-o", str(tmp_path / "clean"), "--strict",
                             "--corpus", str(out / "records")],
                            capture_output=True, text=True, timeout=300)
    assert strict.returncode == 0, strict.stdout + strict.stderr[-2000:]
    assert "0 项大幅变化" in strict.stdout and "，照抄" not in strict.stdout
    assert strict.stdout.splitlines()[-1].startswith(f"→ {tmp_path / 'clean' / 'review' / 'compare-clean-2023.html'}, ")
    bad = subprocess.run([sys.executable, "-m", "extractor.apps.command", "compare", str(folder / "clean-2022.pdf"),
                          str(out / "summary.json"), "-o", str(tmp_path / "bad")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error  ") and "not a nianbao/2 record" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_a_small_province_gives_the_same_series_outputs_on_the_local_executor_and_on_dask(tmp_path):
    p = province(3, 8, [2022, 2023])
    folder = tmp_path / "province"
    for s in p.series:
        write_series(folder, s)
    units = tmp_path / "units.csv"
    units.write_text("\n".join(p.expected) + "\n", "utf-8")
    outs = []
    for executor in ("local", "dask"):
        out = tmp_path / executor
        done = subprocess.run([sys.executable, "-m", "extractor.apps.command", "batch", str(folder), "-o", str(out),
                               "--workers", "2", "--executor", executor, "--expect", str(units)],
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        outs.append(out)
    assert (outs[0] / "series.csv").read_bytes() == (outs[1] / "series.csv").read_bytes()
    assert pq.read_table(outs[0] / "series.parquet").equals(pq.read_table(outs[1] / "series.parquet"))
    local, dask = (json.loads((o / "summary.json").read_text("utf-8")) for o in outs)
    assert local["expected"] == dask["expected"]
    assert local["expected"]["missing"]["2023"] == sorted(p.withheld, key=p.expected.index)
