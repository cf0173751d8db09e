"""PDF fixtures made in code: text pages, scanned (image-only) pages, encrypted files."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

SCANNED = object()  # marks a page to rasterise


def _text_page(c, lines: list[str]) -> None:
    y = A4[1] - 72
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, y, lines[0])
    c.setFont("Helvetica", 12)
    for line in lines[1:]:
        y -= 22
        c.drawString(72, y, line)


def make_pdf(path: Path, pages: list, *, scanned: set[int] = frozenset(), encrypt: str | None = None) -> Path:
    """Pages are lists of lines (first line a heading); pages whose index is in `scanned` become images."""
    text_pdf = io.BytesIO()
    c = canvas.Canvas(text_pdf, pagesize=A4, invariant=1)
    for lines in pages:
        _text_page(c, lines)
        c.showPage()
    c.save()
    rendered = pdfium.PdfDocument(text_pdf.getvalue())
    out = canvas.Canvas(str(path), pagesize=A4, invariant=1, encrypt=encrypt)
    for i, lines in enumerate(pages):
        if i in scanned:
            image = rendered[i].render(scale=200 / 72).to_pil().convert("L")
            out.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        else:
            _text_page(out, lines)
        out.showPage()
    out.save()
    return path


def make_pdf_with_picture(path: Path, text_lines: list[str], picture_lines: list[str]) -> Path:
    """One text page with a picture of more text in its lower half (a ladder pasted as an image)."""
    pic = io.BytesIO()
    c = canvas.Canvas(pic, pagesize=(A4[0], A4[1] / 2), invariant=1)
    c.setFont("Helvetica-Bold", 20)
    y = A4[1] / 2 - 60
    for line in picture_lines:
        c.drawString(60, y, line)
        y -= 34
    c.showPage()
    c.save()
    image = pdfium.PdfDocument(pic.getvalue())[0].render(scale=200 / 72).to_pil().convert("L")
    out = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    _text_page(out, text_lines)
    out.drawImage(ImageReader(image), 40, 40, width=A4[0] - 80, height=A4[1] / 2 - 80)
    out.showPage()
    out.save()
    return path
