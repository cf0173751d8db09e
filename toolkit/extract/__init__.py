"""Read a policy (a file or a web address) into the document model, choosing the reader by
content first and extension second."""

from __future__ import annotations

import hashlib
import os
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from toolkit.document import Document
from toolkit.errors import ExtractionError
from toolkit.segment import build_document

SUPPORTED = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".txt": "text", ".md": "text"}

# Limits on hostile or pathological input (each can be changed by its environment variable).
MAX_FILE_BYTES = 100 * 1024 * 1024  # DIPSAMPLE_MAX_FILE_MB
MAX_PAGES = 1000  # DIPSAMPLE_MAX_PAGES: a longer document is refused before it is read
MAX_FILE_ENV, MAX_PAGES_ENV = "DIPSAMPLE_MAX_FILE_MB", "DIPSAMPLE_MAX_PAGES"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ExtractionError(f"{name}={raw!r} is not a number") from None


def max_file_bytes() -> int:
    return int(_env_number(MAX_FILE_ENV, MAX_FILE_BYTES / 2**20) * 2**20)


def max_pages() -> int:
    return int(_env_number(MAX_PAGES_ENV, MAX_PAGES))


def check_pages(name: str, pages: int) -> None:
    """Refuse a document with more pages than the limit, naming the file and the limit."""
    limit = max_pages()
    if pages > limit:
        raise ExtractionError(f"{name}: {pages} pages, more than the limit of {limit} "
                              f"(set {MAX_PAGES_ENV} to allow more)")


@dataclass
class Source:
    """The bytes of one policy and what to call it."""

    source: str  # the path or address as given
    name: str  # the file name shown in messages
    suffix: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def read_source(source: str | Path) -> Source:
    """Read a file or fetch a web page; raises ExtractionError naming it and saying why."""
    if is_url(source):
        from toolkit.extract.fetch import fetch

        data, content_type = fetch(str(source))
        name = PurePosixPath(str(source).split("?")[0].rstrip("/")).name or str(source)
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in SUPPORTED:
            suffix = {"application/pdf": ".pdf", "text/plain": ".txt"}.get(content_type, ".html")
        return Source(str(source), name, suffix, data)
    path = Path(source)
    if not path.exists():
        raise ExtractionError(f"{path}: no such file")
    if path.is_dir():
        raise ExtractionError(f"{path}: is a folder, not a policy file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ExtractionError(
            f"{path.name}: unsupported format '{suffix or path.name}' (supported: PDF, DOCX, HTML, TXT, MD)")
    limit = max_file_bytes()
    if path.stat().st_size > limit:
        raise ExtractionError(f"{path.name}: the file is larger than {round(limit / 2**20, 3):g} MB "
                              f"(set {MAX_FILE_ENV} to allow more)")
    return Source(str(path), path.name, suffix, path.read_bytes())


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


def extract(source: str | Path | Source, *, engine: str | None = None) -> Document:
    """Extract one policy. Raises ExtractionError with the file name and the reason.

    `engine` chooses the PDF reader: "pdfplumber" (reference, the default) or "pdfium" (fast)."""
    src = source if isinstance(source, Source) else read_source(source)
    if not src.data.strip():
        raise ExtractionError(f"{src.name}: the file is empty")
    fmt = sniff(src.data, src.suffix)
    if fmt is None:
        raise ExtractionError(f"{src.name}: not a readable {SUPPORTED[src.suffix].upper()} file (corrupt or wrong type)")
    from toolkit.extract import docx, html, pdf, text  # noqa: PLC0415 (readers load their libraries lazily)

    reader = {"pdf": pdf.extract_pdf, "docx": docx.extract_docx, "html": html.extract_html, "text": text.extract_text}[fmt]
    engine = engine or os.environ.get("DIPSAMPLE_PDF_ENGINE") or pdf.DEFAULT_ENGINE
    got = reader(Path(src.name), src.data, engine=engine) if fmt == "pdf" \
        else reader(Path(src.name), src.data)
    check_pages(src.name, got.pages)
    if fmt != SUPPORTED[src.suffix]:
        got.warnings.insert(0, f"file is named {src.suffix} but its content is {fmt.upper()}: read as {fmt.upper()}")
    document = build_document(got.blocks, source=src.source, fmt=fmt if fmt != "text" else src.suffix.lstrip("."),
                              pages=got.pages, warnings=got.warnings)
    document.unread_pages = list(got.unread_pages)
    from toolkit.extract.language import language_note

    note = language_note(document.text) if document.clauses else None
    if note:  # the rules are English: nothing can be judged "missing"
        document.readable = False
        document.warnings.append(f"{note}: the checklist's rules are in English, so items are not evaluated")
    if not document.clauses:
        if got.unread_pages:
            document.readable = False
            document.warnings.append("not readable: needs OCR (no text layer on any page)")
        else:
            raise ExtractionError(f"{src.name}: no text found in the document")
    return document
