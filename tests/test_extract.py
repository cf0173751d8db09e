"""Extraction: each format becomes sections of clauses with pages, without page furniture."""

import pytest

from toolkit.errors import ExtractionError
from toolkit.extract import extract
from toolkit.extract.text import blocks_from_text

from conftest import AS_OF, CORPUS

PDF_ENGINES = ["pdfplumber", "pdfium"]


@pytest.fixture(params=PDF_ENGINES)
def engine(request, monkeypatch):
    """The PDF tests run with each PDF engine (chosen as `check --engine` does, by environment)."""
    monkeypatch.setenv("DIPSAMPLE_PDF_ENGINE", request.param)
    return request.param


def all_text(doc):
    return "\n".join(c.text for c in doc.clauses)


@pytest.mark.parametrize("name,pdf_engine", [
    ("riverside-primary.pdf", "pdfplumber"), ("riverside-primary.pdf", "pdfium"), ("ashgrove-secondary.docx", None),
    ("northgate-ap.html", None), ("brookside-juniors.txt", None), ("elmstead-school.md", None)])
def test_every_format_gives_headings_and_clauses_with_pages(name, pdf_engine):
    doc = extract(CORPUS / name, engine=pdf_engine)
    assert doc.readable
    assert len(doc.clauses) > 50
    assert sum(1 for s in doc.sections if s.heading) >= 8
    assert all(1 <= c.page <= doc.pages for c in doc.clauses)
    # offsets point at the clause text
    assert all(doc.text[c.start:c.end] == c.text for c in doc.clauses)


def test_pdf_drops_running_header_and_footer_but_keeps_page_numbers_on_clauses(engine):
    doc = extract(CORPUS / "riverside-primary.pdf")
    text = all_text(doc)
    assert "Uncontrolled when printed" not in text
    assert "Behaviour Policy Page" not in text
    assert doc.pages > 3
    assert max(c.page for c in doc.clauses) == doc.pages


def test_pdf_bullets_and_tables_become_clauses(engine):
    doc = extract(CORPUS / "riverside-primary.pdf")
    kinds = {c.kind for c in doc.clauses}
    assert {"sentence", "item", "row"} <= kinds
    assert not any("(cid:" in c.text for c in doc.clauses)


def test_html_keeps_main_content_only():
    doc = extract(CORPUS / "northgate-ap.html")
    text = all_text(doc)
    assert "cookies" not in text.lower()
    assert "Staff login" not in text
    assert "Skip to main content" not in text


def test_docx_headings_come_from_styles():
    doc = extract(CORPUS / "ashgrove-secondary.docx")
    title, *rest = [s for s in doc.sections if s.heading]
    assert title.level == 1 and title.heading == "Ashgrove School Behaviour Policy"  # the Title style
    assert {s.level for s in rest} >= {2}  # Heading 1 styles
    assert all(c.heading_path and not c.heading_path.startswith(title.heading) for c in doc.clauses[10:])


def test_a_lone_title_is_left_out_of_heading_paths():
    from conftest import doc_from_markdown

    doc = doc_from_markdown("# Behaviour and Searching Policy\n\n## 1. Rewards\n\nWe praise.\n\n"
                            "### 1.1 Points\n\nPoints.")
    assert [c.heading_path for c in doc.clauses] == ["1. Rewards", "1. Rewards > 1.1 Points"]


def test_markdown_list_items_are_not_headings():
    blocks = blocks_from_text("# Policy\n\n## Steps\n\n1. Reminder\n2. Warning\n")
    assert [b.kind for b in blocks] == ["heading", "heading", "item", "item"]


def test_plain_text_numbered_headings():
    blocks = blocks_from_text("BEHAVIOUR POLICY\n\n3. Rewards\nWe give house points.\n\n3.1 Stickers\nEvery day.")
    assert [(b.kind, b.level) for b in blocks][:3] == [("heading", 2), ("heading", 2), ("para", 0)]


def test_table_rows_keep_column_headers():
    blocks = blocks_from_text("| Step | Sanction |\n|---|---|\n| 3 | After-school detention |\n")
    assert blocks[0].text == "Step: 3 | Sanction: After-school detention"


@pytest.mark.parametrize("name,content,reason", [
    ("policy.pdf", b"%PDF-1.4\n garbage that is not a pdf", "not a readable PDF"),
    ("policy.pdf", b"", "the file is empty"),
    ("policy.docx", b"PK\x03\x04 not really a zip", "not a readable DOCX"),
    ("policy.xls", b"whatever", "unsupported format '.xls'"),
])
def test_bad_files_raise_one_clear_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ExtractionError) as exc:
        extract(path)
    assert name in str(exc.value) and reason in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(ExtractionError, match="no such file"):
        extract(tmp_path / "nope.pdf")


def test_content_decides_the_format_not_the_extension(tmp_path):
    fake = tmp_path / "policy.pdf"
    fake.write_bytes((CORPUS / "northgate-ap.html").read_bytes())
    doc = extract(fake)
    assert doc.format == "html"
    assert any("content is HTML" in w for w in doc.warnings)


# --- scanned, encrypted and Word tracked changes --------------------------------------------

from pdfs import make_pdf  # noqa: E402

from toolkit.extract import ocr  # noqa: E402
from toolkit.match import match_document  # noqa: E402

PAGE_1 = ["Behaviour Policy", "Pupils may be given a lunchtime detention.", "Parents are told the same day."]
PAGE_2 = ["Searching pupils", "Only the headteacher may search a pupil.", "Knives and weapons are banned."]


def test_encrypted_pdf_with_a_password_is_a_clear_error(tmp_path):
    path = make_pdf(tmp_path / "locked.pdf", [PAGE_1], encrypt="s3cret")
    with pytest.raises(ExtractionError, match="locked.pdf: the PDF is encrypted and needs a password"):
        extract(path)


def test_scanned_pdf_without_ocr_is_not_readable_and_never_missing(tmp_path, monkeypatch, mini, engine):
    monkeypatch.setenv(ocr.OCR_ENV, "1")
    doc = extract(make_pdf(tmp_path / "scan.pdf", [PAGE_1, PAGE_2], scanned={0, 1}))
    assert not doc.readable
    assert any("needs OCR" in w for w in doc.warnings)
    statuses = {f.status for f in match_document(doc, mini, as_of=AS_OF).items.values()}
    assert statuses == {"not-evaluated"}


def test_partly_scanned_pdf_turns_missing_into_not_evaluated(tmp_path, monkeypatch, mini, engine):
    monkeypatch.setenv(ocr.OCR_ENV, "1")
    doc = extract(make_pdf(tmp_path / "part.pdf", [PAGE_1, PAGE_2], scanned={1}))
    assert doc.readable and doc.unread_pages == [2]
    items = match_document(doc, mini, as_of=AS_OF).items
    assert items["T-DET"].status == "partial"  # read on page 1
    assert items["T-FORCE"].status == "not-evaluated"  # could be on the unread page
    assert "page(s) 2 could not be read" in items["T-FORCE"].explanation


@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed (apt-get install tesseract-ocr)")
def test_scanned_page_is_read_by_ocr(tmp_path, engine):
    doc = extract(make_pdf(tmp_path / "part.pdf", [PAGE_1, PAGE_2], scanned={1}))
    assert doc.unread_pages == []
    page2 = " ".join(c.text for c in doc.clauses if c.page == 2)
    assert "headteacher may search" in page2
    assert any("read by OCR" in w for w in doc.warnings)


def test_pdfium_reads_the_corpus_pdfs_as_pdfplumber_does():
    # Same words, fonts, tables ("Header: cell" rows), running lines and pages: the same blocks.
    from toolkit.extract.pdf import extract_pdf

    for name in ("riverside-primary.pdf", "castlemere-high.pdf"):
        data = (CORPUS / name).read_bytes()
        plumber, pdfium = (extract_pdf(CORPUS / name, data, engine=e) for e in PDF_ENGINES)
        assert [(b.kind, b.text, b.page, b.level, b.page_breaks) for b in pdfium.blocks] == \
            [(b.kind, b.text, b.page, b.level, b.page_breaks) for b in plumber.blocks]


def _policy_pdf(path):
    """A page drawn inside a scaled Form XObject (text, a heading and a ruled table), and a page
    with a table of contents whose dot leaders are single dots and a word hyphenated at a line end."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.beginForm("body")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 760, "Detention")
    c.setFont("Helvetica", 10.5)
    for i in range(3):
        c.drawString(72, 740 - 14 * i, f"Sentence {i}: pupils may be given a detention after school.")
    for y in (660, 640, 620, 600):
        c.line(72, y, 500, y)
    for x in (72, 200, 500):
        c.line(x, 660, x, 600)
    for y, (a, b) in zip((647, 627, 607), [("Step", "Sanction"), ("1", "Reminder"), ("2", "Detention")]):
        c.drawString(76, y, a)
        c.drawString(204, y, b)
    c.endForm()
    c.saveState()
    c.translate(20, -30)
    c.scale(0.9, 0.9)
    c.doForm("body")
    c.restoreState()
    c.showPage()
    c.setFont("Helvetica", 11)
    for i, title in enumerate(["Introduction", "Rewards", "Searching pupils"]):
        y = 760 - 16 * i
        c.drawString(72, y, f"{i + 1}. {title}")
        x = 80 + c.stringWidth(f"{i + 1}. {title}", "Helvetica", 11)
        while x < 480:
            c.drawString(x, y, ".")
            x += 5.5
        c.drawString(490, y, str(i + 2))
    text = c.beginText(72, 680)
    text.textLine("Every member of staff is expected to model the good behav-")
    text.textLine("iour we want to see, and to follow this policy consistently.")
    c.drawText(text)
    c.showPage()
    c.save()
    return path


def test_pdf_forms_tables_dot_leaders_and_line_end_hyphens(tmp_path, engine):
    doc = extract(_policy_pdf(tmp_path / "policy.pdf"))
    assert any(s.heading == "Detention" for s in doc.sections)  # font sizes scaled by the form matrix
    rows = [c.text for c in doc.clauses if c.kind == "row"]
    assert rows == ["Step: 1 | Sanction: Reminder", "Step: 2 | Sanction: Detention"]
    text = all_text(doc)
    assert "Introduction ..........." in text  # dot leaders as pdfplumber reads them, not ". . . . ."
    assert "model the good behaviour we want" in text  # PDFium's line-end hyphen mark


def test_pdfium_reads_text_that_runs_sideways_on_the_page(tmp_path):
    # Landscape pages: text drawn turned on a portrait page that is shown turned (/Rotate 90), and
    # upright text on a page only shown turned. Either way the words are read left to right.
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "landscape.pdf"
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for turned in (True, False):
        c.setPageRotation(90)
        c.saveState()
        if turned:
            c.translate(A4[0], 0)
            c.rotate(90)
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, 500, "Rewards" if turned else "Sanctions")
        c.setFont("Helvetica", 10.5)
        for i, line in enumerate(PAGE_1[1:] + PAGE_2[1:]):
            c.drawString(72, 480 - 14 * i, line)
        c.restoreState()
        c.showPage()
    c.save()
    doc = extract(path, engine="pdfium")
    assert [s.heading for s in doc.sections if s.heading] == ["Rewards", "Sanctions"]
    assert all_text(doc).count("Only the headteacher may search a pupil.") == 2


def test_docx_tracked_changes_read_as_accepted(tmp_path):
    from docx import Document
    from docx.oxml import parse_xml

    d = Document()
    p = d.add_paragraph("Detention lasts ")
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    p._p.append(parse_xml(f'<w:del {ns} w:id="1" w:author="x"><w:r><w:delText>sixty</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {ns} w:id="2" w:author="x"><w:r><w:t>thirty</w:t></w:r></w:ins>'))
    p.add_run(" minutes.")
    d.save(tmp_path / "tracked.docx")
    text = all_text(extract(tmp_path / "tracked.docx"))
    assert "Detention lasts thirty minutes." in text
    assert "sixty" not in text


# --- web addresses -----------------------------------------------------------------------

import http.server  # noqa: E402
import threading  # noqa: E402


@pytest.fixture
def web_server():
    """A local web server: /policy serves a school page, anything else is 404."""
    page = (CORPUS / "hartley-infants.html").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/policy":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)
            else:
                self.send_error(404, "Not Found")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_web_address_is_fetched_and_read_as_a_page(web_server):
    doc = extract(f"{web_server}/policy")
    assert doc.format == "html" and len(doc.clauses) > 30
    assert doc.source == f"{web_server}/policy"


def test_a_missing_web_page_is_a_clear_error(web_server):
    with pytest.raises(ExtractionError, match="/nothing: the web server answered 404"):
        extract(f"{web_server}/nothing")


def test_letter_spaced_text_is_read_as_words():
    from toolkit.segment import clean

    assert clean("B e h a v i o u r  P o l i c y") == "Behaviour Policy"
    assert clean("Steps 1 2 3 4 and (a) (b) (c)") == "Steps 1 2 3 4 and (a) (b) (c)"


LADDER = ["Step 1: a reminder", "Step 2: a warning", "Step 3: time out", "Step 4: after-school detention"]


@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed (apt-get install tesseract-ocr)")
def test_text_in_a_picture_on_a_text_page_is_read_by_ocr(tmp_path, engine):
    from pdfs import make_pdf_with_picture

    doc = extract(make_pdf_with_picture(tmp_path / "ladder.pdf", PAGE_1, LADDER))
    pictured = [c for c in doc.clauses if c.kind == "image"]
    assert pictured and "after-school detention" in " ".join(c.text for c in pictured).lower()
    assert any("read by OCR" in w for w in doc.warnings) and doc.unread_pages == []


def test_a_picture_that_cannot_be_read_is_said_and_nothing_in_it_is_called_missing(tmp_path, monkeypatch, mini,
                                                                                    engine):
    from pdfs import make_pdf_with_picture

    monkeypatch.setenv(ocr.OCR_ENV, "1")
    doc = extract(make_pdf_with_picture(tmp_path / "ladder.pdf", PAGE_1, LADDER))
    assert any("image(s) on page(s) 1 not read" in w for w in doc.warnings)
    assert doc.unread_pages == [1]
    items = match_document(doc, mini, as_of=AS_OF).items
    assert items["T-FORCE"].status == "not-evaluated"


def _docx_with_picture(tmp_path):
    import io as _io

    from docx import Document
    from docx.shared import Cm
    from pdfs import make_pdf_with_picture
    import pypdfium2 as pdfium

    pdf = make_pdf_with_picture(tmp_path / "p.pdf", ["x"], LADDER)
    page = pdfium.PdfDocument(str(pdf))[0]
    png = _io.BytesIO()
    page.render(scale=150 / 72).to_pil().crop((60, 560, 1180, 1700)).save(png, format="PNG")
    d = Document()
    d.add_heading("Consequences", level=1)
    d.add_paragraph("Our steps are shown below.")
    d.add_picture(_io.BytesIO(png.getvalue()), width=Cm(15))
    d.save(tmp_path / "ladder.docx")
    return tmp_path / "ladder.docx"


@pytest.mark.skipif(not ocr.available(), reason="Tesseract is not installed (apt-get install tesseract-ocr)")
def test_text_in_a_word_picture_is_read_by_ocr(tmp_path):
    doc = extract(_docx_with_picture(tmp_path))
    pictured = " ".join(c.text for c in doc.clauses if c.kind == "image").lower()
    assert "detention" in pictured


def test_a_word_picture_that_cannot_be_read_is_said(tmp_path, monkeypatch):
    monkeypatch.setenv(ocr.OCR_ENV, "1")
    doc = extract(_docx_with_picture(tmp_path))
    assert any("picture(s) on page(s) 1 not read" in w for w in doc.warnings) and doc.unread_pages == [1]
