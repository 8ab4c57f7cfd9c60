"""One inbound email, end to end, exactly once: record -> classify -> route -> engine -> outbox.

Runs synchronously (the worker calls it in a thread). Every outcome is recorded in
`InboundMessage` in the same transaction as its effects, so a message fetched again
(for example after a crash before it was flagged `\\Seen`) is skipped.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from conversations.language import written_in
from conversations.parse import parse
from conversations.render import STATUS_WORDS
from conversations.review_answers import ANSWER_FORMS, UNCLEAR, read_review
from conversations.review_service import ReviewService
from conversations.service import ConversationService, MemoryOutbox, Outbox, SentHook
from conversations.state import State
from conversations.types import Reply, ReplyKind, Turn
from mail.autoreply import Bounce, classify, out_of_office_text, read_bounce
from mail.compose import (
    AUTO_REPLIED,
    Envelope,
    mint_message_id,
    queue_email,
    thread_references,
)
from mail.config import MailEnvironment, secret_bytes
from mail.extract import html_to_text
from mail.inbound import InboundMail, parse_mail
from mail.notify import files_list, queue_files_notice, queue_sent_notification
from mail.outbox import EmailOutbox, InboundRecord, Thread, reply_subject
from mail.review import ReviewerOutbox, contact_email_outbox
from mail.routing import (
    NOT_KEPT,
    Refusal,
    ReviewRoute,
    Route,
    ours,
    route_mail,
    sender_person,
    speaker,
)
from mail.row_answers import answers_in_history, answers_under_rows
from mail.smime import SMIME_TYPES
from mail.template import (
    QUOTED_READ,
    TEMPLATE_READ,
    filled_in,
    quoted_left_text,
    sent_emails,
    sent_template,
    template_left_text,
    top_beside_template,
    with_top,
)
from mail.tokens import ReplyToken, TokenError, find_tokens, read_any_token
from models.attachments import (
    AttachmentError,
    AttachmentLimits,
    AttachmentRef,
    store_attachment,
)
from models.conversation import Conversation
from models.db import session_scope
from models.i18n import N_, Words, words
from models.invitation import Invitation, find_invitation, record_bounce
from models.ledger import sov_lines
from models.outbox import (
    InboundMessage,
    InboundOutcome,
    OutboxKind,
    RefusalNotice,
    inbound_seen,
)
from models.review import OLDER_SENDING, times_sent
from models.tables import (
    Attachment,
    Commitment,
    Invoice,
    InvoiceStatus,
    Person,
    SovLine,
    as_utc,
    label_of,
)

log = logging.getLogger(__name__)

SORRY = N_(
    "Sorry, something went wrong on our side while reading your message, so nothing was "
    "changed. Please send it again in a while; if it keeps happening, tell the project's "
    "invoice administrator."
)
OUTLOOK_FORMAT = N_(
    "{file}: Outlook sent your files in its own format, which cannot be opened here. Please "
    "send them again as ordinary attachments (in Outlook, write the message as HTML or plain "
    "text, not Rich Text)."
)
# Outlook's own wrapping of a Rich Text message and its files (`winmail.dat`).
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
SMIME_UNREADABLE = N_(
    "Your message came encrypted or sealed in its digital signature (S/MIME), which cannot be "
    "read here, so nothing in it was used. Please send it again without encryption; if you sign "
    "your email, turn on “Send clear text signed message” (in Outlook: Trust Center, Email "
    "Security)."
)

# Files sent to an invoice its contact can no longer change (`Intake._files_to_locked`).
ADDED = N_(
    "I added these files to invoice {number} for {commitment}, which is under review with {admin}:"
)
LOCKED_ELSE = N_(
    "Nothing else in your message was used: the invoice is locked while it is under review. "
    "If it needs a change, please ask {admin} to return it for revision."
)
NOT_ADDED = N_(
    "{file} was not added: invoice {number} for {commitment} is {status} and can no longer "
    "change. Please send it to {admin} directly."
)
# What was written to an invoice under review, passed on to its administrator.
PASSED_ON = N_(
    "I passed your message on to {admin}, who is reviewing invoice {number} for {commitment}. "
    "The invoice is locked while it is under review, so nothing in it was changed; if it needs "
    "a change, {admin} can return it to you for revision."
)

# The loop breaker (`Intake._repeated`). An auto-acknowledger that no header or wording gives
# away answers each of our replies with the same words, and each would be told "I couldn't
# use that" again, for ever. A message the turn could not use is recorded with a fingerprint
# of its words (`unreadable <digest>` in its reason); the same words again from the same
# sender on the same invoice within REPEAT_WINDOW, or more than UNREADABLE_PER_HOUR such
# messages from one sender in an hour, are recorded as ignored and not answered. A person
# who sends the same unusable words again is not harmed: they would change nothing again
# and get the same answer they already have; and a message with files is never ignored.
UNREADABLE = "unreadable"
REPEAT_WINDOW = timedelta(minutes=30)
UNREADABLE_PER_HOUR = 6
# Why a message from a mailing list or marked bulk may still be a person's (`_listed_reply`).
_LISTED = frozenset({"list", "precedence"})


@dataclass(frozen=True)
class IntakeResult:
    outcome: InboundOutcome
    reason: str | None = None
    external_id: str = ""
    conversation_id: int | None = None


def limits(env: MailEnvironment) -> AttachmentLimits:
    return AttachmentLimits(
        max_bytes=env.mail.max_attachment_bytes, max_count=env.mail.max_attachments
    )


class Intake:
    """Processes raw inbound emails against one database."""

    def __init__(
        self,
        engine: Engine,
        env: MailEnvironment,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_sent: SentHook | None = None,
        reviews: ReviewService | None = None,
    ) -> None:
        self.engine = engine
        self.env = env
        self.clock = clock
        self.on_sent = on_sent or self._notify_by_email
        # One service for every message (each turn names its own outbox).
        self.conversations = ConversationService(
            engine,
            outbox=MemoryOutbox(),
            clock=clock,
            limits=limits(env),
            on_sent=self.on_sent,
        )
        self.reviews = reviews or ReviewService(
            engine,
            conversations=self.conversations,
            contact_outbox=self._contact_by_email,
            clock=clock,
        )

    def _contact_by_email(
        self, session: Session, invoice: Invoice, person: Person
    ) -> tuple[Outbox, str] | None:
        outbox = contact_email_outbox(session, self.env, invoice, person)
        return (outbox, "email") if outbox is not None else None

    def _notify_by_email(self, session: Session, invoice: Invoice, now: datetime) -> None:
        queue_sent_notification(session, invoice=invoice, settings=self.env, now=now)

    def process(self, raw: bytes) -> IntakeResult:
        """Handle one message; raises only when the database cannot be reached (the message
        is then left for a later pass). Anything else that goes wrong is recorded as `failed`
        with its reason, so the message is not tried again and the next one goes on."""
        mail = parse_mail(raw)
        try:
            return self._process(mail)
        except OperationalError:
            raise
        except Exception as exc:
            log.exception("message %s failed", mail.external_id)
            return self._record(
                mail, InboundOutcome.failed, f"{type(exc).__name__}: {exc}", answer=SORRY
            )

    def _process(self, mail: InboundMail) -> IntakeResult:
        # The gate: one read-only session decides whether the message is new, where it goes
        # and what its turn says; the turn then writes in a transaction of its own.
        with Session(self.engine) as session:
            if inbound_seen(session, channel="email", external_id=mail.external_id):
                return IntakeResult(InboundOutcome.duplicate, external_id=mail.external_id)
            if mail.error or mail.message is None or not mail.sender:
                error = mail.error or "no sender address"
                log.warning("rejected %s: %s", mail.external_id, error)
                return self._record(mail, InboundOutcome.rejected, error)
            own = {a for a in (self.env.mail.address, self.env.mail.imap_user) if a}
            reason = classify(mail.message, own_addresses=own, text=mail.text)
            if reason == "bounce":
                return self._bounced(session, mail)
            listed = self._listed_reply(session, mail) if reason in _LISTED else None
            if reason is not None and listed is None:
                log.info("ignored %s from %s: %s", mail.external_id, mail.sender, reason)
                return self._record(mail, InboundOutcome.ignored, reason)
            route = listed or route_mail(session, mail, settings=self.env.mail, now=self.clock())
            if isinstance(route, Route):
                return self._turn(session, mail, route)
        if isinstance(route, Refusal):
            said = route.locked_invoice is not None and _says_something(mail.text)
            if route.locked_invoice is not None and (mail.files or said):
                return self._to_locked(mail, route, message=mail.text if said else "")
            log.info("refused %s from %s: %s", mail.external_id, mail.sender, route.reason)
            return self._record(
                mail, InboundOutcome.refused, route.reason, answer=route.text, always=route.always
            )
        return self._review(mail, route)

    def _turn(self, session: Session, mail: InboundMail, route: Route) -> IntakeResult:
        """The contact's message, read in the gate's `session` (closed before the turn
        writes), to the conversation; unless it is words that were unusable a moment ago."""
        text = self._with_rows(session, mail, route)
        text, template_note = self._with_template(session, mail, route, text)
        digest = None
        if not mail.files:  # the turn records it with the words if it cannot use them
            digest = _fingerprint(route.commitment_id, route.period_id, text)
            repeated = self._repeated(session, mail.sender, digest, text)
            if repeated is not None:
                session.close()
                log.warning("ignored %s from %s: %s", mail.external_id, mail.sender, repeated)
                return self._record(mail, InboundOutcome.ignored, repeated)
        session.close()  # end the read (rows stay as read) before the turn writes
        return self._converse(mail, route, text, template_note, digest=digest)

    def _review(self, mail: InboundMail, route: ReviewRoute) -> IntakeResult:
        """An administrator's answer: a decision, else the answer forms; nothing guessed."""
        assert route.reviewer.id is not None
        reply = ReviewerOutbox(
            self.env,
            route.invoice_id,
            Thread(mail.message_id, mail.references, route.subject or mail.subject),
            record=InboundRecord(mail.external_id, mail.sender, reason=f"review via {route.via}"),
            clock_now=self.clock(),
        )
        with Session(self.engine) as session:
            lines = _line_numbers(session, route.invoice_id)
            older = _older_sending(session, route.invoice_id, mail)
            decision = None if older else read_review(mail.text, lines=lines)
            if decision is None and not older and not mail.files:
                digest = _fingerprint(route.invoice_id, None, mail.text)
                repeated = self._repeated(session, mail.sender, digest)
                if repeated is not None:
                    log.warning("ignored %s from %s: %s", mail.external_id, mail.sender, repeated)
                    session.close()
                    return self._record(mail, InboundOutcome.ignored, repeated)
                reply.record = InboundRecord(
                    mail.external_id,
                    mail.sender,
                    reason=f"review via {route.via}; {UNREADABLE} {digest}",
                )
        if decision is None:
            with session_scope(self.engine) as session:
                reviewer = session.get(Person, route.reviewer.id)
                assert reviewer is not None
                _ = words(reviewer.language)
                text = (
                    _(OLDER_SENDING, number=older)
                    if older
                    else f"{_(UNCLEAR)}\n\n{_(ANSWER_FORMS)}"
                )
                reply.queue(session, None, reviewer, (Reply(text, ReplyKind.reprompt),))
            reason = "review of an earlier sending" if older else "review unclear"
            return IntakeResult(InboundOutcome.processed, reason, mail.external_id)
        result = self.reviews.review(
            invoice_id=route.invoice_id,
            reviewer_id=route.reviewer.id,
            decision=decision,
            channel="email",
            reply=reply,
        )
        reason = f"review refused: {result.refused.code}" if result.refused else "reviewed"
        return IntakeResult(InboundOutcome.processed, reason, mail.external_id)

    def _converse(
        self,
        mail: InboundMail,
        route: Route,
        text: str,
        template_note: str | None,
        *,
        digest: str | None = None,
    ) -> IntakeResult:
        """The turn. `digest` (the words' fingerprint, `_fingerprint`) is recorded with the
        message when the turn could not use it, for the loop breaker."""
        stored, notes, refused = (
            self._store_attachments(mail, _contacts_words(mail, route))
            if mail.attachments
            else ([], [], [])
        )
        if template_note:
            notes.append(template_note)
        outbox = _TurnOutbox(
            EmailOutbox(
                self.env,
                thread=Thread(mail.message_id, mail.references, route.subject or mail.subject),
                notes=tuple(notes),
                record=InboundRecord(mail.external_id, mail.sender, reason=f"via {route.via}"),
                clock=self.clock,
                invitation=route.invitation,
            ),
            stored=tuple(stored),
            digest=digest,
            language=_contacts_words(mail, route).language,
        )
        assert route.person.id is not None
        # what the turn no longer shows: a Spanish top left out beside an English template
        language = None if written_in(text) else written_in(mail.text)
        turn = Turn(
            text=text,
            attachments=tuple(stored),
            channel="email",
            language=language,
            files_refused=tuple(refused),
        )
        try:
            result = self.conversations.handle(
                person=route.person,
                turn=turn,
                commitment_id=route.commitment_id,
                period_id=route.period_id,
                outbox=outbox,
            )
        except IntegrityError:
            with session_scope(self.engine) as session:
                if inbound_seen(session, channel="email", external_id=mail.external_id):
                    return IntakeResult(InboundOutcome.duplicate, external_id=mail.external_id)
            log.exception("turn of %s failed", mail.external_id)
            return self._record(mail, InboundOutcome.failed, "database conflict", answer=SORRY)
        except Exception as exc:  # an engine bug must not stop the inbox, nor stay silent
            log.exception("turn of %s failed", mail.external_id)
            return self._record(
                mail, InboundOutcome.failed, f"{type(exc).__name__}: {exc}", answer=SORRY
            )
        return IntakeResult(
            InboundOutcome.processed, None, mail.external_id, result.conversation_id
        )

    def _with_rows(self, session: Session, mail: InboundMail, route: Route) -> str:
        """The new text, with the answers typed below the rows of the quoted email given the
        rows' line numbers (the lines are read only when something was typed there)."""
        if not mail.inline or route.commitment_id is None:
            return mail.text
        lines = sov_lines(session, route.commitment_id)
        return answers_under_rows(mail.text, mail.inline, lines)

    def _with_template(
        self, session: Session, mail: InboundMail, route: Route, text: str
    ) -> tuple[str, str | None]:
        """The turn's text: `text` (what is new) with the answers typed in the quoted email
        (into our template, or below the rows of an Outlook history, which has no `>` quotes
        to find them by), unless both answer one thing differently (then `text` alone); and
        a note saying which was read."""
        thread = self._thread(session, mail, route)
        template = sent_template(session, thread)
        filled = filled_in(mail.body, template) if template else ()
        rows = self._typed_in_history(session, mail, route, thread)
        written = {" ".join(line.split()).casefold() for line in text.splitlines()}
        typed = tuple(
            answer
            for answer in dict.fromkeys([*filled, *rows])
            if " ".join(answer.split()).casefold() not in written
        )
        if not typed:
            return text, None
        if any(parse(answer).answers for answer in typed):
            text = top_beside_template(text)  # `All done, see below`: never every line 100%
        _ = _contacts_words(mail, route)
        in_rows = any(answer in rows for answer in typed)
        read = _(QUOTED_READ) if in_rows else _(TEMPLATE_READ)
        parsed = parse(text)
        if parsed.answers or parsed.invoice_number:
            # the commitment's lines: a top answer named by its description (`panels 3
            # units`) is read beside answers the quote gives to other lines
            described = (
                {line.number: line.description for line in sov_lines(session, route.commitment_id)}
                if route.commitment_id is not None
                else None
            )
            merged = with_top(text, typed, lines=described)
            if merged is None:  # the top and the quoted email answer one thing differently
                left = quoted_left_text if in_rows else template_left_text
                return text, left(typed, _)
            return merged, read
        return "\n".join([text, *typed]).strip(), read

    def _thread(self, session: Session, mail: InboundMail, route: Route) -> list[str | None]:
        """The Message-IDs of the thread `mail` answers, nearest first, and its invite's."""
        thread = [mail.in_reply_to, *reversed(mail.references)]
        if route.invitation is not None:
            thread.append(route.invitation.email_message_id)
        elif route.commitment_id and route.period_id and route.person.id:
            invitation = find_invitation(
                session,
                commitment_id=route.commitment_id,
                period_id=route.period_id,
                person_id=route.person.id,
            )
            thread.append(invitation.email_message_id if invitation else None)
        return thread

    def _typed_in_history(
        self, session: Session, mail: InboundMail, route: Route, thread: list[str | None]
    ) -> tuple[str, ...]:
        """Answers typed below the rows of our email in a history without `>` quotes."""
        if mail.inline or route.commitment_id is None:
            return ()
        sent = sent_emails(session, thread)
        if not sent:
            return ()
        nearest = sent[0]
        renderings = [nearest.body_text or ""]
        if nearest.body_html:
            renderings.append(html_to_text(nearest.body_html, keep_history=True)[0])
        return answers_in_history(mail.body, renderings, sov_lines(session, route.commitment_id))

    def _to_locked(self, mail: InboundMail, refusal: Refusal, *, message: str) -> IntakeResult:
        """Files or a correction sent to an invoice its contact can no longer change. One
        under review keeps the files (a file changes no figure), and its administrator is sent
        them with what the contact wrote: a correction is theirs to make now, by returning the
        invoice for revision. One already decided takes nothing, and each file is named with
        what to do. Answered every time, whatever was answered today: neither a file nor a
        correction must be lost in silence (a bare `Thanks!` is answered once a day).
        `message` is what the contact wrote when it says something, else empty."""
        now = self.clock()
        with session_scope(self.engine) as session:
            invoice = session.get(Invoice, refusal.locked_invoice)
            assert invoice is not None and invoice.id is not None
            commitment = session.get(Commitment, invoice.commitment_id)
            admin = session.get(Person, commitment.administrator_id or 0) if commitment else None
            contact = sender_person(session, mail.sender)
            _ = words((contact.language if contact else None) or written_in(mail.text))
            values = {
                "number": invoice.number,
                "commitment": label_of(commitment),
                "status": _(STATUS_WORDS.get(InvoiceStatus(invoice.status), N_("sent"))),
                "admin": admin.name if admin else _("the invoice administrator"),
            }
            if invoice.status != InvoiceStatus.under_review:
                said = [refusal.text] if message else []
                said += [_(NOT_ADDED, file=item.filename, **values) for item in mail.files]
                InboundRecord(
                    mail.external_id, mail.sender, InboundOutcome.refused, "invoice-locked"
                ).add(session, None, now)
                self._answer(session, mail, "\n\n".join(said))
                return IntakeResult(InboundOutcome.refused, "invoice-locked", mail.external_id)
            rows = session.exec(select(Attachment).where(Attachment.invoice_id == invoice.id)).all()
            stored, notes, _refused = self._store_attachments(mail, _, existing=len(rows))
            known = {(row.sha256, row.filename) for row in rows}
            new = [ref for ref in stored if (ref.sha256, ref.filename) not in known]
            for ref in new:  # as the conversation keeps them (`conversations.store`)
                session.add(Attachment(invoice_id=invoice.id, created_at=now, **asdict(ref)))
            reachable = admin is not None and admin.id is not None and bool(admin.email)
            passed_on = bool(message) and reachable and contact is not None
            said = []
            if stored:
                said.append(_(ADDED, **values) + "\n" + files_list(stored))
            said += [*notes, _(PASSED_ON if passed_on else LOCKED_ELSE, **values)]
            if stored:
                reason = "files kept on the invoice under review"
            else:
                reason = "message passed on to the administrator" if passed_on else "invoice-locked"
            outcome = InboundOutcome.processed if stored or passed_on else InboundOutcome.refused
            InboundRecord(mail.external_id, mail.sender, outcome, reason).add(session, None, now)
            self._answer(session, mail, "\n\n".join(said), kind=OutboxKind.reply)
            if (new or passed_on) and reachable and contact is not None:
                assert admin is not None
                queue_files_notice(
                    session,
                    self.env,
                    invoice=invoice,
                    admin=admin,
                    contact=contact,
                    files=new,
                    message=message if passed_on else "",
                )
        return IntakeResult(outcome, reason, mail.external_id)

    def _store_attachments(
        self, mail: InboundMail, _: Words, *, existing: int = 0
    ) -> tuple[list[AttachmentRef], list[str], list[str]]:
        """The files kept, the sentences saying why others were not, and those others' names
        (an S/MIME message's encrypted part is not a file the contact chose: not named)."""
        stored: list[AttachmentRef] = []
        notes: list[str] = []
        refused: list[str] = []
        for item in mail.files:
            kind = item.content_type.split(";")[0].strip().lower()
            if kind in SMIME_TYPES or item.filename.lower().endswith((".p7m", ".p7z")):
                # opaque-signed mail is unwrapped when it is read: this one is encrypted
                log.info("message %s is S/MIME encrypted or unreadable", mail.external_id)
                if _(SMIME_UNREADABLE) not in notes:
                    notes.append(_(SMIME_UNREADABLE))
                continue
            if kind in _TNEF_TYPES or item.filename.lower() == "winmail.dat":
                log.info("attachment of %s refused: Outlook's own format", mail.external_id)
                notes.append(_(OUTLOOK_FORMAT, file=item.filename))
                refused.append(item.filename)
                continue
            try:
                stored.append(
                    store_attachment(
                        self.env.attachments_dir,
                        filename=item.filename,
                        data=item.data,
                        content_type=item.content_type,
                        existing_count=existing + len(stored),
                        source="email",
                        limits=limits(self.env),
                    )
                )
            except AttachmentError as exc:
                log.info("attachment of %s refused: %s", mail.external_id, exc.message)
                notes.append(exc.text(_))
                refused.append(item.filename)
            except OSError as exc:
                log.error("cannot store %s: %s", item.filename, exc)
                notes.append(
                    _("{file} could not be saved; please send it again later.", file=item.filename)
                )
                refused.append(item.filename)
        return stored, notes, refused

    def _bounced(self, session: Session, mail: InboundMail) -> IntakeResult:
        """A bounce: never answered; a permanent failure of an email we sent a contact on an
        invitation (known by our Message-ID in the report, or by the reply address it was
        sent to and the contact's address in its words) is kept on the invitation."""
        assert mail.message is not None
        bounce = read_bounce(mail.message)
        found = self._bounced_invitation(session, mail, bounce) if bounce.permanent else None
        session.close()
        now = self.clock()
        reason = "bounce"
        with session_scope(self.engine) as write:
            if found is not None:
                invitation = write.get(Invitation, found[0])
                if invitation is not None:
                    record_bounce(
                        write, invitation, address=found[1], diagnostic=bounce.diagnostic, now=now
                    )
                    reason = f"bounce: {found[1]}"
            InboundRecord(mail.external_id, mail.sender, InboundOutcome.ignored, reason).add(
                write, None, now
            )
        log.info("ignored %s from %s: %s", mail.external_id, mail.sender, reason)
        return IntakeResult(InboundOutcome.ignored, reason, mail.external_id)

    def _bounced_invitation(
        self, session: Session, mail: InboundMail, bounce: Bounce
    ) -> tuple[int, str] | None:
        """(invitation id, failed address) of the contact's email a bounce reports, if it
        tells: a token in the Message-ID it returns (or answers), signed by us; else the token
        of the reply address it came to, when its words name the contact's address."""
        secret = secret_bytes(self.env.mail)
        by_id = [token for mid in bounce.message_ids for token in find_tokens(mid)]
        addressed = [
            token for r in mail.recipients if ours(r, self.env.mail) for token in find_tokens(r)
        ]
        for token, tied in [*((t, True) for t in by_id), *((t, False) for t in addressed)]:
            try:
                found = read_any_token(secret, token)
            except TokenError:
                continue
            if not isinstance(found, ReplyToken):
                continue  # an administrator's review thread: no invitation
            invitation = session.get(Invitation, found.invitation_id)
            person = session.get(Person, invitation.person_id) if invitation else None
            if invitation is None or invitation.id is None or person is None:
                continue
            address = person.email.lower()
            named = address in bounce.failed or address in bounce.text.lower()
            if tied:
                return invitation.id, address if named or not bounce.failed else bounce.failed[0]
            if named:
                return invitation.id, address
        return None

    def _listed_reply(self, session: Session, mail: InboundMail) -> Route | None:
        """A message with a mailing list's headers or `Precedence: bulk` is still a person's
        when the invited contact wrote it to their own reply address (a security gateway or a
        CRM adds such headers to everything it passes on), unless its words are an
        auto-reply's; its route then, else None (ignored)."""
        if out_of_office_text(mail.text):
            return None
        route = route_mail(session, mail, settings=self.env.mail, now=self.clock())
        if isinstance(route, Route) and route.via == "address" and route.invitation is not None:
            return route
        return None

    def _repeated(
        self, session: Session, sender: str, digest: str, text: str | None = None
    ) -> str | None:
        """Why a message the turn may not be able to use is ignored (see UNREADABLE), or None:
        the same words from `sender` were unusable a moment ago, or too many were this hour.
        Given `text`, a message that holds something a turn reads for sure is never ignored
        (parsed only when the sender has unusable messages this hour: most have none)."""
        now = self.clock()
        statement = select(InboundMessage.reason, InboundMessage.received_at).where(
            col(InboundMessage.channel) == "email",
            col(InboundMessage.sender) == sender[:320],
            col(InboundMessage.received_at) >= now - timedelta(hours=1),
            col(InboundMessage.reason).like(f"%; {UNREADABLE} %"),
        )
        rows = session.exec(statement).all()
        if not rows or (text is not None and _readable(text)):
            return None
        if any(
            (reason or "").endswith(f" {digest}") and as_utc(at) >= now - REPEAT_WINDOW
            for reason, at in rows
        ):
            return "repeated unreadable message"
        if len(rows) >= UNREADABLE_PER_HOUR:
            return "too many unreadable messages"
        return None

    def _record(
        self,
        mail: InboundMail,
        outcome: InboundOutcome,
        reason: str | None,
        *,
        answer: str | None = None,
        always: bool = False,
    ) -> IntakeResult:
        """Record the outcome; `answer` goes out once a day per address, or `always`."""
        now = self.clock()
        record = InboundRecord(mail.external_id, mail.sender, outcome, reason)
        with session_scope(self.engine) as session:
            record.add(session, None, now)
            if answer and mail.sender and (always or self._first_today(session, mail.sender, now)):
                if answer == SORRY:
                    answer = speaker(session, mail)(SORRY)
                self._answer(session, mail, answer)
        return IntakeResult(outcome, reason, mail.external_id)

    def _first_today(self, session: Session, address: str, now: datetime) -> bool:
        """Claim today's one answer to `address` (a unique row, so it holds across workers)."""
        try:
            with session.begin_nested():
                session.add(
                    RefusalNotice(
                        channel="email", address=address[:320], day=now.date().isoformat()
                    )
                )
            return True
        except IntegrityError:
            return False

    def _answer(
        self,
        session: Session,
        mail: InboundMail,
        text: str,
        *,
        kind: OutboxKind = OutboxKind.refusal,
    ) -> None:
        envelope = Envelope(
            recipient=mail.sender,
            recipient_name=mail.sender_name,
            subject=reply_subject(mail.subject),
            in_reply_to=mail.message_id,
            references=thread_references(mail.message_id, previous=mail.references),
            auto_submitted=AUTO_REPLIED,
        )
        message_id = mint_message_id(self.env.mail)
        queue_email(
            session,
            envelope=envelope,
            text=text + "\n",
            html=None,
            message_id=message_id,
            kind=kind,
        )


# The notice of one sending of an invoice (`mail.notify.sent_message_id`): `<token.sent-
# {invoice}-{sending}@domain>`, in the thread of every answer to it
_SENDING = re.compile(r"\.sent-(?P<invoice>\d+)-(?P<sending>\d+)@")


def _older_sending(session: Session, invoice_id: int, mail: InboundMail) -> str | None:
    """The invoice's number when `mail` answers the notice of an earlier sending of it (it was
    returned and sent again since: the figures the administrator read are not the ones under
    review), as a Slack DM's buttons are refused; None when it answers the newest one, or
    its thread names no sending (a client that drops the headers)."""
    sendings = [
        int(found["sending"])
        for header in (mail.in_reply_to, *mail.references)
        if header and (found := _SENDING.search(header)) and int(found["invoice"]) == invoice_id
    ]
    invoice = session.get(Invoice, invoice_id)
    if not sendings or invoice is None or invoice.status != InvoiceStatus.under_review:
        return None
    return invoice.number if max(sendings) < times_sent(session, invoice) else None


def _line_numbers(session: Session, invoice_id: int) -> dict[str, str]:
    """The SOV lines of an invoice's commitment, number -> description (what a review may
    name, by number or by its description)."""
    statement = (
        select(SovLine.number, SovLine.description)
        .join(Invoice, col(Invoice.commitment_id) == SovLine.commitment_id)
        .where(col(Invoice.id) == invoice_id)
    )
    return {number: description for number, description in session.exec(statement)}


def _says_something(text: str) -> bool:
    """Whether `text` says more than a pleasantry (`Thanks!`, `Got it, thanks`, `See
    attached`): an answer, a command, a figure, a question or a few words of its own."""
    parsed = parse(text)
    if parsed.answers or parsed.commands or parsed.invoice_number:
        return True
    rest = text
    for pleasantry in parsed.pleasantries:
        rest = re.sub(re.escape(pleasantry), " ", rest, flags=re.I)
    return any(c.isdigit() for c in rest) or "?" in rest or len(re.findall(r"\w+", rest)) >= 4


def _readable(text: str) -> bool:
    """Whether `text` holds something a turn reads for sure: an answer, a command, an invoice
    number (else the turn may not be able to use it: see UNREADABLE)."""
    parsed = parse(text)
    return bool(parsed.answers or parsed.commands or parsed.invoice_number)


def _fingerprint(key: int | None, other: int | None, text: str) -> str:
    """A short digest of `text` (case and spacing aside) on one invoice (commitment and
    period, or the invoice reviewed)."""
    words_only = " ".join(text.split()).casefold()
    return hashlib.sha256(f"{key}:{other}:{words_only}".encode()).hexdigest()[:12]


@dataclass
class _TurnOutbox:
    """The turn's `EmailOutbox`, told what the intake knows of the message: when the turn
    kept none of some files it was given (no open invoice, a period closed), they are named
    as not kept; when it could use nothing (every reply asks again), the message is recorded
    with the fingerprint of its words (`digest`, for the loop breaker)."""

    inner: EmailOutbox
    stored: tuple[AttachmentRef, ...] = ()
    digest: str | None = None
    language: str | None = None

    def queue(
        self,
        session: Session,
        conversation: Conversation | None,
        person: Person,
        replies: Sequence[Reply],
    ) -> None:
        outbox = self.inner
        lost = self._not_kept(session, conversation, replies)
        if lost and replies:
            _ = words(person.language or self.language)
            named = _(NOT_KEPT, files=", ".join(ref.filename for ref in lost))
            last = replies[-1]
            replies = [*replies[:-1], replace(last, text=f"{last.text}\n\n{named}")]
        if (
            self.digest
            and outbox.record is not None
            and replies
            and all(reply.kind == ReplyKind.reprompt for reply in replies)
        ):
            reason = f"{outbox.record.reason}; {UNREADABLE} {self.digest}"
            outbox = replace(outbox, record=replace(outbox.record, reason=reason))
        outbox.queue(session, conversation, person, replies)

    def _not_kept(
        self, session: Session, conversation: Conversation | None, replies: Sequence[Reply]
    ) -> list[AttachmentRef]:
        """The files given to the turn that are neither in its conversation nor on its
        invoice, and that no reply names (a reply that refused one said why)."""
        if not self.stored:
            return []
        kept: set[str] = set()
        if conversation is not None and conversation.state not in ("", "{}"):
            try:
                kept |= {ref.sha256 for ref in State.from_json(conversation.state).attachments}
            except ValueError:
                return []  # the turn's own state unreadable: nothing said rather than wrong
        if conversation is not None and conversation.invoice_id is not None:
            statement = select(Attachment.sha256).where(
                Attachment.invoice_id == conversation.invoice_id
            )
            kept |= set(session.exec(statement))
        said = "\n".join(reply.text for reply in replies)
        return [ref for ref in self.stored if ref.sha256 not in kept and ref.filename not in said]


def _contacts_words(mail: InboundMail, route: Route) -> Words:
    """The contact's language, or the one their message is written in (for what we say of
    their message: refused attachments, the template read)."""
    return words(route.person.language or written_in(mail.text))
