"""`Context`: everything the pure core needs from the database and the clock, as plain values."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from babel import dates as babel_dates

from conversations.numbers import next_invoice_number
from models.attachments import DEFAULT_LIMITS, AttachmentLimits, AttachmentRef
from models.billing import LineHistory, LineTerms
from models.i18n import DEFAULT_LANGUAGE, Words, words
from models.money import ZERO
from models.tables import EDITABLE_STATUSES, AccountingMethod, InvoiceStatus, local_time


def find_line(numbers: Collection[str], ref: str) -> str | None:
    """The SOV line of `numbers` a reference means: exact, case-insensitive, or `03` for `3`."""
    if ref in numbers:
        return ref
    folded = {number.casefold(): number for number in numbers}
    if ref.casefold() in folded:
        return folded[ref.casefold()]
    stripped = {number.lstrip("0") or "0": number for number in numbers}
    return stripped.get(ref.lstrip("0") or "0")


def _stem(word: str) -> str:
    """A word as lines are matched by it: folded, without accents, and without a plural
    ending (`fixture` / `fixtures`, `box` / `boxes`, `tubería` / `tuberias`)."""
    word = "".join(
        ch for ch in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(ch)
    )
    for ending in ("s", "e"):
        if len(word) > 3 and word.endswith(ending):
            word = word[: -len(ending)]
    return word


def described(descriptions: Mapping[str, str], words: str) -> tuple[str, ...]:
    """The lines (of `descriptions`, number -> description) whose description holds every one
    of `words` (any case, singular or plural): `conduit` -> ("1",) when only line 1 is a
    conduit line."""
    wanted = [_stem(word) for word in re.findall(r"[^\W_]+", words)]
    found = []
    for number, description in descriptions.items():
        have = {_stem(word) for word in re.findall(r"[^\W_]+", description)}
        if wanted and all(word in have for word in wanted):
            found.append(number)
    return tuple(found)


def format_date(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """`Nov 30, 2026`; `30 nov 2026` in Spanish."""
    if language == "en":
        return f"{day:%b} {day.day}, {day.year}"
    return babel_dates.format_date(day, format="medium", locale=language)


def format_month(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """`November 2026`; `noviembre de 2026` in Spanish."""
    if language == "en":
        return f"{day:%B %Y}"
    return babel_dates.format_skeleton("yMMMM", day, locale=language)


@dataclass(frozen=True)
class CommitmentInfo:
    id: int
    number: str
    title: str
    project_name: str
    method: AccountingMethod = AccountingMethod.amount
    allow_overbilling: bool = False
    retainage_percent: Decimal = ZERO
    vendor_name: str = ""
    administrator_name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}".strip()


@dataclass(frozen=True)
class PeriodInfo:
    id: int
    start: date
    end: date
    billing_date: date
    due_date: date

    @property
    def label(self) -> str:
        return self.label_in(DEFAULT_LANGUAGE)

    def label_in(self, language: str) -> str:
        """`November 2026` for a calendar month, else `Nov 1, 2026 – Nov 15, 2026`."""
        if self.start.day == 1 and (self.start.year, self.start.month) == (
            self.end.year,
            self.end.month,
        ):
            return format_month(self.start, language)
        return f"{format_date(self.start, language)} – {format_date(self.end, language)}"


@dataclass(frozen=True)
class Adjustment:
    """A line the administrator approved at another amount than the contact's."""

    line: str
    billed: Decimal  # the contact's amount this period
    certified: Decimal  # the administrator's
    reason: str | None = None


@dataclass(frozen=True)
class InvoiceInfo:
    number: str
    status: InvoiceStatus
    id: int | None = None
    sent_at: datetime | None = None
    sent_by: str | None = None
    # The administrator's last review (DESIGN §6): who, the lines returned with their reason,
    # the lines approved (locked while the others are revised), and on approval the amount
    # certified (G702 line 8) and the lines approved at another amount.
    reviewer: str | None = None
    returned: tuple[tuple[str, str | None], ...] = ()
    approved_lines: frozenset[str] = frozenset()
    certified: Decimal | None = None
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def returned_lines(self) -> tuple[str, ...]:
        return tuple(line for line, _ in self.returned)

    def locked(self, line: str) -> bool:
        """A line approved at the review: it stays as it is while the returned ones change."""
        return self.status == InvoiceStatus.revise_and_resubmit and line in self.approved_lines


@dataclass(frozen=True)
class Candidate:
    """An invoice the person could bill now (for the choose step)."""

    commitment_id: int
    period_id: int
    label: str  # `SC-007 Electrical — Harbor Tower, November 2026`
    due_date: date
    invoice_number: str | None = None
    status: InvoiceStatus | None = None

    @property
    def action(self) -> str:
        return f"choose:{self.commitment_id}:{self.period_id}"


@dataclass(frozen=True)
class Context:
    now: datetime
    today: date  # `now` as a date in the project's time zone
    person_name: str = ""
    commitment: CommitmentInfo | None = None
    period: PeriodInfo | None = None
    lines: tuple[LineTerms, ...] = ()
    histories: Mapping[str, LineHistory] = field(default_factory=dict)
    used_numbers: frozenset[str] = frozenset()  # on this commitment, other invoices
    previous_number: str | None = None  # the latest earlier invoice number on the commitment
    # This commitment's invoices of later periods already sent: they bill the work to date
    # without this one, so this one is not sent after them.
    later_sent: tuple[str, ...] = ()
    # invoices of earlier periods returned for revision: this one stands on their figures
    earlier_returned: tuple[str, ...] = ()
    invoice: InvoiceInfo | None = None
    attachments: tuple[AttachmentRef, ...] = ()  # already stored on the invoice
    candidates: tuple[Candidate, ...] = ()
    limits: AttachmentLimits = DEFAULT_LIMITS
    timezone: str = "UTC"  # the project's, for the dates shown
    language: str = DEFAULT_LANGUAGE  # the person's: what the replies are written in

    @property
    def words(self) -> Words:
        """The wording of the person's language (`_ = ctx.words; _("Hello {name}", ...)`)."""
        return words(self.language)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of `moment` where the project is (naive means UTC)."""
        return local_time(moment, self.timezone).date()

    def terms(self, line: str) -> LineTerms | None:
        return next((terms for terms in self.lines if terms.number == line), None)

    def history(self, line: str) -> LineHistory:
        return self.histories.get(line, LineHistory())

    @property
    def line_numbers(self) -> tuple[str, ...]:
        return tuple(terms.number for terms in self.lines)

    def find_line(self, ref: str) -> str | None:
        """The SOV line a contact's reference means (`find_line`)."""
        return find_line(self.line_numbers, ref)

    def described(self, words: str) -> tuple[str, ...]:
        """The lines whose description holds every one of `words` (`described`)."""
        return described({terms.number: terms.description for terms in self.lines}, words)

    def levels(self, number: str) -> tuple[str, ...]:
        """The lines whose description names level `number` (`Level 2 slab`, `Lvl 2 deck`,
        `L2 framing`, `Nivel 2`): what `L2` may mean on site."""
        level = re.compile(
            rf"\b(?:level|lvl|lev|nivel|l)\s*[-#.]?\s*0*{re.escape(number.lstrip('0'))}\b",
            re.IGNORECASE,
        )
        return tuple(terms.number for terms in self.lines if level.search(terms.description))

    @property
    def past_due(self) -> bool:
        return self.period is not None and self.today > self.period.due_date

    def number_taken(self, number: str) -> bool:
        """`INV 0041`, `inv-0041` and `INV0041` are all INV-0041."""
        return number_key(number) in {number_key(used) for used in self.used_numbers}

    @property
    def suggested_number(self) -> str | None:
        """The next number after the previous invoice's that is not used yet."""
        candidate = self.previous_number
        for _ in range(100):
            candidate = next_invoice_number(candidate) if candidate else None
            if candidate is None or not self.number_taken(candidate):
                return candidate
        return None


def number_key(number: str) -> str:
    """An invoice number as numbers are compared: `INV-0042`, `inv 0042` and `INV#0042` alike."""
    return "".join(ch for ch in number.casefold() if ch.isalnum())
