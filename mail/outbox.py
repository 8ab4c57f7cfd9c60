"""`EmailOutbox`: the conversation engine's replies as ONE threaded email per turn.

It is handed to `ConversationService` for one inbound email, and runs inside the turn's
transaction: it records the inbound message (exactly-once), queues the answer in the
outbox and, when the turn sent the invoice, the administrator's notification.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from conversations.types import Reply
from mail.compose import AUTO_REPLIED, Envelope, mint_message_id, queue_email, thread_references
from mail.config import MailEnvironment, secret_bytes
from mail.html import render_replies
from mail.tokens import make_token, reply_address
from models.conversation import Conversation
from models.invitation import Invitation, clear_bounces, get_or_create_invitation
from models.outbox import InboundOutcome, OutboxKind, add_inbound
from models.tables import Person, as_utc

log = logging.getLogger(__name__)

# What clients put before a subject they answer or forward, in their languages (`Re:`, `AW:`,
# `RES:`/`ENC:` Portuguese, `R:`/`Rif:` Italian, `Odp:` Polish, `SV:`/`VS:` Nordic, `回复:`
# Chinese, `Re[2]:`), and the tags gateways add (`[EXTERNAL]`, `*EXT*`, `EXTERNAL:`).
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|vb|fw|fwd|wg|tr|rv|res|enc|r|rif|odp|pd|antw|antwort|ynt|réf"
    r"|ref|回复|答复|转发|回覆|轉寄|返信)\s*(?:\[\d+\]|\(\d+\))?\s*\.?\s*[:：]\s*"
    r"|[\[(*]+\s*(?:external|ext|extern|externo|externe|caution|warning|suspicious|spam"
    r"|phish\w*)(?:\s+(?:e-?mail|sender|message|correo))?\s*[\])*]+\s*:?\s*"
    r"|(?:external|caution|warning)(?:\s+(?:e-?mail|sender|message))?\s*:\s*)+",
    re.IGNORECASE,
)


def subject_core(subject: str) -> str:
    """The subject without the `Re:` / `AW:` / `[EXTERNAL]` clients and gateways put first."""
    return _REPLY_PREFIX.sub("", subject or "").strip()


def reply_subject(subject: str) -> str:
    """`Re: <subject>`, without piling up `Re: Re: AW:`."""
    core = subject_core(subject)
    return f"Re: {core}" if core else "Re: your invoice"


@dataclass(frozen=True)
class InboundRecord:
    """The inbound email being answered, as its `InboundMessage` row will record it."""

    external_id: str
    sender: str
    outcome: InboundOutcome = InboundOutcome.processed
    reason: str | None = None

    def add(self, session: Session, conversation_id: int | None, now: datetime) -> None:
        """Record it in the caller's transaction; a duplicate fails here (IntegrityError),
        before anything is queued."""
        add_inbound(
            session,
            channel="email",
            external_id=self.external_id,
            sender=self.sender[:320],
            outcome=self.outcome,
            reason=self.reason[:500] if self.reason else None,
            conversation_id=conversation_id,
            received_at=now,
        )


@dataclass(frozen=True)
class Thread:
    """The email being answered: its Message-ID, References and the thread's subject."""

    message_id: str | None = None
    references: tuple[str, ...] = ()
    subject: str = ""


@dataclass
class EmailOutbox:
    """Implements `conversations.service.Outbox` for one inbound email."""

    settings: MailEnvironment
    thread: Thread = field(default_factory=Thread)
    notes: tuple[str, ...] = ()  # e.g. attachments refused, shown above the replies
    record: InboundRecord | None = None  # written in the turn's transaction
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    queued: list[str] = field(default_factory=list)  # Message-IDs queued by this outbox
    invitation: Invitation | None = None  # the one the inbound email's token named, if known

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        now = self.clock()
        if self.record is not None:
            self.record.add(session, conversation.id if conversation else None, now)
        mail = self.settings.mail
        assert mail.address
        token = None
        if conversation is not None and person.id is not None:
            expires_at = now + timedelta(days=mail.token_days)
            invitation = self.invitation
            # The token's invitation, read by routing, when it is this one and would expire at
            # most a day before a renewal would make it: neither read nor renewed again.
            if (
                invitation is None
                or (invitation.commitment_id, invitation.period_id, invitation.person_id)
                != (conversation.commitment_id, conversation.period_id, person.id)
                or as_utc(invitation.expires_at) < expires_at - timedelta(days=1)
            ):
                invitation, _ = get_or_create_invitation(
                    session,
                    commitment_id=conversation.commitment_id,
                    period_id=conversation.period_id,
                    person_id=person.id,
                    expires_at=expires_at,
                )
            assert invitation.id is not None
            token = make_token(secret_bytes(mail), invitation.id)
            # they wrote from the address an email to them bounced from: it takes mail again
            if (
                self.record is not None
                and self.record.sender == person.email.lower()
                and clear_bounces(session, person_id=person.id, address=person.email)
            ):
                log.info("%s wrote in: their address no longer counts as bounced", person.email)
        text, html = render_replies(replies, self.notes)
        message_id = mint_message_id(mail, token=token)
        envelope = Envelope(
            recipient=person.email,
            recipient_name=person.name,
            subject=reply_subject(self.thread.subject),
            reply_to=reply_address(mail.address, token) if token else None,
            in_reply_to=self.thread.message_id,
            references=thread_references(self.thread.message_id, previous=self.thread.references),
            auto_submitted=AUTO_REPLIED,
        )
        queue_email(
            session,
            envelope=envelope,
            text=text,
            html=html,
            message_id=message_id,
            kind=OutboxKind.reply,
            conversation_id=conversation.id if conversation else None,
            minted=True,
        )
        self.queued.append(message_id)
