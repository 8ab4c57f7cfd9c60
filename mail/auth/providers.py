"""Token sources: Microsoft (msal), Google (google-auth) and any OAuth2 endpoint (authlib).

Each turns its library's answers into a `Grant`, a refusal into a `SignInError` (what to
fix) and an unreachable endpoint into a `MailConnectionError` (retry later). The libraries
are imported when a source is built, so `billbot --help` does not pay for them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from mail.auth.refusals import SETTING, token_refused
from mail.auth.tokens import Grant, TokenSource
from mail.config import MailSettings, Provider
from mail.errors import MailConfigError, MailConnectionError, SignInError
from mail.tls import http_session

MICROSOFT_LOGIN = "https://login.microsoftonline.com"
MICROSOFT_APP_SCOPES = ["https://outlook.office365.com/.default"]
MICROSOFT_USER_SCOPES = [
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
]
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_SCOPES = ["https://mail.google.com/"]
TOKEN_PATH = "/oauth2/v2.0/token"  # Microsoft's token endpoint below the authority


def _required(value: object, setting: str, why: str) -> None:
    if not value:
        raise MailConfigError(f"set BILLBOT_MAIL__OAUTH2__{setting}: {why}")


@contextmanager
def reaching(endpoint: str) -> Iterator[None]:
    """Network trouble with the token endpoint -> MailConnectionError (retried later)."""
    import requests
    from google.auth.exceptions import TransportError

    try:
        yield
    except (requests.RequestException, TransportError, OSError) as exc:
        raise MailConnectionError(f"cannot reach the token endpoint {endpoint}: {exc}") from exc


def scopes_for(settings: MailSettings, default: list[str]) -> list[str]:
    return settings.oauth2.scope.split() if settings.oauth2.scope else list(default)


class MicrosoftSource:
    """Microsoft identity platform through msal: client credentials (app-only) with a
    tenant id, or a delegated refresh token (`mail login`)."""

    def __init__(self, settings: MailSettings) -> None:
        o = settings.oauth2
        _required(o.client_id, "CLIENT_ID", "the Application (client) ID of the app registration")
        custom = o.token_url is not None
        if custom:
            assert o.token_url is not None
            self.authority = o.token_url.removesuffix("/").removesuffix(TOKEN_PATH)
        else:
            _required(o.tenant_id, "TENANT_ID", "the Directory (tenant) ID of the app")
            self.authority = f"{MICROSOFT_LOGIN}/{o.tenant_id}"
        self.endpoint = f"{self.authority}{TOKEN_PATH}"
        self.settings = settings
        self._custom = custom
        self._app: Any = None

    def application(self) -> Any:
        if self._app is None:
            import msal

            o = self.settings.oauth2
            common: dict[str, Any] = {
                "authority": self.authority,
                "http_client": http_session(self.settings),
                "instance_discovery": not self._custom,
                "token_cache": msal.TokenCache(),
            }
            with reaching(self.endpoint):
                try:
                    if o.client_secret is not None:
                        secret = o.client_secret.get_secret_value()
                        self._app = msal.ConfidentialClientApplication(
                            o.client_id, client_credential=secret, **common
                        )
                    else:
                        self._app = msal.PublicClientApplication(o.client_id, **common)
                except ValueError as exc:  # msal: the authority (tenant) is unknown
                    raise SignInError(
                        f"{self.authority} is not a Microsoft tenant ({exc})",
                        fix=f"check {SETTING}TENANT_ID",
                    ) from exc
        return self._app

    def fetch(self, refresh_token: str | None) -> Grant:
        app = self.application()
        with reaching(self.endpoint):
            if refresh_token is not None:
                scopes = scopes_for(self.settings, MICROSOFT_USER_SCOPES)
                result = app.acquire_token_by_refresh_token(refresh_token, scopes=scopes)
            elif hasattr(app, "acquire_token_for_client"):
                scopes = scopes_for(self.settings, MICROSOFT_APP_SCOPES)
                result = app.acquire_token_for_client(scopes=scopes)
            else:
                raise SignInError(
                    "app-only access needs a client secret, and delegated access a refresh token",
                    fix=f"set {SETTING}CLIENT_SECRET, or run `billbot mail login`",
                )
        return _grant(self.endpoint, result)

    def forget(self) -> None:
        if self._app is not None and hasattr(self._app, "remove_tokens_for_client"):
            self._app.remove_tokens_for_client()


class GoogleSource:
    """Google through google-auth: a service account with domain-wide delegation acting as
    the mailbox user, or a user's refresh token."""

    def __init__(self, settings: MailSettings) -> None:
        o = settings.oauth2
        self.settings = settings
        self.endpoint = o.token_url or GOOGLE_TOKEN_URL
        self._service_account: dict[str, Any] | None = None
        if o.service_account_file is not None:
            try:
                info = json.loads(o.service_account_file.read_text())
            except (OSError, ValueError) as exc:
                raise MailConfigError(
                    f"{SETTING}SERVICE_ACCOUNT_FILE={o.service_account_file} is not a readable "
                    f"JSON key: {exc}"
                ) from exc
            if not isinstance(info, dict) or info.get("type") != "service_account":
                raise MailConfigError(
                    f"{o.service_account_file} is not a service account key (type "
                    "service_account): create a JSON key for the service account"
                )
            self._service_account = info
            self.endpoint = o.token_url or str(info.get("token_uri") or GOOGLE_TOKEN_URL)
        elif o.refresh_token is None:
            _required(
                None,
                "SERVICE_ACCOUNT_FILE",
                "the service account's JSON key (or a user's REFRESH_TOKEN)",
            )

    def fetch(self, refresh_token: str | None) -> Grant:
        import google.auth.exceptions
        from google.auth.transport.requests import Request

        o = self.settings.oauth2
        credentials: Any
        if refresh_token is not None:
            from google.oauth2.credentials import Credentials

            _required(o.client_id, "CLIENT_ID", "the OAuth client that issued the token")
            credentials = Credentials(
                None,
                refresh_token=refresh_token,
                token_uri=self.endpoint,
                client_id=o.client_id,
                client_secret=o.client_secret.get_secret_value() if o.client_secret else None,
                scopes=scopes_for(self.settings, GOOGLE_SCOPES),
            )
        elif self._service_account is not None:
            from google.oauth2 import service_account

            try:
                credentials = service_account.Credentials.from_service_account_info(
                    {**self._service_account, "token_uri": self.endpoint},
                    scopes=scopes_for(self.settings, GOOGLE_SCOPES),
                    subject=self.settings.mailbox_user,
                )
            except (ValueError, KeyError) as exc:
                raise MailConfigError(f"the service account key cannot be used: {exc}") from exc
        else:
            raise SignInError(
                "no service account and no refresh token",
                fix=f"set {SETTING}SERVICE_ACCOUNT_FILE",
            )
        with reaching(self.endpoint):
            try:
                credentials.refresh(Request(http_session(self.settings)))
            except google.auth.exceptions.RefreshError as exc:
                data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
                error = str(data.get("error") or "refused")
                description = data.get("error_description") or str(exc.args[0] if exc.args else "")
                raise token_refused(self.endpoint, error, description) from exc
        expiry: datetime | None = credentials.expiry
        expires_in = None
        if expiry is not None:
            expires_in = (expiry.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
        rotated = getattr(credentials, "refresh_token", None)
        return Grant(str(credentials.token), expires_in, rotated)

    def forget(self) -> None:
        pass  # google-auth credentials are built anew for each fetch


class GenericSource:
    """Any OAuth2 token endpoint, through authlib: a refresh token, else client credentials."""

    def __init__(self, settings: MailSettings) -> None:
        o = settings.oauth2
        _required(o.token_url, "TOKEN_URL", "the token endpoint of the provider")
        _required(o.client_id, "CLIENT_ID", "the app's client id")
        assert o.token_url is not None
        self.endpoint = o.token_url
        self.settings = settings

    def _client(self) -> Any:
        from authlib.integrations.requests_client import OAuth2Session

        o = self.settings.oauth2
        secret = o.client_secret.get_secret_value() if o.client_secret else None
        client = OAuth2Session(
            o.client_id,
            secret,
            scope=o.scope,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
        )
        session = http_session(self.settings)
        for prefix, adapter in session.adapters.items():
            client.mount(prefix, adapter)
        return client

    def fetch(self, refresh_token: str | None) -> Grant:
        def request(client: Any) -> dict[str, Any]:
            if refresh_token is not None:
                return dict(client.refresh_token(self.endpoint, refresh_token=refresh_token))
            return dict(client.fetch_token(self.endpoint, grant_type="client_credentials"))

        return _grant(self.endpoint, self.call(request))

    def call(self, request: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """Run `request(client)`, translating authlib's and requests' errors."""
        from authlib.integrations.base_client import OAuthError

        with reaching(self.endpoint):
            try:
                return request(self._client())
            except OAuthError as exc:
                return {"error": exc.error or "refused", "error_description": exc.description}

    def forget(self) -> None:
        pass  # a client is built for each fetch


def _grant(endpoint: str, result: dict[str, Any]) -> Grant:
    if "access_token" not in result:
        raise token_refused(
            endpoint,
            str(result.get("error") or "no access token"),
            result.get("error_description"),
            codes=result.get("error_codes"),
        )
    expires_in = result.get("expires_in")
    return Grant(
        str(result["access_token"]),
        float(expires_in) if expires_in is not None else None,
        result.get("refresh_token"),
    )


def token_source(settings: MailSettings) -> TokenSource:
    """The configured provider's source; MailConfigError when a setting is missing."""
    provider = settings.oauth2.provider
    if provider == Provider.microsoft:
        return MicrosoftSource(settings)
    if provider == Provider.google:
        return GoogleSource(settings)
    return GenericSource(settings)
