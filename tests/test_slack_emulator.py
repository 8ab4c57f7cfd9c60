"""The Slack emulator behaves like Slack: slack_sdk and slack_bolt are the judges."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_emulator import (
    SlackEmulator,
    apost_to_app,
    app_home_opened_event,
    block_actions,
    button_action,
    event_callback,
    file_shared_event,
    message_event,
    new_trigger_id,
    sign,
    signed_event,
    signed_headers,
    signed_interaction,
    url_verification,
    validate_blocks,
    validate_view,
    view_submission,
)

pytestmark = pytest.mark.servers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def section(text: str = "Line 1", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str = "go", text: str = "Go", value: str = "1") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": text},
    }


def number_input(block_id: str, label: str = "Line 1") -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {"type": "number_input", "action_id": "qty", "is_decimal_allowed": True},
    }


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "fill_lines",
        "private_metadata": "inv-42",
        "title": {"type": "plain_text", "text": "Fill in all lines"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": blocks,
        **extra,
    }


@pytest.fixture
def slack(slack_emulator: SlackEmulator) -> SlackEmulator:
    slack_emulator.add_user("U0SAM", "sam@acme.test", "Sam Sparks", "America/Chicago")
    return slack_emulator


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.base_url)


async def eventually(probe: Callable[[], list[Any]], timeout: float = 2.0) -> list[Any]:
    """Poll `probe` until it returns a non-empty list (the app answers Slack after acking)."""
    deadline = time.monotonic() + timeout
    while not (found := probe()) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return found


def slack_error(call: Callable[[], Any]) -> tuple[str, list[str]]:
    with pytest.raises(SlackApiError) as caught:
        call()
    data = caught.value.response.data
    return data["error"], data.get("response_metadata", {}).get("messages", [])


# -- Block Kit limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "surface", "pointer"),
    [
        ([section()] * 51, "message", "/blocks"),
        ([section()] * 101, "modal", "/blocks"),
        ([section("x" * 3001)], "message", "/blocks/0/text/text"),
        ([section("")], "message", "/blocks/0/text/text"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "message",
            "/blocks/0/text/text",
        ),
        (
            [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}],
            "message",
            "/blocks/0/text/type",
        ),
        (
            [{"type": "actions", "elements": [button(text="b" * 76)]}],
            "message",
            "/blocks/0/elements/0/text/text",
        ),
        (
            [{"type": "actions", "elements": [button(value="v" * 2001)]}],
            "message",
            "/blocks/0/elements/0/value",
        ),
        (
            [{"type": "actions", "elements": [button(action_id="a" * 256)]}],
            "message",
            "/blocks/0/elements/0/action_id",
        ),
        (
            [{"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}],
            "message",
            "/blocks/0/elements",
        ),
        (
            [{"type": "actions", "elements": [button("same"), button("same")]}],
            "message",
            "/blocks/0/elements/1/action_id",
        ),
        ([section(block_id="b" * 256)], "message", "/blocks/0/block_id"),
        ([section(block_id="dup"), section(block_id="dup")], "message", "/blocks/1/block_id"),
        ([section(fields=[{"type": "mrkdwn", "text": "f"}] * 11)], "message", "/blocks/0/fields"),
        (
            [section(fields=[{"type": "mrkdwn", "text": "f" * 2001}])],
            "message",
            "/blocks/0/fields/0/text",
        ),
        ([number_input("l1", label="l" * 2001)], "modal", "/blocks/0/label/text"),
        (
            [{**number_input("l1"), "element": {"type": "number_input", "action_id": "q"}}],
            "modal",
            "/blocks/0/element",
        ),
        (
            [
                {
                    **number_input("l1"),
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "q",
                        "placeholder": {"type": "plain_text", "text": "p" * 151},
                    },
                }
            ],
            "modal",
            "/blocks/0/element/placeholder/text",
        ),
        ([{"type": "carousel"}], "message", "/blocks/0/type"),
    ],
)
def test_block_kit_limit_is_reported_with_its_json_pointer(
    blocks: list[dict[str, Any]], surface: Any, pointer: str
) -> None:
    problems = validate_blocks(blocks, surface=surface)

    assert problems, "Slack would refuse these blocks"
    assert any(
        p.startswith("[ERROR] ") and p.endswith(f"[json-pointer:{pointer}]") for p in problems
    ), problems


def test_blocks_at_the_limits_are_accepted() -> None:
    assert validate_blocks([section("x" * 3000)] * 50, surface="message") == []
    assert validate_blocks([number_input(f"l{i}") for i in range(100)], surface="modal") == []
    actions = {
        "type": "actions",
        "elements": [button(f"b{i}", "b" * 75, "v" * 2000) for i in range(25)],
    }
    assert validate_blocks([actions], surface="home") == []


@pytest.mark.parametrize(
    ("view", "pointer"),
    [
        (modal([], title={"type": "plain_text", "text": "t" * 25}), "/view/title/text"),
        (modal([], submit={"type": "plain_text", "text": "s" * 25}), "/view/submit/text"),
        (modal([], close={"type": "plain_text", "text": "c" * 25}), "/view/close/text"),
        (modal([], private_metadata="m" * 3001), "/view/private_metadata"),
        (modal([], callback_id="c" * 256), "/view/callback_id"),
        ({k: v for k, v in modal([number_input("l1")]).items() if k != "submit"}, "/view"),
        ({"type": "dialog", "blocks": []}, "/view/type"),
        (modal([section()] * 101), "/view/blocks"),
    ],
)
def test_view_limit_is_reported(view: dict[str, Any], pointer: str) -> None:
    problems = validate_view(view)

    assert any(p.endswith(f"[json-pointer:{pointer}]") for p in problems), problems


# -- Web API ---------------------------------------------------------------------------------


def test_post_message_to_a_user_lands_in_a_stable_dm_and_threads(
    slack: SlackEmulator, client: WebClient
) -> None:
    dm = client.conversations_open(users="U0SAM")["channel"]["id"]
    parent = client.chat_postMessage(channel="U0SAM", text="You are invited to bill")
    reply = client.chat_postMessage(channel=dm, text="Invoice number?", thread_ts=parent["ts"])

    assert dm.startswith("D") and parent["channel"] == dm == reply["channel"]
    assert reply["message"]["thread_ts"] == parent["ts"] < reply["ts"]
    assert client.conversations_open(users="U0SAM")["channel"]["id"] == dm
    assert [m["text"] for m in slack.messages_to("U0SAM")] == [
        "You are invited to bill",
        "Invoice number?",
    ]
    assert slack.calls_to("chat.postMessage")[1]["thread_ts"] == parent["ts"]


def test_update_changes_the_message_and_unknown_ts_is_not_found(
    slack: SlackEmulator, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U0SAM", text="Draft", blocks=[section("Draft")])
    client.chat_update(
        channel=posted["channel"], ts=posted["ts"], text="Sent", blocks=[section("Sent")]
    )

    [message] = slack.messages_to("U0SAM")
    assert message["text"] == "Sent" and message["blocks"][0]["text"]["text"] == "Sent"
    assert (
        slack_error(lambda: client.chat_update(channel=posted["channel"], ts="1.000001", text="x"))[
            0
        ]
        == "message_not_found"
    )


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "U0SAM", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "U0SAM"}, "no_text"),
        ({"channel": "C0NOWHERE", "text": "hi"}, "channel_not_found"),
        ({"channel": "U0SAM", "text": "hi", "blocks": [section("x" * 3001)]}, "invalid_blocks"),
        ({"channel": "U0SAM", "text": "hi", "blocks": [section()] * 51}, "invalid_blocks"),
    ],
)
def test_post_message_is_refused_like_slack(
    client: WebClient, kwargs: dict[str, Any], error: str
) -> None:
    assert slack_error(lambda: client.chat_postMessage(**kwargs))[0] == error


def test_invalid_blocks_come_with_slacks_messages(client: WebClient) -> None:
    error, messages = slack_error(
        lambda: client.chat_postMessage(channel="U0SAM", text="hi", blocks=[section("x" * 3001)])
    )
    assert error == "invalid_blocks"
    assert messages == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("", "not_authed"),
        ("xoxb-forged", "invalid_auth"),
        ("xapp-1-A0BILLBOT-1-billbot-test", "not_allowed_token_type"),
    ],
)
def test_bad_token_is_refused(slack: SlackEmulator, token: str, error: str) -> None:
    client = WebClient(token=token or None, base_url=slack.base_url)
    assert slack_error(lambda: client.chat_postMessage(channel="U0SAM", text="hi"))[0] == error


def test_token_may_also_come_as_a_form_field(slack: SlackEmulator) -> None:
    answer = httpx.post(slack.base_url + "auth.test", data={"token": slack.bot_token}).json()
    assert answer["ok"] and answer["user_id"] == "U0BILLBOT" and "token" not in slack.calls[0].args


def test_form_encoded_blocks_are_decoded_and_checked(slack: SlackEmulator) -> None:
    def post(blocks: str) -> dict[str, Any]:
        data = {"token": slack.bot_token, "channel": "U0SAM", "text": "hi", "blocks": blocks}
        return httpx.post(slack.base_url + "chat.postMessage", data=data).json()

    assert post(json.dumps([section("ok")]))["ok"]
    assert post("[{not json")["error"] == "invalid_blocks_format"
    assert post(json.dumps([section("x" * 3001)]))["error"] == "invalid_blocks"
    assert slack.calls_to("chat.postMessage")[0]["blocks"][0]["text"]["text"] == "ok"


def test_ephemeral_needs_a_member(slack: SlackEmulator, client: WebClient) -> None:
    slack.add_user("U0BOB", "bob@acme.test", "Bob Builder")
    slack.add_channel("C0BILLING", "billing", members=["U0SAM"])

    assert client.chat_postEphemeral(channel="C0BILLING", user="U0SAM", text="Only you")["ok"]
    assert (
        slack_error(lambda: client.chat_postEphemeral(channel="C0BILLING", user="U0BOB", text="x"))[
            0
        ]
        == "user_not_in_channel"
    )


def test_people_are_found_by_id_and_email(client: WebClient) -> None:
    assert client.users_info(user="U0SAM")["user"]["tz"] == "America/Chicago"
    assert client.users_lookupByEmail(email="Sam@Acme.test")["user"]["id"] == "U0SAM"
    assert slack_error(lambda: client.users_lookupByEmail(email="x@y.z"))[0] == "users_not_found"
    assert slack_error(lambda: client.users_info(user="U0NOBODY"))[0] == "user_not_found"


def test_views_open_refuses_a_101_block_modal_and_spent_or_stale_triggers(
    slack: SlackEmulator, client: WebClient
) -> None:
    too_big = modal([number_input(f"l{i}") for i in range(101)])
    error, messages = slack_error(
        lambda: client.views_open(trigger_id=new_trigger_id(), view=too_big)
    )
    assert error == "invalid_arguments"
    assert messages == ["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"]

    trigger = new_trigger_id()
    view = client.views_open(trigger_id=trigger, view=modal([number_input("l1")]))["view"]
    assert view["id"].startswith("V") and slack.view(view["id"])["private_metadata"] == "inv-42"
    assert slack_error(lambda: client.views_open(trigger_id=trigger, view=modal([])))[0] == (
        "exchanged_trigger_id"
    )
    stale = f"{int((time.time() - 5) * 1000)}.1.abc123"
    assert slack_error(lambda: client.views_open(trigger_id=stale, view=modal([])))[0] == (
        "expired_trigger_id"
    )


def test_views_update_checks_the_hash_and_publish_records_home(
    slack: SlackEmulator, client: WebClient
) -> None:
    opened = client.views_open(trigger_id=new_trigger_id(), view=modal([section()]))["view"]
    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal([section("Page 2")])
    )["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert (
        slack_error(
            lambda: client.views_update(
                view_id=opened["id"], hash=opened["hash"], view=modal([section()])
            )
        )[0]
        == "hash_conflict"
    )

    home = {"type": "home", "blocks": [section("Open billing periods")]}
    client.views_publish(user_id="U0SAM", view=home)
    assert slack.views_published("U0SAM")[-1]["blocks"][0]["text"]["text"] == (
        "Open billing periods"
    )
    assert slack_error(lambda: client.views_publish(user_id="U0SAM", view=modal([])))[0] == (
        "invalid_arguments"
    )


def test_rate_limit_answers_429_with_retry_after_then_succeeds(
    slack: SlackEmulator, client: WebClient
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="U0SAM", text="hi")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] in ("1", ["1"])

    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert client.chat_postMessage(channel="U0SAM", text="hi")["ok"]
    assert len(slack.calls_to("chat.postMessage")) == 3


def test_server_error_is_answered_for_the_next_n_calls(
    slack: SlackEmulator, client: WebClient
) -> None:
    slack.fail_next("users.info", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.users_info(user="U0SAM")
        assert caught.value.response.status_code == 500
    assert client.users_info(user="U0SAM")["ok"]


def test_file_download_needs_the_bot_token(slack: SlackEmulator, client: WebClient) -> None:
    file_id = slack.add_file("U0SAM", "pay-app.pdf", "application/pdf", b"%PDF-1.7 G702")
    info = client.files_info(file=file_id)["file"]
    assert (info["name"], info["mimetype"], info["size"]) == ("pay-app.pdf", "application/pdf", 13)

    authed = httpx.get(
        info["url_private_download"], headers={"Authorization": f"Bearer {slack.bot_token}"}
    )
    assert authed.status_code == 200 and authed.content == b"%PDF-1.7 G702"
    assert authed.headers["content-type"] == "application/pdf"
    for headers in ({}, {"Authorization": "Bearer xoxb-forged"}):
        anonymous = httpx.get(info["url_private"], headers=headers)
        assert anonymous.status_code == 200
        assert anonymous.headers["content-type"].startswith("text/html")
        assert b"%PDF" not in anonymous.content
    assert slack_error(lambda: client.files_info(file="F0MISSING"))[0] == "file_not_found"


def test_upload_v2_stores_and_shares_the_file(slack: SlackEmulator, client: WebClient) -> None:
    dm = client.conversations_open(users="U0SAM")["channel"]["id"]
    uploaded = client.files_upload_v2(
        channel=dm,
        content=b"a,b\n1,2\n",
        filename="g703.csv",
        title="G703",
        initial_comment="Your invoice",
    )

    info = client.files_info(file=uploaded["file"]["id"])["file"]
    assert (info["title"], info["mimetype"], info["size"]) == ("G703", "text/csv", 8)
    [message] = slack.messages_to(dm)
    assert message["text"] == "Your invoice" and message["files"][0]["id"] == info["id"]


def test_calls_from_many_threads_are_all_recorded(slack: SlackEmulator, client: WebClient) -> None:
    def post(n: int) -> None:
        for i in range(10):
            client.chat_postMessage(channel="U0SAM", text=f"{n}-{i}")

    threads = [threading.Thread(target=post, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(slack.calls_to("chat.postMessage")) == 50
    assert len({m["ts"] for m in slack.messages_to("U0SAM")}) == 50


async def test_async_client_posts_is_refused_and_retries(slack: SlackEmulator) -> None:
    client = AsyncWebClient(
        token=slack.bot_token,
        base_url=slack.base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.fail_next("chat.postMessage", status=429, retry_after=0)

    posted = await client.chat_postMessage(channel="U0SAM", text="hi", thread_ts="1.000001")
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=new_trigger_id(), view=modal([section()] * 101))

    assert posted["message"]["thread_ts"] == "1.000001"
    assert caught.value.response["error"] == "invalid_arguments"
    assert [call.method for call in slack.calls] == ["chat.postMessage"] * 2 + ["views.open"]


# -- Slack's side: signed requests -----------------------------------------------------------


def test_signature_matches_slack_sdk_and_bolt_rejects_forgeries(slack: SlackEmulator) -> None:
    event = message_event(user="U0SAM", text="INV-0042", channel=slack.dm_channel("U0SAM"))
    headers, body = signed_event(SECRET, event_callback(event))
    verifier = SignatureVerifier(SECRET)
    stamp = headers["X-Slack-Request-Timestamp"]
    assert headers["X-Slack-Signature"] == verifier.generate_signature(timestamp=stamp, body=body)
    assert sign(SECRET, stamp, body) == headers["X-Slack-Signature"]
    assert verifier.is_valid_request(body, headers)

    bot = WebClient(token=slack.bot_token, base_url=slack.base_url)
    app = App(signing_secret=SECRET, client=bot, process_before_response=True)
    seen: list[str] = []
    app.event("message")(lambda event: seen.append(event["text"]))

    def status(body: str, headers: dict[str, str]) -> int:
        return app.dispatch(BoltRequest(body=body, headers=dict(headers.items()))).status

    assert status(body, headers) == 200
    wrong_secret = signed_headers("not-the-secret", body, content_type="application/json")
    stale = signed_headers(
        SECRET, body, content_type="application/json", timestamp=int(time.time()) - 600
    )
    assert status(body, wrong_secret) == 401
    assert status(body, stale) == 401
    assert status(body.replace("INV-0042", "INV-9999"), headers) == 401
    challenge = signed_event(SECRET, url_verification("xyz"))
    answer = app.dispatch(BoltRequest(body=challenge.body, headers=dict(challenge.headers)))
    assert answer.status == 200 and "xyz" in answer.body
    assert seen == ["INV-0042"]


def test_home_opened_and_file_shared_reach_bolt_listeners(slack: SlackEmulator) -> None:
    file_id = slack.add_file("U0SAM", "lien-waiver.pdf", "application/pdf", b"%PDF-1.7")
    bot = WebClient(token=slack.bot_token, base_url=slack.base_url)
    app = App(signing_secret=SECRET, client=bot, process_before_response=True)

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [section()]})

    @app.event("file_shared")
    def shared(event: dict[str, Any], client: WebClient) -> None:
        client.files_info(file=event["file_id"])

    dm = slack.dm_channel("U0SAM")
    for event in (
        app_home_opened_event(user="U0SAM", channel=dm),
        file_shared_event(file_id=file_id, user="U0SAM", channel=dm),
    ):
        request = signed_event(
            SECRET, event_callback(event), retry_num=1, retry_reason="http_timeout"
        )
        assert request.headers["X-Slack-Retry-Num"] == "1"
        assert (
            app.dispatch(BoltRequest(body=request.body, headers=dict(request.headers))).status
            == 200
        )

    assert len(slack.views_published("U0SAM")) == 1
    assert [call["file"] for call in slack.calls_to("files.info")] == [file_id]


@pytest.fixture
async def bolt_app(slack: SlackEmulator) -> AsyncIterator[tuple[AsyncApp, str]]:
    app = AsyncApp(
        signing_secret=SECRET, client=AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    )
    server = TestServer(app.web_app(), host="127.0.0.1")
    await server.start_server()
    yield app, str(server.make_url("/slack/events"))
    await server.close()


async def test_http_mode_round_trip_through_bolt(
    slack: SlackEmulator, bolt_app: tuple[AsyncApp, str]
) -> None:
    app, url = bolt_app

    @app.action("fill_lines")
    async def open_modal(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal([number_input("l1")]))

    @app.view("fill_lines")
    async def submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        qty = view["state"]["values"]["l1"]["qty"]["value"]
        await ack(response_action="errors", errors={"l1": f"{qty} is past 100 %"})

    @app.event("message")
    async def reply(event: dict[str, Any], say: Any) -> None:
        await say(text="Got it", thread_ts=event["ts"])

    posted = await app.client.chat_postMessage(channel="U0SAM", text="Start invoice")
    clicked = block_actions(
        user="U0SAM",
        actions=[button_action("fill_lines", "inv-42")],
        channel=posted["channel"],
        message=posted["message"],
    )
    assert (await apost_to_app(url, *signed_interaction(SECRET, clicked))).status == 200
    [opened] = await eventually(lambda: slack.modals("fill_lines"))

    submitted = view_submission(user="U0SAM", view=opened, values={"l1": {"qty": 120}})
    answer = await apost_to_app(url, *signed_interaction(SECRET, submitted))
    assert answer.json == {"response_action": "errors", "errors": {"l1": "120 is past 100 %"}}

    event = event_callback(message_event(user="U0SAM", text="INV-0042", channel=posted["channel"]))
    assert (await apost_to_app(url, *signed_event(SECRET, event))).status == 200
    replies = await eventually(lambda: slack.messages_to("U0SAM")[1:])
    assert replies[0]["thread_ts"] == event["event"]["ts"]


async def test_socket_mode_delivers_events_and_takes_acks(slack: SlackEmulator) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    app = AsyncApp(signing_secret=SECRET, client=client)

    @app.event("message")
    async def echo(event: dict[str, Any], say: Any) -> None:
        await say(text=f"echo {event['text']}")

    handler = AsyncSocketModeHandler(app, slack.app_token, web_client=client)
    await handler.connect_async()
    try:
        event = message_event(user="U0SAM", text="status", channel=slack.dm_channel("U0SAM"))
        ack = await slack.asocket_send("events_api", event_callback(event))
        echoed = await eventually(lambda: slack.messages_to("U0SAM"))
    finally:
        await handler.close_async()

    assert "envelope_id" in ack
    assert [m["text"] for m in echoed] == ["echo status"]
