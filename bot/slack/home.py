"""The App Home tab: a contact's open billing periods and invoices, with buttons; for an
invoice administrator, the board of their projects' open periods (`board.py`). Someone who
is both sees both."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from conversations.context import Candidate, format_date
from conversations.gather import candidate_label
from conversations.render import STATUS_WORDS, first_name
from models.board import Board, is_administrator, open_boards
from models.i18n import ENGLISH, Words
from models.tables import BillingPeriod, Commitment, CommitmentContact, Invoice, Project

from .blocks import Block, button, button_value, header, section
from .board import board_blocks
from .text import cut, escape

MAX_HOME_BLOCKS = 100
MAX_OPEN = 30
MAX_SENT = 15
START = "start"


def sent_invoices(session: Session, *, person_id: int) -> list[tuple[Invoice, str]]:
    """The person's invoices that are no longer editable (sent), newest period first."""
    statement = (
        select(Invoice, Commitment, Project, BillingPeriod)
        .join(Commitment, col(Commitment.id) == Invoice.commitment_id)
        .join(CommitmentContact, col(CommitmentContact.commitment_id) == Commitment.id)
        .join(Project, col(Project.id) == Commitment.project_id)
        .join(BillingPeriod, col(BillingPeriod.id) == Invoice.period_id)
        .where(CommitmentContact.person_id == person_id)
        .where(col(Invoice.status).not_in(["draft", "revise_and_resubmit"]))
        .order_by(col(BillingPeriod.start).desc(), col(Commitment.number))
        .limit(MAX_SENT)
    )
    return [
        (invoice, candidate_label(commitment, project, period))
        for invoice, commitment, project, period in session.exec(statement)
    ]


def is_contact(session: Session, *, person_id: int) -> bool:
    """Whether the person is an invoice contact of any commitment."""
    statement = select(CommitmentContact).where(CommitmentContact.person_id == person_id)
    return session.exec(statement.limit(1)).first() is not None


def admin_boards(session: Session, *, person_id: int, now: datetime) -> list[Board] | None:
    """The boards an administrator's Home shows; None for someone who administers nothing."""
    if not is_administrator(session, person_id):
        return None
    return open_boards(session, administrator_id=person_id, now=now)


def home_view(
    name: str,
    candidates: Sequence[Candidate],
    sent: Sequence[tuple[Invoice, str]],
    boards: Sequence[Board] | None = None,
    *,
    contact: bool = True,
    _: Words = ENGLISH,
) -> dict[str, Any]:
    """The Home tab, in the person's language: the contact's part (unless `contact` is False
    and `boards` are shown), then the administrator's boards in the blocks left."""
    show_contact = contact or boards is None
    blocks = _contact_blocks(name, candidates, sent, _) if show_contact else []
    if boards is not None:
        if blocks:
            blocks.append({"type": "divider"})
        blocks += board_blocks(boards, budget=MAX_HOME_BLOCKS - len(blocks), _=_)
    return {"type": "home", "blocks": blocks}


def _contact_blocks(
    name: str, candidates: Sequence[Candidate], sent: Sequence[tuple[Invoice, str]], _: Words
) -> list[Block]:
    blocks: list[Block] = [header(_("Your billing"))]
    if not candidates:
        greeting = _(
            "Hi {name}, you have no open billing periods right now.", name=first_name(name, _)
        )
        blocks.append(section(escape(greeting)))
    for candidate in candidates[:MAX_OPEN]:
        if candidate.invoice_number:
            status = _(STATUS_WORDS.get(candidate.status, "a draft")) if candidate.status else ""
            state = _("{number} is {status}", number=candidate.invoice_number, status=status)
            label = _("Continue")
        else:
            state, label = _("not started"), _("Start invoice")
        due = _("due {date}", date=format_date(candidate.due_date))
        text = f"*{escape(candidate.label)}*\n{escape(state)} · {escape(due)}"
        block = section(cut(text, 3000))
        key = (candidate.commitment_id, candidate.period_id)
        block["accessory"] = button(label, START, button_value("start", key), "primary")
        blocks.append(block)
    if sent:
        blocks += [{"type": "divider"}, header(_("Sent invoices"))]
        rows = [
            f"• *{escape(invoice.number)}* — {escape(label)}: "
            f"{_(STATUS_WORDS.get(invoice.status, str(invoice.status)))}"
            for invoice, label in sent
        ]
        blocks.append(section(cut("\n".join(rows), 3000)))
    hint = _(
        "Answer in the Messages tab: type `help` for the answer forms, "
        "or share files to attach them."
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]})
    return blocks
