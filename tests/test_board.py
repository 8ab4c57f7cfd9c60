"""The period board (`models.board`) and `billbot status --period KEY [--json]`, over a
period with a contact in every state, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.slack.board import board_blocks
from conversations.review_service import ReviewService
from conversations.service import ConversationService, MemoryOutbox
from models.board import board_json, period_board
from models.db import session_scope
from models.i18n import words
from models.invitation import Invitation, record_bounce
from models.review import Decision, ReviewKind
from models.tables import Person
from tests.board_data import INVITED, invoice_id, seed_board

NOW = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)
runner = CliRunner()


def test_the_board_has_a_row_per_commitment_and_contact_in_every_state(engine: Engine) -> None:
    seed_board(engine)
    with session_scope(engine) as session:
        board = period_board(session, period_key="nov")
    rows = {row.commitment: row for row in board.rows}
    assert [(r.commitment, r.contact, r.status) for r in board.rows] == [
        ("SC-001", "Ann Sub", "not_started"),
        ("SC-002", "Bob Sub", "draft"),
        ("SC-003", "Cy Sub", "under_review"),
        ("SC-004", "Dee Sub", "revise_and_resubmit"),
        ("SC-005", "Eve Sub", "approved"),
        ("SC-006", "Fay Sub", "approved_as_noted"),
        ("SC-008", None, "not_started"),
    ]
    assert (rows["SC-001"].invited_at, rows["SC-001"].channels) == (INVITED, ("email", "slack"))
    assert rows["SC-002"].channels == ("email",)
    assert (rows["SC-003"].invited_at, rows["SC-003"].channels) == (None, ())
    assert rows["SC-001"].reminders == 2
    assert rows["SC-001"].last_reminder_at == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    assert (rows["SC-002"].reminders, rows["SC-003"].reminders) == (1, 0)
    assert rows["SC-001"].current_payment_due is None and rows["SC-001"].invoice is None
    assert rows["SC-004"].current_payment_due == Decimal("900.00")
    assert rows["SC-004"].work_this_period == Decimal("1000.00")
    assert rows["SC-004"].status_words == "returned"
    assert board.summary() == (
        "7 commitments: 2 not started, 1 draft, 1 under review, 1 returned, 1 approved, "
        "1 approved as noted"
    )


def test_a_review_is_the_last_activity_and_moves_the_row(engine: Engine) -> None:
    seed_board(engine)
    with session_scope(engine) as session:
        jane = session.exec(select(Person).where(Person.key == "jane")).one()
        assert jane.id is not None
        before = {r.commitment: r for r in period_board(session, period_key="nov").rows}
    reviews = ReviewService(
        engine,
        conversations=ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW),
        contact_outbox=lambda session, invoice, person: (MemoryOutbox(), "email"),
        clock=lambda: NOW,
    )
    result = reviews.review(
        invoice_id=invoice_id(engine, "sc3"),
        reviewer_id=jane.id,
        decision=Decision(ReviewKind.approve),
        channel="slack",
    )
    assert result.outcome is not None, result.text
    with session_scope(engine) as session:
        after = {r.commitment: r for r in period_board(session, period_key="nov").rows}
    assert before["SC-003"].last_activity != NOW
    assert (after["SC-003"].status, after["SC-003"].last_activity) == ("approved", NOW)
    assert after["SC-004"].last_activity == before["SC-004"].last_activity


def test_billbot_status_prints_the_board(engine: Engine, database_url: str) -> None:
    seed_board(engine)
    result = runner.invoke(app, ["--database-url", database_url, "status", "--period", "nov"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Harbor Tower · November 2026 (nov) · billing date Nov 25, 2026 · due Nov 30, 2026"
    )
    assert lines[1].startswith("7 commitments: 2 not started, 1 draft")
    assert lines[3].split() == [
        "Commitment", "Contact", "Invited", "Reminders", "Status", "Invoice", "Payment",
        "due", "Last", "activity",
    ]  # fmt: skip
    row = next(line for line in lines if line.startswith("SC-001"))
    assert "Ann Sub" in row and "2026-11-02 08:00 email+slack" in row
    assert "2 (last 2026-11-24)" in row and "not started" in row
    returned = next(line for line in lines if line.startswith("SC-004"))
    assert "returned" in returned and "INV-sc4" in returned and "$900.00" in returned
    assert "(no invoice contact)" in next(line for line in lines if line.startswith("SC-008"))
    assert "current payment due (G702 line 8)" in result.stdout
    assert "America/Chicago" in result.stdout


def test_billbot_status_json_is_a_list_of_rows(engine: Engine, database_url: str) -> None:
    seed_board(engine)
    result = runner.invoke(
        app, ["--database-url", database_url, "status", "--period", "nov", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["status"] for row in rows] == [
        "not_started", "draft", "under_review", "revise_and_resubmit", "approved",
        "approved_as_noted", "not_started",
    ]  # fmt: skip
    first = rows[0]
    assert first == {
        "period": "nov",
        "project": "Harbor Tower",
        "commitment": "SC-001",
        "title": "Trade 1",
        "contact": "Ann Sub",
        "email": "ann@acme.test",
        "invited_at": "2026-11-02T14:00:00+00:00",
        "invited_on": ["email", "slack"],
        "reminders": 2,
        "last_reminder_at": "2026-11-24T15:00:00+00:00",
        "invoice": None,
        "current_payment_due": None,
        "certified": False,
        "work_this_period": None,
        "last_activity": None,
    } | {"status": "not_started"}
    assert [row["certified"] for row in rows] == [False] * 4 + [True, True, False]
    assert (rows[5]["current_payment_due"], rows[5]["work_this_period"]) == ("900.00", "1000.00")
    with session_scope(engine) as session:
        assert rows == board_json(period_board(session, period_key="nov"))


def test_an_unknown_period_is_one_clear_line(engine: Engine, database_url: str) -> None:
    seed_board(engine)
    result = runner.invoke(app, ["--database-url", database_url, "status", "--period", "dec"])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(
        "billbot: no billing period with key 'dec' (known periods: nov) (in database "
    )  # which database was looked in: the first thing to check when run from another folder
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_the_board_on_slack_speaks_the_administrators_language(engine: Engine) -> None:
    seed_board(engine)
    with session_scope(engine) as session:
        board = period_board(session, period_key="nov")
    spanish = words("es")
    assert board.summary(spanish) == (
        "7 contratos: 2 sin empezar, 1 borrador, 1 en revisión, 1 devuelta, 1 aprobada, "
        "1 aprobada con observaciones"
    )
    assert {row.commitment: row.status_text(spanish) for row in board.rows}["SC-004"] == "devuelta"

    def shown(blocks: list[dict[str, Any]]) -> str:
        texts = [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)]
        texts += [e["text"] for b in blocks for e in b.get("elements", [])]
        return "\n".join(texts)

    es = shown(board_blocks([board], budget=50, _=spanish))
    assert "Tablero de facturación" in es
    assert "fecha de facturación Nov 25, 2026, vence Nov 30, 2026" in es
    assert "*SC-001* Trade 1 — Ann Sub: *sin empezar* · invitación del Nov 2 (email, slack)" in es
    assert "(email, slack) · 2 recordatorios\n" in es and "(email) · 1 recordatorio\n" in es
    assert "*SC-004* Trade 4 — Dee Sub: *devuelta* · INV-sc4 · $900.00 a pagar" in es
    assert "_sin contacto de facturación_: *sin empezar* · sin invitación" in es
    assert "pago actual adeudado de cada factura" in es
    for english in ("Billing board", "not started", "reminder", "due", "invited"):
        assert english not in es, english
    en = shown(board_blocks([board], budget=50))  # an English administrator: as before
    assert "Billing board" in en and "7 commitments: 2 not started, 1 draft" in en
    assert "*SC-004* Trade 4 — Dee Sub: *returned* · INV-sc4 · $900.00 due" in en
    assert "_no invoice contact_: *not started* · not invited" in en
    assert "(email, slack) · 2 reminders\n" in en and "(email) · 1 reminder\n" in en
    nothing = shown(board_blocks([], budget=50, _=spanish))
    assert "Ahora mismo no hay ningún periodo de facturación abierto en sus proyectos." in nothing


def test_the_board_on_slack_says_whose_email_bounced(engine: Engine) -> None:
    """Reminders are not emailed to an address that bounced: the administrator on Slack sees
    it on the board, as `billbot status` shows it."""
    seed_board(engine)
    with session_scope(engine) as session:
        ann = session.exec(select(Person).where(Person.name == "Ann Sub")).one()
        invitation = session.exec(select(Invitation).where(Invitation.person_id == ann.id)).first()
        assert invitation is not None
        record_bounce(
            session, invitation, address=ann.email, diagnostic="550 5.2.2 mailbox full", now=NOW
        )
    with session_scope(engine) as session:
        board = period_board(session, period_key="nov")

    def row_of(blocks: list[dict[str, Any]]) -> str:
        texts = [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)]
        [line] = [x for t in texts for x in t.splitlines() if "*SC-001*" in x]
        return line

    assert f":warning: email to {ann.email} bounced Nov 26" in row_of(
        board_blocks([board], budget=50)
    )
    assert f":warning: el correo a {ann.email} rebotó el Nov 26" in row_of(
        board_blocks([board], budget=50, _=words("es"))
    )
