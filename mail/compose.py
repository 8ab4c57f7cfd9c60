"""Outbound email: minting Message-IDs, queuing rows in the outbox, building the MIME message.

A row of `OutboundMessage` holds everything needed to (re)build the same email at every
attempt: the body parts, and in `payload` the threading headers, Reply-To,
`Auto-Submitted` and the attachments (by sha256, read from the attachments dir).
"""

from __future__ import annotations

import email.errors
import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from mail import headers
from mail.config import MailSettings, domain
from mail.errors import ComposeError
from mail.headers import MAX_HEADER, OUTBOUND, header_value
from models.attachments import AttachmentError, attachment_path
from models.outbox import OutboundMessage, add_outbound, message_exists
from models.rendered import rendered_digest
from models.tables import utcnow

AUTO_GENERATED = "auto-generated"  # RFC 3834: not a reply (invites, notifications)
AUTO_REPLIED = "auto-replied"  # RFC 3834: a reply to a message we received
MAX_REFERENCES = 20 * MAX_HEADER  # References may be long: the policy folds it between ids


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
    sha256: str  # "" for a document not rendered yet
    document: str | None = None  # a rendering's name (`models.rendered`), for its digest


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
    answer_template: str = ""  # the template the email asks to fill in (read back from replies)


def queue_email(
    session: Session,
    *,
    envelope: Envelope,
    text: str,
    html: str | None,
    message_id: str,
    kind: str,
    conversation_id: int | None = None,
    minted: bool = False,
) -> int | None:
    """Add one email to the outbox (same transaction as the caller); its row id, or None if
    already queued.
    `minted`: `message_id` was just made by `mint_message_id` (random), so it is not looked up
    (the unique Message-ID would refuse a duplicate anyway)."""
    if not minted and message_exists(session, message_id):
        return None
    return add_outbound(
        session,
        channel="email",
        recipient=envelope.recipient,
        subject=header_value(envelope.subject),
        body_text=text,
        body_html=html,
        payload=json.dumps(asdict(envelope)),
        message_id=message_id,
        conversation_id=conversation_id,
        kind=kind,
    )


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
    """The MIME message of an outbox row, the same at every attempt; raises `ComposeError`
    (never anything else) when the row cannot become an email."""
    try:
        return _build(row, settings, attachments_dir)
    except ComposeError:
        raise
    except (ValueError, TypeError, LookupError, email.errors.MessageError) as exc:
        raise ComposeError(f"cannot build the message: {type(exc).__name__}: {exc}") from exc


def address_header(name: object, address: object) -> str:
    """`headers.address_header`, refusing with `ComposeError`."""
    try:
        return headers.address_header(name, address)
    except headers.BadAddress as exc:
        raise ComposeError(str(exc)) from exc


def _build(row: OutboundMessage, settings: MailSettings, attachments_dir: Path) -> EmailMessage:
    data: dict[str, Any] = row.data()
    fields = {
        "From": address_header(settings.display_name, settings.address),
        "To": address_header(data.get("recipient_name"), row.recipient),
        "Subject": row.subject,
        "Message-ID": row.message_id,
        "Date": format_datetime(utcnow()),
    }
    if data.get("reply_to"):
        name = data.get("reply_to_name") or settings.display_name
        fields["Reply-To"] = address_header(name, data["reply_to"])
    if data.get("in_reply_to"):
        fields["In-Reply-To"] = data["in_reply_to"]
    references = [str(ref) for ref in data.get("references") or ()]
    if references:
        fields["References"] = " ".join(references)
    fields["Auto-Submitted"] = str(data.get("auto_submitted") or AUTO_REPLIED)
    fields["X-Auto-Response-Suppress"] = "All"  # ask Exchange not to answer with an OOF
    message = EmailMessage(policy=OUTBOUND)
    for name, value in fields.items():
        # Every header passes `header_value` (no CR/LF/NUL); the policy folds long ones.
        limit = MAX_REFERENCES if name == "References" else MAX_HEADER
        message[name] = header_value(value, limit=limit)
    message.set_content(row.body_text or "")
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    for item in data.get("attachments") or ():
        _attach(message, attachments_dir, item)
    return message


def _attach(message: EmailMessage, attachments_dir: Path, item: dict[str, Any]) -> None:
    digest = item.get("sha256")
    if not digest and item.get("document"):
        digest = rendered_digest(attachments_dir, str(item["document"]))
        if digest is None:
            raise ComposeError(f"{item.get('filename')!r} is not rendered yet")
    try:
        content = attachment_path(attachments_dir, str(digest)).read_bytes()
    except (AttachmentError, OSError) as exc:
        raise ComposeError(f"attachment {item.get('filename')!r} is unreadable: {exc}") from exc
    maintype, _, subtype = str(item.get("content_type") or "").partition("/")
    if not maintype or not subtype:
        maintype, subtype = "application", "octet-stream"
    filename = header_value(item.get("filename"), limit=255) or "attachment"
    message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
