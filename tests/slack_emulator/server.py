"""The emulator's HTTP side: an aiohttp app on 127.0.0.1, run on its own thread and event loop so
sync and async tests alike can use it. Serves the Web API under `/api/`, private file downloads,
the upload URLs of `files.getUploadURLExternal`, and a Socket Mode WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import uuid
from functools import partial
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web

from .methods import APP_TOKEN_METHODS, METHODS
from .state import APP_ID, ApiError, Workspace

_JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata")
_RETIRED = {"files.upload": "method_deprecated"}
LOGIN_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Slack</title></head>
<body><h1>Sign in to billbot-test</h1><form action="/signin" method="post">
<input type="email" name="email"><input type="password" name="password"></form></body></html>"""


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def _read_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError("invalid_json") from None
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            args.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        elif content_type != "text/plain":
            raise ApiError("invalid_post_type")
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(args[key])
    return args


class SlackEmulator(Workspace):
    """A local Slack: `WebClient(token=emulator.bot_token, base_url=emulator.base_url)`.

    Use as a context manager, or call `start()` / `stop()`.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-1-billbot-test",
        app_token: str = "xapp-1-A0BILLBOT-1-billbot-test",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(bot_token=bot_token, app_token=app_token)
        self.host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}

    @property
    def base_url(self) -> str:
        """The Web API base URL, with its trailing slash as slack_sdk expects."""
        return f"{self.public_url}/api/"

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        """Bind a free port (or the one given) and serve; returns self."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="slack-emulator", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
            raise
        self._loop, self._thread = loop, thread
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket, then end the server thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        files = "/files-pri/{team_file}"
        app.router.add_get(files + "/download/{name}", partial(self._download, attachment=True))
        app.router.add_get(files + "/{name}", partial(self._download, attachment=False))
        app.router.add_post("/upload/v1/{upload_id}", self._upload)
        app.router.add_get("/link/", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, self._port))
        await web.SockSite(self._runner, sock).start()
        self.public_url = f"http://{self.host}:{sock.getsockname()[1]}"

    async def _close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- HTTP handlers -----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await _read_args(request)
        except ApiError as exc:
            return web.json_response(exc.body())
        token = _bearer(request) or args.get("token")
        args.pop("token", None)
        with self.lock:
            self.record(method, args)
            fault = self.take_fault(method)
        if fault is not None:
            if fault.status == 429:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(fault.retry_after)},
                )
            return web.json_response(
                {"ok": False, "error": fault.error or "internal_error"}, status=fault.status
            )
        try:
            with self.lock:
                user_id = self._authenticate(token, method)
                if method in _RETIRED:
                    raise ApiError(_RETIRED[method])
                handler = METHODS.get(method)
                if handler is None:
                    raise ApiError("unknown_method")
                body = {"ok": True, **handler(self, args, user_id)}
        except ApiError as exc:
            body = exc.body()
        return web.json_response(body)

    def _authenticate(self, token: str | None, method: str) -> str:
        if not token:
            raise ApiError("not_authed")
        if token not in self.tokens:
            raise ApiError("invalid_auth")
        kind, user_id = self.tokens[token]
        if (kind == "app") != (method in APP_TOKEN_METHODS):
            raise ApiError("not_allowed_token_type")
        return user_id

    async def _download(self, request: web.Request, *, attachment: bool) -> web.StreamResponse:
        token = _bearer(request)
        file_id = request.match_info["team_file"].partition("-")[2]
        with self.lock:
            authed = token in self.tokens and self.tokens[token][0] != "app"
            stored = self.files.get(file_id)
        # Like Slack: a missing or wrong token gets the sign-in page with status 200, not a 401.
        if not authed:
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        if stored is None or stored.content is None:
            return web.Response(status=404, text="File not found")
        headers = {"Content-Type": stored.mimetype}
        if attachment:
            headers["Content-Disposition"] = f'attachment; filename="{stored.name}"'
        return web.Response(body=stored.content, headers=headers)

    async def _upload(self, request: web.Request) -> web.Response:
        if request.content_type == "multipart/form-data":
            form = await request.post()
            part = next((v for v in form.values() if isinstance(v, web.FileField)), None)
            data = part.file.read() if part is not None else b""
        else:
            data = await request.read()
        with self.lock:
            file_id = self.uploads.pop(request.match_info["upload_id"], None)
            if file_id is None:
                return web.Response(status=404, text="upload not found")
            self.files[file_id].content = data
        return web.Response(text=f"OK - {len(data)}")

    # -- Socket Mode -------------------------------------------------------------------------

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "slack-emulator"},
                "connection_info": {"app_id": APP_ID},
            }
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(msg.data)
                waiter = self._acks.pop(ack.get("envelope_id", ""), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(ack)
        finally:
            self._sockets.remove(ws)
        return ws

    async def _send_envelope(
        self, kind: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._sockets:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("no Socket Mode connection")
            await asyncio.sleep(0.02)
        envelope_id = str(uuid.uuid4())
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiter
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        try:
            return await asyncio.wait_for(
                waiter, max(deadline - asyncio.get_running_loop().time(), 0.01)
            )
        finally:
            self._acks.pop(envelope_id, None)

    def socket_send(
        self, kind: str, payload: dict[str, Any], *, timeout: float = 3.0
    ) -> dict[str, Any]:
        """Deliver `payload` over Socket Mode (`kind`: `events_api`, `interactive`,
        `slash_commands`) and return the app's ack, waiting for the app to connect."""
        if self._loop is None:
            raise RuntimeError("the emulator is not running")
        future = asyncio.run_coroutine_threadsafe(
            self._send_envelope(kind, payload, timeout), self._loop
        )
        return future.result(timeout + 1)

    async def asocket_send(
        self, kind: str, payload: dict[str, Any], *, timeout: float = 3.0
    ) -> dict[str, Any]:
        """`socket_send` for async tests."""
        if self._loop is None:
            raise RuntimeError("the emulator is not running")
        future = asyncio.run_coroutine_threadsafe(
            self._send_envelope(kind, payload, timeout), self._loop
        )
        return await asyncio.wrap_future(future)
