"""The dip-sample lifecycle: register import, linking policies to schools, sampling, the annual
summary (figures computed by hand on a small database), diffs between policy versions, n<5."""

import datetime as dt
import json
import shutil

import pytest
from click.testing import CliRunner

from toolkit import register, review, sampling, summary
from toolkit.cli import cli
from toolkit.diff import diff_school
from toolkit.pipeline import check_document
from toolkit.store import open_db, save_result

from conftest import AS_OF, CORPUS, doc_from_markdown

REGISTER = CORPUS / "register.csv"


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "l.db")


@pytest.fixture
def gias(db):
    register.import_register(db, REGISTER)
    return db


# ---- register -----------------------------------------------------------------------------------

def test_synthetic_register_imports_with_corpus_schools_mapped(gias):
    rows = register.schools(gias, status=None)
    assert len(rows) == 129
    assert sum(r["status"] == "open" for r in rows) == 124
    expect = {  # from corpus/labels/*.yaml
        "102345": ("maintained", "secondary"), "109876": ("maintained", "primary"),
        "103456": ("maintained", "secondary"), "100999": ("independent", "secondary"),
        "145002": ("academy", "secondary"), "100452": ("maintained", "primary"), "135790": ("maintained", "ap"),
        "118765": ("maintained", "special"), "147123": ("academy", "secondary"), "140211": ("academy", "primary"),
        "113580": ("independent", "primary"), "146789": ("academy", "all-through"),
    }
    got = {r["urn"]: (r["school_type"], r["phase"]) for r in rows if r["urn"] in expect}
    assert got == expect
    assert register.school(gias, "135790")["ap"] == 1 and register.school(gias, "118765")["special"] == 1


def test_register_generator_is_deterministic(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_register", CORPUS / "make_register.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(tmp_path / "r.csv").read_text() == REGISTER.read_text()


GIAS_HEAD = ("URN,EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),LA (name),"
             "EstablishmentStatus (name),NumberOfPupils,StatutoryLowAge,StatutoryHighAge\n")


def test_gias_bad_rows_are_reported_with_line_and_reason_and_skipped(db, tmp_path):
    f = tmp_path / "gias.csv"
    f.write_text(GIAS_HEAD
                 + "100001,Alpha Primary School,Community school,Primary,Wexcombe,Open,210,4,11\n"   # line 2
                 + "12ab,Beta School,Community school,Primary,Wexcombe,Open,100,4,11\n"              # 3: bad URN
                 + "100003,Gamma College,Further education,16 plus,Wexcombe,Open,900,16,99\n"       # 4: FE
                 + "100004,,Community school,Primary,Wexcombe,Open,100,4,11\n"                       # 5: no name
                 + "100001,Alpha again,Community school,Primary,Wexcombe,Open,100,4,11\n"            # 6: repeat
                 + "100006,Delta Prep,Other independent school,Not applicable,Wexcombe,Open,150,3,13\n"
                 + "100007,Echo Academy,Academy alternative provision converter,Not applicable,Wexcombe,"
                   "\"Open, but proposed to close\",40,11,16\n"
                 + "100008,Foxtrot School,Community school,Primary,Wexcombe,Closed,,4,11\n", encoding="utf-8")
    r = register.import_register(db, f)
    assert r.format == "gias" and r.imported == 4 and r.closed == 1
    assert [(b.line, b.reason.split(" ")[0]) for b in r.bad] == [(3, "URN"), (4, "establishment"), (5, "no"),
                                                                 (6, "URN")]
    assert "repeats line 2" in r.bad[3].reason
    assert (register.school(db, "100006")["school_type"], register.school(db, "100006")["phase"]) == ("independent", "primary")
    echo = register.school(db, "100007")
    assert (echo["school_type"], echo["phase"], echo["ap"], echo["status"]) == ("academy", "ap", 1, "open")


def test_minimal_csv_imports_and_reports_bad_rows(db, tmp_path):
    f = tmp_path / "mini.csv"
    f.write_text("urn,name,phase,type\n"
                 "200001,Alpha Primary,primary,maintained\n"
                 "200002,Beta High,secondary,Academy converter\n"   # a GIAS type name is accepted
                 "200003,Gamma,nursery-ish,maintained\n"            # line 4: bad phase
                 "200004,Delta,primary,grammar\n"                   # line 5: bad type
                 "\n"
                 "200005,Echo,primary\n", encoding="utf-8")         # line 7: short row -> no type
    r = register.import_register(db, f)
    assert r.format == "minimal" and r.imported == 2
    assert [b.line for b in r.bad] == [4, 5, 7]
    assert "phase 'nursery-ish'" in r.bad[0].reason
    assert register.school(db, "200002")["school_type"] == "academy"


def test_not_a_register_is_an_error(db, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n")
    with pytest.raises(register.RegisterError, match="not a register"):
        register.import_register(db, f)


def test_urn_from_file_name():
    assert register.urn_from_filename("100452-behaviour-policy.pdf") == "100452"
    assert register.urn_from_filename("behaviour_policy_100452.docx") == "100452"
    assert register.urn_from_filename("policy-2024.pdf") is None
    assert register.urn_from_filename("policy-v1002.pdf") is None


def _store(db, checklist, text, name, as_of=AS_OF, **kw):
    import hashlib

    sha = hashlib.sha256((name + text).encode()).hexdigest()
    return save_result(db, check_document(doc_from_markdown(text, name), checklist=checklist, as_of=as_of,
                                          sha256=sha, **kw))


def test_title_block_links_certain_matches_and_reports_uncertain_ones(gias, mini):
    run = _store(gias, mini, "# Hartley Infant School\n\nBehaviour policy.\n\nWe use detention.", "a.md")
    near = _store(gias, mini, "# Behaviour policy\n\nSchool: Riverside Primary School\n\nWe use detention.", "b.md")
    none = _store(gias, mini, "# Behaviour policy\n\nWe use detention.", "c.md")
    docs = [{"source": s, "run_id": r} for s, r in (("a.md", run), ("b.md", near), ("c.md", none))]
    msgs = register.record_links(gias, docs, {}, register_profile=True)
    assert [(ln["urn"], ln["method"]) for ln in register.links(gias)] == [("100452", "title block")]
    assert "not linked" in msgs[1] and "Riverside Primary Academy (140211)" in msgs[1]
    assert "117001, is closed" in msgs[1] and "Parkside" not in msgs[1]
    assert "not linked: no register school named" in msgs[2]


def test_check_links_by_urn_and_file_name_and_uses_the_register_profile(tmp_path, gias):
    db_path = gias.conn.execute("PRAGMA database_list").fetchone()[2]
    shutil.copy(CORPUS / "hartley-infants.html", tmp_path / "hartley-infants-100452.html")
    shutil.copy(CORPUS / "willowbank-college.docx", tmp_path / "willowbank.docx")
    runner = CliRunner()
    r = runner.invoke(cli, ["check", str(tmp_path / "hartley-infants-100452.html"), "--db", db_path,
                            "--as-of", "2025-10-15", "--checklist", "tests/checklists/mini", "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["check", str(tmp_path / "willowbank.docx"), "--urn", "146789", "--db", db_path,
                            "--as-of", "2025-10-15", "--checklist", "tests/checklists/mini"])
    assert r.exit_code == 0, r.output
    db = open_db(db_path)
    rows = list(db.query("select sd.urn, sd.method, r.school_type, r.phase, r.profile_from from school_documents sd "
                         "join runs r on r.document_id = sd.document_id order by sd.urn"))
    assert [tuple(x.values()) for x in rows] == [("100452", "file name", "maintained", "primary", "register"),
                                                 ("146789", "given", "academy", "all-through", "register")]


# ---- sampling -----------------------------------------------------------------------------------

def test_allocation_by_hand():
    assert sampling.allocate({"a": 50, "b": 30, "c": 20}, 10) == {"a": 5, "b": 3, "c": 2}
    # quotas 4.5, 0.45, 0.05 -> 5, 0, 0; then one each for b and c, taken from a
    assert sampling.allocate({"a": 90, "b": 9, "c": 1}, 5) == {"a": 3, "b": 1, "c": 1}
    # fewer places than strata: no minimum; the largest remainders win
    assert sampling.allocate({"a": 90, "b": 9, "c": 1}, 2) == {"a": 2, "b": 0, "c": 0}
    assert sampling.allocate({"a": 3, "b": 0}, 3) == {"a": 3, "b": 0}
    with pytest.raises(sampling.SampleError):
        sampling.allocate({"a": 3}, 4)


def test_allocation_on_the_synthetic_register(gias):
    s = sampling.draw(gias, 12, seed=1, record=False)
    sizes = s.parameters["strata_sizes"]
    assert sizes["primary / maintained"] == 72 and sizes["primary / academy"] == 17
    assert sum(sizes.values()) == 124
    # quotas 12*N/124: pm 6.968, pa 1.645, sa 0.968, sm 0.774, spm 0.290, the rest below 0.2.
    # Floors give pm 6, pa 1 (7); the 5 left go to the largest remainders: pm and sa (0.968, tie:
    # larger stratum first), sm 0.774, pa 0.645, spm 0.290. 13 strata > 12: no minimum of one.
    assert {k: v for k, v in s.parameters["allocation"].items() if v} == {
        "primary / maintained": 7, "primary / academy": 2, "secondary / academy": 1,
        "secondary / maintained": 1, "special / maintained": 1}
    s = sampling.draw(gias, 20, seed=1, record=False)
    assert all(v >= 1 for v in s.parameters["allocation"].values())  # 13 strata, 20 places
    assert sum(s.parameters["allocation"].values()) == 20


def test_same_seed_and_register_give_the_same_sample(gias):
    a = sampling.draw(gias, 12, seed=2025, sample_date=dt.date(2025, 10, 1))
    b = sampling.draw(gias, 12, seed=2025, sample_date=dt.date(2025, 10, 1))
    c = sampling.draw(gias, 12, seed=2026, sample_date=dt.date(2025, 10, 1))
    assert [x["urn"] for x in a.schools] == [x["urn"] for x in b.schools] != [x["urn"] for x in c.schools]
    stored = sampling.get(gias, a.id)
    assert stored.seed == 2025 and [x["urn"] for x in stored.schools] == [x["urn"] for x in a.schools]
    assert stored.parameters["register"] == a.parameters["register"]
    assert [r["id"] for r in sampling.list_samples(gias)] == [a.id, b.id, c.id]


def test_include_and_exclude_recently_sampled(gias):
    first = sampling.draw(gias, 30, seed=1, sample_date=dt.date(2024, 10, 1))
    second = sampling.draw(gias, 30, seed=1, include=["100452"], exclude_sampled_within=2,
                           sample_date=dt.date(2025, 10, 1), rationale="follow-up")
    again = {x["urn"] for x in first.schools} & {x["urn"] for x in second.schools}
    assert again <= {"100452"}
    assert second.schools[0] == {**second.schools[0], "urn": "100452", "reason": "included"}
    assert second.parameters["excluded_recently_sampled"] == 30 - ("100452" in {x["urn"] for x in first.schools})
    with pytest.raises(sampling.SampleError, match="not in the register"):
        sampling.draw(gias, 3, include=["999999"])
    with pytest.raises(sampling.SampleError, match="closed"):
        sampling.draw(gias, 3, include=["117001"])


def test_weighting_prefers_heavy_schools(db, tmp_path):
    f = tmp_path / "w.csv"
    f.write_text("urn,name,phase,type,risk\n" + "".join(
        f"30000{i},School {i},primary,maintained,{w}\n" for i, w in enumerate([0, 0, 0, 100, 100, 0])))
    register.import_register(db, f)
    for seed in range(10):
        s = sampling.draw(db, 2, strata=["none"], seed=seed, weight="risk", record=False)
        assert {x["urn"] for x in s.schools} == {"300003", "300004"}
    with pytest.raises(sampling.SampleError, match="no register column"):
        sampling.draw(db, 2, weight="nope", record=False)


# ---- summary --------------------------------------------------------------------------------------

SCHOOLS = "urn,name,phase,type\n" + "".join(
    f"40000{i},School {c},{p},{t}\n" for i, (c, p, t) in enumerate(
        [("A", "primary", "maintained"), ("B", "primary", "maintained"), ("C", "primary", "maintained"),
         ("D", "primary", "maintained"), ("E", "secondary", "academy"), ("F", "secondary", "academy")]))
CHECKLIST = "fixture"
ITEMS = [("EQ-02", "item", "EQ", "statutory"), ("MON-02", "item", "MON", "advisory"),
         ("RF-01", "red_flag", "RF", "unlawful"), ("OUT-01", "outdated", "OUT", "")]


def _run(db, urn: str, as_of: str, statuses: dict) -> int:
    doc = db["documents"].insert({"sha256": f"{urn}{as_of}", "source": f"{urn}-{as_of}.md", "format": "md",
                                  "pages": 1, "readable": 1, "warnings": "[]"}).last_pk
    run = db["runs"].insert({"document_id": doc, "checklist": CHECKLIST, "as_of": as_of, "tool_version": "t",
                             "given_type": "", "given_phase": ""}).last_pk
    for item_id, status in statuses.items():
        kind = next(k for i, k, *_ in ITEMS if i == item_id)
        db["findings"].insert({"run_id": run, "item_id": item_id, "kind": kind, "status": status,
                               "confidence": 0.9, "explanation": "", "found": "[]", "not_found": "[]"})
    register.link(db, doc, urn, "given")
    return run


@pytest.fixture
def year_db(db, tmp_path):
    f = tmp_path / "s.csv"
    f.write_text(SCHOOLS)
    register.import_register(db, f)
    db["checklist_items"].insert_all([{"checklist": CHECKLIST, "version": "1", "id": i, "kind": k, "title": i,
                                       "area": a, "basis": b} for i, k, a, b in ITEMS])
    # 2024/25: schools A and B
    sampling.draw(db, 2, include=["400000", "400001"], sample_date=dt.date(2024, 10, 1), seed=1)
    _run(db, "400000", "2024-10-15", {"EQ-02": "missing", "MON-02": "met"})
    _run(db, "400001", "2024-10-15", {"EQ-02": "met", "MON-02": "met", "RF-01": "present"})
    # 2025/26: all six; F's policy never arrives
    sampling.draw(db, 6, sample_date=dt.date(2025, 10, 1), seed=1)
    runs = {
        "400000": _run(db, "400000", "2025-10-15", {"EQ-02": "met", "MON-02": "met"}),
        "400001": _run(db, "400001", "2025-10-15", {"EQ-02": "met", "MON-02": "missing"}),
        "400002": _run(db, "400002", "2025-10-15", {"EQ-02": "partial", "MON-02": "n/a", "RF-01": "present"}),
        "400003": _run(db, "400003", "2025-10-15", {"EQ-02": "missing", "MON-02": "partial", "RF-01": "present",
                                                    "OUT-01": "present"}),
        "400004": _run(db, "400004", "2025-10-15", {"EQ-02": "met", "MON-02": "n/a", "RF-01": "present"}),
    }
    _run(db, "400005", "2026-09-15", {"EQ-02": "met"})  # checked in the next year: not counted
    fid = {(r["run_id"], r["item_id"]): r["id"] for r in db["findings"].rows}
    review.decide(db, fid[(runs["400004"], "RF-01")], reviewer="Ann", action="dismiss", comment="quoted law")
    review.decide(db, fid[(runs["400003"], "EQ-02")], reviewer="Ann", action="change", new_status="partial")
    review.decide(db, fid[(runs["400000"], "EQ-02")], reviewer="Ann", action="agree")
    return db


def test_summary_figures_by_hand(year_db):
    s = summary.summary(year_db, "2025/26")
    assert (s["n_schools"], s["n_policies"]) == (6, 5)
    assert s["received"]["text"] == "5 of 6 (83%)"
    # EQ-02 after review: met A B E, partial C D (D changed from missing) -> 3 of 5
    eq = next(i for i in s["requirements"] if i["id"] == "EQ-02")
    assert (eq["met"], eq["partial"], eq["missing"], eq["met_share"]["text"]) == (3, 2, 0, "3 of 5 (60%)")
    # MON-02: met A, missing B, partial D; C and E n/a -> base 3: no percentage
    mon = next(i for i in s["requirements"] if i["id"] == "MON-02")
    assert (mon["met"], mon["n/a"], mon["met_share"]["text"], mon["met_share"]["pct"]) == (1, 2, "1 of 3 (n<5)", None)
    # RF-01 present in C and D (E's dismissed) -> 2 of 5 policies
    assert [(f["id"], f["policies"]["text"]) for f in s["red_flags"]] == [("RF-01", "2 of 5 (40%)")]
    assert s["red_flags"][0]["schools"] == ["School C", "School D"]
    assert [(f["id"], f["policies"]["text"]) for f in s["outdated"]] == [("OUT-01", "1 of 5 (20%)")]
    assert s["with_red_flag"]["text"] == "2 of 5 (40%)"
    assert s["no_statutory_gap"]["text"] == "3 of 5 (60%)"  # EQ-02 is statutory: C and D have a gap
    phase = {g["group"]: g for g in s["by_phase"]}
    assert (phase["primary"]["policies"], phase["primary"]["met_share"]["text"]) == (4, "3 of 7 (43%)")  # met: EQ-02 A B, MON-02 A
    assert (phase["secondary"]["schools"], phase["secondary"]["policies"], phase["secondary"]["met_share"]["text"]) == \
        (2, 1, "1 of 1 (n<5)")
    themes = {t["id"]: t["share"]["text"] for t in s["themes"]}
    assert themes["RF-01"] == "2 of 5 (40%)" and themes["EQ-02"] == "3 of 5 (60%)" and themes["SAF-02"] == "none"
    # reviews: 3 decisions, 2 overrides (dismissed flag, missing -> partial)
    assert (s["reviews"]["decisions"], s["reviews"]["overrides"]) == (3, 2)
    # previous year: A and B; EQ-02 1 of 2 -> change not given
    assert s["previous"]["n_policies"] == 2
    assert eq["before"]["text"] == "1 of 2 (n<5)" and eq["change"] == "n<5"


def test_summary_writes_html_and_xlsx(year_db, tmp_path):
    from openpyxl import load_workbook

    html, xlsx = summary.write(year_db, "2025/26", tmp_path / "out")
    page = html.read_text()
    assert "1 of 3 <span class=\"why\">(n&lt;5)</span>" in page and "3 of 5 (60%)" in page
    assert "<script" not in page and "<svg" in page
    wb = load_workbook(xlsx)
    items = {r[0]: r for r in wb["items"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in wb["items"][1]]
    assert items["MON-02"][header.index("met_pct")] == "n<5"
    assert items["EQ-02"][header.index("met_pct")] == 60.0
    with pytest.raises(Exception, match="no samples"):
        summary.write(year_db, "2019/20", tmp_path / "out")


def test_small_numbers_rule():
    assert summary.share(3, 4) == {"count": 3, "base": 4, "pct": None, "text": "3 of 4 (n<5)"}
    assert summary.share(4, 5)["text"] == "4 of 5 (80%)"
    assert summary.share(0, 0)["pct"] is None
    assert summary.change(summary.share(4, 5), summary.share(1, 4)) == "n<5"
    assert summary.change(summary.share(4, 5), summary.share(3, 6)) == "+30 pts"


def test_academic_year():
    assert summary.academic_year("2025/26") == (dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    assert summary.year_of(dt.date(2026, 8, 31)) == "2025/26" and summary.year_of(dt.date(2026, 9, 1)) == "2026/27"
    with pytest.raises(Exception):
        summary.academic_year("2025/27")


# ---- sample status and diff -----------------------------------------------------------------------

def test_sample_status(year_db):
    sample = sampling.list_samples(year_db)[-1]["id"]
    st = sampling.status(year_db, sample)
    by = {r["urn"]: r for r in st["schools"]}
    assert st["received"] == 6  # F's policy is linked (checked in the next year)
    assert by["400003"]["red_flags"] == 1 and by["400004"]["red_flags"] == 0
    assert by["400003"]["partial"] == 2 and by["400003"]["decided"] == 1


V1 = """# Hartley Infant School

## Detention

We use detention. Parental consent is not needed.

## Force

Staff use positive handling. Handling is never a punishment.
"""
V2 = """# Hartley Infant School

## Detention

We use detention.

## Force

Staff use positive handling. Handling is never a punishment.

## Exclusion

A child may be sent home to calm down.
"""


def test_diff_between_two_versions_of_one_policy(db, mini, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("urn,name,phase,type\n100452,Hartley Infant School,primary,maintained\n")
    register.import_register(db, f)
    for text, name in ((V1, "hartley-2024.md"), (V2, "hartley-2025.md")):
        run = _store(db, mini, text, name)
        register.link(db, db["runs"].get(run)["document_id"], "100452", "given")
    d = diff_school(db, "100452")
    assert [(r["id"], r["before"], r["after"]) for r in d["regressed"]] == [("T-DET", "met", "partial")]
    assert d["improved"] == []
    assert [f["id"] for f in d["red_flags_added"]] == ["T-RF"] and d["red_flags_removed"] == []
    changes = {s["heading"].split(" > ")[-1]: s["change"] for s in d["sections"]}
    assert changes == {"Detention": "changed", "Exclusion": "added"}
    text = "\n".join(next(s for s in d["sections"] if s["change"] == "changed")["diff"])
    assert "-Parental consent is not needed." in text
    r = CliRunner().invoke(cli, ["diff", "100452", "--db", db.conn.execute("PRAGMA database_list").fetchone()[2]])
    assert r.exit_code == 0 and "Regressed (1)" in r.output and "T-RF" in r.output


def test_diff_needs_two_versions(db):
    with pytest.raises(Exception, match="a diff needs two"):
        diff_school(db, "100452")


def test_cli_register_and_sample_commands(tmp_path):
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    r = runner.invoke(cli, ["register", "import", str(REGISTER), "--db", db])
    assert r.exit_code == 0 and "129 school(s) imported (124 open, 5 closed)" in r.output
    r = runner.invoke(cli, ["sample", "draw", "--size", "12", "--seed", "7", "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    drawn = json.loads(r.output)
    r = runner.invoke(cli, ["sample", "status", str(drawn["id"]), "--db", db])
    assert r.exit_code == 0 and "no policy yet" in r.output
    r = runner.invoke(cli, ["sample", "list", "--db", db])
    assert "seed 7" in r.output


def test_summary_pdf(year_db, tmp_path):
    pytest.importorskip("weasyprint", reason="WeasyPrint is not installed (pip install weasyprint)")
    import pdfplumber
    from click.testing import CliRunner

    from toolkit.cli import cli

    path = year_db.conn.execute("PRAGMA database_list").fetchone()[2]
    r = CliRunner().invoke(cli, ["summary", "--db", path, "--year", "2025/26", "--out", str(tmp_path / "o"), "--pdf"])
    assert r.exit_code == 0, r.output
    pdf = next((tmp_path / "o").glob("*.pdf"))
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) >= 1 and "2025/26" in doc.pages[0].extract_text()
