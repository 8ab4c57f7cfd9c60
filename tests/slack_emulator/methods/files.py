"""`files.*`: file info and the two-step external upload."""

from __future__ import annotations

import mimetypes
from typing import Any

from ..state import ApiError, StoredFile, Workspace
from .common import required


def files_info(ws: Workspace, args: dict[str, Any], user_id: str) -> dict[str, Any]:
    required(args, "file")
    stored = ws.files.get(str(args["file"]))
    if stored is None or stored.content is None:
        raise ApiError("file_not_found")
    return {
        "file": ws.file_object(stored.id),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


def files_get_upload_url_external(
    ws: Workspace, args: dict[str, Any], user_id: str
) -> dict[str, Any]:
    required(args, "filename", "length")
    try:
        length = int(args["length"])
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments", ["[ERROR] length must be an integer"]) from None
    if length <= 0:
        raise ApiError("invalid_arguments", ["[ERROR] length must be positive"])
    file_id = ws.new_id("F")
    name = str(args["filename"])
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    ws.files[file_id] = StoredFile(file_id, user_id, name, mimetype, None, title=name)
    upload_id = ws.new_id("u")
    ws.uploads[upload_id] = file_id
    return {"upload_url": f"{ws.public_url}/upload/v1/{upload_id}", "file_id": file_id}


def files_complete_upload_external(
    ws: Workspace, args: dict[str, Any], user_id: str
) -> dict[str, Any]:
    required(args, "files")
    items = args["files"]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ApiError("invalid_arguments", ["[ERROR] files must be an array of objects"])
    channel_id = None
    if args.get("channel_id") or args.get("channels"):
        target = args.get("channel_id") or str(args["channels"]).split(",")[0]
        channel_id = ws.resolve_channel(target)
        if channel_id is None:
            raise ApiError("invalid_channel")
    stored = []
    for item in items:
        f = ws.files.get(str(item.get("id")))
        if f is None or f.content is None:
            raise ApiError("file_not_found")
        f.title = item.get("title") or f.title
        stored.append(f)
    if channel_id is not None:
        for f in stored:
            f.channels.append(channel_id)
        message = {
            "type": "message",
            "user": user_id,
            "text": args.get("initial_comment") or "",
            "ts": ws.next_ts(),
            "upload": True,
            "channel": channel_id,
            "files": [ws.file_object(f.id) for f in stored],
        }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        ws.messages.append(message)
    return {"files": [{"id": f.id, "title": f.title} for f in stored]}
