"""A small pattern language for checklist rules, compiled to spaCy Matcher patterns.

Rules are data (YAML). Each pattern is one string:

- words match on the lower-cased lemma: ``search pupil`` matches "searching pupils";
- ``a|b|c`` matches any of the alternatives (each lemmatised);
- ``word?`` is optional; ``pre*`` matches any word starting with "pre";
- ``~`` skips up to 3 words, ``~N`` up to N words;
- a pattern starting with ``re:`` is a case-insensitive regular expression over the clause text.

A rule entry may also be a list of patterns that must all match in the same clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.matcher import Matcher

from toolkit.nlp import get_nlp, lemma

_GAP = re.compile(r"^~(\d*)$")
MAX_EXPANSIONS = 64


class PatternError(ValueError):
    """A pattern string cannot be compiled; the message says why."""


@dataclass(frozen=True)
class Compiled:
    key: str
    source: str
    regex: re.Pattern | None = None


def _word_specs(word: str) -> list[dict]:
    """Token specs for one literal word, split the way the tokenizer splits text."""
    tokens = [t.text for t in get_nlp().tokenizer(word)]
    return [{"NORM": lemma(t)} for t in tokens]


def _alternatives(part: str, optional: bool) -> list[list[dict]]:
    """Spec sequences for `a|b|c`: single words share one token spec; multi-token words
    ("fixed-term") become their own sequences."""
    alts = [a for a in part.split("|") if a]
    single = [a for a in alts if len(_word_specs(a)) == 1]
    out: list[list[dict]] = []
    if single:
        spec = {"NORM": {"IN": sorted({lemma(a) for a in single} | {a.lower() for a in single})}}
        out.append([{**spec, "OP": "?"} if optional else spec])
    for a in alts:
        if a not in single:
            if optional:
                raise PatternError(f"only single words can be optional: {part!r}")
            out.append(_word_specs(a))
    return out


def token_specs(pattern: str) -> list[list[dict]]:
    """The Matcher patterns (one or more token-spec lists) for one pattern string."""
    seqs: list[list[dict]] = [[]]
    for part in pattern.split():
        gap = _GAP.match(part)
        optional = part.endswith("?") and len(part) > 1 and not gap
        if optional:
            part = part[:-1]
        if gap:
            options = [[{"OP": "{0,%d}" % int(gap.group(1) or 3)}]]
        elif "|" in part:
            options = _alternatives(part, optional)
        elif part.endswith("*") and len(part) > 1:
            spec = {"LOWER": {"REGEX": "^" + re.escape(part[:-1].lower())}}
            options = [[{**spec, "OP": "?"} if optional else spec]]
        else:
            words = _word_specs(part)
            if optional:
                if len(words) != 1:
                    raise PatternError(f"only a single word can be optional: {part!r}")
                words = [{**words[0], "OP": "?"}]
            options = [words]
        seqs = [s + o for s in seqs for o in options]
        if len(seqs) > MAX_EXPANSIONS:
            raise PatternError(f"too many alternatives in {pattern!r}")
    if not seqs[0] or all(all(spec.get("OP") for spec in s) for s in seqs):
        raise PatternError(f"pattern matches nothing definite: {pattern!r}")
    return seqs


class PatternSet:
    """All the patterns of a checklist, matched over a Doc in one pass."""

    def __init__(self) -> None:
        self.matcher = Matcher(get_nlp().vocab, validate=True)
        self.regexes: list[Compiled] = []
        self._keys: dict[str, str] = {}

    def add(self, pattern: str) -> str:
        """Register a pattern; returns its key (the same key for the same pattern string)."""
        if pattern in self._keys:
            return self._keys[pattern]
        key = f"p{len(self._keys)}"
        if pattern.startswith("re:"):
            try:
                rx = re.compile(pattern[3:].strip(), re.I)
            except re.error as exc:
                raise PatternError(f"bad regular expression {pattern!r}: {exc}") from exc
            self.regexes.append(Compiled(key, pattern, rx))
        else:
            self.matcher.add(key, token_specs(pattern))
        self._keys[pattern] = key
        return key

    def find(self, doc) -> list[tuple[str, int, int]]:
        """(key, start token, end token) of every hit in the doc; regex hits map to tokens."""
        vocab = doc.vocab.strings
        hits = [(vocab[mid], s, e) for mid, s, e in self.matcher(doc)]
        text = doc.text
        for c in self.regexes:
            for m in c.regex.finditer(text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is not None:
                    hits.append((c.key, span.start, span.end))
        return hits
