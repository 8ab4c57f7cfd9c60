"""What an invoice administrator's answer says: approve, approve as noted, or reject lines.

    approve                                  approve as noted
    approve  (a note on the next lines)      3: $4,000
                                             note: 18 fixtures, not 20
    reject 3: only 18 fixtures installed
    reject 2,3: the quantities do not match the daily reports
    reject 1-3: no lien waiver               (`lines 1 to 3`, `1, 2 and 4`, `1 & 2`)
    reject 1: footage high; reject 2: why    (several clauses, on one line or several)
    reject 3: why                            (then more `2: reason` lines, `also reject 2`,
    2: another reason                         `and 2: reason`)

The same in Spanish: `aprobar`, `aprobar con observaciones` (`nota: por qué`), `rechazar 3:
motivo`, `devolver 2 y 3: motivo` or `devolver la 3`. A line is named as the SOV numbers it
(`3`, `03`, `1.2`, `2A`, `E1`, `A-2`); whether the invoice has it is checked by the review.
Given the invoice's line numbers, a reference is read as one of them where it can be (`03` or
`L3` is line 3, `26-0500` is that line rather than a range, and a range holds only the lines
the invoice has); one that names none of them is kept as written, for the review to refuse.

Greetings, thanks, a signature and approving words around the decision are not part of it
(`Hi,` on the line above, `Looks good, approved`, `Thanks Jane - approved`, `approve please`);
they never make one (`Looks good` alone is unclear). Pure and total: `read_review` never
raises. Anything it cannot read with confidence is unclear (None), and the administrator gets
the answer forms back; nothing is guessed:
- an approval with a negation, exception or condition after it (`approval denied`, `approved,
  but return line 2`, `approve after inspection`, `aprobado, pero…`) or naming a line;
- a reason or note that names another line (`reject 1: see line 2`): which line is returned?
- an amount like `$8.400`: $8.40, or $8,400 written the Spanish way?
"""

from __future__ import annotations

import re
from collections.abc import Collection, Set
from dataclasses import dataclass
from decimal import Decimal

from conversations.answers import THOUSANDS_POINT
from conversations.context import find_line
from conversations.text import normalize
from conversations.vocabulary import PLEASE, POLITE_AFTER, is_pleasantry
from models.i18n import N_
from models.money import AmountError, parse_amount
from models.review import Decision, ReviewKind

ANSWER_FORMS = N_(
    "To review it, reply with one of:\n"
    "- `approve` (add a note on the next line if you like)\n"
    "- `approve as noted`, then this period's amount for the lines you change, one per line, "
    "e.g. `3: $4,000`, and `note: why`\n"
    "- `reject 3: only 18 fixtures installed` (a line each, as many as you return; `reject "
    "2,3: reason` or `reject 2-4: reason` for one reason on several lines; the reason may be "
    "left out)"
)

MAX_RANGE = 200  # `reject 1-3` names three lines; `reject 1-5000` is not a range of lines

# --- Naming lines ----------------------------------------------------------------------------
_LINE_WORD = r"(?:lines?|l[ií]neas?|items?|partidas?)"
# A line number as an SOV writes it: `3`, `03`, `1.2`, `2A`, `E1`, `A-2`; always a digit, and
# `3.` at the end of a sentence is line 3.
_NUMBER = r"\b(?:[a-z]{1,3}-?)?\d{1,6}(?:\.\d{1,4})*[a-z]?\b"
_ARTICLE = r"(?:the|las?|los|el)\s+"
_SPAN = (
    rf"(?:del?\s+(?:la\s+)?)?#?\s*{_NUMBER}"
    rf"(?:[-–]#?{_NUMBER}|\s+(?:to|through|thru|a|al|a\s+la|hasta(?:\s+la)?)\s+#?\s*{_NUMBER})?"
)
_ITEM = rf"(?:{_ARTICLE})?(?:{_LINE_WORD}\.?\s*(?:no\.?\s*)?)?{_SPAN}"
_JOIN = r"\s*,\s*(?:(?:and|y|&)\s+)?|\s*&\s*|\s+(?:and|y|e)\s+"
_REFS = rf"(?P<refs>{_ITEM}(?:(?:{_JOIN}){_ITEM})*)"
_RANGE = re.compile(
    rf"(?P<first>{_NUMBER})(?:[-–]|\s+(?:to|through|thru|a|al|a\s+la|hasta(?:\s+la)?)\s+)"
    rf"#?\s*(?P<last>{_NUMBER})",
    re.I,
)
_ONE = re.compile(_NUMBER, re.I)
_NUMBERED = re.compile(r"(?P<prefix>[a-z]*-?)(?P<number>\d+)", re.I)
_NUMBER_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce"
)

# --- The decisions ---------------------------------------------------------------------------
_APPROVE_ES = r"(?:aprob(?:ar|ado|ada|amos)|apruebo|ok\s+para\s+pagar)"
_APPROVE = re.compile(
    r"(?:i\s+)?(?:approve[ds]?|approval|ok(?:ay)?\s+to\s+pay|"
    rf"{_APPROVE_ES})(?:\s+it|\s+la)?\b[\s,.!:;-]*(?P<rest>.*)",
    re.I,
)
_AS_NOTED = re.compile(
    r"(?:(?:i\s+)?approved?\s+as\s+noted|(?:aprob(?:ar|ado|ada)|apruebo)\s+con\s+"
    r"observaci(?:[oó]n|ones))\b[\s,.!:;-]*",
    re.I,
)
_REJECT_VERB = (
    r"(?:reject(?:ed)?|return(?:ed)?|revise|send\s+back|rechaz(?:ar|o|ada|ado)|"
    r"devolver|devuelvo|devuelta|devuelto)"
)
_ALSO = r"(?:(?:and|also|plus|y|tambi[eé]n|adem[aá]s)\s+)*"  # `also reject 2`, `and 2: why`
_SEPARATOR = r"\s*(?:[:=]|[-–—])\s*"
_REJECT = re.compile(
    rf"{_ALSO}{_REJECT_VERB}(?:\s+(?:also|too|tambi[eé]n))?(?:\s+{_REFS})?"
    # `return line 3 for revision: …`, `devolver 3 para corrección: …`
    r"(?:\s+(?:for\s+(?:revision|correction|rework|changes)|para\s+(?:revisi[oó]n|"
    r"correcci[oó]n|corregir)))?"
    rf"(?:{_SEPARATOR}(?P<reason>.*))?",
    re.I,
)
_REFS_ONLY = re.compile(rf"{_ALSO}{_REFS}", re.I)
_LINES_REASON = re.compile(rf"{_ALSO}{_REFS}(?:{_SEPARATOR}(?P<reason>.*))?", re.I)
_ADJUSTMENT = re.compile(
    rf"(?:{_LINE_WORD}\s*|#\s*)?(?P<ref>{_NUMBER}){_SEPARATOR}(?P<amount>.+)", re.I
)
_NOTE = re.compile(
    r"(?:note|notes|reason|comment|nota|motivo|comentario)s?\s*[:\-]\s*(?P<note>.+)", re.I
)
_STUCK_LINE_WORD = re.compile(rf"\b(?P<word>{_LINE_WORD})(?=\d)", re.I)
# `L3`, `ln-3`, `#3`, `no. 3`: a line number behind a short prefix (when it is no line itself).
_PREFIXED = re.compile(r"(?:l|ln|no\.?|#)\s*-?\s*(?P<ref>\d\S*)", re.I)
# `26-0500: $4,000`: an amount for a line whose number holds a hyphen (when the invoice has it).
_JOINED_ADJUSTMENT = re.compile(
    rf"(?:{_LINE_WORD}\s*|#\s*)?(?P<ref>\w[\w.]*(?:[-–]\w[\w.]*)+){_SEPARATOR}(?P<amount>.+)",
    re.I,
)
_RULE = re.compile(r"[-–—_=*~.]+")  # `--` above a signature, a drawn line
_AMOUNT_DIGITS = re.compile(r"[\d.,]+")

# A line named in a reason or a note: `line 2`, `line two`, `#2`, `2:`, `reject 2`.
_LINE_REFERENCE = re.compile(
    rf"\b{_LINE_WORD}\.?\s*(?:no\.?\s*)?#?\s*(?:{_NUMBER}|(?:{_NUMBER_WORD})\b)"
    r"|#\s*\d"
    rf"|(?<![\w.:/$,-]){_NUMBER}\s*[:=](?![\d/])"
    rf"|\b{_REJECT_VERB}\s+(?:{_ARTICLE})?(?:{_LINE_WORD}\s*)?#?\s*{_NUMBER}",
    re.I,
)
# In a note (not a reason), also: a number followed by a figure (`3 $4,000`, `2 - 30 units`)
# and `the fixtures line`.
_FIGURE_AFTER_NUMBER = re.compile(
    rf"{_NUMBER}(?:\s+|\s*[-–—]\s+|\s+[-–—]\s*)(?:\$|usd\s*)?\d|{_NUMBER}\s*(?:\$|usd\b)"
    r"|\b(?:the|that)\s+[\w-]+(?:\s+[\w-]+)?\s+lines?\b|\bla\s+l[ií]nea\s+de\b",
    re.I,
)
# In an approval's note, a piece that starts with a number, as line answers do (`3 skip`).
_STARTS_WITH_NUMBER = re.compile(rf"(?:^|[,.;:]\s+)(?P<ref>{_NUMBER})\s+[a-z]", re.I)
# In a return's note or a line of an approval as noted, any number that is not an amount, a
# percentage, a date or a time: `same for 3`, `3 too`, `2 panels not energized yet`.
_BARE_NUMBER = re.compile(
    rf"(?<![$\d.,/:#-])(?P<ref>{_NUMBER})(?![%/:]|[.,]\d|\s*(?:%|percent|por\s+ciento))", re.I
)
_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?\b(?:,?\s+\d{4}\b)?|\b\d{1,2}\s+de\s+[a-z]+(?:\s+(?:de\s+)?\d{4}\b)?",
    re.I,
)
# Second thoughts or another decision, in the note of an approval as noted or of a return
# (that note may well hold a `not`: `two panels, not three`).
_SECOND_THOUGHTS = (
    rf"\b(?:{_REJECT_VERB}|reject\w*|return\w*|hold|withh[eo]ld|pending|until|unless|wait\w*"
    r"|den(?:y|ied)|declined?|cancel\w*|disregard|ignore|undo|scratch\s+that|never\s*mind"
    r"|except|stop|revok\w*|void|kidding|oops|rechaz\w*|devol\w*|devuelv\w*|devuelt\w*"
    r"|pendiente|espera\w*|excepto|salvo|denegad[oa]|anula\w*|olvid\w*|ignor\w*)\b"
)
_RECONSIDERED = re.compile(_SECOND_THOUGHTS, re.I)
# After a plain approval, also a negation, an exception, a condition or a question makes it
# something else (`approval denied`, `approved, but…`, `approve after inspection`, `approved?
# no`, `aprobado, pero…`, `aprobar cuando…`).
_NOT_PLAIN = re.compile(
    rf"{_SECOND_THOUGHTS}|\?|n't\b|\b(?:no|not|nope|never|cannot|dont|cant|wont|isnt|doesnt|didnt|deny|denied"
    r"|declined?|refused?|withh[eo]ld|hold|paused|stopped|blocked|suspended|delayed|postponed"
    r"|deferred|except(?:ing|ions?)?|excluding|but|however|although|though|return\w*"
    r"|reject\w*|revis\w*|resubmit\w*|pending|after|once|until|till|unless|when|if|wait\w*"
    r"|provided|subject\s+to|conditional\w*|upon|needs?|needed|requires?|required|missing"
    r"|only|partial\w*|instead|wrong|incorrect|mistake|error|actually|disregard|ignore"
    r"|cancel\w*|undo|retract\w*|sorry|yet|adjust\w*|change[ds]?|less|minus|deduct\w*"
    r"|reduc\w*|without|w/o|up\s+to|max\w*|limit\w*|capped|at\s+most|exceed\w*"
    r"|condition\w*|contingent|assuming|as\s+long\s+as|reservations?|first(?=[\s.!]*$)"
    r"|pero|excepto|salvo|menos|sin|devol\w*|devuelv\w*|devuelt\w*|rechaz\w*|correg\w*"
    r"|correcci[oó]n|pendiente|cuando|despu[eé]s|hasta|si|espera\w*|falta\w*|solo|s[oó]lo"
    r"|antes|una\s+vez|mientras|siempre\s+que|condici[oó]n\w*|negad[oa]|denegad[oa]"
    r"|retenid[oa]|todav[ií]a|a[uú]n|cambi\w*|ajust\w*|nunca|tampoco|anula\w*|olvid\w*"
    r"|parcial\w*|sujet[oa]\s+a|reservas?|tentativ\w*|provisional\w*)\b",
    re.I,
)
# ...unless they only say there is nothing to add: `approved, no comments`, `sin observaciones`.
_NOTHING_TO_ADD = re.compile(
    r"\b(?:no|sin)\s+(?:(?:further|other|more|additional|m[aá]s)\s+)?(?:comments?|notes?"
    r"|remarks?|issues?|problems?|exceptions?|concerns?|changes?|comentarios?"
    r"|observaci(?:[oó]n|ones)|novedad(?:es)?|problemas?|cambios?)\b",
    re.I,
)
# ...or offer help, or say what every payment is: `let me know if you have questions`.
_USUAL = re.compile(
    r"\b(?:let\s+me\s+know|call\s+me|reach\s+out|feel\s+free\s+to\s+\w+(?:\s+me)?)\s+(?:if|when)"
    r"\s+(?:you\s+)?(?:have\s+|need\s+|there\s+are\s+)?(?:any\s+)?(?:questions?"
    r"|anything(?:\s+else)?)\b"
    r"|\b(?:less|net\s+of)\s+(?:the\s+)?(?:usual\s+|standard\s+)?retainage\b",
    re.I,
)
# An amount in a plain approval: is it what is approved? (`approve as noted` changes amounts)
_MONEY = re.compile(r"\$\s*\d|\busd\s*\d|\d\s*(?:usd|dollars|d[oó]lares)\b", re.I)
_HELD = re.compile(r"(?:is\s+|was\s+)?held\b", re.I)  # `approval held`; `10% held` is fine
_REVISE_ALL = re.compile(r"\b(?:revise|correct|fix)\s+and\s+(?:resubmit|resend|re-?send)\b", re.I)

# --- What surrounds the decision -------------------------------------------------------------
AHEAD_CHARS = 80  # how far into the line words before a decision are looked for
_CLAUSE_END = r"\s*[,.!;]\s*|\s+[-–—]\s+"  # `Looks good, …`, `Thanks Jane - …`
_WORD_GAP = re.compile(rf"{_CLAUSE_END}|\s+")
_ACKNOWLEDGED = re.compile(
    rf"ok(?:ay)?|yes|yep|sure|fine|good|great|perfect|{PLEASE}|kindly|can\s+you", re.I
)
_POLITE = re.compile(rf"(?:{PLEASE})[.!]?", re.I)
_POLITE_END = re.compile(rf"[\s,.!-]+(?:{POLITE_AFTER})[\s.!]*$", re.I)
_CLOSING = re.compile(
    r"(?:many\s+|muchas\s+)?(?:thanks|thank\s+you|thx|cheers|gracias|regards|best|sincerely"
    r"|saludos|atentamente|cordialmente|(?:best|kind|warm)\s+regards|un\s+saludo)\b",
    re.I,
)
_POSTSCRIPT = re.compile(r"p\.?\s*s\b", re.I)
# A name alone on the last line: `Jane`, `- Jane Doe`.
_NAME = r"[A-ZÁÉÍÓÚÑ][A-Za-záéíóúñü'.-]*"
_NAME_ALONE = re.compile(rf"[-–—~]*\s*{_NAME}(?:\s+{_NAME}){{0,2}}")
# A clause starts within a line at `;`, or at a sentence or comma before another return:
# `reject 1: footage high. Reject 2: no lien waiver`, `…, and return line 2: why`.
_CLAUSE_BREAK = re.compile(
    rf"\s*;\s*|(?:[,.!]\s+|\s+(?=(?:and|also|y)\s))(?={_ALSO}{_REJECT_VERB}\s+(?:{_ARTICLE})?"
    rf"(?:{_LINE_WORD}\s*)?#?\s*{_NUMBER})",
    re.I,
)


class _Unclear(Exception):
    """The answer cannot be read with confidence: the administrator is asked again."""


@dataclass(frozen=True)
class _Sov:
    """The invoice's line numbers, which references are read as; None: any number is a line."""

    numbers: tuple[str, ...] | None = None

    def find(self, ref: str) -> str | None:
        """The line `ref` means (as the contact side finds one: exact, any case, `03` for
        `3`), or behind a short prefix (`L3`, `#3`); None when none, or no lines are known."""
        if self.numbers is None:
            return None
        found = find_line(self.numbers, ref)
        prefixed = _PREFIXED.fullmatch(ref) if found is None else None
        return find_line(self.numbers, prefixed["ref"]) if prefixed else found

    def line(self, ref: str) -> str:
        """The line `ref` means, else `ref` as written (the review says the invoice lacks it)."""
        return self.find(ref) or ref

    def within(self, refs: list[str]) -> list[str]:
        """The lines of a range the invoice has (all of them, as written, when it has none:
        the review then names them)."""
        found = [line for ref in refs if (line := self.find(ref)) is not None]
        return list(dict.fromkeys(found)) or refs

    def key(self, ref: str) -> str:
        return _key(self.line(ref))


_AS_WRITTEN = _Sov()


def read_review(text: str, *, lines: Collection[str] | None = None) -> Decision | None:
    """The decision in `text`, or None when it is not clear (then nothing may change).
    `lines`, the invoice's SOV line numbers, are what its references are read as."""
    sov = _Sov(tuple(lines)) if lines is not None else _AS_WRITTEN
    try:
        return _read(_lines(text)[:200], sov)
    except (_Unclear, AmountError, ValueError, ArithmeticError):
        return None


def _lines(text: str) -> list[str]:
    text = _STUCK_LINE_WORD.sub(r"\g<word> ", normalize(text))  # `line3` is `line 3`
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not _RULE.fullmatch(line)]


def _read(lines: list[str], sov: _Sov) -> Decision:
    head, body, signature = _parts(lines)
    for line in signature:  # a signature asks for nothing
        said = _USUAL.sub(" ", line)
        if _LINE_REFERENCE.search(said) or _NOT_PLAIN.search(said):
            raise _Unclear
    if _AS_NOTED.match(head):
        return _as_noted(head, body, sov)
    if _REJECT.fullmatch(head):
        return _reject([head, *body], sov)
    approve = _APPROVE.fullmatch(head)
    if approve:
        return _approve([approve["rest"], *body])
    raise _Unclear


def _parts(lines: list[str]) -> tuple[str, list[str], list[str]]:
    """The decision's line (without the words ahead of it), the lines after it, and the
    signature: greetings may come first (`Hi,`, `Looks good.`), a closing and a name last."""
    for index, line in enumerate(lines):
        head = _decision_line(_unthanked(line))  # `reject line 3.`, `return 3 please`
        if _decides(head):
            body, signature = _signature(lines[index + 1 :])
            return head, body, signature
        if not (_around(line) or (line.endswith(",") and _signed(line))):  # `Jane,`
            raise _Unclear  # something before the decision that is not a greeting
    raise _Unclear


def _signature(after: list[str]) -> tuple[list[str], list[str]]:
    """The lines after the decision, and the signature: from a closing (`Thanks,`) on, or
    the names alone on the last lines."""
    for at, line in enumerate(after):
        if _CLOSING.match(line) and is_pleasantry(line):
            rest = after[at + 1 :]
            if not any(_POSTSCRIPT.match(line) for line in rest):
                return after[:at], rest
    named = len(after)
    while named and _signed(after[named - 1]):  # `Jane Doe` / `Project Accountant`
        named -= 1
    return after[:named], after[named:]


def _signed(line: str) -> bool:
    """A name alone on its line (`Jane`, `- Jane Doe`), saying nothing else."""
    name = line.rstrip(" ,.!")
    return bool(_NAME_ALONE.fullmatch(name)) and not _NOT_PLAIN.search(name)


def _decides(text: str) -> bool:
    return bool(_AS_NOTED.match(text) or _REJECT.fullmatch(text) or _APPROVE.fullmatch(text))


def _around(text: str) -> bool:
    """Words around a decision, asking for nothing: greetings, thanks, `looks good`, `OK`."""
    pieces = [piece for piece in re.split(_CLAUSE_END, text) if piece]
    return bool(pieces) and all(
        is_pleasantry(piece) or _ACKNOWLEDGED.fullmatch(piece) for piece in pieces
    )


def _decision_line(head: str) -> str:
    """`head` without the greeting, thanks or approving words before its decision."""
    if _decides(head):
        return head
    for gap in _WORD_GAP.finditer(head, 0, AHEAD_CHARS):  # a few words, no more
        ahead, rest = head[: gap.start()].strip(), head[gap.end() :]
        if ahead and rest and _around(ahead) and _decides(rest):
            return rest
    return head


# --- Approve ---------------------------------------------------------------------------------
def _approve(lines: list[str]) -> Decision:
    """A plain approval: what follows may only be a note that names no line and takes
    nothing back (`Approved. Lien waiver for Oct received 11/28.` is a note)."""
    if _HELD.match(lines[0]):
        raise _Unclear  # `approval held`
    for line in lines:
        for piece in _pieces(_USUAL.sub(" ", _NOTHING_TO_ADD.sub(" ", line))):
            if _NOT_PLAIN.search(piece) or _MONEY.search(piece) or _names_lines(piece):
                raise _Unclear
    notes = [_note_of(line) for line in lines if line and not is_pleasantry(line)]
    return Decision(ReviewKind.approve, note=_joined(notes))


# --- Approve as noted ------------------------------------------------------------------------
def _as_noted(head: str, body: list[str], sov: _Sov) -> Decision:
    """`approve as noted`, the amounts of the lines changed (`2: $8,400`) and a note; a
    note that names another line or takes the approval back is unclear."""
    start = _AS_NOTED.match(head)
    assert start is not None
    adjustments: dict[str, Decimal] = {}
    notes: list[str] = []
    free: list[str] = []  # note lines without `note:`
    for clause in _clauses([head[start.end() :], *body]):
        labelled = _NOTE.fullmatch(clause)
        found = _adjustment(clause, sov) if not labelled else None
        if found:
            ref, amount = sov.line(found["ref"]), _amount(found["amount"])
            if adjustments.get(ref, amount) != amount:
                raise _Unclear  # two amounts for one line
            adjustments[ref] = amount
        elif not is_pleasantry(clause):
            notes.append(_note_of(clause))
            free += [] if labelled else [clause]
    if not adjustments:
        raise _Unclear  # "as noted" without an amount: what was noted?
    adjusted = {sov.key(ref) for ref in adjustments}
    for note in notes:  # `note: line 3 is not approved either`; `2 panels` may explain line 2
        if "?" in note or _RECONSIDERED.search(note) or _names_lines(note, adjusted, None, sov):
            raise _Unclear
    if any(_names_lines(clause, adjusted, _BARE_NUMBER, sov) for clause in free):
        raise _Unclear  # `3 skip`, `same for 3`: line 3's figure, or a note?
    return Decision(ReviewKind.approve_as_noted, note=_joined(notes), adjustments=adjustments)


def _adjustment(clause: str, sov: _Sov) -> re.Match[str] | None:
    """`3: $4,000`, or `26-0500: $4,000` when the invoice has a line `26-0500`."""
    joined = _JOINED_ADJUSTMENT.fullmatch(clause) if sov.numbers is not None else None
    if joined and sov.find(joined["ref"]) is not None:
        return joined
    return _ADJUSTMENT.fullmatch(clause)


def _amount(text: str) -> Decimal:
    """The amount approved for a line; `$8.400` may be $8.40 or $8,400 and is not guessed."""
    digits = _AMOUNT_DIGITS.search(text)
    if digits and THOUSANDS_POINT.fullmatch(digits.group()):
        raise _Unclear
    return parse_amount(text.strip())


# --- Reject ----------------------------------------------------------------------------------
def _reject(lines: list[str], sov: _Sov) -> Decision:
    """Every line returned, with its reason. After a return, `2: reason` (or `and 2`) returns
    line 2 too; a reason or note that names another line is unclear."""
    reasons: dict[str, str] = {}
    notes: list[str] = []
    for index, clause in enumerate(_clauses(lines)):
        found = _REJECT.fullmatch(clause) or _LINES_REASON.fullmatch(clause)
        if found:
            refs = _expanded(found["refs"] or "", sov)
            reason = (found["reason"] or "").strip()
            if not refs and (index or reason):
                raise _Unclear  # `reject: why` without naming a line: which line?
            _return(reasons, refs, reason, sov)
        elif _RECONSIDERED.search(_REVISE_ALL.sub(" ", clause)):
            raise _Unclear  # `wait`, `also return the fixtures`
        elif not is_pleasantry(clause):
            notes.append(clause)
    if not reasons:
        raise _Unclear  # a bare `reject` and no `3: reason` lines
    returned = {sov.key(ref) for ref in reasons}
    if any(_names_lines(note, returned, _BARE_NUMBER, sov) for note in notes):
        raise _Unclear  # `2 panels not energized yet`: line 2's reason, or a note?
    notes = [_note_of(note) for note in notes]
    return Decision(ReviewKind.reject, note=_joined(notes), reasons=reasons)


def _return(reasons: dict[str, str], refs: list[str], reason: str, sov: _Sov) -> None:
    """Add `refs` to the lines returned; a line named twice keeps both reasons."""
    own = {sov.key(ref) for ref in refs}
    if not {sov.key(ref) for ref in _refs_named(reason)} <= own:
        raise _Unclear  # `reject 1: footage high, 2: no waiver`: which reason is whose?
    known = {sov.key(ref): ref for ref in reasons}
    for ref in refs:
        ref = known.get(sov.key(ref), ref)
        given = [text for text in (reasons.get(ref, ""), reason) if text]
        reasons[ref] = "; ".join(dict.fromkeys(given))


# --- Pieces ----------------------------------------------------------------------------------
def _clauses(lines: list[str]) -> list[str]:
    """Each line cut at `;` and before another return."""
    out: list[str] = []
    for line in lines:
        for clause in _CLAUSE_BREAK.split(line):
            clause = _unthanked(clause)
            if clause:
                out.append(clause)
    return out


def _unthanked(text: str) -> str:
    """`text` without the full stop or the `please`/`thanks` at its end."""
    text = text.strip().rstrip(".!,; ").strip()
    return text if is_pleasantry(text) else _POLITE_END.sub("", text)


def _expanded(refs: str, sov: _Sov = _AS_WRITTEN) -> list[str]:
    """`1, 2 and 4` -> 1, 2, 4; `1-3`, `lines 1 to 3`, `E1-E3` -> every line between (of the
    invoice's lines, when they are known; `26-0500` is then that line if it has one)."""
    out: list[str] = []
    at = 0
    while (found := _ONE.search(refs, at)) is not None:
        span = _RANGE.match(refs, found.start())
        if span is None:
            out.append(sov.line(found.group()))
            at = found.end()
        elif sov.find(span.group()) is not None:
            out.append(sov.line(span.group()))
            at = span.end()
        else:
            out.extend(sov.within(_between(span["first"], span["last"])))
            at = span.end()
    return out


def _between(first: str, last: str) -> list[str]:
    start, end = _NUMBERED.fullmatch(first), _NUMBERED.fullmatch(last)
    if start is None or end is None or start["prefix"].casefold() != end["prefix"].casefold():
        raise _Unclear  # `1.1-2A`: which lines are between?
    low, high = int(start["number"]), int(end["number"])
    if not low < high <= low + MAX_RANGE:
        raise _Unclear  # `3-1`, `1-5000`
    return [f"{start['prefix']}{number}" for number in range(low, high + 1)]


def _refs_named(text: str) -> list[str]:
    """The lines `text` names (`line 2`, `#2`, `2:`, `reject 2`); a line named in words
    (`line two`) is a line no number stands for."""
    named: list[str] = []
    for reference in _LINE_REFERENCE.finditer(text):
        numbers = _ONE.findall(reference.group())
        named.extend(numbers or ["?"])
    return named


def _names_lines(
    note: str,
    allowed: Set[str] = frozenset(),
    numbers: re.Pattern[str] | None = _STARTS_WITH_NUMBER,
    sov: _Sov = _AS_WRITTEN,
) -> bool:
    """Whether a note (not a reason) names a line other than the `allowed` ones (by `key`),
    which would then be approved unnoticed: `line 2`, `#2`, `2:`, a bare `2`, `2 $4,000`,
    `the fixtures line`, and the lines `numbers` finds (`3 skip`, `same for 3`)."""
    named = {sov.key(ref) for ref in _refs_named(note)}
    if numbers is not None:
        named |= {sov.key(found["ref"]) for found in numbers.finditer(_DATE.sub(" ", note))}
    return bool(
        named - allowed
        or _REFS_ONLY.fullmatch(note.strip())  # `approve 1, 2`
        or _FIGURE_AFTER_NUMBER.search(note)
    )


def _key(ref: str) -> str:
    """A line number as the review compares them (`03` is `3`; any case)."""
    return ref.casefold().lstrip("#").strip().lstrip("0") or "0"


def _pieces(line: str) -> list[str]:
    return [piece.strip() for piece in re.split(r"\s*[,;]\s*|\s+[-–—]\s+", line)]


def _joined(notes: list[str]) -> str:
    return " ".join(note for note in notes if note)[:1000]


def _note_of(line: str) -> str:
    found = _NOTE.fullmatch(line)
    if found:
        return found["note"].strip()
    # `please, thanks Jane` around a note are not part of it
    pieces = _pieces(line)
    kept: list[str] = []
    for index, piece in enumerate(pieces):
        before = pieces[index - 1] if index else ""
        named = bool(before) and is_pleasantry(before) and is_pleasantry(f"{before} {piece}")
        said = is_pleasantry(piece) or _POLITE.fullmatch(piece) or _NOTHING_TO_ADD.fullmatch(piece)
        if piece and not (said or named):
            kept.append(piece)  # `thanks, Jane`: the name goes with the thanks
    return ", ".join(kept)
