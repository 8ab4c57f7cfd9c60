"""`billbot mail check`: the mailbox set-up tested step by step, each with what to fix.

IMAP: the name resolves, the port answers, TLS (certificate verified), the OAuth2 token,
the sign-in, IDLE. SMTP: the same, then a message to `address+check-<random>@` that must
arrive in the IMAP folder (sub-addressing works end to end); it is deleted once seen.
Steps after a failed one on the same side are not tried.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import secrets
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from imap_tools import AND, BaseMailBox

from mail.auth.tokens import TokenManager
from mail.config import Auth, MailSettings, Security
from mail.errors import DeliveryError, MailConnectionError, MailError, SignInError
from mail.imap import ImapClient, translated
from mail.sender import SmtpClient


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool | None  # None: a warning, not a failure
    detail: str
    fix: str = ""


class _Stop(Exception):
    """A step failed: the rest of this side cannot be checked."""


class MailCheck:
    """Runs the steps, reporting each as soon as it is known."""

    def __init__(
        self,
        settings: MailSettings,
        tokens: TokenManager | None,
        *,
        report: Callable[[Step], None],
        wait: float = 60.0,
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self.report = report
        self.wait = wait
        self.steps: list[Step] = []
        self._box: BaseMailBox | None = None  # the IMAP connection, to close at the end
        self._signed_in = False

    @property
    def failed(self) -> bool:
        return any(step.ok is False for step in self.steps)

    def _step(self, name: str, ok: bool | None, detail: str, fix: str = "") -> None:
        step = Step(name, ok, detail, fix)
        self.steps.append(step)
        self.report(step)
        if ok is False:
            raise _Stop

    async def run(self) -> list[Step]:
        with contextlib.suppress(_Stop):
            await asyncio.to_thread(self._imap)
        try:
            tag = await self._smtp()
            if self._box is not None and self._signed_in:
                await asyncio.to_thread(self._arrival, self._box, tag)
        except _Stop:
            pass
        finally:
            if self._box is not None:
                await asyncio.to_thread(_logout, self._box)
        return self.steps

    # -- IMAP -------------------------------------------------------------------------------

    def _imap(self) -> None:
        s = self.settings
        self._reach("IMAP", s.imap_host, s.imap_port, "IMAP")
        client = ImapClient(s, timeout=20, tokens=self.tokens)
        box = self._box = self._tls("IMAP", s.imap_security, client.open)
        self._token()
        self._box = None  # sign_in closes the connection it was given when it fails
        try:
            box = client.sign_in(box)
        except SignInError as exc:
            self._step("IMAP sign-in", False, exc.problem, exc.fix)
        except MailConnectionError as exc:
            self._step("IMAP sign-in", False, str(exc), "try again; if it lasts, check the server")
        self._box, self._signed_in = box, True
        self._step("IMAP sign-in", True, f"as {s.mailbox_user} ({self._mechanism()})")
        try:
            with translated("select"):
                box.folder.set(s.imap_folder)
        except MailConnectionError as exc:
            fix = "check BILLBOT_MAIL__IMAP_FOLDER (INBOX by default)"
            self._step("IMAP folder", False, str(exc), fix)
        if "IDLE" not in box.client.capabilities:
            detail = f"not offered: billbot will poll every {s.poll_seconds:g} s instead"
            self._step(
                "IMAP IDLE", None, detail, "lower BILLBOT_MAIL__POLL_SECONDS to answer sooner"
            )
            return
        try:
            with translated("idle"):
                box.idle.start()
                box.idle.stop()
        except MailConnectionError as exc:
            self._step("IMAP IDLE", False, str(exc), "the server offers IDLE but refuses it")
        self._step("IMAP IDLE", True, "new mail is noticed at once")

    def _token(self) -> None:
        if self.tokens is None:
            return
        try:
            token = self.tokens.access_token()
        except SignInError as exc:
            self._step("OAuth2 token", False, exc.problem, exc.fix)
        except MailConnectionError as exc:
            fix = "check BILLBOT_MAIL__OAUTH2__TOKEN_URL and that this machine reaches it"
            self._step("OAuth2 token", False, str(exc), fix)
        except MailError as exc:
            self._step("OAuth2 token", False, str(exc), "see the message")
        minutes = (token.expires_at - datetime.now(UTC)).total_seconds() / 60
        self._step("OAuth2 token", True, f"from {self.tokens.endpoint} (valid {minutes:.0f} min)")

    def _mechanism(self) -> str:
        return "XOAUTH2" if self.settings.auth == Auth.oauth2 else "password"

    # -- shared: DNS, TCP, TLS ----------------------------------------------------------------

    def _reach(self, side: str, host: str | None, port: int, setting: str) -> None:
        prefix = f"BILLBOT_MAIL__{setting}"
        if not host:
            self._step(f"{side} server", False, "no host configured", f"set {prefix}_HOST")
        assert host is not None
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            self._step(f"{side} DNS", False, f"{host}: {exc}", f"check {prefix}_HOST")
        address = found[0][4][0]
        self._step(f"{side} DNS", True, f"{host} is {address}")
        try:
            socket.create_connection((host, port), timeout=10).close()
        except OSError as exc:
            fix = f"check {prefix}_PORT and that a firewall lets this machine reach it"
            self._step(f"{side} connect", False, f"{host}:{port}: {exc}", fix)
        self._step(f"{side} connect", True, f"{host}:{port} answers")

    def _tls(self, side: str, security: Security, opened: Callable[[], BaseMailBox]) -> BaseMailBox:
        try:
            box = opened()
        except MailConnectionError as exc:
            self._tls_failed(side, exc)
        self._tls_done(side, security, _tls_version(box))
        return box

    def _tls_failed(self, side: str, exc: MailConnectionError) -> None:
        cause = exc.__cause__
        setting = f"BILLBOT_MAIL__{side}_SECURITY"
        if isinstance(cause, ssl.SSLCertVerificationError):
            fix = (
                "the server's certificate is not trusted or not for this host name: for a "
                "private CA set BILLBOT_MAIL__CA_FILE to its certificate (PEM)"
            )
            self._step(f"{side} TLS", False, cause.verify_message or str(cause), fix)
        if isinstance(cause, ssl.SSLError):
            fix = f"check {setting}: ssl for an implicit-TLS port (993, 465), starttls for 143/587"
            self._step(f"{side} TLS", False, str(cause), fix)
        self._step(f"{side} greeting", False, str(exc), f"check {setting} and the port")

    def _tls_done(self, side: str, security: Security, version: str | None) -> None:
        if security == Security.none:
            setting = f"BILLBOT_MAIL__{side}_SECURITY=none"
            detail = f"off ({setting}): the sign-in crosses the network in clear text"
            self._step(f"{side} TLS", None, detail, "use ssl or starttls beyond a test set-up")
            return
        self._step(f"{side} TLS", True, f"{version or 'TLS'}, certificate verified")

    # -- SMTP --------------------------------------------------------------------------------

    async def _smtp(self) -> str:
        s = self.settings
        await asyncio.to_thread(self._reach, "SMTP", s.smtp_host, s.smtp_port, "SMTP")
        smtp = SmtpClient(s, timeout=20, tokens=self.tokens)
        try:
            try:
                await smtp.open()
            except MailConnectionError as exc:
                self._tls_failed("SMTP", exc)
            transport = smtp.smtp.transport
            version = None
            if transport is not None:
                ssl_object = transport.get_extra_info("ssl_object")
                version = ssl_object.version() if ssl_object is not None else None
            self._tls_done("SMTP", s.smtp_security, version)
            try:
                await smtp.sign_in()
            except SignInError as exc:
                self._step("SMTP sign-in", False, exc.problem, exc.fix)
            except MailConnectionError as exc:
                self._step("SMTP sign-in", False, str(exc), "check BILLBOT_MAIL__SMTP_* settings")
            user = s.smtp_user or (s.mailbox_user if self.tokens else "")
            who = f"as {user} ({self._mechanism()})" if user else "no sign-in configured"
            self._step("SMTP sign-in", True, who)
            tag = f"check-{secrets.token_hex(4)}"
            recipient = _plus_address(s.address or s.mailbox_user, tag)
            try:
                await smtp.send(
                    _check_message(s, recipient, tag), sender=s.address or "", recipient=recipient
                )
            except (DeliveryError, MailConnectionError) as exc:
                fix = (
                    "the server refused the message: the signed-in user must be allowed to send "
                    "as BILLBOT_MAIL__ADDRESS (Microsoft 365: SendAs permission)"
                )
                self._step("SMTP send", False, str(exc), fix)
            self._step("SMTP send", True, f"to {recipient}")
            return tag
        finally:
            await smtp.__aexit__(None, None, None)

    def _arrival(self, box: BaseMailBox, tag: str) -> None:
        folder = self.settings.imap_folder
        started = time.monotonic()
        while True:
            try:
                with translated("search"):
                    box.folder.set(folder)  # a fresh look at the folder
                    uids = box.uids(AND(subject=_subject(tag)))
                    if uids:
                        box.delete(uids)
            except MailConnectionError as exc:
                self._step("Arrival", False, str(exc), "try again")
            if uids:
                waited = time.monotonic() - started
                detail = f"in {folder} after {waited:.0f} s: sub-addressing works"
                self._step("Arrival", True, detail)
                return
            if time.monotonic() - started > self.wait:
                break
            time.sleep(1)
        fix = (
            "the server must deliver address+tag@ to address (sub-addressing): Microsoft 365 "
            "Set-OrganizationConfig -AllowPlusAddressInRecipients $true; Postfix "
            "recipient_delimiter = +; look in the junk folder too"
        )
        self._step("Arrival", False, f"nothing in {folder} within {self.wait:.0f} s", fix)


def _tls_version(box: BaseMailBox) -> str | None:
    sock = getattr(box.client, "sock", None)
    return sock.version() if isinstance(sock, ssl.SSLSocket) else None


def _logout(box: BaseMailBox) -> None:
    try:
        box.logout()
    except Exception:  # going away anyway
        box.client.shutdown()


def _plus_address(address: str, tag: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local}+{tag}@{domain}"


def _subject(tag: str) -> str:
    return f"billbot mail check {tag}"


def _check_message(settings: MailSettings, recipient: str, tag: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.utils.formataddr((settings.display_name, settings.address or ""))
    message["To"] = recipient
    message["Subject"] = _subject(tag)
    message["Date"] = email.utils.formatdate(localtime=True)
    domain = (settings.address or "").rpartition("@")[2] or None
    message["Message-ID"] = email.utils.make_msgid("billbot-check", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # billbot never answers it
    message.set_content(
        "billbot mail check: this message proves that mail arrives. It is deleted.\n"
    )
    return message
