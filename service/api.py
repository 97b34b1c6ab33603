"""Our public endpoints for residents' channels: health, procedure search, and the web chat."""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from knowledge.resolve import Decision, Evidence
from service.errors import bad_request, error_response
from service.keys import RASA_SESSION, RESOLVER, SEARCH, SETTINGS

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
MAX_RESULTS = 20
MAX_CHAT_CHARS = 2000

EMPTY_MESSAGE = (
    "Bạn chưa nhập câu hỏi. Bạn có thể hỏi, ví dụ: \"đăng ký khai sinh cần giấy tờ gì\"."
)
TOO_LONG = (
    "Tin nhắn của bạn dài quá {limit} ký tự nên tôi chưa đọc được. "
    "Bạn vui lòng hỏi ngắn gọn từng ý một, hoặc gọi tổng đài 1900 1009."
)
RASA_DOWN = (
    "Xin lỗi, trợ lý đang tạm gián đoạn. Bạn vui lòng thử lại sau ít phút hoặc gọi 1900 1009."
)

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "procedures": len(request.app[SEARCH])})


@routes.get("/api/v1/procedures/search")
async def search_procedures(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    if not query:
        bad_request("missing_query", "parameter q is required")
    if len(query) > MAX_QUERY_CHARS:
        bad_request("query_too_long", f"q has more than {MAX_QUERY_CHARS} characters")
    try:
        k = int(request.query.get("k", "5"))
    except ValueError:
        bad_request("invalid_k", "k must be a whole number")
    if not 1 <= k <= MAX_RESULTS:
        bad_request("invalid_k", f"k must be between 1 and {MAX_RESULTS}")
    hits = request.app[SEARCH].search(query, k)
    resolution = request.app[RESOLVER].resolve(Evidence(query))
    return web.json_response({
        "results": [{"code": h.code, "name": h.name, "score": h.score} for h in hits],
        # The bot's own decision for this question: answer it, ask which one, or abstain.
        "decision": resolution.decision.value,
        "code": resolution.code if resolution.decision == Decision.ANSWER else None,
    })


@routes.get("/api/v1/procedures/{code}")
async def get_procedure(request: web.Request) -> web.Response:
    procedure = request.app[SEARCH].get(request.match_info["code"])
    if procedure is None:
        return error_response(404, "unknown_procedure", "no procedure has this code")
    return web.json_response(procedure.model_dump(mode="json"))


def _bot_says(text: str) -> web.Response:
    return web.json_response([{"recipient_id": "", "text": text}])


@routes.post("/api/v1/chat")
async def chat(request: web.Request) -> web.Response:
    """The web page's message, checked, then forwarded to Rasa's REST channel."""
    try:
        payload = await request.json()
    except ValueError:
        bad_request("invalid_json", "body must be JSON: {\"sender\": ..., \"message\": ...}")
    if not isinstance(payload, dict):
        bad_request("invalid_json", "body must be a JSON object")
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not 1 <= len(sender) <= 64:
        bad_request("invalid_sender", "sender must be a string of 1 to 64 characters")
    if not isinstance(message, str) or not message.strip():
        return _bot_says(EMPTY_MESSAGE)
    if len(message) > MAX_CHAT_CHARS:
        return _bot_says(TOO_LONG.format(limit=f"{MAX_CHAT_CHARS:,}".replace(",", ".")))
    url = f"{request.app[SETTINGS].rasa_url}/webhooks/rest/webhook"
    # The resident's address goes with the message: the dossier lookup limits attempts by it.
    # (Behind a reverse proxy, request.remote is the proxy's unless forwarded headers are used.)
    forwarded = {"sender": sender, "message": message,
                 "metadata": {"source_address": request.remote}}
    try:
        async with request.app[RASA_SESSION].post(url, json=forwarded) as response:
            response.raise_for_status()
            replies = await response.json()
    except (aiohttp.ClientError, TimeoutError) as e:
        logger.warning("rasa unavailable: %s", e)
        return _bot_says(RASA_DOWN)
    return web.json_response(replies)
