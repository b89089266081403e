"""A ``layout.Document`` as a web page, printed to PDF by headless Chromium, wkhtmltopdf or WeasyPrint.

What a report published as a web page and printed looks like: real ``<table>`` elements with
``rowspan`` / ``colspan``, collapsed CSS borders of the style's weights (the frame heavier when
the style says), cell padding, fixed column widths, header rows in ``<thead>`` when they repeat
after a page break (Chromium repeats a ``thead`` on every page), page numbers and the running
header in CSS page-margin boxes. The page is a local file and refers to nothing else: fonts are
the installed ones, and Chromium runs with a fresh profile and its background networking off.

The same page is printed by two more engines, for measuring only (no model learns from them):
wkhtmltopdf (Qt WebKit and Qt's own PDF writer) ignores ``@page`` margins and margin boxes, so its
page margins are given on its command line, and it prints neither page numbers nor a running header
(``layout.NO_MARGIN_BOXES``); it also shrinks the page to fit, as it does for anyone who prints with
it. WeasyPrint lays the page out itself (its own CSS layout on Pango) and writes the PDF with pydyf.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from training.layout import PAGE_H, PAGE_W, Document, EngineStyle, Para, RenderError, Spacer, Table

TIMEOUT = 120
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-pdf-header-footer")
# The programs each HTML engine may be installed as, and its Debian package.
PRINTERS = {
    "chromium": (("chromium", "chromium-browser", "google-chrome"), "chromium"),
    "wkhtmltopdf": (("wkhtmltopdf",), "wkhtmltopdf"),
    "weasyprint": (("weasyprint",), "weasyprint"),
}
NAMES = {"chromium": "Chromium", "wkhtmltopdf": "wkhtmltopdf", "weasyprint": "WeasyPrint"}


def printer(engine: str) -> str | None:
    """The installed program of the HTML engine ``engine``, or None."""
    return next(filter(None, map(shutil.which, PRINTERS[engine][0])), None)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _font(face: str) -> str:
    return f"'{face}', serif"


def _para(p: Para) -> str:
    style = [f"font-family: {_font(p.face)}", f"font-size: {p.size:g}pt",
             f"text-align: {p.align}", f"font-weight: {'bold' if p.bold else 'normal'}"]
    if p.pitch:
        style.append(f"line-height: {p.pitch:g}pt")
    if p.indent:
        style.append(f"text-indent: {p.indent:g}pt")
    if p.space_before:
        style.append(f"margin-top: {p.space_before:g}pt")
    if p.space_after:
        style.append(f"margin-bottom: {p.space_after:g}pt")
    if p.keep_with_next:
        style.append("break-after: avoid")
    body = "<br>".join(html.escape(line) for line in p.text.split("\n"))
    return f'<p style="{"; ".join(style)}">{body}</p>'


def _table(t: Table, st: EngineStyle) -> str:
    rule = f"{st.rule_width:g}pt solid #000" if t.ruled else "none"
    frame = f"{st.outer_rule_width:g}pt solid #000" if t.ruled else "none"
    margin = "0 auto" if st.table_align == "center" else "0"
    out = [f'<table style="width: {t.width:.2f}pt; border: {frame}; margin: {margin}; '
           f'font-family: {_font(t.face)}; font-size: {t.size:g}pt">',
           "<colgroup>" + "".join(f'<col style="width: {w:.2f}pt">' for w in t.widths) + "</colgroup>"]
    rows: dict[int, list] = {}
    for c in t.cells:
        rows.setdefault(c.row, []).append(c)
    head = t.header_rows if t.repeat else 0
    for r in range(t.n_rows):
        if r == 0 and head:
            out.append("<thead>")
        if r == head:
            out.append("<tbody>")
        # at least a line high, as a Word row is: a row of empty cells would shrink to its padding
        style = [f"height: {t.size * 1.3 + 2 * st.cell_vpad:.1f}pt"]
        if r in t.cant_split:
            style.append("break-inside: avoid")
        if r in t.keep_rows:
            style.append("break-after: avoid")
        out.append(f'<tr style="{"; ".join(style)}">')
        for c in rows.get(r, []):
            attrs = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + \
                    (f' colspan="{c.colspan}"' if c.colspan > 1 else "")
            align = "left" if c.align == "left" else "center"
            out.append(f'<td{attrs} style="border: {rule}; text-align: {align}">{html.escape(c.text)}</td>')
        out.append("</tr>")
        if r == head - 1:
            out.append("</thead>")
    out.append("</tbody></table>")
    return "\n".join(out)


def build_html(doc: Document, st: EngineStyle, title: str) -> str:
    foot_size = 10.5 if st.body_size <= 14 else 14.0
    head, _, tail = doc.footer.partition("{n}")
    number = " ".join(filter(None, [_css_string(head) if head else "", "counter(page)",
                                    _css_string(tail) if tail else ""]))
    footer = (f"@bottom-center {{ content: {number}; font-family: {_font(st.body_face)}; "
              f"font-size: {foot_size:g}pt; vertical-align: top; padding-top: {st.margin_bottom * 0.3:.1f}pt }}") \
        if doc.footer else ""
    header = (f"@top-right {{ content: {_css_string(doc.header)}; font-family: {_font(st.body_face)}; "
              f"font-size: 9pt; vertical-align: top; padding-top: {max(st.margin_top * 0.35, 18):.1f}pt }}") \
        if doc.header else ""
    css = f"""
@page {{ size: {PAGE_W}pt {PAGE_H}pt;
  margin: {st.margin_top:g}pt {st.margin_right:g}pt {st.margin_bottom:g}pt {st.margin_left:g}pt;
  {footer}
  {header} }}
html, body {{ margin: 0; padding: 0 }}
body {{ font-family: {_font(st.body_face)}; font-size: {st.body_size:g}pt; color: #000 }}
p {{ margin: 0; orphans: 1; widows: 1 }}
table {{ border-collapse: collapse; table-layout: fixed; border-spacing: 0 }}
td {{ padding: {st.cell_vpad:g}pt {st.cell_pad:g}pt; vertical-align: middle; line-height: 1.3;
      overflow-wrap: anywhere; orphans: 1; widows: 1 }}
"""
    body = []
    for el in doc.elements:
        if isinstance(el, Para):
            body.append(_para(el))
        elif isinstance(el, Spacer):
            body.append(f'<div style="height: {el.height:.2f}pt"></div>')
        else:
            body.append(_table(el, st))
    return (f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{css}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _command(engine: str, exe: str, src: Path, pdf: Path, st: EngineStyle) -> list[str]:
    if engine == "chromium":
        profile = src.parent / "profile"
        profile.mkdir()
        return [exe, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", src.as_uri()]
    if engine == "wkhtmltopdf":
        # Qt WebKit ignores the CSS @page size and margins: they go on the command line
        return [exe, "--quiet", "--enable-local-file-access", "--page-width", f"{PAGE_W}pt",
                "--page-height", f"{PAGE_H}pt", "-T", f"{st.margin_top}pt", "-B", f"{st.margin_bottom}pt",
                "-L", f"{st.margin_left}pt", "-R", f"{st.margin_right}pt", str(src), str(pdf)]
    return [exe, "--quiet", str(src), str(pdf)]


def print_pdf(page: str, st: EngineStyle) -> bytes:
    """The PDF that the HTML engine ``st.engine`` prints of the HTML ``page``."""
    engine, name = st.engine, NAMES[st.engine]
    exe = printer(engine)
    if exe is None:
        raise RenderError(f"{name} is not installed (apt-get install {PRINTERS[engine][1]})")
    with tempfile.TemporaryDirectory(prefix="nianbao-html-") as tmp:
        src, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(page, "utf-8")
        # The same bytes on every run: Qt's and Python's hash tables seeded alike (the order wkhtmltopdf
        # writes its fonts in, how WeasyPrint's fontTools subsets a font) and no clock read (the time
        # fontTools stamps a subset with). wkhtmltopdf's Qt draws offscreen, with no display, and
        # keeps its runtime files here.
        env = dict(os.environ)
        if engine == "wkhtmltopdf":
            env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=tmp, QT_HASH_SEED="0")
        elif engine == "weasyprint":
            env.update(PYTHONHASHSEED="0", SOURCE_DATE_EPOCH="0")
        try:
            run = subprocess.run(_command(engine, exe, src, pdf, st), capture_output=True, timeout=TIMEOUT,
                                 stdin=subprocess.DEVNULL, env=env)
        except subprocess.TimeoutExpired as e:
            raise RenderError(f"{name} did not finish in {TIMEOUT} s") from e
        if run.returncode != 0 or not pdf.exists():
            raise RenderError(f"{name} failed ({run.returncode}): "
                              f"{run.stderr.decode(errors='replace').strip()[-500:]}")
        return pdf.read_bytes()
