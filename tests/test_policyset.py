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


# ---- a set stored in the database, in reports and letters -------------------------------------

REGISTER = "urn,name,phase,type\n199001,Larchfield Primary School,primary,maintained\n"
SET_TABLES = ("set_runs", "set_documents", "set_findings", "set_evidence", "set_pointers")


def cli_run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def school_db(tmp_path):
    """Larchfield's behaviour and searching policies checked as the school's set (URN 199001)."""
    db = tmp_path / "set.db"
    (tmp_path / "register.csv").write_text(REGISTER)
    assert cli_run("register", "import", tmp_path / "register.csv", "--db", db).exit_code == 0
    r = cli_run("check", "--db", db, "--as-of", "2026-11-01", "--school", "199001", MAIN, SEARCHING)
    assert r.exit_code == 0, r.output
    return db


def set_rows(db_path):
    from toolkit.store import open_db

    db = open_db(db_path)
    return {t: db[t].count for t in SET_TABLES}


def page_text(path):
    """A report page as a reader sees it: the text in order, tags and the style sheet left out."""
    import html
    import re

    page = re.sub(r"<style>.*?</style>", "", path.read_text(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_check_school_stores_the_set_and_the_report_shows_it(school_db, tmp_path):
    r = cli_run("report", "--db", school_db, "--out", tmp_path / "reports")
    assert r.exit_code == 0, r.output
    out = tmp_path / "reports"
    html = (out / "larchfield-primary-school-policy-set.html").read_text()
    text = page_text(out / "larchfield-primary-school-policy-set.html")
    # Each item over the set, its evidence naming the document and page it came from.
    ssc = html.split('id="SSC-01"')[1].split("</tr>")[0]
    assert ">met<" in ssc and "knives or weapons" in ssc and "(larchfield-searching.md, p. 1" in ssc
    assert "(larchfield-behaviour.md, p. 1" in html.split('id="RS-08"')[1].split("</tr>")[0]
    # The policies referred to but not supplied, with the clause that refers to each: ask for them.
    assert "Policies referred to but not supplied (2)" in text
    assert "Ask the school for them" in text
    assert "set out in our separate Anti-Bullying Policy" in html.split('id="not-supplied"')[1]
    assert "Child Protection Policy" in html.split('id="not-supplied"')[1]
    # Which documents were read; the school from the register.
    assert "URN 199001" in text and "Policies read 2: larchfield-behaviour.md, larchfield-searching.md" in text
    # The index leads to the set; each document's own report says it is part of it.
    assert 'href="larchfield-primary-school-policy-set.html"' in (out / "index.html").read_text()
    assert 'href="larchfield-primary-school-policy-set.html"' in (out / "sample.html").read_text()
    own = (out / "larchfield-searching.html").read_text()
    assert "Part of a policy set" in own and 'href="larchfield-primary-school-policy-set.html"' in own


def test_rechecking_an_unchanged_set_adds_no_rows(school_db):
    before = set_rows(school_db)
    assert before["set_runs"] == 1 and before["set_pointers"] > 0 and before["set_evidence"] > 0
    r = cli_run("check", "--db", school_db, "--as-of", "2026-11-01", "--school", "199001", MAIN, SEARCHING)
    assert r.exit_code == 0, r.output
    assert "stored set result reused" in r.stderr
    assert set_rows(school_db) == before
    # A new dip-sample date is a new set run.
    cli_run("check", "--db", school_db, "--as-of", "2027-11-01", "--school", "199001", MAIN, SEARCHING)
    assert set_rows(school_db)["set_runs"] == 2


def test_stored_set_is_what_check_prints(tmp_path):
    from toolkit.checklist import load_checklist
    from toolkit.policyset import check_set

    db = tmp_path / "t.db"
    r = cli_run("check", "--db", db, "--as-of", "2026-11-01", "--set", MAIN, SEARCHING, "--json")
    assert r.exit_code == 0, r.output
    printed = json.loads(r.stdout)["sets"][0]
    fresh = json.loads(json.dumps(check_set([MAIN, SEARCHING], checklist=load_checklist(), as_of=AS_OF,
                                            name="larchfield-behaviour.md").to_json()))
    for item_id, f in fresh["items"].items():  # judged in this run and stored, or judged from the files alone
        assert printed["items"][item_id] == f, item_id
    assert {k: printed[k] for k in fresh} == fresh
    assert printed["set_run_id"] == 1
    assert [f["role"] for f in printed["files"]] == ["read", "read"]
    assert printed["items"]["SSC-01"]["decided_by"] == "larchfield-searching.md"
    assert printed["items"]["SAF-03"]["pointer"] == "Anti-Bullying Policy"


def test_a_set_extracts_each_file_once(tmp_path, monkeypatch):
    import sys

    extractor = sys.modules["toolkit.extract"]  # every reader ends in its build_document
    read = []
    real = extractor.build_document
    monkeypatch.setattr(extractor, "build_document", lambda *a, **k: read.append(k["source"]) or real(*a, **k))
    db = tmp_path / "t.db"
    r = cli_run("check", "--db", db, "--as-of", "2026-11-01", "--timeout", "0", "--jobs", "1", "--set", MAIN, SEARCHING)
    assert r.exit_code == 0, r.output
    assert sorted(read) == sorted([str(MAIN), str(SEARCHING)])
    # Add a third file: the two checked before are rebuilt from the database, not read again.
    third = tmp_path / "larchfield-attendance.md"
    third.write_text("# Larchfield Primary School: Attendance Policy\n\nPart-time timetables are never used "
                     "to manage behaviour.\n")
    read.clear()
    r = cli_run("check", "--db", db, "--as-of", "2026-11-01", "--timeout", "0", "--jobs", "1", "--set",
                MAIN, SEARCHING, third, "--json")
    assert r.exit_code == 0, r.output
    assert read == [str(third)]
    assert json.loads(r.stdout)["sets"][0]["items"]["SSC-01"]["status"] == "met"


def test_a_set_checked_in_worker_processes_with_a_time_limit(tmp_path):
    db = tmp_path / "t.db"
    r = cli_run("check", "--db", db, "--as-of", "2026-11-01", "--jobs", "2", "--timeout", "120", "--set",
                MAIN, SEARCHING, "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["sets"][0]
    assert s["items"]["SSC-01"]["evidence"][0]["source"] == "larchfield-searching.md"
    assert s["not_supplied"] == ["Anti-Bullying Policy", "Child Protection Policy"]


def test_a_set_with_a_copy_and_a_file_that_cannot_be_read(tmp_path):
    copy = tmp_path / "larchfield-searching-web.md"
    copy.write_text(SEARCHING.read_text())
    broken = tmp_path / "larchfield-send.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated")
    db = tmp_path / "t.db"
    r = cli_run("check", "--db", db, "--as-of", "2026-11-01", "--set", MAIN, SEARCHING, copy, broken, "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)["sets"][0]
    assert s["duplicates"] == {"larchfield-searching-web.md": "larchfield-searching.md"}
    assert [e["source"] for e in s["errors"]] == [str(broken)]
    assert [f["role"] for f in s["files"]] == ["read", "read", "copy", "unreadable"]
    before = set_rows(db)
    cli_run("check", "--db", db, "--as-of", "2026-11-01", "--set", MAIN, SEARCHING, copy, broken)
    assert set_rows(db) == before  # the same files, the same failure: nothing new
    cli_run("report", "--db", db, "--out", tmp_path / "reports")
    text = page_text(next((tmp_path / "reports").glob("*-policy-set.html")))
    assert "a duplicate copy of larchfield-searching.md: read once" in text
    assert "could not be read" in text and "larchfield-send.pdf" in text


def test_the_letter_asks_for_the_policies_not_supplied_and_words_gaps_from_the_set(school_db, tmp_path):
    import docx

    out = tmp_path / "larchfield.docx"
    r = cli_run("letter", "199001", "--db", school_db, "--out", out, "--from", "A. Officer")
    assert r.exit_code == 0, r.output
    paras = docx.Document(str(out)).paragraphs
    headings = [p.text for p in paras if p.style.name.startswith("Heading")]
    assert headings[0] == "Policies referred to but not supplied"
    bullets = [p.text for p in paras if p.style.name == "List Bullet"]
    anti = next(b for b in bullets if b.startswith("Anti-Bullying Policy."))
    assert "Referred to in larchfield-behaviour.md (page 1)" in anti and "set out in our separate" in anti
    assert "Online behaviour and cyberbullying (only referred to)" in anti
    assert any(b.startswith("Child Protection Policy.") for b in bullets)
    # Gaps over the set: searching is covered by the searching policy, so it is not a gap.
    assert not any(b.startswith("Items prohibited by law listed") for b in bullets)
    assert any("Partly covered in larchfield-searching.md" in b for b in bullets)
    text = "\n".join(p.text for p in paras)
    assert "larchfield-behaviour.md and larchfield-searching.md" in text
    # The same letter from one of its documents; --document-only for the document alone.
    assert cli_run("letter", "larchfield-behaviour.md", "--db", school_db, "--out", tmp_path / "b.docx").exit_code == 0
    assert "worded from the policy set" in cli_run("letter", "larchfield-behaviour.md", "--db", school_db,
                                                   "--out", tmp_path / "b.docx").stderr
    cli_run("letter", "larchfield-behaviour.md", "--db", school_db, "--out", tmp_path / "c.docx", "--document-only")
    alone = [p.text for p in docx.Document(str(tmp_path / "c.docx")).paragraphs]
    assert "Policies referred to but not supplied" not in alone
