"""Building the notifier's providers from the settings: one failover group per channel."""

from __future__ import annotations

import json
import logging

from notifier.failover import FailoverProvider
from notifier.providers.base import Provider
from notifier.providers.brandname_sms import BrandnameSmsProvider
from notifier.providers.fcm_push import FcmPushProvider
from notifier.providers.outbox import OutboxPushProvider, OutboxSmsProvider
from notifier.providers.twilio_sms import TwilioSmsProvider
from service.settings import Settings

logger = logging.getLogger(__name__)


def _sms_provider(name: str, settings: Settings, brandname: str) -> Provider:
    timeout = settings.provider_timeout_s
    if name == "twilio":
        assert settings.twilio_account_sid and settings.twilio_auth_token  # checked by Settings
        return TwilioSmsProvider(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
            brandname, settings.twilio_messaging_service_sid, settings.twilio_api_base_url,
            timeout, settings.twilio_status_callback_url,
        )
    if name == "brandname":
        assert settings.brandname_api_key and settings.brandname_secret_key
        return BrandnameSmsProvider(
            settings.brandname_api_base_url, settings.brandname_api_key,
            settings.brandname_secret_key.get_secret_value(), brandname, timeout,
        )
    logger.warning("SMS provider outbox: messages are recorded but not delivered to any phone")
    return OutboxSmsProvider(timeout)


def _push_provider(settings: Settings) -> Provider:
    if settings.push_provider == "fcm":
        assert settings.fcm_service_account_file  # checked by Settings
        info = json.loads(settings.fcm_service_account_file.read_text(encoding="utf-8"))
        return FcmPushProvider(info, settings.fcm_api_base_url, settings.provider_timeout_s)
    return OutboxPushProvider(settings.provider_timeout_s)


def build_channels(settings: Settings, brandname: str) -> dict[str, FailoverProvider]:
    sms = [
        (_sms_provider(name, settings, brandname), float(weight))
        for name, weight in settings.sms_weights.items()
    ]
    channels = {"sms": FailoverProvider(sms)}
    if settings.push_provider != "none":
        channels["push"] = FailoverProvider([(_push_provider(settings), 1.0)])
    return channels
