"""Worker side of Lambda in a VPC: outbound sockets to hosts the function's network cannot reach
hang, as on AWS (standard library only: loaded by ``_runtime.py`` into a VPC function's worker).

Before a socket connects to a host other than this machine (127.0.0.0/8, ::1 — the emulated
AWS, the Runtime API and the X-Ray daemon stay reachable), the worker asks the emulator
(``GET $AWS_ENDPOINT_URL/_lambda_lab/reach?host=…&port=…``, signed by the function's access key
id) whether the function's VPC has a path there (:func:`lambda_lab.platform.network.reach`).
Without one, ``connect`` neither fails nor succeeds: it waits for the socket's own timeout (then
``TimeoutError: timed out``) or, with none, until the function's timeout ends the invocation.
A name that resolves nowhere here still resolves (to a TEST-NET address), so the hang comes at
``connect`` as it would on AWS, not as a DNS error.

Covers Python TCP sockets of the worker process, blocking or not (``socket``, ``http.client``,
``urllib``, ``requests``, ``urllib3``, asyncio); C extensions' own sockets and child processes
are not covered (their AWS calls are: the emulator holds those server-side).
"""

import http.client
import ipaddress
import json
import os
import socket
import time
import urllib.parse

_HOLD_FOREVER_S = 3600.0
_original: dict = {}
_fake_hosts: dict = {}  # TEST-NET address handed out by getaddrinfo -> host name


def _loopback(host):
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _ask(endpoint, key, host, port):
    """The emulator's answer: (ok, reason). Unreachable emulator: allowed."""
    parts = urllib.parse.urlsplit(endpoint)
    query = urllib.parse.urlencode({"host": host, "port": port, "key": key})
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
    try:
        conn.request("GET", f"/_lambda_lab/reach?{query}")
        answer = json.loads(conn.getresponse().read() or b"{}")
        return bool(answer.get("ok", True)), answer.get("reason", "")
    except (OSError, ValueError):
        return True, ""
    finally:
        conn.close()


_tarpits: dict = {}


def _tarpit(family):
    """A local listener whose accept queue is full: the kernel drops further SYNs, so a
    non-blocking connect there never completes (the event loop's own timeout, or the
    function's, ends it) — an unanswered SYN, as from a VPC without a route."""
    if family not in _tarpits:
        host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.bind((host, 0))
        listener.listen(0)
        fillers = []
        for _ in range(2):
            f = socket.socket(family, socket.SOCK_STREAM)
            f.setblocking(False)
            f.connect_ex(listener.getsockname())
            fillers.append(f)
        time.sleep(0.05)
        _tarpits[family] = (listener, fillers)
    return _tarpits[family][0].getsockname()


def _hang(sock, connect):
    """Wait as an unanswered SYN does: the socket's timeout, else (nearly) for ever."""
    timeout = sock.gettimeout()
    if timeout == 0.0:
        return connect(sock, _tarpit(sock.family))
    time.sleep(_HOLD_FOREVER_S if timeout is None else timeout)
    raise TimeoutError("timed out")


def install(endpoint, key):
    """Patch ``socket`` so connections ask first (``endpoint``: the emulator's URL; ``key``: the
    function's access key id)."""
    if _original or not endpoint:
        return

    def allowed(host, port):
        if _loopback(host):
            return True
        return _ask(endpoint, key, _fake_hosts.get(host, host), port)[0]

    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo
    _original.update(connect=connect, connect_ex=connect_ex, getaddrinfo=getaddrinfo)

    def guarded_connect(self, address):
        if (self.family in (socket.AF_INET, socket.AF_INET6) and self.type == socket.SOCK_STREAM
                and isinstance(address, tuple) and not allowed(address[0], address[1])):
            return _hang(self, connect)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        try:
            guarded_connect(self, address)
        except TimeoutError:
            return 11 if self.gettimeout() == 0.0 else 110  # EAGAIN / ETIMEDOUT
        except OSError as e:
            return e.errno or 1
        return 0

    def guarded_getaddrinfo(host, port, *args, **kwargs):
        try:
            return getaddrinfo(host, port, *args, **kwargs)
        except socket.gaierror:
            name = host.decode() if isinstance(host, bytes) else host
            if not name or _loopback(name):
                raise
            fake = f"192.0.2.{1 + len(_fake_hosts) % 250}"
            _fake_hosts[fake] = name
            return getaddrinfo(fake, port, *args, **kwargs)

    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex
    socket.getaddrinfo = guarded_getaddrinfo


def install_from_environment():
    """Called by ``_runtime.py`` after the worker's environment is set: installs the guard for
    a VPC function (``_LAMBDA_LAB_NETGUARD``, removed from the handler's view)."""
    if os.environ.pop("_LAMBDA_LAB_NETGUARD", ""):
        install(os.environ.get("AWS_ENDPOINT_URL", ""), os.environ.get("AWS_ACCESS_KEY_ID", ""))
