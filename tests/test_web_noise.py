"""Web copies of a policy are read as the policy text only (issue 10, "Noise from the web").

The pages are in corpus/web/ (its README says what each shows). Beside each page,
`*.expected.txt` holds the policy text it should read as: one block (heading, paragraph, list item
or table row, as the extractor writes it) per line; "--- page N ---" lines mark where the
mirror's pages start.
"""

import difflib
import re

import pytest

from toolkit.extract import extract
from toolkit.extract.html import read_html
from toolkit.extract.webnoise import is_chrome_line
from toolkit.pipeline import check_file
from toolkit.policyset import find_pointers

from conftest import AS_OF, CORPUS

WEB = CORPUS / "web"
PAGES = sorted(p.name for p in WEB.glob("*.html"))
_PAGE_MARK = re.compile(r"^--- page (\d+) ---$")


def expected(name: str) -> list[tuple[int, str]]:
    """(page, line) of the expected text."""
    out, page = [], 1
    for line in (WEB / name).with_suffix(".expected.txt").read_text(encoding="utf-8").splitlines():
        if m := _PAGE_MARK.match(line):
            page = int(m.group(1))
        elif line.strip():
            out.append((page, line))
    return out


def read(doc) -> list[str]:
    """What the tool reads, in order: each section's heading, then its clauses."""
    return [t for s in doc.sections for t in ([s.heading] if s.heading else []) + [c.text for c in s.clauses]]


def key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


@pytest.mark.parametrize("name", PAGES)
def test_the_page_reads_as_the_policy_text(name):
    doc = extract(WEB / name)
    got = " ".join(read(doc))
    want = [line for _, line in expected(name)]
    assert similarity(" ".join(want), got) >= 0.98
    missing = [line for line in want if key(line) not in key(got)]
    assert not missing, "policy text lost"


CHROME = {
    "mirror-thornbury-primary.html": [
        "312 downloads", "2,418 views", "4 pages", "Download PDF", "Save to library", "Report this document",
        "Upload your document", "Transcript", "m.hargreaves", "out of 5", "votes", "\u2605",
        "Page 1 of 4", "1 / 4", "Similar documents", "Hollins Park", "St Cuthbert", "More from this user",
        "Prospectus", "Recommended", "Greenacre", "Kingsmead", "Template", "School \u2013 Behaviour Policy",
        "DocShelf", "copyright"],
    "wiki-diff-marlowe-academy.html": [
        "Revision as of", "Latest revision", "Older edit", "edit", "undo", "talk", "contribs", "JWebb",
        "SPatel", "Line 11", "Side-by-side", "Difference between revisions", "Jump to", "From Kestrel",
        "Contents", "Categories", "Retrieved from", "Main page", "last edited", "\u2212"],
    "wiki-oldid-marlowe-academy.html": [
        "Revision as of", "Older revision", "Newer revision", "Latest revision", "(diff)", "talk", "contribs",
        "JWebb", "Annual review:", "edit", "From Kestrel", "Contents", "Categories", "Retrieved from"],
    "wiki-diffonly-marlowe-academy.html": [
        "Revision as of", "Older edit", "edit", "undo", "talk", "contribs", "Line 26", "Difference between",
        "Jump to", "From Kestrel", "Navigation", "Personal tools", "What links here", "Retrieved from",
        "==", "||", "|-"],
    "school-page-fernhill-primary.html": [
        "cookies", "Skip to main content", "Contact us", "Latest news", "Harvest festival", "Staff login",
        "Privacy notice", "Mill Lane"],
}


@pytest.mark.parametrize("name", PAGES)
def test_no_chrome_is_read(name):
    got = "\n".join(read(extract(WEB / name)))
    assert [c for c in CHROME[name] if c in got] == []


def test_every_page_has_its_chrome_list():
    assert sorted(CHROME) == PAGES


def test_mirror_pages_give_clauses_their_page_numbers():
    doc = extract(WEB / "mirror-thornbury-primary.html")
    want = expected("mirror-thornbury-primary.html")
    assert doc.pages == 4
    seen = [(s.heading, s.page) for s in doc.sections if s.heading] + [(c.text, c.page) for c in doc.clauses]
    for text, page in seen:
        assert page in {p for p, line in want if key(text) in key(line)}, text


def test_a_mirror_excerpt_and_running_header_are_not_read_again():
    texts = read(extract(WEB / "mirror-thornbury-primary.html"))
    assert sum("we want every child to feel safe" in t for t in texts) == 1
    assert "Thornbury Primary School Behaviour Policy" in texts  # the title stays


@pytest.mark.parametrize("name", ["wiki-diff-marlowe-academy.html", "wiki-diffonly-marlowe-academy.html"])
def test_a_wiki_diff_is_read_as_the_newer_revision_once(name):
    doc = extract(WEB / name)
    texts = read(doc)
    got = "\n".join(texts)
    for old in ["fixed-term exclusion", "Exclusions\n", "keep mobile phones switched off",
                "statutory guidance on exclusion."]:
        assert old not in got
    for new in ["Internal isolation or a suspension", "Suspensions and permanent exclusions",
                "hand mobile phones in at the start of the school day",
                "The principal will also plan how the student returns after a suspension"]:
        assert sum(new in t for t in texts) == 1, new
    assert len(set(texts)) == len(texts)


def test_a_diff_without_the_rendered_revision_is_rebuilt_from_its_newer_side_with_a_warning():
    rendered = extract(WEB / "wiki-diff-marlowe-academy.html")
    rebuilt = extract(WEB / "wiki-diffonly-marlowe-academy.html")
    assert not rendered.warnings
    assert any("newer side of the diff" in w for w in rebuilt.warnings)
    assert [s.heading for s in rebuilt.sections if s.heading][0] == "Behaviour Policy (Marlowe Academy)"
    rows = [c.text for c in rebuilt.clauses if c.kind == "row"]
    assert rows[-1] == "4 | Serious misconduct, including bullying or fighting | Internal isolation or a suspension"


def test_the_checker_sees_the_old_wording_only_in_the_old_revision(national):
    def outdated(name):
        return {f.id for f in check_file(WEB / name, checklist=national, as_of=AS_OF).match.outdated}

    assert "OUT-01" in outdated("wiki-oldid-marlowe-academy.html")  # "fixed-term exclusion"
    assert "OUT-01" not in outdated("wiki-diff-marlowe-academy.html")
    assert "OUT-01" not in outdated("wiki-diffonly-marlowe-academy.html")


def test_a_schools_own_related_policies_list_is_kept():
    doc = extract(WEB / "school-page-fernhill-primary.html")
    related = [c.text for c in doc.clauses if c.heading_path.endswith("Related policies")]
    assert related == ["Anti-Bullying Policy", "Searching Policy", "Safeguarding and Child Protection Policy",
                       "SEND Policy"]
    assert [c.text for c in doc.clauses if c.heading_path.endswith("Related documents")] == [
        "Home-School Agreement", "Behaviour concern form"]
    assert "Searching Policy" in [name for name, _ in find_pointers(doc)]


LISTING = """<main><h1>Behaviour Policy</h1><p>Pupils are praised for good behaviour every day.</p>
<div><a href="/policy.pdf">Download PDF</a></div>{counter}
<h2>Related documents</h2><ul><li><a href="/a.pdf">Home-School Agreement</a></li>
<li><a href="/b.pdf">Anti-Bullying Policy</a></li></ul></main>"""


def test_a_list_of_other_documents_goes_only_on_a_page_with_mirror_counters():
    school = [b.text for b in read_html(LISTING.format(counter="")).blocks]
    mirror = [b.text for b in read_html(LISTING.format(counter="<div>1,045 downloads</div>")).blocks]
    assert school == ["Behaviour Policy", "Pupils are praised for good behaviour every day.", "Related documents",
                      "Home-School Agreement", "Anti-Bullying Policy"]
    assert mirror == ["Behaviour Policy", "Pupils are praised for good behaviour every day."]


def test_chrome_words_inside_a_sentence_stay():
    html = ('<main><p>The full policy (<span>24 pages</span>) is on our website: <a href="/p.pdf">Download PDF</a>.</p>'
            '<div><span>24 pages</span></div></main>')
    [block] = read_html(html).blocks
    assert "24 pages" in block.text and "Download PDF" in block.text


@pytest.mark.parametrize("html, pages", [
    ('<div id="page-1"><p>One.</p></div><div id="page-2"><p>Two.</p></div>', 2),
    ('<div data-page-number="1"><p>One.</p></div><div data-page-number="2"><p>Two.</p></div>', 2),
    ('<div data-page="2024"><p>A year, not a page.</p></div>', 1),
    ('<div id="page-3"><p>Three.</p></div><div id="page-1"><p>One.</p></div>', 1),
])
def test_page_markers_count_up_from_one_or_are_ignored(html, pages):
    got = read_html(f"<main>{html}</main>")
    assert got.pages == pages
    assert [b.page for b in got.blocks] == (list(range(1, pages + 1)) if pages > 1 else [1] * len(got.blocks))


@pytest.mark.parametrize("line", [
    "1,234 downloads", "Views: 567", "2,418 views \u00b7 312 downloads \u00b7 24 pages", "Download PDF",
    "Download (PDF, 245 KB)", "Report this document", "Upload your document", "Save to library",
    "Page 3 of 24", "3 / 24", "Transcript", "\u2605\u2605\u2605\u2605\u2606 4.1 out of 5 (27 votes)",
    "Uploaded by jsmith84 on 3 May 2024", "Revision as of 10:02, 3 May 2024",
    "Latest revision as of 15:47, 6 February 2025", "(edit)", "\u2190 Older edit", "Newer edit \u2192",
    "(talk | contribs)"])
def test_chrome_lines(line):
    assert is_chrome_line(line)


@pytest.mark.parametrize("line", [
    "Parents can download the form from our website.", "Download the full Behaviour Policy (PDF, 320 KB)",
    "Related policies", "Report", "Pupils on report meet their tutor each morning.", "Step 3", "2.1",
    "See page 3 of the Searching Policy.", "Views of pupils are sought through the school council.",
    "Revision as of September 2024: suspension wording updated.", "Posted on the school website each year.",
    "Be safe."])
def test_policy_lines_are_not_chrome(line):
    assert not is_chrome_line(line)
