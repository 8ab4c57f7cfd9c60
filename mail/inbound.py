"""An inbound email as the intake needs it: ids, addresses, new text and attachment bytes.

`parse_mail` never raises: a message it cannot read comes back with `error` set, so one
malformed mail is recorded as rejected instead of stopping the inbox loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import re
from collections.abc import Iterator
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


# A signed message's signature (S/MIME, OpenPGP) travels as a part, but is no attachment.
SIGNATURE_TYPES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)


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

    @property
    def files(self) -> tuple[RawAttachment, ...]:
        """The files the message carries: its attachments, but a signed message's signature."""
        return tuple(
            item
            for item in self.attachments
            if item.content_type.split(";")[0].strip().lower() not in SIGNATURE_TYPES
            and not item.filename.lower().endswith(".p7s")
        )


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


# A signature's logo or icon is smaller than this (a few KB as a rule); a photo or a screenshot
# pasted in is not.
LOGO_BYTES = 30_000
# Shown at most this large (CSS pixels), an image is a logo or an icon when it is small in
# bytes too; shown at most LOGO_TINY, it is one up to LOGO_SHOWN_BYTES (Outlook shows a
# signature's logo saved large at 120×40). A screenshot pasted into the body is shown at its
# own size, larger than a logo, and holds more than a logo's bytes.
LOGO_WIDTH, LOGO_HEIGHT, LOGO_SHOWN_BYTES = 300, 150, 512_000
LOGO_TINY = (200, 100)
_CID = re.compile(rb"""cid:([^"'\s<>)]+)""", re.I)
_IMG = re.compile(rb"<img\b[^>]*>", re.I)
# `width=120`, `height="40"`, `style="width:1.25in;height:.41in"` (not `max-width`).
_SIZE = re.compile(
    rb"(?<![-\w])(width|height)\s*([:=])\s*[\"']?\s*(\d*\.?\d+)\s*(px|in|pt|cm|mm|%)?", re.I
)
_PIXELS = {b"": 1.0, b"px": 1.0, b"in": 96.0, b"pt": 96 / 72, b"cm": 96 / 2.54, b"mm": 96 / 25.4}
# A camera's or a scanner's file name (`IMG_1234.jpeg`, `PXL_2026…`, `Scan 3.png`, `.heic`).
_PHOTO_NAME = re.compile(
    r"(?:img|dsc|dscn|dcim|pxl|photo|foto|scan|screenshot|screen\s+shot|captura|image_)"
    r"[\s_-]*\d|\.(?:heic|heif)$",
    re.I,
)
# How iOS names a photo it puts in the body, shown at no given size (`image0.jpeg`; Outlook
# numbers its images `image001.png`).
_APPLE_PHOTO = re.compile(r"image(?:0|[1-9]\d{0,2})\.(?:jpe?g|png|heic|heif)", re.I)
# How Outlook names the images of a message (`image001.png`): a plain-text reply keeps the
# signature's logo as an attachment with its Content-ID, shown nowhere.
_OUTLOOK_IMAGE = re.compile(r"image\d{3}\.(?:png|jpe?g|gif|bmp)", re.I)
# Parts that are a message's machinery, not a file: PGP/MIME's version part, the parts of a
# report (a bounce, a read receipt) machines read.
_NOT_FILES = frozenset(
    {
        "application/pgp-encrypted",
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/feedback-report",
        "text/rfc822-headers",
    }
)


@dataclass(frozen=True)
class _Shown:
    """How large the HTML shows an image (CSS pixels), where it says."""

    width: float | None = None
    height: float | None = None

    @property
    def sized(self) -> bool:
        return self.width is not None or self.height is not None

    @property
    def small(self) -> bool:
        return (self.width or 0) <= LOGO_WIDTH and (self.height or 0) <= LOGO_HEIGHT

    @property
    def tiny(self) -> bool:
        return (self.width or 0) <= LOGO_TINY[0] and (self.height or 0) <= LOGO_TINY[1]


def _attachments(message: Message) -> list[RawAttachment]:
    """The files of `message`: every part that is not its text (nor a report's or an
    encryption's machinery), named or not, images embedded in its HTML included, except a
    signature's logo or an icon (`_is_logo`). A copier's scan comes as a PDF with no name and
    no disposition, a logo may come without its disposition too, and a photo sent from a
    phone is embedded just as a logo is."""
    shown = _shown_images(message)
    found = []
    for part in _leaves(message):
        kind = part.get_content_type()
        if kind == "message/rfc822":  # a forwarded email: one .eml file
            found.append(_forwarded(part))
            continue
        if kind in _NOT_FILES:
            continue
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if (
            not filename
            and disposition != "attachment"
            and part.get_content_maintype()
            in (
                "text",
                "message",
                "multipart",
            )
        ):
            continue  # the body (its text, its HTML)
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = b""  # said to be empty, rather than lost in silence
        name = header_value(filename, limit=255) or _unnamed(part, data)
        content_id = _content_id(part.get("Content-ID"))
        if part.get_content_maintype() == "image" and _is_logo(
            len(data), shown.get(content_id) if content_id else None, name, bool(content_id)
        ):
            continue  # a logo or an icon of the signature
        found.append(RawAttachment(name, header_value(kind), data))
    return found


def _filename(part: Message) -> str | None:
    """The part's file name, encoded words undone; raw 8-bit bytes are read as UTF-8 (else
    windows-1252), as `header_text` reads them in From, not left as U+FFFD."""
    filename = part.get_filename()
    if filename and "\ufffd" in filename:
        probe = Message()
        for header in ("Content-Disposition", "Content-Type"):
            value = raw_header(part, header)
            if value is not None:
                probe[header] = header_text(value)
        filename = probe.get_filename() or filename
    if filename:
        with contextlib.suppress(Exception):
            filename = str(make_header(decode_header(filename)))
    return filename


def _leaves(message: Message) -> Iterator[Message]:
    """The parts of `message` that are not containers; an email attached to it (`.eml`,
    message/rfc822) is one part: its own files belong to another email, not this one."""
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        yield message
        return
    for part in message.get_payload():
        if isinstance(part, Message):
            yield from _leaves(part)


def _forwarded(part: Message) -> RawAttachment:
    """An attached email, as the `.eml` file it was (its subject names it when unnamed)."""
    inner = part.get_payload()
    first = inner[0] if isinstance(inner, list) and inner else None
    embedded = first if isinstance(first, Message) else None
    data = embedded.as_bytes() if embedded is not None else b""
    filename = part.get_filename()
    if filename:
        with contextlib.suppress(Exception):
            filename = str(make_header(decode_header(filename)))
    subject = header_value(embedded.get("Subject"), limit=80) if embedded is not None else ""
    name = header_value(filename, limit=255) or f"{subject or 'message'}.eml"
    return RawAttachment(name, "message/rfc822", data)


def _is_logo(size: int, shown: _Shown | None, filename: str, content_id: bool) -> bool:
    """Whether an image is a signature's logo or an icon, never a camera's, a phone's or a
    scanner's file: one the HTML shows (`shown`) small and small in bytes, or tiny (a logo
    saved large), or at no given size and small in bytes; one it does not show, when it is
    Outlook's small `image001.png` with a Content-ID (a plain-text reply's logo)."""
    if _PHOTO_NAME.search(filename):
        return False
    if shown is None:
        return content_id and size <= LOGO_BYTES and bool(_OUTLOOK_IMAGE.fullmatch(filename))
    if shown.sized:
        return shown.small and (size <= LOGO_BYTES or (shown.tiny and size <= LOGO_SHOWN_BYTES))
    return size <= LOGO_BYTES and not _APPLE_PHOTO.fullmatch(filename)


def _unnamed(part: Message, data: bytes) -> str:
    """A name for a file sent without one (the PDF a copier scans to email), by its type."""
    if part.get_content_maintype() == "image":
        return f"image.{part.get_content_subtype()}"
    if data.startswith(b"%PDF-"):
        return "attachment.pdf"
    extension = mimetypes.guess_extension(part.get_content_type())
    return f"attachment{extension}" if extension and extension != ".bin" else "attachment"


def _content_id(value: object) -> str:
    """A Content-ID (`<image001.png@01DB…>`) as the HTML names it (`cid:image001.png@01DB…`)."""
    return unquote(header_value(value)).strip().strip("<>").casefold() if value else ""


def _shown_images(message: Message) -> dict[str, _Shown]:
    """The Content-IDs the HTML bodies of `message` show (`<img src="cid:…">`), with the size
    they are shown at."""
    shown: dict[str, _Shown] = {}
    for part in message.walk():
        if part.get_content_type() != "text/html" or part.get_content_disposition() == "attachment":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        for found in _CID.finditer(payload):  # wherever it stands (VML, a background)
            shown.setdefault(_content_id(found.group(1).decode("ascii", "replace")), _Shown())
        for tag in _IMG.finditer(payload):
            source = _CID.search(tag.group())
            if source is not None:
                cid = _content_id(source.group(1).decode("ascii", "replace"))
                shown[cid] = _shown_size(tag.group())
    return shown


def _shown_size(tag: bytes) -> _Shown:
    """The size an `<img>` tag shows its image at (a style's over the attributes')."""
    size: dict[tuple[bytes, bytes], float] = {}
    for name, how, value, unit in _SIZE.findall(tag):
        if unit != b"%":
            size[name.lower(), how] = float(value) * _PIXELS[unit.lower()]

    def side(name: bytes) -> float | None:
        return size.get((name, b":"), size.get((name, b"=")))

    return _Shown(side(b"width"), side(b"height"))
