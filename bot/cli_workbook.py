"""The workbook commands of the CLI: `billbot template` and `billbot export --period --format xlsx`.

Registered on the app in `bot.cli`; openpyxl and the models load inside the commands, so
`billbot --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def template(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The workbook to write (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write an empty import workbook: a sheet per section, instructions, drop-down lists.

    Fill it in and load it with `billbot import FILE.xlsx`.
    """
    from bot.cli import fail
    from models.workbook_template import write_template

    if file.exists() and not force:
        fail(f"{file} exists; use --force to overwrite it", code=2)
    if file.suffix.lower() != ".xlsx":
        fail(f"{file}: the template is an .xlsx workbook; name it FILE.xlsx", code=2)
    try:
        write_template(file)
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror or exc}")
    typer.echo(f"Wrote {file}: fill it in, then `billbot import {file}`.")


def export_period(
    ctx: typer.Context, *, period: str | None, output: Path | None, force: bool = False
) -> None:
    """Every invoice of the period in one workbook (`--format xlsx`)."""
    from bot.cli import fail, in_database, keep_existing, open_database
    from models.db import session_scope
    from models.workbook_export import UnknownPeriodError, write_period_workbook

    if period is None:
        fail("--format xlsx exports a billing period: give --period KEY", code=2)
    path = output if output is not None else Path(f"{period}.xlsx")
    keep_existing(path, force=force)
    with open_database(ctx) as engine, session_scope(engine) as session:
        try:
            count = write_period_workbook(session, period_key=period, path=path)
        except UnknownPeriodError as exc:
            fail(f"{exc}{in_database(ctx)}")
        except OSError as exc:
            fail(f"cannot write {path}: {exc.strerror or exc}")
    typer.echo(f"Wrote {path} ({count} invoice{'s' if count != 1 else ''}).", err=True)
