"""Why evidence phrases are missed, by mechanism (no policy text printed):
- not-extracted: the phrase is in no clause of the extracted document (extraction or splitting);
- not-matched: a clause holds it, but no rule of the item hit that clause;
- ranked-out: a rule hit the clause, but it was not among the quoted evidence.

    python benchmarks/evidence_misses.py [LABELS DOCS]
"""

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit.evaluate import _norm, run  # noqa: E402
from toolkit.match import _Matcher  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    labels = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "corpus" / "labels"
    docs = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "corpus"
    why: Counter = Counter()
    per_item: Counter = Counter()
    shape: Counter = Counter()
    for s in run(labels, docs):
        if not s.result:
            continue
        clauses = s.result.document.clauses
        m = _Matcher(s.result.document, s.result.checklist)
        for item_id, gold in s.label.items.items():
            f = s.result.match.items.get(item_id)
            if gold.status not in ("met", "partial") or not f:
                continue
            quoted = " || ".join(_norm(e.text) for e in f.evidence)
            item = s.result.checklist.item(item_id)
            hit_clauses = set()
            for el in item.elements:
                hit_clauses |= set(m.clauses_for(el.any, context=el.context, negation=el.negation, exclude=el.exclude))
            for phrase in gold.evidence:
                p = _norm(phrase)
                if p in quoted:
                    continue
                holders = [i for i, c in enumerate(clauses) if p in _norm(c.text)]
                reason = "not-extracted" if not holders else "ranked-out" if set(holders) & hit_clauses else "not-matched"
                why[reason] += 1
                per_item[(item_id, reason)] += 1
                if reason == "not-matched":  # where the clause sits, to show which mechanism could reach it
                    h = holders[0]
                    near = sorted(abs(h - j) for j in hit_clauses) or [None]
                    shape[(item_id, clauses[h].kind,
                           "in-section" if m.in_section(h, item.sections) else "elsewhere",
                           f"nearest hit {near[0]} clauses away",
                           "hit lead-in" if m.index.lead_in[h] in hit_clauses else "")] += 1
    print(dict(why))
    for (item_id, reason), n in sorted(per_item.items()):
        print(f"  {item_id:7} {reason:14} {n}")
    for key, n in sorted(shape.items()):
        print("  not-matched:", " ".join(str(k) for k in key if k), n)


if __name__ == "__main__":
    main()
