"""The rule pattern language: words on lemmas, alternatives, optional words, prefixes and gaps."""

import pytest

from toolkit.extract import extract
from toolkit.nlp import get_nlp
from toolkit.patterns import LiteralFinder, LoweredTexts, PatternError, PatternSet, required_options

from conftest import CORPUS


def hits(pattern, text):
    ps = PatternSet()
    key = ps.add(pattern)
    return [text_of(text, s, e) for k, s, e in ps.find(get_nlp()(text)) if k == key]


def text_of(text, s, e):
    return get_nlp()(text)[s:e].text


@pytest.mark.parametrize("pattern,text,expected", [
    ("search pupil", "Staff searched pupils today.", ["searched pupils"]),
    ("detention|isolation", "An Isolation may follow.", ["Isolation"]),
    ("after-school detention", "an after-school detention", ["after-school detention"]),
    ("fixed-term|fixed-period exclusion", "a fixed-period exclusion", ["fixed-period exclusion"]),
    ("reasonable? force", "force and reasonable force", ["force", "reasonable force", "force"]),
    ("vap* ~2 confiscate", "Vapes will be confiscated", ["Vapes will be confiscated"]),
    ("parent ~3 inform", "Parents will always be informed", ["Parents will always be informed"]),
    ("parent ~2 inform", "Parents will always be promptly informed", []),
    ("teach ~2 the? ~3 routine", "we teach all of the daily routines", ["teach all of the daily routines"]),
    ("re:\\bC[1-5]\\b", "A C3 is logged.", ["C3"]),
])
def test_pattern_language(pattern, text, expected):
    assert hits(pattern, text) == expected


@pytest.mark.parametrize("pattern", ["~", "~ ~2", "re:(unclosed", "the? ~"])
def test_patterns_that_match_nothing_or_do_not_compile_are_errors(pattern):
    with pytest.raises(PatternError):
        PatternSet().add(pattern)


def test_regexes_over_a_whole_document_hit_exactly_what_they_hit_clause_by_clause(national):
    ps = national.patterns()
    doc = extract(CORPUS / "st-aldhelms-prep.docx")
    texts = [c.text for c in doc.clauses]
    together = ps.regex_hits(texts)
    one_by_one = [ps.regex_hits([t])[0] for t in texts]
    assert [sorted(h) for h in together] == [sorted(h) for h in one_by_one]


@pytest.mark.parametrize("regex,options", [
    # every literal set the expression needs, most selective first: a clause lacking any is skipped
    (r"\b(staff|teachers?)\b[^.]{0,40}\bwill not\b", [("will not",), ("staff", "teacher")]),
    (r"\bsearch(ed|es)?\b", [("search",)]),
    (r"\b(C|L)[1-5]\b|\bdetention", []),  # a branch with no literal of 3+ letters needs nothing
    (r"(?!.*\bnot\b).*\bexclu\w+", [("exclu",)]),  # a lookahead is not a requirement
])
def test_a_regex_names_the_literals_it_needs(regex, options):
    assert required_options(regex) == options


def test_literals_found_in_one_pass_are_those_a_substring_search_finds():
    texts = ["Staff may search pupils.", "No SEARCHING here", "", "researchers", "search"]
    finder = LiteralFinder({"search", "staff", "pupil", "absent"})
    for lit in ["search", "staff", "pupil", "absent", "here"]:  # "here" is not the finder's: searched alone
        assert LoweredTexts(texts, finder).holding(lit) == LoweredTexts(texts).holding(lit) == \
            {i for i, t in enumerate(texts) if lit in t.lower()}
