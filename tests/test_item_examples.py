"""Every national rule on hand-written examples (tests/examples/*.yaml): positives, near misses and
negations, each a short policy excerpt with the status a careful auditor would give it.

An example is `{id, text, expect}`: for a requirement item `expect` is met / partial / missing /
n/a; for a red flag or outdated marker it is present / absent. Optional: school_type, phase, as_of,
and `quotes`: phrases an auditor would expect the finding to quote (each must appear in a quote).
"""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from toolkit.match import match_document

from conftest import AS_OF, HERE, doc_from_markdown

EXAMPLES = [
    pytest.param(ex, id=f"{path.stem}:{ex['id']}:{n}")
    for path in sorted((HERE / "examples").glob("*.yaml"))
    for n, ex in enumerate(yaml.safe_load(path.read_text()) or [])
]


@pytest.mark.parametrize("example", EXAMPLES)
def test_example(example, national):
    doc = doc_from_markdown(example["text"])
    as_of = example.get("as_of", AS_OF)
    as_of = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    m = match_document(doc, national, as_of=as_of, school_type=example.get("school_type", "maintained"),
                       phase=example.get("phase", "secondary"))
    item_id, expect = example["id"], example["expect"]
    if item_id.startswith(("RF-", "OUT-")):
        fired = {f.id: f for f in [*m.red_flags, *m.outdated]}
        got = "present" if item_id in fired else "absent"
        evidence = fired[item_id].evidence if item_id in fired else []
        why = evidence[0].text if evidence else ""
    else:
        finding = m.items[item_id]
        got, why, evidence = finding.status, finding.explanation, finding.evidence
    assert got == expect, f"{item_id}: expected {expect}, got {got} ({why[:300]})"
    quoted = [e.text.lower() for e in evidence]
    unquoted = [q for q in example.get("quotes", []) if not any(q.lower() in t for t in quoted)]
    assert not unquoted, f"{item_id}: not quoted {unquoted}; quoted {quoted}"


def test_every_national_id_has_examples(national):
    covered = {p.values[0]["id"] for p in EXAMPLES}
    ids = {x.id for x in [*national.items, *national.red_flags, *national.outdated]}
    assert not (ids - covered), f"no examples for {sorted(ids - covered)}"
