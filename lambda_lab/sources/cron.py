"""EventBridge schedule expressions: ``rate(…)`` and AWS's six-field ``cron(…)``, in UTC.

``cron(minutes hours day-of-month month day-of-week year)`` (EventBridge UG
eb-scheduled-rule-pattern): ``,`` ``-`` ``*`` ``/`` in every field; ``?`` in exactly one of
day-of-month / day-of-week; ``L`` (last day of the month; in day-of-week ``L`` is Saturday and
``5L`` the last Thursday), ``W`` (``3W``: the weekday nearest the 3rd, ``LW``: the last weekday)
and ``#`` (``3#2``: the second Tuesday). Day-of-week counts 1 = SUN … 7 = SAT; months and days
may be named (JAN, MON). ``rate(1 minute)`` is singular, ``rate(5 minutes)`` plural.

:func:`parse` returns a :class:`Rate` or a :class:`Cron`; both answer :meth:`next_after` (the
next fire time, in platform seconds, strictly after a time). Raises :class:`InvalidSchedule`.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass

__all__ = ["INVALID", "Cron", "InvalidSchedule", "Rate", "parse"]

INVALID = "Parameter ScheduleExpression is not valid."  #: AWS's PutRule message
_UNITS = {"minute": 60, "hour": 3600, "day": 86_400}
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_YEARS = (1970, 2199)


class InvalidSchedule(ValueError):
    """A schedule expression AWS rejects (``str(e)`` says why; AWS says only :data:`INVALID`)."""


@dataclass(frozen=True)
class Rate:
    """``rate(value unit)``: every ``seconds``, counted from ``anchor`` (the rule's creation,
    on a whole minute)."""

    seconds: int
    expression: str

    def next_after(self, t: float, anchor: float = 0.0) -> float:
        anchor = anchor - anchor % 60
        if t < anchor:
            return anchor
        k = int((t - anchor) // self.seconds) + 1
        return anchor + k * self.seconds


@dataclass(frozen=True)
class Cron:
    """A parsed ``cron(…)``; day rules are kept as small tuples (see :func:`_day_field`)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: tuple[frozenset[int], bool, bool, frozenset[int]] | None  #: dom, L, LW, nW; None: ?
    months: frozenset[int]
    weekdays: tuple[frozenset[int], frozenset[int], frozenset[tuple[int, int]]] | None
    years: frozenset[int]
    expression: str

    def matches_day(self, d: _dt.date) -> bool:
        last = calendar.monthrange(d.year, d.month)[1]
        if self.days is not None:
            days, last_day, last_weekday, nearest = self.days
            if d.day in days or (last_day and d.day == last):
                return True
            if last_weekday and d == _nearest_weekday(d.year, d.month, last, last):
                return True
            return any(d == _nearest_weekday(d.year, d.month, n, last) for n in nearest
                       if n <= last)
        assert self.weekdays is not None
        plain, lasts, nths = self.weekdays
        wd = _aws_weekday(d)
        if wd in plain:
            return True
        if wd in lasts and d.day + 7 > last:
            return True
        return (wd, (d.day - 1) // 7 + 1) in nths

    def next_after(self, t: float, anchor: float = 0.0) -> float | None:
        """The first whole minute strictly after ``t`` that matches; None if there is none
        before the end of year 2199."""
        start = _dt.datetime.fromtimestamp(t - t % 60 + 60, _dt.timezone.utc)
        day = start.date()
        first = True
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        while day.year <= _YEARS[1]:
            if day.year not in self.years:
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day, first = _dt.date(min(later), 1, 1), False
                continue
            if day.month not in self.months:
                day = (_dt.date(day.year + 1, 1, 1) if day.month == 12
                       else _dt.date(day.year, day.month + 1, 1))
                first = False
                continue
            if self.matches_day(day):
                for h in hours:
                    if first and h < start.hour:
                        continue
                    for m in minutes:
                        if first and h == start.hour and m < start.minute:
                            continue
                        when = _dt.datetime(day.year, day.month, day.day, h, m,
                                            tzinfo=_dt.timezone.utc)
                        return when.timestamp()
            day, first = day + _dt.timedelta(days=1), False
        return None


def _aws_weekday(d: _dt.date) -> int:
    return (d.weekday() + 1) % 7 + 1  # Monday (0) -> 2, Sunday (6) -> 1


def _nearest_weekday(year: int, month: int, n: int, last: int) -> _dt.date:
    d = _dt.date(year, month, n)
    if d.weekday() == 5:  # Saturday: the Friday before, or the Monday after the 1st
        return d - _dt.timedelta(days=1) if n > 1 else d + _dt.timedelta(days=2)
    if d.weekday() == 6:  # Sunday: the Monday after, or the Friday before the last day
        return d + _dt.timedelta(days=1) if n < last else d - _dt.timedelta(days=2)
    return d


def parse(expression: str) -> Rate | Cron:
    """Parse a ScheduleExpression. Raises InvalidSchedule."""
    if not isinstance(expression, str):
        raise InvalidSchedule("not a string")
    m = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if m:
        value, unit = int(m.group(1)), m.group(2)
        if value < 1:
            raise InvalidSchedule("the rate must be positive")
        if (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule("rate(1 unit) is singular, other values plural")
        return Rate(value * _UNITS[unit.rstrip("s")], expression)
    m = re.fullmatch(r"cron\((.*)\)", expression)
    if not m:
        raise InvalidSchedule("neither rate(...) nor cron(...)")
    fields = m.group(1).split()
    if len(fields) != 6 or m.group(1) != " ".join(fields):
        raise InvalidSchedule("cron(...) takes six fields separated by single spaces")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise InvalidSchedule("exactly one of day-of-month and day-of-week must be ?")
    return Cron(
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days=None if dom == "?" else _day_field(dom),
        months=_field(month, 1, 12, _MONTHS),
        weekdays=None if dow == "?" else _weekday_field(dow),
        years=_field(year, *_YEARS),
        expression=expression,
    )


def _number(text: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise InvalidSchedule(f"{text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise InvalidSchedule(f"{value} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None
           ) -> frozenset[int]:
    """``,`` ``-`` ``*`` ``/`` over ``low``–``high`` (ranges may wrap, as ``FRI-MON``)."""
    out: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            step = _number(step_text, 1, high - low + 1)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, low, high, names), _number(b, low, high, names)
        else:
            first = _number(base, low, high, names)
            last = high if slash else first
        span = (last - first) % (high - low + 1)
        out.update(low + (first - low + i) % (high - low + 1) for i in range(0, span + 1, step))
    return frozenset(out)


def _day_field(text: str) -> tuple[frozenset[int], bool, bool, frozenset[int]]:
    plain, nearest, last_day, last_weekday = [], set(), False, False
    for part in text.split(","):
        if part == "L":
            last_day = True
        elif part == "LW":
            last_weekday = True
        elif part.endswith("W"):
            nearest.add(_number(part[:-1], 1, 31))
        else:
            plain.append(part)
    days = _field(",".join(plain), 1, 31) if plain else frozenset()
    return days, last_day, last_weekday, frozenset(nearest)


def _weekday_field(text: str
                   ) -> tuple[frozenset[int], frozenset[int], frozenset[tuple[int, int]]]:
    plain, lasts, nths = [], set(), set()
    for part in text.split(","):
        if part == "L":
            plain.append("7")  # L alone: the last day of the week, Saturday
        elif part.endswith("L"):
            lasts.add(_number(part[:-1], 1, 7, _DAYS))
        elif "#" in part:
            day, _, n = part.partition("#")
            nths.add((_number(day, 1, 7, _DAYS), _number(n, 1, 5)))
        else:
            plain.append(part)
    days = _field(",".join(plain), 1, 7, _DAYS) if plain else frozenset()
    return days, frozenset(lasts), frozenset(nths)
