"""The administrator's review by email: the reply address of the "sent for review" email,
the answer to a reviewer, and the contact's thread where they hear of the review.

An administrator's reply goes to `billing+br<invoice>g<person><signature>@...`, so it finds
its invoice and reviewer whatever the client does with the subject; the review itself runs
in `conversations.review_service`, and the answer comes back in the same thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from conversations.types import Reply
from mail.compose import AUTO_REPLIED, Envelope, mint_message_id, queue_email, thread_references
from mail.config import MailEnvironment, secret_bytes
from mail.html import render_replies
from mail.invite import invitation_subject
from mail.outbox import EmailOutbox, InboundRecord, Thread, reply_subject
from mail.tokens import make_review_token, reply_address
from models.conversation import Conversation
from models.i18n import words
from models.invitation import find_invitation
from models.outbox import OutboxKind
from models.tables import Invoice, Person


def review_address(env: MailEnvironment, invoice_id: int, person_id: int) -> str:
    """Where `person` answers the review of invoice `invoice_id`."""
    assert env.mail.address
    token = make_review_token(secret_bytes(env.mail), invoice_id, person_id)
    return reply_address(env.mail.address, token)


def review_token(env: MailEnvironment, invoice_id: int, person_id: int) -> str:
    return make_review_token(secret_bytes(env.mail), invoice_id, person_id)


@dataclass
class ReviewerOutbox:
    """The answer to an administrator's review email, in its thread, answerable again."""

    env: MailEnvironment
    invoice_id: int
    thread: Thread
    record: InboundRecord | None = None
    clock_now: datetime | None = None

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        now = self.clock_now or datetime.now(UTC)
        if self.record is not None:
            self.record.add(session, None, now)
        assert person.id is not None
        token = review_token(self.env, self.invoice_id, person.id)
        text, html = render_replies(replies)
        envelope = Envelope(
            recipient=person.email,
            recipient_name=person.name,
            subject=reply_subject(self.thread.subject),
            reply_to=review_address(self.env, self.invoice_id, person.id),
            in_reply_to=self.thread.message_id,
            references=thread_references(self.thread.message_id, previous=self.thread.references),
            auto_submitted=AUTO_REPLIED,
        )
        queue_email(
            session,
            envelope=envelope,
            text=text,
            html=html,
            message_id=mint_message_id(self.env.mail, token=token),
            kind=OutboxKind.review,
        )


def contact_email_outbox(
    session: Session, env: MailEnvironment, invoice: Invoice, person: Person
) -> EmailOutbox | None:
    """The contact's own email thread of `invoice` (their invitation's), where they hear of
    its review; None when they have no address or the mailbox is not set up."""
    if not env.mail.configured or not person.email or person.id is None:
        return None
    invitation = find_invitation(
        session,
        commitment_id=invoice.commitment_id,
        period_id=invoice.period_id,
        person_id=person.id,
    )
    message_id = invitation.email_message_id if invitation else None
    subject = (
        invitation_subject(session, invitation, env.mail.display_name)
        if invitation
        else words(person.language)("Invoice {number}", number=invoice.number)
    )
    thread = Thread(message_id, (message_id,) if message_id else (), subject)
    return EmailOutbox(env, thread=thread)
