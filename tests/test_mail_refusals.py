"""Mail that must not be answered, or only with one polite refusal; nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from models.db import make_engine
from models.outbox import InboundMessage, OutboundMessage
from models.tables import Invoice
from tests.servers.mailserver import MailServer, make_message
from tests.test_email_e2e import PDF, Site, client_reply, make_site

pytestmark = pytest.mark.servers
CORPUS = Path(__file__).with_name("mail_corpus")


def table(site: Site, model: type[Any]) -> list[Any]:
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    with Session(engine) as session:
        found: list[Any] = list(session.exec(select(model)))
    engine.dispose()
    return found


@pytest.fixture
def invited(mail_servers: MailServer, tmp_path: Path) -> Site:
    site = make_site(mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    return site


@pytest.mark.parametrize("name", ["out_of_office_german_subject.eml", "dsn_bounce.eml"])
def test_out_of_office_and_bounce_get_no_answer(invited: Site, name: str) -> None:
    with invited.server.mailbox(invited.billing, "pw") as box:
        box.append((CORPUS / name).read_bytes(), "INBOX", flag_set=())
    invited.cli("run", "--once")

    [record] = table(invited, InboundMessage)
    assert record.outcome == "ignored"
    assert [row.kind for row in table(invited, OutboundMessage)] == ["invite"]


def test_stranger_gets_one_refusal_per_day_and_nothing_changes(invited: Site) -> None:
    stranger = invited.server.new_user("stranger", "elsewhere.test", "pw")
    for n in range(2):
        invited.server.send(
            make_message(sender=stranger, to=invited.billing, subject=f"hi {n}", body="1: 100%")
        )
    invited.cli("run", "--once")

    [refusal] = invited.inbox(stranger)
    assert "nothing was changed" in refusal.text
    assert refusal.obj["Auto-Submitted"] == "auto-replied"
    assert [r.outcome for r in table(invited, InboundMessage)] == ["refused", "refused"]
    assert len(table(invited, Invoice)) == 1  # only the imported October invoice
    assert len(invited.server.imap_fetch_all(stranger, "pw")) == 1


def test_tampered_token_is_refused(invited: Site) -> None:
    [invite] = invited.inbox(invited.sam)
    reply = client_reply(invite, invited.sam, "Invoice number: INV-0042\n1: 50%")
    to = str(reply["To"])
    local, _, domain = to.partition("@")
    tampered = f"{local[:-1]}{'b' if local[-1] != 'b' else 'c'}@{domain}"  # signature changed
    reply.replace_header("To", tampered)
    invited.server.send(reply)
    invited.cli("run", "--once")

    answer = invited.inbox(invited.sam, 2)[-1]
    assert "not valid" in answer.text
    [record] = table(invited, InboundMessage)
    assert (record.outcome, record.reason) == ("refused", "bad-token")
    assert len(table(invited, Invoice)) == 1


def test_oversized_attachment_is_refused_but_answers_are_kept(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_site(mail_servers, tmp_path, BILLBOT_MAIL__MAX_ATTACHMENT_BYTES="1000")
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    body = "Invoice number: INV-0042\n1: 50%\n2: 2 units"
    site.server.send(client_reply(invite, site.sam, body, attachments=(("big.pdf", PDF),)))
    site.cli("run", "--once")

    review = site.inbox(site.sam, 2)[-1]
    assert "big.pdf is 4 KB; the limit is 1000 bytes" in review.text
    assert "$10,935.00" in review.text
    [invoice] = [i for i in site.invoices() if i["number"] == "INV-0042"]
    assert invoice["attachments"] == [] and invoice["lines"][1]["new_quantity"] == "2"


def test_corrections_to_a_locked_invoice_are_answered_and_passed_to_its_reviewer(
    invited: Site,
) -> None:
    [invite] = invited.inbox(invited.sam)
    body = "Invoice number: INV-0042\n1: 50%\n2: 2 units\nsend"
    invited.server.send(client_reply(invite, invited.sam, body))
    invited.cli("run", "--once")
    assert invited.invoices()[-1]["status"] == "under_review"
    for text in ("1: 60%", "2: 3 units"):
        invited.server.send(client_reply(invite, invited.sam, text))
    invited.cli("run", "--once")

    messages = invited.inbox(invited.sam, 4)
    assert len(messages) == 4 and all("locked" in m.text for m in messages[2:])
    passed_on = [m.text for m in invited.inbox(invited.jane, 3) if "Sam Sparks wrote" in m.text]
    assert len(passed_on) == 2 and "> 1: 60%" in passed_on[0] + passed_on[1]
    assert invited.invoices()[-1]["lines"][0]["total_percent"] == "50.00"
