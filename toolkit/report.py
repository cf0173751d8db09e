"""Per-school HTML reports and an index page, rendered from the store with jinja2 templates."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from toolkit import __version__
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


def environment(extra_templates: Path | None = None) -> Environment:
    loaders = [FileSystemLoader(str(extra_templates))] if extra_templates else []
    loaders.append(FileSystemLoader(str(templates_dir())))
    env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["section"] = lambda path: " > ".join(path.split(" > ")[-2:])
    return env


def slug(source: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", Path(source).stem.lower()).strip("-") or "document"


def _reviews(db, run_id: int) -> dict[str, dict]:
    """item id -> the reviewed status of its finding, where a reviewer decided."""
    return {r["item_id"]: r for r in db.query(
        "select item_id, status, tool_status, reviewed_by, reviewed_at, review_comment from current_findings "
        "where run_id = ? and reviewed_by is not null", [run_id])}


def document_view(db, run_id: int) -> dict:
    """A run as the report shows it: reviewed statuses where a reviewer decided, else the tool's."""
    data = run_json(db, run_id)
    reviews = _reviews(db, run_id)
    for item_id, f in data["items"].items():
        if item_id in reviews:
            f.update(tool_status=f["status"], status=reviews[item_id]["status"], review=reviews[item_id])
    dismissed = [f for f in data["red_flags"] if reviews.get(f["id"], {}).get("status") == "dismissed"]
    data["red_flags"] = [dict(f, review=reviews.get(f["id"])) for f in data["red_flags"] if f not in dismissed]
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
    reviewed = sum(1 for f in data["items"].values() if "review" in f) + sum(
        1 for f in data["red_flags"] + data["dismissed_flags"] if f.get("review"))
    return {**data, "slug": slug(data["source"]), "name": Path(data["source"]).name, "reviewed": reviewed,
            "areas": [(a, AREA_NAMES.get(a, a), items) for a, items in areas.items()],
            "counts": {s: counts.get(s, 0) for s in STATUS_ORDER}, "statutory_gaps": statutory_gaps}


def _item_key(item_id: str):
    prefix, _, num = item_id.rpartition("-")
    return (prefix, int(num) if num.isdigit() else 0, item_id)


def render_reports(db, out_dir: str | Path, *, extra_templates: Path | None = None) -> Path:
    """Write one HTML report per checked document and an index page; returns the index path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = environment(extra_templates)
    views = [document_view(db, run_id) for run_id in latest_runs(db)]
    used: Counter[str] = Counter()
    for v in views:
        used[v["slug"]] += 1
        if used[v["slug"]] > 1:
            v["slug"] = f"{v['slug']}-{used[v['slug']]}"
        (out / f"{v['slug']}.html").write_text(
            env.get_template("document.html").render(doc=v, version=__version__), encoding="utf-8")
    index = out / "index.html"
    index.write_text(env.get_template("index.html").render(docs=views, version=__version__,
                                                           statuses=STATUS_ORDER), encoding="utf-8")
    return index
