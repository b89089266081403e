"""Every trait the corpus claims is really in the PDF.

For each trait, the fixtures whose truth lists it are opened with PyMuPDF and the trait is looked
for in what the PDF itself holds: glyph positions, text-show operators, ruling lines, stream order.
The fixtures are ``fixtures/NAME.pdf`` with ``fixtures/NAME.truth.json`` (its ``traits``, and its
``cells`` for where blank cells are).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pymupdf
import pytest

from conftest import FIXTURES
from extractor.spec.templates import application_labels

# A trait is proven on every fixture that lists it, except those the content can realise in
# ways no fixed test can spell out (a typo): there one fixture showing a known form suffices.
ANY_FIXTURE = {"label_variant"}


@pytest.fixture(scope="module")
def corpus() -> list[tuple[Path, dict]]:
    truths = sorted(FIXTURES.glob("*.truth.json"))
    assert truths, "no fixtures: python -m training.generate --fixtures"
    return [(t.with_name(t.name.replace(".truth.json", ".pdf")), json.loads(t.read_text("utf-8")))
            for t in truths]


# --- what a page holds ------------------------------------------------------------------------------

def _chars(page: pymupdf.Page) -> list[tuple[str, float, float, float, float]]:
    """(char, x0, baseline, size, x1) of every glyph on the page."""
    out = []
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                for ch in span["chars"]:
                    if not ch["c"].isspace():
                        out.append((ch["c"], ch["bbox"][0], ch["origin"][1], span["size"], ch["bbox"][2]))
    return out


def _chain(chars, word: str) -> list[list[tuple]]:
    """Every way ``word`` is printed, following it to the right on its line or down to the next
    line of its cell; each result lists the glyphs used."""
    found = []
    for first in chars:
        if first[0] != word[0]:
            continue
        used = [first]
        for want in word[1:]:
            c0 = used[-1]
            size = c0[3]
            right = [c for c in chars if c[0] == want and abs(c[2] - c0[2]) < 1 and 0 < c[1] - c0[1] < 1.6 * size]
            # a wrapped line starts at its cell's left, or centred under the line before
            below = [c for c in chars if c[0] == want and 0.6 * size < c[2] - c0[2] < 2.4 * size
                     and -12 * size < c[1] - c0[1] < 0.5 * size]
            nxt = min(right, key=lambda c: c[1] - c0[1]) if right else (
                min(below, key=lambda c: (c[2], c0[1] - c[1])) if below else None)
            if nxt is None:
                break
            used.append(nxt)
        found.append(used)
    return found


def _lines_of(chain) -> int:
    return len({round(c[2]) for c in chain})


def _rulings(page: pymupdf.Page) -> list[pymupdf.Rect]:
    out = []
    for d in page.get_drawings():
        for item in d["items"]:
            if item[0] == "l":
                out.append(pymupdf.Rect(item[1], item[2]).normalize())
            elif item[0] == "re" and min(item[1].width, item[1].height) <= 1.0:
                out.append(item[1])
    return out


def _text(page: pymupdf.Page) -> str:
    return page.get_text()


def _show_ops(page: pymupdf.Page) -> int:
    return len(re.findall(rb"(?:Tj|TJ)\b", page.read_contents()))


FOOTER = re.compile(r"^\s*(?:[-—－]\s*\d+\s*[-—－]|第\s*\d+\s*页|\d+)\s*$")


def _splits(doc: pymupdf.Document):
    """(page, next page) where ruled table rows run to the foot of one page and go on at the top of
    the next, with the footer printed between them."""
    for n in range(len(doc) - 1):
        here, there = _rulings(doc[n]), _rulings(doc[n + 1])
        if not here or not there:
            continue
        last_rule = max(r.y1 for r in here)
        first_rule = min(r.y0 for r in there)
        first_text = min(b[1] for b in doc[n + 1].get_text("blocks") if b[3] > 50)   # below a running header
        footer = [b for b in doc[n].get_text("blocks") if FOOTER.match(b[4]) and b[1] > last_rule]
        if first_rule <= first_text + 1 and footer:
            yield n, n + 1


# --- one check per trait --------------------------------------------------------------------------------

def wps_glyphs(doc, truth):
    page = doc[0]
    return _show_ops(page) >= len(_chars(page))          # a text show per glyph


def word_runs(doc, truth):
    page = doc[0]
    return _show_ops(page) < len(_chars(page)) / 4


SERIF_FACES = re.compile(r"SimSun|UMing|Serif")              # 宋体 as printed: SimSun, AR PL UMing, Noto Serif CJK
SANS_FACES = re.compile(r"SimHei|ZenHei|Sans")               # 黑体: SimHei, WenQuanYi Zen Hei, Noto Sans CJK


def _face(doc, font: str) -> str:
    """A span's font name without its subset tag; a Type 3 font (Chromium prints Noto faces so,
    with no name of their own) is named by its font descriptor's FontName."""
    m = re.fullmatch(r"Type3 \((\d+) 0 R\)", font)
    if not m:
        return font.split("+")[-1]
    kind, desc = doc.xref_get_key(int(m[1]), "FontDescriptor")
    return doc.xref_get_key(int(desc.split()[0]), "FontName")[1].lstrip("/").split("+")[-1] if kind == "xref" else ""


def _body_face(doc) -> str:
    """The face most of the report's Han characters are printed in (headings are a few lines)."""
    counts: dict[str, int] = {}
    for page in doc:
        for block in page.get_text("rawdict")["blocks"]:
            for line in block.get("lines", ()):
                for span in line["spans"]:
                    han = sum("\u4e00" <= ch["c"] <= "\u9fff" for ch in span["chars"])
                    if han:
                        face = _face(doc, span["font"])
                        counts[face] = counts.get(face, 0) + han
    return max(counts, key=counts.get, default="")


def serif(doc, truth):
    face = _body_face(doc)
    return bool(SERIF_FACES.search(face)) and not SANS_FACES.search(face)


def sans(doc, truth):
    face = _body_face(doc)
    return bool(SANS_FACES.search(face)) and not SERIF_FACES.search(face)


def embedded_font(doc, truth):
    return any(f[1] in ("ttf", "cff", "otf") and "+" in f[3] for f in doc[0].get_fonts())


def _anywhere(doc, word, test):
    return any(test(ch) for page in doc for ch in _chain(_chars(page), word) if len(ch) == len(word))


def stacked_header(doc, truth):
    return any(_anywhere(doc, w, lambda ch: _lines_of(ch) == len(ch)) for w in ("结果维持", "结果纠正", "尚未审结"))


def wrapped_header(doc, truth):
    words = ("商业企业", "科研机构", "社会公益组织", "社会组织", "法律服务机构", "结果维持", "尚未审结")
    return any(_anywhere(doc, w, lambda ch: _lines_of(ch) >= 2) for w in words)


def vertical_group_label(doc, truth):
    # at most three characters a line; a page break may cut the label, so any four-character
    # piece of it standing over two lines or more will do
    label = "本年度办理结果"
    return any(_anywhere(doc, label[i:i + 4], lambda ch: _lines_of(ch) >= 2) for i in range(len(label) - 3))


def wrapped_row_label(doc, truth):
    words = {label.split(" ")[-1][2:] for label in application_labels().values()}
    return any(_anywhere(doc, w, lambda ch: _lines_of(ch) >= 2) for w in words if len(w) >= 6)


def three_level_header(doc, truth):
    """行政复议 over 未经复议直接起诉 over 复议后起诉, 总计 heading each of the three groups, then
    the row of numbers. A table broken after its first header row has its lower levels at the top
    of the next page; a review table printed blank shows its row as ruled cells with no number
    (two horizontal rules under the header: the header's foot and the row's)."""
    blank = "blank_zero_table_review_litigation" in truth["traits"]
    for n, page in enumerate(doc):
        top = [c[0][2] for c in _chain(_chars(page), "行政复议") if len(c) == 4]
        if not top:
            continue
        for lower in (doc[m] for m in (n, n + 1) if m < len(doc)):
            chars = _chars(lower)
            mid = [c[0][2] for c in _chain(chars, "未经复议直接起诉") if len(c) == 8]
            low = [c[-1][2] for c in _chain(chars, "复议后起诉") if len(c) == 5]
            if not (mid and low) or (lower.number == n and min(top) >= min(mid)):
                continue
            totals = [c for c in chars if c[0] == "总" and c[2] > min(mid)]
            if blank:
                row = {round(r.y0) for r in _rulings(lower) if r.height < 2 and r.y0 > max(low)}
                shown = len(row) >= 2
            else:
                shown = any(w[1] > max(low) and re.fullmatch(r"[+-]?\d+|/", w[4]) for w in lower.get_text("words"))
            return len(totals) >= 3 and shown
    return False


def table_split(doc, truth):
    return any(True for _ in _splits(doc))


footer_in_table = table_split          # _splits requires the footer between the two parts


def repeated_header(doc, truth):
    # only the applications table has header rows to repeat (the review table is one row)
    return sum(bool(page.search_for("申请人情况")) for page in doc) >= 2


def group_label_cut(doc, truth):
    labels = ("三、本年度办理结果", "（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理",
              "(三)不予公开", "(四)无法提供", "(五)不予处理", "(六)其他处理")
    def in_table(page):
        rules = _rulings(page)
        top, bottom = min(r.y0 for r in rules), max(r.y1 for r in rules)
        return [c for c in _chars(page) if top < c[2] < bottom]

    for n, m in _splits(doc):
        here, there = in_table(doc[n]), in_table(doc[m])
        for label in labels:
            if any(len(c) == len(label) for c in _chain(here, label) + _chain(there, label)):
                continue                                  # printed whole: not this label
            for k in range(1, len(label)):
                # the head ends its line: the cell's text goes on over the page break
                head = [c for c in _chain(here, label[:k]) if len(c) == k
                        and not any(abs(o[2] - c[-1][2]) < 1 and 0 <= o[1] - c[-1][4] < 0.25 * o[3] for o in here)]
                tail = [c for c in _chain(there, label[k:]) if len(c) == len(label) - k]
                if any(abs(h[0][1] - t[0][1]) < 3 * h[0][3] for h in head for t in tail):   # one column
                    return True
    return False


def prose_after_table(doc, truth):
    for page in doc:
        rules = _rulings(page)
        if any(re.match(r"[三四五六]、", b[4]) and any(r.y1 < b[1] for r in rules)
               for b in page.get_text("blocks")):
            return True
    return False


def _labelled(doc) -> list[dict]:
    """The fixture's block labels (NAME.blocks.jsonl beside NAME.pdf)."""
    path = Path(doc.name)
    text = path.with_name(path.stem + ".blocks.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def stream_order_shuffled(doc, truth):
    """Prose or a heading comes in the content stream before table cells that stand above it on
    the page; the labels only say which of the PDF's own blocks is which."""
    labelled = _labelled(doc)
    for page in doc:
        own = [b for b in labelled if b["page"] == page.number]
        blocks = page.get_text("blocks", sort=False)
        kinds = []
        for b in blocks:
            rect = pymupdf.Rect(b[:4]) + (-1, -1, 1, 1)
            kinds.append({t["label"] for t in own if pymupdf.Rect(t["bbox"]).intersects(rect)
                          and rect.contains(pymupdf.Rect(t["bbox"]).tl + (1, 1))})
        for i, b in enumerate(blocks):
            if kinds[i] & {"prose", "heading"} and "table_cell" not in kinds[i] and any(
                    kinds[j] == {"table_cell"} and blocks[j][3] < b[1] for j in range(i + 1, len(blocks))):
                return True
    return False


def unruled_disclosure(doc, truth):
    for page in doc:
        caps = sorted(r.y0 for r in page.search_for("第二十条"))
        if len(caps) >= 2:
            return not any(caps[0] - 2 < r.y0 < caps[-1] + 2 for r in _rulings(page))
    return False


def disclosure_blocks(doc, truth):
    """Captions stand outside the tables: a table starts under a 第二十条 caption and no vertical
    ruling runs past one."""
    pages = [(page.search_for("第二十条"), [r for r in _rulings(page) if r.height > r.width]) for page in doc]
    pages = [(caps, verticals) for caps, verticals in pages if caps]
    under = any(0 <= v.y0 - c.y1 < 3 * c.height for caps, verticals in pages for c in caps for v in verticals)
    return under and not any(
        v.y0 < (c.y0 + c.y1) / 2 < v.y1 for caps, verticals in pages for c in caps for v in verticals)


def ruled_fill(doc, truth):
    fills = [d for page in doc for d in page.get_drawings() if d["type"] == "f"]
    return bool(fills) and all(min(d["rect"].width, d["rect"].height) <= 1.0 for d in fills)


def _any_text(doc, pattern):
    return any(re.search(pattern, _text(page)) for page in doc)


def blank_cells(doc, truth):
    """Every cell the truth calls blank holds no glyph on the page, ruled or not."""
    blanks = [c for c in truth["cells"] if c["text"] == ""]
    return bool(blanks) and all(not doc[c["page"]].get_text("text", clip=pymupdf.Rect(c["bbox"])).strip()
                                for c in blanks)


def slash_cells(doc, truth):
    return any(w[4] == "/" for page in doc for w in page.get_text("words"))


def signed_change(doc, truth):
    return any(re.fullmatch(r"[+-]\d+", w[4]) for page in doc for w in page.get_text("words"))


def text_beside_number(doc, truth):
    """A cell printing words beside its number (22（其中修订16件）) holds all of it in its box."""
    def printed(c):
        return re.sub(r"\s", "", doc[c["page"]].get_text("text", clip=pymupdf.Rect(c["bbox"])))
    return any(re.fullmatch(r"[+-]?\d+(\.\d+)?\s*[（(].+", c["text"]) and printed(c) == re.sub(r"\s", "", c["text"])
               for c in truth["cells"])


def amount_unit_in_header(doc, truth):
    return any(_anywhere(doc, w, bool) for w in ("单位：万元", "单位：元", "单位:万元", "单位:元", "（万元）", "(万元)"))


def amount_unit_in_cell(doc, truth):
    return _any_text(doc, r"\d\s*万?元")


def table_note(doc, truth):
    return any(re.match(r"\s*注[：:]", b[4]) for page in doc for b in page.get_text("blocks"))


def label_variant(doc, truth):
    return _any_text(doc, r"社会组织|行政事业性费[^用]|\d、|\([一二三四五六七]\)")


def legacy_other_handling(doc, truth):
    text = "".join(_text(p) for p in doc).replace("\n", "")
    return "本年制发件数" in text and bool(re.search(r"[（(]六[）)]\s*其他处理", text)) and "逾期" not in text


def running_header(doc, truth):
    """The same short line above the text area of every page."""
    heads = []
    for page in doc:
        top = min(page.get_text("blocks"), key=lambda b: b[1])
        heads.append(top[4].strip() if top[3] < 50 else None)
    return heads[0] is not None and len(set(heads)) == 1


def two_line_title(doc, truth):
    spans = [s for b in doc[0].get_text("dict")["blocks"] for ln in b.get("lines", ()) for s in ln["spans"]]
    big = max(s["size"] for s in spans)
    return len({round(s["origin"][1]) for s in spans if s["size"] == big}) >= 2


def signed(doc, truth):
    page = doc[-1]
    lines = [ln for b in page.get_text("dict")["blocks"] for ln in b.get("lines", ())]
    return any(re.search(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", "".join(s["text"] for s in ln["spans"]))
               and ln["bbox"][0] > page.rect.width / 2 for ln in lines)


CHECKS = {f.__name__: f for f in (
    wps_glyphs, word_runs, serif, sans, embedded_font, stacked_header, wrapped_header,
    vertical_group_label, wrapped_row_label, three_level_header, table_split, repeated_header,
    group_label_cut, prose_after_table, stream_order_shuffled, unruled_disclosure, disclosure_blocks,
    ruled_fill,
    blank_cells, slash_cells, signed_change, text_beside_number, amount_unit_in_header,
    amount_unit_in_cell, table_note, label_variant, legacy_other_handling, running_header, two_line_title,
    signed)}
CHECKS["footer_in_table"] = footer_in_table


@pytest.mark.parametrize("trait", sorted(CHECKS))
def test_trait_is_in_the_pdf(corpus, trait):
    listed = [(path, truth) for path, truth in corpus if trait in truth["traits"]]
    assert listed, f"no report in the corpus claims {trait}"
    shown = [path.name for path, truth in listed if CHECKS[trait](pymupdf.open(path), truth)]
    listed = [path for path, _ in listed]
    if trait in ANY_FIXTURE:
        assert shown, f"{trait}: claimed by {[p.name for p in listed]}, shown by none"
    else:
        assert len(shown) == len(listed), f"{trait}: claimed by {[p.name for p in listed]}, shown only by {shown}"
