"""Findings, evidence and the review trail as tables: CSV (one file per table), XLSX (one sheet
per table, header frozen, auto-filter on) or JSON (one document). Findings and evidence are those
of the latest run of each document; decisions are the whole trail. Each school's latest policy set
(`check --school URN`, `check --set`) adds set_runs, set_findings (statuses over the set, with
reviewers' decisions on its documents carried in as the set report does), set_evidence and
set_pointers (the policies referred to, and those not supplied)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from toolkit import __version__
from toolkit.errors import DipsampleError
from toolkit.review import history
from toolkit.store import latest_runs, latest_set_runs

FORMATS = ("csv", "xlsx", "json")
# Spreadsheet programs run cells that start like a formula; policy text is untrusted.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def tables(db) -> dict[str, list[dict]]:
    """{"findings": [...], "evidence": [...], "decisions": [...], "set_runs": [...], "set_findings": [...],
    "set_evidence": [...], "set_pointers": [...]}, rows as dicts."""
    runs = latest_runs(db)
    marks = ",".join("?" * len(runs)) or "NULL"
    findings = list(db.query(f"""
        select cf.finding_id, cf.run_id, cf.source as document, cf.item_id as item, cf.kind,
               coalesce(ci.title, cf.item_id) as title, coalesce(ci.basis, '') as basis,
               cf.status, cf.tool_status, cf.confidence,
               cf.reviewed_by, cf.reviewed_at, cf.review_comment, r.as_of, r.checklist_version
        from current_findings cf join runs r on r.id = cf.run_id
        left join checklist_items ci on ci.checklist = r.checklist and ci.id = cf.item_id
        where cf.run_id in ({marks}) order by cf.run_id, cf.finding_id""", runs))
    evidence = list(db.query(f"""
        select e.finding_id, d.source as document, f.item_id as item, e.rank, e.text, e.page,
               e.heading_path as heading, e.element, e.clause_id
        from evidence e join findings f on f.id = e.finding_id join runs r on r.id = f.run_id
        join documents d on d.id = r.document_id
        where f.run_id in ({marks}) order by e.finding_id, e.rank""", runs))
    return {"findings": findings, "evidence": evidence, "decisions": history(db), **set_tables(db)}


SET_COLUMNS = {
    "set_runs": ["set_run_id", "urn", "school", "name", "documents", "not_supplied", "as_of", "school_type", "phase",
                 "checklist_name", "checklist_version", "created_at", "met", "partial", "missing", "n/a",
                 "not-evaluated", "red_flags", "outdated"],
    "set_findings": ["set_finding_id", "set_run_id", "urn", "item", "kind", "title", "basis", "status", "tool_status",
                     "confidence", "decided_by", "documents", "pointer", "explanation", "reviewed_by", "reviewed_at",
                     "review_comment", "reviewed_document"],
    "set_evidence": ["set_finding_id", "set_run_id", "item", "rank", "document", "text", "page", "heading", "element",
                     "clause_id"],
    "set_pointers": ["set_run_id", "urn", "policy", "supplied_by", "not_supplied", "document", "page", "heading",
                     "text", "items"],
}


def set_tables(db) -> dict[str, list[dict]]:
    """The latest policy set of each school as four tables. Statuses are the current ones: the
    set's, with reviewers' decisions on its documents carried in (`toolkit.report.reviewed_set`);
    `tool_status` is the set's as the tool judged it. A red flag or outdated marker is "present"
    (in `documents`) or "dismissed" (by a reviewer in every document it was found in)."""
    from toolkit.report import reviewed_set

    out: dict[str, list[dict]] = {name: [] for name in SET_COLUMNS}
    for set_id in latest_set_runs(db):
        data = reviewed_set(db, set_id)
        run, meta = db["set_runs"].get(set_id), data["meta"]
        school = None
        if run["urn"] and "schools" in db.table_names():
            school = next(db["schools"].rows_where("urn = ?", [run["urn"]]), None)
        ids = {(r["item_id"], r["kind"]): r["id"] for r in db.query(
            "select id, item_id, kind from set_findings where set_run_id = ?", [set_id])}
        counts = {st: 0 for st in ("met", "partial", "missing", "n/a", "not-evaluated")}
        rows = []
        for item_id, f in data["items"].items():
            counts[f["status"]] = counts.get(f["status"], 0) + 1
            review = f.get("review") or {}
            rows.append(({"item": item_id, "kind": "item", "status": f["status"],
                          "tool_status": f.get("tool_status", f["status"]), "confidence": f["confidence"],
                          "decided_by": f.get("decided_by") or "",
                          "documents": "; ".join(f"{n}: {st}" for n, st in (f.get("documents") or {}).items()),
                          "pointer": f.get("pointer") or "", "explanation": f["explanation"],
                          "reviewed_by": review.get("reviewed_by") or "", "reviewed_at": review.get("reviewed_at") or "",
                          "review_comment": review.get("review_comment") or "",
                          "reviewed_document": review.get("document") or ""}, f["evidence"]))
        markers = [(m, "present") for m in data["red_flags"] + data["outdated"]]
        markers += [(m, "dismissed") for m in data["dismissed_flags"]]
        for m, st in markers:
            kind = meta.get(m["id"], {}).get("kind") or ("red_flag" if m["id"].startswith("RF-") else "outdated")
            reviews = m.get("reviews") or []
            rows.append(({"item": m["id"], "kind": kind, "status": st, "tool_status": "present",
                          "confidence": m["confidence"], "decided_by": "", "documents": ", ".join(m["documents"]),
                          "pointer": "", "explanation": m["explanation"],
                          "reviewed_by": ", ".join(r["reviewed_by"] for r in reviews),
                          "reviewed_at": ", ".join(r["reviewed_at"] for r in reviews),
                          "review_comment": " | ".join(r["review_comment"] for r in reviews if r["review_comment"]),
                          "reviewed_document": ", ".join(r["document"] for r in reviews)},
                         m["evidence"] if st == "present" else []))
        for row, evidence in rows:
            sid = ids.get((row["item"], row["kind"]))
            m = meta.get(row["item"], {})
            out["set_findings"].append({"set_finding_id": sid, "set_run_id": set_id, "urn": run["urn"],
                                        "title": m.get("title") or row["item"], "basis": m.get("basis") or "", **row})
            out["set_evidence"] += [{"set_finding_id": sid, "set_run_id": set_id, "item": row["item"], "rank": r,
                                     "document": e.get("source") or "", "text": e["text"], "page": e["page"],
                                     "heading": e.get("heading") or "", "element": e.get("element") or "",
                                     "clause_id": e.get("clause_id") or ""} for r, e in enumerate(evidence)]
        out["set_pointers"] += [{"set_run_id": set_id, "urn": run["urn"], "policy": p["policy"],
                                 "supplied_by": p["supplied_by"] or "", "not_supplied": "" if p["supplied_by"] else "yes",
                                 "document": p["source"], "page": p["page"], "heading": p["heading"] or "",
                                 "text": p["text"], "items": ", ".join(p["items"])} for p in data["pointers"]]
        out["set_runs"].append({
            "set_run_id": set_id, "urn": run["urn"], "school": (school or {}).get("name") or run["name"],
            "name": run["name"], "documents": ", ".join(f["name"] for f in data["files"] if f["role"] == "read"),
            "not_supplied": ", ".join(data["not_supplied"]), "as_of": run["as_of"], "school_type": run["school_type"],
            "phase": run["phase"], "checklist_name": run["checklist_name"], "checklist_version": run["checklist_version"],
            "created_at": run["created_at"], **counts, "red_flags": len(data["red_flags"]),
            "outdated": len(data["outdated"])})
    return {name: [{c: r.get(c) for c in SET_COLUMNS[name]} for r in rows] for name, rows in out.items()}


def _columns(rows: list[dict], name: str) -> list[str]:
    if rows:
        return list(rows[0])
    return {"findings": ["finding_id", "run_id", "document", "item", "kind", "title", "basis", "status",
                         "tool_status", "confidence", "reviewed_by", "reviewed_at", "review_comment"],
            "evidence": ["finding_id", "document", "item", "rank", "text", "page", "heading", "element", "clause_id"],
            "decisions": ["id", "created_at", "reviewer", "document", "item_id", "action", "old_status",
                          "new_status", "comment"], **SET_COLUMNS}[name]


def _safe_csv(value):
    """Cells that a spreadsheet would run as a formula get a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export(db, fmt: str, out: str | Path) -> list[Path]:
    """Write the tables in `fmt` to `out` (a folder for csv, a file for xlsx and json); returns the
    files written."""
    if fmt not in FORMATS:
        raise DipsampleError(f"unknown export format '{fmt}' (choose from {', '.join(FORMATS)})")
    data = tables(db)
    out = Path(out)
    if fmt == "csv":
        if out.exists() and not out.is_dir():
            raise DipsampleError(f"{out}: CSV export writes one file per table into a folder; give a folder")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, rows in data.items():
            path = out / f"{name}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                cols = _columns(rows, name)
                w.writerow(cols)
                w.writerows([_safe_csv(r[c]) for c in cols] for r in rows)
            written.append(path)
        return written
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        doc = {"tool_version": __version__, "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               **data}
        out.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
        return [out]
    write_xlsx({name: (_columns(rows, name), rows) for name, rows in data.items()}, out)
    return [out]


WRAP_COLUMNS = ("text", "title", "comment", "review_comment")
WIDTHS = {"text": 80, "title": 50, "document": 30, "comment": 40, "review_comment": 40, "heading": 40}


def write_xlsx(tables: dict[str, tuple[list[str], list[dict]]], out: Path, *, widths: dict | None = None) -> None:
    """One sheet per table (columns, rows): bold frozen header row, filters on, text never read as
    a formula (policy text may start with "="), long text wrapped."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    widths = WIDTHS if widths is None else widths
    wb = Workbook()
    wb.remove(wb.active)
    for name, (cols, rows) in tables.items():
        ws = wb.create_sheet(name)
        ws.append(cols)
        for r in rows:
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in (r[c] for c in cols)])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    if cols[cell.column - 1] in WRAP_COLUMNS:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, c in enumerate(cols, 1):
            ws.column_dimensions[get_column_letter(i)].width = widths.get(c, max(10, len(c) + 2))
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(1, len(rows) + 1)}"
    wb.save(str(out))
