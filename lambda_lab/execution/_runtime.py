"""The process side of an execution environment: a zygote that forks workers, and the worker.

Run as ``python -I _runtime.py`` with a clean environment. It imports only the standard library
(never ``lambda_lab``) so that a new environment costs one ``fork()`` rather than a new interpreter.

Zygote protocol (a SOCK_SEQPACKET pair with the host): the host sends a JSON spawn spec with two
file descriptors attached (the worker's control socket and its log file); the zygote forks and
answers ``{"token", "pid"}``; when a worker ends it sends ``{"exit": pid, "status": waitstatus}``.
When the host goes away (EOF), the zygote kills every worker and exits.

Worker protocol (a SOCK_STREAM pair): frames of ``!II`` (header length, body length) + header JSON +
body bytes. The worker first sends an ``init`` frame, then answers each ``invoke`` frame.
"""

import ctypes
import io
import json
import logging
import os
import resource
import select
import signal
import socket
import struct
import sys
import time
import traceback

if __package__:
    from . import _sandbox, handler_clock, import_policy
else:  # run as the zygote's script: its folder is not on sys.path (-I)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _sandbox
    import handler_clock
    import import_policy

    del sys.path[0]

_FRAME = struct.Struct("!II")
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)
#: The zygote's Landlock rules for its workers (None until zygote_main builds them).
_LANDLOCK = None


# --------------------------------------------------------------------------- framing


def send_frame(sock, header, body=b""):
    h = json.dumps(header, separators=(",", ":")).encode()
    sock.sendall(_FRAME.pack(len(h), len(body)) + h + body)


class FrameReader:
    """Reads frames from a stream socket, usually in one recv() call."""

    def __init__(self, sock, spin=0.0, spin_max=0.0):
        self.sock = sock
        self.buf = b""
        self.spin = spin
        self.spin_max = spin_max
        self.gap = float("inf")  # seconds between the last answer and the request after it
        self.idle_since = None

    def answered(self):
        """Note when an answer went out: the next request's gap is measured from here."""
        self.idle_since = time.perf_counter()

    def _spin(self, seconds):
        """Poll without sleeping for up to ``seconds``: back-to-back requests then skip
        the cost of waking a sleeping process. Yields the CPU on every turn."""
        sock = self.sock
        end = time.perf_counter() + seconds
        sock.setblocking(False)
        try:
            while time.perf_counter() < end:
                try:
                    return sock.recv(1 << 16) or b""
                except BlockingIOError:
                    os.sched_yield()
        finally:
            sock.setblocking(True)
        return b""

    def read(self):
        """The next (header, body), or (None, None) at EOF."""
        buf = self.buf
        recv = self.sock.recv
        if self.spin and len(buf) < 8:
            # Spin longer while requests come back to back (adaptive, capped at spin_max).
            spin = self.spin
            if self.gap < self.spin_max:
                spin = min(self.spin_max, 2 * self.gap + self.spin)
            buf += self._spin(spin)
        while len(buf) < 8:
            chunk = recv(1 << 16)
            if not chunk:
                return None, None
            buf += chunk
        if self.idle_since is not None:
            self.gap = time.perf_counter() - self.idle_since
            self.idle_since = None
        hlen, blen = _FRAME.unpack_from(buf)
        end = 8 + hlen + blen
        if len(buf) < end:
            parts = [buf]
            have = len(buf)
            while have < end:
                chunk = recv(max(end - have, 1 << 16))
                if not chunk:
                    return None, None
                parts.append(chunk)
                have += len(chunk)
            buf = b"".join(parts)
        self.buf = buf[end:]
        return json.loads(buf[8:8 + hlen]), buf[8 + hlen:end]


# --------------------------------------------------------------------------- the worker


class _Obj:
    pass


def _obj(d):
    o = _Obj()
    for k, v in (d or {}).items():
        setattr(o, k, v)
    return o


class LambdaContext:
    """The ``context`` argument, as the Python runtime builds it."""

    # Set once per environment from its reserved variables (see _prepare).
    log_group_name = log_stream_name = function_name = None
    memory_limit_in_mb = function_version = None

    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.tenant_id = None
        self.client_context = None
        if client_context is not None:
            self.client_context = _obj(client_context)
            self.client_context.client = _obj(client_context.get("client"))
        self.identity = _obj({"cognito_identity_id": None, "cognito_identity_pool_id": None})
        if identity:
            self.identity.cognito_identity_id = identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(handler_clock.real_time() * 1000)
        return left if left > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))


class _Fault(Exception):
    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


def _load_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {e}") from None
    if modname.split(".")[0] in sys.builtin_module_names:
        raise _Fault("Runtime.BuiltInModuleConflict",
                     f"Cannot use built-in module {modname} as a handler module")
    import importlib

    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise _Fault("Runtime.ImportModuleError",
                     f"Unable to import module '{modname}': {e}") from None
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise _Fault("Runtime.UserCodeSyntaxError",
                     f"Syntax error in module '{modname}': {e}", trace) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound",
                     f"Handler '{fname}' missing on module '{modname}'") from None


def _user_error(request_id):
    etype, value, tb = sys.exc_info()
    frames = traceback.extract_tb(tb)
    frames = [f for f in frames if not f.filename.endswith("_runtime.py")] or frames
    return {"errorMessage": str(value), "errorType": etype.__name__,
            "requestId": request_id, "stackTrace": traceback.format_list(frames)}


def _log_error(err):
    if _JSON_LOGS:  # as the Python runtime logs an error in the JSON format
        stamp = time.strftime(_JSON_TIME, time.gmtime())
        sys.stdout.write(json.dumps({"timestamp": stamp, "log_level": "ERROR", **err}) + "\n")
        return
    text = "[ERROR] " + err["errorType"] + ": " + err["errorMessage"]
    if err.get("stackTrace") is not None:
        text += "\nTraceback (most recent call last):"
        for frame in err["stackTrace"]:
            text += "\n" + frame.rstrip("\n")
    sys.stdout.write(text + "\n")


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = _RequestIdFilter.request_id
        return True


_JSON_LOGS = False  # LoggingConfig.LogFormat JSON (AWS_LAMBDA_LOG_FORMAT), set by _setup_logging
_JSON_TIME = "%Y-%m-%dT%H:%M:%SZ"
#: LogRecord attributes that are not the user's ``extra=`` fields (as the Python runtime's list).
_RECORD_FIELDS = {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
                  "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
                  "relativeCreated", "thread", "threadName", "processName", "process",
                  "aws_request_id", "taskName", "message", "asctime"}


class _JsonFormatter(logging.Formatter):
    """The Python runtime's JSON log object: timestamp, level, message, logger, requestId (and
    errorType, errorMessage, stackTrace, location with an exception; ``extra=`` fields)."""

    def __init__(self):
        super().__init__(datefmt=_JSON_TIME)

    def format(self, record):
        levelno = min(50, max(0, record.levelno)) // 10 * 10
        out = {"timestamp": self.formatTime(record, self.datefmt),
               "level": logging.getLevelName(levelno), "message": record.getMessage(),
               "logger": record.name}
        exc = record.exc_info
        if exc:
            out["stackTrace"] = traceback.format_tb(exc[2])
            out["errorType"] = exc[0].__name__
            out["errorMessage"] = str(exc[1])
        out["requestId"] = getattr(record, "aws_request_id", None)
        if exc:
            out["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in out:
                out[key] = value
        return json.dumps({k: v for k, v in out.items() if v is not None}, ensure_ascii=False,
                          default=str)


def _setup_logging():
    """The root logger's handler, as the Python runtime sets it up: the tab-separated text line,
    or with AWS_LAMBDA_LOG_FORMAT=JSON a JSON object, at AWS_LAMBDA_LOG_LEVEL (TRACE: DEBUG)."""
    global _JSON_LOGS
    logging.Formatter.converter = time.gmtime
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stdout)
    _JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
    if _JSON_LOGS:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S"))
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = "DEBUG" if level == "TRACE" else level
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)


def _maxrss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _prepare(spec, log_fd):
    """Everything between fork and the handler's import: sandbox, limits, environment."""
    os.setsid()
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(devnull)
    os.close(log_fd)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", write_through=True)
    isolation = spec["isolation"]
    read_only_mounts = False
    if isolation == "namespace":
        try:
            read_only_mounts = _sandbox.private_tmp_namespace(spec["ephemeral_mb"],
                                                              spec["code_paths"])
        except OSError:
            isolation = "fallback"
    tmp = "/tmp" if isolation == "namespace" else spec["private_tmp"]
    if isolation == "fallback":
        keep = [*(_LANDLOCK.python if _LANDLOCK else ()), *spec["code_paths"]]
        _sandbox.PrivateTmp(tmp, spec["ephemeral_mb"], keep).install()
    protections = _confine(spec, tmp)
    if read_only_mounts:
        protections.append("read-only-code")
    import tempfile

    tempfile.tempdir = None
    mem = spec.get("address_space_limit")
    if mem:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.environ.clear()
    os.environ.update(spec["env"])
    if os.environ.get("_LAMBDA_LAB_NETGUARD"):  # a VPC function's sockets (netguard.py)
        __import__("runpy").run_path(os.path.join(os.path.dirname(__file__), "netguard.py"))["install_from_environment"]()  # noqa: E501
    time.tzset()
    os.chdir(spec.get("cwd") or spec["task_root"])
    sys.path[0:0] = spec["sys_path"]
    env = os.environ
    LambdaContext.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
    LambdaContext.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
    LambdaContext.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
    LambdaContext.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    LambdaContext.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
    _setup_logging()
    return isolation, protections


def _confine(spec, tmp):
    """Landlock (where the kernel has it); no capabilities. What was applied, by name."""
    protections = []
    if _LANDLOCK is not None and _LANDLOCK.abi:
        try:
            protections += _LANDLOCK.apply(spec["code_paths"], [tmp], files_rw=[1])
        except OSError as e:
            sys.stdout.write(f"lambda_lab: Landlock not applied: {e}\n")
    try:  # root's, or those a user namespace gives (the zygote keeps them: a user namespace
        _sandbox.clear_capabilities()  # mapping root needs CAP_SETFCAP)
        protections.append("no-capabilities")
    except OSError:
        pass
    if not protections or not protections[0].startswith("landlock"):
        _sandbox.set_dumpable(False)
        protections.append("not-dumpable")
    return protections


def worker_main(sock, log_fd, spec):
    """Run one execution environment until the host closes the socket."""
    started = time.perf_counter()
    isolation, protections = _prepare(spec, log_fd)
    if spec.get("exec"):
        # A custom runtime: its bootstrap talks to the host's Runtime API over HTTP.
        sock.close()
        if isolation != "namespace":  # only Python code sees the redirected /tmp
            os.environ["TMPDIR"] = spec["private_tmp"]
        sys.stdout.flush()
        path = spec["exec"]
        try:
            os.execve(path, [path], dict(os.environ))
        except OSError as e:
            sys.stdout.write(f"exec {path}: {e}\n")
            os._exit(127)
    handler_clock.install(spec.get("clock_offset", 0.0))  # wall clock = platform time
    import_policy.install(spec.get("imports"))  # strict imports: what Lambda's runtime has
    try:
        handler = _load_handler(spec["handler"])
        init_error = None
    except _Fault as f:
        init_error = {"errorMessage": f.message, "errorType": f.error_type,
                      "requestId": "", "stackTrace": f.trace}
    except Exception:
        init_error = _user_error("")
    init_ms = (time.perf_counter() - started) * 1000.0
    if init_error is not None:
        _log_error(init_error)
    send_frame(sock, {"t": "init", "ms": init_ms, "error": init_error, "isolation": isolation,
                      "protections": protections, "rss_kb": _maxrss_kb()})
    if init_error is not None:
        os._exit(0)
    dumps = json.dumps
    reader = FrameReader(sock, spin=0.0002, spin_max=0.002)
    while True:
        req, body = reader.read()
        if req is None:
            os._exit(0)
        request_id = req["id"]
        handler_clock.set_offset(req.get("clock_offset"))
        _RequestIdFilter.request_id = request_id
        trace_id = req.get("trace_id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        error = None
        t0 = time.perf_counter()
        try:
            context = LambdaContext(request_id, req["deadline_ms"], req["arn"],
                                    req.get("client_context"), req.get("identity"))
            event = json.loads(body) if body else None
            result = handler(event, context)
            try:
                out = dumps(result).encode()
            except Exception as e:
                raise _Fault("Runtime.MarshalError", f"Unable to marshal response: {e}") from None
        except _Fault as f:
            error = {"errorMessage": f.message, "errorType": f.error_type,
                     "requestId": request_id, "stackTrace": f.trace}
        except Exception:
            error = _user_error(request_id)
        ms = (time.perf_counter() - t0) * 1000.0
        if error is not None:
            _log_error(error)
            out = dumps(error).encode()
        send_frame(sock, {"t": "done", "ms": ms, "err": error is not None,
                          "rss_kb": _maxrss_kb()}, out)
        reader.answered()


# --------------------------------------------------------------------------- the zygote


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _kill_orphans(me, workers):
    """Kill processes reparented to the zygote (it is a subreaper) that are not workers."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        pid = int(name)
        if ppid == me and pid not in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def zygote_main(ctl, landlock=True):
    """Fork a worker for every spawn request; report exits; die with the host.

    ``landlock``: confine workers with Landlock where the kernel has it (False: as without)."""
    global _LANDLOCK
    me = os.getpid()
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _sandbox.set_dumpable(False)  # the specs it forks from hold every worker's variables
    _LANDLOCK = _sandbox.Landlock(None if landlock else 0)
    _sandbox.no_new_privs()  # it never execs: once here rather than in every worker
    rpipe, wpipe = os.pipe()
    os.set_blocking(wpipe, False)
    signal.set_wakeup_fd(wpipe)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    workers = set()

    def reap():
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            # Any child that is not a worker is an orphan a worker left behind; when one dies,
            # its own children become ours in turn, so sweep again on every exit.
            _kill_orphans(me, workers - {pid})
            if pid in workers:
                workers.discard(pid)
                _kill_group(pid)
                try:
                    ctl.send(json.dumps({"exit": pid, "status": status}).encode())
                except OSError:
                    pass

    while True:
        try:
            ready, _, _ = select.select([ctl, rpipe], [], [], 1.0)
        except InterruptedError:
            continue
        if rpipe in ready:
            try:
                os.read(rpipe, 512)
            except BlockingIOError:
                pass
        reap()
        if ctl not in ready:
            continue
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 20, 4)
        except OSError:
            msg = b""
        if not msg:
            for pid in list(workers):
                _kill_group(pid)
            os._exit(0)
        req = json.loads(msg)
        if "kill" in req:
            if req["kill"] in workers:
                _kill_group(req["kill"])
            continue
        pid = os.fork()
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(rpipe)
                os.close(wpipe)
                ctl.close()
                sock = socket.socket(fileno=fds[0])
                worker_main(sock, fds[1], req)
            except SystemExit as e:
                code = e.code
                os._exit(code if isinstance(code, int) else (0 if code is None else 1))
            except BaseException:
                traceback.print_exc()
            os._exit(1)
        for fd in fds:
            os.close(fd)
        workers.add(pid)
        ctl.send(json.dumps({"token": req["token"], "pid": pid}).encode())


if __name__ == "__main__":
    zygote_main(socket.socket(fileno=int(sys.argv[1])), landlock="--no-landlock" not in sys.argv)
