"""Access tokens from a real token server: Microsoft (msal, over HTTPS with a private CA),
Google (a service account's signed JWT), generic (authlib); refresh ahead of expiry and after
a refusal; a rotated refresh token kept encrypted in the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from mail.auth import token_manager
from mail.auth.tokens import TokenManager
from mail.config import MailSettings
from mail.errors import MailConfigError, MailConnectionError, SignInError
from models.mail_tokens import MailOAuthToken
from tests.servers.mailserver import free_port
from tests.servers.tokenserver import JWT_GRANT, TokenServer

pytestmark = pytest.mark.servers
USER = "billing@summit.test"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def settings(**oauth2: Any) -> MailSettings:
    ca_file = oauth2.pop("ca_file", None)
    return MailSettings.model_validate(
        {
            "address": USER,
            "imap_user": USER,
            "secret": "s3cret-for-tests",
            "auth": "oauth2",
            "ca_file": ca_file,
            "oauth2": oauth2,
        }
    )


def generic(server: TokenServer, **oauth2: Any) -> MailSettings:
    return settings(provider="generic", token_url=server.token_url, **oauth2)


def app_tokens(
    engine: Engine, server: TokenServer, app: str, secret: str, clock: Clock | None = None
) -> TokenManager:
    """A `generic` app allowed on USER (its secret is "right"), signing in with `secret`."""
    server.add_client(app, "right", [USER])
    return manager(engine, generic(server, client_id=app, client_secret=secret), clock)


def manager(engine: Engine, config: MailSettings, clock: Clock | None = None) -> TokenManager:
    tokens = token_manager(config, engine)
    assert tokens is not None
    if clock is not None:
        tokens.clock = clock
    return tokens


@pytest.fixture
def server(token_server: TokenServer, request: pytest.FixtureRequest) -> TokenServer:
    return token_server


def client_id(request: pytest.FixtureRequest) -> str:
    return f"app-{request.node.name}"


def test_client_credentials_token_is_cached_then_refreshed_ahead_of_expiry(
    sqlite_engine: Engine, server: TokenServer, request: pytest.FixtureRequest
) -> None:
    app = client_id(request)
    clock = Clock()
    tokens = app_tokens(sqlite_engine, server, app, "right", clock)

    first = tokens.token()
    clock.now += timedelta(minutes=50)  # within the hour, before the 5-minute margin
    assert tokens.token() == first
    clock.now += timedelta(minutes=6)  # 56 minutes: inside the margin, before expiry
    second = tokens.token()

    assert second != first
    assert [r.grant_type for r in server.requests(app)] == ["client_credentials"] * 2


def test_a_token_the_mailbox_refused_is_replaced_once(
    sqlite_engine: Engine, server: TokenServer, request: pytest.FixtureRequest
) -> None:
    app = client_id(request)
    tokens = app_tokens(sqlite_engine, server, app, "right")
    first = tokens.token()
    tokens.invalidate("some older token")  # another thread's stale news: changes nothing
    assert tokens.token() == first

    tokens.invalidate(first)

    assert tokens.token() != first
    assert len(server.requests(app, outcome="ok")) == 2


def test_wrong_client_secret_is_a_sign_in_error_naming_the_setting(
    sqlite_engine: Engine, server: TokenServer, request: pytest.FixtureRequest
) -> None:
    app = client_id(request)
    tokens = app_tokens(sqlite_engine, server, app, "Xq7-not-the-secret")

    with pytest.raises(SignInError) as refused:
        tokens.token()

    assert "invalid_client" in str(refused.value)
    assert "BILLBOT_MAIL__OAUTH2__CLIENT_SECRET" in refused.value.fix
    assert "Xq7" not in str(refused.value)  # the secret itself is never shown
    assert len(server.requests(app, outcome="invalid_client")) == 1


def test_unreachable_token_endpoint_is_a_connection_error(sqlite_engine: Engine) -> None:
    url = f"http://127.0.0.1:{free_port()}/token"
    tokens = manager(
        sqlite_engine, settings(provider="generic", token_url=url, client_id="a", client_secret="b")
    )

    with pytest.raises(MailConnectionError) as failed:
        tokens.token()

    assert not isinstance(failed.value, SignInError)
    assert "cannot reach the token endpoint" in str(failed.value)


def test_missing_settings_name_the_variable() -> None:
    from mail.auth.providers import token_source

    with pytest.raises(MailConfigError, match="BILLBOT_MAIL__OAUTH2__TOKEN_URL"):
        token_source(settings(provider="generic", client_id="a"))
    with pytest.raises(MailConfigError, match="BILLBOT_MAIL__OAUTH2__TENANT_ID"):
        token_source(settings(provider="microsoft", client_id="a", client_secret="b"))
    with pytest.raises(MailConfigError, match="SERVICE_ACCOUNT_FILE"):
        token_source(settings(provider="google"))


def stored(engine: Engine) -> list[MailOAuthToken]:
    with Session(engine) as session:
        return list(session.exec(select(MailOAuthToken)))


def test_rotated_refresh_token_is_kept_encrypted_and_survives_a_restart(
    engine: Engine, server: TokenServer, request: pytest.FixtureRequest
) -> None:
    app = client_id(request) + engine.dialect.name
    server.add_client(app, None, [], rotate=True)
    seed = server.issue_refresh_token(app, USER)
    config = generic(server, client_id=app, refresh_token=seed)

    manager(engine, config).token()  # spends `seed`, keeps its successor
    [row] = stored(engine)
    [kept] = server.live_refresh_tokens_of(app)
    assert kept not in row.refresh_token and seed not in row.refresh_token  # encrypted

    manager(engine, config).token()  # a restart: the kept token, not the spent seed

    used = [r.refresh_token for r in server.requests(app, "refresh_token")]
    assert used == [seed, kept]
    assert [r.outcome for r in server.requests(app)] == ["ok", "ok"]


def test_a_new_refresh_token_in_the_settings_starts_a_new_chain(
    sqlite_engine: Engine, server: TokenServer, request: pytest.FixtureRequest
) -> None:
    app = client_id(request)
    server.add_client(app, None, [], rotate=True)
    first = server.issue_refresh_token(app, USER)
    url = server.token_url
    manager(
        sqlite_engine,
        settings(provider="generic", token_url=url, client_id=app, refresh_token=first),
    ).token()

    fresh = server.issue_refresh_token(app, USER)  # e.g. after consent was given again
    manager(
        sqlite_engine,
        settings(provider="generic", token_url=url, client_id=app, refresh_token=fresh),
    ).token()

    assert [r.refresh_token for r in server.requests(app)] == [first, fresh]


def test_stored_token_under_another_secret_is_a_clear_error(
    sqlite_engine: Engine, server: TokenServer, request: pytest.FixtureRequest
) -> None:
    app = client_id(request)
    server.add_client(app, None, [], rotate=True)
    config = generic(server, client_id=app)
    from mail.auth.store import RefreshTokenStore

    RefreshTokenStore(sqlite_engine, config).save(server.issue_refresh_token(app, USER))
    other = config.model_copy(update={"secret": config.secret.__class__("another-secret")})

    with pytest.raises(SignInError, match="cannot be decrypted with this BILLBOT_MAIL__SECRET"):
        manager(sqlite_engine, other).token()
    assert server.requests(app) == []


# -- Microsoft, through msal (which only talks to https authorities) ---------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def https_token_server(ca: trustme.CA) -> Iterator[TokenServer]:
    context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with TokenServer(tls=context) as server:
        yield server


def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def microsoft(server: TokenServer, ca: Path | None, **oauth2: Any) -> MailSettings:
    """Microsoft settings whose token endpoint (`TOKEN_URL`, as for another cloud) is ours."""
    url = f"{server.https_url}/tenant-1/oauth2/v2.0/token"
    return settings(provider="microsoft", token_url=url, ca_file=ca, **oauth2)


def test_microsoft_app_only_token_through_msal(
    sqlite_engine: Engine, https_token_server: TokenServer, ca: trustme.CA, tmp_path: Path
) -> None:
    server = https_token_server
    server.add_client("ms-app", "ms-secret", [USER])
    config = microsoft(server, ca_file(ca, tmp_path), client_id="ms-app", client_secret="ms-secret")
    tokens = manager(sqlite_engine, config)

    first = tokens.token()
    tokens.invalidate(first)  # msal's own cache is dropped too
    second = tokens.token()

    assert first != second
    assert [r.grant_type for r in server.requests("ms-app")] == ["client_credentials"] * 2


def test_microsoft_wrong_secret_names_the_aadsts_fix(
    sqlite_engine: Engine, https_token_server: TokenServer, ca: trustme.CA, tmp_path: Path
) -> None:
    server = https_token_server
    server.add_client("ms-app-2", "ms-secret", [USER])
    config = microsoft(server, ca_file(ca, tmp_path), client_id="ms-app-2", client_secret="no")

    with pytest.raises(SignInError) as refused:
        manager(sqlite_engine, config).token()

    assert "the client secret is wrong" in refused.value.fix
    assert "CLIENT_SECRET" in refused.value.fix


def test_microsoft_delegated_refresh_token_rotates_through_msal(
    sqlite_engine: Engine, https_token_server: TokenServer, ca: trustme.CA, tmp_path: Path
) -> None:
    server = https_token_server
    server.add_client("ms-public", None, [], rotate=True)
    seed = server.issue_refresh_token("ms-public", USER)
    config = microsoft(server, ca_file(ca, tmp_path), client_id="ms-public", refresh_token=seed)

    manager(sqlite_engine, config).token()
    manager(sqlite_engine, config).token()  # restarted: uses the rotated token

    requests = server.requests("ms-public")
    assert [r.outcome for r in requests] == ["ok", "ok"]
    assert requests[0].refresh_token == seed and requests[1].refresh_token != seed


def test_private_ca_is_required_to_trust_the_token_endpoint(
    sqlite_engine: Engine, https_token_server: TokenServer
) -> None:
    server = https_token_server
    server.add_client("ms-app-3", "ms-secret", [USER])
    config = microsoft(server, None, client_id="ms-app-3", client_secret="ms-secret")

    with pytest.raises(MailConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        manager(sqlite_engine, config).token()


# -- Google: a service account with domain-wide delegation --------------------------------------


def service_account(server: TokenServer, tmp_path: Path, subjects: list[str]) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    email = f"billbot-{len(subjects)}-{tmp_path.name}@project.iam.gserviceaccount.com"
    server.add_service_account(email, public_pem, subjects)
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "project",
                "private_key_id": "k1",
                "private_key": private_pem,
                "client_email": email,
                "client_id": "1234567890",
                "token_uri": server.token_url,
            }
        )
    )
    return path


def test_google_service_account_acts_as_the_mailbox_user(
    sqlite_engine: Engine, server: TokenServer, tmp_path: Path
) -> None:
    key_file = service_account(server, tmp_path, [USER])
    tokens = manager(sqlite_engine, settings(provider="google", service_account_file=key_file))

    token = tokens.token()

    assert server.introspect_now(token) == {"active": True, "username": USER}
    email = json.loads(key_file.read_text())["client_email"]
    assert [r.grant_type for r in server.requests(email)] == [JWT_GRANT]


def test_google_without_domain_wide_delegation_says_so(
    sqlite_engine: Engine, server: TokenServer, tmp_path: Path
) -> None:
    key_file = service_account(server, tmp_path, ["someone-else@summit.test"])
    tokens = manager(sqlite_engine, settings(provider="google", service_account_file=key_file))

    with pytest.raises(SignInError) as refused:
        tokens.token()

    assert "unauthorized_client" in str(refused.value)
    assert "domain-wide delegation of https://mail.google.com/" in refused.value.fix


def test_migration_0007_matches_the_token_table(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)

    assert [d for d in differences if "mail_oauth_tokens" in repr(d)] == []


def test_mail_login_with_microsoft_keeps_the_refresh_token(
    sqlite_engine: Engine, https_token_server: TokenServer, ca: trustme.CA, tmp_path: Path
) -> None:
    from mail.auth.device import login

    server = https_token_server
    server.add_client("ms-login", None, [])
    server.approve_devices_as(USER)
    config = microsoft(server, ca_file(ca, tmp_path), client_id="ms-login")
    shown: list[str] = []

    login(config, sqlite_engine, show=shown.append)

    assert len(shown) == 1 and "enter the code" in shown[0]
    [row] = stored(sqlite_engine)
    manager(sqlite_engine, config).token()  # delegated access from the kept token
    assert [r.grant_type for r in server.requests("ms-login")][-1] == "refresh_token"
    assert server.requests("ms-login")[-1].refresh_token not in row.refresh_token


def test_mail_login_with_google_explains_the_alternatives(sqlite_engine: Engine) -> None:
    from mail.auth.device import login

    config = settings(provider="google", refresh_token="x", client_id="c")

    with pytest.raises(MailConfigError, match="SERVICE_ACCOUNT_FILE"):
        login(config, sqlite_engine, show=print)


def test_incomplete_oauth2_settings_stop_mail_check_with_the_setting_to_add(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    env = {
        "BILLBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'billbot.db'}",
        "BILLBOT_MAIL__ADDRESS": USER,
        "BILLBOT_MAIL__IMAP_HOST": "127.0.0.1",
        "BILLBOT_MAIL__SMTP_HOST": "127.0.0.1",
        "BILLBOT_MAIL__SECRET": "s3cret",
        "BILLBOT_MAIL__AUTH": "oauth2",
        "BILLBOT_MAIL__OAUTH2__CLIENT_ID": "app",
    }

    result = CliRunner().invoke(app, ["mail", "check"], env=env)

    assert result.exit_code == 2
    assert "set BILLBOT_MAIL__OAUTH2__TOKEN_URL" in result.output
    assert "Traceback" not in result.output
