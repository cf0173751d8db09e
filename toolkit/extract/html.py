"""School web pages: the main content only, headings from h1-h6, lists and tables kept.

Site chrome goes by tag and by id/class names; copies of a policy on document-mirror sites and
wiki diff pages carry more noise, which `webnoise` removes (see its docstring)."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from toolkit.extract import webnoise
from toolkit.extract.text import decode, table_rows
from toolkit.segment import Block, Extracted

# Page furniture that is never policy text.
_DROP_TAGS = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside",
              "form", "iframe", "svg", "button", "select", "input"]
# ... and names of furniture (MediaWiki's too: [edit] links, categories, "From ... wiki"). A
# school's own "related-policies" box is policy text: the tool follows its pointers.
_CHROME = re.compile(r"cookie|consent|nav|menu|breadcrumb|skip|banner|sidebar|footer|header|"
                     r"share|social|login|search-form|related(?![-_]?polic)|"
                     r"editsection|catlinks|sitesub|contentsub|jump", re.I)
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "dd", "dt"}


def _is_chrome(tag: Tag) -> bool:
    if tag.name in ("main", "article", "body", "html"):
        return False
    ident = " ".join([tag.get("id") or "", *(tag.get("class") or []), tag.get("role") or ""])
    return bool(ident.strip()) and bool(_CHROME.search(ident))


def _text(tag: Tag) -> str:
    # Pieces are joined with a space, so "our <a>Trust</a>." would read "our Trust ." and
    # "(<a>see</a>)" "( see )": such spaces before closing punctuation or after "(" go.
    text = tag.get_text(" ", strip=True)
    return _LOOSE_PUNCTUATION.sub("", text)


_LOOSE_PUNCTUATION = re.compile(r"(?<=\S) (?=[.,;:!?)\]](?:\s|$))|(?<=[(\[]) (?=\S)")


def read_html(html: str) -> Extracted:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if not tag.decomposed and _is_chrome(tag):
            tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    warning = webnoise.read_wiki_diff(root)
    if webnoise.drop_chrome_lines(root):
        webnoise.drop_listings(root)
    markers = webnoise.page_markers(root)
    blocks: list[Block] = []
    page = 1
    for tag in root.find_all(True):
        name = tag.name
        page = webnoise.page_of(tag, markers) or page
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            blocks.append(Block("heading", _text(tag), page, level=int(name[1])))
        elif name == "table":
            rows = [[_text(c) for c in tr.find_all(["th", "td"])] for tr in tag.find_all("tr")]
            blocks.extend(Block("row", r, page) for r in table_rows(rows))
        elif name in ("p", "blockquote", "pre", "dd", "dt", "li", "div"):
            if tag.find_parent("table") or tag.find(_BLOCKS | {"div", "ul", "ol"}):
                # Text directly inside a container (e.g. <li>Lead-in<ul>...</ul></li>) still counts.
                own = " ".join(s.strip() for s in tag.find_all(string=True, recursive=False)).strip()
                if own and not tag.find_parent("table"):
                    blocks.append(Block("item" if name == "li" else "para", own, page))
                continue
            text = _text(tag)
            if text:
                blocks.append(Block("item" if name == "li" else "para", text, page))
    pages = max(markers.values(), default=1)
    blocks = webnoise.drop_running_lines(webnoise.drop_teasers(blocks), pages)
    return Extracted(blocks, pages=pages, warnings=[warning] if warning else [])


def extract_html(path: Path, data: bytes) -> Extracted:
    return read_html(decode(data, path.name))
