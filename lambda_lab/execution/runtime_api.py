"""The Lambda Runtime API, served on 127.0.0.1 to a custom runtime's ``bootstrap`` process.

A custom runtime (``provided.al2023``, ``provided.al2``) is any executable named ``bootstrap``
that loops: ``GET /2018-06-01/runtime/invocation/next`` for an event, then ``POST …/response``
or ``POST …/error``. Each execution environment gets its own server (its own port), named to
the runtime in ``AWS_LAMBDA_RUNTIME_API``.

To the execution environment this looks like the Python worker's socket: a pollable file
descriptor and ``read()`` returning ``(header, body)`` frames, or None once the process is gone.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import procfs

API = "/2018-06-01/runtime"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass  # the runtime's requests are not the function's logs

    def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the runtime went away (its environment is shutting down): nobody to answer

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != f"{API}/invocation/next":
            self._reply(404, b'{"errorMessage":"Not found","errorType":"NotFound"}')
            return
        nxt = self.server.channel.next_invocation()
        if nxt is None:
            self.close_connection = True
            self._reply(410, b'{"errorMessage":"Environment is shutting down"}')
            return
        headers, body = nxt
        self._reply(200, body, headers)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self._body()
        channel = self.server.channel
        parts = self.path[len(API):].strip("/").split("/")
        if parts == ["init", "error"]:
            channel.init_error(body)
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            if not channel.answer(parts[1], body, parts[2] == "error"):
                self._reply(400, b'{"errorMessage":"Invalid request ID",'
                                 b'"errorType":"InvalidRequestID"}')
                return
        else:
            self._reply(404, b'{"errorMessage":"Not found","errorType":"NotFound"}')
            return
        self._reply(202, b'{"status":"OK"}')


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    channel: RuntimeAPIChannel


class RuntimeAPIChannel:
    """One environment's Runtime API server, seen by the host as a stream of frames."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.channel = self
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._rfd, self._wfd = os.pipe()
        self._cond = threading.Condition()
        self._frames: collections.deque = collections.deque()
        self._pending: tuple[dict, bytes] | None = None
        self._current: str | None = None
        self._sent_at = 0.0
        self._started = time.perf_counter()
        self._initialised = False
        self._closed = False
        self.pid = 0
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="lambda-lab-runtime-api")
        self._thread.start()

    # ----------------------------------------------------------------- host side

    def fileno(self) -> int:
        return self._rfd

    def _push(self, frame: tuple[dict, bytes] | None) -> None:
        self._frames.append(frame)
        os.write(self._wfd, b"!")

    def read(self) -> tuple[dict, bytes] | None:
        """The next frame (blocks until there is one); None once the runtime is gone."""
        os.read(self._rfd, 1)
        return self._frames.popleft()

    def send(self, header: dict, body: bytes) -> None:
        """Queue an invocation for the runtime's next ``GET …/next``."""
        headers = {"Lambda-Runtime-Aws-Request-Id": header["id"],
                   "Lambda-Runtime-Deadline-Ms": str(header["deadline_ms"]),
                   "Lambda-Runtime-Invoked-Function-Arn": header["arn"],
                   "Lambda-Runtime-Trace-Id": header.get("trace_id") or ""}
        if header.get("client_context") is not None:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(header["client_context"])
        if header.get("identity") is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(header["identity"])
        with self._cond:
            self._pending = (headers, body)
            self._current = header["id"]
            self._sent_at = time.perf_counter()
            self._cond.notify_all()

    def process_exited(self) -> None:
        """Called when the runtime's process ends: the host reads EOF."""
        with self._cond:
            if not self._closed:
                self._closed = True
                self._cond.notify_all()
                self._push(None)

    def close(self) -> None:
        self.process_exited()
        self._server.shutdown()
        self._server.server_close()
        for fd in (self._rfd, self._wfd):
            try:
                os.close(fd)
            except OSError:
                pass

    # ----------------------------------------------------------------- runtime side

    def _init_done(self, error: dict | None) -> None:
        if not self._initialised:
            self._initialised = True
            ms = (time.perf_counter() - self._started) * 1000.0
            self._push(({"t": "init", "ms": ms, "error": error, "isolation": "namespace",
                         "rss_kb": procfs.peak_rss_kb(self.pid)}, b""))

    def next_invocation(self) -> tuple[dict, bytes] | None:
        """Block until the host sends an invocation; the first call ends the init phase."""
        with self._cond:
            self._init_done(None)
            while self._pending is None and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            nxt, self._pending = self._pending, None
            return nxt

    def init_error(self, body: bytes) -> None:
        try:
            error = json.loads(body or b"{}")
        except ValueError:
            error = {"errorMessage": body.decode(errors="replace"), "errorType": "Runtime.Unknown"}
        with self._cond:
            self._init_done(error)

    def answer(self, request_id: str, body: bytes, is_error: bool) -> bool:
        """A response or error for the current invocation; False for a wrong request id."""
        with self._cond:
            if request_id != self._current:
                return False
            self._current = None
            ms = (time.perf_counter() - self._sent_at) * 1000.0
        self._push(({"t": "done", "ms": ms, "err": is_error,
                     "rss_kb": procfs.peak_rss_kb(self.pid)}, body))
        return True
