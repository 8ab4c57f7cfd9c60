"""Invitations to bill: one per contact, commitment and period, whatever the channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, col, func, select, update

from models.tables import SQLModel, as_utc, timestamp_column, utcnow


class Invitation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("commitment_id", "period_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    period_id: int = Field(foreign_key="billing_period.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(False))
    expires_at: datetime = Field(sa_column=timestamp_column(False))
    email_message_id: str | None = Field(default=None, max_length=998)
    slack_channel: str | None = Field(default=None, max_length=50)
    slack_ts: str | None = Field(default=None, max_length=50)
    # The last permanent delivery failure of an email to the contact on this invitation (an
    # invite, a reminder, an answer): when it came back, the address and the server's words.
    email_bounced_at: datetime | None = Field(default=None, sa_column=timestamp_column())
    email_bounced_to: str | None = Field(default=None, max_length=320)
    email_bounce: str | None = Field(default=None, max_length=300)

    def email_bounced(self, address: str | None) -> bool:
        """Whether email to `address` came back undelivered for good (a corrected address
        has not bounced): what sends the contact email can leave it out."""
        if self.email_bounced_at is None or not self.email_bounced_to or not address:
            return False
        return self.email_bounced_to.lower() == address.lower()


def find_invitation(
    session: Session, *, commitment_id: int, period_id: int, person_id: int
) -> Invitation | None:
    """The invitation of this contact for this commitment and period, if there is one."""
    statement = select(Invitation).where(
        col(Invitation.commitment_id) == commitment_id,
        col(Invitation.period_id) == period_id,
        col(Invitation.person_id) == person_id,
    )
    return session.exec(statement).first()


def get_or_create_invitation(
    session: Session,
    *,
    commitment_id: int,
    period_id: int,
    person_id: int,
    expires_at: datetime,
) -> tuple[Invitation, bool]:
    """The invitation for this contact, commitment and period; True when it is new."""
    found = find_invitation(
        session, commitment_id=commitment_id, period_id=period_id, person_id=person_id
    )
    if found is not None:
        if as_utc(found.expires_at) < expires_at:
            found.expires_at = expires_at
            session.add(found)
        return found, False
    invitation = Invitation(
        commitment_id=commitment_id,
        period_id=period_id,
        person_id=person_id,
        expires_at=expires_at,
    )
    session.add(invitation)
    session.flush()
    return invitation, True


def record_bounce(
    session: Session, invitation: Invitation, *, address: str, diagnostic: str, now: datetime
) -> None:
    """Keep on `invitation` that an email to `address` came back undelivered (a permanent
    failure): the board shows it, and what reminds the contact by email can leave it out."""
    invitation.email_bounced_at = now
    invitation.email_bounced_to = address[:320]
    invitation.email_bounce = diagnostic[:300] or None
    session.add(invitation)


def clear_bounces(session: Session, *, person_id: int, address: str) -> int:
    """Forget the bounces of `address` on the person's invitations: they have just written
    from it, so it takes mail again (a full mailbox emptied, a forwarding fixed). Returns how
    many invitations said it had bounced."""
    statement = (
        update(Invitation)
        .where(
            col(Invitation.person_id) == person_id,
            func.lower(col(Invitation.email_bounced_to)) == address.lower(),
        )
        .values(email_bounced_at=None, email_bounced_to=None, email_bounce=None)
        .execution_options(synchronize_session="fetch")
    )
    return session.exec(statement).rowcount
