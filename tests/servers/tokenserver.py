"""A small OAuth2 authorization server for tests, on loopback (HTTP, and HTTPS when given a
certificate: msal only talks to https authorities).

Grants: client credentials (an app allowed on some mailboxes, as Exchange's
`Add-MailboxPermission` does), refresh token (optionally rotated: the old one is revoked),
device code (RFC 8628, for `billbot mail login`) and the JWT bearer grant of a Google
service account with domain-wide delegation. `POST /introspect` (RFC 7662) is what Dovecot's
oauth2 passdb and the test SMTP server ask. Tokens expire or are revoked on demand; every
grant and introspection is recorded, so tests count requests instead of timing them.
Microsoft's paths (`/{tenant}/v2.0/.well-known/openid-configuration`,
`/{tenant}/oauth2/v2.0/token`, `/devicecode`) are served too.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers.mailserver import HOST

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass
class Client:
    secret: str | None  # None: a public client (device code flow)
    mailboxes: list[str]  # what its app-only tokens may open
    rotate: bool = False  # issue a new refresh token on each refresh (and revoke the old)


@dataclass
class Issued:
    client_id: str
    username: str
    expires_at: float = 0.0
    revoked: bool = False


@dataclass
class Device:
    client_id: str
    user_code: str
    expires_at: float
    polls: int = 0


@dataclass
class Request:
    """One token request, as recorded."""

    grant_type: str
    client_id: str
    outcome: str  # "ok" or the OAuth2 error code
    refresh_token: str | None = None  # the one presented (refresh grant)


@dataclass
class ServiceAccount:
    public_key_pem: bytes
    subjects: list[str]  # mailboxes domain-wide delegation lets it act as


@dataclass
class TokenState:
    access_lifetime: int = 3600
    clients: dict[str, Client] = field(default_factory=dict)
    access: dict[str, Issued] = field(default_factory=dict)
    refresh: dict[str, Issued] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    introspections: list[tuple[str, bool]] = field(default_factory=list)
    device_user: str | None = None  # who approves device codes (after one pending poll)


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


class TokenServer:
    """The server; a context manager. `url` is the HTTP base, `https_url` the HTTPS one."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.state = TokenState()
        self.lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._tls = tls
        self.url = ""
        self.https_url = ""

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> TokenServer:
        self.url = self._serve(None)
        if self._tls is not None:
            self.https_url = self._serve(self._tls)
        return self

    def _serve(self, tls: ssl.SSLContext | None) -> str:
        server = ThreadingHTTPServer((HOST, 0), _handler(self))
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        scheme = "https" if tls is not None else "http"
        return f"{scheme}://{HOST}:{server.server_address[1]}"

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def device_url(self) -> str:
        return f"{self.url}/device"

    @property
    def introspection_url(self) -> str:
        return f"{self.url}/introspect"

    # -- set-up and faults, on demand -------------------------------------------------------

    def add_client(
        self, client_id: str, secret: str | None, mailboxes: list[str], *, rotate: bool = False
    ) -> None:
        with self.lock:
            self.state.clients[client_id] = Client(secret, list(mailboxes), rotate)

    def add_service_account(self, email: str, public_key_pem: bytes, subjects: list[str]) -> None:
        with self.lock:
            self.state.service_accounts[email] = ServiceAccount(public_key_pem, list(subjects))

    def issue_refresh_token(self, client_id: str, username: str) -> str:
        """A refresh token as a user's earlier consent would have left."""
        with self.lock:
            return self._new_refresh(client_id, username)

    def expire_access_tokens(self, client_id: str) -> int:
        """Make every access token of `client_id` expired now; how many were live."""
        with self.lock:
            live = [i for i in self.state.access.values() if i.client_id == client_id]
            for issued in live:
                issued.expires_at = min(issued.expires_at, time.time() - 1)
            return len(live)

    def revoke_access_tokens(self, client_id: str) -> int:
        with self.lock:
            live = [i for i in self.state.access.values() if i.client_id == client_id]
            for issued in live:
                issued.revoked = True
            return len(live)

    def revoke_refresh_token(self, token: str) -> None:
        with self.lock:
            self.state.refresh[token].revoked = True

    def approve_devices_as(self, username: str) -> None:
        with self.lock:
            self.state.device_user = username

    def requests(
        self, client_id: str, grant_type: str | None = None, outcome: str | None = None
    ) -> list[Request]:
        """The token requests of `client_id` so far, oldest first."""
        with self.lock:
            return [
                r
                for r in self.state.requests
                if r.client_id == client_id
                and (grant_type is None or r.grant_type == grant_type)
                and (outcome is None or r.outcome == outcome)
            ]

    def refused_introspections(self, client_id: str) -> int:
        """Tokens of `client_id` that a server asked about and was told are not active."""
        with self.lock:
            return sum(
                1
                for token, active in self.state.introspections
                if not active
                and token in self.state.access
                and self.state.access[token].client_id == client_id
            )

    def live_refresh_tokens_of(self, client_id: str) -> list[str]:
        with self.lock:
            return [
                token
                for token, issued in self.state.refresh.items()
                if issued.client_id == client_id and not issued.revoked
            ]

    def introspect_now(self, token: str) -> dict[str, Any]:
        """What a mail server would be told about `token` (active, username)."""
        with self.lock:
            issued = self.state.access.get(token)
            active = bool(issued and not issued.revoked and issued.expires_at > time.time())
            return (
                {"active": active, "username": issued.username}
                if active and issued
                else {"active": False}
            )

    # -- the protocol (called by the handler, under the lock) ----------------------------------

    def _new_access(self, client_id: str, username: str) -> dict[str, Any]:
        token = "at-" + secrets.token_urlsafe(24)
        lifetime = self.state.access_lifetime
        self.state.access[token] = Issued(client_id, username, time.time() + lifetime)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}

    def _new_refresh(self, client_id: str, username: str) -> str:
        token = "rt-" + secrets.token_urlsafe(24)
        self.state.refresh[token] = Issued(client_id, username)
        return token

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        grant = form.get("grant_type", "")
        client_id = basic[0] if basic else form.get("client_id", "")
        if grant == JWT_GRANT:  # a service account: recorded under its email
            from google.auth import jwt

            try:
                client_id = str(jwt.decode(form.get("assertion", ""), verify=False).get("iss"))
            except ValueError:
                client_id = ""
        try:
            answer = self._grant(grant, client_id, form, basic)
        except OAuthError as exc:
            self.state.requests.append(
                Request(grant, client_id, exc.error, form.get("refresh_token"))
            )
            raise
        self.state.requests.append(Request(grant, client_id, "ok", form.get("refresh_token")))
        return answer

    def _grant(
        self, grant: str, client_id: str, form: dict[str, str], basic: tuple[str, str] | None
    ) -> dict[str, Any]:
        if grant == JWT_GRANT:
            return self._service_account_grant(form.get("assertion", ""))
        client = self.state.clients.get(client_id)
        secret = basic[1] if basic else form.get("client_secret")
        if client is None:
            raise OAuthError("invalid_client", f"AADSTS700016: unknown client {client_id}", 401)
        if client.secret is not None and secret != client.secret:
            raise OAuthError("invalid_client", "AADSTS7000215: Invalid client secret.", 401)
        if grant == "client_credentials":
            if client.secret is None:
                raise OAuthError("unauthorized_client", "a public client has no credentials")
            return self._new_access(client_id, client.mailboxes[0] if client.mailboxes else "")
        if grant == "refresh_token":
            presented = form.get("refresh_token", "")
            issued = self.state.refresh.get(presented)
            if issued is None or issued.revoked or issued.client_id != client_id:
                raise OAuthError("invalid_grant", "AADSTS50173: the refresh token was revoked.")
            answer = self._new_access(client_id, issued.username)
            if client.rotate:
                issued.revoked = True
                answer["refresh_token"] = self._new_refresh(client_id, issued.username)
            return answer
        if grant == DEVICE_GRANT:
            return self._device_grant(client_id, form.get("device_code", ""))
        raise OAuthError("unsupported_grant_type", f"{grant!r} is not supported")

    def _device_grant(self, client_id: str, device_code: str) -> dict[str, Any]:
        device = self.state.devices.get(device_code)
        if device is None or device.client_id != client_id:
            raise OAuthError("invalid_grant", "unknown device code")
        if time.time() > device.expires_at:
            raise OAuthError("expired_token", "the device code expired")
        device.polls += 1
        if self.state.device_user is None or device.polls < 2:
            raise OAuthError("authorization_pending", "the user has not signed in yet")
        del self.state.devices[device_code]
        answer = self._new_access(client_id, self.state.device_user)
        answer["refresh_token"] = self._new_refresh(client_id, self.state.device_user)
        return answer

    def device_authorization(self, form: dict[str, str]) -> dict[str, Any]:
        client_id = form.get("client_id", "")
        if client_id not in self.state.clients:
            raise OAuthError("invalid_client", f"unknown client {client_id}", 401)
        device_code = "dc-" + secrets.token_urlsafe(16)
        user_code = secrets.token_hex(4).upper()
        self.state.devices[device_code] = Device(client_id, user_code, time.time() + 600)
        verification = f"{self.url}/activate"
        return {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification,
            "expires_in": 600,
            "interval": 1,
            "message": f"To sign in, open {verification} and enter the code {user_code}.",
        }

    def _service_account_grant(self, assertion: str) -> dict[str, Any]:
        from google.auth import jwt

        unverified = jwt.decode(assertion, verify=False)
        account = self.state.service_accounts.get(str(unverified.get("iss")))
        if account is None:
            raise OAuthError("invalid_client", "unknown service account", 401)
        try:
            # google-auth addresses the assertion to Google's endpoint whatever token_uri is.
            audiences = [self.token_url, "https://oauth2.googleapis.com/token"]
            claims = jwt.decode(assertion, certs=account.public_key_pem, audience=audiences)
        except ValueError as exc:
            raise OAuthError("invalid_grant", f"Invalid JWT Signature: {exc}") from exc
        subject = str(claims.get("sub") or "")
        if subject not in account.subjects or "https://mail.google.com/" not in str(
            claims.get("scope")
        ):
            raise OAuthError(
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client "
                "not authorized for any of the scopes requested.",
                401,
            )
        return self._new_access(str(unverified.get("iss")), subject)

    def introspect(self, token: str) -> dict[str, Any]:
        issued = self.state.access.get(token)
        active = bool(issued and not issued.revoked and issued.expires_at > time.time())
        self.state.introspections.append((token, active))
        if not active or issued is None:
            return {"active": False}
        return {"active": True, "username": issued.username, "client_id": issued.client_id}

    def discovery(self, base: str, tenant: str) -> dict[str, Any]:
        root = f"{base}/{tenant}"
        return {
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        }


def _handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _base(self) -> str:
            scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
            return f"{scheme}://{HOST}:{self.server.server_address[1]}"

        def do_GET(self) -> None:
            parts = urlsplit(self.path).path.strip("/").split("/")
            if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                self._send(200, server.discovery(self._base(), parts[0]))
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            path = urlsplit(self.path).path
            try:
                with server.lock:
                    if path.endswith("/introspect"):
                        self._send(200, server.introspect(form.get("token", "")))
                    elif path.endswith("/token"):
                        self._send(
                            200, server.token(form, _basic(self.headers.get("Authorization")))
                        )
                    elif path.endswith(("/device", "/devicecode")):
                        self._send(200, server.device_authorization(form))
                    else:
                        self._send(404, {"error": "not_found"})
            except OAuthError as exc:
                body = {"error": exc.error, "error_description": exc.description}
                self._send(exc.status, body)

    return Handler


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    from urllib.parse import unquote_plus

    return unquote_plus(user), unquote_plus(password)
