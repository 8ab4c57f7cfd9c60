"""The emulated workspace: people, conversations, messages, views and files, plus a record of
every Web API call and the faults queued for upcoming calls. No I/O; guarded by one lock."""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

TEAM_ID = "T0BILLBOT"
TEAM_DOMAIN = "billbot-test"
APP_ID = "A0BILLBOT"
BOT_ID = "B0BILLBOT"
BOT_USER_ID = "U0BILLBOT"
BOT_NAME = "billbot"


class Call(NamedTuple):
    """One recorded Web API call (the token is not part of `args`)."""

    method: str
    args: dict[str, Any]


@dataclass
class Fault:
    """An HTTP failure to answer instead of the method's real response."""

    status: int
    retry_after: int | None
    error: str | None
    remaining: int


@dataclass
class StoredFile:
    id: str
    user: str
    name: str
    mimetype: str
    content: bytes | None
    title: str = ""
    created: int = field(default_factory=lambda: int(time.time()))
    channels: list[str] = field(default_factory=list)


class ApiError(Exception):
    """A Slack `{"ok": false, "error": ...}` answer, with optional `response_metadata.messages`."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


class Workspace:
    """A fake Slack workspace that the Web API handlers read and change. Thread-safe."""

    def __init__(self, *, bot_token: str, app_token: str) -> None:
        self.lock = threading.RLock()
        self.public_url = "http://127.0.0.1"
        self.bot_token = bot_token
        self.app_token = app_token
        self.trigger_ttl: float | None = 3.0
        self.tokens: dict[str, tuple[str, str]] = {
            bot_token: ("bot", BOT_USER_ID),
            app_token: ("app", ""),
        }
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.dm_by_user: dict[str, str] = {}
        self.messages: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.files: dict[str, StoredFile] = {}
        self.uploads: dict[str, str] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, list[dict[str, Any]]] = {}
        self.used_triggers: set[str] = set()
        self._calls: list[Call] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._seq = itertools.count(1)
        self._last_ts = 0.0
        self.add_user(BOT_USER_ID, "", BOT_NAME, "UTC", is_bot=True)

    # -- set-up, for tests ------------------------------------------------------------------

    def add_user(
        self,
        id: str,
        email: str,
        name: str,
        tz: str = "America/Chicago",
        *,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Register a person; `name` is the real name, the handle comes from the email."""
        zone = ZoneInfo(tz)
        offset = datetime.now(zone).utcoffset()
        handle = email.split("@")[0] if email else name.lower().replace(" ", ".")
        profile = {
            "real_name": name,
            "display_name": name,
            "real_name_normalized": name,
            "display_name_normalized": name,
            "team": TEAM_ID,
        }
        if email:
            profile["email"] = email
        user = {
            "id": id,
            "team_id": TEAM_ID,
            "name": handle,
            "real_name": name,
            "deleted": deleted,
            "tz": tz,
            "tz_label": datetime.now(zone).tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": is_bot,
            "is_app_user": False,
            "is_admin": False,
            "updated": int(time.time()),
            "profile": profile,
        }
        with self.lock:
            self.users[id] = user
        return copy.deepcopy(user)

    def add_channel(self, id: str, name: str, members: list[str] | None = None) -> None:
        """Register a channel the bot is in; `members=None` means everyone is a member."""
        with self.lock:
            self.channels[id] = {
                "id": id,
                "name": name,
                "is_channel": True,
                "is_im": False,
                "created": int(time.time()),
                "members": members,
            }

    def add_token(self, token: str, user_id: str) -> None:
        """Register a user token (`xoxp-...`) acting as `user_id`."""
        with self.lock:
            self.tokens[token] = ("user", user_id)

    def add_file(self, owner: str, name: str, mimetype: str, content: bytes) -> str:
        """Store a file as if `owner` had uploaded it; returns its id."""
        with self.lock:
            file_id = self.new_id("F")
            self.files[file_id] = StoredFile(file_id, owner, name, mimetype, content, title=name)
            return file_id

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        error: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` (429 with Retry-After,
        5xx) or, with `status=200`, with `{"ok": false, "error": error}`."""
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(status, retry_after if status == 429 else None, error, times)
        with self.lock:
            self._faults.setdefault(method, deque()).append(fault)

    # -- inspection, for tests ---------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every Web API call so far, oldest first, including rejected ones."""
        with self.lock:
            return copy.deepcopy(self._calls)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call to `method`."""
        return [call.args for call in self.calls if call.method == method]

    def messages_to(self, channel: str) -> list[dict[str, Any]]:
        """Messages the app posted (as they are now) to a channel id, or a user id's DM."""
        with self.lock:
            channel_id = self.dm_by_user.get(channel, channel)
            return [copy.deepcopy(m) for m in self.messages if m["channel"] == channel_id]

    def views_published(self, user: str) -> list[dict[str, Any]]:
        """Every App Home view published for `user`, oldest first."""
        with self.lock:
            return copy.deepcopy(self.home_views.get(user, []))

    def modals(self, callback_id: str | None = None) -> list[dict[str, Any]]:
        """Modal views opened or pushed so far (as they are now), optionally by `callback_id`."""
        with self.lock:
            return [
                copy.deepcopy(v)
                for v in self.views.values()
                if v["type"] == "modal" and callback_id in (None, v["callback_id"])
            ]

    def dm_channel(self, user: str) -> str:
        """The id of the app's DM with `user` (opened if needed), for building events."""
        with self.lock:
            return self.open_dm(user)

    def view(self, view_id: str) -> dict[str, Any]:
        """A view as Slack holds it now (modal or home), e.g. to build a view_submission."""
        with self.lock:
            return copy.deepcopy(self.views[view_id])

    def file_object(self, file_id: str) -> dict[str, Any]:
        """The file object Slack puts in `files.info` and in message events."""
        with self.lock:
            f = self.files[file_id]
            base = f"{self.public_url}/files-pri/{TEAM_ID}-{f.id}"
            extension = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
            return {
                "id": f.id,
                "created": f.created,
                "timestamp": f.created,
                "name": f.name,
                "title": f.title or f.name,
                "mimetype": f.mimetype,
                "filetype": extension,
                "pretty_type": extension.upper(),
                "user": f.user,
                "user_team": TEAM_ID,
                "editable": False,
                "size": len(f.content or b""),
                "mode": "hosted",
                "is_external": False,
                "external_type": "",
                "is_public": False,
                "public_url_shared": False,
                "display_as_bot": False,
                "username": "",
                "url_private": f"{base}/{f.name}",
                "url_private_download": f"{base}/download/{f.name}",
                "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{f.user}/{f.id}/{f.name}",
                "channels": [c for c in f.channels if c.startswith("C")],
                "groups": [],
                "ims": [c for c in f.channels if c.startswith("D")],
                "comments_count": 0,
            }

    # -- used by the handlers ----------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):010X}"

    def next_ts(self) -> str:
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def record(self, method: str, args: dict[str, Any]) -> None:
        self._calls.append(Call(method, copy.deepcopy(args)))

    def take_fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def open_dm(self, user_id: str) -> str:
        channel_id = self.dm_by_user.get(user_id)
        if channel_id is None:
            channel_id = self.new_id("D")
            self.dm_by_user[user_id] = channel_id
            self.channels[channel_id] = {
                "id": channel_id,
                "created": int(time.time()),
                "is_im": True,
                "is_org_shared": False,
                "user": user_id,
                "is_user_deleted": False,
                "priority": 0,
                "members": [user_id, BOT_USER_ID],
            }
        return channel_id

    def resolve_channel(self, channel: Any, *, users_allowed: bool = True) -> str | None:
        """A channel id for a channel id, `#name` or (when allowed) a user id; None if unknown."""
        if not isinstance(channel, str) or not channel:
            return None
        if channel in self.channels:
            return channel
        if users_allowed and channel in self.users and channel != BOT_USER_ID:
            return self.open_dm(channel)
        name = channel.lstrip("#")
        return next((c["id"] for c in self.channels.values() if c.get("name") == name), None)

    def is_member(self, channel_id: str, user_id: str) -> bool:
        members = self.channels[channel_id].get("members")
        return members is None or user_id in members
