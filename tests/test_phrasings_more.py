"""Phrasings that once billed a figure the contact did not give, sent what was held back, or
renamed the invoice: a time of day, unnamed figures, `all 8`, `al cien`, corrections without a
line, two figures for one line, pieces on a line in LF, `send` then `no`, and tokens such as
`Job#2317` past the invoice-number step."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from conversations.context import Context
from conversations.flow import step
from conversations.parse import Expect, parse
from conversations.state import State, Status
from conversations.types import Reply, StepName, Turn
from tests.phrasings import AMOUNT, UNIT
from tests.test_phrasings import CONTEXTS, amount_line, at_the_lines

D = Decimal
UNIT_CTX = CONTEXTS[UNIT]
AMOUNT_CTX = CONTEXTS[AMOUNT]
ES_UNIT = replace(UNIT_CTX, language="es")


def say(ctx: Context, state: State, *texts: str) -> tuple[State, str]:
    replies: list[Reply] = []
    for text in texts:
        state, replies = step(state, Turn(text=text, channel="email"), ctx)
    return state, "\n".join(reply.text for reply in replies)


def touched(state: State) -> set[str]:
    return set(state.entries) | {item.line for item in state.pending}


def at_review(ctx: Context) -> State:
    state, _said = say(ctx, at_the_lines(ctx), "1: 50%\n2: 1\n3: skip", "none")
    assert state.step == StepName.review
    return state


def after_two_lines(ctx: Context) -> State:
    """Line 1 at 50%, line 2 one panel: line 3 asked."""
    state, _said = say(ctx, at_the_lines(ctx), "50%", "1")
    assert state.line == "3" and set(state.entries) == {"1", "2"}
    return state


# -- a time of day is never a line's figure ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "see you 11/30 at 3:15",
        "walkthrough Nov 30 at 3:15",
        "on 11/30 3:15",
        "inspection 12/2 at 2:30",
        "meeting at 2:05 pm",
        "2:05 pm",
        "3:15",
    ],
)
def test_a_time_of_day_is_never_billed(text: str) -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), f"1: 50%\n{text}")
    assert touched(state) == {"1"}, said


def test_a_time_alone_is_asked_about() -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX, "2"), "2:30")
    assert not touched(state) and "time of day" in said


# -- figures without a line: none is guessed, however many ------------------------------------


@pytest.mark.parametrize(
    ("ctx", "line", "text", "count"),
    [
        (UNIT_CTX, "1", "600, 3, 20", 3),
        (UNIT_CTX, "1", "50%\n3\n0", 3),
        (AMOUNT_CTX, "2", "$10,000\n$5,000\n$2,000", 3),
        (UNIT_CTX, "1", "600\n3\n20\n1\n5", 5),
    ],
)
def test_several_figures_without_a_line_put_none_on_the_line_asked(
    ctx: Context, line: str, text: str, count: int
) -> None:
    state, said = say(ctx, at_the_lines(ctx, line), text)
    assert not touched(state), said
    assert said.count("Which line is this for?") == count


# -- `all 8`: one figure is not every line's -----------------------------------------------------


@pytest.mark.parametrize("text", ["all 8", "all 8 installed", "all 4 installed", "all 8 ea"])
def test_all_with_a_quantity_is_asked_never_spread(text: str) -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX, "2"), text)
    assert not touched(state), said
    assert "every line" in said and "`2: " in said


def test_all_with_an_amount_is_asked_never_spread() -> None:
    state, said = say(AMOUNT_CTX, at_the_lines(AMOUNT_CTX, "2"), "all $5,000")
    assert not touched(state), said


def test_all_with_a_quantity_changes_no_answer_and_sends_nothing() -> None:
    state, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "send", "1: 50%")
    assert state.send_requested
    before = dict(state.entries)
    state, said = say(UNIT_CTX, state, "all 8")
    assert state.status != Status.sent and dict(state.entries) == before, said


def test_all_with_a_percent_or_a_word_still_answers_every_line() -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "all 100%")
    assert set(state.entries) == {"1", "2", "3"}, said
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%\nrest skip")
    assert set(state.entries) == {"1", "2", "3"}, said


# -- `al cien`, `va al 80`, `at 100`: a percent, or asked ---------------------------------------


@pytest.mark.parametrize(
    "text", ["al cien", "al 100", "la 1 al cien", "1: al cien", "ya está al cien"]
)
def test_al_cien_is_one_hundred_percent(text: str) -> None:
    state, said = say(ES_UNIT, at_the_lines(ES_UNIT), text)
    assert not state.pending, said
    entry = state.entries["1"]
    assert entry.new_quantity == D(900), said  # 1,200 LF, 300 billed before


@pytest.mark.parametrize(
    ("ctx", "text"), [(ES_UNIT, "al 50"), (ES_UNIT, "va al 80"), (UNIT_CTX, "at 100"),
                      (UNIT_CTX, "conduit is at 80"), (UNIT_CTX, "1: at 55")]
)  # fmt: skip
def test_a_bare_level_on_a_unit_line_is_asked_percent_or_units(ctx: Context, text: str) -> None:
    state, said = say(ctx, at_the_lines(ctx), text)
    assert not touched(state), said
    number = re.findall(r"\d+", text)[-1]
    asked = "¿Es {n}% o {n} LF?" if ctx.language == "es" else "Is it {n}% or {n} LF?"
    assert asked.format(n=number) in said, said


def test_a_level_with_its_unit_or_above_a_hundred_is_billed_as_written() -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "conduit is at 600")
    assert state.entries["1"].new_quantity == D(300), said  # 600 LF to date
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: at 80 LF this month")
    assert state.entries["1"].new_quantity == D(80), said


# -- corrections: the line they correct, or asked -------------------------------------------------


def test_a_mistake_named_by_its_line_corrects_that_line() -> None:
    ctx = replace(ES_UNIT)
    state, said = say(ctx, after_two_lines(ctx), "me equivoqué en la 1, es 60%")
    assert state.entries["1"].new_quantity == D(420), said  # 60% of 1,200 LF less 300
    assert "3" not in state.entries


@pytest.mark.parametrize(
    "text", ["mistake on line 1, it's 60%", "sorry, wrong on line 1: 60%", "error en la 1: 60%"]
)
def test_a_mistake_and_its_answer_in_one_piece_correct_the_line_named(text: str) -> None:
    state, said = say(UNIT_CTX, after_two_lines(UNIT_CTX), text)
    assert state.entries["1"].new_quantity == D(420) and "3" not in state.entries, said


@pytest.mark.parametrize(
    "text", ["i meant 2", "sorry 30%", "no wait, 30%", "oops, 30%", "actually 2"]
)
def test_a_correction_without_a_line_after_moving_on_is_asked(text: str) -> None:
    before = after_two_lines(UNIT_CTX)
    state, said = say(UNIT_CTX, before, text)
    assert state.entries == before.entries and not state.pending, said
    assert "correction of line 2" in said


def test_a_correction_without_a_line_on_the_line_edited_is_its_answer() -> None:
    state, _said = say(UNIT_CTX, after_two_lines(UNIT_CTX), "edit 2")
    state, said = say(UNIT_CTX, state, "sorry, 3")
    assert state.entries["2"].new_quantity == D(3), said


# -- two figures for one line -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ctx", "text", "line"),
    [
        (AMOUNT_CTX, "2: 80% complete, bill 50%", "2"),
        (UNIT_CTX, "3: 20 delivered, 10 installed", "3"),
        (UNIT_CTX, "3: 10 installed, 20 delivered", "3"),
        (UNIT_CTX, "3: 20 delivered, 0 installed", "3"),
        (UNIT_CTX, "3: 20 received\n10 installed", "3"),
    ],
)
def test_two_figures_for_one_line_are_asked_whatever_their_order(
    ctx: Context, text: str, line: str
) -> None:
    state, said = say(ctx, at_the_lines(ctx), text)
    assert not touched(state), said
    assert f"Line {line} has two different answers" in said


def test_bill_before_a_figure_bills_it_on_the_line_asked() -> None:
    state, said = say(AMOUNT_CTX, at_the_lines(AMOUNT_CTX, "2"), "bill 50%")
    assert state.entries["2"].new_value == D("54000.00"), said


# -- pieces are not linear feet -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ctx", "text"),
    [(UNIT_CTX, "80 pcs"), (UNIT_CTX, "80 pieces"), (ES_UNIT, "80 piezas"), (UNIT_CTX, "1: 80 pc")],
)
def test_pieces_on_a_line_in_linear_feet_are_refused(ctx: Context, text: str) -> None:
    state, said = say(ctx, at_the_lines(ctx), text)
    assert not touched(state), said


def test_pieces_on_a_line_counted_each_are_its_units() -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "3: 5 pcs")
    assert state.entries["3"].new_quantity == D(5), said


# -- a send held back is not sent ---------------------------------------------------------------


@pytest.mark.parametrize("text", ["send\nno", "send\nno, wait", "send\nnope", "enviar\nno"])
def test_send_then_no_does_not_send(text: str) -> None:
    state, said = say(UNIT_CTX, at_review(UNIT_CTX), text)
    assert state.status != Status.sent and not state.send_requested, said
    assert "I haven't sent it" in said


@pytest.mark.parametrize(
    "text",
    ["don't send yet", "not yet", "wait", "hold", "hold off please", "no enviar todavía",
     "todavía no", "espera", "Great, don't send yet"],
)  # fmt: skip
def test_holding_a_send_back_at_the_review_is_answered_not_refused(text: str) -> None:
    state, said = say(UNIT_CTX, at_review(UNIT_CTX), text)
    assert state.status != Status.sent, said
    assert "OK, not sent" in said and "couldn't read" not in said


def test_holding_back_forgets_a_send_asked_for_earlier() -> None:
    state, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "send", "1: 50%\n2: 1")
    assert state.send_requested
    state, said = say(UNIT_CTX, state, "wait")
    assert not state.send_requested and state.status != Status.sent, said
    state, said = say(UNIT_CTX, state, "3: skip", "none")
    assert state.status != Status.sent and state.step == StepName.review, said


# -- the invoice number changes only when said ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["x2", "USD12000", "PO#4500123", "PO-4500123", "Job#2317", "J2317", "CO#3", "RFI-12", "B2",
     "v2", "Rev2", "Nov30", "WO#55", "1: 50%\nv2"],
)  # fmt: skip
@pytest.mark.parametrize("where", ["lines", "review"])
def test_a_token_past_the_number_step_never_renames_the_invoice(text: str, where: str) -> None:
    before = at_review(UNIT_CTX) if where == "review" else at_the_lines(UNIT_CTX, "2")
    state, said = say(UNIT_CTX, before, text)
    assert state.invoice_number == "INV-0042", said
    assert state.status != Status.sent


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("invoice INV-0043", "INV-0043"),
        ("INV-0043", "INV-0043"),
        ("inv# 1234", "inv# 1234"),
        ("factura F-203", "F-203"),
        ("invoice number is A-17", "A-17"),
        ("my invoice number is Job#2317", "Job#2317"),
    ],
)
@pytest.mark.parametrize("where", ["lines", "review"])
def test_an_invoice_number_said_so_renames_it_at_any_step(
    text: str, number: str, where: str
) -> None:
    before = at_review(UNIT_CTX) if where == "review" else at_the_lines(UNIT_CTX, "2")
    state, said = say(UNIT_CTX, before, text)
    assert state.invoice_number == number, said


def test_the_invoice_number_written_again_past_its_step_is_unchanged() -> None:
    ctx = UNIT_CTX
    state = replace(at_review(ctx), invoice_number="A-17")
    state, said = say(ctx, state, "A-17\nsend")
    assert state.invoice_number == "A-17" and state.status == Status.sent, said


def test_a_bare_token_is_the_number_at_the_number_step() -> None:
    start = State(commitment_id=1, period_id=2, started=True)
    state, said = say(UNIT_CTX, start, "A-17")
    assert state.invoice_number == "A-17", said
    assert parse("B2", expect=Expect.invoice_number).invoice_number == "B2"
    assert parse("Job#2317", expect=Expect.line).number_unsure
    assert not parse("INV-0043", expect=Expect.line).number_unsure


@pytest.mark.parametrize("text", ["INV#0041", "inv#0041", "Inv#0041", "INV# 0041"])
def test_an_invoice_number_with_its_prefix_is_checked_against_those_used(text: str) -> None:
    ctx = replace(UNIT_CTX, used_numbers=frozenset({"INV-0041"}), previous_number="INV-0041")
    start = State(commitment_id=1, period_id=2, started=True)
    state, said = say(ctx, start, text)
    assert state.invoice_number is None and "already used" in said, said
    assert parse(text, expect=Expect.invoice_number).invoice_number == text


# -- lower priority: answers and `send` on one row, hedges, examples, addresses, courtesies ------


def test_answers_then_send_on_one_row_send_at_once() -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50% 2: 3 3: 0 send")
    assert state.status == Status.sent and set(state.entries) == {"1", "2", "3"}, said
    state, said = say(UNIT_CTX, at_review(UNIT_CTX), "2: 3 send")
    assert state.status == Status.sent and state.entries["2"].new_quantity == D(3), said


def test_a_held_back_send_after_an_answer_on_one_row_is_not_sent() -> None:
    state, said = say(UNIT_CTX, at_review(UNIT_CTX), "2: 3 don't send")
    assert state.status != Status.sent, said


@pytest.mark.parametrize(
    ("ctx", "text"),
    [(UNIT_CTX, "almost 50%"), (UNIT_CTX, "nearly 50%"), (UNIT_CTX, "close to 50%"),
     (UNIT_CTX, "maybe 50%"), (ES_UNIT, "casi 50%"), (ES_UNIT, "más o menos 50%")],
)  # fmt: skip
def test_a_hedged_percent_is_read_as_about_it(ctx: Context, text: str) -> None:
    state, said = say(ctx, at_the_lines(ctx), text)
    assert state.entries["1"].new_quantity == D(300), said


@pytest.mark.parametrize(("ctx", "text"), [(UNIT_CTX, "almost done"), (ES_UNIT, "casi listo")])
def test_almost_done_is_not_done(ctx: Context, text: str) -> None:
    state, said = say(ctx, at_the_lines(ctx), text)
    assert not touched(state) and "`1: done`" not in said, said


@pytest.mark.parametrize("text", ["PO 4500123", "see page 2", "Estimate 7"])
def test_a_refusal_never_suggests_an_unrelated_number_as_an_answer(text: str) -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), text)
    assert not touched(state)
    figures = [part for part in text.split() if part.isdigit()]
    assert not any(f": {figure}`" in said for figure in figures), said


@pytest.mark.parametrize(
    "address",
    ["Cl. 100 # 2-4", "Calle 26 # 1-5", "Av. Calle 26 # 2-5, Of. 301", "Cra. 7 # 45-10",
     "Carrera 15 No. 88-64", "Cl. 100 # 2-4, Bogotá"],
)  # fmt: skip
def test_a_street_address_is_never_a_line_answer(address: str) -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), f"1: 50%\nenviar\n\nSaludos\n{address}")
    assert set(state.entries) == {"1"} and not state.pending, said
    assert not any(p.answers for p in [parse(address, expect=Expect.line)])


def test_line_references_with_a_number_sign_are_still_lines() -> None:
    assert [a.line for a in parse("#1 45%\nNo. 2: 50%\n#3 - 4").answers] == ["1", "2", "3"]


def test_spanish_courtesies_around_a_send_are_passed_over_as_english_ones_are() -> None:
    text = (
        "Buenos días Jane,\n\nEspero que estés bien. Te paso los números de noviembre.\n\n"
        "INV-0042\n1: 50%\n2: 3 unidades\n3: skip\nenviar\n\n"
        "Cualquier duda quedo a tus órdenes.\n\nSaludos cordiales\nSam"
    )
    state, said = say(ES_UNIT, at_the_lines(ES_UNIT), text)
    assert state.status == Status.sent, said


@pytest.mark.parametrize(
    "papers", ["no tengo adjuntos", "sin archivos", "no hay documentos", "no attachments"]
)
def test_no_papers_beside_the_answers_does_not_hold_back_the_send(papers: str) -> None:
    """Said at the attachments step alone it was read; beside the answers and `enviar` it
    was "I couldn't read", and nothing was sent."""
    state, _said = say(ES_UNIT, at_the_lines(ES_UNIT), f"1: 50%\n2: 3\n3: 0\n{papers}\nenviar")
    assert state.status == Status.sent


def _button(reply: Reply, label: str) -> str:
    (choice,) = [choice for choice in reply.choices if choice.label == label]
    return choice.action


def test_a_send_button_pressed_after_the_invoice_changed_does_not_send() -> None:
    """Slack keeps every message's buttons: Send under a review shown before line 2 changed
    would send figures the contact never saw with it. It shows the invoice as it is now."""
    state = at_review(UNIT_CTX)
    state, replies = step(state, Turn(text="review", channel="slack"), UNIT_CTX)
    old_send = _button(replies[-1], "Send")
    state, replies = step(state, Turn(text="2: 4", channel="slack"), UNIT_CTX)
    state, replies = step(state, Turn(action=old_send, channel="slack"), UNIT_CTX)
    said = "\n".join(reply.text for reply in replies)
    assert state.status != Status.sent
    assert "the invoice changed after that Send button was shown" in said
    new_send = _button(replies[-1], "Send")
    assert new_send != old_send
    state, _replies = step(state, Turn(action=new_send, channel="slack"), UNIT_CTX)
    assert state.status == Status.sent
    assert state.entries["2"].new_quantity == 4


def test_a_send_button_without_a_digest_still_sends() -> None:
    """Buttons posted before buttons carried one (`send`) work as they did."""
    state, _replies = step(at_review(UNIT_CTX), Turn(action="send", channel="slack"), UNIT_CTX)
    assert state.status == Status.sent


def test_a_yes_button_of_an_earlier_question_keeps_nothing() -> None:
    """Two questions in turn (a negative correction on line 1, then on line 3): the first
    question's Yes, pressed while the second is asked, does not confirm the second."""
    state = at_the_lines(UNIT_CTX)
    state, replies = step(state, Turn(text="1: -10", channel="slack"), UNIT_CTX)
    assert state.pending
    first_yes = _button(replies[-1], "Yes, keep it")
    state, replies = step(state, Turn(text="1: -20", channel="slack"), UNIT_CTX)
    assert [item.line for item in state.pending] == ["1"]
    state, replies = step(state, Turn(action=first_yes, channel="slack"), UNIT_CTX)
    assert "That Yes answered an earlier question, so nothing was kept." in "\n".join(
        reply.text for reply in replies
    )
    assert state.pending and "1" not in state.entries
    state, _replies = step(
        state, Turn(action=_button(replies[-1], "Yes, keep it"), channel="slack"), UNIT_CTX
    )
    assert not state.pending and state.entries["1"].new_quantity == -20


def test_the_example_invoice_number_is_the_contacts_own_next_one() -> None:
    """Maria's invoices run INV-0001, …: an unreadable answer to the number question shows
    her next number as the example, not another company's `INV-0042`."""
    ctx = replace(AMOUNT_CTX, previous_number="INV-0001", used_numbers=frozenset({"INV-0001"}))
    assert ctx.commitment is not None
    state = State(
        step=StepName.invoice_number,
        commitment_id=ctx.commitment.id,
        period_id=ctx.period.id if ctx.period else None,
        started=True,
    )
    _state, said = say(ctx, state, "the usual one please")
    assert "Example: `INV-0002`." in said, said
    assert "INV-0042" not in said


@pytest.mark.parametrize(
    "text", ["Good to go", "Approved.", "all set", "we're ready", "ya está listo", "aprobado"]
)
def test_ready_words_at_the_review_ask_whether_to_send_never_send(text: str) -> None:
    state, said = say(UNIT_CTX, at_review(UNIT_CTX), text)
    assert state.status != Status.sent
    assert "Shall I send it, or save it as a draft?" in said, said
    assert "I couldn't read" not in said


def test_a_line_named_after_a_street_is_answered_not_taken_for_an_address() -> None:
    """A civil contractor's lines may be streets: `Calle 26: 50%` answers the line `Calle 26
    paving` (it was passed over in silence as a signature's address); the address itself
    still bills nothing."""
    ctx = replace(
        AMOUNT_CTX,
        lines=(amount_line("1", "Calle 26 paving", 100000), amount_line("2", "Curbs", 50000)),
        histories={},
    )
    state, said = say(ctx, at_the_lines(ctx), "Calle 26: 50%")
    assert state.entries["1"].new_value == D("50000.00"), said
    state, said = say(ctx, at_the_lines(ctx), "1: 50%\nCalle 26 # 1-5")
    assert set(state.entries) == {"1"} and state.entries["1"].new_value == D("50000.00"), said


@pytest.mark.parametrize(
    "text", ["¿cómo voy?", "¿qué llevo?", "como vamos", "¿qué me falta?", "how am I doing?"]
)
def test_asking_how_far_along_the_invoice_is_shows_its_status(text: str) -> None:
    state, said = say(ES_UNIT, at_the_lines(ES_UNIT), "1: 50%", text)
    assert set(state.entries) == {"1"}
    assert "No pude leer" not in said and "I couldn't read" not in said, said
    assert "1 de 3" in said or "1 of 3" in said, said


# -- a line taken off the invoice --------------------------------------------------------------


@pytest.mark.parametrize(("ctx", "text"), [(UNIT_CTX, "delete line 2"), (ES_UNIT, "borra la 2")])
def test_a_line_taken_off_the_invoice_bills_nothing_and_keeps_the_rest(
    ctx: Context, text: str
) -> None:
    state = at_review(ctx)
    state, said = say(ctx, state, text)
    assert state.entries["2"].new_quantity == 0 and state.entries["2"].new_value == 0, said
    assert state.entries["1"].new_quantity == D(300)  # line 1 as it was
    assert state.status == Status.open
