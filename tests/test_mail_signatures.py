"""Signatures that carry a street address, as contacts in Colombia, Mexico, Spain, Brazil and
the US write them: cut, so that `Cl. 100 # 2-4` is never billed as `line 2: 4` nor a ZIP code
read as a quantity; and the answers around them kept."""

from __future__ import annotations

from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from mail.extract import extract_reply
from mail.intake import Intake
from models.outbox import OutboundMessage
from tests.test_inline_answers import invite_sam
from tests.test_mail_clients_intake import billed, reply


def _plain(body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message["Subject"] = "Re: invite"
    message.set_content(body)
    return message


def _html(body: str) -> EmailMessage:
    """`body` as an HTML-only message, a `<div>` a line (as Gmail and Outlook write it)."""
    message = EmailMessage()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message["Subject"] = "Re: invite"
    divs = "".join(f"<div>{line or '<br>'}</div>" for line in body.split("\n"))
    message.set_content(f"<html><body>{divs}</body></html>", subtype="html")
    return message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Colombia, after the name only, or after a Spanish or English closing
        ("INV-0042\n1: 50%\n\nSam Sparks\nDirector de Obra\nCl. 100 # 2-4\nBogotá D.C.",
         "INV-0042\n1: 50%"),
        ("INV-0042\n2: 3\n\nSaludos,\nSam Sparks\nCalle 26 # 1-5\nBogotá", "INV-0042\n2: 3"),
        ("1: 50%\n2: skip\nenviar\n\nCordialmente,\nSam Sparks\nCra. 7 # 1-50\nBogotá",
         "1: 50%\n2: skip\nenviar"),
        ("1: 50%\nenviar\n\nSaludos\nCl. 100 # 2-4, Bogotá", "1: 50%\nenviar"),
        ("1: 50%\nsend\n\nThanks,\nSam Sparks\nAcme Electric S.A.S.\nCl. 100 # 2-4\n"
         "Tel. +57 601 555 0142", "1: 50%\nsend"),
        ("1: 50%\n\nAtentamente,\nSam Sparks\nCarrera 15 No. 2-45\nMedellín", "1: 50%"),
        # Spain
        ("3\n\nUn saludo,\nSam\nC/ Mayor 12\n28013 Madrid", "3"),
        ("1: $20,000\n\nUn saludo,\nSam\nC/ Mayor 12, 3º B\n28013 Madrid", "1: $20,000"),
        # Mexico, without a phone number
        ("1: 50%\n2: 3\nenviar\n\nSaludos,\n\nSam Sparks\nGerente de Proyecto | Acme Electric\n"
         "Av. Reforma 250, Piso 3, Col. Juárez\nCDMX 06600", "1: 50%\n2: 3\nenviar"),
        ("1: 50%\n\nSaludos cordiales,\nSam Sparks\nCalle Hidalgo 45\nMonterrey, NL 64000",
         "1: 50%"),
        # Brazil
        ("1: 50%\n\nAbraços,\nSam\nRua Augusta 1500\n01304-001 São Paulo", "1: 50%"),
        # the US: a plaza, a suite, a PO box, a ZIP code without its comma
        ("INV-0042\n2: 3 units\n\nSam Sparks\nAcme Electric\n1 Harbor Plaza, Floor 12\n"
         "Houston TX 77002", "INV-0042\n2: 3 units"),
        ("2: 3 units\n\nRegards,\nSam Sparks\nSuite 200\nPO Box 4410\nHouston TX 77210",
         "2: 3 units"),
        ("Will confirm panels tomorrow.\n\nSam\n77002 Houston", "Will confirm panels tomorrow."),
        ("1: 50%\n\nBest,\nSam\nP.O. Box 12\nAustin TX 78701", "1: 50%"),
        # a tagline that tells where payments go (its `send` is no command)
        ("1: 50%\n2: 3 units\nsend\n\nThanks,\nSam Sparks\nAcme Electric | Accounts Receivable\n"
         "Please send all remittances to PO Box 4410, Houston TX 77210",
         "1: 50%\n2: 3 units\nsend"),
        ("1: 50%\n\nGracias,\nSam Sparks\nFavor de enviar sus pagos a Apartado Postal 118, CDMX",
         "1: 50%"),
    ],
)  # fmt: skip
def test_a_signature_with_a_street_address_is_cut(body: str, expected: str) -> None:
    assert extract_reply(_plain(body)).text == expected
    assert extract_reply(_html(body)).text == expected


@pytest.mark.parametrize(
    "body",
    [
        # what follows a greeting or a closing and answers stays
        "Saludos,\n2: 3",
        "Hola,\n2: 3\nenviar",
        "Un saludo\n2: 3 unidades\nenviar",
        "Gracias,\nPanels 3",
        "Thanks!\n12000 Conduit",
        "INV-0042\nHVAC 12000",
        "INV-0042\nConduit 12000\nPanels 3",
        "1: 50%\nFloor 3 done",
        "1: 50%\n\nSam\nFloor 2 panels 3",
        "Best 3 lines:\n1: 50%",
        "Please send it to PO Box 4410",
    ],
)
def test_answers_near_a_closing_are_not_taken_for_an_address(body: str) -> None:
    assert extract_reply(_plain(body)).text == body


@pytest.fixture
def invited(sqlite_engine: Engine, tmp_path: Path) -> tuple[Intake, OutboundMessage]:
    return invite_sam(sqlite_engine, tmp_path)


def test_a_colombian_address_in_the_signature_is_not_billed_and_the_send_goes_through(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    body = "INV-0042\n1: 50%\n2: 3\nenviar\n\nSam Sparks\nCl. 100 # 2-4\nBogotá D.C."

    intake.process(reply(row, body, tag="co"))

    assert billed(sqlite_engine) == ("under_review", {"1": Decimal(300), "2": Decimal(3)})


def test_a_bare_answer_above_a_signed_address_answers_the_line_asked(
    invited: tuple[Intake, OutboundMessage], sqlite_engine: Engine
) -> None:
    intake, row = invited
    intake.process(reply(row, "INV-0042\n1: 50%", tag="first"))  # line 2 is asked next

    intake.process(reply(row, "3\n\nUn saludo,\nSam\nC/ Mayor 12\n28013 Madrid", tag="second"))

    assert billed(sqlite_engine) == ("draft", {"1": Decimal(300), "2": Decimal(3)})
