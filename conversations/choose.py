"""The choose step: which commitment and period a turn is about, when that is ambiguous.

The service runs it with a fresh `State` and `ctx.candidates`; once a candidate is
chosen the returned state carries its ids and the service continues in that
invoice's own conversation.
"""

from __future__ import annotations

from conversations import render
from conversations.context import Candidate, Context
from conversations.parse import CommandName, Expect, parse
from conversations.state import State
from conversations.types import Choice, Reply, ReplyKind, StepName, Turn


def choose(state: State, turn: Turn, ctx: Context) -> tuple[State, list[Reply]]:
    _ = ctx.words
    candidates = ctx.candidates
    if not candidates:
        text = render.nothing_to_bill_text(ctx.person_name, _)
        return state, [Reply(text, ReplyKind.info, StepName.choose)]
    chosen = _chosen(turn, candidates)
    if chosen is not None:
        new = State(
            step=StepName.invoice_number,
            commitment_id=chosen.commitment_id,
            period_id=chosen.period_id,
        )
        return new, [Reply(_("OK: {label}.", label=chosen.label), ReplyKind.info, StepName.choose)]
    parsed = parse(turn.text, expect=Expect.choose)
    text = render.choose_text(candidates, _)
    kind = ReplyKind.prompt
    if parsed.has(CommandName.help):
        kind = ReplyKind.info
    elif parsed.choice and not parsed.has(CommandName.start):
        text = (
            _(
                "I couldn't tell which invoice “{choice}” is about; nothing was recorded yet.",
                choice=parsed.choice[:40],
            )
            + "\n\n"
            + text
        )
        kind = ReplyKind.reprompt
    choices = tuple(
        Choice(f"{index}. {candidate.label}"[:75], candidate.action)
        for index, candidate in enumerate(candidates, start=1)
    )
    return state, [Reply(text, kind, StepName.choose, choices=choices)]


def _chosen(turn: Turn, candidates: tuple[Candidate, ...]) -> Candidate | None:
    if turn.action and turn.action.startswith("choose:"):
        return next((c for c in candidates if c.action == turn.action), None)
    parsed = parse(turn.text, expect=Expect.choose)
    choice = (parsed.choice or "").strip().lstrip("#").casefold()
    if not choice:
        return None
    if choice.isdigit() and 1 <= int(choice) <= len(candidates):
        return candidates[int(choice) - 1]
    matches = [c for c in candidates if choice in c.label.casefold()]
    return matches[0] if len(matches) == 1 else None
