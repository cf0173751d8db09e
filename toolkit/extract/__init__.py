"""Read a policy file into the document model, choosing the reader by content, then extension."""

from __future__ import annotations

import zipfile
import io
from pathlib import Path

from toolkit.document import Document
from toolkit.errors import ExtractionError
from toolkit.segment import build_document

SUPPORTED = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".txt": "text", ".md": "text"}


def sniff(data: bytes, suffix: str) -> str | None:
    """The format the bytes are in, whatever the file is called."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "word/document.xml" in z.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
        return None
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered or b"<body" in lowered:
        return "html"
    return SUPPORTED.get(suffix) if SUPPORTED.get(suffix) in ("text", "html") else None


def extract(path: str | Path) -> Document:
    """Extract one policy file. Raises ExtractionError with the file name and the reason."""
    path = Path(path)
    if not path.exists():
        raise ExtractionError(f"{path}: no such file")
    if path.is_dir():
        raise ExtractionError(f"{path}: is a folder, not a policy file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ExtractionError(
            f"{path.name}: unsupported format '{suffix or path.name}' (supported: PDF, DOCX, HTML, TXT, MD)")
    data = path.read_bytes()
    if not data.strip():
        raise ExtractionError(f"{path.name}: the file is empty")
    fmt = sniff(data, suffix)
    if fmt is None:
        raise ExtractionError(f"{path.name}: not a readable {SUPPORTED[suffix].upper()} file (corrupt or wrong type)")
    from toolkit.extract import docx, html, pdf, text  # noqa: PLC0415 (readers load their libraries lazily)

    reader = {"pdf": pdf.extract_pdf, "docx": docx.extract_docx, "html": html.extract_html, "text": text.extract_text}[fmt]
    got = reader(path, data)
    if fmt != SUPPORTED[suffix]:
        got.warnings.insert(0, f"file is named {suffix} but its content is {fmt.upper()}: read as {fmt.upper()}")
    document = build_document(got.blocks, source=str(path), fmt=fmt if fmt != "text" else suffix.lstrip("."),
                              pages=got.pages, warnings=got.warnings)
    document.unread_pages = list(got.unread_pages)
    if not document.clauses:
        if got.unread_pages:
            document.readable = False
            document.warnings.append("not readable: needs OCR (no text layer on any page)")
        else:
            raise ExtractionError(f"{path.name}: no text found in the document")
    return document
