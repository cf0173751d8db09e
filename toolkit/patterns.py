"""A small pattern language for checklist rules, compiled to spaCy Matcher patterns.

Rules are data (YAML). Each pattern is one string:

- words match on the lower-cased lemma: ``search pupil`` matches "searching pupils";
- ``a|b|c`` matches any of the alternatives (each lemmatised);
- ``word?`` is optional; ``pre*`` matches any word starting with "pre";
- ``~`` skips up to 3 words, ``~N`` up to N words;
- a pattern starting with ``re:`` is a case-insensitive regular expression over the clause text.

A rule entry may also be a list of patterns that must all match in the same clause.

Traps: `re:` is case-insensitive, so `re:\bSEND\b` also matches "send"; write `re:(?-i:\bSEND\b)`.
Alternatives are single words or hyphenated words (`fixed-term|fixed-period`), never phrases with
spaces: write two patterns instead.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

import ahocorasick
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

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
    needs: tuple[str, ...] | None = None  # one of these (lower-case) must occur for any match
    also: tuple[tuple[str, ...], ...] = ()  # and one of each of these


def required_options(regex: str) -> list[tuple[str, ...]]:
    """Sets of lower-case strings of which at least one occurs in every text the expression
    matches (a cheap test that lets a text skip it), most selective first: every set the
    expression's top level requires ("staff ... will not": one of the staff words, and "will not")."""
    try:
        parsed = re._parser.parse(regex, re.I)  # noqa: SLF001 - the stdlib's own regex parser
    except (re.error, AttributeError):
        return []
    options = [tuple(sorted(o)) for o in _options(list(parsed)) if all(len(n) >= 3 for n in o)]
    return sorted(set(options), key=lambda o: (-min(len(x) for x in o), o))


def _needs(items: list) -> set[str] | None:
    """Best requirement of a sequence: a run of literal characters, or a group/branch whose every
    alternative has a requirement; the most selective (longest shortest string) wins."""
    options = _options(items)
    if not options:
        return None
    return max(options, key=lambda o: min(len(x) for x in o))


def _options(items: list) -> list[set[str]]:
    """Every requirement of a sequence (each must be met by some match)."""
    from re import _constants as c  # noqa: PLC0415

    options: list[set[str]] = []
    run = ""
    for op, av in items + [(None, None)]:
        if op is c.LITERAL:
            run += chr(av).lower()
            continue
        if len(run) >= 3:
            options.append({run})
        run = ""
        if op is c.SUBPATTERN:
            sub = _needs(list(av[-1]))
            if sub:
                options.append(sub)
        elif op is c.BRANCH:
            alts = [_needs(list(branch)) for branch in av[1]]
            if all(alts):
                options.append(set().union(*alts))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            sub = _needs(list(av[2]))
            if sub:
                options.append(sub)
    return options


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


def _part_specs(part: str) -> list[list[dict]]:
    """Token-spec sequences for one whitespace-separated part of a pattern (not a gap)."""
    optional = part.endswith("?") and len(part) > 1
    if optional:
        part = part[:-1]
    if "|" in part:
        return _alternatives(part, optional)
    if part.endswith("*") and len(part) > 1:
        spec = {"LOWER": {"REGEX": "^" + re.escape(part[:-1].lower())}}
        return [[{**spec, "OP": "?"} if optional else spec]]
    words = _word_specs(part)
    if optional:
        if len(words) != 1:
            raise PatternError(f"only a single word can be optional: {part!r}")
        words = [{**words[0], "OP": "?"}]
    return [words]


def segments(pattern: str) -> tuple[list[list[list[dict]]], list[int], list[str]]:
    """Split a pattern at its gaps: (segments, gaps, segment texts), each segment a list of
    alternative token-spec sequences without gaps, gaps[i] the most words allowed after segment i.
    A segment of optional words only ("the?") widens the gap around it instead."""
    segs: list[list[list[dict]]] = [[[]]]
    texts: list[list[str]] = [[]]
    gaps: list[int] = []
    for part in pattern.split():
        gap = _GAP.match(part)
        if gap:
            gaps.append(int(gap.group(1) or 3))
            segs.append([[]])
            texts.append([])
            continue
        seqs = [s + o for s in segs[-1] for o in _part_specs(part)]
        if len(seqs) > MAX_EXPANSIONS:
            raise PatternError(f"too many alternatives in {pattern!r}")
        segs[-1] = seqs
        texts[-1].append(part)
    out_segs, out_gaps, out_texts = [], [], []
    carry = 0  # words an all-optional segment adds to the next gap
    for i, (seg, words) in enumerate(zip(segs, texts)):
        optional_only = not words or all(all(spec.get("OP") == "?" for spec in seq) for seq in seg)
        if optional_only:
            carry += max(len(seq) for seq in seg) + (gaps[i] if i < len(gaps) else 0)
            if out_gaps:
                out_gaps[-1] += carry
                carry = 0
            continue
        carry = 0
        out_segs.append(seg)
        out_texts.append(" ".join(words))
        if i < len(gaps):
            out_gaps.append(gaps[i])
    out_gaps = out_gaps[:len(out_segs) - 1]
    if not out_segs:
        raise PatternError(f"pattern matches nothing definite: {pattern!r}")
    return out_segs, out_gaps, out_texts


# Words in nearly every clause of a behaviour policy make poor anchors: a matcher anchored on
# one runs on most clauses. A segment is anchored on its first required word not listed here.
COMMON_WORDS = frozenset("""
a an the and or of to in on at by for from with as be is are will may can must should not no
this that these those it its they them their we our us you your he she his her all any each
pupil student child learner young people person school academy college staff member adult teacher
parent carer family behaviour policy time day class lesson work use take make give need
""".split())


def _anchor(seq: list[dict]) -> tuple[list[str], str | None]:
    """What a clause must contain for this gap-free sequence to match anywhere in it: the lemmas
    of one required literal token (the first uncommon one), or else a required prefix."""
    literals, prefix = [], None
    for spec in seq:
        if spec.get("OP") == "?":
            continue
        if "NORM" in spec:
            norm = spec["NORM"]
            literals.append(sorted(norm["IN"]) if isinstance(norm, dict) else [norm])
        elif prefix is None and "LOWER" in spec:
            prefix = spec["LOWER"]["REGEX"][1:].replace("\\", "")
    for norms in literals:
        if not any(n in COMMON_WORDS for n in norms):
            return norms, None
    if prefix and len(prefix) >= 4:
        return [], prefix
    if literals:
        return literals[0], None
    return [], prefix or ""


def _phrases(seq: list[dict]) -> list[list[str]]:
    """The word sequences (lemmas) a gap-free spec sequence of literal words matches: each
    alternative and each optional word spelled out ("the? search pupil" -> 2 phrases)."""
    choices = []
    for spec in seq:
        norm = spec["NORM"]
        values = list(norm["IN"]) if isinstance(norm, dict) else [norm]
        choices.append(values + ([None] if spec.get("OP") == "?" else []))
    return [[w for w in combo if w is not None] for combo in itertools.product(*choices)]


class PatternSet:
    """All the patterns of a checklist, matched over a Doc in one pass.

    Each pattern is split at its gaps (`~N`) into gap-free segments, and patterns are assembled
    from segments in order within their gaps. Segments of literal words (with alternatives and
    optional words spelled out) are phrases for one spaCy PhraseMatcher on NORM (the lemma), which
    finds all of them in one walk over a clause; the few with a prefix (`exclu*`) go to spaCy
    Matchers. A segment of one word after a gap ("the ~ detention|isolation") is not looked for
    everywhere but checked in the gap's window. Regexes are run by the caller (`regex_hits`, or
    toolkit.match on demand). Measured alternatives: a Matcher given the gaps as wildcard tokens
    cost seconds per policy; Matchers per anchor word ~0.04 s per page; this ~0.005 s."""

    def __init__(self) -> None:
        self.vocab = get_nlp().vocab
        self.phrases = PhraseMatcher(self.vocab, attr="NORM")
        # Prefix segments: one Matcher per anchor, so a clause runs only those whose anchor word
        # (or prefix) it has, since a Matcher tries every pattern it holds at every token.
        self.by_norm: dict[str, Matcher] = {}
        self.by_prefix: dict[str, Matcher] = {}
        self.regexes: list[Compiled] = []
        self._regex_by_key: dict[str, Compiled] = {}
        self._keys: dict[str, str] = {}
        self._segments: dict[str, int] = {}  # segment text -> match id (the hash of its matcher key)
        self._seqs: dict[int, tuple[str, list[list[dict]]]] = {}  # match id -> (matcher key, spec sequences)
        self._matched: set[int] = set()  # segments the matchers look for
        # Patterns of several segments: (pattern key, segment ids, gaps, segments the matchers must
        # have found, for each later segment the words it may be when it is one word, and those
        # word sets alone), by the first segment's id
        self.chains: dict[int, list[tuple[str, list[int], list[int], frozenset[int], list, tuple]]] = {}
        self.singles: dict[int, list[str]] = {}  # segment id -> keys of the patterns that are just it
        self._finder: tuple[int, LiteralFinder] | None = None

    def literal_finder(self) -> LiteralFinder:
        """Every literal the regexes need, found in one pass over a document (rebuilt when
        patterns were added since)."""
        if self._finder is None or self._finder[0] != len(self.regexes):
            literals = {lit for c in self.regexes for option in ((c.needs or ()), *c.also) for lit in option}
            self._finder = (len(self.regexes), LiteralFinder(literals))
        return self._finder[1]

    def _segment_id(self, text: str, seqs: list[list[dict]]) -> int:
        if text not in self._segments:
            key = f"s{len(self._segments)}"
            self._segments[text] = self.vocab.strings.add(key)
            self._seqs[self._segments[text]] = (key, seqs)
        return self._segments[text]

    def _match(self, seg: int) -> None:
        """Have the matchers look for a segment."""
        if seg in self._matched:
            return
        self._matched.add(seg)
        key, seqs = self._seqs[seg]
        for seq in seqs:
            if all("NORM" in spec for spec in seq):
                self.phrases.add(key, [self._phrase_doc(words) for words in _phrases(seq)])
                continue
            norms, prefix = _anchor(seq)
            for group, names in ((self.by_norm, norms), (self.by_prefix, [prefix] if prefix else [])):
                for name in names:
                    if name not in group:
                        group[name] = Matcher(self.vocab, validate=True)
                    group[name].add(key, [seq])

    def _one_word(self, seg: int) -> frozenset[str] | None:
        """The words (lemmas) a segment of exactly one required word may be, else None. Such a
        segment after a gap ("the ~ detention|isolation") is checked in the gap's window, not
        looked for everywhere: "the" or "pupil" would hit every clause."""
        seqs = self._seqs[seg][1]
        if len(seqs) != 1 or len(seqs[0]) != 1 or "NORM" not in seqs[0][0] or seqs[0][0].get("OP"):
            return None
        norm = seqs[0][0]["NORM"]
        return frozenset(norm["IN"] if isinstance(norm, dict) else [norm])

    def _phrase_doc(self, words: list[str]) -> Doc:
        doc = Doc(self.vocab, words=words)
        for token, word in zip(doc, words):
            token.norm_ = word
        return doc

    def add(self, pattern: str) -> str:
        """Register a pattern; returns its key (the same key for the same pattern string)."""
        if pattern in self._keys:
            return self._keys[pattern]
        key = f"p{len(self._keys)}"
        if pattern.startswith("re:"):
            try:
                rx = re.compile(pattern[3:].strip(), re.I | re.M)
            except re.error as exc:
                raise PatternError(f"bad regular expression {pattern!r}: {exc}") from exc
            options = required_options(pattern[3:].strip())
            self.regexes.append(Compiled(key, pattern, rx, options[0] if options else None, tuple(options[1:3])))
            self._regex_by_key[key] = self.regexes[-1]
        else:
            segs, gaps, texts = segments(pattern)
            seg_keys = [self._segment_id(t, s) for t, s in zip(texts, segs)]
            words = [self._one_word(seg) for seg in seg_keys[1:]]
            for seg, w in zip(seg_keys, [None] + words):
                if w is None:
                    self._match(seg)
            needed = frozenset(seg for seg, w in zip(seg_keys, [None] + words) if w is None)
            if not gaps:
                self.singles.setdefault(seg_keys[0], []).append(key)
            else:
                inline = tuple(w for w in words if w is not None)
                self.chains.setdefault(seg_keys[0], []).append((key, seg_keys, gaps, needed, words, inline))
        self._keys[pattern] = key
        return key

    def regex_hits(self, texts: list[str]) -> list[list[tuple[str, int, int]]]:
        """(key, start char, end char) of every regex hit in each text. An expression runs only on
        the texts holding one of its required literals (most rules' words occur in few clauses)."""
        lowered = LoweredTexts(texts)
        out: list[list[tuple[str, int, int]]] = [[] for _ in texts]
        for c in self.regexes:
            holding = sorted(set().union(*map(lowered.holding, c.needs))) if c.needs else range(len(texts))
            for i in holding:
                out[i] += [(c.key, m.start(), m.end()) for m in c.regex.finditer(texts[i]) if m.end() > m.start()]
        return out

    def find(self, doc, regex_hits: list[tuple[str, int, int]] | None = None) -> list[tuple[str, int, int]]:
        """(key, start token, end token) of every hit in the doc; regex hits map to tokens.
        `regex_hits` are this doc's from `regex_hits()`, when the caller matched a batch."""
        if regex_hits is None:
            regex_hits = self.regex_hits([doc.text])[0]
        found = set(self.token_hits(doc))
        if regex_hits:
            starts, ends = [t.idx for t in doc], [t.idx + len(t) for t in doc]
            for key, start, end in regex_hits:
                span = token_span(starts, ends, start, end)
                if span:
                    found.add((key, *span))
        return sorted(found, key=lambda h: (h[1], h[2], h[0]))

    def is_regex(self, key: str) -> bool:
        return key in self._regex_by_key

    def regex(self, key: str) -> Compiled:
        return self._regex_by_key[key]

    def token_hits(self, doc, lowered: str | None = None, norms: list[str] | None = None) -> list[tuple[str, int, int]]:
        """(key, start token, end token) of every hit of the word patterns (not the regexes).
        `lowered`, `norms`: the doc's text in lower case and its tokens' NORMs, when the caller has them."""
        seg_hits: dict[int, set[tuple[int, int]]] = {}
        matchers = [self.phrases]
        if self.by_norm:
            doc_norms = {doc.vocab.strings[h] for h in set(doc.to_array("NORM").tolist())}
            matchers += [self.by_norm[n] for n in doc_norms if n in self.by_norm]
        if self.by_prefix:
            lowered = doc.text.lower() if lowered is None else lowered
            matchers += [m for p, m in self.by_prefix.items() if p in lowered]
        for matcher in matchers:
            for mid, s, e in matcher(doc):
                seg_hits.setdefault(mid, set()).add((s, e))
        found: set[tuple[str, int, int]] = set()
        present = seg_hits.keys()
        normset = None
        for seg, spans in seg_hits.items():
            for key in self.singles.get(seg, ()):
                found.update((key, start, end) for start, end in spans)
        for key, segs, gaps, needed, words, inline in (c for seg in seg_hits for c in self.chains.get(seg, ())):
            if not needed <= present:
                continue
            if norms is None:
                norms = [t.norm_ for t in doc]
            if normset is None:
                normset = set(norms)
            if any(one.isdisjoint(normset) for one in inline):
                continue
            for start, end in seg_hits[segs[0]]:
                ends = [end]
                for seg, gap, one in zip(segs[1:], gaps, words):
                    if one is None:
                        ends = [e for s, e in seg_hits[seg] if any(prev <= s <= prev + gap for prev in ends)]
                    else:  # one word somewhere in the window after each previous end
                        ends = sorted({p + 1 for prev in ends for p in range(prev, min(prev + gap + 1, len(norms)))
                                       if norms[p] in one})
                    if not ends:
                        break
                if ends:
                    found.add((key, start, max(ends)))
        return sorted(found, key=lambda h: (h[1], h[2], h[0]))


class LiteralFinder:
    """An Aho-Corasick automaton (pyahocorasick: a C library, one pass whatever the number of
    literals; a substring search per literal cost ~1.5 ms a page with ~1,600 literals)."""

    def __init__(self, literals: set[str]):
        self.literals = frozenset(literals)
        self.automaton = ahocorasick.Automaton()
        for lit in self.literals:
            self.automaton.add_word(lit, lit)
        if self.literals:
            self.automaton.make_automaton()


class LoweredTexts:
    """Texts in lower case, joined once, to find which of them hold a literal: the finder's
    literals in one pass on first use, any other literal by one substring search per text that
    holds it, skipping to the next text (far faster than testing each)."""

    def __init__(self, texts: list[str], finder: LiteralFinder | None = None):
        self.texts = [t.lower() for t in texts]
        self.joined = "\n".join(self.texts)
        self.offsets = list(itertools.accumulate((len(t) + 1 for t in self.texts[:-1]), initial=0))
        self._holding: dict[str, set[int]] = {}
        self._finder = finder

    def _scan(self, finder: LiteralFinder) -> None:
        self._finder = None
        found = {lit: set() for lit in finder.literals}
        offsets = self.offsets
        if finder.literals:
            for end, lit in finder.automaton.iter(self.joined):
                found[lit].add(bisect.bisect_right(offsets, end) - 1)
        self._holding.update(found)

    def holding(self, literal: str) -> set[int]:
        if literal not in self._holding and self._finder is not None:
            self._scan(self._finder)
        if literal not in self._holding:
            found, joined, offsets = set(), self.joined, self.offsets
            pos = joined.find(literal)
            while pos != -1:
                i = bisect.bisect_right(offsets, pos) - 1
                found.add(i)
                pos = joined.find(literal, offsets[i + 1]) if i + 1 < len(offsets) else -1
            self._holding[literal] = found
        return self._holding[literal]


def token_span(starts: list[int], ends: list[int], start: int, end: int) -> tuple[int, int] | None:
    """The tokens (first, last + 1) that the characters start..end overlap, given each token's
    start and end character."""
    first = bisect.bisect_right(ends, start)
    last = bisect.bisect_left(starts, end)
    return (first, last) if first < last else None
