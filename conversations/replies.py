"""Building the `Reply` values of a turn: the prompt of a step, the review, and the composition
of what was understood, what was wrong and what comes next into one message."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from conversations import render
from conversations.context import Context
from conversations.state import State
from conversations.types import Choice, Reply, ReplyKind, StepName
from models.billing import LineEntry, line_figures, summarize

if TYPE_CHECKING:
    from conversations.handlers import Work


def prompt_for(state: State, ctx: Context, channel: str) -> Reply:
    """The question the conversation asks at its current position."""
    _ = ctx.words
    if state.step == StepName.invoice_number:
        suggestion = None if state.invoice_number else ctx.suggested_number
        use = _("Use {number}", number=suggestion)
        choices = (
            (Choice(use, f"number:{suggestion}", "primary", state.number_shown()),)
            if suggestion
            else ()
        )
        return Reply(
            render.invoice_number_prompt(state, ctx), ReplyKind.prompt, state.step, choices=choices
        )
    if state.step == StepName.lines and state.line is not None:
        line = state.line
        shown = state.line_shown(line)
        return Reply(
            render.line_prompt(state, ctx, line),
            ReplyKind.prompt,
            state.step,
            choices=(
                Choice(_("Skip (nothing this period)"), f"answer:{line}:skip", shown=shown),
                Choice(_("Done (100%)"), f"answer:{line}:done", shown=shown),
            ),
        )
    if state.step == StepName.attachments:
        return Reply(
            render.attachments_prompt(state, ctx, channel),
            ReplyKind.prompt,
            state.step,
            choices=(Choice(_("No attachments"), "next"),),
        )
    if state.step == StepName.done:
        return sent_reply(state, ctx, channel)
    return review_reply(state, ctx, channel)


def review_reply(
    state: State, ctx: Context, channel: str, *, kind: ReplyKind = ReplyKind.review
) -> Reply:
    """Every line (previous, this period, % to date, retainage) and the G702 totals."""
    figures = tuple(
        line_figures(terms, ctx.history(terms.number), state.entries.get(terms.number, LineEntry()))
        for terms in ctx.lines
    )
    _ = ctx.words
    return Reply(
        text=_(
            "Please check {invoice} before sending:",
            invoice=render.invoice_heading(state, ctx, lower=True),
        ),
        kind=kind,
        step=StepName.review,
        choices=(
            Choice(_("Save as Draft"), "draft"),
            Choice(_("Send"), f"send:{state.shown()}", "primary"),
        ),
        lines=figures,
        totals=summarize(figures),
        attachments=render.all_attachments(state, ctx),
        footer=render.review_footer(state, ctx, channel),
        title=render.invoice_heading(state, ctx),
    )


def sent_reply(state: State, ctx: Context, channel: str) -> Reply:
    _ = ctx.words
    reply = review_reply(state, ctx, channel, kind=ReplyKind.confirmation)
    files = render.all_attachments(state, ctx)
    return replace(
        reply,
        text=f"{render.sent_text(state, ctx)}\n\n{render.invoice_heading(state, ctx)}:",
        footer=_("Attachments: {files}.", files=render.attachment_list(files)) if files else "",
        choices=(),
        step=StepName.done,
    )


def draft_reply(state: State, ctx: Context, channel: str) -> Reply:
    _ = ctx.words
    missing = render.missing_text(state, ctx)
    text = _("Saved {number} as a draft; nothing has been sent.", number=state.invoice_number)
    if missing:
        text += " " + _("Still needed before you can send: {missing}.", missing=missing)
    text += " " + _("Reply here any time to carry on, or `send` when it is ready.")
    reply = review_reply(state, ctx, channel, kind=ReplyKind.confirmation)
    return replace(
        reply,
        text=f"{text}\n\n{render.invoice_heading(state, ctx)}:",
        footer="",
        choices=(Choice(_("Send"), f"send:{state.shown()}", "primary"),) if not missing else (),
    )


def confirmation_prompt(state: State, ctx: Context) -> Reply:
    _ = ctx.words
    items = "\n".join(f"- {item.message}" for item in state.pending)
    lines = ", ".join(item.line for item in state.pending)
    return Reply(
        _("Please confirm:")
        + f"\n{items}\n"
        + _("Reply `yes` to keep it, or `no` (or give line {lines} a new answer).", lines=lines),
        ReplyKind.confirmation,
        state.step,
        choices=(
            Choice(_("Yes, keep it"), f"yes:{state.shown()}", "primary"),
            Choice(_("No"), "no", "danger"),
        ),
    )


def short_prompt(state: State, ctx: Context) -> str:
    """A one-line reminder of where the conversation is (after help or status)."""
    _ = ctx.words
    if state.pending:
        lines = ", ".join(p.line for p in state.pending)
        return _("Waiting for your `yes` or `no` on line {lines}.", lines=lines)
    if state.step == StepName.invoice_number:
        return _("Next: your invoice number.")
    if state.step == StepName.lines and state.line and (terms := ctx.terms(state.line)):
        return _("Next: line {line}.", line=render.line_name(terms))
    if state.step == StepName.attachments:
        return _("Next: attachments (or reply `none`).")
    if state.step == StepName.review:
        return _("Next: reply `send` to send it, or `draft` to save it.")
    return ""


def compose(work: Work, ctx: Context, channel: str, *, base: Reply | None = None) -> Reply:
    """Notes, then what was understood, what was wrong, remarks, then the question."""
    _ = ctx.words
    state = work.state
    if base is None:
        base = confirmation_prompt(state, ctx) if state.pending else prompt_for(state, ctx, channel)
    parts = list(work.notes)
    if work.understood:
        if len(work.understood) == 1:
            parts.append(_("Got it: {item}.", item=work.understood[0]))
        else:
            parts.append(_("Got it:") + "\n" + "\n".join(f"- {i}" for i in work.understood))
    if work.problems:
        if not work.understood and not work.attached:
            parts.append(_("I couldn't use that, so nothing was changed."))
        parts.append(render.problems_text(work.problems, _))
    parts += work.remarks
    parts.append(base.text)
    kind = base.kind
    if work.problems:
        kind = ReplyKind.reprompt
    return replace(
        base,
        text="\n\n".join(part for part in parts if part),
        kind=kind,
        field_errors=tuple(work.field_errors),
    )
