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
