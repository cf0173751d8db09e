"""extract -> match -> result, for one file or a batch; storing is the caller's choice."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from toolkit.checklist import Checklist, load_checklist
from toolkit.document import Document
from toolkit.errors import DipsampleError
from toolkit.extract import SUPPORTED, extract
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


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_document(document: Document, *, checklist: Checklist, as_of: dt.date, sha256: str = "",
                   school_type: str | None = None, phase: str | None = None) -> CheckResult:
    stated_type, stated_phase = infer_profile(document)
    from_cli = school_type is not None or phase is not None
    school_type, phase = school_type or stated_type, phase or stated_phase
    match = match_document(document, checklist, as_of=as_of, school_type=school_type, phase=phase)
    return CheckResult(document.source, sha256, document, match, checklist, as_of, school_type, phase,
                       "given" if from_cli else ("document" if school_type or phase else "unknown"))


def check_file(path: str | Path, *, checklist: Checklist | None = None, as_of: dt.date | None = None,
               school_type: str | None = None, phase: str | None = None) -> CheckResult:
    """Extract and match one policy file (nothing is stored)."""
    path = Path(path)
    document = extract(path)
    return check_document(document, checklist=checklist or load_checklist(), as_of=as_of or dt.date.today(),
                          sha256=sha256_of(path), school_type=school_type, phase=phase)


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and the supported files directly inside folders named (sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED
                              and not f.name.startswith("."))
        else:
            yield p


def check_paths(paths: Iterable[str | Path], *, checklist: Checklist | None = None,
                as_of: dt.date | None = None, school_type: str | None = None, phase: str | None = None,
                on_result: Callable[[CheckResult], None] | None = None,
                on_error: Callable[[BatchError], None] | None = None) -> tuple[list[CheckResult], list[BatchError]]:
    """Check every file; a bad file is reported as an error and the batch goes on."""
    checklist = checklist or load_checklist()
    results, errors = [], []
    for path in expand_paths(paths):
        try:
            result = check_file(path, checklist=checklist, as_of=as_of, school_type=school_type, phase=phase)
        except DipsampleError as exc:
            err = BatchError(str(path), str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad file must never stop the batch
            if os.environ.get("DIPSAMPLE_DEBUG"):
                raise
            err = BatchError(str(path), f"{path.name}: could not be processed ({type(exc).__name__}: {exc})")
        else:
            err = None
        if err is not None:
            errors.append(err)
            if on_error:
                on_error(err)
            continue
        results.append(result)
        if on_result:
            on_result(result)
    return results, errors
