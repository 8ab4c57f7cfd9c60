"""The phrasings table (`tests/phrasings.py`): how people really write, in English and Spanish,
each read to the figures it must give — and never a change to a line the message did not name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.context import CommitmentInfo, Context, PeriodInfo
from conversations.flow import step
from conversations.state import State
from conversations.types import StepName, Turn
from models.billing import LineHistory, LineTerms, line_figures
from models.tables import AccountingMethod
from tests.phrasings import AMOUNT, ASK, NO, PHRASINGS, SKIP, UNIT, Expected

D = Decimal
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
PERIOD = PeriodInfo(
    2, date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 25), date(2026, 11, 30)
)


def unit_line(number: str, description: str, quantity: int, price: str, uom: str) -> LineTerms:
    return LineTerms(
        number,
        description,
        AccountingMethod.unit,
        quantity=D(quantity),
        unit_price=D(price),
        uom=uom,
        retainage_percent=D(10),
    )


def amount_line(number: str, description: str, value: int) -> LineTerms:
    return LineTerms(
        number,
        description,
        AccountingMethod.amount,
        scheduled_value=D(value),
        retainage_percent=D(5),
    )


CONTEXTS = {
    UNIT: Context(
        now=NOW,
        today=NOW.date(),
        person_name="Sam Sparks",
        commitment=CommitmentInfo(1, "SC-007", "Electrical", "Harbor Tower", AccountingMethod.unit),
        period=PERIOD,
        lines=(
            unit_line("1", "EMT conduit 3/4in", 1200, "12.50", "LF"),
            unit_line("2", "Switchgear panels", 8, "4200", "EA"),
            unit_line("3", "Light fixtures", 40, "212.3375", "EA"),
        ),
        histories={
            "1": LineHistory(previous_quantity=D(300), previous_value=D("3750.00")),
            "3": LineHistory(previous_quantity=D(10), previous_value=D("2123.38")),
        },
    ),
    AMOUNT: Context(
        now=NOW,
        today=NOW.date(),
        person_name="Maria Lopez",
        commitment=CommitmentInfo(2, "SC-011", "Mechanical", "Harbor Tower"),
        period=PERIOD,
        lines=(
            amount_line("1", "Mobilization", 25000),
            amount_line("2", "Ductwork", 180000),
            amount_line("3", "Rooftop units", 240000),
        ),
        histories={
            "1": LineHistory(previous_value=D("25000.00")),
            "2": LineHistory(previous_value=D("36000.00")),
            "3": LineHistory(previous_value=D("60000.00")),
        },
    ),
}


def at_the_lines(ctx: Context, line: str = "1") -> State:
    """A conversation past its invoice number, asking `line` (the first)."""
    assert ctx.commitment is not None
    return State(
        step=StepName.lines,
        line=line,
        commitment_id=ctx.commitment.id,
        period_id=PERIOD.id,
        invoice_number="INV-0042",
        started=True,
    )


def figures(ctx: Context, state: State, line: str) -> Expected:
    terms = ctx.terms(line)
    assert terms is not None
    computed = line_figures(terms, ctx.history(line), state.entries[line])
    if computed.new_value == 0 and computed.materials_stored == 0:
        return SKIP
    if terms.is_unit:
        return (computed.new_quantity or D(0)).normalize(), computed.new_value
    return computed.new_value


def normal(expected: Expected) -> Expected:
    if isinstance(expected, tuple):
        quantity, value = expected
        return SKIP if value == 0 else (quantity.normalize(), value)
    return SKIP if expected == D(0) else expected


def test_the_table_is_large_and_in_both_languages() -> None:
    languages = [language for _c, language, _t, _e in PHRASINGS]
    assert len(PHRASINGS) >= 150
    assert languages.count("es") >= 50 and languages.count("en") >= 100


@pytest.mark.parametrize(
    ("commitment", "language", "text", "expected"),
    PHRASINGS,
    ids=[f"{c}-{lang}-{text[:40]}" for c, lang, text, _e in PHRASINGS],
)
def test_a_real_world_phrasing_gives_its_figures(
    commitment: str, language: str, text: str, expected: dict[str, Expected] | str
) -> None:
    ctx = CONTEXTS[commitment]
    before = at_the_lines(ctx)
    state, replies = step(before, Turn(text=text, channel="email"), ctx)
    said = replies[-1].text
    if expected == NO:
        assert state.entries == before.entries and not state.pending, said
        assert "couldn't" in said or "nothing was changed" in said.lower() or "Line" in said, said
        return
    if expected == ASK:
        assert state.pending and state.entries == before.entries, said
        assert "yes" in said, said
        return
    assert isinstance(expected, dict)
    assert not state.pending, said
    assert set(state.entries) == set(expected), said  # no other line touched
    for line, wanted in expected.items():
        assert figures(ctx, state, line) == normal(wanted), (line, said)


ANSWER = st.one_of(
    st.sampled_from(["45%", "+10%", "done", "skip", "$1,000", "2", "n/a", "20 ea", "1 installed"]),
    st.text(alphabet="0123456789%$., abcdefghijklmnopqrstuvwxyz-+:#", max_size=20),
)


@given(
    named=st.lists(st.sampled_from(["1", "2", "3"]), min_size=1, max_size=3, unique=True),
    answers=st.lists(ANSWER, min_size=3, max_size=3),
    commitment=st.sampled_from([UNIT, AMOUNT]),
    joiner=st.sampled_from(["\n", "; ", " ", ", "]),
)
def test_a_parsed_answer_never_changes_a_line_the_message_did_not_name(
    named: list[str], answers: list[str], commitment: str, joiner: str
) -> None:
    ctx = CONTEXTS[commitment]
    text = joiner.join(f"{line}: {answer}" for line, answer in zip(named, answers, strict=False))
    state, _replies = step(at_the_lines(ctx), Turn(text=text, channel="email"), ctx)
    touched = set(state.entries) | {item.line for item in state.pending}
    assert touched <= set(named), (text, touched)


def test_a_description_with_number_words_is_read_as_written() -> None:
    """`half`, `quarter` and `one` read as numbers in an answer, but not in a line's name."""
    ctx = replace(
        CONTEXTS[AMOUNT],
        lines=(
            amount_line("1", "Half-height walls", 25000),
            amount_line("2", "Quarter round trim", 180000),
            amount_line("3", "Rooftop units", 240000),
        ),
    )
    state, replies = step(
        at_the_lines(ctx), Turn(text="quarter round trim: 30%", channel="email"), ctx
    )
    assert figures(ctx, state, "2") == D("18000.00"), replies[-1].text
    state, replies = step(
        at_the_lines(ctx), Turn(text="rooftop forty five percent", channel="email"), ctx
    )
    assert figures(ctx, state, "3") == D("48000.00"), replies[-1].text
    # the name as written, the answer's number words read: not a line "rooftop units half"
    for text, line, to_date in (
        ("Quarter round trim half done", "2", "50.00%"),
        ("half-height walls three quarters", "1", "75.00%"),
        ("rooftop units half done", "3", "50.00%"),
        ("Rooftop is at about thirty percent", "3", "30.00%"),
    ):
        state, replies = step(at_the_lines(ctx), Turn(text=text, channel="email"), ctx)
        assert f"line {line} (" in replies[0].text, (text, replies[0].text)
        assert f"{to_date} to date" in replies[0].text, (text, replies[0].text)
        assert set(state.entries) | {item.line for item in state.pending} == {line}, text
