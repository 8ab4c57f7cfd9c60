"""`views.*`: modals (open, push, update) and the App Home tab (publish)."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from ..blockkit import validate_view
from ..payloads import trigger_issued_at
from ..state import APP_ID, BOT_ID, TEAM_ID, ApiError, Workspace
from .common import required, with_block_ids

_TRIGGER = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")


def _checked_view(args: dict[str, Any], *, kind: str) -> dict[str, Any]:
    required(args, "view")
    view = args["view"]
    problems = validate_view(view)
    if not problems and view["type"] != kind:
        problems = [f"[ERROR] must be '{kind}' for this method [json-pointer:/view/type]"]
    if problems:
        raise ApiError("invalid_arguments", problems)
    return view


def _exchange_trigger(ws: Workspace, args: dict[str, Any]) -> None:
    required(args, "trigger_id")
    trigger_id = str(args["trigger_id"])
    if not _TRIGGER.match(trigger_id):
        raise ApiError("invalid_arguments", ["invalid `trigger_id`"])
    if trigger_id in ws.used_triggers:
        raise ApiError("exchanged_trigger_id")
    if ws.trigger_ttl is not None and time.time() - trigger_issued_at(trigger_id) > ws.trigger_ttl:
        raise ApiError("expired_trigger_id")
    ws.used_triggers.add(trigger_id)


def _store_view(
    ws: Workspace, view: dict[str, Any], *, view_id: str | None = None
) -> dict[str, Any]:
    external_id = view.get("external_id", "")
    if external_id and any(
        v["external_id"] == external_id and v["id"] != view_id for v in ws.views.values()
    ):
        raise ApiError("duplicate_external_id")
    old = ws.views.get(view_id or "")
    view_id = view_id or ws.new_id("V")
    stored = {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": view["type"],
        "blocks": with_block_ids(ws, view["blocks"]),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": external_id,
        "state": old["state"] if old else {"values": {}},
        "hash": f"{int(time.time())}.{ws.new_id('')}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "root_view_id": old["root_view_id"] if old else view_id,
        "previous_view_id": old["previous_view_id"] if old else None,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
    }
    for key in ("title", "submit", "close"):
        if key in view:
            stored[key] = view[key]
    ws.views[view_id] = stored
    return copy.deepcopy(stored)


def views_open(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    """`views.open`, and `views.push` too: the emulator cannot tell which modal a trigger came
    from, so a pushed view starts a stack of its own (no `previous_view_id`, no push limit)."""
    view = _checked_view(args, kind="modal")
    _exchange_trigger(ws, args)
    return {"view": _store_view(ws, view)}


def views_update(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    if not args.get("view_id") and not args.get("external_id"):
        raise ApiError("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
    current = ws.views.get(args.get("view_id") or "") or next(
        (
            v
            for v in ws.views.values()
            if args.get("external_id") and v["external_id"] == args["external_id"]
        ),
        None,
    )
    if current is None:
        raise ApiError("not_found")
    if args.get("hash") and args["hash"] != current["hash"]:
        raise ApiError("hash_conflict")
    return {
        "view": _store_view(ws, _checked_view(args, kind=current["type"]), view_id=current["id"])
    }


def views_publish(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    required(args, "user_id")
    user = str(args["user_id"])
    if user not in ws.users:
        raise ApiError("user_not_found")
    view = _checked_view(args, kind="home")
    history = ws.home_views.setdefault(user, [])
    current = history[-1] if history else None
    if current and args.get("hash") and args["hash"] != current["hash"]:
        raise ApiError("hash_conflict")
    stored = _store_view(ws, view, view_id=current["id"] if current else None)
    history.append(copy.deepcopy(stored))
    return {"view": stored}
