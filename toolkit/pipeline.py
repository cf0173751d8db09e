"""extract -> match -> result, for one file or a batch; storing is the caller's choice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from toolkit.checklist import Checklist, load_checklist
from toolkit.document import Document
from toolkit.extract import SUPPORTED, Source, extract, is_url, read_source
from toolkit.match import Match, match_document
from toolkit.profile import infer_profile


@dataclass
class CheckResult:
    source: str
    sha256: str
    document: Document
    match: Match
    checklist: Checklist
    as_of: dt.date
    school_type: str | None
    phase: str | None
    profile_from: str = "document"  # command line | label | register | document | unknown

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "format": self.document.format,
            "pages": self.document.pages,
            "checklist": self.checklist.label,
            "as_of": self.as_of.isoformat(),
            "school_type": self.school_type,
            "phase": self.phase,
            "readable": self.document.readable,
            "warnings": self.document.warnings,
            "items": {k: f.to_json() for k, f in self.match.items.items()},
            "red_flags": [f.to_json() for f in self.match.red_flags],
            "outdated": [f.to_json() for f in self.match.outdated],
        }


@dataclass
class BatchError:
    source: str
    error: str

    def to_json(self) -> dict:
        return {"source": self.source, "error": self.error}


def check_document(document: Document, *, checklist: Checklist, as_of: dt.date, sha256: str = "",
                   school_type: str | None = None, phase: str | None = None) -> CheckResult:
    stated_type, stated_phase = infer_profile(document)
    from_cli = school_type is not None or phase is not None
    school_type, phase = school_type or stated_type, phase or stated_phase
    match = match_document(document, checklist, as_of=as_of, school_type=school_type, phase=phase)
    return CheckResult(document.source, sha256, document, match, checklist, as_of, school_type, phase,
                       "given" if from_cli else ("document" if school_type or phase else "unknown"))


def check_file(source: str | Path | Source, *, checklist: Checklist | None = None, as_of: dt.date | None = None,
               school_type: str | None = None, phase: str | None = None) -> CheckResult:
    """Extract and match one policy file or web address (nothing is stored)."""
    src = source if isinstance(source, Source) else read_source(source)
    return check_document(extract(src), checklist=checklist or load_checklist(), as_of=as_of or dt.date.today(),
                          sha256=src.sha256, school_type=school_type, phase=phase)


def expand_paths(paths: Iterable[str | Path]) -> Iterator[str | Path]:
    """Files and web addresses named, and the supported files directly inside folders named."""
    for p in paths:
        if is_url(str(p)):
            yield str(p)
            continue
        p = Path(p)
        if p.is_dir():
            yield from sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED
                              and not f.name.startswith("."))
        else:
            yield p
