"""Files shared in a DM: `files.info`, download with the bot token, check, store by content.

Slack answers a download without a valid token with its sign-in page (HTTP 200, HTML), so
an HTML body where another type was expected is treated as a failed download.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from models.attachments import (
    AttachmentError,
    AttachmentLimits,
    AttachmentRef,
    human_size,
    store_attachment,
)
from models.i18n import N_, Sentence

from .errors import DownloadError, SlackCallError, slack_call

TIMEOUT = aiohttp.ClientTimeout(total=60)


async def fetch_file(
    client: AsyncWebClient, file_id: str, *, token: str, max_bytes: int
) -> tuple[dict[str, Any], bytes]:
    """The file object and its bytes; raises `DownloadError` with a message for the person."""
    try:
        with slack_call("files.info"):
            info = (await client.files_info(file=file_id))["file"]
    except SlackCallError as exc:
        raise DownloadError(
            Sentence(N_("I couldn't read that file from Slack ({code})."), {"code": exc.code})
        ) from exc
    name = info.get("name") or info.get("title") or file_id
    size = int(info.get("size") or 0)
    if size > max_bytes:
        raise DownloadError(
            Sentence(
                N_(
                    "{file} is {size}; the limit is {limit} per file. Please share a smaller "
                    "file (for example a compressed PDF)."
                ),
                {"file": name, "size": human_size(size), "limit": human_size(max_bytes)},
            )
        )
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise DownloadError(
            Sentence(
                N_("{file} can't be downloaded (Slack gave no download link)."), {"file": name}
            )
        )
    data = await _download(
        url, token=token, name=name, expected=info.get("mimetype") or "", max_bytes=max_bytes
    )
    return info, data


async def _download(url: str, *, token: str, name: str, expected: str, max_bytes: int) -> bytes:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
            session.get(url, headers=headers) as response,
        ):
            if response.status != 200:
                raise DownloadError(
                    Sentence(
                        N_("I couldn't download {file} (HTTP {status})."),
                        {"file": name, "status": response.status},
                    )
                )
            content_type = response.headers.get("Content-Type", "")
            data = await response.content.read(max_bytes + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DownloadError(
            Sentence(N_("I couldn't download {file}; please share it again."), {"file": name})
        ) from exc
    if len(data) > max_bytes:
        raise DownloadError(
            Sentence(
                N_("{file} is larger than {limit}; please share a smaller file."),
                {"file": name, "limit": human_size(max_bytes)},
            )
        )
    if _is_login_page(content_type, data, expected):
        raise DownloadError(
            Sentence(
                N_(
                    "I couldn't download {file}: Slack sent its sign-in page instead of the "
                    "file. Please ask the billbot administrator to check the app's files:read "
                    "permission."
                ),
                {"file": name},
            )
        )
    return data


def _is_login_page(content_type: str, data: bytes, expected: str) -> bool:
    if expected.startswith("text/html"):
        return False
    head = data[:512].lstrip().lower()
    return content_type.startswith("text/html") or head.startswith((b"<!doctype html", b"<html"))


async def store_shared_file(
    client: AsyncWebClient,
    file_id: str,
    *,
    token: str,
    attachments_dir: Path,
    limits: AttachmentLimits,
) -> AttachmentRef:
    """Fetch, check and store one shared file; raises `DownloadError` with the reason."""
    info, data = await fetch_file(client, file_id, token=token, max_bytes=limits.max_bytes)
    try:
        return await asyncio.to_thread(
            store_attachment,
            attachments_dir,
            filename=info.get("name") or file_id,
            data=data,
            content_type=info.get("mimetype"),
            source="slack",
            limits=limits,
        )
    except AttachmentError as exc:
        raise DownloadError(exc.sentence) from exc
