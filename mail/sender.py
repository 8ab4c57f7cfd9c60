"""Delivering the email outbox over SMTP (aiosmtplib), with retry and back-off.

Rows are claimed in a short transaction (committed before anything is sent), sent over
one connection, and each is then marked sent or failed in a transaction of its own, so a
crash loses nothing: an unfinished claim expires and the row is sent again, with the same
Message-ID. The claim on a row is renewed right before and while it is sent (see
`models.outbox.renew_claim`), so a live worker never loses a row it is sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import aiosmtplib
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from mail.auth.refusals import mailbox_refused, password_refused
from mail.compose import build_message
from mail.config import MailEnvironment, MailSettings, Security
from mail.errors import ComposeError, DeliveryError, MailConnectionError, SignInError
from mail.tls import tls_context
from models.attachments import AttachmentError
from models.db import session_scope, write_transaction
from models.outbox import (
    OutboundMessage,
    OutboxStatus,
    claim_due,
    mark_failed,
    mark_sent_by_id,
    postpone,
    renew_claim,
)
from models.rendered import ensure_rendered, rendered_digest
from models.retry import retried, write_pause
from models.tables import as_utc

if TYPE_CHECKING:
    from mail.auth.tokens import TokenManager

log = logging.getLogger(__name__)
WRITE_ATTEMPTS = 10  # pool_pre_ping reconnects a dropped connection on the next attempt
CONNECTION_ERRORS = (OSError, ssl.SSLError, socket.gaierror, asyncio.TimeoutError)
# The claim on each row is renewed while it is sent (heartbeat every third of it), so this
# only bounds how long a killed worker's claimed rows wait before another worker sends them.
LEASE_SECONDS = 30.0
SIGN_IN_DELAY = 60.0  # seconds rows wait after a refused SMTP sign-in (the worker doubles it)


class SmtpClient:
    """An SMTP session; aiosmtplib's errors are translated to the channel's own.

    Signs in with the password, or with SASL XOAUTH2 (`auth_xoauth2`) when `tokens` is
    given: a refused token is replaced by a fresh one once, on the same connection.
    """

    def __init__(
        self,
        settings: MailSettings,
        *,
        timeout: float = 30.0,
        tokens: TokenManager | None = None,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        security = settings.smtp_security
        self.smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=timeout,
            use_tls=security == Security.ssl,
            start_tls=security == Security.starttls,
            tls_context=tls_context(settings) if security != Security.none else None,
        )

    async def __aenter__(self) -> SmtpClient:
        await self.open()
        try:
            await self.sign_in()
        except BaseException:
            await self._close()
            raise
        return self

    async def open(self) -> None:
        """Connect, with TLS as configured (certificate verified)."""
        try:
            await self.smtp.connect()
        except aiosmtplib.SMTPResponseException as exc:
            await self._close()
            raise MailConnectionError(
                f"SMTP refused the session: {exc.code} {exc.message}"
            ) from exc
        except (aiosmtplib.SMTPException, *CONNECTION_ERRORS) as exc:
            await self._close()
            raise MailConnectionError(f"cannot connect to SMTP: {exc}") from exc

    async def sign_in(self) -> None:
        """Sign in (nothing to do without an SMTP user or OAuth2)."""
        s = self.settings
        try:
            if self.tokens is not None:
                await self._sign_in_xoauth2(s.smtp_user or s.mailbox_user, self.tokens)
            elif s.smtp_user and s.smtp_password is not None:
                try:
                    await self.smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
                except aiosmtplib.SMTPAuthenticationError as exc:
                    setting = "BILLBOT_MAIL__SMTP_USER and BILLBOT_MAIL__SMTP_PASSWORD"
                    raise password_refused("SMTP", s.smtp_user, exc.message, setting) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise MailConnectionError(
                f"SMTP refused the session: {exc.code} {exc.message}"
            ) from exc
        except (aiosmtplib.SMTPException, *CONNECTION_ERRORS) as exc:
            raise MailConnectionError(f"SMTP sign-in failed: {exc}") from exc

    async def _sign_in_xoauth2(self, user: str, tokens: TokenManager) -> None:
        if self.smtp.last_ehlo_response is None:
            await self.smtp.ehlo()
        if "xoauth2" not in self.smtp.server_auth_methods:
            offered = " ".join(self.smtp.server_auth_methods) or "none"
            raise SignInError(
                f"the SMTP server does not offer XOAUTH2 (it offers: {offered})",
                fix="send through the provider's submission server (Microsoft 365: "
                "smtp.office365.com, port 587, starttls; Google: smtp.gmail.com, port 465, ssl)",
            )
        token = await asyncio.to_thread(tokens.token)
        try:
            await self.smtp.auth_xoauth2(user, token)
            return
        except aiosmtplib.SMTPAuthenticationError:
            await asyncio.to_thread(tokens.invalidate, token)
        token = await asyncio.to_thread(tokens.token)
        try:
            await self.smtp.auth_xoauth2(user, token)
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise mailbox_refused(self.settings, "SMTP", f"{exc.code} {exc.message}") from exc

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        try:
            if self.smtp.is_connected:
                await self.smtp.quit()
        except (aiosmtplib.SMTPException, *CONNECTION_ERRORS):
            self.smtp.close()

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        try:
            await self.smtp.send_message(message, sender=sender, recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients] or [550]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            raise DeliveryError(detail, code=codes[0], permanent=min(codes) >= 500) from exc
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
            raise MailConnectionError(f"SMTP connection lost: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600
            raise DeliveryError(
                f"{exc.code} {exc.message}", code=exc.code, permanent=permanent
            ) from exc
        except (aiosmtplib.SMTPException, *CONNECTION_ERRORS) as exc:
            raise MailConnectionError(f"SMTP error: {exc}") from exc


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0  # permanently
    skipped: int = 0  # the claim had expired and another worker took the row over
    postponed: int = 0  # waiting for the mailbox sign-in to be fixed (no attempt used)


def _claim(engine: Engine, now: datetime, limit: int, lease: float) -> list[OutboundMessage]:
    with write_transaction(engine) as session:  # two processes must not claim alike
        return claim_due(session, channel="email", now=now, limit=limit, lease=lease)


def _renew(engine: Engine, row: OutboundMessage, until: datetime) -> bool:
    """Extend our claim on `row` (committed), or learn that it is no longer ours."""
    assert row.id is not None and row.claimed_until is not None
    with session_scope(engine) as session:
        renewed = renew_claim(session, row_id=row.id, claimed_until=row.claimed_until, until=until)
    if renewed:
        row.claimed_until = until
    return renewed


def _finish(
    engine: Engine,
    claim: OutboundMessage,
    now: datetime,
    error: str | None,
    permanent: bool,
) -> None:
    """Record the outcome; a dropped database connection is retried, because a sent
    message whose `sent` mark is lost would be sent again once its lease expires."""
    retried(
        lambda: _record_outcome(engine, claim, now, error, permanent),
        attempts=WRITE_ATTEMPTS,
        errors=(OperationalError,),
        what=f"outbox row {claim.id}",
        pause=write_pause,
    )


def _postpone(engine: Engine, claim: OutboundMessage, until: datetime, error: str) -> None:
    assert claim.id is not None
    with session_scope(engine) as session:
        row = session.get(OutboundMessage, claim.id, with_for_update=True)
        pending = row is not None and row.status == OutboxStatus.pending
        if pending and row is not None and _claim_time(row) == _claim_time(claim):
            postpone(session, row, until=until, error=error)


def _record_outcome(
    engine: Engine,
    claim: OutboundMessage,
    now: datetime,
    error: str | None,
    permanent: bool,
) -> None:
    assert claim.id is not None
    if error is None:  # unless another worker, whose claim followed ours, finished it
        with engine.begin() as connection:  # one statement: no ORM session needed
            mark_sent_by_id(connection, row_id=claim.id, now=now)
        return
    with session_scope(engine) as session:
        row = session.get(OutboundMessage, claim.id, with_for_update=True)
        if row is None or row.status != OutboxStatus.pending:
            return  # another worker, whose claim followed ours, finished it
        if _claim_time(row) == _claim_time(claim):  # still ours: retry later
            mark_failed(session, row, now=now, error=error, permanent=permanent)


class _Heartbeat:
    """Renews the claim on one row every third of the lease while it is being sent."""

    def __init__(
        self,
        engine: Engine,
        row: OutboundMessage,
        lease: float,
        moment: Callable[[], datetime],
    ) -> None:
        self.engine, self.row, self.lease, self.moment = engine, row, lease, moment
        self._done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> None:
        self._task = asyncio.create_task(self._beat())

    async def __aexit__(self, *_exc: object) -> None:
        self._done.set()
        assert self._task is not None
        await self._task  # not cancelled: a renewal in flight must finish (it moves the token)

    async def _beat(self) -> None:
        while not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), timeout=self.lease / 3)
                return
            until = self.moment() + timedelta(seconds=self.lease)
            try:
                if not await asyncio.to_thread(_renew, self.engine, self.row, until):
                    log.warning("claim on %s was lost while sending it", self.row.message_id)
                    return
            except SQLAlchemyError as exc:  # the database is away: the send goes on
                log.warning("cannot renew the claim on %s: %s", self.row.message_id, exc)


async def _still_ours(
    engine: Engine, row: OutboundMessage, lease: float, moment: Callable[[], datetime]
) -> bool:
    """Whether we may send `row`: a claim with a third of its lease left is renewed first."""
    assert row.claimed_until is not None
    now = moment()
    left = (_claim_time(row) or now) - now
    if left > timedelta(seconds=lease * 2 / 3):
        return True  # nobody can have claimed it before our lease ends
    return await asyncio.to_thread(_renew, engine, row, now + timedelta(seconds=lease))


def _claim_time(row: OutboundMessage) -> datetime | None:
    return as_utc(row.claimed_until) if row.claimed_until is not None else None


def _unrendered(row: OutboundMessage, attachments_dir: Path) -> list[str]:
    """The documents `row` attaches that are not rendered yet (`models.rendered`)."""
    items = row.data().get("attachments") or ()
    names = [str(i["document"]) for i in items if i.get("document") and not i.get("sha256")]
    return [name for name in names if rendered_digest(attachments_dir, name) is None]


def _render(engine: Engine, attachments_dir: Path, row: OutboundMessage) -> None:
    with Session(engine) as session:
        for name in _unrendered(row, attachments_dir):
            try:
                ensure_rendered(session, attachments_dir, name)
            except (AttachmentError, ValueError, OSError) as exc:  # ValueError: totals
                log.error("%s of %s cannot be rendered: %s", name, row.message_id, exc)


async def deliver_due(
    engine: Engine,
    env: MailEnvironment,
    *,
    now: datetime,
    limit: int = 50,
    lease: float = LEASE_SECONDS,
    tokens: TokenManager | None = None,
    sign_in_delay: float = SIGN_IN_DELAY,
) -> DeliveryReport:
    """One pass: send every due email row; failures are scheduled again (or given up on 5xx).

    Each row's claim is renewed (committed) right before it is sent and kept alive while it
    is, so two live workers never send one row; a worker killed mid-send leaves at most that
    one row to be sent again once its lease has expired. When the SMTP sign-in is refused
    (`SignInError`), the rows wait `sign_in_delay` seconds without using up an attempt.
    """
    report = DeliveryReport()
    rows = await asyncio.to_thread(_claim, engine, now, limit, lease)
    if not rows:
        return report
    started = time.monotonic()

    def moment() -> datetime:  # `now` moved on by the time spent (tests pass a fixed `now`)
        return now + timedelta(seconds=time.monotonic() - started)

    async def finish(row: OutboundMessage, error: str | None, permanent: bool = False) -> None:
        await asyncio.to_thread(_finish, engine, row, moment(), error, permanent)
        if error is None:
            report.sent += 1
        elif permanent:
            report.failed += 1
            log.error("gave up on %s to %s: %s", row.message_id, row.recipient, error)
        else:
            report.retried += 1
            log.warning("will retry %s to %s: %s", row.message_id, row.recipient, error)

    pending = list(rows)
    try:
        async with SmtpClient(env.mail, tokens=tokens) as smtp:
            while pending:
                row = pending[0]
                if not await _still_ours(engine, row, lease, moment):
                    log.info("%s was taken over by another worker", row.message_id)
                    report.skipped += 1
                    pending.pop(0)
                    continue
                try:
                    if _unrendered(row, env.attachments_dir):  # its turn's process died early
                        await asyncio.to_thread(_render, engine, env.attachments_dir, row)
                    message = build_message(row, env.mail, env.attachments_dir)
                    async with _Heartbeat(engine, row, lease, moment):
                        await smtp.send(
                            message, sender=env.mail.address or "", recipient=row.recipient
                        )
                except ComposeError as exc:
                    await finish(row, str(exc))
                except DeliveryError as exc:
                    await finish(row, str(exc), exc.permanent)
                except MailConnectionError:
                    raise  # the connection is gone: every row left is retried later
                except Exception as exc:  # a bug on one row must not hold up the others
                    log.exception("outbox row %s (%s) failed", row.id, row.message_id)
                    await finish(row, f"{type(exc).__name__}: {exc}")
                else:
                    await finish(row, None)
                pending.pop(0)
    except SignInError as exc:
        log.error("outbox waits %.0f s for the SMTP sign-in: %s", sign_in_delay, exc)
        until = moment() + timedelta(seconds=sign_in_delay)
        for row in pending:
            await asyncio.to_thread(_postpone, engine, row, until, str(exc))
            report.postponed += 1
    except MailConnectionError as exc:
        for row in pending:
            await finish(row, str(exc))
    return report
