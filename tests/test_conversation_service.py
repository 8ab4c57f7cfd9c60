"""The conversation service on SQLite and PostgreSQL: persisted, resumable, locked, authorised."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.service import ConversationService, MemoryOutbox, TurnResult
from conversations.state import State, Status
from conversations.store import StaleConversation, save_conversation
from conversations.types import AttachmentRef, Reply, ReplyKind, StepName, Turn
from models.billing import LineEntry, with_new_quantity
from models.conversation import Conversation
from models.db import make_engine, session_scope, write_transaction
from models.ledger import load_ledger, save_entries
from models.tables import (
    AccountingMethod,
    Attachment,
    BillingPeriod,
    Commitment,
    CommitmentContact,
    Company,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Person,
    Project,
    SovLine,
)

D = Decimal
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ids:
    sam: int
    maria: int
    jane: int
    sc7: int
    sc11: int
    oct: int
    nov: int


def seed(session: Session) -> Ids:
    """SC-007 (unit-based, Sam), SC-011 (amount-based, Maria and Sam); October approved."""
    gc, acme = Company(key="gc", name="Summit Builders"), Company(key="acme", name="Acme")
    session.add_all([gc, acme])
    session.flush()
    assert gc.id and acme.id
    jane = Person(key="jane", company_id=gc.id, name="Jane Doe", email="jane@summit.test")
    sam = Person(key="sam", company_id=acme.id, name="Sam Sparks", email="sam@acme.test")
    maria = Person(key="maria", company_id=acme.id, name="Maria Lopez", email="maria@nw.test")
    tower = Project(
        key="tower",
        name="Harbor Tower",
        number="P-100",
        company_id=gc.id,
        timezone="America/Chicago",
    )
    session.add_all([jane, sam, maria, tower])
    session.flush()
    assert tower.id and jane.id and sam.id and maria.id
    sc7 = Commitment(
        key="sc7",
        project_id=tower.id,
        number="SC-007",
        title="Electrical",
        vendor_id=acme.id,
        accounting_method=AccountingMethod.unit,
        retainage_percent=D(10),
        administrator_id=jane.id,
    )
    sc11 = Commitment(
        key="sc11",
        project_id=tower.id,
        number="SC-011",
        title="Mechanical",
        vendor_id=acme.id,
        accounting_method=AccountingMethod.amount,
        retainage_percent=D(5),
        administrator_id=jane.id,
    )
    oct_ = BillingPeriod(
        key="oct",
        project_id=tower.id,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        billing_date=date(2026, 10, 25),
        due_date=date(2026, 10, 31),
    )
    nov = BillingPeriod(
        key="nov",
        project_id=tower.id,
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        billing_date=date(2026, 11, 25),
        due_date=date(2026, 11, 30),
    )
    session.add_all([sc7, sc11, oct_, nov])
    session.flush()
    assert sc7.id and sc11.id and oct_.id and nov.id
    session.add_all(
        [
            CommitmentContact(commitment_id=sc7.id, person_id=sam.id),
            CommitmentContact(commitment_id=sc11.id, person_id=maria.id),
            SovLine(
                commitment_id=sc7.id,
                number="1",
                position=1,
                description="Conduit",
                uom="LF",
                quantity=D(1200),
                unit_price=D("12.50"),
            ),
            SovLine(
                commitment_id=sc7.id,
                number="2",
                position=2,
                description="Panels",
                uom="EA",
                quantity=D(8),
                unit_price=D(4200),
            ),
            SovLine(
                commitment_id=sc11.id,
                number="1",
                position=1,
                description="Ductwork",
                scheduled_value=D(180000),
            ),
            SovLine(
                commitment_id=sc11.id,
                number="2",
                position=2,
                description="Controls",
                scheduled_value=D(60000),
            ),
        ]
    )
    session.flush()
    october = Invoice(
        commitment_id=sc7.id, period_id=oct_.id, number="INV-0041", status=InvoiceStatus.approved
    )
    session.add(october)
    session.flush()
    ledger = load_ledger(session, commitment=sc7, period=oct_)
    entry = with_new_quantity(ledger.terms["1"], LineEntry(), D(300))
    save_entries(session, invoice=october, ledger=ledger, entries={"1": entry})
    return Ids(sam.id, maria.id, jane.id, sc7.id, sc11.id, oct_.id, nov.id)


@pytest.fixture
def ids(engine: Engine) -> Ids:
    with session_scope(engine) as session:
        return seed(session)


@pytest.fixture
def outbox() -> MemoryOutbox:
    return MemoryOutbox()


@pytest.fixture
def service(engine: Engine, outbox: MemoryOutbox) -> ConversationService:
    return ConversationService(engine, outbox=outbox, clock=lambda: NOW)


def invoice_of(engine: Engine, commitment_id: int, period_id: int) -> Invoice | None:
    with Session(engine) as session:
        return session.exec(
            select(Invoice).where(
                Invoice.commitment_id == commitment_id, Invoice.period_id == period_id
            )
        ).first()


def lines_of(engine: Engine, invoice_id: int) -> dict[int, InvoiceLine]:
    with Session(engine) as session:
        rows = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))
        return {row.sov_line_id: row for row in rows}


def conversations(engine: Engine) -> list[Conversation]:
    with Session(engine) as session:
        return list(session.exec(select(Conversation)))


def said(
    service: ConversationService,
    person: int,
    *texts: str,
    channel: str = "console",
    key: tuple[int, int] | None = None,
) -> TurnResult:
    result = None
    for text in texts:
        result = service.handle(
            person_id=person,
            turn=Turn(text=text, channel=channel),
            commitment_id=key[0] if key else None,
            period_id=key[1] if key else None,
        )
    assert result is not None
    return result


def test_a_full_invoice_through_the_service_is_persisted_and_sent(
    engine: Engine, ids: Ids, service: ConversationService, outbox: MemoryOutbox
) -> None:
    result = service.start(
        person_id=ids.sam, commitment_id=ids.sc7, period_id=ids.nov, channel="console"
    )
    assert "INV-0042" in result.replies[0].text
    said(service, ids.sam, "ok", "50%", "3 EA", "none")
    result = said(service, ids.sam, "send")
    assert result.status == Status.sent and result.replies[0].kind == ReplyKind.confirmation
    invoice = invoice_of(engine, ids.sc7, ids.nov)
    assert invoice is not None and invoice.id == result.invoice_id
    assert invoice.number == "INV-0042" and invoice.status == InvoiceStatus.under_review
    assert invoice.sent_by_id == ids.sam and invoice.created_by_id == ids.sam
    assert invoice.sent_at is not None and invoice.sent_at.replace(tzinfo=UTC) == NOW
    rows = sorted(lines_of(engine, invoice.id or 0).values(), key=lambda r: r.sov_line_id)
    assert [(r.new_quantity, r.new_value, r.retainage_held) for r in rows] == [
        (D("300.000000"), D("3750.00"), D("375.00")),
        (D("3.000000"), D("12600.00"), D("1260.00")),
    ]
    (conversation,) = conversations(engine)
    assert conversation.version == 6 and conversation.status == "sent"
    assert conversation.invoice_id == invoice.id and conversation.last_person_id == ids.sam
    assert len(outbox.queued) == 6 and outbox.queued[-1].replies == result.replies


def test_a_draft_is_in_the_database_as_soon_as_the_number_is_given(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    said(service, ids.sam, "INV-0042", "1: 50%")
    invoice = invoice_of(engine, ids.sc7, ids.nov)
    assert invoice is not None and invoice.status == InvoiceStatus.draft
    assert [r.new_quantity for r in lines_of(engine, invoice.id or 0).values()] == [D(300)]


def test_the_conversation_resumes_after_a_restart(
    engine: Engine, database_url: str, ids: Ids, service: ConversationService
) -> None:
    said(service, ids.sam, "INV-0042", "1: 50%")
    restarted = make_engine(database_url)
    try:
        again = ConversationService(restarted, outbox=MemoryOutbox(), clock=lambda: NOW)
        result = said(again, ids.sam, "status")
        assert "Lines answered: 1 of 2" in result.replies[0].text
        result = said(again, ids.sam, "3")
        assert result.replies[0].step == StepName.attachments
        result = said(again, ids.sam, "send")
        assert result.status == Status.sent
    finally:
        restarted.dispose()


def test_a_conversation_started_by_email_can_be_finished_in_slack(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    key = (ids.sc7, ids.nov)
    first = said(service, ids.sam, "INV-0042\n1: 50%", channel="email", key=key)
    second = said(service, ids.sam, "2: 3\nsend", channel="slack", key=key)
    assert first.conversation_id == second.conversation_id
    assert second.status == Status.sent
    (conversation,) = conversations(engine)
    assert conversation.last_channel == "slack"


def test_one_complete_message_sends_the_invoice_in_one_turn(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    result = said(service, ids.sam, "Invoice INV-0042\n1: 50%\n2 - 3 units\nsend", channel="email")
    assert result.status == Status.sent and len(result.replies) == 1
    invoice = invoice_of(engine, ids.sc7, ids.nov)
    assert invoice is not None and invoice.status == InvoiceStatus.under_review


def test_someone_who_is_not_a_contact_is_refused_and_nothing_changes(
    engine: Engine, ids: Ids, service: ConversationService, outbox: MemoryOutbox
) -> None:
    result = said(service, ids.maria, "INV-0042\n1: 50%\nsend", key=(ids.sc7, ids.nov))
    assert result.refused and result.replies[0].kind == ReplyKind.error
    assert "not an invoice contact for SC-007 Electrical" in result.replies[0].text
    assert "Nothing was changed" in result.replies[0].text
    assert invoice_of(engine, ids.sc7, ids.nov) is None and conversations(engine) == []
    assert outbox.queued[-1].conversation_id is None


def test_an_invoice_already_under_review_is_locked(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    with session_scope(engine) as session:
        session.add(
            Invoice(
                commitment_id=ids.sc7,
                period_id=ids.nov,
                number="INV-0042",
                status=InvoiceStatus.under_review,
                sent_at=NOW,
            )
        )
    result = said(service, ids.sam, "1: 90%\nsend", key=(ids.sc7, ids.nov))
    assert result.replies[0].kind == ReplyKind.error
    assert "already sent on Nov 20, 2026" in result.replies[0].text
    invoice = invoice_of(engine, ids.sc7, ids.nov)
    assert invoice is not None and lines_of(engine, invoice.id or 0) == {}


def test_an_invoice_returned_for_revision_can_be_changed_and_sent_again(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    said(service, ids.sam, "INV-0042\n1: 50%\n2: 3\nsend")
    with session_scope(engine) as session:
        sent = session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one()
        sent.status = InvoiceStatus.revise_and_resubmit
        session.add(sent)
    later = ConversationService(
        engine, outbox=MemoryOutbox(), clock=lambda: datetime(2026, 11, 22, tzinfo=UTC)
    )
    result = said(later, ids.sam, "2: 2")
    assert "returned for revision" in result.replies[0].text
    said(later, ids.sam, "send")
    invoice = invoice_of(engine, ids.sc7, ids.nov)
    assert invoice is not None and invoice.status == InvoiceStatus.under_review
    rows = lines_of(engine, invoice.id or 0)
    assert sorted(r.new_quantity or 0 for r in rows.values()) == [D(2), D(300)]


def test_the_past_due_period_refuses_a_new_invoice_but_a_draft_can_be_sent(
    engine: Engine, ids: Ids
) -> None:
    late = ConversationService(
        engine, outbox=MemoryOutbox(), clock=lambda: datetime(2026, 12, 2, 18, tzinfo=UTC)
    )
    result = said(late, ids.sam, "INV-0042", key=(ids.sc7, ids.nov))
    assert (
        result.replies[0].kind == ReplyKind.error and "closed on Nov 30" in result.replies[0].text
    )
    assert invoice_of(engine, ids.sc7, ids.nov) is None
    on_time = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    said(on_time, ids.sam, "INV-0042\n1: 50%\n2: 3\ndraft", key=(ids.sc7, ids.nov))
    result = said(late, ids.sam, "send")  # the draft is still a candidate after the due date
    assert result.status == Status.sent


def test_the_due_date_is_read_in_the_projects_time_zone(engine: Engine, ids: Ids) -> None:
    # 03:00 UTC on Dec 1 is still Nov 30 in Chicago.
    evening = ConversationService(
        engine, outbox=MemoryOutbox(), clock=lambda: datetime(2026, 12, 1, 3, tzinfo=UTC)
    )
    result = said(evening, ids.sam, "INV-0042", key=(ids.sc7, ids.nov))
    assert result.replies[0].kind != ReplyKind.error


def test_a_used_number_on_the_commitment_is_refused_with_the_next_one(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    result = said(service, ids.sam, "INV-0041")
    assert "INV-0041 is already used on SC-007. Try INV-0042." in result.replies[0].text
    assert invoice_of(engine, ids.sc7, ids.nov) is None


def test_several_candidates_ask_which_invoice_then_remember_it(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    with session_scope(engine) as session:
        session.add(CommitmentContact(commitment_id=ids.sc11, person_id=ids.sam))
    result = said(service, ids.sam, "hi")
    assert result.conversation_id is None and result.replies[0].step == StepName.choose
    assert [c.action for c in result.replies[0].choices] == [
        f"choose:{ids.sc7}:{ids.nov}",
        f"choose:{ids.sc11}:{ids.nov}",
    ]
    assert conversations(engine) == []
    result = said(service, ids.sam, "2")
    assert result.commitment_id == ids.sc11
    assert "OK: SC-011" in result.replies[0].text and "Hi Sam" in result.replies[1].text
    result = said(service, ids.sam, "1: +10%")  # no key: the conversation just used
    assert result.commitment_id == ids.sc11
    result = service.handle(person_id=ids.sam, turn=Turn(action=f"choose:{ids.sc7}:{ids.nov}"))
    assert result.commitment_id == ids.sc7
    result = said(service, ids.sam, "switch")
    assert result.replies[0].step == StepName.choose


def test_a_message_naming_no_invoice_says_which_of_several_it_went_to(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    with session_scope(engine) as session:
        session.add(CommitmentContact(commitment_id=ids.sc11, person_id=ids.sam))
        sam = session.get(Person, ids.sam)
        assert sam is not None
        sam.language = "en"
    said(service, ids.sam, "start", key=(ids.sc7, ids.nov))
    said(service, ids.sam, "start", key=(ids.sc11, ids.nov))
    lead = "This is about SC-011 Mechanical, November 2026. For another invoice, reply `switch`."
    result = said(service, ids.sam, "NW-1002")  # no key: the conversation touched last
    assert result.commitment_id == ids.sc11
    assert result.replies[0].text.startswith(lead + "\n\n")
    assert lead not in said(service, ids.sam, "1: 10%", key=(ids.sc11, ids.nov)).replies[0].text
    with session_scope(engine) as session:  # one invoice to bill: nothing to tell apart
        contact = session.exec(
            select(CommitmentContact).where(
                CommitmentContact.commitment_id == ids.sc7,
                CommitmentContact.person_id == ids.sam,
            )
        ).one()
        session.delete(contact)
    assert "This is about" not in said(service, ids.sam, "status").replies[0].text


def test_a_contact_is_told_another_contact_answered_since_their_last_message(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    """Two contacts on one invoice: Maria set its number and a line; Sam, writing next, is
    told his reply shows the invoice with her answers (he sent a number he never saw)."""
    with session_scope(engine) as session:
        session.add(CommitmentContact(commitment_id=ids.sc11, person_id=ids.sam))
    key = (ids.sc11, ids.nov)
    said(service, ids.maria, "start", key=key)
    said(service, ids.maria, "NW-1002", key=key)
    lead = "Maria Lopez also answered on this invoice since your last message"
    first = said(service, ids.sam, "status", key=key).replies[0].text
    assert first.startswith(lead) and "NW-1002" in first, first
    assert lead not in said(service, ids.sam, "status", key=key).replies[0].text
    assert "Sam Sparks also answered" in said(service, ids.maria, "status", key=key).replies[0].text


def test_too_late_for_a_period_never_started_says_which_period_is_open_now(
    engine: Engine, ids: Ids
) -> None:
    """Maria never billed November; on December 5th her message to November's invoice is
    refused as closed, and the refusal names December, open now (it only said to call Jane)."""
    with session_scope(engine) as session:
        tower = session.exec(select(Project)).one()
        session.add(
            BillingPeriod(
                key="dec",
                project_id=tower.id or 0,
                start=date(2026, 12, 1),
                end=date(2026, 12, 31),
                billing_date=date(2026, 12, 25),
                due_date=date(2026, 12, 31),
            )
        )
    december = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    late = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: december)
    text = said(late, ids.maria, "1: 10%", key=(ids.sc11, ids.nov)).replies[0].text
    assert "closed on Nov 30, 2026" in text, text
    assert "Billing is open for SC-011 Mechanical — Harbor Tower, December 2026" in text, text


def test_a_contact_may_ask_for_english_or_spanish_whatever_was_learned(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    """Once answered in Spanish there was no way back: `english please` was refused, in
    Spanish, and English answers kept getting Spanish replies."""
    key = (ids.sc11, ids.nov)
    spanish = said(service, ids.maria, "hola, gracias", key=key).replies[-1].text
    assert "factura" in spanish, spanish
    english = said(service, ids.maria, "English please", key=key).replies[0].text
    assert english.startswith("OK, I'll write in English from now on."), english
    assert "invoice number" in english and "couldn't" not in english, english
    with Session(engine) as session:
        maria = session.get(Person, ids.maria)
        assert maria is not None and maria.language == "en"
    back = said(service, ids.maria, "en español por favor", key=key).replies[0].text
    assert back.startswith("De acuerdo, le escribiré en español a partir de ahora."), back


def test_the_only_candidate_is_used_without_asking(ids: Ids, service: ConversationService) -> None:
    result = said(service, ids.sam, "hello")
    assert (result.commitment_id, result.period_id) == (ids.sc7, ids.nov)
    assert [c.label for c in service.candidates(person_id=ids.sam)] == [
        "SC-007 Electrical — Harbor Tower, November 2026"
    ]


PDF = AttachmentRef("waiver.pdf", "application/pdf", 1234, "d" * 64, "email")


def test_attachments_before_the_number_become_rows_once_the_invoice_exists(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    service.handle(person_id=ids.sam, turn=Turn(attachments=(PDF,), channel="email"))
    assert invoice_of(engine, ids.sc7, ids.nov) is None
    said(service, ids.sam, "INV-0042")
    with Session(engine) as session:
        (row,) = session.exec(select(Attachment)).all()
    assert (row.filename, row.size, row.sha256, row.source) == (
        "waiver.pdf",
        1234,
        "d" * 64,
        "email",
    )
    result = said(service, ids.sam, "1: 50%\n2: 3")
    assert result.replies[0].attachments == (PDF,)


def test_replies_are_queued_in_the_same_transaction(ids: Ids, engine: Engine) -> None:
    class BrokenOutbox:
        def queue(
            self,
            session: Session,
            conversation: Conversation | None,
            person: Person,
            replies: Sequence[Reply],
        ) -> None:
            raise RuntimeError("outbox down")

    broken = ConversationService(engine, outbox=BrokenOutbox(), clock=lambda: NOW)
    with pytest.raises(RuntimeError):
        said(broken, ids.sam, "INV-0042\n1: 50%")
    assert invoice_of(engine, ids.sc7, ids.nov) is None
    assert conversations(engine) == []


def test_a_stale_version_is_detected(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    said(service, ids.sam, "INV-0042")
    with write_transaction(engine) as session:
        conversation = session.exec(select(Conversation)).one()
        conversation.version -= 1  # as if read before the last save
        session.expunge(conversation)
        with pytest.raises(StaleConversation):
            save_conversation(
                session,
                conversation,
                State(),
                person_id=ids.sam,
                channel="console",
                invoice_id=None,
                now=NOW,
            )


def test_concurrent_turns_on_one_invoice_lose_nothing(
    engine: Engine, database_url: str, ids: Ids, service: ConversationService
) -> None:
    said(service, ids.sam, "INV-0042")
    errors: list[BaseException] = []

    def answer(text: str) -> None:
        own = make_engine(database_url)
        try:
            worker = ConversationService(own, outbox=MemoryOutbox(), clock=lambda: NOW)
            for _ in range(3):
                said(worker, ids.sam, text, key=(ids.sc7, ids.nov))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=answer, args=(t,)) for t in ("1: 50%", "2: 3", "status")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    (conversation,) = conversations(engine)
    assert conversation.version == 1 + 9
    state = State.from_json(conversation.state)
    assert set(state.entries) == {"1", "2"}


def test_an_unreadable_saved_state_is_rebuilt_from_the_invoice(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    said(service, ids.sam, "INV-0042\n1: 50%")
    with session_scope(engine) as session:
        conversation = session.exec(select(Conversation)).one()
        conversation.state = "not json"
        session.add(conversation)
    result = said(service, ids.sam, "status")
    assert "Invoice INV-0042" in result.replies[0].text
    assert "Lines answered: 1 of 2" in result.replies[0].text
