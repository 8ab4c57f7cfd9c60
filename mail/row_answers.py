"""Answers typed right below the quoted rows of billbot's own tables and prompts: `> 1
Conduit …` then `50%` is line 1's answer (`1: 50%`).

Quoted with `>` (Gmail, Apple Mail, Thunderbird), the answers are the lines written below a
quote (`answers_under_rows`). Outlook quotes nothing: the email answered follows its header
block, cut from the reply's text with it, so the answers typed in it are found by comparing
it with the email as we sent it (`answers_in_history`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from conversations.answers import Scope
from conversations.parse import parse
from mail.extract import InlineAnswer
from mail.template import MARKERS, unquoted, without_initials
from models.tables import SovLine

# A row of our tables and prompts opens with its line number: `1  Conduit …`, `1. Conduit …`,
# `| 1 | Conduit |…` (an HTML table), `Line 1 (Conduit), 1 of 3: …`, `- Line 2 (Panels): …`,
# and the template's `1:`.
_ROW_LEAD = re.compile(r"[-*•|\s]*(?:(?:line|l[ií]nea|item|partida)\s+)?#?\s*", re.I)
_ROW_AFTER_NUMBER = re.compile(r"[.:)]?(?:\s|$)|\s*[|(,]")
_ROW_FILLER = " .:|(),-–"
DESCRIBED_CHARS = 20  # of a description, enough to tell a line's row from another numbered row
WRAPPED_CHARS = 50  # a quoted line at least this long may have been wrapped by the client
# What the tail of one of our rows holds: figures (`$11,250.00`, `50.00%`), units (`LF`), `@`.
_WRAPPED_TOKEN = re.compile(r"[-+($€]*\d[\d,.]*%?\)?|[^\W\d_]{1,3}\.?|[@×|/*—–-]+|…")


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
        number = _row_of(item, lines)
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


HISTORY_LINES = 3000  # a longer body is not compared line by line


def answers_in_history(body: str, sent: Sequence[str], lines: Sequence[SovLine]) -> tuple[str, ...]:
    """The answers typed in the copy of our email that `body` holds, below one of its rows
    of `lines` or at the end of the row (`1  Conduit … $11,250.00  50%`), as answer lines
    (`1: 50%`); `sent` is our email in each of its renderings (text, HTML as text), the first
    one that `body` holds answers in counts. Only what reads as the row's line's answer is
    taken; nothing of the template (read by `mail.template`) nor of what we wrote."""
    theirs = [_words(line) for line in body.split("\n")[:HISTORY_LINES]]
    for rendering in sent:
        ours = [_words(line) for line in rendering.split("\n")]
        end = next((i for i, words in enumerate(ours) if _key(words) in _MARKERS), len(ours))
        found = _typed_in(ours[:end], theirs, lines, ours_text=[f" {_key(w)} " for w in ours])
        if found:
            return found
    return ()


_MARKERS = frozenset(" ".join(marker.split()).casefold() for marker in MARKERS)


def _words(line: str) -> list[str]:
    """A line's words as both renderings of a table write them (cells apart by `|` or
    blanks), without `>` quotes."""
    return unquoted(line).replace("|", " ").split()


def _key(words: Sequence[str]) -> str:
    return " ".join(words).casefold()


def _typed_in(
    ours: list[list[str]],
    theirs: list[list[str]],
    lines: Sequence[SovLine],
    *,
    ours_text: Sequence[str],
) -> tuple[str, ...]:
    ours = [words for words in ours if words]
    theirs = [words for words in theirs if words]
    # (a bare `1:` is the template's, read by `mail.template`; the HTML has no marker)
    rows = [_row_line(" ".join(words), lines) if len(words) > 1 else None for words in ours]
    if not any(rows):
        return ()
    matcher = SequenceMatcher(None, list(map(_key, ours)), list(map(_key, theirs)), autojunk=False)
    found: list[str] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag not in ("insert", "replace"):
            continue
        # Their lines where ours were: a line of ours with words added at its end (typed at
        # the end of a row), else lines typed below the line of ours before them; what
        # follows our last line is the rest of the thread, not our email.
        at = a1
        for typed in theirs[b1:b2]:
            row = ours[at] if at < a2 else None
            if row is not None and _key(typed[: len(row)]) == _key(row):
                if len(typed) > len(row) and (number := rows[at]):
                    found.append(_answer(" ".join(typed[len(row) :]), number))
                at += 1
            elif 0 < at < len(ours) and (number := rows[at - 1]) and not _ours(typed, ours_text):
                found.append(_answer(" ".join(typed), number))
    return tuple(answer for answer in found if answer)


OWN_WORDS = 3  # a line of this many words found in our email is ours, wrapped otherwise


def _ours(typed: Sequence[str], ours_text: Sequence[str]) -> bool:
    """Whether `typed` is a piece of a line we wrote (a client re-wrapped our text); a short
    answer (`50%`, `3 units`) is the contact's even if our text holds it as an example."""
    key = f" {_key(typed)} "
    return len(typed) >= OWN_WORDS and any(key in line for line in ours_text)


def _answer(typed: str, number: str) -> str:
    """`typed` as line `number`'s answer (`1: 50%`), or "" when it is none."""
    typed = without_initials(typed)
    if _bare_answer(typed, number):
        return f"{number}: {typed.strip()}"
    named = parse(typed)
    readable = named.answers and not (named.invoice_number or named.commands or named.problems)
    if readable and all((a.line or "").casefold() == number.casefold() for a in named.answers):
        return typed.strip()
    return ""


def _row_of(item: InlineAnswer, lines: Sequence[SovLine]) -> str | None:
    """The line whose row the answer was typed below: the quoted line right above it, or a
    row the client wrapped over that line and the ones above it (`> 1  Conduit … $3,750.00` /
    `> $11,250.00`): each line that was wrapped is long, as a wrap leaves it, and what was
    wrapped onto the next lines is a row's figures and units."""
    number = _row_line(item.quote, lines)
    wrapped = [item.quote]
    for above in reversed(item.above):
        if number is not None or len(above) < WRAPPED_CHARS:
            break
        if not all(_WRAPPED_TOKEN.fullmatch(token) for token in wrapped[0].split()):
            break
        number = _row_line(" ".join([above, *wrapped]), lines)
        wrapped.insert(0, above)
    return number


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
