"""A scanned page as clean ink: red seal dropped, lighting flattened, turned upright, deskewed; its
ruling lines and its lines of text found by morphology and projection profiles.

Everything here is geometry on numpy arrays (OpenCV for the heavy lifting); what the text says is
``ocr.py``'s business. Pixel boxes are (x0, y0, x1, y1) with x1, y1 exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PxBox = tuple[int, int, int, int]

REDNESS = 60              # R − max(G, B) above this is seal ink, not print
SKEW_LIMIT = 6.0          # degrees searched either way
PROFILE_SCALE = 0.25      # skew and orientation are measured on a quarter-size image
GLYPH_LIMIT_PT = 30.0     # marks larger than this are not characters
RULING_MIN_PT = 25.0      # a ruling is at least this long: longer than any glyph stroke …
RULING_MAX_PT = 3.0       # … and at most this thick
GAP_EM = 0.8              # as ingest.BLOCK_GAP_EM: a gap this wide (in text heights) starts a block
SPECK_PT2 = 0.4           # ink components smaller than this (pt²) are noise


def pt(dpi: int) -> float:
    """Pixels per point."""
    return dpi / 72.0


# --- clean ink ------------------------------------------------------------------------------------

def drop_red(rgb: np.ndarray) -> np.ndarray:
    """Grey levels with the seal gone: the red channel (where red ink is nearly as light as paper
    and black print stays black), and clearly red pixels set to paper white."""
    r = rgb[:, :, 0]
    redness = r.astype(np.int16) - np.maximum(rgb[:, :, 1], rgb[:, :, 2])
    grey = r.copy()
    grey[redness > REDNESS] = 255
    return grey


def flatten(grey: np.ndarray) -> np.ndarray:
    """Divide out uneven lighting: the background is the page's local brightest level."""
    h, w = grey.shape
    small = cv2.resize(grey, (max(w // 8, 1), max(h // 8, 1)), interpolation=cv2.INTER_AREA)
    background = cv2.dilate(small, np.ones((9, 9), np.uint8))     # text is thinner than 9 × 8 px
    background = cv2.resize(cv2.blur(background, (9, 9)), (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, np.maximum(background, 1), scale=255)


def ink_of(flat: np.ndarray) -> np.ndarray:
    """Ink (1) and paper (0), by Otsu's threshold on the flattened page."""
    _, ink = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


# --- orientation and skew --------------------------------------------------------------------------

def _profile_score(ys: np.ndarray, xs: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """For each angle, how sharply the ink falls into rows when the page is turned by it: the sum
    of squared row counts, highest when text lines are level."""
    rad = np.deg2rad(angles)[:, None]
    rows = np.round(ys[None, :] * np.cos(rad) - xs[None, :] * np.sin(rad)).astype(np.int64)
    rows -= rows.min(axis=1, keepdims=True)
    width = int(rows.max()) + 1
    flat = rows + (np.arange(len(angles)) * width)[:, None]
    counts = np.bincount(flat.ravel(), minlength=len(angles) * width).reshape(len(angles), width)
    return (counts.astype(np.float64) ** 2).sum(axis=1)


def _ink_points(ink: np.ndarray, glyph_limit: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the inked pixels of a quarter-size page; with ``glyph_limit`` (pixels of the
    full page) only of the marks smaller than that: characters, not the table's grid or a seal."""
    small = cv2.resize(ink, None, fx=PROFILE_SCALE, fy=PROFILE_SCALE, interpolation=cv2.INTER_AREA)
    if glyph_limit is not None:
        n, labels, stats, _ = cv2.connectedComponentsWithStats((small > 0).astype(np.uint8), connectivity=8)
        limit = glyph_limit * PROFILE_SCALE
        w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
        # too large, or a long thin piece of a ruling
        drop = (w > limit) | (h > limit) | (np.maximum(w, h) > 3 * np.minimum(w, h)) & (np.maximum(w, h) > limit / 3)
        drop[0] = True
        small = np.where(drop[labels], 0, small)
    ys, xs = np.nonzero(small)
    return ys.astype(np.float64), xs.astype(np.float64)


def _best_angle(ys: np.ndarray, xs: np.ndarray) -> tuple[float, float]:
    """The turn (degrees, positive = counter-clockwise) that levels the rows, and their sharpness."""
    angles = np.arange(-SKEW_LIMIT, SKEW_LIMIT + 1e-9, 0.25)
    scores = _profile_score(ys, xs, angles)
    best = angles[int(scores.argmax())]
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.025)
    fine_scores = _profile_score(ys, xs, fine)
    k = int(fine_scores.argmax())
    return float(fine[k]), float(fine_scores[k])


def text_axis(ink: np.ndarray, dpi: int) -> int:
    """Whether the text lines run across (0) or down (1) the page.

    Lines of characters give the sharpest row profile when they are level; a page turned by 90°
    shows its lines as columns. Only glyph-sized marks count: a table's grid is as sharp either
    way. Up and down (0° against 180°) look alike here; the line classifier tells."""
    ys, xs = _ink_points(ink, GLYPH_LIMIT_PT * pt(dpi))
    if len(ys) == 0:
        return 0
    return 0 if _best_angle(ys, xs)[1] >= _best_angle(xs, ys)[1] else 1


def skew_of(ink: np.ndarray) -> float:
    """The angle (degrees, positive = counter-clockwise) that levels the page's text lines and
    rulings: minus the angle the page was skewed by."""
    ys, xs = _ink_points(ink)
    return _best_angle(ys, xs)[0] if len(ys) else 0.0


def turn(image: np.ndarray, quarter_turns: int, skew: float, fill: int = 255) -> np.ndarray:
    """The page turned counter-clockwise by ``quarter_turns`` × 90° and then levelled by ``skew``."""
    if quarter_turns % 4:
        image = np.ascontiguousarray(np.rot90(image, quarter_turns % 4))
    if abs(skew) < 0.02:
        return image
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)   # OpenCV: positive = counter-clockwise
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=fill)


# --- ruling lines ----------------------------------------------------------------------------------

@dataclass(slots=True)
class Lines:
    horizontal: list[tuple[float, float, float]]   # (y, x0, x1) in pixels
    vertical: list[tuple[float, float, float]]     # (x, y0, y1) in pixels
    mask: np.ndarray                               # their ink, slightly grown


def ruling_lines(ink: np.ndarray, dpi: int) -> Lines:
    """Horizontal and vertical strokes longer than any glyph's: opening with a long thin kernel
    keeps only them. Gaps left by noise or a dropped seal are closed along the line first."""
    length = max(int(RULING_MIN_PT * pt(dpi)), 10)
    bridge = max(int(2 * pt(dpi)), 3)
    out = []
    masks = []
    for kernel, closing in (((length, 1), (bridge, 1)), ((1, length), (1, bridge))):
        closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones(closing[::-1], np.uint8))
        opened = cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones(kernel[::-1], np.uint8))
        masks.append(opened)
        out.append(_segments(opened, horizontal=kernel[0] > 1, max_thick=RULING_MAX_PT * pt(dpi)))
    mask = cv2.dilate(masks[0] | masks[1], np.ones((3, 3), np.uint8))
    horizontal, vertical = out
    return Lines(horizontal, _joined_verticals(vertical, horizontal, dpi), mask)


def _segments(opened: np.ndarray, horizontal: bool, max_thick: float) -> list[tuple[float, float, float]]:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    segments = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        along, across = (w, h) if horizontal else (h, w)
        thickness = area / max(along, 1)
        if thickness > max_thick:
            continue
        # a slightly tilted line is a thin diagonal band: its middle is its position
        if horizontal:
            segments.append((y + h / 2, float(x), float(x + w)))
        else:
            segments.append((x + w / 2, float(y), float(y + h)))
    return segments


def _joined_verticals(vertical, horizontal, dpi: int) -> list[tuple[float, float, float]]:
    """Verticals that meet a horizontal line at an end: table rulings do, glyph strokes and the
    edges of a seal's star do not."""
    tol = 3 * pt(dpi)
    kept = []
    for x, y0, y1 in vertical:
        crossing = [y for y, a, b in horizontal if a - tol <= x <= b + tol]
        if any(abs(y - y0) <= tol or abs(y - y1) <= tol for y in crossing):
            kept.append((x, y0, y1))
    return kept


# --- lines of text -----------------------------------------------------------------------------------

def without_specks(ink: np.ndarray, dpi: int) -> np.ndarray:
    """Ink with the connected components too small to be print (scanner noise, dust) removed."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < SPECK_PT2 * pt(dpi) ** 2
    small[0] = False
    if not small.any():
        return ink
    return np.where(small[labels], 0, ink).astype(np.uint8)


def _runs(profile: np.ndarray) -> list[list[int]]:
    """[start, end) of the runs where the profile is non-zero."""
    on = np.concatenate(([0], (profile > 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(on))
    return [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2])]


def text_bands(ink: np.ndarray, em: float) -> list[list[int]]:
    """Rows of text in a region: runs of inked rows, with the pieces of one line (三's strokes, the
    dot over 六) joined when together they are no taller than a line."""
    bands = _runs(ink.sum(axis=1))
    merged: list[list[int]] = []
    for band in bands:
        if merged and band[1] - merged[-1][0] <= 1.25 * em and band[0] - merged[-1][1] <= 0.4 * em:
            merged[-1][1] = band[1]
        else:
            merged.append(band)
    return merged


def band_segments(ink: np.ndarray, band: list[int], split: bool) -> list[PxBox]:
    """The pieces of one row of text, cut at gaps wider than GAP_EM text heights (``split``) or
    whole; boxes are tight around the ink."""
    y0, y1 = band
    cols = _runs(ink[y0:y1].sum(axis=0))
    if not cols:
        return []
    height = y1 - y0
    pieces = [cols[0][:]]
    for a, b in cols[1:]:
        if not split or a - pieces[-1][1] <= GAP_EM * height:
            pieces[-1][1] = b
        else:
            pieces.append([a, b])
    boxes = []
    for a, b in pieces:
        rows = np.flatnonzero(ink[y0:y1, a:b].any(axis=1))
        boxes.append((a, y0 + int(rows[0]), b, y0 + int(rows[-1]) + 1))
    return boxes


def typical_height(ink: np.ndarray, regions: list[PxBox]) -> float:
    """The height of a line of text over ``regions``: the median of the tall-enough row runs."""
    heights = [b - a for x0, y0, x1, y1 in regions for a, b in _runs(ink[y0:y1, x0:x1].sum(axis=1))]
    heights = [h for h in heights if h >= 4]
    if not heights:
        return 0.0
    tall = [h for h in heights if h >= 0.5 * max(heights)]
    return float(np.median(tall))


def stroke_width(ink: np.ndarray, box: PxBox) -> float:
    """Average stroke thickness in a box: twice the ink area over its outline length."""
    x0, y0, x1, y1 = box
    region = ink[y0:y1, x0:x1]
    area = int(region.sum())
    if not area:
        return 0.0
    edges = int(np.count_nonzero(np.diff(region, axis=0))) + int(np.count_nonzero(np.diff(region, axis=1)))
    return 2 * area / max(edges, 1)
