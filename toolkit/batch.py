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
from toolkit.extract import extract, read_source
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
        language = next((w.split(":")[0] for w in data["warnings"] if w.startswith("not English")), None)
        return f"{language or 'not readable'}: items not evaluated"
    counts: dict[str, int] = {}
    for f in data["items"].values():
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    return (f"{counts.get('met', 0)} met, {counts.get('partial', 0)} partial, {counts.get('missing', 0)} missing, "
            f"{counts.get('n/a', 0)} n/a; {len(data['red_flags'])} red flag(s), {len(data['outdated'])} outdated")


DOC_TIMEOUT_S = 600  # per document (extraction, OCR and matching); 0 turns the limit off
TIMEOUT_ENV = "DIPSAMPLE_TIMEOUT"


def default_timeout() -> float | None:
    """Seconds one document may take: $DIPSAMPLE_TIMEOUT, else DOC_TIMEOUT_S; None for no limit."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DOC_TIMEOUT_S
    except ValueError:
        raise DipsampleError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    return value if value > 0 else None


_WORKER: dict = {}


def _worker_init(checklist_source: str) -> None:
    from toolkit.checklist import load_checklist

    if _WORKER.get("source") != checklist_source:  # a forked worker inherits the parent's checklist
        _WORKER.update(checklist=load_checklist(checklist_source), source=checklist_source)


def _worker_check(source, as_of, school_type, phase):
    """Runs in a worker process: extract and match one policy; returns what the parent stores."""
    try:
        result = check_file(source, checklist=_WORKER["checklist"], as_of=as_of, school_type=school_type, phase=phase)
    except DipsampleError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - reported by the parent; the worker carries on
        name = getattr(source, "name", None) or Path(str(source)).name
        detail = ""
        if os.environ.get("DIPSAMPLE_DEBUG"):
            import traceback

            detail = "\n" + traceback.format_exc()
        return None, f"{name}: could not be processed ({type(exc).__name__}: {exc}){detail}"
    result.checklist = None  # the parent has it; compiled matchers do not travel between processes
    return result, ""


def _exit_with_parent(interval: float = 1.0) -> None:
    """A worker outlives a killed parent otherwise (forked siblings hold its pipe open, so it
    never sees end-of-file): a daemon thread ends the worker, and any OCR it started, once the
    parent is gone."""
    import threading

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                try:
                    if os.getpgrp() == os.getpid():  # this worker's own group: it and any Tesseract it started
                        os.killpg(0, 9)
                finally:
                    os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _worker_main(conn, checklist_source: str) -> None:
    """A worker process: load the checklist, say "ready", then check one document per message
    until told to stop (None) or the parent goes away. It never touches the database."""
    try:
        os.setpgrp()  # its own process group: a timeout kills it with any OCR process it started
    except OSError:
        pass
    _exit_with_parent()
    try:
        _worker_init(checklist_source)
    except Exception as exc:  # noqa: BLE001 - the parent reports it
        conn.send(("init-error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", ""))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        outcome = _worker_check(*task)
        try:
            conn.send(outcome)
        except (BrokenPipeError, EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
            conn.send((None, f"{Path(str(task[0].source)).name}: could not be processed ({type(exc).__name__}: {exc})"))


class _Worker:
    """One worker process and the document it is checking (if any)."""

    def __init__(self, ctx, checklist_source: str):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, checklist_source), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.job = None  # the source being checked
        self.deadline: float | None = None

    def kill(self) -> None:
        """Stop this worker (and any process it started) at once."""
        import signal

        if self.proc.is_alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.kill()
        else:
            self.conn.close()


def _run_in_workers(pending, *, checklist: Checklist, jobs: int, timeout: float | None, task_args: tuple,
                    on_result: Callable, on_error: Callable) -> None:
    """Check `pending` [(source, Source)] in `jobs` worker processes, killing any that takes
    longer than `timeout` seconds (its document is reported and the batch goes on). Results come
    back to this process, which stays the only writer to the database."""
    import multiprocessing as mp
    from collections import deque
    from multiprocessing.connection import wait

    ctx = mp.get_context()
    source_key = str(checklist.loaded_from or checklist.name)
    if ctx.get_start_method() == "fork":  # workers inherit the loaded checklist instead of loading it again
        checklist.patterns()  # ... with its rules compiled, once, here
        _WORKER.update(checklist=checklist, source=source_key)
    queue = deque(pending)
    workers = [_Worker(ctx, source_key) for _ in range(min(jobs, len(pending)))]
    name = lambda source: getattr(source, "name", None) or Path(str(source)).name  # noqa: E731
    try:
        while queue or any(w.job is not None for w in workers):
            for w in workers:
                if w.ready and w.job is None and queue:
                    source, src = queue.popleft()
                    w.job = source
                    w.deadline = time.monotonic() + timeout if timeout else None
                    try:
                        w.conn.send((src, *task_args))
                    except OSError:
                        pass  # the worker died: its pipe reports EOF below
            deadlines = [w.deadline for w in workers if w.deadline is not None]
            wait_s = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            for conn in wait([w.conn for w in workers], timeout=wait_s):
                w = next(x for x in workers if x.conn is conn)
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is None or message[0] == "init-error":  # the worker is gone
                    w.kill()
                    code = w.proc.exitcode
                    if message is not None:
                        raise DipsampleError(f"could not start a worker process: {message[1]}")
                    if w.job is not None:
                        on_error(w.job, f"{name(w.job)}: the worker process checking it stopped unexpectedly "
                                        f"(exit code {code}; out of memory?); skipped")
                    workers[workers.index(w)] = _Worker(ctx, source_key)
                    continue
                if message[0] == "ready":
                    w.ready = True
                    continue
                source, w.job, w.deadline = w.job, None, None
                result, error = message
                if error:
                    on_error(source, error)
                else:
                    on_result(source, result)
            now = time.monotonic()
            for i, w in enumerate(workers):
                if w.job is not None and w.deadline is not None and now >= w.deadline:
                    w.kill()
                    on_error(w.job, f"{name(w.job)}: took longer than {timeout:g} s; skipped")
                    workers[i] = _Worker(ctx, source_key)
    finally:
        for w in workers:
            if w.job is not None:
                w.kill()
            else:
                w.stop()


def check_and_store(paths: Iterable[str | Path], db, *, checklist: Checklist, as_of: dt.date,
                    school_type: str | None = None, phase: str | None = None, jobs: int = 1,
                    timeout: float | None = None,
                    on_progress: Callable[[Progress], None] | None = None,
                    keep: dict | None = None) -> Batch:
    """Check every policy; each is stored in its own transaction as it finishes, and an unchanged
    file (same content, checklist and settings) reuses its stored findings.

    Extraction and matching run in `jobs` worker processes whenever there is a time limit
    (`timeout` seconds per document; None: $DIPSAMPLE_TIMEOUT or DOC_TIMEOUT_S; 0: no limit),
    so a pathological file is killed after it and reported while the batch goes on, with
    --jobs 1 too. Storing stays in this process. Without a limit and with one job, everything
    runs in this process.

    `keep`, when given, receives str(source) -> CheckResult (the extracted document and its match)
    for each file checked in this call, so a policy set can be judged without extracting it again."""
    timeout = default_timeout() if timeout is None else (timeout if timeout > 0 else None)
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
        if keep is not None:
            keep[str(source)] = result
        finish(source, run_id)

    if not pending:
        pass
    elif timeout is None and (jobs <= 1 or len(pending) <= 1):
        for source, src in pending:
            result = guarded(source, lambda: check_file(src, checklist=checklist, as_of=as_of,
                                                        school_type=school_type, phase=phase))
            if result is not None:
                guarded(source, lambda: store(source, result))
    else:
        _run_in_workers(pending, checklist=checklist, jobs=jobs, timeout=timeout,
                        task_args=(as_of, school_type, phase),
                        on_result=lambda source, result: guarded(source, lambda: store(source, result)),
                        on_error=lambda source, error: finish(source, error=error))
    batch.seconds = time.monotonic() - started
    return batch


def linked_school(db, run_ids: list[int]) -> str | None:
    """The school every document of these runs is linked to (`register`), if they share one."""
    if not run_ids or "school_documents" not in db.table_names():
        return None
    marks = ",".join("?" * len(run_ids))
    urns = {r["urn"] for r in db.query(f"select sd.urn from runs r left join school_documents sd "
                                       f"on sd.document_id = r.document_id where r.id in ({marks})", run_ids)}
    return urns.pop() if len(urns) == 1 and None not in urns else None


def judge_set(db, sources: list, batch: Batch, results: dict, *, checklist: Checklist, as_of: dt.date,
              school_type: str | None = None, phase: str | None = None, name: str = "",
              urn: str | None = None) -> tuple[int, bool]:
    """Judge the files of a policy set after `check_and_store` stored each on its own, and store
    the set; returns (set run id, whether a stored result for the same files was reused).

    No file is extracted twice: a file checked in this run comes from `results` (see `keep`), one
    unchanged since an earlier run is rebuilt from the database, and only a file stored before the
    database kept documents' sections is read again (once). A file the batch could not read counts
    as unreadable in the set. Re-running with unchanged files, checklist and settings adds nothing."""
    from toolkit.policyset import Member, check_set
    from toolkit.store import _save_sections, find_set_run, load_document, save_set, set_digest, write_transaction

    errors = {e.source: e.error for e in batch.errors}
    stored = {str(d["source"]): d for d in batch.documents}
    urn = urn or linked_school(db, [d["run_id"] for d in stored.values()])
    shas = [stored[str(s)]["sha256"] if str(s) in stored else "" for s in sources]
    failed = {str(s) for s in sources if str(s) not in stored}
    set_name = name or Path(str(sources[0])).name
    key = dict(urn=urn, name=set_name, checklist=checklist, as_of=as_of, given_type=school_type, given_phase=phase)
    found = find_set_run(db, digest=set_digest(sources, shas, failed), **key)
    if found is not None:
        return found, True
    members: dict[str, object] = {}
    for s, sha in zip(sources, shas):
        src = str(s)
        if src not in stored:
            members[src] = Member(error=errors.get(src) or f"{Path(src).name}: could not be read")
        elif src in results:
            r = results[src]
            members[src] = Member(r.document, r.sha256, r.match, (r.school_type, r.phase))
        else:
            document_id = db["runs"].get(stored[src]["run_id"])["document_id"]
            doc = load_document(db, document_id, src)
            if doc is None:  # stored before m004: read it this once, and keep its layout for next time
                try:
                    doc = extract(read_source(s))
                except Exception as exc:  # noqa: BLE001 - the set is judged on the rest
                    members[src] = Member(error=str(exc) if isinstance(exc, DipsampleError)
                                          else f"{Path(src).name}: could not be processed ({exc})")
                    continue
                with write_transaction(db):
                    _save_sections(db, document_id, doc)
            members[src] = Member(doc, sha)
    result = check_set(sources, checklist=checklist, as_of=as_of, school_type=school_type, phase=phase,
                       name=set_name, members=members)
    runs = {src: d["run_id"] for src, d in stored.items()}
    return save_set(db, result, checklist=checklist, urn=urn, given_type=school_type, given_phase=phase,
                    runs=runs), False
