"""The administrator's review on Slack (DESIGN §6): the buttons of the review DM and its modals.

    Approve              ack -> ReviewService.review -> the answer in the DM's thread, and
                         the DM rewritten without buttons, with the outcome (chat.update)
    Approve as noted     ack -> views.open: this period's amount per line, and a note
    Return for revision  ack -> views.open: a reject box and a reason per line

A decision may also be typed in the review DM's thread (`approved`, `reject 2: need photos`):
it is read as an email reply is (`read_review`, with the invoice's lines), and an unclear one
gets the answer forms back. The thread is found from its parent message (the DM, whose
buttons, or once decided its outcome's block id, carry the review), so an administrator who is
also a contact of another invoice is routed by the thread they write in.

Every click is acknowledged first; a modal page's validation (nothing ticked, not an amount,
over-billing, a modal opened on an older sending of the invoice) is the one answer computed
before its ack (`response_action: errors`). The decision itself (Approve, or a modal page that
closes) is queued for the Slack inbox with the ack, like the contact's clicks: it runs from the
inbox, in order with the administrator's other turns, through the process's one
`ReviewService`, and its id is recorded in the review's own transaction, so a row run twice (a
worker that died before marking it done) does nothing the second time instead of telling the
administrator it was already reviewed. A refusal — not an administrator, no longer under review
(answered by email first, or a race), an older sending of the invoice (checked again for every
decision when it runs: the invoice may have been returned and sent again between a modal's ack
and its turn), an approval while an earlier invoice of the commitment is not certified (Approve
as noted then opens no modal) — is told in the DM's thread (or in the clicker's own DM when the
DM was not theirs) and changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from conversations.review_answers import ANSWER_FORMS, UNCLEAR, read_review
from conversations.review_service import ReviewService
from conversations.types import Reply, ReplyKind, StepName
from conversations.vocabulary import is_pleasantry
from models.db import session_scope
from models.i18n import N_, Words, language_of, words
from models.review import (
    OLDER_SENDING,
    Decision,
    Quantity,
    ReviewKind,
    ReviewRefused,
    check_approval_order,
    check_reviewable,
    times_sent,
)
from models.review_lines import ReviewLine, adjustment_problems, review_lines
from models.tables import Commitment, Invoice, Person, SovLine

from .channel import SlackChannel
from .errors import SlackCallError, slack_call
from .notify import APPROVE, NOTED, RETURN, decided_message
from .outbox import Inbound, SlackOutbox
from .review_modal import (
    NOTED_CALLBACK,
    RETURN_CALLBACK,
    Page,
    ReviewRef,
    adjustments,
    carried_forward,
    first_input,
    is_last_amounts_page,
    noted_view,
    pick_errors,
    picked,
    read_amounts,
    reasons_view,
    return_errors,
    return_view,
    returned_lines,
    too_much_to_carry,
)
from .text import inbound as inbound_text

log = logging.getLogger(__name__)
DECIDE = "billbot.review"  # inbox rows: a review decision (Approve, or a modal submitted)
NO_CHANGE = N_("No amount differs from the contact's: change at least one line, or use Approve.")
OR_THE_BUTTONS = N_("Or use the buttons of the message above.")
REVIEWED = "reviewed:"  # the block id prefix of a decided DM's outcome, followed by its review


class ReviewActions:
    def __init__(self, channel: SlackChannel, reviews: ReviewService) -> None:
        self.ch = channel
        self.reviews = reviews
        channel.handles(DECIDE, self.from_inbox)
        channel.turns.review_thread = self.from_thread

    def register(self, app: AsyncApp) -> None:
        app.action(APPROVE)(self.on_approve)
        app.action(NOTED)(self.on_open)
        app.action(RETURN)(self.on_open)
        app.view(RETURN_CALLBACK)(self.on_return)
        app.view(NOTED_CALLBACK)(self.on_noted)

    # -- the buttons --------------------------------------------------------------------------

    async def on_approve(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        ref = ReviewRef.from_action(str(action.get("value") or ""), body)
        if ref is not None:
            click = action.get("action_ts") or body.get("trigger_id") or action.get("block_id")
            user = str(body["user"]["id"])
            self._queue(f"review:{user}:{click}:{action.get('action_id')}", user, ref, APPROVED)

    async def on_open(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        ref = ReviewRef.from_action(str(action.get("value") or ""), body)
        if ref is not None:
            trigger = str(body.get("trigger_id") or "")
            self.ch.spawn(self._open(body["user"]["id"], trigger, ref, action["action_id"]))

    async def _open(self, user: str, trigger_id: str, ref: ReviewRef, which: str) -> None:
        person = await self._reviewer(user)
        if person is None:
            return
        form = await asyncio.to_thread(self._form, person, ref, which)
        if form is None:  # refused: the DM loses its buttons if they no longer apply
            await self._rewrite(ref)
            return
        heading, lines = form
        if which == RETURN:
            view = return_view(ref, heading, lines, words(person.language))
        else:
            page = Page(ref, "amounts", heading, language=language_of(person.language))
            view = noted_view(page, lines)
        await self.ch.open_modal(trigger_id, view)

    # -- the modals ---------------------------------------------------------------------------

    async def on_return(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        page = Page.load(view.get("private_metadata") or "")
        if await self._older_modal(ack, page, view):
            return
        if page.kind == "pick":
            chosen = picked(view)
            errors = pick_errors(chosen, page.words)
            if errors:
                await ack(response_action="errors", errors=errors)
            else:
                await ack(response_action="update", view=reasons_view(page, chosen))
            return
        reasons = returned_lines(page, view)
        if not reasons:
            await ack(response_action="errors", errors=return_errors(view, page.words))
            return
        await ack()
        decision = Decision(ReviewKind.reject, reasons=reasons)
        self._queue(_submission(body, view, page), str(body["user"]["id"]), page.ref, decision)

    async def on_noted(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        page = Page.load(view.get("private_metadata") or "")
        if await self._older_modal(ack, page, view):
            return
        answer, decision = await asyncio.to_thread(self._amounts_page, page, view)
        await ack(**answer)
        if decision is not None:
            user = str(body["user"]["id"])
            self._queue(_submission(body, view, page), user, page.ref, decision)

    def _amounts_page(
        self, page: Page, view: dict[str, Any]
    ) -> tuple[dict[str, Any], Decision | None]:
        """The ack of an amounts page (errors, the next page, or closing) and, on the last
        page, the decision; over-billing is checked by the rule `review_invoice` applies."""
        _ = page.words
        with Session(self.ch.engine) as session:
            invoice = session.get(Invoice, page.ref.invoice_id)
            if invoice is None:
                return {}, None
            lines = review_lines(session, invoice)
            amounts = read_amounts(view, lines, _)
            problems = adjustment_problems(session, invoice, amounts.changed, _)
        errors = amounts.errors | {f"amt:{line}": text for line, text in problems.items()}
        first = first_input(view, "note")
        if not errors and not is_last_amounts_page(page, lines):
            following = carried_forward(page, amounts)
            if too_much_to_carry(following):
                errors[first] = _("Too many changed lines to carry to the next page.")
            else:
                return {"response_action": "update", "view": noted_view(following, lines)}, None
        changed = adjustments(page, amounts)
        if not errors and not changed:
            errors[first] = _(NO_CHANGE)
        if errors:
            return {"response_action": "errors", "errors": errors}, None
        decision = Decision(ReviewKind.approve_as_noted, note=amounts.note, adjustments=changed)
        return {}, decision

    async def _older_modal(self, ack: AsyncAck, page: Page, view: dict[str, Any]) -> bool:
        """True when the modal was opened on an older sending of the invoice (it was returned
        and sent again since): its figures and lines are not the ones under review, so the
        page is answered with why, nothing is queued, and the DM loses its buttons."""
        refusal = await asyncio.to_thread(self._older_page, page)
        if refusal is None:
            return False
        await ack(response_action="errors", errors={first_input(view, "note"): refusal})
        self.ch.spawn(self._rewrite(page.ref))
        return True

    def _older_page(self, page: Page) -> str | None:
        with Session(self.ch.engine) as session:
            invoice = session.get(Invoice, page.ref.invoice_id)
            if invoice is None:
                return None
            return _older_sending(session, invoice, page.ref, page.words)

    # -- a decision typed in the DM's thread ----------------------------------------------------

    async def from_thread(
        self, person: Person, event: dict[str, Any], ids: Sequence[Inbound]
    ) -> bool:
        """A DM message in a thread no invite started: when the thread is a review DM's, the
        decision typed there, reviewed as the buttons' are (an unclear one gets the answer
        forms); False when it is no review DM's thread (the message is then a conversation
        turn)."""
        channel, thread = str(event.get("channel") or ""), str(event.get("thread_ts") or "")
        if not channel or not thread or not await asyncio.to_thread(self._administers, person):
            return False
        ref = await self._review_of(channel, thread)
        if ref is None:
            return False
        text, inbound = inbound_text(event.get("text") or ""), tuple(ids)
        read = await self._database(functools.partial(self._typed, person, ref, text))
        if isinstance(read, Decision):
            current = functools.partial(self._still_current, person, ref, inbound)
            if await self._database(current):
                await self.decide(person, ref, read, inbound)
            else:
                await self._rewrite(ref)
        elif read:  # unclear, or not reviewable now: why, in the DM's thread
            await self._database(functools.partial(self._tell, person, ref, read, inbound))
        else:  # `thanks` under the DM
            await self.ch.tell_nothing(list(inbound))
        return True

    def _administers(self, person: Person) -> bool:
        """Whether `person` is the invoice administrator of a commitment (who gets review
        DMs): only their messages in other threads are looked up on Slack."""
        with Session(self.ch.engine) as session:
            statement = select(Commitment.id).where(col(Commitment.administrator_id) == person.id)
            return session.exec(statement.limit(1)).first() is not None

    async def _review_of(self, channel: str, thread_ts: str) -> ReviewRef | None:
        """The review whose DM started the thread `thread_ts`, if it is one (Slack is
        asked for the thread's first message)."""
        try:
            with slack_call("conversations.replies"):
                found = await self.ch.client.conversations_replies(
                    channel=channel, ts=thread_ts, limit=1
                )
        except SlackCallError as exc:
            log.warning("slack: thread %s not read: %s", thread_ts, exc)
            return None
        for message in found.get("messages") or []:
            if message.get("ts") == thread_ts and message.get("bot_id"):
                return review_of_message(message, channel)
        return None

    def _typed(self, person: Person, ref: ReviewRef, text: str) -> Decision | str:
        """The decision `text` says, read with the invoice's lines (their numbers and
        descriptions); else what to answer: why it cannot be reviewed now, the answer forms
        (an unclear decision), or nothing (mere thanks)."""
        _ = words(person.language)
        with Session(self.ch.engine) as session:
            invoice = session.get(Invoice, ref.invoice_id)
            commitment = session.get(Commitment, invoice.commitment_id) if invoice else None
            if invoice is None or commitment is None:
                return ""
            statement = select(SovLine.number, SovLine.description).where(
                col(SovLine.commitment_id) == invoice.commitment_id
            )
            lines = {number: description for number, description in session.exec(statement)}
            decision = read_review(text, lines=lines)
            if decision is not None or is_pleasantry(text):
                return decision or ""
            refusal = self._refusal(session, invoice, commitment, person, ref)
        return refusal or f"{_(UNCLEAR)}\n\n{_(ANSWER_FORMS)}\n\n{_(OR_THE_BUTTONS)}"

    # -- deciding ------------------------------------------------------------------------------

    def _queue(self, decision_id: str, user: str, ref: ReviewRef, decision: Decision) -> None:
        """Queue the decision for the inbox (no database work before the ack)."""
        event = {"type": DECIDE, "user": user, "ref": _ref_data(ref), **_decision_data(decision)}
        self.ch.inbox.add(decision_id, user, event)

    async def from_inbox(self, decision_id: str, event: dict[str, Any]) -> None:
        """A decision stored in the inbox (a no-op if it ran already)."""
        user = str(event["user"])
        gate = await self.ch.turns.gate(decision_id, user)
        if gate.seen:
            return
        person = gate.person or await self._reviewer(user)
        if person is None:
            return
        ref, decision = _load_ref(event["ref"]), _load_decision(event)
        ids = (Inbound(decision_id, user),)
        current = functools.partial(self._still_current, person, ref, ids)
        if not await self._database(current):
            await self._rewrite(ref)
            return
        await self.decide(person, ref, decision, ids)

    async def decide(
        self, person: Person, ref: ReviewRef, decision: Decision, ids: tuple[Inbound, ...] = ()
    ) -> None:
        """Review through the process's `ReviewService`, recording `ids` with it; the answer
        goes to the DM's thread, and the DM loses its buttons once the invoice is no longer
        waiting for this sending."""
        assert person.id is not None
        review = functools.partial(
            self.reviews.review,
            invoice_id=ref.invoice_id,
            reviewer_id=person.id,
            decision=decision,
            channel="slack",
            reply=self._answer_to(person, ref, ids),
        )
        try:
            result = await self._database(review)
        except IntegrityError:  # the same decision ran meanwhile (its id is recorded)
            if ids and await self.ch.turns.seen([i.external_id for i in ids]):
                log.info("slack: review %s already processed", ids[0].external_id)
                return
            raise
        self.ch.poke()
        if result.outcome is not None or (
            result.refused is not None and result.refused.code == "not-under-review"
        ):
            await self._rewrite(ref)

    async def _rewrite(self, ref: ReviewRef) -> None:
        """The DM without its buttons, with the outcome, once they no longer apply."""
        if not ref.channel or not ref.ts:
            return
        message = await asyncio.to_thread(self._decided, ref)
        if message is None:
            return
        blocks = [*message.blocks]
        if blocks:  # the outcome, last, keeps which review the DM is (a decision typed later)
            blocks[-1] = {**blocks[-1], "block_id": REVIEWED + ref.value()}
        try:
            with slack_call("chat.update"):
                await self.ch.client.chat_update(
                    channel=ref.channel, ts=ref.ts, text=message.text, blocks=blocks
                )
        except SlackCallError as exc:  # the answer in the thread says it all the same
            log.warning("slack: review DM %s not updated: %s", ref.ts, exc)

    def _decided(self, ref: ReviewRef) -> Any:
        with Session(self.ch.engine) as session:
            return decided_message(session, ref)

    # -- who, and whether they may --------------------------------------------------------------

    async def _reviewer(self, user: str) -> Person | None:
        """The clicker as a person (asking Slack for their email if need be); a stranger is
        told they are not known, and None is returned."""
        person = await self.ch.known(user)
        if person is None:
            person = await self.ch.person(user)  # a refusal goes to their own DM
        return person if person is not None and person.id is not None else None

    async def _database(self, work: Any) -> Any:
        """`work()` on the channel's database threads (on SQLite: the inbox's writer's)."""
        return await asyncio.get_running_loop().run_in_executor(self.ch.database, work)

    def _answer_to(
        self, person: Person, ref: ReviewRef, ids: tuple[Inbound, ...] = ()
    ) -> SlackOutbox:
        """The DM's thread when the DM was the clicker's; else their own DM. The answer's
        transaction records `ids`."""
        if person.id == ref.admin_id:
            return SlackOutbox(channel=ref.channel, thread_ts=ref.ts, inbound=ids)
        return SlackOutbox(inbound=ids)

    def _form(
        self, person: Person, ref: ReviewRef, which: str
    ) -> tuple[str, list[ReviewLine]] | None:
        """The modal's heading and lines; None when the clicker was told why not (for Approve
        as noted, also when the invoice may not be approved now)."""
        with Session(self.ch.engine) as session:
            invoice = session.get(Invoice, ref.invoice_id)
            commitment = session.get(Commitment, invoice.commitment_id) if invoice else None
            if invoice is None or commitment is None:
                return None
            refusal = self._refusal(session, invoice, commitment, person, ref)
            if refusal is None and which == NOTED:
                try:
                    check_approval_order(
                        session,
                        invoice=invoice,
                        commitment=commitment,
                        noted=True,
                        _=words(person.language),
                    )
                except ReviewRefused as refused:
                    refusal = refused.message
            if refusal is None:
                heading = f"{invoice.number} · {commitment.number} {commitment.title}"
                return heading, review_lines(session, invoice)
        self._tell(person, ref, refusal)
        return None

    def _still_current(self, person: Person, ref: ReviewRef, ids: tuple[Inbound, ...] = ()) -> bool:
        """False (and the clicker told, recording `ids`) when the DM is about an older
        sending of an invoice that was sent again since; the rest is `ReviewService`'s."""
        with Session(self.ch.engine) as session:
            invoice = session.get(Invoice, ref.invoice_id)
            if invoice is None:
                return False
            refusal = _older_sending(session, invoice, ref, words(person.language))
        if refusal is not None:
            self._tell(person, ref, refusal, ids)
            return False
        return True

    def _refusal(
        self,
        session: Session,
        invoice: Invoice,
        commitment: Commitment,
        person: Person,
        ref: ReviewRef,
    ) -> str | None:
        older = _older_sending(session, invoice, ref, words(person.language))
        if older is not None:
            return older
        try:
            check_reviewable(session, invoice=invoice, reviewer=person, commitment=commitment)
        except ReviewRefused as refused:
            return refused.message
        return None

    def _tell(
        self, person: Person, ref: ReviewRef, text: str, ids: tuple[Inbound, ...] = ()
    ) -> None:
        with session_scope(self.ch.engine) as session:
            reply = Reply(
                text, ReplyKind.error, StepName.done, language=language_of(person.language)
            )
            self._answer_to(person, ref, ids).queue(session, None, person, (reply,))
        self.ch.poke()


APPROVED = Decision(ReviewKind.approve)


def _submission(body: dict[str, Any], view: dict[str, Any], page: Page) -> str:
    """The id of a modal's submission, the same in a redelivery."""
    submitted = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}:{page.number}"
    return f"review:{body['user']['id']}:{submitted}"


def _ref_data(ref: ReviewRef) -> dict[str, Any]:
    return {"i": ref.invoice_id, "s": ref.stamp, "p": ref.admin_id, "ch": ref.channel, "ts": ref.ts}


def _load_ref(data: dict[str, Any]) -> ReviewRef:
    return ReviewRef(int(data["i"]), int(data["s"]), data.get("p"), data.get("ch"), data.get("ts"))


def _decision_data(decision: Decision) -> dict[str, Any]:
    """A decision as JSON (amounts as strings: money stays Decimal)."""
    return {
        "kind": decision.kind.value,
        "note": decision.note,
        "adjustments": {line: str(amount) for line, amount in decision.adjustments.items()},
        "reasons": dict(decision.reasons),
        "quantities": {
            line: [str(given.count), given.unit] for line, given in decision.quantities.items()
        },
        "bare": sorted(decision.bare),
    }


def _load_decision(data: dict[str, Any]) -> Decision:
    return Decision(
        ReviewKind(data["kind"]),
        note=str(data.get("note") or ""),
        adjustments={line: Decimal(v) for line, v in (data.get("adjustments") or {}).items()},
        reasons={line: str(v) for line, v in (data.get("reasons") or {}).items()},
        quantities={
            line: Quantity(Decimal(count), str(unit))
            for line, (count, unit) in (data.get("quantities") or {}).items()
        },
        bare=frozenset(str(line) for line in data.get("bare") or ()),
    )


def review_of_message(message: dict[str, Any], channel: str) -> ReviewRef | None:
    """The review a message of ours is the DM of: from its buttons, or once decided from
    its outcome's block id; None for any other message."""
    where = {"container": {"channel_id": channel, "message_ts": message.get("ts")}}
    for block in message.get("blocks") or []:
        block_id = str(block.get("block_id") or "")
        if block_id.startswith(REVIEWED):
            return ReviewRef.from_action(block_id.removeprefix(REVIEWED), where)
        for element in block.get("elements") or [] if block.get("type") == "actions" else []:
            if element.get("action_id") in (APPROVE, NOTED, RETURN):
                return ReviewRef.from_action(str(element.get("value") or ""), where)
    return None


def _older_sending(session: Session, invoice: Invoice, ref: ReviewRef, _: Words) -> str | None:
    if invoice.status != "under_review" or times_sent(session, invoice) == ref.stamp:
        return None
    return _(OLDER_SENDING, number=invoice.number)


__all__ = ["ReviewActions"]
