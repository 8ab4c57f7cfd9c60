"""Our own invite in a reply, pasted below the contact's text with no header or quote marks.

Some clients (and people copying by hand) put the email they answer below the reply as plain
text, with no `On … wrote:` or `From:` block to tell where it begins. Our invite is known by
its own sentences, in any of our languages: the invitation (`Jane Doe has invited you to bill
…`), the instructions (`How to answer: …`) and the template's marker line. Where one of them
stands, our email began at its first sentence of ours, or at the greeting (`Hi Sam,`) right
above that (a reminder's lead between them); everything from there on is history, however
much of it reads like answers (the SOV table, the template). Only sentences we wrote are
looked for, so the contact's text above them is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mail.invite import GREETING, HOW_TO, INVITED
from mail.reminder import LEAD
from mail.template import MARKERS
from models.i18n import LANGUAGES, words

__all__ = ["our_email_start"]

_PREFIX_CHARS = 40  # of a sentence: its first line, however the client wrapped it
_PLACE = re.compile(r"\{\w+\}")


def _key(line: str) -> str:
    return " ".join(line.split()).casefold()


def _opening(sentence: str) -> re.Pattern[str]:
    """How a line holding `sentence` (a catalog template) begins: its words up to the first
    `_PREFIX_CHARS` characters of its own, any text where it has `{places}`."""
    pattern, kept = "", 0
    for piece in re.split(r"(\{\w+\})", sentence):
        if kept >= _PREFIX_CHARS:
            break
        if _PLACE.fullmatch(piece):
            pattern += r".{1,200}?"
        else:
            piece = piece[: _PREFIX_CHARS - kept]
            pattern += r"\s+".join(map(re.escape, piece.split(" ")))
            kept += len(piece)
    return re.compile(pattern, re.I)


def _greeting(sentence: str) -> re.Pattern[str]:
    """`Hi {name},` as a whole line, the name any few words."""
    before, _place, after = sentence.partition("{name}")
    return re.compile(rf"{re.escape(before)}[^\W\d_][^\n,]{{0,60}}{re.escape(after)}", re.I)


_SAYINGS = [words(language) for language in LANGUAGES]
# Sentences only our invite holds (one is enough to tell it is there), and its greeting.
_OURS = tuple(_opening(_(sentence)) for _ in _SAYINGS for sentence in (INVITED, HOW_TO))
_MARKERS = frozenset(_key(marker) for marker in MARKERS)
_SCHEDULE = frozenset(_key(_("Schedule of values")) for _ in _SAYINGS)
_GREETINGS = tuple(_greeting(_(GREETING)) for _ in _SAYINGS)
_LEADS = tuple(_opening(_(LEAD)) for _ in _SAYINGS)
_LEAD_LINES = 3  # a reminder's lead, as wrapped, between the greeting and the invitation


def _is_ours(line: str) -> bool:
    text = line.strip()
    return (
        _key(text) in _MARKERS
        or _key(text).rstrip(":") in _SCHEDULE
        or any(sentence.match(text) for sentence in _OURS)
    )


def our_email_start(lines: Sequence[str], candidates: Sequence[int]) -> int | None:
    """The index where our invite begins among `lines`, or None when it is not there;
    `candidates` are the indexes of the lines that may be ours (not `>` quotes, not blank)."""
    ours = [index for index in candidates if _is_ours(lines[index])]
    if not any(_key(lines[i]).rstrip(":") not in _SCHEDULE for i in ours):
        return None  # a heading alone (`Schedule of values`) may be anyone's
    start = ours[0]
    above = [index for index in candidates if index < start]
    if above and _is_greeting(lines[above[-1]]):
        return above[-1]
    # A reminder's lead (`A reminder: we have not received …`) and its greeting above it.
    for position in range(len(above) - 1, max(len(above) - 1 - _LEAD_LINES, -1), -1):
        if any(lead.match(lines[above[position]].strip()) for lead in _LEADS):
            greeted = position > 0 and _is_greeting(lines[above[position - 1]])
            return above[position - 1] if greeted else above[position]
    return start


def _is_greeting(line: str) -> bool:
    return any(greeting.fullmatch(line.strip()) for greeting in _GREETINGS)
