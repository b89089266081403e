"""A ``layout.Document`` as a Word document (python-docx), converted to PDF by LibreOffice.

What a Word user's export looks like: real Word tables (``w:tbl``) with merged cells
(``cell.merge``: ``gridSpan`` / ``vMerge``), header rows marked ``tblHeader`` (repeated after a
page break when the style asks), rows that may break across pages unless ``cantSplit``, fixed
column widths, table borders of the style's weights, cell margins, fonts named per run
(``w:eastAsia``), page numbers as a PAGE field in the footer, the issuer in the header.

LibreOffice runs headless with a profile of its own (``-env:UserInstallation``), created once per
process, so that it neither meets another user's running office nor reads their settings.
"""

from __future__ import annotations

import atexit
import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from docx import Document as new_docx
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, Twips

from training.layout import PAGE_H, PAGE_W, Document, EngineStyle, Para, RenderError, Spacer, Table

ALIGN = {"justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "left": WD_ALIGN_PARAGRAPH.LEFT,
         "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
TIMEOUT = 120


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


# --- the document --------------------------------------------------------------------------------

def _el(tag: str, **attrs) -> OxmlElement:
    e = OxmlElement(tag)
    for k, v in attrs.items():
        e.set(qn(f"w:{k}"), str(v))
    return e


def _set_fonts(rpr, face: str, size: float | None = None, bold: bool | None = None) -> None:
    """Run properties: one face for every script (digits too), size, bold."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = _el("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), face)
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            for old in rpr.findall(qn(tag)):
                rpr.remove(old)
            if bold:
                rpr.append(_el(tag))
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            for old in rpr.findall(qn(tag)):
                rpr.remove(old)
            rpr.append(_el(tag, val=round(size * 2)))


def _mark_props(paragraph, face: str, size: float) -> None:
    """The paragraph mark's font and size: an empty paragraph (a blank cell) is as tall as its mark."""
    ppr = paragraph._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = _el("w:rPr")
        ppr.append(rpr)
    _set_fonts(rpr, face, size)


def _add_text(paragraph, text: str, face: str, size: float, bold: bool = False) -> None:
    for i, line in enumerate(text.split("\n")):
        run = paragraph.add_run(line)
        _set_fonts(run._r.get_or_add_rPr(), face, size, bold)
        if i < len(text.split("\n")) - 1:
            run.add_break()


def _format(paragraph, *, align: str, pitch: float = 0.0, indent: float = 0.0, before: float = 0.0,
            after: float = 0.0, keep: bool = False, widows: bool = True) -> None:
    pf = paragraph.paragraph_format
    pf.alignment = ALIGN[align]
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if pitch:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(pitch)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.first_line_indent = Pt(indent) if indent else None
    pf.keep_with_next = keep
    pf.widow_control = widows


def _paragraph(doc, p: Para) -> None:
    para = doc.add_paragraph()
    _format(para, align=p.align, pitch=p.pitch, indent=p.indent, before=p.space_before,
            after=p.space_after, keep=p.keep_with_next)
    _mark_props(para, p.face, p.size)
    _add_text(para, p.text, p.face, p.size, p.bold)


def _spacer(doc, s: Spacer, face: str) -> None:
    para = doc.add_paragraph()
    _format(para, align="left", pitch=max(round(s.height, 1), 0.7))
    _mark_props(para, face, 1.0)


def _borders(tag: str, outer: float, inner: float, ruled: bool):
    el = _el(tag)
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        width = outer if side in ("top", "left", "bottom", "right") else inner
        if ruled:
            el.append(_el(f"w:{side}", val="single", sz=max(2, round(width * 8)), space=0, color="000000"))
        else:
            el.append(_el(f"w:{side}", val="nil"))
    return el


def _table(doc, t: Table, st: EngineStyle) -> None:
    n_cols = len(t.widths)
    table = doc.add_table(rows=t.n_rows, cols=n_cols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER if st.table_align == "center" else WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    for tag in ("w:tblW", "w:tblLayout", "w:tblBorders", "w:tblCellMar", "w:tblInd"):
        for old in tbl_pr.findall(qn(tag)):
            tbl_pr.remove(old)
    tbl_pr.append(_el("w:tblW", w=round(t.width * 20), type="dxa"))
    if st.table_align == "left":
        tbl_pr.append(_el("w:tblInd", w=0, type="dxa"))
    tbl_pr.append(_borders("w:tblBorders", st.outer_rule_width, st.rule_width, t.ruled))
    tbl_pr.append(_el("w:tblLayout", type="fixed"))
    mar = _el("w:tblCellMar")
    for side, v in (("top", st.cell_vpad), ("left", st.cell_pad), ("bottom", st.cell_vpad), ("right", st.cell_pad)):
        mar.append(_el(f"w:{side}", w=round(v * 20), type="dxa"))
    tbl_pr.append(mar)
    for i, gc in enumerate(table._tbl.tblGrid.findall(qn("w:gridCol"))):
        gc.set(qn("w:w"), str(round(t.widths[i] * 20)))

    for c in t.cells:
        cell = table.cell(c.row, c.col)
        if c.rowspan > 1 or c.colspan > 1:
            cell = cell.merge(table.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
        para = cell.paragraphs[0]
        _format(para, align="left" if c.align == "left" else "center", widows=False)
        _mark_props(para, t.face, t.size)
        if c.text:
            _add_text(para, c.text, t.face, t.size)
    for r, tr in enumerate(table._tbl.tr_lst):
        tr_pr = tr.get_or_add_trPr()
        if r in t.cant_split:
            tr_pr.append(_el("w:cantSplit"))
        if t.repeat and r < t.header_rows:
            tr_pr.append(_el("w:tblHeader"))
        col = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc_pr = tc.get_or_add_tcPr()
            for old in tc_pr.findall(qn("w:tcW")):
                tc_pr.remove(old)
            tc_pr.insert(0, _el("w:tcW", w=round(sum(t.widths[col:col + span]) * 20), type="dxa"))
            tc_pr.append(_el("w:vAlign", val="center"))
            if r in t.keep_rows:
                for para in tc.xpath("./w:p"):
                    ppr = para.get_or_add_pPr()
                    ppr.insert(0, _el("w:keepNext"))
            col += span


def _page_field(paragraph, face: str, size: float) -> None:
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        _set_fonts(run._r.get_or_add_rPr(), face, size)
        if kind:
            run._r.append(_el("w:fldChar", fldCharType=kind))
        elif text == " PAGE ":
            instr = _el("w:instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text


def build_docx(doc_model: Document, st: EngineStyle) -> bytes:
    doc = new_docx()
    sec = doc.sections[0]
    sec.start_type = WD_SECTION.NEW_PAGE
    sec.page_width, sec.page_height = Twips(round(PAGE_W * 20)), Twips(round(PAGE_H * 20))
    sec.top_margin, sec.bottom_margin = Pt(st.margin_top), Pt(st.margin_bottom)
    sec.left_margin, sec.right_margin = Pt(st.margin_left), Pt(st.margin_right)
    sec.header_distance = Pt(max(st.margin_top * 0.35, 18))
    sec.footer_distance = Pt(max(st.margin_bottom * 0.4, 20))
    normal = doc.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), st.body_face, st.body_size)
    normal.paragraph_format.space_after = Pt(0)
    foot_size = 10.5 if st.body_size <= 14 else 14.0
    footer = sec.footer.paragraphs[0]
    _format(footer, align="center")
    _mark_props(footer, st.body_face, foot_size)
    head, _, tail = st.footer.partition("{n}")
    if head:
        _add_text(footer, head, st.body_face, foot_size)
    _page_field(footer, st.body_face, foot_size)
    if tail:
        _add_text(footer, tail, st.body_face, foot_size)
    if doc_model.header:
        header = sec.header.paragraphs[0]
        _format(header, align="right")
        _mark_props(header, st.body_face, 9.0)
        _add_text(header, doc_model.header, st.body_face, 9.0)
    else:
        sec.header.is_linked_to_previous = True

    for el in doc_model.elements:          # a table is always followed by a paragraph (a caption,
        if isinstance(el, Para):           # a note or a Spacer), so no two tables run together
            _paragraph(doc, el)
        elif isinstance(el, Spacer):
            _spacer(doc, el, st.body_face)
        else:
            _table(doc, el, st)
    cp = doc.core_properties
    cp.author, cp.title, cp.last_modified_by, cp.revision = "", "", "", 1
    out = io.BytesIO()
    doc.save(out)
    return _stable_zip(out.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same DOCX bytes for the same document: fixed member times, no created/modified stamp."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", body)
            member = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, body)
    return out.getvalue()


# --- LibreOffice ---------------------------------------------------------------------------------

_PROFILE: Path | None = None


def _profile() -> Path:
    global _PROFILE
    if _PROFILE is None:
        _PROFILE = Path(tempfile.mkdtemp(prefix="nianbao-lo-"))
        atexit.register(shutil.rmtree, _PROFILE, True)
    return _PROFILE


def convert(docx: bytes) -> bytes:
    """The PDF LibreOffice exports from ``docx``."""
    exe = soffice()
    if exe is None:
        raise RenderError("LibreOffice is not installed (apt-get install libreoffice-writer)")
    with tempfile.TemporaryDirectory(prefix="nianbao-docx-") as tmp:
        src = Path(tmp) / "report.docx"
        src.write_bytes(docx)
        cmd = [exe, f"-env:UserInstallation={_profile().as_uri()}", "--headless", "--norestore",
               "--nologo", "--nodefault", "--nolockcheck", "--convert-to", "pdf", "--outdir", tmp, str(src)]
        try:
            run = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise RenderError(f"LibreOffice did not finish in {TIMEOUT} s") from e
        pdf = Path(tmp) / "report.pdf"
        if run.returncode != 0 or not pdf.exists():
            raise RenderError(f"LibreOffice failed ({run.returncode}): "
                              f"{(run.stderr or run.stdout).decode(errors='replace').strip()[-500:]}")
        return pdf.read_bytes()
