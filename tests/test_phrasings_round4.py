"""Phrasings that once billed money the contact did not mean, or sent (or failed to send) what
was asked: a credit's minus sign without a colon, `at 50% this month`, `all 0` after answers,
`done thanks`, a release with no retainage held, and Spanish send and English draft wording."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from conversations.context import Context
from conversations.state import State, Status
from tests.test_phrasings import at_the_lines
from tests.test_phrasings_more import AMOUNT_CTX, ES_UNIT, UNIT_CTX, at_review, say

D = Decimal


# -- a credit's minus sign, with or without a colon ------------------------------------------


@pytest.mark.parametrize(
    ("ctx", "text", "line"),
    [
        (UNIT_CTX, "3 -2 EA", "3"),
        (UNIT_CTX, "Line 3 -2 EA", "3"),
        (UNIT_CTX, "#3 -2", "3"),
        (UNIT_CTX, "fixtures -2", "3"),
        (UNIT_CTX, "3 -$424.68", "3"),
        (AMOUNT_CTX, "2 -5000", "2"),
        (AMOUNT_CTX, "2 -$5,000", "2"),
        (AMOUNT_CTX, "la 2 -5000", "2"),
    ],
)
def test_a_minus_sign_without_a_colon_is_a_credit_to_confirm(
    ctx: Context, text: str, line: str
) -> None:
    state, said = say(ctx, at_the_lines(ctx), text)
    assert not state.entries, said
    assert [item.line for item in state.pending] == [line], said
    assert state.pending[0].entry.new_value < 0, said


def test_a_credit_inside_a_reply_of_several_lines_is_confirmed_never_billed_positive() -> None:
    state, said = say(AMOUNT_CTX, at_the_lines(AMOUNT_CTX), "1: done\n2 -5000\n3: 30%")
    assert "2" not in state.entries, said
    pending = {item.line: item.entry.new_value for item in state.pending}
    assert pending == {"2": D("-5000.00")}, said


def test_a_negative_percent_without_a_colon_reads_as_with_one() -> None:
    spaced, said = say(AMOUNT_CTX, at_the_lines(AMOUNT_CTX), "2 -5%")
    colon, _said = say(AMOUNT_CTX, at_the_lines(AMOUNT_CTX), "2: -5%")
    assert spaced.pending and spaced.pending == colon.pending, said
    assert spaced.pending[0].entry.new_value == D("-9000.00"), said


# -- `at 50% this month`: where the line stands, or this period's? --------------------------


@pytest.mark.parametrize(
    ("ctx", "text"),
    [
        (UNIT_CTX, "1 is at 50% this month"),
        (UNIT_CTX, "1: at 50% this month"),
        (ES_UNIT, "la 1 va al 50% este mes"),
        (ES_UNIT, "la 1 al 50% este mes"),
    ],
)
def test_at_a_level_this_month_is_asked_never_billed(ctx: Context, text: str) -> None:
    state, said = say(ctx, at_the_lines(ctx), text)
    assert not state.entries and not state.pending, said
    assert "?" in said, said


# -- `all 0` after lines are answered: asked, the earlier answers kept meanwhile ----------------


@pytest.mark.parametrize(
    ("ctx", "text"),
    [
        (UNIT_CTX, "all 0"),
        (UNIT_CTX, "all skip"),
        (UNIT_CTX, "all none"),
        (ES_UNIT, "todo nada"),
        (ES_UNIT, "todo en cero"),
    ],
)
def test_all_nothing_after_answers_asks_before_changing_them(ctx: Context, text: str) -> None:
    answered, _said = say(ctx, at_the_lines(ctx), "1: 50%\n2: 3")
    state, said = say(ctx, answered, text)
    assert {item.line for item in state.pending} == {"1", "2"}, said
    assert state.entries["1"] == answered.entries["1"], said
    assert state.entries["2"] == answered.entries["2"], said
    assert state.status != Status.sent


def test_all_nothing_after_answers_then_no_keeps_them() -> None:
    answered, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%\n2: 3")
    state, said = say(UNIT_CTX, answered, "all 0", "no")
    assert not state.pending, said
    assert state.entries["1"] == answered.entries["1"], said
    assert state.entries["2"] == answered.entries["2"], said


def test_all_nothing_after_answers_then_yes_changes_them() -> None:
    answered, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%\n2: 3")
    state, said = say(UNIT_CTX, answered, "all 0", "yes")
    assert not state.pending, said
    assert all(entry.new_value == 0 for entry in state.entries.values()), said


def test_all_this_period_percent_after_an_answer_asks_about_that_line() -> None:
    answered, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%")
    state, said = say(UNIT_CTX, answered, "all +10%")
    assert [item.line for item in state.pending] == ["1"], said
    assert state.entries["1"] == answered.entries["1"], said


def test_all_nothing_that_changes_no_answer_is_not_asked() -> None:
    answered, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: skip")
    state, said = say(UNIT_CTX, answered, "all 0")
    assert not state.pending and set(state.entries) == {"1", "2", "3"}, said


# -- `done thanks`: this line, or finished? -------------------------------------------------


@pytest.mark.parametrize(
    ("ctx", "text"),
    [(UNIT_CTX, "done thanks"), (UNIT_CTX, "done, thanks!"), (ES_UNIT, "listo gracias")],
)
def test_done_thanks_at_the_last_line_is_asked_never_billed(ctx: Context, text: str) -> None:
    answered, _said = say(ctx, at_the_lines(ctx), "1: 50%", "2: 3")
    state, said = say(ctx, answered, text)
    assert "3" not in state.entries and not state.pending, said


def test_done_alone_at_the_last_line_completes_it() -> None:
    answered, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%", "2: 3")
    state, said = say(UNIT_CTX, answered, "done")
    assert state.entries["3"].new_quantity == D(30), said


# -- a release with no retainage held -------------------------------------------------------


def test_release_retainage_with_none_held_is_refused() -> None:
    state, said = say(AMOUNT_CTX, at_the_lines(AMOUNT_CTX), "1: release retainage")
    assert not state.entries, said
    assert "No retainage is held on line 1" in said


# -- sending and drafts at the review -------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["favor de enviar", "mándenla", "mándela", "envíenla", "por favor enviar"]
)
def test_spanish_send_wording_sends(text: str) -> None:
    state, said = say(ES_UNIT, at_review(ES_UNIT), text)
    assert state.status == Status.sent, said


@pytest.mark.parametrize("text", ["favor de no enviar", "no enviar", "mande"])
def test_spanish_held_or_unclear_wording_does_not_send(text: str) -> None:
    state, said = say(ES_UNIT, at_review(ES_UNIT), text)
    assert state.status != Status.sent, said


@pytest.mark.parametrize(
    ("ctx", "text"),
    [
        (UNIT_CTX, "send as draft"),
        (UNIT_CTX, "submit as draft"),
        (UNIT_CTX, "save as draft"),
        (UNIT_CTX, "draft - will send tomorrow"),
        (ES_UNIT, "guardar como borrador"),
    ],
)
def test_draft_wording_saves_a_draft_and_never_sends(ctx: Context, text: str) -> None:
    state, said = say(ctx, at_review(ctx), text)
    assert state.status == Status.draft_saved, said


@pytest.mark.parametrize("text", ["send as draft", "draft - will send tomorrow"])
def test_draft_wording_beside_answers_saves_a_draft(text: str) -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), f"1: 50%\n2: 3\n3: skip\n{text}")
    assert state.status == Status.draft_saved, said


# -- a send held back goes out with a fix, never with `Thanks!` or a file alone ---------------


def test_a_send_held_back_for_what_could_not_be_read_waits_for_a_change_or_send() -> None:
    """`send` beside text that could not be read is held; `Thanks!` (or the quoted invite an
    unknown mail client leaked) must not send what may still be wrong."""
    ctx = UNIT_CTX
    state, said = say(ctx, at_the_lines(ctx), "1: 50%\n2: 3\n3: skip\nnone\nwhatever xyz\nsend")
    assert state.status != Status.sent and "I haven't sent it" in said, said
    thanked, said = say(ctx, state, "Thanks!")
    assert thanked.status != Status.sent, said
    assert "reply `send` to send it as it stands" in said, said
    sent, said = say(ctx, thanked, "send")
    assert sent.status == Status.sent, said


def test_a_send_held_back_goes_out_with_the_answer_that_was_missing() -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%\n2: xyz\n3: skip\nsend")
    assert state.status != Status.sent, said
    state, said = say(UNIT_CTX, state, "Thanks!")
    assert state.status != Status.sent, said  # line 2 still unanswered: asked again
    state, said = say(UNIT_CTX, state, "2: 3")
    assert state.status == Status.sent, said  # as promised: "Then I'll send it"


# -- a bare number past a unit line's quantity -------------------------------------------------


@pytest.mark.parametrize(("text", "hint"), [("2: 9", None), ("2: 50", "`2: 50%`")])
def test_a_number_past_the_units_is_not_offered_as_a_few_dollars_of_a_unit(
    text: str, hint: str | None
) -> None:
    """`2: 9` on 8 panels at $4,200: $9 is 0.002 of a panel, no amount anyone bills; `yes`
    must not keep it. A number up to 100 may be a percentage, and the refusal says how."""
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), text)
    assert not state.pending and "2" not in state.entries, said
    assert "If you meant dollars" not in said and "Did you mean" not in said, said
    if hint:
        assert f"If you meant a percentage, write {hint}." in said, said
    state, said = say(UNIT_CTX, state, "yes")
    assert "2" not in state.entries, said


def test_a_number_worth_some_units_is_still_offered_as_dollars() -> None:
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "3: 700")  # $700: 3.3 fixtures
    assert [item.line for item in state.pending] == ["3"], said
    assert "If you meant dollars, write `3: $700.00`." in said, said


# -- a word that keeps an answer, on a line with none ------------------------------------------


@pytest.mark.parametrize(
    ("ctx", "text", "said_part"),
    [
        (UNIT_CTX, "same", "Line 1 has no answer yet to keep"),
        (UNIT_CTX, "unchanged", "Line 1 has no answer yet to keep"),
        (ES_UNIT, "sin cambios", "La línea 1 aún no tiene respuesta que conservar"),
        (ES_UNIT, "igual", "La línea 1 aún no tiene respuesta que conservar"),
    ],
)
def test_a_keep_word_on_a_line_with_no_answer_says_there_is_nothing_to_keep(
    ctx: Context, text: str, said_part: str
) -> None:
    """`same` / `sin cambios` keep a returned or revisited line's answer; on a line with none
    it re-showed the question without a word."""
    state, said = say(ctx, at_the_lines(ctx), text)
    assert not state.entries and state.line == "1"
    assert said_part in said, said


# -- a send held back is its asker's, for a day ------------------------------------------------


@pytest.mark.parametrize(
    "later",
    [
        replace(UNIT_CTX, person_name="Tom Volt"),  # another contact of the invoice
        replace(UNIT_CTX, now=UNIT_CTX.now + timedelta(days=2)),  # two days on
    ],
    ids=["another-contact", "two-days-later"],
)
def test_a_send_held_back_is_not_carried_out_for_someone_else_or_days_later(
    later: Context,
) -> None:
    """Sam's `send` waited for line 3; Tom answering it (or Sam, two days on) sent the
    invoice as "Tom Volt sent…" though Tom never asked. It is forgotten and said so."""
    state, said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%\n2: 3\nsend")
    assert state.status != Status.sent and state.send_requested, said
    answered, said = say(later, state, "3: skip")
    assert answered.status != Status.sent and not answered.send_requested, said
    assert "An earlier `send` (Sam Sparks, Nov 20, 2026) was not carried out" in said, said
    assert State.from_json(state.to_json()) == state  # who asked and when are kept


def test_a_send_held_back_is_carried_out_for_its_asker_the_same_day() -> None:
    state, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%\n2: 3\nsend")
    sent, said = say(UNIT_CTX, state, "3: skip")
    assert sent.status == Status.sent, said


def test_a_line_answer_after_a_sentence_on_the_same_line_is_read() -> None:
    state, said = say(
        AMOUNT_CTX, at_the_lines(AMOUNT_CTX), "Sorry, I prefer English. Line 2: $7,000"
    )
    assert state.entries["2"].new_value == D("7000"), said


def test_a_correction_saying_wrong_is_not_told_nothing_waits_for_a_yes_or_no() -> None:
    """`sorry wrong, line 1 should be 45%` corrected line 1 and then said "There is nothing
    waiting for a yes or no." (its `wrong` read as a `no`)."""
    state, _said = say(UNIT_CTX, at_the_lines(UNIT_CTX), "1: 50%")
    state, said = say(UNIT_CTX, state, "sorry wrong, line 1 should be 45%")
    assert state.entries["1"].new_quantity == D(240), said
    assert "nothing waiting for a yes or no" not in said, said
    _state, said = say(UNIT_CTX, state, "no")  # a bare `no` still is told
    assert "There is nothing waiting for a yes or no." in said, said
