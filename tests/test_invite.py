"""`bot.invite.invite`: one invitation per contact, queued on the configured channels."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import bot.invite
from bot.invite import InviteError, invite
from bot.settings import Settings, SlackSettings
from mail.config import MailSettings
from mail.tokens import find_tokens, read_token
from models.importer import import_file
from models.invitation import Invitation
from models.outbox import OutboundMessage
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceStatus
from tests.import_helpers import write_json
from tests.test_email_e2e import shifted_example

NOW = datetime.now(UTC)
MAIL = MailSettings(
    address="billing@summit.test",
    display_name="Summit Billing",
    imap_host="imap.invalid",
    smtp_host="smtp.invalid",
    secret="s3cret",
)


@pytest.fixture(autouse=True)
def attachments_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The invites' calendar files go to this test's folder, not to the shared `var/`."""
    monkeypatch.setenv("BILLBOT_ATTACHMENTS_DIR", str(tmp_path / "files"))


@pytest.fixture
def example(engine: Engine, tmp_path: Path) -> Engine:
    data = shifted_example({"sam": "sam@acme.test", "jane": "jane@summit.test"})
    import_file(engine, path=write_json(tmp_path / "ex.json", data))
    return engine


def settings(**changes: Any) -> Settings:
    return Settings(database_url="sqlite://", mail=changes.pop("mail", MAIL), **changes)


def invites(engine: Engine) -> list[OutboundMessage]:
    with Session(engine) as session:
        statement = select(OutboundMessage).where(OutboundMessage.kind == "invite")
        return list(session.exec(statement))


def test_invite_queues_one_email_per_contact_with_a_signed_reply_address(example: Engine) -> None:
    summary = invite(example, settings(), period_key="nov", now=NOW)

    assert summary.invited == ["SC-007 Sam Sparks <sam@acme.test>: email"]
    [row] = invites(example)
    payload = row.data()
    assert row.subject == "Harbor Tower: Jane Doe has invited you to bill."
    assert row.recipient == "sam@acme.test" and row.status == "pending"
    [token] = find_tokens(payload["reply_to"])
    assert payload["reply_to"] == f"billing+{token}@summit.test"
    assert token in row.message_id and row.message_id in payload["references"]
    assert payload["auto_submitted"] == "auto-generated"
    with Session(example) as session:
        [invitation] = session.exec(select(Invitation)).all()
    assert read_token(b"s3cret", token).invitation_id == invitation.id
    assert invitation.email_message_id == row.message_id
    assert "Invoice number: INV-0042\n1: \n2: \n" in row.body_text
    # no `send` row: a template copied above the quote gets a review to check first
    assert "\nsend" not in row.body_text
    assert row.body_html and "text-align:right" in row.body_html


def test_running_invite_again_sends_nothing_unless_resend(example: Engine) -> None:
    invite(example, settings(), period_key="nov", now=NOW)
    again = invite(example, settings(), period_key="nov", now=NOW)
    assert again.invited == [] and again.skipped == ["SC-007 Sam Sparks <sam@acme.test>"]
    invite(example, settings(), period_key="nov", commitment_key="SC-007", now=NOW, resend=True)

    rows = invites(example)
    assert len(rows) == 2 and rows[0].message_id != rows[1].message_id


def test_unknown_period_or_commitment_or_no_channel_is_an_error(example: Engine) -> None:
    with pytest.raises(InviteError, match="no billing period"):
        invite(example, settings(), period_key="jan", now=NOW)
    with pytest.raises(InviteError, match="no commitment"):
        invite(example, settings(), period_key="nov", commitment_key="SC-999", now=NOW)
    with pytest.raises(InviteError, match="no channel"):
        invite(example, settings(mail=MailSettings()), period_key="nov", now=NOW)
    assert invites(example) == []


def test_slack_invite_hook_is_called_only_when_slack_is_configured(
    example: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    called: list[int | None] = []

    def fake(session: Session, *, invitation: Invitation, settings: Settings) -> bool:
        called.append(invitation.id)
        return True

    monkeypatch.setattr(bot.invite, "queue_slack_invite", fake)
    invite(example, settings(), period_key="nov", now=NOW)
    assert called == []

    slack = SlackSettings(bot_token="xoxb-test")
    summary = invite(example, settings(slack=slack), period_key="nov", now=NOW)
    assert len(called) == 1 and summary.invited == ["SC-007 Sam Sparks <sam@acme.test>: slack"]


def test_invite_summary_lines_are_printable(example: Engine) -> None:
    summary = invite(example, settings(), period_key="nov", now=NOW)
    assert json.dumps(summary.lines())


def november_invoice(commitment_id: int, period_id: int, status: InvoiceStatus) -> Invoice:
    return Invoice(
        commitment_id=commitment_id,
        period_id=period_id,
        number="INV-0042",
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


def test_nobody_is_invited_to_an_invoice_they_can_no_longer_change(example: Engine) -> None:
    """October's INV-0041 is approved; November after its due date has no invoice to finish,
    and a draft there can still be sent (DESIGN §1), so its contact is invited to it."""
    october = invite(example, settings(), period_key="oct", now=NOW)
    assert october.invited == [] and october.lines() == [
        "not invited: SC-007: invoice INV-0041 is approved"
    ]
    with Session(example) as session:
        nov = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
        sc7 = session.exec(select(Commitment)).one()
    assert sc7.id is not None and nov.id is not None
    late = datetime.combine(nov.due_date + timedelta(days=2), time(12), tzinfo=UTC)
    after = invite(example, settings(), period_key="nov", now=late)
    assert after.lines() == [
        f"not invited: SC-007: the due date of period nov, {nov.due_date}, has passed, and a "
        "new invoice cannot be started after it"
    ]
    assert invites(example) == []
    with Session(example) as session:
        session.add(november_invoice(sc7.id, nov.id, InvoiceStatus.draft))
        session.commit()
    draft = invite(example, settings(), period_key="nov", now=late)
    assert draft.invited == ["SC-007 Sam Sparks <sam@acme.test>: email"]


def test_nobody_is_invited_to_a_draft_a_later_invoice_billed_past(example: Engine) -> None:
    """October's draft cannot be sent once November's invoice was: it billed the work to date
    without October (the conversation refuses the send; the invite does not ask for it)."""
    with Session(example) as session:
        october = session.exec(select(Invoice)).one()
        nov = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
        october.status = InvoiceStatus.draft
        session.add(october)
        assert nov.id is not None
        session.add(november_invoice(october.commitment_id, nov.id, InvoiceStatus.under_review))
        session.commit()
    summary = invite(example, settings(), period_key="oct", now=NOW)
    assert summary.invited == [] and summary.lines() == [
        "not invited: SC-007: invoice INV-0042 of a later period was already sent"
    ]
    assert invites(example) == []
