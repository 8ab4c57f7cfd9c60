"""The engine's inbound `Turn` and outbound `Reply` values, shared by every channel.

A channel translates its wire format (an email, a Slack event, a console line)
into a `Turn`, and renders each `Reply`: `text` alone is always a complete
message; the structured parts (choices, lines table, G702 totals, field
errors) let richer channels draw buttons, tables and modal errors.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from models.attachments import AttachmentRef
from models.billing import G702Summary, LineFigures

__all__ = [
    "AttachmentRef",
    "Choice",
    "FieldError",
    "Reply",
    "ReplyKind",
    "StepName",
    "Turn",
    "pressed_action",
]


class StepName(enum.StrEnum):
    """The steps of the guided conversation, in order (see `flow.FLOW`)."""

    choose = "choose"
    invoice_number = "invoice_number"
    lines = "lines"
    attachments = "attachments"
    review = "review"
    done = "done"


class ReplyKind(enum.StrEnum):
    prompt = "prompt"  # asks the next question
    reprompt = "reprompt"  # something was wrong; asks again, saying what and how
    review = "review"  # the whole invoice, asking Save as Draft or Send
    confirmation = "confirmation"  # asks yes/no, or confirms a draft / a send
    info = "info"  # help, status
    error = "error"  # refused: not a contact, locked, past due


@dataclass(frozen=True)
class Turn:
    """One inbound message or button press.

    `action` is a button value: "start", "send", "draft", "back", "help",
    "status", "cancel", "yes", "no", "next", "choose:<commitment_id>:<period_id>",
    "edit:<line>", "number:<invoice number>", "answer:<line>:<text>"; a button's action
    ends in `:<digest>` when its `Choice.shown` is set (`answer:1:done:<digest>`).
    `line_values` is a form (Slack modal) submitting one answer per SOV line number.
    `attachments` are already stored by the channel (see `models.attachments`).
    `language` is the one the whole message is written in, when the channel hands over only
    part of it (an email's top left out beside a filled-in template: `Todo listo, van abajo`).
    `files_refused` names the files of the message the channel could not keep (too large,
    unreadable; it said why): a `send` in it is held back, so nothing goes out without them.
    """

    text: str = ""
    action: str | None = None
    line_values: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[AttachmentRef, ...] = ()
    channel: str = "console"
    language: str | None = None
    files_refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """A button: `action` comes back as `Turn.action` when pressed, followed by `:<shown>`
    when it is set: a digest of what the button answers as it was when shown
    (`State.line_shown`, `State.number_shown`), so one pressed after that changed (an old
    Slack message's `Done`) changes nothing."""

    label: str
    action: str
    style: str | None = None  # "primary" / "danger", a hint for channels that have it
    shown: str | None = None

    @property
    def pressed(self) -> str:
        """The `Turn.action` of pressing it."""
        return pressed_action(self.action, self.shown)


def pressed_action(action: str, shown: str | None) -> str:
    """A button's `Turn.action`: its action, then `:<shown>` if it carries a digest."""
    return f"{action}:{shown}" if action and shown else action


@dataclass(frozen=True)
class FieldError:
    """An error about one line's field of a form (Slack: `response_action: errors`)."""

    line: str
    message: str


@dataclass(frozen=True)
class Reply:
    """One outbound message: `text`, then the tables (if any), then `footer`.

    `text` and `footer` never include the tables; `plaintext.as_text` renders all of it.
    """

    text: str
    kind: ReplyKind = ReplyKind.prompt
    step: StepName = StepName.invoice_number
    choices: tuple[Choice, ...] = ()
    lines: tuple[LineFigures, ...] = ()  # the G703 rows, when the reply shows the invoice
    totals: G702Summary | None = None
    attachments: tuple[AttachmentRef, ...] = ()
    field_errors: tuple[FieldError, ...] = ()
    title: str = ""  # a short heading (email subject suffix, Slack header)
    footer: str = ""  # text shown after the tables (the question, at the review)
    language: str = "en"  # what it is written in: channels word their tables the same way
