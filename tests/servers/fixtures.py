"""Pytest fixtures for the mail servers; load with `pytest_plugins = ["tests.servers.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import skip_or_fail
from tests.servers.mailserver import MailServer, MailServerError
from tests.servers.tokenserver import TokenServer

__all__ = ["isolated_mail_servers", "mail_servers", "oauth_mail_servers", "token_server"]


def _running_mail_server(**options: Any) -> Iterator[MailServer]:
    server = MailServer(**options)
    try:
        server.start()
    except MailServerError as exc:
        server.close()
        skip_or_fail(f"mail servers unavailable: {exc}")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def mail_servers() -> Iterator[MailServer]:
    """Dovecot + SMTP shared by the session; give each test its own users (`new_user`)."""
    yield from _running_mail_server()


@pytest.fixture
def isolated_mail_servers() -> Iterator[MailServer]:
    """Dovecot + SMTP for one test only: free to stop, restart and fill with mail."""
    yield from _running_mail_server()


@pytest.fixture(scope="session")
def token_server() -> Iterator[TokenServer]:
    """The OAuth2 token server shared by the session; give each test its own client id."""
    try:
        server = TokenServer().start()
    except OSError as exc:
        skip_or_fail(f"token server unavailable: {exc}")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def oauth_mail_servers(token_server: TokenServer) -> Iterator[MailServer]:
    """Dovecot with the oauth2 passdb and a submission server taking SASL XOAUTH2 (and
    passwords), both checking tokens with `token_server`; give each test its own users."""
    yield from _running_mail_server(introspection_url=token_server.introspection_url)
