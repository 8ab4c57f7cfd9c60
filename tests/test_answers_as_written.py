"""Answers as contacts really write them, that once billed a wrong amount or were refused: a
date taken for `11 of 30`, `inv 0041` slipping past the used-number check, `No. 2` read as
"no", two answers for one line, `4: same` on a returned line, cover sentences beside complete
answers, and ways of saying `send` at the review."""

from __future__ import annotations

import gettext
from dataclasses import replace
from decimal import Decimal

import pytest

from conversations.context import Context, InvoiceInfo
from conversations.entries import Verdict, apply_answer
from conversations.flow import step
from conversations.parse import parse
from conversations.state import State, Status
from conversations.types import StepName, Turn
from models.billing import LineEntry, LineHistory
from models.i18n import Words
from models.tables import InvoiceStatus
from tests.phrasings import AMOUNT, UNIT
from tests.test_loose_answers import said, talk
from tests.test_phrasings import CONTEXTS, at_the_lines, unit_line

D = Decimal

# Line 2 has 30 EA and line 3 12 EA scheduled: `11/30` and `11/12` fit them as `N of M`.
DATED = replace(
    CONTEXTS[UNIT],
    lines=(
        unit_line("1", "EMT conduit 3/4in", 1200, "12.50", "LF"),
        unit_line("2", "Switchgear panels", 30, "4200", "EA"),
        unit_line("3", "Light fixtures", 12, "200", "EA"),
    ),
    histories={},
)


# -- a date is never `N of M` --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("11/30", "2"),
        ("Sent from my iPhone\n11/30", "2"),
        ("al 11/12", "3"),
        ("as of 11/30", "2"),
        ("11/30/2026", "2"),
        ("11/12\nsend", "3"),
    ],
)
def test_a_date_alone_is_asked_about_never_billed_on_the_line_asked(text: str, asked: str) -> None:
    state, replies = talk(DATED, text, state=at_the_lines(DATED, asked))
    assert not state.entries and not state.pending, said(replies)
    assert "Is this a date?" in said(replies)


def test_a_date_above_the_answers_is_passed_over_and_bills_nothing() -> None:
    text = "Buenas tardes\nal 11/12\n1: 50%\n2: 5\nmándala"
    state, replies = talk(DATED, text, state=at_the_lines(DATED, "3"))
    assert set(state.entries) == {"1", "2"}, said(replies)
    assert state.entries["2"].new_quantity == D(5)
    assert state.status != Status.sent  # line 3 is still to answer
    assert "11/12" not in said(replies)


def test_a_date_before_a_line_answer_is_not_the_line_asked() -> None:
    state, replies = talk(DATED, "11/30: 3: 5", state=at_the_lines(DATED, "2"))
    assert set(state.entries) == {"3"} and state.entries["3"].new_quantity == D(5), said(replies)


def test_n_of_m_with_its_line_named_is_still_read_to_date() -> None:
    state, replies = talk(DATED, "2: 11/30")
    assert state.entries["2"].new_quantity == D(11), said(replies)
    state, replies = talk(DATED, "Fixtures 6/12")
    assert state.entries["3"].new_quantity == D(6), said(replies)


# -- the invoice number --------------------------------------------------------------------

NUMBERED = replace(CONTEXTS[UNIT], used_numbers=frozenset({"INV-0041"}), previous_number="INV-0041")


def at_the_number(ctx: Context) -> State:
    return replace(at_the_lines(ctx), step=StepName.invoice_number, line=None, invoice_number=None)


@pytest.mark.parametrize("text", ["inv 0041", "Inv 0041", "inv. 0041", "Inv #0041"])
def test_a_used_number_with_a_lower_case_prefix_is_refused(text: str) -> None:
    state, replies = talk(NUMBERED, text, state=at_the_number(NUMBERED))
    assert state.invoice_number is None, said(replies)
    assert "is already used on SC-007" in said(replies)


def test_a_lower_case_prefix_is_kept_with_the_number() -> None:
    state, replies = talk(NUMBERED, "inv. 0042", state=at_the_number(NUMBERED))
    assert state.invoice_number == "inv. 0042", said(replies)


# -- `No. 2` is a number sign --------------------------------------------------------------


@pytest.mark.parametrize("text", ["No. 2: 50%", "No. 2 al 50%", "Nº 2: 50%", "Nro. 2: 50%"])
def test_no_before_a_line_number_keeps_a_pending_confirmation(text: str) -> None:
    ctx = CONTEXTS[AMOUNT]
    state, _ = talk(ctx, "3: 20%", state=at_the_lines(ctx, "2"))
    assert [item.line for item in state.pending] == ["3"]
    state, replies = talk(ctx, text, state=state)
    assert [item.line for item in state.pending] == ["3"], said(replies)
    assert state.entries["2"].new_value == D("54000.00")
    assert "OK, not kept" not in said(replies)


def test_no_before_a_line_number_is_not_answered_as_a_no() -> None:
    state, replies = talk(CONTEXTS[AMOUNT], "No. 2 al 50%")
    assert state.entries["2"].new_value == D("54000.00"), said(replies)
    assert "nothing waiting for a yes or no" not in said(replies)


# -- two answers for one line --------------------------------------------------------------


def test_the_work_and_materials_stored_on_two_rows_are_one_answer() -> None:
    state, replies = talk(CONTEXTS[AMOUNT], "2: $12,345.67\n2: stored $5,000")
    entry = state.entries["2"]
    assert (entry.new_value, entry.materials_stored) == (D("12345.67"), D(5000)), said(replies)


def test_two_amounts_for_one_line_are_asked_and_neither_is_applied() -> None:
    state, replies = talk(CONTEXTS[AMOUNT], "2: 50%\n2: 60%\n3: 30%")
    assert set(state.entries) == {"3"} and not state.pending, said(replies)
    assert "Line 2 has two different answers here" in said(replies)


def test_two_answers_for_one_line_in_a_message_are_parsed_as_one_or_a_problem() -> None:
    parsed = parse("2: 50%\n2: retainage 100")
    assert len(parsed.answers) == 1 and parsed.answers[0].released == D(100)
    assert parsed.answers[0].progress is not None and not parsed.problems
    parsed = parse("2: stored 100\n2: stored 200")
    assert not parsed.answers and len(parsed.problems) == 1


# -- `4: same` keeps a returned line -------------------------------------------------------


def returned(ctx: Context) -> tuple[Context, State]:
    """`ctx` with its invoice sent, then returned with lines 2 and 3 to answer again."""
    state, _ = talk(ctx, "1: 50%\n2: 1\n3: 20\nsend")
    assert state.status == Status.sent
    invoice = InvoiceInfo(
        "INV-0042", InvoiceStatus.revise_and_resubmit, returned=(("2", "count"), ("3", "photos"))
    )
    return replace(ctx, invoice=invoice), state


@pytest.mark.parametrize("same", ["3: same", "3 same", "3: igual", "3: lo mismo", "line 3: same"])
def test_same_after_a_line_number_keeps_that_returned_line(same: str) -> None:
    ctx, state = returned(CONTEXTS[UNIT])
    kept = state.entries["3"]
    state, replies = talk(ctx, f"2: 2\n{same}\nsend", state=state)
    assert state.status == Status.sent, said(replies)
    assert state.entries["3"] == kept and state.entries["2"].new_quantity == D(2)


def test_same_on_a_line_with_no_amount_is_refused() -> None:
    state, replies = talk(CONTEXTS[UNIT], "2: same")
    assert not state.entries, said(replies)
    assert "no amount on this invoice to keep" in said(replies)


# -- words around complete answers ---------------------------------------------------------

ANSWERS = "1: 50%\n2: 1\n3: 20\nsend"


@pytest.mark.parametrize(
    ("words", "sent"),
    [
        ("Please see our November billing below.", True),
        ("Attached is our pay app and lien waiver.", True),
        ("Lien waiver to follow.", True),
        ("Hi, here are this month's numbers:", True),
        ("Le envío la facturación de noviembre.", True),
        ("OK to send", True),
        # words with a meaning for the money still hold it back
        ("Here are our preliminary numbers", False),
        ("Attached is our preliminary pay app", False),
        ("Please see our November billing below, pay half", False),
        ("Lien waiver to follow, hold payment", False),
        ("Le envío la factura, no la envíe todavía", False),
        ("here is a rough draft", False),
    ],
)
def test_a_cover_sentence_beside_complete_answers_holds_the_send_only_with_a_reservation(
    words: str, sent: bool
) -> None:
    state, replies = talk(CONTEXTS[UNIT], f"{words}\n{ANSWERS}")
    assert (state.status == Status.sent) is sent, said(replies)


@pytest.mark.parametrize(
    "send",
    [
        "sí mándala",
        "yep send",
        "k send",
        "está bien así, mándala",
        "mándalo porfa",
        "enviala porfa",
        "enviar a revisión",
    ],
)
def test_ways_of_saying_send_at_the_review_send_it(send: str) -> None:
    ctx = CONTEXTS[UNIT]
    state, _ = talk(ctx, "1: 50%\n2: 1\n3: 20")
    assert state.step == StepName.review
    state, replies = talk(ctx, send, state=state)
    assert state.status == Status.sent, said(replies)


@pytest.mark.parametrize("asked", ["ready to send?", "is it ok to send?", "OK to send?"])
def test_asking_whether_to_send_shows_the_invoice_and_sends_nothing(asked: str) -> None:
    """`OK to send` says so and sends; asked (`OK to send?`), it is answered as `can I send
    it?` is: the invoice to check, and how to send it."""
    ctx = CONTEXTS[UNIT]
    state, _ = talk(ctx, "1: 50%\n2: 1\n3: 20")
    state, replies = talk(ctx, asked, state=state)
    assert state.status != Status.sent and state.step == StepName.review, said(replies)
    assert "before sending" in said(replies)
    state, replies = talk(ctx, "OK to send", state=state)
    assert state.status == Status.sent, said(replies)


@pytest.mark.parametrize(
    ("text", "status", "position"),
    [
        ("todo correcto", Status.open, "review"),  # a pleasantry: the review stays
        ("se puede enviar?", Status.open, "review"),  # asked: the invoice, nothing sent
        ("cancela", Status.cancelled, "review"),
        ("la termino después", Status.draft_saved, "review"),
        ("luego la termino", Status.draft_saved, "review"),
        ("edita la 2", Status.open, "lines:2"),
        ("corrige la 2", Status.open, "lines:2"),
        ("cambia la 2", Status.open, "lines:2"),
    ],
)
def test_spanish_at_the_review_is_read(text: str, status: Status, position: str) -> None:
    ctx = CONTEXTS[UNIT]
    state, _ = talk(ctx, "1: 50%\n2: 1\n3: 20")
    state, replies = talk(ctx, text, state=state)
    assert "couldn't" not in said(replies), said(replies)
    assert (state.status, state.position) == (status, position), said(replies)


# -- an example inside a reason is in the reply's language ---------------------------------


class _Spanish(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return {"{line}: {amount} to date": "{line}: {amount} a la fecha"}.get(message, message)


def test_the_example_of_an_out_of_refusal_goes_through_the_catalog() -> None:
    ctx = CONTEXTS[UNIT]
    terms = ctx.terms("2")
    assert terms is not None
    [answer] = parse("2: 4 of 10").answers
    outcome = apply_answer(terms, LineHistory(), LineEntry(), answer, words=Words("es", _Spanish()))
    assert outcome.verdict == Verdict.refused
    assert "`2: 4 EA a la fecha`" in outcome.message and "EA to date" not in outcome.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the line named by its words and by its number: one answer when they say different
        # things, the later when it corrects, neither when they disagree
        ("Ductwork 50%\n2: stored $500", (D("53500.00"), D("500"))),
        ("2: 50%\nactually ductwork is 60%", (D("72000.00"), D("0"))),
        ("ductwork 50%\nsorry, 2: 60%", (D("72000.00"), D("0"))),
        ("ductwork 50%\n2: 60%", None),
    ],
)
def test_a_line_named_by_its_words_and_its_number_is_one_answer(
    text: str, expected: tuple[Decimal, Decimal] | None
) -> None:
    ctx = CONTEXTS[AMOUNT]
    state, replies = step(at_the_lines(ctx), Turn(text=text, channel="email"), ctx)
    if expected is None:
        assert "2" not in state.entries
        assert "Line 2 has two different answers here" in replies[-1].text
        return
    entry = state.entries["2"]
    assert (entry.new_value, entry.materials_stored) == expected


# -- a question about a return -----------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "why was line 3 returned?",
        "What do you need for line 3?",
        "Why did Jane reject my invoice",
        "¿por qué devolvieron la 3?",
        "qué necesitan para la línea 2?",
    ],
)
def test_a_question_about_a_return_gets_the_administrators_reasons(question: str) -> None:
    """`why was line 3 returned?` was "no line is called “why was line”"; the reasons are
    kept, and are the answer."""
    ctx, state = returned(CONTEXTS[UNIT])
    after, replies = talk(ctx, question, state=state)
    text = said(replies)
    assert "- Line 2 (Switchgear panels): count" in text and "photos" in text, text
    assert after.entries == state.entries and "couldn't" not in text


@pytest.mark.parametrize(
    "question", ["why was line 2 returned?", "why did you reject it", "¿por qué devolvieron la 3?"]
)
def test_a_question_about_a_return_when_nothing_is_returned_says_so(question: str) -> None:
    """On an invoice never returned it was "I couldn't use that", hinting `1: 2 returned`."""
    ctx = CONTEXTS[UNIT]
    state, _ = talk(ctx, "1: 50%")
    after, replies = talk(ctx, question, state=state)
    text = said(replies)
    assert "No line of this invoice is returned for revision." in text, text
    assert "Next: line 2" in text and "couldn't" not in text, text
    assert after.entries == state.entries


def test_a_question_beside_an_answer_is_not_taken_for_the_question_alone() -> None:
    ctx, state = returned(CONTEXTS[UNIT])
    after, replies = talk(ctx, "Why was it returned?\n2: 2", state=state)
    assert after.entries["2"].new_quantity == D(2), said(replies)


# -- a line a change order lowered below what was billed ---------------------------------------


@pytest.mark.parametrize("answer", ["1: skip", "1: $0.00", "1: 0"])
def test_a_line_billed_past_its_lowered_value_says_by_how_much_and_how_to_credit_it(
    answer: str,
) -> None:
    """A change order took Mobilization to $24,000 after $25,000 was billed: `skip` and `$0.00`
    were refused with "so $0.00 remains. Example: `1: $0.00`", the very answer refused."""
    ctx = CONTEXTS[AMOUNT]
    lowered = tuple(
        replace(terms, scheduled_value=D(24000)) if terms.number == "1" else terms
        for terms in ctx.lines
    )
    ctx = replace(ctx, lines=lowered)
    state, replies = talk(ctx, answer)
    text = said(replies)
    assert "$25,000.00 was billed before, more than the line's $24,000.00 now" in text, text
    assert "$1,000.00 over. `1: done` bills it at 100%, a credit of $1,000.00" in text, text
    assert "Example: `1: $0.00`" not in text
    assert "billed $1,000.00 past its scheduled value" in text and "reply `skip`" not in text
    state, replies = talk(ctx, "1: done", "yes", state=state)
    assert state.entries["1"].new_value == D(-1000), said(replies)


def test_a_unit_line_billed_past_its_lowered_quantity_says_so_in_units() -> None:
    ctx = CONTEXTS[UNIT]
    lowered = tuple(
        replace(terms, quantity=D(250)) if terms.number == "1" else terms for terms in ctx.lines
    )
    text = said(talk(replace(ctx, lines=lowered), "1: skip")[1])
    assert "300 LF was billed before, more than the line's 250 LF now" in text, text
    assert "50 LF over." in text, text
