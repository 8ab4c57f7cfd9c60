"""`billbot review` (DESIGN §4, §6): the administrator's review from the command line.

    billbot review SC-007/INV-0042 --approve [--note TEXT] [--by PERSON]
    billbot review SC-007/INV-0042 --approve-as-noted --adjust 3=4000 --note TEXT
    billbot review SC-007/INV-0042 --approve-as-noted --adjust "2=1 EA" --note TEXT
    billbot review SC-007/INV-0042 --reject "3=only 18 fixtures installed" --reject 2
    billbot review SC-007/INV-0042 --reject "2,3=no lien waiver"

The review goes through the same `ReviewService` as an email reply or a Slack button: the
same rules and history, and the contact hears of it (queued; `billbot run` delivers).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlmodel import Session

    from models.review import Quantity
    from models.tables import Commitment


def _pairs(values: list[str], option: str) -> dict[str, str]:
    """`LINE=TEXT` options as {line: text}; `LINE` alone means an empty text, and `2,3=TEXT`
    gives lines 2 and 3 the same text. A line given twice is refused, not overwritten."""
    out: dict[str, str] = {}
    given: dict[str, str] = {}  # as the review compares line numbers: `02` is `2`, any case
    for value in values:
        lines, _, text = value.partition("=")
        numbers = [line.strip() for line in lines.split(",")]
        if not all(numbers):
            raise typer.BadParameter(f"{value!r}: write LINE=…, e.g. 3=…", param_hint=option)
        for line in numbers:
            key = line.casefold().lstrip("0") or "0"
            if key in given:
                raise typer.BadParameter(
                    f"line {line} is given twice ({given[key]!r} and {value!r}): give each "
                    "line once",
                    param_hint=option,
                )
            given[key] = value
            out[line] = text.strip()
    return out


def _adjustments(
    values: list[str],
) -> tuple[dict[str, Decimal], dict[str, Quantity], frozenset[str]]:
    """`--adjust` options as amounts in dollars by line, and quantities in a unit-based
    line's units (`2=8 EA`, `2=qty 8`), read as an email reply's `2: 8 EA` is, and the lines
    given a bare number: dollars on an amount-based line, asked about on a unit-based one
    (`1=150` on a line billed in LF: 150 LF or $150.00?), as in an email reply."""
    from conversations.answers import THOUSANDS_POINT
    from conversations.review_answers import Unclear, read_figure
    from models.money import AmountError, format_dollars, format_money
    from models.review import Quantity

    amounts: dict[str, Decimal] = {}
    quantities: dict[str, Quantity] = {}
    bare: set[str] = set()
    for line, text in _pairs(values, "'--adjust'").items():
        digits = text.strip().lstrip("+-$ ").rstrip()
        if THOUSANDS_POINT.fullmatch(digits):  # `8.400`: $8.40, or $8,400 the Spanish way?
            small, large = Decimal(digits), Decimal(digits) * 1000
            raise typer.BadParameter(
                f"line {line}: is {text!r} {format_dollars(small)} or {format_dollars(large)}? "
                f"Write {line}={format_money(large)} or {line}={format_money(small)}",
                param_hint="'--adjust'",
            )
        try:
            figure, is_bare = read_figure(text)
        except (AmountError, Unclear) as exc:
            raise typer.BadParameter(
                f"line {line}: {text!r} is not an amount (e.g. 3=4000, 3=$4,000.00 or, on a "
                "line billed in units, 3=8 EA)",
                param_hint="'--adjust'",
            ) from exc
        if isinstance(figure, Quantity):
            quantities[line] = figure
        else:
            amounts[line] = figure
            if is_bare:
                bare.add(line)
    return amounts, quantities, frozenset(bare)


def _no_administrator(session: Session, commitment: Commitment) -> str:
    """Why an invoice of `commitment`, which has no invoice administrator, has no default
    reviewer, and who can review it instead: the other administrators of its project, or
    nobody until an import gives it one."""
    from models.review import administrators
    from models.tables import Person

    keys = sorted(
        person.key
        for person_id in administrators(session, commitment)
        if (person := session.get(Person, person_id)) is not None
    )
    if keys:
        return (
            f"{commitment.number} has no invoice administrator: say who reviews with --by "
            f"(an administrator of its project: {', '.join(keys)})"
        )
    return (
        f"{commitment.number} has no invoice administrator, so nobody can review its "
        "invoices: give it one (its administrator in the commitments sheet or the JSON "
        "file, a person's key) and import the file again"
    )


def review(
    ctx: typer.Context,
    invoice: Annotated[
        str, typer.Argument(help="SC-007/INV-0042, sc7:INV-0042, INV-0042 or the invoice id.")
    ],
    approve: Annotated[bool, typer.Option("--approve", help="Approve it.")] = False,
    approve_as_noted: Annotated[
        bool,
        typer.Option("--approve-as-noted", help="Approve with your amounts (--adjust) on lines."),
    ] = False,
    adjust: Annotated[
        list[str] | None,
        typer.Option(
            metavar="LINE=AMOUNT",
            help="This period's amount you approve for a line: 3=4000 or 3=$4,000 (on a "
            "line billed in units, its quantity with the unit: 2=8 EA; a bare number there is "
            "asked about).",
        ),
    ] = None,
    reject: Annotated[
        list[str] | None,
        typer.Option(
            metavar="LINE=REASON",
            help="Return this line for revision, with why (2,3=REASON for several lines).",
        ),
    ] = None,
    note: Annotated[str, typer.Option(help="A note for the contact and the history.")] = "",
    by: Annotated[
        str | None,
        typer.Option(
            metavar="PERSON", help="Who reviews (key or email); default: the administrator."
        ),
    ] = None,
) -> None:
    """Approve an invoice under review, approve it as noted, or return lines for revision."""
    from bot.cli import _settings, fail, not_found, open_database
    from bot.notify import reach_contact, sent_notifier
    from bot.review import review_service
    from conversations.review_service import invoice_contact
    from models.db import session_scope
    from models.i18n import words
    from models.invoice_lookup import InvoiceRefError, find_invoice
    from models.people import person_by_email, person_by_key
    from models.review import Decision, ReviewKind, may_review
    from models.tables import Commitment, InvoiceStatus, Person

    chosen = [approve, approve_as_noted, bool(reject)]
    if sum(chosen) != 1:
        fail("say what you decide: one of --approve, --approve-as-noted or --reject", code=2)
    if adjust and not approve_as_noted:
        fail("--adjust goes with --approve-as-noted", code=2)
    if approve_as_noted and not adjust:
        fail("--approve-as-noted needs at least one --adjust LINE=AMOUNT", code=2)
    if approve:
        decision = Decision(ReviewKind.approve, note=note)
    elif approve_as_noted:
        amounts, quantities, bare = _adjustments(adjust or [])
        decision = Decision(
            ReviewKind.approve_as_noted,
            note=note,
            adjustments=amounts,
            quantities=quantities,
            bare=bare,
        )
    else:
        decision = Decision(
            ReviewKind.reject, note=note, reasons=_pairs(reject or [], "'--reject'")
        )
    settings = _settings()
    with open_database(ctx) as engine:
        with session_scope(engine) as session:
            try:
                found = find_invoice(session, invoice)
            except InvoiceRefError as exc:
                not_found(ctx, exc)
            commitment = session.get(Commitment, found.commitment_id)
            assert commitment is not None
            if by is None:
                reviewer_id = commitment.administrator_id
                if reviewer_id is None:
                    fail(_no_administrator(session, commitment))
            else:
                person = person_by_key(session, by) or person_by_email(session, by)
                if person is None:
                    fail(f"nobody is known as {by!r} (a person's key or email)")
                reviewer_id = person.id
                if commitment.administrator_id is None and not may_review(
                    session, person, commitment
                ):
                    why = _no_administrator(session, commitment)
                    fail(f"{person.name} cannot review it: {why}")
            reviewer = session.get(Person, reviewer_id)
            _ = words(reviewer.language if reviewer else None)
            invoice_id = found.id
            contact = invoice_contact(session, found)
            reach = reach_contact(settings, session, found, contact) if contact else None
            if (
                reach is not None
                and reach.missed
                and contact is not None
                and reviewer is not None
                and found.status == InvoiceStatus.under_review
                and may_review(session, reviewer, commitment)
            ):
                fail(
                    f"{contact.name} bills {commitment.number} by {reach.missed}, and no mailbox "
                    "is configured here (BILLBOT_MAIL__*), so they could not be told of this "
                    "review. Nothing was changed: review it with the settings `billbot run` "
                    "uses, or answer the review email you were sent."
                )
        assert invoice_id is not None and reviewer_id is not None
        service = review_service(engine, settings, on_sent=sent_notifier(settings))
        service.contact_outbox = lambda session, invoice, person: (
            reach_contact(settings, session, invoice, person).where
        )
        result = service.review(
            invoice_id=invoice_id, reviewer_id=reviewer_id, decision=decision, channel="cli"
        )
    if result.refused is not None:
        if decision.bare and result.refused.code == "unclear-amount":
            fail(
                f'{result.refused.message}\nOn the command line: --adjust "LINE=QUANTITY UNIT" '
                "for units (e.g. \"1=150 LF\"), --adjust 'LINE=$AMOUNT' for dollars."
            )
        fail(result.refused.message)
    typer.echo(result.text)
    if result.contact:  # the review's answers speak the reviewer's language; usage is English
        typer.echo(_("The message to the contact goes out with the next `billbot run`."))
        if reach is not None and reach.waits_for == "Slack":
            typer.echo(
                "billbot: Slack is not configured here: the message waits for a `billbot run` "
                "with BILLBOT_SLACK__BOT_TOKEN set.",
                err=True,
            )
    elif contact is not None and not (settings.mail.configured or settings.slack.configured):
        typer.echo(
            f"billbot: {contact.name} was not told: no mail or Slack channel is configured "
            "here (BILLBOT_MAIL__*, BILLBOT_SLACK__*), and they were not invited on one. Tell "
            "them yourself.",
            err=True,
        )
