"""`billbot invite`: invite the invoice contacts of a billing period, on every configured channel.

One invitation per contact, commitment and period (`models.invitation`); the email invite
goes to the outbox (`mail.invite`), the Slack DM through `bot.slack.invite` when that
channel is configured. Running it again invites nobody twice unless `resend` is set.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from mail.errors import MailError
from mail.invite import queue_invite_email
from models.db import session_scope
from models.invitation import Invitation, get_or_create_invitation
from models.reminders import project_today
from models.review import status_words
from models.tables import (
    EDITABLE_STATUSES,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Invoice,
    InvoiceStatus,
    Person,
    Project,
)

if TYPE_CHECKING:
    from bot.settings import Settings


class InviteError(Exception):
    """The invitation cannot be made (unknown period or commitment, no channel)."""


class NotFoundError(InviteError):
    """The period or commitment named is not in the database."""


def period_keys(session: Session) -> str:
    """The billing periods there are, for a message naming one that is not."""
    keys = session.exec(
        select(BillingPeriod.key).order_by(col(BillingPeriod.start), col(BillingPeriod.key))
    ).all()
    return f"its periods: {', '.join(keys)}" if keys else "no billing periods are imported"


@dataclass
class InviteSummary:
    invited: list[str] = field(default_factory=list)  # "SC-007 Sam Sparks <sam@...>: email"
    skipped: list[str] = field(default_factory=list)  # already invited
    not_billable: list[str] = field(default_factory=list)  # nothing to bill: why
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return (
            [f"invited {line}" for line in self.invited]
            + [f"already invited {line} (use --resend to send again)" for line in self.skipped]
            + [f"not invited: {line}" for line in self.not_billable]
            + [f"warning: {line}" for line in self.warnings]
        )


def slack_available(settings: Settings) -> bool:
    """Slack invites need the Slack channel's module and a bot token."""
    return settings.slack.configured and importlib.util.find_spec("bot.slack.invite") is not None


def queue_slack_invite(session: Session, *, invitation: Invitation, settings: Settings) -> bool:
    """The Slack DM invite (built by the Slack channel); True if one was queued."""
    from bot.slack.invite import queue_slack_invite as queue

    return queue(session, invitation=invitation, settings=settings) is not None


def _period(session: Session, key: str) -> BillingPeriod:
    period = session.exec(select(BillingPeriod).where(BillingPeriod.key == key)).first()
    if period is None:
        raise NotFoundError(f"no billing period with key {key!r} ({period_keys(session)})")
    return period


def _commitments(session: Session, period: BillingPeriod, key: str | None) -> list[Commitment]:
    statement = select(Commitment).where(Commitment.project_id == period.project_id)
    if key is not None:
        statement = statement.where(or_(col(Commitment.key) == key, col(Commitment.number) == key))
    found = list(session.exec(statement.order_by(col(Commitment.number))))
    if key is not None and not found:
        numbers = session.exec(
            select(Commitment.number)
            .where(Commitment.project_id == period.project_id)
            .order_by(col(Commitment.number))
        ).all()
        listed = f"its commitments: {', '.join(numbers)}" if numbers else "it has none"
        raise NotFoundError(
            f"no commitment {key!r} on the project of period {period.key!r} ({listed})"
        )
    return found


def _contacts(session: Session, commitment_id: int) -> list[Person]:
    statement = (
        select(Person)
        .join(CommitmentContact, col(CommitmentContact.person_id) == Person.id)
        .where(CommitmentContact.commitment_id == commitment_id)
        .order_by(col(Person.name))
    )
    return list(session.exec(statement))


def _not_billable(
    session: Session, commitment: Commitment, period: BillingPeriod, now: datetime
) -> str | None:
    """Why the contacts of `commitment` have nothing to bill in `period`, if so: its invoice
    is with the administrator or approved, or the period's due date has passed and there is
    no draft to finish (DESIGN §1: no new invoice after the due date)."""
    invoice = session.exec(
        select(Invoice).where(
            Invoice.commitment_id == commitment.id, Invoice.period_id == period.id
        )
    ).first()
    if invoice is not None and invoice.status not in EDITABLE_STATUSES:
        return f"{commitment.number}: invoice {invoice.number} is {status_words(invoice.status)}"
    later = session.exec(
        select(Invoice)
        .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
        .where(
            Invoice.commitment_id == commitment.id,
            col(BillingPeriod.start) > period.start,
            Invoice.status != InvoiceStatus.draft,
        )
    ).first()
    if later is not None:  # it billed the work to date without this period (no send now)
        return f"{commitment.number}: invoice {later.number} of a later period was already sent"
    project = session.get(Project, period.project_id)
    today = project_today(project.timezone if project else None, now)
    if invoice is None and today > period.due_date:
        return (
            f"{commitment.number}: the due date of period {period.key}, {period.due_date}, has "
            "passed, and a new invoice cannot be started after it"
        )
    return None


def invite(
    engine: Engine,
    settings: Settings,
    *,
    period_key: str,
    commitment_key: str | None = None,
    now: datetime,
    resend: bool = False,
) -> InviteSummary:
    """Invite every invoice contact of the period's commitments (one transaction), but not
    to an invoice they can no longer change (sent, approved, or past the due date)."""
    use_mail = settings.mail.configured
    use_slack = slack_available(settings)
    if not (use_mail or use_slack):
        from bot.settings import half_configured

        unset = "; ".join(half_configured(settings))
        raise InviteError(
            unset or "no channel is configured: set BILLBOT_MAIL__* or BILLBOT_SLACK__*"
        )
    summary = InviteSummary()
    with session_scope(engine) as session:
        period = _period(session, period_key)
        days = settings.mail.token_days
        expires = max(now, datetime.combine(period.due_date, now.timetz())) + timedelta(days=days)
        for commitment in _commitments(session, period, commitment_key):
            assert commitment.id is not None and period.id is not None
            why = _not_billable(session, commitment, period, now)
            if why is not None:
                summary.not_billable.append(why)
                continue
            contacts = _contacts(session, commitment.id)
            if not contacts:
                summary.warnings.append(f"{commitment.number} has no invoice contact")
            elif commitment.administrator_id is None:
                summary.warnings.append(
                    f"{commitment.number} has no invoice administrator: nobody can review the "
                    "invoices its contacts send, or hears that they sent one; give it one (its "
                    "administrator in the import file) and import the file again"
                )
            for person in contacts:
                assert person.id is not None
                invitation, _ = get_or_create_invitation(
                    session,
                    commitment_id=commitment.id,
                    period_id=period.id,
                    person_id=person.id,
                    expires_at=expires,
                )
                label = f"{commitment.number} {person.name} <{person.email}>"
                channels: list[str] = []
                if use_mail and (resend or invitation.email_message_id is None):
                    try:
                        queue_invite_email(
                            session,
                            invitation=invitation,
                            settings=settings.mail,
                            now=now,
                            attachments_dir=settings.attachments_dir,
                        )
                    except MailError as exc:
                        raise InviteError(str(exc)) from exc
                    channels.append("email")
                slack_new = invitation.slack_channel is None and invitation.slack_ts is None
                if (
                    use_slack
                    and (resend or slack_new)
                    and queue_slack_invite(session, invitation=invitation, settings=settings)
                ):
                    channels.append("slack")
                if channels:
                    summary.invited.append(f"{label}: {', '.join(channels)}")
                else:
                    summary.skipped.append(label)
    return summary
