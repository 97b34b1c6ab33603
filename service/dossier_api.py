"""The dossier status endpoints, for the action server only.

POST /api/v1/dossiers/lookup answers where a dossier is; POST /api/v1/dossiers/subscribe turns
SMS notifications for its applicant back on (an earlier opt-out is lifted). Both verify the code
and the last 4 digits again, within the same attempt limits. The caller proves it is ours with the
shared INTERNAL_API_TOKEN and says who is asking (the conversation, and the resident's address or
caller phone when its channel knows them). Every answer is a sentence ready to show.
"""

from __future__ import annotations

import dataclasses
import hmac

import pydantic
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from dossiers.lookup import Asker, Outcome
from notifier.store import Recipient
from service.errors import error_response
from service.keys import DOSSIER_LOOKUP, SETTINGS, STORE

routes = web.RouteTableDef()
TOKEN_HEADER = "X-Internal-Token"
SUBSCRIBED = (
    "Đã đăng ký: số điện thoại đã khai khi nộp hồ sơ sẽ nhận tin nhắn ở mỗi bước xử lý tiếp "
    "theo của hồ sơ."
)


class DossierRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(max_length=100)
    last_digits: str = Field(max_length=20)
    conversation: str = Field(min_length=1, max_length=200)
    source_address: str | None = Field(default=None, max_length=64)
    asker_phone: str | None = Field(default=None, max_length=20)

    @property
    def asker(self) -> Asker:
        return Asker(self.conversation, self.source_address, self.asker_phone)


def internal_caller(request: web.Request) -> web.Response | None:
    """None when the caller presents the shared INTERNAL_API_TOKEN, else the 401 to return."""
    token = request.app[SETTINGS].internal_api_token
    presented = request.headers.get(TOKEN_HEADER, "")
    if token is None or not hmac.compare_digest(presented, token.get_secret_value()):
        return error_response(401, "unauthorised", f"a valid {TOKEN_HEADER} is required")
    return None


async def _request(request: web.Request) -> DossierRequest | web.Response:
    refused = internal_caller(request)
    if refused is not None:
        return refused
    try:
        return DossierRequest.model_validate_json(await request.read())
    except pydantic.ValidationError as e:
        return error_response(422, "invalid_request", str(e.errors()[0]["msg"]))


@routes.post("/api/v1/dossiers/lookup")
async def lookup_dossier(request: web.Request) -> web.Response:
    asked = await _request(request)
    if isinstance(asked, web.Response):
        return asked
    result = await request.app[DOSSIER_LOOKUP].lookup(asked.code, asked.last_digits, asked.asker)
    return web.json_response({"outcome": result.outcome.value, "answer": result.answer})


@routes.post("/api/v1/dossiers/subscribe")
async def subscribe(request: web.Request) -> web.Response:
    asked = await _request(request)
    if isinstance(asked, web.Response):
        return asked
    result, dossier = await request.app[DOSSIER_LOOKUP].verify(
        asked.code, asked.last_digits, asked.asker, action="subscribe"
    )
    if dossier is None:
        return web.json_response({"outcome": result.outcome.value, "answer": result.answer})
    store = request.app[STORE]
    phone = dossier.applicant_phone
    current = await store.recipient(phone) or Recipient(phone)
    await store.save_recipient(dataclasses.replace(current, sms_opt_out=False))
    return web.json_response({"outcome": Outcome.FOUND.value, "answer": SUBSCRIBED})
