"""API Gateway REST APIs (placeholder until the proxy integration lands)."""

from __future__ import annotations

from .http import HttpRequest, HttpResponse, json_response


def region_of(api_id: str) -> str | None:
    return None


def handle_execute_api(api_id: str, region: str, request: HttpRequest) -> HttpResponse:
    return json_response(404, {"message": f"lambda_lab: no REST or HTTP API {api_id}"})
