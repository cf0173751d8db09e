"""Nothing is lost: a batch killed mid-way keeps its finished documents, and concurrent writers
(two `check` processes and a reviewer) finish without "database is locked"."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from toolkit import review
from toolkit.store import open_db

from conftest import CORPUS, ROOT

POLICIES = ["hartley-infants.html", "northgate-ap.html", "pennine-free-school.html", "brookside-juniors.txt",
            "elmstead-school.md", "ashgrove-secondary.docx", "willowbank-college.docx", "st-aldhelms-prep.docx"]


def check_process(folder, db, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "toolkit.cli", "check", str(folder), "--db", str(db),
                             "--as-of", "2026-11-01", "-j", "1", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)


def copies(tmp_path, names, folder="batch"):
    out = tmp_path / folder
    out.mkdir()
    for name in names:
        shutil.copy(CORPUS / name, out / name)
    return out


def test_a_batch_killed_mid_way_keeps_its_finished_work(tmp_path):
    folder, db_path = copies(tmp_path, POLICIES), tmp_path / "k.db"
    proc = check_process(folder, db_path)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill once a couple of documents are stored
        time.sleep(0.2)
        if db_path.exists():
            try:
                with sqlite3.connect(db_path, timeout=5) as con:
                    if con.execute("select count(*) from runs").fetchone()[0] >= 2:
                        break
            except sqlite3.OperationalError:
                pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db_path) as con:
        stored_before = con.execute("select count(*) from runs").fetchone()[0]
    assert 2 <= stored_before < len(POLICIES)
    again = check_process(folder, db_path)
    assert again.wait(timeout=300) == 0, again.stderr.read().decode()[-2000:]
    with sqlite3.connect(db_path) as con:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert con.execute("select count(*) from documents").fetchone()[0] == len(POLICIES)
        assert con.execute("select count(*) from runs").fetchone()[0] == len(POLICIES)  # each exactly once
        orphans = con.execute("select count(*) from findings where run_id not in (select id from runs)").fetchone()[0]
        assert orphans == 0


def test_two_checks_and_a_reviewer_write_at_once(tmp_path, national):
    db_path = tmp_path / "c.db"
    seed = copies(tmp_path, POLICIES[:1], "seed")
    assert check_process(seed, db_path).wait(timeout=120) == 0
    a = check_process(copies(tmp_path, POLICIES[1:4], "a"), db_path)
    b = check_process(copies(tmp_path, POLICIES[4:7], "b"), db_path)
    db = open_db(db_path)
    entries = review.queue(db)[:20]
    errors = []
    for e in entries:  # the reviewer decides while both batches write
        try:
            review.decide(db, e.finding_id, reviewer="Ann", action="agree")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        time.sleep(0.05)
    results = [p.wait(timeout=300) for p in (a, b)]
    stderr = [p.stderr.read().decode() for p in (a, b)]
    assert not errors, errors
    assert results == [0, 0], [e[-1000:] for e in stderr]
    assert not [line for e in stderr for line in e.splitlines() if line.startswith("Error:")], stderr
    assert db["decisions"].count == len(entries)
    assert db["documents"].count == 7
