"""`billbot mail check` and `billbot mail login` (DESIGN §4): the mailbox set-up, tested and
signed in. Registered in `bot.cli` as the `mail` sub-command; heavy imports stay inside."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from mail.check import Step

mail_app = typer.Typer(help="Check and sign in the billing mailbox.", no_args_is_help=True)

MARKS = {True: "✓", False: "✗", None: "!"}


def _show(step: Step) -> None:
    typer.echo(f"{MARKS[step.ok]} {step.name}: {step.detail}")
    if step.fix and step.ok is not True:
        typer.echo(f"    fix: {step.fix}")


@mail_app.command("check")
def check(
    ctx: typer.Context,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the test message to arrive.")
    ] = 60.0,
) -> None:
    """Connect to IMAP and SMTP, sign in, check IDLE, and send a message to
    address+check-…@ that must arrive in the inbox; each step with ✓/✗ and what to fix.
    Exits 1 when a step failed."""
    import asyncio

    from bot.cli import _settings, fail, open_database
    from mail.auth import token_manager
    from mail.check import MailCheck
    from mail.errors import MailError

    settings = _settings()
    mail = settings.mail
    if not mail.configured:
        fail("set BILLBOT_MAIL__ADDRESS, BILLBOT_MAIL__IMAP_HOST and BILLBOT_MAIL__SMTP_HOST", 2)
    how = f"OAuth2, {mail.oauth2.provider.value}" if mail.auth.value == "oauth2" else "password"
    typer.echo(f"Checking the mailbox {mail.address} ({how})")
    with open_database(ctx) as engine:
        try:
            tokens = token_manager(mail, engine)
        except MailError as exc:
            fail(str(exc), 2)
        checker = MailCheck(mail, tokens, report=_show, wait=wait)
        steps = asyncio.run(checker.run())
    failed = sum(1 for step in steps if step.ok is False)
    if failed:
        typer.echo(f"{failed} of {len(steps)} checks failed.")
        raise typer.Exit(1)
    typer.echo(f"All {len(steps)} checks passed.")


@mail_app.command("login")
def login(ctx: typer.Context) -> None:
    """Sign the mailbox in with OAuth2 (device code): open the URL shown, enter the code;
    the refresh token is kept, encrypted, in the database."""
    from bot.cli import _settings, fail, open_database
    from mail.auth.device import login as device_login
    from mail.errors import MailConfigError, MailError

    settings = _settings()
    with open_database(ctx) as engine:
        try:
            device_login(settings.mail, engine, show=lambda text: typer.echo(text))
        except MailConfigError as exc:
            fail(str(exc), 2)
        except MailError as exc:
            fail(str(exc))
    typer.echo(
        f"Signed in: the refresh token for {settings.mail.mailbox_user} is kept (encrypted) "
        "in the database. Next: billbot mail check"
    )
