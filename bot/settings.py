"""billbot's settings: environment variables prefixed `BILLBOT_`, nested with `__`."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mail.config import MailSettings

DEFAULT_HOME = Path("var")
PREFIX = "BILLBOT_"
ENV_FILE = ".env"
# Read by billbot's own test suite, not by billbot: not mistyped settings.
TEST_SWITCHES = frozenset({"BILLBOT_REQUIRE_SERVERS", "BILLBOT_TEST_POSTGRES_URL"})
TEST_PREFIXES = ("BILLBOT_TEST_", "BILLBOT_CRASH_")

# What a Slack token's prefix says it is (`xoxe.` marks a rotating token of the same kind).
TOKEN_KINDS = {"xoxb": "a bot token (xoxb-…)", "xapp": "an app-level token (xapp-…)"}
TOKEN_KINDS["xoxp"] = "a user token (xoxp-…)"


def _token_kind(token: SecretStr | None) -> str | None:
    if token is None:
        return None
    text = token.get_secret_value().strip().removeprefix("xoxe.")
    return text.partition("-")[0]


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None  # set -> Socket Mode
    signing_secret: SecretStr | None = None
    api_url: str | None = None  # another Slack Web API base URL (tests use an emulator)
    port: int = 3000
    max_file_bytes: int = 25 * 1024 * 1024

    @field_validator("bot_token")
    @classmethod
    def _a_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        kind = _token_kind(value)
        if kind in ("xapp", "xoxp"):
            where = ", which goes in BILLBOT_SLACK__APP_TOKEN" if kind == "xapp" else ""
            raise ValueError(
                f"this is {TOKEN_KINDS[kind]}{where}; the bot token starts with xoxb- (the "
                "Slack app's OAuth & Permissions page, Bot User OAuth Token)"
            )
        return value

    @field_validator("app_token")
    @classmethod
    def _an_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        kind = _token_kind(value)
        if kind in ("xoxb", "xoxp"):
            where = ", which goes in BILLBOT_SLACK__BOT_TOKEN" if kind == "xoxb" else ""
            raise ValueError(
                f"this is {TOKEN_KINDS[kind]}{where}; the app-level token starts with xapp- "
                "(the Slack app's Basic Information page, App-Level Tokens, scope "
                "connections:write)"
            )
        return value

    @property
    def configured(self) -> bool:
        return self.bot_token is not None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_nested_delimiter="__",
        env_file=ENV_FILE,
        extra="ignore",
    )

    database_url: str = f"sqlite:///{DEFAULT_HOME / 'billbot.db'}"
    attachments_dir: Path = DEFAULT_HOME / "attachments"
    reminder_days: Annotated[list[int], NoDecode] = [3, 1, 0]
    mail: MailSettings = MailSettings()
    slack: SlackSettings = SlackSettings()

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _split_days(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return [int(part) for part in value.replace(" ", "").split(",") if part]
            except ValueError:
                raise ValueError(
                    f"{value!r}: give days before the billing date as whole numbers, e.g. 3,1,0"
                ) from None
        return value


MAIL_NEEDS = ("address", "imap_host", "smtp_host")


def half_configured(settings: Settings) -> list[str]:
    """A line for each channel given some settings but not what it needs to start: its
    other settings would be silently unused."""
    lines = []
    mail = settings.mail
    if mail.model_fields_set and not mail.configured:
        missing = [
            f"{PREFIX}MAIL__{name.upper()}" for name in MAIL_NEEDS if not getattr(mail, name)
        ]
        verb = "is" if len(missing) == 1 else "are"
        lines.append(f"email is not started: {' and '.join(missing)} {verb} not set")
    slack = settings.slack
    if slack.model_fields_set and not slack.configured:
        lines.append(
            f"Slack is not started: {PREFIX}SLACK__BOT_TOKEN (the bot token, xoxb-…) is not set"
        )
    return lines


def _names(model: type[BaseModel], prefix: str) -> Iterator[str]:
    """The environment variable of every setting of `model` (and of each nested block, which
    may be given whole, as JSON)."""
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        yield variable
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from _names(kind, f"{variable}__")


def known_names() -> frozenset[str]:
    return frozenset(_names(Settings, PREFIX))


def unknown_settings(environ: Mapping[str, str], dotenv: Mapping[str, str | None]) -> list[str]:
    """A line for each `BILLBOT_` variable (in the environment or the `.env` file) that is no
    setting, with the closest setting's name; and for a `.env` key that is a setting's name
    without its `BILLBOT_`."""
    known = known_names()
    found: list[str] = []

    def check(name: str, where: str) -> None:
        upper = name.upper()
        if upper in known or upper in TEST_SWITCHES or upper.startswith(TEST_PREFIXES):
            return
        if not upper.startswith(PREFIX):
            if f"{PREFIX}{upper}" in known:
                found.append(
                    f"{name}{where} is not read: billbot's settings start with {PREFIX} "
                    f"(did you mean {PREFIX}{upper}?)"
                )
            return
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        found.append(f"{name}{where} is not a billbot setting, and is ignored{hint}")

    for name in sorted(environ):
        if name.upper().startswith(PREFIX):
            check(name, "")
    for name in dotenv:
        if name.upper() not in {key.upper() for key in environ}:
            check(name, f" (in {ENV_FILE})")
    return found


_told: set[str] = set()  # each mistyped name is told once per process


def warn_unknown_settings() -> None:
    """A warning on stderr for each mistyped setting (`unknown_settings`), once per process."""
    dotenv: Mapping[str, str | None] = {}
    if Path(ENV_FILE).is_file():
        from dotenv import dotenv_values

        dotenv = dotenv_values(ENV_FILE)
    for line in unknown_settings(os.environ, dotenv):
        if line not in _told:
            _told.add(line)
            print(f"billbot: warning: {line}", file=sys.stderr)


def settings_problems(error: ValidationError) -> list[str]:
    """Each invalid setting by its environment variable: `BILLBOT_MAIL__IMAP_PORT: …`."""
    lines = []
    for problem in error.errors():
        names = [str(part).upper() for part in problem["loc"] if isinstance(part, str)]
        name = PREFIX + "__".join(names)
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return lines


def load_settings() -> Settings:
    """Read the settings now (never at import time)."""
    warn_unknown_settings()
    return Settings()
