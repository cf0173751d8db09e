"""A school checked as a policy set is judged on its set everywhere a school is judged: the annual
summary, `sample status`, the review queue and the export. Reviewers' decisions on its documents
carry into the set there as they do in the set report."""

import csv
import json
from collections import Counter

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.store import backup, open_db

from conftest import CORPUS

SETS = CORPUS / "sets"
MAIN, SEARCHING = SETS / "larchfield-behaviour.md", SETS / "larchfield-searching.md"
BEHAVIOUR_NAME, SEARCHING_NAME = MAIN.name, SEARCHING.name
REGISTER = ("urn,name,phase,type\n"
            "199001,Larchfield Primary School,primary,maintained\n"
            "199002,Moorside Primary School,primary,maintained\n")
YEAR = "2026/27"  # the sample is dated 1 October 2026 and the policies checked as of 1 November 2026


def cli_run(*args, ok=True):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert r.exit_code == 0, r.output
    return r


@pytest.fixture(scope="module")
def larchfield(tmp_path_factory):
    """A register of two schools, both sampled; Larchfield's behaviour and searching policies
    checked together as its set (`check --school`), Moorside's policy not yet received. Returns
    the database and the set as `check --json` printed it."""
    d = tmp_path_factory.mktemp("larchfield")
    db = d / "built.db"
    (d / "register.csv").write_text(REGISTER)
    cli_run("register", "import", d / "register.csv", "--db", db)
    cli_run("sample", "draw", "--db", db, "--size", "2", "--seed", "1", "--date", "2026-10-01",
            "--include", "199001,199002", "--rationale", "autumn dip sample")
    r = cli_run("check", "--db", db, "--as-of", "2026-11-01", "--school", "199001", MAIN, SEARCHING, "--json")
    return db, json.loads(r.stdout)["sets"][0]


@pytest.fixture
def school(larchfield, tmp_path):
    """A fresh copy of the Larchfield database for each test (decisions are never undone)."""
    built, the_set = larchfield
    return backup(open_db(built), tmp_path / "set.db"), the_set


def finding_id(db_path, document: str, item: str) -> int:
    return next(open_db(db_path).query(
        "select finding_id from current_findings where source like ? and item_id = ? order by run_id desc",
        [f"%{document}", item]))["finding_id"]


def set_counts(the_set) -> Counter:
    return Counter(f["status"] for f in the_set["items"].values())


def summary_sheets(db, out) -> dict[str, list[dict]]:
    """`dipsample summary` for the year, its XLSX read back as {sheet: rows}."""
    from openpyxl import load_workbook

    r = cli_run("summary", "--db", db, "--year", YEAR, "--out", out)
    xlsx = next(p for p in map(out.joinpath, r.stdout.split()) if p.suffix == ".xlsx")
    wb = load_workbook(xlsx)
    sheets = {}
    for ws in wb:
        rows = list(ws.iter_rows(values_only=True))
        sheets[ws.title] = [dict(zip(rows[0], row)) for row in rows[1:]]
    return sheets


def sample_status(db) -> dict:
    return json.loads(cli_run("sample", "status", "1", "--db", db, "--json").stdout)


def queue(db, *filters) -> list[dict]:
    return json.loads(cli_run("review", "--db", db, *filters, "queue", "--json").stdout)


# ---- the annual summary ---------------------------------------------------------------------------

def test_the_summary_judges_a_school_checked_as_a_set_on_its_set(school, tmp_path):
    db, the_set = school
    sheets = summary_sheets(db, tmp_path / "out")
    row = next(s for s in sheets["schools"] if s["urn"] == "199001")
    assert row["policy"] == f"set of 2 policies: {BEHAVIOUR_NAME}, {SEARCHING_NAME}"
    counts = set_counts(the_set)
    assert (row["met"], row["partial"], row["missing"]) == (counts["met"], counts["partial"], counts["missing"])
    # Searching is met from the searching policy, sanctions from the behaviour policy: only the set
    # has both (the searching policy alone misses RS-08, the behaviour policy alone SSC-01).
    items = {i["id"]: i for i in sheets["items"]}
    assert (items["SSC-01"]["met"], items["SSC-01"]["missing"]) == (1, 0)
    assert (items["RS-08"]["met"], items["RS-08"]["missing"]) == (1, 0)
    # One school of two sent its policies: the set counts as the school's one policy.
    overview = {o["figure"]: o for o in sheets["overview"]}
    assert overview["policies received and checked, of schools sampled"]["count"] == 1
    moorside = next(s for s in sheets["schools"] if s["urn"] == "199002")
    assert not moorside["checked"] and not moorside["policy"]
    html = (tmp_path / "out" / "summary-2026-27.html").read_text()
    assert "set of 2 policies" in html and "checked as a policy set" in html


def test_a_set_checked_in_another_year_is_not_counted(school, tmp_path):
    db, _ = school
    sheets = summary_sheets(db, tmp_path / "out")
    assert len(sheets["schools"]) == 2
    r = cli_run("summary", "--db", db, "--year", "2025/26", "--out", tmp_path / "before", ok=False)
    assert "no samples dated in 2025/26" in r.output  # the set's as-of date is in 2026/27 only


def test_reviewers_decisions_on_the_sets_documents_show_in_the_summary(school, tmp_path):
    db, the_set = school
    # The set takes RS-08 from the behaviour policy; the reviewer finds it is not met there.
    cli_run("review", "--db", db, "decide", finding_id(db, BEHAVIOUR_NAME, "RS-08"), "--reviewer", "Ann",
            "--status", "missing", "--comment", "no clear consequences")
    # And a decision on the searching policy that agrees with the tool.
    cli_run("review", "--db", db, "decide", finding_id(db, SEARCHING_NAME, "SSC-01"), "--reviewer", "Ann", "--agree")
    sheets = summary_sheets(db, tmp_path / "out")
    items = {i["id"]: i for i in sheets["items"]}
    assert (items["RS-08"]["met"], items["RS-08"]["missing"]) == (0, 1)  # missing in both documents now
    assert items["SSC-01"]["met"] == 1
    row = next(s for s in sheets["schools"] if s["urn"] == "199001")
    counts = set_counts(the_set)
    assert (row["met"], row["missing"]) == (counts["met"] - 1, counts["missing"] + 1)
    # Decisions on every document of the set count in the review figures: two, one override.
    assert (sheets["reviews"][0]["decisions"], sheets["reviews"][0]["overrides"]) == (2, 1)


# ---- sample status --------------------------------------------------------------------------------

def test_sample_status_shows_the_set_and_its_statuses(school):
    db, the_set = school
    st = sample_status(db)
    row = next(s for s in st["schools"] if s["urn"] == "199001")
    assert row["document"] == "set of 2 policies"
    assert row["documents"] == [BEHAVIOUR_NAME, SEARCHING_NAME]
    counts = set_counts(the_set)
    assert (row["met"], row["partial"], row["missing"], row["n/a"]) == (
        counts["met"], counts["partial"], counts["missing"], counts["n/a"])
    assert row["as_of"] == "2026-11-01" and row["decided"] == 0
    # Waiting for review: the queue entries of both documents.
    assert row["to_review"] == len(queue(db)) > 0
    text = cli_run("sample", "status", "1", "--db", db).stdout
    line = next(ln for ln in text.splitlines() if "199001" in ln)
    assert "set of 2 policies" in line and SEARCHING_NAME not in line
    assert f"{counts['met']:2} met" in line
    assert "no policy yet" in next(ln for ln in text.splitlines() if "199002" in ln)


def test_sample_status_counts_reviewed_statuses_over_the_set(school):
    db, the_set = school
    cli_run("review", "--db", db, "decide", finding_id(db, BEHAVIOUR_NAME, "RS-08"), "--reviewer", "Ann",
            "--status", "missing")
    row = next(s for s in sample_status(db)["schools"] if s["urn"] == "199001")
    counts = set_counts(the_set)
    assert (row["met"], row["missing"], row["decided"]) == (counts["met"] - 1, counts["missing"] + 1, 1)


# ---- red flags and outdated references of every document, dismissed ones dropped -------------------

HILLCREST_BEHAVIOUR = """# Hillcrest Primary School: Behaviour Policy

Approved by the governing board: 15 September 2026. Next review: September 2027.

## Rewards and sanctions

Good behaviour is recognised with praise and house points. Sanctions will be reasonable and
proportionate, and staff will take account of the pupil's age and any special educational needs
or disability.

## Related policies

This policy should be read together with our Attendance Policy.
"""
HILLCREST_ATTENDANCE = """# Hillcrest Primary School: Attendance Policy

Approved by the governing board: 15 September 2026. Next review: September 2027.

## Lateness and absence

Parents should call the office before 9am on each day of absence.

A pupil who is very upset may be sent home to calm down for the rest of the day.

Persistent absence may lead to a fixed-term exclusion.
"""


def test_red_flags_and_outdated_references_of_every_document_count_until_dismissed(tmp_path):
    db = tmp_path / "h.db"
    (tmp_path / "register.csv").write_text("urn,name,phase,type\n199003,Hillcrest Primary School,primary,maintained\n")
    behaviour, attendance = tmp_path / "hillcrest-behaviour.md", tmp_path / "hillcrest-attendance.md"
    behaviour.write_text(HILLCREST_BEHAVIOUR)
    attendance.write_text(HILLCREST_ATTENDANCE)
    cli_run("register", "import", tmp_path / "register.csv", "--db", db)
    cli_run("sample", "draw", "--db", db, "--size", "1", "--seed", "1", "--date", "2026-10-01", "--include", "199003")
    cli_run("check", "--db", db, "--as-of", "2026-11-01", "--school", "199003", behaviour, attendance)
    # The informal exclusion and the old term are in the attendance policy, not the behaviour policy.
    row = sample_status(db)["schools"][0]
    assert (row["document"], row["red_flags"], row["outdated"]) == ("set of 2 policies", 1, 1)
    sheets = summary_sheets(db, tmp_path / "out")
    assert [(f["id"], f["schools"]) for f in sheets["red_flags"]] == [("RF-01", "Hillcrest Primary School")]
    assert [f["id"] for f in sheets["outdated"]] == ["OUT-01"]
    # Red flags of every document of a set stay in the review queue.
    flag = next(e for e in queue(db) if e["item_id"] == "RF-01")
    assert flag["reason"] == "red flag" and flag["document"].endswith("hillcrest-attendance.md")
    cli_run("review", "--db", db, "decide", flag["finding_id"], "--reviewer", "Ann", "--dismiss",
            "--comment", "describes what parents may do, not the school")
    assert sample_status(db)["schools"][0]["red_flags"] == 0
    sheets = summary_sheets(db, tmp_path / "after")
    assert sheets["red_flags"] == [] and sheets["schools"][0]["red_flags"] == 0
    assert [f["id"] for f in sheets["outdated"]] == ["OUT-01"]


# ---- the review queue -----------------------------------------------------------------------------

def test_the_queue_leaves_out_gaps_another_document_of_the_set_covers(school):
    db, the_set = school
    covered = {name: {k for k, f in the_set["items"].items()
                      if f["status"] in ("met", "partial") and f["decided_by"] not in (None, name)}
               for name in (BEHAVIOUR_NAME, SEARCHING_NAME)}
    assert {"RS-08", "AIM-01", "GOV-01"} <= covered[SEARCHING_NAME] and "SSC-01" in covered[BEHAVIOUR_NAME]
    entries = queue(db, "--low-confidence", "1.01")  # every finding that may be queued at all
    for e in entries:
        name = e["document"].rsplit("/", 1)[-1]
        if e["status"] in ("missing", "partial"):
            assert e["item_id"] not in covered[name], e
    # The searching policy's missing behaviour items are not statutory gaps of the school ...
    gaps = {(e["document"].rsplit("/", 1)[-1], e["item_id"]) for e in queue(db) if e["reason"] == "statutory gap"}
    assert (SEARCHING_NAME, "RS-08") not in gaps and (BEHAVIOUR_NAME, "SSC-01") not in gaps
    # ... but a requirement missing from the whole set is, in each document until one is decided.
    assert {(BEHAVIOUR_NAME, "EXC-05"), (SEARCHING_NAME, "EXC-05")} <= gaps
    cli_run("review", "--db", db, "decide", finding_id(db, BEHAVIOUR_NAME, "EXC-05"), "--reviewer", "Ann", "--agree")
    left = {(e["document"].rsplit("/", 1)[-1], e["item_id"]) for e in queue(db)}
    assert (SEARCHING_NAME, "EXC-05") not in left and (BEHAVIOUR_NAME, "EXC-05") not in left
    assert (SEARCHING_NAME, "EXC-01") in left  # not yet decided anywhere


def test_a_gap_comes_back_when_a_reviewer_lowers_the_finding_the_set_took(school):
    db, the_set = school
    # An item the set takes (met) from one document while another has it partial.
    item_id, f = next((k, f) for k, f in the_set["items"].items() if f["status"] == "met" and "partial" in
                      f["documents"].values())
    taken_from = f["decided_by"]
    other = next(n for n, st in f["documents"].items() if st == "partial")
    everything = ("--low-confidence", "1.01")
    assert (other, item_id) not in {(e["document"].rsplit("/", 1)[-1], e["item_id"]) for e in queue(db, *everything)}
    cli_run("review", "--db", db, "decide", finding_id(db, taken_from, item_id), "--reviewer", "Ann",
            "--status", "missing")
    # The set is now partial, taken from the other document: its partial finding needs a person.
    assert (other, item_id) in {(e["document"].rsplit("/", 1)[-1], e["item_id"]) for e in queue(db, *everything)}


def test_queue_filters_still_work_for_a_set(school):
    db, _ = school
    everything = queue(db)
    searching = queue(db, "--school", "searching")
    assert searching and all(e["document"].endswith(SEARCHING_NAME) for e in searching)
    assert searching == [e for e in everything if e["document"].endswith(SEARCHING_NAME)]
    exc = queue(db, "--item", "EXC-")
    assert exc and all(e["item_id"].startswith("EXC-") for e in exc)
    assert all(e["status"] == "partial" for e in queue(db, "--status", "partial"))
    assert queue(db, "--sample", "1") == everything  # both documents are linked to a sampled school
    assert queue(db, "--sample", "99") == []


# ---- export ---------------------------------------------------------------------------------------

def test_export_contains_the_set_tables(school, tmp_path):
    db, the_set = school
    cli_run("review", "--db", db, "decide", finding_id(db, BEHAVIOUR_NAME, "RS-08"), "--reviewer", "Ann",
            "--status", "missing", "--comment", "no clear consequences")
    cli_run("export", "--db", db, "--format", "csv", "--out", tmp_path / "csv")

    def read(name):
        return list(csv.DictReader((tmp_path / "csv" / f"{name}.csv").open(encoding="utf-8")))

    runs = read("set_runs")
    assert len(runs) == 1 and runs[0]["urn"] == "199001" and runs[0]["school"] == "Larchfield Primary School"
    assert runs[0]["documents"] == f"{BEHAVIOUR_NAME}, {SEARCHING_NAME}"
    assert runs[0]["not_supplied"] == "Anti-Bullying Policy, Child Protection Policy"
    findings = {f["item"]: f for f in read("set_findings")}
    assert len(findings) == len(the_set["items"])
    ssc = findings["SSC-01"]
    assert (ssc["status"], ssc["decided_by"]) == ("met", SEARCHING_NAME)
    assert f"{BEHAVIOUR_NAME}: missing" in ssc["documents"] and f"{SEARCHING_NAME}: met" in ssc["documents"]
    rs = findings["RS-08"]  # the reviewer's decision carried in, the tool's set status kept beside it
    assert (rs["status"], rs["tool_status"], rs["reviewed_by"], rs["reviewed_document"]) == (
        "missing", "met", "Ann", BEHAVIOUR_NAME)
    evidence = [e for e in read("set_evidence") if e["set_finding_id"] == ssc["set_finding_id"]]
    assert evidence and evidence[0]["document"] == SEARCHING_NAME and "knives or weapons" in evidence[0]["text"]
    pointers = read("set_pointers")
    anti = [p for p in pointers if p["policy"] == "Anti-Bullying Policy"]
    assert anti and all(p["not_supplied"] == "yes" and p["document"] == BEHAVIOUR_NAME for p in anti)
    assert any(p["supplied_by"] == SEARCHING_NAME for p in pointers)
    # The same tables in the workbook and the JSON document.
    from openpyxl import load_workbook

    cli_run("export", "--db", db, "--format", "xlsx", "--out", tmp_path / "x.xlsx")
    wb = load_workbook(tmp_path / "x.xlsx")
    assert {"set_runs", "set_findings", "set_evidence", "set_pointers"} <= set(wb.sheetnames)
    assert wb["set_findings"].max_row == len(the_set["items"]) + 1
    cli_run("export", "--db", db, "--format", "json", "--out", tmp_path / "x.json")
    data = json.loads((tmp_path / "x.json").read_text())
    assert data["set_runs"][0]["set_run_id"] == the_set["set_run_id"]
    assert {f["item"] for f in data["set_findings"] if f["kind"] == "item"} == set(the_set["items"])


def test_terminal_review_drops_a_set_gap_decided_in_another_document(school):
    db, _ = school
    assert len(queue(db, "--item", "EXC-05")) == 2  # missing from the whole set: queued in each document
    r = CliRunner().invoke(cli, ["review", "--db", str(db), "--reviewer", "Ann", "--item", "EXC-05"], input="aq")
    assert r.exit_code == 0, r.output
    assert "[1/2]" in r.output and "[2/2]" not in r.output  # the other document's copy was not shown
    assert "0 finding(s) left" in r.output
