"""The fast PDF engine: PDFium (pypdfium2) text rectangles with font sizes and names.

It gives the pipeline what it needs (page text in reading order, boxes and font sizes for
headings and running headers/footers) at a fraction of pdfplumber's cost; ruled tables are read
as lines rather than rows with column headers.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from toolkit.errors import ExtractionError
from toolkit.extract.pdf import Line, gutter, split_columns, words_to_lines

_FONT_BUF = 128
TABLE_PATHS_MIN = 6  # a page drawing this many lines/rectangles probably has a ruled table


def _font(textpage, index: int) -> tuple[float, str]:
    size = raw.FPDFText_GetFontSize(textpage, index)
    buf = ctypes.create_string_buffer(_FONT_BUF)
    flags = ctypes.c_int(0)
    n = raw.FPDFText_GetFontInfo(textpage, index, buf, _FONT_BUF, ctypes.byref(flags))
    name = buf.raw[:max(0, n - 1)].decode("latin-1", "replace")
    weight = raw.FPDFText_GetFontWeight(textpage, index)
    if weight >= 600 and "bold" not in name.lower():
        name += "-Bold"
    return float(size), name


def _page_words(page, height: float) -> tuple[list[dict], int]:
    """Text rectangles (runs of text on one line) as word-like boxes with font size and name."""
    textpage = page.get_textpage()
    try:
        n_chars = textpage.count_chars()
        words = []
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            text = textpage.get_text_bounded(left, bottom, right, top).replace("\r", " ").replace("\n", " ").strip()
            if not text:
                continue
            index = raw.FPDFText_GetCharIndexAtPos(textpage, left + 0.5, (bottom + top) / 2, 1.5, 1.5)
            size, fontname = _font(textpage, index) if index >= 0 else (top - bottom, "")
            words.append({"text": text, "x0": left, "x1": right, "top": height - top, "bottom": height - bottom,
                          "size": size or (top - bottom), "fontname": fontname})
        return words, n_chars
    finally:
        textpage.close()


_DRAWN = (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM, raw.FPDF_PAGEOBJ_SHADING)


def open_pdfium(path: Path, data: bytes) -> pdfium.PdfDocument:
    """The PDF opened by PDFium (an empty password tried), or one clear error naming the file."""
    try:
        return pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractionError(f"{path.name}: the PDF is encrypted and needs a password") from exc
        raise ExtractionError(f"{path.name}: not a readable PDF (corrupt or truncated)") from exc


def read_pdfium(path: Path, data: bytes) -> tuple[list[list[Line]], list[float], list[int], list[bool]]:
    """Lines of every page, page heights, character counts and whether each page draws anything
    OCR could read (for scanned-page detection)."""
    from toolkit.extract.pdf import OUTLINE_CURVES

    pdf = open_pdfium(path, data)
    pages_lines, heights, chars, ruled, drawn = [], [], [], [], []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                width, height = page.get_size()
                words, n_chars = _page_words(page, height)
                types = [obj.type for obj in page.get_objects(max_depth=1)]
                paths = types.count(raw.FPDF_PAGEOBJ_PATH)
            finally:
                page.close()
            if paths >= TABLE_PATHS_MIN and n_chars:
                ruled.append(i)
            lines: list[Line] = []
            for col in split_columns(words, gutter(words, width)):
                lines.extend(sorted(words_to_lines(col, i + 1), key=lambda ln: ln.top))
            pages_lines.append(lines)
            heights.append(float(height))
            chars.append(n_chars)
            drawn.append(any(t in _DRAWN for t in types) or paths >= OUTLINE_CURVES)
    finally:
        pdf.close()
    if ruled:  # pages with ruled tables: pdfplumber reads their rows with column headers
        import io

        import pdfplumber

        from toolkit.extract.pdf import page_lines

        with pdfplumber.open(io.BytesIO(data), password="") as plumber:
            for i in ruled:
                pages_lines[i], _ = page_lines(plumber.pages[i], i + 1)
                plumber.pages[i].close()
    return pages_lines, heights, chars, drawn
