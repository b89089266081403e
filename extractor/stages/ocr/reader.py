"""The OCR stage's reader: a page image read into the same ``Page`` of
blocks and rulings that ingest makes from a text layer, so classify and reconstruct run unchanged.

A page is rendered at ``DPI``; its red seal is dropped and its lighting flattened (``raster.py``).
It is turned so that its lines run across: the direction from each glyph to its nearest
neighbour guesses the axis, the 0°/180° line classifier says which way up, and if a sample of
lines then reads poorly the other axis is tried. It is levelled (skew up to ±10°) by the row
profile of its characters. Ruling lines are
found by morphology and become ``Ruling``s in points; the grids they make (``geometry.grid.page_grids``)
give each cell's box, and the text in a cell is cut into lines by its row profile. Text outside
ruled tables is cut into lines and blocks over the rest of the page (row profile, then gaps wider
than ingest's block gap). No full-page text detector runs: on these single-column, ruled pages
the profiles find the same lines in milliseconds, and a cell's box is known from its rulings.

Recognition is PP-OCRv4's Chinese recogniser from the ``rapidocr-onnxruntime`` wheel, its
element-wise layers folded away once by ``models/ocr/make_recogniser.py`` and shipped in
``models/ocr/``; the 0°/180° line classifier is the wheel's own. Nothing is downloaded. Short
pieces — most cells' numbers — are stitched side by side into one line and read together: alone,
a "0" in white space reads as "o" or nothing, and a line of them costs one run instead of dozens;
one read doubtfully there is read again alone. Lines are batched by width, each padded with grey
only to the widest of its batch: the recogniser's time grows with the columns it is given, and
the 320 columns it was trained on, padding short lines, cost a fifth of them for no better
reading. A block's ``confidence`` is its least sure character's probability (fullwidth and ASCII
forms of a digit counting as one character): one doubtful digit makes the whole number doubtful.
A number read in a cell is then held against its ink (``_checked_number``).

The recogniser runs on onnxruntime, one thread (a column about 36 µs, near what AVX-512 does in
fp32). OpenVINO 2026.4 was measured in its place and not kept. In fp32 it reads the same and costs
the same. In bfloat16 (its default where the CPU has AMX) a column costs 13 µs, but only in a batch
of a shape it has run before: each new input shape (and every batch has its own width) costs
18–40 ms to prepare, so that one report's batches cost 11% less, not 55%, even with widths
rounded up to 32 columns (the recogniser's batches of 23 scanned reports: 45.7 CPU s on
onnxruntime, 40.6 s with a fresh OpenVINO model per report, 20.7 s with one that had seen them
all). The kernels it keeps for each shape hold about 22 MB of address space, and a worker passed its
2 GiB limit within a report (3 of the devset's 20 scans failed). And bfloat16 reads 87 of 3,485
lines differently (no changed character read surely either way) and moves 111 characters'
confidences across the 0.9 below which a cell is flagged and a short piece read again (68 down,
43 up)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from extractor.errors import SetupError
from extractor.geometry.grid import edge_rows, page_grids, unseen_dividers
from extractor.stages.ocr import raster
from extractor.types import Block, Page, Ruling, Upright

# the wheel's PP-OCRv4 recogniser with its affine blocks folded into the convolutions
# (models/ocr/make_recogniser.py): the same function, a third less time
REC_MODEL = Path(__file__).resolve().parents[2] / "models" / "ocr" / "ch_PP-OCRv4_rec_folded.onnx"
DPI = 200
THREADS = 1                  # one core per page: the service and batch run pages in parallel
REC_HEIGHT = 48              # the recogniser's input height
BATCH_COLUMNS = 2000         # the recogniser slows down per column in larger batches
STITCH_RATIO = 2.5           # pieces narrower than this many heights are read stitched into a line …
STITCH = 24                  # … this many at a time: a lone "0" in white space reads as "o" or nothing
SAMPLE_LINES = 6             # lines read to tell which way up a page is
LEGIBLE = 0.7                # a page reading this well is the right way up …
FLIP_SURE = 0.5              # … when the line classifier's vote for its way up is at least this sure …
AXIS_CLEAR = 0.15            # … and its glyphs' neighbours said its axis by at least this margin over a half
RETRY = 0.9                  # a short piece read less surely than this is read again alone
STRAY = 0.35                 # in a cell with text, marks lower than this (in line heights) are strays
UNREAD = "?"                 # a cell's ink that reads as nothing: never a silent blank
MINUS_SURE = 0.95            # a minus sign found by its shape, not read
GLYPH_REACH = 0.15           # a character read this near a glyph (in line heights) is its reading …
UNREAD_INK = 0.5             # … a glyph with none near it was not read: the number is doubtful
GLYPH_HEIGHT = 0.6           # ink at least this share of the tallest glyph's height is a glyph
SHORT_DIGIT = 0.2            # a glyph read as a digit this share of the digits' height short of them is none
RUNNING_WIDTH = 0.5          # a line of running text (a cell's too) is read at this share of its width …
RUNNING_FROM = 6             # … a piece at least this many times as wide as high (see _crop)
EDGE_MM = 5                  # a margin of the sheet where nothing is printed
SPECK = 0.4                  # outside the tables, a piece smaller than this (in line heights) each way is
                             # dust or a crumb of the seal the red left, no text (a stop or a comma stands by its line)
NUMBER_TEXT = re.compile(r"[0-9+\-.,]+")


@dataclass(slots=True)
class Reading:
    text: str
    confidences: list[float]      # one per character
    centres: list[float]          # each character's centre, as a share of the crop's width

    @property
    def confidence(self) -> float:
        return min(self.confidences, default=0.0)


@dataclass(slots=True)
class _Line:
    image: np.ndarray                       # REC_HEIGHT high
    parts: list[tuple[int, int, int]]       # (crop index, x0, x1) along the line


class Recogniser:
    """PP-OCRv4 text-line recognition (CTC) and the 0°/180° line classifier, from the wheel."""

    def __init__(self, threads: int = THREADS):
        import rapidocr_onnxruntime
        from rapidocr_onnxruntime.ch_ppocr_cls import TextClassifier
        from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer

        cls_model = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
        for model in (REC_MODEL, cls_model):
            if not model.is_file():
                raise SetupError(f"an OCR model is missing (from this package or the rapidocr-onnxruntime wheel): {model}")
        common = {"use_cuda": False, "use_dml": False, "intra_op_num_threads": threads, "inter_op_num_threads": 1}
        rec = TextRecognizer({**common, "model_path": str(REC_MODEL), "rec_batch_num": 1,
                              "rec_img_shape": [3, REC_HEIGHT, 320]})     # unused: _lines scales the lines
        self.session = rec.session
        self.characters = rec.postprocess_op.character      # 0 is the CTC blank
        # a fullwidth digit or letter is the same character to a reader: its probability counts
        # for the ASCII one (beside Han text the model hesitates between the two forms)
        index = {c: i for i, c in enumerate(self.characters)}
        pairs = [(i, index[chr(ord(c) - 0xFEE0)]) for i, c in enumerate(self.characters)
                 if ("０" <= c <= "９" or "Ａ" <= c <= "Ｚ" or "ａ" <= c <= "ｚ") and chr(ord(c) - 0xFEE0) in index]
        self._wide = np.array([w for w, _ in pairs], dtype=np.int64)
        self._narrow = np.array([n for _, n in pairs], dtype=np.int64)
        self.classifier = TextClassifier({**common, "model_path": str(cls_model), "cls_image_shape": [3, 48, 192],
                                          "cls_batch_num": SAMPLE_LINES, "cls_thresh": 0.9,
                                          "label_list": ["0", "180"]})

    def upside_down(self, crops: list[np.ndarray]) -> float:
        """The share of the lines (weighted by the classifier's certainty) that read upside down."""
        _, results, _ = self.classifier([np.dstack([c] * 3) for c in crops])
        votes = [score if label == "180" else -score for label, score in results]
        return float(np.mean(votes)) if votes else 0.0

    def read(self, crops: list[np.ndarray], stitch: bool = True) -> list[Reading]:
        """Grey crops (one line of text each, paper around it) → what they say."""
        lines = self._lines(crops, stitch)
        out = [Reading("", [], []) for _ in crops]
        lines.sort(key=lambda line: line.image.shape[1])
        batch: list[_Line] = []
        for line in lines + [None]:
            width = line.image.shape[1] if line is not None else 0
            if batch and (line is None or width * (len(batch) + 1) > BATCH_COLUMNS):
                self._run(batch, out)
                batch = []
            if line is not None:
                batch.append(line)
        return out

    def _lines(self, crops: list[np.ndarray], stitch: bool) -> list[_Line]:
        scaled = [cv2.resize(c, (max(1, round(c.shape[1] * REC_HEIGHT / c.shape[0])), REC_HEIGHT),
                             interpolation=cv2.INTER_AREA if c.shape[0] > REC_HEIGHT else cv2.INTER_CUBIC)
                  for c in crops]
        short = [i for i, c in enumerate(scaled) if stitch and c.shape[1] < STITCH_RATIO * REC_HEIGHT]
        lines = [_Line(c, [(i, 0, c.shape[1])]) for i, c in enumerate(scaled) if i not in set(short)]
        for start in range(0, len(short), STITCH):
            # the crops' own margins space the pieces like words: wider gaps read as full-width digits
            images, parts, x = [], [], 0
            for i in short[start:start + STITCH]:
                w = scaled[i].shape[1]
                images.append(scaled[i])
                parts.append((i, x, x + w))
                x += w
            lines.append(_Line(np.concatenate(images, axis=1), parts))
        return lines

    def _run(self, batch: list[_Line], out: list[Reading]) -> None:
        width = max(line.image.shape[1] for line in batch)
        x = np.zeros((len(batch), 3, REC_HEIGHT, width), np.float32)   # 0 is mid grey: the padding trained on
        for j, line in enumerate(batch):
            x[j, :, :, :line.image.shape[1]] = (line.image.astype(np.float32) / 127.5 - 1.0)[None]
        probs = self.session(x)[0]
        frame = width / probs.shape[1]                                   # pixels per output frame
        for j, line in enumerate(batch):
            used = min(probs.shape[1], math.ceil(line.image.shape[1] / frame) + 1)
            for char, conf, centre in self._decode(probs[j, :used]):
                x_px = centre * frame
                for i, x0, x1 in line.parts:
                    if x_px < x1 or i == line.parts[-1][0]:
                        reading = out[i]
                        reading.text += char
                        reading.confidences.append(conf)
                        reading.centres.append(min(max((x_px - x0) / max(x1 - x0, 1), 0.0), 1.0))
                        break

    def _decode(self, probs: np.ndarray) -> list[tuple[str, float, float]]:
        """Greedy CTC: (character, its probability, its centre in frames) for each one read.
        ``probs`` (frames × characters) is spent: the fullwidth forms' columns are folded into it."""
        # each ASCII character has one fullwidth form: the columns are distinct, no sum is lost
        probs[:, self._narrow] += probs[:, self._wide]
        probs[:, self._wide] = 0
        best = probs.argmax(axis=1)
        p = np.take_along_axis(probs, best[:, None], axis=1)[:, 0]
        chars = []
        t, frames = 0, len(best)
        while t < frames:
            end = t
            while end + 1 < frames and best[end + 1] == best[t]:
                end += 1
            if best[t] != 0:
                chars.append((self.characters[best[t]], float(p[t:end + 1].max()), (t + end + 1) / 2))
            t = end + 1
        return chars


_recogniser: Recogniser | None = None
# OpenCV's own threads cost more CPU than they save on a page this size, and pages run in parallel
cv2.setNumThreads(THREADS)


def recogniser() -> Recogniser:
    global _recogniser
    if _recogniser is None:
        _recogniser = Recogniser()
    return _recogniser


# --- the page image --------------------------------------------------------------------------------

@dataclass(slots=True)
class Scan:
    """What reading the image found and undid, besides the page itself."""
    page: Page
    upright: Upright
    open_below: bool = False   # a ruled row without dividers at its foot, read without the page after's columns


# The column edges (points, left to right) of the grid that ends the page before and of the one
# that opens the page after, where known: a table's row the page broke off takes its columns
# from them (``geometry.grid.unseen_dividers``).
Carried = tuple[list[float] | None, list[float] | None]


def ocr_page(page: pymupdf.Page, number: int, carried: Carried = (None, None)) -> Scan:
    """A PDF page without a usable text layer, read from its image (``text_layer="ocr"``, its
    ``upright`` set)."""
    pix = page.get_pixmap(dpi=DPI, alpha=False)
    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3)
    scan = read_image(rgb, DPI, number, carried)
    scan.page.upright = scan.upright
    return scan


def read_image(rgb: np.ndarray, dpi: int, number: int = 0, carried: Carried = (None, None)) -> Scan:
    """An RGB page image at ``dpi`` → the upright page's blocks and rulings, in points.

    The glyphs' nearest neighbours guess whether the lines run across or down; if they do not
    say it clearly, or the page does not read well that way up, the other way is tried and the
    more legible one kept."""
    flat = raster.flatten(raster.drop_red(rgb))
    red = raster.redness(rgb)
    ink = raster.ink_of(flat)
    guess, across = raster.text_axis(ink, dpi)
    dashed = raster.binarised(flat)
    # a page whose glyphs do not say clearly which way its lines run is read both ways
    clear = abs(across - 0.5) >= AXIS_CLEAR
    # where they say it clearly, the other axis must read legibly to be taken: a page that reads
    # poorly either way (a photographed page's bent rulings) is no likelier to lie on its side
    best: _View | None = None
    for turns in (guess, 1 - guess):
        view = _upright(flat, ink, red, turns, dpi, number, dashed, carried)
        if best is None or (view.legibility > best.legibility and (not clear or view.legibility >= LEGIBLE)):
            best = view
        if clear and view.legibility >= LEGIBLE:
            break
    assert best is not None     # the loop ran: there are two axes
    layout = best.layout
    page = Page(number, layout.width, layout.height, _blocks(layout, best.sample, dpi, number), layout.rulings, "ocr")
    squared = None if best.square is None else tuple(float(v) for v in best.square.ravel())
    return Scan(page, Upright(best.rotation, best.skew, squared), layout.open_below)


@dataclass(slots=True)
class _View:
    layout: _Layout
    rotation: int                  # as Scan
    skew: float
    legibility: float              # about 1 for lines of text read with confidence
    sample: dict[int, Reading]     # the lines read to tell it, by their index in the layout's pieces
    square: np.ndarray | None      # as Upright.squared, if the page was squared


def _upright(flat: np.ndarray, ink: np.ndarray, red: np.ndarray, turns: int, dpi: int, number: int,
             dashed: bool = False, carried: Carried = (None, None)) -> _View:
    """The page (its ``ink_of`` and its redness) turned by ``turns`` quarter turns
    counter-clockwise, levelled, and turned over if it reads better so: the line classifier says
    which way up to try first."""
    # a page without a mark red enough to be seal (most pages) has no redness worth turning, nor
    # holding against its ink: redness is only ever held against SEAL_REDNESS, and a turned page
    # is no redder than before
    seal = bool(red.max() > raster.SEAL_REDNESS)
    flat = raster.turn(flat, turns, 0.0)
    # the ink of the page turned is the page's ink turned: Otsu's threshold counts, not places
    skew = raster.skew_of(raster.turn(ink, turns, 0.0))
    flat = raster.turn(flat, 0, skew)
    redness = raster.turn(raster.turn(red, turns, 0.0, fill=0), 0, skew, fill=0) if seal else None
    square = raster.keystone(flat)
    if square is not None:
        flat = raster.squared(flat, square)
        redness = raster.squared(redness, square, fill=0) if redness is not None else None
    layout = _layout(flat, redness, dpi, number, dashed, carried)
    in_points = None if square is None else _in_points(square, dpi)
    pieces = layout.pieces
    sample = sorted(range(len(pieces)), key=lambda i: pieces[i].box[0] - pieces[i].box[2])[:SAMPLE_LINES]
    if not sample:
        return _View(layout, (turns % 4) * 90, round(-skew, 2), 0.0, {}, in_points)
    vote = recogniser().upside_down([_crop(layout, pieces[i]) for i in sample])
    # the classifier sees a long line squeezed into 192 columns and can be unsure of a page of
    # prose: the way up it prefers is read first, the other too unless it was sure and the
    # page reads well that way; the more legible one is kept
    over = None if in_points is None else _seen_turned_over(in_points, layout.width, layout.height)
    ways = [(turns + 2, lambda: _turned_over(layout), over), (turns, lambda: layout, in_points)]
    if vote <= 0:
        ways.reverse()
    best: _View | None = None
    for way_turns, way, way_square in ways:
        view = _legibility(way(), way_turns, skew, sample, way_square)
        if best is None or view.legibility > best.legibility:
            best = view
        if abs(vote) >= FLIP_SURE and view.legibility >= LEGIBLE:
            break
    assert best is not None     # the loop ran: there are two ways up
    return best


def _legibility(layout: _Layout, turns: int, skew: float, sample: list[int], square: np.ndarray | None) -> _View:
    # the sample is read whole, as the page's reading will keep it; the characters on the first
    # six line heights of each line tell how legible it is: characters read, weighted by
    # confidence, per line, for a page on its side reads as scattered single characters
    readings = recogniser().read([_crop(layout, layout.pieces[i]) for i in sample])
    legibility = sum(_head_confidence(r, layout.pieces[i], 6) for i, r in zip(sample, readings)) / (6 * SAMPLE_LINES)
    # rot90 turned the image counter-clockwise to undo a clockwise turn of the sheet
    return _View(layout, (turns % 4) * 90, round(-skew, 2), legibility, dict(zip(sample, readings)), square)


def _head_confidence(reading: Reading, piece: _Piece, ems: float) -> float:
    """The summed confidence of the characters read on the first ``ems`` line heights of a piece."""
    cx0, _, cx1, _ = piece.crop_box()
    end = piece.box[0] + ems * piece.em
    return sum(c for c, x in zip(reading.confidences, reading.centres) if cx0 + x * (cx1 - cx0) < end)


@dataclass(slots=True)
class _Piece:
    box: raster.PxBox         # tight around the ink, in pixels
    em: float                 # the height of a line of text around it, in pixels
    cell: raster.PxBox | None = None    # the inside of the table cell it stands in; None outside the tables

    @property
    def in_cell(self) -> bool:
        return self.cell is not None

    def crop_box(self) -> raster.PxBox:
        """Where the recogniser looks: at least a line high, with a margin of paper."""
        x0, y0, x1, y1 = self.box
        height = max(y1 - y0, self.em)
        pad = max(2, round(0.15 * height))
        top = round((y0 + y1 - height) / 2) - pad
        return (x0 - pad, top, x1 + pad, top + round(height) + 2 * pad)


@dataclass(slots=True)
class _Layout:
    clean: np.ndarray         # grey, rulings whitened: what the recogniser sees
    ink: np.ndarray           # text ink only
    width: float
    height: float
    rulings: list[Ruling]
    pieces: list[_Piece]
    em: float                 # the height of a line of the text outside the tables, in pixels
    open_below: bool = False  # rows without dividers at its foot (``edge_rows``)


def _layout(flat: np.ndarray, red: np.ndarray | None, dpi: int, number: int, dashed: bool = False,
            carried: Carried = (None, None)) -> _Layout:
    """The page's rulings and the pieces of text to read; ``red`` its redness where any mark is red
    enough to be seal, else None."""
    ink = raster.ink_of(flat)
    lines = raster.ruling_lines(flat, ink, dpi, red, dashed)
    s = raster.pt(dpi)
    h, w = flat.shape
    width, height = w / s, h / s
    grids = page_grids(Page(number, width, height, [], _rulings(lines, s)), [])
    # dividers one row long are shorter than a glyph's stroke may be: looked for where the grid,
    # or the grid the table continues from on the page before or after, has its columns
    due = unseen_dividers(grids, [(y / s, a / s, b / s) for y, a, b in lines.loose], 2 * raster.VERTICAL_MIN_PT,
                          *carried)
    if due:
        lines = raster.with_dividers(lines, flat, ink, [(x * s, a * s, b * s) for x, a, b in due], dpi)
        grids = page_grids(Page(number, width, height, [], _rulings(lines, s)), [])
    rulings = _rulings(lines, s)
    # a row without dividers at the page's foot: the page after may show its columns
    open_below = bool(edge_rows(grids, [(y / s, a / s, b / s) for y, a, b in lines.loose],
                                2 * raster.VERTICAL_MIN_PT)[1])
    # ink and the rulings' mask are 0 or 1: the ink less the mask is the ink off the rulings
    text, seal = raster.print_ink(cv2.subtract(ink, lines.mask), flat, red, dpi)
    # light red pixels are seal even where a component as a whole is not (a glyph of the seal
    # touching print): print under a seal stays dark
    if red is not None:
        text[(red > raster.SEAL_REDNESS) & (flat > raster.SEAL_PIXEL_LIGHT)] = 0
    # pieces are found on ink grown by a pixel: faint thin strokes of small print break up, and
    # a digit in pieces would be read in pieces. A cell's lines are found on the ink as printed:
    # grown, the pixel of leading between characters stacked one per line in a narrow cell
    # closes up and two characters read as one
    grow = np.ones((3, 3), np.uint8)
    printed = text
    text, seal = cv2.dilate(text, grow), cv2.dilate(seal, grow)
    clean = cv2.max(flat, lines.mask * 255)

    inset = 0.5 * s
    cells = [(int(c.bbox[0] * s + inset), int(c.bbox[1] * s + inset),
              int(math.ceil(c.bbox[2] * s - inset)), int(math.ceil(c.bbox[3] * s - inset)))
             for g in grids for c in g.cells]
    cells = [b for b in cells if b[2] > b[0] and b[3] > b[1]]
    pieces = []
    cell_em = raster.typical_height(text, cells, dpi)
    for x0, y0, x1, y1 in cells:
        region, as_printed = text[y0:y1, x0:x1], printed[y0:y1, x0:x1]
        if not region.any():
            # a cell whose only marks looked like seal is read all the same: a blank it is not
            # sure of must not pass as a sure blank
            region = as_printed = seal[y0:y1, x0:x1]
        cell_lines = [[(x0 + a, y0 + b, x0 + c, y0 + d) for a, b, c, d in raster.band_segments(region, band, split=True)]
                      for band in raster.text_bands(as_printed, cell_em)]
        # a cell's line is read whole; it is cut at gaps only to find the strays in it
        kept = set(_without_strays([box for line in cell_lines for box in line], cell_em))
        for line in cell_lines:
            boxes = [box for box in line if box in kept]
            if boxes:
                pieces.append(_Piece((min(b[0] for b in boxes), min(b[1] for b in boxes),
                                      max(b[2] for b in boxes), max(b[3] for b in boxes)), cell_em, (x0, y0, x1, y1)))
    rest = text.copy()
    # nothing is printed this near the sheet's edge; what is there is the scanner's shadow or the
    # dark wedge a turned sheet leaves, which would read as I or |
    edge = round(EDGE_MM / 25.4 * dpi)
    rest[:edge], rest[-edge:], rest[:, :edge], rest[:, -edge:] = 0, 0, 0, 0
    for g in grids:
        gx0, gy0, gx1, gy1 = g.bbox
        rest[max(int(gy0 * s) - 2, 0):int(gy1 * s) + 3, max(int(gx0 * s) - 2, 0):int(gx1 * s) + 3] = 0
    em = raster.typical_height(rest, [(0, 0, w, h)], dpi)
    for band in raster.text_bands(rest, em):
        # a line's own height: the small print of an unruled table is not the body text's size
        for box in raster.band_segments(rest, band, split=True):
            pieces.append(_Piece(box, band[1] - band[0]))
    return _Layout(clean, text, width, height, rulings, pieces, em, open_below)


def _rulings(lines: raster.Lines, s: float) -> list[Ruling]:
    """The ruling lines found, in points (``s`` pixels per point)."""
    return ([Ruling(a / s, y / s, b / s, y / s) for y, a, b in lines.horizontal]
            + [Ruling(x / s, a / s, x / s, b / s) for x, a, b in lines.vertical])


def _in_points(homography: np.ndarray, dpi: int) -> np.ndarray:
    """A homography between page images at ``dpi`` as one between the same pages in points."""
    scale = np.diag([72 / dpi, 72 / dpi, 1.0])
    out = scale @ homography @ np.linalg.inv(scale)
    return out / out[2, 2]


def _seen_turned_over(homography: np.ndarray, width: float, height: float) -> np.ndarray:
    """The same squaring of a page turned by 180° (x → width − x, y → height − y): levelling
    turns about the centre, so turning over before it or after it comes to the same."""
    over = np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    return over @ homography @ over    # turning over is its own inverse


def _turned_over(layout: _Layout) -> _Layout:
    """The layout of the page turned by 180°: the same rulings, cells and lines seen from the
    other corner, without finding them again (a row without dividers at the foot of the page as
    it came now stands at its head: not ``open_below``)."""
    h, w = layout.clean.shape
    width, height = layout.width, layout.height
    rulings = [Ruling(width - r.x1, height - r.y1, width - r.x0, height - r.y0) for r in layout.rulings]
    pieces = [_Piece(_box_turned_over(p.box, w, h), p.em, None if p.cell is None else _box_turned_over(p.cell, w, h))
              for p in layout.pieces]
    return _Layout(np.ascontiguousarray(layout.clean[::-1, ::-1]), np.ascontiguousarray(layout.ink[::-1, ::-1]),
                   width, height, rulings, pieces, layout.em)


def _box_turned_over(box: raster.PxBox, w: int, h: int) -> raster.PxBox:
    x0, y0, x1, y1 = box
    return (w - x1, h - y1, w - x0, h - y0)


def _without_strays(boxes: list[raster.PxBox], em: float) -> list[raster.PxBox]:
    """A cell's pieces without the flat marks standing apart from its text (the edge of a seal's
    ring, a scratch): a lone dash is a cell's content, a dash a gap away from a number is not."""
    if not any(y1 - y0 >= 0.5 * em for _, y0, _, y1 in boxes):
        return boxes
    return [b for b in boxes if b[3] - b[1] >= STRAY * em]


def _crop(layout: _Layout, piece: _Piece) -> np.ndarray:
    """The piece's ink on paper: only its own rows, so a neighbouring line cannot creep in.

    A long line, outside the tables or in a cell (a row's label), is squeezed to half its width:
    the recogniser costs the same per column, and it reads square Han characters as well at half
    width (it was trained on lines squeezed into 320 columns). Short pieces keep their width: a
    cell's number is narrow already, and a short piece is read stitched to its neighbours."""
    cx0, cy0, cx1, cy1 = piece.crop_box()
    x0, y0, x1, y1 = piece.box
    crop = np.full((cy1 - cy0, cx1 - cx0), 255, np.uint8)
    crop[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0] = layout.clean[y0:y1, x0:x1]
    if crop.shape[1] < RUNNING_FROM * crop.shape[0]:
        return crop
    return cv2.resize(crop, (max(1, round(crop.shape[1] * RUNNING_WIDTH)), crop.shape[0]), interpolation=cv2.INTER_AREA)


def _blocks(layout: _Layout, known: dict[int, Reading], dpi: int, number: int) -> list[Block]:
    """The layout's pieces read (but for those already ``known``, by index) into blocks."""
    s = raster.pt(dpi)
    pieces = list(layout.pieces)
    read = iter(recogniser().read([_crop(layout, p) for i, p in enumerate(pieces) if i not in known]))
    readings = [known[i] if i in known else next(read) for i in range(len(pieces))]
    # a short piece read doubtfully among its stitched neighbours (small digits beside Han
    # labels shrink to specks) is read again alone, at its own height; the surer reading stays
    retry = [i for i, (p, r) in enumerate(zip(pieces, readings))
             if r.confidence < RETRY and p.box[2] - p.box[0] < STITCH_RATIO * max(p.em, p.box[3] - p.box[1])]
    alone = [_Piece(pieces[i].box, pieces[i].box[3] - pieces[i].box[1], pieces[i].cell) for i in retry]
    for i, piece, reading in zip(retry, alone, recogniser().read([_crop(layout, p) for p in alone], stitch=False)):
        if reading.confidence > readings[i].confidence:
            pieces[i], readings[i] = piece, reading
    strokes = [raster.stroke_width(layout.ink, p.box) / max(p.em, 1.0) for p in pieces]
    body_stroke = float(np.median(strokes)) if strokes else 0.0
    blocks = []
    for piece, reading, stroke in zip(pieces, readings, strokes):
        x0, y0, x1, y1 = piece.box
        reading = _stripped(reading)
        if piece.in_cell and NUMBER_TEXT.fullmatch(reading.text):
            reading = _checked_number(reading, piece, layout.ink)
        elif not piece.in_cell and any(c.isdigit() for c in reading.text):
            reading = _checked_digits(reading, piece, layout.ink)
        if not piece.in_cell and (not reading.text or max(x1 - x0, y1 - y0) < SPECK * layout.em):
            # a mark outside the tables, read as nothing or too small to be text: nothing to lose.
            # Specks are read all the same, with the rest: the recogniser's batches, and so every
            # other reading, stay as they are
            continue
        if not reading.text:
            reading = Reading(UNREAD, [0.0], [0.5])
        text = reading.text
        height = (y1 - y0) / s
        han = any("\u4e00" <= c <= "\u9fff" for c in text)
        blocks.append(Block(
            page=number,
            bbox=(x0 / s, y0 / s, x1 / s, y1 / s),
            text=text,
            size=round(height / (0.88 if han else 0.72), 1),
            bold=stroke > 1.3 * body_stroke,
            font="OCR",
            char_boxes=_char_boxes(reading, piece, s),
            confidence=reading.confidence,
            char_confidences=tuple(reading.confidences),
        ))
    blocks.sort(key=lambda b: (round(b.bbox[1]), b.bbox[0]))
    return blocks


def _checked_number(reading: Reading, piece: _Piece, ink: np.ndarray) -> Reading:
    """A number read in a cell, held against its ink. The recogniser drops a short minus set a gap
    before the digits (-19 read as 19): a bar of that shape there is put back. A glyph with no
    character read on it makes every character doubtful: a digit dropped from 105 reads 15, and
    an amount or a change is in no sum that would catch it."""
    x0, y0, x1, y1 = piece.box
    region = ink[y0:y1, x0:x1]
    runs = _ink_runs(region, x0)
    if not runs:
        return reading
    cx0, _, cx1, _ = piece.crop_box()
    if reading.text[:1].isdigit() and len(runs) > 1 and _is_minus(region[:, :runs[0][1] - x0]):
        a, b = runs[0]
        reading = Reading("-" + reading.text, [MINUS_SURE] + reading.confidences,
                          [((a + b) / 2 - cx0) / max(cx1 - cx0, 1)] + reading.centres)
    glyphs = _tall(runs, region, x0)
    xs = [cx0 + c * (cx1 - cx0) for c in reading.centres]
    reach = GLYPH_REACH * piece.em
    if any(not any(a - reach <= x <= b + reach for x in xs) for a, b in glyphs) \
            or _floating_digit(reading.text, xs, glyphs, region, x0) or _crossed(piece):
        reading = Reading(reading.text, [min(c, UNREAD_INK) for c in reading.confidences], reading.centres)
    return reading


def _floating_digit(text: str, xs: list[float], glyphs: list[tuple[int, int]], region: np.ndarray, x0: int) -> bool:
    """Whether a glyph read as a digit is clearly shorter than the number's other glyphs: digits
    are all as high, on one baseline, and a mark short of them by SHORT_DIGIT of their height at
    one end, or by half that at both, is no digit (the stem of a "+" whose bar a fax lost, read as
    a sure 1)."""
    if len(glyphs) < 2:
        return False
    rows = [np.flatnonzero(region[:, a - x0:b - x0].any(axis=1)) for a, b in glyphs]
    tops, feet = [int(r[0]) for r in rows], [int(r[-1]) for r in rows]
    height = max(feet) - min(tops) + 1
    for (a, b), top, foot in zip(glyphs, tops, feet):
        read = [c for c, x in zip(text, xs) if a <= x <= b]
        short = sorted(((top - min(tops)) / height, (max(feet) - foot) / height))
        if read and all(c.isdigit() for c in read) and (short[1] > SHORT_DIGIT or short[0] > SHORT_DIGIT / 2):
            return True
    return False


def _crossed(piece: _Piece) -> bool:
    """Whether the piece's ink runs to its cell's edge: a number stands clear of its rulings, and
    a mark that runs on past them (a black seal's ring across the cell, read as a 4 beside its 0)
    is none of its glyphs."""
    if piece.cell is None:
        return False
    (x0, y0, x1, y1), (cx0, cy0, cx1, cy1) = piece.box, piece.cell
    return x0 <= cx0 or y0 <= cy0 or x1 >= cx1 or y1 >= cy1


def _ink_runs(region: np.ndarray, x0: int) -> list[tuple[int, int]]:
    """The runs of inked columns of ``region``, as page x from ``x0``."""
    cols = np.flatnonzero(region.any(axis=0))
    if not len(cols):
        return []
    cuts = np.flatnonzero(np.diff(cols) > 1)
    return [(x0 + int(a), x0 + int(b) + 1) for a, b in zip(np.r_[cols[0], cols[cuts + 1]], np.r_[cols[cuts], cols[-1]])]


def _tall(runs: list[tuple[int, int]], region: np.ndarray, x0: int) -> list[tuple[int, int]]:
    """The glyphs among ``runs``: a glyph is as tall as the digits, a lower mark is noise (or a
    sign, read or put back)."""
    heights = [np.ptp(np.flatnonzero(region[:, a - x0:b - x0].any(axis=1))) + 1 for a, b in runs]
    return [g for g, h in zip(runs, heights) if h >= GLYPH_HEIGHT * max(heights, default=0)]


def _checked_digits(reading: Reading, piece: _Piece, ink: np.ndarray) -> Reading:
    """The digits of a line of running text, held against their ink. Squeezed to half its width
    (``_crop``), a line can lose one of two like digits side by side and stay sure of the rest
    (2023年1月11日 read 2023年1月1日 at 0.91). Between a run of digits' neighbours there must be
    no more glyphs than digits read, or the run's digits are doubtful. (Counted, not placed: where
    a squeezed line's characters are seen is off by up to half a character. Digits that touch
    count as one glyph, and can only hide a loss, never make one up.)"""
    x0, y0, x1, y1 = piece.box
    cx0, _, cx1, _ = piece.crop_box()
    xs = [cx0 + c * (cx1 - cx0) for c in reading.centres]
    confidences = list(reading.confidences)
    for run in re.finditer(r"\d+", reading.text):
        a, b = run.span()
        left = x0 if a == 0 else xs[a - 1] + _half_width(reading.text[a - 1], piece)
        right = x1 if b == len(reading.text) else xs[b] - _half_width(reading.text[b], piece)
        # the neighbours' glyphs are found whole, and left out by where their middle is
        lo, hi = max(int(left - piece.em), x0), min(int(np.ceil(right + piece.em)), x1)
        region = ink[y0:y1, lo:hi]
        glyphs = [g for g in _tall(_ink_runs(region, lo), region, lo) if left <= (g[0] + g[1]) / 2 <= right]
        if len(glyphs) > b - a:
            confidences[a:b] = [min(c, UNREAD_INK) for c in confidences[a:b]]
    return Reading(reading.text, confidences, reading.centres)


def _half_width(c: str, piece: _Piece) -> float:
    """Half a character's width on the page: a Han or fullwidth one is square, others narrower."""
    return (0.5 if "\u4e00" <= c <= "\u9fff" or ord(c) > 0xFF00 else 0.28) * max(piece.box[3] - piece.box[1], piece.em)


def _is_minus(bar: np.ndarray) -> bool:
    """A solid flat bar at half the height of the digits beside it (``bar``: the digits' rows)."""
    rows = np.flatnonzero(bar.any(axis=1))
    height, width, whole = rows[-1] - rows[0] + 1, bar.shape[1], bar.shape[0]
    centre = (rows[0] + rows[-1] + 1) / 2
    return (height < STRAY * whole and width >= 1.25 * height and 0.3 * whole <= centre <= 0.7 * whole
            and bar.sum() >= 0.6 * width * height)


def _stripped(reading: Reading) -> Reading:
    """Without the spaces the recogniser puts before or after a line (and their doubt)."""
    keep = list(range(len(reading.text)))
    while keep and reading.text[keep[0]].isspace():
        keep.pop(0)
    while keep and reading.text[keep[-1]].isspace():
        keep.pop()
    return Reading("".join(reading.text[i] for i in keep), [reading.confidences[i] for i in keep],
                   [reading.centres[i] for i in keep])


def _char_boxes(reading: Reading, piece: _Piece, s: float) -> tuple:
    """Each character's box, from where the recogniser saw it along the line."""
    cx0, _, cx1, _ = piece.crop_box()
    x0, y0, x1, y1 = piece.box
    out = []
    for c, centre in zip(reading.text, reading.centres):
        half = _half_width(c, piece)
        cx = cx0 + centre * (cx1 - cx0)
        out.append((max(cx - half, x0) / s, y0 / s, min(cx + half, x1) / s, y1 / s))
    return tuple(out)
