"""Noise that copies of a policy on other websites carry, beyond the site chrome html.py drops.

Document-mirror sites (docplayer-like copies of a school's PDF) wrap the policy in counters
("1,234 downloads", "Views: 567"), actions ("Download PDF", "Report this document"), uploader and
rating lines, page widgets ("Page 3 of 24") and lists of other schools' documents ("Similar
documents"), often in plain <div>s without telling class names, so they are known by their words.
An element is such a line only when nothing but those words is left once they are taken out: a
policy sentence that mentions downloading a form keeps its other words and stays. A list of other
documents goes only on a page that shows mirror counters, and only when it is mostly links, so a
school's own "Related policies" or "Related documents" list stays. Pages marked by the mirror
(<div id="page-3">, data-page-number) give the clauses their page numbers; lines repeated on most
of those pages are the PDF's running header or footer.

A MediaWiki diff page shows two revisions side by side. The policy is read once, as the newer
revision: the rendered revision under the diff when the page has one (MediaWiki's default), else
the diff's right-hand side (context and added lines, <del> dropped), rebuilt from wikitext.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

from bs4 import BeautifulSoup, Tag

from toolkit.segment import Block

_COUNTED = r"(?:downloads?|views?|pages?|likes?|reads?|shares?|comments?|followers?|votes?|ratings?|reviews?)"
# Pieces of mirror and wiki chrome; a line made of nothing else (bar digits and punctuation) is chrome.
_CHROME_PIECES = re.compile(rf"""
    \bpage\s+\d+(?:\s*(?:of|/)\s*\d+)?\b | ^\s*\d+\s*/\s*\d+\s*$        # Page 3 of 24, 3 / 24
  | \d[\d,.]*\s*[km]?\s+{_COUNTED}\b                                   # 1,234 downloads
  | \b(?:{_COUNTED}|rating|file\s+size|size)\s*:?\s*\d[\d,.]*\s*(?:[km]b)?\b  # Views: 567
  | [\u2605\u2606\u2729\u2b50]+ | \b\d(?:\.\d)?\s*(?:/\s*5|out\s+of\s+5)(?:\s+stars?)?  # ratings
  | \b(?:download|save|print|embed|share|report|flag|upload|read|view)
      (?:\s+(?:this|the|your|a|as|to|in|for|free|full))*
      \s+(?:documents?|files?|pdf|docx?|pptx?|slides|library|abuse|online|now)\b  # Download PDF
  | \bdownload\s*\((?:pdf|docx?|pptx?)[^)]*\) | ^\s*(?:download|embed|share)\s*$
  | \b(?:document\s+|full\s+)?transcript\b | \b(?:show|read|load)\s+(?:more|less)\b
  | \((?:edit|undo|diff|hist|talk|contribs)(?:\s*\|\s*(?:talk|contribs|diff|hist))*\)  # wiki: (edit)
  | \u2190?\s*\b(?:older|newer|previous|next)\s+(?:edit|revision)\b\s*\u2192?        # Older edit
""", re.I | re.X)
# Lines that start as chrome and go on with a name or a date.
_CHROME_LINE = re.compile(r"^(?:uploaded\s+(?:by|on)\s|(?:latest\s+|current\s+)?revision\s+as\s+of\s+\d{1,2}:\d\d)",
                          re.I)
_SEEN = r"(?:downloads?|views?|likes?|reads?|votes?|followers?)"
_MIRROR_SIGN = re.compile(rf"\d[\d,.]*\s*[km]?\s+{_SEEN}\b|\b{_SEEN}\s*:?\s*\d|^uploaded\s+by\b", re.I)
MAX_CHROME_CHARS = 120  # a chrome line is short
_LETTER = re.compile(r"[^\W\d_]")

_LISTING_TITLE = re.compile(
    r"^(?:(?:similar|related|recommended|popular|trending|other|more)\s+(?:documents?|uploads?|files?|pdfs?|"
    r"presentations?|content|searches)|more\s+(?:from|by)\s+(?:this\s+|the\s+)?(?:user|author|uploader)|"
    r"documents?\s+similar\s+to\b.*|you\s+(?:may|might)\s+also\s+(?:like|be\s+interested\s+in)|"
    r"people\s+also\s+(?:read|viewed|downloaded|searched)|recommended(?:\s+for\s+you)?|more\s+like\s+this)\s*:?$",
    re.I)
_BLOCK_TAGS = ["div", "section", "ul", "ol", "li", "p", "table", "h1", "h2", "h3", "h4", "h5", "h6"]
LINK_HEAVY = 0.5  # share of a listing's text that is link text

_PAGE_NAME = re.compile(r"^page[-_]?(\d{1,4})$", re.I)
_PAGE_ATTRS = ("data-page-number", "data-page-no", "data-page")
TEASER_BLOCKS = 20  # a mirror's excerpt of the document sits near the top
RUNNING_CHARS = 80


def _short_text(tag: Tag, limit: int) -> str | None:
    """The tag's text if it is at most `limit` characters, else None (without reading it all)."""
    parts, size = [], 0
    for s in tag.stripped_strings:
        size += len(s) + 1
        if size > limit + 1:
            return None
        parts.append(s)
    return " ".join(parts)


def is_chrome_line(text: str) -> bool:
    """Counters, actions, page widgets, ratings, uploader and revision lines; never a sentence."""
    if not text or len(text) > MAX_CHROME_CHARS:
        return False
    if _CHROME_LINE.match(text):
        return True
    rest, found = _CHROME_PIECES.subn(" ", text)
    return found > 0 and not _LETTER.search(rest)


def _in_sentence(tag: Tag) -> bool:
    """Part of running text, like "(<span>24 pages</span>)" inside a sentence."""
    return tag.parent is not None and any(_LETTER.search(s) for s in tag.parent.find_all(string=True, recursive=False))


def drop_chrome_lines(root: Tag) -> bool:
    """Remove chrome lines outside tables and sentences; True when one was a mirror's counter."""
    mirror = False
    in_tables = {id(d) for t in root.find_all("table") for d in t.find_all(True)}
    for tag in root.find_all(True):
        if tag.name == "table" or id(tag) in in_tables or tag.decomposed or _in_sentence(tag):
            continue
        text = _short_text(tag, MAX_CHROME_CHARS)
        if text is not None and is_chrome_line(text):
            mirror = mirror or bool(_MIRROR_SIGN.search(text))
            tag.decompose()
    return mirror


def _link_share(tag: Tag, minus: str = "") -> float:
    text = len(re.sub(r"\s", "", tag.get_text())) - len(re.sub(r"\s", "", minus))
    links = sum(len(re.sub(r"\s", "", a.get_text())) for a in tag.find_all("a"))
    return 1.0 if text <= 0 else links / text


def drop_listings(root: Tag) -> None:
    """Remove "Similar documents" / "More from this user" lists: the title and the links under it."""
    titles = [t for t in root.find_all(True) if (text := _short_text(t, 80)) and _LISTING_TITLE.match(text)
              and not t.find(_BLOCK_TAGS)]
    for title in titles:
        if title.decomposed:
            continue
        box, words = title, title.get_text()
        while box.parent is not None and box.parent is not root and _link_share(box.parent, words) >= LINK_HEAVY:
            box = box.parent
        if box.get_text().strip() == words.strip():  # the title alone: the list follows it
            for sibling in box.find_next_siblings():
                if _link_share(sibling) < LINK_HEAVY:
                    break
                sibling.decompose()
        box.decompose()


def page_markers(root: Tag) -> dict[int, int]:
    """id(tag) -> page for the containers a mirror marks as pages, when they count up from 1."""
    marks = []
    for tag in root.find_all(["div", "section", "article"]):
        number = next((int(v) for a in _PAGE_ATTRS if (v := str(tag.get(a) or "").strip()).isdigit()), None)
        if number is None:
            number = next((int(m.group(1)) for n in [tag.get("id") or "", *(tag.get("class") or [])]
                           if (m := _PAGE_NAME.match(n))), None)
        if number is not None and not (marks and any(p is marks[-1][0] for p in tag.parents)):
            marks.append((tag, number))
    numbers = [n for _, n in marks]
    if not numbers or numbers[0] != 1 or numbers != sorted(set(numbers)):
        return {}
    return {id(tag): n for tag, n in marks}


def page_of(tag: Tag, markers: dict[int, int]) -> int | None:
    if not markers:
        return None
    for t in (tag, *tag.parents):
        if id(t) in markers:
            return markers[id(t)]
    return None


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def drop_teasers(blocks: list[Block]) -> list[Block]:
    """Without a mirror's excerpt of the document ("At Thornbury we want every child…") above it:
    a paragraph near the top that ends in an ellipsis and whose words the text below repeats."""
    def teaser(i: int, b: Block) -> bool:
        key = _key(b.text)
        return (b.kind == "para" and b.text.endswith(("...", "\u2026")) and len(key) >= 40
                and key in _key(" ".join(x.text for x in blocks[i + 1:i + 1 + 3 * TEASER_BLOCKS])))

    teasers = {i for i, b in enumerate(blocks[:TEASER_BLOCKS]) if teaser(i, b)}
    return [b for i, b in enumerate(blocks) if i not in teasers]


def drop_running_lines(blocks: list[Block], pages: int) -> list[Block]:
    """Without the converted PDF's running header and footer: short paragraphs found on at least
    half of 3 or more marked pages. Headings stay (the title may read like the running header)."""
    def key(b: Block) -> str | None:
        return re.sub(r"\d+", "#", _key(b.text)) if b.kind == "para" and len(b.text) <= RUNNING_CHARS else None

    if pages < 3:
        return blocks
    on_pages = defaultdict(set)
    for b in blocks:
        on_pages[key(b)].add(b.page)
    running = {k for k, p in on_pages.items() if k and len(p) >= max(3, pages / 2)}
    return [b for b in blocks if key(b) not in running]


# --- MediaWiki diff pages ---------------------------------------------------------------------

_DIFF_CELLS = re.compile(r"^diff-(?:addedline|deletedline|context)$")
_DIFF_TABLE_CELLS = re.compile(r"^diff-(?:addedline|deletedline|context|otitle|ntitle)$")  # "No difference" too
_WIKI_CHROME = re.compile(r"(?:^|\s)(?:diff-\S+|mw-diff\S*|mw-revision\S*|mw-revslider\S*)", re.I)
_DIFF_TITLE = re.compile(r"^Difference between revisions of\s*[\"\u201c](.*)[\"\u201d]$"
                         r"|^(.*?):\s*Difference between revisions$", re.I)
_WIKI_HEADING = re.compile(r"^(={1,6})\s*(.+?)\s*\1\s*$")
_WIKI_INLINE = [(re.compile(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]"), r"\1"),  # [[Target|label]]
                (re.compile(r"\[(?:https?:)?//\S+\s+([^\]]*)\]"), r"\1"),  # [https://... label]
                (re.compile(r"'{2,}|<[^>]*>|\{\{[^}]*\}\}|__[A-Z]+__"), "")]  # bold, tags, templates
RENDERED_SAMPLE = 40  # newer-side lines compared with the rest of the page


def _newer_lines(table: Tag) -> list[str]:
    """The diff's right-hand side: context and added lines, in order, with <del> dropped."""
    lines = []
    for row in table.find_all("tr"):
        cells = [c for c in row.find_all("td", recursive=False)
                 if any(_DIFF_CELLS.match(k) for k in c.get("class") or [])]
        newer = [c for c in cells if "diff-deletedline" not in c["class"]]
        if newer:
            for d in newer[-1].find_all("del"):
                d.decompose()
            lines.append(newer[-1].get_text())
    return lines


def _inline(text: str) -> str:
    for pattern, repl in _WIKI_INLINE:
        text = pattern.sub(repl, text)
    return html.escape(text.strip())


def _wikitext_html(lines: list[str]) -> str:
    """Headings, list items, paragraphs and tables of wikitext lines as HTML. Rows of a table whose
    "{|" line the diff leaves out have no header row to go with, so each is a table of its own."""
    out: list[str] = []
    table: list[str] | None = None

    def flush() -> None:
        nonlocal table
        if table:
            out.append(f"<table>{''.join(table)}</table>")
        table = None

    for line in (ln.strip() for ln in lines):
        if line.startswith("{|"):
            flush()
            table = []
        elif line.startswith("|}"):
            flush()
        elif line.startswith(("|", "!")) and not line.startswith(("|-", "|+")):
            cells = re.split(r"!!|\|\|", _inline(line[1:]))
            row = "<tr>" + "".join(f"<td>{c.split('|')[-1].strip()}</td>" for c in cells) + "</tr>"
            if table is None:
                out.append(f"<table>{row}</table>")
            else:
                table.append(row)
        elif not line or line.startswith(("|-", "|+")):
            continue
        else:
            flush()
            if m := _WIKI_HEADING.match(line):
                out.append(f"<h{len(m.group(1))}>{_inline(m.group(2))}</h{len(m.group(1))}>")
            elif m := re.match(r"[*#]+", line):
                out.append(f"<li>{_inline(line[m.end():])}</li>")
            else:
                out.append(f"<p>{_inline(line.lstrip(';:'))}</p>")
    flush()
    return "".join(out)


def read_wiki_diff(root: Tag) -> str | None:
    """Leave only the newer revision of a MediaWiki diff page. Returns a warning when the page has
    no rendered revision and the policy was rebuilt from the diff, which shows only changed lines
    and a little context around them."""
    table = next((t for t in root.find_all("table", class_="diff") if t.find("td", class_=_DIFF_TABLE_CELLS)), None)
    if table is None:
        return None
    rebuilt = BeautifulSoup(_wikitext_html(_newer_lines(table)), "html.parser")
    spot = BeautifulSoup("<div></div>", "html.parser").div
    table.replace_with(spot)
    for tag in root.find_all(True):
        if not tag.decomposed and _WIKI_CHROME.search(" ".join([tag.get("id") or "", *(tag.get("class") or [])])):
            tag.decompose()
    for h1 in root.find_all("h1"):
        if m := _DIFF_TITLE.match(h1.get_text(" ", strip=True)):
            h1.string = m.group(1) or m.group(2)
    rest = _key(root.get_text(" "))
    sample = [k for s in rebuilt.stripped_strings if len(k := _key(s)) >= 12][:RENDERED_SAMPLE]
    if 2 * sum(k in rest for k in sample) >= len(sample):
        spot.decompose()  # the rendered revision is on the page (or the diff shows no text)
        return None
    spot.extend(list(rebuilt.contents))
    return ("a wiki diff page without the rendered revision: read the newer side of the diff, "
            "which shows only the changed lines and their context")
