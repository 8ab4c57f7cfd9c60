"""Payloads Slack sends to an app — Events API callbacks and interactions — as plain dicts, for
HTTP mode (see `signing`) and Socket Mode alike."""

from __future__ import annotations

import itertools
import secrets
import time
from decimal import Decimal
from typing import Any

from .state import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

_seq = itertools.count(1)


def new_trigger_id() -> str:
    """A trigger id like Slack's (`<digits>.<digits>.<hex>`); the first part is the issue time
    in milliseconds so the emulator can expire it after 3 seconds as Slack does."""
    return f"{int(time.time() * 1000)}.{next(_seq)}.{secrets.token_hex(16)}"


def trigger_issued_at(trigger_id: str) -> float:
    """When a trigger id made by `new_trigger_id` was issued (seconds since the epoch)."""
    return int(trigger_id.split(".")[0]) / 1000


def _ts() -> str:
    return f"{time.time():.6f}"


def message_event(
    *,
    user: str,
    text: str,
    channel: str,
    ts: str | None = None,
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
    channel_type: str = "im",
) -> dict[str, Any]:
    """A `message` event posted by a person (with `subtype: file_share` when it carries files)."""
    event: dict[str, Any] = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts or _ts(),
        "team": TEAM_ID,
        "channel": channel,
        "channel_type": channel_type,
        "event_ts": ts or _ts(),
        "client_msg_id": secrets.token_hex(16),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if files:
        event |= {"subtype": "file_share", "files": files, "upload": False}
    return event


def message_deleted_event(original: dict[str, Any]) -> dict[str, Any]:
    """The `message_deleted` event Slack sends when the `original` message event is deleted
    (the deleted message nested as `previous_message`)."""
    before = {k: original[k] for k in ("type", "user", "text", "ts", "thread_ts") if k in original}
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": original.get("ts"),
        "previous_message": before,
        "channel": original["channel"],
        "channel_type": original.get("channel_type", "im"),
        "ts": _ts(),
        "event_ts": _ts(),
    }


def message_changed_event(original: dict[str, Any], text: str) -> dict[str, Any]:
    """The `message_changed` event Slack sends when the `original` message event is edited
    to `text` (the edited message and the one before it, nested)."""
    before = {k: original[k] for k in ("type", "user", "text", "ts") if k in original}
    edited = before | {"text": text, "edited": {"user": original.get("user"), "ts": _ts()}}
    if original.get("thread_ts"):
        edited["thread_ts"] = before["thread_ts"] = original["thread_ts"]
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "message": edited,
        "previous_message": before,
        "channel": original["channel"],
        "channel_type": original.get("channel_type", "im"),
        "ts": _ts(),
        "event_ts": _ts(),
    }


def file_shared_event(*, file_id: str, user: str, channel: str) -> dict[str, Any]:
    """A `file_shared` event (it carries only the file id; the app calls `files.info`)."""
    return {
        "type": "file_shared",
        "file_id": file_id,
        "user_id": user,
        "file": {"id": file_id},
        "channel_id": channel,
        "event_ts": _ts(),
    }


def app_home_opened_event(
    *, user: str, channel: str, tab: str = "home", view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An `app_home_opened` event; `view` is the Home view last published, if any."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": _ts(),
    }
    if view is not None:
        event["view"] = view
    return event


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    """The Events API envelope around one event."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "event_context": secrets.token_hex(8),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def url_verification(challenge: str) -> dict[str, Any]:
    """The challenge Slack sends when the Events request URL is configured."""
    return {
        "token": "deprecated-verification-token",
        "challenge": challenge,
        "type": "url_verification",
    }


def _user(user: str) -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}


def button_action(
    action_id: str, value: str = "", *, block_id: str = "actions", text: str = "Button"
) -> dict[str, Any]:
    """One clicked button, as it appears in a `block_actions` payload's `actions`."""
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_ts": _ts(),
    }


def block_actions(
    *,
    user: str,
    actions: list[dict[str, Any]],
    channel: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload from a message (`channel` + `message`) or a view (`view`)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "trigger_id": trigger_id or new_trigger_id(),
        "actions": actions,
        "state": {"values": {}},
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = view
    elif channel is not None and message is not None:
        payload |= {
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "channel": {"id": channel, "name": "directmessage"},
            "message": message,
            "response_url": f"https://hooks.slack.com/actions/{TEAM_ID}/{next(_seq)}/x",
        }
        if message.get("thread_ts"):
            payload["container"]["thread_ts"] = message["thread_ts"]
    return payload


def state_values(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """`view.state.values` from `{block_id: {action_id: value}}`: a str becomes a
    plain_text_input value, a number a number_input value, a dict is taken as it is."""

    def entry(value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return {"type": "number_input", "value": str(value)}
        return {"type": "plain_text_input", "value": value}

    return {
        block: {action: entry(v) for action, v in actions.items()}
        for block, actions in values.items()
    }


def view_submission(
    *, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A `view_submission` payload for `view` (e.g. `emulator.view(view_id)`) with `values`
    filled in (see `state_values`)."""
    submitted = {**view, "state": {"values": state_values(values)}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": new_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
