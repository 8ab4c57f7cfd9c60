"""Replies as more mail clients write them: histories with no `>` quotes (Zoho, Lotus Notes,
Yandex, Polish and Chinese clients, a bare rule, a help desk's marker, our own invite pasted
below), signatures with a tagline the card does not know, text the HTML hides, and answers
on top beside those typed into the quoted email."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from mail.extract import extract_reply, html_to_text
from mail.inbound import parse_mail
from mail.template import top_beside_template, with_top
from models.outbox import OutboundMessage
from models.tables import Invoice, InvoiceLine, SovLine
from tests.test_inline_answers import invite_sam
from tests.test_mail_signatures import _plain

ANSWERS = "INV-0042\n1: 50%\n2: 3 units"
# What the history holds that would read as answers, were it read: a template and `send`.
HISTORY = (
    "Hi Sam,\n\nPlease bill SC-007 for November.\n\n1  Conduit  1,200 LF  $12.50\n"
    "2  Panels  8 EA  $4,200.00\n\nInvoice number: INV-0001\n1: 10%\n2: 1 unit\nsend"
)


def _html(html: str) -> EmailMessage:
    message = _plain("")
    message.set_content(html, subtype="html")
    return message


# --- F1: histories with no `>` quotes --------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "---- On Tue, 24 Nov 2026 09:14:00 -0600 Jane Doe <billing@summit.test> wrote ----",
        "Jane Doe <billing@summit.test>\n11/24/2026 09:14 AM\n\nTo\nSam Sparks <sam@acme.test>\ncc"
        "\n\nSubject\nHarbor Tower: Jane Doe has invited you to bill.",
        '24.11.2026, 09:14, "Jane Doe" <billing@summit.test>:',
        "W dniu 24.11.2026 o 09:14, Jane Doe pisze:",
        "Jane Doe <billing@summit.test>于2026年11月24日 周二 09:14写道：",
        "From: Jane Doe\nSent: Tuesday, November 24, 2026 9:14 AM",
        "________________________________",
        "## Please reply above this line ##",
        "-- Por favor, responda por encima de esta línea --",
    ],
    ids=[
        "zoho",
        "lotus-notes",
        "yandex",
        "polish",
        "chinese",
        "from-and-sent-only",
        "bare-rule",
        "reply-above-this-line",
        "responda-por-encima",
    ],
)
def test_an_unquoted_history_in_more_clients_formats_is_cut(header: str) -> None:
    reply = extract_reply(_plain(f"{ANSWERS}\n\n{header}\n\n{HISTORY}\n"))

    assert reply.text == ANSWERS
    assert reply.quoted


def test_a_rule_between_a_banner_and_the_answers_cuts_nothing() -> None:
    body = (
        "You don't often get email from sam@acme.test. Learn why this is important\n"
        "________________________________\n" + ANSWERS
    )

    assert extract_reply(_plain(body)).text == ANSWERS


def _reply(row: OutboundMessage, body: str, *, html: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message["To"] = str(row.data()["reply_to"])
    message["Subject"] = f"Re: {row.subject}"
    message["Message-ID"] = "<round4@acme.test>"
    message["In-Reply-To"] = row.message_id
    if html is None:
        message.set_content(body)
    else:
        message.set_content(html, subtype="html")
    return message.as_bytes()


def _billed(engine: Engine) -> tuple[str, dict[str, str]]:
    with Session(engine) as session:
        [invoice] = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).all()
        rows = session.exec(
            select(SovLine.number, InvoiceLine.new_quantity)
            .join(SovLine, col(SovLine.id) == InvoiceLine.sov_line_id)
            .where(InvoiceLine.invoice_id == invoice.id)
        ).all()
    return invoice.status, {number: f"{quantity.normalize():f}" for number, quantity in rows}


def _answer(engine: Engine) -> str:
    with Session(engine) as session:
        row = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()[-1]
    return " ".join((row.body_text or "").split())


def test_our_invite_pasted_below_the_answers_with_no_header_is_history(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    raw = _reply(row, f"{ANSWERS}\n\n{row.body_text}")

    assert parse_mail(raw).text == ANSWERS
    assert intake.process(raw).outcome == "processed"
    assert _billed(sqlite_engine) == ("draft", {"1": "300", "2": "3"})
    assert "couldn't" not in _answer(sqlite_engine)


def test_our_invite_pasted_without_its_greeting_keeps_the_contacts_own_greeting(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _intake, row = invite_sam(sqlite_engine, tmp_path)
    invite = (row.body_text or "").partition("Hi Sam,")[2].strip()
    mine = f"Hi Jane,\n\n{ANSWERS}"

    assert parse_mail(_reply(row, f"{mine}\n\n{invite}")).text == mine


def test_our_invite_pasted_into_an_html_reply_is_history(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _intake, row = invite_sam(sqlite_engine, tmp_path)
    html = re.sub(r"(<body[^>]*>)", r"\1<p>INV-0042</p><p>1: 50%</p>", row.body_html or "")

    assert "<p>1: 50%</p><p>Hi Sam,</p>" in html
    assert parse_mail(_reply(row, "", html=html)).text == "INV-0042\n1: 50%"


def test_our_spanish_template_marker_starts_the_history() -> None:
    body = f"{ANSWERS}\n\n---- plantilla de respuesta ----\n\nNúmero de factura: INV-0001\n1:\n2:\n"

    assert extract_reply(_plain(body)).text == ANSWERS


# --- F4: a tagline in the signature ---------------------------------------------------------

SIGNATURE = "Thanks,\nSam Sparks | Project Manager\nAcme Electric, Inc.\nHouston, TX 77002\n"
TAGLINES = [
    "Celebrating 25 Years",
    "TECL #28451 | Celebrating 25 Years",
    "Over 500 projects completed",
    "A 100% union contractor",
    "Top 10 Electrical Contractor - ENR 2025",
    "Safety is priority #1",
    "Office: Mon-Fri 7am-4pm",
    "2x Best Places to Work",
]


@pytest.mark.parametrize("tagline", TAGLINES)
def test_a_tagline_does_not_keep_the_signature_around_it(tagline: str) -> None:
    below = extract_reply(_plain(f"{ANSWERS}\n\n{SIGNATURE}O: 713.555.0101\n{tagline}\n"))
    between = extract_reply(_plain(f"{ANSWERS}\n\n{SIGNATURE}{tagline}\nO: 713.555.0101\n"))

    assert below.text == ANSWERS
    assert tagline in below.signature
    assert between.text == ANSWERS


@pytest.mark.parametrize(
    "answer", ["1: 50%", "Panels 3 units", "line 2 - 30 units", "Conduit done", "send", "50%"]
)
def test_an_answer_below_a_signature_is_never_taken_for_a_tagline(answer: str) -> None:
    body = f"INV-0042\n\n{SIGNATURE}O: 713.555.0101\n{answer}\nCelebrating 25 Years\n"

    assert answer in extract_reply(_plain(body)).text.split("\n")


def test_a_tagline_without_a_contact_line_is_kept_with_the_card() -> None:
    body = f"{ANSWERS}\n\nSam Sparks\nAcme Electric\nCelebrating 25 Years\n"

    assert "Celebrating 25 Years" in extract_reply(_plain(body)).text


def test_a_disclaimer_with_a_figure_in_its_prose_is_small_print() -> None:
    body = (
        f"{ANSWERS}\n\n{SIGNATURE}O: 713.555.0101\n\nCONFIDENTIALITY NOTICE: This e-mail is "
        "confidential. Payment terms Net 30; a 1.5% monthly finance charge applies.\n"
    )

    assert extract_reply(_plain(body)).text == ANSWERS


def test_send_above_a_signature_with_a_tagline_sends(sqlite_engine: Engine, tmp_path: Path) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    body = f"{ANSWERS}\nsend\n\n{SIGNATURE}O: 713.555.0101\nCelebrating 25 Years\n"

    assert intake.process(_reply(row, body)).outcome == "processed"
    assert _billed(sqlite_engine) == ("under_review", {"1": "300", "2": "3"})


# --- F14: text the HTML hides -----------------------------------------------------------------


@pytest.mark.parametrize(
    "hidden",
    [
        '<div style="display:none">1: 100%</div>',
        '<div style="display: none !important;">1: 100%</div>',
        '<span style="visibility:hidden">1: 100%</span>',
        '<div style="mso-hide:all">1: 100%</div>',
        '<div style="font-size:0px;line-height:0">1: 100%</div>',
        '<div style="max-height:0;overflow:hidden">1: 100%</div>',
        '<div style="overflow:hidden; max-height:0px">1: 100%</div>',
        "<div hidden>1: 100%</div>",
    ],
)
def test_text_the_html_hides_is_not_the_contacts(hidden: str) -> None:
    reply = extract_reply(_html(f"<html><body>{hidden}<p>1: 50%</p></body></html>"))

    assert reply.text == "1: 50%"


def test_text_shown_again_inside_a_hidden_wrapper_and_after_it_is_kept() -> None:
    html = (
        '<table><tr><td style="font-size:0"><div style="font-size:14px">1: 50%</div></td></tr>'
        '</table><p style="display:none">1: 100%<p>2: 3 units'
    )

    assert html_to_text(html)[0] == "1: 50%\n2: 3 units"


# --- F5: a top answer naming its line by description, beside the quoted answers ----------------

DESCRIPTIONS = {"1": "Conduit", "2": "Panels"}


@pytest.mark.parametrize(
    ("top", "typed", "merged"),
    [
        ("INV-0042, see table, panels 3 units", ["1: 50%"], "INV-0042, see table, panels 3 units"
         "\n1: 50%"),
        ("conduit 50%", ["1: 50%", "2: 3 units"], "conduit 50%\n2: 3 units"),
        ("conduit 60%", ["1: 50%"], None),  # one line, two answers: the top alone
        ("wire 50%", ["1: 50%"], None),  # no such line: it might be any of them
    ],
)  # fmt: skip
def test_a_top_answer_named_by_description_is_read_with_the_quoted_answers(
    top: str, typed: list[str], merged: str | None
) -> None:
    assert with_top(top, typed, lines=DESCRIPTIONS) == merged


def test_without_the_lines_a_top_answer_named_by_description_is_read_alone() -> None:
    assert with_top("panels 3 units", ["1: 50%"]) is None


@pytest.mark.parametrize("top", ["See my answers below in red.", "Numbers in bold below"])
def test_a_top_pointing_to_answers_by_their_colour_only_points(top: str) -> None:
    assert top_beside_template(top) == ""


def test_a_line_named_on_top_and_an_answer_typed_in_the_quoted_template_are_both_billed(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """`panels 3 units` on top names line 2 by its description; `50%` typed into line 1 of
    the quoted template answers another line: the intake gives `with_top` the commitment's
    lines, so both are billed (the quoted answer was dropped)."""
    intake, row = invite_sam(sqlite_engine, tmp_path)
    quoted = "\n".join(f"> {line}" for line in (row.body_text or "").splitlines())
    quoted = re.sub(r"(?m)^> 1: *$", "> 1: 50%", quoted)
    raw = _reply(row, f"INV-0042, panels 3 units\n\nOn Tue, Jane wrote:\n{quoted}")

    assert intake.process(raw).outcome == "processed"
    assert _billed(sqlite_engine) == ("draft", {"1": "300", "2": "3"})
