"""The fast PDF engine: PDFium (pypdfium2) words, ruled tables and images, laid out by the same
code as the pdfplumber engine (toolkit.extract.pdf.layout_page).

Per page: the text page's whole text in one call, split into words at whitespace (PDFium inserts
spaces and line breaks where glyphs are apart); each word's box from its first and last
characters' loose boxes (bottom = baseline + font descent, as pdfplumber); font size and name once
per text object (the size scaled by the text matrix, as pdfplumber's). Ruled tables are found from
the page's path segments with pdfplumber's own table geometry (edges snapped, joined, intersected
into cells), so rows come out as "Header: cell" clauses as with pdfplumber, without parsing the
page with pdfminer. About 5 ms per text page in all, against 80-90 ms with pdfplumber.
"""

from __future__ import annotations

import ctypes
import math
import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from toolkit.errors import ExtractionError
from toolkit.extract.pdf import (IMAGE_MIN_SHARE, OUTLINE_CURVES, _SCANNED_MIN_CHARS, Line, _cell, layout_page,
                                 words_to_lines)

# A line-end hyphen PDFium joined to the next line's word (U+FFFE, "IsHyphen") ends the word.
_WORD = re.compile("[^\\s\ufffe]+\ufffe?|\ufffe")
_BOLD = re.compile(r"bold|black|heavy|-b\b|,b", re.I)
# Characters as pdfplumber's extract_words(expand_ligatures=True) gives them; U+FFFE is PDFium's
# mark for a hyphen at the end of a line.
_CHARS = str.maketrans({"\ufb00": "ff", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb01": "fi", "\ufb02": "fl",
                        "\ufb06": "st", "\ufb05": "st", "\ufffe": "-"})
_LEADER = re.compile(r"[._\u00b7\u2024\u2026]+")  # dot leaders (a table of contents)
_X_TOLERANCE = 3  # pdfplumber's: glyphs closer than this are one word unless a space is between
_DESCENT = 0.21  # of the font size below the baseline (Helvetica, Times), for text read turned
_FONT_BUF = 128
_MAX_SEGMENTS = 2000  # a path with more segments is a drawing (a logo, a chart), not table rules
# A path with curves is a drawing (a logo, an icon, text as outlines), not a table's rounded box,
# when it has more segments than a rounded rectangle (18) or is smaller than this many points.
_CURVED_MAX_SEGMENTS, _CURVED_MIN_SIZE = 24, 20
_MAX_FORM_DEPTH = 8  # form XObjects nested deeper than this are not searched for rules and images
_DRAWN = (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM, raw.FPDF_PAGEOBJ_SHADING)
# Table geometry as pdfplumber's default find_tables() settings ("lines" strategy).
_SNAP, _JOIN, _EDGE_MIN, _EDGE_MIN_PREFILTER, _INTERSECT = 3, 3, 3, 1, 3


def _bind(name: str, restype, *argtypes):
    """A PDFium function with plain pointer arguments and results (ints: cheap to compare and hash)."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(getattr(raw, name), ctypes.c_void_p).value)


_text_object = _bind("FPDFText_GetTextObject", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)


def open_pdfium(path: Path, data: bytes) -> pdfium.PdfDocument:
    """The PDF opened by PDFium (an empty password tried), or one clear error naming the file."""
    try:
        return pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ExtractionError(f"{path.name}: the PDF is encrypted and needs a password") from exc
        raise ExtractionError(f"{path.name}: not a readable PDF (corrupt or truncated)") from exc


# --- words --------------------------------------------------------------------------------------

def _page_text(tp, n: int) -> str:
    """The text page's characters, one per character index."""
    buf = (ctypes.c_ushort * (n + 1))()
    got = raw.FPDFText_GetText(tp, 0, n, buf)
    text = memoryview(buf).cast("B")[:2 * max(0, got - 1)].tobytes().decode("utf-16-le", "replace")
    if len(text) != n:  # characters outside the BMP (surrogate pairs): one at a time
        text = "".join(chr(c) if 0 < c < 0x110000 and not 0xD800 <= c < 0xE000 else "\ufffd"
                       for c in (raw.FPDFText_GetUnicode(tp, i) for i in range(n)))
    return text


class _View:
    """Page coordinates as pdfplumber has them (x from the left, y down from the top of the page
    box), turned a quarter `turn` times so that text running up, upside down or down (a landscape
    table drawn on a portrait page) reads left to right."""

    def __init__(self, box: tuple, turn: int = 0):
        self.left, self.bottom, self.right, self.top = box
        self.turn = turn
        w, h = self.right - self.left, self.top - self.bottom
        self.width, self.height = (h, w) if turn % 2 else (w, h)

    def point(self, x: float, y: float) -> tuple[float, float]:
        t = self.turn
        if t == 0:
            return x - self.left, self.top - y
        if t == 1:
            return y - self.bottom, x - self.left
        if t == 2:
            return self.right - x, y - self.bottom
        return self.top - y, self.right - x

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """(x0, top, x1, bottom) of a page rectangle."""
        (ax, ay), (bx, by) = self.point(left, bottom), self.point(right, top)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _words(tp, box: tuple) -> tuple[list[dict], int, _View]:
    """The page's words as pdfplumber's extract_words(extra_attrs=["size", "fontname"]) gives them,
    the text page's character count, and the view (turned when most text runs sideways)."""
    n = raw.FPDFText_CountChars(tp)
    if n <= 0:
        return [], 0, _View(box)
    text = _page_text(tp, n)
    rect = raw.FS_RECTF()
    prect = ctypes.byref(rect)
    matrix = raw.FS_MATRIX()
    pmatrix = ctypes.byref(matrix)
    name_buf = ctypes.create_string_buffer(_FONT_BUF)
    flags = ctypes.c_int(0)
    fonts: dict[int | None, tuple[float, str, int]] = {}

    def font(i: int, obj: int | None) -> tuple[float, str, int]:
        """(size, font name, quarter turns of the writing direction) of the text object drawing
        character i, once per object."""
        got = fonts.get(obj)
        if got is None:
            raw.FPDFText_GetMatrix(tp, i, pmatrix)
            size = raw.FPDFText_GetFontSize(tp, i) * math.hypot(matrix.c, matrix.d)
            if size <= 0:
                raw.FPDFText_GetLooseCharBox(tp, i, prect)
                size = rect.top - rect.bottom
            k = raw.FPDFText_GetFontInfo(tp, i, name_buf, _FONT_BUF, ctypes.byref(flags))
            name = name_buf.raw[:max(0, min(k, _FONT_BUF) - 1)].decode("latin-1", "replace")
            if raw.FPDFText_GetFontWeight(tp, i) >= 600 and not _BOLD.search(name):
                name += "-Bold"
            turn = round(math.atan2(matrix.b, matrix.a) / (math.pi / 2)) % 4
            got = fonts[obj] = (round(size, 4), name, turn)
        return got

    spans: list[tuple[int, int, tuple]] = []  # (first char, end, font) of each word
    for m in _WORD.finditer(text):
        a, b = m.span()
        oa = _text_object(tp, a)
        attrs = font(a, oa)
        ob = _text_object(tp, b - 1)
        if ob == oa or font(b - 1, ob) == attrs:
            spans.append((a, b, attrs))
            continue
        # A font change inside the word (bold then regular): pieces that touch, as pdfplumber splits.
        start = a
        for i in range(a + 1, b):
            o = _text_object(tp, i)
            f = font(i, o) if o else attrs
            if f != attrs:
                spans.append((start, i, attrs))
                start, attrs = i, f
        spans.append((start, b, attrs))

    turns = [0, 0, 0, 0]
    for a, b, attrs in spans:
        turns[attrs[2]] += b - a
    view = _View(box, max(range(4), key=lambda t: (turns[t], t == 0)))
    left, top = view.left, view.top
    x, y = ctypes.c_double(), ctypes.c_double()
    px, py = ctypes.byref(x), ctypes.byref(y)
    cbox = [ctypes.c_double() for _ in range(4)]
    pbox = [ctypes.byref(v) for v in cbox]
    words: list[dict] = []
    for a, b, (size, name, _) in spans:
        if view.turn == 0:  # loose boxes: bottom = baseline + font descent, as pdfplumber's
            raw.FPDFText_GetLooseCharBox(tp, a, prect)
            x0, base = rect.left - left, top - rect.bottom
            if b - 1 != a:
                raw.FPDFText_GetLooseCharBox(tp, b - 1, prect)
            x1 = rect.right - left
        else:  # glyph boxes (PDFium's loose boxes assume upright text) and the baseline, turned
            raw.FPDFText_GetCharBox(tp, a, *pbox)
            x0 = view.box(cbox[0].value, cbox[2].value, cbox[1].value, cbox[3].value)[0]
            raw.FPDFText_GetCharBox(tp, b - 1, *pbox)
            x1 = view.box(cbox[0].value, cbox[2].value, cbox[1].value, cbox[3].value)[2]
            raw.FPDFText_GetCharOrigin(tp, a, px, py)
            base = view.point(x.value, y.value)[1] + _DESCENT * size
        word = text[a:b]
        if not word.isascii():
            word = word.translate(_CHARS)
        if words and _LEADER.fullmatch(word):
            last = words[-1]
            if _LEADER.fullmatch(last["text"]) and abs(last["bottom"] - base) < 0.5 \
                    and 0 <= x0 - last["x1"] <= _X_TOLERANCE:
                last["text"] += word  # dot leaders PDFium spaced out: one word, as pdfplumber reads them
                last["x1"] = x1
                continue
        words.append({"text": word, "x0": x0, "x1": x1, "top": base - size, "bottom": base, "size": size,
                      "fontname": name})
    return words, n, view


# --- rules, tables and images -------------------------------------------------------------------

def _apply(m: tuple, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _compose(inner: tuple, outer: tuple) -> tuple:
    """The matrix applying `inner` and then `outer`."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _matrix(obj) -> tuple:
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


class _Shapes:
    """What a page draws besides text: straight rules (pdfplumber edge dicts), image boxes, and
    counts for scanned-page detection."""

    def __init__(self, page, view: _View):
        self.view = view
        self.edges: list[dict] = []
        self.images: list[tuple] = []
        self.paths = 0
        self.drawn = False
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        self._box = [ctypes.c_float() for _ in range(4)]
        self._pbox = [ctypes.byref(v) for v in self._box]
        self._walk(raw.FPDFPage_CountObjects(page), lambda k: raw.FPDFPage_GetObject(page, k), _IDENTITY, 0)

    def _walk(self, count: int, get, outer: tuple, depth: int) -> None:
        for k in range(count):
            obj = get(k)
            kind = raw.FPDFPageObj_GetType(obj)
            if depth == 0 and kind in _DRAWN:
                self.drawn = True
            if kind == raw.FPDF_PAGEOBJ_PATH:
                self.paths += 1
                self._path(obj, outer)
            elif kind == raw.FPDF_PAGEOBJ_IMAGE:
                self.drawn = True
                self._image(obj, outer)
            elif kind == raw.FPDF_PAGEOBJ_FORM and depth < _MAX_FORM_DEPTH:
                self._walk(raw.FPDFFormObj_CountObjects(obj), lambda j, f=obj: raw.FPDFFormObj_GetObject(f, j),
                           _compose(_matrix(obj), outer), depth + 1)

    def _to_page(self, m: tuple, x: float, y: float) -> tuple[float, float]:
        return self.view.point(*_apply(m, x, y))

    def _bounds(self, obj, outer: tuple) -> tuple | None:
        """The object's box on the page (x0, top, x1, bottom)."""
        l, b, r, t = self._box
        if not raw.FPDFPageObj_GetBounds(obj, *self._pbox):
            return None
        pts = [self._to_page(outer, x, y) for x in (l.value, r.value) for y in (b.value, t.value)]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return min(xs), min(ys), max(xs), max(ys)

    def _image(self, obj, outer: tuple) -> None:
        box = self._bounds(obj, outer)
        if box:
            self.images.append(box)

    def _path(self, obj, outer: tuple) -> None:
        """Axis-parallel straight segments of the path (a rectangle's four sides), as pdfplumber's
        page.edges has them. Curves are left out, and so are paths too small to hold a rule and
        drawings (see _CURVED_MAX_SEGMENTS)."""
        n = raw.FPDFPath_CountSegments(obj)
        if n < 2 or n > _MAX_SEGMENTS:
            return
        box = self._bounds(obj, outer)
        if box is None or box[2] - box[0] < _EDGE_MIN and box[3] - box[1] < _EDGE_MIN:
            return
        small = box[2] - box[0] < _CURVED_MIN_SIZE and box[3] - box[1] < _CURVED_MIN_SIZE
        m = _compose(_matrix(obj), outer)
        px, py = ctypes.byref(self._x), ctypes.byref(self._y)
        start = cur = None
        edges: list[dict] = []
        for j in range(n):
            seg = raw.FPDFPath_GetPathSegment(obj, j)
            kind = raw.FPDFPathSegment_GetType(seg)
            if kind == raw.FPDF_SEGMENT_BEZIERTO and (n > _CURVED_MAX_SEGMENTS or small):
                return
            raw.FPDFPathSegment_GetPoint(seg, px, py)
            p = self._to_page(m, self._x.value, self._y.value)
            if kind == raw.FPDF_SEGMENT_MOVETO:
                start = cur = p
                continue
            if kind == raw.FPDF_SEGMENT_LINETO and cur is not None:
                _edge(edges, cur, p)
            cur = p
            if raw.FPDFPathSegment_GetClose(seg) and start is not None:
                _edge(edges, cur, start)
                cur = start
        self.edges.extend(edges)


def _edge(edges: list[dict], p: tuple, q: tuple) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 0.01:
        x0, x1 = min(x0, x1), max(x0, x1)
        edges.append({"x0": x0, "x1": x1, "top": y0, "bottom": y0, "width": x1 - x0, "height": 0,
                      "orientation": "h"})
    elif abs(x0 - x1) < 0.01:
        y0, y1 = min(y0, y1), max(y0, y1)
        edges.append({"x0": x0, "x1": x0, "top": y0, "bottom": y1, "width": 0, "height": y1 - y0,
                      "orientation": "v"})


def _tables(edges: list[dict], words: list[dict]) -> list[tuple]:
    """Ruled tables as (bbox, rows of cell texts), found as pdfplumber's find_tables() finds them."""
    if sum(e["orientation"] == "h" for e in edges) < 2 or sum(e["orientation"] == "v" for e in edges) < 2:
        return []
    from pdfplumber import utils
    from pdfplumber.table import Table, cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    found = utils.filter_edges(edges, "v", min_length=_EDGE_MIN_PREFILTER) + utils.filter_edges(
        edges, "h", min_length=_EDGE_MIN_PREFILTER)
    found = utils.filter_edges(merge_edges(found, _SNAP, _SNAP, _JOIN, _JOIN), min_length=_EDGE_MIN)
    cells = intersections_to_cells(edges_to_intersections(found, _INTERSECT, _INTERSECT))
    out = []
    for group in cells_to_tables(cells):
        table = Table(None, group)
        rows = []
        for row in table.rows:  # cell text from the words whose middle is in the cell, as pdfplumber's chars
            in_row = _within(words, row.bbox)
            rows.append([_cell("\n".join(ln.text for ln in words_to_lines(_within(in_row, cell), 0))) if cell else ""
                         for cell in row.cells])
        out.append((table.bbox, rows))
    return out


def _within(words: list[dict], box: tuple) -> list[dict]:
    x0, top, x1, bottom = box
    return [w for w in words if x0 <= (w["x0"] + w["x1"]) / 2 < x1 and top <= (w["top"] + w["bottom"]) / 2 < bottom]


# --- pages --------------------------------------------------------------------------------------

def _page(pdf, i: int) -> tuple[list[Line], float, int, bool]:
    page = raw.FPDF_LoadPage(pdf.raw, i)
    if not page:
        raise ExtractionError(f"page {i + 1} cannot be read")
    try:
        rect = raw.FS_RECTF()
        if raw.FPDF_GetPageBoundingBox(page, ctypes.byref(rect)) and rect.right > rect.left and rect.top > rect.bottom:
            box = (rect.left, rect.bottom, rect.right, rect.top)
        else:
            box = (0.0, 0.0, raw.FPDF_GetPageWidthF(page), raw.FPDF_GetPageHeightF(page))
        tp = raw.FPDFText_LoadPage(page)
        try:
            words, n_chars, view = _words(tp, box) if tp else ([], 0, _View(box))
        finally:
            if tp:
                raw.FPDFText_ClosePage(tp)
        shapes = _Shapes(page, view)
    finally:
        raw.FPDF_ClosePage(page)
    area = view.width * view.height
    images = [b for b in shapes.images if n_chars >= _SCANNED_MIN_CHARS
              and (b[2] - b[0]) * (b[3] - b[1]) >= IMAGE_MIN_SHARE * area]
    lines = layout_page(words, _tables(shapes.edges, words), images, view.width, view.height, i + 1)
    return lines, float(view.height), n_chars, shapes.drawn or shapes.paths >= OUTLINE_CURVES


def read_pdfium(path: Path, data: bytes) -> tuple[list[list[Line]], list[float], list[int], list[bool]]:
    """Lines of every page, page heights, character counts and whether each page draws anything
    OCR could read (for scanned-page detection)."""
    pdf = open_pdfium(path, data)
    pages_lines, heights, chars, drawn = [], [], [], []
    try:
        for i in range(len(pdf)):
            try:
                lines, height, n_chars, ink = _page(pdf, i)
            except ExtractionError as exc:
                raise ExtractionError(f"{path.name}: {exc}") from exc
            pages_lines.append(lines)
            heights.append(height)
            chars.append(n_chars)
            drawn.append(ink)
    finally:
        pdf.close()
    return pages_lines, heights, chars, drawn
