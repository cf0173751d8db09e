"""Storage: migrations, one transaction per document, no duplicates on re-check."""

import datetime as dt

from toolkit.pipeline import check_file
from toolkit.store import MIGRATIONS, find_run, open_db, run_json, save_result

from conftest import AS_OF, CORPUS

POLICY = CORPUS / "hartley-infants.html"


def counts(db):
    return {t: db[t].count for t in ("documents", "clauses", "runs", "findings", "evidence")}


def test_schema_is_migrated_once(tmp_path):
    db = open_db(tmp_path / "a.db")
    assert [r["name"] for r in db["_migrations"].rows] == [name for name, _ in MIGRATIONS]
    db2 = open_db(tmp_path / "a.db")
    assert db2["_migrations"].count == len(MIGRATIONS)


def test_rechecking_the_same_file_adds_no_rows(tmp_path, mini):
    db = open_db(tmp_path / "a.db")
    first = save_result(db, check_file(POLICY, checklist=mini, as_of=AS_OF))
    before = counts(db)
    again = save_result(db, check_file(POLICY, checklist=mini, as_of=AS_OF))
    assert again == first
    assert counts(db) == before
    assert before["documents"] == 1 and before["clauses"] > 20


def test_a_new_as_of_date_is_a_new_run_over_the_same_document(tmp_path, mini):
    db = open_db(tmp_path / "a.db")
    save_result(db, check_file(POLICY, checklist=mini, as_of=AS_OF))
    save_result(db, check_file(POLICY, checklist=mini, as_of=dt.date(2027, 11, 1)))
    assert db["documents"].count == 1 and db["runs"].count == 2


def test_stored_run_round_trips_to_the_spec_shape(tmp_path, mini):
    db = open_db(tmp_path / "a.db")
    result = check_file(POLICY, checklist=mini, as_of=AS_OF)
    run_id = save_result(db, result)
    assert find_run(db, result.sha256, mini, AS_OF) == run_id
    data = run_json(db, run_id)
    assert data["sha256"] == result.sha256
    assert set(data["items"]) == {"T-DET", "T-FORCE", "T-PHONE"}
    for f in data["items"].values():
        assert f["status"] in {"met", "partial", "missing", "n/a", "not-evaluated"}
        assert 0 <= f["confidence"] <= 1
        assert all({"text", "page"} <= set(e) for e in f["evidence"])


def test_clauses_are_full_text_searchable(tmp_path, mini):
    db = open_db(tmp_path / "a.db")
    save_result(db, check_file(POLICY, checklist=mini, as_of=AS_OF))
    hits = list(db["clauses"].search("kind"))
    assert hits and all("kind" in h["text"].lower() for h in hits)


def test_a_stored_document_is_rebuilt_exactly_as_it_was_extracted(tmp_path, mini):
    from toolkit.extract import extract
    from toolkit.store import load_document

    db = open_db(tmp_path / "a.db")
    for name in ("hartley-infants.html", "castlemere-high.pdf", "willowbank-college.docx", "sets/larchfield-behaviour.md"):
        result = check_file(CORPUS / name, checklist=mini, as_of=AS_OF)
        run_id = save_result(db, result)
        rebuilt = load_document(db, db["runs"].get(run_id)["document_id"], str(CORPUS / name))
        original = extract(CORPUS / name)
        assert rebuilt == original, name  # sections, headings, clauses, pages, text, warnings, unread pages


def test_an_old_database_upgrades_to_policy_sets(tmp_path, mini, monkeypatch):
    """A database made before policy sets were stored (migrations m001-m003) gains them, keeps
    its findings and, once its documents are checked as a set, their layout too."""
    from click.testing import CliRunner

    from toolkit import store
    from toolkit.cli import cli

    path = tmp_path / "old.db"
    with monkeypatch.context() as m:  # the database as it was before m004
        m.setattr(store, "MIGRATIONS", [x for x in MIGRATIONS if x[0] < "m004"])
        m.setattr(store, "_save_sections", lambda *a: None)
        old = open_db(path)
        run_id = save_result(old, check_file(CORPUS / "sets" / "larchfield-behaviour.md", checklist=mini, as_of=AS_OF))
        assert "set_runs" not in old.table_names()
        old.conn.close()
    db = open_db(path)
    assert [r["name"] for r in db["_migrations"].rows][-1] == "m004_policy_sets"
    assert {"set_runs", "set_documents", "set_findings", "set_evidence", "set_pointers"} <= set(db.table_names())
    assert run_json(db, run_id)["items"]  # the old findings are still there
    assert store.load_document(db, db["runs"].get(run_id)["document_id"]) is None  # stored without its layout
    r = CliRunner().invoke(cli, ["check", "--db", str(path), "--checklist", str(CORPUS.parent / "tests/checklists/mini"),
                                 "--as-of", "2026-11-01", "--set", str(CORPUS / "sets")])
    assert r.exit_code == 0, r.output
    assert db["set_runs"].count == 1 and db["set_documents"].count == 2
    assert store.load_document(db, db["runs"].get(run_id)["document_id"]) is not None  # kept now
