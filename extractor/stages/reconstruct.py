"""Stage 3: the fixed tables, cell by cell, from the page grids.

Grids (``geometry/grid.py``) are read top to bottom, across pages, as a stream of rows. A row is a *data
row* when it holds numbers or its label is a template row's label; the rows above a run of data
rows are its *header*, and the header's lowest cells are the columns. Every column is named by its
header text (``本年新制作数量`` → ``new_made``) and every data row by its label (``1.属于国家秘密``
under ``（三）不予公开`` → ``denied.state_secret``); a value lands in a template cell only through
both names, never through its position. A table that continues on the next page without its
header keeps the columns of the page before, matched by x-position.

Each cell's confidence says how sure every step was: ruled grid or alignment, exact or fuzzy
label, a block the classifier called table_cell or not, a clean number or one with text beside it.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from extractor.geometry.grid import Grid, GridCell, page_grids
from extractor.settings import DOUBT
from extractor.spec import messages as zh
from extractor.spec.labels import (
    PAGE_NUMBER,
    ColumnKey,
    Labels,
    Match,
    any_column,
    application_columns,
    application_full,
    application_groups,
    application_items,
    best_match,
    disclosure_columns,
    disclosure_rows,
    norm,
    norm_header,
    review_columns,
    review_groups,
)
from extractor.spec.templates import (
    AMOUNT_CELLS,
    FORMATS,
    empty_tables,
    set_value,
    template_cells,
    unit_key,
)
from extractor.spec.values import looks_numeric, parse_value, stated_unit
from extractor.types import BBox, CellReading, Format, LabelledBlock, Page, TableReading

CellKey = tuple[str, str, str | None]   # (table, row, column): a template cell; column None in review_litigation

_OUTCOMES = norm("三、本年度办理结果")
_AMOUNTS = frozenset(cell for cells in AMOUNT_CELLS.values() for cell in cells)
_NOTE = re.compile(r"^\s*[（(]?\s*(?:注|备注|说明|(?:金额)?单位)")
_GROUP_NUMBER = re.compile(r"^\(([一二三四五六七八九十]+)\)")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CAPTION = re.compile(r"^第[一二三四五六七八九十]+条第\([一二三四五六七八九十]+\)项")   # after NFKC


# --- the row stream ---------------------------------------------------------------------------------

@dataclass
class _Column:
    key: ColumnKey | None   # None: a label column (信息内容, the balance note)
    x0: float
    x1: float
    confidence: float
    unit: str | None
    text_x0: float          # where the header's text stands: a blank cell's box without rulings
    text_x1: float


@dataclass
class _Reader:
    """Reads the grids' rows in document order; what it has read so far (the columns of the last
    header, the group of the last sub-row) is the context of the next row."""
    problems: list[str] = field(default_factory=list)
    readings: dict[CellKey, CellReading] = field(default_factory=dict)
    units: dict[str, str | None] = field(default_factory=dict)
    columns: list[_Column] = field(default_factory=list)
    group: str | None = None          # the applications group a numbered sub-row falls under
    scanned: frozenset[int] = frozenset()   # pages read by OCR
    # header rows that ended a grid with no data row under them (a table broken by the page
    # inside its header, the header not repeated): (page, x0, x1, rows), for the next page's grid
    pending: tuple[int, float, float, list[list[GridCell]]] | None = None
    cut: bool = False       # the last row read was named by the opening of its label only
    # the last data row read, while it is the last row of its grid with text: (grid, cells, its
    # label's match, the template cells it filled), for the lower half of a row the page broke;
    # or a row of values no label named (match None, nothing filled), for the rest of its label
    tail: tuple[Grid, list[GridCell], Match | None, list[CellKey]] | None = None
    filled: list[CellKey] = field(default_factory=list)   # the template cells the last data row filled
    # the template cell each printed cell was read into, by the cell's identity (the cell is held
    # with it: a row joined across a page break is made during the reading, and its id not reused)
    owners: dict[int, tuple[GridCell, CellKey]] = field(default_factory=dict)

    def read(self, grids: list[Grid], apart: list[bool]) -> None:
        """``apart``: for each grid, whether the report's text runs between it and the grid before."""
        for grid, after_text in zip(grids, apart):
            if after_text:
                # a table ends where the text goes on: what stands below is no row of it (the
                # bits of a seal under the signature lined up like cells, read as 表四's values)
                self.columns, self.pending, self.tail, self.cut, self.group = [], None, None, False, None
            self.read_grid(grid)

    def read_grid(self, grid: Grid) -> None:
        # a header names the data rows below it in its own grid; a grid that opens with data rows
        # continues the table above it (a page break without a repeated header)
        tail, self.tail = self.tail, None
        header: list[list[GridCell]] = []
        unread: list[str] = []      # worth a problem only where the grid is a table at all
        rows_read = 0
        carried = self.carried_header(grid)
        opening = True              # no data row read yet in this grid
        for cells in grid.rows():
            if all(not c.pieces for c in cells) and not (grid.ruled and (header or carried)
                                                         and _names_review(carried + header)):
                continue   # an empty row, unless it is the review table's one row of values
            self.tail = None
            numeric = any(looks_numeric(c.text) for c in cells if c.pieces)
            if not numeric and any(_is_header_text(c.text) for c in cells) and not self.blank_data_row(cells):
                header.append(cells)
                continue
            if carried and opening and not numeric and any(c.pieces for c in cells) \
                    and not self.blank_data_row(cells, _header_columns(header, carried, grid.ruled)):
                # the lower half of a header row the page broke (结果 | 尚未 above, 维持 | 审结 here),
                # not a row of blank values under the columns that header names (表三 printed blank)
                header.append(cells)
                continue
            if opening and self.cut and not numeric and any(c.pieces for c in cells):
                self.cut = False    # the rest of the last row's label, which the page broke
                continue
            if opening and tail is not None and tail[0].page == grid.page - 1 \
                    and (not numeric or not any(looks_numeric(c.text) for c in tail[1] if c.pieces)) \
                    and self.lower_half(tail, grid, cells):
                tail = None
                continue
            opening = False
            tail = None
            if header or carried:
                self.columns = self.header_columns(header, carried, grid)
                self.header_units()
                header, carried = [], []
            table = self.table()
            row_match = Match(None, DOUBT.sure, 1.0) if table == "review_litigation" else self.row_label(cells)
            filled = {id(c): c for c in cells if c.pieces}
            text = "".join(c.text for c in filled.values())
            if table == "review_litigation" and not numeric and not any(map(_confusable, filled.values())) \
                    and any(parse_value(c.text).problem for c in filled.values()):
                row_match = None   # words where the review table's values stand: no row of values
            if not numeric and (row_match is None or not grid.ruled and len(filled) < 2
                                and row_match.confidence < DOUBT.sure):
                # neither numbers, nor a header, nor a row's label: a footer, a fragment of a
                # label cut by a page break, a line of prose that strayed into the table (not
                # worth a word when the classifier never called it a table cell)
                if any(p.block.label == "table_cell" for c in filled.values() for p in c.pieces):
                    unread.append(f"第 {grid.page + 1} 页：表格中的文字未采用：「{text}」")
            elif not self.columns:
                unread.append(f"第 {grid.page + 1} 页：表格行上方没有表头，未读取：「{text}」")
            elif self.data_row(grid, cells, row_match):
                rows_read += 1
                self.cut = row_match is not None and row_match.cut
                if row_match is not None:
                    self.tail = (grid, cells, row_match, self.filled)
            else:
                unread.append(_unrecognised(grid, cells))
                if numeric:
                    # values under a label too short to name a row: the opening of one the page
                    # broke, whose rest may name it on the next page
                    self.tail = (grid, cells, None, [])
        if rows_read:
            self.problems += unread
        if header or carried:
            # a header with no rows under it on this page: its rows follow on the next one, which
            # may carry the rest of the header, its lower rows or the lower half of its last row
            header = carried + header
            columns = _columns(header, grid.ruled)
            if any(c.key for c in columns):
                self.columns = columns
                self.header_units()
            self.pending = (grid.page, grid.bbox[0], grid.bbox[2], header)

    def lower_half(self, tail: tuple[Grid, list[GridCell], Match | None, list[CellKey]], here: Grid,
                   cells: list[GridCell]) -> bool:
        """Whether ``cells``, opening a grid, are the lower half of the row the page broke at the
        foot of the page before (1.信访举报 | 11 | 3 … there; 投诉类申请 and blank cells here, under
        the repeated header): joined to that row cell by cell, its label names the same row, and
        better than that row's own half. That row is then read again under the joined label, its
        values where they were printed (a value's text continued here joined to it), and this
        one is no row of its own. The values may all be in this half, when the row above has
        none (Qt WebKit moves a line the page cuts to the next page, and a row's values stand
        in its middle line): then this half may add nothing to the label (2.重复申请 there, its
        values here), must name the same row, and its cells are where the values are read. The row
        above may have been read as no row at all, its label's opening too short to name one
        (（ | 1.申请人 | 0 …, the group's label cut to its bracket): then the joined label must name a
        row surely."""
        grid, top, match, keys = tail
        # an empty cell beyond the row above (a column whose dividers the page before lost) adds nothing
        x0, x1 = min(c.bbox[0] for c in top) - 2, max(c.bbox[2] for c in top) + 2
        cells = [c for c in cells if c.pieces or x0 <= c.bbox[0] and c.bbox[2] <= x1]
        halves = _halves(top, cells)
        joined = _joined_row(top, cells)
        if halves is None or joined is None:
            return False
        # the review table's one row of values has no label: the row is the row above
        m = match if self.table() == "review_litigation" else self.row_label(joined)
        if m is None or (m.key != match.key if match is not None else m.confidence < DOUBT.sure):
            return False
        moved = any(looks_numeric(c.text) for c in cells if c.pieces)     # the values, here
        if match is not None and m.score <= match.score \
                and (not moved or any(c.pieces for c in self.label_cells(cells))):
            return False
        if match is None and (said := _unrecognised(grid, top)) in self.problems:
            self.problems.remove(said)      # read after all
        labels = {id(c) for c in self.label_cells(joined)}
        row = [j if id(j) in labels else cell if moved else over if not cell.pieces
               else replace(over, text=over.text + cell.text, pieces=over.pieces + cell.pieces)
               for (over, cell), j in zip(halves, joined)]
        for key in keys:
            del self.readings[key]
        return self.data_row(here if moved else grid, row, m)

    def carried_header(self, grid: Grid) -> list[list[GridCell]]:
        """The header rows the page before ended with, when this grid continues that table: the
        next page, the same left and right edges."""
        pending, self.pending = self.pending, None
        if pending is None:
            return []
        page, x0, x1, rows = pending
        tolerance = 0.03 * (x1 - x0)
        if grid.page == page + 1 and abs(grid.bbox[0] - x0) <= tolerance and abs(grid.bbox[2] - x1) <= tolerance:
            return rows
        return []

    def header_columns(self, header: list[list[GridCell]], carried: list[list[GridCell]], grid: Grid) -> list[_Column]:
        """The columns of a header, with the rows the page before ended with above it when they
        name more: as rows of their own, or their last row joined cell by cell with this grid's
        first (a row the page broke in two)."""
        columns = _header_columns(header, carried, grid.ruled)
        if any(c.key and c.key[0] == "review_litigation" for c in columns):
            unnamed = [c.text for row in (header or carried)[-1:] for c in {id(c): c for c in row}.values()
                       if c.pieces and _column_at(columns, c) is None]
            if unnamed:
                self.problems.append(f"第 {grid.page + 1} 页：{zh.cell_reference('review_litigation')}：表头中有单元格"
                                     "不是任何一列的名称：" + "、".join(f"「{t}」" for t in unnamed))
        return columns

    def blank_data_row(self, cells: list[GridCell], columns: list[_Column] | None = None) -> bool:
        """A row with only its label printed, which names a template row exactly (（七）总计 of a
        table printed blank): a row of blank values, not a header (总计 is a column's word too).
        Under the columns read so far, or ``columns``."""
        columns = self.columns if columns is None else columns
        filled = [c for c in {id(c): c for c in cells}.values() if c.pieces]
        if not columns or not filled:
            return False
        labels = self.label_cells(cells, columns)
        if len(labels) != len(filled):
            return False
        m = self.row_label(cells, columns)
        return m is not None and m.confidence >= DOUBT.sure and m.score == 1.0

    def header_units(self) -> None:
        """A unit the header states (本年收费金额（单位：万元）) holds even where the cell is not read."""
        for column in self.columns:
            if column.key and column.unit:
                for row, col in _AMOUNTS:
                    if col == column.key[1]:
                        self.units.setdefault(unit_key(row, col), column.unit)

    def label_cells(self, cells: list[GridCell], columns: list[_Column] | None = None) -> list[GridCell]:
        """The row's cells left of its first value column (all of them before any header)."""
        start = min((c.x0 for c in (self.columns if columns is None else columns) if c.key), default=None)
        seen, out = set(), []
        for c in cells:
            if id(c) in seen or not c.pieces:
                continue
            seen.add(id(c))
            centre = (c.bbox[0] + c.bbox[2]) / 2
            if start is not None and centre < start or start is None and not looks_numeric(c.text):
                out.append(c)
        return out

    def table(self, columns: list[_Column] | None = None) -> str | None:
        tables = [c.key[0] for c in (self.columns if columns is None else columns) if c.key]
        return max(set(tables), key=tables.count) if tables else None

    def row_label(self, cells: list[GridCell], columns: list[_Column] | None = None) -> Match | None:
        texts = [c.text for c in self.label_cells(cells, columns)]
        if not texts:
            return None
        table = self.table(columns)
        if table == "applications" or table is None and _starts_numbered(texts):
            return self.application_row(texts)
        if table in ("active_disclosure", None):
            return best_match(norm("".join(texts)), disclosure_rows())
        return None

    def application_row(self, texts: list[str]) -> Match | None:
        texts = [t for t in texts if not _is_outcomes_label(t)]
        if not texts:
            return None
        own = norm(texts[-1])
        head = "".join(texts[:-1])
        group = self.resolve_group(head, texts[-1])
        if group is None and _numbered_item(texts[-1]):
            # a sub-row whose group label stands elsewhere (the merged cell's text fell on
            # another page): the item's own words are unique across groups
            group = "*"
        m = best_match(own, application_items(group))
        if m is None or m.confidence < DOUBT.sure:
            # the group may be wrong or missing: try the whole label against every row
            full = best_match(norm(head) + own, application_full())
            if full is not None and (m is None or full.score > m.score):
                m = full
        if m is None:
            # the opening of one row's label, the rest on the next page (a row the page broke)
            m = _label_opening(own, application_items(group)) or _label_opening(norm(head) + own, application_full())
        return m

    def resolve_group(self, head: str, own_text: str) -> str | None:
        """The group a row's label falls under: its own group cell, else the group still open
        from the rows above (a label starting 1. 2. …), else none."""
        groups = application_groups()
        if head:
            n = norm(head)
            numbered = _GROUP_NUMBER.match(unicodedata.normalize("NFKC", head).strip())
            if numbered:
                for label, g in groups.items():
                    if label.startswith(numbered.group(1)):
                        return g
            if self.group is not None:
                current = next(label for label, g in groups.items() if g == self.group)
                if n in current:
                    return self.group
            inside = {g for label, g in groups.items() if n in label}
            if len(inside) == 1:
                return inside.pop()
            m = best_match(n, groups)
            if m is not None:
                return m.key
        if _numbered_item(own_text):
            return self.group
        return None

    def data_row(self, grid: Grid, cells: list[GridCell], row_match: Match | None) -> bool:
        """Read one row of values into template cells; False when the row's label names no row."""
        table = self.table()
        self.filled = []
        if row_match is None:
            return False
        if table is None:
            return True     # no column is named: nothing of the row lands in a template cell
        row = row_match.key
        if table == "applications":
            self.group = row.split(".")[0] if "." in row else None
        confidence = row_match.confidence
        placed: list[tuple[_Column, GridCell, float]] = []
        stray = []
        labels = set(self.label_cells(cells))
        for cell in {id(c): c for c in cells}.values():
            column, overlap = self.column_of(cell)
            if column is not None and column.key is not None and column.key[0] == table:
                placed.append((column, cell, overlap))
            elif cell.pieces and looks_numeric(cell.text) and cell not in labels:
                stray.append(cell.text)
        keys = [column.key for column, _, _ in placed]
        if stray or len(set(keys)) < len(keys):
            # a number under no column, or two under one: the columns are not what this row's
            # cells stand under, so none of its readings (its blanks least) can be trusted
            self.problems.append(f"第 {grid.page + 1} 页：{_cell_name((table, row))}：各单元格与表头的列对不上"
                                 f"{'（' + '、'.join(f'「{t}」' for t in stray) + '不在任何一列下）' if stray else ''}")
            confidence = min(confidence, DOUBT.ambiguous_column)
        if not grid.ruled and not placed and table == "review_litigation":
            return False   # the review table's row is its values: text under none of its columns is none (a speck beside it)
        if not grid.ruled:
            # without rulings a blank cell leaves no trace: it is the column this row has no text in
            top, bottom = min(c.bbox[1] for c in cells), max(c.bbox[3] for c in cells)
            filled = {column.key for column, _, _ in placed}
            blank = DOUBT.blank_unseen if grid.page in self.scanned else DOUBT.blank_aligned
            placed += [(column, GridCell(0, 0, 1, 1, (column.text_x0, top, column.text_x1, bottom)), blank)
                       for column in self.columns
                       if column.key and column.key[0] == table and column.key not in filled]
        for column, cell, sure in placed:
            self.place(grid, table, row, column, cell, min(confidence, sure))
        return True

    def column_of(self, cell: GridCell) -> tuple[_Column | None, float]:
        x0, x1 = cell.bbox[0], cell.bbox[2]
        width = max(x1 - x0, 1e-6)
        # the column it overlaps most (the first of equals) and the largest overlap of the others
        col, best, second = None, -math.inf, -math.inf
        for c in self.columns:
            overlap = (x1 if x1 < c.x1 else c.x1) - (x0 if x0 > c.x0 else c.x0)
            if overlap > best:
                col, best, second = c, overlap, best
            elif overlap > second:
                second = overlap
        if col is None or best <= 0:
            return None, DOUBT.sure
        second = second if len(self.columns) > 1 else 0.0
        sure = second <= 0.25 * width and best >= 0.5 * min(width, col.x1 - col.x0)
        return col, DOUBT.sure if sure else DOUBT.ambiguous_column

    def place(self, grid: Grid, table: str, row: str, column: _Column, cell: GridCell, conf: float) -> None:
        assert column.key is not None, "only named columns hold template cells"
        col = column.key[1]
        key: CellKey
        if table == "review_litigation":
            key = (table, col, None)
        else:
            key = (table, row, col)
        amount = (row, col) in _AMOUNTS
        text = cell.text
        parsed = parse_value(text, amount)
        if parsed.problem:
            self.problems.append(f"第 {grid.page + 1} 页：{_cell_name(key)}：{parsed.problem}")
        confidence = min(conf, column.confidence, parsed.confidence, DOUBT.sure if grid.ruled else DOUBT.aligned)
        for p in cell.pieces:
            if p.block.label != "table_cell":
                confidence = min(confidence, DOUBT.not_table_cell)
            confidence = min(confidence, p.block.block.confidence)
        if amount:
            self.units[unit_key(row, col)] = parsed.unit or column.unit or self.units.get(unit_key(row, col))
        bbox: BBox = cell.text_bbox or cell.bbox
        reading = CellReading(table, key[1], key[2], parsed.value, text, grid.page,
                              (round(bbox[0], 2), round(bbox[1], 2), round(bbox[2], 2), round(bbox[3], 2)),
                              round(confidence, 3))
        if key in self.readings:
            first = self.readings[key]
            self.problems.append(f"{_cell_name(key)}：读到两次，第 {(first.page or 0) + 1} 页为「{first.text}」，"
                                 f"第 {grid.page + 1} 页为「{text}」")
            first.confidence = min(first.confidence, DOUBT.duplicate)
            return
        owner = self.owners.setdefault(id(cell), (cell, key))[1] if cell.pieces else key
        if owner != key:
            # one printed value under two rows' labels: the ruling between the rows was not seen,
            # and the cell holds both rows' values run together (16 over 58 read as 1658)
            self.problems.append(f"第 {grid.page + 1} 页：{_cell_name(key)}与{_cell_name(owner)}读自同一个单元格"
                                 f"「{text}」，其间的表格横线可能没有读到")
            reading.confidence = min(reading.confidence, DOUBT.duplicate)
            if owner in self.readings:
                self.readings[owner].confidence = min(self.readings[owner].confidence, DOUBT.duplicate)
        self.readings[key] = reading
        self.filled.append(key)


def _cell_name(key: tuple) -> str:
    return zh.cell_reference("/".join(k for k in key if k is not None))


@cache
def _header_words() -> frozenset[str]:
    words = {*disclosure_columns(), *application_columns(), *review_columns(), *review_groups()}
    words |= {norm(w) for w in ("申请人情况", "法人或其他组织", "信息内容", "行政诉讼", "行政复议")}
    return frozenset(words)


@lru_cache(maxsize=4096)
def _is_header_text(text: str) -> bool:
    """A column header or a header group (商业企业, 未经复议直接起诉, 第二十条第（一）项), never a row label."""
    n = norm_header(text)
    if not n:
        return False
    if n in _header_words() or n.startswith("第二十条"):
        return True
    return len(n) >= 4 and any(difflib.SequenceMatcher(None, n, w).ratio() >= 0.85
                               for w in _header_words() if len(w) >= 4)


_CONFUSABLE = re.compile(r"[\dOoIl|.,+\-\s]+")


def _confusable(cell: GridCell) -> bool:
    """A value a scan may have read with a look-alike letter (O for 0, l for 1), for the sums to settle."""
    return bool(_CONFUSABLE.fullmatch(unicodedata.normalize("NFKC", cell.text)))


def _unrecognised(grid: Grid, cells: list[GridCell]) -> str:
    text = "".join(c.text for c in {id(c): c for c in cells if c.pieces}.values())
    return f"第 {grid.page + 1} 页：未能识别的表格行：「{text}」"


def _label_opening(text: str, labels: Labels) -> Match | None:
    """The one label ``text`` opens (二部分公开区分处理 of （二）部分公开（区分处理的，只计这一情形…）):
    a row label the page broke, at least five characters of it on this page."""
    if len(text) < 5:
        return None
    keys = {key: label for label, key in labels.items() if label.startswith(text) and len(label) > len(text)}
    if len(keys) != 1:
        return None
    key, label = keys.popitem()
    return Match(key, DOUBT.fuzzy_label, len(text) / len(label), cut=True)


def _numbered_item(text: str) -> bool:
    """1.属于国家秘密, 2、重复申请: an item under a group."""
    return bool(re.match(r"\d+[.、]", unicodedata.normalize("NFKC", text).strip()))


def _starts_numbered(texts: list[str]) -> bool:
    return bool(re.match(r"[一二三四五六七八九十]+、|\(", unicodedata.normalize("NFKC", texts[0]).strip()))


@lru_cache(maxsize=4096)
def _is_outcomes_label(text: str) -> bool:
    """三、本年度办理结果, or a piece of it left by a page break (理结果, 三、), never （三）."""
    raw = unicodedata.normalize("NFKC", text).strip()
    n = norm(raw)
    if not n:
        return True
    if raw.startswith("("):
        return False
    if n in _OUTCOMES and (len(n) >= 2 or raw.startswith("三、")):
        return True
    return difflib.SequenceMatcher(None, n, _OUTCOMES).ratio() >= 0.75


# --- header → columns ----------------------------------------------------------------------------------

def _columns(header: list[list[GridCell]], ruled: bool) -> list[_Column]:
    """The leaf columns under a header: the cells of its lowest row, each named by its own text or,
    for the review table, by the group above it too."""
    leaves = list({id(c): c for c in header[-1]}.values())
    above = [c for row in header[:-1] for c in row if all(c is not leaf for leaf in leaves)]
    texts = [leaf.text_bbox or leaf.bbox for leaf in leaves]
    if ruled:
        spans = [(leaf.bbox[0], leaf.bbox[2]) for leaf in leaves]
    else:
        # without rulings a column reaches halfway to its neighbours
        centres = [(b[0] + b[2]) / 2 for b in texts]
        edges = [-1e9] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [1e9]
        spans = list(zip(edges, edges[1:]))
    chains = []
    for leaf, (x0, x1), text in zip(leaves, spans, texts):
        mid = (x0 + x1) / 2 if ruled else (text[0] + text[2]) / 2
        over = sorted({id(c): c for c in above if c.bbox[0] - 1 <= mid <= c.bbox[2] + 1}.values(),
                      key=lambda c: c.bbox[1])
        # an empty leaf under a named cell: the lower part of a merged cell (自然人, 总计) that the
        # page cut above this row, its text printed on the page before (WeasyPrint)
        chains.append([c.text for c in over] + [leaf.text] if leaf.text or not over else [c.text for c in over])
    named = [_name_column(chain) for chain in chains]
    tables = [m.key[0] for m in named if m is not None]
    table = max(set(tables), key=tables.count) if tables else None
    out = []
    for chain, (x0, x1), text, m in zip(chains, spans, texts, named):
        unit = next((u for u in map(stated_unit, chain) if u), None)
        key, confidence = (m.key, m.confidence) if m is not None and m.key[0] == table else (None, DOUBT.sure)
        out.append(_Column(key, x0, x1, confidence, unit, text[0], text[2]))
    return out


def _header_columns(header: list[list[GridCell]], carried: list[list[GridCell]], ruled: bool) -> list[_Column]:
    """The columns of a header, with the rows the page before ended with above it when they name
    more: as rows of their own, or their last row joined cell by cell with this grid's first (a
    row the page broke in two)."""
    candidates = [_columns(header, ruled)] if header else []
    if carried:
        candidates.append(_columns(carried, ruled))
        candidates.append(_columns(carried + header, ruled))
        if header:
            joined = _joined_row(carried[-1], header[0])
            if joined is not None:
                # a cell merged down the rows below stands in them too: joined there as well
                made = {id(c): j for c, j in zip(header[0], joined)}
                rest = [[made.get(id(c), c) for c in row] for row in header[1:]]
                candidates.append(_columns(carried[:-1] + [joined] + rest, ruled))
    return max(candidates, key=_naming)


def _names_review(header: list[list[GridCell]]) -> bool:
    return bool(header) and any(c.key and c.key[0] == "review_litigation" for c in _columns(header, True))


def _naming(columns: list[_Column]) -> tuple[int, float]:
    """How well a header's columns are named: how many, then how surely."""
    named = [c for c in columns if c.key]
    return len(named), sum(c.confidence for c in named)


def _column_at(columns: list[_Column], cell: GridCell) -> ColumnKey | None:
    mid = (cell.bbox[0] + cell.bbox[2]) / 2
    return next((c.key for c in columns if c.x0 <= mid <= c.x1), None)


def _halves(top: list[GridCell], bottom: list[GridCell]) -> list[tuple[GridCell, GridCell]] | None:
    """Each cell of ``bottom`` with the cell of ``top`` that has its left and right edges; None
    when the two rows' cells do not line up."""
    tops = {(round(c.bbox[0]), round(c.bbox[2])): c for c in top}
    out = []
    for cell in bottom:
        over = next((t for (x0, x1), t in tops.items()
                     if abs(x0 - cell.bbox[0]) <= 2 and abs(x1 - cell.bbox[2]) <= 2), None)
        if over is None:
            return None
        out.append((over, cell))
    return out


def _joined_row(top: list[GridCell], bottom: list[GridCell]) -> list[GridCell] | None:
    """The two halves of a row the page broke, cell by cell (the same left and right edges): each
    cell's text the top half's then the bottom's. None when the two rows' cells do not line up."""
    halves = _halves(top, bottom)
    if halves is None:
        return None
    made: dict[int, GridCell] = {}
    for over, cell in halves:
        if id(cell) not in made:
            made[id(cell)] = replace(cell, text=over.text + cell.text, pieces=over.pieces + cell.pieces)
    return [made[id(cell)] for _, cell in halves]


def _name_column(chain: list[str]) -> Match | None:
    """结果维持 under 未经复议直接起诉 → litigation_direct.upheld; 商业企业 → commercial_enterprise.
    A leaf that opens with its table's caption (第二十条第（八）项 centred over 上一年项目数量 in a
    table without rulings, read as one wrapped cell) is named by the rest."""
    leaf = norm_header(_CAPTION.sub("", unicodedata.normalize("NFKC", chain[-1]).strip()))
    if not leaf:
        return None
    group = None
    for text in chain[:-1]:
        group = best_match(norm(text), review_groups()) or group
    if group is not None:
        column = best_match(leaf, review_columns())
        if column is None:
            return None
        return Match(("review_litigation", f"{group.key}.{column.key}"),
                     min(column.confidence, group.confidence), column.score)
    return best_match(leaf, any_column())


# --- the whole document ------------------------------------------------------------------------------

PAGE_MARGIN = 0.1   # of the page's height: where a page number stands, at its foot or its head


def _without_page_number(page: Page, blocks: list[LabelledBlock]) -> list[LabelledBlock]:
    """The page's blocks but its page number: the line at the page's foot or head that reads as
    one (第 3 页, in pieces or whole) and that the classifier did not call a table cell. A row the
    page broke leaves its cells open over the foot of the page, and a page number there would be
    read into them (0第 3, 0页)."""
    outer = [lb for lb in blocks if lb.label != "table_cell"
             and not PAGE_MARGIN * page.height < lb.block.bbox[1] < (1 - PAGE_MARGIN) * page.height]
    dropped: set[int] = set()
    for lb in outer:
        _, y0, _, y1 = lb.block.bbox
        line = sorted((o for o in outer if min(y1, o.block.bbox[3]) - max(y0, o.block.bbox[1]) > 0.5 * (y1 - y0)),
                      key=lambda o: o.block.bbox[0])
        if PAGE_NUMBER.fullmatch("".join(o.block.text for o in line).strip()):
            dropped.update(id(o) for o in line)
    return [lb for lb in blocks if id(lb) not in dropped] if dropped else blocks


def reconstruct(pages: list[Page], labelled: list[LabelledBlock]) -> TableReading:
    """The fixed tables of a report: every template cell of the format its labels show, null where
    blank or not found; ``cells`` holds only the cells found, each with its page, box and
    confidence; ``problems`` says what was read but could not be used."""
    by_page: dict[int, list[LabelledBlock]] = {}
    for lb in labelled:
        by_page.setdefault(lb.block.page, []).append(lb)
    grids = [g for page in pages for g in page_grids(page, _without_page_number(page, by_page.get(page.number, [])))]
    reader = _Reader(scanned=frozenset(p.number for p in pages if p.text_layer in ("ocr", "mixed")))
    reader.read(grids, _apart(grids, labelled))
    _note_units(reader, grids, labelled)
    return _reading(detect_format(reader.readings), reader)


def _apart(grids: list[Grid], labelled: list[LabelledBlock]) -> list[bool]:
    """For each grid (in reading order), whether a heading or a paragraph of the report's text
    stands between it and the grid before: then it continues no table above it. Words are text
    (two Han characters at least: a speck of a scan read as · or " is none); a note (单位、注), a
    续表 caption and the pages' furniture (page numbers, running heads: "other") do not part them."""
    text = sorted((lb.block.page, (lb.block.bbox[1] + lb.block.bbox[3]) / 2) for lb in labelled
                  if lb.label in ("heading", "prose") and len(_HAN.findall(lb.block.text)) >= 2
                  and not _NOTE.match(lb.block.text) and "续" not in lb.block.text)
    apart, previous = [], None
    for grid in grids:
        following = bisect.bisect_right(text, previous) if previous is not None else len(text)
        apart.append(following < len(text) and text[following] < (grid.page, grid.bbox[1]))
        previous = (grid.page, grid.bbox[3])
    return apart


def _note_units(reader: _Reader, grids: list[Grid], labelled: list[LabelledBlock]) -> None:
    """An amount whose header and cell state no unit takes the one a note of its table states: a
    line opening with 注 or 单位 under the table (注：金额单位：万元), above it (单位：万元) or in a row of
    its own at its foot, within two lines of the table's edge."""
    for key, reading in reader.readings.items():
        ukey = unit_key(key[1], key[2]) if key[2] is not None else None
        if ukey is None or (key[1], key[2]) not in _AMOUNTS or reader.units.get(ukey) or reading.bbox is None:
            continue
        cx, cy = (reading.bbox[0] + reading.bbox[2]) / 2, (reading.bbox[1] + reading.bbox[3]) / 2
        grid = next((g for g in grids if g.page == reading.page
                     and g.bbox[0] <= cx <= g.bbox[2] and g.bbox[1] <= cy <= g.bbox[3]), None)
        if grid is None:
            continue
        gx0, gy0, gx1, gy1 = grid.bbox
        for lb in labelled:
            b = lb.block
            x0, y0, x1, y1 = b.bbox
            if b.page != grid.page or x1 < gx0 or x0 > gx1 or lb.label == "heading" or not _NOTE.match(b.text):
                continue
            reach = 2.5 * max(y1 - y0, 1.0)
            if gy0 - reach <= y0 and y1 <= gy1 + reach:
                unit = stated_unit(b.text)
                if unit:
                    reader.units[ukey] = unit
                    break


@cache
def _format_only(fmt: str) -> frozenset:
    other = next(f for f in FORMATS if f != fmt)
    return frozenset(template_cells(fmt)) - frozenset(template_cells(other))


def detect_format(readings) -> Format | None:
    """From the labels the tables use, never from the year: the active-disclosure table's
    (本年新制作数量 or 本年制发件数, 政府集中采购 only in 2019), else the applications table's
    （六）其他处理 (one row in 2019, three sub-rows in 2021)."""
    for table in ("active_disclosure", "applications"):
        votes = {fmt: sum(1 for key in readings if key[0] == table and key in _format_only(fmt))
                 for fmt in FORMATS}
        if votes["2019"] != votes["2021"]:
            return max(votes, key=votes.__getitem__)
    return None


def _reading(fmt: Format | None, reader: _Reader) -> TableReading:
    problems = list(reader.problems)
    if fmt is None:
        return TableReading(None, {}, {}, list(reader.readings.values()),
                            problems + ["未识别出表格格式（2019 或 2021 格式）"])
    tables = empty_tables(fmt)
    wanted = set(template_cells(fmt))
    cells = []
    legacy = fmt == "2021" and any(k[1] == "other_handling" for k in reader.readings)
    for key, reading in reader.readings.items():
        if key in wanted or legacy and key[:2] == ("applications", "other_handling"):
            set_value(tables, *key, reading.value)
            cells.append(reading)
        else:
            problems.append(f"{_cell_name(key)}：不是 {fmt} 格式的单元格（文字「{reading.text}」）")
    order = {k: i for i, k in enumerate(template_cells(fmt))}
    cells.sort(key=lambda c: order.get((c.table, c.row, c.column), len(order)))
    units = {unit_key(row, col): reader.units.get(unit_key(row, col)) for row, col in AMOUNT_CELLS[fmt]}
    return TableReading(fmt, tables, units, cells, problems)
