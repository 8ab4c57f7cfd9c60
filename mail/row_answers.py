"""Answers typed right below the quoted rows of billbot's own tables and prompts: `> 1
Conduit …` then `50%` is line 1's answer (`1: 50%`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from conversations.answers import Scope
from conversations.parse import parse
from mail.extract import InlineAnswer
from models.tables import SovLine

# A row of our tables and prompts opens with its line number: `1  Conduit …`, `1. Conduit …`,
# `| 1 | Conduit |…` (an HTML table), `Line 1 (Conduit), 1 of 3: …`, `- Line 2 (Panels): …`,
# and the template's `1:`.
_ROW_LEAD = re.compile(r"[-*•|\s]*(?:(?:line|l[ií]nea|item|partida)\s+)?#?\s*", re.I)
_ROW_AFTER_NUMBER = re.compile(r"[.:)]?(?:\s|$)|\s*[|(,]")
_ROW_FILLER = " .:|(),-–"
DESCRIBED_CHARS = 20  # of a description, enough to tell a line's row from another numbered row


def answers_under_rows(text: str, inline: Sequence[InlineAnswer], lines: Sequence[SovLine]) -> str:
    """`text` with each bare answer typed right below a quoted row of one of `lines` (`> 1
    Conduit …` then `50%`) written as that line's answer (`1: 50%`), in its place. An answer
    that names its line or is no line answer (`2: 30%`, `conduit 50%`, `send`, `thanks`)
    stays as it is, and so does one the parser would not read as the row's line's answer.

    All of `text` after what was written above the quote is made of the `inline` answers, so
    they are found from its end (the same answer written at the top as well is left alone)."""
    rows = text.split("\n")
    end = len(rows)
    for item in reversed(inline):
        number = _row_line(item.quote, lines)
        for typed in reversed(item.answer.split("\n")):
            if not typed.strip():
                continue
            at = next((i for i in range(end - 1, -1, -1) if rows[i] == typed), None)
            if at is None:
                return text  # not what the text holds: nothing is guessed
            end = at
            if number is not None and _bare_answer(typed, number):
                rows[at] = f"{number}: {typed.strip()}"
    return "\n".join(rows)


def _row_line(quote: str, lines: Sequence[SovLine]) -> str | None:
    """The line whose row `quote` is, or None: it opens with the line's number and then,
    if the line has a description, its description (cut as a table cuts it); the G702
    totals (`1. Original contract sum`) and sentences (`Line 1 was approved`) are no rows."""
    lead = _ROW_LEAD.match(quote)
    at = lead.end() if lead else 0
    for line in sorted(lines, key=lambda line: -len(line.number)):
        number = quote[at : at + len(line.number)]
        after = quote[at + len(number) :]
        if number.casefold() != line.number.casefold() or not _ROW_AFTER_NUMBER.match(after):
            continue
        said = " ".join(after.lstrip(_ROW_FILLER).split()).casefold()
        own = " ".join(line.description.lstrip(_ROW_FILLER).split()).casefold()
        if not said or said.startswith(own[:DESCRIBED_CHARS]):
            return line.number
    return None


def _bare_answer(typed: str, number: str) -> bool:
    """Whether `typed` is an answer naming no line (`50%`, `3 units`, `done`) that reads as
    line `number`'s answer once the number is put before it."""
    alone = parse(typed)
    if alone.invoice_number or alone.commands or alone.problems or alone.choice:
        return False
    if not alone.answers or any(a.scope is not Scope.current for a in alone.answers):
        return False
    named = parse(f"{number}: {typed.strip()}")
    if named.invoice_number or named.commands or named.problems or not named.answers:
        return False
    return all(
        a.scope is Scope.line and (a.line or "").casefold() == number.casefold()
        for a in named.answers
    )
