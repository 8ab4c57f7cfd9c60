"""Who fetches the billing mailbox: the advisory lock of `models.locks`, keyed by the mailbox
(IMAP host, user, folder). See `models.locks` for how the lock behaves."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from mail.config import MailSettings
from models.locks import MailboxLock, advisory_lock, mailbox_key


def mailbox_lock(engine: Engine, settings: MailSettings) -> MailboxLock:
    """The lock that decides which worker fetches the mailbox of `settings`."""
    user = settings.imap_user or settings.address or ""
    return advisory_lock(engine, mailbox_key(settings.imap_host or "", user, settings.imap_folder))


__all__ = ["mailbox_lock"]
