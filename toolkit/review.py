"""Auditor review: the queue of findings that need a person, decisions kept in an append-only
trail, carry-over when a policy is checked again, and agreement between reviewers."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass
from itertools import combinations

from toolkit import __version__
from toolkit.errors import DipsampleError
from toolkit.store import _now, latest_runs, write_transaction

LOW_CONFIDENCE = 0.6  # findings below this confidence are queued for a person
QC_RATE = 0.1  # share of confident "met" findings sampled for quality control
ITEM_STATUSES = ("met", "partial", "missing", "n/a")
MARKER_STATUSES = ("present", "dismissed")
ACTIONS = ("agree", "change", "dismiss", "comment")
REASONS = ("red flag", "statutory gap", "low confidence", "changed since review", "quality check", "second opinion")


class ReviewError(DipsampleError):
    """A decision that cannot be recorded (unknown finding, bad status, no reviewer)."""


@dataclass
class QueueEntry:
    finding_id: int
    document: str
    item_id: str
    kind: str
    title: str
    status: str  # current status (the tool's: queued findings have no decision yet)
    confidence: float
    reason: str
    basis: str
    changed: bool = False

    def to_json(self) -> dict:
        return asdict(self)


def _sampled(finding: dict, rate: float) -> bool:
    """A stable pseudo-random quality-control sample: the same findings on every machine."""
    digest = hashlib.sha256(f"{finding['source']}|{finding['item_id']}".encode()).digest()
    return digest[0] / 256 < rate


def _decided_items(db, run_id: int | None) -> dict[str, dict]:
    """item id -> latest status-setting decision, for a run (used to mark changes since review)."""
    if not run_id:
        return {}
    rows = db.query("""select f.item_id, d.* from decisions d join findings f on f.id = d.finding_id
                       where f.run_id = ? and d.new_status is not null order by d.id""", [run_id])
    return {r["item_id"]: r for r in rows}


def queue(db, *, reviewer: str | None = None, low_confidence: float = LOW_CONFIDENCE, qc_rate: float = QC_RATE,
          school: str | None = None, item: str | None = None, status: str | None = None,
          reason: str | None = None, sample: int | None = None, decided_by: str | None = None) -> list[QueueEntry]:
    """Findings of the latest run of each document that need a person, most urgent first:
    red flags, statutory items missing or partial, findings changed since an earlier review,
    low-confidence findings, then a sample of confident "met" findings.

    A document read in its school's latest policy set is judged with the set: its item that is
    missing or partial is left out when it is not a gap of the school (`_covered_by_set`); its red
    flags and everything else are queued as for any document."""
    entries: list[QueueEntry] = []
    in_sample = _sample_documents(db, sample) if sample is not None else None
    if decided_by:  # a second reviewer re-checks what this reviewer decided (for agreement figures)
        return _decided_by(db, decided_by, exclude=reviewer)
    in_sets = _set_items(db)
    for run_id in latest_runs(db):
        run = db["runs"].get(run_id)
        if in_sample is not None and run["document_id"] not in in_sample:
            continue
        name, set_items = in_sets.get(run["document_id"], (None, {}))
        earlier = _decided_items(db, run["previous_run_id"])
        rows = db.query("""
            select f.*, d.source, ci.title, ci.basis,
                   (select count(*) from decisions x where x.finding_id = f.id and x.new_status is not null) as decided,
                   (select count(*) from decisions x where x.finding_id = f.id and x.reviewer = ?) as mine
            from findings f join runs r on r.id = f.run_id join documents d on d.id = r.document_id
            left join checklist_items ci on ci.checklist = r.checklist and ci.id = f.item_id
            where f.run_id = ? order by f.id""", [reviewer or "", run_id])
        for f in rows:
            if f["decided"] or f["status"] == "not-evaluated":
                continue
            if f["kind"] == "item" and _covered_by_set(f, name, set_items):
                continue
            changed = f["item_id"] in earlier
            if f["kind"] == "red_flag":
                why = "red flag"
            elif f["kind"] == "outdated":
                continue  # outdated references are facts of the text, shown in reports
            elif f["basis"] == "statutory" and f["status"] in ("missing", "partial"):
                why = "statutory gap"
            elif changed:
                why = "changed since review"
            elif f["confidence"] < low_confidence:
                why = "low confidence"
            elif f["status"] == "met" and _sampled(f, qc_rate):
                why = "quality check"
            else:
                continue
            entry = QueueEntry(f["id"], f["source"], f["item_id"], f["kind"], f["title"] or f["item_id"],
                               f["status"], f["confidence"], why, f["basis"] or "", changed)
            if school and school.lower() not in f["source"].lower():
                continue
            if item and not f["item_id"].upper().startswith(item.upper()):
                continue
            if status and f["status"] != status:
                continue
            if reason and why != reason:
                continue
            entries.append(entry)
    return sorted(entries, key=lambda e: (REASONS.index(e.reason), e.document, e.finding_id))


def _set_items(db) -> dict[int, tuple[str, dict]]:
    """Document id -> (its name in its school's latest policy set, the set's items with reviewers'
    decisions carried in as the set report does), for each document read in such a set (a copy
    read once counts as the document read instead)."""
    from toolkit.report import reviewed_set
    from toolkit.store import latest_set_runs

    out: dict[int, tuple[str, dict]] = {}
    for set_id in latest_set_runs(db):
        files = [f for f in db["set_documents"].rows_where("set_run_id = ? and document_id is not null", [set_id],
                                                            order_by="position") if f["role"] != "unreadable"]
        if not any(f["role"] == "read" for f in files):
            continue
        items = reviewed_set(db, set_id)["items"]
        for f in sorted(files, key=lambda f: f["role"] == "read"):  # the document read wins over its copy
            out[f["document_id"]] = (f["duplicate_of"] if f["role"] == "copy" else f["name"], items)
    return out


def _covered_by_set(f: dict, name: str | None, set_items: dict) -> bool:
    """Whether a document's missing or partial item is not a gap of its school: the school's set
    takes the item (met or partial) from another of its documents, or it is missing from the whole
    set and a reviewer has already decided it in another document. Such a finding changes nothing
    the school is judged on, so it is not queued; if a reviewer later lowers the finding the set
    took, the set is judged again and the item comes back."""
    item = set_items.get(f["item_id"])
    if not name or item is None or f["status"] not in ("missing", "partial"):
        return False
    if item["status"] in ("met", "partial"):
        return bool(item.get("decided_by")) and item["decided_by"] != name
    review = item.get("review")
    return item["status"] in ("missing", "n/a") and bool(review) and review.get("document") != name


def _sample_documents(db, sample_id: int) -> set[int]:
    """Documents linked to the schools of a sample."""
    if "sample_schools" not in db.table_names():
        return set()
    return {r["document_id"] for r in db.query(
        "select sd.document_id from school_documents sd join sample_schools ss on ss.urn = sd.urn "
        "where ss.sample_id = ?", [sample_id])}


def _decided_by(db, reviewer: str, *, exclude: str | None) -> list[QueueEntry]:
    """Findings a reviewer decided that `exclude` (the reviewer asking) has not: a second opinion."""
    rows = db.query("""
        select distinct f.id, d2.source, f.item_id, f.kind, coalesce(ci.title, f.item_id) as title, f.status,
               f.confidence, coalesce(ci.basis, '') as basis
        from decisions d join findings f on f.id = d.finding_id join runs r on r.id = f.run_id
        join documents d2 on d2.id = r.document_id
        left join checklist_items ci on ci.checklist = r.checklist and ci.id = f.item_id
        where d.reviewer = ? and d.new_status is not null and d.carried_from is null
          and not exists (select 1 from decisions x where x.finding_id = f.id and x.reviewer = ?)
        order by f.id""", [reviewer, exclude or ""])
    return [QueueEntry(r["id"], r["source"], r["item_id"], r["kind"], r["title"], r["status"], r["confidence"],
                       "second opinion", r["basis"]) for r in rows]


def finding(db, finding_id: int) -> dict:
    rows = list(db.query("""
        select f.*, r.document_id, r.checklist, d.source, ci.title, ci.requirement, ci.basis, ci.citation, ci.remedy
        from findings f join runs r on r.id = f.run_id join documents d on d.id = r.document_id
        left join checklist_items ci on ci.checklist = r.checklist and ci.id = f.item_id
        where f.id = ?""", [finding_id]))
    if not rows:
        raise ReviewError(f"no finding {finding_id}")
    return rows[0]


def context(db, finding_id: int, around: int = 1) -> dict:
    """A finding with its evidence in context: neighbouring clauses, heading path and page."""
    f = finding(db, finding_id)
    evidence = list(db.query("select * from evidence where finding_id = ? order by rank", [finding_id]))
    clauses = list(db.query("select clause_id, seq, text, page, heading_path from clauses where document_id = ? "
                            "order by seq", [f["document_id"]]))
    by_id = {c["clause_id"]: c for c in clauses}
    shown = []
    for e in evidence:
        c = by_id.get(e["clause_id"])
        if c is None:
            continue
        # a quote may be a passage of several clauses (or a lead-in with its list): its clauses
        # are those after the first whose text the quote goes on to hold
        at = e["text"].find(c["text"])  # a list quote opens with its lead-in or heading
        end, rest = c["seq"] + 1, e["text"][at + len(c["text"]):] if at >= 0 else ""
        while end < len(clauses) and clauses[end]["text"] and clauses[end]["text"] in rest:
            rest = rest[rest.index(clauses[end]["text"]) + len(clauses[end]["text"]):]
            end += 1
        lo, hi = max(0, c["seq"] - around), min(len(clauses), end + around)
        shown.append({"clause_id": c["clause_id"], "clause_ids": [x["clause_id"] for x in clauses[c["seq"]:end]],
                      "page": c["page"], "heading": c["heading_path"],
                      "element": e["element"], "before": [x["text"] for x in clauses[lo:c["seq"]]],
                      "text": e["text"] if end > c["seq"] + 1 else c["text"],
                      "after": [x["text"] for x in clauses[end:hi]]})
    return {**f, "evidence": shown, "history": history(db, finding_id=finding_id),
            "current": current_status(db, finding_id)}


def current_status(db, finding_id: int) -> str:
    row = next(db.query("select status from current_findings where finding_id = ?", [finding_id]), None)
    if row is None:
        raise ReviewError(f"no finding {finding_id}")
    return row["status"]


def decide(db, finding_id: int, *, reviewer: str, action: str, new_status: str | None = None,
           comment: str = "", evidence_clause_id: str | None = None, carried_from: int | None = None) -> int:
    """Record one decision (never changing an earlier one); returns its id.

    agree: the current status stands; change: set `new_status`; dismiss: a red flag is not one;
    comment: a note that changes nothing. `evidence_clause_id` marks the clause that proves the
    item ("" for none)."""
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise ReviewError("a reviewer name is required for every decision")
    if action not in ACTIONS:
        raise ReviewError(f"unknown action '{action}' (choose from {', '.join(ACTIONS)})")
    f = finding(db, finding_id)
    old = current_status(db, finding_id)
    allowed = MARKER_STATUSES if f["kind"] != "item" else ITEM_STATUSES
    if action == "agree":
        new_status = old
    elif action == "dismiss":
        if f["kind"] == "item":
            raise ReviewError("only red flags and outdated markers can be dismissed; change the status instead")
        new_status = "dismissed"
    elif action == "change":
        if new_status not in allowed:
            raise ReviewError(f"status '{new_status}' is not one of {', '.join(allowed)} for {f['item_id']}")
    else:
        new_status = None
        if not comment.strip():
            raise ReviewError("a comment decision needs a comment")
    if evidence_clause_id:
        ok = db.execute("select 1 from clauses where document_id = ? and clause_id = ?",
                        [f["document_id"], evidence_clause_id]).fetchone()
        if not ok:
            raise ReviewError(f"clause {evidence_clause_id} is not in this document")
    with write_transaction(db):
        return db["decisions"].insert({
            "finding_id": finding_id, "reviewer": reviewer, "action": action, "old_status": old,
            "new_status": new_status, "comment": comment.strip(), "evidence_clause_id": evidence_clause_id,
            "created_at": _now(), "tool_version": __version__, "checklist": f["checklist"],
            "carried_from": carried_from,
        }).last_pk


def history(db, *, finding_id: int | None = None) -> list[dict]:
    """Every decision, oldest first, with the document and item it concerns."""
    where, params = ("where d.finding_id = ?", [finding_id]) if finding_id is not None else ("", [])
    return list(db.query(f"""
        select d.id, d.created_at, d.reviewer, doc.source as document, f.item_id, d.action, d.old_status,
               d.new_status, d.comment, d.evidence_clause_id, d.finding_id, d.tool_version, d.checklist,
               d.carried_from
        from decisions d join findings f on f.id = d.finding_id join runs r on r.id = f.run_id
        join documents doc on doc.id = r.document_id {where} order by d.id""", params))


def export_history(db, fmt: str = "csv") -> str:
    rows = history(db)
    if fmt == "json":
        return json.dumps(rows, indent=2)
    buf = io.StringIO()
    fields = list(rows[0]) if rows else ["id", "created_at", "reviewer", "document", "item_id", "action",
                                         "old_status", "new_status", "comment"]
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def carry_over(db, run_id: int) -> tuple[int, int]:
    """After a policy is checked again, carry each earlier decision to the new finding for the same
    item when its quoted evidence is unchanged; the rest go back to the queue ("changed since
    review"). Returns (carried, changed)."""
    run = db["runs"].get(run_id)
    prev = run["previous_run_id"]
    if not prev:
        return 0, 0
    earlier = _decided_items(db, prev)
    if not earlier:
        return 0, 0
    old_findings = {r["item_id"]: r["id"] for r in db.query("select id, item_id from findings where run_id = ?", [prev])}
    carried = changed = 0
    for f in db.query("select id, item_id from findings where run_id = ?", [run_id]):
        last = earlier.get(f["item_id"])
        if last is None or db.execute("select 1 from decisions where finding_id = ?", [f["id"]]).fetchone():
            continue
        if _evidence_texts(db, f["id"]) == _evidence_texts(db, old_findings[f["item_id"]]):
            decide(db, f["id"], reviewer=last["reviewer"], action="change" if last["action"] != "dismiss" else "dismiss",
                   new_status=last["new_status"], comment=f"carried over from decision {last['id']}: evidence unchanged",
                   evidence_clause_id=None, carried_from=last["id"])
            carried += 1
        else:
            changed += 1
    return carried, changed


def _evidence_texts(db, finding_id: int) -> list[str]:
    return sorted(r["text"] for r in db.query("select text from evidence where finding_id = ?", [finding_id]))


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa for two raters over the same findings; None when it is undefined."""
    n = len(pairs)
    if not n:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def stats(db, run_ids: list[int] | None = None) -> dict:
    """Decisions per reviewer, overrides of the tool, and agreement between each pair of reviewers
    on the findings both decided (each reviewer's latest status for it); with `run_ids`, only
    decisions on the findings of those runs."""
    latest: dict[tuple[str, int], str] = {}
    counts: Counter = Counter()
    overrides = 0
    only = "" if run_ids is None else f" and f.run_id in ({','.join(str(int(r)) for r in run_ids) or 'NULL'})"
    for d in db.query("select d.*, f.status as tool_status from decisions d join findings f on f.id = d.finding_id "
                      "where d.new_status is not null and d.carried_from is null" + only + " order by d.id"):
        latest[(d["reviewer"], d["finding_id"])] = d["new_status"]
        counts[d["reviewer"]] += 1
        overrides += d["new_status"] != d["tool_status"]
    reviewers = sorted(counts)
    pairs_out = []
    for a, b in combinations(reviewers, 2):
        both = [(latest[(a, f)], latest[(b, f)]) for (r, f) in latest if r == a and (b, f) in latest]
        if not both:
            continue
        kappa = cohen_kappa(both)
        pairs_out.append({"reviewers": [a, b], "findings": len(both),
                          "agreement": round(sum(x == y for x, y in both) / len(both), 4),
                          "kappa": None if kappa is None else round(kappa, 4)})
    total = sum(counts.values())
    return {"decisions": total, "by_reviewer": dict(counts), "overrides": overrides,
            "override_rate": round(overrides / total, 4) if total else 0.0, "pairs": pairs_out}
