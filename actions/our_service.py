"""The action server's calls to our service's internal endpoints (dossier lookups, knowledge
gaps): one place for its address, the shared token and the time limit of a call."""

from __future__ import annotations

import os
from typing import Any

import aiohttp

TOKEN_HEADER = "X-Internal-Token"


def service_url() -> str:
    """Our service (DVC_SERVICE_URL; set by the Makefile)."""
    return os.environ.get("DVC_SERVICE_URL", "http://127.0.0.1:8000")


async def post(path: str, body: dict[str, Any], timeout_s: float) -> Any:
    """POST `body` as JSON to `path` of our service, with INTERNAL_API_TOKEN; the decoded answer.

    Raises aiohttp.ClientError (refused, or an error status), TimeoutError, ValueError (not JSON).
    """
    headers = {TOKEN_HEADER: os.environ.get("INTERNAL_API_TOKEN", "")}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.post(
        f"{service_url()}{path}", json=body, headers=headers
    ) as response:
        response.raise_for_status()
        return await response.json()
