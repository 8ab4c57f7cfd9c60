"""Argument checks shared by the Web API method handlers."""

from __future__ import annotations

from typing import Any

from ..blockkit import MAX_MESSAGE_TEXT, validate_blocks
from ..state import ApiError, Workspace


def required(args: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if args.get(n) in (None, "")]
    if missing:
        messages = [f"[ERROR] missing required field: {name}" for name in missing]
        raise ApiError("invalid_arguments", messages)


def message_content(args: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    text = str(args.get("text") or "")
    blocks = args.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    if not text and not blocks and not args.get("attachments"):
        raise ApiError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    if blocks:
        problems = validate_blocks(blocks, surface="message")
        if problems:
            raise ApiError("invalid_blocks", problems)
    return text, blocks


def with_block_ids(ws: Workspace, blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{**b, "block_id": b.get("block_id") or ws.new_id("b")} for b in blocks or []]


def channel_arg(ws: Workspace, args: dict[str, Any], *, users_allowed: bool = True) -> str:
    channel_id = ws.resolve_channel(args.get("channel"), users_allowed=users_allowed)
    if channel_id is None:
        raise ApiError("channel_not_found")
    return channel_id
