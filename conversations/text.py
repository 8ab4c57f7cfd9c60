"""Cleaning a message before it is parsed: Unicode, bullets, quotes, separators, size caps.

Phones and mail clients send non-breaking spaces, smart quotes, full-width or
Arabic-Indic digits, zero-width marks and bullets; all are folded here so the
grammar only ever sees plain ASCII-ish text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from conversations.answers import (
    NUMBER_WORD,
    Problem,
    Scope,
    number_said,
    parse_body,
    words_to_numbers,
)
from conversations.table import table_lines
from conversations.vocabulary import ASKED_SEND, LINE_WORD, MONTH, POLITE_AFTER

MAX_CHARS = 20_000  # a message longer than this is read only this far (and we say so)
MAX_FRAGMENTS = 300
MAX_FRAGMENT_CHARS = 200

_TRANSLATE = str.maketrans(
    {
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
        "\u066a": "%",  # Arabic percent sign
        "\u060c": ",",  # Arabic comma
        "\u061b": ";",  # Arabic semicolon
        "\u2212": "-",  # minus sign
        "\u2010": "-",
        "\u2011": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2026": "...",
    }
)
_BULLET = re.compile(r"^(?:[*•·◦▪▫►▶➤→>]+\s*)+")
_DASH_BULLET = re.compile(r"^[-–—]\s+(?P<rest>.+)$")
_BARE_AMOUNT = re.compile(r"\$?\s*[\d.,]+")
_NUMBER_TAIL = re.compile(r"[\d.,]*$")
# Bold and italics from Slack, markdown or a mail's text part (`1: *50%*`, `**1**: 50%`) are
# read without their marks; struck-out text (`~1: 40%~ 1: 50%`) was taken back, and is left
# out. `~45%` (about) and `INV_0042` are not marks.
_EMPHASIS = re.compile(r"(?<![\w*_~])([*_]{1,2})(?=[^\s*_])(.{1,200}?)(?<=[^\s*_])\1(?![\w*_])")
_STRUCK = re.compile(r"(?<![\w~])~(?=[^\s~])(.{1,200}?)(?<=[^\s~])~(?![\w~])")
# `1 -> 50%`, `1 → 50%`: an arrow after a line is its answer; `line 1 @ 50%` is `at 50%`
_ARROW = re.compile(r"(?<!\s)\s*(?:-+>|=+>|[→⇒➔➜➝➞⟶])\s*")
_AT = re.compile(r"(?<!\s)\s+@\s*(?=[~$.\d])")
# `Nº 2`, `N° 2` (número): `No. 2`, which the parser reads as a number sign; as they are, NFKC
# would leave `No 2` and the degree sign go with the symbols (`N 2`)
_NUMERO = re.compile(r"(?<![^\W\d_])N[°º]\.?", re.IGNORECASE)
# `2º: 3`, `1ª: 50%`: the second line (NFKC would make them `2o`, `1a`, a line `2o`)
_ORDINAL_MARK = re.compile(r"(?<=\d)[ºª]\.?(?=\s*[:=])")


def normalize(text: str, *, tabs: bool = False) -> str:
    """NFKC, ASCII digits, plain spaces and quotes; control and format characters dropped;
    tabs kept with `tabs` (they separate a pasted table's cells), else spaces."""
    if "°" in text or "º" in text or "ª" in text:
        text = _ORDINAL_MARK.sub("", _NUMERO.sub("No.", text))
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.translate(_TRANSLATE)
    out: list[str] = []
    for ch in text:
        if ch.isascii() and (ch.isprintable() or ch == "\n" or (tabs and ch == "\t")):
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category == "Nd":
            out.append(str(unicodedata.decimal(ch, 0)))
        elif category in ("Zl", "Zp"):
            out.append("\n")
        elif category == "Zs" or ch == "\t":
            out.append(" ")
        elif category[0] == "C":
            continue  # control, format (zero-width, direction marks), surrogates
        else:
            out.append(ch)
    kept = "".join(out)
    # A control character dropped between two combining marks (`¯\x1f𑇊`) leaves them next
    # to each other out of their canonical order: NFKC once more puts them in it.
    return kept if kept.isascii() else unicodedata.normalize("NFKC", kept)


def _without_emoji(fragment: str) -> str:
    """`1: 50% 👍`, `INV-0042 ✅`, `send 🙏` -> without them; an emoji alone (`👍`) stays."""
    kept = "".join(" " if _emoji(ch) else ch for ch in fragment)
    return kept if kept.strip() else fragment


def _emoji(ch: str) -> bool:
    skin_tone = "\U0001f3fb" <= ch <= "\U0001f3ff"
    return unicodedata.category(ch) == "So" or ch in _EMOJI_JOINERS or skin_tone


_EMOJI_JOINERS = "\u200d\ufe0f\ufe0e"  # zero-width joiner, variation selectors
# A line checked off or crossed out (`4 ✅`, `line 4 ❌`, `✅ 4`): the mark is its answer, read
# by the parser as `4 done` / `4 skip` would be. Dropped like other emoji, it would leave a
# bare `4`: four units, or $4, on the line being asked.
TICKS = "✅✔☑✓👍👌🆗"
CROSSES = "❌✖✗✘☒❎👎🚫⛔"


def _marked(fragment: str) -> str | None:
    """`4 ✅`, `- line 4: ❌`, `✅ 4 thanks` -> `4 ✅`, `line 4: ❌`, `4 ✅`: a line reference and
    its mark, else None. Marks of both kinds (`4 ✅❌`) are kept, to be refused."""
    marks = "".join(dict.fromkeys(ch for ch in fragment if ch in TICKS or ch in CROSSES))
    if not marks:
        return None
    rest = "".join(" " if ch in marks or _emoji(ch) else ch for ch in fragment)
    rest = _BULLET.sub("", " ".join(rest.split())).lstrip("-–— ").rstrip(",;.! ")
    match = _MARKED_REF.fullmatch(rest)
    if match is None:
        return None
    return f"{match['ref'].strip()}{(match['sep'] or '').strip()} {marks}"


def split_marks(piece: str) -> list[str]:
    """`1 ✅ 2 ✅ 3 ❌` -> one piece for each line marked."""
    if piece.isascii() or not _MARKS_LIST.fullmatch(piece):
        return [piece]
    return [found.group() for found in _ONE_MARKED.finditer(piece)]


# `4?`, `1: 50%?`: a figure with a question mark is asked about, not billed; the mark is kept
# for the parser (a question ending with a word, `what's left?`, loses it here)
_QUESTIONED_FIGURE = re.compile(r"[\d%]\s*\?+$")


def clean_fragment(fragment: str) -> str:
    """Strip bullets, wrapping quotes/markdown, emoji beside words, trailing punctuation and
    extra spaces; a line's tick or cross (`4 ✅`) and a question mark after a figure (`4?`)
    are kept for the parser."""
    if not fragment.isascii():
        fragment = _marked(fragment) or _without_emoji(fragment)
    text = " ".join(fragment.split())
    text = _BULLET.sub("", text)
    dash = _DASH_BULLET.match(text)
    if dash and not _BARE_AMOUNT.fullmatch(dash["rest"]):
        text = dash["rest"]  # `- 1: 50%` is a bullet; `- 500` stays a negative amount
    text = text.strip(" \"'`*_~").lstrip("¿¡ ")  # `¿qué falta?`
    stripped = text.rstrip(".!")
    asked = _QUESTIONED_FIGURE.search(stripped) or ASKED_SEND.fullmatch(stripped)
    if stripped.endswith("?") and stripped.strip("?") and not asked:
        stripped = stripped.rstrip("?")
    return stripped.strip()


def split_answers(line: str) -> list[str]:
    """Split one line at every `;`, and at each `,` not inside a number or parentheses.

    `1,200` stays one number (and `12,5` too, so that it can be refused); a comma
    after a number that already has its decimal point (`30,000.50,3: 5`) can only
    be a separator; `1 (Conduit, 1,200 LF): 50%` keeps its note whole.
    """
    pieces: list[str] = []
    start = depth = 0
    for index, ch in enumerate(line):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == ";" or (
            ch == ","
            and depth == 0
            and not _in_number(line, start, index)
            and not _listing_lines(line, start, index)
        ):
            pieces.append(line[start:index])
            start = index + 1
    pieces.append(line[start:])
    return pieces


def _listing_lines(line: str, start: int, index: int) -> bool:
    """`1, 2: done`, `lines 1, 2 and 4: 50%`: the comma lists lines for one answer."""
    return bool(_REFS_SO_FAR.fullmatch(line, start, index) and _MORE_REFS.match(line, index + 1))


# `1, 2`, `1 & 2`, `1 and 2`, `la 1 y la 2` (`1,200` is a number)
_LIST_AND = r"(?:,\s+|\s*(?:&|\band\b|\by\b)\s*)"
_ARTICLE = r"(?:(?:la|el|las|los)\s+)?"
_REFS_SO_FAR = re.compile(
    r"\s*(?:(?:from|de)\s+)?"  # `from 1 to 3: skip`, `de la 1 a la 3: 50%`
    rf"{_ARTICLE}(?:(?:line|item|l[ií]nea|partida)s?\.?\s*)?#?\s*\d{{1,6}}[a-z]?"
    rf"(?:{_LIST_AND}{_ARTICLE}#?\s*\d{{1,6}}[a-z]?)*\s*"
    # before the last
    r"(?:,|&|\b(?:and|y|to|through|thru|hasta|a|al)\b|\s-|-)?\s*(?:(?:la|el)\s*)?",
    re.IGNORECASE,
)
_MORE_REFS = re.compile(
    rf"\s*{_ARTICLE}#?\s*\d{{1,6}}[a-z]?(?:{_LIST_AND}{_ARTICLE}#?\s*\d{{1,6}}[a-z]?)*\s*"
    rf"(?:[:=]|[{TICKS}{CROSSES}])",
    re.IGNORECASE,
)  # `1, 2 ✅` too


_MARK = rf"[{TICKS}{CROSSES}]"
# `4`, `line 4`, `#4`, `1, 2 and 4`, `lines 1 & 2`: the lines a mark is for
_MARKED_REFS = (
    rf"(?:{LINE_WORD}s?\.?\s*(?:no\.?\s*)?#?|#)?\s*\d{{1,6}}[a-z]?"
    rf"(?:{_LIST_AND}#?\s*\d{{1,6}}[a-z]?)*"
)
_MARKED_REF = re.compile(
    rf"(?P<ref>{_MARKED_REFS})(?P<sep>\s*[:=\-–—])?(?:,?\s+(?:{POLITE_AFTER}))?", re.IGNORECASE
)
_ONE_MARK = rf"(?:{LINE_WORD}\.?\s*|#)?\d{{1,6}}[a-z]?\s*[:=\-–—]?\s*{_MARK}"
_MARKS_LIST = re.compile(
    rf"(?:\s*{_ONE_MARK}[\ufe0f\ufe0e\U0001f3fb-\U0001f3ff]*\s*[.!]?){{2,}}\s*", re.IGNORECASE
)
_ONE_MARKED = re.compile(_ONE_MARK, re.IGNORECASE)


def _in_number(line: str, start: int, index: int) -> bool:
    if not (line[index - 1 : index].isdigit() and line[index + 1 : index + 2].isdigit()):
        return False
    tail = _NUMBER_TAIL.search(line[max(start, index - 40) : index])
    if tail is None:
        return False
    if "." not in tail.group():
        return True
    # `7.500,00`: points between groups of three, then a decimal comma (as Spanish writes
    # it) is one number, to be refused whole, never read as 7.5 and a stray `00`.
    return bool(_DOT_GROUPS.search(tail.group())) and not _LINE_REF_AFTER.match(line, index + 1)


_DOT_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+$")
_LINE_REF_AFTER = re.compile(r"\d{1,6}[a-z]?\s*[:=)]", re.IGNORECASE)


# A line word written in full: `line two`, `línea tres` (dictated) name lines 2 and 3 too
_FULL_LINE_WORD = r"(?:line|ln|item|l[ií]nea|partida|rengl[oó]n|concepto)"
_WORDED = rf"{_FULL_LINE_WORD}\.?\s+(?:no\.?\s*)?#?\s*{NUMBER_WORD}\b(?!-)"


# Where a second answer starts inside one line: `1: 80 lf 2: 1 ea 3: 20 ea`, `L1 45% L2 30%`,
# `1: 50% / 4: 20%` (not `1/2` or `4 / 8`, which no line reference follows).
_INNER_REF = re.compile(
    r"(?<!\s)(?:\s*/)?\s+(?=(?:(?:line|ln|item|l[ií]nea|partida|rengl[oó]n|concepto|l|#)\.?\s*#?\s*\d{1,6}[a-z]?\b"
    rf"|\d{{1,6}}[a-z]?\s*[:=)]|{_WORDED}))",
    re.IGNORECASE,
)
_ANSWER_WORDS = r"skip|none|nothing|done|complete[d]?"  # words that answer a line alone
_ANSWERED = re.compile(
    rf"\d|%|\b(?:{_ANSWER_WORDS}|finished|n/a|nada|ningun[oa]|omitir|list[oa]s?|complet[oa]s?"
    r"|completad[oa]s?|terminad[oa]s?)(?!\w)",
    re.IGNORECASE,
)
# The line a piece starts with (`line 2 …`, `#2 …`, `2: …`), not a figure that starts it
# (`50 percent`, `$500`, `3 dollars`)
_LEADING_REF = re.compile(
    r"^[^\w$]*(?:line|ln|item|l[ií]nea|partida|l|#)?\.?\s*#?\s*\d{1,6}(?!\d|[,.]\d)"
    r"(?!\s*(?:percent|per\s*cent|pct|por\s*ciento|porciento|dollars?|d[oó]lares|usd|dlls?|dls)\b)"
    r"[a-z]?",
    re.IGNORECASE,
)


# `50% on line 1`, `3 units for item 2`, `$4,500 on line 7`, `done on line 3`, `50% en la
# línea 1`: the value before the line it is for, read as `1: 50%`. Only a value holding a
# figure or a word that answers (`done`, `skip`) moves; `edit line 2` stays as it is. The
# line is found first and its value looked for in the few words before it, so that a long
# line costs linear time.
_LINE_AFTER = re.compile(
    r"(?<!\s)\s+(?:(?:(?:on|for|in|to)\s+(?:the\s+)?(?:line|ln|item|sov)"
    r"|(?:en|para|de)\s+(?:la\s+)?(?:l[ií]nea|partida))"
    r"\s*(?:no\.?\s*)?#?\s*(?:(?P<ref>\d{1,6}(?:\.\d{1,4})*[a-z]?)(?!\w|\.\d)"
    rf"|(?P<ref_word>{NUMBER_WORD})(?![\w-]))"
    # `50% line 2`, `skip item 3`: the line named last, nothing after it
    r"|(?:line|ln|item|l[ií]nea|partida)\s*(?:no\.?\s*)?#?\s*"
    rf"(?:(?P<last>\d{{1,6}}(?:\.\d{{1,4}})*[a-z]?)|(?P<last_word>{NUMBER_WORD})(?![\w-]))"
    r"(?=\s*(?:[,;!?]|\.(?!\d)|$)))",
    re.IGNORECASE,
)
_VALUE_BEFORE = re.compile(r"(?<!\w)(?:[^.;:\n]|(?<=\d)\.(?=\d)){1,40}$")  # from a word's start
_ANSWERING = re.compile(rf"\d|\b(?:{_ANSWER_WORDS}|finished|half)\b", re.IGNORECASE)
# A piece that starts by naming its line (`line 1 50%`, `línea dos 40%`, `#3 done`)
_NAMED_FIRST = re.compile(
    rf"[^\w$]*(?:(?:{LINE_WORD}\.?\s*(?:no\.?\s*)?#?|#)\s*\d{{1,6}}[a-z]?\b|{_WORDED})",
    re.IGNORECASE,
)


def _answering(value: str) -> bool:
    """Whether `value` holds an answer: a figure, a word that answers, or a figure in words
    (`fifty percent on line 2`) that reads as an answer whole."""
    if _ANSWERING.search(value):
        return True
    said = words_to_numbers(value)
    return said != value and not isinstance(parse_body(value, scope=Scope.line), Problem)


def line_first(chunk: str, *, after_ref: bool = False) -> str:
    """`50% on line 1` -> `1: 50%` (each such answer in `chunk`). `after_ref`: the chunk
    follows a line named alone (`Line 1, 50% line 2, 3 units`), whose answer starts it."""
    out: list[str] = []
    done = 0
    for found in _LINE_AFTER.finditer(chunk):
        before = _VALUE_BEFORE.search(chunk, max(done, found.start() - 60), found.start())
        if before is None or not _answering(before.group()):
            continue
        worded = found["ref_word"] or found["last_word"]
        ref = found["ref"] or found["last"] or number_said(worded)
        if not (found["ref"] or found["ref_word"]) and (
            chunk[: before.start()].rstrip().endswith((":", "="))
            or _NAMED_FIRST.match(chunk, done, found.start())
            or _NAMED_FIRST.match(before.group())
            or (after_ref and not chunk[done : before.start()].strip())
        ):
            continue  # `1: 50% line 2`, `line 1 50% line 2`: the value has its line already
        value = before.group()
        lead = value[: len(value) - len(value.lstrip())]
        out += [chunk[done : before.start()], f"{lead}{ref}: {value.strip()}"]
        done = found.end()
    out.append(chunk[done:])
    return "".join(out)


# A time of day (`3:15`, `2:05 pm`): no line and its answer. Told by what is beside it: a
# suffix (`pm`, `hrs`), or a word or a date before it (`at 3:15`, `11/30 3:15`, `Nov 30 3:15`)
_CLOCK = re.compile(
    r"(?<![\d.,:$/])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d%.,:/])"
    r"(?P<suffix>\s*(?:[ap]\.?\s?m\b\.?|hrs?\b|h\b|o'?clock\b))?",
    re.IGNORECASE,
)
_TIME_BEFORE = re.compile(
    r"(?:\b(?:at|by|around|from|until|till|before|after|las?|desde|hasta|antes\s+de"
    r"|despu[eé]s\s+de)|@|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    rf"|\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?|\b\d{{1,2}}\s+(?:de\s+)?{MONTH})\s*$",
    re.IGNORECASE,
)


def clock_times(fragment: str) -> list[str]:
    """The times of day in `fragment` (`see you 11/30 at 3:15` -> [`3:15`]): a suffix or
    the words before one say so, or it is all there is (`2:30`: a time, or line 2's 30?)."""
    if ":" not in fragment:
        return []
    found = []
    for match in _CLOCK.finditer(fragment):
        alone = match.group().strip() == fragment.strip()
        before = _TIME_BEFORE.search(fragment, max(match.start() - 40, 0), match.start())
        if alone or match["suffix"] or before:
            found.append(match.group().strip())
    return found


def _clock_at(piece: str, start: int) -> bool:
    """Whether a time of day starts at `start` (`at 3:15` is no line 3)."""
    match = _CLOCK.match(piece, start)
    if match is None:
        return False
    return bool(match["suffix"] or _TIME_BEFORE.search(piece, max(start - 40, 0), start))


def split_line_refs(piece: str, *, after_ref: bool = False) -> list[str]:
    """`1: 80 lf 2: 1 ea` -> [`1: 80 lf`, `2: 1 ea`]: a new line reference starts a new answer
    once the text before it holds one (so `edit line 2` stays whole). `after_ref`: the piece
    follows a line named alone (`Line 1, 50 percent. Line 2, …`): a figure starting it is
    that line's answer, not a line."""
    parts: list[str] = []
    start = 0
    for match in _INNER_REF.finditer(piece):
        if _clock_at(piece, match.end()):
            continue  # `see you 11/30 at 3:15`: a time, not line 3's 15
        head = piece[start : match.start()]
        if _REFS_SO_FAR.fullmatch(head):
            continue  # `1, 2 and 3: 50%`: lines listed for one answer
        if head.count("(") > head.count(")"):
            continue  # `2: 3 (Nov 30)`: the `)` closes a note, it marks no line
        if _answered(head, whole=after_ref and not start) or (
            _SENTENCE_ENDS.search(head) and _NAMED_REF.match(piece, match.end())
        ):  # `Sorry, I prefer English. Line 2: $7,000`: a sentence, then a line's answer
            parts.append(head)
            start = match.end()
    parts.append(piece[start:])
    return parts


def _answered(head: str, *, whole: bool) -> bool:
    """Whether `head` holds an answer past the line it starts with (all of it: `whole`), its
    figures maybe in words (`line 2 forty percent`, `línea dos cuarenta por ciento`)."""
    if _ANSWERED.search(head if whole else _LEADING_REF.sub("", head)):
        return True
    if len(head) > MAX_FRAGMENT_CHARS:
        return False  # too long to be one answer, whatever it holds
    said = words_to_numbers(head)
    return said != head and bool(_ANSWERED.search(said if whole else _LEADING_REF.sub("", said)))


_SENTENCE_ENDS = re.compile(r"[^\W\d_]{2,}[.!?]$")  # `English.`, not `No.` before `2: 50%`
_NAMED_REF = re.compile(
    rf"(?:line|item|l[ií]nea|partida|rengl[oó]n)\s*#?\s*(?:\d{{1,6}}[a-z]?|{NUMBER_WORD}\b)"
    r"\s*[:=\-–—]",
    re.IGNORECASE,
)


def _unmarked(line: str) -> str:
    """`line` without bold or italic marks and struck-out text (each looked for only when
    its mark is there: this runs on every line of every message)."""
    if "~" in line:
        line = _STRUCK.sub(" ", line)
    if "*" in line or "_" in line:
        line = _EMPHASIS.sub(r"\2", line)
    return line


def _arrows_read(line: str) -> str:
    if "@" in line:
        line = _AT.sub(" at ", line)
    if ">" in line or not line.isascii():
        line = _ARROW.sub(": ", line)
    return line


# Slack writes the emoji picked as a name (`4 :white_check_mark:`): the marks are read as the
# emoji themselves
_SHORTCODES = {
    **dict.fromkeys(("white_check_mark", "heavy_check_mark", "ballot_box_with_check"), "✅"),
    **dict.fromkeys(("+1", "thumbsup", "ok_hand", "ok"), "👍"),
    **dict.fromkeys(("x", "heavy_multiplication_x", "negative_squared_cross_mark"), "❌"),
    **dict.fromkeys(("-1", "thumbsdown", "no_entry_sign", "no_entry"), "👎"),
}
_SHORTCODE = re.compile(
    r":(" + "|".join(re.escape(name) for name in _SHORTCODES) + r"):(?::skin-tone-\d:)?"
)


# A street address (`Cl. 100 # 2-4`, `Av. Calle 26 # 2-5, Of. 301`, `Suite 200`), as in a
# signature: never a line and its answer (`# 2-4` is no line 2's 4 units)
ADDRESS = re.compile(
    r"\s*(?:(?:av|avenida|ave)\.?\s+)?(?:calle|cl|cll|carrera|cra|kra|kr|avenida|av|ave"
    r"|transversal|trans|tv|diagonal|diag|dg|street|st|suite|ste|apt|apto|apartamento|of"
    r"|oficina)\.?\s*(?:no\.?\s*|\#\s*)?\d"
    r"|.{0,60}?(?<!\d)\d{1,4}\s?[a-z]?\s*(?:\#|no\.|n[°º])\s?\d{1,4}\s?[a-z]?\s?-\s?\d",
    re.IGNORECASE,
)


# What an address does not hold and an answer does: a percent or dollar sign, or a colon
# right after the street's number (`Calle 26: 50%` names the line `Calle 26 paving`)
_ANSWER_MARK = re.compile(r"[%$]|^\s*[^\W\d]+\.?\s*\d+[a-z]?\s*[:=]", re.IGNORECASE)


def is_address(text: str) -> bool:
    """A street address as a signature writes it (`Cl. 100 # 2-4`, `Suite 200`)."""
    return ADDRESS.match(text) is not None and not _ANSWER_MARK.search(text)


# Voice typing writes out the commands it did not act on (`Line 1 fifty percent period new
# line line 2 skip`): read as the line break and the full stop they stand for, only where
# they can mean nothing else. `new line` before a line or the end, not after an article (`a
# new line item` stays); `period` not after `this`, `per` or `billing` (`50% this period`),
# nor after a percent unless a `new line` follows (`40% period` may be this period's 40%);
# `punto` before a line or the end only (`tres punto cinco` is 3.5).
_BREAK_SAID = (
    r"(?:new\s*line|new\s+paragraph|nueva\s+l[ií]nea|nuevo\s+p[aá]rrafo|punto\s+y\s+aparte)"
)
_LINE_AHEAD = r"(?:line|l[ií]nea|partida|rengl[oó]n|concepto)s?\b"
_BREAK = re.compile(
    rf"(?<!\S)(?P<before>\S*)[ \t]*\b{_BREAK_SAID}\b[ \t]*[.!]?[ \t]*"
    rf"(?=$|{_BREAK_SAID}\b|{_LINE_AHEAD}|item\s*#?\s*\d|#?\d{{1,6}}[a-z]?\s*[:=)])",
    re.IGNORECASE | re.MULTILINE,
)
_STOP = re.compile(
    r"(?<![^\s.!?])(?P<before>[^\s.!?]+)[ \t]+"
    r"(?P<stop>period|full\s+stop|punto(?:\s+y\s+seguido|\s+final)?)\b"
    rf"(?=[ \t]*(?:$|[,;.!]|(?P<broken>{_BREAK_SAID}\b)|{_LINE_AHEAD}))",
    re.IGNORECASE | re.MULTILINE,
)
# Words after which `period` is the billing period (`this period`), `punto` a point (`en
# punto`: o'clock), `new line` a line added (`a new line`)
_NOT_A_STOP = frozenset(
    {
        *("this", "that", "the", "a", "an", "per", "each", "every", "billing", "pay", "next"),
        *("last", "previous", "prior", "current", "same", "whole", "entire", "one", "for"),
        *("which", "what", "any", "grace", "reporting", "el", "este", "ese", "en", "de", "del"),
        *("un", "cada", "y"),
    }
)
_ARTICLES = frozenset(
    {"a", "an", "the", "another", "one", "new", "una", "un", "la", "el", "otra", "otro", "nueva"}
)
_PERCENT_WORD = re.compile(r"%|percent|pct|cent|ciento|porciento", re.IGNORECASE)


def _stop_read(found: re.Match[str]) -> str:
    before = found["before"]
    if before.lower() in _NOT_A_STOP:
        return found[0]
    percent = _PERCENT_WORD.fullmatch(before.lstrip("+-~0123456789.,"))
    if found["stop"].lower() == "period" and percent and not found["broken"]:
        return found[0]  # `40% period`: this period's 40%, or 40% to date? (refused, asked)
    return f"{before}."


def _break_read(found: re.Match[str]) -> str:
    before = found["before"]
    if before.lower() in _ARTICLES:
        return found[0]  # `a new line`: a line added to the contract, not a line break
    return f"{before}\n"


def _dictated(text: str) -> str:
    """`… 40 percent period new line line 3 skip` -> `… 40 percent.` / `line 3 skip`."""
    lowered = text.lower()
    if "period" in lowered or "stop" in lowered or "punto" in lowered:
        text = _STOP.sub(_stop_read, text)
    if "new" in lowered or "nuev" in lowered or "aparte" in lowered:
        text = _BREAK.sub(_break_read, text)
    return text


# A line named alone (`Line 1`, `línea dos`, `#3`, `la 2`, `la dos`: the article alone names a
# line, as in `la 2 al 50%`): the answer after it is that line's
_LONE_REF = re.compile(
    rf"(?:(?:the|la|el)\s+)?(?:(?:{LINE_WORD}\.?\s*(?:no\.?\s*)?#?|#)\s*\d{{1,6}}[a-z]?"
    rf"|(?P<lead>{_FULL_LINE_WORD}\.?\s+(?:no\.?\s*)?#?\s*)(?P<word>{NUMBER_WORD}))"
    rf"|(?:la|el)\s+\d{{1,6}}[a-z]?|(?P<article>(?:la|el)\s+)(?P<said>{NUMBER_WORD})",
    re.IGNORECASE,
)


def _lone_ref(fragment: str) -> str | None:
    """`Line 1`, `línea dos` -> `Line 1`, `línea 2`: a line named alone, its number in digits
    (read as `Line 1` is: the heading of the answer after it); else None."""
    found = _LONE_REF.fullmatch(fragment)
    if found is None:
        return None
    if found["word"] is not None:
        return f"{fragment[: found.end('lead')]}{number_said(found['word'])}"
    if found["said"] is not None:
        return f"{fragment[: found.end('article')]}{number_said(found['said'])}"
    return fragment


def _line_parts(line: str, *, after_ref: bool) -> list[str]:
    """One line of the message in its answers' parts; `after_ref`: the part before it was a
    line named alone."""
    parts: list[str] = []
    for chunk in split_answers(_arrows_read(line)):
        for part in split_line_refs(line_first(chunk, after_ref=after_ref), after_ref=after_ref):
            parts.append(part)
            if part.strip():
                after_ref = _lone_ref(clean_fragment(part)) is not None
    return parts


def split_fragments(text: str) -> tuple[list[str], bool]:
    """The message's non-empty answer fragments, and whether it was cut short."""
    truncated = len(text) > MAX_CHARS
    text = _dictated(normalize(text[:MAX_CHARS], tabs=True))
    if ":" in text:
        text = _SHORTCODE.sub(lambda found: f" {_SHORTCODES[found[1]]}", text)
    fragments: list[str] = []
    for line in table_lines([_unmarked(line) for line in text.split("\n")]):
        if is_address(line):
            pieces: Iterable[str] = [line]  # kept whole, to be passed over whole
        else:
            after_ref = bool(fragments) and _lone_ref(fragments[-1]) is not None
            pieces = _line_parts(line, after_ref=after_ref)
        for piece in (one for part in pieces for one in split_marks(part)):
            cleaned = clean_fragment(piece)
            if cleaned:
                if len(fragments) >= MAX_FRAGMENTS:
                    return fragments, True
                fragments.append(_lone_ref(cleaned) or cleaned)
    return fragments, truncated
