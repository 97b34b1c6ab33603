"""POST /api/v1/knowledge/gaps: the action server records a question it declined to answer.

Internal, like the dossier endpoints: the caller presents INTERNAL_API_TOKEN.
"""

from __future__ import annotations

import pydantic
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from service.dossier_api import internal_caller
from service.errors import error_response
from service.keys import GAPS

routes = web.RouteTableDef()


class GapReport(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    question: str = Field(min_length=1, max_length=2000)
    candidates: list[str] = Field(default_factory=list, max_length=5)


@routes.post("/api/v1/knowledge/gaps")
async def record_gap(request: web.Request) -> web.Response:
    refused = internal_caller(request)
    if refused is not None:
        return refused
    try:
        report = GapReport.model_validate_json(await request.read())
    except pydantic.ValidationError as e:
        return error_response(422, "invalid_request", str(e.errors()[0]["msg"]))
    await request.app[GAPS].record(report.question, report.candidates)
    return web.json_response({"recorded": True}, status=201)
