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
from toolkit.review import carry_over
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


_WORKER: dict = {}


def _worker_init(checklist_source: str) -> None:
    from toolkit.checklist import load_checklist

    _WORKER["checklist"] = load_checklist(checklist_source)


def _worker_check(source, as_of, school_type, phase):
    """Runs in a worker process: extract and match one policy; returns what the parent stores."""
    try:
        result = check_file(source, checklist=_WORKER["checklist"], as_of=as_of, school_type=school_type, phase=phase)
    except DipsampleError as exc:
        return None, str(exc)
    result.checklist = None  # the parent has it; compiled matchers do not travel between processes
    return result, ""


def check_and_store(paths: Iterable[str | Path], db, *, checklist: Checklist, as_of: dt.date,
                    school_type: str | None = None, phase: str | None = None, jobs: int = 1,
                    on_progress: Callable[[Progress], None] | None = None) -> Batch:
    """Check every policy; each is stored in its own transaction as it finishes, and an unchanged
    file (same content, checklist and settings) reuses its stored findings. With jobs > 1 the
    extraction and matching run in worker processes; storing stays in this process."""
    sources = list(expand_paths(paths))
    batch = Batch()
    started = time.monotonic()
    done = 0

    def finish(source, run_id=None, error="", cached=False):
        nonlocal done
        done += 1
        progress = Progress(done, len(sources), str(source), time.monotonic() - started, cached=cached)
        if error:
            batch.errors.append(BatchError(str(source), error))
            progress.error = error
        else:
            data = run_json(db, run_id)
            data["source"] = str(source)
            batch.documents.append(data)
            progress.summary = summarise(data)
        if on_progress:
            on_progress(progress)

    def guarded(source, fn):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - a bad file is reported and the batch goes on
            if not isinstance(exc, DipsampleError) and os.environ.get("DIPSAMPLE_DEBUG"):
                raise
            name = Path(str(source)).name
            finish(source, error=str(exc) if isinstance(exc, DipsampleError) else
                   f"{name}: could not be processed ({type(exc).__name__}: {exc})")
            return None

    pending = []  # (source, Source) still to check
    for source in sources:
        src = guarded(source, lambda: read_source(source))
        if src is None:
            continue
        run_id = find_run(db, src.sha256, checklist, as_of, school_type, phase)
        if run_id is not None:
            finish(source, run_id, cached=True)
        else:
            pending.append((source, src))

    def store(source, result):
        result.checklist = checklist
        run_id = save_result(db, result, given_type=school_type, given_phase=phase)
        carry_over(db, run_id)  # earlier review decisions follow unchanged findings
        finish(source, run_id)

    if jobs <= 1 or len(pending) <= 1:
        for source, src in pending:
            result = guarded(source, lambda: check_file(src, checklist=checklist, as_of=as_of,
                                                        school_type=school_type, phase=phase))
            if result is not None:
                guarded(source, lambda: store(source, result))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init,
                                 initargs=(checklist.loaded_from or checklist.name,)) as pool:
            futures = {pool.submit(_worker_check, src, as_of, school_type, phase): source for source, src in pending}
            for future in as_completed(futures):
                source = futures[future]
                outcome = guarded(source, future.result)
                if outcome is None:
                    continue
                result, error = outcome
                if error:
                    finish(source, error=error)
                else:
                    guarded(source, lambda: store(source, result))
    batch.seconds = time.monotonic() - started
    return batch
