"""Signed per-invitation reply tokens: `billing+<token>@domain`.

The token names an invitation and carries a truncated HMAC, so a tampered token
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


def _signature(secret: bytes, invitation_id: int) -> str:
    digest = hmac.new(secret, f"invitation:{invitation_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:16]


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


_FIND = re.compile(rf"\b({PREFIX}[0-9a-f]{{1,12}}[a-z2-7]{{16}})\b", re.IGNORECASE)


def find_tokens(text: str) -> list[str]:
    """Candidate tokens in an address, a Message-ID or a References header."""
    return [match.group(1).lower() for match in _FIND.finditer(text or "")]


def reply_address(address: str, token: str) -> str:
    """`billing@summit.test` + token -> `billing+<token>@summit.test`."""
    local, _, domain = address.partition("@")
    return f"{local}+{token}@{domain}"
