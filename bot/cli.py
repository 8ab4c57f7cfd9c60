"""The `billbot` command line (DESIGN §4).

Heavy modules (SQLAlchemy, the models, the settings) are imported inside the
commands so that `billbot --help` stays fast. User errors are one clear line
on stderr: exit code 1 for bad input, 2 for bad usage; never a traceback.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from bot import cli_workbook
from bot.cli_mail import mail_app
from bot.cli_review import review
from bot.cli_status import status

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

app = typer.Typer(
    help="billbot: subcontractor progress billing by chat and email.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(mail_app, name="mail")
app.command("review")(review)
app.command("status")(status)


class ExportFormat(enum.StrEnum):
    json = "json"
    csv = "csv"
    pdf = "pdf"
    xlsx = "xlsx"


@dataclass
class CliState:
    database_url: str | None = None
    database: str = ""  # the database in use, for messages: a SQLite file's absolute path


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"billbot: {message}", err=True)
    raise typer.Exit(code)


@app.callback()
def _global_options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            metavar="URL",
            help="Database URL; overrides BILLBOT_DATABASE_URL (default sqlite:///var/billbot.db).",
        ),
    ] = None,
) -> None:
    ctx.obj = CliState(database_url=database_url)


SUPPORTED_DATABASES = (
    "billbot runs on SQLite (sqlite:///PATH, e.g. sqlite:///var/billbot.db, or "
    "sqlite:////ABSOLUTE/PATH) or PostgreSQL (postgresql://USER:PASSWORD@HOST/DATABASE)"
)


def _hide_password(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def database_url(url: str) -> URL:
    """`url` as a database billbot runs on (`postgres://` read as `postgresql://`, as
    Heroku-style URLs are written); anything else fails with one line saying what does."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        fail(f"{_hide_password(url)!r} is not a database URL: {SUPPORTED_DATABASES}", code=2)
    if parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql")
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"):
        fail(f"cannot use database URL {shown!r}: {SUPPORTED_DATABASES}", code=2)
    if parsed.get_backend_name() == "sqlite" and parsed.host:
        path = f"{parsed.host}{'/' + parsed.database if parsed.database else ''}"
        fail(
            f"cannot use database URL {shown!r}: a SQLite file's URL has three slashes "
            f"(sqlite:///{path}, a path under the current folder) or four before an "
            f"absolute path (sqlite:////ABSOLUTE/PATH)",
            code=2,
        )
    return parsed


def database_label(url: URL) -> str:
    """The database `url` names, for messages: a SQLite file's absolute path, else the URL
    without its password."""
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            return str(Path(url.database).resolve())
        return "a SQLite database in memory"
    return url.render_as_string(hide_password=True)


def not_found(ctx: typer.Context, exc: Exception) -> NoReturn:
    """Fail with `exc`, an invoice reference that names none (or several), saying which
    database was looked in when it named none."""
    from models.invoice_lookup import AmbiguousInvoiceError

    fail(str(exc) if isinstance(exc, AmbiguousInvoiceError) else f"{exc}{in_database(ctx)}")


def in_database(ctx: typer.Context) -> str:
    """` (in database …)`: for a message saying something is not there, which is the first
    thing to check when billbot runs in another folder than the one the data was imported in."""
    state: CliState = ctx.obj or CliState()
    return f" (in database {state.database})" if state.database else ""


@contextmanager
def open_database(ctx: typer.Context) -> Iterator[Engine]:
    """The configured database, migrated to the latest schema; disposed of afterwards. A
    new SQLite file is said on stderr, with where it is."""
    from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError

    from models.db import make_engine, upgrade

    state: CliState = ctx.obj or CliState()
    url = database_url(state.database_url or _settings().database_url)
    shown = url.render_as_string(hide_password=True)
    state.database = database_label(url)
    new_file = None
    sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, ":memory:")
    if sqlite_file and url.database and not Path(url.database).exists():
        new_file = Path(url.database)
    try:
        engine = make_engine(url.render_as_string(hide_password=False))
    except (NoSuchModuleError, ValueError, OSError) as exc:
        fail(f"cannot use database URL {shown!r}: {exc}", code=2)
    try:
        upgrade(engine)
        if new_file is not None:
            note = f"billbot: created a new database: {state.database}"
            if not new_file.is_absolute():
                note += (
                    f" ({new_file} is under the current folder; to use this database from "
                    f"any folder, set BILLBOT_DATABASE_URL=sqlite:///{state.database})"
                )
            typer.echo(note, err=True)
        yield engine
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"database error ({shown}): {detail}")
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema up to date (every other command also does this)."""
    with open_database(ctx) as engine:
        typer.echo(f"Database schema is up to date ({engine.url.render_as_string()}).")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="The import file: JSON, or a workbook (.xlsx) laid out as `billbot template`.",
        ),
    ],
) -> None:
    """Load companies, people, projects, commitments, billing periods, change orders, invoices.

    From a JSON file or a workbook (see `billbot template`). Idempotent: rows are matched
    by the file's keys, so importing the same file again changes nothing. All or nothing:
    on any problem nothing is written.
    """
    from models.importer import ImportFileError, import_file

    with open_database(ctx) as engine:
        try:
            summary = import_file(engine, path=file)
        except ImportFileError as exc:
            for problem in exc.problems:
                typer.echo(f"{file}: {problem}", err=True)
            count = len(exc.problems)
            fail(f"nothing was imported ({count} problem{'s' if count != 1 else ''})")
    typer.echo(f"Imported {file}:" if summary.changed else f"{file}: nothing changed.")
    for line in summary.lines():
        typer.echo(f"  {line}")


def _reports(ctx: typer.Context, **filters: Any) -> list[dict[str, Any]]:
    from bot.invite import period_keys
    from models.db import session_scope
    from models.invoice_lookup import InvoiceRefError, list_invoices
    from models.report import invoice_report

    with open_database(ctx) as engine, session_scope(engine) as session:
        try:
            found = list_invoices(session, **filters)
        except InvoiceRefError as exc:
            if filters.get("period") and str(exc).startswith("No billing period"):
                fail(f"{str(exc).rstrip('.')} ({period_keys(session)}){in_database(ctx)}")
            not_found(ctx, exc)
        return [invoice_report(session, invoice) for invoice in found]


def _print_reports(reports: list[dict[str, Any]], *, as_json: bool) -> None:
    from bot.cli_render import render_invoice

    if as_json:
        typer.echo(json.dumps(reports, indent=2, ensure_ascii=False))
    elif not reports:
        typer.echo("No invoices.")
    else:
        typer.echo("\n\n".join(render_invoice(report) for report in reports))


@app.command()
def invoices(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    period: Annotated[str | None, typer.Option(help="Billing period key.")] = None,
    commitment: Annotated[str | None, typer.Option(help="Commitment key or number.")] = None,
    status: Annotated[str | None, typer.Option(help="Invoice status, e.g. approved.")] = None,
) -> None:
    """List invoices with their lines and G702 totals."""
    from models.tables import InvoiceStatus

    wanted = None
    if status is not None:
        try:
            wanted = InvoiceStatus(status)
        except ValueError:
            choices = ", ".join(s.value for s in InvoiceStatus)
            message = f"{status!r} is not one of {choices}."
            raise typer.BadParameter(message, param_hint="'--status'") from None
    reports = _reports(ctx, period=period, commitment=commitment, status=wanted)
    _print_reports(reports, as_json=as_json)


def keep_existing(path: Path, *, force: bool) -> None:
    """Refuse to overwrite `path` unless `force` (an export named like the import file
    would replace it)."""
    if path.exists() and not force:
        fail(f"{path} exists; use --force to overwrite it", code=2)


def _export_pdf(ctx: typer.Context, ref: str, output: Path | None, *, force: bool) -> None:
    """Write the invoice's G702/G703 PDF to `output` (default `<commitment>-<invoice>.pdf`)."""
    from models.db import session_scope
    from models.invoice_lookup import InvoiceRefError, find_invoice
    from models.pdf import TotalsMismatchError, invoice_document, pdf_filename, render_invoice_pdf

    with open_database(ctx) as engine, session_scope(engine) as session:
        try:
            document = invoice_document(session, find_invoice(session, ref))
        except InvoiceRefError as exc:
            not_found(ctx, exc)
    try:
        pdf = render_invoice_pdf(document)
    except TotalsMismatchError as exc:
        fail(f"cannot print {ref}: {exc}")
    path = output if output is not None else Path(pdf_filename(document))
    keep_existing(path, force=force)
    try:
        path.write_bytes(pdf)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    typer.echo(str(path))


@app.command()
def export(
    ctx: typer.Context,
    invoice: Annotated[
        str | None,
        typer.Argument(help="SC-007/INV-0041, sc7:INV-0041, INV-0041 or the invoice id."),
    ] = None,
    format_: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format", help="Default: from --output's suffix, else xlsx for --period, json."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write to this file instead of standard output.")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="With --format xlsx: every invoice of this billing period."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the file written if it exists.")
    ] = False,
) -> None:
    """The invoice as a G702/G703-style document, or a period's invoices as a workbook."""
    if format_ is None:
        suffix = output.suffix.lower().lstrip(".") if output else ""
        if suffix in set(ExportFormat):
            format_ = ExportFormat(suffix)
        else:  # a period is exported as its workbook; an invoice as JSON
            format_ = ExportFormat.xlsx if period and invoice is None else ExportFormat.json
    if format_ == ExportFormat.xlsx and period is None and invoice is not None:
        fail(
            "--format xlsx exports a whole period: use --period KEY without an invoice, or "
            "--format pdf|csv|json for one invoice",
            code=2,
        )
    if format_ == ExportFormat.xlsx or period is not None:
        if invoice is not None or format_ != ExportFormat.xlsx:
            fail("--period goes with --format xlsx, and without an INVOICE", code=2)
        cli_workbook.export_period(ctx, period=period, output=output, force=force)
        return
    if invoice is None:
        fail("give an INVOICE, or --period KEY --format xlsx", code=2)
    if output is not None:
        keep_existing(output, force=force)
    if format_ == ExportFormat.pdf:
        _export_pdf(ctx, invoice, output, force=force)
        return

    from models.db import session_scope
    from models.invoice_lookup import InvoiceRefError, find_invoice
    from models.report import invoice_csv, invoice_report

    with open_database(ctx) as engine, session_scope(engine) as session:
        try:
            report = invoice_report(session, find_invoice(session, invoice))
        except InvoiceRefError as exc:
            not_found(ctx, exc)
    text = invoice_csv(report) if format_ == ExportFormat.csv else json.dumps(report, indent=2)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text if text.endswith("\n") else text + "\n", newline="")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"Wrote {output} ({format_.value}).", err=True)


@app.command()
def demo(
    ctx: typer.Context,
    keep: Annotated[
        bool, typer.Option("--keep", help="Continue the previous demo instead of starting over.")
    ] = False,
) -> None:
    """Try the guided invoice conversation in the terminal, on a bundled demo project.

    Answers are read line by line, typed or piped:
    printf 'INV-0042\\n1: 50%%\\n2: 3 units\\nnone\\nsend\\n' | billbot demo
    The demo has a database of its own (var/demo.db), started afresh each time unless
    --keep; with --database-url it uses (and never resets) that database instead, unless
    it holds projects of your own (the demo's people would join them: it refuses).
    """
    from bot.console import run_demo

    state: CliState = ctx.obj or CliState()
    reset = not keep and state.database_url is None
    code = run_demo(state.database_url, reset=reset)
    if code:
        raise typer.Exit(code)


def _settings() -> Any:
    """The settings; each invalid one on a line of its own (never with its value: it may be
    a secret)."""
    from pydantic import ValidationError

    from bot.settings import load_settings, settings_problems

    try:
        return load_settings()
    except ValidationError as exc:
        for problem in settings_problems(exc):
            typer.echo(f"billbot: invalid setting {problem}", err=True)
        raise typer.Exit(2) from None


@app.command()
def invite(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="Billing period key, e.g. nov.")],
    commitment: Annotated[
        str | None, typer.Option(help="Only this commitment (key or number).")
    ] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Invite again contacts already invited.")
    ] = False,
) -> None:
    """Invite the invoice contacts of a billing period (email and/or Slack)."""
    from datetime import UTC, datetime

    from bot.invite import InviteError, NotFoundError
    from bot.invite import invite as invite_contacts

    settings = _settings()
    with open_database(ctx) as engine:
        try:
            summary = invite_contacts(
                engine,
                settings,
                period_key=period,
                commitment_key=commitment,
                now=datetime.now(UTC),
                resend=resend,
            )
        except NotFoundError as exc:
            fail(f"{exc}{in_database(ctx)}")
        except InviteError as exc:
            fail(str(exc))
    for line in summary.lines():
        typer.echo(line)
    if not summary.invited and not summary.skipped and not summary.not_billable:
        typer.echo("Nobody to invite.")


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One pass of each worker, then exit.")
    ] = False,
) -> None:
    """Run every configured channel, the outbox and the reminders (until Ctrl-C)."""
    from bot.runtime import catch_stop_signals
    from bot.runtime import run as run_workers

    if not once:
        catch_stop_signals()

    settings = _settings()
    with open_database(ctx) as engine:
        code = run_workers(engine, settings, once=once)
    if code:
        raise typer.Exit(code)


@app.command()
def remind(
    ctx: typer.Context,
    today: Annotated[
        str | None,
        typer.Option(
            help="Count days from this date (YYYY-MM-DD) instead of each project's today."
        ),
    ] = None,
) -> None:
    """Queue the reminders due today: contacts without a sent invoice, N days before billing.

    The messages go out with the next `billbot run` (or `billbot run --once`).
    """
    from datetime import UTC, date, datetime

    from bot.reminders import NoChannelError
    from bot.reminders import remind as queue_reminders

    day = None
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            fail(f"--today {today!r} is not a date like 2026-11-22", code=2)
    settings = _settings()
    with open_database(ctx) as engine:
        try:
            summary = queue_reminders(engine, settings, now=datetime.now(UTC), today=day)
        except NoChannelError as exc:
            fail(str(exc))
    for line in summary.lines():
        typer.echo(line)


@app.command()
def outbox(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only the messages given up on.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    retry: Annotated[
        list[int] | None,
        typer.Option("--retry", metavar="ID", help="Send this message again at once."),
    ] = None,
) -> None:
    """Outgoing messages that are stuck (failing, or waiting with no worker) or failed."""
    from datetime import UTC, datetime

    from bot.cli_render import outbox_row, render_outbox
    from models.db import session_scope
    from models.outbox import retry_row, troubled_rows

    now = datetime.now(UTC)
    with open_database(ctx) as engine, session_scope(engine) as session:
        for row_id in retry or ():
            if retry_row(session, row_id=row_id, now=now) is None:
                fail(
                    f"outbox message {row_id} cannot be retried: no such message, already "
                    "sent, or being sent right now"
                )
            typer.echo(f"Message {row_id} will be sent with the next `billbot run`.")
        if retry:
            return
        rows = [outbox_row(row) for row in troubled_rows(session, now=now, failed_only=failed)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        typer.echo(render_outbox(rows, failed_only=failed))


app.command("template")(cli_workbook.template)


def main() -> None:
    """Console entry point (`billbot`)."""
    app()


if __name__ == "__main__":
    main()
