"""Loose answers that once billed a wrong amount or changed a line silently: a line checked off
or crossed out (`4 ✅`), a correction with a bare figure, part of a message refused while
another part said "that's all", and site names of levels (`L2` is Level 2)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from conversations.context import Context
from conversations.flow import step
from conversations.parse import parse
from conversations.state import State, Status
from conversations.text import split_fragments
from conversations.types import Reply, StepName, Turn
from models.billing import LineHistory
from tests.phrasings import AMOUNT as AMOUNT_KIND
from tests.phrasings import UNIT as UNIT_KIND
from tests.test_phrasings import CONTEXTS, amount_line, at_the_lines, unit_line

D = Decimal


# test_phrasings' contexts with more lines, and only some of their histories
UNIT = replace(
    CONTEXTS[UNIT_KIND],
    lines=(
        *CONTEXTS[UNIT_KIND].lines,
        unit_line("4", "Wire pulls", 5000, "1.15", "LF"),
        unit_line("5", "Junction boxes", 300, "18.75", "EA"),
    ),
    histories={"1": LineHistory(previous_quantity=D(300), previous_value=D("3750.00"))},
)
AMOUNT = replace(
    CONTEXTS[AMOUNT_KIND],
    lines=(
        *CONTEXTS[AMOUNT_KIND].lines,
        amount_line("4", "Piping", 120000),
        amount_line("5", "Controls", 60000),
        amount_line("9", "Closeout", 5000),
    ),
    histories={"2": LineHistory(previous_value=D("36000.00"))},
)
LEVELS = replace(
    AMOUNT,
    lines=(
        amount_line("1", "Mobilization", 25000),
        amount_line("2", "Level 1 slab", 180000),
        amount_line("3", "Level 2 slab", 240000),
        amount_line("4", "Level 3 slab", 120000),
        amount_line("5", "Phase 1 rough-in", 60000),
        amount_line("6", "Phase 2 rough-in", 45000),
    ),
    histories={},
)
SLABS = replace(
    AMOUNT,
    lines=(
        amount_line("1", "Mobilization", 25000),
        amount_line("2", "Slab east", 180000),
        amount_line("3", "Slab west", 240000),
    ),
    histories={},
)


def talk(ctx: Context, *texts: str, state: State | None = None) -> tuple[State, list[Reply]]:
    state = state or at_the_lines(ctx)
    replies: list[Reply] = []
    for text in texts:
        state, replies = step(state, Turn(text=text, channel="email"), ctx)
    return state, replies


def said(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


# -- a line checked off or crossed out ------------------------------------------------------


@pytest.mark.parametrize("text", ["4 ✅", "4 ❌", "4 👍", "4?", "2 ✔️", "✅ 4", "4 ✅ thanks"])
def test_a_mark_or_question_after_a_number_never_bills_it_on_the_line_asked(text: str) -> None:
    state, replies = talk(UNIT, text)
    assert "1" not in state.entries and not state.pending, said(replies)


def test_a_checked_line_reads_as_done_and_is_asked_like_3_done_on_a_unit_line() -> None:
    state, replies = talk(UNIT, "4 ✅")
    assert not state.entries
    assert "is line 4 done, or 4 LF on line 1?" in said(replies)
    state, replies = talk(UNIT, "4: ✅")
    assert state.entries["4"].new_quantity == D(5000), said(replies)


def test_a_crossed_out_line_is_nothing_this_period_on_that_line() -> None:
    state, replies = talk(AMOUNT, "9 ❌", state=at_the_lines(AMOUNT, "4"))
    assert set(state.entries) == {"9"} and state.entries["9"].new_value == 0, said(replies)
    state, replies = talk(UNIT, "1 ✅ 3 ❌ 5 👎")
    assert state.entries["1"].new_quantity == D(900)  # the line asked: done
    assert state.entries["3"].new_quantity == 0 and state.entries["5"].new_quantity == 0


@pytest.mark.parametrize("mark", ["✅", "❌", "👍"])
def test_a_mark_on_a_line_already_answered_keeps_it_and_says_how_to_change_it(mark: str) -> None:
    state, _ = talk(AMOUNT, "2: 30%\n4: $1,000")
    before = dict(state.entries)
    state, replies = talk(AMOUNT, f"4 {mark}", state=state)
    assert state.entries == before and not state.pending
    assert "line 4 already has an answer, so it is kept" in said(replies)


def test_marks_in_one_message_are_one_answer_each() -> None:
    fragments, _ = split_fragments("1 ✅ 2 ❌ line 3 👍")
    assert fragments == ["1 ✅", "2 ❌", "line 3 👍"]
    answers = parse("1, 2 ✅").answers
    assert [(a.line, a.mark) for a in answers] == [("1", True), ("2", True)]


def test_slack_emoji_names_are_read_as_the_marks() -> None:
    state, replies = talk(UNIT, "4 :white_check_mark:")
    assert not state.entries and "is line 4 done, or 4 LF on line 1?" in said(replies)
    state, replies = talk(UNIT, "1: 50% :+1:\n4 :x:")
    assert state.entries["1"].new_quantity == D(300), said(replies)
    assert state.entries["4"].new_quantity == 0, said(replies)


def test_a_question_mark_keeps_commands_and_invoice_numbers() -> None:
    assert parse("can I change line 2?").commands[0].line == "2"
    assert parse("INV-0042?").invoice_number == "INV-0042"
    state, replies = talk(UNIT, "¿qué falta?")
    assert "Lines answered: 0 of 5" in said(replies) and not state.entries


# -- a correction with a bare figure --------------------------------------------------------


@pytest.mark.parametrize(
    "fix",
    [
        "change line 2 to 40",
        "oops line 2 should be 40",
        "cambia la 2 a 40",
        "cambia la 2 al 40",
        "update 2: 40",
        "line 2 needs to be 40",
    ],
)
def test_a_correction_to_a_bare_number_on_an_amount_line_is_asked_and_keeps_the_entry(
    fix: str,
) -> None:
    state, _ = talk(AMOUNT, "2: 30%")
    before = state.entries["2"]
    assert before.new_value == D("18000.00")
    state, replies = talk(AMOUNT, fix, state=state)
    assert state.entries["2"] == before and not state.pending, said(replies)
    assert "Is it 40% or $40.00?" in said(replies)
    state, _ = talk(AMOUNT, "2: 40%", state=state)
    assert state.entries["2"].new_value == D("36000.00")


# -- part of a message refused --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2: 12,5\nthat's all",
        "that's it, 2: 9 EA",
        "2: 9 EA; rest skip",
        "that's all. 2: blah",
    ],
)
def test_nothing_more_is_not_applied_when_part_of_the_message_is_refused(text: str) -> None:
    state, _ = talk(UNIT, "1: 50%")
    state, replies = talk(UNIT, text, state=state)
    assert set(state.entries) == {"1"}, said(replies)
    assert state.step == StepName.lines


@pytest.mark.parametrize(
    "later",
    [
        "that's it, will do the rest tomorrow",
        "I'll finish tomorrow",
        "finish later",
        "that's all for now",
        "el resto mañana",
        "lo termino mañana",
    ],
)
def test_the_rest_later_saves_a_draft_and_leaves_the_other_lines_open(later: str) -> None:
    state, _ = talk(UNIT, "1: 50%")
    state, replies = talk(UNIT, later, state=state)
    assert set(state.entries) == {"1"}, said(replies)
    assert state.status == Status.draft_saved, said(replies)
    assert "couldn't" not in said(replies)


# -- `L2`: line 2, or Level 2? --------------------------------------------------------------


@pytest.mark.parametrize("text", ["L2 slab: 50%", "L2: 50%", "L2 done", "L2 ✅", "L2 and 3: 50%"])
def test_l2_on_a_job_with_levels_is_asked_never_billed_to_line_2(text: str) -> None:
    state, replies = talk(LEVELS, text)
    assert not state.entries and not state.pending, said(replies)
    assert "line 2 (Level 1 slab), or line 3 (Level 2 slab)?" in said(replies)


def test_a_description_with_its_number_names_its_line() -> None:
    for text, line, value in (
        ("Level 2 slab: 50%", "3", D("120000.00")),
        ("level 3 slab 25%", "4", D("30000.00")),
        ("Phase 2 rough-in - 20%", "6", D("9000.00")),
    ):
        state, replies = talk(LEVELS, text)
        assert set(state.entries) == {line}, (text, said(replies))
        assert state.entries[line].new_value == value, (text, said(replies))
    state, replies = talk(LEVELS, "Level 4 slab: 50%")
    assert not state.entries and "no line is called" in said(replies)


def test_l2_with_words_that_fit_several_lines_is_asked() -> None:
    state, replies = talk(SLABS, "L2 slab: 50%")
    assert not state.entries and "fits more than one line" in said(replies)
    state, replies = talk(SLABS, "2 - slab: 50%")  # a plain number is the line
    assert state.entries["2"].new_value == D("90000.00"), said(replies)
    state, replies = talk(SLABS, "L2 east: 50%")
    assert state.entries["2"].new_value == D("90000.00"), said(replies)


def test_l1_still_names_line_1_where_no_line_is_a_level() -> None:
    state, replies = talk(AMOUNT, "L2 30%\nL4 done")
    assert state.entries["2"].new_value == D("18000.00"), said(replies)
    assert state.entries["4"].new_value == D("120000.00"), said(replies)
