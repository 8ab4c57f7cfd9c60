"""Reply extraction and auto-reply detection over a corpus of real-looking client mail.

Each `tests/mail_corpus/X.eml` has beside it either `X.expected.txt` (the exact text
`extract_reply` must return; the file's final newline is not part of it) or
`X.expected.json` (`{"classify": "<reason>"}` for mail that must not be answered).
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from mail.autoreply import classify
from mail.config import MailSettings
from mail.extract import InlineAnswer, extract_reply, extract_reply_bytes
from mail.inbound import parse_mail
from mail.intake import Intake
from models.db import session_scope
from models.outbox import OutboundMessage
from tests.test_conversation_service import NOW, seed
from tests.test_hostile_mail import invitation_address

CORPUS = Path(__file__).parent / "mail_corpus"
EMLS = sorted(CORPUS.glob("*.eml"))


def _load(path: Path) -> Message:
    return email.message_from_bytes(path.read_bytes())


def _expected_text(path: Path) -> str | None:
    expected = path.with_suffix(".expected.txt")
    return expected.read_text(encoding="utf-8").removesuffix("\n") if expected.exists() else None


def _expected_classify(path: Path) -> str | None:
    expected = path.with_suffix(".expected.json")
    return json.loads(expected.read_text())["classify"] if expected.exists() else None


def test_corpus_is_complete() -> None:
    assert len(EMLS) >= 34
    for path in EMLS:
        assert (_expected_text(path) is None) != (_expected_classify(path) is None), path.name


@pytest.mark.parametrize("path", EMLS, ids=[p.stem for p in EMLS])
def test_corpus_message_is_classified(path: Path) -> None:
    assert classify(_load(path)) == _expected_classify(path)


@pytest.mark.parametrize(
    "path",
    [p for p in EMLS if _expected_text(p) is not None],
    ids=[p.stem for p in EMLS if _expected_text(p) is not None],
)
def test_corpus_reply_text_is_extracted(path: Path) -> None:
    assert extract_reply_bytes(path.read_bytes()).text == _expected_text(path)


def test_modern_policy_messages_are_accepted_too() -> None:
    raw = (CORPUS / "outlook_desktop_cp1252_qp.eml").read_bytes()
    modern = email.message_from_bytes(raw, policy=email.policy.default)

    assert extract_reply(modern).text == extract_reply_bytes(raw).text


@pytest.mark.parametrize(
    ("name", "html_only"),
    [
        ("gmail_html_only", True),
        ("thunderbird_html_moz_cite", True),
        ("outlook_web_html_only", True),
        ("gmail_web_top_posted", False),
        ("outlook_web", False),
    ],
)
def test_html_only_is_reported(name: str, html_only: bool) -> None:
    assert extract_reply(_load(CORPUS / f"{name}.eml")).html_only is html_only


def test_charset_used_is_reported() -> None:
    assert extract_reply(_load(CORPUS / "japanese_iso2022jp.eml")).charset == "iso2022_jp"
    # An iso-8859-1 label is read as windows-1252, as browsers do.
    latin1_label = CORPUS / "roundcube_latin1_label_cp1252_bytes.eml"
    assert extract_reply(_load(latin1_label)).charset == "cp1252"


def test_interleaved_answers_keep_the_quoted_line_they_answer() -> None:
    reply = extract_reply(_load(CORPUS / "gmail_interleaved_bare_answers.eml"))

    assert reply.inline[:3] == (
        InlineAnswer("1     Mobilization               $5,000.00  0%", "50%"),
        InlineAnswer("2     Metal stud framing        $40,000.00  0 of 120 units", "30 units"),
        InlineAnswer("3     Gypsum board              $60,000.00  0%", "skip"),
    )


def test_removed_signature_is_kept_aside() -> None:
    reply = extract_reply(_load(CORPUS / "thunderbird_bottom_posted.eml"))

    assert reply.signature == "--\nSam Lee\nAcme Drywall Inc."
    assert reply.quoted


def _plain(body: str, *, charset: str = "utf-8") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "sam@acme.test"
    message["Subject"] = "Re: invite"
    message.set_content(body, charset=charset)
    return message


@pytest.mark.parametrize(
    "body",
    [
        "1: 50%\n2 - 30 units\n3 skip",
        "all 100%",
        "INV-0042\n- 1: 50%\n- 2: -5%",
        "Best 3 lines:\n1: 50%",
        "Thanks for the invite\n1: 50%",
        "send\n\nThanks\n1: 50%",
        "From: the site office\n1: 50%",
    ],
)
def test_billing_answers_are_never_taken_for_signatures(body: str) -> None:
    assert extract_reply(_plain(body)).text == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("send\n\nSent from my iPhone", "send"),
        ("send\n\nThanks,\nSam Lee\nAcme Drywall\nM: 555 0101", "send"),
        ("send\n-- \nSam", "send"),
        ("On Monday we start.\n1: 50%", "On Monday we start.\n1: 50%"),
        ("1: 50%\n\nOn Mon, 25 Mar 2024 at 09:14, Billbot\nwrote:\n\nold text", "1: 50%"),
        ("1: 50%\n\nLe lun. 25 mars 2024 à 09:14, Billbot a écrit :\nold", "1: 50%"),
        ("1: 50%\n\nEl lun, 25 mar 2024 a las 9:14, Billbot escribió:\nold", "1: 50%"),
        # a contact card without a closing word or `--`, as Outlook adds one
        ("1: 50%\n2: 1\n\nMaria Lopez\nAcme Electric\n(555) 123-4567\n123 Main St, Suite 4",
         "1: 50%\n2: 1"),
        ("1: 50%\nMaria Lopez | Project Manager\nAcme Electric Inc.\n"
         "O: 555.123.4567 | M: 555.987.6543\nwww.acme-electric.test", "1: 50%"),
        ("send\nSam Lee\nHouston, TX 77002\nsam@acme.test", "send"),
        ("1: 50%\nSam\n+52 55 1234 5678", "1: 50%"),
        # what answers or asks stops the card
        ("1: 50%\nPanels complete\nMaria\n555-123-4567", "1: 50%\nPanels complete"),
        ("Panels 2\nMaria\n555-123-4567", "Panels 2"),
        ("1: 50%\nplease send it\nMaria\n555-123-4567", "1: 50%\nplease send it"),
        ("1: 50%, call me at 555-123-4567", "1: 50%, call me at 555-123-4567"),
        ("INV-4471\nMaria Lopez\nAcme Electric", "INV-4471\nMaria Lopez\nAcme Electric"),
    ],
)  # fmt: skip
def test_plain_reply_is_stripped(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Answers written right above the attribution, with no blank line between: the
        # attribution is only its own lines, never the answers above it.
        (
            "INV-22\n1: 40%\nOn Mon, Nov 30, 2026 at 9:00 AM Billbot <b@gc.test> wrote:\n> hi",
            "INV-22\n1: 40%",
        ),
        ("Invoice 77\n1 | 50%\n2 | 4 units\nOn x wrote:\n> hi", "Invoice 77\n1 | 50%\n2 | 4 units"),
        ("Please send it\nBillbot <billing@gc.test> wrote:\n> hi", "Please send it"),
        ("Please send it\nBillbot Billing <\nbilling@gc.test> wrote:\n> hi", "Please send it"),
        (
            "Looks right, send\n2026年11月30日(月) 9:00 Billbot <billing@gc.test>:\n> hi",
            "Looks right, send",
        ),
        # Attributions wrapped over two or three lines are still whole.
        (
            "send\nEl lun, 30 nov 2026 a las 9:00, Billbot (<billing@gc.test>)\nescribió:\n> hola",
            "send",
        ),
        (
            "send\nOn Mon, Nov 30, 2026 at 9:00 AM Billbot Billing <\n"
            "billing@gc.test> wrote:\n> hi",
            "send",
        ),
        ("Billbot Billing <\nbilling@gc.test> wrote:\n> hi", ""),
    ],
)
def test_text_right_above_an_attribution_is_kept(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


def test_outlook_history_below_a_rule_needs_one_header_field() -> None:
    body = (
        "1: 60%\n2: 3 units\n\nGet Outlook for Android<https://aka.ms/ghei36>\n"
        "________________________________\nFrom: Billbot <billing@gc.test>\n"
        "Sent: Monday, November 30, 2026 9:00:00 AM\n\nHello Sam"
    )
    assert extract_reply(_plain(body)).text == "1: 60%\n2: 3 units"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Auto-Submitted": "no"}, None),
        ({"Auto-Submitted": "auto-generated"}, "auto-submitted"),
        ({"X-Auto-Response-Suppress": "All"}, None),
        ({"X-Autoreply": "yes"}, "out-of-office"),
        ({"Subject": "Out of Office: Re: invite"}, "out-of-office"),
        ({"Subject": "=?utf-8?q?Automatische_Antwort:_Rechnung?="}, "out-of-office"),
        ({"Precedence": "junk"}, "precedence"),
        ({"List-Unsubscribe": "<mailto:leave@lists.test>"}, "list"),
        ({"Return-Path": "<>"}, "bounce"),
        ({"Return-Path": "<sam@acme.test>"}, None),
        ({"From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"}, "bounce"),
        ({"From": "Billbot <billing@example.test>"}, "own-address"),
        # a bounce with no report part, from no daemon; mail from no-reply addresses
        ({"From": "Mail Delivery System <no-reply@mx.acme.test>",
          "Subject": "Undelivered Mail Returned to Sender"}, "bounce"),
        ({"Subject": "Undeliverable: Harbor Tower"}, "bounce"),
        ({"From": "Acme Notifications <noreply@acme.test>"}, "auto-submitted"),
        ({"From": "Do Not Reply <do-not-reply@acme.test>"}, "auto-submitted"),
        ({"From": "Sam Noreply <sam.noreply.smith@acme.test>"}, None),
    ],
)  # fmt: skip
def test_mail_that_must_not_be_answered_is_recognised(
    headers: dict[str, str], expected: str | None
) -> None:
    message = _plain("1: 50%")
    for name, value in headers.items():
        del message[name]
        message[name] = value

    assert classify(message, own_addresses={"Billing@example.test"}) == expected


@pytest.mark.parametrize(
    "subject",
    [
        "Respuesta automática: Harbor Tower", "Respuesta automatica: Harbor Tower",
        "Réponse automatique : Harbor Tower", "Reponse automatique: Harbor Tower",
        "Resposta automática: Harbor Tower", "[Auto-Reply] Harbor Tower",
        "AUTO: Sam Sparks is out of the office (returning 12/01/2026)",
        "Re: Out of Office: Harbor Tower", "Vacation reply: Harbor Tower", "Away: Harbor Tower",
        "I am out of the office", "[EXTERNAL] Automatic reply: Harbor Tower",
        "Fuera de la oficina: Harbor Tower",
        "Autorespuesta: Harbor Tower", "Estoy fuera de la oficina", "Ausência temporária: Harbor",
        "Re: Harbor Tower: Jane Doe has invited you to bill. [Out of Office]",
        "Re: Harbor Tower (out of office)", "Re: Harbor Tower - Automatic reply",
        "Férias: Harbor Tower", "Estou de férias",
    ],
)  # fmt: skip
@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
def test_out_of_office_subjects_are_recognised_even_unencoded(subject: str, codec: str) -> None:
    """Raw 8-bit subjects (SMTPUTF8 mail, sloppy servers) as well as encoded words."""
    raw = f"From: sam@acme.test\r\nSubject: {subject}\r\n\r\nI am away.\r\n".encode(codec)

    assert classify(email.message_from_bytes(raw)) == "out-of-office"


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Harbor Tower: Jane Doe has invited you to bill.",
        "Re: Harbor Tower - away from site this week, numbers inside",
        "Away team numbers for Harbor Tower", "Automation panels: invoice", "Re: Autocad files",
        "Re: [EXTERNAL] Harbor Tower", "Out of pocket expenses, line 3",
        "Re: Harbor Tower - numbers before I'm out of office", "Re: Ausencia de pagos",
        "Re: Harbor Tower [OOO panels delivered]",
    ],
)  # fmt: skip
def test_a_persons_subject_is_no_auto_reply(subject: str) -> None:
    message = _plain("1: 50%")
    del message["Subject"]
    message["Subject"] = subject

    assert classify(message) is None


@pytest.mark.parametrize(
    "body",
    [
        "Thank you for your email. I am out of the office until Monday 11/30 with limited "
        "access to email.\nFor urgent matters please contact John Smith at 713-555-0100.\n\n"
        "Sam Sparks\nAcme Electric",
        "I'm currently out of the office on 11/23 and 11/24, back 11/25.",
        "I will be on vacation from Nov 23 through Nov 27 and will reply when I return.",
        "Estaré fuera de la oficina hasta el 30/11. Para asuntos urgentes llame al 55 1234 5678.",
        "Hola, estoy de vacaciones hasta el 1 de diciembre. Responderé a mi regreso.",
        "Estou de férias até 30/11. Em caso de urgência, ligue para 11 5555 0101.",
        "This is an automated reply. I am away from the office until December 1.",
    ],
)
def test_an_out_of_office_notice_is_known_by_its_text_alone(body: str) -> None:
    assert classify(_plain(body)) == "out-of-office"


@pytest.mark.parametrize(
    "body",
    [
        # a person who mentions being away, and answers or asks something
        "I'm on vacation next week, so here it is:\n1: 50%\n2: 3 units",
        "I am out of the office until Monday. Send it please.",
        "I'm out of the office till Monday, panels 3",
        "Estoy de vacaciones, pero la línea 1 va al 50%",
        "I am out of the office until Monday - can you hold the invoice until then?",
        "INV-0042\nI'm on vacation until 12/1",
        # a long message that says it in passing
        "Hi Jane, quick update on Harbor Tower. " * 20 + "I'm away from the office next week.",
        "Hi Jane,\nWe finished the conduit runs on level 3 and I am out of the office after.",
    ],
)
def test_a_person_who_says_they_are_away_is_still_answered(body: str) -> None:
    assert classify(_plain(body)) is None


@pytest.mark.parametrize(
    "sender",
    [
        "billing+bb1cjfjl4rrjgjdpxbq@example.test",
        "Billing+Review@Example.test",
        "billing@example.test",
    ],
)
def test_our_own_plus_addresses_are_our_own(sender: str) -> None:
    message = _plain("Hello")
    del message["From"]
    message["From"] = f"Summit Billing <{sender}>"

    assert classify(message, own_addresses={"billing@example.test"}) == "own-address"
    assert classify(message, own_addresses={"billing+x@example.test"}) == "own-address"
    assert classify(message, own_addresses={"bill@example.test"}) is None


def test_read_receipt_is_not_answered() -> None:
    raw = (
        b"From: sam@acme.test\nMIME-Version: 1.0\nContent-Type: multipart/report; "
        b'report-type=disposition-notification; boundary="b"\n\n--b\nContent-Type: text/plain'
        b"\n\nRead.\n--b--\n"
    )

    assert classify(email.message_from_bytes(raw)) == "auto-submitted"


@pytest.mark.parametrize("charset", ["no-such-charset", "base64", "utf-16", ""])
def test_wrong_charset_falls_back_without_raising(charset: str) -> None:
    raw = f'Content-Type: text/plain; charset="{charset}"\n\n1: 50% \xe9t\xc3\xa9\n'.encode(
        "latin-1"
    )

    assert extract_reply_bytes(raw).text.startswith("1: 50%")


def test_garbage_gives_text_without_control_characters() -> None:
    assert extract_reply_bytes(b"").text == ""
    assert "\x00" not in extract_reply_bytes(b"\x00\xff\x1b" * 50).text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_extract_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    reply = extract_reply_bytes(raw)
    assert isinstance(reply.text, str)
    classify(email.message_from_bytes(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(EMLS),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255), st.integers(0, 40)), max_size=8),
)
def test_extract_never_raises_on_mutated_corpus_mail(
    path: Path, mutations: list[tuple[float, int, int]]
) -> None:
    raw = bytearray(path.read_bytes())
    for where, byte, cut in mutations:
        at = int(where * len(raw))
        raw[at : at + cut] = bytes([byte])
    reply = extract_reply_bytes(bytes(raw))
    assert isinstance(reply.text, str)
    classify(email.message_from_bytes(bytes(raw)))


# --- Answers are never taken for a signature ------------------------------------------------

GMAIL_QUOTE = "\n\nOn Wed, Nov 25, 2026 at 9:14 AM Summit Billing <b@gc.test> wrote:\n> Hi Sam"
CARD = "\n\nSam Sparks\nAcme Electric\nC: 713-555-0101"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # (the sender's name below the answers is their signature: `_signed`)
        ("Hi Jane,\n\nThank you.\n\nLine 1: 600 LF\nLine 2: 3 EA\n\nSam" + GMAIL_QUOTE,
         "Hi Jane,\n\nThank you.\n\nLine 1: 600 LF\nLine 2: 3 EA"),
        ("Hola Jane,\nGracias.\nLínea 1: 600 LF\nLínea 2: 3 unidades\nenviar",
         "Hola Jane,\nGracias.\nLínea 1: 600 LF\nLínea 2: 3 unidades\nenviar"),
        ("Hi Jane,\nINV-0042\nThanks!\nConduit done\nPanels 3 units",
         "Hi Jane,\nINV-0042\nThanks!\nConduit done\nPanels 3 units"),
        ("INV-0042\nThanks\nItem 1 complete\nPartida dos: cuarenta por ciento",
         "INV-0042\nThanks\nItem 1 complete\nPartida dos: cuarenta por ciento"),
        ("1: 50%\n2: 3\nThanks. Send", "1: 50%\n2: 3\nThanks. Send"),
        ("Gracias, Enviar", "Gracias, Enviar"),
        ("1: 50%\nCheers\nsame as last month for the rest",
         "1: 50%\nCheers\nsame as last month for the rest"),
        # what follows the closing is only a name, a title and a card: it goes
        ("1: 50%\n\nSaludos,\nJosé Núñez\nGerente de Proyecto\nCel. 55 1234 5678", "1: 50%"),
        ("send\n\nBest regards,\nSam Lee | Project Manager\nsam@acme.test", "send"),
    ],
)  # fmt: skip
def test_answers_after_a_closing_word_are_kept(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("1: 50%\nSent from my phone on site, panels 2: 3 units",
         "1: 50%\nSent from my phone on site, panels 2: 3 units"),
        ("Sent from my truck, send it", "Sent from my truck, send it"),
        ("1: 50%\n\nSent from my Samsung Galaxy smartphone.", "1: 50%"),
        ("enviar\n\nEnviado desde mi iPhone", "enviar"),
    ],
)  # fmt: skip
def test_a_mobile_signature_is_the_whole_line_and_nothing_typed_after_it(
    body: str, expected: str
) -> None:
    assert extract_reply(_plain(body)).text == expected


@pytest.mark.parametrize(
    "answer",
    [
        "OK", "yes", "Sí", "ok, use it", "help", "status", "back", "looks good",
        "Same as last month", "INV-0042\nConduit: eighty percent\nPanels: forty percent",
        "INV-0042\n1: 80%\nPaneles: ninguno", "Paneles: cuarenta por ciento",
        "Panels: not started", "Panels: same as last month", "Panels twenty-five percent",
        "Línea dos: listo", "#2 skip", "approve as noted\n3: $4,000",
        # what the billing words do not know, above a blank line, is the message
        "Noted", "Fine by me",
    ],
)  # fmt: skip
def test_short_answers_above_a_contact_card_are_kept(answer: str) -> None:
    reply = extract_reply(_plain(answer + CARD))

    assert reply.text == answer
    assert reply.signature == CARD.strip()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Approved\n\nJane Doe\nSummit Builders\n713-555-0100", "Approved"),
        ("approve\nJane Doe | Project Accountant\nSummit Builders | www.summitbuilders.com",
         "approve"),
        ("Return for revision - panels not delivered yet\n\nJane Doe\nSummit Builders\n"
         "(713) 555-0100", "Return for revision - panels not delivered yet"),
        ("Aprobado\n\nJosé Núñez\nConstructora del Norte\nTel. 55 1234 5678", "Aprobado"),
        ("reject 2: only 3 panels delivered\nJane Doe\nChange Order Coordinator\n"
         "Summit Builders\nO: 713-555-0100", "reject 2: only 3 panels delivered"),
        ("Rechazar 2\n\nLic. María de la Luz Pérez\nAdministración de Obra\n(55) 1234-5678",
         "Rechazar 2"),
    ],
)  # fmt: skip
def test_an_administrators_decision_above_a_card_is_kept(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


@pytest.mark.parametrize(
    "phone",
    [
        "(55) 1234-5678", "55 1234 5678", "Cel. 55 1234 5678", "Tel. 5512345678",
        "07700 900123", "+52 55 1234 5678", "+44 20 7946 0958", "M: 555 0101",
        "Office 713.555.0100 | Cell 713.555.0101", "1-800-555-0199",
    ],
)  # fmt: skip
def test_phone_numbers_of_many_countries_make_a_card(phone: str) -> None:
    assert extract_reply(_plain(f"1: 50%\n2: 3 units\nSam Sparks\n{phone}")).text == (
        "1: 50%\n2: 3 units"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a reply of only a signature (its files attached) says nothing
        ("Sam Sparks\nAcme Electric\nC: 713-555-0101", ""),
        # a card opens with a name: the words above it are the message
        ("1: 50%\nthe rest next month\nSam\n713-555-0101", "1: 50%\nthe rest next month"),
        ("Hi Jane,\n\nSam Sparks\nAcme Electric\nC: 713-555-0101", "Hi Jane,"),
        # no contact line: a card only when it opens with the sender's name
        ("send\n\nSam Lee\nAcme Drywall Inc.", "send"),
        ("send\n\nPat Lee\nAcme Drywall Inc.", "send\n\nPat Lee\nAcme Drywall Inc."),
    ],
)  # fmt: skip
def test_a_card_looks_like_one(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


CONFIDENTIALITY = (
    "CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for the sole\n"
    "use of the intended recipient(s) and may contain confidential and privileged\n"
    "information. Any unauthorized review, use, disclosure or distribution is prohibited. If\n"
    "you are not the intended recipient, please contact the sender by reply e-mail or call\n"
    "1-800-555-0199 and destroy all copies of the original message."
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("INV-0042\n1: 50%\n2: 3 units\nsend\n\nSam Sparks | Acme Electric\n\n"
         + CONFIDENTIALITY + GMAIL_QUOTE, "INV-0042\n1: 50%\n2: 3 units\nsend"),
        ("1: 50%\n\nThis e-mail and any attachments are confidential and may be privileged. "
         "If you are not the intended recipient, please delete it.", "1: 50%"),
        ("enviar\n\nSaludos,\nJosé Núñez\n\nEste correo electrónico y sus anexos son "
         "confidenciales y están dirigidos exclusivamente a su destinatario.", "enviar"),
        ("1: 50%\nJosé Núñez\nAVISO DE CONFIDENCIALIDAD: La información contenida en este "
         "mensaje es privilegiada.", "1: 50%"),
        ("send\n\nSam\nAcme Electric\n\nPlease consider the environment before printing this "
         "email.", "send"),
        ("all 100%\n\nDISCLAIMER\nThe information in this message is intended only for the "
         "addressee.", "all 100%"),
        # prose that opens like one, with answers below it, is the message
        ("This message is confidential, Jane:\n1: 50%\nsend",
         "This message is confidential, Jane:\n1: 50%\nsend"),
    ],
)  # fmt: skip
def test_legal_disclaimers_and_the_card_above_them_are_cut(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


def test_an_approval_note_holds_no_signature_or_disclaimer() -> None:
    body = (
        "Approved.\n\nJane Doe\nInvoice Administrator | Summit Builders\n\nThis message and "
        "any attachments are confidential and intended solely for the addressee. If you "
        "received it in error, please notify the sender and delete it."
    )
    assert extract_reply(_plain(body)).text == "Approved."


@pytest.mark.parametrize(
    "header",
    [
        "De: Summit Billing <billing@gc.test>\nEnviada em: quarta-feira, 25 de novembro de 2026"
        "\nPara: Sam Sparks <sam@acme.test>\nAssunto: Harbor Tower",
        "Od: Summit Billing <billing@gc.test>\nWysłane: środa, 25 listopada 2026 09:14\n"
        "Do: Sam Sparks <sam@acme.test>\nTemat: Harbor Tower",
        "Kimden: Summit Billing <billing@gc.test>\nGönderildi: 25 Kasım 2026 Çarşamba 09:14\n"
        "Kime: Sam Sparks <sam@acme.test>\nKonu: Harbor Tower",
        "差出人: Summit Billing <billing@gc.test>\n送信日時: 2026年11月25日 9:14\n"
        "宛先: Sam Sparks <sam@acme.test>\n件名: Harbor Tower",
        "发件人: Summit Billing <billing@gc.test>\n发送时间: 2026年11月25日 9:14\n"
        "收件人: Sam Sparks <sam@acme.test>\n主题: Harbor Tower",
        "보낸 사람: Summit Billing <billing@gc.test>\n보낸 날짜: 2026년 11월 25일 수요일 9:14\n"
        "받는 사람: Sam Sparks <sam@acme.test>\n제목: Harbor Tower",
        "De: Summit Billing <billing@gc.test>\nEnviado el: miércoles, 25 de noviembre de 2026\n"
        "Para: Sam Sparks <sam@acme.test>\nAsunto: Harbor Tower",
    ],
)
def test_outlook_history_in_more_languages_is_cut(header: str) -> None:
    body = f"1: 50%\n2: 3 units\n\n{header}\n\nHi Sam,\nplease bill Harbor Tower.\n1 Conduit"
    assert extract_reply(_plain(body)).text == "1: 50%\n2: 3 units"


# --- HTML and charsets ------------------------------------------------------------------------


def _html(html: str) -> EmailMessage:
    message = _plain("")
    message.set_content(html, subtype="html")
    return message


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<div>INV-0042</div><ol start="2"><li>3 units</li></ol>', "INV-0042\n2. 3 units"),
        ('<ol><li value="5">50%</li><li>skip</li></ol>', "5. 50%\n6. skip"),
        ('<ol type="a" start="2"><li>50%</li><li>skip</li></ol>', "b. 50%\nc. skip"),
        ('<ol type="I"><li>50%</li><li>skip</li></ol>', "I. 50%\nII. skip"),
        ("<ol reversed><li>50%</li><li>3 units</li><li>skip</li></ol>",
         "3. 50%\n2. 3 units\n1. skip"),
        ('<ol reversed start="9"><li>50%</li><li>skip</li></ol><ol><li>send</li></ol>',
         "9. 50%\n8. skip\n1. send"),
        ("<ul><li>1: 50%</li></ul><ol><li>skip</li></ol>", "- 1: 50%\n1. skip"),
    ],
)  # fmt: skip
def test_html_ordered_lists_keep_their_numbers(html: str, expected: str) -> None:
    assert extract_reply(_html(html)).text == expected


@pytest.mark.parametrize(
    "html",
    [
        '<html><head><meta charset="utf-8"><body><div>INV-0042</div><div>1: 50%</div>'
        "<div>send</div>",
        "<html><head><title>Re: invite</head><body><div>INV-0042</div><div>1: 50%</div>"
        "<div>send</div></body></html>",
        "<head><style>p{margin:0}</style><p>INV-0042</p><p>1: 50%</p><p>send</p>",
        "<head><title>Re: invite</title>INV-0042<br>1: 50%<br>send",
    ],
)
def test_html_head_without_its_end_tag_does_not_hide_the_body(html: str) -> None:
    assert extract_reply(_html(html)).text == "INV-0042\n1: 50%\nsend"


def _raw_plain(payload: bytes, charset: str) -> bytes:
    head = f"From: sam@acme.test\nContent-Type: text/plain; charset={charset}\n\n"
    return head.encode("ascii") + payload


def test_one_bad_byte_does_not_garble_a_utf8_body() -> None:
    body = "Línea 1: 50%\nenviar\n\nEl mié, 25 nov 2026, Summit Billing escribió:\n".encode()
    reply = extract_reply_bytes(_raw_plain(body + b"> Jane le invit\xf3 a facturar\n", "utf-8"))

    assert (reply.text, reply.charset) == ("Línea 1: 50%\nenviar", "utf-8")
    assert reply.body.endswith("> Jane le invit\ufffd a facturar")


@pytest.mark.parametrize("label", ["iso-8859-1", "windows-1252", "ISO-8859-15"])
def test_utf8_under_a_one_byte_label_is_read_as_utf8(label: str) -> None:
    reply = extract_reply_bytes(_raw_plain("Paneles: ningún avance – José".encode(), label))

    assert (reply.text, reply.charset) == ("Paneles: ningún avance – José", "utf-8")


def test_windows_1252_is_still_read_as_windows_1252() -> None:
    reply = extract_reply_bytes(_raw_plain("Línea 1: 50% – José".encode("cp1252"), "utf-8"))

    assert (reply.text, reply.charset) == ("Línea 1: 50% – José", "cp1252")


@pytest.mark.parametrize(
    ("payload", "label"),
    [
        ("Línea 1: 50%".encode("utf-16"), "unicode"),
        ("Línea 1: 50%".encode("utf-16-le"), "unicode"),
        ("Línea 1: 50%".encode("utf-16"), "utf-8"),  # the byte order mark wins
        ("Línea 1: 50%".encode("utf-16-be"), "unicodeFFFE"),
    ],
)
def test_utf16_is_read_by_its_label_or_byte_order_mark(payload: bytes, label: str) -> None:
    assert extract_reply_bytes(_raw_plain(payload, label)).text == "Línea 1: 50%"


# --- Signed mail and Outlook's winmail.dat, through the intake ---------------------------------


@dataclass
class _Inbox:
    intake: Intake
    engine: Engine
    to: str
    sent: int = 0

    def reply_to(self, message: Message) -> str:
        """What billbot answers to `message`, from the contact to their invitation."""
        self.sent += 1
        message["From"] = "Sam Sparks <sam@acme.test>"
        message["To"] = self.to
        message["Subject"] = "Re: Harbor Tower"
        message["Message-ID"] = f"<extract-{self.sent}@acme.test>"
        assert self.intake.process(message.as_bytes()).outcome == "processed"
        with Session(self.engine) as session:
            rows = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id)))
            return rows.all()[-1].body_text


@pytest.fixture
def inbox(sqlite_engine: Engine, tmp_path: Path) -> _Inbox:
    mail = MailSettings(
        address="billing@summit.test",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        secret=SecretStr("extract-secret"),
    )
    settings = Settings(
        database_url="sqlite://", attachments_dir=tmp_path / "attachments", mail=mail
    )
    with session_scope(sqlite_engine) as session:
        ids = seed(session)
    to = invitation_address(sqlite_engine, ids, settings)
    return _Inbox(Intake(sqlite_engine, settings, clock=lambda: NOW), sqlite_engine, to)


def _answers(text: str) -> EmailMessage:
    message = EmailMessage()
    message.set_content(text)
    return message


def test_ok_above_a_contact_card_accepts_the_suggested_number(inbox: _Inbox) -> None:
    assert "reply `ok` to use it" in inbox.reply_to(_answers("hello"))

    answer = inbox.reply_to(_answers("OK\n\nSam Sparks\nAcme Electric\nC: 713-555-0101"))

    assert answer.startswith("Got it: invoice number INV-0042.")


@pytest.mark.parametrize(
    ("kind", "filename"),
    [
        ("application/pkcs7-signature", "smime.p7s"),
        ("application/x-pkcs7-signature", "smime.p7s"),
        ("application/pgp-signature", "signature.asc"),
    ],
)
def test_a_signed_messages_signature_is_not_an_attachment(
    inbox: _Inbox, kind: str, filename: str
) -> None:
    signed = MIMEMultipart("signed", protocol=kind, micalg="sha-256")
    signed.attach(MIMEText("INV-0042\n1: 50%\n"))
    signature = MIMEApplication(b"0\x82\x0b\x1e\x06\t*\x86H\x86\xf7\r", kind.split("/")[1])
    signature.add_header("Content-Disposition", "attachment", filename=filename)
    signed.attach(signature)

    answer = inbox.reply_to(signed)

    assert filename not in answer
    assert "Got it:" in answer


def test_winmail_dat_is_refused_with_how_to_send_the_files_again(inbox: _Inbox) -> None:
    message = _answers("INV-0042\n1: 50%\n")
    message.add_attachment(
        b"\x78\x9f\x3e\x22" + b"\x00" * 64,
        maintype="application",
        subtype="ms-tnef",
        filename="winmail.dat",
    )

    answer = inbox.reply_to(message)

    assert "winmail.dat: Outlook sent your files in its own format" in answer
    assert "ordinary attachments" in answer
    assert "this type of file cannot be attached" not in answer


# --- Mail gateways' banners ---------------------------------------------------------------------

ANSWERS = "INV-0042\n1: 50%\n2: 3 units\nsend"
FIRST_CONTACT = (
    "You don't often get email from sam@acme.test. Learn why this is important"
    "<https://aka.ms/LearnAboutSenderIdentification>"
)
CAUTION = (
    "CAUTION: This email originated from outside of the organization. Do not click links or "
    "open attachments unless you recognize the sender and know the content is safe."
)


@pytest.mark.parametrize(
    "body",
    [
        # on top, as gateways prepend them
        f"{FIRST_CONTACT}\n{ANSWERS}",
        f"{CAUTION}\n\n{ANSWERS}",
        f"{CAUTION}\n{ANSWERS}",  # no blank line between: the answers are still the contact's
        # wrapped at 72 characters, and the tag on a line of its own above its sentence
        "CAUTION: This email originated from outside of the organization. Do not\nclick links "
        "or open attachments unless you recognize the sender and know\nthe content is safe.\n"
        + ANSWERS,
        "WARNING:\nThis email came from outside your organization.\n\n" + ANSWERS,
        "ATTENTION: This email was sent from someone outside of the company. Be careful with "
        "links.\n" + ANSWERS,
        "[EXTERNAL EMAIL] DO NOT CLICK links or attachments unless you recognize the sender "
        "and know the content is safe.\n\n" + ANSWERS,
        f"[EXTERNAL]\n{ANSWERS}",
        "*** External email ***\n" + ANSWERS,
        "This message is from an EXTERNAL SENDER - be CAUTIOUS, particularly with links and "
        "attachments.\n________________________________\n" + ANSWERS,
        "This Message Is From an External Sender\nThis message came from outside your "
        "organization.\nZjQcmQRYFpfptBannerEnd\n" + ANSWERS,
        "PRECAUCIÓN: Este correo se originó fuera de la organización. No haga clic en enlaces "
        "ni abra adjuntos a menos que reconozca al remitente.\n" + ANSWERS,
        # below, as they append them (here without quoted history to cut them with)
        ANSWERS + "\n\n________________________________\nThis email has been scanned for spam "
        "and viruses by Proofpoint Essentials. Click here<https://pp.test/r> to report this "
        "email as spam.",
        ANSWERS + "\n\nThis email has been scanned by the Symantec Email Security.cloud "
        "service.\nFor more information please visit http://www.symanteccloud.com\n" + "_" * 70,
        ANSWERS + "\n\nSam Sparks\nAcme Electric\n713-555-0101\n\nThis email has been checked "
        "for viruses by Avast antivirus software.\nwww.avast.com",
        # both, around a signature, above the quoted history
        f"{CAUTION}\n\n{ANSWERS}\n\nThanks,\nSam\n\nThis email has been scanned for viruses."
        + GMAIL_QUOTE,
    ],
)
def test_gateway_banners_above_and_below_are_not_the_contacts_text(body: str) -> None:
    reply = extract_reply(_plain(body))

    assert reply.text == ANSWERS
    assert "scanned" not in reply.signature and "CAUTION" not in reply.signature


@pytest.mark.parametrize(
    "body",
    [
        "Hi Jane, I checked the links you sent.\n1: 50%",
        "Do not click send yet\n1: 50%",
        "External work is done\n1: 50%",
        # a banner's words with an answer after them on the line: the contact's
        "CAUTION: 1: 50%",
        "I don't often get email from you, here is INV-0042\n1: 50%",
        f"{CAUTION}\n1: 50%\nThis email has been scanned, 2: 3 units",
    ],
)
def test_lines_like_a_banner_that_the_contact_wrote_are_kept(body: str) -> None:
    text = extract_reply(_plain(body)).text
    assert "1: 50%" in text
    if not body.startswith(CAUTION):
        assert text == body
    else:
        assert text == "1: 50%\nThis email has been scanned, 2: 3 units"


def test_a_banner_in_an_html_only_reply_is_cut() -> None:
    first_contact = (
        '<table border="0" cellspacing="0" cellpadding="0" align="left" width="100%" '
        'style="width:100%;background:#A6A6A6"><tr><td style="padding:5pt"></td>'
        '<td width="100%" style="background:#EAEAEA"><div><p class="MsoNormal">'
        '<span style="font-size:9pt">You don\'t often get email from sam@acme.test. '
        '<a href="https://aka.ms/LearnAboutSenderIdentification">Learn why this is '
        'important</a></span></p></div></td><td width="75"><div></div></td></tr></table>'
    )
    caution = (
        '<div style="background-color:#FFEB9C;border:1pt solid #9C6500"><p><b>'
        '<span style="color:#9C6500">CAUTION:</span></b> This email originated from outside '
        "of the organization. Do not click links or open attachments unless you recognize "
        "the sender and know the content is safe.</p></div>"
    )
    html = f"{first_contact}{caution}<div>INV-0042</div><div>1: 50%</div><div>send</div>"

    assert extract_reply(_html(html)).text == "INV-0042\n1: 50%\nsend"


def test_a_footer_below_bottom_posted_answers_is_no_inline_answer() -> None:
    body = (
        "On Wed, Nov 25, 2026 at 9:14 AM Summit Billing <b@gc.test> wrote:\n"
        "> 1  Conduit  $3,750.00\n1: 50%\n\n"
        "This email has been scanned for spam and viruses by Proofpoint Essentials."
    )
    reply = extract_reply(_plain(body))

    assert reply.text == "1: 50%"
    assert reply.inline == (InlineAnswer("1  Conduit  $3,750.00", "1: 50%"),)


# --- Signature lines that read like answers -----------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        "Sam Sparks (he/him)\nAcme Electric\n713-555-0101",
        "Sam Sparks | Acme Electric\nISO 9001:2015 Certified\nwww.acme.test",
        "Sam Sparks\nOffice hours: Mon-Fri 7:00-3:30\n713-555-0101",
        "Sam Sparks\nFollow us: LinkedIn | Facebook | Instagram\n713-555-0101",
        "Sam Sparks\nAcme Electric\nTECL #12345\n713-555-0101",
        "Sam Sparks\nAcme Electric\nCA Lic. 987654 | DIR 1000012345\n713-555-0101",
        "Sam Sparks\nProject Manager\nAcme Electric, Inc. | 100% Employee Owned\n"
        "O: 713.555.0101 | C: 713.555.0199",
        "Thanks,\nSam\n\nAcme Electric — 100% employee-owned since 1987",
        "Sam Sparks\nAcme Electric\n#1 in Customer Service\n713-555-0101",
        "Sam Sparks\nAcme Electric - 24 hrs emergency service\n713-555-0101",
        "Sam Sparks\nAcme Electric\nServing Texas for 35 years\n713-555-0101",
        "Sam Sparks\nLine 1 Construction Services LLC\n713-555-0101",
        "Sam\nAcme Electric\n\nP Please consider the environment before printing this email.",
        "Sent from my iPhone\n\nSam Sparks\nAcme",
    ],
)
def test_a_signatures_taglines_are_cut_with_it(signature: str) -> None:
    reply = extract_reply(_plain(f"{ANSWERS}\n\n{signature}"))

    assert reply.text == ANSWERS


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # what answers stops the card, whatever tagline words it holds
        ("INV-0042\nSam Sparks\n1: 50% certified\n713-555-0101",
         "INV-0042\nSam Sparks\n1: 50% certified"),
        ("INV-0042\nSam Sparks\nPanels: 24 hrs\n713-555-0101",
         "INV-0042\nSam Sparks\nPanels: 24 hrs"),
        ("INV-0042\nSam Sparks\nLine 2 done Mon-Fri\n713-555-0101",
         "INV-0042\nSam Sparks\nLine 2 done Mon-Fri"),
        ("1: 50%\nSam Sparks\nINV-0043 Acme LLC\n713-555-0101",
         "1: 50%\nSam Sparks\nINV-0043 Acme LLC"),
        ("Sam Sparks\nsend\n713-555-0101", "Sam Sparks\nsend"),
        ("Sent from my iPhone\nPanels complete", "Panels complete"),
    ],
)  # fmt: skip
def test_answers_among_taglines_are_kept(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected


# --- Tables whose cells hold paragraphs ---------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        '<p class="MsoNormal">{}</p>',  # Word and Outlook
        "<div>{}</div>",  # Outlook on the web, Gmail
        '<p class="MsoNormal"><span style="color:black">{}<o:p></o:p></span></p>',
        "{}",
    ],
)
def test_a_tables_row_is_one_line_whatever_its_cells_hold(cell: str) -> None:
    rows = [["Line", "Description", "% Complete"], ["1", "Conduit", "50%"], ["2", "Panels", ""]]
    html = "<div>INV-0042</div><table>" + "".join(
        "<tr>" + "".join(f"<td>{cell.format(c) if c else ''}</td>" for c in row) + "</tr>"
        for row in rows
    ) + "</table>"  # fmt: skip

    assert extract_reply(_html(html)).text == (
        "INV-0042\nLine | Description | % Complete\n1 | Conduit | 50%\n2 | Panels |"
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # a layout: one cell holding the message, beside an empty one
        ("<table><tr><td><div>INV-0042</div><div>1: 50%</div></td><td width=20></td></tr>"
         "</table>", "INV-0042\n1: 50%"),
        # a table in a cell: its rows are rows, the outer cells are not one
        ("<table><tr><td>Sam</td><td><table><tr><td>1</td><td><p>50%</p></td></tr></table>"
         "</td></tr></table>", "Sam\n1 | 50%"),
        # cells without their end tags, a paragraph of two lines in one
        ("<table><tr><td><p>1</p><td><p>Conduit</p><p>(EMT)</p><td>50%<tr><td>2<td>Panels"
         "<td>skip</table>", "1 | Conduit (EMT) | 50%\n2 | Panels | skip"),
    ],
)  # fmt: skip
def test_layout_tables_keep_their_lines(html: str, expected: str) -> None:
    assert extract_reply(_html(html)).text == expected


# --- Opaque-signed S/MIME ------------------------------------------------------------------------


def _signed_data(content: bytes) -> bytes:
    """A real CMS SignedData (DER) carrying `content`, signed by a throwaway certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "sam@acme.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content)
    return builder.add_signer(cert, key, hashes.SHA256()).sign(serialization.Encoding.DER, [])


def _ber(tag: int, *children: bytes) -> bytes:
    """An element of indefinite length (as Apple Mail writes them)."""
    return bytes([tag, 0x80]) + b"".join(children) + b"\x00\x00"


def _der(tag: int, value: bytes) -> bytes:
    assert len(value) < 128
    return bytes([tag, len(value)]) + value


def _ber_signed_data(content: bytes) -> bytes:
    """SignedData in BER: indefinite lengths, the content in chunks of a constructed OCTET
    STRING, no certificates or signers (the reader does not check them)."""
    signed_oid = _der(0x06, bytes.fromhex("2a864886f70d010702"))
    data_oid = _der(0x06, bytes.fromhex("2a864886f70d010701"))
    chunks = [_der(0x04, content[i : i + 40]) for i in range(0, len(content), 40)]
    encapsulated = _ber(0x30, data_oid, _ber(0xA0, _ber(0x24, *chunks)))
    signed = _ber(0x30, _der(0x02, b"\x01"), _der(0x31, b""), encapsulated, _der(0x31, b""))
    return _ber(0x30, signed_oid, _ber(0xA0, signed))


def _opaque(der: bytes, smime_type: str = "signed-data") -> MIMEApplication:
    part = MIMEApplication(der, "pkcs7-mime", smime_type=smime_type, name="smime.p7m")
    part.add_header("Content-Disposition", "attachment", filename="smime.p7m")
    return part


INNER = (
    b'Content-Type: multipart/mixed; boundary="in"\r\n\r\n--in\r\n'
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nINV-0042\r\n1: 50%\r\n2: 3 units\r\n"
    b'--in\r\nContent-Type: application/pdf; name="INV-0042.pdf"\r\n'
    b'Content-Disposition: attachment; filename="INV-0042.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJSVFT0YK\r\n--in--\r\n"
)


@pytest.mark.parametrize("wrap", [_signed_data, _ber_signed_data], ids=["der", "ber"])
def test_an_opaque_signed_message_is_read_from_inside_its_signature(
    inbox: _Inbox, wrap: Callable[[bytes], bytes]
) -> None:
    answer = inbox.reply_to(_opaque(wrap(INNER)))

    assert "smime.p7m" not in answer and "S/MIME" not in answer
    assert "invoice number INV-0042" in answer and "line 2 (Panels): 3 EA" in answer
    assert "attached INV-0042.pdf" in answer


def test_opaque_signed_headers_stay_the_outer_messages() -> None:
    raw = (
        b"From: =?utf-8?q?Jos=C3=A9?= <jose@acme.test>\r\nSubject: Re: Harbor Tower\r\n"
        b"Message-ID: <signed@acme.test>\r\nMIME-Version: 1.0\r\n"
        + _opaque(_ber_signed_data(INNER)).as_bytes().replace(b"MIME-Version: 1.0\n", b"")
    )
    mail = parse_mail(raw)

    assert (mail.sender_name, mail.subject, mail.message_id) == (
        "José",
        "Re: Harbor Tower",
        "<signed@acme.test>",
    )
    assert mail.text == "INV-0042\n1: 50%\n2: 3 units"
    assert [a.filename for a in mail.attachments] == ["INV-0042.pdf"]
    assert extract_reply_bytes(raw).text == mail.text


@pytest.mark.parametrize(
    "part",
    [
        _opaque(b"0\x80garbage"),  # a signature that cannot be read
        _opaque(b"0\x82\x01\x00\x06\x09*\x86H\x86\xf7\r\x01\x07\x03", "enveloped-data"),
    ],
    ids=["unreadable", "encrypted"],
)
def test_encrypted_or_unreadable_smime_is_explained_not_refused_as_a_file(
    inbox: _Inbox, part: MIMEApplication
) -> None:
    answer = inbox.reply_to(part)

    assert "cannot be attached" not in answer
    assert "(S/MIME), which cannot be read here" in answer
    assert "Send clear text signed message" in answer


# --- Images in the HTML body: a logo is not an invoice's file, a photo is -----------------------

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)


def _related(html: str, *images: MIMEImage) -> MIMEMultipart:
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("INV-0042\n1: 50%\n2: 3 units\n"))
    alternative.attach(MIMEText(html, "html"))
    related = MIMEMultipart("related")
    related.attach(alternative)
    for image in images:
        related.attach(image)
    return related


def _image(data: bytes, cid: str, *, filename: str | None, disposition: str | None) -> MIMEImage:
    image = MIMEImage(data, "jpeg" if data.startswith(b"\xff\xd8") else "png")
    image.add_header("Content-ID", f"<{cid}>")
    if disposition:
        image.add_header("Content-Disposition", disposition, filename=filename)
    elif filename:
        image.set_param("name", filename)
    return image


JPEG = b"\xff\xd8\xff\xe0" + bytes(2000) + b"\xff\xd9"
BODY = '<div>INV-0042<br>1: 50%<br>2: 3 units</div><img src="cid:{}">'


@pytest.mark.parametrize(
    ("image", "html", "expected"),
    [
        # a signature logo, with or without its disposition (Outlook, Yahoo, Outlook for Mac)
        (_image(PNG, "image001.png@01DB3E2A", filename="image001.png", disposition="inline"),
         BODY.format("image001.png@01DB3E2A"), []),
        (_image(PNG, "logo123", filename="logo.png", disposition=None),
         BODY.format("logo123"), []),
        (_image(PNG, "logo123", filename=None, disposition=None), BODY.format("logo123"), []),
        # a photo sent from an iPhone: shown in the body too, but a camera's file
        (_image(JPEG, "4A6F1C2E-0B0B", filename="IMG_1234.jpeg", disposition="inline"),
         BODY.format("4A6F1C2E-0B0B"), ["IMG_1234.jpeg"]),
        # a large picture pasted into the body (a screenshot of the lien waiver)
        (_image(JPEG + bytes(60_000), "image002.jpg@01DB", filename="image002.jpg",
                disposition="inline"), BODY.format("image002.jpg@01DB"), ["image002.jpg"]),
        # an inline image the HTML does not show: sent to be kept
        (_image(PNG, "stamp", filename="stamp.png", disposition="inline"),
         BODY.format("other"), ["stamp.png"]),
        (_image(PNG, "stamp", filename=None, disposition=None), BODY.format("other"),
         ["image.png"]),
    ],
)  # fmt: skip
def test_only_the_small_images_the_html_shows_are_left_out(
    image: MIMEImage, html: str, expected: list[str]
) -> None:
    mail = parse_mail(_related(html, image).as_bytes())

    assert [attachment.filename for attachment in mail.attachments] == expected
    assert mail.text == "INV-0042\n1: 50%\n2: 3 units"


BOILERPLATE = [
    FIRST_CONTACT, CAUTION, "[EXTERNAL]", "This email has been scanned for viruses.",
    "Sam Sparks (he/him)", "ISO 9001:2015 Certified", "Office hours: Mon-Fri 7:00-3:30",
    "Follow us: LinkedIn | Facebook", "TECL #12345", "Acme Electric | 100% Employee Owned",
    "713-555-0101", "Sent from my iPhone", "", "________________________________",
]  # fmt: skip
LINE_ANSWERS = [
    "INV-0042", "1: 50%", "2 - 30 units", "Panels complete", "send", "all 100%", "line 3 skip",
    "Conduit 45%", "#2 done", "1: 50% certified", "2: 40 hours", "3: 24 hrs",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(BOILERPLATE), max_size=6),
    st.lists(st.sampled_from(LINE_ANSWERS), min_size=1, max_size=5),
    st.lists(st.sampled_from(BOILERPLATE), max_size=6),
)
def test_no_answer_is_ever_cut_with_the_boilerplate_around_it(
    above: list[str], answers: list[str], below: list[str]
) -> None:
    text = extract_reply(_plain("\n".join([*above, *answers, *below]))).text.split("\n")

    kept = iter(text)
    assert all(answer in kept for answer in answers), text  # each of them, in order
