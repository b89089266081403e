"""Table grids on one page: cells with their text, from ruling lines or, where a table has none,
from the alignment of its blocks.

A ``Grid`` is a page's table as a reader sees it: a lattice of column edges ``xs`` and row edges
``ys``, and ``GridCell``s that each cover one or more lattice squares (a merged cell covers
several). Text is placed into the cell that holds the centre of each character, so a block that
runs across a ruling (WPS output glued 3001 | 53 into one run) is split where the ruling is.

Which table a grid is, and what its rows and columns mean, is the reconstructor's business; this
module only knows geometry.
"""

from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass, field

from extractor.geometry.segments import UnionFind, positions_to_lines
from extractor.types import BBox, LabelledBlock, Page, Ruling

TOL = 2.0          # points: rulings closer than this are the same line
MIN_CELL = 3.0     # points: lattice lines closer than this are one line


@dataclass(slots=True, eq=False)
class Piece:
    """The part of one block that falls into one cell (usually the whole block)."""
    text: str
    bbox: BBox
    block: LabelledBlock


@dataclass(slots=True, eq=False)
class GridCell:
    row: int
    col: int
    rows: int                       # rows spanned
    cols: int                       # columns spanned
    bbox: BBox
    pieces: list[Piece] = field(default_factory=list)
    text: str = ""                  # the pieces in reading order, set once they are all in
    text_bbox: BBox | None = None   # the box around the text (what a person looks for)

    def finish(self) -> None:
        """Join the pieces line by line, top to bottom: 本年新 / 制作数量 → 本年新制作数量."""
        if not self.pieces:
            return
        if len(self.pieces) == 1:   # most cells
            p = self.pieces[0]
            self.text, self.text_bbox = p.text, (p.bbox[0], p.bbox[1], p.bbox[2], p.bbox[3])
            return
        pieces = sorted(self.pieces, key=lambda p: p.bbox[1] + p.bbox[3])
        lines: list[list[Piece]] = []
        for p in pieces:
            if lines and (p.bbox[1] + p.bbox[3]) / 2 < lines[-1][0].bbox[3]:
                lines[-1].append(p)
            else:
                lines.append([p])
        self.text = "".join(p.text for line in lines for p in sorted(line, key=lambda p: p.bbox[0]))
        self.text_bbox = (min(p.bbox[0] for p in pieces), min(p.bbox[1] for p in pieces),
                          max(p.bbox[2] for p in pieces), max(p.bbox[3] for p in pieces))


@dataclass(slots=True)
class Grid:
    page: int
    xs: list[float]                 # column edges, left to right
    ys: list[float]                 # row edges, top to bottom
    cells: list[GridCell]
    ruled: bool                     # False: rebuilt from alignment, less sure

    @property
    def bbox(self) -> BBox:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def rows(self) -> list[list[GridCell]]:
        """For each lattice row, the cells covering it, left to right (a merged cell repeats)."""
        out: list[list[GridCell]] = [[] for _ in range(len(self.ys) - 1)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rows):
                out[r].append(cell)
        for row in out:
            row.sort(key=lambda c: c.col)
        return out


def page_grids(page: Page, blocks: list[LabelledBlock]) -> list[Grid]:
    """The tables on one page, top to bottom; ``blocks`` are that page's labelled blocks."""
    grids = [g for h, v in _ruled_tables(page.rulings) if (g := lattice(page.number, h, v)) is not None]
    rest = _place(grids, blocks)
    grids += alignment_grids(page.number, rest)
    grids.sort(key=lambda g: g.ys[0])
    for g in grids:
        for cell in g.cells:
            cell.finish()
    return grids


# --- ruled tables ---------------------------------------------------------------------------------

def _ruled_tables(rulings: list[Ruling]) -> list[tuple[list[Ruling], list[Ruling]]]:
    """Group rulings into tables: lines that cross or touch belong to one table. Lines that touch
    no line of the other direction (an underline, a rule under a heading) make no table, and
    neither does a lone box (a page frame, a boxed note): a table has two rows or two columns."""
    horizontal = [r for r in rulings if r.horizontal and r.x1 - r.x0 > MIN_CELL]
    vertical = sorted((r for r in rulings if not r.horizontal and r.y1 - r.y0 > MIN_CELL),
                      key=lambda r: r.x0 + r.x1)
    vx = [(r.x0 + r.x1) / 2 for r in vertical]
    sets = UnionFind(len(horizontal) + len(vertical))
    for i, h in enumerate(horizontal):
        y = (h.y0 + h.y1) / 2
        for k in range(bisect.bisect_left(vx, h.x0 - TOL), bisect.bisect_right(vx, h.x1 + TOL)):
            v = vertical[k]
            if v.y0 - TOL <= y <= v.y1 + TOL:
                sets.union(len(horizontal) + k, i)
    groups: dict[int, tuple[list[Ruling], list[Ruling]]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(sets.find(i), ([], []))[0].append(h)
    for k, v in enumerate(vertical):
        groups.setdefault(sets.find(len(horizontal) + k), ([], []))[1].append(v)
    return [(h, v) for h, v in groups.values()
            if h and v and (len(positions_to_lines([(r.x0 + r.x1) / 2 for r in v], MIN_CELL)) > 2
                            or len(positions_to_lines([(r.y0 + r.y1) / 2 for r in h], MIN_CELL)) > 2)]


class _Segments:
    """Ruling segments along each lattice line, to ask 'is there a line here?'."""

    def __init__(self, lines: list[float], rulings: list[tuple[float, float, float]]):
        self.spans: list[list[tuple[float, float]]] = [[] for _ in lines]
        for pos, a, b in rulings:
            i = _nearest(lines, pos)
            if abs(lines[i] - pos) <= MIN_CELL:
                self.spans[i].append((a - TOL, b + TOL))

    def covers(self, line: int, at: float) -> bool:
        for a, b in self.spans[line]:   # a loop, not any(): called for every lattice square
            if a <= at <= b:
                return True
        return False


def _nearest(values: list[float], v: float) -> int:
    i = bisect.bisect_left(values, v)
    if i == len(values) or (i > 0 and v - values[i - 1] < values[i] - v):
        i -= 1
    return i


def lattice(page: int, horizontal: list[Ruling], vertical: list[Ruling]) -> Grid | None:
    """Cells of a ruled table: lattice squares joined where the ruling between them is missing."""
    xs = positions_to_lines([(r.x0 + r.x1) / 2 for r in vertical], MIN_CELL)
    ys = positions_to_lines([(r.y0 + r.y1) / 2 for r in horizontal], MIN_CELL)
    # A table cut by a page break may lack its closing rule, a table drawn without side borders
    # its outer verticals: the other direction's lines still show how far it reaches.
    top, bottom = min(r.y0 for r in vertical), max(r.y1 for r in vertical)
    left, right = min(r.x0 for r in horizontal), max(r.x1 for r in horizontal)
    if top < ys[0] - MIN_CELL:
        ys.insert(0, top)
    if bottom > ys[-1] + MIN_CELL:
        ys.append(bottom)
    if left < xs[0] - MIN_CELL:
        xs.insert(0, left)
    if right > xs[-1] + MIN_CELL:
        xs.append(right)
    if len(xs) < 2 or len(ys) < 2:
        return None
    vseg = _Segments(xs, [((r.x0 + r.x1) / 2, r.y0, r.y1) for r in vertical])
    hseg = _Segments(ys, [((r.y0 + r.y1) / 2, r.x0, r.x1) for r in horizontal])
    ncols, nrows = len(xs) - 1, len(ys) - 1
    sets = UnionFind(nrows * ncols)
    for r in range(nrows):
        ymid = (ys[r] + ys[r + 1]) / 2
        for c in range(ncols):
            xmid = (xs[c] + xs[c + 1]) / 2
            if c + 1 < ncols and not vseg.covers(c + 1, ymid):
                sets.union(r * ncols + c + 1, r * ncols + c)
            if r + 1 < nrows and not hseg.covers(r + 1, xmid):
                sets.union((r + 1) * ncols + c, r * ncols + c)
    squares: dict[int, list[tuple[int, int]]] = {}
    for r in range(nrows):
        for c in range(ncols):
            squares.setdefault(sets.find(r * ncols + c), []).append((r, c))
    cells = []
    for members in squares.values():
        if len(members) == 1:   # most cells
            (r0, c0), = members
            r1, c1 = r0, c0
        else:
            rows, cols = [m[0] for m in members], [m[1] for m in members]
            r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
        if len(members) == (r1 - r0 + 1) * (c1 - c0 + 1):
            cells.append(GridCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])))
            continue
        # not a rectangle (the margin between a page frame and a table): one cell per row run
        for r in range(r0, r1 + 1):
            run = sorted(c for rr, c in members if rr == r)
            start = 0
            for i in range(1, len(run) + 1):
                if i == len(run) or run[i] != run[i - 1] + 1:
                    a, b = run[start], run[i - 1]
                    cells.append(GridCell(r, a, 1, b - a + 1, (xs[a], ys[r], xs[b + 1], ys[r + 1])))
                    start = i
    cells.sort(key=lambda c: (c.row, c.col))
    return Grid(page, xs, ys, cells, ruled=True)


def _place(grids: list[Grid], blocks: list[LabelledBlock]) -> list[LabelledBlock]:
    """Put each block's characters into the ruled cells that hold them; return the blocks that
    fall in no ruled table."""
    owners = []
    for g in grids:
        owner = {}
        for cell in g.cells:
            for r in range(cell.row, cell.row + cell.rows):
                for c in range(cell.col, cell.col + cell.cols):
                    owner[r, c] = cell
        owners.append(owner)
    rest = []
    placed = [(g, owner, g.bbox) for g, owner in zip(grids, owners)]
    for lb in blocks:
        x0, y0, x1, y1 = lb.block.bbox
        ym = (y0 + y1) / 2
        for g, owner, (gx0, gy0, gx1, gy1) in placed:
            if gy0 <= ym <= gy1 and x0 < gx1 and x1 > gx0:
                r = min(max(bisect.bisect_right(g.ys, ym) - 1, 0), len(g.ys) - 2)
                _split_into(lb, g, owner, r)
                break
        else:
            rest.append(lb)
    for g, owner in zip(grids, owners):
        _reattach_overflow(g, owner)
    return rest


def _reattach_overflow(g: Grid, owner: dict) -> None:
    """Text wider than its cell spills over a ruling: the glyph that stands astride the line lands
    in the neighbouring cell (84（其中修订67件） → "8" | "4（其中…"). A piece that reaches past its
    cell's edge and touches a piece of the next cell on the same line belongs to that piece."""
    for (r, c), cell in owner.items():
        if (cell.row, cell.col) != (r, c) or not cell.pieces:   # each cell once
            continue
        for p in list(cell.pieces):
            for step, edge in ((1, cell.bbox[2]), (-1, cell.bbox[0])):
                reach = p.bbox[2] - edge if step == 1 else edge - p.bbox[0]
                nc = c + cell.cols if step == 1 else c - 1
                if reach <= 0.5 or not 0 <= nc < len(g.xs) - 1:
                    continue
                ym = (p.bbox[1] + p.bbox[3]) / 2
                pr = min(max(bisect.bisect_right(g.ys, ym) - 1, cell.row), cell.row + cell.rows - 1)
                other = owner[pr, nc]
                if any(q.bbox[1] < ym < q.bbox[3] and
                       abs((q.bbox[0] - p.bbox[2]) if step == 1 else (p.bbox[0] - q.bbox[2])) < 1.0
                       for q in other.pieces):
                    cell.pieces.remove(p)
                    other.pieces.append(p)
                    break


def _split_into(lb: LabelledBlock, g: Grid, owner: dict, row: int) -> None:
    """Add the block to the cells of ``row`` that its characters fall in (characters outside the
    table are dropped: they are not in any cell)."""
    b = lb.block
    boxes = b.char_boxes if len(b.char_boxes) == len(b.text) and b.char_boxes else None
    ncols = len(g.xs) - 1

    def column(x: float) -> int:
        return bisect.bisect_right(g.xs, x) - 1

    if boxes is None:
        c = column((b.bbox[0] + b.bbox[2]) / 2)
        if 0 <= c < ncols:
            owner[row, c].pieces.append(Piece(b.text, b.bbox, lb))
        return
    first, last = column((boxes[0][0] + boxes[0][2]) / 2), column((boxes[-1][0] + boxes[-1][2]) / 2)
    if first == last or 0 <= first < ncols and owner[row, first] is owner.get((row, last)):
        if 0 <= first < ncols:
            owner[row, first].pieces.append(Piece(b.text.strip(), b.bbox, lb))
        return
    runs: list[tuple[GridCell, list[int]]] = []
    for i, (cx0, _, cx1, _) in enumerate(boxes):
        c = column((cx0 + cx1) / 2)
        if not 0 <= c < ncols:
            continue
        cell = owner[row, c]
        if runs and runs[-1][0] is cell:
            runs[-1][1].append(i)
        else:
            runs.append((cell, [i]))
    for cell, idx in runs:
        text = "".join(b.text[i] for i in idx).strip()
        if text:
            bbox = (boxes[idx[0]][0], min(boxes[i][1] for i in idx),
                    boxes[idx[-1]][2], max(boxes[i][3] for i in idx))
            cell.pieces.append(Piece(text, bbox, lb))


def unseen_dividers(grids: list[Grid], loose: list[tuple[float, float, float]], lowest: float,
                    above: list[float] | None = None, below: list[float] | None = None) -> list[tuple[float, float, float]]:
    """Where a divider of a scanned table may stand that was too short to be told from a glyph's
    stroke, as ``(x, y0, y1)``, for the image to confirm. A row at a page's head or foot has no
    row on that page to continue its dividers, and one row of a tight table is shorter than a
    glyph's stroke may be; but a table the page broke goes on with its columns, so such a row
    takes the column edges of the grid that ends the page before (``above``) or opens the page
    after (``below``), scaled onto the row when its width is theirs, and those of its own grid.
    The rows, each no higher than ``lowest``:

    - the first row of the page's first ruled grid, and the last row of its last (行政许可 | 0 at
      the head of a page, the row under it spanning the table);
    - a row between ``loose`` horizontals above or below every grid (``edge_rows``): the one row
      of a table that the page broke off (四、结转下年度继续办理 | 0 …), none of its dividers seen.
    """
    tops, bottoms = edge_rows(grids, loose, lowest)
    # (the row, its own grid's column edges, the neighbouring page's)
    rows: list[tuple[tuple[float, float, float, float], list[float], list[float] | None]] = \
        [(row, [], xs) for edge, xs in ((tops, above), (bottoms, below)) for row in edge]
    ruled = [g for g in grids if g.ruled]
    if ruled:
        first, last = ruled[0], ruled[-1]
        rows.append(((first.ys[0], first.ys[1], first.xs[0], first.xs[-1]), first.xs, above))
        rows.append(((last.ys[-2], last.ys[-1], last.xs[0], last.xs[-1]), last.xs, below))
    found = []
    for (y0, y1, x0, x1), own, xs in rows:
        if y1 - y0 > lowest:
            continue
        found += [(x, y0, y1) for x in own]
        if xs and len(xs) > 1 and abs((x1 - x0) - (xs[-1] - xs[0])) <= 0.03 * (x1 - x0):
            scale = (x1 - x0) / (xs[-1] - xs[0])
            found += [(x0 + (x - xs[0]) * scale, y0, y1) for x in xs]
    return found


def edge_rows(grids: list[Grid], loose: list[tuple[float, float, float]], lowest: float
              ) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float, float, float]]]:
    """The rows ``(y0, y1, x0, x1)`` that two consecutive ``loose`` horizontals (``(y, x0, x1)``)
    of one extent, at most ``lowest`` apart, enclose above every grid of the page, and those
    below every one: where a table's piece without a divider of its own may stand."""
    top = min((g.ys[0] for g in grids), default=float("inf"))
    bottom = max((g.ys[-1] for g in grids), default=float("-inf"))
    tops, bottoms = [], []
    lines = sorted(loose)
    for (ya, a0, a1), (yb, b0, b1) in zip(lines, lines[1:]):
        if MIN_CELL < yb - ya <= lowest and abs(a0 - b0) <= TOL + MIN_CELL and abs(a1 - b1) <= TOL + MIN_CELL:
            row = (ya, yb, (a0 + b0) / 2, (a1 + b1) / 2)
            if yb <= top + TOL:
                tops.append(row)
            if ya >= bottom - TOL:
                bottoms.append(row)
    return tops, bottoms


# --- tables without rulings -----------------------------------------------------------------------

def alignment_grids(page: int, blocks: list[LabelledBlock]) -> list[Grid]:
    """Grids rebuilt from alignment for the table cells that no ruling boxes in.

    Lines wrapped inside one cell (本年新 / 制作数量, a long row label) are joined first: they
    overlap in x and stand closer than rows do. A row is then every cell whose height overlaps;
    its number, set on the middle line of a wrapped label, falls inside the label's height. Rows
    further apart than a few lines start another table.

    A block the classifier did not call a table cell but that stands inside a table's box is a
    misfiled cell (a row label called prose, a number called other): it is taken in, and its
    reading is marked unsure by the reconstructor."""
    cells = [lb for lb in blocks if lb.label == "table_cell"]
    tables = _aligned_rows(cells)
    others = [lb for lb in blocks if lb.label != "table_cell"]
    boxes = [_box(rows, extent) for rows, extent in tables]
    misfiled = [lb for lb in others if any(_inside(lb.block.bbox, box) for box in boxes)]
    if misfiled:
        tables = _aligned_rows(cells + misfiled)
    return [_aligned_grid(page, rows, extent) for rows, extent in tables]


def _box(rows: list[list[GridCell]], extent: list[list[float]]) -> BBox:
    """A table's box, one row pitch taller at either end: a first or last row whose every cell
    was misfiled still stands in it."""
    pitch = statistics.median(b[0] - a[0] for a, b in zip(extent, extent[1:])) if len(extent) > 1 \
        else 1.5 * (extent[0][1] - extent[0][0])
    return (min(c.bbox[0] for row in rows for c in row), extent[0][0] - pitch,
            max(c.bbox[2] for row in rows for c in row), extent[-1][1] + pitch)


def _inside(bbox: BBox, box: BBox) -> bool:
    return (box[1] <= (bbox[1] + bbox[3]) / 2 <= box[3]
            and bbox[0] >= box[0] - 2 and bbox[2] <= box[2] + 2)


def _aligned_rows(blocks: list[LabelledBlock]) -> list[tuple[list[list[GridCell]], list[list[float]]]]:
    """Rows of cells and their vertical extents, split into tables where rows stand far apart."""
    rows: list[list[GridCell]] = []
    extent: list[list[float]] = []
    for cell in sorted(_wrapped_cells(blocks), key=lambda c: (c.bbox[1] + c.bbox[3]) / 2):
        top, bottom = cell.bbox[1], cell.bbox[3]
        shrink = 0.25 * min(bottom - top, 12.0)
        if rows and top + shrink < extent[-1][1]:
            rows[-1].append(cell)
            extent[-1][1] = max(extent[-1][1], bottom)
        else:
            rows.append([cell])
            extent.append([top, bottom])
    tables = []
    start = 0
    for i in range(1, len(rows) + 1):
        line = extent[i - 1][1] - extent[i - 1][0]
        if i == len(rows) or extent[i][0] - extent[i - 1][1] > 3 * min(line, 15.0):
            tables.append((rows[start:i], extent[start:i]))
            start = i
    return tables


def _wrapped_cells(blocks: list[LabelledBlock]) -> list[GridCell]:
    """One cell per run of vertically adjacent, x-overlapping text lines (never numbers)."""
    cells: list[GridCell] = []
    lines = [(lb.block.bbox, _value(lb.block.text)) for lb in blocks]
    for lb in sorted(blocks, key=lambda lb: (lb.block.bbox[1], lb.block.bbox[0])):
        x0, y0, x1, y1 = lb.block.bbox
        piece = Piece(lb.block.text, lb.block.bbox, lb)
        numeric = _value(lb.block.text)
        home = None
        for cell in reversed(cells):
            cx0, cy0, cx1, cy1 = cell.bbox
            if y0 - cy1 > 0.3 * (y1 - y0):
                break
            above = cell.pieces[-1].text
            # a number never wraps, but a note beside it may: 150（其中废止 / 126件）
            opened = above.count("（") + above.count("(") > above.count("）") + above.count(")")
            if ((opened or not numeric and not _value(cell.pieces[0].text))
                    and x0 < cx1 and x1 > cx0 and y0 >= cy1 - 0.3 * (y1 - y0)
                    and _aligned(cell.pieces[-1].bbox, lb.block.bbox, lb.block.font == "OCR")
                    and (numeric or not _rows_of_their_own(cell.pieces[-1].bbox, lb.block.bbox, lines))):
                home = cell
                break
        if home is None:
            cells.append(GridCell(0, 0, 1, 1, lb.block.bbox, [piece]))
        else:
            home.pieces.append(piece)
            cx0, cy0, cx1, cy1 = home.bbox
            home.bbox = (min(cx0, x0), cy0, max(cx1, x1), max(cy1, y1))
    return cells


_VALUE = re.compile(r"[+\-−－]?\d.*|[/／\-—－]", re.DOTALL)


def _value(text: str) -> bool:
    """A cell's value as printed: a number, signed or not (-45, +493), or the slash or dash that
    stands for none. A value never wraps, and a line of values is a row of its own: under
    本年增/减 in a table set tight, -13 is not the header's second line."""
    return bool(_VALUE.fullmatch(text.strip()))


def _aligned(above: BBox, below: BBox, read: bool = False) -> bool:
    """Two lines of one cell's text stand on one edge or one centre (left-aligned, centred or
    right-aligned in their cell); a caption, a header and a row label stacked in one column of a
    table without rulings (第二十条第（一）项 / 信息内容 / 规章) do not. Within 2 pt on a text layer,
    a third of a line on a page read by OCR (whose boxes wander); and a later line is never much
    wider than the one above it (行政许可 / 第二十条第（六）项 are two cells)."""
    height = below[3] - below[1]
    if (below[2] - below[0]) - (above[2] - above[0]) > 1.5 * height:
        return False     # text wraps its longest line first: a line far wider than the one above starts a cell
    tolerance = 0.3 * height if read else 2.0
    return (abs(above[0] - below[0]) <= tolerance or abs(above[2] - below[2]) <= tolerance
            or abs(above[0] + above[2] - below[0] - below[2]) / 2 <= tolerance)


def _rows_of_their_own(above: BBox, below: BBox, lines: list[tuple[BBox, bool]]) -> bool:
    """The lower of two label lines has numbers on its line and the upper has text of its own on
    its line in the same column to their right: two rows set tight (规章 0 under 行政规范性文件 7, or
    under the header 信息内容 | 本年制发件数), not one label wrapped beside a number between its
    lines or a header wrapped beside headers."""
    def beside(line: BBox, numbers: bool | None) -> list[BBox]:
        return [b for b, digit in lines if b[0] >= line[2] and line[1] <= (b[1] + b[3]) / 2 <= line[3]
                and (numbers is None or digit == numbers)]
    return any(a[0] < b[2] and b[0] < a[2] for a in beside(above, None) for b in beside(below, True))


def _aligned_grid(page: int, rows: list[list[GridCell]], extent: list[list[float]]) -> Grid:
    ys = [extent[0][0] - 1.0] + [(a[1] + b[0]) / 2 for a, b in zip(extent, extent[1:])] + [extent[-1][1] + 1.0]
    out = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(sorted(row, key=lambda cell: cell.bbox[0])):
            cell.row, cell.col = r, c
            out.append(cell)
    xs = [min(c.bbox[0] for c in out), max(c.bbox[2] for c in out)]
    return Grid(page, xs, ys, out, ruled=False)
