"""POST /api/v1/dossiers/lookup: the dossier status lookup, for the action server only.

The caller proves it is ours with the shared INTERNAL_API_TOKEN and says who is asking (the
conversation, and the resident's address when its channel knows it), which the attempt limits
count. Every answer is a sentence ready to show: found, or one of the polite refusals.
"""

from __future__ import annotations

import hmac

import pydantic
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from service.errors import error_response
from service.keys import DOSSIER_LOOKUP, SETTINGS

routes = web.RouteTableDef()
TOKEN_HEADER = "X-Internal-Token"


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(max_length=100)
    last_digits: str = Field(max_length=20)
    conversation: str = Field(min_length=1, max_length=200)
    source_address: str | None = Field(default=None, max_length=64)


@routes.post("/api/v1/dossiers/lookup")
async def lookup_dossier(request: web.Request) -> web.Response:
    token = request.app[SETTINGS].internal_api_token
    presented = request.headers.get(TOKEN_HEADER, "")
    if token is None or not hmac.compare_digest(presented, token.get_secret_value()):
        return error_response(401, "unauthorised", f"a valid {TOKEN_HEADER} is required")
    try:
        asked = LookupRequest.model_validate_json(await request.read())
    except pydantic.ValidationError as e:
        return error_response(422, "invalid_lookup", str(e.errors()[0]["msg"]))
    result = await request.app[DOSSIER_LOOKUP].lookup(
        asked.code, asked.last_digits, asked.conversation, asked.source_address
    )
    return web.json_response({"outcome": result.outcome.value, "answer": result.answer})
