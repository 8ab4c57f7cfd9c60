"""The Slack channel's errors; slack_sdk and aiohttp errors are translated here, at the edge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from models.i18n import ENGLISH, Sentence, Words

# Errors that retrying cannot fix: the row is given up at once.
PERMANENT = frozenset(
    {
        "users_not_found",
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "channel_not_found",
        "is_archived",
        "cannot_dm_bot",
        "not_in_channel",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "no_text",
        "msg_too_long",
        "not_authed",
        "invalid_auth",
        "token_revoked",
        "missing_scope",
        "file_not_found",
        "file_deleted",
    }
)


class SlackError(Exception):
    """Root of the Slack channel's errors."""


class SlackCallError(SlackError):
    """A Web API call failed; `code` is Slack's error (or the HTTP status), `permanent` when
    retrying cannot help."""

    def __init__(self, method: str, code: str, *, permanent: bool) -> None:
        super().__init__(f"{method}: {code}")
        self.method = method
        self.code = code
        self.permanent = permanent


class DownloadError(SlackError):
    """A shared file could not be fetched: `sentence` is meant for the contact, worded in
    their language (`message` is it in English, for the log)."""

    def __init__(self, sentence: Sentence) -> None:
        self.sentence = sentence
        self.message = sentence()
        super().__init__(self.message)

    def text(self, _: Words = ENGLISH) -> str:
        return self.sentence(_)


@contextmanager
def slack_call(method: str) -> Iterator[None]:
    """Translate slack_sdk / aiohttp errors raised inside the block into `SlackCallError`."""
    try:
        yield
    except SlackApiError as exc:
        code = str(exc.response.get("error") or exc.response.status_code)
        raise SlackCallError(method, code, permanent=code in PERMANENT) from exc
    except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise SlackCallError(method, type(exc).__name__, permanent=False) from exc
