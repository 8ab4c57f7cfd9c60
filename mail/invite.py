"""The invitation email: the commitment, the dates, the SOV table and an answer template.

Its Reply-To carries the invitation's signed token (`billing+<token>@domain`), and so does
its Message-ID, so a reply routes back to the invitation whatever the client keeps.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from conversations.context import Context, format_date
from conversations.gather import build_context, find_invoice
from conversations.render import first_name, including, money
from mail.calendar import BillingEvent, billing_calendar
from mail.compose import AUTO_GENERATED, Envelope, FileRef, queue_email
from mail.config import MailSettings, domain, secret_bytes
from mail.html import document, paragraphs, table, text_table
from mail.template import TEMPLATE_MARKER
from mail.tokens import make_token, reply_address
from models.attachments import store_bytes
from models.i18n import ENGLISH, N_, Words, words
from models.invitation import Invitation
from models.ledger import load_ledger
from models.money import format_quantity, format_unit_price
from models.outbox import OutboxKind
from models.tables import BillingPeriod, Commitment, Company, Person, Project, label_of

HOW_TO = N_(
    "How to answer: reply to this email and fill in the template below. For each line write "
    "one of: 45% (total progress to date), +10% (progress this period), 30 units (quantity "
    "this period), $4,500 (value this period), done (100% complete) or skip (nothing this "
    "period). Attach your invoice PDF and any backup to the same reply. Add the word send to "
    "send the invoice for review at once; without it you get a review to check first."
)
GREETING = N_("Hi {name},")
INVITED = N_("{admin} has invited you to bill {commitment}{vendor} on {project} for {period}.")
SOV_HEADER = (
    N_("#"),
    N_("Description"),
    N_("Quantity"),
    N_("Unit price"),
    N_("Scheduled value"),
    N_("Previous"),
    N_("Remaining"),
)


@dataclass(frozen=True)
class InviteEmail:
    subject: str
    text: str
    html: str
    template: str  # the answer template, as the text shows it


def invite_subject(project_name: str, administrator_name: str, _: Words = ENGLISH) -> str:
    """`Harbor Tower: Jane Doe has invited you to bill.` (the subject DESIGN §3 fixes)."""
    return _(
        "{project}: {admin} has invited you to bill.",
        project=project_name,
        admin=administrator_name,
    )


@functools.cache
def _subject_statement() -> Any:
    """The project's name, the administrator's and the invited person's language; built once."""
    admin, invited = aliased(Person), aliased(Person)
    return (
        sa_select(col(Project.name), col(admin.name), col(invited.language))
        .select_from(Commitment)
        .join(Project, col(Project.id) == Commitment.project_id)
        .outerjoin(admin, col(admin.id) == Commitment.administrator_id)
        .outerjoin(invited, col(invited.id) == bindparam("person_id"))
        .where(col(Commitment.id) == bindparam("commitment_id"))
    )


def invitation_subject(session: Session, invitation: Invitation, fallback: str) -> str:
    """The subject of the invite of `invitation` (replies keep it, with `Re: `), in the
    invited person's language."""
    params = {"commitment_id": invitation.commitment_id, "person_id": invitation.person_id}
    found = session.execute(_subject_statement(), params).first()
    project_name, admin_name, language = found if found else ("Billing", None, None)
    return invite_subject(project_name, admin_name or fallback, words(language))


def sov_rows(ctx: Context) -> list[list[str]]:
    rows = []
    for terms in ctx.lines:
        history = ctx.history(terms.number)
        unit = terms.is_unit
        qty = (
            f"{format_quantity(terms.quantity or Decimal(0))} {terms.uom or ''}".strip()
            if unit
            else ""
        )
        rows.append(
            [
                terms.number,
                terms.description + including(terms.change_orders),
                qty,
                format_unit_price(terms.unit_price)
                if unit and terms.unit_price is not None
                else "",
                money(terms.value),
                money(history.previous_value),
                money(terms.value - history.previous_value),
            ]
        )
    return rows


def answer_template(ctx: Context) -> str:
    """The invoice number and a blank row per line. No `send` row: the instructions say to
    add the word to send at once, and a template copied above the quote must not send what
    the contact has not checked (without it they get a review to check first)."""
    _ = ctx.words
    number = ctx.invoice.number if ctx.invoice else ctx.suggested_number or "INV-0001"
    label = _("Invoice number")
    return "\n".join([f"{label}: {number}"] + [f"{terms.number}: " for terms in ctx.lines])


def compose_invite(
    session: Session, invitation: Invitation, *, now: datetime, sender: str, lead: str = ""
) -> InviteEmail:
    """The subject, text and HTML of the invite of `invitation`; `lead` (a reminder's first
    paragraph) goes between the greeting and the invitation."""
    person = session.get(Person, invitation.person_id)
    commitment = session.get(Commitment, invitation.commitment_id)
    period = session.get(BillingPeriod, invitation.period_id)
    assert person is not None and commitment is not None and period is not None
    vendor = session.get(Company, commitment.vendor_id)
    ledger = load_ledger(session, commitment=commitment, period=period)
    invoice = find_invoice(
        session, commitment_id=invitation.commitment_id, period_id=period.id or 0
    )
    ctx = build_context(session, person=person, ledger=ledger, invoice=invoice, now=now)
    assert ctx.commitment is not None and ctx.period is not None
    _ = ctx.words
    admin = ctx.commitment.administrator_name or sender
    subject = invite_subject(ctx.commitment.project_name, admin, _)
    greeting = _(GREETING, name=first_name(person.name, _))
    invited = _(
        INVITED,
        admin=admin,
        commitment=label_of(commitment),
        vendor=" (" + vendor.name + ")" if vendor else "",
        project=ctx.commitment.project_name,
        period=ctx.period.label_in(_.language),
    )
    invited += "\n" + _(
        "Billing date: {billing_date}. Due date: {due_date}.",
        billing_date=format_date(period.billing_date, _.language),
        due_date=format_date(period.due_date, _.language),
    )
    intro = "\n\n".join(part for part in (greeting, lead, invited) if part)
    rows = sov_rows(ctx)
    template = answer_template(ctx)
    header = [_(heading) for heading in SOV_HEADER]
    sov_text = text_table([header, *rows], {0, 1})
    schedule, how_to, marker = _("Schedule of values"), _(HOW_TO), _(TEMPLATE_MARKER)
    text = "\n\n".join([intro, f"{schedule}:", sov_text, how_to, marker, template])
    template_html = escape(template)
    html = document(
        paragraphs(intro)
        + f"<p><b>{escape(schedule)}</b></p>"
        + table(header, rows, {2, 3, 4, 5, 6})
        + paragraphs(how_to)
        + f'<pre style="background:#f6f6f6;padding:8px;">{template_html}</pre>'
    )
    return InviteEmail(subject=subject, text=text + "\n", html=html, template=template)


CALENDAR_FILENAME = "billing-date.ics"


def invite_calendar(
    session: Session, invitation: Invitation, *, settings: MailSettings, now: datetime
) -> bytes:
    """The invite's `.ics`: an all-day event on the billing date, with a reminder the day before."""
    assert invitation.id is not None and settings.address
    commitment = session.get(Commitment, invitation.commitment_id)
    period = session.get(BillingPeriod, invitation.period_id)
    assert commitment is not None and period is not None
    project = session.get(Project, commitment.project_id)
    project_name = project.name if project else "Billing"
    token = make_token(secret_bytes(settings), invitation.id)
    description = (
        f"Billing date for {commitment.number} {commitment.title} on {project_name}; "
        f"invoices are due by {format_date(period.due_date)}.\n"
        f"To bill, reply to the invitation email (or write to "
        f"{reply_address(settings.address, token)}) with your progress per line."
    )
    return billing_calendar(
        BillingEvent(
            uid=f"invitation-{invitation.id}@{domain(settings)}",
            day=period.billing_date,
            summary=f"Bill {commitment.number} {commitment.title} ({project_name})",
            description=description,
            stamp=now,
        )
    )


def queue_invite_email(
    session: Session,
    *,
    invitation: Invitation,
    settings: MailSettings,
    now: datetime,
    attachments_dir: Path | None = None,
) -> int | None:
    """Queue the invite of `invitation` (kind "invite"); the invitation keeps its Message-ID.

    With `attachments_dir`, the invite carries the billing date as a calendar entry.
    """
    assert invitation.id is not None and settings.address
    person = session.get(Person, invitation.person_id)
    assert person is not None
    token = make_token(secret_bytes(settings), invitation.id)
    content = compose_invite(session, invitation, now=now, sender=settings.display_name)
    files: tuple[FileRef, ...] = ()
    if attachments_dir is not None:
        ics = invite_calendar(session, invitation, settings=settings, now=now)
        digest, _ = store_bytes(attachments_dir, ics)
        files = (FileRef(CALENDAR_FILENAME, "text/calendar", digest),)
    tag = "invite" if invitation.email_message_id is None else f"invite-{secrets.token_hex(4)}"
    message_id = f"<{token}.{tag}@{domain(settings)}>"
    envelope = Envelope(
        recipient=person.email,
        recipient_name=person.name,
        subject=content.subject,
        reply_to=reply_address(settings.address, token),
        references=(message_id,),
        auto_submitted=AUTO_GENERATED,
        attachments=files,
        answer_template=content.template,
    )
    row = queue_email(
        session,
        envelope=envelope,
        text=content.text,
        html=content.html,
        message_id=message_id,
        kind=OutboxKind.invite,
    )
    invitation.email_message_id = message_id
    session.add(invitation)
    return row
