"""`billbot mail login`: the OAuth2 device-code flow (RFC 8628), once, to get a refresh token.

The person signing in opens the URL shown on any device and types the code; billbot polls
the token endpoint until they are done, then keeps the refresh token (encrypted) in the
database. Microsoft goes through msal; any other endpoint through authlib. Google does not
allow the mail scope in this flow, so it is refused with the alternatives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from mail.auth.providers import (
    MICROSOFT_USER_SCOPES,
    GenericSource,
    MicrosoftSource,
    reaching,
    scopes_for,
    token_source,
)
from mail.auth.refusals import SETTING, token_refused
from mail.auth.store import RefreshTokenStore
from mail.config import Auth, MailSettings, Provider
from mail.errors import MailConfigError, SignInError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def login(settings: MailSettings, engine: Engine, *, show: Callable[[str], None]) -> None:
    """Run the device flow, `show` the person what to do, keep the refresh token."""
    if settings.auth != Auth.oauth2:
        raise MailConfigError("set BILLBOT_MAIL__AUTH=oauth2 (and the OAuth2 settings) first")
    if settings.oauth2.provider == Provider.google:
        raise MailConfigError(
            "Google does not allow the mail scope (https://mail.google.com/) in the device "
            f"flow: use a service account with domain-wide delegation ({SETTING}"
            f"SERVICE_ACCOUNT_FILE), or a refresh token from your own OAuth client in "
            f"{SETTING}REFRESH_TOKEN"
        )
    store = RefreshTokenStore(engine, settings)  # checks the secret before anyone signs in
    source = token_source(settings)
    if isinstance(source, MicrosoftSource):
        refresh_token = _microsoft(source, show)
    else:
        assert isinstance(source, GenericSource)
        refresh_token = _generic(source, settings, show)
    if not refresh_token:
        raise SignInError(
            "the sign-in worked but the endpoint issued no refresh token",
            fix=f"ask for offline access: add offline_access to {SETTING}SCOPE",
        )
    store.save(refresh_token)


def _microsoft(source: MicrosoftSource, show: Callable[[str], None]) -> str | None:
    app = source.application()
    if not hasattr(app, "initiate_device_flow"):
        raise MailConfigError(
            f"`mail login` signs in as a public client: unset {SETTING}CLIENT_SECRET and turn "
            "on `Allow public client flows` in the app registration (Authentication)"
        )
    scopes = scopes_for(source.settings, MICROSOFT_USER_SCOPES)
    with reaching(source.endpoint):
        flow = app.initiate_device_flow(scopes=scopes)
        if "user_code" not in flow:
            raise _refused(source.endpoint, flow)
        show(str(flow.get("message") or _instructions(flow)))
        result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise _refused(source.endpoint, result)
    return result.get("refresh_token")


def _generic(
    source: GenericSource, settings: MailSettings, show: Callable[[str], None]
) -> str | None:
    url = settings.oauth2.device_authorization_url
    if not url:
        raise MailConfigError(
            f"set {SETTING}DEVICE_AUTHORIZATION_URL: the provider's device authorization "
            "endpoint (RFC 8628)"
        )

    def authorize(client: Any) -> dict[str, Any]:
        data = {"client_id": settings.oauth2.client_id, "scope": settings.oauth2.scope or ""}
        response = client.post(url, data=data, withhold_token=True)
        answer = response.json()
        return answer if isinstance(answer, dict) else {"error": "invalid_response"}

    flow = source.call(authorize)
    if "device_code" not in flow:
        raise _refused(url, flow)
    show(str(flow.get("message") or _instructions(flow)))
    interval = float(flow.get("interval") or 5)
    deadline = time.monotonic() + float(flow.get("expires_in") or 600)
    while True:
        time.sleep(interval)

        def poll(client: Any) -> dict[str, Any]:
            return dict(
                client.fetch_token(
                    source.endpoint, grant_type=DEVICE_GRANT, device_code=flow["device_code"]
                )
            )

        result = source.call(poll)
        error = result.get("error")
        if error == "authorization_pending" and time.monotonic() < deadline:
            continue
        if error == "slow_down" and time.monotonic() < deadline:
            interval += 5  # RFC 8628 §3.5
            continue
        if "access_token" not in result:
            raise _refused(source.endpoint, result)
        return result.get("refresh_token")


def _instructions(flow: dict[str, Any]) -> str:
    uri = flow.get("verification_uri_complete") or flow.get("verification_uri")
    return f"To sign in, open {uri} and enter the code {flow.get('user_code')}."


def _refused(endpoint: str, answer: dict[str, Any]) -> SignInError:
    return token_refused(
        endpoint,
        str(answer.get("error") or "refused"),
        answer.get("error_description"),
        codes=answer.get("error_codes"),
    )
