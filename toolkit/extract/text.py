"""Plain text and Markdown: headings from `#` or numbering, lists, pipe tables."""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.errors import ExtractionError
from toolkit.segment import Block, Extracted, heading_level_from_text

_BULLET = re.compile(r"^\s*(?:[-*+\u2022\u25cf\u25aa]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)])\s+")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_EMPHASIS = re.compile(r"(\*\*|__|`)")


def decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExtractionError(f"{name}: cannot decode text (not UTF-8 or Windows-1252)")


def table_rows(rows: list[list[str]]) -> list[str]:
    """Table rows as clauses that keep their column headers: "Step: 3 | Sanction: detention"."""
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body:
        return [" | ".join(c for c in header if c)]
    if not any(header):
        if all(len([c for c in row if c]) == 2 for row in body):  # a key/value block: "Approved by: Governors"
            return [": ".join(c for c in row if c) for row in body]
        return [" | ".join(c for c in row if c) for row in body]
    out = []
    for row in body:
        cells = []
        for i, cell in enumerate(row):
            if not cell:
                continue
            head = header[i] if i < len(header) else ""
            cells.append(f"{head}: {cell}" if head and head != cell else cell)
        if cells:
            out.append(" | ".join(cells))
    return out


def blocks_from_text(text: str) -> list[Block]:
    # Markdown headings, when the text has them, are the only headings: a "1. Reminder" list
    # item must not become a heading. Plain text falls back to numbered / capitalised lines.
    markdown = any(_MD_HEADING.match(line) for line in text.splitlines())
    blocks: list[Block] = []
    para: list[str] = []
    table: list[list[str]] = []

    def flush():
        if para:
            kind = "item" if _BULLET.match(para[0]) else "para"
            first = _BULLET.sub("", para[0], count=1) if kind == "item" else para[0]
            blocks.append(Block(kind, " ".join([first, *para[1:]])))
            para.clear()
        if table:
            blocks.extend(Block("row", r) for r in table_rows(table))
            table.clear()

    for raw in text.splitlines():
        line = _EMPHASIS.sub("", raw.rstrip())
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if stripped.startswith("|"):
            if para:
                flush()
            if not _TABLE_RULE.match(stripped):
                table.append([c.strip() for c in stripped.strip("|").split("|")])
            continue
        if table:
            flush()
        m = _MD_HEADING.match(stripped)
        level = len(m.group(1)) if m else (0 if markdown else heading_level_from_text(stripped))
        if level and (m or not para):
            flush()
            blocks.append(Block("heading", m.group(2) if m else stripped, level=level))
            continue
        if _BULLET.match(line) and para:
            flush()
        para.append(stripped)
    flush()
    return blocks


def extract_text(path: Path, data: bytes) -> Extracted:
    return Extracted(blocks_from_text(decode(data, path.name)))
