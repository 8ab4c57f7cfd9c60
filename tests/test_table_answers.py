"""Answers pasted as a table (a spreadsheet's rows, an HTML table in a mail, markdown), read
with the figures each gives; the commitments are `tests/phrasings.py`'s (UNIT, AMOUNT)."""

from __future__ import annotations

from decimal import Decimal
from email.message import EmailMessage

import pytest

from conversations.flow import step
from conversations.table import table_lines
from conversations.types import Turn
from mail.extract import extract_reply
from tests.phrasings import AMOUNT, SKIP, UNIT, Expected
from tests.test_phrasings import CONTEXTS, at_the_lines, figures, normal

D = Decimal
HALF_OF_1 = (D(300), D("3750.00"))  # UNIT line 1 at 50% to date (300 LF before)
TWO_PANELS = (D(2), D("8400.00"))

TABLES: list[tuple[str, str, str, dict[str, Expected]]] = [
    ("pipes", UNIT, "1 | 50%\n2 | 2 units", {"1": HALF_OF_1, "2": TWO_PANELS}),
    (
        "markdown",
        UNIT,
        "| Line | Qty to date |\n|---|---|\n| 1 | 600 |\n| 2 | 2 |",
        {"1": HALF_OF_1, "2": TWO_PANELS},
    ),
    (
        "tabs, no header",
        UNIT,
        "1\tEMT conduit 3/4in\t50%\n2\tSwitchgear panels\t2\t",
        {"1": HALF_OF_1, "2": TWO_PANELS},
    ),
    ("description first", UNIT, "Conduit | 50%\nPanels | 2", {"1": HALF_OF_1, "2": TWO_PANELS}),
    # a header's % makes a bare figure a percentage: 25 under `% complete` is 25% (2 of 8)
    (
        "percent header",
        UNIT,
        "Line | Description | % complete\n1 | Conduit | 50\n2 | Panels | 25",
        {"1": HALF_OF_1, "2": TWO_PANELS},
    ),
    # beside a quantity this period the % is derived; alone in its row it is the answer
    (
        "period and percent",
        UNIT,
        "Item\tDescription\tQty this period\t% complete\n1\tConduit\t300\t50%\n"
        "2\tPanels\t\t25%\n3\tLight fixtures\t-\t",
        {"1": HALF_OF_1, "2": TWO_PANELS, "3": SKIP},
    ),
    (
        "a whole G703",
        UNIT,
        "Item No.\tDescription\tScheduled Value\tFrom Previous\tThis Period\tMaterials Stored\t"
        "Total Completed and Stored to Date\t%\tBalance\tRetainage\n"
        "1\tEMT conduit\t$15,000.00\t$3,750.00\t$3,750.00\t$ -\t$7,500.00\t50%\t"
        "$7,500.00\t$750.00\n"
        "2\tPanels\t$33,600.00\t$0.00\t$8,400.00\t$ -\t$8,400.00\t25%\t$25,200.00\t$840.00",
        {"1": HALF_OF_1, "2": TWO_PANELS},
    ),
    ("spanish header", UNIT, "Partida\tDescripción\t% avance\n1\tTubería\t50", {"1": HALF_OF_1}),
    (
        "amounts and stored",
        AMOUNT,
        "Line\tDescription\tAmount this period\tMaterials stored\n2\tDuctwork\t12000\t2000\n"
        "3\tRooftop units\t0\t",
        {"2": D("12000.00"), "3": SKIP},
    ),
    ("amount to date", AMOUNT, "Line | Amount to date\n2 | 60000", {"2": D("24000.00")}),
    # a row out of line with its header is read by what it holds
    ("short row", UNIT, "Line | Description | % complete\n1 | 50%", {"1": HALF_OF_1}),
    ("shifted row", UNIT, "Line | Description | % complete\nConduit | 50%", {"1": HALF_OF_1}),
    # a line's total is its scheduled value, not an answer
    (
        "total column",
        UNIT,
        "Line | Description | Total | % complete\n1 | Conduit | $15,000 | 50%",
        {"1": HALF_OF_1},
    ),
    # a cost code is not the line number: the row is found by its description
    (
        "cost code",
        UNIT,
        "Cost code\tDescription\t% complete\n26-05-00\tConduit\t50%",
        {"1": HALF_OF_1},
    ),
    # a header billbot cannot read is left out, its rows read by what they hold
    ("unknown header", UNIT, "Ref | Work | Notes\n1 | Conduit | 50%", {"1": HALF_OF_1}),
]


@pytest.mark.parametrize(
    ("commitment", "text", "expected"),
    [row[1:] for row in TABLES],
    ids=[row[0] for row in TABLES],
)
def test_a_pasted_table_gives_its_figures(
    commitment: str, text: str, expected: dict[str, Expected]
) -> None:
    ctx = CONTEXTS[commitment]
    state, replies = step(at_the_lines(ctx), Turn(text=text, channel="email"), ctx)
    said = replies[-1].text
    assert not state.pending and "couldn't" not in said, said
    assert set(state.entries) == set(expected), said
    for line, wanted in expected.items():
        assert figures(ctx, state, line) == normal(wanted), (line, said)


@pytest.mark.parametrize(
    "text",
    [
        "1 | Conduit | $15,000.00 | 50%",  # a scheduled value beside the answer, no header
        "Line | Description | % complete\n1 | Conduit | $15,000.00 | 50%",  # one cell too many
    ],
)
def test_two_figures_or_a_doubtful_row_change_nothing(text: str) -> None:
    ctx = CONTEXTS[UNIT]
    before = at_the_lines(ctx)
    state, replies = step(before, Turn(text=text, channel="email"), ctx)
    assert state.entries == before.entries and not state.pending, replies[-1].text


def test_rows_are_rewritten_and_other_lines_kept() -> None:
    lines = [
        "Invoice INV-7",
        "Line\tDescription\t% complete",
        "1\tConduit\t50",
        "",
        "2\tPanels\t",
        "Send | thanks",
        "see\tattached",
        "send",
    ]
    assert table_lines(lines) == [
        "Invoice INV-7",
        "",  # the header
        "1: 50%",
        "",
        "2:",  # named, nothing given: answers nothing
        "Send | thanks",  # words only: as typed
        "see attached",
        "send",
    ]


def test_a_table_pasted_into_an_html_mail_is_read() -> None:
    """Outlook and Gmail send a spreadsheet pasted into a reply as an HTML table (here with
    Gmail's attribution straight after it, which must not take the last row with it)."""
    html = (
        "<div>Invoice INV-7</div><table>"
        "<tr><th>Line</th><th>Description</th><th>% complete</th></tr>"
        "<tr><td>1</td><td>EMT conduit 3/4in</td><td>50%</td></tr>"
        "<tr><td>2</td><td>Switchgear panels</td><td>25%</td></tr></table>"
        '<div class="gmail_quote">On Mon, Nov 30, 2026 Billbot wrote:'
        "<blockquote>What is your invoice number?</blockquote></div>"
    )
    message = EmailMessage()
    message["From"] = "sam@acme.test"
    message.set_content(html, subtype="html")
    text = extract_reply(message).text
    ctx = CONTEXTS[UNIT]
    state, replies = step(at_the_lines(ctx), Turn(text=text, channel="email"), ctx)
    assert state.invoice_number == "INV-7", replies[-1].text
    assert figures(ctx, state, "1") == HALF_OF_1
    assert figures(ctx, state, "2") == TWO_PANELS
