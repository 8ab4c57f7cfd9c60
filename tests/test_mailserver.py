"""The test mail servers themselves: SMTP in, LMTP into Dovecot, IMAP out."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from tests.servers.mailserver import MailServer, make_message

pytestmark = pytest.mark.servers


def test_plus_addressed_mail_lands_in_base_mailbox_with_to_header_kept(
    mail_servers: MailServer,
) -> None:
    billing = mail_servers.new_user("billing", "example.test", "pw-billing")
    plus = billing.replace("@", "+abc@")
    mail_servers.send(
        make_message(sender="sam@acme.test", to=plus, subject="Re: invite", body="1: 50%\n")
    )

    [received] = mail_servers.wait_for_messages(billing, "pw-billing")

    assert received.to == (plus,)
    assert received.subject == "Re: invite"
    assert received.text.strip() == "1: 50%"


def test_mail_to_a_plain_address_is_readable_over_imap(
    mail_servers: MailServer,
) -> None:
    sam = mail_servers.new_user("sam", "acme.test", "pw-sam")
    mail_servers.send(
        make_message(sender="billing@example.test", to=sam, subject="Invite", body="hello")
    )

    [received] = mail_servers.wait_for_messages(sam, "pw-sam")

    assert received.from_ == "billing@example.test"
    assert received.text.strip() == "hello"


def test_unknown_recipient_is_refused_with_550(mail_servers: MailServer) -> None:
    message = make_message(sender="a@acme.test", to="nobody@example.test", subject="x", body="y")

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mail_servers.send(message)

    assert refused.value.recipients["nobody@example.test"][0] == 550


def _note(subject: str) -> EmailMessage:
    return make_message(
        sender="s@acme.test", to="billing@example.test", subject=subject, body="text"
    )


def test_restart_keeps_mail_and_ports(isolated_mail_servers: MailServer) -> None:
    server = isolated_mail_servers
    server.add_user("billing@example.test", "pw")
    server.send(_note("before"))
    server.wait_for_messages("billing@example.test", "pw")
    ports = (server.imap_port, server.smtp_port, server.lmtp_port)

    server.restart()
    server.send(_note("after"))

    received = server.wait_for_messages("billing@example.test", "pw", 2)
    assert [m.subject for m in received] == ["before", "after"]
    assert (server.imap_port, server.smtp_port, server.lmtp_port) == ports


def test_smtp_down_refuses_connections_until_restarted(
    isolated_mail_servers: MailServer,
) -> None:
    server = isolated_mail_servers
    server.add_user("billing@example.test", "pw")
    message = _note("x")

    server.smtp.stop()
    with pytest.raises(ConnectionRefusedError):
        server.send(message)
    server.smtp.start()
    server.send(message)

    assert len(server.wait_for_messages("billing@example.test", "pw")) == 1


def test_dovecot_down_makes_smtp_answer_temporary_failure(
    isolated_mail_servers: MailServer,
) -> None:
    server = isolated_mail_servers
    server.add_user("billing@example.test", "pw")
    message = _note("x")

    server.dovecot.stop()
    with pytest.raises(smtplib.SMTPDataError) as failed:
        server.send(message)

    assert failed.value.smtp_code == 451


def test_imap_idle_reports_new_mail(mail_servers: MailServer) -> None:
    billing = mail_servers.new_user("idle", "example.test", "pw")

    with mail_servers.mailbox(billing, "pw") as box:
        box.idle.start()
        mail_servers.send(make_message(sender="s@acme.test", to=billing, subject="x", body="y"))
        responses = box.idle.poll(timeout=5)
        box.idle.stop()

    assert any(b"EXISTS" in response for response in responses)
