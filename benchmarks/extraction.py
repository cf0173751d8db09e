"""Extraction quality benchmark: how faithfully toolkit.extract reads each kind of file.

The Markdown sources (corpus/src/*.md) are the true text. Each is rendered into a reportlab PDF
(corpus/build.py), a WeasyPrint PDF (second producer: CSS running header/footer, tables, one
two-column page), a PDF whose page 2 is a picture (scanned), a Word file and a web page; every
rendering is read back with toolkit.extract.extract and scored against the truth.

    .venv/bin/python benchmarks/extraction.py            # all corpus documents: table + worst examples
    .venv/bin/python benchmarks/extraction.py --quick    # 2 documents
    .venv/bin/python benchmarks/extraction.py --json     # everything as JSON
    .venv/bin/python benchmarks/extraction.py --per-doc castlemere-high fenwick-academy

Renderings (and OCR output) are cached under the system temp folder (see --cache); they are
rebuilt when a source, corpus/build.py or benchmarks/render.py changes. Never writes to corpus/.
docs/extraction.md explains each metric and the normalisation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from concurrent.futures import ProcessPoolExecutor
from difflib import SequenceMatcher
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import render  # noqa: E402  (benchmarks/render.py; also puts corpus/ on sys.path)
from render import build  # noqa: E402

SRC = ROOT / "corpus" / "src"
PRODUCERS = ["md/source", "pdf/reportlab", "pdf/weasyprint", "pdf/scanned-p2", "docx/python-docx", "html/build"]
TARGETS = {"similarity": 0.98, "leaks": 0, "heading_recall": 0.95, "page_accuracy": 0.99}
HEADING_MATCH = 0.9  # a found heading is equal to, or at least this similar to, the true one
MIN_FRAGMENT = 10  # a clause that is only a piece of a running header/footer counts as a leak from this length
PREFIX = 60  # characters of a clause's normalised text that must be on its page
QUICK_DOCS = 2

# --- normalisation ------------------------------------------------------------------------------

_CHARMAP = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                          "\u2014": "-", "\u2011": "-", "\u2212": "-", "\u00a0": " ", "\u00ad": None})
_WS = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PAGE_N = re.compile(r"\bpage \d+(?: of \d+)?\b")


def norm(text: str) -> str:
    """Lowercase, Unicode-compatible characters (ligatures), one kind of quote and dash,
    whitespace collapsed. Markdown markup is removed from the truth before this (md_plain)."""
    text = unicodedata.normalize("NFKC", text).translate(_CHARMAP)
    return _WS.sub(" ", text).strip().lower()


def md_plain(text: str) -> str:
    return build.plain(text).replace("`", "")


def alnum(text: str) -> str:
    """Letters and digits only: what page matching compares (line breaks, bullets, hyphens
    and spacing differ between the extractor and pypdfium2, the words do not)."""
    return _NON_ALNUM.sub("", norm(text))


def table_text(cells: list[str]) -> str:
    """A table row's cells as plain words: '|' and ':' separators dropped on both sides."""
    return norm(" ".join(c for c in cells if c.strip()).replace("|", " ").replace(":", " "))


# --- the truth --------------------------------------------------------------------------------------

def truth_of(md_text: str) -> dict:
    blocks = build.parse_md(md_text)
    title = build.title_of(blocks)
    units: list[tuple[str, str]] = []  # (kind, normalised text), document order
    headings: list[tuple[int, str]] = []
    headers: set[str] = set()
    for b in blocks:
        if b[0] == "h":
            units.append(("heading", norm(md_plain(b[2]))))
            headings.append((b[1], norm(md_plain(b[2]))))
        elif b[0] in ("p", "li"):
            units.append(("para" if b[0] == "p" else "item", norm(md_plain(b[1]))))
        elif b[0] == "table":
            rows = [[md_plain(c) for c in r] for r in b[1]]
            head, body = rows[0], rows[1:]
            if any(c.strip() for c in head) and body:
                # The extractor folds the header row into each body row ("Step: 3 | Sanction: ..."),
                # and the benchmark strips those prefixes again: the header row itself is not text.
                headers.update(norm(c) for c in head if c.strip())
            else:
                body = rows
            units.extend(("row", table_text(r)) for r in body if any(c.strip() for c in r))
    return {"title": norm(md_plain(title)), "units": units, "headings": headings, "table_headers": headers,
            "text": " ".join(t for _, t in units if t)}


def row_cells(text: str, headers: set[str]) -> list[str]:
    """An extracted table row's cells, normalised, without the "Header: " prefix the extractor
    adds from the table's header row (headers: the true header cells of the document's tables)."""
    out = []
    for cell in norm(text).split(" | "):
        for h in sorted(headers, key=len, reverse=True):
            if cell.startswith(h + ": "):
                cell = cell[len(h) + 2:]
                break
        out.append(cell)
    return out


def clause_norm(text: str, kind: str, headers: set[str]) -> str:
    return table_text(row_cells(text, headers)) if kind == "row" else norm(text)


# --- similarity -----------------------------------------------------------------------------------

def char_similarity(a: str, b: str, keep: int = 8) -> tuple[int, int, list[dict]]:
    """(matched characters, total characters, largest differences) of two normalised texts.

    difflib's ratio 2*M/T over characters, computed in two steps so 20,000-character documents
    take milliseconds: words are aligned first (in order), then characters inside each changed
    stretch. Junk heuristics are off (autojunk would treat every common letter as junk)."""
    wa, wb = a.split(" ") if a else [], b.split(" ") if b else []
    sm = SequenceMatcher(None, wa, wb, autojunk=False)
    matched = 0
    diffs = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        sa, sb = " ".join(wa[i1:i2]), " ".join(wb[j1:j2])
        if tag == "equal":
            matched += len(sa) + 1  # the words and the space after them
            continue
        m = 0
        if tag == "replace":
            if len(sa) * len(sb) <= 4_000_000:
                m = sum(x.size for x in SequenceMatcher(None, sa, sb, autojunk=False).get_matching_blocks())
        matched += m
        size = len(sa) + len(sb) - 2 * m
        if size:
            kind = {"delete": "missing", "insert": "extra", "replace": "changed"}[tag]
            ctx = " ".join(wa[max(0, i1 - 6):i1])
            diffs.append({"size": size, "kind": kind, "truth": sa[:240], "extracted": sb[:240],
                          "after": ctx[-80:]})
    total = len(a) + len(b)
    matched = min(matched, min(len(a), len(b)))
    diffs.sort(key=lambda d: -d["size"])
    return 2 * matched, total, diffs[:keep]


def ratio(a: str, b: str) -> float:
    m, t, _ = char_similarity(a, b, keep=0)
    return m / t if t else 1.0


# --- page truth -------------------------------------------------------------------------------------

def pdf_page_texts(path: Path) -> list[str]:
    """Each page's text from pypdfium2 (an extractor independent of pdfplumber)."""
    import pypdfium2 as pdfium  # noqa: PLC0415

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_page_texts(path: Path) -> list[str]:
    """A Word file's text split at its explicit page breaks (read from the XML directly). Only an
    estimate: Word's own layout may break pages elsewhere."""
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("word/document.xml"))
    pages, cur = [], []
    for el in root.iter():
        if el.tag == _W + "t" and el.text:
            cur.append(el.text)
        elif el.tag in (_W + "p", _W + "tc"):
            cur.append(" ")
        elif el.tag == _W + "br" and el.get(_W + "type") == "page" or el.tag == _W + "lastRenderedPageBreak":
            pages.append("".join(cur))
            cur = []
    pages.append("".join(cur))
    return pages


# --- metrics for one extracted document -------------------------------------------------------------

def furniture(producer: str, truth: dict) -> list[str]:
    """Normalised running header/footer (or web page chrome) strings for this producer, leaving out
    any that the true body text contains."""
    title = truth["title"]
    pats = {
        "pdf/reportlab": [render.reportlab_header(title), render.FOOTER_TEXT],
        "pdf/scanned-p2": [render.reportlab_header(title), render.FOOTER_TEXT],
        "pdf/weasyprint": [render.weasy_header(title), render.FOOTER_TEXT],
        "docx/python-docx": [title, render.FOOTER_TEXT],
        "html/build": ["skip to main content", "we use cookies", "accept all", "all rights reserved",
                       "staff login", "privacy notice", "related pages", "term dates", "school meals",
                       "home > policies"],
    }.get(producer, [])
    body = " ".join(t for i, (_, t) in enumerate(truth["units"]) if i > 0)
    return [p for p in (norm(x) for x in pats) if p and p not in body]


def heading_metrics(doc, truth: dict) -> dict:
    want = [(lvl, t) for lvl, t in truth["headings"] if 2 <= lvl <= 4]
    got = [norm(s.heading) for s in doc.sections if s.heading]
    used: set[int] = set()
    missed = []
    for lvl, t in want:
        best, best_r = None, 0.0
        for j, g in enumerate(got):
            if j in used:
                continue
            r = 1.0 if g == t else SequenceMatcher(None, t, g, autojunk=False).ratio()
            if r > best_r:
                best, best_r = j, r
                if r == 1.0:
                    break
        if best is not None and best_r >= HEADING_MATCH:
            used.add(best)
            continue
        inside = next((c.text for c in doc.clauses if t in norm(c.text)), None)
        missed.append({"heading": t, "level": lvl, "closest": got[best] if best is not None else None,
                       "closest_similarity": round(best_r, 3),
                       "found_in_clause": inside[:200] if inside else None})
    true_all = {t for _, t in truth["headings"]}
    extra = [g for j, g in enumerate(got) if j not in used and g not in true_all]
    return {"headings_true": len(want), "headings_found": len(want) - len(missed), "missed_headings": missed,
            "extra_headings": extra}


def leak_metrics(doc, producer: str, truth: dict) -> dict:
    pats = furniture(producer, truth)
    page_pattern = not _PAGE_N.search(truth["text"])
    leaks = []
    true_headings = {t for _, t in truth["headings"]}
    true_units = {t for _, t in truth["units"]}
    items = [("heading", s.heading, s.page) for s in doc.sections if s.heading] + [
        ("clause", c.text, c.page) for c in doc.clauses]
    for where, text, page in items:
        t = norm(text)
        if where == "heading" and t in true_headings:
            continue  # e.g. a Word file's header repeats the title, which is also the title heading
        hit = next((p for p in pats if p in t), None)
        if hit is None and len(t) >= MIN_FRAGMENT and t not in true_units:
            # A piece of a running line, e.g. the half of a header that a two-column split left alone.
            hit = next((f"part of {p!r}" for p in pats if t in p), None)
        if hit is None and page_pattern:
            m = _PAGE_N.search(t)
            hit = m.group(0) if m else None
        if hit:
            kind = ("piece of a running line" if hit.startswith("part of ") else "page number" if _PAGE_N.fullmatch(hit)
                    else "footer" if hit == norm(render.FOOTER_TEXT) else "header" if producer.startswith(("pdf/", "docx/"))
                    else "site chrome")
            leaks.append({"in": where, "page": page, "kind": kind, "matched": hit, "text": text[:240]})
    return {"leaks": len(leaks), "leaked": leaks}


def page_metrics(doc, page_texts: list[str], headers: set[str]) -> dict:
    pages = [alnum(t) for t in page_texts]
    n = len(pages)

    def on(pg: int, key: str) -> bool:
        # The whole clause, its beginning or its end is on that page: a clause that straddles a page
        # break is right on either page.
        if not 1 <= pg <= n:
            return False
        text = pages[pg - 1]
        return key in text or key[:PREFIX] in text or key[-PREFIX:] in text

    def ok(pg: int, keys: list[str], row: bool) -> bool:
        return all(on(pg, k) for k in keys) if row else on(pg, keys[0])

    correct = located = 0
    wrong, unlocated = [], []
    for c in doc.clauses:
        row = c.kind == "row"
        # A table row: each cell (without its "Header: " prefix) must be on the page; cells are also
        # split at ": " so a wrongly chosen header ("School: URN") still finds its words.
        keys = [alnum(x) for cell in row_cells(c.text, headers) for x in cell.split(": ")] if row \
            else [alnum(c.text)]
        keys = [k for k in keys if k]
        if not keys:
            continue
        if ok(c.page, keys, row):
            correct += 1
            located += 1
            continue
        actual = [p for p in range(1, n + 1) if ok(p, keys, row)]
        if actual:
            located += 1
            wrong.append({"text": c.text[:200], "reported": c.page, "actual": actual[:4],
                          "off_by": min(abs(p - c.page) for p in actual)})
        else:
            unlocated.append({"text": c.text[:200], "reported": c.page})
    wrong.sort(key=lambda w: -w["off_by"])
    return {"pages_correct": correct, "pages_located": located, "wrong_page": wrong,
            "unlocated": len(unlocated), "unlocated_examples": unlocated[:5]}


def extracted_text(doc, headers: set[str]) -> str:
    parts = []
    for s in doc.sections:
        if s.heading:
            parts.append(norm(s.heading))
        parts.extend(clause_norm(c.text, c.kind, headers) for c in s.clauses)
    return " ".join(p for p in parts if p)


# --- the scanned page -------------------------------------------------------------------------------

_OCR_BULLET = re.compile(r"^\s*(?:[\u2022\u00b7*\u00ab\u00a9>-]|e|eo|o)\s+", re.M)


def page_truth_text(raw: str, producer: str, truth: dict) -> str:
    """A page's pypdfium2 text without its running header/footer, bullets and 'Page N'."""
    t = norm(raw.replace("\u2022", " "))
    for p in furniture(producer, truth):
        t = t.replace(p, " ")
    return _WS.sub(" ", _PAGE_N.sub(" ", t)).strip()


def tesseract_version() -> str | None:
    exe = shutil.which("tesseract")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (out.stdout or out.stderr).splitlines()
    return first[0].strip() if first else "tesseract"


def ocr(image: Path, cache: Path) -> str | None:
    if cache.exists():
        return cache.read_text(encoding="utf-8")
    if not shutil.which("tesseract"):
        return None
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = subprocess.run(["tesseract", str(image), "stdout", "-l", "eng"], capture_output=True, text=True,
                         timeout=120, env=env)
    if out.returncode != 0:
        return None
    cache.write_text(out.stdout, encoding="utf-8")
    return out.stdout


def _names_page(warnings: list[str], page: int) -> bool:
    return any(re.search(rf"\b{page}\b", w) for w in warnings)


def scanned_metrics(doc, no_ocr_doc, folder: Path, truth: dict, ocr_on: bool) -> dict:
    """How the extractor handled the picture-only page: read it by OCR (and how well), or said
    it needs OCR. no_ocr_doc is the same file read with OCR switched off (DIPSAMPLE_NO_OCR=1)."""
    page = render.SCAN_PAGE
    ocr_warn = [w for w in doc.warnings if "read by OCR" in w]
    flagged = [w for w in (no_ocr_doc.warnings if no_ocr_doc is not None else doc.warnings) if "needs OCR" in w]
    true_page = page_truth_text(pdf_page_texts(folder / "reportlab.pdf")[page - 1], "pdf/scanned-p2", truth)
    parts = []
    for sec in doc.sections:
        if sec.heading and sec.page == page:
            parts.append(norm(sec.heading))
        parts.extend(norm(c.text) for c in sec.clauses if c.page == page)
    got = " ".join(parts)
    status = ("read by OCR" if ocr_warn and _names_page(ocr_warn, page) else
              "needs OCR" if any("needs OCR" in w for w in doc.warnings) else
              "silently missing" if not got else "read (no warning)")
    out = {"status": status,
           "needs_ocr_flagged": bool(flagged),
           "flag_names_page": _names_page(flagged, page),
           "warnings": list(doc.warnings),
           "warnings_without_ocr": list(no_ocr_doc.warnings) if no_ocr_doc is not None else None,
           "extractor_page_similarity": round(ratio(true_page, got), 4) if got else 0.0,
           "extractor_page_differences": char_similarity(true_page, got, keep=3)[2] if got else [],
           "extractor_page_chars": len(got),
           "true_page_chars": len(true_page),
           "tesseract_similarity": None}
    if ocr_on:
        text = ocr(folder / "page2.png", folder / "page2.ocr.txt")
        if text is not None:
            t = norm(_OCR_BULLET.sub("", text))
            for p in furniture("pdf/scanned-p2", truth):
                t = t.replace(p, " ")
            t = _WS.sub(" ", _PAGE_N.sub(" ", t)).strip()
            out["tesseract_similarity"] = round(ratio(true_page, t), 4)
    return out


# --- one document -----------------------------------------------------------------------------------

def cache_key(md_text: str, weasy: str | None) -> str:
    h = hashlib.sha256()
    for part in (md_text, (HERE / "render.py").read_text(), (ROOT / "corpus" / "build.py").read_text(),
                 str(weasy), "v1"):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def rendered(slug: str, cache_root: Path, weasy: str | None, fresh: bool) -> tuple[Path, dict]:
    md = SRC / f"{slug}.md"
    folder = cache_root / slug / cache_key(md.read_text(encoding="utf-8"), weasy)
    done = folder / "rendered.json"
    if done.exists() and not fresh:
        meta = json.loads(done.read_text())
    else:
        if folder.parent.exists():  # renderings of older versions of this source or renderer
            for old in folder.parent.iterdir():
                shutil.rmtree(old)
        out = render.render_all(md, folder, weasy=weasy is not None)
        meta = {"meta": out["meta"], "files": {k: (v.name if v else None) for k, v in out.items() if k != "meta"}}
        done.write_text(json.dumps(meta))
    return folder, meta


def row_names(engines: list[str | None]) -> list[tuple[str, str, str | None]]:
    """(row name, producer, PDF engine) for every row of the table, in order."""
    out = []
    for producer in PRODUCERS:
        for engine in (engines if producer.startswith("pdf/") else [None]):
            out.append((producer if engine is None else f"{producer} [{engine}]", producer, engine))
    return out


def _extract(path: Path, engine: str | None, no_ocr: bool = False):
    from toolkit.extract import extract  # noqa: PLC0415

    env = "DIPSAMPLE_NO_OCR"
    old = os.environ.get(env)
    if no_ocr:
        os.environ[env] = "1"
    try:
        return extract(path) if engine is None else extract(path, engine=engine)
    finally:
        if no_ocr:
            if old is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = old


def evaluate_document(slug: str, cache_root: str, weasy: str | None, ocr_on: bool, fresh: bool,
                      engines: tuple = (None,)) -> dict:
    from toolkit.errors import ExtractionError  # noqa: PLC0415

    t0 = time.time()
    truth = truth_of((SRC / f"{slug}.md").read_text(encoding="utf-8"))
    folder, meta = rendered(slug, Path(cache_root), weasy, fresh)
    render_s = time.time() - t0
    result = {"slug": slug, "render_seconds": round(render_s, 2), "two_column_section":
              meta["meta"].get("two_column_section"), "producers": {}}
    for row, producer, engine in row_names(list(engines)):
        name = meta["files"].get(producer)
        if not name:
            result["producers"][row] = {"skipped": "WeasyPrint not available"}
            continue
        path = folder / name
        t1 = time.time()
        try:
            doc = _extract(path, engine)
        except ExtractionError as exc:
            result["producers"][row] = {"error": str(exc)}
            continue
        r: dict = {"file": str(path), "extract_seconds": round(time.time() - t1, 3), "pages": doc.pages,
                   "clauses": len(doc.clauses)}
        matched, total, diffs = char_similarity(truth["text"], extracted_text(doc, truth["table_headers"]))
        r.update({"sim_matched": matched, "sim_total": total, "similarity": round(matched / total, 4),
                  "differences": diffs})
        r.update(leak_metrics(doc, producer, truth))
        r.update(heading_metrics(doc, truth))
        if producer.startswith("pdf/"):
            pdf = folder / ("reportlab.pdf" if producer == "pdf/scanned-p2" else name)
            r.update(page_metrics(doc, pdf_page_texts(pdf), truth["table_headers"]))
            r["pages_estimated"] = False
        elif producer.startswith("docx/"):
            r.update(page_metrics(doc, docx_page_texts(path), truth["table_headers"]))
            r["pages_estimated"] = True
        if producer == "pdf/scanned-p2":
            no_ocr_doc = None
            if any("read by OCR" in w for w in doc.warnings):
                try:
                    no_ocr_doc = _extract(path, engine, no_ocr=True)
                except ExtractionError:
                    no_ocr_doc = None
            r["scanned"] = scanned_metrics(doc, no_ocr_doc, folder, truth, ocr_on)
        result["producers"][row] = r
    result["seconds"] = round(time.time() - t0, 2)
    return result


# --- aggregation and printing -----------------------------------------------------------------------

def round_robin(per_doc: list[tuple[str, list]], n: int) -> list[tuple[str, object]]:
    """Up to n examples, taking each document's worst in turn so one document cannot fill the list."""
    out, i = [], 0
    while len(out) < n and any(i < len(xs) for _, xs in per_doc):
        for slug, xs in per_doc:
            if i < len(xs) and len(out) < n:
                out.append((slug, xs[i]))
        i += 1
    return out


def diverse(per_doc: list[tuple[str, list]], n: int, key) -> list[tuple[str, object]]:
    """Up to n examples covering as many kinds (key) as possible, then as many documents."""
    kinds: dict = {}
    for slug, xs in per_doc:
        for x in xs:
            kinds.setdefault(key(x), {}).setdefault(slug, []).append(x)
    groups = [round_robin(list(by_doc.items()), n) for by_doc in
              sorted(kinds.values(), key=lambda g: -sum(len(v) for v in g.values()))]
    out, i = [], 0
    while len(out) < n and any(i < len(g) for g in groups):
        for g in groups:
            if i < len(g) and len(out) < n:
                out.append(g[i])
        i += 1
    return out


def aggregate(results: list[dict], n_examples: int) -> dict:
    table = {}
    for producer in (results[0]["producers"] if results else []):
        rows = [(res["slug"], res["producers"].get(producer, {})) for res in results]
        skipped = [s for s, r in rows if "skipped" in r]
        errors = [(s, r["error"]) for s, r in rows if "error" in r]
        ok = [(s, r) for s, r in rows if "similarity" in r]
        if not ok:
            table[producer] = {"documents": 0, "skipped": bool(skipped),
                               "note": (rows[0][1].get("skipped") if skipped else None), "errors": errors}
            continue
        agg: dict = {"documents": len(ok), "errors": errors}
        agg["similarity"] = round(sum(r["sim_matched"] for _, r in ok) / sum(r["sim_total"] for _, r in ok), 4)
        agg["similarity_min"] = min((r["similarity"], s) for s, r in ok)
        agg["extract_seconds"] = round(sum(r["extract_seconds"] for _, r in ok) / len(ok), 2)
        agg["leaks"] = sum(r["leaks"] for _, r in ok)
        ht, hf = sum(r["headings_true"] for _, r in ok), sum(r["headings_found"] for _, r in ok)
        agg["heading_recall"] = round(hf / ht, 4) if ht else None
        agg["headings"] = f"{hf}/{ht}"
        agg["extra_headings"] = sum(len(r["extra_headings"]) for _, r in ok)
        if all("pages_located" in r for _, r in ok):
            pl, pc = sum(r["pages_located"] for _, r in ok), sum(r["pages_correct"] for _, r in ok)
            agg["page_accuracy"] = round(pc / pl, 4) if pl else None
            agg["pages"] = f"{pc}/{pl}"
            agg["pages_estimated"] = any(r.get("pages_estimated") for _, r in ok)
            agg["unlocated_clauses"] = sum(r["unlocated"] for _, r in ok)
        else:
            agg["page_accuracy"] = None
        if producer.startswith("pdf/scanned-p2"):
            sc = [(s, r["scanned"]) for s, r in ok]
            ocr_vals = [x["tesseract_similarity"] for _, x in sc if x["tesseract_similarity"] is not None]
            statuses: dict[str, int] = {}
            for _, x in sc:
                statuses[x["status"]] = statuses.get(x["status"], 0) + 1
            agg["scanned"] = {
                "status": statuses,
                "needs_ocr_flagged": f"{sum(x['needs_ocr_flagged'] for _, x in sc)}/{len(sc)}",
                "flag_names_page": f"{sum(x['flag_names_page'] for _, x in sc)}/{len(sc)}",
                "extractor_page_similarity": round(sum(x["extractor_page_similarity"] for _, x in sc) / len(sc), 4),
                "tesseract_similarity": round(sum(ocr_vals) / len(ocr_vals), 4) if ocr_vals else None,
                "not_flagged": [s for s, x in sc if not x["needs_ocr_flagged"]],
                "worst_differences": sorted(
                    round_robin([(s, x["extractor_page_differences"]) for s, x in sc], n_examples),
                    key=lambda x: -x[1]["size"]),
            }
        misses: dict = {}
        if agg["similarity"] < TARGETS["similarity"] and not producer.startswith("pdf/scanned-p2"):
            diffs = sorted(((s, d) for s, r in ok for d in r["differences"]), key=lambda x: -x[1]["size"])
            firsts = round_robin([(s, [d for s2, d in diffs if s2 == s]) for s, _ in ok], n_examples)
            misses["similarity"] = sorted(firsts, key=lambda x: -x[1]["size"])
        if agg["leaks"] > TARGETS["leaks"]:
            misses["leaks"] = diverse([(s, r["leaked"]) for s, r in ok], n_examples, key=lambda x: x["kind"])
        # Without OCR the picture page's headings cannot be found: no target for the scanned row then.
        agg["heading_target"] = not (producer.startswith("pdf/scanned-p2") and any(
            r["scanned"]["status"] != "read by OCR" for _, r in ok))
        if agg["heading_recall"] is not None and agg["heading_target"] and agg["heading_recall"] < TARGETS["heading_recall"]:
            misses["heading_recall"] = round_robin([(s, r["missed_headings"]) for s, r in ok], n_examples)
        if agg.get("page_accuracy") is not None and agg["page_accuracy"] < TARGETS["page_accuracy"]:
            misses["page_accuracy"] = round_robin([(s, r["wrong_page"]) for s, r in ok], n_examples)
        if agg["extra_headings"] and misses:
            misses["extra_headings"] = round_robin([(s, r["extra_headings"]) for s, r in ok], n_examples)
        agg["worst"] = misses
        table[producer] = agg
    return table


def _fmt(value, target_ok: bool | None, fmt: str = "{:.3f}") -> str:
    if value is None:
        return "n/a"
    s = fmt.format(value) if not isinstance(value, str) else value
    return s + ("" if target_ok is None or target_ok else " *")


W = 28  # width of the row-name column


def print_report(table: dict, results: list[dict], env: dict, per_doc: bool, seconds: float) -> None:
    slugs = [r["slug"] for r in results]
    print(f"Extraction quality on {len(slugs)} document(s): {', '.join(slugs)}")
    print(f"weasyprint: {env['weasyprint'] or 'not available'}; tesseract: {env['tesseract'] or 'not installed'}; "
          f"PDF engines: {', '.join(e or 'default' for e in env['engines'])}\n")
    head = (f"{'format/producer':{W}} {'docs':>4}  {'similarity':>11}  {'leaks':>6}  {'heading recall':>15}  "
            f"{'page accuracy':>14}  {'extra heads':>11}  {'secs/doc':>8}")
    tgt = (f"{'target':{W}} {'':>4}  {'>= 0.98':>11}  {'0':>6}  {'>= 0.95':>15}  {'>= 0.99':>14}  {'(info)':>11}"
           f"  {'(info)':>8}")
    print(head)
    print(tgt)
    print("-" * len(head))
    for producer, a in table.items():
        if not a.get("documents"):
            note = a.get("note") or "; ".join(f"{s}: {e}" for s, e in a.get("errors", [])) or "no documents"
            print(f"{producer:{W}} {'-':>4}  skipped: {note}")
            continue
        sim_target = None if producer.startswith("pdf/scanned-p2") else a["similarity"] >= TARGETS["similarity"]
        sim = _fmt(a["similarity"], sim_target) + ("" if sim_target is not None else " ~")
        hr = a["heading_recall"]
        hr_s = "n/a" if hr is None else f"{hr:.3f} ({a['headings']})" + (
            " ~" if not a["heading_target"] else "" if hr >= TARGETS["heading_recall"] else " *")
        pa = a.get("page_accuracy")
        if pa is None:
            pa_s = "n/a (1 page)"
        else:
            pa_s = f"{pa:.3f}" + (" est." if a.get("pages_estimated") else "") + (
                "" if pa >= TARGETS["page_accuracy"] else " *")
        leaks = str(a["leaks"]) + ("" if a["leaks"] <= TARGETS["leaks"] else " *")
        print(f"{producer:{W}} {a['documents']:>4}  {sim:>11}  {leaks:>6}  {hr_s:>15}  {pa_s:>14}  "
              f"{a['extra_headings']:>11}  {a['extract_seconds']:>8.2f}")
        for s, e in a.get("errors", []):
            print(f"{'':{W}} error {s}: {e}")
    print("\n* misses its target.  ~ no target: page 2 is a picture, read only if the extractor runs OCR (similarity")
    print("always; heading recall when it did not).")
    print("page accuracy: share of clauses whose page agrees with pypdfium2's text of that page; est. = Word")
    print("file, judged by its explicit page breaks only.  extra heads: section headings that are not true headings.")
    for producer, a in table.items():
        sc = a.get("scanned")
        if not sc:
            continue
        tess = ("not run (--ocr-baseline)" if env["tesseract"] else "n/a (no OCR)") \
            if sc["tesseract_similarity"] is None else f"{sc['tesseract_similarity']:.3f}"
        status = ", ".join(f"{k}: {v}" for k, v in sc["status"].items())
        print(f"\nscanned page {render.SCAN_PAGE} ({producer}): {status}")
        print(f"  with OCR off, reported as needing OCR: {sc['needs_ocr_flagged']} (warning names the page: "
              f"{sc['flag_names_page']})")
        ocr_sim = (f"{sc['extractor_page_similarity']:.3f}" if sc["status"].get("read by OCR")
                   else "n/a (no OCR)" if not env["tesseract"] else f"{sc['extractor_page_similarity']:.3f}")
        print(f"  similarity of the extractor's text for that page (OCR similarity): {ocr_sim}; "
              f"plain tesseract of the same page: {tess}")
        for slug, d in (sc["worst_differences"] if sc["extractor_page_similarity"] < TARGETS["similarity"] else []):
            print("    " + describe("similarity", slug, d))
        if sc["not_flagged"]:
            print(f"  not flagged: {', '.join(sc['not_flagged'])}")
    for producer, a in table.items():
        worst = a.get("worst") or {}
        if not worst:
            continue
        print(f"\n== {producer}: worst examples where a target is missed")
        for metric, examples in worst.items():
            print(f"  -- {metric}" + (" (info, no target)" if metric == "extra_headings" else ""))
            for slug, ex in examples:
                print("    " + describe(metric, slug, ex))
        extra = [(r["slug"], r["producers"][producer].get("unlocated_examples", [])) for r in results
                 if "unlocated_examples" in r["producers"].get(producer, {})]
        if "page_accuracy" in worst and any(x for _, x in extra):
            print(f"  -- clauses found on no page (left out of page accuracy): {a.get('unlocated_clauses')}")
            for slug, ex in round_robin(extra, 2):
                print(f"    {slug}: p{ex['reported']} {ex['text'][:140]!r}")
    if per_doc:
        print("\nper document")
        for res in results:
            print(f"\n{res['slug']}  (two-column section in the WeasyPrint PDF: {res['two_column_section']!r})")
            for producer, r in res["producers"].items():
                if "similarity" not in r:
                    print(f"  {producer:{W}} {r.get('skipped') or r.get('error')}")
                    continue
                pa = (f"{r['pages_correct']}/{r['pages_located']}" if "pages_located" in r else "n/a")
                print(f"  {producer:{W}} sim {r['similarity']:.3f}  leaks {r['leaks']:3}  headings "
                      f"{r['headings_found']}/{r['headings_true']}  pages {pa:>9}  extra heads "
                      f"{len(r['extra_headings'])}  ({r['extract_seconds']:.2f}s)")
    print(f"\n{seconds:.1f}s")


def describe(metric: str, slug: str, ex: dict) -> str:
    if metric == "similarity":
        if ex["kind"] == "missing":
            return f"{slug}: missing {ex['truth'][:150]!r}  (after {ex['after'][-50:]!r})"
        if ex["kind"] == "extra":
            return f"{slug}: extra {ex['extracted'][:150]!r}  (after {ex['after'][-50:]!r})"
        return f"{slug}: true {ex['truth'][:110]!r} -> read {ex['extracted'][:110]!r}"
    if metric == "leaks":
        return f"{slug}: p{ex['page']} {ex['in']} holds a {ex['kind']} ({ex['matched']!r}): {ex['text'][:150]!r}"
    if metric == "heading_recall":
        where = (f"; text is inside clause {ex['found_in_clause'][:90]!r}" if ex["found_in_clause"] else "")
        return (f"{slug}: missed h{ex['level']} {ex['heading']!r} (closest heading {ex['closest']!r}, "
                f"{ex['closest_similarity']:.2f}){where}")
    if metric == "extra_headings":
        return f"{slug}: {ex[:150]!r} read as a heading"
    if metric == "page_accuracy":
        return f"{slug}: reported p{ex['reported']}, on p{ex['actual']}: {ex['text'][:140]!r}"
    return f"{slug}: {ex}"


def pdf_engines(choice: str, ap: argparse.ArgumentParser) -> list[str | None]:
    """[None] for the extractor's default; else engine names, checked against toolkit.extract.pdf."""
    if choice == "default":
        return [None]
    import inspect  # noqa: PLC0415

    from toolkit.extract import extract  # noqa: PLC0415
    from toolkit.extract import pdf as pdf_reader  # noqa: PLC0415

    known = list(getattr(pdf_reader, "ENGINES", ()))
    if "engine" not in inspect.signature(extract).parameters or not known:
        ap.error("this toolkit.extract has no choice of PDF engine")
    wanted = known if choice == "all" else [e.strip() for e in choice.split(",") if e.strip()]
    bad = [e for e in wanted if e not in known]
    if bad:
        ap.error(f"unknown PDF engine {bad[0]!r} (known: {', '.join(known)})")
    return wanted


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("docs", nargs="*", help="corpus slugs (corpus/src/SLUG.md); default all")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_DOCS} documents only")
    ap.add_argument("--json", action="store_true", help="print JSON (aggregate and per document)")
    ap.add_argument("--per-doc", action="store_true", help="also print one line per document and producer")
    ap.add_argument("--examples", type=int, default=3, help="worst examples per missed target (default 3)")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "dipsample-extraction-bench"),
                    help="folder for renderings and OCR output (default: %(default)s)")
    ap.add_argument("--fresh", action="store_true", help="render again even when cached")
    ap.add_argument("--ocr-baseline", action="store_true",
                    help="also OCR the scanned page with plain tesseract (a reference for the extractor's OCR)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    ap.add_argument("--engine", default="default",
                    help="PDF engine(s) of toolkit.extract: default, a name (pdfplumber, pdfium), a comma list, or all")
    ap.add_argument("--strict", action="store_true", help="exit 1 when any target is missed")
    args = ap.parse_args(argv)

    t0 = time.time()
    slugs = args.docs or sorted(p.stem for p in SRC.glob("*.md"))
    unknown = [s for s in slugs if not (SRC / f"{s}.md").exists()]
    if unknown:
        ap.error(f"no source corpus/src/{unknown[0]}.md")
    if args.quick:
        slugs = slugs[:QUICK_DOCS]
    engines = pdf_engines(args.engine, ap)
    # Tesseract's OpenMP threads fight each other on a small machine (4x slower here); output is the same.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    weasy = render.weasyprint_available()
    tess = tesseract_version()
    env = {"weasyprint": weasy, "tesseract": tess, "engines": engines}
    if weasy is None and not args.json:
        print("note: WeasyPrint cannot be imported, so the pdf/weasyprint producer is skipped "
              "(pip install weasyprint; apt-get install -y libpango-1.0-0 libpangoft2-1.0-0)\n")
    if tess is None and not args.json:
        print("note: tesseract is not installed: OCR similarity is n/a (apt-get install -y tesseract-ocr)\n")
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    call = [(s, args.cache, weasy, tess is not None and args.ocr_baseline, args.fresh, tuple(engines)) for s in slugs]
    if args.jobs > 1 and len(slugs) > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(evaluate_document, *zip(*call)))
    else:
        results = [evaluate_document(*c) for c in call]
    table = aggregate(results, args.examples)
    seconds = time.time() - t0
    if args.json:
        print(json.dumps({"targets": TARGETS, "environment": env, "documents": slugs, "seconds": round(seconds, 1),
                          "producers": table, "per_document": results}, indent=1, default=str))
    else:
        print_report(table, results, env, args.per_doc, seconds)
    missed = any(a.get("worst") for a in table.values())
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
