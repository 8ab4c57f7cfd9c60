"""billbot's settings: environment variables prefixed `BILLBOT_`, nested with `__`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mail.config import MailSettings

DEFAULT_HOME = Path("var")


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None  # set -> Socket Mode
    signing_secret: SecretStr | None = None
    api_url: str | None = None  # another Slack Web API base URL (tests use an emulator)
    port: int = 3000
    max_file_bytes: int = 25 * 1024 * 1024

    @property
    def configured(self) -> bool:
        return self.bot_token is not None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BILLBOT_",
        env_nested_delimiter="__",
        env_file=".env",
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
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value


def load_settings() -> Settings:
    """Read the settings now (never at import time)."""
    return Settings()
