"""What a layout engine is asked to print: a ``ReportContent`` as an engine-neutral document.

``typeset.py`` places every glyph itself. The engines (``render_docx.py``: a Word document
converted by LibreOffice; ``render_html.py``: a web page printed by headless Chromium) are given a
document instead, paragraphs and real tables with merged cells, and decide line breaks, row
heights and page breaks themselves, as Word, WPS or a browser do for real reports. Where things
landed is then found in the PDF they wrote (``locate.py``).

The tables are built by ``typeset.py``'s own builders (the same grid of cells, merges, labels and
cell texts), so the three renderers print one content alike and differ only in layout.

``EngineStyle`` is drawn from a seed like ``typeset.Style``: fonts (宋体, 仿宋 or 黑体 as the
installed CJK faces below), sizes, line pitch, page margins, cell padding, ruling weights, and the
failure classes real reports show that the content cannot decide:

- ``force="review_split"``: the review/litigation table broken by the page after its first header
  row, the header not repeated (space is added before the section so the break lands there);
- ``force="row_split"``: a row of the applications table itself broken by the page (Word's default
  "allow row to break across pages"; space is added before the section);
- ``force="tail_split"``: the applications table broken before its last row (四、结转下年度继续
  办理 alone at the head of the next page, no header repeated; asked for, never drawn);
- ``title_break``: the title set as two lines (issuer / year and 年度报告) rather than one;
- ``disclosure_blocks``: the 二 part as one small ruled table per 第二十条 item under its caption;
- ``rows_can_split``: whether rows may break across pages at all (Word's default) or not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from training.content import ReportContent
from training.typeset import (
    FOOTERS,
    _applications_table,
    _Cell,
    _disclosure_tables,
    _review_table,
)

PAGE_W, PAGE_H = 595.3, 841.9          # A4 in points (210 × 297 mm)

# The faces each font a Word user picks is printed with here (Debian fonts-noto-cjk,
# fonts-arphic-uming, fonts-wqy-zenhei). No FangSong face is packaged for simplified Chinese:
# 仿宋 gets AR PL UMing, the lightest Song.
FACES = {
    "song": ("Noto Serif CJK SC", "AR PL UMing CN"),
    "fangsong": ("AR PL UMing CN",),
    "hei": ("Noto Sans CJK SC", "WenQuanYi Zen Hei"),
}
WORD_NAMES = {"song": "宋体", "fangsong": "仿宋", "hei": "黑体"}
# The engines a model learns from, and those kept for measuring how it does on layouts it never saw
# (benchmarks/bench_extract.py): the same web page printed by wkhtmltopdf and by WeasyPrint.
TRAINING_ENGINES = ("libreoffice", "chromium")
ENGINES = (*TRAINING_ENGINES, "wkhtmltopdf", "weasyprint")
# Engines that print no CSS page-margin boxes (Qt WebKit): their pages have no number and no running header.
NO_MARGIN_BOXES = ("wkhtmltopdf",)


class RenderError(RuntimeError):
    """A layout engine is missing or failed."""


@dataclass(frozen=True)
class EngineStyle:
    engine: str
    font: str                      # body and tables: song / fangsong / hei
    body_face: str
    table_face: str
    heading_face: str              # 一、总体情况: always a 黑体 face
    title_face: str
    title_bold: bool
    title_size: float
    body_size: float
    line_pitch: float              # exact baseline-to-baseline of prose (固定值 28 磅 and the like)
    table_size: float
    margin_top: float
    margin_bottom: float
    margin_left: float
    margin_right: float
    cell_pad: float                # left/right cell padding
    cell_vpad: float               # top/bottom cell padding
    rule_width: float              # inner rulings
    outer_rule_width: float        # the table's frame
    narrow_columns: bool
    repeat_header: bool
    ruled_disclosure: bool
    caption_centered: bool
    disclosure_blocks: bool
    running_header: bool
    footer: str
    title_break: bool
    rows_can_split: bool
    table_align: str               # center / left
    force: str | None              # review_split / row_split / tail_split / None

    @property
    def serif(self) -> bool:
        return self.font != "hei"

    @property
    def text_width(self) -> float:
        return PAGE_W - self.margin_left - self.margin_right

    @property
    def body_bottom(self) -> float:
        return PAGE_H - self.margin_bottom


def engine_style_for(seed: int, engine: str, **overrides) -> EngineStyle:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {ENGINES}")
    rnd = random.Random(seed)
    font = rnd.choice(("song", "song", "fangsong", "hei"))
    font = overrides.pop("font", font)          # the faces are drawn from the font asked for
    body = rnd.choice((16.0, 16.0, 15.0, 14.0, 12.0, 10.5))
    margins = rnd.choice(((72.0, 72.0, 90.0, 90.0),            # Word's default
                          (104.9, 99.2, 79.4, 73.7),           # 公文: 37/35/28/26 mm
                          (72.0, 72.0, 72.0, 72.0),
                          (56.7, 56.7, 62.4, 62.4)))           # narrow, 20/22 mm
    heading_faces = FACES["hei"]
    style = EngineStyle(
        engine=engine,
        font=font,
        body_face=rnd.choice(FACES[font]),
        table_face=rnd.choice(FACES[font]),
        heading_face=rnd.choice(heading_faces),
        title_face=rnd.choice(FACES["song"] + FACES["hei"]),
        title_bold=rnd.random() < 0.6,
        title_size=rnd.choice((22.0, 22.0, 20.0, 18.0)),
        body_size=body,
        line_pitch=round(body * rnd.choice((1.75, 1.8, 1.5, 1.25)), 1),
        table_size=rnd.choice((10.5, 10.5, 9.0, 12.0)),
        margin_top=margins[0], margin_bottom=margins[1], margin_left=margins[2], margin_right=margins[3],
        cell_pad=rnd.choice((5.4, 5.4, 2.0, 1.4, 4.0)),
        cell_vpad=rnd.choice((0.0, 1.0, 2.5, 4.0)),
        rule_width=rnd.choice((0.5, 0.5, 0.75, 1.0, 0.25)),
        outer_rule_width=rnd.choice((0.0, 0.0, 1.5, 2.25)),      # 0: as the inner rulings
        narrow_columns=rnd.random() < 0.6,
        repeat_header=rnd.random() < 0.35,
        ruled_disclosure=rnd.random() < 0.85,
        caption_centered=rnd.random() < 0.3,
        disclosure_blocks=rnd.random() < 0.3,
        running_header=rnd.random() < 0.2,
        footer=rnd.choice(FOOTERS),
        title_break=rnd.random() < 0.3,
        rows_can_split=rnd.random() < 0.7,
        table_align=rnd.choice(("center", "center", "left")),
        force=rnd.choices((None, "review_split", "row_split"), weights=(6, 2, 2))[0],
    )
    style = replace(style, outer_rule_width=style.outer_rule_width or style.rule_width)
    if engine == "libreoffice" and style.repeat_header and not style.rows_can_split:
        # LibreOffice 7.4 drops every row after a page break when the header rows repeat, the rows
        # there may not split and a merged cell (三、本年度办理结果) runs over the break: not a report
        # to learn from. So its repeated headers go with splittable rows (and _tables drops the
        # repeat of a table with rows kept whole)
        style = replace(style, rows_can_split=True)
    if engine in NO_MARGIN_BOXES:
        style = replace(style, footer="", running_header=False)
    style = replace(style, **overrides)
    for face in (style.body_face, style.table_face):
        if face not in FACES[style.font]:
            raise ValueError(f"{face!r} is not a {WORD_NAMES[style.font]} face here; choose from {FACES[style.font]}")
    return style


def content_options(seed: int) -> dict:
    """The content options an engine report draws (``make_content`` keywords): the unit stated in
    the header, the cell or a note, a lead-in sentence, all-zero tables printed blank."""
    rnd = random.Random(seed + 31_337)
    return {
        # a 2021 report takes "cell" and "note" and keeps the template's header for the others
        "amount_unit": rnd.choice(("none", "header", "cell", "note", "note")),
        "lead_in": rnd.random() < 0.35,
        "blank_zero_tables": rnd.random() < 0.35,
    }


# --- the document --------------------------------------------------------------------------------

@dataclass
class Para:
    text: str                      # "\n": a manual line break
    role: str                      # title heading subheading prose note caption signature
    face: str
    size: float
    label: str                     # the block label of its lines
    bold: bool = False
    align: str = "justify"         # justify left center right
    indent: float = 0.0            # first-line indent, points
    pitch: float = 0.0             # exact line pitch, points; 0: the face's own (single)
    space_before: float = 0.0
    space_after: float = 0.0
    keep_with_next: bool = False


@dataclass
class Spacer:
    """Empty vertical space (an empty paragraph of exact height): where a forced placement needs it."""
    height: float


@dataclass
class Table:
    name: str                      # active_disclosure / applications / review_litigation
    widths: list[float]
    cells: list[_Cell]             # row-major by (row, col): the order engines print them in
    n_rows: int
    header_rows: int               # rows repeated after a page break when ``repeat``
    repeat: bool
    ruled: bool
    face: str
    size: float
    cant_split: set[int] = field(default_factory=set)   # rows that may not break across a page
    keep_rows: set[int] = field(default_factory=set)    # rows kept on the page of the row after

    @property
    def width(self) -> float:
        return sum(self.widths)


Element = Para | Spacer | Table


@dataclass
class Document:
    elements: list[Element]
    header: str | None             # the running header, every page
    footer: str                    # with {n}: the page number

    def tables(self) -> list[Table]:
        return [e for e in self.elements if isinstance(e, Table)]


def _table_width(st: EngineStyle, name: str) -> float:
    # Word lets a wide table run into the margins; a browser printing a page any part of which is
    # wider than the page's text area shrinks the whole page to fit, so a web page's tables stay in it
    if name in ("review_litigation", "applications") and not st.narrow_columns and st.engine != "chromium":
        return min(st.text_width + (60 if name == "review_litigation" else 40), PAGE_W - 60)
    return st.text_width


def build_document(content: ReportContent, st: EngineStyle, spacers: dict[str, float] | None = None
                   ) -> Document:
    """The report as paragraphs and tables, in reading order. ``spacers``: section number -> space
    (points) put before its heading."""
    spacers = spacers or {}
    els: list[Element] = []
    size, pitch = st.body_size, st.line_pitch

    title = content.title
    if st.title_break and content.issuer and title.startswith(content.issuer) and title != content.issuer:
        title = content.issuer + "\n" + title[len(content.issuer):]
    els.append(Para(title, "title", st.title_face, st.title_size, "heading", bold=st.title_bold,
                    align="center", pitch=round(st.title_size * 1.45, 1), space_after=pitch * 0.5))

    def prose(paras) -> None:
        for p in paras:
            if p.heading:
                els.append(Para(p.text, "subheading", st.body_face, size, "heading", bold=True,
                                align="left", indent=2 * size, pitch=pitch, keep_with_next=True))
            else:
                els.append(Para(p.text, "prose", st.body_face, size, "prose", indent=2 * size, pitch=pitch))

    prose(content.intro)
    for sec in content.sections:
        if spacers.get(sec.number):
            els.append(Spacer(spacers[sec.number]))
        table_for = {"二": "active_disclosure", "三": "applications", "四": "review_litigation"}.get(sec.number)
        els.append(Para(f"{sec.number}、{sec.title}", "heading", st.heading_face, size, "heading",
                        align="left", indent=2 * size, pitch=pitch, keep_with_next=bool(table_for)))
        lead = sec.before_table if table_for else 0
        for p in sec.paragraphs[:lead]:
            els.append(Para(p.text, "prose", st.body_face, size, "prose", indent=2 * size, pitch=pitch,
                            keep_with_next=True))
        if table_for:
            els += _tables(content, st, table_for)
            note = content.notes.get(table_for)
            if note:
                els.append(Para(note, "note", st.table_face, st.table_size, "other", align="left",
                                pitch=round(st.table_size * 1.5, 1), space_before=2))
            els.append(Spacer(6))
        prose(sec.paragraphs[lead:])
    if content.signer or content.date_text:
        els.append(Spacer(pitch))
        for line in filter(None, (content.signer, content.date_text)):
            els.append(Para(line, "signature", st.body_face, size, "other", align="right", pitch=pitch))
    header = (content.issuer or content.title) if st.running_header else None
    return Document(els, header, st.footer)


def _tables(content: ReportContent, st: EngineStyle, name: str) -> list[Element]:
    width = _table_width(st, name)
    tsize = st.table_size
    if name == "active_disclosure":
        parts = _disclosure_tables(content, st, width)
    elif name == "applications":
        parts = [(None, _applications_table(content, st, width, tsize))]
    else:
        parts = [(None, _review_table(content, st, width))]
    out: list[Element] = []
    for caption, t in parts:
        if caption:
            out.append(Para(caption, "caption", st.table_face, tsize, "table_cell", align="left",
                            pitch=round(tsize * 1.6, 1), space_before=4, keep_with_next=True))
        n_rows = len(t.row_ids)
        cells = sorted(t.cells, key=lambda c: (c.row, c.col))
        header_rows = t.header_rows
        repeat = st.repeat_header and header_rows > 0
        cant = set(range(header_rows))
        if not st.rows_can_split:
            cant = set(range(n_rows))
        keep = set(range(header_rows))
        if name == "review_litigation" and st.force == "review_split":
            repeat, keep = False, set()
            cant = set(range(n_rows))
        if name == "applications" and st.force == "row_split":
            cant = set(range(header_rows))
        if name == "applications" and st.force == "tail_split":
            repeat, keep = False, set()
            cant = set(range(n_rows))
        # a row holding a blank cell is kept whole: broken by the page, the blank cell would have
        # two places, one on each page, and the truth can name only one
        cant |= {c.row for c in cells if c.key is not None and not c.text.strip()}
        if st.engine == "libreoffice" and repeat and cant - set(range(header_rows)):
            repeat = False            # LibreOffice 7.4 would lose rows (engine_style_for)
        out.append(Table(name, list(t.widths), cells, n_rows, header_rows, repeat, t.ruled,
                         st.table_face, tsize, cant, keep))
    return out
