"""The notifier's HTTP edge: signed step events and direct sends in, status out.

The contract is written down in `notifier/openapi.yaml`, served at GET /v1/openapi.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pydantic
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator
from twilio.request_validator import RequestValidator

from notifier.api_keys import ApiKey, authenticate
from notifier.events import StepEvent
from notifier.phone import InvalidPhone, to_e164
from notifier.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from notifier.store import Ingested, Recipient, Status
from notifier.templates import TemplateError
from service.errors import error_response
from service.keys import API_KEYS, INGESTOR, REPLAY_GUARD, SETTINGS, STORE

OPENAPI = Path(__file__).parent / "openapi.yaml"

routes = web.RouteTableDef()


class DirectSend(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    template: str = Field(min_length=1, max_length=40)
    phone: str
    personalisation: dict[str, str] = {}
    # The client's idempotency key: the same reference again sends nothing new, so a client
    # that timed out can safely retry (GOV.UK Notify sends those twice).
    reference: str = Field(min_length=1, max_length=100)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return to_e164(value)


class RecipientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    push_token: str | None = Field(default=None, max_length=200)
    sms_opt_out: bool = False
    push_opt_out: bool = False


def _problems(error: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in error.errors()
    )


def _ingested_response(ingested: Ingested, new_status: int) -> web.Response:
    """What was stored: `new_status` when new, 200 for a duplicate (with the first ids)."""
    return web.json_response(
        {"duplicate": ingested.duplicate, "notifications": ingested.notification_ids},
        status=200 if ingested.duplicate else new_status,
    )


def _api_key(request: web.Request) -> ApiKey | web.Response:
    key = authenticate(request.app[API_KEYS], request.headers.get("Authorization"))
    if key is None:
        return error_response(401, "invalid_api_key", "send a valid key: Authorization: Bearer …")
    return key


@routes.post("/v1/events")
async def receive_event(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if settings.notifier_events_secret is None:
        return error_response(503, "not_configured", "NOTIFIER_EVENTS_SECRET is not set")
    body = await request.read()
    signature = request.headers.get(SIGNATURE_HEADER)
    try:
        verify(
            settings.notifier_events_secret.get_secret_value().encode(),
            request.headers.get(TIMESTAMP_HEADER), signature, body,
            settings.notifier_event_max_age_s,
        )
    except SignatureError as e:
        return error_response(401, "invalid_signature", str(e))
    assert signature is not None  # verify() checked
    # Twice the age window: a timestamp up to max_age in the future is accepted too.
    ttl = 2 * settings.notifier_event_max_age_s
    if not await request.app[REPLAY_GUARD].first_time(signature, ttl):
        return error_response(409, "replayed", "this signed request was already received")
    try:
        event = StepEvent.model_validate_json(body)
    except pydantic.ValidationError as e:
        return error_response(422, "invalid_event", _problems(e))
    try:
        ingested = await request.app[INGESTOR].ingest(event)
    except TemplateError as e:
        return error_response(422, "unrenderable", str(e))
    return _ingested_response(ingested, new_status=202)


@routes.post("/v1/notifications")
async def send_notification(request: web.Request) -> web.Response:
    key = _api_key(request)
    if isinstance(key, web.Response):
        return key
    try:
        send = DirectSend.model_validate_json(await request.read())
    except pydantic.ValidationError as e:  # an invalid phone included, via its validator
        return error_response(422, "invalid_notification", _problems(e))
    try:
        ingested = await request.app[INGESTOR].send_direct(
            f"api:{key.name}:{send.reference}", send.template, send.phone,
            send.personalisation, key.test,
        )
    except TemplateError as e:
        return error_response(422, "unrenderable", str(e))
    return _ingested_response(ingested, new_status=201)


@routes.put("/v1/recipients/{phone}")
async def update_recipient(request: web.Request) -> web.Response:
    """Called by the iHanoi backend when a resident installs the app or changes preferences."""
    key = _api_key(request)
    if isinstance(key, web.Response):
        return key
    try:
        phone = to_e164(request.match_info["phone"])
        update = RecipientUpdate.model_validate_json(await request.read())
    except InvalidPhone as e:
        return error_response(422, "invalid_phone", str(e))
    except pydantic.ValidationError as e:
        return error_response(422, "invalid_recipient", _problems(e))
    await request.app[STORE].save_recipient(Recipient(phone, **update.model_dump()))
    return web.json_response({"phone": phone, "saved": True})


# Twilio's final message states, and ours.
TWILIO_RECEIPTS = {
    "delivered": Status.DELIVERED,
    "undelivered": Status.PERMANENT_FAILURE,
    "failed": Status.PERMANENT_FAILURE,
}


@routes.post("/v1/callbacks/twilio")
async def twilio_receipt(request: web.Request) -> web.Response:
    """Twilio's status callback, accepted only with a valid X-Twilio-Signature."""
    settings = request.app[SETTINGS]
    if not (settings.twilio_auth_token and settings.twilio_status_callback_url):
        return error_response(404, "not_configured", "Twilio receipts are not configured")
    params = {key: str(value) for key, value in (await request.post()).items()}
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(settings.twilio_status_callback_url, params, signature):
        return error_response(403, "invalid_signature", "X-Twilio-Signature does not match")
    status = TWILIO_RECEIPTS.get(params.get("MessageStatus", ""))
    if status is not None and params.get("MessageSid"):
        error = f"twilio error {params['ErrorCode']}" if params.get("ErrorCode") else None
        await request.app[STORE].record_receipt("twilio", params["MessageSid"], status, error)
    return web.Response(status=204)


@routes.get("/v1/notifications/{id}")
async def notification_status(request: web.Request) -> web.Response:
    notification = await request.app[STORE].get(request.match_info["id"])
    if notification is None:
        return error_response(404, "unknown_notification", "no notification has this id")
    return web.json_response({
        "id": notification.id,
        "template": notification.step,
        "channel": notification.channel,
        "status": notification.status,
        "provider": notification.provider,
        "attempts": notification.attempts,
        "test": notification.test,
        "created_at": notification.created_at.isoformat(),
        "sent_at": notification.sent_at.isoformat() if notification.sent_at else None,
    })


@routes.get("/v1/openapi.yaml")
async def openapi(request: web.Request) -> web.Response:
    return web.Response(text=OPENAPI.read_text(encoding="utf-8"), content_type="application/yaml")
