"""Reminders end to end (issue 6's Done-when), against real servers: Dovecot + SMTP for email
and the Slack emulator, driven through the `billbot` command line as an operator would.

One period, three commitments and three contacts: Ann has sent A-1, Bob has a draft B-1,
Cat has done nothing. Three days before the billing date Bob and Cat are reminded, once.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdf
import pytest
from imap_tools import MailMessage
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from bot.cli import app
from bot.slack.reminder import queue_slack_reminder
from conversations.plaintext import G702_LABELS
from models.db import session_scope
from models.money import format_money
from models.reminders import queue_due_reminders
from tests.import_helpers import write_json
from tests.reminder_data import three_contacts
from tests.servers.mailserver import MailServer
from tests.slack_emulator import SlackEmulator
from tests.test_slack_support import SECRET as SLACK_SECRET
from tests.test_slack_support import Harness, has_button, running

pytestmark = pytest.mark.servers

runner = CliRunner()
SECRET = "test-secret-for-tokens"


def cli(env: dict[str, str], *args: str) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def inbox(server: MailServer, user: str, count: int) -> list[MailMessage]:
    messages = server.wait_for_messages(user, "pw", count, timeout=10)
    assert len(messages) == count, [m.subject for m in messages]
    return messages


def g702_amounts(page: str) -> dict[str, str]:
    """The amount printed under each G702 label on the PDF's first page (`$1,234.56`)."""
    rows = [row.strip() for row in page.splitlines()]
    found = {}
    for key, label in G702_LABELS:
        start = next(i for i, row in enumerate(rows) if row.startswith(label.split(",")[0]))
        found[key] = next(row for row in rows[start + 1 :] if row.startswith("$"))
    return found


def test_reminders_reach_mailboxes_and_slack_once_and_the_sent_pdf_ties_out(
    mail_servers: MailServer, slack_emulator: SlackEmulator, tmp_path: Path
) -> None:
    server = mail_servers
    billing = server.new_user("billing", "summit.test", "pw")
    ann, bob, cat = (server.new_user(n, f"{n}.test", "pw") for n in ("ann", "bob", "cat"))
    # Far from the real date, so the reminder worker of `run --once` (real clock) adds nothing.
    billing_date = datetime.now(UTC).date() + timedelta(days=40)
    data = three_contacts(
        billing_date=billing_date.isoformat(),
        due_date=(billing_date + timedelta(days=5)).isoformat(),
        emails=(ann, bob, cat),
    )
    slack_ids = {"bob": "U0BOB", "cat": "U0CAT"}
    for person in data["people"]:
        if person["key"] in slack_ids:
            person["slack_user_id"] = slack_ids[person["key"]]
            slack_emulator.add_user(slack_ids[person["key"]], person["email"], person["name"])
    env = {
        **server.billbot_env(
            billing=billing,
            password="pw",
            secret=SECRET,
            root=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'billbot.db'}",
        ),
        "BILLBOT_SLACK__BOT_TOKEN": slack_emulator.bot_token,
        "BILLBOT_SLACK__SIGNING_SECRET": SLACK_SECRET,  # HTTP mode needs one to start
        "BILLBOT_SLACK__API_URL": slack_emulator.base_url,
        "BILLBOT_SLACK__PORT": "0",
    }
    cli(env, "import", str(write_json(tmp_path / "import.json", data)))

    today = (billing_date - timedelta(days=3)).isoformat()
    queued = cli(env, "remind", "--today", today)
    assert "Queued 2 reminders (1 about a draft not yet sent): 2 by email, 2 on Slack." in queued
    assert "No reminders due." in cli(env, "remind", "--today", today)

    cli(env, "run", "--once")

    [draft] = inbox(server, bob, 1)
    assert "B-1 is still a draft" in draft.subject
    assert "saved as a draft but has not been sent" in draft.text
    assert "in 3 days" in draft.text and "$2,250.00" in draft.text  # current payment due
    assert "reply to this email with the word send" in draft.text
    assert f"{billing.split('@')[0]}+bb" in str(draft.obj["Reply-To"])
    [nothing] = inbox(server, cat, 1)
    assert nothing.subject.startswith("Reminder: Harbor Tower:")
    assert "have not received your invoice" in nothing.text and "in 3 days" in nothing.text
    assert "Schedule of values" in nothing.text and "---- answer template ----" in nothing.text
    assert "Invoice number:" in nothing.text and "1: " in nothing.text
    assert inbox(server, ann, 0) == []

    bob_dm = slack_emulator.messages_to("U0BOB")
    cat_dm = slack_emulator.messages_to("U0CAT")
    assert [len(bob_dm), len(cat_dm)] == [1, 1]
    assert "B-1" in bob_dm[0]["text"] and "draft" in bob_dm[0]["text"]
    assert "$2,250.00" in json.dumps(bob_dm[0]["blocks"])
    assert has_button(bob_dm[0], "start") and has_button(cat_dm[0], "start")
    posts = slack_emulator.calls_to("chat.postMessage")
    assert {p["channel"] for p in posts} == {
        slack_emulator.dm_channel("U0BOB"),
        slack_emulator.dm_channel("U0CAT"),
    }

    cli(env, "run", "--once")  # nothing is delivered twice
    assert len(inbox(server, bob, 1)) == 1 and len(inbox(server, cat, 1)) == 1
    assert len(slack_emulator.calls_to("chat.postMessage")) == 2

    pdf_path = tmp_path / "a-1.pdf"
    cli(env, "export", "A-1", "--format", "pdf", "--output", str(pdf_path))
    reader = pypdf.PdfReader(io.BytesIO(pdf_path.read_bytes()))
    [sent] = [i for i in json.loads(cli(env, "invoices", "--json")) if i["number"] == "A-1"]
    printed = g702_amounts(reader.pages[0].extract_text())
    expected = {key: f"${format_money(Decimal(v))}" for key, v in sent["totals"].items()}
    assert printed == expected
    assert sent["totals"]["current_payment_due"] == "900.00"


async def test_the_slack_reminder_button_starts_that_invoice(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        due = remind_on_slack(h, date(2026, 11, 22))
        assert [(r.offset_days, r.invoice_id) for r in due] == [(3, None), (3, None)]
        await h.settle()
        [dm] = h.messages("U0SAM")
        assert "SC-007 Electrical" in dm["text"] or "SC-007" in json.dumps(dm["blocks"])
        assert "in 3 days" in json.dumps(dm["blocks"])

        await h.click("U0SAM", dm, "start")
        asked = h.messages("U0SAM")[-1]
        assert "invoice number" in asked["text"] and "INV-0042" in asked["text"]
    assert h.pending_or_failed() == []


def remind_on_slack(h: Harness, today: date) -> list[Any]:
    """Record the reminders due on `today` and queue the Slack DMs of those known on Slack."""
    with session_scope(h.engine) as session:
        due = queue_due_reminders(session, today=today, offsets=(3, 1, 0))
        for reminder in due:
            queue_slack_reminder(session, reminder=reminder, settings=h.settings)
    return due
