"""The browser review app (`dipsample serve`): a dashboard of documents with findings to review,
a document page with the policy text beside its checklist, and the decision form. A thin layer
over toolkit.review: every write is a `review.decide` (append-only).

Security: a reviewer name per browser session is required for any write (and a shared password
when one is set: then every page needs a login, and 5 wrong passwords from one address make
sign-in wait 10 minutes); every POST carries a session-bound CSRF token;
all text is autoescaped; pages carry a Content-Security-Policy that allows only this page's own
inline style and script (by nonce); nothing else is served."""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import secrets
import time
from collections import Counter
from pathlib import Path

import sqlite_utils
from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for

from toolkit import __version__, review
from toolkit.errors import DipsampleError
from toolkit.report import AREA_NAMES, _item_key
from toolkit.resources import templates_dir
from toolkit.store import BUSY_TIMEOUT_MS, latest_runs, open_db

PASSWORD_ENV = "DIPSAMPLE_PASSWORD"
MAX_WRONG_PASSWORDS = 5  # per client address within LOCKOUT_SECONDS; then sign-in waits
LOCKOUT_SECONDS = 600
KIND_ORDER = {"red_flag": 0, "item": 1, "outdated": 2}


class ServeError(DipsampleError):
    """The app cannot start as asked (e.g. reachable from the network without a password)."""


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, password: str | None) -> None:
    """Refuse to listen beyond this machine without a password."""
    if not is_loopback(host) and not password:
        raise ServeError(f"refusing to serve on {host}: other machines could reach it. Set ${PASSWORD_ENV} "
                         "(reviewers then sign in with it) or serve on 127.0.0.1")


def session_key(db_path: Path) -> str:
    """The key that signs session cookies, kept beside the database (readable by its owner only)
    so that reviewers stay signed in when the app restarts."""
    key_file = db_path.with_name(db_path.name + ".session-key")
    try:
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        return key_file.read_text().strip()
    except OSError:  # a read-only folder: sessions last until the app stops
        return secrets.token_hex(32)


def create_app(db_path: str | Path, *, password: str | None = None, secret_key: str | None = None) -> Flask:
    """The review app for the database at `db_path` (which must exist). `password`, if given, is
    asked at login and every page needs a login; `secret_key` signs the session cookie (by
    default a key kept beside the database: see session_key)."""
    path = Path(db_path)
    if not path.exists():
        raise ServeError(f"{path}: no such database (run `dipsample check` first)")
    open_db(path).close()  # create any missing tables (migrations) once, before serving
    app = Flask(__name__, static_folder=None, template_folder=str(templates_dir()))
    wrong_passwords: dict[str, list[float]] = {}  # client address -> times of wrong passwords
    app.config.update(SECRET_KEY=secret_key or session_key(path), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", DB_PATH=str(path), PASSWORD=password or None)
    app.jinja_env.globals.update(csrf_token=_csrf_token, version=__version__)
    app.jinja_env.filters["status_class"] = lambda s: "status-" + (s or "").replace("/", "")

    @app.before_request
    def _guard():
        g.nonce = secrets.token_urlsafe(16)
        if request.method == "POST":
            sent, want = request.form.get("csrf_token", ""), session.get("csrf", "")
            if not want or not hmac.compare_digest(sent.encode(), want.encode()):
                abort(400, "the form's security token is missing or out of date: reload the page and try again")
        if app.config["PASSWORD"] and not session.get("reviewer") and request.endpoint not in ("login",):
            return redirect(url_for("login", next=request.full_path if request.method == "GET" else None))
        return None

    @app.after_request
    def _headers(resp):
        nonce = getattr(g, "nonce", "")
        resp.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.teardown_appcontext
    def _close(exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    def _error(exc):
        return render_template("web_error.html", code=exc.code, message=exc.description), exc.code

    @app.route("/")
    def dashboard():
        db = _db()
        todo = Counter(e.document for e in review.queue(db))
        docs = []
        for run_id in latest_runs(db):
            run = db["runs"].get(run_id)
            doc = db["documents"].get(run["document_id"])
            rows = list(db.query("select kind, status, reviewed_by from current_findings where run_id = ?", [run_id]))
            docs.append({"id": doc["id"], "source": doc["source"], "name": Path(doc["source"]).name,
                         "school_type": run["school_type"], "phase": run["phase"], "as_of": run["as_of"],
                         "to_review": todo.get(doc["source"], 0),
                         "reviewed": sum(1 for r in rows if r["reviewed_by"]),
                         "n_items": sum(1 for r in rows if r["kind"] == "item"),
                         "gaps": sum(1 for r in rows if r["kind"] == "item" and r["status"] in ("missing", "partial")),
                         "red_flags": sum(1 for r in rows if r["kind"] == "red_flag" and r["status"] != "dismissed")})
        docs.sort(key=lambda d: (-d["to_review"], d["name"]))
        return render_template("web_dashboard.html", docs=docs, queued=sum(todo.values()),
                               stats=review.stats(db))

    @app.route("/doc/<int:doc_id>")
    def document(doc_id: int):
        db = _db()
        doc = next(db["documents"].rows_where("id = ?", [doc_id]), None)
        run_id = db.execute("select max(id) from runs where document_id = ?", [doc_id]).fetchone()[0]
        if doc is None or run_id is None:
            abort(404, f"no checked document {doc_id}")
        findings = _checklist(db, run_id, doc["source"])
        by_id = {f["finding_id"]: f for f in findings}
        selected = request.args.get("f", type=int)
        if selected not in by_id:
            selected = next((f["finding_id"] for f in findings if f["queued"]), findings[0]["finding_id"] if findings else None)
        ctx, clause_options, highlighted, chosen = None, [], set(), set()
        if selected is not None:
            ctx = review.context(db, selected)
            ctx["found"], ctx["not_found"] = json.loads(ctx["found"] or "[]"), json.loads(ctx["not_found"] or "[]")
            highlighted = {i for e in ctx["evidence"] for i in e["clause_ids"]}
            chosen = {h["evidence_clause_id"] for h in ctx["history"] if h["evidence_clause_id"]}
        clauses = list(db.query("select clause_id, seq, text, page, heading_path, kind from clauses "
                                "where document_id = ? order by seq", [doc_id]))
        pos = [f["finding_id"] for f in findings].index(selected) if selected is not None else 0
        prev_id = findings[pos - 1]["finding_id"] if findings and pos > 0 else None
        next_id = findings[pos + 1]["finding_id"] if findings and pos + 1 < len(findings) else None
        for c in clauses:
            label = f"{c['clause_id']} (p{c['page']}): {c['text'][:90]}{'…' if len(c['text']) > 90 else ''}"
            clause_options.append((c["clause_id"], label))
        return render_template(
            "web_document.html", doc=doc, name=Path(doc["source"]).name, run=db["runs"].get(run_id),
            findings=findings, groups=_groups(findings), selected=by_id.get(selected), ctx=ctx,
            blocks=_blocks(clauses), highlighted=highlighted, chosen=chosen, clause_options=clause_options,
            ev_options=[o for o in clause_options if o[0] in highlighted],
            prev_id=prev_id, next_id=next_id, statuses=review.ITEM_STATUSES,
            left=sum(1 for f in findings if f["queued"]))

    @app.route("/next")
    def next_in_queue():
        """The next finding needing review (after `after`, if given), across all documents."""
        entries = review.queue(_db(), reviewer=session.get("reviewer"))
        after = request.args.get("after", type=int)
        ids = [e.finding_id for e in entries]
        if after in ids:
            entries = entries[ids.index(after) + 1:] + entries[:ids.index(after)]
        if not entries:
            flash("Nothing to review: the queue is empty.")
            return redirect(url_for("dashboard"))
        return redirect(_finding_url(_db(), entries[0].finding_id))

    @app.route("/decide", methods=["POST"])
    def decide():
        reviewer = session.get("reviewer")
        if not reviewer:
            abort(403, "sign in with your name before recording a decision")
        db = _db()
        finding_id = request.form.get("finding_id", type=int)
        choice = request.form.get("decision", "")
        comment = request.form.get("comment", "")
        clause = request.form.get("evidence_clause_id") or None
        if finding_id is None:
            abort(400, "no finding given")
        try:
            f = review.finding(db, finding_id)
        except review.ReviewError:
            abort(404, f"no finding {finding_id}")
        if choice in review.ITEM_STATUSES:
            action, status = "change", choice
        elif choice in ("agree", "dismiss", "comment"):
            action, status = choice, None
        else:
            abort(400, f"unknown decision '{choice}'")
        try:
            review.decide(db, finding_id, reviewer=reviewer, action=action, new_status=status,
                          comment=comment, evidence_clause_id=clause)
        except review.ReviewError as exc:
            flash(f"Not recorded: {exc}", "error")
            return redirect(_finding_url(db, finding_id))
        label = {"agree": "agreed", "dismiss": "dismissed", "comment": "comment kept"}.get(action, f"set to {status}")
        flash(f"{f['item_id']}: {label}.")
        if action == "comment":
            return redirect(_finding_url(db, finding_id))
        return redirect(_finding_url(db, _after_decision(db, f)))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        target = _safe_next(request.values.get("next"))
        error = None
        if request.method == "POST":
            name = " ".join(request.form.get("name", "").split())[:80]
            pw = app.config["PASSWORD"]
            now = time.monotonic()
            client = request.remote_addr or ""
            recent = [t for t in wrong_passwords.get(client, []) if now - t < LOCKOUT_SECONDS]
            wrong_passwords[client] = recent
            if pw and len(recent) >= MAX_WRONG_PASSWORDS:
                wait = int(LOCKOUT_SECONDS - (now - recent[0])) // 60 + 1
                return render_template("web_login.html", target=target, need_password=True,
                                       error=f"Too many wrong passwords: try again in {wait} minute(s)."), 429
            if not name:
                error = "Give your name: it is kept with every decision you make."
            elif pw and not hmac.compare_digest(request.form.get("password", "").encode(), pw.encode()):
                error = "That password is not right."
                recent.append(now)
            else:
                session["reviewer"] = name
                session["csrf"] = secrets.token_urlsafe(32)  # a fresh token once signed in
                return redirect(target)
        return render_template("web_login.html", error=error, target=target,
                               need_password=bool(app.config["PASSWORD"])), (400 if error else 200)

    @app.route("/logout", methods=["POST"])
    def logout():
        session.clear()
        return redirect(url_for("login"))

    return app


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target.rstrip("?") or "/"
    return url_for("dashboard")


def _db() -> sqlite_utils.Database:
    from flask import current_app

    if "db" not in g:
        db = sqlite_utils.Database(current_app.config["DB_PATH"])
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        g.db = db
    return g.db


def _finding_url(db, finding_id: int, **extra) -> str:
    row = db.execute("select r.document_id from findings f join runs r on r.id = f.run_id where f.id = ?",
                     [finding_id]).fetchone()
    return url_for("document", doc_id=row[0], f=finding_id, **extra)


def _checklist(db, run_id: int, source: str) -> list[dict]:
    """The findings of one run in checklist order (red flags, items by area, outdated), each with
    its tool status, current status, reviewer and whether it waits in the queue."""
    queued = {e.finding_id: e.reason for e in review.queue(db) if e.document == source}
    rows = db.query("""
        select c.*, f.explanation, ci.title, ci.basis, ci.area,
               (select count(*) from decisions x where x.finding_id = c.finding_id) as decisions
        from current_findings c join findings f on f.id = c.finding_id join runs r on r.id = c.run_id
        left join checklist_items ci on ci.checklist = r.checklist and ci.id = c.item_id
        where c.run_id = ?""", [run_id])
    order = list(AREA_NAMES)
    out = []
    for r in rows:
        if r["tool_status"] == "not-evaluated":
            continue
        area = r["area"] or r["item_id"].split("-")[0]
        out.append({**r, "title": r["title"] or r["item_id"], "area": area,
                    "queued": r["finding_id"] in queued, "reason": queued.get(r["finding_id"], ""),
                    "group": {"red_flag": "Red flags", "outdated": "Outdated references"}.get(
                        r["kind"], AREA_NAMES.get(area, area))})
    out.sort(key=lambda f: (KIND_ORDER.get(f["kind"], 3), order.index(f["area"]) if f["area"] in order else 99,
                            _item_key(f["item_id"])))
    return out


def _groups(findings: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: list[tuple[str, list[dict]]] = []
    for f in findings:
        if not groups or groups[-1][0] != f["group"]:
            groups.append((f["group"], []))
        groups[-1][1].append(f)
    return groups


def _after_decision(db, f: dict) -> int:
    """Where a reviewer goes after deciding: the next finding of this document still waiting for
    review (in checklist order, wrapping round), else the next finding in the checklist."""
    run_id = f["run_id"]
    findings = _checklist(db, run_id, f["source"])
    ids = [x["finding_id"] for x in findings]
    i = ids.index(f["id"]) if f["id"] in ids else -1
    rest = findings[i + 1:] + findings[:max(i, 0)]
    waiting = next((x["finding_id"] for x in rest if x["queued"]), None)
    if waiting is not None:
        return waiting
    return findings[i + 1]["finding_id"] if 0 <= i < len(findings) - 1 else f["id"]


def _blocks(clauses: list[dict]) -> list[dict]:
    """The policy text as headings and paragraphs: a heading where the heading path changes, a
    new paragraph at a numbered clause ("4.2 ...") or a change of kind (sentences, list items,
    title-block rows), each clause kept whole with its id and page."""
    blocks: list[dict] = []
    path: list[str] = []
    for c in clauses:
        parts = [p for p in (c["heading_path"] or "").split(" > ") if p]
        if parts != path:
            same = 0
            while same < min(len(parts), len(path)) and parts[same] == path[same]:
                same += 1
            for level in range(same, len(parts)):
                blocks.append({"type": "heading", "text": parts[level], "level": min(level + 2, 6), "page": c["page"]})
            path = parts
        kind = c["kind"] or "sentence"
        numbered = kind == "sentence" and _numbered(c["text"])
        last = blocks[-1] if blocks else None
        if last is None or last["type"] != kind or numbered:
            blocks.append({"type": kind, "clauses": []})
            last = blocks[-1]
        last["clauses"].append(c)
    for b in blocks:
        if b["type"] != "heading":
            b["pages"] = sorted({c["page"] for c in b["clauses"]})
    return blocks


def _numbered(text: str) -> bool:
    head = text.split(" ", 1)[0].rstrip(".")
    return bool(head) and all(p.isdigit() for p in head.split(".")) and "." in text.split(" ", 1)[0]
