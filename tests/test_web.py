"""The browser review app (toolkit.web) through Flask's test client: sign-in and CSRF on every
write, decisions through toolkit.review (append-only), escaping, dashboard counts and the queue."""

import re
from pathlib import Path
from collections import Counter

import pytest
from click.testing import CliRunner

from toolkit import review
from toolkit.cli import cli
from toolkit.pipeline import check_document
from toolkit.store import open_db, save_result
from toolkit.web import ServeError, check_exposure, create_app

from conftest import AS_OF, doc_from_markdown

HOSTILE = ("# Behaviour Policy\n\nPupils may get a detention. <script>alert('x')</script> "
           "Parental consent is not needed.\n\nPupils may be sent home to calm down.\n")
PLAIN = ("# Behaviour Policy\n\n## Detention\n\nWe use detention after school. Parental consent is not needed.\n\n"
         "## Phones\n\nMobile phones are handed in at the office each morning.\n")


@pytest.fixture()
def db_path(tmp_path, mini):
    path = tmp_path / "web.db"
    db = open_db(path)
    for text, name, sha in ((HOSTILE, "hostile.md", "ab"), (PLAIN, "plain.md", "cd")):
        save_result(db, check_document(doc_from_markdown(text, name), checklist=mini, as_of=AS_OF, sha256=sha * 32))
    db.close()
    return path


@pytest.fixture()
def app(db_path):
    app = create_app(db_path, secret_key="test")
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


def ids(db_path) -> dict[tuple[str, str], int]:
    db = open_db(db_path)
    return {(r["source"], r["item_id"]): r["finding_id"] for r in db.query("select * from current_findings")}


def token(client, url="/") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name="Ann Auditor", password=None) -> str:
    data = {"name": name, "csrf_token": token(client, "/login"), "next": "/"}
    if password is not None:
        data["password"] = password
    r = client.post("/login", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    return token(client)


def doc_id(db_path, source) -> int:
    return open_db(db_path).execute("select id from documents where source = ?", [source]).fetchone()[0]


def test_pages_render_without_sign_in_but_offer_it(client, db_path):
    assert client.get("/").status_code == 200
    r = client.get(f"/doc/{doc_id(db_path, 'hostile.md')}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Sign in with your name" in html and 'action="/decide"' not in html
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]


def test_post_needs_a_signed_in_reviewer(client, db_path):
    fid = ids(db_path)[("hostile.md", "T-DET")]
    r = client.post("/decide", data={"csrf_token": token(client, "/login"), "finding_id": fid, "decision": "agree"})
    assert r.status_code == 403
    assert review.history(open_db(db_path)) == []


def test_post_without_or_with_wrong_csrf_token_is_rejected(client, db_path):
    fid = ids(db_path)[("hostile.md", "T-DET")]
    login(client)
    assert client.post("/decide", data={"finding_id": fid, "decision": "agree"}).status_code == 400
    assert client.post("/decide", data={"csrf_token": "forged", "finding_id": fid, "decision": "agree"}).status_code == 400
    assert review.history(open_db(db_path)) == []
    fresh = create_app(db_path, secret_key="test").test_client()  # a session with no token at all
    assert fresh.post("/login", data={"name": "Mallory", "csrf_token": ""}).status_code == 400
    assert fresh.post("/logout", data={}).status_code == 400


def test_decision_is_stored_through_review_and_shown_in_history(client, db_path):
    fid = ids(db_path)[("hostile.md", "T-FORCE")]
    csrf = login(client, "Ann Auditor")
    r = client.post("/decide", data={"csrf_token": csrf, "finding_id": fid, "decision": "n/a",
                                     "comment": "no force used", "evidence_clause_id": ""})
    assert r.status_code == 302 and "/doc/" in r.headers["Location"]
    rows = review.history(open_db(db_path), finding_id=fid)
    assert [(h["reviewer"], h["action"], h["new_status"], h["comment"]) for h in rows] == [
        ("Ann Auditor", "change", "n/a", "no force used")]
    html = client.get(f"/doc/{doc_id(db_path, 'hostile.md')}?f={fid}").get_data(as_text=True)
    history = html.split("<h3>History</h3>")[1]
    assert "Ann Auditor" in history and "no force used" in history and "&rarr; n/a" in history
    assert 'id="current-status">n/a<' in html
    row = html.split(f'data-finding="{fid}"')[1].split("</a>")[0]
    assert "reviewed" in row


def test_agree_and_dismiss_and_evidence_clause(client, db_path):
    found = ids(db_path)
    csrf = login(client)
    flag, item = found[("hostile.md", "T-RF")], found[("hostile.md", "T-DET")]
    client.post("/decide", data={"csrf_token": csrf, "finding_id": flag, "decision": "dismiss"})
    client.post("/decide", data={"csrf_token": csrf, "finding_id": item, "decision": "agree", "evidence_clause_id": "c1"})
    r = client.post("/decide", data={"csrf_token": csrf, "finding_id": item, "decision": "dismiss"}, follow_redirects=True)
    assert "Not recorded: only red flags" in r.get_data(as_text=True)
    db = open_db(db_path)
    assert review.current_status(db, flag) == "dismissed"
    assert [(h["action"], h["evidence_clause_id"]) for h in review.history(db, finding_id=item)] == [("agree", "c1")]
    assert client.post("/decide", data={"csrf_token": csrf, "finding_id": item, "decision": "bogus"}).status_code == 400


def test_hostile_text_is_escaped(client, db_path):
    fid = ids(db_path)[("hostile.md", "T-DET")]
    csrf = login(client, "<b>Eve</b>")
    client.post("/decide", data={"csrf_token": csrf, "finding_id": fid, "decision": "comment",
                                 "comment": "<img src=x onerror=alert(1)>"})
    html = client.get(f"/doc/{doc_id(db_path, 'hostile.md')}?f={fid}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert" not in html
    assert html.count("<script") == 1 and re.search(r'<script nonce="[^"]+">', html)  # only the page's own
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html


def test_dashboard_counts_findings_to_review(client, db_path):
    db = open_db(db_path)
    expected = Counter(e.document for e in review.queue(db))
    assert expected["hostile.md"] > 0
    html = client.get("/").get_data(as_text=True)
    for source in ("hostile.md", "plain.md"):
        row = html.split(f'data-doc="{doc_id(db_path, source)}"')[1].split("</tr>")[0]
        assert f'/doc/{doc_id(db_path, source)}"' in row
        count = re.search(r'class="num to-review[^"]*">(\d+)<', row).group(1)
        assert int(count) == expected[source]
    assert f"{sum(expected.values())} finding" in html
    # a decision takes the finding out of the count
    first = review.queue(db)[0]
    csrf = login(client)
    client.post("/decide", data={"csrf_token": csrf, "finding_id": first.finding_id, "decision": "agree"})
    html = client.get("/").get_data(as_text=True)
    row = html.split(f'data-doc="{doc_id(db_path, first.document)}"')[1].split("</tr>")[0]
    assert int(re.search(r'to-review[^"]*">(\d+)<', row).group(1)) == expected[first.document] - 1


def test_next_in_queue_redirects_to_the_most_urgent_finding(client, db_path):
    db = open_db(db_path)
    entries = review.queue(db)
    r = client.get("/next")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"f={entries[0].finding_id}")
    if len(entries) > 1:
        r = client.get(f"/next?after={entries[0].finding_id}")
        assert r.headers["Location"].endswith(f"f={entries[1].finding_id}")
    for e in entries:
        review.decide(db, e.finding_id, reviewer="Bob", action="agree")
    r = client.get("/next", follow_redirects=True)
    assert "the queue is empty" in r.get_data(as_text=True)


def test_document_page_has_keyboard_targets_and_policy_text(client, db_path):
    found = ids(db_path)
    login(client)
    did = doc_id(db_path, "hostile.md")
    html = client.get(f"/doc/{did}?f={found[('hostile.md', 'T-DET')]}").get_data(as_text=True)
    for key in "a1234jkn":
        assert f'data-key="{key}"' in html or key in "k"  # no previous item before the first
    assert 'data-key="d"' not in html  # items are changed, not dismissed
    assert "<h2>Behaviour Policy</h2>" in html and "p. 1" in html
    assert 'class="clause ev"' in html  # the evidence clause is highlighted
    html = client.get(f"/doc/{did}?f={found[('hostile.md', 'T-RF')]}").get_data(as_text=True)
    assert 'data-key="d"' in html and 'data-key="1"' not in html
    assert client.get("/doc/999").status_code == 404
    assert client.get("/static/_style.css").status_code == 404


def test_password_protects_every_page(db_path):
    app = create_app(db_path, password="s3cret", secret_key="test")
    client = app.test_client()
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    html = client.get("/login").get_data(as_text=True)
    assert 'name="password"' in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"csrf_token": csrf, "name": "Ann", "password": "wrong"})
    assert r.status_code == 400 and "not right" in r.get_data(as_text=True)
    r = client.post("/login", data={"csrf_token": csrf, "name": "Ann", "password": "s3cret", "next": "//evil.example"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_serve_refuses_the_network_without_a_password(monkeypatch, db_path):
    check_exposure("127.0.0.1", None)
    check_exposure("::1", None)
    check_exposure("localhost", None)
    with pytest.raises(ServeError, match="DIPSAMPLE_PASSWORD"):
        check_exposure("0.0.0.0", None)
    check_exposure("0.0.0.0", "pw")
    monkeypatch.delenv("DIPSAMPLE_PASSWORD", raising=False)
    r = CliRunner().invoke(cli, ["serve", "--db", str(db_path), "--host", "0.0.0.0"])
    assert r.exit_code == 1 and "DIPSAMPLE_PASSWORD" in r.output
    r = CliRunner().invoke(cli, ["serve", "--db", str(db_path.parent / "none.db")])
    assert r.exit_code == 1 and "no such database" in r.output
    assert "Example:" in CliRunner().invoke(cli, ["serve", "--help"]).output


def test_sign_in_waits_after_too_many_wrong_passwords(db_path):
    client = create_app(db_path, password="s3cret", secret_key="test").test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    for _ in range(5):
        assert client.post("/login", data={"csrf_token": csrf, "name": "Ann", "password": "guess"}).status_code == 400
    r = client.post("/login", data={"csrf_token": csrf, "name": "Ann", "password": "s3cret"})
    assert r.status_code == 429 and "Too many wrong passwords" in r.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not signed in


def test_reviewers_stay_signed_in_when_the_app_restarts(db_path):
    first = create_app(db_path).test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', first.get("/login").get_data(as_text=True)).group(1)
    first.post("/login", data={"csrf_token": csrf, "name": "Ann"})
    cookie = first.get_cookie("session")
    restarted = create_app(db_path).test_client()  # a new process would read the same key file
    restarted.set_cookie("session", cookie.value)
    assert "Ann" in restarted.get("/").get_data(as_text=True)
    key_file = Path(str(db_path) + ".session-key")
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
