"""API Gateway HTTP APIs (placeholder until routing lands)."""

from __future__ import annotations

from typing import Any

from .http import HttpRequest, HttpResponse, json_response


def find(api_id: str, region: str | None = None) -> tuple[Any, str, str] | None:
    return None


def handle(api: Any, region: str, account: str, request: HttpRequest) -> HttpResponse:
    return json_response(404, {"message": "Not Found"})
