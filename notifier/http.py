"""The notifier's HTTP edge: signed step events in, notification status out."""

from __future__ import annotations

import pydantic
from aiohttp import web

from notifier.events import StepEvent
from notifier.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from notifier.templates import TemplateError
from service.errors import error_response
from service.keys import INGESTOR, SETTINGS, STORE

routes = web.RouteTableDef()


@routes.post("/v1/events")
async def receive_event(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if settings.notifier_events_secret is None:
        return error_response(503, "not_configured", "NOTIFIER_EVENTS_SECRET is not set")
    body = await request.read()
    try:
        verify(
            settings.notifier_events_secret.get_secret_value().encode(),
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            settings.notifier_event_max_age_s,
        )
    except SignatureError as e:
        return error_response(401, "invalid_signature", str(e))
    try:
        event = StepEvent.model_validate_json(body)
    except pydantic.ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
        )
        return error_response(422, "invalid_event", problems)
    try:
        ingested = await request.app[INGESTOR].ingest(event)
    except TemplateError as e:
        return error_response(422, "unrenderable", str(e))
    return web.json_response(
        {"duplicate": ingested.duplicate, "notifications": ingested.notification_ids},
        status=200 if ingested.duplicate else 202,
    )


@routes.get("/v1/notifications/{id}")
async def notification_status(request: web.Request) -> web.Response:
    notification = await request.app[STORE].get(request.match_info["id"])
    if notification is None:
        return error_response(404, "unknown_notification", "no notification has this id")
    return web.json_response({
        "id": notification.id,
        "dossier_code": notification.dossier_code,
        "step": notification.step,
        "channel": notification.channel,
        "status": notification.status,
        "provider": notification.provider,
        "attempts": notification.attempts,
        "created_at": notification.created_at.isoformat(),
        "sent_at": notification.sent_at.isoformat() if notification.sent_at else None,
    })
