"""Hostile inputs made in code: corrupt, truncated, encrypted, empty, huge, disguised, zip bombs,
script-laden pages, odd encodings and a policy in Welsh. Each builder writes one file and returns
its path."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pdfs import make_pdf

POLICY = ["Behaviour Policy", "Pupils may be given a lunchtime detention of up to 30 minutes.",
          "Parents are told the same day when a detention is given.",
          "Only the headteacher may search a pupil without consent."]
HOSTILE_TEXT = "<script>alert('pwned')</script>"


def text_pdf(path: Path, pages: list[list[str]] | None = None) -> Path:
    return make_pdf(path, pages or [POLICY, POLICY])


def corrupt_pdf(path: Path) -> Path:
    """Starts like a PDF; the objects in the middle are overwritten with noise."""
    data = bytearray(text_pdf(path).read_bytes())
    mid = len(data) // 4
    data[mid:mid * 3] = bytes((i * 7919) % 251 for i in range(mid * 2))
    path.write_bytes(bytes(data))
    return path


def truncated_pdf(path: Path) -> Path:
    """The first third of a valid PDF: no cross-reference table, no trailer."""
    data = text_pdf(path).read_bytes()
    path.write_bytes(data[:len(data) // 3])
    return path


def encrypted_pdf(path: Path, user_password: str) -> Path:
    """Encrypted; an empty user password opens it (only the owner password restricts it)."""
    from reportlab.lib import pdfencrypt

    enc = pdfencrypt.StandardEncryption(user_password, ownerPassword="owner-secret", canPrint=1)
    return make_pdf(path, [POLICY], encrypt=enc)


def zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def image_only_pdf(path: Path) -> Path:
    return make_pdf(path, [POLICY, POLICY], scanned={0, 1})


def many_pages_pdf(path: Path, n: int = 600) -> Path:
    """n pages of short policy text (drawn directly: fast to build)."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for i in range(n):
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, 770, f"Section {i + 1}: Behaviour")
        c.setFont("Helvetica", 11)
        c.drawString(72, 740, f"Pupils may be given a lunchtime detention (rule {i + 1}).")
        c.drawString(72, 724, "Parents are told the same day.")
        c.showPage()
    c.save()
    return path


def blank_pdf(path: Path, n: int = 3) -> Path:
    """Pages with no text layer and nothing drawn on them."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(n):
        c.showPage()
    c.save()
    return path


def docx_bytes(paragraphs: list[str]) -> bytes:
    from docx import Document

    d = Document()
    d.add_heading(paragraphs[0], level=1)
    for p in paragraphs[1:]:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def docx_named_pdf(path: Path) -> Path:
    path.write_bytes(docx_bytes(POLICY))
    return path


def pdf_named_docx(path: Path) -> Path:
    path.write_bytes(text_pdf(path.with_suffix(".tmp.pdf")).read_bytes())
    path.with_suffix(".tmp.pdf").unlink()
    return path


def docx_zip_bomb(path: Path, megabytes: int = 256) -> Path:
    """A small valid-looking DOCX whose word/document.xml declares `megabytes` MB once
    decompressed (spaces after the XML, compressed about 1000:1)."""
    good = zipfile.ZipFile(io.BytesIO(docx_bytes(POLICY)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for item in good.infolist():
            if item.filename != "word/document.xml":
                z.writestr(item, good.read(item))
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(good.read("word/document.xml"))
            chunk = b" " * (1 << 20)
            for _ in range(megabytes):
                fh.write(chunk)
    return path


def hostile_html(path: Path) -> Path:
    """Scripts, an iframe, event handlers, and markup written as text inside paragraphs."""
    esc = HOSTILE_TEXT.replace("<", "&lt;").replace(">", "&gt;")
    path.write_text(f"""<!doctype html><html><head><title>Policy</title>
<script>document.write('INJECTED-BY-SCRIPT')</script></head>
<body onload="alert(1)"><main>
<h1>Behaviour Policy {esc}</h1>
<iframe src="https://evil.example/"><p>IFRAME-CONTENT</p></iframe>
<p>Pupils may be given a lunchtime detention {esc} of up to 30 minutes.</p>
<p>Parents are told the same day when a detention is given.</p>
<p>Pupils who misbehave may be sent home {esc} for the rest of the day without a formal exclusion.</p>
<p><img src=x onerror="alert(2)">Only the headteacher may search a pupil without consent &lt;img src=x onerror=alert(3)&gt;.</p>
<script>alert('inline')</script>
</main></body></html>""", encoding="utf-8")
    return path


def cp1252_text(path: Path) -> Path:
    text = ("Behaviour Policy\n\n"
            "Pupils may be given a lunchtime detention \u2013 the \u201cred card\u201d \u2013 of up to 30 minutes.\n\n"
            "Parents are told the same day; the caf\u00e9 fine is \u00a35.\n")
    path.write_bytes(text.encode("cp1252"))
    return path


def one_long_line(path: Path, size: int = 1 << 20) -> Path:
    """A 1 MB text file with no line break at all."""
    sentence = "Pupils may be given a lunchtime detention and parents are told the same day. "
    path.write_text((sentence * (size // len(sentence) + 1))[:size], encoding="utf-8")
    return path


WELSH = """Polisi Ymddygiad

Mae'r ysgol yn disgwyl i bob disgybl ymddwyn yn dda ac yn barchus tuag at eraill.
Bydd disgyblion sydd yn torri'r rheolau yn cael eu cadw ar ôl ysgol am hyd at 30 munud.
Rhaid i'r pennaeth roi gwybod i'r rhieni ar yr un diwrnod.
Ni fydd y staff yn chwilio disgybl heb ei ganiatâd, ac eithrio'r pennaeth neu aelod o staff a awdurdodwyd ganddo.
Mae gan yr ysgol hawl i wahardd disgybl dros dro neu yn barhaol os yw ei ymddygiad yn ddifrifol.
Rydym yn gweithio gyda'r rhieni i gefnogi disgyblion sydd ag anghenion dysgu ychwanegol.
Dylai pob aelod o staff gofnodi digwyddiadau ar y system a'u hadolygu bob tymor.
Bydd y polisi hwn yn cael ei adolygu gan y llywodraethwyr bob blwyddyn.
"""


def welsh_policy(path: Path) -> Path:
    path.write_text(WELSH, encoding="utf-8")
    return path
