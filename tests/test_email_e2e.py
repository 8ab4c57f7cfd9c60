"""Reply-by-email end to end, against real servers: Dovecot (IMAP, LMTP) and an SMTP server.

The test plays the subcontractor: it reads its own mailbox over IMAP and answers the way a
mail client would (quoting the message, In-Reply-To/References set, To = the Reply-To).
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from imap_tools import MailMessage
from typer.testing import CliRunner

from bot.cli import app
from tests.import_helpers import design_example, write_json
from tests.servers.mailserver import MailServer

pytestmark = pytest.mark.servers

runner = CliRunner()
PDF = b"%PDF-1.4\n% fake invoice\n" + b"0" * 4000 + b"\n%%EOF\n"
SECRET = "test-secret-for-tokens"


def shifted_example(emails: dict[str, str]) -> dict[str, Any]:
    """The DESIGN example, with the periods moved around today (so `nov` is open now)."""
    data = design_example()
    today = datetime.now(UTC).date()

    def days(n: int) -> str:
        return (today + timedelta(days=n)).isoformat()

    oct_, nov = data["billing_periods"]
    oct_.update(start=days(-45), end=days(-12), billing_date=days(-16), due_date=days(-12))
    nov.update(start=days(-11), end=days(10), billing_date=days(5), due_date=days(10))
    for person in data["people"]:
        person["email"] = emails[person["key"]]
    return data


@dataclass
class Site:
    """One billbot installation wired to the test mail servers."""

    server: MailServer
    env: dict[str, str]
    billing: str
    sam: str
    jane: str
    root: Path

    def cli(self, *args: str) -> Any:
        result = runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == 0, result.output
        return result

    def inbox(self, user: str, count: int = 1) -> list[MailMessage]:
        # Returns once they are there; the margin is for a loaded machine (a `billbot run`
        # process started beside other test workers takes seconds to import and deliver).
        messages = self.server.wait_for_messages(user, "pw", count, timeout=30)
        assert len(messages) >= count, [m.subject for m in messages]
        return messages

    def invoices(self) -> list[dict[str, Any]]:
        return list(json.loads(self.cli("invoices", "--json").stdout))


def make_site(
    server: MailServer,
    root: Path,
    *,
    edit: Callable[[dict[str, Any]], None] | None = None,
    **extra: str,
) -> Site:
    """A billbot on `server` with the DESIGN example imported (changed first by `edit`)."""
    billing = server.new_user("billing", "summit.test", "pw")
    sam = server.new_user("sam", "acme.test", "pw")
    jane = server.new_user("jane", "summit.test", "pw")
    env = {
        **server.billbot_env(
            billing=billing,
            password="pw",
            secret=SECRET,
            root=root,
            database_url=f"sqlite:///{root / 'billbot.db'}",
        ),
        "BILLBOT_MAIL__POLL_SECONDS": "0.5",
        **extra,
    }
    site = Site(server, env, billing, sam, jane, root)
    data = shifted_example({"sam": sam, "jane": jane})
    if edit is not None:
        edit(data)
    site.cli("import", str(write_json(root / "import.json", data)))
    return site


def client_reply(
    original: MailMessage,
    sender: str,
    body: str,
    *,
    style: str = "gmail",
    attachments: tuple[tuple[str, bytes], ...] = (),
) -> EmailMessage:
    """A reply as a mail client builds it: quoted original, threading headers, To = Reply-To."""
    head = original.obj
    reply_to = email.utils.parseaddr(str(head["Reply-To"] or head["From"]))[1]
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Sam Sparks <{sender}>"
    message["To"] = reply_to
    message["Subject"] = f"Re: {original.subject}"
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain="acme.test")
    message["In-Reply-To"] = str(head["Message-ID"])
    message["References"] = " ".join(f"{head['References'] or ''} {head['Message-ID']}".split())
    quoted = "\n".join(f"> {line}" for line in original.text.splitlines())
    if style == "gmail":  # top-posted, attribution line then `>` quotes
        text = f"{body}\n\nOn Wed, Nov 25, 2026 at 9:14 AM Summit Billing <{reply_to}> wrote:\n"
        text += quoted
    elif style == "outlook":  # top-posted, header block then the original unquoted
        text = (
            f"{body}\n\n________________________________\nFrom: Summit Billing <{reply_to}>\n"
            f"Sent: Wednesday, November 25, 2026 9:14 AM\nTo: Sam Sparks <{sender}>\n"
            f"Subject: {original.subject}\n\n{original.text}"
        )
    else:  # bottom-posted below the quote
        text = f"On Wed, Nov 25, 2026, Summit Billing wrote:\n{quoted}\n\n{body}\n"
    message.set_content(text)
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message


@pytest.fixture
def site(mail_servers: MailServer, tmp_path: Path) -> Iterator[Site]:
    yield make_site(mail_servers, tmp_path)


def only(messages: list[MailMessage], subject_part: str) -> list[MailMessage]:
    return [m for m in messages if subject_part in m.subject]


def test_invite_reply_review_send_with_real_servers(site: Site) -> None:
    out = site.cli("invite", "--period", "nov").stdout
    assert f"SC-007 Sam Sparks <{site.sam}>: email" in out
    site.cli("run", "--once")

    [invite] = site.inbox(site.sam)
    assert invite.subject == "Harbor Tower: Jane Doe has invited you to bill."
    reply_to = str(invite.obj["Reply-To"])
    local = site.billing.split("@")[0]
    assert f"{local}+bb" in reply_to
    token = reply_to.split("+", 1)[1].split("@")[0]
    assert token in str(invite.obj["Message-ID"]) and token in str(invite.obj["References"])
    assert invite.obj["Auto-Submitted"] == "auto-generated"
    for text in ("Conduit", "Panels", "1,200 LF", "$12.50", "Invoice number: INV-0042", "+10%"):
        assert text in invite.text
    assert "<table" in invite.html and "Conduit" in invite.html
    [ics] = [a for a in invite.attachments if a.filename == "billing-date.ics"]
    assert b"BEGIN:VEVENT" in ics.payload and b"DTSTART;VALUE=DATE:" in ics.payload

    answer = "Invoice number: INV-0042\n1: 50%\n2: 2 units\n\nThanks, Sam"
    site.server.send(client_reply(invite, site.sam, answer, attachments=(("inv-0042.pdf", PDF),)))
    site.cli("run", "--once")

    review = site.inbox(site.sam, 2)[-1]
    assert review.subject == f"Re: {invite.subject}"
    assert "Current payment due" in review.text and "$10,935.00" in review.text
    assert "inv-0042.pdf" in review.text
    assert review.obj["Auto-Submitted"] == "auto-replied"
    assert token in str(review.obj["Reply-To"])
    assert str(invite.obj["Message-ID"]) in str(review.obj["References"])

    site.server.send(client_reply(review, site.sam, "SEND"))
    site.cli("run", "--once")

    confirmation = site.inbox(site.sam, 3)[-1]
    assert "Sent INV-0042 for review" in confirmation.text
    [document] = [a for a in confirmation.attachments if a.content_type == "application/pdf"]
    assert document.payload.startswith(b"%PDF") and document.filename.endswith(".pdf")
    [invoice] = [i for i in site.invoices() if i["number"] == "INV-0042"]
    assert invoice["status"] == "under_review"
    [attachment] = invoice["attachments"]
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert attachment["filename"] == "inv-0042.pdf"
    [notice] = site.inbox(site.jane)
    assert "INV-0042" in notice.subject and "$10,935.00" in notice.text
    [pdf] = [a for a in notice.attachments if a.content_type == "application/pdf"]
    assert pdf.payload.startswith(b"%PDF")

    site.cli("run", "--once")  # nothing new: nobody gets anything twice
    assert len(site.inbox(site.sam, 3)) == 3 and len(site.inbox(site.jane)) == 1


def test_invite_is_not_sent_twice_unless_resend(site: Site) -> None:
    site.cli("invite", "--period", "nov")
    again = site.cli("invite", "--period", "nov").stdout
    assert "already invited" in again
    site.cli("invite", "--period", "nov", "--commitment", "sc7", "--resend")
    site.cli("run", "--once")
    assert len(site.inbox(site.sam, 2)) == 2


@pytest.mark.parametrize("style", ["outlook", "bottom"])
def test_outlook_top_posted_and_bottom_posted_replies_are_read(site: Site, style: str) -> None:
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)

    body = "Invoice number: INV-0042\n1: 50%\n2: 2 units"
    site.server.send(client_reply(invite, site.sam, body, style=style))
    site.cli("run", "--once")

    review = site.inbox(site.sam, 2)[-1]
    assert "$10,935.00" in review.text, review.text
    [invoice] = site.invoices()[-1:]
    assert invoice["number"] == "INV-0042" and invoice["status"] == "draft"


def test_a_refused_attachment_is_explained_in_the_language_the_contact_writes(site: Site) -> None:
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    answer = "Número de factura: INV-0042\n1: 50 por ciento\n\nGracias"
    program = (("setup.exe", b"MZ\x90\x00" + bytes(64)),)
    site.server.send(client_reply(invite, site.sam, answer, attachments=program))
    site.cli("run", "--once")

    reply = " ".join(site.inbox(site.sam, 2)[-1].text.split())
    assert "setup.exe parece un programa" in reply, reply
    assert "looks like a program" not in reply
    [invoice] = [i for i in site.invoices() if i["number"] == "INV-0042"]
    assert invoice["attachments"] == []
