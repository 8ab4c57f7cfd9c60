"""The grammar of one line's answer: `45%`, `+10%`, `12 LF`, `$4,500`, `skip`, `stored 2000`...

An answer is a sequence of clauses (`50% stored 2000 retainage 100`); at most one
says how much progress (percent, quantity, value, done or skip). Numbers may carry
`$`, thousands separators and a sign; a European decimal comma, `1e9`, `NaN` and
absurdly large numbers are refused with the reason.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from models.money import HUNDRED, ZERO

MAX_AMOUNT = Decimal("1000000000000")  # 10^12: beyond any subcontract, within Numeric(16, 2)
MAX_PERCENT = Decimal("10000")


class Scope(enum.StrEnum):
    line = "line"  # a named line (`2: 30 units`)
    current = "current"  # no line number: the line being asked
    all = "all"  # every line (`all 100%`)
    rest = "rest"  # every line not answered yet (`rest skip`)


class ProgressKind(enum.StrEnum):
    total_percent = "total_percent"  # `45%`: cumulative, includes earlier periods
    period_percent = "period_percent"  # `+10%`: this period only
    quantity = "quantity"  # `12 LF`, `qty 12`
    value = "value"  # `$4,500`
    number = "number"  # `12`: a quantity on unit lines, a value on amount lines
    skip = "skip"  # nothing this period


@dataclass(frozen=True)
class Progress:
    kind: ProgressKind
    amount: Decimal = ZERO
    unit: str | None = None  # the unit word as written (`LF`)
    to_date: bool = False  # `300 LF to date`: a cumulative quantity or value


@dataclass(frozen=True)
class Problem:
    text: str  # what the contact wrote (shortened)
    reason: str


@dataclass(frozen=True)
class LineAnswer:
    scope: Scope
    line: str | None = None
    progress: Progress | None = None
    stored: Decimal | None = None
    released: Decimal | None = None
    release_all: bool = False
    text: str = ""

    def merged(self, extra: LineAnswer) -> LineAnswer:
        """This answer with the stored/released clauses of `extra` added."""
        return replace(
            self,
            stored=extra.stored if extra.stored is not None else self.stored,
            released=extra.released if extra.released is not None else self.released,
            release_all=self.release_all or extra.release_all,
            text=f"{self.text}, {extra.text}",
        )


NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d,]\d|\.\d|\d)|\.\d+"
_MONEYISH = (
    rf"(?P<s1>[-+])?\s*(?P<cur>\$|usd\b)?\s*(?P<s2>[-+])?\s*(?P<num>{NUM})"
    r"(?:\s*(?:dollars?\b|usd\b|\$))?"
)
_TO_DATE = r"(?P<todate>\s+(?:to\s+date|total|cumulative))?"
_KEYWORDS = (
    r"stored|materials?|retainage|released?|release[sd]?|ret|this|to|total|done|complete[d]?"
    r"|finished|skip|none|nothing|and|with|plus|percent|pct|dollars?|usd|of|for|on|value"
    r"|amount|amt|qty|quantity|all|rest|cumulative|overall|period|month"
)
UNIT = (
    rf"(?!(?:{_KEYWORDS})\b)"
    r"(?P<unit>(?:sq|cu|lin|square|cubic|linear)\.?\s*[a-z]+\.?|[a-z][a-z.²³/]{0,11})(?![\w])"
)


def _clause(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_CLAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("skip", _clause(r"(?:skip(?:ped)?|none|nothing|nil|n/a|na|zero|no\s+(?:progress|change"
                     r"|work|billing))(?![\w%$])|[-–—]\s*$")),
    ("done", _clause(r"(?:done|complete[d]?|finished|100\s*%\s*(?:complete[d]?|done))(?![\w%])")),
    ("percent", _clause(
        rf"(?P<sign>[-+])?\s*(?P<num>{NUM})\s*(?:%|percent\b|pct\b)(?:\s*(?P<scope>this\s+"
        r"(?:period|month)|for\s+(?:this|the)\s+(?:period|month)|to\s+date|total|overall"
        r"|cumulative|complete[d]?|done)\b)?")),
    ("stored", _clause(rf"(?:materials?\s+)?(?:stored|on\s+hand)\s*[:=]?\s*{_MONEYISH}")),
    # "2000 stored", but not "$4,500 stored $2,000": there "stored" introduces the next amount.
    ("stored", _clause(
        rf"{_MONEYISH}\s+(?:(?:of\s+)?materials?\s+)?stored\b"
        r"(?!\s*[:=]?\s*(?:usd\b|\$|[-+]?\.?\d[\d,]*(?:\.\d+)?(?![\d,.]|\s*(?:%|percent|pct))))")),
    ("released", _clause(
        r"(?:retainage\s+released|released?\s+retainage|retainage\s+release|release[ds]?"
        r"|retainage|ret\.?)\s*[:=]?\s*(?:(?P<all>all|everything|full|in\s+full|all\s+held)"
        rf"(?:\s+retainage)?\b|{_MONEYISH})")),
    ("quantity", _clause(
        rf"(?:qty|quantity|q)\s*[:=]?\s*(?P<sign>[-+])?\s*(?P<num>{NUM})(?:\s*{UNIT})?{_TO_DATE}")),
    ("value", _clause(rf"(?:value|amount|amt)\s*[:=]?\s*{_MONEYISH}{_TO_DATE}")),
    ("value", _clause(
        rf"(?P<s1>[-+])?\s*(?P<cur>\$|usd\b)\s*(?P<s2>[-+])?\s*(?P<num>{NUM}){_TO_DATE}")),
    ("value", _clause(rf"(?P<s1>[-+])?\s*(?P<num>{NUM})\s*(?:dollars?\b|usd\b|\$){_TO_DATE}")),
    ("quantity", _clause(rf"(?P<sign>[-+])?\s*(?P<num>{NUM})\s*{UNIT}{_TO_DATE}")),
    ("number", _clause(rf"(?P<sign>[-+])?\s*(?P<num>{NUM}){_TO_DATE}")),
)  # fmt: skip
_SEPARATOR = re.compile(r"\s*(?:(?:&|\band\b|\bwith\b|\bplus\b|:)\s*)?", re.IGNORECASE)
_PROGRESS = ("skip", "done", "percent", "quantity", "value", "number")


class _Unreadable(ValueError):
    pass


def parse_body(body: str, *, scope: Scope, line: str | None = None) -> LineAnswer | Problem:
    """One line's answer (the text after any line number)."""
    progress: Progress | None = None
    stored: Decimal | None = None
    released: Decimal | None = None
    release_all = False
    pos = 0
    text = body.strip()
    try:
        while pos < len(text):
            pos = _SEPARATOR.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= len(text):
                break
            kind, match = _next_clause(text, pos)
            pos = match.end()
            if kind in _PROGRESS:
                if progress is not None:
                    raise _Unreadable("This gives two amounts for one line; which one is it?")
                progress = _progress(kind, match)
            elif kind == "stored":
                stored = _money(match)
            elif match["all"]:
                release_all = True
            else:
                released = _money(match)
    except _Unreadable as exc:
        return Problem(_short(body), str(exc))
    if progress is None and stored is None and released is None and not release_all:
        return Problem(_short(body), "I found no answer here.")
    return LineAnswer(
        scope=scope,
        line=line,
        progress=progress,
        stored=stored,
        released=released,
        release_all=release_all,
        text=_short(body),
    )


def _next_clause(text: str, pos: int) -> tuple[str, re.Match[str]]:
    for kind, pattern in _CLAUSES:
        match = pattern.match(text, pos)
        if match and match.end() > pos:
            return kind, match
    raise _Unreadable(why_unreadable(text, pos))


def why_unreadable(text: str, pos: int = 0) -> str:
    """The most useful reason we can give for text the grammar stopped reading at `pos`."""
    lowered = text.lower()
    if re.search(r"\d\s*e\s*[-+]?\d", lowered):
        return "Please write the number in full (like 1000000), not in scientific notation."
    if re.search(r"\b(?:nan|inf|infinity)\b", lowered):
        return "That is not a number I can bill."
    if re.search(r"\d,\d{1,2}(?!\d)|\d,\d{4,}", text):
        return "Use a point for decimals and commas only between thousands (12.5, 1,200.50)."
    if re.search(r"\d\.\d+\.\d", text):
        return "That number has more than one decimal point."
    if not re.search(r"[A-Za-z0-9]", text):
        return "I couldn't find a number or a word I know here."
    return f"I couldn't read “{_short(text[pos:], 30)}”."


def _progress(kind: str, match: re.Match[str]) -> Progress:
    if kind == "skip":
        return Progress(ProgressKind.skip)
    if kind == "done":
        return Progress(ProgressKind.total_percent, HUNDRED)
    groups = match.groupdict()
    to_date = bool(groups.get("todate"))
    if kind == "percent":
        amount = _number(match["num"], match["sign"])
        if abs(amount) > MAX_PERCENT:
            raise _Unreadable(f"{match['num']}% is not a percentage I can bill.")
        scope = (match["scope"] or "").lower()
        period = match["sign"] in ("+", "-") or scope.startswith(("this", "for"))
        kind_ = ProgressKind.period_percent if period else ProgressKind.total_percent
        return Progress(kind_, amount)
    if kind == "value":
        return Progress(ProgressKind.value, _money(match), to_date=to_date)
    amount = _number(match["num"], groups.get("sign"))
    if kind == "number" and amount == 0 and not to_date:
        return Progress(ProgressKind.skip)
    if kind == "quantity":
        return Progress(ProgressKind.quantity, amount, unit=groups.get("unit"), to_date=to_date)
    return Progress(ProgressKind.number, amount, to_date=to_date)


def _money(match: re.Match[str]) -> Decimal:
    groups = match.groupdict()
    signs = (groups.get("s1") or "") + (groups.get("s2") or "")
    if len(signs) > 1:
        raise _Unreadable("That amount has two signs.")
    return _number(match["num"], signs)


def _number(digits: str, sign: str | None) -> Decimal:
    whole, _, fraction = digits.replace(",", "").partition(".")
    if len(whole.lstrip("0")) > 13 or len(fraction) > 6:
        raise _Unreadable(f"{digits} has too many digits.")
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the grammar admits only digits
        raise _Unreadable(f"{digits} is not a number.") from exc
    if sign == "-":
        value = -value
    if abs(value) > MAX_AMOUNT:
        raise _Unreadable(f"{digits} is too large.")
    return ZERO if value == 0 else value  # `-0` is zero


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
