"""Rendering replies as one email, and building the MIME message of an outbox row."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest

from conversations.types import Reply, ReplyKind, StepName
from mail.compose import build_message, mint_message_id, thread_references
from mail.config import MailSettings
from mail.errors import ComposeError
from mail.html import render_replies, totals_html
from mail.inbound import parse_mail
from mail.outbox import reply_subject
from models.attachments import store_bytes
from models.billing import G702Summary, LineFigures
from models.outbox import OutboundMessage

CORPUS = Path(__file__).with_name("mail_corpus")
MAIL = MailSettings(address="billing@summit.test", display_name="Summit Billing")
D = Decimal


def totals() -> G702Summary:
    return G702Summary(
        D("48600"), D("0"), D("48600"), D("15900"), D("1590"), D("14310"), D("3375"),
        D("10935"), D("34290"),
    )  # fmt: skip


def line() -> LineFigures:
    return LineFigures(
        number="1", description="Conduit <main>", is_unit=True, scheduled_value=D("15000"),
        previous_value=D("3750"), new_value=D("3750"), materials_stored=D("0"),
        completed_to_date=D("7500"), percent_complete=D("50.00"), balance_to_finish=D("7500"),
        retainage_held=D("375"), retainage_released=D("0"), retainage_total=D("750"),
        previous_retainage=D("375"), quantity=D("1200"), unit_price=D("12.5"), uom="LF",
        previous_quantity=D("300"), new_quantity=D("300"),
    )  # fmt: skip


def test_replies_of_one_turn_become_one_email_with_tables() -> None:
    replies = [
        Reply("Got it: invoice number INV-0042.", ReplyKind.info),
        Reply("Please check:", ReplyKind.review, StepName.review, lines=(line(),),
              totals=totals(), footer="Reply `send` to send it."),
    ]  # fmt: skip
    text, html = render_replies(replies, notes=("big.pdf is too big.",))

    assert text.index("big.pdf") < text.index("Got it") < text.index("Please check")
    assert "8. Current payment due" in text and "$10,935.00" in text
    assert html.count("<table") == 2
    assert "Conduit &lt;main&gt;" in html and "<main>" not in html
    assert 'text-align:right;white-space:nowrap;">$10,935.00</td>' in totals_html(totals())
    assert "Stored" not in html  # unit-based lines only


def test_reply_subject_keeps_the_thread_without_piling_prefixes() -> None:
    subject = "Harbor Tower: Jane Doe has invited you to bill."
    assert reply_subject(subject) == f"Re: {subject}"
    assert reply_subject(f"RE: AW: Re: {subject}") == f"Re: {subject}"
    assert reply_subject("") == "Re: your invoice"


@pytest.mark.parametrize(
    "prefixes",
    [
        "RES: ENC: ",  # Portuguese
        "R: Rif: ",  # Italian
        "Odp: PD: ",  # Polish
        "SV: VS: ",  # Nordic
        "回复: 答复：",  # Chinese
        "Réf. : TR: ",  # French
        "Re[2]: Re(3): ",
        "Re: [EXTERNAL] RE: ",  # a gateway's tag
        "[EXT] *EXTERNAL* Re: ",
        "EXTERNAL: Re: ",
    ],
)
def test_reply_subject_drops_every_clients_prefixes_and_gateway_tags(prefixes: str) -> None:
    subject = "Harbor Tower: Jane Doe has invited you to bill."
    assert reply_subject(prefixes + subject) == f"Re: {subject}"
    assert reply_subject("Re: Harbor Tower [Rev 2]") == "Re: Harbor Tower [Rev 2]"


def test_message_ids_carry_the_token_and_references_stay_ordered() -> None:
    assert mint_message_id(MAIL, token="bb1abc", tag="invite") == "<bb1abc.invite@summit.test>"
    assert mint_message_id(MAIL) != mint_message_id(MAIL)
    assert thread_references("<c>", previous=("<a>", "<b>", "<a>")) == ("<a>", "<b>", "<c>")


def row(payload: Mapping[str, object]) -> OutboundMessage:
    return OutboundMessage(
        channel="email", recipient="sam@acme.test", subject="Re: x", body_text="hello",
        body_html="<p>hello</p>", payload=json.dumps(payload), message_id="<bb1.r@summit.test>",
    )  # fmt: skip


def test_outbox_row_becomes_a_threaded_auto_replied_message_with_attachment(
    tmp_path: Path,
) -> None:
    digest, _ = store_bytes(tmp_path, b"%PDF-1.4 test")
    payload = {
        "recipient_name": "Sam Sparks", "reply_to": "billing+bb1@summit.test",
        "in_reply_to": "<q@acme.test>", "references": ["<bb1.invite@summit.test>", "<q@acme.test>"],
        "auto_submitted": "auto-replied",
        "attachments": [{"filename": "a.pdf", "content_type": "application/pdf", "sha256": digest}],
    }  # fmt: skip
    message = build_message(row(payload), MAIL, tmp_path)

    assert message["From"] == "Summit Billing <billing@summit.test>"
    assert message["To"] == "Sam Sparks <sam@acme.test>"
    assert message["Reply-To"] == "Summit Billing <billing+bb1@summit.test>"
    assert message["Message-ID"] == "<bb1.r@summit.test>"
    assert message["In-Reply-To"] == "<q@acme.test>"
    assert message["References"] == "<bb1.invite@summit.test> <q@acme.test>"
    assert message["Auto-Submitted"] == "auto-replied"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_missing_attachment_file_is_a_compose_error(tmp_path: Path) -> None:
    payload = {"attachments": [{"filename": "a.pdf", "sha256": "0" * 64}]}
    with pytest.raises(ComposeError):
        build_message(row(payload), MAIL, tmp_path)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.stem)
def test_every_corpus_message_parses_with_an_id_and_a_sender(path: Path) -> None:
    mail = parse_mail(path.read_bytes())
    assert mail.error is None and mail.external_id and mail.sender


def test_attachments_are_found_and_embedded_signature_images_skipped() -> None:
    mail = parse_mail((CORPUS / "gmail_pdf_attachment.eml").read_bytes())
    assert [a.filename for a in mail.attachments] and all(a.data for a in mail.attachments)


def test_an_attached_email_is_one_eml_file_not_the_files_inside_it() -> None:
    """A forwarded email's own attachments belong to that email: the `.eml` is kept whole,
    and its PDF is not taken for this invoice's backup."""
    old = EmailMessage()
    old["From"], old["Subject"] = "Jane Doe <billing@summit.test>", "October pay app"
    old.set_content("See the attached October invoice.")
    old.add_attachment(
        b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf", filename="old_invoice.pdf"
    )
    reply = EmailMessage()
    reply["From"], reply["Subject"] = "Sam Sparks <sam@acme.test>", "Re: invite"
    reply.set_content("INV-0042\n1: 50%\nSee attached email for context.")
    reply.add_attachment(old, filename="previous reply.eml")
    unnamed = EmailMessage()
    unnamed["From"], unnamed["Subject"] = "Sam Sparks <sam@acme.test>", "Re: invite"
    unnamed.set_content("2: 3 units")
    unnamed.add_attachment(old)

    mail = parse_mail(reply.as_bytes())
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("previous reply.eml", "message/rfc822")
    ]
    assert b"old_invoice.pdf" in mail.attachments[0].data  # the email as it was, whole
    assert "See the attached October invoice" not in mail.text
    [file] = parse_mail(unnamed.as_bytes()).attachments
    assert file.filename == "October pay app.eml"
