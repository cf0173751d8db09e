"""The `dipsample` command line: a thin layer over the library (toolkit.*)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import click

from toolkit import __version__
from toolkit.checklist import PHASES, SCHOOL_TYPES, available, load_checklist
from toolkit.errors import DipsampleError
from toolkit.store import DB_ENV, default_db_path


class Group(click.Group):
    """Turns library errors into one `Error: ...` line and exit 1 (re-raised with DIPSAMPLE_DEBUG)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DipsampleError as exc:
            if os.environ.get("DIPSAMPLE_DEBUG"):
                raise
            raise click.ClickException(str(exc)) from exc


CONTEXT = {"help_option_names": ["-h", "--help"]}


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from None


def db_option(fn):
    return click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
                        help=f"SQLite database (default: ${DB_ENV} or ./dipsample.db).")(fn)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(fn)


def _emit(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="dipsample")
def cli():
    """Dip-sample school behaviour policies against national guidance in England.

    Feed in policies (PDF, Word, web page, text); get each requirement as met / partial /
    missing with the quoted evidence and page, red flags and outdated guidance.

    \b
    Example:
        dipsample check policies/ --as-of 2026-11-01
        dipsample report --out reports/
    """


@cli.command(name="extract")
@click.argument("file")
@json_option
def extract_cmd(file: str, as_json: bool):
    """Show the text the tool reads from FILE: headings, clauses and pages.

    \b
    Example:
        dipsample extract policy.pdf
        dipsample extract policy.docx --json
    """
    from toolkit.extract import extract

    doc = extract(file)
    if as_json:
        _emit(doc.to_json())
        return
    click.echo(f"{Path(file).name}: {doc.format.upper()}, {doc.pages} page(s), {len(doc.clauses)} clauses")
    for w in doc.warnings:
        click.echo(f"warning: {w}", err=True)
    for s in doc.sections:
        if s.heading:
            click.echo(f"\n{'#' * max(1, s.level)} {s.heading}  (page {s.page})")
        for c in s.clauses:
            click.echo(f"  p{c.page:<3} {c.id:>5}  {c.text}")


@cli.command(name="check")
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--as-of", callback=_date, default=None, metavar="YYYY-MM-DD",
              help="The dip-sample date: staleness and outdated guidance are judged at it (default: today).")
@click.option("--checklist", "checklist_name", default="national", show_default=True,
              help="Bundled checklist name, or a local overlay YAML file that extends it.")
@click.option("--school-type", type=click.Choice(SCHOOL_TYPES), default=None,
              help="Override the school type read from the policy's title block.")
@click.option("--phase", type=click.Choice(PHASES), default=None,
              help="Override the phase read from the policy's title block.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Worker processes for extraction and matching (default: the number of cores).")
@click.option("--engine", type=click.Choice(["pdfplumber", "pdfium"]), default=None,
              help="PDF reader: pdfium (default: fast) or pdfplumber (the reference it is measured against; ~15x slower).")
@click.option("--timeout", type=click.FloatRange(0), default=None, metavar="SECONDS",
              help="Time limit per document; one that takes longer is skipped and reported "
                   "(default: $DIPSAMPLE_TIMEOUT or 600; 0: no limit).")
@click.option("--max-pages", type=click.IntRange(1), default=None,
              help="Refuse documents with more pages (default: $DIPSAMPLE_MAX_PAGES or 1000).")
@click.option("--urn", default=None, help="The school (URN in the register) whose policy this one file is; "
              "its type and phase from the register are used.")
@click.option("--set", "as_set", is_flag=True,
              help="The files (or the folder) are one school's policy set: also judge them together.")
@click.option("--school", "set_urn", default=None, metavar="URN",
              help="The files are the policy set of this school (URN in the register): each is linked to it "
                   "and they are also judged together (implies --set).")
@json_option
def check_cmd(paths, db_path, as_of, checklist_name, school_type, phase, jobs, engine, timeout, max_pages,
              urn, as_set, set_urn, as_json):
    """Check policy files, folders of them, or web addresses, and store the findings.

    Each document is stored as soon as it is checked, so an interrupted batch keeps its finished
    work; checking an unchanged file again reuses the stored findings. A file that cannot be read
    is reported with its name and reason, and the batch goes on.

    With a school register imported (`dipsample register import`), each policy is linked to its
    school: the --urn given, a URN in the file name (`<URN>-anything.pdf`, `anything-<URN>.pdf`),
    else the school's name in the title block (uncertain matches are reported, not linked). When
    the school is known before checking, the register's type and phase are used.

    \b
    Example:
        dipsample check corpus/ --as-of 2026-11-01
        dipsample check policy.pdf --school-type academy --phase primary --json
        dipsample check hartley.pdf --urn 100452
        dipsample check https://www.example-school.org.uk/behaviour-policy
        dipsample check --set corpus/sets/          # one school's behaviour policy and the policies it points to
        dipsample check --school 100452 behaviour.pdf searching.docx

    With --set (or --school URN) the files are also judged as one policy set: each requirement
    takes the best-supported status across them, quoting the document; red flags and outdated
    guidance stay per document; policies the set points to ("see our Searching Policy") but that
    were not given are listed. The set is stored too (with the school's URN when known): `report`
    shows it as the school's result and `letter` asks for the policies not supplied. Each file is
    read once; checking an unchanged set again reuses the stored result. See docs/policy-sets.md.
    """
    from toolkit.batch import check_and_store
    from toolkit.pipeline import expand_paths
    from toolkit.store import open_db

    checklist = load_checklist(checklist_name)
    db = open_db(db_path)
    sources = list(expand_paths(paths))
    if not sources:
        raise click.ClickException("no policy files found (supported: .pdf .docx .html .htm .txt .md)")
    single = len(sources) == 1 and not Path(str(paths[0])).is_dir()
    as_set = as_set or bool(set_urn)
    if set_urn and urn:
        raise click.UsageError("give either --urn (one file) or --school (a policy set), not both")

    def show(p):
        if p.error:
            if not single:
                click.echo(f"Error: {p.error}", err=True)
            return
        note = " (unchanged: stored findings reused)" if p.cached else ""
        rate = f"  ({p.rate:.1f} docs/s, ETA {p.eta:.0f}s)" if p.total > 1 else ""
        click.echo(f"[{p.done}/{p.total}] {Path(p.source).name}: {p.summary}{note}{rate}", err=True)

    if engine:
        os.environ["DIPSAMPLE_PDF_ENGINE"] = engine  # read by workers too
    if max_pages:
        os.environ["DIPSAMPLE_MAX_PAGES"] = str(max_pages)  # read by workers too
    from toolkit import register

    if set_urn:
        known = {str(s): {**register.school(db, set_urn), "method": "given"} for s in sources}
    else:
        known = register.known_links(db, sources, urn=urn)
    groups: dict[tuple, list] = {}  # (type, phase) -> sources; the register's profile where the school is known
    for source in sources:
        s = known.get(str(source))
        key = (school_type or (s and s["school_type"]), phase or (s and s["phase"])) if s else (school_type, phase)
        groups.setdefault(key, []).append(source)
    batch = None
    results: dict | None = {} if as_set else None  # the set is judged from these: no file is extracted twice
    for (type_, phase_), group in groups.items():
        part = check_and_store(group, db, checklist=checklist, as_of=as_of or dt.date.today(),
                               school_type=type_, phase=phase_, jobs=jobs or os.cpu_count() or 1,
                               timeout=timeout, on_progress=show, keep=results)
        if batch is None:
            batch = part
        else:
            batch.documents += part.documents
            batch.errors += part.errors
            batch.seconds += part.seconds
    for message in register.record_links(db, batch.documents, known,
                                         register_profile=not (school_type and phase)):
        click.echo(f"school: {message}", err=True)
    if single and batch.errors:
        raise click.ClickException(batch.errors[0].error)
    click.echo(f"checked {len(batch.documents)} document(s), {len(batch.errors)} failed, in {batch.seconds:.1f}s; "
               f"database: {db.conn.execute('PRAGMA database_list').fetchone()[2]}", err=True)
    sets = []
    if as_set and batch.documents:
        from toolkit.batch import judge_set
        from toolkit.policyset import format_set
        from toolkit.store import set_json

        s = next(iter(known.values()), None) if set_urn else None
        set_type = school_type or (s and s["school_type"]) or None
        set_phase = phase or (s and s["phase"]) or None
        set_name = (s and s.get("name")) or (Path(str(paths[0])).name if len(paths) == 1 else "")
        set_id, reused = judge_set(db, sources, batch, results, checklist=checklist, as_of=as_of or dt.date.today(),
                                   school_type=set_type, phase=set_phase, name=set_name,
                                   urn=set_urn)
        sets.append(set_json(db, set_id))
        click.echo(f"policy set stored (set run {set_id})" + (" (unchanged: stored set result reused)" if reused else ""),
                   err=True)
    if as_json:
        out = batch.to_json()
        if as_set:
            out["sets"] = sets
        _emit(out)
    else:
        for r in sets:
            click.echo(format_set(r))
    if not batch.documents:
        sys.exit(1)


@cli.command(name="eval")
@click.argument("labels_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--docs", "docs_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder the labels' `document` paths are relative to.")
@click.option("--checklist", "checklist_name", default="national", show_default=True,
              help="Bundled checklist name or overlay file.")
@json_option
def eval_cmd(labels_dir, docs_dir, checklist_name, as_json):
    """Score the checker against gold labels (nothing is stored).

    Each labelled document is checked with the label's school type, phase and as-of date.

    \b
    Example:
        dipsample eval corpus/labels --docs corpus --json
    """
    from toolkit.evaluate import evaluate

    m = evaluate(labels_dir, docs_dir, checklist=load_checklist(checklist_name))
    if as_json:
        _emit(m)
        return
    for k, v in m.items():
        if k != "per_item":
            click.echo(f"{k:22} {v}")
    weakest = sorted(m["per_item"].items(), key=lambda kv: kv[1]["status_accuracy"])[:10]
    click.echo("\nweakest items (status accuracy): " + ", ".join(f"{k} {v['status_accuracy']:.2f}" for k, v in weakest))


@cli.command(name="report")
@db_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder for the reports.")
@click.option("--pdf", is_flag=True, help="Also write a PDF beside each HTML report (needs WeasyPrint and pango).")
def report_cmd(db_path, out_dir, pdf):
    """Write an HTML report per checked document, the sample report over all of them
    (sample.html) and an index page; with --pdf, PDFs beside them.

    A school whose policies were checked as a set (check --set / --school URN) also gets a
    policy set report (<school>-policy-set.html): each requirement over the set with the document
    and page its evidence comes from, the policies referred to but not supplied, and the
    documents read. Reviewers' decisions on each document's findings carry into it.

    Each report is one self-contained file (no external CSS, scripts or fonts) that prints with
    page breaks between sections. Without WeasyPrint or Debian's pango, --pdf says what to
    install and still writes the HTML.

    \b
    Example:
        dipsample report --db dipsample.db --out reports/
        dipsample report --out reports/ --pdf
    """
    from toolkit.report import PdfUnavailable, render_reports, write_pdfs

    index = render_reports(_existing_db(db_path), out_dir)
    if pdf:
        try:
            pdfs = write_pdfs(out_dir)
            click.echo(f"{len(pdfs)} PDF(s) written to {out_dir}", err=True)
        except PdfUnavailable as exc:
            click.echo(f"warning: no PDFs written: {exc}; the HTML reports are written", err=True)
    click.echo(str(index))


@cli.command(name="letter")
@click.argument("document")
@db_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The Word file to write (.docx).")
@click.option("--from", "officer", default="", help="The officer's name, printed under the letter.")
@click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Your own copy of templates/letter.yaml (the letter's wording).")
@click.option("--document-only", is_flag=True,
              help="Word the letter from DOCUMENT alone, even when it was checked as part of a policy set.")
def letter_cmd(document, db_path, out_file, officer, template, document_only):
    """Write an editable feedback letter (DOCX) to the school whose policy is DOCUMENT.

    DOCUMENT is a checked document's path or file name (or a unique part of it), or a run id;
    or a school's URN (or a set's name) whose policies were checked as a set. The letter lists
    statutory gaps, red flags and outdated references with what to do; red flags a reviewer
    dismissed are left out and reviewed statuses are used. When the school's policies were
    checked as a set (check --set / --school URN), the letter is worded from the set: gaps over
    all its documents, and the policies they refer to that were not supplied are asked for.
    The wording is in templates/letter.yaml: copy it, edit it and pass it with --template.

    \b
    Example:
        dipsample letter corpus/castlemere-high.pdf --out castlemere.docx --from "A. Officer"
        dipsample letter 199001 --out larchfield.docx    # the school's policy set
        dipsample letter 12 --out letter.docx --template our-letter.yaml
    """
    from toolkit.letter import write_letter
    from toolkit.report import find_set

    if out_file.suffix.lower() != ".docx":
        raise click.BadParameter("the letter is a Word file: give a name ending in .docx", param_hint="--out")
    db = _existing_db(db_path)
    set_id = None if document_only else find_set(db, document)
    if set_id is not None:
        s = db["set_runs"].get(set_id)
        names = [r["name"] for r in db["set_documents"].rows_where("set_run_id = ? and role = 'read'", [set_id],
                                                                   order_by="position")]
        urn = f" (URN {s['urn']})" if s["urn"] else ""
        alone = "; --document-only for this document alone" if len(names) > 1 else ""
        click.echo(f"worded from the policy set {s['name']}{urn}: {', '.join(names)}{alone}", err=True)
    click.echo(str(write_letter(db, document, out_file, officer=officer, template=template,
                                use_set=not document_only)))


@cli.command(name="export")
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), required=True,
              help="csv: one file per table in the --out folder; xlsx: one sheet per table; json: one document.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="A folder (csv) or a file (xlsx, json).")
def export_cmd(db_path, fmt, out):
    """Export findings (current and tool status, confidence, document, item, title, basis),
    evidence (finding, text, page, heading), decisions (the review trail) and policy sets
    (set_runs, set_findings with the document each status came from, set_evidence, set_pointers).

    Findings and evidence are those of the latest check of each document.

    \b
    Example:
        dipsample export --format xlsx --out dipsample.xlsx
        dipsample export --format csv --out export/
        dipsample export --format json --out dipsample.json
    """
    from toolkit.export import export

    for path in export(_existing_db(db_path), fmt, out):
        click.echo(str(path))


REVIEW_KEYS = {"a": ("agree", None), "1": ("change", "met"), "2": ("change", "partial"),
               "3": ("change", "missing"), "4": ("change", "n/a"), "d": ("dismiss", None)}


def queue_options(fn):
    for opt in reversed([
        click.option("--school", help="Only documents whose name contains this."),
        click.option("--item", help="Only these items (an ID or prefix, e.g. SSC- or RF-)."),
        click.option("--status", type=click.Choice(["met", "partial", "missing", "n/a", "present"]),
                     help="Only findings with this status."),
        click.option("--low-confidence", type=float, default=0.6, show_default=True,
                     help="Queue findings below this confidence."),
        click.option("--qc-rate", type=float, default=0.1, show_default=True,
                     help="Share of confident 'met' findings sampled for quality control."),
        click.option("--sample", "sample", type=int, help="Only the schools of this sample (see `sample list`)."),
        click.option("--second-opinion", "decided_by",
                     help="Re-review findings this reviewer decided (for agreement figures)."),
    ]):
        fn = opt(fn)
    return fn


@cli.group(name="review", cls=Group, context_settings=CONTEXT, invoke_without_command=True)
@db_option
@click.option("--reviewer", envvar="DIPSAMPLE_REVIEWER", help="Your name (or $DIPSAMPLE_REVIEWER); kept with every decision.")
@queue_options
@click.pass_context
def review_group(ctx, db_path, reviewer, school, item, status, low_confidence, qc_rate, sample, decided_by):
    """Review what the tool found, one finding at a time, in the terminal.

    Red flags come first, then statutory gaps, findings changed since an earlier review,
    low-confidence findings and a sample of confident ones. Keys: [a]gree, [1] met [2] partial
    [3] missing [4] n/a, [d]ismiss a red flag, [c]omment, [n]ext, [b]ack, [q]uit. Decisions are
    kept at once; run it again to carry on where you stopped.

    \b
    Example:
        dipsample review --reviewer "A. Auditor" --item SSC-
        dipsample review queue --json
    """
    ctx.ensure_object(dict)
    ctx.obj.update(db_path=db_path, filters=dict(school=school, item=item, status=status, sample=sample,
                                                 low_confidence=low_confidence, qc_rate=qc_rate, decided_by=decided_by))
    if ctx.invoked_subcommand is not None:
        return
    from toolkit import review

    if not reviewer:
        reviewer = click.prompt("Reviewer name")
    db = _existing_db(db_path)
    entries = review.queue(db, reviewer=reviewer, **ctx.obj["filters"])
    if not entries:
        click.echo("Nothing to review: the queue is empty.")
        return
    pos = 0
    while 0 <= pos < len(entries):
        entry = entries[pos]
        _show_finding(db, entry, pos, len(entries))
        key = click.getchar().lower()
        if key == "q":
            break
        if key == "b":
            pos = max(0, pos - 1)
            continue
        if key in ("n", " ", "\r", "\n"):
            pos += 1
            continue
        comment = ""
        if key == "c":
            comment = click.prompt("Comment")
            review.decide(db, entry.finding_id, reviewer=reviewer, action="comment", comment=comment)
            click.echo("comment kept")
            continue
        if key not in REVIEW_KEYS:
            click.echo(f"unknown key {key!r}")
            continue
        action, status_ = REVIEW_KEYS[key]
        try:
            review.decide(db, entry.finding_id, reviewer=reviewer, action=action, new_status=status_)
        except review.ReviewError as exc:
            click.echo(f"Error: {exc}")
            continue
        click.echo(f"kept: {action}{' ' + status_ if status_ else ''}")
        pos += 1
        # A decision can settle later entries too (the same gap of a policy set in another document).
        live = {e.finding_id for e in review.queue(db, reviewer=reviewer, **ctx.obj["filters"])}
        entries = entries[:pos] + [e for e in entries[pos:] if e.finding_id in live]
    click.echo(f"{len(review.queue(db, reviewer=reviewer, **ctx.obj['filters']))} finding(s) left in the queue.")


def _existing_db(db_path):
    from toolkit.store import open_db

    path = Path(db_path or default_db_path())
    if not path.exists():
        raise click.ClickException(f"{path}: no such database (run `dipsample check` first)")
    return open_db(path)


def _show_finding(db, entry, pos: int, total: int) -> None:
    from toolkit import review

    c = review.context(db, entry.finding_id)
    click.echo("\n" + "=" * 78)
    click.echo(f"[{pos + 1}/{total}] {Path(entry.document).name}  {entry.item_id} {entry.title}  ({entry.reason})")
    if c.get("requirement"):
        click.echo(f"Requirement: {c['requirement']}")
    click.echo(f"Tool: {c['status']} (confidence {c['confidence']:.2f}); now: {c['current']}")
    click.echo(f"Why: {c['explanation']}")
    for e in c["evidence"]:
        click.echo(f"--- page {e['page']}, {e['heading']}")
        for t in e["before"]:
            click.echo(f"    {t}")
        click.echo(f"  > {e['text']}")
        for t in e["after"]:
            click.echo(f"    {t}")
    for h in c["history"]:
        click.echo(f"  history: {h['created_at']} {h['reviewer']}: {h['action']} {h['new_status'] or ''} {h['comment']}")
    click.echo("[a]gree  [1]met [2]partial [3]missing [4]n/a  [d]ismiss  [c]omment  [n]ext [b]ack [q]uit")


@review_group.command(name="queue")
@json_option
@click.pass_context
def review_queue(ctx, as_json):
    """List the findings waiting for a reviewer, most urgent first.

    \b
    Example:
        dipsample review --item RF- queue --json
    """
    from toolkit import review

    entries = review.queue(_existing_db(ctx.obj["db_path"]), **ctx.obj["filters"])
    if as_json:
        _emit([e.to_json() for e in entries])
        return
    for e in entries:
        click.echo(f"{e.finding_id:6}  {e.reason:20} {Path(e.document).name:30.30} {e.item_id:7} {e.status:8} {e.confidence:.2f}")
    click.echo(f"{len(entries)} finding(s) to review", err=True)


@review_group.command(name="decide")
@click.argument("finding_id", type=int)
@click.option("--reviewer", envvar="DIPSAMPLE_REVIEWER", required=True, help="Your name.")
@click.option("--agree", "action", flag_value="agree", help="The current status stands.")
@click.option("--dismiss", "action", flag_value="dismiss", help="A red flag that is not one.")
@click.option("--status", "new_status", type=click.Choice(["met", "partial", "missing", "n/a"]),
              help="Change the status.")
@click.option("--comment", default="", help="Why (kept with the decision).")
@click.option("--evidence", "evidence_clause_id", help="The clause id that proves the item (see `dipsample extract`).")
@click.pass_context
def review_decide(ctx, finding_id, reviewer, action, new_status, comment, evidence_clause_id):
    """Record one decision on a finding (decisions are never changed, only added).

    \b
    Example:
        dipsample review decide 412 --reviewer "A. Auditor" --status partial --comment "no time limit"
    """
    from toolkit import review

    if new_status:
        action = "change"
    action = action or ("comment" if comment else None)
    if not action:
        raise click.UsageError("give --agree, --dismiss, --status or --comment")
    decision = review.decide(_existing_db(ctx.obj["db_path"]), finding_id, reviewer=reviewer, action=action,
                             new_status=new_status, comment=comment, evidence_clause_id=evidence_clause_id)
    click.echo(f"decision {decision} kept")


@review_group.command(name="history")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def review_history(ctx, fmt):
    """Export every decision ever made (who, when, what, why).

    \b
    Example:
        dipsample review history --format csv > decisions.csv
    """
    from toolkit import review

    click.echo(review.export_history(_existing_db(ctx.obj["db_path"]), fmt), nl=False)


@review_group.command(name="stats")
@json_option
@click.pass_context
def review_stats(ctx, as_json):
    """Decisions per reviewer, how often the tool was overridden, and agreement between reviewers
    (percentage and Cohen's kappa) on findings two of them decided.

    \b
    Example:
        dipsample review stats
    """
    from toolkit import review

    s = review.stats(_existing_db(ctx.obj["db_path"]))
    if as_json:
        _emit(s)
        return
    click.echo(f"{s['decisions']} decision(s); tool overridden in {s['overrides']} ({s['override_rate']:.0%})")
    for name, n in s["by_reviewer"].items():
        click.echo(f"  {name}: {n}")
    for p in s["pairs"]:
        kappa = "n/a" if p["kappa"] is None else f"{p['kappa']:.2f}"
        click.echo(f"  {p['reviewers'][0]} / {p['reviewers'][1]}: {p['findings']} shared, "
                   f"agreement {p['agreement']:.0%}, kappa {kappa}")


@cli.command(name="serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs $DIPSAMPLE_PASSWORD.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
def serve_cmd(db_path, host, port):
    """Review findings in a browser: documents, policy text beside its checklist, decisions.

    Reviewers sign in with their name (kept with every decision). If $DIPSAMPLE_PASSWORD is set,
    signing in also asks for it; it is required to listen on anything but this machine. Keys on a
    document page: [a]gree, [1] met [2] partial [3] missing [4] n/a, [d]ismiss a red flag,
    [j]/[k] next/previous item, [n]ext in queue. Stop with Ctrl-C.

    \b
    Example:
        dipsample serve --db out/dipsample.db
        DIPSAMPLE_PASSWORD=... dipsample serve --host 0.0.0.0 --port 8080
    """
    from toolkit.web import PASSWORD_ENV, check_exposure, create_app

    password = os.environ.get(PASSWORD_ENV) or None
    check_exposure(host, password)
    app = create_app(db_path or default_db_path(), password=password)
    click.echo(f"dipsample review: http://{'[' + host + ']' if ':' in host else host}:{port}/  (Ctrl-C to stop)", err=True)
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


@cli.group(name="db", cls=Group, context_settings=CONTEXT)
def db_group():
    """Look after the database."""


@db_group.command(name="backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def db_backup(dest, db_path):
    """Write a consistent copy of the database (findings and the whole review trail) to DEST,
    even while checks or reviews are running.

    \b
    Example:
        dipsample db backup backups/dipsample-2026-11-27.db
    """
    from toolkit.store import backup

    try:
        click.echo(str(backup(_existing_db(db_path), dest)))
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.group(name="checklist", cls=Group, context_settings=CONTEXT)
def checklist_group():
    """List, show and validate checklists."""


@checklist_group.command(name="list")
@click.option("--checklist", "checklist_name", default="national", show_default=True)
def checklist_list(checklist_name):
    """List the items, red flags and outdated markers of a checklist.

    \b
    Example:
        dipsample checklist list
    """
    cl = load_checklist(checklist_name)
    click.echo(f"{cl.label} (effective {cl.effective}); bundled: {', '.join(available())}")
    for x in [*cl.items, *cl.red_flags, *cl.outdated]:
        click.echo(f"{x.id:8} {x.basis:10.10} {x.title}")


@checklist_group.command(name="show")
@click.argument("item_id")
@click.option("--checklist", "checklist_name", default="national", show_default=True)
def checklist_show(item_id, checklist_name):
    """Show one item: requirement, basis, citation, rules and remedy.

    \b
    Example:
        dipsample checklist show SSC-03
    """
    cl = load_checklist(checklist_name)
    try:
        x = cl.item(item_id.upper())
    except KeyError:
        raise click.ClickException(f"no item {item_id} in checklist {cl.label}") from None
    import dataclasses

    import yaml

    data = {k: v for k, v in dataclasses.asdict(x).items() if v not in ("", [], None)}
    click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


@checklist_group.command(name="validate")
@click.argument("file", type=click.Path(path_type=Path))
def checklist_validate(file):
    """Validate a checklist folder or overlay file; prints the first problem found.

    \b
    Example:
        dipsample checklist validate my-la-overlay.yaml
    """
    cl = load_checklist(file)
    click.echo(f"ok: {cl.label}: {len(cl.items)} items, {len(cl.red_flags)} red flags, {len(cl.outdated)} outdated markers")


@cli.group(name="register", cls=Group, context_settings=CONTEXT)
def register_group():
    """The school register: import it, list it, link policies to schools."""


@register_group.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@json_option
def register_import(file, db_path, as_json):
    """Import the school register from FILE: a GIAS establishment export (columns URN,
    EstablishmentName, TypeOfEstablishment (name), PhaseOfEducation (name), LA (name),
    EstablishmentStatus (name), NumberOfPupils, ...) or a minimal CSV (urn, name, phase, type).

    GIAS types become maintained / academy / independent with special and AP flags, and phases
    become primary / secondary / all-through / special / ap. Bad rows are reported with their line
    number and reason and skipped; importing again updates schools by URN.

    \b
    Example:
        dipsample register import corpus/register.csv
        dipsample register import our-schools.csv --json
    """
    from toolkit.register import import_register
    from toolkit.store import open_db

    r = import_register(open_db(db_path), file)
    for bad in r.bad:
        click.echo(f"{file.name}: skipped {bad}", err=True)
    if as_json:
        _emit(r.to_json())
        return
    click.echo(f"{file.name} ({r.format}): {r.imported} school(s) imported ({r.open} open, {r.closed} closed), "
               f"{len(r.bad)} row(s) skipped")


@register_group.command(name="list")
@db_option
@click.option("--all", "show_all", is_flag=True, help="Include closed schools.")
@json_option
def register_list(db_path, show_all, as_json):
    """List the schools in the register with their type and phase, and the policies linked to them.

    \b
    Example:
        dipsample register list
        dipsample register list --all --json
    """
    from toolkit.register import links, schools

    db = _existing_db(db_path)
    rows = schools(db, status=None if show_all else "open")
    linked: dict[str, list] = {}
    for ln in links(db):
        linked.setdefault(ln["urn"], []).append(Path(ln["source"]).name)
    if as_json:
        _emit([{k: r[k] for k in ("urn", "name", "school_type", "phase", "special", "ap", "status", "pupils")}
               | {"policies": linked.get(r["urn"], [])} for r in rows])
        return
    for r in rows:
        click.echo(f"{r['urn']:7} {r['school_type']:11} {r['phase']:11} {r['status']:6} {r['name']}"
                   + (f"  [{', '.join(linked[r['urn']])}]" if r["urn"] in linked else ""))
    click.echo(f"{len(rows)} school(s); {sum(r['urn'] in linked for r in rows)} with a policy linked", err=True)


@register_group.command(name="link")
@click.argument("document")
@click.argument("urn")
@db_option
def register_link(document, urn, db_path):
    """Link a checked DOCUMENT (path, file name, unique part of one, or run id) to the school URN,
    e.g. after `check` reported an uncertain name match. Check it again with --urn to use the
    register's type and phase.

    \b
    Example:
        dipsample register link brookside-juniors.txt 109876
    """
    from toolkit.register import link, school
    from toolkit.report import find_run

    db = _existing_db(db_path)
    run_id = find_run(db, document)
    doc_id = db["runs"].get(run_id)["document_id"]
    link(db, doc_id, urn, "by hand")
    click.echo(f"{Path(db['documents'].get(doc_id)['source']).name} -> {school(db, urn)['name']} (URN {urn})")


@cli.group(name="sample", cls=Group, context_settings=CONTEXT)
def sample_group():
    """Draw dip samples from the register and follow them through."""


@sample_group.command(name="draw")
@db_option
@click.option("--size", type=click.IntRange(1), required=True, help="Number of schools in the sample.")
@click.option("--strata", default="phase,type", show_default=True,
              help="Register columns to stratify by, comma-separated (phase, type, la, special, ap, or a CSV "
                   "column); 'none' for a simple random sample.")
@click.option("--seed", type=int, default=None, help="Random seed (default: a new one, recorded): the same seed and "
              "register give the same sample.")
@click.option("--exclude-sampled-within", "exclude_within", type=click.FloatRange(0), default=None, metavar="YEARS",
              help="Leave out schools sampled in the YEARS before the sample date.")
@click.option("--include", multiple=True, metavar="URN", help="A school that must be in the sample (repeat or "
              "comma-separate); counts towards --size.")
@click.option("--weight", default=None, metavar="COLUMN",
              help="Draw with probability proportional to this register column (risk-based sampling), "
                   "e.g. NumberOfPupils.")
@click.option("--rationale", default="", help="Why this sample (kept with it).")
@click.option("--date", "sample_date", callback=_date, default=None, metavar="YYYY-MM-DD",
              help="The sample date (default: today); the annual summary groups samples by it.")
@json_option
def sample_draw(db_path, size, strata, seed, exclude_within, include, weight, rationale, sample_date, as_json):
    """Draw a reproducible stratified random sample of open schools and record it (id, date,
    seed, method, parameters, rationale, schools).

    Schools are allocated to strata in proportion to their sizes (largest-remainder rounding, at
    least one per non-empty stratum when the size allows) and drawn at random within each.

    \b
    Example:
        dipsample sample draw --size 12 --seed 2025 --rationale "autumn dip sample"
        dipsample sample draw --size 10 --exclude-sampled-within 3 --include 135790 --weight NumberOfPupils
    """
    from toolkit.sampling import draw
    from toolkit.store import open_db

    urns = [u for x in include for u in x.replace(" ", ",").split(",") if u]
    s = draw(open_db(db_path), size, strata=strata.split(","), seed=seed, exclude_sampled_within=exclude_within,
             include=urns, weight=weight, rationale=rationale, sample_date=sample_date)
    if as_json:
        _emit(s.to_json())
        return
    click.echo(f"sample {s.id} ({s.sample_date}, seed {s.seed}): {s.method}")
    click.echo(f"{s.parameters['eligible']} eligible of {s.parameters['population']} open schools; allocation: "
               + ", ".join(f"{k} {v}/{s.parameters['strata_sizes'][k]}" for k, v in s.parameters["allocation"].items()))
    for x in s.schools:
        click.echo(f"  {x['urn']:7} {x['phase']:11} {x['school_type']:11} {x['name']}"
                   + ("  (included)" if x["reason"] == "included" else ""))


@sample_group.command(name="list")
@db_option
@json_option
def sample_list(db_path, as_json):
    """List the samples drawn: id, date, size, seed, method and rationale.

    \b
    Example:
        dipsample sample list
    """
    from toolkit.sampling import list_samples

    rows = list_samples(_existing_db(db_path))
    if as_json:
        _emit(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:4}  {r['sample_date']}  {r['schools']:3} schools  seed {r['seed']:<8} {r['rationale']}")
    click.echo(f"{len(rows)} sample(s)", err=True)


@sample_group.command(name="status")
@click.argument("sample_id", type=int)
@db_option
@json_option
def sample_status(sample_id, db_path, as_json):
    """Where a sample stands, school by school: policy received (a linked document), checked,
    review progress (findings decided, findings waiting) and key results (met / partial /
    missing, red flags, outdated references), with reviewed statuses.

    \b
    Example:
        dipsample sample status 1
    """
    from toolkit.sampling import status

    st = status(_existing_db(db_path), sample_id)
    if as_json:
        _emit(st)
        return
    s = st["sample"]
    click.echo(f"sample {s['id']} ({s['sample_date']}, seed {s['seed']}): {len(st['schools'])} schools, "
               f"{st['received']} policies received and checked; {st['decided']} findings decided, "
               f"{st['to_review']} waiting for review")
    for r in st["schools"]:
        if not r["received"]:
            click.echo(f"  {r['urn']:7} {r['name'][:38]:38} no policy yet")
            continue
        click.echo(f"  {r['urn']:7} {r['name'][:38]:38} {r['document'][:28]:28} {r['met']:2} met {r['partial']:2} partial "
                   f"{r['missing']:2} missing, {r['red_flags']} red flag(s), {r['outdated']} outdated; "
                   f"reviewed {r['decided']}, to review {r['to_review']}")


@cli.command(name="summary")
@db_option
@click.option("--year", required=True, metavar="YYYY/YY", help="Academic year (September to August), e.g. 2025/26.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Folder for summary-YYYY-YY.html and .xlsx.")
@click.option("--pdf", is_flag=True, help="Also write a PDF of the summary (needs WeasyPrint and pango).")
def summary_cmd(db_path, year, out_dir, pdf):
    """Write the annual summary of every sample dated in an academic year: schools and policies,
    compliance per item and area, by phase and type, red flags, outdated references, themes,
    change against the previous year and reviewers' overrides, as HTML and XLSX.

    A school's policy counts in the year its check's --as-of date falls in. Percentages are only
    given where the base is 5 or more ("n<5" otherwise); counts are always shown.

    \b
    Example:
        dipsample summary --year 2025/26 --out reports/ --pdf
    """
    from toolkit.report import PdfUnavailable, write_pdf
    from toolkit.summary import write

    for path in write(_existing_db(db_path), year, out_dir):
        click.echo(str(path))
        if pdf and path.suffix == ".html":
            try:
                click.echo(str(write_pdf(path)))
            except PdfUnavailable as exc:
                click.echo(f"warning: no PDF written: {exc}; the HTML summary is written", err=True)


@cli.command(name="diff")
@click.argument("urn")
@db_option
@click.option("--no-text", is_flag=True, help="Leave out the text diff of changed sections.")
@json_option
def diff_cmd(urn, db_path, no_text, as_json):
    """Compare the two latest checked policies of school URN: items that improved or regressed,
    red flags and outdated references added or removed, and the text of the sections that changed.

    \b
    Example:
        dipsample diff 100452
        dipsample diff 100452 --no-text --json
    """
    from toolkit.diff import as_text, diff_school

    d = diff_school(_existing_db(db_path), urn)
    if as_json:
        if no_text:
            d["sections"] = [{k: v for k, v in x.items() if k != "diff"} for x in d["sections"]]
        _emit(d)
        return
    click.echo(as_text(d, text=not no_text), nl=False)


def main():  # pragma: no cover
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
