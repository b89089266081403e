"""Ingest on small real PDFs built here with PyMuPDF, and on the committed corpus fixtures."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pymupdf
import pytest

from conftest import FIXTURES
from extractor.errors import InputError, SetupError
from extractor.stages.ingest import ingest
from extractor.stages.ocr import ocr
from extractor.types import Ruling

SIZE = 12


def make_pdf(path: Path, *pages, **save) -> Path:
    """A PDF with one page per drawing function, each called with a fresh A4 page."""
    doc = pymupdf.open()
    for draw in pages:
        draw(doc.new_page(width=595, height=842))
    doc.subset_fonts()
    doc.save(path, **save)
    return path


def word_run(page, x, y, text, font="china-ss", size=SIZE):
    """Word style: a whole run in one text-showing operation."""
    page.insert_text((x, y), text, fontname=font, fontsize=size)


def wps_chars(page, x, y, text, font="china-ss", size=SIZE, spacing=0.5, order=1):
    """WPS style: one positioned operation per character, with a little letter spacing;
    ``order=-1`` draws them right to left."""
    placed = []
    for ch in text:
        placed.append((x, ch))
        x += pymupdf.get_text_length(ch, fontname=font, fontsize=size) + spacing
    for x, ch in placed[::order]:
        page.insert_text((x, y), ch, fontname=font, fontsize=size)
    return x


def texts(doc, page=0):
    return [block.text for block in doc.pages[page].blocks]


LINES = ["政府信息公开工作年度报告", "2020 年共受理申请 36 件，办结 35 件。", "（一）主动公开情况"]


@pytest.mark.parametrize("style", [word_run, wps_chars])
def test_word_runs_and_wps_characters_read_the_same(tmp_path, style):
    def draw(page):
        for i, line in enumerate(LINES):
            style(page, 72, 100 + 20 * i, line)

    doc = ingest(make_pdf(tmp_path / "t.pdf", draw))
    assert texts(doc) == LINES
    block = doc.pages[0].blocks[1]
    assert len(block.char_boxes) == len(block.text)
    assert block.bbox[0] == 72 and block.size == SIZE and block.font == "Song" and not block.bold
    assert doc.text_layer == "full" and doc.problems == []


def test_no_spaces_between_han_characters(tmp_path):
    def draw(page):
        word_run(page, 72, 100, "公开 工作")                          # a real space between Han
        wps_chars(page, 72, 130, "年度报告", spacing=0.4 * SIZE)       # justified WPS letter spacing
        wps_chars(page, 72, 160, "2020年", spacing=0.1)                 # no space printed: none added
        word_run(page, 72, 190, "Open data 2020", font="helv")
        wps_chars(page, 72, 220, "ab", font="helv", spacing=0.4 * SIZE)  # Latin set a word apart

    assert texts(ingest(make_pdf(tmp_path / "t.pdf", draw))) == [
        "公开工作", "年度报告", "2020年", "Open data 2020", "a b"]


def test_letter_spaced_labels_stay_whole_and_space_padding_splits(tmp_path):
    def draw(page):
        word_run(page, 72, 100, "合\u3000\u3000计")
        word_run(page, 72, 130, "备  注")
        word_run(page, 72, 160, "行政许可      1094")
        word_run(page, 72, 190, "其他      对外管理")

    assert texts(ingest(make_pdf(tmp_path / "t.pdf", draw))) == [
        "合计", "备注", "行政许可", "1094", "其他", "对外管理"]


def test_lines_follow_the_page_not_the_content_stream(tmp_path):
    def draw(page):
        # later prose drawn first, the table row above it drawn last, each line right to left
        wps_chars(page, 72, 300, "其后的正文段落。", order=-1)
        wps_chars(page, 72, 120, "第一行", order=-1)
        for x, text in ((72, "行政许可"), (200, "1094"), (300, "-475")):
            wps_chars(page, x, 200, text, order=-1)

    assert texts(ingest(make_pdf(tmp_path / "t.pdf", draw))) == [
        "第一行", "行政许可", "1094", "-475", "其后的正文段落。"]


CELLS = [(100, 160), (160, 200), (200, 240)]   # three adjacent cells, 40-60 pt wide
TOP, BOTTOM = 180, 200
TABLE_RULINGS = [
    Ruling(100, TOP, 240, TOP), Ruling(100, BOTTOM, 240, BOTTOM),
    Ruling(100, TOP, 100, BOTTOM), Ruling(160, TOP, 160, BOTTOM),
    Ruling(200, TOP, 200, BOTTOM), Ruling(240, TOP, 240, BOTTOM),
]


def numbers_in_cells(page):
    """3001 right-aligned, 53 left-aligned, 0 left-aligned: 2-3 pt apart, far under one em."""
    width = pymupdf.get_text_length("3001", fontname="helv", fontsize=SIZE) + 3 * 0.2
    wps_chars(page, CELLS[0][1] - 2 - width, 195, "3001", font="helv", spacing=0.2)
    wps_chars(page, CELLS[1][0] + 1, 195, "53", font="helv", spacing=0.2)
    wps_chars(page, CELLS[2][0] + 1, 195, "0", font="helv", spacing=0.2)


def stroked_cells(page):
    for x0, x1 in CELLS:
        page.draw_rect((x0, TOP, x1, BOTTOM), color=(0, 0, 0), width=0.5)


def thin_filled_borders(page):
    """WPS draws borders as thin filled rectangles, one per cell edge, overlapping at corners."""
    for x0, x1 in CELLS:
        for rect in ((x0, TOP - 0.25, x1, TOP + 0.25), (x0, BOTTOM - 0.25, x1, BOTTOM + 0.25),
                     (x0 - 0.25, TOP, x0 + 0.25, BOTTOM), (x1 - 0.25, TOP, x1 + 0.25, BOTTOM)):
            page.draw_rect(rect, color=None, fill=(0, 0, 0))


@pytest.mark.parametrize("borders", [stroked_cells, thin_filled_borders])
def test_ruled_cells_split_numbers_placed_close_together(tmp_path, borders):
    def draw(page):
        page.draw_rect(page.rect, color=None, fill=(0.97, 0.97, 0.97))   # near-white background
        borders(page)
        numbers_in_cells(page)

    page = ingest(make_pdf(tmp_path / "t.pdf", draw)).pages[0]
    assert [b.text for b in page.blocks] == ["3001", "53", "0"]
    assert sorted(page.rulings, key=_key) == sorted(TABLE_RULINGS, key=_key)


def test_without_rulings_close_numbers_still_do_not_glue(tmp_path):
    # the same placement with no borders: a quarter-em gap cannot split a block, but it is a space
    page = ingest(make_pdf(tmp_path / "t.pdf", numbers_in_cells)).pages[0]
    assert [b.text for b in page.blocks] == ["3001 53", "0"]


def test_shaded_cell_edges_are_rulings(tmp_path):
    def draw(page):
        page.draw_rect((100, 180, 240, 200), color=None, fill=(0.8, 0.8, 0.8))

    page = ingest(make_pdf(tmp_path / "t.pdf", draw)).pages[0]
    assert sorted(page.rulings, key=_key) == sorted(
        [Ruling(100, 180, 240, 180), Ruling(100, 200, 240, 200),
         Ruling(100, 180, 100, 200), Ruling(240, 180, 240, 200)], key=_key)


def _key(r: Ruling):
    return (r.horizontal, r.x0, r.y0, r.x1, r.y1)


def test_unruled_row_splits_at_wide_gaps(tmp_path):
    def draw(page):
        for x, text in ((72, "（七）总计"), (200, "3001"), (250, "53"), (290, "0")):
            wps_chars(page, x, 200, text, font="helv" if text.isdigit() else "china-ss")

    page = ingest(make_pdf(tmp_path / "t.pdf", draw)).pages[0]
    assert [b.text for b in page.blocks] == ["（七）总计", "3001", "53", "0"]
    assert page.rulings == []


def test_vertical_labels_are_blocks_and_watermarks_are_not(tmp_path):
    def draw(page):
        page.draw_rect((80, 100, 120, 300), color=(0, 0, 0), width=0.5)
        page.draw_line((80, 200), (120, 200), width=0.5)
        word_run(page, 130, 110, "正文")
        # top to bottom, two cells' labels 2 pt apart across the ruling at y=200
        page.insert_text((96, 139), "本年度办理", fontname="china-ss", fontsize=SIZE, rotate=270)
        page.insert_text((96, 201), "结果", fontname="china-ss", fontsize=SIZE, rotate=270)
        page.insert_text((110, 290), "不予公开", fontname="china-ss", fontsize=SIZE, rotate=90)   # bottom to top
        page.insert_text((300, 500), "内部资料", fontname="china-ss", fontsize=40,
                         morph=(pymupdf.Point(300, 500), pymupdf.Matrix(45)))

    blocks = ingest(make_pdf(tmp_path / "t.pdf", draw)).pages[0].blocks
    assert [(b.text, len(b.char_boxes)) for b in blocks] == [("正文", 2), ("本年度办理", 5), ("结果", 2), ("不予公开", 4)]
    assert blocks[1].bbox[1] == 139 and blocks[2].bbox[3] == 225


def test_fake_bold_drawn_twice_reads_once_and_bold(tmp_path):
    def draw(page):
        for dx in (0, 0.3):
            word_run(page, 72 + dx, 100, "一、总体情况")
        word_run(page, 72, 130, "正文")

    blocks = ingest(make_pdf(tmp_path / "t.pdf", draw)).pages[0].blocks
    assert [(b.text, b.bold, b.font) for b in blocks] == [("一、总体情况", True, "Song"), ("正文", False, "Song")]


def test_hei_counts_as_bold(tmp_path):
    # PyMuPDF keeps one built-in GB font per document: 黑体 needs a file of its own
    def draw(page):
        word_run(page, 72, 100, "二、主动公开政府信息情况", font="china-s")

    blocks = ingest(make_pdf(tmp_path / "t.pdf", draw)).pages[0].blocks
    assert [(b.text, b.bold, b.font) for b in blocks] == [("二、主动公开政府信息情况", True, "Heiti")]


def test_font_name_stored_in_gbk_is_decoded(tmp_path):
    def draw(page):
        word_run(page, 72, 100, "一、总体情况")

    path = make_pdf(tmp_path / "t.pdf", draw)
    doc = pymupdf.open(path)
    for xref in range(1, doc.xref_length()):
        for key in ("BaseFont", "FontName"):
            if doc.xref_get_key(xref, key)[0] != "null":
                doc.xref_set_key(xref, key, "/ABCDEF+#BA#DA#CC#E5")   # 黑体 in GBK, subset-tagged
    doc.save(tmp_path / "gbk.pdf")
    blocks = ingest(tmp_path / "gbk.pdf").pages[0].blocks
    assert [(b.text, b.bold, b.font) for b in blocks] == [("一、总体情况", True, "黑体")]


# --- garbage text layers --------------------------------------------------------------------

PROSE = "根据中华人民共和国政府信息公开条例的要求，现公布本年度政府信息公开工作年度报告。"


def embedded_font_page(page):
    page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("cjk").buffer)
    page.insert_text((72, 100), PROSE, fontname="F0", fontsize=10)
    page.insert_text((72, 130), "2020 年共受理申请 36 件", fontname="F0", fontsize=10)


def rewrite_fonts(path: Path, edit, embedded: bool) -> Path:
    """Break the text layer the way real files are broken: edit the dictionary of each composite
    font that is (or is not) embedded."""
    doc = pymupdf.open(path)
    for xref in range(1, doc.xref_length()):
        if doc.xref_get_key(xref, "Subtype")[1] == "/Type0":
            if ("Droid" in doc.xref_get_key(xref, "BaseFont")[1]) == embedded:
                edit(doc, xref)
    out = path.with_name("broken-" + path.name)
    doc.save(out)
    return out


def drop_tounicode(doc, font):
    doc.xref_set_key(font, "ToUnicode", "null")


def tounicode(kind: str, entries: list[str]):
    """An edit replacing a font's ToUnicode map by one ``bfrange`` or ``bfchar`` section."""
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def\n"
            "1 begincodespacerange <0000> <ffff> endcodespacerange\n"
            f"{len(entries)} begin{kind}\n" + "\n".join(entries) + f"\nend{kind}\n"
            "endcmap CMapName currentdict /CMap defineresource pop end end")

    def edit(doc, font):
        doc.update_stream(int(doc.xref_get_key(font, "ToUnicode")[1].split()[0]), cmap.encode())
    return edit


def tounicode_to(target: int):
    """Every glyph code mapped to ``target`` onwards (U+E000: private use)."""
    return tounicode("bfrange", [f"<{hi:02x}00> <{hi:02x}ff> <{target + hi:04x}>" for hi in range(100)])


def identity_encoding(doc, font):
    # the UCS-2 codes are then read as GB1 CIDs: a wrong but plausible-looking mapping
    doc.xref_set_key(font, "Encoding", "/Identity-H")


def builtin_font_page(page):
    page.insert_text((72, 100), PROSE, fontname="china-ss", fontsize=10)


UNMAPPED = "字形未映射：U+FFFD、私用区或控制字符"


@pytest.mark.parametrize("good, bad, edit, reason", [
    (builtin_font_page, embedded_font_page, drop_tounicode, UNMAPPED),
    (builtin_font_page, embedded_font_page, tounicode_to(0xE000), UNMAPPED),
    (builtin_font_page, embedded_font_page, tounicode_to(0x0100), "编码错乱"),
    (embedded_font_page, builtin_font_page, identity_encoding, "生僻汉字过多：ToUnicode 映射有误"),
], ids=["no-tounicode", "private-use", "mojibake", "wrong-cmap"])
def test_garbage_text_layer_is_reported_not_passed_on(tmp_path, good, bad, edit, reason):
    path = make_pdf(tmp_path / "t.pdf", good, bad)
    doc = ingest(rewrite_fonts(path, edit, embedded=bad is embedded_font_page))
    assert [p.text_layer for p in doc.pages] == ["text", "none"]
    assert texts(doc, 0)[0] == PROSE and doc.pages[1].blocks == []
    assert doc.text_layer == "partial"
    assert [p.needs_ocr for p in doc.pages] == [None, f"文字层是乱码（{reason}）"]


@pytest.mark.parametrize("text, lookalikes, printed", [
    # WPS and Word files often map glyphs to Kangxi radicals (⼯ U+2F2F for 工) or simplified
    # radicals (⻔ U+2ED4 for 门): they look right but match nothing
    ("工作方面门户", {"工": "⼯", "方": "⽅", "面": "⾯", "门": "⻔"}, "⼯作⽅⾯⻔户"),
    # ⼈ U+2F08 and ⾏ U+2F8F fold by NFKC; ⺠ U+2EA0 (民) and ⻄ U+2EC4 (西) have no decomposition
    ("西安市人民政府行政复议", {"人": "⼈", "民": "⺠", "行": "⾏", "西": "⻄"}, "⻄安市⼈⺠政府⾏政复议"),
], ids=["kangxi-radicals", "radicals-shaped-as-characters"])
def test_radical_lookalikes_read_as_ordinary_han(tmp_path, text, lookalikes, printed):
    def draw(page):
        page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("cjk").buffer)
        page.insert_text((72, 100), text, fontname="F0", fontsize=12)

    path = make_pdf(tmp_path / "t.pdf", draw)
    glyphs = {chr(c[0]): c[1] for span in pymupdf.open(path)[0].get_texttrace() for c in span["chars"]}
    edit = tounicode("bfchar", [f"<{gid:04x}> <{ord(lookalikes.get(c, c)):04x}>" for c, gid in glyphs.items()])
    broken = rewrite_fonts(path, edit, embedded=True)
    assert pymupdf.open(broken)[0].get_text().strip() == printed
    assert texts(ingest(broken)) == [text]


def test_a_few_unreadable_characters_are_noted_and_kept(tmp_path):
    def draw(page):
        page.insert_font(fontname="F0", fontbuffer=pymupdf.Font("cjk").buffer)
        page.insert_text((72, 100), PROSE * 2 + "\ue000", fontname="F0", fontsize=5)

    doc = ingest(make_pdf(tmp_path / "t.pdf", draw))
    assert doc.pages[0].text_layer == "text"
    assert texts(doc) == [PROSE * 2 + "\ufffd"]   # the font has no glyph for it
    assert doc.problems == ["第 1 页：1 个字符无法识别（U+FFFD 或私用区字符）"]


def test_invisible_text_is_left_out_and_counted(tmp_path):
    """What no reader sees is not what the report says: text neither filled nor stroked (render
    modes 3 and 7), wholly transparent, or under a picture covering the page is left out, and the
    page says how much there was; over or under a page image it is a scanner's OCR layer, and the
    page is a scan. Text over a picture (a background) is read as ever."""
    image = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 40, 40), False)
    image.clear_with(128)

    def hidden(page):
        word_run(page, 72, 100, "2020 年共受理申请 36 件")
        page.insert_text((72, 130), "共受理申请 99 件", fontname="china-ss", fontsize=SIZE, render_mode=3)
        page.insert_text((72, 160), "99", fontname="china-ss", fontsize=SIZE, render_mode=7)
        page.insert_text((72, 190), "99", fontname="china-ss", fontsize=SIZE, fill_opacity=0)

    def searchable_scan(page):
        page.insert_image(page.rect, pixmap=image)
        page.insert_text((72, 100), "2020 年共受理申请 36 件", fontname="china-ss", fontsize=SIZE, render_mode=3)

    def scan_over_its_text(page):     # the text drawn first, as ordinary text, and the picture over it
        word_run(page, 72, 100, "2020 年共受理申请 36 件")
        page.insert_image(page.rect, pixmap=image)

    def text_over_a_background(page):
        page.insert_image(page.rect, pixmap=image)
        word_run(page, 72, 100, PROSE)

    doc = ingest(make_pdf(tmp_path / "t.pdf", hidden, searchable_scan, scan_over_its_text, text_over_a_background))
    assert texts(doc) == ["2020 年共受理申请 36 件"]
    assert texts(doc, 3) == [PROSE]
    assert [p.text_layer for p in doc.pages] == ["text", "none", "none", "text"]
    assert doc.pages[1].needs_ocr == doc.pages[2].needs_ocr == "扫描图像，其文字层是不可见的识别文字（13 个字符），不予采用"
    assert doc.problems == ["第 1 页：12 个不可见的字符（不填充不描边或全透明）未采用"]


@pytest.mark.ocr
def test_scanned_page_has_no_text_layer(tmp_path):
    image = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 40, 40), False)
    image.clear_with(128)

    def scan(page):
        page.insert_image(page.rect, pixmap=image)

    def scan_with_page_number(page):
        scan(page)
        word_run(page, 280, 800, "— 2 —")

    def text_with_logo(page):
        page.insert_image((72, 72, 144, 144), pixmap=image)
        word_run(page, 72, 200, "（一）主动公开情况")

    pdf = make_pdf(tmp_path / "t.pdf", scan, scan_with_page_number, text_with_logo)
    doc = ingest(pdf)
    assert [p.text_layer for p in doc.pages] == ["none", "none", "text"] and doc.text_layer == "partial"
    assert [p.needs_ocr for p in doc.pages] == [
        "没有文字层（扫描图像，或文字以轮廓绘制）",
        "扫描图像，文字层只有 3 个字符",
        None,
    ]
    assert doc.problems == []
    assert texts(doc, 2) == ["（一）主动公开情况"]
    read = ocr(doc)
    assert [p.text_layer for p in read.pages] == ["ocr", "ocr", "text"] and read.text_layer == "partial"
    assert read.problems == [
        "第 1 页：没有文字层（扫描图像，或文字以轮廓绘制），已用 OCR 识别",
        "第 2 页：扫描图像，文字层只有 3 个字符，已用 OCR 识别",
    ]


def test_a_scan_without_the_ocr_extra_says_what_to_install(tmp_path, monkeypatch):
    import sys

    import extractor.stages.ocr

    def scan(page):
        image = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 40, 40), False)
        image.clear_with(128)
        page.insert_image(page.rect, pixmap=image)

    monkeypatch.delattr(extractor.stages.ocr, "reader", raising=False)
    monkeypatch.setitem(sys.modules, "extractor.stages.ocr.reader", None)     # as if cv2 or rapidocr were missing
    with pytest.raises(SetupError, match=r"OCR is not installed .*: pip install 'nianbao\[ocr\]'"):
        ocr(ingest(make_pdf(tmp_path / "scan.pdf", scan)))


def test_a_picture_without_the_ocr_extra_leaves_the_text_layer_read(tmp_path, monkeypatch):
    import sys

    import extractor.stages.ocr

    def page_with_picture(page):
        word_run(page, 72, 100, "一、总体情况")
        image = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 40, 40), False)
        image.clear_with(200)
        page.insert_image(pymupdf.Rect(72, 200, 520, 400), pixmap=image)    # a fifth of the page

    monkeypatch.delattr(extractor.stages.ocr, "reader", raising=False)
    monkeypatch.setitem(sys.modules, "extractor.stages.ocr.reader", None)
    doc = ocr(ingest(make_pdf(tmp_path / "picture.pdf", page_with_picture)))
    assert [b.text for b in doc.pages[0].blocks] == ["一、总体情况"]
    assert doc.text_layer == "full"
    assert doc.problems == ["第 1 页：1 张图片上没有文字层，需要 OCR 识别，但未安装 OCR：pip install 'nianbao[ocr]'"]


# --- bad input --------------------------------------------------------------------------------

def test_encrypted_with_a_user_password_is_refused(tmp_path):
    path = make_pdf(tmp_path / "t.pdf", builtin_font_page, encryption=pymupdf.PDF_ENCRYPT_AES_256,
                    user_pw="secret", owner_pw="owner")
    with pytest.raises(InputError, match=r"^encrypted \(password required\)$"):
        ingest(path)


def test_encrypted_with_an_empty_user_password_is_read(tmp_path):
    path = make_pdf(tmp_path / "t.pdf", builtin_font_page, encryption=pymupdf.PDF_ENCRYPT_AES_256,
                    owner_pw="owner")
    assert texts(ingest(path)) == [PROSE]


def good_bytes(tmp_path) -> bytes:
    def draw(page):
        word_run(page, 72, 100, PROSE)
        stroked_cells(page)
    return make_pdf(tmp_path / "good.pdf", draw, draw, draw, garbage=3, deflate=True).read_bytes()


@pytest.mark.parametrize("cut", [2, 3])
def test_truncated_pdf_is_refused_with_a_reason(tmp_path, cut):
    data = good_bytes(tmp_path)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[:len(data) // cut])
    with pytest.raises(InputError, match=r"^truncated or corrupt PDF: \S"):
        ingest(path)


def test_damaged_but_complete_pdf_is_read_with_a_note(tmp_path):
    data = good_bytes(tmp_path)
    doc = ingest(data[:-40])   # the trailer and startxref are gone; every object is still there
    assert [texts(doc, n) for n in range(3)] == [[PROSE]] * 3
    assert doc.problems == ["PDF 文件已损坏，经 MuPDF 修复"]


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a PDF"),
    ("政府信息公开工作年度报告\n".encode(), "not a PDF"),
])
def test_not_a_pdf_is_refused_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        ingest(path)
    assert str(error.value) == reason


def test_pdf_without_pages_is_refused(tmp_path):
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"]
    pdf, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    pdf += b"trailer\n<</Size 3/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    with pytest.raises(InputError, match="^no pages$"):
        ingest(bytes(pdf))


def test_png_renamed_pdf_is_refused(tmp_path):
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False)
    path = tmp_path / "scan.pdf"
    path.write_bytes(pixmap.tobytes("png"))
    with pytest.raises(InputError, match="^not a PDF$"):
        ingest(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="^cannot read file: No such file or directory$"):
        ingest(tmp_path / "nothing.pdf")


def test_bytes_in_document_out(tmp_path):
    data = good_bytes(tmp_path)
    doc = ingest(data, name="r.pdf")
    assert doc.file == "r.pdf" and doc.sha256 == hashlib.sha256(data).hexdigest()
    assert [texts(doc, n) for n in range(3)] == [[PROSE]] * 3
    assert [len(p.rulings) for p in doc.pages] == [6, 6, 6]
    assert (doc.pages[0].width, doc.pages[0].height) == (595, 842)


# --- corpus fixtures --------------------------------------------------------------------------

@pytest.mark.parametrize("truth", sorted(FIXTURES.glob("*.truth.json")), ids=lambda p: p.name)
def test_fixture_cells_are_read_at_their_boxes(truth):
    """Every printed cell text is found, whole, among the blocks inside its cell's box, and a cell
    printed blank holds no block (a report whose tables are all printed blank has only those)."""
    cells = json.loads(truth.read_text(encoding="utf-8"))["cells"]
    doc = ingest(truth.with_name(truth.name.replace(".truth.json", ".pdf")))
    checked = 0
    for cell in cells:
        if cell["page"] is None:
            continue
        x0, y0, x1, y1 = cell["bbox"]
        inside = [b for b in doc.pages[cell["page"]].blocks
                  if x0 <= (b.bbox[0] + b.bbox[2]) / 2 <= x1 and y0 <= (b.bbox[1] + b.bbox[3]) / 2 <= y1]
        assert "".join(b.text for b in inside) == cell["text"], (cell["table"], cell["row"], cell["column"])
        checked += bool(cell["text"])
    assert checked or "blank_zero_table" in json.loads(truth.read_text(encoding="utf-8"))["traits"]


def test_an_empty_marked_span_is_no_damage():
    """Chromium leaves a marked span with ActualText and no glyph where the page broke a line of a
    table row (the glyph is printed on the next page). MuPDF says "ActualText with no position"
    (and "... repeated N times..."): nothing printed is missing, so the page is not damaged; a
    complaint that is damage keeps its repeat line."""
    from extractor.stages.ingest import _damage

    assert _damage("ActualText with no position. Text may be lost or mispositioned.\n"
                   "... repeated 2 times...") is None
    assert _damage("syntax error in content stream\n... repeated 3 times...\n"
                   "ActualText with no position. Text may be lost or mispositioned.") == \
        "syntax error in content stream\n... repeated 3 times..."
