"""Review: the queue, decisions in an append-only trail (latest wins), carry-over when a policy is
checked again, agreement between reviewers."""

import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from toolkit import review
from toolkit.batch import check_and_store
from toolkit.cli import cli
from toolkit.store import open_db

from conftest import AS_OF, CORPUS

POLICY = "hartley-infants.html"


@pytest.fixture
def db(tmp_path, national):
    db = open_db(tmp_path / "r.db")
    shutil.copy(CORPUS / POLICY, tmp_path / POLICY)
    check_and_store([tmp_path / POLICY], db, checklist=national, as_of=AS_OF)
    return db


def first(db, **filters):
    entries = review.queue(db, **filters)
    assert entries
    return entries[0]


def test_queue_puts_red_flags_then_statutory_gaps_first(db):
    reasons = [e.reason for e in review.queue(db)]
    assert reasons == sorted(reasons, key=review.REASONS.index)
    assert "statutory gap" in reasons


def test_a_decision_changes_the_current_status_and_leaves_the_queue(db):
    e = first(db)
    review.decide(db, e.finding_id, reviewer="Ann", action="change", new_status="met", comment="section 9 covers it")
    assert review.current_status(db, e.finding_id) == "met"
    assert e.finding_id not in [x.finding_id for x in review.queue(db)]


def test_latest_decision_wins_and_every_decision_is_kept(db):
    e = first(db)
    review.decide(db, e.finding_id, reviewer="Ann", action="change", new_status="met")
    review.decide(db, e.finding_id, reviewer="Ann", action="change", new_status="partial", comment="second look")
    review.decide(db, e.finding_id, reviewer="Ben", action="comment", comment="agree with the second look")
    assert review.current_status(db, e.finding_id) == "partial"
    trail = review.history(db, finding_id=e.finding_id)
    assert [(h["reviewer"], h["action"], h["new_status"]) for h in trail] == [
        ("Ann", "change", "met"), ("Ann", "change", "partial"), ("Ben", "comment", None)]


def test_decisions_cannot_be_updated_or_deleted(db):
    e = first(db)
    decision = review.decide(db, e.finding_id, reviewer="Ann", action="agree")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("update decisions set new_status = 'met' where id = ?", [decision])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("delete from decisions")
    assert db["decisions"].count == 1


@pytest.mark.parametrize("kwargs,message", [
    (dict(reviewer="", action="agree"), "reviewer name is required"),
    (dict(reviewer="Ann", action="change", new_status="great"), "not one of"),
    (dict(reviewer="Ann", action="comment"), "needs a comment"),
    (dict(reviewer="Ann", action="agree", evidence_clause_id="c99999"), "not in this document"),
])
def test_bad_decisions_are_refused(db, kwargs, message):
    with pytest.raises(review.ReviewError, match=message):
        review.decide(db, first(db).finding_id, **kwargs)


def test_decisions_carry_over_when_the_policy_is_checked_again_unchanged(db, tmp_path, national):
    e = first(db)
    review.decide(db, e.finding_id, reviewer="Ann", action="change", new_status="met")
    # the school re-publishes the same policy with one paragraph changed
    new = tmp_path / "v2"
    new.mkdir()
    text = (tmp_path / POLICY).read_text()
    (new / POLICY).write_text(text.replace("</main>", "<p>We review this policy every year.</p></main>"))
    check_and_store([new / POLICY], db, checklist=national, as_of=AS_OF)
    carried = [h for h in review.history(db) if h["carried_from"]]
    assert carried and carried[0]["new_status"] == "met" and carried[0]["reviewer"] == "Ann"
    assert db["decisions"].count == 2  # the original is untouched; the carried copy is added


def test_kappa_on_a_hand_computed_example():
    # 10 findings: 7 agreements; rater A: 6 met 4 missing, rater B: 5 met 5 missing
    pairs = [("met", "met")] * 4 + [("missing", "missing")] * 3 + [("met", "missing")] * 2 + [("missing", "met")]
    # p_o = 0.7; p_e = 0.6*0.5 + 0.4*0.5 = 0.5; kappa = 0.2 / 0.5 = 0.4
    assert review.cohen_kappa(pairs) == pytest.approx(0.4)
    assert review.cohen_kappa([("met", "met")] * 3) is None


def test_stats_report_agreement_between_two_reviewers(db):
    entries = review.queue(db)[:4]
    for n, e in enumerate(entries):
        review.decide(db, e.finding_id, reviewer="Ann", action="change", new_status="met")
        review.decide(db, e.finding_id, reviewer="Ben", action="change", new_status="met" if n < 3 else "missing")
    s = review.stats(db)
    assert s["decisions"] == 8 and s["by_reviewer"] == {"Ann": 4, "Ben": 4}
    assert s["pairs"][0]["agreement"] == 0.75


def test_terminal_review_by_single_keys(db, tmp_path):
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    before = len(review.queue(db))
    r = CliRunner().invoke(cli, ["review", "--db", path, "--reviewer", "Ann"], input="a2q")
    assert r.exit_code == 0, r.output
    assert "kept: agree" in r.output and "kept: change partial" in r.output
    assert len(review.queue(db)) == before - 2
    assert [h["reviewer"] for h in review.history(db)] == ["Ann", "Ann"]


def test_history_export_csv_and_json(db):
    review.decide(db, first(db).finding_id, reviewer="Ann", action="agree")
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    csv_out = CliRunner().invoke(cli, ["review", "--db", path, "history"]).output
    assert csv_out.splitlines()[0].startswith("id,created_at,reviewer,document,item_id,action")
    json_out = CliRunner().invoke(cli, ["review", "--db", path, "history", "--format", "json"]).output
    assert '"reviewer": "Ann"' in json_out


def test_backup_keeps_the_review_trail(db, tmp_path):
    review.decide(db, first(db).finding_id, reviewer="Ann", action="agree")
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    r = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "copy.db"), "--db", path])
    assert r.exit_code == 0, r.output
    copy = open_db(tmp_path / "copy.db")
    assert copy["decisions"].count == 1 and copy["findings"].count == db["findings"].count
    again = CliRunner().invoke(cli, ["db", "backup", str(tmp_path / "copy.db"), "--db", path])
    assert again.exit_code == 1 and "already exists" in again.output


def test_second_opinion_queue_gives_a_reviewer_what_another_decided(db):
    decided = [e.finding_id for e in review.queue(db)[:3]]
    for f in decided:
        review.decide(db, f, reviewer="Ann", action="change", new_status="met")
    second = review.queue(db, reviewer="Ben", decided_by="Ann")
    assert [e.finding_id for e in second] == decided and {e.reason for e in second} == {"second opinion"}
    review.decide(db, decided[0], reviewer="Ben", action="change", new_status="partial")
    assert [e.finding_id for e in review.queue(db, reviewer="Ben", decided_by="Ann")] == decided[1:]
    assert review.stats(db)["pairs"][0]["findings"] == 1


def test_queue_for_a_sample_holds_only_its_schools(db):
    assert review.queue(db, sample=999) == []


def test_a_passage_quote_is_shown_whole_with_the_text_around_it(tmp_path, national):
    policy = tmp_path / "passage.md"
    policy.write_text("# Behaviour policy\n\n## Detention\n\nWe welcome pupils at 8.30am. "
                      "Pupils may be given an after-school detention of up to one hour. "
                      "Parents will be told the day before. Parental consent is not needed for a detention. "
                      "Lessons end at 3.15pm.\n")
    db = open_db(tmp_path / "p.db")
    check_and_store([policy], db, checklist=national, as_of=AS_OF)
    fid = db.execute("select id from findings where item_id = 'DET-01'").fetchone()[0]
    ev = review.context(db, fid)["evidence"][0]
    assert ev["text"].startswith("Pupils may be given an after-school detention")
    assert ev["text"].endswith("Parental consent is not needed for a detention.")
    assert len(ev["clause_ids"]) == 3
    assert ev["before"] == ["We welcome pupils at 8.30am."] and ev["after"] == ["Lessons end at 3.15pm."]
