"""The IMAP side of the channel (imap-tools, blocking: the worker calls it in a thread).

Every imaplib / imap-tools / socket error becomes a `MailConnectionError` here, so the
worker only has to reconnect. Messages are fetched with `BODY.PEEK` (never marked seen
on fetch) and flagged `\\Seen` only when the intake says so, after its commit.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.consts import MailMessageFlags
from imap_tools.errors import ImapToolsError

from mail.config import MailSettings, Security
from mail.errors import MailConnectionError

T = TypeVar("T")
IMAP_ERRORS = (imaplib.IMAP4.error, ImapToolsError, OSError, ssl.SSLError, socket.timeout, EOFError)


class _RawMessage(MailMessage):
    """A MailMessage that keeps the bytes it was parsed from."""

    def __init__(self, fetch_data: list[Any]) -> None:
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


@dataclass(frozen=True)
class Fetched:
    uid: str
    raw: bytes


@contextmanager
def translated(action: str) -> Iterator[None]:
    """imaplib and socket errors -> MailConnectionError."""
    try:
        yield
    except IMAP_ERRORS as exc:
        raise MailConnectionError(f"IMAP {action} failed: {exc}") from exc


class ImapClient:
    """One logged-in IMAP connection to the billing mailbox."""

    def __init__(self, settings: MailSettings, *, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self.box: BaseMailBox | None = None

    def connect(self) -> None:
        if self.box is not None:
            return
        s = self.settings
        factories: dict[Security, Callable[..., BaseMailBox]] = {
            Security.ssl: MailBox,
            Security.starttls: MailBoxStartTls,
            Security.none: MailBoxUnencrypted,
        }
        with translated("login"):
            box = factories[s.imap_security](s.imap_host, s.imap_port, timeout=self.timeout)
            box.email_message_class = _RawMessage
            password = s.imap_password.get_secret_value() if s.imap_password else ""
            box.login(s.imap_user or s.address or "", password, s.imap_folder)
            self.box = box

    def _call(self, action: str, function: Callable[[BaseMailBox], T]) -> T:
        self.connect()
        assert self.box is not None
        try:
            with translated(action):
                return function(self.box)
        except MailConnectionError:
            self.close()
            raise

    def fetch_unseen(self, limit: int = 50) -> list[Fetched]:
        """Up to `limit` unseen messages, oldest first, left unseen."""

        def fetch(box: BaseMailBox) -> list[Fetched]:
            found = box.fetch(AND(seen=False), mark_seen=False, limit=limit, bulk=False)
            return [Fetched(m.uid or "", getattr(m, "raw", b"")) for m in found if m.uid]

        return self._call("fetch", fetch)

    def mark_seen(self, uids: list[str]) -> None:
        if uids:
            self._call("flag", lambda box: box.flag(uids, MailMessageFlags.SEEN, True))

    @property
    def supports_idle(self) -> bool:
        self.connect()
        assert self.box is not None
        return "IDLE" in self.box.client.capabilities

    def idle_wait(self, timeout: float) -> bool:
        """Wait in IMAP IDLE up to `timeout` seconds; True if the server announced something."""
        return bool(self._call("idle", lambda box: box.idle.wait(timeout=timeout)))

    def close(self) -> None:
        box, self.box = self.box, None
        if box is None:
            return
        try:
            box.logout()
        except Exception:  # the connection is going away anyway
            with suppress(Exception):
                box.client.shutdown()
