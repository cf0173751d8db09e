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
