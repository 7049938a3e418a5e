"""Platform time inside a Python worker: the handler's wall clock follows ``aws.advance()``.

On Lambda a handler's wall clock and the platform's timestamps (CloudWatch, SQS ``SentTimestamp``,
EventBridge ``time``) are one clock. The emulator's platform clock may run ahead of real time (a
VirtualClock after ``advance``), so the host sends the offset (platform now − real now) at init
and with every invocation, and the worker shifts the wall-clock reads by it: ``time.time``,
``time.time_ns``, ``time.clock_gettime(CLOCK_REALTIME)``, ``gmtime``/``localtime``/``ctime``/
``strftime`` without a time, ``datetime.now``/``utcnow``/``today`` and ``date.today`` (the C
``date.today`` reads ``time.time`` itself). ``time.monotonic``/``perf_counter`` stay real, so
durations, the timeout and ``get_remaining_time_in_millis()`` do not move.

Not reached: C extensions that read ``clock_gettime`` themselves, child processes, custom runtimes
(any non-Python executable). Imported by the worker (``_runtime.py``): standard library only.
"""

import datetime as _datetime_module
import sys
import time

_real_time = time.time
_real_time_ns = time.time_ns
_real_clock_gettime = time.clock_gettime
_real_clock_gettime_ns = time.clock_gettime_ns
_real_gmtime, _real_localtime = time.gmtime, time.localtime
_real_ctime, _real_strftime = time.ctime, time.strftime
_RealDatetime = _datetime_module.datetime
_KEEP = ("datetime", "_datetime", __name__)  # modules whose datetime stays the original
_offset = 0.0
_offset_ns = 0
_installed = False


def real_time() -> float:
    """The host's real wall-clock time (what the deadline is measured against)."""
    return _real_time()


def set_offset(seconds) -> None:
    """Platform time minus real time, in seconds (None: unchanged)."""
    global _offset, _offset_ns
    if seconds is None:
        return
    _offset = float(seconds)
    _offset_ns = int(round(_offset * 1e9))


def _time() -> float:
    return _real_time() + _offset


def _time_ns() -> int:
    return _real_time_ns() + _offset_ns


def _clock_gettime(clk_id):
    t = _real_clock_gettime(clk_id)
    return t + _offset if clk_id == time.CLOCK_REALTIME else t


def _clock_gettime_ns(clk_id):
    t = _real_clock_gettime_ns(clk_id)
    return t + _offset_ns if clk_id == time.CLOCK_REALTIME else t


def _gmtime(secs=None):
    return _real_gmtime(_time() if secs is None else secs)


def _localtime(secs=None):
    return _real_localtime(_time() if secs is None else secs)


def _ctime(secs=None):
    return _real_ctime(_time() if secs is None else secs)


def _strftime(fmt, t=None):
    return _real_strftime(fmt, _real_localtime(_time()) if t is None else t)


class _DatetimeMeta(type):
    """``isinstance``/``issubclass`` answer for the original class too: datetimes made by C code
    (or by modules that kept the original class) are still ``datetime.datetime`` instances."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, _RealDatetime)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, _RealDatetime)


class PlatformDatetime(_RealDatetime, metaclass=_DatetimeMeta):
    """``datetime.datetime`` whose ``now``/``utcnow`` read platform time (``today`` already
    does through ``time.time``). Pickles as ``datetime.datetime``."""

    @classmethod
    def now(cls, tz=None):
        return cls.fromtimestamp(_time(), tz)

    @classmethod
    def utcnow(cls):
        return cls.fromtimestamp(_time(), _datetime_module.timezone.utc).replace(tzinfo=None)


PlatformDatetime.__name__ = PlatformDatetime.__qualname__ = "datetime"
PlatformDatetime.__module__ = "datetime"


def install(offset=0.0) -> None:
    """Patch the wall-clock reads of this process (once); ``offset`` as :func:`set_offset`."""
    global _installed
    set_offset(offset)
    if _installed:
        return
    _installed = True
    time.time, time.time_ns = _time, _time_ns
    time.clock_gettime, time.clock_gettime_ns = _clock_gettime, _clock_gettime_ns
    time.gmtime, time.localtime, time.ctime, time.strftime = _gmtime, _localtime, _ctime, _strftime
    _datetime_module.datetime = PlatformDatetime
    # Modules already loaded that hold the original class (``from datetime import datetime``).
    for module in list(sys.modules.values()):
        space = getattr(module, "__dict__", None)
        if space is not None and space.get("datetime") is _RealDatetime \
                and space.get("__name__") not in _KEEP:
            space["datetime"] = PlatformDatetime


def clock_offset(clock) -> float:
    """Host side: what the worker adds to its wall clock for ``clock`` (None: 0)."""
    return 0.0 if clock is None else clock.now() - _real_time()
