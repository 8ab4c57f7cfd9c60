"""People writing loosely, and in Spanish, end to end: through `billbot demo` (piped stdin),
a real email reply on the test mail servers, and Slack; a contact with `language: es` bills
and sends an invoice entirely in Spanish by email and in Slack."""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.console import run_demo
from models.db import session_scope
from tests.phrasings import NO, PHRASINGS, SKIP, UNIT, Expected
from tests.servers.mailserver import MailServer
from tests.slack_emulator import SlackEmulator
from tests.test_console import NOW, invoice_status, run_demo_process
from tests.test_email_e2e import Site, client_reply, make_site
from tests.test_slack_flow import in_thread as in_thread_of
from tests.test_slack_support import invite, person, running

D = Decimal
UNITS = {"1": ("Conduit", "LF"), "2": ("Panels", "EA")}  # the demo's SC-007 lines


def said(line: str, expected: Expected) -> str:
    """What the engine says it understood for `line`, as the demo prints it (English)."""
    name, uom = UNITS[line]
    if expected == SKIP:
        return f"line {line} ({name}): nothing this period"
    assert isinstance(expected, tuple)
    quantity, value = expected
    return f"line {line} ({name}): {quantity.normalize():f} {uom} this period (${value:,.2f})"


# The phrasings of the table that the demo's own lines can take (lines 1 and 2 of SC-007 are
# the table's: 1,200 LF of conduit with 300 billed, 8 panels; the table's descriptions differ).
DEMO_ROWS = [
    (text, expected)
    for commitment, language, text, expected in PHRASINGS
    if commitment == UNIT
    and language == "en"
    and isinstance(expected, dict)
    and set(expected) <= {"1", "2"}
    and not re.search(r"(?i)emt|switchgear|fixture|rest|all|\b3\b|#|thanks|hi|see|please", text)
]


def test_enough_of_the_table_runs_through_the_demo() -> None:
    assert len(DEMO_ROWS) >= 50


@pytest.mark.parametrize(("text", "expected"), DEMO_ROWS, ids=[t for t, _e in DEMO_ROWS])
def test_a_phrasing_through_the_demo_console(
    tmp_path: Path, text: str, expected: dict[str, Expected]
) -> None:
    """The demo's own loop (`billbot demo` minus starting a process: the subprocess tests
    around it pipe real stdin), fed the phrasing after the invoice number."""
    stdin, stdout = io.StringIO(f"INV-0042\n{text}\n"), io.StringIO()
    code = run_demo(
        f"sqlite:///{tmp_path / 'demo.db'}",
        stdin=stdin,
        stdout=stdout,
        now=datetime.fromisoformat(NOW),
        attachments_dir=tmp_path / "files",
    )
    assert code == 0
    after = stdout.getvalue().split("> " + text.split("\n")[-1])[-1]
    out = " ".join(after.split())
    for line, wanted in expected.items():
        assert said(line, wanted) in out, (text, stdout.getvalue()[-1500:])
    assert "couldn't" not in out


def test_the_issue_examples_through_billbot_demo(tmp_path: Path) -> None:
    done = run_demo_process(
        tmp_path,
        ["INV-0042", "1: 80 lf 2: 1 ea", "1: 45% complete", "2: 1 installed", "1 - 700.00", "send"],
    )
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert said("1", (D(80), D("1000.00"))) in out and said("2", (D(1), D("4200.00"))) in out
    assert said("1", (D(240), D("3000.00"))) in out
    assert said("1", (D(56), D("700.00"))) in out  # cents: a value, not 700 LF
    assert "Sent INV-0042 for review" in out
    assert invoice_status(tmp_path, "INV-0042") is not None


def test_a_whole_invoice_in_spanish_through_billbot_demo(tmp_path: Path) -> None:
    done = run_demo_process(
        tmp_path,
        [
            "Hola, número de factura INV-0042",
            "1: 45 por ciento",
            "2: una unidad instalada",
            "ninguno",
            "enviar",
        ],
    )
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "Entendido: número de factura INV-0042." in out
    assert "línea 1 (Conduit): 240 LF este periodo ($3,000.00)" in out
    assert "línea 2 (Panels): 1 EA este periodo ($4,200.00)" in out
    assert "Se envió INV-0042 a revisión" in out
    assert "8. Pago actual adeudado" in out
    assert "couldn't" not in out and "Got it" not in out


# -- email ------------------------------------------------------------------------------------


def spanish(data: dict[str, Any]) -> None:
    for person_data in data["people"]:
        if person_data["key"] == "sam":
            person_data["language"] = "es"


def unfolded(text: str) -> str:
    return " ".join(text.split())


def test_loose_answers_in_a_real_email_reply(mail_servers: MailServer, tmp_path: Path) -> None:
    site = make_site(mail_servers, tmp_path)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite_mail] = site.inbox(site.sam)
    body = "Hi Jane,\n\nINV-0042\n1: 45% complete 2: 1 installed\n\nThanks!"
    site.server.send(client_reply(invite_mail, site.sam, body))
    site.cli("run", "--once")
    answer = unfolded(site.inbox(site.sam, 2)[-1].text)
    assert "line 1 (Conduit): 240 LF this period ($3,000.00)" in answer, answer
    assert "line 2 (Panels): 1 EA this period ($4,200.00)" in answer
    assert "couldn't" not in answer


def test_a_spanish_contact_bills_and_sends_entirely_in_spanish_by_email(
    mail_servers: MailServer, tmp_path: Path
) -> None:
    site: Site = make_site(mail_servers, tmp_path, edit=spanish)
    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")
    [invite_mail] = site.inbox(site.sam)
    assert unfolded(invite_mail.subject) == "Harbor Tower: Jane Doe le invitó a facturar."
    text = unfolded(invite_mail.text)
    assert "Hola Sam:" in text and "Desglose de valores" in text
    assert (
        "Número de factura: INV-0042" in invite_mail.text and "---- plantilla de respuesta" in text
    )

    answer = "Número de factura: INV-0042\n1: 45 por ciento\n2: una unidad\nenviar\n\nGracias"
    site.server.send(client_reply(invite_mail, site.sam, answer))
    site.cli("run", "--once")
    sent = unfolded(site.inbox(site.sam, 2)[-1].text)
    assert "Se envió INV-0042 a revisión" in sent, sent
    assert "Pago actual adeudado" in sent and "Entendido" in sent
    for english in ("Got it", "Current payment due", "this period", "Sent INV"):
        assert english not in sent, english
    [invoice] = [i for i in site.invoices() if i["number"] == "INV-0042"]
    assert invoice["status"] == "under_review"


# -- Slack ------------------------------------------------------------------------------------


async def test_a_spanish_contact_bills_and_sends_entirely_in_spanish_on_slack(
    slack_emulator: SlackEmulator, engine: Engine, tmp_path: Path
) -> None:
    async with running(slack_emulator, engine, tmp_path) as h:
        with session_scope(engine) as session:
            sam = person(engine, "sam")
            sam.language = "es"
            session.add(sam)
        invite(h, "sam", "sc7")
        await h.settle()
        [dm] = h.messages("U0SAM")
        assert "le invitó a facturar" in dm["text"], dm["text"]
        await h.click("U0SAM", dm, "start")
        await h.say("U0SAM", "INV-0042\n1: 45 por ciento\n2: 3 unidades", thread_ts=dm["ts"])
        review = in_thread_of(h, "U0SAM", dm["ts"])[-1]
        blocks = str(review["blocks"])
        assert "Revise la factura INV-0042" in review["text"], review["text"]
        assert "Pago actual adeudado" in blocks and "Guardar borrador" in blocks
        await h.say("U0SAM", "enviar", thread_ts=dm["ts"])
        sent = in_thread_of(h, "U0SAM", dm["ts"])[-1]
        assert "Se envió INV-0042 a revisión" in sent["text"], sent["text"]
        assert "Sent" not in sent["text"] and "Current payment due" not in str(sent["blocks"])


def test_refused_phrasings_are_still_refused() -> None:
    refused = [text for _c, _l, text, expected in PHRASINGS if expected == NO]
    assert len(refused) >= 8
