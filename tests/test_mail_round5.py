"""Mail intake, round 5: no file and no message lost in silence, and no reply loop.

Files without a name or a disposition (a copier's scan), a screenshot shown small, a plain-text
reply's logo; files sent after the invoice was approved, after the period closed, or by someone
who may not bill; auto-acknowledgements no header gives away (a loop breaker); bounces of our
invites kept on the invitation and shown on the board; 8-bit file names, Spanish read receipts,
plus-addressed senders, and a contact's reply that a gateway marked as a list's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import app
from mail.autoreply import classify, out_of_office_text
from mail.inbound import parse_mail
from mail.intake import Intake
from models.board import board_json, period_board
from models.db import session_scope
from models.invitation import Invitation
from models.outbox import InboundMessage, OutboundMessage
from models.tables import (
    Attachment,
    BillingPeriod,
    Commitment,
    Invoice,
    InvoiceStatus,
    Person,
)
from tests.test_conversation_service import NOW
from tests.test_inline_answers import invite_sam

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"x" * 2000
SAM = "Sam Sparks <sam@acme.test>"
ANSWERS = "1: 50%\n2: 1 unit"


# --- helpers ---------------------------------------------------------------------------------


def _headers(
    message: EmailMessage | MIMEMultipart | MIMEApplication,
    row: OutboundMessage | None,
    *,
    sender: str = SAM,
    mid: str = "round5@acme.test",
    subject: str | None = None,
) -> None:
    """Address `message` as a reply to `row` (our email), or as a new message when None."""
    message["From"] = sender
    message["To"] = str(row.data()["reply_to"]) if row is not None else "billing@summit.test"
    message["Subject"] = subject or (f"Re: {row.subject}" if row is not None else "Invoice")
    message["Message-ID"] = f"<{mid}>"
    if row is not None:
        message["In-Reply-To"] = row.message_id
        message["References"] = row.message_id


def _with_files(
    row: OutboundMessage | None,
    text: str,
    *files: tuple[str, bytes],
    sender: str = SAM,
    mid: str = "round5@acme.test",
) -> bytes:
    message = EmailMessage()
    _headers(message, row, sender=sender, mid=mid)
    message.set_content(text)
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


def _plain(row: OutboundMessage | None, text: str, *, mid: str, sender: str = SAM) -> bytes:
    return _with_files(row, text, sender=sender, mid=mid)


def _outbox(engine: Engine) -> list[OutboundMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))))


def _last_answer(engine: Engine) -> OutboundMessage:
    return _outbox(engine)[-1]


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def _inbound(engine: Engine, mid: str) -> InboundMessage:
    with Session(engine) as session:
        return session.exec(
            select(InboundMessage).where(InboundMessage.external_id == f"<{mid}>")
        ).one()


def _files_kept(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [row.filename for row in session.exec(select(Attachment))]


def _conversation_files(engine: Engine) -> list[str]:
    """The files the conversations hold (in their state, before an invoice keeps them)."""
    from conversations.state import State
    from models.conversation import Conversation

    with Session(engine) as session:
        return [
            ref.filename
            for conversation in session.exec(select(Conversation))
            for ref in State.from_json(conversation.state).attachments
        ]


def _intake_at(intake: Intake, clock: Callable[[], datetime]) -> Intake:
    return Intake(intake.engine, intake.env, clock=clock)


def _nov_invoice(engine: Engine, status: InvoiceStatus) -> None:
    """SC-007's November invoice, INV-0042, in `status` (as a review would leave it)."""
    with session_scope(engine) as session:
        commitment = session.exec(select(Commitment).where(Commitment.number == "SC-007")).one()
        period = session.exec(select(BillingPeriod).where(BillingPeriod.key == "nov")).one()
        sam = session.exec(select(Person).where(Person.key == "sam")).one()
        assert commitment.id and period.id
        session.add(
            Invoice(
                commitment_id=commitment.id,
                period_id=period.id,
                number="INV-0042",
                status=status,
                created_by_id=sam.id,
            )
        )


# --- 1. Files with no name and no disposition -------------------------------------------------


def _raw(head: str, body: bytes) -> bytes:
    return (
        "From: Sam Sparks <sam@acme.test>\r\nTo: billing@summit.test\r\nSubject: Scan\r\n"
        f"Message-ID: <scan@acme.test>\r\nMIME-Version: 1.0\r\n{head}\r\n"
    ).encode() + body


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _multipart(*parts: tuple[str, bytes]) -> bytes:
    body = b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n1: 50%\r\n"
    for head, data in parts:
        body += f"--B\r\n{head}Content-Transfer-Encoding: base64\r\n\r\n".encode() + _b64(data)
    return _raw('Content-Type: multipart/mixed; boundary="B"\r\n', body + b"--B--\r\n")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a copier's scan to email: the whole message is the PDF, no name, no disposition
        (_raw("Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n",
              _b64(PDF)), [("attachment.pdf", "application/pdf")]),
        (_multipart(("Content-Type: application/pdf\r\n", PDF)),
         [("attachment.pdf", "application/pdf")]),
        (_multipart(("Content-Type: application/pdf\r\nContent-Disposition: inline\r\n", PDF)),
         [("attachment.pdf", "application/pdf")]),
        (_multipart(("Content-Type: application/octet-stream\r\n", PDF)),
         [("attachment.pdf", "application/octet-stream")]),
        (_multipart((f"Content-Type: {XLSX}\r\n", b"PK\x03\x04" + bytes(300))),
         [("attachment.xlsx", XLSX)]),
        (_multipart(("Content-Type: image/jpeg\r\n", b"\xff\xd8\xff\xe0" + bytes(40_000))),
         [("image.jpeg", "image/jpeg")]),
        # a second text part is the body still; PGP/MIME's version part is no file
        (_multipart(("Content-Type: text/plain\r\n", b"and 2: 1 unit")), []),
        (_multipart(("Content-Type: application/pgp-encrypted\r\n", b"Version: 1\r\n")), []),
    ],
    ids=["single-part-pdf", "no-disposition", "inline-no-name", "octet-stream-pdf", "xlsx",
         "jpeg-no-cid", "second-text-part", "pgp-version-part"],
)  # fmt: skip
def test_a_file_without_a_name_or_a_disposition_is_a_file_named_by_its_type(
    raw: bytes, expected: list[tuple[str, str]]
) -> None:
    found = parse_mail(raw).attachments

    assert [(item.filename, item.content_type) for item in found] == expected


def test_a_scanners_pdf_with_no_name_reaches_the_invoice(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    message = MIMEApplication(PDF, "pdf")
    _headers(message, row, sender="sam@acme.test", subject="Scanned from a Xerox printer")

    assert intake.process(message.as_bytes()).outcome == "processed"
    assert _conversation_files(sqlite_engine) == ["attachment.pdf"]
    assert "attached attachment.pdf" in _flat(_last_answer(sqlite_engine).body_text)


# --- 2. Files in a new message after the invoice was approved ---------------------------------


@pytest.mark.parametrize("status", [InvoiceStatus.approved, InvoiceStatus.approved_as_noted])
def test_files_sent_unthreaded_after_approval_are_named_as_not_added(
    sqlite_engine: Engine, tmp_path: Path, status: InvoiceStatus
) -> None:
    intake, _row = invite_sam(sqlite_engine, tmp_path)
    _nov_invoice(sqlite_engine, status)
    raw = _with_files(None, "Lien waiver", ("lien waiver.pdf", PDF))

    result = intake.process(raw)

    answer = _flat(_last_answer(sqlite_engine).body_text)
    assert result.reason == "invoice-locked"
    assert "lien waiver.pdf was not added: invoice INV-0042 for SC-007 Electrical is" in answer
    assert "Please send it to Jane Doe directly." in answer
    assert _files_kept(sqlite_engine) == []


def test_files_sent_when_nothing_is_open_and_nothing_was_billed_are_named_as_not_kept(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """November closed with no invoice: the engine says nothing is open, and the files the
    turn was given are named (October's approved INV-0041 is not this period's)."""
    intake, _row = invite_sam(sqlite_engine, tmp_path)
    late = _intake_at(intake, lambda: datetime(2026, 12, 5, 15, tzinfo=UTC))

    late.process(_with_files(None, "Lien waiver", ("lien waiver.pdf", PDF)))

    answer = _flat(_last_answer(sqlite_engine).body_text)
    assert "INV-0041" not in answer
    assert "These files were not kept: lien waiver.pdf." in answer


def test_a_late_reply_in_the_thread_names_the_file_it_did_not_keep(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    late = _intake_at(intake, lambda: datetime(2026, 12, 5, 15, tzinfo=UTC))

    late.process(_with_files(row, ANSWERS, ("INV-0042.pdf", PDF)))

    answer = _flat(_last_answer(sqlite_engine).body_text)
    assert "closed on Nov 30, 2026" in answer
    assert answer.endswith("These files were not kept: INV-0042.pdf.")


def test_a_file_the_turn_keeps_is_not_named_as_lost(sqlite_engine: Engine, tmp_path: Path) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)

    intake.process(_with_files(row, ANSWERS, ("INV-0042.pdf", PDF)))

    assert "not kept" not in _flat(_last_answer(sqlite_engine).body_text)


# --- 3. Logos and pasted images ----------------------------------------------------------------


def _html_with(image: MIMEImage, html: str) -> bytes:
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(ANSWERS))
    alternative.attach(MIMEText(html, "html"))
    related = MIMEMultipart("related")
    related["From"] = SAM
    related.attach(alternative)
    related.attach(image)
    return related.as_bytes()


def _image(size: int, name: str, cid: str, disposition: str = "inline") -> MIMEImage:
    image = MIMEImage(b"\x89PNG\r\n\x1a\n" + b"\x22" * size, "png")
    image.add_header("Content-ID", f"<{cid}>")
    image.add_header("Content-Disposition", disposition, filename=name)
    return image


@pytest.mark.parametrize(
    ("size", "shown", "kept"),
    [
        (117_000, "width=250 height=140", True),  # a screenshot pasted at its own size
        (60_000, "width=300 height=150", True),
        (83_000, 'width=120 height=40 style="width:1.25in;height:.41in"', False),  # a logo
        (4_000, "width=250 height=140", False),  # a small logo, shown larger
    ],
)
def test_an_image_shown_small_is_a_logo_only_when_small_in_bytes_or_tiny_on_screen(
    size: int, shown: str, kept: bool
) -> None:
    html = f'<p>{ANSWERS}</p><p>here is the ticket:</p><img {shown} src="cid:image002.png@01DB">'
    found = parse_mail(_html_with(_image(size, "image002.png", "image002.png@01DB"), html))

    assert [item.filename for item in found.attachments] == (["image002.png"] if kept else [])


def _plain_with_image(image: MIMEImage) -> bytes:
    message = MIMEMultipart()
    message["From"] = SAM
    message.attach(MIMEText(f"{ANSWERS}\n\nSam Sparks | Acme Electric\n"))
    message.attach(image)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("image", "kept"),
    [
        # Outlook's plain-text reply: the signature's logo as an attachment with a Content-ID
        (_image(4_000, "image001.png", "image001.png@01DB4C2A.9D3E1F20", "attachment"), []),
        (_image(4_000, "image003.jpg", "image003.jpg@01DB4C2A.9D3E1F20", "inline"), []),
        # too large for a logo, another name, or no Content-ID: sent to be kept
        (_image(120_000, "image001.png", "image001.png@01DB4C2A", "attachment"),
         ["image001.png"]),
        (_image(4_000, "stamp.png", "stamp@x", "attachment"), ["stamp.png"]),
    ],
)  # fmt: skip
def test_a_plain_text_replys_small_outlook_image_with_a_content_id_is_its_logo(
    image: MIMEImage, kept: list[str]
) -> None:
    assert [item.filename for item in parse_mail(_plain_with_image(image)).attachments] == kept


def test_an_image_with_no_content_id_is_kept_whatever_its_name() -> None:
    image = MIMEImage(b"\x89PNG\r\n\x1a\n" + bytes(4_000), "png")
    image.add_header("Content-Disposition", "attachment", filename="image001.png")

    assert [item.filename for item in parse_mail(_plain_with_image(image)).attachments] == [
        "image001.png"
    ]


# --- 4. Auto-replies and the loop breaker -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Gracias por escribir. Su mensaje ha sido recibido y será atendido a la brevedad.\n"
        "Atentamente, Acme Electric",
        "Gracias por su correo. En este momento no me encuentro en la oficina; regreso el 1 de "
        "diciembre. Para asuntos urgentes contacte a Ana al 555-0100.",
        "Thank you for your email. I am currently traveling with limited access to email and "
        "will respond when I return on 11/30.",
        "Thanks for your message. We have received your email and will get back to you shortly.",
        "Your message has been received. Someone from our office will contact you.",
    ],
)
def test_more_auto_replies_are_known_by_their_words(text: str) -> None:
    assert out_of_office_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "Traveling this week, but here it is: 1: 50%",
        "I'm traveling today. Can you tell me what line 2 is for?",
        "We have received your email with the new lines, 2: 3 units",
    ],
)
def test_a_person_who_says_they_travel_and_answers_is_read(text: str) -> None:
    assert not out_of_office_text(text)


# An acknowledgement no header and no known wording gives away.
ACK = "Acme Electric front desk. Someone from our team will look at this soon."


def test_an_unknown_auto_acknowledger_is_answered_at_most_twice(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    before = len(_outbox(sqlite_engine))
    previous = row
    outcomes = []
    for round_ in range(6):
        outcomes.append(intake.process(_plain(previous, ACK, mid=f"ack-{round_}@acme.test")))
        previous = _last_answer(sqlite_engine)  # the acknowledger answers our last email

    assert len(_outbox(sqlite_engine)) - before <= 2
    assert [result.outcome for result in outcomes][2:] == ["ignored"] * 4
    assert outcomes[-1].reason == "repeated unreadable message"


def test_the_same_words_after_a_while_are_answered_again(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    from mail.intake import REPEAT_WINDOW

    intake, row = invite_sam(sqlite_engine, tmp_path)
    now = [NOW]
    ticking = _intake_at(intake, lambda: now[0])
    for round_ in range(2):
        ticking.process(_plain(row, ACK, mid=f"first-{round_}@acme.test"))
    now[0] += REPEAT_WINDOW + timedelta(minutes=1)

    assert ticking.process(_plain(row, ACK, mid="later@acme.test")).outcome == "processed"


def test_too_many_unreadable_messages_in_an_hour_are_ignored(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    from mail.intake import UNREADABLE_PER_HOUR

    intake, row = invite_sam(sqlite_engine, tmp_path)
    intake.process(_plain(row, "INV-0042", mid="number@acme.test"))  # past the greeting
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"]
    results = [
        intake.process(_plain(row, f"Ticket {word} opened by the front desk.", mid=f"{word}@x"))
        for word in words
    ]

    assert [r.outcome for r in results[:UNREADABLE_PER_HOUR]] == ["processed"] * 6
    assert {r.reason for r in results[UNREADABLE_PER_HOUR:]} == {"too many unreadable messages"}


def test_a_contact_sending_the_same_answer_again_is_answered_again(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    results = [intake.process(_plain(row, ANSWERS, mid=f"same-{n}@acme.test")) for n in range(3)]

    assert [result.outcome for result in results] == ["processed"] * 3
    assert _inbound(sqlite_engine, "same-2@acme.test").reason == "via address"


def test_a_repeated_message_with_files_is_never_ignored(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    for n in range(3):
        intake.process(_plain(row, ACK, mid=f"ack-{n}@acme.test"))
    result = intake.process(_with_files(row, ACK, ("INV-0042.pdf", PDF), mid="files@acme.test"))

    assert result.outcome == "processed"


def test_an_administrators_auto_acknowledger_is_not_answered_for_ever(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    intake.process(_plain(row, f"INV-0042\n{ANSWERS}\nsend", mid="send@acme.test"))
    [notice] = [r for r in _outbox(sqlite_engine) if r.recipient == "jane@summit.test"]
    sender = "Jane Doe <jane@summit.test>"
    results = [
        intake.process(_plain(notice, ACK, mid=f"jane-{n}@summit.test", sender=sender))
        for n in range(4)
    ]

    assert [result.outcome for result in results] == ["processed", "ignored", "ignored", "ignored"]


# --- 5. Bounces of our invites -------------------------------------------------------------------


def _dsn(row: OutboundMessage, *, action: str = "failed", status: str = "5.1.1") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\nTo: billing@summit.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn@mx.acme.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.acme.test.\r\n"
        "<sam@acme.test>: host said: 550 5.1.1 User unknown\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.test\r\n"
        f"\r\nFinal-Recipient: rfc822; sam@acme.test\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <sam@acme.test>: Recipient address rejected\r\n"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: billing@summit.test\r\nTo: sam@acme.test\r\nMessage-ID: {row.message_id}\r\n"
        f"Subject: {row.subject}\r\n--R--\r\n"
    ).encode()


def _ndr(row: OutboundMessage, how: str) -> bytes:
    if how == "exchange-spanish":  # to the reply address, naming the address, no Message-ID
        head = f"From: Microsoft Outlook <NoReplyRouting@acme.test>\r\nTo: {row.data()['reply_to']}"
        head += f"\r\nSubject: No se puede entregar: {row.subject}"
        text = "No se pudo entregar a estos destinatarios o grupos: sam@acme.test"
    else:  # answering the invite
        head = "From: postmaster@acme.test\r\nTo: billing@summit.test"
        head += f"\r\nIn-Reply-To: {row.message_id}"
        head += "\r\nSubject: Delivery has failed to these recipients or groups"
        text = "Your message to sam@acme.test couldn't be delivered."
    return (
        f"{head}\r\nMessage-ID: <ndr@acme.test>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    ).encode()


def _invitation(engine: Engine) -> Invitation:
    with Session(engine) as session:
        return session.exec(select(Invitation)).one()


@pytest.mark.parametrize("how", ["dsn", "exchange-spanish", "postmaster"])
def test_a_bounced_invite_is_kept_on_the_invitation(
    sqlite_engine: Engine, tmp_path: Path, how: str
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    before = len(_outbox(sqlite_engine))

    result = intake.process(_dsn(row) if how == "dsn" else _ndr(row, how))

    invitation = _invitation(sqlite_engine)
    assert (result.outcome, result.reason) == ("ignored", "bounce: sam@acme.test")
    assert invitation.email_bounced_to == "sam@acme.test"
    assert invitation.email_bounced_at is not None and invitation.email_bounce
    assert len(_outbox(sqlite_engine)) == before  # never answered


def test_a_bounce_of_the_address_the_contacts_mail_is_forwarded_to_is_the_contacts(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    forwarded = (
        _dsn(row)
        .replace(b"<sam@acme.test>:", b"<sam@home.test>:")
        .replace(
            b"Final-Recipient: rfc822; sam@acme.test",
            b"Original-Recipient: rfc822;sam@acme.test\r\nFinal-Recipient: rfc822; sam@home.test",
        )
    )

    intake.process(forwarded)

    assert _invitation(sqlite_engine).email_bounced_to == "sam@acme.test"


def test_a_delay_warning_or_a_bounce_of_someone_elses_message_is_not_kept(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    foreign = row.model_copy(update={"message_id": "<CAF123@mail.gmail.com>"})
    forged = row.model_copy(update={"message_id": "<bb1aaaaaaaaaaaaaaaa.invite@summit.test>"})

    intake.process(_dsn(row, action="delayed", status="4.4.7"))
    intake.process(_dsn(foreign).replace(b"<dsn@", b"<dsn2@"))
    intake.process(_dsn(forged).replace(b"<dsn@", b"<dsn3@"))

    assert _invitation(sqlite_engine).email_bounced_at is None


def test_the_board_says_whose_email_bounced(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    intake, row = invite_sam(engine, tmp_path)
    intake.process(_dsn(row))
    runner = CliRunner()

    shown = runner.invoke(app, ["--database-url", database_url, "status", "--period", "nov"])
    listed = runner.invoke(
        app, ["--database-url", database_url, "status", "--period", "nov", "--json"]
    )

    assert shown.exit_code == 0, shown.output
    assert "email (email bounced)" in shown.stdout
    assert "Email bounced: sam@acme.test (SC-007 Sam Sparks)" in shown.stdout
    assert "Recipient address rejected" in shown.stdout
    sam, maria = json.loads(listed.stdout)
    assert sam["email_bounced"]["address"] == "sam@acme.test"
    assert "email_bounced" not in maria


def test_a_bounce_is_no_longer_shown_once_the_contacts_address_changed(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    intake.process(_dsn(row))
    with session_scope(sqlite_engine) as session:
        sam = session.exec(select(Person).where(Person.key == "sam")).one()
        sam.email = "sam.sparks@acme.test"
        session.add(sam)
    with session_scope(sqlite_engine) as session:
        rows = board_json(period_board(session, period_key="nov"))

    assert all("email_bounced" not in item for item in rows)


def test_a_bounce_is_forgotten_once_the_contact_writes_from_that_address(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A full mailbox bounces the invite; Sam empties it and answers: the board stops saying
    his email bounced, and reminders are emailed to him again."""
    intake, row = invite_sam(sqlite_engine, tmp_path)
    intake.process(_dsn(row))
    assert _invitation(sqlite_engine).email_bounced_to == "sam@acme.test"

    result = intake.process(_plain(row, "INV-0042", mid="back@acme.test"))

    assert result.outcome == "processed"
    invitation = _invitation(sqlite_engine)
    assert (invitation.email_bounced_at, invitation.email_bounced_to) == (None, None)
    assert invitation.email_bounce is None
    with session_scope(sqlite_engine) as session:
        rows = board_json(period_board(session, period_key="nov"))
    assert all("email_bounced" not in item for item in rows)


def test_a_bounce_stays_when_the_contact_writes_from_another_address(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    intake.process(_dsn(row))

    intake.process(_plain(row, "INV-0042", mid="home@acme.test", sender="Sam <sam@home.test>"))

    assert _invitation(sqlite_engine).email_bounced_to == "sam@acme.test"


# --- 6. Names, receipts, refusals, tagged senders, list headers --------------------------------


def test_a_raw_utf8_file_name_is_read_as_utf8() -> None:
    raw = _multipart(
        (
            'Content-Type: application/pdf; name="Factura_Año.pdf"\r\n'
            'Content-Disposition: attachment; filename="Factura_Año.pdf"\r\n',
            PDF,
        )
    )

    assert [item.filename for item in parse_mail(raw).attachments] == ["Factura_Año.pdf"]


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Leído: Harbor Tower", "Su mensaje\n\n  Para: Sam Sparks\n  Asunto: Harbor Tower\n"
         "  Enviado: 20/11/2026 9:00\n\nha sido leído el 20/11/2026 9:05."),
        ("No leído: Harbor Tower", "Su mensaje\n\n  Para: Sam Sparks\n\nha sido eliminado sin "
         "ser leído el 20/11/2026 9:05."),
    ],
)  # fmt: skip
def test_a_spanish_read_receipt_is_not_answered(subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = SAM
    message["Subject"] = subject
    message.set_content(body)

    assert classify(message) == "receipt"


@pytest.mark.parametrize("sender", ["ssparks@acme.test", "Pat <pat@acme.test>", "maria@nw.test"])
def test_a_refusal_in_our_thread_names_the_files_not_kept_every_time(
    sqlite_engine: Engine, tmp_path: Path, sender: str
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    for n, name in enumerate(["INV-0042.pdf", "lien waiver.pdf"]):
        result = intake.process(
            _with_files(row, "See attached", (name, PDF), sender=sender, mid=f"r{n}@x")
        )
        answer = _flat(_last_answer(sqlite_engine).body_text)
        assert result.reason == "not-the-contact"
        assert answer.endswith(f"These files were not kept: {name}.")


def test_a_strangers_files_are_named_in_the_one_answer_a_day(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, _row = invite_sam(sqlite_engine, tmp_path)
    before = len(_outbox(sqlite_engine))
    for n in range(2):
        intake.process(
            _with_files(None, "invoice", ("a.pdf", PDF), sender="x@spam.test", mid=f"s{n}@x")
        )

    assert len(_outbox(sqlite_engine)) == before + 1
    assert "These files were not kept: a.pdf." in _flat(_last_answer(sqlite_engine).body_text)


@pytest.mark.parametrize("threaded", [True, False])
def test_a_plus_addressed_sender_is_the_person_of_the_untagged_address(
    sqlite_engine: Engine, tmp_path: Path, threaded: bool
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    raw = _plain(row if threaded else None, ANSWERS, mid="plus@x", sender="sam+billing@acme.test")

    result = intake.process(raw)

    assert result.outcome == "processed"
    assert _last_answer(sqlite_engine).recipient == "sam@acme.test"  # never the tagged address


@pytest.mark.parametrize("sender", ["sam+billing@other.test", "pat+sam@acme.test", "+x@acme.test"])
def test_a_tag_is_dropped_only_before_a_known_persons_address(
    sqlite_engine: Engine, tmp_path: Path, sender: str
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)

    assert intake.process(_plain(row, ANSWERS, mid="tag@x", sender=sender)).outcome == "refused"


@pytest.mark.parametrize(
    "header",
    ["List-Unsubscribe: <https://gateway.example/unsub>", "Precedence: bulk",
     "List-Id: <accounting.acme.test>"],
)  # fmt: skip
def test_the_invited_contacts_reply_to_their_address_is_read_despite_list_headers(
    sqlite_engine: Engine, tmp_path: Path, header: str
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    name, _, value = header.partition(": ")
    message = EmailMessage()
    _headers(message, row, mid="listed@acme.test")
    message[name] = value
    message.set_content(ANSWERS)

    assert intake.process(message.as_bytes()).outcome == "processed"


@pytest.mark.parametrize(
    ("sender", "text", "to_token"),
    [
        (SAM, "I am out of the office until Monday.", True),  # an auto-reply still
        ("Pat <pat@acme.test>", ANSWERS, True),  # not the invited contact
        (SAM, ANSWERS, False),  # not to the contact's own reply address
    ],
)
def test_a_listed_message_that_is_not_the_contacts_own_reply_is_ignored(
    sqlite_engine: Engine, tmp_path: Path, sender: str, text: str, to_token: bool
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    message = EmailMessage()
    _headers(message, row, sender=sender, mid="listed@acme.test")
    if not to_token:
        message.replace_header("To", "billing@summit.test")
    message["List-Unsubscribe"] = "<mailto:leave@acme.test>"
    message.set_content(text)

    result = intake.process(message.as_bytes())

    assert result.outcome == "ignored"


# --- 7. A `send` with a file that could not be kept --------------------------------------------


def test_a_send_is_held_when_a_file_of_the_same_message_was_not_kept(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """An iPhone's Pages file beside the PDF, and `send`: the invoice went out without the
    lien waiver the contact meant to include. Now it waits, and `send` alone sends it."""
    intake, row = invite_sam(sqlite_engine, tmp_path)
    text = f"INV-0042\n{ANSWERS}\nnone\nsend"
    files = (("lien-waiver.pages", PDF), ("photos.pdf", PDF))

    intake.process(_with_files(row, text, *files, mid="pages@acme.test"))

    with Session(sqlite_engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        assert invoice.status == InvoiceStatus.draft
    said = _flat(_last_answer(sqlite_engine).body_text)
    assert "I haven't sent it: lien-waiver.pages could not be attached (see above why)" in said
    assert "reply `send` now to send the invoice without it" in said
    assert _files_kept(sqlite_engine) == ["photos.pdf"] or "photos.pdf" in _conversation_files(
        sqlite_engine
    )

    intake.process(_plain(_last_answer(sqlite_engine), "send", mid="send@acme.test"))

    with Session(sqlite_engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        assert invoice.status == InvoiceStatus.under_review
