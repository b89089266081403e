"""Where an engine printed what it was asked to: every paragraph and cell of a ``layout.Document``
found in the rendered PDF's text layer, by the renderer's own knowledge of what it printed and
in which order.

The engines write text in document order: paragraph after paragraph, table cells row by row, a
merged cell with its first row. A cell cut by a page break goes on at the top of the next page
before the rows that follow (after the repeated header rows, when there are any), and running
headers and page numbers stand in the margins. So the glyphs of the body, page after page in
content-stream order, are matched against the document's texts in order: each glyph must be the
next character of the next item or of an item a page break cut, and it must stand where that
item's text goes on (the same line, or the next line down). Anything else, and any text left
over on either side, raises ``LocateError``: no truth is written for a PDF that is not understood.

Cell boxes: the ruled cell around a cell's text (the nearest rulings on each side), as
``typeset.py`` gives them; a blank cell takes its column from a cell with the same columns and its
row from a cell of the same row; an unruled table's columns come from its known widths placed
where its centred texts say, its rows from its texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

import pymupdf

from extractor.stages.ingest import UNIFIED
from training.layout import PAGE_H, Document, EngineStyle, Para, Table

# The character a glyph's name in the text layer stands for. Noto Sans CJK SC draws 戶 as 户 and
# U+2329/U+232A as 〈〉 (one glyph each pair), and Qt's PDF writer names a glyph by the lowest code
# point mapped to it, as it names the Han glyphs a radical shares (⼀ for 一: ingest.UNIFIED).
PRINTED = {**UNIFIED, "\u6236": "\u6237", "\u2329": "\u3008", "\u232a": "\u3009"}


class LocateError(RuntimeError):
    """The rendered PDF does not hold what the renderer printed, where it should."""


@dataclass(frozen=True)
class Glyph:
    page: int
    c: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    base: float                 # baseline y

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class Item:
    text: str
    label: str                  # block label
    kind: str                   # para / cell
    table: int | None = None    # index into Document.tables()
    cell: int | None = None     # index into that table's cells
    repeat: bool = False        # a repeated header copy
    norm: str = ""
    glyphs: list[Glyph] = field(default_factory=list)

    def __post_init__(self):
        self.norm = "".join(self.text.split())


@dataclass
class Located:
    items: list[Item]           # document order, then repeated header copies
    margin: list[list[Glyph]]   # per page: header and footer glyphs
    pages: int
    rulings: list[tuple[list, list]]   # per page: horizontal (y, x0, x1, w), vertical (x, y0, y1, w)
    fills: list[bool]           # per page: rulings drawn as filled rectangles
    show_ops: list[tuple[int, int]]    # per page: (text show operators, glyphs)
    _pages: dict = field(default_factory=dict)

    def by_page(self, page: int) -> list[tuple[Glyph, Item]]:
        """Every body glyph of ``page`` with the item it belongs to."""
        if not self._pages:
            for it in self.items:
                for g in it.glyphs:
                    self._pages.setdefault(g.page, []).append((g, it))
        return self._pages.get(page, [])


def page_glyphs(page: pymupdf.Page) -> list[Glyph]:
    out = []
    for block in page.get_text("rawdict", sort=False)["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                for ch in span["chars"]:
                    if ch["c"].isspace():
                        continue
                    x0, y0, x1, y1 = ch["bbox"]
                    c = PRINTED.get(ch["c"], ch["c"])
                    out.append(Glyph(page.number, c, x0, y0, x1, y1, span["size"], ch["origin"][1]))
    return out


def page_rulings(page: pymupdf.Page) -> tuple[list, list, bool]:
    """Horizontal and vertical rulings (stroked lines or thin filled rectangles) and whether
    they are filled rectangles."""
    hs, vs, filled, stroked = [], [], 0, 0
    for d in page.get_drawings():
        for item in d["items"]:
            if item[0] == "l":
                p, q = item[1], item[2]
                w = d.get("width") or 0.0
                if abs(p.y - q.y) < 0.1:
                    hs.append((p.y, min(p.x, q.x), max(p.x, q.x), w))
                elif abs(p.x - q.x) < 0.1:
                    vs.append((p.x, min(p.y, q.y), max(p.y, q.y), w))
                stroked += 1
            elif item[0] == "re":
                r = item[1]
                if r.height <= 3.0 and r.width > r.height:
                    hs.append(((r.y0 + r.y1) / 2, r.x0, r.x1, r.height))
                elif r.width <= 3.0 and r.height > r.width:
                    vs.append(((r.x0 + r.x1) / 2, r.y0, r.y1, r.width))
                else:
                    continue
                if d["type"] == "f":
                    filled += 1
                else:
                    stroked += 1
    return hs, vs, filled > 0 and stroked == 0


def items_of(doc: Document) -> list[Item]:
    items: list[Item] = []
    tables = doc.tables()
    for el in doc.elements:
        if isinstance(el, Para):
            items.append(Item(el.text, el.label, "para"))
        elif isinstance(el, Table):
            ti = tables.index(el)
            for ci, c in enumerate(el.cells):
                items.append(Item(c.text, "table_cell", "cell", ti, ci))
    return items


# --- matching -------------------------------------------------------------------------------------

def _continues(prev: Glyph, g: Glyph, kind: str) -> bool:
    """Whether ``g`` can be the character after ``prev`` in one paragraph or cell."""
    if g.page != prev.page:
        return kind == "para" and g.page == prev.page + 1
    size = max(prev.size, g.size)
    dy = g.base - prev.base
    if abs(dy) < 0.35 * size:                                   # the same line
        # CJK punctuation side by side is set half-width (》（ overlap by half a character)
        return -0.65 * size < g.x0 - prev.x1 < (8.0 if kind == "para" else 1.25) * size
    return 0.6 * size < dy < 3.6 * size                          # the next line


def _run(item: Item, k: int, body: list[Glyph], pos: int) -> int:
    """How many glyphs from ``pos`` on continue ``item`` from its character ``k``."""
    n = 0
    prev = item.glyphs[-1] if item.glyphs else None
    while k + n < len(item.norm) and pos + n < len(body):
        g = body[pos + n]
        if g.c != item.norm[k + n]:
            break
        if prev is not None:
            if n == 0 and item.kind == "cell" and g.page > prev.page:
                pass                                             # a cut cell goes on on a later page
            elif not _continues(prev, g, item.kind):
                break
        prev = g
        n += 1
    return n


def _context(body: list[Glyph], pos: int) -> str:
    g = body[pos]
    return f"page {g.page + 1} at ({g.x0:.1f}, {g.y0:.1f}): …{''.join(b.c for b in body[max(0, pos - 12):pos])}" \
           f"[{''.join(b.c for b in body[pos:pos + 12])}]…"


def match(body: list[Glyph], items: list[Item], tables: list[Table]) -> list[Item]:
    """Assign every body glyph to the item it prints; returns the repeated header copies found."""
    queue = [it for it in items if it.norm]
    nxt = 0                                   # next unstarted item in ``queue``
    pending: list[Item] = []                  # started, not finished: cut by a page break
    repeats: list[Item] = []
    pos = 0
    while pos < len(body):
        g = body[pos]
        if pos and g.page != body[pos - 1].page:
            pos = _repeated_header(body, pos, queue, nxt, tables, repeats)
            if pos >= len(body):
                break
            g = body[pos]
        best, best_n = None, 0
        for it in pending:
            if it.glyphs[-1].page < g.page or it.kind == "para":
                n = _run(it, len(it.glyphs), body, pos)
                if n > best_n:
                    best, best_n = it, n
        if nxt < len(queue):
            n = _run(queue[nxt], 0, body, pos)
            if n > best_n:
                best, best_n = queue[nxt], n
        if best is None and nxt < len(queue) and queue[nxt].table is not None:
            # Qt WebKit paints a merged cell after the rows it spans begin: a later cell of the same
            # table, not yet begun, may come first
            for it in queue[nxt + 1:]:
                if it.table != queue[nxt].table:
                    break
                if not it.glyphs:
                    n = _run(it, 0, body, pos)
                    if n > best_n:
                        best, best_n = it, n
        if best is None:
            want = queue[nxt].norm[:20] if nxt < len(queue) else "(nothing: every item is printed)"
            cut = "; cut items waiting: " + ", ".join(repr(p.norm[len(p.glyphs):][:10]) for p in pending) \
                if pending else ""
            raise LocateError(f"unexpected text {_context(body, pos)}; expected {want!r}{cut}")
        best.glyphs += body[pos:pos + best_n]
        while nxt < len(queue) and queue[nxt].glyphs:
            nxt += 1
        pos += best_n
        if len(best.glyphs) < len(best.norm):
            if best not in pending:
                pending.append(best)
        elif best in pending:
            pending.remove(best)
    left = [it for it in queue[nxt:] if not it.glyphs] + pending
    if left:
        it = left[0]
        raise LocateError(f"not found in the PDF: {it.norm[len(it.glyphs):][:30]!r} "
                          f"({'cell' if it.kind == 'cell' else it.label}; {len(left)} items left)")
    return repeats


def _repeated_header(body, pos, queue, nxt, tables, repeats) -> int:
    """At the top of a page inside a table whose header repeats: the header rows printed again."""
    if nxt == 0:
        return pos
    last = queue[nxt - 1]
    if last.table is None or not tables[last.table].repeat:
        return pos
    open_ = (nxt < len(queue) and queue[nxt].table == last.table) or any(
        it.table == last.table and len(it.glyphs) < len(it.norm) for it in queue[:nxt])
    if not open_:                             # the table ended on the page before
        return pos
    t = tables[last.table]
    copies = [Item(c.text, "table_cell", "cell", last.table, ci, repeat=True)
              for ci, c in enumerate(t.cells) if c.row < t.header_rows and c.text.strip()]
    p = pos
    for it in copies:
        n = _run(it, 0, body, p)
        if n != len(it.norm):
            return pos                        # not repeated here: leave it to the normal course
        it.glyphs = body[p:p + n]
        p += n
    repeats += copies
    return p


def locate(pdf: bytes, doc: Document, st: EngineStyle) -> Located:
    pdoc = pymupdf.open(stream=pdf, filetype="pdf")
    top, bottom = st.margin_top - 2.0, PAGE_H - st.margin_bottom + 2.0
    body, margin, rulings, fills, ops = [], [], [], [], []
    for page in pdoc:
        gs = page_glyphs(page)
        body += [g for g in gs if top <= g.cy <= bottom]
        margin.append([g for g in gs if not top <= g.cy <= bottom])
        hs, vs, filled = page_rulings(page)
        rulings.append((hs, vs))
        fills.append(filled)
        ops.append((len(re.findall(rb"(?:Tj|TJ)\b", page.read_contents())), len(gs)))
    items = items_of(doc)
    repeats = match(body, items, doc.tables())
    _check_margins(margin, doc)
    return Located(items + repeats, margin, len(pdoc), rulings, fills, ops)


def _check_margins(margin: list[list[Glyph]], doc: Document) -> None:
    header = "".join((doc.header or "").split())
    for n, gs in enumerate(margin):
        text = "".join(g.c for g in sorted(gs, key=lambda g: (round(g.base), g.x0)))
        footer = "".join(doc.footer.format(n=n + 1).split())
        want = sorted(filter(None, [footer, header]))
        top = "".join(g.c for g in sorted(gs, key=lambda g: (round(g.base), g.x0)) if g.cy < PAGE_H / 2)
        bottom = "".join(g.c for g in sorted(gs, key=lambda g: (round(g.base), g.x0)) if g.cy >= PAGE_H / 2)
        got = sorted(filter(None, [top, bottom]))
        if got != want:
            raise LocateError(f"page {n + 1}: the margins hold {text!r}, expected the footer {footer!r}"
                              + (f" and the header {header!r}" if header else ""))


# --- cell boxes -----------------------------------------------------------------------------------

def _lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into printed lines (same page and baseline), in order."""
    out: list[list[Glyph]] = []
    for g in glyphs:
        if out and out[-1][-1].page == g.page and abs(out[-1][-1].base - g.base) < 0.35 * g.size:
            out[-1].append(g)
        else:
            out.append([g])
    return out


def _union(gs: list[Glyph]) -> list[float]:
    return [min(g.x0 for g in gs), min(g.y0 for g in gs), max(g.x1 for g in gs), max(g.y1 for g in gs)]


@dataclass
class _Box:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float


def _ruled_box(gs: list[Glyph], hs, vs) -> _Box | None:
    """The ruled rectangle around the glyphs ``gs`` (all on one page)."""
    size = max(g.size for g in gs)
    left_x, right_x = min(g.cx for g in gs), max(g.cx for g in gs)
    top_y, bottom_y = min(g.cy for g in gs), max(g.cy for g in gs)
    cx, cy = (left_x + right_x) / 2, (top_y + bottom_y) / 2
    lefts = [x for x, y0, y1, _ in vs if x < left_x - 0.3 * size and y0 - 0.5 <= cy <= y1 + 0.5]
    rights = [x for x, y0, y1, _ in vs if x > right_x + 0.3 * size and y0 - 0.5 <= cy <= y1 + 0.5]
    tops = [y for y, x0, x1, _ in hs if y < top_y - 0.25 * size and x0 - 0.5 <= cx <= x1 + 0.5]
    bottoms = [y for y, x0, x1, _ in hs if y > bottom_y + 0.25 * size and x0 - 0.5 <= cx <= x1 + 0.5]
    if not (lefts and rights):
        return None
    x0, x1 = max(lefts), min(rights)
    if not (tops and bottoms):
        # a row cut by the page may be open at the top or foot (Chromium draws no border there):
        # the cell's side rulings end where it does
        sides = [(y0, y1) for x, y0, y1, _ in vs if (abs(x - x0) < 0.5 or abs(x - x1) < 0.5)
                 and y0 - 0.5 <= cy <= y1 + 0.5]
        if len(sides) < 2:
            return None
        tops = tops or [max(y0 for y0, _ in sides)]
        bottoms = bottoms or [min(y1 for _, y1 in sides)]
    return _Box(gs[0].page, x0, max(tops), x1, min(bottoms))


def cell_boxes(loc: Located, doc: Document) -> dict:
    """``{key: {"page", "bbox", "text"}}`` for every template cell the document prints."""
    out: dict = {}
    tables = doc.tables()
    for ti, t in enumerate(tables):
        items = {it.cell: it for it in loc.items if it.table == ti and not it.repeat}
        boxes: dict[int, list[_Box]] = {}        # cell index -> its box on each page it is on
        for ci, it in items.items():
            if not it.glyphs:
                continue
            per_page: dict[int, list[Glyph]] = {}
            for g in it.glyphs:
                per_page.setdefault(g.page, []).append(g)
            for page, gs in per_page.items():
                hs, vs = loc.rulings[page]
                box = _ruled_box(gs, hs, vs) if t.ruled else _Box(page, *_union(gs))
                if box is None:
                    # a merged label cut by the page is open at the foot: only cells that are
                    # written to the truth, or that place a blank one, need their box
                    if t.cells[ci].key is not None:
                        raise LocateError(f"{t.name}: no ruled cell around {it.text!r} on page {page + 1}")
                    continue
                boxes.setdefault(ci, []).append(box)
        if not t.ruled:
            _unruled(t, items, boxes)
        for ci, c in enumerate(t.cells):
            if c.key is None:
                continue
            if ci in boxes:
                box = max(boxes[ci], key=lambda b: sum(1 for g in items[ci].glyphs if g.page == b.page))
            else:
                box = _blank_box(t, ci, boxes, loc)
            _check_box(loc, items.get(ci), c.text, box, t.name)
            out[c.key] = {"page": box.page, "bbox": [round(v, 2) for v in (box.x0, box.y0, box.x1, box.y1)],
                          "text": c.text}
    return out


def _blank_box(t: Table, ci: int, boxes: dict, loc: Located) -> _Box:
    """A blank cell's box: its columns from a located cell spanning the same columns, its row from
    a located one-row cell of the same row (or the band under the row above)."""
    c = t.cells[ci]
    col = next((boxes[j][0] for j, o in enumerate(t.cells) if j in boxes and o.col == c.col
                and o.colspan == c.colspan), None)
    if col is None:
        raise LocateError(f"{t.name}: blank cell {c.key} has no printed cell in its column to place it by")
    same_row = [boxes[j] for j, o in enumerate(t.cells) if j in boxes and o.row == c.row and o.rowspan == 1]
    if any(len(b) > 1 for b in same_row):
        # layout.py keeps such rows whole: a blank cell broken by the page has two places
        raise LocateError(f"{t.name}: the row of the blank cell {c.key} is broken by the page")
    if same_row:
        r = same_row[0][0]
        return _Box(r.page, col.x0, r.y0, col.x1, r.y1)
    if not t.ruled:
        raise LocateError(f"{t.name}: blank cell {c.key} in a row with nothing printed, and no rulings")
    above = [boxes[j][-1] for j, o in enumerate(t.cells) if j in boxes and o.row + o.rowspan == c.row]
    if not above:
        raise LocateError(f"{t.name}: blank cell {c.key} has nothing printed in its row or above it")
    a = max(above, key=lambda b: (b.page, b.y1))
    cx = (col.x0 + col.x1) / 2
    for page, after in ((a.page, a.y1 + 0.5), (a.page + 1, 0.0)):
        if page >= loc.pages:
            break
        hs, vs = loc.rulings[page]
        ys = sorted(y for y, x0, x1, _ in hs if y > after and x0 - 0.5 <= cx <= x1 + 0.5)
        if page == a.page:
            top = a.y1
            below = [y for y in ys if y > top + 2.0]
        else:
            if not ys:
                continue
            top, below = ys[0], [y for y in ys[1:] if y > ys[0] + 2.0]
        if below:
            bottom = below[0]
            mid = (top + bottom) / 2
            sides = [x for x, y0, y1, _ in vs if y0 - 0.5 <= mid <= y1 + 0.5]
            if any(abs(x - col.x0) < 1.0 for x in sides) and any(abs(x - col.x1) < 1.0 for x in sides):
                return _Box(page, col.x0, top, col.x1, bottom)
    raise LocateError(f"{t.name}: no ruled row found for the blank cell {c.key}")


def _unruled(t: Table, items: dict, boxes: dict) -> None:
    """Boxes of an unruled table: columns from the known widths, placed where the centred cell
    texts stand; rows from the texts of each row."""
    edges = [0.0]
    for w in t.widths:
        edges.append(edges[-1] + w)
    offsets = []
    for ci, it in items.items():
        c = t.cells[ci]
        if it.glyphs and c.align == "center":
            for line in _lines(it.glyphs):
                mid = (line[0].x0 + line[-1].x1) / 2
                offsets.append(mid - (edges[c.col] + edges[c.col + c.colspan]) / 2)
    if not offsets:
        raise LocateError(f"{t.name}: an unruled table with no centred text to place its columns by")
    left = median(offsets)
    if max(abs(o - left) for o in offsets) > 1.5:
        raise LocateError(f"{t.name}: the unruled table's texts do not stand in its columns "
                          f"(offsets {min(offsets):.1f}…{max(offsets):.1f})")
    # rows: each row's band is the extent of the texts of the one-row cells that start in it
    bands: dict[tuple[int, int], list[float]] = {}
    for ci, it in items.items():
        c = t.cells[ci]
        if c.rowspan == 1 and it.glyphs:
            for g in it.glyphs:
                b = bands.setdefault((c.row, g.page), [g.y0, g.y1])
                b[0], b[1] = min(b[0], g.y0), max(b[1], g.y1)
    for ci, box_list in boxes.items():
        c = t.cells[ci]
        for box in box_list:
            box.x0, box.x1 = left + edges[c.col], left + edges[c.col + c.colspan]
            band = bands.get((c.row, box.page)) if c.rowspan == 1 else None
            if band:
                box.y0, box.y1 = band[0] - 1.0, band[1] + 1.0


def _check_box(loc: Located, item: Item | None, text: str, box: _Box, table: str) -> None:
    """The box holds exactly the cell's own glyphs: nothing of another item."""
    own = item.glyphs if item else []
    for g, it in loc.by_page(box.page):
        if box.x0 < g.cx < box.x1 and box.y0 < g.cy < box.y1 and it is not item:
            raise LocateError(f"{table}: the box of {text!r} on page {box.page + 1} "
                              f"({box.x0:.1f}, {box.y0:.1f}, {box.x1:.1f}, {box.y1:.1f}) also holds {g.c!r} "
                              f"of {it.text[:20]!r}")
    inside = [g for g in own if g.page == box.page]
    if own and (not inside or any(not (box.x0 < g.cx < box.x1 and box.y0 < g.cy < box.y1) for g in inside)):
        raise LocateError(f"{table}: {text!r} is not inside its box on page {box.page + 1}")


# --- blocks ---------------------------------------------------------------------------------------

def blocks(loc: Located) -> list[dict]:
    """Every text block with its label, as ``typeset.py`` writes them: a line of a paragraph, a
    cell's text on each page, a running header or page number."""
    out = []
    for it in loc.items:
        if not it.glyphs:
            continue
        if it.kind == "para":
            groups = _lines(it.glyphs)
        else:
            by_page: dict[int, list[Glyph]] = {}
            for g in it.glyphs:
                by_page.setdefault(g.page, []).append(g)
            groups = list(by_page.values())
        for gs in groups:
            out.append({"page": gs[0].page, "bbox": [round(v, 2) for v in _union(gs)],
                        "text": "".join(g.c for g in gs), "label": it.label})
    for page, gs in enumerate(loc.margin):
        for line in _lines(sorted(gs, key=lambda g: (g.page, round(g.base), g.x0))):
            out.append({"page": page, "bbox": [round(v, 2) for v in _union(line)],
                        "text": "".join(g.c for g in line), "label": "other"})
    out.sort(key=lambda b: (b["page"], b["bbox"][1], b["bbox"][0]))
    return out
