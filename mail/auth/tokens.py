"""Access tokens for one mailbox: cached, refreshed ahead of expiry, once more after a refusal.

The IMAP thread and the SMTP sender share one `TokenManager`; a lock makes them refresh one
at a time (a rotating refresh token must never be spent twice). A refresh token grant runs
inside the store's transaction (`RefreshTokenStore.locked`), so a rotated token is saved
before anyone can use the new access token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)

DEFAULT_LIFETIME = 3600.0  # seconds, when the endpoint does not say (`expires_in`)
REFRESH_MARGIN = 300.0  # refresh this long before expiry (at most a tenth of the lifetime)


@dataclass(frozen=True)
class Grant:
    """What a token endpoint answered."""

    access_token: str
    expires_in: float | None = None
    refresh_token: str | None = None  # set when the endpoint issued (or rotated) one


@dataclass(frozen=True)
class AccessToken:
    value: str
    refresh_at: datetime
    expires_at: datetime


class TokenSource(Protocol):
    """One provider's way to get an access token (`providers.py`)."""

    @property
    def endpoint(self) -> str:
        """Where tokens come from, for messages and `billbot mail check`."""
        ...

    def fetch(self, refresh_token: str | None) -> Grant:
        """A new access token: with the refresh token if there is one, else the app's own
        grant (client credentials, service account). Raises SignInError when refused,
        MailConnectionError when the endpoint cannot be reached."""
        ...

    def forget(self) -> None:
        """Drop whatever token the library caches, so the next fetch asks the endpoint."""
        ...


class RefreshSlot(Protocol):
    token: str | None

    def keep(self, token: str | None) -> None:
        """Remember a refresh token the endpoint issued (saved when the block ends)."""
        ...


class RefreshTokens(Protocol):
    def locked(self) -> AbstractContextManager[RefreshSlot]: ...


class TokenManager:
    """Hands out the mailbox's current access token (thread-safe)."""

    def __init__(
        self,
        source: TokenSource,
        refresh_tokens: RefreshTokens,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.source = source
        self.refresh_tokens = refresh_tokens
        self.clock = clock
        self._current: AccessToken | None = None
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self.source.endpoint

    def token(self) -> str:
        return self.access_token().value

    def access_token(self) -> AccessToken:
        """The cached token, or a new one when it is due for refresh."""
        with self._lock:
            now = self.clock()
            if self._current is None or now >= self._current.refresh_at:
                self._current = self._fetch(now)
            return self._current

    def invalidate(self, value: str) -> None:
        """The mailbox refused `value`: the next `token()` asks the endpoint again."""
        with self._lock:
            if self._current is not None and self._current.value == value:
                log.info("access token refused by the mailbox; getting a new one")
                self._current = None
                self.source.forget()

    def _fetch(self, now: datetime) -> AccessToken:
        with self.refresh_tokens.locked() as slot:
            grant = self.source.fetch(slot.token)
            slot.keep(grant.refresh_token)
        lifetime = grant.expires_in if grant.expires_in and grant.expires_in > 0 else None
        lifetime = lifetime or DEFAULT_LIFETIME
        margin = min(REFRESH_MARGIN, lifetime / 10)
        return AccessToken(
            grant.access_token,
            refresh_at=now + timedelta(seconds=lifetime - margin),
            expires_at=now + timedelta(seconds=lifetime),
        )


def attempts(tokens: TokenManager) -> Iterator[tuple[str, bool]]:
    """(token, last) twice: the current token, then a fresh one after the mailbox refused it.

    `for token, last in attempts(tokens): try sign-in; except refused: if last: raise`.
    """
    first = tokens.token()
    yield first, False
    tokens.invalidate(first)
    yield tokens.token(), True
