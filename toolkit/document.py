"""The document model every extractor produces: sections holding clauses, with pages and offsets."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Clause:
    id: str  # stable within the document: "c1", "c2", ...
    text: str
    page: int
    start: int  # character offsets into Document.text
    end: int
    heading_path: str = ""  # "7 Searching > 7.2 Without consent"
    kind: str = "sentence"  # sentence | item (list item) | row (table row) | image (OCR of a picture)


@dataclass
class Section:
    heading: str
    level: int
    page: int
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class Document:
    source: str
    format: str
    pages: int
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # the clause texts joined; Clause.start/end index into it
    readable: bool = True  # False when nothing could be read (e.g. a scan without OCR)
    unread_pages: list[int] = field(default_factory=list)  # pages that could not be read

    @property
    def clauses(self) -> list[Clause]:
        return [c for s in self.sections for c in s.clauses]

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "format": self.format,
            "pages": self.pages,
            "sections": [
                {
                    "heading": s.heading,
                    "level": s.level,
                    "page": s.page,
                    "clauses": [
                        {"id": c.id, "text": c.text, "page": c.page, "start": c.start,
                         "end": c.end, "heading_path": c.heading_path, "kind": c.kind}
                        for c in s.clauses
                    ],
                }
                for s in self.sections
            ],
            "warnings": list(self.warnings),
        }
