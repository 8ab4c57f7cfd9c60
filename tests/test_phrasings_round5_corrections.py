"""Phone and voice-typed answers that once billed a wrong amount or were refused (round 5):
`No, 45%` taken for the next line's answer, `actually line 1 is 60` billed as 60 LF after
`50%`, a bare `1` or `2` taken for a quantity, `send?` sending, `wrong` told "nothing waits for
a yes or no", a date taken for the invoice number, and Spanish and typed-in-a-hurry words."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from conversations.context import Context
from conversations.parse import parse
from conversations.state import State, Status
from conversations.types import StepName
from tests.phrasings import AMOUNT, UNIT
from tests.test_loose_answers import said, talk
from tests.test_phrasings import CONTEXTS, at_the_lines

D = Decimal
EN = {kind: CONTEXTS[kind] for kind in (UNIT, AMOUNT)}
ES = {kind: replace(CONTEXTS[kind], language="es") for kind in (UNIT, AMOUNT)}
NUMBERED = replace(CONTEXTS[UNIT], used_numbers=frozenset({"INV-0041"}), previous_number="INV-0041")


def unit_line_1_answered(ctx: Context) -> State:
    """Line 1 (1,200 LF, 300 LF before) at 50% to date: line 2 (8 panels) asked."""
    state, replies = talk(ctx, "50%")
    assert state.line == "2" and state.entries["1"].new_quantity == D(300), said(replies)
    return state


def amount_lines_1_and_2_answered(ctx: Context) -> State:
    """Line 1 nothing, line 2 (Ductwork) at 40%: line 3 asked."""
    state, replies = talk(ctx, "1: skip", "40%")
    assert state.line == "3" and state.entries["2"].new_value == D("36000.00"), said(replies)
    return state


def at_the_review(ctx: Context) -> State:
    state, replies = talk(ctx, "1: 50%\n2: 1\n3: 20")
    assert state.step == StepName.review, said(replies)
    return state


def at_the_number(ctx: Context) -> State:
    return replace(at_the_lines(ctx), step=StepName.invoice_number, line=None, invoice_number=None)


# -- a correction after moving on is asked, never the next line's answer ------------------

LEADS_EN = [
    "No, 45%",
    "No. 45%",
    "Nope. 45%",
    "no 45%",
    "Oh wait, 45%",
    "no wait 45%",
    "oh wait 45%",
    "make it 45%",
    "scratch that, 45%",
    "hmm, 45%",
    "sorry I meant 45%",
    "no sorry 45%",
    "45% sorry",
    "45% not 40",
    "Not 40, 45%",
]
LEADS_ES = [
    "No, 45%",
    "Espera, 45%",
    "Ups, 45%",
    "Mejor, 45%",
    "mejor 45%",
    "no, era 45%",
    "Me equivoqué, 45%",
]


@pytest.mark.parametrize(
    ("language", "text"), [("en", t) for t in LEADS_EN] + [("es", t) for t in LEADS_ES]
)
def test_a_correction_lead_after_moving_on_asks_which_line_on_an_amount_line(
    language: str, text: str
) -> None:
    """`No, 45%` at line 3 once billed line 3 $48,000 and left line 2 at 40%."""
    ctx = (EN if language == "en" else ES)[AMOUNT]
    before = amount_lines_1_and_2_answered(ctx)
    state, replies = talk(ctx, text, state=before)
    assert state.entries == before.entries and not state.pending, said(replies)
    assert "`2: 45%`" in said(replies) and "`3: 45%`" in said(replies)


@pytest.mark.parametrize(
    ("language", "text"), [("en", "No, 45%"), ("en", "Oh wait, 45%"), ("es", "Espera, 45%")]
)
def test_a_correction_lead_never_bills_a_fraction_of_a_panel(language: str, text: str) -> None:
    """`50%`, then `No, 45%` once billed 3.6 panels on line 2."""
    ctx = (EN if language == "en" else ES)[UNIT]
    before = unit_line_1_answered(ctx)
    state, replies = talk(ctx, text, state=before)
    assert state.entries == before.entries and not state.pending, said(replies)
    assert "`1: 45%`" in said(replies)


@pytest.mark.parametrize(
    ("text", "line", "quantity"),
    [("no change", "1", D(0)), ("No. 2: 5", "2", D(5)), ("no 2: 5", "2", D(5))],
)
def test_no_that_is_part_of_an_answer_is_not_a_correction(
    text: str, line: str, quantity: Decimal
) -> None:
    state, replies = talk(EN[UNIT], text)
    assert state.entries[line].new_quantity == quantity, said(replies)


def test_no_with_a_new_answer_to_a_confirmation_is_that_lines_answer() -> None:
    ctx = EN[UNIT]
    state, replies = talk(ctx, "50%", "1", "5 EA to date")  # 10 EA before: to confirm
    assert [item.line for item in state.pending] == ["3"], said(replies)
    state, replies = talk(ctx, "No, 20", state=state)
    assert state.entries["3"].new_quantity == D(20) and not state.pending, said(replies)


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "wrong"), ("en", "oops"), ("en", "scratch that"), ("es", "me equivoqué")],
)
def test_a_mistake_owned_alone_asks_which_line_is_wrong(language: str, text: str) -> None:
    ctx = (EN if language == "en" else ES)[UNIT]
    before = unit_line_1_answered(ctx)
    state, replies = talk(ctx, text, state=before)
    assert state.entries == before.entries and state.line == "2", said(replies)
    asked = "Which line is wrong?" if language == "en" else "¿Qué línea está mal?"
    assert asked in said(replies) and "`1: 45%`" in said(replies)
    assert "nothing waiting for a yes or no" not in said(replies)


@pytest.mark.parametrize("text", ["no", "nope", "No."])
def test_a_bare_no_after_an_answer_says_how_to_correct_a_line(text: str) -> None:
    ctx = EN[UNIT]
    before = unit_line_1_answered(ctx)
    state, replies = talk(ctx, text, state=before)
    assert state.entries == before.entries, said(replies)
    assert "If a line is wrong" in said(replies) and "`1: 45%`" in said(replies)


# -- a bare number correcting a line that stands at a percent: % or units? ----------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "actually line 1 is 60"),
        ("en", "change line 1 to 60"),
        ("en", "line 1 should be 60"),
        ("en", "no wait, line 1 is 60"),
        ("es", "la línea 1 debe ser 60"),
        ("es", "cambia la 1 a 60"),
    ],
)
def test_a_bare_number_correcting_a_percent_asks_percent_or_units(language: str, text: str) -> None:
    """`actually line 1 is 60` after `50%` once billed 60 LF ($750) without asking."""
    ctx = (EN if language == "en" else ES)[UNIT]
    before = unit_line_1_answered(ctx)
    state, replies = talk(ctx, text, state=before)
    assert state.entries == before.entries and not state.pending, said(replies)
    assert "`1: 60%`" in said(replies) and "`1: 60 LF`" in said(replies)


def test_a_count_corrected_by_a_count_is_that_count() -> None:
    state, _ = talk(EN[UNIT], "2: 3")
    state, replies = talk(EN[UNIT], "line 2 should be 4", state=state)
    assert state.entries["2"].new_quantity == D(4), said(replies)


# -- a line's number alone is asked about, never billed as a quantity ----------------------


@pytest.mark.parametrize("ctx", [EN[UNIT], ES[UNIT]], ids=["en", "es"])
def test_the_number_of_the_line_asked_alone_is_asked_then_its_answer_follows(
    ctx: Context,
) -> None:
    """`1`, `50%`, `2`, `done` once billed 1 LF on line 1 and 50% of the panels."""
    state, replies = talk(ctx, "1")
    assert not state.entries and state.line == "1", said(replies)
    assert "`1: 1 LF`" in said(replies)
    state, replies = talk(ctx, "50%", state=state)
    assert state.entries["1"].new_quantity == D(300), said(replies)
    state, replies = talk(ctx, "2", state=state)
    assert set(state.entries) == {"1"} and state.line == "2", said(replies)
    state, replies = talk(ctx, "done", state=state)
    assert state.entries["2"].new_quantity == D(8), said(replies)


def test_another_lines_number_alone_is_asked_and_that_line_is_asked_next() -> None:
    """`2`, `3` once billed 2 LF on line 1 and 3 panels."""
    ctx = EN[UNIT]
    state, replies = talk(ctx, "2")
    assert not state.entries and state.line == "2", said(replies)
    assert "`1: 2 LF`" in said(replies) and "`2: 50%`" in said(replies)
    state, replies = talk(ctx, "3 EA", state=state)
    assert state.entries["2"].new_quantity == D(3) and "1" not in state.entries, said(replies)


def test_a_line_number_alone_on_an_amount_line_then_its_answer() -> None:
    """`2`, `40%` at Mobilization once billed line 1 to 40% (a negative correction)."""
    ctx = EN[AMOUNT]
    state, replies = talk(ctx, "2")
    assert not state.entries and not state.pending and state.line == "2", said(replies)
    state, replies = talk(ctx, "40%", state=state)
    assert set(state.entries) == {"2"} and not state.pending, said(replies)
    assert state.entries["2"].new_value == D("36000.00")


# -- a send asked about is not a send -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "send?"),
        ("en", "send it?"),
        ("en", "Should I send?"),
        ("en", "shall we submit it now?"),
        ("es", "enviar?"),
        ("es", "¿envío?"),
        ("es", "¿la mando?"),
    ],
)
def test_a_send_asked_about_shows_the_invoice_and_sends_nothing(language: str, text: str) -> None:
    ctx = (EN if language == "en" else ES)[UNIT]
    state, replies = talk(ctx, text, state=at_the_review(ctx))
    assert state.status != Status.sent and state.step == StepName.review, said(replies)
    assert "couldn't" not in said(replies) and "No pude" not in said(replies)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("sned", "send"),
        ("snd", "send"),
        ("drafy", "draft"),
        ("daft", "draft"),
        ("enivar", "enviar"),
    ],
)
def test_a_mistyped_send_or_draft_is_asked_about_and_nothing_is_done(
    text: str, command: str
) -> None:
    ctx = EN[UNIT]
    before = at_the_review(ctx)
    state, replies = talk(ctx, text, state=before)
    assert state.status == before.status and state.step == StepName.review, said(replies)
    assert f"Did you mean `{command}`?" in said(replies)
    assert "couldn't" not in said(replies)


# -- the invoice number ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["11/20/2026", "2026-11-20", "20/11/2026"])
def test_a_date_for_the_invoice_number_is_asked_about(text: str) -> None:
    state, replies = talk(NUMBERED, text, state=at_the_number(NUMBERED))
    assert state.invoice_number is None, said(replies)
    assert f"`invoice {text}`" in said(replies)


def test_a_date_said_to_be_the_invoice_number_is_taken() -> None:
    state, replies = talk(NUMBERED, "invoice 11/20/2026", state=at_the_number(NUMBERED))
    assert state.invoice_number == "11/20/2026", said(replies)


@pytest.mark.parametrize("text", ["INV–0042", "INV—0042"])
def test_an_autocorrected_dash_in_the_invoice_number_is_a_hyphen(text: str) -> None:
    state, replies = talk(NUMBERED, text, state=at_the_number(NUMBERED))
    assert state.invoice_number == "INV-0042", said(replies)


@pytest.mark.parametrize("text", ["same as last month", "igual que el mes pasado"])
def test_last_months_number_again_is_refused_with_the_next_one(text: str) -> None:
    state, replies = talk(NUMBERED, text, state=at_the_number(NUMBERED))
    assert state.invoice_number is None, said(replies)
    assert "its own number" in said(replies) and "`INV-0042`" in said(replies)


@pytest.mark.parametrize(
    "text",
    ["✅", "k", "okey", "that works", "dale", "está bien", "esta bien", "el mismo", "confirmo"],
)
def test_a_yes_typed_on_a_phone_takes_the_suggested_number(text: str) -> None:
    state, replies = talk(NUMBERED, text, state=at_the_number(NUMBERED))
    assert state.invoice_number == "INV-0042", said(replies)


@pytest.mark.parametrize("text", ["confirmar", "confirmo", "✅", "dale"])
def test_a_yes_typed_on_a_phone_confirms(text: str) -> None:
    ctx = ES[AMOUNT]
    state, _ = talk(ctx, "3: 20%", state=at_the_lines(ctx, "2"))
    assert [item.line for item in state.pending] == ["3"]
    state, replies = talk(ctx, text, state=state)
    assert "3" in state.entries and not state.pending, said(replies)


# -- Spanish ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "quantity"),
    [
        ("600 pies", "1", D(600)),
        ("1: 600 pies", "1", D(600)),
        ("saltar", "1", D(0)),
        ("sáltala", "1", D(0)),
        ("2: saltar", "2", D(0)),
        ("ya quedó", "1", D(900)),
        ("50 por cien", "1", D(300)),
        ("la primera al 50%", "1", D(300)),
        ("la segunda lista", "2", D(8)),
        ("the first one 50%", "1", D(300)),
    ],
)
def test_spanish_and_spoken_answers_are_read(text: str, line: str, quantity: Decimal) -> None:
    state, replies = talk(ES[UNIT], text)
    assert set(state.entries) == {line}, said(replies)
    assert state.entries[line].new_quantity == quantity, said(replies)


@pytest.mark.parametrize("text", ["lo demás nada", "nada para lo demás", "lo que falta nada"])
def test_lo_demas_is_the_lines_not_answered_yet(text: str) -> None:
    ctx = ES[AMOUNT]
    state, _ = talk(ctx, "2: 40%")
    state, replies = talk(ctx, text, state=state)
    assert set(state.entries) == {"1", "2", "3"}, said(replies)
    assert state.entries["2"].new_value == D("36000.00") and state.entries["3"].new_value == 0


@pytest.mark.parametrize("text", ["ninguna", "omitir", "saltar", "no hay"])
def test_no_files_in_spanish_at_the_attachments_step(text: str) -> None:
    ctx = ES[UNIT]
    state, _ = talk(ctx, "50%", "1", "skip")
    assert state.step == StepName.attachments, state
    state, replies = talk(ctx, text, state=state)
    assert state.attachments_done and state.step == StepName.review, said(replies)


def test_the_parser_reads_a_lone_mistake_as_owned_and_no_answer() -> None:
    parsed = parse("me equivoqué")
    assert parsed.owned and not parsed.answers and not parsed.problems


# -- a point before three digits is asked, and each way offered reads back as it says ---------


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    ("kind", "answer", "decimal", "thousands"),
    [
        (UNIT, "1: 333.333 LF", D("333.333"), D(333333)),
        (UNIT, "1: 1.125 LF", D("1.125"), D(1125)),
        (UNIT, "1: 1.000 LF", D(1), D(1000)),
        (AMOUNT, "2: $12.000", D(12), D(12000)),
        (AMOUNT, "2: 12.000 USD", D(12), D(12000)),
    ],
)
def test_each_writing_offered_for_a_point_before_three_digits_reads_back_as_it_says(
    language: str, kind: str, answer: str, decimal: Decimal, thousands: Decimal
) -> None:
    """Once `1: 333.333 LF` was asked about with "write it as `333,333 LF` or `333.333 LF`":
    the second was the very text refused, and the first a decimal comma in Spanish."""
    ctx = (ES if language == "es" else EN)[kind]
    line = answer.split(":")[0]
    state, replies = talk(ctx, answer)
    assert line not in state.entries, said(replies)
    offered = said(replies).split("`")[1:4:2]  # "Write it as `A` or `B`", then the examples

    got = []
    for writing in offered:
        [read] = parse(f"{line}: {writing}").answers
        assert read.progress is not None and not read.progress.to_date, writing
        got.append(read.progress.amount)
        state, replies = talk(ctx, f"{line}: {writing}")  # not the same question again
        assert f"`{offered[0]}`" not in said(replies), said(replies)
    stored = state.entries[line]  # the decimal, the smaller, fits the line
    assert (stored.new_quantity if kind == UNIT else stored.new_value) == decimal
    assert got == [thousands, decimal], offered
