"""Invoices reviewed out of order, on SQLite and PostgreSQL: an approval certifies an invoice's
figures, and those stand on the earlier invoices of its commitment (its "previous" work). So an
invoice is not approved while an earlier one is still to be certified, its lines are checked
again at approval against what was billed before it as that stands now, and an earlier invoice
is not approved as noted under a later one already certified. Returning lines of a later
invoice is always allowed; an earlier invoice is not returned under a later one under review
(the later one is returned first, and sent again after it). Every channel reviews through
`ReviewService`, so the rules are tested here once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.review_service import ReviewResult, ReviewService
from conversations.service import ConversationService, TurnResult
from models.db import session_scope
from models.ledger import invoice_figures
from models.review import Decision, ReviewKind, history
from models.tables import BillingPeriod, Commitment, Invoice, InvoiceStatus
from tests.test_conversation_service import Ids, invoice_of, said
from tests.test_review import contact, ids, reviews, service, status

__all__ = ["contact", "ids", "reviews", "service"]  # the fixtures of test_review, used here

D = Decimal
APPROVE = Decision(ReviewKind.approve)


def october(engine: Engine, ids: Ids, state: InvoiceStatus) -> Invoice:
    """October's INV-0041 (300 LF of conduit, $3,750.00, $375.00 retainage held) in `state`."""
    with session_scope(engine) as session:
        found = invoice_of(engine, ids.sc7, ids.oct)
        assert found is not None
        invoice = session.get(Invoice, found.id)
        assert invoice is not None
        invoice.status = state
        session.add(invoice)
    found = invoice_of(engine, ids.sc7, ids.oct)
    assert found is not None
    return found


def november(service: ConversationService, ids: Ids, engine: Engine, answers: str) -> Invoice:
    """Sam sends November's INV-0042 with `answers`."""
    said(service, ids.sam, f"INV-0042\n{answers}\nsend", channel="email", key=(ids.sc7, ids.nov))
    invoice = invoice_of(engine, ids.sc7, ids.nov)
    assert invoice is not None and invoice.status == InvoiceStatus.under_review
    return invoice


def decide(reviews: ReviewService, invoice: Invoice, ids: Ids, decision: Decision) -> ReviewResult:
    assert invoice.id is not None
    return reviews.review(
        invoice_id=invoice.id, reviewer_id=ids.jane, decision=decision, channel="cli"
    )


def g702(engine: Engine, invoice: Invoice) -> dict[str, Decimal]:
    with Session(engine) as session:
        found = session.get(Invoice, invoice.id)
        assert found is not None
        return invoice_figures(session, found).summary.as_dict()


def events(engine: Engine, invoice: Invoice) -> list[tuple[str | None, str | None]]:
    with Session(engine) as session:
        found = session.get(Invoice, invoice.id)
        assert found is not None
        return [(h["from"], h["to"]) for h in history(session, found)]


@pytest.mark.parametrize("earlier", [InvoiceStatus.under_review, InvoiceStatus.revise_and_resubmit])
@pytest.mark.parametrize(
    "decision",
    [APPROVE, Decision(ReviewKind.approve_as_noted, note="2 panels", adjustments={"2": D(8400)})],
    ids=["approve", "approve_as_noted"],
)
def test_an_invoice_is_not_approved_while_an_earlier_one_is_not_certified(
    engine: Engine,
    ids: Ids,
    service: ConversationService,
    reviews: ReviewService,
    earlier: InvoiceStatus,
    decision: Decision,
) -> None:
    # October set after November was sent: a contact cannot send November while October is
    # returned (`Context.earlier_returned`), so only older data gets here that way
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")
    oct_ = october(engine, ids, earlier)
    before = g702(engine, nov)

    result = decide(reviews, nov, ids, decision)

    assert result.refused is not None and result.refused.code == "earlier-not-certified"
    assert "Invoice INV-0042 for SC-007 Electrical cannot be approved yet" in result.text
    assert "INV-0041 (2026-10-01 – 2026-10-31," in result.text
    assert "Review it first." in result.text and "Nothing was changed." in result.text
    assert status(engine, nov) == "under_review"
    assert events(engine, nov) == [("draft", "under_review")]
    assert g702(engine, nov) == before
    assert status(engine, oct_) == earlier.value


def test_returning_lines_of_a_later_invoice_is_allowed_while_an_earlier_one_is_not_certified(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")
    result = decide(reviews, nov, ids, Decision(ReviewKind.reject, reasons={"2": "photos"}))
    assert result.outcome is not None
    assert status(engine, nov) == "revise_and_resubmit"


def test_once_the_earlier_invoice_is_certified_the_later_one_is_approved_on_its_figures(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    """Scenario s1: the November invoice was waiting on October's figures; October approved
    as noted lower, November is then approved on the figures October was certified at."""
    oct_ = october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")  # 300 LF + 3 EA this period
    assert decide(reviews, nov, ids, APPROVE).refused is not None

    noted = Decision(ReviewKind.approve_as_noted, note="200 LF", adjustments={"1": D(2500)})
    assert decide(reviews, oct_, ids, noted).outcome is not None
    approved = decide(reviews, nov, ids, APPROVE)

    assert approved.outcome is not None, approved.text
    assert status(engine, nov) == "approved"
    totals = g702(engine, nov)
    assert totals["less_previous_certificates_for_payment"] == D("2250.00")  # 2,500 less 10 %
    assert totals["total_completed_and_stored_to_date"] == D("18850.00")  # 2,500 + 3,750 + 12,600


def test_an_earlier_draft_does_not_hold_the_later_invoice(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    """A draft was never sent: it is not the later invoice's previous work."""
    october(engine, ids, InvoiceStatus.draft)
    nov = november(service, ids, engine, "1: 300 LF\n2: 3 units")
    assert decide(reviews, nov, ids, APPROVE).outcome is not None
    assert g702(engine, nov)["less_previous_certificates_for_payment"] == D("0.00")


def test_an_approval_refuses_retainage_released_beyond_what_is_held_now(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    """Scenario s7: November releases October's $375.00 retainage; October is then approved
    as noted at $1,000.00 ($100.00 held), and November would certify a negative retainage."""
    oct_ = october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: skip retainage 375\n2: skip")
    noted = Decision(ReviewKind.approve_as_noted, note="80 LF", adjustments={"1": D(1000)})
    assert decide(reviews, oct_, ids, noted).outcome is not None
    before = g702(engine, nov)

    result = decide(reviews, nov, ids, APPROVE)

    assert result.refused is not None and result.refused.code == "outdated-figures"
    assert (
        "Invoice INV-0042 for SC-007 Electrical cannot be approved with its figures as they "
        "stand now: Line 1: retainage released $375.00 is more than the $100.00 held before "
        "this period. Return line 1 for revision" in result.text
    )
    assert status(engine, nov) == "under_review" and g702(engine, nov) == before
    returned = decide(reviews, nov, ids, Decision(ReviewKind.reject, reasons={"1": "$100 held"}))
    assert returned.outcome is not None


def test_an_approval_refuses_billing_past_100_percent_of_a_line_as_it_stands_now(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    """Scenario s8: November bills the rest of line 1 on October's 300 LF; October is then
    approved as noted at 400 LF, and November would certify 1,300 of 1,200 LF."""
    oct_ = october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: done\n2: skip")
    noted = Decision(ReviewKind.approve_as_noted, note="400 LF", adjustments={"1": D(5000)})
    assert decide(reviews, oct_, ids, noted).outcome is not None

    result = decide(reviews, nov, ids, APPROVE)

    assert result.refused is not None and result.refused.code == "outdated-figures"
    assert "Line 1: this would bill 1,300 LF of 1,200 LF ($16,250.00)" in result.text
    assert "Return line 1 for revision" in result.text
    assert status(engine, nov) == "under_review"
    # Approved as noted at what remains of the line, it is certified.
    fixed = Decision(ReviewKind.approve_as_noted, note="rest", adjustments={"1": D(10000)})
    assert decide(reviews, nov, ids, fixed).outcome is not None
    assert g702(engine, nov)["total_completed_and_stored_to_date"] == D("15000.00")


def test_where_over_billing_is_allowed_an_approval_past_100_percent_stands(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    oct_ = october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: done\n2: skip")
    with session_scope(engine) as session:
        commitment = session.get(Commitment, ids.sc7)
        assert commitment is not None
        commitment.allow_overbilling = True
    noted = Decision(ReviewKind.approve_as_noted, note="400 LF", adjustments={"1": D(5000)})
    assert decide(reviews, oct_, ids, noted).outcome is not None
    assert decide(reviews, nov, ids, APPROVE).outcome is not None


def test_an_earlier_invoice_is_not_approved_as_noted_under_a_certified_later_one(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    """Only imported data gets here: November certified on October's figures while October is
    still under review. Approving October as noted would change the certified November."""
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")
    oct_ = october(engine, ids, InvoiceStatus.under_review)
    with session_scope(engine) as session:
        found = session.get(Invoice, nov.id)
        assert found is not None
        found.status = InvoiceStatus.approved
    certified = g702(engine, nov)

    noted = Decision(ReviewKind.approve_as_noted, note="200 LF", adjustments={"1": D(2500)})
    result = decide(reviews, oct_, ids, noted)

    assert result.refused is not None and result.refused.code == "later-certified"
    assert "Invoice INV-0041 for SC-007 Electrical cannot be approved as noted" in result.text
    assert "INV-0042 (2026-11-01 – 2026-11-30, approved)" in result.text
    assert status(engine, oct_) == "under_review" and g702(engine, nov) == certified
    # As billed, October changes nothing November stands on.
    assert decide(reviews, oct_, ids, APPROVE).outcome is not None
    assert g702(engine, nov) == certified


def test_the_refusal_names_every_earlier_invoice_still_to_certify(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")
    with session_scope(engine) as session:  # a September invoice, returned for revision
        found = session.get(BillingPeriod, ids.oct)
        assert found is not None
        september = BillingPeriod(
            key="sep",
            project_id=found.project_id,
            start=found.start.replace(month=9),
            end=found.start.replace(month=9, day=30),
            billing_date=found.start.replace(month=9, day=25),
            due_date=found.start.replace(month=9, day=30),
        )
        session.add(september)
        session.flush()
        assert september.id is not None
        session.add(
            Invoice(
                commitment_id=ids.sc7,
                period_id=september.id,
                number="INV-0040",
                status=InvoiceStatus.revise_and_resubmit,
            )
        )

    result = decide(reviews, nov, ids, APPROVE)

    assert result.refused is not None
    assert (
        "invoices INV-0040 (2026-09-01 – 2026-09-30, returned for revision), INV-0041 "
        "(2026-10-01 – 2026-10-31, under review) of earlier periods are not certified"
    ) in result.text
    assert "Review them first." in result.text
    with Session(engine) as session:
        assert session.exec(select(Invoice).where(Invoice.number == "INV-0042")).one().status == (
            InvoiceStatus.under_review
        )


def test_a_rate_reduced_after_approval_leaves_the_approved_invoice_as_it_held(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    """November approved at 10%, then the commitment's rate goes down to 5% (an import, or SQL):
    November's figures, and what Sam sees asking about it, still hold 10%."""
    october(engine, ids, InvoiceStatus.approved)
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")  # $3,750 + $12,600
    assert decide(reviews, nov, ids, APPROVE).outcome is not None
    approved = g702(engine, nov)
    assert approved["retainage"] == D("2010.00")  # 375 + 10% of 16,350

    with session_scope(engine) as session:
        commitment = session.get(Commitment, ids.sc7)
        assert commitment is not None
        commitment.retainage_percent = D("5")
        session.add(commitment)

    assert g702(engine, nov) == approved
    for asked in ("status", "show invoice"):
        shown = said(service, ids.sam, asked, channel="email", key=(ids.sc7, ids.nov))
        text = "\n".join(reply.text for reply in shown.replies)
        assert "$14,715.00" in text and "$15,532.50" not in text  # 16,350 less 10%, not 5%


# -- an earlier invoice returned while a later one is sent (no deadlock) ---------------------


def text_of(result: TurnResult) -> str:
    return "\n".join(reply.text for reply in result.replies)


def test_an_earlier_invoice_is_not_returned_under_a_later_one_under_review(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    """Returned under November, October could never be sent again (November was sent) and
    November never approved (October not certified): both stayed unpaid. The administrator
    is told to return November first."""
    oct_ = october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")

    result = decide(reviews, oct_, ids, Decision(ReviewKind.reject, reasons={"1": "photos"}))

    assert result.refused is not None and result.refused.code == "later-under-review"
    assert "Invoice INV-0041 for SC-007 Electrical cannot be returned now" in result.text
    assert "INV-0042 (2026-11-01 – 2026-11-30, under review)" in result.text
    assert "Return that one first, then this one." in result.text
    assert (status(engine, oct_), status(engine, nov)) == ("under_review", "under_review")


def test_both_returned_the_earlier_is_sent_again_first_and_both_are_approved(
    engine: Engine, ids: Ids, service: ConversationService, reviews: ReviewService
) -> None:
    oct_ = october(engine, ids, InvoiceStatus.under_review)
    nov = november(service, ids, engine, "1: 50%\n2: 3 units")
    back = Decision(ReviewKind.reject, reasons={"1": "waiting on October"})
    assert decide(reviews, nov, ids, back).outcome is not None
    back = Decision(ReviewKind.reject, reasons={"1": "photos"})
    assert decide(reviews, oct_, ids, back).outcome is not None

    # November cannot go before October: it stands on October's figures
    early = text_of(
        said(service, ids.sam, "1: same", "send", channel="email", key=(ids.sc7, ids.nov))
    )
    assert "invoice INV-0041 of an earlier period was returned for revision" in early, early
    assert status(engine, nov) == "revise_and_resubmit"

    # October goes again: November, returned too, does not hold it
    sent = text_of(
        said(service, ids.sam, "1: same", "send", channel="email", key=(ids.sc7, ids.oct))
    )
    assert "Sent INV-0041" in sent, sent
    assert status(engine, oct_) == "under_review"
    again = text_of(said(service, ids.sam, "send", channel="email", key=(ids.sc7, ids.nov)))
    assert "Sent INV-0042" in again, again

    assert decide(reviews, oct_, ids, APPROVE).outcome is not None
    assert decide(reviews, nov, ids, APPROVE).outcome is not None
    assert (status(engine, oct_), status(engine, nov)) == ("approved", "approved")


def test_a_later_invoice_is_not_sent_while_an_earlier_one_is_returned(
    engine: Engine, ids: Ids, service: ConversationService
) -> None:
    october(engine, ids, InvoiceStatus.revise_and_resubmit)
    text = text_of(
        said(service, ids.sam, "INV-0042\n1: 50%\n2: 3 units\nsend", key=(ids.sc7, ids.nov))
    )
    assert "I haven't sent it: invoice INV-0041 of an earlier period was returned" in text, text
    assert "Please fix and send INV-0041 first." in text
    found = invoice_of(engine, ids.sc7, ids.nov)
    assert found is not None and found.status == InvoiceStatus.draft
