"""Lambda authorizers (placeholder)."""

from __future__ import annotations

from typing import Any

from .http import HttpRequest, HttpResponse, json_response


def authorize_rest(api: Any, method: Any, request: HttpRequest, stage: str,
                   variables: dict[str, str], resource_path: str, path: str) \
        -> HttpResponse | dict[str, Any]:
    return json_response(500, {"message": "lambda_lab: authorizers are not emulated yet"})
