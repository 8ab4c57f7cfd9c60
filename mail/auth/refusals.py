"""What a refusal means and what to fix: token endpoint errors (RFC 6749 §5.2, Microsoft's
AADSTS codes, Google's messages) and a mailbox that refuses a token."""

from __future__ import annotations

import re

from mail.config import MailSettings, Provider
from mail.errors import SignInError

SETTING = "BILLBOT_MAIL__OAUTH2__"

# Microsoft puts the precise reason in an AADSTS code inside the description.
_AADSTS = {
    "7000215": f"the client secret is wrong: copy the secret's Value into {SETTING}CLIENT_SECRET",
    "7000222": "the client secret has expired: add a new one under Certificates & secrets and "
    f"put it in {SETTING}CLIENT_SECRET",
    "700016": f"no app with this client id in the tenant: check {SETTING}CLIENT_ID and "
    f"{SETTING}TENANT_ID",
    "90002": f"no such tenant: check {SETTING}TENANT_ID (the Directory (tenant) ID)",
    "65001": "an administrator must grant consent: App registrations → API permissions → "
    "Grant admin consent",
    "70011": f"a scope is not valid for this app: check {SETTING}SCOPE",
    "700025": f"the app is a public client: remove {SETTING}CLIENT_SECRET to use `mail login`",
    "7000218": "the app needs a secret or `Allow public client flows` turned on",
    "50076": "the account needs multi-factor authentication: run `billbot mail login` again",
    "50173": "the refresh token was revoked (password changed?): run `billbot mail login` again",
    "700082": "the refresh token expired (unused for 90 days): run `billbot mail login` again",
}

_BY_ERROR = {
    "invalid_client": f"the client id or secret is wrong or expired: check {SETTING}CLIENT_ID "
    f"and {SETTING}CLIENT_SECRET",
    "unauthorized_client": "the app may not use this grant or these scopes: grant it the mail "
    "permissions (Microsoft: IMAP.AccessAsApp and SMTP.SendAsApp with admin consent; Google: "
    "domain-wide delegation of https://mail.google.com/ to the service account's client id)",
    "invalid_grant": "the refresh token (or service account subject) was refused: run "
    f"`billbot mail login` again, or set a new {SETTING}REFRESH_TOKEN",
    "invalid_scope": f"the endpoint refused the scopes: check {SETTING}SCOPE",
    "consent_required": "an administrator must consent to the app's mail permissions",
    "interaction_required": "the account must sign in again: run `billbot mail login`",
    "access_denied": "the sign-in was denied: an administrator must allow the app",
    "unsupported_grant_type": "the endpoint does not allow this grant: run `billbot mail login` "
    f"for a refresh token, or set {SETTING}REFRESH_TOKEN",
    "invalid_request": f"the endpoint found the request invalid: check the {SETTING}* settings",
    "expired_token": "the device code expired before the sign-in finished: run "
    "`billbot mail login` again and sign in within the time shown",
}


def token_refused(
    endpoint: str, error: str, description: str | None, *, codes: list[int] | None = None
) -> SignInError:
    """The token endpoint said no: a SignInError naming the setting to fix."""
    text = " ".join((description or "").split())
    found = [str(code) for code in codes or []]
    found += re.findall(r"AADSTS(\d+)", text)
    fix = next((_AADSTS[code] for code in found if code in _AADSTS), None)
    fix = fix or _BY_ERROR.get(error, f"check the {SETTING}* settings")
    first_line = text.split(" Trace ID:")[0][:300]
    detail = f"{error}: {first_line}" if first_line else error
    return SignInError(f"the token endpoint {endpoint} refused billbot ({detail})", fix=fix)


def mailbox_refused(settings: MailSettings, server: str, reply: str) -> SignInError:
    """The IMAP or SMTP server refused a fresh token for the mailbox user."""
    user = settings.mailbox_user
    provider = settings.oauth2.provider
    if provider == Provider.microsoft:
        fix = (
            "let the app open this mailbox: in Exchange Online PowerShell run New-ServicePrincipal "
            f"for the app, then Add-MailboxPermission -Identity {user} -User <service principal "
            "id> -AccessRights FullAccess (and turn on authenticated SMTP for the mailbox); "
            "with a refresh token, sign in as this user with `billbot mail login`"
        )
    elif provider == Provider.google:
        fix = (
            f"the token must be {user}'s: the service account's domain-wide delegation must "
            "include https://mail.google.com/, and IMAP must be on for the user"
        )
    else:
        fix = f"the token must be issued for {user}: check the account behind the token"
    reply = " ".join(reply.split())[:200]
    return SignInError(f"{server} refused the OAuth2 token for {user} ({reply})", fix=fix)


def password_refused(server: str, user: str, reply: str, setting: str) -> SignInError:
    reply = " ".join(reply.split())[:200]
    return SignInError(
        f"{server} refused the password of {user} ({reply})",
        fix=f"check {setting}; with 2-step verification use an app password, and for "
        "Microsoft 365 or Google Workspace mailboxes that refuse passwords use "
        "BILLBOT_MAIL__AUTH=oauth2",
    )
