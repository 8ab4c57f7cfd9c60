"""`SlackWorker`: the Slack channel as one long-running task — the bolt app (Socket Mode
when an app token is set, else HTTP on `settings.slack.port` at `/slack/events`) and the
Slack outbox sender, woken after each turn and on a timer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.review import review_service
from bot.settings import Settings
from conversations.review_service import ReviewService
from conversations.service import SentHook, utc_now
from models.attachments import DEFAULT_LIMITS
from models.tables import Invoice

from .channel import SlackChannel
from .errors import SlackError, slack_call
from .events import Events
from .interactions import Interactions
from .notify import queue_slack_sent_notification
from .review import ReviewActions
from .sender import SlackSender

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
SWITCH_SECONDS = 0.0005


def make_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: `settings.slack.api_url` when set; 429s and 5xx retried."""
    slack = settings.slack
    if slack.bot_token is None:
        raise SlackError("BILLBOT_SLACK__BOT_TOKEN is not set")
    kwargs: dict[str, Any] = {}
    if slack.api_url:
        kwargs["base_url"] = slack.api_url if slack.api_url.endswith("/") else slack.api_url + "/"
    return AsyncWebClient(
        token=slack.bot_token.get_secret_value(),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
        **kwargs,
    )


class SlackWorker:
    """The Slack channel: `run_forever` serves and delivers; `run_once` only delivers."""

    name = "slack"

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        poll_seconds: float = 5.0,
        file_shared_delay: float = 2.0,
        on_sent: SentHook | None = None,
        reviews: ReviewService | None = None,
        reuse_port: bool = False,
    ) -> None:
        self.settings = settings
        self.reuse_port = reuse_port  # HTTP: several workers share the port (SO_REUSEPORT)
        self.client = make_client(settings)
        self.poll_seconds = poll_seconds
        self.port: int | None = None  # the HTTP port, once serving
        self._wake = asyncio.Event()
        self._auth: AuthorizeResult | None = None
        limits = replace(DEFAULT_LIMITS, max_bytes=settings.slack.max_file_bytes)
        self.channel = SlackChannel(
            engine,
            self.client,
            bot_token=self.client.token or "",
            attachments_dir=settings.attachments_dir,
            limits=limits,
            clock=clock,
            poke=self.poke,
            file_shared_delay=file_shared_delay,
            on_sent=on_sent or self._notify_on_slack,
        )
        # The process's one ReviewService (`bot.runtime`); built here when run on its own.
        self.reviews = reviews or review_service(
            engine, settings, on_sent=on_sent or self._notify_on_slack, clock=clock
        )
        self.sender = SlackSender(engine, self.client, executor=self.channel.database)
        self.events = Events(self.channel)
        self.inbox = self.channel.inbox
        self.app = self._make_app()

    def _make_app(self) -> AsyncApp:
        secret = self.settings.slack.signing_secret
        if secret is None and not self.socket_mode:
            raise SlackError("HTTP mode needs BILLBOT_SLACK__SIGNING_SECRET (or set an app token)")
        app = AsyncApp(
            # bolt's own client gets the token from `authorize`; the listeners use self.client
            client=AsyncWebClient(base_url=self.client.base_url),
            signing_secret=secret.get_secret_value() if secret else "",
            authorize=self._bolt_authorizer(),
            # Listeners finish before the ack, and touch no database but to check a
            # modal page (its errors are in the ack): a turn is queued for the inbox, the
            # rest (modals opened, Home, the review) runs in tasks after the ack.
            process_before_response=True,
            request_verification_enabled=secret is not None,
        )
        self.events.register(app)
        Interactions(self.channel).register(app)
        ReviewActions(self.channel, self.reviews).register(app)
        return app

    @property
    def socket_mode(self) -> bool:
        return self.settings.slack.app_token is not None

    async def _authorize(self, **_: Any) -> AuthorizeResult:
        if self._auth is None:
            with slack_call("auth.test"):
                response = await self.client.auth_test()
            self._auth = AuthorizeResult.from_auth_test_response(
                auth_test_response=response, bot_token=self.client.token
            )
        return self._auth

    def _bolt_authorizer(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Bolt's `authorize`: one `auth.test` per process (bolt inspects the argument names,
        so this is a plain function, not a bound method)."""

        async def authorize(team_id: str | None) -> AuthorizeResult:
            return await self._authorize()

        return authorize

    def poke(self) -> None:
        """Deliver the outbox now (called after each turn that queued something)."""
        self._wake.set()

    def _notify_on_slack(self, session: Session, invoice: Invoice, now: datetime) -> None:
        queue_slack_sent_notification(session, invoice=invoice, settings=self.settings)

    async def run_once(self) -> int:
        """Run the turns of the inbox's pending messages, then deliver the due Slack outbox
        rows; returns how many were sent."""
        try:
            await self.inbox.drain()
        except Exception:  # the rows stay pending; the outbox is delivered all the same
            log.exception("slack inbox pass failed")
        return await self.sender.run_once()

    async def run_forever(self, stop: asyncio.Event, *, ready: asyncio.Event | None = None) -> None:
        """Serve Slack and deliver the outbox until `stop` is set."""
        await self._authorize()
        # The turns' threads hold the GIL for long stretches of ORM work; the acks' event
        # loop gets it back after this long instead of Python's default 5 ms.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_SECONDS))
        # The inbox's turns run in a task of their own, from rows a killed worker left too.
        inbox = asyncio.create_task(self.inbox.run_forever(stop, poll_seconds=self.poll_seconds))
        try:
            await self._serve(stop, ready)
        except BaseException:
            inbox.cancel()
            raise
        finally:
            with contextlib.suppress(asyncio.CancelledError):
                await inbox

    async def _serve(self, stop: asyncio.Event, ready: asyncio.Event | None) -> None:
        # One HTTP session for the Web API while serving: its connections are kept alive
        # (slack_sdk opens and closes one per call otherwise).
        async with aiohttp.ClientSession() as http, self._serving():
            self.client.session = http
            if ready is not None:
                ready.set()
            while not stop.is_set():
                try:
                    await self.sender.run_once()
                except Exception:
                    log.exception("slack outbox pass failed")
                self._wake.clear()
                waits = [asyncio.ensure_future(e.wait()) for e in (stop, self._wake)]
                await asyncio.wait(
                    waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in waits:
                    waiter.cancel()
            await self.channel.close()
            self.client.session = None

    @contextlib.asynccontextmanager
    async def _serving(self) -> Any:
        if self.socket_mode:
            token = self.settings.slack.app_token
            assert token is not None
            handler = AsyncSocketModeHandler(
                self.app, token.get_secret_value(), web_client=self.client
            )
            await handler.connect_async()
            try:
                yield
            finally:
                await handler.close_async()
            return
        runner = web.AppRunner(self.app.web_app(path=EVENTS_PATH), access_log=None)
        await runner.setup()
        site = web.TCPSite(
            runner, host="0.0.0.0", port=self.settings.slack.port, reuse_port=self.reuse_port
        )
        await site.start()
        self.port = runner.addresses[0][1] if runner.addresses else self.settings.slack.port
        log.info("slack: serving HTTP on port %s at %s", self.port, EVENTS_PATH)
        try:
            yield
        finally:
            await runner.cleanup()
