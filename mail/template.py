"""Answers typed into the answer template we sent, found in the quoted part of a reply.

The invite says "reply and fill in the template below", and the most natural way to do that
is to click Reply and type after `1:`, `2:` inside the quoted invite (Gmail and Apple Mail quote
it with `>` or a blockquote; Outlook's inline replies leave it unmarked). The new text of such a
reply holds no answers, so we look for the template in the whole body and take the lines the
contact changed, comparing each with the template exactly as we sent it: a line we wrote
ourselves (a suggested invoice number, the closing `send`) is never read as an answer, and
nothing outside the template (the SOV table, the instructions) is read at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from conversations.answers import LineAnswer, Scope
from conversations.context import described
from conversations.parse import parse
from conversations.vocabulary import FINISHED
from models.i18n import ENGLISH, LANGUAGES, N_, Words, words
from models.outbox import OutboundMessage

TEMPLATE_MARKER = N_("---- answer template ----")  # the line above the template in our emails
MARKERS = frozenset(words(language)(TEMPLATE_MARKER) for language in LANGUAGES)
WINDOW = 6  # body lines searched for the next template line (the contact's own lines between)
_QUOTE = re.compile(r"^(?:[ \t]*>)+[ \t]?")

TEMPLATE_READ = N_("I read your answers from the template you filled in, in the quoted email.")
QUOTED_READ = N_("I read the answers you typed into the quoted email.")


def template_left_text(answers: Sequence[str], _: Words = ENGLISH) -> str:
    """The note when a reply has answers on top and a filled-in template below as well."""
    return _(
        "You also filled in the template in the quoted email below ({answers}). I used the "
        "answers you wrote at the top and left the template alone; to use those as well, write "
        "them at the top of your reply.",
        answers="; ".join(answers),
    )


def with_top(
    top: str, answers: Sequence[str], *, lines: Mapping[str, str] | None = None
) -> str | None:
    """`top` (what was written above the quote) and the `answers` typed into the quoted email
    as one message, when they answer different things (`INV-0043` on top, `1: 50%` in the
    template); an answer given in both alike is read once. None when they answer one thing
    differently (the invoice number, a line), or the top answers without naming its line
    (`50%`, `all done`), which might be any of them: then the top is read alone.

    `lines` (number -> description, the commitment's SOV) tell which line a top answer names
    by its description (`panels 3 units`); without them, or when it fits no line or several,
    such an answer might be any line's too."""
    written = parse(top)
    on_top: dict[str, tuple[object, ...]] = {}
    for given in written.answers:
        line = given.line or _described_line(given, lines or {})
        if given.scope is not Scope.line or not line:
            return None
        on_top[line.casefold()] = _value(given)
    kept: list[str] = []
    for answer in answers:
        typed = parse(answer)
        number = typed.invoice_number
        if number and written.invoice_number:
            if number.casefold() != written.invoice_number.casefold():
                return None
            continue
        said = {(a.line or "").casefold(): _value(a) for a in typed.answers}
        if said.keys() & on_top.keys():
            if any(on_top.get(line, value) != value for line, value in said.items()):
                return None
            continue
        kept.append(answer)
    return "\n".join([top, *kept])


def _described_line(answer: LineAnswer, lines: Mapping[str, str]) -> str | None:
    """The one line of `lines` an answer names by its description (`panels 3 units`)."""
    fits = described(lines, answer.described) if answer.described else ()
    return fits[0] if len(fits) == 1 else None


# Above a filled-in template, a top may only point to it: say the contact is finished (`All
# done`, `Todo listo`) or where the answers are (`see below`, `abajo van los números`). There
# `done` means "I'm finished", never "every line 100%". The pieces of a top: its lines, its
# sentences, its clauses (a comma that is no thousands separator, a spaced dash).
_PIECE = re.compile(r"([.!;]+(?:[ \t]+|$)|,(?!\d{3})[ \t]*|[ \t]+[-–—]+[ \t]+|\n)")
_DANGLING = re.compile(r"(?:[,;]|[ \t][-–—]+)?[ \t]*$")
_PLACES = r"below|underneath|inline|template|plantilla|abajo|here|ah[ií]|aqu[ií]|filled"
_PLACE = re.compile(_PLACES)
_POINTING = re.compile(
    rf"{_PLACES}|see|find|check|look|please|the|my|our|all|everything|numbers|answers|figures"
    r"|quantities|amounts|progress|details|form|are|is|in|out|entered|typed|put|you|go|they|it"
    r"|van|va|est[aá]n?|los|las|el|la|mis|n[uú]meros|respuestas|cantidades|montos|datos"
    r"|avances|en|le|les|todo|done|complete|completed|red|blue|green|bold|highlighted|yellow|rojo"
    r"|azul|verde|negrita|amarillo"
)


def top_beside_template(top: str) -> str:
    """`top` without the pieces that only point to the answers typed into the quoted email
    (`All done, see below. Send` -> `Send`); `top` itself when it has none."""
    parts = _PIECE.split(top)
    pieces = list(zip(parts[::2], [*parts[1::2], ""], strict=True))
    if not any(_points_below(piece) for piece, _separator in pieces):
        return top
    kept = "".join(
        ("\n" if "\n" in separator else "") if _points_below(piece) else piece + separator
        for piece, separator in pieces
    )
    return "\n".join(_DANGLING.sub("", line) for line in kept.split("\n")).strip()


def _points_below(piece: str) -> bool:
    """`All done`, `Listo`, `see below`, `numbers below`, `ahí van`: said of the whole reply."""
    text = piece.strip()
    if FINISHED.fullmatch(text):
        return True
    said = re.findall(r"[^\W\d_]+", text.casefold())
    return (
        not any(c.isdigit() for c in text)
        and any(_PLACE.fullmatch(word) for word in said)
        and all(_POINTING.fullmatch(word) for word in said)
    )


def _value(answer: LineAnswer) -> tuple[object, ...]:
    """What a line answer says, however it was written."""
    return (answer.progress, answer.stored, answer.released, answer.release_all)


def quoted_left_text(answers: Sequence[str], _: Words = ENGLISH) -> str:
    """The note when a reply has answers on top and answers typed into the quoted email
    (below its rows, or into the template) that say otherwise."""
    return _(
        "You also typed answers into the quoted email below ({answers}). I used the answers "
        "you wrote at the top and left those alone; to use them as well, write them at the top "
        "of your reply.",
        answers="; ".join(answers),
    )


@dataclass(frozen=True)
class Slot:
    """One line of the template: `key: value` (`1:`, `Invoice number: INV-0042`) or a
    bare word (`send`, value None)."""

    key: str
    value: str | None

    @classmethod
    def of(cls, line: str) -> Slot:
        key, colon, value = line.partition(":")
        return cls(key.strip(), value.strip()) if colon else cls(line.strip(), None)

    def read(self, line: str) -> str | None:
        """The value on `line` if it is this slot's line (any case and spacing), else None."""
        if self.value is None:
            return "" if _same(line, self.key) else None
        key, colon, value = line.partition(":")
        return value.strip() if colon and _same(key, self.key) else None


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


# `[SS] 50%`, `[Sam Sparks] 50%`: the initials or the name people put before what they type
# into an email they answer (Outlook's "Preface comments with").
_INITIALS = re.compile(r"\s*\[(?:[A-Z]{2,4}|[A-Z][\w'.-]*(?:,?\s[A-Z][\w'.-]*){0,3})\]\s*:?\s*")


def without_initials(typed: str) -> str:
    """`typed` without the writer's initials or name before it."""
    initials = _INITIALS.match(typed)
    return typed[initials.end() :].strip() if initials else typed.strip()


def unquoted(line: str) -> str:
    """A body line without its `>` quote marks and surrounding blanks."""
    return _QUOTE.sub("", line).strip()


def filled_in(body: str, template: str) -> tuple[str, ...]:
    """The answers the contact typed into `template` somewhere in `body`, as answer lines
    (`1: 50%`, `Invoice number: INV-0043`); empty when the template is not there or was sent
    back as it was. Where the template appears more than once (a reminder quoting the invite),
    the first copy with changes counts."""
    slots = [Slot.of(line) for line in template.splitlines() if line.strip()]
    lines = [unquoted(line) for line in body.splitlines()]
    if len(slots) < 2:
        return ()
    for start, line in enumerate(lines):
        # A copy begins at its first line, or below our marker when that line was deleted.
        if slots[0].read(line) is None and not any(_same(line, m) for m in MARKERS):
            continue
        answers = _read_copy(lines, start, slots)
        if answers:
            return answers
    return ()


def _read_copy(lines: Sequence[str], start: int, slots: Sequence[Slot]) -> tuple[str, ...]:
    """The changed slots of the template copy beginning at `lines[start]`, or () when too few
    of its slots are there for it to be our template."""
    found: list[tuple[Slot, str, list[str]]] = []  # slot, value on its line, lines typed after
    position = start
    for slot in slots:
        for index in range(position, min(position + WINDOW, len(lines))):
            value = slot.read(lines[index])
            if value is None:
                continue
            if found:  # lines between two slots were typed by the contact under the first
                found[-1][2].extend(line for line in lines[position:index] if line)
            found.append((slot, value, []))
            position = index + 1
            break
    if len(found) * 2 < len(slots) + 1:  # fewer than half of its lines: not our template
        return ()
    return tuple(answer for slot, value, extra in found if (answer := _answer(slot, value, extra)))


def _answer(slot: Slot, value: str, extra: Iterable[str]) -> str | None:
    if slot.value is None:
        return None  # a bare word we wrote (`send`): never the contact's answer
    typed = [value] if value and not _same(value, slot.value) else []
    typed += [line for line in extra if not _same(line, slot.value)]
    typed = [answer for line in typed if (answer := without_initials(line))]
    return f"{slot.key}: {', '.join(typed)}" if typed else None


def template_of(row: OutboundMessage) -> str | None:
    """The answer template an outbound email carried (kept in its payload; older rows: the
    lines after the marker in its text)."""
    kept = row.data().get("answer_template")
    if kept:
        return str(kept)
    body = row.body_text or ""
    marker = next((m for m in MARKERS if m in body), "")
    _head, marker, tail = body.partition(marker) if marker else (body, "", "")
    if not marker:
        return None
    return tail.strip() or None


def sent_emails(session: Session, message_ids: Sequence[str | None]) -> list[OutboundMessage]:
    """Our emails among `message_ids` (the thread being answered, nearest first), in order."""
    ids = [message_id for message_id in message_ids if message_id]
    if not ids:
        return []
    statement = select(OutboundMessage).where(
        col(OutboundMessage.channel) == "email", col(OutboundMessage.message_id).in_(ids)
    )
    rows = {row.message_id: row for row in session.exec(statement)}
    return [rows[message_id] for message_id in dict.fromkeys(ids) if message_id in rows]


def sent_template(session: Session, message_ids: Sequence[str | None]) -> str | None:
    """The template of the newest of our emails among `message_ids` (the thread being
    answered, nearest first) that carried one."""
    for row in sent_emails(session, message_ids):
        template = template_of(row)
        if template:
            return template
    return None
