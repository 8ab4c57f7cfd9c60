"""Which invoice an inbound email is about, and whether its sender may touch it.

Order: a token in the recipient addresses (`billing+<token>@...`), else a token in
In-Reply-To/References (clients that drop the plus-tag keep our Message-IDs), else the
sender's address. A tampered, unknown or expired token, a sender who is not an invoice
contact of the commitment, or a locked invoice gives a `Refusal`: nothing changes, and the
files the message carried are named as not kept.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from conversations.gather import (
    candidates,
    find_invoice,
    is_contact,
    open_elsewhere,
    period_info,
)
from conversations.language import written_in
from conversations.render import STATUS_WORDS
from mail.config import MailSettings, secret_bytes
from mail.inbound import InboundMail
from mail.invite import invite_subject
from mail.outbox import subject_core
from mail.tokens import ReviewToken, TokenError, find_tokens, read_any_token
from models.i18n import ENGLISH, LANGUAGES, N_, Words, words
from models.invitation import Invitation
from models.people import person_by_email
from models.review import may_review
from models.tables import (
    EDITABLE_STATUSES,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Invoice,
    InvoiceStatus,
    Person,
    Project,
    as_utc,
    label_of,
)


@dataclass(frozen=True)
class Route:
    person: Person
    commitment_id: int | None = None
    period_id: int | None = None
    subject: str = ""  # the thread's subject (the invite's, when known)
    via: str = "sender"  # address | references | sender
    invitation: Invitation | None = None  # the token's, when it is the person's own


@dataclass(frozen=True)
class ReviewRoute:
    """An administrator's answer to the review of one invoice."""

    reviewer: Person
    invoice_id: int
    subject: str = ""
    via: str = "address"


@dataclass(frozen=True)
class Refusal:
    reason: str  # recorded on the inbound message
    text: str  # the polite answer
    locked_invoice: int | None = None  # the invoice the sender may no longer change
    always: bool = False  # answered every time (files were sent), not once a day


# What a refusal adds when the message carried files, and a turn when it kept none of them.
NOT_KEPT = N_("These files were not kept: {files}.")
# Refusals that name the files themselves.
_NAMING_FILES = frozenset({"files-which-invoice"})


def ours(address: str, settings: MailSettings) -> bool:
    local, _, host = (settings.address or "").lower().partition("@")
    got_local, _, got_host = address.lower().partition("@")
    return got_host == host and got_local.startswith(f"{local}+")


def stranger_text(address: str, _: Words = ENGLISH) -> str:
    return _(
        "Hello,\n\nthis address answers only the invoice contacts invited to bill, and "
        "{address} is not one of them for this invoice. Your message was not processed and "
        "nothing was changed.\n\nIf you should be billing here, please ask the project's "
        "invoice administrator to add you as an invoice contact.",
        address=address or _("your address"),
    )


def bad_token_text(_: Words = ENGLISH) -> str:
    return _(
        "Hello,\n\nthe reply address of your message is not valid (it may have been changed). "
        "Your message was not processed and nothing was changed.\n\nPlease answer the "
        "original invitation email, or ask the project's invoice administrator to invite you "
        "again."
    )


def expired_text(_: Words = ENGLISH) -> str:
    return _(
        "Hello,\n\nthis invitation to bill has expired. Your message was not processed and "
        "nothing was changed.\n\nPlease ask the project's invoice administrator for a new "
        "invitation."
    )


def sender_person(session: Session, address: str) -> Person | None:
    """The person who wrote from `address`: the one with that address, else, for a tagged
    address (`sam+billing@acme.test`, RFC 5233 subaddressing), the person with the address
    without its tag, on the same domain. The usual providers (Gmail, Microsoft 365, Fastmail,
    Postfix's `recipient_delimiter`) deliver a tagged address to the untagged mailbox, so it
    is its owner's; and a turn is answered at the person's own address, never the tagged one,
    so a stranger who made up a tag gets nothing back."""
    if not address:
        return None
    person = person_by_email(session, address)
    local, at, domain = address.rpartition("@")
    if person is None and at and "+" in local and not local.startswith("+"):
        person = person_by_email(session, f"{local.partition('+')[0]}@{domain}")
    return person


def speaker(session: Session, mail: InboundMail) -> Words:
    """The words to answer `mail` with: its sender's language if we know them, else the
    language the message is written in."""
    person = sender_person(session, mail.sender)
    if person is not None and person.language:
        return words(person.language)
    return words(written_in(f"{mail.subject}\n{mail.text}"))


def route_mail(
    session: Session, mail: InboundMail, *, settings: MailSettings, now: datetime
) -> Route | ReviewRoute | Refusal:
    """Where `mail` goes, or why it is refused (naming the files it carried, as not kept)."""
    route = _route(session, mail, settings=settings, now=now)
    if (
        isinstance(route, Refusal)
        and route.locked_invoice is None
        and route.reason not in _NAMING_FILES
        and mail.files
    ):
        _ = speaker(session, mail)
        named = _(NOT_KEPT, files=", ".join(item.filename for item in mail.files))
        # In one of our threads, answered every time (one file each day is not lost in
        # silence); a stranger's, once a day as ever.
        threaded = route.reason not in ("stranger",)
        route = replace(route, text=f"{route.text}\n\n{named}", always=route.always or threaded)
    return route


def _route(
    session: Session, mail: InboundMail, *, settings: MailSettings, now: datetime
) -> Route | ReviewRoute | Refusal:
    addressed = [t for r in mail.recipients if ours(r, settings) for t in find_tokens(r)]
    if addressed:
        return _by_token(session, mail, addressed[0], settings=settings, now=now, via="address")
    secret = secret_bytes(settings)
    for ref in (mail.in_reply_to, *reversed(mail.references)):
        for token in find_tokens(ref or ""):
            try:
                read_any_token(secret, token)
            except TokenError:
                continue  # someone else's Message-ID that happens to look like a token
            return _by_token(session, mail, token, settings=settings, now=now, via="references")
    return _by_sender(session, mail, now=now)


def _by_token(
    session: Session,
    mail: InboundMail,
    token: str,
    *,
    settings: MailSettings,
    now: datetime,
    via: str,
) -> Route | ReviewRoute | Refusal:
    try:
        found = read_any_token(secret_bytes(settings), token)
    except TokenError:
        return Refusal("bad-token", bad_token_text(speaker(session, mail)))
    if isinstance(found, ReviewToken):
        return _by_review_token(session, mail, found, via=via)
    read = session.execute(_invitation_statement(), {"invitation_id": found.invitation_id})
    row = read.first()
    if row is None:
        return Refusal("unknown-invitation", bad_token_text(speaker(session, mail)))
    invitation, invited, status, project_name, admin_name = row
    if as_utc(invitation.expires_at) < now:
        return Refusal("expired-invitation", expired_text(speaker(session, mail)))
    person = invited if invited.email.lower() == mail.sender else None
    if person is None:
        other = sender_person(session, mail.sender)
        if (
            other is not None
            and other.id is not None
            and is_contact(session, person_id=other.id, commitment_id=invitation.commitment_id)
        ):
            person = other
    if person is None:
        if other is not None and _administers(session, other, invitation):
            text = administrator_text(session, invitation, invited, words(other.language))
            return Refusal("administrator-in-contact-thread", text)
        return Refusal("not-the-contact", stranger_text(mail.sender, speaker(session, mail)))
    if status is not None and status not in EDITABLE_STATUSES:
        locked = _locked(session, invitation, now=now)
        if locked is not None:
            return locked
    # The invite's subject (`mail.invite.invitation_subject`): in the language the thread has
    # it (the person's may have changed since the invite, and a new subject splits the thread
    # in Gmail), else in the invited person's language.
    admin = admin_name or settings.display_name
    subjects = {invite_subject(project_name, admin, words(language)) for language in LANGUAGES}
    subject = subject_core(mail.subject)
    if subject not in subjects:
        subject = invite_subject(project_name, admin, words(invited.language))
    own = invitation if person.id == invitation.person_id else None
    return Route(person, invitation.commitment_id, invitation.period_id, subject, via, own)


@functools.cache
def _invitation_statement() -> Any:
    """An invitation token's route in one statement, built once: the invitation, the invited
    person, the status of the period's invoice (None: none yet), the project's name and the
    administrator's (for the invite's subject)."""
    invited, admin = aliased(Person), aliased(Person)
    return (
        sa_select(Invitation, invited, col(Invoice.status), col(Project.name), col(admin.name))
        .join(invited, col(invited.id) == Invitation.person_id)
        .join(Commitment, col(Commitment.id) == Invitation.commitment_id)
        .join(Project, col(Project.id) == Commitment.project_id)
        .outerjoin(admin, col(admin.id) == Commitment.administrator_id)
        .outerjoin(
            Invoice,
            and_(
                col(Invoice.commitment_id) == Invitation.commitment_id,
                col(Invoice.period_id) == Invitation.period_id,
            ),
        )
        .where(col(Invitation.id) == bindparam("invitation_id"))
    )


def _by_review_token(
    session: Session, mail: InboundMail, token: ReviewToken, *, via: str
) -> ReviewRoute | Refusal:
    """The administrator's answer: from the person the token names, or from another person
    who may review the invoice (an assistant answering from their own address)."""
    invoice = session.get(Invoice, token.invoice_id)
    commitment = session.get(Commitment, invoice.commitment_id) if invoice else None
    if invoice is None or commitment is None:
        return Refusal("unknown-invoice", bad_token_text(speaker(session, mail)))
    named = session.get(Person, token.person_id)
    reviewer = named if named and named.email.lower() == mail.sender else None
    if reviewer is None and mail.sender:
        other = sender_person(session, mail.sender)
        reviewer = other if other is not None and may_review(session, other, commitment) else None
    if reviewer is None:
        _ = speaker(session, mail)
        return Refusal("not-a-reviewer", not_a_reviewer_text(mail.sender, commitment, _))
    project = session.get(Project, commitment.project_id)
    subject = (
        f"{project.name if project else 'Billing'}: {commitment.number} {commitment.title} "
        f"invoice {invoice.number} was sent for review"
    )
    return ReviewRoute(reviewer, token.invoice_id, subject, via)


def not_a_reviewer_text(address: str, commitment: Commitment, _: Words = ENGLISH) -> str:
    return _(
        "Hello,\n\nonly the invoice administrators of {commitment} can review its invoices, and "
        "{address} is not one of them. Your message was not processed and nothing was changed.",
        commitment=label_of(commitment),
        address=address or _("your address"),
    )


def _administers(session: Session, person: Person, invitation: Invitation) -> bool:
    commitment = session.get(Commitment, invitation.commitment_id)
    return commitment is not None and may_review(session, person, commitment)


def administrator_text(
    session: Session, invitation: Invitation, contact: Person, _: Words = ENGLISH
) -> str:
    """The answer to an administrator who copied billbot on a message to the contact (a
    reply-all in the contact's thread): it is the contact's, and how to review."""
    commitment = session.get(Commitment, invitation.commitment_id)
    invoice = find_invoice(
        session, commitment_id=invitation.commitment_id, period_id=invitation.period_id
    )
    number = commitment.number if commitment else ""
    command = f"billbot review {number}/{invoice.number if invoice else 'INVOICE'}"
    return _(
        "Hello,\n\nthis thread is where {contact} bills {commitment}, and only the invoice "
        "contacts answer in it, so your message changed nothing here; {contact} has it only if "
        "you wrote to them too.\n\nTo review the invoice once it is sent, reply to the email "
        "that tells you it was sent for review, or use `{command}` on the command line.",
        contact=contact.name,
        commitment=label_of(commitment),
        command=command,
    )


def _locked(session: Session, invitation: Invitation, *, now: datetime) -> Refusal | None:
    """The refusal of a message in the thread of an invoice that is locked; when another
    period of the same commitment is open to bill (an earlier month's invite answered, as its
    subject is the same every month), it says where to bill that one."""
    invoice = find_invoice(
        session, commitment_id=invitation.commitment_id, period_id=invitation.period_id
    )
    if invoice is None or invoice.status in EDITABLE_STATUSES:
        return None
    person = session.get(Person, invitation.person_id)
    refusal = _locked_refusal(session, invoice, person)
    if person is None or person.id is None:
        return refusal
    elsewhere = open_elsewhere(
        session,
        person_id=person.id,
        commitment_id=invitation.commitment_id,
        period_id=invitation.period_id,
        now=now,
    )
    period = session.get(BillingPeriod, elsewhere[0].period_id) if elsewhere else None
    if period is None:
        return refusal
    _ = words(person.language)
    pointer = _(
        "{period} is open for billing: to bill it, reply to the email that invited you to "
        "bill {period}.",
        period=period_info(period).label_in(_.language),
    )
    return replace(refusal, text=f"{refusal.text}\n\n{pointer}")


def _locked_refusal(session: Session, invoice: Invoice, person: Person | None) -> Refusal:
    commitment = session.get(Commitment, invoice.commitment_id)
    admin_id = commitment.administrator_id if commitment else None
    admin = session.get(Person, admin_id) if admin_id else None
    _ = words(person.language if person else None)
    return Refusal(
        "invoice-locked",
        locked_invoice=invoice.id,
        text=_(
            "Hello,\n\ninvoice {number} for {commitment} is {status} and locked, so your "
            "message changed nothing.\n\nIf it needs a change, please ask {admin} to return it "
            "for revision.",
            number=invoice.number,
            commitment=label_of(commitment),
            status=_(STATUS_WORDS.get(InvoiceStatus(invoice.status), N_("sent"))),
            admin=admin.name if admin else _("the invoice administrator"),
        ),
    )


def _by_sender(session: Session, mail: InboundMail, *, now: datetime) -> Route | Refusal:
    person = sender_person(session, mail.sender)
    if person is None or person.id is None:
        return Refusal("stranger", stranger_text(mail.sender, speaker(session, mail)))
    options = candidates(session, person_id=person.id, now=now)
    if not options and mail.files:
        under_review = _under_review(session, person.id)
        if len(under_review) == 1:  # the one invoice these files may be for
            return _locked_refusal(session, under_review[0], person)
        if under_review:  # which one? never guessed, never dropped in silence
            return _which_invoice(session, under_review, person, mail)
        decided = _last_decided(session, person.id, now=now)
        if len(decided) == 1:  # the invoice just approved: each file named as not added
            return _locked_refusal(session, decided[0], person)
        # else the engine says nothing is open, and the intake names the files not kept
    if len(options) == 1:
        return Route(person, options[0].commitment_id, options[0].period_id, mail.subject)
    return Route(person, subject=mail.subject)  # the engine picks the open one or asks


def _which_invoice(
    session: Session, invoices: list[Invoice], person: Person, mail: InboundMail
) -> Refusal:
    """Files in a new message from a contact with several invoices under review."""
    _ = words(person.language)
    named = []
    for invoice in invoices:
        commitment = session.get(Commitment, invoice.commitment_id)
        named.append(f"{invoice.number} ({label_of(commitment)})" if commitment else invoice.number)
    text = _(
        "Hello,\n\nI couldn't tell which invoice these files are for, so they were not "
        "added: {files}.\n\nInvoices {invoices} are under review. Please send the files "
        "again as a reply to the email that confirmed the invoice they belong to.",
        files=", ".join(item.filename for item in mail.files),
        invoices=", ".join(named),
    )
    return Refusal("files-which-invoice", text, always=True)


def _under_review(session: Session, person_id: int) -> list[Invoice]:
    """The invoices under review of the commitments `person` bills."""
    statement = (
        select(Invoice)
        .join(CommitmentContact, col(CommitmentContact.commitment_id) == Invoice.commitment_id)
        .where(
            col(CommitmentContact.person_id) == person_id,
            col(Invoice.status) == InvoiceStatus.under_review,
        )
    )
    return list(session.exec(statement))


def _last_decided(session: Session, person_id: int, *, now: datetime) -> list[Invoice]:
    """The invoices of the latest period begun of each commitment `person` bills, that are
    decided: approved, approved as noted, with the owner (one under review is found first, by
    `_under_review`; a period begun with no invoice has none to name)."""
    statement = (
        select(Commitment.id, BillingPeriod.id)
        .join(CommitmentContact, col(CommitmentContact.commitment_id) == Commitment.id)
        .join(BillingPeriod, col(BillingPeriod.project_id) == Commitment.project_id)
        .where(
            col(CommitmentContact.person_id) == person_id,
            col(BillingPeriod.start) <= now.date(),
        )
        .order_by(col(BillingPeriod.start).desc(), col(BillingPeriod.id).desc())
    )
    latest: dict[int, int] = {}
    for commitment_id, period_id in session.exec(statement):
        if commitment_id is not None and period_id is not None:
            latest.setdefault(commitment_id, period_id)
    found = []
    for commitment_id, period_id in latest.items():
        invoice = find_invoice(session, commitment_id=commitment_id, period_id=period_id)
        if (
            invoice is not None
            and invoice.status not in EDITABLE_STATUSES
            and invoice.status != InvoiceStatus.under_review
        ):
            found.append(invoice)
    return found
