"""TLS with a private CA: Dovecot on IMAPS and the submission server with STARTTLS, both
with certificates from a CA minted for the test (trustme). Certificates are verified by
default; `BILLBOT_MAIL__CA_FILE` makes billbot trust that CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.servers.mailserver import Certificate, MailServer
from tests.test_email_e2e import Site, make_site
from tests.test_mail_oauth2 import invoke

pytestmark = pytest.mark.servers


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[Site, Path]]:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key, ca_file = tmp_path / "server.pem", tmp_path / "server.key", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    (tmp_path / "site").mkdir()
    with MailServer(certificate=Certificate(cert, key)) as server:
        site = make_site(server, tmp_path / "site")
        site.env.update(
            {
                "BILLBOT_MAIL__IMAP_PORT": str(server.imaps_port),
                "BILLBOT_MAIL__IMAP_SECURITY": "ssl",
                "BILLBOT_MAIL__SMTP_PORT": str(server.submission_port),
                "BILLBOT_MAIL__SMTP_SECURITY": "starttls",
                "BILLBOT_MAIL__SMTP_USER": site.billing,
                "BILLBOT_MAIL__SMTP_PASSWORD": "pw",
            }
        )
        yield site, ca_file


def test_private_ca_in_ca_file_makes_every_step_pass_over_tls(tls_site: tuple[Site, Path]) -> None:
    site, ca_file = tls_site
    site.env["BILLBOT_MAIL__CA_FILE"] = str(ca_file)

    code, output = invoke(site, "mail", "check", "--wait", "15")

    assert code == 0, output
    assert "✓ IMAP TLS: TLSv1" in output and "✓ SMTP TLS: TLSv1" in output
    assert "certificate verified" in output
    assert "✗" not in output and "!" not in output

    site.cli("invite", "--period", "nov")
    site.cli("run", "--once")  # the worker itself sends over verified STARTTLS
    assert len(site.inbox(site.sam)) == 1


def test_certificates_are_verified_by_default(tls_site: tuple[Site, Path]) -> None:
    site, _ = tls_site

    code, output = invoke(site, "mail", "check", "--wait", "5")

    assert code == 1
    assert "✗ IMAP TLS" in output and "✗ SMTP TLS" in output
    assert "certificate verify failed" in output or "unable to get local issuer" in output
    assert "fix: the server's certificate is not trusted" in output
    assert "BILLBOT_MAIL__CA_FILE" in output
    assert "✓ IMAP sign-in" not in output  # nothing was sent over an unverified connection
