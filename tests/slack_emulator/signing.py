"""Playing Slack's side in HTTP mode: sign requests the way Slack does and post them to the app.

headers, body = signed_event(SECRET, event_callback(message_event(user=..., text=..., ...)))
response = post_to_app(url, headers, body)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, NamedTuple
from urllib.parse import urlencode

import httpx

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


class SlackRequest(NamedTuple):
    """A signed request body and the headers Slack sends with it."""

    headers: dict[str, str]
    body: str


class AppResponse(NamedTuple):
    """What the app answered: status, the JSON body (None when empty or not JSON), raw text."""

    status: int
    json: Any
    text: str


def sign(signing_secret: str, timestamp: int | str, body: str | bytes) -> str:
    """Slack's `X-Slack-Signature`: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    signing_secret: str,
    body: str,
    *,
    content_type: str,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """The headers Slack sends with `body`; `retry_num`/`retry_reason` mark a redelivery
    (reasons Slack uses: `http_timeout`, `http_error`, `too_many_connections`, `unknown_error`)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "User-Agent": SLACK_USER_AGENT,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(signing_secret, stamp, body),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return headers


def signed_event(
    signing_secret: str,
    payload: dict[str, Any],
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> SlackRequest:
    """An Events API request (`event_callback` or `url_verification`): a JSON body."""
    body = json.dumps(payload, separators=(",", ":"))
    return SlackRequest(
        signed_headers(
            signing_secret,
            body,
            content_type="application/json",
            timestamp=timestamp,
            retry_num=retry_num,
            retry_reason=retry_reason,
        ),
        body,
    )


def signed_interaction(
    signing_secret: str, payload: dict[str, Any], *, timestamp: int | None = None
) -> SlackRequest:
    """An interactivity request (`block_actions`, `view_submission`): form-encoded `payload=`."""
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
    return SlackRequest(
        signed_headers(
            signing_secret,
            body,
            content_type="application/x-www-form-urlencoded",
            timestamp=timestamp,
        ),
        body,
    )


def _answer(response: httpx.Response) -> AppResponse:
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    return AppResponse(response.status_code, body, response.text)


def post_to_app(
    url: str, headers: dict[str, str], body: str, *, timeout: float = 3.0
) -> AppResponse:
    """POST a signed request to the app; Slack gives up after 3 seconds, so does this."""
    with httpx.Client(timeout=timeout) as client:
        return _answer(client.post(url, headers=headers, content=body.encode()))


async def apost_to_app(
    url: str, headers: dict[str, str], body: str, *, timeout: float = 3.0
) -> AppResponse:
    """`post_to_app` for async tests (e.g. when the app runs on the test's own event loop)."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        return _answer(await client.post(url, headers=headers, content=body.encode()))
