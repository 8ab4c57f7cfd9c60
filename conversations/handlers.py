"""Small pure functions that apply one part of a turn to the state being built.

Each takes the `Work` of the current turn (the state so far and what to say
about it) and records what it understood, what it refused and why. None of them
decides where the conversation goes next; `flow.step` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from conversations import render
from conversations.answers import LineAnswer, Problem, ProgressKind, Scope
from conversations.context import Context, number_key
from conversations.entries import Verdict, apply_answer
from conversations.numbers import invoice_number_problem
from conversations.parse import MISTYPED, CommandName, Parsed
from conversations.render import (
    all_attachments,
    describe_entry,
    entry_parts,
    human_size,
    line_name,
    short_example,
)
from conversations.state import Pending, State
from conversations.types import FieldError, StepName, Turn
from models.attachments import check_attachment
from models.billing import LineEntry, LineHistory, LineTerms, line_figures
from models.money import HUNDRED, format_quantity


@dataclass
class Work:
    """What one turn has done so far: the new state, and what to tell the contact.

    Mutable, but it lives only inside one call of `flow.step`, which stays pure.
    """

    state: State
    turn: Turn
    understood: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said first: greeting, welcome back
    remarks: list[str] = field(default_factory=list)  # said after the understood/problems
    field_errors: list[FieldError] = field(default_factory=list)
    consumed: set[CommandName] = field(default_factory=set)
    applied: int = 0  # answers taken (number, lines, confirmations, attachments)
    attached: int = 0
    bulk: bool = False  # a form, or several answers at once: no attachments question
    moved: bool = False  # repositioned explicitly (back, edit, no)
    rejected: bool = False  # a confirmation answered `no` with a new answer (`no, 3`)

    def set(self, **changes: object) -> None:
        self.state = replace(self.state, **changes)  # type: ignore[arg-type]


def take_attachments(work: Work, ctx: Context) -> None:
    for ref in work.turn.attachments:
        known = all_attachments(work.state, ctx)
        if any(k.sha256 == ref.sha256 and k.filename == ref.filename for k in known):
            continue
        problem = check_attachment(
            filename=ref.filename,
            size=ref.size,
            content_type=ref.content_type,
            existing_count=len(known),
            limits=ctx.limits,
        )
        if problem:
            work.problems.append(problem(ctx.words))
            continue
        work.set(attachments=(*work.state.attachments, ref))
        work.understood.append(
            ctx.words("attached {file} ({size})", file=ref.filename, size=human_size(ref.size))
        )
        work.attached += 1


def take_confirmations(work: Work, parsed: Parsed, ctx: Context) -> None:
    """`yes` / `no` to the confirmations asked before this turn."""
    _ = ctx.words
    pending = work.state.pending
    if not pending:
        _which_line_is_wrong(work, parsed, ctx)
        return
    shown = {c.shown for c in parsed.commands if c.name == CommandName.yes and c.shown}
    if shown and shown != {work.state.shown()}:  # an older question's Yes button
        work.consumed.add(CommandName.yes)
        work.remarks.append(
            _("That Yes answered an earlier question, so nothing was kept. Please answer this one:")
        )
        return
    if parsed.has(CommandName.yes):
        work.consumed.add(CommandName.yes)
        for item in pending:
            work.state = work.state.with_entry(item.line, item.entry)
            work.understood.append(_("confirmed line {line}", line=item.line))
        work.set(pending=())
        work.applied += len(pending)
    elif parsed.has(CommandName.no):
        work.consumed.add(CommandName.no)
        lines = [item.line for item in pending]
        work.set(pending=())
        if parsed.answers:  # `no, done`, `no, I meant 900 LF`: the new answer is here
            work.rejected = True
            return
        work.remarks.append(
            _(
                "OK, not kept: line {lines} stays as it was. What should it be?",
                lines=", ".join(lines),
            )
        )
        work.state = work.state.moved_to(StepName.lines, lines[0], revisit=True)
        work.moved = True


def _which_line_is_wrong(work: Work, parsed: Parsed, ctx: Context) -> None:
    """`no`, `wrong`, `oops` with nothing waiting for a yes or no, once a line has its answer:
    which line is wrong, and how to correct it. Before an answer (`No, 45%`) the `no` only
    leads into it (the answer is a correction: `_target`)."""
    state = work.state
    said_no = parsed.has(CommandName.no) and not parsed.has(CommandName.send)
    if state.step != StepName.lines or not (said_no or parsed.owned):
        return
    if parsed.answers:
        work.consumed.add(CommandName.no)
        return
    line = _last_answered(state)
    if (
        line is None
        or parsed.problems  # `No, 45% on 2`: what could not be read is said
        or any(command.name != CommandName.no for command in parsed.commands)
    ):
        return
    work.consumed.add(CommandName.no)
    if _PLAIN_NO.fullmatch(work.turn.text or ""):
        said = ctx.words(
            "There is nothing waiting for a yes or no. If a line is wrong, write its number "
            "and the right answer, e.g. `{line}: 45%`.",
            line=line,
        )
    else:  # `wrong`, `oops`, `me equivoqué`
        said = ctx.words(
            "Which line is wrong? Nothing was changed: write its number and the right answer, "
            "e.g. `{line}: 45%`.",
            line=line,
        )
    work.remarks.append(said)


_PLAIN_NO = re.compile(r"\W*(?:no|nope|nah|n)\W*", re.IGNORECASE)  # not `wrong`, `oops`


def _last_answered(state: State) -> str | None:
    """The line answered last (the one before the line asked, most often)."""
    for position in reversed(state.history):
        step, _, line = position.partition(":")
        if step == StepName.lines and _answered(state, line):
            return line
    return next(reversed(list(state.entries)), None)


def take_invoice_number(work: Work, number: str | None, ctx: Context) -> None:
    if number is None:
        return
    _ = ctx.words
    state = work.state
    problem = invoice_number_problem(number, _)
    if problem is None and ctx.commitment and number.casefold() == ctx.commitment.number.casefold():
        problem = _(
            "{number} is the commitment number; I need your own invoice number.", number=number
        )
    if problem is None and ctx.number_taken(number):
        suggestion = ctx.suggested_number
        label = ctx.commitment.number if ctx.commitment else _("this commitment")
        problem = _(
            "Invoice number {number} is already used on {commitment}.",
            number=number,
            commitment=label,
        )
        if suggestion and suggestion != number:
            problem += " " + _("Try {number}.", number=suggestion)
    if problem:
        work.problems.append(problem)
        return
    if state.invoice_number == number:
        work.understood.append(_("invoice number {number} (unchanged)", number=number))
    elif state.invoice_number:
        work.understood.append(
            _(
                "invoice number changed from {old} to {new}",
                old=state.invoice_number,
                new=number,
            )
        )
    else:
        work.understood.append(_("invoice number {number}", number=number))
    work.set(invoice_number=number)
    work.applied += 1


def take_maybe_number(work: Work, number: str | None, ctx: Context) -> None:
    """`Job#2317`, `PO-4500123`, `v2` past the invoice-number step: the invoice number only
    when it is the one it has (`A-17` written again); else asked, never renamed."""
    if number is None:
        return
    current = number_key(work.state.invoice_number or "")
    if current and number_key(number) == current:
        number = work.state.invoice_number or number
        work.understood.append(ctx.words("invoice number {number} (unchanged)", number=number))
        work.applied += 1
        return
    work.problems.append(
        ctx.words(
            "“{text}”: is this a new invoice number? Nothing was changed: to use it, write "
            "`invoice {text}`.",
            text=number,
        )
    )


def take_answers(
    work: Work,
    answers: tuple[LineAnswer, ...],
    ctx: Context,
    *,
    from_form: bool = False,
    unread: bool = False,
) -> None:
    """Apply line answers: named lines first, then `all`, then `rest` (still unanswered).
    `unread`: part of the message could not be read, so `rest` is not applied (a line the
    message meant to answer would be set to nothing)."""
    named: dict[str, LineAnswer | None] = {}
    broad: list[LineAnswer] = []
    problems = len(work.problems)
    for answer in answers:
        if answer.scope in (Scope.all, Scope.rest):
            broad.append(answer)
            continue
        if len(answers) == 1 and not from_form and _a_line_number_alone(work, answer, ctx):
            continue
        line = _target(work, answer, ctx)
        if line is not None and answer.mark and _answered(work.state, line):
            said = f"{answer.line} {answer.text}"
            work.problems.append(
                ctx.words(
                    "“{text}”: line {line} already has an answer, so it is kept as it is. To "
                    "change it, write `{line}: done`, `{line}: skip` or the amount.",
                    text=said,
                    line=line,
                )
            )  # `4 ✅` under the review: line 4 is right, or now complete? never guessed
        elif line is not None and line in named:
            named[line] = _both(named[line], answer)
        elif line is not None:
            named[line] = answer
    for line, chosen in named.items():
        if chosen is not None:
            _apply(work, line, chosen, ctx, from_form=from_form)
            continue
        work.problems.append(  # `ductwork 50%` and `2: 60%`: which one? neither is applied
            ctx.words(
                "Line {line} has two different answers here; which one is it? Nothing was "
                "changed on it: write one, e.g. `{line}: 45%`.",
                line=line,
            )
        )
    unread = unread or len(work.problems) > problems
    for answer in broad:
        if answer.scope == Scope.rest and unread:
            work.problems.append(
                ctx.words(
                    "“{text}”: the lines not answered yet are left as they are, since part of "
                    "your message could not be used. Once that is sorted out, write `{text}` "
                    "again.",
                    text=answer.text,
                )
            )
            continue
        if _one_figure_for_every_line(answer):
            line = work.state.line if work.state.step == StepName.lines else None
            work.problems.append(
                ctx.words(
                    "“{text}”: one quantity or amount can't be right for every line. Nothing "
                    "was changed: write it with its line's number, e.g. `{line}: {answer}`.",
                    text=answer.text,
                    line=line or (ctx.line_numbers[0] if ctx.lines else "1"),
                    answer=answer.text,
                )
            )  # `all 8` asked about 8 panels: not 8 LF of conduit and 8 fixtures too
            continue
        said_done = _said_all_done(answer)
        if said_done and all(line in named for line in ctx.line_numbers):
            continue  # `1: 50%`, `2: 30%`, `all done`: finished, nothing left to change
        if said_done and (named or work.state.entries or work.state.pending):
            work.problems.append(
                ctx.words(
                    "Do you mean every line is complete, or that you have finished? To bill "
                    "every line to 100%, write `all 100%`. If you have finished, write "
                    "`that's all` (the lines not answered yet are nothing this period) or "
                    "`review`."
                )
            )
            continue
        for line in ctx.line_numbers:
            if line in named:
                continue
            if answer.scope == Scope.rest and (
                line in work.state.entries or any(p.line == line for p in work.state.pending)
            ):
                continue
            _apply(work, line, answer, ctx, from_form=from_form)


_LONE_NUMBER = re.compile(r"#?\s*\d{1,6}|[^\W\d_]+(?:[\s-][^\W\d_]+)?")  # `2`, `#2`, `two`


def _a_line_number_alone(work: Work, answer: LineAnswer, ctx: Context) -> bool:
    """`1`, `2` alone in a message, asked a line: the number of the line asked, or of one
    not answered yet, as likely as a quantity (`1`, `50%`, `2`, `done` answer lines 1 and
    2), so which one is asked, never guessed; the line named is then the one asked (`50%`
    after `2` answers line 2). True when it was asked. (`2 EA`, `2: 2` are plain; on an
    amount line `1` alone asked line 1 is asked about already: 1% or $1.00?)"""
    state, progress = work.state, answer.progress
    asked = ctx.terms(state.line) if state.step == StepName.lines and state.line else None
    if (
        asked is None
        or answer.scope != Scope.current
        or answer.corrects
        or progress is None
        or progress.kind != ProgressKind.number
        or progress.cents
        or progress.to_date
        or progress.amount != progress.amount.to_integral_value()
        or not _LONE_NUMBER.fullmatch(answer.text.strip())
    ):
        return False
    line = ctx.find_line(str(int(progress.amount)))
    if line is None or (line == asked.number and not asked.is_unit):
        return False
    if line != asked.number and _answered(state, line):
        return False  # going back is `edit 1`: `50%`, `1` is line 1's answer, then one panel
    number = format_quantity(progress.amount)
    quantity = f"{number} {asked.uom or ''}".strip() if asked.is_unit else f"{number}%"
    if line == asked.number:
        work.problems.append(
            ctx.words(
                "“{text}”: is this {quantity} on line {line}, or the line's number? Nothing "
                "was changed: write `{line}: {quantity}`, or line {line}'s answer, e.g. "
                "`{line}: 50%`.",
                text=answer.text,
                quantity=quantity,
                line=line,
            )
        )
        return True
    work.problems.append(
        ctx.words(
            "“{text}”: is this {quantity} on line {asked}, or line {line}? Nothing was "
            "changed: write `{asked}: {quantity}`, or line {line}'s answer, e.g. `{line}: 50%`.",
            text=answer.text,
            quantity=quantity,
            asked=asked.number,
            line=line,
        )
    )
    if not (ctx.invoice is not None and ctx.invoice.locked(line)):
        work.state = work.state.moved_to(StepName.lines, line, revisit=True)
        work.moved = True
    return True


def _both(earlier: LineAnswer | None, later: LineAnswer) -> LineAnswer | None:
    """One line named twice, once by its words (`Ductwork 50%` and `2: stored $500`): one
    answer when they say different things or the later corrects the earlier (as `parse` does
    for one number written twice), None when they disagree."""
    if earlier is None:
        return None
    if replace(earlier, text=later.text) == later:
        return earlier
    if later.corrects:  # `2: 50%` / `actually ductwork is 60%`
        return later
    return None if earlier.overlaps(later) else earlier.merged(later)


def _just_answered(state: State) -> str | None:
    """The line answered just before the one asked now (which has no answer yet): what a
    correction without a line number (`sorry, 30%`) most likely corrects."""
    if _answered(state, state.line or "") or not state.history:
        return None
    step, _, line = state.history[-1].partition(":")
    if step == StepName.lines and line != state.line and _answered(state, line):
        return line
    return None


_BARE_FIGURE = re.compile(r"[#\d.,\s-]+")


def _one_figure_for_every_line(answer: LineAnswer) -> bool:
    """`all 8`, `rest $5,000`: a quantity or an amount (not a percent, `done` or `skip`) for
    lines of different sizes and units: which line it was meant for is asked."""
    progress = answer.progress
    return (
        progress is not None
        and progress.kind in (ProgressKind.number, ProgressKind.quantity, ProgressKind.value)
        and progress.amount != 0
    )


def _every_line_complete(answer: LineAnswer) -> bool:
    """`all 100%`: every line to 100%, earlier answers included, as plainly as it can be said."""
    progress = answer.progress
    return (
        progress is not None
        and progress.kind == ProgressKind.total_percent
        and progress.amount == 100
        and not progress.word
    )


def _answered(state: State, line: str) -> bool:
    return line in state.entries or any(item.line == line for item in state.pending)


def _said_all_done(answer: LineAnswer) -> bool:
    """`all done`, `everything complete`: every line to 100%, or "I have finished"? Once
    lines have answers it is asked, never guessed (`all 100%` is plain)."""
    progress = answer.progress
    return answer.scope == Scope.all and progress is not None and progress.word


def _target(work: Work, answer: LineAnswer, ctx: Context) -> str | None:
    if answer.scope == Scope.current:
        if work.state.step == StepName.lines and work.state.line:
            corrects = answer.corrects and not work.rejected  # `no, 3` to a confirmation
            previous = _just_answered(work.state) if corrects else None
            if previous is not None:  # `sorry 30%`, `I meant 2`: line 2, just answered?
                work.problems.append(
                    ctx.words(
                        "“{text}”: is this a correction of line {previous}, or line {line}'s "
                        "answer? Nothing was changed: write `{previous}: {answer}` to correct "
                        "line {previous}, or `{line}: {answer}`.",
                        text=answer.text,
                        previous=previous,
                        line=work.state.line,
                        answer=answer.text,
                    )
                )
                return None
            return work.state.line
        work.problems.append(
            ctx.words(
                "“{text}”: which line is this for? Start with the line number, e.g. "
                "`{line}: {text}`.",
                text=answer.text,
                line=ctx.line_numbers[0] if ctx.lines else 1,
            )
        )
        return None
    if answer.described is not None:
        return _described(work, answer, ctx)
    asked = ctx.terms(work.state.line) if work.state.line else None
    if (
        answer.count
        and work.state.step == StepName.lines
        and asked is not None
        and asked.is_unit
        and asked.number != answer.line
    ):  # `3 done` asked about line 2's panels: line 3, or 3 panels? asked, never guessed
        said = " ".join((answer.line or "", answer.text))
        work.problems.append(
            ctx.words(
                "“{text}”: is line {line} done, or {line} {uom} on line {asked}? Write "
                "`{line}: done` for line {line}, or `{asked}: {line} {uom}`.",
                text=said,
                line=answer.line,
                uom=asked.uom or "",
                asked=asked.number,
            )
        )
        return None
    line = ctx.find_line(answer.line or "")
    if line is not None and answer.site_ref and not _site_ref_is_line(work, line, answer, ctx):
        return None
    if line is not None and answer.label and line not in ctx.described(answer.label):
        terms = ctx.terms(line)
        work.problems.append(
            ctx.words(
                "Line {line} is {description}, not “{words}”; which line is it? Write it as "
                "`{line}: {answer}` or with the right number.",
                line=line,
                description=terms.description if terms else "",
                words=answer.label,
                answer=answer.text,
            )
        )
        return None
    if line is None:
        _ = ctx.words
        label = ctx.commitment.number if ctx.commitment else _("this commitment")
        work.problems.append(
            _(
                "There is no line {line} on {commitment} (lines: {lines}).",
                line=answer.line,
                commitment=label,
                lines=", ".join(ctx.line_numbers),
            )
        )
    return line


def _site_ref_is_line(work: Work, line: str, answer: LineAnswer, ctx: Context) -> bool:
    """`L2` is line 2, unless a line's description names a level 2 (`Level 2 slab`), which is
    what `L2` means on site, or its words fit other lines too (`L2 slab`, with a slab on each
    level): then it is asked. False when it was."""
    _ = ctx.words
    terms = ctx.terms(line)
    levels = [n for n in ctx.levels(answer.line or "") if n != line]
    if terms is not None and levels:
        work.problems.append(
            _(
                "“{ref}”: line {line}, or line {lines}? Write the line's number, e.g. "
                "`{number}: {answer}`.",
                ref=answer.site_ref,
                line=line_name(terms),
                lines=", ".join(line_name(other) for n in levels if (other := ctx.terms(n))),
                number=levels[0],
                answer=answer.text,
            )
        )
        return False
    fits = ctx.described(answer.label) if answer.label else ()
    if len(fits) > 1:
        work.problems.append(
            _(
                "“{words}” fits more than one line ({lines}); which one? Write its number, e.g. "
                "`{line}: {answer}`.",
                words=f"{answer.site_ref} {answer.label}",
                lines=", ".join(line_name(fit) for n in fits if (fit := ctx.terms(n))),
                line=fits[0],
                answer=answer.text,
            )
        )
        return False
    return True


def keep_returned_line(work: Work, line: str, ctx: Context) -> None:
    """A line returned for revision, answered `same`: its amount stands as it was sent."""
    terms = ctx.terms(line)
    entry = work.state.entries.get(line, LineEntry())
    assert terms is not None
    work.set(to_revise=tuple(other for other in work.state.to_revise if other != line))
    described = describe_entry(terms, ctx.history(line), entry, None, ctx.words)
    work.understood.append(ctx.words("{entry} (kept)", entry=described))
    work.applied += 1


def _described(work: Work, answer: LineAnswer, ctx: Context) -> str | None:
    """The one line `conduit 45%` names by its description, or a problem saying why not."""
    _ = ctx.words
    words = answer.described or ""
    lines = ctx.described(words)
    if len(lines) == 1:
        return lines[0]
    rest = answer.text[len(words) :].strip(" :=-–—") if answer.text else ""
    if lines:
        named = ", ".join(line_name(terms) for n in lines if (terms := ctx.terms(n)))
        work.problems.append(
            _(
                "“{words}” fits more than one line ({lines}); which one? Write its number, e.g. "
                "`{line}: {answer}`.",
                words=words,
                lines=named,
                line=lines[0],
                answer=rest or "45%",
            )
        )
        return None
    work.problems.append(
        _(
            "“{text}”: no line is called “{words}” (lines: {lines}). Start with the line number, "
            "e.g. `{line}: {answer}`.",
            text=answer.text,
            words=words,
            lines="; ".join(line_name(terms) for terms in ctx.lines[:12]),
            line=ctx.line_numbers[0] if ctx.lines else 1,
            # `PO 4500123`, `delete line 2`: a bare number beside unknown words may be anything
            # (a PO, a line): never shown as an answer to copy
            answer=rest if rest and not _BARE_FIGURE.fullmatch(rest) else "45%",
        )
    )
    return None


def _apply(work: Work, line: str, answer: LineAnswer, ctx: Context, *, from_form: bool) -> None:
    if ctx.invoice is not None and ctx.invoice.locked(line):
        if answer.scope in (Scope.all, Scope.rest):
            return  # `all 100%` means the lines that can change
        message = render.locked_line_text(ctx, line)
        work.problems.append(message)
        if from_form:
            work.field_errors.append(FieldError(line, message))
        return
    terms = ctx.terms(line)
    assert terms is not None and ctx.commitment is not None
    history = ctx.history(line)
    current = work.state.entries.get(line, LineEntry())
    answer = _units_known(answer)
    if answer.progress is not None and _maybe_a_percent(work.state, terms, history, answer):
        # `actually line 1 is 60` after `50%`: 60% or 60 LF? asked, as `la 1 al 60` is
        answer = replace(answer, progress=replace(answer.progress, level=True))
    outcome = apply_answer(
        terms,
        history,
        current,
        answer,
        allow_overbilling=ctx.commitment.allow_overbilling,
        words=ctx.words,
    )
    if outcome.verdict == Verdict.refused:
        work.problems.append(outcome.message)
        if from_form:
            work.field_errors.append(FieldError(line, outcome.message))
        return
    assert outcome.entry is not None
    if (
        outcome.verdict == Verdict.accepted
        and answer.scope == Scope.all
        and not from_form
        and line in work.state.entries
        and outcome.entry != current
        and not _every_line_complete(answer)
    ):  # `all 0` after `1: 50%`: the rest, or line 1 too? its answer is not lost unasked
        before = ", ".join(entry_parts(terms, line_figures(terms, history, current), ctx.words))
        question = ctx.words(
            "Line {line}: this replaces its earlier answer, {before}. Please confirm.",
            line=line,
            before=before,
        )
        outcome = replace(outcome, verdict=Verdict.pending, message=question)
    assert outcome.entry is not None
    pending = tuple(p for p in work.state.pending if p.line != line)
    if outcome.verdict == Verdict.pending:
        item = Pending(line, outcome.entry, outcome.message, answer.text)
        work.set(pending=(*pending, item))
        described = describe_entry(terms, history, outcome.entry, None, ctx.words)
        work.understood.append(ctx.words("{entry} (to confirm)", entry=described))
    else:
        work.state = replace(work.state.with_entry(line, outcome.entry), pending=pending)
        work.understood.append(outcome.message)
    work.set(to_revise=tuple(other for other in work.state.to_revise if other != line))
    work.applied += 1


# Units as Spanish names them, which `entries` knows by their English names (`600 pies`)
_UNITS_IN_SPANISH = {"pie": "ft", "pies": "ft", "pie lineal": "lf", "pies lineales": "lf"}


def _units_known(answer: LineAnswer) -> LineAnswer:
    """`600 pies` as `600 ft`: the unit by the name the line's unit is checked against."""
    progress = answer.progress
    unit = " ".join((progress.unit or "").casefold().split()) if progress else ""
    if progress is None or unit not in _UNITS_IN_SPANISH:
        return answer
    return replace(answer, progress=replace(progress, unit=_UNITS_IN_SPANISH[unit]))


def _maybe_a_percent(
    state: State, terms: LineTerms, history: LineHistory, answer: LineAnswer
) -> bool:
    """A bare number up to 100 correcting a unit line's answer (`actually line 1 is 60`,
    `change line 1 to 60`, `1 is 60` after `1: 50%`), when that answer may have been a
    percentage (the line stands at a whole one) and this one may be too (it makes whole
    units): 60% or 60 LF? (`2: 3` then `line 2 should be 4` on 8 panels is 4 panels)."""
    progress = answer.progress
    entry = state.entries.get(terms.number)
    if not (
        terms.is_unit
        and terms.quantity
        and progress is not None
        and progress.kind == ProgressKind.number
        and not progress.cents
        and 0 < progress.amount <= HUNDRED
        and (answer.corrects or progress.at)
        and entry is not None
        and entry.new_quantity is not None
    ):
        return False
    to_date = history.previous_quantity + entry.new_quantity
    stands_at = to_date * HUNDRED / terms.quantity
    as_percent = progress.amount * terms.quantity / HUNDRED
    return stands_at == stands_at.to_integral_value() and as_percent == int(as_percent)


def take_problems(
    work: Work, problems: tuple[Problem, ...], ctx: Context, *, said_more: bool = False
) -> None:
    """What could not be read. `said_more`: the message also gave answers, a number or a
    command; then chatter beside them (`Sorry for the delay!`) is only noted, and does not
    hold back a `send`, unless it names a line's words (`panels next week`)."""
    unused: list[str] = []
    for problem in problems:
        if problem.template == MISTYPED:  # `sned`: asked, not an error
            work.remarks.append(f"“{problem.text}”: {problem.said(ctx.words)}")
            continue
        if said_more and only_chatter(problem, ctx):
            unused.append(f"“{problem.text}”")
            continue
        reason = problem.said(ctx.words)
        work.problems.append(f"“{problem.text}”: {reason}{_example(work, ctx, problem)}")
    if unused:
        work.remarks.append(
            ctx.words(
                "I didn't use {text}: there is no figure or instruction in it.",
                text=", ".join(unused),
            )
        )


def only_chatter(problem: Problem, ctx: Context) -> bool:
    """Words around the answers that name no line: noted beside an answer, never an error."""
    return problem.chatter and not _names_a_line(problem.text, ctx)


def _names_a_line(text: str, ctx: Context) -> bool:
    """Whether `text` holds a word of a line's description (`conduit`, `Panels`)."""
    said = {word.rstrip("s") for word in re.findall(r"[^\W\d_]{4,}", text.casefold())}
    return any(
        word.rstrip("s") in said
        for terms in ctx.lines
        for word in re.findall(r"[^\W\d_]{4,}", terms.description.casefold())
    )


def _example(work: Work, ctx: Context, problem: Problem) -> str:
    if "e.g." in problem.template or "Example" in problem.template or "`" in problem.template:
        return ""
    _ = ctx.words
    state = work.state
    if state.step == StepName.invoice_number:  # their own next number, else a made-up one
        return " " + _("Example: `{number}`.", number=ctx.suggested_number or "INV-0042")
    if state.step == StepName.lines and state.line and (terms := ctx.terms(state.line)):
        return " " + _("Example: {example}.", example=short_example(terms, _))
    first = ctx.line_numbers[0] if ctx.lines else "1"
    return " " + _("Example: `{line}: 45%` or `send`.", line=first)


def form_problems(work: Work, problems: dict[str, Problem], ctx: Context) -> None:
    """Problems of a form (one answer per line): reported per line."""
    for line, problem in problems.items():
        reason = problem.said(ctx.words)
        work.problems.append(ctx.words("Line {line}: {reason}", line=line, reason=reason))
        work.field_errors.append(FieldError(line, reason))
