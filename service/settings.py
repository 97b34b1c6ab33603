"""All runtime settings of our Python 3.11 processes, read from the environment in one place.

Every field maps to the upper-case environment variable of the same name (`database_url` is
`DATABASE_URL`). Defaults run the whole product on one machine with no outside service: SQLite
under DATA_DIR, an in-process queue, and the development SMS outbox. README lists them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """A setting is missing or inconsistent; raised at start-up, before serving anything."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_host: str = "127.0.0.1"
    service_port: int = Field(default=8000, ge=1, le=65535)
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = 30.0

    data_dir: Path = Path("var")
    database_url: str | None = None  # postgresql://user@host:5432/db; unset: SQLite in data_dir
    # PostgreSQL schema for our tables (created if missing); unset: the server's default.
    database_schema: str | None = Field(default=None, pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    redis_url: str | None = None  # redis://host:6379/0; unset: an in-process queue
    notifier_stream: str = "dvc:notifications"  # Redis stream (and consumer group prefix)

    notifier_events_secret: SecretStr | None = None  # HMAC key shared with the TTHC system
    notifier_event_max_age_s: int = 300

    sms_provider: Literal["outbox", "twilio"] = "outbox"
    sms_sender: str = "UBNDHANOI"  # brandname / alphanumeric sender, at most 11 characters
    provider_timeout_s: float = 10.0
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_messaging_service_sid: str | None = None  # used instead of sms_sender when set
    twilio_api_base_url: str = "https://api.twilio.com"

    @model_validator(mode="after")
    def _check_provider(self) -> Settings:
        if len(self.sms_sender) > 11:
            raise SettingsError("SMS_SENDER: a brandname has at most 11 characters")
        if self.sms_provider == "twilio" and not (
            self.twilio_account_sid and self.twilio_auth_token
        ):
            raise SettingsError(
                "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the async driver SQLAlchemy needs."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'dvc.sqlite3'}"
        scheme, _, rest = self.database_url.partition("://")
        if scheme in ("postgres", "postgresql"):
            return f"postgresql+asyncpg://{rest}"
        return self.database_url
