"""Certificates: verified everywhere (IMAP, SMTP, token endpoints), against the system's CAs
plus `BILLBOT_MAIL__CA_FILE` when a server uses a private CA.

imaplib's default context verifies nothing, so every connection gets this one instead.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

from mail.config import MailSettings
from mail.errors import MailConfigError

if TYPE_CHECKING:
    import requests

HTTP_TIMEOUT = 30.0  # seconds, for a token endpoint that does not answer


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """A verifying client context: the system's CAs, and the private CA file if one is set."""
    context = ssl.create_default_context()
    if settings.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(settings.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise MailConfigError(
                f"BILLBOT_MAIL__CA_FILE={settings.ca_file} cannot be read as PEM certificates: "
                f"{exc}"
            ) from exc
    return context


def http_session(settings: MailSettings) -> requests.Session:
    """A requests session for token endpoints: the same trust as the mail servers, a timeout."""
    import requests
    from requests.adapters import HTTPAdapter

    context = tls_context(settings)

    class _Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = context
            super().init_poolmanager(*args, **kwargs)

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = HTTP_TIMEOUT
            return super().send(request, *args, **kwargs)

    session = requests.Session()
    session.mount("https://", _Adapter())
    session.mount("http://", _Adapter())
    return session
