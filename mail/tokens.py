"""Signed reply tokens: `billing+<token>@domain`.

A contact's token names their invitation (`bb...`); an administrator's names the invoice
they review and themselves (`br...`). Each carries a truncated HMAC, so a tampered token
is refused. It is lower-case base32/hex only, because some mail servers fold the
case of the local part, and short, because a local part holds at most 64 octets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"^([0-9a-f]{1,12})([a-z2-7]{16})$")
PREFIX = "bb"


class TokenError(ValueError):
    """A reply token that is malformed or not signed by us."""


@dataclass(frozen=True)
class ReplyToken:
    invitation_id: int


@dataclass(frozen=True)
class ReviewToken:
    """An administrator's reply address for the review of one invoice."""

    invoice_id: int
    person_id: int


REVIEW_PREFIX = "br"
_REVIEW = re.compile(r"^([0-9a-f]{1,12})g([0-9a-f]{1,12})([a-z2-7]{16})$")


def _signature(secret: bytes, invitation_id: int) -> str:
    return _sign(secret, f"invitation:{invitation_id}")


def _sign(secret: bytes, subject: str) -> str:
    digest = hmac.new(secret, subject.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:16]


def make_review_token(secret: bytes, invoice_id: int, person_id: int) -> str:
    signature = _sign(secret, f"review:{invoice_id}:{person_id}")
    return f"{REVIEW_PREFIX}{invoice_id:x}g{person_id:x}{signature}"


def read_any_token(secret: bytes, token: str) -> ReplyToken | ReviewToken:
    """A contact's or an administrator's token; raises `TokenError` for anything else."""
    token = token.strip().lower()
    if not token.startswith(REVIEW_PREFIX):
        return read_token(secret, token)
    match = _REVIEW.match(token[len(REVIEW_PREFIX) :])
    if match is None:
        raise TokenError("malformed token")
    invoice_id, person_id = int(match.group(1), 16), int(match.group(2), 16)
    expected = _sign(secret, f"review:{invoice_id}:{person_id}")
    if not hmac.compare_digest(match.group(3), expected):
        raise TokenError("token signature does not match")
    return ReviewToken(invoice_id=invoice_id, person_id=person_id)


def make_token(secret: bytes, invitation_id: int) -> str:
    return f"{PREFIX}{invitation_id:x}{_signature(secret, invitation_id)}"


def read_token(secret: bytes, token: str) -> ReplyToken:
    token = token.strip().lower()
    if not token.startswith(PREFIX):
        raise TokenError("not a billbot token")
    match = _TOKEN.match(token[len(PREFIX) :])
    if match is None:
        raise TokenError("malformed token")
    invitation_id = int(match.group(1), 16)
    if not hmac.compare_digest(match.group(2), _signature(secret, invitation_id)):
        raise TokenError("token signature does not match")
    return ReplyToken(invitation_id=invitation_id)


_FIND = re.compile(
    rf"\b({PREFIX}[0-9a-f]{{1,12}}[a-z2-7]{{16}}|{REVIEW_PREFIX}[0-9a-f]{{1,12}}g[0-9a-f]{{1,12}}"
    r"[a-z2-7]{16})\b",
    re.IGNORECASE,
)


def find_tokens(text: str) -> list[str]:
    """Candidate tokens in an address, a Message-ID or a References header."""
    return [match.group(1).lower() for match in _FIND.finditer(text or "")]


def reply_address(address: str, token: str) -> str:
    """`billing@summit.test` + token -> `billing+<token>@summit.test`."""
    local, _, domain = address.partition("@")
    return f"{local}+{token}@{domain}"
