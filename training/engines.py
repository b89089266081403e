"""Render a ``ReportContent`` with a real layout engine and say, exactly, where everything went.

    render(content, engine_style_for(seed, "libreoffice"))  ->  typeset.Typeset

The engine lays the document out (``render_docx.py`` through LibreOffice, ``render_html.py``
through headless Chromium); ``locate.py`` then finds every paragraph and cell in the PDF it
wrote, and the truth (cell pages and boxes, block labels, traits) is read from there. A forced
placement (``EngineStyle.force``) renders twice: once to see where the table fell, once with the
space before its section that puts the page break where it is wanted. The traits are those the
PDF really shows, whatever was asked for.

The PDF is the engine's own file; only its creation date and file identifier, which change from
run to run, are rewritten (same length, so every offset stays) to the report's date and a digest
of the rest, so that the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from functools import cache

import pymupdf

from training.content import ReportContent
from training.layout import (
    ENGINES,
    FACES,
    TRAINING_ENGINES,
    Document,
    EngineStyle,
    Para,
    RenderError,
    Table,
    build_document,
)
from training.locate import Item, Located, LocateError, _lines, _ruled_box, blocks, cell_boxes, locate
from training.render_html import NAMES, PRINTERS, build_html, print_pdf, printer
from training.typeset import Typeset, _cell_traits

__all__ = ["render", "missing", "LocateError", "RenderError"]


def missing(engine: str) -> str | None:
    """Why ``engine`` cannot run here, or None when it can."""
    if engine not in ENGINES:
        return f"unknown engine {engine!r}"
    if engine == "libreoffice":
        if not (shutil.which("soffice") or shutil.which("libreoffice")):
            return "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer"
        try:
            import docx  # noqa: F401
        except ImportError:
            return "python-docx is not installed: pip install -e '.[train]'"
    if engine in PRINTERS and printer(engine) is None:
        return f"{NAMES[engine]} is not installed: apt-get install {PRINTERS[engine][1]}"
    lost = [f for f in _needed_faces() if f not in _installed_faces()]
    if lost:
        return f"fonts not installed: {', '.join(lost)} (apt-get install fonts-noto-cjk fonts-arphic-uming fonts-wqy-zenhei)"
    return None


def _needed_faces() -> set[str]:
    return {f for faces in FACES.values() for f in faces}


@cache
def _installed_faces() -> frozenset[str]:
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


# --- rendering ------------------------------------------------------------------------------------

def _pdf(doc: Document, st: EngineStyle, content: ReportContent) -> bytes:
    if st.engine == "libreoffice":
        from training.render_docx import build_docx, convert

        pdf = convert(build_docx(doc, st))
    else:
        pdf = print_pdf(build_html(doc, st, content.title), st)
    return _stable(pdf, content)


def _stable(pdf: bytes, content: ReportContent) -> bytes:
    """The run-to-run parts of the engine's file (dates, /ID, LibreOffice's /DocChecksum) set from
    the report, each to a value of the same length."""
    date = (content.date or f"{content.year + 1}-01-15").replace("-", "") + "090000"

    def stamp(m: re.Match) -> bytes:
        old = m.group(2)
        new = ("D:" + date).encode() + old[16:]           # D:YYYYMMDDHHMMSS, then the engine's zone
        return m.group(1) + new[:len(old)]

    pdf = re.sub(rb"(/(?:CreationDate|ModDate)\s*\()(D:\d{14}[^)]*)", stamp, pdf)
    blank = re.sub(rb"(/ID\s*\[\s*<)[0-9A-Fa-f]+(>\s*<)[0-9A-Fa-f]+(>)", rb"\1\2\3", pdf)
    blank = re.sub(rb"(/DocChecksum\s*/)[0-9A-Fa-f]+", rb"\1", blank)
    digest = hashlib.md5(blank).hexdigest().upper().encode()

    def ident(m: re.Match) -> bytes:
        return m.group(1) + digest[:len(m.group(2))] + m.group(3) + digest[:len(m.group(4))] + m.group(5)

    pdf = re.sub(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]+)(>\s*<)([0-9A-Fa-f]+)(>)", ident, pdf)
    pdf = re.sub(rb"(/DocChecksum\s*/)([0-9A-Fa-f]+)", lambda m: m.group(1) + digest[:len(m.group(2))], pdf)
    return pdf


def render(content: ReportContent, st: EngineStyle) -> Typeset:
    reason = missing(st.engine)
    if reason:
        raise RenderError(reason)
    doc = build_document(content, st)
    pdf = _pdf(doc, st, content)
    try:
        loc = locate(pdf, doc, st)
        if st.force:
            spacers = _placement(st, doc, loc)
            if spacers:
                doc = build_document(content, st, spacers)
                pdf = _pdf(doc, st, content)
                loc = locate(pdf, doc, st)
        cells = cell_boxes(loc, doc)
    except LocateError:
        if st.engine in TRAINING_ENGINES:
            raise
        # an engine kept for measuring: the cells' values are the content's wherever it put them,
        # and the scores compare values (a truth without boxes or blocks, never trained on)
        return Typeset(pdf=pdf, blocks=[], cells={},
                       traits=sorted({*_cell_traits(content), f"engine_{st.engine}", "unlocated"}))
    lost = [k for k in content.cell_text if k not in cells]
    if lost:
        raise LocateError(f"template cells printed but not located: {lost[:5]}")
    traits = _traits(content, st, doc, loc, pdf)
    return Typeset(pdf=pdf, blocks=blocks(loc), cells=cells, traits=sorted(traits))


# --- forced placements ----------------------------------------------------------------------------

def _table_items(loc: Located, doc: Document, name: str) -> tuple[Table, list[Item]] | None:
    for ti, t in enumerate(doc.tables()):
        if t.name == name:
            return t, [it for it in loc.items if it.table == ti and not it.repeat]
    return None


def _heading(loc: Located, number: str) -> Item:
    return next(it for it in loc.items if it.kind == "para" and it.label == "heading"
                and it.text.startswith(f"{number}、"))


def _placement(st: EngineStyle, doc: Document, loc: Located) -> dict[str, float]:
    """The space before a section's heading that puts the page break where ``st.force`` wants it,
    measured on the first rendering; {} when it cannot be done from there."""
    bottom = st.body_bottom
    if st.force == "review_split":
        found = _table_items(loc, doc, "review_litigation")
        if not found:
            return {}
        t, items = found
        row0 = [it for it in items if t.cells[it.cell].row == 0 and it.glyphs]
        if not row0:
            return {}
        page = row0[0].glyphs[0].page
        box = _ruled_box(row0[0].glyphs, *loc.rulings[page])
        head = _heading(loc, "四")
        if box is None or head.glyphs[0].page != page:
            return {}
        return {"四": max(bottom - box.y1 - 1.0, 0.0)}
    if st.force == "tail_split":
        found = _table_items(loc, doc, "applications")
        if not found:
            return {}
        t, items = found
        # the row above the last: its bottom put at the foot of the page, the last row goes over
        above = [it for it in items if t.cells[it.cell].row == t.n_rows - 2 and it.glyphs]
        head = _heading(loc, "三")
        if not above or any(g.page != head.glyphs[0].page for it in items if t.cells[it.cell].row < t.n_rows - 1
                                for g in it.glyphs):
            return {}
        page = above[0].glyphs[0].page
        box = _ruled_box(above[0].glyphs, *loc.rulings[page])
        if box is None:
            return {}
        return {"三": max(bottom - box.y1 - 1.0, 0.0)}
    if st.force == "row_split":
        found = _table_items(loc, doc, "applications")
        if not found:
            return {}
        t, items = found
        first_page = min(g.page for it in items for g in it.glyphs)
        head = _heading(loc, "三")
        if head.glyphs[0].page != first_page:
            return {}
        best = None
        for it in items:
            c = t.cells[it.cell]
            if c.row < t.header_rows or c.rowspan != 1 or c.role != "label" or not it.glyphs \
                    or c.row in t.cant_split:
                continue
            lines = _lines(it.glyphs)
            if len(lines) < 2 or any(g.page != first_page for g in it.glyphs):
                continue
            l1, l2 = lines[0], lines[1]
            cut = (max(g.y1 for g in l1) + max(g.y1 for g in l2)) / 2 + st.cell_vpad / 2
            if cut < bottom and (best is None or cut > best):
                best = cut
        if best is None:
            return {}
        return {"三": bottom - best}
    return {}


# --- traits -----------------------------------------------------------------------------------------

def _traits(content: ReportContent, st: EngineStyle, doc: Document, loc: Located, pdf: bytes) -> set[str]:
    traits = set(_cell_traits(content))
    traits.add(f"engine_{st.engine}")
    ops, glyphs = loc.show_ops[0]
    if ops >= glyphs:
        traits.add("wps_glyphs")
    elif ops < glyphs / 4:
        traits.add("word_runs")
    traits.add("serif" if st.serif else "sans")
    fonts = pymupdf.open(stream=pdf, filetype="pdf")[0].get_fonts()
    if any(f[1] in ("ttf", "cff", "otf", "pfa", "pfb") and "+" in f[3] for f in fonts):
        traits.add("embedded_font")
    if any(f[2] == "Type3" for f in fonts):
        traits.add("type3_font")
    tables = doc.tables()
    table_pages: dict[int, set[int]] = {}
    last_table_at: list[tuple[int, float]] = []
    for it in loc.items:
        if it.table is None or not it.glyphs:
            continue
        t, c = tables[it.table], tables[it.table].cells[it.cell]
        if it.repeat:
            traits.add("repeated_header")
            continue
        table_pages.setdefault(it.table, set()).update(g.page for g in it.glyphs)
        lines = _lines(it.glyphs)
        pages = {g.page for g in it.glyphs}
        if c.role == "header" and len(lines) > 1 and len(pages) == 1:
            traits.add("wrapped_header")
            if all(len(line) == 1 for line in lines):
                traits.add("stacked_header")
        if c.role == "label" and len(lines) > 1:
            traits.add("wrapped_row_label")
        if c.role == "group" and c.col == 0 and len(lines) > 2 and max(map(len, lines)) <= 3:
            traits.add("vertical_group_label")
        if len(pages) > 1 and c.role == "group":
            traits.add("group_label_cut")
        if len(pages) > 1 and c.rowspan == 1:
            traits.add("row_split")
    if any(len(p) > 1 for p in table_pages.values()):
        traits |= {"table_split", "footer_in_table"} if doc.footer else {"table_split"}   # no page numbers: wkhtmltopdf
    if any(t.name == "review_litigation" for t in tables):
        traits.add("three_level_header")
    for ti, t in enumerate(tables):
        gs = [g for it in loc.items if it.table == ti and not it.repeat for g in it.glyphs]
        if gs:
            last = max(gs, key=lambda g: (g.page, g.y1))
            last_table_at.append((last.page, last.y1))
        if t.name == "review_litigation" and _split_after_first_row(t, loc, ti):
            traits.add("review_split_after_first_header")
    for it in loc.items:
        if it.kind == "para" and it.label == "heading" and re.match(r"[三四五六]、", it.text) and it.glyphs:
            g = it.glyphs[0]
            if any(page == g.page and y < g.y0 for page, y in last_table_at):
                traits.add("prose_after_table")
    if any(t.name == "active_disclosure" and not t.ruled for t in tables):
        traits.add("unruled_disclosure")
    if st.disclosure_blocks and st.ruled_disclosure:
        traits.add("disclosure_blocks")
    if any(loc.rulings[p][0] for p in range(loc.pages)) and all(
            loc.fills[p] for p in range(loc.pages) if loc.rulings[p][0] or loc.rulings[p][1]):
        traits.add("ruled_fill")
    paras = [(e, it) for e, it in zip((e for e in doc.elements if isinstance(e, Para)),
                                       (it for it in loc.items if it.kind == "para"))]
    for e, it in paras:
        if e.role == "note":
            traits.add("table_note")
            if "单位" in e.text:
                traits.add("amount_unit_in_note")
        if e.role == "title" and len(_lines(it.glyphs)) > 1:
            traits.add("two_line_title")
        if e.role == "signature":
            traits.add("signed")
    if any(s.before_table for s in content.sections):
        traits.add("lead_in_sentence")
    if doc.header:
        traits.add("running_header")
    if content.legacy_other_handling:
        traits.add("legacy_other_handling")
    return traits


def _split_after_first_row(t: Table, loc: Located, ti: int) -> bool:
    """The review table broken by the page after its first header row, and no header repeated."""
    rows: dict[int, set[int]] = {}
    for it in loc.items:
        if it.table == ti and it.glyphs:
            if it.repeat:
                return False
            rows.setdefault(t.cells[it.cell].row, set()).update(g.page for g in it.glyphs)
    first = rows.get(0, set())
    rest = set().union(*(p for r, p in rows.items() if r > 0)) if len(rows) > 1 else set()
    return len(first) == 1 and len(rest) == 1 and min(rest) == min(first) + 1
