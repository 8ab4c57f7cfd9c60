"""An inbound email as the intake needs it: ids, addresses, new text and attachment bytes.

`parse_mail` never raises: a message it cannot read comes back with `error` set, so one
malformed mail is recorded as rejected instead of stopping the inbox loop.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from mail.extract import InlineAnswer, extract_reply
from mail.headers import BadAddress, address_header, header_value, read_header

ROUTING_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
MAX_ADDRESS = 254  # RFC 5321's limit; a longer From is no address we could answer
MAX_FROM = 100_000  # a From header longer than this is cut before it is parsed


@dataclass(frozen=True)
class RawAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    external_id: str  # the Message-ID, or a hash of the bytes when there is none
    message_id: str | None = None
    sender: str = ""  # the From address, lower-cased
    sender_name: str = ""
    subject: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()  # To, Cc, Delivered-To, X-Original-To addresses
    text: str = ""  # what the sender wrote, without quoted history or signature
    body: str = ""  # the whole body, quoted history included (where a template may be filled)
    inline: tuple[InlineAnswer, ...] = ()  # what was typed below quoted lines, in `text` too
    attachments: tuple[RawAttachment, ...] = ()
    message: Message | None = field(default=None, repr=False)
    error: str | None = None


def _no_nul(text: str) -> str:
    """Without NUL characters: PostgreSQL text columns refuse them (the message would fail
    on every fetch, forever)."""
    return text.replace("\x00", "")


def _sender(message: Message) -> tuple[str, str]:
    """(display name, address) of From; the name's encoded words are decoded after the
    address is parsed, so an encoded comma or bracket cannot change the address."""
    name, address = parseaddr(header_value(message.get("From"), limit=MAX_FROM))
    if "=?" in name:
        with contextlib.suppress(Exception):
            name = str(make_header(decode_header(name)))
    return header_value(name), header_value(address)


def message_ids(value: str) -> tuple[str, ...]:
    """`<a@x> <b@y>` -> ("<a@x>", "<b@y>"); tolerates commas and missing brackets."""
    found = []
    for part in value.replace(",", " ").split():
        part = part.strip()
        if part:
            found.append(part if part.startswith("<") else f"<{part.strip('<>')}>")
    return tuple(found)


def external_id(message_id: str | None, raw: bytes) -> str:
    return message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"


def parse_mail(raw: bytes) -> InboundMail:
    """Read `raw` (RFC 5322 bytes); never raises."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as exc:
        return InboundMail(external_id=external_id(None, raw), error=f"unreadable: {exc}")
    try:
        return _parse(message, raw)
    except Exception as exc:
        ids = message_ids(header_value(message.get("Message-ID")))
        return InboundMail(
            external_id=external_id(ids[0] if ids else None, raw),
            message=message,
            error=f"malformed message: {exc}",
        )


def _parse(message: Message, raw: bytes) -> InboundMail:
    ids = message_ids(read_header(message, "Message-ID"))
    message_id = ids[0][:998] if ids else None
    name, sender = _sender(message)
    recipients = tuple(
        addr.lower()
        for _, addr in getaddresses(
            [header_value(v) for h in ROUTING_HEADERS for v in message.get_all(h, [])]
        )
        if addr
    )
    in_reply_to = message_ids(read_header(message, "In-Reply-To"))
    sender = sender.strip().lower()
    problem = None
    if len(sender) > MAX_ADDRESS:
        problem = f"sender address longer than {MAX_ADDRESS} characters"
    elif sender:
        try:
            address_header("", sender)
        except BadAddress as exc:  # e.g. a non-ASCII local part: no answer could be sent
            problem = f"sender cannot be answered: {exc}"
    if problem is not None:
        return InboundMail(
            external_id=external_id(message_id, raw),
            message_id=message_id,
            message=message,
            error=problem,
        )
    reply = extract_reply(message)
    return InboundMail(
        external_id=external_id(message_id, raw),
        message_id=message_id,
        sender=sender,
        sender_name=name,
        subject=read_header(message, "Subject"),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=message_ids(read_header(message, "References")),
        recipients=recipients,
        text=_no_nul(reply.text),
        body=_no_nul(reply.body),
        inline=tuple(
            InlineAnswer(_no_nul(item.quote), _no_nul(item.answer)) for item in reply.inline
        ),
        attachments=tuple(_attachments(message)),
        message=message,
    )


def _attachments(message: Message) -> list[RawAttachment]:
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if not filename and disposition != "attachment":
            continue  # a body part
        if (
            disposition == "inline"
            and part.get("Content-ID")
            and part.get_content_maintype() == "image"
        ):
            continue  # an image embedded in the HTML body, e.g. a signature logo
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        if filename:
            with contextlib.suppress(Exception):
                filename = str(make_header(decode_header(filename)))
        name = header_value(filename, limit=255) or "attachment"
        found.append(RawAttachment(name, header_value(part.get_content_type()), data))
    return found
