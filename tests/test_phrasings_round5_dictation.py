"""Answers typed by voice on a phone, that once put a line's figure on another line, read
`plus 10%` as 10% to date, or lost answers: `Line 1, 50 percent. Line 2, 3 units.`, `plus 10%`
/ `más 10%`, several lines with their numbers in words (`Line 2 forty percent line 3 skip`),
and the words dictation leaves in (`period`, `new line`, `punto y aparte`)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from conversations.answers import Scope, parse_body
from conversations.context import Context
from conversations.state import State
from tests.phrasings import AMOUNT as AMOUNT_KIND
from tests.phrasings import UNIT as UNIT_KIND
from tests.test_loose_answers import AMOUNT as SIX_LINES
from tests.test_loose_answers import said, talk
from tests.test_phrasings import CONTEXTS, at_the_lines

D = Decimal
# Line 1: 1,200 LF, 300 LF billed before; line 2: 8 EA; line 3: 40 EA, 10 billed before
UNIT = CONTEXTS[UNIT_KIND]
# Line 1 fully billed ($25,000); line 2 $180,000, $36,000 billed before (20%)
AMOUNT = CONTEXTS[AMOUNT_KIND]
# Lines 1-5 and 9; line 2 $180,000 ($36,000 before), line 3 $240,000, line 4 $120,000
PIPING = SIX_LINES


def spanish(ctx: Context) -> Context:
    return replace(ctx, language="es")


def quantities(state: State) -> dict[str, Decimal | None]:
    return {line: entry.new_quantity for line, entry in state.entries.items()}


def values(state: State) -> dict[str, Decimal]:
    return {line: entry.new_value for line, entry in state.entries.items()}


# -- `Line 1, 50 percent. Line 2, 3 units.`: each answer on its own line -------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Line 1, 50 percent. Line 2, 3 units."),
        ("en", "Line 1, 50 percent Line 2, 3 units"),
        ("en", "Line 1, 50 percent. Line 2 3 units."),
        ("en", "Line one, fifty percent. Line two, three units."),
        ("en", "Item 1, 50 pct. Item 2, 3 units."),
        ("en", "Line 1\n50 percent. Line 2\n3 units"),
        ("en", "Line 1 50% line 2, 3 units"),
        ("en", "Line 1 50 percent line 2, 3 units"),
        ("es", "Línea 1, 50 por ciento. Línea 2, 3 unidades."),
        ("es", "Línea uno, cincuenta por ciento. Línea dos, tres unidades."),
        ("es", "linea 1, 50 por ciento linea 2, 3 unidades"),
    ],
)
def test_a_dictated_line_then_its_answer_puts_each_answer_on_its_line(
    language: str, text: str
) -> None:
    ctx = replace(UNIT, language=language)
    state, replies = talk(ctx, text)
    assert quantities(state) == {"1": D(300), "2": D(3)}, said(replies)
    assert not state.pending, said(replies)


@pytest.mark.parametrize(
    ("ctx", "text"),
    [
        (UNIT, "Line 1, 50 percent. Line 2, skip."),
        (UNIT, "Line one, fifty percent. Line two, nothing."),
        (spanish(UNIT), "Línea 1, 50 por ciento. Línea 2, nada."),
        (spanish(UNIT), "Línea 1, 50 por ciento. Línea 2, omitir."),
    ],
)
def test_a_dictated_skip_after_a_percent_is_the_next_lines_never_the_first(
    ctx: Context, text: str
) -> None:
    state, replies = talk(ctx, text)
    assert quantities(state) == {"1": D(300), "2": D(0)}, said(replies)


@pytest.mark.parametrize(
    ("ctx", "text"),
    [
        (UNIT, "Line 1, $500. Line 2, skip."),
        (UNIT, "Line 1, 500 dollars. Line 2, skip."),
        (spanish(UNIT), "Línea 1, 500 dólares. Línea 2, nada."),
    ],
)
def test_a_dictated_amount_before_a_full_stop_stays_on_its_line(ctx: Context, text: str) -> None:
    state, replies = talk(ctx, text)
    assert values(state) == {"1": D("500.00"), "2": D(0)}, said(replies)


def test_bare_numbers_with_commas_bill_no_line_a_guessed_answer() -> None:
    """`1, 50 percent. 2, 3 units.`: `1` and `2` may be lines or figures: nothing billed."""
    state, replies = talk(UNIT, "1, 50 percent. 2, 3 units.")
    assert "1" not in state.entries and "2" not in state.entries, said(replies)


# -- `plus 10%`, `más 10%`: this period's, as `+10%` ---------------------------------------


@pytest.mark.parametrize(
    ("ctx", "text"),
    [
        (AMOUNT, "plus 10%"),
        (AMOUNT, "plus ten percent"),
        (AMOUNT, "Plus 10 percent"),
        (AMOUNT, "2: plus 10%"),
        (AMOUNT, "line 2 plus ten percent"),
        (AMOUNT, "plus 10% on line 2"),
        (spanish(AMOUNT), "más 10%"),
        (spanish(AMOUNT), "mas 10 por ciento"),
        (spanish(AMOUNT), "Más diez por ciento"),
        (spanish(AMOUNT), "la 2 más 10%"),
        (spanish(AMOUNT), "línea 2 mas 10%"),
    ],
)
def test_plus_a_percent_is_this_periods_as_with_a_plus_sign(ctx: Context, text: str) -> None:
    signed, _replies = talk(ctx, "+10%", state=at_the_lines(ctx, "2"))
    state, replies = talk(ctx, text, state=at_the_lines(ctx, "2"))
    assert values(state) == values(signed) == {"2": D("18000.00")}, said(replies)


@pytest.mark.parametrize("text", ["plus 10%", "plus ten percent", "más 10%", "mas 10 por ciento"])
def test_plus_a_percent_on_a_fully_billed_line_never_lowers_it(text: str) -> None:
    state, replies = talk(AMOUNT, text, "yes")
    assert all(value >= 0 for value in values(state).values()), said(replies)
    assert "1" not in state.entries, said(replies)


@pytest.mark.parametrize(
    ("plus", "sign"),
    [
        ("plus 3 units", "+3 units"),
        ("plus $500", "+$500"),
        ("plus 500 dollars", "+500 dollars"),
        ("más 3 unidades", "+3 unidades"),
        ("mas 500 dólares", "+500 dólares"),
        ("stored plus 2000", "stored +2000"),
        ("50% plus 2000 stored", "50% +2000 stored"),
    ],
)
def test_plus_before_a_figure_reads_as_its_sign(plus: str, sign: str) -> None:
    read = parse_body(plus, scope=Scope.current)
    assert read == replace(parse_body(sign, scope=Scope.current), text=plus)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a clause joined: the stored materials are part of the 50% to date
        ("2: 50% plus stored $5,000", {"2": D("49000.00")}),
        ("2: más o menos 50%", {"2": D("54000.00")}),  # an estimate, not a sign
    ],
)
def test_plus_joining_two_clauses_or_more_or_less_is_no_sign(
    text: str, expected: dict[str, Decimal]
) -> None:
    state, replies = talk(AMOUNT, text)
    assert values(state) == expected, said(replies)
    if "stored" in text:
        assert state.entries["2"].materials_stored == D(5000)


@pytest.mark.parametrize("text", ["2: 50% plus 10%", "2: 50% más 10%", "2: 50% + 10%"])
def test_a_percent_plus_another_is_two_answers_asked_about(text: str) -> None:
    state, replies = talk(AMOUNT, text)
    assert "2" not in state.entries and not state.pending, said(replies)


# -- several lines in one message, their numbers in words -----------------------------------


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Line 2 forty percent line 3 skip line 4 sixty percent"),
        ("en", "line two forty percent line three skip line four sixty percent"),
        ("en", "line 2 40% new line line 3 skip new line line 4 60%"),
        ("en", "Line two 40 percent period new line line three skip period new line line 4 60%"),
        ("en", "Line 2 forty percent. New line. Line 3 skip. New line. Line 4 sixty percent."),
        ("es", "línea dos cuarenta por ciento línea tres nada línea cuatro sesenta por ciento"),
        ("es", "linea 2 40% linea 3 nada linea 4 60%"),
        ("es", "línea 2 40% línea 3 omitir línea 4 60%"),
        ("es", "línea dos cuarenta por ciento punto y aparte línea tres nada punto línea 4 60%"),
        ("es", "línea 2 40% nueva línea línea 3 nada nueva línea línea 4 60%"),
    ],
)
def test_several_lines_spoken_in_one_message_keep_every_answer(language: str, text: str) -> None:
    ctx = replace(PIPING, language=language)
    state, replies = talk(ctx, text)
    expected = {"2": D("36000.00"), "3": D(0), "4": D("72000.00")}
    assert values(state) == expected, said(replies)
    assert not state.pending, said(replies)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Line 1 fifty percent line 2 three units"),
        ("en", "line one fifty percent line two three units"),
        ("en", "line 1 50% new line line 2 3 units"),
        ("es", "línea uno cincuenta por ciento línea dos tres unidades"),
        ("es", "línea 1 cincuenta por ciento nueva línea línea 2 tres unidades"),
    ],
)
def test_several_unit_lines_spoken_in_one_message_keep_every_answer(
    language: str, text: str
) -> None:
    state, replies = talk(replace(UNIT, language=language), text)
    assert quantities(state) == {"1": D(300), "2": D(3)}, said(replies)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "line 1 done new line line 2 skip"),
        ("en", "Line 1 done newline line 2 skip"),
        ("en", "line 1 done period new line line 2 skip period"),
        ("en", "line 1 done new line item 2 skip"),
        ("es", "línea 1 listo nueva línea línea 2 nada"),
        ("es", "línea uno listo punto y aparte línea dos nada"),
    ],
)
def test_new_line_said_aloud_separates_two_answers(language: str, text: str) -> None:
    state, replies = talk(replace(UNIT, language=language), text)
    assert quantities(state) == {"1": D(900), "2": D(0)}, said(replies)


@pytest.mark.parametrize(
    ("ctx", "text"),
    [
        (AMOUNT, "fifty percent on line two"),
        (AMOUNT, "done on item three"),
        (spanish(AMOUNT), "cincuenta por ciento en la línea dos"),
    ],
)
def test_a_spoken_answer_before_its_spoken_line_is_that_lines(ctx: Context, text: str) -> None:
    state, replies = talk(ctx, text)
    line = "3" if "three" in text else "2"
    expected = D("180000.00") if line == "3" else D("54000.00")
    assert values(state) == {line: expected}, said(replies)


# -- what the dictation words may not change --------------------------------------------------


@pytest.mark.parametrize("text", ["2: 40% period", "2: 40 percent period", "line 2 40% period"])
def test_period_after_a_percent_is_asked_never_read_as_to_date(text: str) -> None:
    """`40% period` may be this period's 40% as well as 40% to date and a full stop."""
    state, replies = talk(AMOUNT, text)
    assert "2" not in state.entries and not state.pending, said(replies)


def test_this_period_is_still_this_periods_beside_a_spoken_new_line() -> None:
    state, replies = talk(PIPING, "line 2 40% this period new line line 3 skip")
    assert values(state) == {"2": D("72000.00"), "3": D(0)}, said(replies)


@pytest.mark.parametrize(
    "text",
    [
        "we need a new line item 5 for the change order",
        "please add a new line 2 for the change order",
        "nos vemos a las 3 en punto",
    ],
)
def test_words_that_only_sound_like_dictation_bill_nothing(text: str) -> None:
    state, replies = talk(PIPING, text)
    assert not state.entries and not state.pending, said(replies)


@pytest.mark.parametrize(
    "text", ["la 2, 3 piezas", "la dos, 3 piezas", "el 2, 3", "la línea 2, 3 piezas"]
)
def test_a_line_named_by_its_article_alone_heads_the_answer_after_it(text: str) -> None:
    """Found trying the demo: `la dos, 3 piezas` billed line 2 and also said it could not
    read `la 2`; `la 2, 3 piezas` was refused whole (`línea 2, 3 piezas` was read)."""
    state, replies = talk(spanish(UNIT), text)
    assert quantities(state) == {"2": D(3)}, said(replies)
    assert "No pude" not in said(replies)
