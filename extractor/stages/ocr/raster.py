"""A scanned page as clean ink: red seal dropped, lighting flattened, turned upright, deskewed; its
ruling lines and its lines of text found by morphology and projection profiles.

Everything here is geometry on numpy arrays (OpenCV for the heavy lifting); what the text says is
``reader.py``'s business. Pixel boxes are (x0, y0, x1, y1) with x1, y1 exclusive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from extractor.geometry.segments import pieces_to_lines

PxBox = tuple[int, int, int, int]

SKEW_LIMIT = 10.0         # degrees searched either way
INK_MAX = 200             # darker than this (paper = 255 after flattening) is ink, whatever Otsu says
SEAL_REDNESS = 50         # a mark this red on average …
SEAL_LIGHT = 170          # … and this light on average is the edge of a seal, not print under it
SEAL_PIXEL_LIGHT = 150    # a pixel that red and this light is seal ink
SEAL_MIN_PT, SEAL_MAX_PT = 80, 170   # a seal's diameter (official ones 40–45 mm, about 120 pt)
RING_PT = 5               # the ring's band, from its outer edge inwards
SEAL_PRINT_GAP = 30       # print under a grey seal is at least this much darker than the seal
RULING_INK = 200          # rulings are looked for in fainter ink: a thin line under a seal fades
RULING_FAINT = 215        # … and followed through ink this faint from where they are that dark
PROFILE_SCALE = 0.25      # skew and orientation are measured on a quarter-size image
GLYPH_LIMIT_PT = 30.0     # marks larger than this are not characters …
GLYPH_MIN_PT = 2.0        # … nor smaller than this (dots, commas, specks)
AXIS_GLYPH = 0.8          # the axis is told by marks this share of a Han character's size or larger …
AXIS_GAP = 0.6            # … and set this close (in their size) to their nearest neighbour
RULING_MIN_PT = 25.0      # a horizontal ruling is at least this long: longer than any glyph stroke …
VERTICAL_MIN_PT = 14.0    # … a vertical one this long (one table row), longer than a table glyph's stroke
RULING_MAX_PT = 3.0       # … and at most this thick
JOIN_PT = 4.0             # pieces of a ruling this close are one line
BILEVEL = 0.002           # a page with fewer grey pixels than this share is black and white …
DASH_MIN_PT = 8.0         # … its horizontal rulings found in dashes this long …
DASH_JOIN_PT = 8.0        # … joined across gaps this wide
FLANK_NEAR_PT = 1.5       # a vertical's own ink reaches this far from its middle; ink beyond it …
FLANK_PT = 2.5            # … and this much further on both sides …
FLANKED = 0.2             # … in this share of its rows, and on one side in this share …
FLANKED_ONE = 0.4         # … (its character beside it; a cell's text touching a divider seldom is) …
FLANKED_BOTH = 0.3        # … or on both sides in this share, is a character's stroke, not a divider …
FLANK_MAX_PT = 60.0       # … if it is no longer than this (a row; a longer one is a divider)
CLOSED_PT = 2.0           # a stretch ending this near a crossing ruling reaches it: a glyph's stroke stops short
DIVIDER_REACH_PT = 1.2    # a divider too short to be found is looked for this far either side of where one is due …
DIVIDER_ENDS_PT = 1.5     # … inked in every row this near either ruling …
DIVIDER_COVER = 0.9       # … and in this share of the rows from ruling to ruling
MIN_LINE_PT = 3.0         # runs of inked rows lower than this are strokes or marks, not lines
GLYPH_PART = 0.8          # a run of ink lower than this (in text heights) is a part of a character …
GLYPH_SQUARE = 1.25       # … joined to the next if together no taller than this many times as wide
NARROW_EM = 3.0           # … in ink no wider than this many times its height (a narrow cell's)
STACKED = 1.6             # a run of ink this many times as high as wide is characters stacked
GAP_EM = 0.8              # as ingest.BLOCK_GAP_EM: a gap this wide (in text heights) starts a block
SPECK_PT2 = 0.4           # ink components smaller than this (pt²) are noise


def pt(dpi: int) -> float:
    """Pixels per point."""
    return dpi / 72.0


# --- clean ink ------------------------------------------------------------------------------------

def drop_red(rgb: np.ndarray) -> np.ndarray:
    """Grey levels with the seal gone: the red channel, in which red ink is nearly as light as
    paper while black print stays black, also where the seal covers it. No hue test: JPEG's
    coarse colour bleeds red into the thin black rulings under a seal, and one would erase them."""
    return cv2.extractChannel(rgb, 0)


def flatten(grey: np.ndarray) -> np.ndarray:
    """Divide out uneven lighting: the background is the page's local brightest level."""
    h, w = grey.shape
    small = cv2.resize(grey, (max(w // 8, 1), max(h // 8, 1)), interpolation=cv2.INTER_AREA)
    background = cv2.dilate(small, np.ones((9, 9), np.uint8))     # text is thinner than 9 × 8 px
    background = cv2.resize(cv2.blur(background, (9, 9)), (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, np.maximum(background, 1), scale=255)


def ink_of(flat: np.ndarray) -> np.ndarray:
    """Ink (1) and paper (0), by Otsu's threshold on the flattened page, at most INK_MAX: on a
    page of mostly paper Otsu may split the paper from faint traces (a seal's edges, noise)."""
    otsu, ink = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if otsu > INK_MAX:
        _, ink = cv2.threshold(flat, INK_MAX, 1, cv2.THRESH_BINARY_INV)
    return ink


# --- orientation and skew --------------------------------------------------------------------------

def _profile_score(ys: np.ndarray, xs: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """For each angle, how sharply the ink falls into rows when the page is turned by it: the sum
    of squared row counts, highest when text lines are level. One angle at a time: the arrays of
    all angles at once, as large as the page's ink times the angles, run out of the cache."""
    scores = np.empty(len(angles))
    for k, angle in enumerate(np.deg2rad(angles)):
        rows = np.rint(ys * np.cos(angle) - xs * np.sin(angle)).astype(np.int64)
        scores[k] = (np.bincount(rows - rows.min()).astype(np.float64) ** 2).sum()
    return scores


def _ink_points(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of the inked pixels of a quarter-size page."""
    # averaged as grey, then any ink at all: a thin ruling or stroke averaged as 0/1 would round away
    small = (cv2.resize(ink * 255, None, fx=PROFILE_SCALE, fy=PROFILE_SCALE, interpolation=cv2.INTER_AREA) > 0)
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


def text_axis(ink: np.ndarray, dpi: int) -> tuple[int, float]:
    """Whether the text lines run across (0) or down (1) the page, and the share of the votes for
    across (near 0.5: the page does not say clearly).

    A character's nearest neighbour is mostly the next one along its line (or its other half:
    side-by-side radicals outnumber stacked ones), seldom one a line gap above or below. Only
    marks of a character's size and shape count, not a table's grid, a seal, dots, commas or the
    digits (small beside Han characters), and only neighbours set closer than a character's size:
    on a table page a lone "0" in a cell has its nearest neighbour in the next row, which says
    nothing of the lines. The row profile, sharp either way on a page of tables, was wrong on a
    quarter of scanned pages. Up and down (0° against 180°) look alike here; the line classifier
    tells."""
    from scipy.spatial import cKDTree

    _, _, stats = components(ink)
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    size = np.maximum(w, h)
    glyph = (size < GLYPH_LIMIT_PT * pt(dpi)) & (size >= GLYPH_MIN_PT * pt(dpi)) & (size < 3 * np.minimum(w, h) + 3)
    if glyph.sum() < 3:
        return 0, 0.5
    glyph &= size >= AXIS_GLYPH * np.quantile(size[glyph], 0.75)
    centres = np.c_[stats[1:, cv2.CC_STAT_LEFT] + w / 2, stats[1:, cv2.CC_STAT_TOP] + h / 2][glyph]
    w, h = w[glyph], h[glyph]
    if len(centres) < 3:
        return 0, 0.5
    _, nearest = cKDTree(centres).query(centres, k=2)
    j = nearest[:, 1]
    step = np.abs(centres[j] - centres)
    across = step[:, 0] > step[:, 1]
    gap = np.where(across, step[:, 0] - (w + w[j]) / 2, step[:, 1] - (h + h[j]) / 2)
    close = gap < AXIS_GAP * np.maximum(w, h)
    if close.sum() < 3:
        return 0, 0.5
    share = float(across[close].mean())
    return (0 if share >= 0.5 else 1), share


def skew_of(ink: np.ndarray) -> float:
    """The angle (degrees, positive = counter-clockwise) that levels the page's text lines and
    rulings: minus the angle the page was skewed by."""
    ys, xs = _ink_points(ink)
    return _best_angle(ys, xs)[0] if len(ys) else 0.0


def turn(image: np.ndarray, quarter_turns: int, skew: float, fill: int | tuple[int, ...] = 255) -> np.ndarray:
    """The page turned counter-clockwise by ``quarter_turns`` × 90° and then levelled by ``skew``."""
    if quarter_turns % 4:
        image = np.ascontiguousarray(np.rot90(image, quarter_turns % 4))
    if abs(skew) < 0.02:
        return image
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)   # OpenCV: positive = counter-clockwise
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=fill)   # paper comes in at the corners


# --- a photographed page squared --------------------------------------------------------------------

KEYSTONE_LINE = 0.25      # a ruling that squares a page spans at least this share of the page …
KEYSTONE_SLANT = 3.0      # … and is within this many degrees of level or upright, once levelled
KEYSTONE_FRAME = 0.5      # the frame they make is at least this share of the page's width
KEYSTONE_MIN_PX = 6.0     # a keystone that moves no corner of the table frame this far is left alone
KEYSTONE_SCALE = 4        # the rulings are looked for at a quarter of the page's resolution
KEYSTONE_EDGE = 0.015     # and not this near the image's edge (the sheet's edge is no ruling)
KEYSTONE_LINES = 12       # the longest this many of each way are fitted again and held against the squaring
KEYSTONE_GAIN = 0.7       # a squaring is taken when it leaves the page's rulings this much of their slant or less
KEYSTONE_THIN = 0.5       # a ruling is a thin line of ink, alone, in at least this share of the rows along it


def keystone(flat: np.ndarray) -> np.ndarray | None:
    """The homography that squares a photographed page (the camera not square to the sheet: the
    tables' rulings converge), or None for a page that is square already or has no table.

    Levelling turns a page as a whole, and a keystone is left in it: verticals that lean apart,
    horizontals that open up, a degree or so at the corners, enough that the openings find a
    ruling only in pieces and leave its stair steps in the cells. The outermost long rulings,
    two upright and two level, meet in the corners of a quadrilateral; mapped to the rectangle
    through their mean positions, they come out straight, and every line of the same sheet with
    them."""
    # each pixel of the small page the darkest of its block: averaged, a thin ruling fades into
    # the paper beside it and is found in pieces or not at all
    small = cv2.erode(flat, np.ones((KEYSTONE_SCALE, KEYSTONE_SCALE), np.uint8),
                      anchor=(0, 0))[::KEYSTONE_SCALE, ::KEYSTONE_SCALE]
    _, ink = cv2.threshold(small, RULING_INK, 255, cv2.THRESH_BINARY_INV)
    h, w = ink.shape
    found = cv2.HoughLinesP(ink, 1, np.pi / 720, threshold=round(KEYSTONE_LINE * min(h, w)),
                            minLineLength=round(KEYSTONE_LINE * min(h, w)), maxLineGap=3)
    if found is None:
        return None
    upright, level = [], []
    edge = KEYSTONE_EDGE * max(h, w)
    for x0, y0, x1, y1 in found.reshape(-1, 4).astype(float).tolist():
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0)) % 180
        if min(x0, x1, y0, y1) < edge or max(x0, x1) > w - edge or max(y0, y1) > h - edge:
            continue   # the sheet's own edge, or the scanner's lid beyond it
        if abs(angle - 90) <= KEYSTONE_SLANT:
            upright.append((x0, y0, x1, y1) if y0 < y1 else (x1, y1, x0, y0))
        elif min(angle, 180 - angle) <= KEYSTONE_SLANT:
            level.append((x0, y0, x1, y1) if x0 < x1 else (x1, y1, x0, y0))
    if len(upright) < 2 or len(level) < 2:
        return None
    _, full = cv2.threshold(flat, RULING_INK, 1, cv2.THRESH_BINARY_INV)

    def longest(lines: list, along: int) -> list:
        return sorted(lines, key=lambda s: s[along] - s[along + 2])[:KEYSTONE_LINES]

    upright = [line for s in longest(upright, 1) if (line := _refined(full, s, upright=True))]
    level = [line for s in longest(level, 0) if (line := _refined(full, s, upright=False))]
    if len(upright) < 2 or len(level) < 2:
        return None
    left, right = min(upright, key=lambda s: s[0] + s[2]), max(upright, key=lambda s: s[0] + s[2])
    top, bottom = min(level, key=lambda s: s[1] + s[3]), max(level, key=lambda s: s[1] + s[3])
    # a frame as wide as the text (a table of the report), not a piece of one: drawn out across
    # the page, a narrow frame's error grows with the distance
    if ((right[0] + right[2]) / 2 - (left[0] + left[2]) / 2 < KEYSTONE_FRAME * w * KEYSTONE_SCALE
            or (bottom[1] + bottom[3]) / 2 - (top[1] + top[3]) / 2 < KEYSTONE_LINE * h * KEYSTONE_SCALE):
        return None
    corners = [_crossing(a, b) for a, b in ((left, top), (right, top), (right, bottom), (left, bottom))]
    if any(c is None for c in corners):
        return None
    x_left, x_right = (left[0] + left[2]) / 2, (right[0] + right[2]) / 2
    y_top, y_bottom = (top[1] + top[3]) / 2, (bottom[1] + bottom[3]) / 2
    square = np.array([[x_left, y_top], [x_right, y_top], [x_right, y_bottom], [x_left, y_bottom]], np.float32)
    quad = np.array(corners, np.float32)
    if np.abs(quad - square).max() < KEYSTONE_MIN_PX:
        return None
    homography = cv2.getPerspectiveTransform(quad, square)
    # four lines fix a homography, one of them wrong (a row of text, a seal's edge) a wrong one:
    # it must square the page's other rulings too, not only its own four
    segments = np.array(upright + level, np.float32).reshape(-1, 2, 2)
    kinds = np.array([True] * len(upright) + [False] * len(level))
    if _slant(cv2.perspectiveTransform(segments, homography), kinds) >= KEYSTONE_GAIN * _slant(segments, kinds):
        return None
    return homography


def _slant(segments: np.ndarray, upright: np.ndarray) -> float:
    """How far the segments are from upright (or level) end to end, in pixels: their median."""
    across = np.where(upright, segments[:, 1, 0] - segments[:, 0, 0], segments[:, 1, 1] - segments[:, 0, 1])
    return float(np.median(np.abs(across)))


def _refined(ink: np.ndarray, line: tuple, upright: bool) -> tuple[float, float, float, float] | None:
    """A ruling found at a quarter of the resolution, fitted again at the full one: the middle of
    its ink across it, every few pixels along it, by least squares (a quarter-resolution line is
    sure to 4 px, and a corner is found by drawing it out across the page). None if it is a thin
    line of ink in too few of its rows: the step from paper to dark of the sheet's edge or of
    the shadow beside it, which looks a line at a quarter of the resolution and which no ruling
    stands square to, or a column of text."""
    x0, y0, x1, y1 = (v * KEYSTONE_SCALE for v in line)
    if not upright:   # the same fit on the page turned on its side
        ink, (x0, y0, x1, y1) = ink.T, (y0, x0, y1, x1)
    reach = 2 * KEYSTONE_SCALE
    ys = np.arange(int(y0), int(y1), KEYSTONE_SCALE)
    starts = (x0 + (x1 - x0) * (ys - y0) / max(y1 - y0, 1)).astype(int) - reach
    columns = starts[:, None] + np.arange(2 * reach + 1)
    inside = (columns >= 0) & (columns < ink.shape[1])
    window = ink[ys[:, None], np.clip(columns, 0, ink.shape[1] - 1)] * inside
    count = window.sum(axis=1)
    alone = (count > 0) & (count <= reach)   # the ruling alone, not a cell's text or a crossing line's length
    if alone.sum() < max(8, KEYSTONE_THIN * len(alone)):
        return None
    across = (window * columns).sum(axis=1)[alone] / count[alone]
    slope, at = np.polyfit(ys[alone], across, 1)
    x0, x1 = at + slope * y0, at + slope * y1
    return (x0, y0, x1, y1) if upright else (y0, x0, y1, x1)


def _crossing(a: tuple, b: tuple) -> tuple[float, float] | None:
    """Where the lines through segments ``a`` and ``b`` meet."""
    (x1, y1, x2, y2), (x3, y3, x4, y4) = a, b
    d = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(d) < 1e-9:
        return None
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / d
    return x1 + t * (x2 - x1), y1 + t * (y2 - y1)


def squared(image: np.ndarray, homography: np.ndarray, fill: int | tuple[int, ...] = 255) -> np.ndarray:
    """The page squared by ``keystone``'s homography (paper comes in at the edges)."""
    h, w = image.shape[:2]
    return cv2.warpPerspective(image, homography, (w, h), flags=cv2.INTER_LINEAR, borderValue=fill)


# --- ruling lines ----------------------------------------------------------------------------------

@dataclass(slots=True)
class Lines:
    horizontal: list[tuple[float, float, float]]   # (y, x0, x1) in pixels
    vertical: list[tuple[float, float, float]]     # (x, y0, y1) in pixels
    mask: np.ndarray                               # their ink, slightly grown
    loose: list[tuple[float, float, float]]        # horizontals that met no vertical, as (y, x0, x1)
    opened: np.ndarray                             # the ink the long kernels kept


def ruling_lines(flat: np.ndarray, ink: np.ndarray, dpi: int, red: np.ndarray | None = None,
                 dashed: bool = False) -> Lines:
    """Horizontal and vertical strokes longer than any glyph's: opening with a long thin kernel
    keeps only them. Pieces of one line broken by noise or a seal are joined afterwards, never
    by closing the ink first, which would fuse a row of characters' strokes into a line. A
    vertical beside print (``ink``, the page's ``ink_of``; not a seal's light red) is a
    character's stroke (``_unflanked``)."""
    _, dark = cv2.threshold(flat, RULING_INK, 1, cv2.THRESH_BINARY_INV)
    _, faint = cv2.threshold(flat, RULING_FAINT, 1, cv2.THRESH_BINARY_INV)
    # a black-and-white page (a fax) has no grey to carry a thin line from row to row: a ruling
    # a little aslant comes in dashes, each a stair of the line; they are found shorter and
    # joined across wider gaps, and the line must still be as long as a ruling (``dashed``: the
    # page as it came was ``binarised``; turned level, its edges are grey)
    across = DASH_MIN_PT if dashed else RULING_MIN_PT
    masks, found = [], []
    for kernel in ((round(across * pt(dpi)), 1), (1, round(VERTICAL_MIN_PT * pt(dpi)))):
        level = kernel[0] > 1
        # a thin line photographed, blurred and compressed is lighter than RULING_INK in places
        # and breaks into pieces shorter than the kernel: it is found in fainter ink, and taken
        # where a piece of it is a line in RULING_INK too (as Canny follows an edge from its
        # strong pixels): fainter ink alone, a row of text's halo or the paper's grain, is no
        # line. The lines in RULING_INK are kept as well: a ruling along a shaded cell is one
        # thick band with the shading in fainter ink
        opened = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones(kernel[::-1], np.uint8))
        cores = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones(kernel[::-1], np.uint8))
        mask, segments = _lines_in(opened, cores, level, RULING_MAX_PT * pt(dpi))
        masks.append(mask)
        found.append(segments + _lines_in(cores, cores, level, RULING_MAX_PT * pt(dpi))[1])
    tol = JOIN_PT * pt(dpi)
    horizontal = pieces_to_lines(found[0], DASH_JOIN_PT * pt(dpi) if dashed else tol)
    vertical = pieces_to_lines(found[1], tol)
    if dashed:
        horizontal = [h for h in horizontal if h[2] - h[1] >= RULING_MIN_PT * pt(dpi)]
    printed = ink & (1 - cv2.dilate(masks[0], np.ones((5, 1), np.uint8)))
    if red is not None:
        printed[(red > SEAL_REDNESS) & (flat > SEAL_PIXEL_LIGHT)] = 0
    vertical = _unflanked(vertical, horizontal, printed, dpi)
    vertical = _meeting(vertical, horizontal, tol)
    met = _meeting(horizontal, vertical, tol)
    loose = [h for h in horizontal if h not in met]
    opened = np.bitwise_or(masks[0], masks[1])
    # the ink to erase: what the openings kept, near a ruling that survived (a heading's long
    # vertical strokes survive the opening but belong to no ruling)
    return Lines(met, vertical, _erased(opened, met, vertical, dpi), loose, opened)


def _erased(opened: np.ndarray, horizontal, vertical, dpi: int) -> np.ndarray:
    """The ink of the rulings ``horizontal`` and ``vertical`` in ``opened``, grown by a pixel."""
    zone = np.zeros_like(opened)
    band = max(round(RULING_MAX_PT * pt(dpi)), 3)
    for y, a, b in horizontal:
        cv2.line(zone, (round(a), round(y)), (round(b), round(y)), 1, band)
    for x, a, b in vertical:
        cv2.line(zone, (round(x), round(a)), (round(x), round(b)), 1, band)
    return cv2.dilate(opened & zone, np.ones((3, 3), np.uint8))


def with_dividers(lines: Lines, flat: np.ndarray, ink: np.ndarray, due: list[tuple[float, float, float]],
                  dpi: int) -> Lines:
    """``lines`` with the dividers found where they are ``due`` (``(x, y0, y1)`` in pixels, y0 and y1
    the rulings they would join; ``geometry.grid.unseen_dividers``): a divider one row long in a
    tight table is shorter than the vertical kernel, which must be longer than a glyph's stroke.
    Where one is due, a divider is there when one column of ink (give or take a pixel) runs from
    ruling to ruling beside that place: touching both, where a glyph's stroke mostly stops short
    of one, and inked in nearly every row between (JPEG thins a line); and it is no stroke by its
    flanks, as ``_unflanked`` judges a stretch standing alone: paper on both sides but in a few
    rows (the first stroke of 信 in a row as tight as its text touches both rulings, its
    character's ink beside it). The loose horizontals it meets are rulings again. ``ink`` is the
    page's ``ink_of``."""
    s = pt(dpi)
    tol = JOIN_PT * s
    _, dark = cv2.threshold(flat, RULING_INK, 1, cv2.THRESH_BINARY_INV)
    printed = ink & (1 - cv2.dilate(lines.opened, np.ones((5, 1), np.uint8)))
    reach, ends = round(DIVIDER_REACH_PT * s), max(round(DIVIDER_ENDS_PT * s), 1)
    h, w = dark.shape
    found = []
    for x, a, b in due:
        if any(abs(vx - x) <= tol and va <= (a + b) / 2 <= vb for vx, va, vb in lines.vertical):
            continue    # seen already
        y0, y1, xi = max(round(a), 0), min(round(b) + 1, h), round(x)
        x0, x1 = max(xi - reach - 1, 0), min(xi + reach + 2, w)
        if y1 - y0 < 2 * ends + 3 or x1 - x0 < 3:
            continue
        strip = dark[y0:y1, x0:x1].astype(bool)
        # a line a pixel or two wide and a little aslant: each row inked at the column or beside it
        near = strip[:, :-2] | strip[:, 1:-1] | strip[:, 2:]
        # touching both: inked in every row from a pixel off either ruling's middle (where a thin
        # ruling's one row of ink may lie, rounded) to ``ends`` further in
        joined = near[1:1 + ends].all(axis=0) & near[-1 - ends:-1].all(axis=0)
        cover = np.where(joined, near.mean(axis=0), 0.0)
        best = int(cover.argmax())
        if cover[best] < DIVIDER_COVER:
            continue
        at = x0 + best + 1
        flanks = _flanks(at, a, b, printed, s)
        if flanks is not None and (flanks[0] >= FLANKED_BOTH or flanks[1] >= FLANKED_ONE):
            continue
        found.append((float(at), float(a), float(b)))
    if not found:
        return lines
    vertical = lines.vertical + found
    horizontal = lines.horizontal + _meeting(lines.loose, found, tol)
    loose = [h for h in lines.loose if h not in horizontal]
    line_ink = lines.opened | _drawn(dark, found, dpi)
    return Lines(horizontal, vertical, _erased(line_ink, horizontal, vertical, dpi), loose, line_ink)


def _drawn(ink: np.ndarray, vertical, dpi: int) -> np.ndarray:
    """The ink of short verticals: the runs down their band at least half their length (as the
    vertical opening keeps a longer ruling's, not the text beside it)."""
    out = np.zeros_like(ink)
    band = max(round(RULING_MAX_PT * pt(dpi)), 3)
    for x, a, b in vertical:
        y0, y1, x0, x1 = round(a), round(b) + 1, max(round(x) - band, 0), round(x) + band + 1
        out[y0:y1, x0:x1] |= cv2.morphologyEx(ink[y0:y1, x0:x1], cv2.MORPH_OPEN,
                                              np.ones((max((y1 - y0) // 2, 1), 1), np.uint8))
    return out


def binarised(flat: np.ndarray) -> bool:
    """Whether a page is black and white only (a fax, a bilevel scan): almost no pixel is grey."""
    grey = np.count_nonzero((flat > 40) & (flat < 215))
    return bool(grey < BILEVEL * flat.size)


def _unflanked(vertical, horizontal, ink: np.ndarray, dpi: int) -> list[tuple[float, float, float]]:
    """The verticals that are dividers, not glyph strokes: in a table row set as tight as its
    text (a LibreOffice header), blur and JPEG join a character's upright stroke to the rulings
    above and below it, and it is as long as the row; one in line with a divider is joined to
    it. A divider has paper on both sides but where a cell's text touches it; a stroke has its
    own character's ink beside it: on one side in most of its rows, on both in many. Each row's
    stretch of a vertical (between the horizontals crossing it) is judged alone, and only the
    stretches that are dividers are kept. A stretch standing alone (a divider of one row that
    none above or below continues) is a stroke already if one side is inked; one open at an
    end (reaching into a row without closing it) if it is shorter than a row or one side is. ``ink`` is without the horizontal rulings."""
    s = pt(dpi)
    tol, reach = JOIN_PT * s, CLOSED_PT * s
    kept = []
    for x, a, b in vertical:
        crossing = sorted({y for y, c, d in horizontal if c - tol <= x <= d + tol and a - tol <= y <= b + tol})
        cuts = sorted({a, b} | {y for y in crossing if a < y < b})
        stretches = []
        for c, d in zip(cuts, cuts[1:]):
            flanks = _flanks(x, c, d, ink, s)
            closed = all(any(abs(y - e) <= reach for y in crossing) for e in (c, d))
            if flanks is None:
                stretches.append([c, d, None, 0.0])
            else:
                both, one = flanks
                stroke = both >= FLANKED_BOTH or (both >= FLANKED and one >= FLANKED_ONE)
                # open, it is shorter than a row: a character's stroke reaching a divider
                opened = not closed and (d - c < VERTICAL_MIN_PT * s or one >= FLANKED_ONE)
                stretches.append([c, d, not stroke and not opened, one])
        # the ends beyond the outermost rulings, a ruling's width or two, go with their neighbour
        for i, stretch in enumerate(stretches):
            if stretch[2] is None:
                near = [stretches[j][2] for j in (i - 1, i + 1) if 0 <= j < len(stretches)]
                stretch[2] = bool(near) and any(near)
        runs, run = [], []
        for stretch in stretches + [[0, 0, False, 0.0]]:
            if stretch[2]:
                run.append(stretch)
            elif run:
                runs.append(run)
                run = []
        for run in runs:
            measured = [r for r in run if r[1] - r[0] > 2 * RULING_MAX_PT * s]
            if len(measured) == 1 and measured[0][3] >= FLANKED_ONE:
                continue
            kept.append((x, run[0][0], run[-1][1]))
    return kept


def _flanks(x: float, a: float, b: float, ink: np.ndarray, s: float) -> tuple[float, float] | None:
    """For the stretch of a vertical from ``a`` to ``b`` (pixels): the share of its rows with ink
    beside it on both sides, and the larger share on one side; None if it is too short to tell
    (a divider's end beyond the last ruling)."""
    near, reach, trim = round(FLANK_NEAR_PT * s), round(FLANK_PT * s), RULING_MAX_PT * s
    y0, y1 = int(a + trim), int(math.ceil(b - trim))
    if y1 - y0 < 2:
        return None
    if b - a > FLANK_MAX_PT * s:
        return 0.0, 0.0
    w = ink.shape[1]
    xi = int(round(x))
    left = ink[y0:y1, max(xi - near - reach, 0):max(xi - near, 0)].any(axis=1)
    right = ink[y0:y1, min(xi + near + 1, w):min(xi + near + 1 + reach, w)].any(axis=1)
    return float(np.count_nonzero(left & right)) / (y1 - y0), float(max(left.mean(), right.mean()))


def _meeting(lines, across, tol: float) -> list[tuple[float, float, float]]:
    """The lines that meet a line of the other direction at one of their ends: a table's rulings
    do; glyph strokes, underlines and the edges of a seal's star do not."""
    kept = []
    for pos, a, b in lines:
        crossing = [p for p, c, d in across if c - tol <= pos <= d + tol]
        if any(abs(p - a) <= tol or abs(p - b) <= tol for p in crossing):
            kept.append((pos, a, b))
    return kept


# --- lines of text -----------------------------------------------------------------------------------

def redness(rgb: np.ndarray) -> np.ndarray:
    """How much redder than green and blue each pixel is (0–255)."""
    # a channel at a time: cv2.split of a page takes four times as long (16 ms against 4)
    r, g, b = (cv2.extractChannel(rgb, i) for i in range(3))
    return cv2.subtract(r, cv2.max(g, b))     # saturates at 0


def print_ink(ink: np.ndarray, flat: np.ndarray, red: np.ndarray | None, dpi: int) -> tuple[np.ndarray, np.ndarray]:
    """(print, seal marks): the ink without components too small to be print (noise, dust), split
    into print and the marks both red and light on average (the darker edges of a seal). Print
    under a seal is dark, though JPEG's coarse colour tints its thin strokes red; faint print is
    grey, not red. ``red`` is None on a page with no mark red enough to be seal."""
    n, labels, stats = components(ink)
    # the sums run over the inked pixels only: a page is mostly paper
    ys, xs = np.nonzero(ink)
    label = labels[ys, xs]
    area = np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    speck = area < SPECK_PT2 * pt(dpi) ** 2
    seal = np.zeros(n, bool)
    if red is not None:
        mean_red = np.bincount(label, weights=red[ys, xs], minlength=n) / area
        mean_grey = np.bincount(label, weights=flat[ys, xs], minlength=n) / area
        seal = ~speck & (mean_red > SEAL_REDNESS) & (mean_grey > SEAL_LIGHT)
    printed = ~speck & ~seal
    out = np.zeros_like(ink), np.zeros_like(ink)
    out[0][ys, xs], out[1][ys, xs] = printed[label], seal[label]
    _lift_rings(out, labels, stats, flat, dpi)
    return out


def _lift_rings(out: tuple[np.ndarray, np.ndarray], labels: np.ndarray, stats: np.ndarray,
                flat: np.ndarray, dpi: int) -> None:
    """A seal scanned in grey is not told by its colour, but by its shape and its ink: a ring the
    size of a seal, sparse, printed in one grey. Its ring, and whatever inside it is no darker
    than that grey (the star, the name around the rim), move from print to seal marks; print
    inside it (the signature, the date) is darker and stays."""
    s = pt(dpi)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(w * h, 1)
    rings = np.nonzero((w >= SEAL_MIN_PT * s) & (h >= SEAL_MIN_PT * s) & (w <= SEAL_MAX_PT * s)
                       & (np.abs(w - h) <= 0.2 * np.maximum(w, h)) & (fill < 0.25))[0]
    for i in rings[rings > 0]:
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        box = (slice(y, y + bh), slice(x, x + bw))
        yy, xx = np.mgrid[0:bh, 0:bw]
        r, centre = (bw + bh) / 4, np.hypot(xx - bw / 2, yy - bh / 2)
        inside = centre < r
        band = (labels[box] == i) & (centre >= r - RING_PT * s)
        if not band.any():
            continue
        grey = float(np.median(flat[box][band]))
        lifted = (band | (inside & (flat[box] > grey - SEAL_PRINT_GAP))) & (out[0][box] > 0)
        out[0][box][lifted] = 0
        out[1][box][lifted] = 255


def components(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components: (count with the background, labels, stats). BBDT computes the
    stats several times faster than OpenCV's default algorithm."""
    n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(binary, 8, cv2.CV_32S, cv2.CCL_BBDT)
    return n, labels, stats


def _lines_in(opened: np.ndarray, cores: np.ndarray, horizontal: bool,
              max_thick: float) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """The lines of ``opened`` (0/1) that hold a pixel of ``cores`` (a mask within it): their mask,
    and the segments of those no thicker than ``max_thick``, (y, x0, x1) across or (x, y0, y1)
    down, each at its middle (a slightly tilted line is a thin diagonal band). The 8-connected
    components are labelled band by band, each a run of rows (of columns, for vertical lines)
    holding ink, which no line crosses: labelling the whole page costs a pass over its four
    megapixels and a label image as large for a few dozen lines."""
    if not horizontal:   # vertical lines are found as horizontal ones of the page on its side
        opened, cores = cv2.transpose(opened), cv2.transpose(cores)
    kept = np.zeros_like(opened)
    segments = []
    for a, b in _runs(opened.max(axis=1)):
        n, labels, stats = components(opened[a:b])
        held = np.bincount(labels[cores[a:b] > 0], minlength=n) > 0
        held[0] = False
        kept[a:b] = held[labels]
        for x, y, w, h, area in stats[held].tolist():
            if area / max(w, 1) <= max_thick:
                segments.append((y + a + h / 2, float(x), float(x + w)))
    return (kept if horizontal else cv2.transpose(kept)), segments


def _runs(profile: np.ndarray) -> list[list[int]]:
    """[start, end) of the runs where the profile is non-zero."""
    on = np.concatenate(([0], (profile > 0).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(on))
    return [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2])]


def text_bands(ink: np.ndarray, em: float) -> list[list[int]]:
    """Rows of text in a region: runs of inked rows, with the pieces of one line (三's strokes, the
    dot over 六) joined when together they are no taller than a line, or when one of them is
    lower than a line (a part of a character: 总's 心 under its 口) and together they are about
    as high as wide: a Han character is taller than the digits that set ``em`` in most cells,
    and characters stacked one per line in a narrow cell must stay apart."""
    bands = _runs(ink.sum(axis=1))
    merged: list[list[int]] = []
    for band in bands:
        if merged and band[0] - merged[-1][1] <= 0.4 * em and (
                band[1] - merged[-1][0] <= 1.25 * em
                or (min(band[1] - band[0], merged[-1][1] - merged[-1][0]) < GLYPH_PART * em
                    and band[1] - merged[-1][0] <= GLYPH_SQUARE * _glyph_width(ink[merged[-1][0]:band[1]]))):
            merged[-1][1] = band[1]
        else:
            merged.append(band)
    return [part for band in merged for part in _unstacked(ink, band, em)]


def _unstacked(ink: np.ndarray, band: list[int], em: float) -> list[list[int]]:
    """A run of rows one character wide and several high (characters stacked one per line, so
    close that blur joined them) cut into characters, each at the thinnest row near where it
    should end: Han characters are square."""
    y0, y1 = band
    width = _glyph_width(ink[y0:y1])
    # a character is at least a digit's height wide (a thin tall mark is a stroke or a bar)
    if width < 0.6 * em or y1 - y0 <= 1.5 * em or y1 - y0 < STACKED * width:
        return [band]
    n = round((y1 - y0) / width)
    profile = ink[y0:y1].sum(axis=1)
    step = (y1 - y0) / n
    cuts = [y0]
    for k in range(1, n):
        lo, hi = round(k * step - 0.3 * step), max(round(k * step + 0.3 * step), round(k * step - 0.3 * step) + 1)
        cuts.append(y0 + lo + int(np.argmin(profile[lo:hi])))
    cuts.append(y1)
    return [[a, b] for a, b in zip(cuts, cuts[1:])]


def _glyph_width(rows: np.ndarray) -> int:
    """The widest run of inked columns in these rows: a character's width (or a few touching),
    0 where the ink spans more than a narrow cell's few characters (a line of running text)."""
    runs = _runs(rows.sum(axis=0))
    if not runs or runs[-1][1] - runs[0][0] > NARROW_EM * rows.shape[0]:
        return 0
    return max(b - a for a, b in runs)


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


def typical_height(ink: np.ndarray, regions: list[PxBox], dpi: int) -> float:
    """The height of a line of text over ``regions``: the median height of the runs of inked rows
    (most are whole lines; the strokes of 二 or 三 and the runs of a few lines set tight are rare)."""
    heights = [b - a for x0, y0, x1, y1 in regions for a, b in _runs(ink[y0:y1, x0:x1].sum(axis=1))]
    heights = [h for h in heights if h >= MIN_LINE_PT * pt(dpi)]
    return float(np.median(heights)) if heights else 0.0


def stroke_width(ink: np.ndarray, box: PxBox) -> float:
    """Average stroke thickness in a box: twice the ink area over its outline length."""
    x0, y0, x1, y1 = box
    region = ink[y0:y1, x0:x1]
    area = int(region.sum())
    if not area:
        return 0.0
    edges = int(np.count_nonzero(np.diff(region, axis=0))) + int(np.count_nonzero(np.diff(region, axis=1)))
    return 2 * area / max(edges, 1)
