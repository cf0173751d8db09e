"""What changed between two checked versions of one school's policy (documents linked to the
same URN): items that improved or regressed, red flags and outdated references added or
removed, and a text diff of the sections that changed. Statuses are the current (reviewed) ones."""

from __future__ import annotations

import difflib
from pathlib import Path

from toolkit.errors import DipsampleError

RANK = {"missing": 0, "partial": 1, "met": 2}


def versions(db, urn: str) -> list[dict]:
    """The documents linked to the school, oldest first, each with its latest run."""
    return list(db.query("""
        select d.id as document_id, d.source, max(r.id) as run_id, r.as_of
        from school_documents sd join documents d on d.id = sd.document_id join runs r on r.document_id = d.id
        where sd.urn = ? group by d.id order by max(r.id)""", [str(urn)]))


def _findings(db, run_id: int) -> dict[str, dict]:
    return {f["item_id"]: f for f in db.query(
        """select cf.item_id, cf.kind, cf.status, cf.reviewed_by, coalesce(ci.title, cf.item_id) as title
           from current_findings cf join runs r on r.id = cf.run_id
           left join checklist_items ci on ci.checklist = r.checklist and ci.id = cf.item_id
           where cf.run_id = ?""", [run_id])}


def _sections(db, document_id: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in db.query("select heading_path, text from clauses where document_id = ? order by seq", [document_id]):
        out.setdefault(c["heading_path"] or "(before the first heading)", []).append(c["text"])
    return out


def diff_runs(db, old_run: int, new_run: int) -> dict:
    old_doc, new_doc = (db["runs"].get(r)["document_id"] for r in (old_run, new_run))
    a, b = _findings(db, old_run), _findings(db, new_run)
    improved, regressed, other = [], [], []
    for item_id in sorted(set(a) | set(b)):
        fa, fb = a.get(item_id), b.get(item_id)
        kind = (fb or fa)["kind"]
        if kind != "item":
            continue
        sa, sb = (fa or {}).get("status"), (fb or {}).get("status")
        if sa == sb:
            continue
        row = {"id": item_id, "title": (fb or fa)["title"], "before": sa, "after": sb}
        if sa in RANK and sb in RANK:
            (improved if RANK[sb] > RANK[sa] else regressed).append(row)
        else:
            other.append(row)  # applicability or evaluation changed (n/a, not evaluated, new item)

    def present(f, kind):
        return {k: v["title"] for k, v in f.items() if v["kind"] == kind and v["status"] != "dismissed"}

    flags_a, flags_b = present(a, "red_flag"), present(b, "red_flag")
    old_a, old_b = present(a, "outdated"), present(b, "outdated")
    sec_a, sec_b = _sections(db, old_doc), _sections(db, new_doc)
    src_a, src_b = (Path(db["documents"].get(d)["source"]).name for d in (old_doc, new_doc))
    sections = []
    for heading in list(dict.fromkeys([*sec_a, *sec_b])):
        ta, tb = sec_a.get(heading, []), sec_b.get(heading, [])
        if ta == tb:
            continue
        lines = list(difflib.unified_diff(ta, tb, f"{src_a}: {heading}", f"{src_b}: {heading}", lineterm="", n=1))
        sections.append({"heading": heading, "change": "added" if not ta else "removed" if not tb else "changed",
                         "diff": lines})
    return {"old": {"run_id": old_run, "source": src_a}, "new": {"run_id": new_run, "source": src_b},
            "improved": improved, "regressed": regressed, "other": other,
            "red_flags_added": [{"id": k, "title": v} for k, v in sorted(flags_b.items()) if k not in flags_a],
            "red_flags_removed": [{"id": k, "title": v} for k, v in sorted(flags_a.items()) if k not in flags_b],
            "outdated_added": [{"id": k, "title": v} for k, v in sorted(old_b.items()) if k not in old_a],
            "outdated_removed": [{"id": k, "title": v} for k, v in sorted(old_a.items()) if k not in old_b],
            "sections": sections}


def diff_school(db, urn: str) -> dict:
    """The previous and the latest version of the school's policy, compared."""
    vs = versions(db, urn)
    if len(vs) < 2:
        raise DipsampleError(f"URN {urn}: {len(vs)} checked policy document(s) linked; a diff needs two "
                             f"(link them with `dipsample check --urn {urn}` or a file name starting {urn}-)")
    return {"urn": str(urn), "versions": [{"source": Path(v["source"]).name, "run_id": v["run_id"],
                                             "as_of": v["as_of"]} for v in vs],
            **diff_runs(db, vs[-2]["run_id"], vs[-1]["run_id"])}


def as_text(d: dict, *, text: bool = True) -> str:
    out = [f"URN {d['urn']}: {d['old']['source']} (run {d['old']['run_id']}) -> {d['new']['source']} (run {d['new']['run_id']})"]
    for title, rows in (("Improved", d["improved"]), ("Regressed", d["regressed"]), ("Other changes", d["other"])):
        out.append(f"\n{title} ({len(rows)}):")
        out += [f"  {r['id']:8} {r['before'] or '-':>13} -> {r['after'] or '-':13} {r['title']}" for r in rows]
    for title, key in (("Red flags added", "red_flags_added"), ("Red flags removed", "red_flags_removed"),
                       ("Outdated references added", "outdated_added"), ("Outdated references removed", "outdated_removed")):
        if d[key]:
            out.append(f"\n{title}: " + "; ".join(f"{f['id']} {f['title']}" for f in d[key]))
    out.append(f"\nSections changed: {len(d['sections'])}")
    if text:
        for s in d["sections"]:
            out.append("")
            out += s["diff"]
    return "\n".join(out) + "\n"
