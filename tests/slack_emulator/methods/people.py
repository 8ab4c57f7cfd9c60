"""`auth.test`, `users.*`, `conversations.open` and `apps.connections.open`."""

from __future__ import annotations

import copy
from typing import Any

from ..state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, ApiError, Workspace
from .common import channel_arg, required


def auth_test(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    user = ws.users[user_id]
    body = {
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": "Billbot Test",
        "user": user["name"],
        "team_id": TEAM_ID,
        "user_id": user_id,
        "is_enterprise_install": False,
    }
    if user_id == BOT_USER_ID:
        body["bot_id"] = BOT_ID
    return body


def conversations_open(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    if args.get("channel"):
        channel_id = channel_arg(ws, args, users_allowed=False)
        return {"channel": copy.deepcopy(ws.channels[channel_id])}
    users = args.get("users")
    if isinstance(users, str):
        users = [u.strip() for u in users.split(",") if u.strip()]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 8:
        raise ApiError("too_many_users")
    for uid in users:
        if uid not in ws.users:
            raise ApiError("user_not_found")
        if ws.users[uid]["deleted"]:
            raise ApiError("user_disabled")
    if len(users) > 1:
        raise ApiError("not_implemented", ["[WARN] the emulator opens only 1:1 DMs"])
    if users[0] == BOT_USER_ID:
        raise ApiError("cannot_dm_bot")
    already_open = users[0] in ws.dm_by_user
    channel_id = ws.open_dm(users[0])
    channel = (
        copy.deepcopy(ws.channels[channel_id]) if args.get("return_im") else {"id": channel_id}
    )
    return {"no_op": already_open, "already_open": already_open, "channel": channel}


def users_info(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    user = ws.users.get(args.get("user") or "")
    if user is None:
        raise ApiError("user_not_found")
    return {"user": copy.deepcopy(user)}


def users_lookup_by_email(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    required(args, "email")
    email = str(args["email"]).strip().lower()
    for user in ws.users.values():
        if user["profile"].get("email", "").lower() == email and not user["deleted"]:
            return {"user": copy.deepcopy(user)}
    raise ApiError("users_not_found")


def apps_connections_open(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    ws_url = ws.public_url.replace("http://", "ws://", 1)
    return {"url": f"{ws_url}/link/?ticket={ws.new_id('t')}&app_id={APP_ID}"}
