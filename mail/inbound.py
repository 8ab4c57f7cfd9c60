"""An inbound email as the intake needs it: ids, addresses, new text and attachment bytes.

`parse_mail` never raises: a message it cannot read comes back with `error` set, so one
malformed mail is recorded as rejected instead of stopping the inbox loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from urllib.parse import unquote

from mail.extract import InlineAnswer, extract_reply
from mail.headers import (
    BadAddress,
    address_header,
    header_text,
    header_value,
    raw_header,
    read_header,
)
from mail.smime import parse_unwrapped

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
    """(display name, address) of From; raw 8-bit text is read first, the name's encoded
    words after the address is parsed, so an encoded comma or bracket cannot change the
    address."""
    sender = raw_header(message, "From")
    text = header_text(sender) if sender is not None else ""
    name, address = parseaddr(header_value(text, limit=MAX_FROM))
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
        message, _ = parse_unwrapped(raw)  # an opaque-signed message: the one it carries
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
            [header_value(header_text(v)) for h in ROUTING_HEADERS for v in message.get_all(h, [])]
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
            InlineAnswer(_no_nul(item.quote), _no_nul(item.answer), tuple(map(_no_nul, item.above)))
            for item in reply.inline
        ),
        attachments=tuple(_attachments(message)),
        message=message,
    )


# A signature's logo or icon is smaller than this; a photo or a screenshot pasted in is not.
LOGO_BYTES = 50_000
_CID = re.compile(rb"""cid:([^"'\s<>)]+)""", re.I)
# A camera's or a scanner's file name (`IMG_1234.jpeg`, `PXL_2026…`, `Scan 3.png`, `.heic`).
_PHOTO_NAME = re.compile(
    r"(?:img|dsc|dscn|dcim|pxl|photo|foto|scan|screenshot|screen\s+shot|captura|image_)"
    r"[\s_-]*\d|\.(?:heic|heif)$",
    re.I,
)


def _attachments(message: Message) -> list[RawAttachment]:
    """The files of `message`, images embedded in its HTML included, except an image the
    HTML shows that is small and no photo (a signature's logo, a social icon): a photo sent
    from a phone is embedded just the same, and a logo may come without its disposition."""
    shown = _shown_images(message)
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        image = part.get_content_maintype() == "image"
        content_id = _content_id(part.get("Content-ID"))
        if not filename and disposition != "attachment" and not (image and content_id):
            continue  # a body part
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        if (
            image
            and content_id in shown
            and len(data) <= LOGO_BYTES
            and not _PHOTO_NAME.search(header_text(filename or ""))
        ):
            continue  # a logo or an icon of the HTML body
        if filename:
            with contextlib.suppress(Exception):
                filename = str(make_header(decode_header(filename)))
        elif image:
            filename = f"image.{part.get_content_subtype()}"
        name = header_value(filename, limit=255) or "attachment"
        found.append(RawAttachment(name, header_value(part.get_content_type()), data))
    return found


def _content_id(value: object) -> str:
    """A Content-ID (`<image001.png@01DB…>`) as the HTML names it (`cid:image001.png@01DB…`)."""
    return unquote(header_value(value)).strip().strip("<>").casefold() if value else ""


def _shown_images(message: Message) -> set[str]:
    """The Content-IDs the HTML bodies of `message` show (`<img src="cid:…">`)."""
    shown: set[str] = set()
    for part in message.walk():
        if part.get_content_type() != "text/html" or part.get_content_disposition() == "attachment":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            shown.update(
                _content_id(match.group(1).decode("ascii", "replace"))
                for match in _CID.finditer(payload)
            )
    return shown
