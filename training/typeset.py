"""Typeset a ``ReportContent`` as a PDF that passes for a Word or WPS export, and say where all went.

The content decides what is printed; this module decides where and how, from a ``Style`` drawn
deterministically from a seed. Pages are written as hand-made content streams (fast, byte-stable,
and in full control of glyph placement and drawing order) over CJK fonts: SimSun (serif) and SimHei
(sans) referenced without embedding, as Word does when it does not embed (viewers substitute; MuPDF
uses its built-in CJK font), or AR PL UMing (Debian ``fonts-arphic-uming``, serif), embedded and
subset.

Traits (``Typeset.traits``), each listed only when the PDF really shows it:

- ``word_runs`` / ``wps_glyphs``: whole runs per text show (Word) / one text show per character (WPS)
- ``serif`` / ``sans``: the body and table face
- ``embedded_font``: the face is embedded (subset) rather than referenced
- ``stacked_header``: a header cell set one character per line (结/果/维/持)
- ``wrapped_header``: a header cell wrapped over several lines (商业/企业)
- ``three_level_header``: the review/litigation table's three header levels over one row of 15
- ``vertical_group_label``: 三、本年度办理结果 set at most three characters per line
- ``wrapped_row_label``: a row label wrapped over two or more lines, its numbers on another line
- ``table_split``: a table row continues on the next page
- ``repeated_header``: the header rows are printed again after a break
- ``group_label_cut``: a merged group label whose text is cut by a page break
- ``footer_in_table``: the page footer stands between two rows of one table
- ``prose_after_table``: a section heading and its prose follow a table on the same page
- ``stream_order_shuffled``: a table continuation is drawn into the content stream after the prose
  that follows it on the page
- ``unruled_disclosure``: the active-disclosure table has no ruling lines
- ``disclosure_blocks``: active disclosure as small ruled tables, one per 第二十条 item under its
  caption line, instead of one table with caption rows
- ``ruled_fill``: ruling lines are thin filled rectangles instead of stroked lines
- ``blank_cells``, ``slash_cells``, ``text_beside_number``, ``signed_change``: cell texts "" / "/" /
  22（其中修订16件） / +453 or -207
- ``amount_unit_in_header`` / ``amount_unit_in_cell``: 元 or 万元 stated in the header / in the cell
- ``table_note``: a 注：… line under a table
- ``label_variant``: a row or column label printed differently from templates.json
- ``legacy_other_handling``: a 2021-format report with the single 2019-style （六）其他处理 row
- ``running_header``: the issuer's name printed at the head of every page
- ``two_line_title``: the title wraps
- ``signed``: the issuer and date close the report
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

import pymupdf

from extractor.spec import templates
from training.content import CellKey, Paragraph, ReportContent

PAGE_W, PAGE_H = 595.0, 842.0
UMING = "/usr/share/fonts/truetype/arphic/uming.ttc"
FOOTERS = ("- {n} -", "— {n} —", "第 {n} 页", "{n}", "－{n}－")
CLOSING = set("，。、；：）》」”’！？%,.;:)!?")          # never starts a line (Word's kinsoku)
APPLICANT_GROUP, APPLICANT_HEAD = "法人或其他组织", "申请人情况"
BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
OUTCOME_LABEL = "三、本年度办理结果"
REVIEW_HEADS = {"review": "行政复议", "litigation": "行政诉讼",
                "litigation_direct": "未经复议直接起诉", "litigation_after_review": "复议后起诉"}


@dataclass(frozen=True)
class Style:
    glyphs: Literal["word", "wps"]
    font: Literal["song", "hei", "uming"]          # body and tables; headings are always Hei
    title_size: float
    body_size: float
    line_pitch: float                              # baseline to baseline in prose
    table_size: float
    margin_x: float
    margin_y: float
    cell_pad: float                                # left/right cell margin (Word's default 5.4)
    narrow_columns: bool
    repeat_header: bool
    footer: str
    break_applications_at: str | None
    ruled_disclosure: bool
    stream_order_shuffled: bool
    rule_fill: bool                                # thin filled rectangles instead of strokes
    rule_width: float
    caption_centered: bool                         # 第二十条第（一）项 centred or left in its row
    disclosure_blocks: bool                        # one small table per 第二十条 item, caption above
    running_header: bool                           # the issuer's name at the head of every page
    # rows as high as their text, as LibreOffice sets a DOCX table (no cell padding above or
    # below, single leading): characters touch the rulings and stacked ones nearly each other.
    # Not drawn by style_for (set it as an override); recorded in the truth only when set
    tight_rows: bool = False

    @property
    def serif(self) -> bool:
        return self.font != "hei"


def style_for(seed: int, **overrides) -> Style:
    rnd = random.Random(seed)
    body = rnd.choice((16.0, 16.0, 15.0, 14.0, 12.0))
    style = Style(
        glyphs=rnd.choice(("word", "wps")),
        font=rnd.choice(("song", "song", "uming", "hei")),
        title_size=rnd.choice((22.0, 20.0, 18.0)),
        body_size=body,
        line_pitch=round(body * rnd.choice((1.75, 1.8, 1.5)), 1),
        table_size=rnd.choice((10.5, 10.5, 9.0, 12.0)),
        margin_x=rnd.choice((90.0, 79.4, 72.0)),
        margin_y=rnd.choice((72.0, 72.0, 60.0)),
        cell_pad=rnd.choice((5.4, 5.4, 1.4)),
        narrow_columns=rnd.random() < 0.6,
        repeat_header=rnd.random() < 0.35,
        footer=rnd.choice(FOOTERS),
        break_applications_at=rnd.choice((None, None, None, "unable.not_held", "unable.needs_creation",
                                          "denied.internal_affairs", "not_processed.duplicate")),
        ruled_disclosure=rnd.random() < 0.8,
        stream_order_shuffled=rnd.random() < 0.25,
        rule_fill=rnd.random() < 0.4,
        rule_width=rnd.choice((0.5, 0.5, 0.75)),
        caption_centered=rnd.random() < 0.3,
        disclosure_blocks=rnd.random() < 0.3,
        running_header=rnd.random() < 0.2,
    )
    return replace(style, **overrides)


@dataclass
class Typeset:
    pdf: bytes
    blocks: list[dict]
    cells: dict
    traits: list[str]


# --- fonts -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Font:
    res: str                 # resource name in the page's /Font dictionary
    ascent: float
    descent: float
    embedded: bool

    def hex(self, text: str) -> str:
        if self.embedded:
            return "".join(f"{_uming_glyph(c):04x}" for c in text)
        return text.encode("utf-16-be").hex()     # UniGB-UTF16-H

    def advance(self, ch: str) -> float:
        if self.embedded:
            return _uming_advance(ch)
        return 0.5 if ord(ch) < 128 else 1.0      # with the /W we give the reference fonts


SONG = _Font("FSong", 1.0, 0.2, False)
HEI = _Font("FHei", 1.0, 0.2, False)
UMING_FONT = _Font("UMing", 0.895, 0.151, True)
FACES = {"song": SONG, "hei": HEI, "uming": UMING_FONT}


@cache
def _uming() -> pymupdf.Font:
    return pymupdf.Font(fontfile=UMING)


@cache
def _uming_page() -> pymupdf.Document:
    """A blank page carrying UMing: building the font object takes half a second (widths of 27k
    glyphs), copying the page into each new document a fraction of a millisecond."""
    doc = pymupdf.open()
    doc.new_page(width=PAGE_W, height=PAGE_H).insert_font(fontname=UMING_FONT.res, fontfile=UMING)
    return doc


@cache
def _uming_glyph(ch: str) -> int:
    return _uming().has_glyph(ord(ch))


@cache
def _uming_advance(ch: str) -> float:
    return _uming().glyph_advance(ord(ch))


def _width(text: str, font: _Font, size: float) -> float:
    return sum(font.advance(c) for c in text) * size


# --- line breaking -----------------------------------------------------------------------------------

_ASCII_RUN = re.compile(r"[0-9A-Za-z.\-+/%]{1,12}|.", re.S)


def _wrap(text: str, width: float, font: _Font, size: float, indent: float = 0.0,
          hang: bool = False) -> list[str]:
    """Break CJK text at any character, keeping short ASCII runs (numbers) whole and never
    starting a line with closing punctuation, as Word does: with ``hang`` (justified prose,
    squeezed back to the margin) the punctuation stays at the line's end, otherwise the
    character before it goes down with it, so nothing crosses a cell's border."""
    lines: list[str] = []
    line, used, avail = "", 0.0, width - indent
    for tok in _ASCII_RUN.findall(text):
        w = _width(tok, font, size)
        if line and used + w > avail + 0.01:
            if tok[0] not in CLOSING:
                lines.append(line)
                line, used, avail = "", 0.0, width
            elif not hang and len(line) > 1:
                lines.append(line[:-1])
                line, avail = line[-1], width
                used = _width(line, font, size)
        if not line and w > avail and len(tok) > 1:      # a number wider than the cell: cut it
            for ch in tok:
                cw = _width(ch, font, size)
                if line and used + cw > avail + 0.01:
                    lines.append(line)
                    line, used, avail = "", 0.0, width
                line, used = line + ch, used + cw
            continue
        line, used = line + tok, used + w
    if line or not lines:
        lines.append(line)
    return lines


# --- the page writer -----------------------------------------------------------------------------------

@dataclass
class _Page:
    main: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)    # drawn after everything else (stream_order_shuffled)
    rules: set = field(default_factory=set)
    late_rules: set = field(default_factory=set)
    blocks: list[dict] = field(default_factory=list)
    fonts: set = field(default_factory=set)


class _Writer:
    def __init__(self, style: Style):
        self.style = style
        self.pages: list[_Page] = []
        self.top = style.margin_y
        self.bottom = PAGE_H - style.margin_y
        self.left = style.margin_x
        self.right = PAGE_W - style.margin_x
        self.y = self.top
        self.traits: set[str] = set()
        self.pending_shuffle: int | None = None     # page of a shuffled table continuation
        self.last_table_page: int | None = None     # page a table ended on, until text follows
        self.new_page()

    @property
    def page(self) -> int:
        return len(self.pages) - 1

    def new_page(self) -> None:
        self.pages.append(_Page())
        self.y = self.top

    def need(self, height: float) -> None:
        if self.y + height > self.bottom:
            self.new_page()

    def show(self, page: int, x: float, top: float, text: str, font: _Font, size: float, *,
             label: str, bold: bool = False, spacing: float = 0.0, late: bool = False,
             block: bool = True) -> tuple[float, float, float, float]:
        """Draw ``text`` with its line box starting at ``top``; returns the text's box."""
        pg = self.pages[page]
        pg.fonts.add(font)
        base = top + font.ascent * size
        yb = PAGE_H - base
        # Tr, w and Tc outlive ET, so every show states its own
        ops = [f"BT /{font.res} {size:g} Tf " + (f"2 Tr {size * 0.035:.2f} w" if bold else "0 Tr")]
        if self.style.glyphs == "wps":
            cx = x
            for ch in text:
                ops.append(f"1 0 0 1 {cx:.2f} {yb:.2f} Tm <{font.hex(ch)}> Tj")
                cx += font.advance(ch) * size + spacing
        else:
            ops.append(f"{spacing:.3f} Tc" if spacing else "0 Tc")
            ops.append(f"1 0 0 1 {x:.2f} {yb:.2f} Tm <{font.hex(text)}> Tj")
        ops.append("ET")
        (pg.late if late else pg.main).append("\n".join(ops))
        if not late and page == self.pending_shuffle and label in ("heading", "prose"):
            self.traits.add("stream_order_shuffled")
        x1 = x + _width(text, font, size) + spacing * max(len(text) - 1, 0)
        box = (round(x, 2), round(base - font.ascent * size, 2), round(x1, 2),
               round(base + font.descent * size, 2))
        if block:
            pg.blocks.append({"page": page, "bbox": list(box), "text": text, "label": label})
        return box

    def rule(self, page: int, x0: float, y0: float, x1: float, y1: float, late: bool = False) -> None:
        pg = self.pages[page]
        (pg.late_rules if late else pg.rules).add((round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)))

    # --- flowing text ---

    def paragraph(self, text: str, font: _Font, size: float, *, label: str, indent_chars: float = 2,
                  bold: bool = False, justify: bool = True) -> None:
        width = self.right - self.left
        indent = indent_chars * size
        lines = _wrap(text, width, font, size, indent, hang=justify)
        pitch = self.style.line_pitch * size / self.style.body_size
        for i, line in enumerate(lines):
            self.need(pitch)
            x = self.left + (indent if i == 0 else 0)
            spacing = 0.0
            if justify and i < len(lines) - 1 and len(line) > 1:
                slack = (self.right - x) - _width(line, font, size)
                spacing = slack / (len(line) - 1)
            self.show(self.page, x, self.y + (pitch - size * 1.2) / 2, line, font, size,
                      label=label, bold=bold, spacing=spacing)
            self.y += pitch

    def centered(self, text: str, font: _Font, size: float, *, label: str, bold: bool = False) -> int:
        lines = _wrap(text, (self.right - self.left) * 0.92, font, size)
        pitch = size * 1.5
        for line in lines:
            self.need(pitch)
            x = (PAGE_W - _width(line, font, size)) / 2
            self.show(self.page, x, self.y, line, font, size, label=label, bold=bold)
            self.y += pitch
        return len(lines)

    def right_aligned(self, text: str, font: _Font, size: float, *, label: str) -> None:
        pitch = self.style.line_pitch
        self.need(pitch)
        x = self.right - 2 * size - _width(text, font, size)
        self.show(self.page, x, self.y, text, font, size, label=label)
        self.y += pitch

    def finish(self, header: str | None) -> None:
        face = FACES[self.style.font]
        for n in range(len(self.pages)):
            text = self.style.footer.format(n=n + 1)
            size = 10.5 if self.style.body_size <= 14 else 14.0
            x = (PAGE_W - _width(text, face, size)) / 2
            self.show(n, x, PAGE_H - self.style.margin_y * 0.6, text, face, size, label="other")
            if header:
                self.show(n, self.right - _width(header, face, 9.0), self.style.margin_y * 0.45, header,
                          face, 9.0, label="other")


# --- tables ---------------------------------------------------------------------------------------------

@dataclass
class _Cell:
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    key: CellKey | None = None
    role: Literal["caption", "header", "label", "group", "value"] = "value"
    align: Literal["center", "left"] = "center"


@dataclass
class _Table:
    widths: list[float]
    cells: list[_Cell]
    header_rows: int                     # how many top rows repeat after a break
    row_ids: list[str | None]            # template row id of each grid row, for forced breaks
    ruled: bool = True


def _place_table(w: _Writer, table: _Table, font: _Font, size: float, out_cells: dict,
                 break_before: str | None = None) -> None:
    st = w.style
    pad, vpad, lh = (st.cell_pad, 0.3, size * 1.08) if st.tight_rows else (st.cell_pad, 2.5, size * 1.3)
    n_rows = len(table.row_ids)
    xs = [(PAGE_W - sum(table.widths)) / 2]            # centred, wider than the text when need be
    for cw in table.widths:
        xs.append(xs[-1] + cw)

    lines = {}
    for c in table.cells:
        inner = sum(table.widths[c.col:c.col + c.colspan]) - 2 * pad
        lines[id(c)] = _wrap(c.text, inner, font, size) if c.text else []
    heights = [max(lh + 2 * vpad, 0.0 if st.tight_rows else 15.6)] * n_rows
    for c in sorted(table.cells, key=lambda c: c.rowspan):
        need = len(lines[id(c)]) * lh + 2 * vpad
        have = sum(heights[c.row:c.row + c.rowspan])
        if need > have:
            for r in range(c.row, c.row + c.rowspan):
                heights[r] += (need - have) / c.rowspan
    vtop = [0.0]
    for h in heights:
        vtop.append(vtop[-1] + h)

    # pagination: rows are atomic; a header must not be stranded at a page foot
    hdr = table.header_rows
    w.need(vtop[min(hdr + 1, n_rows)])
    first_page = w.page
    placed: dict[int, tuple[int, float]] = {}
    repeats: list[tuple[int, float]] = []         # (page, y) where the header is printed again
    for r in range(n_rows):
        forced = break_before is not None and r > hdr and table.row_ids[r] == break_before \
            and w.page == first_page                # a table that already broke is left alone
        # caption and header rows keep with the row after them, as Word's "keep with next"
        keep = heights[r + 1] if r + 1 < n_rows and table.row_ids[r] is None and r >= hdr else 0.0
        if w.y + heights[r] + keep > w.bottom or forced:
            w.new_page()
            if st.repeat_header and r >= hdr and hdr:
                repeats.append((w.page, w.y))
                w.y += vtop[hdr]
        placed[r] = (w.page, w.y)
        w.y += heights[r]
    last_page = w.page
    if last_page != first_page:
        w.traits |= {"table_split", "footer_in_table"}
        if repeats:
            w.traits.add("repeated_header")

    def late(page: int) -> bool:
        return st.stream_order_shuffled and page != first_page

    def draw(c: _Cell, rows_at: dict[int, tuple[int, float]], record: bool) -> None:
        x0, x1 = xs[c.col], xs[c.col + c.colspan]
        span = range(c.row, c.row + c.rowspan)
        segments: dict[int, list[float]] = {}        # page -> [top, bottom]
        for r in span:
            pg, y = rows_at[r]
            seg = segments.setdefault(pg, [y, y])
            seg[1] = y + heights[r]
        if table.ruled:
            for pg, (t, b) in segments.items():
                for edge in ((x0, t, x1, t), (x0, b, x1, b), (x0, t, x0, b), (x1, t, x1, b)):
                    w.rule(pg, *edge, late=late(pg))
        text_lines = lines[id(c)]
        start = vtop[c.row] + (vtop[c.row + c.rowspan] - vtop[c.row] - len(text_lines) * lh) / 2
        frags: dict[int, list] = {}
        prev: dict[int, float] = {}
        for i, line in enumerate(text_lines):
            vy = start + i * lh
            r = next((r for r in span if vtop[r] <= vy + lh / 2 < vtop[r + 1]), span[-1])
            pg, y = rows_at[r]
            y += vy - vtop[r]
            if y + lh > segments[pg][1] + 0.5:                     # the line would cross the page foot
                later = [p for p in segments if p > pg]
                if later:
                    pg = later[0]
                    y = segments[pg][0] + vpad
            y = max(y, segments[pg][0] + 1.0, prev.get(pg, -1e9) + lh)
            prev[pg] = y
            lw = _width(line, font, size)
            x = x0 + pad if c.align == "left" else (x0 + x1 - lw) / 2
            box = w.show(pg, x, y + (lh - size * (font.ascent + font.descent)) / 2, line, font, size,
                         label="table_cell", late=late(pg), block=False)
            frags.setdefault(pg, []).append((line, box))
        for pg, fl in frags.items():
            bx = [min(b[0] for _, b in fl), min(b[1] for _, b in fl),
                  max(b[2] for _, b in fl), max(b[3] for _, b in fl)]
            w.pages[pg].blocks.append({"page": pg, "bbox": bx, "text": "".join(t for t, _ in fl),
                                       "label": "table_cell"})
        if len(frags) > 1 and c.role in ("group", "label"):
            w.traits.add("group_label_cut")
        if record and c.key is not None:
            pg, y = rows_at[c.row]
            out_cells[c.key] = {"page": pg, "bbox": [round(x0, 2), round(y, 2), round(x1, 2),
                                                     round(y + heights[c.row], 2)], "text": c.text}
        if c.role == "header" and len(text_lines) > 1:
            w.traits.add("wrapped_header")
            if all(len(t) == 1 for t in text_lines):
                w.traits.add("stacked_header")
        if c.role == "label" and len(text_lines) > 1:
            w.traits.add("wrapped_row_label")
        if c.role == "group" and c.col == 0 and len(text_lines) > 2 and max(map(len, text_lines)) <= 3:
            w.traits.add("vertical_group_label")

    for c in table.cells:
        draw(c, placed, True)
    for pg, y in repeats:
        rows_at = {r: (pg, y + vtop[r]) for r in range(hdr)}
        for c in table.cells:
            if c.row < hdr:
                draw(c, rows_at, False)
    if st.stream_order_shuffled and last_page != first_page:
        w.pending_shuffle = last_page     # realised once prose lands after it on that page
    w.y += 4
    w.last_table_page = last_page


# --- the three tables --------------------------------------------------------------------------------

def _label(content: ReportContent, table: str, row: str, official: str) -> str:
    return content.row_labels.get((table, row), official)


def _group(content: ReportContent, key: str, default: str) -> str:
    return content.group_labels.get(key, default)


def _printed_rows(content: ReportContent, table: str, template_rows) -> list[str]:
    """The rows the report prints, in document order (row_labels lists exactly those)."""
    listed = [r for t, r in content.row_labels if t == table]
    return listed or [r for r in template_rows if any(k[0] == table and k[1] == r for k in content.cell_text)]


def _col_label(content: ReportContent, table: str, col: str, official: str) -> str:
    return content.column_labels.get((table, col), official)


def _disclosure_tables(content: ReportContent, st: Style, width: float) -> list[tuple[str | None, _Table]]:
    """One ruled table whose caption rows (第二十条第（一）项) span all columns, as Word exports
    have it, or with ``disclosure_blocks`` one small table per item under its caption line."""
    groups = [(_group(content, f"item:{n}", g.item), g)
              for n, g in enumerate(templates.disclosure_groups(content.format))]
    if st.disclosure_blocks:
        return [(caption, _disclosure_table(content, st, width, [(None, g)])) for caption, g in groups]
    return [(None, _disclosure_table(content, st, width, groups))]


def _disclosure_table(content: ReportContent, st: Style, width: float, groups) -> _Table:
    sub = 6                                          # value area split in 6 so 1, 2 and 3 columns all fit
    label_w = width * (0.30 if st.narrow_columns else 0.34)
    widths = [label_w] + [(width - label_w) / sub] * sub
    cells: list[_Cell] = []
    row_ids: list[str | None] = []
    for caption, g in groups:
        if caption:
            cells.append(_Cell(len(row_ids), 0, caption, colspan=1 + sub, role="caption",
                               align="center" if st.caption_centered else "left"))
            row_ids.append(None)
        r = len(row_ids)
        span = sub // len(g.columns)
        cells.append(_Cell(r, 0, _group(content, "item_label", "信息内容"), role="header"))
        for i, (col, official) in enumerate(g.columns.items()):
            cells.append(_Cell(r, 1 + i * span, _col_label(content, "active_disclosure", col, official),
                               colspan=span, role="header"))
        row_ids.append(None)
        printed = _printed_rows(content, "active_disclosure", g.rows)
        for row, official in g.rows.items():
            if row not in printed:
                continue
            r = len(row_ids)
            cells.append(_Cell(r, 0, _label(content, "active_disclosure", row, official), role="label",
                               align="left" if st.narrow_columns else "center"))
            for i, col in enumerate(g.columns):
                key = ("active_disclosure", row, col)
                cells.append(_Cell(r, 1 + i * span, content.cell_text.get(key, ""), colspan=span, key=key))
            row_ids.append(row)
    return _Table(widths, cells, 0, row_ids, ruled=st.ruled_disclosure)


def _split_label(label: str) -> tuple[str, str]:
    """'（三）不予公开 1.属于国家秘密' -> ('（三）不予公开', '1.属于国家秘密')."""
    head, _, item = label.partition(" ")
    return (head, item) if item else ("", head)


def _applications_table(content: ReportContent, st: Style, width: float, size: float) -> _Table:
    pad2 = 2 * st.cell_pad
    chars = (2.2, 3.3, 7.5) if st.narrow_columns else (3.2, 4.3, 11.5)
    label_ws = [c * size + pad2 for c in chars]
    # numbers never wrap: a value column holds five digits, the label columns give way
    value_w = max((width - sum(label_ws)) / 7, 2.6 * size + pad2)
    squeeze = min(1.0, (width - 7 * value_w) / sum(label_ws))
    widths = [lw * squeeze for lw in label_ws] + [value_w] * 7
    rows = _printed_rows(content, "applications", templates.spec()["applications"]["rows"])
    official = templates.application_labels()
    cols = templates.APPLICATION_COLUMNS
    col_labels = templates.application_column_labels()
    cells = [
        _Cell(0, 0, _group(content, "balance_note", BALANCE_NOTE), rowspan=3, colspan=3, role="header"),
        _Cell(0, 3, _group(content, "applicant", APPLICANT_HEAD), colspan=7, role="header"),
        _Cell(1, 3, _col_label(content, "applications", cols[0], col_labels[cols[0]]), rowspan=2, role="header"),
        _Cell(1, 4, _group(content, "legal_persons", APPLICANT_GROUP), colspan=5, role="header"),
        _Cell(1, 9, _col_label(content, "applications", "total", col_labels["total"]), rowspan=2, role="header"),
    ]
    cells += [_Cell(2, 4 + i, _col_label(content, "applications", c, col_labels[c]), role="header")
              for i, c in enumerate(cols[1:6])]
    row_ids: list[str | None] = [None, None, None]
    outcome = [r for r in rows if r in templates.outcome_rows(rows) or r == "total"]
    groups: dict[str, list[int]] = {}
    for row in rows:
        r = len(row_ids)
        row_ids.append(row)
        label = _label(content, "applications", row, official[row])
        if row not in outcome:
            cells.append(_Cell(r, 0, label, colspan=3, role="label", align="left"))
        elif "." in row:
            head, item = _split_label(label)
            groups.setdefault(row.split(".")[0], []).append(r)
            if len(groups[row.split(".")[0]]) == 1:
                cells.append(_Cell(r, 1, head, role="group"))   # rowspan fixed below
            cells.append(_Cell(r, 2, item, role="label", align="left"))
        else:
            cells.append(_Cell(r, 1, label, colspan=2, role="label", align="left"))
        for i, col in enumerate(cols):
            key = ("applications", row, col)
            cells.append(_Cell(r, 3 + i, content.cell_text.get(key, ""), key=key))
    for c in cells:
        if c.role == "group" and c.col == 1:
            c.rowspan = len(next(g for g in groups.values() if g[0] == c.row))
    first = row_ids.index(outcome[0])
    cells.append(_Cell(first, 0, _group(content, "outcomes", OUTCOME_LABEL), rowspan=len(outcome),
                       role="group", align="center"))
    return _Table(widths, cells, 3, row_ids)


def _review_table(content: ReportContent, st: Style, width: float) -> _Table:
    widths = [width / 15] * 15
    col_labels = templates.spec()["review_litigation"]["columns"]
    head = {k: _group(content, k, v) for k, v in REVIEW_HEADS.items()}
    cells = [_Cell(0, 0, head["review"], colspan=5, role="header"),
             _Cell(0, 5, head["litigation"], colspan=10, role="header"),
             _Cell(1, 5, head["litigation_direct"], colspan=5, role="header"),
             _Cell(1, 10, head["litigation_after_review"], colspan=5, role="header")]
    for gi, group in enumerate(templates.REVIEW_GROUPS):
        for ci, col in enumerate(templates.REVIEW_COLUMNS):
            label = _col_label(content, "review_litigation", col, col_labels[col])
            if gi == 0:
                cells.append(_Cell(1, ci, label, rowspan=2, role="header"))
            else:
                cells.append(_Cell(2, gi * 5 + ci, label, role="header"))
            key = ("review_litigation", f"{group}.{col}", None)
            cells.append(_Cell(3, gi * 5 + ci, content.cell_text.get(key, ""), key=key))
    return _Table(widths, cells, 3, [None, None, None, "values"])


# --- the report -----------------------------------------------------------------------------------------

def _table_width(w: _Writer, st: Style, name: str) -> float:
    text_w = w.right - w.left
    if name == "review_litigation" and not st.narrow_columns:
        return min(text_w + 60, PAGE_W - 60)
    if name == "applications" and not st.narrow_columns:
        return min(text_w + 40, PAGE_W - 60)
    return text_w


def _cell_traits(content: ReportContent) -> set[str]:
    traits: set[str] = set()
    texts = content.cell_text
    if any(t == "" for t in texts.values()):
        traits.add("blank_cells")
    if any(t.strip() == "/" for t in texts.values()):
        traits.add("slash_cells")
    if any(re.fullmatch(r"[+-]\d+", t.strip()) for t in texts.values()):
        traits.add("signed_change")
    if any(re.search(r"\d.*[（(]", t) for t in texts.values()):
        traits.add("text_beside_number")
    for row, col in templates.AMOUNT_CELLS[content.format]:
        if "元" in content.cell_text.get(("active_disclosure", row, col), ""):
            traits.add("amount_unit_in_cell")
        if "元" in content.column_labels.get(("active_disclosure", col), ""):
            traits.add("amount_unit_in_header")
    official = templates.application_labels()
    for (table, row), label in content.row_labels.items():
        if table == "applications" and official.get(row) is not None and label != official[row]:
            traits.add("label_variant")
    for g in templates.disclosure_groups(content.format):
        for row, lab in g.rows.items():
            if content.row_labels.get(("active_disclosure", row), lab) != lab:
                traits.add("label_variant")
    col_official = templates.application_column_labels()
    for (table, col), label in content.column_labels.items():
        if table == "applications" and col in col_official and label != col_official[col]:
            traits.add("label_variant")
    if content.format == "2021" and ("applications", "other_handling", "total") in texts:
        traits.add("legacy_other_handling")
    return traits


def typeset(content: ReportContent, style: Style) -> Typeset:
    st = style
    w = _Writer(st)
    body = FACES[st.font]
    size = st.body_size
    cells: dict = {}

    if w.centered(content.title, HEI if st.font == "hei" else SONG, st.title_size, label="heading",
                  bold=True) > 1:
        w.traits.add("two_line_title")
    w.y += st.line_pitch * 0.5

    def prose(paras: list[Paragraph]) -> None:
        for p in paras:
            if p.heading:
                w.paragraph(p.text, body, size, label="heading", bold=True, justify=False)
            else:
                w.paragraph(p.text, body, size, label="prose")

    def after_table_text() -> None:
        if w.last_table_page == w.page:
            w.traits.add("prose_after_table")
        w.last_table_page = None

    prose(content.intro)
    for sec in content.sections:
        table_for = {"二": "active_disclosure", "三": "applications", "四": "review_litigation"}.get(sec.number)
        # a heading keeps with the start of its table or two lines of its prose
        w.need(st.line_pitch + (st.table_size * 8 if table_for else st.line_pitch * 2))
        after_table_text()
        w.paragraph(f"{sec.number}、{sec.title}", HEI, size, label="heading", justify=False)
        if table_for:
            tsize = st.table_size
            width = _table_width(w, st, table_for)
            if table_for == "active_disclosure":
                parts = _disclosure_tables(content, st, width)
                if not st.ruled_disclosure:
                    w.traits.add("unruled_disclosure")
                if st.disclosure_blocks and st.ruled_disclosure:   # unruled, the two look alike
                    w.traits.add("disclosure_blocks")
            elif table_for == "applications":
                parts = [(None, _applications_table(content, st, width, tsize))]
            else:
                parts = [(None, _review_table(content, st, width))]
                w.traits.add("three_level_header")
            w.y += 4
            for caption, table in parts:
                if caption:                  # kept with the header and first row of its table
                    w.need(tsize * 1.8 + 3 * (tsize * 1.3 + 5))
                    w.show(w.page, (PAGE_W - width) / 2, w.y + tsize * 0.3, caption, body, tsize,
                           label="table_cell")
                    w.y += tsize * 1.8
                _place_table(w, table, body, tsize, cells,
                             st.break_applications_at if table_for == "applications" else None)
            note = content.notes.get(table_for)
            if note:
                w.paragraph(note, body, tsize, label="other", indent_chars=0)
                w.traits.add("table_note")
            w.y += 6
        if sec.paragraphs:
            after_table_text()
        prose(sec.paragraphs)
    if content.signer or content.date_text:
        w.y += st.line_pitch
        for line in filter(None, (content.signer, content.date_text)):
            w.right_aligned(line, body, size, label="other")
        w.traits.add("signed")
    header = (content.issuer or content.title) if st.running_header else None
    w.finish(header)
    if header:
        w.traits.add("running_header")

    w.traits |= _cell_traits(content)
    w.traits.add("wps_glyphs" if st.glyphs == "wps" else "word_runs")
    w.traits.add("serif" if st.serif else "sans")
    if body.embedded:
        w.traits.add("embedded_font")
    if st.rule_fill and any(p.rules or p.late_rules for p in w.pages):
        w.traits.add("ruled_fill")
    if content.legacy_other_handling:
        w.traits.add("legacy_other_handling")
    pdf = _render(w, content)
    blocks = [b for p in w.pages for b in p.blocks]
    return Typeset(pdf=pdf, blocks=blocks, cells=cells, traits=sorted(w.traits))


# --- PDF assembly ------------------------------------------------------------------------------------------

def _rule_ops(rules: set, st: Style) -> str:
    ops = []
    lw = st.rule_width
    for x0, y0, x1, y1 in sorted(rules):
        if st.rule_fill:
            if y0 == y1:
                ops.append(f"{x0 - lw / 2:.2f} {PAGE_H - y0 - lw / 2:.2f} {x1 - x0 + lw:.2f} {lw:.2f} re f")
            else:
                ops.append(f"{x0 - lw / 2:.2f} {PAGE_H - y1:.2f} {lw:.2f} {y1 - y0:.2f} re f")
        else:
            ops.append(f"{x0:.2f} {PAGE_H - y0:.2f} m {x1:.2f} {PAGE_H - y1:.2f} l S")
    if not ops:
        return ""
    return f"q {lw:g} w 0 g 0 G\n" + "\n".join(ops) + "\nQ"


def _reference_font(doc: pymupdf.Document, name: str, serif: bool) -> int:
    """A non-embedded Adobe-GB1 font (what Word writes when it does not embed SimSun/SimHei).

    Written by hand because PyMuPDF's own built-in CJK fonts share one object per ordering,
    which would print Song and Hei alike."""
    xrefs = [doc.get_new_xref() for _ in range(3)]
    font, desc, descriptor = xrefs
    doc.update_object(descriptor, f"<< /Type /FontDescriptor /FontName /{name} /Flags {6 if serif else 4} "
                      "/FontBBox [-200 -200 1200 1200] /ItalicAngle 0 /Ascent 1000 /Descent -200 "
                      "/CapHeight 800 /StemV 80 >>")
    doc.update_object(desc, f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /{name} /CIDSystemInfo "
                      f"<< /Registry (Adobe) /Ordering (GB1) /Supplement 5 >> /FontDescriptor {descriptor} 0 R "
                      "/DW 1000 /W [1 95 500] >>")         # half-width ASCII, as SimSun/SimHei have
    doc.update_object(font, f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /UniGB-UTF16-H "
                      f"/DescendantFonts [{desc} 0 R] >>")
    return font


def _render(w: _Writer, content: ReportContent) -> bytes:
    st = w.style
    doc = pymupdf.open()
    fonts_needed = sorted({f for p in w.pages for f in p.fonts}, key=lambda f: f.res)
    embedded = any(f.embedded for f in fonts_needed)
    if embedded:
        doc.insert_pdf(_uming_page())
    font_refs = {}
    resources = None
    for n, pg in enumerate(w.pages):
        page = doc[0] if n == 0 and embedded else doc.new_page(width=PAGE_W, height=PAGE_H)
        if resources is None:
            for font in fonts_needed:
                if font.embedded:
                    font_refs[font.res] = next(f[0] for f in page.get_fonts() if f[4] == font.res)
                else:
                    font_refs[font.res] = _reference_font(doc, "SimSun" if font is SONG else "SimHei",
                                                          font is SONG)
            resources = doc.get_new_xref()
            fonts = " ".join(f"/{res} {x} 0 R" for res, x in font_refs.items())
            doc.update_object(resources, f"<< /Font << {fonts} >> >>")
        doc.xref_set_key(page.xref, "Resources", f"{resources} 0 R")
        stream = "\n".join(filter(None, [_rule_ops(pg.rules, st), "\n".join(pg.main),
                                         _rule_ops(pg.late_rules, st), "\n".join(pg.late)]))
        xref = doc.get_new_xref()
        doc.update_object(xref, "<<>>")
        doc.update_stream(xref, stream.encode("latin-1"))
        doc.xref_set_key(page.xref, "Contents", f"{xref} 0 R")
    if embedded:
        doc.subset_fonts()
    producer = "Microsoft® Word 2016" if st.glyphs == "word" else "WPS 文字"
    stamp = "D:" + (content.date or f"{content.year + 1}-01-15").replace("-", "") + "090000+08'00'"
    doc.set_metadata({"title": content.title, "author": content.issuer or "", "creator": producer,
                      "producer": producer, "creationDate": stamp, "modDate": stamp})
    return doc.tobytes(garbage=3, deflate=True, no_new_id=True)
