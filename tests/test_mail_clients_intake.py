"""Replies as real mail clients write them, through the intake: a top that only says the
contact is finished above a filled-in template, files sent after the invoice was sent, the
administrator's reply-all in the contact's thread."""

from __future__ import annotations

import re
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mail.intake import Intake
from mail.template import top_beside_template
from models.outbox import InboundMessage, OutboundMessage
from models.tables import Attachment, Invoice, InvoiceLine, InvoiceStatus, SovLine
from tests.test_inline_answers import invite_sam

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"x" * 2000


@pytest.fixture
def invited(sqlite_engine: Engine, tmp_path: Path) -> tuple[Intake, OutboundMessage]:
    return invite_sam(sqlite_engine, tmp_path)


def reply(
    row: OutboundMessage,
    body: str,
    *,
    tag: str,
    sender: str = "Sam Sparks <sam@acme.test>",
    to: str | None = None,
    cc: str | None = None,
    files: tuple[tuple[str, bytes], ...] = (),
    threaded: bool = True,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to or str(row.data()["reply_to"])
    if cc:
        message["Cc"] = cc
    message["Subject"] = f"Re: {row.subject}"
    message["Message-ID"] = f"<{tag}@acme.test>"
    if threaded:
        message["In-Reply-To"] = row.message_id
    message.set_content(body)
    for name, data in files:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


def filled(row: OutboundMessage, top: str, **slots: str) -> str:
    """`top` above the invite quoted with its template filled in (`_1="50%"`)."""
    text = row.body_text or ""
    for slot, value in slots.items():
        key = "Invoice number" if slot == "number" else slot.lstrip("_")
        text = re.sub(rf"(?m)^{key}:.*$", f"{key}: {value}", text, count=1)
    quoted = "\n".join(f"> {line}".rstrip() for line in text.splitlines())
    return f"{top}\n\nOn Wed, Nov 25, 2026 at 9:14 AM Summit Billing wrote:\n{quoted}"


def billed(engine: Engine) -> tuple[str | None, dict[str, Decimal]]:
    """The November invoice's status and each line's quantity this period."""
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number != "INV-0041")).first()
        if invoice is None:
            return None, {}
        rows = session.exec(
            select(SovLine.number, InvoiceLine.new_quantity)
            .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
            .where(InvoiceLine.invoice_id == invoice.id)
        ).all()
    return invoice.status, {number: Decimal(quantity).normalize() for number, quantity in rows}


def outbox(engine: Engine) -> list[OutboundMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))))


# --- "All done, see below" above a filled-in template -----------------------------------------

SENT_TOPS = [
    "All done, see below. Send",
    "All done - numbers below.\nsend",
    "Todo listo, van abajo. Enviar",
    "Filled in below. Send",
    "Done, see below.\nsend",
]


@pytest.mark.parametrize("top", SENT_TOPS)
def test_a_top_that_only_says_done_bills_the_templates_answers_and_keeps_its_send(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine, top: str
) -> None:
    intake, row = invited
    body = filled(row, top, number="INV-0043", _1="50%", _2="3 units")

    assert intake.process(reply(row, body, tag="done-send")).outcome == "processed"

    status, lines = billed(sqlite_engine)
    said = outbox(sqlite_engine)[-2 if status == "under_review" else -1].body_text or ""
    assert lines == {"1": Decimal(300), "2": Decimal(3)}, said  # 50% to date, 3 units; not 100%
    assert status == InvoiceStatus.under_review, said
    assert "I used the answers you wrote at the top" not in said


@pytest.mark.parametrize(
    "top",
    [
        "Done, see below.",
        "All done, see below.",
        "Todo listo, abajo van los números",
        "Listo, ahí van.",
        "Completed, see below",
        "Done",
    ],
)
def test_done_above_the_template_is_never_every_line_complete(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine, top: str
) -> None:
    intake, row = invited
    intake.process(reply(row, "INV-0043", tag="number-first"))
    body = filled(row, top, _1="50%", _2="3 units")

    intake.process(reply(row, body, tag="done-below"))

    status, lines = billed(sqlite_engine)
    said = " ".join((outbox(sqlite_engine)[-1].body_text or "").split())
    assert (status, lines) == ("draft", {"1": Decimal(300), "2": Decimal(3)}), said
    assert "100.00%" not in said and "50.00%" in said, said


def test_a_spanish_top_beside_an_english_template_is_answered_in_spanish(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    body = filled(row, "Todo listo, abajo van los números", number="INV-0043", _1="50%")

    intake.process(reply(row, body, tag="es"))

    said = outbox(sqlite_engine)[-1].body_text or ""
    assert "línea 1 (Conduit): 300 LF este periodo" in said, said


@pytest.mark.parametrize(
    ("top", "left"),
    [
        ("All done, see below. Send", "Send"),
        ("Todo listo, van abajo. Enviar", "Enviar"),
        ("Ok, done - below", "Ok"),
        ("INV-0043, all done", "INV-0043"),
        ("1: $4,500, all done", "1: $4,500"),
        # what is more than a pointer stays, to be read (and to hold a send back)
        ("hold off, see below", "hold off"),
        ("Preliminary numbers below, send", "Preliminary numbers below, send"),
        ("not filled in yet", "not filled in yet"),
        ("see line 3 below", "see line 3 below"),
        ("1: 50%\n2: done", "1: 50%\n2: done"),
    ],
)
def test_a_top_loses_only_what_points_to_the_template(top: str, left: str) -> None:
    assert top_beside_template(top) == left


# --- Files sent after the invoice was sent ----------------------------------------------------


def sent(intake: Intake, row: OutboundMessage) -> None:
    intake.process(reply(row, "INV-0042\n1: 50%\n2: 3 units\nsend", tag="send"))


def approved(intake: Intake, row: OutboundMessage, engine: Engine) -> None:
    """Sam's invoice sent (`sent`), then approved by the administrator."""
    sent(intake, row)
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        invoice.status = InvoiceStatus.approved
        session.add(invoice)
        session.commit()


def test_a_file_sent_to_an_invoice_under_review_is_kept_and_its_reviewer_gets_it(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    sent(intake, row)
    intake.process(reply(row, "Thanks!", tag="thanks"))  # today's one refusal
    before = len(outbox(sqlite_engine))
    body = "Forgot the lien waiver, attached.\n\nSam"

    result = intake.process(reply(row, body, tag="waiver", files=(("Lien Waiver.pdf", PDF),)))

    assert result.outcome == "processed"
    to_sam, to_jane = outbox(sqlite_engine)[before:]
    with Session(sqlite_engine) as session:
        [kept] = session.exec(select(Attachment)).all()
        invoice = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
    assert (kept.filename, kept.invoice_id, invoice.status) == (
        "Lien Waiver.pdf",
        invoice.id,
        "under_review",
    )
    said = " ".join((to_sam.body_text or "").split())
    assert to_sam.recipient == "sam@acme.test"
    assert "I added these files to invoice INV-0042" in said and "Lien Waiver.pdf (2 KB)" in said
    assert to_jane.recipient == "jane@summit.test" and to_jane.kind == "notification"
    assert [f["filename"] for f in to_jane.data()["attachments"]] == ["Lien Waiver.pdf"]
    assert "Sam Sparks added these files to invoice INV-0042" in (to_jane.body_text or "")
    assert "billing+" in str(to_jane.data()["reply_to"])  # answerable with a review


def test_a_file_sent_in_a_new_message_finds_the_one_invoice_under_review(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    sent(intake, row)
    to = "Summit Billing <billing@summit.test>"
    raw = reply(row, "Lien waiver", tag="new", to=to, threaded=False, files=(("w.pdf", PDF),))

    assert intake.process(raw).reason == "files kept on the invoice under review"

    with Session(sqlite_engine) as session:
        assert [a.filename for a in session.exec(select(Attachment))] == ["w.pdf"]


def test_a_file_sent_to_an_approved_invoice_is_named_refused_and_answered_every_time(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    approved(intake, row, sqlite_engine)
    before = len(outbox(sqlite_engine))

    for tag in ("waiver-1", "waiver-2"):
        files = ((f"{tag}.pdf", PDF + tag.encode()),)
        assert intake.process(reply(row, "Lien waiver", tag=tag, files=files)).outcome == (
            "refused"
        )

    answers = outbox(sqlite_engine)[before:]
    assert [" ".join((a.body_text or "").split()) for a in answers] == [
        f"{tag}.pdf was not added: invoice INV-0042 for SC-007 Electrical is approved and can "
        "no longer change. Please send it to Jane Doe directly."
        for tag in ("waiver-1", "waiver-2")
    ]
    with Session(sqlite_engine) as session:
        assert session.exec(select(Attachment)).all() == []


def test_every_correction_to_an_invoice_under_review_is_answered_and_passed_on(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    """A second correction on the same day is no less a correction: the contact is answered
    each time, and the administrator, the one who can make it now, gets each one."""
    intake, row = invited
    sent(intake, row)
    before = len(outbox(sqlite_engine))
    corrections = ("Sorry, line 2 should be 4 units.", "Also conduit should be 55%. Please fix")

    results = [
        intake.process(reply(row, body, tag=f"fix-{n}")) for n, body in enumerate(corrections)
    ]

    assert [r.reason for r in results] == ["message passed on to the administrator"] * 2
    sent_now = outbox(sqlite_engine)[before:]
    assert [m.recipient for m in sent_now] == ["sam@acme.test", "jane@summit.test"] * 2
    for answer in sent_now[::2]:
        said = " ".join((answer.body_text or "").split())
        assert "I passed your message on to Jane Doe" in said and "nothing in it was" in said
    for notice, body in zip(sent_now[1::2], corrections, strict=True):
        assert notice.kind == "notification" and f"> {body}" in (notice.body_text or "")
        assert "Sam Sparks wrote this about invoice INV-0042" in (notice.body_text or "")
        assert "billing+" in str(notice.data()["reply_to"])  # answerable with a review
    assert billed(sqlite_engine) == ("under_review", {"1": Decimal(300), "2": Decimal(3)})


def test_a_bare_thanks_to_a_locked_invoice_is_answered_once_a_day(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    sent(intake, row)
    before = len(outbox(sqlite_engine))

    for tag in ("thanks-1", "thanks-2", "got-it"):
        body = "Got it, thanks" if tag == "got-it" else "Thanks!"
        assert intake.process(reply(row, body, tag=tag)).reason == "invoice-locked"

    [answer] = outbox(sqlite_engine)[before:]
    assert "is under review and locked" in (answer.body_text or "")


def test_a_correction_to_an_approved_invoice_is_answered_every_time(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    approved(intake, row, sqlite_engine)
    before = len(outbox(sqlite_engine))

    for tag in ("again-1", "again-2"):
        assert intake.process(reply(row, "2: 2 units", tag=tag)).outcome == "refused"

    answers = outbox(sqlite_engine)[before:]
    assert [a.recipient for a in answers] == ["sam@acme.test"] * 2
    assert all("is approved and locked" in (a.body_text or "") for a in answers)


# --- The administrator in the contact's thread ------------------------------------------------


def test_the_administrators_reply_all_is_told_whose_thread_it_is_and_how_to_review(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    intake.process(reply(row, "INV-0042\n1: 50%\n2: 3 units", tag="draft"))
    body = "Sam - please change line 2 to 2 units and send.\n\nJane"

    result = intake.process(
        reply(
            row,
            body,
            tag="jane",
            sender="Jane Doe <jane@summit.test>",
            to="Sam Sparks <sam@acme.test>",
            cc=f"Summit Billing <{row.data()['reply_to']}>",
        )
    )

    assert (result.outcome, result.reason) == ("refused", "administrator-in-contact-thread")
    answer = outbox(sqlite_engine)[-1]
    said = " ".join((answer.body_text or "").split())
    assert answer.recipient == "jane@summit.test"
    assert "this thread is where Sam Sparks bills SC-007 Electrical" in said, said
    assert "`billbot review SC-007/INV-0042`" in said and "is not one of them" not in said
    assert billed(sqlite_engine)[1] == {"1": Decimal(300), "2": Decimal(3)}
    with Session(sqlite_engine) as session:
        recorded = session.exec(
            select(InboundMessage).where(InboundMessage.external_id == "<jane@acme.test>")
        ).one()
    assert recorded.outcome == "refused"


# --- the thread's subject ---------------------------------------------------------------------


def test_the_replies_keep_the_threads_subject_when_the_contact_turns_out_to_write_spanish(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    """The invite went out in English; Sam answers in Spanish, and billbot answers in Spanish
    from then on — under the subject the thread has (a new one splits it in Gmail)."""
    intake, row = invited
    intake.process(reply(row, "Hola, la factura es la INV-0042, gracias", tag="es-1"))
    intake.process(reply(row, "1: 50% por favor", tag="es-2"))
    answers = [r for r in outbox(sqlite_engine) if r.recipient == "sam@acme.test"][1:]
    assert len(answers) == 2
    assert "Entendido: línea 1" in (answers[-1].body_text or "")  # answered in Spanish
    assert {answer.subject for answer in answers} == {f"Re: {row.subject}"}


def test_files_in_a_new_message_with_two_invoices_under_review_are_named_not_guessed(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    """Which invoice is a lien waiver for, with October's and November's under review? Asked,
    the files named, every time (a file is never lost in silence)."""
    intake, row = invited
    sent(intake, row)
    with Session(sqlite_engine) as session:
        october = session.exec(select(Invoice).where(Invoice.number == "INV-0041")).one()
        october.status = InvoiceStatus.under_review
        session.add(october)
        session.commit()
    to = "Summit Billing <billing@summit.test>"
    for tag in ("new-1", "new-2"):
        raw = reply(row, "Lien waiver", tag=tag, to=to, threaded=False, files=(("w.pdf", PDF),))
        assert intake.process(raw).reason == "files-which-invoice"
    answers = [r for r in outbox(sqlite_engine) if "which invoice" in (r.body_text or "")]
    assert len(answers) == 2
    text = " ".join((answers[-1].body_text or "").split())
    assert "so they were not added: w.pdf." in text
    assert "INV-0041 (SC-007" in text and "INV-0042 (SC-007" in text
    with Session(sqlite_engine) as session:
        assert session.exec(select(Attachment)).all() == []


# --- Auto-replies that no header tells --------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        # the subject tells (the body would not)
        ("Autorespuesta: Harbor Tower", "Volveré el lunes 30/11."),
        ("Re: Harbor Tower [Out of Office]", "Back on Monday 11/30."),
        # only the body tells
        ("", "Thank you for your email. I am out of the office until Monday 11/30 with limited "
             "access to email.\nFor urgent matters please contact John at 713-555-0100.\n\nSam"),
    ],
)  # fmt: skip
def test_an_auto_reply_without_its_headers_starts_nothing_and_gets_no_answer(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine, subject: str, body: str
) -> None:
    intake, row = invited
    before = len(outbox(sqlite_engine))
    raw = reply(row, body, tag="away")
    if subject:
        header = f"Subject: Re: {row.subject}".encode()
        assert header in raw
        raw = raw.replace(header, f"Subject: {subject}".encode())

    result = intake.process(raw)

    assert (result.outcome, result.reason) == ("ignored", "out-of-office")
    assert len(outbox(sqlite_engine)) == before
    assert billed(sqlite_engine) == (None, {})
