"""PDFs with pdfplumber: reading order, running headers/footers removed, headings from font size
and weight, bullets and tables kept as clauses, two-column pages read column by column."""

from __future__ import annotations

import io
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import PdfminerException

from toolkit.errors import ExtractionError
from toolkit.extract import ocr
from toolkit.extract.text import blocks_from_text, table_rows
from toolkit.segment import Block, Extracted, heading_level_from_text

# Tolerances (points unless stated).
LINE_TOLERANCE = 3.0  # words whose tops differ by less than this share a line
MARGIN_BAND = 0.09  # top/bottom share of the page where running headers and footers live
REPEAT_SHARE = 0.5  # a margin line on at least this share of pages is a running header/footer
HEADING_SIZE_RATIO = 1.12  # a line this much larger than body text is a heading
PARA_GAP_RATIO = 0.6  # a vertical gap above this share of the line height starts a paragraph
GUTTER_MIN_SHARE = 0.3  # a two-column gutter lies in the middle 40% of the page
IMAGE_MIN_SHARE = 0.08  # an image this share of a text page or larger may hold text (a ladder, a
                        # flowchart); smaller ones are logos and icons
_BULLETS = ("\u2022", "\u25cf", "\u25aa", "\u25e6", "-", "\u2013", "*", "\uf0b7", "\u2043")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.I)
_DIGITS = re.compile(r"\d+")
_SCANNED_MIN_CHARS = 20
_CID = re.compile(r"\(cid:\d+\)\s*")  # glyphs without a Unicode mapping (often bullets)


@dataclass
class Line:
    text: str
    top: float
    bottom: float
    x0: float
    size: float
    bold: bool
    page: int
    kind: str = "line"  # line | row (a table row already made into clause text) | image
    box: tuple | None = None  # an image's (x0, top, x1, bottom), to be read by OCR


def words_to_lines(words: list[dict], page_no: int) -> list[Line]:
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) < LINE_TOLERANCE:
            lines[-1].append(w)
        else:
            lines.append([w])
    out = []
    for ws in lines:
        ws.sort(key=lambda w: w["x0"])
        sizes = [w["size"] for w in ws]
        bold = all(re.search(r"bold|black|heavy|-b\b|,b", w["fontname"], re.I) for w in ws)
        text = ws[0]["text"]
        for prev, w in zip(ws, ws[1:]):
            # Words split only by a font change (italic, bold) touch: no space between them.
            text += ("" if w["x0"] - prev["x1"] < w["size"] * 0.12 else " ") + w["text"]
        text = _CID.sub(lambda m: "\u2022" if m.start() == 0 else "", text).strip()
        out.append(Line(text, min(w["top"] for w in ws),
                        max(w["bottom"] for w in ws), ws[0]["x0"], median(sizes), bold, page_no))
    return out


def gutter(words: list[dict], width: float) -> float | None:
    """The x of a vertical gap splitting the page's body words into two columns, if any."""
    body = [w for w in words if w["x1"] - w["x0"] < width * 0.5]
    if len(body) < 40:
        return None
    # Counts at each candidate x by bisection over sorted edges (a word with x0 < x1 crosses x when
    # x0 < x and not x1 <= x); the same counts as testing every word at every x, 50x faster.
    x0s, x1s = sorted(w["x0"] for w in body), sorted(w["x1"] for w in body)
    spans = [w for w in body if w["x0"] < w["x1"]]
    s0, s1 = sorted(w["x0"] for w in spans), sorted(w["x1"] for w in spans)
    n = len(body)
    lo, hi = width * GUTTER_MIN_SHARE, width * (1 - GUTTER_MIN_SHARE)
    best = None
    for x in range(int(lo), int(hi), 2):
        crossing = bisect_left(s0, x) - bisect_right(s1, x)
        left = bisect_right(x1s, x)
        right = n - bisect_left(x0s, x)
        if crossing <= n * 0.01 and left > n * 0.2 and right > n * 0.2:
            if best is None or crossing < best[0]:
                best = (crossing, x)
    return float(best[1]) if best else None


def _cell(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").split("\n") if ln.strip()]
    out = lines[0] if lines else ""
    for ln in lines[1:]:
        out = _join(out, ln)
    return out


def split_margins(words: list[dict], height: float) -> tuple[list[dict], list[dict]]:
    """(words in the top/bottom margin bands, the rest): running headers and footers are read as
    whole lines before a two-column page is split, so they are recognised on every page."""
    top, bottom = height * MARGIN_BAND, height * (1 - MARGIN_BAND)
    margin = [w for w in words if w["bottom"] <= top or w["top"] >= bottom]
    return margin, [w for w in words if not (w["bottom"] <= top or w["top"] >= bottom)]


def split_columns(words: list[dict], split: float | None) -> list[list[dict]]:
    if split is None:
        return [words]
    return [[w for w in words if w["x0"] < split], [w for w in words if w["x0"] >= split]]


def _in_box(word: dict, box) -> bool:
    x0, top, x1, bottom = box
    return word["x0"] >= x0 - 1 and word["x1"] <= x1 + 1 and word["top"] >= top - 1 and word["bottom"] <= bottom + 1


def layout_page(words: list[dict], tables: list[tuple], images: list[tuple], width: float, height: float,
                page_no: int) -> list[Line]:
    """A page's lines in reading order, for either engine: words (dicts with text, x0, x1, top,
    bottom, size, fontname) outside the tables, each table's rows (bbox, rows of cell texts) and the
    boxes of large images, placed in their column when the page has two."""
    boxes = [bbox for bbox, _ in tables]
    if boxes:
        words = [w for w in words if not any(_in_box(w, b) for b in boxes)]
    margins, words = split_margins(words, height)
    split = gutter(words, width)
    columns = split_columns(words, split)
    lines: list[Line] = words_to_lines(margins, page_no)
    for col_words in columns:
        col = words_to_lines(col_words, page_no)
        for bbox, rows in tables:
            x0 = bbox[0]
            if split is not None and (x0 >= split) != (col_words is columns[-1]):
                continue
            for i, text in enumerate(table_rows(rows)):
                col.append(Line(text, bbox[1] + i * 0.01, bbox[1], x0, 0, False, page_no, "row"))
        for box in images:  # a picture of a ladder or flowchart on a text page, read later by OCR
            if split is None or (box[0] >= split) == (col_words is columns[-1]):
                col.append(Line("", box[1], box[3], box[0], 0, False, page_no, "image", box))
        col.sort(key=lambda ln: ln.top)
        lines.extend(col)
    return lines


def page_lines(page, page_no: int) -> tuple[list[Line], int]:
    words = page.extract_words(extra_attrs=["size", "fontname"], use_text_flow=False)
    tables = [(t.bbox, [[_cell(c) for c in row] for row in t.extract()]) for t in page.find_tables()]
    area = float(page.width * page.height)
    images = [(im["x0"], im["top"], im["x1"], im["bottom"]) for im in page.images
              if len(page.chars) >= _SCANNED_MIN_CHARS
              and (im["x1"] - im["x0"]) * (im["bottom"] - im["top"]) >= IMAGE_MIN_SHARE * area]
    return layout_page(words, tables, images, page.width, float(page.height), page_no), len(page.chars)


def _running_lines(pages: list[list[Line]], heights: list[float]) -> set[str]:
    """Normalised texts of lines repeated in the top/bottom margins across pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines, height in zip(pages, heights):
        seen = {_DIGITS.sub("#", ln.text.lower()) for ln in lines
                if ln.kind == "line" and (ln.top < height * MARGIN_BAND or ln.bottom > height * (1 - MARGIN_BAND))}
        counts.update(seen)
    need = max(2, int(len(pages) * REPEAT_SHARE))
    return {text for text, n in counts.items() if n >= need}


def _is_bullet(text: str) -> bool:
    return text.startswith(_BULLETS) or bool(re.match(r"^(\(?[a-z0-9]{1,2}[.)])\s", text))


def _strip_bullet(text: str) -> str:
    return re.sub(r"^(?:[\u2022\u25cf\u25aa\u25e6\-\u2013*\uf0b7\u2043]|\(?[a-z0-9]{1,2}[.)])\s*", "", text)


def _join(prev: str, nxt: str) -> str:
    """Join two lines of one paragraph, repairing a word hyphenated across the line break:
    "behav-" + "iour" -> "behaviour", but "e-" + "cigarettes" keeps its hyphen."""
    m = re.search(r"([A-Za-z]+)-$", prev)
    if m and nxt[:1].islower():
        first = re.match(r"[a-z]+", nxt).group(0)
        whole = (m.group(1) + first).lower()
        if whole in _words():
            return prev[:-1] + nxt
        return prev + nxt
    return f"{prev} {nxt}"


def _words():
    from toolkit.nlp import vocabulary

    return vocabulary()


def _blocks(lines: list[Line], body_size: float) -> list[Block]:
    blocks: list[Block] = []
    heights = [ln.bottom - ln.top for ln in lines if ln.kind == "line"]
    line_h = median(heights) if heights else 12.0
    prev: Line | None = None
    for ln in lines:
        if ln.kind in ("row", "image"):
            blocks.append(Block(ln.kind, ln.text, ln.page))
            prev = None
            continue
        text = ln.text.strip()
        level = 0
        if ln.size >= body_size * HEADING_SIZE_RATIO and len(text) < 120:
            level = 1 if ln.size >= body_size * 1.6 else 2 if ln.size >= body_size * 1.25 else 3
        elif ln.bold and len(text.split()) <= 14 and not text.endswith((".", ",")) and not _is_bullet(text):
            level = heading_level_from_text(text) or 3
        if level:
            if blocks and blocks[-1].kind == "heading" and prev is not None and abs(prev.size - ln.size) < 0.2 \
                    and ln.top - prev.bottom < line_h * PARA_GAP_RATIO and ln.page == prev.page:
                blocks[-1].text += " " + text  # a heading wrapped over two lines
            else:
                blocks.append(Block("heading", text, ln.page, level))
            prev = ln
            continue
        new_block = (
            prev is None or not blocks or blocks[-1].kind in ("heading", "row")
            or _is_bullet(text)
            or ln.page > prev.page + 1  # a page between them was not read
            or ln.page != prev.page and prev.text.rstrip().endswith((".", ":", ";")) and ln.x0 <= prev.x0
            or ln.page == prev.page and ln.top - prev.bottom > line_h * PARA_GAP_RATIO
            or ln.page == prev.page and ln.top < prev.top  # next column
        )
        if new_block:
            kind = "item" if _is_bullet(text) else "para"
            blocks.append(Block(kind, _strip_bullet(text) if kind == "item" else text, ln.page))
        else:
            if ln.page != blocks[-1].page and not blocks[-1].page_breaks:
                blocks[-1].page_breaks = []
            joined = _join(blocks[-1].text, text)
            if ln.page != (blocks[-1].page_breaks[-1][1] if blocks[-1].page_breaks else blocks[-1].page):
                blocks[-1].page_breaks.append((len(joined) - len(text), ln.page))
            blocks[-1].text = joined
        prev = ln
    return blocks


OUTLINE_CURVES = 20  # a page without text drawing this many curves may be text turned into outlines


def _read_pdfplumber(path: Path, data: bytes) -> tuple[list[list[Line]], list[float], list[int], list[bool]]:
    """Lines of every page (pdfplumber: words, fonts and ruled tables), page heights, char counts,
    and whether each page draws anything OCR could read (images, many curves)."""
    try:
        pdf = pdfplumber.open(io.BytesIO(data), password="")
        pages_lines, heights, chars, drawn = [], [], [], []
        with pdf:
            for i, page in enumerate(pdf.pages, start=1):
                lines, n_chars = page_lines(page, i)
                pages_lines.append(lines)
                heights.append(float(page.height))
                chars.append(n_chars)
                drawn.append(bool(page.images) or len(page.curves) >= OUTLINE_CURVES)
                page.close()  # pdfplumber caches every parsed page until told otherwise
    except (PdfminerException, PSException, PDFPasswordIncorrect, ValueError, KeyError, TypeError) as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect) or "password" in repr(exc).lower() or "encrypt" in repr(exc).lower():
            raise ExtractionError(f"{path.name}: the PDF is encrypted and needs a password") from exc
        raise ExtractionError(f"{path.name}: not a readable PDF (corrupt or truncated)") from exc
    return pages_lines, heights, chars, drawn


def count_pages(path: Path, data: bytes) -> int:
    """The page count from PDFium, which opens only a structurally sound file: a corrupt,
    truncated or password-protected PDF is refused here, and the page limit is checked, before
    the slow reader starts."""
    from toolkit.extract.pdfium import open_pdfium

    pdf = open_pdfium(path, data)
    try:
        return len(pdf)
    finally:
        pdf.close()


ENGINES = ("pdfium", "pdfplumber")
DEFAULT_ENGINE = "pdfium"  # as accurate as pdfplumber on benchmarks/extraction.py, ~15x faster (docs/extraction.md)


def extract_pdf(path: Path, data: bytes, *, engine: str = DEFAULT_ENGINE) -> Extracted:
    from toolkit.extract import check_pages

    warnings: list[str] = []
    if engine not in ENGINES:
        raise ValueError(f"unknown PDF engine {engine!r} (choose from {', '.join(ENGINES)})")
    check_pages(path.name, count_pages(path, data))
    if engine == "pdfplumber":
        pages_lines, heights, chars, drawn = _read_pdfplumber(path, data)
    else:
        from toolkit.extract.pdfium import read_pdfium

        pages_lines, heights, chars, drawn = read_pdfium(path, data)
    n_pages = len(pages_lines)
    if n_pages == 0:
        raise ExtractionError(f"{path.name}: the PDF has no pages")
    textless = [i for i, n in enumerate(chars, start=1) if n < _SCANNED_MIN_CHARS]
    scanned = [i for i in textless if drawn[i - 1]]  # blank pages are not "unread"
    if len(textless) == n_pages and not scanned:
        raise ExtractionError(f"{path.name}: no text found: every page is blank (no text layer and no images)")
    ocr_blocks: dict[int, list[Block]] = {}
    unread: list[int] = []
    if scanned and ocr.available():
        for i in scanned:
            text = ocr.ocr_pdf_page(data, i - 1)
            if len(text.strip()) >= _SCANNED_MIN_CHARS:
                ocr_blocks[i] = text  # made into blocks once the running headers are known
            else:
                unread.append(i)
        if ocr_blocks:
            warnings.append(f"page(s) {_pages(ocr_blocks)} have no text layer: read by OCR (check quotes against the original)")
    else:
        unread = scanned
    if unread:
        warnings.append(f"page(s) {_pages(unread)} not read: no text layer (scanned?); needs OCR"
                        + ("" if ocr.available() else " (Tesseract is not installed)"))
    running = _running_lines(pages_lines, heights)
    for i, text in ocr_blocks.items():
        ocr_blocks[i] = [Block(b.kind, b.text, i, b.level) for b in blocks_from_text(_clean_ocr(text, running))]
    unread_images = _read_images(data, pages_lines, running)
    if unread_images:
        warnings.append(f"image(s) on page(s) {_pages(unread_images)} not read"
                        + (": no text found in them" if ocr.available() else ": Tesseract is not installed")
                        + "; a consequence ladder or flowchart there is not judged")
        unread = sorted(set(unread) | set(unread_images))
    elif any(ln.kind == "image" and ln.text for pl in pages_lines for ln in pl):
        warnings.append("text in images read by OCR (check quotes against the original)")
    lines = []
    for page_lines, height in zip(pages_lines, heights):
        for ln in page_lines:
            if ln.kind == "image" and not ln.text:
                continue
            if ln.kind == "line":
                norm = _DIGITS.sub("#", ln.text.lower())
                in_margin = ln.top < height * MARGIN_BAND or ln.bottom > height * (1 - MARGIN_BAND)
                if in_margin and (norm in running or _PAGE_NUMBER.match(ln.text.strip())):
                    continue
            lines.append(ln)
    sizes: Counter[float] = Counter()  # characters per font size (the most common is the body text's)
    for ln in lines:
        if ln.kind == "line" and ln.text:
            sizes[round(ln.size, 1)] += len(ln.text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    blocks = _blocks(lines, body)
    if ocr_blocks:  # put OCR'd pages back in page order
        blocks = sorted(blocks + [b for bs in ocr_blocks.values() for b in bs], key=lambda b: b.page)
    return Extracted(blocks, n_pages, warnings, unread)


IMAGE_OCR_SCALE = 300 / 72


def _read_images(data: bytes, pages_lines: list[list[Line]], running: set[str]) -> list[int]:
    """OCR every large image on a text page into its Line; returns the pages whose images could
    not be read (no OCR, or no text found in an image that is large enough to matter)."""
    todo = [ln for pl in pages_lines for ln in pl if ln.kind == "image"]
    if not todo:
        return []
    if not ocr.available():
        return sorted({ln.page for ln in todo})
    import io as _io

    from toolkit.extract.pdfium import open_pdfium

    pdf = open_pdfium(Path("document.pdf"), data)
    unread = set()
    try:
        for ln in todo:
            page = pdf[ln.page - 1]
            try:
                image = page.render(scale=IMAGE_OCR_SCALE).to_pil()
            finally:
                page.close()
            x0, top, x1, bottom = (v * IMAGE_OCR_SCALE for v in ln.box)
            buf = _io.BytesIO()
            image.crop((int(x0), int(top), int(x1) + 1, int(bottom) + 1)).convert("L").save(buf, format="PNG")
            text = _clean_ocr(ocr.ocr_png(buf.getvalue()), running)
            ln.text = " ".join(text.split())
            if len(ln.text) < _SCANNED_MIN_CHARS:
                ln.text = ""
                unread.add(ln.page)
    finally:
        pdf.close()
    return sorted(unread)


_OCR_BULLET = re.compile(r"^(?:[e«°*•©®]|\(?[eo]\)?)\s+(?=[A-Z])")


def _clean_ocr(text: str, running: set[str]) -> str:
    """OCR text of a scanned page without its running header/footer (matched loosely: OCR
    misreads letters) and with misread bullet glyphs ("e Arrive on time") made bullets again."""
    from difflib import SequenceMatcher

    out = []
    for line in text.splitlines():
        norm = _DIGITS.sub("#", line.strip().lower())
        if _PAGE_NUMBER.match(line.strip()) or any(
                SequenceMatcher(None, norm, r).ratio() > 0.85 or (len(r) > 12 and norm.startswith(r)) for r in running):
            continue
        out.append(_OCR_BULLET.sub("- ", line))
    return "\n".join(out)


def _pages(pages) -> str:
    return ", ".join(map(str, sorted(pages)))
