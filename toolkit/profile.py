"""The school's type and phase as the policy's title block states them, when it does."""

from __future__ import annotations

import re

from toolkit.document import Document

TITLE_BLOCK_CLAUSES = 25  # the cover block and first paragraphs

_TYPE_RULES = [
    ("independent", re.compile(r"\bindependent ([\w-]+ ){0,3}(school|senior|prep|preparatory|day|boarding)\b(?! standards)|"
                                r"\bpreparatory school\b|\bprep school\b|\bproprietor\b", re.I)),
    ("academy", re.compile(r"\bacadem(y|ies)\b|\bfree school\b|\bmulti-academy trust\b|\bMAT\b|\bTrust\b|\bstudio school\b|\bUTC\b", re.I)),
    ("maintained", re.compile(r"\b(maintained|community|voluntary (aided|controlled)|foundation) (school|primary|secondary|special|infant|junior|nursery)|\bpupil referral unit\b|\bPRU\b|\blocal authority (school|maintained)\b", re.I)),
]
_PHASE_RULES = [
    ("ap", re.compile(r"\bpupil referral unit\b|\bPRU\b|\balternative provision (school|academy|free school)\b|\bAP academy\b", re.I)),
    ("special", re.compile(r"\bspecial school\b|\bspecial academy\b|\bSEMH school\b", re.I)),
    ("all-through", re.compile(r"\ball-through\b|\b(ages?|aged) (3|4|5)\s*(-|to|–)\s*(18|19)\b", re.I)),
    ("primary", re.compile(r"\b(primary|infants?|junior|first school|nursery|prep(aratory)? school)\b", re.I)),
    ("secondary", re.compile(r"\b(secondary|high school|senior school|upper school|college|grammar school|11\s*(-|to|–)\s*1[68])\b", re.I)),
]


def _first(rules, text: str) -> str | None:
    """The rule whose words come first in the title block (the school describes itself before it
    cites regulations)."""
    hits = [(m.start(), n, name) for n, (name, rx) in enumerate(rules) if (m := rx.search(text))]
    return min(hits)[2] if hits else None


def infer_profile(document: Document) -> tuple[str | None, str | None]:
    """(school type, phase) from the title block; None where the policy does not say."""
    head = " ".join(c.text for c in document.clauses[:TITLE_BLOCK_CLAUSES])
    head = " ".join([s.heading for s in document.sections[:4]] + [head])
    school_type = _first(_TYPE_RULES, head)
    phase = next((p for p, rx in _PHASE_RULES if rx.search(head)), None)
    if phase == "ap" and school_type is None:
        school_type = "maintained"
    return school_type, phase
