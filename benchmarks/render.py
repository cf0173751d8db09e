"""Render one Markdown policy (corpus/src/*.md) into the forms the extraction benchmark reads.

Every renderer writes into a folder the caller gives (a cache or temp folder, never corpus/):

    reportlab.pdf   corpus/build.py's render_pdf: running header, "Uncontrolled when printed"
                    and "Page N" footer (the same producer as the corpus PDFs)
    weasyprint.pdf  a second producer: HTML + CSS paged media (WeasyPrint) with @page running
                    header and "Page N of M" footer, tables, and a run of sections laid out on a
                    two-column page of its own (CSS `columns: 2`)
    scanned.pdf     reportlab.pdf with page 2 replaced by a picture of it (pypdfium2 raster,
                    no text layer), as if that page had been scanned
    page2.png       the picture used for the scanned page (for OCR)
    python-docx.docx, build.html, source.md   corpus/build.py's render_docx / render_html, and the
                    Markdown itself (a calibration row: the text reader on the true text)
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "corpus"))

import build  # noqa: E402  (corpus/build.py: parse_md, render_pdf, render_docx, render_html)

SCAN_PAGE = 2  # 1-based page of reportlab.pdf that is rasterised in scanned.pdf
SCAN_DPI = 200
FOOTER_TEXT = "Uncontrolled when printed"


def reportlab_header(title: str) -> str:
    return f"{title} - Behaviour Policy"  # what corpus/build.py draws at the top of each page


def weasy_header(title: str) -> str:
    return f"{title} | Behaviour Policy"


def weasyprint_available() -> str | None:
    """WeasyPrint's version, or None when it (or its Debian pango libraries) cannot be loaded."""
    try:
        import weasyprint  # noqa: PLC0415
    except Exception:  # noqa: BLE001 (OSError when pango is missing, ImportError when not installed)
        return None
    return getattr(weasyprint, "__version__", "?")


# --- WeasyPrint -------------------------------------------------------------------------------------

_CSS = """
@page {
  size: A4; margin: 24mm 20mm 22mm 20mm;
  @top-center { content: "%(header)s"; font: 8pt 'DejaVu Sans', sans-serif; color: #555; }
  @bottom-left { content: "%(footer)s"; font: 8pt 'DejaVu Sans', sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt 'DejaVu Sans', sans-serif; }
}
body { font: 10.5pt/1.35 'Liberation Serif', 'DejaVu Serif', serif; }
h1 { font: bold 19pt 'Liberation Sans', 'DejaVu Sans', sans-serif; margin: 0 0 10pt; }
h2 { font: bold 14pt 'Liberation Sans', 'DejaVu Sans', sans-serif; margin: 14pt 0 6pt; }
h3 { font: bold 12pt 'Liberation Sans', 'DejaVu Sans', sans-serif; margin: 10pt 0 4pt; }
h4 { font: bold 11pt 'Liberation Sans', 'DejaVu Sans', sans-serif; margin: 8pt 0 3pt; }
p { margin: 0 0 6pt; }
ul, ol { margin: 0 0 6pt; padding-left: 16pt; }
table { border-collapse: collapse; margin: 4pt 0 8pt; font-size: 9.5pt; }
th, td { border: 0.5pt solid #888; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #e8e8e8; }
section.two-col { columns: 2; column-gap: 9mm; break-before: page; break-after: page; }
"""


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


TWO_COLUMN_WORDS = 700  # about one A4 page of 10.5pt text in two columns


def two_column_section(blocks) -> tuple[int, int] | None:
    """(start, end) block indexes laid out in two columns on a page of their own: the run of
    consecutive level-2 sections without a table (after the first section) with the most words
    up to TWO_COLUMN_WORDS, so the page is about full."""
    starts = [i for i, b in enumerate(blocks) if b[0] == "h" and b[1] == 2] + [len(blocks)]
    sections = []  # (start, end, words, has_table)
    for a, z in zip(starts, starts[1:]):
        part = blocks[a:z]
        words = sum(len((b[1] if b[0] in ("p", "li") else b[2] if b[0] == "h" else "").split()) for b in part)
        sections.append((a, z, words, any(b[0] == "table" for b in part)))
    best = None
    for i in range(1, len(sections)):
        total = 0
        for j in range(i, len(sections)):
            if sections[j][3]:
                break
            total += sections[j][2]
            if total > TWO_COLUMN_WORDS:
                break
            if best is None or total > best[0]:
                best = (total, sections[i][0], sections[j][1])
    if best is None or best[0] < 150:
        return None
    return best[1], best[2]


def weasy_html(blocks, columns: tuple[int, int] | None) -> str:
    title = build.title_of(blocks)
    # A title block's empty header row is left out, as a browser shows nothing for it.
    body = build.html_body(blocks, columns=columns, empty_header_row=False)
    css = _CSS % {"header": _css_string(weasy_header(title)), "footer": _css_string(FOOTER_TEXT)}
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{css}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def render_weasyprint(blocks, out: Path) -> dict:
    from weasyprint import HTML  # noqa: PLC0415

    columns = two_column_section(blocks)
    source = weasy_html(blocks, columns)
    out.with_suffix(".html").write_text(source, encoding="utf-8")
    HTML(string=source).write_pdf(str(out))
    if not columns:
        return {"two_column_section": None}
    heads = [build.plain(b[2]) for b in blocks[columns[0]:columns[1]] if b[0] == "h" and b[1] == 2]
    return {"two_column_section": heads[0] if len(heads) == 1 else f"{heads[0]} .. {heads[-1]}"}


# --- the scanned page -------------------------------------------------------------------------------

def render_scanned(src_pdf: Path, out: Path, image_out: Path, page: int = SCAN_PAGE) -> None:
    """Copy src_pdf with one page replaced by a picture of it (no text layer)."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    src = pdfium.PdfDocument(str(src_pdf))
    try:
        n = len(src)
        if n < page:
            raise ValueError(f"{src_pdf.name} has {n} page(s); cannot scan page {page}")
        picture = src[page - 1].render(scale=SCAN_DPI / 72, grayscale=True).to_pil()
        picture.save(image_out)
        one_page = out.with_name(out.stem + "-page.pdf")
        picture.convert("L").save(one_page, "PDF", resolution=SCAN_DPI)
        scan = pdfium.PdfDocument(str(one_page))
        dest = pdfium.PdfDocument.new()
        try:
            if page > 1:
                dest.import_pages(src, list(range(0, page - 1)))
            dest.import_pages(scan, [0])
            if page < n:
                dest.import_pages(src, list(range(page, n)))
            dest.save(str(out))
        finally:
            dest.close()
            scan.close()
        one_page.unlink()
    finally:
        src.close()


# --- everything ---------------------------------------------------------------------------------------

def render_all(md_path: Path, folder: Path, *, weasy: bool) -> dict:
    """Render one source into folder; returns {producer: path or None, 'meta': {...}}."""
    folder.mkdir(parents=True, exist_ok=True)
    text = md_path.read_text(encoding="utf-8")
    blocks = build.parse_md(text)
    out: dict = {"meta": {}}
    (folder / "source.md").write_text(text, encoding="utf-8")
    out["md/source"] = folder / "source.md"
    build.render_pdf(blocks, folder / "reportlab.pdf")
    out["pdf/reportlab"] = folder / "reportlab.pdf"
    if weasy:
        out["meta"].update(render_weasyprint(blocks, folder / "weasyprint.pdf"))
        out["pdf/weasyprint"] = folder / "weasyprint.pdf"
    else:
        out["pdf/weasyprint"] = None
    render_scanned(folder / "reportlab.pdf", folder / "scanned.pdf", folder / "page2.png")
    out["pdf/scanned-p2"] = folder / "scanned.pdf"
    build.render_docx(blocks, folder / "python-docx.docx")
    out["docx/python-docx"] = folder / "python-docx.docx"
    build.render_html(blocks, folder / "build.html")
    out["html/build"] = folder / "build.html"
    return out
