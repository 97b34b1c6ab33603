"""All runtime settings of our Python 3.11 processes, read from the environment in one place.

Every field maps to the upper-case environment variable of the same name (`database_url` is
`DATABASE_URL`). Defaults run the whole product on one machine with no outside service: SQLite
under DATA_DIR, an in-process queue, and the development SMS outbox. README lists them all.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SMS_PROVIDERS_PATTERN = r"^(outbox|twilio|brandname)(:\d+)?(,(twilio|brandname)(:\d+)?)*$"


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

    # False when senders run as their own processes (`python -m notifier.worker`).
    notifier_sender_in_service: bool = True
    notifier_reclaim_idle_s: float = 30.0  # a queue entry held this long by a silent worker
    notifier_stalled_after_s: float = 120.0  # a notification in `sending` this long is retried
    notifier_lost_after_s: float = 60.0  # one `queued` this long is queued again (Redis lost it)

    # Shared by our service and the action server for internal calls (dossier lookups).
    internal_api_token: SecretStr | None = None
    dossier_source: Literal["mirror", "tthc"] = "mirror"  # mirror: kept by the step events
    tthc_base_url: str | None = None  # the city's TTHC system (docs/tthc-contract.md)
    tthc_api_key: SecretStr | None = None
    tthc_timeout_s: float = 3.0

    notifier_events_secret: SecretStr | None = None  # HMAC key shared with the TTHC system
    notifier_event_max_age_s: int = 300

    # API keys for POST /v1/notifications: "name:kind:secret" separated by commas, kind "live" or
    # "test" (test keys go through the whole pipeline but never reach a provider).
    notifier_api_keys: SecretStr | None = None
    quiet_hours_start: datetime.time = datetime.time(22, 0)  # Asia/Ho_Chi_Minh
    quiet_hours_end: datetime.time = datetime.time(7, 0)
    recipient_limit_per_hour: int = Field(default=10, ge=1)
    retention_days: int = Field(default=30, ge=1)  # then texts and numbers are purged

    # SMS providers with weights, e.g. "brandname:3,twilio:1"; the brandname is in
    # notifier/templates/brandname.yaml. "outbox" records and delivers nothing (development).
    sms_providers: str = Field(default="outbox", pattern=SMS_PROVIDERS_PATTERN)
    push_provider: Literal["none", "outbox", "fcm"] = "none"
    provider_timeout_s: float = 10.0
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_messaging_service_sid: str | None = None  # used instead of the brandname when set
    twilio_api_base_url: str = "https://api.twilio.com"
    # Our public URL of POST /v1/callbacks/twilio, exactly as Twilio will call it (the signature
    # covers it); unset: no delivery receipts, messages stay `sent`.
    twilio_status_callback_url: str | None = None
    brandname_api_base_url: str = "https://rest.esms.vn"
    brandname_api_key: str | None = None
    brandname_secret_key: SecretStr | None = None
    fcm_service_account_file: Path | None = None  # the service account's JSON key
    fcm_api_base_url: str = "https://fcm.googleapis.com"

    @property
    def sms_weights(self) -> dict[str, int]:
        """{"brandname": 3, "twilio": 1} from SMS_PROVIDERS."""
        pairs = (item.partition(":") for item in self.sms_providers.split(","))
        return {name: int(weight or 1) for name, _, weight in pairs}

    @model_validator(mode="after")
    def _check_providers(self) -> Settings:
        needs = {
            "twilio": (self.twilio_account_sid, self.twilio_auth_token),
            "brandname": (self.brandname_api_key, self.brandname_secret_key),
        }
        for name in self.sms_weights:
            if not all(needs.get(name, ())):
                raise SettingsError(f"SMS provider {name} is missing its credentials (README)")
        if self.dossier_source == "tthc" and not (self.tthc_base_url and self.tthc_api_key):
            raise SettingsError("DOSSIER_SOURCE=tthc needs TTHC_BASE_URL and TTHC_API_KEY")
        if self.push_provider == "fcm" and not self.fcm_service_account_file:
            raise SettingsError("PUSH_PROVIDER=fcm needs FCM_SERVICE_ACCOUNT_FILE")
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
