"""notifier/openapi.yaml documents exactly the routes that notifier/http.py serves."""

from __future__ import annotations

from typing import Any

import yaml
from aiohttp import web

from notifier.http import OPENAPI, routes

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _document() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def test_the_document_is_openapi_3_1() -> None:
    assert str(_document()["openapi"]).startswith("3.1")


def test_every_route_is_documented_and_nothing_else() -> None:
    documented = {
        (method.upper(), path)
        for path, item in _document()["paths"].items()
        for method in item
        if method in METHODS
    }
    assert all(isinstance(route, web.RouteDef) for route in routes)
    served = {
        (route.method.upper(), route.path) for route in routes if isinstance(route, web.RouteDef)
    }
    assert documented == served
