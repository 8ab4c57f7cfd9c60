"""Text between the engine and Slack: mrkdwn escaping out, Slack's markup removed in."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Engine text as Slack mrkdwn: only `&`, `<` and `>` need escaping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inbound(text: str) -> str:
    """A message's text as the person typed it: links and mentions to their label, entities
    decoded (`<mailto:a@b|a@b>` -> `a@b`, `&amp;` -> `&`)."""

    def label(match: re.Match[str]) -> str:
        target, shown = match.group(1), match.group(2)
        if shown:
            return shown
        return target.split(":", 1)[1] if target.startswith("mailto:") else target

    return html.unescape(_LINK.sub(label, text or ""))


def cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, split at paragraph, then line breaks."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()]
