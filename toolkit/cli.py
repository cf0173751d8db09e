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
              help="PDF reader: pdfplumber (reference, default) or pdfium (fast).")
@json_option
def check_cmd(paths, db_path, as_of, checklist_name, school_type, phase, jobs, engine, as_json):
    """Check policy files, folders of them, or web addresses, and store the findings.

    Each document is stored as soon as it is checked, so an interrupted batch keeps its finished
    work; checking an unchanged file again reuses the stored findings. A file that cannot be read
    is reported with its name and reason, and the batch goes on.

    \b
    Example:
        dipsample check corpus/ --as-of 2026-11-01
        dipsample check policy.pdf --school-type academy --phase primary --json
        dipsample check https://www.example-school.org.uk/behaviour-policy
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
    batch = check_and_store(sources, db, checklist=checklist, as_of=as_of or dt.date.today(),
                            school_type=school_type, phase=phase, jobs=jobs or os.cpu_count() or 1,
                            on_progress=show)
    if single and batch.errors:
        raise click.ClickException(batch.errors[0].error)
    click.echo(f"checked {len(batch.documents)} document(s), {len(batch.errors)} failed, in {batch.seconds:.1f}s; "
               f"database: {db.conn.execute('PRAGMA database_list').fetchone()[2]}", err=True)
    if as_json:
        _emit(batch.to_json())
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
              show_default=True, help="Folder for the HTML reports.")
def report_cmd(db_path, out_dir):
    """Write an HTML report per checked document and an index page.

    \b
    Example:
        dipsample report --db dipsample.db --out reports/
    """
    from toolkit.report import render_reports
    from toolkit.store import open_db

    path = Path(db_path or default_db_path())
    if not path.exists():
        raise click.ClickException(f"{path}: no such database (run `dipsample check` first)")
    index = render_reports(open_db(path), out_dir)
    click.echo(str(index))


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


def main():  # pragma: no cover
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
