"""`chat.*`: posting, updating and ephemeral messages."""

from __future__ import annotations

import copy
from typing import Any

from ..state import APP_ID, BOT_ID, BOT_NAME, BOT_USER_ID, TEAM_ID, ApiError, Workspace
from .common import channel_arg, message_content, required, with_block_ids


def chat_post_message(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    channel_id = channel_arg(ws, args)
    text, blocks = message_content(args)
    ts = ws.next_ts()
    message: dict[str, Any] = {
        "type": "message",
        "user": user_id,
        "text": text,
        "ts": ts,
        "team": TEAM_ID,
        "app_id": APP_ID,
    }
    if user_id == BOT_USER_ID:
        message |= {
            "bot_id": BOT_ID,
            "bot_profile": {
                "id": BOT_ID,
                "app_id": APP_ID,
                "name": BOT_NAME,
                "team_id": TEAM_ID,
                "deleted": False,
            },
        }
    if blocks:
        message["blocks"] = with_block_ids(ws, blocks)
    if args.get("attachments"):
        message["attachments"] = args["attachments"]
    if args.get("thread_ts"):
        message["thread_ts"] = str(args["thread_ts"])
    if args.get("metadata"):
        message["metadata"] = args["metadata"]
    ws.messages.append({**message, "channel": channel_id})
    return {"channel": channel_id, "ts": ts, "message": copy.deepcopy(message)}


def chat_update(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    channel_id = channel_arg(ws, args, users_allowed=False)
    required(args, "ts")
    stored = next(
        (m for m in ws.messages if m["channel"] == channel_id and m["ts"] == str(args["ts"])), None
    )
    if stored is None:
        raise ApiError("message_not_found")
    if stored["user"] != user_id:
        raise ApiError("cant_update_message")
    text, blocks = message_content(args)
    stored["text"] = text
    if blocks is not None:
        stored["blocks"] = with_block_ids(ws, blocks)
    stored["edited"] = {"user": user_id, "ts": ws.next_ts()}
    message = copy.deepcopy({k: v for k, v in stored.items() if k != "channel"})
    return {"channel": channel_id, "ts": stored["ts"], "text": text, "message": message}


def chat_post_ephemeral(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    channel_id = channel_arg(ws, args)
    required(args, "user")
    if args["user"] not in ws.users:
        raise ApiError("user_not_found")
    if not ws.is_member(channel_id, args["user"]):
        raise ApiError("user_not_in_channel")
    text, blocks = message_content(args)
    ts = ws.next_ts()
    ws.ephemerals.append(
        {
            "channel": channel_id,
            "user": args["user"],
            "ts": ts,
            "text": text,
            "blocks": blocks or [],
            "thread_ts": args.get("thread_ts"),
        }
    )
    return {"message_ts": ts}


def conversations_replies(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    """A thread: its parent message first, then the replies the app posted in it (the
    emulator keeps only the app's own messages)."""
    channel_id = channel_arg(ws, args, users_allowed=False)
    required(args, "ts")
    ts = str(args["ts"])
    parent = next((m for m in ws.messages if m["channel"] == channel_id and m["ts"] == ts), None)
    if parent is None:
        raise ApiError("thread_not_found")
    replies = [m for m in ws.messages if m["channel"] == channel_id and m.get("thread_ts") == ts]
    limit = max(int(args.get("limit") or 1000), 1)
    found = [parent, *(m for m in replies if m is not parent)]
    messages = [copy.deepcopy({k: v for k, v in m.items() if k != "channel"}) for m in found]
    return {"messages": messages[:limit], "has_more": len(messages) > limit}
