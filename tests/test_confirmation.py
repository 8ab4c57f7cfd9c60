"""When an invoice is sent: the contact's confirmation email with the invoice's PDF."""

from __future__ import annotations

import email
import email.policy
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.notify import sent_notifier
from bot.settings import Settings
from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from mail.compose import build_message
from mail.config import MailSettings
from mail.errors import ComposeError
from mail.sender import _render
from mail.tokens import find_tokens, read_token
from models.db import session_scope, write_transaction
from models.importer import import_text
from models.invitation import Invitation, get_or_create_invitation
from models.outbox import OutboundMessage
from models.tables import BillingPeriod, Commitment, Invoice, Person
from tests.reminder_data import three_contacts_text

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
MAIL = MailSettings(
    address="billing@summit.test",
    display_name="Summit Billing",
    imap_host="imap.invalid",
    smtp_host="smtp.invalid",
    secret="s3cret",
)
INVITE_ID = "<bbinvite.invite@summit.test>"


def send_invoice(engine: Engine, settings: Settings, channel: str) -> int:
    """Cat bills C-1 (SC-002, 50%) and sends it from `channel`; returns the invitation id."""
    import_text(engine, text=three_contacts_text())
    with session_scope(engine) as session:
        cat = session.exec(select(Person).where(Person.key == "cat")).one()
        commitment = session.exec(select(Commitment).where(Commitment.key == "c2")).one()
        period = session.exec(select(BillingPeriod)).one()
        assert cat.id and commitment.id and period.id
        invitation, _ = get_or_create_invitation(
            session,
            commitment_id=commitment.id,
            period_id=period.id,
            person_id=cat.id,
            expires_at=NOW.replace(month=12),
        )
        invitation.email_message_id = INVITE_ID
        key, person_id, invitation_id = (commitment.id, period.id), cat.id, invitation.id
    assert invitation_id is not None
    service = ConversationService(
        engine, outbox=MemoryOutbox(), clock=lambda: NOW, on_sent=sent_notifier(settings)
    )
    service.start(person_id=person_id, commitment_id=key[0], period_id=key[1], channel=channel)
    for text in ("C-1\n1: 50%", "none", "send"):
        service.handle(person_id=person_id, turn=Turn(text=text, channel=channel))
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "C-1")).one()
        assert invoice.status == "under_review", invoice.status
    return invitation_id


def emails(engine: Engine) -> dict[str, list[OutboundMessage]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboundMessage).where(OutboundMessage.channel == "email"))
        found: dict[str, list[OutboundMessage]] = {}
        for row in rows:
            found.setdefault(row.kind, []).append(row)
        return found


def test_an_invoice_sent_from_slack_is_confirmed_to_its_contact_with_the_pdf(
    engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(database_url="sqlite://", attachments_dir=tmp_path / "files", mail=MAIL)
    invitation_id = send_invoice(engine, settings, "slack")

    found = emails(engine)
    [confirmation] = found["confirmation"]
    assert len(found["notification"]) == 1  # the administrator's, as before
    assert confirmation.recipient == "cat@three.test"
    assert "C-1" in (confirmation.body_text or "") and "sent to Jane Doe for review" in (
        confirmation.body_text or ""
    )
    assert "$4,500.00" in (confirmation.body_text or "")  # 50% of 10,000 less 10% retainage
    data = confirmation.data()
    assert confirmation.subject == "Re: Harbor Tower: Jane Doe has invited you to bill."
    assert data["in_reply_to"] == INVITE_ID and INVITE_ID in data["references"]
    [token] = find_tokens(data["reply_to"])
    assert read_token(b"s3cret", token).invitation_id == invitation_id
    assert token in confirmation.message_id

    message = email.message_from_bytes(
        bytes(build_message(confirmation, MAIL, settings.attachments_dir)),
        policy=email.policy.default,
    )
    [pdf] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    reader = pypdf.PdfReader(io.BytesIO(pdf.get_content()))
    assert "$4,500.00" in reader.pages[0].extract_text()


def test_the_confirmation_is_queued_once_per_sending(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", attachments_dir=tmp_path / "files", mail=MAIL)
    send_invoice(engine, settings, "console")
    with session_scope(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "C-1")).one()
        sent_notifier(settings)(session, invoice, NOW)  # a retried hook
    found = emails(engine)
    assert len(found["confirmation"]) == 1 and len(found["notification"]) == 1


def test_an_invoice_sent_by_email_gets_no_second_confirmation_email(
    engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(database_url="sqlite://", attachments_dir=tmp_path / "files", mail=MAIL)
    send_invoice(engine, settings, "email")
    found = emails(engine)
    assert "confirmation" not in found and len(found["notification"]) == 1


def test_without_mail_nothing_is_emailed(engine: Engine, tmp_path: Path) -> None:
    send_invoice(engine, Settings(database_url="sqlite://", attachments_dir=tmp_path), "slack")
    assert emails(engine) == {}
    with Session(engine) as session:
        assert session.exec(select(Invitation)).one().email_message_id == INVITE_ID


def test_the_pdf_is_rendered_once_per_sending_after_the_turn_commits(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import models.pdf

    settings = Settings(database_url="sqlite://", attachments_dir=tmp_path / "files", mail=MAIL)
    render = models.pdf.render_invoice_pdf
    renders: list[bool] = []

    def counted(document: Any) -> bytes:
        with write_transaction(engine):  # would wait for the turn's write lock, were it held
            renders.append(True)
        return render(document)

    monkeypatch.setattr(models.pdf, "render_invoice_pdf", counted)
    send_invoice(engine, settings, "slack")
    found = emails(engine)
    attached = [
        row for kind in ("notification", "confirmation") for row in found[kind]
    ]  # both carry the PDF, rendered once
    assert renders == [True]
    for row in attached:
        message = email.message_from_bytes(
            bytes(build_message(row, MAIL, settings.attachments_dir)),
            policy=email.policy.default,
        )
        [pdf] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
        assert pdf.get_content().startswith(b"%PDF")


def test_a_pdf_not_rendered_before_a_crash_is_rendered_by_the_sender(
    engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(database_url="sqlite://", attachments_dir=tmp_path / "files", mail=MAIL)
    send_invoice(engine, settings, "slack")
    shutil.rmtree(settings.attachments_dir / "rendered")  # as if the process died at commit
    [confirmation] = emails(engine)["confirmation"]
    with pytest.raises(ComposeError):
        build_message(confirmation, MAIL, settings.attachments_dir)
    _render(engine, settings.attachments_dir, confirmation)
    message = email.message_from_bytes(
        bytes(build_message(confirmation, MAIL, settings.attachments_dir)),
        policy=email.policy.default,
    )
    [pdf] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert "$4,500.00" in pypdf.PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
