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
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import Message

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
    """The decoded value of header `name` (encoded words undone), as one safe line."""
    value = message.get(name)
    if value is None:
        return ""
    raw = str(value)
    try:
        decoded = str(make_header(decode_header(_FOLDING.sub(" ", raw))))
    except Exception:  # an undecodable encoded word: keep the raw text
        decoded = raw
    return header_value(decoded)


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
