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
from toolkit.store import latest_runs, run_json

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
    areas: dict[str, list] = {}
    for item_id, f in data["items"].items():
        m = meta.get(item_id, {})
        area = m.get("area") or item_id.split("-")[0]
        areas.setdefault(area, []).append({"id": item_id, **f, "title": m.get("title", item_id),
                                           "basis": m.get("basis", ""), "citation": m.get("citation", ""),
                                           "remedy": m.get("remedy", "")})
    for key in ("red_flags", "outdated", "dismissed_flags"):
        for f in data[key]:
            m = meta.get(f["id"], {})
            f.update(title=m.get("title", f["id"]), remedy=m.get("remedy", ""),
                     replaced_by=m.get("replaced_by", ""), basis=m.get("basis", ""))
    order = list(AREA_NAMES)
    areas = {a: sorted(items, key=lambda i: _item_key(i["id"]))
             for a, items in sorted(areas.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0]))}
    counts = Counter(f["status"] for f in data["items"].values())
    statutory_gaps = [i for a in areas.values() for i in a
                      if i["basis"] == "statutory" and i["status"] in ("missing", "partial")]
    other_gaps = [i for a in areas.values() for i in a
                  if i["basis"] != "statutory" and i["status"] in ("missing", "partial")]
    reviewed = sum(1 for f in data["items"].values() if "review" in f) + sum(
        1 for f in data["red_flags"] + data["outdated"] + data["dismissed_flags"] if f.get("review"))
    return {**data, "slug": slug(data["source"]), "name": Path(data["source"]).name, "reviewed": reviewed,
            "document_id": run["document_id"], "checklist_name": run["checklist_name"],
            "checklist_version": run["checklist_version"],
            **school_details(db, run["document_id"], data["source"]),
            "areas": [(a, AREA_NAMES.get(a, a), items) for a, items in areas.items()],
            "counts": {s: counts.get(s, 0) for s in STATUS_ORDER}, "statutory_gaps": statutory_gaps,
            "other_gaps": other_gaps}


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
    """Write one HTML report per checked document, the sample report (sample.html) and an index
    page; returns the index path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = environment(extra_templates)
    views = [document_view(db, run_id) for run_id in latest_runs(db)]
    used: Counter[str] = Counter()
    for v in views:
        used[v["slug"]] += 1
        if used[v["slug"]] > 1:
            v["slug"] = f"{v['slug']}-{used[v['slug']]}"
    generated = dt.date.today().isoformat()
    for v in views:
        (out / f"{v['slug']}.html").write_text(
            env.get_template("document.html").render(doc=v, version=__version__, generated=generated),
            encoding="utf-8")
    if views:
        (out / "sample.html").write_text(env.get_template("sample.html").render(
            s=sample_view(db, views), version=__version__, generated=generated, statuses=STATUS_ORDER),
            encoding="utf-8")
    index = out / "index.html"
    index.write_text(env.get_template("index.html").render(docs=views, version=__version__,
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
