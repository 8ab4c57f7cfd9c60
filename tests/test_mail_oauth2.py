"""OAuth2 mailboxes against real servers: Dovecot's oauth2 passdb and an SMTP submission
server taking SASL XOAUTH2, both asking the test token server about each bearer token.

The conversation runs end to end under OAuth2; access tokens expire and are revoked while a
worker runs (nothing lost, nothing doubled); a wrong client secret is a clear error that
`mail check` reports and `run` retries with back-off; a rotated refresh token survives a
restart; `mail login` and `mail check` work with OAuth2 and with a password.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli import app
from bot.settings import Settings
from mail.worker import MailWorker
from models.db import make_engine
from models.mail_tokens import MailOAuthToken
from models.outbox import InboundMessage, OutboundMessage, OutboxStatus
from tests.servers.mailserver import MailServer
from tests.servers.tokenserver import DEVICE_GRANT, TokenServer
from tests.test_email_e2e import Site, client_reply, make_site, runner
from tests.test_mail_resilience import Recorder, rows, wait_for

pytestmark = pytest.mark.servers
WAIT = 20.0


def oauth_site(
    server: MailServer,
    tokens: TokenServer,
    root: Path,
    *,
    app: str,
    secret: str | None = "app-secret",
    registered_secret: str | None = "app-secret",
    rotate: bool = False,
) -> Site:
    """A billbot site whose billing mailbox signs in with OAuth2 (app `app`)."""
    site = make_site(server, root)
    tokens.add_client(app, registered_secret, [site.billing], rotate=rotate)
    site.env.update(
        server.oauth2_env(
            billing=site.billing, token_url=tokens.token_url, client_id=app, client_secret=secret
        )
    )
    return site


def settings_for(site: Site, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in site.env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def invoke(site: Site, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=site.env)
    return result.exit_code, result.output


def xoauth2_logins(server: MailServer, user: str) -> int:
    log = server.dovecot.log_path.read_text(errors="replace")
    return log.count(f"Login: user=<{user}>, method=XOAUTH2")


def test_conversation_end_to_end_with_oauth2_sign_in(
    oauth_mail_servers: MailServer, token_server: TokenServer, tmp_path: Path
) -> None:
    site = oauth_site(oauth_mail_servers, token_server, tmp_path, app="e2e-app")
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)

    answer = "Invoice number: INV-0042\n1: 50%\n2: 2 units"
    site.server.send(client_reply(invite, site.sam, answer))
    site.cli("run", "--once")
    review = site.inbox(site.sam, 2)[-1]
    assert "$10,935.00" in review.text

    site.server.send(client_reply(review, site.sam, "SEND"))
    site.cli("run", "--once")
    assert "Sent INV-0042 for review" in site.inbox(site.sam, 3)[-1].text
    assert site.invoices()[-1]["status"] == "under_review"
    assert len(site.inbox(site.jane)) == 1

    submission = oauth_mail_servers.submission_handler
    assert submission.signed_in.count(("XOAUTH2", site.billing)) == 3  # one session a run
    assert xoauth2_logins(oauth_mail_servers, site.billing) >= 3
    assert [r.outcome for r in token_server.requests("e2e-app")] == ["ok"] * 3


async def test_tokens_expired_and_revoked_mid_run_are_refreshed_nothing_lost_or_doubled(
    oauth_mail_servers: MailServer,
    token_server: TokenServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = "midrun-app"
    site = oauth_site(oauth_mail_servers, token_server, tmp_path, app=app)
    site.cli("invite", "--period", "nov")
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    worker = MailWorker(engine, settings_for(site, monkeypatch))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))

    async def drop_imap_session() -> None:
        # Dovecot checks a token at sign-in only: drop the session, as a NAT would, so the
        # worker signs in again with the token it has cached (once it has signed in at all).
        for _ in range(400):
            if worker.imap.box is not None:
                worker.imap.box.client.sock.shutdown(socket.SHUT_RDWR)
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the worker never signed in to IMAP")

    try:
        [invite] = await asyncio.to_thread(site.inbox, site.sam)
        assert token_server.expire_access_tokens(app) >= 1
        await drop_imap_session()
        answer = "Invoice number: INV-0042\n1: 50%\n2: 2 units"
        await asyncio.to_thread(site.server.send, client_reply(invite, site.sam, answer))
        review = (await asyncio.to_thread(wait_for, site, site.sam, 2))[-1]

        assert token_server.revoke_access_tokens(app) >= 1
        await drop_imap_session()
        await asyncio.to_thread(site.server.send, client_reply(review, site.sam, "SEND"))
        messages = await asyncio.to_thread(wait_for, site, site.sam, 3)
        await asyncio.to_thread(wait_for, site, site.jane, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)
        engine.dispose()

    assert "Sent INV-0042" in messages[-1].text
    assert len(site.server.imap_fetch_all(site.sam, "pw")) == 3  # nothing doubled
    assert len(site.server.imap_fetch_all(site.jane, "pw")) == 1
    assert [r.outcome for r in rows(site, InboundMessage)] == ["processed", "processed"]
    sent = rows(site, OutboundMessage)
    assert {r.status for r in sent} == {OutboxStatus.sent} and {r.attempts for r in sent} == {1}
    assert token_server.refused_introspections(app) >= 2  # the old tokens were refused...
    assert len(token_server.requests(app, outcome="ok")) >= 3  # ...and new ones fetched


def test_wrong_client_secret_mail_check_fails_with_the_fix(
    oauth_mail_servers: MailServer, token_server: TokenServer, tmp_path: Path
) -> None:
    site = oauth_site(
        oauth_mail_servers, token_server, tmp_path, app="bad-secret-app", secret="Zz9-wrong"
    )

    code, output = invoke(site, "mail", "check", "--wait", "5")

    assert code == 1, output
    assert "✗ OAuth2 token" in output and "invalid_client" in output
    assert "fix: the client secret is wrong" in output
    assert "Traceback" not in output and "Zz9-wrong" not in output
    assert "✓ IMAP connect" in output  # the steps before it passed


async def test_wrong_client_secret_worker_backs_off_and_keeps_every_message(
    oauth_mail_servers: MailServer,
    token_server: TokenServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = "backoff-app"
    site = oauth_site(oauth_mail_servers, token_server, tmp_path, app=app, secret="Zz9-wrong")
    site.cli("invite", "--period", "nov")  # one invite waits in the outbox
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    pauses: list[float] = []
    stop = asyncio.Event()

    async def pause(_stop: asyncio.Event, seconds: float) -> None:  # records, never sleeps
        pauses.append(seconds)
        if len(pauses) == 6:
            stop.set()
        await asyncio.sleep(0)

    seen = Recorder()
    logging.getLogger("mail").addHandler(seen)
    try:
        worker = MailWorker(engine, settings_for(site, monkeypatch), pause=pause)
        await asyncio.wait_for(worker.run_forever(stop), timeout=WAIT)
    finally:
        logging.getLogger("mail").removeHandler(seen)
        engine.dispose()

    assert pauses == [1, 2, 4, 8, 16, 32]  # exponential back-off, not a loop
    refused = token_server.requests(app, outcome="invalid_client")
    assert len(refused) == len(pauses) + 1  # one per IMAP attempt, one for the outbox pass
    [invite] = rows(site, OutboundMessage)
    assert invite.status == OutboxStatus.pending and invite.attempts == 0  # kept, not spent
    assert "BILLBOT_MAIL__OAUTH2__CLIENT_SECRET" in (invite.last_error or "")
    fix = "Fix: the client secret is wrong"
    assert any("IMAP sign-in" in m and fix in m for m in seen.messages)


def test_billbot_run_with_wrong_secret_logs_the_fix_not_a_traceback(
    oauth_mail_servers: MailServer, token_server: TokenServer, tmp_path: Path
) -> None:
    site = oauth_site(
        oauth_mail_servers, token_server, tmp_path, app="run-bad-app", secret="Zz9-wrong"
    )
    site.cli("invite", "--period", "nov")

    code, output = invoke(site, "run", "--once")

    assert code == 1  # the mailbox's pass failed: a script running `run --once` must see it
    assert "Fix: the client secret is wrong" in output
    assert "Traceback" not in output


def test_rotated_refresh_token_survives_a_restart(
    oauth_mail_servers: MailServer, token_server: TokenServer, tmp_path: Path
) -> None:
    app = "rotating-app"
    site = oauth_site(
        oauth_mail_servers,
        token_server,
        tmp_path,
        app=app,
        secret=None,
        registered_secret=None,
        rotate=True,
    )
    seed = token_server.issue_refresh_token(app, site.billing)
    site.env["BILLBOT_MAIL__OAUTH2__REFRESH_TOKEN"] = seed
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")  # spends the seed; its successor is kept in the database
    [invite] = site.inbox(site.sam)
    [kept] = token_server.live_refresh_tokens_of(app)
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    with Session(engine) as session:
        [row] = session.exec(select(MailOAuthToken)).all()
    engine.dispose()
    assert kept not in row.refresh_token  # encrypted

    site.server.send(client_reply(invite, site.sam, "Invoice number: INV-0042\n1: 50%"))
    site.cli("run", "--once")  # a new process: the seed is revoked, the kept token works

    assert len(site.inbox(site.sam, 2)) == 2
    used = [r.refresh_token for r in token_server.requests(app, "refresh_token")]
    assert used == [seed, kept]
    assert [r.outcome for r in token_server.requests(app)] == ["ok", "ok"]


def test_mail_login_then_mail_check_all_pass_with_oauth2(
    oauth_mail_servers: MailServer, token_server: TokenServer, tmp_path: Path
) -> None:
    app = "device-app"
    site = oauth_site(
        oauth_mail_servers, token_server, tmp_path, app=app, secret=None, registered_secret=None
    )
    site.env["BILLBOT_MAIL__OAUTH2__DEVICE_AUTHORIZATION_URL"] = token_server.device_url
    token_server.approve_devices_as(site.billing)  # the person signs in on their phone

    code, output = invoke(site, "mail", "login")

    assert code == 0, output
    assert "To sign in, open" in output and "enter the code" in output
    assert "refresh token for" in output
    polls = token_server.requests(app, DEVICE_GRANT)
    assert [p.outcome for p in polls] == ["authorization_pending", "ok"]

    code, output = invoke(site, "mail", "check", "--wait", "15")

    assert code == 0, output
    for step in ("IMAP DNS", "IMAP connect", "OAuth2 token", "IMAP sign-in", "IMAP IDLE"):
        assert f"✓ {step}" in output
    for step in ("SMTP DNS", "SMTP connect", "SMTP sign-in", "SMTP send", "Arrival"):
        assert f"✓ {step}" in output
    assert "(XOAUTH2)" in output and "sub-addressing works" in output
    assert "✗" not in output and "All " in output
    assert site.server.imap_fetch_all(site.billing, "pw") == []  # the check message is gone
    assert [r.grant_type for r in token_server.requests(app)][-1] == "refresh_token"


@pytest.fixture
def password_site(tmp_path: Path) -> Iterator[Site]:
    with MailServer(submission=True) as server:
        site = make_site(server, tmp_path)
        site.env.update(
            {
                "BILLBOT_MAIL__SMTP_PORT": str(server.submission_port),
                "BILLBOT_MAIL__SMTP_USER": site.billing,
                "BILLBOT_MAIL__SMTP_PASSWORD": "pw",
            }
        )
        yield site


def test_mail_check_all_pass_with_a_password(password_site: Site) -> None:
    code, output = invoke(password_site, "mail", "check", "--wait", "15")

    assert code == 0, output
    assert "✓ IMAP sign-in" in output and "(password)" in output
    assert "✓ SMTP sign-in" in output and "✓ Arrival" in output
    assert "✗" not in output
    assert "! IMAP TLS: off" in output  # a plain-text test server is a warning, not a failure


def test_mail_check_wrong_password_names_the_setting(password_site: Site) -> None:
    password_site.env["BILLBOT_MAIL__IMAP_PASSWORD"] = "not-the-password"

    code, output = invoke(password_site, "mail", "check", "--wait", "5")

    assert code == 1
    assert "✗ IMAP sign-in" in output and "BILLBOT_MAIL__IMAP_PASSWORD" in output
    assert "✓ SMTP sign-in" in output  # the SMTP side is still checked
