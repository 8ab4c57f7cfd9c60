"""Opaque-signed S/MIME mail, unwrapped: the message a signature carries inside it.

Outlook signs with `application/pkcs7-mime; smime-type=signed-data` (`smime.p7m`) unless "send
clear text signed message" is on: the whole message (text and attachments) then travels inside
the signature's CMS structure (RFC 5652 `SignedData`, its `encapContentInfo`), which no text
reader sees. `unwrap_signed` takes that message out and gives it the outer message's headers;
the signature is not checked, as it is not for clear-signed (`multipart/signed`) mail either.
Encrypted mail (`enveloped-data`) cannot be read without our key, and is left as it is.

The structure is read with a small BER reader (DER is BER; Apple Mail writes indefinite lengths
and its content in chunks), which gives up on anything unexpected.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import Message
from itertools import pairwise

__all__ = ["SMIME_TYPES", "signed_content", "unwrap_signed"]

SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")  # the OID 1.2.840.113549.1.7.2
_SEQUENCE, _OID, _OCTETS, _EXPLICIT_0 = 0x30, 0x06, 0x04, 0xA0
_MOST_DEPTH = 32
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FIELD = re.compile(rb"^[^ \t\r\n][^:\r\n]*:", re.M)


class _Unexpected(ValueError):
    """The bytes are not the structure expected."""


def signed_content(message: Message) -> bytes | None:
    """The message an opaque S/MIME signature of `message` (its top part) carries, or None
    when `message` is no such signature or cannot be read."""
    if message.get_content_type() not in SMIME_TYPES:
        return None
    if str(message.get_param("smime-type", "signed-data")).lower() != "signed-data":
        return None
    payload = message.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return None
    try:
        return _encapsulated(payload)
    except (_Unexpected, IndexError):
        return None


def unwrap_signed(raw: bytes, content: bytes) -> bytes:
    """`raw` (a whole message) with its body and `Content-*` headers replaced by `content`
    (the signed MIME entity: its own `Content-*` headers and body)."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    starts = [match.start() for match in _FIELD.finditer(head)] + [len(head)]
    fields = [head[a:b].rstrip(b"\r\n") for a, b in pairwise(starts)]
    kept = [f for f in fields if not f.lower().startswith((b"content-", b"mime-version:"))]
    newline = b"\r\n" if b"\r\n" in head else b"\n"
    return newline.join([*kept, b"MIME-Version: 1.0"]) + newline + content.lstrip(b"\r\n")


def parse_unwrapped(raw: bytes) -> tuple[Message, bytes]:
    """`raw` parsed, opaque-signed mail unwrapped: (the message, its bytes)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    content = signed_content(message)
    if content is None:
        return message, raw
    inner = unwrap_signed(raw, content)
    return email.message_from_bytes(inner, policy=email.policy.compat32), inner


# --- A small BER reader -------------------------------------------------------------------


def _encapsulated(data: bytes) -> bytes:
    """`ContentInfo { signedData, [0] SignedData { version, digestAlgorithms,
    encapContentInfo { eContentType, [0] OCTET STRING }, … } }` -> the octets."""
    info = _children(data, _element(data, 0, 0), 0)
    if len(info) < 2 or _value(data, info[0]) != _SIGNED_DATA or info[1][0] != _EXPLICIT_0:
        raise _Unexpected("not signed data")
    signed = _children(data, info[1], 1)
    if not signed or signed[0][0] != _SEQUENCE:
        raise _Unexpected("no SignedData")
    fields = _children(data, signed[0], 2)
    if len(fields) < 3 or fields[2][0] != _SEQUENCE:
        raise _Unexpected("no encapContentInfo")
    encapsulated = _children(data, fields[2], 3)
    if len(encapsulated) < 2 or encapsulated[1][0] != _EXPLICIT_0:
        raise _Unexpected("a detached signature")
    octets = _children(data, encapsulated[1], 4)
    if not octets or octets[0][0] & ~0x20 != _OCTETS:
        raise _Unexpected("no content")
    return _octets(data, octets[0], 5)


# An element: (tag, start of its contents, end of its contents, end of the element).
_Element = tuple[int, int, int, int]


def _element(data: bytes, at: int, depth: int) -> _Element:
    if depth > _MOST_DEPTH or at + 2 > len(data):
        raise _Unexpected("too deep or too short")
    tag = data[at]
    if tag & 0x1F == 0x1F:
        raise _Unexpected("a long tag")
    first = data[at + 1]
    start = at + 2
    if first == 0x80:  # indefinite length: the contents run to an end-of-contents mark
        if not tag & 0x20:
            raise _Unexpected("indefinite primitive")
        position = start
        while data[position : position + 2] != b"\x00\x00":
            position = _element(data, position, depth + 1)[3]
        return tag, start, position, position + 2
    if first & 0x80:
        count = first & 0x7F
        if count > 4:
            raise _Unexpected("too long")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    else:
        length = first
    end = start + length
    if end > len(data):
        raise _Unexpected("truncated")
    return tag, start, end, end


def _children(data: bytes, parent: _Element, depth: int) -> list[_Element]:
    found = []
    position = parent[1]
    while position < parent[2]:
        child = _element(data, position, depth + 1)
        found.append(child)
        position = child[3]
    return found


def _value(data: bytes, element: _Element) -> bytes:
    return data[element[1] : element[2]]


def _octets(data: bytes, element: _Element, depth: int) -> bytes:
    """An OCTET STRING's bytes, its chunks joined when it was written in parts."""
    if not element[0] & 0x20:
        return _value(data, element)
    return b"".join(_octets(data, child, depth + 1) for child in _children(data, element, depth))
