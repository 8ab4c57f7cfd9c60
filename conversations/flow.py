"""The guided conversation: one table of steps, and the pure `step(state, turn, ctx)`.

    choose -> invoice_number -> lines -> attachments -> review -> done

Every turn is read the same way whatever the step: attachments, then yes/no to
earlier confirmations, then the step's own reading (a bare `1042` is a number at
the invoice step), then any invoice number and line answers, then commands. The
conversation then goes to the first step that still needs something, so one
complete message can take it straight to the review (or, with `send`, to done).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from conversations import render
from conversations.answers import LineAnswer, Problem, Scope, parse_body
from conversations.choose import choose
from conversations.commands import (
    back,
    cancel,
    complete,
    draft,
    edit,
    first_missing,
    has_number,
    lines_done,
    send,
)
from conversations.context import Context, format_date
from conversations.handlers import (
    Work,
    form_problems,
    keep_returned_line,
    only_chatter,
    take_answers,
    take_attachments,
    take_confirmations,
    take_invoice_number,
    take_maybe_number,
    take_problems,
)
from conversations.parse import Command, CommandName, Expect, Parsed, parse, parse_line_value
from conversations.replies import compose, short_prompt
from conversations.state import State, Status
from conversations.types import Reply, ReplyKind, StepName, Turn
from models.tables import InvoiceStatus

Handler = Callable[[Work, Parsed, Context], None]
Done = Callable[[State, Context], bool]
# A question about a return: `why was line 3 returned?`, `what do you need for line 2?`,
# `¿por qué devolvieron la 3?`, `¿qué necesitan para la línea 2?`
_WHY_RETURNED = re.compile(
    r"\s*¿?\s*(?:(?:hi|hello|hola)[,!.]?\s+)?¿?(?:why|what|how\s+come|por\s*qu[eé]|qu[eé])\b.{0,80}?"
    r"\b(?:return|reject|sent\s+(?:it\s+)?back|kick|bounce|need|missing|wrong|devol|devuel"
    r"|rechaz|regres|necesit|falta|mal)\w*\b[^:=\n]{0,60}",
    re.IGNORECASE | re.DOTALL,
)


def _why_returned(text: str) -> bool:
    """A question about a return, not an answer (`why was line 3 returned?` reads as 3 units
    "returned")."""
    return bool(_WHY_RETURNED.fullmatch(text)) and not any(
        answer.line for answer in parse(text).answers
    )


# The words of `_WHY_RETURNED` that can only be about a return (not `what do you need`)
_ABOUT_A_RETURN = re.compile(
    r"\b(?:return|reject|sent\s+(?:it\s+)?back|kick|bounce|devol|devuel|rechaz|regres)\w*",
    re.IGNORECASE,
)
# Words that keep a line's answer as it is, alone in a message
_KEEP_ALONE = re.compile(
    r"\s*(?:same(?:\s+as\s+before)?|as\s+is|unchanged|keep(?:\s+it)?|igual|(?:lo\s+)?mismo"
    r"|sin\s+cambios?)\s*[.!]*\s*",
    re.IGNORECASE,
)
_DIGEST = re.compile(r"[0-9a-f]{12}")  # a button's `:<digest>` (`Choice.shown`)


@dataclass(frozen=True)
class Step:
    name: StepName
    expect: Expect  # how a bare answer is read at this step
    done: Done  # may the conversation move past this step?
    handle: Handler  # the step's own reading of a turn


def _nothing(work: Work, parsed: Parsed, ctx: Context) -> None:
    return None


def _take(work: Work, parsed: Parsed, name: CommandName) -> bool:
    if parsed.has(name) and name not in work.consumed:
        work.consumed.add(name)
        return True
    return False


def handle_invoice_number(work: Work, parsed: Parsed, ctx: Context) -> None:
    if parsed.invoice_number is not None:
        return
    if _take(work, parsed, CommandName.yes) or _take(work, parsed, CommandName.next):
        if work.state.invoice_number:
            work.understood.append(
                ctx.words("invoice number {number} (kept)", number=work.state.invoice_number)
            )
            work.applied += 1
        elif ctx.suggested_number:
            take_invoice_number(work, ctx.suggested_number, ctx)
        else:
            work.problems.append(ctx.words("Please type your invoice number, e.g. `INV-0001`."))
    elif _take(work, parsed, CommandName.no):
        work.remarks.append(ctx.words("OK, please type your invoice number."))


def handle_lines(work: Work, parsed: Parsed, ctx: Context) -> None:
    line = work.state.line
    if line in work.state.to_revise and _take(work, parsed, CommandName.next):
        keep_returned_line(work, line, ctx)  # `same`: the returned line keeps its amount
    elif work.state.revisit and _take(work, parsed, CommandName.next):
        work.applied += 1
    elif (
        line is not None
        and line not in work.state.entries
        and _KEEP_ALONE.fullmatch(work.turn.text or "")
    ):  # `same`, `sin cambios` on a line with no answer: nothing to keep (it was silent)
        work.remarks.append(
            ctx.words(
                "Line {line} has no answer yet to keep. For nothing this period write `skip`; "
                "otherwise its amount, e.g. `50%`.",
                line=line,
            )
        )


def handle_attachments(work: Work, parsed: Parsed, ctx: Context) -> None:
    if _take(work, parsed, CommandName.next) or work.attached:
        work.set(attachments_done=True)
        work.applied += 1


def handle_review(work: Work, parsed: Parsed, ctx: Context) -> None:
    if _take(work, parsed, CommandName.yes) or _take(work, parsed, CommandName.next):
        decided = {CommandName.send, CommandName.draft, CommandName.cancel}
        if not any(parsed.has(name) for name in decided):  # `yes, send`: no question first
            work.remarks.append(ctx.words("Shall I send it, or save it as a draft?"))


class Flow:
    """The steps in order, checked when built."""

    def __init__(self, steps: Sequence[Step]) -> None:
        names = [step.name for step in steps]
        if names != list(StepName):
            raise ValueError(f"the flow must list every step once, in order: {names}")
        if steps[-1].done(State(), _EMPTY_CONTEXT) is not True:
            raise ValueError("the last step must always be done")
        self.steps = tuple(steps)
        self._by_name = {step.name: step for step in steps}

    def __getitem__(self, name: StepName) -> Step:
        return self._by_name[name]

    def first_needing(self, state: State, ctx: Context) -> StepName:
        return next(step.name for step in self.steps if not step.done(state, ctx))


_EMPTY_CONTEXT = Context(now=datetime(2000, 1, 1, tzinfo=UTC), today=date(2000, 1, 1))


def _never_done(state: State, ctx: Context) -> bool:
    return state.status == Status.sent


FLOW = Flow(
    [
        Step(StepName.choose, Expect.choose, lambda s, c: s.commitment_id is not None, _nothing),
        Step(StepName.invoice_number, Expect.invoice_number, has_number, handle_invoice_number),
        Step(StepName.lines, Expect.line, lines_done, handle_lines),
        Step(
            StepName.attachments,
            Expect.attachments,
            lambda s, c: s.attachments_done,
            handle_attachments,
        ),
        Step(StepName.review, Expect.review, _never_done, handle_review),
        Step(StepName.done, Expect.review, lambda s, c: True, _nothing),
    ]
)


def step(state: State, turn: Turn, ctx: Context) -> tuple[State, list[Reply]]:
    """One turn of the conversation: the new state and the replies. Pure; never raises on input."""
    new_state, replies = _step(state, turn, ctx)
    return new_state, [replace(reply, language=ctx.language) for reply in replies]


def _step(state: State, turn: Turn, ctx: Context) -> tuple[State, list[Reply]]:
    if state.commitment_id is None or state.step == StepName.choose:
        return choose(state, turn, ctx)
    if _locked(state, ctx):
        return replace(state, step=StepName.done), [
            Reply(render.locked_text(ctx, state), ReplyKind.error, StepName.done)
        ]
    work = Work(state, turn)
    _reopen(work, ctx)
    stale = _answered_since(turn.action, work.state)
    if stale:  # nothing of it is read: the current question is asked instead
        turn = work.turn = replace(turn, action=None)
    if ctx.invoice is None and ctx.past_due:
        return state, [Reply(render.past_due_text(ctx), ReplyKind.error, state.step)]
    if _why_returned(turn.text or ""):
        returned = ctx.invoice is not None and bool(ctx.invoice.returned)
        if returned:  # `why was line 3 returned?`: the administrator's reasons, and what now
            text = f"{render.returned_text(ctx)}\n\n{short_prompt(work.state, ctx)}"
            return work.state, [Reply(text, ReplyKind.info, work.state.step)]
        if _ABOUT_A_RETURN.search(turn.text or ""):  # when nothing is: say so
            text = ctx.words("No line of this invoice is returned for revision.")
            if prompt := short_prompt(work.state, ctx):
                text += f"\n\n{prompt}"
            return work.state, [Reply(text, ReplyKind.info, work.state.step)]
    _welcome(work, ctx)
    if stale:
        work.remarks.append(
            ctx.words(
                "That button belongs to a question that has been answered since, so nothing "
                "was changed."
            )
        )
    take_attachments(work, ctx)
    parsed = read(turn, FLOW[work.state.step].expect)
    take_confirmations(work, parsed, ctx)
    FLOW[work.state.step].handle(work, parsed, ctx)
    if parsed.number_unsure and work.state.step != StepName.invoice_number:
        take_maybe_number(work, parsed.invoice_number, ctx)  # `Job#2317` at the lines
    else:
        take_invoice_number(work, parsed.invoice_number, ctx)
    unread = any(not (problem.held or only_chatter(problem, ctx)) for problem in parsed.problems)
    take_answers(work, parsed.answers, ctx, unread=unread)
    said_more = bool(
        parsed.answers
        or parsed.commands
        or parsed.invoice_number
        or turn.attachments
        or turn.line_values
    )
    take_problems(work, tuple(p for p in parsed.problems if not p.held), ctx, said_more=said_more)
    if turn.line_values:
        answers, problems = read_form(turn.line_values)
        take_answers(work, answers, ctx, from_form=True)
        form_problems(work, problems, ctx)
        work.bulk = True
    elif (
        parsed.is_empty
        and not parsed.pleasantries
        and turn.text.strip()
        and not (turn.attachments or turn.action)
    ):
        work.problems.append(ctx.words("I found no answer in your message."))
    return _conclude(work, parsed, ctx)


def read(turn: Turn, expect: Expect) -> Parsed:
    """The text and the button action of a turn, as one `Parsed`."""
    parsed = parse(turn.text, expect=expect)
    action = (turn.action or "").strip()
    if not action:
        return parsed
    name, _, arg = action.partition(":")
    if name in ("number", "answer"):
        arg, _shown = _with_digest(arg)
    extra: Parsed
    if name == "number" and arg:
        extra = Parsed(invoice_number=arg)
    elif name == "edit":
        extra = Parsed(commands=(Command(CommandName.edit, arg or None),))
    elif name == "answer":
        line, _, text = arg.partition(":")
        answer = parse_body(text, scope=Scope.line, line=line) if text else None
        if isinstance(answer, LineAnswer):
            extra = Parsed(answers=(answer,))
        else:
            extra = Parsed(problems=(answer,) if isinstance(answer, Problem) else ())
    elif name in (CommandName.send, CommandName.yes):  # `send:<digest>`: see State.shown
        extra = Parsed(commands=(Command(CommandName(name), shown=arg or None),))
    elif name in CommandName.__members__:
        extra = Parsed(commands=(Command(CommandName(name)),))
    else:  # `start`, `choose:...` (resolved by the service) or an old button
        extra = Parsed(commands=(Command(CommandName.start),))
    return Parsed(
        invoice_number=extra.invoice_number or parsed.invoice_number,
        number_unsure=parsed.number_unsure and not extra.invoice_number,
        answers=parsed.answers + extra.answers,
        commands=parsed.commands + extra.commands,
        problems=parsed.problems + extra.problems,
    )


def _with_digest(arg: str) -> tuple[str, str | None]:
    """`1:done:<digest>` as (`1:done`, digest); an argument without one as (arg, None)."""
    head, colon, tail = arg.rpartition(":")
    return (head, tail) if colon and _DIGEST.fullmatch(tail) else (arg, None)


def _answered_since(action: str | None, state: State) -> bool:
    """A line's answer button or the `Use <number>` button pressed after what it answers
    changed (an old prompt's `Done`, once the line was answered `50%`): see `Choice.shown`.
    A button posted without a digest is read as it always was."""
    name, _, arg = (action or "").strip().partition(":")
    if name not in ("number", "answer"):
        return False
    arg, shown = _with_digest(arg)
    if shown is None:
        return False
    if name == "number":
        return shown != state.number_shown()
    return shown != state.line_shown(arg.partition(":")[0])


def read_form(values: Mapping[str, str]) -> tuple[tuple[LineAnswer, ...], dict[str, Problem]]:
    """A form's answers, one per line number; empty fields are no answer."""
    answers: list[LineAnswer] = []
    problems: dict[str, Problem] = {}
    for line, text in values.items():
        outcome = parse_line_value(str(text), str(line))
        if isinstance(outcome, Problem):
            problems[str(line)] = outcome
        elif outcome is not None:
            answers.append(outcome)
    return tuple(answers), problems


def _locked(state: State, ctx: Context) -> bool:
    if ctx.invoice is not None and not ctx.invoice.editable:
        return True
    returned = ctx.invoice is not None and ctx.invoice.status == InvoiceStatus.revise_and_resubmit
    return state.status == Status.sent and not returned


def _reopen(work: Work, ctx: Context) -> None:
    """An invoice sent, then returned for revision: the returned lines are asked again (the
    approved ones stay locked), then the review, then `send` resubmits it."""
    if work.state.status != Status.sent:
        return
    returned = tuple(
        line for line in (ctx.invoice.returned_lines if ctx.invoice else ()) if ctx.terms(line)
    )
    work.set(status=Status.open, sent_at=None, revisit=False, send_requested=False)
    work.set(to_revise=returned)
    if returned:
        work.state = work.state.moved_to(StepName.lines, returned[0])
        work.notes.append(render.returned_text(ctx))
    else:
        work.state = work.state.moved_to(StepName.review)
        work.notes.append(
            ctx.words(
                "{number} was returned for revision: you can change it and send it again.",
                number=work.state.invoice_number,
            )
        )


def _welcome(work: Work, ctx: Context) -> None:
    if not work.state.started:
        work.notes.append(render.greeting(ctx))
        work.set(started=True)
    elif work.state.status in (Status.draft_saved, Status.cancelled):
        work.notes.append(ctx.words("Welcome back! Everything you entered is still here."))
        work.set(status=Status.open)


def _conclude(work: Work, parsed: Parsed, ctx: Context) -> tuple[State, list[Reply]]:
    commands = [c for c in parsed.commands if c.name not in work.consumed]
    names = {c.name for c in commands}
    channel = work.turn.channel
    if CommandName.cancel in names:
        return cancel(work, ctx)
    for command in commands:
        if command.name == CommandName.back:
            back(work, ctx)
        elif command.name == CommandName.edit:
            edit(work, command.line, ctx)
        elif (
            command.name in (CommandName.yes, CommandName.no)
            and not work.state.pending
            and work.state.step == StepName.lines
            and not {CommandName.send, CommandName.no} <= names  # `send` / `no`: held
            and not work.applied  # `sorry wrong, line 1 should be 45%`: a correction's `wrong`
        ):
            work.remarks.append(ctx.words("There is nothing waiting for a yes or no."))
    if CommandName.review in names and not work.moved:
        if complete(work.state, ctx):
            work.state = work.state.moved_to(StepName.review)
            work.moved = True
        else:
            missing = render.missing_text(work.state, ctx)
            work.remarks.append(ctx.words("Not ready to review yet: {missing}.", missing=missing))
    if not work.moved:
        _advance(work, ctx, names)
    wants_send = CommandName.send in names or work.state.send_requested
    if _pressed_after_a_change(commands, CommandName.send, work.state):
        work.remarks.append(
            ctx.words(
                "I haven't sent it: the invoice changed after that Send button was shown. "
                "Here it is as it stands now; press Send below, or reply `send`, to send it."
            )
        )
        wants_send = False
    # `don't send yet`, or `send` then `no` (`send\nno, wait`): nothing is sent, and a send
    # asked for before is forgotten
    held = any(problem.held for problem in parsed.problems)
    if held or {CommandName.send, CommandName.no} <= names:
        if wants_send:
            work.remarks.append(
                ctx.words("I haven't sent it, as you asked. Say `send` when it is ready.")
            )
        elif work.state.step == StepName.review:
            work.remarks.append(ctx.words("OK, not sent. Say `send` when it is ready."))
        work.set(send_requested=False)
        wants_send = False
    if wants_send and CommandName.send not in names:  # a `send` said in an earlier message
        wants_send = _held_send_goes(work, ctx)
    if CommandName.draft in names:
        return draft(work, ctx)
    if wants_send:
        sent = send(work, ctx, asked_now=CommandName.send in names)
        if sent is not None:
            return sent
    if CommandName.help in names or CommandName.status in names:
        info = (
            render.help_text(ctx)
            if CommandName.help in names
            else render.status_text(work.state, ctx)
        )
        base = Reply(f"{info}\n\n{short_prompt(work.state, ctx)}", ReplyKind.info, work.state.step)
        return work.state, [compose(work, ctx, channel, base=base)]
    return work.state, [compose(work, ctx, channel)]


def _held_send_goes(work: Work, ctx: Context) -> bool:
    """Whether a `send` held back earlier goes out with this message: it is the wish of the
    one answering (theirs, said within `HELD_SEND_HOURS`; else it is forgotten), and this
    message changes something that may be the fix it waited for (never `Thanks!` or a file
    alone: what held it back may still be wrong). When it does not go, the contact is told
    how to send an invoice ready to send."""
    state = work.state
    wanted = _still_wanted(state, ctx)
    if wanted and work.applied > work.attached:
        return True
    if not wanted:  # asked by another contact of the invoice, or more than a day ago
        work.set(send_requested=False)
    if work.problems or state.pending or not complete(state, ctx):
        return False
    if wanted:
        said = ctx.words(
            "I haven't sent it yet: reply `send` to send it as it stands, or `draft` to save it "
            "without sending."
        )
    else:
        at = state.send_requested_at
        said = ctx.words(
            "An earlier `send` ({who}, {day}) was not carried out: reply `send` to send it now, "
            "or `draft` to save it without sending.",
            who=state.send_requested_by or "",
            day=format_date(ctx.local_date(at), ctx.words.language) if at else "",
        )
    work.remarks.append(said)
    return False


HELD_SEND_HOURS = 24  # how long a `send` held back waits for what it needs


def _still_wanted(state: State, ctx: Context) -> bool:
    """Whether a `send` held back is still the wish of the one answering now: theirs, and
    said within `HELD_SEND_HOURS` (a state saved before this was kept says neither: yes)."""
    by, at = state.send_requested_by, state.send_requested_at
    if by is not None and by != ctx.person_name:
        return False
    return at is None or (ctx.now - at).total_seconds() <= HELD_SEND_HOURS * 3600


def _pressed_after_a_change(commands: list[Command], name: CommandName, state: State) -> bool:
    """A button `name` whose digest is not the state's now (an older message's button)."""
    return any(c.name == name and c.shown and c.shown != state.shown() for c in commands)


def _advance(work: Work, ctx: Context, names: set[CommandName]) -> None:
    """Go to the first step that still needs something, once something was answered."""
    state = work.state
    if not (work.applied or work.attached or CommandName.next in names):
        if state.step == StepName.lines and state.line is None:
            work.state = state.moved_to(StepName.lines, first_missing(state, ctx))
        return
    if state.pending:
        work.state = state.moved_to(StepName.lines, state.pending[0].line)
        return
    bulk = (
        work.bulk
        or work.applied >= 2
        or work.attached > 0
        or bool(names & {CommandName.send, CommandName.draft})
    )
    if bulk and complete(state, ctx):
        state = replace(state, attachments_done=True)
    target = FLOW.first_needing(replace(state, revisit=False), ctx)
    line = first_missing(state, ctx) if target == StepName.lines else None
    work.state = replace(state.moved_to(target, line), revisit=False)


__all__ = ["FLOW", "Flow", "Step", "read", "read_form", "step"]
