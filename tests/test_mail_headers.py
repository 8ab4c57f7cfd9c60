"""Header values from inbound mail (and from imported names) can never break outgoing mail.

A subject folded by the sender's client, encoded words in the corpus's charsets, CR/LF, NUL
and 2,000-character values go in through the intake (and as project and person names), and
every kind of outbound email that can carry them — reply, refusal, invite, reminder,
notification, confirmation — must be built and accepted by a real SMTP server.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import itertools
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import Header
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.settings import Settings
from mail.config import MailSettings, Security
from mail.headers import OUTBOUND, address_header, header_value, read_header
from mail.inbound import parse_mail
from mail.intake import Intake
from mail.invite import queue_invite_email
from mail.notify import queue_contact_confirmation
from mail.reminder import queue_reminder_email
from mail.sender import deliver_due
from models.db import session_scope
from models.invitation import get_or_create_invitation
from models.outbox import OutboundMessage, OutboxStatus
from models.reminders import DueReminder
from models.tables import Commitment, Invoice, Person, Project
from tests.servers.mailserver import free_port
from tests.test_conversation_service import NOW, Ids, seed
from tests.test_hostile_input import reopen_if_sent

FOLDED = (
    "Fwd: November pay application for Riverside Clinic east wing fit-out, Bolt\r\n"
    " Electric job 22-114 (revised)"
)
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "us-ascii"]


def test_a_folded_subject_is_read_as_one_line() -> None:
    raw = (
        f"From: Sam Sparks <sam@acme.test>\r\nTo: billing@summit.test\r\nSubject: {FOLDED}\r\n"
        "Message-ID: <fold@acme.test>\r\n\r\n1: 50%\r\n"
    ).encode()
    mail = parse_mail(raw)
    assert mail.subject == (
        "Fwd: November pay application for Riverside Clinic east wing fit-out, Bolt "
        "Electric job 22-114 (revised)"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\r\n b", "a b"),
        ("a\nb", "a b"),
        ("a\rb", "a b"),
        ("a\x00b", "a b"),
        ("tab\there", "tab here"),
        ("line\u2028sep", "line sep"),
        ("nel\x85x", "nel x"),
        ("  padded   out  ", "padded out"),
        ("é" * 2000, "é" * 998),
        (None, ""),
    ],
)
def test_header_value_is_one_safe_line(value: str | None, expected: str) -> None:
    assert header_value(value) == expected


def test_encoded_words_folded_across_lines_are_decoded() -> None:
    encoded = Header("Facture de novembre — réf. 22-114 " * 4, "utf-8").encode()
    assert "\n" in encoded  # the Header class folds long encoded values
    message = email.message_from_string(f"Subject: {encoded}\n\nbody\n")
    assert read_header(message, "Subject") == ("Facture de novembre — réf. 22-114 " * 4).strip()


@pytest.mark.parametrize("policy", [email.policy.compat32, email.policy.default])
@pytest.mark.parametrize(
    ("codec", "subject", "sender"),
    [
        ("utf-8", "Facturación noviembre – Harbor Tower", "José Pérez"),
        ("cp1252", "Facturación noviembre – Harbor Tower", "José Pérez"),
        ("latin-1", "Facturación de noviembre", "José Pérez"),
        ("utf-8", "発注書 Harbor Tower", "山田 太郎"),
    ],
)
def test_raw_8bit_subject_and_sender_name_are_read_as_written(
    policy: email.policy.Policy, codec: str, subject: str, sender: str
) -> None:
    """SMTPUTF8 mail and sloppy clients send headers unencoded: UTF-8, else windows-1252."""
    raw = (
        f"From: {sender} <jose@acme.test>\r\nTo: billing@summit.test\r\nSubject: {subject}\r\n"
        "Message-ID: <raw8@acme.test>\r\n\r\n1: 50%\r\n"
    ).encode(codec)
    mail = parse_mail(raw)

    assert (mail.subject, mail.sender_name, mail.sender) == (subject, sender, "jose@acme.test")
    message = email.message_from_bytes(raw, policy=policy)
    assert read_header(message, "Subject") == subject


# -- the property: generated values through intake and import data to every outbound kind ----

_PIECES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["\r", "\n", "\r\n", "\r\n ", "\x00", "\t", "\u2028", "\x85", " "]),
)


@st.composite
def header_values(draw: st.DrawFn) -> str:
    """Text as it may arrive: plain, folded, with control characters, long, any script."""
    value = "".join(draw(st.lists(_PIECES, max_size=8)))
    value = draw(st.one_of(st.just(value), st.sampled_from([FOLDED, "Re: " * 40 + "x", ""])))
    if draw(st.booleans()):
        value = value * draw(st.integers(1, 2000 // max(len(value), 1)))
    return value[:2000]


def header_line(value: str, charset: str) -> str:
    """`value` as a raw header, as a client would write it: folded encoded words in
    `charset` when the text fits it (else UTF-8), or the raw text with its breaks."""
    try:
        value.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    if charset == "us-ascii" or not value.isprintable():
        return re.sub(r"\r\n|\r|\n", "\r\n ", value)  # raw, folded at every break
    return Header(value, charset).encode()


class Sink:
    """An SMTP server that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.messages.append(bytes(envelope.original_content or b""))
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mail_settings(tmp_path: Path, port: int) -> Settings:
    mail = MailSettings(
        address="billing@summit.test",
        display_name="Summit Billing",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=Security.none,
        secret=SecretStr("header-secret"),
    )
    return Settings(database_url="sqlite://", attachments_dir=tmp_path / "files", mail=mail)


def rename_everything(engine: Engine, ids: Ids, value: str) -> None:
    """Names as an import file might carry them, into the invite and notification headers."""
    value = value.replace("\x00", "")  # PostgreSQL's text cannot hold NUL
    with session_scope(engine) as session:
        for person_id in (ids.sam, ids.jane):
            person = session.get(Person, person_id)
            assert person is not None
            person.name = value[:200] or "x"
        commitment = session.get(Commitment, ids.sc7)
        assert commitment is not None
        project = session.get(Project, commitment.project_id)
        assert project is not None
        project.name = value[:200] or "x"
        commitment.title = value[:200] or "x"


def from_line(name: str, address: str, charset: str) -> str:
    """From as a client writes it: a plain name in a quoted string (so that its `<`, `,` or
    `:` stay in the name), any other in encoded words."""
    if name.isascii() and name.isprintable():
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + f'" <{address}>'
    try:
        name.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    if charset == "us-ascii":  # it has controls: ASCII would not encode them
        charset = "utf-8"
    return f"{Header(name, charset).encode()} <{address}>"


def inbound(number: int, sender: str, name: str, subject: str, charset: str, text: str) -> bytes:
    return (
        f"From: {from_line(name, sender, charset)}\r\n"
        f"To: billing@summit.test\r\n"
        f"Subject: {header_line(subject, charset)}\r\n"
        f"Message-ID: <generated-{number}@acme.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode("utf-8", "surrogatepass")


def queue_the_rest(engine: Engine, ids: Ids, env: Settings, number: int) -> None:
    """An invite, a reminder and (the invoice was just sent) the contact's confirmation."""
    with session_scope(engine) as session:
        invitation, _ = get_or_create_invitation(
            session, commitment_id=ids.sc7, period_id=ids.nov, person_id=ids.sam, expires_at=NOW
        )
        invitation.email_message_id = None  # a fresh invite Message-ID each example
        queue_invite_email(
            session, invitation=invitation, settings=env.mail, now=NOW, attachments_dir=None
        )
        due = DueReminder(1000 + number, ids.sam, ids.sc7, ids.nov, 1, None)
        queue_reminder_email(session, reminder=due, settings=env.mail, now=NOW)
        invoice = session.exec(
            select(Invoice).where(Invoice.commitment_id == ids.sc7, Invoice.period_id == ids.nov)
        ).first()
        if invoice is not None and invoice.sent_at is not None:
            queue_contact_confirmation(session, invoice=invoice, settings=env, now=NOW)


def test_generated_header_values_reach_every_kind_of_outbound_email(
    engine: Engine, tmp_path: Path, sink: tuple[Sink, int]
) -> None:
    server, port = sink
    env = mail_settings(tmp_path, port)
    with session_scope(engine) as session:
        ids = seed(session)
    intake = Intake(engine, env, clock=lambda: NOW)
    numbers = itertools.count()
    kinds: set[str] = set()

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        subject=header_values(),
        name=header_values(),
        charset=st.sampled_from(CHARSETS),
    )
    def check(subject: str, name: str, charset: str) -> None:
        number = next(numbers)
        rename_everything(engine, ids, name)
        reopen_if_sent(engine, ids.sc7, ids.nov)
        answer = "INV-0042\r\n1: +5%\r\n2: skip\r\nsend"
        sam = intake.process(inbound(number, "sam@acme.test", name, subject, charset, answer))
        stranger = f"someone{number}@elsewhere.test"
        refused = intake.process(inbound(number + 10**6, stranger, name, subject, charset, "hi"))
        assert (sam.outcome, refused.outcome) == ("processed", "refused"), (sam, refused)
        queue_the_rest(engine, ids, env, number)
        with session_scope(engine) as session:
            pending = session.exec(
                select(OutboundMessage).where(OutboundMessage.status == OutboxStatus.pending)
            ).all()
            due = {row.id: row.kind for row in pending}
        before = len(server.messages)
        now = datetime.now(UTC)  # rows are queued due at the real time
        report = asyncio.run(deliver_due(engine, env, now=now, limit=len(due) + 1))
        with session_scope(engine) as session:
            errors = session.exec(
                select(OutboundMessage.kind, OutboundMessage.last_error).where(
                    OutboundMessage.status != OutboxStatus.sent
                )
            ).all()
        assert (report.sent, report.failed, report.retried) == (len(due), 0, 0), (report, errors)
        assert len(server.messages) - before == len(due)
        for raw in server.messages[before:]:
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            for header in ("Subject", "To", "From"):
                assert "\n" not in str(parsed[header]) and "\x00" not in str(parsed[header])
        kinds.update(due.values())

    check()
    assert kinds >= {"reply", "refusal", "invite", "reminder", "notification", "confirmation"}


def serialised(policy: email.policy.EmailPolicy, subject: str, name: str, ref: str) -> bytes:
    message = email.message.EmailMessage(policy=policy)
    message["From"] = address_header(name, "billing@example.test")
    message["To"] = address_header(subject[:40], "sam@acme.test")
    message["Subject"] = header_value(subject)
    message["In-Reply-To"] = header_value(ref)
    message["References"] = header_value(" ".join([ref, "<a@b.test>"] * 9), limit=20 * 998)
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(f"body {subject}")
    message.add_alternative(f"<p>{name}</p>", subtype="html")
    raw = message.as_bytes(policy=email.policy.SMTP)
    return re.sub(rb"=+\d+==", b"BOUNDARY", raw)


# Mostly the plain ASCII lines the fast path keeps, with the characters that make them special.
_PLAIN_PIECES = st.sampled_from(
    [*"ab Z09 <>@.,;:\"()\\'[]", "=?", "?=", "=?utf-8?q?caf=C3=A9?=", "\t", "é", "x" * 30]
)
_PLAIN_VALUES = st.one_of(
    st.lists(_PLAIN_PIECES, max_size=12).map("".join),
    header_values(),
)


@settings(max_examples=300, deadline=None)
@given(subject=_PLAIN_VALUES, name=_PLAIN_VALUES, ref=_PLAIN_VALUES)
def test_the_outbound_policy_writes_what_the_default_policy_writes(
    subject: str, name: str, ref: str
) -> None:
    """`OUTBOUND` skips the parse of plain one-line values; the bytes sent are the same."""
    outcomes = []
    for policy in (email.policy.default, OUTBOUND):
        try:
            outcomes.append(serialised(policy, subject, name, ref))
        except Exception as exc:
            outcomes.append(type(exc).__name__.encode())
    assert outcomes[0] == outcomes[1]
