"""One line answer into a `LineEntry`, validated: accepted, pending confirmation, or refused.

The arithmetic is `models.billing`'s; the checks are `models.validation`'s. This
module adds what a conversation needs on top: which reading of a bare number
applies to the line, units that do not match the line, and an example of an
answer that would be accepted.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from conversations.answers import (
    MAX_AMOUNT,
    THOUSANDS_POINT,
    LineAnswer,
    Progress,
    ProgressKind,
    Scope,
    thousands_point_unclear,
)
from conversations.render import describe_entry, line_name, quantity_text
from models.billing import (
    BillingError,
    LineEntry,
    LineHistory,
    LineTerms,
    line_figures,
    with_materials_stored,
    with_new_quantity,
    with_new_value,
    with_period_percent,
    with_retainage_released,
    with_total_percent,
)
from models.i18n import ENGLISH, N_, Words
from models.money import HUNDRED, ZERO, format_dollars, format_money, format_quantity
from models.validation import IssueCode, validate_line

# Words that count whatever the line counts. Pieces are not among them: `80 pcs` of conduit
# are sticks, not 80 LF (they count as EA, `_UNIT_ALIASES`)
GENERIC_UNITS = frozenset({"unit", "units", "u", "qty", "unidad", "unidades", "ud", "uds"})
_UNIT_ALIASES = (
    {"ea", "each", "pc", "pcs", "piece", "pieces", "pieza", "piezas", "pza", "pzas", "pz", "pzs"},
    {"lf", "ft", "feet", "foot", "linft", "linearfeet", "linearfoot", "lnft"},
    {"sf", "sqft", "squarefeet", "squarefoot", "ft²", "ft2"},
    {"sy", "sqyd", "squareyards", "yd²"},
    {"cy", "cuyd", "cubicyards", "yd³"},
    {"hr", "hrs", "hour", "hours"},
    {"day", "days"},
    {"ls", "lumpsum"},
)


class Verdict(enum.StrEnum):
    accepted = "accepted"
    pending = "pending"  # needs an explicit yes (over-billing allowed, negative correction)
    refused = "refused"


@dataclass(frozen=True)
class Outcome:
    line: str
    verdict: Verdict
    entry: LineEntry | None = None
    message: str = ""  # accepted: what was understood; otherwise what is wrong and an example


def apply_answer(
    terms: LineTerms,
    history: LineHistory,
    current: LineEntry,
    answer: LineAnswer,
    *,
    allow_overbilling: bool = False,
    words: Words = ENGLISH,
) -> Outcome:
    """The entry `answer` makes of `current` on this line, with its verdict."""
    _ = words
    n = terms.number
    try:
        entry = _entry(terms, history, current, answer)
    except _Refused as exc:
        values = {
            name: _(value.template, **value.values) if isinstance(value, _Said) else value
            for name, value in exc.values.items()
        }
        reason = _(exc.reason, **values)
        message = _("Line {line}: {reason}", line=line_name(terms), reason=reason)
        return Outcome(n, Verdict.refused, message=message)
    except BillingError as exc:
        message = _("Line {line} {reason}.", line=line_name(terms), reason=_(exc.message))
        return Outcome(n, Verdict.refused, message=message)
    too_large = max(
        abs(v) for v in (entry.new_value, entry.materials_stored, entry.retainage_released)
    )
    if too_large > MAX_AMOUNT:
        return Outcome(
            n,
            Verdict.refused,
            message=_(
                "Line {line}: {value} is more than billbot can bill on one line; please check "
                "the amount.",
                line=line_name(terms),
                value=format_dollars(too_large),
            ),
        )
    figures = line_figures(terms, history, entry)
    issues = validate_line(
        terms, history, entry, allow_overbilling=allow_overbilling, figures=figures
    )
    refused = [issue for issue in issues if not issue.needs_confirmation]
    if refused:
        issue = refused[0]
        message = issue.said(_) + _example(issue.code, terms, history, answer, _)
        if issue.code == IssueCode.over_billing:
            meant = _other_reading(terms, history, current, answer, allow_overbilling)
            if meant is not None:  # a bare number that cannot mean what it says: ask
                meaning = describe_entry(terms, history, meant, None, _)
                question = _("Did you mean {meaning}?", meaning=meaning)
                return Outcome(n, Verdict.pending, entry=meant, message=f"{message} {question}")
        return Outcome(n, Verdict.refused, message=message)
    if issues:
        text = " ".join(issue.said(_) for issue in issues)
        progress = answer.progress
        if (
            any(issue.code == IssueCode.negative_amount for issue in issues)
            and progress is not None
            and progress.kind == ProgressKind.total_percent
            and not progress.word
        ):  # `1: 10%` on a line 25% billed: 10% more this period, most likely
            text += " " + _(
                "If {percent}% is this period's progress, write `{line}: +{percent}%`.",
                percent=format_quantity(progress.amount),
                line=n,
            )
        return Outcome(n, Verdict.pending, entry=entry, message=text)
    described = describe_entry(terms, history, entry, figures, _)
    if answer.progress is not None and answer.progress.kind == ProgressKind.keep:
        described = _("{entry} (kept)", entry=described)
    return Outcome(n, Verdict.accepted, entry=entry, message=described)


@dataclass(frozen=True)
class _Said:
    """Words inside a reason (an example), put in the reply's language with the reason."""

    template: str
    values: Mapping[str, object]


class _Refused(ValueError):
    """Why this line cannot take the answer: a catalog sentence and its values."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason.format(**values))
        self.reason = reason
        self.values = values


def _other_reading(
    terms: LineTerms,
    history: LineHistory,
    current: LineEntry,
    answer: LineAnswer,
    allow_overbilling: bool,
) -> LineEntry | None:
    """For a bare number (`3: 700`) whose plain reading bills past 100%: the first other
    reading that fits — dollars on a unit line, or the amount to date — else None."""
    progress = answer.progress
    if progress is None or progress.kind != ProgressKind.number or progress.to_date:
        return None
    readings = [replace(progress, to_date=True)]
    if terms.is_unit and not progress.cents and _worth_a_unit(terms, progress.amount):
        # the number as dollars; first unless it could count the line's units to date
        # (`3: 40` on a 40 EA line is all 40 installed, not $40)
        counts = terms.quantity is not None and progress.amount <= terms.quantity
        readings.insert(len(readings) if counts else 0, replace(progress, cents=True))
    for reading in readings:
        try:
            entry = _entry(terms, history, current, replace(answer, progress=reading))
        except (_Refused, BillingError):
            continue
        if entry.new_value > 0 and not validate_line(
            terms, history, entry, allow_overbilling=allow_overbilling
        ):
            return entry
    return None


def _worth_a_unit(terms: LineTerms, amount: Decimal) -> bool:
    """Whether `amount` dollars buys at least one unit of a unit line: `2: 9` on panels at
    $4,200 is no dollar amount anyone bills (0.002 of a panel), so it is not offered."""
    return terms.unit_price is None or abs(amount) >= terms.unit_price


def _entry(
    terms: LineTerms, history: LineHistory, current: LineEntry, answer: LineAnswer
) -> LineEntry:
    progress = answer.progress
    entry = current
    if progress is not None and progress.kind == ProgressKind.skip:
        entry = LineEntry(new_quantity=ZERO if terms.is_unit else None)
    if progress is not None and progress.kind == ProgressKind.keep and current == LineEntry():
        raise _Refused(
            N_("there is no amount on this invoice to keep yet. Example: `{line}: 45%`."),
            line=terms.number,
        )  # `4: same` kept what the line has: a line not answered has nothing
    if answer.stored is not None:
        entry = with_materials_stored(terms, entry, answer.stored)
    if progress is not None:
        # beside `stored $50` or a retainage, a bare `100` is dollars too
        money = answer.stored is not None or answer.released is not None
        entry = _with_progress(terms, history, entry, progress, money_beside=money)
    if answer.release_all:
        if history.retainage_balance <= 0 and answer.scope not in (Scope.all, Scope.rest):
            # `1: release retainage` with none held: said, never silently dropped
            raise _Refused(
                N_("No retainage is held on line {line}, so none can be released."),
                line=terms.number,
            )
        entry = with_retainage_released(entry, max(history.retainage_balance, ZERO))
    elif answer.released is not None:
        entry = with_retainage_released(entry, answer.released)
    return entry


def _with_progress(
    terms: LineTerms,
    history: LineHistory,
    entry: LineEntry,
    progress: Progress,
    *,
    money_beside: bool = False,
) -> LineEntry:
    kind, amount = progress.kind, progress.amount
    if kind == ProgressKind.number:
        unit = terms.is_unit and not progress.cents
        kind = ProgressKind.quantity if unit else ProgressKind.value
        small = not money_beside and _small_for_dollars(terms, progress)
        if unit and progress.level:
            raise _Refused(
                N_(
                    "Is it {number}% or {quantity}? Write `{line}: {number}%` or "
                    "`{line}: {quantity}`."
                ),
                number=format_quantity(amount),
                quantity=f"{format_quantity(amount)} {terms.uom or ''}".strip(),
                line=terms.number,
            )  # `va al 80`, `conduit is at 80` on a line counted in LF
        if not unit and (progress.at or small):
            raise _Refused(
                N_(
                    "Is it {number}% or {dollars}? Write `{line}: {number}%` or "
                    "`{line}: {dollars}`."
                ),
                number=format_quantity(amount),
                dollars=format_dollars(amount),
                line=terms.number,
            )  # `ductwork is at 50`, `la 2 está al 50`, `2: 50` on a $180,000 line
        if not unit and THOUSANDS_POINT.fullmatch(progress.written):
            unclear = thousands_point_unclear(progress.written)
            raise _Refused(unclear.reason, **unclear.values)  # `2: 12.000` in dollars
    if kind == ProgressKind.quantity and THOUSANDS_POINT.fullmatch(progress.written):
        unclear = thousands_point_unclear(progress.written, terms.uom or "")
        raise _Refused(unclear.reason, **unclear.values)  # `1: 1.000 LF`: 1 or 1,000?
    if progress.of is not None:
        _check_out_of(terms, kind, progress.of)
    if kind == ProgressKind.total_percent:
        return with_total_percent(terms, history, entry, amount)
    if kind == ProgressKind.period_percent:
        return with_period_percent(terms, entry, amount, history)
    if kind == ProgressKind.quantity:
        if not terms.is_unit:
            raise _Refused(
                N_(
                    "it is billed by amount, not by quantity. Example: `{line}: $4,500` or "
                    "`{line}: 45%`."
                ),
                line=terms.number,
            )
        _check_unit(terms, progress.unit)
        if progress.to_date:
            amount -= history.previous_quantity
        return with_new_quantity(terms, entry, amount, history)
    if kind == ProgressKind.value:
        if progress.to_date:
            amount -= history.previous_value + (ZERO if terms.is_unit else entry.materials_stored)
        return with_new_value(terms, entry, amount, history)
    return entry  # skip: already cleared


def _small_for_dollars(terms: LineTerms, progress: Progress) -> bool:
    """A bare number up to 100 (`2: 50`, no `$`, no `%`), less than 1% of the line's value:
    50% far likelier than $50.00 on a $180,000 line, so which one is asked."""
    amount = progress.amount
    return not progress.cents and 0 < amount <= HUNDRED and amount * HUNDRED < terms.value


def _check_out_of(terms: LineTerms, kind: ProgressKind, of: Decimal) -> None:
    """`4 of 8` is 4 to date only on a line of 8 scheduled (`$90,000 of $180,000`, of
    $180,000): out of anything else, what was meant is not clear."""
    total = terms.quantity if kind == ProgressKind.quantity else terms.value
    if total is not None and of == total:
        return
    if terms.is_unit:
        scheduled = f"{format_quantity(terms.quantity or ZERO)} {terms.uom or ''}".strip()
        amount = f"4 {terms.uom or ''}".rstrip()
    else:
        scheduled = format_dollars(terms.value)
        amount = "$4,500"
    example = _Said(N_("{line}: {amount} to date"), {"line": terms.number, "amount": amount})
    raise _Refused(
        N_(
            "{scheduled} is scheduled, so I can't tell what “out of {of}” means. Write what "
            "is done to date (`{example}`) or a percentage (`{line}: 50%`)."
        ),
        scheduled=scheduled,
        of=format_quantity(of),
        example=example,
        line=terms.number,
    )


def _check_unit(terms: LineTerms, unit: str | None) -> None:
    if unit is None or terms.uom is None:
        return
    written, expected = _unit_key(unit), _unit_key(terms.uom)
    if written in GENERIC_UNITS or written == expected or written.rstrip("s") == expected:
        return
    described = {_unit_key(word).rstrip("s") for word in terms.description.split()}
    if written.rstrip("s") in described:
        return  # `3: 20 fixtures` on the line "Light fixtures", counted in EA
    if any(written in group and expected in group for group in _UNIT_ALIASES):
        return
    raise _Refused(
        N_("it is measured in {uom}, not {unit}. Example: `{line}: 12 {uom}`."),
        uom=terms.uom,
        unit=unit,
        line=terms.number,
    )


def _billed_past_value(terms: LineTerms, history: LineHistory) -> bool:
    """Billed before beyond the line's scheduled value (or quantity) as it stands now."""
    if terms.is_unit:
        return history.previous_quantity > (terms.quantity or ZERO)
    return history.previous_value > terms.value


def _unit_key(unit: str) -> str:
    return "".join(ch for ch in unit.casefold() if ch not in " .")


def _example(
    code: IssueCode,
    terms: LineTerms,
    history: LineHistory,
    answer: LineAnswer,
    _: Words = ENGLISH,
) -> str:
    n = terms.number
    if code == IssueCode.over_billing and _billed_past_value(terms, history):
        # a change order lowered the line below what was billed: only a credit brings it back
        if terms.is_unit:
            before = quantity_text(history.previous_quantity, terms.uom)
            over = quantity_text(history.previous_quantity - (terms.quantity or ZERO), terms.uom)
            scheduled = quantity_text(terms.quantity or ZERO, terms.uom)
        else:
            before = format_dollars(history.previous_value)
            over = format_dollars(history.previous_value - terms.value)
            scheduled = format_dollars(terms.value)
        return " " + _(
            "{before} was billed before, more than the line's {scheduled} now (a change order "
            "lowered it): {over} over. `{line}: done` bills it at 100%, a credit of {over} on "
            "this invoice.",
            before=before,
            scheduled=scheduled,
            over=over,
            line=n,
        )
    if code == IssueCode.over_billing:
        if terms.is_unit:
            left = max((terms.quantity or ZERO) - history.previous_quantity, ZERO)
            text = " " + _(
                "{before} were billed before, so {left} remain. Example: `{line}: {left}` or "
                "`{line}: done`.",
                before=quantity_text(history.previous_quantity, terms.uom),
                left=quantity_text(left, terms.uom),
                line=n,
            )
            progress = answer.progress
            if progress is not None and progress.kind == ProgressKind.number:
                if _worth_a_unit(terms, progress.amount):
                    text += " " + _(
                        "If you meant dollars, write `{line}: {value}`.",
                        line=n,
                        value=format_dollars(progress.amount),
                    )
                elif 0 < progress.amount <= HUNDRED:  # `2: 50` on 8 panels: 50%?
                    text += " " + _(
                        "If you meant a percentage, write `{line}: {percent}%`.",
                        line=n,
                        percent=format_quantity(progress.amount),
                    )
            return text
        left_value = max(terms.value - history.previous_value, ZERO)
        return " " + _(
            "{before} was billed before, so {left} remains. Example: `{line}: {left}` or "
            "`{line}: done`.",
            before=format_dollars(history.previous_value),
            left=format_dollars(left_value),
            line=n,
        )
    if code == IssueCode.retainage_over_held:
        held = history.retainage_balance
        if held <= 0:
            return " " + _("No retainage is held on line {line}, so none can be released.", line=n)
        return " " + _(
            "Example: `{line}: retainage {value}` (all of it).", line=n, value=format_money(held)
        )
    if code == IssueCode.below_zero_to_date:
        return " " + _("Example: `{line}: skip` for nothing this period.", line=n)
    return " " + _("Example: `{line}: 45%`.", line=n)
