"""The engine's wording: prompts, the review, help, status and refusals (pure functions)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from conversations.context import Candidate, Context, format_date
from conversations.state import State
from models.attachments import AttachmentRef, human_size
from models.billing import LineEntry, LineFigures, LineHistory, LineTerms, line_figures
from models.money import ZERO, format_dollars, format_quantity, format_unit_price
from models.tables import InvoiceStatus

STATUS_WORDS = {
    InvoiceStatus.draft: "a draft",
    InvoiceStatus.under_review: "under review",
    InvoiceStatus.revise_and_resubmit: "returned for revision",
    InvoiceStatus.approved: "approved",
    InvoiceStatus.approved_as_noted: "approved as noted",
    InvoiceStatus.pending_owner_approval: "pending owner approval",
}
MAX_PROBLEMS_SHOWN = 8


def money(value: object) -> str:
    return format_dollars(value)  # type: ignore[arg-type]


def line_name(terms: LineTerms) -> str:
    return f"{terms.number} ({terms.description})" if terms.description else terms.number


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else "there"


def describe_entry(
    terms: LineTerms, history: LineHistory, entry: LineEntry, figures: LineFigures | None = None
) -> str:
    """`line 1 (Conduit): 300 LF this period ($3,750.00), 50.00% to date`."""
    figures = figures or line_figures(terms, history, entry)
    parts: list[str] = []
    if figures.new_value == 0 and figures.materials_stored == 0:
        parts.append("nothing this period")
    elif terms.is_unit:
        uom = f" {terms.uom}" if terms.uom else ""
        parts.append(
            f"{format_quantity(figures.new_quantity or ZERO)}{uom} this period "
            f"({money(figures.new_value)})"
        )
    else:
        parts.append(f"{money(figures.new_value)} this period")
    if figures.materials_stored:
        parts.append(f"{money(figures.materials_stored)} materials stored")
    parts.append(f"{figures.percent_complete}% to date")
    if figures.retainage_released:
        parts.append(f"retainage released {money(figures.retainage_released)}")
    return f"line {line_name(terms)}: " + ", ".join(parts)


def including(change_orders: Sequence[str]) -> str:
    """` incl. CO-001, CO-002` after a line's value, or nothing without change orders."""
    return f" incl. {', '.join(change_orders)}" if change_orders else ""


def change_orders_note(lines: Sequence[LineFigures]) -> str:
    """Which lines change orders changed, with their scheduled values (for the review)."""
    changed = [
        f"line {line.number}{f' ({line.description})' if line.description else ''} is "
        f"{money(line.scheduled_value)}{including(line.change_orders)}"
        for line in lines
        if line.changes
    ]
    return f"Change orders: {'; '.join(changed)}." if changed else ""


def greeting(ctx: Context) -> str:
    assert ctx.commitment is not None and ctx.period is not None
    c, p = ctx.commitment, ctx.period
    return (
        f"Hi {first_name(ctx.person_name)}! Let's bill {c.label} on {c.project_name} for "
        f"{p.label} (billing date {format_date(p.billing_date)}, due {format_date(p.due_date)})."
    )


def invoice_number_prompt(state: State, ctx: Context) -> str:
    if state.invoice_number:
        return (
            f"The invoice number is {state.invoice_number}. Reply a new number to change it, "
            "or `ok` to keep it."
        )
    suggestion = ctx.suggested_number
    if suggestion and ctx.previous_number:
        return (
            f"What is your invoice number? Your last one was {ctx.previous_number}, so I suggest "
            f"{suggestion}: reply `ok` to use it, or type your own."
        )
    return "What is your invoice number? (for example INV-0001)"


def line_prompt(state: State, ctx: Context, line: str) -> str:
    terms = ctx.terms(line)
    assert terms is not None
    history = ctx.history(line)
    position = ctx.line_numbers.index(line) + 1
    head = f"Line {terms.number}"
    head += f" ({terms.description})" if terms.description else ""
    head += f", {position} of {len(ctx.lines)}: "
    pct = (history.previous_value / terms.value * 100) if terms.value else ZERO
    if terms.is_unit:
        uom = f" {terms.uom}" if terms.uom else ""
        head += (
            f"{format_quantity(terms.quantity or ZERO)}{uom} × "
            f"{format_unit_price(terms.unit_price or ZERO)}"
            f" = {money(terms.value)}{including(terms.change_orders)}. Billed before: "
            f"{format_quantity(history.previous_quantity)}{uom} "
            f"({money(history.previous_value)}, {pct:.2f}%)."
        )
    else:
        scheduled = f"{money(terms.value)} scheduled"
        if terms.changes:
            scheduled = f"scheduled {money(terms.value)}{including(terms.change_orders)}"
        head += f"{scheduled}. Billed before: {money(history.previous_value)} ({pct:.2f}%)."
    if history.retainage_balance > 0:
        head += f" Retainage held: {money(history.retainage_balance)}."
    lines = [head]
    current = state.entries.get(line)
    if current is not None:
        lines.append(
            "Currently: " + describe_entry(terms, history, current).split(": ", 1)[1] + "."
        )
    if terms.value and history.previous_value >= terms.value:
        lines.append("This line is fully billed: reply `skip`, unless you are correcting it.")
    lines.append(f"How much this period? For example {examples(terms)}.")
    if not state.entries and position == 1 and len(ctx.lines) > 1:
        lines.append(
            "Tip: you can answer several lines in one message, one per line: "
            f"`{ctx.lines[0].number}: 50%`, `{ctx.lines[-1].number}: skip`, or `rest skip`."
        )
    return "\n".join(lines)


def answer_template(state: State, ctx: Context) -> str:
    """A ready-to-fill answer (e.g. for an invite email) that parses back as it is.

    Lines are left blank: a blank `2 (Panels, EA):` changes nothing, so a template
    sent back half-filled only answers what was filled in.
    """
    number = state.invoice_number or ctx.suggested_number or ""
    rows = [f"Invoice number: {number}"]
    for terms in ctx.lines:
        note = re.sub(r"[()\[\];]", " ", terms.description)[:60].strip()
        if terms.is_unit and terms.uom:
            note = f"{note}, {terms.uom}" if note else terms.uom
        rows.append(f"{terms.number} ({note}):" if note else f"{terms.number}:")
    return "\n".join(rows)


def examples(terms: LineTerms) -> str:
    if terms.is_unit:
        uom = terms.uom or "units"
        return f"`50%` (total to date), `+10%` (this period), `30 {uom}`, `$4,500`, `done`, `skip`"
    return "`50%` (total to date), `+10%` (this period), `$4,500`, `stored $2,000`, `done`, `skip`"


def short_example(terms: LineTerms) -> str:
    if terms.is_unit:
        return f"`{terms.number}: 30 {terms.uom or 'units'}` or `{terms.number}: 50%`"
    return f"`{terms.number}: $4,500` or `{terms.number}: 50%`"


def attach_hint(channel: str) -> str:
    return {
        "email": "attach the files to your reply",
        "slack": "share the files in this conversation",
        "console": "type `attach PATH`",
    }.get(channel, "send the files here")


def attachments_prompt(state: State, ctx: Context, channel: str) -> str:
    text = (
        "Any backup to attach (lien waivers, photos, timesheets)? "
        f"To add files, {attach_hint(channel)}; otherwise reply `none`."
    )
    files = all_attachments(state, ctx)
    if files:
        text = f"Attached so far: {attachment_list(files)}.\n" + text
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
    return (
        f"{'invoice' if lower else 'Invoice'} {state.invoice_number} for {ctx.commitment.label} on "
        f"{ctx.commitment.project_name}, {ctx.period.label}"
    )


def review_footer(state: State, ctx: Context, channel: str) -> str:
    files = all_attachments(state, ctx)
    attached = f"Attachments: {attachment_list(files)}." if files else "Attachments: none."
    return (
        f"{attached} To attach more, {attach_hint(channel)} before you send.\n"
        "Reply `send` to send it for review, `draft` to save it as a draft, "
        "or `edit 2` to change a line."
    )


def sent_text(state: State, ctx: Context) -> str:
    admin = ctx.commitment.administrator_name if ctx.commitment else None
    who = f" {admin} will review it." if admin else ""
    when = format_date(ctx.local_date(state.sent_at or ctx.now))
    return f"Sent {state.invoice_number} for review on {when}.{who} It is now locked."


def missing_text(state: State, ctx: Context) -> str:
    missing = [n for n in ctx.line_numbers if n not in state.entries or n in state.to_revise]
    if not state.invoice_number:
        return "the invoice number" + (f" and lines {', '.join(missing)}" if missing else "")
    if missing:
        return ("line " if len(missing) == 1 else "lines ") + ", ".join(missing)
    return ""


def returned_text(ctx: Context) -> str:
    """The contact's news that the invoice came back: which lines and why, what stays."""
    invoice = ctx.invoice
    assert invoice is not None
    who = invoice.reviewer or "The invoice administrator"
    rows = []
    for line, reason in invoice.returned:
        terms = ctx.terms(line)
        name = line_name(terms) if terms else line
        rows.append(f"- Line {name}: {reason or 'no reason given'}")
    returned = [line for line, _ in invoice.returned]
    kept = [line for line in ctx.line_numbers if line in invoice.approved_lines]
    text = f"{who} returned invoice {invoice.number} for revision:\n" + "\n".join(rows)
    if len(kept) == 1:
        text += f"\nLine {kept[0]} was approved and stays as it is."
    elif kept:
        text += f"\nLines {', '.join(kept)} were approved and stay as they are."
    which = "line " + returned[0] if len(returned) == 1 else "lines " + ", ".join(returned)
    return (
        f"{text}\nPlease answer {which} again (or `same` to keep an amount), then `send` "
        "to resubmit it."
    )


def locked_line_text(ctx: Context, line: str) -> str:
    invoice = ctx.invoice
    assert invoice is not None
    who = f" by {invoice.reviewer}" if invoice.reviewer else ""
    returned = ", ".join(invoice.returned_lines) or "none"
    return (
        f"Line {line} was approved{who} and stays as it is; only the returned "
        f"{'line' if len(invoice.returned_lines) == 1 else 'lines'} ({returned}) can change."
    )


def approved_text(ctx: Context, state: State) -> str:
    """The contact's news that the invoice was approved, and the amount certified."""
    invoice = ctx.invoice
    assert invoice is not None
    who = invoice.reviewer or "The invoice administrator"
    label = f" for {ctx.commitment.label}" if ctx.commitment else ""
    noted = invoice.status == InvoiceStatus.approved_as_noted
    text = f"{who} approved{' as noted' if noted else ''} invoice {invoice.number}{label}."
    if invoice.certified is not None:
        text += f" Amount certified (current payment due): {money(invoice.certified)}."
    for item in invoice.adjustments:
        terms = ctx.terms(item.line)
        name = line_name(terms) if terms else item.line
        why = f" Reason: {item.reason}" if item.reason else ""
        text += (
            f"\n- Line {name}: you billed {money(item.billed)} this period; approved "
            f"{money(item.certified)}.{why}"
        )
    return text


def locked_text(ctx: Context, state: State) -> str:
    invoice = ctx.invoice
    if invoice is not None and invoice.status in (
        InvoiceStatus.approved,
        InvoiceStatus.approved_as_noted,
    ):
        return f"{approved_text(ctx, state)}\nIt is locked now and can no longer be changed here."
    number = invoice.number if invoice else state.invoice_number
    status = STATUS_WORDS.get(invoice.status, "sent") if invoice else "under review"
    sent_at = (invoice.sent_at if invoice else None) or state.sent_at
    when = f" on {format_date(ctx.local_date(sent_at))}" if sent_at else ""
    admin = ctx.commitment.administrator_name if ctx.commitment else None
    contact = f" Please contact {admin} if something needs to change." if admin else ""
    return (
        f"Invoice {number} was already sent{when} and is {status}, so it is locked and "
        f"can no longer be changed here.{contact}"
    )


def past_due_text(ctx: Context) -> str:
    assert ctx.commitment is not None and ctx.period is not None
    admin = ctx.commitment.administrator_name
    contact = f" Please contact {admin}." if admin else ""
    return (
        f"The {ctx.period.label} billing period for {ctx.commitment.label} closed on "
        f"{format_date(ctx.period.due_date)}, so a new invoice can no longer be started.{contact}"
    )


def not_a_contact_text(person_name: str, commitment_label: str) -> str:
    return (
        f"Sorry {first_name(person_name)}, you are not an invoice contact for "
        f"{commitment_label}, so I can't take its billing from you. Nothing was changed."
    )


def nothing_to_bill_text(person_name: str) -> str:
    return f"Hi {first_name(person_name)}, you have no open billing periods right now."


def choose_text(candidates: Sequence[Candidate]) -> str:
    rows = []
    for index, candidate in enumerate(candidates, start=1):
        extra = f", {candidate.invoice_number} is a draft" if candidate.invoice_number else ""
        rows.append(f"{index}. {candidate.label} (due {format_date(candidate.due_date)}{extra})")
    return (
        "You can bill more than one invoice. Which one?\n"
        + "\n".join(rows)
        + "\nReply with its number (1, 2, ...)."
    )


def problems_text(problems: Sequence[str]) -> str:
    shown = list(problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more I couldn't read.")
    if len(shown) == 1:
        return shown[0]
    return "There are some things I couldn't use:\n" + "\n".join(f"- {p}" for p in shown)


def help_text(ctx: Context) -> str:
    unit = any(terms.is_unit for terms in ctx.lines)
    amount = any(not terms.is_unit for terms in ctx.lines)
    forms = [
        "`45%`: total progress to date, including earlier periods",
        "`+10%`: progress made this period",
    ]
    if unit:
        forms.append("`12`, `12 units` or `qty 12`: quantity this period (`$` makes it dollars)")
    forms.append(
        "`$4,500`: value this period" + (" (a bare number on amount lines)" if amount else "")
    )
    if amount:
        forms.append("`stored $2,000`: materials presently stored (amount lines)")
    forms += [
        "`done` or `100%`: the line is complete",
        "`skip`, `0` or `none`: nothing this period",
        "`retainage 500`: retainage released this period",
    ]
    return (
        "Answer a line with any of:\n"
        + "\n".join(f"- {form}" for form in forms)
        + "\nSeveral answers in one message work too, one per line or separated by `;`:\n"
        "  INV-0042\n  1: 50%\n  2 - 30 units\n  3 skip\n  all 100%   (or `rest skip`)\n"
        "Commands: `help`, `back`, `edit 3`, `status`, `review`, `draft` (save), "
        "`send`, `cancel` (stop for now; nothing is lost)."
    )


def status_text(state: State, ctx: Context) -> str:
    assert ctx.commitment is not None and ctx.period is not None
    number = state.invoice_number or "(no number yet)"
    answered = sum(1 for n in ctx.line_numbers if n in state.entries)
    parts = [
        f"Invoice {number} for {ctx.commitment.label}, {ctx.period.label} "
        f"(due {format_date(ctx.period.due_date)}).",
        f"Lines answered: {answered} of {len(ctx.lines)}.",
    ]
    missing = missing_text(state, ctx)
    if missing:
        parts.append(f"Still needed: {missing}.")
    if state.pending:
        parts.append(
            "Waiting for your yes/no on line " + ", ".join(p.line for p in state.pending) + "."
        )
    files = all_attachments(state, ctx)
    parts.append(f"Attachments: {attachment_list(files) if files else 'none'}.")
    return " ".join(parts)
