"""The plain data that flows between the stages.

PDF → ``Page`` (ingest) → ``Block`` (ingest) → ``LabelledBlock`` (classify) → grids and
``CellReading`` (reconstruct) → ``Check`` (validate) → ``Record`` (record).
Coordinates are PDF points in PyMuPDF's convention: origin top left, y grows downwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BBox = tuple[float, float, float, float]
Label = Literal["heading", "table_cell", "prose", "other"]
Format = Literal["2019", "2021"]     # the State Council's table formats: reports on 2019–2020, and from 2021
LABELS: tuple[Label, ...] = ("heading", "table_cell", "prose", "other")


@dataclass(slots=True, frozen=True)
class Ruling:
    """A ruling line (a stroked path or a thin filled rectangle), horizontal or vertical."""
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def horizontal(self) -> bool:
        return (self.x1 - self.x0) >= (self.y1 - self.y0)


@dataclass(slots=True, frozen=True)
class Block:
    """A run of text on one line that no ruling line and no wide gap interrupts.

    Blocks are what the classifier labels and what the reconstructor places into grid cells.
    """
    page: int
    bbox: BBox
    text: str
    size: float            # font size in points
    bold: bool
    font: str
    char_boxes: tuple[BBox, ...] = ()   # one per character of ``text``, for splitting and provenance
    confidence: float = 1.0             # 1.0 for a text layer; the OCR score for OCR text
    char_confidences: tuple[float, ...] = ()   # OCR text: one per character; a text layer: none (all sure)


@dataclass(slots=True, frozen=True)
class Upright:
    """How a page read from its image was set upright, in the order it was done."""
    rotation: int        # degrees clockwise the sheet had been turned: 0, 90, 180, 270
    skew: float          # degrees counter-clockwise it had been skewed
    # a photographed page squared once levelled: the homography (3 × 3, row by row, in points)
    # from the levelled page to the squared one, which the review needs to draw its boxes
    squared: tuple[float, ...] | None = None


@dataclass(slots=True)
class Page:
    number: int            # 0-based
    width: float
    height: float
    blocks: list[Block]
    rulings: list[Ruling]
    # text: its own text layer; ocr: read from its image; mixed: a text layer with pictures (a
    # table pasted as a screenshot) read by OCR; none: no usable text layer, not read
    text_layer: Literal["text", "ocr", "mixed", "none"] = "text"
    # why the page's text layer cannot be used (a scan, outlines, garbage): ingest leaves such a
    # page empty for the OCR stage
    needs_ocr: str | None = None
    # pictures on a text page that no text lies over (a table pasted as a screenshot), for OCR
    pictures: tuple[BBox, ...] = ()
    # a page read from its image: how it was set upright; its blocks are in the frame of the page so set
    upright: Upright | None = None


@dataclass(slots=True)
class Document:
    file: str | None
    sha256: str
    pdf: bytes = field(repr=False)
    pages: list[Page] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # e.g. "page 3: MuPDF: unknown keyword"
    repaired: bool = False   # MuPDF had to rebuild the file's cross-reference table
    damaged: list[int] = field(default_factory=list)   # pages whose content MuPDF complained about (0-based)

    @property
    def text_layer(self) -> Literal["full", "partial", "none"]:
        """full: every page read from its own text layer; none: no page was; partial: some were."""
        layers = {{"ocr": "none", "mixed": "partial"}.get(page.text_layer, page.text_layer) for page in self.pages}
        return "full" if layers == {"text"} else "none" if layers == {"none"} else "partial"


@dataclass(slots=True, frozen=True)
class LabelledBlock:
    block: Block
    label: Label
    confidence: float


@dataclass(slots=True)
class CellReading:
    """One template cell as read from the document: its value and where it came from."""
    table: str
    row: str
    column: str | None     # None for review_litigation cells, whose row is GROUP.COLUMN
    value: int | float | None
    text: str
    page: int | None
    bbox: BBox | None
    confidence: float
    # the rules whose sums confirmed a digit corrected in ``text`` (correct.py); () when none was
    corrected_by: tuple[str, ...] = ()
    # the rules whose sums hold with a doubtful reading as it was read (correct.py); () otherwise
    confirmed_by: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.table}/{self.row}" if self.column is None else f"{self.table}/{self.row}/{self.column}"


@dataclass(slots=True)
class Check:
    """One rule's outcome. ``message`` is for a person (Chinese, official labels, values, pages);
    ``detail`` says the same for a log or a developer (English, ids); ``findings`` is one entry per
    thing a person has to look at (an equation that fails, a cell read unsure), each with its own
    Chinese ``message``, the ``cells`` it names and their ``pages`` (1-based)."""
    rule: str
    status: Literal["pass", "fail", "not_applicable", "warn"]
    message: str
    cells: list[str] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    detail: str = ""


@dataclass(slots=True)
class ReportInfo:
    title: str | None
    issuer: str | None
    year: int | None
    format: Format | None
    date: str | None       # ISO date of signing
    # how sure each of title, issuer, year and date is (0 when not read), from how many of the
    # report's signals agree on it; and which signals gave it (``report.py``)
    confidence: dict[str, float] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class UnsureNumber:
    """A number of a section's prose that OCR read unsurely: no check holds prose against
    anything but a few table figures, so a person is told where to look."""
    text: str              # the number as read
    context: str           # with the words around it, as read
    page: int
    confidence: float


@dataclass(slots=True)
class Section:
    number: str            # 一 … 六
    title: str
    text: str
    page: int
    unsure: list[UnsureNumber] = field(default_factory=list)


@dataclass
class TableReading:
    """What the reconstructor read of the fixed tables: the detected format, every template cell's
    value (``tables``), the amounts' units, each cell's reading, and what it could not use."""
    format: Format | None
    tables: dict
    units: dict
    cells: list[CellReading]
    problems: list[str] = field(default_factory=list)
