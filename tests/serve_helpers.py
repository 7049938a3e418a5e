"""An in-process ``serve`` on port 0 and raw HTTP requests to it, signed (SigV4) or not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambda_lab.serve import serve

CREDENTIALS = Credentials("testing", "testing")


@dataclass
class Answer:
    status: int
    headers: requests.structures.CaseInsensitiveDict
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error_type(self) -> str | None:
        return self.headers.get("x-amzn-ErrorType")


def running_server(isolation: str = "auto") -> Iterator[str]:
    """Start ``serve(0)`` on a thread; yields its endpoint URL; stops it afterwards."""
    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(0,), daemon=True, kwargs={
        "isolation": isolation, "ready": ready, "stop": stop, "on_ready": urls.append})
    thread.start()
    assert ready.wait(60), "serve did not start"
    try:
        yield urls[0]
    finally:
        stop.set()
        thread.join(60)


def send(url: str, method: str, path: str, body: bytes | str = b"", *,
         headers: dict[str, str] | None = None, sign: bool = True,
         service: str = "lambda") -> Answer:
    """One request; ``path`` may hold a query string; signed like an SDK's when ``sign``."""
    data = body.encode() if isinstance(body, str) else body
    request = AWSRequest(method=method, url=url + path, data=data, headers=dict(headers or {}))
    if sign:
        SigV4Auth(CREDENTIALS, service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    response = requests.request(method, prepared.url, data=data, headers=dict(prepared.headers),
                                timeout=60)
    return Answer(response.status_code, response.headers, response.text)
