"""Scanned variants of generated reports: each page printed, stamped, scanned and wrapped as an
image-only PDF, the way a signed report comes back from the scanner.

Per page, drawn deterministically from a seed: the scan resolution (150–300 dpi), a turn of the
whole sheet (0/90/180/270° clockwise, as a sheet fed sideways or upside down), a skew (±5°,
positive = counter-clockwise), sensor noise, blur, uneven lighting and JPEG compression. The page
holding the most numbers gets a red seal (a ring, a star and the issuer's name around the rim)
placed over some of its numbers, as a seal lands over the signature and the last table.

The truth is the source report's truth (cell boxes are those of the upright, unskewed page) with
``scan``: the transforms applied to each page, so a test knows what the extractor has to undo.

``kind="photo"`` photographs the pages instead (a keystone, the binding's shadow, uneven light)
``kind="fax"`` faxes them (binarised, half the vertical resolution), and ``kind="bw"`` scans them as an
office copier set to black and white does (binarised at full resolution; the seal comes out black).

Also the lesser image trouble of a text-layer report: one table pasted as a picture
(``paste_as_picture``); and a scan as scanner software or Acrobat's text recognition leaves it,
an invisible text layer of its own OCR over each page image (``with_ocr_layer``).
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pymupdf

SEAL_RED = np.array([0.86, 0.12, 0.14])     # RGB of stamp-pad ink


@dataclass(frozen=True)
class ScanStyle:
    """What happened to one page between the printer and the PDF."""
    dpi: int
    rotation: int          # degrees clockwise the sheet was turned: 0, 90, 180, 270
    skew: float            # degrees, positive = counter-clockwise
    noise: float           # standard deviation of the sensor noise, in 8-bit grey levels
    blur: float            # Gaussian sigma in pixels, 0 = none
    lighting: float        # how much darker the darkest corner is than the brightest, 0–1
    jpeg: int              # JPEG quality
    seal: tuple[float, float, float] | None = None   # centre x, y and radius in points, upright page
    # a page photographed rather than scanned: the camera not square to the sheet (each corner
    # moved by up to this share of the page's size, a keystone), and the binding's shadow
    # darkening one long edge (how much darker at the edge, 0–1); both 0 on a scanner
    perspective: float = 0.0
    shadow: float = 0.0
    # a page sent by fax: printed, sent in standard mode (half the vertical resolution) and
    # received as black and white, this grey level the threshold; 0 = not a fax
    fax: int = 0
    # … or at full resolution: a fax in fine mode, or a scanner set to black and white
    fine: bool = False
    # a scanner set to grey: the seal's red ink comes out grey as well, no longer told by its colour
    grey: bool = False
    # how much ink the seal left: 1 a fresh pad (as dark as 87 in grey), less a dry or light press
    seal_ink: float = 1.0


KINDS = ("scan", "photo", "fax", "bw")


def kind_style(kind: str, rng: random.Random, **overrides) -> dict:
    """ScanStyle overrides that make a photographed or faxed page (``kind``) of the plain scan:
    a photo keeps a camera's JPEG and uneven light and adds the keystone and the binding's
    shadow; a fax is binarised at half the vertical resolution, without noise, blur or a tone; a
    black-and-white scan is binarised at full resolution, at 200 or 300 dpi, a little blurred."""
    if kind == "scan":
        return dict(overrides)
    if kind == "photo":
        style = {"perspective": round(rng.uniform(0.004, 0.012), 4), "shadow": round(rng.uniform(0.25, 0.5), 2),
                 "lighting": round(rng.uniform(0.2, 0.45), 2), "dpi": rng.choice((150, 200, 200)),
                 "rotation": rng.choice((0, 0, 0, 90, 270)), "skew": round(rng.uniform(-4.0, 4.0), 2)}
    elif kind == "fax":
        style = {"fax": rng.randint(150, 190), "dpi": 200, "noise": 0.0, "blur": 0.0, "lighting": 0.0,
                 "rotation": rng.choice((0, 0, 0, 180)), "skew": round(rng.uniform(-1.5, 1.5), 2)}
    elif kind == "bw":
        style = {"fax": rng.randint(140, 180), "fine": True, "dpi": rng.choice((200, 300, 300)), "noise": 0.0,
                 "blur": round(rng.uniform(0.0, 0.6), 2), "lighting": 0.0, "rotation": 0,
                 "skew": round(rng.uniform(-1.0, 1.0), 2)}
    else:
        raise ValueError(f"no such kind of scan: {kind!r} (one of {', '.join(KINDS)})")
    return {**style, **overrides}


def scan_style(rng: random.Random, **overrides) -> ScanStyle:
    style = ScanStyle(
        dpi=rng.choice((150, 200, 200, 300)),
        rotation=rng.choice((0, 0, 90, 180, 270)),
        skew=round(rng.uniform(-5.0, 5.0), 2),
        noise=round(rng.uniform(0.0, 10.0), 1),
        blur=round(rng.choice((0.0, rng.uniform(0.3, 1.0))), 2),
        lighting=round(rng.uniform(0.0, 0.3), 2),
        jpeg=rng.randint(45, 90),
    )
    return ScanStyle(**{**asdict(style), **overrides})


def scan_report(pdf: bytes, truth: dict, seed: int, kind: str = "scan", signed: bool = False,
                **overrides) -> tuple[bytes, dict]:
    """The scanned PDF of a report and its truth with the transforms of every page under ``scan``.

    ``kind`` "photo" or "fax" photographs or faxes each page instead (``kind_style``; drawn from
    a stream of their own, so a plain scan of a seed stays what it was). ``signed``: the seal is
    pressed over the signature (the issuer's name and the date, as a body signs its report)
    instead of over the numbers. ``overrides`` fix ScanStyle fields on every page (e.g.
    ``rotation=90``, ``dpi=200``, ``grey=True``)."""
    rng = random.Random(seed)
    kind_rng = random.Random(f"{kind}-{seed}")
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    signature = _signature_place(doc) if signed else None
    seal_page = signature[0] if signature else _seal_page(truth, doc.page_count)
    out = pymupdf.open()
    styles = []
    for number, page in enumerate(doc):
        style = scan_style(rng, **kind_style(kind, kind_rng, **overrides))
        if number == seal_page:
            place = signature[1] if signature else _seal_place(truth, number, rng)
            style = ScanStyle(**{**asdict(style), "seal": place})
        image = scan_image(page, style, truth["report"]["issuer"] or "", rng)
        _add_image_page(out, image, style)
        styles.append(asdict(style))
    data = out.tobytes(garbage=3, deflate=True)
    return data, {**truth, "scan": {"seed": seed, "kind": kind, "pages": styles}}


def paste_as_picture(pdf: bytes, truth: dict, table: str, dpi: int = 150) -> tuple[bytes, list[int]]:
    """The report with ``table`` (a ruled one) pasted as a picture, as a table copied from a
    spreadsheet as a screenshot is: the grid and its text replaced by an image of them (``dpi``),
    on every page it spans; returns the PDF and those pages. The truth's values stay the same."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    pages = sorted({c["page"] for c in truth["cells"] if c["table"] == table})
    for number in pages:
        page = doc[number]
        cells = [c["bbox"] for c in truth["cells"] if c["table"] == table and c["page"] == number]
        box = _grid_around(page, cells)
        if box is None:
            raise ValueError(f"{table} is not ruled on page {number + 1}: its extent is unknown")
        picture = page.get_pixmap(dpi=dpi, clip=box).tobytes("png")
        page.add_redact_annot(box)
        page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_NONE,
                              graphics=pymupdf.PDF_REDACT_LINE_ART_REMOVE_IF_TOUCHED)
        page.insert_image(box, stream=picture)
    return doc.tobytes(), pages


def with_ocr_layer(scan: bytes, source: bytes) -> bytes:
    """The scan with an invisible text layer (render mode 3) over each page, as a scanner's OCR
    leaves one: each line of the source's text where it was printed, every digit read one higher
    (a bad OCR whose numbers still look like numbers), so that a record taking any of it is wrong."""
    out = pymupdf.open(stream=scan, filetype="pdf")
    misread = str.maketrans("0123456789", "1234567890")
    with pymupdf.open(stream=source, filetype="pdf") as doc:
        for printed, page in zip(doc, out):
            for block in printed.get_text("dict")["blocks"]:
                for line in block.get("lines", ()):
                    for span in line["spans"]:
                        if span["text"].strip():
                            page.insert_text(span["origin"], span["text"].translate(misread), fontsize=span["size"],
                                             fontname="china-s", render_mode=3)
    return out.tobytes(garbage=3, deflate=True)


def _grid_around(page: pymupdf.Page, cells: list) -> pymupdf.Rect | None:
    """The extent of the ruled grid holding ``cells``: the rulings that touch one another, from
    those around the cells outwards (the header rows too, not the next table)."""
    rects = [pymupdf.Rect(d["rect"]) + (-1, -1, 1, 1) for d in page.get_drawings()]
    centres = [pymupdf.Point((x0 + x1) / 2, (y0 + y1) / 2) for x0, y0, x1, y1 in cells]
    grid = [r for r in rects if any(r.x0 - 30 <= p.x <= r.x1 + 30 and r.y0 - 30 <= p.y <= r.y1 + 30 for p in centres)]
    rest = [r for r in rects if r not in grid]
    while True:
        touching = [r for r in rest if any(r.intersects(g) for g in grid)]
        if not touching:
            break
        grid += touching
        rest = [r for r in rest if r not in touching]
    if not grid:
        return None
    return pymupdf.Rect(min(r.x0 for r in grid) - 1, min(r.y0 for r in grid) - 1,
                        max(r.x1 for r in grid) + 1, max(r.y1 for r in grid) + 1)


def scan_image(page: pymupdf.Page, style: ScanStyle, issuer: str, rng: random.Random) -> np.ndarray:
    """One page as the scanner saw it: RGB uint8, turned and skewed."""
    import cv2

    pix = page.get_pixmap(dpi=style.dpi, alpha=False)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3).astype(np.float32) / 255
    if style.seal is not None:
        image = _stamp(image, style, issuer)
    h, w = image.shape[:2]
    if style.lighting:
        # light falls off linearly towards one corner
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        corner = rng.choice(((0, 0), (0, 1), (1, 0), (1, 1)))
        d = (np.abs(xx / w - corner[0]) + np.abs(yy / h - corner[1])) / 2
        image *= (1 - style.lighting * d)[..., None]
    if style.shadow:
        # the binding's shadow: darkest at one long edge, gone a sixth of the page in
        edge = rng.choice((0, 1))
        x = np.arange(w, dtype=np.float32) / w
        depth = np.exp(-(x if edge == 0 else 1 - x) / 0.06)
        image *= (1 - style.shadow * depth)[None, :, None]
    image = (image * 255).clip(0, 255).astype(np.uint8)
    if style.perspective:
        # the camera not square to the sheet: each corner moved in or out along both axes
        d = style.perspective * max(w, h)
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = src + np.float32([[rng.uniform(-d, d), rng.uniform(-d, d)] for _ in range(4)])
        image = cv2.warpPerspective(image, cv2.getPerspectiveTransform(src, dst), (w, h),
                                    flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    if style.skew:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), style.skew, 1.0)
        image = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    if style.blur:
        image = cv2.GaussianBlur(image, (0, 0), style.blur)
    if style.noise:
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0, style.noise, image.shape[:2])
        image = (image + noise[..., None]).clip(0, 255).astype(np.uint8)
    if style.grey:
        image = np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    if style.fax:
        # standard mode: every other line sent, each received line printed twice; black or white
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        if not style.fine:
            grey = np.repeat(grey[::2], 2, axis=0)[:h]
        image = np.repeat(np.where(grey < style.fax, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    # np.rot90 turns counter-clockwise; the sheet was turned clockwise
    return np.ascontiguousarray(np.rot90(image, -style.rotation // 90))


def _add_image_page(out: pymupdf.Document, image: np.ndarray, style: ScanStyle) -> None:
    import cv2

    h, w = image.shape[:2]
    if style.fax:     # a fax comes as a lossless black-and-white image (CCITT in a real one)
        ok, data = cv2.imencode(".png", image[:, :, 0])
    elif style.grey:
        ok, data = cv2.imencode(".jpg", image[:, :, 0], [cv2.IMWRITE_JPEG_QUALITY, style.jpeg])
    else:
        ok, data = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, style.jpeg])
    assert ok
    page = out.new_page(width=w * 72 / style.dpi, height=h * 72 / style.dpi)
    page.insert_image(page.rect, stream=data.tobytes())


# --- the seal ---------------------------------------------------------------------------------------

def _seal_page(truth: dict, pages: int) -> int:
    counts = [0] * pages
    for c in truth["cells"]:
        if c["value"] is not None and c["page"] < pages:
            counts[c["page"]] += 1
    return max(range(pages), key=lambda p: counts[p])


def _seal_place(truth: dict, page: int, rng: random.Random) -> tuple[float, float, float]:
    """A seal centred near one of the page's numbers, so that its ring crosses others."""
    numbers = [c for c in truth["cells"] if c["page"] == page and c["value"] is not None]
    x0, y0, x1, y1 = rng.choice(numbers)["bbox"]
    radius = rng.uniform(55, 75)     # a 42 mm official seal is ~60 pt in radius
    return (round((x0 + x1) / 2 + rng.uniform(-20, 20), 1), round((y0 + y1) / 2 + rng.uniform(-20, 20), 1),
            round(radius, 1))


_SIGNING_DATE = re.compile(r"20\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")


def _signature_place(doc: pymupdf.Document) -> tuple[int, tuple[float, float, float]] | None:
    """(page, seal) over the signature: centred on the signing date's line, the last line of the
    report that is a date alone, so that the ring and the name cross both it and the issuer above."""
    for number in range(doc.page_count - 1, -1, -1):
        lines = [(b, line) for b in doc[number].get_text("dict")["blocks"] for line in b.get("lines", [])]
        for _, line in reversed(lines):
            text = "".join(span["text"] for span in line["spans"]).strip()
            if _SIGNING_DATE.fullmatch(text):
                x0, y0, x1, y1 = line["bbox"]
                return number, (round((x0 + x1) / 2 - 8, 1), round(y0 - 6, 1), 60.0)
    return None


def _stamp(image: np.ndarray, style: ScanStyle, issuer: str) -> np.ndarray:
    """Press the seal in with multiply blending: red on paper, black text stays black under it."""
    ink = _seal_ink(style.seal, style.dpi, image.shape[1], image.shape[0], issuer) * style.seal_ink
    return image * (1 - ink[..., None] * (1 - SEAL_RED))


def _seal_ink(seal: tuple[float, float, float], dpi: int, w: int, h: int, issuer: str) -> np.ndarray:
    """How much ink (0–1) the seal leaves at each pixel: drawn as vector art, then rasterised."""
    cx, cy, r = seal
    doc = pymupdf.open()
    page = doc.new_page(width=w * 72 / dpi, height=h * 72 / dpi)
    shape = page.new_shape()
    shape.draw_circle((cx, cy), r - 2.5)
    shape.finish(width=5, color=(0, 0, 0))
    star = [(cx + (0.3 * r if i % 2 == 0 else 0.12 * r) * math.sin(i * math.pi / 5),
             cy - (0.3 * r if i % 2 == 0 else 0.12 * r) * math.cos(i * math.pi / 5)) for i in range(10)]
    shape.draw_polyline(star + [star[0]])
    shape.finish(fill=(0, 0, 0), color=(0, 0, 0), width=0.5)
    shape.commit()
    text = (issuer or "人民政府办公室")[:16]
    size = min(0.24 * r, 2 * math.pi * 0.72 * r * 0.6 / max(len(text), 1))
    sweep = math.radians(240)
    for i, ch in enumerate(text):
        a = -sweep / 2 + sweep * (i + 0.5) / len(text)   # 0 = top of the ring, clockwise
        px, py = cx + 0.72 * r * math.sin(a), cy - 0.72 * r * math.cos(a)
        # the glyph stands upright on the rim, its foot towards the centre
        origin = pymupdf.Point(px - size / 2 * math.cos(a), py - size / 2 * math.sin(a) + size * 0.4)
        page.insert_text(origin, ch, fontsize=size, fontname="china-s",
                         morph=(pymupdf.Point(px, py), pymupdf.Matrix(-math.degrees(a))))
    pix = page.get_pixmap(dpi=dpi, alpha=False, colorspace=pymupdf.csGRAY)
    grey = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w)[:h, :w]
    ink = np.zeros((h, w), np.float32)
    ink[:grey.shape[0], :grey.shape[1]] = 0.92 * (1 - grey.astype(np.float32) / 255)
    return ink


# --- files ----------------------------------------------------------------------------------------

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "scanned"
# Small enough to commit: 150 dpi, little noise (noise is what JPEG cannot compress), every page
# still turned, skewed, blurred, unevenly lit and one stamped.
FIXTURE_SCAN = {"dpi": 150, "noise": 2.0, "jpeg": 50}
# name, seed, format, scan_report's keywords (``ocr_layer``: the scan under ``with_ocr_layer``).
# s21-signed-ocr-layer: the seal pressed over the signature below the last table, its crumbs the
# red leaves lined up like cells under 表四's columns, and an invisible OCR layer over every page
FIXTURES = (("s19-scan", 305, "2019", {}), ("s21-scan", 302, "2021", {}),
            ("s21-signed-ocr-layer", 302, "2021", {"signed": True, "ocr_layer": True}))
# Scans of reports laid out by an engine (``training/engines.py``; skipped where it is not
# installed): name, seed, engine, content and engine-style keywords, the scan's seed and
# overrides (the seed puts the seal where it covers no number: that is another failure class,
# shown by the bench_ocr corpus). s21-lo-tail-scan: a
# LibreOffice table set as tight as its text (rows 11.7 pt, lower than a glyph's stroke may be),
# the applications table broken before its last row (``tail_split``), which stands alone at the
# head of page 3 with dividers one row long; at 200 dpi, level, unstamped, so that it shows that
# and only that. s21-lo-photo: a LibreOffice report (bench_ocr's seed 400002) photographed at
# 200 dpi, its 0.5 pt rulings blurred lighter than RULING_INK in places, pages turned and squared.
# s19-lo-bw: bench_ocr's seed 400003 scanned in black and white at the kind's own 200 or 300 dpi a
# page, the seal black over 表三's numbers, rulings between rows lost in the threshold.
ENGINE_SCANS = (
    ("s21-lo-tail-scan", 466, "libreoffice", {"year": 2022, "profile": "small"},
     {"force": "tail_split", "font": "song", "table_size": 10.5, "cell_vpad": 0.0, "repeat_header": False,
      "rows_can_split": False},
     4, {"dpi": 200, "rotation": 0, "skew": 0.6, "blur": 0.4}),
    ("s21-lo-photo", 400002, "libreoffice", {"fmt": "2021", "amount_unit": "note", "lead_in": False,
                                             "blank_zero_tables": False},
     {}, 400002, {"kind": "photo", "dpi": 200}),
    ("s19-lo-bw", 400003, "libreoffice", {"fmt": "2019", "amount_unit": "note", "lead_in": True,
                                          "blank_zero_tables": False},
     {}, 400003, {"kind": "bw", "dpi": None, "noise": None, "jpeg": None}),
)


def write_scanned(out: Path, name: str, seed: int, **overrides) -> dict:
    """``{name}-scan.pdf`` with its truth and block labels, from ``{name}.pdf`` and its own in ``out``
    (the extractor reads a scan back into the upright page's frame, so the boxes stay the same)."""
    from .generate import dump_truth

    truth = json.loads((out / f"{name}.truth.json").read_text("utf-8"))
    pdf, scanned = scan_report((out / f"{name}.pdf").read_bytes(), truth, seed, **overrides)
    (out / f"{name}-scan.pdf").write_bytes(pdf)
    (out / f"{name}-scan.truth.json").write_text(dump_truth(scanned), "utf-8")
    shutil.copyfile(out / f"{name}.blocks.jsonl", out / f"{name}-scan.blocks.jsonl")
    return scanned


def write_fixtures(out: Path = FIXTURES_DIR, names: set[str] | None = None) -> None:
    """The committed scanned fixtures (those of ``names``, or all): generated reports of both
    formats, scanned."""
    from .content import make_content
    from .engines import missing
    from .generate import dump_truth, lay_out, report_for, style_seed, truth_of, write_blocks
    from .layout import engine_style_for

    out.mkdir(parents=True, exist_ok=True)
    reports = []
    for name, seed, fmt, overrides in FIXTURES:
        if names is None or name in names:
            reports.append((name, seed, *report_for(seed, fmt), overrides))
    for name, seed, engine, content_options, style_options, scan_seed, overrides in ENGINE_SCANS:
        if names is not None and name not in names:
            continue
        reason = missing(engine)
        if reason:
            print(f"{name} not made: {reason}")
            continue
        reports.append((name, scan_seed, make_content(seed, name=name, **content_options),
                        engine_style_for(style_seed(seed), engine, **style_options), overrides))
    for name, seed, content, style, overrides in reports:
        ts = lay_out(content, style)
        layered = bool(overrides.get("ocr_layer"))
        scanning = {key: value for key, value in overrides.items() if key != "ocr_layer"}
        # an override of None leaves FIXTURE_SCAN's setting to the kind (a black-and-white scan's own dpi)
        scanning = {key: value for key, value in {**FIXTURE_SCAN, **scanning}.items() if value is not None}
        pdf, truth = scan_report(ts.pdf, truth_of(content, style, ts), seed, **scanning)
        (out / f"{name}.pdf").write_bytes(with_ocr_layer(pdf, ts.pdf) if layered else pdf)
        (out / f"{name}.truth.json").write_text(dump_truth(truth), "utf-8")
        if not layered:   # the same report as a plain scan: no second example to train on
            write_blocks(out / f"{name}.blocks.jsonl", ts.blocks)


if __name__ == "__main__":
    write_fixtures(names=set(sys.argv[1:]) or None)   # python -m training.scan [NAME ...]
