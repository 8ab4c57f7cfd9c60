"""The engine's wording: prompts, the review, help, status and refusals (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from conversations.context import Candidate, Context, format_date
from conversations.state import State
from models.attachments import AttachmentRef, human_size
from models.billing import LineEntry, LineFigures, LineHistory, LineTerms, line_figures
from models.i18n import ENGLISH, N_, Words
from models.money import ZERO, format_dollars, format_quantity, format_unit_price
from models.tables import InvoiceStatus

STATUS_WORDS = {
    InvoiceStatus.draft: N_("a draft"),
    InvoiceStatus.under_review: N_("under review"),
    InvoiceStatus.revise_and_resubmit: N_("returned for revision"),
    InvoiceStatus.approved: N_("approved"),
    InvoiceStatus.approved_as_noted: N_("approved as noted"),
    InvoiceStatus.pending_owner_approval: N_("pending owner approval"),
}
MAX_PROBLEMS_SHOWN = 8


def money(value: object) -> str:
    return format_dollars(value)  # type: ignore[arg-type]


def percent_text(value: object) -> str:
    return format(value, ".2f")


def line_name(terms: LineTerms | LineFigures) -> str:
    return f"{terms.number} ({terms.description})" if terms.description else terms.number


def first_name(name: str, _: Words = ENGLISH) -> str:
    return name.split()[0] if name.strip() else _("there")


def entry_parts(terms: LineTerms, figures: LineFigures, _: Words = ENGLISH) -> list[str]:
    """`300 LF this period ($3,750.00)`, `50.00% to date`...: what an entry bills."""
    parts: list[str] = []
    if figures.new_value == 0 and figures.materials_stored == 0:
        parts.append(_("nothing this period"))
    elif terms.is_unit:
        parts.append(
            _(
                "{quantity} this period ({value})",
                quantity=quantity_text(figures.new_quantity or ZERO, terms.uom),
                value=money(figures.new_value),
            )
        )
    else:
        parts.append(_("{value} this period", value=money(figures.new_value)))
    if figures.materials_stored:
        parts.append(_("{value} materials stored", value=money(figures.materials_stored)))
    parts.append(_("{percent}% to date", percent=figures.percent_complete))
    if figures.retainage_released:
        parts.append(_("retainage released {value}", value=money(figures.retainage_released)))
    return parts


def quantity_text(quantity: object, uom: str | None) -> str:
    text = format_quantity(quantity)  # type: ignore[arg-type]
    return f"{text} {uom}" if uom else text


def describe_entry(
    terms: LineTerms,
    history: LineHistory,
    entry: LineEntry,
    figures: LineFigures | None = None,
    _: Words = ENGLISH,
) -> str:
    """`line 1 (Conduit): 300 LF this period ($3,750.00), 50.00% to date`."""
    figures = figures or line_figures(terms, history, entry)
    return _(
        "line {line}: {billed}",
        line=line_name(terms),
        billed=", ".join(entry_parts(terms, figures, _)),
    )


def including(change_orders: Sequence[str], _: Words = ENGLISH) -> str:
    """` incl. CO-001, CO-002` after a line's value, or nothing without change orders."""
    return _(" incl. {orders}", orders=", ".join(change_orders)) if change_orders else ""


def change_orders_note(lines: Sequence[LineFigures], _: Words = ENGLISH) -> str:
    """Which lines change orders changed, with their scheduled values (for the review)."""
    changed = [
        _(
            "line {line} is {value}{including}",
            line=line_name(line),
            value=money(line.scheduled_value),
            including=including(line.change_orders, _),
        )
        for line in lines
        if line.changes
    ]
    return _("Change orders: {changed}.", changed="; ".join(changed)) if changed else ""


def greeting(ctx: Context) -> str:
    assert ctx.commitment is not None and ctx.period is not None
    _ = ctx.words
    c, p = ctx.commitment, ctx.period
    return _(
        "Hi {name}! Let's bill {commitment} on {project} for {period} (billing date "
        "{billing_date}, due {due_date}).",
        name=first_name(ctx.person_name, _),
        commitment=c.label,
        project=c.project_name,
        period=p.label_in(ctx.words.language),
        billing_date=format_date(p.billing_date, ctx.words.language),
        due_date=format_date(p.due_date, ctx.words.language),
    )


def routed_text(ctx: Context) -> str:
    """Said first when a message that named no invoice went to the one last talked about,
    and the person has others they could bill: which one, and how to change it."""
    assert ctx.commitment is not None and ctx.period is not None
    return ctx.words(
        "This is about {commitment}, {period}. For another invoice, reply `switch`.",
        commitment=ctx.commitment.label,
        period=ctx.period.label_in(ctx.words.language),
    )


def others_turn_text(name: str, ctx: Context) -> str:
    """Said first when another contact of the invoice answered since this person last did:
    what follows is the invoice as it stands now, their answers included."""
    return ctx.words(
        "{name} also answered on this invoice since your last message; the figures below are "
        "the invoice as it stands now.",
        name=name,
    )


def invoice_number_prompt(state: State, ctx: Context) -> str:
    _ = ctx.words
    if state.invoice_number:
        return _(
            "The invoice number is {number}. Reply a new number to change it, or `ok` to keep it.",
            number=state.invoice_number,
        )
    suggestion = ctx.suggested_number
    if suggestion and ctx.previous_number:
        return _(
            "What is your invoice number? Your last one was {previous}, so I suggest "
            "{suggestion}: reply `ok` to use it, or type your own.",
            previous=ctx.previous_number,
            suggestion=suggestion,
        )
    return _("What is your invoice number? (for example INV-0001)")


def line_prompt(state: State, ctx: Context, line: str) -> str:
    terms = ctx.terms(line)
    assert terms is not None
    _ = ctx.words
    history = ctx.history(line)
    position = ctx.line_numbers.index(line) + 1
    pct = (history.previous_value / terms.value * 100) if terms.value else ZERO
    if terms.is_unit:
        terms_text = _(
            "{quantity} × {price} = {value}{including}. Billed before: {before} "
            "({before_value}, {percent}%).",
            quantity=quantity_text(terms.quantity or ZERO, terms.uom),
            price=format_unit_price(terms.unit_price or ZERO),
            value=money(terms.value),
            including=including(terms.change_orders, _),
            before=quantity_text(history.previous_quantity, terms.uom),
            before_value=money(history.previous_value),
            percent=percent_text(pct),
        )
    else:
        scheduled = _("{value} scheduled", value=money(terms.value))
        if terms.changes:
            scheduled = _(
                "scheduled {value}{including}",
                value=money(terms.value),
                including=including(terms.change_orders, _),
            )
        terms_text = _(
            "{scheduled}. Billed before: {before} ({percent}%).",
            scheduled=scheduled,
            before=money(history.previous_value),
            percent=percent_text(pct),
        )
    head = _(
        "Line {line}, {position} of {count}: {terms}",
        line=line_name(terms),
        position=position,
        count=len(ctx.lines),
        terms=terms_text,
    )
    if history.retainage_balance > 0:
        head += " " + _("Retainage held: {value}.", value=money(history.retainage_balance))
    lines = [head]
    current = state.entries.get(line)
    if current is not None:
        parts = entry_parts(terms, line_figures(terms, history, current), _)
        lines.append(_("Currently: {billed}.", billed=", ".join(parts)))
    if terms.value and history.previous_value > terms.value:  # a change order lowered it
        lines.append(
            _(
                "This line was billed {over} past its scheduled value (a change order lowered "
                "it): reply `done` to credit that back on this invoice.",
                over=money(history.previous_value - terms.value),
            )
        )
    elif terms.value and history.previous_value >= terms.value:
        lines.append(_("This line is fully billed: reply `skip`, unless you are correcting it."))
    lines.append(_("How much this period? For example {examples}.", examples=examples(terms, _)))
    if not state.entries and position == 1 and len(ctx.lines) > 1:
        lines.append(
            _(
                "Tip: you can answer several lines in one message, one per line: `{first}: "
                "50%`, `{last}: skip`, or `rest skip`.",
                first=ctx.lines[0].number,
                last=ctx.lines[-1].number,
            )
        )
    return "\n".join(lines)


def answer_template(state: State, ctx: Context) -> str:
    """A ready-to-fill answer (e.g. for an invite email) that parses back as it is.

    Lines are left blank: a blank `2 (Panels, EA):` changes nothing, so a template
    sent back half-filled only answers what was filled in.
    """
    number = state.invoice_number or ctx.suggested_number or ""
    label = ctx.words("Invoice number")
    rows = [f"{label}: {number}"]
    for terms in ctx.lines:
        note = re.sub(r"[()\[\];]", " ", terms.description)[:60].strip()
        if terms.is_unit and terms.uom:
            note = f"{note}, {terms.uom}" if note else terms.uom
        rows.append(f"{terms.number} ({note}):" if note else f"{terms.number}:")
    return "\n".join(rows)


def examples(terms: LineTerms, _: Words = ENGLISH) -> str:
    if terms.is_unit:
        return _(
            "`50%` (total to date), `+10%` (this period), `30 {uom}`, `$4,500`, `done`, `skip`",
            uom=terms.uom or _("units"),
        )
    return _(
        "`50%` (total to date), `+10%` (this period), `$4,500`, `stored $2,000`, `done`, `skip`"
    )


def short_example(terms: LineTerms, _: Words = ENGLISH) -> str:
    if terms.is_unit:
        return _(
            "`{line}: 30 {uom}` or `{line}: 50%`", line=terms.number, uom=terms.uom or _("units")
        )
    return _("`{line}: $4,500` or `{line}: 50%`", line=terms.number)


def attach_hint(channel: str, _: Words = ENGLISH) -> str:
    hints = {
        "email": N_("attach the files to your reply"),
        "slack": N_("share the files in this conversation"),
        "console": N_("type `attach PATH`"),
    }
    return _(hints.get(channel, N_("send the files here")))


def attachments_prompt(state: State, ctx: Context, channel: str) -> str:
    _ = ctx.words
    text = _(
        "Any backup to attach (lien waivers, photos, timesheets)? To add files, {hint}; "
        "otherwise reply `none`.",
        hint=attach_hint(channel, _),
    )
    files = all_attachments(state, ctx)
    if files:
        text = _("Attached so far: {files}.", files=attachment_list(files)) + "\n" + text
    return text


def all_attachments(state: State, ctx: Context) -> tuple[AttachmentRef, ...]:
    seen: dict[tuple[str, str], AttachmentRef] = {}
    for ref in (*ctx.attachments, *state.attachments):
        seen.setdefault((ref.sha256, ref.filename), ref)
    return tuple(seen.values())


def attachment_list(files: Sequence[AttachmentRef]) -> str:
    return ", ".join(f"{ref.filename} ({human_size(ref.size)})" for ref in files)


def invoice_heading(state: State, ctx: Context, *, lower: bool = False) -> str:
    assert ctx.commitment is not None and ctx.period is not None
    _ = ctx.words
    values = {
        "number": state.invoice_number,
        "commitment": ctx.commitment.label,
        "project": ctx.commitment.project_name,
        "period": ctx.period.label_in(ctx.words.language),
    }
    if lower:
        return _("invoice {number} for {commitment} on {project}, {period}", **values)
    return _("Invoice {number} for {commitment} on {project}, {period}", **values)


def review_footer(state: State, ctx: Context, channel: str) -> str:
    _ = ctx.words
    files = all_attachments(state, ctx)
    attached = (
        _("Attachments: {files}.", files=attachment_list(files))
        if files
        else _("Attachments: none.")
    )
    return (
        attached
        + " "
        + _("To attach more, {hint} before you send.", hint=attach_hint(channel, _))
        + "\n"
        + _(
            "Reply `send` to send it for review, `draft` to save it as a draft, or `edit 2` to "
            "change a line."
        )
    )


def sent_text(state: State, ctx: Context) -> str:
    _ = ctx.words
    admin = ctx.commitment.administrator_name if ctx.commitment else None
    when = format_date(ctx.local_date(state.sent_at or ctx.now), ctx.words.language)
    if admin:
        return _(
            "Sent {number} for review on {date}. {admin} will review it. It is now locked.",
            number=state.invoice_number,
            date=when,
            admin=admin,
        )
    return _(
        "Sent {number} for review on {date}. It is now locked.",
        number=state.invoice_number,
        date=when,
    )


def line_list(lines: Sequence[str], _: Words = ENGLISH) -> str:
    """`line 3` or `lines 2, 3`."""
    if len(lines) == 1:
        return _("line {line}", line=lines[0])
    return _("lines {lines}", lines=", ".join(lines))


def missing_text(state: State, ctx: Context) -> str:
    _ = ctx.words
    missing = [n for n in ctx.line_numbers if n not in state.entries or n in state.to_revise]
    if not state.invoice_number:
        if missing:
            return _("the invoice number and {lines}", lines=line_list(missing, _))
        return _("the invoice number")
    return line_list(missing, _) if missing else ""


def returned_text(ctx: Context) -> str:
    """The contact's news that the invoice came back: which lines and why, what stays."""
    invoice = ctx.invoice
    assert invoice is not None
    _ = ctx.words
    who = invoice.reviewer or _("The invoice administrator")
    rows = []
    for line, reason in invoice.returned:
        terms = ctx.terms(line)
        name = line_name(terms) if terms else line
        rows.append(_("- Line {line}: {reason}", line=name, reason=reason or _("no reason given")))
    returned = [line for line, _reason in invoice.returned]
    kept = [line for line in ctx.line_numbers if line in invoice.approved_lines]
    text = _("{who} returned invoice {number} for revision:", who=who, number=invoice.number)
    text += "\n" + "\n".join(rows)
    if len(kept) == 1:
        text += "\n" + _("Line {line} was approved and stays as it is.", line=kept[0])
    elif kept:
        text += "\n" + _("Lines {lines} were approved and stay as they are.", lines=", ".join(kept))
    return (
        text
        + "\n"
        + _(
            "Please answer {lines} again (or `same` to keep an amount), then `send` to "
            "resubmit it.",
            lines=line_list(returned, _),
        )
    )


def review_note_text(who: str, note: str, _: Words = ENGLISH) -> str:
    """The administrator's note on their review, for the contact: framed in the contact's
    language, the note as it was written."""
    return _("Note from {who}: {note}", who=who, note=note)


def with_review_note(text: str, note: str) -> str:
    """`text`, the contact's message of a review (its news first, then the question), with
    the administrator's note at the end of the news."""
    news, gap, rest = text.partition("\n\n")
    return f"{news}\n{note}{gap}{rest}"


def locked_line_text(ctx: Context, line: str) -> str:
    invoice = ctx.invoice
    assert invoice is not None
    _ = ctx.words
    returned = ", ".join(invoice.returned_lines) or _("none")
    if invoice.reviewer:
        return _(
            "Line {line} was approved by {who} and stays as it is; only the returned lines "
            "({returned}) can change.",
            line=line,
            who=invoice.reviewer,
            returned=returned,
        )
    return _(
        "Line {line} was approved and stays as it is; only the returned lines ({returned}) can "
        "change.",
        line=line,
        returned=returned,
    )


def approved_text(ctx: Context, state: State) -> str:
    """The contact's news that the invoice was approved, and the amount certified."""
    invoice = ctx.invoice
    assert invoice is not None
    _ = ctx.words
    values = {
        "who": invoice.reviewer or _("The invoice administrator"),
        "number": invoice.number,
        "commitment": ctx.commitment.label if ctx.commitment else "",
    }
    if invoice.status == InvoiceStatus.approved_as_noted:
        text = _("{who} approved as noted invoice {number} for {commitment}.", **values)
    else:
        text = _("{who} approved invoice {number} for {commitment}.", **values)
    if invoice.certified is not None:
        text += " " + _(
            "Amount certified (current payment due): {value}.", value=money(invoice.certified)
        )
    for item in invoice.adjustments:
        terms = ctx.terms(item.line)
        text += "\n" + _(
            "- Line {line}: you billed {billed} this period; approved {certified}.",
            line=line_name(terms) if terms else item.line,
            billed=money(item.billed),
            certified=money(item.certified),
        )
        if item.reason:
            text += " " + _("Reason: {reason}", reason=item.reason)
    return text


def locked_text(ctx: Context, state: State) -> str:
    _ = ctx.words
    invoice = ctx.invoice
    if invoice is not None and invoice.status in (
        InvoiceStatus.approved,
        InvoiceStatus.approved_as_noted,
    ):
        return (
            approved_text(ctx, state)
            + "\n"
            + _("It is locked now and can no longer be changed here.")
        )
    number = invoice.number if invoice else state.invoice_number
    status = _(STATUS_WORDS.get(invoice.status, N_("sent"))) if invoice else _("under review")
    sent_at = (invoice.sent_at if invoice else None) or state.sent_at
    admin = ctx.commitment.administrator_name if ctx.commitment else None
    values = {"number": number, "status": status}
    if sent_at:
        text = _(
            "Invoice {number} was already sent on {date} and is {status}, so it is locked and "
            "can no longer be changed here.",
            date=format_date(ctx.local_date(sent_at), ctx.words.language),
            **values,
        )
    else:
        text = _(
            "Invoice {number} was already sent and is {status}, so it is locked and can no "
            "longer be changed here.",
            **values,
        )
    if admin:
        text += " " + _("Please contact {admin} if something needs to change.", admin=admin)
    return text


def past_due_text(ctx: Context) -> str:
    assert ctx.commitment is not None and ctx.period is not None
    _ = ctx.words
    text = _(
        "The {period} billing period for {commitment} closed on {date}, so a new invoice can no "
        "longer be started.",
        period=ctx.period.label_in(ctx.words.language),
        commitment=ctx.commitment.label,
        date=format_date(ctx.period.due_date, ctx.words.language),
    )
    open_now = ctx.candidates  # the same commitment's, another period (`open_elsewhere`)
    if open_now:  # where to bill it
        return (
            text
            + " "
            + _(
                "Billing is open for {invoice}: answer in its own invitation (the email or Slack "
                "message that invited you to bill it).",
                invoice=open_now[0].label,
            )
        )
    admin = ctx.commitment.administrator_name
    return text + " " + _("Please contact {admin}.", admin=admin) if admin else text


def not_a_contact_text(person_name: str, commitment_label: str, _: Words = ENGLISH) -> str:
    return _(
        "Sorry {name}, you are not an invoice contact for {commitment}, so I can't take its "
        "billing from you. Nothing was changed.",
        name=first_name(person_name, _),
        commitment=commitment_label,
    )


def nothing_to_bill_text(person_name: str, _: Words = ENGLISH) -> str:
    return _(
        "Hi {name}, you have no open billing periods right now.", name=first_name(person_name, _)
    )


def choose_text(candidates: Sequence[Candidate], _: Words = ENGLISH) -> str:
    rows = []
    for index, candidate in enumerate(candidates, start=1):
        due = format_date(candidate.due_date, _.language)
        if candidate.invoice_number:
            detail = _("due {date}, {number} is a draft", date=due, number=candidate.invoice_number)
        else:
            detail = _("due {date}", date=due)
        rows.append(f"{index}. {candidate.label} ({detail})")
    return (
        _("You can bill more than one invoice. Which one?")
        + "\n"
        + "\n".join(rows)
        + "\n"
        + _("Reply with its number (1, 2, ...).")
    )


def problems_text(problems: Sequence[str], _: Words = ENGLISH) -> str:
    shown = list(problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(
            _("... and {count} more I couldn't read.", count=len(problems) - MAX_PROBLEMS_SHOWN)
        )
    if len(shown) == 1:
        return shown[0]
    return _("There are some things I couldn't use:") + "\n" + "\n".join(f"- {p}" for p in shown)


def help_text(ctx: Context) -> str:
    _ = ctx.words
    unit = any(terms.is_unit for terms in ctx.lines)
    amount = any(not terms.is_unit for terms in ctx.lines)
    forms = [
        _("`45%`: total progress to date, including earlier periods"),
        _("`+10%`: progress made this period"),
    ]
    if unit:
        forms.append(_("`12`, `12 units` or `qty 12`: quantity this period (`$` makes it dollars)"))
    if amount:
        forms.append(_("`$4,500`: value this period (a bare number on amount lines)"))
        forms.append(_("`stored $2,000`: materials presently stored (amount lines)"))
    else:
        forms.append(_("`$4,500`: value this period"))
    forms += [
        _("`done` or `100%`: the line is complete"),
        _("`skip`, `0` or `none`: nothing this period"),
        _("`retainage 500`: retainage released this period"),
    ]
    return (
        _("Answer a line with any of:")
        + "\n"
        + "\n".join(f"- {form}" for form in forms)
        + "\n"
        + _("Several answers in one message work too, one per line or separated by `;`:")
        + "\n  INV-0042\n  1: 50%\n  2 - 30 units\n  3 skip\n  "
        + _("all 100%   (or `rest skip`)")
        + "\n"
        + _(
            "Commands: `help`, `back`, `edit 3`, `status`, `review`, `draft` (save), `send`, "
            "`cancel` (stop for now; nothing is lost)."
        )
    )


def status_text(state: State, ctx: Context) -> str:
    assert ctx.commitment is not None and ctx.period is not None
    _ = ctx.words
    answered = sum(1 for n in ctx.line_numbers if n in state.entries)
    parts = [
        _(
            "Invoice {number} for {commitment}, {period} (due {date}).",
            number=state.invoice_number or _("(no number yet)"),
            commitment=ctx.commitment.label,
            period=ctx.period.label_in(ctx.words.language),
            date=format_date(ctx.period.due_date, ctx.words.language),
        ),
        _("Lines answered: {answered} of {count}.", answered=answered, count=len(ctx.lines)),
    ]
    missing = missing_text(state, ctx)
    if missing:
        parts.append(_("Still needed: {missing}.", missing=missing))
    if state.pending:
        parts.append(
            _(
                "Waiting for your yes/no on line {lines}.",
                lines=", ".join(p.line for p in state.pending),
            )
        )
    files = all_attachments(state, ctx)
    parts.append(_("Attachments: {files}.", files=attachment_list(files) if files else _("none")))
    return " ".join(parts)
