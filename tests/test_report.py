"""HTML reports, parsed as HTML: structure, evidence with pages, and escaping of policy text."""

from html.parser import HTMLParser

from toolkit.pipeline import check_document
from toolkit.report import render_reports
from toolkit.store import open_db, save_result

from conftest import AS_OF, doc_from_markdown


class Page(HTMLParser):
    """Collects text by element, and every element seen."""

    def __init__(self, html):
        super().__init__()
        self.stack, self.tags, self.text = [], [], {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.stack:
            self.text.setdefault(self.stack[-1], []).append(data)

    def all(self, tag):
        return " ".join(self.text.get(tag, []))


HOSTILE = ("# Behaviour Policy\n\nPupils may get a detention. <script>alert('x')</script> "
           "Parental consent is not needed.\n\nPupils may be sent home to calm down.\n")


def build(tmp_path, mini, text=HOSTILE):
    db = open_db(tmp_path / "r.db")
    save_result(db, check_document(doc_from_markdown(text, "hostile.md"), checklist=mini, as_of=AS_OF, sha256="ab" * 32))
    return render_reports(db, tmp_path / "out")


def test_index_links_every_document(tmp_path, mini):
    index = build(tmp_path, mini)
    page = Page(index.read_text())
    links = [a.get("href") for t, a in page.tags if t == "a"]
    assert "hostile.html" in links
    assert (index.parent / "hostile.html").exists()


def test_document_report_lists_items_with_status_evidence_and_flags(tmp_path, mini):
    index = build(tmp_path, mini)
    page = Page((index.parent / "hostile.html").read_text())
    rows = [a.get("id") for t, a in page.tags if t == "tr" and a.get("id")]
    assert rows == ["T-DET", "T-FORCE", "T-PHONE"]
    statuses = [a["class"] for t, a in page.tags if t == "span" and "status" in a.get("class", "")]
    assert len(statuses) == 3
    assert "Parental consent is not needed." in page.all("blockquote")
    assert "page 1" in page.all("span")
    assert "T-RF" in page.all("h3")


def test_hostile_policy_text_is_escaped(tmp_path, mini):
    index = build(tmp_path, mini)
    html = (index.parent / "hostile.html").read_text()
    page = Page(html)
    assert "script" not in [t for t, _ in page.tags]
    assert "&lt;script&gt;" in html


def test_report_shows_reviewed_status_and_dismissed_flags(tmp_path, mini):
    from toolkit import review

    db = open_db(tmp_path / "r.db")
    save_result(db, check_document(doc_from_markdown(HOSTILE, "hostile.md"), checklist=mini, as_of=AS_OF, sha256="ab" * 32))
    ids = {r["item_id"]: r["id"] for r in db["findings"].rows}
    review.decide(db, ids["T-FORCE"], reviewer="Ann", action="change", new_status="n/a", comment="no force used")
    review.decide(db, ids["T-RF"], reviewer="Ann", action="dismiss", comment="quoted from the DfE")
    index = render_reports(db, tmp_path / "out")
    page = Page((index.parent / "hostile.html").read_text())
    row_html = (index.parent / "hostile.html").read_text().split('id="T-FORCE"')[1].split("</tr>")[0]
    assert "reviewed by Ann" in row_html and "(tool: missing)" in row_html and ">n/a<" in row_html
    assert "Dismissed by a reviewer" in page.all("p")
    assert "T-RF" not in page.all("h3")  # no longer listed as a red flag


# ---- a school's policy set: reviewers decide each document's findings --------------------------

SET_A = ("# Behaviour Policy\n\nPupils may get a detention. Parental consent is not needed.\n\n"
         "Pupils may be sent home to calm down.\n")
SET_B = "# Positive handling\n\nStaff may use reasonable force. Force is never used as a punishment.\n"


def build_set(tmp_path, mini):
    """Two policies of one school stored on their own, then as a set."""
    from toolkit.policyset import Member, check_set
    from toolkit.store import save_set

    db = open_db(tmp_path / "s.db")
    members, runs = {}, {}
    for text, name, sha in ((SET_A, "a.md", "ab"), (SET_B, "b.md", "cd")):
        doc = doc_from_markdown(text, name)
        result = check_document(doc, checklist=mini, as_of=AS_OF, sha256=sha * 32)
        runs[name] = save_result(db, result)
        members[name] = Member(doc, sha * 32, result.match, (result.school_type, result.phase))
    result = check_set(["a.md", "b.md"], checklist=mini, as_of=AS_OF, name="Hillside School", members=members)
    save_set(db, result, checklist=mini, runs=runs)
    return db


def set_row(index, item_id):
    html = next(index.parent.glob("*-policy-set.html")).read_text()
    return html.split(f'id="{item_id}"')[1].split("</tr>")[0]


def test_set_report_names_the_document_each_item_is_taken_from(tmp_path, mini):
    index = render_reports(build_set(tmp_path, mini), tmp_path / "out")
    force = set_row(index, "T-FORCE")
    assert ">met<" in force and "(b.md, p. 1" in force and "Staff may use reasonable force." in force
    assert "In each document: a.md missing; b.md met" in force
    html = (index.parent / "hillside-school-policy-set.html").read_text()
    assert "(a.md, p. 1" in html.split('id="T-RF"')[1].split("</div>")[0]  # red flags stay per document


def test_reviewed_document_findings_carry_into_the_set(tmp_path, mini):
    from toolkit import review

    db = build_set(tmp_path, mini)
    ids = {(r["source"], r["item_id"]): r["finding_id"] for r in db.query("select * from current_findings")}
    # The finding the set took is lowered: the set shows the reviewed status, and the tool's.
    review.decide(db, ids[("b.md", "T-FORCE")], reviewer="Ann", action="change", new_status="partial",
                  comment="force is named but not its limits")
    # An item the tool found nowhere is met in one document by a reviewer's judgement.
    review.decide(db, ids[("a.md", "T-PHONE")], reviewer="Ann", action="change", new_status="met",
                  comment="phones are handed in at the office (in the appendix)")
    # A red flag dismissed in its document is not a red flag of the set.
    review.decide(db, ids[("a.md", "T-RF")], reviewer="Ann", action="dismiss", comment="quoting the DfE")
    index = render_reports(db, tmp_path / "out")
    force = set_row(index, "T-FORCE")
    assert ">partial<" in force and "reviewed by Ann in b.md (tool: met)" in force
    assert "(b.md, p. 1" in force  # the quote still comes from the document that decides it
    phone = set_row(index, "T-PHONE")
    assert ">met<" in phone and "reviewed by Ann in a.md (tool: missing)" in phone
    assert "phones are handed in at the office" in phone
    html = next(index.parent.glob("*-policy-set.html")).read_text()
    page = Page(html)
    assert "T-RF" not in page.all("h3")
    assert "Dismissed by a reviewer" in page.all("p")
    # A document left as the tool found it changes nothing: T-DET is the tool's, from a.md.
    assert "tool, confidence" in set_row(index, "T-DET") and "(a.md, p. 1" in set_row(index, "T-DET")


def test_a_lowered_finding_lets_another_document_decide(tmp_path, mini):
    from toolkit import review

    db = build_set(tmp_path, mini)
    ids = {(r["source"], r["item_id"]): r["finding_id"] for r in db.query("select * from current_findings")}
    review.decide(db, ids[("a.md", "T-FORCE")], reviewer="Ben", action="change", new_status="partial")
    review.decide(db, ids[("b.md", "T-FORCE")], reviewer="Ann", action="change", new_status="missing",
                  comment="a different school's policy")
    force = set_row(render_reports(db, tmp_path / "out"), "T-FORCE")
    assert ">partial<" in force and "reviewed by Ben in a.md (tool: met)" in force
    assert "In each document: a.md partial; b.md missing" in force
