"""Properties that hold for any text: segmenting and matching never crash, clause offsets point at
their text, and matching is deterministic."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.extract.text import blocks_from_text
from toolkit.match import match_document
from toolkit.segment import build_document

from conftest import AS_OF

WORDS = st.sampled_from(["pupil", "pupils", "detention", "not", "never", "search", "Headteacher", "may", "be",
                         "sent", "home", "calm", "down", "fixed-term", "exclusion", "phone", "|", "#", "-", "1.",
                         "\n", "\n\n", ".", ",", "SEND", "reasonable", "force", "2019", "March", "review"])
TEXT = st.one_of(st.text(max_size=400), st.lists(WORDS, max_size=120).map(" ".join))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def document(text):
    return build_document(blocks_from_text(text), source="fuzz.md", fmt="md", pages=1)


@SETTINGS
@given(TEXT)
def test_clause_offsets_point_at_their_text(text):
    doc = document(text)
    for c in doc.clauses:
        assert doc.text[c.start:c.end] == c.text
        assert c.text.strip() == c.text and c.text


@SETTINGS
@given(TEXT)
def test_matching_any_text_is_deterministic(national, text):
    doc = document(text)
    if not doc.clauses:
        return
    one = match_document(doc, national, as_of=AS_OF)
    two = match_document(document(text), national, as_of=AS_OF)
    assert {k: (f.status, [e.text for e in f.evidence]) for k, f in one.items.items()} == \
        {k: (f.status, [e.text for e in f.evidence]) for k, f in two.items.items()}
    assert [f.id for f in one.red_flags] == [f.id for f in two.red_flags]
    for f in one.items.values():
        assert f.status in ("met", "partial", "missing", "n/a")
        assert 0 <= f.confidence <= 1
        if f.status == "met":
            assert f.evidence  # never met without evidence
