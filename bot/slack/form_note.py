"""The note a `Fill in all lines` page leaves in the invoice thread when its turn's reply is
not posted (a page in the middle, or one whose errors the modal shows): which lines were
kept, then the question the conversation asks now, with its buttons.

The answers a page keeps move the conversation on (to line 41, to a confirmation), and a
typed answer goes to the line asked now: without the note, the last question in the thread
would still be the one before the modal, and `50%` meant for it would bill another line.
The note is queued in the page's own transaction, so it is there whenever the page is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from conversations.gather import build_context, find_invoice
from conversations.replies import confirmation_prompt, prompt_for
from conversations.state import State
from conversations.types import Reply, ReplyKind
from models.attachments import AttachmentLimits
from models.conversation import Conversation
from models.ledger import load_ledger
from models.tables import BillingPeriod, Commitment, Person


def form_note(
    session: Session,
    conversation: Conversation | None,
    person: Person,
    replies: Sequence[Reply],
    *,
    values: Mapping[str, str],
    now: datetime,
    limits: AttachmentLimits,
) -> Reply | None:
    """The note for a page that sent `values`, once its turn is saved (None: it kept
    nothing and asks nothing new, or it was refused)."""
    if conversation is None or any(reply.kind == ReplyKind.error for reply in replies):
        return None
    try:
        state = State.from_json(conversation.state)  # as the turn just saved it
    except ValueError:
        return None
    refused = {error.line for reply in replies for error in reply.field_errors}
    pending = {item.line for item in state.pending}
    saved = [line for line in values if line not in refused | pending]
    if not saved and not pending & set(values):
        return None
    commitment = session.get(Commitment, conversation.commitment_id)
    period = session.get(BillingPeriod, conversation.period_id)
    if commitment is None or period is None:
        return None
    ledger = load_ledger(session, commitment=commitment, period=period)
    invoice = find_invoice(
        session, commitment_id=conversation.commitment_id, period_id=conversation.period_id
    )
    ctx = build_context(
        session, person=person, ledger=ledger, invoice=invoice, now=now, limits=limits
    )
    base = confirmation_prompt(state, ctx) if state.pending else prompt_for(state, ctx, "slack")
    text = base.text
    if saved:
        _ = ctx.words
        kept = _.plural(
            "Saved line {lines} from the form.",
            "Saved lines {lines} from the form.",
            len(saved),
            lines=runs(saved, ctx.line_numbers),
        )
        text = f"{kept}\n\n{text}"
    return replace(base, text=text, language=ctx.language)


def runs(lines: Sequence[str], order: Sequence[str]) -> str:
    """`1–40`, `1, 3, 5–7`: the lines, in the SOV's order, consecutive ones as a range."""
    chosen = set(lines)
    groups: list[list[str]] = []
    previous = False
    for number in order:
        if number in chosen:
            if previous:
                groups[-1].append(number)
            else:
                groups.append([number])
        previous = number in chosen
    named = [g[0] if len(g) == 1 else f"{g[0]}–{g[-1]}" for g in groups]
    named += [line for line in lines if line not in set(order)]
    return ", ".join(named)
