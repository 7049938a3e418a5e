"""Application Load Balancers with Lambda targets (placeholder)."""

from __future__ import annotations

from .http import HttpRequest, HttpResponse, json_response


def handle_host(host: str, request: HttpRequest) -> HttpResponse:
    return json_response(404, {"message": f"lambda_lab: no load balancer {host}"})


def handle_name(name: str, request: HttpRequest) -> HttpResponse:
    return json_response(404, {"message": f"lambda_lab: no load balancer {name}"})
