"""A school's policy SET: the behaviour policy and the policies it points to, judged together.

Schools often keep part of what the guidance asks for in separate policies ("see our Searching
Policy"). Each requirement item is judged in every document and the set takes the best-supported
status (met > partial > missing; n/a only when every document that could decide says n/a;
not-evaluated only when none could decide), quoting the document it came from. Red flags and
outdated markers stay per document: the set reports their union, each evidence naming its document.

Pointers ("set out in the separate Anti-Bullying Policy", "please refer to the Child Protection
Policy") are found by one general rule. A pointed-to policy that is in the set is read with it; one
that is not is listed as "referred to but not supplied", and an item missing from the whole set whose
topic has such a pointer is reported as partial at most, since the school says where it is covered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.checklist import Checklist, Item
from toolkit.document import Clause, Document
from toolkit.match import MAX_EVIDENCE, Evidence, Finding, Match, _keys, match_document
from toolkit.nlp import get_nlp

RANK = {"n/a": 0, "missing": 1, "partial": 2, "met": 3}
POINTER_CONFIDENCE = 0.5

# "see (also) our X Policy", "refer to the X Policy", "set out in the separate X Policy", ...
_CUE = re.compile(r"\b(?:see|refer(?:red)?\s+to|set\s+out\s+in|covered\s+(?:by|in)|in\s+line\s+with|"
                  r"in\s+accordance\s+with|(?:detailed|described|explained|found|included)\s+in|"
                  r"dealt\s+with\s+(?:in|under|by)|read\s+(?:together|alongside|in\s+conjunction)\s+with|"
                  r"(?:linked|related|associated|other)\s+polic(?:y|ies)(?:\s+(?:are|include))?)\b", re.I)
_WORD = r"(?!Polic(?:y|ies)\b)[A-Z][\w\u2019'&-]*"
_NAME = re.compile(rf"({_WORD}(?:,?\s+(?:and\s+|&\s+|of\s+|for\s+|on\s+|to\s+|in\s+)?{_WORD})*)\s+Policy\b")
# "our Child Protection, Anti-Bullying and SEND policies": a list sharing one "policies"
_NAMES = re.compile(rf"((?:{_WORD}(?:\s+{_WORD})*)(?:(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?:{_WORD}(?:\s+{_WORD})*))+)"
                    r"\s+[Pp]olicies\b")
_WINDOW = 160  # characters after a cue that the policy name may follow in
_STOP = {"the", "our", "this", "that", "these", "its", "their", "school", "schools", "s", "separate", "and", "of",
         "for", "on", "to", "in", "a", "an", "policy", "policies", "trust", "trust's", "academy", "whole",
         "current", "relevant", "latest", "please", "see", "also"}
TITLE_HEADINGS = 3  # a document is named by its file name, first headings and short opening lines
TITLE_CLAUSES = 3


def _tokens(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower().replace("\u2019", "'").replace("'s ", " "))
    return {w for w in words if w not in _STOP}


def policy_key(name: str) -> str:
    """A policy's name normalised for comparing: its words without articles and 'policy'."""
    return " ".join(sorted(_tokens(name)))


@dataclass
class Pointer:
    """A clause that points to another policy by name."""
    policy: str  # "Searching Policy", as written
    key: str
    source: str  # the document the clause is in
    clause: Clause
    supplied_by: str = ""  # the document in the set that is that policy ("" when not supplied)
    heading_keys: set[str] = field(default_factory=set)  # checklist pattern keys in the clause's headings
    name_keys: set[str] = field(default_factory=set)  # ... and in the policy's name
    items: list[str] = field(default_factory=list)  # checklist items whose topic the policy's name names

    def to_json(self) -> dict:
        return {"policy": self.policy, "source": self.source, "text": self.clause.text, "page": self.clause.page,
                "heading": self.clause.heading_path, "supplied_by": self.supplied_by or None, "items": self.items}


def find_pointers(document: Document) -> list[tuple[str, Clause]]:
    """(policy name, clause) for each clause that points to a named policy."""
    out = []
    for c in document.clauses:
        text = c.text
        seen: set[str] = set()
        for cue in _CUE.finditer(text):
            window = text[cue.end():cue.end() + _WINDOW]
            window = re.split(r"[.;:](?:\s|$)", window, maxsplit=1)[0]
            names = [m.group(1) for m in _NAME.finditer(window)]
            for m in _NAMES.finditer(window):
                names += [n for n in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m.group(1)) if n]
            for name in names:
                key = policy_key(name)
                if key and key not in seen:
                    seen.add(key)
                    out.append((f"{_strip_determiner(name)} Policy", c))
    return out


def _strip_determiner(name: str) -> str:
    return re.sub(r"^(?:(?:The|Our|This|Its|Their|Separate|School\u2019s|School's)\s+)+", "", name)


def document_names(document: Document) -> list[str]:
    """What a document is called: its file name, first headings and short opening lines."""
    stem = Path(str(document.source)).stem
    names = [re.sub(r"[-_]+", " ", stem)]
    names += [s.heading for s in document.sections[:TITLE_HEADINGS] if s.heading]
    names += [c.text for c in document.clauses[:TITLE_CLAUSES] if len(c.text) <= 80]
    return names


def _is_named(key: str, names: list[str]) -> bool:
    want = set(key.split())
    if not want:
        return False
    have = set().union(*(_tokens(n) for n in names)) if names else set()
    if want <= have:
        return True
    squashed = "".join(sorted(want, key=key.split().index))  # "anti bullying" -> "antibullying"
    return any(squashed in re.sub(r"[^a-z]", "", n.lower()) for n in names)


@dataclass
class SetMatch:
    documents: list[str]  # sources, in the order given
    items: dict[str, Finding]
    red_flags: list[Finding]  # union over the documents; each evidence names its document
    outdated: list[Finding]
    matches: list[Match] = field(default_factory=list)  # per document
    pointers: list[Pointer] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # a copy -> the document read instead
    decided_by: dict[str, str] = field(default_factory=dict)  # item -> the document whose finding the set took
    pointed: dict[str, str] = field(default_factory=dict)  # item -> the policy not supplied that made it partial

    def statuses(self, item_id: str) -> dict[str, str]:
        """Each document's own status for an item (document name -> status), in set order."""
        return {_name(s): m.items[item_id].status for s, m in zip(self.documents, self.matches)
                if item_id in m.items}

    def marker_documents(self, f: Finding) -> list[str]:
        return sorted({e.source for e in f.evidence if e.source})

    @property
    def not_supplied(self) -> list[str]:
        """Policies referred to but not supplied (one name per policy, as first written)."""
        out: dict[str, str] = {}
        for p in self.pointers:
            if not p.supplied_by:
                out.setdefault(p.key, p.policy)
        return list(out.values())

    def item_json(self, item_id: str) -> dict:
        """A set item: the SPEC finding shape, plus which document decided it, each document's own
        status, and the policy not supplied that it points to (when that made it partial)."""
        out = {**self.items[item_id].to_json(), "decided_by": self.decided_by.get(item_id) or None,
               "documents": self.statuses(item_id)}
        if item_id in self.pointed:
            out["pointer"] = self.pointed[item_id]
        return out

    def to_json(self) -> dict:
        def marker(f: Finding) -> dict:
            return {**f.to_json(), "documents": self.marker_documents(f)}

        return {"documents": self.documents,
                "items": {k: self.item_json(k) for k in self.items},
                "red_flags": [marker(f) for f in self.red_flags],
                "outdated": [marker(f) for f in self.outdated],
                "pointers": [p.to_json() for p in self.pointers],
                "not_supplied": self.not_supplied,
                "duplicates": self.duplicates}


def _name(source: str) -> str:
    return Path(str(source)).name


def _with_source(evidence: list[Evidence], source: str) -> list[Evidence]:
    return [dataclasses.replace(e, source=_name(source)) for e in evidence]


def _decider(f: Finding, source: str) -> str:
    """The document a set item was taken from: the one quoted for met and partial (for missing,
    n/a and not evaluated it is the set as a whole)."""
    return _name(source) if f.status in ("met", "partial") else ""


def _combine_item(item: Item, per_doc: list[tuple[str, Finding]]) -> tuple[Finding, str]:
    found, source = _combine(item, per_doc)
    return found, _decider(found, source)


def _combine(item: Item, per_doc: list[tuple[str, Finding]]) -> tuple[Finding, str]:
    decided = [(i, s, f) for i, (s, f) in enumerate(per_doc) if f.status != "not-evaluated"]
    if not decided:
        s, f = per_doc[0]
        return dataclasses.replace(f, evidence=_with_source(f.evidence, s),
                                   explanation="no document in the set could decide it: " + f.explanation), s
    _, source, best = max(decided, key=lambda x: (RANK.get(x[2].status, -1), x[2].confidence, -x[0]))
    out = dataclasses.replace(best, evidence=_with_source(best.evidence, source),
                              found=list(best.found), not_found=list(best.not_found))
    if len(per_doc) == 1:
        return out, source
    if best.status in ("met", "partial"):
        out.explanation = f"in {_name(source)}: {best.explanation}"
    elif best.status == "missing":
        out.explanation = f"not found in any of the {len(per_doc)} documents; " + best.explanation
    unread = [_name(s) for s, f in per_doc if f.status == "not-evaluated"]
    if unread and best.status == "missing":  # what was not read cannot be called missing
        out.status, out.confidence = "not-evaluated", 0.0
        out.explanation += f" (could not be read: {', '.join(unread)})"
    return out, source


def _union(kind_lists: list[tuple[str, list[Finding]]]) -> list[Finding]:
    by_id: dict[str, Finding] = {}
    for source, findings in kind_lists:
        for f in findings:
            ev = _with_source(f.evidence, source)
            if f.id not in by_id:
                by_id[f.id] = dataclasses.replace(f, evidence=ev[:MAX_EVIDENCE],
                                                  explanation=f"in {_name(source)}: {f.explanation}")
            else:
                have = by_id[f.id]
                have.evidence = (have.evidence + ev)[:max(MAX_EVIDENCE, len(have.evidence) + 1)]
                have.confidence = max(have.confidence, f.confidence)
                have.explanation += f"; in {_name(source)}: {f.explanation}"
    return list(by_id.values())


def _pattern_keys(ps, text: str) -> set[str]:
    """The checklist's pattern keys that hit a piece of text (a policy's name, a heading)."""
    if not text:
        return set()
    rx = ps.regex_hits([text])[0]
    return {k for k, _, _ in ps.find(get_nlp()(text), rx)}


def _collect_pointers(documents: list[Document], checklist: Checklist) -> list[Pointer]:
    names = [document_names(d) for d in documents]
    ps = checklist.patterns()
    generic = _pattern_keys(ps, "the policy or policies")  # a topic of "policy" is no topic
    out = []
    for doc in documents:
        if not doc.readable:
            continue
        for policy, clause in find_pointers(doc):
            key = policy_key(policy)
            supplied = next((documents[j].source for j in range(len(documents)) if _is_named(key, names[j])), "")
            p = Pointer(policy, key, _name(doc.source), clause, _name(supplied) if supplied else "")
            p.heading_keys = _pattern_keys(ps, clause.heading_path)
            p.name_keys = _pattern_keys(ps, policy)
            p.items = [it.id for it in checklist.items if (p.name_keys - generic) & _topic(ps, it)]
            out.append(p)
    return out


def _topic(ps, item: Item) -> set[str]:
    """The pattern keys of an item's topic (its `sections:` words)."""
    return {k for e in item.sections for k in _keys(ps, e)}


def apply_pointers(items: dict[str, Finding], checklist: Checklist, pointers: list[Pointer]) -> dict[str, Pointer]:
    """An item missing from the whole set whose topic points to a policy not supplied: partial.
    Returns item id -> the pointer that made it so."""
    unsupplied = [p for p in pointers if not p.supplied_by]
    made: dict[str, Pointer] = {}
    if not unsupplied:
        return made
    ps = checklist.patterns()
    for item in checklist.items:
        f = items.get(item.id)
        if f is None or f.status != "missing" or not item.sections:
            continue
        topic = _topic(ps, item)
        # The pointed-to policy's name must name the item's topic: a pointer under a broad heading
        # ("Serious incidents, safeguarding and exclusions") says nothing about the heading's other topics.
        hit = next((p for p in unsupplied if topic & p.name_keys), None)
        if hit is None:
            continue
        f.status, f.confidence = "partial", POINTER_CONFIDENCE
        f.evidence = [Evidence(hit.clause.id, hit.clause.text, hit.clause.page, hit.clause.heading_path,
                               "pointer", hit.source)]
        f.explanation = f"only a pointer to the {hit.policy}, which was not supplied; " + f.explanation
        made[item.id] = hit
    return made


def _fingerprint(document: Document) -> str:
    """The text without case, punctuation or layout: two copies of one policy (a PDF and its web
    page, or the same file twice) share it."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", document.text.lower()).split())


def dedupe(documents: list[Document]) -> tuple[list[Document], dict[str, str]]:
    """The set with duplicate copies of a policy read once: (documents kept, copy -> kept one)."""
    from difflib import SequenceMatcher

    kept: list[Document] = []
    duplicates: dict[str, str] = {}
    for d in documents:
        fp = _fingerprint(d)
        twin = next((k for k in kept if d.readable and k.readable and fp and (
            fp == _fingerprint(k) or (abs(len(fp) - len(_fingerprint(k))) < 0.05 * len(fp)
                                      and SequenceMatcher(None, fp, _fingerprint(k), autojunk=False).quick_ratio() > 0.98
                                      and SequenceMatcher(None, fp, _fingerprint(k), autojunk=False).ratio() > 0.97))), None)
        if twin is None:
            kept.append(d)
        else:
            duplicates[_name(d.source)] = _name(twin.source)
    return kept, duplicates


def match_set(documents: list[Document], checklist: Checklist, *, as_of: dt.date,
              school_type: str | None = None, phase: str | None = None,
              matches: list[Match | None] | None = None) -> SetMatch:
    """Judge every item over a school's policy set (see the module docstring).

    `matches`, beside `documents`, are per-document matches already made with this school type,
    phase, checklist and as-of date (None where there is none): they are used instead of matching
    the document again."""
    if not documents:
        raise ValueError("a policy set needs at least one document")
    given = {id(d): m for d, m in zip(documents, matches or [])}
    documents, duplicates = dedupe(documents)
    matches = [given.get(id(d)) or match_document(d, checklist, as_of=as_of, school_type=school_type, phase=phase)
               for d in documents]
    sources = [d.source for d in documents]
    items, decided_by = {}, {}
    for it in checklist.items:
        items[it.id], decided_by[it.id] = _combine_item(it, [(s, mt.items[it.id]) for s, mt in zip(sources, matches)])
    pointers = _collect_pointers(documents, checklist)
    pointed = apply_pointers(items, checklist, pointers)
    decided_by.update({k: p.source for k, p in pointed.items()})
    return SetMatch([str(s) for s in sources], items,
                    _union([(s, mt.red_flags) for s, mt in zip(sources, matches)]),
                    _union([(s, mt.outdated) for s, mt in zip(sources, matches)]),
                    matches, pointers, duplicates, {k: v for k, v in decided_by.items() if v},
                    {k: p.policy for k, p in pointed.items()})


@dataclass
class SetResult:
    """A policy set checked from files: what `check --set` prints and set labels are scored on."""
    name: str
    sources: list[str]
    sha256: list[str]
    match: SetMatch
    as_of: dt.date
    school_type: str | None
    phase: str | None
    errors: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"name": self.name, "sources": self.sources, "sha256": self.sha256, "as_of": self.as_of.isoformat(),
                "school_type": self.school_type, "phase": self.phase, **self.match.to_json(),
                "errors": self.errors}


@dataclass
class Member:
    """One file of a set as the caller already has it (`check --set` stores each file on its own
    first): its document, extracted once, or the reason it could not be read."""
    document: Document | None = None  # extracted in this run, or rebuilt from the database
    sha256: str = ""
    match: Match | None = None  # its own match, used again when it was made with the set's type and phase
    profile: tuple[str | None, str | None] = (None, None)  # the (type, phase) `match` was made with
    error: str = ""  # could not be read: counts as an unreadable document of the set


def check_set(sources: list, *, checklist: Checklist, as_of: dt.date, school_type: str | None = None,
              phase: str | None = None, name: str = "", members: dict[str, Member] | None = None) -> SetResult:
    """Judge the files of a set together. Each file is taken from `members` (keyed by str(source))
    where the caller has it, else extracted here; one that cannot be read is reported and counts
    as unreadable. Type and phase: as given, else the first document that states them."""
    from toolkit.errors import DipsampleError
    from toolkit.extract import extract, read_source
    from toolkit.profile import infer_profile

    members = members or {}
    docs, shas, errors, known = [], [], [], []
    for s in sources:
        m = members.get(str(s)) or Member()
        if m.document is None and not m.error:
            try:
                src = read_source(s)
                m = Member(extract(src), src.sha256)
            except Exception as exc:  # noqa: BLE001 - one bad file leaves the set judged on the rest
                m = Member(error=str(exc) if isinstance(exc, DipsampleError)
                           else f"{_name(s)}: could not be processed ({exc})")
        if m.error:
            errors.append({"source": str(s), "error": m.error})
            m = Member(Document(str(s), "", 0, warnings=[m.error], readable=False))
        # The set names each document as the caller gave it (a web page's final address may differ).
        docs.append(m.document if m.document.source == str(s) else dataclasses.replace(m.document, source=str(s)))
        shas.append(m.sha256)
        known.append(m)
    for d in docs:
        if d.readable and not (school_type and phase):
            t, p = infer_profile(d)
            school_type, phase = school_type or t, phase or p
    reuse = [m.match if m.match is not None and tuple(m.profile) == (school_type, phase) else None for m in known]
    match = match_set(docs, checklist, as_of=as_of, school_type=school_type, phase=phase, matches=reuse)
    return SetResult(name or _name(sources[0]), [str(s) for s in sources], shas, match, as_of, school_type, phase,
                     errors)


def format_set(result: SetResult | dict) -> str:
    """The set result (or its JSON, as stored) as text: each item with its status and the document
    that decided it, the red flags and outdated markers per document, and the policies referred to
    but not supplied."""
    data = result.to_json() if isinstance(result, SetResult) else result
    counts: dict[str, int] = {}
    for f in data["items"].values():
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    profile = ", ".join(x for x in (data["school_type"], data["phase"]) if x) or "type and phase unknown"
    lines = [f"policy set {data['name']}: {len(data['documents'])} document(s) ({profile})",
             "  documents: " + ", ".join(_name(s) for s in data["documents"]),
             "  " + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("met", "partial", "missing", "n/a", "not-evaluated"))]
    for item_id, f in data["items"].items():
        ev = f["evidence"][0] if f["evidence"] else None
        where = f"{ev['source']} p{ev['page']}" if ev and ev.get("source") else ""
        lines.append(f"  {item_id:7} {f['status']:13} {where}")
    for title, findings in (("red flags", data["red_flags"]), ("outdated", data["outdated"])):
        shown = [f"{f['id']} ({', '.join(f['documents'])})" for f in findings]
        lines.append(f"  {title}: " + ("; ".join(shown) if shown else "none"))
    missing = [p for p in data["pointers"] if not p["supplied_by"]]
    if missing:
        lines.append("  referred to but not supplied:")
        for name in data["not_supplied"]:
            p = next(x for x in missing if x["policy"] == name)
            lines.append(f"    {name} ({p['source']} p{p['page']}: \"{p['text'][:100]}\")")
    else:
        lines.append("  referred to but not supplied: none")
    for e in data["errors"]:
        lines.append(f"  could not be read: {e['error']}")
    for copy, kept in data["duplicates"].items():
        lines.append(f"  {copy}: a copy of {kept}, read once")
    return "\n".join(lines)
