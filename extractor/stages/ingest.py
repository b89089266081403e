"""Stage 1: a PDF's pages as text blocks and ruling lines.

Characters come from PyMuPDF's ``rawdict`` and are rebuilt into lines by geometry alone: chars
sharing a baseline form a line, sorted by x. The content-stream order is not trusted, because
Word places whole runs, WPS places one character at a time, and real reports draw table parts
after later prose. Each line is cut into ``Block``s at vertical rulings and at wide gaps, so
numbers in adjacent cells never glue together. A page's blocks come line by line, top to bottom
and left to right; blocks of vertical text (labels turned 90° in tall cells) follow them. Text
at other angles (watermarks, stamps) is left out, and so is text no reader sees (``page_chars``):
a scan that scanner software or Acrobat gave an invisible text layer of its own OCR is read from its
image, as any scan.

Ruling lines come from the page's vector drawings: stroked axis-parallel lines, thin filled
rectangles, and the edges of rectangles (tables drawn as cell rectangles), merged where collinear.

A page whose text layer is garbage (unmapped glyphs, private-use code points, mojibake, Han
characters from a wrong ToUnicode map) or missing (a scan) is marked ``text_layer="none"`` with
no blocks and ``needs_ocr`` saying why: its text is never passed on. Reading such pages, and
pictures with no text over them, from their image is the next stage's (``stages/ocr``).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import operator
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from extractor.errors import InputError
from extractor.geometry.segments import segments_to_lines
from extractor.limits import Limits, exceeded, is_out_of_memory, out_of_memory
from extractor.sanitize import clean_message, clean_text
from extractor.types import BBox, Block, Document, Page, Ruling

# Ligatures and whitespace as printed; no MuPDF-generated spaces (spacing is decided here, from
# geometry); no images; and no TEXT_CID_FOR_UNKNOWN_UNICODE, which would turn unmapped glyphs
# into plausible-looking ASCII instead of U+FFFD.
TEXT_FLAGS = (pymupdf.TEXT_PRESERVE_LIGATURES | pymupdf.TEXT_PRESERVE_WHITESPACE
              | pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_INHIBIT_SPACES)

BLOCK_GAP_EM = 0.8        # a gap this wide (in ems) between two characters starts a new block
WORD_GAP_EM = 0.2         # between two ASCII letters/digits with no space char, a gap this wide (a thin
                          # space) is a space: digits of one number are set solid, so numbers never glue
BASELINE_TOLERANCE_EM = 0.25
THIN = 2.0                # a filled rectangle at most this thick (pt) is a ruling line
AXIS_TOLERANCE = 0.5      # how far (pt) a "horizontal" line may slope
MERGE_TOLERANCE = 1.0     # collinear segments this close (pt) are one ruling
MIN_RULING = 2.0          # shorter segments are marks, not rulings
OUTLINE_CURVES = 200      # a page with no text but this many curve segments has its text drawn as outlines
SCAN_TEXT = 40            # a page mostly covered by images with fewer chars than this is a scan
PICTURE_COVER = 0.02      # images with no text over them covering this share of a page are read by OCR
# text drawn neither filled nor stroked (render mode 3 or 7, clipping only) is invisible
_SEEN = pymupdf.mupdf.FZ_STEXT_FILLED | pymupdf.mupdf.FZ_STEXT_STROKED


def ingest(source: str | Path | bytes, name: str | None = None, limits: Limits | None = None) -> Document:
    """Read a PDF (a path or its bytes) into pages of blocks and rulings.

    A page without a usable text layer is left empty with ``needs_ocr`` saying why, and pictures
    that no text lies over are listed in ``pictures``: reading them is the OCR stage's business.
    Raises ``InputError`` for anything that is not a readable PDF, ``LimitExceeded`` for a file
    beyond ``limits`` (default: ``Limits()``).
    """
    limits = limits if limits is not None else Limits()
    data, file = _load(source, name)
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    pages, problems, damaged = [], [], []
    with _open(data) as doc:
        count = doc.page_count
        if limits.max_pages is not None and count > limits.max_pages:
            raise exceeded(limits, "max_pages", f"the PDF has {count} pages", count)
        repaired = doc.is_repaired
        if repaired:
            problems.append("PDF 文件已损坏，经 MuPDF 修复")
        fonts: dict[int, int | None] = {}
        for number in range(count):
            page, problem, damage = _read_page(doc, number, limits, fonts)
            if damage:
                damaged.append(number)
            pages.append(page)
            problems += problem
    return Document(file, hashlib.sha256(data).hexdigest(), data, pages, problems,
                    repaired=repaired, damaged=damaged)


def _load(source: str | Path | bytes, name: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, bytes):
        return source, name
    try:
        data = Path(source).read_bytes()
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror or error}") from None
    return data, name or str(source)


def _open(data: bytes) -> pymupdf.Document:
    if not data:
        raise InputError("empty file")
    # The PDF header may sit anywhere in the first 1024 bytes; MuPDF would "repair" any junk.
    if b"%PDF-" not in data[:1024]:
        raise InputError("not a PDF")
    pymupdf.TOOLS.mupdf_warnings()   # drop what earlier documents left
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except (RuntimeError, pymupdf.mupdf.FzErrorBase) as error:
        raise InputError(f"truncated or corrupt PDF: {_first_line(error)}") from None
    if doc.needs_pass:   # an empty user password has already been tried and failed
        raise InputError("encrypted (password required)")
    try:   # counting the pages walks the page tree, which may be broken or absurd
        count = doc.page_count
    except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase) as error:
        raise InputError(f"truncated or corrupt PDF: the page tree cannot be read: {_first_line(error)}") from None
    if count <= 0:
        raise InputError("truncated or corrupt PDF: no pages" if doc.is_repaired else "no pages")
    pymupdf.TOOLS.mupdf_warnings()
    return doc


def _zeroed(contents: bytes) -> bool:
    """Whether the page's content holds a run of NUL bytes outside an inline image: PDF syntax
    reads them as spaces, so a zeroed stretch of content (lost text) raises no error in MuPDF,
    and no producer writes them."""
    return b"\0\0\0\0" in contents and b"ID" not in contents


_FONT_WARNING = re.compile(r"\bfont\b|\bcmap\b|glyph", re.IGNORECASE)
# A marked span whose replacement text stands over no glyph: Chromium leaves one where the page
# broke a line of a table row, its glyph printed on the next page. Nothing printed is missing.
_EMPTY_SPAN = "ActualText with no position"
_REPEATED = re.compile(r"\.\.\. repeated \d+ times\.\.\.")


def _damage(warnings: str) -> str | None:
    """MuPDF's complaints about a page's content (syntax errors, broken streams, objects it could
    not load), without those about fonts (a font substituted or an encoding guessed: the text
    layer's quality is judged from the text itself) or about an empty marked span; MuPDF's
    "... repeated N times..." goes with the complaint before it."""
    lines, kept = [], False
    for line in warnings.splitlines():
        if _REPEATED.fullmatch(line.strip()):
            if kept:
                lines.append(line)
            continue
        kept = bool(line.strip()) and not _FONT_WARNING.search(line) and "page may not be correct" not in line \
            and _EMPTY_SPAN not in line
        if kept:
            lines.append(line)
    return "\n".join(lines) or None


def _first_line(message: object) -> str:
    """The first line of what MuPDF said, safe to print (it may quote the file's raw bytes)."""
    line = next((line for line in str(message).splitlines() if line.strip()), "unreadable").strip()
    return clean_message(re.sub(r"^code=\d+: ", "", line))   # PyMuPDF's error code says nothing to a person


def _read_page(doc: pymupdf.Document, number: int, limits: Limits,
               fonts: dict[int, int | None]) -> tuple[Page, list[str], bool]:
    """The page's text layer (or, with none usable, an empty page marked for OCR), what was
    wrong with it and whether its content is damaged; the pictures on it that no text lies over
    (a table pasted as a screenshot). ``fonts``: the document's fonts as ``content_bounds``
    judged them."""
    try:
        page = doc.load_page(number)
        # MuPDF's complaints in the order they came when the device ran the page first and its
        # content was read whole last, for the first is what a person is told (below). A page
        # MuPDF complained of before it is run is counted by the device, as before.
        small = not doc.is_repaired and small_contents(page)   # a repaired file's lengths are MuPDF's guesses
        loaded = pymupdf.TOOLS.mupdf_warnings()     # the page and its content's objects: said first
        contents = page.read_contents() if small else None
        decoded = pymupdf.TOOLS.mupdf_warnings()    # the content read whole: said last
        bounds = None if contents is None else content_bounds(page, contents, limits, fonts)
        looked = pymupdf.TOOLS.mupdf_warnings()     # the resources the content names
        check_page(page, number, limits, None if loaded or decoded or looked else bounds)   # before anything of the page is held in memory
        raw = page.get_text("rawdict", flags=TEXT_FLAGS)
        drawings = page.get_cdrawings(extended=True)      # with the clips: what shows of a path
        has_images = bool(page.get_images())
        shown = _image_rects(page) if has_images else []    # where those images are shown
        cover = sum(abs(r) for r in shown) / abs(page.rect)   # overlaps counted twice: an upper bound
        hidden = _hidden_text(page) if cover > 0.5 else 0.0
        zeroed = _zeroed(page.read_contents() if contents is None else contents)
    except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase) as error:
        if is_out_of_memory(error):
            raise out_of_memory(limits) from None
        raise InputError(f"truncated or corrupt PDF: page {number + 1}: {_first_line(error)}") from None
    run = pymupdf.TOOLS.mupdf_warnings()
    # A resource MuPDF could not load complains again where the page's run uses it, as it did
    # before; one it loaded with a complaint it does not repeat, or one the run never reached
    # (content too damaged to set the font it names), is said after the run.
    if set(line for line in looked.splitlines() if not _REPEATED.fullmatch(line.strip())) <= set(run.splitlines()):
        looked = ""
    warnings = "\n".join(w for w in (loaded, run, looked, decoded) if w)
    problems = []
    damaged = zeroed and not warnings
    if damaged:
        problems.append(f"第 {number + 1} 页：内容损坏（内容流中有一串字节被清零）")
    if warnings:
        # In a repaired file a complaint while reading a page means lost content (MuPDF then
        # returns an empty or partial page without raising); elsewhere it is worth a note.
        if doc.is_repaired:
            raise InputError(f"truncated or corrupt PDF: page {number + 1}: {_first_line(warnings)}")
        damage = _damage(warnings)
        damaged = damage is not None
        said = f"MuPDF 提示：{_first_line(damage or warnings)}"
        problems.append(f"第 {number + 1} 页：内容损坏（{said}）" if damaged else f"第 {number + 1} 页：{said}")

    chars, vertical, unseen = page_chars(raw)
    every_char = chars + [ch for run in vertical for ch in run]
    if hidden > 0.5:   # the text lies under the page's picture: what a reader sees is the picture
        unseen += sum(not ch.c.isspace() for ch in every_char)
        chars, vertical, every_char = [], [], []
    width, height = page.rect.width, page.rect.height
    rulings = page_rulings(drawings, width, height)
    drawings = [path for path in drawings if path["type"] not in ("clip", "group")]
    reason, unreadable = text_quality(every_char)
    reason = reason or _missing_text_reason(every_char, drawings, has_images, cover, unseen)
    if reason:
        return Page(number, width, height, [], rulings, "none", needs_ocr=reason), problems, damaged
    pictures = _bare_pictures(page, shown, every_char) if has_images else ()
    if unreadable:
        problems.append(f"第 {number + 1} 页：{unreadable} 个字符无法识别（U+FFFD 或私用区字符）")
    if unseen:
        problems.append(f"第 {number + 1} 页：{unseen} 个不可见的字符（不填充不描边或全透明）未采用")
    verticals = sorted((r for r in rulings if not r.horizontal), key=lambda r: r.x0)
    horizontals = [r for r in rulings if r.horizontal]
    blocks = [block for line in _lines(chars) for block in _blocks(line, verticals, number)]
    blocks += [block for run in vertical for block in _vertical_blocks(run, horizontals, number)]
    return Page(number, width, height, blocks, rulings, pictures=pictures), problems, damaged


class _Tally(pymupdf.mupdf.FzDevice2):
    """A device that counts what a page draws and, once a limit is passed, stops MuPDF's
    interpreter through its cookie: a page of a million drawing operations costs the limit's worth
    of callbacks (about 1.5 µs each), never the million Python objects ``get_cdrawings`` would make."""

    def __init__(self, cookie: pymupdf.mupdf.FzCookie, limits: Limits):
        super().__init__()
        self.cookie = cookie
        self.max_drawings = limits.max_page_drawings
        self.max_chars = limits.max_page_chars
        self.max_pixels = _max_pixels(limits)
        self.drawings = self.chars = 0
        self.over: tuple[str, str, float] | None = None   # (limit, what was found, how much)
        # Paths filled or stroked (what get_cdrawings returns), not clips: MuPDF clips every form
        # XObject to its box itself, and a nest of forms that draws nothing is left to --timeout.
        for name in ("fill_path", "stroke_path", "fill_shade",
                     "fill_text", "stroke_text", "clip_text", "clip_stroke_text", "ignore_text",
                     "fill_image", "fill_image_mask", "clip_image_mask"):
            getattr(self, f"use_virtual_{name}")()

    def _stop(self, limit: str, found: str, value: float) -> None:
        if self.over is None:
            self.over = (limit, found, value)
        self.cookie.set_abort()

    def _drawing(self, *_) -> None:
        self.drawings += 1
        if self.max_drawings is not None and self.drawings > self.max_drawings:
            self._stop("max_page_drawings", f"more than {self.max_drawings} drawing operations", self.drawings)

    fill_path = stroke_path = fill_shade = _drawing

    def _text(self, _ctx, text, *_) -> None:
        span = text.head
        while span:
            self.chars += span.len
            span = span.next
        if self.max_chars is not None and self.chars > self.max_chars:
            self._stop("max_page_chars", f"more than {self.max_chars} characters", self.chars)

    fill_text = stroke_text = clip_text = clip_stroke_text = ignore_text = _text

    def _image(self, _ctx, image, *_) -> None:
        pixels = image.w * image.h
        if self.max_pixels is not None and pixels > self.max_pixels:
            self._stop("max_image_mp", f"a {image.w} × {image.h} px image ({pixels / 1e6:.0f} megapixels)",
                       pixels / 1e6)

    fill_image = fill_image_mask = clip_image_mask = _image


def _max_pixels(limits: Limits) -> float | None:
    return None if limits.max_image_mp is None else limits.max_image_mp * 1e6


def check_page(page: pymupdf.Page, number: int, limits: Limits, bounds: tuple[int, int] | None = None) -> None:
    """Raise ``LimitExceeded`` when the page draws more than ``limits`` allow: too many drawing
    operations or characters, or an image of too many pixels (counted before it is decoded).
    ``bounds``, at most how many drawing operations and characters the page's content makes
    (``content_bounds``), lets a page within the limits by them pass without being run through
    the counting device."""
    if limits.max_page_drawings is None and limits.max_page_chars is None and limits.max_image_mp is None:
        return
    if bounds is not None and _within(bounds, limits):
        return
    cookie = pymupdf.mupdf.FzCookie()
    tally = _Tally(cookie, limits)
    pymupdf.mupdf.fz_run_page(page.this, tally, pymupdf.mupdf.FzMatrix(), cookie)
    if tally.over is not None:
        limit, found, value = tally.over
        raise exceeded(limits, limit, f"page {number + 1} has {found}", value)


def _within(bounds: tuple[int, int], limits: Limits) -> bool:
    """Whether at most ``bounds`` drawing operations and characters are within the limits."""
    return all(limit is None or bound <= limit for bound, limit in
               zip(bounds, (limits.max_page_drawings, limits.max_page_chars)))


# Compressed bytes of a page's content read before it is checked: Flate inflates at most about
# 1,000 to 1, so at most some 33 MB, never a stream that inflates to gigabytes of operations.
SMALL_CONTENTS = 32 * 1024
_M = pymupdf.mupdf
_WHITESPACE = b" \t\r\n\f\0"


def small_contents(page: pymupdf.Page) -> bool:
    """Whether the page's content streams are at most ``SMALL_CONTENTS`` bytes of plain or
    Flate-compressed data, to be read whole before the page is checked (else the counting device
    reads them, stopping early)."""
    contents = _M.pdf_dict_get(_M.pdf_page_from_fz_page(page.this).obj(), _M.PDF_ENUM_NAME_Contents)
    streams = ([_M.pdf_array_get(contents, i) for i in range(_M.pdf_array_len(contents))]
               if _M.pdf_is_array(contents) else [contents])
    size = 0
    for stream in streams:
        length = _stream_size(stream)
        if length is None:
            return False
        size += length
    return size <= SMALL_CONTENTS


def _stream_size(stream) -> int | None:
    """The declared bytes of a plain or Flate-compressed stream; None for anything else."""
    if not _M.pdf_is_stream(stream):
        return None
    coding = _M.pdf_dict_get(stream, _M.PDF_ENUM_NAME_Filter)
    if not (_M.pdf_is_null(coding) or _M.pdf_to_name(coding) == "FlateDecode"):
        return None
    return max(0, _M.pdf_dict_get_int(stream, _M.PDF_ENUM_NAME_Length))


def content_bounds(page: pymupdf.Page, contents: bytes, limits: Limits,
                   fonts: dict[int, int | None] | None = None) -> tuple[int, int] | None:
    """At most how many drawing operations and characters the page makes, read from the bytes of
    its content streams alone; None where something else may make them, or an image has more
    pixels than ``limits`` allow.

    Every drawing operation is a painting operator of the stream (``_paintings``), or of a Type 3
    glyph's procedure, run once for each byte of a string shown (at most ``_glyph_drawings`` a
    byte), and every character a byte of a string operand, drawn once or more
    (``_draws_per_char``), when nothing else runs operators or makes characters: no annotation,
    form, pattern, soft mask, font set by a graphics state or font mapping one code to several
    characters among the resources it names (``_named``), and no inline image; images must
    declare their size (not JPX, whose size is in its data). A string's bytes are at most the
    stream's, or half of those not white where no literal ``(`` string is: a hex string takes two
    characters a byte (any but white-space and ``>``, for MuPDF reads a stray one as a digit);
    where that bound is beyond a limit, half of those from each ``<`` to the next ``>`` (or the
    end), for every hex string lies within one such run. ``fonts`` holds each font's answer by
    object number, for the pages of one document share their fonts."""
    obj = _M.pdf_page_from_fz_page(page.this).obj()
    if _M.pdf_array_len(_M.pdf_dict_get(obj, _M.PDF_ENUM_NAME_Annots)) or b"BI" in contents:
        return None
    resources = _M.pdf_dict_get_inheritable(obj, _M.PDF_ENUM_NAME_Resources)
    names = None if b"#" in contents else {name.decode("latin-1") for name in _NAME.findall(contents)}
    if _named(resources, _M.PDF_ENUM_NAME_Pattern, names):
        return None
    for state in _named(resources, _M.PDF_ENUM_NAME_ExtGState, names):
        mask = _M.pdf_dict_get(state, _M.PDF_ENUM_NAME_SMask)
        if not (_M.pdf_is_null(mask) or _M.pdf_to_name(mask) == "None") \
                or not _M.pdf_is_null(_M.pdf_dict_get(state, _M.PDF_ENUM_NAME_Font)):
            return None
    max_pixels = _max_pixels(limits)
    if not all(_declared_image(xobject, max_pixels) for xobject in _named(resources, _M.PDF_ENUM_NAME_XObject, names)):
        return None
    fonts = {} if fonts is None else fonts
    glyph_drawings = 0
    for font in _named(resources, _M.PDF_ENUM_NAME_Font, names):
        number = _M.pdf_to_num(font)   # 0: a font written in the resources, of this page only
        most = fonts[number] if number in fonts else _glyph_drawings(page.parent, font)
        if number:
            fonts[number] = most
        if most is None:
            return None
        glyph_drawings = max(glyph_drawings, most)
    paintings, draws = _paintings(contents), _draws_per_char(contents)
    if b"(" in contents:
        strings = len(contents)
    else:
        strings = len(contents.translate(None, _WHITESPACE)) // 2
        if not _within((paintings + strings * glyph_drawings, strings * draws), limits):   # a pass of its own
            strings = (len(contents) - len(_HEX_RUNS.sub(b"", contents))) // 2
    return paintings + strings * glyph_drawings, strings * draws


# From a "<" to the next ">" (or the end): MuPDF reads a hex string to its first ">", so each
# lies within one such run (a dictionary's "<<" makes runs of its own, counted over)
_HEX_RUNS = re.compile(rb"<[^>]*>?")


def _paintings(contents: bytes) -> int:
    """At most how many paths the operators of a content stream fill or stroke: each is one of
    f F S s B b (f* B* b* among them), B and b filling and stroking (two)."""
    letters = contents.translate(None, _NOT_PAINTING)   # one pass over the stream, not six
    return len(letters) + letters.count(b"B") + letters.count(b"b")


_NOT_PAINTING = bytes(set(range(256)).difference(b"fFSsBb"))


# PDF's white-space and delimiters (not Python's \s: a vertical tab is part of a name)
_NAME = re.compile(rb"/([^\0\t\n\f\r ()<>\[\]{}/%]*)")   # a name token (with no # escape: checked first)


def _named(resources, category, names: set[str] | None) -> list:
    """The resources of ``category`` that the content names (all where ``names`` is None): the
    only ones its operators can use, and those MuPDF loads running the page; one the content
    does not name (a font of another page in a shared dictionary) is not looked at."""
    entries = _M.pdf_dict_get(resources, category)
    return [_M.pdf_dict_get_val(entries, i) for i in range(_M.pdf_dict_len(entries))
            if names is None or (key := _M.pdf_to_name(_M.pdf_dict_get_key(entries, i))) in names
            or not key.isascii()]


def _declared_image(xobject, max_pixels: float | None) -> bool:
    """Whether the XObject is an image whose size, as MuPDF reads it from its dictionary, is
    within ``max_pixels``."""
    if _M.pdf_to_name(_M.pdf_dict_get(xobject, _M.PDF_ENUM_NAME_Subtype)) != "Image":
        return False
    coding = _M.pdf_dict_get(xobject, _M.PDF_ENUM_NAME_Filter)
    codings = ([_M.pdf_array_get(coding, j) for j in range(_M.pdf_array_len(coding))]
               if _M.pdf_is_array(coding) else [coding])
    if any(_M.pdf_to_name(c) == "JPXDecode" for c in codings):
        return False
    width = _M.pdf_to_int(_M.pdf_dict_geta(xobject, _M.PDF_ENUM_NAME_Width, _M.PDF_ENUM_NAME_W))
    height = _M.pdf_to_int(_M.pdf_dict_geta(xobject, _M.PDF_ENUM_NAME_Height, _M.PDF_ENUM_NAME_H))
    return max_pixels is None or width * height <= max_pixels


_MODE = re.compile(rb"Tr(?![^\0\t\n\f\r ()<>\[\]{}/%])")   # the operator, a whole keyword


def _draws_per_char(contents: bytes) -> int:
    """How many times a character may be drawn: once (filled) without a ``Tr``, twice (filled
    and stroked: a fake bold) where every mode set is 0–3 or 7, else three times (4–6: filled,
    stroked and clipped)."""
    modes = contents.count(b"Tr")
    if not modes:
        return 1
    unclipped = sum(_unclipped(contents, found.start()) for found in _MODE.finditer(contents))
    return 2 if unclipped == modes else 3


def _unclipped(contents: bytes, at: int) -> bool:
    """Whether the ``Tr`` at ``at`` has one lone digit 0–3 or 7 for operand: an operator, a name
    or a string before it, as MuPDF takes the first number since the last operator."""
    k = at
    while k and contents[k - 1] in _WHITESPACE:
        k -= 1
    if k == at or not k or contents[k - 1] not in b"01237":
        return False
    k -= 1
    while k and contents[k - 1] in _WHITESPACE:
        k -= 1
    return not k or contents[k - 1] not in b"0123456789.+-"


_GLYPH_FONTS = ("Type0", "Type1", "MMType1", "TrueType")   # fonts of glyph outlines, not procedures
_SYSTEM_MAPS = ("Adobe-CNS1", "Adobe-GB1", "Adobe-Japan1", "Adobe-Korea1")


def _glyph_drawings(doc: pymupdf.Document, font) -> int | None:
    """At most how many drawing operations one code shown with the font makes: none for a font of
    glyph outlines, the most painting operators of any glyph procedure of a Type 3 font (MuPDF
    runs one through the page's device, once a code, where the glyph cannot be cached: a ``d0``
    glyph inheriting the colour); None where a code may make several characters
    (``_one_to_one``), or the font is of another subtype (MuPDF guesses its type, Type 3 among
    them), or a procedure does more than paint paths (``_plain_procedure``)."""
    kind = _M.pdf_to_name(_M.pdf_dict_get(font, _M.PDF_ENUM_NAME_Subtype))
    if kind in _GLYPH_FONTS:
        return 0 if _one_to_one(doc, font, kind) else None
    if kind != "Type3" or not _one_to_one(doc, font, kind):
        return None
    procedures = _M.pdf_dict_get(font, _M.PDF_ENUM_NAME_CharProcs)
    most = size = 0
    for i in range(_M.pdf_dict_len(procedures)):
        procedure = _M.pdf_dict_get_val(procedures, i)
        length = _stream_size(procedure)
        if length is None or (size := size + length) > SMALL_CONTENTS:
            return None
        try:
            data = _M.pdf_load_stream(procedure).fz_buffer_extract()
        except (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase):
            return None
        if not _plain_procedure(data):
            return None
        most = max(most, _paintings(data))
    return most


def _plain_procedure(data: bytes) -> bool:
    """Whether a glyph procedure's operators do nothing but paint paths: it has no name (so no
    resource: no form or image ``Do``, shading ``sh``, pattern, graphics state or font ``Tf``), no
    string (so no text of a nested font, nor of the glyph's own, which it inherits) and no inline
    image."""
    return not (b"/" in data or b"(" in data or b"<" in data or b"BI" in data)


def _one_to_one(doc: pymupdf.Document, font, kind: str) -> bool:
    """Whether the font (of subtype ``kind``: one of glyph outlines, or Type 3) makes one
    character of each code: its ``ToUnicode`` map as MuPDF parsed it (or, for a composite font
    without one, its collection's system map: Japan1's and Korea1's have ligatures) maps no code
    to several."""
    to_unicode = _M.pdf_dict_get(font, _M.PDF_ENUM_NAME_ToUnicode)
    try:
        if _M.pdf_is_stream(to_unicode):
            cmap = _M.pdf_load_embedded_cmap(_M.pdf_document_from_fz_document(doc.this), to_unicode).m_internal
        elif not _M.pdf_is_null(to_unicode):
            return False
        elif kind != "Type0":
            return True   # a simple font's characters come from its encoding, one a code
        else:   # MuPDF maps a composite font's codes by the system map of its CID collection
            info = _M.pdf_dict_get(_M.pdf_array_get(_M.pdf_dict_get(font, _M.PDF_ENUM_NAME_DescendantFonts), 0),
                                   _M.PDF_ENUM_NAME_CIDSystemInfo)
            collection = "-".join(_M.pdf_to_text_string(_M.pdf_dict_get(info, key))
                                  for key in (_M.PDF_ENUM_NAME_Registry, _M.PDF_ENUM_NAME_Ordering))
            if collection not in _SYSTEM_MAPS:
                return True
            cmap = _M.pdf_load_system_cmap(f"{collection}-UCS2").m_internal
    except (RuntimeError, pymupdf.mupdf.FzErrorBase):
        return False
    while cmap is not None:
        if cmap.mlen:
            return False
        cmap = cmap.usecmap
    return True


def _missing_text_reason(chars: list[Char], drawings: list[dict], has_images: bool, cover: float,
                         unseen: int) -> str | None:
    """Why a page with (almost) no text needs OCR: it is a scan, its text is drawn as outlines, or
    all its text is invisible over an image (a scan with a text layer of some other OCR: its
    characters carry no confidence and its boxes no cells, and it says nothing of what is seen).
    ``cover``: the share of the page its images cover."""
    ink = sum(not ch.c.isspace() for ch in chars)
    if ink == 0 and unseen and has_images:
        return f"扫描图像，其文字层是不可见的识别文字（{unseen} 个字符），不予采用"
    if ink == 0 and (has_images or _curve_count(drawings) >= OUTLINE_CURVES):
        return "没有文字层（扫描图像，或文字以轮廓绘制）"
    if 0 < ink < SCAN_TEXT and has_images and cover > 0.5:
        return f"扫描图像，文字层只有 {ink} 个字符"
    return None


# ---------------------------------------------------------------------------------------------
# Characters and lines


@dataclass(slots=True)
class Char:
    c: str
    x0: float
    y0: float
    x1: float
    y1: float
    cx: float          # centre x
    base: float        # baseline y
    size: float
    font: str
    bold: bool
    box: BBox          # (x0, y0, x1, y1)


_BOLD_NAME = re.compile(r"bold|black|heavy|黑|(?<!ya)hei|标宋|biaosong", re.IGNORECASE)


@functools.lru_cache(maxsize=256)   # a page repeats a few fonts over many spans
def is_bold(font: str, flags: int) -> bool:
    """Bold by the font's flags or by its name.

    黑体 (SimHei, Heiti, 方正黑体 …) and 小标宋 count as bold: Chinese official documents use them
    where Latin typography uses bold, for titles and the headings of the six sections. Microsoft
    YaHei does not: it is a plain sans-serif body face. 楷体 (second-level headings) is not bold.
    """
    return bool(flags & pymupdf.TEXT_FONT_BOLD) or bool(_BOLD_NAME.search(font))


@functools.lru_cache(maxsize=256)
def font_name(name: str) -> str:
    """The font's name, with a GBK-encoded name (宋体 stored as bytes CB CE CC E5, which PyMuPDF
    reads as Latin-1 "ËÎÌå") decoded."""
    if name.isascii() or max(name) > "\xff":
        return clean_text(name)
    try:
        return name.encode("latin-1").decode("gbk")
    except UnicodeDecodeError:
        return name


def page_chars(raw: dict) -> tuple[list[Char], list[list[Char]], int]:
    """The horizontal characters of a ``rawdict``, its runs of vertical text (a label turned
    90° in a tall table cell), each in reading order, and how many printing characters were left
    out as invisible. Text at other angles (watermarks, stamps) is left out too.

    What a reader of the page sees is what the record must say: text drawn neither filled nor
    stroked, or wholly transparent, is left out (a scanner's OCR layer under a page image, text
    hidden behind a table). Its characters are counted, so that the page says so."""
    chars, vertical = [], []
    unseen = 0
    for block in raw["blocks"]:
        for line in block.get("lines", ()):
            dx, dy = line["dir"]
            if dx > 0.99 and abs(dy) < 0.01:
                seen, invisible = _line_chars(line)
                chars += seen
            elif abs(dx) < 0.01 and abs(dy) > 0.99:
                seen, invisible = _line_chars(line)
                vertical.append(sorted(seen, key=lambda ch: ch.y0, reverse=dy < 0))
            else:
                continue
            unseen += invisible
    return chars, vertical, unseen


def _line_chars(line: dict) -> tuple[list[Char], int]:
    """The line's visible characters, and how many printing ones it has that are invisible."""
    chars = []
    unseen = 0
    for span in line["spans"]:
        if not span["char_flags"] & _SEEN or span["alpha"] == 0:
            unseen += sum(not ch["c"].isspace() for ch in span["chars"])
            continue
        font, size = font_name(span["font"]), span["size"]
        bold = is_bold(font, span["flags"])
        for ch in span["chars"]:
            box = ch["bbox"]
            x0, y0, x1, y1 = box
            c = ch["c"]
            if c in UNIFIED:
                c = UNIFIED[c]
            elif "\ud800" <= c <= "\udfff":   # a ToUnicode map pointing at a surrogate: not a character
                c = "\ufffd"
            chars.append(Char(c, x0, y0, x1, y1, (x0 + x1) / 2, ch["origin"][1], size, font, bold, box))
    return chars, unseen


# Kangxi radicals, CJK radicals and CJK compatibility ideographs render like ordinary Han
# characters and some PDF producers map glyphs to them (⼀ U+2F00 for 一); downstream matching
# needs the unified ideograph.
# The simplified radicals that are whole characters have no Unicode decomposition: mapped by hand.
UNIFIED = {c: n for c in map(chr, [*range(0x2E80, 0x2FE0), *range(0xF900, 0xFB00)])
           if (n := unicodedata.normalize("NFKC", c)) != c and len(n) == 1}
UNIFIED.update(zip("⻅⻆⻉⻋⻓⻔⻙⻚⻛⻜⻢⻥⻦⻧⻨⻩⻬⻮⻰", "见角贝车长门韦页风飞马鱼鸟卤麦黄齐齿龙"))
# … and the radicals shaped as a whole character (⺠ for the 民 of 人民政府, ⻄ for 西)
UNIFIED.update(zip("⺠⻄⻘⻝⻣⻤⺩⻗⻁⺇⺁⺜⺝⻪⻑⻡", "民西青食骨鬼王雨虎几厂日月黾長首"))


def _lines(chars: list[Char]) -> list[list[Char]]:
    """Chars grouped by baseline, each line sorted by x, lines top to bottom."""
    lines: list[list[Char]] = []
    base = 0.0
    for ch in sorted(chars, key=_BASE):
        if lines and ch.base - base <= BASELINE_TOLERANCE_EM * ch.size:
            lines[-1].append(ch)
        else:
            lines.append([ch])
            base = ch.base
    return [_dedupe(sorted(line, key=_X0)) for line in lines]


_BASE, _X0 = operator.attrgetter("base"), operator.attrgetter("x0")


def _dedupe(line: list[Char]) -> list[Char]:
    """Drop a character drawn twice at (almost) the same place — the fake bold of Word and WPS."""
    kept = line[:1]
    for ch in line[1:]:
        last = kept[-1]
        if last.c == ch.c and abs(last.x0 - ch.x0) < 0.3 * (ch.x1 - ch.x0) and not ch.c.isspace():
            last.bold = True
        else:
            kept.append(ch)
    return kept


# ---------------------------------------------------------------------------------------------
# Blocks


def _is_wide(c: str) -> bool:
    """Han, CJK punctuation and fullwidth forms: no space belongs between two of these."""
    o = ord(c)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
            or 0x20000 <= o <= 0x3FFFF)


def _blocks(line: list[Char], verticals: list[Ruling], page: int) -> list[Block]:
    ink = [ch for ch in line if not ch.c.isspace()]
    if not ink:
        return []
    spaces = [ch for ch in line if ch.c.isspace()] if len(ink) < len(line) else []
    space_x = [ch.cx for ch in spaces]
    mid = (min([ch.y0 for ch in ink]) + max([ch.y1 for ch in ink])) / 2
    cuts = [r.x0 for r in verticals if r.y0 - MERGE_TOLERANCE <= mid <= r.y1 + MERGE_TOLERANCE]
    blocks, start = [], 0
    before: list[Char | None] = [None]   # before[i]: the space char printed before ink[i]
    a = ink[0]
    for i in range(1, len(ink)):
        b = ink[i]
        gap, space = b.x0 - a.x1, None
        if spaces:
            between = spaces[bisect.bisect_right(space_x, a.cx):bisect.bisect_left(space_x, b.cx)]
            if between:
                space = between[0]
                # One space is a word space, however wide its glyph; up to three between two Han
                # chars letter-space a label (合　　计, 备  注). More are padding: the gap counts.
                if len(between) == 1 or (len(between) <= 3 and _is_wide(a.c) and _is_wide(b.c)):
                    gap -= sum([s.x1 - s.x0 for s in between])
        if (gap > BLOCK_GAP_EM * (a.size + b.size) / 2
                or cuts and bisect.bisect_right(cuts, a.cx) < bisect.bisect_left(cuts, b.cx)):
            blocks.append(_block(ink[start:i], before[start:i], page))
            start, space = i, None
        before.append(space)
        a = b
    blocks.append(_block(ink[start:], before[start:], page))
    return blocks


def _block(ink: list[Char], before: list[Char | None], page: int) -> Block:
    """A block from its printed chars and the space char (if any) printed before each.

    A space goes where the PDF has one, or between ASCII letters and digits set a word apart,
    but never between two Han/fullwidth chars (justification and WPS spacing put spaces there).
    """
    if len(ink) == 1:   # more than half of a report's blocks: a table's one-digit cells
        ch = ink[0]
        return Block(page, ch.box, ch.c, ch.size, ch.bold, ch.font, (ch.box,))
    text, boxes = [ink[0].c], [ink[0].box]
    a = ink[0]
    for b, space in zip(ink[1:], before[1:]):
        if space is not None:
            if not (_is_wide(a.c) and _is_wide(b.c)):
                text.append(" ")
                boxes.append(space.box)
        elif (a.c.isascii() and a.c.isalnum() and b.c.isascii() and b.c.isalnum()
              and b.x0 - a.x1 >= WORD_GAP_EM * (a.size + b.size) / 2):
            text.append(" ")
            boxes.append((a.x1, min(a.y0, b.y0), b.x0, max(a.y1, b.y1)))
        text.append(b.c)
        boxes.append(b.box)
        a = b
    fonts = {ch.font for ch in ink}
    return Block(page, _union(boxes if len(boxes) == len(ink) else [ch.box for ch in ink]), "".join(text),
                 sorted([ch.size for ch in ink])[len(ink) // 2], 2 * sum([ch.bold for ch in ink]) > len(ink),
                 fonts.pop() if len(fonts) == 1 else Counter(ch.font for ch in ink).most_common(1)[0][0],
                 tuple(boxes))


def _union(boxes: list[tuple[float, float, float, float]]) -> BBox:
    x0s, y0s, x1s, y1s = zip(*boxes)
    return (min(x0s), min(y0s), max(x1s), max(y1s))


def _vertical_blocks(run: list[Char], horizontals: list[Ruling], page: int) -> list[Block]:
    """A run of vertical text (MuPDF's line, in reading order) cut at horizontal rulings and
    wide gaps; its spaces dropped, as vertical text is Han."""
    ink = [ch for ch in run if not ch.c.isspace()]
    if not ink:
        return []
    cx = statistics.fmean(ch.cx for ch in ink)
    cuts = [r.y0 for r in horizontals if r.x0 - MERGE_TOLERANCE <= cx <= r.x1 + MERGE_TOLERANCE]
    groups = [[ink[0]]]
    for a, b in zip(ink, ink[1:]):
        a_mid, b_mid = (a.y0 + a.y1) / 2, (b.y0 + b.y1) / 2
        ruled = any(min(a_mid, b_mid) < y < max(a_mid, b_mid) for y in cuts)
        gap = max(b.y0 - a.y1, a.y0 - b.y1)
        if ruled or gap > BLOCK_GAP_EM * (a.size + b.size) / 2:
            groups.append([b])
        else:
            groups[-1].append(b)
    return [_block(group, [None] * len(group), page) for group in groups]


# ---------------------------------------------------------------------------------------------
# Ruling lines


def page_rulings(drawings: list[dict], width: float, height: float) -> list[Ruling]:
    """Axis-parallel ruling lines from ``get_cdrawings(extended=True)`` output, collinear pieces
    merged, each cut to the clip it is drawn in: Qt WebKit draws a whole table on every page it
    spans and clips it to the page's text area, so a row the page cuts has rulings beyond the cut
    that do not show (nor do its texts, which go on on the next page)."""
    segments: list[tuple[float, float, float, float]] = []
    clips: list[tuple[int, tuple[float, float, float, float]]] = []     # (level, scissor) in force
    for path in drawings:
        level = path.get("level", 0)
        while clips and clips[-1][0] >= level:
            clips.pop()
        if path["type"] == "clip":
            clips.append((level, path["scissor"]))
            continue
        if path["type"] == "group":
            continue
        own = _path_segments(path, width, height)
        segments += own if not clips else [cut for seg in own if (cut := _clipped(seg, clips[-1][1]))]
    return _merge(segments)


def _path_segments(path: dict, width: float, height: float) -> list[tuple[float, float, float, float]]:
    """The lines a painted path draws: its edges, or its centre line when it is a thin filled shape."""
    stroked = "s" in path["type"] and _visible(path.get("color"), path.get("stroke_opacity", 1))
    filled = "f" in path["type"] and _visible(path.get("fill"), path.get("fill_opacity", 1))
    if not (stroked or filled):
        return []
    x0, y0, x1, y1 = path["rect"]
    if not stroked and (x1 - x0) * (y1 - y0) > 0.5 * width * height:
        return []   # a page background
    if not stroked and min(x1 - x0, y1 - y0) <= THIN:
        return [_centre_line(path["rect"])]   # a line drawn as a thin filled shape
    segments: list[tuple[float, float, float, float]] = []
    for item in path["items"]:
        kind = item[0]
        if kind == "l":
            segments.append((*item[1], *item[2]))
        elif kind == "re":
            segments += _rect_edges(item[1], stroked)
        elif kind == "qu":
            xs, ys = [p[0] for p in item[1]], [p[1] for p in item[1]]
            if len({round(x) for x in xs}) == 2 and len({round(y) for y in ys}) == 2:
                segments += _rect_edges((min(xs), min(ys), max(xs), max(ys)), stroked)
    return segments


def _clipped(seg: tuple[float, float, float, float],
             scissor: tuple[float, float, float, float]) -> tuple[float, float, float, float] | None:
    """The part of an axis-parallel segment inside the clip's box (a ruling's half-width over its
    edge still counts: WeasyPrint clips each border to a box as thin as the line), or None. Other
    segments are no rulings and are left as they are."""
    x0, y0, x1, y1 = seg
    left, top, right, bottom = (scissor[0] - MERGE_TOLERANCE, scissor[1] - MERGE_TOLERANCE,
                                scissor[2] + MERGE_TOLERANCE, scissor[3] + MERGE_TOLERANCE)
    if abs(y1 - y0) <= AXIS_TOLERANCE:
        a, b = max(min(x0, x1), left), min(max(x0, x1), right)
        return (a, y0, b, y1) if top <= (y0 + y1) / 2 <= bottom and a < b else None
    if abs(x1 - x0) <= AXIS_TOLERANCE:
        a, b = max(min(y0, y1), top), min(max(y0, y1), bottom)
        return (x0, a, x1, b) if left <= (x0 + x1) / 2 <= right and a < b else None
    return seg


def _visible(color: tuple | None, opacity: float | None) -> bool:
    """Not missing, not transparent, not white or near-white."""
    if not color or (opacity is not None and opacity <= 0.05):
        return False
    if len(color) == 4:   # CMYK
        c, m, y, k = color
        return max(c, m, y, k) > 0.1
    return min(color) < 0.9


def _centre_line(rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = rect
    if x1 - x0 >= y1 - y0:
        y = (y0 + y1) / 2
        return (x0, y, x1, y)
    x = (x0 + x1) / 2
    return (x, y0, x, y1)


def _rect_edges(rect: tuple[float, float, float, float], stroked: bool) -> list[tuple[float, float, float, float]]:
    x0, y0, x1, y1 = rect
    if not stroked and min(x1 - x0, y1 - y0) <= THIN:
        return [_centre_line(rect)]
    return [(x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1)]


def _merge(segments: list[tuple[float, float, float, float]]) -> list[Ruling]:
    """Axis-parallel segments, collinear and overlapping (or touching) ones joined."""
    horizontal, vertical = [], []
    for x0, y0, x1, y1 in segments:
        if abs(y1 - y0) <= AXIS_TOLERANCE and abs(x1 - x0) >= MIN_RULING:
            horizontal.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) <= AXIS_TOLERANCE and abs(y1 - y0) >= MIN_RULING:
            vertical.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))
    rulings = [Ruling(a, pos, b, pos) for pos, a, b in segments_to_lines(horizontal, MERGE_TOLERANCE)]
    rulings += [Ruling(pos, a, pos, b) for pos, a, b in segments_to_lines(vertical, MERGE_TOLERANCE)]
    return rulings


def _hidden_text(page: pymupdf.Page) -> float:
    """The share of the page's text that a picture drawn after it covers: some scanner software
    lays the page image over a text layer of its OCR, drawn as ordinary text beneath it."""
    shown: list[tuple[float, float]] = []     # the centres of the text drawn so far
    hidden = 0
    for kind, (x0, y0, x1, y1) in page.get_bboxlog():
        if kind in ("fill-text", "stroke-text"):
            shown.append(((x0 + x1) / 2, (y0 + y1) / 2))
        elif kind == "fill-image" and shown:
            kept = [(x, y) for x, y in shown if not (x0 <= x <= x1 and y0 <= y <= y1)]
            hidden += len(shown) - len(kept)
            shown = kept
    total = hidden + len(shown)
    return hidden / total if total else 0.0


def _image_rects(page: pymupdf.Page) -> list[pymupdf.Rect]:
    """Where images are shown on the page (clipped to it)."""
    return [r for info in page.get_image_info() if not (r := pymupdf.Rect(info["bbox"]) & page.rect).is_empty]


def _bare_pictures(page: pymupdf.Page, shown: list[pymupdf.Rect], chars: list[Char]) -> tuple[BBox, ...]:
    """The images (``shown`` where ``_image_rects`` says) no character of the text layer lies on,
    when together they cover enough of the page to hold text (a small logo does not)."""
    bare = [r for r in shown
            if not any(r.x0 <= ch.cx <= r.x1 and r.y0 <= (ch.y0 + ch.y1) / 2 <= r.y1 for ch in chars)]
    if sum(abs(r) for r in bare) < PICTURE_COVER * abs(page.rect):
        return ()
    return tuple((r.x0, r.y0, r.x1, r.y1) for r in bare)


def _curve_count(drawings: list[dict]) -> int:
    return sum(item[0] == "c" for path in drawings for item in path["items"])


# ---------------------------------------------------------------------------------------------
# Garbage text layers


def _gb2312() -> frozenset[str]:
    """The 6,763 Han characters of GB 2312: nearly every character of a report's text is one."""
    # Decoded as one run, the five unassigned codes of row D7 skipped: a seventh of the time of
    # decoding code by code, which every process paid on import.
    codes = bytes(byte for row in range(0xB0, 0xF8) for cell in range(0xA1, 0xFF) for byte in (row, cell))
    return frozenset(codes.decode("gb2312", errors="ignore"))


GB2312 = _gb2312()
CID_CODE = re.compile(r"\(cid:\d+\)")
_PLAUSIBLE = (
    (0x20, 0x7E),        # ASCII
    (0xA0, 0xBF), (0xD7, 0xD7), (0xF7, 0xF7),   # Latin-1 signs: ° · × ÷ …
    (0x391, 0x3C9),      # Greek
    (0x2000, 0x27BF),    # punctuation, number forms, arrows, maths, ① …, box drawing, shapes, dingbats
    (0x2E80, 0x303F),    # radicals and CJK punctuation
    (0x3200, 0x4DBF),    # enclosed CJK, ㎡ …, extension A
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),    # CJK compatibility forms
    (0xFF00, 0xFFEF),    # fullwidth forms
    (0x20000, 0x3FFFF),
)
UNREADABLE_SHARE = 0.05
IMPLAUSIBLE_SHARE = 0.2
RARE_HAN_SHARE = 0.2
MIN_HAN = 20


def _unreadable(c: str) -> bool:
    o = ord(c)
    return (o == 0xFFFD or 0xE000 <= o <= 0xF8FF or o >= 0xF0000
            or (o < 0x20 and c not in "\t\n\r") or 0x7F <= o <= 0x9F)


def text_quality(chars: list[Char]) -> tuple[str | None, int]:
    """Why a page's text layer cannot be trusted (None when it reads as text), and how many of
    its characters are unreadable."""
    text = "".join([ch.c for ch in chars if not ch.c.isspace()])
    if len(CID_CODE.findall(text)) >= 3:
        return "文字层是乱码（CID 编码）", 0
    unreadable = implausible = han = rare = 0
    for c, n in Counter(text).items():   # each character judged once, however often it is printed
        if " " < c < "\x7f":
            continue
        if "\u3400" <= c <= "\u9fff" or "\U00020000" <= c <= "\U0003ffff":
            han += n
            rare += n * (c not in GB2312)
        elif _unreadable(c):
            unreadable += n
        elif not any(lo <= ord(c) <= hi for lo, hi in _PLAUSIBLE):
            implausible += n
    if han >= MIN_HAN and rare > RARE_HAN_SHARE * han:
        return "文字层是乱码（生僻汉字过多：ToUnicode 映射有误）", unreadable
    if unreadable > UNREADABLE_SHARE * len(text):
        return "文字层是乱码（字形未映射：U+FFFD、私用区或控制字符）", unreadable
    if unreadable + implausible > IMPLAUSIBLE_SHARE * len(text):
        return "文字层是乱码（编码错乱）", unreadable
    return None, unreadable
