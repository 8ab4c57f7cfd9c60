"""The Slack invite: a DM with the commitment, dates, SOV summary and a Start invoice button.

`queue_slack_invite` writes it to the outbox; the sender resolves a contact without a
Slack user id by email and stores the message ts on the invitation (the DM thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from conversations.context import format_date
from conversations.gather import period_info
from conversations.render import including, money
from models.i18n import ENGLISH, Words, words
from models.invitation import Invitation
from models.ledger import load_ledger
from models.money import ZERO, format_money
from models.tables import BillingPeriod, Commitment, Person, Project

from .blocks import Block, SlackMessage, button, button_value, code_sections, header, section
from .home import START
from .outbox import queue_message
from .text import cut, escape

if TYPE_CHECKING:
    from bot.settings import Settings

MAX_TABLE_LINES = 40


def queue_slack_invite(
    session: Session, *, invitation: Invitation, settings: Settings
) -> int | None:
    """Queue the invite DM for `invitation`; None when Slack is not configured or the
    contact has neither a Slack user id nor an email address."""
    person = session.get(Person, invitation.person_id)
    commitment = session.get(Commitment, invitation.commitment_id)
    period = session.get(BillingPeriod, invitation.period_id)
    if not settings.slack.configured or person is None or commitment is None or period is None:
        return None
    if not (person.slack_user_id or person.email):
        return None
    message = invite_message(
        session, commitment=commitment, period=period, _=words(person.language)
    )
    return queue_message(
        session,
        person=person,
        message=message,
        kind="invite",
        extra={"invitation_id": invitation.id},
    )


def invite_message(
    session: Session, *, commitment: Commitment, period: BillingPeriod, _: Words = ENGLISH
) -> SlackMessage:
    project = session.get(Project, commitment.project_id)
    admin = (
        session.get(Person, commitment.administrator_id) if commitment.administrator_id else None
    )
    ledger = load_ledger(session, commitment=commitment, period=period)
    info = period_info(period)
    project_name = project.name if project else ""
    inviter = admin.name if admin else _("Your general contractor")
    title = _("{project}: {admin} has invited you to bill.", project=project_name, admin=inviter)
    label = f"{commitment.number} {commitment.title}".strip()
    terms = [ledger.terms[line.number] for line in ledger.lines]
    histories = [ledger.histories[line.number] for line in ledger.lines]
    contract = sum((t.value for t in terms), ZERO)
    before = sum((h.previous_value for h in histories), ZERO)
    text = _(
        "*{commitment}* on {project}\nBilling period: *{period}* · billing date {billing_date} · "
        "due *{due_date}*\n{count} schedule-of-values lines · contract {contract} · billed "
        "before {before}",
        commitment=escape(label),
        project=escape(project_name),
        period=info.label_in(_.language),
        billing_date=format_date(info.billing_date, _.language),
        due_date=format_date(info.due_date, _.language),
        count=len(terms),
        contract=money(contract),
        before=money(before),
    )
    rows = [
        f"{t.number:>4}  {cut(t.description + including(t.change_orders), 24):<24}  "
        f"{format_money(t.value):>14}  "
        f"{(h.previous_value / t.value * 100 if t.value else ZERO):6.2f}%"
        for t, h in zip(terms[:MAX_TABLE_LINES], histories, strict=False)
    ]
    if len(terms) > MAX_TABLE_LINES:
        rows.append(_("… and {count} more lines", count=len(terms) - MAX_TABLE_LINES))
    description, scheduled, billed = _("Description"), _("Scheduled"), _("Billed")
    head = [f"{'#':>4}  {description:<24}  {scheduled:>14}  {billed:>7}"]
    blocks: list[Block] = [header(title), section(text)]
    blocks += code_sections(rows, head=head)
    key = (commitment.id or 0, period.id or 0)
    blocks.append(
        {
            "type": "actions",
            "elements": [button(_("Start invoice"), START, button_value("start", key), "primary")],
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _(
                        "Press *Start invoice*, or just type your answers here, e.g. "
                        "`INV-0042` then `1: 50%`. Type `help` any time."
                    ),
                }
            ],
        }
    )
    fallback = _(
        "{title} {commitment}, {period} (due {due_date}).",
        title=title,
        commitment=label,
        period=info.label_in(_.language),
        due_date=format_date(info.due_date, _.language),
    )
    return SlackMessage(fallback, blocks)
