"""Hostile files: each gets a correct result or one clear error naming the file and the reason;
the batch goes on, a failed file leaves no rows, hostile text is escaped in reports and the web
app, and the limits (pages, zip size, time per document, memory) hold."""

import json
import multiprocessing
import os
import re
import subprocess
import sys
import time

import pytest

import hostile as h
from toolkit.batch import check_and_store
from toolkit.errors import ExtractionError
from toolkit.extract import extract, ocr
from toolkit.store import open_db

from conftest import AS_OF, ROOT

# name -> (builder, expected): "ok", ("unreadable", warning), ("error", reason)
CASES = {
    "corrupt.pdf": (h.corrupt_pdf, ("error", "not a readable PDF (corrupt or truncated)")),
    "truncated.pdf": (h.truncated_pdf, ("error", "not a readable PDF (corrupt or truncated)")),
    "encrypted-open.pdf": (lambda p: h.encrypted_pdf(p, ""), "ok"),
    "encrypted-locked.pdf": (lambda p: h.encrypted_pdf(p, "s3cret"), ("error", "the PDF is encrypted and needs a password")),
    "zero-bytes.pdf": (h.zero_bytes, ("error", "the file is empty")),
    "image-only.pdf": (h.image_only_pdf, ("unreadable", "needs OCR")),
    "six-hundred-pages.pdf": (h.many_pages_pdf, "ok"),
    "blank-pages.pdf": (h.blank_pdf, ("error", "no text found: every page is blank")),
    "word-named.pdf": (h.docx_named_pdf, "ok"),
    "pdf-named.docx": (h.pdf_named_docx, "ok"),
    "zip-bomb.docx": (lambda p: h.docx_zip_bomb(p, 64), ("error", "refused: word/document.xml is compressed")),
    "scripts.html": (h.hostile_html, "ok"),
    "windows-1252.txt": (h.cp1252_text, "ok"),
    "one-long-line.txt": (h.one_long_line, "ok"),
    "welsh.txt": (h.welsh_policy, ("unreadable", "not English (Welsh?)")),
}


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for name, (build, _) in CASES.items():
        build(folder / name)
    return folder


@pytest.fixture(autouse=True)
def _no_ocr(monkeypatch):
    monkeypatch.setenv(ocr.OCR_ENV, "1")  # the same result with or without Tesseract installed


@pytest.mark.parametrize("name", CASES)
def test_each_hostile_file_gives_a_result_or_one_clear_error(hostile_dir, name):
    expected = CASES[name][1]
    if expected != "ok" and expected[0] == "error":
        with pytest.raises(ExtractionError) as exc:
            extract(hostile_dir / name)
        assert str(exc.value).startswith(f"{name}: ") and expected[1] in str(exc.value)
        return
    doc = extract(hostile_dir / name)
    if expected == "ok":
        assert doc.readable and doc.clauses
        assert any("detention" in c.text for c in doc.clauses)
    else:
        assert not doc.readable and any(expected[1] in w for w in doc.warnings)


def test_content_decides_the_format(hostile_dir):
    assert extract(hostile_dir / "word-named.pdf").format == "docx"
    doc = extract(hostile_dir / "pdf-named.docx")
    assert doc.format == "pdf" and "content is PDF" in doc.warnings[0]


def test_scripts_are_never_run_and_markup_written_as_text_is_kept_as_text(hostile_dir):
    text = extract(hostile_dir / "scripts.html").text
    assert "INJECTED-BY-SCRIPT" not in text and "IFRAME-CONTENT" not in text and "alert('inline')" not in text
    assert h.HOSTILE_TEXT in text  # what the page shows as text is quoted as text


def test_windows_1252_and_a_one_megabyte_line(hostile_dir):
    doc = extract(hostile_dir / "windows-1252.txt")
    assert "caf\u00e9 fine is \u00a35" in doc.text and '"red card"' in doc.text
    long = extract(hostile_dir / "one-long-line.txt")
    assert len(long.clauses) > 10_000 and max(len(c.text) for c in long.clauses) < 200


def test_an_endless_sentence_is_cut_into_pieces_with_exact_offsets():
    from toolkit.segment import MAX_SENTENCE_CHARS, split_sentences

    text = "detention " * 20_000 + "x" * 12_000  # 212,000 characters, no full stop
    pieces = split_sentences([text])[0]
    assert max(len(p) for p, _ in pieces) <= MAX_SENTENCE_CHARS
    assert all(text[at:at + len(p)] == p for p, at in pieces)


def test_the_zip_bomb_is_refused_before_it_is_decompressed(hostile_dir):
    started = time.monotonic()
    with pytest.raises(ExtractionError, match="zip bomb"):
        extract(hostile_dir / "zip-bomb.docx")
    assert time.monotonic() - started < 2
    assert (hostile_dir / "zip-bomb.docx").stat().st_size < 200_000


def test_a_welsh_policy_is_not_english_and_nothing_is_missing(hostile_dir, mini):
    from toolkit.extract.language import language_note
    from toolkit.match import match_document

    doc = extract(hostile_dir / "welsh.txt")
    assert {f.status for f in match_document(doc, mini, as_of=AS_OF).items.values()} == {"not-evaluated"}
    assert language_note("The pupils and the staff of the school. " * 10) is None
    assert language_note(h.WELSH + "The Education Act 2002 and the Equality Act 2010.") == "not English (Welsh?)"


def test_page_and_size_limits(hostile_dir, monkeypatch):
    monkeypatch.setenv("DIPSAMPLE_MAX_PAGES", "100")
    with pytest.raises(ExtractionError, match=r"six-hundred-pages.pdf: 600 pages, more than the limit of 100"):
        extract(hostile_dir / "six-hundred-pages.pdf")
    monkeypatch.setenv("DIPSAMPLE_MAX_FILE_MB", "0.1")
    with pytest.raises(ExtractionError, match=r"six-hundred-pages.pdf: the file is larger than 0.1 MB"):
        extract(hostile_dir / "six-hundred-pages.pdf")


def test_a_hostile_batch_goes_on_and_leaves_no_partial_rows(hostile_dir, tmp_path, mini):
    db = open_db(tmp_path / "h.db")
    batch = check_and_store([hostile_dir], db, checklist=mini, as_of=AS_OF, jobs=2)
    errors = {os.path.basename(e.source): e.error for e in batch.errors}
    stored = {os.path.basename(d["source"]): d for d in batch.documents}
    assert set(errors) | set(stored) == set(CASES) and not set(errors) & set(stored)
    for name, (_, expected) in CASES.items():
        if expected != "ok" and expected[0] == "error":
            assert errors[name].startswith(f"{name}: ") and expected[1] in errors[name], errors[name]
        elif expected == "ok":
            assert stored[name]["readable"], name
        else:
            assert not stored[name]["readable"] and any(expected[1] in w for w in stored[name]["warnings"])
            assert {f["status"] for f in stored[name]["items"].values()} == {"not-evaluated"}
    assert not any("could not be processed" in e for e in errors.values())  # no crashes
    sources = {os.path.basename(r["source"]) for r in db.query("select source from documents")}
    assert sources == set(stored)  # nothing at all for a failed file
    for table, key in (("clauses", "document_id"), ("runs", "document_id")):
        assert db.execute(f"select count(*) from {table} where {key} not in (select id from documents)").fetchone()[0] == 0
    assert db.execute("select count(*) from findings where run_id not in (select id from runs)").fetchone()[0] == 0
    assert db.execute("select count(*) from evidence where finding_id not in (select id from findings)").fetchone()[0] == 0
    welsh = stored["welsh.txt"]
    assert "not English (Welsh?)" in welsh["warnings"][0]


def test_a_failure_while_storing_leaves_no_rows(hostile_dir, tmp_path, mini, monkeypatch):
    import toolkit.store as store

    def broken(db, cl):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_save_checklist", broken)  # fails after the document and clauses are inserted
    db = open_db(tmp_path / "s.db")
    batch = check_and_store([hostile_dir / "windows-1252.txt"], db, checklist=mini, as_of=AS_OF, timeout=0)
    assert [e.error for e in batch.errors] == ["windows-1252.txt: could not be processed (RuntimeError: disk full)"]
    for table in ("documents", "clauses", "runs", "findings", "evidence"):
        assert db[table].count == 0, table


def test_hostile_text_is_escaped_in_reports_and_the_web_app(hostile_dir, tmp_path, national):
    from toolkit.report import render_reports
    from toolkit.web import create_app

    db_path = tmp_path / "e.db"
    db = open_db(db_path)
    batch = check_and_store([hostile_dir / "scripts.html"], db, checklist=national, as_of=AS_OF, timeout=0)
    assert not batch.errors
    quoted = db.execute("select count(*) from evidence where text like '%<script>%'").fetchone()[0]
    assert quoted  # the hostile text is quoted as evidence, so the pages below do show it
    out = render_reports(db, tmp_path / "out").parent
    pages = list(out.glob("*.html"))
    assert len(pages) >= 2
    for page in pages:
        html = page.read_text()
        assert "<script" not in html and "onerror=" not in html.replace("onerror=alert(3)&gt;", ""), page.name
    school = next(p for p in pages if p.name not in ("index.html", "sample.html")).read_text()
    assert "&lt;script&gt;alert(" in school
    client = create_app(db_path, secret_key="test").test_client()
    doc_id = db.execute("select id from documents").fetchone()[0]
    for url in ("/", f"/doc/{doc_id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert len(re.findall(r"<script", html)) == len(re.findall(r'<script nonce="[^"]+">', html))
    assert "&lt;script&gt;alert(" in client.get(f"/doc/{doc_id}").get_data(as_text=True)


fork_only = pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                               reason="the hang is patched into a forked worker")


@fork_only
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_document_that_hangs_is_skipped_after_the_time_limit(tmp_path, mini, monkeypatch, jobs):
    import toolkit.batch as batch_mod

    real = batch_mod.check_file

    def slow(src, **kw):
        if src.name.startswith("hang"):
            time.sleep(120)  # a pathological file (workers are forked, so they see this patch)
        return real(src, **kw)

    monkeypatch.setattr(batch_mod, "check_file", slow)
    folder = tmp_path / "p"
    folder.mkdir()
    h.cp1252_text(folder / "a-good.txt")
    h.cp1252_text(folder / "hang.txt")
    (folder / "hang.txt").write_bytes((folder / "hang.txt").read_bytes() + b"\nDifferent content.\n")
    h.welsh_policy(folder / "z-good.txt")
    db = open_db(tmp_path / "t.db")
    started = time.monotonic()
    batch = check_and_store([folder], db, checklist=mini, as_of=AS_OF, jobs=jobs, timeout=1.5)
    assert time.monotonic() - started < 30
    assert [e.error for e in batch.errors] == ["hang.txt: took longer than 1.5 s; skipped"]
    assert sorted(os.path.basename(d["source"]) for d in batch.documents) == ["a-good.txt", "z-good.txt"]
    assert db["documents"].count == 2


def test_the_check_command_takes_a_time_limit_and_a_page_limit(hostile_dir, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), ocr.OCR_ENV: "1"}
    cmd = [sys.executable, "-m", "toolkit.cli", "check", str(hostile_dir / "six-hundred-pages.pdf"),
           str(hostile_dir / "windows-1252.txt"), "--db", str(tmp_path / "c.db"), "--as-of", "2026-11-01",
           "-j", "1", "--json"]
    # A limit nothing can meet: every file is skipped with the reason (deterministic under any load;
    # the hang itself is tested in-process above).
    slow = subprocess.run([*cmd, "--timeout", "0.001"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    out = json.loads(slow.stdout)
    assert slow.returncode == 1 and out["documents"] == []
    assert sorted(e["error"] for e in out["errors"]) == [
        "six-hundred-pages.pdf: took longer than 0.001 s; skipped", "windows-1252.txt: took longer than 0.001 s; skipped"]
    pages = subprocess.run([*cmd, "--max-pages", "50"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "600 pages, more than the limit of 50" in json.loads(pages.stdout)["errors"][0]["error"]


def test_a_600_page_pdf_stays_under_500_mb(hostile_dir):
    code = ("import resource, sys; from toolkit.extract import extract; d = extract(sys.argv[1]); "
            "print(d.pages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    out = subprocess.run([sys.executable, "-c", code, str(hostile_dir / "six-hundred-pages.pdf")], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=True)
    pages, peak_mb = map(int, out.stdout.split())
    assert pages == 600 and peak_mb < 500


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"), reason="needs Linux /proc")
def test_a_worker_does_not_outlive_a_killed_batch(hostile_dir, tmp_path):
    import signal

    env = {**os.environ, "PYTHONPATH": str(ROOT), ocr.OCR_ENV: "1"}
    proc = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "check", str(hostile_dir / "one-long-line.txt"),
                             "--db", str(tmp_path / "k.db"), "-j", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    children_file = f"/proc/{proc.pid}/task/{proc.pid}/children"
    workers: list[int] = []
    deadline = time.time() + 60
    while not workers and time.time() < deadline:
        time.sleep(0.1)
        with open(children_file) as fh:
            workers = [int(pid) for pid in fh.read().split()]
    assert workers, "no worker process started"
    time.sleep(0.5)  # the worker is busy with the document
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def running(pid):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().split(") ")[1][0] not in "ZX"
        except FileNotFoundError:
            return False

    deadline = time.time() + 10
    while any(running(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.2)
    alive = [pid for pid in workers if running(pid)]
    for pid in alive:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not alive
