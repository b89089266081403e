"""The README's pictures, from a batch run's output, taken with Debian's headless Chromium:

    nianbao batch fixtures -o out && python docs/screenshots.py out
    python docs/screenshots.py out COMPARED      # and the 比对 page of `nianbao compare … -o COMPARED`

- ``docs/review-example.png``: the review page of ``f21-inject-balance`` at its first finding;
- ``docs/findings-example.png``: the first rows of the workbook's 问题清单, drawn as an HTML table
  from what openpyxl reads out of ``findings.xlsx`` (the sheet's own columns and values);
- ``docs/compare-example.png``: the top of the 比对 page in ``COMPARED/review`` (the README's
  ``nianbao compare`` of a generated series).
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

import openpyxl
from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SHOWN = ["文件", "规则", "表", "行", "列", "印刷值", "左值", "右值", "差值", "页码", "标注页"]


def workbook_table(book: Path, rows: int = 12) -> str:
    sheet = openpyxl.load_workbook(book)["问题清单"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    head, body = values[0], values[1:]
    keep = [head.index(h) for h in SHOWN]
    body = [r for r in body if r[head.index("规则编号")] != "cells.confident"][:rows]
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[i]) if r[i] is not None else '')}</td>" for i in keep)
                    + "</tr>" for r in body)
    return ("<!doctype html><html lang='zh-CN'><meta charset='utf-8'><style>"
            "body{margin:0;font:13px 'Noto Sans CJK SC',sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top;max-width:340px}"
            "th{background:#f2dcdb;position:sticky;top:0}td:nth-child(1){max-width:200px}</style>"
            "<table><tr>" + "".join(f"<th>{h}</th>" for h in SHOWN) + "</tr>" + cells + "</table></html>")


def main(out: Path, compared: Path | None = None) -> None:
    table = out / "review" / ".findings-example.html"
    table.write_text(workbook_table(out / "findings.xlsx"), "utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.goto((out / "review" / "f21-inject-balance.html").as_uri() + "#finding-1")
        page.wait_for_timeout(300)
        page.screenshot(path=str(DOCS / "review-example.png"))
        page = browser.new_page(viewport={"width": 1500, "height": 600})
        page.goto(table.as_uri())
        page.screenshot(path=str(DOCS / "findings-example.png"), full_page=True)
        if compared is not None:
            page = browser.new_page(viewport={"width": 1300, "height": 1250})
            page.goto(next((compared / "review").glob("compare-*.html")).as_uri())
            page.screenshot(path=str(DOCS / "compare-example.png"))
        browser.close()
    table.unlink()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
