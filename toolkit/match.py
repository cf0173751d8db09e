"""Decide each checklist item for one document: rules first, then negation, hedging and context.

Word patterns are matched once in every clause (spaCy PhraseMatcher on lemmas); regexes run where
a rule needs them (see _Index). Whether a hit is in a negated scope ("we do not use detention") or
follows a hedge ("may") is judged when a rule asks.
Items then combine their elements: all found -> met, some -> partial, none -> missing, and the
`if_used` items become n/a when the policy does not use the practice. Red flags and outdated
markers are present when a rule fires outside a negation. Every finding keeps its evidence.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from toolkit.checklist import Checklist, Item, Marker
from toolkit.dates import find_dates, months_between
from toolkit.document import Clause, Document
from toolkit.nlp import get_nlp
from toolkit.patterns import LoweredTexts, token_span

NEGATION_CUES = {"not", "n't", "never", "no", "nor", "neither", "without", "cannot", "nobody", "none"}
SCOPE_BREAKS = {",", ";", ":", "but", "however", "although", "unless", "instead", "rather", "(", ")", "."}
NEGATION_WINDOW = 6  # tokens before a hit that a cue can negate it from
HEDGES = {"may", "might", "could", "can", "possibly"}
MODALS = {"may", "might", "will", "would", "shall", "should", "must", "could", "can"}
VERB_NEGATORS = {"not", "n't", "never", "cannot"}
MAX_EVIDENCE = 6
MAX_LIST_QUOTE_CHARS = 400  # a lead-in quoted with its list stops adding items here
MAX_PASSAGE_CHARS = 700  # neighbouring sentences are quoted as one passage up to this length
EVIDENCE_PER_ELEMENT = 3
STALE_APPROVAL_MONTHS = 24
_REVIEW_NEXT = re.compile(r"next review|review date|review due|due for review|to be reviewed|"
                          r"will be reviewed|review(?:ed)? (?:by|in|on or before)|renewal|date of next", re.I)
_REVIEW_DONE = re.compile(r"approved|adopted|ratified|agreed|date of (?:this )?policy|"
                          r"last (?:reviewed|updated)|issued|written|published|dated|effective", re.I)


# Borrowed voice: statute or DfE advice pasted into a policy. Its "must" is the Department's, not the
# school's practice, so red flags never fire on it and an item proven only by it is at most partial.
_BORROWED_HEADING = re.compile(
    r"what the (law|dfe|department|guidance|government) says|the law says|extract from|quoted from|"
    r"(dfe|government|statutory) (advice|guidance) (says|states)", re.I)
_ATTRIBUTION = re.compile(
    r"\b(the )?(dfe|department for education|department|government|secretary of state|guidance|law|legislation|"
    r"act|regulations?|statutory guidance)\b[^.;]{0,40}\b(says|states|advises|requires|explains|sets out|"
    r"makes clear|is clear that)\b|\baccording to (the )?(dfe|department|guidance|law|act|government)\b", re.I)
_GENERIC_SUBJECT = re.compile(r"^(all )?(schools|headteachers|head teachers|governing (bodies|boards)|academies) "
                              r"(must|should|may|can|are|have|need)\b", re.I)


def borrowed(clause: Clause) -> bool:
    """Whether a clause is pasted law or guidance rather than the school's own rule."""
    text = clause.text.strip()
    if _BORROWED_HEADING.search(clause.heading_path) or _ATTRIBUTION.search(text) or _GENERIC_SUBJECT.search(text):
        return True
    return len(text) > 40 and text[0] in "\"“" and text.rstrip(".")[-1:] in "\"”"


@dataclass
class Evidence:
    clause_id: str
    text: str
    page: int
    heading_path: str = ""
    element: str = ""
    source: str = ""  # the document it is from, in a policy set's results (empty for one document)

    def to_json(self) -> dict:
        out = {"text": self.text, "page": self.page, "clause_id": self.clause_id,
               "heading": self.heading_path, "element": self.element}
        if self.source:
            out["source"] = self.source
        return out


@dataclass
class Finding:
    id: str
    kind: str  # item | red_flag | outdated
    status: str  # met | partial | missing | n/a | not-evaluated | present
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    explanation: str = ""
    found: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        out = {"status": self.status, "confidence": round(self.confidence, 2),
               "evidence": [e.to_json() for e in self.evidence], "explanation": self.explanation}
        if self.kind == "item":
            out["found"], out["not_found"] = self.found, self.not_found
        else:
            out = {"id": self.id, **out}
            del out["status"]
        return out


@dataclass
class Match:
    items: dict[str, Finding]
    red_flags: list[Finding]
    outdated: list[Finding]


class _Index:
    """Which pattern keys hit which clauses (and the headings above them).

    Word patterns are found in every clause at once (one PhraseMatcher walk per clause). Regular
    expressions are costlier and most qualify another hit ("... under a heading on searching", "and
    the clause also names parents"), so each runs only on the texts a question needs: every clause
    for a rule's first pattern, the clauses already hit for the patterns that qualify it, a clause's
    heading for its context. Texts are the clauses, then the heading paths."""

    def __init__(self, document: Document, checklist: Checklist):
        self.clauses: list[Clause] = document.clauses
        self.ps = checklist.patterns()
        n = len(self.clauses)
        paths = sorted({c.heading_path for c in self.clauses})
        self.heading_text = {p: n + j for j, p in enumerate(paths)}
        self.texts = [c.text for c in self.clauses] + paths
        self.lowered = LoweredTexts(self.texts, self.ps.literal_finder())
        self.all_clauses = range(n)
        # Per text, each key's hits (start token, end token) in order; negation is judged on demand.
        self.spans: list[dict[str, list[tuple[int, int]]]] = [{} for _ in self.texts]
        self.where: dict[str, set[int]] = {}  # key -> clauses it hits
        self.where_heading: dict[str, set[int]] = {}  # key -> heading texts it hits
        self._may: dict[str, set[int]] = {}
        self._cand: dict[str, set[int]] = {}  # regex key -> texts holding the literals it needs
        self._affirmed: dict[tuple[int, str], bool] = {}
        self.words: list[_Words] = []
        for t, doc in enumerate(get_nlp().pipe(self.texts, batch_size=256, disable=["sentencizer"])):
            self.words.append(_Words(doc))
            self._record(t, self.ps.token_hits(doc, self.lowered.texts[t], self.words[t].norm))
        self.searched: dict[str, set[int]] = {}  # regex key -> texts it has run on
        self.everywhere: set[str] = set()  # regex keys run on every clause (and the headings asked)
        self.lead_in = self._lead_ins()
        # a lead-in that does not end a sentence ("... will:", "... include") opens the list below it
        self.open_lead = [j if j is not None and not self.texts[j].rstrip().endswith((".", "!", "?")) else None
                          for j in self.lead_in]
        self.read_with = self._read_with()
        self.leaned_on_by: dict[int, list[int]] = {}
        for t, r in enumerate(self.read_with):
            if r is not None:
                self.leaned_on_by.setdefault(r, []).append(t)

    def _record(self, t: int, hits: list[tuple[str, int, int]]) -> None:
        spans = self.spans[t]
        for key, start, end in hits:
            spans.setdefault(key, []).append((start, end))
            if t < len(self.clauses):
                self.where.setdefault(key, set()).add(t)
            else:
                self.where_heading.setdefault(key, set()).add(t)

    def _may_hit(self, key: str) -> set[int]:
        """Clauses a word key hits, itself or in the text the clause leans on (word keys are all
        found up front, so this costs no search)."""
        if key not in self._may:
            leaned = {t for r in self.where.get(key, ()) for t in self.leaned_on_by.get(r, ())}
            leaned |= {t for r in self.where_heading.get(key, ()) for t in self.leaned_on_by.get(r, ())}
            self._may[key] = self.where.get(key, set()) | leaned
        return self._may[key]

    def affirmed(self, t: int, key: str) -> bool:
        """Some hit of the key in text t is outside a negation."""
        if (t, key) not in self._affirmed:
            words = self.words[t]
            lead = self.words[self.open_lead[t]] if t < len(self.clauses) and self.open_lead[t] is not None else None
            self._affirmed[t, key] = any(not _negated(words, s, e, lead) for s, e in self.spans[t][key])
        return self._affirmed[t, key]

    def hedged(self, t: int, key: str) -> bool:
        """A hedge ("may", "where appropriate") comes before the key's hit in text t (its first hit
        outside a negation, else its first)."""
        spans = self.spans[t][key]
        words = self.words[t]
        start = next((s for s, e in spans if not _negated(words, s, e)), spans[0][0])
        return start > words.first_hedge

    def search(self, key: str, texts) -> None:
        """Run a regex key on these texts (those it has not run on yet); word keys are all found."""
        if not self.ps.is_regex(key):
            return
        c = self.ps.regex(key)
        done = self.searched.setdefault(key, set())
        n = len(self.clauses)
        cand = self._holding_all(c)  # texts holding a literal of each set the regex requires
        if texts is self.all_clauses:  # the first pattern of a rule: every clause holding them
            if key in self.everywhere:
                return
            self.everywhere.add(key)
            todo = [t for t in (range(n) if cand is None else sorted(cand)) if t < n and t not in done]
        else:
            skip_clauses = key in self.everywhere
            todo = [t for t in texts if not (t in done or (skip_clauses and t < n)) and (cand is None or t in cand)]
        done.update(todo)
        for t in todo:
            words = self.words[t]
            spans = {span for m in c.regex.finditer(self.texts[t]) if m.end() > m.start()
                     and (span := token_span(words.starts, words.ends, m.start(), m.end()))}
            if spans:
                self._record(t, [(key, s, e) for s, e in sorted(spans)])

    def _holding_all(self, c) -> set[int] | None:
        """Texts holding one literal of each literal set the regex requires (None: it requires none)."""
        if not c.needs:
            return None
        if c.key not in self._cand:
            holding = self.lowered.holding
            cand = set().union(*map(holding, c.needs))
            for option in c.also:
                if cand:
                    cand &= set().union(*map(holding, option))
            self._cand[c.key] = cand
        return self._cand[c.key]

    def _read_with(self) -> list[int | None]:
        """The text a clause leans on for its meaning: a list item's open lead-in, else (a list
        straight under a heading) its heading; a sentence opening with a pronoun ("They meet each
        term") or answering a question the sentence before it in the same section; the first
        sentence under a question heading ("## Will you phone me?") that heading."""
        out: list[int | None] = []
        for i, c in enumerate(self.clauses):
            if self.open_lead[i] is not None:
                out.append(self.open_lead[i])
            elif c.kind in ("item", "row") and self.lead_in[i] is None and c.heading_path:
                out.append(self.heading_text[c.heading_path])
            elif (c.kind == "sentence" and i and self.clauses[i - 1].kind == "sentence"
                  and self.clauses[i - 1].heading_path == c.heading_path
                  and (_ANAPHOR.match(c.text) or self.clauses[i - 1].text.rstrip().endswith("?"))):
                out.append(i - 1)  # "They meet ..." after the sentence naming them; an answer after its question
            elif c.kind == "sentence" and c.heading_path.endswith("?") and (
                    i == 0 or self.clauses[i - 1].heading_path != c.heading_path):
                out.append(self.heading_text[c.heading_path])  # the first answer under a question heading
            else:
                out.append(None)
        return out

    def _lead_ins(self) -> list[int | None]:
        out: list[int | None] = []
        last_sentence: int | None = None
        for i, c in enumerate(self.clauses):
            if i and c.heading_path != self.clauses[i - 1].heading_path:
                last_sentence = None
            out.append(last_sentence if c.kind in ("item", "row") else None)
            if c.kind == "sentence":
                last_sentence = i
        return out

    def clauses_with(self, keys: list[str], *, affirmed: bool, within: set[int] | None = None) -> set[int]:
        """Clauses (of `within`, default all) where every key hits, the first outside a negation
        when `affirmed`. A clause is read with the text it leans on (`read_with`:
        "The governing board will:" / "- monitor behaviour data"): the first key must hit the clause
        itself, the others may hit that text."""
        if self.ps.is_regex(keys[0]) and len(keys) > 1:
            # word keys cost nothing to check: run the first key's regex only where they all may hit
            for k in keys[1:]:
                if not self.ps.is_regex(k):
                    may = self._may_hit(k)
                    within = may if within is None else within & may
        self.search(keys[0], self.all_clauses if within is None else within)
        first = self.where.get(keys[0], set())
        if within is not None:
            first = first & within
        if affirmed:
            first = {t for t in first if self.affirmed(t, keys[0])}
        for k in keys[1:]:
            if not first:
                break
            self.search(k, first)
            hit = first & self.where.get(k, set())
            if rest := {t: self.read_with[t] for t in first - hit if self.read_with[t] is not None}:
                self.search(k, set(rest.values()))
                hit |= {t for t, lead in rest.items() if k in self.spans[lead]}
            first = hit
        return first

    def heading_hit(self, i: int, keys) -> bool:
        """One of the keys hits the heading path of clause i."""
        t = self.heading_text[self.clauses[i].heading_path]
        for k in keys:
            self.search(k, (t,))
        return any(k in self.spans[t] for k in keys)

    def context_hit(self, i: int, keys) -> bool:
        """One of the keys hits the clause, its heading path, its lead-in sentence (for a list item
        or table row) or the sentence just before it in the same section ("The DSL will ... . They ...")."""
        clause = self.clauses[i]
        texts = [i, self.heading_text[clause.heading_path]]
        if self.lead_in[i] is not None:
            texts.append(self.lead_in[i])
        if i and clause.kind == "sentence" and self.clauses[i - 1].heading_path == clause.heading_path:
            texts.append(i - 1)
        for k in keys:
            self.search(k, texts)
            if any(k in self.spans[t] for t in texts):
                return True
        return False


# A sentence opening with one of these leans on the one before ("The link governor ... . They ...").
_ANAPHOR = re.compile(r"^\W*(they|he|she)\b", re.I)


class _Words:
    """A clause's words as plain strings (walking spaCy tokens again for every hit is slow), and
    where its first hedge ("may", "can", "where appropriate") ends."""

    def __init__(self, doc):
        self.lower, self.norm, self.starts, self.ends = [], [], [], []
        for t in doc:
            self.lower.append(t.lower_)
            self.norm.append(t.norm_)
            self.starts.append(t.idx)
            self.ends.append(t.idx + len(t))
        self.first_hedge = next((i + (w == "where") for i, w in enumerate(self.lower)
                                 if w in HEDGES or (w == "where" and self.lower[i + 1:i + 2] == ["appropriate"])),
                                len(self.lower))

    def cue(self, i: int) -> bool:
        return self.lower[i] in NEGATION_CUES or self.norm[i] in NEGATION_CUES


def _negated(words: _Words, start: int, end: int, lead: _Words | None = None) -> bool:
    """A negation cue governs the hit: shortly before it in the same clause (or at the end of the
    open lead-in of a list item: "Staff will never:" / "- send a pupil home"), inside a hit that
    spans a gap ("send pupils home ... never"), or right after it ("detention is not used")."""
    if any(words.cue(i) for i in range(start + 1, end - 1)):
        return True
    before = [(words, i) for i in range(start - 1, max(0, start - NEGATION_WINDOW) - 1, -1)]
    if lead is not None:
        if _disowns(lead, words, start):
            return True
        n = _lead_end(lead)
        if start < NEGATION_WINDOW:
            before += [(lead, i) for i in range(n - 1, max(0, n - (NEGATION_WINDOW - start)) - 1, -1)]
    passed_modal = False
    for w, i in before:
        word = w.lower[i]
        if word in SCOPE_BREAKS:
            break
        if word in MODALS:
            passed_modal = True
        elif w.cue(i) if w is words else word in VERB_NEGATORS:  # a lead-in's "without delay:" negates nothing
            # "not"/"never" negate the next verb: one before another modal belongs to an earlier
            # verb ("a pupil who cannot settle may be sent home"); "no pupil will be ..." still counts.
            if passed_modal and word in VERB_NEGATORS:
                return False
            return True
    after = words.lower[end:end + 4]
    for i, word in enumerate(after):
        if word in SCOPE_BREAKS:
            break
        if word in ("not", "never", "n't") and all(w in _COPULAS for w in after[:i]):
            return True
    return False


_CLAUSE_BREAKS = {";", ".", "but", "however", "although", "unless", "instead"}


def _lead_end(lead: _Words) -> int:
    """Where a lead-in's words end, before its closing colon or dash."""
    n = len(lead.lower)
    while n and lead.lower[n - 1] in (":", "-", "\u2013", "\u2014"):
        n -= 1
    return n


def _disowns(lead: _Words, item: _Words, upto: int | None = None) -> bool:
    """The lead-in ends in its negation, so its items (up to a break of their own, "; but ...")
    are what is never done: "Staff will never:", "Force must not be used to:" (not "Pupils who do
    not comply will:", nor a ban, "These hairstyles are not allowed:", whose items are what the
    school forbids)."""
    if any(w in _CLAUSE_BREAKS for w in item.lower[:upto]):
        return False
    n = _lead_end(lead)
    tail = lead.lower[max(0, n - 4):n]
    last = max((k for k, w in enumerate(tail) if w in VERB_NEGATORS), default=None)
    return last is not None and all(w in _AFTER_LIST_NEGATION for w in tail[last + 1:])


_AFTER_LIST_NEGATION = {"be", "used", "use", "ever", "to", "for", "as"}
_COPULAS = {"is", "are", "be", "will", "was", "were", "do", "does", "should", "must", "can", "may", "would"}


def _keys(ps, entry) -> list[str]:
    return [ps.add(p) for p in (entry if isinstance(entry, list) else [entry])]


class _Matcher:
    def __init__(self, document: Document, checklist: Checklist):
        self.ps = checklist.patterns()
        self.index = _Index(document, checklist)
        self.clauses = self.index.clauses
        self.borrowed = [borrowed(c) for c in self.clauses]
        self.listed: dict[int, list[int]] = {}  # open lead-in -> the list items or rows below it
        for j, lead in enumerate(self.index.open_lead):
            if lead is not None:
                self.listed.setdefault(lead, []).append(j)

    def clauses_for(self, entries: list, *, context: list = (), negation: str = "allow",
                    exclude: list = ()) -> list[int]:
        """Clauses where an entry (all its patterns) hits, within context, outside exclusions."""
        # With negation rejected, an entry's first pattern must be affirmed; the others in an
        # AND entry only qualify it ("SEND is no excuse": "excuse" is negated, SEND is not).
        hits: set[int] = set()
        for e in entries:
            hits |= self.index.clauses_with(_keys(self.ps, e), affirmed=(negation == "reject"))
        if hits and exclude:
            for e in exclude:
                hits -= self.index.clauses_with(_keys(self.ps, e), affirmed=False, within=hits)
        if hits and context:
            ctx = [k for e in context for k in _keys(self.ps, e)]
            hits = {i for i in hits if self.index.context_hit(i, ctx)}
        return sorted(hits)

    def evidence(self, idxs: list[int], element: str = "") -> list[Evidence]:
        return [Evidence(self.clauses[i].id, self.quote(i), self.clauses[i].page,
                         self.clauses[i].heading_path, element) for i in idxs]

    def passages(self, chosen: dict[int, str]) -> list[Evidence]:
        """Quotes for the chosen clauses (best first, with the element each proves). Sentences next
        to each other in one section are quoted as one passage, bridging a single sentence between
        two chosen ones ("... on school trips. [It also covers ...] Pupils travelling to ..."): a
        reader sees the policy's own paragraph, not fragments of it. A list item is quoted after its
        lead-in ("The governing board will: monitor exclusion data"), and not again when its lead-in
        is quoted with the whole list."""
        def joins(a: int, b: int) -> bool:  # consecutive sentences of one section, no list between
            ca, cb = self.clauses[a], self.clauses[b]
            return (b == a + 1 and ca.kind == cb.kind == "sentence" and ca.heading_path == cb.heading_path
                    and a not in self.listed and b not in self.listed)

        inside = set(chosen)
        inside |= {i + 1 for i in chosen if i + 2 in chosen and i + 1 not in chosen
                   and joins(i, i + 1) and joins(i + 1, i + 2)}
        listed_whole = {j for i in chosen if i in self.listed and "... (" not in self.quote(i) for j in self.listed[i]}
        out, done = [], set()
        for i, name in chosen.items():
            if i in done or i in listed_whole:
                continue
            c, lead = self.clauses[i], self.index.open_lead[i]
            if lead is not None and lead not in chosen:  # list items: quoted after their lead-in
                head, anchor = self.clauses[lead].text, self.clauses[lead]
                items = [j for j in self.listed[lead] if j in chosen and j not in done]
            elif c.kind in ("item", "row") and self.index.lead_in[i] is None and c.heading_path:
                # a list straight under a heading: quoted after the heading ("Our code: Be kind; ...")
                head = c.heading_path.split(" > ")[-1]
                items = sorted(j for j in chosen if j not in done and self.clauses[j].heading_path == c.heading_path
                               and self.clauses[j].kind in ("item", "row") and self.index.lead_in[j] is None)
                anchor = self.clauses[items[0]]
            else:
                head = None
            if head is not None:
                done.update(items)
                text = head.rstrip().rstrip(":") + ":"
                for n, j in enumerate(items):
                    text += " " if n == 0 else "; " if j == items[n - 1] + 1 else " ... "
                    text += self.clauses[j].text
                names = "; ".join(dict.fromkeys(chosen[j] for j in items))
                out.append(Evidence(anchor.id, text, anchor.page, anchor.heading_path, names))
                continue
            run = [i]
            size = len(self.clauses[i].text)
            while run[0] - 1 in inside and run[0] - 1 not in done and joins(run[0] - 1, run[0]) \
                    and size + len(self.clauses[run[0] - 1].text) <= MAX_PASSAGE_CHARS:
                run.insert(0, run[0] - 1)
                size += len(self.clauses[run[0]].text) + 1
            while run[-1] + 1 in inside and run[-1] + 1 not in done and joins(run[-1], run[-1] + 1) \
                    and size + len(self.clauses[run[-1] + 1].text) <= MAX_PASSAGE_CHARS:
                run.append(run[-1] + 1)
                size += len(self.clauses[run[-1]].text) + 1
            done.update(run)
            names = list(dict.fromkeys(chosen[j] for j in run if j in chosen))
            first = self.clauses[run[0]]
            text = " ".join(self.quote(j) for j in run)
            out.append(Evidence(first.id, text, first.page, first.heading_path, "; ".join(names)))
        return out

    def quote(self, i: int) -> str:
        """A clause's text; a lead-in ("Support may include:") is quoted with the list it opens,
        since the list is what it says."""
        text = self.clauses[i].text
        if i not in self.listed:
            return text
        items = [self.clauses[j].text for j in self.listed[i]]
        out = text if text.rstrip().endswith(":") else text + ":"
        for n, item in enumerate(items):
            if len(out) + len(item) > MAX_LIST_QUOTE_CHARS:
                return out + f" ... ({len(items) - n} more)"
            out += (" " if n == 0 else "; ") + item
        return out

    def disowned(self, i: int) -> bool:
        """A list item under a lead-in that ends in its negation ("Staff will never:"), with no
        break of its own ("; but ...")."""
        lead = self.index.open_lead[i]
        return lead is not None and _disowns(self.index.words[lead], self.index.words[i])

    def heading_with(self, entries: list, exclude: list) -> int | None:
        """The first clause whose heading path one of the entries hits and no exclusion does."""
        index = self.index

        def hitting(entry) -> set[int]:  # heading texts every pattern of the entry hits
            texts = list(index.heading_text.values())
            for k in _keys(self.ps, entry):
                index.search(k, texts)
                texts = [t for t in texts if k in index.spans[t]]
            return set(texts)

        found = set().union(*map(hitting, entries))
        if found and exclude:
            found -= set().union(*map(hitting, exclude))
        return next((i for i, c in enumerate(self.clauses) if index.heading_text[c.heading_path] in found
                     and c.heading_path), None)

    def in_section(self, i: int, sections: list) -> bool:
        return self.index.heading_hit(i, [k for e in sections for k in _keys(self.ps, e)])


def _describe(entries: list, limit: int = 4) -> str:
    shown = [" + ".join(e) if isinstance(e, list) else e for e in entries[:limit]]
    return "; ".join(f'"{s}"' for s in shown) + (" ..." if len(entries) > limit else "")


def judge_item(m: _Matcher, item: Item, *, school_type: str | None, phase: str | None) -> Finding:
    f = Finding(item.id, "item", "missing", 0.0)
    if school_type and school_type not in item.applies:
        f.status, f.confidence = "n/a", 1.0
        f.explanation = f"applies to {', '.join(item.applies)} schools only; this school is {school_type}"
        return f
    if phase and phase not in item.phases:
        f.status, f.confidence = "n/a", 1.0
        f.explanation = f"applies to {', '.join(item.phases)} phases only; this school is {phase}"
        return f
    per_element = []
    for el in item.elements:
        idxs = m.clauses_for(el.any, context=el.context, negation=el.negation, exclude=el.exclude)
        per_element.append(idxs)
    found = [el.name for el, idxs in zip(item.elements, per_element) if idxs]
    f.found = found
    f.not_found = [el.name for el, idxs in zip(item.elements, per_element) if not idxs]

    if item.if_used:
        used = m.clauses_for(item.used, negation="reject", exclude=item.used_exclude) if item.used else []
        not_used = m.clauses_for(item.not_used) if item.not_used else []
        if not used and not any(per_element):
            f.status, f.confidence = "n/a", 0.8 if not_used else 0.7
            f.evidence = m.evidence(not_used[:2])
            f.explanation = ("the policy says the practice is not used" if not_used else
                             f"the policy does not say it uses this practice (looked for {_describe(item.used)})")
            return f

    need_met = item.met or len(item.elements)
    k = len(found)
    core_missing = [el.name for el, idxs in zip(item.elements, per_element) if el.core and not idxs]
    if k >= need_met and not core_missing:
        f.status = "met"
    elif k >= item.partial:
        f.status = "partial"
    caps = m.clauses_for(item.caps, negation="reject") if item.caps else []
    if f.status == "met" and caps:
        f.status = "partial"
    own_voice = [[i for i in idxs if not m.borrowed[i]] for idxs in per_element]
    only_quoted = f.status == "met" and sum(1 for x in own_voice if x) < need_met
    if only_quoted:
        f.status = "partial"
    evidence_idx: list[tuple[int, str]] = []
    hits_per_clause: dict[int, int] = {}
    for idxs in per_element:
        for i in idxs:
            hits_per_clause[i] = hits_per_clause.get(i, 0) + 1
    # Each element quotes its best few clauses; an item with one or two elements may use the budget.
    per_element_quota = max(EVIDENCE_PER_ELEMENT, MAX_EVIDENCE // len(item.elements))
    # Best evidence first: in the topic's own section, proving most elements, a sentence rather
    # than a table row or list fragment, then document order. Elements take turns, so every element
    # found is quoted before any is quoted twice; a clause another element quotes is not news.
    ranked = [iter(sorted(idxs, key=lambda i: (not m.in_section(i, item.sections), -hits_per_clause[i],
                                                m.clauses[i].kind != "sentence", i))) for idxs in per_element]
    taken: set[int] = set()
    for _ in range(per_element_quota):
        for el, queue in zip(item.elements, ranked):
            if (i := next((r for r in queue if r not in taken), None)) is not None:
                taken.add(i)
                evidence_idx.append((i, el.name))
    chosen: dict[int, str] = {}
    for i, name in evidence_idx + [(i, "limit") for i in caps[:1]]:
        if i not in chosen and len(chosen) < MAX_EVIDENCE:
            chosen[i] = name
    f.evidence = m.passages(chosen)

    if f.status == "missing":
        f.confidence = 0.85
        f.explanation = "not found; looked for " + " | ".join(
            f"{el.name}: {_describe(el.any)}" for el in item.elements)
        return f
    in_section = any(m.in_section(i, item.sections) for i, _ in evidence_idx) if item.sections else True
    support = len({i for i, _ in evidence_idx})
    base = 0.75 if f.status == "met" else 0.6
    # Modality: evidence that is all hedged ("staff may ...") is weaker than "staff will ...".
    item_keys = {k for el in item.elements for e in el.any for k in _keys(m.ps, e)}
    hedged = all(any(m.index.hedged(i, k) for k in item_keys & m.index.spans[i].keys()) for i, _ in evidence_idx)
    f.confidence = min(0.97, base + (0.1 if in_section else -0.1) + min(0.1, 0.03 * (support - 1))
                       - (0.1 if hedged else 0.0))
    parts = [f"found: {', '.join(found)}"]
    if hedged:
        parts.append("every quote is hedged (may / can / where appropriate)")
    if only_quoted:
        parts.append("some elements only in quoted law or guidance, not as the school's own practice")
    if f.not_found:
        parts.append(f"not found: {', '.join(f.not_found)}")
    if caps:
        parts.append("limited by: " + m.clauses[caps[0]].text[:120])
    f.explanation = "; ".join(parts)
    return f


def judge_marker(m: _Matcher, marker: Marker, *, as_of: dt.date, school_type: str | None = None) -> Finding | None:
    if marker.active_from and as_of < marker.active_from:
        return None
    if school_type and school_type not in marker.applies:
        return None
    if marker.check == "review_date":
        return _review_date(m, marker, as_of)
    rules = list(marker.any) + [e for d in marker.dated if as_of >= d["active_from"] for e in d["any"]]
    idxs = m.clauses_for(rules, context=marker.context, negation=marker.negation, exclude=marker.exclude)
    if marker.kind == "red_flag":  # red flags never fire on quoted law alone
        idxs = [i for i in idxs if not m.borrowed[i]]
    idxs = [i for i in idxs if not m.disowned(i)]  # nor on what a list says the school never does
    if not idxs and marker.kind == "outdated" and not marker.context:  # an old term as a heading
        if (i := m.heading_with([e for e in rules if not isinstance(e, list)], marker.exclude)) is not None:
            c = m.clauses[i]
            return Finding(marker.id, marker.kind, "present", 0.7,
                           [Evidence(c.id, c.heading_path, c.page, c.heading_path, "heading")],
                           f"{marker.title} (in a heading)" + (f"; current: {marker.replaced_by}" if marker.replaced_by else ""))
    if not idxs:
        return None
    f = Finding(marker.id, marker.kind, "present", min(0.9, 0.6 + 0.1 * len(idxs)), m.evidence(idxs[:MAX_EVIDENCE]))
    f.explanation = f"{marker.title}" + (f"; current: {marker.replaced_by}" if marker.replaced_by else "")
    return f


def review_dates(clauses: list[Clause]) -> tuple[list[tuple[dt.date, Clause]], list[tuple[dt.date, Clause]]]:
    """(approval dates, next-review dates) stated in the policy, each with its clause."""
    approved, review = [], []
    for c in clauses:
        cells = c.text.split(" | ")
        for n, cell in enumerate(cells):
            for d, start, _ in find_dates(cell):
                before = cell[:start]
                if n and not (_REVIEW_NEXT.search(before) or _REVIEW_DONE.search(before)) and not find_dates(cells[n - 1]):
                    before = f"{cells[n - 1]} {before}"  # a label in the cell before: "Date approved | 14 Oct 2025"
                nxt, done = list(_REVIEW_NEXT.finditer(before)), list(_REVIEW_DONE.finditer(before))
                last_next = nxt[-1].end() if nxt else -1
                last_done = done[-1].end() if done else -1
                if last_next < 0 and last_done < 0:
                    continue
                (review if last_next > last_done else approved).append((d, c))
    return approved, review


def _review_date(m: _Matcher, marker: Marker, as_of: dt.date) -> Finding | None:
    approved, review = review_dates(m.clauses)
    reasons, ev = [], []
    if review:
        d, c = max(review, key=lambda x: x[0])
        if d < as_of:
            reasons.append(f"next review date {d:%d %B %Y} is before {as_of:%d %B %Y}")
            ev.append(c)
    if approved:
        d, c = max(approved, key=lambda x: x[0])
        if months_between(d, as_of) > STALE_APPROVAL_MONTHS:
            reasons.append(f"approved {d:%d %B %Y}, more than {STALE_APPROVAL_MONTHS} months before {as_of:%d %B %Y}")
            ev.append(c)
    if not reasons:
        return None
    uniq = list({c.id: c for c in ev}.values())
    return Finding(marker.id, marker.kind, "present", 0.9,
                   [Evidence(c.id, c.text, c.page, c.heading_path) for c in uniq], "; ".join(reasons))


def match_document(document: Document, checklist: Checklist, *, as_of: dt.date,
                   school_type: str | None = None, phase: str | None = None) -> Match:
    """Every checklist item, red flag and outdated marker judged for one document."""
    if not document.readable:
        items = {it.id: Finding(it.id, "item", "not-evaluated", 0.0,
                                explanation="the document could not be read: " + "; ".join(document.warnings))
                 for it in checklist.items}
        return Match(items, [], [])
    m = _Matcher(document, checklist)
    items = {it.id: judge_item(m, it, school_type=school_type, phase=phase) for it in checklist.items}
    if document.unread_pages:  # what was not read cannot be called missing
        pages = ", ".join(map(str, document.unread_pages))
        for f in items.values():
            if f.status == "missing":
                f.status, f.confidence = "not-evaluated", 0.0
                f.explanation = f"not found in the pages read; page(s) {pages} could not be read. " + f.explanation
    flags = [f for mk in checklist.red_flags if (f := judge_marker(m, mk, as_of=as_of, school_type=school_type))]
    old = [f for mk in checklist.outdated if (f := judge_marker(m, mk, as_of=as_of, school_type=school_type))]
    return Match(items, flags, old)
