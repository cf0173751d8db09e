"""Render the corpus policies from their Markdown sources (corpus/src/*.md) into the format each
gold label names (PDF, DOCX, HTML, TXT or MD), the way schools publish them: PDFs with a running
header and "Page x of y" footer, Word files with heading styles, web pages with site chrome.

    python corpus/build.py            # all documents
    python corpus/build.py SLUG ...   # some

Needs the dev extra (reportlab) for PDFs. The Markdown stays the true text for measurements.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def parse_md(text: str) -> list[tuple]:
    """(kind, payload) blocks: ('h', level, text), ('p', text), ('li', text, ordered), ('table', rows)."""
    out, para, table = [], [], []

    def flush():
        if para:
            out.append(("p", " ".join(para)))
            para.clear()
        if table:
            out.append(("table", [r for r in table if not re.match(r"^\s*:?-{2,}", r[0] if r else "")]))
            table.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("|"):
            if para:
                flush()
            table.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if table:
            flush()
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            flush()
            out.append(("h", len(m.group(1)), m.group(2)))
            continue
        m = re.match(r"^([-*+]|\d+[.)])\s+(.*)$", line)
        if m:
            flush()
            out.append(("li", m.group(2), m.group(1)[0].isdigit()))
            continue
        if out and out[-1][0] == "li" and not para and raw.startswith((" ", "\t")):
            out[-1] = ("li", out[-1][1] + " " + line, out[-1][2])
            continue
        para.append(line)
    flush()
    return out


def inline_html(text: str) -> str:
    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<i>\1</i>", t)


def plain(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", lambda m: m.group(1) or m.group(2), text)


def title_of(blocks) -> str:
    return next((plain(b[2]) for b in blocks if b[0] == "h"), "Behaviour Policy")


def html_body(blocks, *, columns: tuple[int, int] | None = None, empty_header_row: bool = True) -> list[str]:
    """The blocks as HTML elements. `columns` (first, end) wraps those blocks in a two-column
    section; `empty_header_row=False` leaves out a title block's empty "| | |" header row."""
    body: list[str] = []
    in_list = None

    def close_list():
        nonlocal in_list
        if in_list:
            body.append(f"</{in_list}>")
            in_list = None

    for i, b in enumerate(blocks):
        if columns and i == columns[0]:
            close_list()
            body.append('<section class="two-col">')
        if b[0] == "li":
            tag = "ol" if b[2] else "ul"
            if in_list != tag:
                close_list()
                body.append(f"<{tag}>")
                in_list = tag
            body.append(f"<li>{inline_html(b[1])}</li>")
        else:
            close_list()
            if b[0] == "h":
                body.append(f"<h{b[1]}>{inline_html(b[2])}</h{b[1]}>")
            elif b[0] == "p":
                body.append(f"<p>{inline_html(b[1])}</p>")
            elif b[0] == "table":
                rows = b[1]
                head = "".join(f"<th>{inline_html(c)}</th>" for c in rows[0])
                rest = "".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
                keep = empty_header_row or any(c.strip() for c in rows[0])
                thead = f"<thead><tr>{head}</tr></thead>" if keep else ""
                body.append(f"<table>{thead}<tbody>{rest}</tbody></table>")
        if columns and i == columns[1] - 1:
            close_list()
            body.append("</section>")
    close_list()
    return body


def render_html(blocks, out: Path) -> None:
    body = html_body(blocks)
    title = html.escape(title_of(blocks))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:auto}} table{{border-collapse:collapse}} td,th{{border:1px solid #999;padding:4px}}</style>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script></head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. <button>Accept all</button> <button>Reject</button></div>
<header class="site-header"><div class="logo">School website</div>
<nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li><a href="/policies">Policies</a></li><li><a href="/search">Search</a></li><li><a href="/contact">Contact</a></li></ul></nav></header>
<nav class="breadcrumb"><a href="/">Home</a> &gt; <a href="/policies">Policies</a> &gt; Behaviour</nav>
<main id="main">
{chr(10).join(body)}
</main>
<aside class="sidebar"><h3>Related pages</h3><ul><li><a href="/term-dates">Term dates</a></li><li><a href="/uniform">Uniform</a></li><li><a href="/lunch">School meals</a></li></ul></aside>
<footer class="site-footer"><p>&copy; 2026 School website. All rights reserved. Website by SchoolSites.</p><p><a href="/login">Staff login</a> | <a href="/privacy">Privacy notice</a></p></footer>
</body></html>
"""
    out.write_text(page, encoding="utf-8")


def render_docx(blocks, out: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_BREAK

    doc = Document()
    section = doc.sections[0]
    section.header.paragraphs[0].text = title_of(blocks)
    section.footer.paragraphs[0].text = "Uncontrolled when printed"
    words = 0
    for b in blocks:
        if b[0] == "h":
            level = min(b[1] - 1, 3)
            if level == 0:
                doc.add_paragraph(plain(b[2]), style="Title")
            else:
                doc.add_heading(plain(b[2]), level=level)
        elif b[0] == "p":
            par = doc.add_paragraph()
            for i, part in enumerate(re.split(r"\*\*(.+?)\*\*", b[1])):
                if part:
                    par.add_run(plain(part)).bold = bool(i % 2)
            words += len(b[1].split())
        elif b[0] == "li":
            doc.add_paragraph(plain(b[1]), style="List Number" if b[2] else "List Bullet")
            words += len(b[1].split())
        elif b[0] == "table":
            rows = b[1]
            table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            table.style = "Table Grid"
            for i, r in enumerate(rows):
                for j, c in enumerate(r):
                    table.cell(i, j).text = plain(c)
            words += sum(len(c.split()) for r in rows for c in r)
        if words > 450:  # a page break where Word would have put one, so clauses carry pages
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            words = 0
    fixed = dt.datetime(2026, 1, 1)
    doc.core_properties.created = doc.core_properties.modified = fixed
    doc.core_properties.last_printed = fixed
    buf = io.BytesIO()
    doc.save(buf)
    _deterministic_zip(buf.getvalue(), out)


def _deterministic_zip(data: bytes, out: Path) -> None:
    """Rewrite a zip with fixed timestamps so re-rendering an unchanged source changes no bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))


def render_pdf(blocks, out: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14)
    cell = ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12)
    heads = {1: ParagraphStyle("h1", parent=styles["Title"], fontName="Helvetica-Bold", fontSize=20),
             2: ParagraphStyle("h2", parent=styles["Heading2"], fontName="Helvetica-Bold", fontSize=14),
             3: ParagraphStyle("h3", parent=styles["Heading3"], fontName="Helvetica-Bold", fontSize=12),
             4: ParagraphStyle("h4", parent=styles["Heading4"], fontName="Helvetica-Bold", fontSize=11)}
    title = title_of(blocks)
    story, items = [], []

    def flush_list():
        if items:
            story.append(ListFlowable([ListItem(Paragraph(inline_html(t), body)) for t in items],
                                      bulletType="bullet", start="\u2022", leftIndent=14))
            items.clear()

    for b in blocks:
        if b[0] == "li":
            items.append(b[1])
            continue
        flush_list()
        if b[0] == "h":
            story.append(Paragraph(inline_html(b[2]), heads[min(b[1], 4)]))
        elif b[0] == "p":
            story.append(Paragraph(inline_html(b[1]), body))
        elif b[0] == "table":
            rows = [[Paragraph(inline_html(c), cell) for c in r] for r in b[1]]
            t = Table(rows, repeatRows=1, hAlign="LEFT")
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [t, Spacer(1, 6)]
    flush_list()

    def furniture(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, f"{title} - Behaviour Policy")
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"Page {doc.page}")
        canvas.drawString(20 * mm, 10 * mm, "Uncontrolled when printed")
        canvas.restoreState()

    SimpleDocTemplate(str(out), pagesize=A4, topMargin=22 * mm, bottomMargin=20 * mm,
                      leftMargin=20 * mm, rightMargin=20 * mm, title=title, invariant=1).build(
        story, onFirstPage=furniture, onLaterPages=furniture)


def render(slug: str) -> Path:
    label = yaml.safe_load((HERE / "labels" / f"{slug}.yaml").read_text())
    target = HERE / label["document"]
    text = (HERE / "src" / f"{slug}.md").read_text(encoding="utf-8")
    ext = target.suffix.lower()
    if ext in (".txt", ".md"):
        target.write_text(text, encoding="utf-8")
    else:
        blocks = parse_md(text)
        {".html": render_html, ".docx": render_docx, ".pdf": render_pdf}[ext](blocks, target)
    return target


def main(argv: list[str]) -> None:
    slugs = argv or sorted(p.stem for p in (HERE / "labels").glob("*.yaml"))
    for slug in slugs:
        print(render(slug).relative_to(HERE))


if __name__ == "__main__":
    main(sys.argv[1:])
