"""Hostile answers: thousands of realistic-but-nasty answers through the parser and through the
conversation service, and the stored invoice is never corrupted by them.

A seeded generator (so a failure is reproducible from the printed seed) builds answers the way
people and mail clients mangle them: odd separators, mixed units and currencies, huge numbers,
exponents, NaN, emoji, RTL text, control characters, Arabic-Indic digits, 100 KB lines,
SQL-ish strings and commands nested in answers.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from conversations.answers import Scope, parse_body
from conversations.parse import Expect, parse_strict
from conversations.service import ConversationService, MemoryOutbox
from conversations.state import Status
from conversations.types import Turn
from models.db import session_scope
from models.ledger import invoice_entries, invoice_figures, totals_tie
from models.tables import Commitment, CommitmentContact, Invoice, InvoiceLine, InvoiceStatus
from tests.test_conversation_service import NOW, Ids, seed

SEED = 20261125
PARSER_ANSWERS = 12_000
CONVERSATION_ANSWERS = 10_000
CHECK_EVERY = 10  # turns between full invariant checks (a bad-only turn is always checked)

NUMBERS = [
    "0",
    "-0",
    "+0",
    "12",
    "1,200",
    "1.200,50",
    "1 200",
    "1\u00a0200",
    "1\u202f200",
    "1'200",
    "4,500.00",
    "4.500,00",
    "12.",
    ".5",
    "00012",
    "1e9",
    "1E-9",
    "1e999999",
    "9" * 40,
    "0.000000001",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "inf",
    "sNaN",
    "١٢٣",
    "۴۵",
    "१२",
    "１２",
    "12½",
    "⅓",
    "1_000",
    "0x1F",
    "1,2,3",
    "--5",
    "+-5",
    "5-",
    "(500)",
    "12..5",
    ",5",
    "5,",
    "99999999999999.99",
    "100000000000000000000",
    "-99999999999999",
    "3.14159265358979",
]
UNITS = ["", "%", " %", " percent", " units", " EA", " LF", " qty", " pct", "％", " €", " kg"]
PREFIXES = ["", "$", "US$", "USD ", "€", "£", "¥", "qty ", "+", "-", "stored $", "retainage "]
WORDS = [
    "done",
    "complete",
    "skip",
    "none",
    "n/a",
    "all 100%",
    "rest skip",
    "help",
    "back",
    "status",
    "edit 2",
    "line 1",
    "draft",
    "cancel",
    "yes",
    "no",
    "next",
    "switch",
    "send",
    "edit 999",
    "line -1",
    "edit 1; send",
    "1: done; 2: help",
    "back back back",
]
NASTY = [
    "'; DROP TABLE invoice; --",
    "1; DELETE FROM invoice_line",
    "' OR '1'='1",
    "%s%s%n",
    "{0}{1}",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "\\x00",
    "../../etc/passwd",
    "😀",
    "💯%",
    "👍 50%",
    "\u202e%05\u202c",
    "\u200f٥٠٪",
    "مرحبا",
    "שלום 50%",
    "\u0000",
    "\x07\x08\x1b[31m",
    "\ufeff50%",
    "\u200b1\u200b:\u200b50%",
    "\r\n\r\n",
    "\t\t",
    "ＩＮＶ－００４２",
    "INV-" + "9" * 60,
    "inv #",
    "invoice number: ",
    "\udcff",
    "ǅ",
    "İ",
    "ß%",
    "NULL",
    "None",
]
SEPARATORS = ["\n", "; ", ", ", "\r\n", " \u2028 ", "\n\n> ", " | ", "\u0085"]


def hostile_answer(rnd: random.Random) -> str:
    """One answer, as a person (or a broken client) might write it."""
    kind = rnd.random()
    if kind < 0.15:  # well-formed, at and past the limits: 100 %, over, negative, cents
        amount = rnd.choice(["0", "99.99", "100", "100.01", "150", "-5", "0.01", "33.333"])
        form = rnd.choice(["{}%", "+{}%", "${}", "{} units", "qty {}", "stored ${}", "{}"])
        return rnd.choice(["", "1: ", "2: ", "all "]) + form.format(amount)
    if kind < 0.45:
        value = rnd.choice(PREFIXES) + rnd.choice(NUMBERS) + rnd.choice(UNITS)
        ref = rnd.choice(["", "", "1: ", "2 - ", "line 2 ", "#1 ", "3: ", "0: ", "all ", "l1="])
        extra = rnd.choice(["", "", " stored $2,000", " retainage 500", " +10%", " done"])
        return ref + value + extra
    if kind < 0.65:
        return rnd.choice(WORDS)
    if kind < 0.85:
        return rnd.choice(NASTY) + rnd.choice(["", " ", "50%", rnd.choice(NUMBERS)])
    if kind < 0.9:
        return "".join(chr(rnd.randrange(0, 0x3000)) for _ in range(rnd.randrange(1, 40)))
    if kind < 0.93:
        return rnd.choice(["1: ", "", "x"]) + rnd.choice(["9", "5 ", "%", "a,"]) * 50_000
    if kind < 0.97:  # how people write: words, qualifiers, several answers, Spanish
        return loose_answer(rnd)
    return "".join(rnd.choice(NUMBERS + UNITS + PREFIXES + WORDS) for _ in range(4))


LOOSE_REFS = [
    *("1: ", "#1 ", "L1 ", "Item 1: ", "Line 2 - ", "línea 2: ", "conduit ", "panels: "),
    *("ductwork ", "units ", "", "2 "),
]
LOOSE_VALUES = [
    *("forty-five percent", "twenty five", "a hundred percent", "cuarenta y cinco por ciento"),
    *("veinte unidades", "USD 4,500", "700.00", "n/a", "no change", "nada", "listo", "omitir"),
    *("one", "ninety-nine pct", "cien por ciento", "sin avance"),
]
LOOSE_TAILS = [
    *("", " complete", " installed", " to date", " this period", " this month", " a la fecha"),
    *(" este mes", " so far", " total", " thanks", " gracias", " to date this period"),
    " completo instalado",
]


def loose_answer(rnd: random.Random) -> str:
    """Answers as people write them, run together on one line or with qualifiers after."""
    parts = [
        rnd.choice(LOOSE_REFS) + rnd.choice(LOOSE_VALUES + NUMBERS) + rnd.choice(LOOSE_TAILS)
        for _ in range(rnd.randrange(1, 4))
    ]
    return rnd.choice([" ", ", ", "; "]).join(parts)


def hostile_message(rnd: random.Random, answers: int) -> str:
    return rnd.choice(SEPARATORS).join(hostile_answer(rnd) for _ in range(answers))


def test_parser_reads_every_hostile_answer_without_raising() -> None:
    rnd = random.Random(SEED)
    expects = list(Expect)
    counts = {"answers": 0, "problems": 0, "commands": 0, "empty": 0}
    for i in range(PARSER_ANSWERS):
        text = hostile_answer(rnd) if i % 4 else hostile_message(rnd, rnd.randrange(2, 6))
        expect = expects[i % len(expects)]
        try:
            parsed = parse_strict(text, expect=expect)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            raise AssertionError(f"parse_strict({text[:200]!r}, {expect}) raised {exc!r}") from exc
        for answer in parsed.answers:
            for amount in (answer.progress.amount if answer.progress else None, answer.stored):
                if amount is not None:
                    assert amount.is_finite(), (text[:200], answer)
        counts["answers"] += len(parsed.answers)
        counts["problems"] += len(parsed.problems)
        counts["commands"] += len(parsed.commands)
        counts["empty"] += parsed.is_empty
    print(f"parser: {PARSER_ANSWERS} hostile texts (seed {SEED}) -> {counts}")
    assert counts["answers"] and counts["problems"]


# Long runs of spaces or of marks, where a pattern that starts with whitespace (or looks for a
# closing mark) would try again at every position: each took 0.5–23 s to parse before its
# pattern was made to start only at a run's first space. A slip back shows as a hang here.
LONG_RUNS = [
    "*a" + " " * 19_990 + "b",
    "50%" + " " * 19_990 + "on line 1",
    "thanks" + " " * 19_990 + "thanks",
    "-" + " " * 19_990 + ">",
    "@" + " " * 19_990 + "@",
    "*x " * 6_000,
    "~a " * 6_000,
    "| " * 10_000,
    "1\t" * 10_000,
    "a|b\n" * 5_000,  # word-only table rows, each looking ahead for the table's next row
]


@pytest.mark.parametrize("text", LONG_RUNS, ids=[f"run-{i}" for i in range(len(LONG_RUNS))])
@pytest.mark.parametrize("expect", [Expect.line, Expect.invoice_number])
def test_long_runs_of_spaces_or_marks_are_read(text: str, expect: Expect) -> None:
    parse_strict(text, expect=expect)


@pytest.mark.parametrize("body", ["45%" + " " * 5_000 + "x", " " * 5_000, "skip" + " " * 5_000])
def test_one_answer_with_a_long_run_of_spaces_is_read(body: str) -> None:
    """`parse_body` (also called on table cells and form fields): its trailing-qualifier
    pattern once tried every split of a run of spaces (cubic: minutes at 3,000 spaces)."""
    parse_body(body, scope=Scope.current)


def test_an_answer_spread_over_a_long_run_of_spaces_is_still_read() -> None:
    [answer] = parse_strict("1:" + " " * 19_000 + "50%").answers
    assert answer.line == "1" and answer.progress is not None
    assert answer.progress.amount == Decimal(50)


def stored_rows(engine: Engine, invoice_id: int) -> dict[int, tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))
        return {
            r.sov_line_id: (
                r.new_quantity,
                r.new_value,
                r.materials_stored,
                r.retainage_held,
                r.retainage_released,
            )
            for r in rows
        }


def check_invoice(engine: Engine, commitment_id: int, period_id: int) -> int:
    """The invariants of a stored invoice; returns how many lines it has."""
    with Session(engine) as session:
        invoice = session.exec(
            select(Invoice).where(
                Invoice.commitment_id == commitment_id, Invoice.period_id == period_id
            )
        ).first()
        if invoice is None:
            return 0
        commitment = session.get(Commitment, commitment_id)
        assert commitment is not None
        rows = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
        for row in rows:
            for money in (
                row.new_value,
                row.materials_stored,
                row.retainage_held,
                row.retainage_released,
            ):
                assert isinstance(money, Decimal) and money.is_finite(), row
                assert money == money.quantize(Decimal("0.01")), row
            if row.new_quantity is not None:
                assert row.new_quantity.is_finite(), row
        figures = invoice_figures(session, invoice)
        assert totals_tie(figures.lines, figures.summary), figures.summary
        for line in figures.lines:
            if not commitment.allow_overbilling:
                assert line.percent_complete <= 100, line
            assert line.retainage_total >= 0, line
        return len(invoice_entries(session, invoice))


def reopen_if_sent(engine: Engine, commitment_id: int, period_id: int) -> None:
    """A sent invoice is locked for the contact; the administrator sends it back to go on."""
    with session_scope(engine) as session:
        invoice = session.exec(
            select(Invoice).where(
                Invoice.commitment_id == commitment_id, Invoice.period_id == period_id
            )
        ).first()
        if invoice is not None and invoice.status == InvoiceStatus.under_review:
            invoice.status = InvoiceStatus.revise_and_resubmit
            session.add(invoice)


def run_conversation(
    engine: Engine, ids: Ids, key: tuple[int, int], rnd: random.Random, answers: int
) -> dict[str, int]:
    service = ConversationService(engine, outbox=MemoryOutbox(), clock=lambda: NOW)
    service.start(person_id=ids.sam, commitment_id=key[0], period_id=key[1], channel="email")
    seen = {"turns": 0, "form_turns": 0, "answers": 0, "sent": 0, "bad_only": 0, "checks": 0}
    invoice_id: int | None = None
    while seen["answers"] < answers:
        if rnd.random() < 0.1:  # the Slack modal: one field per line (and a bogus line)
            form = {line: hostile_answer(rnd) for line in ("1", "2", "99") if rnd.random() < 0.7}
            text, count, bad_only = repr(form), len(form), False
            turn = Turn(line_values=form, channel="slack")
            seen["form_turns"] += 1
        else:
            count = rnd.choice([1, 1, 1, 2, 3, 5, 8])
            text = hostile_message(rnd, count)
            # Nothing readable at any step (the conversation may be at the lines, the
            # attachments or the review, where `line 2 +12. done` is an answer and a `next`).
            readings = [parse_strict(text, expect=expect) for expect in Expect]
            bad_only = not any(p.answers or p.commands or p.invoice_number for p in readings)
            turn = Turn(text=text, channel="email")
        before = stored_rows(engine, invoice_id) if invoice_id and bad_only else None
        result = service.handle(
            person_id=ids.sam, turn=turn, commitment_id=key[0], period_id=key[1]
        )
        assert result.replies and all(r.text.strip() for r in result.replies), text[:200]
        assert "Traceback" not in " ".join(r.text for r in result.replies)
        invoice_id = result.invoice_id or invoice_id
        seen["turns"] += 1
        seen["answers"] += count
        if before is not None:
            seen["bad_only"] += 1
            assert stored_rows(engine, invoice_id or 0) == before, text[:200]
        if result.status == Status.sent:
            seen["sent"] += 1
            reopen_if_sent(engine, *key)
        if bad_only or seen["turns"] % CHECK_EVERY == 0:
            check_invoice(engine, *key)
            seen["checks"] += 1
    check_invoice(engine, *key)
    return seen


def test_hostile_answers_through_the_conversation_never_corrupt_the_invoice(
    sqlite_engine: Engine,
) -> None:
    with session_scope(sqlite_engine) as session:
        ids = seed(session)
    rnd = random.Random(SEED + 1)
    runs = [  # three fifths on the unit-based commitment, the rest on the amount-based one
        ("SC-007 unit-based", (ids.sc7, ids.nov), CONVERSATION_ANSWERS * 3 // 5),
        ("SC-011 amount-based", (ids.sc11, ids.nov), CONVERSATION_ANSWERS * 2 // 5),
    ]
    total = 0
    with session_scope(sqlite_engine) as session:  # Sam bills SC-011 too, in this test
        session.add(CommitmentContact(commitment_id=ids.sc11, person_id=ids.sam))
    for name, key, answers in runs:
        seen = run_conversation(sqlite_engine, ids, key, rnd, answers)
        total += seen["answers"]
        print(f"conversation {name}: {seen}")
    print(f"conversation: {total} hostile answers (seed {SEED + 1})")
    assert total >= CONVERSATION_ANSWERS
