"""Check a batch of policies and store each as soon as it is done; a bad file never stops it."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from toolkit.checklist import Checklist
from toolkit.errors import DipsampleError
from toolkit.extract import read_source
from toolkit.pipeline import BatchError, check_file, expand_paths
from toolkit.store import find_run, run_json, save_result


@dataclass
class Progress:
    done: int
    total: int
    source: str
    elapsed: float
    summary: str = ""  # counts for a checked document
    cached: bool = False
    error: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0

    @property
    def eta(self) -> float:
        return (self.total - self.done) / self.rate if self.rate else 0.0


@dataclass
class Batch:
    documents: list[dict] = field(default_factory=list)  # SPEC `check --json` documents, from the store
    errors: list[BatchError] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"documents": self.documents, "errors": [e.to_json() for e in self.errors]}


def summarise(data: dict) -> str:
    if not data["readable"]:
        return "not readable: items not evaluated"
    counts: dict[str, int] = {}
    for f in data["items"].values():
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    return (f"{counts.get('met', 0)} met, {counts.get('partial', 0)} partial, {counts.get('missing', 0)} missing, "
            f"{counts.get('n/a', 0)} n/a; {len(data['red_flags'])} red flag(s), {len(data['outdated'])} outdated")


def check_and_store(paths: Iterable[str | Path], db, *, checklist: Checklist, as_of: dt.date,
                    school_type: str | None = None, phase: str | None = None,
                    on_progress: Callable[[Progress], None] | None = None) -> Batch:
    """Check every policy; each is stored in its own transaction as it finishes, and an unchanged
    file (same content, checklist and settings) reuses its stored findings."""
    sources = list(expand_paths(paths))
    batch = Batch()
    started = time.monotonic()
    for n, source in enumerate(sources, start=1):
        progress = Progress(n, len(sources), str(source), 0.0)
        try:
            src = read_source(source)
            run_id = find_run(db, src.sha256, checklist, as_of, school_type, phase)
            progress.cached = run_id is not None
            if run_id is None:
                result = check_file(src, checklist=checklist, as_of=as_of, school_type=school_type, phase=phase)
                run_id = save_result(db, result, given_type=school_type, given_phase=phase)
            data = run_json(db, run_id)
            data["source"] = str(source)
            batch.documents.append(data)
            progress.summary = summarise(data)
        except Exception as exc:  # noqa: BLE001 - a bad file is reported and the batch goes on
            if not isinstance(exc, DipsampleError) and os.environ.get("DIPSAMPLE_DEBUG"):
                raise
            name = Path(str(source)).name
            message = str(exc) if isinstance(exc, DipsampleError) else \
                f"{name}: could not be processed ({type(exc).__name__}: {exc})"
            batch.errors.append(BatchError(str(source), message))
            progress.error = message
        progress.elapsed = time.monotonic() - started
        if on_progress:
            on_progress(progress)
    batch.seconds = time.monotonic() - started
    return batch
