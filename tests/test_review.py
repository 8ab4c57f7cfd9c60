"""The administrator's review through `ReviewService`, on SQLite and PostgreSQL: approve,
approve as noted, return lines for revision and the resubmission, the history, and every
refusal (not an administrator, not under review, no such line, over-billing, a race)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.review_answers import read_review
from conversations.review_service import ReviewResult, ReviewService
from conversations.service import ConversationService, MemoryOutbox
from conversations.types import Turn
from models.db import make_engine, session_scope
from models.i18n import words
from models.ledger import invoice_figures
from models.outbox import OutboundMessage
from models.review import Decision, ReviewKind, changes_since_review, history, may_review
from models.tables import (
    Commitment,
    Company,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Person,
    Project,
    SovLine,
)
from tests.test_conversation_service import NOW, Ids, invoice_of, said, seed

D = Decimal


@pytest.fixture
def ids(engine: Engine) -> Ids:
    with session_scope(engine) as session:
        return seed(session)


@pytest.fixture
def service(engine: Engine) -> ConversationService:
    return ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)


@pytest.fixture
def contact() -> MemoryOutbox:
    return MemoryOutbox()


@pytest.fixture
def reviews(engine: Engine, service: ConversationService, contact: MemoryOutbox) -> ReviewService:
    return ReviewService(
        engine,
        conversations=service,
        contact_outbox=lambda session, invoice, person: (contact, "email"),
        clock=lambda: NOW,
    )


def sent_invoice(service: ConversationService, ids: Ids, engine: Engine) -> Invoice:
    said(service, ids.sam, "INV-0042\n1: 50%\n2: 3 units\nsend", channel="email")
    invoice = invoice_of(engine, ids.sc7, ids.nov)
    assert invoice is not None and invoice.status == InvoiceStatus.under_review
    return invoice


def review(
    reviews: ReviewService, invoice: Invoice, person: int, text: str, channel: str = "email"
) -> ReviewResult:
    decision = read_review(text)
    assert decision is not None, text
    answer = MemoryOutbox()
    assert invoice.id is not None
    result = reviews.review(
        invoice_id=invoice.id,
        reviewer_id=person,
        decision=decision,
        channel=channel,
        reply=answer,
    )
    assert [q.replies[0].text for q in answer.queued] == [result.text]
    return result


def status(engine: Engine, invoice: Invoice) -> str:
    with Session(engine) as session:
        found = session.get(Invoice, invoice.id)
        assert found is not None
        return str(found.status)


def test_return_resubmit_approve_with_the_history_of_each_change(
    engine: Engine,
    ids: Ids,
    service: ConversationService,
    reviews: ReviewService,
    contact: MemoryOutbox,
) -> None:
    invoice = sent_invoice(service, ids, engine)

    result = review(reviews, invoice, ids.jane, "reject 2: only 2 panels are set")
    assert result.outcome is not None and result.contact == "Sam Sparks"
    assert "Returned invoice INV-0042 (SC-007 Electrical) for revision" in result.text
    assert status(engine, invoice) == "revise_and_resubmit"
    told = contact.queued[-1].replies[0].text
    assert "Jane Doe returned invoice INV-0042 for revision" in told
    assert "Line 2 (Panels): only 2 panels are set" in told
    assert "Line 1 was approved and stays as it is." in told
    assert "Line 2 (Panels), 2 of 2" in told  # asks that line only

    locked = said(service, ids.sam, "1: 60%", channel="email")
    assert "Line 1 was approved by Jane Doe and stays as it is" in locked.replies[0].text
    resent = said(service, ids.sam, "2: 2 units\nsend", channel="email")
    assert "Sent INV-0042 for review" in resent.replies[0].text, resent.replies[0].text
    assert status(engine, invoice) == "under_review"
    with session_scope(engine) as session:
        changes = changes_since_review(session, session.get(Invoice, invoice.id))  # type: ignore[arg-type]
    assert changes == ["Line 2: $12,600.00 -> $8,400.00 (returned: only 2 panels are set)"]

    approved = review(reviews, invoice, ids.jane, "approve", channel="slack")
    assert status(engine, invoice) == "approved"
    assert "Amount certified (current payment due): $10,935.00" in approved.text
    told = contact.queued[-1].replies[0].text
    assert "Jane Doe approved invoice INV-0042 for SC-007 Electrical." in told
    assert "Amount certified (current payment due): $10,935.00." in told

    with session_scope(engine) as session:
        steps = history(session, session.get(Invoice, invoice.id))  # type: ignore[arg-type]
    assert [(h["from"], h["to"], h["by"], h["channel"]) for h in steps] == [
        ("draft", "under_review", "Sam Sparks", "email"),
        ("under_review", "revise_and_resubmit", "Jane Doe", "email"),
        ("revise_and_resubmit", "under_review", "Sam Sparks", "email"),
        ("under_review", "approved", "Jane Doe", "slack"),
    ]
    assert steps[1]["note"] == "line 2: only 2 panels are set"


def test_approve_as_noted_keeps_the_contacts_figure_beside_the_administrators(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    text = "approve as noted\n2: $8,400\nnote: two panels were set, not three"
    result = review(reviews, invoice, ids.jane, text)
    assert status(engine, invoice) == "approved_as_noted"
    assert "(line 2: $12,600.00 -> $8,400.00)" in result.text
    with Session(engine) as session:
        rows = {r.sov_line_id: r for r in session.exec(select(InvoiceLine))}
        figures = invoice_figures(session, session.get(Invoice, invoice.id))  # type: ignore[arg-type]
    panels = [r for r in rows.values() if r.reviewed_value == D("12600.00")]
    assert len(panels) == 1
    assert (panels[0].new_value, panels[0].new_quantity) == (D("8400.00"), D("2.000000"))
    assert panels[0].retainage_held == D("840.00")  # held again on the certified amount
    assert panels[0].review_reason == "two panels were set, not three"
    assert figures.summary.current_payment_due == D("10935.00")
    told = contact.queued[-1].replies[0].text
    assert "approved as noted invoice INV-0042" in told
    assert "Line 2 (Panels): you billed $12,600.00 this period; approved $8,400.00." in told


@pytest.mark.parametrize(
    ("who", "text", "code", "says"),
    [
        ("maria", "approve", "not-an-administrator", "Maria Lopez is not one"),
        ("jane", "reject 9: no such line", "no-such-line", "Its lines are: 1, 2"),
        ("jane", "approve as noted\n2: $40,000", "over-billing", "at most $33,600.00 remains"),
        ("jane", "approve as noted\n1: -5", "over-billing", "cannot be negative"),
    ],
)
def test_a_refused_review_changes_nothing_and_says_why(
    engine: Engine,
    ids: Ids,
    service: ConversationService,
    reviews: ReviewService,
    who: str,
    text: str,
    code: str,
    says: str,
) -> None:
    invoice = sent_invoice(service, ids, engine)
    before = invoice_figures_of(engine, invoice)
    result = review(reviews, invoice, getattr(ids, who), text)
    assert result.refused is not None and result.refused.code == code, result.text
    assert says in result.text and "Nothing was changed." in result.text
    assert status(engine, invoice) == "under_review"
    assert invoice_figures_of(engine, invoice) == before


def invoice_figures_of(engine: Engine, invoice: Invoice) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        return sorted((r.sov_line_id, r.new_value, r.review_status) for r in rows)


def test_another_administrator_of_the_project_may_review(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    invoice = sent_invoice(service, ids, engine)
    with session_scope(engine) as session:
        gc = session.exec(select(Project)).one().company_id
        lee = Person(key="lee", company_id=gc, name="Lee Park", email="lee@summit.test")
        session.add(lee)
        session.flush()
        sc11 = session.get(Commitment, ids.sc11)
        assert sc11 is not None
        sc11.administrator_id = lee.id
        lee_id = lee.id
    assert lee_id is not None
    result = review(reviews, invoice, lee_id, "approve")
    assert result.outcome is not None and status(engine, invoice) == "approved"
    with session_scope(engine) as session:  # an administrator from another company: not
        other = session.exec(select(Company).where(Company.key == "acme")).one()
        sc11, sc7 = session.get(Commitment, ids.sc11), session.get(Commitment, ids.sc7)
        assert sc11 is not None and sc7 is not None and other.id is not None
        vendor = Person(key="v", company_id=other.id, name="Vera", email="v@acme.test")
        session.add(vendor)
        session.flush()
        sc11.administrator_id = vendor.id
        session.flush()
        assert not may_review(session, vendor, sc7)
        assert may_review(session, session.get(Person, ids.jane), sc7)  # type: ignore[arg-type]


def test_reviewing_an_invoice_that_is_not_under_review_says_its_status(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    invoice = sent_invoice(service, ids, engine)
    review(reviews, invoice, ids.jane, "approve")
    again = review(reviews, invoice, ids.jane, "reject 1: too late")
    assert again.refused is not None and again.refused.code == "not-under-review"
    assert "is approved (reviewed by Jane Doe)" in again.text
    said(service, ids.maria, "INV-0043", key=(ids.sc11, ids.nov))  # a draft, never sent
    draft = invoice_of(engine, ids.sc11, ids.nov)
    assert draft is not None
    refused = review(reviews, draft, ids.jane, "approve")
    assert refused.refused is not None and "is a draft (not sent yet)" in refused.text


def test_two_administrators_answering_at_once_one_review_takes_effect(
    engine: Engine, database_url: str, ids: Ids, service: ConversationService
) -> None:
    invoice = sent_invoice(service, ids, engine)
    with session_scope(engine) as session:
        gc = session.exec(select(Project)).one().company_id
        lee = Person(key="lee", company_id=gc, name="Lee Park", email="lee@summit.test")
        session.add(lee)
        session.flush()
        sc11 = session.get(Commitment, ids.sc11)
        assert sc11 is not None and lee.id is not None
        sc11.administrator_id = lee.id
        lee_id = lee.id
    barrier = threading.Barrier(2)
    results: dict[str, ReviewResult] = {}

    def run(name: str, person: int, text: str) -> None:
        own = make_engine(database_url)
        try:
            reviewer = ReviewService(
                own,
                conversations=ConversationService(own, outbox=MemoryOutbox(), clock=lambda: NOW),
                contact_outbox=lambda session, invoice, person: (MemoryOutbox(), "email"),
                clock=lambda: NOW,
            )
            decision = read_review(text)
            assert decision is not None and invoice.id is not None
            barrier.wait()
            results[name] = reviewer.review(
                invoice_id=invoice.id, reviewer_id=person, decision=decision, channel="email"
            )
        finally:
            own.dispose()

    threads = [
        threading.Thread(target=run, args=("jane", ids.jane, "approve")),
        threading.Thread(target=run, args=("lee", lee_id, "reject 2: wrong count")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    took = [name for name, result in results.items() if result.outcome is not None]
    told = [name for name, result in results.items() if result.refused is not None]
    assert len(took) == 1 and len(told) == 1, {k: v.text for k, v in results.items()}
    loser = results[told[0]]
    assert loser.refused is not None and loser.refused.code == "not-under-review"
    winner = {"jane": "Jane Doe", "lee": "Lee Park"}[took[0]]
    assert f"(reviewed by {winner})" in loser.text
    with session_scope(engine) as session:
        steps = history(session, session.get(Invoice, invoice.id))  # type: ignore[arg-type]
    assert [h["by"] for h in steps[1:]] == [winner]


def test_a_reject_without_reason_is_allowed_and_the_contact_sees_none_given(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    result = review(reviews, invoice, ids.jane, "reject 1")
    assert result.outcome is not None and dict(result.outcome.returned) == {"1": ""}
    assert "Line 1 (Conduit): no reason given" in contact.queued[-1].replies[0].text
    same = said(service, ids.sam, "same\nsend", channel="email")
    assert "Sent INV-0042 for review" in same.replies[0].text, same.replies[0].text


@pytest.mark.parametrize(
    "text",
    [
        "reject 1: conduit footage exceeds field count\n2: panels not energized yet",
        "reject 1: footage high; reject 2: no lien waiver",
        "reject lines 1-2: need lien waiver",
        "Hello,\nreturn 1: footage high\nalso return 2 - no lien waiver\n\nJane",
    ],
)
def test_every_line_named_is_returned_and_the_contact_is_never_told_it_was_approved(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox, text: str,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    result = review(reviews, invoice, ids.jane, text)
    assert result.outcome is not None and set(result.outcome.returned) == {"1", "2"}
    told = contact.queued[-1].replies[0].text
    assert "was approved" not in told, told
    assert "Line 1 (Conduit):" in told and "Line 2 (Panels):" in told
    assert status(engine, invoice) == "revise_and_resubmit"


def test_the_decision_reader_never_guesses() -> None:
    assert read_review("approve") == Decision(ReviewKind.approve)
    for unclear in ["", "looks fine", "approve line 3", "reject: why", "approve as noted", "3"]:
        assert read_review(unclear) is None, unclear
    for unclear in [
        "se ve bien",
        "aprobar línea 3",
        "rechazar: por qué",
        "aprobar con observaciones",
    ]:
        assert read_review(unclear) is None, unclear


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("Aprobado, gracias", Decision(ReviewKind.approve)),
        ("aprobar\nnota: todo en orden", Decision(ReviewKind.approve, note="todo en orden")),
        (
            "aprobar con observaciones\n2: $8,400\nnota: dos paneles, no tres",
            Decision(
                ReviewKind.approve_as_noted, note="dos paneles, no tres", adjustments={"2": D(8400)}
            ),
        ),
        (
            "rechazar 3: solo 18 luminarias",
            Decision(ReviewKind.reject, reasons={"3": "solo 18 luminarias"}),
        ),
        (
            "devolver las líneas 2 y 3: no coincide",
            Decision(ReviewKind.reject, reasons={"2": "no coincide", "3": "no coincide"}),
        ),
        (
            "rechazar\n1: falta el reporte\nlínea 2: cuenta",
            Decision(ReviewKind.reject, reasons={"1": "falta el reporte", "2": "cuenta"}),
        ),
    ],
)
def test_the_decision_reader_reads_the_spanish_forms(text: str, decision: Decision) -> None:
    assert read_review(text) == decision


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("Looks good, approved", Decision(ReviewKind.approve)),
        ("ok approved", Decision(ReviewKind.approve)),
        ("Thanks Jane - approved", Decision(ReviewKind.approve)),
        ("todo bien, aprobado", Decision(ReviewKind.approve)),
        ("approve please", Decision(ReviewKind.approve)),  # "please" was kept as a note
        ("Approved - thanks, Jane", Decision(ReviewKind.approve)),  # so was "thanks, Jane"
        (
            "approved, please pay by Friday, thanks",
            Decision(ReviewKind.approve, note="please pay by Friday"),
        ),
        (
            "Hi Jane, reject 3: only 18 fixtures",
            Decision(ReviewKind.reject, reasons={"3": "only 18 fixtures"}),
        ),
        ("Thanks. Return 2 - wrong qty", Decision(ReviewKind.reject, reasons={"2": "wrong qty"})),
        ("Please revise line 3: qty high", Decision(ReviewKind.reject, reasons={"3": "qty high"})),
        ("Can you revise 3 - no backup", Decision(ReviewKind.reject, reasons={"3": "no backup"})),
        ("return line 3 for revision: qty", Decision(ReviewKind.reject, reasons={"3": "qty"})),
        ("por favor devolver 3 para corrección: faltan fotos",
         Decision(ReviewKind.reject, reasons={"3": "faltan fotos"})),
    ],
)  # fmt: skip
def test_words_around_a_decision_are_not_part_of_it(text: str, decision: Decision) -> None:
    assert read_review(text) == decision


@pytest.mark.parametrize(
    "text",
    [
        "Looks good but return line 3",
        "Not approved",
        "Looks wrong, approved",
        "Looks good",
        "ok",
        "please",
        "return for revision",  # which lines?
    ],
)
def test_words_around_a_decision_never_make_one(text: str) -> None:
    assert read_review(text) is None


def test_a_system_turn_reopens_only_once(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    review(reviews, invoice, ids.jane, "reject 2: count")
    again = service.handle(
        person_id=ids.sam,
        turn=Turn(text="status", channel="email"),
        commitment_id=ids.sc7,
        period_id=ids.nov,
    )
    assert "returned invoice" not in again.replies[0].text  # said once, when it came back
    assert "line 2" in again.replies[0].text.lower()


def test_a_returned_invoice_is_reminded_before_its_due_date(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    from datetime import date

    from pydantic import SecretStr

    from mail.config import MailSettings
    from mail.reminder import queue_reminder_email
    from models.reminders import ReminderBasis, queue_due_reminders

    invoice = sent_invoice(service, ids, engine)
    review(reviews, invoice, ids.jane, "reject 2: only 2 panels are set")
    mail = MailSettings(address="billing@summit.test", secret=SecretStr("s"))
    with session_scope(engine) as session:  # billing date Nov 25 has passed; due Nov 30
        assert queue_due_reminders(session, today=date(2026, 11, 27), offsets=[1]) == []
        [due] = queue_due_reminders(session, today=date(2026, 11, 29), offsets=[1])
        assert (due.basis, due.offset_days, due.invoice_id) == (ReminderBasis.due, 1, invoice.id)
        assert queue_due_reminders(session, today=date(2026, 11, 29), offsets=[1]) == []
        row_id = queue_reminder_email(session, reminder=due, settings=mail, now=NOW)
        row = session.get(OutboundMessage, row_id)
        assert row is not None
        assert row.subject == "Reminder: Harbor Tower: invoice INV-0042 was returned for revision"
        assert "was returned for revision: line 2 (only 2 panels are set)" in row.body_text
        assert "Invoices are due tomorrow (Nov 30, 2026)." in row.body_text
    said(service, ids.sam, "same\nsend", channel="email")  # sent again: no more reminders
    with session_scope(engine) as session:
        assert queue_due_reminders(session, today=date(2026, 11, 30), offsets=[0]) == []


def speaks(engine: Engine, person_id: int, language: str) -> None:
    with session_scope(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        person.language = language


def test_a_spanish_administrator_is_answered_in_spanish_and_the_contact_in_english(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    speaks(engine, ids.jane, "es")
    speaks(engine, ids.maria, "es")

    stranger = review(reviews, invoice, ids.maria, "approve")
    assert stranger.text == (
        "Solo el administrador de facturas de SC-007 Electrical puede revisar la factura "
        "INV-0042 de SC-007 Electrical, y Maria Lopez no lo es. No se cambió nada."
    )
    no_line = review(reviews, invoice, ids.jane, "reject 9: no such line")
    assert no_line.text == (
        "No hay línea 9 en la factura INV-0042 de SC-007 Electrical. Sus líneas son: 1, 2. "
        "No se cambió nada."
    )
    over = review(reviews, invoice, ids.jane, "approve as noted\n2: $40,000")
    assert over.refused is not None and over.refused.code == "over-billing"
    assert "Línea 2: $40,000.00 este periodo facturaría más del 100%" in over.text
    assert "quedan como máximo $33,600.00. No se cambió nada." in over.text

    returned = review(reviews, invoice, ids.jane, "reject 2: solo hay 2 paneles")
    assert returned.text == (
        "Se devolvió la factura INV-0042 (SC-007 Electrical) para revisión (línea 2: solo hay "
        "2 paneles). Se avisó a Sam Sparks. Le avisaremos cuando se vuelva a enviar."
    )
    told = contact.queued[-1].replies[0].text  # Sam speaks English: he hears English
    assert "Jane Doe returned invoice INV-0042 for revision" in told
    with session_scope(engine) as session:  # the history keeps what was recorded
        stored = session.get(Invoice, invoice.id)
        assert stored is not None
        assert history(session, stored)[-1]["note"] == "line 2: solo hay 2 paneles"

    said(service, ids.sam, "2: 2 units\nsend", channel="email")
    with session_scope(engine) as session:
        stored = session.get(Invoice, invoice.id)
        assert stored is not None
        assert changes_since_review(session, stored, words("es")) == [
            "Línea 2: $12,600.00 -> $8,400.00 (devuelta: solo hay 2 paneles)"
        ]
        assert changes_since_review(session, stored) == [
            "Line 2: $12,600.00 -> $8,400.00 (returned: solo hay 2 paneles)"
        ]

    answer = MemoryOutbox()
    assert invoice.id is not None
    approved = reviews.review(
        invoice_id=invoice.id,
        reviewer_id=ids.jane,
        decision=Decision(ReviewKind.approve),
        channel="email",
        reply=answer,
    )
    assert approved.text == (
        "La factura INV-0042 (SC-007 Electrical) está aprobada. Importe certificado (pago "
        "actual adeudado): $10,935.00. Se avisó a Sam Sparks."
    )
    assert [reply.language for reply in answer.queued[0].replies] == ["es"]
    assert "Jane Doe approved invoice INV-0042" in contact.queued[-1].replies[0].text
    again = review(reviews, invoice, ids.jane, "approve")
    assert again.text == (
        "La factura INV-0042 de SC-007 Electrical está aprobada (revisada por Jane Doe), así "
        "que ahora no hay nada que revisar. No se cambió nada."
    )


def test_an_approval_as_noted_is_confirmed_in_the_reviewers_language(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    invoice = sent_invoice(service, ids, engine)
    speaks(engine, ids.jane, "es")
    result = review(reviews, invoice, ids.jane, "approve as noted\n2: $8,400\nnote: dos paneles")
    assert result.text == (
        "La factura INV-0042 (SC-007 Electrical) está aprobada con observaciones (línea 2: "
        "$12,600.00 -> $8,400.00). Importe certificado (pago actual adeudado): $10,935.00. "
        "Se avisó a Sam Sparks."
    )


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Approved.\nPlease attach the lien waiver next time.",
         "Note from Jane Doe: Please attach the lien waiver next time."),
        ("reject 2: need photos\nAlso send the signed lien waiver with the resubmission",
         "Note from Jane Doe: Also send the signed lien waiver with the resubmission"),
    ],
)  # fmt: skip
def test_the_administrators_note_reaches_the_contact_as_written(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox, text: str, note: str,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    review(reviews, invoice, ids.jane, text)
    told = contact.queued[-1].replies[0].text
    news, _, question = told.partition("\n\n")
    assert news.endswith(note), told  # after the news, before the question
    assert note not in question


def test_a_note_given_with_billbot_review_reaches_the_contact_in_their_language(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    speaks(engine, ids.sam, "es")
    assert invoice.id is not None
    decision = Decision(ReviewKind.approve, note="Next time, attach the lien waiver")
    result = reviews.review(
        invoice_id=invoice.id, reviewer_id=ids.jane, decision=decision, channel="cli"
    )
    assert result.outcome is not None
    told = contact.queued[-1].replies[0].text
    assert "Jane Doe aprobó la factura INV-0042" in told
    framed = words("es")("Note from {who}: {note}", who="Jane Doe", note=decision.note)
    assert told.endswith(framed), told  # Sam's language; the note as Jane wrote it


def test_an_approval_as_noted_shows_its_note_once_as_the_reason_for_the_difference(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    contact: MemoryOutbox,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    review(reviews, invoice, ids.jane, "approve as noted\n2: $8,400\nnote: two panels set")
    told = contact.queued[-1].replies[0].text
    assert told.count("two panels set") == 1 and "Reason: two panels set" in told


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("approve as noted\n2: 2\nnote: only 2 panels set",
         "Line 2 is billed in EA ($4,200.00 per EA): is 2 meant as 2 EA or as $2.00? Write "
         "`2: 2 EA` or `2: $2.00`."),
        ("approve as noted\n1: 240",
         "Line 1 is billed in LF ($12.50 per LF): is 240 meant as 240 LF or as $240.00?"),
        ("approve as noted\n1: 240 EA", "Line 1 is billed in LF, not EA: write `1: 240 LF`"),
        ("approve as noted\n2: $8,400.005",
         "Line 2: $8,400.005 has a fraction of a cent; write the amount in dollars and cents."),
    ],
)  # fmt: skip
def test_an_amount_that_may_be_units_or_is_not_in_cents_is_asked_about_not_guessed(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    text: str, says: str,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    before = invoice_figures_of(engine, invoice)
    result = review(reviews, invoice, ids.jane, text)
    assert result.refused is not None and result.refused.code == "unclear-amount", result.text
    assert says in result.text and "Nothing was changed." in result.text
    assert status(engine, invoice) == "under_review"
    assert invoice_figures_of(engine, invoice) == before


@pytest.mark.parametrize(
    ("text", "line", "value", "quantity"),
    [
        ("approve as noted\n2: 2 units\nnote: only 2 panels set", "2", "8400.00", "2.000000"),
        ("approve as noted\n2: 2 EA", "2", "8400.00", "2.000000"),
        ("approve as noted\n2: qty 2", "2", "8400.00", "2.000000"),
        ("approve as noted\n2: 2 panels", "2", "8400.00", "2.000000"),
        ("approve as noted\n1: 240 LF\nnote: 240 LF verified", "1", "3000.00", "240.000000"),
        ("approve as noted\n1: $500", "1", "500.00", "40.000000"),
    ],
)
def test_an_amount_in_the_lines_units_certifies_that_quantity(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService,
    text: str, line: str, value: str, quantity: str,
) -> None:  # fmt: skip
    invoice = sent_invoice(service, ids, engine)
    result = review(reviews, invoice, ids.jane, text)
    assert result.outcome is not None, result.text
    assert status(engine, invoice) == "approved_as_noted"
    with Session(engine) as session:
        rows = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        figures = {r.sov_line_id: (r.new_value, r.new_quantity) for r in rows}
        numbers = {s.id: s.number for s in session.exec(select(SovLine))}
    by_number = {numbers[sov_id]: figure for sov_id, figure in figures.items()}
    assert by_number[line] == (D(value), D(quantity))
