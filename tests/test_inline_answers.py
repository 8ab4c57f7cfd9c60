"""Answers typed right below the quoted rows of our emails (`> 1  Conduit …` then `50%`) are
read as those lines' answers (`mail.intake.answers_under_rows`), through the intake and on the
real mail servers."""

from __future__ import annotations

import email
import email.policy
import email.utils
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from mail.config import MailSettings
from mail.extract import InlineAnswer, strip_reply
from mail.inbound import parse_mail
from mail.intake import Intake
from mail.row_answers import answers_under_rows
from models.db import session_scope
from models.outbox import OutboundMessage
from models.tables import Invoice, InvoiceLine, SovLine
from tests.servers.mailserver import MailServer
from tests.test_conversation_service import NOW, seed
from tests.test_email_e2e import Site, make_site
from tests.test_hostile_mail import invitation_address

CORPUS = Path(__file__).parent / "mail_corpus"
LINES = [
    SovLine(commitment_id=1, number="1", description="Conduit"),
    SovLine(commitment_id=1, number="2", description="Panels"),
    SovLine(commitment_id=1, number="3", description="Light fixtures, LED type A, 2x4"),
    SovLine(commitment_id=1, number="12", description=""),
]


def quoted(*rows: str) -> str:
    """A reply's body: `INV-0042` on top, then the quote; a row `>> x` is typed, not quoted."""
    out = ["INV-0042", "", "On Wed, Nov 25, 2026 at 9:14 AM Summit Billing <b@summit.test> wrote:"]
    out += [row[3:] if row.startswith(">> ") else f"> {row}" for row in rows]
    return "\n".join(out)


def read(body: str) -> str:
    stripped = strip_reply(body)
    return answers_under_rows(stripped.text, stripped.inline, LINES)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # the tester's reply: the G703 rows of a review
        (["#  Description  Previous  This period", "-  -----------  --------  -----------",
          "1  Conduit   $3,750.00   300 LF @ $12.50", ">> 50%",
          "2  Panels    $0.00   0 EA @ $4,200.00", ">> 3 units"],
         "INV-0042\n\n1: 50%\n2: 3 units"),
        (["Line 1 (Conduit), 1 of 3: $15,000.00 scheduled.", ">> done"], "INV-0042\n\n1: done"),
        (["1. Conduit", ">> +10%", "2. Panels", ">> skip"], "INV-0042\n\n1: +10%\n2: skip"),
        (["| 1 | Conduit | $3,750.00 |", ">> 45%"], "INV-0042\n\n1: 45%"),
        (["1 | Conduit | $3,750.00", ">> 45%"], "INV-0042\n\n1: 45%"),
        (["- Line 2 (Panels): only 1 panel is set", ">> 1 unit"], "INV-0042\n\n2: 1 unit"),
        (["3  Light fixtures, LED ty…  $0.00", ">> 20 units"], "INV-0042\n\n3: 20 units"),
        (["12  $4,000.00", ">> $500"], "INV-0042\n\n12: $500"),  # a line without description
        (["1:", ">> 45%"], "INV-0042\n\n1: 45%"),  # typed below the template's `1:`
        # a blank line around the answer, and a quoted blank line after the row
        (["1  Conduit  $3,750.00", ">> ", ">> 50%", ">> ", "2  Panels  $0.00", ">",
          ">> 2 units"],
         "INV-0042\n\n1: 50%\n\n2: 2 units"),
        # several answers below one row: each bare one is that line's
        (["1  Conduit  $3,750.00", ">> 50%", ">> retainage 500"],
         "INV-0042\n\n1: 50%\n1: retainage 500"),
    ],
)  # fmt: skip
def test_a_bare_answer_below_a_quoted_row_answers_that_row(rows: list[str], expected: str) -> None:
    assert read(quoted(*rows)) == expected


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # the answer names its line, or is no line answer
        (["1  Conduit  $3,750.00", ">> 2: 30%"], "2: 30%"),
        (["1  Conduit  $3,750.00", ">> panels 2 units"], "panels 2 units"),
        (["1  Conduit  $3,750.00", ">> rest skip"], "rest skip"),
        (["1  Conduit  $3,750.00", ">> all 100%"], "all 100%"),
        (["1  Conduit  $3,750.00", ">> send"], "send"),
        (["1  Conduit  $3,750.00", ">> see attached"], "see attached"),
        (["1  Conduit  $3,750.00", ">> INV-0043"], "INV-0043"),
        (["1  Conduit  $3,750.00", ">> not sure about this one"], "not sure about this one"),
        # not a row of ours: G702 totals, sentences, headers, another line's number
        (["1. Original contract sum      $61,400.00", ">> 50%"], "50%"),
        (["8. Current payment due        $10,935.00", ">> 50%"], "50%"),
        (["Line 1 was approved and stays as it is.", ">> 50%"], "50%"),
        (["#  Description  Previous", ">> 50%"], "50%"),
        (["7  Conduit  $3,750.00", ">> 50%"], "50%"),
        (["1  Ductwork  $3,750.00", ">> 50%"], "50%"),  # line 1 is the conduit
        (["Tip: you can answer several lines in one message", ">> 50%"], "50%"),
        (["1.5  Conduit", ">> 50%"], "50%"),
    ],
)  # fmt: skip
def test_other_answers_and_answers_below_other_lines_stay_as_typed(
    rows: list[str], expected: str
) -> None:
    assert read(quoted(*rows)) == f"INV-0042\n\n{expected}"


def test_an_answer_written_on_top_as_well_is_left_where_it_was() -> None:
    body = quoted("1  Conduit  $3,750.00", ">> 50%").replace("INV-0042", "INV-0042\n50%", 1)
    assert read(body) == "INV-0042\n50%\n\n1: 50%"


def test_answers_that_are_not_in_the_text_change_nothing() -> None:
    inline = (InlineAnswer("1  Conduit  $3,750.00", "50%"),)
    assert answers_under_rows("INV-0042\n45%", inline, LINES) == "INV-0042\n45%"


def test_interleaved_answers_of_a_real_mail_name_their_lines() -> None:
    mail = parse_mail((CORPUS / "gmail_interleaved_bare_answers.eml").read_bytes())
    lines = [
        SovLine(commitment_id=1, number="1", description="Mobilization"),
        SovLine(commitment_id=1, number="2", description="Metal stud framing"),
        SovLine(commitment_id=1, number="3", description="Gypsum board"),
    ]
    assert mail.inline[0] == InlineAnswer("1     Mobilization               $5,000.00  0%", "50%")
    assert answers_under_rows(mail.text, mail.inline, lines) == "1: 50%\n2: 30 units\n3: skip"


# --- Through the intake ------------------------------------------------------------------------


@pytest.fixture
def intake(sqlite_engine: Engine, tmp_path: Path) -> tuple[Intake, str]:
    mail = MailSettings(
        address="billing@summit.test",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        secret=SecretStr("inline-secret"),
    )
    settings = Settings(
        database_url="sqlite://", attachments_dir=tmp_path / "attachments", mail=mail
    )
    with session_scope(sqlite_engine) as session:
        ids = seed(session)
    to = invitation_address(sqlite_engine, ids, settings)
    return Intake(sqlite_engine, settings, clock=lambda: NOW), to


def test_the_testers_inline_reply_saves_both_lines(
    intake: tuple[Intake, str], sqlite_engine: Engine
) -> None:
    reader, to = intake
    message = EmailMessage()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message["To"] = to
    message["Subject"] = "Re: Harbor Tower"
    message["Message-ID"] = "<inline-1@acme.test>"
    message.set_content(
        quoted(
            "1  Conduit      $3,750.00   300 LF @ $12.50   $3,750.00",
            ">> 50%",
            "2  Panels           $0.00     0 EA @ $4,200.00    $0.00",
            ">> 3 units",
        )
    )

    assert reader.process(message.as_bytes()).outcome == "processed"

    with Session(sqlite_engine) as session:
        answer = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        saved = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
    text = " ".join(answer[-1].body_text.split())
    assert "what is the invoice number" not in text and "“50%”" not in text, text
    assert "line 1 (Conduit): 300 LF this period ($3,750.00), 50.00% to date" in text
    assert "line 2 (Panels): 3 EA this period ($12,600.00)" in text
    assert sorted(row.new_value for row in saved) == [3750, 12600]


# --- On the real mail servers ------------------------------------------------------------------


@pytest.mark.servers
def test_answers_typed_below_the_invites_rows_are_read_on_the_real_servers(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    site: Site = make_site(mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite] = site.inbox(site.sam)
    typed = {("1", "Conduit"): "50%", ("2", "Panels"): "2 units"}  # below the SOV table's rows
    quote = []
    for line in invite.text.splitlines():
        quote.append(f"> {line}".rstrip())
        answer = typed.pop((*line.split()[:2],), None)
        if answer is not None:
            quote.append(answer)
    assert not typed, invite.text
    head = invite.obj
    reply_to = email.utils.parseaddr(str(head["Reply-To"]))[1]
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Sam Sparks <{site.sam}>"
    message["To"] = reply_to
    message["Subject"] = f"Re: {invite.subject}"
    message["Message-ID"] = email.utils.make_msgid(domain="acme.test")
    message["In-Reply-To"] = str(head["Message-ID"])
    message["References"] = str(head["Message-ID"])
    attribution = f"On Wed, Nov 25, 2026 at 9:14 AM Summit Billing <{reply_to}> wrote:"
    message.set_content("\n".join(["INV-0042", "", attribution, *quote]))
    site.server.send(message)
    site.cli("run", "--once")

    review = site.inbox(site.sam, 2)[-1]
    assert "$10,935.00" in review.text, review.text
    [invoice] = [i for i in site.invoices() if i["number"] == "INV-0042"]
    assert invoice["status"] == "draft"
