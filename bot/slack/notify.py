"""The invoice administrator's Slack DM when an invoice is sent for review (when they have a
Slack user id): who sent it, what changed since their review on a resubmission, the lines and
the G702 totals, and the **Approve**, **Approve as noted** and **Return for revision**
buttons (`bot.slack.review`). Idempotent per invoice and sending.

Once the invoice is reviewed (here or on another channel) the DM is rewritten without its
buttons, with the outcome at the bottom (`decided_message`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from conversations.context import format_date
from conversations.gather import local_today, period_info
from conversations.render import money
from models.i18n import ENGLISH, Words, words
from models.ledger import invoice_figures
from models.outbox import OutboundMessage
from models.review import REVIEWED, changes_since_review, last_event, status_words, times_sent
from models.tables import (
    BillingPeriod,
    Commitment,
    Invoice,
    InvoiceStatus,
    Person,
    Project,
    as_utc,
    label_of,
)

from .blocks import Block, SlackMessage, button, lines_table, section, split, totals_fields
from .outbox import queue_message
from .review_modal import ReviewRef
from .text import cut, escape

if TYPE_CHECKING:
    from bot.settings import Settings

APPROVE, NOTED, RETURN = "review:approve", "review:noted", "review:return"


def marker(invoice_id: int, stamp: int) -> str:
    """The Message-ID of the DM's last message (the one with the buttons)."""
    return f"<slack-sent-{invoice_id}-{stamp}@billbot>"


def queue_slack_sent_notification(
    session: Session, *, invoice: Invoice, settings: Settings
) -> int | None:
    """Queue the review DM about the sent `invoice` to its commitment's administrator; None
    when Slack is off, the administrator has no Slack user id, or it was queued already."""
    commitment = session.get(Commitment, invoice.commitment_id)
    admin = (
        session.get(Person, commitment.administrator_id)
        if commitment and commitment.administrator_id
        else None
    )
    if (
        not settings.slack.configured
        or commitment is None
        or admin is None
        or admin.id is None
        or not admin.slack_user_id
        or invoice.id is None
    ):
        return None
    stamp = times_sent(session, invoice)
    last_id = marker(invoice.id, stamp)
    if session.exec(
        select(OutboundMessage).where(col(OutboundMessage.message_id) == last_id)
    ).first():
        return None
    project = session.get(Project, commitment.project_id)
    period = session.get(BillingPeriod, invoice.period_id)
    assert project is not None and period is not None
    sender = session.get(Person, invoice.sent_by_id) if invoice.sent_by_id else None
    _ = words(admin.language)
    figures = invoice_figures(session, invoice)
    changes = changes_since_review(session, invoice, _)
    values = {
        "who": sender.name if sender else _("A contact"),
        "number": invoice.number,
        "commitment": label_of(commitment),
        "project": project.name,
        "period": period_info(period).label,
        "amount": money(figures.summary.current_payment_due),
    }
    if changes:
        text = _(
            "{who} sent invoice {number} for {commitment} on {project}, {period} again: current "
            "payment due {amount}.",
            **values,
        )
    else:
        text = _(
            "{who} sent invoice {number} for {commitment} on {project}, {period}: current "
            "payment due {amount}.",
            **values,
        )
    if invoice.sent_at:
        sent = format_date(invoice.sent_at.date())
        text += " " + _("Sent {date}; it is now under review.", date=sent)
    blocks: list[Block] = [section(escape(text))]
    if changes:
        listed = "\n".join(f"• {escape(change)}" for change in changes)
        heading = escape(_("What changed since your review:"))
        blocks.append(section(cut(f"*{heading}*\n{listed}", 3000)))
    blocks += lines_table(figures.lines, _)
    blocks.append(totals_fields(figures.summary, _))
    ref = ReviewRef(invoice.id, stamp, admin.id)
    actions = [review_buttons(ref, invoice, summary=text, _=_)]
    messages = split(blocks, actions, notification=text)
    ids = [
        queue_message(
            session,
            person=admin,
            message=message,
            kind="notification",
            message_id=last_id if n == len(messages) - 1 else None,  # the last says "once"
        )
        for n, message in enumerate(messages)
    ]
    return ids[-1]


def review_buttons(ref: ReviewRef, invoice: Invoice, *, summary: str, _: Words = ENGLISH) -> Block:
    approve = button(_("Approve"), APPROVE, ref.value(), "primary")
    title = _("Approve {number}?", number=cut(invoice.number, 80))
    approve["confirm"] = {
        "title": {"type": "plain_text", "text": cut(title, 100)},
        "text": {"type": "mrkdwn", "text": cut(escape(summary), 300)},
        "confirm": {"type": "plain_text", "text": _("Approve")},
        "deny": {"type": "plain_text", "text": _("Not yet")},
    }
    return {
        "type": "actions",
        "block_id": "review",
        "elements": [
            approve,
            button(_("Approve as noted"), NOTED, ref.value()),
            button(_("Return for revision"), RETURN, ref.value(), "danger"),
        ],
    }


def decided_message(session: Session, ref: ReviewRef) -> SlackMessage | None:
    """The review DM as it stands once decided: its blocks without the buttons, and what
    happened; None when the invoice still waits for this sending's review."""
    invoice = session.get(Invoice, ref.invoice_id)
    row = session.exec(
        select(OutboundMessage).where(
            col(OutboundMessage.message_id) == marker(ref.invoice_id, ref.stamp)
        )
    ).first()
    if invoice is None or row is None:
        return None
    admin = session.get(Person, ref.admin_id) if ref.admin_id else None
    outcome = outcome_text(session, invoice, ref, words(admin.language if admin else None))
    if outcome is None:
        return None
    data = json.loads(row.payload or "{}")
    kept = [block for block in data.get("blocks") or [] if block.get("type") != "actions"]
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(escape(outcome), 3000)}]}
    return SlackMessage(str(data.get("text") or row.body_text), [*kept, note])


def outcome_text(
    session: Session, invoice: Invoice, ref: ReviewRef, _: Words = ENGLISH
) -> str | None:
    """`Approved by Jane Doe on Nov 20, 2026 (slack). Amount certified: $10,935.00.`; or
    that a newer sending replaced this one; None while this sending waits for review. The
    note of a return is the history's, as it was recorded."""
    status = InvoiceStatus(invoice.status)
    newer = times_sent(session, invoice) != ref.stamp
    if status == InvoiceStatus.under_review and not newer:
        return None
    if newer and status not in REVIEWED:
        return _("Sent again since: review it from the newer message.")
    event = last_event(session, invoice)
    who = session.get(Person, event.by_person_id) if event and event.by_person_id else None
    commitment = session.get(Commitment, invoice.commitment_id)
    project = session.get(Project, commitment.project_id) if commitment else None
    text = status_words(status, _).capitalize()
    if who is not None and event is not None:
        day = local_today(as_utc(event.at), project.timezone if project else None)
        values = {"status": text, "name": who.name, "date": format_date(day)}
        if event.channel:
            text = _("{status} by {name} on {date} ({channel})", channel=event.channel, **values)
        else:
            text = _("{status} by {name} on {date}", **values)
    if status == InvoiceStatus.revise_and_resubmit and event and event.note:
        return f"{text}: {event.note}."
    if status in (InvoiceStatus.approved, InvoiceStatus.approved_as_noted):
        certified = invoice_figures(session, invoice).summary.current_payment_due
        return f"{text}. " + _("Amount certified: {value}.", value=money(certified))
    return f"{text}."
