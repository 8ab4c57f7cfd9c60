"""The administrator's review end to end, on the real mail servers: draft -> under review
(the contact's email) -> returned for revision (the administrator's email reply) -> the
contact's email shows the reason and asks only that line -> under review again -> approved;
and the same cycle through `billbot review`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from imap_tools import MailMessage
from sqlmodel import Session, select

from bot.cli import app
from models.db import make_engine
from models.ledger import load_ledger
from models.tables import BillingPeriod, Commitment
from tests.servers.mailserver import MailServer
from tests.test_email_e2e import Site, client_reply, make_site, runner

pytestmark = pytest.mark.servers


def with_december(data: dict[str, Any]) -> None:
    """A third period after November, to see what it takes as "previous"."""
    today = datetime.now(UTC).date()
    data["billing_periods"].append(
        {
            "key": "dec",
            "project": "tower",
            "start": (today + timedelta(days=11)).isoformat(),
            "end": (today + timedelta(days=40)).isoformat(),
            "billing_date": (today + timedelta(days=35)).isoformat(),
            "due_date": (today + timedelta(days=40)).isoformat(),
        }
    )


@pytest.fixture
def site(mail_servers: MailServer, tmp_path: Path) -> Site:
    return make_site(mail_servers, tmp_path, edit=with_december)


def newest(site: Site, user: str, count: int) -> MailMessage:
    return site.inbox(user, count)[-1]


def unfolded(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def send_invoice(site: Site) -> MailMessage:
    """Invite, answer and send: returns the administrator's "sent for review" email."""
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    site.server.send(client_reply(invite, site.sam, "INV-0042\n1: 50%\n2: 2 units"))
    site.cli("run", "--once")
    review = newest(site, site.sam, 2)
    assert [i["status"] for i in site.invoices() if i["number"] == "INV-0042"] == ["draft"]
    site.server.send(client_reply(review, site.sam, "send"))
    site.cli("run", "--once")
    [sent] = site.inbox(site.jane)
    return sent


def admin_reply(site: Site, original: MailMessage, body: str) -> None:
    message = client_reply(original, site.jane, body)
    message.replace_header("From", f"Jane Doe <{site.jane}>")
    site.server.send(message)


def nov_invoice(site: Site) -> dict[str, Any]:
    [invoice] = [i for i in site.invoices() if i["number"] == "INV-0042"]
    return invoice


def december_previous(site: Site) -> dict[str, Decimal]:
    engine = make_engine(site.env["BILLBOT_DATABASE_URL"])
    try:
        with Session(engine) as session:
            commitment = session.exec(select(Commitment).where(Commitment.key == "sc7")).one()
            december = session.exec(select(BillingPeriod).where(BillingPeriod.key == "dec")).one()
            ledger = load_ledger(session, commitment=commitment, period=december)
            return {number: h.previous_value for number, h in ledger.histories.items()}
    finally:
        engine.dispose()


def test_return_for_revision_by_email_then_resubmit_then_approve(site: Site) -> None:
    sent = send_invoice(site)
    reply_to = str(sent.obj["Reply-To"])
    assert "+br" in reply_to and "approve" in sent.text and "reject 3:" in sent.text

    admin_reply(site, sent, "reject 2: only 1 panel is set, not 2")
    site.cli("run", "--once")

    assert nov_invoice(site)["status"] == "revise_and_resubmit"
    [answer] = site.inbox(site.jane, 2)[1:]
    assert "Returned invoice INV-0042 (SC-007 Electrical) for revision" in unfolded(answer.text)
    returned = newest(site, site.sam, 4)
    text = unfolded(returned.text)
    assert "Jane Doe returned invoice INV-0042 for revision" in text
    assert "Line 2 (Panels): only 1 panel is set, not 2" in text
    assert "Line 1 was approved and stays as it is." in text
    assert "Line 2 (Panels), 2 of 2" in text and "Line 1 (Conduit), 1 of 2" not in text
    assert returned.subject.startswith("Re: Harbor Tower: Jane Doe has invited you to bill.")
    invite_id = str(site.inbox(site.sam)[0].obj["Message-ID"])
    assert invite_id in str(returned.obj["References"])  # the invoice's own thread

    site.server.send(client_reply(returned, site.sam, "2: 1 unit\nsend"))
    site.cli("run", "--once")
    assert nov_invoice(site)["status"] == "under_review"
    again = newest(site, site.jane, 3)
    assert "What changed since your review:" in again.text
    assert "Line 2: $8,400.00 -> $4,200.00 (returned: only 1 panel is set, not 2)" in unfolded(
        again.text
    )

    admin_reply(site, again, "Approved, thanks!")
    site.cli("run", "--once")
    invoice = nov_invoice(site)
    assert invoice["status"] == "approved"
    approved = newest(site, site.sam, 6)
    assert "Jane Doe approved invoice INV-0042" in unfolded(approved.text)
    assert "Amount certified (current payment due): $7,155.00." in unfolded(approved.text)
    assert [(h["from"], h["to"], h["by"], h["channel"]) for h in invoice["history"]] == [
        ("draft", "under_review", "Sam Sparks", "email"),
        ("under_review", "revise_and_resubmit", "Jane Doe", "email"),
        ("revise_and_resubmit", "under_review", "Sam Sparks", "email"),
        ("under_review", "approved", "Jane Doe", "email"),
    ]
    assert [line["review"]["status"] for line in invoice["lines"]] == ["approved", "approved"]
    # December's "previous" is built from the approved invoice: Oct 300 LF + Nov 300 LF, 1 EA.
    assert december_previous(site) == {"1": Decimal("7500.00"), "2": Decimal("4200.00")}

    site.cli("run", "--once")  # nothing is sent twice
    assert len(site.inbox(site.sam, 6)) == 6 and len(site.inbox(site.jane, 4)) == 4


def test_an_approval_in_the_thread_of_an_earlier_sending_approves_nothing(site: Site) -> None:
    """`Approved.` answering the first notice, after the invoice was returned and sent again
    with other figures: Jane has not read those, so nothing is approved (as a Slack DM's
    buttons of an earlier sending are refused); the newest notice's thread approves."""
    sent = send_invoice(site)
    admin_reply(site, sent, "reject 2: only 1 panel is set, not 2")
    site.cli("run", "--once")
    returned = newest(site, site.sam, 4)
    site.server.send(client_reply(returned, site.sam, "2: 1 unit\nsend"))
    site.cli("run", "--once")
    again = newest(site, site.jane, 3)

    admin_reply(site, sent, "Approved.")
    site.cli("run", "--once")
    assert nov_invoice(site)["status"] == "under_review"
    told = unfolded(newest(site, site.jane, 4).text)
    assert "about an earlier sending of invoice INV-0042; it was sent again since" in told, told
    assert len(site.inbox(site.sam, 5)) == 5  # Sam hears nothing of it

    admin_reply(site, again, "Approved.")
    site.cli("run", "--once")
    assert nov_invoice(site)["status"] == "approved"


def test_an_unclear_answer_gets_the_forms_and_a_stranger_is_refused_once(site: Site) -> None:
    sent = send_invoice(site)
    admin_reply(site, sent, "Looks mostly right but check the panels")
    site.cli("run", "--once")
    [forms] = site.inbox(site.jane, 2)[1:]
    assert "I couldn't tell what you decided, so nothing was changed." in forms.text
    assert "approve as noted" in forms.text
    assert nov_invoice(site)["status"] == "under_review"

    for _ in range(2):  # the contact replying to the administrator's address: refused once
        message = client_reply(sent, site.sam, "approve")
        site.server.send(message)
        site.cli("run", "--once")
    assert nov_invoice(site)["status"] == "under_review"
    refusals = [m for m in site.inbox(site.sam, 4) if "can review its invoices" in m.text]
    assert len(refusals) == 1


def test_a_line_named_as_l2_by_email_is_the_invoices_line_2(site: Site) -> None:
    sent = send_invoice(site)
    admin_reply(site, sent, "Reject L2: only 1 panel is set")
    site.cli("run", "--once")

    invoice = nov_invoice(site)
    assert invoice["status"] == "revise_and_resubmit"
    assert [line["review"]["status"] for line in invoice["lines"]] == ["approved", "rejected"]
    returned = unfolded(newest(site, site.sam, 4).text)
    assert "Line 2 (Panels): only 1 panel is set" in returned


def test_the_same_cycle_through_billbot_review(site: Site) -> None:
    send_invoice(site)
    refused = runner.invoke(app, ["review", "SC-007/INV-0042", "--reject", "7=nope"], env=site.env)
    assert refused.exit_code == 1 and "There is no line 7" in refused.output
    out = site.cli("review", "SC-007/INV-0042", "--reject", "2=only 1 panel").stdout
    assert "Returned invoice INV-0042" in out and "Sam Sparks has been told" in out
    site.cli("run", "--once")
    returned = newest(site, site.sam, 4)
    assert "Line 2 (Panels): only 1 panel" in unfolded(returned.text)

    site.server.send(client_reply(returned, site.sam, "2: 1 unit\nsend"))
    site.cli("run", "--once")
    out = site.cli(
        "review", "SC-007/INV-0042", "--approve-as-noted", "--adjust", "1=$3,000", "--note",
        "240 LF installed, not 300",
    ).stdout  # fmt: skip
    assert "approved as noted (line 1: $3,750.00 -> $3,000.00)" in out
    site.cli("run", "--once")
    told = unfolded(newest(site, site.sam, 6).text)
    assert "Line 1 (Conduit): you billed $3,750.00 this period; approved $3,000.00." in told
    assert "Reason: 240 LF installed, not 300" in told
    invoice = nov_invoice(site)
    assert invoice["status"] == "approved_as_noted"
    assert invoice["lines"][0]["review"] == {
        "status": "approved",
        "reason": "240 LF installed, not 300",
        "billed_value": "3750.00",
    }
    assert [h["channel"] for h in invoice["history"]] == ["email", "cli", "email", "cli"]
    shown = site.cli("invoices", "--commitment", "sc7", "--period", "nov").stdout
    assert "line 1: billed 3,750.00, approved 3,000.00: 240 LF installed, not 300" in shown


def jane_speaks_spanish(data: dict[str, Any]) -> None:
    with_december(data)
    for person_data in data["people"]:
        if person_data["key"] == "jane":
            person_data["language"] = "es"


def test_a_spanish_administrator_reviews_in_spanish_by_email_and_with_billbot_review(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    site = make_site(mail_servers, tmp_path, edit=jane_speaks_spanish)
    sent = send_invoice(site)
    forms = unfolded(sent.text)
    assert "Para revisarla, responda con una de estas formas" in forms
    assert "`rechazar 3: solo 18 luminarias instaladas`" in forms

    admin_reply(site, sent, "Rechazar 2: solo hay 1 panel, no 2\n\nGracias")
    site.cli("run", "--once")
    [answer] = site.inbox(site.jane, 2)[1:]
    assert unfolded(answer.text).startswith(
        "Se devolvió la factura INV-0042 (SC-007 Electrical) para revisión (línea 2: solo hay "
        "1 panel, no 2). Se avisó a Sam Sparks. Le avisaremos cuando se vuelva a enviar."
    ), answer.text
    returned = unfolded(newest(site, site.sam, 4).text)  # Sam speaks English
    assert "Jane Doe returned invoice INV-0042 for revision" in returned

    site.server.send(client_reply(newest(site, site.sam, 4), site.sam, "2: 1 unit\nsend"))
    site.cli("run", "--once")
    again = unfolded(newest(site, site.jane, 3).text)
    assert "Lo que cambió desde su revisión:" in again
    assert "Línea 2: $8,400.00 -> $4,200.00 (devuelta: solo hay 1 panel, no 2)" in again

    refused = runner.invoke(app, ["review", "SC-007/INV-0042", "--reject", "7=no"], env=site.env)
    assert refused.exit_code == 1
    assert "No hay línea 7 en la factura INV-0042 de SC-007 Electrical" in refused.output
    out = site.cli("review", "SC-007/INV-0042", "--approve").stdout
    assert "La factura INV-0042 (SC-007 Electrical) está aprobada." in out
    assert "Se avisó a Sam Sparks." in out
    assert "El mensaje al contacto sale con el próximo `billbot run`." in out
    site.cli("run", "--once")
    assert "Jane Doe approved invoice INV-0042" in unfolded(newest(site, site.sam, 6).text)


def test_by_email_no_amount_is_guessed_and_the_administrators_note_reaches_the_contact(
    site: Site,
) -> None:
    sent = send_invoice(site)
    admin_reply(site, sent, "approve as noted\n2: 1\nnote: 1 panel set")
    site.cli("run", "--once")
    asked = unfolded(newest(site, site.jane, 2).text)
    assert "Line 2 is billed in EA ($4,200.00 per EA): is 1 meant as 1 EA or as $1.00?" in asked
    assert "Nothing was changed." in asked

    admin_reply(site, sent, "Approved, pay half")  # an approval that is not plainly one
    site.cli("run", "--once")
    forms = unfolded(newest(site, site.jane, 3).text)
    assert "I couldn't tell what you decided, so nothing was changed." in forms
    assert nov_invoice(site)["status"] == "under_review"

    admin_reply(site, sent, "Approved.\nPlease attach the lien waiver next time.\n\nThanks,\nJane")
    site.cli("run", "--once")
    invoice = nov_invoice(site)
    assert invoice["status"] == "approved"
    assert invoice["history"][-1]["note"] == "Please attach the lien waiver next time."
    told = unfolded(newest(site, site.sam, 4).text)
    assert "Jane Doe approved invoice INV-0042" in told
    assert "Note from Jane Doe: Please attach the lien waiver next time." in told
