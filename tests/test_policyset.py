"""A school's policy set: items judged over all its documents, pointers to other policies."""

import json

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.document import Document
from toolkit.errors import LabelError
from toolkit.evaluate import evaluate
from toolkit.extract import extract, read_source
from toolkit.labels import load_label
from toolkit.match import match_document
from toolkit.policyset import find_pointers, match_set, policy_key

from conftest import AS_OF, CORPUS, doc_from_markdown

SETS = CORPUS / "sets"
MAIN, SEARCHING = SETS / "larchfield-behaviour.md", SETS / "larchfield-searching.md"
PROFILE = {"school_type": "maintained", "phase": "primary"}


@pytest.fixture(scope="module")
def docs():
    return [extract(read_source(MAIN)), extract(read_source(SEARCHING))]


@pytest.fixture(scope="module")
def larchfield(docs, national):
    return match_set(docs, national, as_of=AS_OF, **PROFILE)


def test_best_supported_status_across_documents_names_the_document(docs, national, larchfield):
    alone = match_document(docs[0], national, as_of=AS_OF, **PROFILE)
    assert alone.items["SSC-01"].status == "missing"  # the behaviour policy only points to the searching policy
    f = larchfield.items["SSC-01"]
    assert f.status == "met"
    assert {e.source for e in f.evidence} == {"larchfield-searching.md"}
    assert "knives or weapons" in f.evidence[0].text
    assert f.evidence[0].to_json()["source"] == "larchfield-searching.md"
    rs = larchfield.items["RS-08"]
    assert rs.status == "met" and rs.evidence[0].source == "larchfield-behaviour.md"
    assert larchfield.items["RS-07"].status == "n/a"  # academies only: n/a in every document
    assert larchfield.items["EXC-05"].status == "missing"
    # Single-document results carry no source.
    assert "source" not in alone.items["RS-08"].evidence[0].to_json()


def test_n_a_only_when_every_document_says_so_and_not_evaluated_only_when_none_could_decide(national):
    uses = doc_from_markdown("# Sanctions\n\nPupils may be given an after-school detention.", "a.md")
    silent = doc_from_markdown("# Rewards\n\nWe praise good choices.", "b.md")
    unreadable = Document("scan.pdf", "pdf", 1, warnings=["needs OCR"], readable=False)
    m = match_set([silent, uses], national, as_of=AS_OF)
    assert m.items["DET-01"].status in ("met", "partial")
    assert m.items["DET-01"].evidence[0].source == "a.md"
    assert match_set([silent, silent], national, as_of=AS_OF).items["DET-01"].status == "n/a"
    assert match_set([unreadable, silent], national, as_of=AS_OF).items["DET-01"].status == "n/a"
    none = match_set([unreadable, unreadable], national, as_of=AS_OF)
    assert {f.status for f in none.items.values()} == {"not-evaluated"}
    # an item not found in the documents read may be in the one that could not be read
    partly = match_set([unreadable, silent], national, as_of=AS_OF).items["RS-08"]
    assert partly.status == "not-evaluated" and "could not be read: scan.pdf" in partly.explanation


def test_pointer_rule_finds_the_named_policy():
    doc = doc_from_markdown(
        "# Policy\n\nFor details see our Searching Policy. "
        "Bullying is set out in the separate Anti-Bullying Policy. "
        "Please refer to the Child Protection Policy. "
        "Pupils are searched in line with the Searching, Screening and Confiscation Policy. "
        "This policy is reviewed every year.")
    names = [n for n, _ in find_pointers(doc)]
    assert names == ["Searching Policy", "Anti-Bullying Policy", "Child Protection Policy",
                     "Searching, Screening and Confiscation Policy"]
    assert policy_key("the separate Anti-Bullying Policy") == policy_key("Anti-Bullying Policy")


def test_pointer_to_a_supplied_policy_is_read(larchfield):
    searching = [p for p in larchfield.pointers if "Searching" in p.policy]
    assert searching and all(p.supplied_by == "larchfield-searching.md" for p in searching)
    assert not any("Searching" in n for n in larchfield.not_supplied)
    assert larchfield.items["SSC-04"].status == "met"  # read from the supplied searching policy


def test_pointer_to_an_unsupplied_policy_is_listed_and_the_item_is_at_most_partial(national, larchfield):
    assert larchfield.not_supplied == ["Anti-Bullying Policy", "Child Protection Policy"]
    assert larchfield.to_json()["not_supplied"] == ["Anti-Bullying Policy", "Child Protection Policy"]
    doc = doc_from_markdown("# Behaviour Policy\n\n## Searching\n\n"
                            "Searching pupils is set out in the separate Searching, Screening and Confiscation Policy.",
                            "behaviour.md")
    assert match_document(doc, national, as_of=AS_OF).items["SSC-01"].status == "missing"  # unchanged alone
    f = match_set([doc], national, as_of=AS_OF).items["SSC-01"]
    assert f.status == "partial"
    assert f.explanation.startswith("only a pointer to the Searching, Screening and Confiscation Policy, "
                                    "which was not supplied")
    assert f.evidence[0].source == "behaviour.md"
    # Met elsewhere in the set: the pointer changes nothing.
    searching = extract(read_source(SEARCHING))
    assert match_set([doc, searching], national, as_of=AS_OF).items["SSC-01"].status == "met"


def test_set_red_flags_are_per_document(national):
    a = doc_from_markdown("# Sanctions\n\nA pupil who is very upset may be sent home to calm down.", "main.md")
    b = doc_from_markdown("# Searching\n\nStaff may search pupils.", "searching.md")
    alone = {f.id for f in match_document(a, national, as_of=AS_OF).red_flags}
    assert "RF-01" in alone
    m = match_set([a, b], national, as_of=AS_OF)
    assert {f.id for f in m.red_flags} == alone
    assert all(e.source == "main.md" for f in m.red_flags for e in f.evidence)


def test_set_labels_are_scored_by_eval(tmp_path):
    label = load_label(SETS / "labels" / "larchfield-primary.yaml")
    assert label.is_set and label.documents == ["larchfield-behaviour.md", "larchfield-searching.md"]
    m = evaluate(SETS / "labels", SETS)
    assert m["documents"] == 1 and m["items_scored"] == len(label.items)
    assert m["status_accuracy"] == 1.0 and m["evidence_hit_rate"] == 1.0
    bad = tmp_path / "both.yaml"
    bad.write_text("document: a.md\ndocuments: [a.md]\nas_of: 2026-11-01\n")
    with pytest.raises(LabelError, match="not both"):
        load_label(bad)
    r = CliRunner().invoke(cli, ["eval", str(SETS / "labels"), "--docs", str(SETS), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["status_accuracy"] == 1.0


def test_check_set_prints_the_set_and_keeps_the_spec_keys(tmp_path):
    db = str(tmp_path / "t.db")
    r = CliRunner().invoke(cli, ["check", "--db", db, "--as-of", "2026-11-01", "--set", str(SETS), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {"documents", "errors", "sets"} <= set(out)
    assert len(out["documents"]) == 2 and all("items" in d for d in out["documents"])
    s = out["sets"][0]
    assert s["not_supplied"] == ["Anti-Bullying Policy", "Child Protection Policy"]
    assert s["items"]["SSC-01"]["evidence"][0]["source"] == "larchfield-searching.md"
    text = CliRunner().invoke(cli, ["check", "--db", db, "--as-of", "2026-11-01", "--set", str(MAIN), str(SEARCHING)])
    assert text.exit_code == 0, text.output
    assert "referred to but not supplied" in text.stdout and "Anti-Bullying Policy" in text.stdout
    plain = CliRunner().invoke(cli, ["check", "--db", db, "--as-of", "2026-11-01", str(MAIN), "--json"])
    assert "sets" not in json.loads(plain.stdout)


def test_duplicate_copies_in_a_set_are_read_once(national):
    text = "# Behaviour Policy\n\n## Detention\n\nPupils may be given an after-school detention of up to an hour."
    web = doc_from_markdown(text, "policy-webpage.md")
    pdf = doc_from_markdown(text.replace("an hour", "an hour "), "policy.pdf")
    other = doc_from_markdown("# Searching Policy\n\nOnly the headteacher may search a pupil.", "searching.md")
    m = match_set([web, pdf, other], national, as_of=AS_OF)
    assert m.duplicates == {"policy.pdf": "policy-webpage.md"}
    assert m.documents == ["policy-webpage.md", "searching.md"]
    assert m.to_json()["duplicates"] == {"policy.pdf": "policy-webpage.md"}


def test_a_read_alongside_list_names_each_policy():
    doc = doc_from_markdown("# Policy\n\nThis policy should be read together with our Child Protection, "
                            "Anti-Bullying and SEND policies.")
    assert [name for name, _ in find_pointers(doc)] == ["Child Protection Policy", "Anti-Bullying Policy", "SEND Policy"]
