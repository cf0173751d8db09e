"""The one spaCy pipeline the project uses: blank English, sentencizer, lookup lemmas.

No trained pipeline is loaded and nothing is downloaded: lemmas come from the lookup table that
`spacy-lookups-data` ships. Each word's NORM is set to its lower-cased lemma, so rules match
"searched", "Searches" and "search" alike.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.attrs import ORTH
from spacy.lookups import load_lookups


@lru_cache(maxsize=1)
def _lemma_table():
    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Known English word forms (the lookup table's forms and lemmas): a dictionary for repairs."""
    table = _lemma_table()
    return frozenset(table.keys()) | frozenset(table.values())


def lemma(word: str) -> str:
    """The lower-cased lookup lemma of one word ("Pupils" -> "pupil")."""
    low = word.lower()
    return _lemma_table().get(low, low)


@Language.component("lemma_norm")
def lemma_norm(doc):
    """Set NORM to the lemma on each word type once (on the shared vocabulary's lexemes, which
    every token of that word reads), rather than on every token of every clause."""
    table = _lemma_table()
    vocab = doc.vocab
    for orth in set(doc.to_array(ORTH).tolist()) - _NORMED:
        lex = vocab[orth]
        low = lex.lower_
        lex.norm_ = table.get(low, low)
        _NORMED.add(orth)
    return doc


_NORMED: set[int] = set()  # word types whose NORM is already their lemma


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemma_norm")
    return nlp
