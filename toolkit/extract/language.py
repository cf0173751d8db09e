"""Is a policy written in English? The checklist's rules are English, so a policy in another
language (in practice Welsh) would otherwise come out as "missing" everywhere.

The heuristic is deliberately simple and documented: count the words that are among the most
common English function words ("the", "and", "of", ...) and among the most common Welsh ones
("yn", "mae", "yr", ...). English prose has 25-35% English function words; a Welsh, Polish or
Urdu translation has almost none. A text of at least MIN_WORDS words with fewer than
MIN_ENGLISH_SHARE English function words is "not English", guessed "Welsh" when Welsh function
words outnumber the English ones. A bilingual English/Welsh policy stays English (its English half
is checked). Words shared by both languages ("a", "i", "o", "am") and acronyms ("EU") are left out.
"""

from __future__ import annotations

import re

ENGLISH = frozenset("""the and of to is that for with will be are this it as by not or from they we our
their at have has which should must when""".split())
WELSH = frozenset("""y yr yn mae ar gan wedi bod ei fel gyda neu hefyd sydd hyn yw pan dros rhaid ddim bydd
fydd cael mewn rhwng hwn hon ein eich nhw dylai gall ni ysgol disgyblion""".split())
MIN_WORDS = 50
MIN_ENGLISH_SHARE = 0.08
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def language_note(text: str) -> str | None:
    """None if the text reads as English (or is too short to tell); else a warning such as
    "not English (Welsh?)"."""
    words = [w.lower() for w in _WORD.findall(text[:200_000])]
    if len(words) < MIN_WORDS:
        return None
    english = sum(w in ENGLISH for w in words)
    if english / len(words) >= MIN_ENGLISH_SHARE:
        return None
    welsh = sum(w in WELSH for w in words)
    return "not English (Welsh?)" if welsh > english else "not English"


def english_share(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(w in ENGLISH for w in words) / max(len(words), 1)
