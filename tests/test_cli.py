"""The command line as a user meets it: SPEC shapes, exit codes and one-line errors."""

import json
import shutil

from click.testing import CliRunner

from toolkit import __version__
from toolkit.cli import cli

from conftest import CORPUS, HERE

MINI = str(HERE / "checklists" / "mini")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and __version__ in r.output


def test_every_command_has_help_with_an_example():
    for args in (["extract"], ["check"], ["eval"], ["report"], ["review"], ["review", "queue"], ["review", "decide"],
                 ["review", "history"], ["review", "stats"], ["db", "backup"], ["checklist", "list"], ["checklist", "show"],
                 ["checklist", "validate"]):
        r = run(*args, "--help")
        assert r.exit_code == 0 and "Example:" in r.output, args


def test_extract_json_shape():
    r = run("extract", CORPUS / "hartley-infants.html", "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert set(data) >= {"source", "format", "pages", "sections", "warnings"}
    clause = data["sections"][1]["clauses"][0]
    assert set(clause) >= {"id", "text", "page"}


def test_check_json_shape_and_batch_errors(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(CORPUS / "hartley-infants.html", folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (folder / "empty.txt").write_bytes(b"")
    r = run("check", folder, "--db", tmp_path / "x.db", "--checklist", MINI, "--as-of", "2026-11-01", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [d["source"].split("/")[-1] for d in data["documents"]] == ["hartley-infants.html"]
    doc = data["documents"][0]
    assert len(doc["sha256"]) == 64
    assert set(doc["items"]["T-DET"]) >= {"status", "confidence", "evidence"}
    assert isinstance(doc["red_flags"], list) and isinstance(doc["outdated"], list)
    errors = {e["source"].split("/")[-1]: e["error"] for e in data["errors"]}
    assert set(errors) == {"broken.pdf", "empty.txt"}
    assert "not a readable PDF" in errors["broken.pdf"]
    assert "Error: broken.pdf: not a readable PDF" in r.stderr


def test_check_single_bad_inputs_give_one_error_line_and_exit_1(tmp_path):
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n\x00\x01 nonsense")
    unsupported = tmp_path / "policy.xls"
    unsupported.write_bytes(b"data")
    for path, message in ((tmp_path / "missing.pdf", "no such file"),
                          (corrupt, "corrupt.pdf: not a readable PDF"),
                          (unsupported, "policy.xls: unsupported format '.xls'")):
        r = run("check", path, "--db", tmp_path / "x.db", "--checklist", MINI)
        assert r.exit_code == 1
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
        assert len(lines) == 1 and message in lines[0]


def test_usage_error_exits_2(tmp_path):
    r = run("check", CORPUS / "hartley-infants.html", "--as-of", "last tuesday")
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output


def test_check_then_report_writes_html(tmp_path):
    db = tmp_path / "x.db"
    assert run("check", CORPUS / "hartley-infants.html", "--db", db, "--checklist", MINI).exit_code == 0
    r = run("report", "--db", db, "--out", tmp_path / "reports")
    assert r.exit_code == 0
    assert (tmp_path / "reports" / "index.html").exists()
    assert (tmp_path / "reports" / "hartley-infants.html").exists()


def test_report_without_database_is_a_clear_error(tmp_path):
    r = run("report", "--db", tmp_path / "none.db", "--out", tmp_path / "o")
    assert r.exit_code == 1 and "no such database" in r.output


def test_checklist_commands():
    assert "T-DET" in run("checklist", "list", "--checklist", MINI).output
    shown = run("checklist", "show", "t-force", "--checklist", MINI)
    assert shown.exit_code == 0 and "never a punishment" in shown.output
    assert run("checklist", "show", "NOPE-1", "--checklist", MINI).exit_code == 1


def test_checklist_validate_reports_file_item_and_field(tmp_path):
    bad = tmp_path / "overlay.yaml"
    bad.write_text("extends: national\nitems:\n  - id: LA-01\n    title: Ethnicity recorded\n    basis: local\n")
    r = run("checklist", "validate", bad)
    assert r.exit_code == 1
    assert "overlay.yaml: LA-01: field 'elements': is required" in r.output
