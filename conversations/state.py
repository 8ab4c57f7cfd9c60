"""The conversation state: a frozen value, saved as JSON (Decimals as strings) between turns."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from conversations.types import StepName
from models.attachments import AttachmentRef
from models.billing import LineEntry
from models.money import ZERO

FORMAT = 1
MAX_HISTORY = 50


class Status(enum.StrEnum):
    open = "open"
    draft_saved = "draft_saved"
    sent = "sent"
    cancelled = "cancelled"


@dataclass(frozen=True)
class Pending:
    """An entry awaiting an explicit yes (over-billing, a negative correction); kept meanwhile."""

    line: str
    entry: LineEntry
    message: str
    answer: str = ""


@dataclass(frozen=True)
class State:
    step: StepName = StepName.invoice_number
    line: str | None = None  # the line being asked, at the lines step
    commitment_id: int | None = None
    period_id: int | None = None
    invoice_number: str | None = None
    entries: Mapping[str, LineEntry] = field(default_factory=dict)  # the answered lines
    pending: tuple[Pending, ...] = ()
    attachments: tuple[AttachmentRef, ...] = ()
    attachments_done: bool = False
    status: Status = Status.open
    history: tuple[str, ...] = ()  # earlier positions (`lines:2`), for `back`
    revisit: bool = False  # came here with back/edit: stay until answered
    started: bool = False
    send_requested: bool = False  # said `send` while something was missing
    # who said it and when (a held send is carried out for them, the same day, only)
    send_requested_by: str | None = None
    send_requested_at: datetime | None = None
    sent_at: datetime | None = None
    to_revise: tuple[str, ...] = ()  # lines returned for revision, not answered again yet

    @property
    def position(self) -> str:
        return f"{self.step}:{self.line}" if self.step == StepName.lines else str(self.step)

    def with_entry(self, line: str, entry: LineEntry) -> State:
        entries = dict(self.entries)
        entries[line] = entry
        return replace(self, entries=entries)

    def shown(self) -> str:
        """A short digest of what a Send button sends (the invoice number, every answer as
        stored, the files) and of the questions a Yes button answers: a button carries the
        digest of the state it was shown beside, so one pressed after a change (an old Slack
        message's Send) does not send, or confirm, what its message did not show."""
        return _digest(
            [
                self.invoice_number,
                {number: _entry_json(entry.stored()) for number, entry in self.entries.items()},
                sorted((ref.sha256, ref.filename) for ref in self.attachments),
                [(item.line, _entry_json(item.entry.stored())) for item in self.pending],
            ]
        )

    def line_shown(self, line: str) -> str:
        """A short digest of what a line's answer buttons (Skip, Done) answer: the line's
        answer as stored, a confirmation it awaits, whether it was returned for revision. A
        button pressed after any of these changed (an old prompt's Done, after the line was
        answered `50%`) is refused."""
        entry = self.entries.get(line)
        return _digest(
            [
                None if entry is None else _entry_json(entry.stored()),
                [_entry_json(item.entry.stored()) for item in self.pending if item.line == line],
                line in self.to_revise,
            ]
        )

    def number_shown(self) -> str:
        """A short digest of the invoice number a `Use INV-0042` button was shown beside."""
        return _digest(self.invoice_number)

    def without_pending(self, lines: set[str] | None = None) -> State:
        """Drop the pending confirmations (for `lines`, or all of them)."""
        keep = tuple(p for p in self.pending if lines is not None and p.line not in lines)
        return replace(self, pending=keep)

    def moved_to(self, step: StepName, line: str | None = None, *, revisit: bool = False) -> State:
        """At a new position, remembering the old one for `back`."""
        new = replace(self, step=step, line=line if step == StepName.lines else None)
        if new.position == self.position:
            return replace(new, revisit=revisit or self.revisit)
        history = (*self.history, self.position)[-MAX_HISTORY:]
        return replace(new, history=history, revisit=revisit)

    # JSON -----------------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "step": self.step.value,
                "line": self.line,
                "commitment_id": self.commitment_id,
                "period_id": self.period_id,
                "invoice_number": self.invoice_number,
                "entries": {n: _entry_json(e) for n, e in self.entries.items()},
                "pending": [
                    {
                        "line": p.line,
                        "entry": _entry_json(p.entry),
                        "message": p.message,
                        "answer": p.answer,
                    }
                    for p in self.pending
                ],
                "attachments": [_attachment_json(a) for a in self.attachments],
                "attachments_done": self.attachments_done,
                "status": self.status.value,
                "history": list(self.history),
                "revisit": self.revisit,
                "started": self.started,
                "send_requested": self.send_requested,
                "send_requested_by": self.send_requested_by,
                "send_requested_at": (
                    self.send_requested_at.isoformat() if self.send_requested_at else None
                ),
                "sent_at": self.sent_at.isoformat() if self.sent_at else None,
                "to_revise": list(self.to_revise),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> State:
        """The state saved by `to_json`; raises `ValueError` on anything else."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise TypeError(f"format {data.get('format') if isinstance(data, dict) else None}")
            return cls(
                step=StepName(data["step"]),
                line=data.get("line"),
                commitment_id=data.get("commitment_id"),
                period_id=data.get("period_id"),
                invoice_number=data.get("invoice_number"),
                entries={str(n): _entry(e) for n, e in data.get("entries", {}).items()},
                pending=tuple(
                    Pending(str(p["line"]), _entry(p["entry"]), p["message"], p.get("answer", ""))
                    for p in data.get("pending", [])
                ),
                attachments=tuple(AttachmentRef(**a) for a in data.get("attachments", [])),
                attachments_done=bool(data.get("attachments_done")),
                status=Status(data.get("status", "open")),
                history=tuple(data.get("history", [])),
                revisit=bool(data.get("revisit")),
                started=bool(data.get("started")),
                send_requested=bool(data.get("send_requested")),
                send_requested_by=data.get("send_requested_by"),
                send_requested_at=(
                    datetime.fromisoformat(data["send_requested_at"])
                    if data.get("send_requested_at")
                    else None
                ),
                sent_at=datetime.fromisoformat(data["sent_at"]) if data.get("sent_at") else None,
                to_revise=tuple(str(line) for line in data.get("to_revise", [])),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise ValueError(f"unreadable conversation state: {exc}") from exc


def _digest(data: object) -> str:
    """12 hex digits: enough to tell one state from another, short enough for a button."""
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _entry_json(entry: LineEntry) -> dict[str, str | None]:
    data = {
        "new_quantity": None if entry.new_quantity is None else str(entry.new_quantity),
        "new_value": str(entry.new_value),
        "materials_stored": str(entry.materials_stored),
        "retainage_released": str(entry.retainage_released),
    }
    if entry.retainage_held is not None:  # a sent invoice's, as stored
        data["retainage_held"] = str(entry.retainage_held)
    return data


def _entry(data: Mapping[str, Any]) -> LineEntry:
    quantity = data.get("new_quantity")
    return LineEntry(
        new_quantity=None if quantity is None else Decimal(quantity),
        new_value=Decimal(data.get("new_value") or ZERO),
        materials_stored=Decimal(data.get("materials_stored") or ZERO),
        retainage_released=Decimal(data.get("retainage_released") or ZERO),
        retainage_held=None
        if data.get("retainage_held") is None
        else Decimal(data["retainage_held"]),
    )


def _attachment_json(ref: AttachmentRef) -> dict[str, str | int]:
    return {
        "filename": ref.filename,
        "content_type": ref.content_type,
        "size": ref.size,
        "sha256": ref.sha256,
        "source": ref.source,
    }
