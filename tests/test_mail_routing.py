"""Routing an inbound email: token in the address, then References, then the sender."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from conversations.gather import period_info
from mail.config import MailSettings
from mail.inbound import InboundMail, parse_mail
from mail.intake import Intake
from mail.routing import Refusal, Route, route_mail
from mail.tokens import make_token
from models.importer import import_file
from models.invitation import get_or_create_invitation
from models.outbox import InboundMessage, OutboundMessage
from models.tables import BillingPeriod, Commitment, CommitmentContact, Person
from tests.import_helpers import write_json
from tests.test_email_e2e import shifted_example

NOW = datetime.now(UTC)
MAIL = MailSettings(
    address="billing@summit.test",
    imap_host="imap.invalid",
    smtp_host="smtp.invalid",
    secret="s3cret",
)


@pytest.fixture
def db(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    data = shifted_example({"sam": "sam@acme.test", "jane": "jane@summit.test"})
    data["people"].append({"key": "al", "company": "acme", "name": "Al", "email": "al@acme.test"})
    import_file(sqlite_engine, path=write_json(tmp_path / "ex.json", data))
    return sqlite_engine


def token_for(
    engine: Engine,
    person_key: str = "sam",
    *,
    expires: timedelta = timedelta(days=9),
    period_id: int = 2,
) -> str:
    with Session(engine) as session:
        person = session.exec(select(Person).where(Person.key == person_key)).one()
        commitment = session.exec(select(Commitment)).one()
        assert person.id and commitment.id
        invitation, _ = get_or_create_invitation(
            session, commitment_id=commitment.id, period_id=period_id, person_id=person.id,
            expires_at=NOW + expires,
        )  # fmt: skip
        session.commit()
        assert invitation.id
        return make_token(b"s3cret", invitation.id)


def route(engine: Engine, **fields: object) -> Route | Refusal:
    mail = InboundMail(external_id="<x@y>", **fields)  # type: ignore[arg-type]
    with Session(engine) as session:
        return route_mail(session, mail, settings=MAIL, now=NOW)


def test_token_in_the_recipient_address_routes_to_the_invitation(db: Engine) -> None:
    token = token_for(db)
    found = route(db, sender="sam@acme.test", recipients=(f"billing+{token}@summit.test",))
    assert isinstance(found, Route) and found.via == "address"
    assert (found.commitment_id, found.period_id) == (1, 2)
    assert found.subject == "Harbor Tower: Jane Doe has invited you to bill."


def test_token_only_in_references_still_routes(db: Engine) -> None:
    token = token_for(db)
    refs = ("<CAF123@mail.gmail.com>", f"<{token}.invite@summit.test>")
    found = route(db, sender="SAM@acme.test".lower(), recipients=("billing@summit.test",),
                  references=refs)  # fmt: skip
    assert isinstance(found, Route) and found.via == "references"


def test_look_alike_message_id_is_ignored_and_sender_is_used(db: Engine) -> None:
    fake = "<bb1aaaaaaaaaaaaaaaa@elsewhere.test>"
    found = route(db, sender="sam@acme.test", in_reply_to=fake)
    assert isinstance(found, Route) and found.via == "sender"
    assert (found.commitment_id, found.period_id) == (1, 2)


def test_tampered_unknown_and_expired_tokens_are_refused(db: Engine) -> None:
    token = token_for(db)
    bad = token[:-1] + ("a" if token[-1] != "a" else "b")
    found = route(db, sender="sam@acme.test", recipients=(f"billing+{bad}@summit.test",))
    assert isinstance(found, Refusal) and found.reason == "bad-token"
    unknown = make_token(b"s3cret", 999)
    found = route(db, sender="sam@acme.test", recipients=(f"billing+{unknown}@summit.test",))
    assert isinstance(found, Refusal) and found.reason == "unknown-invitation"
    old = token_for(db, "jane", expires=timedelta(days=-1))
    found = route(db, sender="jane@summit.test", recipients=(f"billing+{old}@summit.test",))
    assert isinstance(found, Refusal) and found.reason == "expired-invitation"


def test_only_the_invited_contact_or_another_contact_may_answer(db: Engine) -> None:
    token = token_for(db)
    to = (f"billing+{token}@summit.test",)
    found = route(db, sender="al@acme.test", recipients=to)
    assert isinstance(found, Refusal) and found.reason == "not-the-contact"
    with Session(db) as session:
        al = session.exec(select(Person).where(Person.key == "al")).one()
        session.add(CommitmentContact(commitment_id=1, person_id=al.id or 0))
        session.commit()
    found = route(db, sender="al@acme.test", recipients=to)
    assert isinstance(found, Route) and found.person.email == "al@acme.test"


def test_unknown_sender_is_a_stranger(db: Engine) -> None:
    found = route(db, sender="who@else.test")
    assert isinstance(found, Refusal) and found.reason == "stranger"
    assert "nothing was changed" in found.text


def test_malformed_mime_is_recorded_as_rejected_and_never_raises(
    db: Engine, tmp_path: Path
) -> None:
    raw = (
        b"From: sam@acme.test\r\nMessage-ID: <broken@acme.test>\r\n"
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n\xff\xfe garbage"
    )
    parse_mail(raw)  # never raises
    env = Settings(database_url="sqlite://", attachments_dir=tmp_path, mail=MAIL)
    intake = Intake(db, env, clock=lambda: NOW)
    first = intake.process(raw)
    assert first.outcome == "processed"  # lenient MIME parsing: routed by its sender
    assert intake.process(raw).outcome == "duplicate"
    assert intake.process(b"\x00\x01 not mail at all").outcome == "rejected"
    with Session(db) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 2
        assert all(r.kind != "invite" for r in session.exec(select(OutboundMessage)))


def test_a_reply_in_an_earlier_months_locked_thread_says_where_this_month_is_billed(
    db: Engine,
) -> None:
    """The invite's subject is the same every month: answers sent to October's thread (its
    invoice approved and locked) change nothing, and the refusal names November, open now."""
    token = token_for(db, period_id=1)
    found = route(db, sender="sam@acme.test", recipients=(f"billing+{token}@summit.test",))
    assert isinstance(found, Refusal) and found.reason == "invoice-locked"
    with Session(db) as session:
        november = period_info(
            session.exec(select(BillingPeriod).where(BillingPeriod.id == 2)).one()
        )
    assert "INV-0041" in found.text and "approved and locked" in found.text
    assert f"{november.label} is open for billing: to bill it, reply to the email" in found.text
