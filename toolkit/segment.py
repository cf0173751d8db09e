"""Turn extracted blocks (headings, paragraphs, list items, table rows) into sections and clauses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from toolkit.document import Clause, Document, Section
from toolkit.nlp import get_nlp

# A clause longer than this many characters is split at sentence boundaries.
MAX_CLAUSE_CHARS = 600
# Hostile input: spaCy refuses texts over 1,000,000 characters, and one enormous "sentence" makes
# matching slow. Text is sentencized in windows of at most NLP_WINDOW_CHARS (cut at whitespace),
# a sentence longer than MAX_SENTENCE_CHARS is cut at whitespace into pieces, and a heading is
# clipped to MAX_HEADING_CHARS.
NLP_WINDOW_CHARS = 50_000
MAX_SENTENCE_CHARS = 5_000
MAX_HEADING_CHARS = 500
_SPACE = re.compile(r"\s+")


@dataclass
class Block:
    kind: str  # heading | para | item | row
    text: str
    page: int = 1
    level: int = 0  # heading level (1 = title)
    page_breaks: list = field(default_factory=list)  # (char offset, page) where the text moves on a page

    def page_at(self, offset: int) -> int:
        page = self.page
        for start, p in self.page_breaks:
            if offset >= start:
                page = p
        return page


@dataclass
class Extracted:
    """What a reader returns: blocks in reading order, page count, notes, pages it could not read."""

    blocks: list[Block]
    pages: int = 1
    warnings: list[str] = field(default_factory=list)
    unread_pages: list[int] = field(default_factory=list)


def _cleaned(b: Block) -> Block:
    """The block with its text cleaned; page-break offsets follow the text (whitespace runs fold)."""
    if not b.page_breaks:
        return Block(b.kind, clean(b.text), b.page, b.level)
    cuts = [start for start, _ in b.page_breaks] + [len(b.text)]
    cleaned, breaks = clean(b.text[:cuts[0]]), []
    for (start, page), end in zip(b.page_breaks, cuts[1:]):
        breaks.append((len(cleaned) + 1 if cleaned else 0, page))
        cleaned = f"{cleaned} {clean(b.text[start:end])}".strip()
    return Block(b.kind, cleaned, b.page, b.level, breaks)


# Letter-spaced text from some PDFs and OCR ("B e h a v i o u r  P o l i c y"): four or more single
# letters each followed by one space are one word; a wider gap is the space between words.
_LETTER_SPACED = re.compile(r"(?<![^\s(\"'])(?:[A-Za-z] ){3,}[A-Za-z](?![^\s.,;:)\"'])")


def clean(text: str) -> str:
    text = text.replace("\u00ad", "").replace("\ufb01", "fi").replace("\ufb02", "fl")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    return _SPACE.sub(" ", text).strip()


def _windows(text: str, size: int) -> list[tuple[str, int]]:
    """(piece, start offset) of text cut at whitespace into pieces of at most `size` characters
    (a run with no whitespace at all is cut at `size`)."""
    out, start = [], 0
    while len(text) - start > size:
        cut = text.rfind(" ", start + 1, start + size + 1)
        end = cut if cut > start else start + size
        out.append((text[start:end], start))
        start = end + 1 if cut > start else end
    out.append((text[start:], start))
    return out


def split_sentences(texts: list[str]) -> list[list[tuple[str, int]]]:
    """(sentence, start offset) of each text, using the project's spaCy sentencizer."""
    pieces = [(i, piece, at) for i, text in enumerate(texts)
              for piece, at in (_windows(text, NLP_WINDOW_CHARS) if len(text) > NLP_WINDOW_CHARS else [(text, 0)])]
    out: list[list[tuple[str, int]]] = [[] for _ in texts]
    docs = get_nlp().pipe((p for _, p, _ in pieces), disable=["lemma_norm"])  # sentences need no lemmas
    for (i, piece_text, base), doc in zip(pieces, docs):
        for s in doc.sents:
            text = piece_text[s.start_char:s.end_char]
            if not text.strip():
                continue
            if len(text) <= MAX_SENTENCE_CHARS:
                out[i].append((text.strip(), base + s.start_char))
            else:
                out[i].extend((piece.strip(), base + s.start_char + at)
                              for piece, at in _windows(text, MAX_SENTENCE_CHARS) if piece.strip())
    return out


def build_document(blocks: list[Block], *, source: str, fmt: str, pages: int,
                   warnings: list[str] | None = None) -> Document:
    """Group blocks under headings and split paragraphs into sentence clauses."""
    doc = Document(source=source, format=fmt, pages=pages, warnings=list(warnings or []))
    blocks = [_cleaned(b) for b in blocks]
    blocks = [b for b in blocks if b.text]
    for b in blocks:
        if b.kind == "heading" and len(b.text) > MAX_HEADING_CHARS:
            b.text = b.text[:MAX_HEADING_CHARS].rstrip() + "\u2026"
    paras = [b.text for b in blocks if b.kind != "heading"]
    sentences = iter(split_sentences(paras))

    # A lone level-1 heading is the document's title: it is not part of any clause's heading path
    # (else every clause would sit "in" whatever section words the title contains).
    level1 = [b for b in blocks if b.kind == "heading" and b.level == 1]
    deeper = any(b.kind == "heading" and b.level > 1 for b in blocks)
    title = level1[0] if len(level1) == 1 and deeper else None
    path: list[tuple[int, str]] = []
    section = Section(heading="", level=0, page=blocks[0].page if blocks else 1)
    doc.sections.append(section)
    parts: list[str] = []
    offset = 0
    for block in blocks:
        if block.kind == "heading":
            path = [p for p in path if p[0] < block.level]
            if block is not title:
                path.append((block.level, block.text))
            section = Section(heading=block.text, level=block.level, page=block.page)
            doc.sections.append(section)
            continue
        sents = next(sentences)
        pieces = sents if (block.kind in ("para", "image") or len(block.text) > MAX_CLAUSE_CHARS) else [(block.text, 0)]
        heading_path = " > ".join(t for _, t in path)
        for piece, at in pieces:
            clause = Clause(id=f"c{len(doc.clauses) + 1}", text=piece, page=block.page_at(at),
                            start=offset, end=offset + len(piece), heading_path=heading_path,
                            kind={"para": "sentence"}.get(block.kind, block.kind))
            section.clauses.append(clause)
            parts.append(piece)
            offset += len(piece) + 1
    doc.text = "\n".join(parts)
    doc.sections = [s for s in doc.sections if s.clauses or s.heading]
    return doc


def heading_level_from_text(line: str) -> int:
    """Level of a numbered plain-text heading ("3." -> 2, "3.2" -> 3); 0 if it is not one."""
    s = line.strip()
    if not s or len(s) > 90 or s.endswith((".", ",", ";", ":")) and not s.endswith(".)"):
        return 0
    words = s.split()
    if len(words) > 12:
        return 0
    m = re.match(r"^(\d+(?:\.\d+)*)\.?\s+[A-Z]", s)
    if m:
        return 1 + m.group(1).count(".") + 1
    if re.match(r"^(appendix|part|section)\s+\w+", s, re.I):
        return 2
    if s.isupper() and len(words) <= 8 and any(ch.isalpha() for ch in s):
        return 2
    return 0
