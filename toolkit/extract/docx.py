"""Word files: headings from styles and outline levels, list paragraphs, tables; no headers/footers."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from toolkit.errors import ExtractionError
from toolkit.extract import ocr
from toolkit.extract.text import table_rows
from toolkit.segment import Block, Extracted, heading_level_from_text

# Zip bombs: a Word file is a zip, and a tiny one can declare gigabytes of XML. Its declared sizes
# are checked before anything is decompressed (Python's zipfile never returns more than a
# member's declared size, so they cannot lie upwards).
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024  # all members together, decompressed
MAX_ZIP_RATIO = 100  # decompressed / compressed, for any member over ZIP_RATIO_FROM bytes
ZIP_RATIO_FROM = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)", re.I)


def _heading_level(par: Paragraph) -> int:
    style = par.style.name if par.style is not None else ""
    if style == "Title":
        return 1
    m = _HEADING_STYLE.match(style or "")
    if m:
        return int(m.group(1)) + 1
    outline = par._p.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
    if outline is not None:
        return int(outline.get(qn("w:val"))) + 2
    runs = [r for r in par.runs if r.text.strip()]
    text = paragraph_text(par._p)
    if runs and all(r.bold for r in runs) and heading_level_from_text(text):
        return heading_level_from_text(text)
    return 0


_T, _TAB, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_REMOVED = {qn("w:del"), qn("w:moveFrom")}


def paragraph_text(p) -> str:
    """The paragraph's text as it now reads: tracked insertions kept, deletions and moved-away
    text dropped (python-docx's `Paragraph.text` skips runs inside <w:ins>)."""
    parts = []
    for el in p.iter(_T, _TAB, _BR, _CR):
        if any(a.tag in _REMOVED for a in el.iterancestors()):
            continue
        if el.tag == _T:
            parts.append(el.text or "")
        else:
            parts.append(" " if el.tag != _TAB else "\t")
    return "".join(parts)


def _is_list(par: Paragraph) -> bool:
    style = par.style.name if par.style is not None else ""
    return "List" in style or par._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None


def _page_breaks(element) -> int:
    return len(element.findall(f".//{qn('w:lastRenderedPageBreak')}")) + len(
        [b for b in element.findall(f".//{qn('w:br')}") if b.get(qn("w:type")) == "page"])


def check_zip(path: Path, data: bytes) -> None:
    """Refuse a zip bomb from the zip's directory alone, before decompressing anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ExtractionError(f"{path.name}: not a readable Word file ({exc})") from exc
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ExtractionError(f"{path.name}: refused: the Word file holds {len(infos)} parts "
                              f"(more than {MAX_ZIP_MEMBERS}; a zip bomb?)")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise ExtractionError(f"{path.name}: refused: the Word file would unpack to {total // 2**20} MB "
                              f"(more than {MAX_UNZIPPED_BYTES // 2**20} MB; a zip bomb?)")
    for i in infos:
        if i.file_size > ZIP_RATIO_FROM and i.file_size > MAX_ZIP_RATIO * max(i.compress_size, 1):
            raise ExtractionError(
                f"{path.name}: refused: {i.filename} is compressed {i.file_size // max(i.compress_size, 1)}:1 "
                f"(more than {MAX_ZIP_RATIO}:1; a zip bomb?)")


def extract_docx(path: Path, data: bytes) -> Extracted:
    check_zip(path, data)
    try:
        document = open_docx(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ExtractionError(f"{path.name}: not a readable Word file ({exc})") from exc
    blocks: list[Block] = []
    pictures_read: list[int] = []
    pictures_unread: list[int] = []
    page = 1
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            par = Paragraph(child, document)
            text = paragraph_text(child).strip()
            if text:
                level = _heading_level(par)
                kind = "heading" if level else ("item" if _is_list(par) else "para")
                blocks.append(Block(kind, text, page, level))
            for blob in _pictures(child, document):
                read = _ocr_picture(blob)
                if read:
                    blocks.append(Block("image", read, page))
                    pictures_read.append(page)
                else:
                    pictures_unread.append(page)
            page += _page_breaks(child)
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            rows = [[" ".join(paragraph_text(p) for p in cell._tc.iter(qn("w:p"))).strip() for cell in row.cells]
                    for row in table.rows]
            rows = [_dedupe_merged(r) for r in rows]
            blocks.extend(Block("row", r, page) for r in table_rows(rows))
            page += _page_breaks(child)
    warnings = []
    if page == 1 and len(blocks) > 60:
        warnings.append("the Word file records no page breaks: every clause is reported on page 1")
    if pictures_read:
        warnings.append("text in pictures read by OCR (check quotes against the original)")
    unread = sorted(set(pictures_unread))
    if unread:
        warnings.append(f"picture(s) on page(s) {', '.join(map(str, unread))} not read"
                        + ("" if ocr.available() else ": Tesseract is not installed")
                        + "; a consequence ladder or flowchart there is not judged")
    return Extracted(blocks, page, warnings, unread)


PICTURE_MIN_EMU = 2_500_000  # a picture at least ~7 cm wide and ~3 cm tall (logos are smaller)
_BLIP = qn("a:blip")
_EXTENT = qn("wp:extent")


def _pictures(paragraph, document) -> list[bytes]:
    """Image bytes of the large pictures drawn in a paragraph."""
    out = []
    for drawing in paragraph.iter(qn("w:drawing")):
        extent = next(drawing.iter(_EXTENT), None)
        if extent is None or int(extent.get("cx", 0)) < PICTURE_MIN_EMU or int(extent.get("cy", 0)) < PICTURE_MIN_EMU // 2:
            continue
        for blip in drawing.iter(_BLIP):
            rid = blip.get(qn("r:embed"))
            part = document.part.related_parts.get(rid) if rid else None
            if part is not None and getattr(part, "blob", None):
                out.append(part.blob)
    return out


def _ocr_picture(blob: bytes) -> str:
    """The text of a picture by OCR ("" when OCR is unavailable or finds no text)."""
    if not ocr.available():
        return ""
    try:
        from PIL import Image

        buf = io.BytesIO()
        Image.open(io.BytesIO(blob)).convert("L").save(buf, format="PNG")
    except Exception:  # noqa: BLE001 - a picture format Pillow cannot read is a picture not read
        return ""
    text = " ".join(ocr.ocr_png(buf.getvalue()).split())
    return text if len(text) >= 20 else ""


def _dedupe_merged(row: list[str]) -> list[str]:
    """python-docx repeats a merged cell's text in every grid column it spans."""
    out: list[str] = []
    for cell in row:
        out.append("" if out and cell == out[-1] and cell else cell)
    return out
