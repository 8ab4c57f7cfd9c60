"""The commands of the conversation (`back`, `edit 3`, `cancel`, `draft`, `send`) and the
questions they ask about a state (is it complete? which line is missing?)."""

from __future__ import annotations

from dataclasses import replace

from conversations import render
from conversations.context import Context
from conversations.handlers import Work
from conversations.replies import compose, draft_reply, sent_reply
from conversations.state import State, Status
from conversations.types import Reply, ReplyKind, StepName
from models.validation import BillingIssue, validate_line


def has_number(state: State, ctx: Context) -> bool:
    return state.invoice_number is not None


def lines_done(state: State, ctx: Context) -> bool:
    return (
        all(line in state.entries for line in ctx.line_numbers)
        and not state.pending
        and not state.to_revise
    )


def first_missing(state: State, ctx: Context) -> str | None:
    if state.to_revise:
        return state.to_revise[0]
    missing = [n for n in ctx.line_numbers if n not in state.entries]
    return missing[0] if missing else (ctx.line_numbers[0] if ctx.lines else None)


def complete(state: State, ctx: Context) -> bool:
    return has_number(state, ctx) and lines_done(state, ctx)


def outdated_answers(state: State, ctx: Context) -> list[BillingIssue]:
    """What the lines' answers break against the schedule as it is now: each answer was
    checked when it was given, but a change order imported since (a line's quantity or value
    cut) can leave a kept answer billing past 100%. Lines approved at a review are not the
    contact's to change, and are left out."""
    allow = ctx.commitment is not None and ctx.commitment.allow_overbilling
    found: list[BillingIssue] = []
    for terms in ctx.lines:
        entry = state.entries.get(terms.number)
        if entry is None or (ctx.invoice is not None and ctx.invoice.locked(terms.number)):
            continue
        issues = validate_line(terms, ctx.history(terms.number), entry, allow_overbilling=allow)
        found.extend(issue for issue in issues if not issue.needs_confirmation)
    return found


def back(work: Work, ctx: Context) -> None:
    state = work.state
    if not state.history:
        work.remarks.append(ctx.words("This is the first step; there is nothing before it."))
        return
    previous = state.history[-1]
    name, _colon, line = previous.partition(":")
    work.set(
        history=state.history[:-1],
        step=StepName(name),
        line=line or None if name == StepName.lines else None,
        revisit=True,
        send_requested=False,  # going back to change something: show the review again first
    )
    work.moved = True


def edit(work: Work, ref: str | None, ctx: Context) -> None:
    _ = ctx.words
    if ref is None:
        example = ctx.line_numbers[0] if ctx.lines else "1"
        work.remarks.append(_("Which line? For example `edit {line}`.", line=example))
        return
    line = ctx.find_line(ref)
    if line is None:
        work.problems.append(
            _(
                "There is no line {line} (lines: {lines}).",
                line=ref,
                lines=", ".join(ctx.line_numbers),
            )
        )
        return
    if ctx.invoice is not None and ctx.invoice.locked(line):
        work.problems.append(render.locked_line_text(ctx, line))
        return
    work.state = replace(
        work.state.moved_to(StepName.lines, line, revisit=True), send_requested=False
    )
    work.moved = True


def cancel(work: Work, ctx: Context) -> tuple[State, list[Reply]]:
    _ = ctx.words
    work.set(status=Status.cancelled, send_requested=False)
    kept = (
        _("{number} is kept as a draft", number=work.state.invoice_number)
        if work.state.invoice_number
        else _("your answers are kept")
    )
    text = _(
        "OK, stopped for now. Nothing is lost: {kept}. Reply here any time to carry on.",
        kept=kept,
    )
    base = Reply(text, ReplyKind.confirmation, work.state.step)
    return work.state, [compose(work, ctx, work.turn.channel, base=base)]


def draft(work: Work, ctx: Context) -> tuple[State, list[Reply]]:
    if not work.state.invoice_number:
        work.problems.append(
            ctx.words(
                "I need the invoice number before I can save a draft (your answers are kept)."
            )
        )
        return work.state, [compose(work, ctx, work.turn.channel)]
    work.set(status=Status.draft_saved, send_requested=False)
    base = draft_reply(work.state, ctx, work.turn.channel)
    return work.state, [compose(work, ctx, work.turn.channel, base=base)]


def send(work: Work, ctx: Context, *, asked_now: bool) -> tuple[State, list[Reply]] | None:
    """Send when complete; else remember the request and say what is missing."""
    _ = ctx.words
    state = work.state
    blocker = ""
    outdated = outdated_answers(state, ctx)
    if ctx.later_sent:
        blocker = _(
            "I can't send it: invoice {later} for a later period was already sent, and it "
            "bills the work to date without this one. Please put this period's work on your "
            "next invoice, or ask {admin} if this one must still be billed.",
            later=", ".join(ctx.later_sent),
            admin=(ctx.commitment.administrator_name if ctx.commitment else None)
            or _("the invoice administrator"),
        )
    elif ctx.earlier_returned:
        blocker = _.plural(
            "I haven't sent it: invoice {earlier} of an earlier period was returned for "
            "revision, and this invoice stands on its figures as its previous work. Please "
            "fix and send {earlier} first.",
            "I haven't sent it: invoices {earlier} of earlier periods were returned for "
            "revision, and this invoice stands on their figures as its previous work. Please "
            "fix and send them first.",
            len(ctx.earlier_returned),
            earlier=", ".join(ctx.earlier_returned),
        )
    elif work.turn.files_refused:
        refused = ", ".join(work.turn.files_refused)
        work.remarks.append(
            _.plural(
                "I haven't sent it: {files} could not be attached (see above why). Attach it "
                "again in a form that can be kept, then reply `send`; or reply `send` now to "
                "send the invoice without it.",
                "I haven't sent it: {files} could not be attached (see above why). Attach them "
                "again in a form that can be kept, then reply `send`; or reply `send` now to "
                "send the invoice without them.",
                len(work.turn.files_refused),
                files=refused,
            )
        )
        work.set(send_requested=False)
        return None
    elif work.problems:
        blocker = _("I haven't sent it: please fix what is above first.")
    elif outdated:
        blocker = _(
            "I haven't sent it: the schedule of values changed since you answered (a change "
            "order). {issues} Please answer line {lines} again.",
            issues=" ".join(issue.said(_) for issue in outdated),
            lines=", ".join(dict.fromkeys(issue.line for issue in outdated)),
        )
    elif state.pending:
        blocker = _(
            "I haven't sent it yet: first, please answer the question about line {lines}.",
            lines=", ".join(item.line for item in state.pending),
        )
    elif not complete(state, ctx):
        blocker = _(
            "I haven't sent it yet: still needed: {missing}.",
            missing=render.missing_text(state, ctx),
        )
    if blocker:
        if asked_now:  # who asked, and when: a held send is theirs, for a day
            work.set(send_requested_by=ctx.person_name, send_requested_at=ctx.now)
        work.set(send_requested=True)
        if asked_now or work.applied:
            work.remarks.append(
                blocker
                + " "
                + _("Then I'll send it (or reply `draft` to save it without sending).")
            )
        return None
    work.set(
        status=Status.sent,
        sent_at=ctx.now,
        send_requested=False,
        attachments_done=True,
    )
    work.state = replace(work.state.moved_to(StepName.done), revisit=False)
    base = sent_reply(work.state, ctx, work.turn.channel)
    return work.state, [compose(work, ctx, work.turn.channel, base=base)]
