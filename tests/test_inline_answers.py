"""Answers typed right below the quoted rows of our emails (`> 1  Conduit …` then `50%`) are
read as those lines' answers (`mail.intake.answers_under_rows`), through the intake and on the
real mail servers."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.invite import invite
from bot.settings import Settings
from mail.config import MailSettings
from mail.extract import InlineAnswer, html_to_text, strip_reply
from mail.inbound import parse_mail
from mail.intake import Intake
from mail.row_answers import answers_in_history, answers_under_rows
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


WRAPPED_1 = "1  Conduit      1,200 LF      $12.50       $15,000.00  $3,750.00"
WRAPPED_2 = "2  Panels           8 EA   $4,200.00       $33,600.00      $0.00"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # the client wrapped each row: its tail is a quoted line of its own
        ([WRAPPED_1, "$11,250.00", ">> 50%", WRAPPED_2, "$33,600.00", ">> 3 units"],
         "1: 50%\n2: 3 units"),
        # wrapped over three lines
        ([WRAPPED_1, f"{'$11,250.00  ' * 5}", "$1.00", ">> done"], "1: done"),
        # a short line is whole: what follows it is no part of it
        (["1  Conduit", "$11,250.00", ">> 50%"], "50%"),
        # a whole row below a long one: the answer is that row's
        ([WRAPPED_1, "2  Panels  $0.00", ">> 3 units"], "2: 3 units"),
        ([WRAPPED_1, "Total  $48,600.00", ">> 50%"], "50%"),
        # a quoted blank line ends the row
        ([WRAPPED_1, "", "$11,250.00", ">> 50%"], "50%"),
    ],
)  # fmt: skip
def test_an_answer_below_a_row_the_client_wrapped_answers_that_row(
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


# --- Outlook: answers typed into a history without `>` quotes ------------------------------------

SENT = """Hi Sam,

Schedule of values:

#  Description   Quantity  Unit price  Scheduled value
-  -----------  ---------  ----------  ---------------
1  Conduit       1,200 LF      $12.50       $15,000.00
2  Panels            8 EA   $4,200.00       $33,600.00

How to answer: reply to this email and fill in the template below. For each line write one
of: 45% (total progress to date), +10% (progress this period), 30 units.

---- answer template ----

Invoice number: INV-0042
1:
2:
send"""
SENT_HTML = (
    "<p>Hi Sam,</p><p><b>Schedule of values</b></p><table><tr><th>#</th><th>Description</th>"
    "<th>Quantity</th><th>Unit price</th><th>Scheduled value</th></tr>"
    "<tr><td>1</td><td>Conduit</td><td>1,200 LF</td><td>$12.50</td><td>$15,000.00</td></tr>"
    "<tr><td>2</td><td>Panels</td><td>8 EA</td><td>$4,200.00</td><td>$33,600.00</td></tr>"
    "</table><p>How to answer: reply to this email and fill in the template below.</p>"
)
OUTLOOK_HEADER = (
    "INV-0042, answers below\n\nFrom: Summit Billing <billing@summit.test>\n"
    "Sent: Tuesday, November 24, 2026 9:14 AM\nTo: Sam Sparks <sam@acme.test>\n"
    "Subject: Harbor Tower\n\n"
)


def typed_into(sent: str, **below: str) -> str:
    """`sent` with text typed after the rows that open with the keys (`_1="50%"`)."""
    out = []
    for line in sent.split("\n"):
        out.append(line)
        for lead, typed in below.items():
            if line.startswith(f"{lead.lstrip('_')}  "):
                out.append(typed)
    return "\n".join(out)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (typed_into(SENT, _1="50%", _2="3 units"), ("1: 50%", "2: 3 units")),
        (typed_into(SENT, _1="\n[SS] done\n"), ("1: done",)),  # a blank line, initials
        (typed_into(SENT, _2="2: skip"), ("2: skip",)),  # naming its own line
        (SENT.replace("$15,000.00", "$15,000.00   50%"), ("1: 50%",)),  # at the row's end
        # nothing typed, or nothing that answers the row's line
        (SENT, ()),
        (typed_into(SENT, _1="see attached", _2="1: 50%"), ()),
        (typed_into(SENT, _1="INV-0043"), ()),
        # the template is read by `mail.template`, and our own text is not read at all
        (SENT.replace("1:\n", "1: 50%\n"), ()),
        (SENT.replace("45% (total", "50%\n45% (total"), ()),
        # our text as a client re-wrapped it
        (SENT.replace("one\nof: 45% (total", "one\nof:\n45% (total"), ()),
        (SENT.replace("\n\nHow to answer", "\n45% (total progress to date)\n\nHow to answer"), ()),
        # quoted with `>`, an answer is found the same way
        ("\n".join(f"> {line}" for line in SENT.split("\n")).replace("00\n> 2", "00\n50%\n> 2"),
         ("1: 50%",)),
    ],
)  # fmt: skip
def test_answers_typed_below_rows_of_an_unmarked_history_are_found(
    history: str, expected: tuple[str, ...]
) -> None:
    assert answers_in_history(OUTLOOK_HEADER + history, [SENT], LINES) == expected


def test_what_follows_our_email_is_the_rest_of_the_thread_not_answers() -> None:
    rows_last = SENT.split("\n\nHow to answer")[0]  # our email ends with its rows
    sent = f"{rows_last}\n\n---- answer template ----\n\n1:\n2:"
    older = "\n\nFrom: Sam Sparks\nSent: Monday\n\n50%\n3 units"

    assert answers_in_history(OUTLOOK_HEADER + sent + older, [sent], LINES) == ()
    assert answers_in_history(OUTLOOK_HEADER + rows_last + older, [sent], LINES) == ()


def test_answers_in_an_html_history_are_found_by_the_html_rendering() -> None:
    typed = SENT_HTML.replace(
        "$15,000.00</td></tr>", "$15,000.00</td></tr><tr><td colspan=5>50%</td></tr>"
    )
    body = html_to_text(f"<div>INV-0042</div><hr><div>{typed}</div>", keep_history=True)[0]
    sent = [SENT, html_to_text(SENT_HTML, keep_history=True)[0]]

    assert answers_in_history(body, sent, LINES) == ("1: 50%",)
    template = "<pre>Invoice number: INV-0042\n1: \n2: \nsend</pre>"  # no marker in HTML
    typed = template.replace("1: ", "1: 50%")
    body = html_to_text(f"<div>Hi</div><hr><div>{SENT_HTML}{typed}</div>", keep_history=True)[0]
    sent = [SENT, html_to_text(SENT_HTML + template, keep_history=True)[0]]
    assert answers_in_history(body, sent, LINES) == ()


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


def invite_sam(engine: Engine, tmp_path: Path) -> tuple[Intake, OutboundMessage]:
    """The seed data, an intake, and the invite we sent Sam (the email his reply quotes)."""
    settings = Settings(
        database_url="sqlite://",
        attachments_dir=tmp_path / "attachments",
        mail=MailSettings(
            address="billing@summit.test",
            imap_host="127.0.0.1",
            smtp_host="127.0.0.1",
            secret=SecretStr("inline-secret"),
        ),
    )
    with session_scope(engine) as session:
        seed(session)
    invite(engine, settings, period_key="nov", commitment_key="sc7", now=NOW)
    with Session(engine) as session:
        [row] = session.exec(
            select(OutboundMessage).where(OutboundMessage.recipient == "sam@acme.test")
        ).all()
    return Intake(engine, settings, clock=lambda: NOW), row


@pytest.fixture
def invited(sqlite_engine: Engine, tmp_path: Path) -> tuple[Intake, OutboundMessage]:
    return invite_sam(sqlite_engine, tmp_path)


def _outlook_reply(row: OutboundMessage, top: str, *, text: str | None, html: str) -> bytes:
    """Outlook's reply: `top`, its header block, then the email answered, not quoted."""
    header = (
        "From: Summit Billing <billing@summit.test>\nSent: Tuesday, November 24, 2026 9:14 AM"
        f"\nTo: Sam Sparks <sam@acme.test>\nSubject: {row.subject}"
    )
    message = EmailMessage()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message["To"] = str(row.data()["reply_to"])
    message["Subject"] = f"RE: {row.subject}"
    message["Message-ID"] = "<outlook-inline@acme.test>"
    message["In-Reply-To"] = row.message_id
    if text is not None:
        message.set_content(f"{top}\n\n{header}\n\n{text}")
    body = html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0]
    message.add_alternative(
        f'<html><body><div>{top}</div><div id="appendonsend"></div><hr>'
        f'<div id="divRplyFwdMsg"><b>From:</b> Summit Billing<br><b>Subject:</b> x</div>'
        f"{body}</body></html>",
        subtype="html",
    ) if text is not None else message.set_content(
        f'<html><body><div>{top}</div><div id="appendonsend"></div><hr>'
        f'<div id="divRplyFwdMsg"><b>From:</b> Summit Billing<br><b>Subject:</b> x</div>'
        f"{body}</body></html>",
        subtype="html",
    )
    return message.as_bytes()


@pytest.mark.parametrize("html_only", [False, True], ids=["text", "html-only"])
def test_answers_typed_below_the_rows_of_an_outlook_history_are_read(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine, html_only: bool
) -> None:
    reader, row = invited
    text = re.sub(r"(?m)^(1  Conduit .*)$", r"\1\n50%", row.body_text or "")
    text = re.sub(r"(?m)^(2  Panels .*)$", r"\1   3 units", text)  # at the row's end
    html = (row.body_html or "").replace(
        "$11,250.00</td></tr>", "$11,250.00</td></tr><tr><td colspan=7>50%</td></tr>", 1
    )
    html = html.replace("$33,600.00</td></tr></tbody>", "$33,600.00 3 units</td></tr></tbody>")
    raw = _outlook_reply(row, "INV-0042", text=None if html_only else text, html=html)

    assert reader.process(raw).outcome == "processed"

    with Session(sqlite_engine) as session:
        answer = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        saved = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
    said = " ".join((answer[-1].body_text or "").split())
    assert said.startswith("I read the answers you typed into the quoted email."), said
    assert sorted(line.new_value for line in saved) == [3750, 12600], said


def test_an_outlook_history_answer_that_differs_from_the_top_is_left_and_said(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    reader, row = invited
    text = re.sub(r"(?m)^(1  Conduit .*)$", r"\1\n50%", row.body_text or "")

    reader.process(_outlook_reply(row, "INV-0042\n1: 60%", text=text, html=row.body_html or ""))

    with Session(sqlite_engine) as session:
        answer = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()
    said = " ".join((answer[-1].body_text or "").split())
    assert said.startswith("You also typed answers into the quoted email below (1: 50%)."), said
    assert "line 1 (Conduit): 420 LF this period" in said, said


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
