"""The administrator's review across channels, end to end (issue 10's "Done when"): one billbot
with email (the real mail servers) and Slack (the emulator) both configured. Sam, the contact,
answers by email; Jane, the administrator, returns the invoice by email and approves it with
the Approve button of her Slack review DM."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from imap_tools import MailMessage

from bot.runtime import build_workers, run_forever
from bot.settings import Settings
from bot.slack.notify import APPROVE, RETURN
from bot.slack.worker import SlackWorker
from models.db import make_engine
from tests.servers.mailserver import MailServer
from tests.slack_emulator import SlackEmulator
from tests.test_email_e2e import Site, client_reply, make_site
from tests.test_review_e2e import (
    admin_reply,
    december_previous,
    newest,
    nov_invoice,
    send_invoice,
    unfolded,
    with_december,
)
from tests.test_slack_support import SECRET, Harness, eventually, has_button

pytestmark = pytest.mark.servers


@pytest.fixture
def slack(slack_emulator: SlackEmulator) -> SlackEmulator:
    return slack_emulator


@pytest.fixture
def site(mail_servers: MailServer, slack: SlackEmulator, tmp_path: Path) -> Iterator[Site]:
    """The DESIGN example with a December, Jane on Slack as U0JANE; email and Slack set up."""

    def edit(data: dict[str, Any]) -> None:
        with_december(data)
        [jane] = [p for p in data["people"] if p["key"] == "jane"]
        jane["slack_user_id"] = "U0JANE"

    site = make_site(
        mail_servers,
        tmp_path,
        edit=edit,
        BILLBOT_SLACK__BOT_TOKEN=slack.bot_token,
        BILLBOT_SLACK__SIGNING_SECRET=SECRET,
        BILLBOT_SLACK__API_URL=slack.base_url,
        BILLBOT_SLACK__PORT="0",
    )
    slack.add_user("U0JANE", site.jane, "Jane Doe")
    slack.add_user("U0SAM", site.sam, "Sam Sparks")
    yield site


@contextlib.asynccontextmanager
async def billbot_running(site: Site, slack: SlackEmulator) -> AsyncIterator[Harness]:
    """`billbot run` of the site, in this process: every configured worker (email, Slack,
    reminders) built by the composition root from the site's settings and run together by
    `bot.runtime.run_forever`, Slack served over HTTP for the signed requests."""
    with mock.patch.dict(os.environ, site.env):
        settings = Settings()
    engine = make_engine(settings.database_url)
    workers = build_workers(engine, settings)
    assert sorted(w.name for w in workers) == ["mail", "reminders", "slack"]
    [worker] = [w for w in workers if isinstance(w, SlackWorker)]
    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(workers, stop))
    try:
        assert await eventually(lambda: worker.port is not None or task.done(), timeout=10)
        assert not task.done() and worker.port is not None
        url = f"http://127.0.0.1:{worker.port}/slack/events"
        yield Harness(slack, engine, settings, worker, url)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
        engine.dispose()


def approve_on_slack(site: Site, slack: SlackEmulator, dm: dict[str, Any], sam: int) -> MailMessage:
    """Jane presses Approve on the review DM `dm` while billbot runs; returns Sam's email
    number `sam`, delivered by the same process's mail worker (after which nothing waits)."""

    async def press() -> MailMessage:
        async with billbot_running(site, slack) as h:
            response = await h.click("U0JANE", dm, APPROVE)
            assert response.status == 200
            told = await asyncio.to_thread(newest, site, site.sam, sam)
            assert await eventually(lambda: not h.pending_or_failed())
            return told

    return asyncio.run(press())


def review_dms(slack: SlackEmulator) -> list[dict[str, Any]]:
    """Jane's Slack review DMs (top-level messages, as they are now)."""
    return [m for m in slack.messages_to("U0JANE") if "sent invoice INV-0042" in m["text"]]


def thread_of(slack: SlackEmulator, dm: dict[str, Any]) -> list[str]:
    return [m["text"] for m in slack.messages_to("U0JANE") if m.get("thread_ts") == dm["ts"]]


def as_it_is_now(slack: SlackEmulator, dm: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in slack.messages_to("U0JANE") if m["ts"] == dm["ts"])


def context_text(message: dict[str, Any]) -> str:
    return " ".join(
        e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]
    )


def test_returned_by_email_resubmitted_by_email_approved_on_slack(
    site: Site, slack: SlackEmulator
) -> None:
    sent = send_invoice(site)  # draft -> under review: Sam's email reply `send`
    [first_dm] = review_dms(slack)
    assert has_button(first_dm, APPROVE) and has_button(first_dm, RETURN)
    assert "$10,935.00" in first_dm["text"]

    # under review -> revise and resubmit: Jane's email reply rejects line 2 with a reason
    admin_reply(site, sent, "reject 2: only 1 panel is set, not 2")
    site.cli("run", "--once")
    assert nov_invoice(site)["status"] == "revise_and_resubmit"
    returned = newest(site, site.sam, 4)
    text = unfolded(returned.text)
    assert "Jane Doe returned invoice INV-0042 for revision" in text
    assert "Line 2 (Panels): only 1 panel is set, not 2" in text
    assert "Line 1 was approved and stays as it is." in text
    assert "Line 2 (Panels), 2 of 2" in text and "Line 1 (Conduit), 1 of 2" not in text
    invite_id = str(site.inbox(site.sam)[0].obj["Message-ID"])
    assert invite_id in str(returned.obj["References"])

    # revise and resubmit -> under review: Sam's reply with the new figure and `send`
    site.server.send(client_reply(returned, site.sam, "2: 1 unit\nsend"))
    site.cli("run", "--once")
    assert nov_invoice(site)["status"] == "under_review"
    again = newest(site, site.jane, 3)
    assert "Line 2: $8,400.00 -> $4,200.00 (returned: only 1 panel is set, not 2)" in unfolded(
        again.text
    )
    first, second = review_dms(slack)
    assert first["ts"] == first_dm["ts"] and has_button(second, APPROVE)
    assert "What changed since your review" in second["blocks"][1]["text"]["text"]

    # under review -> approved: the Approve button of the newer DM
    approved = approve_on_slack(site, slack, second, sam=6)
    [answer] = thread_of(slack, second)
    assert "Invoice INV-0042 (SC-007 Electrical) is approved" in answer
    assert "Amount certified (current payment due): $7,155.00" in answer
    assert "Sam Sparks has been told." in answer
    updated = as_it_is_now(slack, second)
    assert not has_button(updated, APPROVE)
    assert "Approved by Jane Doe" in context_text(updated) and "(slack)" in context_text(updated)

    invoice = nov_invoice(site)
    assert invoice["status"] == "approved"
    assert [(h["from"], h["to"], h["by"], h["channel"]) for h in invoice["history"]] == [
        ("draft", "under_review", "Sam Sparks", "email"),
        ("under_review", "revise_and_resubmit", "Jane Doe", "email"),
        ("revise_and_resubmit", "under_review", "Sam Sparks", "email"),
        ("under_review", "approved", "Jane Doe", "slack"),
    ]
    assert invoice["history"][1]["note"] == "line 2: only 1 panel is set, not 2"
    assert [line["review"]["status"] for line in invoice["lines"]] == ["approved", "approved"]
    told = unfolded(approved.text)
    assert "Jane Doe approved invoice INV-0042" in told
    assert "Amount certified (current payment due): $7,155.00." in told
    assert invite_id in str(approved.obj["References"])  # in his invoice thread
    assert approved.subject.startswith("Re: Harbor Tower: Jane Doe has invited you to bill.")
    # December's "previous" is the approved invoice's: Oct 300 LF + Nov 300 LF; 1 EA.
    assert december_previous(site) == {"1": Decimal("7500.00"), "2": Decimal("4200.00")}

    # Nothing is sent twice: Sam on email (6), Jane on email (3) and on Slack.
    on_slack = {user: len(slack.messages_to(user)) for user in ("U0JANE", "U0SAM")}
    site.cli("run", "--once")
    assert len(site.inbox(site.sam, 6)) == 6 and len(site.inbox(site.jane, 3)) == 3
    assert {user: len(slack.messages_to(user)) for user in on_slack} == on_slack
    assert on_slack["U0SAM"] == 1  # his Slack invite only: he answered by email


def test_an_email_approve_after_the_slack_approval_is_told_it_is_already_approved(
    site: Site, slack: SlackEmulator
) -> None:
    sent = send_invoice(site)
    [dm] = review_dms(slack)
    approved = approve_on_slack(site, slack, dm, sam=4)
    assert nov_invoice(site)["status"] == "approved"
    assert "Amount certified (current payment due): $10,935.00." in unfolded(approved.text)

    admin_reply(site, sent, "approve")  # the older review email, answered late
    site.cli("run", "--once")
    [answer] = site.inbox(site.jane, 2)[1:]
    text = unfolded(answer.text)
    assert "Invoice INV-0042 for SC-007 Electrical is approved (reviewed by Jane Doe)" in text
    assert "Nothing was changed." in text
    assert str(sent.obj["Message-ID"]) in str(answer.obj["References"])
    invoice = nov_invoice(site)
    assert invoice["status"] == "approved"
    assert [(h["to"], h["channel"]) for h in invoice["history"]] == [
        ("under_review", "email"),
        ("approved", "slack"),
    ]

    site.cli("run", "--once")  # Sam is not told twice; Jane is answered once
    assert len(site.inbox(site.sam, 4)) == 4 and len(site.inbox(site.jane, 2)) == 2
    assert len(thread_of(slack, dm)) == 1
