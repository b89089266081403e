"""Damaged and hostile PDFs, the kinds issue 17 tried: every one deterministic from a seed.

Damage to real reports (the committed fixtures), each with the report it was made from so that
its record can be compared with the undamaged one:

- ``truncated``: the file cut short;
- ``flip_compressed`` / ``flip_uncompressed``: bytes flipped inside a stream, Flate-compressed as
  the fixtures ship or expanded (where a flip changes an operator or a number directly);
- ``zeroed_compressed`` / ``zeroed_uncompressed``: a range of a stream zeroed;
- ``flip_anywhere``: bytes flipped anywhere (dictionaries, the xref, the trailer);
- ``broken_xref``: the xref table's offsets or ``startxref`` wrong, or the table gone;
- ``duplicate_objects``: objects defined twice, the copy changed;
- ``stray_bytes``: the issue's case: a non-UTF-8 byte in a content stream's keyword, which MuPDF
  quotes in its warning as a lone surrogate;
- ``encrypted_owner``: an owner password only (readable as is); ``encrypted_user``: a user
  password (unreadable);
- ``rotated``: pages turned by /Rotate 90, 180, 270 or an odd value.

Made by hand, hostile:

- ``blank_pages``: thousands of empty pages;
- ``huge_page``: a page 200,000 pt tall (with the report's text, or with a picture only, so that it
  would be rendered for OCR);
- ``huge_image``: an image of 20,000–60,000 px a side (its data a few bytes: the size is declared);
- ``deep_nesting``: arrays and dictionaries nested tens of thousands deep;
- ``recursive_form``: a form XObject that draws itself;
- ``nested_forms``: forms nested 12 deep, each drawing the next 8 times (8¹¹ forms), drawing
  nothing (a hang, for the time limit) or a path (for the drawing limit);
- ``many_drawings``: a page of up to 3 M drawing operations (76 KB compressed);
- ``many_text_runs``: a page of up to 1 M scattered text runs;
- ``cid_garbage``: text in a CID font whose ToUnicode map points at surrogates, private-use and
  unassigned code points.

``cases(count, seed)`` yields ``count`` of them, the kinds in turn; ``one_of_each(seed)`` one of
every kind at small sizes (the committed set the tests run).
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
BASES = ("seed-002-lianzhou-2023", "f21-zero", "f19-word-song", "seed-000-liannan-2020")


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    name: str
    data: bytes
    base: str | None = None   # the fixture it was made from: its record is the reference


@cache
def base_bytes(base: str) -> bytes:
    return (FIXTURES / f"{base}.pdf").read_bytes()


@cache
def expanded_bytes(base: str) -> bytes:
    """The fixture with every stream decompressed."""
    with pymupdf.open(stream=base_bytes(base)) as doc:
        return doc.tobytes(expand=255)


_STREAM = re.compile(rb"stream\r?\n")


def _streams(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every stream's data."""
    spans = []
    for m in _STREAM.finditer(data):
        if data[max(0, m.start() - 3):m.start()] == b"end":
            continue
        end = data.find(b"endstream", m.end())
        if end > m.end() + 4:
            spans.append((m.end(), end))
    return spans


def _flip(rng: random.Random, data: bytes, spans: list[tuple[int, int]], count: int) -> bytes:
    out = bytearray(data)
    for _ in range(count):
        start, end = rng.choice(spans)
        i = rng.randrange(start, end)
        out[i] ^= rng.randrange(1, 256)
    return bytes(out)


def _zero(rng: random.Random, data: bytes, spans: list[tuple[int, int]]) -> bytes:
    start, end = rng.choice(spans)
    i = rng.randrange(start, end)
    n = rng.randint(8, 256)
    return data[:i] + bytes(min(n, end - i)) + data[i + min(n, end - i):]


# --- damage to a real report ---------------------------------------------------------------------

def truncated(rng: random.Random, base: str) -> bytes:
    data = base_bytes(base)
    return data[:rng.randrange(len(data) // 10, len(data) - 1)]


def flip_compressed(rng: random.Random, base: str) -> bytes:
    data = base_bytes(base)
    return _flip(rng, data, _streams(data), rng.randint(1, 4))


def flip_uncompressed(rng: random.Random, base: str) -> bytes:
    data = expanded_bytes(base)
    return _flip(rng, data, _streams(data), rng.randint(1, 4))


def zeroed_compressed(rng: random.Random, base: str) -> bytes:
    data = base_bytes(base)
    return _zero(rng, data, _streams(data))


def zeroed_uncompressed(rng: random.Random, base: str) -> bytes:
    data = expanded_bytes(base)
    return _zero(rng, data, _streams(data))


def flip_anywhere(rng: random.Random, base: str) -> bytes:
    data = base_bytes(base)
    return _flip(rng, data, [(16, len(data))], rng.randint(1, 3))


def broken_xref(rng: random.Random, base: str) -> bytes:
    data = base_bytes(base)
    xref = data.rfind(b"\nxref")
    how = rng.randrange(3)
    if how == 0 or xref < 0:   # startxref points elsewhere
        at = data.rfind(b"startxref")
        end = data.find(b"%%EOF", at)
        return data[:at] + b"startxref\n" + str(rng.randrange(len(data))).encode() + b"\n" + data[end:]
    if how == 1:   # offsets in the table changed
        table = bytearray(data[xref:data.find(b"trailer", xref)])
        for m in rng.sample(list(re.finditer(rb"\d{10}", bytes(table))), k=3):
            table[m.start():m.end()] = b"%010d" % rng.randrange(len(data))
        return data[:xref] + bytes(table) + data[xref + len(table):]
    return data[:xref] + data[data.find(b"trailer", xref):]   # the table gone


def duplicate_objects(rng: random.Random, base: str) -> bytes:
    data = expanded_bytes(base)
    objects = list(re.finditer(rb"\n(\d+) 0 obj\b(.*?)endobj", data, re.S))
    copies = []
    for m in rng.sample(objects, k=min(3, len(objects))):
        body = bytearray(m.group(0))
        for d in rng.sample(list(re.finditer(rb"\d", bytes(body))), k=min(2, len(re.findall(rb"\d", bytes(body))))):
            if d.start() > len(m.group(1)) + 1:   # not the object number
                body[d.start()] = ord(str(rng.randrange(10)))
        copies.append(bytes(body))
    xref = data.rfind(b"\nxref")
    return data[:xref] + b"".join(copies) + data[xref:]


def stray_bytes(rng: random.Random, base: str) -> bytes:
    """A number in a page's content stream turned into ``574\\xae60``-like junk."""
    with pymupdf.open(stream=base_bytes(base)) as doc:
        page = doc[rng.randrange(doc.page_count)]
        xref = page.get_contents()[0]
        content = doc.xref_stream(xref)
        numbers = list(re.finditer(rb"(?<![\d.])\d{3,}(?![\d.])", content))
        if numbers:
            m = rng.choice(numbers)
            cut = rng.randrange(1, len(m.group()))
            junk = m.group()[:cut] + bytes([rng.randrange(0x80, 0x100)]) + m.group()[cut:]
            content = content[:m.start()] + junk + content[m.end():]
        else:
            content += b" 574\xae60 "
        doc.update_stream(xref, content, compress=False)
        return doc.tobytes()


def encrypted_owner(rng: random.Random, base: str) -> bytes:
    with pymupdf.open(stream=base_bytes(base)) as doc:
        return doc.tobytes(encryption=rng.choice([pymupdf.PDF_ENCRYPT_AES_256, pymupdf.PDF_ENCRYPT_RC4_128]),
                           owner_pw="owner", permissions=0)


def encrypted_user(rng: random.Random, base: str) -> bytes:
    with pymupdf.open(stream=base_bytes(base)) as doc:
        return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")


def rotated(rng: random.Random, base: str) -> bytes:
    with pymupdf.open(stream=base_bytes(base)) as doc:
        for page in doc:
            doc.xref_set_key(page.xref, "Rotate", str(rng.choice([90, 180, 270, 45, -90, 360_000_090])))
        return doc.tobytes()


# --- hostile, made by hand -----------------------------------------------------------------------

def _single_page(content: bytes, resources: str = "<< >>", media: str = "[0 0 595 842]",
                 extra: dict[str, str] | None = None) -> tuple[pymupdf.Document, int]:
    doc = pymupdf.open()
    page = doc.new_page()
    xref = doc.get_new_xref()
    doc.update_object(xref, "<< >>")
    doc.update_stream(xref, content)
    doc.xref_set_key(page.xref, "Contents", f"{xref} 0 R")
    doc.xref_set_key(page.xref, "Resources", resources)
    doc.xref_set_key(page.xref, "MediaBox", media)
    for key, value in (extra or {}).items():
        doc.xref_set_key(page.xref, key, value)
    return doc, page.xref


def _save(doc: pymupdf.Document) -> bytes:
    data = doc.tobytes(deflate=True)
    doc.close()
    return data


_FONT = "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"


def blank_pages(rng: random.Random, pages: int | None = None) -> bytes:
    doc = pymupdf.open()
    for _ in range(pages or rng.randint(2000, 3000)):
        doc.new_page()
    return _save(doc)


def huge_page(rng: random.Random, picture: bool | None = None, tall: int | None = None) -> bytes:
    """A page 14,400 or 200,000 pt tall: with text (read from its text layer) or a picture only (to be OCRed)."""
    tall = tall or rng.choice([14_400, 200_000])
    picture = rng.random() < 0.5 if picture is None else picture
    if not picture:
        return _save(_single_page(b"BT /F1 12 Tf 72 100 Td (2023 annual report) Tj ET", _FONT,
                                  f"[0 0 595 {tall}]")[0])
    doc, page_xref = _single_page(b"q 595 0 0 %d 0 0 cm /I Do Q" % tall, media=f"[0 0 595 {tall}]")
    image = doc.get_new_xref()
    doc.update_object(image, "<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
                             "/BitsPerComponent 8 >>")
    doc.update_stream(image, bytes(range(64)))
    doc.xref_set_key(page_xref, "Resources", f"<< /XObject << /I {image} 0 R >> >>")
    return _save(doc)


def huge_image(rng: random.Random, side: int | None = None) -> bytes:
    """An image that declares 20,000–60,000 px a side (its data: one compressed row)."""
    w = side or rng.randint(20_000, 60_000)
    h = side or rng.randint(20_000, 60_000)
    doc, page_xref = _single_page(b"q 595 0 0 842 0 0 cm /I Do Q")
    image = doc.get_new_xref()
    doc.update_object(image, f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} "
                             "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode >>")
    doc.update_stream(image, zlib.compress(bytes(3 * w)), compress=False)
    doc.xref_set_key(page_xref, "Resources", f"<< /XObject << /I {image} 0 R >> >>")
    return _save(doc)


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written byte by byte (objects 1…n, 1 the catalog), for what PyMuPDF refuses to write."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def deep_nesting(rng: random.Random, depth: int | None = None) -> bytes:
    """Arrays or dictionaries nested ``depth`` deep in the page's dictionary and its resources."""
    depth = depth or rng.randint(10_000, 100_000)
    if rng.random() < 0.5:
        nested = b"[" * depth + b"1" + b"]" * depth
    else:
        nested = b"<< /A " * depth + b"1" + b" >>" * depth
    content = b"BT /F1 12 Tf 72 700 Td (deep) Tj ET"
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Deep " + nested
        + b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> /Extra "
        + nested + b" >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ])


def recursive_form(rng: random.Random) -> bytes:
    doc, page_xref = _single_page(b"q /X Do Q")
    form = doc.get_new_xref()
    doc.update_object(form, f"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                            f"/Resources << /XObject << /X {form} 0 R >> >> >>")
    doc.update_stream(form, b"0 0 m 100 100 l S q /X Do Q")
    doc.xref_set_key(page_xref, "Resources", f"<< /XObject << /X {form} 0 R >> >>")
    return _save(doc)


def nested_forms(rng: random.Random, depth: int = 12, fan: int = 8, draws: bool | None = None) -> bytes:
    """Forms nested ``depth`` deep, each drawing the next ``fan`` times: fan^(depth-1) forms."""
    draws = rng.random() < 0.5 if draws is None else draws
    doc, page_xref = _single_page(b"q /X Do Q")
    inner = None
    for _ in range(depth):
        xref = doc.get_new_xref()
        if inner is None:
            resources, content = "<< >>", b"0 0 m 595 842 l S" if draws else b"0 0 m 595 842 l n"
        else:
            resources = f"<< /XObject << /X {inner} 0 R >> >>"
            content = b" ".join([b"q /X Do Q"] * fan)
        doc.update_object(xref, f"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources {resources} >>")
        doc.update_stream(xref, content)
        inner = xref
    doc.xref_set_key(page_xref, "Resources", f"<< /XObject << /X {inner} 0 R >> >>")
    return _save(doc)


def many_drawings(rng: random.Random, count: int | None = None) -> bytes:
    count = count or rng.choice([1_000_000, 3_000_000])
    return _save(_single_page(b"0.5 w 72 72 m 500 72 l S\n" * count)[0])


def many_text_runs(rng: random.Random, count: int | None = None) -> bytes:
    count = count or rng.choice([100_000, 1_000_000])
    runs = b"".join(b"BT /F1 6 Tf %d %d Td (%d) Tj ET\n" % (rng.randrange(0, 590), rng.randrange(0, 840), rng.randrange(10))
                    for _ in range(count))
    return _save(_single_page(runs, _FONT)[0])


def cid_garbage(rng: random.Random) -> bytes:
    """Text in a CID font (Identity-H, not embedded) whose ToUnicode map points at surrogates,
    private-use and unassigned code points."""
    doc, page_xref = _single_page(b"")
    targets = [0xD800 + rng.randrange(0x800), 0xE000 + rng.randrange(0x1900), 0xFFFF, 0x10FFFF,
               0x4E00 + rng.randrange(0x5200), 0x0]
    cmap = ["/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapType 2 def",
            "1 begincodespacerange <0000> <FFFF> endcodespacerange", f"{len(targets)} beginbfchar"]
    cmap += [f"<{i + 1:04X}> <{t:04X}>" if t <= 0xFFFF else f"<{i + 1:04X}> <DBFFDFFF>" for i, t in enumerate(targets)]
    cmap += ["endbfchar endcmap CMapName currentdict /CMap defineresource pop end end"]
    to_unicode = doc.get_new_xref()
    doc.update_object(to_unicode, "<< >>")
    doc.update_stream(to_unicode, "\n".join(cmap).encode())
    font = doc.get_new_xref()
    doc.update_object(font, f"<< /Type /Font /Subtype /Type0 /BaseFont /Garbage /Encoding /Identity-H "
                            f"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Garbage "
                            f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                            f"/FontDescriptor << /Type /FontDescriptor /FontName /Garbage /Flags 4 "
                            f"/FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 "
                            f"/StemV 80 >> >>] /ToUnicode {to_unicode} 0 R >>")
    codes = "".join(f"{rng.randrange(1, len(targets) + 1):04X}" for _ in range(60))
    lines = b"".join(b"BT /F1 12 Tf 72 %d Td <%s> Tj ET\n" % (800 - 14 * i, codes.encode()) for i in range(40))
    contents = doc.xref_get_key(page_xref, "Contents")[1].split()[0]
    doc.update_stream(int(contents), lines)
    doc.xref_set_key(page_xref, "Resources", f"<< /Font << /F1 {font} 0 R >> >>")
    return _save(doc)


DAMAGE = {
    "truncated": truncated, "flip_compressed": flip_compressed, "flip_uncompressed": flip_uncompressed,
    "zeroed_compressed": zeroed_compressed, "zeroed_uncompressed": zeroed_uncompressed,
    "flip_anywhere": flip_anywhere, "broken_xref": broken_xref, "duplicate_objects": duplicate_objects,
    "stray_bytes": stray_bytes, "encrypted_owner": encrypted_owner, "encrypted_user": encrypted_user,
    "rotated": rotated,
}
HOSTILE = {
    "blank_pages": blank_pages, "huge_page": huge_page, "huge_image": huge_image,
    "deep_nesting": deep_nesting, "recursive_form": recursive_form, "nested_forms": nested_forms,
    "many_drawings": many_drawings, "many_text_runs": many_text_runs, "cid_garbage": cid_garbage,
}
KINDS = (*DAMAGE, *HOSTILE)
# how many of each kind in a run: damage is where silent differences hide, hostile files are few
# and (the hangs) slow
WEIGHTS = {**{k: 8 for k in DAMAGE}, "encrypted_owner": 2, "encrypted_user": 2, "rotated": 3,
           "blank_pages": 1, "huge_page": 2, "huge_image": 2, "deep_nesting": 2, "recursive_form": 1,
           "nested_forms": 1, "many_drawings": 1, "many_text_runs": 1, "cid_garbage": 2}


def make(kind: str, seed: int, **sizes) -> Case:
    rng = random.Random(f"{kind}/{seed}")
    if kind in DAMAGE:
        base = BASES[seed % len(BASES)]
        return Case(kind, f"{kind}-{seed:04d}-{base}", DAMAGE[kind](rng, base), base)
    return Case(kind, f"{kind}-{seed:04d}", HOSTILE[kind](rng, **sizes))


def cases(count: int, seed: int = 0) -> Iterator[Case]:
    """``count`` cases, the kinds in turn and in proportion to ``WEIGHTS``, deterministic from ``seed``."""
    order = [k for i in range(max(WEIGHTS.values())) for k in KINDS if WEIGHTS[k] > i]
    for i in range(count):
        yield make(order[i % len(order)], seed + i)


# one of every kind, small enough for the test suite (the hostile ones just past the default limits)
SMALL = {"blank_pages": {"pages": 201}, "huge_image": {"side": 20_000}, "deep_nesting": {"depth": 20_000},
         "many_drawings": {"count": 60_000}, "many_text_runs": {"count": 25_000},
         "nested_forms": {"draws": False}}


def one_of_each(seed: int = 0) -> list[Case]:
    return [make(kind, seed, **SMALL.get(kind, {})) for kind in KINDS]


def _cell_id(cell: dict) -> str:
    return "/".join(part for part in (cell["table"], cell["row"], cell["column"]) if part)


def silent_differences(record: dict, undamaged: dict) -> list[str]:
    """The cells whose value differs from the undamaged report's record and that no failing check
    names: a wrong value a person would not be told about."""
    flagged = {c for check in record["checks"] if check["status"] == "fail" for c in check["cells"]}
    before = {_cell_id(c): c["value"] for c in undamaged["cells"]}
    return sorted(cid for c in record["cells"] if (cid := _cell_id(c)) in before
                  and c["value"] != before[cid] and cid not in flagged)
