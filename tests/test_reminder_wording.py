"""What a reminder says, by email and on Slack: not started vs a saved draft, how soon, and a
Reply-To that continues the same invoice."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from bot.settings import Settings, SlackSettings
from bot.slack.blocks import read_value
from bot.slack.reminder import queue_slack_reminder
from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from mail.config import MailSettings
from mail.inbound import InboundMail
from mail.reminder import queue_reminder_email
from mail.routing import Route, route_mail
from models.db import session_scope
from models.importer import import_text
from models.invitation import Invitation, record_bounce
from models.outbox import OutboundMessage, OutboxStatus, claim_due
from models.reminders import queue_due_reminders, when_text
from models.tables import Commitment, Invoice, InvoiceStatus, Person
from tests.reminder_data import three_contacts

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
BILLING = date(2026, 11, 25)
MAIL = MailSettings(
    address="billing@summit.test",
    display_name="Summit Billing",
    imap_host="imap.invalid",
    smtp_host="smtp.invalid",
    secret="s3cret",
)
SETTINGS = Settings(
    database_url="sqlite://",
    mail=MAIL,
    slack=SlackSettings(bot_token=SecretStr("xoxb-test"), signing_secret=SecretStr("shh")),
)


@pytest.fixture
def site(sqlite_engine: Engine) -> Engine:
    data = three_contacts()
    for person in data["people"]:
        if person["key"] in ("bob", "cat"):
            person["slack_user_id"] = f"U0{person['key'].upper()}"
    import_text(sqlite_engine, text=json.dumps(data))
    return sqlite_engine


def remind(engine: Engine, offset: int) -> dict[str, dict[str, OutboundMessage]]:
    """Queue the reminders `offset` days before billing: {person key: {channel: row}}."""
    with session_scope(engine) as session:
        due = queue_due_reminders(session, today=BILLING - timedelta(days=offset), offsets=[offset])
        for reminder in due:
            queue_reminder_email(session, reminder=reminder, settings=MAIL, now=NOW)
            queue_slack_reminder(session, reminder=reminder, settings=SETTINGS)
    with Session(engine) as session:
        people = session.exec(select(Person)).all()
        keys = {p.email: p.key for p in people} | {p.slack_user_id: p.key for p in people}
        found: dict[str, dict[str, OutboundMessage]] = {}
        for row in session.exec(select(OutboundMessage)):
            found.setdefault(keys[row.recipient], {})[row.channel] = row
        return found


def slack_text(row: OutboundMessage) -> str:
    data = row.data()
    return data["text"] + "\n" + json.dumps(data["blocks"])


def buttons(row: OutboundMessage) -> list[dict[str, Any]]:
    return [
        element
        for block in row.data()["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_not_started_email_is_the_invite_under_a_reminder_line(site: Engine) -> None:
    cat = remind(site, 3)["cat"]["email"]
    text = cat.body_text or ""
    assert cat.subject == "Reminder: Harbor Tower: Jane Doe has invited you to bill."
    assert text.startswith("Hi Cat,\n\nA reminder: we have not received your invoice for ")
    assert "SC-002 Trade 2 yet. The billing date is in 3 days (Nov 25, 2026)" in text
    assert "invoices are due by Nov 30, 2026." in text
    assert "Schedule of values:" in text and "Work" in text and "$10,000.00" in text
    assert text.rstrip().endswith("Invoice number: INV-0001\n1:")
    assert "\nsend" not in text  # adding it is the contact's choice
    html = cat.body_html or ""
    assert html.index("A reminder") < html.index("<table")
    assert "still a draft" not in text


def test_draft_email_says_still_a_draft_with_its_current_payment_due(site: Engine) -> None:
    bob = remind(site, 3)["bob"]["email"]
    text = bob.body_text or ""
    assert bob.subject == "Reminder: Harbor Tower: invoice B-1 is still a draft"
    assert "Your invoice B-1 for SC-001 Trade 1 on Harbor Tower is saved as a draft" in text
    assert "Current payment due on the draft: $2,250.00." in text
    assert "8. Current payment due" in text  # the G702 totals
    assert "reply to this email with the word send" in text and "(for example 1: 60%)" in text
    assert "answer template" not in text and "`" not in text


@pytest.mark.parametrize(("offset", "words"), [(3, "in 3 days"), (1, "tomorrow"), (0, "today")])
def test_how_soon_the_billing_date_is(site: Engine, offset: int, words: str) -> None:
    assert when_text(offset) == words
    rows = remind(site, offset)
    assert set(rows) == {"bob", "cat"}  # Ann has sent hers
    for channels in rows.values():
        assert f"The billing date is {words} (Nov 25, 2026)" in (channels["email"].body_text or "")
        assert f"The billing date is *{words}* (Nov 25, 2026)" in slack_text(channels["slack"])


def test_slack_reminders_offer_to_start_or_continue_that_invoice(site: Engine) -> None:
    rows = remind(site, 1)
    draft, nothing = rows["bob"]["slack"], rows["cat"]["slack"]
    assert "B-1" in draft.data()["text"] and "$2,250.00" in draft.data()["text"]
    assert "saved as a draft but has not been sent yet" in slack_text(draft)
    assert "Current payment due on the draft: *$2,250.00*" in slack_text(draft)
    assert "have not received your invoice" in slack_text(nothing)
    assert "still a draft" not in slack_text(nothing)
    with Session(site) as session:
        commitments = {c.key: c.id for c in session.exec(select(Commitment))}
    [continue_] = buttons(draft)
    [start] = buttons(nothing)
    assert continue_["text"]["text"] == "Continue invoice"
    assert start["text"]["text"] == "Start invoice"
    assert read_value(continue_["value"])[1] == (commitments["c1"], 1)
    assert read_value(start["value"])[1] == (commitments["c2"], 1)


def inbound(row: OutboundMessage, sender: str, *, keep_plus_tag: bool) -> InboundMail:
    """An answer to `row` as a mail client sends it (some drop the Reply-To's plus-tag)."""
    data = row.data()
    to = data["reply_to"] if keep_plus_tag else MAIL.address
    return InboundMail(
        external_id="<answer@two.test>",
        sender=sender,
        subject=f"Re: {row.subject}",
        in_reply_to=row.message_id,
        references=(*data["references"], row.message_id),
        recipients=(to or "",),
        text="send",
    )


@pytest.mark.parametrize("keep_plus_tag", [True, False])
def test_answering_a_draft_reminder_continues_and_sends_that_invoice(
    site: Engine, keep_plus_tag: bool
) -> None:
    bob = remind(site, 3)["bob"]["email"]
    with Session(site) as session:
        route = route_mail(
            session,
            inbound(bob, "bob@two.test", keep_plus_tag=keep_plus_tag),
            settings=MAIL,
            now=NOW,
        )
        draft = session.exec(select(Invoice).where(Invoice.number == "B-1")).one()
    assert isinstance(route, Route)
    assert route.via == ("address" if keep_plus_tag else "references")
    assert (route.commitment_id, route.period_id) == (draft.commitment_id, draft.period_id)
    assert route.person.id is not None

    service = ConversationService(site, outbox=MemoryOutbox(), clock=lambda: NOW)
    result = service.handle(
        person_id=route.person.id,
        turn=Turn(text="send", channel="email"),
        commitment_id=route.commitment_id,
        period_id=route.period_id,
    )
    assert any("Sent B-1" in (reply.text or "") for reply in result.replies), result.replies
    with Session(site) as session:
        assert session.get(Invoice, draft.id).status == "under_review"  # type: ignore[union-attr]


def test_each_reminder_is_queued_once(site: Engine) -> None:
    assert len(remind(site, 3)) == 2
    with session_scope(site) as session:
        assert queue_due_reminders(session, today=BILLING - timedelta(days=3), offsets=[3]) == []
    with Session(site) as session:
        assert len(session.exec(select(OutboundMessage)).all()) == 4


def test_a_reminder_queued_before_the_invoice_was_sent_is_dropped_not_delivered(
    site: Engine,
) -> None:
    """`billbot remind` queued Bob's "still a draft" reminder; he sent B-1 before the sender
    delivered it (a mail server down, a retry's back-off): it is never said, by either
    channel, while the others' go out."""
    queued = remind(site, 3)
    with session_scope(site) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "B-1")).one()
        invoice.status = InvoiceStatus.under_review
    with session_scope(site) as session:
        claimed = {
            row.id
            for channel in ("email", "slack")
            for row in claim_due(
                session, channel=channel, now=datetime.now(UTC) + timedelta(hours=1)
            )
        }
    bobs = {row.id for row in queued["bob"].values()}
    others = {row.id for key, rows in queued.items() if key != "bob" for row in rows.values()}
    assert bobs and not bobs & claimed and others <= claimed
    with Session(site) as session:
        for row_id in bobs:
            row = session.get(OutboundMessage, row_id)
            assert row is not None and row.status == OutboxStatus.dropped


def test_no_reminder_email_to_an_address_whose_invite_bounced(site: Engine) -> None:
    """The invite to Cat came back undelivered (`mail.intake` records the bounce on the
    invitation): reminding her at that address again only bounces again. Bob, on Slack too,
    still gets his Slack reminder; the others their email."""
    remind(site, 7)  # creates the invitations (and the reminders of that day)
    with session_scope(site) as session:
        for person in session.exec(select(Person).where(col(Person.key).in_(["cat", "bob"]))):
            invitation = session.exec(
                select(Invitation).where(Invitation.person_id == person.id)
            ).one()
            record_bounce(
                session,
                invitation,
                address=person.email or "",
                diagnostic="550 5.1.1 user unknown",
                now=NOW,
            )
    with session_scope(site) as session:
        session.exec(delete(OutboundMessage))  # type: ignore[call-overload]
    found = remind(site, 3)
    assert "email" not in found.get("cat", {}) and "email" not in found["bob"]
    assert "slack" in found["bob"]
    assert all("email" in channels for key, channels in found.items() if key not in ("bob", "cat"))
