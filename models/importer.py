"""`billbot import`: load an import file into the database, all or nothing.

Rows are upserted by the file's `key` (SOV lines by commitment and number,
invoices by commitment and invoice number), so importing the same file twice
changes nothing. References may name rows of the file or rows already in the
database. Change orders are loaded before the invoices, which are computed with
the billing functions and stored in period order, so each invoice sees the right
previous figures and the change orders that count for its period. A JSON file
and a workbook (`models.workbook_reader`) both arrive here as an `ImportFile`;
only the `Locator` that names places differs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from models.db import session_scope
from models.import_change_orders import added_lines, check_billed, load_change_orders
from models.import_check import (
    ImportFileError,
    JsonLocator,
    Loc,
    Locator,
    Problem,
    parse_import,
    references,
    validate_import,
)
from models.import_invoices import (
    CERTIFIED_BASIS,
    UNDER_REVIEW_BASIS,
    billing_by_line,
    certified,
    invoice_names,
    load_invoices,
    shown,
)
from models.import_rows import stage_row, write_row
from models.import_schema import CommitmentIn, ImportFile, SovLineIn
from models.ledger import sov_lines
from models.tables import (
    BillingPeriod,
    ChangeOrder,
    Commitment,
    CommitmentContact,
    Company,
    Invoice,
    InvoiceStatus,
    Person,
    Project,
    SovLine,
)

__all__ = [
    "ImportFileError",
    "ImportSummary",
    "import_data",
    "import_file",
    "import_text",
    "import_workbook",
]

KINDS = (
    "companies",
    "people",
    "projects",
    "commitments",
    "sov_lines",
    "billing_periods",
    "change_orders",
    "invoices",
)
KEYED: dict[str, type[SQLModel]] = {
    "companies": Company,
    "people": Person,
    "projects": Project,
    "commitments": Commitment,
    "billing_periods": BillingPeriod,
    "change_orders": ChangeOrder,
}
SINGULAR = {
    "companies": "company",
    "people": "person",
    "projects": "project",
    "commitments": "commitment",
    "billing_periods": "billing period",
    "change_orders": "change order",
}
T = TypeVar("T", bound=SQLModel)
# An SOV line's figures a certified invoice stands on.
TERMS = ("scheduled_value", "quantity", "unit_price", "retainage_percent")


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportSummary:
    """What an import did, per kind of row."""

    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    warnings: list[str] = field(default_factory=list)  # imported, but worth a look

    def count(self, kind: str, outcome: str) -> None:
        counts = self.counts[kind]
        setattr(counts, outcome, getattr(counts, outcome) + 1)

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{kind.replace('_', ' '):<16}{c.created:>4} created {c.updated:>4} updated "
            f"{c.unchanged:>4} unchanged"
            for kind, c in self.counts.items()
        ] + [f"warning: {warning}" for warning in self.warnings]


def import_file(engine: Engine, *, path: Path) -> ImportSummary:
    """Import a file (JSON, or a workbook) in one transaction; `ImportFileError` if anything
    is wrong."""
    from models.workbook_reader import is_workbook

    if is_workbook(path):
        return import_workbook(engine, path=path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt") and not _looks_like_json(path):
        raise ImportFileError(
            [
                Problem(
                    "(file)",
                    f"is a {suffix} file: billbot imports a workbook (.xlsx, laid "
                    "out as `billbot template` makes it) or a JSON file; open the file in your "
                    "spreadsheet and save it as .xlsx in the template's sheets",
                )
            ]
        )
    if suffix != ".json" and not _looks_like_json(path):
        what = f"a {suffix} file" if suffix else "not a JSON file"
        if _head(path).startswith(b"SQLite format 3\x00"):
            what = "a SQLite database (use it with --database-url sqlite:///PATH)"
        raise ImportFileError(
            [
                Problem(
                    "(file)",
                    f"is {what}: billbot imports a workbook (.xlsx, laid out as `billbot "
                    "template` makes it) or a JSON file (.json)",
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError([Problem("(file)", "is not UTF-8 text")]) from None
    return import_text(engine, text=text)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(64)
    except OSError:
        return b""


def _looks_like_json(path: Path) -> bool:
    """Whether the file starts as JSON does (a `{`, after a byte-order mark and blanks)."""
    return _head(path).removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{")


def import_text(engine: Engine, *, text: str) -> ImportSummary:
    """Parse, check and import JSON text in one transaction."""
    data = parse_import(text)
    with session_scope(engine) as session:
        return import_data(session, data=data)


def import_workbook(engine: Engine, *, path: Path) -> ImportSummary:
    """Read, check and import a workbook (`billbot template`'s layout) in one transaction."""
    from models.workbook_reader import read_workbook

    found = read_workbook(path)
    data = validate_import(found.raw, found.locator, found.problems)
    with session_scope(engine) as session:
        return import_data(session, data=data, locator=found.locator)


def import_data(
    session: Session, *, data: ImportFile, locator: Locator | None = None
) -> ImportSummary:
    """Upsert everything in `data`; on `ImportFileError` the caller must roll back."""
    locator = locator or JsonLocator(data)
    _check_references(session, data, locator)
    loader = _Loader(session, data, locator)
    try:
        loader.run()
    except IntegrityError as exc:
        message = f"conflicts with data already in the database ({str(exc.orig).strip()})"
        raise ImportFileError([locator.problem(loader.current, message)]) from None
    return loader.summary


def _check_references(session: Session, data: ImportFile, locator: Locator) -> None:
    in_file = {kind: {item.key for item in getattr(data, kind)} for kind in KEYED}
    refs = list(references(data))
    missing: dict[str, set[str]] = defaultdict(set)
    for _loc, kind, key in refs:
        if key not in in_file[kind]:
            missing[kind].add(key)
    in_db: dict[str, set[str]] = {}
    for kind, keys in missing.items():
        key_column: Any = col(KEYED[kind].key)  # type: ignore[attr-defined]
        in_db[kind] = set(session.exec(select(key_column).where(key_column.in_(keys))))
    problems = [
        locator.problem(loc, f'unknown {SINGULAR[kind]} "{key}": not in this file or the database')
        for loc, kind, key in refs
        if key not in in_file[kind] and key not in in_db.get(kind, set())
    ]
    if problems:
        raise ImportFileError(problems)


class _Loader:
    def __init__(self, session: Session, data: ImportFile, locator: Locator) -> None:
        self.session = session
        self.data = data
        self.locator = locator
        self.summary = ImportSummary()
        self.rows: dict[str, dict[str, Any]] = {kind: {} for kind in KEYED}
        self.current: Loc = ()
        self.problems: list[Problem] = []  # found while loading commitments

    def row(self, kind: str, key: str) -> Any:
        """The row of `key` (written by this import, else already in the database)."""
        rows = self.rows[kind]
        if key not in rows:
            model: Any = KEYED[kind]
            rows[key] = self.session.exec(select(model).where(model.key == key)).one()
        return rows[key]

    def id(self, kind: str, key: str | None) -> int | None:
        return None if key is None else self.row(kind, key).id

    def run(self) -> None:
        data = self.data
        for i, company in enumerate(data.companies):
            self.upsert("companies", i, Company, {"key": company.key}, {"name": company.name})
        for i, person in enumerate(data.people):
            values = person.model_dump(exclude={"key", "company"})
            # Keep what billbot learned when the file gives none: the language a contact
            # wrote in, and the Slack user their email led to (invites and reminders go there).
            for learned in ("language", "slack_user_id"):
                if getattr(person, learned) is None:
                    del values[learned]
            values["company_id"] = self.id("companies", person.company)
            self.upsert("people", i, Person, {"key": person.key}, values)
        for i, project in enumerate(data.projects):
            values = project.model_dump(exclude={"key", "company"})
            values["company_id"] = self.id("companies", project.company)
            self.upsert("projects", i, Project, {"key": project.key}, values)
        for i in range(len(data.commitments)):
            self.commitment(i)
        if self.problems:
            raise ImportFileError(self.problems)
        for i, period in enumerate(data.billing_periods):
            values = period.model_dump(exclude={"key", "project"})
            values["project_id"] = self.id("projects", period.project)
            found = self.session.exec(
                select(BillingPeriod).where(BillingPeriod.key == period.key)
            ).first()
            if found is not None:
                self.check_period_dates(i, found, values)
            self.upsert("billing_periods", i, BillingPeriod, {"key": period.key}, values)
        self.check_overlaps()
        if self.problems:
            raise ImportFileError(self.problems)
        self.current = ("change_orders",)
        problems, changed = load_change_orders(
            self.session, data=data, row=self.row, summary=self.summary, locator=self.locator
        )
        if problems:
            raise ImportFileError(problems)
        self.current = ("invoices",)
        problems = load_invoices(
            self.session, data=data, row=self.row, summary=self.summary, locator=self.locator
        )
        problems += check_billed(
            self.session, data=data, row=self.row, locator=self.locator, keys=changed
        )
        if problems:
            raise ImportFileError(problems)

    def commitment(self, index: int) -> None:
        item = self.data.commitments[index]
        values = item.model_dump(
            exclude={"key", "project", "vendor", "invoice_contacts", "administrator", "lines"}
        )
        values["project_id"] = self.id("projects", item.project)
        values["vendor_id"] = self.id("companies", item.vendor)
        values["administrator_id"] = self.id("people", item.administrator)
        found = self.session.exec(select(Commitment).where(Commitment.key == item.key)).first()
        if found is not None:
            self.check_people_kept(index, found)
        if found is None or found.administrator_id is None:
            self.check_reviewed(index)
        billing = billing_by_line(self.session, found.id) if found and found.id else {}
        stored_percent = found.retainage_percent if found is not None else None
        row, outcome = self.upsert("commitments", index, Commitment, {"key": item.key}, values)
        assert row.id is not None
        contacts_changed = self.sync_contacts(row.id, item.invoice_contacts)
        self.summary.count(
            "commitments", "updated" if outcome == "unchanged" and contacts_changed else outcome
        )
        by_change_order = added_lines(self.session, row.id)
        existing = {line.number: line for line in sov_lines(self.session, row.id)}
        if stored_percent is not None and stored_percent != item.retainage_percent:
            self.check_retainage(index, row, stored_percent, existing, billing)
        for n, line in enumerate(item.lines):
            self.current = ("commitments", index, "lines", n)
            if line.number in by_change_order:
                message = (
                    f"line {line.number} was added by change order "
                    f"{by_change_order[line.number]}: change it with a change order"
                )
                raise ImportFileError([self.locator.problem((*self.current, "number"), message)])
            values = line.model_dump(exclude={"number"}) | {"position": n + 1}
            lookup = {"commitment_id": row.id, "number": line.number}
            found_line = existing.get(line.number)
            if found_line is not None:
                self.check_terms(row, found_line, values, billing.get(line.number, []))
            _, outcome = stage_row(self.session, found_line, SovLine, lookup, values)
            self.summary.count("sov_lines", outcome)
            if outcome != "unchanged":
                self.check_zero_line(item, line)
        self.session.flush()  # the lines in one batch
        if item.lines:  # a commitment given without lines says nothing about its SOV
            listed = [line.number for line in item.lines]
            added = [number for number in listed if number not in existing]
            for number, sov in existing.items():
                if number not in listed and number not in by_change_order:
                    self.unlisted(index, row, sov, added, billing.get(number, []))

    def check_zero_line(self, item: CommitmentIn, line: SovLineIn) -> None:
        """A line worth nothing (quantity or scheduled value 0) is imported, since a line kept
        for a change order to fill is one, but said: it is more often a typo, and nothing can
        be billed on it."""
        terms = ("scheduled_value", "quantity", "unit_price")
        zero = [name for name in terms if getattr(line, name) == 0]
        if not zero:
            return
        name = zero[0]
        where = self.locator.where((*self.current, name))
        self.summary.warnings.append(
            f"{where}: {item.number} line {line.number} ({line.description or 'no description'}) "
            f"has a {name.replace('_', ' ')} of 0: nothing can be billed on it until a change "
            "order adds to it. Imported as the file says; if it is a typo, fix it and import "
            "again"
        )

    def check_reviewed(self, index: int) -> None:
        """A commitment with invoice contacts needs an administrator: without one nobody could
        review what the contacts send, nor hear that they sent it. (One with neither is not
        set up yet: nobody is invited to bill on it.)"""
        item = self.data.commitments[index]
        if item.administrator is not None or not item.invoice_contacts:
            return
        message = (
            f"{item.number} has invoice contacts ({', '.join(item.invoice_contacts)}) and no "
            "administrator: nobody could review the invoices they send, or hear that they "
            "sent one. Give the key of the person who reviews them (the general contractor's "
            "invoice administrator)."
        )
        self.problems.append(self.locator.problem(("commitments", index, "administrator"), message))

    def check_people_kept(self, index: int, commitment: Commitment) -> None:
        """A blank `invoice_contacts` or `administrator` does not take all of a commitment's
        contacts, or its administrator, away: nobody would be invited, reminded or asked to
        review, and a blank cell is more often a column left empty than a decision."""
        item = self.data.commitments[index]
        if not item.invoice_contacts:
            statement = (
                select(Person.key)
                .join(CommitmentContact, col(CommitmentContact.person_id) == Person.id)
                .where(CommitmentContact.commitment_id == commitment.id)
                .order_by(col(Person.key))
            )
            keys = list(self.session.exec(statement))
            if keys:
                listed = ", ".join(keys)
                message = (
                    f"{commitment.number} has invoice contacts {listed} in billbot, and the "
                    "file gives none: an import does not take away all of a commitment's "
                    "invoice contacts (nobody would be invited or reminded to bill). List "
                    f'them to keep them: "{listed}"; to change them, list the new ones.'
                )
                loc = ("commitments", index, "invoice_contacts")
                self.problems.append(self.locator.problem(loc, message))
        if item.administrator is None and commitment.administrator_id is not None:
            person = self.session.get(Person, commitment.administrator_id)
            key = person.key if person is not None else "?"
            message = (
                f"{commitment.number} has administrator {key} in billbot, and the file gives "
                "none: an import does not take away a commitment's administrator (nobody would "
                f'review its invoices). Give "{key}" to keep them, or the new administrator.'
            )
            self.problems.append(
                self.locator.problem(("commitments", index, "administrator"), message)
            )

    def check_period_dates(self, index: int, period: BillingPeriod, values: dict[str, Any]) -> None:
        """A period's start and end decide what its invoices count as previous work and which
        change orders count for them: they may not move under an invoice that was sent."""
        moved = [name for name in ("start", "end") if values[name] != getattr(period, name)]
        if not moved:
            return
        sent = self.session.exec(
            select(Invoice).where(
                Invoice.period_id == period.id, col(Invoice.status) != InvoiceStatus.draft
            )
        ).all()
        if not sent:
            return
        name = moved[0]
        message = (
            f"{period.key} has {name} {getattr(period, name)} in billbot, the file says "
            f"{values[name]}, and invoices were sent for it: {invoice_names(sent)}. The dates "
            f"of a period with sent invoices cannot change: keep {getattr(period, name)}."
        )
        self.problems.append(self.locator.problem(("billing_periods", index, name), message))

    def check_overlaps(self) -> None:
        """Two billing periods of one project may not share a day: each day's work is billed
        once, and an invoice's previous work is what the periods before it billed."""
        given = {period.key: i for i, period in enumerate(self.data.billing_periods)}
        if not given:
            return
        rows = [self.row("billing_periods", key) for key in given]
        projects = {row.project_id for row in rows}
        everyone = self.session.exec(
            select(BillingPeriod).where(col(BillingPeriod.project_id).in_(projects))
        ).all()
        told: set[frozenset[str]] = set()
        for row in rows:
            for other in everyone:
                pair = frozenset((row.key, other.key))
                if (
                    other.id == row.id
                    or other.project_id != row.project_id
                    or pair in told
                    or not (other.start <= row.end and row.start <= other.end)
                ):
                    continue
                told.add(pair)
                message = (
                    f"{row.key} ({row.start} to {row.end}) overlaps billing period {other.key} "
                    f"({other.start} to {other.end}) of the same project: a project's billing "
                    f"periods may not share a day"
                )
                self.problems.append(
                    self.locator.problem(("billing_periods", given[row.key], "start"), message)
                )

    def check_retainage(
        self,
        index: int,
        commitment: Commitment,
        stored: Decimal,
        lines: dict[str, SovLine],
        billing: dict[str, list[Invoice]],
    ) -> None:
        """The commitment's retainage rate may not change under an invoice under review that
        holds retainage at it (on a line without a rate of its own). It may change from a
        period on (10% down to 5% at half complete): invoices already sent or certified keep
        the retainage they held, and those still open hold at the new rate."""
        at_rate = {
            invoice.id: invoice
            for number, invoices in billing.items()
            if number in lines and lines[number].retainage_percent is None
            for invoice in invoices
        }
        reviewed = _under_review(at_rate.values())
        if not reviewed:
            return
        was, given = shown(stored), shown(commitment.retainage_percent)
        message = (
            f"{commitment.number} has retainage_percent {was} in billbot, the file says "
            f"{given}, and invoices under review hold retainage at {was}%: "
            f"{invoice_names(reviewed)}. {UNDER_REVIEW_BASIS} keep {was}, or have them "
            "returned for revision first (the contact then sends them at the new rate)."
        )
        self.problems.append(
            self.locator.problem(("commitments", index, "retainage_percent"), message)
        )

    def check_terms(
        self,
        commitment: Commitment,
        line: SovLine,
        values: dict[str, Any],
        invoices: list[Invoice],
    ) -> None:
        """An SOV line's figures may not change under a certified invoice that billed on it,
        nor its retainage rate under an invoice under review that bills on it (a rate may
        change under certified invoices: they keep the retainage they held)."""
        billed = certified(invoices)
        reviewed = _under_review(invoices)
        for name in TERMS:
            stored, given = getattr(line, name), values[name]
            if stored == given:
                continue
            money = name == "scheduled_value"
            described = f" ({line.description})" if line.description else ""
            said = (
                f"{commitment.number} line {line.number}{described} has {name} "
                f"{_set(stored, money=money)} in billbot, the file says "
                f"{_set(given, money=money)}"
            )
            if billed and name != "retainage_percent":  # sent invoices keep what they held
                message = (
                    f"{said}, and certified invoices billed on it: {invoice_names(billed)}. "
                    f"{CERTIFIED_BASIS} {_keep(stored, money=money)}; a change of scope goes "
                    "through a change order."
                )
            elif reviewed and name == "retainage_percent":
                message = (
                    f"{said}, and invoices under review bill on it: {invoice_names(reviewed)}. "
                    f"{UNDER_REVIEW_BASIS} {_keep(stored)}, or have them returned for revision "
                    "first (the contact then sends them at the new rate)."
                )
            else:
                continue
            self.problems.append(self.locator.problem((*self.current, name), message))

    def unlisted(
        self,
        index: int,
        commitment: Commitment,
        line: SovLine,
        added: list[str],
        invoices: list[Invoice],
    ) -> None:
        """An SOV line in billbot that the file's commitment no longer lists: kept, with a
        warning; refused when it has been billed (a renumbered line would bill twice)."""
        name = f"{commitment.number} line {line.number}"
        if line.description:
            name += f" ({line.description})"
        hint = ""
        if added:
            new = ", ".join(f'"{number}"' for number in added)
            hint = (
                f" If the file's new line {new} is this line renumbered, give it its number back."
            )
        if invoices:
            message = (
                f"{name} is billed on {invoice_names(invoices)}, but this file no longer lists "
                "it. An import neither removes nor renumbers a line: list it as line "
                f'"{line.number}".'
            )
            problem = self.locator.problem(("commitments", index, "lines"), message + hint)
            self.problems.append(problem)
        else:
            self.summary.warnings.append(
                f"{name} is in billbot but not in this file: it is kept, since an import does "
                f"not remove lines.{hint}"
            )

    def sync_contacts(self, commitment_id: int, keys: list[str]) -> bool:
        wanted = {person_id for key in keys if (person_id := self.id("people", key))}
        statement = select(CommitmentContact).where(
            CommitmentContact.commitment_id == commitment_id
        )
        current = {contact.person_id: contact for contact in self.session.exec(statement)}
        for person_id, contact in current.items():
            if person_id not in wanted:
                self.session.delete(contact)
        for person_id in wanted - set(current):
            contact = CommitmentContact(commitment_id=commitment_id, person_id=person_id)
            self.session.add(contact)
        self.session.flush()
        return wanted != set(current)

    def upsert(
        self, kind: str, index: int, model: type[T], lookup: dict[str, Any], values: dict[str, Any]
    ) -> tuple[T, str]:
        self.current = (kind, index)
        row, outcome = write_row(self.session, model, lookup, values)
        self.rows[kind][lookup["key"]] = row
        if kind != "commitments":  # counted with its contacts
            self.summary.count(kind, outcome)
        return row, outcome


def _under_review(invoices: Iterable[Invoice]) -> list[Invoice]:
    return [invoice for invoice in invoices if invoice.status == InvoiceStatus.under_review]


def _set(value: Decimal | None, *, money: bool = False) -> str:
    """A stored or given figure in a refusal: as the file writes it, or `not set`."""
    return "not set" if value is None else shown(value, money=money)


def _keep(value: Decimal | None, *, money: bool = False) -> str:
    """`keep 10`, or `leave it not set`: what a refusal says to keep."""
    return "leave it not set" if value is None else f"keep {shown(value, money=money)}"
