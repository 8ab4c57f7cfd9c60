"""The pure dialogue core, turn by turn, on hand-built contexts (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations import render
from conversations.context import (
    Candidate,
    CommitmentInfo,
    Context,
    InvoiceInfo,
    PeriodInfo,
)
from conversations.flow import FLOW, Flow, step
from conversations.plaintext import as_text
from conversations.state import State, Status
from conversations.types import AttachmentRef, Reply, ReplyKind, StepName, Turn
from models.billing import LineHistory, LineTerms
from models.tables import AccountingMethod, InvoiceStatus
from tests.test_parse import CHATTER, NOT_CHATTER

D = Decimal
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
NOV = PeriodInfo(2, date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 25), date(2026, 11, 30))

UNIT_LINES = (
    LineTerms(
        "1",
        "Conduit",
        AccountingMethod.unit,
        quantity=D(1200),
        unit_price=D("12.50"),
        uom="LF",
        retainage_percent=D(10),
    ),
    LineTerms(
        "2",
        "Panels",
        AccountingMethod.unit,
        quantity=D(8),
        unit_price=D(4200),
        uom="EA",
        retainage_percent=D(10),
    ),
)
AMOUNT_LINES = (
    LineTerms("1", "Mobilization", AccountingMethod.amount, scheduled_value=D(25000)),
    LineTerms(
        "2", "Ductwork", AccountingMethod.amount, scheduled_value=D(180000), retainage_percent=D(5)
    ),
    LineTerms(
        "3",
        "Rooftop units",
        AccountingMethod.amount,
        scheduled_value=D(240000),
        retainage_percent=D(5),
    ),
)


def unit_ctx(**changes: object) -> Context:
    ctx = Context(
        now=NOW,
        today=NOW.date(),
        person_name="Sam Sparks",
        commitment=CommitmentInfo(
            id=1,
            number="SC-007",
            title="Electrical",
            project_name="Harbor Tower",
            method=AccountingMethod.unit,
            retainage_percent=D(10),
            administrator_name="Jane Doe",
        ),
        period=NOV,
        lines=UNIT_LINES,
        histories={"1": LineHistory(D(300), D(3750), D(375), D(0))},
        used_numbers=frozenset({"INV-0041"}),
        previous_number="INV-0041",
    )
    return replace(ctx, **changes)  # type: ignore[arg-type]


def amount_ctx(**changes: object) -> Context:
    ctx = Context(
        now=NOW,
        today=NOW.date(),
        person_name="Maria Lopez",
        commitment=CommitmentInfo(
            id=2,
            number="SC-011",
            title="Mechanical",
            project_name="Harbor Tower",
            method=AccountingMethod.amount,
            retainage_percent=D(5),
            administrator_name="Jane Doe",
        ),
        period=NOV,
        lines=AMOUNT_LINES,
        histories={
            "1": LineHistory(previous_value=D(25000)),
            "2": LineHistory(previous_value=D(36000), retainage_held=D(1800)),
            "3": LineHistory(previous_value=D(60000), retainage_held=D(3000)),
        },
        used_numbers=frozenset({"NW-1001"}),
        previous_number="NW-1001",
    )
    return replace(ctx, **changes)  # type: ignore[arg-type]


def fresh(ctx: Context) -> State:
    assert ctx.commitment is not None and ctx.period is not None
    return State(commitment_id=ctx.commitment.id, period_id=ctx.period.id)


def talk(ctx: Context, *texts: str, state: State | None = None) -> tuple[State, list[Reply]]:
    """Run the turns; returns the last state and the last turn's replies."""
    state = state or fresh(ctx)
    replies: list[Reply] = []
    for text in texts:
        state, replies = step(state, Turn(text=text), ctx)
    return state, replies


def say(ctx: Context, state: State, turn: Turn) -> tuple[State, Reply]:
    state, replies = step(state, turn, ctx)
    assert len(replies) == 1
    return state, replies[0]


def text_of(replies: list[Reply]) -> str:
    return "\n".join(as_text(reply) for reply in replies)


# The happy path ---------------------------------------------------------------------------


def test_start_greets_and_suggests_the_next_invoice_number() -> None:
    state, replies = talk(unit_ctx(), "start")
    (reply,) = replies
    assert reply.kind == ReplyKind.prompt and reply.step == StepName.invoice_number
    assert "Hi Sam" in reply.text and "SC-007" in reply.text and "November 2026" in reply.text
    assert "INV-0042" in reply.text
    assert [c.action for c in reply.choices] == ["number:INV-0042"]
    assert state.started and state.step == StepName.invoice_number


@pytest.mark.parametrize(
    "answer",
    [
        "ok",
        "yes",
        "use it",
        "INV-0042",
        "invoice INV-0042",
        "ok thanks",
        "OK thank you",
        "I'll use INV-0042",
        "we will use INV-0042",
        "going with INV-0042",
    ],
)
def test_the_suggested_number_can_be_accepted_or_typed(answer: str) -> None:
    state, replies = talk(unit_ctx(), "start", answer)
    assert state.invoice_number == "INV-0042"
    assert state.step == StepName.lines and state.line == "1"
    assert "Line 1 (Conduit)" in replies[0].text


def test_inv_in_capitals_is_part_of_the_number_and_a_used_number_in_another_form_is_refused() -> (
    None
):
    state, _ = talk(unit_ctx(), "start", "INV 0042")
    assert state.invoice_number == "INV 0042"  # as typed: the prefix is not "invoice"
    state, _ = talk(unit_ctx(), "start", "invoice 0042")
    assert state.invoice_number == "0042"
    for used in ("INV 0041", "inv-0041", "INV0041"):  # INV-0041 is October's
        state, replies = talk(unit_ctx(), "start", used)
        assert state.invoice_number is None, used
        assert "already used" in text_of(replies) and "Try INV-0042" in text_of(replies)


def test_a_line_is_found_by_its_words_singular_or_plural_with_or_without_accents() -> None:
    ctx = unit_ctx()
    lines = tuple(
        replace(terms, description=text)
        for terms, text in zip(ctx.lines, ("Tubería de cobre", "Light fixtures"), strict=True)
    )
    ctx = replace(ctx, lines=lines)
    assert ctx.described("fixture") == ("2",) == ctx.described("FIXTURES")
    assert ctx.described("tuberia") == ("1",) == ctx.described("tuberías")
    assert ctx.described("cobres") == ("1",) and ctx.described("fix") == ()


def test_the_number_button_sets_the_number() -> None:
    state, _ = say(unit_ctx(), fresh(unit_ctx()), Turn(action="number:INV-0042"))
    assert state.invoice_number == "INV-0042"


def test_a_guided_invoice_step_by_step_ends_under_review() -> None:
    ctx = unit_ctx()
    state, replies = talk(ctx, "start", "INV-0042", "50%", "3 units")
    assert state.step == StepName.attachments
    assert replies[0].choices[0].action == "next"
    state, replies = talk(ctx, "none", state=state)
    assert replies[0].kind == ReplyKind.review and state.step == StepName.review
    assert {c.action.partition(":")[0] for c in replies[0].choices} == {"draft", "send"}
    assert replies[0].choices[1].action == f"send:{state.shown()}"  # what Send was shown beside
    state, replies = talk(ctx, "send", state=state)
    (reply,) = replies
    assert state.status == Status.sent and state.sent_at == NOW and state.step == StepName.done
    assert reply.kind == ReplyKind.confirmation
    assert "Sent INV-0042 for review on Nov 20, 2026" in reply.text
    assert reply.totals is not None and reply.totals.current_payment_due == D("14715.00")
    assert [line.new_value for line in reply.lines] == [D("3750.00"), D("12600.00")]


def test_a_complete_message_with_send_finishes_the_invoice_in_one_turn() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n1: 50%\n2: 3 units\nsend")
    assert state.status == Status.sent
    assert len(replies) == 1 and replies[0].kind == ReplyKind.confirmation
    assert replies[0].lines and replies[0].totals is not None


def test_a_complete_message_without_send_goes_to_the_review_in_one_turn() -> None:
    state, replies = talk(unit_ctx(), "INV-0042; 1: 50%; 2: 3 units")
    assert state.step == StepName.review and state.status == Status.open
    assert replies[0].kind == ReplyKind.review
    text = text_of(replies)
    assert "Got it" in text and "INV-0042" in text and "Current payment due" in text
    assert "Attachments: none" in text and "before you send" in text


def test_partial_answers_are_kept_and_only_the_missing_line_is_asked() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n2: 3 EA")
    assert set(state.entries) == {"2"}
    assert state.step == StepName.lines and state.line == "1"
    assert "Line 1 (Conduit)" in replies[0].text


def test_lines_answered_before_the_number_are_kept_and_the_number_is_asked() -> None:
    state, replies = talk(unit_ctx(), "1: 50%")
    assert set(state.entries) == {"1"}
    assert state.step == StepName.invoice_number
    assert "invoice number" in replies[0].text


# Line answers ---------------------------------------------------------------------------

UNIT_ANSWERS = [
    ("45%", D(240)),  # 45% of 1200 LF = 540 to date, 300 before
    ("+10%", D(120)),
    ("30", D(30)),
    ("30 LF", D(30)),
    ("30 feet", D(30)),
    ("qty 30", D(30)),
    ("$375", D(30)),  # $ forces a value: 375 / 12.50
    ("done", D(900)),
    ("skip", D(0)),
    ("600 LF to date", D(300)),
]


@pytest.mark.parametrize(("answer", "quantity"), UNIT_ANSWERS)
def test_unit_line_answers_give_this_periods_quantity(answer: str, quantity: Decimal) -> None:
    state, _ = talk(unit_ctx(), "INV-0042", answer)
    entry = state.entries["1"]
    assert entry.new_quantity == quantity
    assert entry.new_value == quantity * D("12.50")


AMOUNT_ANSWERS = [
    ("2: 45%", D(45000), D(0), D(0)),  # 45% of 180,000 = 81,000 to date, 36,000 before
    ("2: +10%", D(18000), D(0), D(0)),
    ("2: 4500", D(4500), D(0), D(0)),
    ("2: $4,500.00", D(4500), D(0), D(0)),
    ("2: stored $2,000", D(0), D(2000), D(0)),
    ("2: 50% stored 2000", D(52000), D(2000), D(0)),
    ("2: done", D(144000), D(0), D(0)),
    ("2: skip", D(0), D(0), D(0)),
    ("2: 10% retainage 500", D(-18000), D(0), D(500)),
    ("2: +1% release all retainage", D(1800), D(0), D(1800)),
]


@pytest.mark.parametrize(("answer", "value", "stored", "released"), AMOUNT_ANSWERS)
def test_amount_line_answers(
    answer: str, value: Decimal, stored: Decimal, released: Decimal
) -> None:
    state, _ = talk(amount_ctx(), "NW-1002", answer, "yes")
    entry = state.entries["2"]
    assert (entry.new_value, entry.materials_stored, entry.retainage_released) == (
        value,
        stored,
        released,
    )
    assert entry.new_quantity is None


def test_all_and_rest_answer_many_lines() -> None:
    state, _ = talk(amount_ctx(), "NW-1002\n3: +10%\nrest skip")
    assert state.entries["3"].new_value == D(24000)
    assert state.entries["1"].new_value == 0 and state.entries["2"].new_value == 0
    state, _ = talk(amount_ctx(), "all 100%", state=state)
    assert [state.entries[n].new_value for n in "123"] == [D(0), D(144000), D(180000)]


@pytest.mark.parametrize(
    "finished",
    [
        "done",
        "all done",
        "I'm done",
        "everything complete",
        "all set",
        "that's it",
        "Done, thanks",
        "todo listo",
        "ya terminé",
    ],
)
def test_finished_at_the_review_changes_nothing_and_asks_send_or_draft(finished: str) -> None:
    # `all done` there once billed every answered line to 100%.
    state, _ = talk(unit_ctx(), "INV-1\n1: 50%\n2: 3 units", "none")
    assert state.step == StepName.review
    entries = dict(state.entries)
    state, replies = talk(unit_ctx(), finished, state=state)
    assert state.entries == entries and state.step == StepName.review
    said = text_of(replies)
    assert "Shall I send it" in said or "¿La envío" in said
    assert "couldn't" not in said and "No pude" not in said


@pytest.mark.parametrize(
    ("said", "line", "quantity"),
    [
        ("change line 2 to 60%", "2", D("4.8")),
        ("line 2 should be 4", "2", D(4)),
        ("actually line 1 is 60%", "1", D(420)),
        ("edit 1: 60%", "1", D(420)),
        ("correction: 1: 60%", "1", D(420)),
        ("update line 1 to 60%", "1", D(420)),
        ("make line 1 60%", "1", D(420)),
        ("Actually, 2: 5", "2", D(5)),
        ("Sorry - 1: 60%", "1", D(420)),
        ("cambia la línea 2 al 60%", "2", D("4.8")),
        ("la línea 2 debe ser 4", "2", D(4)),
        ("pon la 2 en 5", "2", D(5)),
    ],
)
def test_a_correction_at_the_review_as_people_word_it(
    said: str, line: str, quantity: Decimal
) -> None:
    state, _ = talk(unit_ctx(), "INV-1\n1: 50%\n2: 3 units", "none")
    before = dict(state.entries)
    state, replies = talk(unit_ctx(), said, state=state)
    assert state.entries[line].new_quantity == quantity, text_of(replies)
    other = "2" if line == "1" else "1"
    assert state.entries[other] == before[other] and state.step == StepName.review


@pytest.mark.parametrize("said", ["change line 2 please", "edit 2 thanks", "fix line 2 por favor"])
def test_a_change_without_an_answer_is_still_the_edit_command(said: str) -> None:
    state, _ = talk(unit_ctx(), "INV-1\n1: 50%\n2: 3 units", "none")
    before = dict(state.entries)
    state, replies = talk(unit_ctx(), said, state=state)
    assert state.step == StepName.lines and state.line == "2" and state.entries == before
    assert "couldn't" not in text_of(replies)


@pytest.mark.parametrize("said", ["yes, send", "done, send", "ok send it", "sí, enviar"])
def test_yes_and_send_together_at_the_review_sends_without_asking(said: str) -> None:
    state, _ = talk(unit_ctx(), "INV-1\n1: 50%\n2: 3 units", "none")
    state, replies = talk(unit_ctx(), said, state=state)
    assert state.status == Status.sent
    assert "Shall I send it" not in text_of(replies) and "¿La envío" not in text_of(replies)


def test_all_done_once_lines_have_answers_is_asked_never_billed() -> None:
    state, _ = talk(amount_ctx(), "NW-1002\n1: 50%")
    entries = dict(state.entries)
    for said in ("all done", "everything complete", "todas listas"):
        state, replies = talk(amount_ctx(), said, state=state)
        assert state.entries == entries and state.step == StepName.lines
        assert "`all 100%`" in text_of(replies) or "`todo 100%`" in text_of(replies)
    state, _ = talk(amount_ctx(), "all 100%", state=state)  # said plainly: every line
    assert [state.entries[n].new_value for n in "123"] == [D(0), D(144000), D(180000)]


def test_all_done_as_the_first_answer_bills_every_line_to_100() -> None:
    state, _ = talk(amount_ctx(), "NW-1002\nall done")
    assert [state.entries[n].new_value for n in "23"] == [D(144000), D(180000)]


def test_all_done_after_every_line_in_the_same_message_is_just_finished() -> None:
    state, replies = talk(unit_ctx(), "INV-1\n1: 50%\n2: 3 units\nall done, thanks")
    assert state.entries["2"].new_quantity == D(3)
    assert state.step == StepName.review and "couldn't" not in text_of(replies)
    state, replies = talk(amount_ctx(), "NW-1002\n1: 50%\nall done")  # lines 2-3 left
    assert set(state.entries) == set() and "`all 100%`" in text_of(replies)


def test_im_done_at_the_lines_asks_this_line_or_finished() -> None:
    state, _ = talk(unit_ctx(), "INV-1\n1: 50%")
    for said in ("I'm done", "we're done", "all set", "ya terminé"):
        after, replies = talk(unit_ctx(), said, state=state)
        assert after.entries == state.entries
        assert "`that's all`" in text_of(replies) or "`eso es todo`" in text_of(replies)
        assert "no line is called" not in text_of(replies)
    after, _ = talk(unit_ctx(), "I'm done", state=state)
    after, _ = talk(unit_ctx(), "that's all", state=after)
    assert after.entries["2"].new_quantity == 0 and after.step == StepName.attachments


def test_im_done_at_the_attachments_step_means_no_files() -> None:
    state, _ = talk(unit_ctx(), "INV-1\n1: 50%\n2: 3 units", "I'm done")
    assert state.step == StepName.review and state.attachments_done


def test_a_named_line_wins_over_all_in_the_same_message() -> None:
    state, _ = talk(amount_ctx(), "NW-1002\nall skip\n2: +10%")
    assert state.entries["2"].new_value == D(18000)
    assert state.entries["3"].new_value == 0


# Validation as conversation ------------------------------------------------------------


def test_over_billing_is_refused_with_the_line_the_numbers_and_an_example() -> None:
    state, (reply,) = talk(unit_ctx(), "INV-0042", "2: 10 EA")
    assert reply.kind == ReplyKind.reprompt
    assert "Line 2" in reply.text and "10 EA of 8 EA" in reply.text
    assert "does not allow billing past 100%" in reply.text
    assert "`2: 8 EA`" in reply.text
    assert "2" not in state.entries


def test_a_bare_number_that_over_bills_a_unit_line_suggests_dollars() -> None:
    _, replies = talk(unit_ctx(), "INV-0042", "2: 4500")
    assert "If you meant dollars, write `2: $4,500.00`" in replies[0].text


def test_allowed_over_billing_needs_a_confirmation_and_keeps_the_entry_pending() -> None:
    commitment = replace(unit_ctx().commitment, allow_overbilling=True)  # type: ignore[type-var]
    ctx = unit_ctx(commitment=commitment)
    state, replies = talk(ctx, "INV-0042", "2: 10 EA")
    assert replies[0].kind == ReplyKind.confirmation
    assert "please confirm" in replies[0].text.lower()
    assert [c.action.partition(":")[0] for c in replies[0].choices] == ["yes", "no"]
    assert [p.line for p in state.pending] == ["2"] and "2" not in state.entries
    # a help in between loses nothing
    state, _ = talk(ctx, "help", state=state)
    assert [p.line for p in state.pending] == ["2"]
    confirmed, _ = talk(ctx, "yes", state=state)
    assert confirmed.entries["2"].new_quantity == D(10) and not confirmed.pending
    declined, _ = talk(ctx, "no", state=state)
    assert "2" not in declined.entries and not declined.pending
    assert declined.step == StepName.lines and declined.line == "2"


def test_a_negative_correction_needs_a_confirmation() -> None:
    state, replies = talk(unit_ctx(), "INV-0042", "1: -100")
    assert replies[0].kind == ReplyKind.confirmation
    assert "negative" in replies[0].text and "-$1,250.00" in replies[0].text
    state, _ = talk(unit_ctx(), "yes", state=state)
    assert state.entries["1"].new_quantity == D(-100)


def test_a_percent_below_what_was_billed_suggests_this_periods_progress() -> None:
    state, replies = talk(unit_ctx(), "INV-0042", "1: 10%")  # 25% billed before
    assert replies[0].kind == ReplyKind.confirmation and state.pending
    assert "write `1: +10%`" in text_of(replies)
    state, _ = talk(unit_ctx(), "1: +10%", state=state)
    assert state.entries["1"].new_quantity == D(120) and not state.pending


@pytest.mark.parametrize(
    ("said", "quantity"),
    [("no, done", D(900)), ("no, I meant 600 LF to date", D(300)), ("no, 1: 50%", D(300))],
)
def test_no_with_a_new_answer_keeps_the_new_answer_and_asks_nothing(
    said: str, quantity: Decimal
) -> None:
    state, replies = talk(unit_ctx(), "INV-0042", "1: -100")
    assert replies[0].kind == ReplyKind.confirmation
    state, replies = talk(unit_ctx(), said, state=state)
    assert state.entries["1"].new_quantity == quantity and not state.pending
    assert "not kept" not in text_of(replies) and "What should it be" not in text_of(replies)


def test_yes_in_the_same_message_does_not_confirm_a_question_not_yet_asked() -> None:
    state, _ = talk(unit_ctx(), "INV-0042\n1: -100\nyes")
    assert [p.line for p in state.pending] == ["1"]


def test_releasing_more_retainage_than_held_is_refused() -> None:
    state, replies = talk(unit_ctx(), "INV-0042", "1: skip retainage 500")
    assert replies[0].kind == ReplyKind.reprompt
    assert "$500.00 is more than the $375.00 held" in replies[0].text
    assert "`1: retainage 375.00`" in replies[0].text
    assert "1" not in state.entries


def test_a_unit_that_is_not_the_lines_is_refused() -> None:
    _, replies = talk(unit_ctx(), "INV-0042", "2: 3 LF")
    assert "measured in EA, not LF" in replies[0].text


def test_materials_stored_on_a_unit_line_is_refused() -> None:
    _, replies = talk(unit_ctx(), "INV-0042", "1: stored 500")
    assert "materials stored apply to amount lines" in replies[0].text


def test_a_quantity_on_an_amount_line_is_refused() -> None:
    _, replies = talk(amount_ctx(), "NW-1002", "2: 30 units")
    assert "billed by amount, not by quantity" in replies[0].text


def test_a_used_invoice_number_is_refused_with_the_suggestion() -> None:
    state, replies = talk(unit_ctx(), "INV-0041")
    assert replies[0].kind == ReplyKind.reprompt
    assert "INV-0041 is already used on SC-007. Try INV-0042." in replies[0].text
    assert state.invoice_number is None


def test_the_commitment_number_is_not_an_invoice_number() -> None:
    state, replies = talk(unit_ctx(), "start", "SC-007")
    assert state.invoice_number is None and "commitment number" in replies[0].text


def test_an_unknown_line_is_named_with_the_lines_there_are() -> None:
    _, replies = talk(unit_ctx(), "INV-0042", "9: 50%")
    assert "There is no line 9 on SC-007 (lines: 1, 2)" in replies[0].text


def test_a_reprompt_says_what_was_understood_what_is_wrong_and_an_example() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n1: 50%\n2: 1e9")
    text = replies[0].text
    assert replies[0].kind == ReplyKind.reprompt
    assert "Got it" in text and "line 1 (Conduit): 300 LF" in text
    assert "“2: 1e9”" in text and "scientific notation" in text
    assert "Example" in text or "example" in text
    assert set(state.entries) == {"1"}


@pytest.mark.parametrize("garbage", ["%%%", "😀", "NaN", "1e9", "banana", "\x00\x01", "9" * 5000])
def test_garbage_gets_a_reprompt_and_changes_nothing(garbage: str) -> None:
    before, _ = talk(unit_ctx(), "INV-0042")
    after, replies = talk(unit_ctx(), garbage, state=before)
    assert replies[0].kind == ReplyKind.reprompt
    assert "nothing was changed" in replies[0].text
    assert after.entries == before.entries and after.step == before.step


def test_the_past_due_period_cannot_start_a_new_invoice() -> None:
    ctx = unit_ctx(today=date(2026, 12, 1))
    state, replies = talk(ctx, "INV-0042\n1: 50%")
    assert replies[0].kind == ReplyKind.error
    assert "closed on Nov 30, 2026" in replies[0].text and "Jane Doe" in replies[0].text
    assert state.invoice_number is None and not state.entries


def test_an_existing_draft_can_still_be_sent_after_the_due_date() -> None:
    state, _ = talk(unit_ctx(), "INV-0042\n1: 50%\n2: skip\ndraft")
    late = unit_ctx(today=date(2026, 12, 3), invoice=InvoiceInfo("INV-0042", InvoiceStatus.draft))
    state, _ = talk(late, "send", state=state)
    assert state.status == Status.sent


# Commands ---------------------------------------------------------------------------------


def started() -> State:
    state, _ = talk(unit_ctx(), "INV-0042", "1: 50%")
    return state


@pytest.mark.parametrize("command", ["help", "status", "back", "edit 1", "cancel", "review", "?"])
def test_commands_never_lose_entries(command: str) -> None:
    before = started()
    after, replies = talk(unit_ctx(), command, state=before)
    assert after.entries == before.entries
    assert after.invoice_number == "INV-0042"
    assert replies and replies[0].text


def test_help_lists_the_answer_forms_and_reminds_where_we_are() -> None:
    _, replies = talk(unit_ctx(), "help", state=started())
    text = replies[0].text
    assert replies[0].kind == ReplyKind.info
    for form in ("45%", "+10%", "qty 12", "$4,500", "done", "skip", "retainage 500", "all 100%"):
        assert form in text
    assert "Next: line 2 (Panels)" in text


def test_status_says_what_is_answered_and_missing() -> None:
    _, replies = talk(unit_ctx(), "status", state=started())
    assert "Lines answered: 1 of 2" in replies[0].text and "Still needed: line 2" in replies[0].text


def test_back_returns_to_the_previous_question() -> None:
    state, replies = talk(unit_ctx(), "back", state=started())
    assert state.step == StepName.lines and state.line == "1" and state.revisit
    assert "Currently: 300 LF this period" in replies[0].text
    state, replies = talk(unit_ctx(), "back", state=state)
    assert state.step == StepName.invoice_number
    assert "The invoice number is INV-0042" in replies[0].text
    state, _ = talk(unit_ctx(), "ok", state=state)
    assert state.step == StepName.lines and state.line == "2"


def test_back_at_the_first_question_says_so() -> None:
    _, replies = talk(unit_ctx(), "back")
    assert "nothing before it" in replies[0].text


def test_edit_goes_to_the_line_and_an_answer_returns_to_the_review() -> None:
    state, _ = talk(unit_ctx(), "INV-0042; 1: 50%; 2: 3 EA")
    assert state.step == StepName.review
    state, replies = talk(unit_ctx(), "edit 2", state=state)
    assert state.step == StepName.lines and state.line == "2"
    assert "Currently: 3 EA this period" in replies[0].text
    state, replies = talk(unit_ctx(), "4", state=state)
    assert state.entries["2"].new_quantity == D(4)
    assert state.step == StepName.review and replies[0].kind == ReplyKind.review


def test_edit_of_an_unknown_line_is_a_problem() -> None:
    _, replies = talk(unit_ctx(), "edit 7", state=started())
    assert "There is no line 7" in replies[0].text


def test_cancel_keeps_everything_and_the_next_message_resumes() -> None:
    state, replies = talk(unit_ctx(), "cancel", state=started())
    assert state.status == Status.cancelled
    assert "Nothing is lost" in replies[0].text and "INV-0042 is kept as a draft" in replies[0].text
    state, replies = talk(unit_ctx(), "2: 3", state=state)
    assert state.status == Status.open and set(state.entries) == {"1", "2"}
    assert "Welcome back" in replies[0].text


def test_draft_saves_without_sending_and_says_what_is_missing() -> None:
    state, replies = talk(unit_ctx(), "draft", state=started())
    assert state.status == Status.draft_saved
    assert replies[0].kind == ReplyKind.confirmation
    assert "Saved INV-0042 as a draft" in replies[0].text and "line 2" in replies[0].text


def test_draft_without_a_number_keeps_the_answers_and_asks_for_it() -> None:
    state, replies = talk(unit_ctx(), "1: 50%\ndraft")
    assert state.status == Status.open and set(state.entries) == {"1"}
    assert "I need the invoice number before I can save a draft" in replies[0].text


def test_send_with_a_missing_line_says_what_is_missing_and_sends_once_answered() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n1: 50%\nsend")
    assert state.status == Status.open and state.send_requested
    assert "I haven't sent it yet: still needed: line 2" in replies[0].text
    state, replies = talk(unit_ctx(), "3", state=state)
    assert state.status == Status.sent


def test_send_waits_for_a_pending_confirmation() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n1: -100\n2: skip\nsend")
    assert state.status == Status.open and state.pending
    assert "first, please answer the question about line 1" in replies[0].text
    state, _ = talk(unit_ctx(), "yes", state=state)
    assert state.status == Status.sent


def test_send_checks_kept_answers_against_a_schedule_cut_since() -> None:
    """A draft billed line 1 to 100%; a change order then cut the line by 100 LF. Send
    refuses to send 109% and names the line, and sends once it is answered again."""
    state, _ = talk(unit_ctx(), "INV-0042\n1: 100%\n2: 8 units\nnone\ndraft")
    cut = replace(UNIT_LINES[0], quantity=Decimal(1100))
    after = unit_ctx(lines=(cut, *UNIT_LINES[1:]))
    state, replies = talk(after, "send", state=state)
    assert state.status != Status.sent and state.send_requested
    text = replies[0].text
    assert "the schedule of values changed since you answered" in text
    assert "1,200 LF of 1,100 LF" in text and "Please answer line 1 again" in text
    state, replies = talk(after, "1: 100%", state=state)
    assert state.status == Status.sent, replies[0].text
    assert state.entries["1"].new_quantity == Decimal(800)  # 1,100 less the 300 before


def test_after_send_the_invoice_is_locked() -> None:
    state, _ = talk(unit_ctx(), "INV-0042\n1: 50%\n2: 3\nsend")
    after, replies = talk(unit_ctx(), "1: 60%", state=state)
    assert replies[0].kind == ReplyKind.error and "locked" in replies[0].text
    assert after.entries == state.entries


def test_an_invoice_under_review_is_locked_whatever_the_state() -> None:
    sent_at = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
    ctx = unit_ctx(invoice=InvoiceInfo("INV-0042", InvoiceStatus.under_review, sent_at=sent_at))
    state, replies = talk(ctx, "1: 50%")
    assert replies[0].kind == ReplyKind.error
    assert "already sent on Nov 18, 2026" in replies[0].text and "locked" in replies[0].text
    assert not state.entries


def test_an_invoice_returned_for_revision_can_be_changed_and_sent_again() -> None:
    state, _ = talk(unit_ctx(), "INV-0042\n1: 50%\n2: 3\nsend")
    returned = unit_ctx(invoice=InvoiceInfo("INV-0042", InvoiceStatus.revise_and_resubmit))
    state, replies = talk(returned, "2: 2", state=state)
    assert "returned for revision" in replies[0].text
    assert state.status == Status.open and state.entries["2"].new_quantity == D(2)
    state, _ = talk(returned, "send", state=state)
    assert state.status == Status.sent


# Buttons, forms and attachments --------------------------------------------------------


def test_buttons_answer_lines_edit_and_send() -> None:
    ctx = unit_ctx()
    state, _ = say(ctx, fresh(ctx), Turn(action="number:INV-0042"))
    state, _ = say(ctx, state, Turn(action="answer:1:done"))
    state, _ = say(ctx, state, Turn(action="answer:2:skip"))
    assert state.entries["1"].new_quantity == D(900) and state.entries["2"].new_quantity == 0
    state, _ = say(ctx, state, Turn(action="edit:1"))
    assert state.line == "1"
    state, _ = say(ctx, state, Turn(action="send"))
    assert state.status == Status.sent


def test_a_form_with_one_answer_per_line_reports_field_errors() -> None:
    ctx = unit_ctx()
    state, _ = talk(ctx, "INV-0042")
    state, reply = say(ctx, state, Turn(line_values={"1": "50%", "2": "lots"}))
    assert state.entries["1"].new_quantity == D(300)
    assert [e.line for e in reply.field_errors] == ["2"]
    state, reply = say(ctx, state, Turn(line_values={"1": "", "2": "9 EA"}))
    assert [e.line for e in reply.field_errors] == ["2"]
    assert "past 100%" in reply.field_errors[0].message
    state, reply = say(ctx, state, Turn(line_values={"2": "8"}))
    assert not reply.field_errors and state.step == StepName.review


PDF = AttachmentRef("waiver.pdf", "application/pdf", 2048, "a" * 64)


def test_attachments_arrive_with_any_message_and_are_listed_in_the_review() -> None:
    ctx = unit_ctx()
    state, reply = say(ctx, fresh(ctx), Turn(text="INV-0042", attachments=(PDF,), channel="email"))
    assert state.attachments == (PDF,)
    state, reply = say(ctx, state, Turn(text="1: 50%\n2: 3", channel="email"))
    assert reply.kind == ReplyKind.review and reply.attachments == (PDF,)
    assert "waiver.pdf (2 KB)" in reply.footer
    assert "attach the files to your reply before you send" in reply.footer


def test_a_file_at_the_attachments_step_moves_on_to_the_review() -> None:
    ctx = unit_ctx()
    state, _ = talk(ctx, "INV-0042", "50%", "3")
    assert state.step == StepName.attachments
    state, reply = say(ctx, state, Turn(attachments=(PDF,), channel="slack"))
    assert state.step == StepName.review and "attached waiver.pdf" in reply.text
    assert "share the files in this conversation" in reply.footer


def test_refused_attachments_are_explained_and_the_same_file_is_not_added_twice() -> None:
    ctx = unit_ctx()
    program = AttachmentRef("setup.exe", "application/octet-stream", 100, "b" * 64)
    huge = AttachmentRef("scan.pdf", "application/pdf", 30 * 1024 * 1024, "c" * 64)
    state, reply = say(ctx, fresh(ctx), Turn(attachments=(program, huge, PDF, PDF)))
    assert state.attachments == (PDF,)
    assert "looks like a program" in reply.text and "limit is 25.0 MB" in reply.text


def test_a_refused_attachment_is_explained_in_the_contacts_language() -> None:
    ctx = replace(unit_ctx(), language="es")
    program = AttachmentRef("setup.exe", "application/octet-stream", 100, "b" * 64)
    huge = AttachmentRef("scan.pdf", "application/pdf", 30 * 1024 * 1024, "c" * 64)
    state, reply = say(ctx, fresh(ctx), Turn(attachments=(program, huge)))
    assert state.attachments == ()
    assert "setup.exe parece un programa" in reply.text
    assert "scan.pdf pesa 30.0 MB; el límite es 25.0 MB por archivo" in reply.text
    assert "looks like a program" not in reply.text


def test_at_most_twenty_attachments() -> None:
    ctx = unit_ctx()
    files = tuple(AttachmentRef(f"p{i}.jpg", "image/jpeg", 10, f"{i:064x}") for i in range(21))
    state, reply = say(ctx, fresh(ctx), Turn(attachments=files))
    assert len(state.attachments) == 20 and "at most 20 attachments" in reply.text


# Choosing an invoice ----------------------------------------------------------------------

CANDIDATES = (
    Candidate(1, 2, "SC-007 Electrical — Harbor Tower, November 2026", date(2026, 11, 30)),
    Candidate(3, 2, "SC-011 Mechanical — Harbor Tower, November 2026", date(2026, 11, 30)),
)


@pytest.mark.parametrize(
    ("turn", "chosen"),
    [
        (Turn(text="2"), (3, 2)),
        (Turn(text="#1"), (1, 2)),
        (Turn(text="sc-011"), (3, 2)),
        (Turn(action="choose:1:2"), (1, 2)),
    ],
)
def test_the_choose_step_picks_a_candidate(turn: Turn, chosen: tuple[int, int]) -> None:
    ctx = Context(now=NOW, today=NOW.date(), candidates=CANDIDATES)
    state, _ = step(State(step=StepName.choose), turn, ctx)
    assert (state.commitment_id, state.period_id) == chosen
    assert state.step == StepName.invoice_number


def test_the_choose_step_lists_the_candidates_with_buttons() -> None:
    ctx = Context(now=NOW, today=NOW.date(), candidates=CANDIDATES)
    state, replies = step(State(step=StepName.choose), Turn(text="hello"), ctx)
    assert state.commitment_id is None and replies[0].kind == ReplyKind.prompt
    assert "1. SC-007" in replies[0].text and "2. SC-011" in replies[0].text
    assert [c.action for c in replies[0].choices] == ["choose:1:2", "choose:3:2"]
    _, replies = step(State(step=StepName.choose), Turn(text="INV-0042\n1: 5%"), ctx)
    assert replies[0].kind == ReplyKind.reprompt and "nothing was recorded" in replies[0].text


def test_with_nothing_to_bill_the_choose_step_says_so() -> None:
    ctx = Context(now=NOW, today=NOW.date(), person_name="Sam Sparks")
    _, replies = step(State(step=StepName.choose), Turn(text="hi"), ctx)
    assert "no open billing periods" in replies[0].text


# The state and the flow table ---------------------------------------------------------------


def test_the_state_survives_json_with_exact_decimals() -> None:
    commitment = replace(unit_ctx().commitment, allow_overbilling=True)  # type: ignore[type-var]
    ctx = unit_ctx(commitment=commitment)
    state, _ = step(fresh(ctx), Turn(text="INV-0042\n1: $100.0055\n2: 9", attachments=(PDF,)), ctx)
    assert state.pending and state.entries["1"].new_value == D("100.0055")
    assert State.from_json(state.to_json()) == state


def test_an_unreadable_saved_state_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="conversation state"):
        State.from_json('{"format": 1, "step": "nowhere"}')


def test_the_flow_table_lists_every_step_in_order() -> None:
    assert [s.name for s in FLOW.steps] == list(StepName)
    with pytest.raises(ValueError, match="every step once"):
        Flow(list(reversed(FLOW.steps)))


def test_replies_render_as_aligned_plain_text() -> None:
    _, replies = talk(unit_ctx(), "INV-0042; 1: 50%; 2: 3 EA")
    text = as_text(replies[0])
    table = [line for line in text.splitlines() if line.startswith(("1  ", "2  "))]
    assert len(table) == 2 and len({len(line) for line in table}) == 1
    assert "8. Current payment due" in text and text.index("Current payment") < text.index(
        "Reply `send`"
    )


# Properties --------------------------------------------------------------------------------

WORDS = [
    "INV-0042", "INV-0041", "ok", "1: 50%", "2: 3", "2: 10 EA", "1: -100", "yes", "no", "back",
    "edit 2", "help", "status", "cancel", "draft", "send", "none", "all 100%", "rest skip",
    "1: retainage 9999", "review", "next", "2: 999999999999", "1: 45% stored 10",
]  # fmt: skip


@given(
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=80)), max_size=12),
    st.booleans(),
)
@settings(max_examples=150)
def test_any_sequence_of_turns_gets_replies_and_never_raises(
    texts: list[str], overbilling: bool
) -> None:
    commitment = replace(unit_ctx().commitment, allow_overbilling=overbilling)  # type: ignore[type-var]
    ctx = unit_ctx(commitment=commitment)
    state = fresh(ctx)
    for text in texts:
        state, replies = step(state, Turn(text=text), ctx)
        assert replies and all(reply.text.strip() for reply in replies)
        assert State.from_json(state.to_json()) == state
        assert all(abs(entry.new_value) <= D(10) ** 12 for entry in state.entries.values())


def test_the_answer_template_filled_in_completes_the_invoice() -> None:
    ctx = unit_ctx(
        lines=(
            replace(UNIT_LINES[0], description="Conduit (EMT; 3/4in), supports"),
            UNIT_LINES[1],
        )
    )
    template = render.answer_template(fresh(ctx), ctx)
    assert template.splitlines() == [
        "Invoice number: INV-0042",
        "1 (Conduit  EMT  3/4in , supports, LF):",
        "2 (Panels, EA):",
    ]
    untouched, _ = talk(ctx, template)
    assert untouched.invoice_number == "INV-0042" and not untouched.entries
    filled = template.replace("LF):", "LF): 50%").replace("EA):", "EA): 3") + "\nsend"
    state, _ = talk(ctx, filled)
    assert state.status == Status.sent and state.entries["2"].new_quantity == D(3)


def test_dates_and_the_period_are_written_in_the_contacts_language() -> None:
    _, replies = talk(replace(unit_ctx(), language="es"), "start")
    said = text_of(replies)
    assert "noviembre de 2026" in said and "November" not in said
    assert "nov 2026" in said and "Nov " not in said  # `30 nov 2026`, not `Nov 30, 2026`
    _, replies = talk(unit_ctx(), "start")
    assert "November 2026" in text_of(replies) and "Nov 30, 2026" in text_of(replies)
    _, replies = talk(replace(unit_ctx(), language="es"), "INV-1\n1: 50%\n2: 3\nenviar")
    assert "el 20 nov 2026" in text_of(replies), text_of(replies)


# Words around complete answers ------------------------------------------------------------


@pytest.mark.parametrize(
    "chatter", [*CHATTER, "Have a great weekend", "Invoice attached.", "INV-0042 see inline"]
)
def test_chatter_beside_complete_answers_does_not_hold_back_send(chatter: str) -> None:
    state, replies = talk(unit_ctx(), f"INV-0042\n1: 50%\n2: 3 units\n{chatter}\nsend")
    assert state.status == Status.sent, text_of(replies)
    assert state.invoice_number == "INV-0042"
    assert "fix what is above" not in text_of(replies)


def test_chatter_beside_answers_is_only_noted_and_alone_is_still_not_understood() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n1: 50%\nSorry for the delay!")
    assert set(state.entries) == {"1"} and replies[0].kind != ReplyKind.reprompt
    assert "I didn't use “Sorry for the delay”" in text_of(replies)
    before, _ = talk(unit_ctx(), "INV-0042")
    after, replies = talk(unit_ctx(), "Sorry for the delay!", state=before)
    assert replies[0].kind == ReplyKind.reprompt and after.entries == before.entries


@pytest.mark.parametrize(
    "said",
    [*NOT_CHATTER, "Panels next week sorry", "tentative numbers"],  # a line's words: an answer?
)
def test_a_figure_a_line_or_an_instruction_beside_send_still_holds_it_back(said: str) -> None:
    state, replies = talk(unit_ctx(), f"INV-0042\n1: 50%\n2: 3 units\n{said}\nsend")
    assert state.status != Status.sent
    assert "I haven't sent it" in text_of(replies)


def test_a_bare_answer_after_the_number_in_one_message_is_asked_without_contradiction() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n50%")
    text = text_of(replies)
    assert state.invoice_number == "INV-0042" and not state.entries
    assert "First, what is the invoice number" not in text
    assert "“50%”: Which line is this for?" in text
    assert state.step == StepName.lines and state.line == "1"


@pytest.mark.parametrize(
    "answer",
    ["3: $100 stored -$50", "3: $100 stored - $50", "3: 100 stored -$50", "3: $100, stored $-50"],
)
def test_a_negative_stored_amount_is_refused_never_swapped_with_the_amount(answer: str) -> None:
    before, _ = talk(amount_ctx(), "NW-1002\n1: skip\n2: skip")
    after, replies = talk(amount_ctx(), answer, state=before)
    assert "3" not in after.entries and not after.pending
    assert "materials stored cannot be negative" in text_of(replies)


@pytest.mark.parametrize(
    ("answer", "value", "stored"),
    [
        ("3: $100 stored $50", D(100), D(50)),
        ("3: stored $50 $100", D(100), D(50)),
    ],
)
def test_an_amount_and_materials_stored_are_read_in_either_order(
    answer: str, value: Decimal, stored: Decimal
) -> None:
    before, _ = talk(amount_ctx(), "NW-1002\n1: skip\n2: skip")
    after, _ = talk(amount_ctx(), answer, state=before)
    entry = after.entries["3"]
    assert (entry.new_value, entry.materials_stored) == (value, stored)


def test_a_negative_amount_with_materials_stored_is_a_correction_to_confirm() -> None:
    before, _ = talk(amount_ctx(), "NW-1002\n1: skip\n2: skip")
    after, _ = talk(amount_ctx(), "3: -$100 stored $50", state=before)
    [pending] = after.pending
    assert (pending.entry.new_value, pending.entry.materials_stored) == (D(-100), D(50))


def test_chatter_does_not_hold_back_the_rest() -> None:
    state, replies = talk(unit_ctx(), "INV-0042\n1: 50%\nrest skip\nSorry for the delay!\nsend")
    assert state.status == Status.sent, text_of(replies)
    assert state.entries["2"].new_quantity == 0
