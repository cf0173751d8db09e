"""A short, editable feedback letter to a school (DOCX through python-docx): statutory gaps, red
flags and outdated references with their remedies, and, for a school whose policies were checked
as a set, the policies its documents refer to that were not supplied (asked for). The wording
lives in templates/letter.yaml (or a local authority's copy), not in code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from jinja2 import Environment, StrictUndefined

from toolkit.errors import DipsampleError
from toolkit.report import _long_date, document_view, find_run, find_set, set_view
from toolkit.resources import templates_dir

REQUIRED = ("subject", "salutation", "opening", "sections", "closing", "sign_off")


def load_template(path: str | Path | None = None) -> dict:
    path = Path(path) if path else templates_dir() / "letter.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DipsampleError(f"{path}: cannot read the letter template ({exc})") from exc
    if not isinstance(data, dict):
        raise DipsampleError(f"{path}: the letter template must be a YAML mapping")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise DipsampleError(f"{path}: the letter template needs {', '.join(missing)}")
    return data


# Wording for sections a local authority's older copy of the template does not have.
DEFAULT_SECTIONS = {
    "not_supplied": {
        "heading": "Policies referred to but not supplied",
        "intro": "Your behaviour policy refers to the following policies, which we have not seen. Please send us "
                 "a copy of each so that we can complete the check.",
    },
}


def letter_context(db, ref: str, *, officer: str = "", today: dt.date | None = None, use_set: bool = True) -> dict:
    """What the letter says: about the school's policy set when `ref` is a school (URN) or set
    name, or a document read in the school's latest set (unless `use_set` is False); else about
    one document (its latest run, or the run given)."""
    set_id = find_set(db, ref) if use_set else None
    if set_id is None:
        doc = document_view(db, find_run(db, ref))
        return {"doc": doc, "school": doc["school"], "urn": doc["urn"] or "", "policy": doc["name"],
                "policies": [doc["name"]], "is_set": False, "as_of": _long_date(doc["as_of"]),
                "today": _long_date(today or dt.date.today()), "officer": officer, "gaps": doc["statutory_gaps"],
                "red_flags": doc["red_flags"], "outdated": doc["outdated"], "not_supplied": []}
    view = set_view(db, set_id)
    names = [d["name"] for d in view["read"]]
    asked = view["not_supplied_policies"]
    # A gap whose only evidence is a pointer to a policy not supplied is asked for with that policy.
    gaps = [i for i in view["statutory_gaps"] if not i.get("pointer")]
    return {"doc": view, "school": view["school"], "urn": view["urn"] or "", "policy": _and(names),
            "policies": names, "is_set": True, "as_of": _long_date(view["as_of"]),
            "today": _long_date(today or dt.date.today()), "officer": officer, "gaps": gaps,
            "red_flags": view["red_flags"], "outdated": view["outdated"], "not_supplied": asked}


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def write_letter(db, ref: str, out: str | Path, *, officer: str = "", template: str | Path | None = None,
                 today: dt.date | None = None, use_set: bool = True) -> Path:
    """Write the letter for a document (path, name or run id) or a school's policy set (URN or set
    name; see `letter_context`) to `out` (.docx); returns the path."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    t = load_template(template)
    ctx = letter_context(db, ref, officer=officer, today=today, use_set=use_set)
    ctx["organisation"] = t.get("organisation", "")
    env = Environment(autoescape=False, undefined=StrictUndefined)  # plain text into Word, not HTML

    def say(key_or_text, **extra) -> str:
        text = t.get(key_or_text, "") if key_or_text in t else key_or_text
        try:
            return env.from_string(str(text or "")).render(**ctx, **extra).strip()
        except Exception as exc:  # a typo in an LA's template: name the field
            raise DipsampleError(f"letter template: {key_or_text!r}: {exc}") from exc

    labels = {"missing": "not found", "partial": "partly covered", "not_found": "Not found",
              "quote": "The policy says", "page": "page", "action": "Suggested action", "replaced_by": "Now",
              "found_in": "Partly covered in", "referred_in": "Referred to in", "without": "Without it we could not check",
              "pointer": "only referred to",
              **(t.get("labels") or {})}
    d = Document()
    d.styles["Normal"].font.name = "Arial"
    d.styles["Normal"].font.size = Pt(11)
    head = d.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    head.add_run(say("organisation")).bold = True
    for line in say("address").splitlines():
        head.add_run().add_break()
        head.add_run(line)
    head.add_run().add_break()
    head.add_run().add_break()
    head.add_run(ctx["today"])
    d.add_paragraph(ctx["school"] + (f" (URN {ctx['urn']})" if ctx["urn"] else ""))
    d.add_paragraph().add_run(say("subject")).bold = True
    d.add_paragraph(say("salutation"))
    d.add_paragraph(say("opening"))
    sections = t["sections"] or {}

    def section(key: str, findings: list, bullet) -> None:
        if not findings:
            return
        s = sections.get(key) or DEFAULT_SECTIONS.get(key) or {}
        d.add_heading(say(s.get("heading", key)), level=2)
        if s.get("intro"):
            d.add_paragraph(say(s["intro"]))
        for f in findings:
            bullet(d.add_paragraph(style="List Bullet"), f)

    def gap(p, i):
        p.add_run(f"{i['title']}").bold = True
        p.add_run(f" ({labels.get(i['status'], i['status'])}; {i['citation'] or i['id']}).")
        if i["status"] == "partial" and ctx["is_set"] and i.get("decided_by") and len(ctx["policies"]) > 1:
            p.add_run(f" {labels['found_in']} {i['decided_by']}.")
        if i["status"] == "partial" and i.get("not_found"):
            p.add_run(f" {labels['not_found']}: {', '.join(i['not_found'])}.")
        if i["remedy"]:
            p.add_run(f" {labels['action']}: ").italic = True
            p.add_run(i["remedy"].strip())

    def quoted(p, f, extra=None):
        p.add_run(f["title"]).bold = True
        p.add_run(".")
        for e in f["evidence"][:2]:
            where = f"{e['source']}, " if ctx["is_set"] and e.get("source") else ""
            p.add_run(f" {labels['quote']} ({where}{labels['page']} {e['page']}): \u201c{e['text'].strip()}\u201d")
        if extra:
            extra(p)
        if f.get("remedy"):
            p.add_run(f" {labels['action']}: ").italic = True
            p.add_run(f["remedy"].strip())

    def asked(p, x):
        p.add_run(x["policy"]).bold = True
        p.add_run(".")
        for ptr in x["pointers"][:2]:
            p.add_run(f" {labels['referred_in']} {ptr['source']} ({labels['page']} {ptr['page']}): "
                      f"\u201c{ptr['text'].strip()}\u201d")
        if x["items"]:
            p.add_run(f" {labels['without']}: ")
            p.add_run("; ".join(f"{i['title']} ({labels['pointer'] if i.get('pointer') else labels.get(i['status'], i['status'])})"
                                for i in x["items"]) + ".")

    section("not_supplied", ctx["not_supplied"], asked)
    section("gaps", ctx["gaps"], gap)
    section("red_flags", ctx["red_flags"], quoted)
    section("outdated", ctx["outdated"], lambda p, f: quoted(
        p, f, (lambda q: q.add_run(f" {labels['replaced_by']}: {f['replaced_by'].strip()}.")) if f["replaced_by"] else None))
    if not (ctx["gaps"] or ctx["red_flags"] or ctx["outdated"] or ctx["not_supplied"]) and t.get("no_findings"):
        d.add_paragraph(say("no_findings"))
    d.add_paragraph(say("closing"))
    d.add_paragraph(say("sign_off"))
    sig = d.add_paragraph()
    sig.add_run().add_break()
    sig.add_run(officer or "[Officer name]")
    if t.get("signature_title"):
        sig.add_run().add_break()
        sig.add_run(say("signature_title"))
    if ctx["organisation"]:
        sig.add_run().add_break()
        sig.add_run(say("organisation"))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(out))
    return out
