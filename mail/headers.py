"""Header values, in and out: one place that makes any text safe to be a header.

Inbound header values are unfolded (RFC 5322 §2.2.3: a CRLF followed by white space is
folding, not content) and cleaned once, where mail comes in, so a long subject that the
sender's client folded does not carry its line break into our reply. Every outbound header
goes through `header_value` as well, so no value stored anywhere (an old outbox row, a
project name with a line break from an import file) can make `email` refuse to build the
message. Long values are folded by the `email` policy when the message is serialised.
"""

from __future__ import annotations

import email.errors
import re
from email.header import Header, decode_header, make_header
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import Message
from email.policy import EmailPolicy
from typing import Any

MAX_HEADER = 998  # RFC 5322's line limit; also the subject column's size

_FOLDING = re.compile(r"\r?\n[ \t]*|\r[ \t]*")
# C0 and C1 controls (CR, LF, NUL, tab, NEL, ...) and the Unicode line and paragraph
# separators, which some readers take as line breaks: none has a place in a header value.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(" {2,}")


def header_value(value: object, *, limit: int = MAX_HEADER) -> str:
    """`value` as one safe header line: unfolded, without control characters (CR, LF, NUL,
    ...), runs of blanks collapsed, trimmed and cut to `limit` characters."""
    text = _FOLDING.sub(" ", str(value or ""))
    text = _SPACES.sub(" ", _CONTROLS.sub(" ", text)).strip()
    return text[:limit].rstrip()


def read_header(message: Message, name: str) -> str:
    """The decoded value of header `name` (raw 8-bit text and encoded words undone), as one
    safe line."""
    value = raw_header(message, name)
    if value is None:
        return ""
    raw = header_text(value)
    try:
        decoded = str(make_header(decode_header(_FOLDING.sub(" ", raw))))
    except Exception:  # an undecodable encoded word: keep the raw text
        decoded = raw
    return header_value(decoded)


def raw_header(message: Message, name: str) -> object | None:
    """The first header `name` as the message holds it, before its policy reads it (the
    modern policy would have turned raw 8-bit bytes into U+FFFD already)."""
    wanted = name.lower()
    return next((value for key, value in message.raw_items() if key.lower() == wanted), None)


def header_text(value: object) -> str:
    """A header value as text, its raw 8-bit bytes read as UTF-8 (else windows-1252, else
    Latin-1) and its encoded words left as they are. Servers pass SMTPUTF8 mail and sloppy
    clients' headers on unencoded; `email` keeps such bytes as surrogates, or (with the
    compat32 policy) in a `Header` whose text would show U+FFFD for each byte."""
    if isinstance(value, Header):
        return "".join(
            _bytes_text(chunk) if isinstance(chunk, bytes) else chunk
            for chunk, _charset in decode_header(value)
        )
    text = str(value)
    if _SURROGATES.search(text):
        return _bytes_text(text.encode("utf-8", "surrogateescape"))
    return text


_SURROGATES = re.compile("[\udc80-\udcff]")


def _bytes_text(raw: bytes) -> str:
    for codec in ("utf-8", "cp1252"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


class BadAddress(ValueError):
    """An address we cannot write into a header (so cannot answer)."""


def address_header(name: object, address: object) -> str:
    """`Name <address>` (or the bare address), both parts made safe first; raises
    `BadAddress` for an address that is not one we can send to."""
    addr = header_value(address, limit=320)
    if addr.count("@") != 1 or " " in addr:
        raise BadAddress(f"not an email address: {addr!r}")
    try:
        return str(Address(header_value(name, limit=200), addr_spec=addr))
    except (ValueError, IndexError, email.errors.MessageError) as exc:
        raise BadAddress(f"not an email address: {addr!r} ({exc})") from exc


# A header line the `email` package would write back unchanged: printable ASCII, single
# spaces, no encoded-word marker, short enough not to be folded. Anything else is parsed.
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")


class _Registry(HeaderRegistry):
    """`HeaderRegistry` that builds each header class once (it makes a new one per header)."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._classes.get(key)
        if made is None:
            made = self._classes[key] = super().__getitem__(name)
        return made


class OutboundPolicy(EmailPolicy):
    """The default policy for building outbound messages, without its parse for plain
    lines: a value `_PLAIN` matches that fits on one line is kept as the text itself (the
    policies write such text as it is, so it is exactly what a parse and fold would have
    written); any other value is parsed and folded by the `email` package as before."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if (
            type(value) is str
            and len(name) + 2 + len(value) <= 78
            and "=?" not in value
            and _PLAIN.fullmatch(value)
        ):
            return (name, value)
        return super().header_store_parse(name, value)


OUTBOUND = OutboundPolicy(header_factory=_Registry())
