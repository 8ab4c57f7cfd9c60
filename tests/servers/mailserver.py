"""Dovecot (IMAP + LMTP) and an aiosmtpd SMTP server that delivers into it, for tests.

Everything lives in one temporary folder and listens on free loopback ports, so several
instances can run side by side and nothing on the host is touched.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import email.policy
import email.utils
import grp
import json
import os
import pwd
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session
from imap_tools import MailBoxUnencrypted, MailMessage

from tests.servers import worker_name

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
DOVECOT_CANDIDATES = ("dovecot", "/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


class MailServerError(Exception):
    """A test mail server could not be started or used."""


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def base_address(address: str, delimiter: str = "+") -> str:
    """`billing+tok@example.test` -> `billing@example.test` (lower-cased)."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at:
        return address.strip().lower()
    return f"{local.split(delimiter, 1)[0]}@{domain}".lower()


def find_dovecot() -> str | None:
    """Path of the dovecot binary, also looking in sbin folders missing from a user's PATH."""
    for candidate in DOVECOT_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _wait_for_greeting(port: int, prefix: bytes, timeout: float, alive: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                if sock.recv(512).startswith(prefix):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


@dataclass(frozen=True)
class Certificate:
    """A server certificate and its key (PEM files), e.g. issued by a test CA (trustme)."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


class Dovecot:
    """A private Dovecot 2.3 instance serving IMAP and LMTP from `root`.

    Each user has a passwd-file of its own (`users/<address>`), so users added while it runs
    are known at once. Mail survives `restart()`; ports stay the same.

    With `introspection_url`, XOAUTH2 / OAUTHBEARER sign-ins are checked by Dovecot's oauth2
    passdb, which POSTs the bearer token there (RFC 7662) and wants `active: true` and a
    `username` equal to the user signing in. With `certificate`, IMAP over TLS (`imaps_port`)
    is served too.
    """

    def __init__(
        self,
        root: Path,
        *,
        binary: str | None = None,
        introspection_url: str | None = None,
        certificate: Certificate | None = None,
    ) -> None:
        self.root = root
        self.binary = binary or find_dovecot()
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.imaps_port = free_port() if certificate else 0
        self.introspection_url = introspection_url
        self.certificate = certificate
        self.users: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self.config_path = root / "dovecot.conf"
        self.users_dir = root / "users"
        self.mail_root = root / "mail"
        self.log_path = root / "dovecot.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def add_user(self, address: str, password: str) -> None:
        """Create a mailbox user, also while running; `:`, `/` and newlines are not allowed."""
        address = address.lower()
        if any(c in address + password for c in ":/\n") or "@" not in address:
            raise ValueError(f"unusable address or password for a passwd-file: {address!r}")
        if self.users.get(address) == password:
            return
        if address in self.users and self.running:
            # Dovecot re-checks a passwd-file at most once a second: a changed password would
            # not be seen at once. New users are, because each has a file of its own.
            raise ValueError(f"cannot change the password of {address} while Dovecot runs")
        self.users[address] = password
        self.users_dir.mkdir(exist_ok=True)
        tmp = self.users_dir / f".{address}.tmp"
        tmp.write_text(f"{address}:{{PLAIN}}{password}::::::\n")
        tmp.replace(self.users_dir / address)

    def has_user(self, address: str) -> bool:
        return base_address(address) in self.users

    def start(self) -> None:
        if self.running:
            return
        if self.binary is None:
            raise MailServerError("dovecot is not installed (apt-get install dovecot-imapd)")
        self._prepare()
        log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        finally:
            log.close()
        atexit.register(self.stop)
        if not _wait_for_greeting(self.imap_port, b"* OK", START_TIMEOUT, lambda: self.running):
            self.stop()
            raise MailServerError(f"dovecot did not start: {self._log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _prepare(self) -> None:
        mail_user, login_user = _run_as()
        account = pwd.getpwnam(mail_user)
        self.root.chmod(0o755)
        self.mail_root.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(self.mail_root, account.pw_uid, account.pw_gid)
        self.users_dir.mkdir(exist_ok=True)
        self.config_path.write_text(
            self._config(mail_user, grp.getgrgid(account.pw_gid).gr_name, login_user)
        )

    def _oauth2_passdb(self) -> str:
        if self.introspection_url is None:
            return ""
        args = self.root / "dovecot-oauth2.conf.ext"
        args.write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self.introspection_url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
        )
        return f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {args}
}}
"""

    def _ssl(self) -> str:
        if self.certificate is None:
            return "ssl = no"
        return (
            f"ssl = yes\nssl_cert = <{self.certificate.cert_path}\n"
            f"ssl_key = <{self.certificate.key_path}"
        )

    def _config(self, mail_user: str, mail_group: str, login_user: str) -> str:
        root = self.root
        mechanisms = "xoauth2 oauthbearer plain login" if self.introspection_url else "plain login"
        return f"""\
protocols = imap lmtp
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
log_path = {self.log_path}
instance_name = billbot-test-{self.imap_port}
{self._ssl()}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
first_valid_uid = 1
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {mail_user}
default_internal_group = {mail_group}
mail_location = maildir:~/Maildir
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
mailbox_idle_check_interval = 1 secs
{self._oauth2_passdb()}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {self.users_dir}/%Lu
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={self.mail_root}/%Lu
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port}
    ssl = {"yes" if self.certificate else "no"}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {self.lmtp_port}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 200
}}
"""

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _run_as() -> tuple[str, str]:
    """(mail/internal user, login user): Dovecot's own accounts as root, else ourselves."""
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError as exc:
            raise MailServerError("system users dovecot/dovenull are missing") from exc
        return "dovecot", "dovenull"
    me = pwd.getpwuid(os.geteuid()).pw_name
    return me, me


class LmtpDeliveryHandler:
    """aiosmtpd handler: accepts mail for known users and hands it to Dovecot over LMTP."""

    def __init__(self, lmtp_port: int, is_known: Callable[[str], bool]) -> None:
        self.lmtp_port = lmtp_port
        self.is_known = is_known

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self.is_known(address):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        try:
            refused = await asyncio.to_thread(
                self._deliver, envelope.mail_from or "", list(envelope.rcpt_tos), content
            )
        except (OSError, smtplib.SMTPException) as exc:
            return f"451 4.3.0 Mailbox delivery failed: {exc}"
        if refused:
            # Recipients were checked at RCPT time, so a refusal here means Dovecot is unwell.
            return f"451 4.3.0 Mailbox refused some recipients: {refused}"
        return "250 2.0.0 Delivered"

    def _deliver(self, sender: str, recipients: list[str], content: bytes) -> dict[str, Any]:
        with smtplib.LMTP(HOST, self.lmtp_port, timeout=10) as lmtp:
            return dict(lmtp.sendmail(sender, recipients, content))


class SubmissionHandler(LmtpDeliveryHandler):
    """The submission port's handler: delivery as above, and SASL XOAUTH2 checked by POSTing
    the bearer token to the token server's introspection URL (as Dovecot's oauth2 passdb
    does). PLAIN and LOGIN are checked against the Dovecot users' passwords."""

    def __init__(
        self,
        lmtp_port: int,
        is_known: Callable[[str], bool],
        passwords: dict[str, str],
        introspection_url: str | None,
    ) -> None:
        super().__init__(lmtp_port, is_known)
        self.passwords = passwords
        self.introspection_url = introspection_url
        self.signed_in: list[tuple[str, str]] = []  # (mechanism, user)
        self.refused: list[tuple[str, str]] = []

    def authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode().lower(), data.password.decode()
        ok = self.passwords.get(user) == password
        (self.signed_in if ok else self.refused).append((mechanism, user))
        return AuthResult(success=ok, handled=False)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if self.introspection_url is None:
            return AuthResult(success=False, handled=False, message="504 5.5.4 No XOAUTH2 here")
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            assert isinstance(answer, bytes)
            blob = answer
        fields = dict(p.split("=", 1) for p in blob.decode().split("\x01") if "=" in p)
        user = fields.get("user", "").lower()
        token = fields.get("auth", "").removeprefix("Bearer ").strip()
        found = await asyncio.to_thread(self._introspect, token)
        if found.get("active") is True and str(found.get("username", "")).lower() == user:
            self.signed_in.append(("XOAUTH2", user))
            return AuthResult(success=True, auth_data=user)
        self.refused.append(("XOAUTH2", user))
        # RFC 7628 style: an error challenge, answered by an empty line, then the failure.
        error = '{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}'
        if await server.challenge_auth(error) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Token not accepted")

    def _introspect(self, token: str) -> dict[str, Any]:
        assert self.introspection_url is not None
        body = urllib.parse.urlencode({"token": token}).encode()
        with urllib.request.urlopen(self.introspection_url, body, timeout=10) as response:
            found = json.loads(response.read())
        return found if isinstance(found, dict) else {}


class SmtpServer:
    """An aiosmtpd controller (own thread) that can be stopped and restarted on its port.

    `auth_required` makes it a submission server (a SubmissionHandler checks sign-ins);
    `tls` offers STARTTLS with that server context.
    """

    def __init__(
        self,
        handler: LmtpDeliveryHandler,
        port: int | None = None,
        *,
        auth_required: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.handler = handler
        self.port = port or free_port()
        self.auth_required = auth_required
        self.tls = tls
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        options: dict[str, Any] = {}
        if self.auth_required and isinstance(self.handler, SubmissionHandler):
            options.update(
                auth_required=True,
                auth_require_tls=False,  # tests also sign in over plain text
                authenticator=self.handler.authenticator,
            )
        if self.tls is not None:
            options["tls_context"] = self.tls
        controller = Controller(
            self.handler,
            hostname=HOST,
            port=self.port,
            ready_timeout=START_TIMEOUT,
            enable_SMTPUTF8=True,
            **options,
        )
        try:
            controller.start()
        except Exception as exc:
            raise MailServerError(f"SMTP server did not start on port {self.port}: {exc}") from exc
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart(self) -> None:
        self.stop()
        self.start()


class MailServer:
    """Dovecot plus an SMTP front door, in a temporary folder; a context manager.

    `smtp` is the open door the world's mail comes in by (no sign-in). With `submission`,
    `introspection_url` (OAuth2) or `certificate` (TLS), a submission server that requires
    sign-in (`submission_port`) is started too: it is the one billbot sends through.
    """

    host = imap_host = smtp_host = lmtp_host = HOST

    def __init__(
        self,
        root: Path | None = None,
        *,
        submission: bool = False,
        introspection_url: str | None = None,
        certificate: Certificate | None = None,
    ) -> None:
        self._owns_root = root is None
        self.root = root or Path(tempfile.mkdtemp(prefix=f"billbot-mail-{worker_name()}-"))
        self.dovecot = Dovecot(
            self.root, introspection_url=introspection_url, certificate=certificate
        )
        self.smtp = SmtpServer(LmtpDeliveryHandler(self.dovecot.lmtp_port, self.dovecot.has_user))
        self.submission: SmtpServer | None = None
        if submission or introspection_url or certificate:
            handler = SubmissionHandler(
                self.dovecot.lmtp_port, self.dovecot.has_user, self.dovecot.users, introspection_url
            )
            tls = certificate.server_context() if certificate else None
            self.submission = SmtpServer(handler, auth_required=True, tls=tls)
        self._user_count = 0

    @property
    def submission_handler(self) -> SubmissionHandler:
        assert self.submission is not None
        handler = self.submission.handler
        assert isinstance(handler, SubmissionHandler)
        return handler

    @property
    def submission_port(self) -> int:
        assert self.submission is not None
        return self.submission.port

    @property
    def imaps_port(self) -> int:
        return self.dovecot.imaps_port

    @property
    def imap_port(self) -> int:
        return self.dovecot.imap_port

    @property
    def lmtp_port(self) -> int:
        return self.dovecot.lmtp_port

    @property
    def smtp_port(self) -> int:
        return self.smtp.port

    def add_user(self, address: str, password: str) -> None:
        """Create a mailbox user; works before and after `start()`."""
        self.dovecot.add_user(address, password)

    def new_user(
        self, local: str = "user", domain: str = "example.test", password: str = "pw"
    ) -> str:
        """Create a user with an address no other test uses (`local-N@domain`); returns it."""
        self._user_count += 1
        address = f"{local}-{self._user_count}@{domain}"
        self.add_user(address, password)
        return address

    def start(self) -> MailServer:
        self.dovecot.start()
        try:
            self.smtp.start()
            if self.submission is not None:
                self.submission.start()
        except MailServerError:
            self.smtp.stop()
            self.dovecot.stop()
            raise
        return self

    def stop(self) -> None:
        if self.submission is not None:
            self.submission.stop()
        self.smtp.stop()
        self.dovecot.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop both servers and delete the folder (mail included) if we created it."""
        self.stop()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, message: EmailMessage, *, to_addrs: list[str] | None = None) -> None:
        """Send through the SMTP server, as a mail client would (no auth, no TLS)."""
        with smtplib.SMTP(HOST, self.smtp_port, timeout=10) as smtp:
            smtp.send_message(message, to_addrs=to_addrs)

    def mailbox(self, user: str, password: str, folder: str = "INBOX") -> MailBoxUnencrypted:
        """A logged-in plain-IMAP imap-tools mailbox; use it as a context manager to log out."""
        return MailBoxUnencrypted(HOST, self.imap_port, timeout=10).login(user, password, folder)

    def billbot_env(
        self, *, billing: str, password: str, secret: str, root: Path, database_url: str = ""
    ) -> dict[str, str]:
        """The BILLBOT_* settings of a billbot whose mailbox `billing` lives on this server."""
        return {
            "BILLBOT_DATABASE_URL": database_url or f"sqlite:///{root / 'billbot.db'}",
            "BILLBOT_ATTACHMENTS_DIR": str(root / "files"),
            "BILLBOT_MAIL__ADDRESS": billing,
            "BILLBOT_MAIL__DISPLAY_NAME": "Summit Billing",
            "BILLBOT_MAIL__IMAP_HOST": self.imap_host,
            "BILLBOT_MAIL__IMAP_PORT": str(self.imap_port),
            "BILLBOT_MAIL__IMAP_USER": billing,
            "BILLBOT_MAIL__IMAP_PASSWORD": password,
            "BILLBOT_MAIL__IMAP_SECURITY": "none",
            "BILLBOT_MAIL__SMTP_HOST": self.smtp_host,
            "BILLBOT_MAIL__SMTP_PORT": str(self.smtp_port),
            "BILLBOT_MAIL__SMTP_SECURITY": "none",
            "BILLBOT_MAIL__SECRET": secret,
        }

    def oauth2_env(
        self, *, billing: str, token_url: str, client_id: str, client_secret: str | None
    ) -> dict[str, str]:
        """The settings that switch a billbot (`billbot_env`) to OAuth2 sign-in through the
        submission server, with the `generic` provider and this token endpoint."""
        env = {
            "BILLBOT_MAIL__AUTH": "oauth2",
            "BILLBOT_MAIL__IMAP_PASSWORD": "",
            "BILLBOT_MAIL__SMTP_PORT": str(self.submission_port),
            "BILLBOT_MAIL__SMTP_USER": billing,
            "BILLBOT_MAIL__OAUTH2__PROVIDER": "generic",
            "BILLBOT_MAIL__OAUTH2__TOKEN_URL": token_url,
            "BILLBOT_MAIL__OAUTH2__CLIENT_ID": client_id,
        }
        if client_secret is not None:
            env["BILLBOT_MAIL__OAUTH2__CLIENT_SECRET"] = client_secret
        return env

    def imap_fetch_all(
        self, user: str, password: str, *, folder: str = "INBOX", mark_seen: bool = False
    ) -> list[MailMessage]:
        """Every message in `folder`, oldest first."""
        with self.mailbox(user, password, folder) as box:
            return list(box.fetch(mark_seen=mark_seen, bulk=True))

    def wait_for_messages(
        self, user: str, password: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[MailMessage]:
        """Poll until `user`'s INBOX holds at least `count` messages, then return them all."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.imap_fetch_all(user, password)
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.1)


def make_message(*, sender: str, to: str, subject: str, body: str, **headers: str) -> EmailMessage:
    """A plain-text message, the way a mail client would build it."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2] or None)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message
