"""What an invoice administrator's answer says: approve, approve as noted, or reject lines.

    approve                                  approve as noted
    approve  (a note on the next lines)      3: $4,000
                                             note: 18 fixtures, not 20
    reject 3: only 18 fixtures installed
    reject 2,3: the quantities do not match the daily reports
    reject                                   (then `3: reason` lines)

The same in Spanish: `aprobar`, `aprobar con observaciones` (`nota: por qué`), `rechazar 3:
motivo` or `devolver 2 y 3: motivo`.

Greetings, thanks and approving words around the decision are not part of it (`Looks good,
approved`, `Thanks Jane - approved`, `approve please`); they never make one (`Looks good`
alone is unclear). Pure and total: `read_review` never raises. Anything it cannot read with
confidence is unclear (None), and the administrator gets the answer forms back; nothing is
guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal

from conversations.text import normalize
from conversations.vocabulary import PLEASE, is_pleasantry
from models.i18n import N_
from models.money import AmountError, parse_amount
from models.review import Decision, ReviewKind

ANSWER_FORMS = N_(
    "To review it, reply with one of:\n"
    "- `approve` (add a note on the next line if you like)\n"
    "- `approve as noted`, then this period's amount for the lines you change, one per line, "
    "e.g. `3: $4,000`, and `note: why`\n"
    "- `reject 3: only 18 fixtures installed` (one line each; `reject 2,3: reason` for one "
    "reason on several lines; the reason may be left out)"
)

_LINE_WORD = r"(?:lines?|l[ií]neas?)"
_REF = rf"(?:{_LINE_WORD}\s*|#\s*)?(?P<ref>[0-9][0-9a-z.]{{0,9}})"
_ONE = r"#?\s*[0-9][0-9a-z.]{0,9}"
_REFS = rf"(?P<refs>(?:(?:las?\s+)?{_LINE_WORD}\s*)?{_ONE}(?:\s*(?:,|and|y|&)\s*{_ONE})*)"
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
_REJECT = re.compile(
    r"(?:reject(?:ed)?|return(?:ed)?|revise|send\s+back|rechaz(?:ar|o|ada|ado)|"
    rf"devolver|devuelvo|devuelta|devuelto)(?:\s+{_REFS})?"
    # `return line 3 for revision: …`, `devolver 3 para corrección: …`
    r"(?:\s+(?:for\s+(?:revision|correction|rework|changes)|para\s+(?:revisi[oó]n|"
    r"correcci[oó]n|corregir)))?"
    r"\s*(?:[:\-–—]\s*(?P<reason>.*))?",
    re.I,
)
_LINE = re.compile(rf"{_REF}\s*[:=\-–—]\s*(?P<rest>.+)", re.I)
_LINES_REASON = re.compile(rf"{_REFS}\s*[:=\-–—]\s*(?P<rest>.*)", re.I)
_NOTE = re.compile(
    r"(?:note|notes|reason|comment|nota|motivo|comentario)s?\s*[:\-]\s*(?P<note>.+)", re.I
)


def _refs(text: str) -> list[str]:
    cleaned = re.sub(r"(?i)\b(?:lines?|l[ií]neas?|las?|and|y)\b|#|&", ",", text)
    return [ref.strip() for ref in cleaned.split(",") if ref.strip()]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in normalize(text).splitlines() if line.strip()]


def read_review(text: str) -> Decision | None:
    """The decision in `text`, or None when it is not clear (then nothing may change)."""
    try:
        return _read(_lines(text)[:200])
    except (AmountError, ValueError, ArithmeticError):
        return None


# What may come before the decision on its line: `Looks good, approved`, `OK approved`,
# `Thanks Jane - approved`, `Hi Jane, reject 3: ...`.
AHEAD_CHARS = 80  # how far into the line words before a decision are looked for
_CLAUSE_END = r"\s*[,.!;]\s*|\s+[-–—]\s+"  # `Looks good, …`, `Thanks Jane - …`
_SEPARATOR = re.compile(rf"{_CLAUSE_END}|\s+")
_ACKNOWLEDGED = re.compile(
    rf"ok(?:ay)?|yes|yep|sure|fine|good|great|perfect|{PLEASE}|kindly|can\s+you", re.I
)


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
    for separator in _SEPARATOR.finditer(head, 0, AHEAD_CHARS):  # a few words, no more
        ahead, rest = head[: separator.start()].strip(), head[separator.end() :]
        if ahead and rest and _around(ahead) and _decides(rest):
            return rest
    return head


def _read(lines: list[str]) -> Decision | None:
    if not lines:
        return None
    lines = [_decision_line(lines[0]), *lines[1:]]
    head = lines[0]
    if _AS_NOTED.match(head):
        return _as_noted(lines)
    if _REJECT.fullmatch(head):
        return _reject(lines)
    approve = _APPROVE.fullmatch(head)
    if approve:
        rest = [approve["rest"], *lines[1:]]
        if any(re.search(r"\d", line) for line in rest):
            return None  # `approve line 3`, or amounts: not a plain approval
        notes = [_note_of(line) for line in rest if line and not is_pleasantry(line)]
        return Decision(ReviewKind.approve, note=" ".join(n for n in notes if n)[:1000])
    return None


def _note_of(line: str) -> str:
    found = _NOTE.fullmatch(line)
    if found:
        return found["note"].strip()
    # `please, thanks Jane` around a note are not part of it
    pieces = [piece.strip() for piece in re.split(r"\s*[,;]\s*|\s+[-–—]\s+", line)]
    kept: list[str] = []
    for index, piece in enumerate(pieces):
        before = pieces[index - 1] if index else ""
        named = bool(before) and is_pleasantry(before) and is_pleasantry(f"{before} {piece}")
        if piece and not (is_pleasantry(piece) or _POLITE.fullmatch(piece) or named):
            kept.append(piece)  # `thanks, Jane`: the name goes with the thanks
    return ", ".join(kept)


_POLITE = re.compile(rf"(?:{PLEASE})[.!]?", re.I)


def _as_noted(lines: list[str]) -> Decision | None:
    head = _AS_NOTED.match(lines[0])
    assert head is not None
    adjustments: dict[str, Decimal] = {}
    notes: list[str] = []
    for line in [lines[0][head.end() :].strip(), *lines[1:]]:
        found = _LINE.fullmatch(line) if not _NOTE.fullmatch(line) else None
        if found:
            amount = parse_amount(found["rest"].strip())
            if adjustments.get(found["ref"], amount) != amount:
                return None  # two amounts for one line
            adjustments[found["ref"]] = amount
        elif line and not is_pleasantry(line):
            notes.append(_note_of(line))
    if not adjustments:
        return None  # "as noted" without an amount: what was noted?
    note = " ".join(notes)[:1000]
    return Decision(ReviewKind.approve_as_noted, note=note, adjustments=adjustments)


def _reject(lines: list[str]) -> Decision | None:
    reasons: dict[str, str] = {}
    notes: list[str] = []
    listed = False  # a bare `reject`: the `3: reason` lines follow
    for index, line in enumerate(lines):
        found = _REJECT.fullmatch(line)
        if found:
            refs = _refs(found["refs"] or "")
            if not refs:
                if index or (found["reason"] or "").strip():
                    return None  # `reject: why` without naming a line: which line?
                listed = True
                continue
            for ref in refs:
                reasons[ref] = (found["reason"] or "").strip()
            continue
        answer = _LINES_REASON.fullmatch(line) if listed else None
        if answer:
            for ref in _refs(answer["refs"]):
                reasons[ref] = answer["rest"].strip()
        elif not is_pleasantry(line):
            notes.append(_note_of(line))
    if not reasons:
        return None
    note = " ".join(notes)[:1000]
    return Decision(ReviewKind.reject, note=note, reasons=reasons)
