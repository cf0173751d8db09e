"""The annual summary over every dip sample of an academic year (September to August, by sample
date): schools and policies, compliance per item and area, by phase and type, red flags and
outdated references, themes, change against the previous year and how often reviewers overrode
the tool. Statuses are the current (reviewed) ones. A school checked as a policy set counts once,
judged on its set (reviewers' decisions on its documents carried in as in the set report). Small
numbers are shown honestly: counts beside percentages, and no percentage at all when the base is
under 5."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from toolkit import __version__
from toolkit.errors import DipsampleError

SMALL_BASE = 5  # no percentage below this base
STATUSES = ("met", "partial", "missing", "n/a", "not-evaluated")
THEMES = [
    ("SEND and reasonable adjustments", [("EQ-02", "item")]),
    ("Monitoring by pupil group", [("MON-02", "item")]),
    ("Informal exclusions", [("RF-01", "red_flag"), ("EXC-05", "item")]),
    ("Alternative provision", [("EXC-08", "item")]),
    ("Child-on-child abuse", [("SAF-02", "item")]),
]


def share(count: int, base: int) -> dict:
    """A count out of a base: the percentage only when the base is at least 5."""
    if base <= 0:
        return {"count": count, "base": base, "pct": None, "text": "none"}
    if base < SMALL_BASE:
        return {"count": count, "base": base, "pct": None, "text": f"{count} of {base} (n<5)"}
    pct = 100 * count / base
    return {"count": count, "base": base, "pct": round(pct, 1), "text": f"{count} of {base} ({pct:.0f}%)"}


def change(now: dict, before: dict | None) -> str:
    """Percentage-point change between two shares; 'n<5' when either base is too small."""
    if before is None:
        return ""
    if now["pct"] is None or before["pct"] is None:
        return "n<5" if min(now["base"], before["base"]) > 0 else ""
    d = now["pct"] - before["pct"]
    return f"{d:+.0f} pts"


def academic_year(label: str) -> tuple[dt.date, dt.date]:
    """'2025/26' -> (1 September 2025, 31 August 2026)."""
    m = re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{2}|\d{4})", label.strip())
    if not m or int(m.group(2)[-2:]) != (int(m.group(1)) + 1) % 100:
        raise DipsampleError(f"'{label}' is not an academic year like 2025/26")
    start = int(m.group(1))
    return dt.date(start, 9, 1), dt.date(start + 1, 8, 31)


def year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def year_of(day: dt.date) -> str:
    return year_label(day.year if day.month >= 9 else day.year - 1)


def _policies(db, start: dt.date, end: dt.date) -> tuple[list[dict], list[dict]]:
    """The samples dated in the year, and each sampled school with what it is judged on: its latest
    policy set run whose as-of date falls in the year (`set_run_id`; `runs` are its documents'
    runs), else the latest run of a document linked to it whose as-of date falls in the year
    (`run_id`; None: no policy checked)."""
    from toolkit.sampling import school_set, set_documents

    samples = list(db.query("select * from samples where sample_date between ? and ? order by sample_date, id",
                            [start.isoformat(), end.isoformat()]))
    ids = [s["id"] for s in samples]
    marks = ",".join("?" * len(ids)) or "NULL"
    schools = list(db.query(f"""
        select ss.urn, coalesce(s.name, ss.urn) as name, coalesce(s.phase, 'unknown') as phase,
               coalesce(s.school_type, 'unknown') as school_type, min(ss.sample_id) as sample_id
        from sample_schools ss left join schools s on s.urn = ss.urn
        where ss.sample_id in ({marks}) group by ss.urn order by ss.urn""", ids))
    for s in schools:
        s["run_id"], s["set_run_id"], s["runs"], s["policy"] = None, None, [], ""
        set_id = school_set(db, s["urn"], start=start, end=end)
        if set_id is not None:
            docs = set_documents(db, set_id)
            s.update(set_run_id=set_id, runs=[d["run_id"] for d in docs],
                     policy=f"set of {len(docs)} polic{'y' if len(docs) == 1 else 'ies'}: "
                            + ", ".join(d["name"] for d in docs))
            continue
        run = next(db.query("""select r.id, d.source from school_documents sd join runs r on r.document_id = sd.document_id
                               join documents d on d.id = r.document_id
                               where sd.urn = ? and r.as_of between ? and ? order by r.id desc limit 1""",
                            [s["urn"], start.isoformat(), end.isoformat()]), None)
        if run:
            s.update(run_id=run["id"], runs=[run["id"]], policy=Path(run["source"]).name)
    return samples, schools


def _findings(db, school: dict) -> list[dict]:
    """A checked school's current findings (item_id, kind, status, title, area, basis, replaced_by):
    over its policy set with reviewers' decisions carried in as the set report does (red flags and
    outdated markers once each, over its documents, dismissed ones left out), else its document's."""
    if school["set_run_id"] is not None:
        from toolkit.report import reviewed_set

        data = reviewed_set(db, school["set_run_id"])
        meta = data["meta"]
        rows = [{"item_id": k, "kind": "item", "status": f["status"]} for k, f in data["items"].items()]
        rows += [{"item_id": f["id"], "kind": kind, "status": "present"}
                 for kind, key in (("red_flag", "red_flags"), ("outdated", "outdated")) for f in data[key]]
        return [{**r, "title": meta.get(r["item_id"], {}).get("title") or r["item_id"],
                 "area": meta.get(r["item_id"], {}).get("area") or "",
                 "basis": meta.get(r["item_id"], {}).get("basis") or "",
                 "replaced_by": meta.get(r["item_id"], {}).get("replaced_by") or ""}
                for r in sorted(rows, key=lambda r: r["item_id"])]
    return list(db.query("""
        select cf.item_id, cf.kind, cf.status, coalesce(ci.title, cf.item_id) as title,
               coalesce(ci.area, '') as area, coalesce(ci.basis, '') as basis, coalesce(ci.replaced_by, '') as replaced_by
        from current_findings cf join runs r on r.id = cf.run_id
        left join checklist_items ci on ci.checklist = r.checklist and ci.id = cf.item_id
        where cf.run_id = ? order by cf.item_id""", [school["run_id"]]))


def figures(db, year: str) -> dict:
    """Every table of the annual summary for one academic year."""
    start, end = academic_year(year)
    samples, schools = _policies(db, start, end)
    checked = [s for s in schools if s["set_run_id"] is not None or s["run_id"] is not None]
    runs = [r for s in checked for r in s["runs"]]  # the runs whose decisions count in the review figures
    findings = [{**f, "urn": s["urn"]} for s in checked for f in _findings(db, s)]
    findings.sort(key=lambda f: f["item_id"])
    school_of = {s["urn"]: s for s in checked}
    n = len(checked)
    items: dict[str, dict] = {}
    flags: dict[str, dict] = {}
    for f in findings:
        if f["kind"] == "item":
            it = items.setdefault(f["item_id"], {"id": f["item_id"], "title": f["title"], "area": f["area"]
                                                 or f["item_id"].rpartition("-")[0], "basis": f["basis"],
                                                 **{s: 0 for s in STATUSES}})
            it[f["status"]] = it.get(f["status"], 0) + 1
        elif f["status"] != "dismissed":
            fl = flags.setdefault(f["item_id"], {"id": f["item_id"], "kind": f["kind"], "title": f["title"],
                                                 "replaced_by": f["replaced_by"], "schools": []})
            fl["schools"].append(school_of[f["urn"]]["name"])
    for it in items.values():
        it["applicable"] = it["met"] + it["partial"] + it["missing"]
        it["met_share"] = share(it["met"], it["applicable"])
    from toolkit.report import AREA_NAMES, _item_key

    item_rows = sorted(items.values(), key=lambda i: (list(AREA_NAMES).index(i["area"]) if i["area"] in AREA_NAMES
                                                       else 99, _item_key(i["id"])))
    areas: dict[str, dict] = {}
    for it in item_rows:
        a = areas.setdefault(it["area"], {"id": it["area"], "name": AREA_NAMES.get(it["area"], it["area"]),
                                          **{s: 0 for s in STATUSES}})
        for s in STATUSES:
            a[s] += it[s]
    for a in areas.values():
        a["applicable"] = a["met"] + a["partial"] + a["missing"]
        a["met_share"] = share(a["met"], a["applicable"])
    for fl in flags.values():
        fl["policies"] = share(len(fl["schools"]), n)
    per_school: dict[str, Counter] = {s["urn"]: Counter() for s in checked}
    for f in findings:
        if f["kind"] == "item":
            per_school[f["urn"]][f["status"]] += 1
            if f["basis"] == "statutory" and f["status"] in ("missing", "partial"):
                per_school[f["urn"]]["statutory_gap"] += 1
        elif f["status"] != "dismissed":
            per_school[f["urn"]][f["kind"]] += 1

    def group_rows(column: str) -> list[dict]:
        out = []
        for g in sorted({s[column] for s in schools}):
            members = [s for s in schools if s[column] == g]
            done = [s["urn"] for s in members if s["urn"] in per_school]
            c = Counter()
            for r in done:
                c.update({k: v for k, v in per_school[r].items()})
            applicable = c["met"] + c["partial"] + c["missing"]
            out.append({"group": g, "schools": len(members), "policies": len(done), "met": c["met"],
                        "partial": c["partial"], "missing": c["missing"], "met_share": share(c["met"], applicable),
                        "with_red_flag": share(sum(per_school[r]["red_flag"] > 0 for r in done), len(done)),
                        "with_outdated": share(sum(per_school[r]["outdated"] > 0 for r in done), len(done))})
        return out

    themes = []
    for name, parts in THEMES:
        for item_id, kind in parts:
            if kind == "item":
                it = items.get(item_id)
                themes.append({"theme": name, "id": item_id, "title": it["title"] if it else item_id,
                               "what": "policies meeting it (of those where it applies)",
                               "share": it["met_share"] if it else share(0, 0),
                               "partial": it["partial"] if it else 0, "missing": it["missing"] if it else 0})
            else:
                fl = flags.get(item_id)
                title = fl["title"] if fl else next((r["title"] for r in db.query(
                    "select title from checklist_items where id = ? limit 1", [item_id])), item_id)
                themes.append({"theme": name, "id": item_id, "title": title, "what": "policies with this red flag",
                               "share": share(len(fl["schools"]) if fl else 0, n), "partial": None, "missing": None})
    from toolkit import review

    return {
        "year": year, "start": start.isoformat(), "end": end.isoformat(), "samples": samples,
        "schools": [{**s, **_counts(per_school.get(s["urn"]))} for s in schools],
        "n_schools": len(schools), "n_policies": n, "n_sets": sum(s["set_run_id"] is not None for s in checked),
        "received": share(n, len(schools)),
        "with_red_flag": share(sum(c["red_flag"] > 0 for c in per_school.values()), n),
        "with_outdated": share(sum(c["outdated"] > 0 for c in per_school.values()), n),
        "no_statutory_gap": share(sum(c["statutory_gap"] == 0 for c in per_school.values()), n),
        "requirements": item_rows, "areas": list(areas.values()),
        "by_phase": group_rows("phase"), "by_type": group_rows("school_type"),
        "red_flags": sorted((f for f in flags.values() if f["kind"] == "red_flag"), key=lambda f: (-len(f["schools"]), f["id"])),
        "outdated": sorted((f for f in flags.values() if f["kind"] == "outdated"), key=lambda f: (-len(f["schools"]), f["id"])),
        "themes": themes, "reviews": review.stats(db, run_ids=runs),
    }


def _counts(c: Counter | None) -> dict:
    if c is None:
        return {"checked": False}
    return {"checked": True, "met": c["met"], "partial": c["partial"], "missing": c["missing"],
            "red_flags": c["red_flag"], "outdated_refs": c["outdated"]}


def summary(db, year: str) -> dict:
    """This year's figures with the previous year's beside them where it has any samples."""
    now = figures(db, year)
    start, _ = academic_year(year)
    prev = figures(db, year_label(start.year - 1))
    now["previous"] = prev if prev["samples"] else None
    if now["previous"]:
        before = {i["id"]: i for i in prev["requirements"]}
        for i in now["requirements"]:
            b = before.get(i["id"])
            i["before"] = b["met_share"] if b else None
            i["change"] = change(i["met_share"], i["before"])
        for key in ("received", "with_red_flag", "with_outdated", "no_statutory_gap"):
            now[f"{key}_change"] = change(now[key], prev[key])
    return now


def tables(s: dict) -> dict[str, list[dict]]:
    """The summary's underlying tables (for the XLSX): counts, bases and percentages (blank below 5)."""
    def sh(prefix: str, x: dict) -> dict:
        return {f"{prefix}": x["count"], f"{prefix}_base": x["base"],
                f"{prefix}_pct": x["pct"] if x["pct"] is not None else ("n<5" if x["base"] else "")}

    prev = s.get("previous")
    overview = [{"figure": k, **sh("count", s[key]), "previous_year": (sh("c", prev[key])["c_pct"] if prev else ""),
                 "change": s.get(f"{key}_change", "")}
                for k, key in [("policies received and checked, of schools sampled", "received"),
                               ("policies with at least one red flag", "with_red_flag"),
                               ("policies with an outdated reference", "with_outdated"),
                               ("policies with no statutory gap", "no_statutory_gap")]]
    return {
        "overview": overview,
        "samples": [{k: x[k] for k in ("id", "sample_date", "size", "seed", "method", "rationale")} for x in s["samples"]],
        "schools": [{k: x.get(k) for k in ("urn", "name", "phase", "school_type", "sample_id", "checked", "policy", "met",
                                              "partial", "missing", "red_flags", "outdated_refs")} for x in s["schools"]],
        "items": [{k: i[k] for k in ("id", "title", "area", "basis", *STATUSES)} | sh("met", i["met_share"])
                  | {"change_on_previous_year": i.get("change", "")} for i in s["requirements"]],
        "areas": [{k: a[k] for k in ("id", "name", *STATUSES)} | sh("met", a["met_share"]) for a in s["areas"]],
        "by_phase": [_group_row(g) for g in s["by_phase"]],
        "by_type": [_group_row(g) for g in s["by_type"]],
        "red_flags": [{"id": f["id"], "title": f["title"], **sh("policies", f["policies"]),
                       "schools": ", ".join(f["schools"])} for f in s["red_flags"]],
        "outdated": [{"id": f["id"], "title": f["title"], "replaced_by": f["replaced_by"], **sh("policies", f["policies"]),
                      "schools": ", ".join(f["schools"])} for f in s["outdated"]],
        "themes": [{"theme": t["theme"], "id": t["id"], "title": t["title"], "measure": t["what"],
                    **sh("count", t["share"]), "partial": t["partial"], "missing": t["missing"]} for t in s["themes"]],
        "reviews": [{"decisions": s["reviews"]["decisions"], "overrides": s["reviews"]["overrides"],
                     **{k: v for k, v in sh("override", share(s["reviews"]["overrides"], s["reviews"]["decisions"])).items()
                        if k.endswith("_pct")}}],
    }


def _group_row(g: dict) -> dict:
    return {"group": g["group"], "schools": g["schools"], "policies": g["policies"], "met": g["met"],
            "partial": g["partial"], "missing": g["missing"],
            "met_pct": g["met_share"]["pct"] if g["met_share"]["pct"] is not None else "n<5" if g["met_share"]["base"] else "",
            "with_red_flag": g["with_red_flag"]["count"],
            "with_red_flag_pct": g["with_red_flag"]["pct"] if g["with_red_flag"]["pct"] is not None else "n<5" if g["policies"] else ""}


def write(db, year: str, out_dir: str | Path) -> list[Path]:
    """Write summary-<year>.html and summary-<year>.xlsx into out_dir; returns both paths."""
    from toolkit.charts import status_by_area_svg
    from toolkit.report import environment

    s = summary(db, year)
    if not s["samples"]:
        raise DipsampleError(f"no samples dated in {year} ({s['start']} to {s['end']}): see `dipsample sample list`")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"summary-{year.replace('/', '-')}"
    area_counts = [(a["id"], a["name"], {st: a[st] for st in STATUSES}) for a in s["areas"]]
    chart = status_by_area_svg(area_counts, list(STATUSES)) if area_counts else ""
    html = out / f"{stem}.html"
    html.write_text(environment().get_template("summary.html").render(
        s=s, chart=chart, version=__version__, generated=dt.date.today().isoformat(), statuses=STATUSES),
        encoding="utf-8")
    xlsx = out / f"{stem}.xlsx"
    _write_xlsx(tables(s), xlsx)
    return [html, xlsx]


def _write_xlsx(data: dict[str, list[dict]], out: Path) -> None:
    from toolkit.export import write_xlsx

    wide = {"title": 40, "name": 40, "schools": 40, "method": 40}
    write_xlsx({name: (list(rows[0]) if rows else ["(none)"], rows) for name, rows in data.items()}, out, widths=wide)
