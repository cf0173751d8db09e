"""Per-school and sample reports (HTML, and PDF through WeasyPrint), rendered from the store with
jinja2 templates. Every page is one self-contained file: inline CSS and SVG, no scripts or fonts."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from toolkit import __version__
from toolkit.document import Clause
from toolkit.errors import DipsampleError
from toolkit.resources import templates_dir
from toolkit.store import latest_runs, latest_set_runs, run_json, set_json

AREA_NAMES = {
    "GOV": "Governance, publication and review", "AIM": "Statutory aims and standards",
    "CUL": "Culture, roles and training", "RS": "Rewards, sanctions and support",
    "EQ": "Equality, SEND and disproportionality", "DET": "Detention",
    "SSC": "Searching, screening and confiscation", "RI": "Reasonable force and restrictive intervention",
    "REM": "Removal and reintegration", "EXC": "Suspension, exclusion and pupil movement",
    "SAF": "Safeguarding", "MON": "Monitoring and evaluation",
}
STATUS_ORDER = ["missing", "partial", "met", "n/a", "not-evaluated"]
# Grid abbreviations on the sample report: text, so colour is never the only signal.
STATUS_ABBR = {"met": "M", "partial": "P", "missing": "X", "n/a": "NA", "not-evaluated": "NE"}
PDF_INSTALL_HINT = ("PDF output needs WeasyPrint and Debian's pango: "
                    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 && pip install weasyprint")


class PdfUnavailable(DipsampleError):
    """WeasyPrint (or the pango library it loads) is not installed; the message says what to install."""


def environment(extra_templates: Path | None = None) -> Environment:
    loaders = [FileSystemLoader(str(extra_templates))] if extra_templates else []
    loaders.append(FileSystemLoader(str(templates_dir())))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["section"] = lambda path: " > ".join(path.split(" > ")[-2:])
    env.filters["longdate"] = _long_date
    env.globals.update(status_abbr=STATUS_ABBR, area_names=AREA_NAMES)
    return env


def _long_date(value) -> str:
    if not value:
        return ""
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {d:%B %Y}"


def slug(source: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", Path(source).stem.lower()).strip("-") or "document"


def _reviews(db, run_id: int) -> dict[str, dict]:
    """item id -> the reviewed status of its finding, where a reviewer decided."""
    return {r["item_id"]: r for r in db.query(
        "select item_id, status, tool_status, reviewed_by, reviewed_at, review_comment from current_findings "
        "where run_id = ? and reviewed_by is not null", [run_id])}


_NAME_LINE = re.compile(r"^\s*(?:name of (?:the )?school|school name|school|provision|academy)\s*[:\-–]\s*(.{3,100}?)"
                        r"(?:\s+(?=(?:URN|DfE number|LAESTAB|Type|Phase|Address|Tel|Telephone|Headteacher)\b)|\s*$)", re.I)
_URN_LINE = re.compile(r"\bURN\s*[:\-–]?\s*(\d{6,7})\b")
_SCHOOL_WORD = re.compile(r"\b(school|academy|college|infants?|juniors?|primary|learning centre|PRU)\b", re.I)


_TITLE_SCHOOL = re.compile(r"^(.{3,80}?\b(?:school|academy|college|infants?|juniors?|learning centre))\b"
                           r"(?:\s*[:\-\u2013\u2014|]\s*|\s+)(?:[\w'\u2019&,-]+\s+){0,6}polic(?:y|ies)\b", re.I)


def _title_school(db, document_id: int) -> str | None:
    """The school named in the policy's title heading ("Larchfield Primary School: Behaviour
    Policy"), from the sections stored with the document (m004)."""
    if "document_sections" not in db.table_names():
        return None
    row = next(db.query("select heading from document_sections where document_id = ? and heading != '' "
                        "order by seq limit 1", [document_id]), None)
    m = _TITLE_SCHOOL.match(row["heading"].strip()) if row else None
    return m.group(1).strip() if m and not re.match(r"^\d", m.group(1)) else None


def school_details(db, document_id: int, source: str) -> dict:
    """The school's name and URN as the policy's title block states them (else the file name),
    and the approval and next-review dates the policy gives, each with its page."""
    from toolkit.match import review_dates

    clauses = [Clause(r["clause_id"], r["text"], r["page"], r["start"] or 0, r["end"] or 0,
                      r["heading_path"] or "", r["kind"] or "sentence")
               for r in db.query("select * from clauses where document_id = ? order by seq", [document_id])]
    head = clauses[:25]
    name = next((m.group(1) for c in head if (m := _NAME_LINE.match(c.text))), None)
    if name is None:
        name = _title_school(db, document_id)
    if name is None:
        name = next((c.heading_path.split(" > ")[0] for c in head
                     if c.heading_path and _SCHOOL_WORD.search(c.heading_path.split(" > ")[0])), None)
    urn = next((m.group(1) for c in head if (m := _URN_LINE.search(c.text))), None)
    approved, review = review_dates(clauses)

    def latest(found):
        if not found:
            return None
        d, c = max(found, key=lambda x: x[0])
        return {"date": d.isoformat(), "page": c.page, "text": c.text}

    return {"school": name or Path(source).stem.replace("-", " ").title(), "school_from_policy": bool(name),
            "urn": urn, "approved": latest(approved), "next_review": latest(review)}


def document_view(db, run_id: int) -> dict:
    """A run as the report shows it: reviewed statuses where a reviewer decided, else the tool's."""
    data = run_json(db, run_id)
    run = db["runs"].get(run_id)
    reviews = _reviews(db, run_id)
    for item_id, f in data["items"].items():
        if item_id in reviews:
            f.update(tool_status=f["status"], status=reviews[item_id]["status"], review=reviews[item_id])
    dismissed = [f for f in data["red_flags"] + data["outdated"]
                 if reviews.get(f["id"], {}).get("status") == "dismissed"]
    data["red_flags"] = [dict(f, review=reviews.get(f["id"])) for f in data["red_flags"] if f not in dismissed]
    data["outdated"] = [dict(f, review=reviews.get(f["id"])) for f in data["outdated"] if f not in dismissed]
    data["dismissed_flags"] = [dict(f, review=reviews[f["id"]]) for f in dismissed]
    meta = {r["id"]: r for r in db["checklist_items"].rows_where("checklist = ?", [data["checklist"]])}
    areas = _areas(data["items"], meta)
    for key in ("red_flags", "outdated", "dismissed_flags"):
        for f in data[key]:
            m = meta.get(f["id"], {})
            f.update(title=m.get("title", f["id"]), remedy=m.get("remedy", ""),
                     replaced_by=m.get("replaced_by", ""), basis=m.get("basis", ""))
    counts = Counter(f["status"] for f in data["items"].values())
    statutory_gaps = [i for _, _, a in areas for i in a
                      if i["basis"] == "statutory" and i["status"] in ("missing", "partial")]
    other_gaps = [i for _, _, a in areas for i in a
                  if i["basis"] != "statutory" and i["status"] in ("missing", "partial")]
    reviewed = sum(1 for f in data["items"].values() if "review" in f) + sum(
        1 for f in data["red_flags"] + data["outdated"] + data["dismissed_flags"] if f.get("review"))
    return {**data, "slug": slug(data["source"]), "name": Path(data["source"]).name, "reviewed": reviewed,
            "document_id": run["document_id"], "checklist_name": run["checklist_name"],
            "checklist_version": run["checklist_version"],
            **school_details(db, run["document_id"], data["source"]),
            "areas": areas,
            "counts": {s: counts.get(s, 0) for s in STATUS_ORDER}, "statutory_gaps": statutory_gaps,
            "other_gaps": other_gaps}


def _areas(items: dict[str, dict], meta: dict[str, dict]) -> list[tuple[str, str, list[dict]]]:
    """Items grouped by area in the checklist's order, each with its title, basis, citation and remedy."""
    areas: dict[str, list] = {}
    for item_id, f in items.items():
        m = meta.get(item_id, {})
        area = m.get("area") or item_id.split("-")[0]
        areas.setdefault(area, []).append({"id": item_id, **f, "title": m.get("title", item_id),
                                           "basis": m.get("basis", ""), "citation": m.get("citation", ""),
                                           "remedy": m.get("remedy", "")})
    order = list(AREA_NAMES)
    return [(a, AREA_NAMES.get(a, a), sorted(its, key=lambda i: _item_key(i["id"])))
            for a, its in sorted(areas.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0]))]


SET_RANK = {"n/a": 0, "missing": 1, "partial": 2, "met": 3}


def _finding_evidence(db, run_id: int, item_id: str, source: str) -> list[dict]:
    """The evidence of one document's own finding for an item, named with its document."""
    return [{"text": e["text"], "page": e["page"], "clause_id": e["clause_id"], "heading": e["heading_path"],
             "element": e["element"], "source": source}
            for e in db.query("select e.* from evidence e join findings f on f.id = e.finding_id "
                              "where f.run_id = ? and f.item_id = ? order by e.rank", [run_id, item_id])]


def reviewed_set_item(db, item_id: str, f: dict, reviews: dict[str, dict], runs: dict[str, int]) -> dict:
    """A set item with reviewers' decisions applied (see docs/policy-sets.md, "Review").

    A reviewer decides a document's own finding; in the set that document then counts with the
    reviewed status, and the item is judged again over the documents with the set's rule (best
    supported; missing with a document unread is not evaluated; a pointer to a policy not supplied
    still makes a missing item partial). The item is marked reviewed when the document it is now
    taken from (or, for missing and n/a, any document) was reviewed; the tool's set status is kept."""
    per_doc = f.get("documents") or {}
    overrides = {n: reviews[n][item_id] for n in per_doc if item_id in reviews.get(n, {})}
    if not overrides:
        return f
    effective = {n: overrides[n]["status"] if n in overrides else st for n, st in per_doc.items()}
    decided = [(i, n, st) for i, (n, st) in enumerate(effective.items()) if st != "not-evaluated"]
    decider = None
    if not decided:
        status = "not-evaluated"
    else:
        _, decider, status = max(decided, key=lambda x: (SET_RANK.get(x[2], -1), x[1] == f.get("decided_by"),
                                                        x[1] in overrides, -x[0]))
        if status == "missing" and len(decided) < len(effective):
            status = "not-evaluated"
        if status == "missing" and f.get("pointer"):
            status = "partial"
            decider = f.get("decided_by")
    if status not in ("met", "partial"):
        decider = None
    out = dict(f, tool_status=f["status"], status=status, decided_by=decider, documents=effective)
    review = overrides.get(decider) if decider else next(iter(overrides.values()))
    if decider and decider != f.get("decided_by"):
        out["evidence"] = _finding_evidence(db, runs[decider], item_id, decider) if decider in runs else []
        out["explanation"] = f"{status} in {decider}, as decided by {review['reviewed_by'] if review else 'a reviewer'}"
    elif not decider and status in ("missing", "n/a"):
        out["evidence"] = []
        out["explanation"] = f"{status} in every document, as reviewed"
    if review is not None:
        by = decider or next(iter(overrides))
        out["review"] = {**review, "tool_status": f["status"], "document": by}
    return out


def reviewed_set(db, set_run_id: int) -> dict:
    """A stored policy set with reviewers' decisions on its documents applied: the one place the
    set report, letter, annual summary, sample status and review queue take a set's current
    statuses from (see docs/policy-sets.md, "Review").

    `set_json` plus: "items" with reviewed statuses (`reviewed_set_item`); "red_flags" and
    "outdated" over the set less those a reviewer dismissed in their document (each with its
    title, remedy, the reviews and the documents it is still found in); "dismissed_flags"; "runs"
    (document name -> its run in the set) and "meta" (checklist item id -> its row)."""
    data = set_json(db, set_run_id)
    run = db["set_runs"].get(set_run_id)
    runs = {f["name"]: f["run_id"] for f in data["files"] if f["role"] == "read" and f["run_id"]}
    reviews = {name: _reviews(db, run_id) for name, run_id in runs.items()}
    items = {k: reviewed_set_item(db, k, f, reviews, runs) for k, f in data["items"].items()}
    meta = {r["id"]: r for r in db["checklist_items"].rows_where("checklist = ?", [run["checklist"]])}

    def markers(found: list[dict]) -> tuple[list[dict], list[dict]]:
        kept, dismissed = [], []
        for f in found:
            m = meta.get(f["id"], {})
            f = dict(f, title=m.get("title", f["id"]), remedy=m.get("remedy", ""),
                     replaced_by=m.get("replaced_by", ""), basis=m.get("basis", ""))
            by_doc = {n: reviews.get(n, {}).get(f["id"]) for n in f["documents"]}
            gone = {n for n, r in by_doc.items() if r and r["status"] == "dismissed"}
            f["reviews"] = [dict(r, document=n) for n, r in by_doc.items() if r]
            if gone and gone >= set(f["documents"]):
                dismissed.append(f)
                continue
            f["evidence"] = [e for e in f["evidence"] if e.get("source") not in gone]
            f["documents"] = [n for n in f["documents"] if n not in gone]
            kept.append(f)
        return kept, dismissed

    red_flags, dismissed = markers(data["red_flags"])
    outdated, dismissed_old = markers(data["outdated"])
    return {**data, "items": items, "red_flags": red_flags, "outdated": outdated,
            "dismissed_flags": dismissed + dismissed_old, "runs": runs, "meta": meta}


def set_view(db, set_run_id: int, *, document_slugs: dict[int, str] | None = None) -> dict:
    """A stored policy set as the school's report shows it: items over the set with reviewed
    statuses applied, evidence naming its document and page, the documents read (and copies read
    once), the policies referred to but not supplied, and red flags and outdated references per
    document (those a reviewer dismissed left out)."""
    data = reviewed_set(db, set_run_id)
    run = db["set_runs"].get(set_run_id)
    files, items, meta = data["files"], data["items"], data.pop("meta")
    data.pop("runs")
    red_flags, outdated, dismissed_flags = data["red_flags"], data["outdated"], data["dismissed_flags"]
    areas = _areas(items, meta)
    counts = Counter(f["status"] for f in items.values())
    gaps = [i for _, _, its in areas for i in its if i["status"] in ("missing", "partial")]
    by_item = {i["id"]: i for _, _, its in areas for i in its}
    not_supplied = []
    for policy in data["not_supplied"]:
        key = next(p for p in data["pointers"] if p["policy"] == policy and not p["supplied_by"])
        same = [p for p in data["pointers"] if not p["supplied_by"] and _same_policy(p["policy"], key["policy"])]
        topic = {k for p in same for k in p["items"]} | {k for k, f in items.items()
                                                          if f.get("pointer") and _same_policy(f["pointer"], policy)}
        not_supplied.append({"policy": policy, "pointers": same,
                             "items": [by_item[k] for k in sorted(topic, key=_item_key)
                                       if k in by_item and by_item[k]["status"] not in ("met", "n/a")]})
    documents = []
    for f in files:
        doc = db["documents"].get(f["document_id"]) if f["document_id"] else None
        details = school_details(db, f["document_id"], f["source"]) if doc else {}
        documents.append({**f, "format": doc["format"] if doc else "", "pages": doc["pages"] if doc else 0,
                          "readable": bool(doc["readable"]) if doc else False,
                          "warnings": json_list(doc["warnings"]) if doc else [],
                          "approved": details.get("approved"), "next_review": details.get("next_review"),
                          "slug": (document_slugs or {}).get(f["document_id"])})
    school = None
    if data["urn"] and "schools" in db.table_names():
        school = next(db["schools"].rows_where("urn = ?", [data["urn"]]), None)
    first = next((d for d in documents if d["role"] == "read" and d["document_id"]), None)
    stated = school_details(db, first["document_id"], first["source"]) if first else {}
    name = (school or {}).get("name") or (stated.get("school") if stated.get("school_from_policy") else None) \
        or data["name"]
    reviewed = sum(1 for f in items.values() if f.get("review")) + sum(
        len(f["reviews"]) for f in red_flags + outdated + dismissed_flags)
    return {**data, "kind": "set", "school": name, "urn": data["urn"] or stated.get("urn"),
            "slug": f"{slug(name)}-policy-set", "documents_read": documents,
            "read": [d for d in documents if d["role"] == "read"],
            "checklist_name": run["checklist_name"], "checklist_version": run["checklist_version"],
            "created_at": run["created_at"], "items": items, "areas": areas,
            "counts": {s: counts.get(s, 0) for s in STATUS_ORDER},
            "statutory_gaps": [i for i in gaps if i["basis"] == "statutory"],
            "other_gaps": [i for i in gaps if i["basis"] != "statutory"],
            "not_supplied_policies": not_supplied, "reviewed": reviewed}


def _same_policy(a: str, b: str) -> bool:
    from toolkit.policyset import policy_key

    return policy_key(a) == policy_key(b)


def json_list(text: str | None) -> list:
    import json

    return json.loads(text) if text else []


def _item_key(item_id: str):
    prefix, _, num = item_id.rpartition("-")
    return (prefix, int(num) if num.isdigit() else 0, item_id)


def find_run(db, ref: str) -> int:
    """The run a user means: a run id, or a document's path, file name or part of it (its latest run)."""
    ref = str(ref).strip()
    if ref.isdigit() and db["runs"].count_where("id = ?", [int(ref)]):
        return int(ref)
    docs = list(db.query("select d.id, d.source, max(r.id) as run_id from documents d "
                         "join runs r on r.document_id = d.id group by d.id order by d.id"))
    for test in (lambda s: s == ref, lambda s: Path(s).name == Path(ref).name,
                 lambda s: ref.lower() in s.lower()):
        hits = [d for d in docs if test(d["source"])]
        if len(hits) == 1:
            return hits[0]["run_id"]
        if len(hits) > 1:
            names = ", ".join(Path(d["source"]).name for d in hits[:5])
            raise DipsampleError(f"'{ref}' matches {len(hits)} documents ({names}); give the full path or a run id")
    raise DipsampleError(f"no checked document or run matches '{ref}' (see `dipsample report` or the database)")


def find_set(db, ref: str) -> int | None:
    """The latest stored policy set a user means: a school's URN or a set's name, or (for a checked
    document given as for `find_run`) the latest set its latest run was read in. None when there is none."""
    if "set_runs" not in db.table_names() or not db["set_runs"].count:
        return None
    ref = str(ref).strip()
    row = next(db.query("select max(id) as id from set_runs where urn = ? or lower(name) = lower(?) "
                        "having max(id) is not null", [ref, ref]), None)
    if row:
        return row["id"]
    try:
        run_id = find_run(db, ref)
    except DipsampleError:
        return None
    row = next(db.query("select max(sd.set_run_id) as id from set_documents sd join runs r on r.document_id = sd.document_id "
                        "where r.id = ? and sd.role != 'unreadable' having max(sd.set_run_id) is not null", [run_id]), None)
    if row is None:
        return None
    latest = set(latest_set_runs(db))  # only the school's current set, not one it has since replaced
    return row["id"] if row["id"] in latest else None


def sample_view(db, views: list[dict] | None = None) -> dict:
    """All documents' latest runs side by side: the status grid, most common gaps, red flags by
    school, outdated-guidance prevalence, review progress and status counts by area."""
    from toolkit import review
    from toolkit.charts import status_by_area_svg

    views = views if views is not None else [document_view(db, r) for r in latest_runs(db)]
    items: dict[str, dict] = {}
    for v in views:
        for _, _, its in v["areas"]:
            for i in its:
                items.setdefault(i["id"], {"id": i["id"], "title": i["title"], "basis": i["basis"],
                                           "area": i["id"].rpartition("-")[0]})
    rows_by_area: dict[str, list] = {}
    for it in sorted(items.values(), key=lambda i: (list(AREA_NAMES).index(i["area"]) if i["area"] in AREA_NAMES
                                                     else 99, _item_key(i["id"]))):
        cells = []
        for v in views:
            f = next((i for _, _, its in v["areas"] for i in its if i["id"] == it["id"]), None)
            cells.append({"status": f["status"] if f else None, "reviewed": bool(f and f.get("review"))})
        rows_by_area.setdefault(it["area"], []).append({**it, "cells": cells})
    gaps: dict[str, dict] = {}
    for v in views:
        for i in v["statutory_gaps"] + v["other_gaps"]:
            g = gaps.setdefault(i["id"], {"id": i["id"], "title": i["title"], "basis": i["basis"],
                                          "missing": 0, "partial": 0, "schools": []})
            g[i["status"]] += 1
            g["schools"].append(v["school"])
    common = sorted(gaps.values(), key=lambda g: (-(g["missing"] + g["partial"]), g["basis"] != "statutory",
                                                 _item_key(g["id"])))[:12]
    outdated: dict[str, dict] = {}
    for v in views:
        for f in v["outdated"]:
            o = outdated.setdefault(f["id"], {"id": f["id"], "title": f["title"], "replaced_by": f["replaced_by"],
                                              "schools": []})
            o["schools"].append(v["school"])
    queue = Counter(e.document for e in review.queue(db))
    progress = [{"school": v["school"], "slug": v["slug"], "reviewed": v["reviewed"],
                 "to_review": queue.get(v["source"], 0)} for v in views]
    by_area: dict[str, Counter] = {}
    for area_rows in rows_by_area.values():
        for row in area_rows:
            for c in row["cells"]:
                if c["status"]:
                    by_area.setdefault(row["area"], Counter())[c["status"]] += 1
    area_counts = [(a, AREA_NAMES.get(a, a), {s: by_area[a].get(s, 0) for s in STATUS_ORDER}) for a in by_area]
    totals = Counter()
    for v in views:
        totals.update(v["counts"])
    return {"docs": views, "rows": [(a, AREA_NAMES.get(a, a), r) for a, r in rows_by_area.items()],
            "common_gaps": common, "outdated": sorted(outdated.values(), key=lambda o: (-len(o["schools"]), o["id"])),
            "progress": progress, "reviewed": sum(p["reviewed"] for p in progress),
            "to_review": sum(p["to_review"] for p in progress), "area_counts": area_counts,
            "totals": {s: totals.get(s, 0) for s in STATUS_ORDER},
            "as_of": sorted({v["as_of"] for v in views}),
            "checklists": sorted({f"{v['checklist_name']} {v['checklist_version']}" for v in views}),
            "chart": status_by_area_svg(area_counts, STATUS_ORDER) if area_counts else ""}


def render_reports(db, out_dir: str | Path, *, extra_templates: Path | None = None) -> Path:
    """Write one HTML report per checked document, one per school's policy set (its latest set
    run: the school's result when its policies were checked together), the sample report
    (sample.html) and an index page; returns the index path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = environment(extra_templates)
    views = [document_view(db, run_id) for run_id in latest_runs(db)]
    used: Counter[str] = Counter()
    for v in views:
        used[v["slug"]] += 1
        if used[v["slug"]] > 1:
            v["slug"] = f"{v['slug']}-{used[v['slug']]}"
    slugs = {v["document_id"]: v["slug"] for v in views}
    sets = [set_view(db, set_id, document_slugs=slugs) for set_id in latest_set_runs(db)]
    for v in sets:
        used[v["slug"]] += 1
        if used[v["slug"]] > 1:
            v["slug"] = f"{v['slug']}-{used[v['slug']]}"
        for d in v["read"]:
            for doc in views:
                if doc["document_id"] == d["document_id"]:
                    doc.setdefault("sets", []).append({"slug": v["slug"], "school": v["school"],
                                                       "others": [x["name"] for x in v["read"] if x is not d]})
    generated = dt.date.today().isoformat()
    for v in views:
        (out / f"{v['slug']}.html").write_text(
            env.get_template("document.html").render(doc=v, version=__version__, generated=generated),
            encoding="utf-8")
    for v in sets:
        (out / f"{v['slug']}.html").write_text(
            env.get_template("set.html").render(doc=v, version=__version__, generated=generated),
            encoding="utf-8")
    if views:
        (out / "sample.html").write_text(env.get_template("sample.html").render(
            s=sample_view(db, views), sets=sets, version=__version__, generated=generated, statuses=STATUS_ORDER),
            encoding="utf-8")
    index = out / "index.html"
    index.write_text(env.get_template("index.html").render(docs=views, sets=sets, version=__version__,
                                                           statuses=STATUS_ORDER), encoding="utf-8")
    return index


def write_pdf(html_path: str | Path, pdf_path: str | Path | None = None) -> Path:
    """Render one HTML report to PDF beside it (or at pdf_path); raises PdfUnavailable with what to
    install when WeasyPrint or pango is missing."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint is installed but pango is not
        raise PdfUnavailable(f"{PDF_INSTALL_HINT} ({type(exc).__name__}: {exc})") from exc
    html_path = Path(html_path)
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_suffix(".pdf")
    weasyprint.HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(str(pdf_path))
    return pdf_path


def write_pdfs(out_dir: str | Path) -> list[Path]:
    """PDFs of every HTML report in out_dir except the index (a list of links)."""
    return [write_pdf(p) for p in sorted(Path(out_dir).glob("*.html")) if p.name != "index.html"]
