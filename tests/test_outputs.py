"""Reports people act on: the per-school and sample reports (HTML parsed, PDF read back), the
letter (DOCX), and the exports (CSV, XLSX, JSON)."""

import csv
import json

import pytest
from click.testing import CliRunner

from toolkit import review
from toolkit.cli import cli
from toolkit.pipeline import check_document
from toolkit.report import render_reports, write_pdf
from toolkit.store import open_db, save_result

from conftest import AS_OF, doc_from_markdown
from test_report import Page

POLICY = """School: Hartfield <School> & Co
URN: 123456
Approved by governors: 1 March 2023. Next review: March 2024.

# Behaviour Policy

Pupils may get a detention. <script>alert('x')</script> Parental consent is not needed.

=HYPERLINK("http://evil.example","click") Pupils may be sent home to calm down <img src=x onerror=alert(1)>.

A fixed-term exclusion may follow.
"""
OTHER = "# Behaviour\n\nStaff may use reasonable force to prevent harm.\n"


@pytest.fixture
def db(tmp_path, mini):
    db = open_db(tmp_path / "o.db")
    for text, name, sha in ((POLICY, "hartfield.md", "ab"), (OTHER, "other.md", "cd")):
        save_result(db, check_document(doc_from_markdown(text, name), checklist=mini, as_of=AS_OF, sha256=sha * 32))
    return db


def _ids(db, source):
    return {r["item_id"]: r["finding_id"] for r in db.query(
        "select item_id, finding_id from current_findings where source = ?", [source])}


def test_document_report_details_summary_and_appendix(db, tmp_path):
    index = render_reports(db, tmp_path / "out")
    html = (index.parent / "hartfield.html").read_text()
    page = Page(html)
    assert "Hartfield <School> & Co" in page.all("h1")  # the name from the title block, escaped
    assert "&lt;School&gt; &amp; Co" in html
    assert "script" not in [t for t, _ in page.tags] and "&lt;script&gt;" in html
    meta = page.all("td")
    assert "URN 123456" in meta and "1 March 2023" in meta and "1 March 2024" in meta and "overdue" in html
    headings = page.text["h2"]
    assert headings[:4] == ["Summary", "Red flags (1)", "Outdated references (2)", "Requirements"]
    assert headings[-1] == "Method and limits"
    # statutory gaps come first in the summary, red flags and outdated references with replacements
    summary = html.split('id="summary"')[1].split('id="red-flags"')[0]
    assert summary.index("Statutory requirements") < summary.index("Red flags") < summary.index("Outdated")
    assert "T-FORCE" in summary and "now <em>suspension</em>" in summary
    # every row header cell is scoped, the status is text (not colour alone), no external resources
    assert all(a.get("scope") in ("col", "row", "colgroup") for t, a in page.tags if t == "th")
    assert {"missing", "met", "partial"} & set(page.text["span"])
    assert not [a for t, a in page.tags if t in ("link", "script", "img") or (t == "a" and "http" in a.get("href", ""))]
    assert "Replaced by:" in html


def test_sample_report_grid_gaps_flags_outdated_and_progress(db, tmp_path):
    review.decide(db, _ids(db, "hartfield.md")["T-DET"], reviewer="Ann", action="change", new_status="partial")
    index = render_reports(db, tmp_path / "out")
    html = (index.parent / "sample.html").read_text()
    page = Page(html)
    assert "sample.html" in [a.get("href") for t, a in Page(index.read_text()).tags if t == "a"]
    cells = [(a.get("class"), a.get("title")) for t, a in page.tags if t == "td" and a.get("class", "").startswith("g-")]
    assert len(cells) == 2 * 3  # two schools x three items
    assert all(title for _, title in cells)
    labels = [x.strip() for x in page.text["td"] if x.strip() in ("M", "P", "X", "NA", "NE", "P*", "M*", "X*")]
    assert "P*" in labels  # reviewed cell: its label says so, not only the colour
    legend = html.split('id="legend"')[1].split("</p>")[0]  # every abbreviation is explained
    for abbr, meaning in (("M", "met"), ("P", "partial"), ("X", "missing"), ("NA", "not applicable"),
                          ("NE", "not evaluated"), ("*", "reviewed")):
        assert f">{abbr}</b> {meaning}" in legend
    assert [h for h in page.text["h2"]][:2] == ["Overview", "Most common gaps"]
    assert "Pupils may be sent home to calm down" in page.all("blockquote")  # red flags quoted
    assert "&lt;img src=x" in html and "img" not in [t for t, _ in page.tags]
    assert "<svg" in html and "<title" in html  # the matplotlib chart, inline, titled
    assert "suspension" in page.all("td")  # outdated guidance with its replacement
    assert "Review progress" in page.text["h2"]


def test_reports_as_pdf(db, tmp_path):
    pytest.importorskip("pdfplumber")
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint cannot import ({exc}); install pango and weasyprint to test PDFs")
    import pdfplumber

    index = render_reports(db, tmp_path / "out")
    for name, expect in (("hartfield", ["Hartfield <School> & Co", "Method and limits", "T-FORCE"]),
                         ("sample", ["Dip sample of behaviour policies", "Most common gaps", "M met"])):
        pdf = write_pdf(index.parent / f"{name}.html")
        with pdfplumber.open(pdf) as p:
            text = "\n".join(pg.extract_text() or "" for pg in p.pages)
            assert len(p.pages) >= 3  # sections start on new pages
        for e in expect:
            assert e in text, (name, e)
        assert "<script>" in text if name == "hartfield" else True  # shown as text, never run


def test_report_pdf_without_weasyprint_still_writes_html(db, tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_weasy(name, *a, **k):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_weasy)
    r = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "o.db"), "--out", str(tmp_path / "rep"), "--pdf"])
    assert r.exit_code == 0, r.output
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in r.stderr and "pip install weasyprint" in r.stderr
    assert (tmp_path / "rep" / "hartfield.html").exists() and not list((tmp_path / "rep").glob("*.pdf"))


def test_letter_lists_gaps_flags_outdated_with_remedies(db, tmp_path):
    import docx

    review.decide(db, _ids(db, "hartfield.md")["T-FORCE"], reviewer="Ann", action="agree")
    out = tmp_path / "letter.docx"
    r = CliRunner().invoke(cli, ["letter", "hartfield", "--db", str(tmp_path / "o.db"), "--out", str(out),
                                 "--from", "A. Officer"])
    assert r.exit_code == 0, r.output
    d = docx.Document(str(out))
    text = "\n".join(p.text for p in d.paragraphs)
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Statutory requirements not fully covered",
                        "Wording that may describe unlawful or unsafe practice", "Outdated references"]
    bullets = [p.text for p in d.paragraphs if p.style.name == "List Bullet"]
    assert any("Explain reasonable force." in b for b in bullets)  # the remedy of the statutory gap
    assert any("Informal exclusion" in b and "sent home to calm down" in b for b in bullets)
    assert any("Fixed-term exclusion" in b and "Now: suspension" in b for b in bullets)
    assert "Hartfield <School> & Co" in text and "A. Officer" in text and "Dear Headteacher" in text
    assert not any("T-PHONE" in b or "phone-free" in b for b in bullets)  # advisory items are not in the letter


def test_letter_wording_comes_from_an_editable_template(db, tmp_path):
    import docx
    import yaml

    from toolkit.letter import load_template, write_letter
    from toolkit.errors import DipsampleError

    t = load_template()
    t["salutation"] = "Dear {{ school }} team,"
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(t))
    out = write_letter(db, "hartfield.md", tmp_path / "l.docx", template=tmp_path / "mine.yaml")
    assert "Dear Hartfield <School> & Co team," in [p.text for p in docx.Document(str(out)).paragraphs]
    with pytest.raises(DipsampleError, match="matches no|no checked document"):
        write_letter(db, "nowhere", tmp_path / "x.docx")


def test_export_xlsx_sheets_frozen_header_and_filters(db, tmp_path):
    import openpyxl

    review.decide(db, _ids(db, "hartfield.md")["T-DET"], reviewer="Ann", action="change", new_status="partial")
    out = tmp_path / "x.xlsx"
    r = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "o.db"), "--format", "xlsx", "--out", str(out)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    # The policy-set sheets are always there (empty, with their headers, when no set was checked).
    assert wb.sheetnames == ["findings", "evidence", "decisions", "set_runs", "set_findings", "set_evidence",
                             "set_pointers"]
    assert wb["set_runs"].max_row == 1 and "not_supplied" in [c.value for c in wb["set_runs"][1]]
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in wb["findings"][1]]
    for col in ("status", "tool_status", "confidence", "document", "item", "title", "basis"):
        assert col in header
    rows = [dict(zip(header, (c.value for c in row))) for row in wb["findings"].iter_rows(min_row=2)]
    det = next(r for r in rows if r["item"] == "T-DET" and r["document"] == "hartfield.md")
    assert det["status"] == "partial" and det["tool_status"] != "partial"
    ev = [c.value for row in wb["evidence"].iter_rows(min_row=2) for c in row]
    hyper = [v for v in ev if isinstance(v, str) and v.startswith("=HYPERLINK")]
    assert hyper and all(c.data_type == "s" for row in wb["evidence"].iter_rows(min_row=2)
                         for c in row if c.value in hyper)  # text, never a formula
    assert wb["decisions"].max_row == 2


def test_export_csv_and_json(db, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["export", "--db", str(tmp_path / "o.db"), "--format", "csv", "--out", str(tmp_path / "csv")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "decisions.csv", "evidence.csv", "findings.csv", "set_evidence.csv", "set_findings.csv", "set_pointers.csv",
        "set_runs.csv"]
    evidence = list(csv.DictReader((tmp_path / "csv" / "evidence.csv").open(encoding="utf-8")))
    assert {"finding_id", "text", "page", "heading"} <= set(evidence[0])
    assert any(e["text"].startswith("'=HYPERLINK") for e in evidence)  # neutralised for spreadsheets
    r = runner.invoke(cli, ["export", "--db", str(tmp_path / "o.db"), "--format", "json", "--out", str(tmp_path / "x.json")])
    data = json.loads((tmp_path / "x.json").read_text())
    assert {"findings", "evidence", "decisions"} <= set(data)
    assert {f["document"] for f in data["findings"]} == {"hartfield.md", "other.md"}
