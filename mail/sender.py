"""Delivering the email outbox over SMTP (aiosmtplib), with retry and back-off.

Rows are claimed in a short transaction, sent over one connection, and each is then
marked sent or failed in a transaction of its own, so a crash loses nothing: an
unfinished claim expires and the row is sent again, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from types import TracebackType

import aiosmtplib
from sqlalchemy.engine import Engine

from mail.compose import build_message
from mail.config import MailEnvironment, MailSettings, Security
from mail.errors import ComposeError, DeliveryError, MailConnectionError
from models.db import session_scope
from models.outbox import OutboundMessage, claim_due, mark_failed, mark_sent

log = logging.getLogger(__name__)
CONNECTION_ERRORS = (OSError, ssl.SSLError, socket.gaierror, asyncio.TimeoutError)


class SmtpClient:
    """An SMTP session; aiosmtplib's errors are translated to the channel's own."""

    def __init__(self, settings: MailSettings, *, timeout: float = 30.0) -> None:
        self.settings = settings
        security = settings.smtp_security
        self.smtp = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            timeout=timeout,
            use_tls=security == Security.ssl,
            start_tls=security == Security.starttls,
        )

    async def __aenter__(self) -> SmtpClient:
        try:
            await self.smtp.connect()
            if self.settings.smtp_user and self.settings.smtp_password is not None:
                password = self.settings.smtp_password.get_secret_value()
                await self.smtp.login(self.settings.smtp_user, password)
        except aiosmtplib.SMTPResponseException as exc:
            await self._close()
            raise MailConnectionError(
                f"SMTP refused the session: {exc.code} {exc.message}"
            ) from exc
        except (aiosmtplib.SMTPException, *CONNECTION_ERRORS) as exc:
            await self._close()
            raise MailConnectionError(f"cannot connect to SMTP: {exc}") from exc
        return self

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


def _claim(engine: Engine, now: datetime, limit: int) -> list[OutboundMessage]:
    with session_scope(engine) as session:
        return claim_due(session, channel="email", now=now, limit=limit)


def _finish(engine: Engine, row_id: int, now: datetime, error: str | None, permanent: bool) -> None:
    with session_scope(engine) as session:
        row = session.get(OutboundMessage, row_id)
        if row is None:
            return
        if error is None:
            mark_sent(session, row, now=now)
        else:
            mark_failed(session, row, now=now, error=error, permanent=permanent)


async def deliver_due(
    engine: Engine, env: MailEnvironment, *, now: datetime, limit: int = 50
) -> DeliveryReport:
    """One pass: send every due email row; failures are scheduled again (or given up on 5xx)."""
    report = DeliveryReport()
    rows = await asyncio.to_thread(_claim, engine, now, limit)
    if not rows:
        return report

    async def finish(row: OutboundMessage, error: str | None, permanent: bool = False) -> None:
        assert row.id is not None
        await asyncio.to_thread(_finish, engine, row.id, now, error, permanent)
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
        async with SmtpClient(env.mail) as smtp:
            while pending:
                row = pending[0]
                try:
                    message = build_message(row, env.mail, env.attachments_dir)
                    await smtp.send(message, sender=env.mail.address or "", recipient=row.recipient)
                except ComposeError as exc:
                    await finish(row, str(exc))
                except DeliveryError as exc:
                    await finish(row, str(exc), exc.permanent)
                else:
                    await finish(row, None)
                pending.pop(0)
    except MailConnectionError as exc:
        for row in pending:
            await finish(row, str(exc))
    return report
