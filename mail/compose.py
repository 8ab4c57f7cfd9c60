"""Outbound email: minting Message-IDs, queuing rows in the outbox, building the MIME message.

A row of `OutboundMessage` holds everything needed to (re)build the same email at every
attempt: the body parts, and in `payload` the threading headers, Reply-To,
`Auto-Submitted` and the attachments (by sha256, read from the attachments dir).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from sqlmodel import Session

from mail.config import MailSettings, domain
from mail.errors import ComposeError
from models.attachments import AttachmentError, attachment_path
from models.outbox import OutboundMessage, message_exists
from models.tables import utcnow

AUTO_GENERATED = "auto-generated"  # RFC 3834: not a reply (invites, notifications)
AUTO_REPLIED = "auto-replied"  # RFC 3834: a reply to a message we received


def mint_message_id(settings: MailSettings, *, token: str | None = None, tag: str = "") -> str:
    """A new Message-ID; carrying the reply token keeps routing working in any client."""
    stem = token or "bb"
    suffix = tag or secrets.token_hex(8)
    return f"<{stem}.{suffix}@{domain(settings)}>"


def normalize_id(value: str) -> str:
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


@dataclass(frozen=True)
class FileRef:
    filename: str
    content_type: str
    sha256: str


@dataclass(frozen=True)
class Envelope:
    """The headers of one outbound email that are not its body."""

    recipient: str
    subject: str
    recipient_name: str = ""
    reply_to: str | None = None
    reply_to_name: str | None = None  # default: the billing display name
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto_submitted: str = AUTO_REPLIED
    attachments: tuple[FileRef, ...] = field(default=())


def queue_email(
    session: Session,
    *,
    envelope: Envelope,
    text: str,
    html: str | None,
    message_id: str,
    kind: str,
    conversation_id: int | None = None,
) -> OutboundMessage | None:
    """Add one email to the outbox (same transaction as the caller); None if already queued."""
    if message_exists(session, message_id):
        return None
    payload = asdict(envelope)
    row = OutboundMessage(
        channel="email",
        recipient=envelope.recipient,
        subject=envelope.subject[:998],
        body_text=text,
        body_html=html,
        payload=json.dumps(payload),
        message_id=message_id,
        conversation_id=conversation_id,
        kind=kind,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def thread_references(*ids: str | None, previous: Sequence[str] = ()) -> tuple[str, ...]:
    """References: the earlier thread then the new ids, each once, oldest first."""
    out: list[str] = []
    for value in [*previous, *ids]:
        if value and value not in out:
            out.append(value)
    return tuple(out[-20:])  # long threads: keep the newest (RFC 5322 allows trimming)


def build_message(
    row: OutboundMessage, settings: MailSettings, attachments_dir: Path
) -> EmailMessage:
    """The MIME message of an outbox row, the same at every attempt."""
    data: dict[str, Any] = row.data()
    message = EmailMessage()
    address = settings.address or ""
    message["From"] = formataddr((settings.display_name, address))
    name = str(data.get("recipient_name") or "")
    message["To"] = formataddr((name, row.recipient)) if name else row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(utcnow())
    if data.get("reply_to"):
        name = data.get("reply_to_name") or settings.display_name
        message["Reply-To"] = str(Address(name, addr_spec=data["reply_to"]))
    if data.get("in_reply_to"):
        message["In-Reply-To"] = data["in_reply_to"]
    references = [str(ref) for ref in data.get("references") or ()]
    if references:
        message["References"] = " ".join(references)
    message["Auto-Submitted"] = str(data.get("auto_submitted") or AUTO_REPLIED)
    message["X-Auto-Response-Suppress"] = "All"  # ask Exchange not to answer with an OOF
    message.set_content(row.body_text or "")
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    for item in data.get("attachments") or ():
        _attach(message, attachments_dir, item)
    return message


def _attach(message: EmailMessage, attachments_dir: Path, item: dict[str, Any]) -> None:
    try:
        content = attachment_path(attachments_dir, str(item.get("sha256"))).read_bytes()
    except (AttachmentError, OSError) as exc:
        raise ComposeError(f"attachment {item.get('filename')!r} is unreadable: {exc}") from exc
    maintype, _, subtype = str(item.get("content_type") or "").partition("/")
    if not maintype or not subtype:
        maintype, subtype = "application", "octet-stream"
    message.add_attachment(
        content, maintype=maintype, subtype=subtype, filename=str(item.get("filename"))
    )
