"""The IMAP side of the channel (imap-tools, blocking: the worker calls it in a thread).

Every imaplib / imap-tools / socket error becomes a `MailConnectionError` here, so the
worker only has to reconnect; a refused sign-in becomes a `SignInError` that names the fix.
With OAuth2 (SASL XOAUTH2) a refused token is replaced by a fresh one once, on a new
connection. Certificates are verified (`mail.tls`). Messages are fetched with `BODY.PEEK`
(never marked seen on fetch) and flagged `\\Seen` only when the intake says so, after its
commit.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.consts import MailMessageFlags
from imap_tools.errors import ImapToolsError, MailboxLoginError

from mail.auth.refusals import mailbox_refused, password_refused
from mail.config import MailSettings, Security
from mail.errors import MailConnectionError
from mail.tls import tls_context

if TYPE_CHECKING:
    from mail.auth.tokens import TokenManager

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


class _Refused(Exception):
    """The server answered NO to a sign-in (as opposed to dropping the connection)."""


def _signing_in(box: BaseMailBox, sign_in: Callable[[], object]) -> None:
    try:
        sign_in()
    except imaplib.IMAP4.abort as exc:
        raise MailConnectionError(f"IMAP sign-in failed: {exc}") from exc
    except (MailboxLoginError, imaplib.IMAP4.error) as exc:
        raise _Refused(str(exc)) from exc
    except IMAP_ERRORS as exc:
        raise MailConnectionError(f"IMAP sign-in failed: {exc}") from exc


def _drop(box: BaseMailBox) -> None:
    with suppress(Exception):
        box.client.shutdown()


class ImapClient:
    """One logged-in IMAP connection to the billing mailbox (password or XOAUTH2)."""

    def __init__(
        self,
        settings: MailSettings,
        *,
        timeout: float = 30.0,
        tokens: TokenManager | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.tokens = tokens
        self.box: BaseMailBox | None = None

    def open(self) -> BaseMailBox:
        """A connection, TLS done (certificate verified), not signed in yet."""
        s = self.settings
        factories: dict[Security, Callable[..., BaseMailBox]] = {
            Security.ssl: MailBox,
            Security.starttls: MailBoxStartTls,
            Security.none: MailBoxUnencrypted,
        }
        options: dict[str, Any] = {"timeout": self.timeout}
        if s.imap_security != Security.none:
            options["ssl_context"] = tls_context(s)
        with translated("connect"):
            box = factories[s.imap_security](s.imap_host, s.imap_port, **options)
        box.email_message_class = _RawMessage
        return box

    def connect(self) -> None:
        if self.box is not None:
            return
        box = self.sign_in(self.open())
        try:
            with translated("select"):
                box.folder.set(self.settings.imap_folder)
        except MailConnectionError:
            _drop(box)
            raise
        self.box = box

    def sign_in(self, box: BaseMailBox) -> BaseMailBox:
        """Sign `box` in; returns the signed-in box (a new one when a token was refused)."""
        s = self.settings
        user = s.mailbox_user
        if self.tokens is None:
            password = s.imap_password.get_secret_value() if s.imap_password else ""
            try:
                _signing_in(box, partial(box.login, user, password, None))
            except _Refused as exc:
                _drop(box)
                setting = "BILLBOT_MAIL__IMAP_PASSWORD"
                raise password_refused("IMAP", user, str(exc), setting) from exc
            except MailConnectionError:
                _drop(box)
                raise
            return box
        from mail.auth.tokens import attempts

        for token, last in attempts(self.tokens):
            try:
                _signing_in(box, partial(box.xoauth2, user, token, None))
                return box
            except _Refused as exc:
                _drop(box)  # a server may hang up after a refused AUTHENTICATE: start afresh
                if last:
                    raise mailbox_refused(s, "IMAP", str(exc)) from exc
            except MailConnectionError:
                _drop(box)
                raise
            box = self.open()
        raise AssertionError("unreachable")

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
