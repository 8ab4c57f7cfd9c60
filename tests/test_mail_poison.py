"""One message cannot stop the mail, on the real servers: a new email whose long subject the
sender's client folded is answered (and so is the next contact in the same pass), an inbound
message that makes billbot raise is recorded as failed and not fetched again, and
`billbot outbox` shows an operator what is stuck."""

from __future__ import annotations

import email.policy
import email.utils
import json
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from mail import intake as mail_intake
from models.outbox import InboundMessage
from tests.servers.mailserver import MailServer
from tests.test_email_e2e import Site, client_reply, make_site
from tests.test_mail_resilience import rows

pytestmark = pytest.mark.servers

LONG_SUBJECT = (
    "Fwd: November pay application for Riverside Clinic east wing fit-out, Bolt Electric job "
    "22-114 (revised)"
)


def two_contact_site(server: MailServer, root: Path) -> tuple[Site, str]:
    """The DESIGN example with a second invoice contact, Lee, on SC-007."""
    lee = server.new_user("lee", "acme.test", "pw")

    def add_lee(data: dict[str, Any]) -> None:
        data["people"].append({"key": "lee", "company": "acme", "name": "Lee Watts", "email": lee})
        data["commitments"][0]["invoice_contacts"].append("lee")

    return make_site(server, root, edit=add_lee), lee


def unfolded(header: str) -> str:
    """imap-tools keeps a header's folding; RFC 5322 unfolding drops the line breaks."""
    return re.sub(r"\r?\n", "", header)


def new_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A new email (no thread, no token) as a client writes it; the policy folds the subject."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Sam Sparks <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain="acme.test")
    message.set_content(body)
    return message


def test_a_new_email_with_a_folded_subject_is_answered_and_so_is_the_next_contact(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    site, lee = two_contact_site(mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [lee_invite] = site.inbox(lee)

    message = new_message(site.sam, site.billing, LONG_SUBJECT, "INV-0042\n1: 50%")
    assert re.search(rb"Subject: Fwd: [^\r]*\r\n [^\r]*\(revised\)\r\n", message.as_bytes())
    mail_servers.send(message)
    mail_servers.send(client_reply(lee_invite, lee, "2: 1 unit"))
    site.cli("run", "--once")

    answer = site.inbox(site.sam, 2)[-1]
    assert unfolded(answer.subject) == (
        "Re: November pay application for Riverside Clinic east wing fit-out, Bolt Electric "
        "job 22-114 (revised)"
    )
    assert "line 1 (Conduit)" in answer.text
    lee_answer = site.inbox(lee, 2)[-1]
    assert unfolded(lee_answer.subject) == f"Re: {unfolded(lee_invite.subject)}"
    assert "line 2 (Panels)" in lee_answer.text
    assert site.cli("outbox").stdout.strip() == "No stuck or failed messages."


def test_an_inbound_message_that_raises_is_recorded_failed_and_the_next_goes_on(
    mail_servers: MailServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, lee = two_contact_site(mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    route = mail_intake.route_mail

    def route_or_raise(session, mail, **kwargs):  # type: ignore[no-untyped-def]
        if mail.sender == lee:  # a bug that only Lee's message meets
            raise ZeroDivisionError("division by zero")
        return route(session, mail, **kwargs)

    monkeypatch.setattr(mail_intake, "route_mail", route_or_raise)
    mail_servers.send(new_message(lee, site.billing, "our invoice", "2: 1 unit"))
    mail_servers.send(client_reply(invite, site.sam, "INV-0042\n1: 50%"))
    site.cli("run", "--once")
    site.cli("run", "--once")  # Lee's message is not fetched again

    outcomes = sorted((r.sender, r.outcome, r.reason) for r in rows(site, InboundMessage))
    failed = (lee, "failed", "ZeroDivisionError: division by zero")
    assert outcomes == sorted([failed, (site.sam, "processed", "via address")])
    [sorry] = site.inbox(lee, 2)[1:]
    assert "something went wrong on our side" in sorry.text
    assert "$" in site.inbox(site.sam, 2)[-1].text


def test_billbot_outbox_lists_what_is_stuck_and_retries_it(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    site, _lee = two_contact_site(mail_servers, tmp_path)
    site.env["BILLBOT_MAIL__SMTP_PORT"] = "1"  # nothing listens: every send fails
    site.cli("invite", "--period", "nov", "--commitment", "sc7")
    site.cli("run", "--once")

    listed = json.loads(site.cli("outbox", "--json").stdout)
    assert {row["kind"] for row in listed} == {"invite"} and len(listed) == 2
    assert all(row["attempts"] == 1 and row["status"] == "pending" for row in listed)
    assert all("connect" in (row["error"] or "").lower() for row in listed)
    text = site.cli("outbox").stdout
    assert "waiting, 1 attempt(s) so far" in text and "reason:" in text
    assert site.cli("outbox", "--failed").stdout.strip() == "No failed messages."

    site.env["BILLBOT_MAIL__SMTP_PORT"] = str(mail_servers.smtp_port)
    for row in listed:
        site.cli("outbox", "--retry", str(row["id"]))
    site.cli("run", "--once")
    assert len(site.inbox(site.sam)) == 1
    assert site.cli("outbox").stdout.strip() == "No stuck or failed messages."
