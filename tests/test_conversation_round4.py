"""Round 4 of the conversation: old answer buttons after the contact moved on, `none` beside a
whole invoice or at the review."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.slack.blocks import read_value, render_reply
from conversations.flow import step
from conversations.state import Status
from conversations.types import Choice, StepName, Turn
from tests.test_dialogue import talk, text_of, unit_ctx

ANSWERED_SINCE = "That button belongs to a question that has been answered since"


def _button(replies: list, label: str) -> Choice:
    return next(c for reply in replies for c in reply.choices if c.label.startswith(label))


@pytest.mark.parametrize("label", ["Done", "Skip"])
def test_an_old_prompts_line_button_changes_nothing_once_the_line_was_answered(
    label: str,
) -> None:
    ctx = unit_ctx()
    state, replies = talk(ctx, "start", "INV-0042")
    old = _button(replies, label)  # line 1's prompt, unanswered
    state, _ = talk(ctx, "50%", "3", state=state)
    assert state.entries["1"].new_quantity == Decimal(300)
    after, replies = step(state, Turn(action=old.pressed), ctx)
    assert after.entries == state.entries and after.step == state.step
    text = text_of(replies)
    assert ANSWERED_SINCE in text and "nothing was changed" in text
    assert "No attachments" in [c.label for c in replies[0].choices]  # the question now


def test_a_line_button_still_answers_the_line_it_was_shown_for() -> None:
    ctx = unit_ctx()
    state, replies = talk(ctx, "start", "INV-0042")
    done = _button(replies, "Done")
    state, _ = talk(ctx, "2: 3", state=state)  # another line answered: line 1 is as shown
    state, replies = step(state, Turn(action=done.pressed), ctx)
    assert state.entries["1"].new_quantity == Decimal(900)
    assert ANSWERED_SINCE not in text_of(replies)
    again, replies = step(state, Turn(action=done.pressed), ctx)  # a double click
    assert again.entries == state.entries and ANSWERED_SINCE in text_of(replies)


def test_a_line_button_posted_without_a_digest_works_as_before() -> None:
    ctx = unit_ctx()
    state, _ = talk(ctx, "start", "INV-0042", "50%")
    state, _ = step(state, Turn(action="answer:1:done"), ctx)
    assert state.entries["1"].new_quantity == Decimal(900)


def test_an_old_use_number_button_does_not_overwrite_a_number_typed_since() -> None:
    ctx = unit_ctx()
    state, replies = talk(ctx, "start")
    use = _button(replies, "Use INV-0042")
    state, _ = talk(ctx, "SAM-77\n1: 50%\n2: 3\nno attachments", state=state)
    after, replies = step(state, Turn(action=use.pressed), ctx)
    assert after.invoice_number == "SAM-77" and after.step == StepName.review
    assert ANSWERED_SINCE in text_of(replies) and "SAM-77" in text_of(replies)
    fresh, _ = step(talk(ctx, "start")[0], Turn(action=use.pressed), ctx)
    assert fresh.invoice_number == "INV-0042"  # pressed where it was shown: used


def test_slack_answer_buttons_carry_the_digest_apart_from_the_action() -> None:
    ctx = unit_ctx()
    state, replies = talk(ctx, "start", "INV-0042")
    [message] = render_reply(replies[0], key=(1, 2))
    values = [
        element["value"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    pressed = [read_value(value)[0] for value in values]
    shown = state.line_shown("1")
    assert pressed[:2] == [f"answer:1:skip:{shown}", f"answer:1:done:{shown}"]
    assert read_value('{"a":"answer:1:done","c":1,"p":2}') == ("answer:1:done", (1, 2))


@pytest.mark.parametrize("none", ["none", "nothing", "no attachments", "None."])
def test_none_beside_a_whole_invoice_is_no_attachments_never_a_missing_number(
    none: str,
) -> None:
    state, replies = talk(unit_ctx(), f"INV-0042\n1: 50%\n2: 3\n{none}\nsend")
    assert state.status == Status.sent, text_of(replies)
    assert "An invoice number is needed" not in text_of(replies)


def test_none_alone_at_the_number_question_still_asks_for_a_number() -> None:
    state, replies = talk(unit_ctx(), "start", "none")
    assert state.invoice_number is None
    assert "An invoice number is needed" in text_of(replies)


@pytest.mark.parametrize("none", ["none", "no attachments", "ninguno", "nothing"])
def test_none_at_the_review_is_understood_and_shows_the_review_again(none: str) -> None:
    ctx = unit_ctx()
    state, _ = talk(ctx, "INV-0042; 1: 50%; 2: 3 units")
    assert state.step == StepName.review
    after, replies = talk(ctx, none, state=state)
    text = text_of(replies)
    assert after.step == StepName.review and after.entries == state.entries
    assert "Which line" not in text and "couldn't use" not in text
    assert "Please check invoice INV-0042" in text
