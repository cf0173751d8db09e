"""SQLite storage through sqlite-utils: documents, clauses (FTS5), checklist items, runs, findings,
evidence. The schema is versioned by small migration functions; each document is stored in one
transaction, and checking the same file with the same checklist and settings adds no rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path
from typing import Callable

import sqlite_utils

from toolkit import __version__
from toolkit.checklist import Checklist
from toolkit.pipeline import CheckResult

DEFAULT_DB = "dipsample.db"
DB_ENV = "DIPSAMPLE_DB"
BUSY_TIMEOUT_MS = 30_000

MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]):
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    db["documents"].create({
        "id": int, "sha256": str, "source": str, "format": str, "pages": int, "readable": int,
        "warnings": str, "extracted_at": str, "school_type": str, "phase": str,
    }, pk="id", not_null={"sha256", "source"})
    db["documents"].create_index(["sha256"], unique=True)
    db["clauses"].create({
        "document_id": int, "clause_id": str, "seq": int, "text": str, "page": int,
        "heading_path": str, "kind": str, "start": int, "end": int,
    }, pk=("document_id", "clause_id"), foreign_keys=[("document_id", "documents", "id")])
    db["clauses"].enable_fts(["text", "heading_path"], create_triggers=True, tokenize="porter")
    db["checklist_items"].create({
        "checklist": str, "version": str, "id": str, "kind": str, "title": str, "area": str,
        "basis": str, "citation": str, "requirement": str, "remedy": str, "replaced_by": str,
    }, pk=("checklist", "version", "id"))
    db["runs"].create({
        "id": int, "document_id": int, "tool_version": str, "checklist": str, "checklist_name": str,
        "checklist_version": str, "as_of": str, "given_type": str, "given_phase": str,
        "school_type": str, "phase": str, "profile_from": str, "created_at": str,
    }, pk="id", foreign_keys=[("document_id", "documents", "id")])
    db["runs"].create_index(["document_id", "checklist", "as_of", "given_type", "given_phase", "tool_version"],
                            unique=True)
    db["findings"].create({
        "id": int, "run_id": int, "item_id": str, "kind": str, "status": str, "confidence": float,
        "explanation": str, "found": str, "not_found": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id")])
    db["findings"].create_index(["run_id", "item_id"], unique=True)
    db["evidence"].create({
        "id": int, "finding_id": int, "rank": int, "clause_id": str, "text": str, "page": int,
        "heading_path": str, "element": str,
    }, pk="id", foreign_keys=[("finding_id", "findings", "id")])
    db["evidence"].create_index(["finding_id"])


@migration
def m002_review(db: sqlite_utils.Database) -> None:
    """Reviewers' decisions: append-only (triggers refuse UPDATE and DELETE), and the current
    status of every finding as a view (latest decision, else the tool's)."""
    db["decisions"].create({
        "id": int, "finding_id": int, "reviewer": str, "action": str, "old_status": str,
        "new_status": str, "comment": str, "evidence_clause_id": str, "created_at": str,
        "tool_version": str, "checklist": str, "carried_from": int,
    }, pk="id", foreign_keys=[("finding_id", "findings", "id")], not_null={"finding_id", "reviewer", "action"})
    db["decisions"].create_index(["finding_id"])
    db.executescript("""
        CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'review decisions are append-only: add a new decision instead'); END;
        CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'review decisions are append-only: they are never deleted'); END;
        ALTER TABLE runs ADD COLUMN previous_run_id INTEGER;
        CREATE VIEW current_findings AS
        SELECT f.id AS finding_id, f.run_id, r.document_id, d.source, f.item_id, f.kind,
               f.status AS tool_status, f.confidence,
               COALESCE(last.new_status, f.status) AS status,
               last.reviewer AS reviewed_by, last.created_at AS reviewed_at, last.comment AS review_comment
        FROM findings f
        JOIN runs r ON r.id = f.run_id
        JOIN documents d ON d.id = r.document_id
        LEFT JOIN decisions last ON last.id = (
            SELECT max(x.id) FROM decisions x WHERE x.finding_id = f.id AND x.new_status IS NOT NULL);
    """)


@migration
def m003_lifecycle(db: sqlite_utils.Database) -> None:
    """The dip-sample lifecycle: the school register (GIAS export or a minimal CSV), which school
    each policy document belongs to, and the samples drawn from the register."""
    db["schools"].create({
        "urn": str, "name": str, "school_type": str, "phase": str, "special": int, "ap": int,
        "gias_type": str, "gias_phase": str, "la": str, "status": str, "pupils": int, "data": str,
        "register": str, "imported_at": str,
    }, pk="urn", not_null={"name"})
    db["school_documents"].create({
        "document_id": int, "urn": str, "method": str, "note": str, "linked_at": str,
    }, pk="document_id", foreign_keys=[("document_id", "documents", "id")])
    db["school_documents"].create_index(["urn"])
    db["samples"].create({
        "id": int, "sample_date": str, "created_at": str, "seed": int, "method": str, "parameters": str,
        "rationale": str, "size": int,
    }, pk="id")
    db["sample_schools"].create({
        "sample_id": int, "urn": str, "stratum": str, "reason": str, "position": int,
    }, pk=("sample_id", "urn"), foreign_keys=[("sample_id", "samples", "id")])


@migration
def m004_policy_sets(db: sqlite_utils.Database) -> None:
    """Policy sets (`check --set`, `check --school URN`): a set run per school and set of files,
    each file of it (read, a duplicate copy read once, or unreadable) with its own run, the set's
    findings (status over the set, the document that decided it, each document's own status),
    their evidence naming its document, and the pointers to other policies (those not supplied are
    what the officer asks the school for). Documents also keep their sections and unread pages,
    so a set can be judged again from the database without extracting a file twice."""
    db.execute("ALTER TABLE documents ADD COLUMN unread_pages TEXT")  # NULL: stored before m004
    db["document_sections"].create({
        "document_id": int, "seq": int, "heading": str, "level": int, "page": int,
        "first_clause": int, "clauses": int,
    }, pk=("document_id", "seq"), foreign_keys=[("document_id", "documents", "id")])
    db["set_runs"].create({
        "id": int, "urn": str, "name": str, "documents_digest": str, "checklist": str, "checklist_name": str,
        "checklist_version": str, "as_of": str, "given_type": str, "given_phase": str, "school_type": str,
        "phase": str, "tool_version": str, "created_at": str,
    }, pk="id", not_null={"name", "documents_digest", "checklist", "as_of"})
    db["set_runs"].create_index(["urn", "name", "documents_digest", "checklist", "as_of", "given_type",
                                 "given_phase", "tool_version"], unique=True)
    db["set_runs"].create_index(["urn"])
    db["set_documents"].create({
        "set_run_id": int, "position": int, "source": str, "name": str, "sha256": str, "document_id": int,
        "run_id": int, "role": str, "duplicate_of": str, "error": str,
    }, pk=("set_run_id", "position"), foreign_keys=[("set_run_id", "set_runs", "id"),
                                                   ("document_id", "documents", "id"), ("run_id", "runs", "id")])
    db["set_documents"].create_index(["document_id"])
    db["set_findings"].create({
        "id": int, "set_run_id": int, "item_id": str, "kind": str, "status": str, "confidence": float,
        "explanation": str, "found": str, "not_found": str, "decided_by": str, "documents": str,
        "pointer": str,
    }, pk="id", foreign_keys=[("set_run_id", "set_runs", "id")])
    db["set_findings"].create_index(["set_run_id", "item_id"], unique=True)
    db["set_evidence"].create({
        "id": int, "set_finding_id": int, "rank": int, "source": str, "clause_id": str, "text": str,
        "page": int, "heading_path": str, "element": str,
    }, pk="id", foreign_keys=[("set_finding_id", "set_findings", "id")])
    db["set_evidence"].create_index(["set_finding_id"])
    db["set_pointers"].create({
        "id": int, "set_run_id": int, "rank": int, "policy": str, "policy_key": str, "source": str,
        "clause_id": str, "text": str, "page": int, "heading_path": str, "supplied_by": str, "items": str,
    }, pk="id", foreign_keys=[("set_run_id", "set_runs", "id")])
    db["set_pointers"].create_index(["set_run_id"])


@contextlib.contextmanager
def write_transaction(db):
    """A transaction that takes the write lock at its start (BEGIN IMMEDIATE, waiting up to the
    busy timeout). A deferred transaction that reads and then writes fails at once with "database
    is locked" when another process wrote in between; this one waits its turn instead."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def open_db(path: str | Path | None = None) -> sqlite_utils.Database:
    """Open (creating and migrating) the database; WAL mode so readers never block a batch."""
    path = Path(path or default_db_path())
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> list[str]:
    if "_migrations" not in db.table_names():
        db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    done = {r["name"] for r in db["_migrations"].rows}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            fn(db)
            db["_migrations"].insert({"name": name, "applied_at": _now()})
        applied.append(name)
    return applied


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _run_key(document_id: int, checklist: Checklist, as_of: dt.date, given_type, given_phase) -> dict:
    return {"document_id": document_id, "checklist": checklist.fingerprint, "as_of": as_of.isoformat(),
            "given_type": given_type or "", "given_phase": given_phase or "", "tool_version": __version__}


def find_run(db, sha256: str, checklist: Checklist, as_of: dt.date, given_type=None, given_phase=None) -> int | None:
    """The stored run for this file content and these settings, if it was checked before."""
    doc = next(db["documents"].rows_where("sha256 = ?", [sha256]), None)
    if doc is None:
        return None
    key = _run_key(doc["id"], checklist, as_of, given_type, given_phase)
    where = " and ".join(f"{k} = ?" for k in key)
    run = next(db["runs"].rows_where(where, list(key.values())), None)
    return run["id"] if run else None


def save_result(db, result: CheckResult, *, given_type=None, given_phase=None) -> int:
    """Store one checked document in a single transaction; returns the run id (existing if unchanged)."""
    existing = find_run(db, result.sha256, result.checklist, result.as_of, given_type, given_phase)
    if existing:
        return existing
    doc, cl = result.document, result.checklist
    # One write transaction, not `with db.conn` (sqlite-utils commits each insert on its own
    # unless a transaction is open, which would leave a half-stored document after a failure).
    with write_transaction(db):
        row = next(db["documents"].rows_where("sha256 = ?", [result.sha256]), None)
        if row is None:
            document_id = db["documents"].insert({
                "sha256": result.sha256, "source": result.source, "format": doc.format, "pages": doc.pages,
                "readable": int(doc.readable), "warnings": json.dumps(doc.warnings), "extracted_at": _now(),
                "school_type": result.school_type, "phase": result.phase,
            }).last_pk
            db["clauses"].insert_all(({
                "document_id": document_id, "clause_id": c.id, "seq": n, "text": c.text, "page": c.page,
                "heading_path": c.heading_path, "kind": c.kind, "start": c.start, "end": c.end,
            } for n, c in enumerate(doc.clauses)), batch_size=500)
            _save_sections(db, document_id, doc)
        else:
            document_id = row["id"]
            if row.get("unread_pages") is None:  # stored before m004: keep its layout now it is at hand
                _save_sections(db, document_id, doc)
        _save_checklist(db, cl)
        run_id = db["runs"].insert({
            **_run_key(document_id, cl, result.as_of, given_type, given_phase),
            "checklist_name": cl.name, "checklist_version": cl.version, "school_type": result.school_type,
            "phase": result.phase, "profile_from": result.profile_from, "created_at": _now(),
            "previous_run_id": _previous_run(db, document_id, result.source),
        }).last_pk
        findings = [*result.match.items.values(), *result.match.red_flags, *result.match.outdated]
        first_id = (db.execute("select coalesce(max(id), 0) from findings").fetchone()[0] or 0) + 1
        db["findings"].insert_all(({
            "id": first_id + n, "run_id": run_id, "item_id": f.id, "kind": f.kind, "status": f.status,
            "confidence": round(f.confidence, 3), "explanation": f.explanation,
            "found": json.dumps(f.found), "not_found": json.dumps(f.not_found),
        } for n, f in enumerate(findings)), batch_size=500)
        db["evidence"].insert_all(({
            "finding_id": first_id + n, "rank": r, "clause_id": e.clause_id, "text": e.text, "page": e.page,
            "heading_path": e.heading_path, "element": e.element,
        } for n, f in enumerate(findings) for r, e in enumerate(f.evidence)), batch_size=500)
    return run_id


def _save_sections(db, document_id: int, doc) -> None:
    """The document's sections (headings, levels, pages and which clauses each holds) and its
    unread pages: with the clauses, what `load_document` needs to rebuild it."""
    db["document_sections"].delete_where("document_id = ?", [document_id])
    rows, first = [], 0
    for n, sec in enumerate(doc.sections):
        rows.append({"document_id": document_id, "seq": n, "heading": sec.heading, "level": sec.level,
                     "page": sec.page, "first_clause": first, "clauses": len(sec.clauses)})
        first += len(sec.clauses)
    db["document_sections"].insert_all(rows, batch_size=500)
    db.execute("update documents set unread_pages = ? where id = ?",
               [json.dumps(list(doc.unread_pages or [])), document_id])


def load_document(db, document_id: int, source: str | None = None):
    """The document as it was extracted, rebuilt from its stored clauses and sections (nothing is
    read from the file); None when it was stored before its sections were kept (m004)."""
    from toolkit.document import Clause, Document, Section

    row = db["documents"].get(document_id)
    if row.get("unread_pages") is None:
        return None
    clauses = [Clause(r["clause_id"], r["text"], r["page"], r["start"], r["end"], r["heading_path"] or "",
                      r["kind"] or "sentence")
               for r in db.query("select * from clauses where document_id = ? order by seq", [document_id])]
    sections = [Section(r["heading"] or "", r["level"], r["page"], clauses[r["first_clause"]:r["first_clause"] + r["clauses"]])
                for r in db.query("select * from document_sections where document_id = ? order by seq", [document_id])]
    return Document(str(source or row["source"]), row["format"], row["pages"], sections, json.loads(row["warnings"]),
                    "\n".join(c.text for c in clauses), bool(row["readable"]), json.loads(row["unread_pages"]))


def _previous_run(db, document_id: int, source: str) -> int | None:
    """The latest run of an earlier version of the same policy: another file with the same name
    (a school's re-published policy), or an earlier run of this very file."""
    name = Path(source).name
    for row in db.query("select r.id, d.source from runs r join documents d on d.id = r.document_id "
                        "where d.source like ? order by r.id desc", [f"%{name}"]):
        if Path(row["source"]).name == name:
            return row["id"]
    return None


def _save_checklist(db, cl: Checklist) -> None:
    rows = []
    for x in [*cl.items, *cl.red_flags, *cl.outdated]:
        rows.append({
            "checklist": cl.fingerprint, "version": cl.version, "id": x.id,
            "kind": getattr(x, "kind", "item"), "title": x.title, "area": getattr(x, "area", x.id.split("-")[0]),
            "basis": x.basis, "citation": getattr(x, "citation", ""), "requirement": getattr(x, "requirement", ""),
            "remedy": x.remedy, "replaced_by": getattr(x, "replaced_by", ""),
        })
    db["checklist_items"].insert_all(rows, ignore=True)


def run_json(db, run_id: int) -> dict:
    """One stored run in the SPEC `check --json` document shape."""
    run = db["runs"].get(run_id)
    doc = db["documents"].get(run["document_id"])
    evidence: dict[int, list] = {}
    for e in db.query("select e.* from evidence e join findings f on f.id = e.finding_id "
                      "where f.run_id = ? order by e.finding_id, e.rank", [run_id]):
        evidence.setdefault(e["finding_id"], []).append(
            {"text": e["text"], "page": e["page"], "clause_id": e["clause_id"],
             "heading": e["heading_path"], "element": e["element"]})
    items, flags, old = {}, [], []
    for f in db.query("select * from findings where run_id = ? order by id", [run_id]):
        body = {"status": f["status"], "confidence": f["confidence"], "evidence": evidence.get(f["id"], []),
                "explanation": f["explanation"]}
        if f["kind"] == "item":
            items[f["item_id"]] = {**body, "found": json.loads(f["found"]), "not_found": json.loads(f["not_found"])}
        else:
            body = {"id": f["item_id"], "confidence": f["confidence"], "evidence": body["evidence"],
                    "explanation": f["explanation"]}
            (flags if f["kind"] == "red_flag" else old).append(body)
    return {
        "source": doc["source"], "sha256": doc["sha256"], "format": doc["format"], "pages": doc["pages"],
        "checklist": run["checklist"], "as_of": run["as_of"], "school_type": run["school_type"],
        "phase": run["phase"], "readable": bool(doc["readable"]), "warnings": json.loads(doc["warnings"]),
        "run_id": run_id, "items": items, "red_flags": flags, "outdated": old,
    }


def latest_runs(db) -> list[int]:
    """The newest run of each document."""
    return [r["id"] for r in db.query(
        "select max(id) as id from runs group by document_id order by document_id")]


def backup(db, dest: str | Path) -> Path:
    """A consistent copy of the database, safe while checks and reviews are writing (SQLite's
    online backup API); the review trail is in it."""
    import sqlite3

    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; choose a new name")
    target = sqlite3.connect(dest)
    try:
        db.conn.backup(target)
    finally:
        target.close()
    return dest


# ---- policy sets (m004) ------------------------------------------------------------------------

def set_digest(sources: list, sha256: list[str], failed: set[str]) -> str:
    """What the files of a set are: each file's name, content and whether it could be read, in
    order (names matter: a pointer is matched with file names, and the set quotes them)."""
    import hashlib

    parts = [[Path(str(s)).name, h or "", "unreadable" if str(s) in failed else "read"]
             for s, h in zip(sources, sha256)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _set_key(urn, name: str, digest: str, checklist: Checklist, as_of: dt.date, given_type, given_phase) -> dict:
    return {"urn": urn or "", "name": name, "documents_digest": digest, "checklist": checklist.fingerprint,
            "as_of": as_of.isoformat(), "given_type": given_type or "", "given_phase": given_phase or "",
            "tool_version": __version__}


def find_set_run(db, *, urn, name: str, digest: str, checklist: Checklist, as_of: dt.date,
                 given_type=None, given_phase=None) -> int | None:
    """The stored set run for these files (same names and contents), checklist and settings."""
    key = _set_key(urn, name, digest, checklist, as_of, given_type, given_phase)
    row = next(db["set_runs"].rows_where(" and ".join(f"{k} = ?" for k in key), list(key.values())), None)
    return row["id"] if row else None


def save_set(db, result, *, checklist: Checklist, urn=None, given_type=None, given_phase=None,
             runs: dict[str, int] | None = None) -> int:
    """Store a judged policy set (toolkit.policyset.SetResult) in one transaction; returns the set
    run id (the existing one when the same files were judged with the same checklist and settings).
    `runs`: str(source) -> the per-document run stored for that file."""
    from toolkit.policyset import _name

    runs = runs or {}
    failed = {e["source"] for e in result.errors}
    key = _set_key(urn, result.name, set_digest(result.sources, result.sha256, failed), checklist, result.as_of,
                   given_type, given_phase)
    m = result.match
    kept, i = [], 0  # the documents read are the files in order, less the copies read once
    for source in result.sources:
        is_kept = i < len(m.documents) and str(m.documents[i]) == str(source)
        kept.append(is_kept)
        i += is_kept
    with write_transaction(db):  # the lock is held from here: no other process stores the same set between
        existing = next(db["set_runs"].rows_where(" and ".join(f"{k} = ?" for k in key), list(key.values())), None)
        if existing:
            return existing["id"]
        _save_checklist(db, checklist)
        set_id = db["set_runs"].insert({
            **key, "checklist_name": checklist.name, "checklist_version": checklist.version,
            "school_type": result.school_type, "phase": result.phase, "created_at": _now(),
        }).last_pk
        rows = []
        for n, (source, sha) in enumerate(zip(result.sources, result.sha256)):
            run_id = runs.get(str(source))
            run = db["runs"].get(run_id) if run_id else None
            name = _name(source)
            role = "unreadable" if str(source) in failed else ("read" if kept[n] else "copy")
            rows.append({"set_run_id": set_id, "position": n, "source": str(source), "name": name, "sha256": sha,
                         "document_id": run["document_id"] if run else None, "run_id": run_id,
                         "role": role, "duplicate_of": m.duplicates.get(name) if role == "copy" else None,
                         "error": next((e["error"] for e in result.errors if e["source"] == str(source)), None)})
        db["set_documents"].insert_all(rows)
        findings = [(f, m.item_json(f.id)) for f in m.items.values()]
        findings += [(f, {"documents": m.marker_documents(f)}) for f in [*m.red_flags, *m.outdated]]
        first_id = (db.execute("select coalesce(max(id), 0) from set_findings").fetchone()[0] or 0) + 1
        db["set_findings"].insert_all(({
            "id": first_id + n, "set_run_id": set_id, "item_id": f.id, "kind": f.kind, "status": f.status,
            "confidence": f.confidence, "explanation": f.explanation, "found": json.dumps(f.found),
            "not_found": json.dumps(f.not_found), "decided_by": m.decided_by.get(f.id),
            "documents": json.dumps(extra["documents"]), "pointer": m.pointed.get(f.id),
        } for n, (f, extra) in enumerate(findings)), batch_size=500)
        db["set_evidence"].insert_all(({
            "set_finding_id": first_id + n, "rank": r, "source": e.source, "clause_id": e.clause_id, "text": e.text,
            "page": e.page, "heading_path": e.heading_path, "element": e.element,
        } for n, (f, _) in enumerate(findings) for r, e in enumerate(f.evidence)), batch_size=500)
        db["set_pointers"].insert_all(({
            "set_run_id": set_id, "rank": r, "policy": p.policy, "policy_key": p.key, "source": p.source,
            "clause_id": p.clause.id, "text": p.clause.text, "page": p.clause.page,
            "heading_path": p.clause.heading_path, "supplied_by": p.supplied_by or None, "items": json.dumps(p.items),
        } for r, p in enumerate(m.pointers)), batch_size=500)
    return set_id


def set_json(db, set_run_id: int) -> dict:
    """One stored set run in the shape `check --set --json` prints under "sets" (the same keys as
    toolkit.policyset.SetResult.to_json), plus its id, URN and the files with their runs."""
    run = db["set_runs"].get(set_run_id)
    docs = list(db.query("select * from set_documents where set_run_id = ? order by position", [set_run_id]))
    evidence: dict[int, list] = {}
    for e in db.query("select e.* from set_evidence e join set_findings f on f.id = e.set_finding_id "
                      "where f.set_run_id = ? order by e.set_finding_id, e.rank", [set_run_id]):
        body = {"text": e["text"], "page": e["page"], "clause_id": e["clause_id"], "heading": e["heading_path"],
                "element": e["element"]}
        if e["source"]:
            body["source"] = e["source"]
        evidence.setdefault(e["set_finding_id"], []).append(body)
    items, flags, old = {}, [], []
    for f in db.query("select * from set_findings where set_run_id = ? order by id", [set_run_id]):
        body = {"status": f["status"], "confidence": round(f["confidence"], 2), "evidence": evidence.get(f["id"], []),
                "explanation": f["explanation"]}
        if f["kind"] == "item":
            items[f["item_id"]] = {**body, "found": json.loads(f["found"]), "not_found": json.loads(f["not_found"]),
                                   "decided_by": f["decided_by"], "documents": json.loads(f["documents"])}
            if f["pointer"]:
                items[f["item_id"]]["pointer"] = f["pointer"]
        else:
            marker = {"id": f["item_id"], "confidence": body["confidence"], "evidence": body["evidence"],
                      "explanation": f["explanation"], "documents": json.loads(f["documents"])}
            (flags if f["kind"] == "red_flag" else old).append(marker)
    pointers, not_supplied = [], {}
    for p in db.query("select * from set_pointers where set_run_id = ? order by rank", [set_run_id]):
        pointers.append({"policy": p["policy"], "source": p["source"], "text": p["text"], "page": p["page"],
                         "heading": p["heading_path"], "supplied_by": p["supplied_by"], "items": json.loads(p["items"])})
        if not p["supplied_by"]:
            not_supplied.setdefault(p["policy_key"], p["policy"])
    return {
        "name": run["name"], "sources": [d["source"] for d in docs], "sha256": [d["sha256"] for d in docs],
        "as_of": run["as_of"], "school_type": run["school_type"], "phase": run["phase"],
        "documents": [d["source"] for d in docs if d["role"] != "copy"],
        "items": items, "red_flags": flags, "outdated": old, "pointers": pointers,
        "not_supplied": list(not_supplied.values()),
        "duplicates": {d["name"]: d["duplicate_of"] for d in docs if d["role"] == "copy"},
        "errors": [{"source": d["source"], "error": d["error"]} for d in docs if d["role"] == "unreadable"],
        "set_run_id": set_run_id, "urn": run["urn"] or None, "checklist": run["checklist"],
        "files": [{k: d[k] for k in ("source", "name", "sha256", "document_id", "run_id", "role", "duplicate_of",
                                     "error")} for d in docs],
    }


def latest_set_runs(db) -> list[int]:
    """The newest set run of each school (by URN, else by the set's name)."""
    if "set_runs" not in db.table_names():
        return []
    return [r["id"] for r in db.query(
        "select max(id) as id from set_runs group by case when urn != '' then 'urn:' || urn else 'name:' || name end "
        "order by id")]
