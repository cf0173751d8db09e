"""A short, editable feedback letter to a school (DOCX through python-docx): statutory gaps, red
flags and outdated references with their remedies. The wording lives in templates/letter.yaml
(or a local authority's copy), not in code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from jinja2 import Environment, StrictUndefined

from toolkit.errors import DipsampleError
from toolkit.report import _long_date, document_view, find_run
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


def letter_context(db, ref: str, *, officer: str = "", today: dt.date | None = None) -> dict:
    """What the letter says about one document (its latest run, or the run given)."""
    doc = document_view(db, find_run(db, ref))
    return {"doc": doc, "school": doc["school"], "urn": doc["urn"] or "", "policy": doc["name"],
            "as_of": _long_date(doc["as_of"]), "today": _long_date(today or dt.date.today()),
            "officer": officer, "gaps": doc["statutory_gaps"], "red_flags": doc["red_flags"],
            "outdated": doc["outdated"]}


def write_letter(db, ref: str, out: str | Path, *, officer: str = "", template: str | Path | None = None,
                 today: dt.date | None = None) -> Path:
    """Write the letter for a document (path, name or run id) to `out` (.docx); returns the path."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    t = load_template(template)
    ctx = letter_context(db, ref, officer=officer, today=today)
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
        s = sections.get(key) or {}
        d.add_heading(say(s.get("heading", key)), level=2)
        if s.get("intro"):
            d.add_paragraph(say(s["intro"]))
        for f in findings:
            bullet(d.add_paragraph(style="List Bullet"), f)

    def gap(p, i):
        p.add_run(f"{i['title']}").bold = True
        p.add_run(f" ({labels.get(i['status'], i['status'])}; {i['citation'] or i['id']}).")
        if i["status"] == "partial" and i.get("not_found"):
            p.add_run(f" {labels['not_found']}: {', '.join(i['not_found'])}.")
        if i["remedy"]:
            p.add_run(f" {labels['action']}: ").italic = True
            p.add_run(i["remedy"].strip())

    def quoted(p, f, extra=None):
        p.add_run(f["title"]).bold = True
        p.add_run(".")
        for e in f["evidence"][:2]:
            p.add_run(f" {labels['quote']} ({labels['page']} {e['page']}): \u201c{e['text'].strip()}\u201d")
        if extra:
            extra(p)
        if f.get("remedy"):
            p.add_run(f" {labels['action']}: ").italic = True
            p.add_run(f["remedy"].strip())

    section("gaps", ctx["gaps"], gap)
    section("red_flags", ctx["red_flags"], quoted)
    section("outdated", ctx["outdated"], lambda p, f: quoted(
        p, f, (lambda q: q.add_run(f" {labels['replaced_by']}: {f['replaced_by'].strip()}.")) if f["replaced_by"] else None))
    if not (ctx["gaps"] or ctx["red_flags"] or ctx["outdated"]) and t.get("no_findings"):
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
