"""Reading answers typed into our answer template (`mail.template.filled_in`), and the
pleasantries around answers (`conversations.vocabulary.is_pleasantry`)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from conversations.parse import Expect, parse
from conversations.vocabulary import CommandName, is_pleasantry
from mail.template import TEMPLATE_MARKER, filled_in
from models.outbox import OutboundMessage
from models.tables import Invoice
from tests.test_inline_answers import invite_sam

TEMPLATE = "Invoice number: INV-0042\n1: \n2: \n3: \nsend"
INVITE_TEXT = f"""Hi Sam,

Schedule of values:

#  Description   Quantity  Unit price
-  -----------  ---------  ----------
1  Conduit       1,200 LF      $12.50
2  Panels            8 EA   $4,200.00
3  Fixtures         40 EA     $212.3375

How to answer: reply to this email and fill in the template below. For each line write
one of: 45% (total progress to date), +10% (progress this period), 30 units.

{TEMPLATE_MARKER}

{TEMPLATE}
"""


def quote(text: str, prefix: str = "> ") -> str:
    return "\n".join(f"{prefix}{line}".rstrip() for line in text.splitlines())


def filled(**answers: str) -> str:
    text = INVITE_TEXT
    for line, answer in answers.items():
        text = text.replace(f"\n{line.lstrip('_')}: \n", f"\n{line.lstrip('_')}: {answer}\n")
    return text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (quote(filled(_1="50%", _2="2 units")), ("1: 50%", "2: 2 units")),
        (quote(quote(filled(_3="skip"))), ("3: skip",)),  # quoted twice
        (quote(filled(_1="50%"), ">"), ("1: 50%",)),  # `>` without a space
        (filled(_1="50%", _3="done"), ("1: 50%", "3: done")),  # Outlook: not marked at all
        (quote(INVITE_TEXT.replace("1: \n", "1:\n45%\n")), ("1: 45%",)),  # typed below `1:`
        (quote(INVITE_TEXT.replace("INV-0042", "INV-0099")), ("Invoice number: INV-0099",)),
        (quote(INVITE_TEXT.replace("1: \n", "1:   50 %  \n")), ("1: 50 %",)),
        # the first line deleted: the marker still says where the template is
        (quote(INVITE_TEXT.replace("Invoice number: INV-0042\n", "").replace("2: \n", "2: 3\n")),
         ("2: 3",)),
    ],
)  # fmt: skip
def test_lines_changed_in_the_template_are_read(body: str, expected: tuple[str, ...]) -> None:
    assert filled_in(body, TEMPLATE) == expected


@pytest.mark.parametrize(
    "body",
    [
        quote(INVITE_TEXT),  # sent back as it was: the number and `send` are ours
        quote(INVITE_TEXT.replace("1  Conduit ", "1  Conduit 50% ")),  # the SOV table edited
        quote(INVITE_TEXT.replace("45% (total", "55% (total")),  # the instructions edited
        "1: 50%\n2: 30 units",  # answers, but not in our template
        "",
        "> 1: 50%",  # one line of it is not the template
    ],
)
def test_nothing_we_wrote_and_nothing_outside_the_template_is_read(body: str) -> None:
    assert filled_in(body, TEMPLATE) == ()


def test_the_first_copy_with_changes_counts() -> None:
    reminder = quote(filled(_2="30 units"))
    older = quote(quote(filled(_1="10%")))
    assert filled_in(f"{reminder}\n{older}", TEMPLATE) == ("2: 30 units",)
    assert filled_in(f"{quote(INVITE_TEXT)}\n{older}", TEMPLATE) == ("1: 10%",)


@given(st.text(max_size=400))
def test_any_body_is_read_without_raising_and_only_as_template_lines(body: str) -> None:
    for answer in filled_in(body, TEMPLATE):
        assert answer.split(":", 1)[0] in {"Invoice number", "1", "2", "3"}


@pytest.mark.parametrize(
    "text",
    [
        "Filled in below.",
        "Thanks!",
        "Thank you very much",
        "See attached",
        "Please see attached lien waiver",
        "Please find our pay app attached",
        "Our pay app is attached.",
        "Attached is our invoice",
        "Hi Jane,",
        "Good morning",
        "Here you go",
        "I filled it in below",
        "answers below",
        "Let me know if you need anything else",
        "Best regards",
        "Looks good",
        "That looks right to me",
        "All good",
        "Perfect!",
        "Todo bien",
        "Se ve bien",
    ],
)
def test_pleasantries_beside_answers_are_neither_answers_nor_errors(text: str) -> None:
    assert is_pleasantry(text)
    for expect in (Expect.invoice_number, Expect.line, Expect.attachments, Expect.review):
        parsed = parse(f"{text}\n1: 50%", expect=expect)
        assert parsed.problems == () and len(parsed.answers) == 1, (expect, parsed)


@pytest.mark.parametrize(
    "text", ["done", "skip", "none", "send", "50%", "INV-0042", "Conduit", "12 units", "Sam"]
)
def test_answers_and_unknown_words_are_not_pleasantries(text: str) -> None:
    assert not is_pleasantry(text)


def test_a_send_beside_an_approving_word_sends_and_the_word_alone_does_not() -> None:
    for text in ("looks good, send it", "Perfect, send", "todo bien, enviar"):
        parsed = parse(text, expect=Expect.review)
        assert parsed.problems == () and parsed.has(CommandName.send), (text, parsed)
    alone = parse("looks good", expect=Expect.review)
    assert alone.problems == () and not alone.commands and not alone.answers


def test_a_name_after_thanks_is_part_of_the_pleasantry() -> None:
    parsed = parse("1: 50%\nThanks, Sam", expect=Expect.line)
    assert parsed.problems == () and parsed.pleasantries == ("Thanks", "Sam")
    assert parse("Sam", expect=Expect.line).problems  # alone, a name is not understood


@pytest.mark.parametrize(
    "text",
    [
        "Perfect. Send",
        "Send. Thanks!",
        "Looks good. Send.",
        "Hi Sam. Send it",
        "Great, send it please",
        "please send",
        "send it now please",
        "Send it in for review",
        "submit the invoice now",
        "go ahead and send",
        "por favor enviar",
        "envíala por favor",
        "Gracias. Enviar",
        "mándala ya",
        "envía la factura",
        "manda la factura por favor",
        "Listo, enviar factura",
        "all good send it",  # approving words before it, without a comma
        "looks good send",
        "thanks send it",
        "todo bien enviar",
    ],
)
def test_a_send_said_loosely_sends(text: str) -> None:
    parsed = parse(text, expect=Expect.review)
    assert parsed.problems == () and parsed.has(CommandName.send), parsed


@pytest.mark.parametrize(
    "text",
    [
        "please don't send",
        "Great, don't send yet",  # was taken for "Great" and a name, and ignored
        "great don't send yet",
        "Thanks Sam please send",  # was one pleasantry: greeting and a three-word "name"
        "Thanks, wait",
        "don't submit it",
        "no enviar todavía",
        "no la envíes",
    ],
)
def test_a_held_back_or_unclear_send_never_sends_and_is_not_ignored(text: str) -> None:
    parsed = parse(text, expect=Expect.review)
    assert not parsed.has(CommandName.send) and parsed.problems, parsed


def test_sentences_are_read_one_by_one_only_when_each_is_read_without_a_guess() -> None:
    named = parse("Perfect. 3: 50%", expect=Expect.line)
    assert named.problems == () and [a.line for a in named.answers] == ["3"]
    assert named.pleasantries == ("Perfect",)
    both = parse("Thanks so much. Have a great weekend", expect=Expect.review)
    assert both.problems == () and not both.commands and not both.answers
    # A sentence that cannot be read leaves the whole fragment unread, as before.
    unread = parse("Hi Sam. Sorry for the delay", expect=Expect.review)
    assert [p.text for p in unread.problems] == ["Hi Sam. Sorry for the delay"]
    assert not unread.commands and not unread.pleasantries
    # Greetings with a name are still greetings.
    assert parse("Thanks, Sam\nHi Jane Doe", expect=Expect.review).problems == ()


def test_please_and_thanks_around_a_command_do_not_turn_a_pleasantry_into_one() -> None:
    assert parse("yes please", expect=Expect.invoice_number).has(CommandName.yes)
    assert parse("cancel please", expect=Expect.review).has(CommandName.cancel)
    thanked = parse("1: 50%\nok thanks", expect=Expect.line)  # not a "yes" to nothing
    assert thanked.problems == () and not thanked.commands
    assert thanked.pleasantries == ("ok thanks",)


@pytest.mark.parametrize(
    "text", ["save it please", "Guárdala como borrador por favor", "guardar borrador, gracias"]
)
def test_a_draft_said_loosely_saves_a_draft(text: str) -> None:
    parsed = parse(text, expect=Expect.review)
    assert parsed.problems == () and parsed.has(CommandName.draft)
    assert not parsed.has(CommandName.send)


# --- Answers on top and in the template, through the intake ----------------------------------

TOP_AND_TEMPLATE_CASES = [
    # the top gives the invoice number, the template the lines: both are read
    ("INV-0043", {"1": "50%", "2": "3 units"}, "INV-0043", "12", True),
    ("Invoice # is INV-0043, numbers below", {"1": "50%", "2": "3 units"}, "INV-0043", "12", True),
    ("1: 50%", {"2": "3 units"}, None, "12", True),
    ("2: 3 units", {"1": "50%", "2": "3 units"}, None, "12", True),  # one answer twice
    # the top and the template answer one thing differently: the top alone, as before
    ("2: 5 units", {"1": "50%", "2": "3 units"}, None, "2", False),
    ("INV-0043", {"Invoice number": "INV-0044", "1": "50%"}, "INV-0043", "", False),
    ("50%", {"2": "3 units"}, None, "", False),  # a bare answer on top may be any line's
]


@pytest.mark.parametrize(
    ("top", "typed", "number", "lines", "merged"),
    TOP_AND_TEMPLATE_CASES,
    ids=[case[0] for case in TOP_AND_TEMPLATE_CASES],
)
def test_answers_on_top_and_in_the_template_are_read_together_unless_they_differ(
    sqlite_engine: Engine,
    tmp_path: Path,
    top: str,
    typed: dict[str, str],
    number: str | None,
    lines: str,
    merged: bool,
) -> None:
    intake, row = invite_sam(sqlite_engine, tmp_path)
    invite_text = row.body_text or ""
    for slot, value in typed.items():
        invite_text = re.sub(rf"(?m)^{slot}:.*$", f"{slot}: {value}", invite_text, count=1)
    message = EmailMessage()
    message["From"] = "Sam Sparks <sam@acme.test>"
    message["To"] = str(row.data()["reply_to"])
    message["Subject"] = f"Re: {row.subject}"
    message["Message-ID"] = "<top-and-template@acme.test>"
    message["In-Reply-To"] = row.message_id
    message.set_content(
        f"{top}\n\nOn Wed, Nov 25, 2026 Summit Billing wrote:\n{quote(invite_text)}"
    )
    assert intake.process(message.as_bytes()).outcome == "processed"

    with Session(sqlite_engine) as session:
        answer = session.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()[-1]
        invoices = session.exec(select(Invoice).where(Invoice.number != "INV-0041")).all()
    said = " ".join((answer.body_text or "").split())
    got = said.partition("Got it:")[2]
    assert [invoice.number for invoice in invoices] == ([number] if number else []), said
    assert [n for n in "12" if f"line {n} (" in got] == list(lines), said
    assert ("I read your answers from the template" in said) is merged, said
    assert ("I used the answers you wrote at the top" in said) is not merged, said
