"""The grammar of one line's answer: `45%`, `+10%`, `12 LF`, `$4,500`, `skip`, `stored 2000`...

An answer is a sequence of clauses (`50% stored 2000 retainage 100`); at most one
says how much progress (percent, quantity, value, done or skip). Numbers may carry
`$`, thousands separators and a sign; a European decimal comma, `1e9`, `NaN` and
absurdly large numbers are refused with the reason.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from conversations.vocabulary import MONTH
from models.i18n import ENGLISH, N_, Words
from models.money import HUNDRED, ZERO, format_dollars, format_quantity

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
    keep = "keep"  # `4: same`: the amount the line has on this invoice stands


@dataclass(frozen=True)
class Progress:
    kind: ProgressKind
    amount: Decimal = ZERO
    unit: str | None = None  # the unit word as written (`LF`)
    to_date: bool = False  # `300 LF to date`: a cumulative quantity or value
    cents: bool = False  # a bare number written with cents (`700.00`): money, not units
    of: Decimal | None = None  # `4 of 8`: to date, out of what the line must have scheduled
    written: str = ""  # the number as written, when it may have to be asked about (`12.000`)
    word: bool = False  # `done` / `complete`: 100% said in words (`all done` may mean "finished")
    at: bool = False  # a bare number after a lead-in (`is at 50`, `about 50`): maybe a percent
    level: bool = False  # a bare number after `at` / `al` (`va al 80`): a percent, likeliest


@dataclass(frozen=True)
class Problem:
    text: str  # what the contact wrote (shortened)
    reason: str  # given as a catalog sentence with `{places}`; kept filled in, in English
    values: Mapping[str, object] = field(default_factory=dict)
    template: str = ""  # the catalog sentence `reason` was made of
    # words around the answers, unreadable but holding no figure, line or instruction
    # (`Sorry for the delay!`): beside a real answer, only noted (`handlers.take_problems`)
    chatter: bool = field(default=False, compare=False)
    # `don't send yet`, `wait`: no answer, and a send held back (`flow` says it was)
    held: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if not self.template:
            object.__setattr__(self, "template", self.reason)
            if self.values:
                object.__setattr__(self, "reason", self.reason.format(**self.values))

    def said(self, words: Words = ENGLISH) -> str:
        """The reason in `words`' language."""
        return words(self.template, **self.values)


@dataclass(frozen=True)
class LineAnswer:
    scope: Scope
    line: str | None = None
    progress: Progress | None = None
    stored: Decimal | None = None
    released: Decimal | None = None
    release_all: bool = False
    text: str = ""
    described: str | None = None  # `conduit 45%`: the line named by words of its description
    label: str | None = None  # `1 - Conduit: 45%`: words beside the number, to match the line
    count: bool = False  # `3 done`: its number may be a count of the line asked, not a line
    mark: bool = False  # `4 ✅`, `4 ❌`: a line checked off or crossed out, not a figure given
    site_ref: str | None = None  # `L2` as written: line 2, or Level 2 as site people say?
    # `actually 2: 60%`, `Sorry,` / `2: 60%`: replaces an answer for the line above it
    corrects: bool = field(default=False, compare=False)

    def merged(self, extra: LineAnswer) -> LineAnswer:
        """This answer with what `extra` says added (its progress, stored or released)."""
        return replace(
            self,
            progress=extra.progress if extra.progress is not None else self.progress,
            stored=extra.stored if extra.stored is not None else self.stored,
            released=extra.released if extra.released is not None else self.released,
            release_all=self.release_all or extra.release_all,
            text=f"{self.text}, {extra.text}",
        )

    def overlaps(self, other: LineAnswer) -> bool:
        """Whether both say the same thing (progress, stored, released), maybe differently."""
        return (
            (self.progress is not None and other.progress is not None)
            or (self.stored is not None and other.stored is not None)
            or (self._releases() and other._releases())
        )

    def _releases(self) -> bool:
        return self.released is not None or self.release_all


NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d,]\d|\.\d|\d)|\.\d+"
# Dollars as people mark them: `$`, `US$`, `USD`, `dollars`, `dólares`, and Mexico's `dlls` /
# `dls`, before or after the figure (`$4,500 usd`, `$1,500 dólares` say it twice)
_CUR_BEFORE = r"(?:us\s*\$|\$|usd\b)"
_CUR_AFTER = r"(?:(?:dollars?|d[oó]lares(?:\s+americanos)?|dlls?|dls|usd)\b\.?|\$)"
_MONEYISH = (
    rf"(?P<s1>[-+])?\s*(?P<cur>{_CUR_BEFORE})?\s*(?P<s2>[-+])?\s*(?P<num>{NUM})"
    rf"(?:\s*{_CUR_AFTER})?"
)
_TO_DATE = r"(?P<todate>\s+(?:to\s+date|total|cumulative))?"
_KEYWORDS = (
    r"stored|materials?|retainage|released?|release[sd]?|ret|this|to|total|done|complete[d]?"
    r"|finished|skip|none|nothing|and|with|plus|percent|pct|dollars?|usd|dlls?|dls|d[oó]lares"
    r"|americanos|of|for|on|value"
    r"|amount|amt|qty|quantity|all|rest|cumulative|overall|period|month|por|ciento|nada"
    r"|listo|completo|completado|terminado|ninguno|ninguna|omitir|sin|out|n/a|na|nil|same"
    r"|igual|keep"
)
UNIT = (
    rf"(?!(?:{_KEYWORDS})\b)"
    r"(?P<unit>(?:square|cubic|linear|sq|cu|lin)\.?\s*[a-z]+\.?|[a-z][a-z.²³/]{0,11})(?![\w])"
)


def _clause(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_PERCENT_SIGN = r"(?:%|percent\b|per\s+cent\b|pct\b|por\s*ciento\b)"  # after a number

_CLAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("skip", _clause(r"(?:skip(?:ped)?|none|nothing|nil|n/a|na|zero|no\s+(?:progress|change"
                     r"|work|billing)|nada|ninguno|ninguna|omitir|sin\s+(?:avance|cambios?|trabajo))"
                     r"(?![\w%$])|[-–—]\s*$")),
    # `4: same`, `4: igual`, `4: lo mismo` (a line returned for revision keeps its amount)
    ("keep", _clause(r"(?:keep(?:\s+it)?(?:\s+as\s+is)?|(?:the\s+)?same(?:\s+as\s+(?:before"
                     r"|sent))?|as\s+is|igual(?:\s+que\s+antes)?|lo\s+mismo)(?![\w%$])")),
    ("done", _clause(r"(?:done|complete[d]?|finished|list[oa]s?|complet[oa]s?|completad[oa]s?"
                     r"|terminad[oa]s?"
                     r"|100\s*%\s*(?:complete[d]?|done))(?![\w%])")),
    ("percent", _clause(
        rf"(?P<sign>[-+])?\s*(?P<num>{NUM})\s*{_PERCENT_SIGN}(?:\s*(?P<scope>this\s+"
        r"(?:period|month)|for\s+(?:this|the)\s+(?:period|month)|to\s+date|total|overall"
        r"|cumulative|complete[d]?|done)\b)?")),
    ("stored", _clause(
        rf"(?:materials?\s+(?:stored|on\s+hand)|stored|on\s+hand|materials?|almacenad[oa]s?"
        rf"|materiales(?:\s+almacenados)?)\s*[:=]?\s*{_MONEYISH}")),
    # "2000 stored", but not "$4,500 stored $2,000" or "$100 stored -$50": there "stored"
    # introduces the next amount (its sign included).
    ("stored", _clause(
        rf"{_MONEYISH}\s+(?:(?:of\s+)?materials?\s+)?stored\b"
        r"(?!\s*[:=]?\s*[-+]?\s*(?:usd\b|\$|\.?\d[\d,]*(?:\.\d+)?(?![\d,.]|\s*(?:%|percent|pct))))")),
    # `release retainage`, `release all retainage`, `liberar la retención`: all that is held
    ("released", _clause(
        r"(?P<all>(?:release|liberar)\s+(?:all\s+(?:the\s+)?|the\s+|la\s+|toda\s+la\s+)?"
        r"(?:retainage|retenci[oó]n))(?![\w$])(?!\s*[:=]?\s*(?:\$|usd\b|[\d.]|all\b|full\b))")),
    ("released", _clause(
        r"(?:retainage\s+released|released?\s+retainage|retainage\s+release|release[ds]?"
        r"|retainage|ret\.?|retenci[oó]n(?:\s+liberada)?)\s*[:=]?\s*(?:(?P<all>all|everything|full|in\s+full|all\s+held)"
        rf"(?:\s+retainage)?\b|{_MONEYISH})")),
    # `4 of 8`, `4/8 EA`, `$90,000 of $180,000`, `2 de 8`: to date, out of the line's total
    ("of", _clause(
        rf"(?P<cur>\$)?\s*(?P<num>{NUM})\s*(?:{UNIT}\s*)?(?:out\s+of|of|de|/)\s*(?P<ofcur>\$)?\s*"
        rf"(?P<of>{NUM})(?:\s*{UNIT.replace('?P<unit>', '?P<ofunit>')})?")),
    ("quantity", _clause(
        rf"(?:qty|quantity|q)\s*[:=]?\s*(?P<sign>[-+])?\s*(?P<num>{NUM})(?:\s*{UNIT})?{_TO_DATE}")),
    ("value", _clause(rf"(?:value|amount|amt)\s*[:=]?\s*{_MONEYISH}{_TO_DATE}")),
    ("value", _clause(
        rf"(?P<s1>[-+])?\s*(?P<cur>{_CUR_BEFORE})\s*(?P<s2>[-+])?\s*(?P<num>{NUM})"
        rf"(?:\s*{_CUR_AFTER})?{_TO_DATE}")),
    ("value", _clause(rf"(?P<s1>[-+])?\s*(?P<num>{NUM})\s*{_CUR_AFTER}{_TO_DATE}")),
    ("quantity", _clause(rf"(?P<sign>[-+])?\s*(?P<num>{NUM})\s*{UNIT}{_TO_DATE}")),
    ("number", _clause(rf"(?P<sign>[-+])?\s*(?P<num>{NUM}){_TO_DATE}")),
)  # fmt: skip
_SEPARATOR = re.compile(
    r"\s*(?:(?:&|\band\b|\bwith\b|\bplus\b|\by\b|\bcon\b|:)\s*)?", re.IGNORECASE
)
_PROGRESS = ("skip", "keep", "done", "percent", "of", "quantity", "value", "number")


class _Unreadable(ValueError):
    """Why an answer cannot be read: a catalog sentence and its values."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason.format(**values))
        self.reason = reason
        self.values = values


def parse_body(body: str, *, scope: Scope, line: str | None = None) -> LineAnswer | Problem:
    """One line's answer (the text after any line number). A comment after it for the reader
    (`50% (was 25% last month)`, `50% - per field walk 11/20`, `3 [see photos]`) is set aside
    when it can change nothing: it names no figure, or only a date or what was billed before.
    Words in brackets that qualify the answer are read as if written without them (`30 LF
    (this period)`)."""
    answer = _parse_body(body, scope=scope, line=line)
    if isinstance(answer, LineAnswer) or ("(" not in body and "[" not in body and " " not in body):
        return answer
    match = _COMMENT.fullmatch(body.strip())
    if match is None:
        return answer
    inner = match["paren"] if match["paren"] is not None else match["bracket"]
    tries = [f"{match['head']} {inner}"] if inner is not None else []
    comment = inner if inner is not None else match["dash"]
    if _idle_comment(comment):
        tries.append(match["head"])
    for text in tries:
        read = _parse_body(text, scope=scope, line=line)
        if isinstance(read, LineAnswer):
            return replace(read, text=shortened(body))
    return answer


# A comment after an answer: in brackets, or after a spaced dash (`-`, `--`, `–`, `—`)
_COMMENT = re.compile(
    r"(?P<head>.*?[^\s(\[\-–—])\s*(?:\((?P<paren>[^()]*)\)|\[(?P<bracket>[^\[\]]*)\]"
    r"|\s(?:--?|–|—)\s+(?P<dash>[^\W\d_].*?))\s*[.!]*",
    re.DOTALL,
)
# Words that make a comment part of the answer (what kind of work, which period, how much
# more or less), so that it may not be set aside
_TELLING_COMMENT = re.compile(
    r"deliver|stor(?:ed|age)|on\s*-?site|install|material|entregad|almacen|instalad|en\s+obra"
    r"|retain|retention|retenci|releas|liber|period|month|to\s+date|so\s+far|total|cumul|ytd"
    r"|este\s+mes|la\s+fecha|acumulad|hasta\s+(?:hoy|ahora)|\bmore\b|addition|extra|\bm[aá]s\b"
    r"|adicional|credit|back\s*-?charge|deduct|minus|\bless\b|menos|descuent|\bnot\b|\bno\b"
    r"|sin\b|\bonly\b|\bsolo\b|s[oó]lo|instead|\brather\b|\bmean\b|\bshould\b|debe|\bactual",
    re.IGNORECASE,
)
# ... unless it says what was billed before (`was 25% last month`, `antes 25%`)
_BEFORE_COMMENT = re.compile(
    r"\b(?:was|were|previous(?:ly)?|prev|prior|before|antes|anterior(?:mente)?|era|eran)\b"
    r"|last\s+(?:month|period|time|invoice|pay\s*app|billing)|(?:mes|periodo|período)\s+pasado"
    r"|ya\s+(?:facturad|cobrad)",
    re.IGNORECASE,
)
_DATE_IN_COMMENT = re.compile(
    rf"\b\d{{1,4}}[/.-]\d{{1,2}}(?:[/.-]\d{{2,4}})?\b|\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\b\d{{1,2}}\s+(?:de\s+)?{MONTH}\b",
    re.IGNORECASE,
)


def _idle_comment(comment: str) -> bool:
    """Whether a comment after an answer can change nothing: it names no figure, or only a
    date (`per field walk 11/20`) or what was billed before (`was 25% last month`)."""
    if not re.search(r"[^\W\d_]", comment):
        return False  # `(50)`, `- 60%`: a figure, not a comment
    undated = _DATE_IN_COMMENT.sub(" ", comment)
    if _BEFORE_COMMENT.search(undated):
        return True
    return not re.search(r"[\d%$€]", undated) and not _TELLING_COMMENT.search(undated)


def _parse_body(body: str, *, scope: Scope, line: str | None = None) -> LineAnswer | Problem:
    progress: Progress | None = None
    stored: Decimal | None = None
    released: Decimal | None = None
    release_all = False
    pos = 0
    try:
        said = signs_said(words_to_numbers(body.strip()))
        led = lead_in_removed(said)
        text, when, estimate = qualified(led)
        # `is at 50`, `about 50`, `al 50`, `50 or so`, `50 de avance`: maybe a percent
        at = estimate or led != said
        # `is at 600`, `va en 81 mil`: where the line stands, the total to date
        standing = when is None and _STANDING.search(said[: len(said) - len(led)]) is not None
        while pos < len(text):
            pos = _SEPARATOR.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= len(text):
                break
            kind, match = _next_clause(text, pos)
            pos = match.end()
            if kind in _PROGRESS:
                if progress is not None:
                    raise _Unreadable(N_("This gives two amounts for one line; which one is it?"))
                progress = _progress(kind, match)
            elif kind == "stored":
                stored = _money(match)
            elif match["all"]:
                release_all = True
            else:
                released = _money(match)
        if (
            when == When.period
            and progress is not None
            and progress.kind == ProgressKind.total_percent
            and _LEVEL.search(said[: len(said) - len(led)])
        ):  # `is at 50% this month`, `va al 50% este mes`: where the line stands, or this
            # period's progress? (`at 80 LF this month` is this period's 80 LF)
            raise _Unreadable(N_("This says both to date and this period; which one is it?"))
        if when is not None and progress is not None:
            progress = _when(progress, when)
        if standing and progress is not None and progress.kind in _AMOUNTS:
            progress = replace(progress, to_date=True)
        if progress is not None and progress.kind == ProgressKind.keep and scope != Scope.line:
            raise why_unreadable(text)  # `all same`: only a line named keeps its amount
        if at and progress is not None and progress.kind == ProgressKind.number:
            small = not progress.cents and progress.amount <= HUNDRED
            level = small and when is None and _LEVEL.search(said[: len(said) - len(led)])
            if level and progress.amount == HUNDRED and _AL.search(said[: len(said) - len(led)]):
                # `al cien`, `ya está al 100`: done, as Spanish says it (not 100 LF)
                progress = Progress(ProgressKind.total_percent, HUNDRED)
            else:
                progress = replace(progress, at=small, level=bool(level))
    except _Unreadable as exc:
        return Problem(shortened(body), exc.reason, exc.values)
    if progress is None and stored is None and released is None and not release_all:
        return Problem(shortened(body), N_("I found no answer here."))
    return LineAnswer(
        scope=scope,
        line=line,
        progress=progress,
        stored=stored,
        released=released,
        release_all=release_all,
        text=shortened(body),
    )


def _next_clause(text: str, pos: int) -> tuple[str, re.Match[str]]:
    for kind, pattern in _CLAUSES:
        match = pattern.match(text, pos)
        if match and match.end() > pos:
            return kind, match
    raise why_unreadable(text, pos)


def why_unreadable(text: str, pos: int = 0) -> _Unreadable:
    """The most useful reason we can give for text the grammar stopped reading at `pos`."""
    lowered = text.lower()
    if re.search(r"\d\s*e\s*[-+]?\d", lowered):
        return _Unreadable(
            N_("Please write the number in full (like 1000000), not in scientific notation.")
        )
    if re.search(r"\b(?:nan|inf|infinity)\b", lowered):
        return _Unreadable(N_("That is not a number I can bill."))
    if re.search(r"\d,\d{1,2}(?!\d)|\d,\d{4,}", text):
        return _Unreadable(
            N_("Use a point for decimals and commas only between thousands (12.5, 1,200.50).")
        )
    if re.search(r"\d\.\d+\.\d", text):
        return _Unreadable(N_("That number has more than one decimal point."))
    if not re.search(r"[A-Za-z0-9]", text):
        return _Unreadable(N_("I couldn't find a number or a word I know here."))
    return _Unreadable(N_("I couldn't read “{text}”."), text=shortened(text[pos:], 30))


def _progress(kind: str, match: re.Match[str]) -> Progress:
    if kind in ("skip", "keep"):
        return Progress(ProgressKind(kind))
    if kind == "done":
        return Progress(ProgressKind.total_percent, HUNDRED, word=True)
    groups = match.groupdict()
    to_date = bool(groups.get("todate"))
    if kind == "percent":
        amount = _number(match["num"], match["sign"])
        if abs(amount) > MAX_PERCENT:
            raise _Unreadable(N_("{number}% is not a percentage I can bill."), number=match["num"])
        scope = (match["scope"] or "").lower()
        period = match["sign"] in ("+", "-") or scope.startswith(("this", "for"))
        kind_ = ProgressKind.period_percent if period else ProgressKind.total_percent
        return Progress(kind_, amount)
    if kind == "value":
        return Progress(ProgressKind.value, _money(match), to_date=to_date)
    amount = _number(match["num"], groups.get("sign"))
    if kind == "number" and amount == 0 and not to_date:
        return Progress(ProgressKind.skip)
    if kind == "number" and re.fullmatch(r"[\d,]*\.\d\d", match["num"]):
        # `700.00`: written with cents, a value even on a unit line (DESIGN §2)
        return Progress(ProgressKind.number, amount, to_date=to_date, cents=True)
    if kind == "of":
        money = bool(groups.get("cur") or groups.get("ofcur"))
        return Progress(
            ProgressKind.value if money else ProgressKind.number,
            amount,
            unit=groups.get("unit") or groups.get("ofunit"),
            to_date=True,
            of=_number(match["of"], None),
        )
    if kind == "quantity":
        written = match["num"] if THOUSANDS_POINT.fullmatch(match["num"]) else ""
        return Progress(
            ProgressKind.quantity, amount, unit=groups.get("unit"), to_date=to_date, written=written
        )
    return Progress(ProgressKind.number, amount, to_date=to_date, written=match["num"])


class When(enum.StrEnum):
    """What a trailing qualifier says about the amount: cumulative, or this period only."""

    to_date = "to_date"
    period = "period"


# Dates written beside an answer or alone (`1: 50% al 15 de noviembre`, `2: 3 panels (11/30)`,
# `as of 11/30`): when the figure was true, never a figure to bill.
_NUMERIC_DATE = r"\d{1,2}/\d{1,2}(?:/(?:\d{4}|\d{2}))?"
_NAMED_DATE = (
    rf"(?:\d{{1,2}}(?:\s+de)?\s+{MONTH}|{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)"
    r"(?:,?\s+(?:de\s+|del\s+)?\d{4})?"
)
_DATE_WORD = (
    r"(?:as\s+of|al|a|del|el|hasta\s+el|through|thru|on|dated|date|fecha|corte(?:\s+al)?"
    r"|(?:pay\s+|billing\s+)?period\s+(?:ending|through)|billing\s+through|periodo\s+al)"
)
_DATED = (
    rf"\(\s*(?:{_DATE_WORD}\s*:?\s*)?(?:{_NUMERIC_DATE}|{_NAMED_DATE})\s*\)"
    rf"|(?:{_DATE_WORD}\s*:?\s*)?{_NAMED_DATE}|{_DATE_WORD}\s*:?\s*{_NUMERIC_DATE}"
)
_DATE_ALONE = re.compile(rf"(?:{_DATED}|{_NUMERIC_DATE})\s*[:\-–—]?", re.IGNORECASE)
_DAY_MONTH = re.compile(r"(\d{1,2})/(\d{1,2})")


def is_date(text: str) -> bool:
    """`11/30`, `al 11/12`, `as of Nov 30`, `(30 de noviembre)`: a date alone, which may not
    be read as `11 of 30` (`1/2`, `3/8` may be dates too; `20/40` may not)."""
    if _DATE_ALONE.fullmatch(text.strip()) is None:
        return False
    numeric = _DAY_MONTH.search(text)
    if numeric is None:
        return True  # a month by its name
    low, high = sorted((int(numeric[1]), int(numeric[2])))
    return 1 <= low <= 12 and high <= 31  # a month and a day, in either order


_QUALIFIER = re.compile(
    r"(?<!\s)\s*(?:[,;-]\s*)?(?:"  # from a run's first space, once: linear on long runs
    rf"(?P<date>{_DATED})|"
    r"(?P<to_date>to[\s-]+date|\btd|so\s+far|in\s+total|total|cumulative(?:ly)?|overall"
    r"|a\s+la\s+fecha"
    r"|hasta\s+(?:la\s+fecha|ahora)|acumulad[oa]s?|en\s+total)"
    r"|(?P<period>(?:for\s+|in\s+|on\s+)?(?:this|the)\s+(?:period|month|week|cycle"
    r"|billing(?:\s+period)?|pay\s*app|invoice|application)|\b(?:more|extra|additional|adicional(?:es)?)"
    r"|\bm[aá]s|(?:en\s+)?este\s+(?:mes|periodo|período|ciclo)|(?:para\s+)?esta\s+semana)"
    r"|(?P<plain>complete[d]?|installed|in\s+place|placed|finished|done|billed|delivered|set"
    r"|thanks|thank\s+you|thx|please|gracias|por\s+favor"
    r"|instalad[oa]s?|complet[oa]s?|completad[oa]s?|terminad[oa]s?|colocad[oa]s?"
    r"|entregad[oa]s?)"
    # an estimate or progress word after the figure (`50 or so`, `50 de avance`): a bare
    # number with it may be a percent, as with one before it (`about 50`)
    r"|(?P<estimate>approx(?:imately|\.)?|or\s+so|roughly|more\s+or\s+less|give\s+or\s+take"
    r"|or\s+thereabouts|(?<=\d)-?ish|aprox(?:imadamente|\.)?|m[aá]s\s+o\s+menos"
    # `45% progress`, `45% de avance` (after a figure: `no progress` is the answer itself)
    r"|(?<=[\d%])\s*(?:of\s+)?progress|(?<=[\d%])\s*(?:de\s+)?(?:avance|progreso)))\s*$",
    re.IGNORECASE,
)


_COMPLETED = re.compile(r"complete[d]?|complet[oa]s?|completad[oa]s?", re.IGNORECASE)
_PERCENT = re.compile(_PERCENT_SIGN, re.IGNORECASE)
_ANSWER_WORD = re.compile(
    r"done|complete[d]?|finished|complet[oa]s?|completad[oa]s?|terminad[oa]s?|listo",
    re.IGNORECASE,
)
_BARE = re.compile(r"\s*#?\d{1,6}[a-z]?\s*")


# Words before an answer that only lead into it: `is 45%`, `is at about 45%`, `~45%`,
# `está al 45%`, `va en unos 80`. An estimate is billed as written; the reply shows it.
LEAD_IN = (
    r"(?:(?:(?:is|are|was|were|now|currently|at|stands\s+at|about|around|roughly|approx"
    r"|approximately|approx\.|circa|est\.|estimated|es|est[aá]n?|estamos|va|van|vamos|en|al|a"
    r"|como|ya|llev(?:a|an|amos)|actualmente|aprox\.?|aproximadamente|cerca\s+de|unos|unas"
    r"|alrededor\s+de(?:l)?|(?:to\s+)?bill(?:ing|ed)?|factur(?:ar|ado|amos|a)|cobr(?:ar|ado|amos)"
    # hedges, as `about` (`almost done` is not done: left unread)
    r"|(?:almost|nearly|close\s+to|like|maybe|probably|more\s+or\s+less|m[aá]s\s+o\s+menos"
    r"|casi|como\s+(?:un|el)|quiz[aá]s?|tal\s+vez)(?!\s+(?:done|complete|finished|list[oa]"
    r"|terminad|complet|the\s+same|igual)))"
    r"\b|[~≈])\s*)+"
)
_LEAD_IN = re.compile(LEAD_IN, re.IGNORECASE)
# Of those, the words that say where a line stands (`is at 600`, `currently 600 LF`, `va en
# 81 mil`, `está en $81,000`, `llevamos 600`): a quantity or value after them is the total to
# date, as `600 so far` is. `about 600` and `is 600` say nothing of it.
_STANDING = re.compile(
    r"\b(?:at|currently|va|van|vamos|est[aá]n?|estamos|llev(?:a|an|amos)|actualmente)\b",
    re.IGNORECASE,
)
_AMOUNTS = (ProgressKind.quantity, ProgressKind.value, ProgressKind.number)
# Of those, the words that say the level a line is at (`is at 80`, `va al 80`, `al cien`): a
# bare number up to 100 after them is a percent far more often than units
_LEVEL = re.compile(r"\b(?:at|al)\b", re.IGNORECASE)
_AL = re.compile(r"\bal\b", re.IGNORECASE)


def lead_in_removed(text: str) -> str:
    """`is at about 45%` -> `45%`; text with nothing after the lead-in is left alone."""
    match = _LEAD_IN.match(text)
    return text[match.end() :] if match and text[match.end() :].strip() else text


def qualified(text: str) -> tuple[str, When | None, bool]:
    """`45% complete to date` -> (`45%`, to date, False): trailing words that only qualify the
    amount come off, and say whether it is cumulative or this period's (None: not said), and
    whether it is an estimate (`50 or so`, `50 de avance`)."""
    when: When | None = None
    estimate = False
    while True:
        match = _QUALIFIER.search(text)
        if match is None or not text[: match.start()].strip():
            return text, when, estimate  # `done` alone is the answer itself
        if _ANSWER_WORD.fullmatch(match["plain"] or "") and _BARE.fullmatch(text[: match.start()]):
            return text, when, estimate  # `3 done` is line 3 done, not 3 units
        estimate = estimate or match["estimate"] is not None
        said = When.to_date if match["to_date"] else When.period if match["period"] else None
        if said is not None and when is not None and said != when:
            raise _Unreadable(N_("This says both to date and this period; which one is it?"))
        when = said or when
        text = text[: match.start()].rstrip(" ,;-")
        completed = _COMPLETED.fullmatch(match["plain"] or "")
        if completed and when is None and not _PERCENT.search(text):
            # `$81,000 complete`: the total completed to date (as G703 says it), or this
            # period's? (`45% complete` is to date: a percent always is)
            raise _Unreadable(
                N_("Is {amount} this period's, or the total completed to date? Write "
                   "`{amount} this period` or `{amount} to date`."),
                amount=text.strip(),
            )  # fmt: skip


def _when(progress: Progress, when: When) -> Progress:
    """The amount read as a qualifier says: cumulative or this period's."""
    kind = progress.kind
    if kind in (ProgressKind.total_percent, ProgressKind.period_percent):
        return replace(
            progress,
            kind=ProgressKind.period_percent if when == When.period else ProgressKind.total_percent,
        )
    if kind in (ProgressKind.quantity, ProgressKind.value, ProgressKind.number):
        return replace(progress, to_date=when == When.to_date)
    return progress


_SMALL = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SMALL_ES = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
]
_TENS_ES = [
    "veinte",
    "treinta",
    "cuarenta",
    "cincuenta",
    "sesenta",
    "setenta",
    "ochenta",
    "noventa",
]
_TWENTIES_ES = [
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
]
_WORDS: dict[str, int] = {
    **{word: n for n, word in enumerate(_SMALL)},
    **{word: 20 + 10 * n for n, word in enumerate(_TENS)},
    **{word: n for n, word in enumerate(_SMALL_ES)},
    **{word: 20 + 10 * n for n, word in enumerate(_TENS_ES)},
    **{word: 21 + n for n, word in enumerate(_TWENTIES_ES)},
    "una": 1,
    "dieciseis": 16,
    "veintidos": 22,
    "veintitres": 23,
    "veintiseis": 26,
    "hundred": 100,
    "cien": 100,
}
_UNITS_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_UNITS_ES = ["uno", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]
_NUMBER_WORDS = re.compile(
    r"\b(?:(?P<tens>" + "|".join(_TENS) + r")[-\s](?P<unit>" + "|".join(_UNITS_WORDS) + r")"
    r"|(?P<tens_es>" + "|".join(_TENS_ES[1:]) + r")\s+y\s+(?P<unit_es>" + "|".join(_UNITS_ES) + r")"
    r"|(?:a|one)\s+hundred"
    r"|(?P<word>" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r"))\b",
    re.IGNORECASE,
)


# A line's number said as a word (`line two`, `línea tres`, `item twenty-one`), for the
# readers of line references (`text`); `zero`, `una`, `hundred` and `cien` name no line.
NUMBER_WORD = (
    r"(?:(?:" + "|".join(_TENS) + r")[-\s](?:" + "|".join(_UNITS_WORDS) + r")"
    r"|(?:" + "|".join(_TENS_ES[1:]) + r")\s+y\s+(?:" + "|".join(_UNITS_ES) + r")"
    r"|(?:"
    + "|".join(
        sorted(
            (w for w in _WORDS if w not in ("zero", "cero", "una", "hundred", "cien")),
            key=len,
            reverse=True,
        )
    )
    + r"))"
)


def number_said(word: str) -> str:
    """`two` -> `2`, `twenty-one` -> `21`, `treinta y uno` -> `31` (a `NUMBER_WORD`)."""
    return _small_numbers(word)


# `plus 10%`, `más 10%`, `mas $500`: the sign said as a word (voice typing writes `+10%` so),
# this period's as `+10%` is. Only right before a figure: `50% plus stored 2000` joins two
# clauses, and `más o menos 50` is an estimate.
_SAID_PLUS = re.compile(
    r"(?<![\w+-])(?:plus|m[aá]s)\s*(?=(?:us\s*\$|\$|usd\b)?\s*\.?\d)", re.IGNORECASE
)


def signs_said(text: str) -> str:
    """`plus 10%` -> `+10%`, `más 10 por ciento` -> `+10 por ciento`."""
    return _SAID_PLUS.sub("+", text) if "s" in text.lower() else text


_THOUSANDS = re.compile(
    r"(?<![\d.,])(?P<num>\d+(?:\.\d+)?)(?:\s*k|\s+(?:thousand|mil))\b", re.IGNORECASE
)
_FRACTIONS = re.compile(
    r"\b(?:(?P<half>(?:a\s+|one\s+|1\s+|la\s+)?(?:half(?:\s*way)?|mitad)|medio)"
    r"|(?P<three>(?:three|3|tres)\s+(?:quarters|cuartos|cuartas\s+partes))"
    r"|(?P<quarter>(?:a\s+|one\s+|1\s+|un\s+)?(?:quarter|cuarto)))\b(?:\s+(?:way|of\s+it))?",
    re.IGNORECASE,
)


# Hundreds and what multiplies, for numbers written out in full (`cuarenta y cinco mil
# quinientos`, `two thousand five hundred`, `ciento veinte mil`, `un millón`)
_HUNDREDS_ES = {
    "ciento": 100,
    "doscientos": 200,
    "trescientos": 300,
    "cuatrocientos": 400,
    "quinientos": 500,
    "seiscientos": 600,
    "setecientos": 700,
    "ochocientos": 800,
    "novecientos": 900,
}
_SCALES = {"thousand": 1000, "mil": 1000, "million": 10**6, "millón": 10**6, "millon": 10**6}
_SCALES |= {"millones": 10**6, "millions": 10**6}
_IN_FULL = {word: n for word, n in _WORDS.items() if word not in ("hundred", "cero")} | {
    "a": 1,
    "un": 1,
    **_HUNDREDS_ES,
    **{word[:-2] + "as": n for word, n in _HUNDREDS_ES.items() if word != "ciento"},
}
_IN_FULL_WORD = "|".join(sorted([*_IN_FULL, "hundred", *_SCALES], key=len, reverse=True))
_WRITTEN_OUT = re.compile(
    rf"\b(?:{_IN_FULL_WORD})(?:(?:\s+(?:y|and)\s+|[\s-]+)(?:{_IN_FULL_WORD}))*\b", re.IGNORECASE
)
_WRITTEN_BIG = re.compile(r"hundred|thousand|mil|ient[oa]s|ciento", re.IGNORECASE)  # cheap look
# `45 mil 500`, `2 mil 500`: a thousands figure and its last three digits
_THOUSANDS_AND = re.compile(r"(?<![\d.,])(?P<num>\d{1,3})\s+mil\s+(?P<rest>\d{3})(?![\d.,%])")


def words_to_numbers(text: str) -> str:
    """Numbers written as words or in shorthand (`twenty-five percent` -> `25 percent`,
    `cuarenta y cinco por ciento` -> `45 por ciento`, `$50k` and `fifty thousand` ->
    `$50000` and `50000`, `mil quinientos` -> `1500`, `half done` -> `50% done`)."""
    if _WRITTEN_BIG.search(text):
        text = _WRITTEN_OUT.sub(_written_out, text)
    text = _THOUSANDS_AND.sub(lambda m: str(int(m["num"]) * 1000 + int(m["rest"])), text)
    text = _FRACTIONS.sub(_fraction, _small_numbers(text))
    return _THOUSANDS.sub(lambda m: format((Decimal(m["num"]) * 1000).normalize(), "f"), text)


def _written_out(match: re.Match[str]) -> str:
    """A run of number words with a hundred or a scale in it, as digits; any other run
    (`cuarenta y cinco`, `la 1 y la 2`) is left to the readings after it."""
    tokens = [w for w in re.split(r"[\s-]+", match[0].lower()) if w not in ("y", "and")]
    if len(tokens) == 1 and tokens[0] in _SCALES:
        return match[0]  # `45 mil`, `6 mil`: a figure's multiple, read after this
    if tokens[0] == "ciento" and match.string[: match.start()].lower().rstrip().endswith("por"):
        return match[0]  # `45 por ciento`: percent
    if not any(w == "hundred" or w in _SCALES or _IN_FULL.get(w, 0) >= 100 for w in tokens):
        return match[0]
    total = current = 0
    previous = ""
    for word in tokens:
        if word in _SCALES:
            if previous in _SCALES:
                return match[0]  # `mil millones`: not guessed
            total += (current or 1) * _SCALES[word]
            current = 0
        elif word == "hundred":
            if not 0 < current < 100:
                return match[0]  # `hundred` after nothing, or after `two hundred`
            current *= 100  # `five hundred`, `twenty five hundred`
        else:
            value = _IN_FULL[word]
            if word in ("a", "un") and previous:
                return match[0]
            tens_then_unit = value < 10 and current % 100 >= 20 and not current % 10
            if current % 100 and value < 100 and not tens_then_unit:
                return match[0]  # `cinco cinco`, `twenty twenty`: two numbers, not one
            current += value
        previous = word
    return str(total + current)


def _fraction(match: re.Match[str]) -> str:
    return "50%" if match["half"] else "75%" if match["three"] else "25%"


def _small_numbers(text: str) -> str:

    def digits(match: re.Match[str]) -> str:
        if match["tens"]:
            return str(_WORDS[match["tens"].lower()] + _WORDS[match["unit"].lower()])
        if match["tens_es"]:
            return str(_WORDS[match["tens_es"].lower()] + _WORDS[match["unit_es"].lower()])
        if match["word"]:
            return str(_WORDS[match["word"].lower()])
        return "100"

    return _NUMBER_WORDS.sub(digits, text)


def _money(match: re.Match[str]) -> Decimal:
    groups = match.groupdict()
    signs = (groups.get("s1") or "") + (groups.get("s2") or "")
    if len(signs) > 1:
        raise _Unreadable(N_("That amount has two signs."))
    if THOUSANDS_POINT.fullmatch(match["num"]):
        raise thousands_point_unclear(match["num"])
    return _number(match["num"], signs)


# `12.000`: three decimals on money is a point between thousands (as Spanish writes 12,000),
# or twelve dollars; which one is not guessed.
THOUSANDS_POINT = re.compile(r"[1-9]\d{0,2}\.\d{3}")  # `12.000`: twelve, or 12,000?


def thousands_point_unclear(digits: str, uom: str | None = None) -> _Unreadable:
    """`12.000` dollars, or `1.000 LF` (with the line's `uom`): twelve, or a thousand as
    Spanish writes it? Asked, never guessed."""
    as_decimal = Decimal(digits)
    if uom is None:  # dollars show two decimals, and `$12,000.00` both separators
        decimal_text, thousands_text = format_dollars(as_decimal), format_dollars(as_decimal * 1000)
    else:
        # Each suggestion must read back as what it says, in either way of writing numbers:
        # `1.125` is shown `1.1250` (four decimals are never thousands) and a thousand times
        # it `1125`, not `1,125` (a decimal comma in Spanish).
        decimal_text = format_quantity(as_decimal)
        if THOUSANDS_POINT.fullmatch(decimal_text):
            decimal_text += "0"
        thousands_text = f"{as_decimal * 1000:f}".partition(".")[0]
        decimal_text, thousands_text = (
            f"{decimal_text} {uom}".strip(),
            f"{thousands_text} {uom}".strip(),
        )
    return _Unreadable(
        N_("Is {number} {as_decimal} or {as_thousands}? Write it as `{as_thousands}` or "
           "`{as_decimal}`."),
        number=digits,
        as_decimal=decimal_text,
        as_thousands=thousands_text,
    )  # fmt: skip


def _number(digits: str, sign: str | None) -> Decimal:
    whole, _, fraction = digits.replace(",", "").partition(".")
    if len(whole.lstrip("0")) > 13 or len(fraction) > 6:
        raise _Unreadable(N_("{number} has too many digits."), number=digits)
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the grammar admits only digits
        raise _Unreadable(N_("{number} is not a number."), number=digits) from exc
    if sign == "-":
        value = -value
    if abs(value) > MAX_AMOUNT:
        raise _Unreadable(N_("{number} is too large."), number=digits)
    return ZERO if value == 0 else value  # `-0` is zero


def shortened(text: str, limit: int = 60) -> str:
    """`text` on one line, cut to `limit` characters with `…` (to quote it in a reply)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
